/* fuzz_nettable.c — the network table from both ends.
 *
 * First byte even: the rest is a NETTABLE payload as an attacker (or a
 * corrupted file) might present it: nt_open must refuse it or accept it, and
 * everything readable from an accepted table (rows, globs, binds, lookups,
 * address checks) must stay inside the buffer.
 *
 * First byte odd: the rest is a policy, one rule per line
 * ("allow|deny HOST [PORTS|-] [METHODS|-] [PATHS|-]").  When nt_build accepts
 * it, nt_open must accept the result, and nt_lookup must agree with the
 * reference scan (tests/unit/nt_testlib.h) on queries derived from the rules.
 *
 * Either way, the rest read as a host (and each line of it) must classify
 * as the plain reference reading of nt.h's rule 1 does (ntt_host_check). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/nt_testlib.h"

static void raw(const uint8_t *data, size_t size)
{
	/* A private copy: an accepted table keeps pointers into it. */
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return;
	memcpy(p, data, size);
	struct nt t;
	char err[256];
	if (nt_open(&t, p, size, err, sizeof(err)) == 0) {
		char host[300];
		for (uint32_t i = 0; i < t.nrows && i < 4096; i++) {
			struct nt_row r;
			nt_row(&t, i, &r);
			nt_row_host(&r, host, sizeof(host));
			for (uint32_t j = 0; j < r.nports; j++) {
				uint16_t lo, hi;
				nt_row_port(&t, &r, j, &lo, &hi);
			}
			for (uint32_t j = 0; j < r.npaths; j++) {
				size_t len;
				const char *g = nt_row_path(&t, &r, j, &len);
				nt_glob_match(g, len, "/a/b/c", 6);
			}
		}
		for (uint32_t i = 0; i < t.nbinds; i++) {
			struct nt_bind b;
			nt_bind_get(&t, i, &b);
			nt_bind_find(&t, b.port, &b);
		}
		static const char *const hosts[] = {"a.test", "x.a.test", "10.0.0.1", "::1", "example.com",
		                                    "a-twenty-eight-byte-name.com",
		                                    "x.a-name-longer-than-28.example.com"};
		for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
			struct nt_req q = {.host = hosts[i], .host_len = strlen(hosts[i]), .port = 443,
			                   .method = i % 2 ? NT_M_GET : NT_METHOD_UNSEEN,
			                   .path = i % 2 ? "/a/b" : NULL, .path_len = i % 2 ? 4 : 0};
			struct nt_result r;
			nt_lookup(&t, &q, &r);
			if (r.row != NT_NO_ROW && r.row >= t.nrows)
				abort();
		}
		uint8_t a4[4] = {127, 0, 0, 1}, a6[16] = {[15] = 1};
		const char *why;
		uint32_t rid;
		nt_check_addr(&t, AF_INET, a4, 80, NT_METHOD_UNSEEN, NULL, 0, &why, &rid);
		nt_check_addr(&t, AF_INET6, a6, 80, NT_M_GET, "/", 1, &why, &rid);
	}
	free(p);
}

static const char *field(char **s)
{
	while (**s == ' ')
		(*s)++;
	if (!**s)
		return NULL;
	char *start = *s;
	while (**s && **s != ' ')
		(*s)++;
	if (**s)
		*(*s)++ = '\0';
	return strcmp(start, "-") == 0 ? NULL : start;
}

static void check(const struct ntt *x, const char *host, uint16_t port, const char *m,
                  const char *path)
{
	if (ntt_decide(x, host, port, m, path) != ntt_reference(x, host, port, m, path))
		abort();
}

static void rules(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	struct ntt *x = ntt_new();
	size_t n = 0;
	for (char *line = text, *next; line && n < 64; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *s = line;
		const char *act = field(&s), *host = field(&s);
		if (!act || !host)
			continue;
		const char *ports = field(&s), *methods = field(&s), *paths = field(&s);
		ntt_rule(x, act, host, ports, methods, paths);
		n++;
	}
	if (ntt_build(x) == -2)
		abort(); /* nt_build wrote a table nt_open refuses */
	if (x->built == 1) {
		static const char *const ms[] = {NULL, "GET", "POST", "PROPFIND"};
		static const char *const ps[] = {"/", "/a/b", "/x/y/z"};
		for (size_t i = 0; i < x->p->net.nrules; i++) {
			const struct ir_net_rule *r = &x->p->net.rules[i];
			char h[300];
			if (r->kind == IR_HOST_WILDCARD)
				snprintf(h, sizeof(h), "w.%s", r->host);
			else if (r->kind == IR_HOST_NAME)
				snprintf(h, sizeof(h), "%s", r->host);
			else
				inet_ntop(r->kind == IR_HOST_IPV4 ? AF_INET : AF_INET6, r->addr, h, sizeof(h));
			uint16_t port = r->nports ? r->ports[0].lo : 443;
			for (size_t k = 0; k < 4; k++) {
				check(x, h, port, ms[k], ms[k] ? ps[(i + k) % 3] : NULL);
				if (r->npaths && ms[k])
					check(x, h, port, ms[k], r->paths[0][1] == '*' ? "/" : r->paths[0]);
			}
		}
	}
	ntt_free(x);
	free(text);
}

static void hosts(const uint8_t *data, size_t size)
{
	if (size <= 300 && ntt_host_check((const char *)data, size))
		abort();
	for (const uint8_t *p = data, *end = data + size, *nl; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl - p <= 300 && ntt_host_check((const char *)p, (size_t)(nl - p)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	hosts(data + 1, size - 1);
	if (data[0] & 1)
		rules(data + 1, size - 1);
	else
		raw(data + 1, size - 1);
	return 0;
}
