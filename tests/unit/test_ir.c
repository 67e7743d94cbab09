/* test_ir.c — IR helpers, merge/finalise, reference process semantics,
 * diagnostics format, and determinism of the artifact container. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "backend.h"

static struct src_pos P(uint32_t l) { return src_pos("t.yaml", l, 3); }

START_TEST(action_parse)
{
	struct ir_action a;
	ck_assert_int_eq(ir_action_parse("allow", &a), 0);
	ck_assert_int_eq(a.kind, IR_ACT_ALLOW);
	ck_assert_int_eq(ir_action_parse("errno EACCES", &a), 0);
	ck_assert_int_eq(a.kind, IR_ACT_ERRNO);
	ck_assert_int_eq(a.errno_val, EACCES);
	ck_assert_int_eq(ir_action_parse("errno 38", &a), 0);
	ck_assert_int_eq(a.errno_val, 38);
	ck_assert_int_eq(ir_action_parse("errno 4096", &a), -1);
	ck_assert_int_eq(ir_action_parse("errno ENOTANERRNO", &a), -1);
	ck_assert_int_eq(ir_action_parse("kill", &a), 0);
	ck_assert_int_eq(a.kind, IR_ACT_KILL);
	ck_assert_int_eq(ir_action_parse("Allow", &a), -1);
	char buf[64];
	a.kind = IR_ACT_ERRNO;
	a.errno_val = EPERM;
	ir_action_str(buf, sizeof(buf), a);
	ck_assert_str_eq(buf, "errno EPERM");
}
END_TEST

START_TEST(action_rank)
{
	struct ir_action allow = {IR_ACT_ALLOW, 0}, eperm = {IR_ACT_ERRNO, EPERM},
	                 kill = {IR_ACT_KILL, 0}, logx = {IR_ACT_LOG, 0};
	ck_assert_int_gt(ir_action_rank(kill), ir_action_rank(eperm));
	ck_assert_int_gt(ir_action_rank(eperm), ir_action_rank(logx));
	ck_assert_int_gt(ir_action_rank(logx), ir_action_rank(allow));
}
END_TEST

START_TEST(names)
{
	ck_assert_int_eq(ir_cap_parse("CAP_NET_BIND_SERVICE"), 10);
	ck_assert_int_eq(ir_cap_parse("sys_admin"), 21);
	ck_assert_int_eq(ir_cap_parse("CAP_NOPE"), -1);
	ck_assert_str_eq(ir_cap_name(40), "CHECKPOINT_RESTORE");
	ck_assert_uint_eq(ir_fs_right_parse("make_reg"), LL_FS_make_reg);
	ck_assert_uint_eq(ir_fs_right_parse("read"), 0);
	ck_assert_int_eq(ir_method_parse("PATCH"), IR_HTTP_BIT_PATCH);
	ck_assert_int_eq(ir_method_parse("get"), -1);
	char buf[256];
	ir_fs_access_str(buf, sizeof(buf), IR_FS_WRITE);
	ck_assert_str_eq(buf, "write");
	ir_fs_access_str(buf, sizeof(buf), LL_FS_read_file | LL_FS_write_file);
	ck_assert_str_eq(buf, "write_file,read_file");
}
END_TEST

static struct ir_sys_rule *add_sys(struct ir_policy *p, const char *name, enum ir_sys_origin o,
                                   struct ir_action act, uint32_t line)
{
	struct ir_sys_rule *r = ARENA_PUSH(p->a, p->proc.rules, p->proc.nrules, p->proc.caprules);
	r->syscall = name;
	r->origin = o;
	r->action = act;
	r->pos = P(line);
	return r;
}

static void add_cond(struct arena *a, struct ir_sys_rule *r, uint8_t idx, enum ir_op op,
                     uint64_t v)
{
	r->conds = arena_grow(a, r->conds, r->nconds, r->nconds + 1, sizeof(*r->conds));
	struct ir_arg_cond *c = &r->conds[r->nconds++];
	c->index = idx;
	c->op = op;
	c->values = arena_alloc(a, sizeof(uint64_t));
	c->values[0] = v;
	c->nvalues = 1;
}

START_TEST(proc_decide)
{
	struct arena *a = arena_new();
	struct ir_policy *p = ir_policy_new(a);
	struct diag_sink *d = diag_sink_new(a);
	p->proc.present = true;
	struct ir_action allow = {IR_ACT_ALLOW, 0}, kill = {IR_ACT_KILL, 0};
	add_sys(p, "read", IR_SYS_ALLOW_LIST, allow, 1);
	add_sys(p, "ptrace", IR_SYS_DENY_LIST, allow, 2);
	add_sys(p, "read", IR_SYS_DENY_LIST, allow, 3); /* deny beats allow */
	struct ir_sys_rule *s = add_sys(p, "socket", IR_SYS_RULE, allow, 4);
	add_cond(a, s, 0, IR_OP_NE, 40 /* AF_VSOCK */);
	struct ir_sys_rule *k = add_sys(p, "personality", IR_SYS_RULE, kill, 5);
	add_cond(a, k, 0, IR_OP_EQ, 0xffffffff);
	ir_finalize(p, d);
	ck_assert_uint_eq(diag_errors(d), 0);

	uint64_t args[6] = {0};
	uint32_t id;
	struct ir_action r = ir_proc_decide(p, "ptrace", args, &id);
	ck_assert_int_eq(r.kind, IR_ACT_ERRNO);
	ck_assert_int_eq(r.errno_val, EPERM);
	ck_assert_uint_eq(id, 2);
	r = ir_proc_decide(p, "read", args, &id);
	ck_assert_int_eq(r.kind, IR_ACT_ERRNO);
	ck_assert_uint_eq(id, 3);
	r = ir_proc_decide(p, "write", args, &id);
	ck_assert_int_eq(r.kind, IR_ACT_ERRNO);
	ck_assert_uint_eq(id, 0);

	args[0] = 2; /* AF_INET */
	r = ir_proc_decide(p, "socket", args, &id);
	ck_assert_int_eq(r.kind, IR_ACT_ALLOW);
	args[0] = 40;
	r = ir_proc_decide(p, "socket", args, &id);
	ck_assert_int_eq(r.kind, IR_ACT_ERRNO);
	/* The kernel reads socket's domain as an int: junk in the upper word
	 * must not turn AF_VSOCK into "not AF_VSOCK". */
	args[0] = 0x100000028ull;
	r = ir_proc_decide(p, "socket", args, &id);
	ck_assert_int_eq(r.kind, IR_ACT_ERRNO);
	args[0] = 0xdeadbeefffffffffull;
	r = ir_proc_decide(p, "personality", args, &id);
	ck_assert_int_eq(r.kind, IR_ACT_KILL);
	arena_free(a);
}
END_TEST

START_TEST(merge_rules)
{
	struct arena *a = arena_new();
	struct ir_policy *base = ir_policy_new(a), *child = ir_policy_new(a);
	base->name = "base";
	base->proc.def = (struct ir_action){IR_ACT_KILL, 0};
	base->proc.def_set = true;
	base->proc.caps = 1ull << 10;
	struct ir_fs_rule *f = ARENA_PUSH(a, base->fs.rules, base->fs.nrules, base->fs.caprules);
	f->path = "/usr";
	f->access = IR_FS_EXEC;
	base->fs.present = true;
	child->name = "child";
	child->proc.caps = 1ull << 13;
	f = ARENA_PUSH(a, child->fs.rules, child->fs.nrules, child->fs.caprules);
	f->path = "/work";
	f->access = IR_FS_WRITE;

	struct ir_policy *m = ir_policy_new(a);
	ir_merge(m, base);
	ir_merge(m, child);
	ck_assert_str_eq(m->name, "child");
	ck_assert_int_eq(m->proc.def.kind, IR_ACT_KILL); /* not overridden: child left it unset */
	ck_assert_uint_eq(m->proc.caps, (1ull << 10) | (1ull << 13));
	ck_assert_uint_eq(m->fs.nrules, 2);
	ck_assert_str_eq(m->fs.rules[0].path, "/usr");
	ck_assert_str_eq(m->fs.rules[1].path, "/work");
	ck_assert(m->fs.present);
	ir_finalize(m, diag_sink_new(a));
	ck_assert_uint_eq(m->nrules, 2);
	ck_assert_uint_eq(m->fs.rules[1].id, 2);
	ck_assert_str_eq(ir_rule(m, 2)->text, "write /work");
	arena_free(a);
}
END_TEST

START_TEST(diag_format)
{
	struct arena *a = arena_new();
	struct diag_sink *d = diag_sink_new(a);
	const char *src = "polc: 1\nname: x\n\tfilesystem: {}\n";
	diag_source(d, "p.yaml", src, strlen(src));
	diag_error(d, src_pos("p.yaml", 2, 7), E107, "bad name '%s'", "x");
	diag_warn(d, src_pos("p.yaml", 3, 2), E101, "unknown key");
	diag_error(d, src_pos("p.yaml", 9, 1), E101, "past the end");
	ck_assert_uint_eq(diag_errors(d), 2);
	ck_assert_uint_eq(diag_count(d), 3);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	diag_print(d, f, false);
	fclose(f);
	ck_assert_str_eq(out, "p.yaml:2:7: error[E107]: bad name 'x'\n"
	                      "    2 | name: x\n"
	                      "      |       ^\n"
	                      "p.yaml:3:2: warning[E101]: unknown key\n"
	                      "    3 | \tfilesystem: {}\n"
	                      "      | \t^\n"
	                      "p.yaml:9:1: error[E101]: past the end\n");
	free(out);
	arena_free(a);
}
END_TEST

/* Invariant 1: the same IR gives a byte-identical artifact. */
START_TEST(deterministic)
{
	struct buf out[2] = {{0}, {0}};
	for (int i = 0; i < 2; i++) {
		struct arena *a = arena_new();
		struct ir_policy *p = ir_policy_new(a);
		struct diag_sink *d = diag_sink_new(a);
		p->name = "det";
		p->fs.present = true;
		const char *paths[] = {"/usr", "/etc/ssl", "/tmp"};
		for (int j = 0; j < 3; j++) {
			struct ir_fs_rule *f = ARENA_PUSH(a, p->fs.rules, p->fs.nrules, p->fs.caprules);
			f->path = paths[j];
			f->access = j == 2 ? IR_FS_WRITE : IR_FS_READ;
			f->pos = P((uint32_t)j + 1);
		}
		/* Allocate some garbage so pointers differ between the runs. */
		for (int j = 0; j < i * 100; j++)
			arena_alloc(a, 64);
		ir_finalize(p, d);
		ck_assert_int_eq(polc_compile(p, d, &out[i]), 0);
		arena_free(a);
	}
	ck_assert_uint_eq(out[0].len, out[1].len);
	ck_assert_int_eq(memcmp(out[0].p, out[1].p, out[0].len), 0);
	struct art art;
	char err[256];
	ck_assert_msg(art_parse(&art, out[0].p, out[0].len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(art_find(&art, ART_SEC_LANDLOCK, 0));
	ck_assert_ptr_nonnull(art_find(&art, ART_SEC_NETTABLE, 0));
	buf_free(&out[0]);
	buf_free(&out[1]);
}
END_TEST

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	Suite *s = suite_create("ir");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, action_parse);
	tcase_add_test(tc, action_rank);
	tcase_add_test(tc, names);
	tcase_add_test(tc, proc_decide);
	tcase_add_test(tc, merge_rules);
	tcase_add_test(tc, diag_format);
	tcase_add_test(tc, deterministic);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
