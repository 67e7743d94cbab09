#!/usr/bin/env bash
# rego_vs_yaml.sh — a policy written in Rego and the same policy in YAML
# (tests/data/rego/equiv) compile to the same network table: the IR rows are
# identical (positions aside), and both artifacts decide a set of requests
# the same way through `polc query`.
. "$(dirname "$0")/../lib.sh"

D=$SRC/tests/data/rego/equiv
rows() { "$POLC" build --dump-ir "$1" | sed -n '/^network/,$p' | sed 's/  @.*//'; }
if rows "$D/policy.rego" >"$T/rego.rows" && rows "$D/policy.yaml" >"$T/yaml.rows" &&
	[ "$(wc -l <"$T/rego.rows")" -gt 5 ] && diff -u "$T/yaml.rows" "$T/rego.rows" >"$T/diff"; then
	pass "rego vs yaml: identical network rows"
else
	fail "rego vs yaml: identical network rows" "$(head -c 600 "$T/diff" 2>/dev/null)"
fi

expect_status "rego vs yaml: rego builds" 0 "$POLC" build "$D/policy.rego" -o "$T/rego.pola"
expect_status "rego vs yaml: yaml builds" 0 "$POLC" build "$D/policy.yaml" -o "$T/yaml.pola"
same=1
while read -r req; do
	# shellcheck disable=SC2086
	a=$("$POLC" query "$T/rego.pola" net $req | cut -d' ' -f1)
	b=$("$POLC" query "$T/yaml.pola" net $req | cut -d' ' -f1)
	if [ "$a" != "$b" ]; then
		same=0
		echo "    $req: rego $a, yaml $b"
	fi
done <<'REQ'
api.github.com 443
api.github.com 80
uploads.github.com 443
uploads.github.com 80
objects.githubusercontent.com 443
pypi.org 443 GET /simple/requests/
pypi.org 80 HEAD /simple/
pypi.org 443 POST /simple/x
pypi.org 443 GET /packages/x
a.corp.example 8000
a.b.corp.example 8080
corp.example 8000
a.corp.example 8081
10.1.255.255 22
10.2.0.1 22
10.1.0.1 23
registry.npmjs.org 443 GET /left-pad/-/left-pad-1.3.0.tgz
registry.npmjs.org 443 GET /@scope/pkg/-/pkg-1.0.0.tgz
registry.npmjs.org 443 PUT /left-pad/-/left-pad-1.3.0.tgz
example.org 443
REQ
# the Rego source itself, through its evaluator, decides plain-HTTP requests
# the same way as the compiled table
while read -r req; do
	# shellcheck disable=SC2086
	a=$("$POLC" query "$D/policy.rego" net $req | cut -d' ' -f1)
	b=$("$POLC" query "$T/rego.pola" net $req | cut -d' ' -f1)
	if [ "$a" != "$b" ] || [ -z "$a" ]; then
		same=0
		echo "    $req: evaluator '$a', table '$b'"
	fi
done <<'REQ'
api.github.com 443 GET /
uploads.github.com 443 GET /x
pypi.org 443 GET /simple/requests/
pypi.org 443 DELETE /simple/x
a.b.corp.example 8080 POST /
corp.example 8000 GET /
10.1.0.9 22 GET /
registry.npmjs.org 443 GET /a/-/a-1.tgz
registry.npmjs.org 443 GET /a/b/-/a-1.tgz
REQ
if [ "$same" = 1 ]; then pass "rego vs yaml: same decisions for 20 requests"; else
	fail "rego vs yaml: same decisions for 20 requests"
fi
# and those decisions are the ones the policy means
expect_status "rego: allowed request" 0 "$POLC" query "$T/rego.pola" net api.github.com 443
expect_status "rego: deny wins" 1 "$POLC" query "$T/rego.pola" net uploads.github.com 443
expect_status "rego: apex not under the wildcard" 1 "$POLC" query "$T/rego.pola" net corp.example 8000
finish
