/* test_yml.c — the YAML front end: IR contents of a full policy, every
 * error class with its code and position, all errors reported at once,
 * extends (relative, cycles, not found), hostile inputs, and the symbolic
 * constants table checked against the C library's headers. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "consts.h"

#define DATA "tests/data/yml/"

/* One parse with its own arena and sink. */
struct run {
	struct arena *a;
	struct load_ctx c;
	struct ir_policy *p;
};

static void run_init(struct run *r)
{
	r->a = arena_new();
	r->c = (struct load_ctx){.a = r->a, .d = diag_sink_new(r->a)};
	r->p = NULL;
}

static struct ir_policy *run_text(struct run *r, const char *text)
{
	run_init(r);
	r->p = yml_parse(&r->c, "t.yaml", text, strlen(text));
	return r->p;
}

static struct ir_policy *run_bytes(struct run *r, const char *text, size_t len)
{
	run_init(r);
	r->p = yml_parse(&r->c, "t.yaml", text, len);
	return r->p;
}

static struct ir_policy *run_file(struct run *r, const char *path)
{
	run_init(r);
	r->p = load_file(&r->c, path, (struct src_pos){0});
	return r->p;
}

static void run_free(struct run *r) { arena_free(r->a); }

/* Number of errors (not notes) with code `code`. */
static size_t nerr(const struct run *r, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < diag_count(r->c.d); i++) {
		const struct diag *d = diag_get(r->c.d, i);
		if (d->level == DIAG_ERROR && strcmp(diag_code_name(d->code), code) == 0)
			n++;
	}
	return n;
}

static const struct diag *find(const struct run *r, enum diag_level lvl, const char *code,
                               uint32_t line, uint32_t col)
{
	for (size_t i = 0; i < diag_count(r->c.d); i++) {
		const struct diag *d = diag_get(r->c.d, i);
		if (d->level == lvl && strcmp(diag_code_name(d->code), code) == 0 &&
		    d->pos.line == line && d->pos.col == col)
			return d;
	}
	return NULL;
}

static void dump_diags(const struct run *r) { diag_print(r->c.d, stderr, false); }

/* The text must fail with exactly one error: `code` at line:col, whose
 * message contains `needle` (when not NULL). */
static void expect1(const char *text, const char *code, uint32_t line, uint32_t col,
                    const char *needle)
{
	struct run r;
	struct ir_policy *p = run_text(&r, text);
	if (diag_errors(r.c.d) != 1 || !find(&r, DIAG_ERROR, code, line, col))
		dump_diags(&r);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(diag_errors(r.c.d), 1);
	const struct diag *d = find(&r, DIAG_ERROR, code, line, col);
	ck_assert_msg(d != NULL, "expected %s at %u:%u", code, line, col);
	if (needle)
		ck_assert_msg(strstr(d->msg, needle), "message `%s` lacks `%s`", d->msg, needle);
	run_free(&r);
}

#define HDR "polc: 1\nname: t\n"

/* ---- the good path ------------------------------------------------------------ */

START_TEST(full_policy)
{
	struct run r;
	struct ir_policy *p = run_file(&r, DATA "full.yaml");
	if (!p)
		dump_diags(&r);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(diag_count(r.c.d), 0);
	ck_assert_str_eq(p->name, "full-test.v1");
	ck_assert_uint_eq(p->name_pos.line, 2);
	ck_assert_uint_eq(p->name_pos.col, 7);
	ck_assert_str_eq(p->description, "every schema key once");
	ck_assert_uint_eq(p->nsources, 1);
	ck_assert_str_eq(p->sources[0], DATA "full.yaml");

	/* filesystem, in document order */
	ck_assert(p->fs.present);
	ck_assert_uint_eq(p->fs.nrules, 7);
	static const struct {
		const char *path;
		uint64_t access;
		uint32_t line, col;
	} fs[] = {
		{"/usr", IR_FS_READ, 5, 10},
		{"/etc/ssl", IR_FS_READ, 5, 16},
		{"/usr/bin", IR_FS_EXEC, 6, 10},
		{"/workspace", IR_FS_WRITE, 8, 7},
		{"/tmp", IR_FS_WRITE, 9, 7},
		{"/dev/null", LL_FS_read_file | LL_FS_write_file, 11, 7},
		{"/dev/dri", IR_FS_READ | LL_FS_ioctl_dev, 13, 7},
	};
	for (size_t i = 0; i < 7; i++) {
		ck_assert_str_eq(p->fs.rules[i].path, fs[i].path);
		ck_assert_uint_eq(p->fs.rules[i].access, fs[i].access);
		ck_assert_uint_eq(p->fs.rules[i].pos.line, fs[i].line);
		ck_assert_uint_eq(p->fs.rules[i].pos.col, fs[i].col);
		ck_assert_str_eq(p->fs.rules[i].pos.file, DATA "full.yaml");
	}
	ck_assert_uint_eq(p->fs.noptional, 1);
	ck_assert_str_eq(p->fs.optional[0], "/opt/tool");
	ck_assert_uint_eq(p->fs.optional_pos[0].line, 15);
	ck_assert_uint_eq(p->fs.optional_pos[0].col, 14);
	ck_assert_uint_eq(p->fs.min_abi, 6);
	ck_assert_uint_eq(p->fs.min_abi_pos.line, 16);

	/* process */
	const struct ir_process *pr = &p->proc;
	ck_assert(pr->present);
	ck_assert(pr->def_set);
	ck_assert_int_eq(pr->def.kind, IR_ACT_ERRNO);
	ck_assert_uint_eq(pr->def.errno_val, EACCES);
	ck_assert_uint_eq(pr->def_pos.line, 18);
	ck_assert_uint_eq(pr->def_pos.col, 12);
	ck_assert(pr->other_abis_set);
	ck_assert_int_eq(pr->other_abis.kind, IR_ACT_ERRNO);
	ck_assert_uint_eq(pr->other_abis.errno_val, ENOSYS);
	ck_assert_uint_eq(pr->caps, (1ull << 10) | (1ull << 0));
	ck_assert_uint_eq(pr->caps_pos.line, 34);
	ck_assert(pr->scopes_set);
	ck_assert_uint_eq(pr->scopes, LL_SCOPE_signal);
	ck_assert_uint_eq(pr->nrules, 8);
	static const struct {
		const char *sc;
		enum ir_sys_origin origin;
		enum ir_act act;
		uint32_t line, col;
		size_t nconds;
	} sr[] = {
		{"read", IR_SYS_ALLOW_LIST, IR_ACT_ALLOW, 19, 11, 0},
		{"write", IR_SYS_ALLOW_LIST, IR_ACT_ALLOW, 19, 17, 0},
		{"openat", IR_SYS_ALLOW_LIST, IR_ACT_ALLOW, 19, 24, 0},
		{"ptrace", IR_SYS_DENY_LIST, IR_ACT_ERRNO, 20, 10, 0}, /* EPERM until finalize */
		{"bpf", IR_SYS_DENY_LIST, IR_ACT_ERRNO, 20, 18, 0},
		{"socket", IR_SYS_RULE, IR_ACT_ALLOW, 22, 18, 2},
		{"socketpair", IR_SYS_RULE, IR_ACT_ALLOW, 22, 26, 2},
		{"personality", IR_SYS_RULE, IR_ACT_KILL, 27, 18, 1},
	};
	for (size_t i = 0; i < 8; i++) {
		const struct ir_sys_rule *x = &pr->rules[i];
		ck_assert_str_eq(x->syscall, sr[i].sc);
		ck_assert_int_eq(x->origin, sr[i].origin);
		ck_assert_int_eq(x->action.kind, sr[i].act);
		ck_assert_uint_eq(x->pos.line, sr[i].line);
		ck_assert_uint_eq(x->pos.col, sr[i].col);
		ck_assert_uint_eq(x->nconds, sr[i].nconds);
	}
	/* socket and socketpair share their conditions */
	const struct ir_arg_cond *c0 = &pr->rules[5].conds[0], *c1 = &pr->rules[5].conds[1];
	ck_assert_ptr_eq(pr->rules[5].conds, pr->rules[6].conds);
	ck_assert_uint_eq(c0->index, 0);
	ck_assert_int_eq(c0->op, IR_OP_IN);
	ck_assert_uint_eq(c0->nvalues, 3);
	ck_assert_uint_eq(c0->values[0], AF_UNIX);
	ck_assert_uint_eq(c0->values[1], AF_INET);
	ck_assert_uint_eq(c0->values[2], 0x1a);
	ck_assert_uint_eq(c0->pos.line, 24);
	ck_assert_uint_eq(c0->pos.col, 11);
	ck_assert_uint_eq(c1->index, 1);
	ck_assert_int_eq(c1->op, IR_OP_MASKED_EQ);
	ck_assert_uint_eq(c1->mask, 0xf);
	ck_assert_uint_eq(c1->nvalues, 1);
	ck_assert_uint_eq(c1->values[0], SOCK_STREAM);
	const struct ir_arg_cond *c2 = &pr->rules[7].conds[0];
	ck_assert_int_eq(c2->op, IR_OP_NE);
	ck_assert_uint_eq(c2->values[0], UINT64_MAX); /* -1, two's complement */
	ck_assert_uint_eq(c2->pos.line, 29);

	/* finalize gives deny entries the default action */
	ck_assert_uint_eq(pr->rules[3].action.errno_val, EPERM);
	ir_finalize(p, r.c.d);
	ck_assert_int_eq(pr->rules[3].action.kind, IR_ACT_ERRNO);
	ck_assert_uint_eq(pr->rules[3].action.errno_val, EACCES);

	/* network */
	const struct ir_net *n = &p->net;
	ck_assert(n->present);
	ck_assert_uint_eq(n->nrules, 5);
	ck_assert_int_eq(n->rules[0].kind, IR_HOST_NAME);
	ck_assert_str_eq(n->rules[0].host, "api.github.com");
	ck_assert_uint_eq(n->rules[0].nports, 2);
	ck_assert_uint_eq(n->rules[0].ports[0].lo, 443);
	ck_assert_uint_eq(n->rules[0].ports[0].hi, 443);
	ck_assert_uint_eq(n->rules[0].ports[1].lo, 8000);
	ck_assert_uint_eq(n->rules[0].ports[1].hi, 8080);
	ck_assert_uint_eq(n->rules[0].methods, IR_METHOD(GET) | IR_METHOD(POST));
	ck_assert_uint_eq(n->rules[0].npaths, 2);
	ck_assert_str_eq(n->rules[0].paths[0], "/repos/**");
	ck_assert_str_eq(n->rules[0].paths[1], "/user");
	ck_assert(!n->rules[0].deny);
	ck_assert_uint_eq(n->rules[0].pos.line, 38);
	ck_assert_uint_eq(n->rules[0].pos.col, 7);
	ck_assert_int_eq(n->rules[1].kind, IR_HOST_WILDCARD);
	ck_assert_str_eq(n->rules[1].host, "example.org");
	ck_assert_uint_eq(n->rules[1].methods, 0);
	ck_assert_uint_eq(n->rules[1].npaths, 0);
	ck_assert_int_eq(n->rules[2].kind, IR_HOST_IPV4);
	ck_assert_uint_eq(n->rules[2].prefix, 16);
	ck_assert_mem_eq(n->rules[2].addr, "\x0a\x01\x00\x00", 4);
	ck_assert(n->rules[2].deny);
	ck_assert_int_eq(n->rules[3].kind, IR_HOST_IPV6);
	ck_assert_uint_eq(n->rules[3].prefix, 32);
	ck_assert_mem_eq(n->rules[3].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	ck_assert_int_eq(n->rules[4].kind, IR_HOST_IPV4);
	ck_assert_uint_eq(n->rules[4].prefix, 32);
	ck_assert_str_eq(n->rules[4].host, "192.0.2.7");
	ck_assert_uint_eq(n->rules[4].ports[0].lo, 22);
	ck_assert_uint_eq(n->nbinds, 2);
	ck_assert_uint_eq(n->binds[0].port, 3000);
	ck_assert_uint_eq(n->binds[1].port, 8080);
	ck_assert_uint_eq(n->binds[1].pos.line, 51);
	ck_assert_uint_eq(n->binds[1].pos.col, 16);
	run_free(&r);
}
END_TEST

START_TEST(minimal_and_empty_sections)
{
	struct run r;
	struct ir_policy *p = run_text(&r, HDR);
	ck_assert_ptr_nonnull(p);
	ck_assert(!p->fs.present && !p->proc.present && !p->net.present);
	ck_assert(!p->proc.def_set);
	run_free(&r);

	/* an empty section is present (deny everything), not absent */
	p = run_text(&r, HDR "filesystem:\nprocess: {}\nnetwork:\n  outbound: []\n");
	ck_assert_ptr_nonnull(p);
	ck_assert(p->fs.present && p->proc.present && p->net.present);
	ck_assert_uint_eq(p->fs.nrules + p->proc.nrules + p->net.nrules, 0);
	run_free(&r);

	/* scopes: [] turns both scopes off explicitly */
	p = run_text(&r, HDR "process:\n  scopes: []\n");
	ck_assert_ptr_nonnull(p);
	ck_assert(p->proc.scopes_set);
	ck_assert_uint_eq(p->proc.scopes, 0);
	run_free(&r);
}
END_TEST

START_TEST(values_and_constants)
{
	struct run r;
	struct ir_policy *p = run_text(
	        &r, HDR "process:\n  rules:\n    - syscalls: [socket]\n      args:\n"
	                "        - {index: 1, op: eq, value: SOCK_STREAM|SOCK_CLOEXEC}\n"
	                "        - {index: 2, op: le, value: 0o17}\n"
	                "        - {index: 3, op: ge, value: 0b101}\n"
	                "        - {index: 4, op: lt, value: -0x2}\n"
	                "        - {index: 5, op: gt, value: 18446744073709551615}\n"
	                "      action: errno EPERM\n");
	if (!p)
		dump_diags(&r);
	ck_assert_ptr_nonnull(p);
	const struct ir_sys_rule *x = &p->proc.rules[0];
	ck_assert_uint_eq(x->nconds, 5);
	ck_assert_uint_eq(x->conds[0].values[0], SOCK_STREAM | SOCK_CLOEXEC);
	ck_assert_uint_eq(x->conds[1].values[0], 017);
	ck_assert_uint_eq(x->conds[2].values[0], 5);
	ck_assert_uint_eq(x->conds[3].values[0], (uint64_t)-2);
	ck_assert_uint_eq(x->conds[4].values[0], UINT64_MAX);
	ck_assert_int_eq(x->action.kind, IR_ACT_ERRNO);
	run_free(&r);
}
END_TEST

/* ---- each error class at its position ------------------------------------------- */

START_TEST(errors_structure)
{
	expect1(HDR "filesytem: {}\n", "E101", 3, 1, "did you mean `filesystem`");
	expect1(HDR "network:\n  outbund: []\n", "E101", 4, 3, "valid keys: outbound, bind");
	expect1(HDR "filesystem:\n  read: /usr\n", "E102", 4, 9, "expected a list, got a scalar");
	expect1(HDR "process: [read]\n", "E102", 3, 10, "expected a mapping, got a list");
	expect1(HDR "name: u\n", "E103", 3, 1, "duplicate key `name`");
	expect1("name: t\n", "E104", 1, 1, "`polc`");
	expect1("polc: 1\n", "E104", 1, 1, "`name`");
	expect1("polc: 2\nname: t\n", "E105", 1, 7, NULL);
	expect1("polc: \"one\"\nname: t\n", "E105", 1, 7, NULL);
	expect1("polc: 1\nname: a/b\n", "E107", 2, 7, NULL);
	expect1("polc: 1\nname: \"\"\n", "E107", 2, 7, NULL);
	expect1("- polc: 1\n", "E102", 1, 1, "must be a mapping");
	expect1("", "E102", 1, 1, "empty");
	expect1(HDR "[a]: 1\n", "E102", 3, 1, "keys must be strings");

	/* the duplicate's note points at the first definition */
	struct run r;
	run_text(&r, HDR "process:\n  allow: [read]\n  default: kill\n  allow: [write]\n");
	ck_assert_ptr_nonnull(find(&r, DIAG_ERROR, "E103", 6, 3));
	ck_assert_ptr_nonnull(find(&r, DIAG_NOTE, "E103", 4, 3));
	run_free(&r);
}
END_TEST

START_TEST(errors_filesystem)
{
	static const char *const bad[] = {"etc", "/a/", "//", "/a//b", "/a/./b", "/a/..",
	                                  "/..", "\"\"", "\"/a\\0b\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), HDR "filesystem:\n  write:\n    - %s\n", bad[i]);
		expect1(text, "E200", 5, 7, NULL);
	}
	/* dot-files and names with dots are fine */
	struct run r;
	ck_assert_ptr_nonnull(run_text(&r, HDR "filesystem:\n  read: [/, /a/.b, /a/..c, /a/b.]\n"));
	ck_assert_uint_eq(r.p->fs.nrules, 4);
	run_free(&r);

	expect1(HDR "filesystem:\n  rules:\n    - path: /x\n      access: [read_fil]\n", "E201", 6,
	        16, "did you mean `read_file`");
	expect1(HDR "filesystem:\n  rules:\n    - path: /x\n      access: []\n", "E201", 6, 15,
	        NULL);
	expect1(HDR "filesystem:\n  rules:\n    - access: [read]\n", "E104", 5, 7, "`path`");
	expect1(HDR "filesystem:\n  rules:\n    - path: x\n      access: [read]\n", "E200", 5, 13,
	        NULL);
	expect1(HDR "filesystem:\n  min_abi: 8\n", "E106", 4, 12, NULL);
	expect1(HDR "filesystem:\n  min_abi: 0\n", "E106", 4, 12, NULL);
	expect1(HDR "filesystem:\n  optional: [tmp]\n", "E200", 4, 14, NULL);
}
END_TEST

START_TEST(errors_process)
{
	expect1(HDR "process:\n  allow: [read, opnat]\n", "E300", 4, 17, "did you mean `openat`");
	expect1(HDR "process:\n  deny: [nosuchcall]\n", "E300", 4, 10, NULL);
	expect1(HDR "process:\n  default: deny\n", "E301", 4, 12, NULL);
	expect1(HDR "process:\n  default: errno 4096\n", "E301", 4, 12, NULL);
	expect1(HDR "process:\n  other_abis: errno ENOPE\n", "E301", 4, 15, NULL);
	expect1(HDR "process:\n  rules:\n    - syscalls: [read]\n      action: permit\n", "E301", 6,
	        15, NULL);
	expect1(HDR "process:\n  rules:\n    - syscalls: [read]\n", "E104", 5, 7, "`action`");
	expect1(HDR "process:\n  capabilities: [CAP_NOPE]\n", "E303", 4, 18, NULL);
	expect1(HDR "process:\n  scopes: [signals]\n", "E106", 4, 12, NULL);

#define RULE HDR "process:\n  rules:\n    - syscalls: [socket]\n      action: allow\n      args:\n        - "
	expect1(RULE "{index: 6, op: eq, value: 1}\n", "E302", 8, 19, "0 to 5");
	expect1(RULE "{index: 0, op: between, value: 1}\n", "E302", 8, 26, "unknown operator");
	expect1(RULE "{index: 0, op: in, value: 1}\n", "E302", 8, 37, "not `value:`");
	expect1(RULE "{index: 0, op: eq, values: [1]}\n", "E302", 8, 38, "not `values:`");
	expect1(RULE "{index: 0, op: eq}\n", "E302", 8, 11, "needs `value:`");
	expect1(RULE "{op: eq, value: 1}\n", "E302", 8, 11, "needs `index`");
	expect1(RULE "{index: 0, op: masked_eq, value: 1}\n", "E302", 8, 11, "needs `mask:`");
	expect1(RULE "{index: 0, op: masked_eq, mask: 2, value: 1}\n", "E302", 8, 53,
	        "outside mask");
	expect1(RULE "{index: 0, op: eq, mask: 2, value: 1}\n", "E302", 8, 36, "only valid");
	expect1(RULE "{index: 0, op: eq, value: AF_NOPE}\n", "E302", 8, 37, NULL);
	expect1(RULE "{index: 0, op: eq, value: 0755}\n", "E302", 8, 37, NULL);
	expect1(RULE "{index: 0, op: eq, value: 18446744073709551616}\n", "E302", 8, 37, NULL);
	expect1(RULE "{index: 0, op: eq, value: -9223372036854775809}\n", "E302", 8, 37, NULL);
	expect1(RULE "{index: 0, op: in, values: [1, x]}\n", "E302", 8, 42, NULL);
	expect1(RULE "{index: 0, op: in, values: []}\n", "E302", 8, 38, NULL);
	expect1(RULE "{index: 0, op: eq, value: 1, extra: 2}\n", "E101", 8, 40, NULL);
#undef RULE
}
END_TEST

START_TEST(errors_network)
{
#define OUT HDR "network:\n  outbound:\n    - ports: [443]\n      host: "
	static const char *const badhost[] = {"\"*\"", "\"**\"", "a.*.com", "\"*example.com\"",
	                                      "-a.com", "a-.com", "a..b", "ex_ample.com",
	                                      "\"example.com:443\"", "\"*.\"", "example.123",
	                                      "\"*.10.0.0.1\""};
	for (size_t i = 0; i < sizeof(badhost) / sizeof(badhost[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), OUT "%s\n", badhost[i]);
		expect1(text, "E400", 6, 13, NULL);
	}
	char longlabel[300], text[600];
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".com");
	snprintf(text, sizeof(text), OUT "%s\n", longlabel);
	expect1(text, "E400", 6, 13, "63");
	memset(longlabel, 'a', 63);
	strcpy(longlabel + 63, ".com"); /* a 63-character label is fine */
	snprintf(text, sizeof(text), OUT "%s\n", longlabel);
	struct run r;
	ck_assert_ptr_nonnull(run_text(&r, text));
	run_free(&r);
	/* 4 x 63 + 3 dots = 255 > 253 */
	size_t o = 0;
	for (int i = 0; i < 4; i++) {
		memset(longlabel + o, 'b', 63);
		o += 63;
		longlabel[o++] = '.';
	}
	longlabel[o - 1] = '\0';
	snprintf(text, sizeof(text), OUT "%s\n", longlabel);
	expect1(text, "E400", 6, 13, "253");

	static const char *const badip[] = {"10.0.0.1/8", "300.1.1.1", "10.0.0.0/33",
	                                    "\"fe80::1%eth0\"", "1.2.3", "\"2001:db8::1/129\"",
	                                    "\"2001:db8::1/32\"", "10.0.0.0/", "10.0.0.0/08",
	                                    "\"::ffff:10.0.0.1\""};
	for (size_t i = 0; i < sizeof(badip) / sizeof(badip[0]); i++) {
		snprintf(text, sizeof(text), OUT "%s\n", badip[i]);
		expect1(text, "E402", 6, 13, NULL);
	}
	expect1(OUT "10.0.0.1/8\n", "E402", 6, 13, "did you mean `10.0.0.0/8`");
#undef OUT
#define OUT HDR "network:\n  outbound:\n    - host: example.com\n      "
	static const char *const badport[] = {"0", "65536", "\"80-70\"", "abc", "\"-80\"",
	                                      "\"80-\"", "\"+80\"", "0x50"};
	for (size_t i = 0; i < sizeof(badport) / sizeof(badport[0]); i++) {
		snprintf(text, sizeof(text), OUT "ports: [%s]\n", badport[i]);
		expect1(text, "E401", 6, 15, NULL);
	}
	expect1(OUT "methods: [GET]\n", "E401", 5, 7, "needs `ports`");
	expect1(OUT "ports: []\n", "E401", 6, 14, NULL);
	expect1(HDR "network:\n  bind: [0]\n", "E401", 4, 10, NULL);
	expect1(OUT "ports: [443]\n      methods: [get]\n", "E403", 7, 17, "upper case: `GET`");
	expect1(OUT "ports: [443]\n      methods: [FETCH]\n", "E403", 7, 17, NULL);
	expect1(OUT "ports: [443]\n      methods: []\n", "E403", 7, 16, NULL);
	static const char *const badpath[] = {"repos", "\"/a b\"", "\"/a?b\"", "\"/a#b\"",
	                                      "\"\"", "\"/a\\tb\""};
	for (size_t i = 0; i < sizeof(badpath) / sizeof(badpath[0]); i++) {
		snprintf(text, sizeof(text), OUT "ports: [443]\n      paths: [%s]\n", badpath[i]);
		expect1(text, "E404", 7, 15, NULL);
	}
	expect1(OUT "ports: [443]\n      action: block\n", "E301", 7, 15, NULL);
#undef OUT
}
END_TEST

/* Three independent mistakes: all three are reported, in file order, each
 * at its own position, and nothing else. */
START_TEST(three_errors)
{
	struct run r;
	const char *text = "polc: 1\n"
	                   "name: three\n"
	                   "filesystem:\n"
	                   "  read: [/usr, etc]\n"
	                   "process:\n"
	                   "  allow: [read, opnat]\n"
	                   "network:\n"
	                   "  outbound:\n"
	                   "    - host: example.com\n"
	                   "      ports: [70000]\n";
	ck_assert_ptr_null(run_text(&r, text));
	ck_assert_uint_eq(diag_count(r.c.d), 3);
	const struct diag *d0 = diag_get(r.c.d, 0), *d1 = diag_get(r.c.d, 1),
	                  *d2 = diag_get(r.c.d, 2);
	ck_assert_str_eq(diag_code_name(d0->code), "E200");
	ck_assert_uint_eq(d0->pos.line, 4);
	ck_assert_uint_eq(d0->pos.col, 16);
	ck_assert_str_eq(diag_code_name(d1->code), "E300");
	ck_assert_uint_eq(d1->pos.line, 6);
	ck_assert_uint_eq(d1->pos.col, 17);
	ck_assert_str_eq(diag_code_name(d2->code), "E401");
	ck_assert_uint_eq(d2->pos.line, 10);
	ck_assert_uint_eq(d2->pos.col, 15);
	ck_assert_str_eq(d0->pos.file, "t.yaml");
	run_free(&r);
}
END_TEST

/* Errors reported in source order even when the walker meets them out of
 * order (E104 for the policy, then keys in schema order). */
START_TEST(errors_sorted)
{
	struct run r;
	ck_assert_ptr_null(run_text(&r, "network: {bind: [0]}\nname: \"bad name\"\nbogus: 1\n"));
	ck_assert_uint_eq(diag_errors(r.c.d), 4);
	uint32_t last = 0;
	for (size_t i = 0; i < diag_count(r.c.d); i++) {
		const struct diag *d = diag_get(r.c.d, i);
		ck_assert_uint_ge(d->pos.line, last);
		last = d->pos.line;
	}
	ck_assert_uint_eq(nerr(&r, "E104"), 1);
	ck_assert_uint_eq(nerr(&r, "E401"), 1);
	ck_assert_uint_eq(nerr(&r, "E107"), 1);
	ck_assert_uint_eq(nerr(&r, "E101"), 1);
	run_free(&r);
}
END_TEST

/* ---- extends ---------------------------------------------------------------------- */

START_TEST(extends_relative)
{
	struct run r;
	struct ir_policy *p = run_file(&r, DATA "ext/child.yaml");
	if (!p)
		dump_diags(&r);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "child");
	ck_assert_str_eq(p->description, "shared base"); /* inherited */
	ck_assert_uint_eq(p->nextends, 1);
	ck_assert_str_eq(p->extends[0].name, "base/common.yaml");
	ck_assert_str_eq(p->extends[0].resolved, DATA "ext/base/common.yaml");
	ck_assert_uint_eq(p->extends[0].pos.line, 3);
	ck_assert_uint_eq(p->extends[0].pos.col, 11);
	ck_assert_uint_eq(p->nsources, 2);
	ck_assert_str_eq(p->sources[0], DATA "ext/base/common.yaml");
	ck_assert_str_eq(p->sources[1], DATA "ext/child.yaml");
	/* base first, then the child's own */
	ck_assert_uint_eq(p->fs.nrules, 2);
	ck_assert_str_eq(p->fs.rules[0].path, "/usr");
	ck_assert_str_eq(p->fs.rules[0].pos.file, DATA "ext/base/common.yaml");
	ck_assert_str_eq(p->fs.rules[1].path, "/workspace");
	ck_assert_uint_eq(p->proc.nrules, 3);
	ck_assert_str_eq(p->proc.rules[2].syscall, "openat");
	/* scalar overridden, capabilities united */
	ck_assert_int_eq(p->proc.def.kind, IR_ACT_ERRNO);
	ck_assert_uint_eq(p->proc.def_pos.line, 7);
	ck_assert_uint_eq(p->proc.caps, (1ull << 0) | (1ull << 10));
	ck_assert(p->net.present);
	ck_assert_uint_eq(p->net.nbinds, 1);
	run_free(&r);
}
END_TEST

START_TEST(extends_cycle)
{
	struct run r;
	ck_assert_ptr_null(run_file(&r, DATA "ext/cycle-a.yaml"));
	ck_assert_uint_eq(nerr(&r, "E502"), 1);
	/* reported where cycle-b names cycle-a */
	const struct diag *d = find(&r, DIAG_ERROR, "E502", 4, 5);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->pos.file, DATA "ext/cycle-b.yaml");
	run_free(&r);
}
END_TEST

START_TEST(extends_not_found)
{
	struct run r;
	setenv("POLC_STDLIB", DATA "ext", 1);
	ck_assert_ptr_null(run_file(&r, DATA "ext/missing.yaml"));
	ck_assert_uint_eq(diag_errors(r.c.d), 2);
	ck_assert_ptr_nonnull(find(&r, DIAG_ERROR, "E501", 4, 5));
	ck_assert_ptr_nonnull(find(&r, DIAG_ERROR, "E501", 5, 5));
	run_free(&r);

	/* a base with errors fails the file that extends it; both reported */
	ck_assert_ptr_null(run_file(&r, DATA "ext/uses-bad-base.yaml"));
	ck_assert_uint_eq(diag_errors(r.c.d), 1);
	const struct diag *d = find(&r, DIAG_ERROR, "E300", 4, 11);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->pos.file, DATA "ext/bad-base.yaml");
	run_free(&r);

	/* a stdlib name resolves through $POLC_STDLIB */
	ck_assert_ptr_nonnull(run_text(&r, HDR "extends: [child]\n"));
	/* merged: the base's own extends first, then this file's */
	ck_assert_uint_eq(r.p->nextends, 2);
	ck_assert_str_eq(r.p->extends[0].resolved, DATA "ext/base/common.yaml");
	ck_assert_str_eq(r.p->extends[1].name, "child");
	ck_assert_str_eq(r.p->extends[1].resolved, DATA "ext/child.yaml");
	ck_assert_uint_eq(r.p->nsources, 3);
	run_free(&r);
	unsetenv("POLC_STDLIB");
}
END_TEST

/* ---- hostile input ------------------------------------------------------------------ */

START_TEST(hostile_yaml)
{
	expect1(HDR "a: &x [1]\n", "E100", 3, 4, "anchors");
	expect1(HDR "description: *x\n", "E100", 3, 14, "aliases");
	expect1(HDR "---\npolc: 1\n", "E100", 3, 1, "one YAML document");
	expect1(HDR "filesystem:\n  read: [/usr\n", "E100", 5, 1, NULL);
	expect1(HDR "\tfoo: 1\n", "E100", 3, 1, NULL);
	expect1(HDR "description: \"a\xff\"\n", "E100", 3, 16, "UTF-8");
	expect1(HDR "description: \"\x01\"\n", "E100", 3, 15, "control characters");

	/* billion laughs: refused at the first anchor */
	expect1("a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n", "E100", 1, 4,
	        NULL);

	/* deep nesting, block and flow */
	size_t n = 200000;
	char *deep = malloc(n + 16);
	memcpy(deep, "a: ", 3);
	memset(deep + 3, '[', n);
	deep[n + 3] = '\0';
	struct run r;
	ck_assert_ptr_null(run_text(&r, deep));
	ck_assert_uint_eq(diag_errors(r.c.d), 1);
	ck_assert_uint_eq(nerr(&r, "E100"), 1);
	run_free(&r);
	size_t off = 0;
	for (int i = 0; i < 100 && off + 300 < n; i++) {
		for (int j = 0; j < i * 2; j++)
			deep[off++] = ' ';
		memcpy(deep + off, "k:\n", 3);
		off += 3;
	}
	deep[off] = '\0';
	ck_assert_ptr_null(run_text(&r, deep));
	ck_assert_uint_eq(nerr(&r, "E100"), 1);
	run_free(&r);
	free(deep);

	/* binary garbage never crashes and always fails with a diagnostic */
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char buf[512];
	for (int round = 0; round < 500; round++) {
		size_t len = (size_t)(round % 511) + 1;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = (char)(seed >> 56);
		}
		ck_assert_ptr_null(run_bytes(&r, buf, len));
		ck_assert_uint_ge(diag_errors(r.c.d), 1);
		run_free(&r);
	}
	/* escapes in quoted scalars: control characters are refused in values,
	 * and never reach a message raw (keys are not checked, only shown) */
	expect1(HDR "description: \"red \\e[31m\"\n", "E102", 3, 14, "control character");
	expect1(HDR "filesystem:\n  read: [\"/a\\nb\"]\n", "E200", 4, 10, "control character");
	ck_assert_ptr_null(run_text(&r, HDR "\"k\\e[2J\": 1\n"));
	ck_assert_uint_eq(nerr(&r, "E101"), 1);
	const struct diag *d = diag_get(r.c.d, 0);
	ck_assert_ptr_null(strchr(d->msg, '\033'));
	ck_assert_ptr_nonnull(strstr(d->msg, "k\\x1b[2J"));
	run_free(&r);
	/* a huge value is quoted clipped, not whole */
	char *big = malloc(20000);
	int bl = snprintf(big, 20000, HDR "process:\n  allow: [");
	memset(big + bl, 'x', 10000);
	strcpy(big + bl + 10000, "]\n");
	ck_assert_ptr_null(run_text(&r, big));
	ck_assert_uint_eq(nerr(&r, "E300"), 1);
	ck_assert_uint_lt(strlen(diag_get(r.c.d, 0)->msg), 200);
	run_free(&r);
	free(big);

	/* NUL bytes inside the text */
	ck_assert_ptr_null(run_bytes(&r, "polc: 1\0name: x\n", 16));
	ck_assert_uint_eq(nerr(&r, "E100"), 1);
	run_free(&r);
}
END_TEST

/* ---- constants ----------------------------------------------------------------------- */

/* Every constant in consts.def, with the C library's value. */
static const struct {
	const char *name;
	uint64_t value;
} libc_consts[] = {
#define C(n) {#n, (uint64_t)(n)}
	C(AF_UNSPEC), C(AF_UNIX), C(AF_LOCAL), C(AF_INET), C(AF_AX25), C(AF_IPX),
	C(AF_APPLETALK), C(AF_NETROM), C(AF_BRIDGE), C(AF_ATMPVC), C(AF_X25), C(AF_INET6),
	C(AF_ROSE), C(AF_DECnet), C(AF_NETBEUI), C(AF_SECURITY), C(AF_KEY), C(AF_NETLINK),
	C(AF_ROUTE), C(AF_PACKET), C(AF_ASH), C(AF_ECONET), C(AF_ATMSVC), C(AF_RDS), C(AF_SNA),
	C(AF_IRDA), C(AF_PPPOX), C(AF_WANPIPE), C(AF_LLC), C(AF_IB), C(AF_MPLS), C(AF_CAN),
	C(AF_TIPC), C(AF_BLUETOOTH), C(AF_IUCV), C(AF_RXRPC), C(AF_ISDN), C(AF_PHONET),
	C(AF_IEEE802154), C(AF_CAIF), C(AF_ALG), C(AF_NFC), C(AF_VSOCK), C(AF_KCM),
	C(AF_QIPCRTR), C(AF_SMC), C(AF_XDP), C(AF_MCTP),
	C(SOCK_STREAM), C(SOCK_DGRAM), C(SOCK_RAW), C(SOCK_RDM), C(SOCK_SEQPACKET),
	C(SOCK_DCCP), C(SOCK_PACKET), C(SOCK_NONBLOCK), C(SOCK_CLOEXEC),
	C(IPPROTO_IP), C(IPPROTO_ICMP), C(IPPROTO_TCP), C(IPPROTO_UDP), C(IPPROTO_IPV6),
	C(IPPROTO_ICMPV6), C(IPPROTO_RAW), C(IPPROTO_SCTP), C(IPPROTO_UDPLITE),
	C(IPPROTO_MPTCP), C(NETLINK_ROUTE), C(NETLINK_SOCK_DIAG), C(NETLINK_AUDIT),
	C(NETLINK_KOBJECT_UEVENT), C(NETLINK_GENERIC),
	C(O_RDONLY), C(O_WRONLY), C(O_RDWR), C(O_ACCMODE), C(O_CREAT), C(O_EXCL), C(O_NOCTTY),
	C(O_TRUNC), C(O_APPEND), C(O_NONBLOCK), C(O_DSYNC), C(O_ASYNC), C(O_NOATIME),
	C(O_CLOEXEC), C(O_SYNC), C(O_PATH),
	C(CSIGNAL), C(CLONE_NEWTIME), C(CLONE_VM), C(CLONE_FS), C(CLONE_FILES),
	C(CLONE_SIGHAND), C(CLONE_PIDFD), C(CLONE_PTRACE), C(CLONE_VFORK), C(CLONE_PARENT),
	C(CLONE_THREAD), C(CLONE_NEWNS), C(CLONE_SYSVSEM), C(CLONE_SETTLS),
	C(CLONE_PARENT_SETTID), C(CLONE_CHILD_CLEARTID), C(CLONE_DETACHED), C(CLONE_UNTRACED),
	C(CLONE_CHILD_SETTID), C(CLONE_NEWCGROUP), C(CLONE_NEWUTS), C(CLONE_NEWIPC),
	C(CLONE_NEWUSER), C(CLONE_NEWPID), C(CLONE_NEWNET), C(CLONE_IO),
	C(PR_SET_PDEATHSIG), C(PR_GET_PDEATHSIG), C(PR_GET_DUMPABLE), C(PR_SET_DUMPABLE),
	C(PR_GET_KEEPCAPS), C(PR_SET_KEEPCAPS), C(PR_SET_NAME), C(PR_GET_NAME),
	C(PR_GET_SECCOMP), C(PR_SET_SECCOMP), C(PR_CAPBSET_READ), C(PR_CAPBSET_DROP),
	C(PR_GET_SECUREBITS), C(PR_SET_SECUREBITS), C(PR_SET_TIMERSLACK), C(PR_GET_TIMERSLACK),
	C(PR_SET_MM), C(PR_SET_CHILD_SUBREAPER), C(PR_GET_CHILD_SUBREAPER),
	C(PR_SET_NO_NEW_PRIVS), C(PR_GET_NO_NEW_PRIVS), C(PR_GET_TID_ADDRESS),
	C(PR_SET_THP_DISABLE), C(PR_GET_THP_DISABLE), C(PR_CAP_AMBIENT), C(PR_SET_PTRACER),
	C(PR_SET_VMA),
	C(PROT_NONE), C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC), C(MAP_SHARED), C(MAP_PRIVATE),
	C(MAP_FIXED), C(MAP_ANONYMOUS),
	C(F_DUPFD), C(F_GETFD), C(F_SETFD), C(F_GETFL), C(F_SETFL), C(F_DUPFD_CLOEXEC),
	C(TIOCSTI), C(TIOCLINUX), C(FIONREAD), C(FIONBIO), C(FIOCLEX),
#undef C
};

START_TEST(consts_match_headers)
{
	size_t n;
	const struct consts_entry *t = consts_table(&n);
	size_t nlibc = sizeof(libc_consts) / sizeof(libc_consts[0]);
	/* every table entry is checked here: adding one means adding it above */
	ck_assert_uint_eq(n, nlibc);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < nlibc && strcmp(libc_consts[j].name, t[i].name) != 0)
			j++;
		ck_assert_msg(j < nlibc, "%s is not checked against the headers", t[i].name);
		ck_assert_msg(t[i].value == libc_consts[j].value, "%s: table %#llx, libc %#llx",
		              t[i].name, (unsigned long long)t[i].value,
		              (unsigned long long)libc_consts[j].value);
		uint64_t v;
		ck_assert_int_eq(consts_lookup(t[i].name, &v), 0);
		ck_assert_uint_eq(v, libc_consts[j].value);
	}
	uint64_t v;
	ck_assert_int_eq(consts_lookup("af_inet", &v), -1); /* case-sensitive */
	ck_assert_int_eq(consts_lookup("O_DIRECTORY", &v), -1); /* differs per arch */
}
END_TEST

int main(int argc, char **argv)
{
	/* Data files are found relative to the source tree: run from it, or
	 * from the build folder's tests/ (BUILD/tests/test_yml). */
	if (access(DATA "full.yaml", R_OK) != 0 && argc > 0) {
		char self[PATH_MAX];
		snprintf(self, sizeof(self), "%s", argv[0]);
		char *dir = dirname(self);
		char up[PATH_MAX + 8];
		snprintf(up, sizeof(up), "%s/../..", dir);
		if (chdir(up) != 0 || access(DATA "full.yaml", R_OK) != 0) {
			fprintf(stderr, "test_yml: cannot find " DATA " (run from the source tree)\n");
			return 1;
		}
	}
	Suite *s = suite_create("yml");
	TCase *tc = tcase_create("yml");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, full_policy);
	tcase_add_test(tc, minimal_and_empty_sections);
	tcase_add_test(tc, values_and_constants);
	tcase_add_test(tc, errors_structure);
	tcase_add_test(tc, errors_filesystem);
	tcase_add_test(tc, errors_process);
	tcase_add_test(tc, errors_network);
	tcase_add_test(tc, three_errors);
	tcase_add_test(tc, errors_sorted);
	tcase_add_test(tc, extends_relative);
	tcase_add_test(tc, extends_cycle);
	tcase_add_test(tc, extends_not_found);
	tcase_add_test(tc, hostile_yaml);
	tcase_add_test(tc, consts_match_headers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
