#!/usr/bin/env bash
# rego_opa_cases.sh — OPA's own conformance cases (tests/opa-cases, copied
# unchanged from open-policy-agent/opa) through `polc opa-cases`:
#   - no case FAILs (a wrong answer or a wrong error);
#   - the number of passing cases does not drop below the recorded count;
#   - every UNSUPPORTED case names the construct and where it is;
#   - the runner reports a FAIL when an expectation is wrong (it can fail).
. "$(dirname "$0")/../lib.sh"

CASES=("$SRC"/tests/opa-cases/*/*.yaml)
want=$(cat "$SRC/tests/opa-cases/expected-pass-count")
st=0
"$POLC" opa-cases "${CASES[@]}" >"$T/out" 2>"$T/err" || st=$?
npass=$(grep -c '^PASS ' "$T/out")
nfail=$(grep -c '^FAIL ' "$T/out")
nuns=$(grep -c '^UNSUPPORTED ' "$T/out")
echo "  ($npass passed, $nfail failed, $nuns unsupported; recorded pass count $want)"
if [ "$st" = 0 ] && [ "$nfail" = 0 ]; then pass "opa-cases: no case fails"; else
	fail "opa-cases: no case fails" "exit $st; $(grep '^FAIL' "$T/out" | head -5)"
fi
if [ "$npass" -ge "$want" ]; then pass "opa-cases: pass count >= $want"; else
	fail "opa-cases: pass count >= $want" "only $npass pass"
fi
bad=$(grep '^UNSUPPORTED ' "$T/out" | grep -Ev '^UNSUPPORTED .+: [^ :]+:[0-9]+:[0-9]+: .{10,}' || true)
if [ -z "$bad" ]; then pass "opa-cases: unsupported cases name the construct and position"; else
	fail "opa-cases: unsupported cases name the construct and position" "$bad"
fi
# Every line is one of the three forms, and the summary adds up.
other=$(grep -Ev '^(PASS|FAIL|UNSUPPORTED) ' "$T/out" || true)
total=$(python3 -c 'import sys,yaml; print(sum(len(yaml.safe_load(open(f))["cases"]) for f in sys.argv[1:]))' "${CASES[@]}" 2>/dev/null || echo "$((npass + nfail + nuns))")
if [ -z "$other" ] && [ "$((npass + nfail + nuns))" = "$total" ]; then
	pass "opa-cases: one line per case ($total)"
else
	fail "opa-cases: one line per case" "$total cases, $((npass + nfail + nuns)) lines; other: $other"
fi

# A deliberately wrong expectation must FAIL (exit 1), not pass.
cat >"$T/wrong.yaml" <<'YAML'
cases:
  - note: wrong/expectation
    query: data.t.p = x
    modules:
      - |
        package t

        p := 1
    want_result:
      - x: 2
YAML
expect_status "opa-cases: a wrong expectation fails" 1 "$POLC" opa-cases "$T/wrong.yaml"
expect_grep "opa-cases: the FAIL line says why" '^FAIL wrong/expectation: want' "$T/out"
expect_status "opa-cases: not a case file" 2 "$POLC" opa-cases "$SRC/tests/data/rego/equiv/data.json"
finish
