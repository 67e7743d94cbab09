/* sig.h — minisign-compatible keys and signatures (Ed25519 over
 * BLAKE2b-512 of the file, "ED" prehashed mode) via libsodium.
 * Verification lives in runtime-min/minisig.h, shared with runmin. */
#ifndef POLC_SIG_H
#define POLC_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Creates pk_path (0644) and sk_path (0600), refusing to overwrite either.
 * With password, the secret key is encrypted as `minisign -G` does
 * (scrypt), the password read from the terminal.  0 or -1 with err. */
int sig_keygen(const char *pk_path, const char *sk_path, bool password, char *err,
               size_t errlen);

/* Signs msg with the secret key at sk_path (refused if group/other can read
 * it); appends the .minisig text to out.  The trusted comment is signed too. */
int sig_sign(const uint8_t *msg, size_t len, const char *sk_path, const char *trusted_comment,
             struct buf *out, char *err, size_t errlen);

#endif
