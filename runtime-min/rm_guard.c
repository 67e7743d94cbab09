/* rm_guard.c — see rm_guard.h. */
#include "rm_guard.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Numbers from the kernel's syscall tables (arch/x86/entry/syscalls/
 * syscall_64.tbl and syscall_32.tbl; include/uapi/asm-generic/unistd.h;
 * arch/arm/tools/syscall.tbl).  runmin's own arch is cross-checked against
 * <sys/syscall.h> below. */
static const struct rm_guard_arch arches[] = {
	{.native = AUDIT_ARCH_X86_64, .compat = AUDIT_ARCH_I386, .ioctl = 16, .socket = 41,
	 .x32_ioctl = 514, .compat_ioctl = 54, .compat_socket = 359, .compat_socketcall = 102},
	{.native = AUDIT_ARCH_AARCH64, .compat = AUDIT_ARCH_ARM, .ioctl = 29, .socket = 198,
	 .compat_ioctl = 54, .compat_socket = 281 /* arm EABI has no socketcall */},
};
#if defined(__x86_64__)
#include <sys/syscall.h>
_Static_assert(__NR_ioctl == 16 && __NR_socket == 41, "x86_64 numbers");
#elif defined(__aarch64__)
#include <sys/syscall.h>
_Static_assert(__NR_ioctl == 29 && __NR_socket == 198, "aarch64 numbers");
#endif

const struct rm_guard_arch *rm_guard_arch(uint32_t audit_arch)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i].native == audit_arch)
			return &arches[i];
	return NULL;
}

/* Low word of argument i (seccomp_data holds 64-bit arguments). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args[i]))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args[i]) + 4)
#endif

#define X32 0x40000000u
#define NR_IO_URING_FIRST 425 /* io_uring_setup, _enter, _register: the same */
#define NR_IO_URING_LAST 427  /* number on every arch since Linux 5.1 */

/* A tiny assembler for the guard: jumps name labels, resolved at the end
 * (all forward, as the kernel requires). */
enum { G_ALLOW, G_EPERM, G_EACCES, G_IOCTL, G_SOCK, G_INET, G_PROTO, G_NATIVE, G_NAT_HI,
       G_X32, G_X32_CALL, G_X32_URING, G_COMPAT, G_COMPAT_URING, G_NLABELS };
struct gasm {
	struct sock_filter f[RM_GUARD_MAX];
	uint8_t jt[RM_GUARD_MAX], jf[RM_GUARD_MAX]; /* label + 1, or 0: fall through */
	unsigned n;
	int at[G_NLABELS];
};
static void g_label(struct gasm *g, int l) { g->at[l] = (int)g->n; }
static void g_op(struct gasm *g, uint16_t code, uint32_t k, int jt, int jf)
{
	if (g->n < RM_GUARD_MAX) {
		g->f[g->n] = (struct sock_filter){code, 0, 0, k};
		g->jt[g->n] = (uint8_t)jt;
		g->jf[g->n] = (uint8_t)jf;
	}
	g->n++;
}
#define G_LD(g, off) g_op(g, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(off), 0, 0)
#define G_JEQ(g, k, t) g_op(g, BPF_JMP | BPF_JEQ | BPF_K, k, (t) + 1, 0)
#define G_JGE(g, k, t) g_op(g, BPF_JMP | BPF_JGE | BPF_K, k, (t) + 1, 0)
#define G_JGT(g, k, t) g_op(g, BPF_JMP | BPF_JGT | BPF_K, k, (t) + 1, 0)
#define G_RET(g, v) g_op(g, BPF_RET | BPF_K, v, 0, 0)
static int g_resolve(struct gasm *g)
{
	if (g->n > RM_GUARD_MAX)
		return -1;
	for (unsigned i = 0; i < g->n; i++) {
		int d[2] = {g->jt[i] ? g->at[g->jt[i] - 1] : (int)i + 1,
		            g->jf[i] ? g->at[g->jf[i] - 1] : (int)i + 1};
		for (int k = 0; k < 2; k++)
			if (d[k] <= (int)i || d[k] - (int)i - 1 > 255)
				return -1;
		g->f[i].jt = (uint8_t)(d[0] - (int)i - 1);
		g->f[i].jf = (uint8_t)(d[1] - (int)i - 1);
	}
	return 0;
}

int rm_guard_build(const struct rm_guard_arch *ga, bool inet, struct sock_filter out[RM_GUARD_MAX])
{
	if (!ga)
		return -1;
	struct gasm g;
	memset(&g, 0, sizeof(g));
	for (int i = 0; i < G_NLABELS; i++)
		g.at[i] = -1;
	G_LD(&g, offsetof(struct seccomp_data, arch));
	G_JEQ(&g, ga->native, G_NATIVE);
	G_JEQ(&g, ga->compat, G_COMPAT);
	G_RET(&g, SECCOMP_RET_ALLOW); /* no other ABI reaches this kernel */

	g_label(&g, G_NATIVE);
	G_LD(&g, offsetof(struct seccomp_data, nr));
	G_JEQ(&g, ga->ioctl, G_IOCTL);
	G_JEQ(&g, ga->socket, G_SOCK);
	G_JGE(&g, NR_IO_URING_FIRST, G_NAT_HI);
	G_RET(&g, SECCOMP_RET_ALLOW);
	g_label(&g, G_NAT_HI);
	if (ga->x32_ioctl) {
		G_JGT(&g, NR_IO_URING_LAST, G_X32);
		G_RET(&g, SECCOMP_RET_ERRNO | EPERM);
		g_label(&g, G_X32); /* nr > 427: x32 calls have bit 30 set */
		G_JGE(&g, X32, G_X32_CALL);
		G_RET(&g, SECCOMP_RET_ALLOW);
		g_label(&g, G_X32_CALL);
		G_JEQ(&g, X32 | ga->x32_ioctl, G_IOCTL);
		G_JEQ(&g, X32 | ga->socket, G_SOCK);
		G_JGE(&g, X32 | NR_IO_URING_FIRST, G_X32_URING);
		G_RET(&g, SECCOMP_RET_ALLOW);
		g_label(&g, G_X32_URING);
		G_JGT(&g, X32 | NR_IO_URING_LAST, G_ALLOW);
	} else {
		G_JGT(&g, NR_IO_URING_LAST, G_ALLOW);
	}
	G_RET(&g, SECCOMP_RET_ERRNO | EPERM);

	g_label(&g, G_COMPAT);
	G_LD(&g, offsetof(struct seccomp_data, nr));
	G_JEQ(&g, ga->compat_ioctl, G_IOCTL);
	G_JEQ(&g, ga->compat_socket, G_SOCK);
	/* socketcall's arguments are in memory, out of a filter's reach. */
	if (ga->compat_socketcall)
		G_JEQ(&g, ga->compat_socketcall, G_EACCES);
	G_JGE(&g, NR_IO_URING_FIRST, G_COMPAT_URING);
	G_RET(&g, SECCOMP_RET_ALLOW);
	g_label(&g, G_COMPAT_URING);
	G_JGT(&g, NR_IO_URING_LAST, G_ALLOW);
	G_RET(&g, SECCOMP_RET_ERRNO | EPERM);

	/* The request is an unsigned int: only the low 32 bits count. */
	g_label(&g, G_IOCTL);
	G_LD(&g, ARG_LO(1));
	G_JEQ(&g, TIOCSTI, G_EPERM);
	G_JEQ(&g, TIOCLINUX, G_EPERM);
	G_RET(&g, SECCOMP_RET_ALLOW);

	/* socket(domain, type, protocol), all three ints. */
	g_label(&g, G_SOCK);
	G_LD(&g, ARG_LO(0));
	G_JEQ(&g, AF_UNIX, G_ALLOW);
	if (inet) {
		G_JEQ(&g, AF_INET, G_INET);
		G_JEQ(&g, AF_INET6, G_INET);
	}
	G_RET(&g, SECCOMP_RET_ERRNO | EACCES);
	if (inet) {
		g_label(&g, G_INET); /* TCP only: no UDP, raw, SCTP, MPTCP */
		G_LD(&g, ARG_LO(1));
		g_op(&g, BPF_ALU | BPF_AND | BPF_K, 0xf, 0, 0); /* minus SOCK_NONBLOCK/CLOEXEC */
		G_JEQ(&g, SOCK_STREAM, G_PROTO);
		G_RET(&g, SECCOMP_RET_ERRNO | EACCES);
		g_label(&g, G_PROTO);
		G_LD(&g, ARG_LO(2));
		G_JEQ(&g, 0, G_ALLOW);
		G_JEQ(&g, IPPROTO_TCP, G_ALLOW);
	}
	g_label(&g, G_EACCES);
	G_RET(&g, SECCOMP_RET_ERRNO | EACCES);
	g_label(&g, G_EPERM);
	G_RET(&g, SECCOMP_RET_ERRNO | EPERM);
	g_label(&g, G_ALLOW);
	G_RET(&g, SECCOMP_RET_ALLOW);

	if (g_resolve(&g) < 0)
		return -1;
	memcpy(out, g.f, g.n * sizeof(g.f[0]));
	return (int)g.n;
}

