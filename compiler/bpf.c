/* bpf.c — placeholder until the seccomp backend lands. */
#include <stdio.h>

#include "backend.h"

int bpf_build(const struct ir_policy *p, const struct sysc_arch *arch, struct diag_sink *d,
              struct buf *out)
{
	diag_error(d, p->proc.def_pos, E901, "the seccomp backend is not implemented yet");
	return -1;
}

int bpf_query(const struct art *a, const struct sysc_arch *arch, const char *syscall,
              const uint64_t args[6], struct decision *out, char *err, size_t errlen)
{
	snprintf(err, errlen, "seccomp queries not implemented yet");
	return -1;
}

int bpf_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
                char *err, size_t errlen)
{
	snprintf(err, errlen, "seccomp disassembly not implemented yet");
	return -1;
}
