/* test_nt.c — the network table: build checks, the one lookup (nt.h's
 * semantics, rule by rule), the reader's refusal of malformed tables, and a
 * 100 000-row table. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <time.h>

#include "nt_testlib.h"

#define D(x, h, port, m, path) ntt_decide((x), (h), (port), (m), (path))

START_TEST(exact_names)
{
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "api.github.com", "443", NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(D(x, "api.github.com", 443, "GET", "/"), 1);
	ck_assert_int_eq(D(x, "API.GitHub.COM", 443, NULL, NULL), 1);
	ck_assert_int_eq(D(x, "api.github.com.", 443, NULL, NULL), 1);  /* trailing dot */
	ck_assert_int_eq(D(x, "api.github.com..", 443, NULL, NULL), 0); /* not a name */
	ck_assert_int_eq(D(x, "api.github.com", 80, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "github.com", 443, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "xapi.github.com", 443, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "a.api.github.com", 443, NULL, NULL), 0); /* exact, not a suffix */
	ck_assert_int_eq(D(x, "api.github.com.evil.net", 443, NULL, NULL), 0);
	ntt_free(x);
}
END_TEST

START_TEST(wildcards)
{
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "*.example.com", "443", NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(D(x, "a.example.com", 443, NULL, NULL), 1);
	ck_assert_int_eq(D(x, "a.b.c.example.com", 443, NULL, NULL), 1); /* several labels */
	ck_assert_int_eq(D(x, "A.Example.Com.", 443, NULL, NULL), 1);
	ck_assert_int_eq(D(x, "example.com", 443, NULL, NULL), 0); /* never the apex */
	ck_assert_int_eq(D(x, "badexample.com", 443, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "a.example.com.evil", 443, NULL, NULL), 0);
	ck_assert_int_eq(D(x, ".example.com", 443, NULL, NULL), 0); /* empty label */
	ntt_free(x);

	/* The apex only when listed. */
	x = ntt_new();
	ntt_rule(x, "allow", "*.example.com", NULL, NULL, NULL);
	ntt_rule(x, "allow", "example.com", NULL, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(D(x, "example.com", 1, NULL, NULL), 2);
	ck_assert_int_eq(D(x, "www.example.com", 65535, NULL, NULL), 1);
	ntt_free(x);
}
END_TEST

/* Keys around the slot's sizes (nt.h): up to 24 bytes, 25 to 28 (whole in
 * the slot when the key has one row, else partly in a record), longer.  A
 * name must match only itself, whichever byte differs. */
START_TEST(key_lengths)
{
	for (size_t len = 18; len <= 40; len++) {
		struct ntt *x = ntt_new();
		char one[64], two[64], wild[64], q[80];
		/* "aaaa...a.test", "bbbb...b.test", wildcard suffix "cccc...c.test" */
		memset(one, 'a', len - 5);
		memcpy(one + len - 5, ".test", 6);
		memcpy(two, one, len + 1);
		memset(two, 'b', len - 5);
		snprintf(wild, sizeof(wild), "*.%s", one);
		memset(wild + 2, 'c', len - 5);
		ntt_rule(x, "allow", one, "443", NULL, NULL);
		ntt_rule(x, "allow", two, "443", "GET", NULL);
		ntt_rule(x, "deny", two, "443", "POST", NULL);
		ntt_rule(x, "allow", wild, "443", NULL, NULL);
		ck_assert_int_eq(ntt_build(x), 1);
		ck_assert_int_eq(D(x, one, 443, NULL, NULL), 1);
		ck_assert_int_eq(D(x, two, 443, "GET", "/"), 2);
		ck_assert_int_eq(D(x, two, 443, "POST", "/"), -3);
		snprintf(q, sizeof(q), "x.%s", wild + 2);
		ck_assert_int_eq(D(x, q, 443, NULL, NULL), 4);
		ck_assert_int_eq(D(x, wild + 2, 443, NULL, NULL), 0);
		/* Change each byte in turn: no longer the key. */
		for (size_t k = 0; k < len; k++) {
			const char *base[] = {one, two, wild + 2};
			for (int b = 0; b < 3; b++) {
				snprintf(q, sizeof(q), "%s", base[b]);
				q[k] = q[k] == 'z' ? 'y' : 'z';
				long want = ntt_reference(x, q, 443, NULL, NULL);
				ck_assert_msg(D(x, q, 443, NULL, NULL) == want, "%s: want %ld", q, want);
				snprintf(q, sizeof(q), "x.%s", base[b]);
				q[k + 2] = q[k + 2] == 'z' ? 'y' : 'z';
				want = ntt_reference(x, q, 443, NULL, NULL);
				ck_assert_msg(D(x, q, 443, NULL, NULL) == want, "%s: want %ld", q, want);
			}
		}
		ntt_free(x);
	}
}
END_TEST

/* Two names of len bytes ("a." then letters) that differ only in bytes
 * from..from+3 and have the same hash: a birthday search over 26^4
 * candidates (about 80 000 are needed for 32 bits). */
static void colliding_names(size_t len, size_t from, char *a, char *b)
{
	enum { SLOTS = 1 << 19 };
	uint32_t *hs = calloc(SLOTS, sizeof(*hs)), *id = calloc(SLOTS, sizeof(*id));
	char name[64];
	memset(name, 'q', len);
	name[0] = 'a';
	name[1] = '.';
	name[len] = '\0';
	for (uint32_t i = 0; i < 26 * 26 * 26 * 26; i++) {
		for (uint32_t k = 0, v = i; k < 4; k++, v /= 26)
			name[from + k] = (char)('a' + v % 26);
		uint32_t h = nt_hash(NT_K_NAME, 0, (const uint8_t *)name, len);
		for (uint32_t j = h & (SLOTS - 1);; j = (j + 1) & (SLOTS - 1)) {
			if (!id[j]) {
				hs[j] = h;
				id[j] = i + 1;
				break;
			}
			if (hs[j] == h) {
				memcpy(a, name, len + 1);
				memcpy(b, name, len + 1);
				for (uint32_t k = 0, v = id[j] - 1; k < 4; k++, v /= 26)
					b[from + k] = (char)('a' + v % 26);
				free(hs);
				free(id);
				return;
			}
		}
	}
	ck_abort_msg("no collision for length %zu", len);
}

/* Equal hashes, different names: the key bytes themselves decide, in the
 * slot's words, in bytes 24..27 of a key held whole, and in a record. */
START_TEST(hash_collisions)
{
	static const struct {
		size_t len, from;
		bool two_rows;
	} cases[] = {{20, 2, false}, {28, 24, false}, {28, 24, true}, {33, 28, false}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char a[64], b[64];
		colliding_names(cases[i].len, cases[i].from, a, b);
		ck_assert_str_ne(a, b);
		ck_assert_uint_eq(nt_hash(NT_K_NAME, 0, (const uint8_t *)a, cases[i].len),
		                  nt_hash(NT_K_NAME, 0, (const uint8_t *)b, cases[i].len));
		struct ntt *x = ntt_new();
		ntt_rule(x, "allow", a, "443", NULL, NULL);
		if (cases[i].two_rows)
			ntt_rule(x, "deny", a, "80", NULL, NULL);
		ck_assert_int_eq(ntt_build(x), 1);
		ck_assert_int_eq(D(x, a, 443, NULL, NULL), 1);
		ck_assert_msg(D(x, b, 443, NULL, NULL) == 0, "%s matched %s", b, a);
		ntt_free(x);
		/* Both in one table: each finds its own row. */
		x = ntt_new();
		ntt_rule(x, "allow", a, "443", NULL, NULL);
		ntt_rule(x, "allow", b, "443", NULL, NULL);
		if (cases[i].two_rows)
			ntt_rule(x, "deny", b, "80", NULL, NULL);
		ck_assert_int_eq(ntt_build(x), 1);
		ck_assert_int_eq(D(x, a, 443, NULL, NULL), 1);
		ck_assert_int_eq(D(x, b, 443, NULL, NULL), 2);
		ntt_free(x);
	}
}
END_TEST

START_TEST(addresses)
{
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "10.1.0.0/16", "22", NULL, NULL);
	ntt_rule(x, "allow", "203.0.113.7", "443", NULL, NULL);
	ntt_rule(x, "allow", "2001:db8::/32", "443", NULL, NULL);
	ntt_rule(x, "allow", "2001:db8:1:2::5", "80", NULL, NULL);
	ntt_rule(x, "allow", "example.org", "443", NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(D(x, "10.1.2.3", 22, NULL, NULL), 1);
	ck_assert_int_eq(D(x, "10.1.255.255", 22, NULL, NULL), 1);
	ck_assert_int_eq(D(x, "10.2.0.1", 22, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "[::ffff:10.1.2.3]", 22, NULL, NULL), 1); /* mapped = IPv4 */
	ck_assert_int_eq(D(x, "203.0.113.7", 443, NULL, NULL), 2);
	ck_assert_int_eq(D(x, "203.0.113.8", 443, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "2001:db8::1", 443, NULL, NULL), 3);
	ck_assert_int_eq(D(x, "[2001:DB8:ffff::1]", 443, NULL, NULL), 3);
	ck_assert_int_eq(D(x, "2001:db9::1", 443, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "2001:db8:1:2::5", 80, NULL, NULL), 4);
	ck_assert_int_eq(D(x, "2001:db8:1:2::6", 80, NULL, NULL), 0);
	/* Unusual spellings of addresses are not names and not addresses. */
	ck_assert_int_eq(D(x, "010.1.2.3", 22, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "10.1.515", 22, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "0x0a.1.2.3", 22, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "[fe80::1%eth0]", 22, NULL, NULL), 0);
	ntt_free(x);
}
END_TEST

/* IP-literal requests match only IP rows; names only name rows. */
START_TEST(literal_vs_name)
{
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "example.org", "80", NULL, NULL);
	ntt_rule(x, "allow", "93.184.216.34", "443", NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(D(x, "example.org", 80, NULL, NULL), 1);
	ck_assert_int_eq(D(x, "93.184.216.34", 80, NULL, NULL), 0); /* the name's address: no */
	ck_assert_int_eq(D(x, "93.184.216.34", 443, NULL, NULL), 2);
	ck_assert_int_eq(D(x, "example.org", 443, NULL, NULL), 0);
	struct nt_req q = {.host = "93.184.216.34", .host_len = 13, .port = 443,
	                   .method = NT_METHOD_UNSEEN};
	struct nt_result r;
	nt_lookup(&x->t, &q, &r);
	ck_assert_int_eq(r.host_kind, NT_HOST_IPV4);
	ck_assert_int_eq(r.addr[0], 93);
	ck_assert_int_eq(r.addr[3], 34);
	ntt_free(x);
}
END_TEST

START_TEST(ports_methods_paths)
{
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "a.test", "8000-8080,9000", NULL, NULL);
	ntt_rule(x, "allow", "b.test", "80", "GET,POST", NULL);
	ntt_rule(x, "allow", "c.test", "80", NULL, "/repos/*/issues,/raw/**");
	ntt_rule(x, "allow", "d.test", NULL, "CONNECT", NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(D(x, "a.test", 8000, "GET", "/"), 1);
	ck_assert_int_eq(D(x, "a.test", 8080, "GET", "/"), 1);
	ck_assert_int_eq(D(x, "a.test", 9000, "GET", "/"), 1);
	ck_assert_int_eq(D(x, "a.test", 7999, "GET", "/"), 0);
	ck_assert_int_eq(D(x, "a.test", 8081, "GET", "/"), 0);
	ck_assert_int_eq(D(x, "b.test", 80, "GET", "/x"), 2);
	ck_assert_int_eq(D(x, "b.test", 80, "POST", "/x"), 2);
	ck_assert_int_eq(D(x, "b.test", 80, "DELETE", "/x"), 0);
	ck_assert_int_eq(D(x, "b.test", 80, "PROPFIND", "/x"), 0); /* unnamed method */
	ck_assert_int_eq(D(x, "c.test", 80, "GET", "/repos/polc/issues"), 3);
	ck_assert_int_eq(D(x, "c.test", 80, "GET", "/repos/a/b/issues"), 0); /* '*' is one segment */
	ck_assert_int_eq(D(x, "c.test", 80, "GET", "/repos//issues"), 3);    /* glob only; canon refuses */
	ck_assert_int_eq(D(x, "c.test", 80, "GET", "/raw/a/b/c.txt"), 3);
	ck_assert_int_eq(D(x, "c.test", 80, "GET", "/raw/"), 3);
	ck_assert_int_eq(D(x, "c.test", 80, "GET", "/raw"), 0);
	ck_assert_int_eq(D(x, "c.test", 80, "GET", "/rawx/y"), 0);

	/* Tunnels: constraints an allow row cannot check make it TLS-only. */
	struct nt_req q = {.host = "b.test", .host_len = 6, .port = 80, .method = NT_METHOD_UNSEEN};
	struct nt_result r;
	nt_lookup(&x->t, &q, &r);
	ck_assert(r.allow && r.tls_only && r.rule_id == 2);
	q.host = "c.test";
	nt_lookup(&x->t, &q, &r);
	ck_assert(r.allow && r.tls_only && r.rule_id == 3);
	q.host = "a.test";
	q.port = 8000;
	nt_lookup(&x->t, &q, &r);
	ck_assert(r.allow && !r.tls_only);
	q.host = "d.test"; /* methods: [CONNECT] allows raw tunnels */
	nt_lookup(&x->t, &q, &r);
	ck_assert(r.allow && !r.tls_only && r.rule_id == 4);
	ck_assert_int_eq(D(x, "d.test", 80, "GET", "/"), 0);
	ntt_free(x);
}
END_TEST

START_TEST(deny_wins)
{
	/* Either order: the deny row decides. */
	for (int order = 0; order < 2; order++) {
		struct ntt *x = ntt_new();
		if (order == 0) {
			ntt_rule(x, "allow", "*.example.com", NULL, NULL, NULL);
			ntt_rule(x, "deny", "secret.example.com", NULL, NULL, NULL);
		} else {
			ntt_rule(x, "deny", "secret.example.com", NULL, NULL, NULL);
			ntt_rule(x, "allow", "*.example.com", NULL, NULL, NULL);
		}
		ck_assert_int_eq(ntt_build(x), 1);
		long allow_id = order == 0 ? 1 : 2, deny_id = order == 0 ? 2 : 1;
		ck_assert_int_eq(D(x, "secret.example.com", 443, NULL, NULL), -deny_id);
		ck_assert_int_eq(D(x, "a.secret.example.com", 443, NULL, NULL), allow_id);
		ck_assert_int_eq(D(x, "www.example.com", 443, NULL, NULL), allow_id);
		ntt_free(x);
	}
	/* A deny row with a path: plain requests by path; tunnels are refused
	 * because they might carry the denied request. */
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "api.x.test", NULL, NULL, NULL);
	ntt_rule(x, "deny", "api.x.test", NULL, "POST,DELETE", "/admin/**");
	ntt_rule(x, "deny", "10.0.0.0/8", "22", NULL, NULL);
	ntt_rule(x, "allow", "10.1.2.0/24", NULL, NULL, NULL);
	ntt_rule(x, "allow", "api.x.test", "443", NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(D(x, "api.x.test", 80, "GET", "/admin/x"), 1);
	ck_assert_int_eq(D(x, "api.x.test", 80, "POST", "/admin/x"), -2);
	ck_assert_int_eq(D(x, "api.x.test", 80, "POST", "/ok"), 1);
	ck_assert_int_eq(D(x, "api.x.test", 443, NULL, NULL), -2);
	ck_assert_int_eq(D(x, "10.1.2.3", 22, NULL, NULL), -3); /* shorter prefix, still wins */
	ck_assert_int_eq(D(x, "10.1.2.3", 80, NULL, NULL), 4);
	ntt_free(x);

	/* Lowest id among matching allow rows is reported. */
	x = ntt_new();
	ntt_rule(x, "allow", "*.b.test", NULL, NULL, NULL);
	ntt_rule(x, "allow", "*.a.b.test", NULL, NULL, NULL);
	ntt_rule(x, "allow", "x.a.b.test", NULL, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(D(x, "x.a.b.test", 1, NULL, NULL), 1);
	ntt_free(x);
}
END_TEST

START_TEST(globs)
{
#define G(p, s) nt_glob_match((p), strlen(p), (s), strlen(s))
	ck_assert(G("/a/*", "/a/b"));
	ck_assert(G("/a/*", "/a/"));
	ck_assert(!G("/a/*", "/a/b/c"));
	ck_assert(G("/a/**", "/a/b/c"));
	ck_assert(G("/a/**/z", "/a/b/c/z"));
	ck_assert(G("/a/**/z", "/a//z"));
	ck_assert(!G("/a/**/z", "/a/z"));
	ck_assert(G("/*.txt", "/notes.txt"));
	ck_assert(!G("/*.txt", "/d/notes.txt"));
	ck_assert(G("/**.txt", "/d/notes.txt"));
	ck_assert(G("/v*/x*y", "/v1/xaaay"));
	ck_assert(!G("/v*/x*y", "/v1/xaaa"));
	ck_assert(G("/exact", "/exact"));
	ck_assert(!G("/exact", "/exact/"));
	ck_assert(G("**", "/anything/at/all"));
	/* Many stars against a long path: polynomial, not exponential. */
	char path[8001];
	memset(path, 'a', 8000);
	path[0] = '/';
	path[8000] = '\0';
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert(!G("/**a**a**a**a**a**a**a**a**b", path));
	ck_assert(!G("/*a*a*a*a*a*a*a*a*a*a*a*b", path));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_msg(ms < 500, "pathological glob took %.1f ms", ms);
#undef G
}
END_TEST

START_TEST(path_canon)
{
	char out[256];
	size_t n;
#define OK(in, want)                                                                         \
	do {                                                                                 \
		ck_assert_int_eq(nt_path_canon((in), strlen(in), out, sizeof(out), &n), 0);  \
		ck_assert_str_eq(out, (want));                                                \
		ck_assert_int_eq(n, strlen(want));                                            \
	} while (0)
#define BAD(in) ck_assert_int_eq(nt_path_canon((in), strlen(in), out, sizeof(out), &n), -1)
	OK("/", "/");
	OK("/a/b/", "/a/b/");
	OK("/%7Euser/%61%62c", "/~user/abc");
	OK("/a%2fb", "/a%2Fb"); /* encoded slash stays encoded: one segment */
	OK("/q%3d1/%e2%82%ac", "/q%3D1/%E2%82%AC");
	OK("/a;v=1/b", "/a;v=1/b");
	OK("/...", "/...");
	BAD("");
	BAD("a/b");
	BAD("/a b");
	BAD("/a\\b");
	BAD("/a#f");
	BAD("/a?q");
	BAD("/%zz");
	BAD("/%4");
	BAD("/%00");
	BAD("/a//b");
	BAD("/a/./b");
	BAD("/a/../b");
	BAD("/a/%2e%2e/b");
	BAD("/a/.%2E");
	BAD("/a/..;x/b");
	BAD("/a/;x/b");
	BAD("/a%2f..%2fb");
	BAD("/a%5c..%5cb");
	BAD("/\xc3\xa9");
#undef OK
#undef BAD
}
END_TEST

START_TEST(hosts)
{
	char norm[NT_NAME_MAX + 2];
	size_t n;
	uint8_t a[16];
#define K(h) nt_host_parse((h), strlen(h), norm, sizeof(norm), &n, a)
	ck_assert_int_eq(K("Example.COM."), NT_HOST_NAME);
	ck_assert_str_eq(norm, "example.com");
	ck_assert_int_eq(K("under_score.test"), NT_HOST_NAME);
	ck_assert_int_eq(K("1.2.3.4"), NT_HOST_IPV4);
	ck_assert_int_eq(K("[::1]"), NT_HOST_IPV6);
	ck_assert_str_eq(norm, "::1");
	ck_assert_int_eq(K("::ffff:127.0.0.1"), NT_HOST_IPV4);
	ck_assert_str_eq(norm, "127.0.0.1");
	ck_assert_int_eq(K(""), NT_HOST_INVALID);
	ck_assert_int_eq(K("."), NT_HOST_INVALID);
	ck_assert_int_eq(K("a..b"), NT_HOST_INVALID);
	ck_assert_int_eq(K("exa mple.com"), NT_HOST_INVALID);
	ck_assert_int_eq(K("a.b/c"), NT_HOST_INVALID);
	ck_assert_int_eq(K("127.1"), NT_HOST_INVALID);
	ck_assert_int_eq(K("2130706433"), NT_HOST_INVALID);
	ck_assert_int_eq(K("0x7f000001"), NT_HOST_INVALID);
	ck_assert_int_eq(K("0x7f.0.0.1"), NT_HOST_INVALID);
	ck_assert_int_eq(K("[1.2.3.4]"), NT_HOST_INVALID);
	ck_assert_int_eq(K("[::1"), NT_HOST_INVALID);
	ck_assert_int_eq(K("host\0.test"), NT_HOST_NAME); /* strlen stops at NUL */
	ck_assert_int_eq(nt_host_parse("a\0b", 3, norm, sizeof(norm), &n, a), NT_HOST_INVALID);
	char longname[300];
	memset(longname, 'a', sizeof(longname));
	longname[63] = '.';
	longname[127] = '.';
	longname[191] = '.';
	longname[254] = '\0'; /* 254 bytes */
	ck_assert_int_eq(K(longname), NT_HOST_INVALID);
	longname[253] = '\0';
	ck_assert_int_eq(K(longname), NT_HOST_NAME);
	char label[70];
	memset(label, 'b', 64);
	label[64] = '\0';
	ck_assert_int_eq(K(label), NT_HOST_INVALID); /* label > 63 */
#undef K
}
END_TEST

/* nt_host_parse against the plain reading of rule 1 (nt_testlib.h) on
 * hosts built to reach every branch: names of every length around the word
 * size and the limits, upper case, dotted quads with leading zeros and out
 * of range parts, IPv6 forms, and random bytes from a small alphabet. */
START_TEST(hosts_vs_reference)
{
	static const char *const fixed[] = {
	        "a", "A", "a.", "a..", ".a", "-", "_", "0", "00", "1.2.3.4", "01.2.3.4", "1.2.3.04",
	        "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.4.",
	        "1..2.3", "0x1.2.3.4", "0x7f.1", "0x7f000001", "07.1.1.1", "a.1.2.3.4", "1.2.3.4.a",
	        "1.2.3.4a", "[::1]", "::1", "[::ffff:1.2.3.4]", "::ffff:1.2.3.4", "1::", ":::",
	        "[1.2.3.4]", "[]", "[:]", "a:b", "A.B.C.D.", "xn--bcher-kva.example", "a_b.c-d.e",
	        "localhost", "LOCALHOST.", "exa mple.com", "a\x80" "b.com", "1.2.3.4\x80"};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		const char *why = ntt_host_check(fixed[i], strlen(fixed[i]));
		ck_assert_msg(!why, "'%s': %s differs", fixed[i], why);
	}
	static const char alpha[] = "abzAZ09-_.:.[]x.f";
	unsigned seed = 777;
	char h[300];
	for (int round = 0; round < 200000; round++) {
		size_t len;
		int mode = round % 4;
		if (mode == 0) { /* random bytes from the alphabet, any length */
			len = rand_r(&seed) % 40;
			if (rand_r(&seed) % 50 == 0)
				len = 240 + rand_r(&seed) % 20;
			for (size_t k = 0; k < len; k++)
				h[k] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
		} else if (mode == 1) { /* labels of random lengths */
			len = 0;
			int labels = 1 + (int)(rand_r(&seed) % 6);
			for (int l = 0; l < labels && len < 280; l++) {
				size_t ll = rand_r(&seed) % 12 == 0 ? 60 + rand_r(&seed) % 6 : 1 + rand_r(&seed) % 12;
				for (size_t k = 0; k < ll && len < 290; k++)
					h[len++] = "abcXYZ019-_"[rand_r(&seed) % 11];
				if (l + 1 < labels)
					h[len++] = '.';
			}
			if (rand_r(&seed) % 8 == 0)
				h[len++] = '.';
		} else if (mode == 2) { /* dotted numbers */
			len = 0;
			int parts = 1 + (int)(rand_r(&seed) % 6);
			for (int l = 0; l < parts; l++) {
				int v = (int)(rand_r(&seed) % 300);
				len += (size_t)snprintf(h + len, sizeof(h) - len, rand_r(&seed) % 10 ? "%d" : "0%d", v);
				if (l + 1 < parts)
					h[len++] = '.';
			}
			if (rand_r(&seed) % 8 == 0)
				h[len++] = rand_r(&seed) % 2 ? '.' : 'a';
		} else { /* IPv6-like */
			len = 0;
			int parts = 1 + (int)(rand_r(&seed) % 9);
			bool br = rand_r(&seed) % 4 == 0;
			if (br)
				h[len++] = '[';
			for (int l = 0; l < parts; l++) {
				if (rand_r(&seed) % 6 == 0)
					len += (size_t)snprintf(h + len, sizeof(h) - len, "1.2.3.4");
				else if (rand_r(&seed) % 5)
					len += (size_t)snprintf(h + len, sizeof(h) - len, "%x", rand_r(&seed) % 0x1ffff);
				if (l + 1 < parts)
					h[len++] = ':';
			}
			if (br && rand_r(&seed) % 4)
				h[len++] = ']';
		}
		h[len] = '\0';
		const char *why = ntt_host_check(h, len);
		ck_assert_msg(!why, "'%s': %s differs", h, why);
	}
}
END_TEST

START_TEST(special_addresses)
{
	uint8_t p;
	uint8_t a[16] = {0};
#define V4(s) (inet_pton(AF_INET, (s), a), nt_addr_special(AF_INET, a, &p))
#define V6(s) (inet_pton(AF_INET6, (s), a), nt_addr_special(AF_INET6, a, &p))
	ck_assert_str_eq(V4("127.0.0.1"), "loopback");
	ck_assert_int_eq(p, 8);
	ck_assert_str_eq(V4("10.9.9.9"), "private");
	ck_assert_str_eq(V4("172.31.0.1"), "private");
	ck_assert_ptr_null(V4("172.32.0.1"));
	ck_assert_str_eq(V4("192.168.1.1"), "private");
	ck_assert_str_eq(V4("100.64.0.1"), "cgnat");
	ck_assert_str_eq(V4("169.254.169.254"), "metadata");
	ck_assert_int_eq(p, 32);
	ck_assert_str_eq(V4("169.254.1.1"), "link-local");
	ck_assert_str_eq(V4("0.0.0.0"), "unspecified");
	ck_assert_str_eq(V4("224.0.0.251"), "multicast");
	ck_assert_str_eq(V4("255.255.255.255"), "reserved");
	ck_assert_ptr_null(V4("93.184.216.34"));
	ck_assert_ptr_null(V4("8.8.8.8"));
	ck_assert_str_eq(V6("::1"), "loopback");
	ck_assert_str_eq(V6("::"), "unspecified");
	ck_assert_str_eq(V6("fd00:ec2::254"), "metadata");
	ck_assert_str_eq(V6("fd12::1"), "private");
	ck_assert_str_eq(V6("fe80::1"), "link-local");
	ck_assert_str_eq(V6("ff02::1"), "multicast");
	ck_assert_str_eq(V6("::ffff:10.0.0.1"), "private");
	ck_assert_str_eq(V6("64:ff9b::7f00:1"), "loopback"); /* NAT64 of 127.0.0.1 */
	ck_assert_int_eq(p, 104);
	ck_assert_str_eq(V6("2002:a9fe:a9fe::1"), "metadata"); /* 6to4 of 169.254.169.254 */
	ck_assert_ptr_null(V6("2606:4700::1111"));
	ck_assert_ptr_null(V6("64:ff9b::808:808"));
#undef V4
#undef V6

	/* The proxy's address check: special addresses need a rule that names
	 * them (prefix inside the special range); deny rows always apply. */
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "0.0.0.0/1", NULL, NULL, NULL);          /* 1: broad, public-ish */
	ntt_rule(x, "allow", "127.0.0.1", "8080", NULL, NULL);         /* 2: names loopback */
	ntt_rule(x, "allow", "169.254.0.0/16", NULL, NULL, NULL);      /* 3: link-local */
	ntt_rule(x, "deny", "93.184.216.0/24", NULL, NULL, NULL);      /* 4 */
	ntt_rule(x, "allow", "fd00:ec2::254", "80", NULL, NULL);       /* 5 */
	ck_assert_int_eq(ntt_build(x), 1);
	const char *why;
	uint32_t rid;
#define CHK(fam, s, port)                                                                     \
	(inet_pton((fam), (s), a), nt_check_addr(&x->t, (fam), a, (port), NT_METHOD_UNSEEN, NULL, \
	                                          0, &why, &rid))
	ck_assert(CHK(AF_INET, "127.0.0.1", 8080));
	ck_assert(!CHK(AF_INET, "127.0.0.1", 8081)); /* rule 1 covers it, but does not name it */
	ck_assert_str_eq(why, "loopback");
	ck_assert(!CHK(AF_INET, "127.0.0.2", 8080));
	ck_assert(!CHK(AF_INET, "10.0.0.1", 443));
	ck_assert_str_eq(why, "private");
	ck_assert(CHK(AF_INET, "169.254.1.1", 80));
	ck_assert(!CHK(AF_INET, "169.254.169.254", 80)); /* metadata needs the exact address */
	ck_assert_str_eq(why, "metadata");
	ck_assert(CHK(AF_INET, "8.8.8.8", 53));          /* public: no rule needed */
	ck_assert(CHK(AF_INET, "203.0.113.9", 443));
	ck_assert(!CHK(AF_INET, "93.184.216.34", 443)); /* IP deny row */
	ck_assert_int_eq(rid, 4);
	ck_assert(CHK(AF_INET6, "fd00:ec2::254", 80));
	ck_assert(!CHK(AF_INET6, "::ffff:127.0.0.1", 8081));
	ck_assert(CHK(AF_INET6, "::ffff:127.0.0.1", 8080));
	ck_assert(!CHK(AF_INET6, "::1", 8080));
#undef CHK
	ntt_free(x);
}
END_TEST

START_TEST(compile_checks)
{
	struct {
		const char *host, *ports, *paths;
		enum diag_code code;
		enum diag_level lvl;
	} cases[] = {
	        {"*.com", NULL, NULL, DIAG_E400, DIAG_ERROR},
	        {"*.co.uk", NULL, NULL, DIAG_E400, DIAG_ERROR},
	        {"*.github.io", NULL, NULL, DIAG_E400, DIAG_ERROR},
	        {"*.internal", NULL, NULL, DIAG_E400, DIAG_WARNING},
	        {"*.*.example.com", NULL, NULL, DIAG_E400, DIAG_ERROR},
	        {"bad..name", NULL, NULL, DIAG_E400, DIAG_ERROR},
	        {"UPPER.test", NULL, NULL, DIAG_E400, DIAG_ERROR},
	        {"0.0.0.0/0", NULL, NULL, DIAG_E402, DIAG_ERROR},
	        {"::/0", NULL, NULL, DIAG_E402, DIAG_ERROR},
	        {"10.0.0.1/8", NULL, NULL, DIAG_E402, DIAG_ERROR},
	        {"::ffff:10.0.0.1", NULL, NULL, DIAG_E402, DIAG_ERROR},
	        {"a.test", "0", NULL, DIAG_E401, DIAG_ERROR},
	        {"a.test", "90-80", NULL, DIAG_E401, DIAG_ERROR},
	        {"a.test", NULL, "repos/**", DIAG_E404, DIAG_ERROR},
	        {"a.test", NULL, "/a/../b", DIAG_E404, DIAG_ERROR},
	        {"a.test", NULL, "/%7euser", DIAG_E404, DIAG_ERROR},
	        {"a.test", NULL, "/a/***", DIAG_E404, DIAG_ERROR},
	        {"a.test", NULL, "/a?b", DIAG_E404, DIAG_ERROR},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ntt *x = ntt_new();
		ntt_rule(x, "allow", "fine.test", "443", NULL, NULL);
		struct ir_net_rule *r = ntt_rule(x, "allow", cases[i].host, cases[i].ports, NULL,
		                                 cases[i].paths);
		if (strncmp(cases[i].host, "*.*", 3) == 0)
			r->host = "*.example.com"; /* as a front end would pass it through */
		int rc = ntt_build(x);
		ck_assert_msg((rc == 1) == (cases[i].lvl != DIAG_ERROR), "case %zu (%s): rc %d", i,
		              cases[i].host, rc);
		int k = ntt_diag(x, cases[i].code, cases[i].lvl);
		ck_assert_msg(k >= 0, "case %zu (%s): no %s %s", i, cases[i].host,
		              diag_code_name(cases[i].code), diag_level_name(cases[i].lvl));
		const struct diag *g = diag_get(x->d, (size_t)k);
		ck_assert_int_eq(g->pos.line, 2); /* points at the offending rule */
		ntt_free(x);
	}
}
END_TEST

START_TEST(shadowing)
{
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "a.test", "443", "GET", "/x/**");     /* 1 */
	ntt_rule(x, "allow", "a.test", "443", "GET", "/x/**");     /* 2 duplicate of 1 */
	ntt_rule(x, "deny", "*.b.test", NULL, NULL, NULL);         /* 3 */
	ntt_rule(x, "allow", "www.b.test", "443", NULL, NULL);     /* 4 shadowed by deny 3 */
	ntt_rule(x, "allow", "*.c.test", "1-65535", NULL, NULL);   /* 5 */
	ntt_rule(x, "allow", "x.y.c.test", "80", "GET", "/");      /* 6 redundant with 5 */
	ntt_rule(x, "allow", "10.0.0.0/8", NULL, NULL, NULL);      /* 7 */
	ntt_rule(x, "allow", "10.1.0.0/16", "22", NULL, NULL);     /* 8 redundant with 7 */
	ntt_rule(x, "allow", "d.test", "443", NULL, NULL);         /* 9 fine */
	ntt_rule(x, "allow", "d.test", "80", NULL, NULL);          /* 10 fine (other port) */
	ntt_rule(x, "allow", "a.test", "443", "GET,POST", "/x/**"); /* 11 covers 1, but later */
	ck_assert_int_eq(ntt_build(x), 1);
	int lines[] = {2, 4, 6, 8};
	size_t found = 0;
	for (size_t i = 0; i < diag_count(x->d); i++) {
		const struct diag *g = diag_get(x->d, i);
		ck_assert_int_eq(g->code, DIAG_E405);
		ck_assert_int_eq(g->level, DIAG_WARNING);
		ck_assert_msg(found < 4 && g->pos.line == (uint32_t)lines[found], "unexpected E405 at line %u: %s",
		              g->pos.line, g->msg);
		found++;
	}
	ck_assert_int_eq(found, 4);
	ck_assert_ptr_nonnull(strstr(diag_get(x->d, 0)->msg, "duplicate of rule #1"));
	ck_assert_ptr_nonnull(strstr(diag_get(x->d, 1)->msg, "deny rule #3"));
	ck_assert_ptr_nonnull(strstr(diag_get(x->d, 2)->msg, "rule #5"));
	ck_assert_ptr_nonnull(strstr(diag_get(x->d, 3)->msg, "rule #7"));
	ntt_free(x);
}
END_TEST

START_TEST(binds_and_flags)
{
	struct ntt *x = ntt_new();
	ntt_bind(x, 3000);
	ntt_bind(x, 80);
	ntt_bind(x, 3000);
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert_int_eq(x->t.nbinds, 2);
	ck_assert(x->t.flags & NT_F_PRESENT);
	struct nt_bind b;
	ck_assert(nt_bind_find(&x->t, 3000, &b));
	ck_assert_int_eq(b.rule_id, 1);
	ck_assert(nt_bind_find(&x->t, 80, &b));
	ck_assert_int_eq(b.rule_id, 2);
	ck_assert(!nt_bind_find(&x->t, 81, &b));
	ck_assert_int_ge(ntt_diag(x, DIAG_E401, DIAG_WARNING), 0);
	/* Empty table: everything denied. */
	ck_assert_int_eq(D(x, "a.test", 80, "GET", "/"), 0);
	ntt_free(x);

	x = ntt_new();
	x->p->net.present = false;
	ck_assert_int_eq(ntt_build(x), 1);
	ck_assert(!(x->t.flags & NT_F_PRESENT));
	ntt_free(x);
}
END_TEST

/* Determinism, and rows read back as written (positions for the log). */
START_TEST(deterministic)
{
	struct buf b[2];
	for (int k = 0; k < 2; k++) {
		struct ntt *x = ntt_new();
		ntt_rule(x, "allow", "*.example.com", "443", "GET", "/a/*");
		ntt_rule(x, "deny", "10.0.0.0/8", NULL, NULL, NULL);
		ntt_rule(x, "allow", "2001:db8::/48", "80-90", NULL, NULL);
		ck_assert_int_eq(ntt_build(x), 1);
		b[k] = x->out;
		memset(&x->out, 0, sizeof(x->out));
		if (k == 1) {
			struct nt_result r;
			struct nt_req q = {.host = "w.example.com", .host_len = 13, .port = 443,
			                   .method = NT_M_GET, .path = "/a/b", .path_len = 4};
			nt_lookup(&x->t, &q, &r);
			ck_assert(r.allow);
			ck_assert_int_eq(r.rule_id, 1);
			struct nt_row row;
			nt_row(&x->t, r.row, &row);
			ck_assert_int_eq(row.line, 1);
			ck_assert_int_eq(row.col, 7);
			ck_assert_int_eq(row.src_len, 6);
			ck_assert(memcmp(row.src, "t.yaml", 6) == 0);
			char host[64];
			nt_row_host(&row, host, sizeof(host));
			ck_assert_str_eq(host, "*.example.com");
			for (uint32_t i = 0; i < x->t.nrows; i++) {
				nt_row(&x->t, i, &row);
				nt_row_host(&row, host, sizeof(host));
				if (row.rule_id == 3)
					ck_assert_str_eq(host, "2001:db8::/48");
				if (row.rule_id == 2)
					ck_assert_str_eq(host, "10.0.0.0/8");
			}
		}
		ntt_free(x);
	}
	ck_assert_uint_eq(b[0].len, b[1].len);
	ck_assert(memcmp(b[0].p, b[1].p, b[0].len) == 0);
	buf_free(&b[0]);
	buf_free(&b[1]);
}
END_TEST

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

START_TEST(malformed_tables)
{
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "a.test", "443", "GET", "/x/**");
	ntt_rule(x, "allow", "10.0.0.0/8", NULL, NULL, NULL);
	ntt_rule(x, "allow", "*.w.test", NULL, NULL, NULL);
	ntt_rule(x, "allow", "a-twenty-eight-byte-name.com", NULL, NULL, NULL); /* 28 bytes: whole in its slot */
	ntt_rule(x, "allow", "a-name-longer-than-28.example.com", NULL, NULL, NULL); /* record */
	ck_assert_int_eq(ntt_build(x), 1);
	size_t len = x->out.len;
	uint8_t *p = malloc(len);
	struct nt t;
	char err[256];
	/* Every truncation is refused. */
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(nt_open(&t, x->out.p, n, err, sizeof(err)), -1);
	ck_assert_int_eq(nt_open(&t, x->out.p, len, err, sizeof(err)), 0);
	/* The slots of "a.test" (one row, inline), of the 28-byte name (whole
	 * in its slot) and of the 33-byte name (with an overflow record). */
	size_t su = 0, s28 = 0, s33 = 0;
	for (size_t o = (size_t)(x->t.slots - x->t.base); o < (size_t)(x->t.records - x->t.base);
	     o += NT_SLOT_SIZE) {
		if (x->out.p[o + 4] != NT_K_NAME)
			continue;
		if (x->out.p[o + 6] == 6)
			su = o;
		else if (x->out.p[o + 6] == 28)
			s28 = o;
		else if (x->out.p[o + 6] == 33)
			s33 = o;
	}
	ck_assert(su && s28 && s33);
	size_t row0 = su + NT_SLOT_ROW;
	struct {
		size_t off;
		uint32_t v;
		const char *what;
	} bad[] = {
	        {0, 1, "version (the previous format)"},
	        {0, NT_VERSION + 1, "version"},
	        {4, 0x80, "flags"},
	        {8, 1000, "row count"},
	        {12, x->t.nkeys, "slot count"},
	        {20, x->t.rec_len + 8, "record area length"},
	        {72, 0, "filter size"},
	        {72, x->t.nfilter + 1, "filter size"},
	        {76, 1, "header padding"},
	        {80, 1, "label counts (a name has at least one label)"},
	        {80, 0, "label counts (the wildcard key's two labels)"},
	        {100, 1, "reserved header bytes"},
	        {su, 0x12345678, "slot hash"},
	        {su + 4, 9, "slot kind"},
	        {su + 4, NT_K_NAME | 0x80u << 24, "slot flags"},
	        {su + 8, 5, "slot first row"},
	        {su + 12, 0, "slot key bytes"},
	        {su + 36, 1, "slot key padding"},
	        {s28 + 36, 0, "slot key bytes 24..27"},
	        {s33 + 32, 1, "slot key bytes 20..23"},
	        {s33 + 36, 8, "overflow record offset"},
	        {(size_t)(x->t.records - x->t.base) + 8, 0, "key bytes in a record"},
	        {row0 + 12, 0x0001ffff, "inline port range"},
	        {row0 + 16, 0x7fffffff, "path index"},
	        {row0 + 4, 0x20000, "row count of ports"},
	        {(size_t)(x->t.rowinfo - x->t.base), x->t.nslots + 5, "row's slot"},
	        {(size_t)(x->t.paths - x->t.base), 0x7fffffff, "glob offset"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(p, x->out.p, len);
		put32(p + bad[i].off, bad[i].v);
		ck_assert_msg(nt_open(&t, p, len, err, sizeof(err)) == -1, "accepted bad %s", bad[i].what);
	}
	/* A key the filter would rule out. */
	memcpy(p, x->out.p, len);
	memset(p + (x->t.filter - x->t.base), 0, (size_t)x->t.nfilter * 8);
	ck_assert_int_eq(nt_open(&t, p, len, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "filter"));
	/* Flipping any byte is either refused or harmless (ASan/UBSan builds
	 * check "harmless"). */
	for (size_t off = 0; off < len; off++) {
		memcpy(p, x->out.p, len);
		p[off] ^= 0x41;
		if (nt_open(&t, p, len, err, sizeof(err)) == 0) {
			struct nt_req q = {.host = "a.test", .host_len = 6, .port = 443,
			                   .method = NT_M_GET, .path = "/x/y", .path_len = 4};
			struct nt_result r;
			nt_lookup(&t, &q, &r);
			q.host = "10.1.1.1";
			q.host_len = 8;
			nt_lookup(&t, &q, &r);
			for (uint32_t i = 0; i < t.nrows; i++) {
				struct nt_row row;
				char h[300];
				nt_row(&t, i, &row);
				nt_row_host(&row, h, sizeof(h));
			}
		}
	}
	free(p);
	ntt_free(x);
}
END_TEST

/* Through the artifact container: what `polc query net` answers. */
START_TEST(query_via_artifact)
{
	struct ntt *x = ntt_new();
	ntt_rule(x, "allow", "api.github.com", "443", "GET", "/repos/**");
	ntt_rule(x, "allow", "127.0.0.1", "8080", NULL, NULL);
	ntt_rule(x, "allow", "0.0.0.0/1", "9000", NULL, NULL);
	ir_finalize(x->p, x->d);
	struct buf art = {0};
	ck_assert_int_eq(polc_compile(x->p, x->d, &art), 0);
	struct art a;
	char err[256];
	ck_assert_int_eq(art_parse(&a, art.p, art.len, err, sizeof(err)), 0);
	struct decision d;
	ck_assert_int_eq(nt_query(&a, "api.github.com", 443, "GET", "/repos/x?y=1", &d, err, sizeof(err)), 0);
	ck_assert(d.allowed);
	ck_assert_int_eq(d.rule_id, 1);
	ck_assert_str_eq(d.text, "allow");
	ck_assert_int_eq(nt_query(&a, "api.github.com", 443, "GET", "/gists", &d, err, sizeof(err)), 0);
	ck_assert(!d.allowed);
	ck_assert_str_eq(d.text, "deny");
	ck_assert_int_eq(nt_query(&a, "api.github.com", 443, "GET", "/repos/../admin", &d, err, sizeof(err)), 0);
	ck_assert(!d.allowed);
	ck_assert_int_eq(nt_query(&a, "api.github.com", 443, NULL, NULL, &d, err, sizeof(err)), 0);
	ck_assert(d.allowed);
	ck_assert_ptr_nonnull(strstr(d.text, "TLS"));
	ck_assert_int_eq(nt_query(&a, "127.0.0.1", 8080, NULL, NULL, &d, err, sizeof(err)), 0);
	ck_assert(d.allowed);
	ck_assert_int_eq(nt_query(&a, "127.0.0.1", 9000, NULL, NULL, &d, err, sizeof(err)), 0);
	ck_assert(!d.allowed);
	ck_assert_str_eq(d.text, "deny (loopback address not named by a rule)");
	ck_assert_int_eq(nt_query(&a, "bad host", 80, NULL, NULL, &d, err, sizeof(err)), 0);
	ck_assert_str_eq(d.text, "deny (invalid host)");
	/* inspect, text and JSON */
	const struct art_section *s = art_find(&a, ART_SEC_NETTABLE, 0);
	ck_assert_ptr_nonnull(s);
	char *txt = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&txt, &tlen);
	json_t *j = NULL;
	struct meta m = {0};
	ck_assert_int_eq(nt_inspect(s, &m, f, &j, err, sizeof(err)), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(txt, "#1 allow api.github.com ports 443 methods GET paths /repos/**  @t.yaml:1:7"));
	ck_assert_ptr_nonnull(strstr(txt, "#3 allow 0.0.0.0/1 ports 9000"));
	ck_assert_int_eq(json_array_size(json_object_get(j, "rows")), 3);
	json_decref(j);
	free(txt);
	buf_free(&art);
	ntt_free(x);
}
END_TEST

/* The indexed lookup agrees with a plain scan of the rules, over random
 * policies drawn from a small universe (so rules overlap a lot). */
START_TEST(random_vs_reference)
{
	static const char *const rhosts[] = {
	        "a.test", "b.a.test", "c.b.a.test", "*.a.test", "*.b.a.test", "x.test", "*.x.test",
	        "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "10.1.2.0/25", "2001:db8::/32",
	        "2001:db8:1::/48", "2001:db8:1::7", "::1", "127.0.0.1"};
	static const char *const qhosts[] = {
	        "a.test", "b.a.test", "c.b.a.test", "d.c.b.a.test", "B.A.TEST.", "x.test", "y.x.test",
	        "test", "10.1.2.3", "10.1.2.200", "10.2.0.1", "11.0.0.1", "2001:db8::1",
	        "2001:db8:1::7", "[2001:db8:1::8]", "::1", "::ffff:10.1.2.3", "127.0.0.1", "bad host"};
	static const char *const ports[] = {NULL, "80", "443", "80,443", "1-1024", "8000-8080"};
	static const char *const methods[] = {NULL, "GET", "POST", "GET,POST", "CONNECT", "DELETE"};
	static const char *const paths[] = {NULL, "/a/*", "/a/**", "/b", "/**/x", "/a/*,/b/**"};
	static const char *const qmethods[] = {NULL, "GET", "POST", "PUT", "PROPFIND", "CONNECT"};
	static const char *const qpaths[] = {NULL, "/", "/a/1", "/a/1/2", "/b", "/b/x", "/q/x"};
	static const uint16_t qports[] = {80, 443, 1024, 8080, 9999};
	unsigned seed = 12345;
	for (int round = 0; round < 200; round++) {
		struct ntt *x = ntt_new();
		int nr = 1 + (int)(rand_r(&seed) % 12);
		for (int i = 0; i < nr; i++)
			ntt_rule(x, rand_r(&seed) % 3 == 0 ? "deny" : "allow",
			         rhosts[rand_r(&seed) % (sizeof(rhosts) / sizeof(rhosts[0]))],
			         ports[rand_r(&seed) % 6], methods[rand_r(&seed) % 6],
			         paths[rand_r(&seed) % 6]);
		ck_assert_int_eq(ntt_build(x), 1);
		for (int q = 0; q < 200; q++) {
			const char *h = qhosts[rand_r(&seed) % (sizeof(qhosts) / sizeof(qhosts[0]))];
			uint16_t port = qports[rand_r(&seed) % 5];
			const char *m = qmethods[rand_r(&seed) % 6];
			const char *pa = m ? qpaths[1 + rand_r(&seed) % 6] : NULL;
			long got = D(x, h, port, m, pa), want = ntt_reference(x, h, port, m, pa);
			ck_assert_msg(got == want, "round %d: %s:%u %s %s: lookup %ld, reference %ld", round,
			              h, port, m ? m : "-", pa ? pa : "-", got, want);
		}
		ntt_free(x);
	}
}
END_TEST

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A 100 000-row table builds, answers correctly, and stays fast.  The
 * timing bound is deliberately loose (shared CI machines); bench/nt_bench
 * measures the real figure. */
START_TEST(large_table)
{
	enum { N = 100000 };
	struct ntt *x = ntt_new();
	char h[64];
	for (int i = 0; i < N; i++) {
		switch (i % 4) {
		case 0: snprintf(h, sizeof(h), "h%d.svc%d.example.com", i, i % 97); break;
		case 1: snprintf(h, sizeof(h), "*.t%d.example.net", i); break;
		case 2: snprintf(h, sizeof(h), "10.%d.%d.0/24", (i >> 10) & 255, (i >> 2) & 255); break;
		case 3: snprintf(h, sizeof(h), "2001:db8:%x::/48", i >> 2); break;
		}
		ntt_rule(x, "allow", h, "443", NULL, NULL);
	}
	double t0 = now_s();
	ck_assert_int_eq(ntt_build(x), 1);
	double tb = now_s() - t0;
	ck_assert_msg(tb < 10, "build took %.2f s", tb);
	ck_assert_int_eq(x->t.nrows, N);
	/* Spot checks. */
	ck_assert_int_eq(D(x, "h40.svc40.example.com", 443, NULL, NULL), 41);
	ck_assert_int_eq(D(x, "a.b.t41.example.net", 443, NULL, NULL), 42);
	ck_assert_int_eq(D(x, "t41.example.net", 443, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "10.0.10.77", 443, NULL, NULL), 43);
	ck_assert_int_eq(D(x, "2001:db8:a::1", 443, NULL, NULL), 44);
	ck_assert_int_eq(D(x, "h40.svc40.example.com", 80, NULL, NULL), 0);
	ck_assert_int_eq(D(x, "nothere.example.com", 443, NULL, NULL), 0);
	/* Every row is found by its own host. */
	for (int i = 0; i < N; i += 997) {
		if (i % 4 != 0)
			continue;
		snprintf(h, sizeof(h), "h%d.svc%d.example.com", i, i % 97);
		ck_assert_int_eq(D(x, h, 443, NULL, NULL), i + 1);
	}
	/* Speed: lookups must not scan rows. */
	const char *qhosts[] = {"h40.svc40.example.com", "x.t4001.example.net", "10.1.2.3",
	                       "2001:db8:a::1", "missing.example.org"};
	struct nt_req q[5];
	for (int i = 0; i < 5; i++)
		q[i] = (struct nt_req){.host = qhosts[i], .host_len = strlen(qhosts[i]), .port = 443,
		                       .method = NT_METHOD_UNSEEN};
	struct nt_result r;
	long hits = 0, n = 200000;
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		nt_lookup(&x->t, &q[i % 5], &r);
		hits += r.allow;
	}
	double dt = now_s() - t0;
	ck_assert_int_eq(hits, n / 5 * 4);
	ck_assert_msg(n / dt > 200000, "only %.0f lookups/s on a 100 000-row table", n / dt);
	ntt_free(x);
}
END_TEST

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	Suite *s = suite_create("nt");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, exact_names);
	tcase_add_test(tc, wildcards);
	tcase_add_test(tc, key_lengths);
	tcase_add_test(tc, hash_collisions);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, literal_vs_name);
	tcase_add_test(tc, ports_methods_paths);
	tcase_add_test(tc, deny_wins);
	tcase_add_test(tc, globs);
	tcase_add_test(tc, path_canon);
	tcase_add_test(tc, hosts);
	tcase_add_test(tc, hosts_vs_reference);
	tcase_add_test(tc, special_addresses);
	tcase_add_test(tc, compile_checks);
	tcase_add_test(tc, shadowing);
	tcase_add_test(tc, binds_and_flags);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, malformed_tables);
	tcase_add_test(tc, query_via_artifact);
	tcase_add_test(tc, random_vs_reference);
	tcase_add_test(tc, large_table);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
