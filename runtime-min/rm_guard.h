/* rm_guard.h — runmin's own seccomp filter, "the guard", which runmin
 * installs before the policy's program whatever the policy says (see
 * rm_sandbox.h, rm_seccomp_guard).  Built here, for any architecture
 * polc knows, so that `polc query` and `polc test` run the very program
 * runmin installs and answer what the kernel will do.
 *
 * What it refuses, on every ABI of the architecture:
 *  - ioctl TIOCSTI and TIOCLINUX (EPERM): typing into a shared terminal;
 *  - io_uring_setup/_enter/_register (EPERM): io_uring's operations would
 *    bypass seccomp;
 *  - socket() (EACCES) for every domain but AF_UNIX and, with inet, TCP
 *    over AF_INET/AF_INET6 (type SOCK_STREAM, protocol 0 or IPPROTO_TCP);
 *    i386's socketcall, whose arguments a filter cannot read, whole. */
#ifndef POLC_RM_GUARD_H
#define POLC_RM_GUARD_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#define RM_GUARD_MAX 64 /* instructions, at most */

/* System call numbers the guard needs, per architecture. */
struct rm_guard_arch {
	uint32_t native, compat;                /* AUDIT_ARCH_* */
	uint32_t ioctl, socket;                 /* native numbers */
	uint32_t x32_ioctl;                     /* 0: no x32 ABI */
	uint32_t compat_ioctl, compat_socket;
	uint32_t compat_socketcall;             /* 0: none */
};

/* The table for AUDIT_ARCH_* audit_arch (its native ABI), or NULL. */
const struct rm_guard_arch *rm_guard_arch(uint32_t audit_arch);

/* Writes the guard for ga into out; returns its length, or -1 (an
 * internal error: the program did not assemble). */
int rm_guard_build(const struct rm_guard_arch *ga, bool inet, struct sock_filter out[RM_GUARD_MAX]);

#endif
