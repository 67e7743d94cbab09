#!/usr/bin/env bash
# lint_catalogue.sh — the lint rule catalogue and its documentation agree:
#   - lint/README.md is exactly `polc lint --rules --format markdown`;
#   - every rule has two golden cases, tests/golden/lint-<name> whose
#     expected output reports the rule (or, for the three rules the front
#     end or network backend refuses first, that error) and exits non-zero,
#     and tests/golden/lint-<name>-clean whose output never names the rule
#     and exits 0.
. "$(dirname "$0")/../lib.sh"

if "$POLC" lint --rules --format markdown | diff -u "$SRC/lint/README.md" - >"$T/readme.diff"; then
	pass "lint/README.md matches the catalogue"
else
	fail "lint/README.md matches the catalogue" "regenerate: polc lint --rules --format markdown > lint/README.md; $(head -20 "$T/readme.diff")"
fi

"$POLC" lint --rules --format json >"$T/rules.json"
python3 - "$T/rules.json" "$SRC/tests/golden" >"$T/check" 2>&1 <<'PY'
import json, os, sys
rules = json.load(open(sys.argv[1]))
gold = sys.argv[2]
stand_in = {"L401": "E400", "L402": "E402", "L403": "E400"}
bad = []
for r in rules:
    want = stand_in.get(r["id"], r["id"])
    for case, clean in (("lint-%s" % r["name"], False), ("lint-%s-clean" % r["name"], True)):
        p = os.path.join(gold, case, "expected")
        if not os.path.exists(p):
            bad.append("%s: missing %s" % (r["id"], case)); continue
        text = open(p).read()
        status = text.rstrip().rsplit("\n", 1)[-1]
        if clean:
            if r["id"] in text or status != "exit 0":
                bad.append("%s: %s names the rule or fails (%s)" % (r["id"], case, status))
        elif ("[%s" % want) not in text or status == "exit 0":
            bad.append("%s: %s does not report [%s (%s)" % (r["id"], case, want, status))
print("\n".join(bad) if bad else "ok %d rules" % len(rules))
sys.exit(1 if bad else 0)
PY
if [ $? -eq 0 ]; then pass "every rule has a triggering and a clean golden case"; else
	fail "every rule has a triggering and a clean golden case" "$(cat "$T/check")"
fi
finish
