/* rego_stub.c — placeholder until the Rego front end lands. */
#include "backend.h"

struct ir_policy *rego_parse(struct load_ctx *c, const char *path, const char *text, size_t len)
{
	diag_error(c->d, src_file(path), E503, "Rego front end not implemented yet");
	return NULL;
}
