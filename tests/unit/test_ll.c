/* test_ll.c — the Landlock backend (ll.c): minimum ABI, handled rights,
 * bind ports, scopes, flags, the PROCESS section, E202/E203 diagnostics,
 * and the access model behind `polc query fs`. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "backend.h"

#define SCOPES_ALL (LL_SCOPE_signal | LL_SCOPE_abstract_unix_socket)

struct fx {
	struct arena *a;
	struct ir_policy *p;
	struct diag_sink *d;
	struct buf out;
	struct art art;
	struct art_ll ll;
};

static void fx_new(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->a = arena_new();
	f->p = ir_policy_new(f->a);
	f->d = diag_sink_new(f->a);
	f->p->name = "ll-test";
}

static void fx_free(struct fx *f)
{
	buf_free(&f->out);
	arena_free(f->a);
}

static void rule(struct fx *f, const char *file, uint32_t line, const char *path, uint64_t acc)
{
	struct ir_fs_rule *r = ARENA_PUSH(f->a, f->p->fs.rules, f->p->fs.nrules, f->p->fs.caprules);
	r->path = path;
	r->access = acc;
	r->pos = src_pos(file, line, 3);
	f->p->fs.present = true;
}

static void bind_port(struct fx *f, uint16_t port)
{
	struct ir_bind *b = ARENA_PUSH(f->a, f->p->net.binds, f->p->net.nbinds, f->p->net.capbinds);
	b->port = port;
	b->pos = src_pos("t.yaml", 40, 3);
	f->p->net.present = true;
}

/* Compiles; on success parses the artifact and its LANDLOCK section. */
static int compile(struct fx *f)
{
	ir_finalize(f->p, f->d);
	if (polc_compile(f->p, f->d, &f->out) < 0)
		return -1;
	char err[256];
	ck_assert_msg(art_parse(&f->art, f->out.p, f->out.len, err, sizeof(err)) == 0, "%s", err);
	const struct art_section *s = art_find(&f->art, ART_SEC_LANDLOCK, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(art_ll_parse(&f->ll, s, err, sizeof(err)) == 0, "%s", err);
	return 0;
}

/* Index of the first diagnostic with this code and level, or -1. */
static int find_diag(struct fx *f, enum diag_code code, enum diag_level lvl)
{
	for (size_t i = 0; i < diag_count(f->d); i++) {
		const struct diag *g = diag_get(f->d, i);
		if (g->code == code && g->level == lvl)
			return (int)i;
	}
	return -1;
}

static uint64_t rights_known(uint32_t abi)
{
	uint64_t r = 0;
#define LL_FS(n, b, a, fl, doc) r |= (a) <= abi ? 1ull << (b) : 0;
#include "ll_rights.def"
	return r;
}

START_TEST(min_abi_derivation)
{
	struct {
		uint64_t access;
		bool net, scopes;
		uint32_t want;
	} t[] = {
		{IR_FS_READ, false, false, 3},          /* truncate must be deniable */
		{IR_FS_EXEC, false, false, 3},          {IR_FS_WRITE, false, false, 3},
		{LL_FS_ioctl_dev, false, false, 5},     {IR_FS_READ, true, false, 4},
		{IR_FS_READ, false, true, 6},           {IR_FS_READ, true, true, 6},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fx f;
		fx_new(&f);
		rule(&f, "t.yaml", 1, "/usr", t[i].access);
		if (t[i].net)
			bind_port(&f, 8080);
		f.p->proc.scopes = t[i].scopes ? SCOPES_ALL : 0;
		ck_assert_int_eq(compile(&f), 0);
		ck_assert_uint_eq(f.ll.min_abi, t[i].want);
		ck_assert_uint_eq(f.art.min_abi, t[i].want);
		ck_assert_uint_eq(f.ll.handled_fs, rights_known(t[i].want));
		fx_free(&f);
	}
	/* Nothing Landlock can do: ABI 0, nothing handled, no audit flags. */
	struct fx f;
	fx_new(&f);
	f.p->proc.scopes = 0;
	ck_assert_int_eq(compile(&f), 0);
	ck_assert_uint_eq(f.ll.min_abi, 0);
	ck_assert_uint_eq(f.ll.handled_fs | f.ll.handled_net | f.ll.scoped, 0);
	ck_assert_uint_eq(f.ll.restrict_flags, 0);
	fx_free(&f);
	/* Scopes alone (the default): ABI 6, no filesystem rights handled. */
	fx_new(&f);
	ck_assert_int_eq(compile(&f), 0);
	ck_assert_uint_eq(f.ll.min_abi, 6);
	ck_assert_uint_eq(f.ll.handled_fs, 0);
	ck_assert_uint_eq(f.ll.scoped, SCOPES_ALL);
	fx_free(&f);
}
END_TEST

START_TEST(explicit_min_abi)
{
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 1, "/usr", IR_FS_READ);
	f.p->fs.min_abi = 7;
	ck_assert_int_eq(compile(&f), 0);
	ck_assert_uint_eq(f.ll.min_abi, 7);
	ck_assert_uint_eq(f.ll.handled_fs, rights_known(7));
	fx_free(&f);

	/* Too low: E203 naming what needs more. */
	const struct {
		uint64_t access;
		bool net;
		uint64_t scopes;
		uint32_t min;
		const char *why;
	} t[] = {
		{IR_FS_READ, false, SCOPES_ALL, 5, "scopes: []"},
		{IR_FS_READ, true, 0, 3, "TCP bind/connect"},
		{LL_FS_ioctl_dev, false, 0, 4, "`ioctl_dev` needs Landlock ABI 5"},
		{IR_FS_READ, false, 0, 2, "truncate(2)"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fx_new(&f);
		rule(&f, "t.yaml", 1, "/usr", t[i].access);
		if (t[i].net)
			bind_port(&f, 80);
		f.p->proc.scopes = t[i].scopes;
		f.p->fs.min_abi = t[i].min;
		f.p->fs.min_abi_pos = src_pos("t.yaml", 9, 12);
		ck_assert_int_eq(compile(&f), -1);
		int k = find_diag(&f, DIAG_E203, DIAG_ERROR);
		ck_assert_int_ge(k, 0);
		const struct diag *g = diag_get(f.d, (size_t)k);
		ck_assert_uint_eq(g->pos.line, 9);
		ck_assert_msg(strstr(g->msg, t[i].why), "case %zu: %s", i, g->msg);
		fx_free(&f);
	}
}
END_TEST

START_TEST(network_and_flags)
{
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 1, "/usr", IR_FS_EXEC);
	bind_port(&f, 3000);
	bind_port(&f, 8080);
	bind_port(&f, 3000); /* once */
	ck_assert_int_eq(compile(&f), 0);
	ck_assert_uint_eq(f.ll.handled_net, LL_NET_bind_tcp | LL_NET_connect_tcp);
	ck_assert_uint_eq(f.ll.flags, ART_LL_F_PROXY_CONNECT);
	ck_assert_uint_eq(f.ll.restrict_flags, 3); /* log_same_exec_off | log_new_exec_on */
	ck_assert_uint_eq(f.ll.nnets, 2);
	struct art_ll_net n;
	uint16_t ports[2];
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(art_ll_next_net(&f.ll, &n), 1);
		ck_assert_uint_eq(n.access, LL_NET_bind_tcp);
		ck_assert_uint_ne(n.rule_id, 0);
		ports[i] = n.port;
	}
	ck_assert_int_eq(art_ll_next_net(&f.ll, &n), 0);
	ck_assert_uint_eq(ports[0], 3000);
	ck_assert_uint_eq(ports[1], 8080);
	fx_free(&f);

	/* Without a network section TCP is not handled, no proxy flag. */
	fx_new(&f);
	rule(&f, "t.yaml", 1, "/usr", IR_FS_EXEC);
	ck_assert_int_eq(compile(&f), 0);
	ck_assert_uint_eq(f.ll.handled_net, 0);
	ck_assert_uint_eq(f.ll.flags, 0);
	ck_assert_uint_eq(f.ll.nnets, 0);
	fx_free(&f);
}
END_TEST

START_TEST(paths_united)
{
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 1, "/srv", IR_FS_READ);
	rule(&f, "t.yaml", 2, "/tmp", IR_FS_WRITE);
	rule(&f, "u.yaml", 3, "/srv", LL_FS_execute);
	f.p->fs.optional = arena_alloc(f.a, sizeof(char *));
	f.p->fs.optional_pos = arena_alloc(f.a, sizeof(struct src_pos));
	f.p->fs.optional[0] = "/tmp";
	f.p->fs.noptional = f.p->fs.capoptional = 1;
	ck_assert_int_eq(compile(&f), 0);
	ck_assert_uint_eq(f.ll.npaths, 2);
	struct art_ll_path r;
	ck_assert_int_eq(art_ll_next_path(&f.ll, &r), 1);
	ck_assert_int_eq(r.len, 4);
	ck_assert(!memcmp(r.path, "/srv", 4));
	ck_assert_uint_eq(r.access, IR_FS_EXEC);
	ck_assert_uint_eq(r.flags, 0);
	ck_assert_uint_eq(r.rule_id, 1);
	ck_assert_int_eq(art_ll_next_path(&f.ll, &r), 1);
	ck_assert(!memcmp(r.path, "/tmp", 4));
	ck_assert_uint_eq(r.access, IR_FS_WRITE);
	ck_assert_uint_eq(r.flags, ART_LL_PATH_OPTIONAL);
	fx_free(&f);
}
END_TEST

START_TEST(e202_cannot_restrict)
{
	/* write /ws and read /ws/secret in one file: an attempt to make the
	 * inner path read-only, which Landlock cannot do. */
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 4, "/ws", IR_FS_WRITE);
	rule(&f, "t.yaml", 7, "/ws/secret", IR_FS_READ);
	ck_assert_int_eq(compile(&f), -1);
	int k = find_diag(&f, DIAG_E202, DIAG_ERROR);
	ck_assert_int_ge(k, 0);
	const struct diag *g = diag_get(f.d, (size_t)k);
	ck_assert_uint_eq(g->pos.line, 7);
	ck_assert_msg(strstr(g->msg, "cannot restrict /ws/secret to read") &&
	                      strstr(g->msg, "beneath /ws, which grants write (line 4)") &&
	                      strstr(g->msg, "only adds rights"),
	              "%s", g->msg);
	ck_assert_uint_eq(f.out.len, 0); /* nothing written */
	fx_free(&f);

	/* Not errors: inner rule adds a right; equal rights; across files;
	 * the outer path optional; siblings with a common prefix. */
	const struct {
		const char *outer, *inner, *inner_file;
		uint64_t oacc, iacc;
	} ok[] = {
		{"/usr", "/usr/bin", "t.yaml", IR_FS_READ, IR_FS_EXEC},
		{"/usr", "/usr/share", "t.yaml", IR_FS_READ, IR_FS_READ},
		{"/usr", "/usr/lib", "base.yaml", IR_FS_EXEC, IR_FS_READ},
		{"/ws", "/ws2", "t.yaml", IR_FS_WRITE, IR_FS_READ},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		fx_new(&f);
		rule(&f, "t.yaml", 1, ok[i].outer, ok[i].oacc);
		rule(&f, ok[i].inner_file, 2, ok[i].inner, ok[i].iacc);
		ck_assert_msg(compile(&f) == 0, "case %zu", i);
		ck_assert_int_eq(find_diag(&f, DIAG_E202, DIAG_ERROR), -1);
		fx_free(&f);
	}

	/* A rule with no right at all. */
	fx_new(&f);
	rule(&f, "t.yaml", 3, "/x", 0);
	ck_assert_int_eq(compile(&f), -1);
	k = find_diag(&f, DIAG_E202, DIAG_ERROR);
	ck_assert_int_ge(k, 0);
	ck_assert(strstr(diag_get(f.d, (size_t)k)->msg, "grants no access right"));
	fx_free(&f);
}
END_TEST

START_TEST(e202_proc_self_warns)
{
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 5, "/proc/self", IR_FS_READ);
	rule(&f, "t.yaml", 6, "/proc/selfish", IR_FS_READ); /* not /proc/self */
	ck_assert_int_eq(compile(&f), 0);
	ck_assert_uint_eq(diag_count(f.d), 1);
	const struct diag *g = diag_get(f.d, 0);
	ck_assert_int_eq(g->level, DIAG_WARNING);
	ck_assert_int_eq(g->code, DIAG_E202);
	ck_assert_uint_eq(g->pos.line, 5);
	ck_assert(strstr(g->msg, "grant read on /proc"));
	fx_free(&f);
}
END_TEST

static struct decision q(struct fx *f, const char *path, uint64_t acc)
{
	struct decision d;
	char err[256];
	ck_assert_msg(ll_query(&f->art, path, acc, &d, err, sizeof(err)) == 0, "%s", err);
	return d;
}

START_TEST(query_model)
{
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 1, "/usr", IR_FS_EXEC);
	rule(&f, "t.yaml", 2, "/ws", IR_FS_WRITE);
	rule(&f, "t.yaml", 3, "/dev/null", LL_FS_read_file | LL_FS_write_file);
	rule(&f, "u.yaml", 4, "/ws/deep/er", LL_FS_make_char);
	ck_assert_int_eq(compile(&f), 0);
	struct decision d = q(&f, "/usr/bin/env", LL_FS_execute);
	ck_assert(d.allowed);
	ck_assert_uint_eq(d.rule_id, 1);
	ck_assert_str_eq(d.text, "allow");
	ck_assert(!q(&f, "/usrx/bin", LL_FS_read_file).allowed);
	ck_assert(!q(&f, "/usr/bin/env", LL_FS_write_file).allowed);
	ck_assert_str_eq(q(&f, "/usr/bin/env", LL_FS_write_file | LL_FS_execute).text,
	                 "deny (write_file)");
	ck_assert(q(&f, "/dev/null", LL_FS_write_file).allowed);
	ck_assert(!q(&f, "/dev/zero", LL_FS_read_file).allowed);
	/* Creating and removing are checked on the directory that holds the
	 * entry: a rule on /ws grants them for /ws/x, not for /ws itself. */
	ck_assert(q(&f, "/ws/x", LL_FS_make_reg).allowed);
	ck_assert(q(&f, "/ws/x", LL_FS_remove_file).allowed);
	ck_assert(!q(&f, "/ws", LL_FS_remove_dir).allowed);
	ck_assert(!q(&f, "/ws", LL_FS_make_dir).allowed);
	ck_assert(q(&f, "/ws", LL_FS_read_dir).allowed);
	ck_assert(!q(&f, "/ws/deep/er", LL_FS_make_char).allowed);
	d = q(&f, "/ws/deep/er/c", LL_FS_make_char);
	ck_assert(d.allowed);
	ck_assert_uint_eq(d.rule_id, 4);
	/* Lexical normalisation: no escape by "..", "." or "//". */
	ck_assert(!q(&f, "/ws/../etc/passwd", LL_FS_write_file).allowed);
	ck_assert(q(&f, "//ws/./a/../b", LL_FS_write_file).allowed);
	ck_assert(!q(&f, "/ws/../../..", LL_FS_make_reg).allowed);
	/* Rights the ruleset does not handle are not restricted. */
	fx_free(&f);
	fx_new(&f);
	f.p->proc.scopes = 0;
	bind_port(&f, 1); /* a Landlock section without fs rules */
	ck_assert_int_eq(compile(&f), 0);
	d = q(&f, "/etc/shadow", LL_FS_write_file);
	ck_assert(d.allowed);
	ck_assert_str_eq(d.text, "allow (not restricted by the policy)");
	struct decision dd;
	char err[256];
	ck_assert_int_eq(ll_query(&f.art, "relative", LL_FS_read_file, &dd, err, sizeof(err)), -1);
	fx_free(&f);
}
END_TEST

START_TEST(process_section)
{
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 1, "/usr", IR_FS_EXEC);
	ck_assert_int_eq(compile(&f), 0);
	ck_assert_ptr_null(art_find(&f.art, ART_SEC_PROCESS, 0)); /* keeps none */
	fx_free(&f);

	fx_new(&f);
	rule(&f, "t.yaml", 1, "/usr", IR_FS_EXEC);
	f.p->proc.caps = 1ull << 10 | 1ull << 40;
	ck_assert_int_eq(compile(&f), 0);
	const struct art_section *s = art_find(&f.art, ART_SEC_PROCESS, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(art_section_name(s->type), "process");
	struct art_proc pr;
	char err[256];
	ck_assert_msg(art_proc_parse(&pr, s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(pr.caps_keep, 1ull << 10 | 1ull << 40);
	json_t *j = NULL;
	ck_assert_int_eq(ll_proc_inspect(s, NULL, NULL, &j, err, sizeof(err)), 0);
	char *txt = json_dumps(j, JSON_COMPACT);
	ck_assert_str_eq(txt, "{\"capabilities\":[\"CAP_NET_BIND_SERVICE\",\"CAP_CHECKPOINT_RESTORE\"]}");
	free(txt);
	json_decref(j);

	/* Hostile payloads: wrong size, version, flags. */
	uint8_t bad[24] = {1, 0, 0, 0};
	struct art_section t = {ART_SEC_PROCESS, 0, 0, 16, {0}, bad};
	ck_assert_int_eq(art_proc_parse(&pr, &t, err, sizeof(err)), 0);
	t.length = 15;
	ck_assert_int_eq(art_proc_parse(&pr, &t, err, sizeof(err)), -1);
	t.length = 24;
	ck_assert_int_eq(art_proc_parse(&pr, &t, err, sizeof(err)), -1);
	t.length = 16;
	bad[0] = 2;
	ck_assert_int_eq(art_proc_parse(&pr, &t, err, sizeof(err)), -1);
	bad[0] = 1;
	bad[4] = 1;
	ck_assert_int_eq(art_proc_parse(&pr, &t, err, sizeof(err)), -1);
	fx_free(&f);
}
END_TEST

START_TEST(unknown_ll_flags_refused)
{
	struct fx f;
	fx_new(&f);
	bind_port(&f, 22);
	ck_assert_int_eq(compile(&f), 0);
	const struct art_section *s = art_find(&f.art, ART_SEC_LANDLOCK, 0);
	uint8_t *copy = malloc(s->length);
	memcpy(copy, s->data, s->length);
	struct art_section t = *s;
	t.data = copy;
	char err[256];
	struct art_ll ll;
	copy[44] |= 0x2; /* an ll_flags bit this reader does not know */
	ck_assert_int_eq(art_ll_parse(&ll, &t, err, sizeof(err)), -1);
	ck_assert(strstr(err, "unknown flags"));
	free(copy);
	fx_free(&f);
}
END_TEST

START_TEST(inspect_names)
{
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 1, "/usr", IR_FS_EXEC);
	bind_port(&f, 3000);
	ck_assert_int_eq(compile(&f), 0);
	json_t *j = NULL;
	char err[256];
	const struct art_section *s = art_find(&f.art, ART_SEC_LANDLOCK, 0);
	struct meta m;
	ck_assert_int_eq(meta_parse(&m, &f.art, err, sizeof(err)), 0);
	ck_assert_int_eq(ll_inspect(s, &m, NULL, &j, err, sizeof(err)), 0);
	ck_assert_str_eq(json_string_value(json_object_get(j, "handled_net_names")),
	                 "bind_tcp,connect_tcp");
	ck_assert_str_eq(json_string_value(json_object_get(j, "scoped_names")),
	                 "abstract_unix_socket,signal");
	ck_assert(json_is_true(json_object_get(j, "proxy_connect")));
	json_t *net = json_array_get(json_object_get(j, "net"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(net, "port")), 3000);
	ck_assert_str_eq(json_string_value(json_object_get(net, "access")), "bind_tcp");
	json_decref(j);
	meta_free(&m);
	fx_free(&f);
}
END_TEST

START_TEST(parse_signed_skips_only_hashes)
{
	struct fx f;
	fx_new(&f);
	rule(&f, "t.yaml", 1, "/usr", IR_FS_EXEC);
	ck_assert_int_eq(compile(&f), 0);
	char err[256];
	struct art a;
	uint8_t *b = malloc(f.out.len);
	memcpy(b, f.out.p, f.out.len);
	b[ART_HEADER_SIZE + 16] ^= 1; /* section 0's stored SHA-256 */
	ck_assert_int_eq(art_parse(&a, b, f.out.len, err, sizeof(err)), -1);
	ck_assert(strstr(err, "hash mismatch"));
	ck_assert_msg(art_parse_signed(&a, b, f.out.len, err, sizeof(err)) == 0, "%s", err);
	b[ART_HEADER_SIZE + 16] ^= 1;
	b[8] = 2; /* version: every other check still applies */
	ck_assert_int_eq(art_parse_signed(&a, b, f.out.len, err, sizeof(err)), -1);
	b[8] = 1;
	ck_assert_int_eq(art_parse_signed(&a, b, f.out.len - 8, err, sizeof(err)), -1);
	free(b);
	fx_free(&f);
}
END_TEST

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	Suite *s = suite_create("ll");
	TCase *tc = tcase_create("ll");
	tcase_add_test(tc, min_abi_derivation);
	tcase_add_test(tc, explicit_min_abi);
	tcase_add_test(tc, network_and_flags);
	tcase_add_test(tc, paths_united);
	tcase_add_test(tc, e202_cannot_restrict);
	tcase_add_test(tc, e202_proc_self_warns);
	tcase_add_test(tc, query_model);
	tcase_add_test(tc, process_section);
	tcase_add_test(tc, unknown_ll_flags_refused);
	tcase_add_test(tc, inspect_names);
	tcase_add_test(tc, parse_signed_skips_only_hashes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
