#!/usr/bin/env bash
# gate.sh — ci/gate on a scratch git repository:
#   - a commit that only narrows passes, even with --require-approval;
#   - a commit that widens fails with --require-approval and says how to
#     approve; passes without it (reported), or with the commit trailer
#     `Polc-Approve-Widen: yes`, or with POLC_APPROVE_WIDEN=yes;
#   - a lint error, a failing test, a policy that does not build fail;
#   - a policy new at head is compared with "allows nothing";
#   - the reports (SARIF, JUnit, markdown) are written and well-formed;
#   - the pre-commit lint hook lints each policy on its own.
. "$(dirname "$0")/../lib.sh"

GATE=$SRC/ci/gate
R=$T/repo
mkdir -p "$R"
git() { command git -C "$R" -c user.name=polc-test -c user.email=test@polc.invalid "$@"; }
git init -q
commit() { git add -A && git commit -q "$@"; }
gate() { POLC=$POLC "$GATE" --repo "$R" --policy sandbox/agent.yaml --out "$T/gate" "$@"; }

mkdir -p "$R/sandbox"
cat >"$R/sandbox/agent.yaml" <<'EOF'
polc: 1
name: agent
filesystem:
  read: [/usr, /etc/ssl]
  write: [/workspace]
process:
  default: errno EPERM
  allow: [read, write, exit_group, connect]
  rules:
    - syscalls: [socket]
      args:
        - {index: 0, op: in, values: [AF_UNIX, AF_INET, AF_INET6]}
      action: allow
network:
  outbound:
    - host: api.github.com
      ports: [443]
    - host: pypi.org
      ports: [443]
EOF
cat >"$R/sandbox/agent.tests.yaml" <<'EOF'
tests:
  - name: workspace writable
    fs: {path: /workspace/out.txt, access: write}
    expect: allow
  - name: usr read-only
    fs: {path: /usr/bin/env, access: write}
    expect: deny
  - name: no ptrace
    syscall: ptrace
    expect: errno EPERM
  - name: github
    net: {host: api.github.com, port: 443}
    expect: allow
EOF
commit -m "agent policy"
c0=$(git rev-parse HEAD)

# A narrowing commit: pypi.org and /etc/ssl go.
sed -i -e '/pypi.org/,+1d' -e 's#read: \[/usr, /etc/ssl\]#read: [/usr]#' "$R/sandbox/agent.yaml"
commit -m "narrow: drop pypi and /etc/ssl"
c1=$(git rev-parse HEAD)
expect_status "gate passes a narrowing with --require-approval" 0 gate --base "$c0" --head "$c1" --require-approval
expect_grep "narrowing reported in the markdown" 'Narrowings' "$T/gate/diff.md"
expect_grep "narrowed path named" '/etc/ssl' "$T/gate/diff.md"
expect_grep "summary says passed" 'gate passed' "$T/gate/summary.md"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"]=="2.1.0" and d["runs"][0]["tool"]["driver"]["rules"]' "$T/gate/lint.sarif" 2>/dev/null; then
	pass "lint.sarif is SARIF 2.1.0 with rules"
else
	fail "lint.sarif is SARIF 2.1.0 with rules"
fi
if python3 -c 'import sys, xml.dom.minidom as m; d=m.parse(sys.argv[1]); assert d.documentElement.getAttribute("tests")=="4" and d.documentElement.getAttribute("failures")=="0"' "$T/gate/tests.xml" 2>/dev/null; then
	pass "tests.xml is JUnit with 4 passing tests"
else
	fail "tests.xml is JUnit with 4 passing tests" "$(head -c 300 "$T/gate/tests.xml")"
fi

# A widening commit: /tmp becomes writable.
sed -i 's#write: \[/workspace\]#write: [/workspace, /tmp]#' "$R/sandbox/agent.yaml"
commit -m "widen: /tmp writable"
c2=$(git rev-parse HEAD)
expect_status "gate fails an unapproved widening with --require-approval" 1 gate --base "$c1" --head "$c2" --require-approval
expect_grep "says how to approve" 'Polc-Approve-Widen: yes' "$T/gate/summary.md"
expect_grep "widened path in the markdown" '\| ⚠️ \| filesystem \| `/tmp` \| write' "$T/gate/diff.md"
expect_status "gate reports but passes a widening without --require-approval" 0 gate --base "$c1" --head "$c2"
expect_grep "widening reported" 'new privileges' "$T/gate/summary.md"
export POLC_APPROVE_WIDEN=yes
expect_status "POLC_APPROVE_WIDEN=yes approves" 0 gate --base "$c1" --head "$c2" --require-approval
unset POLC_APPROVE_WIDEN

# The same widening, approved by a commit trailer.
git commit -q --allow-empty -m "approve /tmp" --trailer "Polc-Approve-Widen: yes"
c3=$(git rev-parse HEAD)
expect_status "a Polc-Approve-Widen trailer approves" 0 gate --base "$c1" --head "$c3" --require-approval
expect_grep "approval noted" 'approved' "$T/gate/summary.md"

# A lint error (write access to /etc) fails even without a widening gate.
sed -i 's#write: \[/workspace, /tmp\]#write: [/workspace, /tmp, /etc/agent]#' "$R/sandbox/agent.yaml"
commit -m "lint error"
c4=$(git rev-parse HEAD)
expect_status "a lint error fails the gate" 1 gate --base "$c3" --head "$c4"
expect_grep "lint finding in lint.txt" 'L202 fs-write-system' "$T/gate/lint.txt"
expect_grep "lint finding in SARIF with its region" '"startLine": 5' "$T/gate/lint.sarif"
git revert --no-edit HEAD >/dev/null

# A failing test.
sed -i 's#expect: errno EPERM#expect: allow#' "$R/sandbox/agent.tests.yaml"
commit -m "wrong test"
c5=$(git rev-parse HEAD)
expect_status "a failing test fails the gate" 1 gate --base "$c3" --head "$c5"
expect_grep "failing test in the summary" '❌ tests: 4 tests: 3 passed, 1 failed' "$T/gate/summary.md"
expect_grep "lint passed there (only the test failed)" '✅ lint' "$T/gate/summary.md"
git revert --no-edit HEAD >/dev/null

# A policy that does not build.
sed -i 's#read: \[/usr\]#read: [usr]#' "$R/sandbox/agent.yaml"
commit -m "broken"
c6=$(git rev-parse HEAD)
expect_status "a policy that does not parse fails the gate" 1 gate --base "$c3" --head "$c6"
git revert --no-edit HEAD >/dev/null

# The head's .polc-lint.yaml applies: here it makes warnings fail.
printf 'fail-level: warning\nrules:\n  proc-socket-families: warning\n' >"$R/.polc-lint.yaml"
sed -i 's#AF_INET, AF_INET6#AF_INET, AF_INET6, AF_NETLINK#' "$R/sandbox/agent.yaml"
commit -m "netlink, with a stricter lint config"
c8=$(git rev-parse HEAD)
expect_status "the repository's .polc-lint.yaml applies" 1 gate --base "$c3" --head "$c8"
expect_grep "its finding is in lint.txt" 'L312 proc-socket-families' "$T/gate/lint.txt"
expect_status "--fail-level overrides the config's" 0 gate --base "$c3" --head "$c8" --fail-level error
git revert --no-edit HEAD >/dev/null

# A policy that is new at head: everything it allows is new.
mkdir -p "$R/other"
printf 'polc: 1\nname: other\nfilesystem:\n  read: [/srv]\nprocess:\n  default: errno EPERM\n  allow: [read]\n' >"$R/other/p.yaml"
commit -m "new policy"
c7=$(git rev-parse HEAD)
expect_status "a new policy is a widening" 1 env POLC="$POLC" "$GATE" --repo "$R" --policy other/p.yaml --out "$T/gate" --base "$c3" --head "$c7" --require-approval
expect_grep "new policy compared with nothing" 'allows nothing' "$T/gate/summary.md"
expect_grep "its paths are widenings" '`/srv`' "$T/gate/diff.md"

expect_status "unknown revision is a usage error" 2 gate --base nosuchrev --head "$c7"

# The pre-commit lint hook lints files one by one.
printf 'polc: 1\nname: a\nfilesystem:\n  write: [/]\nprocess:\n  default: errno EPERM\n' >"$T/a.yaml"
printf 'polc: 1\nname: b\nfilesystem:\n  read: [/usr]\nprocess:\n  default: errno EPERM\n' >"$T/b.yaml"
printf 'not: a policy\n' >"$T/c.yaml"
mkdir -p "$T/bin" && ln -sf "$POLC" "$T/bin/polc"
expect_status "pre-commit hook: clean file passes" 0 env PATH="$T/bin:$PATH" "$SRC/ci/pre-commit-lint" "$T/b.yaml" "$T/c.yaml"
expect_status "pre-commit hook: a bad file fails" 1 env PATH="$T/bin:$PATH" "$SRC/ci/pre-commit-lint" "$T/b.yaml" "$T/a.yaml"
expect_grep "pre-commit hook names the finding" 'L201 fs-write-root' "$T/out"
finish
