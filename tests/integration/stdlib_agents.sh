#!/usr/bin/env bash
# stdlib_agents.sh — the agent profiles (claude-code, codex-cli,
# copilot-cli) under runmin, with a node and a python program that do what
# those agents do (tests/data/stdlib/agent.js, agent.py): read the task and
# write code in the workspace, run it, drive git, keep state in their own
# directory, and call the model API over HTTPS through runmin's proxy
# against a local test server (a policy on top allows it, as a user's
# would allow their API host).  Escapes (secrets, writes outside, /root,
# namespaces) must fail; a host the policy does not name must be refused by
# the proxy.  Each profile's polc test file passes and it lints clean.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

DATA=$SRC/tests/data/stdlib
PROFILES="claude-code codex-cli copilot-cli"

# The stand-in API: HTTPS on loopback with a certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$W/api.key" -out "$W/api.pem" >/dev/null 2>&1 ||
	{ fail "make the test API's certificate"; finish; }
chmod 0644 "$W/api.key" "$W/api.pem"
exec 8< <(exec /usr/bin/python3 "$DATA/api_server.py" "$W/api.pem" "$W/api.key")
API_PID=$!
trap 'kill "$API_PID" 2>/dev/null; rm -rf "$T" "$W"' EXIT
read -r APIPORT <&8
[ -n "$APIPORT" ] && pass "test API listening on 127.0.0.1:$APIPORT" || { fail "start the test API"; finish; }

# The agent programs, installed read-only outside the workspace.
mkdir -p "$W/agent"
cp "$DATA/agent.js" "$DATA/agent.py" "$W/api.pem" "$W/agent/"

for p in $PROFILES; do
	expect_status "$p: polc test" 0 "$POLC" test "$SRC/stdlib-policies/$p.yaml" \
		"$SRC/stdlib-policies/tests/$p.test.yaml"
	expect_status "$p: polc lint is clean" 0 "$POLC" lint --fail-level warning "$SRC/stdlib-policies/$p.yaml"
	for lang in node py; do
		ws=$W/ws-$p-$lang
		st=$W/state-$p-$lang
		mkdir -p "$ws" "$st"
		echo "Implement add(a, b) and test it." >"$ws/TASK.md"
		cat >"$T/$p-$lang.yaml" <<EOY
# What a user of the profile writes: their project, the agent's state
# directory, and (here) the API host, a test server on loopback.
polc: 1
name: my-$p
extends: [$p]
filesystem:
  read: [$W/agent]   # where the agent itself is installed
  write: [$ws, $st]
  exec: [$ws, $O/helpers]  # polc:ignore fs-exec-writable the agent runs the tests it writes
network:
  outbound:
    - host: 127.0.0.1  # polc:ignore net-private-address the test API runs on loopback
      ports: [$APIPORT]
EOY
		if ! "$POLC" build "$T/$p-$lang.yaml" -o "$T/$p-$lang.pola" --sign "$T/k.sec" >"$T/b.out" 2>&1; then
			fail "$p/$lang: build" "$(head -c 500 "$T/b.out")"
			continue
		fi
		if [ "$lang" = node ]; then
			cmd=(/usr/bin/node "$W/agent/agent.js")
			acc=EACCES
		else
			cmd=(/usr/bin/python3 "$W/agent/agent.py")
			acc=PermissionError
		fi
		(cd "$ws" && env -i HOME="$st" PATH=/usr/bin:/bin LANG=C.UTF-8 \
			"$RUNMIN" -a "$T/$p-$lang.pola" -p "$T/k.pub" -- "${cmd[@]}" "$ws" "$st" \
			"$W/out/$p-$lang" "$W/victim/.ssh/id_ed25519" 127.0.0.1 "$APIPORT" "$W/agent/api.pem" \
			127.0.0.2) >"$T/agent.out" 2>"$T/agent.err"
		got() { sed -n "s|^$1: ||p" "$T/agent.out"; }
		want() { # STEP VALUE
			local g
			g=$(got "$1")
			[ "$g" = "$2" ] && pass "$p/$lang: $1 -> $2" ||
				fail "$p/$lang: $1" "got '$g', want '$2'; stderr: $(head -c 300 "$T/agent.err")"
		}
		want files ok
		want tests pass
		want shell 1
		want git ok
		want state ok
		want "read secret" "$acc"
		want "write outside" "$acc"
		want "read /root" "$acc"
		want "spawn unshare" refused
		test ! -e "$W/out/$p-$lang" && pass "$p/$lang: nothing outside" || fail "$p/$lang: wrote outside"
		check "$p/$lang: the agent's commit is in the workspace" 1 git -C "$ws" rev-list --count HEAD
		case "$(got api)" in
		"no proxy")
			skip "$p/$lang: API call through the proxy" \
				"runmin does not run the network proxy yet (no HTTPS_PROXY in the sandbox)"
			;;
		*)
			want api "200 with a reply"
			want "api elsewhere" "proxy 403"
			;;
		esac
	done
done
# A control for the escapes: the same program outside the sandbox reads the key.
check "control: the agent program can read the secret outside runmin" ok /bin/sh -c \
	"cd $W/ws && node -e 'require(\"fs\").readFileSync(\"$W/victim/.ssh/id_ed25519\"); console.log(\"ok\")'"
finish
