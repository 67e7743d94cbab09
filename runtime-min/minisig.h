/* minisig.h — minisign public key and signature parsing and verification.
 * Shared by runmin and polc; no allocation. */
#ifndef POLC_MINISIG_H
#define POLC_MINISIG_H

#include <stddef.h>
#include <stdint.h>

/* Verifies msg against a .minisig text using a minisign public key text
 * (the file's content).  On success returns 0 and copies the trusted
 * comment (without the "trusted comment: " prefix) into tc.  On failure
 * returns -1 with a one-line reason in err. */
int minisig_verify(const uint8_t *msg, size_t len, const char *sig_text, size_t sig_len,
                   const char *pk_text, size_t pk_len, char *tc, size_t tclen, char *err,
                   size_t errlen);

#endif
