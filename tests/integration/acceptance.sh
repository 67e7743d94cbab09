#!/usr/bin/env bash
# The foundation issue's acceptance points, end to end on the real CLI:
# every example policy builds and signs, minisign verifies the signature,
# inspect --format json is valid JSON, and a policy with three mistakes
# reports all three at their positions.
. "$(dirname "$0")/../lib.sh"
cd "$T"
"$POLC" keygen -p k.pub -s k.key >/dev/null 2>&1 || fail "keygen"
for y in "$SRC"/examples/*.yaml; do
	n=$(basename "$y" .yaml)
	expect_status "build --sign examples/$n.yaml" 0 "$POLC" build "$y" -o "$n.pola" --sign k.key
	expect_status "minisign -Vm $n.pola" 0 minisign -Vm "$n.pola" -p k.pub
	if "$POLC" inspect "$n.pola" --format json | python3 -c 'import json,sys; json.load(sys.stdin)' 2>"$T/err"; then
		pass "inspect --format json of $n.pola is valid JSON"
	else
		fail "inspect --format json of $n.pola is valid JSON" "$(head -c 300 "$T/err")"
	fi
done

cat >three.yaml <<'Y'
polc: 1
name: three
filesystem:
  write: [relative/path]
process:
  allow: [read, not_a_syscall]
network:
  outbound:
    - host: api.example.com
      ports: [70000]
Y
expect_status "three mistakes: exit 1" 1 "$POLC" build three.yaml -o three.pola
expect_grep "mistake 1 at 4:11" '^three.yaml:4:11: error\[E200\]' "$T/err"
expect_grep "mistake 2 at 6:17" '^three.yaml:6:17: error\[E300\]' "$T/err"
expect_grep "mistake 3 at 10:15" '^three.yaml:10:15: error\[E401\]' "$T/err"
n=$(grep -c ': error\[' "$T/err")
[ "$n" = 3 ] && pass "exactly three errors" || fail "exactly three errors" "got $n"
[ ! -e three.pola ] && pass "nothing written on errors" || fail "nothing written on errors"
finish
