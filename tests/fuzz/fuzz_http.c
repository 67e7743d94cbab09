/* fuzz_http.c — the proxy's request parsing on arbitrary bytes: head
 * framing (fed in pieces), the head parser, targets, the Host check, body
 * framing, path canonicalisation and the upstream head it leads to, and the
 * chunked body decoder fed in pieces of varying size.
 *
 * Input: one byte choosing the chunked piece size, then the request bytes.
 * Besides "never crash", it checks invariants: the canonical path is a
 * fixed point, the upstream head parses back, and the chunked decoder only
 * ever points inside its input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "nt.h"

static void check_upstream(const struct http_req *r, const struct http_target *t, const char *path,
                           size_t plen)
{
	enum http_body kind;
	uint64_t len;
	if (http_body_framing(r, &kind, &len))
		return;
	static char out[2 * HTTP_HEAD_MAX + 4096];
	size_t ol;
	if (http_upstream_head(r, t, path, plen, kind, len, out, sizeof(out), &ol) < 0)
		return;
	size_t scan = 0;
	long e = http_head_end(out, ol, sizeof(out), &scan);
	if (e != (long)ol)
		abort(); /* what we send upstream must be one complete head */
	static struct http_req back;
	int st = http_parse_head(out, ol, &back);
	if (st != 0 && st != 431)
		abort();
	if (st == 0) {
		size_t n;
		http_header(&back, "host", &n);
		if (n != 1)
			abort();
		http_header(&back, "transfer-encoding", &n);
		size_t m;
		http_header(&back, "content-length", &m);
		if (n + m > 1)
			abort(); /* never both framings */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] % 32 + 1;
	data++;
	size--;
	const char *buf = (const char *)data;

	size_t scan = 0;
	long e = 0;
	for (size_t have = 0; have < size && e == 0;) {
		have = have + 7 < size ? have + 7 : size;
		e = http_head_end(buf, have, 4096, &scan);
	}
	if (e <= 0)
		return 0;
	static struct http_req r;
	if (http_parse_head(buf, (size_t)e, &r) == 0) {
		struct http_target t;
		bool conn = r.method.n == 7 && memcmp(r.method.p, "CONNECT", 7) == 0;
		int rc = conn ? http_parse_authority(r.target, &t) : http_parse_absolute(r.target, &t);
		if (rc == 0) {
			http_check_host(&r, &t, conn ? t.port : 80, !conn && r.minor == 1);
			char norm[NT_NAME_MAX + 2];
			size_t nl;
			uint8_t a[16];
			nt_host_parse(t.host.p, t.host.n, norm, sizeof(norm), &nl, a);
			const char *pp = t.path.n ? t.path.p : "/";
			size_t pn = t.path.n ? t.path.n : 1, cl, cl2;
			char *canon = malloc(pn + 1), *again = malloc(pn + 1);
			if (canon && again && nt_path_canon(pp, pn, canon, pn + 1, &cl) == 0) {
				if (cl > pn || nt_path_canon(canon, cl, again, pn + 1, &cl2) != 0 || cl2 != cl ||
				    memcmp(canon, again, cl) != 0)
					abort();
				nt_glob_match("/**", 3, canon, cl);
				nt_glob_match("/a/*/b/**/c*", 12, canon, cl);
				check_upstream(&r, &t, canon, cl);
			}
			free(canon);
			free(again);
		}
	}

	struct http_chunked ch;
	memset(&ch, 0, sizeof(ch));
	const uint8_t *rest = data + e;
	size_t rn = size - (size_t)e;
	while (rn) {
		size_t n = piece < rn ? piece : rn;
		const uint8_t *p = rest;
		size_t left = n;
		while (left) {
			size_t used, dl;
			const uint8_t *d;
			int k = http_chunked_step(&ch, p, left, &used, &d, &dl);
			if (used > left)
				abort();
			if (k == HTTP_CHUNK_DATA && (dl == 0 || d < p || d + dl > p + left))
				abort();
			p += used;
			left -= used;
			if (k == HTTP_CHUNK_ERROR || k == HTTP_CHUNK_DONE)
				return 0;
			if (k == HTTP_CHUNK_MORE && left)
				abort();
		}
		rest += n;
		rn -= n;
	}
	return 0;
}
