/* sysc.c — syscall resolution through libseccomp; see sysc.h.
 *
 * libseccomp's own lookups are not used directly on the hot paths: its
 * number-to-name direction scans a table, and its name-to-number direction
 * returns negative pseudo-numbers for multiplexed calls (socket on i386 is
 * "socketcall(SYS_SOCKET)" to libseccomp although the kernel also has a
 * direct socket syscall, number 359).  So each ABI's table is read once from
 * libseccomp's number-to-name direction and both directions are answered
 * from that copy: a name resolves to exactly the number the kernel reports
 * in seccomp_data.nr, and the two directions always agree. */
#include "sysc.h"

#include <linux/audit.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

static const struct sysc_arch arches[] = {
	{"x86_64", AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64},
	{"aarch64", AUDIT_ARCH_AARCH64, SCMP_ARCH_AARCH64},
};
/* ABIs that the native kernels also accept; each is decided inside its
 * host's program (x32 shares x86_64's audit arch: its numbers carry bit 30). */
static const struct sysc_arch extra[] = {
	{"i386", AUDIT_ARCH_I386, SCMP_ARCH_X86},
	{"x32", AUDIT_ARCH_X86_64, SCMP_ARCH_X32},
	{"arm", AUDIT_ARCH_ARM, SCMP_ARCH_ARM},
};
#define NARCHES (sizeof(arches) / sizeof(arches[0]))
#define NEXTRA (sizeof(extra) / sizeof(extra[0]))
#define NABI (NARCHES + NEXTRA)

static const struct sysc_arch *const x86_64_others[] = {&extra[0], &extra[1]};
static const struct sysc_arch *const aarch64_others[] = {&extra[2]};

/* Number windows scanned per ABI: every syscall number libseccomp knows
 * lies in one of them (ARM's private calls sit at 0xf0000). */
struct window {
	uint32_t start, count;
};

struct entry {
	uint32_t nr;
	const char *name;
};

struct table {
	bool built;
	struct entry *by_nr, *by_name; /* both n entries, malloc'd once */
	int n;
};
static struct table tables[NABI];

static size_t abi_index(const struct sysc_arch *a)
{
	if (a >= arches && a < arches + NARCHES)
		return (size_t)(a - arches);
	if (a >= extra && a < extra + NEXTRA)
		return NARCHES + (size_t)(a - extra);
	/* A caller-made struct: find ours by token. */
	for (size_t i = 0; i < NARCHES; i++)
		if (arches[i].scmp_token == a->scmp_token)
			return i;
	for (size_t i = 0; i < NEXTRA; i++)
		if (extra[i].scmp_token == a->scmp_token)
			return NARCHES + i;
	return (size_t)-1;
}

static int windows(const struct sysc_arch *a, struct window w[2])
{
	if (a->scmp_token == SCMP_ARCH_X32) {
		w[0] = (struct window){SYSC_X32_BIT, 1024};
		return 1;
	}
	w[0] = (struct window){0, 1024};
	if (a->scmp_token == SCMP_ARCH_ARM) {
		w[1] = (struct window){0xf0000, 16};
		return 2;
	}
	return 1;
}

static int by_name_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->nr > b->nr) - (a->nr < b->nr);
}

static const struct table *table_of(const struct sysc_arch *a)
{
	size_t i = abi_index(a);
	if (i == (size_t)-1)
		return NULL;
	struct table *t = &tables[i];
	if (t->built)
		return t;
	struct window w[2];
	int nw = windows(i < NARCHES ? &arches[i] : &extra[i - NARCHES], w);
	size_t cap = 0;
	for (int k = 0; k < nw; k++)
		cap += w[k].count;
	t->by_nr = malloc(cap * sizeof(*t->by_nr));
	t->by_name = malloc(cap * sizeof(*t->by_name));
	if (!t->by_nr || !t->by_name)
		abort(); /* batch tool: see arena.h */
	t->n = 0;
	for (int k = 0; k < nw; k++)
		for (uint32_t nr = w[k].start; nr < w[k].start + w[k].count; nr++) {
			char *s = seccomp_syscall_resolve_num_arch(a->scmp_token, (int)nr);
			if (!s)
				continue;
			t->by_nr[t->n].nr = nr;
			t->by_nr[t->n].name = s; /* kept for the life of the process */
			t->n++;
		}
	memcpy(t->by_name, t->by_nr, (size_t)t->n * sizeof(*t->by_nr));
	qsort(t->by_name, (size_t)t->n, sizeof(*t->by_name), by_name_cmp);
	t->built = true;
	return t;
}

const struct sysc_arch *sysc_arches(int *n)
{
	*n = (int)NARCHES;
	return arches;
}

const struct sysc_arch *sysc_arch_by_name(const char *name)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (strcmp(arches[i].name, name) == 0)
			return &arches[i];
	for (size_t i = 0; i < NEXTRA; i++)
		if (strcmp(extra[i].name, name) == 0)
			return &extra[i];
	return NULL;
}

const struct sysc_arch *sysc_arch_by_audit(uint32_t audit_arch)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (arches[i].audit_arch == audit_arch)
			return &arches[i];
	return NULL;
}

const struct sysc_arch *const *sysc_other_abis(const struct sysc_arch *native, int *n)
{
	switch (native->scmp_token) {
	case SCMP_ARCH_X86_64:
		*n = 2;
		return x86_64_others;
	case SCMP_ARCH_AARCH64:
		*n = 1;
		return aarch64_others;
	}
	*n = 0;
	return NULL;
}

const struct sysc_arch *sysc_host(const struct sysc_arch *abi)
{
	switch (abi->scmp_token) {
	case SCMP_ARCH_X86:
	case SCMP_ARCH_X32: return &arches[0];
	case SCMP_ARCH_ARM: return &arches[1];
	}
	size_t i = abi_index(abi);
	return i < NARCHES ? &arches[i] : NULL;
}

int sysc_count(const struct sysc_arch *abi)
{
	const struct table *t = table_of(abi);
	return t ? t->n : 0;
}

int sysc_entry(const struct sysc_arch *abi, int i, uint32_t *nr, const char **name)
{
	const struct table *t = table_of(abi);
	if (!t || i < 0 || i >= t->n)
		return -1;
	*nr = t->by_nr[i].nr;
	*name = t->by_nr[i].name;
	return 0;
}

uint32_t sysc_max_nr(const struct sysc_arch *abi, uint32_t below)
{
	const struct table *t = table_of(abi);
	uint32_t m = 0;
	for (int i = 0; t && i < t->n; i++)
		if (t->by_nr[i].nr < below && t->by_nr[i].nr > m)
			m = t->by_nr[i].nr;
	return m;
}

int sysc_resolve(const struct sysc_arch *arch, const char *name)
{
	const struct table *t = table_of(arch);
	if (!t)
		return -1;
	int lo = 0, hi = t->n - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(name, t->by_name[mid].name);
		if (c == 0) {
			/* Lowest number on a (theoretical) duplicate name. */
			while (mid > 0 && strcmp(name, t->by_name[mid - 1].name) == 0)
				mid--;
			return (int)t->by_name[mid].nr;
		}
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

const char *sysc_name(const struct sysc_arch *arch, int nr)
{
	const struct table *t = table_of(arch);
	if (!t)
		return NULL;
	int lo = 0, hi = t->n - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (t->by_nr[mid].nr == (uint32_t)nr)
			return t->by_nr[mid].name;
		if (t->by_nr[mid].nr < (uint32_t)nr)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

bool sysc_known(const char *name)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (sysc_resolve(&arches[i], name) >= 0)
			return true;
	for (size_t i = 0; i < NEXTRA; i++)
		if (sysc_resolve(&extra[i], name) >= 0)
			return true;
	return false;
}

/* Arguments the kernel declares int / unsigned int / pid_t / uid_t /
 * umode_t (or truncates with lower_32_bits or an int parameter, like
 * clone's flags and mmap's fd) for the syscalls policies commonly
 * constrain.  Only the low 32 bits of such an argument reach the kernel's
 * logic, so only they are compared.  Arguments not listed are compared on
 * all 64 bits.  Kept sorted by name (bsearch). */
static const struct arg32 {
	const char *name;
	uint8_t mask; /* bit i: argument i is 32-bit */
} arg32[] = {
	{"accept", 0x01},            /* int fd */
	{"accept4", 0x09},           /* int fd, int flags */
	{"access", 0x02},            /* int mode */
	{"bind", 0x05},              /* int fd, int addrlen */
	{"bpf", 0x05},               /* int cmd, unsigned int size */
	{"clone", 0x01},             /* flags: the kernel uses lower_32_bits() */
	{"close", 0x01},             /* unsigned int fd */
	{"connect", 0x05},           /* int fd, int addrlen */
	{"dup", 0x01},               /* unsigned int fildes */
	{"dup2", 0x03},              /* unsigned int oldfd, newfd */
	{"dup3", 0x07},              /* unsigned int, unsigned int, int flags */
	{"epoll_create1", 0x01},     /* int flags */
	{"epoll_ctl", 0x07},         /* int epfd, int op, int fd */
	{"eventfd2", 0x03},          /* unsigned int count, int flags */
	{"execveat", 0x11},          /* int fd, int flags */
	{"faccessat", 0x05},         /* int dfd, int mode */
	{"faccessat2", 0x0d},        /* int dfd, int mode, int flags */
	{"fchmod", 0x03},            /* unsigned int fd, umode_t mode */
	{"fchmodat", 0x05},          /* int dfd, umode_t mode */
	{"fchmodat2", 0x0d},         /* int dfd, umode_t mode, unsigned int flags */
	{"fcntl", 0x03},             /* unsigned int fd, unsigned int cmd */
	{"flock", 0x03},             /* unsigned int fd, unsigned int cmd */
	{"getrandom", 0x04},         /* unsigned int flags */
	{"getsockopt", 0x07},        /* int fd, int level, int optname */
	{"inotify_add_watch", 0x05}, /* int fd, u32 mask */
	{"io_uring_enter", 0x0f},    /* unsigned int fd, u32 to_submit, min_complete, flags */
	{"io_uring_setup", 0x01},    /* u32 entries */
	{"ioctl", 0x03},             /* unsigned int fd, unsigned int cmd */
	{"kcmp", 0x07},              /* pid_t, pid_t, int type */
	{"keyctl", 0x01},            /* int option */
	{"kill", 0x03},              /* pid_t, int */
	{"landlock_add_rule", 0x09}, /* int ruleset_fd, u32 flags */
	{"landlock_create_ruleset", 0x04}, /* u32 flags */
	{"landlock_restrict_self", 0x03},  /* int ruleset_fd, u32 flags */
	{"listen", 0x03},            /* int fd, int backlog */
	{"lseek", 0x05},             /* unsigned int fd, unsigned int whence */
	{"madvise", 0x04},           /* int behavior */
	{"memfd_create", 0x02},      /* unsigned int flags */
	{"mkdir", 0x02},             /* umode_t mode */
	{"mkdirat", 0x05},           /* int dfd, umode_t mode */
	{"mknod", 0x06},             /* umode_t mode, unsigned int dev */
	{"mknodat", 0x0d},           /* int dfd, umode_t mode, unsigned int dev */
	{"mmap", 0x10},              /* fd: fget() takes an unsigned int */
	{"open", 0x06},              /* int flags, umode_t mode */
	{"openat", 0x0d},            /* int dfd, int flags, umode_t mode */
	{"perf_event_open", 0x0e},   /* pid_t pid, int cpu, int group_fd */
	{"personality", 0x01},       /* unsigned int */
	{"pidfd_open", 0x03},        /* pid_t, unsigned int flags */
	{"pidfd_send_signal", 0x0b}, /* int pidfd, int sig, unsigned int flags */
	{"prctl", 0x01},             /* int option */
	{"pread64", 0x01},           /* unsigned int fd */
	{"ptrace", 0x02},            /* pid: truncated to pid_t */
	{"pwrite64", 0x01},          /* unsigned int fd */
	{"read", 0x01},              /* unsigned int fd */
	{"recvfrom", 0x09},          /* int fd, unsigned int flags */
	{"recvmsg", 0x05},           /* int fd, unsigned int flags */
	{"rt_sigaction", 0x01},      /* int sig */
	{"rt_sigprocmask", 0x01},    /* int how */
	{"rt_sigqueueinfo", 0x03},   /* pid_t, int sig */
	{"rt_tgsigqueueinfo", 0x07}, /* pid_t, pid_t, int sig */
	{"seccomp", 0x03},           /* unsigned int op, unsigned int flags */
	{"sendmsg", 0x05},           /* int fd, unsigned int flags */
	{"sendto", 0x29},            /* int fd, unsigned int flags, int addrlen */
	{"setfsgid", 0x01},          /* gid_t */
	{"setfsuid", 0x01},          /* uid_t */
	{"setgid", 0x01},            /* gid_t */
	{"setns", 0x03},             /* int fd, int nstype */
	{"setregid", 0x03},          /* gid_t, gid_t */
	{"setresgid", 0x07},         /* gid_t x3 */
	{"setresuid", 0x07},         /* uid_t x3 */
	{"setreuid", 0x03},          /* uid_t, uid_t */
	{"setsockopt", 0x17},        /* int fd, int level, int optname, int optlen */
	{"setuid", 0x01},            /* uid_t */
	{"shutdown", 0x03},          /* int fd, int how */
	{"socket", 0x07},            /* int family, int type, int protocol */
	{"socketcall", 0x01},        /* int call */
	{"socketpair", 0x07},        /* int family, int type, int protocol */
	{"tgkill", 0x07},            /* pid_t, pid_t, int */
	{"tkill", 0x03},             /* pid_t, int */
	{"umount2", 0x02},           /* int flags */
	{"userfaultfd", 0x01},       /* int flags */
	{"write", 0x01},             /* unsigned int fd */
};

static int arg32_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct arg32 *)elem)->name);
}

bool sysc_arg_is32(const char *syscall, unsigned index)
{
	if (index > 5 || !syscall)
		return false;
	const struct arg32 *e =
	        bsearch(syscall, arg32, sizeof(arg32) / sizeof(arg32[0]), sizeof(arg32[0]), arg32_cmp);
	return e && ((e->mask >> index) & 1);
}

bool sysc_arg32_sorted(void)
{
	for (size_t i = 1; i < sizeof(arg32) / sizeof(arg32[0]); i++)
		if (strcmp(arg32[i - 1].name, arg32[i].name) >= 0)
			return false;
	return true;
}
