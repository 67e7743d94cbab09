/* rego.h — polc's Rego subset: compile modules, evaluate queries and
 * documents over concrete input, and lower decision rules to the IR.
 *
 * A `struct rego` holds modules, the base `data` document and the compiled
 * rule tree.  Everything it returns lives in the arena given to
 * rego_new(); nothing is printed: compile problems go to the diag sink
 * (E100 syntax, E504 outside the subset, E100/E504 for OPA compile errors),
 * evaluation problems come back in a struct rego_err. */
#ifndef POLC_REGO_H
#define POLC_REGO_H

#include <stdbool.h>
#include <stddef.h>

#include "rego_ast.h"

struct rego;
struct load_ctx;
struct ir_policy;

/* An evaluation error, with OPA's error code ("eval_conflict_error",
 * "eval_type_error", "eval_builtin_error", "rego_unsafe_var_error",
 * "unsupported", ...) so conformance cases can compare them. */
struct rego_err {
	const char *code;
	const char *msg;
	struct src_pos pos;
};

struct rego *rego_new(struct arena *a, struct diag_sink *d);
void rego_add_module(struct rego *r, struct rg_module *m);
/* The base document under `data` (an object; NULL = {}). */
void rego_set_data(struct rego *r, const struct rv *data);
/* Builtin errors other than type errors make the expression undefined
 * unless strict (OPA's StrictBuiltinErrors). */
void rego_set_strict(struct rego *r, bool strict);
/* Resolves names, orders bodies for safety, checks the subset.  Returns 0,
 * or -1 after adding diagnostics; *code (if non-NULL) gets OPA's code of
 * the first error ("rego_type_error", ..., or "unsupported" for E504). */
int rego_compile(struct rego *r, const char **code);

/* One solution of a query: the query's named variables and their values. */
typedef int (*rego_sol_fn)(void *ctx, const char *const *names, const struct rv *const *vals,
                           size_t n);
/* Compiles and runs a query against input (NULL: undefined).  Calls sol for
 * every solution (a non-zero return stops).  Returns 0, -1 with *err set
 * (evaluation or query compile error). */
int rego_query(struct rego *r, struct rg_body *q, const struct rv *input, rego_sol_fn sol,
               void *ctx, struct rego_err *err);

/* The value of the document at a dotted path under data ("polc.network.allow")
 * for input; *out = NULL when undefined.  Returns 0 or -1 with *err. */
int rego_eval_path(struct rego *r, const char *path, const struct rv *input,
                   const struct rv **out, struct rego_err *err);

/* ---- lowering (rego_lower.c) ------------------------------------------------- */

/* Reads, parses and compiles the policy at path with its data files (as
 * rego_parse does, without lowering); *pkg gets its package ("polc.network").
 * NULL after diagnostics. */
struct rego *rego_load(struct load_ctx *c, const char *path, const char **pkg);

/* The network decision of the policy's entry point for one request, as the
 * evaluator computes it: allowed iff `allow` is true and `deny` is empty.
 * method / path may be NULL (not seen: input has no such field). */
int rego_net_decide(struct rego *r, const char *pkg, const char *host, unsigned port,
                    const char *method, const char *path, bool *allowed, struct rego_err *err);

/* Builds the network table of p's rows and decides, with it and with the
 * evaluator (package pkg), every row boundary: hosts inside and just outside
 * each host pattern, ports at and beside each range edge, every method, and
 * paths from each glob.  Returns 0 when they agree, else -1 after an E900
 * (or E504: the policy fails to evaluate) diagnostic at pos.  rego_parse()
 * runs it on every Rego network policy. */
int rego_net_check(struct rego *r, const char *pkg, const struct ir_policy *p,
                   struct diag_sink *d, struct src_pos pos);

#endif
