/* test_oci.c — OCI / Docker seccomp profile import, and Docker's default
 * profile compiled by polc against the same profile compiled by libseccomp.
 *
 * The libseccomp side reads the profile itself (jansson, runc's rules: the
 * amd64 host, no capabilities, archMap's sub-architectures added), compiles
 * it with libseccomp, exports the BPF and runs it through the interpreter;
 * every syscall number of x86_64, x32 and i386 is compared, with argument
 * sweeps for the calls that have conditions.  The only differences allowed
 * are the documented ones, where libseccomp compares a 32-bit argument on
 * all 64 bits:
 *   - socket(family) with junk in the upper word: libseccomp lets
 *     0x100000026 (AF_ALG) and 0x100000028 (AF_VSOCK) through its
 *     `family > 40` rule although the kernel sees AF_ALG / AF_VSOCK; polc
 *     denies them (the bypass DESIGN.md invariant 3 is about) — and the test
 *     asserts libseccomp really lets them through;
 *   - personality(persona) with junk in the upper word: libseccomp denies
 *     0x100000000 although the kernel sees persona 0, which the profile
 *     allows; polc allows it;
 *   - without the sub-architectures, nr 0xffffffff (-1): libseccomp exempts
 *     it from its x32 check (default action), polc treats every number with
 *     bit 30 set as x32 (other_abis: kill). */
#include <check.h>
#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "bpf.h"

#ifndef DOCKER_PROFILE
#define DOCKER_PROFILE "../shared/data/docker-default-seccomp.json"
#endif

static struct arena *A;

static const char *profile_path(void)
{
	const char *p = getenv("DOCKER_PROFILE");
	if (p)
		return p;
	if (access(DOCKER_PROFILE, R_OK) == 0)
		return DOCKER_PROFILE;
	return "/work/shared/data/docker-default-seccomp.json";
}

/* Parses text as file `name`; returns the policy or NULL, with d filled. */
static struct ir_policy *parse(const char *name, const char *text, struct diag_sink **dp)
{
	struct diag_sink *d = diag_sink_new(A);
	struct load_ctx c = {.a = A, .d = d};
	diag_source(d, name, text, strlen(text));
	struct ir_policy *p = oci_parse(&c, name, text, strlen(text));
	if (p)
		ir_finalize(p, d);
	*dp = d;
	return p;
}

static struct ir_policy *load_docker(struct diag_sink **dp)
{
	size_t len;
	char *text = load_slurp(A, profile_path(), &len);
	ck_assert_msg(text != NULL, "cannot read %s", profile_path());
	struct diag_sink *d = diag_sink_new(A);
	struct load_ctx c = {.a = A, .d = d};
	struct ir_policy *p = oci_parse(&c, profile_path(), text, len);
	ck_assert_ptr_nonnull(p);
	ir_finalize(p, d);
	*dp = d;
	return p;
}

static bool has_diag(struct diag_sink *d, enum diag_code code, uint32_t line, uint32_t col)
{
	for (size_t i = 0; i < diag_count(d); i++) {
		const struct diag *g = diag_get(d, i);
		if (g->code == code && (!line || g->pos.line == line) && (!col || g->pos.col == col))
			return true;
	}
	return false;
}

static void dump(struct diag_sink *d)
{
	diag_print(d, stderr, false);
}

/* ---- the libseccomp side ------------------------------------------------------------ */

static uint32_t scmp_action(const char *s, json_t *errno_ret, int dflt_errno)
{
	int e = errno_ret ? (int)json_integer_value(errno_ret) : dflt_errno;
	if (strcmp(s, "SCMP_ACT_ALLOW") == 0)
		return SCMP_ACT_ALLOW;
	if (strcmp(s, "SCMP_ACT_ERRNO") == 0)
		return SCMP_ACT_ERRNO(e);
	if (strcmp(s, "SCMP_ACT_KILL") == 0)
		return SCMP_ACT_KILL;
	if (strcmp(s, "SCMP_ACT_KILL_PROCESS") == 0)
		return SCMP_ACT_KILL_PROCESS;
	if (strcmp(s, "SCMP_ACT_TRAP") == 0)
		return SCMP_ACT_TRAP;
	if (strcmp(s, "SCMP_ACT_LOG") == 0)
		return SCMP_ACT_LOG;
	ck_abort_msg("action %s", s);
	return 0;
}

static bool list_has(json_t *list, const char *s)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_array_get(list, i)), s) == 0)
			return true;
	return false;
}

/* Docker's profile through libseccomp, as runc would load it on an amd64
 * host with no capabilities.  Returns the exported program. */
static struct bpf_insn *libseccomp_profile(const char *path, size_t *n, bool subarches)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_DECODE_ANY, &je);
	ck_assert_ptr_nonnull(root);
	scmp_filter_ctx ctx = seccomp_init(
	        scmp_action(json_string_value(json_object_get(root, "defaultAction")),
	                    json_object_get(root, "defaultErrnoRet"), EPERM));
	ck_assert_ptr_nonnull(ctx);
	if (subarches) {
		ck_assert_int_eq(seccomp_arch_add(ctx, SCMP_ARCH_X86), 0);
		ck_assert_int_eq(seccomp_arch_add(ctx, SCMP_ARCH_X32), 0);
	}
	json_t *sys = json_object_get(root, "syscalls");
	for (size_t i = 0; i < json_array_size(sys); i++) {
		json_t *e = json_array_get(sys, i);
		json_t *inc = json_object_get(e, "includes"), *exc = json_object_get(e, "excludes");
		if (json_array_size(json_object_get(inc, "caps")))
			continue; /* no capabilities */
		json_t *ia = json_object_get(inc, "arches"), *ea = json_object_get(exc, "arches");
		if (json_array_size(ia) && !list_has(ia, "amd64"))
			continue;
		if (json_array_size(ea) && list_has(ea, "amd64"))
			continue;
		uint32_t act = scmp_action(json_string_value(json_object_get(e, "action")),
		                           json_object_get(e, "errnoRet"), EPERM);
		json_t *args = json_object_get(e, "args");
		struct scmp_arg_cmp cmp[6];
		unsigned nc = 0;
		for (size_t k = 0; k < json_array_size(args); k++) {
			json_t *a = json_array_get(args, k);
			const char *op = json_string_value(json_object_get(a, "op"));
			enum scmp_compare c = strcmp(op, "SCMP_CMP_EQ") == 0   ? SCMP_CMP_EQ
			                      : strcmp(op, "SCMP_CMP_NE") == 0 ? SCMP_CMP_NE
			                      : strcmp(op, "SCMP_CMP_LT") == 0 ? SCMP_CMP_LT
			                      : strcmp(op, "SCMP_CMP_LE") == 0 ? SCMP_CMP_LE
			                      : strcmp(op, "SCMP_CMP_GT") == 0 ? SCMP_CMP_GT
			                      : strcmp(op, "SCMP_CMP_GE") == 0 ? SCMP_CMP_GE
			                                                       : SCMP_CMP_MASKED_EQ;
			cmp[nc++] = (struct scmp_arg_cmp){
			        (unsigned)json_integer_value(json_object_get(a, "index")), c,
			        (scmp_datum_t)json_integer_value(json_object_get(a, "value")),
			        (scmp_datum_t)json_integer_value(json_object_get(a, "valueTwo"))};
		}
		json_t *names = json_object_get(e, "names");
		for (size_t k = 0; k < json_array_size(names); k++) {
			int nr = seccomp_syscall_resolve_name(json_string_value(json_array_get(names, k)));
			if (nr == __NR_SCMP_ERROR)
				continue; /* runc skips names libseccomp does not know */
			int rc = seccomp_rule_add_array(ctx, act, nr, nc, cmp);
			ck_assert_msg(rc == 0, "libseccomp refused %s: %d",
			              json_string_value(json_array_get(names, k)), rc);
		}
	}
	json_decref(root);
	ck_assert_int_eq(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2), 0);
	/* polc kills the process on an arch (or x32/i386 ABI) it does not
	 * decide; libseccomp's default is to kill the thread */
	ck_assert_int_eq(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), 0);
	int fd = memfd_create("bpf", 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(seccomp_export_bpf(ctx, fd), 0);
	off_t size = lseek(fd, 0, SEEK_END);
	ck_assert_int_gt(size, 0);
	*n = (size_t)size / 8;
	struct bpf_insn *prog = calloc(*n, sizeof(*prog));
	uint8_t *raw = malloc((size_t)size);
	ck_assert_int_eq(pread(fd, raw, (size_t)size, 0), size);
	for (size_t i = 0; i < *n; i++)
		memcpy(&prog[i], raw + 8 * i, 8); /* struct sock_filter, host order */
	free(raw);
	close(fd);
	seccomp_release(ctx);
	return prog;
}

static struct bpf_prog polc_docker(struct ir_policy *p, bool subarches)
{
	if (!subarches) {
		p->proc.other_abis.kind = IR_ACT_KILL;
		p->proc.other_abis_set = false;
	}
	struct diag_sink *d = diag_sink_new(A);
	struct buf b = {0};
	const struct sysc_arch *x = sysc_arch_by_name("x86_64");
	int rc = bpf_build(p, x, d, &b);
	if (rc)
		dump(d);
	ck_assert_int_eq(rc, 0);
	struct art_section s = {ART_SEC_SECCOMP, x->audit_arch, 0, (uint32_t)b.len, {0}, b.p};
	struct bpf_prog pr;
	uint32_t arch;
	char err[256];
	ck_assert_msg(bpf_from_section(&s, &pr, &arch, err, sizeof(err)) == 0, "%s", err);
	buf_free(&b);
	return pr;
}

static const uint64_t sweep[] = {
	0, 1, 2, 8, 10, 16, 37, 38, 39, 40, 41, 42, 44, 45, 46, 63, 64, 0x20000, 0x20008,
	0x7e020000, 0x10000000, 0x00020000, 0x40000000, 0xffffffff, 0xfffffffe,
	0x100000000, 0x100000001, 0x100000008, 0x100000026, 0x100000027, 0x100000028,
	0x100000029, 0x100020000, 0x1ffffffff, 0xffffffff00000000, 0xffffffff00000028,
	0x8000000000000000, 0xffffffffffffffff};

struct diff {
	uint32_t arch, nr;
	uint64_t a0;
	uint32_t polc, lib;
};

static void compare(const struct bpf_prog *pr, const struct bpf_insn *lib, size_t nlib,
                    bool subarches, struct diff *diffs, size_t *nd, size_t *ncases)
{
	const struct sysc_arch *x86 = sysc_arch_by_name("x86_64");
	const struct sysc_arch *abis[] = {x86, sysc_arch_by_name("x32"), sysc_arch_by_name("i386")};
	for (int a = 0; a < (subarches ? 3 : 1); a++) {
		uint32_t base = a == 1 ? SYSC_X32_BIT : 0;
		uint32_t arch = a == 2 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
		uint32_t top = sysc_max_nr(abis[a], UINT32_MAX) + 64;
		for (uint32_t nr = base; nr <= top; nr++) {
			const char *name = sysc_name(abis[a], (int)nr);
			bool sweep_args = name && (strcmp(name, "socket") == 0 ||
			                           strcmp(name, "personality") == 0 ||
			                           strcmp(name, "clone") == 0);
			size_t nv = sweep_args ? sizeof(sweep) / sizeof(sweep[0]) : 1;
			for (size_t v = 0; v < nv; v++) {
				/* compat (i386) arguments are 32-bit: the kernel
				 * zero-extends them into seccomp_data */
				if (a == 2 && sweep[v] > 0xffffffffull)
					continue;
				for (size_t w = 0; w < (sweep_args ? nv : 1); w++) {
					if (a == 2 && sweep[w] > 0xffffffffull)
						continue;
					struct bpf_data d = {nr, arch, 0, {sweep[v], sweep[w], 0, 0, 0, 0}};
					uint32_t rp = bpf_run(pr->insns, pr->n, &d, NULL, NULL);
					uint32_t rl = bpf_run(lib, nlib, &d, NULL, NULL);
					(*ncases)++;
					if (rp != rl && *nd < 4096)
						diffs[(*nd)++] = (struct diff){arch, nr, sweep[v], rp, rl};
				}
			}
		}
	}
	/* beyond every table */
	const uint32_t odd[] = {0x3fffffff, 0x40001000, 0x7fffffff, 0x80000000, 0xffffffff};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct bpf_data d = {odd[i], AUDIT_ARCH_X86_64, 0, {0}};
		uint32_t rp = bpf_run(pr->insns, pr->n, &d, NULL, NULL);
		uint32_t rl = bpf_run(lib, nlib, &d, NULL, NULL);
		(*ncases)++;
		if (rp != rl && *nd < 4096)
			diffs[(*nd)++] = (struct diff){AUDIT_ARCH_X86_64, odd[i], 0, rp, rl};
	}
}

static void docker_vs_libseccomp(bool subarches)
{
	struct diag_sink *d;
	struct ir_policy *p = load_docker(&d);
	struct bpf_prog pr = polc_docker(p, subarches);
	size_t nlib;
	struct bpf_insn *lib = libseccomp_profile(profile_path(), &nlib, subarches);
	char err[256];
	ck_assert_msg(bpf_check(lib, nlib, err, sizeof(err)) == 0, "libseccomp's program: %s", err);
	static struct diff diffs[4096];
	size_t nd = 0, ncases = 0;
	compare(&pr, lib, nlib, subarches, diffs, &nd, &ncases);
	ck_assert_uint_gt(ncases, 1000);
	const struct sysc_arch *x86 = sysc_arch_by_name("x86_64");
	int sock = sysc_resolve(x86, "socket"), pers = sysc_resolve(x86, "personality");
	int xsock = sysc_resolve(sysc_arch_by_name("x32"), "socket");
	int xpers = sysc_resolve(sysc_arch_by_name("x32"), "personality");
	size_t bypass = 0;
	for (size_t i = 0; i < nd; i++) {
		const struct diff *f = &diffs[i];
		uint32_t lo = (uint32_t)f->a0;
		bool hi = f->a0 >> 32 != 0;
		bool is_sock = f->arch == AUDIT_ARCH_X86_64 && ((int)f->nr == sock || (int)f->nr == xsock);
		bool is_pers = f->arch == AUDIT_ARCH_X86_64 && ((int)f->nr == pers || (int)f->nr == xpers);
		if (is_sock && hi && (lo == 38 || lo == 40) && f->lib == SCMP_ACT_ALLOW &&
		    f->polc == (BPF_RET_ERRNO | EPERM)) {
			bypass++;
			continue;
		}
		if (is_pers && hi && (lo == 0 || lo == 8 || lo == 0x20000 || lo == 0x20008 ||
		                      lo == 0xffffffff) &&
		    f->lib == (SCMP_ACT_ERRNO(EPERM)) && f->polc == BPF_RET_ALLOW)
			continue;
		/* nr -1 without x32: libseccomp exempts it from its x32 check
		 * and gives it the default action; polc gives every number with
		 * bit 30 set other_abis (here kill) */
		if (!subarches && f->nr == 0xffffffffu && f->polc == BPF_RET_KILL_PROCESS &&
		    f->lib == (SCMP_ACT_ERRNO(EPERM)))
			continue;
		ck_abort_msg("arch 0x%x nr %u (%s) arg0 0x%llx: polc 0x%08x, libseccomp 0x%08x",
		             f->arch, f->nr,
		             sysc_name(f->arch == AUDIT_ARCH_I386 ? sysc_arch_by_name("i386")
		                       : f->nr >= SYSC_X32_BIT ? sysc_arch_by_name("x32")
		                                               : x86,
		                       (int)f->nr),
		             (unsigned long long)f->a0, f->polc, f->lib);
	}
	/* The bypass is real: libseccomp's program allows AF_VSOCK with junk. */
	ck_assert_uint_gt(bypass, 0);
	struct bpf_data vs = {(uint32_t)sock, AUDIT_ARCH_X86_64, 0, {0x100000028ull, 1, 0}};
	ck_assert_uint_eq(bpf_run(lib, nlib, &vs, NULL, NULL), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(bpf_run(pr.insns, pr.n, &vs, NULL, NULL), BPF_RET_ERRNO | EPERM);
	fprintf(stderr,
	        "test_oci: docker profile%s: %zu cases, polc %zu insns vs libseccomp %zu; "
	        "%zu documented differences (%zu socket upper-bits bypasses closed)\n",
	        subarches ? " (+x86, x32)" : " (x86_64 only)", ncases, pr.n, nlib, nd, bypass);
	free(lib);
	bpf_prog_free(&pr);
}

/* ---- tests ------------------------------------------------------------------------- */

START_TEST(docker_import)
{
	struct diag_sink *d;
	struct ir_policy *p = load_docker(&d);
	ck_assert_uint_eq(diag_errors(d), 0);
	ck_assert_int_eq(p->proc.def.kind, IR_ACT_ERRNO);
	ck_assert_int_eq(p->proc.def.errno_val, 1); /* defaultErrnoRet */
	ck_assert_int_eq(p->proc.other_abis.kind, IR_ACT_ALLOW); /* archMap lists x86, x32, arm */
	ck_assert_uint_gt(p->proc.nrules, 300);
	uint64_t z[6] = {0};
	uint32_t r;
	ck_assert_int_eq(ir_proc_decide(p, "read", z, &r).kind, IR_ACT_ALLOW);
	ck_assert_int_eq(ir_proc_decide(p, "ptrace", z, &r).kind, IR_ACT_ALLOW); /* minKernel 4.8 */
	ck_assert_int_eq(ir_proc_decide(p, "mount", z, &r).kind, IR_ACT_ERRNO); /* CAP_SYS_ADMIN */
	ck_assert_int_eq(ir_proc_decide(p, "reboot", z, &r).kind, IR_ACT_ERRNO);
	struct ir_action c3 = ir_proc_decide(p, "clone3", z, &r); /* excludes CAP_SYS_ADMIN */
	ck_assert_int_eq(c3.kind, IR_ACT_ERRNO);
	ck_assert_int_eq(c3.errno_val, ENOSYS);
	uint64_t ns[6] = {0x10000000 /* CLONE_NEWNS */};
	ck_assert_int_eq(ir_proc_decide(p, "clone", ns, &r).kind, IR_ACT_ERRNO);
	uint64_t thr[6] = {0x3d0f00 /* pthread_create's flags */};
	ck_assert_int_eq(ir_proc_decide(p, "clone", thr, &r).kind, IR_ACT_ALLOW);
	/* every rule points into the file */
	for (size_t i = 0; i < p->proc.nrules; i++)
		ck_assert(p->proc.rules[i].pos.line > 1 && p->proc.rules[i].pos.col > 1);
}
END_TEST

START_TEST(docker_vs_libseccomp_native)
{
	docker_vs_libseccomp(false);
}
END_TEST

START_TEST(docker_vs_libseccomp_subarches)
{
	docker_vs_libseccomp(true);
}
END_TEST

START_TEST(syntax_error_position)
{
	struct diag_sink *d;
	ck_assert_ptr_null(parse("bad.json", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  x\n}", &d));
	ck_assert_msg(has_diag(d, DIAG_E100, 3, 3), "no E100 at 3:3");
	ck_assert_ptr_null(parse("dup.json",
	                         "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultAction\": \"SCMP_ACT_LOG\"}",
	                         &d));
	ck_assert(has_diag(d, DIAG_E103, 1, 0));
	ck_assert_ptr_null(parse("arr.json", "[1, 2]", &d));
	ck_assert(has_diag(d, DIAG_E102, 1, 1));
	ck_assert_ptr_null(parse("empty.json", "", &d));
	ck_assert(has_diag(d, DIAG_E100, 0, 0));
}
END_TEST

START_TEST(semantic_error_positions)
{
	const char *text = "{\n"
	                   "  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
	                   "  \"syscalls\": [\n"
	                   "    {\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOPE\"},\n"
	                   "    {\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"bogus\": 1},\n"
	                   "    {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	                   "     \"args\": [{\"index\": 7, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]},\n"
	                   "    {\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	                   "     \"args\": [{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_WAT\"}]},\n"
	                   "    {\"names\": [\"open\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5000},\n"
	                   "    {\"names\": [\"close\"], \"action\": \"SCMP_ACT_NOTIFY\"},\n"
	                   "    {\"names\": [\"dup\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	                   "     \"includes\": {\"caps\": [\"CAP_NOPE\"]}}\n"
	                   "  ]\n"
	                   "}\n";
	struct diag_sink *d;
	ck_assert_ptr_null(parse("sem.json", text, &d));
	ck_assert_msg(has_diag(d, DIAG_E301, 4, 35), "bad action");
	ck_assert_msg(has_diag(d, DIAG_E101, 5, 54), "unknown key");
	ck_assert_msg(has_diag(d, DIAG_E106, 7, 25), "index out of range");
	ck_assert_msg(has_diag(d, DIAG_E302, 9, 46), "unknown op");
	ck_assert_msg(has_diag(d, DIAG_E106, 10, 65), "errnoRet out of range");
	ck_assert_msg(has_diag(d, DIAG_E301, 11, 36), "notify");
	ck_assert_msg(has_diag(d, DIAG_E303, 13, 28), "unknown cap");
	if (diag_errors(d) != 7)
		dump(d);
	ck_assert_uint_eq(diag_errors(d), 7); /* every error, not only the first */
}
END_TEST

START_TEST(semantics)
{
	const char *text =
	        "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\",\n"
	        " \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
	        " \"syscalls\": [\n"
	        "  {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	        "   \"args\": [{\"index\": 0, \"value\": 18446744073709551615, \"op\": \"SCMP_CMP_EQ\"}]},\n"
	        "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	        "   \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},\n"
	        "            {\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]},\n"
	        "  {\"names\": [\"gettid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,\n"
	        "   \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},\n"
	        "            {\"index\": 1, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]},\n"
	        "  {\"names\": [\"dup\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
	        "   \"args\": [{\"index\": 0, \"value\": 240, \"valueTwo\": 48, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
	        "  {\"names\": [\"reboot\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_BOOT\"]}},\n"
	        "  {\"names\": [\"acct\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"caps\": [\"CAP_SYS_PACCT\"]}},\n"
	        "  {\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"amd64\"]}},\n"
	        "  {\"names\": [\"s390_runtime_instr\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"s390x\"]}},\n"
	        "  {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL\"},\n"
	        "  {\"names\": [\"tkill\"], \"action\": \"SCMP_ACT_TRACE\"},\n"
	        "  {\"names\": [\"not_a_syscall\", \"read\"], \"action\": \"SCMP_ACT_LOG\"}\n"
	        " ]}\n";
	struct diag_sink *d;
	struct ir_policy *p = parse("sem.json", text, &d);
	if (!p)
		dump(d);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->proc.def.kind, IR_ACT_KILL);
	ck_assert_int_eq(p->proc.other_abis.kind, IR_ACT_KILL); /* no sub-architectures */
	uint32_t r;
	/* a value above INT64_MAX, read exactly */
	ck_assert_int_eq(ir_proc_decide(p, "getpid", (uint64_t[6]){~0ull}, &r).kind, IR_ACT_ALLOW);
	ck_assert_int_eq(ir_proc_decide(p, "getpid", (uint64_t[6]){~0ull - 1}, &r).kind, IR_ACT_KILL);
	/* one index twice: ORed (runc) */
	ck_assert_int_eq(ir_proc_decide(p, "getppid", (uint64_t[6]){1}, &r).kind, IR_ACT_ALLOW);
	ck_assert_int_eq(ir_proc_decide(p, "getppid", (uint64_t[6]){2}, &r).kind, IR_ACT_ALLOW);
	ck_assert_int_eq(ir_proc_decide(p, "getppid", (uint64_t[6]){3}, &r).kind, IR_ACT_KILL);
	/* distinct indexes: ANDed */
	ck_assert_int_eq(ir_proc_decide(p, "gettid", (uint64_t[6]){1, 2}, &r).errno_val, 13);
	ck_assert_int_eq(ir_proc_decide(p, "gettid", (uint64_t[6]){1, 3}, &r).kind, IR_ACT_KILL);
	/* masked_eq: value is the mask, valueTwo the datum */
	ck_assert_int_eq(ir_proc_decide(p, "dup", (uint64_t[6]){0x1234}, &r).kind, IR_ACT_ALLOW);
	ck_assert_int_eq(ir_proc_decide(p, "dup", (uint64_t[6]){0x1244}, &r).kind, IR_ACT_KILL);
	/* capabilities: none kept */
	ck_assert_int_eq(ir_proc_decide(p, "reboot", (uint64_t[6]){0}, &r).kind, IR_ACT_KILL);
	ck_assert_int_eq(ir_proc_decide(p, "acct", (uint64_t[6]){0}, &r).kind, IR_ACT_ALLOW);
	/* arches: amd64 yes (a warning? arch_prctl is not on arm64: none) */
	ck_assert_int_eq(ir_proc_decide(p, "arch_prctl", (uint64_t[6]){0}, &r).kind, IR_ACT_ALLOW);
	ck_assert_int_eq(ir_proc_decide(p, "s390_runtime_instr", (uint64_t[6]){0}, &r).kind,
	                 IR_ACT_KILL);
	/* SCMP_ACT_KILL is kill-thread; TRACE without a tracer is ENOSYS */
	ck_assert_int_eq(ir_proc_decide(p, "kill", (uint64_t[6]){0}, &r).kind, IR_ACT_KILL_THREAD);
	struct ir_action t = ir_proc_decide(p, "tkill", (uint64_t[6]){0}, &r);
	ck_assert_int_eq(t.kind, IR_ACT_ERRNO);
	ck_assert_int_eq(t.errno_val, ENOSYS);
	ck_assert(has_diag(d, DIAG_E505, 19, 0));
	/* unknown names: a warning, the rest of the entry stands */
	ck_assert(has_diag(d, DIAG_E300, 20, 0));
	ck_assert_int_eq(ir_proc_decide(p, "read", (uint64_t[6]){0}, &r).kind, IR_ACT_LOG);
	ck_assert_uint_eq(diag_errors(d), 0);
	/* and it compiles (validated) for both arches */
	int na;
	const struct sysc_arch *arches = sysc_arches(&na);
	for (int i = 0; i < na; i++) {
		struct buf b = {0};
		ck_assert_int_eq(bpf_build(p, &arches[i], d, &b), 0);
		buf_free(&b);
	}
}
END_TEST

START_TEST(partial_subarches_warn)
{
	const char *text = "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
	                   " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\",\n"
	                   "              \"subArchitectures\": [\"SCMP_ARCH_X86\"]}],\n"
	                   " \"syscalls\": []}\n";
	struct diag_sink *d;
	struct ir_policy *p = parse("part.json", text, &d);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->proc.other_abis.kind, IR_ACT_KILL);
	ck_assert(has_diag(d, DIAG_E505, 2, 13));
}
END_TEST

/* Export the compiled Docker profile as an OCI profile, then: polc
 * compiling the export decides exactly like the original artifact, and so
 * does libseccomp compiling it; the export states 32-bit arguments as
 * low-word masks, so even libseccomp no longer lets socket(0x100000028)
 * through. */
START_TEST(export_round_trip)
{
	struct diag_sink *d;
	struct ir_policy *p = load_docker(&d);
	struct buf art = {0};
	if (polc_compile(p, d, &art) < 0)
		dump(d);
	struct art a;
	char err[512], warn[512];
	ck_assert_int_eq(art_parse(&a, art.p, art.len, err, sizeof(err)), 0);
	json_t *j = oci_export(&a, warn, sizeof(warn), err, sizeof(err));
	ck_assert_msg(j != NULL, "%s", err);
	ck_assert_str_eq(warn, "");
	char *text = oci_export_dump(j);
	json_decref(j);
	char path[] = "/tmp/polc-oci-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	struct diag_sink *d2;
	struct ir_policy *p2 = parse("export.json", text, &d2);
	if (!p2)
		dump(d2);
	ck_assert_ptr_nonnull(p2);
	ck_assert_int_eq(p2->proc.other_abis.kind, IR_ACT_ALLOW);
	struct bpf_prog orig = polc_docker(p, true), again = polc_docker(p2, true);
	size_t nlib;
	struct bpf_insn *lib = libseccomp_profile(path, &nlib, true);
	static struct diff diffs[4096];
	size_t nd = 0, ncases = 0;
	compare(&orig, again.insns, again.n, true, diffs, &nd, &ncases);
	ck_assert_msg(nd == 0, "polc(export) differs: nr %u arg0 0x%llx: 0x%x vs 0x%x", diffs[0].nr,
	              (unsigned long long)diffs[0].a0, diffs[0].polc, diffs[0].lib);
	nd = 0;
	compare(&orig, lib, nlib, true, diffs, &nd, &ncases);
	ck_assert_msg(nd == 0, "libseccomp(export) differs: arch 0x%x nr %u arg0 0x%llx: 0x%x vs 0x%x",
	              diffs[0].arch, diffs[0].nr, (unsigned long long)diffs[0].a0, diffs[0].polc,
	              diffs[0].lib);
	int sock = sysc_resolve(sysc_arch_by_name("x86_64"), "socket");
	struct bpf_data vs = {(uint32_t)sock, AUDIT_ARCH_X86_64, 0, {0x100000028ull, 1, 0}};
	ck_assert_uint_eq(bpf_run(lib, nlib, &vs, NULL, NULL), SCMP_ACT_ERRNO(EPERM));
	unlink(path);
	free(lib);
	free(text);
	buf_free(&art);
	bpf_prog_free(&orig);
	bpf_prog_free(&again);
}
END_TEST

int main(void)
{
	A = arena_new();
	Suite *s = suite_create("oci");
	TCase *tc = tcase_create("oci");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, docker_import);
	tcase_add_test(tc, docker_vs_libseccomp_native);
	tcase_add_test(tc, docker_vs_libseccomp_subarches);
	tcase_add_test(tc, syntax_error_position);
	tcase_add_test(tc, semantic_error_positions);
	tcase_add_test(tc, semantics);
	tcase_add_test(tc, partial_subarches_warn);
	tcase_add_test(tc, export_round_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	arena_free(A);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
