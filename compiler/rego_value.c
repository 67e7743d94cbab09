/* rego_value.c — Rego values: construction, OPA's total order, printing
 * (Rego and JSON text), and reading JSON / YAML documents into values.
 * Values are immutable and live in an arena. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "arena.h"
#include "rego_ast.h"

const struct rv rv_null_v = {.kind = RV_NULL};
const struct rv rv_true_v = {.kind = RV_BOOL, .u.b = true};
const struct rv rv_false_v = {.kind = RV_BOOL, .u.b = false};

const struct rv *rv_bool(bool b) { return b ? RV_TRUE : RV_FALSE; }

const struct rv *rv_num(struct arena *a, double d)
{
	struct rv *v = arena_alloc(a, sizeof(*v));
	v->kind = RV_NUM;
	v->u.num = d == 0 ? 0 : d; /* no negative zero */
	return v;
}

const struct rv *rv_str(struct arena *a, const char *s, size_t len)
{
	struct rv *v = arena_alloc(a, sizeof(*v));
	v->kind = RV_STR;
	v->u.str.s = arena_strndup(a, s, len);
	/* arena_strndup stops at NUL; keep embedded NULs */
	if (memchr(s, '\0', len)) {
		char *c = arena_alloc(a, len + 1);
		memcpy(c, s, len);
		v->u.str.s = c;
	}
	v->u.str.len = len;
	return v;
}

const struct rv *rv_cstr(struct arena *a, const char *s) { return rv_str(a, s, strlen(s)); }

const struct rv *rv_sym(struct arena *a, const char *path, struct src_pos pos)
{
	struct rv *v = arena_alloc(a, sizeof(*v));
	v->kind = RV_SYM;
	v->u.sym.path = path;
	v->u.sym.pos = pos;
	return v;
}

const struct rv *rv_array(struct arena *a, const struct rv *const *items, size_t n)
{
	struct rv *v = arena_alloc(a, sizeof(*v));
	v->kind = RV_ARRAY;
	const struct rv **c = arena_array(a, n ? n : 1, sizeof(*c));
	if (n)
		memcpy(c, items, n * sizeof(*c));
	v->u.arr.items = c;
	v->u.arr.n = n;
	return v;
}

static int cmp_pp(const void *x, const void *y)
{
	return rv_cmp(*(const struct rv *const *)x, *(const struct rv *const *)y);
}

const struct rv *rv_set(struct arena *a, const struct rv *const *items, size_t n)
{
	struct rv *v = arena_alloc(a, sizeof(*v));
	v->kind = RV_SET;
	const struct rv **c = arena_array(a, n ? n : 1, sizeof(*c));
	if (n)
		memcpy(c, items, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_pp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (m == 0 || rv_cmp(c[m - 1], c[i]) != 0)
			c[m++] = c[i];
	v->u.arr.items = c;
	v->u.arr.n = m;
	return v;
}

struct kv {
	const struct rv *k, *v;
	size_t order;
};

static int cmp_kv(const void *x, const void *y)
{
	const struct kv *p = x, *q = y;
	int c = rv_cmp(p->k, q->k);
	if (c)
		return c;
	return p->order < q->order ? -1 : p->order > q->order;
}

const struct rv *rv_object(struct arena *a, const struct rv *const *keys,
                           const struct rv *const *vals, size_t n)
{
	struct rv *v = arena_alloc(a, sizeof(*v));
	v->kind = RV_OBJECT;
	struct kv *t = arena_array(a, n ? n : 1, sizeof(*t));
	for (size_t i = 0; i < n; i++)
		t[i] = (struct kv){keys[i], vals[i], i};
	qsort(t, n, sizeof(*t), cmp_kv);
	const struct rv **ks = arena_array(a, n ? n : 1, sizeof(*ks));
	const struct rv **vs = arena_array(a, n ? n : 1, sizeof(*vs));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && rv_cmp(ks[m - 1], t[i].k) == 0) {
			vs[m - 1] = t[i].v; /* later wins */
			continue;
		}
		ks[m] = t[i].k;
		vs[m++] = t[i].v;
	}
	v->u.obj.keys = ks;
	v->u.obj.vals = vs;
	v->u.obj.n = m;
	return v;
}

int rv_cmp(const struct rv *x, const struct rv *y)
{
	if (x == y)
		return 0;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	switch (x->kind) {
	case RV_NULL: return 0;
	case RV_BOOL: return (int)x->u.b - (int)y->u.b;
	case RV_NUM: return x->u.num < y->u.num ? -1 : x->u.num > y->u.num;
	case RV_STR: {
		size_t n = x->u.str.len < y->u.str.len ? x->u.str.len : y->u.str.len;
		int c = memcmp(x->u.str.s, y->u.str.s, n);
		if (c)
			return c < 0 ? -1 : 1;
		return x->u.str.len < y->u.str.len ? -1 : x->u.str.len > y->u.str.len;
	}
	case RV_ARRAY:
	case RV_SET: {
		size_t n = x->u.arr.n < y->u.arr.n ? x->u.arr.n : y->u.arr.n;
		for (size_t i = 0; i < n; i++) {
			int c = rv_cmp(x->u.arr.items[i], y->u.arr.items[i]);
			if (c)
				return c;
		}
		return x->u.arr.n < y->u.arr.n ? -1 : x->u.arr.n > y->u.arr.n;
	}
	case RV_OBJECT: {
		size_t n = x->u.obj.n < y->u.obj.n ? x->u.obj.n : y->u.obj.n;
		for (size_t i = 0; i < n; i++) {
			int c = rv_cmp(x->u.obj.keys[i], y->u.obj.keys[i]);
			if (c)
				return c;
			c = rv_cmp(x->u.obj.vals[i], y->u.obj.vals[i]);
			if (c)
				return c;
		}
		return x->u.obj.n < y->u.obj.n ? -1 : x->u.obj.n > y->u.obj.n;
	}
	case RV_SYM: {
		int c = strcmp(x->u.sym.path, y->u.sym.path);
		return c < 0 ? -1 : c > 0;
	}
	case RV_OPAQUE: return x < y ? -1 : 1;
	}
	return 0;
}

static long bsearch_rv(const struct rv *const *v, size_t n, const struct rv *key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rv_cmp(v[mid], key);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const struct rv *rv_get(const struct rv *obj, const struct rv *key)
{
	if (obj->kind != RV_OBJECT)
		return NULL;
	long i = bsearch_rv(obj->u.obj.keys, obj->u.obj.n, key);
	return i < 0 ? NULL : obj->u.obj.vals[i];
}

bool rv_set_has(const struct rv *set, const struct rv *x)
{
	return set->kind == RV_SET && bsearch_rv(set->u.arr.items, set->u.arr.n, x) >= 0;
}

bool rv_is_partial(const struct rv *v)
{
	switch (v->kind) {
	case RV_SYM:
	case RV_OPAQUE: return true;
	case RV_ARRAY:
	case RV_SET:
		for (size_t i = 0; i < v->u.arr.n; i++)
			if (rv_is_partial(v->u.arr.items[i]))
				return true;
		return false;
	case RV_OBJECT:
		for (size_t i = 0; i < v->u.obj.n; i++)
			if (rv_is_partial(v->u.obj.keys[i]) || rv_is_partial(v->u.obj.vals[i]))
				return true;
		return false;
	default: return false;
	}
}

bool rv_int(const struct rv *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (v->kind != RV_NUM || !rv_integral(v->u.num) || v->u.num < (double)lo ||
	    v->u.num > (double)hi)
		return false;
	*out = (int64_t)v->u.num;
	return true;
}

const char *rv_kind_name(enum rv_kind k)
{
	switch (k) {
	case RV_NULL: return "null";
	case RV_BOOL: return "boolean";
	case RV_NUM: return "number";
	case RV_STR: return "string";
	case RV_ARRAY: return "array";
	case RV_OBJECT: return "object";
	case RV_SET: return "set";
	case RV_SYM: return "unknown (input)";
	case RV_OPAQUE: return "unknown (message)";
	}
	return "?";
}

/* ---- text ------------------------------------------------------------------- */

void rstr_add(struct rstr *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		while (nc < s->len + n + 1)
			nc *= 2;
		s->p = arena_grow(s->a, s->p, s->len, nc, 1);
		s->cap = nc;
	}
	if (n)
		memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

void rstr_addc(struct rstr *s, const char *p) { rstr_add(s, p, strlen(p)); }

void rstr_printf(struct rstr *s, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(buf)) {
		rstr_add(s, buf, (size_t)n);
		return;
	}
	char *big = arena_alloc(s->a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rstr_add(s, big, (size_t)n);
}

/* Shortest text that reads back as the same double; integers without a
 * fraction (as OPA prints json.Number values). */
static void write_num(struct rstr *s, double d)
{
	char buf[64];
	if (rv_integral(d) && d < 1e21 && d > -1e21) {
		snprintf(buf, sizeof(buf), "%.0f", d);
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	}
	rstr_addc(s, buf);
}

static void write_quoted(struct rstr *s, const char *p, size_t n, bool json)
{
	rstr_add(s, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		switch (c) {
		case '"': rstr_add(s, "\\\"", 2); break;
		case '\\': rstr_add(s, "\\\\", 2); break;
		case '\n': rstr_add(s, "\\n", 2); break;
		case '\r': rstr_add(s, "\\r", 2); break;
		case '\t': rstr_add(s, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f)
				rstr_printf(s, json ? "\\u%04x" : "\\x%02x", c);
			else
				rstr_add(s, (const char *)&p[i], 1);
		}
	}
	rstr_add(s, "\"", 1);
}

void rv_write_rego(struct rstr *s, const struct rv *v)
{
	switch (v->kind) {
	case RV_NULL: rstr_addc(s, "null"); break;
	case RV_BOOL: rstr_addc(s, v->u.b ? "true" : "false"); break;
	case RV_NUM: write_num(s, v->u.num); break;
	case RV_STR: write_quoted(s, v->u.str.s, v->u.str.len, false); break;
	case RV_ARRAY:
	case RV_SET:
		if (v->kind == RV_SET && v->u.arr.n == 0) {
			rstr_addc(s, "set()");
			break;
		}
		rstr_addc(s, v->kind == RV_ARRAY ? "[" : "{");
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				rstr_addc(s, ", ");
			rv_write_rego(s, v->u.arr.items[i]);
		}
		rstr_addc(s, v->kind == RV_ARRAY ? "]" : "}");
		break;
	case RV_OBJECT:
		rstr_addc(s, "{");
		for (size_t i = 0; i < v->u.obj.n; i++) {
			if (i)
				rstr_addc(s, ", ");
			rv_write_rego(s, v->u.obj.keys[i]);
			rstr_addc(s, ": ");
			rv_write_rego(s, v->u.obj.vals[i]);
		}
		rstr_addc(s, "}");
		break;
	case RV_SYM: rstr_printf(s, "input%s%s", *v->u.sym.path ? "." : "", v->u.sym.path); break;
	case RV_OPAQUE: rstr_addc(s, "<message>"); break;
	}
}

void rv_write_json(struct rstr *s, const struct rv *v)
{
	switch (v->kind) {
	case RV_STR: write_quoted(s, v->u.str.s, v->u.str.len, true); break;
	case RV_ARRAY:
	case RV_SET:
		rstr_addc(s, "[");
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				rstr_addc(s, ",");
			rv_write_json(s, v->u.arr.items[i]);
		}
		rstr_addc(s, "]");
		break;
	case RV_OBJECT:
		rstr_addc(s, "{");
		for (size_t i = 0; i < v->u.obj.n; i++) {
			if (i)
				rstr_addc(s, ",");
			const struct rv *k = v->u.obj.keys[i];
			if (k->kind == RV_STR) {
				rv_write_json(s, k);
			} else {
				struct rstr t = {.a = s->a};
				rv_write_json(&t, k);
				write_quoted(s, t.p, t.len, true);
			}
			rstr_addc(s, ":");
			rv_write_json(s, v->u.obj.vals[i]);
		}
		rstr_addc(s, "}");
		break;
	default: rv_write_rego(s, v); break;
	}
}

const char *rv_json(struct arena *a, const struct rv *v)
{
	struct rstr s = {.a = a};
	rv_write_json(&s, v);
	return s.p;
}

const char *rv_rego(struct arena *a, const struct rv *v)
{
	struct rstr s = {.a = a};
	rv_write_rego(&s, v);
	return s.p;
}

/* ---- JSON ------------------------------------------------------------------- */

static const struct rv *from_json(struct arena *a, json_t *j, int depth)
{
	if (depth > 200)
		return NULL;
	switch (json_typeof(j)) {
	case JSON_NULL: return RV_NULLV;
	case JSON_TRUE: return RV_TRUE;
	case JSON_FALSE: return RV_FALSE;
	case JSON_INTEGER: return rv_num(a, (double)json_integer_value(j));
	case JSON_REAL: return rv_num(a, json_real_value(j));
	case JSON_STRING: return rv_str(a, json_string_value(j), json_string_length(j));
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		const struct rv **items = arena_array(a, n ? n : 1, sizeof(*items));
		for (size_t i = 0; i < n; i++)
			if (!(items[i] = from_json(a, json_array_get(j, i), depth + 1)))
				return NULL;
		return rv_array(a, items, n);
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(j), i = 0;
		const struct rv **ks = arena_array(a, n ? n : 1, sizeof(*ks));
		const struct rv **vs = arena_array(a, n ? n : 1, sizeof(*vs));
		const char *key;
		size_t klen;
		json_t *val;
		json_object_keylen_foreach(j, key, klen, val)
		{
			ks[i] = rv_str(a, key, klen);
			if (!(vs[i] = from_json(a, val, depth + 1)))
				return NULL;
			i++;
		}
		return rv_object(a, ks, vs, i);
	}
	}
	return NULL;
}

const struct rv *rv_from_json_text(struct arena *a, const char *text, size_t len, char *err,
                                   size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j) {
		snprintf(err, errlen, "line %d column %d: %s", je.line, je.column, je.text);
		return NULL;
	}
	const struct rv *v = from_json(a, j, 0);
	json_decref(j);
	if (!v)
		snprintf(err, errlen, "nested deeper than 200 levels");
	return v;
}

/* ---- YAML ------------------------------------------------------------------- */

/* A plain scalar's type, as JSON-minded YAML readers resolve it. */
static const struct rv *yaml_plain(struct arena *a, const char *s, size_t n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	static const char *const trues[] = {"true", "True", "TRUE"};
	static const char *const falses[] = {"false", "False", "FALSE"};
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strlen(nulls[i]) == n && memcmp(nulls[i], s, n) == 0)
			return RV_NULLV;
	for (size_t i = 0; i < 3; i++) {
		if (strlen(trues[i]) == n && memcmp(trues[i], s, n) == 0)
			return RV_TRUE;
		if (strlen(falses[i]) == n && memcmp(falses[i], s, n) == 0)
			return RV_FALSE;
	}
	/* numbers: [-+]?digits[.digits][e[+-]digits], 0x.., 0o.. */
	char buf[64];
	if (n > 0 && n < sizeof(buf)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		const char *p = buf;
		if (*p == '-' || *p == '+')
			p++;
		bool ok = false;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p[2]) {
			char *end;
			long long v = strtoll(p + 2, &end, p[1] == 'x' ? 16 : 8);
			if (!*end)
				return rv_num(a, buf[0] == '-' ? -(double)v : (double)v);
		} else {
			const char *q = p;
			size_t digits = strspn(q, "0123456789");
			q += digits;
			if (*q == '.') {
				q++;
				size_t frac = strspn(q, "0123456789");
				q += frac;
				digits += frac;
			}
			if (digits && (*q == 'e' || *q == 'E')) {
				q++;
				if (*q == '-' || *q == '+')
					q++;
				size_t ex = strspn(q, "0123456789");
				if (!ex)
					q = "x";
				q += ex;
			}
			ok = digits > 0 && *q == '\0';
		}
		if (ok)
			return rv_num(a, strtod(buf, NULL));
	}
	return rv_str(a, s, n);
}

static const struct rv *from_yaml(struct arena *a, yaml_document_t *doc, yaml_node_t *nd,
                                  int depth)
{
	if (!nd || depth > 200)
		return NULL;
	switch (nd->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)nd->data.scalar.value;
		size_t n = nd->data.scalar.length;
		/* the loader tags every untagged scalar !!str: only the style tells */
		if (nd->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			return yaml_plain(a, s, n);
		return rv_str(a, s, n);
	}
	case YAML_SEQUENCE_NODE: {
		size_t n = (size_t)(nd->data.sequence.items.top - nd->data.sequence.items.start);
		const struct rv **items = arena_array(a, n ? n : 1, sizeof(*items));
		for (size_t i = 0; i < n; i++) {
			yaml_node_t *it = yaml_document_get_node(doc, nd->data.sequence.items.start[i]);
			if (!(items[i] = from_yaml(a, doc, it, depth + 1)))
				return NULL;
		}
		return rv_array(a, items, n);
	}
	case YAML_MAPPING_NODE: {
		size_t n = (size_t)(nd->data.mapping.pairs.top - nd->data.mapping.pairs.start);
		const struct rv **ks = arena_array(a, n ? n : 1, sizeof(*ks));
		const struct rv **vs = arena_array(a, n ? n : 1, sizeof(*vs));
		for (size_t i = 0; i < n; i++) {
			yaml_node_pair_t *pr = &nd->data.mapping.pairs.start[i];
			yaml_node_t *k = yaml_document_get_node(doc, pr->key);
			yaml_node_t *v = yaml_document_get_node(doc, pr->value);
			if (!k || k->type != YAML_SCALAR_NODE)
				return NULL;
			/* JSON object keys are strings */
			ks[i] = rv_str(a, (const char *)k->data.scalar.value, k->data.scalar.length);
			if (!(vs[i] = from_yaml(a, doc, v, depth + 1)))
				return NULL;
		}
		return rv_object(a, ks, vs, n);
	}
	default: return NULL;
	}
}

const struct rv *rv_from_yaml_text(struct arena *a, const char *text, size_t len, char *err,
                                   size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		snprintf(err, errlen, "line %zu column %zu: %s", p.problem_mark.line + 1,
		         p.problem_mark.column + 1, p.problem ? p.problem : "YAML error");
		yaml_parser_delete(&p);
		return NULL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	const struct rv *v = root ? from_yaml(a, &doc, root, 0) : RV_NULLV;
	if (!v)
		snprintf(err, errlen, "unsupported YAML (non-scalar key, or nested deeper than 200)");
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return v;
}
