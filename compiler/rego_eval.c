/* rego_eval.c — the evaluator of polc's Rego subset.
 *
 * Top-down with backtracking, in continuation-passing style: every
 * evaluation step calls a continuation once per solution, and bindings are
 * undone from a trail when it returns.  Continuations return K_MORE (keep
 * enumerating), K_STOP (enough: a negation or `every` found its answer) or
 * K_ERR (an error is in e->err).
 *
 * Semantics follow OPA: undefined is not false; complete rules and
 * functions that produce different values are conflicts; `default` applies
 * when no body succeeds; `else` applies when the bodies before it fail;
 * builtin errors make an expression undefined unless strict, type errors
 * always stop evaluation.
 *
 * The same evaluator does the partial evaluation the lowering needs: with
 * `partial` set, `input` is an unknown (RV_SYM); comparisons and the
 * string/glob/CIDR builtins applied to input fields become constraints on
 * a stack (e->cons) instead of being decided, and anything else that would
 * need input's value is an "unsupported" error naming the construct. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "rego_int.h"

enum { K_MORE = 0, K_STOP = 1, K_ERR = -1 };

/* Evaluation may recurse this many bytes of C stack before it gives up:
 * hostile policies must get an error, not a crash. */
#define EV_STACK_LIMIT (3u << 20)
#define EV_STEP_LIMIT 5000000ul

struct memo {
	unsigned char state; /* 0 unknown, 1 computing, 2 done */
	const struct rv *v;  /* NULL: undefined */
};

struct ev {
	struct rego *r;
	struct arena *a;
	const struct rv *input; /* NULL: undefined */
	const struct rv *data;  /* base document, never NULL */
	struct memo *memo;
	const struct rv ***trail;
	size_t ntrail, captrail;
	bool partial;
	struct pc *cons;
	size_t ncons, capcons;
	unsigned long touched; /* uses of unknown input so far */
	int neg;               /* depth of negations (partial mode) */
	struct rego_err *err;
	bool failed;
	const char *stack_base;
	unsigned long steps;
};

struct frame {
	const struct rv **slots;
	int n;
};

typedef int (*vk)(struct ev *e, const struct rv *v, void *c);
typedef int (*uk)(struct ev *e, void *c);

static int fail(struct ev *e, struct src_pos pos, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct ev *e, struct src_pos pos, const char *code, const char *fmt, ...)
{
	if (e->failed)
		return K_ERR;
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->failed = true;
	e->err->code = code;
	e->err->msg = arena_strdup(e->a, msg);
	e->err->pos = pos;
	return K_ERR;
}

static int too_deep(struct ev *e, struct src_pos pos)
{
	char here;
	if (e->stack_base && (size_t)(e->stack_base - &here) > EV_STACK_LIMIT)
		return fail(e, pos, "unsupported", "policy too complex: evaluation nested too deeply");
	if (++e->steps > EV_STEP_LIMIT)
		return fail(e, pos, "unsupported", "policy too complex: evaluation exceeded %lu steps",
		            EV_STEP_LIMIT);
	return 0;
}

static void bind(struct ev *e, const struct rv **slot, const struct rv *v)
{
	*slot = v;
	*ARENA_PUSH(e->a, e->trail, e->ntrail, e->captrail) = slot;
}

static void undo(struct ev *e, size_t mark)
{
	while (e->ntrail > mark)
		*e->trail[--e->ntrail] = NULL;
}

static const char *tstr(struct ev *e, const struct rg_term *t) { return rg_term_str(e->a, t); }

static struct frame new_frame(struct ev *e, int n)
{
	struct frame f = {arena_array(e->a, (size_t)(n > 0 ? n : 1), sizeof(struct rv *)), n};
	return f;
}

static int ev_term(struct ev *e, struct frame *f, const struct rg_term *t, vk k, void *c);
static int ev_body(struct ev *e, struct frame *f, const struct rg_body *b, size_t i, uk k,
                   void *c);
static int ev_lit(struct ev *e, struct frame *f, const struct rg_lit *l, uk k, void *c);
static int doc_value(struct ev *e, struct rg_node *n, const struct rv **out, struct src_pos pos);
static int ev_unify_tv(struct ev *e, struct frame *f, const struct rg_term *t,
                       const struct rv *v, uk k, void *c);

/* ---- partial evaluation: constraints on input ------------------------------ */

static bool is_sym(const struct rv *v) { return v->kind == RV_SYM; }

static int need_concrete(struct ev *e, const struct rg_term *t, const char *what)
{
	return fail(e, t ? t->pos : src_file(""), "unsupported",
	            "`%s` %s; only comparisons (==, !=, <, <=, >, >=, in) and startswith, endswith, "
	            "glob.match, net.cidr_contains, strings.any_prefix_match and "
	            "strings.any_suffix_match applied to input.host, input.port, input.method or "
	            "input.path can be compiled",
	            t ? tstr(e, t) : "?", what);
}

static int push_pc(struct ev *e, const struct rg_term *t, const char *field, enum pc_op op,
                   bool neg, const struct rv *v, const struct rv *v2)
{
	if (e->neg > 0 && !neg)
		return need_concrete(e, t, "depends on input inside a negation (`not`)");
	struct pc *p = ARENA_PUSH(e->a, e->cons, e->ncons, e->capcons);
	p->field = field;
	p->op = op;
	p->neg = neg;
	p->v = v;
	p->v2 = v2;
	p->pos = t ? t->pos : src_file("");
	p->text = t ? tstr(e, t) : "";
	e->touched++;
	return 0;
}

/* A builtin call on unknown input as a condition: its constraint, or -1 if
 * it is not one (the caller reports). */
static int call_constraint(struct ev *e, const struct rg_term *t, const char *name,
                           const struct rv *const *a, size_t n, bool neg)
{
	static const struct {
		const char *name;
		enum pc_op op, flipped;
	} cmp[] = {
		{"equal", PC_EQ, PC_EQ}, {"neq", PC_NE, PC_NE}, {"lt", PC_LT, PC_GT},
		{"lte", PC_LE, PC_GE},   {"gt", PC_GT, PC_LT},  {"gte", PC_GE, PC_LE},
	};
	for (size_t i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++) {
		if (strcmp(name, cmp[i].name) != 0 || n != 2)
			continue;
		if (is_sym(a[0]) && !rv_is_partial(a[1]))
			return push_pc(e, t, a[0]->u.sym.path, cmp[i].op, neg, a[1], NULL);
		if (is_sym(a[1]) && !rv_is_partial(a[0]))
			return push_pc(e, t, a[1]->u.sym.path, cmp[i].flipped, neg, a[0], NULL);
		return -1;
	}
	if (strcmp(name, "internal.member_2") == 0 && is_sym(a[0]) && !rv_is_partial(a[1])) {
		const struct rv *c = a[1];
		const struct rv *set;
		if (c->kind == RV_SET)
			set = c;
		else if (c->kind == RV_ARRAY)
			set = rv_set(e->a, c->u.arr.items, c->u.arr.n);
		else if (c->kind == RV_OBJECT)
			set = rv_set(e->a, c->u.obj.vals, c->u.obj.n);
		else
			set = rv_set(e->a, NULL, 0);
		return push_pc(e, t, a[0]->u.sym.path, PC_IN, neg, set, NULL);
	}
	if ((strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0 ||
	     strcmp(name, "contains") == 0) &&
	    is_sym(a[0]) && a[1]->kind == RV_STR)
		return push_pc(e, t, a[0]->u.sym.path,
		               name[0] == 's' ? PC_PREFIX : name[0] == 'e' ? PC_SUFFIX : PC_CONTAINS, neg,
		               a[1], NULL);
	if (strcmp(name, "glob.match") == 0 && is_sym(a[2]) && a[0]->kind == RV_STR &&
	    !rv_is_partial(a[1]))
		return push_pc(e, t, a[2]->u.sym.path, PC_GLOB, neg, a[0], a[1]);
	if (strcmp(name, "net.cidr_contains") == 0 && is_sym(a[1]) && a[0]->kind == RV_STR)
		return push_pc(e, t, a[1]->u.sym.path, PC_CIDR, neg, a[0], NULL);
	if ((strcmp(name, "strings.any_prefix_match") == 0 ||
	     strcmp(name, "strings.any_suffix_match") == 0) &&
	    is_sym(a[0]) && !rv_is_partial(a[1])) {
		const struct rv *c = a[1];
		const struct rv *set = c->kind == RV_STR   ? rv_set(e->a, &c, 1)
		                       : c->kind == RV_SET ? c
		                       : c->kind == RV_ARRAY ? rv_set(e->a, c->u.arr.items, c->u.arr.n)
		                                             : NULL;
		if (!set)
			return -1;
		for (size_t i = 0; i < set->u.arr.n; i++)
			if (set->u.arr.items[i]->kind != RV_STR)
				return -1;
		return push_pc(e, t, a[0]->u.sym.path, name[8] == 'a' && name[12] == 'p' ? PC_PREFIX : PC_SUFFIX,
		               neg, set, NULL);
	}
	return -1;
}

/* ---- calls ------------------------------------------------------------------- */

struct listc {
	struct frame *f;
	struct rg_term *const *terms;
	size_t n, i;
	const struct rv **vals;
	uk k;
	void *c;
};

static int list_step(struct ev *e, struct listc *lc);

static int list_got(struct ev *e, const struct rv *v, void *p)
{
	struct listc *lc = p;
	lc->vals[lc->i++] = v;
	int r = list_step(e, lc);
	lc->i--;
	return r;
}

static int list_step(struct ev *e, struct listc *lc)
{
	if (lc->i == lc->n)
		return lc->k(e, lc->c);
	return ev_term(e, lc->f, lc->terms[lc->i], list_got, lc);
}

/* Evaluates terms into vals (every combination), then calls k. */
static int ev_list(struct ev *e, struct frame *f, struct rg_term *const *terms, size_t n,
                   const struct rv **vals, uk k, void *c)
{
	struct listc lc = {f, terms, n, 0, vals, k, c};
	return list_step(e, &lc);
}

struct chainc;
typedef int (*solk)(struct ev *e, struct rg_rule *el, struct frame *f, void *c);

struct chainc {
	struct rg_rule *el;
	struct frame *f;
	const struct rv *const *args;
	size_t argi;
	bool found;
	solk k;
	void *c;
};

static int chain_body_done(struct ev *e, void *p)
{
	struct chainc *cc = p;
	cc->found = true;
	return cc->k(e, cc->el, cc->f, cc->c);
}

static int chain_args(struct ev *e, void *p)
{
	struct chainc *cc = p;
	if (cc->args && cc->argi < cc->el->nargs) {
		size_t i = cc->argi++;
		int r = ev_unify_tv(e, cc->f, cc->el->args[i], cc->args[i], chain_args, cc);
		cc->argi--;
		return r;
	}
	return ev_body(e, cc->f, &cc->el->body, 0, chain_body_done, cc);
}

/* A rule and its `else` chain: the first element whose body succeeds gives
 * the solutions (k once per solution, with the frame to read the head). */
static int ev_chain(struct ev *e, struct rg_rule *ru, const struct rv *const *args, solk k,
                    void *c)
{
	struct frame f = new_frame(e, ru->nslots);
	for (struct rg_rule *el = ru; el; el = el->els) {
		size_t mark = e->ntrail;
		unsigned long touched = e->touched;
		struct chainc cc = {el, &f, args, 0, false, k, c};
		int r = chain_args(e, &cc);
		undo(e, mark);
		/* partially evaluated, a body that tested input may fail for some
		 * requests, and then the else applies: a negation a table lacks */
		if (r != K_ERR && e->partial && e->touched != touched && el->els)
			return fail(e, el->els->pos, "unsupported",
			            "`else` after a body that depends on input cannot be compiled to a "
			            "decision table");
		if (r != K_MORE || cc.found)
			return r;
	}
	return K_MORE;
}

/* Collects distinct values (complete rules, functions). */
struct vals {
	const struct rv **v;
	size_t n, cap;
	struct src_pos pos;
	bool conflict;
};

static void vals_add(struct ev *e, struct vals *vs, const struct rv *v)
{
	for (size_t i = 0; i < vs->n; i++)
		if (rv_eq(vs->v[i], v))
			return;
	*ARENA_PUSH(e->a, vs->v, vs->n, vs->cap) = v;
}

static int collect_v(struct ev *e, const struct rv *v, void *p)
{
	vals_add(e, p, v);
	return K_MORE;
}

static int head_value(struct ev *e, struct rg_rule *el, struct frame *f, void *p)
{
	if (!el->value) {
		vals_add(e, p, RV_TRUE);
		return K_MORE;
	}
	return ev_term(e, f, el->value, collect_v, p);
}

/* Concrete call of a user function: one value or undefined. */
static int func_value(struct ev *e, struct rg_node *n, const struct rv *const *args,
                      const struct rv **out, struct src_pos pos)
{
	struct vals vs = {0};
	for (size_t i = 0; i < n->nrules; i++) {
		int r = ev_chain(e, n->rules[i], args, head_value, &vs);
		if (r == K_ERR)
			return K_ERR;
	}
	if (vs.n > 1)
		return fail(e, pos, "eval_conflict_error",
		            "functions must not produce multiple outputs for same inputs: function %s "
		            "produced conflicting values for the same inputs",
		            n->path);
	*out = vs.n ? vs.v[0] : n->deflt && n->deflt->value ? n->deflt->value->cv : NULL;
	return K_MORE;
}

/* Partial mode: each solution of the function is a branch. */
struct fbranch {
	vk k;
	void *c;
};

static int fbranch_val(struct ev *e, const struct rv *v, void *p)
{
	struct fbranch *fb = p;
	return fb->k(e, v, fb->c);
}

static int fbranch_head(struct ev *e, struct rg_rule *el, struct frame *f, void *p)
{
	struct fbranch *fb = p;
	if (!el->value)
		return fb->k(e, RV_TRUE, fb->c);
	return ev_term(e, f, el->value, fbranch_val, fb);
}

static int func_branches(struct ev *e, struct rg_node *n, const struct rv *const *args,
                         struct src_pos pos, vk k, void *c)
{
	struct fbranch fb = {k, c};
	for (size_t i = 0; i < n->nrules; i++) {
		int r = ev_chain(e, n->rules[i], args, fbranch_head, &fb);
		if (r != K_MORE)
			return r;
	}
	if (n->deflt && n->deflt->value) {
		if (push_pc(e, NULL, "", PC_DEFAULT, false, NULL, NULL) < 0)
			return K_ERR;
		e->cons[e->ncons - 1].pos = n->deflt->pos;
		e->cons[e->ncons - 1].text = n->path;
		int r = k(e, n->deflt->value->cv, c);
		e->ncons--;
		return r;
	}
	return K_MORE;
}

struct callc {
	const struct rg_term *t;
	const struct rv **args;
	bool cond;
	vk k;
	void *c;
};

static const struct rv opaque_v = {.kind = RV_OPAQUE};

static int call_args_done(struct ev *e, void *p)
{
	struct callc *cc = p;
	const struct rg_term *t = cc->t;
	size_t n = t->u.list.n - 1;
	bool partial = false;
	for (size_t i = 0; e->partial && i < n; i++)
		if (rv_is_partial(cc->args[i]))
			partial = true;
	if (t->fn) {
		if (e->partial && (partial || t->fn->input_dep == 2))
			return func_branches(e, t->fn, cc->args, t->pos, cc->k, cc->c);
		const struct rv *v = NULL;
		if (func_value(e, t->fn, cc->args, &v, t->pos) == K_ERR)
			return K_ERR;
		return v ? cc->k(e, v, cc->c) : K_MORE;
	}
	const struct rg_builtin *bi = t->bi;
	if (partial) {
		if (cc->cond) {
			int r = call_constraint(e, t, bi->name, cc->args, n, false);
			if (r == K_ERR)
				return K_ERR;
			if (r == 0) {
				int k2 = cc->k(e, RV_TRUE, cc->c);
				e->ncons--;
				return k2;
			}
		}
		if (strcmp(bi->name, "sprintf") == 0 || strcmp(bi->name, "concat") == 0)
			return cc->k(e, &opaque_v, cc->c); /* a message: its text does not matter */
		return need_concrete(e, t, "uses input in a way that cannot be compiled to a table");
	}
	struct bctx b = {e->a, t->pos, NULL, NULL};
	const struct rv *out = NULL;
	int r = bi->fn(&b, cc->args, &out);
	if (r == 0)
		return cc->k(e, out, cc->c);
	if (r == 1)
		return K_MORE;
	if (strcmp(b.code, "unsupported") != 0 && !e->r->strict)
		return K_MORE; /* OPA: builtin errors make it undefined unless strict */
	return fail(e, t->pos, b.code, "%s", b.msg);
}

static int ev_call(struct ev *e, struct frame *f, const struct rg_term *t, bool cond, vk k,
                   void *c)
{
	if (!t->bi && !t->fn)
		return fail(e, t->pos, "rego_type_error", "undefined function %s", tstr(e, t));
	size_t n = t->u.list.n - 1;
	struct callc cc = {t, arena_array(e->a, n + 1, sizeof(struct rv *)), cond, k, c};
	return ev_list(e, f, t->u.list.elems + 1, n, cc.args, call_args_done, &cc);
}

/* ---- refs and documents ------------------------------------------------------ */

struct cursor {
	const struct rv *v;   /* a value, or */
	struct rg_node *n;    /* a node of the rule tree, with */
	const struct rv *base; /* the base document at the same path (or NULL) */
};

struct refc {
	struct frame *f;
	const struct rg_term *ref;
	vk k;
	void *c;
};

static int ref_walk(struct ev *e, struct refc *rc, size_t i, struct cursor cur);

static bool unbound_var(struct frame *f, const struct rg_term *t)
{
	return t->kind == RG_T_VAR && t->u.var.res == RG_V_LOCAL && !f->slots[t->u.var.slot];
}

static bool has_unbound(struct frame *f, const struct rg_term *t)
{
	switch (t->kind) {
	case RG_T_VAR: return unbound_var(f, t);
	case RG_T_ARRAY:
		for (size_t i = 0; i < t->u.list.n; i++)
			if (has_unbound(f, t->u.list.elems[i]))
				return true;
		return false;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++)
			if (has_unbound(f, t->u.obj.vals[i]))
				return true;
		return false;
	default: return false;
	}
}

/* The document a node stands for: a rule's value, or an object of its
 * children merged with base data. */
static int materialize(struct ev *e, struct rg_node *n, const struct rv *base,
                       const struct rv **out, struct src_pos pos)
{
	if (n->nrules || n->deflt) {
		if (n->kind == RG_R_FUNC) {
			*out = NULL;
			return K_MORE;
		}
		return doc_value(e, n, out, pos);
	}
	size_t cap = n->nkids + (base && base->kind == RV_OBJECT ? base->u.obj.n : 0) + 1;
	const struct rv **ks = arena_array(e->a, cap, sizeof(*ks));
	const struct rv **vs = arena_array(e->a, cap, sizeof(*vs));
	size_t m = 0;
	if (base && base->kind == RV_OBJECT)
		for (size_t i = 0; i < base->u.obj.n; i++) {
			ks[m] = base->u.obj.keys[i];
			vs[m++] = base->u.obj.vals[i];
		}
	else if (base && !n->nkids) {
		*out = base;
		return K_MORE;
	}
	for (size_t i = 0; i < n->nkids; i++) {
		struct rg_node *kid = n->kids[i];
		const struct rv *kname = rv_cstr(e->a, kid->name);
		const struct rv *kb = base ? rv_get(base, kname) : NULL;
		const struct rv *v = NULL;
		if (materialize(e, kid, kb, &v, pos) == K_ERR)
			return K_ERR;
		if (!v)
			continue;
		ks[m] = kname;
		vs[m++] = v;
	}
	*out = rv_object(e->a, ks, vs, m); /* rules win over base data */
	return K_MORE;
}

static bool node_child(struct ev *e, struct cursor cur, const struct rv *key, struct cursor *out)
{
	memset(out, 0, sizeof(*out));
	if (key->kind == RV_STR) {
		for (size_t i = 0; i < cur.n->nkids; i++) {
			struct rg_node *kid = cur.n->kids[i];
			if (strlen(kid->name) == key->u.str.len &&
			    memcmp(kid->name, key->u.str.s, key->u.str.len) == 0) {
				out->n = kid;
				out->base = cur.base ? rv_get(cur.base, key) : NULL;
				return true;
			}
		}
	}
	const struct rv *v = cur.base ? rv_get(cur.base, key) : NULL;
	if (!v)
		return false;
	out->v = v;
	return true;
}

static const struct rv *index_value(struct ev *e, const struct rv *v, const struct rv *key)
{
	int64_t i;
	switch (v->kind) {
	case RV_OBJECT: return rv_get(v, key);
	case RV_ARRAY:
		return rv_int(key, 0, (int64_t)v->u.arr.n - 1, &i) ? v->u.arr.items[i] : NULL;
	case RV_SET: return rv_set_has(v, key) ? key : NULL;
	default: return NULL;
	}
}

struct keyc {
	struct refc *rc;
	size_t i;
	struct cursor cur;
};

static int ref_key_sym(struct ev *e, struct keyc *kc, const struct rv *key, const struct rv *v);

static int ref_key_node(struct ev *e, const struct rv *key, void *p)
{
	struct keyc *kc = p;
	if (rv_is_partial(key)) {
		/* base data only (no rules below): index it like a value */
		if (key->kind == RV_SYM && e->partial && !kc->cur.n->nkids && kc->cur.base)
			return ref_key_sym(e, kc, key, kc->cur.base);
		return need_concrete(e, kc->rc->ref, "indexes rules with a value from input");
	}
	struct cursor next;
	if (!node_child(e, kc->cur, key, &next))
		return K_MORE;
	return ref_walk(e, kc->rc, kc->i + 1, next);
}

/* Partial mode: doc[input.field] over a known collection — one branch per
 * key, under the constraint input.field == key. */
static int ref_key_sym(struct ev *e, struct keyc *kc, const struct rv *key, const struct rv *v)
{
	size_t cnt = v->kind == RV_OBJECT ? v->u.obj.n
	             : (v->kind == RV_ARRAY || v->kind == RV_SET) ? v->u.arr.n
	                                                         : 0;
	for (size_t j = 0; j < cnt; j++) {
		const struct rv *k = v->kind == RV_OBJECT  ? v->u.obj.keys[j]
		                     : v->kind == RV_ARRAY ? rv_num(e->a, (double)j)
		                                           : v->u.arr.items[j];
		const struct rv *child = v->kind == RV_OBJECT  ? v->u.obj.vals[j]
		                         : v->kind == RV_ARRAY ? v->u.arr.items[j]
		                                               : k;
		if (push_pc(e, kc->rc->ref, key->u.sym.path, PC_EQ, false, k, NULL) < 0)
			return K_ERR;
		struct cursor next = {.v = child};
		int r = ref_walk(e, kc->rc, kc->i + 1, next);
		e->ncons--;
		if (r != K_MORE)
			return r;
	}
	return K_MORE;
}

static int ref_key_value(struct ev *e, const struct rv *key, void *p)
{
	struct keyc *kc = p;
	if (key->kind == RV_SYM && e->partial)
		return ref_key_sym(e, kc, key, kc->cur.v);
	if (rv_is_partial(key))
		return need_concrete(e, kc->rc->ref, "indexes a document with a value from input");
	const struct rv *v = index_value(e, kc->cur.v, key);
	if (!v)
		return K_MORE;
	struct cursor next = {.v = v};
	return ref_walk(e, kc->rc, kc->i + 1, next);
}

/* An operand that is a pattern with unbound vars: try every key. */
struct patc {
	struct refc *rc;
	size_t i;
	const struct rv *child;
};

static int ref_pat_next(struct ev *e, void *p)
{
	struct patc *pc = p;
	struct cursor next = {.v = pc->child};
	return ref_walk(e, pc->rc, pc->i + 1, next);
}

/* Partial mode: the elements of an input-dependent partial set, each a
 * branch, indexed by the ref's next operand. */
struct setbr {
	struct refc *rc;
	size_t i;
};

static int setbr_elem(struct ev *e, const struct rv *el, void *p)
{
	struct setbr *sb = p;
	struct rg_term *op = sb->rc->ref->u.list.elems[sb->i];
	if (unbound_var(sb->rc->f, op)) {
		size_t mark = e->ntrail;
		bind(e, &sb->rc->f->slots[op->u.var.slot], el);
		struct cursor next = {.v = el};
		int r = ref_walk(e, sb->rc, sb->i + 1, next);
		undo(e, mark);
		return r;
	}
	struct keyc kc = {sb->rc, sb->i, {.v = rv_set(e->a, &el, 1)}};
	return ev_term(e, sb->rc->f, op, ref_key_value, &kc);
}

static int partial_set_branches(struct ev *e, struct rg_node *n, vk k, void *c);

/* A branch of an input-dependent complete rule: go on from its value. */
static int docbr_val(struct ev *e, const struct rv *v, void *p)
{
	struct setbr *db = p;
	struct cursor next = {.v = v};
	return ref_walk(e, db->rc, db->i, next);
}

static int ref_walk(struct ev *e, struct refc *rc, size_t i, struct cursor cur)
{
	const struct rg_term *ref = rc->ref;
	size_t n = ref->u.list.n;
	if (too_deep(e, ref->pos))
		return K_ERR;
	if (cur.n && (cur.n->nrules || cur.n->deflt)) {
		struct rg_node *nd = cur.n;
		if (nd->kind == RG_R_FUNC)
			return K_MORE;
		if (e->partial && nd->input_dep == 2) {
			if (nd->kind == RG_R_SET && i < n) {
				struct setbr sb = {rc, i};
				return partial_set_branches(e, nd, setbr_elem, &sb);
			}
			if (nd->kind == RG_R_COMPLETE) {
				struct setbr db = {rc, i};
				return func_branches(e, nd, NULL, ref->pos, docbr_val, &db);
			}
			return need_concrete(e, ref,
			                     "uses a document that depends on input as a whole value");
		}
		const struct rv *v = NULL;
		if (doc_value(e, nd, &v, ref->pos) == K_ERR)
			return K_ERR;
		if (!v)
			return K_MORE;
		struct cursor next = {.v = v};
		return ref_walk(e, rc, i, next);
	}
	if (i == n) {
		if (cur.n) {
			const struct rv *v = NULL;
			if (materialize(e, cur.n, cur.base, &v, ref->pos) == K_ERR)
				return K_ERR;
			return v ? rc->k(e, v, rc->c) : K_MORE;
		}
		return rc->k(e, cur.v, rc->c);
	}
	struct rg_term *op = ref->u.list.elems[i];
	if (cur.n) {
		if (unbound_var(rc->f, op)) {
			/* every key: children and base data */
			const struct rv **slot = &rc->f->slots[op->u.var.slot];
			size_t nb = cur.base && cur.base->kind == RV_OBJECT ? cur.base->u.obj.n : 0;
			const struct rv **keys = arena_array(e->a, cur.n->nkids + nb + 1, sizeof(*keys));
			size_t nk = 0;
			for (size_t j = 0; j < cur.n->nkids; j++)
				keys[nk++] = rv_cstr(e->a, cur.n->kids[j]->name);
			for (size_t j = 0; j < nb; j++)
				keys[nk++] = cur.base->u.obj.keys[j];
			const struct rv *ks = rv_set(e->a, keys, nk);
			for (size_t j = 0; j < ks->u.arr.n; j++) {
				struct cursor next;
				if (!node_child(e, cur, ks->u.arr.items[j], &next))
					continue;
				if (next.n && (next.n->nrules || next.n->deflt) && next.n->kind == RG_R_FUNC)
					continue;
				size_t mark = e->ntrail;
				bind(e, slot, ks->u.arr.items[j]);
				int r = ref_walk(e, rc, i + 1, next);
				undo(e, mark);
				if (r != K_MORE)
					return r;
			}
			return K_MORE;
		}
		struct keyc kc = {rc, i, cur};
		return ev_term(e, rc->f, op, ref_key_node, &kc);
	}
	const struct rv *v = cur.v;
	if (v->kind == RV_SYM) {
		if (*v->u.sym.path == '\0' && op->cv && op->cv->kind == RV_STR) {
			const char *field = arena_strndup(e->a, op->cv->u.str.s, op->cv->u.str.len);
			struct cursor next = {.v = rv_sym(e->a, field, op->pos)};
			return ref_walk(e, rc, i + 1, next);
		}
		if (unbound_var(rc->f, op))
			return need_concrete(e, ref, "iterates over input");
		return need_concrete(e, ref, "reads input below its top-level fields");
	}
	if (v->kind == RV_OPAQUE)
		return need_concrete(e, ref, "reads into a message built from input");
	if (unbound_var(rc->f, op)) {
		const struct rv **slot = &rc->f->slots[op->u.var.slot];
		size_t cnt = v->kind == RV_OBJECT ? v->u.obj.n
		             : (v->kind == RV_ARRAY || v->kind == RV_SET) ? v->u.arr.n
		                                                         : 0;
		for (size_t j = 0; j < cnt; j++) {
			const struct rv *key, *child;
			if (v->kind == RV_OBJECT) {
				key = v->u.obj.keys[j];
				child = v->u.obj.vals[j];
			} else if (v->kind == RV_ARRAY) {
				key = rv_num(e->a, (double)j);
				child = v->u.arr.items[j];
			} else {
				key = child = v->u.arr.items[j];
			}
			size_t mark = e->ntrail;
			bind(e, slot, key);
			struct cursor next = {.v = child};
			int r = ref_walk(e, rc, i + 1, next);
			undo(e, mark);
			if (r != K_MORE)
				return r;
		}
		return K_MORE;
	}
	if (has_unbound(rc->f, op)) {
		size_t cnt = v->kind == RV_OBJECT ? v->u.obj.n
		             : (v->kind == RV_ARRAY || v->kind == RV_SET) ? v->u.arr.n
		                                                         : 0;
		for (size_t j = 0; j < cnt; j++) {
			const struct rv *key = v->kind == RV_OBJECT  ? v->u.obj.keys[j]
			                       : v->kind == RV_ARRAY ? rv_num(e->a, (double)j)
			                                             : v->u.arr.items[j];
			struct patc pc = {rc, i,
			                  v->kind == RV_OBJECT  ? v->u.obj.vals[j]
			                  : v->kind == RV_ARRAY ? v->u.arr.items[j]
			                                        : key};
			int r = ev_unify_tv(e, rc->f, op, key, ref_pat_next, &pc);
			if (r != K_MORE)
				return r;
		}
		return K_MORE;
	}
	struct keyc kc = {rc, i, cur};
	return ev_term(e, rc->f, op, ref_key_value, &kc);
}

static int ref_from_head(struct ev *e, const struct rv *v, void *p)
{
	struct refc *rc = p;
	struct cursor cur = {.v = v};
	return ref_walk(e, rc, 1, cur);
}

static int ev_ref(struct ev *e, struct frame *f, const struct rg_term *t, vk k, void *c)
{
	struct refc rc = {f, t, k, c};
	const struct rg_term *h = t->u.list.elems[0];
	if (h->kind == RG_T_VAR && h->u.var.res == RG_V_DATA) {
		struct cursor cur = {.n = e->r->root, .base = e->data};
		return ref_walk(e, &rc, 1, cur);
	}
	return ev_term(e, f, h, ref_from_head, &rc);
}

/* ---- rule documents ------------------------------------------------------ */

struct setc {
	struct vals keys, vals;
	struct rg_node *n;
	bool conflict;
	struct src_pos cpos;
};

static int set_elem(struct ev *e, const struct rv *v, void *p)
{
	struct setc *sc = p;
	*ARENA_PUSH(e->a, sc->keys.v, sc->keys.n, sc->keys.cap) = v;
	return K_MORE;
}

static int set_head(struct ev *e, struct rg_rule *el, struct frame *f, void *p)
{
	return ev_term(e, f, el->key, set_elem, p);
}

struct objkv {
	struct setc *sc;
	const struct rv *key;
	struct rg_rule *el;
};

static int obj_val(struct ev *e, const struct rv *v, void *p)
{
	struct objkv *ok = p;
	struct setc *sc = ok->sc;
	for (size_t i = 0; i < sc->keys.n; i++)
		if (rv_eq(sc->keys.v[i], ok->key)) {
			if (!rv_eq(sc->vals.v[i], v)) {
				sc->conflict = true;
				sc->cpos = ok->el->pos;
			}
			return K_MORE;
		}
	*ARENA_PUSH(e->a, sc->keys.v, sc->keys.n, sc->keys.cap) = ok->key;
	*ARENA_PUSH(e->a, sc->vals.v, sc->vals.n, sc->vals.cap) = v;
	return K_MORE;
}

struct objh {
	struct setc *sc;
	struct rg_rule *el;
	struct frame *f;
};

static int obj_key(struct ev *e, const struct rv *k, void *p)
{
	struct objh *oh = p;
	struct objkv ok = {oh->sc, k, oh->el};
	if (!oh->el->value)
		return obj_val(e, RV_TRUE, &ok);
	return ev_term(e, oh->f, oh->el->value, obj_val, &ok);
}

static int obj_head(struct ev *e, struct rg_rule *el, struct frame *f, void *p)
{
	struct objh oh = {p, el, f};
	return ev_term(e, f, el->key, obj_key, &oh);
}

/* The value of a rule document, computed once per evaluation. */
static int doc_value(struct ev *e, struct rg_node *n, const struct rv **out, struct src_pos pos)
{
	struct memo *m = &e->memo[n->index];
	if (m->state == 2) {
		*out = m->v;
		return K_MORE;
	}
	if (m->state == 1)
		return fail(e, pos, "rego_recursion_error", "rule %s is recursive", n->path);
	m->state = 1;
	const struct rv *v = NULL;
	if (n->kind == RG_R_COMPLETE) {
		struct vals vs = {0};
		for (size_t i = 0; i < n->nrules; i++)
			if (ev_chain(e, n->rules[i], NULL, head_value, &vs) == K_ERR)
				return K_ERR;
		if (vs.n > 1)
			return fail(e, n->rules[n->nrules - 1]->pos, "eval_conflict_error",
			            "complete rules must not produce multiple outputs: rule %s produced "
			            "conflicting values",
			            n->path);
		v = vs.n ? vs.v[0] : n->deflt && n->deflt->value ? n->deflt->value->cv : NULL;
	} else if (n->kind == RG_R_SET) {
		struct setc sc = {.n = n};
		for (size_t i = 0; i < n->nrules; i++)
			if (ev_chain(e, n->rules[i], NULL, set_head, &sc) == K_ERR)
				return K_ERR;
		v = rv_set(e->a, sc.keys.v, sc.keys.n);
	} else if (n->kind == RG_R_OBJ) {
		struct setc sc = {.n = n};
		for (size_t i = 0; i < n->nrules; i++)
			if (ev_chain(e, n->rules[i], NULL, obj_head, &sc) == K_ERR)
				return K_ERR;
		if (sc.conflict)
			return fail(e, sc.cpos, "eval_conflict_error", "object keys must be unique");
		v = rv_object(e->a, sc.keys.v, sc.vals.v, sc.keys.n);
	}
	m->state = 2;
	m->v = v;
	*out = v;
	return K_MORE;
}

static int set_branch_head(struct ev *e, struct rg_rule *el, struct frame *f, void *p)
{
	struct fbranch *fb = p;
	return ev_term(e, f, el->key, fbranch_val, fb);
}

static int partial_set_branches(struct ev *e, struct rg_node *n, vk k, void *c)
{
	struct fbranch fb = {k, c};
	for (size_t i = 0; i < n->nrules; i++) {
		int r = ev_chain(e, n->rules[i], NULL, set_branch_head, &fb);
		if (r != K_MORE)
			return r;
	}
	return K_MORE;
}

/* ---- terms ------------------------------------------------------------------- */

struct compc {
	const struct rg_term *t;
	struct frame *f;
	struct setc sc;
};

static int comp_val(struct ev *e, const struct rv *v, void *p)
{
	struct compc *cc = p;
	*ARENA_PUSH(e->a, cc->sc.keys.v, cc->sc.keys.n, cc->sc.keys.cap) = v;
	return K_MORE;
}

static int comp_kv(struct ev *e, const struct rv *k, void *p)
{
	struct compc *cc = p;
	struct objkv *heap = arena_alloc(e->a, sizeof(*heap));
	heap->sc = &cc->sc;
	heap->key = k;
	heap->el = arena_alloc(e->a, sizeof(*heap->el));
	heap->el->pos = cc->t->pos;
	return ev_term(e, cc->f, cc->t->u.comp.val, obj_val, heap);
}

static int comp_sol(struct ev *e, void *p)
{
	struct compc *cc = p;
	if (cc->t->kind == RG_T_OCOMP)
		return ev_term(e, cc->f, cc->t->u.comp.key, comp_kv, cc);
	return ev_term(e, cc->f, cc->t->u.comp.val, comp_val, cc);
}

static int ev_comp(struct ev *e, struct frame *f, const struct rg_term *t, vk k, void *c)
{
	struct compc cc = {.t = t, .f = f};
	size_t mark = e->ntrail;
	unsigned long touched = e->touched;
	int r = ev_body(e, f, &t->u.comp.body, 0, comp_sol, &cc);
	undo(e, mark);
	if (r == K_ERR)
		return K_ERR;
	if (e->partial && e->touched != touched)
		return need_concrete(e, t, "is a comprehension over input");
	const struct rv *v;
	if (t->kind == RG_T_ACOMP)
		v = rv_array(e->a, cc.sc.keys.v, cc.sc.keys.n);
	else if (t->kind == RG_T_SCOMP)
		v = rv_set(e->a, cc.sc.keys.v, cc.sc.keys.n);
	else {
		if (cc.sc.conflict)
			return fail(e, t->pos, "eval_conflict_error", "object keys must be unique");
		v = rv_object(e->a, cc.sc.keys.v, cc.sc.vals.v, cc.sc.keys.n);
	}
	return k(e, v, c);
}

struct collc {
	const struct rg_term *t;
	const struct rv **vals;
	vk k;
	void *c;
};

static int coll_done(struct ev *e, void *p)
{
	struct collc *cc = p;
	const struct rg_term *t = cc->t;
	const struct rv *v;
	if (t->kind == RG_T_ARRAY)
		v = rv_array(e->a, cc->vals, t->u.list.n);
	else if (t->kind == RG_T_SET)
		v = rv_set(e->a, cc->vals, t->u.list.n);
	else
		v = rv_object(e->a, cc->vals, cc->vals + t->u.obj.n, t->u.obj.n);
	return cc->k(e, v, cc->c);
}

static int ev_term(struct ev *e, struct frame *f, const struct rg_term *t, vk k, void *c)
{
	if (t->cv)
		return k(e, t->cv, c);
	switch (t->kind) {
	case RG_T_VAR:
		switch (t->u.var.res) {
		case RG_V_LOCAL: {
			const struct rv *v = f->slots[t->u.var.slot];
			if (!v)
				return fail(e, t->pos, "rego_unsafe_var_error", "var %s is unsafe",
				            t->u.var.wildcard ? "_" : t->u.var.name);
			return k(e, v, c);
		}
		case RG_V_INPUT: return e->input ? k(e, e->input, c) : K_MORE;
		case RG_V_DATA: {
			const struct rv *v = NULL;
			if (materialize(e, e->r->root, e->data, &v, t->pos) == K_ERR)
				return K_ERR;
			return v ? k(e, v, c) : K_MORE;
		}
		default: return fail(e, t->pos, "rego_compile_error", "unresolved var %s", t->u.var.name);
		}
	case RG_T_REF: return ev_ref(e, f, t, k, c);
	case RG_T_ARRAY:
	case RG_T_SET: {
		struct collc cc = {t, arena_array(e->a, t->u.list.n + 1, sizeof(struct rv *)), k, c};
		return ev_list(e, f, t->u.list.elems, t->u.list.n, cc.vals, coll_done, &cc);
	}
	case RG_T_OBJECT: {
		size_t n = t->u.obj.n;
		struct rg_term **terms = arena_array(e->a, 2 * n + 1, sizeof(*terms));
		memcpy(terms, t->u.obj.keys, n * sizeof(*terms));
		memcpy(terms + n, t->u.obj.vals, n * sizeof(*terms));
		struct collc cc = {t, arena_array(e->a, 2 * n + 1, sizeof(struct rv *)), k, c};
		return ev_list(e, f, terms, 2 * n, cc.vals, coll_done, &cc);
	}
	case RG_T_CALL: return ev_call(e, f, t, false, k, c);
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP: return ev_comp(e, f, t, k, c);
	default: return fail(e, t->pos, "rego_compile_error", "cannot evaluate %s", tstr(e, t));
	}
}

/* ---- unification ------------------------------------------------------------- */

/* Equality as a condition; in partial mode an unknown on one side becomes
 * a constraint. */
static int cond_equal(struct ev *e, const struct rg_term *t, const struct rv *x,
                      const struct rv *y, uk k, void *c)
{
	if (!rv_is_partial(x) && !rv_is_partial(y))
		return rv_eq(x, y) ? k(e, c) : K_MORE;
	const struct rv *args[2] = {x, y};
	int r = call_constraint(e, t, "equal", args, 2, false);
	if (r == K_ERR)
		return K_ERR;
	if (r < 0)
		return need_concrete(e, t, "compares input with something that is not a constant");
	int k2 = k(e, c);
	e->ncons--;
	return k2;
}

struct unic {
	struct frame *f;
	const struct rg_term *t;
	const struct rv *v;
	size_t i;
	uk k;
	void *c;
};

static int uni_cmp(struct ev *e, const struct rv *tv, void *p)
{
	struct unic *u = p;
	return cond_equal(e, u->t, tv, u->v, u->k, u->c);
}

static int uni_arr_step(struct ev *e, void *p)
{
	struct unic *u = p;
	if (u->i == u->t->u.list.n)
		return u->k(e, u->c);
	size_t i = u->i++;
	int r = ev_unify_tv(e, u->f, u->t->u.list.elems[i], u->v->u.arr.items[i], uni_arr_step, u);
	u->i--;
	return r;
}

struct objuc {
	struct unic *u;
	size_t i;
};

static int uni_obj_step(struct ev *e, void *p);

static int uni_obj_key(struct ev *e, const struct rv *key, void *p)
{
	struct objuc *ou = p;
	const struct rv *val = rv_get(ou->u->v, key);
	if (!val)
		return K_MORE;
	struct objuc next = {ou->u, ou->i + 1};
	struct objuc *heap = arena_alloc(e->a, sizeof(*heap));
	*heap = next;
	return ev_unify_tv(e, ou->u->f, ou->u->t->u.obj.vals[ou->i], val, uni_obj_step, heap);
}

static int uni_obj_step(struct ev *e, void *p)
{
	struct objuc *ou = p;
	if (ou->i == ou->u->t->u.obj.n)
		return ou->u->k(e, ou->u->c);
	return ev_term(e, ou->u->f, ou->u->t->u.obj.keys[ou->i], uni_obj_key, ou);
}

static int ev_unify_tv(struct ev *e, struct frame *f, const struct rg_term *t,
                       const struct rv *v, uk k, void *c)
{
	if (t->kind == RG_T_VAR && t->u.var.res == RG_V_LOCAL) {
		const struct rv **slot = &f->slots[t->u.var.slot];
		if (*slot)
			return cond_equal(e, t, *slot, v, k, c);
		size_t mark = e->ntrail;
		bind(e, slot, v);
		int r = k(e, c);
		undo(e, mark);
		return r;
	}
	if (t->kind == RG_T_ARRAY && has_unbound(f, t)) {
		if (v->kind != RV_ARRAY || v->u.arr.n != t->u.list.n)
			return v->kind == RV_SYM ? need_concrete(e, t, "unifies a pattern with input")
			                         : K_MORE;
		struct unic u = {f, t, v, 0, k, c};
		return uni_arr_step(e, &u);
	}
	if (t->kind == RG_T_OBJECT && has_unbound(f, t)) {
		if (v->kind != RV_OBJECT || v->u.obj.n != t->u.obj.n)
			return v->kind == RV_SYM ? need_concrete(e, t, "unifies a pattern with input")
			                         : K_MORE;
		struct unic u = {f, t, v, 0, k, c};
		struct objuc ou = {&u, 0};
		return uni_obj_step(e, &ou);
	}
	struct unic u = {f, t, v, 0, k, c};
	return ev_term(e, f, t, uni_cmp, &u);
}

struct uterm {
	struct frame *f;
	const struct rg_term *other;
	uk k;
	void *c;
};

static int unify_other(struct ev *e, const struct rv *v, void *p)
{
	struct uterm *ut = p;
	return ev_unify_tv(e, ut->f, ut->other, v, ut->k, ut->c);
}

struct pairc {
	struct frame *f;
	const struct rg_term *a, *b;
	size_t i;
	uk k;
	void *c;
};

static int ev_unify(struct ev *e, struct frame *f, const struct rg_term *a,
                    const struct rg_term *b, uk k, void *c);

static int pair_step(struct ev *e, void *p)
{
	struct pairc *pc = p;
	size_t n = pc->a->kind == RG_T_ARRAY ? pc->a->u.list.n : pc->a->u.obj.n;
	if (pc->i == n)
		return pc->k(e, pc->c);
	size_t i = pc->i++;
	int r;
	if (pc->a->kind == RG_T_ARRAY) {
		r = ev_unify(e, pc->f, pc->a->u.list.elems[i], pc->b->u.list.elems[i], pair_step, pc);
	} else {
		/* keys are constants: find the matching key in b */
		const struct rg_term *ka = pc->a->u.obj.keys[i];
		r = K_MORE;
		for (size_t j = 0; j < pc->b->u.obj.n; j++) {
			const struct rg_term *kb = pc->b->u.obj.keys[j];
			if (ka->cv && kb->cv && rv_eq(ka->cv, kb->cv)) {
				r = ev_unify(e, pc->f, pc->a->u.obj.vals[i], pc->b->u.obj.vals[j], pair_step,
				             pc);
				break;
			}
		}
	}
	pc->i--;
	return r;
}

static int ev_unify(struct ev *e, struct frame *f, const struct rg_term *a,
                    const struct rg_term *b, uk k, void *c)
{
	bool fa = has_unbound(f, a), fb = has_unbound(f, b);
	if (fa && fb) {
		if (a->kind == RG_T_ARRAY && b->kind == RG_T_ARRAY) {
			if (a->u.list.n != b->u.list.n)
				return K_MORE;
			struct pairc pc = {f, a, b, 0, k, c};
			return pair_step(e, &pc);
		}
		if (a->kind == RG_T_OBJECT && b->kind == RG_T_OBJECT) {
			if (a->u.obj.n != b->u.obj.n)
				return K_MORE;
			struct pairc pc = {f, a, b, 0, k, c};
			return pair_step(e, &pc);
		}
		const struct rg_term *v = unbound_var(f, a) ? a : b;
		return fail(e, v->pos, "rego_unsafe_var_error", "var %s is unsafe", tstr(e, v));
	}
	struct uterm ut = {f, fa ? a : b, k, c};
	return ev_term(e, f, fa ? b : a, unify_other, &ut);
}

/* ---- literals ------------------------------------------------------------------ */

struct truthc {
	uk k;
	void *c;
	const struct rg_term *t;
};

static int truthy(struct ev *e, const struct rv *v, void *p)
{
	struct truthc *tc = p;
	if (v->kind == RV_BOOL && !v->u.b)
		return K_MORE;
	if (rv_is_partial(v))
		return need_concrete(e, tc->t, "is used as a condition but its value depends on input");
	return tc->k(e, tc->c);
}

static int stop_k(struct ev *e, void *c) { return K_STOP; }

struct somec {
	struct frame *f;
	const struct rg_lit *l;
	uk k;
	void *c;
	const struct rv *val;
};

static int some_val(struct ev *e, void *p)
{
	struct somec *sc = p;
	return ev_unify_tv(e, sc->f, sc->l->val, sc->val, sc->k, sc->c);
}

static int some_coll(struct ev *e, const struct rv *coll, void *p)
{
	struct somec *sc = p;
	const struct rg_lit *l = sc->l;
	if (rv_is_partial(coll))
		return need_concrete(e, l->dom, "iterates over input");
	size_t n = coll->kind == RV_OBJECT ? coll->u.obj.n
	           : (coll->kind == RV_ARRAY || coll->kind == RV_SET) ? coll->u.arr.n
	                                                               : 0;
	for (size_t i = 0; i < n; i++) {
		const struct rv *key, *val;
		if (coll->kind == RV_OBJECT) {
			key = coll->u.obj.keys[i];
			val = coll->u.obj.vals[i];
		} else if (coll->kind == RV_ARRAY) {
			key = rv_num(e->a, (double)i);
			val = coll->u.arr.items[i];
		} else {
			key = val = coll->u.arr.items[i];
		}
		struct somec next = *sc;
		next.val = val;
		int r = l->key ? ev_unify_tv(e, sc->f, l->key, key, some_val, &next)
		               : some_val(e, &next);
		if (r != K_MORE)
			return r;
	}
	return K_MORE;
}

struct everyc {
	struct frame *f;
	const struct rg_lit *l;
	uk k;
	void *c;
	const struct rv *val;
};

static int every_body(struct ev *e, void *p)
{
	struct everyc *ec = p;
	return ev_body(e, ec->f, &ec->l->body, 0, stop_k, NULL);
}

static int every_val(struct ev *e, void *p)
{
	struct everyc *ec = p;
	return ev_unify_tv(e, ec->f, ec->l->val, ec->val, every_body, ec);
}

static int every_coll(struct ev *e, const struct rv *coll, void *p)
{
	struct everyc *ec = p;
	const struct rg_lit *l = ec->l;
	if (rv_is_partial(coll))
		return need_concrete(e, l->dom, "iterates over input (`every`)");
	size_t n = coll->kind == RV_OBJECT ? coll->u.obj.n
	           : (coll->kind == RV_ARRAY || coll->kind == RV_SET) ? coll->u.arr.n
	                                                               : 0;
	for (size_t i = 0; i < n; i++) {
		const struct rv *key, *val;
		if (coll->kind == RV_OBJECT) {
			key = coll->u.obj.keys[i];
			val = coll->u.obj.vals[i];
		} else if (coll->kind == RV_ARRAY) {
			key = rv_num(e->a, (double)i);
			val = coll->u.arr.items[i];
		} else {
			key = val = coll->u.arr.items[i];
		}
		struct everyc next = *ec;
		next.val = val;
		size_t mark = e->ntrail;
		int r = l->key ? ev_unify_tv(e, ec->f, l->key, key, every_val, &next)
		               : every_val(e, &next);
		undo(e, mark);
		if (r == K_ERR)
			return K_ERR;
		if (r != K_STOP)
			return K_MORE; /* this element has no solution: every fails */
	}
	return ec->k(e, ec->c);
}

static int ev_lit_plain(struct ev *e, struct frame *f, const struct rg_lit *l, uk k, void *c)
{
	switch (l->kind) {
	case RG_L_EXPR: {
		struct truthc tc = {k, c, l->a};
		if (l->a->kind == RG_T_CALL)
			return ev_call(e, f, l->a, true, truthy, &tc);
		return ev_term(e, f, l->a, truthy, &tc);
	}
	case RG_L_UNIFY:
	case RG_L_ASSIGN: return ev_unify(e, f, l->a, l->b, k, c);
	case RG_L_SOME_VARS: return k(e, c);
	case RG_L_SOME_IN: {
		struct somec sc = {f, l, k, c, NULL};
		return ev_term(e, f, l->dom, some_coll, &sc);
	}
	case RG_L_EVERY: {
		struct everyc ec = {f, l, k, c, NULL};
		return ev_term(e, f, l->dom, every_coll, &ec);
	}
	}
	return K_MORE;
}

/* `not` over one constraint on input: the negated constraint. */
struct negc {
	const struct rg_term *t;
	const struct rv **args;
	bool done;
	int r;
	uk k;
	void *c;
};

static int neg_args(struct ev *e, void *p)
{
	struct negc *nc = p;
	const struct rg_term *t = nc->t;
	size_t n = t->u.list.n - 1;
	bool partial = false;
	for (size_t i = 0; i < n; i++)
		if (rv_is_partial(nc->args[i]))
			partial = true;
	if (!partial || nc->done)
		return K_STOP; /* not a constraint: evaluate normally */
	int r = call_constraint(e, t, t->bi->name, nc->args, n, true);
	if (r == K_ERR)
		return K_ERR;
	if (r < 0)
		return need_concrete(e, t, "is negated and depends on input in a way that cannot be compiled");
	nc->done = true;
	nc->r = nc->k(e, nc->c);
	e->ncons--;
	return nc->r == K_ERR ? K_ERR : K_STOP;
}

static int ev_not(struct ev *e, struct frame *f, const struct rg_lit *l, uk k, void *c)
{
	if (e->partial && l->kind == RG_L_EXPR && l->a->kind == RG_T_CALL && l->a->bi) {
		size_t n = l->a->u.list.n - 1;
		struct negc nc = {l->a, arena_array(e->a, n + 1, sizeof(struct rv *)), false, 0, k, c};
		size_t mark = e->ntrail;
		e->neg++;
		int r = ev_list(e, f, l->a->u.list.elems + 1, n, nc.args, neg_args, &nc);
		e->neg--;
		undo(e, mark);
		if (r == K_ERR)
			return K_ERR;
		if (nc.done)
			return nc.r;
	}
	size_t mark = e->ntrail;
	if (e->partial)
		e->neg++;
	int r = ev_lit_plain(e, f, l, stop_k, NULL);
	if (e->partial)
		e->neg--;
	undo(e, mark);
	if (r == K_ERR)
		return K_ERR;
	if (r == K_STOP)
		return K_MORE;
	return k(e, c);
}

/* `with`: evaluate the literal with input/data replaced; the rest of the
 * body runs with the original documents. */
struct withenv {
	const struct rv *input, *data;
	struct memo *memo;
};

struct withc {
	struct withenv outer, inner;
	uk k;
	void *c;
};

static void env_set(struct ev *e, const struct withenv *w)
{
	e->input = w->input;
	e->data = w->data;
	e->memo = w->memo;
}

static int with_k(struct ev *e, void *p)
{
	struct withc *wc = p;
	env_set(e, &wc->outer);
	int r = wc->k(e, wc->c);
	env_set(e, &wc->inner);
	return r;
}

/* doc with the value at path (strings) replaced by v. */
static const struct rv *patch(struct ev *e, const struct rv *doc, struct rg_term *const *path,
                              size_t n, const struct rv *v)
{
	if (n == 0)
		return v;
	const struct rv *key = path[0]->cv;
	const struct rv *cur = doc && doc->kind == RV_OBJECT ? rv_get(doc, key) : NULL;
	const struct rv *nv = patch(e, cur, path + 1, n - 1, v);
	size_t m = doc && doc->kind == RV_OBJECT ? doc->u.obj.n : 0;
	const struct rv **ks = arena_array(e->a, m + 1, sizeof(*ks));
	const struct rv **vs = arena_array(e->a, m + 1, sizeof(*vs));
	for (size_t i = 0; i < m; i++) {
		ks[i] = doc->u.obj.keys[i];
		vs[i] = doc->u.obj.vals[i];
	}
	ks[m] = key;
	vs[m] = nv;
	return rv_object(e->a, ks, vs, m + 1);
}

struct withv {
	const struct rv *v;
};

static int with_first(struct ev *e, const struct rv *v, void *p)
{
	((struct withv *)p)->v = v;
	return K_STOP;
}

static int ev_with(struct ev *e, struct frame *f, const struct rg_lit *l, uk k, void *c)
{
	if (e->partial)
		return fail(e, l->pos, "unsupported",
		            "`with` cannot be compiled to a decision table");
	struct withc wc = {{e->input, e->data, e->memo}, {e->input, e->data, NULL}, k, c};
	for (size_t i = 0; i < l->nwiths; i++) {
		const struct rg_with *w = &l->withs[i];
		struct withv wv = {NULL};
		if (ev_term(e, f, w->value, with_first, &wv) == K_ERR)
			return K_ERR;
		if (!wv.v)
			return K_MORE;
		struct rg_term *tg = w->target;
		struct rg_term *const *path = tg->kind == RG_T_REF ? tg->u.list.elems + 1 : NULL;
		size_t np = tg->kind == RG_T_REF ? tg->u.list.n - 1 : 0;
		const char *root = tg->kind == RG_T_VAR ? tg->u.var.name : tg->u.list.elems[0]->u.var.name;
		if (strcmp(root, "input") == 0) {
			wc.inner.input = patch(e, np ? wc.inner.input : NULL, path, np, wv.v);
		} else {
			struct rg_node *n = e->r->root;
			for (size_t j = 0; n && j < np; j++) {
				if (n->nrules || n->deflt)
					return fail(e, w->pos, "unsupported",
					            "`with data...` replacing a rule is outside the supported subset");
				struct rg_node *kid = NULL;
				for (size_t q = 0; q < n->nkids; q++)
					if (path[j]->cv && path[j]->cv->kind == RV_STR &&
					    strlen(n->kids[q]->name) == path[j]->cv->u.str.len &&
					    memcmp(n->kids[q]->name, path[j]->cv->u.str.s, path[j]->cv->u.str.len) == 0)
						kid = n->kids[q];
				n = kid;
			}
			if (n && (n->nrules || n->deflt || n->nkids))
				return fail(e, w->pos, "unsupported",
				            "`with data...` replacing rules is outside the supported subset");
			wc.inner.data = patch(e, wc.inner.data, path, np, wv.v);
		}
	}
	wc.inner.memo = arena_array(e->a, e->r->nnodes + 1, sizeof(struct memo));
	env_set(e, &wc.inner);
	struct rg_lit plain = *l;
	plain.nwiths = 0;
	int r = plain.negated ? ev_not(e, f, &plain, with_k, &wc)
	                      : ev_lit_plain(e, f, &plain, with_k, &wc);
	env_set(e, &wc.outer);
	return r;
}

static int ev_lit(struct ev *e, struct frame *f, const struct rg_lit *l, uk k, void *c)
{
	if (too_deep(e, l->pos))
		return K_ERR;
	if (l->nwiths)
		return ev_with(e, f, l, k, c);
	if (l->negated)
		return ev_not(e, f, l, k, c);
	return ev_lit_plain(e, f, l, k, c);
}

struct bodyc {
	struct frame *f;
	const struct rg_body *b;
	size_t i;
	uk k;
	void *c;
};

static int body_next(struct ev *e, void *p)
{
	struct bodyc *bc = p;
	return ev_body(e, bc->f, bc->b, bc->i, bc->k, bc->c);
}

static int ev_body(struct ev *e, struct frame *f, const struct rg_body *b, size_t i, uk k,
                   void *c)
{
	if (i == b->n)
		return k(e, c);
	struct bodyc bc = {f, b, i + 1, k, c};
	return ev_lit(e, f, b->lits[i], body_next, &bc);
}

/* ---- entry points -------------------------------------------------------------- */

static void ev_init(struct ev *e, struct rego *r, const struct rv *input, struct rego_err *err)
{
	char here;
	memset(e, 0, sizeof(*e));
	e->r = r;
	e->a = r->eval_a ? r->eval_a : r->a;
	e->input = input;
	e->data = r->data ? r->data : rv_object(e->a, NULL, NULL, 0);
	e->memo = arena_array(e->a, r->nnodes + 1, sizeof(struct memo));
	e->err = err;
	e->stack_base = &here;
	memset(err, 0, sizeof(*err));
}

struct qc {
	struct frame *f;
	const char **names;
	int *slots;
	size_t n;
	rego_sol_fn sol;
	void *ctx;
	bool stopped;
};

static int query_sol(struct ev *e, void *p)
{
	struct qc *q = p;
	const struct rv **vals = arena_array(e->a, q->n + 1, sizeof(*vals));
	for (size_t i = 0; i < q->n; i++)
		vals[i] = q->f->slots[q->slots[i]];
	if (q->sol(q->ctx, q->names, vals, q->n)) {
		q->stopped = true;
		return K_STOP;
	}
	return K_MORE;
}

int rego_query(struct rego *r, struct rg_body *q, const struct rv *input, rego_sol_fn sol,
               void *ctx, struct rego_err *err)
{
	memset(err, 0, sizeof(*err));
	const char **names;
	int *slots;
	size_t n;
	const char *before = r->first_code;
	unsigned nerr = r->nerr;
	int nslots = rc_compile_query(r, q, &names, &slots, &n);
	if (nslots < 0) {
		err->code = r->first_code && r->first_code != before ? r->first_code : "rego_compile_error";
		const struct diag *d = diag_count(r->d) ? diag_get(r->d, diag_count(r->d) - 1) : NULL;
		err->msg = d ? d->msg : "query does not compile";
		err->pos = d ? d->pos : src_file("");
		(void)nerr;
		return -1;
	}
	struct ev e;
	ev_init(&e, r, input, err);
	struct frame f = new_frame(&e, nslots);
	struct qc qc = {&f, names, slots, n, sol, ctx, false};
	int rc = ev_body(&e, &f, q, 0, query_sol, &qc);
	return rc == K_ERR ? -1 : 0;
}

int rego_eval_path(struct rego *r, const char *path, const struct rv *input,
                   const struct rv **out, struct rego_err *err)
{
	struct ev e;
	ev_init(&e, r, input, err);
	*out = NULL;
	struct cursor cur = {.n = r->root, .base = e.data};
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *t = strtok_r(buf, ".", &save); t; t = strtok_r(NULL, ".", &save)) {
		const struct rv *key = rv_cstr(e.a, t);
		if (cur.n && (cur.n->nrules || cur.n->deflt)) {
			const struct rv *v = NULL;
			if (doc_value(&e, cur.n, &v, src_file(path)) == K_ERR)
				return -1;
			cur.n = NULL;
			cur.v = v;
		}
		if (cur.n) {
			struct cursor next;
			if (!node_child(&e, cur, key, &next))
				return 0;
			cur = next;
		} else {
			if (!cur.v || !(cur.v = index_value(&e, cur.v, key)))
				return 0;
		}
	}
	if (cur.n)
		return materialize(&e, cur.n, cur.base, out, src_file(path)) == K_ERR ? -1 : 0;
	*out = cur.v;
	return 0;
}

/* ---- partial evaluation entry point ------------------------------------------ */

struct pdc {
	rg_branch_fn fn;
	void *ctx;
};

static int pd_branch(struct ev *e, const struct rv *v, void *p)
{
	struct pdc *pd = p;
	return pd->fn(pd->ctx, e->cons, e->ncons, v) ? K_ERR : K_MORE;
}

int rg_partial_rule(struct rego *r, struct rg_rule *ru, rg_branch_fn fn, void *ctx,
                    struct rego_err *err)
{
	struct ev e;
	ev_init(&e, r, NULL, err);
	e.partial = true;
	e.input = rv_sym(r->a, "", src_file("input"));
	struct pdc pd = {fn, ctx};
	struct fbranch fb = {pd_branch, &pd};
	int rc = ev_chain(&e, ru, NULL, ru->kind == RG_R_SET ? set_branch_head : fbranch_head, &fb);
	if (rc == K_ERR && !e.failed) {
		err->code = "unsupported";
		err->msg = "stopped";
	}
	return rc == K_ERR ? -1 : 0;
}

int rg_partial_doc(struct rego *r, struct rg_node *node, rg_branch_fn fn, void *ctx,
                   struct rego_err *err)
{
	struct ev e;
	ev_init(&e, r, NULL, err);
	e.partial = true;
	e.input = rv_sym(r->a, "", src_file("input"));
	struct pdc pd = {fn, ctx};
	int rc;
	if (node->kind == RG_R_SET) {
		rc = partial_set_branches(&e, node, pd_branch, &pd);
	} else if (node->kind == RG_R_COMPLETE) {
		/* the entry point's own default is "not allowed": no branch */
		struct fbranch fb = {pd_branch, &pd};
		rc = K_MORE;
		for (size_t i = 0; i < node->nrules && rc == K_MORE; i++)
			rc = ev_chain(&e, node->rules[i], NULL, fbranch_head, &fb);
	} else {
		return fail(&e, node->nrules ? node->rules[0]->pos : src_file(""), "unsupported",
		            "%s must be a complete rule or a partial set (contains)", node->path),
		       -1;
	}
	if (rc == K_ERR && !e.failed) {
		err->code = "unsupported";
		err->msg = "stopped";
	}
	return rc == K_ERR ? -1 : 0;
}
