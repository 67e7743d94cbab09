/* rm_net.h — runmin's network namespace side (DESIGN.md, "Network
 * enforcement"): the child leaves the host's network namespace, brings its
 * own `lo` up and, when the policy has outbound rows, listens on
 * 127.0.0.1:RM_PROXY_PORT there and hands that socket to the supervisor,
 * which runs the proxy (proxy.h) in the host namespace.
 *
 * Each function returns 0 (or a descriptor), or -1 with a one-line reason
 * in err; none prints or exits. */
#ifndef POLC_RM_NET_H
#define POLC_RM_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The proxy's port inside the agent's namespace.  Fixed, so the Landlock
 * ruleset (connect_tcp to this port only) can be built before forking: the
 * namespace is new, so the port is always free. */
#define RM_PROXY_PORT 3128

/* Moves this process into a new network namespace with only `lo`, up.
 * As root: unshare(CLONE_NEWNET).  Otherwise a new user namespace as well,
 * mapping the caller's uid and gid to themselves (setgroups denied). */
int rm_net_isolate(char *err, size_t errlen);

/* The same for root, overlapped with runmin's other work: creating a
 * network namespace is the slowest step of start-up (~0.6 ms here, the
 * kernel registering lo and the per-namespace sysctls), and it depends on
 * nothing runmin reads.  rm_net_prepare_start creates the namespace in a
 * helper thread (unshare(CLONE_NEWNET) affects only the calling thread),
 * brings lo up there and keeps a descriptor of it (SIOCGSKNS), without
 * moving runmin itself; rm_net_prepare_finish waits for the thread and
 * returns that descriptor (close-on-exec), or -1 with the reason.  Enter
 * it with rm_net_enter, in this process or in a child after fork. */
struct rm_net_job {
	pthread_t thread;
	bool started;
	int fd;        /* the thread's result: the namespace, or -1 */
	char msg[200]; /* and why not */
};
int rm_net_prepare_start(struct rm_net_job *j, char *err, size_t errlen);
int rm_net_prepare_finish(struct rm_net_job *j, char *err, size_t errlen);
/* setns(fd, CLONE_NEWNET), then closes fd. */
int rm_net_enter(int fd, char *err, size_t errlen);

/* A TCP socket listening on 127.0.0.1:port (close-on-exec). */
int rm_net_listen(uint16_t port, char *err, size_t errlen);

/* Sends fd over the AF_UNIX socket sock (SCM_RIGHTS). */
int rm_net_send_fd(int sock, int fd, char *err, size_t errlen);

/* Receives one descriptor from sock.  Returns it (close-on-exec), -1 with
 * err on failure, or -2 when the peer closed without sending one. */
int rm_net_recv_fd(int sock, char *err, size_t errlen);

#endif
