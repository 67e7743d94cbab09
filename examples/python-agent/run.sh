#!/bin/sh
# examples/python-agent/run.sh — sandbox a Python agent that calls a model
# API through runmin's proxy.  Without an account or the internet: a local
# HTTPS server stands in for the API, and the policy on top of policy.yaml
# allows it (as your own would allow the real host, which policy.yaml does).
#
#   O=build examples/python-agent/run.sh      (after `make`)
#
# Exit 0 when the agent got its answer and both escapes were refused; 77
# (skipped) when this runmin does not run the network proxy yet.
set -eu
cd "$(dirname "$0")/../.."
O=${O:-build}
POLC=${POLC:-$O/polc}
RUNMIN=${RUNMIN:-$O/runmin}
EX=examples/python-agent
D=$(mktemp -d /var/tmp/polc-python-agent.XXXXXX)
API=
trap '[ -z "$API" ] || kill "$API" 2>/dev/null || true; rm -rf "$D"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
chmod 0755 "$D"
mkdir -p "$D/workspace" "$D/agent" "$D/secret"
cp "$EX/agent.py" "$D/agent/"
echo "-----BEGIN OPENSSH PRIVATE KEY-----" >"$D/secret/id_ed25519"   # a key to steal
echo "What is 2 + 2?" >"$D/workspace/TASK.md"

echo "== a signing key, and a certificate for the stand-in API"
"$POLC" keygen -p "$D/key.pub" -s "$D/key.sec" >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$D/api.key" -out "$D/api.pem" 2>/dev/null
chmod 0644 "$D/api.pem"
mkfifo "$D/port.fifo"
/usr/bin/python3 "$EX/fake_api.py" "$D/api.pem" "$D/api.key" >"$D/port.fifo" &
API=$!
read -r PORT <"$D/port.fifo"
echo "stand-in API on https://127.0.0.1:$PORT"

echo "== the policy on top: this workspace, this agent, the stand-in API"
cat >"$D/local.yaml" <<EOY
polc: 1
name: python-agent-local
extends: [$(pwd)/$EX/policy.yaml]
filesystem:
  read: [$D/agent, $D/api.pem]
  write: [$D/workspace]
network:
  outbound:
    - host: 127.0.0.1  # polc:ignore net-private-address the stand-in API of this example
      ports: [$PORT]
EOY
"$POLC" build "$D/local.yaml" -o "$D/agent.pola" --sign "$D/key.sec"
"$POLC" query "$D/agent.pola" net 127.0.0.1 "$PORT" || true
"$POLC" query "$D/agent.pola" net example.com 443 || true

echo "== run the agent under runmin"
# runmin gives the program HTTPS_PROXY pointing at its proxy; it has not
# been wired into runmin on every branch yet.
if ! "$RUNMIN" -a "$D/agent.pola" -p "$D/key.pub" -- /usr/bin/env | grep -qi '^https_proxy='; then
	echo "SKIP: this runmin does not run the network proxy yet (no HTTPS_PROXY in the sandbox)"
	exit 77
fi
cd "$D/workspace"
env -i HOME="$D/workspace" PATH=/usr/bin:/bin SSL_CERT_FILE="$D/api.pem" \
	API_URL="https://127.0.0.1:$PORT/v1/messages" OTHER_URL="https://127.0.0.2:$PORT/" \
	SECRET="$D/secret/id_ed25519" \
	"$RUNMIN" -a "$D/agent.pola" -p "$D/key.pub" -- /usr/bin/python3 "$D/agent/agent.py" "$D/workspace" \
	| tee "$D/out"
grep -q '^agent: answer written' "$D/out"
grep -q '^agent: reading the ssh key refused' "$D/out"
grep -q '^agent: other host refused' "$D/out"
echo "answer: $(cat "$D/workspace/ANSWER.md")"
