/* probe — tries one thing a sandbox should refuse and prints what the
 * kernel said: "ok", or the errno's name (EACCES, EPERM, ...).  Exit 0
 * when the attempt was made (whatever its result), 2 on usage errors.
 * Integration tests run it under runmin and, as a control, without.
 *
 *   probe read|write|create|truncate|unlink|mkdir|rmdir|readdir PATH
 *   probe rename|link|symlink FROM TO
 *   probe kill PID [SIG]            kill(2), default signal 0
 *   probe ptrace PID                PTRACE_SEIZE then detach
 *   probe abstract-serve NAME SECS  listen on abstract UNIX socket @NAME,
 *                                   print "ready", accept for SECS seconds
 *   probe abstract-connect NAME
 *   probe tcp-bind PORT | tcp-connect PORT   on 127.0.0.1
 *   probe tiocsti                   push a character into fd 0's terminal
 *   probe mount DIR                 mount a tmpfs on DIR (and unmount it again)
 *   probe unshare | bpf | keyctl | userfaultfd | io_uring | perf
 *   probe socket FAMILY [TYPE [hi] [PROTO]]  socket(FAMILY | (hi ? 1<<32 : 0), TYPE, PROTO)
 *   probe x32 NR | int80 NR         raw x32 / i386 syscall NR (x86_64 only)
 *   probe caps                      effective/permitted/bounding/ambient, euid
 *   probe pty CMD [ARG...]          run CMD with a new pseudo-terminal as its
 *                                   controlling terminal and fds 0-2, copy its
 *                                   output, exit with its status */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int report(long rc)
{
	if (rc < 0)
		printf("%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	else
		printf("ok\n");
	return 0;
}

static int usage(void)
{
	fputs("usage: probe OPERATION ARGS... (see the comment in tests/helpers/probe.c)\n",
	      stderr);
	return 2;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	size_t n = strlen(name);
	if (n > sizeof(a->sun_path) - 1)
		n = sizeof(a->sun_path) - 1;
	memcpy(a->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int tcp(int port, int do_bind)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return report(-1);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return report(do_bind ? bind(s, (struct sockaddr *)&a, sizeof(a))
	                      : connect(s, (struct sockaddr *)&a, sizeof(a)));
}

static int caps(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	if (!f)
		return report(-1);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) ||
		    !strncmp(line, "Seccomp:", 8))
			fputs(line, stdout);
	fclose(f);
	printf("euid %u\n", (unsigned)geteuid());
	return 0;
}

static int pty(char **cmd)
{
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	if (pid < 0)
		return report(-1);
	if (pid == 0) {
		/* No echo: only what the command writes comes back. */
		struct termios t;
		if (tcgetattr(0, &t) == 0) {
			t.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(0, TCSANOW, &t);
		}
		execvp(cmd[0], cmd);
		_exit(127);
	}
	char buf[4096];
	ssize_t n;
	/* EIO once the child side is closed. */
	while ((n = read(master, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#if defined(__x86_64__)
static long int80(long nr)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
#endif

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *op = argv[1], *a1 = argc > 2 ? argv[2] : NULL, *a2 = argc > 3 ? argv[3] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
#define NEED(n)                                                                                \
	do {                                                                                   \
		if (argc < 2 + (n))                                                            \
			return usage();                                                        \
	} while (0)
	if (!strcmp(op, "read")) {
		NEED(1);
		int fd = open(a1, O_RDONLY | O_CLOEXEC);
		char c;
		return report(fd < 0 ? -1 : read(fd, &c, 1));
	}
	if (!strcmp(op, "write")) {
		NEED(1);
		int fd = open(a1, O_WRONLY | O_CLOEXEC);
		return report(fd < 0 ? -1 : write(fd, "x", 1));
	}
	if (!strcmp(op, "create")) {
		NEED(1);
		return report(open(a1, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
	}
	if (!strcmp(op, "truncate")) {
		NEED(1);
		return report(truncate(a1, 0));
	}
	if (!strcmp(op, "unlink")) {
		NEED(1);
		return report(unlink(a1));
	}
	if (!strcmp(op, "mkdir")) {
		NEED(1);
		return report(mkdir(a1, 0700));
	}
	if (!strcmp(op, "rmdir")) {
		NEED(1);
		return report(rmdir(a1));
	}
	if (!strcmp(op, "readdir")) {
		NEED(1);
		int fd = open(a1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char buf[1024];
		return report(fd < 0 ? -1 : syscall(SYS_getdents64, fd, buf, sizeof(buf)));
	}
	if (!strcmp(op, "rename")) {
		NEED(2);
		return report(rename(a1, a2));
	}
	if (!strcmp(op, "link")) {
		NEED(2);
		return report(link(a1, a2));
	}
	if (!strcmp(op, "symlink")) {
		NEED(2);
		return report(symlink(a1, a2));
	}
	if (!strcmp(op, "kill")) {
		NEED(1);
		return report(kill(atoi(a1), a2 ? atoi(a2) : 0));
	}
	if (!strcmp(op, "ptrace")) {
		NEED(1);
		pid_t pid = atoi(a1);
		long rc = ptrace(PTRACE_SEIZE, pid, 0, 0);
		int e = errno;
		if (rc == 0)
			ptrace(PTRACE_DETACH, pid, 0, 0);
		errno = e;
		return report(rc);
	}
	if (!strcmp(op, "abstract-serve")) {
		NEED(2);
		struct sockaddr_un a;
		socklen_t len = abstract_addr(&a, a1);
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0 || bind(s, (struct sockaddr *)&a, len) < 0 || listen(s, 8) < 0)
			return report(-1);
		printf("ready\n");
		alarm((unsigned)atoi(a2));
		for (;;) {
			int c = accept(s, NULL, NULL);
			if (c >= 0)
				close(c);
		}
	}
	if (!strcmp(op, "abstract-connect")) {
		NEED(1);
		struct sockaddr_un a;
		socklen_t len = abstract_addr(&a, a1);
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		return report(s < 0 ? -1 : connect(s, (struct sockaddr *)&a, len));
	}
	if (!strcmp(op, "tcp-bind") || !strcmp(op, "tcp-connect")) {
		NEED(1);
		return tcp(atoi(a1), op[4] == 'b');
	}
	if (!strcmp(op, "tiocsti")) {
		char c = ' ';
		return report(ioctl(0, TIOCSTI, &c));
	}
	if (!strcmp(op, "mount")) {
		NEED(1);
		int rc = mount("none", a1, "tmpfs", 0, NULL);
		int e = errno;
		if (rc == 0)
			umount2(a1, MNT_DETACH);
		errno = e;
		return report(rc);
	}
	if (!strcmp(op, "unshare"))
		return report(unshare(CLONE_NEWUSER));
	if (!strcmp(op, "bpf")) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.map_type = BPF_MAP_TYPE_ARRAY;
		attr.key_size = 4;
		attr.value_size = 4;
		attr.max_entries = 1;
		return report(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
	}
	if (!strcmp(op, "keyctl"))
		return report(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0));
	if (!strcmp(op, "userfaultfd"))
		return report(syscall(SYS_userfaultfd, O_CLOEXEC));
	if (!strcmp(op, "io_uring")) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		return report(syscall(SYS_io_uring_setup, 1, &p));
	}
	if (!strcmp(op, "perf")) {
		struct perf_event_attr pa;
		memset(&pa, 0, sizeof(pa));
		pa.type = PERF_TYPE_SOFTWARE;
		pa.size = sizeof(pa);
		pa.config = PERF_COUNT_SW_CPU_CLOCK;
		pa.exclude_kernel = 1;
		pa.exclude_hv = 1;
		return report(syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0));
	}
	if (!strcmp(op, "socket")) {
		NEED(1);
		long fam = strtol(a1, NULL, 0), type = a2 ? strtol(a2, NULL, 0) : SOCK_RAW, proto = 0;
		for (int i = 4; i < argc; i++) {
			if (!strcmp(argv[i], "hi"))
				fam |= 1L << 32;
			else
				proto = strtol(argv[i], NULL, 0);
		}
		return report(syscall(SYS_socket, fam, type, proto));
	}
#if defined(__x86_64__)
	if (!strcmp(op, "x32")) {
		NEED(1);
		return report(syscall(0x40000000L | strtol(a1, NULL, 0)));
	}
	if (!strcmp(op, "int80")) {
		NEED(1);
		return report(int80(strtol(a1, NULL, 0)));
	}
#endif
	if (!strcmp(op, "caps"))
		return caps();
	if (!strcmp(op, "pty")) {
		NEED(1);
		return pty(argv + 2);
	}
	return usage();
}
