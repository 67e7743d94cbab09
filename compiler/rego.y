/* rego.y — grammar of the Rego v1 subset polc compiles.
 *
 * Reads like the language: a module is a package, imports and rules; a
 * rule is a head, an optional `if` body and an `else` chain; a body is
 * literals separated by `;` or newlines.  The lexer (rego_lex.re) turns
 * significant newlines into NL (inside brackets) or TNL (ends a statement),
 * marks `[`/`(` written right after a term as index/call brackets, and `{`
 * after `if`/`else` as a rule body.  Operator precedence follows OPA's
 * parser: `in` < comparisons < `|` < `&` < `+ -` < `* / %`.
 *
 * Every syntax error is reported (OpenBSD parse.y style): a broken literal
 * is skipped to the next separator, a broken statement to the next end of
 * line at the top level, and parsing goes on. */

%code requires {
#include "rego_ast.h"
struct rg_parser;
struct rg_tok {
	const char *s;
	size_t n;
};
struct rg_tlist {
	struct rg_term **v;
	size_t n, cap;
};
struct rg_wlist {
	struct rg_with *v;
	size_t n, cap;
};
}

%code provides {
int rg_yylex(RG_YYSTYPE *lval, RG_YYLTYPE *lloc, struct rg_parser *P);
}

%code {
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "rego_parse.h"

static void rg_yyerror(RG_YYLTYPE *loc, struct rg_parser *P, const char *msg);

#define POS(l) rg_pos(P, (l).first_line, (l).first_column)

static struct rg_term *mk(struct rg_parser *P, enum rg_tkind k, RG_YYLTYPE l)
{
	return rg_term_new(P->a, k, POS(l));
}

static struct rg_term *mkvar(struct rg_parser *P, struct rg_tok t, RG_YYLTYPE l)
{
	struct rg_term *v = mk(P, RG_T_VAR, l);
	if (t.n == 1 && t.s[0] == '_') {
		v->u.var.name = arena_printf(P->a, "$%u", P->wild++);
		v->u.var.wildcard = true;
	} else {
		v->u.var.name = arena_strndup(P->a, t.s, t.n);
	}
	return v;
}

static struct rg_term *mkstr(struct rg_parser *P, struct rg_tok t, RG_YYLTYPE l)
{
	struct rg_term *s = mk(P, RG_T_STR, l);
	s->u.str.s = t.s;
	s->u.str.len = t.n;
	return s;
}

/* Binary operator: a call of OPA's builtin for it. */
static struct rg_term *mkop(struct rg_parser *P, const char *name, RG_YYLTYPE opl,
                            struct rg_term *x, struct rg_term *y, struct rg_term *z)
{
	struct rg_term *c = rg_term_new(P->a, RG_T_CALL, x->pos);
	struct rg_term *op = mk(P, RG_T_VAR, opl);
	op->u.var.name = name;
	rg_list_push(P->a, c, op);
	rg_list_push(P->a, c, x);
	rg_list_push(P->a, c, y);
	if (z)
		rg_list_push(P->a, c, z);
	return c;
}

static struct rg_term *rg_number(struct rg_parser *P, struct rg_tok t, bool neg,
                                 struct src_pos pos)
{
	struct rg_term *n = rg_term_new(P->a, RG_T_NUM, pos);
	n->u.num.text = arena_printf(P->a, "%s%.*s", neg ? "-" : "", (int)t.n, t.s);
	if (t.n > 1 && t.s[0] == '0' && t.s[1] != '.' && t.s[1] != 'e' && t.s[1] != 'E')
		rg_error(P, pos, "number `%.*s` has a leading zero", (int)t.n, t.s);
	char *end;
	double d = strtod(n->u.num.text, &end);
	/* Numbers are 64-bit floats here; OPA's are arbitrary precision.  A
	 * literal a float cannot hold exactly enough is refused, not rounded. */
	size_t sig = 0, lead = 1, zeros = 0;
	bool nonzero = false;
	for (size_t i = 0; i < t.n && t.s[i] != 'e' && t.s[i] != 'E'; i++) {
		if (t.s[i] == '.')
			continue;
		if (t.s[i] == '0' && lead)
			continue;
		lead = 0;
		nonzero = true;
		if (t.s[i] == '0') {
			zeros++;
		} else {
			sig += zeros + 1;
			zeros = 0;
		}
	}
	if (isinf(d) || isnan(d) || sig > 15 || (nonzero && d == 0)) {
		P->nerr++;
		diag_error(P->d, pos, E504,
		           "number `%.*s` cannot be represented exactly: polc's Rego numbers are "
		           "64-bit floats (15 significant digits)",
		           (int)t.n, t.s);
	}
	n->u.num.d = d;
	return n;
}

static struct rg_tlist *tl_new(struct rg_parser *P, struct rg_term *first)
{
	struct rg_tlist *l = arena_alloc(P->a, sizeof(*l));
	if (first)
		*ARENA_PUSH(P->a, l->v, l->n, l->cap) = first;
	return l;
}

static struct rg_term *list_term(struct rg_parser *P, enum rg_tkind k, RG_YYLTYPE l,
                                 struct rg_tlist *items)
{
	struct rg_term *t = mk(P, k, l);
	for (size_t i = 0; items && i < items->n; i++)
		rg_list_push(P->a, t, items->v[i]);
	return t;
}

static struct rg_term *comp(struct rg_parser *P, enum rg_tkind k, RG_YYLTYPE l,
                            struct rg_term *key, struct rg_term *val, struct rg_body *body)
{
	struct rg_term *t = mk(P, k, l);
	t->u.comp.key = key;
	t->u.comp.val = val;
	t->u.comp.body = *body;
	return t;
}

static struct rg_lit *lit_expr(struct rg_parser *P, enum rg_lkind k, RG_YYLTYPE l,
                               struct rg_term *a, struct rg_term *b)
{
	struct rg_lit *x = rg_lit_new(P->a, k, a ? a->pos : POS(l));
	x->a = a;
	x->b = b;
	return x;
}

/* `some x, y` declares vars; `some [k,] v in xs` iterates. */
static struct rg_lit *mk_some(struct rg_parser *P, RG_YYLTYPE l, struct rg_tlist *vars,
                              struct rg_term *dom)
{
	struct rg_lit *x = rg_lit_new(P->a, dom ? RG_L_SOME_IN : RG_L_SOME_VARS, POS(l));
	if (dom) {
		if (vars->n > 2) {
			rg_error(P, vars->v[2]->pos, "`some` takes at most a key and a value: `some k, v in xs`");
			return x;
		}
		x->dom = dom;
		x->val = vars->v[vars->n - 1];
		x->key = vars->n == 2 ? vars->v[0] : NULL;
		return x;
	}
	for (size_t i = 0; i < vars->n; i++)
		if (vars->v[i]->kind != RG_T_VAR) {
			rg_error(P, vars->v[i]->pos, "`some` declares variables: expected a name");
			return x;
		}
	x->vars = vars->v;
	x->nvars = vars->n;
	return x;
}

static struct rg_lit *mk_every(struct rg_parser *P, RG_YYLTYPE l, struct rg_tlist *vars,
                               struct rg_term *dom, struct rg_body *body)
{
	struct rg_lit *x = rg_lit_new(P->a, RG_L_EVERY, POS(l));
	if (vars->n > 2) {
		rg_error(P, vars->v[2]->pos, "`every` takes at most a key and a value: `every k, v in xs`");
		return x;
	}
	for (size_t i = 0; i < vars->n; i++)
		if (vars->v[i]->kind != RG_T_VAR) {
			rg_error(P, vars->v[i]->pos, "`every` binds variables: expected a name");
			return x;
		}
	x->dom = dom;
	x->val = vars->v[vars->n - 1];
	x->key = vars->n == 2 ? vars->v[0] : NULL;
	x->body = *body;
	return x;
}

static void need_package(struct rg_parser *P, struct src_pos pos)
{
	if (P->mod && !P->mod->pkg) {
		rg_error(P, pos, "a module must start with `package NAME`");
		P->mod->pkg = rg_term_new(P->a, RG_T_REF, pos); /* once */
	}
}

static void add_rule(struct rg_parser *P, struct rg_rule *r)
{
	if (!r || !P->mod)
		return;
	need_package(P, r->pos);
	r->mod = P->mod;
	*ARENA_PUSH(P->a, P->mod->rules, P->mod->nrules, P->mod->caprules) = r;
}

static struct rg_rule *rule_new(struct rg_parser *P, RG_YYLTYPE l, struct rg_term *head)
{
	struct rg_rule *r = arena_alloc(P->a, sizeof(*r));
	r->pos = POS(l);
	r->head = head;
	r->kind = RG_R_COMPLETE;
	return r;
}

static void set_body(struct rg_rule *r, struct rg_body *b, bool has_if, bool v0)
{
	if (b)
		r->body = *b;
	r->has_if = has_if;
	r->v0_body = v0;
}
}

%define api.pure full
%define api.prefix {rg_yy}
%define api.token.prefix {RGT_}
%define parse.error detailed
%locations
%param {struct rg_parser *P}

%union {
	struct rg_tok tok;
	struct rg_term *t;
	struct rg_lit *l;
	struct rg_body *b;
	struct rg_rule *r;
	struct rg_tlist *tl;
	struct rg_with *w;
	struct rg_wlist *wl;
	const char *name;
}

%token START_MODULE "start of module" START_QUERY "start of query"
%token <tok> IDENT "name" STRING "string" NUMBER "number"
%token PACKAGE "package" IMPORT "import" AS "as" DEFAULT "default" IF "if" ELSE "else"
%token CONTAINS "contains" SOME "some" EVERY "every" IN "in" NOT "not" WITH "with"
%token TRUE "true" FALSE "false" NULL "null"
%token ASSIGN ":=" UNIFY "=" EQ "==" NEQ "!=" LT "<" LE "<=" GT ">" GE ">="
%token PLUS "+" MINUS "-" STAR "*" SLASH "/" PERCENT "%" AMP "&" BAR "|"
%token LBRACE "{" BODY_LBRACE "{ of a rule body" RBRACE "}"
%token LBRACK "[" IDX_LBRACK "[ of an index" RBRACK "]"
%token LPAREN "(" CALL_LPAREN "( of a call" RPAREN ")"
%token DOT "." COMMA "," SEMI ";" COLON ":"
%token NL "newline" TNL "end of line"

/* `[x | body]`, `{x | body}`: a comprehension, not a set union (as OPA). */
%precedence TERMPREC
%precedence BAR

%type <t> pkg_ref head_ref term postfix expr_kv kvin expr_in expr_rel expr_or expr_and
%type <t> expr_arith expr_fac array brace
%type <tl> list args_opt objlist some_list
%type <l> literal lit_or_err lit_core
%type <b> query body_or_lit
%type <r> head rule else_chain else_clause
%type <w> with
%type <wl> withs
%type <name> relop

%start top

%%

top
	: START_MODULE module
	| START_QUERY qlist TNL
	| START_QUERY qlist
	;

module
	: %empty
	| module stmt TNL { P->recovering = false; }
	| module error TNL { yyerrok; P->recovering = false; }
	;

stmt
	: PACKAGE pkg_ref {
		if (P->mod->pkg && P->mod->pkg->u.list.n)
			rg_error(P, POS(@1), "a module has one `package` statement");
		else if (P->seen_rule)
			rg_error(P, POS(@1), "`package` must come before imports and rules");
		P->mod->pkg = $2;
		P->mod->pos = POS(@1);
	}
	| IMPORT pkg_ref {
		need_package(P, POS(@1));
		struct rg_import im = {.path = $2, .pos = POS(@1)};
		*ARENA_PUSH(P->a, P->mod->imports, P->mod->nimports, P->mod->capimports) = im;
		P->seen_rule = true;
	}
	| IMPORT pkg_ref AS IDENT {
		need_package(P, POS(@1));
		struct rg_import im = {.path = $2, .pos = POS(@1),
		                       .alias = arena_strndup(P->a, $4.s, $4.n)};
		*ARENA_PUSH(P->a, P->mod->imports, P->mod->nimports, P->mod->capimports) = im;
		P->seen_rule = true;
	}
	| rule { add_rule(P, $1); P->seen_rule = true; }
	;

pkg_ref
	: IDENT {
		$$ = mk(P, RG_T_REF, @1);
		rg_list_push(P->a, $$, mkvar(P, $1, @1));
	}
	| pkg_ref DOT IDENT { $$ = $1; rg_list_push(P->a, $$, mkstr(P, $3, @3)); }
	| pkg_ref IDX_LBRACK STRING RBRACK { $$ = $1; rg_list_push(P->a, $$, mkstr(P, $3, @3)); }
	;

rule
	: DEFAULT head_ref ASSIGN expr_kv {
		$$ = rule_new(P, @1, $2);
		$$->is_default = true;
		$$->value = $4;
	}
	| DEFAULT head_ref UNIFY expr_kv {
		$$ = rule_new(P, @1, $2);
		$$->is_default = true;
		$$->value = $4;
	}
	| DEFAULT head_ref CALL_LPAREN args_opt RPAREN ASSIGN expr_kv {
		$$ = rule_new(P, @1, $2);
		$$->is_default = true;
		$$->kind = RG_R_FUNC;
		$$->args = $4->v;
		$$->nargs = $4->n;
		$$->value = $7;
	}
	| DEFAULT head_ref {
		rg_error(P, POS(@1), "a default rule needs a value: `default %s := VALUE`",
		         rg_term_str(P->a, $2));
		$$ = NULL;
	}
	| head {
		$$ = $1;
		if ($$->kind != RG_R_SET && !$$->value && $$->head->kind == RG_T_VAR)
			rg_error(P, $$->pos, "rule `%s` needs a value or a body (`%s := VALUE` or `%s if { ... }`)",
			         $$->head->u.var.name, $$->head->u.var.name, $$->head->u.var.name);
	}
	| head IF body_or_lit else_chain {
		$$ = $1;
		set_body($$, $3, true, false);
		$$->els = $4;
	}
	| head LBRACE query RBRACE else_chain {
		$$ = $1;
		set_body($$, $3, false, true);
		$$->els = $5;
		rg_error(P, POS(@2), "`if` keyword is required before rule body (Rego v1)");
	}
	;

head
	: head_ref { $$ = rule_new(P, @1, $1); }
	| head_ref ASSIGN expr_kv { $$ = rule_new(P, @1, $1); $$->value = $3; }
	| head_ref UNIFY expr_kv { $$ = rule_new(P, @1, $1); $$->value = $3; }
	| head_ref CONTAINS expr_kv {
		$$ = rule_new(P, @1, $1);
		$$->kind = RG_R_SET;
		$$->key = $3;
	}
	| head_ref CALL_LPAREN args_opt RPAREN {
		$$ = rule_new(P, @1, $1);
		$$->kind = RG_R_FUNC;
		$$->args = $3->v;
		$$->nargs = $3->n;
	}
	| head_ref CALL_LPAREN args_opt RPAREN ASSIGN expr_kv {
		$$ = rule_new(P, @1, $1);
		$$->kind = RG_R_FUNC;
		$$->args = $3->v;
		$$->nargs = $3->n;
		$$->value = $6;
	}
	| head_ref CALL_LPAREN args_opt RPAREN UNIFY expr_kv {
		$$ = rule_new(P, @1, $1);
		$$->kind = RG_R_FUNC;
		$$->args = $3->v;
		$$->nargs = $3->n;
		$$->value = $6;
	}
	;

head_ref
	: IDENT { $$ = mkvar(P, $1, @1); }
	| head_ref DOT IDENT {
		if ($1->kind == RG_T_VAR) {
			struct rg_term *r = rg_term_new(P->a, RG_T_REF, $1->pos);
			rg_list_push(P->a, r, $1);
			$1 = r;
		}
		$$ = $1;
		rg_list_push(P->a, $$, mkstr(P, $3, @3));
	}
	| head_ref IDX_LBRACK expr_kv RBRACK {
		if ($1->kind == RG_T_VAR) {
			struct rg_term *r = rg_term_new(P->a, RG_T_REF, $1->pos);
			rg_list_push(P->a, r, $1);
			$1 = r;
		}
		$$ = $1;
		rg_list_push(P->a, $$, $3);
	}
	;

body_or_lit
	: BODY_LBRACE query RBRACE { $$ = $2; }
	| literal {
		$$ = arena_alloc(P->a, sizeof(*$$));
		if ($1)
			rg_body_push(P->a, $$, $1);
	}
	;

else_chain
	: %empty { $$ = NULL; }
	| else_clause else_chain { $$ = $1; $$->els = $2; }
	;

else_clause
	: ELSE { $$ = rule_new(P, @1, NULL); }
	| ELSE IF body_or_lit { $$ = rule_new(P, @1, NULL); set_body($$, $3, true, false); }
	| ELSE ASSIGN expr_kv { $$ = rule_new(P, @1, NULL); $$->value = $3; }
	| ELSE UNIFY expr_kv { $$ = rule_new(P, @1, NULL); $$->value = $3; }
	| ELSE ASSIGN expr_kv IF body_or_lit {
		$$ = rule_new(P, @1, NULL);
		$$->value = $3;
		set_body($$, $5, true, false);
	}
	| ELSE UNIFY expr_kv IF body_or_lit {
		$$ = rule_new(P, @1, NULL);
		$$->value = $3;
		set_body($$, $5, true, false);
	}
	| ELSE BODY_LBRACE query RBRACE {
		$$ = rule_new(P, @1, NULL);
		set_body($$, $3, false, true);
		rg_error(P, POS(@2), "`if` keyword is required before rule body (Rego v1)");
	}
	;

/* ---- bodies ------------------------------------------------------------------ */

query
	: lit_or_err {
		$$ = arena_alloc(P->a, sizeof(*$$));
		if ($1)
			rg_body_push(P->a, $$, $1);
	}
	| query sep lit_or_err { $$ = $1; if ($3) rg_body_push(P->a, $$, $3); }
	;

sep : NL | SEMI ;

lit_or_err
	: literal
	| error { $$ = NULL; }
	;

qlist
	: literal { if ($1) rg_body_push(P->a, P->query, $1); }
	| qlist qsep literal { if ($3) rg_body_push(P->a, P->query, $3); }
	;

qsep : NL | TNL | SEMI ;

literal
	: lit_core
	| lit_core withs { $$ = $1; $$->withs = $2->v; $$->nwiths = $2->n; }
	;

withs
	: with {
		$$ = arena_alloc(P->a, sizeof(*$$));
		*ARENA_PUSH(P->a, $$->v, $$->n, $$->cap) = *$1;
	}
	| withs with { $$ = $1; *ARENA_PUSH(P->a, $$->v, $$->n, $$->cap) = *$2; }
	;

with
	: WITH term AS expr_kv {
		$$ = arena_alloc(P->a, sizeof(*$$));
		$$->target = $2;
		$$->value = $4;
		$$->pos = POS(@1);
	}
	;

lit_core
	: expr_kv { $$ = lit_expr(P, RG_L_EXPR, @1, $1, NULL); }
	| expr_kv ASSIGN expr_kv { $$ = lit_expr(P, RG_L_ASSIGN, @1, $1, $3); }
	| expr_kv UNIFY expr_kv { $$ = lit_expr(P, RG_L_UNIFY, @1, $1, $3); }
	| NOT expr_kv {
		$$ = lit_expr(P, RG_L_EXPR, @1, $2, NULL);
		$$->negated = true;
		$$->pos = POS(@1);
	}
	| NOT expr_kv ASSIGN expr_kv {
		$$ = lit_expr(P, RG_L_ASSIGN, @1, $2, $4);
		$$->negated = true;
		$$->pos = POS(@1);
	}
	| NOT expr_kv UNIFY expr_kv {
		$$ = lit_expr(P, RG_L_UNIFY, @1, $2, $4);
		$$->negated = true;
		$$->pos = POS(@1);
	}
	| SOME some_list { $$ = mk_some(P, @1, $2, NULL); }
	| SOME some_list IN expr_rel { $$ = mk_some(P, @1, $2, $4); }
	| EVERY some_list IN expr_rel LBRACE query RBRACE {
		$$ = mk_every(P, @1, $2, $4, $6);
	}
	;

some_list
	: expr_rel { $$ = tl_new(P, $1); }
	| some_list COMMA expr_rel { $$ = $1; *ARENA_PUSH(P->a, $$->v, $$->n, $$->cap) = $3; }
	;

/* ---- expressions ------------------------------------------------------------- */

expr_kv
	: expr_in
	| kvin
	;

kvin
	: expr_rel COMMA expr_rel IN expr_rel { $$ = mkop(P, "internal.member_3", @4, $1, $3, $5); }
	| kvin IN expr_rel { $$ = mkop(P, "internal.member_2", @2, $1, $3, NULL); }
	;

expr_in
	: expr_rel
	| expr_in IN expr_rel { $$ = mkop(P, "internal.member_2", @2, $1, $3, NULL); }
	;

expr_rel
	: expr_or
	| expr_rel relop expr_or { $$ = mkop(P, $2, @2, $1, $3, NULL); }
	;

relop
	: EQ { $$ = "equal"; }
	| NEQ { $$ = "neq"; }
	| LT { $$ = "lt"; }
	| LE { $$ = "lte"; }
	| GT { $$ = "gt"; }
	| GE { $$ = "gte"; }
	;

expr_or
	: expr_and
	| expr_or BAR expr_and { $$ = mkop(P, "or", @2, $1, $3, NULL); }
	;

expr_and
	: expr_arith
	| expr_and AMP expr_arith { $$ = mkop(P, "and", @2, $1, $3, NULL); }
	;

expr_arith
	: expr_fac
	| expr_arith PLUS expr_fac { $$ = mkop(P, "plus", @2, $1, $3, NULL); }
	| expr_arith MINUS expr_fac { $$ = mkop(P, "minus", @2, $1, $3, NULL); }
	;

expr_fac
	: term %prec TERMPREC
	| expr_fac STAR term { $$ = mkop(P, "mul", @2, $1, $3, NULL); }
	| expr_fac SLASH term { $$ = mkop(P, "div", @2, $1, $3, NULL); }
	| expr_fac PERCENT term { $$ = mkop(P, "rem", @2, $1, $3, NULL); }
	;

term
	: postfix
	| NUMBER { $$ = rg_number(P, $1, false, POS(@1)); }
	| MINUS NUMBER { $$ = rg_number(P, $2, true, POS(@1)); }
	| STRING { $$ = mkstr(P, $1, @1); }
	| TRUE { $$ = mk(P, RG_T_BOOL, @1); $$->u.b = true; }
	| FALSE { $$ = mk(P, RG_T_BOOL, @1); $$->u.b = false; }
	| NULL { $$ = mk(P, RG_T_NULL, @1); }
	| LPAREN expr_kv RPAREN { $$ = $2; }
	;

postfix
	: IDENT { $$ = mkvar(P, $1, @1); }
	| array
	| brace
	| postfix DOT IDENT {
		if ($1->kind != RG_T_REF) {
			struct rg_term *r = rg_term_new(P->a, RG_T_REF, $1->pos);
			rg_list_push(P->a, r, $1);
			$1 = r;
		}
		$$ = $1;
		rg_list_push(P->a, $$, mkstr(P, $3, @3));
	}
	| postfix IDX_LBRACK expr_kv RBRACK {
		if ($1->kind != RG_T_REF) {
			struct rg_term *r = rg_term_new(P->a, RG_T_REF, $1->pos);
			rg_list_push(P->a, r, $1);
			$1 = r;
		}
		$$ = $1;
		rg_list_push(P->a, $$, $3);
	}
	| postfix CALL_LPAREN args_opt RPAREN {
		if ($1->kind == RG_T_VAR && strcmp($1->u.var.name, "set") == 0 && $3->n == 0) {
			$$ = rg_term_new(P->a, RG_T_SET, $1->pos);
		} else {
			$$ = rg_term_new(P->a, RG_T_CALL, $1->pos);
			rg_list_push(P->a, $$, $1);
			for (size_t i = 0; i < $3->n; i++)
				rg_list_push(P->a, $$, $3->v[i]);
		}
	}
	;

args_opt
	: %empty { $$ = tl_new(P, NULL); }
	| list opt_comma
	;

opt_comma : %empty | COMMA ;

list
	: expr_in { $$ = tl_new(P, $1); }
	| list COMMA expr_in { $$ = $1; *ARENA_PUSH(P->a, $$->v, $$->n, $$->cap) = $3; }
	;

array
	: LBRACK RBRACK { $$ = mk(P, RG_T_ARRAY, @1); }
	| LBRACK list opt_comma RBRACK { $$ = list_term(P, RG_T_ARRAY, @1, $2); }
	| LBRACK term BAR query RBRACK { $$ = comp(P, RG_T_ACOMP, @1, NULL, $2, $4); }
	;

brace
	: LBRACE RBRACE { $$ = mk(P, RG_T_OBJECT, @1); }
	| LBRACE list opt_comma RBRACE { $$ = list_term(P, RG_T_SET, @1, $2); }
	| LBRACE objlist opt_comma RBRACE {
		$$ = mk(P, RG_T_OBJECT, @1);
		for (size_t i = 0; i + 1 < $2->n; i += 2)
			rg_obj_push(P->a, $$, $2->v[i], $2->v[i + 1]);
	}
	| LBRACE term BAR query RBRACE { $$ = comp(P, RG_T_SCOMP, @1, NULL, $2, $4); }
	| LBRACE expr_in COLON term BAR query RBRACE { $$ = comp(P, RG_T_OCOMP, @1, $2, $4, $6); }
	;

objlist
	: expr_in COLON expr_in {
		$$ = tl_new(P, $1);
		*ARENA_PUSH(P->a, $$->v, $$->n, $$->cap) = $3;
	}
	| objlist COMMA expr_in COLON expr_in {
		$$ = $1;
		*ARENA_PUSH(P->a, $$->v, $$->n, $$->cap) = $3;
		*ARENA_PUSH(P->a, $$->v, $$->n, $$->cap) = $5;
	}
	;

%%

static void rg_yyerror(RG_YYLTYPE *loc, struct rg_parser *P, const char *msg)
{
	/* bison says "syntax error, unexpected X, expecting Y"; the code already
	 * says it is a syntax error. */
	if (strncmp(msg, "syntax error, ", 14) == 0)
		msg += 14;
	rg_error(P, POS(*loc), "%s", msg);
	P->recovering = true;
}
