/* cmd_opa.c — Rego commands.
 *
 * `polc query POLICY.rego net HOST PORT [METHOD [PATH]]` asks the Rego
 * evaluator itself (cmd_query.c hands .rego sources here): the decision the
 * compiled table must reproduce.
 *
 * `polc opa-cases CASEFILE.yaml...`: runs test cases written in
 * OPA's conformance format (open-policy-agent/opa v1/test/cases/testdata)
 * through polc's Rego evaluator.  One line per case:
 *   PASS note
 *   FAIL note: why
 *   UNSUPPORTED note: construct        (outside polc's Rego subset)
 * Exit 0 when no case failed, 1 when one did, 2 on usage or unreadable
 * files.  A summary goes to stderr. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"
#include "cmd.h"
#include "rego.h"

static void help(FILE *f)
{
	fputs("usage: polc opa-cases [-q] CASEFILE.yaml...\n\n"
	      "Run OPA conformance-format test cases (cases: [{note, query, modules, data,\n"
	      "input, want_result, want_defined, want_error, want_error_code, strict_error,\n"
	      "sort_bindings}]) with polc's Rego evaluator.  Prints PASS, FAIL or\n"
	      "UNSUPPORTED (construct outside the subset) for each case.\n\n"
	      "  -q, --quiet   print only FAIL lines and the summary\n\n"
	      "exit: 0 no case failed, 1 some failed, 2 usage or unreadable file\n",
	      f);
}

static const struct rv *field(struct arena *a, const struct rv *obj, const char *k)
{
	return obj && obj->kind == RV_OBJECT ? rv_get(obj, rv_cstr(a, k)) : NULL;
}

/* The JSON view OPA's runner compares: sets become (sorted) arrays and
 * object keys become strings. */
static const struct rv *jsonish(struct arena *a, const struct rv *v)
{
	switch (v->kind) {
	case RV_ARRAY:
	case RV_SET: {
		const struct rv **it = arena_array(a, v->u.arr.n + 1, sizeof(*it));
		for (size_t i = 0; i < v->u.arr.n; i++)
			it[i] = jsonish(a, v->u.arr.items[i]);
		return rv_array(a, it, v->u.arr.n);
	}
	case RV_OBJECT: {
		const struct rv **ks = arena_array(a, v->u.obj.n + 1, sizeof(*ks));
		const struct rv **vs = arena_array(a, v->u.obj.n + 1, sizeof(*vs));
		for (size_t i = 0; i < v->u.obj.n; i++) {
			const struct rv *k = v->u.obj.keys[i];
			ks[i] = k->kind == RV_STR ? k : rv_cstr(a, rv_json(a, k));
			vs[i] = jsonish(a, v->u.obj.vals[i]);
		}
		return rv_object(a, ks, vs, v->u.obj.n);
	}
	default: return v;
	}
}

struct results {
	struct arena *a;
	const struct rv **v;
	size_t n, cap;
};

static int on_solution(void *ctx, const char *const *names, const struct rv *const *vals,
                       size_t n)
{
	struct results *res = ctx;
	const struct rv **ks = arena_array(res->a, n + 1, sizeof(*ks));
	const struct rv **vs = arena_array(res->a, n + 1, sizeof(*vs));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!vals[i])
			continue;
		ks[m] = rv_cstr(res->a, names[i]);
		vs[m++] = jsonish(res->a, vals[i]);
	}
	*ARENA_PUSH(res->a, res->v, res->n, res->cap) = rv_object(res->a, ks, vs, m);
	return res->n > 100000; /* runaway queries */
}

enum verdict { V_PASS, V_FAIL, V_UNSUPPORTED };

struct outcome {
	enum verdict v;
	const char *why;
};

static int cmp_pp(const void *x, const void *y)
{
	return rv_cmp(*(const struct rv *const *)x, *(const struct rv *const *)y);
}

/* The first error diagnostic (only E504 ones if e504): its text and place. */
static const char *first_diag(struct arena *a, struct diag_sink *d, bool e504,
                              struct src_pos *where)
{
	for (size_t i = 0; i < diag_count(d); i++) {
		const struct diag *g = diag_get(d, i);
		if (g->level != DIAG_ERROR)
			continue;
		if (e504 && g->code != DIAG_E504)
			continue;
		if (where)
			*where = g->pos;
		if (e504)
			return arena_printf(a, "%s:%u:%u: %s", g->pos.file ? g->pos.file : "",
			                    g->pos.line, g->pos.col, g->msg);
		return g->msg;
	}
	return NULL;
}

static bool error_matches(struct arena *a, const struct rv *tc, const char *code,
                          const char *full)
{
	const struct rv *wcode = field(a, tc, "want_error_code");
	const struct rv *werr = field(a, tc, "want_error");
	if (wcode && wcode->kind == RV_STR && strcmp(wcode->u.str.s, code) != 0)
		return false;
	if (werr && werr->kind == RV_STR && !strstr(full, werr->u.str.s))
		return false;
	return true;
}

static struct outcome run_case(struct arena *a, const struct rv *tc)
{
	struct outcome o = {V_PASS, NULL};
	struct diag_sink *d = diag_sink_new(a);
	const struct rv *wcode = field(a, tc, "want_error_code");
	const struct rv *werr = field(a, tc, "want_error");
	bool want_error = wcode || werr;
	const struct rv *strict = field(a, tc, "strict_error");

	const struct rv *mods = field(a, tc, "modules");
	struct rego *r = rego_new(a, d);
	rego_set_strict(r, strict && strict->kind == RV_BOOL && strict->u.b);
	const char *code = NULL, *msg = NULL;
	struct src_pos where = {0};
	bool parse_failed = false;
	for (size_t i = 0; mods && mods->kind == RV_ARRAY && i < mods->u.arr.n; i++) {
		const struct rv *m = mods->u.arr.items[i];
		if (m->kind != RV_STR)
			return (struct outcome){V_FAIL, "modules must be strings"};
		/* named as OPA's runner names them: messages quote the file */
		const char *name = arena_printf(a, "test-%zu.rego", i);
		diag_source(d, name, m->u.str.s, m->u.str.len);
		struct rg_module *mod = rego_parse_module(a, d, name, m->u.str.s, m->u.str.len);
		if (!mod)
			parse_failed = true;
		else
			rego_add_module(r, mod);
	}
	if (parse_failed) {
		const char *u = first_diag(a, d, true, NULL);
		if (u)
			return (struct outcome){V_UNSUPPORTED, u};
		code = "rego_parse_error";
		msg = first_diag(a, d, false, &where);
	}
	const struct rv *data = field(a, tc, "data");
	if (data && data->kind == RV_OBJECT)
		rego_set_data(r, data);
	if (!code && rego_compile(r, &code) < 0) {
		if (strcmp(code, "unsupported") == 0)
			return (struct outcome){V_UNSUPPORTED, first_diag(a, d, true, NULL)};
		msg = first_diag(a, d, false, &where);
	} else if (!parse_failed) {
		code = NULL;
	}

	struct results res = {.a = a};
	if (!code) {
		const struct rv *q = field(a, tc, "query");
		if (!q || q->kind != RV_STR)
			return (struct outcome){V_FAIL, "case has no query"};
		diag_source(d, "query", q->u.str.s, q->u.str.len);
		struct rg_body *body = rego_parse_query(a, d, "query", q->u.str.s, q->u.str.len);
		const struct rv *input = field(a, tc, "input");
		const struct rv *iterm = field(a, tc, "input_term");
		if (iterm && iterm->kind == RV_STR) {
			/* input given as a Rego term: evaluate `x := TERM` */
			const char *qt = arena_printf(a, "__input__ := %s", iterm->u.str.s);
			struct rg_body *ib = rego_parse_query(a, d, "input_term", qt, strlen(qt));
			struct results ir = {.a = a};
			struct rego_err ierr;
			if (!ib || rego_query(r, ib, NULL, on_solution, &ir, &ierr) < 0 || ir.n != 1)
				return (struct outcome){V_FAIL, "cannot evaluate input_term"};
			input = field(a, ir.v[0], "__input__");
		}
		if (!body) {
			const char *u = first_diag(a, d, true, NULL);
			if (u)
				return (struct outcome){V_UNSUPPORTED, u};
			code = "rego_parse_error";
			msg = first_diag(a, d, false, &where);
		} else {
			struct rego_err err;
			if (rego_query(r, body, input, on_solution, &res, &err) < 0) {
				code = err.code ? err.code : "eval_error";
				msg = err.msg;
				where = err.pos;
				if (strcmp(code, "unsupported") != 0 && strstr(msg ? msg : "", "unsupported"))
					code = "unsupported";
			}
		}
	}

	if (code && strcmp(code, "unsupported") == 0)
		return (struct outcome){V_UNSUPPORTED,
		                        where.line ? arena_printf(a, "%s:%u:%u: %s", where.file ? where.file : "",
		                                                  where.line, where.col, msg ? msg : "")
		                                   : msg ? msg : "unsupported construct"};
	/* as OPA prints an error: file:line: code: message */
	if (code)
		msg = where.line ? arena_printf(a, "%s:%u: %s: %s", where.file ? where.file : "", where.line,
		                                code, msg ? msg : "")
		                 : arena_printf(a, "%s: %s", code, msg ? msg : "");
	if (want_error) {
		if (!code)
			return (struct outcome){V_FAIL, arena_printf(a, "expected error %s%s%s, got %zu result(s)",
			                                             wcode ? wcode->u.str.s : "",
			                                             wcode && werr ? ": " : "",
			                                             werr ? werr->u.str.s : "", res.n)};
		if (!error_matches(a, tc, code, msg ? msg : ""))
			return (struct outcome){V_FAIL,
			                        arena_printf(a, "expected error %s%s%s, got %s",
			                                     wcode ? wcode->u.str.s : "",
			                                     wcode && werr ? ": " : "",
			                                     werr ? werr->u.str.s : "", msg)};
		return o;
	}
	if (code)
		return (struct outcome){V_FAIL, arena_printf(a, "unexpected error %s", msg)};
	const struct rv *wdef = field(a, tc, "want_defined");
	if (wdef && wdef->kind == RV_BOOL && wdef->u.b != (res.n > 0))
		return (struct outcome){V_FAIL, arena_printf(a, "want_defined %s, got %zu result(s)",
		                                             wdef->u.b ? "true" : "false", res.n)};
	const struct rv *want = field(a, tc, "want_result");
	if (want) {
		if (want->kind == RV_NULL)
			want = rv_array(a, NULL, 0);
		if (want->kind != RV_ARRAY)
			return (struct outcome){V_FAIL, "want_result is not a list"};
		const struct rv *got = rv_array(a, res.v, res.n);
		const struct rv *exp = want;
		const struct rv *sb = field(a, tc, "sort_bindings");
		if (sb && sb->kind == RV_BOOL && sb->u.b) {
			const struct rv **g = arena_array(a, res.n + 1, sizeof(*g));
			memcpy(g, res.v, res.n * sizeof(*g));
			qsort(g, res.n, sizeof(*g), cmp_pp);
			got = rv_array(a, g, res.n);
			const struct rv **w = arena_array(a, want->u.arr.n + 1, sizeof(*w));
			memcpy(w, want->u.arr.items, want->u.arr.n * sizeof(*w));
			qsort(w, want->u.arr.n, sizeof(*w), cmp_pp);
			exp = rv_array(a, w, want->u.arr.n);
		}
		if (!rv_eq(got, exp))
			return (struct outcome){V_FAIL, arena_printf(a, "want %s, got %s", rv_json(a, exp),
			                                             rv_json(a, got))};
	}
	return o;
}

int rego_cmd_query(int npos, char **pos); /* called by cmd_query.c */
int rego_cmd_query(int npos, char **pos)
{
	if (npos < 4 || npos > 6 || strcmp(pos[1], "net") != 0) {
		polc_err("query", "a .rego policy answers net queries: POLICY.rego net HOST PORT "
		                  "[METHOD [PATH]]");
		return EXIT_USAGE;
	}
	char *end;
	long port = strtol(pos[3], &end, 10);
	if (*end || port < 1 || port > 65535) {
		polc_err("query", "net needs HOST PORT [METHOD [PATH]] with PORT 1-65535");
		return EXIT_USAGE;
	}
	struct arena *a = arena_new();
	struct load_ctx c = {.a = a, .d = diag_sink_new(a)};
	const char *pkg = NULL;
	struct rego *r = rego_load(&c, pos[0], &pkg);
	int st = EXIT_USAGE;
	if (!r) {
		polc_print_diags(c.d);
	} else if (strcmp(pkg, "polc.network") != 0) {
		polc_err("query", "%s: package %s is not polc.network", pos[0], pkg);
	} else {
		bool allowed;
		struct rego_err err;
		if (rego_net_decide(r, pkg, pos[2], (unsigned)port, npos > 4 ? pos[4] : NULL,
		                    npos > 5 ? pos[5] : NULL, &allowed, &err) < 0) {
			polc_err("query", "%s:%u:%u: %s: %s", err.pos.file ? err.pos.file : pos[0],
			         err.pos.line, err.pos.col, err.code, err.msg);
		} else {
			printf("%s  (Rego evaluator: data.%s.allow and data.%s.deny)\n",
			       allowed ? "allow" : "deny", pkg, pkg);
			st = allowed ? EXIT_OK : EXIT_FINDINGS;
		}
	}
	arena_free(a);
	return st;
}

int cmd_opa_cases(int argc, char **argv)
{
	static const struct option opts[] = {{"quiet", no_argument, 0, 'q'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		help(stderr);
		return EXIT_USAGE;
	}
	unsigned pass = 0, failn = 0, unsup = 0;
	int status = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		struct arena *fa = arena_new();
		size_t len;
		char *text = load_slurp(fa, argv[i], &len);
		char err[256];
		const struct rv *doc = text ? rv_from_yaml_text(fa, text, len, err, sizeof(err)) : NULL;
		if (!text)
			snprintf(err, sizeof(err), "cannot read");
		const struct rv *cases = doc ? field(fa, doc, "cases") : NULL;
		if (!cases || cases->kind != RV_ARRAY) {
			polc_err("opa-cases", "%s: %s", argv[i],
			         doc ? "no `cases:` list (is this an OPA test case file?)" : err);
			status = EXIT_USAGE;
			arena_free(fa);
			continue;
		}
		for (size_t j = 0; j < cases->u.arr.n; j++) {
			const struct rv *tc = cases->u.arr.items[j];
			struct arena *a = arena_new();
			const struct rv *note = field(fa, tc, "note");
			const char *nm = note && note->kind == RV_STR ? note->u.str.s
			                                               : arena_printf(fa, "%s#%zu", argv[i], j);
			struct outcome o = run_case(a, tc);
			switch (o.v) {
			case V_PASS:
				pass++;
				if (!quiet)
					printf("PASS %s\n", nm);
				break;
			case V_FAIL:
				failn++;
				printf("FAIL %s: %s\n", nm, o.why);
				break;
			case V_UNSUPPORTED:
				unsup++;
				if (!quiet)
					printf("UNSUPPORTED %s: %s\n", nm, o.why ? o.why : "unsupported construct");
				break;
			}
			arena_free(a);
		}
		arena_free(fa);
	}
	fflush(stdout);
	fprintf(stderr, "%u passed, %u failed, %u unsupported\n", pass, failn, unsup);
	if (status != EXIT_OK)
		return status;
	return failn ? EXIT_FINDINGS : EXIT_OK;
}
