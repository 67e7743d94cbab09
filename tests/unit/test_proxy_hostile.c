/* test_proxy_hostile.c — the supervisor proxy (proxy.h) under attack, on
 * loopback only: request smuggling (conflicting and duplicate framing
 * headers, odd spellings of them), header floods, slowloris, half-closed
 * and reset tunnels, 10 000 connections opened and dropped.
 *
 * The proxy runs in a child process (as in runmin, the supervisor is its own
 * process); the test reads that process's /proc/PID/fd and /proc/PID/status
 * directly and asks px_get_stats over a pipe.  After every attack:
 *   - the proxy is still running,
 *   - its descriptors are back to the count before the attack and it holds
 *     no connection,
 *   - its peak RSS stayed under a bound,
 *   - it still decides: an allowed request reaches the upstream (200), a
 *     denied one gets 403 and never reaches it, a tunnel still relays.
 * Smuggling has one oracle for every case: the proxy refuses the request,
 * or the upstream receives exactly one request with one framing header and
 * nothing after its body (never the "evil" request hidden behind it);
 * requests with conflicting or duplicate framing headers must be refused. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "nt_testlib.h"
#include "proxy.h"

#define HEAD_MS 600  /* head deadline from accept (slowloris) */
#define IDLE_MS 1000 /* idle relay timeout (half-closed tunnels) */
#define MAX_CONNS 600
/* Memory bounds on the proxy process; an ASan build keeps much more resident. */
#if defined(__SANITIZE_ADDRESS__)
#define MEM_SCALE 8
#else
#define MEM_SCALE 1
#endif
#define HWM_MAX_KB (96 * 1024 * MEM_SCALE) /* peak RSS of the proxy process */

/* ---- small socket helpers ---------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int listen_lo(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&s, sizeof(s)), 0);
	ck_assert_int_eq(listen(fd, 4096), 0);
	socklen_t len = sizeof(s);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&s, &len), 0);
	*port = ntohs(s.sin_port);
	return fd;
}

/* Connects to loopback:port; -1 when the connection cannot be made. */
static int dial_try(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0) {
		close(fd);
		return -1;
	}
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int dial(uint16_t port)
{
	int fd = dial_try(port);
	ck_assert_msg(fd >= 0, "connect to %u: %s", port, strerror(errno));
	return fd;
}

/* Sends all of it, or stops quietly when the peer is gone (the proxy may
 * answer and close before a hostile request is complete). */
static bool send_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		b += k;
		n -= (size_t)k;
	}
	return true;
}

static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return n;
}

static size_t read_head(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t k = recv(fd, buf + n, 1, 0);
		if (k <= 0)
			break;
		n++;
		buf[n] = '\0';
		if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	buf[n] = '\0';
	return n;
}

static int status_of(const char *resp)
{
	int st = 0;
	return sscanf(resp, "HTTP/1.%*d %d", &st) == 1 ? st : 0;
}

static void reset_close(int fd) /* close with RST, no FIN, no TIME_WAIT */
{
	struct linger l = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* ---- upstreams (threads of the test process, started after the fork) -------------- */

/* Recording HTTP server: reads what one connection sends until the request
 * is complete by its own (lenient, backend-like) framing, then whatever
 * else arrives within 150 ms; answers "ok" and closes. */
struct hsrv {
	int lfd;
	uint16_t port;
	pthread_t th;
	atomic_int stop, requests;
	pthread_mutex_t mu;
	char got[70000];
	size_t len;
};

static void *hsrv_main(void *arg)
{
	struct hsrv *h = arg;
	static char b[sizeof(h->got)];
	while (!h->stop) {
		struct pollfd pf = {h->lfd, POLLIN, 0};
		if (poll(&pf, 1, 50) <= 0)
			continue;
		int fd = accept4(h->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		size_t n = 0;
		double t0 = now_s();
		/* everything the proxy sends on this connection, bounded in time */
		for (;;) {
			struct pollfd pc = {fd, POLLIN, 0};
			int r = poll(&pc, 1, strstr(b, "\r\n\r\n") ? 150 : 1000);
			if (r <= 0 || now_s() - t0 > 3)
				break;
			ssize_t k = recv(fd, b + n, sizeof(b) - 1 - n, MSG_DONTWAIT);
			if (k <= 0)
				break;
			n += (size_t)k;
			b[n] = '\0';
			if (n + 1 >= sizeof(b))
				break;
		}
		b[n] = '\0';
		pthread_mutex_lock(&h->mu);
		memcpy(h->got, b, n + 1);
		h->len = n;
		h->requests++;
		pthread_mutex_unlock(&h->mu);
		memset(b, 0, n + 1);
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
		send_all(fd, ok, sizeof(ok) - 1);
		close(fd);
	}
	return NULL;
}

/* Tunnel upstream.  ECHO echoes and closes on EOF; SINK reads and never
 * closes nor answers (a peer that keeps a half-closed tunnel open);
 * STREAM writes without end until the peer goes away. */
enum tmode { T_ECHO, T_SINK, T_STREAM };
struct tsrv {
	int lfd;
	uint16_t port;
	enum tmode mode;
	pthread_t th;
	atomic_int stop, accepted;
};

static void *tsrv_main(void *arg)
{
	struct tsrv *s = arg;
	enum { MAXC = 512 };
	int c[MAXC], nc = 0, parked[MAXC], np = 0;
	char b[16384];
	memset(b, 's', sizeof(b));
	while (!s->stop) {
		struct pollfd pf[MAXC + 1];
		pf[0] = (struct pollfd){s->lfd, POLLIN, 0};
		for (int i = 0; i < nc; i++)
			pf[i + 1] = (struct pollfd){c[i], (short)(s->mode == T_STREAM ? POLLIN | POLLOUT : POLLIN), 0};
		if (poll(pf, (nfds_t)nc + 1, 50) <= 0)
			continue;
		if (pf[0].revents & POLLIN) {
			int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0 && nc < MAXC) {
				c[nc++] = fd;
				s->accepted++;
			} else if (fd >= 0)
				close(fd);
		}
		for (int i = nc - 1; i >= 0; i--) {
			short re = pf[i + 1].revents;
			if (!re)
				continue;
			bool gone = false, park = false;
			if (re & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t k = recv(c[i], b, sizeof(b), 0);
				if (k > 0 && s->mode == T_ECHO)
					send_all(c[i], b, (size_t)k);
				if (k < 0)
					gone = errno != EAGAIN && errno != EINTR;
				else if (k == 0)
					park = s->mode == T_SINK, gone = !park;
			}
			if (!gone && !park && s->mode == T_STREAM && (re & POLLOUT)) {
				ssize_t k = send(c[i], b, 4096, MSG_NOSIGNAL | MSG_DONTWAIT);
				gone = k < 0 && errno != EAGAIN;
			}
			if (park && np < MAXC)
				parked[np++] = c[i]; /* half-closed by the peer: never close our side */
			else if (gone || park)
				close(c[i]);
			if (gone || park)
				c[i] = c[--nc];
		}
	}
	for (int i = 0; i < nc; i++)
		close(c[i]);
	for (int i = 0; i < np; i++)
		close(parked[i]);
	return NULL;
}

/* ---- the proxy in a child process --------------------------------------------------- */

struct fx {
	pid_t pid;
	int ctl, ans;
	uint16_t port;
	struct hsrv hs;
	struct tsrv echo, sink, stream;
	struct ntt *x;
	int base_fds;
	long base_rss;
};

static int fx_resolve(void *ctx, const char *host, struct sockaddr_storage *out, int max, int *n)
{
	(void)ctx, (void)host, (void)out, (void)max;
	*n = 0;
	return EAI_NONAME; /* no DNS queries from tests */
}

static void child(struct px *p, int ctl, int ans)
{
	if (px_watch(p, ctl, 1) < 0)
		_exit(3);
	for (;;) {
		int ready = px_poll(p, -1);
		if (ready < 0)
			_exit(3);
		if (!(ready & 1))
			continue;
		char cmd;
		if (read(ctl, &cmd, 1) != 1)
			_exit(0);
		long v[4] = {0, 0, 0, 0};
		struct px_stats st;
		px_get_stats(p, &st);
		v[0] = st.conns;
		v[1] = st.tunnels;
		v[2] = (long)st.accepted;
		v[3] = (long)st.refused_limit;
		if (cmd == 'q')
			px_free(p);
		if (write(ans, v, sizeof(v)) != sizeof(v))
			_exit(4);
		if (cmd == 'q')
			_exit(0);
	}
}

static void stats(struct fx *f, long v[4])
{
	char cmd = 's';
	ck_assert_int_eq(write(f->ctl, &cmd, 1), 1);
	ck_assert_int_eq(read(f->ans, v, 4 * sizeof(long)), 4 * (long)sizeof(long));
}

static int proc_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static long proc_kb(pid_t pid, const char *field) /* VmRSS, VmHWM */
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	long v = -1;
	size_t fl = strlen(field);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0 && line[fl] == ':')
			v = strtol(line + fl + 1, NULL, 10);
	fclose(f);
	return v;
}

static void alive(struct fx *f)
{
	int st;
	ck_assert_msg(waitpid(f->pid, &st, WNOHANG) == 0, "the proxy process died (status 0x%x)", st);
}

static void tsrv_init(struct tsrv *s, enum tmode m)
{
	memset(s, 0, sizeof(*s));
	s->mode = m;
	s->lfd = listen_lo(&s->port);
}

static void fx_start(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->hs.lfd = listen_lo(&f->hs.port);
	pthread_mutex_init(&f->hs.mu, NULL);
	tsrv_init(&f->echo, T_ECHO);
	tsrv_init(&f->sink, T_SINK);
	tsrv_init(&f->stream, T_STREAM);
	char p[64];
	f->x = ntt_new();
	snprintf(p, sizeof(p), "%u", f->hs.port);
	ntt_rule(f->x, "allow", "127.0.0.1", p, "GET,POST,PUT", "/ok/**");
	ntt_rule(f->x, "deny", "127.0.0.1", p, NULL, "/ok/secret/**");
	snprintf(p, sizeof(p), "%u,%u,%u", f->echo.port, f->sink.port, f->stream.port);
	ntt_rule(f->x, "allow", "127.0.0.1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(f->x), 1);

	int c[2], a[2];
	ck_assert_int_eq(pipe2(c, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(a, O_CLOEXEC), 0);
	int lfd = listen_lo(&f->port);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		close(c[1]);
		close(a[0]);
		/* the upstreams' listening sockets belong to the test process */
		close(f->hs.lfd);
		close(f->echo.lfd);
		close(f->sink.lfd);
		close(f->stream.lfd);
		struct px_config cfg = {.listen_fd = lfd,
		                        .table = &f->x->t,
		                        .max_conns = MAX_CONNS,
		                        .head_timeout_ms = HEAD_MS,
		                        .dial_timeout_ms = 2000,
		                        .idle_timeout_ms = IDLE_MS,
		                        .resolve = fx_resolve};
		char err[256];
		struct px *px = px_new(&cfg, err, sizeof(err));
		if (!px) {
			fprintf(stderr, "px_new: %s\n", err);
			_exit(2);
		}
		child(px, c[0], a[1]);
	}
	close(lfd);
	close(c[0]);
	close(a[1]);
	f->ctl = c[1];
	f->ans = a[0];
	/* Threads only after the fork: the child must not inherit a lock. */
	ck_assert_int_eq(pthread_create(&f->hs.th, NULL, hsrv_main, &f->hs), 0);
	ck_assert_int_eq(pthread_create(&f->echo.th, NULL, tsrv_main, &f->echo), 0);
	ck_assert_int_eq(pthread_create(&f->sink.th, NULL, tsrv_main, &f->sink), 0);
	ck_assert_int_eq(pthread_create(&f->stream.th, NULL, tsrv_main, &f->stream), 0);
	long v[4];
	stats(f, v); /* the child is up and polling */
	f->base_fds = proc_fds(f->pid);
	f->base_rss = proc_kb(f->pid, "VmRSS");
}

static void tsrv_stop(struct tsrv *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static void fx_stop(struct fx *f)
{
	char cmd = 'q';
	long v[4];
	ck_assert_int_eq(write(f->ctl, &cmd, 1), 1);
	ck_assert_int_eq(read(f->ans, v, sizeof(v)), (long)sizeof(v));
	int st;
	waitpid(f->pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(f->ctl);
	close(f->ans);
	f->hs.stop = 1;
	pthread_join(f->hs.th, NULL);
	close(f->hs.lfd);
	tsrv_stop(&f->echo);
	tsrv_stop(&f->sink);
	tsrv_stop(&f->stream);
	ntt_free(f->x);
}

/* One plain request; the whole response in resp, its status returned. */
static int plain(struct fx *f, const char *req, size_t len, char *resp, size_t cap)
{
	int fd = dial(f->port);
	send_all(fd, req, len);
	read_all(fd, resp, cap);
	close(fd);
	return status_of(resp);
}

/* The proxy is up, holds nothing, is back to its descriptors, and still
 * decides correctly. */
static void still_deciding(struct fx *f, const char *after)
{
	alive(f);
	long v[4];
	double t0 = now_s();
	int fds;
	/* connections end by their own timeouts (head, idle): wait for them */
	do {
		usleep(20000);
		stats(f, v);
		fds = proc_fds(f->pid);
	} while ((v[0] != 0 || fds != f->base_fds) && now_s() - t0 < 3.0 + IDLE_MS / 1000.0);
	ck_assert_msg(v[0] == 0, "after %s: %ld connections still open", after, v[0]);
	ck_assert_msg(fds == f->base_fds, "after %s: %d descriptors, %d before", after, fds,
	              f->base_fds);
	long hwm = proc_kb(f->pid, "VmHWM");
	ck_assert_msg(hwm > 0 && hwm < HWM_MAX_KB, "after %s: peak RSS %ld KiB", after, hwm);

	char req[512], resp[4096];
	int before = f->hs.requests;
	int n = snprintf(req, sizeof(req),
	                 "GET http://127.0.0.1:%u/ok/fine HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
	                 f->hs.port, f->hs.port);
	ck_assert_msg(plain(f, req, (size_t)n, resp, sizeof(resp)) == 200, "after %s: allowed: %s",
	              after, resp);
	ck_assert_int_eq(f->hs.requests, before + 1);
	pthread_mutex_lock(&f->hs.mu);
	ck_assert_ptr_nonnull(strstr(f->hs.got, "GET /ok/fine HTTP/1.1\r\n"));
	pthread_mutex_unlock(&f->hs.mu);
	n = snprintf(req, sizeof(req),
	             "GET http://127.0.0.1:%u/ok/secret/x HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
	             f->hs.port, f->hs.port);
	ck_assert_msg(plain(f, req, (size_t)n, resp, sizeof(resp)) == 403, "after %s: denied: %s",
	              after, resp);
	n = snprintf(req, sizeof(req),
	             "DELETE http://127.0.0.1:%u/ok/x HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
	             f->hs.port, f->hs.port);
	ck_assert_int_eq(plain(f, req, (size_t)n, resp, sizeof(resp)), 403);
	ck_assert_int_eq(f->hs.requests, before + 1);
	/* and a tunnel still relays */
	int fd = dial(f->port);
	n = snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", f->echo.port);
	send_all(fd, req, (size_t)n);
	read_head(fd, resp, sizeof(resp));
	ck_assert_msg(status_of(resp) == 200, "after %s: tunnel: %s", after, resp);
	send_all(fd, "ping", 4);
	char got[8] = {0};
	size_t k = 0;
	while (k < 4) {
		ssize_t r = recv(fd, got + k, 4 - k, 0);
		if (r <= 0)
			break;
		k += (size_t)r;
	}
	ck_assert_str_eq(got, "ping");
	close(fd);
}

/* ---- smuggling --------------------------------------------------------------------- */

/* %1$u is the upstream port.  The "evil" request hides where one reading
 * of the framing would see a body and another a second request. */
#define EVIL "GET /ok/secret/evil HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" /* 49 bytes */
#define POST "POST http://127.0.0.1:%1$u/ok/a HTTP/1.1\r\nHost: 127.0.0.1:%1$u\r\n"
static const struct {
	const char *req;
	bool must_refuse;
} smuggle[] = {
	/* CL.TE and TE.CL */
	{POST "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n31\r\n" EVIL "\r\n0\r\n\r\n", true},
	{POST "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true},
	/* duplicate Content-Length, equal and different, in one field or two */
	{POST "Content-Length: 0\r\nContent-Length: 49\r\n\r\n" EVIL, true},
	{POST "Content-Length: 49\r\nContent-Length: 0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 0\r\ncontent-length: 0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 0, 49\r\n\r\n" EVIL, true},
	{POST "Content-Length: 49, 49\r\n\r\n" EVIL, false},
	/* Transfer-Encoding spellings a lenient server might read as chunked */
	{POST "Content-Length: 5\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\nTransfer-Encoding: chunked \r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Content-Length: 5\r\n\x0bTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" EVIL, true},
	{POST "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" EVIL, false},
	{POST "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n" EVIL, false},
	/* Content-Length spellings */
	{POST "Content-Length: +49\r\n\r\n" EVIL, false},
	{POST "Content-Length: -1\r\n\r\n" EVIL, false},
	{POST "Content-Length: 0x31\r\n\r\n" EVIL, false},
	{POST "Content-Length: 49 \r\n\r\n" EVIL, false},
	{POST "Content-Length: 0049\r\n\r\n" EVIL, false},
	{POST "Content-Length: 18446744073709551665\r\n\r\n" EVIL, false},
	{POST "Content-Length : 49\r\n\r\n" EVIL, false},
	{POST "Content-Length: 4\x01" "9\r\n\r\n" EVIL, false},
	/* chunk sizes */
	{POST "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" EVIL, false},
	{POST "Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n" EVIL, false},
	{POST "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n" EVIL, false},
	{POST "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n" EVIL, false},
	{POST "Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhello\r\n0\r\n\r\n" EVIL, false},
	{POST "Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n" EVIL, false},
	{POST "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n" EVIL, false},
	{POST "Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: " EVIL, false},
	/* requests lines and versions */
	{"POST http://127.0.0.1:%1$u/ok/a HTTP/1.0\r\nHost: 127.0.0.1:%1$u\r\nTransfer-Encoding: "
	 "chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" EVIL,
	 true},
	{"GET http://127.0.0.1:%1$u/ok/a HTTP/1.1\r\nHost: 127.0.0.1:%1$u\r\nContent-Length: 49\r\n\r\n" EVIL, false},
	{"GET http://127.0.0.1:%1$u/ok/a%%0d%%0aX-Injected:%%20y HTTP/1.1\r\nHost: 127.0.0.1:%1$u\r\n\r\n", false},
	{"GET http://127.0.0.1:%1$u/ok/a HTTP/1.1 \r\nHost: 127.0.0.1:%1$u\r\n\r\n" EVIL, false},
	{"GET  http://127.0.0.1:%1$u/ok/a HTTP/1.1\r\nHost: 127.0.0.1:%1$u\r\n\r\n" EVIL, false},
	{"GET http://127.0.0.1:%1$u/ok/a HTTP/1.1\r\nHost: 127.0.0.1:%1$u\r\nHost: 127.0.0.1:%1$u\r\n\r\n" EVIL, false},
	{"GET http://127.0.0.1:%1$u/ok/a HTTP/1.1\r\nHost: 127.0.0.1:%1$u\r\n\r\n" EVIL, false},
};
#undef POST

static size_t count(const char *hay, size_t n, const char *needle)
{
	size_t c = 0, l = strlen(needle);
	for (size_t i = 0; i + l <= n; i++)
		c += strncasecmp(hay + i, needle, l) == 0;
	return c;
}

START_TEST(request_smuggling)
{
	struct fx f;
	fx_start(&f);
	char req[4096], resp[4096];
	size_t passed = 0;
	char fwd[256] = "";
	for (size_t i = 0; i < sizeof(smuggle) / sizeof(smuggle[0]); i++) {
		/* \x01 in the table stands for a NUL byte */
		size_t n = (size_t)snprintf(req, sizeof(req), smuggle[i].req, f.hs.port);
		for (size_t k = 0; k < n; k++)
			if (req[k] == '\x01')
				req[k] = '\0';
		int before = f.hs.requests;
		int st = plain(&f, req, n, resp, sizeof(resp));
		/* A forwarded request was answered by the upstream before the
		 * proxy answered us; a refused one was never dialed.  A moment
		 * for anything late all the same. */
		usleep(30000);
		int reached = f.hs.requests - before;
		pthread_mutex_lock(&f.hs.mu);
		char got[sizeof(f.hs.got)];
		size_t glen = reached ? f.hs.len : 0;
		memcpy(got, f.hs.got, glen);
		got[glen] = '\0';
		pthread_mutex_unlock(&f.hs.mu);
		if (smuggle[i].must_refuse)
			ck_assert_msg(st >= 400 && st < 600 && reached == 0,
			              "case %zu must be refused: status %d, upstream got %d request(s):\n%s", i,
			              st, reached, got);
		ck_assert_msg(reached <= 1, "case %zu: %d upstream connections", i, reached);
		if (st >= 400) {
			ck_assert_msg(reached == 0, "case %zu: refused with %d but the upstream got:\n%s", i,
			              st, got);
			continue;
		}
		ck_assert_msg(st == 200 && reached == 1, "case %zu: status %d, %d upstream requests", i, st,
		              reached);
		/* One request, one framing header, and that framing ends exactly
		 * where the bytes on the connection end: whatever follows the head
		 * (even text that looks like a request) is the body as framed. */
		const char *he = strstr(got, "\r\n\r\n");
		ck_assert_ptr_nonnull(he);
		size_t hl = (size_t)(he - got) + 4, body = glen - hl;
		ck_assert_msg(count(got, hl, "evil") == 0, "case %zu smuggled a request:\n%s", i, got);
		ck_assert_msg(count(got, hl, " HTTP/1.") == 1, "case %zu: several request lines:\n%s", i,
		              got);
		size_t cl = count(got, hl, "\r\ncontent-length:"),
		       te = count(got, hl, "\r\ntransfer-encoding:");
		ck_assert_msg(cl + te <= 1, "case %zu: %zu Content-Length and %zu Transfer-Encoding:\n%s", i,
		              cl, te, got);
		ck_assert_msg(count(got, hl, "\nx-injected") == 0, "case %zu: header injected:\n%s", i, got);
		if (cl) {
			const char *v = strcasestr(got, "\r\ncontent-length:") + 17;
			ck_assert_msg(strtoull(v, NULL, 10) == body, "case %zu: %zu body bytes:\n%s", i, body,
			              got);
		} else if (te) {
			ck_assert_ptr_nonnull(strcasestr(got, "\r\ntransfer-encoding: chunked\r\n"));
			size_t o = hl;
			for (;;) { /* strict chunk decoder: hex size CRLF data CRLF ... 0 CRLF CRLF */
				char *e;
				unsigned long long sz = strtoull(got + o, &e, 16);
				ck_assert_msg(e != got + o && e[0] == '\r' && e[1] == '\n',
				              "case %zu: bad chunk at %zu:\n%s", i, o, got);
				o = (size_t)(e - got) + 2;
				if (sz == 0)
					break;
				ck_assert_msg(sz <= glen - o && o + sz + 2 <= glen &&
				                      memcmp(got + o + sz, "\r\n", 2) == 0,
				              "case %zu: chunk of %llu at %zu:\n%s", i, sz, o, got);
				o += sz + 2;
			}
			ck_assert_msg(o + 2 == glen && memcmp(got + o, "\r\n", 2) == 0,
			              "case %zu: %zu bytes after the last chunk:\n%s", i, glen - o, got);
		} else
			ck_assert_msg(body == 0, "case %zu: %zu bytes after a body-less head:\n%s", i, body, got);
		passed++;
		size_t fl = strlen(fwd);
		snprintf(fwd + fl, sizeof(fwd) - fl, " %zu", i);
	}
	fprintf(stderr,
	        "request_smuggling: %zu cases, %zu refused, %zu forwarded unambiguously (cases%s)\n",
	        sizeof(smuggle) / sizeof(smuggle[0]), sizeof(smuggle) / sizeof(smuggle[0]) - passed,
	        passed, fwd);
	still_deciding(&f, "smuggling");
	fx_stop(&f);
}
END_TEST

/* ---- header floods ------------------------------------------------------------------- */

START_TEST(header_floods)
{
	struct fx f;
	fx_start(&f);
	char line[8192], resp[4096], start[256];
	int sl = snprintf(start, sizeof(start),
	                  "GET http://127.0.0.1:%u/ok/a HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n", f.hs.port,
	                  f.hs.port);
	/* 10 000 tiny headers */
	int fd = dial(f.port);
	send_all(fd, start, (size_t)sl);
	for (int i = 0; i < 10000; i++)
		if (!send_all(fd, "X: y\r\n", 6))
			break;
	send_all(fd, "\r\n", 2);
	read_all(fd, resp, sizeof(resp));
	ck_assert_int_eq(status_of(resp), 431);
	close(fd);
	/* one header line of 8 MiB, never ended */
	fd = dial(f.port);
	send_all(fd, start, (size_t)sl);
	send_all(fd, "X-Big: ", 7);
	memset(line, 'a', sizeof(line));
	size_t sent = 0;
	while (sent < (8u << 20) && send_all(fd, line, sizeof(line)))
		sent += sizeof(line);
	read_all(fd, resp, sizeof(resp));
	ck_assert_msg(status_of(resp) == 431, "8 MiB header line: %s", resp);
	ck_assert_msg(sent < (8u << 20), "the proxy read all of an 8 MiB head");
	close(fd);
	/* a huge request line */
	fd = dial(f.port);
	send_all(fd, "GET http://127.0.0.1/", 21);
	for (int i = 0; i < 256 && send_all(fd, line, sizeof(line)); i++)
		;
	read_all(fd, resp, sizeof(resp));
	ck_assert_int_eq(status_of(resp), 431);
	close(fd);
	/* 400 connections at once, each with a head just under the limit,
	 * never finished: memory stays bounded, each is cut by the deadline */
	enum { N = 400 };
	static int fds[N];
	char hdr[HTTP_HEAD_MAX - 512];
	memset(hdr, 'h', sizeof(hdr));
	memcpy(hdr, "X-H: ", 5);
	long rss0 = proc_kb(f.pid, "VmRSS");
	for (int i = 0; i < N; i++) {
		fds[i] = dial(f.port);
		send_all(fds[i], start, (size_t)sl);
		send_all(fds[i], hdr, sizeof(hdr));
	}
	long v[4];
	usleep(100000);
	stats(&f, v);
	long rss1 = proc_kb(f.pid, "VmRSS");
	ck_assert_msg(v[0] == N, "%ld connections held, %d dialed", v[0], N);
	/* 400 x 16 KiB heads: about 6 MiB; allow the connection structures too */
	ck_assert_msg(rss1 - rss0 < 24 * 1024 * MEM_SCALE, "RSS grew by %ld KiB for %d pending heads", rss1 - rss0,
	              N);
	int cut = 0;
	for (int i = 0; i < N; i++) {
		read_all(fds[i], resp, sizeof(resp));
		cut += status_of(resp) == 408;
		close(fds[i]);
	}
	ck_assert_msg(cut == N, "%d of %d slow heads answered 408", cut, N);
	fprintf(stderr, "header_floods: %d pending 16 KiB heads took %ld KiB of RSS, all cut with 408\n",
	        N, rss1 - rss0);
	still_deciding(&f, "header floods");
	fx_stop(&f);
}
END_TEST

/* ---- slowloris ------------------------------------------------------------------------- */

START_TEST(slowloris)
{
	struct fx f;
	fx_start(&f);
	enum { N = 200 };
	static int fds[N];
	static double cut_at[N];
	static const char req[] = "GET http://127.0.0.1:1/ok/a HTTP/1.1\r\nHost: 127.0.0.1:1\r\n";
	double t0 = now_s();
	for (int i = 0; i < N; i++) {
		fds[i] = dial(f.port);
		cut_at[i] = 0;
	}
	/* one byte per connection per 100 ms (the deadline counts from accept,
	 * so trickling never extends it); meanwhile real requests get through */
	int live = N, served = 0;
	char resp[4096];
	for (size_t k = 0; live > 0 && now_s() - t0 < 10; k++) {
		for (int i = 0; i < N; i++) {
			if (cut_at[i] != 0)
				continue;
			char ch = req[k % (sizeof(req) - 1)];
			if (send(fds[i], &ch, 1, MSG_NOSIGNAL) != 1) {
				cut_at[i] = now_s() - t0;
				live--;
				continue;
			}
			struct pollfd pf = {fds[i], POLLIN, 0};
			if (poll(&pf, 1, 0) > 0) {
				ssize_t r = recv(fds[i], resp, sizeof(resp) - 1, MSG_DONTWAIT);
				resp[r > 0 ? r : 0] = '\0';
				ck_assert_msg(r <= 0 || status_of(resp) == 408, "slow client got: %s", resp);
				cut_at[i] = now_s() - t0;
				live--;
			}
		}
		if (served < 3) {
			char good[256];
			int n = snprintf(good, sizeof(good),
			                 "GET http://127.0.0.1:%u/ok/b HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
			                 f.hs.port, f.hs.port);
			ck_assert_int_eq(plain(&f, good, (size_t)n, resp, sizeof(resp)), 200);
			served++;
		}
		usleep(100000);
	}
	ck_assert_msg(live == 0, "%d slow clients still connected after 10 s", live);
	double worst = 0;
	for (int i = 0; i < N; i++) {
		close(fds[i]);
		worst = cut_at[i] > worst ? cut_at[i] : worst;
	}
	/* the head deadline is HEAD_MS from accept; allow for a loaded machine */
	ck_assert_msg(worst < HEAD_MS / 1000.0 + 2.5, "slowest cut after %.2f s", worst);
	fprintf(stderr, "slowloris: %d trickling clients all cut, the last after %.2f s (deadline %.1f s)\n",
	        N, worst, HEAD_MS / 1000.0);
	ck_assert_int_eq(served, 3);
	still_deciding(&f, "slowloris");
	fx_stop(&f);
}
END_TEST

/* ---- half-closed and reset tunnels ------------------------------------------------------ */

static int open_tunnel(struct fx *f, uint16_t port)
{
	int fd = dial(f->port);
	char req[128], head[512];
	int n = snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", port);
	send_all(fd, req, (size_t)n);
	read_head(fd, head, sizeof(head));
	if (status_of(head) != 200) {
		size_t hl = strlen(head);
		read_all(fd, head + hl, sizeof(head) - hl);
	}
	ck_assert_msg(status_of(head) == 200, "tunnel to %u: %s", port, head);
	return fd;
}

START_TEST(half_closed_tunnels)
{
	struct fx f;
	fx_start(&f);
	enum { N = 100, NS = 30 };
	static int a[N], b[NS], c[N];
	long v[4];
	/* the client half-closes, the upstream never does: the idle timeout ends it */
	for (int i = 0; i < N; i++) {
		a[i] = open_tunnel(&f, f.sink.port);
		send_all(a[i], "data", 4);
		shutdown(a[i], SHUT_WR);
	}
	/* the upstream streams without end, the client never reads, then resets */
	for (int i = 0; i < NS; i++)
		b[i] = open_tunnel(&f, f.stream.port);
	/* the client half-closes and never reads what the echo sends back */
	for (int i = 0; i < N; i++) {
		c[i] = open_tunnel(&f, f.echo.port);
		send_all(c[i], "echo me", 7);
		shutdown(c[i], SHUT_WR);
	}
	usleep(200000);
	stats(&f, v);
	ck_assert_msg(v[1] >= N + NS, "%ld tunnels relaying", v[1]);
	for (int i = 0; i < NS; i++)
		reset_close(b[i]);
	/* the half-closed ones time out without a byte either way */
	double t0 = now_s();
	do {
		usleep(50000);
		stats(&f, v);
	} while (v[0] > 0 && now_s() - t0 < IDLE_MS / 1000.0 + 4);
	ck_assert_msg(v[0] == 0, "%ld connections left %.1f s after the idle timeout", v[0],
	              now_s() - t0);
	/* the clients see the end of their tunnels */
	char buf[64];
	for (int i = 0; i < N; i++) {
		ck_assert_uint_eq(read_all(a[i], buf, sizeof(buf)), 0);
		close(a[i]);
		size_t got = read_all(c[i], buf, sizeof(buf));
		ck_assert_msg(got == 7 && !strcmp(buf, "echo me"), "echo through half-closed tunnel: %zu",
		              got);
		close(c[i]);
	}
	still_deciding(&f, "half-closed tunnels");
	fx_stop(&f);
}
END_TEST

/* ---- 10 000 connections opened and dropped ------------------------------------------------ */

START_TEST(ten_thousand_drops)
{
	struct fx f;
	fx_start(&f);
	enum { TOTAL = 10000, BATCH = 250 };
	static int fds[BATCH];
	char req[256];
	int n = snprintf(req, sizeof(req),
	                 "GET http://127.0.0.1:%u/ok/a HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n", f.hs.port,
	                 f.hs.port);
	long v0[4], v[4];
	stats(&f, v0);
	double t0 = now_s();
	int made = 0;
	for (int done = 0; done < TOTAL; done += BATCH) {
		int k = 0;
		for (; k < BATCH; k++) {
			fds[k] = dial_try(f.port);
			if (fds[k] < 0)
				break;
			made++;
			/* some say nothing, some half a head, some a CONNECT */
			switch (k % 4) {
			case 1: send_all(fds[k], req, (size_t)n); break;
			case 2: send_all(fds[k], "CONNECT 127.0.0.1:1 HT", 22); break;
			default: break;
			}
		}
		for (int i = 0; i < k; i++) {
			if (i % 2)
				reset_close(fds[i]);
			else
				close(fds[i]);
		}
		ck_assert_msg(now_s() - t0 < 60, "opening connections takes too long");
	}
	double dt = now_s() - t0;
	ck_assert_int_eq(made, TOTAL);
	/* all of them gone from the proxy soon after */
	double t1 = now_s();
	do {
		usleep(20000);
		stats(&f, v);
	} while ((v[0] != 0 || v[2] - v0[2] < TOTAL - v[3]) && now_s() - t1 < 5);
	fprintf(stderr,
	        "ten_thousand_drops: %d connections in %.2f s, proxy accepted %ld, refused at the "
	        "limit %ld, open %ld after %.2f s, peak RSS %ld KiB\n",
	        TOTAL, dt, v[2] - v0[2], v[3] - v0[3], v[0], now_s() - t1,
	        proc_kb(f.pid, "VmHWM"));
	ck_assert_msg(v[0] == 0, "%ld connections still open", v[0]);
	/* Every connection was taken off the listen queue (accepted or refused
	 * at the limit), so nothing lingers in the kernel for it either. */
	ck_assert_msg(v[2] - v0[2] >= TOTAL * 9 / 10, "only %ld of %d connections accepted",
	              v[2] - v0[2], TOTAL);
	still_deciding(&f, "10 000 dropped connections");
	fx_stop(&f);
}
END_TEST

int main(void)
{
	/* 400 held connections here and in the proxy, 300 tunnels (6 fds each) */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 8192) {
		rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	Suite *s = suite_create("proxy_hostile");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, request_smuggling);
	tcase_add_test(tc, header_floods);
	tcase_add_test(tc, slowloris);
	tcase_add_test(tc, half_closed_tunnels);
	tcase_add_test(tc, ten_thousand_drops);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
