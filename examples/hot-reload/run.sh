#!/bin/sh
# examples/hot-reload/run.sh — change what a running sandbox may reach
# without restarting it.  Only the network table may change at run time:
# runmin re-verifies the signature of the artifact on disk when it gets
# SIGHUP (or sees the file change) and swaps the proxy's table; a new
# artifact whose filesystem or process sections differ is refused (and
# logged), and the old table stays.
#
#   O=build examples/hot-reload/run.sh      (after `make`)
#
# Exit 0 when the three steps behaved as described; 77 (skipped) when this
# runmin does not run the network proxy yet.
set -eu
cd "$(dirname "$0")/../.."
O=${O:-build}
POLC=${POLC:-$O/polc}
RUNMIN=${RUNMIN:-$O/runmin}
EX=$(pwd)/examples/hot-reload
D=$(mktemp -d /var/tmp/polc-hot-reload.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$D"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
chmod 0755 "$D"
cp "$EX/client.py" "$D/"

# Two local web servers stand in for two services the program may call.
for s in a b; do
	mkdir -p "$D/www-$s" && echo "service $s" >"$D/www-$s/index.html"
	/usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$D/www-$s" >"$D/$s.log" 2>&1 &
	PIDS="$PIDS $!"
done
# Each says its port once it listens: wait for both (a loaded machine may
# take seconds to start Python), at most 20 s.
A= B=
for _ in $(seq 200); do
	A=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$D/a.log" | head -1)
	B=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$D/b.log" | head -1)
	[ -n "$A" ] && [ -n "$B" ] && break
	sleep 0.1
done
if [ -z "$A" ] || [ -z "$B" ]; then
	echo "hot-reload: the local web servers did not start:" >&2
	cat "$D/a.log" "$D/b.log" >&2
	exit 1
fi
echo "service A on 127.0.0.1:$A, service B on 127.0.0.1:$B"

"$POLC" keygen -p "$D/key.pub" -s "$D/key.sec" >/dev/null
# version: the network rules; fs: one more readable path in v3
policy() { # VERSION RULES EXTRA_READ
	cat >"$D/$1.yaml" <<EOY
polc: 1
name: hot-reload
extends: [python3]
filesystem:
  read: [$D/client.py$3]
network:
  outbound:
$2
EOY
}
ruleA="    - {host: 127.0.0.1, ports: [$A], methods: [GET]}  # polc:ignore net-private-address local stand-in"
ruleB="    - {host: 127.0.0.1, ports: [$B], methods: [GET]}  # polc:ignore net-private-address local stand-in"
policy v1 "$ruleA" ""
policy v2 "$ruleA
$ruleB" ""
policy v3 "$ruleA
$ruleB" ", /etc/hostname"
install_version() { # build VERSION into the artifact runmin is running, signed
	"$POLC" build "$D/$1.yaml" -o "$D/app.pola" --sign "$D/key.sec"
	echo "-- installed $1"
}
install_version v1

if ! "$RUNMIN" -a "$D/app.pola" -p "$D/key.pub" -- /usr/bin/env | grep -qi '^http_proxy='; then
	echo "SKIP: this runmin does not run the network proxy yet (no HTTP_PROXY in the sandbox)"
	exit 77
fi

echo "== v1: A allowed, B refused by the proxy"
env -i PATH=/usr/bin:/bin "$RUNMIN" --supervise --log "$D/audit.jsonl" -a "$D/app.pola" \
	-p "$D/key.pub" -- /usr/bin/python3 "$D/client.py" "http://127.0.0.1:$A/" \
	"http://127.0.0.1:$B/" 9 >"$D/client.out" 2>&1 &
RM=$!
PIDS="$PIDS $RM"
# wait_for N FILE PATTERN: until FILE has N lines matching PATTERN (at most
# 30 s: steps follow the program, not the clock, on a loaded machine too)
wait_for() {
	for _ in $(seq 300); do
		[ "$(grep -c -- "$3" "$2" 2>/dev/null)" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "hot-reload: timed out waiting for \"$3\" in $2" >&2
	return 1
}
wait_for 2 "$D/client.out" '^round '
echo "== v2: B added to the network table; SIGHUP: the running program may reach B"
install_version v2
kill -HUP "$RM"
wait_for 1 "$D/audit.jsonl" '"trigger":"SIGHUP","result":"applied"'
rounds=$(grep -c '^round ' "$D/client.out")
wait_for $((rounds + 2)) "$D/client.out" '^round '
echo "== v3: also reads /etc/hostname (a filesystem change); SIGHUP: refused, v2 stays"
install_version v3
kill -HUP "$RM"
wait "$RM" || true
cat "$D/client.out"
echo "-- reloads in the audit log:"
grep '"event":"reload"' "$D/audit.jsonl" || true

grep -q '^round 1: A 200 B 403' "$D/client.out"
grep -Eq '^round [3-8]: A 200 B 200' "$D/client.out"
grep -q '^round 9: A 200 B 200' "$D/client.out"
grep -q '"event":"reload".*"result":"applied"' "$D/audit.jsonl"
grep -q '"event":"reload".*"result":"refused".*filesystem' "$D/audit.jsonl"
echo "hot reload: network table swapped on SIGHUP; a filesystem change refused"
