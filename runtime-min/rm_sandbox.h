/* rm_sandbox.h — what runmin does to itself before it runs the program:
 * Landlock, no_new_privs, capabilities, seccomp, file descriptors.
 *
 * Each function returns 0, or -1 with a one-line reason in err; none
 * prints or exits (runmin.c decides).  Nothing here allocates except
 * rm_seccomp_load (freed before it returns). */
#ifndef POLC_RM_SANDBOX_H
#define POLC_RM_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "art.h"

/* The kernel's Landlock ABI version: 0 when Landlock is missing or
 * disabled, -1 (errno set) when the probe fails some other way. */
int rm_ll_abi(void);

/* A ruleset built from a LANDLOCK section, not yet enforced. */
struct rm_ll {
	int fd;                  /* -1: the section restricts nothing */
	uint32_t restrict_flags; /* for landlock_restrict_self() */
	uint32_t nrules, nskipped; /* skipped: optional paths that are missing */
};

/* Builds the ruleset for a kernel with Landlock ABI `abi` (which must be
 * at least the section's min_abi): opens every rule path with O_PATH
 * (following symbolic links, as the kernel will check the real path),
 * drops directory-only rights on paths that are not directories, skips
 * missing optional paths, refuses other missing paths naming them.  When
 * the section has ART_LL_F_PROXY_CONNECT and proxy_port is not 0, adds a
 * connect_tcp rule for that port.  Audit flags are kept only for ABI >= 7.
 * The caller owns out->fd (close-on-exec). */
int rm_ll_prepare(struct rm_ll *out, struct art_ll *ll, int abi, uint16_t proxy_port, char *err,
                  size_t errlen);

/* Sets no_new_privs: execve can never grant privileges again (setuid,
 * setgid, file capabilities).  Landlock and seccomp need it. */
int rm_no_new_privs(char *err, size_t errlen);

/* Enforces the ruleset on this thread (no_new_privs must be set) and
 * closes it.  Does nothing when rl->fd is -1. */
int rm_ll_enforce(struct rm_ll *rl, char *err, size_t errlen);

/* Another identity to take on, or none (set_* false). */
struct rm_ids {
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid; /* supplementary groups are dropped with it */
};

/* Drops every capability not in keep: bounding set, ambient set, then
 * (with ids) switches groups, gid and uid, then sets effective, permitted
 * and inheritable to keep and raises those in the ambient set so they
 * survive execve for any uid.  Without CAP_SETPCAP the bounding set cannot
 * be changed; that is accepted (no_new_privs already stops execve from
 * granting anything).  Checks the result. */
int rm_caps_drop(uint64_t keep, const struct rm_ids *ids, char *err, size_t errlen);

/* AUDIT_ARCH_* of the running kernel's native syscall ABI. */
uint32_t rm_native_arch(void);

/* Installs runmin's own small filter ("the guard"), on every ABI of this
 * arch, whatever the policy says (when both refuse a call, the policy's
 * errno is the one the program sees: the kernel reports the most recently
 * installed filter's among equal actions):
 *  - ioctl TIOCSTI (push characters into the terminal's input) and
 *    TIOCLINUX: EPERM — a known escape from sandboxes that share the
 *    terminal (CVE-2017-5226);
 *  - io_uring_setup/_enter/_register: EPERM — io_uring's operations
 *    (sockets, opens) would bypass seccomp;
 *  - socket(): EACCES for every domain but AF_UNIX and, with inet, TCP over
 *    AF_INET/AF_INET6 (type SOCK_STREAM, protocol 0 or IPPROTO_TCP): no
 *    UDP, raw, packet, netlink, vsock, SCTP, MPTCP...; i386's socketcall,
 *    whose arguments a filter cannot read, is refused whole (EACCES). */
int rm_seccomp_guard(bool inet, char *err, size_t errlen);

/* Installs the artifact's program (SECCOMP section for the native arch).
 * Its flags may only be SECCOMP_FILTER_FLAG_LOG and _SPEC_ALLOW. */
int rm_seccomp_load(const struct art_sc *sc, char *err, size_t errlen);

/* Marks every descriptor from 3 up close-on-exec, except those in keep
 * (which must be open; their close-on-exec flag is cleared). */
int rm_fds_prepare(const int *keep, int nkeep, char *err, size_t errlen);

#endif
