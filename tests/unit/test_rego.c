/* test_rego.c — the Rego front end: parsing (every syntax error reported,
 * positions, layout rules), OPA's semantics in the evaluator (undefined vs
 * false, default, else, conflicts, every, in, not, functions, with),
 * builtins (glob delimiters, CIDRs), the subset's E504 refusals, lowering of
 * package polc.network to network rows, and the table-vs-evaluator check
 * catching a wrong row. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "rego.h"
#include "rego_int.h"

/* ---- helpers ------------------------------------------------------------------- */

struct env {
	struct arena *a;
	struct diag_sink *d;
	struct rego *r;
};

static void env_init(struct env *e)
{
	e->a = arena_new();
	e->d = diag_sink_new(e->a);
	e->r = rego_new(e->a, e->d);
}

/* Parses and compiles one module; returns 0 or -1. */
static int compile(struct env *e, const char *text)
{
	env_init(e);
	struct rg_module *m = rego_parse_module(e->a, e->d, "t.rego", text, strlen(text));
	if (!m)
		return -1;
	rego_add_module(e->r, m);
	return rego_compile(e->r, NULL);
}

static bool has_diag(struct env *e, enum diag_code code, uint32_t line, const char *needle)
{
	for (size_t i = 0; i < diag_count(e->d); i++) {
		const struct diag *g = diag_get(e->d, i);
		if (g->code == code && (!line || g->pos.line == line) &&
		    (!needle || strstr(g->msg, needle)))
			return true;
	}
	return false;
}

/* Value of data.<path> as JSON text, "undefined", or "error: code". */
static const char *eval_json(struct env *e, const char *path, const char *input_json)
{
	const struct rv *in = NULL;
	char err[128];
	if (input_json)
		in = rv_from_json_text(e->a, input_json, strlen(input_json), err, sizeof(err));
	const struct rv *out = NULL;
	struct rego_err re;
	if (rego_eval_path(e->r, path, in, &out, &re) < 0)
		return arena_printf(e->a, "error: %s", re.code);
	return out ? rv_json(e->a, out) : "undefined";
}

static const char *value_of(const char *module, const char *path, const char *input)
{
	static struct env e; /* freed by the next call: tests compare at once */
	if (e.a)
		arena_free(e.a);
	if (compile(&e, module) < 0)
		return "compile error";
	return eval_json(&e, path, input);
}

/* ---- parsing ------------------------------------------------------------------- */

START_TEST(parse_reports_every_error)
{
	struct env e;
	const char *src = "package t\n"
	                  "p := [1, 2\n"       /* 2: unterminated array */
	                  "q if { 1 == }\n"    /* 3: missing operand */
	                  "r := 3\n"           /* fine */
	                  "s if { x := \"a }\n" /* 5: unterminated string */
	                  "t := {\"a\": }\n";  /* 6: missing value */
	ck_assert_int_eq(compile(&e, src), -1);
	ck_assert_uint_ge(diag_errors(e.d), 4);
	ck_assert(has_diag(&e, DIAG_E100, 3, NULL));
	ck_assert(has_diag(&e, DIAG_E100, 5, "not terminated"));
	ck_assert(has_diag(&e, DIAG_E100, 6, NULL));
	arena_free(e.a);
}
END_TEST

START_TEST(parse_positions_and_layout)
{
	struct env e;
	/* newlines separate literals; operators and brackets continue lines;
	 * `else` may start a line; a call needs its `(` right after the name */
	const char *src = "package t\n\n"
	                  "p := x if {\n"
	                  "\tx := 1 +\n"
	                  "\t\t2\n"
	                  "\ty := [\n"
	                  "\t\t1,\n"
	                  "\t]\n"
	                  "\tcount(y) == 1\n"
	                  "} else := 0\n";
	ck_assert_int_eq(compile(&e, src), 0);
	ck_assert_str_eq(eval_json(&e, "t.p", NULL), "3");
	arena_free(e.a);
	ck_assert_int_eq(compile(&e, "package t\np := 1\nq := p p\n"), -1);
	ck_assert(has_diag(&e, DIAG_E100, 3, NULL));
	const struct diag *g = diag_get(e.d, 0);
	ck_assert_uint_eq(g->pos.col, 8);
	arena_free(e.a);
	ck_assert_int_eq(compile(&e, "package t\np if {\n\ttrue\n}\n"), 0);
	arena_free(e.a);
	/* Rego v0 bodies need `if` in v1 */
	ck_assert_int_eq(compile(&e, "package t\np { true }\n"), -1);
	ck_assert(has_diag(&e, DIAG_E100, 2, "`if` keyword is required"));
	arena_free(e.a);
	ck_assert_int_eq(compile(&e, "p := 1\n"), -1);
	ck_assert(has_diag(&e, DIAG_E100, 1, "package"));
	arena_free(e.a);
}
END_TEST

START_TEST(parse_hostile_input)
{
	struct env e;
	char deep[2000];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	char *src = malloc(sizeof(deep) + 32);
	snprintf(src, sizeof(deep) + 32, "package t\np := %s", deep);
	ck_assert_int_eq(compile(&e, src), -1);
	ck_assert(has_diag(&e, DIAG_E100, 2, "nested deeper"));
	arena_free(e.a);
	free(src);
	const char nul[] = "package t\np := \"a\0b\"\n";
	env_init(&e);
	ck_assert_ptr_null(rego_parse_module(e.a, e.d, "t.rego", nul, sizeof(nul) - 1));
	arena_free(e.a);
	ck_assert_int_eq(compile(&e, "package t\np := 12345678901234567890\n"), -1);
	ck_assert(has_diag(&e, DIAG_E504, 2, "64-bit floats"));
	arena_free(e.a);
}
END_TEST

/* ---- semantics ------------------------------------------------------------------ */

START_TEST(undefined_is_not_false)
{
	const char *m = "package t\n"
	                "p if { input.x == 1 }\n"
	                "q if { not p }\n"
	                "default r := false\n"
	                "r if { input.x == 1 }\n"
	                "s := input.missing\n";
	ck_assert_str_eq(value_of(m, "t.p", "{\"x\": 2}"), "undefined");
	ck_assert_str_eq(value_of(m, "t.q", "{\"x\": 2}"), "true");
	ck_assert_str_eq(value_of(m, "t.r", "{\"x\": 2}"), "false");
	ck_assert_str_eq(value_of(m, "t.r", "{\"x\": 1}"), "true");
	ck_assert_str_eq(value_of(m, "t.s", "{}"), "undefined");
	/* a false value is defined: `not` of it holds, the literal fails */
	ck_assert_str_eq(value_of("package t\nf := false\np if { not f }\nq if { f }\n", "t", NULL),
	                 "{\"f\":false,\"p\":true}");
}
END_TEST

START_TEST(conflicts_and_else)
{
	ck_assert_str_eq(value_of("package t\np := 1\np := 2\n", "t.p", NULL),
	                 "error: eval_conflict_error");
	ck_assert_str_eq(value_of("package t\np := 1\np := 1\n", "t.p", NULL), "1");
	ck_assert_str_eq(value_of("package t\nf(x) := 1\nf(x) := 2 if { x > 0 }\np := f(1)\n",
	                          "t.p", NULL),
	                 "error: eval_conflict_error");
	const char *m = "package t\n"
	                "grade(x) := \"a\" if { x >= 90 } else := \"b\" if { x >= 80 } else := \"c\"\n"
	                "r := [grade(95), grade(85), grade(10)]\n";
	ck_assert_str_eq(value_of(m, "t.r", NULL), "[\"a\",\"b\",\"c\"]");
	ck_assert_str_eq(value_of("package t\np[k] := v if { some k, v in {\"a\": 1} }\n"
	                          "p[k] := 2 if { k := \"a\" }\n",
	                          "t.p", NULL),
	                 "error: eval_conflict_error");
}
END_TEST

START_TEST(every_in_some)
{
	const char *m = "package t\n"
	                "all_pos if { every x in input.xs { x > 0 } }\n"
	                "one if { some x in input.xs; x == 2 }\n"
	                "kv if { some k, v in {\"a\": 1}; k == \"a\"; v == 1 }\n"
	                "str := 1 in \"abc\"\n"
	                "num := 1 in 1\n";
	ck_assert_str_eq(value_of(m, "t.all_pos", "{\"xs\": [1, 2]}"), "true");
	ck_assert_str_eq(value_of(m, "t.all_pos", "{\"xs\": [1, -2]}"), "undefined");
	ck_assert_str_eq(value_of(m, "t.all_pos", "{\"xs\": []}"), "true");
	/* OPA assigns the domain first: undefined fails, a non-collection has no
	 * elements, so every holds vacuously */
	ck_assert_str_eq(value_of(m, "t.all_pos", "{}"), "undefined");
	ck_assert_str_eq(value_of(m, "t.all_pos", "{\"xs\": 7}"), "true");
	ck_assert_str_eq(value_of(m, "t.one", "{\"xs\": [1, 2]}"), "true");
	ck_assert_str_eq(value_of(m, "t.kv", NULL), "true");
	ck_assert_str_eq(value_of(m, "t.str", NULL), "false");
	ck_assert_str_eq(value_of(m, "t.num", NULL), "false");
}
END_TEST

START_TEST(sets_comprehensions_with)
{
	const char *m = "package t\n"
	                "deny contains msg if { some h in input.hosts; not endswith(h, \".ok\"); "
	                "msg := sprintf(\"%s is not ok\", [h]) }\n"
	                "n := count(deny)\n"
	                "sq := [y | some x in [1, 2, 3]; y := x * x]\n"
	                "w := x if { x := n with input.hosts as [\"a.ok\"] }\n";
	ck_assert_str_eq(value_of(m, "t.deny", "{\"hosts\": [\"a.ok\", \"b\", \"c\"]}"),
	                 "[\"b is not ok\",\"c is not ok\"]");
	ck_assert_str_eq(value_of(m, "t.sq", NULL), "[1,4,9]");
	ck_assert_str_eq(value_of(m, "t.w", "{\"hosts\": [\"x\"]}"), "0");
}
END_TEST

START_TEST(unsafe_and_recursion)
{
	struct env e;
	ck_assert_int_eq(compile(&e, "package t\np if { x > 1 }\n"), -1);
	ck_assert(has_diag(&e, DIAG_E100, 2, "var x is unsafe"));
	arena_free(e.a);
	ck_assert_int_eq(compile(&e, "package t\np if { q }\nq if { p }\n"), -1);
	ck_assert(has_diag(&e, DIAG_E100, 0, "recursive"));
	arena_free(e.a);
	/* literals run once their variables are bound, whatever the order */
	ck_assert_str_eq(value_of("package t\np := y if { y := x + 1; x := 2 }\n", "t.p", NULL),
	                 "3");
}
END_TEST

START_TEST(builtins)
{
	const char *m = "package t\n"
	                "g1 := glob.match(\"*.github.com\", [], \"api.github.com\")\n"
	                "g2 := glob.match(\"*.github.com\", [], \"a.b.github.com\")\n"
	                "g3 := glob.match(\"**.github.com\", [\".\"], \"a.b.github.com\")\n"
	                "g4 := glob.match(\"/a/*\", [\"/\"], \"/a/b/c\")\n"
	                "c1 := net.cidr_contains(\"10.0.0.0/8\", \"10.2.3.4\")\n"
	                "c2 := net.cidr_contains(\"10.0.0.0/8\", \"11.0.0.1\")\n"
	                "c3 := net.cidr_contains(\"2001:db8::/32\", \"2001:db8:1::/48\")\n"
	                "r := regex.match(\"^[a-z]+\\\\d$\", \"abc1\")\n"
	                "s := sprintf(\"%s:%d %v\", [\"h\", 443, [1]])\n"
	                "o := object.get({\"a\": {\"b\": 1}}, [\"a\", \"b\"], 0)\n"
	                "p := strings.any_prefix_match([\"/x/y\"], {\"/z\", \"/x\"})\n"
	                "u := [upper(\"get\"), lower(\"GeT\"), concat(\",\", [\"a\", \"b\"])]\n";
	ck_assert_str_eq(value_of(m, "t",
	                          NULL),
	                 "{\"c1\":true,\"c2\":false,\"c3\":true,\"g1\":true,\"g2\":false,\"g3\":true,"
	                 "\"g4\":false,\"o\":1,\"p\":true,\"r\":true,\"s\":\"h:443 [1]\","
	                 "\"u\":[\"GET\",\"get\",\"a,b\"]}");
	/* a builtin error is undefined unless strict; a type error too */
	ck_assert_str_eq(value_of("package t\np := count(1)\n", "t.p", NULL), "undefined");
	ck_assert_int_eq(rg_glob_match("{a,b}*", 6, NULL, 0, "bxyz", 4), 1);
	ck_assert_int_eq(rg_glob_match("[", 1, NULL, 0, "[", 1), -1);
}
END_TEST

START_TEST(outside_the_subset)
{
	struct env e;
	const char *cases[][2] = {
		{"package t\np := time.now_ns()\n", "time.now_ns"},
		{"package t\np := http.send({})\n", "http.send"},
		{"package t\np := regex.find_n(\"a\", \"a\", 1)\n", "regex.find_n"},
		{"package t\np if { true with f as 2 }\nf(x) := 1\n", "with f"},
		{"package t\np := $\"x\"\n", "template strings"},
		{"package t\np.q[x].r := 1 if { x := 1 }\n", "last element"},
		{"package t\np if { x := \"a\"; regex.match(x, \"a\") }\n", "constant pattern"},
		{"package t\np if { glob.match(input.g, [], \"a\") }\n", "computed from input"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(compile(&e, cases[i][0]), -1);
		bool found = false;
		for (size_t j = 0; j < diag_count(e.d); j++) {
			const struct diag *g = diag_get(e.d, j);
			if ((g->code == DIAG_E504 || g->code == DIAG_E100) && strstr(g->msg, cases[i][1]) &&
			    g->pos.line == 2)
				found = true;
		}
		ck_assert_msg(found, "case %zu: no diagnostic naming %s", i, cases[i][1]);
		arena_free(e.a);
	}
}
END_TEST

/* ---- lowering -------------------------------------------------------------------- */

struct low {
	struct arena *a;
	struct load_ctx c;
	struct ir_policy *p;
	char dir[64];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct ir_policy *lower(struct low *l, const char *rego, const char *data_yaml)
{
	snprintf(l->dir, sizeof(l->dir), "/tmp/test_rego.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(l->dir));
	char path[128];
	if (data_yaml) {
		snprintf(path, sizeof(path), "%s/data.yaml", l->dir);
		write_file(path, data_yaml);
	}
	snprintf(path, sizeof(path), "%s/p.rego", l->dir);
	write_file(path, rego);
	l->a = arena_new();
	l->c = (struct load_ctx){.a = l->a, .d = diag_sink_new(l->a)};
	l->p = load_file(&l->c, arena_strdup(l->a, path), (struct src_pos){0});
	return l->p;
}

static void lower_free(struct low *l)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", l->dir);
	ck_assert_int_eq(system(cmd), 0);
	arena_free(l->a);
}

static bool low_diag(struct low *l, enum diag_code code, const char *needle)
{
	for (size_t i = 0; i < diag_count(l->c.d); i++) {
		const struct diag *g = diag_get(l->c.d, i);
		if (g->code == code && strstr(g->msg, needle))
			return true;
	}
	return false;
}

START_TEST(lower_network_rows)
{
	struct low l;
	struct ir_policy *p = lower(&l,
	                            "package polc.network\n"
	                            "default allow := false\n"
	                            "allow if { input.host in data.hosts; input.port == 443 }\n"
	                            "allow if {\n"
	                            "\tendswith(input.host, \".svc.example\")\n"
	                            "\tinput.port >= 8000\n"
	                            "\tinput.port < 8100\n"
	                            "\tinput.port != 8050\n"
	                            "\tinput.method in {\"GET\", \"HEAD\"}\n"
	                            "\tglob.match(\"/v1/*/items\", [\"/\"], input.path)\n"
	                            "}\n"
	                            "allow if { net.cidr_contains(\"10.9.0.0/16\", input.host) }\n"
	                            "deny contains \"no\" if { input.host == \"b.example\"; input.method == \"POST\" }\n",
	                            "hosts: [a.example, b.example]\n");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->net.nrules, 5);
	const struct ir_net_rule *r = p->net.rules;
	/* deny rows first, then allow rows in source order */
	ck_assert(r[0].deny);
	ck_assert_str_eq(r[0].host, "b.example");
	ck_assert_uint_eq(r[0].methods, IR_METHOD(POST));
	ck_assert_str_eq(r[1].host, "a.example");
	ck_assert_uint_eq(r[1].nports, 1);
	ck_assert_uint_eq(r[1].ports[0].lo, 443);
	ck_assert_uint_eq(r[1].pos.line, 3);
	ck_assert_str_eq(r[2].host, "b.example");
	ck_assert_int_eq(r[3].kind, IR_HOST_WILDCARD);
	ck_assert_str_eq(r[3].host, "svc.example");
	ck_assert_uint_eq(r[3].nports, 2);
	ck_assert_uint_eq(r[3].ports[0].lo, 8000);
	ck_assert_uint_eq(r[3].ports[0].hi, 8049);
	ck_assert_uint_eq(r[3].ports[1].lo, 8051);
	ck_assert_uint_eq(r[3].ports[1].hi, 8099);
	ck_assert_uint_eq(r[3].methods, IR_METHOD(GET) | IR_METHOD(HEAD));
	ck_assert_uint_eq(r[3].npaths, 1);
	ck_assert_str_eq(r[3].paths[0], "/v1/*/items");
	ck_assert_int_eq(r[4].kind, IR_HOST_IPV4);
	ck_assert_uint_eq(r[4].prefix, 16);
	ck_assert_uint_eq(r[4].nports, 0); /* any port */
	for (int i = 1; i < 5; i++)
		ck_assert(!r[i].deny);
	lower_free(&l);
}
END_TEST

START_TEST(lower_refusals)
{
	const char *cases[][2] = {
		{"package polc.network\nallow if { input.port == 443 }\n", "every host"},
		{"package polc.network\nallow if { input.host == \"a.example\"; input.tls }\n",
		 "input.tls"},
		{"package polc.network\nallow if { glob.match(\"*.x.example\", [\".\"], input.host) }\n",
		 "exactly one DNS label"},
		{"package polc.network\nallow if { not input.host == \"a.example\" }\n", "negated"},
		{"package polc.network\nallow if { some h in input.hosts; h == \"a\" }\n",
		 "iterates over input"},
		{"package polc.network\nallow if { input.host == \"A.example\" }\n", "lower case"},
		{"package polc.network\nallow if { input.host == \"a.example\"; input.method == \"get\" }\n",
		 "upper case"},
		{"package polc.network\ndefault allow := true\n", "must be false"},
		{"package polc.filesystem\nallow if { input.path == \"/etc\" }\n", "Landlock"},
		{"package other\nallow := true\n", "entry point"},
		{"package polc.network\nok if { input.host == \"a.example\" } else := false\nallow if ok\n",
		 "else"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct low l;
		ck_assert_ptr_null(lower(&l, cases[i][0], NULL));
		ck_assert_msg(low_diag(&l, DIAG_E504, cases[i][1]), "case %zu: no E504 with \"%s\"", i,
		              cases[i][1]);
		lower_free(&l);
	}
}
END_TEST

START_TEST(lower_helpers_and_functions)
{
	/* rules and functions that test input are inlined into each branch */
	struct low l;
	struct ir_policy *p = lower(&l,
	                            "package polc.network\n"
	                            "web_port(p) if { p in {80, 443} }\n"
	                            "trusted if { input.host == \"ci.example\" }\n"
	                            "trusted if { endswith(input.host, \".ci.example\") }\n"
	                            "allow if { trusted; web_port(input.port) }\n",
	                            NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->net.nrules, 2);
	ck_assert_int_eq(p->net.rules[0].kind, IR_HOST_NAME);
	ck_assert_int_eq(p->net.rules[1].kind, IR_HOST_WILDCARD);
	ck_assert_uint_eq(p->net.rules[1].nports, 2);
	lower_free(&l);
}
END_TEST

START_TEST(lower_lookup_by_input)
{
	/* data keyed by host: one branch per key, under input.host == key */
	struct low l;
	struct ir_policy *p = lower(&l,
	                            "package polc.network\n"
	                            "allow if { some p in data.svc[input.host]; input.port == p }\n"
	                            "allow if data.ok[input.host]\n",
	                            "svc: {a.example: [443], b.example: [22, 2222]}\n"
	                            "ok: {c.example: true, d.example: false}\n");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->net.nrules, 4);
	ck_assert_str_eq(p->net.rules[0].host, "a.example");
	ck_assert_uint_eq(p->net.rules[0].ports[0].lo, 443);
	ck_assert_str_eq(p->net.rules[1].host, "b.example");
	ck_assert_uint_eq(p->net.rules[2].ports[0].lo, 2222);
	ck_assert_str_eq(p->net.rules[3].host, "c.example"); /* d.example maps to false */
	lower_free(&l);
}
END_TEST

START_TEST(check_catches_a_wrong_row)
{
	struct low l;
	struct ir_policy *p = lower(&l,
	                            "package polc.network\n"
	                            "allow if { input.host == \"a.example\"; input.port == 443 }\n",
	                            NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->net.nrules, 1);
	/* the evaluator of the same module against a row that is off by one */
	struct env e;
	ck_assert_int_eq(compile(&e, "package polc.network\n"
	                             "allow if { input.host == \"a.example\"; input.port == 443 }\n"),
	                 0);
	p->net.rules[0].ports[0].lo = p->net.rules[0].ports[0].hi = 444;
	ck_assert_int_eq(rego_net_check(e.r, "polc.network", p, e.d, src_pos("t.rego", 2, 1)), -1);
	ck_assert(has_diag(&e, DIAG_E900, 2, "port=443"));
	/* and with the row restored they agree */
	p->net.rules[0].ports[0].lo = p->net.rules[0].ports[0].hi = 443;
	struct diag_sink *d2 = diag_sink_new(e.a);
	ck_assert_int_eq(rego_net_check(e.r, "polc.network", p, d2, src_pos("t.rego", 2, 1)), 0);
	arena_free(e.a);
	lower_free(&l);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rego");
	TCase *t = tcase_create("parse");
	tcase_add_test(t, parse_reports_every_error);
	tcase_add_test(t, parse_positions_and_layout);
	tcase_add_test(t, parse_hostile_input);
	suite_add_tcase(s, t);
	t = tcase_create("eval");
	tcase_add_test(t, undefined_is_not_false);
	tcase_add_test(t, conflicts_and_else);
	tcase_add_test(t, every_in_some);
	tcase_add_test(t, sets_comprehensions_with);
	tcase_add_test(t, unsafe_and_recursion);
	tcase_add_test(t, builtins);
	tcase_add_test(t, outside_the_subset);
	suite_add_tcase(s, t);
	t = tcase_create("lower");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, lower_network_rows);
	tcase_add_test(t, lower_refusals);
	tcase_add_test(t, lower_helpers_and_functions);
	tcase_add_test(t, lower_lookup_by_input);
	tcase_add_test(t, check_catches_a_wrong_row);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
