#!/usr/bin/env bash
# colour_verbose.sh — polc uses colour only on a terminal and never with
# NO_COLOR, for every command that prints diagnostics (each run on a real
# pseudo-terminal, with a control through a pipe); `polc -v build` reports
# progress and timing per phase; `-v` adds nothing to --format json output.
. "$(dirname "$0")/../lib.sh"
PROBE=$O/helpers/probe
[ -x "$PROBE" ] || { fail "colour_verbose" "build first: make O=... all helpers"; finish; }

cat >"$T/bad.yaml" <<'EOF2'
polc: 1
name: bad
filesystem:
  read: [relative/path]
EOF2
cat >"$T/ok.yaml" <<'EOF2'
polc: 1
name: ok
extends: [base]
filesystem:
  write: [/tmp/polc-colour-test]
EOF2
printf 'tests:\n  - name: x\n    syscall: ptrace\n    expect: allow\n' >"$T/t.yaml"
ESC=$(printf '\033')

# Each command that prints compiler diagnostics to stderr.
cmds=("build bad.yaml -o x.pola" "lint bad.yaml" "test bad.yaml t.yaml" "convert bad.yaml"
	"query bad.yaml syscall read" "diff bad.yaml ok.yaml")
for c in "${cmds[@]}"; do
	# shellcheck disable=SC2086
	(cd "$T" && env -u NO_COLOR "$PROBE" pty "$POLC" $c) >"$T/tty.out" 2>&1
	# lint prints its findings in its own plain format (no colour at all).
	if [ "${c%% *}" = lint ]; then :; elif grep -q "$ESC\[" "$T/tty.out"; then
		pass "polc $c: colour on a terminal"
	else
		fail "polc $c: colour on a terminal" "$(head -c 200 "$T/tty.out")"
	fi
	(cd "$T" && NO_COLOR=1 "$PROBE" pty "$POLC" $c) >"$T/tty.out" 2>&1
	grep -q "$ESC" "$T/tty.out" && fail "polc $c: NO_COLOR on a terminal" "escape found" ||
		pass "polc $c: no colour with NO_COLOR, even on a terminal"
	(cd "$T" && env -u NO_COLOR "$POLC" $c) >"$T/pipe.out" 2>&1
	grep -q "$ESC" "$T/pipe.out" && fail "polc $c: through a pipe" "escape found" ||
		pass "polc $c: no colour through a pipe"
	grep -q 'E200' "$T/pipe.out" && pass "polc $c: the diagnostic is there" ||
		fail "polc $c: the diagnostic is there" "$(head -c 200 "$T/pipe.out")"
done

# -v: progress and timing, per phase, on stderr; stdout untouched.
"$POLC" keygen -p "$T/k.pub" -s "$T/k.sec" >/dev/null 2>&1
(cd "$T" && "$POLC" -v build ok.yaml -o ok.pola --sign k.sec) >"$T/v.out" 2>"$T/v.err"
expect_grep "-v build: loading, with the number of files and rules" \
	'^polc build: loaded 1 input \(2 files with extends\): [0-9]+ rules, [0-9.]+ ms$' "$T/v.err"
expect_grep "-v build: compile and verify time" '^polc build: compiled and verified: [0-9]+ bytes, [0-9.]+ ms$' "$T/v.err"
expect_grep "-v build: signing time" '^polc build: signed with k.sec, [0-9.]+ ms$' "$T/v.err"
expect_grep "-v build: the total" '^polc build: ok.pola: [0-9]+ bytes, [0-9]+ rules, [0-9.]+ ms in all, signed$' "$T/v.err"
[ ! -s "$T/v.out" ] && pass "-v build writes nothing to stdout" || fail "-v build stdout" "$(head -c 200 "$T/v.out")"
(cd "$T" && "$POLC" build ok.yaml -o ok2.pola) >"$T/q.out" 2>"$T/q.err"
[ ! -s "$T/q.out" ] && [ ! -s "$T/q.err" ] && pass "without -v a clean build prints nothing" ||
	fail "quiet build" "$(head -c 200 "$T/q.err")"
(cd "$T" && "$POLC" -v inspect ok.pola --format json) >"$T/j.out" 2>/dev/null
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/j.out" && pass "-v leaves --format json output pure JSON" ||
	fail "-v with --format json"
finish
