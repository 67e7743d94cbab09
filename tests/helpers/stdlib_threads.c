/* stdlib_threads — starts threads and spawns a child the way the C library
 * does it today (pthread_create and posix_spawn try clone3 first, and fall
 * back to clone only when clone3 says ENOSYS).  Prints "ok" when all of it
 * worked, else what failed.  Used by tests/integration/stdlib_*.sh. */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

static void *work(void *arg)
{
	*(int *)arg += 1;
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	int done[4] = {0};
	for (int i = 0; i < 4; i++) {
		int e = pthread_create(&t[i], NULL, work, &done[i]);
		if (e) {
			printf("pthread_create: %s\n", strerror(e));
			return 0;
		}
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	pid_t pid;
	char *argv[] = {"true", NULL};
	int e = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
	if (e) {
		printf("posix_spawn: %s\n", strerror(e));
		return 0;
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("child failed\n");
		return 0;
	}
	printf("%s\n", done[0] + done[1] + done[2] + done[3] == 4 ? "ok" : "threads did not run");
	return 0;
}
