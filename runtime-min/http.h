/* http.h — a strict HTTP/1.x request parser for the supervisor proxy.
 *
 * Everything here reads bytes the sandboxed agent sent, so it is written to
 * refuse rather than guess: CRLF line ends only (a bare CR or LF is an
 * error), no obs-fold, no whitespace before a header's colon, one request
 * framing only (Content-Length and Transfer-Encoding together are refused:
 * request smuggling), bounded sizes everywhere.  Functions return 0 on
 * success or the HTTP status to answer with (400, 431, 501, 505).  Nothing
 * allocates; spans point into the caller's buffer. */
#ifndef POLC_HTTP_H
#define POLC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 16384 /* default bound on a request head */
#define HTTP_MAX_HEADERS 100
#define HTTP_METHOD_MAX 32

struct http_span {
	const char *p;
	size_t n;
};

struct http_hdr {
	struct http_span name, value; /* value without surrounding whitespace */
};

struct http_req {
	struct http_span method, target;
	int minor; /* HTTP/1.minor: 0 or 1 */
	struct http_hdr h[HTTP_MAX_HEADERS];
	size_t nh;
	size_t head_len; /* bytes of the head, the empty line included */
};

/* Looks for the end of a request head in buf[0..len).  Returns the head's
 * length (> 0) once "\r\n\r\n" is there, 0 if more bytes are needed (and
 * len < max), or minus a status: -431 when max bytes hold no complete head,
 * -400 for a bare LF.  *scan carries where to resume (start at 0). */
long http_head_end(const char *buf, size_t len, size_t max, size_t *scan);

/* Parses a complete head (buf[0..len) as http_head_end measured it). */
int http_parse_head(const char *buf, size_t len, struct http_req *r);

/* The header named name (case-insensitive): the first one, and in *count
 * how many there are.  NULL if none. */
const struct http_hdr *http_header(const struct http_req *r, const char *name, size_t *count);

/* A request target or Host value, split. */
struct http_target {
	struct http_span host; /* as written; an IPv6 literal keeps its brackets */
	uint16_t port;
	bool port_given;
	struct http_span path;  /* absolute-form: "" means "/" */
	struct http_span query; /* after '?', p == NULL when there is none */
};

/* "host:port" (CONNECT's authority-form; the port is required). */
int http_parse_authority(struct http_span s, struct http_target *t);
/* "http://host[:port]/path[?query]" (absolute-form); userinfo, fragments
 * and other schemes are refused. */
int http_parse_absolute(struct http_span s, struct http_target *t);
/* The Host header agrees with the target: same host (case-insensitive, one
 * trailing dot ignored) and port (default_port when not written).  At most
 * one Host header; none is refused when required (absolute-form HTTP/1.1
 * requests; CONNECT names its authority in the request line, so clients
 * that omit Host there are tolerated). */
int http_check_host(const struct http_req *r, const struct http_target *t, uint16_t default_port,
                    bool required);

enum http_body { HTTP_BODY_NONE, HTTP_BODY_LENGTH, HTTP_BODY_CHUNKED };

/* How the request's body is framed.  Refuses Content-Length together with
 * Transfer-Encoding, several or malformed Content-Length values, and any
 * transfer coding but a single "chunked" (501). */
int http_body_framing(const struct http_req *r, enum http_body *kind, uint64_t *length);

/* Writes the head to send upstream: origin-form request line with the
 * given (canonical) path and query, our own Host, framing and
 * "Connection: close" headers, and the client's end-to-end headers (hop-by-
 * hop ones and those the Connection header names are dropped).  Returns 0,
 * or -1 if out is too small. */
int http_upstream_head(const struct http_req *r, const struct http_target *t, const char *path,
                       size_t path_len, enum http_body kind, uint64_t length, char *out,
                       size_t cap, size_t *outlen);

/* Streaming decoder for a chunked request body.  Chunk extensions and
 * trailers are checked and dropped (bounded sizes). */
struct http_chunked {
	int state;
	uint64_t remaining;
	unsigned digits;
	size_t line, trailer;
};
enum { HTTP_CHUNK_MORE, HTTP_CHUNK_DATA, HTTP_CHUNK_DONE, HTTP_CHUNK_ERROR };
/* Consumes bytes of in[0..n) (*used of them).  DATA: *data, *dlen is body
 * data inside in; MORE: all of in was consumed, call again with more;
 * DONE: the body ended (bytes after *used are not part of it). */
int http_chunked_step(struct http_chunked *c, const uint8_t *in, size_t n, size_t *used,
                      const uint8_t **data, size_t *dlen);

const char *http_reason(int status); /* "Forbidden" */

#endif
