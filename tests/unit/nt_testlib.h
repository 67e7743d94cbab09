/* nt_testlib.h — building network tables from hand-written IR rows, for
 * test_nt.c and test_proxy.c (the YAML front end is not needed for these).
 *
 *   struct ntt *x = ntt_new();
 *   ntt_rule(x, "allow", "*.example.com", "443,8000-8080", "GET,POST", "/a/x");
 *   ntt_build(x);            // ir_finalize + nt_build + nt_open; x->t is the table
 *   ntt_free(x);
 */
#ifndef NT_TESTLIB_H
#define NT_TESTLIB_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"
#include "nt.h"

struct ntt {
	struct arena *a;
	struct ir_policy *p;
	struct diag_sink *d;
	struct buf out;
	struct nt t;
	int built; /* 1 ok, -1 build failed, -2 nt_open failed */
	char err[256];
};

static inline struct ntt *ntt_new(void)
{
	struct ntt *x = calloc(1, sizeof(*x));
	x->a = arena_new();
	x->p = ir_policy_new(x->a);
	x->p->name = "test";
	x->p->net.present = true;
	x->d = diag_sink_new(x->a);
	return x;
}

static inline void ntt_free(struct ntt *x)
{
	buf_free(&x->out);
	arena_free(x->a);
	free(x);
}

/* Comma-separated lists; NULL or "" for none.  Host: "*.suffix", an IPv4 or
 * IPv6 address with optional "/prefix", or a name (lower-cased as the
 * front end does).  Returns the IR row (its position is line = row number). */
static inline struct ir_net_rule *ntt_rule(struct ntt *x, const char *action, const char *host,
                                           const char *ports, const char *methods,
                                           const char *paths)
{
	struct ir_policy *p = x->p;
	struct ir_net_rule *r = ARENA_PUSH(x->a, p->net.rules, p->net.nrules, p->net.caprules);
	memset(r, 0, sizeof(*r));
	r->deny = strcmp(action, "deny") == 0;
	r->pos = src_pos("t.yaml", (uint32_t)p->net.nrules, 7);
	char h[300];
	snprintf(h, sizeof(h), "%s", host);
	char *slash = strchr(h, '/');
	int plen = -1;
	if (slash) {
		*slash = '\0';
		plen = atoi(slash + 1);
	}
	if (strncmp(h, "*.", 2) == 0) {
		r->kind = IR_HOST_WILDCARD;
		r->host = arena_strdup(x->a, h + 2);
	} else if (inet_pton(AF_INET, h, r->addr) == 1) {
		r->kind = IR_HOST_IPV4;
		r->prefix = (uint8_t)(plen < 0 ? 32 : plen);
		r->host = arena_strdup(x->a, host);
	} else if (inet_pton(AF_INET6, h, r->addr) == 1) {
		r->kind = IR_HOST_IPV6;
		r->prefix = (uint8_t)(plen < 0 ? 128 : plen);
		r->host = arena_strdup(x->a, host);
	} else {
		r->kind = IR_HOST_NAME;
		r->host = arena_strdup(x->a, h);
	}
	char buf[4096], *save = NULL;
	if (ports && *ports) {
		snprintf(buf, sizeof(buf), "%s", ports);
		size_t cap = 0;
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			struct ir_port_range *pr = ARENA_PUSH(x->a, r->ports, r->nports, cap);
			char *dash = strchr(t, '-');
			pr->lo = (uint16_t)atoi(t);
			pr->hi = dash ? (uint16_t)atoi(dash + 1) : pr->lo;
		}
	}
	if (methods && *methods) {
		snprintf(buf, sizeof(buf), "%s", methods);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int b = ir_method_parse(t);
			if (b >= 0)
				r->methods |= 1u << b;
		}
	}
	if (paths && *paths) {
		snprintf(buf, sizeof(buf), "%s", paths);
		size_t cap = 0;
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			*ARENA_PUSH(x->a, r->paths, r->npaths, cap) = arena_strdup(x->a, t);
	}
	return r;
}

static inline void ntt_bind(struct ntt *x, uint16_t port)
{
	struct ir_bind *b = ARENA_PUSH(x->a, x->p->net.binds, x->p->net.nbinds, x->p->net.capbinds);
	b->port = port;
	b->pos = src_pos("t.yaml", 100 + (uint32_t)x->p->net.nbinds, 3);
}

static inline int ntt_build(struct ntt *x)
{
	ir_finalize(x->p, x->d);
	buf_free(&x->out);
	memset(&x->out, 0, sizeof(x->out));
	if (nt_build(x->p, x->d, &x->out) < 0)
		return x->built = -1;
	if (nt_open(&x->t, x->out.p, x->out.len, x->err, sizeof(x->err)) < 0)
		return x->built = -2;
	return x->built = 1;
}

/* Decision as one number: rule id when allowed (>= 1), minus the rule id
 * when denied (0 = default deny). */
static inline long ntt_decide(const struct ntt *x, const char *host, uint16_t port,
                              const char *method, const char *path)
{
	struct nt_req q = {.host = host, .host_len = strlen(host), .port = port};
	q.method = !method ? NT_METHOD_UNSEEN : nt_method_parse(method, strlen(method));
	if (method && q.method < 0)
		q.method = NT_METHOD_OTHER;
	q.path = path;
	q.path_len = path ? strlen(path) : 0;
	struct nt_result r;
	nt_lookup(&x->t, &q, &r);
	return r.allow ? (long)r.rule_id : -(long)r.rule_id;
}

/* Rule 1 of nt.h written out plainly, with the C library's parsers: what
 * nt_host_parse must agree with (same arguments and results).  Labels are
 * read from the end, and the first byte no name may hold sends the host to
 * the IPv6 parser. */
static inline enum nt_host_kind ntt_host_reference(const char *host, size_t len, char *norm,
                                                   size_t normcap, size_t *normlen,
                                                   uint8_t addr[16])
{
	*normlen = 0;
	memset(addr, 0, 16);
	if (normcap <= NT_NAME_MAX || len == 0)
		return NT_HOST_INVALID;
	if (host[0] != '[') {
		size_t n = host[len - 1] == '.' ? len - 1 : len;
		if (n == 0 || n > NT_NAME_MAX)
			return NT_HOST_INVALID;
		size_t end = n, last = n;
		bool address = false;
		while (!address) {
			size_t j = end;
			for (; j > 0 && host[j - 1] != '.'; j--) {
				char c = host[j - 1];
				if (c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				           c == '_')) {
					address = true;
					break;
				}
				norm[j - 1] = c;
			}
			if (address)
				break;
			if (end - j == 0 || end - j > 63)
				return NT_HOST_INVALID;
			if (last == n)
				last = j;
			if (j == 0)
				break;
			norm[j - 1] = '.';
			end = j - 1;
		}
		if (!address) {
			norm[n] = '\0';
			bool digits = true;
			for (size_t i = last; i < n; i++)
				digits = digits && norm[i] >= '0' && norm[i] <= '9';
			if (digits) {
				if (inet_pton(AF_INET, norm, addr) != 1)
					return NT_HOST_INVALID;
				inet_ntop(AF_INET, addr, norm, (socklen_t)normcap);
				*normlen = strlen(norm);
				return NT_HOST_IPV4;
			}
			struct in_addr ia;
			if (norm[0] == '0' && inet_aton(norm, &ia))
				return NT_HOST_INVALID;
			*normlen = n;
			return NT_HOST_NAME;
		}
	}
	if (host[0] != '[' && !memchr(host, ':', len))
		return NT_HOST_INVALID;
	if (host[0] == '[') {
		if (len < 3 || host[len - 1] != ']')
			return NT_HOST_INVALID;
		host++;
		len -= 2;
	}
	char tmp[INET6_ADDRSTRLEN + 1];
	if (len >= sizeof(tmp) || memchr(host, '\0', len))
		return NT_HOST_INVALID;
	memcpy(tmp, host, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET6, tmp, addr) != 1) {
		memset(addr, 0, 16);
		return NT_HOST_INVALID;
	}
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	int fam = AF_INET6;
	if (memcmp(addr, mapped, 12) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		fam = AF_INET;
	}
	inet_ntop(fam, addr, norm, (socklen_t)normcap);
	*normlen = strlen(norm);
	return fam == AF_INET ? NT_HOST_IPV4 : NT_HOST_IPV6;
}

/* Do nt_host_parse and the reference agree on host?  Returns NULL or what
 * differs. */
static inline const char *ntt_host_check(const char *host, size_t len)
{
	char n1[NT_NAME_MAX + 2], n2[NT_NAME_MAX + 2];
	size_t l1, l2;
	uint8_t a1[16], a2[16];
	enum nt_host_kind k1 = nt_host_parse(host, len, n1, sizeof(n1), &l1, a1);
	enum nt_host_kind k2 = ntt_host_reference(host, len, n2, sizeof(n2), &l2, a2);
	if (k1 != k2)
		return "kind";
	if (k1 == NT_HOST_INVALID)
		return NULL;
	if (l1 != l2 || memcmp(n1, n2, l1) != 0)
		return "normal form";
	if (k1 != NT_HOST_NAME && memcmp(a1, a2, 16) != 0)
		return "address";
	return NULL;
}

/* The reference semantics (nt.h, rules 1-5), as a plain scan over the IR:
 * what nt_lookup must agree with.  Same encoding as ntt_decide. */
static inline long ntt_reference(const struct ntt *x, const char *host, uint16_t port,
                                 const char *method, const char *path)
{
	char norm[NT_NAME_MAX + 2];
	size_t n;
	uint8_t a[16];
	enum nt_host_kind k = nt_host_parse(host, strlen(host), norm, sizeof(norm), &n, a);
	if (k == NT_HOST_INVALID || port == 0)
		return 0;
	int ir_m = -2; /* unseen */
	if (method)
		ir_m = ir_method_parse(method); /* -1: a method no rule can name */
	uint32_t deny = 0, allow = 0;
	for (size_t i = 0; i < x->p->net.nrules; i++) {
		const struct ir_net_rule *r = &x->p->net.rules[i];
		bool hm = false;
		size_t hl = strlen(r->host);
		switch (r->kind) {
		case IR_HOST_NAME: hm = k == NT_HOST_NAME && strcmp(norm, r->host) == 0; break;
		case IR_HOST_WILDCARD:
			hm = k == NT_HOST_NAME && n > hl + 1 && norm[n - hl - 1] == '.' &&
			     strcmp(norm + n - hl, r->host) == 0;
			break;
		case IR_HOST_IPV4:
		case IR_HOST_IPV6:
			/* an address row matches only an address of its family (never
			 * a name: a[] holds no address then) */
			if (k != (r->kind == IR_HOST_IPV4 ? NT_HOST_IPV4 : NT_HOST_IPV6))
				break;
			hm = true;
			for (unsigned b = 0; b < r->prefix; b++)
				if (((a[b / 8] ^ r->addr[b / 8]) >> (7 - b % 8)) & 1)
					hm = false;
			break;
		}
		if (!hm)
			continue;
		bool pm = r->nports == 0;
		for (size_t j = 0; j < r->nports; j++)
			pm |= port >= r->ports[j].lo && port <= r->ports[j].hi;
		if (!pm)
			continue;
		if (r->methods && ir_m != -2 && (ir_m < 0 || !(r->methods & (1u << ir_m))))
			continue;
		bool gm = r->npaths == 0 || !path;
		for (size_t j = 0; j < r->npaths && !gm; j++)
			gm = nt_glob_match(r->paths[j], strlen(r->paths[j]), path, strlen(path));
		if (!gm)
			continue;
		if (r->deny && (!deny || r->id < deny))
			deny = r->id;
		if (!r->deny && (!allow || r->id < allow))
			allow = r->id;
	}
	return deny ? -(long)deny : (long)allow;
}

/* Index of the first diagnostic with this code and level, or -1. */
static inline int ntt_diag(const struct ntt *x, enum diag_code code, enum diag_level lvl)
{
	for (size_t i = 0; i < diag_count(x->d); i++) {
		const struct diag *g = diag_get(x->d, i);
		if (g->code == code && g->level == lvl)
			return (int)i;
	}
	return -1;
}

#endif
