/* yml.c — placeholder until the YAML front end lands. */
#include "backend.h"

struct ir_policy *yml_parse(struct load_ctx *c, const char *path, const char *text, size_t len)
{
	diag_error(c->d, src_file(path), E503, "YAML front end not implemented yet");
	return NULL;
}
