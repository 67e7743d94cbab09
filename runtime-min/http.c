/* http.c — strict HTTP/1.x request parsing for the proxy (see http.h).
 * Every byte here comes from the sandboxed agent. */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nt.h"

static bool tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool span_ieq(struct http_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

long http_head_end(const char *buf, size_t len, size_t max, size_t *scan)
{
	size_t lim = len < max ? len : max;
	for (size_t i = *scan; i < lim; i++) {
		if (buf[i] != '\n')
			continue;
		if (i == 0 || buf[i - 1] != '\r')
			return -400;
		if (i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return (long)(i + 1);
	}
	*scan = lim;
	return len >= max ? -431 : 0;
}

/* Next CRLF-terminated line of [*p, end): no bare CR, no NUL inside. */
static int next_line(const char **p, const char *end, struct http_span *line)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl || nl == *p || nl[-1] != '\r')
		return 400;
	line->p = *p;
	line->n = (size_t)(nl - 1 - *p);
	if (memchr(line->p, '\r', line->n) || memchr(line->p, '\0', line->n))
		return 400;
	*p = nl + 1;
	return 0;
}

int http_parse_head(const char *buf, size_t len, struct http_req *r)
{
	memset(r, 0, sizeof(*r));
	r->head_len = len;
	const char *p = buf, *end = buf + len;
	struct http_span l;
	if (next_line(&p, end, &l))
		return 400;
	/* method SP request-target SP HTTP-version */
	size_t i = 0;
	while (i < l.n && tchar((unsigned char)l.p[i]))
		i++;
	if (i == 0 || i > HTTP_METHOD_MAX || i >= l.n || l.p[i] != ' ')
		return 400;
	r->method = (struct http_span){l.p, i};
	size_t t0 = ++i;
	while (i < l.n && (unsigned char)l.p[i] > 0x20 && (unsigned char)l.p[i] < 0x7f)
		i++;
	if (i == t0 || i >= l.n || l.p[i] != ' ')
		return 400;
	r->target = (struct http_span){l.p + t0, i - t0};
	struct http_span v = {l.p + i + 1, l.n - i - 1};
	if (v.n != 8 || memcmp(v.p, "HTTP/", 5) != 0)
		return 400;
	if (v.p[5] != '1' || v.p[6] != '.' || (v.p[7] != '0' && v.p[7] != '1'))
		return (v.p[5] >= '0' && v.p[5] <= '9') ? 505 : 400;
	r->minor = v.p[7] - '0';

	for (;;) {
		if (next_line(&p, end, &l))
			return 400;
		if (l.n == 0)
			break;
		if (l.p[0] == ' ' || l.p[0] == '\t')
			return 400; /* obs-fold */
		size_t k = 0;
		while (k < l.n && tchar((unsigned char)l.p[k]))
			k++;
		if (k == 0 || k >= l.n || l.p[k] != ':')
			return 400;
		if (r->nh == HTTP_MAX_HEADERS)
			return 431;
		struct http_hdr *h = &r->h[r->nh++];
		h->name = (struct http_span){l.p, k};
		size_t a = k + 1, b = l.n;
		while (a < b && (l.p[a] == ' ' || l.p[a] == '\t'))
			a++;
		while (b > a && (l.p[b - 1] == ' ' || l.p[b - 1] == '\t'))
			b--;
		for (size_t j = a; j < b; j++) {
			unsigned char c = (unsigned char)l.p[j];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return 400;
		}
		h->value = (struct http_span){l.p + a, b - a};
	}
	return p == end ? 0 : 400;
}

const struct http_hdr *http_header(const struct http_req *r, const char *name, size_t *count)
{
	const struct http_hdr *first = NULL;
	size_t n = 0;
	for (size_t i = 0; i < r->nh; i++)
		if (span_ieq(r->h[i].name, name)) {
			if (!first)
				first = &r->h[i];
			n++;
		}
	if (count)
		*count = n;
	return first;
}

/* host[:port]; with need_port the port is required. */
static int parse_hostport(struct http_span s, bool need_port, struct http_target *t)
{
	if (s.n == 0 || memchr(s.p, '@', s.n))
		return 400;
	size_t hend;
	if (s.p[0] == '[') {
		const char *rb = memchr(s.p, ']', s.n);
		if (!rb)
			return 400;
		hend = (size_t)(rb - s.p) + 1;
	} else {
		const char *c = memchr(s.p, ':', s.n);
		hend = c ? (size_t)(c - s.p) : s.n;
		if (c && memchr(c + 1, ':', s.n - hend - 1))
			return 400; /* IPv6 without brackets */
	}
	if (hend == 0)
		return 400;
	t->host = (struct http_span){s.p, hend};
	t->port_given = false;
	if (hend == s.n)
		return need_port ? 400 : 0;
	if (s.p[hend] != ':')
		return 400;
	size_t d = hend + 1;
	if (d == s.n || s.n - d > 5)
		return 400;
	unsigned port = 0;
	for (size_t i = d; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return 400;
		port = port * 10 + (unsigned)(s.p[i] - '0');
	}
	if (port == 0 || port > 65535)
		return 400;
	t->port = (uint16_t)port;
	t->port_given = true;
	return 0;
}

int http_parse_authority(struct http_span s, struct http_target *t)
{
	memset(t, 0, sizeof(*t));
	return parse_hostport(s, true, t);
}

int http_parse_absolute(struct http_span s, struct http_target *t)
{
	memset(t, 0, sizeof(*t));
	if (s.n < 8 || strncasecmp(s.p, "http://", 7) != 0)
		return 400;
	if (memchr(s.p, '#', s.n))
		return 400;
	const char *a = s.p + 7, *end = s.p + s.n, *q = a;
	while (q < end && *q != '/' && *q != '?')
		q++;
	int rc = parse_hostport((struct http_span){a, (size_t)(q - a)}, false, t);
	if (rc)
		return rc;
	if (!t->port_given)
		t->port = 80;
	const char *qm = memchr(q, '?', (size_t)(end - q));
	t->path = (struct http_span){q, (size_t)((qm ? qm : end) - q)};
	if (qm)
		t->query = (struct http_span){qm + 1, (size_t)(end - qm - 1)};
	return 0;
}

static bool same_host(struct http_span a, struct http_span b)
{
	char na[NT_NAME_MAX + 2], nb[NT_NAME_MAX + 2];
	size_t la, lb;
	uint8_t aa[16], ab[16];
	enum nt_host_kind ka = nt_host_parse(a.p, a.n, na, sizeof(na), &la, aa);
	enum nt_host_kind kb = nt_host_parse(b.p, b.n, nb, sizeof(nb), &lb, ab);
	if (ka == NT_HOST_INVALID || ka != kb)
		return false;
	if (ka == NT_HOST_NAME)
		return la == lb && memcmp(na, nb, la) == 0;
	return memcmp(aa, ab, 16) == 0;
}

int http_check_host(const struct http_req *r, const struct http_target *t, uint16_t default_port,
                    bool required)
{
	size_t n;
	const struct http_hdr *h = http_header(r, "host", &n);
	if (n == 0)
		return required ? 400 : 0;
	if (n > 1)
		return 400;
	struct http_target ht;
	memset(&ht, 0, sizeof(ht));
	if (parse_hostport(h->value, false, &ht))
		return 400;
	uint16_t hp = ht.port_given ? ht.port : default_port;
	uint16_t tp = t->port_given ? t->port : default_port;
	if (hp != tp || !same_host(ht.host, t->host))
		return 400;
	return 0;
}

int http_body_framing(const struct http_req *r, enum http_body *kind, uint64_t *length)
{
	size_t ncl, nte;
	const struct http_hdr *cl = http_header(r, "content-length", &ncl);
	const struct http_hdr *te = http_header(r, "transfer-encoding", &nte);
	*kind = HTTP_BODY_NONE;
	*length = 0;
	if (ncl && nte)
		return 400; /* the classic smuggling ambiguity: refuse, never pick one */
	if (nte) {
		if (nte > 1 || r->minor == 0)
			return 400;
		if (!span_ieq(te->value, "chunked"))
			return 501;
		*kind = HTTP_BODY_CHUNKED;
		return 0;
	}
	if (ncl) {
		if (ncl > 1 || cl->value.n == 0 || cl->value.n > 18)
			return 400;
		uint64_t v = 0;
		for (size_t i = 0; i < cl->value.n; i++) {
			char c = cl->value.p[i];
			if (c < '0' || c > '9')
				return 400;
			v = v * 10 + (uint64_t)(c - '0');
		}
		*length = v;
		*kind = v ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	}
	return 0;
}

static const char *const hop_by_hop[] = {
        "host",    "connection",        "proxy-connection", "keep-alive", "proxy-authorization",
        "proxy-authenticate", "te", "trailer", "transfer-encoding", "content-length", "upgrade",
};

/* Is name listed in a Connection header (which makes it hop-by-hop)? */
static bool named_by_connection(const struct http_req *r, struct http_span name)
{
	for (size_t i = 0; i < r->nh; i++) {
		if (!span_ieq(r->h[i].name, "connection"))
			continue;
		const char *p = r->h[i].value.p, *end = p + r->h[i].value.n;
		while (p < end) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			const char *e = c ? c : end, *a = p, *b = e;
			while (a < b && (*a == ' ' || *a == '\t'))
				a++;
			while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
				b--;
			if ((size_t)(b - a) == name.n && strncasecmp(a, name.p, name.n) == 0)
				return true;
			p = c ? c + 1 : end;
		}
	}
	return false;
}

struct out {
	char *p;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}
static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

int http_upstream_head(const struct http_req *r, const struct http_target *t, const char *path,
                       size_t path_len, enum http_body kind, uint64_t length, char *outp,
                       size_t cap, size_t *outlen)
{
	struct out o = {outp, cap, 0, false};
	char num[64];
	put(&o, r->method.p, r->method.n);
	puts_(&o, " ");
	put(&o, path, path_len);
	if (t->query.p) {
		puts_(&o, "?");
		put(&o, t->query.p, t->query.n);
	}
	snprintf(num, sizeof(num), " HTTP/1.%d\r\nHost: ", r->minor);
	puts_(&o, num);
	put(&o, t->host.p, t->host.n);
	if (t->port_given) {
		snprintf(num, sizeof(num), ":%u", t->port);
		puts_(&o, num);
	}
	puts_(&o, "\r\n");
	for (size_t i = 0; i < r->nh; i++) {
		const struct http_hdr *h = &r->h[i];
		bool drop = false;
		for (size_t k = 0; k < sizeof(hop_by_hop) / sizeof(hop_by_hop[0]) && !drop; k++)
			drop = span_ieq(h->name, hop_by_hop[k]);
		if (drop || named_by_connection(r, h->name))
			continue;
		put(&o, h->name.p, h->name.n);
		puts_(&o, ": ");
		put(&o, h->value.p, h->value.n);
		puts_(&o, "\r\n");
	}
	if (kind == HTTP_BODY_LENGTH) {
		snprintf(num, sizeof(num), "Content-Length: %llu\r\n", (unsigned long long)length);
		puts_(&o, num);
	} else if (kind == HTTP_BODY_CHUNKED)
		puts_(&o, "Transfer-Encoding: chunked\r\n");
	puts_(&o, "Connection: close\r\n\r\n");
	if (o.full)
		return -1;
	*outlen = o.len;
	return 0;
}

/* ---- chunked bodies ------------------------------------------------------- */

enum {
	CH_SIZE,
	CH_EXT,
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,
	CH_TRAILER_LINE,
	CH_TRAILER_LF,
	CH_END_LF,
	CH_DONE,
	CH_ERROR,
};

#define CH_EXT_MAX 1024
#define CH_TRAILER_MAX 8192

int http_chunked_step(struct http_chunked *c, const uint8_t *in, size_t n, size_t *used,
                      const uint8_t **data, size_t *dlen)
{
	*used = 0;
	*data = NULL;
	*dlen = 0;
	if (c->state == CH_ERROR)
		return HTTP_CHUNK_ERROR;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = in[i];
		switch (c->state) {
		case CH_SIZE: {
			int v = ch >= '0' && ch <= '9'   ? ch - '0'
			        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
			                                 : -1;
			if (v >= 0) {
				if (++c->digits > 15)
					goto bad;
				c->remaining = c->remaining << 4 | (uint64_t)v;
			} else if (c->digits && ch == ';') {
				c->state = CH_EXT;
				c->line = 0;
			} else if (c->digits && ch == '\r')
				c->state = CH_SIZE_LF;
			else
				goto bad;
			break;
		}
		case CH_EXT:
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (ch == '\n' || ch == 0 || ++c->line > CH_EXT_MAX)
				goto bad;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				goto bad;
			c->state = c->remaining ? CH_DATA : CH_TRAILER;
			c->trailer = 0;
			if (c->state == CH_DATA) {
				size_t take = n - i - 1;
				if (take > c->remaining)
					take = (size_t)c->remaining;
				if (take) {
					*data = in + i + 1;
					*dlen = take;
					c->remaining -= take;
					if (!c->remaining)
						c->state = CH_DATA_CR;
					*used = i + 1 + take;
					return HTTP_CHUNK_DATA;
				}
			}
			break;
		case CH_DATA: {
			size_t take = n - i;
			if (take > c->remaining)
				take = (size_t)c->remaining;
			*data = in + i;
			*dlen = take;
			c->remaining -= take;
			if (!c->remaining)
				c->state = CH_DATA_CR;
			*used = i + take;
			return HTTP_CHUNK_DATA;
		}
		case CH_DATA_CR:
			if (ch != '\r')
				goto bad;
			c->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_SIZE;
			c->digits = 0;
			c->remaining = 0;
			break;
		case CH_TRAILER:
			if (ch == '\r')
				c->state = CH_END_LF;
			else if (tchar(ch)) {
				c->state = CH_TRAILER_LINE;
				if (++c->trailer > CH_TRAILER_MAX)
					goto bad;
			} else
				goto bad;
			break;
		case CH_TRAILER_LINE:
			if (ch == '\r')
				c->state = CH_TRAILER_LF;
			else if (ch == '\n' || ch == 0 || ++c->trailer > CH_TRAILER_MAX)
				goto bad;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_TRAILER;
			break;
		case CH_END_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_DONE;
			*used = i + 1;
			return HTTP_CHUNK_DONE;
		case CH_DONE: *used = i; return HTTP_CHUNK_DONE;
		default: goto bad;
		}
	}
	*used = n;
	return c->state == CH_DONE ? HTTP_CHUNK_DONE : HTTP_CHUNK_MORE;
bad:
	c->state = CH_ERROR;
	return HTTP_CHUNK_ERROR;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}
