/* rego_lower.c — the Rego front end (rego_parse): a .rego policy becomes
 * IR network rows by partial evaluation, then the compiled table is checked
 * against the evaluator.
 *
 * Entry-point convention (docs/rego.md):
 *   package polc.network
 *   allow if { ... }              a request is allowed iff `allow` is true
 *   deny contains msg if { ... }  and `deny` is empty (or undefined).
 * `input` is the request: input.host (lower case, no trailing dot),
 * input.port (number), input.method (upper case), input.path.  `data` is
 * known at compile time: data.json / data.yaml beside the policy, and
 * NAME.data.json / NAME.data.yaml for policy NAME.rego.
 *
 * Each way `allow` can be true is a branch: a conjunction of constraints on
 * input fields (rego_eval.c records them).  A branch becomes one allow row
 * per host it names; each branch of `deny` becomes deny rows.  Anything a
 * row cannot say exactly is an E504 error naming the construct: never an
 * approximation.  Finally every row boundary (hosts inside and just outside
 * each pattern, ports at and beside each range edge, every method, paths
 * from each glob) is decided both by the compiled NETTABLE (nt_lookup) and
 * by the evaluator; a difference is an E900 error. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"
#include "nt.h"
#include "rego_int.h"

struct lower {
	struct load_ctx *c;
	struct arena *a;
	struct diag_sink *d;
	struct rego *r;
	const char *file;
	const char *pkg; /* "polc.network" */
	struct ir_policy *p;
	bool deny;       /* lowering the deny set */
	bool failed;
	struct src_pos rule_pos;
};

static void lerr(struct lower *L, struct src_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void lerr(struct lower *L, struct src_pos pos, const char *fmt, ...)
{
	char msg[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_error(L->d, pos.line ? pos : L->rule_pos, E504, "%s", msg);
	L->failed = true;
}

/* ---- constraints -> row fields ------------------------------------------------ */

struct range {
	uint32_t lo, hi;
};

struct rows_in {
	struct range *r;
	size_t n, cap;
};

static void ranges_intersect(struct lower *L, struct rows_in *rs, uint32_t lo, uint32_t hi)
{
	size_t m = 0;
	for (size_t i = 0; i < rs->n; i++) {
		uint32_t a = rs->r[i].lo > lo ? rs->r[i].lo : lo;
		uint32_t b = rs->r[i].hi < hi ? rs->r[i].hi : hi;
		if (a <= b)
			rs->r[m++] = (struct range){a, b};
	}
	rs->n = m;
}

static void ranges_remove(struct lower *L, struct rows_in *rs, uint32_t lo, uint32_t hi)
{
	struct rows_in out = {0};
	for (size_t i = 0; i < rs->n; i++) {
		struct range x = rs->r[i];
		if (hi < x.lo || lo > x.hi) {
			*ARENA_PUSH(L->a, out.r, out.n, out.cap) = x;
			continue;
		}
		if (x.lo < lo)
			*ARENA_PUSH(L->a, out.r, out.n, out.cap) = (struct range){x.lo, lo - 1};
		if (x.hi > hi)
			*ARENA_PUSH(L->a, out.r, out.n, out.cap) = (struct range){hi + 1, x.hi};
	}
	*rs = out;
}

static const char *pc_text(const struct pc *c) { return c->text && *c->text ? c->text : "?"; }

/* Ports: 1..65535 narrowed by each constraint.  Returns false after an
 * error; *any when nothing constrains the port. */
static bool lower_ports(struct lower *L, const struct pc *const *cs, size_t n,
                        struct rows_in *rs, bool *any)
{
	rs->n = 0;
	*ARENA_PUSH(L->a, rs->r, rs->n, rs->cap) = (struct range){1, 65535};
	*any = n == 0;
	for (size_t i = 0; i < n; i++) {
		const struct pc *c = cs[i];
		enum pc_op op = c->op;
		if (op == PC_IN) {
			struct rows_in keep = {0};
			for (size_t j = 0; j < c->v->u.arr.n; j++) {
				int64_t p;
				if (rv_int(c->v->u.arr.items[j], 1, 65535, &p))
					*ARENA_PUSH(L->a, keep.r, keep.n, keep.cap) =
						(struct range){(uint32_t)p, (uint32_t)p};
			}
			if (c->neg) {
				for (size_t j = 0; j < keep.n; j++)
					ranges_remove(L, rs, keep.r[j].lo, keep.r[j].hi);
				continue;
			}
			struct rows_in out = {0};
			for (size_t j = 0; j < keep.n; j++)
				for (size_t k = 0; k < rs->n; k++)
					if (keep.r[j].lo >= rs->r[k].lo && keep.r[j].lo <= rs->r[k].hi)
						*ARENA_PUSH(L->a, out.r, out.n, out.cap) = keep.r[j];
			*rs = out;
			continue;
		}
		if (op != PC_EQ && op != PC_NE && op != PC_LT && op != PC_LE && op != PC_GT &&
		    op != PC_GE) {
			lerr(L, c->pos,
			     "`%s`: input.port can only be compared (==, !=, <, <=, >, >=, in) with numbers",
			     pc_text(c));
			return false;
		}
		if (c->v->kind != RV_NUM) {
			if (op == PC_EQ && !c->neg) {
				rs->n = 0; /* a number never equals a string: no request matches */
				continue;
			}
			if ((op == PC_NE && !c->neg) || (op == PC_EQ && c->neg))
				continue;
			lerr(L, c->pos, "`%s`: input.port is a number; compare it with numbers",
			     pc_text(c));
			return false;
		}
		if (c->neg) { /* not (x op v) */
			switch (op) {
			case PC_EQ: op = PC_NE; break;
			case PC_NE: op = PC_EQ; break;
			case PC_LT: op = PC_GE; break;
			case PC_LE: op = PC_GT; break;
			case PC_GT: op = PC_LE; break;
			case PC_GE: op = PC_LT; break;
			default: break;
			}
		}
		double v = c->v->u.num;
		/* the largest integer below / smallest above v, clamped to 0..65536 */
		double fl = v < 0 ? -1 : v > 65536 ? 65536 : (double)(long long)v;
		if (fl > v)
			fl -= 1;
		double ce = rv_integral(v) ? v : fl + 1;
		uint32_t lo = 0, hi = 70000;
		switch (op) {
		case PC_EQ:
			if (!rv_integral(v) || v < 1 || v > 65535) {
				rs->n = 0;
				continue;
			}
			lo = hi = (uint32_t)v;
			break;
		case PC_NE:
			if (rv_integral(v) && v >= 1 && v <= 65535)
				ranges_remove(L, rs, (uint32_t)v, (uint32_t)v);
			continue;
		case PC_LT: /* port < v: port <= ceil(v) - 1 */
			if (ce <= 1) {
				rs->n = 0;
				continue;
			}
			hi = ce > 65536 ? 65535 : (uint32_t)(ce - 1);
			lo = 1;
			break;
		case PC_LE:
			if (fl < 1) {
				rs->n = 0;
				continue;
			}
			hi = fl > 65535 ? 65535 : (uint32_t)fl;
			lo = 1;
			break;
		case PC_GT:
			if (fl >= 65535) {
				rs->n = 0;
				continue;
			}
			lo = fl < 0 ? 1 : (uint32_t)fl + 1;
			hi = 65535;
			break;
		case PC_GE:
			if (ce > 65535) {
				rs->n = 0;
				continue;
			}
			lo = ce < 1 ? 1 : (uint32_t)ce;
			hi = 65535;
			break;
		default: break;
		}
		ranges_intersect(L, rs, lo, hi);
	}
	return true;
}

static int method_bit(const struct rv *v)
{
	if (v->kind != RV_STR || v->u.str.len > 15)
		return -1;
	return ir_method_parse(v->u.str.s);
}

static bool method_value_ok(struct lower *L, const struct pc *c, const struct rv *v)
{
	if (method_bit(v) >= 0)
		return true;
	if (v->kind == RV_STR) {
		char up[32];
		size_t k = 0;
		for (; k < v->u.str.len && k + 1 < sizeof(up); k++)
			up[k] = (char)toupper((unsigned char)v->u.str.s[k]);
		up[k] = '\0';
		if (ir_method_parse(up) >= 0)
			lerr(L, c->pos, "`%s`: input.method is upper case as sent (`%s`), so `%s` never matches",
			     pc_text(c), up, v->u.str.s);
		else
			lerr(L, c->pos,
			     "`%s`: `%s` is not a method the network table can name (GET, HEAD, POST, "
			     "PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE)",
			     pc_text(c), v->u.str.s);
	} else {
		lerr(L, c->pos, "`%s`: input.method is a string", pc_text(c));
	}
	return false;
}

#define ALL_METHODS ((1u << (IR_HTTP_BIT_TRACE + 1)) - 1)

static bool lower_methods(struct lower *L, const struct pc *const *cs, size_t n,
                          uint32_t *mask)
{
	uint32_t m = ALL_METHODS;
	bool positive = false;
	for (size_t i = 0; i < n; i++) {
		const struct pc *c = cs[i];
		bool eq = (c->op == PC_EQ && !c->neg) || (c->op == PC_NE && c->neg);
		bool ne = (c->op == PC_NE && !c->neg) || (c->op == PC_EQ && c->neg);
		if (eq || ne) {
			if (!method_value_ok(L, c, c->v))
				return false;
			uint32_t bit = 1u << method_bit(c->v);
			m = eq ? m & bit : m & ~bit;
			positive |= eq;
			continue;
		}
		if (c->op == PC_IN) {
			uint32_t set = 0;
			for (size_t j = 0; j < c->v->u.arr.n; j++) {
				if (!method_value_ok(L, c, c->v->u.arr.items[j]))
					return false;
				set |= 1u << method_bit(c->v->u.arr.items[j]);
			}
			m = c->neg ? m & ~set : m & set;
			positive |= !c->neg;
			continue;
		}
		lerr(L, c->pos, "`%s`: input.method can only be compared (==, !=, in) with method names",
		     pc_text(c));
		return false;
	}
	/* 0 in the IR means "any method" (also those the table cannot name) */
	*mask = m == ALL_METHODS && !positive ? 0 : m;
	return true;
}

/* A path glob the network table reads the same way: `*` and `**` only. */
static bool plain_glob(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strchr("?[]{}\\", s[i]) || s[i] == '\0')
			return false;
	return true;
}

struct strs {
	const char **v;
	size_t n, cap;
};

static bool lower_paths(struct lower *L, const struct pc *const *cs, size_t n,
                        struct strs *out, bool *none)
{
	out->n = 0;
	*none = false;
	const struct pc *lit = NULL, *pat = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct pc *c = cs[i];
		if (c->neg || c->op == PC_NE) {
			lerr(L, c->pos, "`%s`: a negated condition on input.path cannot be compiled: a "
			                "table row allows paths, it cannot exclude them",
			     pc_text(c));
			return false;
		}
		if (c->op == PC_EQ || c->op == PC_IN) {
			if (lit) {
				lerr(L, c->pos, "`%s`: several exact conditions on input.path in one rule",
				     pc_text(c));
				return false;
			}
			lit = c;
		} else if (c->op == PC_PREFIX || c->op == PC_GLOB) {
			if (pat) {
				lerr(L, c->pos, "`%s`: several path patterns in one rule cannot be combined",
				     pc_text(c));
				return false;
			}
			pat = c;
		} else {
			lerr(L, c->pos,
			     "`%s`: input.path can be compared (==, in), or matched with startswith or "
			     "glob.match(pattern, [\"/\"], input.path)",
			     pc_text(c));
			return false;
		}
	}
	if (!lit && !pat)
		return true;
	if (pat && pat->op == PC_GLOB) {
		const struct rv *d = pat->v2;
		bool slash = d->kind == RV_ARRAY && d->u.arr.n == 1 &&
		             d->u.arr.items[0]->kind == RV_STR &&
		             strcmp(d->u.arr.items[0]->u.str.s, "/") == 0;
		if (!slash || !plain_glob(pat->v->u.str.s, pat->v->u.str.len)) {
			lerr(L, pat->pos,
			     "`%s`: path globs must use the delimiter [\"/\"] and only `*` (within a "
			     "segment) and `**` (across segments), as the network table does",
			     pc_text(pat));
			return false;
		}
	}
	/* candidate patterns */
	struct strs cand = {0};
	if (lit) {
		const struct rv *set = lit->op == PC_IN ? lit->v : NULL;
		size_t k = set ? set->u.arr.n : 1;
		for (size_t j = 0; j < k; j++) {
			const struct rv *s = set ? set->u.arr.items[j] : lit->v;
			if (s->kind != RV_STR || s->u.str.len == 0 || s->u.str.s[0] != '/')
				continue; /* request paths start with '/': never equal */
			if (memchr(s->u.str.s, '*', s->u.str.len)) {
				lerr(L, lit->pos, "`%s`: a path with a literal `*` cannot be written as a "
				                  "network-table glob",
				     pc_text(lit));
				return false;
			}
			if (pat) {
				bool m;
				if (pat->op == PC_PREFIX)
					m = s->u.str.len >= pat->v->u.str.len &&
					    memcmp(s->u.str.s, pat->v->u.str.s, pat->v->u.str.len) == 0;
				else
					m = nt_glob_match(pat->v->u.str.s, pat->v->u.str.len, s->u.str.s,
					                  s->u.str.len);
				if (!m)
					continue;
			}
			*ARENA_PUSH(L->a, cand.v, cand.n, cand.cap) = s->u.str.s;
		}
	} else if (pat->op == PC_PREFIX) {
		const struct rv *set = pat->v->kind == RV_SET ? pat->v : NULL;
		size_t k = set ? set->u.arr.n : 1;
		for (size_t j = 0; j < k; j++) {
			const struct rv *s = set ? set->u.arr.items[j] : pat->v;
			if (s->u.str.len == 0 || s->u.str.s[0] != '/') {
				if (s->u.str.len == 0) {
					*none = false;
					out->n = 0;
					return true; /* every path */
				}
				continue;
			}
			if (memchr(s->u.str.s, '*', s->u.str.len)) {
				lerr(L, pat->pos, "`%s`: a path prefix with a literal `*` cannot be written "
				                  "as a network-table glob",
				     pc_text(pat));
				return false;
			}
			*ARENA_PUSH(L->a, cand.v, cand.n, cand.cap) =
				arena_printf(L->a, "%s**", s->u.str.s);
		}
	} else {
		if (pat->v->u.str.len && pat->v->u.str.s[0] == '/')
			*ARENA_PUSH(L->a, cand.v, cand.n, cand.cap) = pat->v->u.str.s;
	}
	if (!cand.n)
		*none = true; /* no request path can satisfy it */
	*out = cand;
	return true;
}

/* ---- hosts -------------------------------------------------------------------- */

struct hostrow {
	enum ir_host_kind kind;
	const char *host;
	uint8_t addr[16];
	uint8_t prefix;
	struct src_pos pos;
};

struct hosts {
	struct hostrow *v;
	size_t n, cap;
};

static bool valid_name(const char *s)
{
	size_t len = strlen(s), lab = 0;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char ch = i < len ? s[i] : '.';
		if (ch == '.') {
			if (lab == 0 || lab > 63 || s[i - lab] == '-' || s[i - 1] == '-')
				return false;
			lab = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') {
			lab++;
		} else {
			return false;
		}
	}
	return true;
}

/* One exact host (a name or an IP literal) as a row key. */
static bool exact_host(struct lower *L, const struct pc *c, const struct rv *v, struct hosts *out)
{
	if (v->kind != RV_STR)
		return true; /* never equal to a host string */
	struct hostrow h = {.pos = c->pos};
	const char *s = v->u.str.s;
	int fam;
	unsigned prefix;
	if (!strchr(s, '/') && rg_parse_cidr(s, &fam, h.addr, &prefix)) {
		char canon[64];
		inet_ntop(fam == 4 ? AF_INET : AF_INET6, h.addr, canon, sizeof(canon));
		if (strcmp(canon, s) != 0) {
			lerr(L, c->pos,
			     "`%s`: input.host carries an IP address in canonical form (`%s`), so `%s` "
			     "never matches; write `%s`",
			     pc_text(c), canon, s, canon);
			return false;
		}
		h.kind = fam == 4 ? IR_HOST_IPV4 : IR_HOST_IPV6;
		h.prefix = (uint8_t)prefix;
		h.host = s;
		*ARENA_PUSH(L->a, out->v, out->n, out->cap) = h;
		return true;
	}
	for (const char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z') {
			lerr(L, c->pos,
			     "`%s`: input.host is lower case, so `%s` (with upper-case letters) never "
			     "matches; write it in lower case",
			     pc_text(c), s);
			return false;
		}
	size_t n = strlen(s);
	if (n && s[n - 1] == '.') {
		lerr(L, c->pos, "`%s`: input.host has no trailing dot, so `%s` never matches",
		     pc_text(c), s);
		return false;
	}
	char norm[NT_NAME_MAX + 1];
	size_t nl;
	uint8_t addr[16];
	if (!valid_name(s) ||
	    nt_host_parse(s, strlen(s), norm, sizeof(norm), &nl, addr) != NT_HOST_NAME) {
		lerr(L, c->pos,
		     "`%s`: `%s` is not a host name a request can carry (labels of letters, digits, "
		     "'-' and '_'; the last one not all digits), nor an IP address",
		     pc_text(c), s);
		return false;
	}
	h.kind = IR_HOST_NAME;
	h.host = s;
	*ARENA_PUSH(L->a, out->v, out->n, out->cap) = h;
	return true;
}

static bool wildcard_host(struct lower *L, const struct pc *c, const char *suffix,
                          struct hosts *out)
{
	char norm[NT_NAME_MAX + 1];
	size_t nl;
	uint8_t addr[16];
	if (!valid_name(suffix) ||
	    nt_host_parse(suffix, strlen(suffix), norm, sizeof(norm), &nl, addr) != NT_HOST_NAME) {
		lerr(L, c->pos, "`%s`: `%s` is not a host name suffix", pc_text(c), suffix);
		return false;
	}
	struct hostrow h = {.kind = IR_HOST_WILDCARD, .host = suffix, .pos = c->pos};
	*ARENA_PUSH(L->a, out->v, out->n, out->cap) = h;
	return true;
}

/* Whether host string s satisfies constraint c (used to filter exact hosts). */
static bool host_sat(const struct pc *c, const char *s, size_t n)
{
	bool r = true;
	switch (c->op) {
	case PC_EQ: r = c->v->kind == RV_STR && c->v->u.str.len == n && memcmp(c->v->u.str.s, s, n) == 0; break;
	case PC_NE: r = !(c->v->kind == RV_STR && c->v->u.str.len == n && memcmp(c->v->u.str.s, s, n) == 0); break;
	case PC_IN: {
		r = false;
		for (size_t i = 0; i < c->v->u.arr.n; i++) {
			const struct rv *x = c->v->u.arr.items[i];
			if (x->kind == RV_STR && x->u.str.len == n && memcmp(x->u.str.s, s, n) == 0)
				r = true;
		}
		break;
	}
	case PC_PREFIX:
	case PC_SUFFIX: {
		const struct rv *set = c->v->kind == RV_SET ? c->v : NULL;
		size_t k = set ? set->u.arr.n : 1;
		r = false;
		for (size_t i = 0; i < k; i++) {
			const struct rv *x = set ? set->u.arr.items[i] : c->v;
			size_t m = x->u.str.len;
			if (m <= n && memcmp(c->op == PC_PREFIX ? s : s + n - m, x->u.str.s, m) == 0)
				r = true;
		}
		break;
	}
	case PC_CONTAINS: r = memmem(s, n, c->v->u.str.s, c->v->u.str.len) != NULL; break;
	case PC_GLOB: {
		const struct rv *d = c->v2;
		const char *dflt[] = {"."};
		const char **ds = NULL;
		size_t nd = 0;
		if (d->kind == RV_ARRAY && d->u.arr.n) {
			ds = malloc(d->u.arr.n * sizeof(*ds));
			for (size_t i = 0; ds && i < d->u.arr.n; i++)
				ds[nd++] = d->u.arr.items[i]->kind == RV_STR ? d->u.arr.items[i]->u.str.s : ".";
		} else if (d->kind == RV_ARRAY) {
			ds = (const char **)dflt;
			nd = 1;
		}
		r = rg_glob_match(c->v->u.str.s, c->v->u.str.len, ds, nd, s, n) == 1;
		if (ds != (const char **)dflt)
			free(ds);
		break;
	}
	case PC_CIDR: {
		int f1, f2;
		unsigned char a1[16], a2[16];
		unsigned p1, p2;
		char buf[300];
		snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
		r = rg_parse_cidr(c->v->u.str.s, &f1, a1, &p1) && rg_parse_cidr(buf, &f2, a2, &p2) &&
		    f1 == f2 && p2 >= p1;
		for (unsigned b = 0; r && b < p1; b++)
			if ((a1[b / 8] ^ a2[b / 8]) & (0x80u >> (b % 8)))
				r = false;
		break;
	}
	default: r = false; break;
	}
	return c->neg ? !r : r;
}

static bool lower_hosts(struct lower *L, const struct pc *const *cs, size_t n, struct hosts *out)
{
	out->n = 0;
	const struct pc *exact = NULL;
	for (size_t i = 0; i < n; i++)
		if (!cs[i]->neg && (cs[i]->op == PC_EQ || cs[i]->op == PC_IN)) {
			exact = cs[i];
			break;
		}
	if (exact) {
		/* every exact host that satisfies all the other conditions */
		const struct rv *set = exact->op == PC_IN ? exact->v : NULL;
		size_t k = set ? set->u.arr.n : 1;
		for (size_t j = 0; j < k; j++) {
			const struct rv *v = set ? set->u.arr.items[j] : exact->v;
			if (v->kind != RV_STR)
				continue;
			bool ok = true;
			for (size_t i = 0; i < n && ok; i++)
				ok = host_sat(cs[i], v->u.str.s, v->u.str.len);
			if (ok && !exact_host(L, exact, v, out))
				return false;
		}
		return true;
	}
	if (n == 0) {
		lerr(L, L->rule_pos,
		     "this rule does not constrain input.host, so it would apply to every host; a "
		     "network-table row names a host, a `*.suffix`, an IP address or a CIDR");
		return false;
	}
	if (n > 1) {
		lerr(L, cs[1]->pos,
		     "`%s`: a rule may match input.host with one pattern (==, in, endswith, "
		     "glob.match, net.cidr_contains), not several",
		     pc_text(cs[1]));
		return false;
	}
	const struct pc *c = cs[0];
	if (c->neg || c->op == PC_NE) {
		lerr(L, c->pos, "`%s`: a negated condition on input.host cannot be compiled: a table "
		                "row allows hosts, it cannot exclude them",
		     pc_text(c));
		return false;
	}
	switch (c->op) {
	case PC_SUFFIX: {
		const struct rv *set = c->v->kind == RV_SET ? c->v : NULL;
		size_t k = set ? set->u.arr.n : 1;
		for (size_t j = 0; j < k; j++) {
			const struct rv *s = set ? set->u.arr.items[j] : c->v;
			if (s->u.str.len < 2 || s->u.str.s[0] != '.') {
				lerr(L, c->pos,
				     "`%s`: a host suffix must start with a dot (\".example.com\" matches the "
				     "subdomains of example.com; \"%s\" would also match names that merely "
				     "end with it)",
				     pc_text(c), s->u.str.s);
				return false;
			}
			if (!wildcard_host(L, c, s->u.str.s + 1, out))
				return false;
		}
		return true;
	}
	case PC_GLOB: {
		const struct rv *d = c->v2;
		bool dot = d->kind == RV_ARRAY &&
		           (d->u.arr.n == 0 || (d->u.arr.n == 1 && d->u.arr.items[0]->kind == RV_STR &&
		                                strcmp(d->u.arr.items[0]->u.str.s, ".") == 0));
		const char *p = c->v->u.str.s;
		if (dot && strncmp(p, "**.", 3) == 0 && !strpbrk(p + 3, "*?[]{}\\"))
			return wildcard_host(L, c, p + 3, out);
		if (dot && !strpbrk(p, "*?[]{}\\"))
			return exact_host(L, c, c->v, out);
		if (dot && strncmp(p, "*.", 2) == 0 && !strpbrk(p + 2, "*?[]{}\\"))
			lerr(L, c->pos,
			     "`%s`: `*` matches exactly one DNS label, but the network table's wildcard "
			     "matches one or more; use \"**.%s\" or endswith(input.host, \".%s\")",
			     pc_text(c), p + 2, p + 2);
		else
			lerr(L, c->pos,
			     "`%s`: a host glob must be a name or \"**.\" followed by a name, with the "
			     "delimiter [\".\"]",
			     pc_text(c));
		return false;
	}
	case PC_CIDR: {
		struct hostrow h = {.pos = c->pos};
		int fam;
		unsigned prefix;
		if (!rg_parse_cidr(c->v->u.str.s, &fam, h.addr, &prefix) || !strchr(c->v->u.str.s, '/')) {
			lerr(L, c->pos, "`%s`: `%s` is not a CIDR", pc_text(c), c->v->u.str.s);
			return false;
		}
		unsigned max = fam == 4 ? 32 : 128;
		for (unsigned b = prefix; b < max; b++)
			h.addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
		char txt[64];
		inet_ntop(fam == 4 ? AF_INET : AF_INET6, h.addr, txt, sizeof(txt));
		h.kind = fam == 4 ? IR_HOST_IPV4 : IR_HOST_IPV6;
		h.prefix = (uint8_t)prefix;
		h.host = arena_printf(L->a, "%s/%u", txt, prefix);
		*ARENA_PUSH(L->a, out->v, out->n, out->cap) = h;
		return true;
	}
	default:
		lerr(L, c->pos,
		     "`%s`: input.host can be compared (==, in), or matched with endswith(input.host, "
		     "\".suffix\"), glob.match(\"**.suffix\", [\".\"], input.host) or "
		     "net.cidr_contains",
		     pc_text(c));
		return false;
	}
}

/* ---- branches -> rows ------------------------------------------------------------ */

static int on_branch(void *ctx, const struct pc *cons, size_t n, const struct rv *v)
{
	struct lower *L = ctx;
	if (!L->deny) {
		if (rv_is_partial(v)) {
			lerr(L, L->rule_pos, "the value of `allow` depends on input; it must be true");
			return 1;
		}
		if (!(v->kind == RV_BOOL && v->u.b))
			return 0; /* allow is not true on this branch: nothing allowed */
	}
	const struct pc **hs = arena_array(L->a, n + 1, sizeof(*hs)),
	                **ps = arena_array(L->a, n + 1, sizeof(*ps)),
	                **ms = arena_array(L->a, n + 1, sizeof(*ms)),
	                **qs = arena_array(L->a, n + 1, sizeof(*qs));
	size_t nh = 0, np = 0, nm = 0, nq = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pc *c = &cons[i];
		if (c->op == PC_DEFAULT) {
			lerr(L, c->pos,
			     "this rule relies on the default value of `%s`, which depends on input; "
			     "defaults of input-dependent rules cannot be compiled (they mean \"no other "
			     "body matched\")",
			     c->text);
			return 1;
		}
		if (strcmp(c->field, "host") == 0)
			hs[nh++] = c;
		else if (strcmp(c->field, "port") == 0)
			ps[np++] = c;
		else if (strcmp(c->field, "method") == 0)
			ms[nm++] = c;
		else if (strcmp(c->field, "path") == 0)
			qs[nq++] = c;
		else {
			lerr(L, c->pos,
			     "`%s`: input.%s is not part of a network request; the network table "
			     "decides on input.host, input.port, input.method and input.path",
			     pc_text(c), *c->field ? c->field : "(whole document)");
			return 1;
		}
	}
	struct rows_in ports = {0};
	bool any_port, no_path;
	uint32_t methods;
	struct strs paths = {0};
	struct hosts hosts = {0};
	if (!lower_ports(L, ps, np, &ports, &any_port) || !lower_methods(L, ms, nm, &methods) ||
	    !lower_paths(L, qs, nq, &paths, &no_path) || !lower_hosts(L, hs, nh, &hosts))
		return 1;
	if ((!any_port && ports.n == 0) || no_path || (nm && methods == 0))
		return 0; /* no request satisfies this branch */
	for (size_t i = 0; i < hosts.n; i++) {
		struct ir_net_rule r = {0};
		r.kind = hosts.v[i].kind;
		r.host = hosts.v[i].host;
		memcpy(r.addr, hosts.v[i].addr, sizeof(r.addr));
		r.prefix = hosts.v[i].prefix;
		if (!any_port) {
			r.ports = arena_array(L->a, ports.n, sizeof(*r.ports));
			for (size_t j = 0; j < ports.n; j++)
				r.ports[j] = (struct ir_port_range){(uint16_t)ports.r[j].lo,
				                                    (uint16_t)ports.r[j].hi};
			r.nports = ports.n;
		}
		r.methods = methods;
		r.paths = paths.v;
		r.npaths = paths.n;
		r.deny = L->deny;
		r.pos = hosts.v[i].pos;
		*ARENA_PUSH(L->a, L->p->net.rules, L->p->net.nrules, L->p->net.caprules) = r;
	}
	return 0;
}

/* Each definition of allow / deny on its own, so every rule that cannot be
 * compiled is reported, not only the first. */
static void lower_node(struct lower *L, struct rg_node *n, bool deny)
{
	L->deny = deny;
	for (size_t i = 0; i < n->nrules; i++) {
		L->rule_pos = n->rules[i]->pos;
		bool failed = L->failed;
		L->failed = false;
		struct rego_err err;
		if (rg_partial_rule(L->r, n->rules[i], on_branch, L, &err) < 0 && !L->failed) {
			diag_add(L->d, DIAG_ERROR, err.pos.line ? err.pos : L->rule_pos,
			         strcmp(err.code ? err.code : "", "unsupported") == 0 ? DIAG_E504
			                                                              : DIAG_E100,
			         "%s", err.msg ? err.msg : "cannot evaluate");
			L->failed = true;
		}
		L->failed |= failed;
	}
}

/* ---- the agreement check -------------------------------------------------------- */

int rego_net_decide(struct rego *r, const char *pkg, const char *host, unsigned port,
                    const char *method, const char *path, bool *allowed, struct rego_err *err)
{
	struct arena *a = r->eval_a ? r->eval_a : r->a;
	/* a request that does not show its method or path (a tunnel) has none */
	const struct rv *ks[4], *vs[4];
	size_t n = 0;
	ks[n] = rv_cstr(a, "host");
	vs[n++] = rv_cstr(a, host);
	ks[n] = rv_cstr(a, "port");
	vs[n++] = rv_num(a, port);
	if (method) {
		ks[n] = rv_cstr(a, "method");
		vs[n++] = rv_cstr(a, method);
	}
	if (path) {
		ks[n] = rv_cstr(a, "path");
		vs[n++] = rv_cstr(a, path);
	}
	const struct rv *input = rv_object(a, ks, vs, n);
	const struct rv *allow = NULL, *deny = NULL;
	*allowed = false;
	char p[300];
	snprintf(p, sizeof(p), "%s.allow", pkg);
	if (rego_eval_path(r, p, input, &allow, err) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s.deny", pkg);
	if (rego_eval_path(r, p, input, &deny, err) < 0)
		return -1;
	bool denied = deny && !(deny->kind == RV_SET && deny->u.arr.n == 0);
	*allowed = allow && allow->kind == RV_BOOL && allow->u.b && !denied;
	return 0;
}

struct samples {
	const char **hosts;
	size_t nh, caph;
	unsigned *ports;
	size_t np, capp;
	const char **paths;
	size_t nq, capq;
};

static void add_host(struct lower *L, struct samples *s, const char *h)
{
	for (size_t i = 0; i < s->nh; i++)
		if (strcmp(s->hosts[i], h) == 0)
			return;
	*ARENA_PUSH(L->a, s->hosts, s->nh, s->caph) = h;
}

static void add_port(struct lower *L, struct samples *s, long p)
{
	if (p < 1 || p > 65535)
		return;
	for (size_t i = 0; i < s->np; i++)
		if (s->ports[i] == (unsigned)p)
			return;
	*ARENA_PUSH(L->a, s->ports, s->np, s->capp) = (unsigned)p;
}

static void add_path(struct lower *L, struct samples *s, const char *q)
{
	for (size_t i = 0; i < s->nq; i++)
		if (strcmp(s->paths[i], q) == 0)
			return;
	*ARENA_PUSH(L->a, s->paths, s->nq, s->capq) = q;
}

/* Addresses at the edges of a CIDR: first, last, and one outside each side. */
static void cidr_samples(struct lower *L, struct samples *s, const struct ir_net_rule *r)
{
	int fam = r->kind == IR_HOST_IPV4 ? AF_INET : AF_INET6;
	unsigned bytes = r->kind == IR_HOST_IPV4 ? 4 : 16, max = bytes * 8;
	uint8_t lo[16], hi[16];
	memcpy(lo, r->addr, 16);
	for (unsigned b = r->prefix; b < max; b++)
		lo[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	memcpy(hi, lo, 16);
	for (unsigned b = r->prefix; b < max; b++)
		hi[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	uint8_t below[16], above[16];
	memcpy(below, lo, 16);
	memcpy(above, hi, 16);
	for (int i = (int)bytes - 1; i >= 0; i--)
		if (below[i]-- != 0)
			break;
	for (int i = (int)bytes - 1; i >= 0; i--)
		if (above[i]++ != 0xff)
			break;
	const uint8_t *list[4] = {lo, hi, below, above};
	for (int i = 0; i < 4; i++) {
		char txt[64];
		if (inet_ntop(fam, list[i], txt, sizeof(txt)))
			add_host(L, s, arena_strdup(L->a, txt));
	}
}

/* A path from a glob: `**` and `*` replaced by something (or nothing). */
static const char *glob_instance(struct arena *a, const char *g, const char *star2,
                                 const char *star)
{
	struct rstr o = {.a = a};
	rstr_add(&o, "", 0);
	for (size_t i = 0; g[i]; i++) {
		if (g[i] == '*' && g[i + 1] == '*') {
			rstr_addc(&o, star2);
			i++;
		} else if (g[i] == '*') {
			rstr_addc(&o, star);
		} else {
			rstr_add(&o, &g[i], 1);
		}
	}
	return o.p;
}

static int check_agreement(struct lower *L)
{
	struct diag_sink *scratch = diag_sink_new(L->a);
	struct ir_policy *tmp = ir_policy_new(L->a);
	ir_merge(tmp, L->p);
	ir_finalize(tmp, scratch);
	struct buf tb = {0};
	if (diag_errors(scratch) || nt_build(tmp, scratch, &tb) < 0) {
		buf_free(&tb);
		return 0; /* the build proper reports why */
	}
	struct nt t;
	char err[256];
	int rc = 0;
	if (nt_open(&t, tb.p, tb.len, err, sizeof(err)) < 0) {
		diag_error(L->d, src_file(L->file), E900, "network table does not read back: %s", err);
		buf_free(&tb);
		return -1;
	}
	struct samples s = {0};
	add_host(L, &s, "unlisted.example");
	add_host(L, &s, "192.0.2.1");
	add_port(L, &s, 80);
	add_port(L, &s, 443);
	add_path(L, &s, "/");
	add_path(L, &s, "/zz/y");
	for (size_t i = 0; i < L->p->net.nrules; i++) {
		const struct ir_net_rule *r = &L->p->net.rules[i];
		switch (r->kind) {
		case IR_HOST_NAME:
			add_host(L, &s, r->host);
			add_host(L, &s, arena_printf(L->a, "x.%s", r->host));
			break;
		case IR_HOST_WILDCARD:
			add_host(L, &s, r->host);
			add_host(L, &s, arena_printf(L->a, "a.%s", r->host));
			add_host(L, &s, arena_printf(L->a, "a.b.%s", r->host));
			add_host(L, &s, arena_printf(L->a, "x%s", r->host));
			break;
		default: cidr_samples(L, &s, r); break;
		}
		for (size_t j = 0; j < r->nports; j++) {
			add_port(L, &s, (long)r->ports[j].lo - 1);
			add_port(L, &s, r->ports[j].lo);
			add_port(L, &s, r->ports[j].hi);
			add_port(L, &s, (long)r->ports[j].hi + 1);
		}
		for (size_t j = 0; j < r->npaths; j++) {
			add_path(L, &s, glob_instance(L->a, r->paths[j], "", ""));
			add_path(L, &s, glob_instance(L->a, r->paths[j], "a/b", "x"));
			add_path(L, &s, glob_instance(L->a, r->paths[j], "x", "x"));
		}
	}
	/* methods: every one the table can name */
	size_t nmeth = IR_HTTP_BIT_TRACE + 1;
	size_t total = s.nh * s.np * nmeth * s.nq;
	/* keep the check bounded: thin out paths and methods on huge tables */
	size_t step_q = 1, step_m = 1;
	while (total / (step_q * step_m) > 200000 && step_q < s.nq)
		step_q *= 2;
	while (total / (step_q * step_m) > 200000 && step_m < nmeth)
		step_m *= 2;
	struct arena *saved = L->r->eval_a;
	size_t done = 0;
	for (size_t h = 0; h < s.nh; h++) {
		for (size_t pi = 0; pi < s.np; pi++)
			for (size_t m = 0; m < nmeth; m += step_m)
				for (size_t q = 0; q < s.nq; q += step_q) {
					if (done++ % 256 == 0) {
						if (L->r->eval_a && L->r->eval_a != saved)
							arena_free(L->r->eval_a);
						L->r->eval_a = arena_new();
					}
					const char *meth = ir_method_name((int)m);
					struct nt_req rq = {.host = s.hosts[h], .host_len = strlen(s.hosts[h]),
					                    .port = (uint16_t)s.ports[pi], .method = (int)m,
					                    .path = s.paths[q], .path_len = strlen(s.paths[q])};
					char canon[NT_PATH_MAX];
					size_t clen;
					if (nt_path_canon(rq.path, rq.path_len, canon, sizeof(canon), &clen) < 0)
						continue;
					rq.path = canon;
					rq.path_len = clen;
					struct nt_result res;
					nt_lookup(&t, &rq, &res);
					bool ev_allowed;
					struct rego_err e;
					if (rego_net_decide(L->r, L->pkg, s.hosts[h], s.ports[pi], meth, canon,
					                    &ev_allowed, &e) < 0) {
						diag_error(L->d, e.pos.line ? e.pos : L->rule_pos, E504,
						           "the policy fails for host=%s port=%u method=%s path=%s "
						           "(%s: %s); a table cannot fail, so this cannot be compiled",
						           s.hosts[h], s.ports[pi], meth, canon, e.code, e.msg);
						rc = -1;
						goto out;
					}
					if (ev_allowed != res.allow) {
						diag_error(L->d, L->rule_pos, E900,
						           "the compiled network table and the Rego evaluator disagree "
						           "for host=%s port=%u method=%s path=%s: table says %s, "
						           "policy says %s",
						           s.hosts[h], s.ports[pi], meth, canon,
						           res.allow ? "allow" : "deny", ev_allowed ? "allow" : "deny");
						rc = -1;
						goto out;
					}
				}
	}
out:
	if (L->r->eval_a && L->r->eval_a != saved)
		arena_free(L->r->eval_a);
	L->r->eval_a = saved;
	buf_free(&tb);
	return rc;
}

int rego_net_check(struct rego *r, const char *pkg, const struct ir_policy *p,
                   struct diag_sink *d, struct src_pos pos)
{
	struct lower L = {.a = r->a, .d = d, .r = r, .pkg = pkg, .rule_pos = pos,
	                  .file = pos.file ? pos.file : ""};
	L.p = (struct ir_policy *)p;
	return check_agreement(&L);
}

/* ---- data files and the front end ---------------------------------------------- */

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Merges b into a (objects recursively; b wins elsewhere). */
static const struct rv *merge(struct arena *ar, const struct rv *a, const struct rv *b)
{
	if (!a || a->kind != RV_OBJECT || b->kind != RV_OBJECT)
		return b;
	size_t n = a->u.obj.n + b->u.obj.n;
	const struct rv **ks = arena_array(ar, n + 1, sizeof(*ks)), **vs = arena_array(ar, n + 1, sizeof(*vs));
	size_t m = 0;
	for (size_t i = 0; i < a->u.obj.n; i++) {
		const struct rv *other = rv_get(b, a->u.obj.keys[i]);
		ks[m] = a->u.obj.keys[i];
		vs[m++] = other ? merge(ar, a->u.obj.vals[i], other) : a->u.obj.vals[i];
	}
	for (size_t i = 0; i < b->u.obj.n; i++)
		if (!rv_get(a, b->u.obj.keys[i])) {
			ks[m] = b->u.obj.keys[i];
			vs[m++] = b->u.obj.vals[i];
		}
	return rv_object(ar, ks, vs, m);
}

static const struct rv *load_data(struct lower *L)
{
	const char *slash = strrchr(L->file, '/');
	const char *dir = slash ? arena_strndup(L->a, L->file, (size_t)(slash - L->file)) : ".";
	const char *stem = arena_strndup(L->a, L->file, strlen(L->file) - 5); /* ".rego" */
	const char *cands[] = {
		arena_printf(L->a, "%s/data.json", dir),    arena_printf(L->a, "%s/data.yaml", dir),
		arena_printf(L->a, "%s/data.yml", dir),     arena_printf(L->a, "%s.data.json", stem),
		arena_printf(L->a, "%s.data.yaml", stem),   arena_printf(L->a, "%s.data.yml", stem),
	};
	const struct rv *data = rv_object(L->a, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		size_t len;
		char *text = load_slurp(L->a, cands[i], &len);
		if (!text) {
			if (errno != ENOENT)
				diag_error(L->d, src_file(cands[i]), E500, "cannot read data file: %s",
				           strerror(errno));
			continue;
		}
		char err[300];
		const struct rv *v = has_suffix(cands[i], ".json")
		                         ? rv_from_json_text(L->a, text, len, err, sizeof(err))
		                         : rv_from_yaml_text(L->a, text, len, err, sizeof(err));
		if (!v) {
			diag_error(L->d, src_file(cands[i]), E100, "data file: %s", err);
			L->failed = true;
			continue;
		}
		if (v->kind != RV_OBJECT) {
			diag_error(L->d, src_file(cands[i]), E102,
			           "a data file must hold an object (its keys are the top-level "
			           "names under `data`)");
			L->failed = true;
			continue;
		}
		*ARENA_PUSH(L->a, L->p->sources, L->p->nsources, L->p->capsources) = cands[i];
		data = merge(L->a, data, v);
	}
	return data;
}

static const char *pkg_string(struct arena *a, const struct rg_module *m)
{
	const struct rg_term *p = m->pkg;
	struct rstr s = {.a = a};
	rstr_addc(&s, p->u.list.elems[0]->u.var.name);
	for (size_t i = 1; i < p->u.list.n; i++) {
		rstr_addc(&s, ".");
		rstr_add(&s, p->u.list.elems[i]->u.str.s, p->u.list.elems[i]->u.str.len);
	}
	return s.p;
}

struct rego *rego_load(struct load_ctx *c, const char *path, const char **pkg)
{
	size_t len;
	char *text = load_slurp(c->a, path, &len);
	if (!text) {
		diag_error(c->d, src_file(path), E500, "cannot read: %s", strerror(errno));
		return NULL;
	}
	diag_source(c->d, path, text, len);
	struct lower L = {.c = c, .a = c->a, .d = c->d, .file = path};
	struct rg_module *m = rego_parse_module(c->a, c->d, path, text, len);
	if (!m)
		return NULL;
	L.p = ir_policy_new(c->a);
	const struct rv *data = load_data(&L);
	struct rego *r = rego_new(c->a, c->d);
	rego_add_module(r, m);
	rego_set_data(r, data);
	if (L.failed || rego_compile(r, NULL) < 0)
		return NULL;
	*pkg = pkg_string(c->a, m);
	return r;
}

struct ir_policy *rego_parse(struct load_ctx *c, const char *path, const char *text, size_t len)
{
	struct lower L = {.c = c, .a = c->a, .d = c->d, .file = path};
	size_t before = diag_errors(c->d);
	struct rg_module *m = rego_parse_module(c->a, c->d, path, text, len);
	if (!m)
		return NULL;
	L.p = ir_policy_new(c->a);
	*ARENA_PUSH(c->a, L.p->sources, L.p->nsources, L.p->capsources) = path;
	const struct rv *data = load_data(&L);
	L.r = rego_new(c->a, c->d);
	rego_add_module(L.r, m);
	rego_set_data(L.r, data);
	if (rego_compile(L.r, NULL) < 0 || L.failed)
		return NULL;
	L.pkg = pkg_string(c->a, m);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	L.p->name = arena_strndup(c->a, base, strlen(base) - (has_suffix(base, ".rego") ? 5 : 0));
	L.p->name_pos = m->pos;
	if (strcmp(L.pkg, "polc.network") == 0) {
		struct rg_node *allow = rc_node_at(L.r, "polc.network.allow");
		struct rg_node *deny = rc_node_at(L.r, "polc.network.deny");
		if (allow && !(allow->nrules || allow->deflt))
			allow = NULL;
		if (deny && !(deny->nrules || deny->deflt))
			deny = NULL;
		if (!allow && !deny) {
			diag_error(c->d, m->pos, E504,
			           "package polc.network needs an `allow` rule (allow if { ... }) and/or a "
			           "`deny` set (deny contains msg if { ... })");
			return NULL;
		}
		if (allow && allow->kind != RG_R_COMPLETE) {
			diag_error(c->d, allow->nrules ? allow->rules[0]->pos : m->pos, E504,
			           "`allow` must be a complete rule (allow if { ... }), not a %s",
			           allow->kind == RG_R_FUNC ? "function" : "partial set or object");
			return NULL;
		}
		if (deny && deny->kind != RG_R_SET) {
			diag_error(c->d, deny->nrules ? deny->rules[0]->pos : m->pos, E504,
			           "`deny` must be a partial set (deny contains msg if { ... })");
			return NULL;
		}
		if (allow && allow->deflt &&
		    !(allow->deflt->value && allow->deflt->value->cv &&
		      rv_eq(allow->deflt->value->cv, RV_FALSE))) {
			diag_error(c->d, allow->deflt->pos, E504,
			           "`default allow` must be false: the network table denies whatever no "
			           "rule allows");
			return NULL;
		}
		L.p->net.present = true;
		/* deny rows first: they win anyway, and come first in listings */
		if (deny)
			lower_node(&L, deny, true);
		if (allow)
			lower_node(&L, allow, false);
		if (!L.failed && diag_errors(c->d) == before)
			check_agreement(&L);
	} else if (strcmp(L.pkg, "polc.filesystem") == 0 || strcmp(L.pkg, "polc.process") == 0) {
		diag_error(c->d, m->pos, E504,
		           "package %s: only network decisions (package polc.network) can be compiled "
		           "from Rego so far; %s",
		           L.pkg,
		           L.pkg[5] == 'f'
		               ? "Landlock grants whole directory trees, and a Rego condition on "
		                 "input.path is not checked to describe exactly such a tree: write the "
		                 "filesystem section in YAML"
		               : "seccomp rules need a default action and per-argument conditions that "
		                 "the Rego shape does not fix: write the process section in YAML");
		return NULL;
	} else {
		diag_error(c->d, m->pos, E504,
		           "package %s is not an entry point polc compiles; use `package polc.network` "
		           "with rules `allow` and/or `deny` (see docs/rego.md)",
		           L.pkg);
		return NULL;
	}
	if (L.failed || diag_errors(c->d) > before)
		return NULL;
	return L.p;
}
