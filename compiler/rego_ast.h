/* rego_ast.h — the Rego subset's syntax tree and values, shared by the
 * parser (rego.y, rego_lex.re), the compiler (rego_compile.c), the
 * evaluator (rego_eval.c, rego_builtin.c) and the lowering (rego_lower.c).
 *
 * Every node keeps its source position.  All memory belongs to an arena:
 * nothing here is freed on its own. */
#ifndef POLC_REGO_AST_H
#define POLC_REGO_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct arena;

/* ---- values ---------------------------------------------------------------- */

/* Kinds in OPA's sort order (null < boolean < number < string < array <
 * object < set), then the two partial-evaluation kinds. */
enum rv_kind {
	RV_NULL,
	RV_BOOL,
	RV_NUM,
	RV_STR,
	RV_ARRAY,
	RV_OBJECT,
	RV_SET,
	RV_SYM,    /* partial evaluation: an unknown input field (`input.host`) */
	RV_OPAQUE, /* partial evaluation: a message built from unknowns */
};

struct rv {
	enum rv_kind kind;
	union {
		bool b;
		double num;
		struct {
			const char *s; /* NUL-terminated; may contain NULs before len */
			size_t len;
		} str;
		struct {
			const struct rv **items; /* ARRAY in order; SET sorted, unique */
			size_t n;
		} arr;
		struct {
			const struct rv **keys, **vals; /* sorted by key, unique */
			size_t n;
		} obj;
		struct {
			const char *path; /* "" for input itself, else "host", ... */
			struct src_pos pos;
		} sym;
	} u;
};

extern const struct rv rv_null_v, rv_true_v, rv_false_v;
#define RV_TRUE (&rv_true_v)
#define RV_FALSE (&rv_false_v)
#define RV_NULLV (&rv_null_v)

const struct rv *rv_bool(bool b);
const struct rv *rv_num(struct arena *a, double d);
const struct rv *rv_str(struct arena *a, const char *s, size_t len);
const struct rv *rv_cstr(struct arena *a, const char *s);
/* items are copied; SET sorts and removes duplicates. */
const struct rv *rv_array(struct arena *a, const struct rv *const *items, size_t n);
const struct rv *rv_set(struct arena *a, const struct rv *const *items, size_t n);
/* Duplicate keys: the last one wins. */
const struct rv *rv_object(struct arena *a, const struct rv *const *keys,
                           const struct rv *const *vals, size_t n);
const struct rv *rv_sym(struct arena *a, const char *path, struct src_pos pos);

/* OPA's total order; 0 means equal (1 == 1.0). */
int rv_cmp(const struct rv *x, const struct rv *y);
static inline bool rv_eq(const struct rv *x, const struct rv *y) { return rv_cmp(x, y) == 0; }
/* Object lookup / set membership; NULL if absent. */
const struct rv *rv_get(const struct rv *obj, const struct rv *key);
bool rv_set_has(const struct rv *set, const struct rv *x);
/* True when v or anything inside it is RV_SYM / RV_OPAQUE. */
bool rv_is_partial(const struct rv *v);
/* Number as an exact integer in [lo, hi]; false otherwise. */
bool rv_int(const struct rv *v, int64_t lo, int64_t hi, int64_t *out);
/* d has no fraction (without libm: polc does not link it). */
static inline bool rv_integral(double d)
{
	if (d != d)
		return false;
	if (d > 9.0e15 || d < -9.0e15)
		return d - d == 0; /* finite and that large: an integer */
	return (double)(long long)d == d;
}
const char *rv_kind_name(enum rv_kind k); /* OPA's type names: "string", ... */

/* Text forms, into arena memory.  rv_json: JSON (sets as arrays, non-string
 * object keys as their JSON text); rv_rego: Rego syntax (sets as {..},
 * set() when empty) as OPA prints terms. */
const char *rv_json(struct arena *a, const struct rv *v);
const char *rv_rego(struct arena *a, const struct rv *v);
/* Appends to a growing string (arena) — helper for the printers. */
struct rstr {
	struct arena *a;
	char *p;
	size_t len, cap;
};
void rstr_add(struct rstr *s, const char *p, size_t n);
void rstr_addc(struct rstr *s, const char *p);
void rstr_printf(struct rstr *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rv_write_rego(struct rstr *s, const struct rv *v);
void rv_write_json(struct rstr *s, const struct rv *v);

/* JSON text (jansson) / a YAML document (libyaml, first document; object
 * keys become strings) to a value; NULL + message on error. */
const struct rv *rv_from_json_text(struct arena *a, const char *text, size_t len, char *err,
                                   size_t errlen);
const struct rv *rv_from_yaml_text(struct arena *a, const char *text, size_t len, char *err,
                                   size_t errlen);

/* ---- syntax tree ----------------------------------------------------------- */

enum rg_tkind {
	RG_T_NULL,
	RG_T_BOOL,
	RG_T_NUM,
	RG_T_STR,
	RG_T_VAR,
	RG_T_REF,    /* elems[0] is the head, then operands ("a.b" -> "b") */
	RG_T_ARRAY,
	RG_T_SET,
	RG_T_OBJECT,
	RG_T_CALL,   /* elems[0] is the operator (var or ref), then arguments */
	RG_T_ACOMP,  /* [val | body] */
	RG_T_SCOMP,  /* {val | body} */
	RG_T_OCOMP,  /* {key: val | body} */
	RG_T_VALUE,  /* a constant folded by the compiler */
};

struct rg_lit;
struct rg_body {
	struct rg_lit **lits;
	size_t n, cap;
	/* filled by the compiler: slots of vars local to this body, so a
	 * comprehension / every / negation can reset them */
	int slot_lo, slot_hi;
};

/* How the compiler resolved a var. */
enum rg_vres {
	RG_V_UNRESOLVED,
	RG_V_LOCAL,  /* slot */
	RG_V_INPUT,  /* the `input` document */
	RG_V_DATA,   /* the `data` document */
	RG_V_GLOBAL, /* a rule or import: replaced by a ref to its path */
};

struct rg_term {
	enum rg_tkind kind;
	struct src_pos pos;
	union {
		bool b;
		struct {
			const char *text;
			double d;
		} num;
		struct {
			const char *s;
			size_t len;
		} str;
		struct {
			const char *name;
			enum rg_vres res;
			int slot;
			bool wildcard; /* `_` */
		} var;
		struct {
			struct rg_term **elems;
			size_t n, cap;
		} list; /* REF, ARRAY, SET, CALL */
		struct {
			struct rg_term **keys, **vals;
			size_t n, cap;
		} obj;
		struct {
			struct rg_term *key, *val;
			struct rg_body body;
		} comp;
		const struct rv *value;
	} u;
	/* CALL, after compiling: the builtin, or the user function's path */
	const struct rg_builtin *bi;
	struct rg_node *fn;
	const struct rv *cv; /* compiler: the value of a constant term */
};

enum rg_lkind {
	RG_L_EXPR,      /* a: its value must be defined and not false */
	RG_L_UNIFY,     /* a = b */
	RG_L_ASSIGN,    /* a := b */
	RG_L_SOME_VARS, /* some x, y */
	RG_L_SOME_IN,   /* some [key,] val in dom */
	RG_L_EVERY,     /* every [key,] val in dom { body } */
};

struct rg_with {
	struct rg_term *target, *value;
	struct src_pos pos;
};

struct rg_lit {
	enum rg_lkind kind;
	bool negated;
	struct src_pos pos;
	struct rg_term *a, *b;               /* EXPR, UNIFY, ASSIGN */
	struct rg_term *key, *val, *dom;     /* SOME_IN, EVERY */
	struct rg_term **vars;               /* SOME_VARS */
	size_t nvars;
	struct rg_body body;                 /* EVERY; NOT over a sub-body */
	struct rg_with *withs;
	size_t nwiths;
};

enum rg_rkind {
	RG_R_COMPLETE, /* p := v / p = v / p */
	RG_R_SET,      /* p contains x */
	RG_R_OBJ,      /* p[k] := v */
	RG_R_FUNC,     /* f(x) := v */
};

struct rg_rule {
	enum rg_rkind kind;
	bool is_default;
	bool has_if;
	bool v0_body; /* body written without `if` (Rego v0) */
	struct src_pos pos;
	struct rg_term *head;   /* var or ref, as written */
	struct rg_term **args;  /* FUNC */
	size_t nargs;
	struct rg_term *key;    /* SET element, OBJ key */
	struct rg_term *value;  /* NULL: true */
	struct rg_body body;    /* n == 0: always true */
	struct rg_rule *els;    /* else chain */
	struct rg_module *mod;
	struct rg_node *node;   /* where it lives in data */
	int nslots;             /* compiler: frame size */
	bool uses_input;        /* compiler: reads input (transitively) */
};

struct rg_import {
	struct rg_term *path; /* ref */
	const char *alias;    /* or the last path element */
	struct src_pos pos;
};

struct rg_module {
	const char *file;
	struct src_pos pos;
	struct rg_term *pkg; /* ref, without the leading data */
	const char **pkg_path;
	size_t npkg;
	struct rg_import *imports;
	size_t nimports, capimports;
	struct rg_rule **rules;
	size_t nrules, caprules;
};

/* The tree of documents under `data` that rules define. */
struct rg_node {
	const char *name; /* path element */
	const char *path; /* "data.a.b" */
	struct rg_node *parent;
	struct rg_node **kids;
	size_t nkids, capkids;
	struct rg_rule **rules; /* definitions of exactly this path */
	size_t nrules, caprules;
	struct rg_rule *deflt;  /* `default` rule */
	enum rg_rkind kind;
	int index;              /* dense id, for memo tables */
	int visiting;           /* recursion check */
	int input_dep;          /* 0 unknown, 1 no, 2 yes */
};

/* ---- arena vectors --------------------------------------------------------- */

void rg_body_push(struct arena *a, struct rg_body *b, struct rg_lit *l);
void rg_list_push(struct arena *a, struct rg_term *t, struct rg_term *e);
void rg_obj_push(struct arena *a, struct rg_term *t, struct rg_term *k, struct rg_term *v);
struct rg_term *rg_term_new(struct arena *a, enum rg_tkind k, struct src_pos pos);
struct rg_lit *rg_lit_new(struct arena *a, enum rg_lkind k, struct src_pos pos);

/* ---- parsing (rego.y) ------------------------------------------------------ */

/* Parses one module.  Reports every syntax error to d (E100) and returns
 * NULL when there was any; the module lives in a. */
struct rg_module *rego_parse_module(struct arena *a, struct diag_sink *d, const char *file,
                                    const char *text, size_t len);
/* Parses a query (a body: literals separated by `;` or newlines). */
struct rg_body *rego_parse_query(struct arena *a, struct diag_sink *d, const char *file,
                                 const char *text, size_t len);

/* Writes a term back as Rego (for messages). */
const char *rg_term_str(struct arena *a, const struct rg_term *t);

#endif
