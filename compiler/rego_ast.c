/* rego_ast.c — syntax tree helpers: constructors, the parser entry points,
 * and printing terms back as Rego for messages. */
#include <string.h>

#include "arena.h"
#include "rego_parse.h"
#include "rego.tab.h"

int rg_yyparse(struct rg_parser *P);

struct rg_term *rg_term_new(struct arena *a, enum rg_tkind k, struct src_pos pos)
{
	struct rg_term *t = arena_alloc(a, sizeof(*t));
	t->kind = k;
	t->pos = pos;
	if (k == RG_T_VAR)
		t->u.var.slot = -1;
	return t;
}

struct rg_lit *rg_lit_new(struct arena *a, enum rg_lkind k, struct src_pos pos)
{
	struct rg_lit *l = arena_alloc(a, sizeof(*l));
	l->kind = k;
	l->pos = pos;
	return l;
}

void rg_body_push(struct arena *a, struct rg_body *b, struct rg_lit *l)
{
	*ARENA_PUSH(a, b->lits, b->n, b->cap) = l;
}

void rg_list_push(struct arena *a, struct rg_term *t, struct rg_term *e)
{
	*ARENA_PUSH(a, t->u.list.elems, t->u.list.n, t->u.list.cap) = e;
}

void rg_obj_push(struct arena *a, struct rg_term *t, struct rg_term *k, struct rg_term *v)
{
	if (t->u.obj.n == t->u.obj.cap) {
		size_t nc = t->u.obj.cap ? 2 * t->u.obj.cap : 8;
		t->u.obj.keys = arena_grow(a, t->u.obj.keys, t->u.obj.n, nc, sizeof(*t->u.obj.keys));
		t->u.obj.vals = arena_grow(a, t->u.obj.vals, t->u.obj.n, nc, sizeof(*t->u.obj.vals));
		t->u.obj.cap = nc;
	}
	t->u.obj.keys[t->u.obj.n] = k;
	t->u.obj.vals[t->u.obj.n++] = v;
}

static void parser_init(struct rg_parser *P, struct arena *a, struct diag_sink *d,
                        const char *file)
{
	memset(P, 0, sizeof(*P));
	P->a = a;
	P->d = d;
	P->file = file;
}

struct rg_module *rego_parse_module(struct arena *a, struct diag_sink *d, const char *file,
                                    const char *text, size_t len)
{
	struct rg_parser P;
	parser_init(&P, a, d, file);
	P.mod = arena_alloc(a, sizeof(*P.mod));
	P.mod->file = file;
	P.mod->pos = src_pos(file, 1, 1);
	rg_lex_init(&P, text, len, RGT_START_MODULE);
	int rc = rg_yyparse(&P);
	if (rc != 0 && P.nerr == 0)
		rg_error(&P, src_pos(file, P.lx.line, 1), "cannot parse (out of memory)");
	if (!P.mod->pkg && P.nerr == 0)
		rg_error(&P, src_pos(file, 1, 1), "a module must start with `package NAME`");
	return P.nerr ? NULL : P.mod;
}

struct rg_body *rego_parse_query(struct arena *a, struct diag_sink *d, const char *file,
                                 const char *text, size_t len)
{
	struct rg_parser P;
	parser_init(&P, a, d, file);
	P.query = arena_alloc(a, sizeof(*P.query));
	rg_lex_init(&P, text, len, RGT_START_QUERY);
	int rc = rg_yyparse(&P);
	if (rc != 0 && P.nerr == 0)
		rg_error(&P, src_pos(file, P.lx.line, 1), "cannot parse query");
	if (P.nerr == 0 && P.query->n == 0)
		rg_error(&P, src_pos(file, 1, 1), "empty query");
	return P.nerr ? NULL : P.query;
}

/* ---- printing ---------------------------------------------------------------- */

static const struct {
	const char *name, *op;
} infix[] = {
	{"equal", "=="}, {"neq", "!="}, {"lt", "<"},   {"lte", "<="}, {"gt", ">"},
	{"gte", ">="},   {"plus", "+"}, {"minus", "-"}, {"mul", "*"}, {"div", "/"},
	{"rem", "%"},    {"or", "|"},   {"and", "&"},  {"internal.member_2", "in"},
};

static void wterm(struct rstr *s, const struct rg_term *t);

static void wbody(struct rstr *s, const struct rg_body *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct rg_lit *l = b->lits[i];
		if (i)
			rstr_addc(s, "; ");
		if (l->negated)
			rstr_addc(s, "not ");
		switch (l->kind) {
		case RG_L_EXPR: wterm(s, l->a); break;
		case RG_L_UNIFY:
		case RG_L_ASSIGN:
			wterm(s, l->a);
			rstr_addc(s, l->kind == RG_L_UNIFY ? " = " : " := ");
			wterm(s, l->b);
			break;
		case RG_L_SOME_VARS:
			rstr_addc(s, "some ");
			for (size_t j = 0; j < l->nvars; j++) {
				if (j)
					rstr_addc(s, ", ");
				wterm(s, l->vars[j]);
			}
			break;
		case RG_L_SOME_IN:
		case RG_L_EVERY:
			rstr_addc(s, l->kind == RG_L_EVERY ? "every " : "some ");
			if (l->key) {
				wterm(s, l->key);
				rstr_addc(s, ", ");
			}
			wterm(s, l->val);
			rstr_addc(s, " in ");
			wterm(s, l->dom);
			if (l->kind == RG_L_EVERY) {
				rstr_addc(s, " { ");
				wbody(s, &l->body);
				rstr_addc(s, " }");
			}
			break;
		}
	}
}

static bool ident_ok(const char *p, size_t n)
{
	if (n == 0 || !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z') || p[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return false;
	return true;
}

static void wterm(struct rstr *s, const struct rg_term *t)
{
	switch (t->kind) {
	case RG_T_NULL: rstr_addc(s, "null"); break;
	case RG_T_BOOL: rstr_addc(s, t->u.b ? "true" : "false"); break;
	case RG_T_NUM: rstr_addc(s, t->u.num.text); break;
	case RG_T_STR: {
		struct rv v = {.kind = RV_STR};
		v.u.str.s = t->u.str.s;
		v.u.str.len = t->u.str.len;
		rv_write_rego(s, &v);
		break;
	}
	case RG_T_VAR: rstr_addc(s, t->u.var.wildcard ? "_" : t->u.var.name); break;
	case RG_T_REF:
		wterm(s, t->u.list.elems[0]);
		for (size_t i = 1; i < t->u.list.n; i++) {
			const struct rg_term *e = t->u.list.elems[i];
			if (e->kind == RG_T_STR && ident_ok(e->u.str.s, e->u.str.len)) {
				rstr_addc(s, ".");
				rstr_add(s, e->u.str.s, e->u.str.len);
			} else {
				rstr_addc(s, "[");
				wterm(s, e);
				rstr_addc(s, "]");
			}
		}
		break;
	case RG_T_ARRAY:
	case RG_T_SET:
		if (t->kind == RG_T_SET && t->u.list.n == 0) {
			rstr_addc(s, "set()");
			break;
		}
		rstr_addc(s, t->kind == RG_T_ARRAY ? "[" : "{");
		for (size_t i = 0; i < t->u.list.n; i++) {
			if (i)
				rstr_addc(s, ", ");
			wterm(s, t->u.list.elems[i]);
		}
		rstr_addc(s, t->kind == RG_T_ARRAY ? "]" : "}");
		break;
	case RG_T_OBJECT:
		rstr_addc(s, "{");
		for (size_t i = 0; i < t->u.obj.n; i++) {
			if (i)
				rstr_addc(s, ", ");
			wterm(s, t->u.obj.keys[i]);
			rstr_addc(s, ": ");
			wterm(s, t->u.obj.vals[i]);
		}
		rstr_addc(s, "}");
		break;
	case RG_T_CALL: {
		const struct rg_term *op = t->u.list.elems[0];
		if (op->kind == RG_T_VAR)
			for (size_t i = 0; i < sizeof(infix) / sizeof(infix[0]); i++)
				if (strcmp(op->u.var.name, infix[i].name) == 0 && t->u.list.n == 3) {
					wterm(s, t->u.list.elems[1]);
					rstr_printf(s, " %s ", infix[i].op);
					wterm(s, t->u.list.elems[2]);
					return;
				}
		if (op->kind == RG_T_VAR && strcmp(op->u.var.name, "internal.member_3") == 0 &&
		    t->u.list.n == 4) {
			wterm(s, t->u.list.elems[1]);
			rstr_addc(s, ", ");
			wterm(s, t->u.list.elems[2]);
			rstr_addc(s, " in ");
			wterm(s, t->u.list.elems[3]);
			return;
		}
		wterm(s, op);
		rstr_addc(s, "(");
		for (size_t i = 1; i < t->u.list.n; i++) {
			if (i > 1)
				rstr_addc(s, ", ");
			wterm(s, t->u.list.elems[i]);
		}
		rstr_addc(s, ")");
		break;
	}
	case RG_T_ACOMP:
	case RG_T_SCOMP:
	case RG_T_OCOMP:
		rstr_addc(s, t->kind == RG_T_ACOMP ? "[" : "{");
		if (t->u.comp.key) {
			wterm(s, t->u.comp.key);
			rstr_addc(s, ": ");
		}
		wterm(s, t->u.comp.val);
		rstr_addc(s, " | ");
		wbody(s, &t->u.comp.body);
		rstr_addc(s, t->kind == RG_T_ACOMP ? "]" : "}");
		break;
	case RG_T_VALUE: rv_write_rego(s, t->u.value); break;
	}
}

const char *rg_term_str(struct arena *a, const struct rg_term *t)
{
	struct rstr s = {.a = a};
	if (t)
		wterm(&s, t);
	rstr_add(&s, "", 0);
	return s.p;
}
