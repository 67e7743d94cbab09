/* stdlib_unix — connects to a UNIX socket file and prints "ok" or the
 * errno's name.  Landlock does not restrict connect(2) to socket files
 * (only their creation), so a sandbox that may create AF_UNIX sockets can
 * reach any daemon whose socket file permissions let it in (docker,
 * ssh-agent, tmux, D-Bus ...).  Used by tests/integration/stdlib_*.sh.
 *
 *   stdlib_unix PATH */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fputs("usage: stdlib_unix PATH\n", stderr);
		return 2;
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		strcpy(a.sun_path, argv[1]);
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
			puts("ok");
			close(s);
			return 0;
		}
	}
	printf("%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	return 0;
}
