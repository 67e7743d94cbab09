/* px_bench.c — the supervisor proxy on loopback: bulk throughput through a
 * CONNECT tunnel against a direct connection to the same server, and the
 * latency a tunnel adds to opening a connection (median), both measured in
 * the same run.  Not a test; figures and ratios only.
 *
 * The proxy runs in a child process (as in runmin, where the supervisor is
 * its own process); the upstream server runs in threads of this process.
 *
 *   px_bench [MiB-per-transfer [connections]]     (default 1024, 500)
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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "px_bench: %s: %s\n", what, strerror(errno));
	exit(1);
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
	if (fd < 0 || connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
		die("connect");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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

#define BLOCK (256 * 1024)

/* Upstream: 'U' sink (read to EOF, answer the byte count), 'D' + u64 n
 * source (send n bytes, close), 'E' echo one byte then wait for EOF. */
static void *serve_one(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static __thread char buf[BLOCK];
	char mode;
	if (recv(fd, &mode, 1, MSG_WAITALL) != 1) {
		close(fd);
		return NULL;
	}
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

static double upload(uint16_t sport, uint16_t pport, bool tunnel, uint64_t bytes)
{
	static char buf[BLOCK];
	int fd = open_conn(sport, pport, tunnel);
	double t0 = now_s();
	xwrite(fd, "U", 1);
	for (uint64_t left = bytes; left;) {
		size_t k = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		xwrite(fd, buf, k);
		left -= k;
	}
	shutdown(fd, SHUT_WR);
	uint64_t got;
	xread(fd, &got, sizeof(got));
	double dt = now_s() - t0;
	close(fd);
	if (got != bytes) {
		fprintf(stderr, "px_bench: upload lost bytes (%llu of %llu)\n", (unsigned long long)got,
		        (unsigned long long)bytes);
		exit(1);
	}
	return bytes / dt;
}

static double download(uint16_t sport, uint16_t pport, bool tunnel, uint64_t bytes)
{
	static char buf[BLOCK];
	int fd = open_conn(sport, pport, tunnel);
	double t0 = now_s();
	xwrite(fd, "D", 1);
	xwrite(fd, &bytes, sizeof(bytes));
	uint64_t got = 0;
	for (ssize_t k; (k = recv(fd, buf, sizeof(buf), 0)) > 0;)
		got += (uint64_t)k;
	double dt = now_s() - t0;
	close(fd);
	if (got != bytes) {
		fprintf(stderr, "px_bench: download lost bytes\n");
		exit(1);
	}
	return bytes / dt;
}

/* Connect, (CONNECT), one byte each way. */
static double open_latency(uint16_t sport, uint16_t pport, bool tunnel)
{
	double t0 = now_s();
	int fd = open_conn(sport, pport, tunnel);
	char c;
	xwrite(fd, "E", 1);
	xread(fd, &c, 1);
	double dt = now_s() - t0;
	close(fd);
	return dt;
}

/* CPU seconds used so far by process pid (user + system). */
static double cpu_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
	int nconn = argc > 2 ? atoi(argv[2]) : 500;
	if (mib == 0)
		mib = 1024;
	if (nconn < 10)
		nconn = 10;
	signal(SIGPIPE, SIG_IGN);
	uint16_t sport, pport;
	int slfd = listen_lo(&sport), plfd = listen_lo(&pport);
	pthread_t srv;
	pthread_create(&srv, NULL, server_main, (void *)(intptr_t)slfd);

	struct ntt *x = ntt_new();
	char p[16];
	snprintf(p, sizeof(p), "%u", sport);
	ntt_rule(x, "allow", "127.0.0.1", p, NULL, NULL);
	if (ntt_build(x) != 1) {
		fprintf(stderr, "px_bench: table build failed\n");
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(slfd);
		struct px_config cfg = {.listen_fd = plfd, .table = &x->t, .max_conns = 1024};
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
	close(plfd);

	uint64_t bytes = mib << 20;
	printf("px_bench: loopback, proxy in its own process; baseline = a direct connection to the\n"
	       "          same upstream, measured alternately in the same run (best of 3)\n");
	double best[2][2] = {{0, 0}, {0, 0}}; /* [tunnel][up/down] */
	double pcpu = 0, self0 = 0, self1 = 0, moved = 0;
	for (int rep = 0; rep < 3; rep++)
		for (int tun = 0; tun < 2; tun++) {
			double c0 = cpu_of(pid), s0 = cpu_of(getpid());
			double u = upload(sport, pport, tun, bytes), d = download(sport, pport, tun, bytes);
			if (tun) {
				pcpu += cpu_of(pid) - c0;
				self1 += cpu_of(getpid()) - s0;
				moved += 2.0 * (double)bytes;
			} else
				self0 += cpu_of(getpid()) - s0;
			if (u > best[tun][0])
				best[tun][0] = u;
			if (d > best[tun][1])
				best[tun][1] = d;
		}
	printf("  bulk %llu MiB      %12s %12s %8s\n", (unsigned long long)mib, "direct MB/s",
	       "tunnel MB/s", "ratio");
	printf("    upload            %12.0f %12.0f %7.0f%%\n", best[0][0] / 1e6, best[1][0] / 1e6,
	       100 * best[1][0] / best[0][0]);
	printf("    download          %12.0f %12.0f %7.0f%%\n", best[0][1] / 1e6, best[1][1] / 1e6,
	       100 * best[1][1] / best[0][1]);
	printf("    CPU per GB moved: client+server %.2f s direct, %.2f s tunnelled; proxy %.2f s\n",
	       self0 / moved * 1e9, self1 / moved * 1e9, pcpu / moved * 1e9);

	double *lat[2];
	lat[0] = calloc((size_t)nconn, sizeof(double));
	lat[1] = calloc((size_t)nconn, sizeof(double));
	for (int i = 0; i < nconn; i++)
		for (int tun = 0; tun < 2; tun++)
			lat[tun][i] = open_latency(sport, pport, tun);
	for (int tun = 0; tun < 2; tun++)
		qsort(lat[tun], (size_t)nconn, sizeof(double), cmp_d);
	double m0 = lat[0][nconn / 2], m1 = lat[1][nconn / 2];
	double q0 = lat[0][nconn * 9 / 10], q1 = lat[1][nconn * 9 / 10];
	printf("  open + first byte, %d connections each:\n", nconn);
	printf("    median            %9.1f us %9.1f us   +%.1f us (%.2fx)\n", m0 * 1e6, m1 * 1e6,
	       (m1 - m0) * 1e6, m1 / m0);
	printf("    90th percentile   %9.1f us %9.1f us   +%.1f us (%.2fx)\n", q0 * 1e6, q1 * 1e6,
	       (q1 - q0) * 1e6, q1 / q0);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(lat[0]);
	free(lat[1]);
	ntt_free(x);
	return 0;
}
