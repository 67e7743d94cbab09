/* lint.h — `polc lint`: rules over the IR (catalogue in lint/rules.def).
 *
 * The engine loads each input (following `extends`), runs the rules on the
 * merged policy and, per input file, on that file's own policy (for rules
 * such as unused-extends), then applies inline suppressions
 * (`# polc:ignore RULE reason`) and per-rule levels from a config file.
 * Findings are data: the library never prints.  Every finding carries the
 * source position of the node it is about. */
#ifndef POLC_LINT_H
#define POLC_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "ir.h"

struct arena;
struct load_ctx;

enum lint_level { LINT_OFF, LINT_NOTE, LINT_WARNING, LINT_ERROR };
enum lint_category { LINT_CAT_STRUCT, LINT_CAT_FS, LINT_CAT_PROC, LINT_CAT_NET };

enum lint_rule_id {
#define LINT_RULE(id, name, cat, lvl, sum, why, ex, fix) LINT_##id,
#include "../lint/rules.def"
#undef LINT_RULE
	LINT__COUNT
};

struct lint_rule_info {
	const char *id, *name;
	enum lint_category cat;
	enum lint_level level;
	const char *summary, *rationale, *example, *fix;
};

/* The catalogue, in rules.def order (static storage). */
const struct lint_rule_info *lint_rule_info(enum lint_rule_id r);
/* Looks a rule up by ID ("L201", any case) or name ("fs-write-root"); -1. */
int lint_rule_find(const char *s);
const char *lint_level_name(enum lint_level l);       /* "warning" */
int lint_level_parse(const char *s, enum lint_level *out); /* 0 or -1 */
const char *lint_category_name(enum lint_category c); /* "filesystem" */

/* Per-rule levels, from defaults and a config file. */
struct lint_config {
	enum lint_level level[LINT__COUNT];
	bool fail_level_set;
	enum lint_level fail_level;
	const char *path; /* the file read, or NULL */
};
void lint_config_defaults(struct lint_config *cfg);
/* Reads a `.polc-lint.yaml` (format in lint/README.md) into cfg, on top of
 * what is there.  Returns 0, or -1 after adding diagnostics to d. */
int lint_config_load(struct lint_config *cfg, struct arena *a, struct diag_sink *d,
                     const char *path);
/* The config file that applies in directory dir: dir/.polc-lint.yaml or the
 * nearest one in a parent directory, not looking above a directory that
 * holds `.git`.  Returns an arena string or NULL. */
const char *lint_config_find(struct arena *a, const char *dir);

struct lint_finding {
	int rule;              /* enum lint_rule_id, or -1 for a policy diagnostic */
	enum diag_code code;   /* rule == -1: the diagnostic's code (E100 ...) */
	enum lint_level level; /* after the config is applied */
	struct src_pos pos;
	const char *msg;
	const char *suppressed; /* the suppression's reason, or NULL */
};

struct lint_result {
	struct lint_finding *v; /* sorted by file, line, column, rule */
	size_t n, cap;
	size_t errors;        /* policy diagnostics at error level (parse, schema) */
	size_t count[4];      /* unsuppressed findings per enum lint_level */
	size_t nsuppressed;
};

struct lint_options {
	bool include_stdlib; /* also report findings located in stdlib policies */
};

/* Lints the inputs as one merged policy.  Policy diagnostics (syntax,
 * schema) become findings with rule -1; when there are any, the domain
 * rules still run on whatever loaded.  Memory from the load context's
 * arena.  Returns 0 (findings or not). */
int lint_run(struct load_ctx *c, char *const *paths, int n, const struct lint_config *cfg,
             const struct lint_options *opt, struct lint_result *out);

/* The rules alone, on a finalised policy (unit tests, and lint_run). */
void lint_policy(struct arena *a, const struct ir_policy *p, struct lint_result *out);

/* Display name of a finding's rule: "L201" or the diagnostic code. */
const char *lint_finding_id(const struct lint_finding *f);

#endif
