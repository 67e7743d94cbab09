/* rego_int.h — internals shared by the Rego compiler (rego_compile.c),
 * evaluator (rego_eval.c), builtins (rego_builtin.c) and lowering
 * (rego_lower.c).  Not for other modules: use rego.h. */
#ifndef POLC_REGO_INT_H
#define POLC_REGO_INT_H

#include "rego.h"

struct rego {
	struct arena *a;
	struct diag_sink *d;
	struct rg_module **mods;
	size_t nmods, capmods;
	const struct rv *data; /* base document */
	struct rg_node *root;  /* `data` */
	struct rg_node **nodes;
	size_t nnodes, capnodes;
	bool compiled, strict;
	const char *first_code; /* OPA code of the first compile error */
	unsigned nerr;
	/* evaluations allocate here when set (callers that evaluate many times
	 * free it between runs), else in a */
	struct arena *eval_a;
};

/* Compile errors: a diagnostic (polc code) plus OPA's code for runners. */
void rc_error(struct rego *r, struct src_pos pos, const char *opa_code, bool unsupported,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Compiles one body in a fresh scope (queries). Returns the frame size, or
 * -1 after rc_error.  names/slots of the query's own vars are returned. */
int rc_compile_query(struct rego *r, struct rg_body *q, const char ***names, int **slots,
                     size_t *nnames);

/* Node of a dotted path below data ("a.b"), or NULL. */
struct rg_node *rc_node_at(struct rego *r, const char *path);

/* ---- builtins ---------------------------------------------------------------- */

struct bctx {
	struct arena *a;
	struct src_pos pos;
	const char *code; /* set on error */
	const char *msg;
};

/* Returns 0 with *out set, 1 for undefined, -1 on error (b->code, b->msg). */
typedef int (*rg_bfn)(struct bctx *b, const struct rv *const *args, const struct rv **out);

struct rg_builtin {
	const char *name;
	int arity;
	rg_bfn fn;
	/* argument that must be known at compile time (a pattern), 1-based; 0 none */
	int const_arg;
};

const struct rg_builtin *rg_builtin_find(const char *name);
/* OPA builtins polc knows of but does not support (http.send, time.now_ns,
 * ...): why, for the E504 message; NULL if the name is unknown. */
const char *rg_builtin_unsupported(const char *name);
int rg_berr(struct bctx *b, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Type error helper: "NAME: operand N must be T but got U". */
int rg_btype(struct bctx *b, const char *name, int operand, const char *want,
             const struct rv *got);

/* Glob matching with OPA's semantics (delimiters; `*` within, `**` across
 * delimiters, `?`, [classes], {alternatives}).  Returns 1 match, 0 no, -1
 * bad pattern. */
int rg_glob_match(const char *pat, size_t plen, const char *const *delims, size_t ndelims,
                  const char *s, size_t slen);
/* IPv4/IPv6 address or CIDR: family 4/6, 16 address bytes, prefix bits. */
bool rg_parse_cidr(const char *s, int *family, unsigned char addr[16], unsigned *prefix);

/* ---- partial evaluation (used by the lowering) ----------------------------- */

enum pc_op {
	PC_EQ, PC_NE, PC_LT, PC_LE, PC_GT, PC_GE,
	PC_IN,       /* v: set of allowed values */
	PC_PREFIX,   /* v: string, or set of strings (any of) */
	PC_SUFFIX,   /* v: string, or set of strings (any of) */
	PC_GLOB,     /* v: pattern, v2: delimiters (array) */
	PC_CIDR,     /* v: CIDR string */
	PC_CONTAINS, /* v: substring */
	PC_DEFAULT,  /* the default of an input-dependent rule was taken */
};

struct pc {
	const char *field; /* "host", "port", ... ("" for input itself) */
	enum pc_op op;
	bool neg;
	const struct rv *v, *v2;
	struct src_pos pos;
	const char *text; /* the literal as written, for messages */
};

/* One branch of a partially evaluated document: the constraints on input
 * under which it has the value v. */
typedef int (*rg_branch_fn)(void *ctx, const struct pc *cons, size_t ncons, const struct rv *v);

/* Enumerates the branches of the document at node (a complete rule or a
 * partial set: one branch per element), with input unknown.  Returns 0, or
 * -1 with *err (code "unsupported" for constructs that cannot be lowered). */
int rg_partial_doc(struct rego *r, struct rg_node *node, rg_branch_fn fn, void *ctx,
                   struct rego_err *err);
/* The same for one rule (with its else chain) of a complete or set node. */
int rg_partial_rule(struct rego *r, struct rg_rule *ru, rg_branch_fn fn, void *ctx,
                    struct rego_err *err);

#endif
