#!/usr/bin/env bash
# stdlib_tls-clients.sh — stdlib-policies/tls-clients.yaml under runmin:
# openssl reads the CA bundle and verifies a certificate chain against the
# system store, a certificate made here verifies only with its own CA (so
# the store really is the one read), curl loads its CA store; private keys
# and the rest of /etc stay unreadable; the obvious escapes fail; its polc
# test file passes.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

expect_status "polc test tls-clients" 0 "$POLC" test "$SRC/stdlib-policies/tls-clients.yaml" \
	"$SRC/stdlib-policies/tests/tls-clients.test.yaml"
expect_status "polc lint tls-clients" 0 "$POLC" lint --fail-level warning \
	"$SRC/stdlib-policies/tls-clients.yaml"
stdlib tls-clients || finish

BUNDLE=/etc/ssl/certs/ca-certificates.crt
n=$(grep -c 'BEGIN CERTIFICATE' "$BUNDLE")
check "openssl reads every certificate of the CA bundle" "$n" sb tls-clients /bin/sh -c \
	"openssl crl2pkcs7 -nocrl -certfile $BUNDLE | openssl pkcs7 -print_certs -noout | grep -c '^subject'"
# A root of the system store verifies against the store (the hashed
# directory /etc/ssl/certs is what openssl searches by default).
first=$(awk '/BEGIN CERT/{p=1} p{print} /END CERT/{exit}' "$BUNDLE")
echo "$first" >"$W/ws/root.pem"
check "a system root verifies against the default store" "$W/ws/root.pem: OK" \
	sb tls-clients /usr/bin/openssl verify "$W/ws/root.pem"
# A self-made chain: fails against the system store, verifies with its CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca \
	-keyout "$W/ws/ca.key" -out "$W/ws/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=server \
	-keyout "$W/ws/srv.key" -out "$W/ws/srv.csr" >/dev/null 2>&1
openssl x509 -req -in "$W/ws/srv.csr" -CA "$W/ws/ca.pem" -CAkey "$W/ws/ca.key" -days 1 \
	-out "$W/ws/srv.pem" >/dev/null 2>&1
expect_status "an unknown CA does not verify against the system store" 2 \
	sb tls-clients /usr/bin/openssl verify "$W/ws/srv.pem"
check "it verifies with its own CA" "$W/ws/srv.pem: OK" \
	sb tls-clients /usr/bin/openssl verify -CAfile "$W/ws/ca.pem" "$W/ws/srv.pem"
check "curl starts and knows its CA store" ok sb tls-clients /bin/sh -c \
	'curl --version >/dev/null && echo ok'
check "name service files are readable" ok sb tls-clients /bin/sh -c \
	'getent hosts localhost >/dev/null && echo ok'
check "control: TLS private keys readable outside" ok "$PROBE" readdir /etc/ssl/private
check "TLS private keys are not" EACCES sb tls-clients "$PROBE" readdir /etc/ssl/private
escapes tls-clients
finish
