/* proxy.h — runmin's supervisor proxy, as a library.
 *
 * The sandboxed agent's only way out: it connects to a listening socket
 * (created inside the agent's network namespace and handed to the
 * supervisor over SCM_RIGHTS), and the proxy decides every request with the
 * network table (nt.h) before dialing anything itself.
 *
 *   - HTTP CONNECT host:port: decided on host and port (the method and path
 *     inside the tunnel are unseen, nt.h rule 5) before any dial; "200" and
 *     then a zero-copy tunnel (splice through a pipe each way), half-closes
 *     passed on.  If only method/path-restricted rules allow it, the tunnel
 *     must start with a TLS handshake record or it is closed.
 *   - plain HTTP forward proxy: absolute-form URI only ("http://h[:p]/..."),
 *     method, host, port and canonical path decided; the Host header must
 *     agree with the URI; the request goes upstream in origin-form with our
 *     own Host and framing headers and "Connection: close": one request per
 *     client connection, its body forwarded exactly as parsed (by
 *     Content-Length, or chunked re-framed), nothing after it.
 *   - answers: 403 with a one-line reason on deny, 400 malformed, 431 head
 *     too large, 408 head too slow, 501 unsupported transfer coding, 502 cannot
 *     resolve or connect, 503 too many connections, 504 dial timeout.
 *   - names are resolved by the proxy (getaddrinfo on a small fixed pool of
 *     resolver threads, so a slow DNS server never blocks the event loop;
 *     the dial timeout bounds the wait).  Every address is checked with
 *     nt_check_addr (IP deny rows; loopback, private, link-local, CGNAT,
 *     multicast, metadata ... refused unless a rule names them) and the
 *     proxy connects to exactly the address it checked.  IP-literal requests
 *     match only address rows.
 *   - bounded: request head size, head deadline from accept (slowloris),
 *     dial deadline, idle timeout on relays, a connection limit.
 *   - relay sockets (accepted and dialed) get TCP_NODELAY, and those whose
 *     peer is a loopback address the "reno" congestion control, which
 *     does not pace, and a 32 KiB TCP_NOTSENT_LOWAT (proxy.c, tune_socket).
 *     A listening socket bound to loopback gets them from px_new, and the
 *     connections it completes inherit them.
 *
 * One thread runs the event loop (epoll, non-blocking sockets, no thread per
 * connection); px_* functions must all be called from that thread.
 * Memory: one allocation per connection plus its buffers, released when the
 * connection closes.  Every descriptor the proxy opens is closed when its
 * connection ends and by px_free.
 *
 * SIGPIPE: splice() cannot suppress it, so px_new sets SIGPIPE to SIG_IGN
 * when it is at its default.  Create the proxy after forking the sandboxed
 * child: an ignored signal stays ignored across exec.
 * RLIMIT_NOFILE: a tunnel uses six descriptors (two sockets, two pipes);
 * raise the limit to at least 6 * max_conns + 64.  When accept() runs out of
 * descriptors the proxy stops accepting for a moment instead of spinning. */
#ifndef POLC_PROXY_H
#define POLC_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "nt.h"

struct px;

/* One JSON object (no newline) per event: decisions ("event":"net", with
 * time, host, port, method, path, decision, status, rule, pos, reason, addr),
 * upstream errors, timeouts and limit refusals.  The line is only valid
 * during the call. */
typedef void (*px_log_fn)(void *ctx, const char *json_line);

struct px_config {
	int listen_fd;         /* listening TCP socket; made non-blocking (and tuned, see above);
	                        * not closed by px_free */
	const struct nt *table; /* must stay valid until replaced by px_set_table or px_free */
	px_log_fn log;         /* may be NULL */
	void *log_ctx;
	unsigned max_conns;       /* 0: 512 */
	unsigned head_max;        /* 0: HTTP_HEAD_MAX (16 KiB) */
	unsigned head_timeout_ms; /* 0: 10 s, from accept to the end of the request head */
	unsigned dial_timeout_ms; /* 0: 10 s, resolving + connecting */
	unsigned idle_timeout_ms; /* 0: 300 s without a byte either way on a relay */
	unsigned resolvers;       /* resolver threads, 0: 2 */
	/* Name resolution, called on a resolver thread: fill up to max
	 * addresses (AF_INET/AF_INET6, port ignored) and return 0, or return an
	 * EAI_* code.  NULL: getaddrinfo.  (For embedding a different resolver,
	 * and for tests that must not send DNS queries.) */
	int (*resolve)(void *ctx, const char *host, struct sockaddr_storage *out, int max, int *n);
	void *resolve_ctx;
};

/* Starts a proxy on cfg->listen_fd.  Returns NULL with a one-line reason
 * in err.  Release with px_free. */
struct px *px_new(const struct px_config *cfg, char *err, size_t errlen);

/* Waits at most timeout_ms (-1: until something happens) and handles
 * whatever is ready: connections, resolver answers, timeouts.  Returns the
 * bits (px_watch) of the caller's descriptors that are readable, 0 if none,
 * or -1 with errno set if the event loop itself failed. */
int px_poll(struct px *p, int timeout_ms);

/* Adds the caller's descriptor fd to the proxy's event loop, so that one
 * px_poll sleeps for both (runmin's signalfd and inotify): px_poll's
 * result has bit (1, 2, 4 or 8) set when fd is readable or hung up.  The
 * caller keeps fd open while the proxy runs.  0, or -1 with errno set. */
int px_watch(struct px *p, int fd, unsigned bit);

/* Hot reload: requests decided from now on use t.  Connections already
 * past their decision keep going.  The old table is not referenced after
 * this returns and may be freed. */
void px_set_table(struct px *p, const struct nt *t);

struct px_stats {
	unsigned conns;   /* open client connections */
	unsigned tunnels; /* of which relaying */
	unsigned long accepted, allowed, denied, errors, refused_limit;
	unsigned long batches; /* times a download started batching */
	unsigned batching;     /* downloads batching now */
};
void px_get_stats(const struct px *p, struct px_stats *s);

/* Closes every connection, stops the resolver threads (waiting for a
 * lookup in progress to return) and frees the proxy. */
void px_free(struct px *p);

/* A px_log_fn writing each line and a newline to the FILE * in ctx. */
void px_log_file(void *ctx, const char *json_line);

#endif
