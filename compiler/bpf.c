/* bpf.c — the seccomp backend's entry: compile the process section for one
 * arch (bpf_gen.c), check it against the kernel's constraints and validate
 * it against the policy (bpf_valid.c), and write the SECCOMP section
 * payload (runtime-min/art.h).  Any disagreement is an internal error: the
 * build fails rather than ship a program that differs from the policy. */
#include <string.h>

#include "backend.h"
#include "bpf.h"

/* Where process-wide diagnostics point: the default action, else the first
 * rule, else the first source file. */
static struct src_pos proc_pos(const struct ir_policy *p)
{
	if (p->proc.def_pos.file)
		return p->proc.def_pos;
	if (p->proc.nrules && p->proc.rules[0].pos.file)
		return p->proc.rules[0].pos;
	return src_file(p->nsources ? p->sources[0] : "<policy>");
}

/* Front ends check all of this; the backend checks again so that no IR
 * (a fuzzer's, a future front end's) can make it read out of bounds. */
static int check_ir(const struct ir_policy *p, struct diag_sink *d)
{
	int bad = 0;
	if (p->proc.def.kind == IR_ACT_ERRNO && p->proc.def.errno_val > 4095) {
		diag_error(d, p->proc.def_pos, E301, "errno %u is above 4095", p->proc.def.errno_val);
		bad = 1;
	}
	if (p->proc.other_abis.kind == IR_ACT_ERRNO && p->proc.other_abis.errno_val > 4095) {
		diag_error(d, p->proc.other_abis_pos, E301, "errno %u is above 4095",
		           p->proc.other_abis.errno_val);
		bad = 1;
	}
	for (size_t i = 0; i < p->proc.nrules; i++) {
		const struct ir_sys_rule *r = &p->proc.rules[i];
		if (!r->syscall) {
			diag_error(d, r->pos, E300, "rule without a system call");
			bad = 1;
			continue;
		}
		if (r->action.kind == IR_ACT_ERRNO && r->action.errno_val > 4095) {
			diag_error(d, r->pos, E301, "errno %u is above 4095", r->action.errno_val);
			bad = 1;
		}
		for (size_t j = 0; j < r->nconds; j++) {
			const struct ir_arg_cond *c = &r->conds[j];
			if (c->index > 5 || (unsigned)c->op > IR_OP_MASKED_EQ ||
			    (c->op != IR_OP_IN && (c->nvalues < 1 || !c->values)) ||
			    (c->nvalues && !c->values)) {
				diag_error(d, c->pos.file ? c->pos : r->pos, E302,
				           "invalid argument condition on %s", r->syscall);
				bad = 1;
			}
		}
	}
	return bad ? -1 : 0;
}

int bpf_build(const struct ir_policy *p, const struct sysc_arch *arch, struct diag_sink *d,
              struct buf *out)
{
	if (check_ir(p, d) < 0)
		return -1;
	struct bpf_prog pr;
	bool too_long;
	char err[1024];
	if (bpf_compile(p, arch, &pr, &too_long, err, sizeof(err)) < 0) {
		if (too_long)
			diag_error(d, proc_pos(p), E304,
			           "%s (too many distinct rules or argument conditions; merge rules or "
			           "drop conditions)",
			           err);
		else
			diag_error(d, proc_pos(p), E901, "seccomp backend: %s", err);
		return -1;
	}
	if (bpf_validate(p, arch, pr.insns, pr.n, pr.ret_rule, err, sizeof(err)) < 0) {
		diag_error(d, proc_pos(p), E900, "%s", err);
		bpf_prog_free(&pr);
		return -1;
	}
	buf_u32(out, arch->audit_arch);
	buf_u32(out, 0);
	buf_u32(out, (uint32_t)pr.n);
	uint32_t nmap = 0;
	for (size_t i = 0; i < pr.n; i++) {
		buf_u16(out, pr.insns[i].code);
		buf_u8(out, pr.insns[i].jt);
		buf_u8(out, pr.insns[i].jf);
		buf_u32(out, pr.insns[i].k);
		nmap += pr.ret_rule[i] != BPF_RULE_MULTI;
	}
	buf_u32(out, nmap);
	for (size_t i = 0; i < pr.n; i++)
		if (pr.ret_rule[i] != BPF_RULE_MULTI) {
			buf_u32(out, (uint32_t)i);
			buf_u32(out, pr.ret_rule[i]);
		}
	bpf_prog_free(&pr);
	return 0;
}
