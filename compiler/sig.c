/* sig.c — placeholder until the signing work lands. */
#include "sig.h"

#include <stdio.h>

int sig_keygen(const char *pk_path, const char *sk_path, bool password, char *err, size_t errlen)
{
	snprintf(err, errlen, "not implemented");
	return -1;
}

int sig_sign(const uint8_t *msg, size_t len, const char *sk_path, const char *trusted_comment,
             struct buf *out, char *err, size_t errlen)
{
	snprintf(err, errlen, "not implemented");
	return -1;
}
