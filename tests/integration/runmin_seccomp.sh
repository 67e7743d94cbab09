#!/usr/bin/env bash
# runmin_seccomp.sh — system calls a stdlib-like policy denies, refused by
# the kernel under runmin: ptrace, mount, unshare, bpf, keyctl, userfaultfd,
# io_uring_setup, perf_event_open, socket(AF_PACKET / AF_NETLINK /
# AF_VSOCK) including AF_VSOCK with garbage in the upper 32 bits, x32 and
# i386 (int 0x80) system calls; and capabilities a policy keeps.  Controls
# run the same probes under a policy whose seccomp program allows
# everything, with the same kept capabilities, so each refusal is seccomp's.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/runmin/common.sh"
needs_root

# Both policies keep the capabilities that would otherwise make the kernel
# refuse some of these calls by itself (CAP_BPF, CAP_NET_RAW ...), so that
# the only difference between them is the seccomp program.
CAPS="[CAP_BPF, CAP_PERFMON, CAP_NET_RAW, CAP_SYS_PTRACE, CAP_SYS_ADMIN]"
CAPMASK=000000c000282000
policy sc <<EOF || {
polc: 1
name: runmin-seccomp
extends: [$SRC/stdlib-policies/base.yaml]
filesystem:
  exec: [$O/helpers]
  read: [/proc]
process:
  capabilities: $CAPS
EOF
	if grep -q 'E901.*not implemented' "$T/build.out"; then
		skip "$(basename "$0")" "the seccomp backend is not in this build yet"
	else
		fail "build the seccomp policy" "$(head -c 400 "$T/build.out")"
	fi
	finish
}
policy nosc <<EOF || { fail "build the control policy"; finish; }
polc: 1
name: runmin-seccomp-control
filesystem:
  exec: $SYS_EXEC
  read: [/proc]
  rules:
    - path: /dev/null
      access: [read_file, write_file]
  optional: $SYS_OPTIONAL
process:
  default: allow
  other_abis: allow
  capabilities: $CAPS
EOF
"$POLC" inspect "$T/sc.pola" | grep -q '^  seccomp' && pass "artifact has seccomp programs" ||
	fail "artifact has seccomp programs"

# Kept capabilities: exactly those, in every set, and they survive execve.
rmin sc "$PROBE" caps >"$T/caps" 2>&1
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
	expect_grep "kept capabilities only: $f" "^$f:[[:space:]]+$CAPMASK$" "$T/caps"
done
expect_grep "the policy's filter is installed" "^Seccomp:[[:space:]]+2$" "$T/caps"

# denied NAME WANT PROBE-ARGS... — WANT under the policy; the control must
# give something else, or the refusal is not seccomp's (then it is still
# checked, and reported as the kernel's own).
denied() {
	local name=$1 want=$2 ctl
	shift 2
	ctl=$(rmin nosc "$PROBE" "$@" 2>&1 | tail -n 1)
	if [ "$ctl" = "$want" ]; then
		check "$name (refused without seccomp too)" "$want" rmin sc "$PROBE" "$@"
	else
		check "$name (control: $ctl)" "$want" rmin sc "$PROBE" "$@"
	fi
}
check "ptrace a child in the sandbox" EPERM rmin sc /bin/sh -c "sleep 5 & $PROBE ptrace \$!"
check "control: ptrace a child in the sandbox" ok rmin nosc /bin/sh -c "sleep 5 & $PROBE ptrace \$!"
denied "mount" EPERM mount /mnt
denied "unshare(CLONE_NEWUSER)" EPERM unshare
denied "bpf(BPF_MAP_CREATE)" EPERM bpf
denied "keyctl" EPERM keyctl
denied "userfaultfd" EPERM userfaultfd
denied "io_uring_setup" EPERM io_uring
denied "perf_event_open" EPERM perf
denied "socket(AF_PACKET)" EPERM socket 17 3
denied "socket(AF_NETLINK)" EPERM socket 16 3
denied "socket(AF_VSOCK)" EPERM socket 40 1
denied "socket(AF_VSOCK | 1<<32)" EPERM socket 40 1 hi
check "socket(AF_INET) still allowed" ok rmin sc "$PROBE" socket 2 1
# Garbage in the upper word of a 32-bit argument: the program may compare
# the low word only (then this is AF_UNIX, allowed) or refuse a non-zero
# upper word (EPERM) — both are sound (DESIGN.md invariant 3).
got=$(rmin sc "$PROBE" socket 1 1 hi 2>&1 | tail -n 1)
case "$got" in
ok | EPERM) pass "socket(AF_UNIX | 1<<32) decided as AF_UNIX or refused ($got)" ;;
*) fail "socket(AF_UNIX | 1<<32)" "got '$got'" ;;
esac

# Other ABIs are killed (other_abis: kill): SIGSYS, status 128+31.
if [ "$(uname -m)" = x86_64 ]; then
	expect_status "x32 system call killed" 159 rmin sc "$PROBE" x32 39
	expect_status "int 0x80 (i386) system call killed" 159 rmin sc "$PROBE" int80 20
	check "control: int 0x80 without the policy's filter" ok rmin nosc "$PROBE" int80 20
else
	skip "x32 / int 0x80" "not x86_64"
fi
finish
