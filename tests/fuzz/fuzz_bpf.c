/* fuzz_bpf.c — libFuzzer target: random process policies, decoded from the
 * input bytes, compiled for every arch.  bpf_build validates its own output
 * against the policy (bpf_valid.c), so any disagreement between code
 * generation and the reference semantics is an E900 here, and the target
 * aborts on it.  Too-long programs (E304) are the one allowed failure.
 *
 * Input layout (little more than a byte stream): default action,
 * other_abis, then rules until the bytes run out: syscall (from a pool of
 * interesting names, or any x86_64 name by index), action, number of
 * conditions, and per condition: index, op, mask and values (from a pool
 * of boundary constants, or 8 raw bytes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"
#include "bpf.h"

int polc_verbose __attribute__((weak));

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t u64(struct in *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

static const char *const pool[] = {
	"read",   "write",   "socket", "socketpair", "clone",  "clone3", "personality",
	"ioctl",  "getpid",  "mmap",   "prctl",      "openat", "kill",   "futex",
	"dup",    "setsockopt", "exit_group", "arch_prctl", "socketcall", "ptrace", "bpf"};

static const uint64_t consts[] = {
	0, 1, 2, 38, 39, 40, 41, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x100000028,
	0x1ffffffff, 0xffffffff00000000, 0x8000000000000000, ~0ull, 0x7e020000, 0xf0, 0xc00};

static uint64_t value(struct in *in)
{
	uint8_t b = byte(in);
	if (b < 200)
		return consts[b % (sizeof(consts) / sizeof(consts[0]))];
	return u64(in);
}

static struct ir_action action(struct in *in)
{
	struct ir_action a = {0};
	uint8_t b = byte(in);
	switch (b % 8) {
	case 0:
	case 1: a.kind = IR_ACT_ALLOW; break;
	case 2: a.kind = IR_ACT_LOG; break;
	case 3:
	case 4:
		a.kind = IR_ACT_ERRNO;
		a.errno_val = (uint16_t)((b / 8) % 40);
		break;
	case 5: a.kind = IR_ACT_TRAP; break;
	case 6: a.kind = IR_ACT_KILL_THREAD; break;
	case 7: a.kind = IR_ACT_KILL; break;
	}
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct arena *a = arena_new();
	struct diag_sink *d = diag_sink_new(a);
	struct ir_policy *p = ir_policy_new(a);
	p->proc.present = true;
	p->proc.def = action(&in);
	p->proc.def_set = true;
	p->proc.other_abis = action(&in);
	p->proc.other_abis_set = true;
	const struct sysc_arch *x = sysc_arch_by_name("x86_64");
	for (int r = 0; r < 48 && in.n; r++) {
		struct ir_sys_rule *rule = ARENA_PUSH(a, p->proc.rules, p->proc.nrules, p->proc.caprules);
		memset(rule, 0, sizeof(*rule));
		uint8_t s = byte(&in);
		if (s < 160) {
			rule->syscall = pool[s % (sizeof(pool) / sizeof(pool[0]))];
		} else {
			uint32_t nr;
			const char *name;
			sysc_entry(x, (int)(byte(&in) % (unsigned)sysc_count(x)), &nr, &name);
			rule->syscall = name;
		}
		rule->action = action(&in);
		rule->origin = (byte(&in) & 7) == 0 ? IR_SYS_DENY_LIST : IR_SYS_RULE;
		size_t nc = byte(&in) % 4;
		rule->conds = arena_array(a, nc ? nc : 1, sizeof(*rule->conds));
		rule->nconds = nc;
		for (size_t c = 0; c < nc; c++) {
			struct ir_arg_cond *cd = &rule->conds[c];
			uint8_t b = byte(&in);
			cd->index = b % 6;
			cd->op = (enum ir_op)((b / 6) % 8);
			cd->nvalues = cd->op == IR_OP_IN ? 1 + byte(&in) % 6 : 1;
			cd->values = arena_array(a, cd->nvalues, sizeof(uint64_t));
			for (size_t v = 0; v < cd->nvalues; v++)
				cd->values[v] = value(&in);
			cd->mask = cd->op == IR_OP_MASKED_EQ ? value(&in) : 0;
		}
	}
	ir_finalize(p, d);
	int na;
	const struct sysc_arch *arches = sysc_arches(&na);
	for (int i = 0; i < na; i++) {
		struct buf b = {0};
		int rc = bpf_build(p, &arches[i], d, &b);
		buf_free(&b);
		for (size_t k = 0; k < diag_count(d); k++) {
			const struct diag *g = diag_get(d, k);
			if (g->code != DIAG_E304) {
				fprintf(stderr, "fuzz_bpf: %s: %s\n", diag_code_name(g->code), g->msg);
				abort();
			}
		}
		if (rc < 0 && diag_count(d) == 0)
			abort(); /* a failure must say why */
	}
	arena_free(a);
	return 0;
}
