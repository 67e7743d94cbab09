/* sysc.c — syscall resolution through libseccomp; see sysc.h. */
#include "sysc.h"

#include <linux/audit.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

static const struct sysc_arch arches[] = {
	{"x86_64", AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64},
	{"aarch64", AUDIT_ARCH_AARCH64, SCMP_ARCH_AARCH64},
};
/* ABIs that x86_64 kernels also accept; handled inside the x86_64 program. */
static const struct sysc_arch extra[] = {
	{"i386", AUDIT_ARCH_I386, SCMP_ARCH_X86},
	{"x32", AUDIT_ARCH_X86_64, SCMP_ARCH_X32},
};

const struct sysc_arch *sysc_arches(int *n)
{
	*n = (int)(sizeof(arches) / sizeof(arches[0]));
	return arches;
}

const struct sysc_arch *sysc_arch_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (strcmp(arches[i].name, name) == 0)
			return &arches[i];
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (strcmp(extra[i].name, name) == 0)
			return &extra[i];
	return NULL;
}

const struct sysc_arch *sysc_arch_by_audit(uint32_t audit_arch)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i].audit_arch == audit_arch)
			return &arches[i];
	return NULL;
}

int sysc_resolve(const struct sysc_arch *arch, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(arch->scmp_token, name);
	/* libseccomp returns negative pseudo-numbers for syscalls an arch lacks. */
	return nr < 0 ? -1 : nr;
}

const char *sysc_name(const struct sysc_arch *arch, int nr)
{
	/* libseccomp returns a malloc'd string; keep a small cache so callers
	 * need not free.  Names are short and the set is bounded. */
	static struct {
		uint32_t token;
		int nr;
		char *name;
	} cache[4096];
	static size_t ncache;
	for (size_t i = 0; i < ncache; i++)
		if (cache[i].token == arch->scmp_token && cache[i].nr == nr)
			return cache[i].name;
	char *s = seccomp_syscall_resolve_num_arch(arch->scmp_token, nr);
	if (!s)
		return NULL;
	if (ncache < sizeof(cache) / sizeof(cache[0])) {
		cache[ncache].token = arch->scmp_token;
		cache[ncache].nr = nr;
		cache[ncache].name = s;
		ncache++;
		return s;
	}
	free(s);
	return NULL;
}

bool sysc_known(const char *name)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (sysc_resolve(&arches[i], name) >= 0)
			return true;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (sysc_resolve(&extra[i], name) >= 0)
			return true;
	return false;
}

/* Arguments declared int / unsigned int in the kernel's SYSCALL_DEFINE for
 * the syscalls policies commonly constrain.  Extend when a policy needs to
 * constrain another 32-bit argument; arguments not listed are compared on
 * all 64 bits. */
static const struct {
	const char *name;
	uint8_t mask; /* bit i: argument i is 32-bit */
} arg32[] = {
	{"socket", 0x07},       /* int family, int type, int protocol */
	{"socketpair", 0x07},
	{"personality", 0x01},  /* unsigned int */
	{"setsockopt", 0x0e},   /* int fd, int level, int optname */
	{"getsockopt", 0x07},
	{"ioctl", 0x03},        /* unsigned int fd, unsigned int cmd */
	{"fcntl", 0x03},        /* unsigned int fd, unsigned int cmd */
	{"prctl", 0x01},        /* int option */
	{"kill", 0x03},         /* pid_t, int */
	{"tkill", 0x03},
	{"tgkill", 0x07},
	{"open", 0x06},         /* int flags, umode_t mode */
	{"openat", 0x0d},       /* int dfd, int flags, umode_t mode */
	{"setns", 0x03},        /* int fd, int nstype */
	{"keyctl", 0x01},       /* int option */
	{"bpf", 0x05},          /* int cmd, unsigned int size */
	{"seccomp", 0x03},      /* unsigned int op, unsigned int flags */
};

bool sysc_arg_is32(const char *syscall, unsigned index)
{
	if (index > 5)
		return false;
	for (size_t i = 0; i < sizeof(arg32) / sizeof(arg32[0]); i++)
		if (strcmp(arg32[i].name, syscall) == 0)
			return (arg32[i].mask >> index) & 1;
	return false;
}
