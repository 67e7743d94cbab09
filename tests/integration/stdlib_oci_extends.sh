#!/usr/bin/env bash
# stdlib_oci_extends.sh — a Docker/OCI seccomp profile in an `extends`
# chain: a YAML policy extends ../profiles/docker.json (a path relative to
# the policy's own directory) and adds Landlock rules; a policy extends that
# one in turn; another mixes the stdlib's base with the profile.  Checks the
# decisions (polc query), that the chain changes nothing (polc diff), that
# `polc convert` of the chain builds to the same Landlock and seccomp
# sections, and that runmin enforces both halves (the profile's refusals and
# the YAML's filesystem rules) on a real shell.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

D=$T/oci
mkdir -p "$D/profiles" "$D/policies/team"
cp "$SRC/tests/data/stdlib/profiles/docker.json" "$D/profiles/docker.json"
cat >"$D/policies/agent.yaml" <<EOF
# Docker's seccomp profile as it is, plus Landlock from polc.
polc: 1
name: docker-with-landlock
extends: [../profiles/docker.json]
filesystem:
  exec: [/usr, /bin, /lib, /lib64, $O/helpers]
  read: [/etc/ld.so.cache]
  write: [$W/ws]
  rules:
    - {path: /dev/null, access: [read_file, write_file]}
  optional: [/bin, /lib, /lib64]
EOF
cat >"$D/policies/team/agent.yaml" <<'EOF'
# One more link in the chain, from another directory.
polc: 1
name: team-agent
extends: [../agent.yaml]
EOF
cat >"$D/policies/base-docker.yaml" <<'EOF'
# The stdlib's base and Docker's profile merged: each adds its allow rules,
# and base's deny list still wins (the most restrictive matching rule).
polc: 1
name: base-and-docker
extends: [base, ../profiles/docker.json]
EOF

expect_status "build: extends ../profiles/docker.json" 0 "$POLC" build "$D/policies/agent.yaml" \
	-o "$T/agent.pola" --sign "$T/k.sec"
expect_grep "the profile's positions are reported through the chain" \
	'profiles/docker\.json:[0-9]+:[0-9]+: warning\[E300\]' "$T/err"
expect_status "build: a chain two deep, from a subdirectory" 0 "$POLC" build \
	"$D/policies/team/agent.yaml" -o "$T/team.pola"
expect_status "build: stdlib base + the profile" 0 "$POLC" build "$D/policies/base-docker.yaml" \
	-o "$T/bd.pola"

q() { # ARTIFACT WANT SYSCALL ARGS...
	local a=$1 want=$2 got
	shift 2
	got=$("$POLC" query "$T/$a.pola" syscall "$@" 2>&1 | sed 's/  (.*//; s/ *$//')
	[ "$got" = "$want" ] && pass "$a: query syscall $* = $want" ||
		fail "$a: query syscall $*" "got '$got', want '$want'"
}
q agent allow read
q agent "errno EPERM" keyctl
q agent "errno EPERM" unshare
q agent "errno EPERM" mount
q agent allow ptrace                     # Docker allows it (kernel >= 4.8)
q agent allow socket 2 1
q agent "errno EPERM" socket 40          # AF_VSOCK: Docker's rule is `arg0 < 38`...
q agent "errno EPERM" socket 0x100000028 # ...which junk in the upper half cannot pass
q agent allow personality 0
q agent "errno EPERM" personality 0x1000000
q bd "errno EPERM" ptrace                # base's deny list beats Docker's allow
q bd "errno EPERM" keyctl
q bd "errno ENOSYS" clone3
q bd allow socket 2 1
expect_status "the chain grants exactly what its base does (polc diff)" 0 "$POLC" diff \
	"$T/agent.pola" "$T/team.pola"

# convert: the chain as one YAML file, which builds to the same sections
secs() {
	"$POLC" inspect "$1" --format json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sections"]:
    if s["type"] in ("landlock", "seccomp", "process"):
        print(s["type"], s["arch"], s["sha256"])'
}
if "$POLC" convert "$D/policies/team/agent.yaml" -o "$T/conv.yaml" 2>/dev/null &&
	"$POLC" build "$T/conv.yaml" -o "$T/conv.pola" 2>/dev/null; then
	secs "$T/team.pola" >"$T/a.sec"
	secs "$T/conv.pola" >"$T/b.sec"
	if grep -q seccomp "$T/a.sec" && cmp -s "$T/a.sec" "$T/b.sec"; then
		pass "convert + build: same Landlock and seccomp sections ($(wc -l <"$T/a.sec"))"
	else
		fail "convert round trip" "$(diff "$T/a.sec" "$T/b.sec" | head -c 400)"
	fi
else
	fail "convert the chain"
fi

# runmin enforces both halves on a real shell
check "a shell runs under Docker's profile + Landlock" ok sb agent /bin/sh -c "echo hi >$W/ws/a && echo ok"
check "Landlock half: write outside -> EACCES" EACCES sb agent "$PROBE" write "$W/out/file"
check "Landlock half: /etc/shadow -> EACCES" EACCES sb agent "$PROBE" read /etc/shadow
check "control: unshare without runmin" ok "$PROBE" unshare
check "profile half: unshare -> EPERM" EPERM sb agent "$PROBE" unshare
check "profile half: keyctl -> EPERM" EPERM sb agent "$PROBE" keyctl
check "profile half: vsock -> EPERM" EPERM sb agent "$PROBE" socket 40 1
check "profile half: vsock with junk in the upper half -> EPERM" EPERM sb agent "$PROBE" socket 40 1 hi
# Docker's profile allows UDP, runmin's guard refuses it whatever the
# policy says (and polc query says so too).
check "profile half: a UDP socket is refused by runmin's guard (Docker allows it)" EACCES \
	sb agent "$PROBE" socket 2 2
check "profile half: a TCP socket is allowed (not everything is refused)" ok \
	sb agent "$PROBE" socket 2 1
finish
