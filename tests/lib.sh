# tests/lib.sh — helpers for integration test scripts (sourced).
# Each check appends one line to $RESULTS ("pass NAME" / "fail NAME" /
# "skip NAME: why"); tests/run totals them.  A script's exit status is
# non-zero when any of its checks failed.
set -u
: "${O:=build}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
case "$O" in /*) ;; *) O="$SRC/$O" ;; esac
POLC="$O/polc"
RUNMIN="$O/runmin"
: "${RESULTS:=/dev/null}"
T=$(mktemp -d "${TMPDIR:-/tmp}/polc-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
_failed=0

pass() { echo "  ok   $1"; echo "pass $1" >>"$RESULTS"; }
fail() { echo "  FAIL $1${2:+: $2}"; echo "fail $1" >>"$RESULTS"; _failed=1; }
skip() { echo "  skip $1: $2"; echo "skip $1" >>"$RESULTS"; }

# expect_status NAME WANT CMD... — run CMD, check its exit status.
expect_status() {
	local name=$1 want=$2
	shift 2
	local got=0
	"$@" >"$T/out" 2>"$T/err" || got=$?
	if [ "$got" = "$want" ]; then pass "$name"; else
		fail "$name" "exit $got, want $want; stderr: $(head -c 400 "$T/err")"
	fi
}

# expect_grep NAME PATTERN FILE — FILE contains PATTERN (grep -E).
expect_grep() {
	if grep -Eq -- "$2" "$3"; then pass "$1"; else
		fail "$1" "no match for /$2/ in: $(head -c 400 "$3")"
	fi
}

finish() { exit "$_failed"; }
