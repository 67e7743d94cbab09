/* px_bench.c — the supervisor proxy on loopback: bulk throughput through a
 * CONNECT tunnel against a direct connection to the same server, the CPU
 * each party spends per GB, and the latency a tunnel adds to opening a
 * connection.  Not a test; figures and ratios only.
 *
 * Fairness: the direct baseline and the tunnel use the same client code,
 * the same upstream code and the same 256 KiB send/receive buffers; the
 * only difference is the CONNECT exchange before the timed part (which is
 * timed separately, in the latency figures).  Direct and tunnelled
 * transfers alternate, and which goes first alternates too.  Figures are
 * the median over the runs, the best in parentheses.
 *
 * The proxy runs in a child process (as in runmin, where the supervisor is
 * its own process); the client is this process's main thread, the
 * upstream one thread per connection.  CPU time is per party
 * (CLOCK_THREAD_CPUTIME_ID for client and upstream, the proxy's process
 * clock), which on loopback includes the receive processing each sender's
 * context runs for its peer.  "machine" is every CPU's busy time from
 * /proc/stat over the transfer, other users' work included.
 *
 *   px_bench [MiB-per-transfer [connections [runs]]]   (default 1024, 500, 5)
 *   PX_BENCH_CC=NAME: the client's and the upstream's sockets use that
 *   congestion control instead of the host's default, direct and tunnelled
 *   alike (the proxy's own sockets are the proxy's choice: see
 *   tune_socket in proxy.c).
 *   PX_BENCH_ONLY=direct-up|tunnel-up|direct-down|tunnel-down: that case
 *   alone, once per run, no latency test; PX_BENCH_ONLY=latency: only the
 *   latency test (both for perf and strace; the proxy's pid is printed).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/unit/nt_testlib.h"
#include "proxy.h"

#define BLOCK (256 * 1024)
#define MAX_RUNS 64

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

static const char *bench_cc; /* PX_BENCH_CC */

static void die(const char *what)
{
	fprintf(stderr, "px_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The client's and the upstream's sockets: the same options direct and
 * tunnelled. */
static void bench_sockopts(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bench_cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, bench_cc, strlen(bench_cc)) < 0)
		die("PX_BENCH_CC");
}

static int listen_lo(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(s);
	if (fd < 0 || bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&s, &len) < 0)
		die("listen");
	*port = ntohs(s.sin_port);
	return fd;
}

static int dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0)
		die("socket");
	bench_sockopts(fd);
	if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
		die("connect");
	return fd;
}

static void xwrite(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k <= 0)
			die("send");
		b += k;
		n -= (size_t)k;
	}
}

static void xread(int fd, void *p, size_t n)
{
	char *b = p;
	while (n) {
		ssize_t k = recv(fd, b, n, 0);
		if (k <= 0)
			die("recv");
		b += k;
		n -= (size_t)k;
	}
}

/* What the upstream threads report: how many connections they finished and
 * the CPU they spent on them. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned long done;
	double cpu;
} srv = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

/* Upstream: 'U' sink (read to EOF, answer the byte count), 'D' + u64 n
 * source (send n bytes, close), 'E' echo one byte then wait for EOF. */
static void *serve_one(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static __thread char buf[BLOCK];
	char mode;
	bench_sockopts(fd);
	if (recv(fd, &mode, 1, MSG_WAITALL) != 1)
		mode = 0;
	if (mode == 'U') {
		uint64_t total = 0;
		for (ssize_t k; (k = recv(fd, buf, sizeof(buf), 0)) > 0;)
			total += (uint64_t)k;
		xwrite(fd, &total, sizeof(total));
	} else if (mode == 'D') {
		uint64_t n;
		xread(fd, &n, sizeof(n));
		while (n) {
			size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
			xwrite(fd, buf, k);
			n -= k;
		}
	} else if (mode == 'E') {
		xwrite(fd, "e", 1);
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;
	}
	close(fd);
	double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);
	pthread_mutex_lock(&srv.mu);
	srv.done++;
	srv.cpu += cpu;
	pthread_cond_broadcast(&srv.cv);
	pthread_mutex_unlock(&srv.mu);
	return NULL;
}

static void *server_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &at, serve_one, (void *)(intptr_t)fd))
			close(fd);
		pthread_attr_destroy(&at);
	}
	return NULL;
}

/* Waits until the upstream has finished connection number n (counting from
 * 1) and returns the CPU its threads have used so far. */
static double server_wait(unsigned long n)
{
	pthread_mutex_lock(&srv.mu);
	while (srv.done < n)
		pthread_cond_wait(&srv.cv, &srv.mu);
	double c = srv.cpu;
	pthread_mutex_unlock(&srv.mu);
	return c;
}

/* Opens a connection to the server, directly or through the proxy. */
static int open_conn(uint16_t sport, uint16_t pport, bool tunnel)
{
	if (!tunnel)
		return dial(sport);
	int fd = dial(pport);
	char req[128], head[256];
	int n = snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
	                 sport, sport);
	xwrite(fd, req, (size_t)n);
	size_t got = 0;
	while (got < sizeof(head) - 1) {
		xread(fd, head + got, 1);
		got++;
		if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	head[got] = '\0';
	if (strncmp(head, "HTTP/1.1 200", 12) != 0) {
		fprintf(stderr, "px_bench: tunnel refused: %s\n", head);
		exit(1);
	}
	return fd;
}

static pid_t proxy_pid;
static clockid_t proxy_clock;
static unsigned long conns_opened;

/* Busy and total time of all CPUs from /proc/stat, in USER_HZ ticks. */
static void machine_ticks(double *busy, double *total)
{
	unsigned long long v[8] = {0};
	*busy = *total = 0;
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
	           &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			*total += (double)v[i];
		*busy = *total - (double)v[3] - (double)v[4];
	}
	fclose(f);
}

struct sample {
	double rate;              /* bytes per second */
	double client, server, proxy; /* CPU seconds per GB */
	double machine;           /* CPUs busy on average */
};

/* One timed bulk transfer of the given number of bytes: up (client to
 * upstream) or down. */
static struct sample transfer(uint16_t sport, uint16_t pport, bool tunnel, bool up, uint64_t bytes)
{
	static char buf[BLOCK];
	int fd = open_conn(sport, pport, tunnel);
	unsigned long id = ++conns_opened;
	double s0 = server_wait(id - 1);
	double b0, t0m, b1, t1m;
	machine_ticks(&b0, &t0m);
	double p0 = tunnel ? clock_s(proxy_clock) : 0;
	double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	double t0 = now_s();
	uint64_t got = 0;
	if (up) {
		xwrite(fd, "U", 1);
		for (uint64_t left = bytes; left;) {
			size_t k = left < sizeof(buf) ? (size_t)left : sizeof(buf);
			xwrite(fd, buf, k);
			left -= k;
		}
		shutdown(fd, SHUT_WR);
		xread(fd, &got, sizeof(got));
	} else {
		xwrite(fd, "D", 1);
		xwrite(fd, &bytes, sizeof(bytes));
		for (ssize_t k; (k = recv(fd, buf, sizeof(buf), 0)) > 0;)
			got += (uint64_t)k;
	}
	double dt = now_s() - t0;
	double c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	double s1 = server_wait(id);
	double p1 = tunnel ? clock_s(proxy_clock) : 0;
	machine_ticks(&b1, &t1m);
	close(fd);
	if (got != bytes) {
		fprintf(stderr, "px_bench: %s lost bytes (%llu of %llu)\n", up ? "upload" : "download",
		        (unsigned long long)got, (unsigned long long)bytes);
		exit(1);
	}
	double gb = (double)bytes / 1e9;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct sample s = {
	        .rate = (double)bytes / dt,
	        .client = (c1 - c0) / gb,
	        .server = (s1 - s0) / gb,
	        .proxy = (p1 - p0) / gb,
	        .machine = t1m > t0m ? (b1 - b0) / (t1m - t0m) * (double)ncpu : 0,
	};
	return s;
}

/* Connect, (CONNECT), one byte each way.  *to200: time until the proxy's
 * "200" arrived (0 for direct). */
static double open_latency(uint16_t sport, uint16_t pport, bool tunnel, double *to200)
{
	double t0 = now_s();
	int fd = open_conn(sport, pport, tunnel);
	*to200 = tunnel ? now_s() - t0 : 0;
	conns_opened++;
	char c;
	xwrite(fd, "E", 1);
	xread(fd, &c, 1);
	double dt = now_s() - t0;
	close(fd);
	return dt;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	double t[MAX_RUNS];
	memcpy(t, v, (size_t)n * sizeof(double));
	qsort(t, (size_t)n, sizeof(double), cmp_d);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double best(const double *v, int n)
{
	double b = 0;
	for (int i = 0; i < n; i++)
		if (v[i] > b)
			b = v[i];
	return b;
}

/* The proxy child: serves until killed. */
static void run_proxy(int plfd, const struct nt *t)
{
	struct px_config cfg = {.listen_fd = plfd, .table = t, .max_conns = 1024};
	char err[256];
	struct px *px = px_new(&cfg, err, sizeof(err));
	if (!px) {
		fprintf(stderr, "px_bench: %s\n", err);
		_exit(1);
	}
	for (;;)
		if (px_poll(px, -1) < 0)
			_exit(1);
}

static const char *const case_name[5] = {"direct-up", "tunnel-up", "direct-down", "tunnel-down",
                                         "latency"};

/* One case alone, for perf: a line per run. */
static void bulk_one(uint16_t sport, uint16_t pport, int which, uint64_t mib, int runs)
{
	printf("px_bench: %s only, %d runs of %llu MiB (proxy pid %d)\n", case_name[which], runs,
	       (unsigned long long)mib, (int)proxy_pid);
	fflush(stdout);
	for (int r = 0; r < runs; r++) {
		struct sample v = transfer(sport, pport, which & 1, which < 2, mib << 20);
		printf("  %7.0f MB/s  CPU s/GB: client %.3f upstream %.3f proxy %.3f  machine %.2f CPUs\n",
		       v.rate / 1e6, v.client, v.server, v.proxy, v.machine);
	}
}

static void bulk(uint16_t sport, uint16_t pport, uint64_t mib, int runs)
{
	static struct sample s[4][MAX_RUNS]; /* [case as in case_name][run] */
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < 2; k++) {
			int tun = (r + k) % 2; /* which goes first alternates too */
			s[tun][r] = transfer(sport, pport, tun, true, mib << 20);
			s[2 + tun][r] = transfer(sport, pport, tun, false, mib << 20);
		}

	double med[4], bst[4];
	for (int i = 0; i < 4; i++) {
		double v[MAX_RUNS];
		for (int r = 0; r < runs; r++)
			v[r] = s[i][r].rate;
		med[i] = median(v, runs);
		bst[i] = best(v, runs);
	}
	printf("  bulk %llu MiB, %d runs each: median (best)\n", (unsigned long long)mib, runs);
	printf("                  direct MB/s     tunnel MB/s     tunnel/direct\n");
	for (int d = 0; d < 2; d++)
		printf("    %-10s  %6.0f (%6.0f)   %6.0f (%6.0f)     %3.0f%% (%3.0f%%)\n",
		       d ? "download" : "upload", med[2 * d] / 1e6, bst[2 * d] / 1e6, med[2 * d + 1] / 1e6,
		       bst[2 * d + 1] / 1e6, 100 * med[2 * d + 1] / med[2 * d],
		       100 * bst[2 * d + 1] / bst[2 * d]);
	printf("  CPU seconds per GB moved, median over runs (machine: CPUs busy, all users)\n");
	printf("                  client  upstream   proxy     sum   machine\n");
	double sum[4];
	for (int i = 0; i < 4; i++) {
		double c[MAX_RUNS], u[MAX_RUNS], pr[MAX_RUNS], t[MAX_RUNS], m[MAX_RUNS];
		for (int r = 0; r < runs; r++) {
			c[r] = s[i][r].client;
			u[r] = s[i][r].server;
			pr[r] = s[i][r].proxy;
			t[r] = c[r] + u[r] + pr[r];
			m[r] = s[i][r].machine;
		}
		sum[i] = median(t, runs);
		char px[16] = "      -";
		if (i & 1)
			snprintf(px, sizeof(px), "%7.3f", median(pr, runs));
		printf("    %-12s %6.3f   %6.3f   %s  %6.3f   %5.2f\n", case_name[i], median(c, runs),
		       median(u, runs), px, sum[i], median(m, runs));
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	printf("  bound if CPU were the only limit (%ld CPUs / sum): direct up %.0f, tunnel up %.0f,\n"
	       "    direct down %.0f, tunnel down %.0f MB/s\n",
	       ncpu, ncpu / sum[0] * 1e3, ncpu / sum[1] * 1e3, ncpu / sum[2] * 1e3, ncpu / sum[3] * 1e3);
}

static void latency(uint16_t sport, uint16_t pport, int nconn)
{
	double *lat[2], *t200 = calloc((size_t)nconn, sizeof(double));
	lat[0] = calloc((size_t)nconn, sizeof(double));
	lat[1] = calloc((size_t)nconn, sizeof(double));
	if (!lat[0] || !lat[1] || !t200)
		die("calloc");
	double p0 = clock_s(proxy_clock);
	for (int i = 0; i < nconn; i++)
		for (int k = 0; k < 2; k++) {
			int tun = (i + k) % 2;
			double to;
			lat[tun][i] = open_latency(sport, pport, tun, &to);
			if (tun)
				t200[i] = to;
		}
	double pcpu = (clock_s(proxy_clock) - p0) / nconn;
	for (int tun = 0; tun < 2; tun++)
		qsort(lat[tun], (size_t)nconn, sizeof(double), cmp_d);
	qsort(t200, (size_t)nconn, sizeof(double), cmp_d);
	double m0 = lat[0][nconn / 2], m1 = lat[1][nconn / 2];
	double q0 = lat[0][nconn * 9 / 10], q1 = lat[1][nconn * 9 / 10];
	printf("  open + one byte echoed, %d connections each, alternated:\n", nconn);
	printf("                       direct     tunnel     added\n");
	printf("    median          %7.1f us %7.1f us  +%.1f us (%.2fx)\n", m0 * 1e6, m1 * 1e6,
	       (m1 - m0) * 1e6, m1 / m0);
	printf("    90th percentile %7.1f us %7.1f us  +%.1f us (%.2fx)\n", q0 * 1e6, q1 * 1e6,
	       (q1 - q0) * 1e6, q1 / q0);
	printf("    tunnel: connect + CONNECT until \"200\" read, median %.1f us; proxy CPU %.1f us "
	       "per tunnel\n",
	       t200[nconn / 2] * 1e6, pcpu * 1e6);
	free(lat[0]);
	free(lat[1]);
	free(t200);
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
	int nconn = argc > 2 ? atoi(argv[2]) : 500;
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	const char *only = getenv("PX_BENCH_ONLY");
	bench_cc = getenv("PX_BENCH_CC");
	if (bench_cc && !*bench_cc)
		bench_cc = NULL;
	int only_case = -1;
	if (mib == 0)
		mib = 1024;
	if (nconn < 10)
		nconn = 10;
	if (runs < 1 || runs > MAX_RUNS)
		runs = 5;
	for (int i = 0; only && *only && i < 5; i++)
		if (strcmp(only, case_name[i]) == 0)
			only_case = i;
	if (only && *only && only_case < 0) {
		fprintf(stderr, "px_bench: PX_BENCH_ONLY is one of direct-up tunnel-up direct-down "
		                "tunnel-down latency\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	uint16_t sport, pport;
	int slfd = listen_lo(&sport), plfd = listen_lo(&pport);
	pthread_t srvth;
	pthread_create(&srvth, NULL, server_main, (void *)(intptr_t)slfd);

	struct ntt *x = ntt_new();
	char p[16];
	snprintf(p, sizeof(p), "%u", sport);
	ntt_rule(x, "allow", "127.0.0.1", p, NULL, NULL);
	if (ntt_build(x) != 1) {
		fprintf(stderr, "px_bench: table build failed\n");
		return 1;
	}
	proxy_pid = fork();
	if (proxy_pid < 0)
		die("fork");
	if (proxy_pid == 0) {
		close(slfd);
		run_proxy(plfd, &x->t);
	}
	close(plfd);
	if (clock_getcpuclockid(proxy_pid, &proxy_clock))
		die("clock_getcpuclockid");

	if (only_case == 4) {
		printf("px_bench: latency only (proxy pid %d)\n", (int)proxy_pid);
		fflush(stdout);
		sleep(1); /* time to attach strace or perf */
		latency(sport, pport, nconn);
	} else if (only_case >= 0)
		bulk_one(sport, pport, only_case, mib, runs);
	else {
		char cc[32] = "?";
		FILE *f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "r");
		if (f) {
			if (fscanf(f, "%31s", cc) != 1)
				snprintf(cc, sizeof(cc), "?");
			fclose(f);
		}
		printf("px_bench: loopback; proxy in its own process, client and upstream in threads of\n"
		       "          this one; direct = the same client and upstream code and 256 KiB\n"
		       "          buffers without the proxy, alternated with the tunnel in the same run;\n"
		       "          client and upstream sockets: congestion control %s (%s)\n",
		       bench_cc ? bench_cc : cc, bench_cc ? "PX_BENCH_CC" : "host default");
		bulk(sport, pport, mib, runs);
		latency(sport, pport, nconn);
	}
	kill(proxy_pid, SIGTERM);
	waitpid(proxy_pid, NULL, 0);
	ntt_free(x);
	return 0;
}
