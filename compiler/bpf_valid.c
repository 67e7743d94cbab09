/* bpf_valid.c — the reference semantics a seccomp program must implement
 * (bpf_ref_decide) and translation validation: the emitted program is run
 * through the interpreter for every syscall number of every ABI it handles,
 * numbers beyond them, foreign arches, and every argument equivalence class
 * the rules' constants induce, and must agree with the reference each time.
 *
 * Coverage argument.  For a fixed arch, the program's result can only change
 * where nr crosses a constant it compares nr with, and the reference's only
 * at a number some rule names (elsewhere it is the default, or other_abis
 * for a whole ABI): every named number +-1, every program constant +-1 and
 * the ends of each ABI's range (plus a margin past its highest number) are
 * tried, so every interval on which both are constant is tried (the program
 * must compare nr and arch by order only, which is checked); every other
 * number of each ABI's table window is run too, with zero arguments.  For
 * each chosen number:
 *   - if the policy ignores the arguments there, every path the program
 *     can take (bpf_sym.c enumerates them exactly, arguments unknown) must
 *     end in the expected RET, and for an allowed syscall the kernel's
 *     action cache must be able to skip the program;
 *   - otherwise each argument's high and low words are tried at every
 *     constant of the rules and every boundary of the program's paths
 *     (+-1), in every high x low pair, which refines both partitions; the
 *     product over constrained arguments is exhaustive up to 20000 vectors,
 *     beyond that each argument is swept fully against sampled others (the
 *     error says so).  Arguments the kernel defines as 32-bit get junk in
 *     the high word.  Every program path is also tried at a witness. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf.h"

#define NR_MARGIN 64
#define ARG_PRODUCT_MAX 20000
#define ARG_SAMPLES 4000

bool bpf_clone3_implicit(const struct ir_policy *p)
{
	for (size_t i = 0; i < p->proc.nrules; i++)
		if (strcmp(p->proc.rules[i].syscall, "clone3") == 0)
			return false;
	return true;
}

/* Which ABI a (native program, arch, nr) call belongs to, or NULL. */
static const struct sysc_arch *abi_of(const struct sysc_arch *native, uint32_t arch, uint32_t nr)
{
	int n;
	const struct sysc_arch *const *o = sysc_other_abis(native, &n);
	if (arch == native->audit_arch) {
		/* x32 shares the audit arch: numbers from bit 30 up are x32's (or
		 * no syscall at all). */
		for (int i = 0; i < n; i++)
			if (o[i]->audit_arch == arch && nr >= SYSC_X32_BIT)
				return o[i];
		return native;
	}
	for (int i = 0; i < n; i++)
		if (o[i]->audit_arch == arch)
			return o[i];
	return NULL;
}

struct ir_action bpf_ref_decide(const struct ir_policy *p, const struct sysc_arch *native,
                                uint32_t arch, uint32_t nr, const uint64_t args[6],
                                uint32_t *rule)
{
	static const struct ir_action kill = {IR_ACT_KILL, 0}, enosys = {IR_ACT_ERRNO, ENOSYS};
	uint32_t r = BPF_RULE_DEFAULT;
	struct ir_action a = p->proc.def;
	const struct sysc_arch *abi = abi_of(native, arch, nr);
	if (!abi) {
		a = kill;
		r = BPF_RULE_BAD_ARCH;
	} else if (abi != native && p->proc.other_abis.kind != IR_ACT_ALLOW) {
		a = p->proc.other_abis;
		r = BPF_RULE_OTHER_ABI;
	} else {
		const char *name = sysc_name(abi, (int)nr);
		if (name && strcmp(name, "clone3") == 0 && bpf_clone3_implicit(p)) {
			a = enosys;
			r = BPF_RULE_CLONE3;
		} else if (name) {
			a = ir_proc_decide(p, name, args, &r);
		}
	}
	if (rule)
		*rule = r;
	return a;
}

/* ---- validation ----------------------------------------------------------------- */

/* The rules of one syscall name, as a policy of their own: ir_proc_decide
 * on it gives the same answer as on the whole policy for that name (it
 * only ever looks at rules naming the syscall), without scanning them all
 * for every number. */
struct group {
	const char *name;
	struct ir_policy sub;
	bool conds; /* some rule has argument conditions */
};

struct vctx {
	const struct ir_policy *p;
	const struct sysc_arch *native;
	const struct bpf_insn *prog;
	size_t n;
	const uint32_t *ret_rule;
	struct group *g;
	size_t ng;
	bool clone3_implicit;
	char *err;
	size_t errlen;
	const char *how; /* "" or a note on sampled coverage */
};

struct wtest {
	uint16_t code;
	uint32_t k, mask;
};

struct wtests {
	struct wtest *t;
	size_t n, cap;
};

static int group_cmp(const void *x, const void *y)
{
	return strcmp(((const struct group *)x)->name, ((const struct group *)y)->name);
}

static const struct group *find_group(const struct vctx *v, const char *name)
{
	struct group key = {.name = name};
	return bsearch(&key, v->g, v->ng, sizeof(*v->g), group_cmp);
}

static const char *rule_str(char *buf, size_t n, uint32_t r)
{
	switch (r) {
	case BPF_RULE_DEFAULT: return "default";
	case BPF_RULE_OTHER_ABI: return "other_abis";
	case BPF_RULE_CLONE3: return "implicit clone3 rule";
	case BPF_RULE_BAD_ARCH: return "unknown arch";
	case BPF_RULE_MULTI: return "several rules";
	}
	snprintf(buf, n, "rule #%u", r);
	return buf;
}

/* Fast reference: bpf_ref_decide with the per-name groups. */
static struct ir_action ref(const struct vctx *v, uint32_t arch, uint32_t nr,
                            const uint64_t args[6], uint32_t *rule, const struct group **gp)
{
	static const struct ir_action kill = {IR_ACT_KILL, 0}, enosys = {IR_ACT_ERRNO, ENOSYS};
	const struct ir_policy *p = v->p;
	*gp = NULL;
	const struct sysc_arch *abi = abi_of(v->native, arch, nr);
	if (!abi) {
		*rule = BPF_RULE_BAD_ARCH;
		return kill;
	}
	if (abi != v->native && p->proc.other_abis.kind != IR_ACT_ALLOW) {
		*rule = BPF_RULE_OTHER_ABI;
		return p->proc.other_abis;
	}
	const char *name = sysc_name(abi, (int)nr);
	*rule = BPF_RULE_DEFAULT;
	if (!name)
		return p->proc.def;
	if (v->clone3_implicit && strcmp(name, "clone3") == 0) {
		*rule = BPF_RULE_CLONE3;
		return enosys;
	}
	const struct group *g = find_group(v, name);
	if (!g)
		return p->proc.def;
	*gp = g;
	return ir_proc_decide(&g->sub, name, args, rule);
}

static int fail(const struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const struct vctx *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->err, v->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_one(const struct vctx *v, uint32_t arch, uint32_t nr, const uint64_t args[6])
{
	uint32_t rule;
	const struct group *g;
	struct ir_action want = ref(v, arch, nr, args, &rule, &g);
	struct bpf_data d = {nr, arch, 0, {args[0], args[1], args[2], args[3], args[4], args[5]}};
	uint32_t at;
	uint32_t got = bpf_run(v->prog, v->n, &d, &at, NULL);
	uint32_t got_rule = at < v->n ? v->ret_rule[at] : BPF_RULE_MULTI;
	if (got == bpf_ret_of(want) && (got_rule == BPF_RULE_MULTI || got_rule == rule))
		return 0;
	char wa[64], ga[64], rb1[32], rb2[32];
	struct ir_action ga_act;
	ir_action_str(wa, sizeof(wa), want);
	if (bpf_action_of(got, &ga_act) == 0)
		ir_action_str(ga, sizeof(ga), ga_act);
	else
		snprintf(ga, sizeof(ga), "0x%08x", got);
	const struct sysc_arch *abi = abi_of(v->native, arch, nr);
	const char *name = abi ? sysc_name(abi, (int)nr) : NULL;
	return fail(v,
	            "%s program: arch 0x%08x nr %u (%s) args [0x%" PRIx64 ", 0x%" PRIx64
	            ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
	            "]: the program returns %s (%s, insn %u), the policy says %s (%s)%s",
	            v->native->name, arch, nr, name ? name : "no syscall", args[0], args[1], args[2],
	            args[3], args[4], args[5], ga, rule_str(rb1, sizeof(rb1), got_rule), at, wa,
	            rule_str(rb2, sizeof(rb2), rule), v->how);
}

/* ---- argument classes ------------------------------------------------------------- */

struct vals {
	uint64_t *v;
	size_t n, cap;
};

static void vadd(struct vals *s, uint64_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n++] = x;
}

static int u64cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

static void vuniq(struct vals *s)
{
	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), u64cmp);
	size_t u = 0;
	for (size_t i = 0; i < s->n; i++)
		if (u == 0 || s->v[i] != s->v[u - 1])
			s->v[u++] = s->v[i];
	s->n = u;
}

static void word_points(struct vals *w, uint32_t c)
{
	vadd(w, c);
	vadd(w, (uint32_t)(c - 1));
	vadd(w, (uint32_t)(c + 1));
}

/* Candidate values of argument idx of the syscall of group g: the rules'
 * constants (reference side) and the boundaries of the program's paths
 * (prog_lo/prog_hi: values where the program's tests on that word change),
 * each +-1, on each word, and every pair of a high and a low word. */
static void arg_candidates(const struct group *g, unsigned idx, const struct vals *prog_lo,
                           const struct vals *prog_hi, struct vals *out)
{
	bool is32 = sysc_arg_is32(g->name, idx);
	uint64_t width = is32 ? 0xffffffffull : ~0ull;
	struct vals lo = {0}, hi = {0};
	for (size_t k = 0; k < prog_lo->n; k++)
		vadd(&lo, prog_lo->v[k]);
	for (size_t k = 0; k < prog_hi->n; k++)
		vadd(&hi, prog_hi->v[k]);
	vadd(&lo, 0);
	vadd(&lo, 1);
	vadd(&lo, 0x7fffffff);
	vadd(&lo, 0x80000000u);
	vadd(&lo, 0xffffffffu);
	vadd(&hi, 0);
	vadd(&hi, 1);
	vadd(&hi, 0x80000000u);
	vadd(&hi, 0xffffffffu);
	for (size_t r = 0; r < g->sub.proc.nrules; r++) {
		const struct ir_sys_rule *rule = &g->sub.proc.rules[r];
		for (size_t c = 0; c < rule->nconds; c++) {
			const struct ir_arg_cond *cd = &rule->conds[c];
			if (cd->index != idx)
				continue;
			for (size_t k = 0; k < cd->nvalues; k++) {
				uint64_t x = cd->values[k] & width;
				word_points(&lo, (uint32_t)x);
				if (!is32)
					word_points(&hi, (uint32_t)(x >> 32));
				if (cd->op == IR_OP_MASKED_EQ) {
					uint64_t m = cd->mask & width;
					uint64_t outside = (x | ~m) & width, flipped = (x ^ m) & width;
					vadd(&lo, (uint32_t)outside);
					vadd(&lo, (uint32_t)flipped);
					vadd(&hi, (uint32_t)(outside >> 32));
					vadd(&hi, (uint32_t)(flipped >> 32));
					for (int b = 0; b < 64; b++)
						if (m & (1ull << b)) {
							uint64_t y = x ^ (1ull << b);
							if (b < 32)
								vadd(&lo, (uint32_t)y);
							else
								vadd(&hi, (uint32_t)(y >> 32));
						}
				}
			}
			if (cd->op == IR_OP_MASKED_EQ) {
				uint64_t m = cd->mask & width;
				vadd(&lo, (uint32_t)m);
				vadd(&hi, (uint32_t)(m >> 32));
			}
		}
	}
	vuniq(&lo);
	vuniq(&hi);
	for (size_t a = 0; a < hi.n; a++)
		for (size_t b = 0; b < lo.n; b++)
			vadd(out, (hi.v[a] << 32) | lo.v[b]);
	free(lo.v);
	free(hi.v);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 17;
}

/* ---- program paths ------------------------------------------------------------------ */

struct pathctx {
	const struct vctx *v;
	uint32_t arch, nr;
	uint32_t want_ret, want_rule; /* argument-free: every path must end here */
	bool fixed;
	int rc;
	struct vals bound[12]; /* per word: the program's test constants (+-1) */
	struct vals witness;   /* 6 values per path */
};

static void on_path(const struct bpf_path *pa, void *arg)
{
	struct pathctx *c = arg;
	if (c->rc < 0)
		return;
	if (c->fixed) {
		uint32_t got_rule = c->v->ret_rule[pa->ret_at];
		if (pa->ret != c->want_ret ||
		    (got_rule != BPF_RULE_MULTI && got_rule != c->want_rule)) {
			/* Report it with a concrete witness through check_one. */
			uint64_t args[6] = {0};
			for (int w = 0; w < 12; w++)
				if (pa->blocks[w] && pa->nblocks[w])
					args[w / 2] |= (uint64_t)pa->blocks[w][0].value << (w % 2 ? 32 : 0);
			c->rc = check_one(c->v, c->arch, c->nr, args);
			if (c->rc == 0) /* the witness happens to agree: still wrong */
				c->rc = fail(c->v,
				             "%s program: arch 0x%08x nr %u: a path ends in RET 0x%08x at "
				             "insn %u, the policy says 0x%08x for every argument",
				             c->v->native->name, c->arch, c->nr, pa->ret, pa->ret_at,
				             c->want_ret);
		}
		return;
	}
	for (int w = 0; w < 12; w++) {
		uint64_t val = 0;
		if (pa->blocks[w] && pa->nblocks[w])
			val = pa->blocks[w][0].value;
		if (w % 2 == 0)
			vadd(&c->witness, val);
		else
			c->witness.v[c->witness.n - 1] |= val << 32;
	}
}

static int paths_of(struct vctx *v, struct pathctx *c)
{
	long np = bpf_sym_paths(v->prog, v->n, c->arch, c->nr, 100000, on_path, c);
	if (c->rc < 0)
		return -1;
	if (np < 0)
		return fail(v, "%s program: arch 0x%08x nr %u: cannot enumerate its paths",
		            v->native->name, c->arch, c->nr);
	return 0;
}

static void pathctx_free(struct pathctx *c)
{
	for (int w = 0; w < 12; w++)
		free(c->bound[w].v);
	free(c->witness.v);
}

struct wctx {
	struct vals *words;
	struct wtests *tests;
};

static void add_word_test(unsigned word, uint16_t code, uint32_t k, uint32_t mask, void *arg)
{
	struct wctx *c = arg;
	if (word >= 12)
		return;
	struct wtests *t = &c->tests[word];
	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].code == code && t->t[i].k == k && t->t[i].mask == mask)
			return;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->t = realloc(t->t, t->cap * sizeof(*t->t));
		if (!t->t)
			abort();
	}
	t->t[t->n++] = (struct wtest){code, k, mask};
	struct vals *w = &c->words[word];
	vadd(w, k);
	vadd(w, (uint32_t)(k - 1));
	vadd(w, (uint32_t)(k + 1));
	if (mask != 0xffffffffu) {
		vadd(w, mask);
		vadd(w, k | ~mask);
	}
}

/* Keeps one value per class of argument i's candidates: values on which
 * every test the program makes on the argument's words and every rule
 * condition on the argument agree are indistinguishable to both (the
 * program's control flow depends on the argument only through those
 * tests, the reference only through those conditions), so one of each is
 * enough and the product over arguments stays exhaustive.  Conditions are
 * evaluated by the reference itself (ir_proc_decide on a one-rule policy). */
static void classes(const struct wtests *tests, bool opaque, const struct group *g, unsigned i,
                    struct vals *cand)
{
	if (opaque || cand->n < 2)
		return;
	const struct wtests *lo = &tests[2 * i], *hi = &tests[2 * i + 1];
	const struct ir_arg_cond *conds[64];
	size_t nc = 0;
	for (size_t r = 0; r < g->sub.proc.nrules; r++)
		for (size_t c = 0; c < g->sub.proc.rules[r].nconds; c++)
			if (g->sub.proc.rules[r].conds[c].index == i) {
				if (nc == sizeof(conds) / sizeof(conds[0]))
					return; /* too many to bother: keep every value */
				conds[nc++] = &g->sub.proc.rules[r].conds[c];
			}
	size_t len = lo->n + hi->n + nc;
	uint8_t *sig = malloc(cand->n * (len ? len : 1));
	if (!sig)
		abort();
	struct ir_sys_rule one = {0};
	one.syscall = g->name;
	one.nconds = 1;
	one.action.kind = IR_ACT_ALLOW;
	one.id = 1;
	struct ir_policy sub = g->sub;
	sub.proc.rules = &one;
	sub.proc.nrules = 1;
	sub.proc.def.kind = IR_ACT_ERRNO;
	sub.proc.def.errno_val = 1;
	size_t kept = 0;
	for (size_t x = 0; x < cand->n; x++) {
		uint64_t val = cand->v[x];
		uint8_t *s = sig + kept * len;
		size_t k = 0;
		for (size_t t = 0; t < lo->n; t++)
			s[k++] = bpf_test_eval(lo->t[t].code, lo->t[t].k, lo->t[t].mask, (uint32_t)val);
		for (size_t t = 0; t < hi->n; t++)
			s[k++] = bpf_test_eval(hi->t[t].code, hi->t[t].k, hi->t[t].mask,
			                       (uint32_t)(val >> 32));
		for (size_t c = 0; c < nc; c++) {
			uint64_t args[6] = {0};
			args[i] = val;
			one.conds = (struct ir_arg_cond *)conds[c];
			s[k++] = ir_proc_decide(&sub, g->name, args, NULL).kind == IR_ACT_ALLOW;
		}
		bool seen = false;
		for (size_t y = 0; y < kept && !seen; y++)
			seen = memcmp(sig + y * len, s, len) == 0;
		if (!seen)
			cand->v[kept++] = val;
	}
	cand->n = kept;
	free(sig);
}

/* Every argument class of one (arch, nr) whose syscall has conditions. */
static int check_args(struct vctx *v, uint32_t arch, uint32_t nr, const struct group *g)
{
	/* The tests the program can make on each argument word for this call:
	 * their constants are the program's boundaries. */
	struct vals words[12];
	struct wtests tests[12];
	memset(words, 0, sizeof(words));
	memset(tests, 0, sizeof(tests));
	struct wctx wc = {words, tests};
	const uint32_t an[2] = {arch, nr};
	bool opaque = bpf_word_tests(v->prog, v->n, an, add_word_test, &wc) < 0;
	/* Path witnesses when the paths are few and simple. */
	struct pathctx pc = {.v = v, .arch = arch, .nr = nr};
	if (bpf_sym_paths(v->prog, v->n, arch, nr, 2048, on_path, &pc) < 0) {
		pathctx_free(&pc);
		memset(&pc, 0, sizeof(pc));
	}
	int rc = 0;
	for (int w = 0; w < 12; w++) {
		free(pc.bound[w].v);
		pc.bound[w] = words[w];
		vuniq(&pc.bound[w]);
		words[w].v = NULL;
	}
	struct vals cand[6];
	memset(cand, 0, sizeof(cand));
	unsigned used = 0;
	for (size_t r = 0; r < g->sub.proc.nrules; r++)
		for (size_t c = 0; c < g->sub.proc.rules[r].nconds; c++)
			if (g->sub.proc.rules[r].conds[c].index < 6)
				used |= 1u << g->sub.proc.rules[r].conds[c].index;
	/* Arguments the program tests are "used" too, whatever the rules say. */
	for (unsigned i = 0; i < 6; i++)
		if (pc.bound[2 * i].n || pc.bound[2 * i + 1].n)
			used |= 1u << i;
	double product = 1;
	for (unsigned i = 0; i < 6; i++) {
		if (used & (1u << i)) {
			arg_candidates(g, i, &pc.bound[2 * i], &pc.bound[2 * i + 1], &cand[i]);
			classes(tests, opaque, g, i, &cand[i]);
		} else /* unused: zero here; check_nr also tries all-ones */
			vadd(&cand[i], 0);
		product *= (double)cand[i].n;
	}
	uint64_t args[6];
	/* One witness per program path. */
	for (size_t k = 0; rc == 0 && k + 6 <= pc.witness.n; k += 6)
		rc = check_one(v, arch, nr, &pc.witness.v[k]);
	if (rc < 0)
		goto out;
	if (product <= ARG_PRODUCT_MAX) {
		size_t ix[6] = {0};
		for (;;) {
			for (int i = 0; i < 6; i++)
				args[i] = cand[i].v[ix[i]];
			if ((rc = check_one(v, arch, nr, args)) < 0)
				goto out;
			int i = 0;
			while (i < 6 && ++ix[i] == cand[i].n)
				ix[i++] = 0;
			if (i == 6)
				break;
		}
	} else {
		/* Every argument swept fully against sampled values of the
		 * others, then random combinations. */
		v->how = " [sampled argument combinations]";
		uint64_t seed = 0x9e3779b97f4a7c15ull ^ nr;
		for (int i = 0; i < 6 && rc == 0; i++)
			for (size_t k = 0; k < cand[i].n && rc == 0; k++)
				for (int rep = 0; rep < 8 && rc == 0; rep++) {
					for (int j = 0; j < 6; j++)
						args[j] = cand[j].v[lcg(&seed) % cand[j].n];
					args[i] = cand[i].v[k];
					rc = check_one(v, arch, nr, args);
				}
		for (int s = 0; s < ARG_SAMPLES && rc == 0; s++) {
			for (int j = 0; j < 6; j++)
				args[j] = cand[j].v[lcg(&seed) % cand[j].n];
			rc = check_one(v, arch, nr, args);
		}
		v->how = "";
	}
out:
	for (int i = 0; i < 6; i++)
		free(cand[i].v);
	for (int w = 0; w < 12; w++)
		free(tests[w].t);
	pathctx_free(&pc);
	return rc;
}

/* ---- numbers and arches ------------------------------------------------------------ */

static int check_nr(struct vctx *v, uint32_t arch, uint32_t nr, bool cached_arch)
{
	static const uint64_t zero[6] = {0}, ones[6] = {~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};
	uint32_t rule;
	const struct group *g;
	struct ir_action want = ref(v, arch, nr, zero, &rule, &g);
	if (g && g->conds) {
		if (check_one(v, arch, nr, zero) < 0 || check_one(v, arch, nr, ones) < 0)
			return -1;
		return check_args(v, arch, nr, g);
	}
	/* The policy ignores the arguments here: so must every path. */
	struct pathctx pc = {.v = v, .arch = arch, .nr = nr, .want_ret = bpf_ret_of(want),
	                     .want_rule = rule, .fixed = true};
	int rc = paths_of(v, &pc);
	pathctx_free(&pc);
	if (rc < 0)
		return -1;
	/* Argument-free and allowed: the kernel's action cache must be able to
	 * skip the program for it (only arches the kernel caches: native and
	 * its compat ABI; x32 numbers are outside the cache's bitmap). */
	if (cached_arch && nr < SYSC_X32_BIT && want.kind == IR_ACT_ALLOW &&
	    !bpf_const_allow(v->prog, v->n, arch, nr))
		return fail(v,
		            "%s program: nr %u (%s) is allowed whatever its arguments, but the path to "
		            "its RET reads more than nr and arch, so the kernel's action cache cannot "
		            "cover it",
		            v->native->name, nr, sysc_name(abi_of(v->native, arch, nr), (int)nr));
	return 0;
}

static int check_arch(struct vctx *v, uint32_t arch, const struct vals *consts)
{
	const struct sysc_arch *nat = abi_of(v->native, arch, 0);
	struct vals nrs = {0};
	if (nat) {
		/* Every number of every ABI this arch value reaches, and a margin;
		 * where the reference is constant over a stretch of numbers (an
		 * ABI decided by other_abis alone; numbers no rule names), only
		 * the stretch's ends, since the program constants +-1 are tried
		 * anyway and the program can only change there. */
		const struct sysc_arch *abis[4] = {nat};
		int na = 1, n;
		const struct sysc_arch *const *o = sysc_other_abis(v->native, &n);
		for (int i = 0; i < n && nat == v->native; i++)
			if (o[i]->audit_arch == arch)
				abis[na++] = o[i];
		for (int a = 0; a < na; a++) {
			uint32_t base = abis[a] == nat ? 0 : SYSC_X32_BIT;
			uint32_t top = sysc_max_nr(abis[a], base + 0x10000);
			if (top < base)
				top = base;
			vadd(&nrs, base);
			vadd(&nrs, top + NR_MARGIN);
			bool uniform = abis[a] != v->native && v->p->proc.other_abis.kind != IR_ACT_ALLOW;
			if (uniform)
				continue;
			int cnt = sysc_count(abis[a]);
			for (int i = 0; i < cnt; i++) {
				uint32_t nr;
				const char *name;
				sysc_entry(abis[a], i, &nr, &name);
				if (!find_group(v, name) &&
				    !(v->clone3_implicit && strcmp(name, "clone3") == 0))
					continue; /* default by absence: a constant stretch */
				vadd(&nrs, nr - 1);
				vadd(&nrs, nr);
				vadd(&nrs, nr + 1);
			}
		}
	} else {
		vadd(&nrs, 0);
		vadd(&nrs, 1);
		vadd(&nrs, 59);
	}
	static const uint32_t special[] = {0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000,
	                                   0xbfffffff, 0xc0000000, 0xfffffffe, 0xffffffff};
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		vadd(&nrs, special[i]);
	for (size_t i = 0; i < consts->n; i++)
		vadd(&nrs, consts->v[i]);
	vuniq(&nrs);
	/* The kernel caches the native arch and the compat one. */
	bool cached = nat && (arch == v->native->audit_arch || nat != v->native);
	int rc = 0;
	for (size_t i = 0; i < nrs.n && rc == 0; i++)
		rc = check_nr(v, arch, (uint32_t)nrs.v[i], cached);
	/* And every other number of each ABI's window, concretely (no rule
	 * names it: the reference is the default, or other_abis). */
	if (nat && rc == 0) {
		const struct sysc_arch *abis[4] = {nat};
		int na = 1, n;
		const struct sysc_arch *const *o = sysc_other_abis(v->native, &n);
		for (int i = 0; i < n && nat == v->native; i++)
			if (o[i]->audit_arch == arch)
				abis[na++] = o[i];
		static const uint64_t zero[6] = {0};
		for (int a = 0; a < na && rc == 0; a++) {
			uint32_t base = abis[a] == nat ? 0 : SYSC_X32_BIT;
			uint32_t top = sysc_max_nr(abis[a], base + 0x10000);
			bool uniform = abis[a] != v->native && v->p->proc.other_abis.kind != IR_ACT_ALLOW;
			uint32_t want = bpf_ret_of(uniform ? v->p->proc.other_abis : v->p->proc.def);
			uint32_t want_rule = uniform ? BPF_RULE_OTHER_ABI : BPF_RULE_DEFAULT;
			for (uint32_t nr = base; nr <= top + NR_MARGIN && rc == 0; nr++) {
				uint64_t key = nr;
				if (bsearch(&key, nrs.v, nrs.n, sizeof(*nrs.v), u64cmp))
					continue;
				struct bpf_data d = {nr, arch, 0, {0}};
				uint32_t at, got = bpf_run(v->prog, v->n, &d, &at, NULL);
				uint32_t gr = at < v->n ? v->ret_rule[at] : BPF_RULE_MULTI;
				if (got != want || (gr != BPF_RULE_MULTI && gr != want_rule))
					rc = check_one(v, arch, nr, zero);
				if (rc == 0 && (got != want || (gr != BPF_RULE_MULTI && gr != want_rule)))
					rc = fail(v, "%s program: arch 0x%08x nr %u: returns 0x%08x, expected 0x%08x",
					          v->native->name, arch, nr, got, want);
			}
		}
	}
	free(nrs.v);
	return rc;
}

/* The coverage argument needs nr and arch to be compared by order only
 * (JEQ/JGT/JGE): a bit test or arithmetic on them would split the number
 * space in ways the chosen points do not cover.  polc never emits that. */
static bool nr_ordered(const struct bpf_insn *prog, size_t n)
{
	uint8_t holds[BPF_MAXINSNS_KERNEL]; /* bit 0: reached, bit 1: A may be nr/arch */
	memset(holds, 0, n);
	holds[0] = 1;
	for (size_t i = 0; i < n; i++) {
		if (!holds[i])
			continue;
		const struct bpf_insn *in = &prog[i];
		uint8_t out = holds[i];
		uint16_t cls = in->code & 0x07;
		if (cls == 0x00) /* LD */
			out = in->code == 0x20 && in->k < 8 ? 3 : 1;
		else if (cls == 0x04 || (cls == 0x05 && (in->code & 0xf0) == 0x40)) {
			if (holds[i] & 2)
				return false; /* ALU or JSET on nr/arch */
			if (cls == 0x04)
				out = 1;
		} else if (cls == 0x07 && (in->code & 0xf8) == 0x80) /* TXA */
			out = 1;
		if (cls == 0x06)
			continue;
		if (cls == 0x05) {
			size_t t = (in->code & 0xf0) == 0 ? i + 1 + in->k : i + 1 + in->jt;
			size_t f = (in->code & 0xf0) == 0 ? t : i + 1 + in->jf;
			if (t < n)
				holds[t] |= out;
			if (f < n)
				holds[f] |= out;
		} else if (i + 1 < n) {
			holds[i + 1] |= out;
		}
	}
	return true;
}

/* By name, then by position in the policy (a stable order). */
static int rule_name_cmp(const void *x, const void *y, void *ctx)
{
	const struct ir_sys_rule *rules = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int c = strcmp(rules[a].syscall, rules[b].syscall);
	return c ? c : (a > b) - (a < b);
}

int bpf_validate(const struct ir_policy *p, const struct sysc_arch *native,
                 const struct bpf_insn *prog, size_t n, const uint32_t *ret_rule, char *err,
                 size_t errlen)
{
	char why[256];
	if (bpf_check(prog, n, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s program breaks a kernel constraint: %s", native->name, why);
		return -1;
	}
	if (!nr_ordered(prog, n)) {
		snprintf(err, errlen,
		         "%s program tests nr or arch with a bit test or arithmetic, which "
		         "validation does not cover",
		         native->name);
		return -1;
	}
	struct vctx v = {p, native, prog, n, ret_rule, NULL, 0, bpf_clone3_implicit(p), err, errlen, ""};

	/* Group the rules by name (stable: policy order kept in each). */
	size_t nr = p->proc.nrules;
	struct ir_sys_rule *sorted = malloc((nr ? nr : 1) * sizeof(*sorted));
	v.g = malloc((nr ? nr : 1) * sizeof(*v.g));
	if (!sorted || !v.g)
		abort();
	size_t *idx = malloc((nr ? nr : 1) * sizeof(*idx));
	if (!idx)
		abort();
	for (size_t i = 0; i < nr; i++)
		idx[i] = i;
	qsort_r(idx, nr, sizeof(*idx), rule_name_cmp, p->proc.rules);
	for (size_t i = 0; i < nr; i++)
		sorted[i] = p->proc.rules[idx[i]];
	free(idx);
	for (size_t i = 0; i < nr;) {
		size_t j = i;
		bool conds = false;
		while (j < nr && strcmp(sorted[j].syscall, sorted[i].syscall) == 0)
			conds |= sorted[j++].nconds > 0;
		struct group *g = &v.g[v.ng++];
		g->name = sorted[i].syscall;
		g->sub = *p;
		g->sub.proc.rules = &sorted[i];
		g->sub.proc.nrules = j - i;
		g->conds = conds;
		i = j;
	}

	/* Constants the program compares with, +-1. */
	struct vals consts = {0};
	for (size_t i = 0; i < n; i++)
		if ((prog[i].code & 0x07) == 0x05 && (prog[i].code & 0xf0) != 0x00) {
			vadd(&consts, prog[i].k);
			vadd(&consts, (uint32_t)(prog[i].k - 1));
			vadd(&consts, (uint32_t)(prog[i].k + 1));
		}
	vuniq(&consts);

	struct vals arches = {0};
	vadd(&arches, native->audit_arch);
	int no, na;
	const struct sysc_arch *const *o = sysc_other_abis(native, &no);
	for (int i = 0; i < no; i++)
		vadd(&arches, o[i]->audit_arch);
	const struct sysc_arch *all = sysc_arches(&na);
	for (int i = 0; i < na; i++)
		vadd(&arches, all[i].audit_arch);
	static const uint32_t foreign[] = {0, 0xffffffffu, 0x40000003u /* i386 w/o LE bit */,
	                                   0x8000003eu /* x86_64 w/o 64BIT bit */};
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		vadd(&arches, foreign[i]);
	for (size_t i = 0; i < consts.n; i++)
		if (consts.v[i] > 0xffff) /* arch constants; small ones are numbers */
			vadd(&arches, consts.v[i]);
	vuniq(&arches);

	int rc = 0;
	for (size_t i = 0; i < arches.n && rc == 0; i++) {
		uint32_t a = (uint32_t)arches.v[i];
		if (abi_of(native, a, 0))
			rc = check_arch(&v, a, &consts);
		else {
			/* A foreign arch: a few numbers, every path. */
			for (uint32_t nr2 = 0; nr2 < 4 && rc == 0; nr2++)
				rc = check_nr(&v, a, nr2 * 59, false);
		}
	}
	free(arches.v);
	free(consts.v);

	free(sorted);
	free(v.g);
	return rc;
}
