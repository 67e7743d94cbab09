#!/usr/bin/env bash
# openshell_import.sh — OpenShell policies through the real tools:
#   - the six real OpenShell policies (tests/data/openshell/): `polc build`
#     refuses each unenforceable field with E505 (naming it, at its line),
#     builds them with --openshell-lenient (a warning per dropped field);
#   - `polc convert` then `polc build` of its output gives the same artifact
#     sections as building the original (Landlock, seccomp, process byte for
#     byte; the net table row for row, source positions aside) — for them
#     and for every stdlib policy;
#   - what maps is enforced: an OpenShell policy written here runs a program
#     under runmin, and the kernel refuses what it does not list — before
#     and after conversion; hard_requirement makes a missing path fatal.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/runmin/common.sh"

DATA=$SRC/tests/data/openshell

# sections A.pola — one line per non-meta section: type, arch and hash, or
# for the net table its rows without source positions.
sections() {
	"$POLC" inspect "$1" --format json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sections"]:
    if s["type"] == "meta":
        continue
    if s["type"] == "nettable":
        c = s["content"]
        for r in c.get("rows", []):
            for k in ("file", "line", "col"):
                r.pop(k, None)
        print("nettable", json.dumps(c, sort_keys=True))
    else:
        print(s["type"], s["arch"], s["sha256"])'
}

# ---- the real policies ---------------------------------------------------------------
for f in "$DATA"/*.yaml; do
	n=$(basename "$f" .yaml)
	"$POLC" build "$f" -o "$T/$n.strict.pola" >"$T/out" 2>"$T/err"
	st=$?
	drops=$(grep -c 'error\[E505\]' "$T/err")
	others=$(grep -c 'error\[' "$T/err")
	if [ "$drops" = 0 ]; then
		[ "$st" = 0 ] && pass "$n: nothing to drop, builds strictly" ||
			fail "$n: strict build" "exit $st: $(head -c 300 "$T/err")"
	elif [ "$st" = 1 ] && [ "$drops" = "$others" ] && [ ! -e "$T/$n.strict.pola" ]; then
		pass "$n: strict build refuses $drops unenforceable fields (E505 only, no artifact)"
	else
		fail "$n: strict build" "exit $st, $drops E505 of $others errors"
	fi
	expect_status "$n: --openshell-lenient builds" 0 \
		"$POLC" build --openshell-lenient "$f" -o "$T/$n.pola" --sign "$T/k.sec"
	warned=$(grep -c 'warning\[E505\].*dropped' "$T/err")
	[ "$warned" = "$drops" ] && pass "$n: one warning per dropped field ($warned)" ||
		fail "$n: lenient warnings" "$warned 'dropped' warnings, $drops strict errors"

	# convert, build the YAML, compare the sections
	if "$POLC" convert --openshell-lenient "$f" -o "$T/$n.conv.yaml" 2>"$T/err" &&
		"$POLC" build "$T/$n.conv.yaml" -o "$T/$n.conv.pola" 2>"$T/err2"; then
		sections "$T/$n.pola" >"$T/a.sec"
		sections "$T/$n.conv.pola" >"$T/b.sec"
		if [ -s "$T/a.sec" ] && cmp -s "$T/a.sec" "$T/b.sec"; then
			pass "$n: convert + build gives the same sections ($(wc -l <"$T/a.sec"))"
		else
			fail "$n: round trip" "$(diff "$T/a.sec" "$T/b.sec" | head -c 600)"
		fi
		d=$(grep -c '^#   .*dropped' "$T/$n.conv.yaml")
		[ "$d" = "$drops" ] && pass "$n: converted YAML lists the $d dropped fields" ||
			fail "$n: converted header" "$d listed, $drops dropped"
	else
		fail "$n: convert/build" "$(head -c 400 "$T/err" "$T/err2" 2>/dev/null)"
	fi
done

# convert is not only for OpenShell: every stdlib policy (merged through its
# extends, with every kind of rule) converts to YAML that builds the same.
for f in "$SRC"/stdlib-policies/*.yaml; do
	n=$(basename "$f" .yaml)
	if "$POLC" build "$f" -o "$T/std-$n.pola" 2>/dev/null &&
		"$POLC" convert "$f" -o "$T/std-$n.yaml" 2>/dev/null &&
		"$POLC" build "$T/std-$n.yaml" -o "$T/std-$n.conv.pola" 2>"$T/err"; then
		sections "$T/std-$n.pola" >"$T/a.sec"
		sections "$T/std-$n.conv.pola" >"$T/b.sec"
		cmp -s "$T/a.sec" "$T/b.sec" && pass "stdlib $n: convert + build gives the same sections" ||
			fail "stdlib $n: round trip" "$(diff "$T/a.sec" "$T/b.sec" | head -c 400)"
	else
		fail "stdlib $n: convert/build" "$(head -c 300 "$T/err")"
	fi
done

# Positions and names in the diagnostics, on one file.
"$POLC" build "$DATA/sandbox-policy-quickstart.yaml" -o "$T/x.pola" 2>"$T/err"
expect_grep "E505 names the field at its line" \
	'sandbox-policy-quickstart.yaml:28:5: error\[E505\]: `network_policies.github_api.binaries`' "$T/err"
expect_grep "E505 names an L7 field" \
	':27:9: error\[E505\]: `network_policies.github_api.endpoints\[0\].access`' "$T/err"
expect_status "convert without the flag refuses too" 1 \
	"$POLC" convert "$DATA/sandbox-policy-quickstart.yaml"
expect_status "convert prints to stdout" 0 "$POLC" convert "$DATA/policy-advisor_sandbox-policy.yaml"
expect_grep "converted YAML is a polc policy" '^polc: 1$' "$T/out"
expect_grep "converted YAML keeps the endpoint" 'host: api.anthropic.com' "$T/out"

# ---- what maps is enforced by the kernel ------------------------------------------------------
D=$T/os
mkdir -p "$D/ws" "$D/out" "$D/ro"
echo data >"$D/out/file"
echo data >"$D/ro/file"
echo data >"$D/ws/f"
cp /bin/true "$D/ws/true"
cat >"$T/os.yaml" <<EOF
# An OpenShell policy: read_only executes, read_write writes and executes.
version: 1
filesystem_policy:
  include_workdir: false
  read_only: [/usr, /bin, /lib, /lib64, /sbin, /etc, $O/helpers, $D/ro, /no/such/path]
  read_write: [$D/ws, /dev/null]
landlock:
  compatibility: best_effort
EOF
expect_status "build an OpenShell policy" 0 "$POLC" build "$T/os.yaml" -o "$T/os.pola" --sign "$T/k.sec"
"$POLC" convert "$T/os.yaml" -o "$T/osc.yaml" &&
	"$POLC" build "$T/osc.yaml" -o "$T/osc.pola" --sign "$T/k.sec" >/dev/null 2>&1 ||
	fail "convert + build the OpenShell policy"
for art in os osc; do
	what="OpenShell"
	[ "$art" = osc ] && what="converted"
	check "$what: write in read_write" ok rmin "$art" "$PROBE" write "$D/ws/f"
	check "$what: create in read_write" ok rmin "$art" "$PROBE" create "$D/ws/new-$art"
	expect_status "$what: execute in read_write" 0 rmin "$art" "$D/ws/true"
	check "$what: read read_only" ok rmin "$art" "$PROBE" read "$D/ro/file"
	check "control: write outside" ok "$PROBE" write "$D/out/file"
	check "$what: write outside -> EACCES" EACCES rmin "$art" "$PROBE" write "$D/out/file"
	check "$what: write read_only -> EACCES" EACCES rmin "$art" "$PROBE" write "$D/ro/file"
	check "$what: truncate read_only -> EACCES" EACCES rmin "$art" "$PROBE" truncate "$D/ro/file"
	check "control: list /root" ok "$PROBE" readdir /root
	check "$what: list /root -> EACCES" EACCES rmin "$art" "$PROBE" readdir /root
	check "$what: read outside -> EACCES" EACCES rmin "$art" "$PROBE" read "$D/out/file"
done
test -s "$D/ro/file" && pass "read_only file intact" || fail "read_only file intact"

# hard_requirement: a missing path is fatal (OpenShell's own behaviour).
sed 's/best_effort/hard_requirement/' "$T/os.yaml" >"$T/hard.yaml"
"$POLC" build "$T/hard.yaml" -o "$T/hard.pola" --sign "$T/k.sec" >/dev/null 2>&1 ||
	fail "build the hard_requirement policy"
expect_status "hard_requirement: a missing path refuses to run" 125 rmin hard /bin/true
expect_grep "hard_requirement: the refusal names the path" 'runmin: .*/no/such/path' "$T/err"

finish
