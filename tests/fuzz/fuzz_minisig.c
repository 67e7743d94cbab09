/* fuzz_minisig.c — libFuzzer target: arbitrary bytes as a .minisig text, as
 * a public key text, as both (split at a "\n--\n" line), as a trusted
 * comment, and as base64.
 *
 * Oracles beyond "no crash": a signature that verifies against the fixture
 * key must carry the fixture's trusted comment (anything else would be a
 * forgery); base64 that decodes must be the canonical encoding of what it
 * decoded to. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "minisig.h"

/* The compiler objects linked into fuzz builds use main.c's flag. */
int polc_verbose __attribute__((weak));

/* Made by minisign 0.11 (throwaway key): `minisign -S -t "fixture prehashed"`
 * over "hello\n". */
static const char PUB[] = "untrusted comment: minisign public key 6579BB5E69111015\n"
                          "RWQVEBFpXrt5ZYb8q8vOWQyrBlvHrItp48SMA5z8ibJIoofGhtYAjypX\n";
static const char SIG[] =
        "untrusted comment: signature from minisign secret key\n"
        "RUQVEBFpXrt5ZZbbSqFpvpuMD6wYYas2tVWsh0A4spBY5SyBw+wA7Ax8SOGto9agUaCC2yFnenup978R6Q6DGL9L"
        "NGhPr1RkwAk=\n"
        "trusted comment: fixture prehashed\n"
        "K8p2NRn+CP103v6niT23RDiGdxANyD02vvE4Ds/ZkTwT2LRfVoF9dJPZkmNnXvc7H28aDJ3NadvzFfV3UAsvDw==\n";
static const uint8_t MSG[] = "hello\n";
#define MSG_LEN 6
#define FIXTURE_TC "fixture prehashed"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	char tc[64], err[256];
	/* The fixture itself must verify, or the oracles below test nothing. */
	if (minisig_verify(MSG, MSG_LEN, SIG, strlen(SIG), PUB, strlen(PUB), tc, sizeof(tc), err,
	                   sizeof(err)) != 0 ||
	    strcmp(tc, FIXTURE_TC) != 0)
		abort();
	return 0;
}

/* The fixture key signed "hello\n" twice: the signature above and a legacy
 * one (corpus/minisig/minisign-legacy.minisig); nothing else. */
static void check_verified(int rc, const char *tc)
{
	if (rc == 0 && strcmp(tc, FIXTURE_TC) != 0 && strcmp(tc, "fixture legacy") != 0)
		abort(); /* verified with a comment the key never signed */
}

static void b64_roundtrip(const uint8_t *data, size_t size)
{
	/* Decode the whole input as base64 of the length it implies. */
	if (size < 4 || size > 1024 || size % 4)
		return;
	size_t n = size / 4 * 3;
	if (data[size - 1] == '=')
		n -= data[size - 2] == '=' ? 2 : 1;
	if (n == 0)
		return;
	uint8_t out[768];
	if (minisig_b64_decode(out, n, (const char *)data, size) != 0)
		return;
	char enc[1100];
	sodium_bin2base64(enc, sizeof(enc), out, n, sodium_base64_VARIANT_ORIGINAL);
	if (strlen(enc) != size || memcmp(enc, data, size) != 0)
		abort(); /* accepted a non-canonical encoding */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char tc[MINISIG_TC_MAX + 1], err[256];
	struct minisig_pk pk;
	struct minisig_sig s;

	minisig_pk_parse(&pk, text, size, err, sizeof(err));
	if (minisig_sig_parse(&s, text, size, err, sizeof(err)) == 0) {
		if (s.tclen > MINISIG_TC_MAX || s.tc < text || s.tc + s.tclen > text + size ||
		    memchr(s.tc, '\n', s.tclen) || memchr(s.tc, '\r', s.tclen))
			abort();
	}

	/* as a signature, against the fixture key: only the fixture may pass */
	int rc = minisig_verify(MSG, MSG_LEN, text, size, PUB, strlen(PUB), tc, sizeof(tc), err,
	                        sizeof(err));
	check_verified(rc, tc);
	/* as the public key, with the fixture signature */
	rc = minisig_verify(MSG, MSG_LEN, SIG, strlen(SIG), text, size, tc, sizeof(tc), err,
	                    sizeof(err));
	check_verified(rc, tc);
	/* a small comment buffer: failure, never truncation or overflow */
	char small[8];
	rc = minisig_verify(MSG, MSG_LEN, text, size, PUB, strlen(PUB), small, sizeof(small), err,
	                    sizeof(err));
	if (rc == 0)
		abort();

	/* both from the input: "SIG\n--\nPUB", over the bytes after a third "\n--\n" if any */
	const char *sep = memmem(text, size, "\n--\n", 4);
	if (sep) {
		size_t sl = (size_t)(sep - text) + 1;
		const char *pt = sep + 4;
		size_t pl = size - (size_t)(pt - text);
		const uint8_t *m = MSG;
		size_t ml = MSG_LEN;
		const char *sep2 = memmem(pt, pl, "\n--\n", 4);
		if (sep2) {
			m = (const uint8_t *)sep2 + 4;
			ml = size - (size_t)((const char *)m - text);
			pl = (size_t)(sep2 - pt) + 1;
		}
		minisig_verify(m, ml, text, sl, pt, pl, tc, sizeof(tc), err, sizeof(err));
	}

	/* as a trusted comment */
	char *c = malloc(size + 1);
	if (!c)
		abort();
	memcpy(c, data, size);
	c[size] = '\0';
	rc = minisig_check_artifact_comment(c, data, size, err, sizeof(err));
	if (rc == 1 && strncmp(c, MINISIG_ART_TC_PREFIX " sha256:", 21) != 0)
		abort();
	free(c);

	b64_roundtrip(data, size);
	return 0;
}
