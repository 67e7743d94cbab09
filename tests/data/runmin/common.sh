# tests/data/runmin/common.sh — shared set-up for tests/integration/runmin_*.sh
# (sourced after tests/lib.sh).  Provides:
#   PROBE            the escape-attempt helper (tests/helpers/probe.c)
#   $T/k.pub/k.sec   a signing key pair made for this run
#   policy NAME      reads a policy from stdin into $T/NAME.yaml and builds
#                    the signed artifact $T/NAME.pola (fails the test if not)
#   rmin NAME CMD..  runs CMD under runmin with $T/NAME.pola and the test key
#   check NAME WANT CMD..  runs CMD, compares its stdout (one line) with WANT
#   needs_root       skips the rest of the script unless running as root
PROBE="$O/helpers/probe"
if [ ! -x "$PROBE" ] || [ ! -x "$RUNMIN" ] || [ ! -x "$POLC" ]; then
	fail "$(basename "$0")" "build first: make O=... all helpers"
	finish
fi
# Children of the test must be able to reach $T when running as nobody.
chmod 0755 "$T"
"$POLC" keygen -p "$T/k.pub" -s "$T/k.sec" >/dev/null 2>&1 || {
	fail "$(basename "$0") keygen" "polc keygen failed"
	finish
}

policy() {
	local name=$1
	cat >"$T/$name.yaml"
	if ! "$POLC" build "$T/$name.yaml" -o "$T/$name.pola" --sign "$T/k.sec" >"$T/build.out" 2>&1; then
		echo "    polc build $name failed: $(head -c 600 "$T/build.out")"
		return 1
	fi
}

rmin() {
	local name=$1
	shift
	"$RUNMIN" -a "$T/$name.pola" -p "$T/k.pub" -- "$@"
}

# check NAME WANT CMD... — CMD's stdout (CRs dropped, last line) must be WANT.
check() {
	local name=$1 want=$2 got
	shift 2
	got=$("$@" 2>"$T/check.err" | tr -d '\r' | tail -n 1)
	if [ "$got" = "$want" ]; then pass "$name"; else
		fail "$name" "got '$got', want '$want'; stderr: $(head -c 300 "$T/check.err")"
	fi
}

needs_root() {
	if [ "$(id -u)" != 0 ]; then
		skip "$(basename "$0")" "needs root (capabilities, setuid, another uid)"
		finish
	fi
}

# Exec paths every test policy needs: the system and the probe helper.
SYS_EXEC="[/usr, /bin, /sbin, /lib, /lib64, $O/helpers]"
SYS_OPTIONAL="[/lib64, /bin, /sbin, /lib]"
