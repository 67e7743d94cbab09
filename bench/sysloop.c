/* sysloop — system-call-heavy loops for bench/startup.sh, timed apart:
 *   calls  pread, fstat, getppid, write to /dev/null on open descriptors:
 *          what the seccomp program (and nothing else) adds to;
 *   opens  openat + close of FILE: Landlock checks every open (a walk from
 *          the file up to the root), on top of seccomp.
 *
 *   sysloop ITERATIONS FILE [allow-filter]
 *          prints "calls_ns opens_ns" per iteration; with allow-filter, first
 *          installs a one-instruction seccomp program that allows everything:
 *          the kernel's own cost of running any filter at all. */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (argc == 4 && strcmp(argv[3], "allow-filter")) || argc > 4)
		return fprintf(stderr, "usage: sysloop ITERATIONS FILE [allow-filter]\n"), 2;
	if (argc == 4) {
		struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
		struct sock_fprog prog = {1, f};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			return perror("sysloop: seccomp"), 1;
	}
	long n = atol(argv[1]);
	char buf[64];
	struct stat st;
	int fd = open(argv[2], O_RDONLY | O_CLOEXEC), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || null < 0 || n < 1)
		return perror("sysloop"), 1;
	double a = now();
	for (long i = 0; i < n; i++)
		if (pread(fd, buf, sizeof(buf), 0) < 0 || fstat(fd, &st) < 0 || getppid() < 0 ||
		    write(null, buf, 1) != 1)
			return perror("sysloop"), 1;
	double b = now();
	for (long i = 0; i < n; i++) {
		int f = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return perror("sysloop"), 1;
		close(f);
	}
	double c = now();
	printf("%.1f %.1f\n", (b - a) / (double)n, (c - b) / (double)n);
	return 0;
}
