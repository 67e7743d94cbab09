/* bpf_gen.c — code generation: IR process section -> classic BPF.
 *
 * Program shape (one per native arch):
 *
 *     ld  [arch]
 *     jeq NATIVE       -> native : next
 *     jeq OTHER_ABI    -> (ld [nr]; its tree) or ret other_abis : next   (i386, arm)
 *     ret kill                                         unknown arch
 *   native:
 *     ld  [nr]
 *     search tree over syscall-number ranges         (x32: the range >= 0x40000000)
 *       leaves: RET, or an argument block for a syscall with conditional rules
 *
 * Decision per syscall name: the rules naming it, most restrictive first
 * (stable, so among equals the first written wins, as in ir_proc_decide);
 * everything after the first unconditional rule can never decide.  Numbers
 * next to each other with the same unconditional result merge into one
 * range over the whole 32-bit space; the ranges are dispatched by a search
 * tree of JGE tests, where runs of "one result with a few single-number
 * exceptions" may instead become a chain of JEQ tests.  The tree shape
 * minimises (expected comparisons under static syscall weights) + (a
 * small price per instruction), by dynamic programming over intervals.
 * Paths to a RET of an argument-free syscall only load nr and arch and
 * only use JEQ/JGE/JGT/JA, so the kernel's action cache covers them.
 *
 * The program is emitted backwards (last instruction first): every jump
 * target already exists when its jump is written, so offsets are known;
 * a target further than 255 instructions gets a JA trampoline, and a RET
 * that would be out of reach is simply emitted again nearer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf.h"

#define LD_W_ABS 0x20
#define ALU_AND_K 0x54
#define JMP_JA 0x05
#define JMP_JEQ 0x15
#define JMP_JGT 0x25
#define JMP_JGE 0x35
#define JMP_JSET 0x45
#define RET_K 0x06

/* Internal ceiling: stop emitting past this (the result is refused anyway,
 * but a huge policy should not make the compiler allocate without bound). */
#define EMIT_CEILING (1u << 20)

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort(); /* batch compiler: see buf.h */
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

/* ---- static syscall weights ------------------------------------------------------- */

/* How often programs make each call: for each syscall, its share of each
 * program's calls in bench/data/training-trace.txt (19 programs: make,
 * python3, an HTTP server and client, perl, node, compressors, du, cp -r,
 * diff -r, sed, awk, ...), averaged over the programs so each counts the
 * same, in calls per 100 000, plus 1; a syscall none of them made weighs
 * 1.  The training programs are none of those of the benchmark's trace
 * (bench/data/syscall-trace.txt), which stays a held-out measurement.
 * Generated, sorted by name (bsearch), by
 *     bash bench/data/training-trace.sh weights < bench/data/training-trace.txt */
static const struct weight {
	const char *name;
	unsigned w;
} weights[] = {
	{"accept4", 47},
	{"access", 494},
	{"arch_prctl", 131},
	{"bind", 1},
	{"brk", 1021},
	{"capget", 61},
	{"chdir", 256},
	{"chmod", 2},
	{"clock_gettime", 318},
	{"clone", 57},
	{"clone3", 105},
	{"close", 8499},
	{"connect", 95},
	{"copy_file_range", 1080},
	{"dup2", 97},
	{"epoll_create1", 17},
	{"epoll_ctl", 38},
	{"epoll_pwait", 567},
	{"eventfd2", 16},
	{"execve", 361},
	{"faccessat2", 11},
	{"fadvise64", 673},
	{"fchown", 56},
	{"fcntl", 1950},
	{"fdatasync", 221},
	{"fstat", 76},
	{"fstatfs", 1},
	{"futex", 2742},
	{"getcwd", 103},
	{"getdents64", 1986},
	{"getegid", 178},
	{"geteuid", 268},
	{"getgid", 182},
	{"getpeername", 1},
	{"getpgrp", 16},
	{"getpid", 350},
	{"getppid", 70},
	{"getrandom", 137},
	{"getrusage", 5},
	{"getsockname", 65},
	{"gettid", 157},
	{"getuid", 205},
	{"ioctl", 2181},
	{"listen", 1},
	{"lseek", 1602},
	{"madvise", 383},
	{"mkdir", 65},
	{"mkdirat", 89},
	{"mmap", 3553},
	{"mprotect", 1120},
	{"munmap", 855},
	{"newfstatat", 16362},
	{"openat", 8911},
	{"pipe2", 74},
	{"pkey_alloc", 6},
	{"poll", 47},
	{"pread64", 5025},
	{"prlimit64", 222},
	{"pwrite64", 1139},
	{"read", 23386},
	{"readlink", 2718},
	{"recvfrom", 186},
	{"rename", 64},
	{"rseq", 231},
	{"rt_sigaction", 1982},
	{"rt_sigprocmask", 1102},
	{"rt_sigreturn", 72},
	{"sched_getaffinity", 6},
	{"sendto", 140},
	{"set_robust_list", 287},
	{"set_tid_address", 131},
	{"setresgid", 5},
	{"setresuid", 5},
	{"setsockopt", 47},
	{"shutdown", 47},
	{"sigaltstack", 1},
	{"socket", 96},
	{"stat", 16},
	{"statfs", 4},
	{"statx", 2037},
	{"symlinkat", 8},
	{"sysinfo", 43},
	{"umask", 2},
	{"uname", 27},
	{"unlink", 61},
	{"vfork", 22},
	{"wait4", 144},
	{"write", 2864},
};

static int weight_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct weight *)e)->name);
}

unsigned bpf_syscall_weight(const char *name)
{
	const struct weight *w =
	        bsearch(name, weights, sizeof(weights) / sizeof(weights[0]), sizeof(weights[0]),
	                weight_cmp);
	return w ? w->w : 1;
}

/* ---- per-name decision templates ----------------------------------------------------- */

struct tmpl {
	const char *name;
	bool cond;                       /* needs an argument block */
	uint32_t ret, rule;              /* !cond: the result */
	const struct ir_sys_rule **crules; /* cond: conditional rules, evaluation order */
	size_t ncrules;
	uint32_t fb_ret, fb_rule;        /* cond: when none matches */
	size_t label;                    /* emitted block, or SIZE_MAX */
};

static int rule_idx_cmp(const void *x, const void *y, void *ctx)
{
	const struct ir_sys_rule *rules = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int c = strcmp(rules[a].syscall, rules[b].syscall);
	return c ? c : (a > b) - (a < b);
}

static bool same_cond(const struct ir_arg_cond *a, const struct ir_arg_cond *b)
{
	if (a->index != b->index || a->op != b->op || a->nvalues != b->nvalues ||
	    (a->op == IR_OP_MASKED_EQ && a->mask != b->mask))
		return false;
	for (size_t i = 0; i < a->nvalues; i++)
		if (a->values[i] != b->values[i])
			return false;
	return true;
}

/* Every condition of a is one of b's: b matching implies a matching. */
static bool implies(const struct ir_sys_rule *b, const struct ir_sys_rule *a)
{
	for (size_t i = 0; i < a->nconds; i++) {
		bool found = false;
		for (size_t j = 0; j < b->nconds && !found; j++)
			found = same_cond(&a->conds[i], &b->conds[j]);
		if (!found)
			return false;
	}
	return true;
}

/* Builds one template per syscall name the rules mention (plus clone3's
 * implicit one).  Returns the array (malloc'd) and its length. */
static struct tmpl *make_templates(const struct ir_policy *p, size_t *nt)
{
	size_t n = p->proc.nrules;
	size_t *idx = xmalloc(n * sizeof(*idx));
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), rule_idx_cmp, p->proc.rules);
	struct tmpl *t = xcalloc(n + 1, sizeof(*t));
	size_t cnt = 0;
	uint32_t def_ret = bpf_ret_of(p->proc.def);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && strcmp(p->proc.rules[idx[j]].syscall, p->proc.rules[idx[i]].syscall) == 0)
			j++;
		/* Rules of this name, in policy order (idx is sorted by index
		 * within a name), then stable-sorted by rank, most restrictive
		 * first. */
		size_t k = j - i;
		const struct ir_sys_rule **g = xmalloc(k * sizeof(*g));
		for (size_t q = 0; q < k; q++) {
			const struct ir_sys_rule *r = &p->proc.rules[idx[i + q]];
			size_t at = q;
			while (at > 0 && ir_action_rank(g[at - 1]->action) < ir_action_rank(r->action)) {
				g[at] = g[at - 1];
				at--;
			}
			g[at] = r;
		}
		struct tmpl *tm = &t[cnt++];
		tm->name = p->proc.rules[idx[i]].syscall;
		tm->label = SIZE_MAX;
		tm->fb_ret = def_ret;
		tm->fb_rule = BPF_RULE_DEFAULT;
		size_t nc = 0;
		for (size_t q = 0; q < k; q++) {
			if (g[q]->nconds == 0) {
				tm->fb_ret = bpf_ret_of(g[q]->action);
				tm->fb_rule = g[q]->id;
				break;
			}
			/* A rule whose conditions include all of an earlier one's
			 * can never decide: whenever it matches, the earlier one
			 * (at least as restrictive) matched first.  Policies that
			 * extend the same base twice have many such duplicates. */
			bool dead = false;
			for (size_t e = 0; e < nc && !dead; e++)
				dead = implies(g[q], g[e]);
			if (!dead)
				g[nc++] = g[q];
		}
		if (nc == 0) {
			free(g);
			tm->ret = tm->fb_ret;
			tm->rule = tm->fb_rule;
		} else {
			tm->cond = true;
			tm->crules = g;
			tm->ncrules = nc;
		}
		i = j;
	}
	if (bpf_clone3_implicit(p)) {
		struct tmpl *tm = &t[cnt++];
		tm->name = "clone3";
		tm->label = SIZE_MAX;
		struct ir_action enosys = {IR_ACT_ERRNO, 38 /* ENOSYS */};
		tm->ret = bpf_ret_of(enosys);
		tm->rule = BPF_RULE_CLONE3;
	}
	free(idx);
	*nt = cnt;
	return t;
}

static void free_templates(struct tmpl *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].crules);
	free(t);
}

/* ---- backward emitter ----------------------------------------------------------------- */

/* A label is an instruction's position counted from the end of the
 * program (0 = last); a jump at position p to label t has offset p - t - 1. */
typedef size_t lab;

struct retc {
	uint32_t ret, rule;
	lab pos;
};

struct emit {
	struct bpf_insn *rev;
	uint32_t *rule; /* per position: RET's rule, else BPF_RULE_MULTI */
	size_t n, cap;
	struct retc *rets;
	size_t nrets, caprets;
	bool overflow;
};

static lab push(struct emit *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k, uint32_t rule)
{
	if (e->n >= EMIT_CEILING) {
		e->overflow = true;
		return e->n ? e->n - 1 : 0;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 256;
		e->rev = xrealloc(e->rev, e->cap * sizeof(*e->rev));
		e->rule = xrealloc(e->rule, e->cap * sizeof(*e->rule));
	}
	e->rev[e->n] = (struct bpf_insn){code, jt, jf, k};
	e->rule[e->n] = rule;
	return e->n++;
}

static bool reach(const struct emit *e, lab t)
{
	return e->n - t - 1 <= 255;
}

/* A RET (ret, rule) that a jump emitted next can reach. */
static lab ret_lab(struct emit *e, uint32_t ret, uint32_t rule)
{
	for (size_t i = e->nrets; i-- > 0;)
		if (e->rets[i].ret == ret && e->rets[i].rule == rule) {
			if (reach(e, e->rets[i].pos))
				return e->rets[i].pos;
			lab l = push(e, RET_K, 0, 0, ret, rule);
			e->rets[i].pos = l;
			return l;
		}
	lab l = push(e, RET_K, 0, 0, ret, rule);
	if (e->nrets == e->caprets) {
		e->caprets = e->caprets ? 2 * e->caprets : 16;
		e->rets = xrealloc(e->rets, e->caprets * sizeof(*e->rets));
	}
	e->rets[e->nrets++] = (struct retc){ret, rule, l};
	return l;
}

static lab ja(struct emit *e, lab t)
{
	return push(e, JMP_JA, 0, 0, (uint32_t)(e->n - t - 1), BPF_RULE_MULTI);
}

/* Conditional jump; trampolines for targets out of reach. */
static lab jcond(struct emit *e, uint16_t code, uint32_t k, lab t, lab f)
{
	if (t == f)
		return t;
	for (;;) {
		if (!reach(e, t))
			t = ja(e, t);
		else if (!reach(e, f))
			f = ja(e, f);
		else
			break;
		if (e->overflow)
			return t;
	}
	return push(e, code, (uint8_t)(e->n - t - 1), (uint8_t)(e->n - f - 1), k, BPF_RULE_MULTI);
}

/* An instruction that falls through to next: next must directly follow. */
static lab straight(struct emit *e, uint16_t code, uint32_t k, lab next)
{
	if (e->n == 0 || next != e->n - 1)
		ja(e, next);
	return push(e, code, 0, 0, k, BPF_RULE_MULTI);
}

/* ---- argument blocks ----------------------------------------------------------------- */

/* A block is first built forwards as a small plan (nodes whose edges only
 * point forwards, with the accumulator's content tracked so a word already
 * in A is not loaded again), then emitted backwards. */
enum pkind { P_LD, P_AND, P_JMP };
#define ST_UNKNOWN 0xffu
#define T_ENTRY (-1) /* pseudo node: the block's entry */

struct pnode {
	enum pkind kind;
	uint16_t code;
	uint32_t k;
	int t, f; /* node index, or external target ~x (x = index in ext) */
};

struct edge {
	int node; /* T_ENTRY or a P_JMP node */
	bool is_t;
	uint8_t st; /* A's content along this edge: word offset or ST_UNKNOWN */
};

struct elist {
	struct edge *v;
	size_t n, cap;
};

struct plan {
	struct pnode *nodes;
	size_t n, cap;
	int entry;
	struct { uint32_t ret, rule; } *ext;
	size_t next, capext;
	uint8_t st; /* A's content at the point the next node is added */
};

static void el_add(struct elist *l, int node, bool is_t, uint8_t st)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = (struct edge){node, is_t, st};
}

static void el_move(struct elist *to, struct elist *from)
{
	for (size_t i = 0; i < from->n; i++)
		el_add(to, from->v[i].node, from->v[i].is_t, from->v[i].st);
	from->n = 0;
}

static uint8_t el_meet(const struct elist *l)
{
	if (l->n == 0)
		return ST_UNKNOWN;
	for (size_t i = 1; i < l->n; i++)
		if (l->v[i].st != l->v[0].st)
			return ST_UNKNOWN;
	return l->v[0].st;
}

static void patch(struct plan *pl, struct elist *l, int target)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].node == T_ENTRY)
			pl->entry = target;
		else if (l->v[i].is_t)
			pl->nodes[l->v[i].node].t = target;
		else
			pl->nodes[l->v[i].node].f = target;
	}
	l->n = 0;
}

static int ext_target(struct plan *pl, uint32_t ret, uint32_t rule)
{
	for (size_t i = 0; i < pl->next; i++)
		if (pl->ext[i].ret == ret && pl->ext[i].rule == rule)
			return ~(int)i;
	if (pl->next == pl->capext) {
		pl->capext = pl->capext ? 2 * pl->capext : 8;
		pl->ext = xrealloc(pl->ext, pl->capext * sizeof(*pl->ext));
	}
	pl->ext[pl->next].ret = ret;
	pl->ext[pl->next].rule = rule;
	return ~(int)pl->next++;
}

static int add_node(struct plan *pl, enum pkind kind, uint16_t code, uint32_t k)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? 2 * pl->cap : 32;
		pl->nodes = xrealloc(pl->nodes, pl->cap * sizeof(*pl->nodes));
	}
	pl->nodes[pl->n] = (struct pnode){kind, code, k, 0, 0};
	return (int)pl->n++;
}

/* Starts code at the point `in` leads to: patches in to the next node and
 * takes its meet as A's content. */
static void begin(struct plan *pl, struct elist *in)
{
	pl->st = el_meet(in);
	patch(pl, in, (int)pl->n);
}

/* Loads word `off` unless A already holds it. */
static void want(struct plan *pl, uint32_t off)
{
	if (pl->st != off) {
		add_node(pl, P_LD, LD_W_ABS, off);
		pl->st = (uint8_t)off;
	}
}

/* A jump node; its edges go to t and f lists (NULL: patched by caller via
 * the returned index). */
static int jmp(struct plan *pl, uint16_t code, uint32_t k, struct elist *t, struct elist *f)
{
	int n = add_node(pl, P_JMP, code, k);
	if (t)
		el_add(t, n, true, pl->st);
	if (f)
		el_add(f, n, false, pl->st);
	return n;
}

/* Word test "w op k" from the current point (in already begun). */
static void word_cmp(struct plan *pl, uint32_t w, uint16_t code, uint32_t k, bool negate,
                     struct elist *succ, struct elist *fail)
{
	want(pl, w);
	jmp(pl, code, k, negate ? fail : succ, negate ? succ : fail);
}

/* Set membership of one word, values sorted and unique (n >= 1). */
static void word_in(struct plan *pl, uint32_t w, const uint32_t *v, size_t n, struct elist *succ,
                    struct elist *fail)
{
	want(pl, w);
	if (n <= 3) {
		for (size_t i = 0; i < n; i++) {
			int j = jmp(pl, JMP_JEQ, v[i], succ, i + 1 == n ? fail : NULL);
			if (i + 1 < n)
				pl->nodes[j].f = (int)pl->n;
		}
		return;
	}
	size_t mid = n / 2;
	struct elist hi = {0};
	int j = jmp(pl, JMP_JGE, v[mid], &hi, NULL);
	pl->nodes[j].f = (int)pl->n;
	uint8_t st = pl->st;
	word_in(pl, w, v, mid, succ, fail);
	pl->st = st;
	begin(pl, &hi);
	word_in(pl, w, v + mid, n - mid, succ, fail);
	free(hi.v);
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

/* (w & m) == v on one 32-bit word; constant results go straight to the
 * lists.  `in` leads to this test; returns with succ/fail extended. */
static void word_masked(struct plan *pl, struct elist *in, uint32_t w, uint32_t m, uint32_t v,
                        struct elist *succ, struct elist *fail)
{
	if (v & ~m) {
		el_move(fail, in);
		return;
	}
	if (m == 0) {
		el_move(succ, in);
		return;
	}
	begin(pl, in);
	want(pl, w);
	if (v == 0) {
		jmp(pl, JMP_JSET, m, fail, succ);
	} else if (v == m && (m & (m - 1)) == 0) {
		jmp(pl, JMP_JSET, m, succ, fail);
	} else {
		add_node(pl, P_AND, ALU_AND_K, m);
		pl->st = ST_UNKNOWN;
		jmp(pl, JMP_JEQ, v, succ, fail);
	}
}

/* 64-bit "x > c" (ge false) or "x >= c" (ge true), x split into hi/lo words. */
static void cmp64(struct plan *pl, struct elist *in, unsigned idx, bool ge, uint64_t c,
                  struct elist *succ, struct elist *fail)
{
	uint32_t ch = (uint32_t)(c >> 32), cl = (uint32_t)c;
	if (ge && c == 0) {
		el_move(succ, in);
		return;
	}
	if (!ge && c == UINT64_MAX) {
		el_move(fail, in);
		return;
	}
	begin(pl, in);
	want(pl, BPF_SD_ARG_HI(idx));
	struct elist eqhi = {0};
	if (ch == UINT32_MAX) {
		/* hi > ch is impossible: hi must equal ch */
		jmp(pl, JMP_JEQ, ch, &eqhi, fail);
	} else if (ch == 0) {
		jmp(pl, JMP_JGT, 0, succ, &eqhi);
	} else {
		int j = jmp(pl, JMP_JGT, ch, succ, NULL);
		pl->nodes[j].f = (int)pl->n;
		jmp(pl, JMP_JEQ, ch, &eqhi, fail);
	}
	begin(pl, &eqhi);
	word_cmp(pl, BPF_SD_ARG_LO(idx), ge ? JMP_JGE : JMP_JGT, cl, false, succ, fail);
	free(eqhi.v);
}

/* One condition.  `in` leads to it; its outcomes are added to succ/fail. */
static void build_cond(struct plan *pl, const char *sc, const struct ir_arg_cond *c,
                       struct elist *in, struct elist *succ, struct elist *fail)
{
	unsigned i = c->index;
	bool is32 = sysc_arg_is32(sc, i);
	uint64_t width = is32 ? 0xffffffffull : ~0ull;
	uint64_t v = c->nvalues ? c->values[0] & width : 0;
	uint32_t lo = BPF_SD_ARG_LO(i), hi = BPF_SD_ARG_HI(i);

	if (c->op == IR_OP_MASKED_EQ) {
		uint64_t m = c->mask & width;
		if (is32) {
			word_masked(pl, in, lo, (uint32_t)m, (uint32_t)v, succ, fail);
			return;
		}
		struct elist mid = {0};
		word_masked(pl, in, hi, (uint32_t)(m >> 32), (uint32_t)(v >> 32), &mid, fail);
		word_masked(pl, &mid, lo, (uint32_t)m, (uint32_t)v, succ, fail);
		free(mid.v);
		return;
	}
	if (c->op == IR_OP_IN) {
		if (c->nvalues == 0) {
			el_move(fail, in);
			return;
		}
		uint64_t *vals = xmalloc(c->nvalues * sizeof(*vals));
		size_t n = 0;
		for (size_t q = 0; q < c->nvalues; q++)
			vals[n++] = c->values[q] & width;
		qsort(vals, n, sizeof(*vals), u64_cmp);
		size_t u = 0;
		for (size_t q = 0; q < n; q++)
			if (u == 0 || vals[q] != vals[u - 1])
				vals[u++] = vals[q];
		uint32_t *w = xmalloc(u * sizeof(*w));
		begin(pl, in);
		if (is32) {
			for (size_t q = 0; q < u; q++)
				w[q] = (uint32_t)vals[q];
			word_in(pl, lo, w, u, succ, fail);
		} else {
			/* Group by high word: one JEQ per distinct high word, then the
			 * low words of that group. */
			size_t q = 0;
			while (q < u) {
				size_t r = q;
				while (r < u && (vals[r] >> 32) == (vals[q] >> 32))
					r++;
				want(pl, hi);
				struct elist grp = {0};
				int j = jmp(pl, JMP_JEQ, (uint32_t)(vals[q] >> 32), &grp, r == u ? fail : NULL);
				uint8_t st = pl->st;
				begin(pl, &grp);
				for (size_t s = q; s < r; s++)
					w[s - q] = (uint32_t)vals[s];
				word_in(pl, lo, w, r - q, succ, fail);
				free(grp.v);
				if (r < u) {
					pl->nodes[j].f = (int)pl->n;
					pl->st = st;
				}
				q = r;
			}
		}
		free(w);
		free(vals);
		return;
	}
	if (is32) {
		uint32_t k = (uint32_t)v;
		switch (c->op) {
		case IR_OP_LT:
			if (k == 0) {
				el_move(fail, in);
				return;
			}
			break;
		case IR_OP_GE:
			if (k == 0) {
				el_move(succ, in);
				return;
			}
			break;
		case IR_OP_LE:
			if (k == UINT32_MAX) {
				el_move(succ, in);
				return;
			}
			break;
		case IR_OP_GT:
			if (k == UINT32_MAX) {
				el_move(fail, in);
				return;
			}
			break;
		default: break;
		}
		begin(pl, in);
		switch (c->op) {
		case IR_OP_EQ: word_cmp(pl, lo, JMP_JEQ, k, false, succ, fail); break;
		case IR_OP_NE: word_cmp(pl, lo, JMP_JEQ, k, true, succ, fail); break;
		case IR_OP_GT: word_cmp(pl, lo, JMP_JGT, k, false, succ, fail); break;
		case IR_OP_GE: word_cmp(pl, lo, JMP_JGE, k, false, succ, fail); break;
		case IR_OP_LT: word_cmp(pl, lo, JMP_JGE, k, true, succ, fail); break;
		case IR_OP_LE: word_cmp(pl, lo, JMP_JGT, k, true, succ, fail); break;
		default: break;
		}
		return;
	}
	switch (c->op) {
	case IR_OP_EQ:
	case IR_OP_NE: {
		bool ne = c->op == IR_OP_NE;
		begin(pl, in);
		want(pl, hi);
		struct elist eqhi = {0};
		jmp(pl, JMP_JEQ, (uint32_t)(v >> 32), &eqhi, ne ? succ : fail);
		begin(pl, &eqhi);
		word_cmp(pl, lo, JMP_JEQ, (uint32_t)v, ne, succ, fail);
		free(eqhi.v);
		return;
	}
	case IR_OP_GT: cmp64(pl, in, i, false, v, succ, fail); return;
	case IR_OP_GE: cmp64(pl, in, i, true, v, succ, fail); return;
	case IR_OP_LT: cmp64(pl, in, i, true, v, fail, succ); return;
	case IR_OP_LE: cmp64(pl, in, i, false, v, fail, succ); return;
	default: el_move(fail, in); return;
	}
}

/* The block of one syscall: its conditional rules in order, then the
 * fallback.  Returns the entry label. */
static lab emit_block(struct emit *e, const struct tmpl *t)
{
	struct plan pl = {0};
	pl.entry = T_ENTRY;
	struct elist in = {0}, fail = {0}, succ = {0};
	el_add(&in, T_ENTRY, true, ST_UNKNOWN);
	for (size_t r = 0; r < t->ncrules; r++) {
		const struct ir_sys_rule *rule = t->crules[r];
		for (size_t c = 0; c < rule->nconds && in.n; c++) {
			build_cond(&pl, t->name, &rule->conds[c], &in, &succ, &fail);
			el_move(&in, &succ);
		}
		/* in: every condition held */
		if (in.n)
			patch(&pl, &in, ext_target(&pl, bpf_ret_of(rule->action), rule->id));
		el_move(&in, &fail);
	}
	if (in.n)
		patch(&pl, &in, ext_target(&pl, t->fb_ret, t->fb_rule));
	free(in.v);
	free(fail.v);
	free(succ.v);

	lab *labels = xmalloc(pl.n * sizeof(*labels));
	for (size_t i = pl.n; i-- > 0;) {
		const struct pnode *nd = &pl.nodes[i];
		if (nd->kind != P_JMP) {
			labels[i] = straight(e, nd->code, nd->k, labels[i + 1]);
			continue;
		}
		/* Targets: nodes already emitted, or RETs (fetched now so that
		 * they are within reach of this jump). */
		lab tl = nd->t >= 0 ? labels[nd->t] : ret_lab(e, pl.ext[~nd->t].ret, pl.ext[~nd->t].rule);
		lab fl = nd->f >= 0 ? labels[nd->f] : ret_lab(e, pl.ext[~nd->f].ret, pl.ext[~nd->f].rule);
		labels[i] = jcond(e, nd->code, nd->k, tl, fl);
	}
	lab entry = pl.entry >= 0 ? labels[pl.entry]
	                          : ret_lab(e, pl.ext[~pl.entry].ret, pl.ext[~pl.entry].rule);
	free(labels);
	free(pl.nodes);
	free(pl.ext);
	return entry;
}

/* ---- syscall-number dispatch ----------------------------------------------------------- */

struct leaf {
	uint32_t lo, hi;
	struct tmpl *t; /* argument block, or NULL for a RET */
	uint32_t ret, rule;
	uint64_t w;
};

struct tree {
	struct leaf *lv;
	size_t n, cap;
};

static void add_leaf(struct tree *tr, uint32_t lo, uint32_t hi, struct tmpl *t, uint32_t ret,
                     uint32_t rule, uint64_t w)
{
	/* Merge with the previous range when both are the same RET. */
	if (!t && tr->n && !tr->lv[tr->n - 1].t && tr->lv[tr->n - 1].ret == ret &&
	    tr->lv[tr->n - 1].hi + 1 == lo) {
		struct leaf *p = &tr->lv[tr->n - 1];
		p->hi = hi;
		if (p->rule != rule)
			p->rule = BPF_RULE_MULTI;
		p->w += w;
		return;
	}
	if (tr->n == tr->cap) {
		tr->cap = tr->cap ? 2 * tr->cap : 64;
		tr->lv = xrealloc(tr->lv, tr->cap * sizeof(*tr->lv));
	}
	tr->lv[tr->n++] = (struct leaf){lo, hi, t, ret, rule, w};
}

struct point {
	uint32_t nr;
	struct tmpl *t;
	unsigned w;
};

static int point_cmp(const void *x, const void *y)
{
	const struct point *a = x, *b = y;
	return (a->nr > b->nr) - (a->nr < b->nr);
}

/* Collects the ranges of one ABI tree.  `abis` are the ABIs whose numbers
 * live in this tree (native + x32 when it is allowed); `other_lo` is where
 * numbers of a disallowed x32 start (UINT32_MAX: none). */
static int build_tree(struct tree *tr, const struct bpf_opts *opts, struct tmpl *tm, size_t ntm,
                      const struct sysc_arch *const *abis, int nabis, uint32_t def_ret,
                      uint32_t other_lo, uint32_t other_ret, char *err, size_t errlen)
{
	struct point *pts = NULL;
	size_t np = 0, cap = 0;
	/* Weight of a number with no rule: its own name's weight (it still
	 * gets dispatched to the default). */
	for (int a = 0; a < nabis; a++) {
		int cnt = sysc_count(abis[a]);
		for (int i = 0; i < cnt; i++) {
			uint32_t nr;
			const char *name;
			sysc_entry(abis[a], i, &nr, &name);
			if (nr >= other_lo)
				continue;
			if (np == cap) {
				cap = cap ? 2 * cap : 512;
				pts = xrealloc(pts, cap * sizeof(*pts));
			}
			/* Another ABI sharing this tree (x32) is rare enough to
			 * weigh nothing: its ranges still weigh a little each
			 * (emit_tree), which shapes their own part of the tree,
			 * but less than a native number no program made, so
			 * they do not push rare native calls deeper. */
			unsigned w = a != 0        ? 0
			             : opts->weight ? opts->weight(name, opts->ctx)
			                            : bpf_syscall_weight(name);
			pts[np++] = (struct point){nr, NULL, w};
		}
	}
	qsort(pts, np, sizeof(*pts), point_cmp);
	for (size_t i = 1; i < np; i++)
		if (pts[i].nr == pts[i - 1].nr) {
			snprintf(err, errlen, "syscall number %u named twice in the tables", pts[i].nr);
			free(pts);
			return -1;
		}
	for (size_t i = 0; i < ntm; i++)
		for (int a = 0; a < nabis; a++) {
			int nr = sysc_resolve(abis[a], tm[i].name);
			if (nr < 0 || (uint32_t)nr >= other_lo)
				continue;
			struct point key = {(uint32_t)nr, NULL, 0};
			struct point *pt = bsearch(&key, pts, np, sizeof(*pts), point_cmp);
			if (pt)
				pt->t = &tm[i];
		}
	uint32_t next = 0;
	for (size_t i = 0; i < np; i++) {
		if (pts[i].nr > next)
			add_leaf(tr, next, pts[i].nr - 1, NULL, def_ret, BPF_RULE_DEFAULT, 0);
		struct tmpl *t = pts[i].t;
		if (t && t->cond)
			add_leaf(tr, pts[i].nr, pts[i].nr, t, 0, 0, pts[i].w);
		else if (t)
			add_leaf(tr, pts[i].nr, pts[i].nr, NULL, t->ret, t->rule, pts[i].w);
		else
			add_leaf(tr, pts[i].nr, pts[i].nr, NULL, def_ret, BPF_RULE_DEFAULT, pts[i].w);
		next = pts[i].nr + 1;
	}
	if (other_lo != UINT32_MAX) {
		if (next < other_lo)
			add_leaf(tr, next, other_lo - 1, NULL, def_ret, BPF_RULE_DEFAULT, 0);
		add_leaf(tr, other_lo, UINT32_MAX, NULL, other_ret, BPF_RULE_OTHER_ABI, 0);
	} else if (next != 0 || np == 0) {
		add_leaf(tr, next, UINT32_MAX, NULL, def_ret, BPF_RULE_DEFAULT, 0);
	}
	free(pts);
	return 0;
}

/* The search tree over leaves [0, m): dynamic programming over intervals.
 * cost(i, j) = sum over leaves of weight x depth below this node + lam x
 * instructions.  Node kinds: JGE split after s; or a chain of JEQ tests for
 * single-number exceptions inside one RET result. */
#define CHAIN_MAX 12
#define DP_FULL 100  /* exact split search up to this many leaves */
#define DP_KNUTH 600 /* Knuth-bounded split search up to this many */

struct dp {
	const struct leaf *lv;
	size_t m;
	uint64_t *pre; /* prefix sums of weights */
	uint64_t lam;
	uint64_t *cost;
	uint32_t *size;
	int32_t *choice; /* split s (>= 0), or -1 chain, -2 leaf */
};

static bool same_ret(const struct leaf *a, const struct leaf *b)
{
	return !a->t && !b->t && a->ret == b->ret;
}

/* Exceptions of the chain for [i, j] with result K = leaf k's RET, sorted
 * heaviest first into ex[]; returns their count, or -1 if [i, j] is no
 * such chain. */
static int chain_of(const struct leaf *lv, size_t i, size_t j, size_t k, size_t *ex)
{
	int ne = 0;
	for (size_t q = i; q <= j; q++) {
		if (same_ret(&lv[q], &lv[k]))
			continue;
		if (lv[q].lo != lv[q].hi || ne == CHAIN_MAX)
			return -1;
		int at = ne++;
		while (at > 0 && lv[ex[at - 1]].w < lv[q].w) {
			ex[at] = ex[at - 1];
			at--;
		}
		ex[at] = q;
	}
	return ne;
}

/* Best chain for [i, j]: returns the objective (UINT64_MAX if none) and
 * the K leaf in *kbest.  K's result must be that of every leaf wider than
 * one number, so there is at most one candidate unless all are single
 * numbers. */
static uint64_t chain_best(const struct dp *d, size_t i, size_t j, size_t *kbest, uint32_t *size)
{
	if (j - i + 1 > 2 * CHAIN_MAX + 1)
		return UINT64_MAX;
	size_t wide = SIZE_MAX;
	for (size_t q = i; q <= j; q++)
		if (d->lv[q].lo != d->lv[q].hi) {
			if (wide != SIZE_MAX && !same_ret(&d->lv[wide], &d->lv[q]))
				return UINT64_MAX;
			wide = q;
		}
	uint64_t best = UINT64_MAX;
	size_t ex[CHAIN_MAX];
	for (size_t k = wide != SIZE_MAX ? wide : i; k <= j; k++) {
		if (d->lv[k].t)
			continue;
		if (wide == SIZE_MAX) {
			bool seen = false;
			for (size_t q = i; q < k && !seen; q++)
				seen = same_ret(&d->lv[q], &d->lv[k]);
			if (seen)
				continue;
		}
		int ne = chain_of(d->lv, i, j, k, ex);
		if (ne > 0) {
			uint64_t wk = d->pre[j + 1] - d->pre[i], c = 0;
			for (int q = 0; q < ne; q++) {
				c += d->lv[ex[q]].w * (uint64_t)(q + 1);
				wk -= d->lv[ex[q]].w;
			}
			c += wk * (uint64_t)ne + d->lam * (uint64_t)ne;
			if (c < best) {
				best = c;
				*kbest = k;
				*size = (uint32_t)ne;
			}
		}
		if (wide != SIZE_MAX)
			break;
	}
	return best;
}

static void dp_solve(struct dp *d)
{
	size_t m = d->m;
	for (size_t len = 1; len <= m; len++)
		for (size_t i = 0; i + len <= m; i++) {
			size_t j = i + len - 1, at = i * m + j;
			if (len == 1) {
				d->cost[at] = 0;
				d->size[at] = 0;
				d->choice[at] = -2;
				continue;
			}
			uint64_t w = d->pre[j + 1] - d->pre[i];
			uint64_t best = UINT64_MAX;
			int32_t bc = (int32_t)i;
			uint32_t bs = 0;
			size_t s0 = i, s1 = j - 1;
			if (m > DP_FULL && len > 2) {
				/* Knuth's bounds (exact for pure split trees; with chains a
				 * good heuristic). */
				int32_t l = d->choice[i * m + j - 1], r = d->choice[(i + 1) * m + j];
				if (l >= 0 && (size_t)l >= s0)
					s0 = (size_t)l;
				if (r >= 0 && (size_t)r <= s1 && (size_t)r >= s0)
					s1 = (size_t)r;
			}
			for (size_t s = s0; s <= s1; s++) {
				uint64_t c = d->cost[i * m + s] + d->cost[(s + 1) * m + j];
				if (c < best) {
					best = c;
					bc = (int32_t)s;
					bs = d->size[i * m + s] + d->size[(s + 1) * m + j] + 1;
				}
			}
			best += w + d->lam;
			size_t k;
			uint32_t cs;
			uint64_t cc = chain_best(d, i, j, &k, &cs);
			if (cc < best) {
				best = cc;
				bc = -1;
				bs = cs;
			}
			d->cost[at] = best;
			d->size[at] = bs;
			d->choice[at] = bc;
		}
}

static lab leaf_label(struct emit *e, struct leaf *l)
{
	if (!l->t)
		return ret_lab(e, l->ret, l->rule);
	struct tmpl *t = l->t;
	if (t->label != SIZE_MAX && reach(e, t->label))
		return t->label;
	t->label = emit_block(e, t);
	return t->label;
}

/* Weighted-median split for trees too large for the DP. */
static lab emit_median(struct emit *e, struct leaf *lv, const uint64_t *pre, size_t i, size_t j)
{
	if (i == j)
		return leaf_label(e, &lv[i]);
	uint64_t half = (pre[j + 1] + pre[i]) / 2;
	size_t s = i;
	while (s + 1 < j && pre[s + 2] <= half)
		s++;
	lab r = emit_median(e, lv, pre, s + 1, j);
	lab l = emit_median(e, lv, pre, i, s);
	return jcond(e, JMP_JGE, lv[s + 1].lo, r, l);
}

static lab emit_dp(struct emit *e, struct dp *d, struct leaf *lv, size_t i, size_t j)
{
	int32_t ch = d->choice[i * d->m + j];
	if (ch == -2)
		return leaf_label(e, &lv[i]);
	if (ch == -1) {
		size_t k, ex[CHAIN_MAX];
		uint32_t cs;
		chain_best(d, i, j, &k, &cs);
		int ne = chain_of(lv, i, j, k, ex);
		lab l = leaf_label(e, &lv[k]);
		for (int q = ne; q-- > 0;) {
			lab t = leaf_label(e, &lv[ex[q]]);
			l = jcond(e, JMP_JEQ, lv[ex[q]].lo, t, l);
		}
		return l;
	}
	size_t s = (size_t)ch;
	lab r = emit_dp(e, d, lv, s + 1, j);
	lab l = emit_dp(e, d, lv, i, s);
	return jcond(e, JMP_JGE, lv[s + 1].lo, r, l);
}

static lab emit_tree(struct emit *e, struct tree *tr)
{
	size_t m = tr->n;
	uint64_t *pre = xmalloc((m + 1) * sizeof(*pre));
	pre[0] = 0;
	for (size_t i = 0; i < m; i++) {
		tr->lv[i].w = tr->lv[i].w * 8 + 1; /* every leaf weighs a little */
		pre[i + 1] = pre[i] + tr->lv[i].w;
	}
	lab entry;
	if (m > DP_KNUTH) {
		entry = emit_median(e, tr->lv, pre, 0, m - 1);
	} else {
		struct dp d = {tr->lv, m, pre, 0, NULL, NULL, NULL};
		/* One instruction is worth 1/512 of all the weight: shape first,
		 * size as the tie-breaker that drops near-useless tests. */
		d.lam = pre[m] / 512 + 1;
		d.cost = xmalloc(m * m * sizeof(*d.cost));
		d.size = xmalloc(m * m * sizeof(*d.size));
		d.choice = xmalloc(m * m * sizeof(*d.choice));
		dp_solve(&d);
		entry = emit_dp(e, &d, tr->lv, 0, m - 1);
		free(d.cost);
		free(d.size);
		free(d.choice);
	}
	free(pre);
	return entry;
}

/* Gives every RET leaf with the same return value the same rule key: its
 * rule when they all agree, else BPF_RULE_MULTI (no map entry).  One RET
 * instruction can then serve all of them. */
static void unify_rules(struct tree *trees, int ntrees)
{
	struct {
		uint32_t ret, rule;
	} seen[64];
	size_t nseen = 0;
	bool overflow = false;
	for (int pass = 0; pass < 2; pass++)
		for (int a = 0; a < ntrees; a++)
			for (size_t i = 0; i < trees[a].n; i++) {
				struct leaf *l = &trees[a].lv[i];
				if (l->t)
					continue;
				size_t k = 0;
				while (k < nseen && seen[k].ret != l->ret)
					k++;
				if (pass == 0) {
					if (k == nseen) {
						if (nseen == sizeof(seen) / sizeof(seen[0])) {
							overflow = true;
							continue;
						}
						seen[nseen].ret = l->ret;
						seen[nseen++].rule = l->rule;
					} else if (seen[k].rule != l->rule) {
						seen[k].rule = BPF_RULE_MULTI;
					}
				} else {
					l->rule = k < nseen && !overflow ? seen[k].rule : BPF_RULE_MULTI;
				}
			}
}

void bpf_prog_free(struct bpf_prog *pr)
{
	free(pr->insns);
	free(pr->ret_rule);
	memset(pr, 0, sizeof(*pr));
}

int bpf_compile(const struct ir_policy *p, const struct sysc_arch *native, struct bpf_prog *pr,
                bool *too_long, char *err, size_t errlen)
{
	static const struct bpf_opts dflt = {NULL, NULL};
	return bpf_compile_with(p, native, &dflt, pr, too_long, err, errlen);
}

int bpf_compile_with(const struct ir_policy *p, const struct sysc_arch *native,
                     const struct bpf_opts *opts, struct bpf_prog *pr, bool *too_long, char *err,
                     size_t errlen)
{
	memset(pr, 0, sizeof(*pr));
	*too_long = false;
	size_t ntm;
	struct tmpl *tm = make_templates(p, &ntm);
	uint32_t def_ret = bpf_ret_of(p->proc.def);
	uint32_t other_ret = bpf_ret_of(p->proc.other_abis);
	bool others_allowed = p->proc.other_abis.kind == IR_ACT_ALLOW;

	int nothers;
	const struct sysc_arch *const *others = sysc_other_abis(native, &nothers);
	/* Trees: [0] native (+ x32), then one per other ABI with its own arch. */
	struct tree trees[4];
	const struct sysc_arch *tree_abi[4];
	memset(trees, 0, sizeof(trees));
	int ntrees = 0;
	const struct sysc_arch *nat_abis[3] = {native};
	int nnat = 1;
	uint32_t other_lo = UINT32_MAX;
	for (int i = 0; i < nothers; i++)
		if (others[i]->audit_arch == native->audit_arch) {
			if (others_allowed)
				nat_abis[nnat++] = others[i];
			else
				other_lo = SYSC_X32_BIT;
		}
	tree_abi[0] = native;
	int rc = build_tree(&trees[ntrees++], opts, tm, ntm, nat_abis, nnat, def_ret, other_lo, other_ret,
	                    err, errlen);
	for (int i = 0; rc == 0 && i < nothers && ntrees < 4; i++)
		if (others[i]->audit_arch != native->audit_arch && others_allowed) {
			tree_abi[ntrees] = others[i];
			rc = build_tree(&trees[ntrees++], opts, tm, ntm, &others[i], 1, def_ret, UINT32_MAX, 0, err,
			                errlen);
		}
	if (rc < 0)
		goto out;
	unify_rules(trees, ntrees);
	/* When other ABIs get `kill` like an unknown arch, the arch check needs
	 * no test for them, and the kill RET can be shared with the tree's. */
	bool merge_bad = !others_allowed && other_ret == BPF_RET_KILL_PROCESS;
	uint32_t bad_rule = BPF_RULE_BAD_ARCH;
	for (int i = 0; i < nothers; i++)
		if (others[i]->audit_arch != native->audit_arch && merge_bad)
			bad_rule = BPF_RULE_MULTI;
	if (bad_rule == BPF_RULE_MULTI)
		for (int t = 0; t < ntrees; t++)
			for (size_t i = 0; i < trees[t].n; i++)
				if (!trees[t].lv[i].t && trees[t].lv[i].ret == BPF_RET_KILL_PROCESS)
					trees[t].lv[i].rule = BPF_RULE_MULTI;

	struct emit e = {0};
	/* Backwards: the other ABIs' trees last in the program, then the
	 * native tree, then the arch check. */
	lab abi_entry[4];
	for (int t = ntrees - 1; t >= 1; t--)
		abi_entry[t] = straight(&e, LD_W_ABS, BPF_SD_NR, emit_tree(&e, &trees[t]));
	lab nat = straight(&e, LD_W_ABS, BPF_SD_NR, emit_tree(&e, &trees[0]));
	lab f = ret_lab(&e, BPF_RET_KILL_PROCESS, bad_rule);
	for (int i = nothers; i-- > 0;) {
		if (others[i]->audit_arch == native->audit_arch || merge_bad)
			continue;
		lab t = 0;
		if (others_allowed) {
			for (int q = 1; q < ntrees; q++)
				if (tree_abi[q] == others[i])
					t = abi_entry[q];
		} else {
			t = ret_lab(&e, other_ret, BPF_RULE_OTHER_ABI);
		}
		f = jcond(&e, JMP_JEQ, others[i]->audit_arch, t, f);
	}
	lab entry = jcond(&e, JMP_JEQ, native->audit_arch, nat, f);
	straight(&e, LD_W_ABS, BPF_SD_ARCH, entry);

	if (e.overflow || e.n > BPF_MAXINSNS_KERNEL) {
		*too_long = true;
		snprintf(err, errlen, "the %s program needs %s%zu instructions; the kernel accepts at most %d",
		         native->name, e.overflow ? "more than " : "", e.n, BPF_MAXINSNS_KERNEL);
		rc = -1;
	} else {
		pr->n = e.n;
		pr->insns = xmalloc(e.n * sizeof(*pr->insns));
		pr->ret_rule = xmalloc(e.n * sizeof(*pr->ret_rule));
		for (size_t i = 0; i < e.n; i++) {
			pr->insns[i] = e.rev[e.n - 1 - i];
			pr->ret_rule[i] = e.rule[e.n - 1 - i];
		}
	}
	free(e.rev);
	free(e.rule);
	free(e.rets);
out:
	for (int t = 0; t < ntrees; t++)
		free(trees[t].lv);
	free_templates(tm, ntm);
	return rc;
}
