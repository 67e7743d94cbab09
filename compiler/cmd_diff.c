/* cmd_diff.c — `polc diff OLD NEW [--format text|markdown|json]
 *                               [--fail-on any|widen]`
 * OLD and NEW are policies or artifacts.  Two policies are compared on
 * their IR; when either side is an artifact, a policy on the other side is
 * compiled in memory so both answer through the same simulators.
 * exit: 0 same privileges, 1 different (--fail-on widen: only when NEW
 * allows something OLD did not), 2 error. */
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cmd.h"
#include "diff.h"
#include "subject.h"

static void help(FILE *f)
{
	fputs("usage: polc diff OLD NEW [--format text|markdown|json] [--fail-on any|widen]\n\n"
	      "Compare the privileges two policies or artifacts grant: paths and Landlock\n"
	      "rights, syscalls (with their argument conditions), hosts, ports, methods and\n"
	      "paths, bind ports, capabilities, scopes and the minimum Landlock ABI.  The\n"
	      "comparison is semantic: reordering or reformatting a policy shows nothing.\n\n"
	      "  -f, --format FMT     text (default), markdown (for a pull-request comment,\n"
	      "                       widenings first), json\n"
	      "      --fail-on WHAT   any (default): exit 1 on any difference;\n"
	      "                       widen: exit 1 only if NEW allows something OLD did not\n\n"
	      "exit: 0 same privileges, 1 different, 2 error\n",
	      f);
}

static const char *sign(enum diff_kind k)
{
	return k == DIFF_WIDEN ? "+" : k == DIFF_NARROW ? "-" : "~";
}

static const char *rule_str(struct arena *a, const struct diff_rule *r)
{
	if (!r->text)
		return "the default";
	if (!r->pos.file)
		return arena_printf(a, "`%s`", r->text);
	return arena_printf(a, "`%s` at %s:%u:%u", r->text, r->pos.file, r->pos.line, r->pos.col);
}

static void print_text(struct arena *a, const char *old, const char *new_,
                       const struct diff_result *r)
{
	if (r->n == 0)
		printf("no difference in privileges between %s and %s\n", old, new_);
	static const char *const heads[] = {"widened (%s allows what %s did not):\n",
	                                    "narrowed (%s no longer allows what %s did):\n",
	                                    "changed (%s decides differently from %s, no privilege "
	                                    "gained or lost):\n"};
	for (int k = DIFF_WIDEN; k <= DIFF_CHANGE; k++) {
		if (!r->count[k])
			continue;
		printf(heads[k], new_, old);
		for (size_t i = 0; i < r->n; i++) {
			const struct diff_item *it = &r->v[i];
			if ((int)it->kind != k)
				continue;
			printf("  %s %-11s %s: %s", sign(it->kind), diff_domain_name(it->dom), it->subject,
			       it->what);
			if (it->example)
				printf(" (e.g. %s)", it->example);
			putchar('\n');
			if (it->old_cond || it->new_cond) {
				printf("      old rules: %s\n", it->old_cond ? it->old_cond : "-");
				printf("      new rules: %s\n", it->new_cond ? it->new_cond : "-");
			}
			if (it->new_rule.text || it->old_rule.text) {
				if (it->kind != DIFF_NARROW || it->new_rule.text)
					printf("      new: decided by %s\n", rule_str(a, &it->new_rule));
				if (it->kind != DIFF_WIDEN || it->old_rule.text)
					printf("      old: decided by %s\n", rule_str(a, &it->old_rule));
			}
		}
	}
	for (size_t i = 0; i < r->nnotes; i++)
		printf("note: %s\n", r->notes[i]);
	if (r->n)
		printf("%zu difference%s: %zu widening%s, %zu narrowing%s, %zu other change%s\n", r->n,
		       r->n == 1 ? "" : "s", r->count[DIFF_WIDEN], r->count[DIFF_WIDEN] == 1 ? "" : "s",
		       r->count[DIFF_NARROW], r->count[DIFF_NARROW] == 1 ? "" : "s",
		       r->count[DIFF_CHANGE], r->count[DIFF_CHANGE] == 1 ? "" : "s");
}

/* Text for a markdown table cell: no pipes, no newlines, code spans kept
 * balanced by replacing backticks. */
static const char *md(struct arena *a, const char *s)
{
	if (!s)
		return "";
	size_t n = strlen(s);
	char *o = arena_alloc(a, 2 * n + 1), *p = o;
	for (; *s; s++) {
		if (*s == '|')
			*p++ = '\\';
		*p++ = *s == '\n' ? ' ' : *s == '`' ? '\'' : *s;
	}
	*p = '\0';
	return o;
}

static const char *md_rule(struct arena *a, const struct diff_rule *r)
{
	if (!r->text)
		return "default";
	if (!r->pos.file)
		return arena_printf(a, "`%s`", md(a, r->text));
	return arena_printf(a, "`%s` (%s:%u)", md(a, r->text), md(a, r->pos.file), r->pos.line);
}

static void print_markdown(struct arena *a, const char *old, const char *new_,
                           const struct diff_result *r)
{
	printf("## polc diff: `%s` → `%s`\n\n", md(a, old), md(a, new_));
	if (r->n == 0) {
		printf("No difference in privileges.\n");
	} else {
		const char *w = r->count[DIFF_WIDEN] ? "**⚠️ %zu widening%s** (new privileges), "
		                                     : "%zu widening%s, ";
		printf(w, r->count[DIFF_WIDEN], r->count[DIFF_WIDEN] == 1 ? "" : "s");
		printf("%zu narrowing%s, %zu other change%s.\n", r->count[DIFF_NARROW],
		       r->count[DIFF_NARROW] == 1 ? "" : "s", r->count[DIFF_CHANGE],
		       r->count[DIFF_CHANGE] == 1 ? "" : "s");
	}
	static const char *const titles[] = {"### ⚠️ Widenings (newly allowed)",
	                                     "### Narrowings (no longer allowed)",
	                                     "### Other changes (no privilege gained or lost)"};
	for (int k = DIFF_WIDEN; k <= DIFF_CHANGE; k++) {
		if (!r->count[k])
			continue;
		printf("\n%s\n\n| | domain | what | change | example | %s |\n|---|---|---|---|---|---|\n",
		       titles[k], k == DIFF_NARROW ? "was decided by" : "decided by");
		for (size_t i = 0; i < r->n; i++) {
			const struct diff_item *it = &r->v[i];
			if ((int)it->kind != k)
				continue;
			const char *what = it->what;
			if (it->old_cond || it->new_cond)
				what = arena_printf(a, "%s<br>old: `%s`<br>new: `%s`", md(a, it->what),
				                    md(a, it->old_cond), md(a, it->new_cond));
			else
				what = md(a, what);
			printf("| %s | %s | `%s` | %s | %s | %s |\n", k == DIFF_WIDEN ? "⚠️" : sign(it->kind),
			       diff_domain_name(it->dom), md(a, it->subject), what,
			       it->example ? arena_printf(a, "`%s`", md(a, it->example)) : "",
			       md_rule(a, k == DIFF_NARROW ? &it->old_rule : &it->new_rule));
		}
	}
	if (r->nnotes) {
		printf("\n<details><summary>Notes</summary>\n\n");
		for (size_t i = 0; i < r->nnotes; i++)
			printf("- %s\n", md(a, r->notes[i]));
		printf("\n</details>\n");
	}
}

static json_t *json_rule(const struct diff_rule *r)
{
	if (!r->text)
		return json_null();
	return json_pack("{s:s, s:s?, s:I, s:I}", "text", r->text, "file", r->pos.file, "line",
	                 (json_int_t)r->pos.line, "column", (json_int_t)r->pos.col);
}

static void print_json(const char *old, const char *new_, const struct diff_result *r)
{
	json_t *arr = json_array(), *notes = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const struct diff_item *it = &r->v[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "kind", diff_kind_name(it->kind),
		                      "domain", diff_domain_name(it->dom), "subject", it->subject,
		                      "what", it->what);
		json_object_set_new(o, "example", it->example ? json_string(it->example) : json_null());
		if (it->old_cond || it->new_cond) {
			json_object_set_new(o, "old_rules", json_string(it->old_cond ? it->old_cond : ""));
			json_object_set_new(o, "new_rules", json_string(it->new_cond ? it->new_cond : ""));
		}
		json_object_set_new(o, "old_rule", json_rule(&it->old_rule));
		json_object_set_new(o, "new_rule", json_rule(&it->new_rule));
		json_array_append_new(arr, o);
	}
	for (size_t i = 0; i < r->nnotes; i++)
		json_array_append_new(notes, json_string(r->notes[i]));
	json_t *root = json_pack("{s:s, s:s, s:b, s:{s:I, s:I, s:I}, s:o, s:o}", "old", old, "new",
	                         new_, "same", r->n == 0, "summary", "widen",
	                         (json_int_t)r->count[DIFF_WIDEN], "narrow",
	                         (json_int_t)r->count[DIFF_NARROW], "change",
	                         (json_int_t)r->count[DIFF_CHANGE], "changes", arr, "notes", notes);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, 0, 'f'},
	                                     {"fail-on", required_argument, 0, 'F'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *format = "text";
	bool widen_only = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'F':
			if (strcmp(optarg, "widen") == 0)
				widen_only = true;
			else if (strcmp(optarg, "any") != 0) {
				polc_err("diff", "--fail-on: expected any or widen, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (strcmp(format, "text") && strcmp(format, "markdown") && strcmp(format, "md") &&
	    strcmp(format, "json")) {
		polc_err("diff", "unknown format '%s' (text, markdown, json)", format);
		return EXIT_USAGE;
	}
	if (argc - optind != 2) {
		polc_err("diff", "expected two inputs, OLD and NEW");
		help(stderr);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0)
		return EXIT_USAGE;
	const char *oldp = argv[optind], *newp = argv[optind + 1];
	struct arena *a = arena_new();
	struct load_ctx lc = {.a = a, .d = diag_sink_new(a)};
	struct subject so, sn;
	memset(&so, 0, sizeof(so));
	memset(&sn, 0, sizeof(sn));
	int rc = EXIT_USAGE;
	char err[512];
	/* Artifacts on either side: compare through the simulators. */
	bool compile = subject_is_artifact(oldp) || subject_is_artifact(newp);
	struct diff_side dold, dnew;
	struct diff_result r;
	if (subject_open(&so, &lc, oldp, compile, err, sizeof(err)) < 0 ||
	    subject_open(&sn, &lc, newp, compile, err, sizeof(err)) < 0) {
		if (*err)
			polc_err("diff", "%s", err);
		goto done;
	}
	if (compile) {
		if (diff_side_artifact(&dold, a, &so.art, &so.meta, oldp, err, sizeof(err)) < 0 ||
		    diff_side_artifact(&dnew, a, &sn.art, &sn.meta, newp, err, sizeof(err)) < 0) {
			polc_err("diff", "%s", err);
			goto done;
		}
	} else {
		/* The backends' warnings are build's business; their errors stop us. */
		struct diag_sink *bd = diag_sink_new(a);
		if (diff_side_policy(&dold, a, so.p, bd, oldp) < 0 ||
		    diff_side_policy(&dnew, a, sn.p, bd, newp) < 0) {
			polc_print_diags(bd);
			goto done;
		}
	}
	if (diff_run(a, &dold, &dnew, &r, err, sizeof(err)) < 0) {
		polc_err("diff", "%s", err);
		goto done;
	}
	if (strcmp(format, "json") == 0)
		print_json(oldp, newp, &r);
	else if (strcmp(format, "text") == 0)
		print_text(a, oldp, newp, &r);
	else
		print_markdown(a, oldp, newp, &r);
	rc = widen_only ? (r.count[DIFF_WIDEN] ? EXIT_FINDINGS : EXIT_OK)
	                : (r.n ? EXIT_FINDINGS : EXIT_OK);
done:
	/* Warnings from loading (and errors, when it failed) go to stderr. */
	polc_print_diags(lc.d);
	subject_free(&so);
	subject_free(&sn);
	arena_free(a);
	return rc;
}
