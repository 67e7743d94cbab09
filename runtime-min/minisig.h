/* minisig.h — minisign public key and signature parsing and verification.
 * Shared by runmin and polc; no allocation.
 *
 * Formats (minisign's, Ed25519):
 *   public key file   "untrusted comment: TEXT\n" base64("Ed" key_id[8] pk[32]) "\n"
 *   signature file    "untrusted comment: TEXT\n" base64(alg[2] key_id[8] sig[64]) "\n"
 *                     "trusted comment: TC\n" base64(global_sig[64]) "\n"
 *   alg "ED": sig = Ed25519(BLAKE2b-512(file)) (prehashed, what minisign and
 *   polc write); legacy "Ed": sig = Ed25519(file).  global_sig = Ed25519(sig || TC).
 *
 * Parsing is strict: exactly these lines (LF or CRLF endings, the final one
 * optional), nothing after them, canonical base64 of exactly the right
 * length, no NUL bytes.  The key id is 8 bytes; minisign shows it as the
 * little-endian 64-bit number in upper-case hex (MINISIG_KEYID_STR). */
#ifndef POLC_MINISIG_H
#define POLC_MINISIG_H

#include <stddef.h>
#include <stdint.h>

#define MINISIG_KEYID_BYTES 8
#define MINISIG_PK_BYTES 32
#define MINISIG_SIG_BYTES 64
#define MINISIG_COMMENT_MAX 1024 /* untrusted comment text, without the prefix */
#define MINISIG_TC_MAX 8192      /* trusted comment text, without the prefix */
#define MINISIG_TEXT_MAX 16384   /* no valid key or .minisig file is larger */
#define MINISIG_KEYID_STR 17     /* 16 hex digits + NUL */

#define MINISIG_UNTRUSTED_PREFIX "untrusted comment: "
#define MINISIG_TRUSTED_PREFIX "trusted comment: "

struct minisig_pk {
	uint8_t key_id[MINISIG_KEYID_BYTES];
	uint8_t pk[MINISIG_PK_BYTES];
};

struct minisig_sig {
	int prehashed; /* 1: "ED" (BLAKE2b-512 of the file), 0: legacy "Ed" */
	uint8_t key_id[MINISIG_KEYID_BYTES];
	uint8_t sig[MINISIG_SIG_BYTES];
	uint8_t global_sig[MINISIG_SIG_BYTES];
	const char *tc; /* trusted comment text: points into the parsed text */
	size_t tclen;   /* bytes, <= MINISIG_TC_MAX, no NUL / CR / LF inside */
};

/* Parses the text of a public key file.  Returns 0, or -1 with a one-line
 * reason in err. */
int minisig_pk_parse(struct minisig_pk *pk, const char *text, size_t len, char *err,
                     size_t errlen);

/* Parses the text of a .minisig file (structure only, no verification).
 * s->tc points into text, which must outlive s.  0, or -1 with err. */
int minisig_sig_parse(struct minisig_sig *s, const char *text, size_t len, char *err,
                      size_t errlen);

/* Verifies a parsed signature over msg: key id, file signature, trusted
 * comment signature.  0, or -1 with a one-line reason in err. */
int minisig_verify_parsed(const struct minisig_sig *s, const struct minisig_pk *pk,
                          const uint8_t *msg, size_t len, char *err, size_t errlen);

/* Verifies msg against a .minisig text using a minisign public key text
 * (the file's content).  On success returns 0 and copies the trusted
 * comment (without the "trusted comment: " prefix, NUL-terminated) into tc;
 * a comment that does not fit in tclen bytes is a failure, never truncated.
 * On failure returns -1 with a one-line reason in err. */
int minisig_verify(const uint8_t *msg, size_t len, const char *sig_text, size_t sig_len,
                   const char *pk_text, size_t pk_len, char *tc, size_t tclen, char *err,
                   size_t errlen);

/* The trusted comment polc signs artifacts with starts with this:
 *   "polc-artifact sha256:<64 lower-case hex> name:<policy name>"  */
#define MINISIG_ART_TC_PREFIX "polc-artifact"

/* If tc (NUL-terminated) is of the polc-artifact form, checks that its
 * sha256 is the SHA-256 of msg.  Returns 1 when it is and matches, 0 when
 * tc is not of that form, -1 (with err) when it claims to be but is
 * malformed or names another file. */
int minisig_check_artifact_comment(const char *tc, const uint8_t *msg, size_t len, char *err,
                                   size_t errlen);

/* Decodes canonical base64 (standard alphabet, '=' padding, zero unused
 * bits, nothing else) of exactly n > 0 bytes: slen must be 4 * ceil(n / 3).
 * Constant time in the characters' values (secret keys use it too).
 * Returns 0, or -1 (out then holds garbage). */
int minisig_b64_decode(uint8_t *out, size_t n, const char *s, size_t slen);

/* The key id as minisign prints it ("6579BB5E69111015"), into out. */
void minisig_key_id_str(const uint8_t key_id[MINISIG_KEYID_BYTES], char out[MINISIG_KEYID_STR]);

#endif
