/* minisig.c — minisign-compatible signature verification (see minisig.h).
 *
 * This is part of runmin's trusted code: it never allocates, reads only
 * inside the lengths it is given, and treats any deviation from the exact
 * file structure as a bad signature. */
#include "minisig.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ALG_LEN 2
#define PK_BLOB (ALG_LEN + MINISIG_KEYID_BYTES + MINISIG_PK_BYTES)   /* 42 */
#define SIG_BLOB (ALG_LEN + MINISIG_KEYID_BYTES + MINISIG_SIG_BYTES) /* 74 */

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Lines of a key or signature file.  A line ends with LF; a CR right before
 * the LF is not part of it (files edited on Windows); the last line may
 * lack its LF.  A CR anywhere else stays in the line and is rejected by
 * whoever reads it. */
struct lines {
	const char *p;
	size_t left;
};

static int next_line(struct lines *l, const char **line, size_t *n)
{
	if (l->left == 0)
		return 0;
	const char *nl = memchr(l->p, '\n', l->left);
	size_t len = nl ? (size_t)(nl - l->p) : l->left;
	*line = l->p;
	*n = len;
	l->p += len;
	l->left -= len;
	if (nl) {
		l->p++;
		l->left--;
		if (len > 0 && (*line)[len - 1] == '\r')
			(*n)--;
	}
	return 1;
}

static int has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);
	return n >= pl && memcmp(s, prefix, pl) == 0;
}

/* All ones when lo <= c <= hi, else 0; c < 2^31.  No branch and no table
 * indexed by c: secret key text is decoded here too. */
static unsigned ct_in(unsigned c, unsigned lo, unsigned hi)
{
	return 0u - ((((lo - 1) - c) & (c - (hi + 1))) >> 31);
}

/* The 6-bit value of a base64 character; sets *bad for anything outside
 * the standard alphabet (libsodium's decoder lets bytes >= 0x80 through). */
static unsigned b64_val(unsigned c, unsigned *bad)
{
	unsigned up = ct_in(c, 'A', 'Z'), lo = ct_in(c, 'a', 'z'), dig = ct_in(c, '0', '9'),
	         plus = ct_in(c, '+', '+'), slash = ct_in(c, '/', '/');
	*bad |= ~(up | lo | dig | plus | slash) & 1u;
	return ((up & (c - 'A')) | (lo & (c - 'a' + 26)) | (dig & (c - '0' + 52)) | (plus & 62) |
	        (slash & 63)) &
	       63u;
}

int minisig_b64_decode(uint8_t *out, size_t n, const char *s, size_t slen)
{
	if (n == 0 || n > SIZE_MAX / 4 || slen != (n + 2) / 3 * 4)
		return -1;
	unsigned bad = 0;
	size_t o = 0;
	for (size_t i = 0; i < slen; i += 4) {
		/* characters carrying data in this group: 4, or 2/3 before "=="/"=" */
		size_t left = n - o, data = left >= 3 ? 4 : left + 1;
		unsigned v[4] = {0, 0, 0, 0};
		for (size_t j = 0; j < 4; j++) {
			if (j < data)
				v[j] = b64_val((unsigned char)s[i + j], &bad);
			else
				bad |= s[i + j] != '=';
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | v[3];
		out[o++] = (uint8_t)(w >> 16);
		if (data >= 3)
			out[o++] = (uint8_t)(w >> 8);
		if (data == 4)
			out[o++] = (uint8_t)w;
		/* canonical: the bits after the last byte are zero */
		if (data == 2)
			bad |= (v[1] & 15u) != 0;
		else if (data == 3)
			bad |= (v[2] & 3u) != 0;
	}
	return bad ? -1 : 0;
}

static int b64_exact(uint8_t *out, size_t n, const char *s, size_t slen)
{
	return minisig_b64_decode(out, n, s, slen);
}

/* Common checks on a whole file's text. */
static int check_text(const char *text, size_t len, const char *what, char *err, size_t errlen)
{
	if (!text || len == 0)
		return fail(err, errlen, "%s is empty", what);
	if (len > MINISIG_TEXT_MAX)
		return fail(err, errlen, "%s is too large (%zu bytes)", what, len);
	if (memchr(text, '\0', len))
		return fail(err, errlen, "%s contains a NUL byte", what);
	return 0;
}

static int untrusted_line(struct lines *l, const char *what, char *err, size_t errlen)
{
	const char *line;
	size_t n;
	if (!next_line(l, &line, &n) || !has_prefix(line, n, MINISIG_UNTRUSTED_PREFIX))
		return fail(err, errlen, "%s: first line is not an untrusted comment", what);
	if (n - strlen(MINISIG_UNTRUSTED_PREFIX) > MINISIG_COMMENT_MAX)
		return fail(err, errlen, "%s: untrusted comment too long", what);
	if (memchr(line, '\r', n))
		return fail(err, errlen, "%s: stray carriage return in the untrusted comment", what);
	return 0;
}

int minisig_pk_parse(struct minisig_pk *pk, const char *text, size_t len, char *err,
                     size_t errlen)
{
	memset(pk, 0, sizeof(*pk));
	if (check_text(text, len, "public key", err, errlen) < 0)
		return -1;
	struct lines l = {text, len};
	if (untrusted_line(&l, "public key", err, errlen) < 0)
		return -1;
	const char *line;
	size_t n;
	uint8_t blob[PK_BLOB];
	if (!next_line(&l, &line, &n) || b64_exact(blob, sizeof(blob), line, n) < 0)
		return fail(err, errlen, "public key: second line is not a base64 Ed25519 key");
	if (memcmp(blob, "Ed", ALG_LEN) != 0)
		return fail(err, errlen, "public key: unsupported algorithm (not Ed25519)");
	if (l.left != 0)
		return fail(err, errlen, "public key: unexpected text after the key");
	memcpy(pk->key_id, blob + ALG_LEN, MINISIG_KEYID_BYTES);
	memcpy(pk->pk, blob + ALG_LEN + MINISIG_KEYID_BYTES, MINISIG_PK_BYTES);
	return 0;
}

int minisig_sig_parse(struct minisig_sig *s, const char *text, size_t len, char *err,
                      size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (check_text(text, len, "signature", err, errlen) < 0)
		return -1;
	struct lines l = {text, len};
	if (untrusted_line(&l, "signature", err, errlen) < 0)
		return -1;

	const char *line;
	size_t n;
	uint8_t blob[SIG_BLOB];
	if (!next_line(&l, &line, &n) || b64_exact(blob, sizeof(blob), line, n) < 0)
		return fail(err, errlen, "signature: second line is not a base64 signature");
	if (memcmp(blob, "ED", ALG_LEN) == 0)
		s->prehashed = 1;
	else if (memcmp(blob, "Ed", ALG_LEN) == 0)
		s->prehashed = 0;
	else
		return fail(err, errlen, "signature: unsupported algorithm");
	memcpy(s->key_id, blob + ALG_LEN, MINISIG_KEYID_BYTES);
	memcpy(s->sig, blob + ALG_LEN + MINISIG_KEYID_BYTES, MINISIG_SIG_BYTES);

	if (!next_line(&l, &line, &n) || !has_prefix(line, n, MINISIG_TRUSTED_PREFIX))
		return fail(err, errlen, "signature: third line is not a trusted comment");
	size_t pl = strlen(MINISIG_TRUSTED_PREFIX);
	if (n - pl > MINISIG_TC_MAX)
		return fail(err, errlen, "signature: trusted comment too long");
	if (memchr(line, '\r', n))
		return fail(err, errlen, "signature: stray carriage return in the trusted comment");
	s->tc = line + pl;
	s->tclen = n - pl;

	if (!next_line(&l, &line, &n) ||
	    b64_exact(s->global_sig, sizeof(s->global_sig), line, n) < 0)
		return fail(err, errlen, "signature: fourth line is not a base64 signature");
	if (l.left != 0)
		return fail(err, errlen, "signature: unexpected text after the signature");
	return 0;
}

void minisig_key_id_str(const uint8_t key_id[MINISIG_KEYID_BYTES], char out[MINISIG_KEYID_STR])
{
	uint64_t v = 0;
	for (int i = MINISIG_KEYID_BYTES - 1; i >= 0; i--)
		v = v << 8 | key_id[i];
	snprintf(out, MINISIG_KEYID_STR, "%016" PRIX64, v);
}

int minisig_verify_parsed(const struct minisig_sig *s, const struct minisig_pk *pk,
                          const uint8_t *msg, size_t len, char *err, size_t errlen)
{
	static const uint8_t empty[1];
	if (sodium_init() < 0)
		return fail(err, errlen, "libsodium failed to initialise");
	if (memcmp(s->key_id, pk->key_id, MINISIG_KEYID_BYTES) != 0) {
		char a[MINISIG_KEYID_STR], b[MINISIG_KEYID_STR];
		minisig_key_id_str(s->key_id, a);
		minisig_key_id_str(pk->key_id, b);
		return fail(err, errlen, "signed by key %s, not by the trusted key %s", a, b);
	}
	if (!msg)
		msg = empty;
	int bad;
	if (s->prehashed) {
		uint8_t h[crypto_generichash_BYTES_MAX];
		if (crypto_generichash(h, sizeof(h), msg, len, NULL, 0) != 0)
			return fail(err, errlen, "hashing failed");
		bad = crypto_sign_verify_detached(s->sig, h, sizeof(h), pk->pk);
	} else {
		bad = crypto_sign_verify_detached(s->sig, msg, len, pk->pk);
	}
	if (bad)
		return fail(err, errlen, "signature does not match the file (modified or wrong file)");
	if (s->tclen > MINISIG_TC_MAX)
		return fail(err, errlen, "trusted comment too long");
	/* The global signature covers the file signature and the comment. */
	uint8_t gm[MINISIG_SIG_BYTES + MINISIG_TC_MAX];
	memcpy(gm, s->sig, MINISIG_SIG_BYTES);
	memcpy(gm + MINISIG_SIG_BYTES, s->tc, s->tclen);
	if (crypto_sign_verify_detached(s->global_sig, gm, MINISIG_SIG_BYTES + s->tclen, pk->pk))
		return fail(err, errlen, "trusted comment signature is invalid (comment modified)");
	return 0;
}

int minisig_verify(const uint8_t *msg, size_t len, const char *sig_text, size_t sig_len,
                   const char *pk_text, size_t pk_len, char *tc, size_t tclen, char *err,
                   size_t errlen)
{
	struct minisig_pk pk;
	struct minisig_sig s;
	if (tc && tclen)
		tc[0] = '\0';
	if (minisig_pk_parse(&pk, pk_text, pk_len, err, errlen) < 0 ||
	    minisig_sig_parse(&s, sig_text, sig_len, err, errlen) < 0 ||
	    minisig_verify_parsed(&s, &pk, msg, len, err, errlen) < 0)
		return -1;
	if (!tc || s.tclen >= tclen)
		return fail(err, errlen, "trusted comment too long (%zu bytes)", s.tclen);
	memcpy(tc, s.tc, s.tclen);
	tc[s.tclen] = '\0';
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int minisig_check_artifact_comment(const char *tc, const uint8_t *msg, size_t len, char *err,
                                   size_t errlen)
{
	static const uint8_t empty[1];
	static const char tag[] = " sha256:";
	size_t pl = strlen(MINISIG_ART_TC_PREFIX);
	if (strncmp(tc, MINISIG_ART_TC_PREFIX, pl) != 0 || (tc[pl] != ' ' && tc[pl] != '\0'))
		return 0;
	const char *p = tc + pl;
	uint8_t want[crypto_hash_sha256_BYTES];
	if (strncmp(p, tag, sizeof(tag) - 1) != 0)
		return fail(err, errlen, "trusted comment names no sha256");
	p += sizeof(tag) - 1;
	for (size_t i = 0; i < sizeof(want); i++) {
		int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
		if (hi < 0 || lo < 0)
			return fail(err, errlen, "trusted comment: malformed sha256");
		want[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (*p != ' ' && *p != '\0')
		return fail(err, errlen, "trusted comment: malformed sha256");
	if (sodium_init() < 0)
		return fail(err, errlen, "libsodium failed to initialise");
	uint8_t got[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(got, msg ? msg : empty, len);
	if (sodium_memcmp(got, want, sizeof(got)) != 0)
		return fail(err, errlen, "the signed sha256 is not this file's (wrong artifact)");
	return 1;
}
