/* cmd_test.c — `polc test POLICY|ARTIFACT TESTFILE... [--format text|json|junit|tap]`
 *
 * Each test is one question asked of the artifact through the simulators
 * that `polc query` uses (BPF interpreter, Landlock model, network table
 * lookup); a policy is compiled in memory first, so what is tested is
 * exactly what `polc build` would write.  Test file format: CONTRACT.md.
 *   exit: 0 every test passed, 1 a test failed, 2 usage, policy, test file
 *         or evaluation error. */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "arena.h"
#include "cmd.h"
#include "consts.h"
#include "subject.h"

uint64_t query_parse_access(const char *s); /* cmd_query.c */

static void help(FILE *f)
{
	fputs("usage: polc test POLICY|ARTIFACT TESTFILE... [--format text|json|junit|tap]\n\n"
	      "Run the tests in each TESTFILE against the artifact (a policy is compiled in\n"
	      "memory first).  A test file:\n\n"
	      "  tests:\n"
	      "    - name: no ptrace\n"
	      "      syscall: ptrace            # args: [0, 1], arch: x86_64 (optional)\n"
	      "      expect: deny               # allow | deny | kill | errno EPERM ...\n"
	      "    - name: workspace writable\n"
	      "      fs: {path: /workspace/a.txt, access: write}\n"
	      "      expect: allow\n"
	      "    - name: github reads\n"
	      "      net: {host: api.github.com, port: 443, method: GET, path: /repos/x}\n"
	      "      expect: allow\n\n"
	      "A failing test shows the rule that decided and its source position.\n\n"
	      "  -f, --format FMT   text (default), json, junit (JUnit XML), tap (TAP 13)\n\n"
	      "exit: 0 all passed, 1 failures, 2 error\n",
	      f);
}

/* ---- test files ----------------------------------------------------------------- */

enum tkind { T_SYSCALL, T_FS, T_NET };

struct tcase {
	const char *name;
	struct src_pos pos;
	enum tkind kind;
	const char *query; /* the question in words: "syscall ptrace", "fs /x write" */
	const char *expect;
	/* syscall */
	const char *syscall, *arch;
	uint64_t args[6];
	/* fs */
	const char *path;
	uint64_t access;
	/* net */
	const char *host, *method, *npath;
	uint16_t port;
	/* result */
	enum { R_PASS, R_FAIL, R_ERROR } result;
	const char *got, *why;
	uint32_t rule;
	const char *decided; /* what decided, when it was no rule of the policy */
};

struct tfile {
	const char *path;
	struct tcase *v;
	size_t n, cap;
};

static struct src_pos ypos(const char *file, const yaml_node_t *n)
{
	return src_pos(file, (uint32_t)n->start_mark.line + 1, (uint32_t)n->start_mark.column + 1);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

struct tparse {
	struct arena *a;
	struct diag_sink *d;
	const char *file;
	yaml_document_t *doc;
};

static const char *want_str(struct tparse *t, yaml_node_t *n, const char *what)
{
	const char *s = scalar(n);
	if (!s)
		diag_error(t->d, ypos(t->file, n), E102, "`%s` must be a string", what);
	return s ? arena_strdup(t->a, s) : NULL;
}

/* A number, a constant (AF_INET) or several joined by '|', as in policies. */
static bool parse_num(const char *s, uint64_t *v) { return consts_parse_value(s, v); }

/* Mapping lookups with unknown-key errors. */
static yaml_node_t *get(struct tparse *t, yaml_node_t *map, const char *const *keys,
                        yaml_node_t **vals, const char *what)
{
	for (size_t k = 0; keys[k]; k++)
		vals[k] = NULL;
	for (yaml_node_pair_t *kv = map->data.mapping.pairs.start; kv < map->data.mapping.pairs.top;
	     kv++) {
		yaml_node_t *kn = yaml_document_get_node(t->doc, kv->key);
		const char *key = scalar(kn);
		size_t k = 0;
		while (keys[k] && (!key || strcmp(keys[k], key) != 0))
			k++;
		if (!keys[k]) {
			diag_error(t->d, ypos(t->file, kn), E101, "unknown key `%s` in %s", key ? key : "?",
			           what);
			continue;
		}
		if (vals[k])
			diag_error(t->d, ypos(t->file, kn), E103, "duplicate key `%s`", key);
		vals[k] = yaml_document_get_node(t->doc, kv->value);
	}
	return map;
}

static void parse_case(struct tparse *t, struct tfile *tf, yaml_node_t *n, size_t idx)
{
	static const char *const keys[] = {"name", "syscall", "args", "arch", "fs",
	                                   "net",  "expect",  NULL};
	if (n->type != YAML_MAPPING_NODE) {
		diag_error(t->d, ypos(t->file, n), E102, "a test must be a mapping");
		return;
	}
	yaml_node_t *v[7];
	get(t, n, keys, v, "a test");
	struct tcase c = {.pos = ypos(t->file, n)};
	size_t errs = diag_errors(t->d);
	c.name = v[0] ? want_str(t, v[0], "name") : arena_printf(t->a, "test %zu", idx + 1);
	int kinds = !!v[1] + !!v[4] + !!v[5];
	if (kinds != 1)
		diag_add(t->d, DIAG_ERROR, c.pos, kinds ? DIAG_E102 : DIAG_E104,
		         "a test asks exactly one of `syscall`, `fs` or `net`");
	if (!v[6])
		diag_error(t->d, c.pos, E104, "a test needs `expect` (allow, deny, errno EPERM ...)");
	else
		c.expect = want_str(t, v[6], "expect");
	if ((v[2] || v[3]) && !v[1])
		diag_error(t->d, ypos(t->file, v[2] ? v[2] : v[3]), E101,
		           "`args` and `arch` belong to `syscall` tests");
	if (v[1]) {
		c.kind = T_SYSCALL;
		c.syscall = want_str(t, v[1], "syscall");
		c.arch = v[3] ? want_str(t, v[3], "arch") : NULL;
		if (v[2] && v[2]->type != YAML_SEQUENCE_NODE)
			diag_error(t->d, ypos(t->file, v[2]), E102, "`args` must be a list of up to 6 values");
		else if (v[2]) {
			size_t i = 0;
			for (yaml_node_item_t *it = v[2]->data.sequence.items.start;
			     it < v[2]->data.sequence.items.top; it++, i++) {
				yaml_node_t *an = yaml_document_get_node(t->doc, *it);
				const char *s = scalar(an);
				if (i >= 6)
					diag_error(t->d, ypos(t->file, an), E106, "at most 6 syscall arguments");
				else if (!s || !parse_num(s, &c.args[i]))
					diag_error(t->d, ypos(t->file, an), E102,
					           "argument %zu: expected an integer (decimal, 0x hex, 0o "
					           "octal, 0b binary; not 0755, which could be either) or a "
					           "constant such as AF_INET, joined with '|'",
					           i);
			}
		}
		if (c.syscall)
			c.query = arena_printf(t->a, "syscall %s", c.syscall);
	}
	if (v[4]) {
		static const char *const fk[] = {"path", "access", NULL};
		yaml_node_t *f[2];
		c.kind = T_FS;
		if (v[4]->type != YAML_MAPPING_NODE)
			diag_error(t->d, ypos(t->file, v[4]), E102, "`fs` must be {path, access}");
		else {
			get(t, v[4], fk, f, "`fs`");
			if (!f[0] || !f[1])
				diag_error(t->d, ypos(t->file, v[4]), E104, "`fs` needs `path` and `access`");
			else {
				c.path = want_str(t, f[0], "fs.path");
				const char *acc = NULL;
				if (f[1]->type == YAML_SEQUENCE_NODE) {
					acc = "";
					for (yaml_node_item_t *it = f[1]->data.sequence.items.start;
					     it < f[1]->data.sequence.items.top; it++) {
						const char *s = scalar(yaml_document_get_node(t->doc, *it));
						acc = arena_printf(t->a, "%s%s%s", acc, *acc ? "," : "", s ? s : "?");
					}
				} else
					acc = want_str(t, f[1], "fs.access");
				if (c.path && c.path[0] != '/')
					diag_error(t->d, ypos(t->file, f[0]), E200, "fs.path must be absolute");
				if (acc && !(c.access = query_parse_access(acc)))
					diag_error(t->d, ypos(t->file, f[1]), E201,
					           "unknown access `%s` (read, write, exec or a Landlock right "
					           "such as make_reg)",
					           acc);
				if (c.path && acc)
					c.query = arena_printf(t->a, "fs %s %s", c.path, acc);
			}
		}
	}
	if (v[5]) {
		static const char *const nk[] = {"host", "port", "method", "path", NULL};
		yaml_node_t *f[4];
		c.kind = T_NET;
		if (v[5]->type != YAML_MAPPING_NODE)
			diag_error(t->d, ypos(t->file, v[5]), E102,
			           "`net` must be {host, port, method, path}");
		else {
			get(t, v[5], nk, f, "`net`");
			uint64_t port = 0;
			const char *ps = f[1] ? scalar(f[1]) : NULL;
			if (!f[0] || !f[1])
				diag_error(t->d, ypos(t->file, v[5]), E104, "`net` needs `host` and `port`");
			else if (!ps || !parse_num(ps, &port) || port == 0 || port > 65535)
				diag_error(t->d, ypos(t->file, f[1]), E401, "port must be from 1 to 65535");
			c.host = f[0] ? want_str(t, f[0], "net.host") : NULL;
			c.port = (uint16_t)port;
			c.method = f[2] ? want_str(t, f[2], "net.method") : NULL;
			c.npath = f[3] ? want_str(t, f[3], "net.path") : NULL;
			if (c.npath && !c.method)
				diag_error(t->d, ypos(t->file, f[3]), E104,
				           "`path` needs `method` (plain HTTP); without both the request "
				           "is a CONNECT tunnel");
			if (c.host)
				c.query = c.method ? arena_printf(t->a, "net %s %u %s%s%s", c.host, c.port,
				                                  c.method, c.npath ? " " : "",
				                                  c.npath ? c.npath : "")
				                   : arena_printf(t->a, "net %s %u", c.host, c.port);
		}
	}
	if (diag_errors(t->d) == errs)
		*ARENA_PUSH(t->a, tf->v, tf->n, tf->cap) = c;
}

static int cmp_diag(const void *x, const void *y)
{
	const struct diag *a = *(const struct diag *const *)x, *b = *(const struct diag *const *)y;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	return (a > b) - (a < b);
}

static int parse_tests(struct arena *a, struct diag_sink *d, const char *path, struct tfile *tf)
{
	memset(tf, 0, sizeof(*tf));
	tf->path = path;
	size_t len;
	char *text = load_slurp(a, path, &len);
	if (!text) {
		diag_error(d, src_file(path), E500, "cannot read test file: %s", strerror(errno));
		return -1;
	}
	diag_source(d, path, text, len);
	yaml_parser_t ps;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&ps))
		abort();
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	if (!yaml_parser_load(&ps, &doc)) {
		diag_error(d,
		           src_pos(path, (uint32_t)ps.problem_mark.line + 1,
		                   (uint32_t)ps.problem_mark.column + 1),
		           E100, "test file is not valid YAML: %s", ps.problem ? ps.problem : "error");
		yaml_parser_delete(&ps);
		return -1;
	}
	/* Diagnostics are collected per file and handed on in source order. */
	struct diag_sink *out = d;
	d = diag_sink_new(a);
	struct tparse t = {a, d, path, &doc};
	size_t errs = 0;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	yaml_node_t *tests = NULL;
	if (!root)
		diag_error(d, src_pos(path, 1, 1), E104, "empty test file: expected `tests:`");
	else if (root->type != YAML_MAPPING_NODE)
		diag_error(d, ypos(path, root), E102, "a test file is a mapping with `tests:`");
	else {
		static const char *const keys[] = {"tests", NULL};
		yaml_node_t *v[1];
		get(&t, root, keys, v, "a test file");
		tests = v[0];
		if (!tests)
			diag_error(d, ypos(path, root), E104, "a test file needs `tests:`");
		else if (tests->type != YAML_SEQUENCE_NODE) {
			diag_error(d, ypos(path, tests), E102, "`tests` must be a list");
			tests = NULL;
		}
	}
	if (tests) {
		size_t i = 0;
		for (yaml_node_item_t *it = tests->data.sequence.items.start;
		     it < tests->data.sequence.items.top; it++, i++)
			parse_case(&t, tf, yaml_document_get_node(&doc, *it), i);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&ps);
	size_t n = diag_count(d);
	const struct diag **v = arena_array(a, n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = diag_get(d, i);
	qsort(v, n, sizeof(*v), cmp_diag);
	for (size_t i = 0; i < n; i++)
		diag_add(out, v[i]->level, v[i]->pos, v[i]->code, "%s", v[i]->msg);
	return diag_errors(d) > errs ? -1 : 0;
}

/* ---- running ------------------------------------------------------------------ */

/* Does decision d satisfy `expect`?  allow/deny compare the outcome; an
 * action (errno EPERM, kill ...) compares the action, with "errno" alone
 * accepting any errno; anything else must be the decision's first word(s). */
static bool matches(const char *expect, const struct decision *d)
{
	if (strcmp(expect, "allow") == 0)
		return d->allowed;
	if (strcmp(expect, "deny") == 0)
		return !d->allowed;
	struct ir_action want, got;
	if (strcmp(expect, "errno") == 0)
		return strncmp(d->text, "errno ", 6) == 0;
	if (ir_action_parse(expect, &want) == 0 && ir_action_parse(d->text, &got) == 0)
		return want.kind == got.kind && want.errno_val == got.errno_val;
	size_t n = strlen(expect);
	return strncmp(d->text, expect, n) == 0 && (d->text[n] == '\0' || d->text[n] == ' ');
}

static void run_case(struct arena *a, const struct subject *s, struct tcase *c)
{
	struct decision d;
	char err[256];
	int rc;
	memset(&d, 0, sizeof(d));
	switch (c->kind) {
	case T_SYSCALL: {
		int na;
		const struct sysc_arch *arch =
		        c->arch ? sysc_arch_by_name(c->arch) : &sysc_arches(&na)[0];
		if (!arch) {
			c->result = R_ERROR;
			c->why = arena_printf(a, "unknown arch `%s`", c->arch);
			return;
		}
		/* The program for arch (or the native one that handles it), or
		 * none, under runmin's guard, as runmin runs it. */
		rc = bpf_query_runmin(&s->art, arch, c->syscall, c->args, &d, err, sizeof(err));
		if (rc == 0 && d.note)
			c->decided = arena_strdup(a, d.note);
		else if (rc == 0 && !art_find(&s->art, ART_SEC_SECCOMP, 0)) {
			snprintf(d.text, sizeof(d.text), "allow (no seccomp filter)");
			c->decided = "the policy having no process section";
		}
		break;
	}
	case T_FS: rc = ll_query(&s->art, c->path, c->access, &d, err, sizeof(err)); break;
	case T_NET:
		rc = nt_query(&s->art, c->host, c->port, c->method, c->npath, &d, err, sizeof(err));
		break;
	default: rc = -1; snprintf(err, sizeof(err), "unknown test kind");
	}
	if (rc < 0) {
		c->result = R_ERROR;
		c->why = arena_strdup(a, err);
		return;
	}
	c->got = arena_strdup(a, d.text);
	c->rule = d.rule_id;
	c->result = matches(c->expect, &d) ? R_PASS : R_FAIL;
}

/* ---- output --------------------------------------------------------------------- */

static const char *rule_desc(struct arena *a, const struct subject *s, uint32_t id)
{
	const struct meta_rule *r = meta_rule(&s->meta, id);
	if (!r)
		return "the default (no rule matched)";
	return arena_printf(a, "rule #%u `%s` at %s:%u:%u", r->id, r->text ? r->text : "",
	                    r->file ? r->file : "?", r->line, r->col);
}

static const char *failure_msg(struct arena *a, const struct tcase *c)
{
	if (c->result == R_ERROR)
		return arena_printf(a, "%s: cannot evaluate: %s", c->query, c->why);
	return arena_printf(a, "%s: expected %s, got %s", c->query, c->expect, c->got);
}

struct totals {
	size_t n, pass, fail, error;
};

static void print_text(struct arena *a, const struct subject *s, struct tfile *tf, size_t ntf,
                       const struct totals *t)
{
	for (size_t f = 0; f < ntf; f++)
		for (size_t i = 0; i < tf[f].n; i++) {
			const struct tcase *c = &tf[f].v[i];
			if (c->result == R_PASS) {
				printf("PASS  %s\n", c->name);
				continue;
			}
			printf("%s  %s  (%s:%u:%u)\n", c->result == R_FAIL ? "FAIL" : "ERROR", c->name,
			       c->pos.file, c->pos.line, c->pos.col);
			printf("      %s\n", failure_msg(a, c));
			if (c->result == R_FAIL)
				printf("      decided by %s\n",
				       c->decided ? c->decided : rule_desc(a, s, c->rule));
		}
	printf("%zu test%s: %zu passed, %zu failed", t->n, t->n == 1 ? "" : "s", t->pass, t->fail);
	if (t->error)
		printf(", %zu could not be evaluated", t->error);
	putchar('\n');
}

static json_t *json_rule(const struct subject *s, uint32_t id)
{
	const struct meta_rule *r = meta_rule(&s->meta, id);
	if (!r)
		return json_null();
	return json_pack("{s:I, s:s?, s:s?, s:I, s:I}", "id", (json_int_t)r->id, "text", r->text,
	                 "file", r->file, "line", (json_int_t)r->line, "column", (json_int_t)r->col);
}

static void print_json(const struct subject *s, struct tfile *tf, size_t ntf,
                       const struct totals *t)
{
	json_t *arr = json_array();
	for (size_t f = 0; f < ntf; f++)
		for (size_t i = 0; i < tf[f].n; i++) {
			const struct tcase *c = &tf[f].v[i];
			static const char *const res[] = {"pass", "fail", "error"};
			json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "name", c->name,
			                      "file", c->pos.file, "line", (json_int_t)c->pos.line, "column",
			                      (json_int_t)c->pos.col, "query", c->query, "expect", c->expect,
			                      "result", res[c->result]);
			json_object_set_new(o, "got", c->got ? json_string(c->got) : json_null());
			json_object_set_new(o, "rule", c->got ? json_rule(s, c->rule) : json_null());
			if (c->result == R_ERROR)
				json_object_set_new(o, "error", json_string(c->why));
			json_array_append_new(arr, o);
		}
	json_t *root = json_pack("{s:s, s:o, s:{s:I, s:I, s:I, s:I}}", "subject", s->path, "tests",
	                         arr, "summary", "total", (json_int_t)t->n, "passed",
	                         (json_int_t)t->pass, "failed", (json_int_t)t->fail, "errors",
	                         (json_int_t)t->error);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

static void xml(const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '&': fputs("&amp;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		case '\n': fputs("&#10;", stdout); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				putchar(*s);
		}
}

static void print_junit(struct arena *a, const struct subject *s, struct tfile *tf, size_t ntf,
                        const struct totals *t)
{
	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"polc test\" "
	       "tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
	       t->n, t->fail, t->error);
	for (size_t f = 0; f < ntf; f++) {
		size_t fail = 0, err = 0;
		for (size_t i = 0; i < tf[f].n; i++) {
			fail += tf[f].v[i].result == R_FAIL;
			err += tf[f].v[i].result == R_ERROR;
		}
		printf("  <testsuite name=\"");
		xml(tf[f].path);
		printf("\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", tf[f].n, fail, err);
		for (size_t i = 0; i < tf[f].n; i++) {
			const struct tcase *c = &tf[f].v[i];
			printf("    <testcase classname=\"");
			xml(tf[f].path);
			printf("\" name=\"");
			xml(c->name);
			printf("\" file=\"");
			xml(c->pos.file);
			printf("\" line=\"%u\"", c->pos.line);
			if (c->result == R_PASS) {
				printf("/>\n");
				continue;
			}
			const char *tag = c->result == R_FAIL ? "failure" : "error";
			printf(">\n      <%s message=\"", tag);
			xml(failure_msg(a, c));
			printf("\">");
			if (c->result == R_FAIL)
				xml(arena_printf(a, "decided by %s",
				                 c->decided ? c->decided : rule_desc(a, s, c->rule)));
			printf("</%s>\n    </testcase>\n", tag);
		}
		printf("  </testsuite>\n");
	}
	printf("</testsuites>\n");
}

/* YAML double-quoted scalar for TAP diagnostics. */
static void yq(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

static void print_tap(struct arena *a, const struct subject *s, struct tfile *tf, size_t ntf,
                      const struct totals *t)
{
	printf("TAP version 13\n1..%zu\n", t->n);
	size_t k = 0;
	for (size_t f = 0; f < ntf; f++)
		for (size_t i = 0; i < tf[f].n; i++) {
			const struct tcase *c = &tf[f].v[i];
			printf("%s %zu - ", c->result == R_PASS ? "ok" : "not ok", ++k);
			for (const char *p = c->name; *p; p++)
				putchar(*p == '#' || *p == '\n' ? ' ' : *p);
			putchar('\n');
			if (c->result == R_PASS)
				continue;
			printf("  ---\n  message: ");
			yq(failure_msg(a, c));
			printf("\n  severity: %s\n  at: ", c->result == R_FAIL ? "fail" : "error");
			yq(arena_printf(a, "%s:%u:%u", c->pos.file, c->pos.line, c->pos.col));
			if (c->result == R_FAIL) {
				printf("\n  expected: ");
				yq(c->expect);
				printf("\n  got: ");
				yq(c->got);
				printf("\n  rule: ");
				yq(c->decided ? c->decided : rule_desc(a, s, c->rule));
			}
			printf("\n  ...\n");
		}
}

int cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, 0, 'f'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *format = "text";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "junit") &&
	    strcmp(format, "tap")) {
		polc_err("test", "unknown format '%s' (text, json, junit, tap)", format);
		return EXIT_USAGE;
	}
	if (argc - optind < 2) {
		polc_err("test", "expected a policy or artifact and at least one test file");
		help(stderr);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0)
		return EXIT_USAGE;
	struct arena *a = arena_new();
	struct load_ctx lc = {.a = a, .d = diag_sink_new(a)};
	struct subject s;
	memset(&s, 0, sizeof(s));
	int rc = EXIT_USAGE;
	char err[512];
	size_t ntf = (size_t)(argc - optind - 1);
	struct tfile *tf = arena_array(a, ntf, sizeof(*tf));
	bool bad = false;
	struct diag_sink *td = diag_sink_new(a);
	for (size_t i = 0; i < ntf; i++)
		bad |= parse_tests(a, td, argv[optind + 1 + i], &tf[i]) < 0;
	if (bad) {
		polc_print_diags(td);
		goto done;
	}
	if (subject_open(&s, &lc, argv[optind], true, err, sizeof(err)) < 0) {
		polc_print_diags(lc.d);
		if (*err)
			polc_err("test", "%s", err);
		goto done;
	}
	struct totals t = {0};
	for (size_t f = 0; f < ntf; f++)
		for (size_t i = 0; i < tf[f].n; i++) {
			struct tcase *tc = &tf[f].v[i];
			run_case(a, &s, tc);
			t.n++;
			t.pass += tc->result == R_PASS;
			t.fail += tc->result == R_FAIL;
			t.error += tc->result == R_ERROR;
		}
	if (strcmp(format, "json") == 0)
		print_json(&s, tf, ntf, &t);
	else if (strcmp(format, "junit") == 0)
		print_junit(a, &s, tf, ntf, &t);
	else if (strcmp(format, "tap") == 0)
		print_tap(a, &s, tf, ntf, &t);
	else
		print_text(a, &s, tf, ntf, &t);
	rc = t.error ? EXIT_USAGE : t.fail ? EXIT_FINDINGS : EXIT_OK;
done:
	subject_free(&s);
	arena_free(a);
	return rc;
}
