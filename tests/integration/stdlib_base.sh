#!/usr/bin/env bash
# stdlib_base.sh — stdlib-policies/base.yaml under runmin: a dynamically
# linked program starts, runs and writes where the policy on top allows;
# the obvious escapes fail (writes outside, secrets, ptrace, namespaces,
# UDP/netlink/vsock/UNIX sockets, setuid files, the host's loopback
# services); its polc test file passes.  And unix-sockets, the opt-in, does
# make a daemon's socket reachable.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

expect_status "polc test base" 0 "$POLC" test "$SRC/stdlib-policies/base.yaml" \
	"$SRC/stdlib-policies/tests/base.test.yaml"
expect_status "polc lint base (warnings count)" 0 "$POLC" lint --fail-level warning \
	"$SRC/stdlib-policies/base.yaml"
stdlib base || finish

check "a dynamically linked program runs" hello sb base /bin/echo hello
check "it can look up its user (nsswitch, passwd)" root sb base /usr/bin/id -un
check "it reads time zone data" UTC sb base /bin/date -u +%Z
expect_status "a shell writes the workspace" 0 sb base /bin/sh -c "echo hi >$W/ws/a && cat $W/ws/a"
check "a shell pipeline" 3 sb base /bin/sh -c "printf 'a\nb\nc\n' | /usr/bin/wc -l"
check "threads and posix_spawn work (clone3 falls back to clone)" ok sb base "$O/helpers/stdlib_threads"
check "/dev/null and /dev/urandom" 16 sb base /bin/sh -c "head -c 16 /dev/urandom >/dev/null; head -c 16 /dev/zero | wc -c"
expect_status "no write to /tmp under base alone" 2 sb base /bin/sh -c "echo x >/tmp/polc-base-$$"
test -e "/tmp/polc-base-$$" && fail "the /tmp file exists" || pass "nothing written to /tmp"
escapes base

# unix-sockets, the opt-in: the same daemon socket is reachable again — which
# is why it is only for a sandbox run as its own user.
expect_status "polc test unix-sockets" 0 "$POLC" test "$SRC/stdlib-policies/unix-sockets.yaml" \
	"$SRC/stdlib-policies/tests/unix-sockets.test.yaml"
stdlib unix-sockets || finish
exec 9< <(exec /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
print("ready", flush=True)
s.settimeout(30)
try:
    while True:
        c, _ = s.accept(); c.close()
except Exception:
    pass' "$W/daemon/sock2")
lpid=$!
read -r _ <&9
check "unix-sockets: a daemon's socket file is reachable (as documented)" ok \
	sb unix-sockets "$O/helpers/stdlib_unix" "$W/daemon/sock2"
check "unix-sockets: still no UDP" EPERM sb unix-sockets "$PROBE" socket 2 2
exec 9<&-
kill "$lpid" 2>/dev/null
finish
