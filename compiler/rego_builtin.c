/* rego_builtin.c — the builtin functions of polc's Rego subset, with OPA's
 * semantics and error messages ("count: operand 1 must be one of {array,
 * object, set, string} but got number").  A builtin returns 0 with a value,
 * 1 for undefined, or -1 with an error code and message. */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h> /* isinf, isnan: macros, no libm */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "rego_int.h"

int rg_berr(struct bctx *b, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->code = code;
	b->msg = arena_strdup(b->a, msg);
	return -1;
}

int rg_btype(struct bctx *b, const char *name, int operand, const char *want,
             const struct rv *got)
{
	return rg_berr(b, "eval_type_error", "%s: operand %d must be %s but got %s", name, operand,
	               want, rv_kind_name(got->kind));
}

#define WANT(kind_, i, want)                                                                   \
	do {                                                                                   \
		if (args[(i)]->kind != (kind_))                                                \
			return rg_btype(b, NAME, (i) + 1, want, args[(i)]);                    \
	} while (0)
#define OUT(v)                                                                                 \
	do {                                                                                   \
		*out = (v);                                                                    \
		return 0;                                                                      \
	} while (0)

static size_t utf8_len(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* ---- comparison and membership ------------------------------------------- */

#define NAME "equal"
static int b_equal(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	OUT(rv_bool(rv_eq(args[0], args[1])));
}
#undef NAME
static int b_neq(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	OUT(rv_bool(!rv_eq(args[0], args[1])));
}
static int b_lt(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	OUT(rv_bool(rv_cmp(args[0], args[1]) < 0));
}
static int b_lte(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	OUT(rv_bool(rv_cmp(args[0], args[1]) <= 0));
}
static int b_gt(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	OUT(rv_bool(rv_cmp(args[0], args[1]) > 0));
}
static int b_gte(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	OUT(rv_bool(rv_cmp(args[0], args[1]) >= 0));
}

/* x in xs: an element of an array or set, a value of an object. */
static int b_member(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	const struct rv *x = args[0], *c = args[1];
	switch (c->kind) {
	case RV_SET: OUT(rv_bool(rv_set_has(c, x)));
	case RV_ARRAY:
		for (size_t i = 0; i < c->u.arr.n; i++)
			if (rv_eq(c->u.arr.items[i], x))
				OUT(RV_TRUE);
		OUT(RV_FALSE);
	case RV_OBJECT:
		for (size_t i = 0; i < c->u.obj.n; i++)
			if (rv_eq(c->u.obj.vals[i], x))
				OUT(RV_TRUE);
		OUT(RV_FALSE);
	default: OUT(RV_FALSE);
	}
}

/* k, v in xs: xs[k] == v (arrays, objects); for sets k == v == element. */
static int b_member3(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	const struct rv *k = args[0], *v = args[1], *c = args[2];
	int64_t i;
	switch (c->kind) {
	case RV_ARRAY:
		if (!rv_int(k, 0, (int64_t)c->u.arr.n - 1, &i))
			OUT(RV_FALSE);
		OUT(rv_bool(rv_eq(c->u.arr.items[i], v)));
	case RV_OBJECT: {
		const struct rv *x = rv_get(c, k);
		OUT(rv_bool(x && rv_eq(x, v)));
	}
	case RV_SET: OUT(rv_bool(rv_eq(k, v) && rv_set_has(c, k)));
	default: OUT(RV_FALSE);
	}
}

/* ---- arithmetic and sets ---------------------------------------------------- */

static int arith(struct bctx *b, const char *name, const struct rv *const *args,
                 const struct rv **out, char op)
{
	if (args[0]->kind != RV_NUM)
		return rg_btype(b, name, 1, "number", args[0]);
	if (args[1]->kind != RV_NUM)
		return rg_btype(b, name, 2, "number", args[1]);
	double x = args[0]->u.num, y = args[1]->u.num, r = 0;
	switch (op) {
	case '+': r = x + y; break;
	case '-': r = x - y; break;
	case '*': r = x * y; break;
	case '/':
		if (y == 0)
			return rg_berr(b, "eval_builtin_error", "div: divide by zero");
		r = x / y;
		break;
	case '%':
		if (y == 0)
			return rg_berr(b, "eval_builtin_error", "rem: modulo by zero");
		if (!rv_integral(x) || !rv_integral(y))
			return rg_berr(b, "eval_builtin_error",
			               "rem: modulo on floating-point number");
		if (x > 9.0e15 || x < -9.0e15 || y > 9.0e15 || y < -9.0e15)
			return rg_berr(b, "eval_builtin_error", "rem: operand out of range");
		r = (double)((long long)x % (long long)y);
		break;
	}
	if (isinf(r) || isnan(r))
		return rg_berr(b, "eval_builtin_error", "%s: result out of range", name);
	OUT(rv_num(b->a, r));
}

static int b_plus(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return arith(b, "plus", a, o, '+');
}
static int b_mul(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return arith(b, "mul", a, o, '*');
}
static int b_div(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return arith(b, "div", a, o, '/');
}
static int b_rem(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return arith(b, "rem", a, o, '%');
}

static const struct rv *set_op(struct arena *a, const struct rv *x, const struct rv *y, char op)
{
	size_t n = 0;
	const struct rv **v = arena_array(a, x->u.arr.n + y->u.arr.n + 1, sizeof(*v));
	for (size_t i = 0; i < x->u.arr.n; i++) {
		bool in = rv_set_has(y, x->u.arr.items[i]);
		if ((op == '-' && !in) || (op == '&' && in) || op == '|')
			v[n++] = x->u.arr.items[i];
	}
	if (op == '|')
		for (size_t i = 0; i < y->u.arr.n; i++)
			v[n++] = y->u.arr.items[i];
	return rv_set(a, v, n);
}

static int b_minus(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind == RV_SET && args[1]->kind == RV_SET)
		OUT(set_op(b->a, args[0], args[1], '-'));
	if (args[0]->kind == RV_NUM && args[1]->kind == RV_NUM)
		return arith(b, "minus", args, out, '-');
	if (args[0]->kind != RV_NUM && args[0]->kind != RV_SET)
		return rg_btype(b, "minus", 1, "one of {number, set}", args[0]);
	return rg_btype(b, "minus", 2, args[0]->kind == RV_NUM ? "number" : "set", args[1]);
}

#define NAME "or"
static int b_or(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_SET, 0, "set");
	WANT(RV_SET, 1, "set");
	OUT(set_op(b->a, args[0], args[1], '|'));
}
#undef NAME
#define NAME "and"
static int b_and(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_SET, 0, "set");
	WANT(RV_SET, 1, "set");
	OUT(set_op(b->a, args[0], args[1], '&'));
}
#undef NAME

/* ---- aggregates -------------------------------------------------------------- */

static int b_count(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	const struct rv *x = args[0];
	switch (x->kind) {
	case RV_ARRAY:
	case RV_SET: OUT(rv_num(b->a, (double)x->u.arr.n));
	case RV_OBJECT: OUT(rv_num(b->a, (double)x->u.obj.n));
	case RV_STR: OUT(rv_num(b->a, (double)utf8_len(x->u.str.s, x->u.str.len)));
	default: return rg_btype(b, "count", 1, "one of {array, object, set, string}", x);
	}
}

static int numbers_of(struct bctx *b, const char *name, const struct rv *x, double *sum,
                      size_t *n)
{
	if (x->kind != RV_ARRAY && x->kind != RV_SET)
		return rg_btype(b, name, 1, "one of {array, set}", x);
	*sum = 0;
	*n = x->u.arr.n;
	for (size_t i = 0; i < x->u.arr.n; i++) {
		if (x->u.arr.items[i]->kind != RV_NUM)
			return rg_btype(b, name, 1, "one of {array, set} of numbers", x);
		*sum += x->u.arr.items[i]->u.num;
	}
	return 0;
}

static int b_sum(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	double s = 0;
	size_t n = 0;
	if (numbers_of(b, "sum", args[0], &s, &n) < 0)
		return -1;
	OUT(rv_num(b->a, s));
}

static int minmax(struct bctx *b, const char *name, const struct rv *x, const struct rv **out,
                  int sign)
{
	if (x->kind != RV_ARRAY && x->kind != RV_SET)
		return rg_btype(b, name, 1, "one of {array, set}", x);
	if (x->u.arr.n == 0)
		return 1;
	const struct rv *m = x->u.arr.items[0];
	for (size_t i = 1; i < x->u.arr.n; i++)
		if (rv_cmp(x->u.arr.items[i], m) * sign > 0)
			m = x->u.arr.items[i];
	*out = m;
	return 0;
}

static int b_max(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return minmax(b, "max", a[0], o, 1);
}
static int b_min(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return minmax(b, "min", a[0], o, -1);
}

static int b_sort(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	const struct rv *x = args[0];
	if (x->kind == RV_SET)
		OUT(rv_array(b->a, x->u.arr.items, x->u.arr.n));
	if (x->kind != RV_ARRAY)
		return rg_btype(b, "sort", 1, "one of {array, set}", x);
	const struct rv *s = rv_set(b->a, x->u.arr.items, x->u.arr.n);
	/* keep duplicates: sort a copy instead of deduplicating */
	const struct rv **v = arena_array(b->a, x->u.arr.n + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < s->u.arr.n; i++)
		for (size_t j = 0; j < x->u.arr.n; j++)
			if (rv_eq(s->u.arr.items[i], x->u.arr.items[j]))
				v[n++] = x->u.arr.items[j];
	OUT(rv_array(b->a, v, n));
}

/* ---- types -------------------------------------------------------------------- */

#define IS(fn, k)                                                                              \
	static int fn(struct bctx *b, const struct rv *const *args, const struct rv **out)     \
	{                                                                                      \
		OUT(rv_bool(args[0]->kind == (k)));                                            \
	}
IS(b_is_string, RV_STR)
IS(b_is_number, RV_NUM)
IS(b_is_boolean, RV_BOOL)
IS(b_is_array, RV_ARRAY)
IS(b_is_set, RV_SET)
IS(b_is_object, RV_OBJECT)
IS(b_is_null, RV_NULL)

static int b_type_name(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	OUT(rv_cstr(b->a, rv_kind_name(args[0]->kind)));
}

static int b_to_number(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	const struct rv *x = args[0];
	switch (x->kind) {
	case RV_NULL: OUT(rv_num(b->a, 0));
	case RV_BOOL: OUT(rv_num(b->a, x->u.b ? 1 : 0));
	case RV_NUM: OUT(x);
	case RV_STR: {
		char *end;
		double d = strtod(x->u.str.s, &end);
		if (x->u.str.len == 0 || *end || end != x->u.str.s + x->u.str.len || isinf(d) ||
		    isnan(d) || isspace((unsigned char)x->u.str.s[0]))
			return rg_berr(b, "eval_builtin_error",
			               "to_number: invalid syntax (could not convert \"%s\")",
			               x->u.str.s);
		OUT(rv_num(b->a, d));
	}
	default: return rg_btype(b, "to_number", 1, "one of {boolean, null, number, string}", x);
	}
}

static int b_abs(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_NUM)
		return rg_btype(b, "abs", 1, "number", args[0]);
	OUT(rv_num(b->a, (args[0]->u.num < 0 ? -args[0]->u.num : args[0]->u.num)));
}

/* ---- strings ------------------------------------------------------------------ */

static const struct rv *sub(struct arena *a, const struct rv *s, size_t off, size_t n)
{
	return rv_str(a, s->u.str.s + off, n);
}

static bool has_prefix(const struct rv *s, const struct rv *p)
{
	return p->u.str.len <= s->u.str.len && memcmp(s->u.str.s, p->u.str.s, p->u.str.len) == 0;
}

static bool has_suffix(const struct rv *s, const struct rv *p)
{
	return p->u.str.len <= s->u.str.len &&
	       memcmp(s->u.str.s + s->u.str.len - p->u.str.len, p->u.str.s, p->u.str.len) == 0;
}

static const char *find_sub(const struct rv *h, const struct rv *n)
{
	if (n->u.str.len == 0)
		return h->u.str.s;
	return memmem(h->u.str.s, h->u.str.len, n->u.str.s, n->u.str.len);
}

#define NAME "startswith"
static int b_startswith(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_STR, 0, "string");
	WANT(RV_STR, 1, "string");
	OUT(rv_bool(has_prefix(args[0], args[1])));
}
#undef NAME
#define NAME "endswith"
static int b_endswith(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_STR, 0, "string");
	WANT(RV_STR, 1, "string");
	OUT(rv_bool(has_suffix(args[0], args[1])));
}
#undef NAME
#define NAME "contains"
static int b_contains(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_STR, 0, "string");
	WANT(RV_STR, 1, "string");
	OUT(rv_bool(find_sub(args[0], args[1]) != NULL));
}
#undef NAME

static int casefn(struct bctx *b, const char *name, const struct rv *x, const struct rv **out,
                  int (*f)(int))
{
	if (x->kind != RV_STR)
		return rg_btype(b, name, 1, "string", x);
	char *s = arena_alloc(b->a, x->u.str.len + 1);
	for (size_t i = 0; i < x->u.str.len; i++) {
		unsigned char c = (unsigned char)x->u.str.s[i];
		s[i] = c < 0x80 ? (char)f(c) : (char)c;
	}
	OUT(rv_str(b->a, s, x->u.str.len));
}
static int b_lower(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return casefn(b, "lower", a[0], o, tolower);
}
static int b_upper(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return casefn(b, "upper", a[0], o, toupper);
}

/* Strings of a string / array / set operand (for concat, any_*_match). */
static int strings_of(struct bctx *b, const char *name, int operand, const struct rv *x,
                      bool allow_string, const struct rv ***v, size_t *n)
{
	if (allow_string && x->kind == RV_STR) {
		*v = arena_alloc(b->a, sizeof(**v));
		(*v)[0] = x;
		*n = 1;
		return 0;
	}
	const char *want = allow_string ? "one of {string, set, array}" : "one of {set, array}";
	if (x->kind != RV_ARRAY && x->kind != RV_SET)
		return rg_btype(b, name, operand, want, x);
	for (size_t i = 0; i < x->u.arr.n; i++)
		if (x->u.arr.items[i]->kind != RV_STR)
			return rg_berr(b, "eval_type_error",
			               "%s: operand %d must be %s of strings but got %s containing %s",
			               name, operand, rv_kind_name(x->kind), rv_kind_name(x->kind),
			               rv_kind_name(x->u.arr.items[i]->kind));
	*v = (const struct rv **)x->u.arr.items;
	*n = x->u.arr.n;
	return 0;
}

static int any_match(struct bctx *b, const char *name, const struct rv *const *args,
                     const struct rv **out, bool prefix)
{
	const struct rv **s = NULL, **p = NULL;
	size_t ns = 0, np = 0;
	if (strings_of(b, name, 1, args[0], true, &s, &ns) < 0 ||
	    strings_of(b, name, 2, args[1], true, &p, &np) < 0)
		return -1;
	for (size_t i = 0; i < ns; i++)
		for (size_t j = 0; j < np; j++)
			if (prefix ? has_prefix(s[i], p[j]) : has_suffix(s[i], p[j]))
				OUT(RV_TRUE);
	OUT(RV_FALSE);
}
static int b_any_prefix(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return any_match(b, "strings.any_prefix_match", a, o, true);
}
static int b_any_suffix(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return any_match(b, "strings.any_suffix_match", a, o, false);
}

static int b_concat(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_STR)
		return rg_btype(b, "concat", 1, "string", args[0]);
	const struct rv **v = NULL;
	size_t n = 0;
	if (strings_of(b, "concat", 2, args[1], false, &v, &n) < 0)
		return -1;
	struct rstr s = {.a = b->a};
	rstr_add(&s, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (i)
			rstr_add(&s, args[0]->u.str.s, args[0]->u.str.len);
		rstr_add(&s, v[i]->u.str.s, v[i]->u.str.len);
	}
	OUT(rv_str(b->a, s.p, s.len));
}

#define NAME "split"
static int b_split(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_STR, 0, "string");
	WANT(RV_STR, 1, "string");
	const struct rv *s = args[0], *d = args[1];
	size_t cap = s->u.str.len + 2, n = 0;
	const struct rv **v = arena_array(b->a, cap, sizeof(*v));
	if (d->u.str.len == 0) {
		/* Go splits into UTF-8 characters */
		for (size_t i = 0; i < s->u.str.len;) {
			size_t j = i + 1;
			while (j < s->u.str.len && ((unsigned char)s->u.str.s[j] & 0xc0) == 0x80)
				j++;
			v[n++] = sub(b->a, s, i, j - i);
			i = j;
		}
		OUT(rv_array(b->a, v, n));
	}
	size_t start = 0;
	for (size_t i = 0; i + d->u.str.len <= s->u.str.len;) {
		if (memcmp(s->u.str.s + i, d->u.str.s, d->u.str.len) == 0) {
			v[n++] = sub(b->a, s, start, i - start);
			i += d->u.str.len;
			start = i;
		} else {
			i++;
		}
	}
	v[n++] = sub(b->a, s, start, s->u.str.len - start);
	OUT(rv_array(b->a, v, n));
}
#undef NAME

#define NAME "replace"
static int b_replace(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_STR, 0, "string");
	WANT(RV_STR, 1, "string");
	WANT(RV_STR, 2, "string");
	const struct rv *s = args[0], *o = args[1], *nw = args[2];
	struct rstr r = {.a = b->a};
	rstr_add(&r, "", 0);
	if (o->u.str.len == 0) {
		/* Go: insert at the start and after each UTF-8 character */
		rstr_add(&r, nw->u.str.s, nw->u.str.len);
		for (size_t i = 0; i < s->u.str.len;) {
			size_t j = i + 1;
			while (j < s->u.str.len && ((unsigned char)s->u.str.s[j] & 0xc0) == 0x80)
				j++;
			rstr_add(&r, s->u.str.s + i, j - i);
			rstr_add(&r, nw->u.str.s, nw->u.str.len);
			i = j;
		}
		OUT(rv_str(b->a, r.p, r.len));
	}
	for (size_t i = 0; i < s->u.str.len;) {
		if (i + o->u.str.len <= s->u.str.len &&
		    memcmp(s->u.str.s + i, o->u.str.s, o->u.str.len) == 0) {
			rstr_add(&r, nw->u.str.s, nw->u.str.len);
			i += o->u.str.len;
		} else {
			rstr_add(&r, s->u.str.s + i, 1);
			i++;
		}
	}
	OUT(rv_str(b->a, r.p, r.len));
}
#undef NAME

static bool in_cutset(const struct rv *cut, char c)
{
	return memchr(cut->u.str.s, c, cut->u.str.len) != NULL;
}

static int trimfn(struct bctx *b, const char *name, const struct rv *const *args,
                  const struct rv **out, bool left, bool right, bool affix)
{
	if (args[0]->kind != RV_STR)
		return rg_btype(b, name, 1, "string", args[0]);
	if (args[1]->kind != RV_STR)
		return rg_btype(b, name, 2, "string", args[1]);
	const struct rv *s = args[0], *c = args[1];
	size_t lo = 0, hi = s->u.str.len;
	if (affix) {
		if (left && has_prefix(s, c))
			lo = c->u.str.len;
		if (right && has_suffix(s, c))
			hi -= c->u.str.len;
	} else {
		while (left && lo < hi && in_cutset(c, s->u.str.s[lo]))
			lo++;
		while (right && hi > lo && in_cutset(c, s->u.str.s[hi - 1]))
			hi--;
	}
	OUT(sub(b->a, s, lo, hi - lo));
}
static int b_trim(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return trimfn(b, "trim", a, o, true, true, false);
}
static int b_trim_left(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return trimfn(b, "trim_left", a, o, true, false, false);
}
static int b_trim_right(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return trimfn(b, "trim_right", a, o, false, true, false);
}
static int b_trim_prefix(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return trimfn(b, "trim_prefix", a, o, true, false, true);
}
static int b_trim_suffix(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return trimfn(b, "trim_suffix", a, o, false, true, true);
}
static int b_trim_space(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_STR)
		return rg_btype(b, "trim_space", 1, "string", args[0]);
	const struct rv *s = args[0];
	size_t lo = 0, hi = s->u.str.len;
	while (lo < hi && isspace((unsigned char)s->u.str.s[lo]))
		lo++;
	while (hi > lo && isspace((unsigned char)s->u.str.s[hi - 1]))
		hi--;
	OUT(sub(b->a, s, lo, hi - lo));
}

#define NAME "indexof"
static int b_indexof(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_STR, 0, "string");
	WANT(RV_STR, 1, "string");
	const char *p = find_sub(args[0], args[1]);
	if (!p)
		OUT(rv_num(b->a, -1));
	OUT(rv_num(b->a, (double)utf8_len(args[0]->u.str.s, (size_t)(p - args[0]->u.str.s))));
}
#undef NAME

#define NAME "substring"
static int b_substring(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	WANT(RV_STR, 0, "string");
	WANT(RV_NUM, 1, "number");
	WANT(RV_NUM, 2, "number");
	int64_t off, len;
	if (!rv_int(args[1], INT32_MIN, INT32_MAX, &off))
		return rg_btype(b, NAME, 2, "integer", args[1]);
	if (!rv_int(args[2], INT32_MIN, INT32_MAX, &len))
		return rg_btype(b, NAME, 3, "integer", args[2]);
	if (off < 0)
		return rg_berr(b, "eval_builtin_error", "substring: negative offset");
	/* offsets count UTF-8 characters */
	const struct rv *s = args[0];
	size_t i = 0, ch = 0;
	while (i < s->u.str.len && ch < (size_t)off) {
		i++;
		while (i < s->u.str.len && ((unsigned char)s->u.str.s[i] & 0xc0) == 0x80)
			i++;
		ch++;
	}
	size_t j = i;
	if (len < 0) {
		j = s->u.str.len;
	} else {
		for (ch = 0; j < s->u.str.len && ch < (size_t)len; ch++) {
			j++;
			while (j < s->u.str.len && ((unsigned char)s->u.str.s[j] & 0xc0) == 0x80)
				j++;
		}
	}
	OUT(sub(b->a, s, i, j - i));
}
#undef NAME

/* ---- sprintf (Go fmt, as OPA passes values to it) --------------------------- */

static void fmt_pad(struct rstr *o, const char *s, size_t n, int width, bool minus, bool zero)
{
	size_t chars = utf8_len(s, n);
	if (!minus)
		for (size_t i = chars; width > 0 && i < (size_t)width; i++)
			rstr_add(o, zero ? "0" : " ", 1);
	rstr_add(o, s, n);
	if (minus)
		for (size_t i = chars; width > 0 && i < (size_t)width; i++)
			rstr_add(o, " ", 1);
}

/* Go's %!verb(type=value) for a mismatch. */
static void fmt_bad(struct rstr *o, struct arena *a, char verb, const struct rv *v)
{
	const char *ty = v->kind == RV_STR ? "string"
	                 : v->kind == RV_NUM ? (rv_integral(v->u.num) ? "*big.Int" : "float64")
	                                     : "string";
	const char *txt = v->kind == RV_STR ? arena_strndup(a, v->u.str.s, v->u.str.len)
	                                    : rv_rego(a, v);
	if (v->kind == RV_NUM && rv_integral(v->u.num))
		ty = "int";
	rstr_printf(o, "%%!%c(%s=%s)", verb, ty, txt);
}

static int b_sprintf(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_STR)
		return rg_btype(b, "sprintf", 1, "string", args[0]);
	if (args[1]->kind != RV_ARRAY)
		return rg_btype(b, "sprintf", 2, "array", args[1]);
	const char *f = args[0]->u.str.s;
	size_t fn = args[0]->u.str.len, ai = 0;
	const struct rv *const *av = args[1]->u.arr.items;
	size_t ac = args[1]->u.arr.n;
	struct rstr o = {.a = b->a};
	rstr_add(&o, "", 0);
	for (size_t i = 0; i < fn; i++) {
		if (f[i] != '%') {
			rstr_add(&o, f + i, 1);
			continue;
		}
		i++;
		bool minus = false, zero = false, plus = false, space = false, sharp = false;
		for (; i < fn && strchr("-0+ #", f[i]); i++) {
			minus |= f[i] == '-';
			zero |= f[i] == '0';
			plus |= f[i] == '+';
			space |= f[i] == ' ';
			sharp |= f[i] == '#';
		}
		int width = -1, prec = -1;
		if (i < fn && f[i] == '*') {
			int64_t w;
			if (ai < ac && rv_int(av[ai], 0, 1 << 20, &w))
				width = (int)w;
			ai++;
			i++;
		}
		for (; i < fn && isdigit((unsigned char)f[i]); i++)
			if (width < 100000)
				width = (width < 0 ? 0 : width) * 10 + (f[i] - '0');
		if (i < fn && f[i] == '.') {
			prec = 0;
			for (i++; i < fn && isdigit((unsigned char)f[i]); i++)
				prec = prec * 10 + (f[i] - '0');
			if (prec > 1000)
				prec = 1000;
		}
		if (width > 100000)
			width = 100000;
		if (i >= fn) {
			rstr_addc(&o, "%!(NOVERB)");
			break;
		}
		char verb = f[i];
		if (verb == '%') {
			rstr_add(&o, "%", 1);
			continue;
		}
		if (ai >= ac) {
			rstr_printf(&o, "%%!%c(MISSING)", verb);
			continue;
		}
		const struct rv *v = av[ai++];
		char buf[512];
		const char *txt = NULL;
		size_t tn = 0;
		bool is_int = v->kind == RV_NUM && rv_integral(v->u.num) && v->u.num < 1e18 && v->u.num > -1e18;
		switch (verb) {
		case 'v':
		case 's':
			if (v->kind == RV_STR) {
				txt = v->u.str.s;
				tn = v->u.str.len;
				if (prec >= 0 && (size_t)prec < tn)
					tn = (size_t)prec;
			} else if (v->kind == RV_NUM && verb == 'v') {
				txt = rv_rego(b->a, v);
				tn = strlen(txt);
			} else if (v->kind == RV_NUM) {
				fmt_bad(&o, b->a, verb, v);
				continue;
			} else {
				txt = rv_rego(b->a, v);
				tn = strlen(txt);
			}
			break;
		case 'd':
			if (!is_int) {
				fmt_bad(&o, b->a, verb, v);
				continue;
			}
			snprintf(buf, sizeof(buf), plus ? "%+.0f" : space ? "% .0f" : "%.0f", v->u.num);
			txt = buf;
			tn = strlen(buf);
			break;
		case 'x':
		case 'X':
		case 'o':
		case 'b':
			if (v->kind == RV_STR && (verb == 'x' || verb == 'X')) {
				struct rstr h = {.a = b->a};
				rstr_add(&h, "", 0);
				for (size_t k = 0; k < v->u.str.len; k++)
					rstr_printf(&h, verb == 'x' ? "%02x" : "%02X",
					            (unsigned char)v->u.str.s[k]);
				txt = h.p;
				tn = h.len;
				break;
			}
			if (!is_int) {
				fmt_bad(&o, b->a, verb, v);
				continue;
			}
			{
				long long x = (long long)v->u.num;
				unsigned long long ux = x < 0 ? (unsigned long long)(-x) : (unsigned long long)x;
				char dig[80];
				int nd = 0;
				unsigned base = verb == 'o' ? 8 : verb == 'b' ? 2 : 16;
				do {
					unsigned d = (unsigned)(ux % base);
					dig[nd++] = (char)(d < 10 ? '0' + d : (verb == 'X' ? 'A' : 'a') + d - 10);
					ux /= base;
				} while (ux && nd < 70);
				size_t k = 0;
				if (x < 0)
					buf[k++] = '-';
				if (sharp && base == 16) {
					buf[k++] = '0';
					buf[k++] = verb;
				}
				while (nd)
					buf[k++] = dig[--nd];
				buf[k] = '\0';
				txt = buf;
				tn = k;
			}
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
			if (v->kind != RV_NUM) {
				fmt_bad(&o, b->a, verb, v);
				continue;
			}
			if (is_int && (verb == 'f' || verb == 'F' || verb == 'e' || verb == 'g')) {
				/* OPA passes integers as Go ints: %f of an int is a mismatch */
				rstr_printf(&o, "%%!%c(int=%.0f)", verb, v->u.num);
				continue;
			}
			{
				char spec[32];
				snprintf(spec, sizeof(spec), "%%%s%s.*%c", plus ? "+" : "", space ? " " : "",
				         verb == 'F' ? 'f' : verb);
				snprintf(buf, sizeof(buf), spec, prec < 0 ? (verb == 'g' || verb == 'G' ? 17 : 6) : prec,
				         v->u.num);
				if ((verb == 'g' || verb == 'G') && prec < 0)
					snprintf(buf, sizeof(buf), "%s", rv_rego(b->a, v));
				txt = buf;
				tn = strlen(buf);
			}
			break;
		case 'q':
			if (v->kind != RV_STR) {
				fmt_bad(&o, b->a, verb, v);
				continue;
			}
			{
				struct rv tmp = *v;
				txt = rv_rego(b->a, &tmp);
				tn = strlen(txt);
			}
			break;
		case 't':
			fmt_bad(&o, b->a, verb, v);
			continue;
		default:
			rstr_printf(&o, "%%!%c(", verb);
			fmt_bad(&o, b->a, verb, v);
			continue;
		}
		fmt_pad(&o, txt, tn, width, minus, zero && !minus && verb != 's' && verb != 'v' && verb != 'q');
	}
	if (ai < ac) {
		rstr_addc(&o, "%!(EXTRA ");
		for (size_t k = ai; k < ac; k++) {
			if (k > ai)
				rstr_addc(&o, ", ");
			const struct rv *v = av[k];
			if (v->kind == RV_STR)
				rstr_printf(&o, "string=%.*s", (int)v->u.str.len, v->u.str.s);
			else if (v->kind == RV_NUM && rv_integral(v->u.num))
				rstr_printf(&o, "int=%s", rv_rego(b->a, v));
			else if (v->kind == RV_NUM)
				rstr_printf(&o, "float64=%s", rv_rego(b->a, v));
			else
				rstr_printf(&o, "string=%s", rv_rego(b->a, v));
		}
		rstr_addc(&o, ")");
	}
	OUT(rv_str(b->a, o.p, o.len));
}

/* ---- objects and arrays ------------------------------------------------------ */

static int b_object_get(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_OBJECT)
		return rg_btype(b, "object.get", 1, "object", args[0]);
	const struct rv *key = args[1], *cur = args[0];
	if (key->kind != RV_ARRAY) {
		const struct rv *v = rv_get(cur, key);
		OUT(v ? v : args[2]);
	}
	for (size_t i = 0; i < key->u.arr.n; i++) {
		const struct rv *k = key->u.arr.items[i], *next = NULL;
		int64_t idx;
		if (cur->kind == RV_OBJECT)
			next = rv_get(cur, k);
		else if (cur->kind == RV_ARRAY && rv_int(k, 0, (int64_t)cur->u.arr.n - 1, &idx))
			next = cur->u.arr.items[idx];
		else if (cur->kind == RV_SET && rv_set_has(cur, k))
			next = k;
		if (!next)
			OUT(args[2]);
		cur = next;
	}
	OUT(cur);
}

static int b_object_keys(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_OBJECT)
		return rg_btype(b, "object.keys", 1, "object", args[0]);
	OUT(rv_set(b->a, args[0]->u.obj.keys, args[0]->u.obj.n));
}

static int b_array_concat(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_ARRAY)
		return rg_btype(b, "array.concat", 1, "array", args[0]);
	if (args[1]->kind != RV_ARRAY)
		return rg_btype(b, "array.concat", 2, "array", args[1]);
	size_t n = args[0]->u.arr.n + args[1]->u.arr.n;
	const struct rv **v = arena_array(b->a, n + 1, sizeof(*v));
	memcpy(v, args[0]->u.arr.items, args[0]->u.arr.n * sizeof(*v));
	memcpy(v + args[0]->u.arr.n, args[1]->u.arr.items, args[1]->u.arr.n * sizeof(*v));
	OUT(rv_array(b->a, v, n));
}

static int b_array_slice(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_ARRAY)
		return rg_btype(b, "array.slice", 1, "array", args[0]);
	int64_t lo, hi, n = (int64_t)args[0]->u.arr.n;
	if (!rv_int(args[1], INT64_MIN / 2, INT64_MAX / 2, &lo))
		return rg_btype(b, "array.slice", 2, "integer", args[1]);
	if (!rv_int(args[2], INT64_MIN / 2, INT64_MAX / 2, &hi))
		return rg_btype(b, "array.slice", 3, "integer", args[2]);
	if (lo < 0)
		lo = 0;
	if (hi > n)
		hi = n;
	if (lo > hi)
		lo = hi;
	OUT(rv_array(b->a, args[0]->u.arr.items + lo, (size_t)(hi - lo)));
}

static int b_numbers_range(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	int64_t lo, hi;
	if (!rv_int(args[0], -1000000000, 1000000000, &lo))
		return rg_btype(b, "numbers.range", 1, "integer", args[0]);
	if (!rv_int(args[1], -1000000000, 1000000000, &hi))
		return rg_btype(b, "numbers.range", 2, "integer", args[1]);
	int64_t n = (hi > lo ? hi - lo : lo - hi) + 1;
	if (n > 1000000)
		return rg_berr(b, "eval_builtin_error", "numbers.range: range too large");
	const struct rv **v = arena_array(b->a, (size_t)n, sizeof(*v));
	for (int64_t i = 0; i < n; i++)
		v[i] = rv_num(b->a, (double)(hi >= lo ? lo + i : lo - i));
	OUT(rv_array(b->a, v, (size_t)n));
}

static int setsfn(struct bctx *b, const char *name, const struct rv *x, const struct rv **out,
                  char op)
{
	if (x->kind != RV_SET)
		return rg_btype(b, name, 1, "set", x);
	for (size_t i = 0; i < x->u.arr.n; i++)
		if (x->u.arr.items[i]->kind != RV_SET)
			return rg_btype(b, name, 1, "set of sets", x);
	if (x->u.arr.n == 0)
		OUT(rv_set(b->a, NULL, 0));
	const struct rv *acc = x->u.arr.items[0];
	for (size_t i = 1; i < x->u.arr.n; i++)
		acc = set_op(b->a, acc, x->u.arr.items[i], op);
	OUT(acc);
}
static int b_union(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return setsfn(b, "union", a[0], o, '|');
}
static int b_intersection(struct bctx *b, const struct rv *const *a, const struct rv **o)
{
	return setsfn(b, "intersection", a[0], o, '&');
}

/* ---- glob.match ------------------------------------------------------------- */

/* A small compiled glob: sequences of items; `{a,b}` holds alternatives. */
enum gk { G_LIT, G_ANY, G_SUPER, G_ONE, G_CLASS, G_ALT };
struct gitem {
	enum gk k;
	uint32_t ch;            /* LIT */
	bool neg;               /* CLASS */
	uint32_t *lo, *hi;      /* CLASS ranges */
	size_t nr;
	struct gseq **alts;     /* ALT */
	size_t nalts, capalts;
};
struct gseq {
	struct gitem *v;
	size_t n, cap;
};
struct gctx {
	struct arena *a;
	const char *p, *end;
	const uint32_t *delims;
	size_t nd;
	long steps;
};

static uint32_t utf8_next(const char **p, const char *end)
{
	const unsigned char *s = (const unsigned char *)*p;
	uint32_t c = s[0];
	size_t n = 1;
	if (c >= 0xf0 && end - *p >= 4)
		c = ((c & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu), n = 4;
	else if (c >= 0xe0 && end - *p >= 3)
		c = ((c & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu), n = 3;
	else if (c >= 0xc0 && end - *p >= 2)
		c = ((c & 0x1fu) << 6) | (s[1] & 0x3fu), n = 2;
	*p += n;
	return c;
}

static struct gseq *g_parse(struct gctx *g, int depth, bool in_alt);

static int g_parse_class(struct gctx *g, struct gitem *it)
{
	it->k = G_CLASS;
	if (g->p < g->end && *g->p == '!') {
		it->neg = true;
		g->p++;
	}
	size_t cap = 0;
	while (g->p < g->end && *g->p != ']') {
		uint32_t lo = utf8_next(&g->p, g->end), hi = lo;
		if (g->p + 1 < g->end && *g->p == '-' && g->p[1] != ']') {
			g->p++;
			hi = utf8_next(&g->p, g->end);
		}
		if (it->nr == cap) {
			size_t nc = cap ? cap * 2 : 4;
			it->lo = arena_grow(g->a, it->lo, it->nr, nc, sizeof(uint32_t));
			it->hi = arena_grow(g->a, it->hi, it->nr, nc, sizeof(uint32_t));
			cap = nc;
		}
		it->lo[it->nr] = lo;
		it->hi[it->nr++] = hi;
	}
	if (g->p >= g->end || it->nr == 0)
		return -1;
	g->p++;
	return 0;
}

static struct gseq *g_parse(struct gctx *g, int depth, bool in_alt)
{
	if (depth > 50)
		return NULL;
	struct gseq *s = arena_alloc(g->a, sizeof(*s));
	while (g->p < g->end) {
		char c = *g->p;
		if (in_alt && (c == ',' || c == '}'))
			break;
		struct gitem *it = ARENA_PUSH(g->a, s->v, s->n, s->cap);
		memset(it, 0, sizeof(*it));
		g->p++;
		switch (c) {
		case '*':
			if (g->p < g->end && *g->p == '*') {
				g->p++;
				it->k = G_SUPER;
			} else {
				it->k = G_ANY;
			}
			break;
		case '?': it->k = G_ONE; break;
		case '[':
			if (g_parse_class(g, it) < 0)
				return NULL;
			break;
		case '{':
			it->k = G_ALT;
			for (;;) {
				struct gseq *alt = g_parse(g, depth + 1, true);
				if (!alt)
					return NULL;
				*ARENA_PUSH(g->a, it->alts, it->nalts, it->capalts) = alt;
				if (g->p >= g->end)
					return NULL;
				if (*g->p++ == '}')
					break;
			}
			break;
		case '\\':
			if (g->p >= g->end)
				return NULL;
			it->k = G_LIT;
			it->ch = utf8_next(&g->p, g->end);
			break;
		default:
			g->p--;
			it->k = G_LIT;
			it->ch = utf8_next(&g->p, g->end);
			break;
		}
	}
	return s;
}

/* continuation: the rest of enclosing sequences after an alternative */
struct gk_cont {
	const struct gseq *s;
	size_t i;
	const struct gk_cont *up;
};

static bool g_delim(const struct gctx *g, uint32_t c)
{
	for (size_t i = 0; i < g->nd; i++)
		if (g->delims[i] == c)
			return true;
	return false;
}

static int g_match(struct gctx *g, const struct gseq *s, size_t i, const char *str,
                   const char *end, const struct gk_cont *k)
{
	if (++g->steps > 1000000)
		return -1;
	if (i == s->n) {
		if (k)
			return g_match(g, k->s, k->i, str, end, k->up);
		return str == end;
	}
	const struct gitem *it = &s->v[i];
	const char *p = str;
	switch (it->k) {
	case G_LIT:
		if (p >= end || utf8_next(&p, end) != it->ch)
			return 0;
		return g_match(g, s, i + 1, p, end, k);
	case G_ONE:
		if (p >= end || g_delim(g, utf8_next(&p, end)))
			return 0;
		return g_match(g, s, i + 1, p, end, k);
	case G_CLASS: {
		if (p >= end)
			return 0;
		uint32_t c = utf8_next(&p, end);
		bool in = false;
		for (size_t r = 0; r < it->nr; r++)
			if (c >= it->lo[r] && c <= it->hi[r])
				in = true;
		if (in == it->neg)
			return 0;
		return g_match(g, s, i + 1, p, end, k);
	}
	case G_ANY:
	case G_SUPER:
		for (;;) {
			int m = g_match(g, s, i + 1, p, end, k);
			if (m != 0)
				return m;
			if (p >= end)
				return 0;
			const char *q = p;
			uint32_t c = utf8_next(&q, end);
			if (it->k == G_ANY && g_delim(g, c))
				return 0;
			p = q;
		}
	case G_ALT:
		for (size_t a = 0; a < it->nalts; a++) {
			struct gk_cont next = {s, i + 1, k};
			int m = g_match(g, it->alts[a], 0, str, end, &next);
			if (m != 0)
				return m;
		}
		return 0;
	}
	return 0;
}

int rg_glob_match(const char *pat, size_t plen, const char *const *delims, size_t ndelims,
                  const char *s, size_t slen)
{
	struct arena *a = arena_new();
	uint32_t *d = arena_array(a, ndelims + 1, sizeof(*d));
	for (size_t i = 0; i < ndelims; i++) {
		const char *p = delims[i];
		d[i] = utf8_next(&p, delims[i] + strlen(delims[i]));
	}
	struct gctx g = {a, pat, pat + plen, d, ndelims, 0};
	struct gseq *seq = g_parse(&g, 0, false);
	int r = -1;
	if (seq && g.p == g.end)
		r = g_match(&g, seq, 0, s, s + slen, NULL);
	arena_free(a);
	return r;
}

static int b_glob_match(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_STR)
		return rg_btype(b, "glob.match", 1, "string", args[0]);
	const char *dflt[] = {"."};
	const char **d = NULL;
	size_t nd = 0;
	if (args[1]->kind == RV_ARRAY) {
		nd = args[1]->u.arr.n;
		d = arena_array(b->a, nd + 1, sizeof(*d));
		for (size_t i = 0; i < nd; i++) {
			const struct rv *e = args[1]->u.arr.items[i];
			if (e->kind != RV_STR || e->u.str.len == 0)
				return rg_btype(b, "glob.match", 2, "array of strings", args[1]);
			d[i] = e->u.str.s;
		}
		if (nd == 0) {
			d = dflt;
			nd = 1;
		}
	} else if (args[1]->kind != RV_NULL) {
		return rg_btype(b, "glob.match", 2, "one of {array, null}", args[1]);
	}
	if (args[2]->kind != RV_STR)
		return rg_btype(b, "glob.match", 3, "string", args[2]);
	int m = rg_glob_match(args[0]->u.str.s, args[0]->u.str.len, d, nd, args[2]->u.str.s,
	                      args[2]->u.str.len);
	if (m < 0)
		return rg_berr(b, "eval_builtin_error", "glob.match: invalid or too complex pattern %s",
		               rv_rego(b->a, args[0]));
	OUT(rv_bool(m == 1));
}

/* ---- net.cidr_contains ------------------------------------------------------ */

bool rg_parse_cidr(const char *s, int *family, unsigned char addr[16], unsigned *prefix)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = 6;
	else
		return false;
	unsigned max = *family == 4 ? 32 : 128;
	*prefix = max;
	if (slash) {
		const char *p = slash + 1;
		if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 3)
			return false;
		*prefix = (unsigned)atoi(p);
		if (*prefix > max)
			return false;
	}
	return true;
}

static bool in_net(const unsigned char net[16], unsigned prefix, const unsigned char a[16])
{
	for (unsigned b = 0; b < prefix; b++) {
		unsigned m = 0x80u >> (b % 8);
		if ((net[b / 8] & m) != (a[b / 8] & m))
			return false;
	}
	return true;
}

static int b_cidr_contains(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_STR)
		return rg_btype(b, "net.cidr_contains", 1, "string", args[0]);
	if (args[1]->kind != RV_STR)
		return rg_btype(b, "net.cidr_contains", 2, "string", args[1]);
	int f1, f2;
	unsigned char a1[16], a2[16];
	unsigned p1, p2;
	if (!strchr(args[0]->u.str.s, '/') || !rg_parse_cidr(args[0]->u.str.s, &f1, a1, &p1))
		return rg_berr(b, "eval_builtin_error", "net.cidr_contains: invalid CIDR address: %s",
		               args[0]->u.str.s);
	if (!rg_parse_cidr(args[1]->u.str.s, &f2, a2, &p2))
		return rg_berr(b, "eval_builtin_error",
		               "net.cidr_contains: invalid CIDR or IP address: %s", args[1]->u.str.s);
	if (f1 != f2)
		OUT(RV_FALSE);
	OUT(rv_bool(p2 >= p1 && in_net(a1, p1, a2)));
}

/* ---- regex.match (POSIX ERE after translating RE2's common escapes) -------- */

/* Translates an RE2 pattern to POSIX ERE; NULL with *why when it uses
 * syntax POSIX lacks (lazy quantifiers, \b, lookaround, inline flags...). */
const char *rg_regex_translate(struct arena *a, const char *p, size_t n, bool *icase,
                               const char **why);
const char *rg_regex_translate(struct arena *a, const char *p, size_t n, bool *icase,
                               const char **why)
{
	struct rstr o = {.a = a};
	rstr_add(&o, "", 0);
	*icase = false;
	size_t i = 0;
	if (n >= 4 && memcmp(p, "(?i)", 4) == 0) {
		*icase = true;
		i = 4;
	}
	bool in_class = false;
	for (; i < n; i++) {
		char c = p[i];
		if (c == '\\') {
			if (i + 1 >= n) {
				*why = "trailing backslash";
				return NULL;
			}
			char e = p[++i];
			const char *rep = NULL;
			switch (e) {
			case 'd': rep = in_class ? "0-9" : "[0-9]"; break;
			case 'w': rep = in_class ? "A-Za-z0-9_" : "[A-Za-z0-9_]"; break;
			case 's': rep = in_class ? " \t\n\r\f\v" : "[ \t\n\r\f\v]"; break;
			case 'D': rep = in_class ? NULL : "[^0-9]"; break;
			case 'W': rep = in_class ? NULL : "[^A-Za-z0-9_]"; break;
			case 'S': rep = in_class ? NULL : "[^ \t\n\r\f\v]"; break;
			case 'n': rep = "\n"; break;
			case 't': rep = "\t"; break;
			case 'r': rep = "\r"; break;
			default:
				if (strchr(".[]{}()*+?^$|\\/-", e)) {
					char lit[4] = {'\\', e, 0, 0};
					if (in_class) {
						lit[0] = e;
						lit[1] = 0;
						if (e == ']' || e == '\\' || e == '-') {
							*why = "escaped ']', '\\' or '-' inside a character class";
							return NULL;
						}
					}
					if (e == '/')
						lit[0] = '/', lit[1] = 0;
					rstr_addc(&o, lit);
					continue;
				}
				*why = "an escape POSIX regular expressions lack (\\b, \\A, \\z, \\p, ...)";
				return NULL;
			}
			if (!rep) {
				*why = "a negated class escape inside [...]";
				return NULL;
			}
			rstr_addc(&o, rep);
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = false;
			rstr_add(&o, &c, 1);
			continue;
		}
		if (c == '[') {
			in_class = true;
			rstr_add(&o, &c, 1);
			if (i + 1 < n && p[i + 1] == '^') {
				rstr_add(&o, "^", 1);
				i++;
			}
			if (i + 1 < n && p[i + 1] == ']') {
				rstr_add(&o, "]", 1);
				i++;
			}
			continue;
		}
		if (c == '(' && i + 1 < n && p[i + 1] == '?') {
			if (i + 2 < n && p[i + 2] == ':') {
				rstr_add(&o, "(", 1);
				i += 2;
				continue;
			}
			*why = "groups with flags or names ((?...))";
			return NULL;
		}
		if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && p[i + 1] == '?') {
			*why = "lazy quantifiers (*?, +? and friends)";
			return NULL;
		}
		rstr_add(&o, &c, 1);
	}
	return o.p;
}

static int b_regex_match(struct bctx *b, const struct rv *const *args, const struct rv **out)
{
	if (args[0]->kind != RV_STR)
		return rg_btype(b, "regex.match", 1, "string", args[0]);
	if (args[1]->kind != RV_STR)
		return rg_btype(b, "regex.match", 2, "string", args[1]);
	bool icase;
	const char *why = NULL;
	const char *ere =
		rg_regex_translate(b->a, args[0]->u.str.s, args[0]->u.str.len, &icase, &why);
	if (!ere)
		return rg_berr(b, "unsupported", "regex.match: pattern %s uses %s",
		               rv_rego(b->a, args[0]), why);
	regex_t re;
	if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) != 0)
		return rg_berr(b, "eval_builtin_error", "regex.match: error parsing regexp: %s",
		               rv_rego(b->a, args[0]));
	if (memchr(args[1]->u.str.s, '\0', args[1]->u.str.len)) {
		regfree(&re);
		OUT(RV_FALSE);
	}
	int m = regexec(&re, args[1]->u.str.s, 0, NULL, 0);
	regfree(&re);
	OUT(rv_bool(m == 0));
}

/* ---- the table -------------------------------------------------------------- */

static const struct rg_builtin table[] = {
	{"equal", 2, b_equal, 0},
	{"neq", 2, b_neq, 0},
	{"lt", 2, b_lt, 0},
	{"lte", 2, b_lte, 0},
	{"gt", 2, b_gt, 0},
	{"gte", 2, b_gte, 0},
	{"internal.member_2", 2, b_member, 0},
	{"internal.member_3", 3, b_member3, 0},
	{"plus", 2, b_plus, 0},
	{"minus", 2, b_minus, 0},
	{"mul", 2, b_mul, 0},
	{"div", 2, b_div, 0},
	{"rem", 2, b_rem, 0},
	{"or", 2, b_or, 0},
	{"and", 2, b_and, 0},
	{"count", 1, b_count, 0},
	{"sum", 1, b_sum, 0},
	{"max", 1, b_max, 0},
	{"min", 1, b_min, 0},
	{"sort", 1, b_sort, 0},
	{"abs", 1, b_abs, 0},
	{"to_number", 1, b_to_number, 0},
	{"is_string", 1, b_is_string, 0},
	{"is_number", 1, b_is_number, 0},
	{"is_boolean", 1, b_is_boolean, 0},
	{"is_array", 1, b_is_array, 0},
	{"is_set", 1, b_is_set, 0},
	{"is_object", 1, b_is_object, 0},
	{"is_null", 1, b_is_null, 0},
	{"type_name", 1, b_type_name, 0},
	{"startswith", 2, b_startswith, 0},
	{"endswith", 2, b_endswith, 0},
	{"contains", 2, b_contains, 0},
	{"lower", 1, b_lower, 0},
	{"upper", 1, b_upper, 0},
	{"concat", 2, b_concat, 0},
	{"split", 2, b_split, 0},
	{"replace", 3, b_replace, 0},
	{"trim", 2, b_trim, 0},
	{"trim_left", 2, b_trim_left, 0},
	{"trim_right", 2, b_trim_right, 0},
	{"trim_prefix", 2, b_trim_prefix, 0},
	{"trim_suffix", 2, b_trim_suffix, 0},
	{"trim_space", 1, b_trim_space, 0},
	{"indexof", 2, b_indexof, 0},
	{"substring", 3, b_substring, 0},
	{"sprintf", 2, b_sprintf, 0},
	{"strings.any_prefix_match", 2, b_any_prefix, 0},
	{"strings.any_suffix_match", 2, b_any_suffix, 0},
	{"glob.match", 3, b_glob_match, 1},
	{"net.cidr_contains", 2, b_cidr_contains, 0},
	{"regex.match", 2, b_regex_match, 1},
	{"object.get", 3, b_object_get, 0},
	{"object.keys", 1, b_object_keys, 0},
	{"array.concat", 2, b_array_concat, 0},
	{"array.slice", 3, b_array_slice, 0},
	{"numbers.range", 2, b_numbers_range, 0},
	{"union", 1, b_union, 0},
	{"intersection", 1, b_intersection, 0},
};

const struct rg_builtin *rg_builtin_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

const char *rg_builtin_unsupported(const char *name)
{
	static const struct {
		const char *prefix, *why;
	} known[] = {
		{"http.send", "it makes network requests while the policy is evaluated"},
		{"net.lookup_ip_addr", "it resolves names while the policy is evaluated"},
		{"time.", "its result depends on the clock, not on the policy"},
		{"rand.", "its result is random"},
		{"uuid.", "its result is random"},
		{"opa.runtime", "its result depends on the environment"},
		{"print", "it has a side effect"},
		{"trace", "it has a side effect"},
		{"io.jwt.", "tokens are not part of a compile-time decision table"},
		{"crypto.", "cryptography is not part of a compile-time decision table"},
		{"providers.", "cloud providers are not part of the subset"},
		{"rego.", "parsing Rego at evaluation time is not part of the subset"},
		{"graphql.", "not part of the subset"},
		{"json.", "not part of the subset"},
		{"yaml.", "not part of the subset"},
		{"base64", "not part of the subset"},
		{"urlquery.", "not part of the subset"},
		{"regex.", "only regex.match (with a constant pattern) is supported"},
		{"strings.", "only strings.any_prefix_match and strings.any_suffix_match are supported"},
		{"glob.", "only glob.match is supported"},
		{"net.", "only net.cidr_contains is supported"},
		{"object.", "only object.get and object.keys are supported"},
		{"array.", "only array.concat and array.slice are supported"},
		{"units.", "not part of the subset"},
		{"semver.", "not part of the subset"},
		{"bits.", "not part of the subset"},
		{"hex.", "not part of the subset"},
		{"walk", "not part of the subset"},
		{"format_int", "not part of the subset"},
		{"round", "not part of the subset"},
		{"ceil", "not part of the subset"},
		{"floor", "not part of the subset"},
		{"all", "not part of the subset (deprecated in OPA)"},
		{"any", "not part of the subset (deprecated in OPA)"},
		{"product", "not part of the subset"},
		{"re_match", "not part of the subset (deprecated in OPA); use regex.match"},
		{"cast_", "not part of the subset (deprecated in OPA)"},
		{"to_", "not part of the subset"},
		{"numbers.", "only numbers.range is supported"},
		{"set_diff", "not part of the subset (deprecated in OPA)"},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strncmp(name, known[i].prefix, strlen(known[i].prefix)) == 0)
			return known[i].why;
	return NULL;
}
