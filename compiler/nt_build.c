/* nt_build.c — network table backend: the IR's network rows to the NETTABLE
 * payload (format and lookup semantics in runtime-min/nt.h), the checks
 * that only make sense on the whole table, and the readers behind
 * `polc query ... net` and `polc inspect`.
 *
 * Checks (diagnostics point at the rule's source position):
 *   E400 error    invalid host name or wildcard suffix; a wildcard over a
 *                 public suffix (built-in list below: `*.com`, `*.co.uk`,
 *                 `*.github.io` ... would admit every site under it)
 *   E400 warning  a wildcard over any other single label (`*.internal`)
 *   E401 error    port 0 or a range with lo > hi; too many ranges
 *   E402 error    0.0.0.0/0 or ::/0, a prefix beyond the family's length,
 *                 address bits set beyond the prefix, IPv4-mapped IPv6
 *                 (write the IPv4 address: requests are matched as IPv4)
 *   E403 error    a method bit the table cannot name
 *   E404 error    a path glob that is not absolute, too long, not in the
 *                 canonical form requests are compared in (nt_path_canon),
 *                 or has a "." / ".." / empty segment or "***"
 *   E405 warning  a rule that can never decide anything: an exact
 *                 duplicate of an earlier rule; an allow rule covered by a
 *                 deny rule (deny wins, so it never allows); a rule covered
 *                 by an earlier rule of the same kind (the earlier one is
 *                 always the one reported).  Warnings, not errors: such a
 *                 rule never widens what the policy allows, and
 *                 `polc lint --fail-level warning` can still gate on them.
 *                 Only rules whose host pattern covers the other's are
 *                 compared (found through the index), at most
 *                 SHADOW_CANDIDATES per rule, so the check stays linear in
 *                 the size of the table; path coverage is judged
 *                 conservatively (equal globs, or a "/" + "**" tail).
 *   E401 warning  a duplicate bind port. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"
#include "nt.h"

#define SHADOW_CANDIDATES 64

/* Public suffixes a wildcard must not sit on: the common generic and
 * country-code registries, their usual second levels, and hosting domains
 * where anyone can publish under a subdomain (from the Public Suffix List's
 * private section).  Deliberately small; see the header comment. */
static const char *const public_suffixes[] = {
        "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "io", "dev", "app",
        "ai", "co", "me", "xyz", "cloud", "online", "site", "tech", "page", "us", "uk", "de",
        "fr", "jp", "cn", "ru", "br", "in", "au", "ca", "eu", "nl", "it", "es", "ch", "se",
        "no", "pl", "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au",
        "co.jp", "ne.jp", "or.jp", "co.nz", "com.br", "com.cn", "co.in", "co.za", "github.io",
        "githubusercontent.com", "gitlab.io", "herokuapp.com", "appspot.com",
        "cloudfront.net", "amazonaws.com", "s3.amazonaws.com", "azurewebsites.net",
        "blob.core.windows.net", "blogspot.com", "pages.dev", "workers.dev", "vercel.app",
        "netlify.app", "web.app", "firebaseapp.com", "ngrok.io", "ngrok-free.app",
        "trycloudflare.com",
};

static bool is_public_suffix(const char *s)
{
	for (size_t i = 0; i < sizeof(public_suffixes) / sizeof(public_suffixes[0]); i++)
		if (strcmp(s, public_suffixes[i]) == 0)
			return true;
	return false;
}

/* One host key: what the index hashes (see nt.h). */
struct bkey {
	uint8_t kind, prefix;
	uint16_t len;
	const uint8_t *bytes;
	uint32_t hash;
	uint32_t *rules; /* indices into the IR's rule array, in row order */
	size_t nrules, cap;
	uint32_t ndeny;
};

struct bstate {
	const struct ir_policy *p;
	struct diag_sink *d;
	struct arena *a;
	struct bkey *keys;
	size_t nkeys, capkeys;
	uint32_t *slots; /* build-time index: key index + 1, 0 = empty */
	size_t nslots;
	uint32_t *key_of; /* per IR rule: key index, or UINT32_MAX if invalid */
	uint8_t (*addr)[16];
	uint32_t *methods; /* per IR rule, NT_M_* bits */
	bool *valid;
	uint64_t v4p, v6p[3];
	uint64_t wildl[2]; /* label counts of wildcard keys */
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

/* ---- per-rule checks ------------------------------------------------------- */

static bool check_name(struct bstate *s, const struct ir_net_rule *r, const char *what,
                       const char *name)
{
	char norm[NT_NAME_MAX + 2];
	size_t n;
	uint8_t a[16];
	size_t len = strlen(name);
	enum nt_host_kind k = nt_host_parse(name, len, norm, sizeof(norm), &n, a);
	if (k == NT_HOST_IPV4 || k == NT_HOST_IPV6) {
		diag_error(s->d, r->pos, E400, "%s '%s' is an IP address: write it as an address rule",
		           what, name);
		return false;
	}
	if (k != NT_HOST_NAME || n != len || strcmp(norm, name) != 0) {
		diag_error(s->d, r->pos, E400,
		           "invalid %s '%s': expected a lower-case DNS name (letters, digits, '-', "
		           "'_'; labels of 1-63 bytes; no trailing dot)",
		           what, name);
		return false;
	}
	return true;
}

static bool check_host(struct bstate *s, const struct ir_net_rule *r, size_t i)
{
	switch (r->kind) {
	case IR_HOST_NAME:
		if (!r->host || !*r->host || strchr(r->host, '*')) {
			diag_error(s->d, r->pos, E400,
			           "invalid host '%s': a wildcard must be a whole leading label, as in "
			           "*.example.com",
			           r->host ? r->host : "");
			return false;
		}
		return check_name(s, r, "host", r->host);
	case IR_HOST_WILDCARD:
		if (!r->host || !*r->host || strchr(r->host, '*')) {
			diag_error(s->d, r->pos, E400,
			           "invalid wildcard '*.%s': '*' and '**' alone match every host; "
			           "name the domain, as in *.example.com",
			           r->host ? r->host : "");
			return false;
		}
		if (!check_name(s, r, "wildcard suffix", r->host))
			return false;
		if (is_public_suffix(r->host)) {
			diag_error(s->d, r->pos, E400,
			           "wildcard '*.%s' covers a public suffix: it would allow every site "
			           "registered under it; list the hosts you need",
			           r->host);
			return false;
		}
		if (!strchr(r->host, '.'))
			diag_warn(s->d, r->pos, E400,
			          "wildcard '*.%s' covers a whole top-level domain; list the hosts you "
			          "need",
			          r->host);
		return true;
	case IR_HOST_IPV4:
	case IR_HOST_IPV6: {
		bool v4 = r->kind == IR_HOST_IPV4;
		unsigned alen = v4 ? 4 : 16, maxp = v4 ? 32 : 128;
		const char *h = r->host ? r->host : "?";
		if (r->prefix > maxp) {
			diag_error(s->d, r->pos, E402, "prefix /%u is longer than an %s address", r->prefix,
			           v4 ? "IPv4" : "IPv6");
			return false;
		}
		if (r->prefix == 0) {
			diag_error(s->d, r->pos, E402,
			           "'%s' matches every %s address; list the networks you need", h,
			           v4 ? "IPv4" : "IPv6");
			return false;
		}
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (!v4 && memcmp(r->addr, mapped, 12) == 0) {
			diag_error(s->d, r->pos, E402,
			           "'%s' is an IPv4-mapped IPv6 address: requests for it are matched as "
			           "IPv4, so write the IPv4 address",
			           h);
			return false;
		}
		for (unsigned b = 0; b < alen; b++) {
			unsigned keep = r->prefix >= (b + 1) * 8 ? 8 : r->prefix > b * 8 ? r->prefix - b * 8 : 0;
			uint8_t mask = (uint8_t)(keep ? 0xffu << (8 - keep) : 0);
			if (r->addr[b] & (uint8_t)~mask) {
				diag_error(s->d, r->pos, E402,
				           "'%s' has address bits set beyond the /%u prefix; write the "
				           "network address",
				           h, r->prefix);
				return false;
			}
		}
		memcpy(s->addr[i], r->addr, alen);
		return true;
	}
	}
	diag_error(s->d, r->pos, E901, "unknown host kind %d", (int)r->kind);
	return false;
}

/* Globs are compared with canonical request paths, so they must be written
 * in that form themselves ('*' aside). */
static bool check_glob(struct bstate *s, const struct ir_net_rule *r, const char *g)
{
	size_t len = strlen(g);
	const char *why = NULL;
	if (len == 0 || g[0] != '/')
		why = "must start with '/'";
	else if (len > NT_PATTERN_MAX)
		why = "is too long";
	else if (strstr(g, "***"))
		why = "has '***' (use '*' within a segment or '**' across segments)";
	else {
		/* Canonicalise with '*' replaced by a neutral character; the
		 * result must equal the input. */
		char *tmp = xcalloc(len + 1, 1), *out = xcalloc(len + 1, 1);
		size_t olen;
		for (size_t i = 0; i < len; i++)
			tmp[i] = g[i] == '*' ? 'x' : g[i];
		if (nt_path_canon(tmp, len, out, len + 1, &olen) < 0)
			why = "is not a valid path (printable ASCII, no '?', '#' or '\\', complete "
			      "%-escapes, no empty, '.' or '..' segments)";
		else if (olen != len || memcmp(out, tmp, len) != 0)
			why = "is not in canonical form (write unreserved characters unescaped and "
			      "escapes in upper case)";
		free(tmp);
		free(out);
	}
	if (why) {
		diag_error(s->d, r->pos, E404, "path pattern '%s' %s", g, why);
		return false;
	}
	return true;
}

static bool check_rule(struct bstate *s, size_t i)
{
	const struct ir_net_rule *r = &s->p->net.rules[i];
	bool ok = check_host(s, r, i);
	if (r->nports > UINT16_MAX) {
		diag_error(s->d, r->pos, E401, "too many port ranges (%zu)", r->nports);
		ok = false;
	}
	for (size_t j = 0; j < r->nports; j++)
		if (r->ports[j].lo == 0 || r->ports[j].lo > r->ports[j].hi) {
			diag_error(s->d, r->pos, E401, "invalid port range %u-%u (ports are 1-65535)",
			           r->ports[j].lo, r->ports[j].hi);
			ok = false;
		}
	uint32_t m = 0;
	for (int b = 0; b < 32; b++) {
		if (!(r->methods & (1u << b)))
			continue;
		const char *name = ir_method_name(b);
		int nb = nt_method_parse(name, strlen(name));
		if (nb < 0) {
			diag_error(s->d, r->pos, E403, "method bit %d has no name in the network table", b);
			ok = false;
		} else
			m |= 1u << nb;
	}
	s->methods[i] = m;
	if (r->npaths > UINT16_MAX) {
		diag_error(s->d, r->pos, E404, "too many path patterns (%zu)", r->npaths);
		ok = false;
	}
	for (size_t j = 0; j < r->npaths; j++)
		if (!check_glob(s, r, r->paths[j]))
			ok = false;
	return ok;
}

/* ---- keys ------------------------------------------------------------------ */

static void rule_key(struct bstate *s, size_t i, uint8_t *kind, uint8_t *prefix,
                     const uint8_t **bytes, uint16_t *len)
{
	const struct ir_net_rule *r = &s->p->net.rules[i];
	*prefix = 0;
	switch (r->kind) {
	case IR_HOST_NAME:
	case IR_HOST_WILDCARD:
		*kind = r->kind == IR_HOST_NAME ? NT_K_NAME : NT_K_WILD;
		*bytes = (const uint8_t *)r->host;
		*len = (uint16_t)strlen(r->host);
		return;
	case IR_HOST_IPV4:
	case IR_HOST_IPV6:
		*kind = r->kind == IR_HOST_IPV4 ? NT_K_V4 : NT_K_V6;
		*prefix = r->prefix;
		*bytes = s->addr[i];
		*len = r->kind == IR_HOST_IPV4 ? 4 : 16;
		return;
	}
}

static uint32_t key_find(const struct bstate *s, uint8_t kind, uint8_t prefix,
                         const uint8_t *bytes, uint16_t len, uint32_t h)
{
	size_t mask = s->nslots - 1;
	for (size_t j = h & mask;; j = (j + 1) & mask) {
		uint32_t k = s->slots[j];
		if (!k)
			return UINT32_MAX;
		const struct bkey *e = &s->keys[k - 1];
		if (e->hash == h && e->kind == kind && e->prefix == prefix && e->len == len &&
		    memcmp(e->bytes, bytes, len) == 0)
			return k - 1;
	}
}

static uint32_t key_add(struct bstate *s, uint8_t kind, uint8_t prefix, const uint8_t *bytes,
                        uint16_t len)
{
	uint32_t h = nt_hash(kind, prefix, bytes, len);
	uint32_t k = key_find(s, kind, prefix, bytes, len, h);
	if (k != UINT32_MAX)
		return k;
	struct bkey *e = ARENA_PUSH(s->a, s->keys, s->nkeys, s->capkeys);
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->prefix = prefix;
	e->bytes = bytes;
	e->len = len;
	e->hash = h;
	size_t mask = s->nslots - 1, j = h & mask;
	while (s->slots[j])
		j = (j + 1) & mask;
	s->slots[j] = (uint32_t)s->nkeys;
	if (kind == NT_K_V4)
		s->v4p |= 1ull << prefix;
	else if (kind == NT_K_V6)
		s->v6p[prefix / 64] |= 1ull << (prefix % 64);
	else if (kind == NT_K_WILD) {
		unsigned labels = 1; /* at most 127 in a checked name */
		for (uint16_t i = 0; i < len; i++)
			labels += bytes[i] == '.';
		s->wildl[labels / 64] |= 1ull << (labels % 64);
	}
	return (uint32_t)(s->nkeys - 1);
}

/* ---- shadowing ---------------------------------------------------------------- */

static bool host_covers(const struct bstate *s, size_t ia, size_t ib)
{
	const struct ir_net_rule *a = &s->p->net.rules[ia], *b = &s->p->net.rules[ib];
	if (a->kind == IR_HOST_NAME)
		return b->kind == IR_HOST_NAME && strcmp(a->host, b->host) == 0;
	if (a->kind == IR_HOST_WILDCARD) {
		if (b->kind != IR_HOST_NAME && b->kind != IR_HOST_WILDCARD)
			return false;
		size_t la = strlen(a->host), lb = strlen(b->host);
		if (b->kind == IR_HOST_WILDCARD && la == lb)
			return strcmp(a->host, b->host) == 0;
		return lb > la && b->host[lb - la - 1] == '.' && strcmp(b->host + lb - la, a->host) == 0;
	}
	if (a->kind != b->kind || a->prefix > b->prefix)
		return false;
	size_t alen = a->kind == IR_HOST_IPV4 ? 4 : 16;
	uint8_t m[16];
	memcpy(m, s->addr[ib], alen);
	for (size_t i = 0; i < alen; i++) {
		unsigned keep = a->prefix >= (i + 1) * 8 ? 8 : a->prefix > i * 8 ? a->prefix - i * 8 : 0;
		m[i] &= (uint8_t)(keep ? 0xffu << (8 - keep) : 0);
	}
	return memcmp(m, s->addr[ia], alen) == 0;
}

static bool port_in(const struct ir_net_rule *a, uint32_t lo, uint32_t hi)
{
	/* Walk [lo, hi] through a's ranges; a's ranges may overlap or be
	 * unsorted, so look for one containing the next uncovered port. */
	uint32_t next = lo;
	while (next <= hi) {
		bool moved = false;
		for (size_t j = 0; j < a->nports; j++)
			if (a->ports[j].lo <= next && next <= a->ports[j].hi) {
				next = (uint32_t)a->ports[j].hi + 1;
				moved = true;
			}
		if (!moved)
			return false;
	}
	return true;
}

static bool ports_cover(const struct ir_net_rule *a, const struct ir_net_rule *b)
{
	if (a->nports == 0)
		return true;
	if (b->nports == 0)
		return port_in(a, 1, 65535);
	for (size_t j = 0; j < b->nports; j++)
		if (!port_in(a, b->ports[j].lo, b->ports[j].hi))
			return false;
	return true;
}

/* Conservative: true only when every path b's glob matches surely matches
 * one of a's globs. */
static bool glob_covers(const char *a, const char *b)
{
	if (strcmp(a, b) == 0 || strcmp(a, "/**") == 0)
		return true;
	size_t la = strlen(a);
	if (la >= 3 && strcmp(a + la - 3, "/**") == 0)
		return strncmp(b, a, la - 2) == 0 && !memchr(a, '*', la - 3);
	return false;
}

static bool paths_cover(const struct ir_net_rule *a, const struct ir_net_rule *b)
{
	if (a->npaths == 0)
		return true;
	if (b->npaths == 0)
		return false;
	for (size_t j = 0; j < b->npaths; j++) {
		bool ok = false;
		for (size_t k = 0; k < a->npaths && !ok; k++)
			ok = glob_covers(a->paths[k], b->paths[j]);
		if (!ok)
			return false;
	}
	return true;
}

static bool covers(const struct bstate *s, size_t ia, size_t ib)
{
	const struct ir_net_rule *a = &s->p->net.rules[ia], *b = &s->p->net.rules[ib];
	uint32_t ma = s->methods[ia], mb = s->methods[ib];
	if (ma && (!mb || (mb & ~ma)))
		return false;
	return host_covers(s, ia, ib) && ports_cover(a, b) && paths_cover(a, b);
}

struct finding {
	int level; /* 0 none, 1 redundant, 2 shadowed by deny, 3 duplicate */
	size_t other;
};

static void consider(const struct bstate *s, size_t ia, size_t ib, struct finding *f)
{
	const struct ir_net_rule *a = &s->p->net.rules[ia], *b = &s->p->net.rules[ib];
	if (ia == ib || !covers(s, ia, ib))
		return;
	int level = 0;
	if (a->deny == b->deny && a->id < b->id)
		level = covers(s, ib, ia) ? 3 : 1;
	else if (a->deny && !b->deny)
		level = 2;
	if (level > f->level) {
		f->level = level;
		f->other = ia;
	}
}

static void scan_group(const struct bstate *s, uint32_t k, size_t ib, struct finding *f,
                       size_t *budget)
{
	if (k == UINT32_MAX)
		return;
	const struct bkey *e = &s->keys[k];
	for (size_t j = 0; j < e->nrules && *budget; j++, (*budget)--)
		consider(s, e->rules[j], ib, f);
}

static void check_shadow(struct bstate *s, size_t ib)
{
	const struct ir_net_rule *b = &s->p->net.rules[ib];
	struct finding f = {0, 0};
	size_t budget = SHADOW_CANDIDATES;
	scan_group(s, s->key_of[ib], ib, &f, &budget);
	if (b->kind == IR_HOST_NAME || b->kind == IR_HOST_WILDCARD) {
		for (const char *dot = strchr(b->host, '.'); dot && budget; dot = strchr(dot + 1, '.')) {
			const uint8_t *suf = (const uint8_t *)dot + 1;
			uint16_t len = (uint16_t)strlen(dot + 1);
			scan_group(s, key_find(s, NT_K_WILD, 0, suf, len, nt_hash(NT_K_WILD, 0, suf, len)),
			           ib, &f, &budget);
		}
	} else {
		uint8_t kind = b->kind == IR_HOST_IPV4 ? NT_K_V4 : NT_K_V6;
		size_t alen = kind == NT_K_V4 ? 4 : 16;
		for (int pl = (int)b->prefix - 1; pl >= 0 && budget; pl--) {
			bool present = kind == NT_K_V4 ? (s->v4p >> pl & 1) : (s->v6p[pl / 64] >> (pl % 64) & 1);
			if (!present)
				continue;
			uint8_t m[16];
			memcpy(m, s->addr[ib], alen);
			for (size_t i = 0; i < alen; i++) {
				unsigned keep = pl >= (int)(i + 1) * 8 ? 8 : pl > (int)i * 8 ? (unsigned)pl - i * 8 : 0;
				m[i] &= (uint8_t)(keep ? 0xffu << (8 - keep) : 0);
			}
			scan_group(s, key_find(s, kind, (uint8_t)pl, m, (uint16_t)alen,
			                       nt_hash(kind, (uint8_t)pl, m, alen)),
			           ib, &f, &budget);
		}
	}
	if (!f.level)
		return;
	const struct ir_net_rule *a = &s->p->net.rules[f.other];
	char where[512];
	snprintf(where, sizeof(where), "rule #%u (%s:%u:%u)", a->id, a->pos.file ? a->pos.file : "?",
	         a->pos.line, a->pos.col);
	switch (f.level) {
	case 3: diag_warn(s->d, b->pos, E405, "duplicate of %s", where); break;
	case 2:
		diag_warn(s->d, b->pos, E405,
		          "this allow rule can never match: deny %s covers it, and deny wins", where);
		break;
	default:
		diag_warn(s->d, b->pos, E405, "redundant: %s already %s everything this rule matches",
		          where, b->deny ? "denies" : "allows");
	}
}

/* ---- writing ------------------------------------------------------------------ */

struct srcs {
	const char **names;
	uint32_t *offs;
	size_t n, cap;
};

static uint32_t src_off(struct srcs *ss, struct buf *pool, const char *file, uint16_t *len)
{
	if (!file)
		file = "";
	size_t l = strlen(file);
	if (l > UINT16_MAX)
		l = UINT16_MAX;
	*len = (uint16_t)l;
	for (size_t i = ss->n; i-- > 0;)
		if (ss->names[i] == file || strcmp(ss->names[i], file) == 0)
			return ss->offs[i];
	if (ss->n == ss->cap) {
		ss->cap = ss->cap ? 2 * ss->cap : 8;
		ss->names = realloc(ss->names, ss->cap * sizeof(*ss->names));
		ss->offs = realloc(ss->offs, ss->cap * sizeof(*ss->offs));
		if (!ss->names || !ss->offs)
			abort();
	}
	ss->names[ss->n] = file;
	ss->offs[ss->n] = (uint32_t)pool->len;
	ss->n++;
	buf_bytes(pool, file, l);
	return (uint32_t)(pool->len - l);
}

static int cmp_bind(const void *x, const void *y)
{
	const struct ir_bind *a = *(const struct ir_bind *const *)x, *b = *(const struct ir_bind *const *)y;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

int nt_build(const struct ir_policy *p, struct diag_sink *d, struct buf *out)
{
	size_t n = p->net.nrules;
	struct bstate s = {.p = p, .d = d};
	s.a = arena_new();
	s.key_of = xcalloc(n, sizeof(*s.key_of));
	s.addr = xcalloc(n, sizeof(*s.addr));
	s.methods = xcalloc(n, sizeof(*s.methods));
	s.valid = xcalloc(n, sizeof(*s.valid));
	s.nslots = 8;
	while (s.nslots < 2 * n)
		s.nslots *= 2;
	s.slots = xcalloc(s.nslots, sizeof(*s.slots));
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		s.valid[i] = check_rule(&s, i);
		s.key_of[i] = UINT32_MAX;
		if (!s.valid[i]) {
			rc = -1;
			continue;
		}
		uint8_t kind = 0, prefix = 0;
		const uint8_t *bytes = NULL;
		uint16_t len = 0;
		rule_key(&s, i, &kind, &prefix, &bytes, &len);
		s.key_of[i] = key_add(&s, kind, prefix, bytes, len);
	}
	/* Each key's rules: deny rows first, then allow rows, each by rule id
	 * (IR order is id order). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (s.key_of[i] == UINT32_MAX || p->net.rules[i].deny != (pass == 0))
				continue;
			struct bkey *e = &s.keys[s.key_of[i]];
			*ARENA_PUSH(s.a, e->rules, e->nrules, e->cap) = (uint32_t)i;
			if (pass == 0)
				e->ndeny++;
		}
	for (size_t i = 0; i < n; i++)
		if (s.valid[i])
			check_shadow(&s, i);

	/* Binds: sorted by port, duplicates dropped with a warning. */
	const struct ir_bind **binds = xcalloc(p->net.nbinds, sizeof(*binds));
	size_t nb = 0;
	for (size_t i = 0; i < p->net.nbinds; i++) {
		if (p->net.binds[i].port == 0) {
			diag_error(d, p->net.binds[i].pos, E401, "bind port 0 is not a port");
			rc = -1;
			continue;
		}
		binds[nb++] = &p->net.binds[i];
	}
	qsort(binds, nb, sizeof(*binds), cmp_bind);
	size_t nbu = 0;
	for (size_t i = 0; i < nb; i++) {
		if (nbu && binds[nbu - 1]->port == binds[i]->port) {
			diag_warn(d, binds[i]->pos, E401, "duplicate bind port %u (rule #%u)",
			          binds[i]->port, binds[nbu - 1]->id);
			continue;
		}
		binds[nbu++] = binds[i];
	}

	if (rc == 0) {
		struct buf slotb = {0}, records = {0}, rowinfo = {0}, ports = {0}, paths = {0},
		           bindb = {0}, pool = {0};
		struct srcs ss = {0};
		uint32_t nrows = 0, nports = 0, npaths = 0;
		/* The index: load at most 2/3, keys placed in key order with
		 * linear probing (deterministic; see nt.h). */
		uint32_t nslots = (uint32_t)(s.nkeys + s.nkeys / 2 + 1);
		uint32_t *slot = xcalloc(nslots, sizeof(*slot));
		for (size_t k = 0; k < s.nkeys; k++) {
			uint32_t j = (uint32_t)(((uint64_t)s.keys[k].hash * nslots) >> 32);
			while (slot[j])
				j = j + 1 == nslots ? 0 : j + 1;
			slot[j] = (uint32_t)k + 1;
		}
		/* Slots in order; rows are numbered, and overflow records laid
		 * out, in the same order (format in nt.h). */
		struct buf rowb = {0};
		for (uint32_t j = 0; j < nslots; j++) {
			if (!slot[j]) {
				buf_zero(&slotb, NT_SLOT_SIZE);
				continue;
			}
			const struct bkey *e = &s.keys[slot[j] - 1];
			/* A record when the key does not fit the slot or there are
			 * several rows; it then holds the key's bytes 24.. */
			bool one = e->nrules == 1;
			bool more = e->len > NT_SLOT_KEY_MAX || !one;
			size_t in = more && e->len > NT_SLOT_KEY ? NT_SLOT_KEY : e->len;
			rowb.len = 0;
			for (size_t q = 0; q < e->nrules; q++) {
				const struct ir_net_rule *r = &p->net.rules[e->rules[q]];
				buf_u32(&rowb, r->id);
				buf_u8(&rowb, r->deny ? NT_ROW_DENY : 0);
				buf_u8(&rowb, 0);
				buf_u16(&rowb, (uint16_t)r->nports);
				buf_u32(&rowb, s.methods[e->rules[q]]);
				if (r->nports == 1) {
					buf_u16(&rowb, r->ports[0].lo);
					buf_u16(&rowb, r->ports[0].hi);
				} else {
					buf_u32(&rowb, r->nports ? nports : 0);
					for (size_t i = 0; i < r->nports; i++) {
						buf_u16(&ports, r->ports[i].lo);
						buf_u16(&ports, r->ports[i].hi);
					}
					nports += (uint32_t)r->nports;
				}
				buf_u32(&rowb, r->npaths ? npaths : 0);
				buf_u16(&rowb, (uint16_t)r->npaths);
				buf_u16(&rowb, 0);
				for (size_t i = 0; i < r->npaths; i++) {
					size_t pl = strlen(r->paths[i]);
					buf_u32(&paths, (uint32_t)pool.len);
					buf_u16(&paths, (uint16_t)pl);
					buf_u16(&paths, 0);
					buf_bytes(&pool, r->paths[i], pl);
				}
				npaths += (uint32_t)r->npaths;
				uint16_t slen;
				uint32_t soff = src_off(&ss, &pool, r->pos.file, &slen);
				buf_u32(&rowinfo, j);
				buf_u32(&rowinfo, soff);
				buf_u16(&rowinfo, slen);
				buf_u16(&rowinfo, 0);
				buf_u32(&rowinfo, r->pos.line);
				buf_u32(&rowinfo, r->pos.col);
			}
			buf_u32(&slotb, e->hash);
			buf_u8(&slotb, e->kind);
			buf_u8(&slotb, e->prefix);
			buf_u8(&slotb, (uint8_t)e->len);
			buf_u8(&slotb, one ? NT_SLOT_ONE : 0);
			buf_u32(&slotb, nrows);
			buf_bytes(&slotb, e->bytes, in);
			if (more) {
				buf_zero(&slotb, NT_SLOT_KEY - in);
				buf_u32(&slotb, (uint32_t)records.len);
			} else
				buf_zero(&slotb, NT_SLOT_KEY_MAX - in);
			if (one)
				buf_bytes(&slotb, rowb.p, NT_ROW_SIZE);
			else
				buf_zero(&slotb, NT_ROW_SIZE);
			if (more) {
				size_t rest = e->len - in;
				buf_u32(&records, one ? 0 : (uint32_t)e->nrules);
				buf_u32(&records, one ? 0 : e->ndeny);
				buf_bytes(&records, e->bytes + in, rest);
				buf_zero(&records, ((rest + 7) & ~(size_t)7) - rest);
				if (!one)
					buf_bytes(&records, rowb.p, rowb.len);
			}
			nrows += (uint32_t)e->nrules;
		}
		buf_free(&rowb);
		free(slot);
		for (size_t i = 0; i < nbu; i++) {
			uint16_t slen;
			uint32_t soff = src_off(&ss, &pool, binds[i]->pos.file, &slen);
			buf_u16(&bindb, binds[i]->port);
			buf_u16(&bindb, slen);
			buf_u32(&bindb, binds[i]->id);
			buf_u32(&bindb, soff);
			buf_u32(&bindb, binds[i]->pos.line);
			buf_u32(&bindb, binds[i]->pos.col);
		}
		/* The key filter (format in nt.h): about NT_FILTER_BITS_PER_KEY bits
		 * per key, whole cache lines. */
		uint64_t nf64 = ((uint64_t)s.nkeys * NT_FILTER_BITS_PER_KEY + 63) / 64;
		uint32_t nfilter = (uint32_t)(nf64 < 8 ? 8 : (nf64 + 7) & ~(uint64_t)7);
		uint64_t *filter = xcalloc(nfilter, sizeof(*filter));
		for (size_t k = 0; k < s.nkeys; k++)
			filter[nt_filter_word(nfilter, s.keys[k].hash)] |= nt_filter_mask(s.keys[k].hash);
		uint64_t total = NT_HEADER_SIZE + (uint64_t)nfilter * 8 + slotb.len + records.len +
		                 rowinfo.len + ports.len + paths.len + bindb.len + pool.len;
		if (total > ART_MAX_SIZE) {
			diag_error(d, src_file(p->sources && p->nsources ? p->sources[0] : NULL), E901,
			           "network table too large (%" PRIu64 " bytes)", total);
			rc = -1;
		} else {
			buf_u32(out, NT_VERSION);
			buf_u32(out, p->net.present ? NT_F_PRESENT : 0);
			buf_u32(out, nrows);
			buf_u32(out, nslots);
			buf_u32(out, (uint32_t)s.nkeys);
			buf_u32(out, (uint32_t)records.len);
			buf_u32(out, nports);
			buf_u32(out, npaths);
			buf_u32(out, (uint32_t)nbu);
			buf_u32(out, (uint32_t)pool.len);
			buf_u64(out, s.v4p);
			for (int i = 0; i < 3; i++)
				buf_u64(out, s.v6p[i]);
			buf_u32(out, nfilter);
			buf_u32(out, 0);
			buf_u64(out, s.wildl[0]);
			buf_u64(out, s.wildl[1]);
			buf_zero(out, NT_HEADER_SIZE - 96);
			for (uint32_t i = 0; i < nfilter; i++)
				buf_u64(out, filter[i]);
			buf_bytes(out, slotb.p, slotb.len);
			buf_bytes(out, records.p, records.len);
			buf_bytes(out, rowinfo.p, rowinfo.len);
			buf_bytes(out, ports.p, ports.len);
			buf_bytes(out, paths.p, paths.len);
			buf_bytes(out, bindb.p, bindb.len);
			buf_bytes(out, pool.p, pool.len);
		}
		free(filter);
		buf_free(&slotb);
		buf_free(&records);
		buf_free(&rowinfo);
		buf_free(&ports);
		buf_free(&paths);
		buf_free(&bindb);
		buf_free(&pool);
		free(ss.names);
		free(ss.offs);
	}
	free(binds);
	free(s.key_of);
	free(s.addr);
	free(s.methods);
	free(s.valid);
	free(s.slots);
	arena_free(s.a);
	return rc;
}

/* ---- reading ------------------------------------------------------------------ */

static int open_table(const struct art *a, struct nt *t, char *err, size_t errlen)
{
	const struct art_section *s = art_find(a, ART_SEC_NETTABLE, 0);
	if (!s) {
		snprintf(err, errlen, "artifact has no network table");
		return -1;
	}
	return nt_open(t, s->data, s->length, err, errlen);
}

int nt_query(const struct art *a, const char *host, uint16_t port, const char *method,
             const char *path, struct decision *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct nt t;
	if (open_table(a, &t, err, errlen) < 0)
		return -1;
	struct nt_req q = {.host = host, .host_len = strlen(host), .port = port};
	/* CONNECT is a tunnel: its method and path are unseen (nt.h, rule 5). */
	if (!method || strcmp(method, "CONNECT") == 0)
		q.method = NT_METHOD_UNSEEN;
	else {
		q.method = nt_method_parse(method, strlen(method));
		if (q.method < 0)
			q.method = NT_METHOD_OTHER;
	}
	char *canon = NULL;
	if (path && q.method != NT_METHOD_UNSEEN) {
		size_t plen = strcspn(path, "?"), clen;
		canon = malloc(plen + 1);
		if (!canon)
			abort();
		if (plen > NT_PATH_MAX || nt_path_canon(path, plen, canon, plen + 1, &clen) < 0) {
			free(canon);
			snprintf(out->text, sizeof(out->text), "deny (malformed path: the proxy answers 400)");
			return 0;
		}
		q.path = canon;
		q.path_len = clen;
	}
	struct nt_result r;
	nt_lookup(&t, &q, &r);
	out->rule_id = r.rule_id;
	if (r.host_kind == NT_HOST_INVALID) {
		free(canon);
		snprintf(out->text, sizeof(out->text), "deny (invalid host)");
		return 0;
	}
	if (!r.allow) {
		free(canon);
		snprintf(out->text, sizeof(out->text), "deny");
		return 0;
	}
	/* The proxy refuses special addresses no rule names (nt.h, rule 6).
	 * The rows' path globs are matched against canon: free it only after. */
	if (r.host_kind != NT_HOST_NAME) {
		const char *why;
		uint32_t rid;
		if (!nt_check_addr(&t, r.host_kind == NT_HOST_IPV4 ? AF_INET : AF_INET6, r.addr, port,
		                   q.method, q.path, q.path_len, &why, &rid)) {
			free(canon);
			snprintf(out->text, sizeof(out->text), "deny (%s address not named by a rule)", why);
			out->rule_id = 0;
			return 0;
		}
	}
	free(canon);
	out->allowed = true;
	snprintf(out->text, sizeof(out->text), "%s",
	         r.tls_only ? "allow (method/path unchecked: the tunnel must carry TLS)" : "allow");
	return 0;
}

static int cmp_row_id(const void *x, const void *y)
{
	const uint32_t *a = x, *b = y;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

int nt_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
               char *err, size_t errlen)
{
	struct nt t;
	if (nt_open(&t, s->data, s->length, err, errlen) < 0)
		return -1;
	/* Rows in rule order (the table keeps them grouped by host key). */
	uint32_t(*order)[2] = xcalloc(t.nrows, sizeof(*order));
	for (uint32_t i = 0; i < t.nrows; i++) {
		struct nt_row r;
		nt_row(&t, i, &r);
		order[i][0] = r.rule_id;
		order[i][1] = i;
	}
	qsort(order, t.nrows, sizeof(*order), cmp_row_id);
	char pl4[256] = "", pl6[1024] = "";
	for (int pl = 32; pl >= 0; pl--)
		if (t.v4_prefixes >> pl & 1)
			snprintf(pl4 + strlen(pl4), sizeof(pl4) - strlen(pl4), "%s/%d", *pl4 ? "," : "", pl);
	for (int pl = 128; pl >= 0; pl--)
		if (t.v6_prefixes[pl / 64] >> (pl % 64) & 1)
			snprintf(pl6 + strlen(pl6), sizeof(pl6) - strlen(pl6), "%s/%d", *pl6 ? "," : "", pl);
	if (out) {
		fprintf(out, "nettable: v%u, %u rows, %u binds%s\n", NT_VERSION, t.nrows, t.nbinds,
		        t.flags & NT_F_PRESENT ? "" : " (no network section: no network at all)");
		fprintf(out, "  index: %u host keys in %u slots; IPv4 prefixes %s; IPv6 prefixes %s\n",
		        t.nkeys, t.nslots, *pl4 ? pl4 : "-", *pl6 ? pl6 : "-");
	}
	json_t *rows = json ? json_array() : NULL;
	for (uint32_t i = 0; i < t.nrows; i++) {
		struct nt_row r;
		nt_row(&t, order[i][1], &r);
		char host[300], buf[1024];
		nt_row_host(&r, host, sizeof(host));
		json_t *jports = json ? json_array() : NULL, *jmeth = json ? json_array() : NULL,
		       *jpaths = json ? json_array() : NULL;
		if (out)
			fprintf(out, "  #%u %s %s", r.rule_id, r.deny ? "deny" : "allow", host);
		for (uint32_t j = 0; j < r.nports; j++) {
			uint16_t lo, hi;
			nt_row_port(&t, &r, j, &lo, &hi);
			if (lo == hi)
				snprintf(buf, sizeof(buf), "%u", lo);
			else
				snprintf(buf, sizeof(buf), "%u-%u", lo, hi);
			if (out)
				fprintf(out, "%s%s", j ? "," : " ports ", buf);
			if (jports)
				json_array_append_new(jports, json_string(buf));
		}
		for (int b = 0, k = 0; b < NT_M__COUNT; b++)
			if (r.methods & (1u << b)) {
				if (out)
					fprintf(out, "%s%s", k++ ? "," : " methods ", nt_method_name(b));
				if (jmeth)
					json_array_append_new(jmeth, json_string(nt_method_name(b)));
			}
		for (uint32_t j = 0; j < r.npaths; j++) {
			size_t len;
			const char *g = nt_row_path(&t, &r, j, &len);
			if (out)
				fprintf(out, "%s%.*s", j ? "," : " paths ", (int)len, g);
			if (jpaths)
				json_array_append_new(jpaths, json_stringn(g, len));
		}
		if (out)
			fprintf(out, "  @%.*s:%u:%u\n", (int)r.src_len, r.src, r.line, r.col);
		if (rows) {
			static const char *const kinds[] = {"?", "name", "wildcard", "ipv4", "ipv6"};
			json_array_append_new(
			        rows, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:s%, s:I, s:I}", "rule",
			                        (json_int_t)r.rule_id, "action", r.deny ? "deny" : "allow",
			                        "host", host, "kind", kinds[r.kind], "ports", jports,
			                        "methods", jmeth, "paths", jpaths, "file", r.src,
			                        (size_t)r.src_len, "line", (json_int_t)r.line, "col",
			                        (json_int_t)r.col));
		}
	}
	free(order);
	json_t *jb = json ? json_array() : NULL;
	for (uint32_t i = 0; i < t.nbinds; i++) {
		struct nt_bind b;
		nt_bind_get(&t, i, &b);
		if (out)
			fprintf(out, "  #%u bind tcp %u  @%.*s:%u:%u\n", b.rule_id, b.port, (int)b.src_len,
			        b.src, b.line, b.col);
		if (jb)
			json_array_append_new(jb, json_pack("{s:I, s:I, s:s%, s:I, s:I}", "port",
			                                    (json_int_t)b.port, "rule", (json_int_t)b.rule_id,
			                                    "file", b.src, (size_t)b.src_len, "line",
			                                    (json_int_t)b.line, "col", (json_int_t)b.col));
	}
	(void)m;
	if (json)
		*json = json_pack("{s:I, s:b, s:I, s:I, s:s, s:s, s:o, s:o}", "version",
		                  (json_int_t)NT_VERSION, "present", (t.flags & NT_F_PRESENT) != 0, "keys",
		                  (json_int_t)t.nkeys, "slots", (json_int_t)t.nslots, "ipv4_prefixes",
		                  pl4, "ipv6_prefixes", pl6, "rows", rows, "binds", jb);
	return 0;
}
