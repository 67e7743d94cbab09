/* rm_sandbox.c — see rm_sandbox.h.  The kernel interfaces are declared
 * here rather than taken from <linux/landlock.h>, which on the build
 * machines may predate the ABI versions runmin uses (scopes, audit flags). */
#include "rm_sandbox.h"
#include "rm_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- Landlock ------------------------------------------------------------ */

#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_ABI_NET 4
#define LL_ABI_AUDIT 7
#define LL_NET_CONNECT_TCP (1ull << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs, handled_access_net, scoped;
};
struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
struct ll_net_port_attr {
	uint64_t allowed_access, port;
};

/* Rights the kernel accepts on a rule for a file that is not a directory. */
static const uint64_t ll_file_rights = 0
#define LL_FS(n, b, abi, f, doc) | ((f) ? 1ull << (b) : 0)
#include "ll_rights.def"
        ;

int rm_ll_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	if (v >= 0)
		return v > 1000 ? 1000 : (int)v;
	/* ENOSYS: built without Landlock; EOPNOTSUPP: disabled at boot. */
	return errno == ENOSYS || errno == EOPNOTSUPP ? 0 : -1;
}

static int add_rule(int rs, int type, const void *attr)
{
	return (int)syscall(SYS_landlock_add_rule, rs, type, attr, 0);
}

int rm_ll_prepare(struct rm_ll *out, struct art_ll *ll, int abi, uint16_t proxy_port, char *err,
                  size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!ll->handled_fs && !ll->handled_net && !ll->scoped)
		return 0;
	struct ll_ruleset_attr ra = {ll->handled_fs, ll->handled_net, ll->scoped};
	/* The whole structure is passed; older kernels accept it as long as
	 * the fields they do not know are zero, and the ABI check made sure of
	 * that. */
	int rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (rs < 0)
		return fail(err, errlen,
		            "landlock: the kernel refused the ruleset (fs 0x%llx, net 0x%llx, scoped "
		            "0x%llx): %s",
		            (unsigned long long)ra.handled_access_fs,
		            (unsigned long long)ra.handled_access_net, (unsigned long long)ra.scoped,
		            strerror(errno));

	struct art_ll_path r;
	int got;
	while ((got = art_ll_next_path(ll, &r)) == 1) {
		char path[ART_LL_PATH_MAX + 1];
		memcpy(path, r.path, r.len);
		path[r.len] = '\0';
		int fd = open(path, O_PATH | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			if ((r.flags & ART_LL_PATH_OPTIONAL) && (e == ENOENT || e == ENOTDIR)) {
				out->nskipped++;
				continue;
			}
			close(rs);
			return fail(err, errlen, "filesystem rule #%u: %s: %s%s", r.rule_id, path,
			            strerror(e),
			            e == ENOENT ? " (list it under filesystem.optional if it may be "
			                          "missing)"
			                        : "");
		}
		/* Directory-only rights on a file make the kernel answer EINVAL:
		 * only then look at what the path is (most rule paths are
		 * directories; this saves a system call for each). */
		struct ll_path_beneath_attr pa = {r.access, fd};
		int rc = pa.allowed_access ? add_rule(rs, LL_RULE_PATH_BENEATH, &pa) : 0;
		int e = errno;
		if (rc < 0 && e == EINVAL && (pa.allowed_access & ~ll_file_rights)) {
			struct stat st;
			if (fstat(fd, &st) < 0) {
				e = errno;
				close(fd);
				close(rs);
				return fail(err, errlen, "filesystem rule #%u: fstat %s: %s", r.rule_id,
				            path, strerror(e));
			}
			if (!S_ISDIR(st.st_mode)) {
				pa.allowed_access &= ll_file_rights;
				rc = pa.allowed_access ? add_rule(rs, LL_RULE_PATH_BENEATH, &pa) : 0;
				e = errno;
			}
		}
		close(fd);
		if (rc < 0) {
			close(rs);
			return fail(err, errlen, "landlock: the kernel refused rule #%u (%s, access 0x%llx): %s",
			            r.rule_id, path, (unsigned long long)pa.allowed_access, strerror(e));
		}
		out->nrules += pa.allowed_access != 0;
	}
	struct art_ll_net nr;
	while (got == 0 && (got = art_ll_next_net(ll, &nr)) == 1) {
		struct ll_net_port_attr na = {nr.access, nr.port};
		if (add_rule(rs, LL_RULE_NET_PORT, &na) < 0) {
			int e = errno;
			close(rs);
			return fail(err, errlen, "landlock: the kernel refused rule #%u (port %u): %s",
			            nr.rule_id, nr.port, strerror(e));
		}
		out->nrules++;
	}
	if (got < 0) {
		close(rs);
		return fail(err, errlen, "landlock section: malformed rule");
	}
	if ((ll->flags & ART_LL_F_PROXY_CONNECT) && proxy_port &&
	    (ll->handled_net & LL_NET_CONNECT_TCP) && abi >= LL_ABI_NET) {
		struct ll_net_port_attr na = {LL_NET_CONNECT_TCP, proxy_port};
		if (add_rule(rs, LL_RULE_NET_PORT, &na) < 0) {
			int e = errno;
			close(rs);
			return fail(err, errlen, "landlock: the kernel refused the proxy port rule: %s",
			            strerror(e));
		}
	}
	out->fd = rs;
	out->restrict_flags = abi >= LL_ABI_AUDIT ? ll->restrict_flags : 0;
	return 0;
}

int rm_no_new_privs(char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	return 0;
}

int rm_ll_enforce(struct rm_ll *rl, char *err, size_t errlen)
{
	if (rl->fd < 0)
		return 0;
	long rc = syscall(SYS_landlock_restrict_self, rl->fd, rl->restrict_flags);
	int e = errno;
	close(rl->fd);
	rl->fd = -1;
	if (rc < 0)
		return fail(err, errlen, "landlock_restrict_self (flags 0x%x): %s", rl->restrict_flags,
		            strerror(e));
	return 0;
}

/* ---- capabilities ------------------------------------------------------------ */

static int caps_get(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

int rm_caps_drop(uint64_t keep, const struct rm_ids *ids, char *err, size_t errlen)
{
	uint64_t eff, prm, inh;
	if (caps_get(&eff, &prm, &inh) < 0)
		return fail(err, errlen, "capget: %s", strerror(errno));
	/* Kept capabilities we do not hold cannot be granted: keep fewer. */
	keep &= prm;

	/* Bounding set first: dropping needs CAP_SETPCAP, which goes next.
	 * One call per capability: dropping one that is already out of the
	 * set succeeds, and EINVAL marks the end of the kernel's list. */
	bool bset_fixed = false;
	int last = -1;
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ull << cap)) {
			int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
			if (r < 0 && errno == EINVAL)
				break;
			if (r < 0)
				return fail(err, errlen, "prctl(PR_CAPBSET_READ, %d): %s", cap,
				            strerror(errno));
			last = cap;
			continue;
		}
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) {
			last = cap;
			continue;
		}
		if (errno == EINVAL)
			break;
		if (errno != EPERM || (eff & (1ull << CAP_SETPCAP)))
			return fail(err, errlen, "prctl(PR_CAPBSET_DROP, %d): %s", cap, strerror(errno));
		/* Without CAP_SETPCAP the set stays as it is (see rm_sandbox.h):
		 * just find where the kernel's list ends. */
		bset_fixed = true;
		for (; cap < 64; cap++) {
			if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) {
				if (errno == EINVAL)
					break;
				return fail(err, errlen, "prctl(PR_CAPBSET_READ, %d): %s", cap,
				            strerror(errno));
			}
			last = cap;
		}
		break;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return fail(err, errlen, "prctl(PR_CAP_AMBIENT_CLEAR_ALL): %s", strerror(errno));

	/* Another identity, while CAP_SETGID and CAP_SETUID are still
	 * effective: groups and gid first, uid last.  KEEPCAPS lets the kept
	 * capabilities survive the uid change (capset below sets exactly them);
	 * execve resets it. */
	if (ids && ids->set_gid) {
		if (setgroups(0, NULL) < 0 || setresgid(ids->gid, ids->gid, ids->gid) < 0)
			return fail(err, errlen, "switching to gid %u: %s", (unsigned)ids->gid,
			            strerror(errno));
	}
	if (ids && ids->set_uid) {
		if ((keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) ||
		    setresuid(ids->uid, ids->uid, ids->uid) < 0)
			return fail(err, errlen, "switching to uid %u: %s", (unsigned)ids->uid,
			            strerror(errno));
		uid_t r, e, sv;
		if (getresuid(&r, &e, &sv) < 0 || r != ids->uid || e != ids->uid || sv != ids->uid)
			return fail(err, errlen, "uid is not %u after switching", (unsigned)ids->uid);
	}

	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	d[0].effective = d[0].permitted = d[0].inheritable = (uint32_t)keep;
	d[1].effective = d[1].permitted = d[1].inheritable = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		return fail(err, errlen, "capset: %s", strerror(errno));
	for (int cap = 0; cap < 64; cap++)
		if ((keep & (1ull << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return fail(err, errlen, "prctl(PR_CAP_AMBIENT_RAISE, %d): %s", cap,
			            strerror(errno));

	/* Trust, but check what the kernel now says. */
	if (caps_get(&eff, &prm, &inh) < 0)
		return fail(err, errlen, "capget: %s", strerror(errno));
	if (eff != keep || prm != keep || inh != keep)
		return fail(err, errlen, "capabilities still held after dropping them");
	/* The ambient set needs no check of its own: the kernel keeps it
	 * within permitted and inheritable, both exactly keep now (capset
	 * trims it).  Every bounding-set drop above returned success; read
	 * back the most powerful capabilities, a cheap spot check (one system
	 * call each, where reading all of them again doubled runmin's cost
	 * here), plus capability 0 in the ambient set. */
	static const int spot[] = {CAP_SYS_ADMIN, CAP_SETPCAP, CAP_SETUID, CAP_NET_ADMIN,
	                           CAP_SYS_PTRACE, CAP_DAC_OVERRIDE};
	for (size_t i = 0; !bset_fixed && i < sizeof(spot) / sizeof(spot[0]); i++) {
		int cap = spot[i];
		if (cap <= last && !(keep & (1ull << cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0)
			return fail(err, errlen, "capability %d still in the bounding set", cap);
	}
	if (!(keep & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0) != 0)
		return fail(err, errlen, "capability 0 still in the ambient set");
	return 0;
}

/* ---- seccomp ------------------------------------------------------------------- */

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "runmin: add this architecture's AUDIT_ARCH (and its guard table in rm_guard.c)"
#endif

uint32_t rm_native_arch(void) { return NATIVE_ARCH; }

static int seccomp_install(unsigned flags, struct sock_filter *f, unsigned short n)
{
	struct sock_fprog prog = {n, f};
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

int rm_seccomp_guard(bool inet, char *err, size_t errlen)
{
	struct sock_filter f[RM_GUARD_MAX];
	int n = rm_guard_build(rm_guard_arch(NATIVE_ARCH), inet, f);
	if (n < 0)
		return fail(err, errlen, "seccomp (runmin's guard): internal error assembling it");
	if (seccomp_install(0, f, (unsigned short)n) < 0)
		return fail(err, errlen, "seccomp (runmin's guard): %s", strerror(errno));
	return 0;
}

int rm_seccomp_load(const struct art_sc *sc, char *err, size_t errlen)
{
	const uint32_t known = SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	if (sc->flags & ~known)
		return fail(err, errlen, "seccomp section: unsupported filter flags 0x%x", sc->flags);
	if (sc->ninsns == 0 || sc->ninsns > BPF_MAXINSNS)
		return fail(err, errlen, "seccomp section: %u instructions", sc->ninsns);
	struct sock_filter *f = calloc(sc->ninsns, sizeof(*f));
	if (!f)
		return fail(err, errlen, "out of memory");
	for (uint32_t i = 0; i < sc->ninsns; i++) {
		struct art_sc_insn in = art_sc_insn(sc, i);
		f[i] = (struct sock_filter){in.code, in.jt, in.jf, in.k};
	}
	int rc = seccomp_install(sc->flags, f, (unsigned short)sc->ninsns);
	int e = errno;
	free(f);
	if (rc < 0)
		return fail(err, errlen, "seccomp: the kernel refused the policy's program (%u insns): %s",
		            sc->ninsns, strerror(e));
	return 0;
}

/* ---- descriptors ------------------------------------------------------------- */

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

static int cloexec_range(unsigned lo, unsigned hi, char *err, size_t errlen)
{
	if (lo <= hi && syscall(SYS_close_range, lo, hi, CLOSE_RANGE_CLOEXEC) < 0)
		return fail(err, errlen, "close_range(%u, %u, CLOEXEC): %s", lo, hi, strerror(errno));
	return 0;
}

int rm_fds_prepare(const int *keep, int nkeep, char *err, size_t errlen)
{
	unsigned lo = 3;
	/* Ascending order without sorting: pick the next larger one each time. */
	for (;;) {
		long next = -1;
		for (int i = 0; i < nkeep; i++)
			if (keep[i] >= (long)lo && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0)
			break;
		if ((unsigned)next > lo && cloexec_range(lo, (unsigned)next - 1, err, errlen) < 0)
			return -1;
		if (fcntl((int)next, F_SETFD, 0) < 0)
			return fail(err, errlen, "--keep-fd %ld: %s", next, strerror(errno));
		lo = (unsigned)next + 1;
	}
	return cloexec_range(lo, ~0u, err, errlen);
}
