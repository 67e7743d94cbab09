/* test_proxy.c — the supervisor proxy against real sockets, loopback only.
 *
 * Each test forks the proxy into a child process (as runmin's supervisor is
 * its own process) that runs px_poll and answers a control pipe (count open
 * descriptors, swap the table, stats); the test process is the agent's
 * client, and runs the upstream servers in threads: an echo server, a
 * "count then answer" server for half-close, and a recording HTTP server. */
#include <check.h>
#include <dirent.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "nt_testlib.h"
#include "proxy.h"

/* ---- helpers ------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int listen_on(int family, uint16_t *port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		len = sizeof(*s);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A loopback port nobody listens on. */
static uint16_t closed_port(void)
{
	uint16_t port;
	int fd = listen_on(AF_INET, &port);
	close(fd);
	return port;
}

static int dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&s, sizeof(s)), 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		ck_assert_msg(k > 0, "send: %s", strerror(errno));
		b += k;
		n -= (size_t)k;
	}
}
static void send_str(int fd, const char *s) { send_all(fd, s, strlen(s)); }

/* Reads until EOF (or error / timeout); NUL-terminates. */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return n;
}

/* Reads a response head (up to the empty line). */
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
	if (sscanf(resp, "HTTP/1.%*d %d", &st) != 1)
		return 0;
	return st;
}

static size_t read_n(int fd, char *buf, size_t want)
{
	size_t n = 0;
	while (n < want) {
		ssize_t k = recv(fd, buf + n, want - n, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	return n;
}

/* ---- upstream servers (threads of the test process) ---------------------------- */

enum srv_mode { SRV_ECHO, SRV_COUNT };

struct srv {
	int lfd, family;
	uint16_t port;
	enum srv_mode mode;
	pthread_t *th;
	atomic_int stop, accepted;
};

struct sconn {
	int fd;
	long count;
	bool used;
};

/* Server threads must not allocate: the test forks the proxy while they
 * run, and a child inheriting a lock taken mid-allocation could hang. */
static struct sconn sconns[2048];
static pthread_mutex_t sconn_mu = PTHREAD_MUTEX_INITIALIZER;

static struct sconn *sconn_get(void)
{
	struct sconn *c = NULL;
	pthread_mutex_lock(&sconn_mu);
	for (size_t i = 0; i < sizeof(sconns) / sizeof(sconns[0]) && !c; i++)
		if (!sconns[i].used) {
			c = &sconns[i];
			*c = (struct sconn){.used = true};
		}
	pthread_mutex_unlock(&sconn_mu);
	return c;
}

static void sconn_put(struct sconn *c)
{
	pthread_mutex_lock(&sconn_mu);
	c->used = false;
	pthread_mutex_unlock(&sconn_mu);
}

/* Threads are started only after the proxy's fork (see sconns). */
static pthread_t pending_th[8];
static void *(*pending_fn[8])(void *);
static void *pending_arg[8];
static int npending, nstarted;

static void defer_thread(pthread_t **th, void *(*fn)(void *), void *arg)
{
	ck_assert_int_lt(npending, 8);
	pending_fn[npending] = fn;
	pending_arg[npending] = arg;
	*th = &pending_th[npending++];
}

static void start_threads(void)
{
	for (; nstarted < npending; nstarted++)
		ck_assert_int_eq(pthread_create(&pending_th[nstarted], NULL, pending_fn[nstarted],
		                                pending_arg[nstarted]),
		                 0);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, s->lfd, &ev);
	static char buf[65536];
	while (!s->stop) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 50);
		for (int i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;
			if (!c) {
				int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
				if (fd < 0)
					continue;
				s->accepted++;
				c = sconn_get();
				if (!c) {
					close(fd);
					continue;
				}
				c->fd = fd;
				struct epoll_event e2 = {.events = EPOLLIN, .data.ptr = c};
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e2);
				continue;
			}
			ssize_t k = recv(c->fd, buf, sizeof(buf), 0);
			if (k > 0) {
				c->count += k;
				if (s->mode == SRV_ECHO)
					send_all(c->fd, buf, (size_t)k);
				continue;
			}
			if (s->mode == SRV_COUNT && k == 0) {
				char msg[64];
				snprintf(msg, sizeof(msg), "got %ld bytes", c->count);
				send_all(c->fd, msg, strlen(msg));
			}
			close(c->fd); /* also removes it from the epoll set */
			sconn_put(c);
		}
	}
	close(ep);
	return NULL;
}

static struct srv *srv_start(int family, enum srv_mode mode)
{
	struct srv *s = calloc(1, sizeof(*s));
	s->family = family;
	s->mode = mode;
	s->lfd = listen_on(family, &s->port);
	if (s->lfd < 0) {
		free(s);
		return NULL;
	}
	defer_thread(&s->th, srv_main, s);
	return s;
}

static void srv_stop(struct srv *s)
{
	if (!s)
		return;
	s->stop = 1;
	pthread_join(*s->th, NULL);
	close(s->lfd);
	free(s);
}

/* Recording HTTP server: reads one request (head + body by Content-Length
 * or chunked), keeps the bytes, then waits briefly to catch anything sent
 * after the body, answers "ok" and closes. */
struct hsrv {
	int lfd;
	uint16_t port;
	pthread_t *th;
	atomic_int stop, requests;
	pthread_mutex_t mu;
	char got[65536];
	size_t len;
	size_t extra; /* bytes that arrived after the request's end */
};

static void *hsrv_main(void *arg)
{
	struct hsrv *h = arg;
	while (!h->stop) {
		struct pollfd pf = {h->lfd, POLLIN, 0};
		if (poll(&pf, 1, 50) <= 0)
			continue;
		int fd = accept4(h->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		struct timeval tv = {2, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char b[65536];
		size_t n = 0, end = 0;
		while (n < sizeof(b) - 1) {
			ssize_t k = recv(fd, b + n, sizeof(b) - 1 - n, 0);
			if (k <= 0)
				break;
			n += (size_t)k;
			b[n] = '\0';
			char *he = strstr(b, "\r\n\r\n");
			if (!he)
				continue;
			size_t hl = (size_t)(he - b) + 4;
			char *cl = strcasestr(b, "\r\ncontent-length:");
			if (cl && cl < he) {
				size_t want = hl + strtoul(cl + 17, NULL, 10);
				if (n >= want) {
					end = want;
					break;
				}
			} else if (strcasestr(b, "\r\ntransfer-encoding: chunked") &&
			           strcasestr(b, "\r\ntransfer-encoding: chunked") < he) {
				char *z = strstr(he, "\r\n0\r\n\r\n");
				if (z) {
					end = (size_t)(z - b) + 7;
					break;
				}
			} else {
				end = hl;
				break;
			}
		}
		/* Anything more within 200 ms was forwarded beyond the request. */
		size_t extra = n > end ? n - end : 0;
		struct pollfd pc = {fd, POLLIN, 0};
		while (end && poll(&pc, 1, 200) > 0) {
			char t[4096];
			ssize_t k = recv(fd, t, sizeof(t), MSG_DONTWAIT);
			if (k <= 0)
				break;
			extra += (size_t)k;
		}
		pthread_mutex_lock(&h->mu);
		memcpy(h->got, b, end ? end : n);
		h->len = end ? end : n;
		h->got[h->len] = '\0';
		h->extra = extra;
		h->requests++;
		pthread_mutex_unlock(&h->mu);
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
		send_all(fd, ok, sizeof(ok) - 1);
		close(fd);
	}
	return NULL;
}

static struct hsrv *hsrv_start(void)
{
	struct hsrv *h = calloc(1, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	h->lfd = listen_on(AF_INET, &h->port);
	defer_thread(&h->th, hsrv_main, h);
	return h;
}

static void hsrv_stop(struct hsrv *h)
{
	h->stop = 1;
	pthread_join(*h->th, NULL);
	close(h->lfd);
	free(h);
}

/* ---- a resolver that sends no DNS queries ---------------------------------------- */

static void put_v4(struct sockaddr_storage *ss, const char *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, a, &s4->sin_addr);
}

/* Names under .test resolve here, like a hostile or misconfigured DNS
 * could answer; anything else does not resolve. */
static int fake_resolve(void *ctx, const char *host, struct sockaddr_storage *out, int max, int *n)
{
	(void)ctx;
	*n = 0;
	if (max < 2)
		return EAI_FAIL;
	if (strcmp(host, "metadata.test") == 0)
		put_v4(&out[(*n)++], "169.254.169.254");
	else if (strcmp(host, "loop.test") == 0)
		put_v4(&out[(*n)++], "127.0.0.1");
	else if (strcmp(host, "slow.test") == 0) {
		usleep(800000);
		put_v4(&out[(*n)++], "127.0.0.1");
	} else if (strcmp(host, "both.test") == 0) {
		put_v4(&out[(*n)++], "10.0.0.1");
		put_v4(&out[(*n)++], "127.0.0.1");
	} else
		return EAI_NONAME;
	return 0;
}

/* ---- the proxy, in a child process ------------------------------------------------ */

struct fx {
	pid_t pid;
	int ctl, ans; /* commands to the child, answers from it */
	uint16_t port;
	char log[64];
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

/* The proxy's connected TCP sockets: how many, how many with TCP_NODELAY,
 * how many with the "reno" congestion control and a TCP_NOTSENT_LOWAT of at
 * most 64 KiB (the host's default here is none). */
static void sock_opts(long v[3])
{
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; (e = readdir(d));) {
		int fd = atoi(e->d_name);
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int type = 0, one = 0;
		socklen_t tl = sizeof(type), ol = sizeof(one);
		char cc[16] = "";
		socklen_t cl = sizeof(cc);
		if (e->d_name[0] == '.' || fd == dirfd(d) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM ||
		    getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		v[0]++;
		if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, &ol) == 0 && one)
			v[1]++;
		unsigned lowat = 0;
		socklen_t ll = sizeof(lowat);
		if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &cl) == 0 && !strcmp(cc, "reno") &&
		    getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &ll) == 0 && lowat <= 65536)
			v[2]++;
	}
	closedir(d);
}

/* As runmin's supervisor: one px_poll sleeps for the proxy and the
 * control pipe (px_watch). */
static void child_loop(struct px *p, const struct nt *t2, int ctl, int ans)
{
	if (px_watch(p, ctl, 4) < 0)
		_exit(3);
	for (;;) {
		int ready = px_poll(p, -1);
		if (ready < 0)
			_exit(3);
		if (!(ready & 4))
			continue;
		char cmd;
		if (read(ctl, &cmd, 1) != 1)
			_exit(0);
		long v[3] = {0, 0, 0};
		struct px_stats st;
		switch (cmd) {
		case 'f':
			px_get_stats(p, &st);
			v[0] = count_fds();
			v[1] = st.conns;
			v[2] = st.tunnels;
			break;
		case 'r':
			px_set_table(p, t2);
			break;
		case 'q':
			px_free(p);
			v[0] = count_fds();
			break;
		case 's':
			sock_opts(v);
			break;
		case 'b':
			px_get_stats(p, &st);
			v[0] = (long)st.batches;
			v[1] = st.batching;
			break;
		}
		if (write(ans, v, sizeof(v)) != sizeof(v))
			_exit(4);
		if (cmd == 'q')
			_exit(0);
	}
}

/* Makes epoll_pwait2 fail with ENOSYS in this process (a proxy child), as
 * on kernels before 5.11 or under seccomp profiles that predate it.  The
 * child makes native system calls only, so the filter need not check the
 * architecture.  Exits if the refusal does not take. */
static bool child_refuse_pwait2;
static void refuse_epoll_pwait2(void)
{
	struct sock_filter f[] = {
	        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_pwait2, 0, 1),
	        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	struct epoll_event ev;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ||
	    epoll_pwait2(-1, &ev, 1, NULL, NULL) != -1 || errno != ENOSYS)
		_exit(5);
}

static struct fx proxy_start(const struct nt *t1, const struct nt *t2, struct px_config cfg)
{
	struct fx f;
	int c[2], a[2];
	ck_assert_int_eq(pipe2(c, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(a, O_CLOEXEC), 0);
	int lfd = listen_on(AF_INET, &f.port);
	snprintf(f.log, sizeof(f.log), "/tmp/polc-proxy-log.%d", (int)getpid());
	unlink(f.log);
	f.pid = fork();
	ck_assert_int_ge(f.pid, 0);
	if (f.pid == 0) {
		close(c[1]);
		close(a[0]);
		FILE *log = fopen(f.log, "w");
		cfg.listen_fd = lfd;
		cfg.table = t1;
		cfg.log = px_log_file;
		cfg.log_ctx = log;
		if (child_refuse_pwait2)
			refuse_epoll_pwait2();
		char err[256];
		struct px *p = px_new(&cfg, err, sizeof(err));
		if (!p) {
			fprintf(stderr, "px_new: %s\n", err);
			_exit(2);
		}
		child_loop(p, t2, c[0], a[1]);
	}
	close(lfd);
	close(c[0]);
	close(a[1]);
	f.ctl = c[1];
	f.ans = a[0];
	start_threads();
	return f;
}

static void ctl(struct fx *f, char cmd, long v[3])
{
	ck_assert_int_eq(write(f->ctl, &cmd, 1), 1);
	ck_assert_int_eq(read(f->ans, v, 3 * sizeof(long)), 3 * (long)sizeof(long));
}

static void proxy_stop(struct fx *f)
{
	long v[3];
	ctl(f, 'q', v);
	int st;
	waitpid(f->pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(f->ctl);
	close(f->ans);
	unlink(f->log);
}

static char *slurp_log(struct fx *f)
{
	static char buf[1 << 16];
	int fd = open(f->log, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	size_t n = 0;
	for (ssize_t k; n + 1 < sizeof(buf) && (k = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0;)
		n += (size_t)k;
	close(fd);
	buf[n] = '\0';
	return buf;
}

/* Opens a tunnel; returns the fd after reading the proxy's answer head. */
static int tunnel(struct fx *f, const char *target, char *head, size_t cap)
{
	int fd = dial(f->port);
	char req[512];
	snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target);
	send_str(fd, req);
	read_head(fd, head, cap);
	return fd;
}

/* One plain request; returns the whole response. */
static int plain(struct fx *f, const char *req, char *resp, size_t cap)
{
	int fd = dial(f->port);
	send_str(fd, req);
	read_all(fd, resp, cap);
	close(fd);
	return status_of(resp);
}

#define RULE(x, ...) ntt_rule((x), __VA_ARGS__)

/* ---- tests -------------------------------------------------------------------------- */

START_TEST(connect_allowed)
{
	struct srv *echo = srv_start(AF_INET, SRV_ECHO);
	struct ntt *x = ntt_new();
	char h[64];
	snprintf(h, sizeof(h), "%u", echo->port);
	RULE(x, "allow", "127.0.0.1", h, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	char head[512], buf[256], target[64];
	snprintf(target, sizeof(target), "127.0.0.1:%u", echo->port);
	int fd = tunnel(&f, target, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	send_str(fd, "hello through the tunnel");
	ck_assert_uint_eq(read_n(fd, buf, 24), 24);
	ck_assert(memcmp(buf, "hello through the tunnel", 24) == 0);
	/* Half-close: the echo server sees EOF and closes; we see EOF. */
	shutdown(fd, SHUT_WR);
	ck_assert_uint_eq(read_all(fd, buf, sizeof(buf)), 0);
	close(fd);
	ck_assert_int_eq(echo->accepted, 1);
	/* CONNECT names its authority itself: no Host is tolerated, a
	 * different one is not. */
	char req[256];
	fd = dial(f.port);
	snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nUser-Agent: t\r\n\r\n", target);
	send_str(fd, req);
	read_head(fd, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	close(fd);
	fd = dial(f.port);
	snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: other.test:443\r\n\r\n", target);
	send_str(fd, req);
	read_head(fd, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 400);
	close(fd);
	const char *lg = slurp_log(&f);
	ck_assert_ptr_nonnull(strstr(lg, "\"decision\":\"allow\""));
	ck_assert_ptr_nonnull(strstr(lg, "\"method\":\"CONNECT\""));
	ck_assert_ptr_nonnull(strstr(lg, "\"rule\":1"));
	ck_assert_ptr_nonnull(strstr(lg, "\"pos\":\"t.yaml:1:7\""));
	ck_assert_ptr_nonnull(strstr(lg, "\"addr\":\"127.0.0.1\""));
	proxy_stop(&f);
	srv_stop(echo);
	ntt_free(x);
}
END_TEST

/* A tunnel allowed only by a method/path-restricted rule must carry TLS. */
START_TEST(connect_tls_only)
{
	struct srv *echo = srv_start(AF_INET, SRV_ECHO);
	struct ntt *x = ntt_new();
	char h[64], target[64], head[512], buf[512];
	snprintf(h, sizeof(h), "%u", echo->port);
	RULE(x, "allow", "127.0.0.1", h, "GET", "/repos/**");
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	snprintf(target, sizeof(target), "127.0.0.1:%u", echo->port);

	int fd = tunnel(&f, target, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	send_str(fd, "DELETE /admin HTTP/1.1\r\nHost: x\r\n\r\n");
	read_all(fd, buf, sizeof(buf));
	ck_assert_int_eq(status_of(buf), 403);
	ck_assert_ptr_nonnull(strstr(buf, "does not carry TLS"));
	close(fd);

	fd = tunnel(&f, target, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	static const char hello[] = "\x16\x03\x01\x00\x05hello";
	send_all(fd, hello, sizeof(hello) - 1);
	ck_assert_uint_eq(read_n(fd, buf, sizeof(hello) - 1), sizeof(hello) - 1);
	ck_assert(memcmp(buf, hello, sizeof(hello) - 1) == 0);
	close(fd);
	proxy_stop(&f);
	srv_stop(echo);
	ntt_free(x);
}
END_TEST

START_TEST(plain_get)
{
	struct hsrv *hs = hsrv_start();
	struct ntt *x = ntt_new();
	char p[16], req[1024], resp[4096];
	snprintf(p, sizeof(p), "%u", hs->port);
	RULE(x, "allow", "127.0.0.1", p, "GET", "/ok/**");
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	snprintf(req, sizeof(req),
	         "GET http://127.0.0.1:%u/ok/%%7Ex?q=1&r=%%2F HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	         "Proxy-Connection: keep-alive\r\nX-Test: yes\r\nConnection: X-Drop\r\n"
	         "X-Drop: secret\r\nProxy-Authorization: Basic eDp5\r\n\r\n",
	         hs->port, hs->port);
	ck_assert_int_eq(plain(&f, req, resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "\r\n\r\nok"));
	ck_assert_int_eq(hs->requests, 1);
	char want[128];
	snprintf(want, sizeof(want), "GET /ok/~x?q=1&r=%%2F HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n", hs->port);
	ck_assert_msg(strncmp(hs->got, want, strlen(want)) == 0, "upstream got: %s", hs->got);
	ck_assert_ptr_nonnull(strstr(hs->got, "\r\nX-Test: yes\r\n"));
	ck_assert_ptr_nonnull(strstr(hs->got, "\r\nConnection: close\r\n\r\n"));
	ck_assert_ptr_null(strcasestr(hs->got, "proxy-"));
	ck_assert_ptr_null(strcasestr(hs->got, "x-drop"));
	ck_assert_uint_eq(hs->extra, 0);
	proxy_stop(&f);
	hsrv_stop(hs);
	ntt_free(x);
}
END_TEST

START_TEST(denied)
{
	struct hsrv *hs = hsrv_start();
	struct ntt *x = ntt_new();
	char p[16], req[1024], resp[4096];
	snprintf(p, sizeof(p), "%u", hs->port);
	RULE(x, "allow", "127.0.0.1", p, "GET", "/ok/**");
	RULE(x, "deny", "127.0.0.1", p, NULL, "/ok/secret/**");
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	unsigned hp = hs->port;
	const char *fmt[] = {
	        "GET http://other.test:%u/ok/ HTTP/1.1\r\nHost: other.test:%u\r\n\r\n",     /* host */
	        "GET http://127.0.0.1:%u/ok/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",       /* port */
	        "POST http://127.0.0.1:%u/ok/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	        "Content-Length: 0\r\n\r\n",                                                /* method */
	        "GET http://127.0.0.1:%u/nope HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",      /* path */
	        "GET http://127.0.0.1:%u/ok/secret/k HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", /* deny */
	};
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		unsigned port = i == 1 ? hp + 1 : hp;
		snprintf(req, sizeof(req), fmt[i], port, port);
		ck_assert_msg(plain(&f, req, resp, sizeof(resp)) == 403, "case %zu: %s", i, resp);
	}
	ck_assert_ptr_nonnull(strstr(resp, "denied by rule #2 (t.yaml:2:7)"));
	ck_assert_ptr_nonnull(strstr(resp, "X-Polc-Rule: 2"));
	/* A tunnel might carry the denied path: refused too. */
	char target[64], head[512];
	snprintf(target, sizeof(target), "127.0.0.1:%u", hp);
	int fd = tunnel(&f, target, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 403);
	close(fd);
	ck_assert_int_eq(hs->requests, 0); /* nothing reached the upstream */
	const char *lg = slurp_log(&f);
	ck_assert_ptr_nonnull(strstr(lg, "\"decision\":\"deny\""));
	ck_assert_ptr_nonnull(strstr(lg, "\"path\":\"/ok/secret/k\""));
	/* Every line is one JSON object with the documented fields. */
	size_t lines = 0;
	for (const char *l = lg; *l; lines++) {
		const char *nl = strchr(l, '\n');
		ck_assert_ptr_nonnull(nl);
		json_error_t je;
		json_t *j = json_loadb(l, (size_t)(nl - l), 0, &je);
		ck_assert_msg(j != NULL, "log line is not JSON: %.*s", (int)(nl - l), l);
		ck_assert_ptr_nonnull(json_object_get(j, "time"));
		ck_assert_ptr_nonnull(json_object_get(j, "decision"));
		ck_assert_ptr_nonnull(json_object_get(j, "host"));
		ck_assert_ptr_nonnull(json_object_get(j, "rule"));
		json_decref(j);
		l = nl + 1;
	}
	ck_assert_uint_ge(lines, 5);
	proxy_stop(&f);
	hsrv_stop(hs);
	ntt_free(x);
}
END_TEST

START_TEST(host_mismatch_and_malformed)
{
	struct hsrv *hs = hsrv_start();
	struct ntt *x = ntt_new();
	char p[16], req[1024], resp[4096];
	snprintf(p, sizeof(p), "%u", hs->port);
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	unsigned hp = hs->port;
	struct {
		const char *fmt;
		int status;
	} cases[] = {
	        {"GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: evil.test\r\n\r\n", 400},
	        {"GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", 400}, /* port */
	        {"GET http://127.0.0.1:%u/ HTTP/1.1\r\n\r\n", 400}, /* no Host */
	        {"GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nHost: 127.0.0.1:%u\r\n\r\n", 400},
	        {"GET http://u@127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", 400},
	        {"GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", 400}, /* origin-form */
	        {"GET https://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", 400},
	        {"GET http://127.0.0.1:%u/a/../b HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", 400},
	        {"GET http://127.0.0.1:%u/a%%2e%%2e/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", 200},
	        {"GET http://127.0.0.1:%u/%%2e%%2e/x HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", 400},
	        {"GET http://127.0.0.1:%u/ HTTP/2.0\r\nHost: 127.0.0.1:%u\r\n\r\n", 505},
	        {"GET http://127.0.0.1:%u/ HTTP/1.0\r\n\r\n", 200}, /* 1.0 may omit Host */
	        {"GET http://LOCALHOST.:%u/ HTTP/1.1\r\nHost: localhost:%u\r\n\r\n", 403}, /* agrees */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), cases[i].fmt, hp, i == 1 ? hp + 1 : hp, hp);
		int st = plain(&f, req, resp, sizeof(resp));
		ck_assert_msg(st == cases[i].status, "case %zu: want %d, got %d: %s", i, cases[i].status,
		              st, resp);
	}
	proxy_stop(&f);
	hsrv_stop(hs);
	ntt_free(x);
}
END_TEST

/* IP-literal requests match only address rules; a name resolving to a
 * loopback address is refused unless a rule names that address. */
START_TEST(literal_name_and_loopback)
{
	struct srv *echo = srv_start(AF_INET, SRV_ECHO);
	char p[16], t[64], head[512], buf[64];
	snprintf(p, sizeof(p), "%u", echo->port);

	struct ntt *x = ntt_new();
	RULE(x, "allow", "localhost", p, NULL, NULL);
	RULE(x, "allow", "0.0.0.0/1", p, NULL, NULL); /* covers 127.0.0.1 but does not name it */
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	snprintf(t, sizeof(t), "localhost:%u", echo->port);
	int fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 403);
	read_all(fd, buf, sizeof(buf));
	close(fd);
	snprintf(t, sizeof(t), "127.0.0.1:%u", echo->port);
	fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 403);
	close(fd);
	/* Spellings of 127.0.0.1 that resolvers accept are not names here. */
	const char *tricks[] = {"2130706433", "0x7f000001", "127.1", "0177.0.0.1", "[::ffff:7f00:1]"};
	for (size_t i = 0; i < sizeof(tricks) / sizeof(tricks[0]); i++) {
		snprintf(t, sizeof(t), "%s:%u", tricks[i], echo->port);
		fd = tunnel(&f, t, head, sizeof(head));
		ck_assert_msg(status_of(head) == 400 || status_of(head) == 403, "%s: %s", tricks[i], head);
		close(fd);
	}
	ck_assert_int_eq(echo->accepted, 0);
	const char *lg = slurp_log(&f);
	ck_assert_ptr_nonnull(strstr(lg, "localhost resolves to 127.0.0.1 is a loopback address"));
	proxy_stop(&f);
	ntt_free(x);

	x = ntt_new();
	RULE(x, "allow", "localhost", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	f = proxy_start(&x->t, NULL, (struct px_config){0});
	fd = tunnel(&f, t, head, sizeof(head)); /* 127.0.0.1: no address rule */
	ck_assert_int_eq(status_of(head), 403);
	ck_assert_ptr_null(strstr(head, "X-Polc-Rule")); /* default deny: no rule */
	close(fd);
	proxy_stop(&f);
	ntt_free(x);

	x = ntt_new();
	RULE(x, "allow", "localhost", p, NULL, NULL);
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	f = proxy_start(&x->t, NULL, (struct px_config){0});
	snprintf(t, sizeof(t), "localhost:%u", echo->port);
	fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	send_str(fd, "ping");
	ck_assert_uint_eq(read_n(fd, buf, 4), 4);
	ck_assert(memcmp(buf, "ping", 4) == 0);
	close(fd);
	proxy_stop(&f);
	ntt_free(x);
	srv_stop(echo);
}
END_TEST

/* What names resolve to is checked like a literal: a name answering with a
 * metadata or loopback address is refused unless a rule names the address;
 * of several answers only the permitted ones are dialed; a slow answer
 * runs into the dial deadline and is dropped when it finally comes. */
START_TEST(resolved_addresses)
{
	struct srv *echo = srv_start(AF_INET, SRV_ECHO);
	char p[16], t[64], head[512], buf[8];
	snprintf(p, sizeof(p), "%u", echo->port);
	struct ntt *x = ntt_new();
	RULE(x, "allow", "metadata.test", "80", NULL, NULL);
	RULE(x, "allow", "loop.test", p, NULL, NULL);
	RULE(x, "allow", "both.test", p, NULL, NULL);
	RULE(x, "allow", "slow.test", p, NULL, NULL);
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	RULE(x, "allow", "10.0.0.0/8", "1", NULL, NULL); /* names 10/8, other port */
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL,
	                          (struct px_config){.resolve = fake_resolve, .dial_timeout_ms = 300});
	int fd = tunnel(&f, "metadata.test:80", head, sizeof(head));
	ck_assert_int_eq(status_of(head), 403);
	close(fd);
	snprintf(t, sizeof(t), "both.test:%u", echo->port);
	fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200); /* 10.0.0.1 refused, 127.0.0.1 named */
	send_str(fd, "hi");
	ck_assert_uint_eq(read_n(fd, buf, 2), 2);
	close(fd);
	ck_assert_int_eq(echo->accepted, 1);
	double t0 = now_s();
	snprintf(t, sizeof(t), "slow.test:%u", echo->port);
	fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 504);
	ck_assert(now_s() - t0 < 0.75);
	usleep(900000); /* the late answer arrives while the connection lingers */
	close(fd);
	snprintf(t, sizeof(t), "loop.test:%u", echo->port);
	fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	close(fd);
	const char *lg = slurp_log(&f);
	ck_assert_ptr_nonnull(strstr(lg, "metadata.test resolves to 169.254.169.254 is a metadata address"));
	long v[3];
	ctl(&f, 'f', v);
	proxy_stop(&f);
	ntt_free(x);
	srv_stop(echo);
}
END_TEST

START_TEST(ipv6_literal)
{
	struct srv *echo = srv_start(AF_INET6, SRV_ECHO);
	if (!echo)
		return; /* no IPv6 loopback here */
	char p[16], t[64], head[512], buf[16];
	snprintf(p, sizeof(p), "%u", echo->port);
	struct ntt *x = ntt_new();
	RULE(x, "allow", "::1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	snprintf(t, sizeof(t), "[::1]:%u", echo->port);
	int fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	send_str(fd, "v6");
	ck_assert_uint_eq(read_n(fd, buf, 2), 2);
	close(fd);
	snprintf(t, sizeof(t), "[::ffff:127.0.0.1]:%u", echo->port);
	fd = tunnel(&f, t, head, sizeof(head)); /* mapped = IPv4: no rule */
	ck_assert_int_eq(status_of(head), 403);
	close(fd);
	proxy_stop(&f);
	ntt_free(x);
	srv_stop(echo);
}
END_TEST

START_TEST(oversized_and_slow)
{
	struct ntt *x = ntt_new();
	RULE(x, "allow", "127.0.0.1", "1", NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){.head_timeout_ms = 300});
	char resp[4096];
	/* 20 KiB of headers. */
	int fd = dial(f.port);
	send_str(fd, "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\n");
	char line[1100];
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Big: ", 7);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	for (int i = 0; i < 20; i++) {
		if (send(fd, line, sizeof(line), MSG_NOSIGNAL) < 0)
			break;
	}
	read_all(fd, resp, sizeof(resp));
	ck_assert_int_eq(status_of(resp), 431);
	close(fd);
	/* Too many header fields. */
	fd = dial(f.port);
	send_str(fd, "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
		send_str(fd, "X-A: b\r\n");
	send_str(fd, "\r\n");
	read_all(fd, resp, sizeof(resp));
	ck_assert_int_eq(status_of(resp), 431);
	close(fd);
	/* A slow client: half a request line, then nothing. */
	double t0 = now_s();
	fd = dial(f.port);
	send_str(fd, "CONNECT 127.0.0.1:1 HT");
	read_all(fd, resp, sizeof(resp));
	double dt = now_s() - t0;
	ck_assert_int_eq(status_of(resp), 408);
	ck_assert_msg(dt > 0.25 && dt < 3, "slow client cut after %.2f s", dt);
	close(fd);
	/* Trickling bytes does not extend the deadline. */
	t0 = now_s();
	fd = dial(f.port);
	for (int i = 0; i < 20; i++) {
		if (send(fd, "G", 1, MSG_NOSIGNAL) < 0)
			break;
		usleep(50000);
		if (now_s() - t0 > 2)
			break;
	}
	read_all(fd, resp, sizeof(resp));
	dt = now_s() - t0;
	ck_assert_msg(dt < 2, "trickling client kept the connection %.2f s", dt);
	close(fd);
	long v[3];
	ctl(&f, 'f', v);
	ck_assert_int_eq(v[1], 0);
	proxy_stop(&f);
	ntt_free(x);
}
END_TEST

START_TEST(smuggling)
{
	struct hsrv *hs = hsrv_start();
	struct ntt *x = ntt_new();
	char p[16], req[2048], resp[4096];
	snprintf(p, sizeof(p), "%u", hs->port);
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	unsigned hp = hs->port;
	struct {
		const char *fmt;
		int status;
	} bad[] = {
	        {"POST http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: 5\r\n"
	         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	         400},
	        {"POST http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: 5\r\n"
	         "Content-Length: 6\r\n\r\nhello!",
	         400},
	        {"POST http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: +5\r\n\r\nhello", 400},
	        {"POST http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	         "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
	         501},
	        {"POST http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	         "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	         400},
	        {"GET http://127.0.0.1:%u/ HTTP/1.1\nHost: 127.0.0.1:%u\n\n", 400},
	        {"GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nX-A: a\r\n b\r\n\r\n", 400},
	        {"GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost : 127.0.0.1:%u\r\n\r\n", 400},
	        {"GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nX-A: a\rb\r\n\r\n", 400},
	        {"POST http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	         "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
	         400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(req, sizeof(req), bad[i].fmt, hp, hp);
		int st = plain(&f, req, resp, sizeof(resp));
		ck_assert_msg(st == bad[i].status, "case %zu: want %d got %d", i, bad[i].status, st);
	}
	ck_assert_int_eq(hs->requests, 0);

	/* Content-Length: exactly the body goes upstream, not the request
	 * smuggled after it. */
	snprintf(req, sizeof(req),
	         "POST http://127.0.0.1:%u/a HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: 5\r\n\r\n"
	         "helloGET http://127.0.0.1:%u/evil HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
	         hp, hp, hp, hp);
	ck_assert_int_eq(plain(&f, req, resp, sizeof(resp)), 200);
	ck_assert_int_eq(hs->requests, 1);
	ck_assert_ptr_nonnull(strstr(hs->got, "\r\nContent-Length: 5\r\n"));
	ck_assert_ptr_nonnull(strstr(hs->got, "\r\n\r\nhello"));
	ck_assert_ptr_null(strstr(hs->got, "evil"));
	ck_assert_uint_eq(hs->extra, 0);
	ck_assert_ptr_null(strstr(resp + 10, "HTTP/1.1")); /* one response only */

	/* Chunked: re-framed, extensions and trailers dropped, nothing after. */
	snprintf(req, sizeof(req),
	         "POST http://127.0.0.1:%u/c HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	         "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n06;ext=1\r\n world\r\n0\r\n"
	         "X-Trailer: t\r\n\r\nGET http://127.0.0.1:%u/evil HTTP/1.1\r\n\r\n",
	         hp, hp, hp);
	ck_assert_int_eq(plain(&f, req, resp, sizeof(resp)), 200);
	ck_assert_int_eq(hs->requests, 2);
	ck_assert_ptr_nonnull(strstr(hs->got, "\r\nTransfer-Encoding: chunked\r\n"));
	ck_assert_ptr_nonnull(strstr(hs->got, "\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
	ck_assert_ptr_null(strstr(hs->got, "X-Trailer"));
	ck_assert_ptr_null(strstr(hs->got, "evil"));
	ck_assert_uint_eq(hs->extra, 0);

	/* A body arriving after the head, in pieces. */
	int fd = dial(f.port);
	snprintf(req, sizeof(req),
	         "PUT http://127.0.0.1:%u/slow HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: 10\r\n\r\n",
	         hp, hp);
	send_str(fd, req);
	usleep(50000);
	send_str(fd, "01234");
	usleep(50000);
	send_str(fd, "56789EXTRA");
	read_all(fd, resp, sizeof(resp));
	close(fd);
	ck_assert_int_eq(status_of(resp), 200);
	ck_assert_int_eq(hs->requests, 3);
	ck_assert_ptr_nonnull(strstr(hs->got, "\r\n\r\n0123456789"));
	ck_assert_ptr_null(strstr(hs->got, "EXTRA"));
	ck_assert_uint_eq(hs->extra, 0);
	proxy_stop(&f);
	hsrv_stop(hs);
	ntt_free(x);
}
END_TEST

START_TEST(hot_reload)
{
	struct srv *echo = srv_start(AF_INET, SRV_ECHO);
	char p[16], t[64], head[512], buf[8];
	snprintf(p, sizeof(p), "%u", echo->port);
	struct ntt *a = ntt_new(), *b = ntt_new();
	RULE(a, "allow", "192.0.2.1", "443", NULL, NULL);
	RULE(b, "allow", "127.0.0.1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(a), 1);
	ck_assert_int_eq(ntt_build(b), 1);
	struct fx f = proxy_start(&a->t, &b->t, (struct px_config){0});
	snprintf(t, sizeof(t), "127.0.0.1:%u", echo->port);
	int fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 403);
	close(fd);
	long v[3];
	ctl(&f, 'r', v);
	fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	send_str(fd, "ok");
	ck_assert_uint_eq(read_n(fd, buf, 2), 2);
	close(fd);
	proxy_stop(&f);
	ntt_free(a);
	ntt_free(b);
	srv_stop(echo);
}
END_TEST

START_TEST(limits_and_errors)
{
	struct ntt *x = ntt_new();
	uint16_t dead = closed_port();
	char p[16], t[64], head[512], resp[1024];
	snprintf(p, sizeof(p), "%u", dead);
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	RULE(x, "allow", "nothing.test", NULL, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL,
	                          (struct px_config){.max_conns = 2, .resolve = fake_resolve});
	/* Upstream refuses: 502. */
	snprintf(t, sizeof(t), "127.0.0.1:%u", dead);
	int fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 502);
	close(fd);
	/* Name that does not resolve: 502. */
	fd = tunnel(&f, "nothing.test:443", head, sizeof(head));
	ck_assert_int_eq(status_of(head), 502);
	close(fd);
	/* Connection limit: two idle clients hold the slots, a third gets 503. */
	int a = dial(f.port), b = dial(f.port);
	usleep(100000);
	int c = dial(f.port);
	read_all(c, resp, sizeof(resp));
	ck_assert_int_eq(status_of(resp), 503);
	close(c);
	close(a);
	close(b);
	usleep(100000);
	fd = tunnel(&f, t, head, sizeof(head)); /* slots free again */
	ck_assert_int_eq(status_of(head), 502);
	close(fd);
	proxy_stop(&f);
	ntt_free(x);
}
END_TEST

START_TEST(half_close)
{
	struct srv *cnt = srv_start(AF_INET, SRV_COUNT);
	char p[16], t[64], head[512], buf[64];
	snprintf(p, sizeof(p), "%u", cnt->port);
	struct ntt *x = ntt_new();
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	snprintf(t, sizeof(t), "127.0.0.1:%u", cnt->port);
	int fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	char big[100000];
	memset(big, 'z', sizeof(big));
	send_all(fd, big, sizeof(big));
	shutdown(fd, SHUT_WR); /* the upstream must see EOF, and still answer */
	read_all(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "got 100000 bytes");
	close(fd);
	/* Early data sent with the CONNECT request is forwarded first. */
	fd = dial(f.port);
	snprintf(head, sizeof(head), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\nearly", t, t);
	send_str(fd, head);
	shutdown(fd, SHUT_WR);
	read_head(fd, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	read_all(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "got 5 bytes");
	close(fd);
	proxy_stop(&f);
	ntt_free(x);
	srv_stop(cnt);
}
END_TEST

/* Both of a tunnel's sockets forward small writes at once (TCP_NODELAY), and
 * hops that never leave the host (the client side on loopback, a loopback
 * upstream) use reno, which does not pace, and hold little unsent data. */
START_TEST(relay_socket_options)
{
	struct srv *e4 = srv_start(AF_INET, SRV_ECHO), *e6 = srv_start(AF_INET6, SRV_ECHO);
	char p[16], t[64], head[256], buf[16];
	struct ntt *x = ntt_new();
	snprintf(p, sizeof(p), "%u", e4->port);
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	if (e6) {
		snprintf(p, sizeof(p), "%u", e6->port);
		RULE(x, "allow", "::1", p, NULL, NULL);
	}
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	long v[3];
	/* The proxy tunes its first accepted sockets one by one (some may have
	 * connected before px_new); later ones inherit the listener's
	 * options.  Check both: a tunnel first, then again after 20 more
	 * connections. */
	for (int k = 0; k < (e6 ? 3 : 2); k++) {
		if (k == 1)
			for (int i = 0; i < 20; i++) {
				int fd = tunnel(&f, "127.0.0.1:1", head, sizeof(head));
				ck_assert_int_eq(status_of(head), 403);
				close(fd);
			}
		if (k == 2)
			snprintf(t, sizeof(t), "[::1]:%u", e6->port);
		else
			snprintf(t, sizeof(t), "127.0.0.1:%u", e4->port);
		int fd = tunnel(&f, t, head, sizeof(head));
		ck_assert_int_eq(status_of(head), 200);
		send_str(fd, "hi");
		ck_assert_uint_eq(read_n(fd, buf, 2), 2);
		ctl(&f, 's', v);
		ck_assert_msg(v[0] == 2 && v[1] == 2 && v[2] == 2,
		              "%s: %ld sockets, %ld with TCP_NODELAY, %ld with reno and a low NOTSENT_LOWAT", t,
		              v[0], v[1], v[2]);
		close(fd);
		double t0 = now_s();
		do {
			usleep(10000);
			ctl(&f, 's', v);
		} while (v[0] && now_s() - t0 < 5);
	}
	proxy_stop(&f);
	ntt_free(x);
	srv_stop(e4);
	srv_stop(e6);
}
END_TEST

/* Bulk transfers both ways through one tunnel, each followed by a short
 * tail after which its sender neither closes nor sends more (the
 * download's tail a trickle of ten pieces once the client has the bulk,
 * the upload's 3 ms after its bulk).  The proxy batches bulk downloads
 * (SO_RCVLOWAT on the upstream socket): a tail, short of a batch, must
 * still arrive, and a trickle must end the batching.  Each receiver reads
 * slowly at first, so that the relay's pipe fills again and again and
 * batching starts.  Uploads are never batched. */
enum { BULK_BYTES = 8 << 20, TAIL_BYTES = 100 };

struct bulk_srv {
	int lfd;
	uint16_t port;
	pthread_t *th;
	atomic_long got;
	atomic_int failed;
};

/* Reads want bytes: 32 reads of at most 64 KiB 2 ms apart, then as fast as
 * they come.  Returns how many arrived (fewer on a 5 s timeout); *last is
 * the last byte read. */
static size_t bulk_read(int fd, char *buf, size_t cap, size_t want, char *last)
{
	size_t n = 0;
	for (int i = 0; n < want; i++) {
		size_t ask = want - n < cap ? want - n : cap;
		ssize_t k = recv(fd, buf, ask, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
		*last = buf[k - 1];
		if (i < 32)
			usleep(2000);
	}
	return n;
}

static bool bulk_send(int fd, char fill)
{
	static __thread char buf[1 << 16];
	memset(buf, fill, sizeof(buf));
	for (size_t left = BULK_BYTES; left;) {
		ssize_t k = send(fd, buf, left < sizeof(buf) ? left : sizeof(buf), MSG_NOSIGNAL);
		if (k <= 0)
			return false;
		left -= (size_t)k;
	}
	return true;
}

static bool tail_send(int fd, char fill)
{
	char buf[TAIL_BYTES];
	memset(buf, fill, sizeof(buf));
	return send(fd, buf, sizeof(buf), MSG_NOSIGNAL) == TAIL_BYTES;
}

/* The tail as a trickle: TAIL_BYTES / 10 bytes every 5 ms. */
static bool tail_trickle(int fd, char fill)
{
	char buf[TAIL_BYTES / 10];
	memset(buf, fill, sizeof(buf));
	for (int i = 0; i < 10; i++) {
		if (i)
			usleep(5000);
		if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) != (ssize_t)sizeof(buf))
			return false;
	}
	return true;
}

/* Upstream: sends the bulk, and its tail once the client says it has the
 * bulk (so the tail comes alone, short of a batch), as a trickle; then
 * reads the client's bulk and tail, answers "OK" once all of it arrived,
 * and waits for the client to close. */
static void *bulk_main(void *arg)
{
	struct bulk_srv *s = arg;
	static char buf[1 << 16];
	char last = 0;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	struct timeval tv = {5, 0};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    !bulk_send(fd, 'd') || recv(fd, buf, 1, 0) != 1 || buf[0] != 'g' || !tail_trickle(fd, 't')) {
		s->failed = 1;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	s->got = (long)bulk_read(fd, buf, sizeof(buf), BULK_BYTES + TAIL_BYTES, &last);
	if (last != 'T' || send(fd, "OK", 2, MSG_NOSIGNAL) != 2)
		s->failed = 1;
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	return NULL;
}

static void batched_tails_run(void)
{
	long rmem[3] = {0, 0, 0};
	FILE *rf = fopen("/proc/sys/net/ipv4/tcp_rmem", "r");
	if (!rf || fscanf(rf, "%ld %ld %ld", &rmem[0], &rmem[1], &rmem[2]) != 3)
		rmem[2] = 0;
	if (rf)
		fclose(rf);
	if (rmem[2] < 1 << 20) {
		/* the proxy batches only once a receive buffer has grown to 1 MiB */
		printf("batched_tails: SKIP: net.ipv4.tcp_rmem allows receive buffers of %ld bytes only\n",
		       rmem[2]);
		return;
	}
	struct bulk_srv *s = calloc(1, sizeof(*s));
	s->lfd = listen_on(AF_INET, &s->port);
	ck_assert_int_ge(s->lfd, 0);
	defer_thread(&s->th, bulk_main, s);
	char p[16], t[64], head[256], ok[3] = "", tail[TAIL_BYTES + 1] = "";
	snprintf(p, sizeof(p), "%u", s->port);
	struct ntt *x = ntt_new();
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){0});
	snprintf(t, sizeof(t), "127.0.0.1:%u", s->port);
	int fd = tunnel(&f, t, head, sizeof(head));
	ck_assert_int_eq(status_of(head), 200);
	static char buf[1 << 16];
	char last = 0;
	long v[3];
	/* download: the bulk, then the tail alone */
	size_t got = bulk_read(fd, buf, sizeof(buf), BULK_BYTES, &last);
	ck_assert_msg(got == BULK_BYTES && last == 'd', "download: %zu of %d bytes arrived", got, BULK_BYTES);
	ctl(&f, 'b', v);
	long batches = v[0];
	ck_assert_msg(batches >= 1, "the download never batched: the test would check nothing");
	send_str(fd, "g");
	ck_assert_uint_eq(read_n(fd, tail, TAIL_BYTES), TAIL_BYTES);
	ck_assert_uint_eq(strspn(tail, "t"), TAIL_BYTES);
	/* A trickle does not fill batches: batching stopped after a few short
	 * ones, not only 10 ms after the last byte. */
	ctl(&f, 'b', v);
	ck_assert_msg(v[1] == 0, "a trickling download is still batched");
	/* upload: the bulk, then 3 ms later the tail */
	ck_assert(bulk_send(fd, 'u'));
	usleep(3000);
	ck_assert(tail_send(fd, 'T'));
	ck_assert_uint_eq(read_n(fd, ok, 2), 2);
	ck_assert_str_eq(ok, "OK");
	ck_assert_int_eq(s->got, BULK_BYTES + TAIL_BYTES);
	ck_assert_int_eq(s->failed, 0);
	ctl(&f, 'b', v);
	ck_assert_msg(v[0] == batches, "the upload was batched (%ld batches, %ld after the download)", v[0],
	              batches);
	close(fd);
	proxy_stop(&f);
	ntt_free(x);
	pthread_join(*s->th, NULL);
	close(s->lfd);
	free(s);
}

START_TEST(batched_tails) { batched_tails_run(); }
END_TEST

/* The same where epoll_pwait2 is refused: the proxy falls back to
 * epoll_wait (a batch's tail then waits up to a millisecond more). */
START_TEST(batched_tails_without_epoll_pwait2)
{
	child_refuse_pwait2 = true;
	batched_tails_run();
}
END_TEST

/* 500 tunnels at once, data through each, then no descriptor left behind. */
START_TEST(many_tunnels)
{
	enum { N = 500 };
	struct srv *echo = srv_start(AF_INET, SRV_ECHO);
	char p[16], t[64], req[256], head[256], buf[128];
	snprintf(p, sizeof(p), "%u", echo->port);
	struct ntt *x = ntt_new();
	RULE(x, "allow", "127.0.0.1", p, NULL, NULL);
	ck_assert_int_eq(ntt_build(x), 1);
	struct fx f = proxy_start(&x->t, NULL, (struct px_config){.max_conns = 1024});
	long v[3];
	ctl(&f, 'f', v);
	long base = v[0];
	snprintf(t, sizeof(t), "127.0.0.1:%u", echo->port);
	snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", t, t);
	static int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = dial(f.port);
		send_str(fds[i], req);
	}
	for (int i = 0; i < N; i++) {
		read_head(fds[i], head, sizeof(head));
		ck_assert_msg(status_of(head) == 200, "tunnel %d: %s", i, head);
	}
	ctl(&f, 'f', v);
	ck_assert_int_eq(v[1], N);
	ck_assert_int_eq(v[2], N);
	ck_assert_int_ge(v[0], base + 6 * N); /* two sockets + two pipes each */
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "tunnel %d says hello", i);
		send_str(fds[i], buf);
	}
	for (int i = 0; i < N; i++) {
		char want[64], got[64];
		snprintf(want, sizeof(want), "tunnel %d says hello", i);
		ck_assert_uint_eq(read_n(fds[i], got, strlen(want)), strlen(want));
		ck_assert(memcmp(got, want, strlen(want)) == 0);
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
	double t0 = now_s();
	do {
		usleep(20000);
		ctl(&f, 'f', v);
	} while ((v[0] != base || v[1] != 0) && now_s() - t0 < 10);
	ck_assert_msg(v[0] == base, "%ld descriptors open after closing, %ld before", v[0], base);
	ck_assert_int_eq(v[1], 0);
	proxy_stop(&f);
	ntt_free(x);
	srv_stop(echo);
}
END_TEST

/* px_free leaves no descriptor of its own behind. */
START_TEST(free_closes_everything)
{
	struct ntt *x = ntt_new();
	ck_assert_int_eq(ntt_build(x), 1);
	uint16_t port;
	int before = count_fds();
	int lfd = listen_on(AF_INET, &port);
	struct px_config cfg = {.listen_fd = lfd, .table = &x->t};
	char err[128];
	struct px *p = px_new(&cfg, err, sizeof(err));
	ck_assert_ptr_nonnull(p);
	int c1 = dial(port), c2 = dial(port);
	send_str(c1, "GET http://x");
	for (int i = 0; i < 5; i++)
		px_poll(p, 10);
	px_free(p);
	close(lfd);
	close(c1);
	close(c2);
	ck_assert_int_eq(count_fds(), before);
	ntt_free(x);
}
END_TEST

int main(void)
{
	/* 500 tunnels need about 3000 descriptors in the proxy and 1000 here. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 8192) {
		rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, connect_allowed);
	tcase_add_test(tc, connect_tls_only);
	tcase_add_test(tc, plain_get);
	tcase_add_test(tc, denied);
	tcase_add_test(tc, host_mismatch_and_malformed);
	tcase_add_test(tc, literal_name_and_loopback);
	tcase_add_test(tc, resolved_addresses);
	tcase_add_test(tc, ipv6_literal);
	tcase_add_test(tc, oversized_and_slow);
	tcase_add_test(tc, smuggling);
	tcase_add_test(tc, hot_reload);
	tcase_add_test(tc, limits_and_errors);
	tcase_add_test(tc, half_close);
	tcase_add_test(tc, batched_tails);
	tcase_add_test(tc, batched_tails_without_epoll_pwait2);
	tcase_add_test(tc, relay_socket_options);
	tcase_add_test(tc, many_tunnels);
	tcase_add_test(tc, free_closes_everything);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
