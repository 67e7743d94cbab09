#!/usr/bin/env bash
# stdlib_base.sh — stdlib-policies/base.yaml under runmin: a dynamically
# linked program starts, runs and writes where the policy on top allows;
# the obvious escapes fail (writes outside, secrets, ptrace, namespaces,
# UDP/netlink/vsock sockets, setuid files, the host's loopback services);
# its polc test file passes.
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
finish
