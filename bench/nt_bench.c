/* nt_bench.c — network table lookups per second on one core, for tables of
 * 10, 1 000 and 100 000 rows (issue 5: >= 10 M/s at 100 000 rows, and flat
 * as the table grows).  Not a test: it prints figures and ratios against
 * baselines measured in the same run:
 *   - the 10-row table (flatness: the rate at 1 000 and 100 000 rows
 *     relative to it), and
 *   - a plain scan over the rules with the same semantics (what the index
 *     saves; measured on fewer queries because it is slow).
 *
 * Times are this thread's CPU time, and each figure is the best of five
 * runs, so a busy machine disturbs the figures less than it would with wall
 * time (the caches are still shared).
 *
 *   nt_bench [seconds-per-measurement [rows,rows...]]   (default 1; 10,1000,100000)
 *   NT_BENCH_HUGE=1   the table in huge pages
 *   NT_BENCH_KINDS=1  also each kind of query alone (ns per lookup)
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/unit/nt_testlib.h"

/* CPU time of this thread: the figures are per core even when other
 * processes share the machine (wall time would count their slices too). */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Row i of a synthetic policy: mostly exact names, some wildcards, IPv4
 * and IPv6 networks, a few deny rows, ports on every row. */
static void add_row(struct ntt *x, int i)
{
	char h[96];
	const char *act = i % 50 == 7 ? "deny" : "allow";
	switch (i % 10) {
	case 0: case 1: case 2: case 3: case 4:
		snprintf(h, sizeof(h), "api%d.svc%d.example.com", i, i % 251);
		break;
	case 5: case 6: snprintf(h, sizeof(h), "*.tenant%d.example.net", i); break;
	case 7: case 8:
		snprintf(h, sizeof(h), "10.%d.%d.0/24", (i >> 8) & 255, i & 255);
		break;
	default: snprintf(h, sizeof(h), "2001:db8:%x:%x::/64", (i >> 16) & 0xffff, i & 0xffff); break;
	}
	ntt_rule(x, act, h, i % 3 ? "443" : "80,443,8000-8080", NULL, NULL);
}

/* The kinds of query, by the row i they aim at. */
enum { Q_EXACT, Q_WILD, Q_V4, Q_V6, Q_MISS_NAME, Q_MISS_V4, Q__COUNT };
static const char *const kind_names[Q__COUNT] = {"exact", "wildcard", "IPv4", "IPv6",
                                                 "name miss", "IPv4 miss"};

static void query_of_kind(int kind, int i, int rows, unsigned *seed, char *h, size_t n)
{
	switch (kind) {
	case Q_EXACT:
		i -= i % 10; /* an exact-name row */
		snprintf(h, n, "api%d.svc%d.example.com", i, i % 251);
		break;
	case Q_WILD:
		i = i - i % 10 + 5;
		if (i >= rows)
			i = 5;
		snprintf(h, n, "w%u.tenant%d.example.net", rand_r(seed) % 100, i);
		break;
	case Q_V4:
		i = i - i % 10 + 7;
		if (i >= rows)
			i = 7;
		snprintf(h, n, "10.%d.%d.%u", (i >> 8) & 255, i & 255, rand_r(seed) % 256);
		break;
	case Q_V6:
		i = i - i % 10 + 9;
		if (i >= rows)
			i = 9;
		snprintf(h, n, "2001:db8:%x:%x::%x", (i >> 16) & 0xffff, i & 0xffff, rand_r(seed) % 65536);
		break;
	case Q_MISS_NAME: snprintf(h, n, "www%d.unknown%d.example.org", i, i % 17); break;
	default: snprintf(h, n, "192.0.2.%u", rand_r(seed) % 256); break;
	}
}

/* A query mix: 50% exact-name hits, 20% names under a wildcard, 10% IPv4
 * and 5% IPv6 hits, 15% misses (names and addresses).  kind >= 0: only
 * queries of that kind. */
static void make_query(int kind, int rows, unsigned *seed, char *h, size_t n)
{
	int r = (int)(rand_r(seed) % 100);
	int i = (int)(rand_r(seed) % (unsigned)rows);
	if (kind < 0)
		kind = r < 50   ? Q_EXACT
		       : r < 70 ? Q_WILD
		       : r < 80 ? Q_V4
		       : r < 85 ? Q_V6
		       : r < 95 ? Q_MISS_NAME
		                : Q_MISS_V4;
	query_of_kind(kind, i, rows, seed, h, n);
}

#define NQ 8192
static char hosts[NQ][96];
static struct nt_req q[NQ];

/* NQ queries of one kind (kind < 0: the mix), always from the same seed. */
static void make_queries(int kind, int rows)
{
	unsigned seed = 42;
	for (int i = 0; i < NQ; i++) {
		make_query(kind, rows, &seed, hosts[i], sizeof(hosts[i]));
		q[i] = (struct nt_req){.host = hosts[i], .host_len = strlen(hosts[i]),
		                       .port = i % 4 ? 443 : 80, .method = NT_METHOD_UNSEEN};
	}
}

/* Indexed lookups per second over the queries: the best of five runs (other
 * processes share the cores and caches here; the best run is the least
 * disturbed).  *allowed: the share allowed in that run. */
static double lookup_rate(const struct nt *t, double secs, double *allowed)
{
	struct nt_result r;
	double rate = 0;
	for (int rep = 0; rep < 5; rep++) {
		long nn = 0, al = 0;
		double t0 = now_s(), t1 = t0;
		while (t1 - t0 < secs / 5) {
			for (int k = 0; k < 65536; k++) {
				nt_lookup(t, &q[(nn + k) & (NQ - 1)], &r);
				al += r.allow;
			}
			nn += 65536;
			t1 = now_s();
		}
		if (nn / (t1 - t0) > rate) {
			rate = nn / (t1 - t0);
			*allowed = (double)al / nn;
		}
	}
	return rate;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	if (secs <= 0)
		secs = 1.0;
	int sizes[8] = {10, 1000, 100000}, nsizes = 3;
	if (argc > 2) {
		nsizes = 0;
		for (char *t = strtok(argv[2], ","); t && nsizes < 8; t = strtok(NULL, ","))
			sizes[nsizes++] = atoi(t) > 0 ? atoi(t) : 10;
	}
	/* NT_BENCH_KINDS=1: also each kind of query alone, in ns per lookup. */
	bool kinds = getenv("NT_BENCH_KINDS") != NULL;
	double kind_ns[8][Q__COUNT];
	double base_rate = 0;
	printf("nt_bench: network table lookups, one core, %.1f s per figure\n", secs);
	printf("  query mix: 50%% exact names, 20%% wildcard names, 10%% IPv4, 5%% IPv6, 15%% misses\n");
	printf("  %-8s %14s %10s %14s %12s %12s %8s %8s\n", "rows", "lookups/s", "vs 10 rows",
	       "scan/s", "index/scan", "build ms", "allowed", "(scan)");
	for (int s = 0; s < nsizes; s++) {
		int rows = sizes[s];
		struct ntt *x = ntt_new();
		for (int i = 0; i < rows; i++)
			add_row(x, i);
		double t0 = now_s();
		if (ntt_build(x) != 1) {
			fprintf(stderr, "nt_bench: build failed for %d rows\n", rows);
			return 1;
		}
		double build_ms = (now_s() - t0) * 1e3;
		/* The table at a page boundary (so every 64-byte slot is one cache
		 * line, as runmin places it), in huge pages when the kernel allows
		 * (NT_BENCH_HUGE=1): a 100 000-row table spans ~12 MB. */
		size_t hlen = (x->out.len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
		uint8_t *huge = mmap(NULL, hlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (huge == MAP_FAILED) {
			perror("nt_bench: mmap");
			return 1;
		}
		if (getenv("NT_BENCH_HUGE"))
			madvise(huge, hlen, MADV_HUGEPAGE);
		memcpy(huge, x->out.p, x->out.len);
		char e[128];
		if (nt_open(&x->t, huge, x->out.len, e, sizeof(e)) < 0) {
			fprintf(stderr, "nt_bench: %s\n", e);
			return 1;
		}
		make_queries(-1, rows);
		double allowed = 0, rate = lookup_rate(&x->t, secs, &allowed);
		if (s == 0)
			base_rate = rate;
		/* The plain scan, for comparison (bounded work). */
		long m = 0, sallowed = 0;
		t0 = now_s();
		double t = t0;
		while (t - t0 < secs / 4 && m < 2000000) {
			for (int k = 0; k < 64; k++) {
				const struct nt_req *qq = &q[(m + k) & (NQ - 1)];
				sallowed += ntt_reference(x, qq->host, qq->port, NULL, NULL) > 0;
			}
			m += 64;
			t = now_s();
		}
		double scan = m / (t - t0);
		printf("  %-8d %14.0f %9.2fx %14.0f %11.0fx %12.1f %7.0f%% %7.0f%%\n", rows, rate,
		       rate / base_rate, scan, rate / scan, build_ms, 100.0 * allowed,
		       100.0 * sallowed / m);
		fflush(stdout);
		for (int k = 0; kinds && k < Q__COUNT; k++) {
			make_queries(k, rows);
			kind_ns[s][k] = 1e9 / lookup_rate(&x->t, secs / 2, &allowed);
		}
		ntt_free(x);
		munmap(huge, hlen);
	}
	if (kinds) {
		printf("  each kind alone, ns per lookup:\n  %-8s", "rows");
		for (int k = 0; k < Q__COUNT; k++)
			printf(" %10s", kind_names[k]);
		for (int s = 0; s < nsizes; s++) {
			printf("\n  %-8d", sizes[s]);
			for (int k = 0; k < Q__COUNT; k++)
				printf(" %10.1f", kind_ns[s][k]);
		}
		printf("\n");
	}
	return 0;
}
