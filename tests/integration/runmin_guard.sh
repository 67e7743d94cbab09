#!/usr/bin/env bash
# runmin_guard.sh — runmin's own seccomp filter (the guard), which applies
# whatever the policy says: no socket but AF_UNIX and TCP (so no UDP, raw,
# packet, netlink, vsock, SCTP, MPTCP), no io_uring, no TIOCSTI (checked in
# runmin_isolation.sh), on every ABI.  The policies here have no process
# section, so only the guard can refuse.  Then --no-netns: no network
# namespace, the network denied by Landlock and the guard instead.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/runmin/common.sh"
needs_root

policy fsonly <<EOF || { fail "build fsonly policy"; finish; }
polc: 1
name: runmin-guard
filesystem:
  exec: $SYS_EXEC
  optional: $SYS_OPTIONAL
EOF

# refused NAME ERRNO ARGS...: the probe's attempt is refused with ERRNO
# under runmin; without runmin (the control) it is not refused that way.
refused() {
	local name=$1 want=$2 ctl
	shift 2
	ctl=$("$PROBE" "$@" 2>&1 | tail -n 1)
	if [ "$ctl" = "$want" ] || [ -z "$ctl" ]; then
		fail "control: $name" "without runmin: '$ctl'"
	else
		pass "control: $name ($ctl without runmin)"
	fi
	check "$name" "$want" rmin fsonly "$PROBE" "$@"
}

refused "UDP socket" EACCES socket 2 2
refused "UDP socket, IPv6" EACCES socket 10 2
refused "raw IP socket" EACCES socket 2 3
refused "SCTP over a stream socket" EACCES socket 2 1 132
refused "MPTCP" EACCES socket 2 1 262
refused "packet socket" EACCES socket 17 3
refused "packet socket, domain with upper bits" EACCES socket 17 3 hi
refused "netlink socket" EACCES socket 16 3
refused "vsock socket" EACCES socket 40 1
refused "io_uring_setup" EPERM io_uring
if [ "$(uname -m)" = x86_64 ]; then
	# socket(0, 0, 0) on the other ABIs: the kernel would say EAFNOSUPPORT.
	refused "x32 socket" EACCES x32 41
	refused "i386 socket" EACCES int80 359
	refused "i386 socketcall (arguments out of a filter's reach)" EACCES int80 102
fi
check "TCP socket allowed" ok rmin fsonly "$PROBE" socket 2 1
check "TCP socket, protocol IPPROTO_TCP" ok rmin fsonly "$PROBE" socket 2 1 6
check "TCP socket, IPv6" ok rmin fsonly "$PROBE" socket 10 1
check "UNIX socket allowed" ok rmin fsonly "$PROBE" socket 1 1

# --no-netns: the host's namespace, so a listener and an abstract socket
# outside are there to be reached; runmin must refuse both.
/usr/bin/python3 - >"$T/listen.out" 2>&1 <<'EOP' &
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0)) # a port the kernel picks: one chosen ahead may be taken
s.listen()
print("ready", s.getsockname()[1], flush=True)
time.sleep(60)
EOP
lpid=$!
abs="polc-guard-$$"
"$PROBE" abstract-serve "$abs" 60 >"$T/abs.out" 2>&1 &
apid=$!
trap 'kill $lpid $apid 2>/dev/null' EXIT
ready=0
for _ in $(seq 300); do # long: a loaded machine starts python slowly
	grep -q ready "$T/listen.out" 2>/dev/null && grep -q ready "$T/abs.out" 2>/dev/null &&
		{ ready=1; break; }
	sleep 0.1
done
[ "$ready" = 1 ] || fail "listeners outside the sandbox" "not ready in 30 s"
port=$(awk '$1 == "ready" {print $2; exit}' "$T/listen.out")
check "control: TCP connect to a host listener" ok "$PROBE" tcp-connect "$port"
check "control: abstract socket outside" ok "$PROBE" abstract-connect "$abs"
check "network namespace: the host listener is not there" ECONNREFUSED \
	rmin fsonly "$PROBE" tcp-connect "$port"
check "--no-netns: TCP connect to a host listener" EACCES \
	"$RUNMIN" --no-netns -a "$T/fsonly.pola" -p "$T/k.pub" -- "$PROBE" tcp-connect "$port"
check "--no-netns: TCP bind" EACCES \
	"$RUNMIN" --no-netns -a "$T/fsonly.pola" -p "$T/k.pub" -- "$PROBE" tcp-bind "$((port + 1))"
check "--no-netns: abstract socket outside" EPERM \
	"$RUNMIN" --no-netns -a "$T/fsonly.pola" -p "$T/k.pub" -- "$PROBE" abstract-connect "$abs"
check "--no-netns: UNIX socket allowed" ok \
	"$RUNMIN" --no-netns -a "$T/fsonly.pola" -p "$T/k.pub" -- "$PROBE" socket 1 1
check "control: read /etc/passwd" ok "$PROBE" read /etc/passwd
check "--no-netns: Landlock still refuses reads outside the policy" EACCES \
	"$RUNMIN" --no-netns -a "$T/fsonly.pola" -p "$T/k.pub" -- "$PROBE" read /etc/passwd

policy withnet <<EOF || { fail "build withnet policy"; finish; }
polc: 1
name: runmin-guard-net
filesystem:
  exec: $SYS_EXEC
  optional: $SYS_OPTIONAL
network:
  bind: [$port]
EOF
expect_status "--no-netns refuses a policy with a network section" 125 \
	"$RUNMIN" --no-netns -a "$T/withnet.pola" -p "$T/k.pub" -- /bin/true
expect_grep "... and says why" "^runmin: --no-netns: .*has a network section" "$T/err"
finish
