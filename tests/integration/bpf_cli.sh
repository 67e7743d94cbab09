#!/usr/bin/env bash
# bpf_cli.sh — the seccomp backend through the command line: polc query
# answers from the artifact's program (rules named with their positions,
# other ABIs, clone3, the socket upper-bits bypass), polc inspect (text and
# JSON disassembly), polc export --format bpf run by the kernel through
# bubblewrap (`bwrap --seccomp FD`), polc export --format oci re-imported
# with the same decisions, Docker's profile, OCI diagnostics, the
# 4096-instruction limit from a YAML policy, and byte-identical rebuilds.
. "$(dirname "$0")/../lib.sh"

cat >"$T/p.yaml" <<'EOF'
polc: 1
name: bpf-cli
process:
  default: errno EPERM
  allow: [read, write, exit_group, getpid]
  deny: [ptrace]
  rules:
    - syscalls: [socket]
      args:
        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}
      action: allow
    - syscalls: [clone]
      args:
        - {index: 0, op: masked_eq, mask: CLONE_NEWUSER, value: 0}
      action: allow
EOF
expect_status "build a YAML policy" 0 "$POLC" build "$T/p.yaml" -o "$T/p.pola"

# q NAME WANT-EXIT WANT-TEXT QUERY-ARGS...
q() {
	local name=$1 want=$2 text=$3
	shift 3
	local got=0
	"$POLC" query "$T/p.pola" syscall "$@" >"$T/q.out" 2>&1 || got=$?
	if [ "$got" = "$want" ] && grep -Eq -- "$text" "$T/q.out"; then pass "query: $name"; else
		fail "query: $name" "exit $got, output: $(head -c 300 "$T/q.out")"
	fi
}
q "read is allowed by its rule" 0 '^allow  \(rule #[0-9]+: allow read at .*p\.yaml:5:' read
q "getppid gets the default" 1 '^errno EPERM  \(default\)' getppid
q "ptrace is denied by its rule" 1 '^errno EPERM  \(rule #[0-9]+: errno EPERM ptrace at .*p\.yaml:6:' ptrace
q "socket(AF_UNIX)" 0 '^allow  \(rule #[0-9]+: allow socket if arg0 in 1,2' socket 1 1 0
q "socket(AF_VSOCK)" 1 '^errno EPERM' socket 40 1 0
q "socket(AF_VSOCK | junk << 32) is AF_VSOCK" 1 '^errno EPERM' socket 0x100000028 1 0
q "socket(AF_UNIX | junk << 32) is AF_UNIX" 0 '^allow' socket 0x100000001 1 0
q "clone without CLONE_NEWUSER" 0 '^allow' clone 0x3d0f00
q "clone with CLONE_NEWUSER" 1 '^errno EPERM' clone 0x10000000
q "clone3 is ENOSYS (glibc falls back to clone)" 1 '^errno ENOSYS' clone3
q "i386 is killed (other_abis)" 1 '^kill' read --arch i386
q "x32 is killed (other_abis)" 1 '^kill' read --arch x32
q "aarch64 program" 0 '^allow' read --arch aarch64
q "unknown syscall is an error" 2 'no system call' not_a_syscall

"$POLC" inspect "$T/p.pola" >"$T/inspect.out" 2>&1
expect_grep "inspect: x86_64 program header" '^seccomp x86_64 \(arch 0xc000003e\): [0-9]+ instructions' "$T/inspect.out"
expect_grep "inspect: arch check first" '^ +0  ld   \[4\] +; arch' "$T/inspect.out"
expect_grep "inspect: RET names its rule" 'ret  allow +; rule #[0-9]+ allow socket if arg0 in 1,2 \(.*p\.yaml:[0-9]+:[0-9]+\)' "$T/inspect.out"
expect_grep "inspect: the clone3 rule is explained" 'implicit: clone3 -> ENOSYS' "$T/inspect.out"
if "$POLC" inspect "$T/p.pola" --format json >"$T/inspect.json" 2>"$T/err" &&
	jq -e '[.sections[] | select(.type == "seccomp") | .content.program | length] | all(. > 5)' \
		"$T/inspect.json" >/dev/null; then
	pass "inspect --format json has both programs"
else
	fail "inspect --format json has both programs" "$(head -c 300 "$T/err")"
fi

# Raw BPF for bubblewrap: the kernel runs it.
expect_status "export --format bpf" 0 "$POLC" export "$T/p.pola" --format bpf --arch x86_64 -o "$T/p.bpf"
n=$(jq '[.sections[] | select(.type == "seccomp" and .arch == 3221225534) | .content.instructions][0]' "$T/inspect.json")
if [ "$(stat -c %s "$T/p.bpf")" = "$((n * 8))" ]; then pass "export: 8 bytes per instruction"; else
	fail "export: 8 bytes per instruction" "size $(stat -c %s "$T/p.bpf"), $n instructions"
fi
expect_status "export: i386 is not a program of its own" 2 "$POLC" export "$T/p.pola" --format bpf --arch i386 -o "$T/x.bpf"
if command -v bwrap >/dev/null && bwrap --ro-bind / / true 2>/dev/null; then
	# A program that only needs what the policy allows is not enough to
	# exec (execve is denied): run the base stdlib policy instead, whose
	# filter lets a shell run, and check what it refuses.
	"$POLC" build "$SRC/stdlib-policies/base.yaml" -o "$T/base.pola" >"$T/err" 2>&1 &&
		"$POLC" export "$T/base.pola" --format bpf -o "$T/base.bpf" >>"$T/err" 2>&1 ||
		fail "build and export base" "$(head -c 300 "$T/err")"
	if bwrap --ro-bind / / --dev /dev --seccomp 9 /bin/sh -c 'echo ok' 9<"$T/base.bpf" >"$T/bw.out" 2>&1 &&
		grep -q '^ok$' "$T/bw.out"; then
		pass "bwrap --seccomp runs a shell under the exported filter"
	else
		fail "bwrap --seccomp runs a shell under the exported filter" "$(head -c 300 "$T/bw.out")"
	fi
	if bwrap --ro-bind / / --dev /dev --seccomp 9 /usr/bin/python3 -c '
import ctypes, errno, socket
try:
    socket.socket(40, socket.SOCK_STREAM)
    print("vsock allowed")
except OSError as e:
    print("vsock", errno.errorcode[e.errno])
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x10000000) == 0:
    print("unshare allowed")
else:
    print("unshare", errno.errorcode[ctypes.get_errno()])
' 9<"$T/base.bpf" >"$T/bw.out" 2>&1; then
		expect_grep "bwrap: the kernel refuses AF_VSOCK" '^vsock EPERM$' "$T/bw.out"
		expect_grep "bwrap: the kernel refuses unshare" '^unshare EPERM$' "$T/bw.out"
	else
		skip "bwrap: python3 probes" "python3 could not run under the filter: $(head -c 200 "$T/bw.out")"
	fi
else
	skip "bwrap --seccomp" "bubblewrap is missing or cannot run here"
fi

# OCI export, re-imported: the same decisions.
expect_status "export --format oci" 0 "$POLC" export "$T/p.pola" --format oci -o "$T/p.oci.json"
expect_status "the exported profile builds" 0 "$POLC" build "$T/p.oci.json" -o "$T/p2.pola"
same=1
while read -r args; do
	# shellcheck disable=SC2086
	a=$("$POLC" query "$T/p.pola" syscall $args 2>&1 | cut -d' ' -f1-2)
	# shellcheck disable=SC2086
	b=$("$POLC" query "$T/p2.pola" syscall $args 2>&1 | cut -d' ' -f1-2)
	[ "$a" = "$b" ] || { same=0; echo "    differs: $args: $a / $b"; }
done <<'EOF'
read
getppid
ptrace
socket 1
socket 2
socket 10
socket 0x100000028
socket 0x100000001
clone 0x3d0f00
clone 0x10000000
clone 0x110000000
clone3
read --arch i386
getpid --arch aarch64
EOF
[ $same = 1 ] && pass "OCI export re-imported decides the same" || fail "OCI export re-imported decides the same"

# Docker's default profile.
DOCKER=${DOCKER_PROFILE:-$SRC/../shared/data/docker-default-seccomp.json}
if [ -f "$DOCKER" ]; then
	expect_status "build Docker's profile" 0 "$POLC" build "$DOCKER" -o "$T/docker.pola"
	# socket 2 1: Docker allows AF_INET; socket 2 2: but runmin's guard
	# refuses UDP whatever the profile says, and polc query answers so.
	for c in "socket 40:1" "socket 0x100000028:1" "socket 2 1:0" "socket 2 2:1" "personality 0xffffffff:0" \
		"mount:1" "clone3:1" "read --arch i386:0" "arch_prctl --arch x32:0"; do
		args=${c%:*} want=${c##*:} got=0
		# shellcheck disable=SC2086
		"$POLC" query "$T/docker.pola" syscall $args >"$T/q.out" 2>&1 || got=$?
		[ "$got" = "$want" ] && pass "docker: $args" || fail "docker: $args" "exit $got: $(cat "$T/q.out")"
	done
else
	skip "Docker's profile" "$DOCKER not found"
fi

# OCI diagnostics point into the file.
printf '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOPE"}]\n}\n' >"$T/bad.json"
expect_status "a bad OCI profile is refused" 1 "$POLC" build "$T/bad.json" -o "$T/bad.pola"
expect_grep "OCI diagnostic with line and column" 'bad\.json:3:46: error\[E301\]: unknown action `SCMP_ACT_NOPE`' "$T/err"
[ ! -e "$T/bad.pola" ] && pass "nothing written for a bad profile" || fail "nothing written for a bad profile"

# The kernel's limit, from a policy: an error, not a truncated program.
{
	printf 'polc: 1\nname: huge\nprocess:\n  default: errno EPERM\n  rules:\n'
	for i in $(seq 1 1500); do
		printf '    - {syscalls: [getpid], args: [{index: 0, op: eq, value: %d}], action: allow}\n' $((i * 4294967297))
	done
} >"$T/huge.yaml"
expect_status "a policy over 4096 instructions is refused" 1 "$POLC" build "$T/huge.yaml" -o "$T/huge.pola"
expect_grep "E304 with the kernel's limit" 'error\[E304\]: the x86_64 program needs [0-9]+ instructions; the kernel accepts at most 4096' "$T/err"

# Invariant 1: byte-identical rebuilds.
"$POLC" build "$T/p.yaml" -o "$T/again.pola" >/dev/null 2>&1
cmp -s "$T/p.pola" "$T/again.pola" && pass "rebuild is byte-identical" || fail "rebuild is byte-identical"
finish
