#!/bin/sh
# examples/ci-gate/run.sh — the CI gate on a pull request, played locally:
# a repository keeps its agent's sandbox policy (extending the stdlib's
# python3 policy; an agent profile such as claude-code works the same, with
# more rules to compare) and the policy's tests; ci/gate lints, builds, tests
# and diffs base and head.  A change that only narrows passes; one that
# grants something new fails until it is approved with a commit trailer.
#
#   O=build examples/ci-gate/run.sh      (after `make`)
#
# The same gate in GitHub Actions: workflow.yml next to this script.
set -eu
cd "$(dirname "$0")/../.."
O=${O:-build}
POLC=${POLC:-$O/polc}
case $POLC in /*) ;; *) POLC=$(pwd)/$POLC ;; esac
GATE=$(pwd)/ci/gate
R=$(mktemp -d /var/tmp/polc-ci-gate.XXXXXX)
trap 'rm -rf "$R"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
git() { command git -C "$R/repo" -c user.name=dev -c user.email=dev@example.com "$@"; }
gate() { POLC=$POLC "$GATE" --repo "$R/repo" --policy sandbox/agent.yaml --out "$R/report" "$@"; }
step() { printf '\n== %s\n' "$*"; }

mkdir -p "$R/repo/sandbox"
git init -q -b main
cat >"$R/repo/sandbox/agent.yaml" <<'EOY'
# The sandbox our Python agent runs in, on this repository's checkout.
polc: 1
name: our-agent
extends: [python3]
filesystem:
  write: [/srv/checkout]
  exec: [/srv/checkout]   # polc:ignore fs-exec-writable the agent runs the test suite
network:
  outbound:
    - host: github.com     # fetch and push this repository
      ports: [443]
EOY
cat >"$R/repo/sandbox/agent.tests.yaml" <<'EOY'
# What we rely on; the gate runs these against the artifact it builds.
tests:
  - name: the checkout is writable
    fs: {path: /srv/checkout/src/main.py, access: write}
    expect: allow
  - name: no ssh keys
    fs: {path: /home/ci/.ssh/id_ed25519, access: read}
    expect: deny
  - name: package downloads
    net: {host: pypi.org, port: 443}
    expect: allow
  - name: nothing else on the internet
    net: {host: pastebin.com, port: 443}
    expect: deny
  - name: no ptrace
    syscall: ptrace
    expect: errno EPERM
EOY
git add -A && git commit -qm "sandbox policy for the agent"
base=$(git rev-parse HEAD)

step "a change that narrows: no more github.com (passes, even with --require-approval)"
sed -i '/^network:/,$d' "$R/repo/sandbox/agent.yaml"
git commit -qam "agent: no direct github access"
gate --base "$base" --head HEAD --require-approval
sed -n '1,12p' "$R/report/diff.md"

step "a change that widens: the agent may also reach pastebin.com (fails: not approved)"
base=$(git rev-parse HEAD)
printf 'network:\n  outbound:\n    - host: pastebin.com\n      ports: [443]\n' >>"$R/repo/sandbox/agent.yaml"
sed -i 's/  - name: nothing else on the internet/  - name: nothing else on the internet (example.org)/; s/host: pastebin.com, port: 443/host: example.org, port: 443/' \
	"$R/repo/sandbox/agent.tests.yaml"
git commit -qam "agent: share logs on pastebin"
rc=0
gate --base "$base" --head HEAD --require-approval || rc=$?
echo "gate exit status: $rc"
[ "$rc" = 1 ]
cat "$R/report/diff.md"

step "the same change approved by a reviewer's commit trailer (passes)"
git commit -q --allow-empty -m "approve pastebin for logs" --trailer "Polc-Approve-Widen: yes"
gate --base "$base" --head HEAD --require-approval
cat "$R/report/summary.md"
echo
echo "reports: lint.sarif, tests.xml (JUnit), diff.md, diff.json, summary.md, base/head artifacts"
