/* oci.c — placeholder until the OCI import lands. */
#include "backend.h"

struct ir_policy *oci_parse(struct load_ctx *c, const char *path, const char *text, size_t len)
{
	diag_error(c->d, src_file(path), E503, "OCI seccomp import not implemented yet");
	return NULL;
}
