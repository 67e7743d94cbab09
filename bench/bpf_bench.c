/* bpf_bench.c — the seccomp backend against libseccomp (optimize=2), both
 * compiled from the same policy in the same run, x86_64 programs.  Never a
 * pass/fail test: it prints figures and ratios.
 *
 * For each policy: instructions; instructions executed per system call on a
 * recorded trace of real programs (mean and max, arguments zero, as strace
 * -c recorded none), and the mean once the kernel's action cache skips what
 * it can; how many argument-free allowed syscalls the cache covers; compile
 * time (median of many runs; polc's includes its translation validation).
 * polc's tree is shaped by its static weights, measured on another trace
 * (bench/data/training-trace.txt), so this trace stays held out; the
 * "shaped by the trace itself" line shows what knowing it would give.
 *
 *   bpf_bench [--runs N] [--trace FILE] [--docker FILE] [--policy YAML]
 * Paths are relative to the repository root (bench/run starts it there). */
#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "bpf.h"

struct trace_ent {
	const char *name;
	unsigned long count;
};

static struct trace_ent *trace;
static size_t ntrace, nprograms;
static unsigned long trace_calls;

static int load_trace(struct arena *a, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512], name[128];
	unsigned long c;
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "program:", 8) == 0) {
			nprograms++;
			continue;
		}
		if (line[0] == '#' || sscanf(line, "%127s %lu", name, &c) != 2)
			continue;
		size_t i = 0;
		while (i < ntrace && strcmp(trace[i].name, name) != 0)
			i++;
		if (i == ntrace)
			*ARENA_PUSH(a, trace, ntrace, cap) = (struct trace_ent){arena_strdup(a, name), 0};
		trace[i].count += c;
		trace_calls += c;
	}
	fclose(f);
	return 0;
}

/* The trace's count for a syscall (+1), as a tree weight. */
static unsigned trace_weight(const char *name, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < ntrace; i++)
		if (strcmp(trace[i].name, name) == 0)
			return (unsigned)(trace[i].count > 1000000 ? 1000000 : trace[i].count) + 1;
	return 1;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int dcmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), dcmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- libseccomp from the same IR ---------------------------------------------------- */

static uint32_t scmp_act(struct ir_action a)
{
	switch (a.kind) {
	case IR_ACT_ALLOW: return SCMP_ACT_ALLOW;
	case IR_ACT_LOG: return SCMP_ACT_LOG;
	case IR_ACT_ERRNO: return SCMP_ACT_ERRNO(a.errno_val);
	case IR_ACT_TRAP: return SCMP_ACT_TRAP;
	case IR_ACT_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
	case IR_ACT_KILL: return SCMP_ACT_KILL_PROCESS;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static enum scmp_compare scmp_op(enum ir_op op)
{
	switch (op) {
	case IR_OP_EQ: return SCMP_CMP_EQ;
	case IR_OP_NE: return SCMP_CMP_NE;
	case IR_OP_LT: return SCMP_CMP_LT;
	case IR_OP_LE: return SCMP_CMP_LE;
	case IR_OP_GT: return SCMP_CMP_GT;
	case IR_OP_GE: return SCMP_CMP_GE;
	default: return SCMP_CMP_MASKED_EQ;
	}
}

/* One rule, `in` conditions expanded into one libseccomp rule per value. */
static int add_rule(scmp_filter_ctx ctx, const struct ir_sys_rule *r, int nr, size_t c,
                    struct scmp_arg_cmp *cmp, unsigned nc)
{
	if (c == r->nconds)
		return seccomp_rule_add_array(ctx, scmp_act(r->action), nr, nc, cmp);
	const struct ir_arg_cond *cd = &r->conds[c];
	if (cd->op == IR_OP_IN) {
		int rc = 0;
		for (size_t v = 0; v < cd->nvalues && rc == 0; v++) {
			cmp[nc] = (struct scmp_arg_cmp){cd->index, SCMP_CMP_EQ, cd->values[v], 0};
			rc = add_rule(ctx, r, nr, c + 1, cmp, nc + 1);
		}
		return rc;
	}
	if (cd->op == IR_OP_MASKED_EQ)
		cmp[nc] = (struct scmp_arg_cmp){cd->index, SCMP_CMP_MASKED_EQ, cd->mask, cd->values[0]};
	else
		cmp[nc] = (struct scmp_arg_cmp){cd->index, scmp_op(cd->op), cd->values[0], 0};
	return add_rule(ctx, r, nr, c + 1, cmp, nc + 1);
}

static size_t *order;

static void rank_order(const struct ir_policy *p)
{
	free(order);
	order = calloc(p->proc.nrules + 1, sizeof(*order));
	size_t n = 0;
	for (int rank = 5002; rank >= 0; rank--)
		for (size_t i = 0; i < p->proc.nrules; i++)
			if (ir_action_rank(p->proc.rules[i].action) == rank)
				order[n++] = i;
}

static scmp_filter_ctx lib_build(const struct ir_policy *p, bool subarches, int *refused)
{
	scmp_filter_ctx ctx = seccomp_init(scmp_act(p->proc.def));
	if (!ctx)
		return NULL;
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (subarches) {
		seccomp_arch_add(ctx, SCMP_ARCH_X86);
		seccomp_arch_add(ctx, SCMP_ARCH_X32);
	}
	*refused = 0;
	/* most restrictive first, as polc evaluates them (order computed once,
	 * outside the timed loop) */
	for (size_t k = 0; k < p->proc.nrules; k++) {
		const struct ir_sys_rule *r = &p->proc.rules[order[k]];
			int nr = seccomp_syscall_resolve_name(r->syscall);
			if (nr == __NR_SCMP_ERROR)
				continue;
			struct scmp_arg_cmp cmp[6];
			int rc = r->nconds > 6 ? -EINVAL : add_rule(ctx, r, nr, 0, cmp, 0);
			/* -EEXIST: the same rule twice.  -EACCES: the rule's action is
			 * the default, harmless unless another rule of the call has a
			 * different action (then libseccomp decides differently). */
			bool benign = rc == -EEXIST;
			if (rc == -EACCES) {
				benign = true;
				for (size_t j = 0; j < p->proc.nrules; j++)
					if (strcmp(p->proc.rules[j].syscall, r->syscall) == 0 &&
					    bpf_ret_of(p->proc.rules[j].action) != bpf_ret_of(r->action))
						benign = false;
			}
			if (rc < 0 && !benign)
				(*refused)++;
			if (rc < 0 && getenv("BPF_BENCH_DEBUG"))
				fprintf(stderr, "libseccomp: %s (%s, %zu conds): %d\n", r->syscall,
				        ir_act_name(r->action.kind), r->nconds, rc);
		}
	if (bpf_clone3_implicit(p))
		seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), seccomp_syscall_resolve_name("clone3"), 0);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	return ctx;
}

static struct bpf_insn *lib_export(scmp_filter_ctx ctx, int fd, size_t *n)
{
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 || seccomp_export_bpf(ctx, fd) < 0)
		return NULL;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0)
		return NULL;
	*n = (size_t)size / 8;
	struct bpf_insn *prog = calloc(*n, sizeof(*prog));
	uint8_t *raw = malloc((size_t)size);
	if (!prog || !raw || pread(fd, raw, (size_t)size, 0) != size) {
		free(prog);
		free(raw);
		return NULL;
	}
	for (size_t i = 0; i < *n; i++)
		memcpy(&prog[i], raw + 8 * i, 8);
	free(raw);
	return prog;
}

/* ---- measurements ------------------------------------------------------------------ */

struct fig {
	size_t insns;
	double mean, mean_cached, mean_oracle;
	unsigned max;
	int cached_allow;
	double compile_ms, compile_nv_ms;
};

static void run_trace(const struct bpf_insn *prog, size_t n, struct fig *f)
{
	const struct sysc_arch *x = sysc_arch_by_name("x86_64");
	double sum = 0, sumc = 0, calls = 0;
	f->max = 0;
	for (size_t i = 0; i < ntrace; i++) {
		int nr = sysc_resolve(x, trace[i].name);
		if (nr < 0)
			continue;
		struct bpf_data d = {(uint32_t)nr, AUDIT_ARCH_X86_64, 0, {0}};
		uint32_t steps;
		bpf_run(prog, n, &d, NULL, &steps);
		sum += (double)steps * (double)trace[i].count;
		if (!bpf_const_allow(prog, n, AUDIT_ARCH_X86_64, (uint32_t)nr))
			sumc += (double)steps * (double)trace[i].count;
		calls += (double)trace[i].count;
		if (steps > f->max)
			f->max = steps;
	}
	f->mean = calls ? sum / calls : 0;
	f->mean_cached = calls ? sumc / calls : 0;
	f->cached_allow = 0;
	for (int i = 0; i < sysc_count(x); i++) {
		uint32_t nr;
		const char *name;
		sysc_entry(x, i, &nr, &name);
		f->cached_allow += bpf_const_allow(prog, n, AUDIT_ARCH_X86_64, nr);
	}
}

/* Syscalls the policy allows whatever their arguments (x86_64). */
static int argfree_allowed(const struct ir_policy *p)
{
	const struct sysc_arch *x = sysc_arch_by_name("x86_64");
	int n = 0;
	for (int i = 0; i < sysc_count(x); i++) {
		uint32_t nr;
		const char *name;
		sysc_entry(x, i, &nr, &name);
		bool conds = false;
		for (size_t r = 0; r < p->proc.nrules && !conds; r++)
			conds = p->proc.rules[r].nconds && strcmp(p->proc.rules[r].syscall, name) == 0;
		uint64_t z[6] = {0};
		n += !conds && bpf_ref_decide(p, x, AUDIT_ARCH_X86_64, nr, z, NULL).kind == IR_ACT_ALLOW;
	}
	return n;
}

static void row(const char *what, double a, double b, const char *fmt)
{
	char x[32], y[32];
	snprintf(x, sizeof(x), fmt, a);
	snprintf(y, sizeof(y), fmt, b);
	printf("  %-46s %10s %12s %8.2f\n", what, x, y, b ? a / b : 0);
}

static int bench(const char *title, struct ir_policy *p, bool subarches, int runs, int memfd)
{
	const struct sysc_arch *x = sysc_arch_by_name("x86_64");
	struct arena *a = arena_new();
	struct diag_sink *d = diag_sink_new(a);
	struct fig fp = {0}, fl = {0};
	double *t = calloc((size_t)runs, sizeof(*t));
	if (!t)
		return -1;

	/* polc: compile + validate, and compile alone */
	struct buf b = {0};
	if (bpf_build(p, x, d, &b) < 0) {
		diag_print(d, stderr, false);
		return -1;
	}
	for (int r = 0; r < runs; r++) {
		struct buf bb = {0};
		double t0 = now_ms();
		bpf_build(p, x, d, &bb);
		t[r] = now_ms() - t0;
		buf_free(&bb);
	}
	fp.compile_ms = median(t, runs);
	for (int r = 0; r < runs; r++) {
		struct bpf_prog pr;
		bool tl;
		char err[256];
		double t0 = now_ms();
		bpf_compile(p, x, &pr, &tl, err, sizeof(err));
		t[r] = now_ms() - t0;
		bpf_prog_free(&pr);
	}
	fp.compile_nv_ms = median(t, runs);
	struct art_section s = {ART_SEC_SECCOMP, x->audit_arch, 0, (uint32_t)b.len, {0}, b.p};
	struct bpf_prog pr;
	uint32_t arch;
	char err[256];
	if (bpf_from_section(&s, &pr, &arch, err, sizeof(err)) < 0) {
		fprintf(stderr, "bpf_bench: %s\n", err);
		return -1;
	}
	fp.insns = pr.n;
	run_trace(pr.insns, pr.n, &fp);
	/* The same compiler with the trace's own frequencies as weights: the
	 * best a frequency-weighted search over these ranges does on it. */
	struct bpf_opts oracle = {trace_weight, NULL};
	struct bpf_prog po;
	bool tl;
	struct fig fo = {0};
	if (bpf_compile_with(p, x, &oracle, &po, &tl, err, sizeof(err)) == 0) {
		run_trace(po.insns, po.n, &fo);
		fp.mean_oracle = fo.mean;
		bpf_prog_free(&po);
	}

	/* libseccomp, optimize=2, from the same IR */
	int refused;
	rank_order(p);
	for (int r = 0; r < runs; r++) {
		double t0 = now_ms();
		scmp_filter_ctx ctx = lib_build(p, subarches, &refused);
		size_t n;
		struct bpf_insn *lp = lib_export(ctx, memfd, &n);
		t[r] = now_ms() - t0;
		free(lp);
		seccomp_release(ctx);
	}
	fl.compile_ms = median(t, runs);
	scmp_filter_ctx ctx = lib_build(p, subarches, &refused);
	size_t nl = 0;
	struct bpf_insn *lp = lib_export(ctx, memfd, &nl);
	seccomp_release(ctx);
	if (!lp) {
		fprintf(stderr, "bpf_bench: libseccomp export failed\n");
		return -1;
	}
	fl.insns = nl;
	run_trace(lp, nl, &fl);
	int argfree = argfree_allowed(p);

	printf("\n%s\n", title);
	printf("  %-46s %10s %12s %8s\n", "", "polc", "libseccomp", "ratio");
	row("instructions", (double)fp.insns, (double)fl.insns, "%.0f");
	row("executed per syscall on the trace, mean", fp.mean, fl.mean, "%.2f");
	printf("  %-46s %10.2f\n", "  same, tree shaped by the trace itself", fp.mean_oracle);
	row("executed per syscall on the trace, max", fp.max, fl.max, "%.0f");
	row("mean with the kernel's action cache", fp.mean_cached, fl.mean_cached, "%.2f");
	char what[96];
	snprintf(what, sizeof(what), "cache-eligible allowed syscalls (%d arg-free)", argfree);
	row(what, fp.cached_allow, fl.cached_allow, "%.0f");
	row("compile time, median ms (polc: + validation)", fp.compile_ms, fl.compile_ms, "%.3f");
	row("compile time without validation, median ms", fp.compile_nv_ms, fl.compile_ms, "%.3f");
	if (refused)
		printf("  (libseccomp refused %d of the policy's rules, so its program decides less "
		       "than polc's)\n",
		       refused);
	free(lp);
	bpf_prog_free(&pr);
	buf_free(&b);
	free(t);
	arena_free(a);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 200;
	const char *trace_path = "bench/data/syscall-trace.txt";
	const char *docker = "../shared/data/docker-default-seccomp.json";
	const char *policy = "stdlib-policies/python3.yaml";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--trace") == 0)
			trace_path = argv[i + 1];
		else if (strcmp(argv[i], "--docker") == 0)
			docker = argv[i + 1];
		else if (strcmp(argv[i], "--policy") == 0)
			policy = argv[i + 1];
	}
	if (runs < 1)
		runs = 1;
	struct arena *a = arena_new();
	if (load_trace(a, trace_path) < 0) {
		fprintf(stderr, "bpf_bench: cannot read %s: %s\n", trace_path, strerror(errno));
		return 1;
	}
	int memfd = memfd_create("bpf_bench", 0);
	if (memfd < 0) {
		perror("bpf_bench: memfd_create");
		return 1;
	}
	const struct scmp_version *v = seccomp_version();
	printf("seccomp backend vs libseccomp %u.%u.%u (optimize=2), x86_64 programs; trace: %lu "
	       "calls of %zu syscalls by %zu programs (%s); %d compile runs each\n",
	       v->major, v->minor, v->micro, trace_calls, ntrace, nprograms, trace_path, runs);
	printf("reference (DESIGN.md, Docker's profile): kafel 108 insns, 9.15 mean, 11 max, "
	       "0.66 ms; minijail 6.39 mean; libseccomp 2.5.4 414 insns, 14.1 mean, 1.5 ms\n");
	printf("targets: < 108 insns, mean <= 6.4, cache-eligible = every arg-free allowed "
	       "syscall, compile time <= half of libseccomp's\n");
	printf("polc's static weights come from bench/data/training-trace.txt, whose programs are "
	       "none of this trace's\n");

	struct diag_sink *d = diag_sink_new(a);
	struct load_ctx lc = {.a = a, .d = d};
	size_t len;
	char *text = load_slurp(a, docker, &len);
	struct ir_policy *p = text ? oci_parse(&lc, docker, text, len) : NULL;
	int rc = 0;
	if (!p) {
		fprintf(stderr, "bpf_bench: cannot load %s\n", docker);
		rc = 1;
	} else {
		ir_finalize(p, d);
		/* the reference figures are for the x86_64 ABI alone */
		struct ir_action sub = p->proc.other_abis;
		p->proc.other_abis.kind = IR_ACT_KILL;
		rc |= bench("Docker's default profile, x86_64 ABI only (x32/i386 killed)", p, false,
		            runs, memfd);
		p->proc.other_abis = sub;
		rc |= bench("Docker's default profile with its archMap (x86_64 + x32 + i386)", p, true,
		            runs, memfd);
	}
	setenv("POLC_STDLIB", "stdlib-policies", 0);
	char *paths[] = {(char *)policy};
	struct ir_policy *sp = load_inputs(&lc, paths, 1);
	if (!sp) {
		diag_print(d, stderr, false);
		rc = 1;
	} else {
		char title[256];
		snprintf(title, sizeof(title), "stdlib policy %s", policy);
		rc |= bench(title, sp, false, runs, memfd);
	}
	close(memfd);
	arena_free(a);
	return rc ? 1 : 0;
}
