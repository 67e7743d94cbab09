/* test_bpf.c — the seccomp backend.
 *
 * Policies are built programmatically (ir_policy_new + ARENA_PUSH +
 * ir_finalize) and compiled with bpf_build, which validates its own output;
 * these tests check the result independently:
 *   - tables in libseccomp's style (arch, syscall, args -> expected action),
 *     written by hand, run through the interpreter;
 *   - the same tables run live: fork, install the program with
 *     no_new_privs + seccomp, make the raw syscall, check errno or SIGSYS;
 *   - the upper-32-bit socket bypass, x32 and i386 (int 0x80), clone3,
 *     every argument operator, precedence, the 4096-instruction limit,
 *     far jumps, the kernel's action cache, determinism;
 *   - the kernel-constraint checker and the validator reject broken
 *     programs (so neither can pass by accident). */
#include <check.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "bpf.h"

/* ---- building policies ------------------------------------------------------- */

static struct arena *A;

static struct ir_policy *policy(const char *def)
{
	struct ir_policy *p = ir_policy_new(A);
	p->name = "t";
	p->proc.present = true;
	p->proc.def_set = true;
	p->proc.def_pos = src_pos("t.yaml", 2, 3);
	ck_assert_int_eq(ir_action_parse(def, &p->proc.def), 0);
	return p;
}

static void other_abis(struct ir_policy *p, const char *act)
{
	ck_assert_int_eq(ir_action_parse(act, &p->proc.other_abis), 0);
	p->proc.other_abis_set = true;
}

static struct ir_sys_rule *rule(struct ir_policy *p, const char *sc, const char *act)
{
	struct ir_sys_rule *r = ARENA_PUSH(A, p->proc.rules, p->proc.nrules, p->proc.caprules);
	memset(r, 0, sizeof(*r));
	r->syscall = sc;
	r->origin = IR_SYS_RULE;
	r->pos = src_pos("t.yaml", (uint32_t)p->proc.nrules + 3, 5);
	ck_assert_int_eq(ir_action_parse(act, &r->action), 0);
	return r;
}

static void deny(struct ir_policy *p, const char *sc)
{
	struct ir_sys_rule *r = rule(p, sc, "allow");
	r->origin = IR_SYS_DENY_LIST;
}

static void cond(struct ir_sys_rule *r, unsigned idx, enum ir_op op, uint64_t mask, size_t nv,
                 const uint64_t *v)
{
	r->conds = arena_grow(A, r->conds, r->nconds, r->nconds + 1, sizeof(*r->conds));
	struct ir_arg_cond *c = &r->conds[r->nconds++];
	c->index = (uint8_t)idx;
	c->op = op;
	c->mask = mask;
	c->values = arena_array(A, nv ? nv : 1, sizeof(uint64_t));
	memcpy(c->values, v, nv * sizeof(uint64_t));
	c->nvalues = nv;
	c->pos = r->pos;
}

static void cond1(struct ir_sys_rule *r, unsigned idx, enum ir_op op, uint64_t v)
{
	cond(r, idx, op, 0, 1, &v);
}

/* Compiles for arch through the real backend entry (which validates),
 * then decodes the section as a reader would. */
static struct bpf_prog compile_for(struct ir_policy *p, const char *arch)
{
	struct diag_sink *d = diag_sink_new(A);
	ir_finalize(p, d);
	struct buf b = {0};
	const struct sysc_arch *a = sysc_arch_by_name(arch);
	int rc = bpf_build(p, a, d, &b);
	if (rc < 0)
		diag_print(d, stderr, false);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(diag_errors(d), 0);
	struct art_section s = {ART_SEC_SECCOMP, a->audit_arch, 0, (uint32_t)b.len, {0}, b.p};
	struct bpf_prog pr;
	uint32_t got_arch;
	char err[256];
	ck_assert_msg(bpf_from_section(&s, &pr, &got_arch, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(got_arch, a->audit_arch);
	buf_free(&b);
	return pr;
}

/* ---- expectations --------------------------------------------------------------- */

struct tcase {
	const char *abi; /* x86_64, x32, i386, aarch64 */
	const char *sc;
	uint64_t args[6];
	const char *want; /* "allow", "errno EPERM", "kill", ... */
};

static const char *decide(const struct bpf_prog *pr, const char *abi_name, const char *sc,
                          const uint64_t args[6], char *buf, size_t n)
{
	const struct sysc_arch *abi = sysc_arch_by_name(abi_name);
	int nr = sysc_resolve(abi, sc);
	ck_assert_msg(nr >= 0, "%s has no %s", abi_name, sc);
	struct bpf_data d = {(uint32_t)nr, abi->audit_arch, 0,
	                     {args[0], args[1], args[2], args[3], args[4], args[5]}};
	struct ir_action a;
	ck_assert_int_eq(bpf_action_of(bpf_run(pr->insns, pr->n, &d, NULL, NULL), &a), 0);
	ir_action_str(buf, n, a);
	return buf;
}

static void run_table(const struct bpf_prog *pr, const struct tcase *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char got[64];
		decide(pr, t[i].abi, t[i].sc, t[i].args, got, sizeof(got));
		ck_assert_msg(strcmp(got, t[i].want) == 0,
		              "case %zu: %s %s(0x%llx, 0x%llx, ...): got %s, want %s", i, t[i].abi,
		              t[i].sc, (unsigned long long)t[i].args[0],
		              (unsigned long long)t[i].args[1], got, t[i].want);
	}
}

/* ---- live: the kernel runs the program --------------------------------------------- */

struct live_result {
	long ret;
	int err;
	int done;
};

#ifdef __x86_64__
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
	                 : "=a"(ret)
	                 : "a"(nr), "b"(a), "c"(b), "d"(c)
	                 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}
#endif

/* Runs one call in a child under prog.  Returns the signal that killed the
 * child (0 if it exited), *res gets the call's result. */
/* Under AddressSanitizer the child's runtime needs calls the tables' policies
 * refuse (sigaltstack, mmap) and dies or hangs in its own error path: there
 * the tables run through the interpreter only; the kernel's behaviour does
 * not depend on the build. */
#if defined(__SANITIZE_ADDRESS__)
#define LIVE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIVE 0
#endif
#endif
#ifndef LIVE
#define LIVE 1
#endif

static int live(const struct bpf_prog *pr, bool i386, uint32_t nr, const uint64_t args[6],
                struct live_result *res)
{
	struct live_result *shared =
	        mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(shared, MAP_FAILED);
	memset(shared, 0, sizeof(*shared));
	struct sock_filter *f = calloc(pr->n, sizeof(*f));
	for (size_t i = 0; i < pr->n; i++)
		f[i] = (struct sock_filter){pr->insns[i].code, pr->insns[i].jt, pr->insns[i].jf,
		                            pr->insns[i].k};
	struct sock_fprog fp = {(unsigned short)pr->n, f};
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(20); /* never hang the test run */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
			_exit(100);
		long r;
#ifdef __x86_64__
		if (i386) {
			r = int80((long)nr, (long)args[0], (long)args[1], (long)args[2]);
			shared->err = r < 0 && r > -4096 ? (int)-r : 0;
		} else
#endif
		{
			(void)i386;
			errno = 0;
			r = syscall((long)nr, args[0], args[1], args[2], args[3], args[4], args[5]);
			shared->err = r == -1 ? errno : 0;
		}
		shared->ret = r;
		shared->done = 1;
		_exit(0); /* exit_group: every live policy allows it */
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	free(f);
	*res = *shared;
	munmap(shared, sizeof(*shared));
	if (WIFEXITED(st))
		ck_assert_msg(WEXITSTATUS(st) == 0, "child could not install the filter (%d)",
		              WEXITSTATUS(st));
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

/* Checks one table case live; only for the native arch (and x32/i386 on
 * x86_64).  "allow"/"log" accept any result except a filter errno. */
static void live_case(const struct bpf_prog *pr, const struct tcase *t)
{
	if (!LIVE)
		return;
#ifndef __x86_64__
	if (strcmp(t->abi, "aarch64") != 0)
		return;
#else
	if (strcmp(t->abi, "aarch64") == 0)
		return;
#endif
	const struct sysc_arch *abi = sysc_arch_by_name(t->abi);
	uint32_t nr = (uint32_t)sysc_resolve(abi, t->sc);
	struct live_result r;
	int sig = live(pr, strcmp(t->abi, "i386") == 0, nr, t->args, &r);
	if (strcmp(t->want, "kill") == 0 || strcmp(t->want, "kill_thread") == 0 ||
	    strcmp(t->want, "trap") == 0) {
		ck_assert_msg(sig == SIGSYS, "%s %s: want SIGSYS, got signal %d (ret %ld)", t->abi,
		              t->sc, sig, r.ret);
		return;
	}
	ck_assert_msg(sig == 0 && r.done, "%s %s: killed by signal %d", t->abi, t->sc, sig);
	if (strncmp(t->want, "errno ", 6) == 0) {
		uint16_t e;
		ck_assert_int_eq(ir_errno_parse(t->want + 6, &e), 0);
		ck_assert_msg(r.err == e, "%s %s(0x%llx): want errno %u, got ret %ld errno %d", t->abi,
		              t->sc, (unsigned long long)t->args[0], e, r.ret, r.err);
	}
}

static void run_live(const struct bpf_prog *pr, const struct tcase *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		live_case(pr, &t[i]);
}

/* Whether int 0x80 reaches the kernel's i386 entry here (IA32 emulation). */
static bool have_ia32(void)
{
#ifdef __x86_64__
	pid_t pid = fork();
	if (pid == 0)
		_exit(int80(20 /* i386 getpid */, 0, 0, 0) == getpid() ? 0 : 1);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
#else
	return false;
#endif
}

#define N(t) (sizeof(t) / sizeof((t)[0]))
#define NATIVE_ABI "x86_64"

/* ---- tests ---------------------------------------------------------------------- */

/* The bypass of filters made from Docker's profile: the kernel sees only
 * the low 32 bits of socket's family, so 0x100000028 is AF_VSOCK. */
START_TEST(socket_upper_bits)
{
	struct ir_policy *p = policy("errno EPERM");
	rule(p, "exit_group", "allow");
	uint64_t fams[] = {1 /* AF_UNIX */, 2 /* AF_INET */, 10 /* AF_INET6 */};
	cond(rule(p, "socket", "allow"), 0, IR_OP_IN, 0, 3, fams);
	cond1(rule(p, "socketpair", "allow"), 0, IR_OP_LT, 38);
	struct bpf_prog pr = compile_for(p, "x86_64");
	const struct tcase t[] = {
		{"x86_64", "socket", {1, 1, 0}, "allow"},
		{"x86_64", "socket", {0x100000001ull, 1, 0}, "allow"}, /* the kernel sees AF_UNIX */
		{"x86_64", "socket", {40, 1, 0}, "errno EPERM"},
		{"x86_64", "socket", {0x100000028ull, 1, 0}, "errno EPERM"},
		{"x86_64", "socket", {0xffffffff00000028ull, 1, 0}, "errno EPERM"},
		{"x86_64", "socketpair", {37, 1, 0}, "allow"},
		{"x86_64", "socketpair", {38, 1, 0}, "errno EPERM"},
		{"x86_64", "socketpair", {0x100000028ull, 1, 0}, "errno EPERM"},
		{"x86_64", "socketpair", {0x100000001ull, 1, 0}, "allow"},
	};
	run_table(&pr, t, N(t));
	run_live(&pr, t, N(t));
	bpf_prog_free(&pr);

	/* A deny rule: the junk must not get past it either. */
	p = policy("allow");
	cond1(rule(p, "socket", "errno EACCES"), 0, IR_OP_EQ, 40);
	pr = compile_for(p, "x86_64");
	const struct tcase t2[] = {
		{"x86_64", "socket", {40, 1, 0}, "errno EACCES"},
		{"x86_64", "socket", {0x100000028ull, 1, 0}, "errno EACCES"},
		{"x86_64", "socket", {0x8000000000000028ull, 1, 0}, "errno EACCES"},
		{"x86_64", "socket", {0x100000029ull, 1, 0}, "allow"},
	};
	run_table(&pr, t2, N(t2));
	run_live(&pr, t2, N(t2));
	bpf_prog_free(&pr);
}
END_TEST

START_TEST(other_abis_x32_i386)
{
	bool ia32 = LIVE && have_ia32();
	if (LIVE && !ia32)
		fprintf(stderr, "test_bpf: no IA32 emulation here; int 0x80 cases checked by the "
		                "interpreter only\n");
	const char *acts[] = {"kill", "errno EPERM", "trap"};
	for (size_t k = 0; k < N(acts); k++) {
		struct ir_policy *p = policy("errno EACCES");
		rule(p, "exit_group", "allow");
		rule(p, "getpid", "allow");
		other_abis(p, acts[k]);
		struct bpf_prog pr = compile_for(p, "x86_64");
		const struct tcase t[] = {
			{"x86_64", "getpid", {0}, "allow"},
			{"x86_64", "getppid", {0}, "errno EACCES"},
			{"x32", "getpid", {0}, acts[k]},
			{"x32", "getppid", {0}, acts[k]},
			{"i386", "getpid", {0}, acts[k]},
		};
		run_table(&pr, t, N(t));
		for (size_t i = 0; i < N(t); i++)
			if (strcmp(t[i].abi, "i386") != 0 || ia32)
				live_case(&pr, &t[i]);
		/* Numbers beyond any table with bit 30 set are the other ABI's too. */
		struct bpf_data d = {0xffffffffu, AUDIT_ARCH_X86_64, 0, {0}};
		struct ir_action a;
		ck_assert_int_eq(bpf_action_of(bpf_run(pr.insns, pr.n, &d, NULL, NULL), &a), 0);
		ck_assert_int_eq(bpf_ret_of(a), bpf_ret_of(p->proc.other_abis));
		bpf_prog_free(&pr);
	}

	/* other_abis: allow -> the policy decides them by their own numbers. */
	struct ir_policy *p = policy("errno EACCES");
	rule(p, "exit_group", "allow");
	rule(p, "getpid", "allow");
	cond1(rule(p, "socket", "allow"), 0, IR_OP_EQ, 1);
	other_abis(p, "allow");
	struct bpf_prog pr = compile_for(p, "x86_64");
	const struct tcase t[] = {
		{"x32", "getpid", {0}, "allow"},
		{"x32", "getppid", {0}, "errno EACCES"},
		{"i386", "getpid", {0}, "allow"},
		{"i386", "getppid", {0}, "errno EACCES"},
		{"i386", "socket", {1}, "allow"},
		{"i386", "socket", {2}, "errno EACCES"},
		{"x32", "socket", {0x100000001ull}, "allow"},
	};
	run_table(&pr, t, N(t));
	for (size_t i = 0; i < N(t); i++)
		if (strcmp(t[i].abi, "i386") != 0 || ia32)
			live_case(&pr, &t[i]);
	bpf_prog_free(&pr);

	/* A foreign arch is killed whatever other_abis says. */
	p = policy("allow");
	other_abis(p, "allow");
	pr = compile_for(p, "x86_64");
	struct bpf_data d = {0, AUDIT_ARCH_AARCH64, 0, {0}};
	ck_assert_uint_eq(bpf_run(pr.insns, pr.n, &d, NULL, NULL), BPF_RET_KILL_PROCESS);
	bpf_prog_free(&pr);
	pr = compile_for(p, "aarch64");
	d.arch = AUDIT_ARCH_X86_64;
	ck_assert_uint_eq(bpf_run(pr.insns, pr.n, &d, NULL, NULL), BPF_RET_KILL_PROCESS);
	bpf_prog_free(&pr);
}
END_TEST

START_TEST(clone3_enosys)
{
	/* clone constrained, clone3 not named: ENOSYS, whatever the default. */
	const char *defs[] = {"errno EPERM", "allow", "kill"};
	for (size_t k = 0; k < N(defs); k++) {
		struct ir_policy *p = policy(defs[k]);
		rule(p, "exit_group", "allow");
		cond(rule(p, "clone", "allow"), 0, IR_OP_MASKED_EQ, 0x7e020000, 1,
		     (uint64_t[]){0});
		struct bpf_prog pr = compile_for(p, "x86_64");
		const struct tcase t[] = {{"x86_64", "clone3", {0, 0}, "errno ENOSYS"}};
		run_table(&pr, t, N(t));
		run_live(&pr, t, N(t));
		bpf_prog_free(&pr);
		pr = compile_for(p, "aarch64");
		const struct tcase ta[] = {{"aarch64", "clone3", {0, 0}, "errno ENOSYS"}};
		run_table(&pr, ta, N(ta));
		bpf_prog_free(&pr);
	}
	/* Named explicitly: the rule decides (the kernel then sees the call:
	 * EFAULT/EINVAL for these arguments, not ENOSYS). */
	struct ir_policy *p = policy("errno EPERM");
	rule(p, "exit_group", "allow");
	rule(p, "clone3", "allow");
	struct bpf_prog pr = compile_for(p, "x86_64");
	const struct tcase t[] = {{"x86_64", "clone3", {0, 0}, "allow"}};
	run_table(&pr, t, N(t));
	struct live_result r;
	if (LIVE) {
		ck_assert_int_eq(live(&pr, false, 435, (uint64_t[6]){0}, &r), 0);
		ck_assert_int_ne(r.err, ENOSYS);
	}
	bpf_prog_free(&pr);
	p = policy("errno EPERM");
	rule(p, "exit_group", "allow");
	deny(p, "clone3");
	pr = compile_for(p, "x86_64");
	const struct tcase t2[] = {{"x86_64", "clone3", {0, 0}, "errno EPERM"}};
	run_table(&pr, t2, N(t2));
	run_live(&pr, t2, N(t2));
	bpf_prog_free(&pr);
}
END_TEST

/* Every operator on a 64-bit argument (getpid ignores its arguments, so
 * the kernel's answer is the filter's) and on a 32-bit one (dup's fd). */
START_TEST(argument_operators)
{
	const uint64_t C = 0x100000005ull;
	struct ir_policy *p = policy("errno EPERM");
	rule(p, "exit_group", "allow");
	cond1(rule(p, "getpid", "errno EACCES"), 0, IR_OP_EQ, C);
	cond1(rule(p, "getpid", "errno EBADF"), 1, IR_OP_NE, C);
	cond1(rule(p, "getpid", "errno ENOENT"), 2, IR_OP_LT, C);
	cond1(rule(p, "getpid", "errno ESRCH"), 3, IR_OP_LE, C);
	cond1(rule(p, "getpid", "errno EINTR"), 4, IR_OP_GT, C);
	cond1(rule(p, "getpid", "errno EIO"), 5, IR_OP_GE, C);
	struct bpf_prog pr = compile_for(p, "x86_64");
	/* Baseline args that make no rule match: a0 != C, a1 == C, a2 >= C,
	 * a3 > C, a4 <= C, a5 < C.  Ranks: the lowest errno wins (EINTR 4 <
	 * EIO 5 < EBADF 9 < EACCES 13 ...). */
#define B0 0
#define B1 C
#define B2 C
#define B3 (C + 1)
#define B4 C
#define B5 (C - 1)
	const struct tcase t[] = {
		{"x86_64", "getpid", {B0, B1, B2, B3, B4, B5}, "errno EPERM"},
		{"x86_64", "getpid", {C, B1, B2, B3, B4, B5}, "errno EACCES"},
		{"x86_64", "getpid", {C + 1, B1, B2, B3, B4, B5}, "errno EPERM"},
		{"x86_64", "getpid", {5, B1, B2, B3, B4, B5}, "errno EPERM"},
		{"x86_64", "getpid", {C + (1ull << 32), B1, B2, B3, B4, B5}, "errno EPERM"},
		{"x86_64", "getpid", {B0, 5, B2, B3, B4, B5}, "errno EBADF"},
		{"x86_64", "getpid", {B0, C + (1ull << 32), B2, B3, B4, B5}, "errno EBADF"},
		{"x86_64", "getpid", {B0, B1, C - 1, B3, B4, B5}, "errno ENOENT"},
		{"x86_64", "getpid", {B0, B1, 0xffffffffull, B3, B4, B5}, "errno ENOENT"},
		{"x86_64", "getpid", {B0, B1, 0x200000000ull, B3, B4, B5}, "errno EPERM"},
		{"x86_64", "getpid", {B0, B1, B2, C, B4, B5}, "errno ESRCH"},
		{"x86_64", "getpid", {B0, B1, B2, 6, B4, B5}, "errno ESRCH"},
		{"x86_64", "getpid", {B0, B1, B2, 0x100000006ull, B4, B5}, "errno EPERM"},
		{"x86_64", "getpid", {B0, B1, B2, B3, C + 1, B5}, "errno EINTR"},
		{"x86_64", "getpid", {B0, B1, B2, B3, 0x200000000ull, B5}, "errno EINTR"},
		{"x86_64", "getpid", {B0, B1, B2, B3, 0xffffffffffffffffull, B5}, "errno EINTR"},
		{"x86_64", "getpid", {B0, B1, B2, B3, 6, B5}, "errno EPERM"},
		{"x86_64", "getpid", {B0, B1, B2, B3, B4, C}, "errno EIO"},
		{"x86_64", "getpid", {B0, B1, B2, B3, B4, 0x1ffffffffull}, "errno EIO"},
		{"x86_64", "getpid", {B0, B1, B2, B3, B4, 0xffffffffull}, "errno EPERM"},
		/* several match: the most restrictive (lowest errno) wins */
		{"x86_64", "getpid", {C, 5, B2, B3, C + 1, B5}, "errno EINTR"},
		{"x86_64", "getpid", {C, 5, B2, B3, B4, B5}, "errno EBADF"},
	};
	run_table(&pr, t, N(t));
	run_live(&pr, t, N(t));
	bpf_prog_free(&pr);

	/* in and masked_eq, 64-bit and 32-bit (dup: unsigned int fd). */
	p = policy("errno EPERM");
	rule(p, "exit_group", "allow");
	uint64_t set[] = {3, 0x100000003ull, 0xffffffff00000000ull, 77, 78, 79, 80, 1000};
	cond(rule(p, "getpid", "allow"), 0, IR_OP_IN, 0, N(set), set);
	cond(rule(p, "getppid", "allow"), 1, IR_OP_MASKED_EQ, 0xff000000000000f0ull, 1,
	     (uint64_t[]){0x1200000000000030ull});
	cond(rule(p, "dup", "errno EACCES"), 0, IR_OP_IN, 0, 2, (uint64_t[]){900, 901});
	cond(rule(p, "dup2", "errno EACCES"), 0, IR_OP_MASKED_EQ, 0xf0, 1, (uint64_t[]){0x30});
	cond1(rule(p, "dup", "allow"), 0, IR_OP_GE, 0);
	cond1(rule(p, "dup2", "allow"), 0, IR_OP_LE, 0xffffffff);
	pr = compile_for(p, "x86_64");
	const struct tcase t2[] = {
		{"x86_64", "getpid", {3}, "allow"},
		{"x86_64", "getpid", {0x100000003ull}, "allow"},
		{"x86_64", "getpid", {0x200000003ull}, "errno EPERM"},
		{"x86_64", "getpid", {0xffffffff00000000ull}, "allow"},
		{"x86_64", "getpid", {0}, "errno EPERM"},
		{"x86_64", "getpid", {79}, "allow"},
		{"x86_64", "getpid", {81}, "errno EPERM"},
		{"x86_64", "getpid", {1000}, "allow"},
		{"x86_64", "getpid", {0x1000003e8ull}, "errno EPERM"},
		{"x86_64", "getppid", {0, 0x1200000000000030ull}, "allow"},
		{"x86_64", "getppid", {0, 0x12ab00000000cd3full}, "allow"},
		{"x86_64", "getppid", {0, 0x1300000000000030ull}, "errno EPERM"},
		{"x86_64", "getppid", {0, 0x1200000000000020ull}, "errno EPERM"},
		{"x86_64", "dup", {900}, "errno EACCES"},
		{"x86_64", "dup", {0x100000384ull}, "errno EACCES"}, /* the kernel sees fd 900 */
		{"x86_64", "dup", {902}, "allow"},
		{"x86_64", "dup2", {0x1234, 5}, "errno EACCES"},
		{"x86_64", "dup2", {0xffffffff00000031ull, 5}, "errno EACCES"},
		{"x86_64", "dup2", {0x1244, 5}, "allow"},
	};
	run_table(&pr, t2, N(t2));
	run_live(&pr, t2, N(t2));
	bpf_prog_free(&pr);
}
END_TEST

START_TEST(precedence)
{
	struct ir_policy *p = policy("allow");
	rule(p, "exit_group", "allow");
	deny(p, "getppid"); /* default allow: deny means errno EPERM */
	rule(p, "getpid", "log");
	cond1(rule(p, "getpid", "errno EACCES"), 0, IR_OP_EQ, 1);
	cond1(rule(p, "getpid", "trap"), 0, IR_OP_EQ, 2);
	cond1(rule(p, "getpid", "kill_thread"), 0, IR_OP_EQ, 3);
	cond1(rule(p, "getpid", "kill"), 0, IR_OP_EQ, 4);
	cond1(rule(p, "getpid", "errno ENOENT"), 1, IR_OP_EQ, 1);
	/* an unconditional rule beats weaker conditional ones */
	rule(p, "gettid", "errno EACCES");
	cond1(rule(p, "gettid", "allow"), 0, IR_OP_EQ, 1);
	cond1(rule(p, "gettid", "kill"), 0, IR_OP_EQ, 2);
	struct bpf_prog pr = compile_for(p, "x86_64");
	const struct tcase t[] = {
		{"x86_64", "getppid", {0}, "errno EPERM"},
		{"x86_64", "getpid", {0}, "log"},
		{"x86_64", "getpid", {1}, "errno EACCES"},
		{"x86_64", "getpid", {1, 1}, "errno ENOENT"}, /* ENOENT 2 < EACCES 13 */
		{"x86_64", "getpid", {2, 1}, "trap"},
		{"x86_64", "getpid", {3, 1}, "kill_thread"},
		{"x86_64", "getpid", {4, 1}, "kill"},
		{"x86_64", "gettid", {0}, "errno EACCES"},
		{"x86_64", "gettid", {1}, "errno EACCES"},
		{"x86_64", "gettid", {2}, "kill"},
		{"x86_64", "getuid", {0}, "allow"},
	};
	run_table(&pr, t, N(t));
	run_live(&pr, t, N(t));
	bpf_prog_free(&pr);
}
END_TEST

/* A policy whose program cannot fit: an error, not a truncated program. */
START_TEST(limit_4096)
{
	struct ir_policy *p = policy("errno EPERM");
	for (uint64_t i = 0; i < 2000; i++)
		cond1(rule(p, "getpid", "allow"), 0, IR_OP_EQ, i * 0x100000001ull);
	struct diag_sink *d = diag_sink_new(A);
	ir_finalize(p, d);
	struct buf b = {0};
	ck_assert_int_eq(bpf_build(p, sysc_arch_by_name("x86_64"), d, &b), -1);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(diag_errors(d), 1);
	ck_assert_int_eq(diag_get(d, 0)->code, DIAG_E304);
	ck_assert_ptr_nonnull(strstr(diag_get(d, 0)->msg, "4096"));
	buf_free(&b);
}
END_TEST

/* A large program that fits: jumps over more than 255 instructions need
 * trampolines; validation and the kernel must both accept it. */
START_TEST(far_jumps)
{
	struct ir_policy *p = policy("errno EPERM");
	rule(p, "exit_group", "allow");
	for (uint64_t i = 0; i < 500; i++)
		cond1(rule(p, "getpid", i % 7 ? "allow" : "errno EACCES"), 0, IR_OP_EQ, i * 3);
	rule(p, "read", "allow");
	rule(p, "write", "allow");
	struct bpf_prog pr = compile_for(p, "x86_64");
	ck_assert_uint_gt(pr.n, 1000);
	ck_assert_uint_le(pr.n, 4096);
	size_t far = 0;
	for (size_t i = 0; i < pr.n; i++)
		far += pr.insns[i].code == 0x05 && pr.insns[i].k > 0;
	ck_assert_uint_gt(far, 0);
	const struct tcase t[] = {
		{"x86_64", "getpid", {0}, "errno EACCES"},
		{"x86_64", "getpid", {3}, "allow"},
		{"x86_64", "getpid", {1497}, "allow"},
		{"x86_64", "getpid", {1498}, "errno EPERM"},
		{"x86_64", "getpid", {21}, "errno EACCES"},
		{"x86_64", "getppid", {0}, "errno EPERM"},
	};
	run_table(&pr, t, N(t));
	run_live(&pr, t, N(t));
	bpf_prog_free(&pr);
}
END_TEST

/* Allowed argument-free syscalls only load nr/arch on their path: the
 * kernel's action cache covers every one of them. */
START_TEST(action_cache)
{
	struct ir_policy *p = policy("errno EPERM");
	const char *allow[] = {"read", "write", "close", "openat", "mmap", "futex", "getpid",
	                       "newfstatat", "exit_group", "clone"};
	for (size_t i = 0; i < N(allow); i++)
		rule(p, allow[i], "allow");
	cond1(rule(p, "socket", "allow"), 0, IR_OP_EQ, 1);
	cond1(rule(p, "ioctl", "allow"), 1, IR_OP_EQ, 0x5401);
	struct bpf_prog pr = compile_for(p, "x86_64");
	const struct sysc_arch *x = sysc_arch_by_name("x86_64");
	int cached = 0;
	for (int i = 0; i < sysc_count(x); i++) {
		uint32_t nr;
		const char *name;
		sysc_entry(x, i, &nr, &name);
		bool c = bpf_const_allow(pr.insns, pr.n, AUDIT_ARCH_X86_64, nr);
		bool want = false;
		for (size_t j = 0; j < N(allow); j++)
			want |= strcmp(name, allow[j]) == 0;
		ck_assert_msg(c == want, "%s: cached %d", name, c);
		cached += c;
	}
	ck_assert_int_eq(cached, (int)N(allow));
	/* x32 and i386 numbers are never "allow" here. */
	ck_assert(!bpf_const_allow(pr.insns, pr.n, AUDIT_ARCH_I386, 3));
	ck_assert(!bpf_const_allow(pr.insns, pr.n, AUDIT_ARCH_X86_64, 0x40000000));
	bpf_prog_free(&pr);
}
END_TEST

/* Invariant 1: same policy, same bytes. */
START_TEST(deterministic)
{
	struct buf b[2] = {{0}, {0}};
	for (int k = 0; k < 2; k++) {
		struct ir_policy *p = policy("errno EPERM");
		const char *allow[] = {"read", "write", "close", "openat", "brk", "exit_group"};
		for (size_t i = 0; i < N(allow); i++)
			rule(p, allow[i], "allow");
		cond1(rule(p, "socket", "allow"), 0, IR_OP_LT, 38);
		struct diag_sink *d = diag_sink_new(A);
		ir_finalize(p, d);
		ck_assert_int_eq(bpf_build(p, sysc_arch_by_name("x86_64"), d, &b[k]), 0);
	}
	ck_assert_uint_eq(b[0].len, b[1].len);
	ck_assert(memcmp(b[0].p, b[1].p, b[0].len) == 0);
	buf_free(&b[0]);
	buf_free(&b[1]);
}
END_TEST

/* The kernel-constraint checker refuses what the kernel would. */
START_TEST(checker_rejects)
{
	char err[256];
	const struct bpf_insn ok[] = {{0x20, 0, 0, 4}, {0x15, 0, 1, AUDIT_ARCH_X86_64},
	                              {0x06, 0, 0, BPF_RET_ALLOW}, {0x06, 0, 0, 0x80000000}};
	ck_assert_int_eq(bpf_check(ok, 4, err, sizeof(err)), 0);
	struct bpf_insn b[4];
	const struct {
		unsigned at;
		struct bpf_insn in;
		const char *why;
	} bad[] = {
		{0, {0x20, 0, 0, 64}, "outside"},     /* past seccomp_data */
		{0, {0x20, 0, 0, 6}, "unaligned"},    /* unaligned */
		{0, {0x28, 0, 0, 4}, "opcode"},       /* halfword load */
		{1, {0x15, 5, 0, 1}, "beyond"},       /* jump past the end */
		{1, {0x05, 0, 0, 7}, "beyond"},       /* JA past the end */
		{2, {0x16, 0, 0, 0}, "RET A"},        /* RET A */
		{2, {0x06, 0, 0, 0x7fc00000}, "no action"}, /* user notif */
		{2, {0x06, 0, 0, 0x00051000}, "no action"}, /* errno 4096 */
		{3, {0x04, 0, 0, 1}, "last"},         /* last is not a RET */
		{0, {0x60, 0, 0, 2}, "scratch"},      /* reads M[2] unwritten */
		{0, {0x34, 0, 0, 0}, "opcode"},       /* div by constant 0 */
	};
	for (size_t i = 0; i < N(bad); i++) {
		memcpy(b, ok, sizeof(b));
		b[bad[i].at] = bad[i].in;
		ck_assert_msg(bpf_check(b, 4, err, sizeof(err)) < 0, "case %zu accepted", i);
		ck_assert_msg(strstr(err, bad[i].why), "case %zu: %s", i, err);
	}
	ck_assert_int_lt(bpf_check(ok, 0, err, sizeof(err)), 0);
}
END_TEST

/* The validator is not a rubber stamp: break a correct program in small
 * ways and each must be caught. */
START_TEST(validator_catches)
{
	struct ir_policy *p = policy("errno EPERM");
	rule(p, "read", "allow");
	rule(p, "write", "allow");
	cond1(rule(p, "socket", "allow"), 0, IR_OP_EQ, 1);
	struct diag_sink *d = diag_sink_new(A);
	ir_finalize(p, d);
	const struct sysc_arch *x = sysc_arch_by_name("x86_64");
	struct bpf_prog pr;
	bool too_long;
	char err[1024];
	ck_assert_int_eq(bpf_compile(p, x, &pr, &too_long, err, sizeof(err)), 0);
	ck_assert_int_eq(bpf_validate(p, x, pr.insns, pr.n, pr.ret_rule, err, sizeof(err)), 0);
	size_t changed = 0;
	for (size_t i = 0; i < pr.n; i++) {
		struct bpf_insn save = pr.insns[i];
		uint16_t c = save.code;
		if (c == 0x06)
			pr.insns[i].k = save.k == BPF_RET_ALLOW ? BPF_RET_ERRNO | 1 : BPF_RET_ALLOW;
		else if ((c & 0x07) == 0x05 && (c & 0xf0))
			pr.insns[i].k = save.k + 1;
		else if (c == 0x20)
			pr.insns[i].k = save.k == 0 ? 4 : 0;
		else
			continue;
		ck_assert_msg(bpf_validate(p, x, pr.insns, pr.n, pr.ret_rule, err, sizeof(err)) < 0,
		              "mutation of insn %zu not caught", i);
		pr.insns[i] = save;
		changed++;
	}
	ck_assert_uint_gt(changed, 5);
	/* A bit test on nr/arch is outside what validation can cover: refused. */
	struct bpf_insn save = pr.insns[1];
	ck_assert_uint_eq(save.code, 0x15); /* jeq arch */
	pr.insns[1].code = 0x45;
	ck_assert_int_lt(bpf_validate(p, x, pr.insns, pr.n, pr.ret_rule, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "bit test"));
	pr.insns[1] = save;
	bpf_prog_free(&pr);
}
END_TEST

/* The reference semantics itself: unknown arch, other ABIs, clone3. */
START_TEST(reference_decide)
{
	struct ir_policy *p = policy("errno EPERM");
	rule(p, "getpid", "allow");
	struct diag_sink *d = diag_sink_new(A);
	ir_finalize(p, d);
	const struct sysc_arch *x = sysc_arch_by_name("x86_64");
	uint64_t z[6] = {0};
	uint32_t r;
	struct ir_action a = bpf_ref_decide(p, x, AUDIT_ARCH_AARCH64, 39, z, &r);
	ck_assert_int_eq(a.kind, IR_ACT_KILL);
	ck_assert_uint_eq(r, BPF_RULE_BAD_ARCH);
	a = bpf_ref_decide(p, x, AUDIT_ARCH_X86_64, 39, z, &r);
	ck_assert_int_eq(a.kind, IR_ACT_ALLOW);
	ck_assert_uint_eq(r, 1);
	a = bpf_ref_decide(p, x, AUDIT_ARCH_X86_64, 0x40000000 | 39, z, &r);
	ck_assert_int_eq(a.kind, IR_ACT_KILL);
	ck_assert_uint_eq(r, BPF_RULE_OTHER_ABI);
	a = bpf_ref_decide(p, x, AUDIT_ARCH_X86_64, 435, z, &r);
	ck_assert_int_eq(a.kind, IR_ACT_ERRNO);
	ck_assert_int_eq(a.errno_val, ENOSYS);
	ck_assert_uint_eq(r, BPF_RULE_CLONE3);
	a = bpf_ref_decide(p, x, AUDIT_ARCH_X86_64, 999, z, &r);
	ck_assert_int_eq(a.errno_val, EPERM);
	ck_assert_uint_eq(r, BPF_RULE_DEFAULT);
}
END_TEST

/* The syscall tables: both directions agree, i386's socket is the direct
 * syscall (libseccomp's name lookup would give the socketcall pseudo
 * number), and the 32-bit argument table is sorted. */
START_TEST(syscall_tables)
{
	const char *abis[] = {"x86_64", "aarch64", "i386", "x32", "arm"};
	for (size_t k = 0; k < N(abis); k++) {
		const struct sysc_arch *a = sysc_arch_by_name(abis[k]);
		ck_assert_int_gt(sysc_count(a), 250);
		for (int i = 0; i < sysc_count(a); i++) {
			uint32_t nr;
			const char *name;
			ck_assert_int_eq(sysc_entry(a, i, &nr, &name), 0);
			ck_assert_int_eq(sysc_resolve(a, name), (int)nr);
			ck_assert_str_eq(sysc_name(a, (int)nr), name);
		}
	}
	ck_assert_int_eq(sysc_resolve(sysc_arch_by_name("i386"), "socket"), 359);
	ck_assert_int_eq(sysc_resolve(sysc_arch_by_name("x32"), "read"), 0x40000000);
	ck_assert_int_eq(sysc_resolve(sysc_arch_by_name("x86_64"), "clone3"), 435);
	ck_assert(sysc_arg32_sorted());
	ck_assert(sysc_arg_is32("socket", 0));
	ck_assert(sysc_arg_is32("clone", 0));
	ck_assert(!sysc_arg_is32("clone", 1));
	ck_assert(!sysc_arg_is32("getpid", 0));
}
END_TEST

/* The static weights are what their comment says they are: recomputed
 * here from bench/data/training-trace.txt as training-trace.sh does (each
 * syscall's share of each program's calls, averaged over the programs, per
 * 100 000, plus 1), every name is found (so the table is sorted for its
 * bsearch), and a name no program made weighs 1. */
START_TEST(static_weights)
{
	FILE *f = fopen("bench/data/training-trace.txt", "r");
	ck_assert_msg(f != NULL, "bench/data/training-trace.txt: %s", strerror(errno));
	enum { MAXP = 64, MAXN = 512 };
	static char names[MAXN][64];
	static double cnt[MAXP][MAXN];
	double tot[MAXP] = {0};
	int np = 0, nn = 0;
	char line[256], name[64];
	unsigned long c;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "program:", 8) == 0) {
			ck_assert_int_lt(np, MAXP);
			np++;
			continue;
		}
		if (line[0] == '#' || sscanf(line, "%63s %lu", name, &c) != 2)
			continue;
		ck_assert_int_gt(np, 0);
		int i = 0;
		while (i < nn && strcmp(names[i], name) != 0)
			i++;
		if (i == nn) {
			ck_assert_int_lt(nn, MAXN);
			strcpy(names[nn++], name);
		}
		cnt[np - 1][i] += (double)c;
		tot[np - 1] += (double)c;
	}
	fclose(f);
	ck_assert_int_ge(np, 10);
	for (int i = 0; i < nn; i++) {
		double s = 0;
		for (int p = 0; p < np; p++)
			if (cnt[p][i] > 0)
				s += cnt[p][i] / tot[p];
		unsigned want = (unsigned)(s / np * 100000 + 0.5) + 1;
		ck_assert_msg(bpf_syscall_weight(names[i]) == want, "%s: table %u, trace %u", names[i],
		              bpf_syscall_weight(names[i]), want);
	}
	ck_assert_uint_eq(bpf_syscall_weight("no_such_syscall"), 1);
	/* the trace shapes the tree: file calls outweigh process set-up */
	ck_assert_uint_gt(bpf_syscall_weight("newfstatat"), 10 * bpf_syscall_weight("execve"));
}
END_TEST

int main(void)
{
	A = arena_new();
	Suite *s = suite_create("bpf");
	TCase *tc = tcase_create("bpf");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, socket_upper_bits);
	tcase_add_test(tc, other_abis_x32_i386);
	tcase_add_test(tc, clone3_enosys);
	tcase_add_test(tc, argument_operators);
	tcase_add_test(tc, precedence);
	tcase_add_test(tc, limit_4096);
	tcase_add_test(tc, far_jumps);
	tcase_add_test(tc, action_cache);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, checker_rejects);
	tcase_add_test(tc, validator_catches);
	tcase_add_test(tc, reference_decide);
	tcase_add_test(tc, syscall_tables);
	tcase_add_test(tc, static_weights);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	arena_free(A);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
