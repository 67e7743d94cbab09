/* nt_build.c — placeholder network table until the network issue lands:
 * writes an empty table (version 0) and denies every query. */
#include <string.h>

#include "backend.h"

int nt_build(const struct ir_policy *p, struct diag_sink *d, struct buf *out)
{
	buf_u32(out, 0);
	buf_u32(out, 0);
	return 0;
}

int nt_query(const struct art *a, const char *host, uint16_t port, const char *method,
             const char *path, struct decision *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "deny");
	return 0;
}

int nt_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
               char *err, size_t errlen)
{
	if (out)
		fprintf(out, "nettable: %u bytes (placeholder format)\n", s->length);
	if (json)
		*json = json_pack("{s:I}", "bytes", (json_int_t)s->length);
	return 0;
}
