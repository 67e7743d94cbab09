/* rm_net.c — see rm_net.h. */
#include "rm_net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Writes all of s to path (a /proc/self file); -1 with errno. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = strlen(s);
	ssize_t w = write(fd, s, n);
	int e = errno;
	if (close(fd) < 0 && w >= 0)
		return -1;
	if (w != (ssize_t)n) {
		errno = w < 0 ? e : EIO;
		return -1;
	}
	return 0;
}

/* Brings lo up in the calling thread's network namespace; with nsfd, also
 * returns a descriptor of that namespace there (SIOCGSKNS on the socket
 * used, close-on-exec). */
static int lo_up(int *nsfd, char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail(err, errlen, "network namespace: socket: %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	const char *what = NULL;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		what = "SIOCGIFFLAGS lo";
	ifr.ifr_flags |= IFF_UP;
	if (!what && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		what = "bringing lo up";
	if (!what && nsfd && (*nsfd = ioctl(s, SIOCGSKNS)) < 0)
		what = "SIOCGSKNS";
	int e = errno;
	if (close(s) < 0 && !what) {
		what = "close";
		e = errno;
	}
	if (what) {
		if (nsfd && *nsfd >= 0)
			close(*nsfd);
		return fail(err, errlen, "network namespace: %s: %s", what, strerror(e));
	}
	return 0;
}

int rm_net_isolate(char *err, size_t errlen)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (uid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			return fail(err, errlen, "unshare(CLONE_NEWNET): %s", strerror(errno));
		return lo_up(NULL, err, errlen);
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return fail(err, errlen,
		            "unshare(CLONE_NEWUSER|CLONE_NEWNET): %s (runmin needs root or "
		            "unprivileged user namespaces to isolate the network)",
		            strerror(errno));
	char map[64];
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		return fail(err, errlen, "user namespace: uid_map: %s", strerror(errno));
	if (write_file("/proc/self/setgroups", "deny\n") < 0)
		return fail(err, errlen, "user namespace: setgroups: %s", strerror(errno));
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return fail(err, errlen, "user namespace: gid_map: %s", strerror(errno));
	return lo_up(NULL, err, errlen);
}

static void *prepare_thread(void *arg)
{
	struct rm_net_job *j = arg;
	j->fd = -1;
	if (unshare(CLONE_NEWNET) < 0) {
		fail(j->msg, sizeof(j->msg), "unshare(CLONE_NEWNET): %s", strerror(errno));
		return NULL;
	}
	int fd;
	if (lo_up(&fd, j->msg, sizeof(j->msg)) == 0)
		j->fd = fd;
	/* The thread ends here, and its namespace with it but for fd. */
	return NULL;
}

int rm_net_prepare_start(struct rm_net_job *j, char *err, size_t errlen)
{
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	/* On another CPU than this thread's, if there is one: left to itself
	 * the scheduler often runs the new thread here first, and the two
	 * steps no longer overlap. */
	pthread_attr_t at;
	int e = pthread_attr_init(&at);
	if (e)
		return fail(err, errlen, "network namespace: thread attributes: %s", strerror(e));
	cpu_set_t cpus;
	int here = sched_getcpu();
	if (here >= 0 && sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 1 &&
	    here < CPU_SETSIZE) {
		CPU_CLR(here, &cpus);
		(void)pthread_attr_setaffinity_np(&at, sizeof(cpus), &cpus); /* a hint only */
	}
	pthread_t t;
	e = pthread_create(&t, &at, prepare_thread, j);
	pthread_attr_destroy(&at);
	if (e)
		return fail(err, errlen, "network namespace: starting a thread: %s", strerror(e));
	j->thread = t;
	j->started = true;
	return 0;
}

int rm_net_prepare_finish(struct rm_net_job *j, char *err, size_t errlen)
{
	if (!j->started)
		return fail(err, errlen, "network namespace: not being prepared");
	j->started = false;
	int e = pthread_join(j->thread, NULL);
	if (e)
		return fail(err, errlen, "network namespace: joining the thread: %s", strerror(e));
	if (j->fd < 0)
		return fail(err, errlen, "%s", j->msg[0] ? j->msg : "network namespace: failed");
	return j->fd;
}

int rm_net_enter(int fd, char *err, size_t errlen)
{
	if (setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;
		close(fd);
		return fail(err, errlen, "setns(CLONE_NEWNET): %s", strerror(e));
	}
	if (close(fd) < 0)
		return fail(err, errlen, "network namespace: close: %s", strerror(errno));
	return 0;
}

int rm_net_listen(uint16_t port, char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail(err, errlen, "proxy socket: %s", strerror(errno));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1024) < 0) {
		int e = errno;
		close(s);
		return fail(err, errlen, "proxy socket 127.0.0.1:%u: %s", port, strerror(e));
	}
	return s;
}

int rm_net_send_fd(int sock, int fd, char *err, size_t errlen)
{
	char byte = 'P';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
	                   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t n;
	while ((n = sendmsg(sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n != 1)
		return fail(err, errlen, "passing the proxy socket to the supervisor: %s",
		            n < 0 ? strerror(errno) : "short write");
	return 0;
}

int rm_net_recv_fd(int sock, char *err, size_t errlen)
{
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
	                   .msg_controllen = sizeof(u.buf)};
	ssize_t n;
	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return fail(err, errlen, "receiving the proxy socket: %s", strerror(errno));
	if (n == 0)
		return -2;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (byte != 'P' || (m.msg_flags & MSG_CTRUNC) || !c || c->cmsg_level != SOL_SOCKET ||
	    c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return fail(err, errlen, "receiving the proxy socket: malformed message");
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	/* It must be what the child said: a listening TCP socket. */
	int v = 0;
	socklen_t vl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) < 0 || !v) {
		close(fd);
		return fail(err, errlen, "receiving the proxy socket: not a listening socket");
	}
	return fd;
}
