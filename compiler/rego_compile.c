/* rego_compile.c — from parsed modules to an evaluable rule tree.
 *
 *  1. place every rule at its path under data (package + head ref);
 *  2. resolve names: locals get frame slots (shadowing rules and imports),
 *     rule names and imports become refs under data/input, calls find their
 *     builtin or user function;
 *  3. fold constant terms;
 *  4. order each body for safety, as OPA does: a literal runs once the
 *     variables it needs are bound, and a variable nothing binds is an
 *     error ("var x is unsafe");
 *  5. refuse recursion, and mark documents that depend on input (for the
 *     lowering).
 * Constructs outside the subset are E504 errors naming the construct. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "rego_int.h"

struct rego *rego_new(struct arena *a, struct diag_sink *d)
{
	struct rego *r = arena_alloc(a, sizeof(*r));
	r->a = a;
	r->d = d;
	r->root = arena_alloc(a, sizeof(*r->root));
	r->root->name = "data";
	r->root->path = "data";
	*ARENA_PUSH(a, r->nodes, r->nnodes, r->capnodes) = r->root;
	return r;
}

void rego_add_module(struct rego *r, struct rg_module *m)
{
	*ARENA_PUSH(r->a, r->mods, r->nmods, r->capmods) = m;
}

void rego_set_data(struct rego *r, const struct rv *data) { r->data = data; }
void rego_set_strict(struct rego *r, bool strict) { r->strict = strict; }

void rc_error(struct rego *r, struct src_pos pos, const char *opa_code, bool unsupported,
              const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r->first_code)
		r->first_code = unsupported ? "unsupported" : opa_code;
	r->nerr++;
	if (unsupported)
		diag_error(r->d, pos, E504, "%s", msg);
	else
		diag_error(r->d, pos, E100, "%s", msg);
}

/* ---- the rule tree --------------------------------------------------------- */

static struct rg_node *node_kid(struct rego *r, struct rg_node *n, const char *name, bool create)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (strcmp(n->kids[i]->name, name) == 0)
			return n->kids[i];
	if (!create)
		return NULL;
	struct rg_node *k = arena_alloc(r->a, sizeof(*k));
	k->name = name;
	k->path = arena_printf(r->a, "%s.%s", n->path, name);
	k->parent = n;
	k->index = (int)r->nnodes;
	*ARENA_PUSH(r->a, r->nodes, r->nnodes, r->capnodes) = k;
	/* keep children sorted: enumeration follows OPA's key order */
	size_t i = n->nkids;
	ARENA_PUSH(r->a, n->kids, n->nkids, n->capkids);
	while (i > 0 && strcmp(n->kids[i - 1]->name, name) > 0) {
		n->kids[i] = n->kids[i - 1];
		i--;
	}
	n->kids[i] = k;
	return k;
}

struct rg_node *rc_node_at(struct rego *r, const char *path)
{
	struct rg_node *n = r->root;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *t = strtok_r(buf, ".", &save); t && n; t = strtok_r(NULL, ".", &save))
		n = node_kid(r, n, t, false);
	return n;
}

static const char *str_of(struct rego *r, const struct rg_term *t)
{
	return arena_strndup(r->a, t->u.str.s, t->u.str.len);
}

/* Package path elements from `package a.b["c"]`. */
static bool pkg_path(struct rego *r, struct rg_module *m)
{
	struct rg_term *p = m->pkg;
	if (!p || p->u.list.n == 0)
		return false;
	m->npkg = p->u.list.n;
	m->pkg_path = arena_array(r->a, m->npkg, sizeof(char *));
	m->pkg_path[0] = p->u.list.elems[0]->u.var.name;
	for (size_t i = 1; i < m->npkg; i++)
		m->pkg_path[i] = str_of(r, p->u.list.elems[i]);
	return true;
}

static struct rg_node *pkg_node(struct rego *r, struct rg_module *m)
{
	struct rg_node *n = r->root;
	for (size_t i = 0; i < m->npkg; i++)
		n = node_kid(r, n, m->pkg_path[i], true);
	return n;
}

static const char *kind_name(enum rg_rkind k)
{
	switch (k) {
	case RG_R_COMPLETE: return "complete";
	case RG_R_SET: return "multi-value (contains)";
	case RG_R_OBJ: return "single-value object (p[k] := v)";
	case RG_R_FUNC: return "function";
	}
	return "?";
}

/* Puts a rule at its path; the head ref decides the kind for `p[x]`. */
static void place_rule(struct rego *r, struct rg_module *m, struct rg_rule *ru)
{
	struct rg_node *n = pkg_node(r, m);
	struct rg_term *h = ru->head;
	if (h->kind == RG_T_VAR) {
		n = node_kid(r, n, h->u.var.name, true);
	} else {
		size_t nops = h->u.list.n;
		n = node_kid(r, n, h->u.list.elems[0]->u.var.name, true);
		for (size_t i = 1; i < nops; i++) {
			struct rg_term *op = h->u.list.elems[i];
			bool last = i + 1 == nops;
			if (op->kind == RG_T_STR) {
				n = node_kid(r, n, str_of(r, op), true);
				continue;
			}
			if (last && ru->kind == RG_R_COMPLETE && !ru->is_default) {
				ru->kind = RG_R_OBJ;
				ru->key = op;
				if (!ru->value) {
					struct rg_term *t = rg_term_new(r->a, RG_T_BOOL, op->pos);
					t->u.b = true;
					ru->value = t;
				}
				break;
			}
			rc_error(r, op->pos, "rego_type_error", true,
			         "rule head `%s`: a variable or computed key may only be the last "
			         "element of a single-value rule's ref (p[k] := v)",
			         rg_term_str(r->a, h));
			return;
		}
	}
	ru->node = n;
	for (struct rg_rule *e = ru->els; e; e = e->els) {
		e->node = n;
		e->kind = ru->kind;
		e->mod = m;
		e->args = ru->args;
		e->nargs = ru->nargs;
	}
	if (ru->is_default) {
		if (ru->kind == RG_R_SET || ru->kind == RG_R_OBJ) {
			rc_error(r, ru->pos, "rego_parse_error", false,
			         "illegal default rule (must be a complete rule or a function)");
			return;
		}
		if (n->deflt) {
			rc_error(r, ru->pos, "rego_type_error", false, "multiple default rules %s found",
			         n->path);
			return;
		}
		n->deflt = ru;
		if (n->nrules && n->kind != ru->kind)
			goto conflict;
		n->kind = ru->kind;
		return;
	}
	if ((n->nrules || n->deflt) && n->kind != ru->kind)
		goto conflict;
	n->kind = ru->kind;
	*ARENA_PUSH(r->a, n->rules, n->nrules, n->caprules) = ru;
	return;
conflict:
	rc_error(r, ru->pos, "rego_type_error", false,
	         "conflicting rules %s found (a %s rule and a %s rule)", n->path,
	         kind_name(n->kind), kind_name(ru->kind));
}

/* ---- name resolution ------------------------------------------------------- */

struct scope {
	struct scope *up;
	int depth;
	const char **names;
	int *slots;
	size_t n, cap, capslots;
};

struct rctx {
	struct rego *r;
	struct rg_module *m; /* NULL for queries */
	struct rg_node *pkg;
	int nslots;
	struct rg_term **first; /* first occurrence of each slot */
	int *depth;             /* depth of the scope that declared it */
	size_t capfirst;
	/* a literal `f(x, out)`: the call may take one extra (output) argument */
	bool allow_out;
	struct rg_term *out_arg;
};

static int scope_find(const struct scope *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return s->slots[i];
	return -1;
}

static int chain_find(const struct scope *s, const char *name)
{
	for (; s; s = s->up) {
		int k = scope_find(s, name);
		if (k >= 0)
			return k;
	}
	return -1;
}

static int declare(struct rctx *c, struct scope *s, struct rg_term *v)
{
	int slot = c->nslots++;
	size_t n = s->n, cap = s->cap;
	*ARENA_PUSH(c->r->a, s->names, s->n, s->cap) = v->u.var.name;
	*ARENA_PUSH(c->r->a, s->slots, n, s->capslots) = slot;
	(void)cap;
	size_t nf = (size_t)slot;
	while (c->capfirst <= nf) {
		size_t nc = c->capfirst ? c->capfirst * 2 : 16;
		c->first = arena_grow(c->r->a, c->first, c->capfirst, nc, sizeof(*c->first));
		c->depth = arena_grow(c->r->a, c->depth, c->capfirst, nc, sizeof(*c->depth));
		c->capfirst = nc;
	}
	c->first[slot] = v;
	c->depth[slot] = s->depth;
	return slot;
}

/* Global names of a module: its imports and the rules of its package. */
static struct rg_import *find_import(struct rctx *c, const char *name)
{
	if (!c->m)
		return NULL;
	for (size_t i = 0; i < c->m->nimports; i++) {
		struct rg_import *im = &c->m->imports[i];
		if (im->alias && strcmp(im->alias, name) == 0)
			return im;
	}
	return NULL;
}

static bool is_global(struct rctx *c, const char *name)
{
	if (strcmp(name, "input") == 0 || strcmp(name, "data") == 0)
		return true;
	if (find_import(c, name))
		return true;
	return c->pkg && node_kid(c->r, c->pkg, name, false) != NULL;
}

static void term_set_var(struct rg_term *t, const char *name, enum rg_vres res)
{
	t->kind = RG_T_VAR;
	t->u.var.name = name;
	t->u.var.res = res;
	t->u.var.slot = -1;
}

/* The ref a global name stands for: data.pkg.name, or an import's path. */
static void global_expansion(struct rctx *c, const char *name, struct src_pos pos,
                             struct rg_term **out, size_t *nout)
{
	struct arena *a = c->r->a;
	struct rg_import *im = find_import(c, name);
	struct rg_term **v;
	size_t n;
	if (im) {
		n = im->path->u.list.n;
		v = arena_array(a, n, sizeof(*v));
		v[0] = rg_term_new(a, RG_T_VAR, pos);
		const char *root = im->path->u.list.elems[0]->u.var.name;
		term_set_var(v[0], root, strcmp(root, "input") == 0 ? RG_V_INPUT : RG_V_DATA);
		for (size_t i = 1; i < n; i++)
			v[i] = im->path->u.list.elems[i];
	} else {
		n = c->m->npkg + 2;
		v = arena_array(a, n, sizeof(*v));
		v[0] = rg_term_new(a, RG_T_VAR, pos);
		term_set_var(v[0], "data", RG_V_DATA);
		for (size_t i = 0; i < c->m->npkg; i++) {
			v[i + 1] = rg_term_new(a, RG_T_STR, pos);
			v[i + 1]->u.str.s = c->m->pkg_path[i];
			v[i + 1]->u.str.len = strlen(c->m->pkg_path[i]);
		}
		v[n - 1] = rg_term_new(a, RG_T_STR, pos);
		v[n - 1]->u.str.s = name;
		v[n - 1]->u.str.len = strlen(name);
	}
	*out = (struct rg_term *)v;
	*nout = n;
}

static void resolve_body(struct rctx *c, struct scope *up, struct rg_body *b,
                         struct rg_term **extra, size_t nextra, struct scope *pre);
static void resolve_term(struct rctx *c, struct scope *s, struct rg_term *t);

/* Vars that a `:=` or `some` declares: plain vars, inside arrays/objects. */
static void declare_pattern(struct rctx *c, struct scope *s, struct rg_term *t, bool assign)
{
	switch (t->kind) {
	case RG_T_VAR:
		if (t->u.var.wildcard) {
			declare(c, s, t);
			return;
		}
		if (scope_find(s, t->u.var.name) >= 0) {
			if (assign)
				rc_error(c->r, t->pos, "rego_compile_error", false, "var %s assigned above",
				         t->u.var.name);
			return;
		}
		declare(c, s, t);
		return;
	case RG_T_ARRAY:
		for (size_t i = 0; i < t->u.list.n; i++)
			declare_pattern(c, s, t->u.list.elems[i], assign);
		return;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++)
			declare_pattern(c, s, t->u.obj.vals[i], assign);
		return;
	default:
		if (assign)
			rc_error(c->r, t->pos, "rego_compile_error", false,
			         "cannot assign to %s", rg_term_str(c->r->a, t));
		return;
	}
}

/* Implicit locals: every name used at this level that is neither visible
 * from an enclosing scope nor a global. Nested bodies are their own level. */
static void implicit_locals(struct rctx *c, struct scope *s, struct rg_term *t)
{
	if (!t)
		return;
	switch (t->kind) {
	case RG_T_VAR:
		if (t->u.var.res != RG_V_UNRESOLVED)
			return;
		if (t->u.var.wildcard)
			return; /* each `_` is declared where it is resolved */
		if (chain_find(s, t->u.var.name) >= 0 || is_global(c, t->u.var.name))
			return;
		declare(c, s, t);
		return;
	case RG_T_REF:
	case RG_T_ARRAY:
	case RG_T_SET:
		for (size_t i = 0; i < t->u.list.n; i++)
			implicit_locals(c, s, t->u.list.elems[i]);
		return;
	case RG_T_CALL:
		for (size_t i = 1; i < t->u.list.n; i++)
			implicit_locals(c, s, t->u.list.elems[i]);
		return;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			implicit_locals(c, s, t->u.obj.keys[i]);
			implicit_locals(c, s, t->u.obj.vals[i]);
		}
		return;
	default: return;
	}
}

static void implicit_lit(struct rctx *c, struct scope *s, struct rg_lit *l)
{
	implicit_locals(c, s, l->a);
	implicit_locals(c, s, l->b);
	implicit_locals(c, s, l->dom);
	if (l->kind == RG_L_SOME_IN) {
		implicit_locals(c, s, l->key);
		implicit_locals(c, s, l->val);
	}
	for (size_t i = 0; i < l->nwiths; i++)
		implicit_locals(c, s, l->withs[i].value);
}

/* Call operator: a user function (rule of the package, import, data ref)
 * or a builtin by its dotted name. */
static void resolve_call(struct rctx *c, struct scope *s, struct rg_term *t)
{
	struct rego *r = c->r;
	struct rg_term *op = t->u.list.elems[0];
	int argc = (int)t->u.list.n - 1;
	bool allow_out = c->allow_out;
	c->allow_out = false;
	char name[256];
	size_t nl = 0;
	const char *head;
	struct rg_term **ops = NULL;
	size_t nops = 0;
	if (op->kind == RG_T_VAR) {
		head = op->u.var.name;
	} else if (op->kind == RG_T_REF && op->u.list.elems[0]->kind == RG_T_VAR) {
		head = op->u.list.elems[0]->u.var.name;
		ops = op->u.list.elems + 1;
		nops = op->u.list.n - 1;
		for (size_t i = 0; i < nops; i++)
			if (ops[i]->kind != RG_T_STR) {
				rc_error(r, op->pos, "rego_type_error", false, "illegal call: %s",
				         rg_term_str(r->a, op));
				return;
			}
	} else {
		rc_error(r, op->pos, "rego_type_error", false, "illegal call operator %s",
		         rg_term_str(r->a, op));
		return;
	}
	nl = (size_t)snprintf(name, sizeof(name), "%s", head);
	for (size_t i = 0; i < nops && nl < sizeof(name); i++)
		nl += (size_t)snprintf(name + nl, sizeof(name) - nl, ".%.*s", (int)ops[i]->u.str.len,
		                       ops[i]->u.str.s);

	/* user functions: data.x.f(), a package rule f(), an imported path */
	struct rg_node *fn = NULL;
	bool user = false;
	if (chain_find(s, head) >= 0) {
		rc_error(r, op->pos, "rego_type_error", false, "%s is a variable, not a function", head);
		return;
	}
	if (strcmp(head, "data") == 0) {
		user = true;
		fn = r->root;
	} else if (find_import(c, head)) {
		struct rg_import *im = find_import(c, head);
		user = true;
		fn = r->root;
		if (strcmp(im->path->u.list.elems[0]->u.var.name, "data") != 0)
			fn = NULL;
		for (size_t i = 1; fn && i < im->path->u.list.n; i++)
			fn = node_kid(r, fn, str_of(r, im->path->u.list.elems[i]), false);
	} else if (c->pkg && node_kid(r, c->pkg, head, false)) {
		user = true;
		fn = node_kid(r, c->pkg, head, false);
	}
	if (user) {
		for (size_t i = 0; fn && i < nops; i++)
			fn = node_kid(r, fn, str_of(r, ops[i]), false);
		if (!fn || fn->kind != RG_R_FUNC || !(fn->nrules || fn->deflt)) {
			rc_error(r, op->pos, "rego_type_error", false, "undefined function %s",
			         rg_term_str(r->a, op));
			return;
		}
		struct rg_rule *any = fn->nrules ? fn->rules[0] : fn->deflt;
		if (allow_out && (int)any->nargs + 1 == argc) {
			c->out_arg = t->u.list.elems[argc];
			t->u.list.n--;
			argc--;
		}
		if ((int)any->nargs != argc) {
			rc_error(r, op->pos, "rego_type_error", false,
			         "%s: arity mismatch (function takes %zu arguments, called with %d)",
			         rg_term_str(r->a, op), any->nargs, argc);
			return;
		}
		t->fn = fn;
	} else {
		const struct rg_builtin *bi = rg_builtin_find(name);
		if (!bi) {
			const char *why = rg_builtin_unsupported(name);
			if (why)
				rc_error(r, op->pos, "unsupported", true,
				         "builtin `%s` is outside the supported Rego subset: %s", name,
				         why);
			else
				rc_error(r, op->pos, "rego_type_error", false, "undefined function %s",
				         name);
			return;
		}
		if (allow_out && bi->arity + 1 == argc) {
			c->out_arg = t->u.list.elems[argc];
			t->u.list.n--;
			argc--;
		}
		if (bi->arity != argc) {
			rc_error(r, op->pos, "rego_type_error", false,
			         "%s: arity mismatch (takes %d arguments, called with %d)", name,
			         bi->arity, argc);
			return;
		}
		t->bi = bi;
	}
	for (size_t i = 1; i < t->u.list.n; i++)
		resolve_term(c, s, t->u.list.elems[i]);
}

static void resolve_term(struct rctx *c, struct scope *s, struct rg_term *t)
{
	if (!t)
		return;
	switch (t->kind) {
	case RG_T_VAR: {
		if (t->u.var.res != RG_V_UNRESOLVED)
			return;
		if (t->u.var.wildcard) {
			t->u.var.res = RG_V_LOCAL;
			t->u.var.slot = declare(c, s, t);
			return;
		}
		int slot = chain_find(s, t->u.var.name);
		if (slot >= 0) {
			t->u.var.res = RG_V_LOCAL;
			t->u.var.slot = slot;
			return;
		}
		if (strcmp(t->u.var.name, "input") == 0) {
			t->u.var.res = RG_V_INPUT;
			return;
		}
		if (strcmp(t->u.var.name, "data") == 0) {
			t->u.var.res = RG_V_DATA;
			return;
		}
		if (is_global(c, t->u.var.name)) {
			struct rg_term *v;
			size_t n;
			global_expansion(c, t->u.var.name, t->pos, &v, &n);
			struct rg_term **elems = (struct rg_term **)v;
			if (n == 1) {
				*t = *elems[0];
				return;
			}
			const char *nm = t->u.var.name;
			(void)nm;
			t->kind = RG_T_REF;
			t->u.list.elems = elems;
			t->u.list.n = n;
			t->u.list.cap = n;
			return;
		}
		/* should have been declared by implicit_locals */
		t->u.var.res = RG_V_LOCAL;
		t->u.var.slot = declare(c, s, t);
		return;
	}
	case RG_T_REF: {
		struct rg_term *h = t->u.list.elems[0];
		resolve_term(c, s, h);
		if (h->kind == RG_T_REF) {
			/* a global name expanded to a ref: splice */
			size_t n = h->u.list.n + t->u.list.n - 1;
			struct rg_term **v = arena_array(c->r->a, n, sizeof(*v));
			memcpy(v, h->u.list.elems, h->u.list.n * sizeof(*v));
			memcpy(v + h->u.list.n, t->u.list.elems + 1, (t->u.list.n - 1) * sizeof(*v));
			t->u.list.elems = v;
			t->u.list.n = t->u.list.cap = n;
			for (size_t i = h->u.list.n; i < n; i++)
				resolve_term(c, s, v[i]);
			return;
		}
		for (size_t i = 1; i < t->u.list.n; i++)
			resolve_term(c, s, t->u.list.elems[i]);
		return;
	}
	case RG_T_ARRAY:
	case RG_T_SET:
		for (size_t i = 0; i < t->u.list.n; i++)
			resolve_term(c, s, t->u.list.elems[i]);
		return;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			resolve_term(c, s, t->u.obj.keys[i]);
			resolve_term(c, s, t->u.obj.vals[i]);
		}
		return;
	case RG_T_CALL: resolve_call(c, s, t); return;
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP: {
		struct rg_term *extra[2] = {t->u.comp.key, t->u.comp.val};
		resolve_body(c, s, &t->u.comp.body, extra, 2, NULL);
		return;
	}
	default: return;
	}
}

static void resolve_lit(struct rctx *c, struct scope *s, struct rg_lit *l)
{
	switch (l->kind) {
	case RG_L_EXPR:
		if (l->a->kind == RG_T_CALL) {
			/* f(x, out) is out = f(x) */
			c->allow_out = true;
			c->out_arg = NULL;
			resolve_term(c, s, l->a);
			c->allow_out = false;
			if (c->out_arg) {
				struct rg_term *out = c->out_arg;
				c->out_arg = NULL;
				resolve_term(c, s, out);
				l->kind = RG_L_UNIFY;
				l->b = l->a;
				l->a = out;
			}
			break;
		}
		resolve_term(c, s, l->a);
		break;
	case RG_L_UNIFY:
	case RG_L_ASSIGN:
		resolve_term(c, s, l->a);
		resolve_term(c, s, l->b);
		break;
	case RG_L_SOME_VARS:
		for (size_t i = 0; i < l->nvars; i++)
			resolve_term(c, s, l->vars[i]);
		break;
	case RG_L_SOME_IN:
		resolve_term(c, s, l->dom);
		resolve_term(c, s, l->key);
		resolve_term(c, s, l->val);
		break;
	case RG_L_EVERY: {
		resolve_term(c, s, l->dom);
		struct scope *in = arena_alloc(c->r->a, sizeof(*in));
		in->up = s;
		in->depth = s->depth + 1;
		int lo = c->nslots;
		if (l->key)
			declare_pattern(c, in, l->key, false);
		declare_pattern(c, in, l->val, false);
		resolve_term(c, in, l->key);
		resolve_term(c, in, l->val);
		resolve_body(c, s, &l->body, NULL, 0, in);
		l->body.slot_lo = lo;
		break;
	}
	}
	for (size_t i = 0; i < l->nwiths; i++) {
		struct rg_term *tg = l->withs[i].target;
		const char *root = tg->kind == RG_T_VAR   ? tg->u.var.name
		                   : tg->kind == RG_T_REF ? (tg->u.list.elems[0]->kind == RG_T_VAR
		                                                 ? tg->u.list.elems[0]->u.var.name
		                                                 : "")
		                                          : "";
		if (strcmp(root, "input") != 0 && strcmp(root, "data") != 0) {
			rc_error(c->r, l->withs[i].pos, "unsupported", true,
			         "`with %s as ...` (replacing functions or builtins) is outside the "
			         "supported subset; only `with input...` and `with data...` are",
			         rg_term_str(c->r->a, tg));
			continue;
		}
		if (tg->kind == RG_T_VAR)
			tg->u.var.res = strcmp(root, "input") == 0 ? RG_V_INPUT : RG_V_DATA;
		else
			tg->u.list.elems[0]->u.var.res =
				strcmp(root, "input") == 0 ? RG_V_INPUT : RG_V_DATA;
		for (size_t j = 1; tg->kind == RG_T_REF && j < tg->u.list.n; j++)
			if (tg->u.list.elems[j]->kind != RG_T_STR)
				rc_error(c->r, l->withs[i].pos, "rego_type_error", false,
				         "with target %s must be a ref of strings",
				         rg_term_str(c->r->a, tg));
		resolve_term(c, s, l->withs[i].value);
	}
}

/* A body is a scope: declarations first (`some`, `:=`), then implicit
 * locals, then everything resolves.  extra terms (a comprehension's head)
 * belong to the body's scope. */
static void resolve_body(struct rctx *c, struct scope *up, struct rg_body *b,
                         struct rg_term **extra, size_t nextra, struct scope *pre)
{
	struct scope *s = pre;
	if (!s) {
		s = arena_alloc(c->r->a, sizeof(*s));
		s->up = up;
		s->depth = up ? up->depth + 1 : 0;
	}
	if (!pre)
		b->slot_lo = c->nslots;
	for (size_t i = 0; i < b->n; i++) {
		struct rg_lit *l = b->lits[i];
		if (l->kind == RG_L_SOME_VARS)
			for (size_t j = 0; j < l->nvars; j++) {
				if (scope_find(s, l->vars[j]->u.var.name) >= 0 && !l->vars[j]->u.var.wildcard)
					continue;
				declare(c, s, l->vars[j]);
			}
		else if (l->kind == RG_L_SOME_IN) {
			if (l->key)
				declare_pattern(c, s, l->key, false);
			declare_pattern(c, s, l->val, false);
		} else if (l->kind == RG_L_ASSIGN)
			declare_pattern(c, s, l->a, true);
	}
	for (size_t i = 0; i < b->n; i++)
		implicit_lit(c, s, b->lits[i]);
	for (size_t i = 0; i < nextra; i++)
		implicit_locals(c, s, extra[i]);
	for (size_t i = 0; i < b->n; i++)
		resolve_lit(c, s, b->lits[i]);
	for (size_t i = 0; i < nextra; i++)
		resolve_term(c, s, extra[i]);
	b->slot_hi = c->nslots;
}

/* ---- constants ------------------------------------------------------------- */

static void fold(struct rego *r, struct rg_term *t);

static void fold_body(struct rego *r, struct rg_body *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct rg_lit *l = b->lits[i];
		fold(r, l->a);
		fold(r, l->b);
		fold(r, l->key);
		fold(r, l->val);
		fold(r, l->dom);
		for (size_t j = 0; j < l->nwiths; j++) {
			fold(r, l->withs[j].target);
			fold(r, l->withs[j].value);
		}
		fold_body(r, &l->body);
	}
}

static void fold(struct rego *r, struct rg_term *t)
{
	if (!t)
		return;
	switch (t->kind) {
	case RG_T_NULL: t->cv = RV_NULLV; return;
	case RG_T_BOOL: t->cv = rv_bool(t->u.b); return;
	case RG_T_NUM: t->cv = rv_num(r->a, t->u.num.d); return;
	case RG_T_STR: t->cv = rv_str(r->a, t->u.str.s, t->u.str.len); return;
	case RG_T_VALUE: t->cv = t->u.value; return;
	case RG_T_ARRAY:
	case RG_T_SET: {
		bool all = true;
		const struct rv **v = arena_array(r->a, t->u.list.n + 1, sizeof(*v));
		for (size_t i = 0; i < t->u.list.n; i++) {
			fold(r, t->u.list.elems[i]);
			if (!(v[i] = t->u.list.elems[i]->cv))
				all = false;
		}
		if (all)
			t->cv = t->kind == RG_T_ARRAY ? rv_array(r->a, v, t->u.list.n)
			                              : rv_set(r->a, v, t->u.list.n);
		return;
	}
	case RG_T_OBJECT: {
		bool all = true;
		const struct rv **k = arena_array(r->a, t->u.obj.n + 1, sizeof(*k));
		const struct rv **v = arena_array(r->a, t->u.obj.n + 1, sizeof(*v));
		for (size_t i = 0; i < t->u.obj.n; i++) {
			fold(r, t->u.obj.keys[i]);
			fold(r, t->u.obj.vals[i]);
			if (!(k[i] = t->u.obj.keys[i]->cv) || !(v[i] = t->u.obj.vals[i]->cv))
				all = false;
		}
		if (all)
			t->cv = rv_object(r->a, k, v, t->u.obj.n);
		return;
	}
	case RG_T_REF:
	case RG_T_CALL:
		for (size_t i = 0; i < t->u.list.n; i++)
			fold(r, t->u.list.elems[i]);
		return;
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP:
		fold(r, t->u.comp.key);
		fold(r, t->u.comp.val);
		fold_body(r, &t->u.comp.body);
		return;
	default: return;
	}
}

/* ---- safety: order literals so every variable is bound before use ---------- */

struct vset {
	unsigned char *b;
	int n;
};

static struct vset vs_new(struct arena *a, int n)
{
	struct vset v = {arena_alloc(a, (size_t)(n > 0 ? n : 1)), n};
	return v;
}

static void vs_add(struct vset *v, int slot)
{
	if (slot >= 0 && slot < v->n)
		v->b[slot] = 1;
}


struct lv {
	struct vset need, out, pat_a, pat_b, all;
};

enum { M_IN, M_PAT_A, M_PAT_B };

static void an_body_free(struct rg_body *b, int lo, int hi, struct lv *lv);
/* Free variables of a nested body (slots outside [lo, hi)) are needed. */
static void an_free_term(struct rg_term *t, int lo, int hi, struct lv *lv);

static void an_term(struct rg_term *t, int mode, struct lv *lv)
{
	if (!t)
		return;
	switch (t->kind) {
	case RG_T_VAR:
		if (t->u.var.res != RG_V_LOCAL)
			return;
		vs_add(&lv->all, t->u.var.slot);
		if (mode == M_PAT_A)
			vs_add(&lv->pat_a, t->u.var.slot);
		else if (mode == M_PAT_B)
			vs_add(&lv->pat_b, t->u.var.slot);
		else
			vs_add(&lv->need, t->u.var.slot);
		return;
	case RG_T_REF:
		an_term(t->u.list.elems[0], M_IN, lv);
		for (size_t i = 1; i < t->u.list.n; i++) {
			struct rg_term *op = t->u.list.elems[i];
			if (op->kind == RG_T_VAR && op->u.var.res == RG_V_LOCAL) {
				vs_add(&lv->out, op->u.var.slot);
				vs_add(&lv->all, op->u.var.slot);
			} else {
				an_term(op, M_IN, lv);
			}
		}
		return;
	case RG_T_ARRAY:
		for (size_t i = 0; i < t->u.list.n; i++)
			an_term(t->u.list.elems[i], mode, lv);
		return;
	case RG_T_SET:
		for (size_t i = 0; i < t->u.list.n; i++)
			an_term(t->u.list.elems[i], M_IN, lv);
		return;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			an_term(t->u.obj.keys[i], M_IN, lv);
			an_term(t->u.obj.vals[i], mode, lv);
		}
		return;
	case RG_T_CALL:
		for (size_t i = 1; i < t->u.list.n; i++)
			an_term(t->u.list.elems[i], M_IN, lv);
		return;
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP: {
		int lo = t->u.comp.body.slot_lo, hi = t->u.comp.body.slot_hi;
		an_body_free(&t->u.comp.body, lo, hi, lv);
		an_free_term(t->u.comp.key, lo, hi, lv);
		an_free_term(t->u.comp.val, lo, hi, lv);
		return;
	}
	default: return;
	}
}

static void an_free_lit(struct rg_lit *l, int lo, int hi, struct lv *lv)
{
	an_free_term(l->a, lo, hi, lv);
	an_free_term(l->b, lo, hi, lv);
	an_free_term(l->key, lo, hi, lv);
	an_free_term(l->val, lo, hi, lv);
	an_free_term(l->dom, lo, hi, lv);
	for (size_t i = 0; i < l->nvars; i++)
		an_free_term(l->vars[i], lo, hi, lv);
	for (size_t i = 0; i < l->nwiths; i++)
		an_free_term(l->withs[i].value, lo, hi, lv);
	an_body_free(&l->body, lo, hi, lv);
}

static void an_body_free(struct rg_body *b, int lo, int hi, struct lv *lv)
{
	for (size_t i = 0; i < b->n; i++)
		an_free_lit(b->lits[i], lo, hi, lv);
}

static void an_free_term(struct rg_term *t, int lo, int hi, struct lv *lv)
{
	if (!t)
		return;
	switch (t->kind) {
	case RG_T_VAR:
		if (t->u.var.res == RG_V_LOCAL && (t->u.var.slot < lo || t->u.var.slot >= hi)) {
			vs_add(&lv->need, t->u.var.slot);
			vs_add(&lv->all, t->u.var.slot);
		}
		return;
	case RG_T_REF:
	case RG_T_ARRAY:
	case RG_T_SET:
	case RG_T_CALL:
		for (size_t i = 0; i < t->u.list.n; i++)
			an_free_term(t->u.list.elems[i], lo, hi, lv);
		return;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			an_free_term(t->u.obj.keys[i], lo, hi, lv);
			an_free_term(t->u.obj.vals[i], lo, hi, lv);
		}
		return;
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP:
		an_free_term(t->u.comp.key, lo, hi, lv);
		an_free_term(t->u.comp.val, lo, hi, lv);
		an_body_free(&t->u.comp.body, lo, hi, lv);
		return;
	default: return;
	}
}

static struct lv lv_new(struct arena *a, int n)
{
	struct lv l = {vs_new(a, n), vs_new(a, n), vs_new(a, n), vs_new(a, n), vs_new(a, n)};
	return l;
}

static void an_lit(struct rg_lit *l, struct lv *lv)
{
	switch (l->kind) {
	case RG_L_EXPR: an_term(l->a, M_IN, lv); break;
	case RG_L_UNIFY:
	case RG_L_ASSIGN:
		an_term(l->a, M_PAT_A, lv);
		an_term(l->b, M_PAT_B, lv);
		break;
	case RG_L_SOME_VARS: break;
	case RG_L_SOME_IN:
		an_term(l->dom, M_IN, lv);
		an_term(l->key, M_PAT_A, lv);
		an_term(l->val, M_PAT_A, lv);
		break;
	case RG_L_EVERY:
		an_term(l->dom, M_IN, lv);
		an_body_free(&l->body, l->body.slot_lo, l->body.slot_hi, lv);
		break;
	}
	for (size_t i = 0; i < l->nwiths; i++)
		an_term(l->withs[i].value, M_IN, lv);
}

struct safety {
	struct rego *r;
	struct rctx *c;
	int nslots;
};

static const char *slot_name(struct safety *sf, int slot)
{
	struct rg_term *v = slot < (int)sf->c->capfirst ? sf->c->first[slot] : NULL;
	if (!v)
		return "?";
	return v->u.var.wildcard ? "_" : v->u.var.name;
}

static struct src_pos slot_pos(struct safety *sf, int slot, struct src_pos dflt)
{
	struct rg_term *v = slot < (int)sf->c->capfirst ? sf->c->first[slot] : NULL;
	return v ? v->pos : dflt;
}

static void order_body(struct safety *sf, struct rg_body *b, struct vset *bound,
                       const struct vset *keep_uses);

static void order_nested_term(struct safety *sf, struct rg_term *t, struct vset *bound)
{
	if (!t)
		return;
	switch (t->kind) {
	case RG_T_REF:
	case RG_T_ARRAY:
	case RG_T_SET:
	case RG_T_CALL:
		for (size_t i = 0; i < t->u.list.n; i++)
			order_nested_term(sf, t->u.list.elems[i], bound);
		return;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			order_nested_term(sf, t->u.obj.keys[i], bound);
			order_nested_term(sf, t->u.obj.vals[i], bound);
		}
		return;
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP: {
		struct vset in = vs_new(sf->r->a, sf->nslots);
		memcpy(in.b, bound->b, (size_t)sf->nslots);
		struct vset uses = vs_new(sf->r->a, sf->nslots);
		struct lv hv = lv_new(sf->r->a, sf->nslots);
		an_term(t->u.comp.key, M_IN, &hv);
		an_term(t->u.comp.val, M_IN, &hv);
		for (int i = 0; i < sf->nslots; i++)
			if (hv.all.b[i])
				uses.b[i] = 1;
		order_body(sf, &t->u.comp.body, &in, &uses);
		/* head vars must be bound by the body */
		for (int i = 0; i < sf->nslots; i++)
			if (hv.all.b[i] && !in.b[i]) {
				rc_error(sf->r, slot_pos(sf, i, t->pos), "rego_unsafe_var_error", false,
				         "var %s is unsafe", slot_name(sf, i));
				return;
			}
		return;
	}
	default: return;
	}
}

static void order_nested_lit(struct safety *sf, struct rg_lit *l, struct vset *bound)
{
	order_nested_term(sf, l->a, bound);
	order_nested_term(sf, l->b, bound);
	order_nested_term(sf, l->dom, bound);
	order_nested_term(sf, l->key, bound);
	order_nested_term(sf, l->val, bound);
	for (size_t i = 0; i < l->nwiths; i++)
		order_nested_term(sf, l->withs[i].value, bound);
	if (l->kind == RG_L_EVERY) {
		struct vset in = vs_new(sf->r->a, sf->nslots);
		memcpy(in.b, bound->b, (size_t)sf->nslots);
		struct lv kv = lv_new(sf->r->a, sf->nslots);
		an_term(l->key, M_PAT_A, &kv);
		an_term(l->val, M_PAT_A, &kv);
		for (int i = 0; i < sf->nslots; i++)
			if (kv.all.b[i])
				in.b[i] = 1;
		order_body(sf, &l->body, &in, NULL);
	}
}

/* keep_uses: variables used after the body (rule head); they are not local
 * to a negation even if they occur in one literal only. */
static void order_body(struct safety *sf, struct rg_body *b, struct vset *bound,
                       const struct vset *keep_uses)
{
	struct arena *a = sf->r->a;
	size_t n = b->n;
	if (!n)
		return;
	struct lv *lv = arena_array(a, n, sizeof(*lv));
	int *uses = arena_array(a, (size_t)sf->nslots + 1, sizeof(int));
	for (size_t i = 0; i < n; i++) {
		lv[i] = lv_new(a, sf->nslots);
		an_lit(b->lits[i], &lv[i]);
		for (int s = 0; s < sf->nslots; s++)
			if (lv[i].all.b[s])
				uses[s]++;
	}
	if (keep_uses)
		for (int s = 0; s < sf->nslots; s++)
			if (keep_uses->b[s])
				uses[s]++;
	struct rg_lit **out = arena_array(a, n, sizeof(*out));
	bool *done = arena_array(a, n, sizeof(bool));
	size_t nout = 0;
	while (nout < n) {
		size_t pick = n;
		for (size_t i = 0; i < n && pick == n; i++) {
			if (done[i])
				continue;
			struct rg_lit *l = b->lits[i];
			bool ok = true;
			for (int s = 0; s < sf->nslots && ok; s++) {
				if (!lv[i].need.b[s] || bound->b[s])
					continue;
				/* vars only a negation mentions are local to it */
				if (l->negated && uses[s] == 1 && s >= b->slot_lo)
					continue;
				/* a ref iterating over the var also binds it */
				if (lv[i].out.b[s] && !l->negated)
					continue;
				ok = false;
			}
			if (ok && (l->kind == RG_L_UNIFY || l->kind == RG_L_ASSIGN) && !l->negated) {
				bool a_free = false, b_free = false;
				for (int s = 0; s < sf->nslots; s++) {
					if (lv[i].pat_a.b[s] && !bound->b[s])
						a_free = true;
					if (lv[i].pat_b.b[s] && !bound->b[s])
						b_free = true;
				}
				bool both_comp = l->a->kind == l->b->kind &&
				                 (l->a->kind == RG_T_ARRAY || l->a->kind == RG_T_OBJECT);
				if (a_free && b_free && !both_comp)
					ok = false;
			}
			if (ok && l->negated) {
				for (int s = 0; s < sf->nslots && ok; s++)
					if ((lv[i].pat_a.b[s] || lv[i].pat_b.b[s] || lv[i].out.b[s]) &&
					    !bound->b[s] && !(uses[s] == 1 && s >= b->slot_lo))
						ok = false;
			}
			if (ok)
				pick = i;
		}
		if (pick == n) {
			/* report the first literal that cannot run */
			for (size_t i = 0; i < n; i++) {
				if (done[i])
					continue;
				for (int s = 0; s < sf->nslots; s++) {
					bool missing = (lv[i].need.b[s] || lv[i].pat_a.b[s] || lv[i].pat_b.b[s] ||
					                lv[i].out.b[s]) &&
					               !bound->b[s];
					if (missing) {
						rc_error(sf->r, slot_pos(sf, s, b->lits[i]->pos),
						         "rego_unsafe_var_error", false, "var %s is unsafe",
						         slot_name(sf, s));
						return;
					}
				}
				rc_error(sf->r, b->lits[i]->pos, "rego_unsafe_var_error", false,
				         "expression is unsafe");
				return;
			}
			return;
		}
		done[pick] = true;
		out[nout++] = b->lits[pick];
		struct rg_lit *l = b->lits[pick];
		order_nested_lit(sf, l, bound);
		if (!l->negated) {
			for (int s = 0; s < sf->nslots; s++)
				if (lv[pick].out.b[s] || lv[pick].pat_a.b[s] || lv[pick].pat_b.b[s])
					bound->b[s] = 1;
			if (l->kind == RG_L_EXPR || l->kind == RG_L_EVERY)
				for (int s = 0; s < sf->nslots; s++)
					if (lv[pick].need.b[s])
						bound->b[s] = 1;
		}
	}
	memcpy(b->lits, out, n * sizeof(*out));
}

/* ---- patterns must be constant ----------------------------------------------- */

static bool mentions_input(const struct rg_term *t)
{
	if (!t)
		return false;
	switch (t->kind) {
	case RG_T_VAR: return t->u.var.res == RG_V_INPUT;
	case RG_T_REF:
	case RG_T_ARRAY:
	case RG_T_SET:
	case RG_T_CALL:
		for (size_t i = 0; i < t->u.list.n; i++)
			if (mentions_input(t->u.list.elems[i]))
				return true;
		return false;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++)
			if (mentions_input(t->u.obj.keys[i]) || mentions_input(t->u.obj.vals[i]))
				return true;
		return false;
	default: return false;
	}
}

static void check_patterns_body(struct rego *r, const struct rg_body *b);

/* regex.match takes a string constant; glob.match a pattern not computed
 * from input: a policy's patterns are fixed when it is compiled. */
static void check_patterns(struct rego *r, const struct rg_term *t)
{
	if (!t)
		return;
	switch (t->kind) {
	case RG_T_CALL:
		if (t->bi && t->bi->const_arg && (size_t)t->bi->const_arg < t->u.list.n) {
			const struct rg_term *a = t->u.list.elems[t->bi->const_arg];
			if (strcmp(t->bi->name, "regex.match") == 0 && !(a->cv && a->cv->kind == RV_STR))
				rc_error(r, a->pos, "unsupported", true,
				         "regex.match needs a constant pattern (a string literal), not `%s`",
				         rg_term_str(r->a, a));
			else if (mentions_input(a))
				rc_error(r, a->pos, "unsupported", true,
				         "%s: the pattern `%s` is computed from input; patterns must be "
				         "known when the policy is compiled",
				         t->bi->name, rg_term_str(r->a, a));
		}
		/* fallthrough */
	case RG_T_REF:
	case RG_T_ARRAY:
	case RG_T_SET:
		for (size_t i = 0; i < t->u.list.n; i++)
			check_patterns(r, t->u.list.elems[i]);
		return;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			check_patterns(r, t->u.obj.keys[i]);
			check_patterns(r, t->u.obj.vals[i]);
		}
		return;
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP:
		check_patterns(r, t->u.comp.key);
		check_patterns(r, t->u.comp.val);
		check_patterns_body(r, &t->u.comp.body);
		return;
	default: return;
	}
}

static void check_patterns_body(struct rego *r, const struct rg_body *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct rg_lit *l = b->lits[i];
		check_patterns(r, l->a);
		check_patterns(r, l->b);
		check_patterns(r, l->key);
		check_patterns(r, l->val);
		check_patterns(r, l->dom);
		for (size_t j = 0; j < l->nwiths; j++)
			check_patterns(r, l->withs[j].value);
		check_patterns_body(r, &l->body);
	}
}

/* ---- rules ------------------------------------------------------------------- */

static void compile_chain(struct rego *r, struct rg_module *m, struct rg_rule *ru)
{
	struct rctx c = {.r = r, .m = m};
	c.pkg = pkg_node(r, m);
	struct scope *args = arena_alloc(r->a, sizeof(*args));
	for (size_t i = 0; i < ru->nargs; i++)
		declare_pattern(&c, args, ru->args[i], false);
	for (size_t i = 0; i < ru->nargs; i++) {
		implicit_locals(&c, args, ru->args[i]);
		resolve_term(&c, args, ru->args[i]);
	}
	for (struct rg_rule *e = ru; e; e = e->els) {
		struct rg_term *extra[2] = {e->key, e->value};
		resolve_body(&c, args, &e->body, extra, 2, NULL);
	}
	for (struct rg_rule *e = ru; e; e = e->els) {
		fold(r, e->key);
		fold(r, e->value);
		fold_body(r, &e->body);
		for (size_t i = 0; i < e->nargs; i++)
			fold(r, e->args[i]);
	}
	for (struct rg_rule *e = ru; e; e = e->els) {
		check_patterns(r, e->key);
		check_patterns(r, e->value);
		check_patterns_body(r, &e->body);
	}
	if (ru->is_default) {
		if (ru->value && !ru->value->cv)
			rc_error(r, ru->pos, "rego_parse_error", false,
			         "illegal default rule (value cannot contain variables, refs or calls)");
	}
	struct safety sf = {r, &c, c.nslots};
	for (struct rg_rule *e = ru; e; e = e->els) {
		struct vset bound = vs_new(r->a, c.nslots);
		struct lv av = lv_new(r->a, c.nslots);
		for (size_t i = 0; i < e->nargs; i++)
			an_term(e->args[i], M_PAT_A, &av);
		for (int s = 0; s < c.nslots; s++)
			if (av.all.b[s])
				bound.b[s] = 1;
		struct lv hv = lv_new(r->a, c.nslots);
		an_term(e->key, M_IN, &hv);
		an_term(e->value, M_IN, &hv);
		unsigned before = r->nerr;
		order_body(&sf, &e->body, &bound, &hv.all);
		/* vars the head needs must be bound; a ref in the head may iterate */
		for (int s = 0; s < c.nslots && r->nerr == before; s++)
			if (hv.need.b[s] && !bound.b[s])
				rc_error(r, slot_pos(&sf, s, e->pos), "rego_unsafe_var_error", false,
				         "var %s is unsafe", slot_name(&sf, s));
		struct rg_term *heads[2] = {e->key, e->value};
		for (int h = 0; h < 2; h++)
			order_nested_term(&sf, heads[h], &bound);
	}
	for (struct rg_rule *e = ru; e; e = e->els)
		e->nslots = c.nslots;
}

int rc_compile_query(struct rego *r, struct rg_body *q, const char ***names, int **slots,
                     size_t *nnames)
{
	struct rctx c = {.r = r};
	unsigned before = r->nerr;
	resolve_body(&c, NULL, q, NULL, 0, NULL);
	fold_body(r, q);
	check_patterns_body(r, q);
	struct safety sf = {r, &c, c.nslots};
	struct vset bound = vs_new(r->a, c.nslots);
	order_body(&sf, q, &bound, NULL);
	/* the query's own named variables, in order of appearance */
	*nnames = 0;
	*names = arena_array(r->a, (size_t)c.nslots + 1, sizeof(char *));
	*slots = arena_array(r->a, (size_t)c.nslots + 1, sizeof(int));
	for (int s = q->slot_lo; s < c.nslots; s++) {
		struct rg_term *v = s < (int)c.capfirst ? c.first[s] : NULL;
		/* only the query's own scope, not comprehension locals */
		if (!v || v->u.var.wildcard || c.depth[s] != 0)
			continue;
		(*names)[*nnames] = v->u.var.name;
		(*slots)[(*nnames)++] = s;
	}
	return r->nerr > before ? -1 : c.nslots;
}

/* ---- recursion and input dependency -------------------------------------- */

struct deps {
	struct rg_node **v;
	size_t n, cap;
};

static void dep_add(struct rego *r, struct deps *d, struct rg_node *n)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i] == n)
			return;
	*ARENA_PUSH(r->a, d->v, d->n, d->cap) = n;
}

/* Every rule node below n (a ref to a package reads them all). */
static void dep_subtree(struct rego *r, struct deps *d, struct rg_node *n)
{
	if (n->nrules || n->deflt)
		dep_add(r, d, n);
	for (size_t i = 0; i < n->nkids; i++)
		dep_subtree(r, d, n->kids[i]);
}

static void deps_term(struct rego *r, struct rg_term *t, struct deps *d, bool *input);

static void deps_body(struct rego *r, struct rg_body *b, struct deps *d, bool *input)
{
	for (size_t i = 0; i < b->n; i++) {
		struct rg_lit *l = b->lits[i];
		deps_term(r, l->a, d, input);
		deps_term(r, l->b, d, input);
		deps_term(r, l->key, d, input);
		deps_term(r, l->val, d, input);
		deps_term(r, l->dom, d, input);
		for (size_t j = 0; j < l->nwiths; j++) {
			deps_term(r, l->withs[j].value, d, input);
			*input = true; /* `with` changes what is read */
		}
		deps_body(r, &l->body, d, input);
	}
}

static void deps_term(struct rego *r, struct rg_term *t, struct deps *d, bool *input)
{
	if (!t)
		return;
	switch (t->kind) {
	case RG_T_VAR:
		if (t->u.var.res == RG_V_INPUT)
			*input = true;
		else if (t->u.var.res == RG_V_DATA)
			dep_subtree(r, d, r->root);
		return;
	case RG_T_REF: {
		struct rg_term *h = t->u.list.elems[0];
		if (h->kind == RG_T_VAR && h->u.var.res == RG_V_DATA) {
			struct rg_node *n = r->root;
			size_t i = 1;
			for (; i < t->u.list.n; i++) {
				struct rg_term *op = t->u.list.elems[i];
				if (op->kind != RG_T_STR || n->nrules || n->deflt)
					break;
				struct rg_node *k = node_kid(r, n, str_of(r, op), false);
				if (!k) {
					n = NULL;
					break;
				}
				n = k;
			}
			if (n)
				dep_subtree(r, d, n);
		} else {
			deps_term(r, h, d, input);
		}
		for (size_t i = 1; i < t->u.list.n; i++)
			deps_term(r, t->u.list.elems[i], d, input);
		return;
	}
	case RG_T_ARRAY:
	case RG_T_SET:
		for (size_t i = 0; i < t->u.list.n; i++)
			deps_term(r, t->u.list.elems[i], d, input);
		return;
	case RG_T_CALL:
		if (t->fn)
			dep_add(r, d, t->fn);
		for (size_t i = 1; i < t->u.list.n; i++)
			deps_term(r, t->u.list.elems[i], d, input);
		return;
	case RG_T_OBJECT:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			deps_term(r, t->u.obj.keys[i], d, input);
			deps_term(r, t->u.obj.vals[i], d, input);
		}
		return;
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP:
		deps_term(r, t->u.comp.key, d, input);
		deps_term(r, t->u.comp.val, d, input);
		deps_body(r, &t->u.comp.body, d, input);
		return;
	default: return;
	}
}

static struct deps *node_deps(struct rego *r, struct rg_node *n, bool *input)
{
	struct deps *d = arena_alloc(r->a, sizeof(*d));
	for (size_t i = 0; i < n->nrules + (n->deflt ? 1 : 0); i++) {
		struct rg_rule *ru = i < n->nrules ? n->rules[i] : n->deflt;
		for (struct rg_rule *e = ru; e; e = e->els) {
			deps_term(r, e->key, d, input);
			deps_term(r, e->value, d, input);
			deps_body(r, &e->body, d, input);
			for (size_t j = 0; j < e->nargs; j++)
				deps_term(r, e->args[j], d, input);
		}
	}
	return d;
}

struct depctx {
	struct deps **all;
	bool *direct_input;
	struct rg_node **stack;
};

#define RG_MAX_DEP_DEPTH 1000

static bool visit(struct rego *r, struct depctx *dc, struct rg_node *n, int depth)
{
	struct rg_node **stack = dc->stack;
	if (n->visiting == 2)
		return true;
	if (n->visiting == 1) {
		char chain[512];
		size_t len = 0;
		int start = 0;
		for (int i = 0; i < depth; i++)
			if (stack[i] == n)
				start = i;
		for (int i = start; i < depth && len < sizeof(chain); i++)
			len += (size_t)snprintf(chain + len, sizeof(chain) - len, "%s -> ", stack[i]->path);
		if (len < sizeof(chain))
			snprintf(chain + len, sizeof(chain) - len, "%s", n->path);
		struct rg_rule *ru = n->nrules ? n->rules[0] : n->deflt;
		rc_error(r, ru ? ru->pos : src_file(""), "rego_recursion_error", false,
		         "rule %s is recursive: %s", n->path, chain);
		return false;
	}
	if (depth >= RG_MAX_DEP_DEPTH) {
		struct rg_rule *ru = n->nrules ? n->rules[0] : n->deflt;
		rc_error(r, ru ? ru->pos : src_file(""), "unsupported", true,
		         "rules depend on each other more than %d levels deep", RG_MAX_DEP_DEPTH);
		return false;
	}
	n->visiting = 1;
	stack[depth] = n;
	struct deps *d = dc->all[n->index];
	bool dep = dc->direct_input[n->index];
	for (size_t i = 0; i < d->n; i++) {
		if (!visit(r, dc, d->v[i], depth + 1))
			return false;
		if (d->v[i]->input_dep == 2)
			dep = true;
	}
	n->input_dep = dep ? 2 : 1;
	n->visiting = 2;
	return true;
}

static void check_recursion(struct rego *r)
{
	struct depctx dc;
	dc.all = arena_array(r->a, r->nnodes, sizeof(*dc.all));
	dc.direct_input = arena_array(r->a, r->nnodes, sizeof(bool));
	for (size_t i = 0; i < r->nnodes; i++)
		dc.all[i] = node_deps(r, r->nodes[i], &dc.direct_input[i]);
	dc.stack = arena_array(r->a, r->nnodes + 1, sizeof(*dc.stack));
	for (size_t i = 0; i < r->nnodes; i++)
		if ((r->nodes[i]->nrules || r->nodes[i]->deflt) && !visit(r, &dc, r->nodes[i], 0))
			return;
}

int rego_compile(struct rego *r, const char **code)
{
	unsigned before = r->nerr;
	for (size_t i = 0; i < r->nmods; i++) {
		struct rg_module *m = r->mods[i];
		if (!pkg_path(r, m))
			continue;
		for (size_t j = 0; j < m->nimports; j++) {
			struct rg_import *im = &m->imports[j];
			struct rg_term *p = im->path;
			const char *root = p->u.list.elems[0]->u.var.name;
			if (strcmp(root, "future") == 0 || strcmp(root, "rego") == 0) {
				im->alias = NULL; /* keyword imports: nothing to bind */
				continue;
			}
			if (strcmp(root, "data") != 0 && strcmp(root, "input") != 0) {
				rc_error(r, im->pos, "rego_parse_error", false,
				         "unexpected import path, must begin with one of: {data, future, "
				         "input, rego}, got: %s",
				         root);
				continue;
			}
			if (!im->alias)
				im->alias = p->u.list.n > 1 ? str_of(r, p->u.list.elems[p->u.list.n - 1])
				                            : root;
		}
		for (size_t j = 0; j < m->nrules; j++)
			place_rule(r, m, m->rules[j]);
	}
	if (r->nerr == before)
		for (size_t i = 0; i < r->nmods; i++) {
			struct rg_module *m = r->mods[i];
			for (size_t j = 0; j < m->nrules; j++)
				compile_chain(r, m, m->rules[j]);
		}
	if (r->nerr == before)
		check_recursion(r);
	r->compiled = r->nerr == before;
	if (code)
		*code = r->first_code;
	return r->nerr == before ? 0 : -1;
}
