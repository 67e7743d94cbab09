/* sig.h — minisign-compatible keys and signatures (Ed25519 over
 * BLAKE2b-512 of the file, "ED" prehashed mode) via libsodium.
 * Verification lives in runtime-min/minisig.h, shared with runmin.
 *
 * Secret key file (minisign's format):
 *   "untrusted comment: TEXT\n" base64(blob) "\n", blob =
 *     sig_alg "Ed" | kdf_alg "Sc" (scrypt) or 00 00 (unencrypted) | chk_alg "B2"
 *     | kdf_salt[32] | opslimit u64le | memlimit u64le
 *     | key_id[8] | sk[64] | checksum[32]
 *   checksum = BLAKE2b-256("Ed" | key_id | sk).  When encrypted, key_id | sk |
 *   checksum is XORed with scrypt(password, salt, opslimit, memlimit).
 *   `minisign -G -W` writes an all-zero checksum for unencrypted keys; polc
 *   writes the real one and accepts both. */
#ifndef POLC_SIG_H
#define POLC_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Environment variable holding the secret key's password for
 * non-interactive signing (CI). */
#define SIG_PASSWORD_ENV "POLC_KEY_PASSWORD"

/* Largest secret key file read. */
#define SIG_SECKEY_MAX 4096

/* Creates pk_path (0644) and sk_path (0600), refusing to overwrite either.
 * With password, the secret key is encrypted as `minisign -G` does
 * (scrypt), the password read from the terminal.  0 or -1 with err. */
int sig_keygen(const char *pk_path, const char *sk_path, bool password, char *err,
               size_t errlen);

enum {
	SIG_KEYGEN_PASSWORD = 1, /* encrypt; password read twice from the terminal */
	SIG_KEYGEN_FORCE = 2,    /* replace existing files (atomically) */
};
/* sig_keygen with flags. */
int sig_keygen_flags(const char *pk_path, const char *sk_path, unsigned flags, char *err,
                     size_t errlen);

/* Generates a key pair as file texts, appended to pk_text and sk_text
 * (secret material: the caller wipes sk_text with sodium_memzero before
 * buf_free).  With pw != NULL the secret key is encrypted with scrypt at
 * opslimit/memlimit (minisign uses the _SENSITIVE values).  0 or -1 + err. */
int sig_keygen_text(struct buf *pk_text, struct buf *sk_text, const char *pw, size_t pwlen,
                    uint64_t opslimit, uint64_t memlimit, char *err, size_t errlen);

/* Signs msg with the secret key at sk_path (refused if group/other can read
 * it); appends the .minisig text to out.  The trusted comment is signed too:
 * one line, at most MINISIG_TC_MAX bytes, no CR/LF.  An encrypted key's
 * password comes from $POLC_KEY_PASSWORD when set and non-empty, else from
 * the terminal.  0 or -1 with err. */
int sig_sign(const uint8_t *msg, size_t len, const char *sk_path, const char *trusted_comment,
             struct buf *out, char *err, size_t errlen);

#endif
