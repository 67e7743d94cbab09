/* startup_spawn — wall-clock time to spawn a command and reap it, for
 * bench/startup.sh.  Several commands, separated by "---", are run in
 * turn (interleaved, so drift in the machine's load hits them all alike):
 *
 *   startup_spawn N CMD [ARG...] [--- CMD [ARG...]]...
 *
 * Prints, per command, "median_us p10_us p90_us" on one line, in order.
 * A command that exits non-zero aborts the run (exit 1): a benchmark of a
 * failing sandbox measures nothing. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return fprintf(stderr, "usage: startup_spawn N CMD... [--- CMD...]...\n"), 2;
	int n = atoi(argv[1]), ncmd = 0;
	char **cmd[16];
	cmd[ncmd++] = argv + 2;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "---")) {
			argv[i] = NULL;
			if (ncmd == 16 || i + 1 >= argc)
				return fprintf(stderr, "startup_spawn: bad command list\n"), 2;
			cmd[ncmd++] = argv + i + 1;
		}
	double *t = calloc((size_t)n * (size_t)ncmd, sizeof(double));
	if (n < 1 || !t)
		return 2;
	for (int i = 0; i < n; i++)
		for (int c = 0; c < ncmd; c++) {
			struct timespec a, b;
			pid_t pid;
			int st;
			clock_gettime(CLOCK_MONOTONIC, &a);
			if (posix_spawn(&pid, cmd[c][0], NULL, NULL, cmd[c], environ) != 0 ||
			    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "startup_spawn: '%s' failed\n", cmd[c][0]);
				return 1;
			}
			clock_gettime(CLOCK_MONOTONIC, &b);
			t[(size_t)c * (size_t)n + (size_t)i] =
			        (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
		}
	for (int c = 0; c < ncmd; c++) {
		double *v = t + (size_t)c * (size_t)n;
		qsort(v, (size_t)n, sizeof(double), cmp);
		printf("%.1f %.1f %.1f\n", v[n / 2], v[n / 10], v[n * 9 / 10]);
	}
	free(t);
	return 0;
}
