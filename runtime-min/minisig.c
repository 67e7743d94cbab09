/* minisig.c — placeholder until the signing work lands: refuses everything. */
#include "minisig.h"

#include <stdio.h>

int minisig_verify(const uint8_t *msg, size_t len, const char *sig_text, size_t sig_len,
                   const char *pk_text, size_t pk_len, char *tc, size_t tclen, char *err,
                   size_t errlen)
{
	snprintf(err, errlen, "signature verification not implemented");
	return -1;
}
