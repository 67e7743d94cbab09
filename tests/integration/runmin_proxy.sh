#!/usr/bin/env bash
# runmin_proxy.sh — runmin's network enforcement end to end: the agent in its
# own network namespace reaches a local upstream (in the host namespace) only
# through the supervisor's proxy, as the network table decides; SIGHUP (and a
# change on disk) reloads the table after re-verifying; a reload that would
# change anything but the network table, or is badly signed, is refused and
# the old table stays; without outbound rows the agent has no network.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/runmin/common.sh"
needs_root
CURL=/usr/bin/curl
PY=/usr/bin/python3
if [ ! -x "$CURL" ] || [ ! -x "$PY" ]; then
	skip "$(basename "$0")" "needs $CURL and $PY (ci/install-deps)"
	finish
fi

mkdir -p "$T/www/ok" "$T/www/new" "$T/www/deny" "$T/build"
echo hello >"$T/www/ok/x"
echo fresh >"$T/www/new/x"
echo secret >"$T/www/deny/x"
# The upstream binds a port the kernel picks (a port chosen in advance can
# be taken, e.g. by another test's connection) and prints it.
"$PY" - "$T/www" >"$T/srv.log" 2>&1 <<'EOP' &
import http.server, os, sys
os.chdir(sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
print("port", srv.server_address[1], flush=True)
srv.serve_forever()
EOP
SRV=$!
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; rm -rf "$T"' EXIT
# Waits for the upstream (long: a loaded machine starts python slowly, and
# this is no timing test).
UP=
for _ in $(seq 300); do
	UP=$(awk '$1 == "port" {print $2; exit}' "$T/srv.log" 2>/dev/null)
	[ -n "$UP" ] && "$CURL" -s -o /dev/null --noproxy '*' "http://127.0.0.1:$UP/ok/x" && break
	UP=
	sleep 0.1
done
[ -n "$UP" ] || { fail "upstream on 127.0.0.1" "did not start in 30 s: $(head -c 300 "$T/srv.log")"; finish; }

# net_policy NAME PATHS [FS-EXTRA]: GET on 127.0.0.1:$UP for PATHS.
net_policy() {
	policy "$1" <<EOP
polc: 1
name: runmin-proxy
filesystem:
  exec: $SYS_EXEC
  read: [$T/marks${3:-}]
  optional: $SYS_OPTIONAL
  rules:
    - path: /dev/null
      access: [read_file, write_file]
network:
  outbound:
    - host: 127.0.0.1
      ports: [$UP]
      methods: [GET]
      paths: $2
EOP
}
mkdir -p "$T/marks"
net_policy run '["/ok/**"]' || { fail "build policy"; finish; }
CODE="$CURL -s -o /dev/null -w %{http_code}"

check "allowed GET through the proxy" hello rmin run "$CURL" -s "http://127.0.0.1:$UP/ok/x"
check "denied path: 403" 403 rmin run $CODE http://127.0.0.1:$UP/deny/x
check "denied method: 403" 403 rmin run $CODE -X POST http://127.0.0.1:$UP/ok/x
check "denied port: 403" 403 rmin run $CODE http://127.0.0.1:$((UP + 1))/ok/x
check "proxy environment" "http://127.0.0.1:3128 http://127.0.0.1:3128 http://127.0.0.1:3128" \
	rmin run bash -c 'echo "$HTTP_PROXY $https_proxy $ALL_PROXY"'
got=$(rmin run "$PROBE" tcp-connect "$UP" 2>&1 | tail -n 1)
case $got in ECONNREFUSED | ENETUNREACH | EACCES) pass "direct connect to the upstream fails ($got)" ;;
*) fail "direct connect to the upstream fails" "got '$got'" ;; esac
check "direct curl without the proxy fails" 7 rmin run bash -c \
	"$CURL -s --noproxy '*' http://127.0.0.1:$UP/ok/x; echo \$?"
UDP='import socket, sys
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"\x00" * 12, (sys.argv[1], 53)); print("sent")
except OSError as e:
    print(e.errno)'
# runmin's guard refuses the UDP socket itself (EACCES); without it the
# namespace would answer ENETUNREACH (101).
check "UDP (DNS) send fails" 13 rmin run "$PY" -c "$UDP" 10.0.0.1

# Hot reload, with one agent that keeps running: it makes request N when
# $T/marks/goN appears and prints the status code.
net_policy new '["/ok/**", "/new/**"]' || { fail "build reload policy"; finish; }
net_policy fsdiff '["/ok/**", "/new/**"]' ", /var" || { fail "build fs policy"; finish; }
for n in new fsdiff; do mv "$T/$n.pola" "$T/$n.pola.minisig" "$T/build/"; done
cat >"$T/marks/agent.sh" <<EOA
#!/bin/bash
for n in 1 2 3 4 5; do
	while [ ! -e $T/marks/go\$n ]; do sleep 0.05; done
	$CURL -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$UP/new/x
done
EOA
cp "$T/run.pola" "$T/live.pola" && cp "$T/run.pola.minisig" "$T/live.pola.minisig"
"$RUNMIN" -a "$T/live.pola" -p "$T/k.pub" --log "$T/log" -- /bin/bash "$T/marks/agent.sh" >"$T/agent.out" 2>"$T/agent.err" &
RM=$!
# step N: let the agent make request N, wait for its answer, print it.
step() {
	touch "$T/marks/go$1"
	for _ in $(seq 400); do
		[ "$(wc -l <"$T/agent.out")" -ge "$1" ] && break
		sleep 0.05
	done
	sed -n "$1p" "$T/agent.out"
}
# install FILE: put FILE (+ .minisig) in place of the running artifact,
# send SIGHUP, wait for that reload's log line.
install() {
	local before
	before=$(grep -c '"trigger":"SIGHUP"' "$T/log" 2>/dev/null)
	cp "$1" "$T/live.pola.tmp" && mv "$T/live.pola.tmp" "$T/live.pola"
	cp "$1.minisig" "$T/live.pola.tmp" && mv "$T/live.pola.tmp" "$T/live.pola.minisig"
	kill -HUP "$RM"
	for _ in $(seq 100); do
		[ "$(grep -c '"trigger":"SIGHUP"' "$T/log" 2>/dev/null)" -gt "$before" ] && break
		sleep 0.05
	done
	grep '"trigger":"SIGHUP"' "$T/log" | tail -n 1 >"$T/last"
}
check "before reload: /new denied" 403 step 1
cp "$T/build/new.pola" "$T/build/bad.pola" && cp "$T/build/new.pola.minisig" "$T/build/bad.pola.minisig"
printf 'X' | dd of="$T/build/bad.pola" bs=1 seek=200 conv=notrunc status=none
install "$T/build/bad.pola"
expect_grep "tampered artifact: reload refused" '"result":"refused".*signature' "$T/last"
check "tampered artifact: old table stays" 403 step 2
install "$T/build/fsdiff.pola"
expect_grep "changed filesystem section: reload refused" '"result":"refused".*filesystem' "$T/last"
check "changed filesystem section: old table stays" 403 step 3
install "$T/build/new.pola"
expect_grep "good artifact: reload applied" '"result":"applied"' "$T/last"
check "after reload: /new allowed, same agent" 200 step 4
# inotify_reloads: how many reloads the artifact's directory has triggered.
# inotify_since N: waits (at most 5 s) for reload number N+1, gives later
# ones 0.3 s to land, and keeps reloads N+1 on in $T/last.
inotify_reloads() { grep -c '"trigger":"inotify"' "$T/log" 2>/dev/null; }
inotify_since() {
	for _ in $(seq 100); do
		[ "$(inotify_reloads)" -gt "$1" ] && break
		sleep 0.05
	done
	sleep 0.3
	grep '"trigger":"inotify"' "$T/log" | tail -n +$(($1 + 1)) >"$T/last"
}
# A slow signer: the new artifact first, its signature 0.6 s later, well
# past the settle time.  runmin waits for the pair rather than refusing
# the artifact against the old signature, then reloads once.  (The
# installs above also left inotify reloads behind: let them land first.)
sleep 0.5
before=$(inotify_reloads)
cp "$T/run.pola" "$T/live.pola.tmp" && mv "$T/live.pola.tmp" "$T/live.pola"
sleep 0.6
if [ "$(inotify_reloads)" -gt "$before" ]; then
	fail "slow signer: no reload before the signature" "$(grep '"trigger":"inotify"' "$T/log" | tail -n 1)"
else
	pass "slow signer: no reload before the signature"
fi
cp "$T/run.pola.minisig" "$T/live.pola.tmp" && mv "$T/live.pola.tmp" "$T/live.pola.minisig"
inotify_since "$before"
expect_grep "slow signer: reloaded once the signature came" '"result":"applied"' "$T/last"
if [ "$(wc -l <"$T/last")" -eq 1 ]; then
	pass "slow signer: one reload"
else
	fail "slow signer: one reload" "$(cat "$T/last")"
fi
# The usual workflow: polc build --sign over the running artifact.  It
# replaces two files, one after the other; runmin waits for them to settle
# and reloads once, without refusing the half-written pair.
before=$(inotify_reloads)
cp "$T/run.yaml" "$T/live.yaml"
"$POLC" build "$T/live.yaml" -o "$T/live.pola" --sign "$T/k.sec" >/dev/null 2>&1 ||
	fail "polc build --sign over the running artifact"
inotify_since "$before"
expect_grep "polc build --sign in place: reloaded on the change (inotify)" '"result":"applied"' "$T/last"
if grep -q '"result":"refused"' "$T/last"; then
	fail "polc build --sign in place: no refusal on the way" "$(cat "$T/last")"
else
	pass "polc build --sign in place: no refusal on the way"
fi
check "after the in-place rebuild: /new denied again" 403 step 5
wait "$RM"
st=$?
[ "$st" = 0 ] && pass "agent ran to the end under one runmin" || fail "agent exit" "status $st: $(head -c 300 "$T/agent.err")"
expect_grep "decisions logged" '"event":"net","decision":"allow".*"path":"/new/x"' "$T/log"

# No network section: a new namespace with only lo, no proxy.
policy nonet <<EOP || { fail "build nonet policy"; finish; }
polc: 1
name: runmin-nonet
filesystem:
  exec: $SYS_EXEC
  optional: $SYS_OPTIONAL
EOP
check "no network: direct connect refused" ECONNREFUSED rmin nonet "$PROBE" tcp-connect "$UP"
check "no network: no proxy variables" "<>" rmin nonet bash -c 'echo "<${HTTP_PROXY:-}>"'
check "no network: curl fails" 7 rmin nonet bash -c "$CURL -s http://127.0.0.1:$UP/ok/x; echo \$?"
check "no network: UDP send fails" 13 rmin nonet "$PY" -c "$UDP" 10.0.0.1
# Interfaces with an IPv4 address (SIOCGIFCONF on a TCP socket: netlink,
# what if_nameindex uses, is refused by the guard).
IFS_PY='import socket, fcntl, struct, array
s = socket.socket()
buf = array.array("B", bytes(4096))
n = struct.unpack("iL", fcntl.ioctl(s, 0x8912, struct.pack("iL", 4096, buf.buffer_info()[0])))[0]
b = buf.tobytes()[:n]
print(" ".join(b[i:i + 16].split(b"\0", 1)[0].decode() for i in range(0, n, 40)))'
got=$("$PY" -c "$IFS_PY" 2>&1)
[ -n "$got" ] && [ "$got" != lo ] && pass "control: the host has more than lo ($got)" ||
	skip "control: the host has more than lo" "this machine has only '$got'"
check "no network: only lo" lo rmin nonet "$PY" -c "$IFS_PY"
finish
