#!/usr/bin/env bash
# runmin_isolation.sh — what the sandboxed program cannot do to the rest of
# the system: signal or ptrace processes outside (Landlock scopes and
# domains), connect to abstract UNIX sockets outside, inject input into the
# terminal (TIOCSTI), keep or regain capabilities (bounding/ambient sets,
# no_new_privs against a setuid binary).  Every refusal has a control run
# without runmin that succeeds.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/runmin/common.sh"
needs_root

D=$T/iso
mkdir -p "$D/suid"
policy iso <<EOF || { fail "build iso policy"; finish; }
polc: 1
name: runmin-isolation
filesystem:
  exec: [/usr, /bin, /sbin, /lib, /lib64, $O/helpers, $D/suid]
  read: [/proc]
  rules:
    - path: /dev/null
      access: [read_file, write_file]
  optional: $SYS_OPTIONAL
EOF

# ---- signals and ptrace outside the sandbox ------------------------------------------
sleep 60 &
victim=$!
check "control: signal a process" ok "$PROBE" kill "$victim" 0
check "signal a process outside the sandbox" EPERM rmin iso "$PROBE" kill "$victim" 0
check "SIGTERM a process outside the sandbox" EPERM rmin iso "$PROBE" kill "$victim" 15
check "signal runmin's own parent" EPERM rmin iso /bin/sh -c "$PROBE kill \$PPID 0"
check "signal a process inside the sandbox" ok rmin iso /bin/sh -c \
	"sleep 5 & $PROBE kill \$! 15"
kill -0 "$victim" 2>/dev/null && pass "the outside process survived" || fail "the outside process survived"
check "control: ptrace a process" ok "$PROBE" ptrace "$victim"
check "ptrace a process outside the sandbox" EPERM rmin iso "$PROBE" ptrace "$victim"
kill "$victim" 2>/dev/null
wait "$victim" 2>/dev/null

# ---- abstract UNIX sockets -------------------------------------------------------------
name=polc-test-$$-$RANDOM
"$PROBE" abstract-serve "$name" 20 >"$D/serve.out" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q ready "$D/serve.out" 2>/dev/null && break; sleep 0.1; done
check "control: connect to an abstract socket" ok "$PROBE" abstract-connect "$name"
# Abstract sockets live in a network namespace, and runmin gives the agent
# a new one: the outside socket is not even visible (ECONNREFUSED), before
# Landlock's abstract-socket scope (EPERM) would have to refuse it.
check "connect to an abstract socket outside the sandbox" ECONNREFUSED \
	rmin iso "$PROBE" abstract-connect "$name"
check "abstract sockets inside the sandbox still work" ok rmin iso /bin/sh -c \
	"$PROBE abstract-serve $name-in 5 >/dev/null & sleep 0.3; $PROBE abstract-connect $name-in"
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null

# ---- terminal input injection ------------------------------------------------------------
if [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)" = 1 ]; then
	check "control: TIOCSTI on the controlling terminal" ok "$PROBE" pty "$PROBE" tiocsti
else
	skip "control: TIOCSTI" "dev.tty.legacy_tiocsti=0: the kernel refuses it to everyone"
fi
check "TIOCSTI on the controlling terminal" EPERM \
	"$PROBE" pty "$RUNMIN" -a "$T/iso.pola" -p "$T/k.pub" -- "$PROBE" tiocsti

# ---- capabilities ----------------------------------------------------------------------
"$PROBE" caps >"$D/caps.control"
grep -q '^CapEff:[[:space:]]*0*$' "$D/caps.control" &&
	fail "control: root has capabilities" "$(cat "$D/caps.control")" ||
	pass "control: root has capabilities"
rmin iso "$PROBE" caps >"$D/caps" 2>&1
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
	expect_grep "$f empty after exec" "^$f:[[:space:]]+0+$" "$D/caps"
done
expect_grep "no_new_privs set" "^NoNewPrivs:[[:space:]]+1$" "$D/caps"
expect_grep "still root, but powerless" "^euid 0$" "$D/caps"
check "mount without capabilities" EPERM rmin iso "$PROBE" mount /mnt

# ---- another identity ------------------------------------------------------------------
rmin_as() { "$RUNMIN" --uid 65534 --gid 65534 -a "$T/iso.pola" -p "$T/k.pub" -- "$@"; }
rmin_as "$PROBE" caps >"$D/ids" 2>&1
expect_grep "--uid: runs as that user" "^euid 65534$" "$D/ids"
expect_grep "--uid: no capability left" "^CapPrm:[[:space:]]+0+$" "$D/ids"
got=$(rmin_as /bin/sh -c 'id -u; id -g; id -G' 2>&1 | tr '\n' ' ')
[ "$got" = "65534 65534 65534 " ] && pass "--gid: that group only, no supplementary groups" ||
	fail "--gid: that group only" "id says: $got"

# ---- setuid binaries gain nothing ------------------------------------------------------
cp "$PROBE" "$D/suid/probe"
chown root:root "$D/suid/probe"
chmod 4755 "$D/suid/probe"
chmod 0644 "$T/iso.pola" "$T/iso.pola.minisig" "$T/k.pub"
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if asnobody "$D/suid/probe" caps >"$D/suid.control" 2>&1 && grep -q '^euid 0$' "$D/suid.control"; then
	pass "control: the setuid binary makes nobody root"
	asnobody "$RUNMIN" -a "$T/iso.pola" -p "$T/k.pub" -- "$D/suid/probe" caps >"$D/suid.out" 2>&1
	expect_grep "setuid binary under runmin stays nobody" "^euid 65534$" "$D/suid.out"
	expect_grep "setuid binary under runmin gains no capability" "^CapEff:[[:space:]]+0+$" "$D/suid.out"
	expect_grep "runmin as nobody sets no_new_privs" "^NoNewPrivs:[[:space:]]+1$" "$D/suid.out"
	check "runmin as nobody enforces Landlock too" EACCES \
		asnobody "$RUNMIN" -a "$T/iso.pola" -p "$T/k.pub" -- "$PROBE" read /etc/hostname
else
	skip "setuid binaries" "the setuid control did not become root ($(head -c 200 "$D/suid.control")): nosuid mount?"
fi

finish
