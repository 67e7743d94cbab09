/* proxy.c — the supervisor proxy (see proxy.h for what it promises).
 *
 * One epoll loop, level-triggered.  A connection moves through
 *
 *   HEAD ──► (decide) ──► RESOLVE ──► DIAL ──► RELAY ──► closed
 *     │          │                     │          │
 *     └──────────┴──► REPLY ──► LINGER ┴──────────┘
 *
 * HEAD reads the request head (bounded, deadline from accept); the decision
 * is made on the parsed head alone, before anything is dialed; RESOLVE waits
 * for a resolver thread; DIAL connects to one checked address after the
 * other; RELAY moves bytes (splice through a pipe per direction, or, for a
 * plain-HTTP request body, through a parser that forwards exactly the body);
 * REPLY writes a short error response; LINGER drains what the client still
 * sends so that closing does not turn the response into a reset.
 *
 * Each connection has one deadline whose meaning depends on the state; a
 * sweep over all connections runs when the earliest one may have passed. */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define PX_MAX_ADDRS 8
#define PX_MAX_RESOLVERS 16
#define PX_LINGER_MS 2000
#define PX_DISCARD_MAX (64 * 1024)
#define PX_BODY_CHUNK (16 * 1024)
#define PX_PIPE_BYTES (64 * 1024)    /* a new pipe's capacity */
#define PX_PIPE_BIG (1024 * 1024)    /* what a busy tunnel's pipe grows to */
#define PX_PIPE_GROW_AFTER 8         /* times full before growing */
#define PX_ACCEPT_PAUSE_MS 100
#define PX_NOTSENT_LOWAT (32 * 1024) /* unsent bytes a loopback relay socket holds */
#define PX_BATCH_BYTES (256 * 1024)  /* SO_RCVLOWAT of a bulk relay's source */
#define PX_BATCH_WAIT_US 500         /* longest bytes wait for the rest of a batch */
#define PX_BATCH_IDLE_US 10000       /* a download this still stops batching */
#define PX_BATCH_SWEPT_MAX 3         /* short batches in a row that stop it too */
#define PX_REASON_MAX 640

enum { SIDE_CLIENT, SIDE_UP, SIDE_LISTEN, SIDE_RESOLVER, SIDE_CALLER /* + bit index */ };
#define PX_CALLER_FDS 4 /* px_watch */

struct ep {
	struct conn *c;
	int side;
};

enum cstate { C_HEAD, C_RESOLVE, C_DIAL, C_RELAY, C_REPLY, C_LINGER, C_DEAD };

struct obuf {
	char *p;
	size_t len, off, cap;
};

/* One direction of a relay: bytes wait in a pipe between splices. */
struct pdir {
	int pr, pw;
	size_t inpipe, cap;
	bool full; /* the last splice into the pipe found it full */
	bool eof, shut;
	unsigned fulls; /* how often it filled up: bulk transfers get a bigger pipe */
	/* Batching (batch_start), downloads only: the source's SO_RCVLOWAT is
	 * raised; got_us is when bytes last came from it, in_us the same or
	 * when the proxy last had no reason to wait for it; swept counts the
	 * short batches the sweep relayed since the kernel last woke the proxy
	 * for a full one; fulls reaching batch_after (re)starts batching. */
	bool batch;
	unsigned batch_after, swept;
	uint64_t in_us, got_us;
};

struct job {
	struct job *next;
	struct conn *c; /* NULL once the connection is gone; main thread only */
	char host[NT_NAME_MAX + 1];
	int gai;
	int naddr;
	struct sockaddr_storage addr[PX_MAX_ADDRS];
};

struct conn {
	struct conn *prev, *next;
	struct px *px;
	struct ep ec, eu;
	int cfd, ufd;
	uint32_t cmask, umask;
	bool creg, ureg;
	enum cstate st;
	uint64_t deadline;
	bool tunnel, tls_only, sniff;
	struct job *job;
	/* the request head */
	char *in;
	size_t inlen, scan;
	bool c_eof; /* the client half-closed */
	/* what was decided, for the log */
	char host[NT_NAME_MAX + 2];
	uint16_t port;
	char method[HTTP_METHOD_MAX + 1];
	char *path; /* canonical, NUL-terminated; NULL for tunnels */
	size_t path_len;
	int nt_method;
	uint32_t rule_id;
	char pos[320];
	/* upstream candidates, all checked */
	struct sockaddr_storage addr[PX_MAX_ADDRS];
	int naddr, iaddr, last_err;
	/* bytes waiting for the client (replies, "200") and for upstream (the
	 * rewritten head and body, or a tunnel's early bytes) */
	struct obuf cout, uout;
	/* plain HTTP request body */
	enum http_body body;
	uint64_t body_left;
	struct http_chunked ch;
	bool body_done;
	size_t discarded;
	struct pdir c2u, u2c;
};

struct px {
	int lfd, ep, evfd;
	struct ep el, er, ecaller[PX_CALLER_FDS];
	bool listening;
	/* accepted sockets still to tune one by one (UINT_MAX: all of them);
	 * the others inherit the listening socket's options */
	unsigned untuned;
	uint64_t listen_resume;
	const struct nt *table;
	px_log_fn log;
	void *log_ctx;
	unsigned max_conns, head_max, head_ms, dial_ms, idle_ms;
	struct conn *conns, *grave;
	unsigned nconns;
	uint64_t now, next_sweep;      /* milliseconds */
	uint64_t now_us, batch_check;  /* microseconds */
	unsigned nbatch;               /* downloads batching */
	bool no_pwait2;                /* epoll_pwait2 refused: epoll_wait instead */
	struct px_stats st;
	/* resolver pool */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *q_head, *q_tail, *done;
	bool stopping;
	pthread_t th[PX_MAX_RESOLVERS];
	unsigned nth;
	int (*resolve)(void *ctx, const char *host, struct sockaddr_storage *out, int max, int *n);
	void *resolve_ctx;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void set_deadline(struct conn *c, uint64_t ms)
{
	c->deadline = c->px->now + ms;
	if (c->deadline < c->px->next_sweep)
		c->px->next_sweep = c->deadline;
}

/* ---- the log ---------------------------------------------------------------- */

struct jbuf {
	char b[4096];
	size_t n;
};

static void jraw(struct jbuf *j, const char *s)
{
	size_t l = strlen(s);
	if (l > sizeof(j->b) - 1 - j->n)
		l = sizeof(j->b) - 1 - j->n;
	memcpy(j->b + j->n, s, l);
	j->n += l;
	j->b[j->n] = '\0';
}

/* A JSON string from untrusted bytes: escapes quotes, backslashes, control
 * characters and every non-ASCII byte (the bytes need not be UTF-8). */
static void jstr(struct jbuf *j, const char *key, const char *s, size_t len)
{
	char tmp[8];
	jraw(j, j->n > 1 ? ",\"" : "\"");
	jraw(j, key);
	if (!s) {
		jraw(j, "\":null");
		return;
	}
	jraw(j, "\":\"");
	if (len > 1024)
		len = 1024;
	for (size_t i = 0; i < len && j->n < sizeof(j->b) - 16; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)ch;
			tmp[2] = '\0';
		} else if (ch < 0x20 || ch >= 0x7f)
			snprintf(tmp, sizeof(tmp), "\\u%04x", ch);
		else {
			tmp[0] = (char)ch;
			tmp[1] = '\0';
		}
		jraw(j, tmp);
	}
	jraw(j, "\"");
}

static void jnum(struct jbuf *j, const char *key, long long v)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s\"%s\":%lld", j->n > 1 ? "," : "", key, v);
	jraw(j, tmp);
}

static void jbegin(struct jbuf *j, const char *event)
{
	struct timespec ts;
	struct tm tm;
	char t[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + k, sizeof(t) - k, ".%03ldZ", ts.tv_nsec / 1000000);
	j->n = 0;
	jraw(j, "{");
	jstr(j, "time", t, strlen(t));
	jstr(j, "event", event, strlen(event));
}

static void jend(struct px *p, struct jbuf *j)
{
	jraw(j, "}");
	if (p->log)
		p->log(p->log_ctx, j->b);
}

static void addr_text(const struct sockaddr_storage *sa, char *buf, size_t n)
{
	const void *a = sa->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
	                                         : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!inet_ntop(sa->ss_family, a, buf, (socklen_t)n))
		snprintf(buf, n, "?");
}

/* A decision or refusal about c's request. */
static void log_request(struct conn *c, const char *decision, int status, const char *reason,
                        const struct sockaddr_storage *addr)
{
	struct jbuf j;
	jbegin(&j, "net");
	jstr(&j, "decision", decision, strlen(decision));
	if (status)
		jnum(&j, "status", status);
	jstr(&j, "host", c->host[0] ? c->host : NULL, strlen(c->host));
	if (c->port)
		jnum(&j, "port", c->port);
	else
		jraw(&j, ",\"port\":null");
	jstr(&j, "method", c->method[0] ? c->method : NULL, strlen(c->method));
	jstr(&j, "path", c->path, c->path_len);
	if (c->rule_id)
		jnum(&j, "rule", c->rule_id);
	else
		jraw(&j, ",\"rule\":null");
	jstr(&j, "pos", c->pos[0] ? c->pos : NULL, strlen(c->pos));
	if (reason)
		jstr(&j, "reason", reason, strlen(reason));
	if (addr) {
		char a[INET6_ADDRSTRLEN];
		addr_text(addr, a, sizeof(a));
		jstr(&j, "addr", a, strlen(a));
	}
	jend(c->px, &j);
}

static void log_event(struct px *p, struct conn *c, const char *event, const char *reason)
{
	struct jbuf j;
	jbegin(&j, event);
	if (c && c->host[0]) {
		jstr(&j, "host", c->host, strlen(c->host));
		jnum(&j, "port", c->port);
	}
	jstr(&j, "reason", reason, strlen(reason));
	jend(p, &j);
}

void px_log_file(void *ctx, const char *line)
{
	FILE *f = ctx;
	fputs(line, f);
	fputc('\n', f);
	fflush(f);
}

/* ---- connections --------------------------------------------------------- */

static int watch(struct conn *c, int side, uint32_t mask)
{
	int fd = side == SIDE_CLIENT ? c->cfd : c->ufd;
	uint32_t *cur = side == SIDE_CLIENT ? &c->cmask : &c->umask;
	bool *reg = side == SIDE_CLIENT ? &c->creg : &c->ureg;
	if (fd < 0)
		return 0;
	if (mask == 0) {
		/* Out of the set entirely: no hang-up reports we cannot act on. */
		if (*reg && epoll_ctl(c->px->ep, EPOLL_CTL_DEL, fd, NULL) < 0)
			return -1;
		*reg = false;
		*cur = 0;
		return 0;
	}
	if (*reg && *cur == mask)
		return 0;
	struct epoll_event ev = {.events = mask, .data.ptr = side == SIDE_CLIENT ? &c->ec : &c->eu};
	if (epoll_ctl(c->px->ep, *reg ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	*reg = true;
	*cur = mask;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void close_pipe(struct pdir *d)
{
	close_fd(&d->pr);
	close_fd(&d->pw);
}

/* Ends batching on d, whose source is src (-1 when it is being closed):
 * its SO_RCVLOWAT goes back to 1, so that any byte wakes the proxy again.
 * -1 if the kernel refused, which would leave bytes stranded: the caller
 * closes the connection. */
static int batch_end(struct conn *c, struct pdir *d, int src)
{
	if (!d->batch)
		return 0;
	int one = 1;
	d->batch = false;
	d->batch_after = d->fulls + PX_PIPE_GROW_AFTER;
	c->px->nbatch--;
	return src >= 0 ? setsockopt(src, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one)) : 0;
}

static void conn_close(struct conn *c)
{
	struct px *p = c->px;
	if (c->st == C_DEAD)
		return;
	(void)batch_end(c, &c->u2c, -1);
	if (c->job)
		c->job->c = NULL;
	close_fd(&c->cfd);
	close_fd(&c->ufd);
	close_pipe(&c->c2u);
	close_pipe(&c->u2c);
	free(c->in);
	free(c->path);
	free(c->cout.p);
	free(c->uout.p);
	c->in = c->path = c->cout.p = c->uout.p = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	p->nconns--;
	c->st = C_DEAD;
	/* Freed after the current batch of events, which may still name it. */
	c->next = p->grave;
	p->grave = c;
}

static int obuf_set(struct obuf *o, const void *s, size_t n, size_t cap)
{
	if (cap < n)
		cap = n;
	char *np = malloc(cap ? cap : 1);
	if (!np)
		return -1;
	free(o->p);
	o->p = np;
	o->cap = cap ? cap : 1;
	memcpy(o->p, s, n);
	o->len = n;
	o->off = 0;
	return 0;
}

static bool obuf_pending(const struct obuf *o) { return o->off < o->len; }

/* Sends what o holds.  1 all sent, 0 would block, -1 error. */
static int obuf_flush(struct obuf *o, int fd)
{
	while (o->off < o->len) {
		ssize_t n = send(fd, o->p + o->off, o->len - o->off, MSG_NOSIGNAL);
		if (n > 0) {
			o->off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	o->off = o->len = 0;
	return 1;
}

static void linger_start(struct conn *c);

/* Client side done (reply written or relay finished): stop writing, drain
 * what the client still sends for a while, then close. */
static void linger_start(struct conn *c)
{
	if (shutdown(c->cfd, SHUT_WR) < 0 || c->c_eof) {
		conn_close(c);
		return;
	}
	(void)batch_end(c, &c->u2c, -1);
	close_fd(&c->ufd);
	c->ureg = false;
	c->st = C_LINGER;
	c->discarded = 0;
	set_deadline(c, PX_LINGER_MS);
	if (watch(c, SIDE_CLIENT, EPOLLIN) < 0)
		conn_close(c);
}

static void reply_flush(struct conn *c)
{
	int r = obuf_flush(&c->cout, c->cfd);
	if (r < 0)
		conn_close(c);
	else if (r > 0)
		linger_start(c);
	else if (watch(c, SIDE_CLIENT, EPOLLOUT) < 0)
		conn_close(c);
}

/* Answers with status and a one-line reason, then closes. */
static void reply(struct conn *c, int status, const char *reason)
{
	char msg[PX_REASON_MAX + 512];
	char rule[32] = "";
	if (c->rule_id)
		snprintf(rule, sizeof(rule), "X-Polc-Rule: %u\r\n", c->rule_id);
	int body = (int)strlen(reason) + 7;
	int n = snprintf(msg, sizeof(msg),
	                 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
	                 "Connection: close\r\n%s\r\npolc: %s\n",
	                 status, http_reason(status), body, rule, reason);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = snprintf(msg, sizeof(msg), "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		             status, http_reason(status));
	if (status >= 400 && status != 403)
		c->px->st.errors++;
	if (c->job) { /* a lookup still running answers no one */
		c->job->c = NULL;
		c->job = NULL;
	}
	(void)batch_end(c, &c->u2c, -1);
	close_fd(&c->ufd);
	c->ureg = false;
	close_pipe(&c->c2u);
	close_pipe(&c->u2c);
	free(c->in);
	c->in = NULL;
	if (obuf_set(&c->cout, msg, (size_t)n, 0) < 0) {
		conn_close(c);
		return;
	}
	c->st = C_REPLY;
	set_deadline(c, PX_LINGER_MS);
	reply_flush(c);
}

static void deny(struct conn *c, int status, const char *reason)
{
	c->px->st.denied++;
	log_request(c, "deny", status, reason, NULL);
	reply(c, status, reason);
}

/* ---- socket options ------------------------------------------------------------ */

/* Whether sa is a loopback address: a hop to it never leaves the host. */
static bool is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ((const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr)[0] == 127;
	if (sa->ss_family != AF_INET6)
		return false;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* Options for a relay socket: an upstream's before connect, a client's
 * from the listening socket or once accepted (tune_listener).  Best effort:
 * a refusal leaves the system's defaults, which work, only slower.
 *
 *  - TCP_NODELAY: the proxy forwards bytes as they come; Nagle would hold a
 *    small segment back until the previous one is acknowledged, adding a
 *    delayed-ACK wait (up to 40 ms) the two ends never asked for.  Bulk
 *    data is not split by it: splice passes MSG_MORE while the pipe holds
 *    more.
 *  - on a hop that never leaves the host (the sandbox side of runmin's
 *    proxy always, a loopback upstream), "reno": there is nothing to
 *    control on loopback, and the host's default may pace (BBR paces
 *    internally when the device has no fq qdisc), which splits the stream
 *    into small timed bursts and cost about a third of a tunnel's
 *    throughput on loopback (bench/README.md, "Network").  Reno is built
 *    into every kernel and always allowed.
 *  - on such a hop also TCP_NOTSENT_LOWAT: on loopback, whoever processes
 *    an ACK transmits what the peer's window now lets through, so when a
 *    slow reader's window is the limit and megabytes wait unsent in the
 *    proxy's socket, the reader's own recv ends up sending the proxy's data
 *    to itself (a third of its CPU in one profile).  With at most
 *    PX_NOTSENT_LOWAT unsent, the rest waits in the pipe and the proxy,
 *    woken by EPOLLOUT, sends it from its own context: download through a
 *    tunnel went from 2.3 to 3.8 GB/s.
 * Remote upstreams keep the host's choices. */
static void tune_socket(int fd, const struct sockaddr_storage *peer)
{
	int one = 1, lowat = PX_NOTSENT_LOWAT;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!is_loopback(peer))
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
}

/* A listening socket bound to loopback has only peers on this host: its
 * options, set once, are inherited by every connection it completes from
 * then on, which saves three syscalls per accept.  Connections already
 * completed (the agent may connect before px_new runs) did not inherit
 * them: TCP_INFO on a listener gives the accept queue's length, and that
 * many accepts, plus a few for handshakes racing with the setsockopt, are
 * tuned one by one.  Any other listener: every accepted socket is tuned by
 * its peer's address. */
static void tune_listener(struct px *p)
{
	struct sockaddr_storage la;
	socklen_t len = sizeof(la);
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);
	p->untuned = UINT_MAX;
	if (getsockname(p->lfd, (struct sockaddr *)&la, &len) < 0 || !is_loopback(&la))
		return;
	tune_socket(p->lfd, &la);
	if (getsockopt(p->lfd, IPPROTO_TCP, TCP_INFO, &ti, &tlen) == 0 &&
	    tlen >= offsetof(struct tcp_info, tcpi_unacked) + sizeof(ti.tcpi_unacked))
		p->untuned = ti.tcpi_unacked + 8;
}

/* ---- relaying ------------------------------------------------------------------ */

/* splice into or out of a pipe.  >0 bytes, 0 EOF, -1 would block, -2 error. */
static ssize_t splice_step(int from, int to, size_t len)
{
	for (;;) {
		ssize_t n = splice(from, NULL, to, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
	}
}

/* Whether the proxy waits for d's source: it has room for more and the
 * source has not ended. */
static bool dir_wants_in(const struct pdir *d)
{
	return !d->eof && !d->full && d->inpipe < d->cap;
}

/* Batching.  A download whose pipe keeps filling up is a bulk transfer.
 * For it the proxy raises the upstream socket's SO_RCVLOWAT to
 * PX_BATCH_BYTES, so the kernel wakes it once per quarter megabyte rather
 * than once per segment (64 KiB on loopback).  Both sides save: the proxy
 * sleeps and wakes less often, and so does the sender, who pays for each
 * wake-up (bench/README.md, "Network": a tunnelled download's three
 * parties went from 0.48 to 0.44 CPU seconds per GB, its throughput up
 * 5-8%).  Uploads are not batched: with an agent whose sends are not
 * paced, batching its socket cost 15% of the throughput.  The mark is set
 * only once the socket's receive buffer holds four of it: when it must
 * grow a smaller buffer for the mark, the kernel also clamps the window.
 *
 * The kernel still wakes the proxy early on end of stream, an error,
 * memory pressure or a nearly closed window, but not when the sender
 * merely pauses: bytes short of the mark would wait for more.  So while
 * any download batches, the proxy sleeps at most PX_BATCH_WAIT_US / 2, and
 * batch_sweep relays, as it is, the queue of a download whose source gave
 * nothing for PX_BATCH_WAIT_US while the proxy waited for it: no byte
 * waits much longer than that.  Batching stops (the mark goes back to 1,
 * and the proxy back to sleeping until something happens) when that had
 * to happen PX_BATCH_SWEPT_MAX times in a row (a source too slow to fill
 * batches: a trickle after a burst), or when no byte came for
 * PX_BATCH_IDLE_US (a quiet source or a stalled client).  It resumes
 * after PX_PIPE_GROW_AFTER more fulls.  A refusal from the kernel means no
 * batching, which works, only slower. */
static void batch_start(struct conn *c, struct pdir *d, int src)
{
	int mark = PX_BATCH_BYTES, rcvbuf = 0;
	socklen_t len = sizeof(rcvbuf);
	if (d != &c->u2c || d->batch || d->eof)
		return;
	if (getsockopt(src, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) < 0 || rcvbuf < 4 * PX_BATCH_BYTES ||
	    setsockopt(src, SOL_SOCKET, SO_RCVLOWAT, &mark, sizeof(mark)) < 0) {
		d->batch_after = d->fulls + PX_PIPE_GROW_AFTER; /* not now; ask again later */
		return;
	}
	d->batch = true;
	d->swept = 0;
	d->in_us = d->got_us = c->px->now_us;
	c->px->nbatch++;
	c->px->st.batches++;
}

/* Relays what waited too long short of a batch, and ends batching where
 * it does not pay; runs every PX_BATCH_WAIT_US / 2 while any download
 * batches (px_poll sleeps no longer). */
static void relay_abort(struct conn *c, const char *why);
static void pump(struct conn *c, uint32_t cev, uint32_t uev);
static void batch_sweep(struct px *p)
{
	p->batch_check = p->now_us;
	for (struct conn *c = p->conns, *nx; c && p->nbatch; c = nx) {
		nx = c->next;
		struct pdir *d = &c->u2c;
		int queued = 0;
		if (c->st != C_RELAY || !d->batch)
			continue;
		if (p->now_us - d->got_us >= PX_BATCH_IDLE_US) {
			if (batch_end(c, d, c->ufd) < 0)
				relay_abort(c, "could not lower the receive mark");
			continue;
		}
		if (!dir_wants_in(d) || p->now_us - d->in_us < PX_BATCH_WAIT_US)
			continue;
		if (ioctl(c->ufd, FIONREAD, &queued) < 0) {
			relay_abort(c, "could not read the receive queue's length");
			continue;
		}
		if (queued <= 0)
			continue;
		if (++d->swept < PX_BATCH_SWEPT_MAX)
			pump(c, 0, EPOLLIN);
		else if (batch_end(c, d, c->ufd) < 0) /* readable at once: the mark is 1 */
			relay_abort(c, "could not lower the receive mark");
	}
}

/* A pipe that keeps filling up carries a bulk transfer: give it room for
 * more than 64 KiB, so the proxy wakes up less often per byte, and batch
 * its source.  Only busy pipes grow, so idle tunnels cost no more memory;
 * when the kernel refuses (per-user pipe limits) the pipe simply stays
 * small. */
static void dir_filled(struct conn *c, struct pdir *d, int src)
{
	if (d->fulls < UINT_MAX)
		d->fulls++;
	if (d->fulls == PX_PIPE_GROW_AFTER) {
		int sz = fcntl(d->pw, F_SETPIPE_SZ, PX_PIPE_BIG);
		if (sz > 0 && (size_t)sz > d->cap)
			d->cap = (size_t)sz;
	}
	if (d->fulls >= d->batch_after)
		batch_start(c, d, src);
}

/* Source to pipe, when the source reported readiness. */
static int dir_fill(struct conn *c, struct pdir *d, int src, bool ready)
{
	if (!ready || !dir_wants_in(d))
		return 0;
	ssize_t n = splice_step(src, d->pw, d->cap - d->inpipe);
	if (n > 0) {
		d->inpipe += (size_t)n;
		d->in_us = d->got_us = c->px->now_us;
		if (d->inpipe >= d->cap)
			dir_filled(c, d, src);
		return 1;
	}
	if (n == 0) {
		d->eof = true;
		(void)batch_end(c, d, -1); /* nothing more will come */
	} else if (n == -1 && d->inpipe > 0) {
		d->full = true; /* readable but the pipe took nothing */
		dir_filled(c, d, src);
	} else if (n == -2)
		return -1;
	return 0;
}

/* Pipe to destination. */
static int dir_drain(struct pdir *d, int dst)
{
	while (d->inpipe > 0) {
		ssize_t n = splice_step(d->pr, dst, d->inpipe);
		if (n > 0) {
			d->inpipe -= (size_t)n;
			d->full = false;
			continue;
		}
		if (n == -1)
			return 0;
		return -1; /* 0 from a pipe with data, or an error: the peer is gone */
	}
	return 1;
}

static bool is_tls_record(const char *b)
{
	return (uint8_t)b[0] == 0x16 && (uint8_t)b[1] == 0x03 && (uint8_t)b[2] <= 0x04;
}

/* Appends the next part of a plain request's body from in[0..n) to uout
 * (room for n + 64 bytes is guaranteed by the caller).  -1: malformed. */
static int body_feed(struct conn *c, const uint8_t *in, size_t n)
{
	struct obuf *o = &c->uout;
	if (c->body == HTTP_BODY_NONE) {
		c->body_done = true;
		return 0;
	}
	if (c->body == HTTP_BODY_LENGTH) {
		size_t take = n < c->body_left ? n : (size_t)c->body_left;
		memcpy(o->p + o->len, in, take);
		o->len += take;
		c->body_left -= take;
		if (!c->body_left)
			c->body_done = true;
		return 0;
	}
	size_t off = 0;
	while (off < n && !c->body_done) {
		size_t used, dl;
		const uint8_t *d;
		int k = http_chunked_step(&c->ch, in + off, n - off, &used, &d, &dl);
		off += used;
		if (k == HTTP_CHUNK_ERROR)
			return -1;
		if (k == HTTP_CHUNK_DATA) {
			int hl = snprintf(o->p + o->len, o->cap - o->len, "%zx\r\n", dl);
			o->len += (size_t)hl;
			memcpy(o->p + o->len, d, dl);
			o->len += dl;
			memcpy(o->p + o->len, "\r\n", 2);
			o->len += 2;
		} else if (k == HTTP_CHUNK_DONE) {
			memcpy(o->p + o->len, "0\r\n\r\n", 5);
			o->len += 5;
			c->body_done = true;
		} else
			break;
	}
	return 0;
}

static void relay_abort(struct conn *c, const char *why)
{
	c->px->st.errors++;
	log_event(c->px, c, "relay", why);
	conn_close(c);
}

/* Moves whatever can move without blocking; cev/uev are the events just
 * reported for the client / upstream socket (0 if none). */
static void pump(struct conn *c, uint32_t cev, uint32_t uev)
{
	struct px *p = c->px;
	bool moved = false;
	const uint32_t rd = EPOLLIN | EPOLLHUP | EPOLLERR;

	/* client -> upstream */
	if (c->sniff && (cev & rd) && c->uout.len < 3) {
		ssize_t n = recv(c->cfd, c->uout.p + c->uout.len, c->uout.cap - c->uout.len, 0);
		if (n > 0) {
			c->uout.len += (size_t)n;
			moved = true;
		} else if (n == 0) {
			conn_close(c);
			return;
		} else if (errno != EAGAIN && errno != EINTR) {
			relay_abort(c, "client read failed");
			return;
		}
	}
	if (c->sniff && c->uout.len >= 3) {
		if (!is_tls_record(c->uout.p)) {
			char why[160];
			snprintf(why, sizeof(why),
			         "the tunnel does not carry TLS, and rule #%u restricts methods or paths",
			         c->rule_id);
			p->st.denied++;
			log_request(c, "deny", 403, why, NULL);
			reply(c, 403, why);
			return;
		}
		c->sniff = false;
		set_deadline(c, p->idle_ms);
	}
	if (!c->sniff) {
		int r = obuf_flush(&c->uout, c->ufd);
		if (r < 0) {
			relay_abort(c, "upstream write failed");
			return;
		}
		if (c->tunnel) {
			if (dir_fill(c, &c->c2u, c->cfd, cev & rd) < 0) {
				relay_abort(c, "client read failed");
				return;
			}
			if (r > 0 && c->c2u.inpipe) {
				size_t before = c->c2u.inpipe;
				if (dir_drain(&c->c2u, c->ufd) < 0) {
					relay_abort(c, "upstream write failed");
					return;
				}
				moved |= before != c->c2u.inpipe;
			}
			if (c->c2u.eof && !c->c2u.inpipe && r > 0 && !c->c2u.shut) {
				if (shutdown(c->ufd, SHUT_WR) < 0) {
					relay_abort(c, "upstream shutdown failed");
					return;
				}
				c->c2u.shut = true;
			}
		} else if ((cev & rd) && !c->c_eof && r > 0) {
			/* Plain HTTP: the body through the parser, then discard. */
			uint8_t tmp[PX_BODY_CHUNK];
			ssize_t n = recv(c->cfd, tmp, sizeof(tmp), 0);
			if (n > 0) {
				moved = true;
				if (!c->body_done) {
					c->uout.off = c->uout.len = 0;
					if (body_feed(c, tmp, (size_t)n) < 0) {
						relay_abort(c, "malformed chunked body");
						return;
					}
					if (obuf_flush(&c->uout, c->ufd) < 0) {
						relay_abort(c, "upstream write failed");
						return;
					}
				} else
					c->discarded += (size_t)n;
			} else if (n == 0) {
				c->c_eof = true;
				if (!c->body_done) {
					relay_abort(c, "client closed before the request body ended");
					return;
				}
			} else if (errno != EAGAIN && errno != EINTR) {
				relay_abort(c, "client read failed");
				return;
			}
		}
	}

	/* upstream -> client */
	int rc = obuf_flush(&c->cout, c->cfd);
	if (rc < 0) {
		relay_abort(c, "client write failed");
		return;
	}
	if (rc > 0 && !c->sniff) {
		if (dir_fill(c, &c->u2c, c->ufd, uev & rd) < 0) {
			relay_abort(c, "upstream read failed");
			return;
		}
		size_t before = c->u2c.inpipe;
		if (dir_drain(&c->u2c, c->cfd) < 0) {
			relay_abort(c, "client write failed");
			return;
		}
		moved |= before != c->u2c.inpipe;
		if (c->u2c.eof && !c->u2c.inpipe && !c->u2c.shut) {
			c->u2c.shut = true;
			if (!c->tunnel) {
				linger_start(c);
				return;
			}
			if (shutdown(c->cfd, SHUT_WR) < 0) {
				relay_abort(c, "client shutdown failed");
				return;
			}
		}
	}
	if (c->tunnel && c->c2u.shut && c->u2c.shut) {
		conn_close(c);
		return;
	}
	if (moved && !c->sniff)
		set_deadline(c, p->idle_ms);

	uint32_t cm = 0, um = 0;
	bool cout_done = !obuf_pending(&c->cout);
	if (c->sniff)
		cm |= c->uout.len < 3 ? EPOLLIN : 0;
	else if (c->tunnel)
		cm |= dir_wants_in(&c->c2u) ? EPOLLIN : 0;
	else if (!c->c_eof && !obuf_pending(&c->uout) && c->discarded < PX_DISCARD_MAX)
		cm |= EPOLLIN;
	if (obuf_pending(&c->cout) || c->u2c.inpipe)
		cm |= EPOLLOUT;
	if (cout_done && !c->sniff && dir_wants_in(&c->u2c))
		um |= EPOLLIN;
	/* a batch's clock runs only while the proxy waits for its source:
	 * restart it whenever the proxy is not waiting, or starts to */
	if (c->u2c.batch && (!(um & EPOLLIN) || !(c->umask & EPOLLIN)))
		c->u2c.in_us = p->now_us;
	if (!c->sniff && (obuf_pending(&c->uout) || c->c2u.inpipe))
		um |= EPOLLOUT;
	if (watch(c, SIDE_CLIENT, cm) < 0 || watch(c, SIDE_UP, um) < 0)
		relay_abort(c, "epoll_ctl failed");
}

static void on_connected(struct conn *c)
{
	struct px *p = c->px;
	int pa[2] = {-1, -1}, pb[2] = {-1, -1};
	if (pipe2(pb, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    (c->tunnel && pipe2(pa, O_NONBLOCK | O_CLOEXEC) < 0)) {
		close_fd(&pb[0]);
		close_fd(&pb[1]);
		log_event(p, c, "error", "out of descriptors for pipes");
		reply(c, 503, "the proxy is out of descriptors");
		return;
	}
	c->u2c = (struct pdir){.pr = pb[0], .pw = pb[1], .cap = PX_PIPE_BYTES,
	                       .batch_after = PX_PIPE_GROW_AFTER};
	c->c2u = (struct pdir){.pr = pa[0], .pw = pa[1], .cap = PX_PIPE_BYTES, .eof = c->c_eof,
	                       .batch_after = PX_PIPE_GROW_AFTER};
	if (c->tunnel) {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		if (obuf_set(&c->cout, ok, sizeof(ok) - 1, 0) < 0) {
			relay_abort(c, "out of memory");
			return;
		}
		c->sniff = c->tls_only;
	}
	c->st = C_RELAY;
	set_deadline(c, c->sniff ? p->head_ms : p->idle_ms);
	pump(c, 0, 0);
}

static void on_dial(struct conn *c);

static void dial_next(struct conn *c)
{
	struct px *p = c->px;
	while (c->iaddr < c->naddr) {
		const struct sockaddr_storage *sa = &c->addr[c->iaddr];
		socklen_t alen = sa->ss_family == AF_INET ? sizeof(struct sockaddr_in)
		                                          : sizeof(struct sockaddr_in6);
		int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			c->last_err = errno;
			c->iaddr++;
			continue;
		}
		tune_socket(fd, sa);
		int r = connect(fd, (const struct sockaddr *)sa, alen);
		if (r == 0 || errno == EINPROGRESS) {
			c->ufd = fd;
			c->ureg = false;
			c->st = C_DIAL;
			/* Nearby upstreams (loopback, the same host) are often
			 * connected already: skip a trip through epoll. */
			struct pollfd pf = {fd, POLLOUT, 0};
			if (r == 0 || (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLOUT | POLLERR | POLLHUP)))) {
				on_dial(c);
				return;
			}
			/* Nothing to read from the client until the upstream is
			 * there (a level-triggered EPOLLIN left armed would spin);
			 * a dial that completes at once keeps the client's
			 * registration, saving two epoll_ctl calls. */
			if (watch(c, SIDE_CLIENT, 0) < 0 || watch(c, SIDE_UP, EPOLLOUT) < 0)
				relay_abort(c, "epoll_ctl failed");
			return;
		}
		c->last_err = errno;
		close(fd);
		c->iaddr++;
	}
	char why[PX_REASON_MAX];
	snprintf(why, sizeof(why), "cannot connect to %s port %u: %s", c->host, c->port,
	         strerror(c->last_err ? c->last_err : ECONNREFUSED));
	log_event(p, c, "upstream", why);
	reply(c, 502, why);
}

static void on_dial(struct conn *c)
{
	int err = 0;
	socklen_t el = sizeof(err);
	if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (err == 0) {
		on_connected(c);
		return;
	}
	c->last_err = err;
	close_fd(&c->ufd);
	c->ureg = false;
	c->umask = 0;
	c->iaddr++;
	dial_next(c);
}

/* ---- deciding -------------------------------------------------------------------- */

static void set_addr(struct sockaddr_storage *sa, int family, const uint8_t *a, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a, 16);
	}
}

static const uint8_t *sa_bytes(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET ? (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr
	                                : (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
}

static void start_dial(struct conn *c)
{
	c->px->st.allowed++;
	log_request(c, "allow", 0, NULL, &c->addr[0]);
	c->iaddr = 0;
	if (c->st == C_HEAD) /* names got their deadline when resolving began */
		set_deadline(c, c->px->dial_ms);
	dial_next(c);
}

/* Describes why addr was refused (nt_check_addr's verdict). */
static void addr_refusal(struct conn *c, const struct sockaddr_storage *sa, const char *why,
                         uint32_t rule, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	addr_text(sa, a, sizeof(a));
	bool literal = strcmp(a, c->host) == 0;
	if (rule)
		snprintf(out, n, "%s%s%s is denied by rule #%u", c->host, literal ? "" : " resolves to ",
		         literal ? "" : a, rule);
	else
		snprintf(out, n, "%s%s%s is a %s address, and no rule names it", c->host,
		         literal ? "" : " resolves to ", literal ? "" : a, why);
}

static void resolved(struct conn *c, struct job *j)
{
	struct px *p = c->px;
	char why[PX_REASON_MAX] = "";
	if (j->gai) {
		snprintf(why, sizeof(why), "cannot resolve %s: %s", c->host, gai_strerror(j->gai));
		log_event(p, c, "upstream", why);
		reply(c, 502, why);
		return;
	}
	c->naddr = 0;
	uint32_t deny_rule = 0;
	for (int i = 0; i < j->naddr; i++) {
		const struct sockaddr_storage *sa = &j->addr[i];
		const char *w;
		uint32_t rule;
		if (nt_check_addr(p->table, sa->ss_family, sa_bytes(sa), c->port, c->nt_method, c->path,
		                  c->path_len, &w, &rule)) {
			set_addr(&c->addr[c->naddr++], sa->ss_family, sa_bytes(sa), c->port);
		} else if (!why[0]) {
			addr_refusal(c, sa, w, rule, why, sizeof(why));
			deny_rule = rule;
		}
	}
	if (c->naddr == 0) {
		if (!why[0])
			snprintf(why, sizeof(why), "%s has no usable address", c->host);
		c->rule_id = deny_rule;
		c->pos[0] = '\0';
		deny(c, 403, why);
		return;
	}
	start_dial(c);
}

static void submit(struct conn *c)
{
	struct px *p = c->px;
	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		reply(c, 503, "out of memory");
		return;
	}
	j->c = c;
	snprintf(j->host, sizeof(j->host), "%s", c->host);
	c->job = j;
	c->st = C_RESOLVE;
	set_deadline(c, p->dial_ms);
	if (watch(c, SIDE_CLIENT, 0) < 0) {
		c->job = NULL;
		free(j);
		relay_abort(c, "epoll_ctl failed");
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (p->q_tail)
		p->q_tail->next = j;
	else
		p->q_head = j;
	p->q_tail = j;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void row_pos(const struct nt *t, uint32_t row, char *buf, size_t n)
{
	buf[0] = '\0';
	if (row == NT_NO_ROW || row >= t->nrows)
		return;
	struct nt_row r;
	nt_row(t, row, &r);
	snprintf(buf, n, "%.*s:%u:%u", (int)r.src_len, r.src, r.line, r.col);
}

static void decide(struct conn *c, size_t head_len)
{
	struct px *p = c->px;
	struct http_req r;
	struct http_target t;
	char why[PX_REASON_MAX];
	int st = http_parse_head(c->in, head_len, &r);
	if (st) {
		deny(c, st, st == 431 ? "too many header fields" : "malformed request head");
		return;
	}
	snprintf(c->method, sizeof(c->method), "%.*s", (int)r.method.n, r.method.p);
	c->tunnel = r.method.n == 7 && memcmp(r.method.p, "CONNECT", 7) == 0;
	if (c->tunnel) {
		if (http_parse_authority(r.target, &t)) {
			deny(c, 400, "CONNECT needs host:port");
			return;
		}
		c->nt_method = NT_METHOD_UNSEEN;
	} else {
		if (http_parse_absolute(r.target, &t)) {
			deny(c, 400, "a proxy request needs an absolute http:// URI");
			return;
		}
		c->nt_method = nt_method_parse(r.method.p, r.method.n);
		if (c->nt_method < 0)
			c->nt_method = NT_METHOD_OTHER;
	}
	c->port = t.port;
	char norm[NT_NAME_MAX + 2];
	size_t nlen;
	uint8_t addr[16];
	enum nt_host_kind kind = nt_host_parse(t.host.p, t.host.n, norm, sizeof(norm), &nlen, addr);
	snprintf(c->host, sizeof(c->host), "%.*s", (int)(kind == NT_HOST_INVALID ? 0 : nlen), norm);
	if (kind == NT_HOST_INVALID) {
		deny(c, 400, "invalid host name");
		return;
	}
	if (http_check_host(&r, &t, c->tunnel ? t.port : 80, !c->tunnel && r.minor == 1)) {
		deny(c, 400, "the Host header does not match the request target");
		return;
	}
	enum http_body body;
	uint64_t blen;
	st = http_body_framing(&r, &body, &blen);
	if (st) {
		deny(c, st, st == 501 ? "unsupported transfer coding" : "ambiguous or malformed body framing");
		return;
	}
	if (c->tunnel && body != HTTP_BODY_NONE) {
		deny(c, 400, "CONNECT with a body");
		return;
	}
	if (!c->tunnel) {
		size_t plen = t.path.n ? t.path.n : 1;
		if (plen > NT_PATH_MAX) {
			deny(c, 400, "path too long");
			return;
		}
		c->path = malloc(plen + 1);
		if (!c->path) {
			reply(c, 503, "out of memory");
			return;
		}
		if (nt_path_canon(t.path.n ? t.path.p : "/", plen, c->path, plen + 1, &c->path_len) < 0) {
			c->path_len = 0;
			free(c->path);
			c->path = NULL;
			deny(c, 400, "malformed path (dot segments, empty segments, bad escapes or "
			             "characters)");
			return;
		}
	}

	struct nt_req q = {.host = t.host.p, .host_len = t.host.n, .port = t.port,
	                   .method = c->nt_method, .path = c->path, .path_len = c->path_len};
	struct nt_result res;
	nt_lookup(p->table, &q, &res);
	c->rule_id = res.rule_id;
	row_pos(p->table, res.row, c->pos, sizeof(c->pos));
	if (!res.allow) {
		if (res.rule_id)
			snprintf(why, sizeof(why), "denied by rule #%u (%s)", res.rule_id, c->pos);
		else if (c->tunnel)
			snprintf(why, sizeof(why), "no rule allows %s port %u", c->host, c->port);
		else
			snprintf(why, sizeof(why), "no rule allows %s %s port %u %s", c->method, c->host,
			         c->port, c->path);
		deny(c, 403, why);
		return;
	}
	c->tls_only = c->tunnel && res.tls_only;

	/* What goes upstream first: the rewritten head and the start of the
	 * body, or a tunnel's early bytes. */
	const char *left = c->in + head_len;
	size_t nleft = c->inlen - head_len;
	if (c->tunnel) {
		if (obuf_set(&c->uout, left, nleft, nleft + 64) < 0) {
			reply(c, 503, "out of memory");
			return;
		}
	} else {
		size_t cap = 2 * head_len + 1024 + PX_BODY_CHUNK + 64;
		size_t hl;
		c->uout.p = malloc(cap);
		if (!c->uout.p) {
			reply(c, 503, "out of memory");
			return;
		}
		c->uout.cap = cap;
		if (http_upstream_head(&r, &t, c->path, c->path_len, body, blen, c->uout.p, cap, &hl) < 0) {
			deny(c, 431, "request head too large to forward");
			return;
		}
		c->uout.len = hl;
		c->body = body;
		c->body_left = blen;
		c->body_done = body == HTTP_BODY_NONE;
		if (!c->body_done && body_feed(c, (const uint8_t *)left, nleft) < 0) {
			deny(c, 400, "malformed chunked body");
			return;
		}
		if (c->c_eof && !c->body_done) {
			deny(c, 400, "the client closed before the request body ended");
			return;
		}
	}
	free(c->in);
	c->in = NULL;

	if (kind != NT_HOST_NAME) {
		const char *w;
		uint32_t rule;
		int fam = kind == NT_HOST_IPV4 ? AF_INET : AF_INET6;
		set_addr(&c->addr[0], fam, addr, c->port);
		if (!nt_check_addr(p->table, fam, addr, c->port, c->nt_method, c->path, c->path_len, &w,
		                   &rule)) {
			addr_refusal(c, &c->addr[0], w, rule, why, sizeof(why));
			c->rule_id = rule;
			if (!rule)
				c->pos[0] = '\0';
			deny(c, 403, why);
			return;
		}
		c->naddr = 1;
		start_dial(c);
		return;
	}
	submit(c);
}

static void read_head(struct conn *c)
{
	struct px *p = c->px;
	long e = 0;
	/* Stop at the end of the head rather than at EAGAIN: the head usually
	 * comes in one segment, and the extra recv would only say "no more". */
	while (e == 0 && c->inlen < p->head_max && !c->c_eof) {
		ssize_t n = recv(c->cfd, c->in + c->inlen, p->head_max - c->inlen, 0);
		if (n > 0) {
			c->inlen += (size_t)n;
			e = http_head_end(c->in, c->inlen, p->head_max, &c->scan);
			continue;
		}
		if (n == 0) {
			c->c_eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		conn_close(c);
		return;
	}
	if (e == 0)
		e = http_head_end(c->in, c->inlen, p->head_max, &c->scan);
	if (e > 0) {
		decide(c, (size_t)e);
		return;
	}
	if (e < 0) {
		deny(c, (int)-e, e == -431 ? "request head too large" : "bare LF in the request head");
		return;
	}
	if (c->c_eof)
		conn_close(c); /* gave up before finishing the head */
}

/* ---- the loop ------------------------------------------------------------------------ */

static void on_accept(struct px *p)
{
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(p->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* The pending connection stays readable: stop listening for a
				 * moment rather than spinning on it. */
				if (epoll_ctl(p->ep, EPOLL_CTL_DEL, p->lfd, NULL) == 0)
					p->listening = false;
				p->listen_resume = p->now + PX_ACCEPT_PAUSE_MS;
				if (p->listen_resume < p->next_sweep)
					p->next_sweep = p->listen_resume;
				log_event(p, NULL, "limit", "out of descriptors: accepting paused");
			}
			return;
		}
		p->st.accepted++;
		if (p->nconns >= p->max_conns) {
			static const char busy[] =
			        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
			        "Content-Length: 27\r\nConnection: close\r\n\r\npolc: too many connections\n";
			(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			p->st.refused_limit++;
			log_event(p, NULL, "limit", "too many connections: refused one");
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		char *in = malloc(p->head_max);
		if (!c || !in) {
			free(c);
			free(in);
			close(fd);
			continue;
		}
		if (p->untuned) {
			tune_socket(fd, &peer);
			if (p->untuned != UINT_MAX)
				p->untuned--;
		}
		c->px = p;
		c->ec = (struct ep){c, SIDE_CLIENT};
		c->eu = (struct ep){c, SIDE_UP};
		c->cfd = fd;
		c->ufd = -1;
		c->c2u = c->u2c = (struct pdir){.pr = -1, .pw = -1};
		c->in = in;
		c->st = C_HEAD;
		c->next = p->conns;
		if (p->conns)
			p->conns->prev = c;
		p->conns = c;
		p->nconns++;
		set_deadline(c, p->head_ms);
		if (watch(c, SIDE_CLIENT, EPOLLIN) < 0)
			conn_close(c);
		else
			read_head(c); /* the request often arrived with the connection */
	}
}

static void on_resolver(struct px *p)
{
	uint64_t v;
	if (read(p->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&p->mu);
	struct job *list = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->mu);
	while (list) {
		struct job *j = list;
		list = j->next;
		struct conn *c = j->c;
		if (c) {
			c->job = NULL;
			if (c->st == C_RESOLVE)
				resolved(c, j);
		}
		free(j);
	}
}

static void on_conn(struct conn *c, int side, uint32_t ev)
{
	switch (c->st) {
	case C_HEAD:
		if (side == SIDE_CLIENT)
			read_head(c);
		break;
	case C_DIAL:
		if (side == SIDE_UP)
			on_dial(c);
		break;
	case C_RELAY:
		if (side == SIDE_UP && (ev & EPOLLIN))
			c->u2c.swept = 0; /* the kernel woke the proxy: a full batch, or the end */
		pump(c, side == SIDE_CLIENT ? ev : 0, side == SIDE_UP ? ev : 0);
		break;
	case C_REPLY:
		if (side == SIDE_CLIENT)
			reply_flush(c);
		break;
	case C_LINGER: {
		char tmp[4096];
		for (;;) {
			ssize_t n = recv(c->cfd, tmp, sizeof(tmp), 0);
			if (n > 0 && (c->discarded += (size_t)n) < PX_DISCARD_MAX)
				continue;
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			conn_close(c); /* EOF, error, or enough discarded */
			break;
		}
		break;
	}
	default: break;
	}
}

static void sweep(struct px *p)
{
	uint64_t next = UINT64_MAX;
	if (!p->listening && p->now >= p->listen_resume) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &p->el};
		if (epoll_ctl(p->ep, EPOLL_CTL_ADD, p->lfd, &ev) == 0 || errno == EEXIST)
			p->listening = true;
		else
			p->listen_resume = p->now + PX_ACCEPT_PAUSE_MS;
	}
	if (!p->listening)
		next = p->listen_resume;
	for (struct conn *c = p->conns, *nx; c; c = nx) {
		nx = c->next;
		if (p->now < c->deadline) {
			if (c->deadline < next)
				next = c->deadline;
			continue;
		}
		switch (c->st) {
		case C_HEAD:
			log_event(p, c, "timeout", "request head not complete in time");
			reply(c, 408, "request head not complete in time");
			break;
		case C_RESOLVE:
		case C_DIAL:
			log_event(p, c, "timeout", "resolving or connecting took too long");
			reply(c, 504, "upstream did not answer in time");
			break;
		case C_RELAY:
			log_event(p, c, "timeout", c->sniff ? "tunnel idle before its first bytes" : "idle relay");
			conn_close(c);
			break;
		default: conn_close(c); break;
		}
		if (c->st != C_DEAD && c->deadline < next)
			next = c->deadline;
	}
	p->next_sweep = next;
}

/* Microseconds until the next deadline or batch sweep, -1 if none. */
static int64_t next_wait_us(const struct px *p)
{
	uint64_t now = now_us(), at = UINT64_MAX;
	if (p->next_sweep != UINT64_MAX)
		at = p->next_sweep * 1000;
	if (p->nbatch && p->batch_check + PX_BATCH_WAIT_US / 2 < at)
		at = p->batch_check + PX_BATCH_WAIT_US / 2;
	if (at == UINT64_MAX)
		return -1;
	if (at <= now)
		return 0;
	return at - now > INT64_MAX ? INT64_MAX : (int64_t)(at - now);
}

/* epoll_pwait2 for its microseconds; epoll_wait, rounding up to whole
 * milliseconds, where it is refused (kernels before 5.11, or a seccomp
 * profile that predates it), so a batch then waits up to ~1 ms more. */
static int ep_wait(struct px *p, struct epoll_event *ev, int max, int64_t wait_us)
{
	if (!p->no_pwait2) {
		struct timespec ts = {.tv_sec = wait_us / 1000000, .tv_nsec = wait_us % 1000000 * 1000};
		int n = epoll_pwait2(p->ep, ev, max, wait_us < 0 ? NULL : &ts, NULL);
		if (n >= 0 || (errno != ENOSYS && errno != EPERM))
			return n;
		p->no_pwait2 = true;
	}
	int64_t ms = wait_us < 0 ? -1 : (wait_us + 999) / 1000;
	return epoll_wait(p->ep, ev, max, ms > INT32_MAX ? INT32_MAX : (int)ms);
}

int px_poll(struct px *p, int timeout_ms)
{
	int64_t until = next_wait_us(p);
	int64_t wait = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000;
	if (until >= 0 && (wait < 0 || until < wait))
		wait = until;
	struct epoll_event ev[64];
	int n = ep_wait(p, ev, 64, wait);
	if (n < 0 && errno != EINTR)
		return -1;
	p->now_us = now_us();
	p->now = p->now_us / 1000;
	int caller = 0;
	for (int i = 0; i < n; i++) {
		struct ep *e = ev[i].data.ptr;
		if (e->side >= SIDE_CALLER)
			caller |= 1 << (e->side - SIDE_CALLER);
		else if (e->side == SIDE_LISTEN)
			on_accept(p);
		else if (e->side == SIDE_RESOLVER)
			on_resolver(p);
		else if (e->c->st != C_DEAD)
			on_conn(e->c, e->side, ev[i].events);
	}
	if (p->now >= p->next_sweep)
		sweep(p);
	if (p->nbatch && p->now_us - p->batch_check >= PX_BATCH_WAIT_US / 2)
		batch_sweep(p);
	while (p->grave) {
		struct conn *c = p->grave;
		p->grave = c->next;
		free(c);
	}
	return n < 0 ? 0 : caller;
}

int px_watch(struct px *p, int fd, unsigned bit)
{
	int i = __builtin_ctz(bit | 1u << PX_CALLER_FDS);
	if (bit != 1u << i || i >= PX_CALLER_FDS) {
		errno = EINVAL;
		return -1;
	}
	p->ecaller[i] = (struct ep){NULL, SIDE_CALLER + i};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &p->ecaller[i]};
	return epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- resolver threads ------------------------------------------------------------------ */

static void *resolver_main(void *arg)
{
	struct px *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->q_head && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		struct job *j = p->q_head;
		p->q_head = j->next;
		if (!p->q_head)
			p->q_tail = NULL;
		j->next = NULL;
		pthread_mutex_unlock(&p->mu);

		if (p->resolve) {
			int n = 0;
			j->gai = p->resolve(p->resolve_ctx, j->host, j->addr, PX_MAX_ADDRS, &n);
			j->naddr = 0;
			for (int i = 0; !j->gai && i < n && i < PX_MAX_ADDRS; i++)
				if (j->addr[i].ss_family == AF_INET || j->addr[i].ss_family == AF_INET6)
					j->addr[j->naddr++] = j->addr[i];
		} else {
			struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
			struct addrinfo *res = NULL;
			j->gai = getaddrinfo(j->host, NULL, &hints, &res);
			for (struct addrinfo *ai = res; ai && j->naddr < PX_MAX_ADDRS; ai = ai->ai_next)
				if ((ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) ||
				    (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)))
					memcpy(&j->addr[j->naddr++], ai->ai_addr, ai->ai_addrlen);
			if (res)
				freeaddrinfo(res);
		}
		if (!j->gai && !j->naddr)
			j->gai = EAI_NONAME;

		pthread_mutex_lock(&p->mu);
		j->next = p->done;
		p->done = j;
		pthread_mutex_unlock(&p->mu);
		uint64_t one = 1;
		/* Cannot fail short of a counter overflow; the main loop also
		 * drains the done list on every wake-up. */
		(void)!write(p->evfd, &one, sizeof(one));
	}
}

/* ---- public -------------------------------------------------------------------------- */

struct px *px_new(const struct px_config *cfg, char *err, size_t errlen)
{
	if (cfg->listen_fd < 0 || !cfg->table) {
		snprintf(err, errlen, "proxy: no listening socket or no table");
		return NULL;
	}
	struct px *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "proxy: out of memory");
		return NULL;
	}
	p->lfd = cfg->listen_fd;
	p->ep = p->evfd = -1;
	p->table = cfg->table;
	p->log = cfg->log;
	p->log_ctx = cfg->log_ctx;
	p->resolve = cfg->resolve;
	p->resolve_ctx = cfg->resolve_ctx;
	p->max_conns = cfg->max_conns ? cfg->max_conns : 512;
	p->head_max = cfg->head_max ? cfg->head_max : HTTP_HEAD_MAX;
	p->head_ms = cfg->head_timeout_ms ? cfg->head_timeout_ms : 10000;
	p->dial_ms = cfg->dial_timeout_ms ? cfg->dial_timeout_ms : 10000;
	p->idle_ms = cfg->idle_timeout_ms ? cfg->idle_timeout_ms : 300000;
	unsigned nres = cfg->resolvers ? cfg->resolvers : 2;
	if (nres > PX_MAX_RESOLVERS)
		nres = PX_MAX_RESOLVERS;
	p->el = (struct ep){NULL, SIDE_LISTEN};
	p->er = (struct ep){NULL, SIDE_RESOLVER};
	p->next_sweep = UINT64_MAX;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);

	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sa.sa_flags = 0;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGPIPE, &sa, NULL) < 0)
			goto fail_errno;
	}
	int fl = fcntl(p->lfd, F_GETFL);
	if (fl < 0 || fcntl(p->lfd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto fail_errno;
	tune_listener(p);
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	p->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->ep < 0 || p->evfd < 0)
		goto fail_errno;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &p->el};
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, p->lfd, &ev) < 0)
		goto fail_errno;
	p->listening = true;
	ev.data.ptr = &p->er;
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, p->evfd, &ev) < 0)
		goto fail_errno;
	/* Resolver threads take no signals: runmin handles them in its loop. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < nres; i++) {
		int e = pthread_create(&p->th[i], NULL, resolver_main, p);
		if (e) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			errno = e;
			goto fail_errno;
		}
		p->nth++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p;
fail_errno:
	snprintf(err, errlen, "proxy: %s", strerror(errno));
	px_free(p);
	return NULL;
}

void px_set_table(struct px *p, const struct nt *t) { p->table = t; }

void px_get_stats(const struct px *p, struct px_stats *s)
{
	*s = p->st;
	s->batching = p->nbatch;
	s->conns = p->nconns;
	s->tunnels = 0;
	for (const struct conn *c = p->conns; c; c = c->next)
		s->tunnels += c->st == C_RELAY;
}

void px_free(struct px *p)
{
	if (!p)
		return;
	while (p->conns)
		conn_close(p->conns);
	while (p->grave) {
		struct conn *c = p->grave;
		p->grave = c->next;
		free(c);
	}
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	for (struct job *j = p->q_head, *n; j; j = n) {
		n = j->next;
		free(j);
	}
	for (struct job *j = p->done, *n; j; j = n) {
		n = j->next;
		free(j);
	}
	if (p->ep >= 0)
		close(p->ep);
	if (p->evfd >= 0)
		close(p->evfd);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
