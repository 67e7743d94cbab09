/* runmin — verify a polc artifact and run a program confined by it.
 *
 *   runmin -a ARTIFACT [-p PUBKEY] [--log FILE] [--keep-fd N] [--allow-unsigned]
 *          [--supervise] [--no-netns] [--uid N --gid N] [--] COMMAND [ARG...]
 *
 * In order: read the artifact once into memory (size-limited), verify its
 * minisign signature over exactly those bytes, parse them (art.h), check
 * the kernel's Landlock ABI, open the rule paths and build the ruleset,
 * then — in this process, or in a child when runmin stays as supervisor —
 * mark descriptors close-on-exec, set no_new_privs, enforce Landlock, drop
 * capabilities (switching uid/gid on the way if asked), install seccomp,
 * and execve COMMAND.
 *
 * Exit status (CONTRACT.md): COMMAND's own, 128+N when a supervised
 * COMMAND is killed by signal N; 125 when runmin refuses or fails before
 * running COMMAND (one line on stderr, "runmin: " first); 126 COMMAND found
 * but not executable; 127 COMMAND not found.
 *
 * The trusted part of polc: no allocation beyond the artifact buffer, no
 * shell, no compiler code.  Read it top to bottom. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "art.h"
#include "minisig.h"
#include "nt.h"
#include "proxy.h"
#include "rm_log.h"
#include "rm_net.h"
#include "rm_sandbox.h"

#define EXIT_REFUSED 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127
#define MAX_KEEP_FDS 64
#define DEFAULT_PUBKEY "/etc/polc/trusted.pub"
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

extern char **environ;

struct opts {
	const char *artifact, *pubkey, *log;
	int keep[MAX_KEEP_FDS], nkeep;
	bool allow_unsigned, supervise, no_netns;
	struct rm_ids ids;
	char **cmd;
};

/* Everything runmin decided before it touches itself. */
struct plan {
	struct art art;
	struct art_ll ll;
	bool has_ll;
	struct art_sc sc;
	bool has_sc;
	uint64_t caps_keep;
	int abi;
	struct rm_ll rules;
	struct nt nt;   /* the NETTABLE section, when there is one */
	bool proxy;     /* it has outbound rows: run the proxy */
	bool has_net;   /* it has a network section (outbound or bind rules) */
	int netns_fd;   /* the agent's network namespace, made ahead; or -1 */
};

static int log_fd = -1;
/* The artifact's bytes: struct art and its sections point into them for the
 * whole run. */
static uint8_t *artifact_buf;

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer reads /proc when the process exits, which the sandbox
 * runmin has entered may forbid; and runmin exits only right after failing
 * to run COMMAND.  Sanitizer builds only. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif
static const char *log_artifact = "";

/* Refuse: one line on stderr, one event in the log, exit 125. */
__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Keep it one line whatever the bytes in a path were. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "runmin: %s\n", msg);
	rm_log(log_fd, "refused", "artifact", log_artifact, "reason", msg, NULL);
	exit(EXIT_REFUSED);
}

static void usage(FILE *f)
{
	fputs("usage: runmin -a ARTIFACT [-p PUBKEY] [--log FILE] [--keep-fd N] [--allow-unsigned]\n"
	      "              [--supervise] [--no-netns] [--uid N --gid N] [--] COMMAND [ARG...]\n\n"
	      "Verify a signed polc artifact and run COMMAND confined by it (Landlock,\n"
	      "capabilities, no_new_privs, seccomp).\n\n"
	      "  -a, --artifact FILE   the artifact (.pola); FILE.minisig is its signature\n"
	      "  -p, --pubkey FILE     trusted minisign public key (default " DEFAULT_PUBKEY ")\n"
	      "      --log FILE        append JSON Lines audit events to FILE\n"
	      "      --keep-fd N       leave descriptor N open for COMMAND (repeatable)\n"
	      "      --allow-unsigned  run without checking any signature (testing only)\n"
	      "      --supervise       stay as the parent: forward signals, report the status\n"
	      "      --no-netns        no network namespace: deny all network access with\n"
	      "                        Landlock (TCP, abstract sockets) and seccomp (every\n"
	      "                        socket family but AF_UNIX) instead; only for policies\n"
	      "                        without a network section (faster start-up)\n"
	      "      --uid N, --gid N  run COMMAND as this numeric user and group (no\n"
	      "                        supplementary groups); --uid needs --gid\n"
	      "  -h, --help            this help\n"
	      "  -V, --version         print the version\n\n"
	      "exit: COMMAND's status (128+N if killed by signal N), 125 refused,\n"
	      "      126 COMMAND not executable, 127 COMMAND not found\n",
	      f);
}

/* A numeric uid or gid; names would need NSS, which runmin does not load. */
static unsigned long id_arg(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v >= 0xffffffffUL)
		die("%s: '%s' is not a numeric id", opt, s);
	return v;
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	enum { O_LOG = 256, O_KEEP, O_UNSIGNED, O_SUPERVISE, O_NO_NETNS, O_UID, O_GID };
	static const struct option lo[] = {{"artifact", required_argument, 0, 'a'},
	                                   {"pubkey", required_argument, 0, 'p'},
	                                   {"log", required_argument, 0, O_LOG},
	                                   {"keep-fd", required_argument, 0, O_KEEP},
	                                   {"allow-unsigned", no_argument, 0, O_UNSIGNED},
	                                   {"supervise", no_argument, 0, O_SUPERVISE},
	                                   {"no-netns", no_argument, 0, O_NO_NETNS},
	                                   {"uid", required_argument, 0, O_UID},
	                                   {"gid", required_argument, 0, O_GID},
	                                   {"help", no_argument, 0, 'h'},
	                                   {"version", no_argument, 0, 'V'},
	                                   {0, 0, 0, 0}};
	memset(o, 0, sizeof(*o));
	o->pubkey = DEFAULT_PUBKEY;
	opterr = 0;
	int c;
	/* '+': stop at COMMAND, whose own options are not ours. */
	while ((c = getopt_long(argc, argv, "+:a:p:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o->artifact = optarg; break;
		case 'p': o->pubkey = optarg; break;
		case O_LOG: o->log = optarg; break;
		case O_UNSIGNED: o->allow_unsigned = true; break;
		case O_SUPERVISE: o->supervise = true; break;
		case O_NO_NETNS: o->no_netns = true; break;
		case O_UID:
			o->ids.uid = (uid_t)id_arg("--uid", optarg);
			o->ids.set_uid = true;
			break;
		case O_GID:
			o->ids.gid = (gid_t)id_arg("--gid", optarg);
			o->ids.set_gid = true;
			break;
		case O_KEEP: {
			char *end;
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 0 || n > INT_MAX)
				die("--keep-fd: '%s' is not a descriptor number", optarg);
			if (o->nkeep == MAX_KEEP_FDS)
				die("--keep-fd: at most %d descriptors", MAX_KEEP_FDS);
			/* It must be inherited, i.e. open now, before runmin opens
			 * anything of its own. */
			if (fcntl((int)n, F_GETFD) < 0)
				die("--keep-fd %ld: descriptor is not open", n);
			o->keep[o->nkeep++] = (int)n;
			break;
		}
		case 'h': usage(stdout); exit(0);
		case 'V': printf("runmin " POLC_VERSION "\n"); exit(0);
		case ':': die("option %s needs an argument (see runmin --help)", argv[optind - 1]);
		default:
			die("unknown option '%s' (see runmin --help)",
			    optopt ? (char[]){'-', (char)optopt, 0} : argv[optind - 1]);
		}
	}
	if (o->ids.set_uid && !o->ids.set_gid)
		die("--uid needs --gid (otherwise COMMAND would keep the caller's groups)");
	if (!o->artifact)
		die("no artifact given: runmin -a ARTIFACT -- COMMAND (see runmin --help)");
	if (optind >= argc)
		die("no command given: runmin -a ARTIFACT -- COMMAND (see runmin --help)");
	o->cmd = argv + optind;
}

/* Reads a whole regular file of at most max bytes from one descriptor into
 * a malloc'd buffer (NUL-terminated for text).  Returns NULL with a
 * one-line reason in err (naming `what`). */
static uint8_t *read_all(const char *path, size_t max, size_t *len, const char *what,
                         const char *hint, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO must not hang us before fstat refuses it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s%s", what, path, strerror(errno),
		         errno == ENOENT ? hint : "");
		return NULL;
	}
	struct stat st;
	uint8_t *p = NULL;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s %s: fstat: %s", what, path, strerror(errno));
		goto bad;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", what, path);
		goto bad;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s %s: too large (%lld bytes, limit %zu)", what, path,
		         (long long)st.st_size, max);
		goto bad;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	if (!(p = malloc(cap))) {
		snprintf(err, errlen, "out of memory reading %s", path);
		goto bad;
	}
	for (;;) {
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s %s: read: %s", what, path, strerror(errno));
			goto bad;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			snprintf(err, errlen, "%s %s: grew while being read", what, path);
			goto bad;
		}
	}
	close(fd);
	p[n] = 0;
	*len = n;
	return p;
bad:
	free(p);
	close(fd);
	return NULL;
}

static uint8_t *slurp(const char *path, size_t max, size_t *len, const char *what,
                      const char *hint)
{
	char err[PATH_MAX + 256];
	uint8_t *p = read_all(path, max, len, what, hint, err, sizeof(err));
	if (!p)
		die("%s", err);
	return p;
}

/* Checks ARTIFACT.minisig over art[0..len) with the trusted key.  Returns
 * 0, or -1 with a reason in err. */
static int verify_sig(const struct opts *o, const uint8_t *art, size_t len, char *err,
                      size_t errlen)
{
	char sigpath[PATH_MAX];
	if (snprintf(sigpath, sizeof(sigpath), "%s.minisig", o->artifact) >= (int)sizeof(sigpath)) {
		snprintf(err, errlen, "artifact path too long");
		return -1;
	}
	size_t slen, plen;
	char *sig = (char *)read_all(sigpath, MINISIG_TEXT_MAX, &slen, "signature",
	                             " (unsigned artifact: sign it with `polc sign`, or pass "
	                             "--allow-unsigned to run it anyway)",
	                             err, errlen);
	if (!sig)
		return -1;
	char *pk = (char *)read_all(o->pubkey, MINISIG_TEXT_MAX, &plen, "public key",
	                            " (give the trusted key with -p PUBKEY)", err, errlen);
	if (!pk) {
		free(sig);
		return -1;
	}
	char tc[MINISIG_TC_MAX + 1], e2[256];
	/* The signature covers every byte of art; the trusted comment's own
	 * SHA-256 of the file (polc verify checks it) would prove nothing more,
	 * so it is not recomputed here. */
	int r = minisig_verify(art, len, sig, slen, pk, plen, tc, sizeof(tc), e2, sizeof(e2));
	free(sig);
	free(pk);
	if (r < 0) {
		snprintf(err, errlen, "%s: signature verification failed: %s", o->artifact, e2);
		return -1;
	}
	return 0;
}

static void verify(const struct opts *o, const uint8_t *art, size_t len)
{
	char err[PATH_MAX + 512];
	if (verify_sig(o, art, len, err, sizeof(err)) < 0)
		die("%s", err);
}

static void load(const struct opts *o, struct plan *pl, uint8_t **buf)
{
	size_t len;
	char err[256];
	*buf = slurp(o->artifact, ART_MAX_SIZE, &len, "artifact", "");
	if (!o->allow_unsigned)
		verify(o, *buf, len);
	if ((o->allow_unsigned ? art_parse : art_parse_signed)(&pl->art, *buf, len, err,
	                                                       sizeof(err)) < 0)
		die("%s: %s", o->artifact, err);

	const struct art_section *s = art_find(&pl->art, ART_SEC_LANDLOCK, 0);
	if (s && art_ll_parse(&pl->ll, s, err, sizeof(err)) < 0)
		die("%s: %s", o->artifact, err);
	pl->has_ll = s != NULL;
	if ((s = art_find(&pl->art, ART_SEC_PROCESS, 0))) {
		struct art_proc pr;
		if (art_proc_parse(&pr, s, err, sizeof(err)) < 0)
			die("%s: %s", o->artifact, err);
		pl->caps_keep = pr.caps_keep;
	}
	/* A policy with a process section has a program for every arch polc
	 * knows; one without any runs without (only runmin's own filter). */
	if ((s = art_find(&pl->art, ART_SEC_SECCOMP, rm_native_arch()))) {
		if (art_sc_parse(&pl->sc, s, err, sizeof(err)) < 0)
			die("%s: %s", o->artifact, err);
		pl->has_sc = true;
	} else if (art_find(&pl->art, ART_SEC_SECCOMP, 0))
		die("%s: no seccomp program for this machine's architecture (AUDIT_ARCH 0x%x)",
		    o->artifact, rm_native_arch());
	/* Outbound rows: the proxy.  Only bind ports, or no network section:
	 * the new network namespace alone, with nothing in it but lo. */
	if ((s = art_find(&pl->art, ART_SEC_NETTABLE, 0))) {
		if (nt_open(&pl->nt, s->data, s->length, err, sizeof(err)) < 0)
			die("%s: network table: %s", o->artifact, err);
		pl->proxy = pl->nt.nrows > 0;
		pl->has_net = pl->proxy;
	}
	if (pl->has_ll && pl->ll.nnets > 0)
		pl->has_net = true;
}

static void check_abi(const struct opts *o, struct plan *pl)
{
	uint32_t need = pl->art.min_abi;
	if (pl->has_ll && pl->ll.min_abi > need)
		need = pl->ll.min_abi;
	pl->abi = rm_ll_abi();
	if (pl->abi < 0)
		die("cannot probe the kernel's Landlock ABI: %s", strerror(errno));
	if ((uint32_t)pl->abi >= need)
		return;
	if (pl->abi == 0)
		die("%s needs Landlock ABI %u, but Landlock is not enabled in this kernel (build it "
		    "with CONFIG_SECURITY_LANDLOCK and add landlock to the lsm= boot parameter)",
		    o->artifact, need);
	die("%s needs Landlock ABI %u, this kernel has ABI %d: refusing to run with weaker "
	    "confinement (upgrade the kernel, or rebuild the policy for an older ABI)",
	    o->artifact, need, pl->abi);
}

/* --no-netns: the agent stays in runmin's network namespace, so deny the
 * network there: Landlock handles TCP bind and connect with no rule
 * allowing any port, and scopes abstract UNIX sockets to the sandbox (the
 * guard filter leaves only AF_UNIX sockets).  Needs Landlock ABI 6. */
static void no_netns(const struct opts *o, struct plan *pl)
{
	if (pl->has_net)
		die("--no-netns: %s has a network section; its rules need runmin's network "
		    "namespace and proxy (drop --no-netns)", o->artifact);
	if (pl->abi < 6)
		die("--no-netns needs Landlock ABI 6 (TCP and abstract-socket scoping), this kernel "
		    "has ABI %d: run without --no-netns", pl->abi);
	if (!pl->has_ll) {
		memset(&pl->ll, 0, sizeof(pl->ll));
		pl->has_ll = true;
	}
	pl->ll.handled_net |= 3;   /* LANDLOCK_ACCESS_NET_BIND_TCP | _CONNECT_TCP */
	pl->ll.scoped |= 1;        /* LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET */
}

/* execve COMMAND, searching PATH like execvp but without its surprises:
 * empty and relative PATH entries are skipped and a file without a #!
 * line is never handed to a shell.  Returns the exit status to report. */
static int run(char **cmd)
{
	const char *name = cmd[0];
	int e = ENOENT;
	if (strchr(name, '/')) {
		execve(name, cmd, environ);
		e = errno;
	} else if (name[0]) {
		const char *path = getenv("PATH");
		bool denied = false;
		if (!path)
			path = DEFAULT_PATH;
		for (const char *p = path, *end; *p; p = *end ? end + 1 : end) {
			end = strchrnul(p, ':');
			size_t dl = (size_t)(end - p);
			char file[PATH_MAX];
			if (dl == 0 || p[0] != '/' || dl + 1 + strlen(name) >= sizeof(file))
				continue;
			memcpy(file, p, dl);
			file[dl] = '/';
			strcpy(file + dl + 1, name);
			execve(file, cmd, environ);
			e = errno;
			if (e == EACCES)
				denied = true;
			else if (e != ENOENT && e != ENOTDIR && e != ESTALE && e != ENODEV &&
			         e != ETIMEDOUT)
				break; /* found, but it cannot run: report this one */
			e = denied ? EACCES : ENOENT;
		}
	}
	fprintf(stderr, "runmin: %s: %s%s\n", name[0] ? name : "''",
	        e == ENOENT ? "command not found" : strerror(e),
	        e == ENOEXEC ? " (no #! line; runmin does not run files through a shell)" : "");
	return e == ENOENT || e == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

/* The agent's proxy variables.  NO_PROXY is set empty: every destination,
 * "localhost" included, goes through the proxy (the agent's own namespace
 * has nothing else to reach, and Landlock allows connect only to the
 * proxy port). */
static void proxy_env(void)
{
	static const char *const names[] = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
	                                    "http_proxy", "https_proxy", "all_proxy"};
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", RM_PROXY_PORT);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (setenv(names[i], url, 1) < 0)
			die("setenv %s: %s", names[i], strerror(errno));
	if (setenv("NO_PROXY", "", 1) < 0 || setenv("no_proxy", "", 1) < 0)
		die("setenv NO_PROXY: %s", strerror(errno));
}

/* Confines this process and runs COMMAND; returns only an exit status.
 * px_sock >= 0: the supervisor's end for the proxy's listening socket. */
static int enter(const struct opts *o, struct plan *pl, int px_sock)
{
	char err[512];
	/* The network first, while socket() and ioctl() are allowed: a new
	 * namespace with only lo (made ahead, or now), and the proxy's socket
	 * in it.  --no-netns: none; Landlock and the guard deny instead. */
	if (pl->netns_fd >= 0) {
		int fd = pl->netns_fd;
		pl->netns_fd = -1;
		if (rm_net_enter(fd, err, sizeof(err)) < 0)
			die("%s", err);
	} else if (!o->no_netns && rm_net_isolate(err, sizeof(err)) < 0) {
		die("%s", err);
	}
	if (px_sock >= 0) {
		int l = rm_net_listen(RM_PROXY_PORT, err, sizeof(err));
		if (l < 0 || rm_net_send_fd(px_sock, l, err, sizeof(err)) < 0)
			die("%s", err);
		if (close(l) < 0 || close(px_sock) < 0)
			die("close: %s", strerror(errno));
		proxy_env();
	}
	/* Order matters: descriptors and Landlock while the syscalls they need
	 * are still allowed; the bounding set before CAP_SETPCAP goes; seccomp
	 * last, as the policy's program may deny everything runmin used. */
	if (rm_fds_prepare(o->keep, o->nkeep, err, sizeof(err)) < 0 ||
	    rm_no_new_privs(err, sizeof(err)) < 0 || rm_ll_enforce(&pl->rules, err, sizeof(err)) < 0 ||
	    rm_caps_drop(pl->caps_keep, &o->ids, err, sizeof(err)) < 0 || rm_seccomp_guard(!o->no_netns, err, sizeof(err)) < 0 ||
	    (pl->has_sc && rm_seccomp_load(&pl->sc, err, sizeof(err)) < 0))
		die("%s", err);
	return run(o->cmd);
}

/* ---- the supervisor's proxy and reloads ---------------------------------- */

/* A network table in use: its artifact's bytes stay alive with it. */
struct live {
	uint8_t *buf;
	struct art art;
	struct nt nt;
};

/* Proxy events go to --log as they are (px already wrote JSON with time). */
static void px_log_line(void *ctx, const char *line)
{
	(void)ctx;
	if (log_fd < 0)
		return;
	struct iovec iov[2] = {{(void *)line, strlen(line)}, {"\n", 1}};
	/* One writev on an O_APPEND file: the line goes in whole or not at all
	 * as far as other writers are concerned; a failure loses one line. */
	(void)!writev(log_fd, iov, 2);
}

static bool reload_exempt(uint32_t type)
{
	return type == ART_SEC_NETTABLE || type == ART_SEC_META;
}

/* Every section but NETTABLE and META must be byte-for-byte the running
 * one's, in the same order: those are already enforced on the agent. */
static const char *same_confinement(const struct art *a, const struct art *b)
{
	uint32_t i = 0, j = 0;
	for (;;) {
		while (i < a->nsections && reload_exempt(a->sec[i].type))
			i++;
		while (j < b->nsections && reload_exempt(b->sec[j].type))
			j++;
		if (i == a->nsections || j == b->nsections)
			return i == a->nsections && j == b->nsections ? NULL : "its sections differ";
		const struct art_section *x = &a->sec[i++], *y = &b->sec[j++];
		if (x->type != y->type || x->arch != y->arch)
			return "its sections differ";
		if (x->length != y->length || memcmp(x->data, y->data, x->length))
			return x->type == ART_SEC_LANDLOCK  ? "its filesystem (Landlock) section differs"
			       : x->type == ART_SEC_SECCOMP ? "its seccomp section differs"
			       : x->type == ART_SEC_PROCESS ? "its process section differs"
			                                    : "a section other than the network table differs";
	}
}

/* Re-reads, re-verifies and checks the artifact; on success the proxy
 * decides with the new table from now on.  On failure logs why and keeps
 * the old table. */
static void reload(const struct opts *o, const struct plan *pl, struct px *px, struct live **cur,
                   const char *why)
{
	char err[PATH_MAX + 512];
	size_t len;
	struct live *nl = calloc(1, sizeof(*nl));
	if (!nl) {
		snprintf(err, sizeof(err), "out of memory");
		goto refuse;
	}
	if (!(nl->buf = read_all(o->artifact, ART_MAX_SIZE, &len, "artifact", "", err, sizeof(err))))
		goto refuse;
	if (!o->allow_unsigned && verify_sig(o, nl->buf, len, err, sizeof(err)) < 0)
		goto refuse;
	char e2[256];
	if ((o->allow_unsigned ? art_parse : art_parse_signed)(&nl->art, nl->buf, len, e2,
	                                                       sizeof(e2)) < 0) {
		snprintf(err, sizeof(err), "%s: %s", o->artifact, e2);
		goto refuse;
	}
	const char *d = same_confinement(&pl->art, &nl->art);
	if (d) {
		snprintf(err, sizeof(err), "%s: %s; only the network table can change on a running "
		                           "sandbox (restart it)", o->artifact, d);
		goto refuse;
	}
	const struct art_section *s = art_find(&nl->art, ART_SEC_NETTABLE, 0);
	if (!s) {
		snprintf(err, sizeof(err), "%s: no network table", o->artifact);
		goto refuse;
	}
	if (nt_open(&nl->nt, s->data, s->length, e2, sizeof(e2)) < 0) {
		snprintf(err, sizeof(err), "%s: network table: %s", o->artifact, e2);
		goto refuse;
	}
	px_set_table(px, &nl->nt);
	if (*cur) {
		free((*cur)->buf);
		free(*cur);
	}
	*cur = nl;
	char rows[16];
	snprintf(rows, sizeof(rows), "%u", nl->nt.nrows);
	rm_log(log_fd, "reload", "artifact", o->artifact, "trigger", why, "result", "applied",
	       "rows", rows, NULL);
	return;
refuse:
	if (nl) {
		free(nl->buf);
		free(nl);
	}
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	rm_log(log_fd, "reload", "artifact", o->artifact, "trigger", why, "result", "refused",
	       "reason", err, NULL);
}

/* The artifact's directory and file name, for inotify. */
static void split_path(const char *path, char *dir, size_t dn, const char **base)
{
	const char *sl = strrchr(path, '/');
	if (!sl) {
		snprintf(dir, dn, ".");
		*base = path;
	} else if (sl == path) {
		snprintf(dir, dn, "/");
		*base = sl + 1;
	} else {
		snprintf(dir, dn, "%.*s", (int)(sl - path), path);
		*base = sl + 1;
	}
}

/* Did this batch of inotify events touch ARTIFACT or ARTIFACT.minisig? */
static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with a valid clock */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum { CHANGED_ARTIFACT = 1, CHANGED_SIGNATURE = 2 };

/* Drains the directory's events: which of the artifact and its signature
 * were written or renamed into place (both when events were lost). */
static unsigned artifact_changed(int ifd, const char *base)
{
	unsigned hit = 0;
	size_t bl = strlen(base);
	for (;;) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		ssize_t n = read(ifd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return hit; /* EAGAIN: drained */
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->len && !strncmp(ev->name, base, bl)) {
				if (ev->name[bl] == 0)
					hit |= CHANGED_ARTIFACT;
				else if (!strcmp(ev->name + bl, ".minisig"))
					hit |= CHANGED_SIGNATURE;
			}
			if (ev->mask & IN_Q_OVERFLOW)
				hit |= CHANGED_ARTIFACT | CHANGED_SIGNATURE;
			p += sizeof(*ev) + ev->len;
		}
	}
}

static int child_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The proxy loop: accepts on the agent's socket (in its namespace), decides
 * with the table, reloads on SIGHUP or a change of the artifact on disk,
 * forwards the other signals, ends with COMMAND. */
static int proxy_loop(const struct opts *o, struct plan *pl, pid_t pid, int lfd,
                      const sigset_t *set)
{
	char err[512];
	/* A tunnel takes six descriptors. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		goto sys_fail;
	if (rl.rlim_cur < 6 * 512 + 64 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 6 * 512 + 64 ? rl.rlim_max : 6 * 512 + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			goto sys_fail;
	}
	int sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		goto sys_fail;
	char dir[PATH_MAX];
	const char *base;
	split_path(o->artifact, dir, sizeof(dir), &base);
	int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0 || inotify_add_watch(ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
		goto sys_fail;
	struct px_config cfg = {.listen_fd = lfd, .table = &pl->nt, .log = px_log_line};
	struct px *px = px_new(&cfg, err, sizeof(err));
	if (!px) {
		kill(pid, SIGKILL);
		die("proxy: %s", err);
	}
	struct live *cur = NULL;
	/* A change on disk is acted on once the files have been quiet for
	 * RELOAD_SETTLE_MS: an artifact and its signature are two files, each
	 * replaced in turn (by polc build --sign, polc sign, cp ...), and a
	 * reload between the two would refuse the new artifact, if only for a
	 * moment.  A new artifact whose signature has not changed yet (its
	 * writer may be slow: an fsync on a busy disk) cannot verify with the
	 * old one, so the reload waits for the signature up to RELOAD_PAIR_MS
	 * after the first change, then goes ahead (and is refused if it still
	 * does not verify). */
	enum { RELOAD_SETTLE_MS = 150, RELOAD_PAIR_MS = 5000 };
	long long reload_at = -1, first_change = 0;
	unsigned changed = 0;
	/* One sleep for everything: the proxy's connections and deadlines,
	 * signals (bit 1) and the artifact's directory (bit 2). */
	if (px_watch(px, sfd, 1) < 0 || px_watch(px, ifd, 2) < 0)
		goto sys_fail;
	for (;;) {
		int wait = -1; /* px_poll wakes for its own deadlines by itself */
		if (reload_at >= 0) {
			long long left = reload_at - now_ms();
			wait = left < 0 ? 0 : (int)left;
		}
		int ready = px_poll(px, wait);
		if (ready < 0)
			goto sys_fail;
		unsigned ch = (ready & 2) ? artifact_changed(ifd, base) : 0;
		if (ch) {
			if (!changed)
				first_change = now_ms();
			changed |= ch;
			reload_at = now_ms() + RELOAD_SETTLE_MS;
		}
		if (reload_at >= 0 && now_ms() >= reload_at) {
			if (changed == CHANGED_ARTIFACT && now_ms() < first_change + RELOAD_PAIR_MS) {
				reload_at = first_change + RELOAD_PAIR_MS; /* or the signature's event */
			} else {
				reload_at = -1;
				changed = 0;
				reload(o, pl, px, &cur, "inotify");
			}
		}
		if (!(ready & 1))
			continue;
		struct signalfd_siginfo si;
		ssize_t n;
		while ((n = read(sfd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
			int sig = (int)si.ssi_signo;
			if (sig == SIGHUP) {
				reload(o, pl, px, &cur, "SIGHUP");
			} else if (sig == SIGCHLD) {
				int st;
				pid_t w;
				while ((w = waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR)
					;
				if (w < 0)
					goto sys_fail;
				if (w == pid)
					return child_status(st);
			} else if (si.ssi_code != SI_KERNEL && kill(pid, sig) < 0 && errno != ESRCH) {
				goto sys_fail;
			}
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto sys_fail;
	}
sys_fail:;
	int e = errno;
	kill(pid, SIGKILL);
	die("supervisor: %s", strerror(e));
}

/* Stays as the parent of COMMAND: forwards the signals sent to runmin
 * itself (a terminal's signals reach the whole process group already),
 * reaps, and reports COMMAND's status.  With outbound network rows it also
 * runs the proxy (proxy_loop); SIGHUP then reloads instead of being
 * forwarded. */
static int supervise(const struct opts *o, struct plan *pl)
{
	static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT};
	sigset_t set, old;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(&set, fwd[i]);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		die("sigprocmask: %s", strerror(errno));
	int sv[2] = {-1, -1};
	if (pl->proxy && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (sigprocmask(SIG_SETMASK, &old, NULL) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			die("setting up the child: %s", strerror(errno));
		if (getppid() != parent) /* the supervisor died already */
			_exit(EXIT_REFUSED);
		if (sv[0] >= 0 && close(sv[0]) < 0)
			die("close: %s", strerror(errno));
		exit(enter(o, pl, sv[1]));
	}
	if (pl->rules.fd >= 0)
		close(pl->rules.fd);
	if (pl->netns_fd >= 0)
		close(pl->netns_fd);
	if (pl->proxy) {
		char err[512];
		if (close(sv[1]) < 0) {
			kill(pid, SIGKILL);
			die("close: %s", strerror(errno));
		}
		int lfd = rm_net_recv_fd(sv[0], err, sizeof(err));
		close(sv[0]);
		if (lfd == -2) {
			/* The child refused (and said why) before handing it over. */
			int st;
			pid_t w;
			while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
				;
			if (w < 0)
				die("waitpid: %s", strerror(errno));
			return child_status(st);
		}
		if (lfd < 0) {
			kill(pid, SIGKILL);
			die("%s", err);
		}
		return proxy_loop(o, pl, pid, lfd, &set);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			die("sigwaitinfo: %s", strerror(errno));
		}
		if (sig != SIGCHLD) {
			if (si.si_code != SI_KERNEL && kill(pid, sig) < 0 && errno != ESRCH)
				die("forwarding signal %d: %s", sig, strerror(errno));
			continue;
		}
		int st;
		pid_t w;
		while ((w = waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR)
			;
		if (w < 0)
			die("waitpid: %s", strerror(errno));
		if (w == pid)
			return child_status(st);
	}
}

/* A closed 0, 1 or 2 would be taken by the next file runmin opens (the
 * log, the artifact) and mix messages into it: put /dev/null there. */
static void std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDWR | O_NOCTTY);
		if (n != fd)
			exit(EXIT_REFUSED); /* no stderr to say why */
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct plan pl;
	char err[512];
	memset(&pl, 0, sizeof(pl));
	std_fds();
	parse_args(&o, argc, argv);
	log_artifact = o.artifact;
	/* The network namespace takes longest to make and needs nothing
	 * runmin reads: start it now (root only; otherwise a user namespace
	 * comes with it, which a process with threads cannot enter). */
	struct rm_net_job job = {.fd = -1};
	pl.netns_fd = -1;
	if (!o.no_netns && geteuid() == 0 && rm_net_prepare_start(&job, err, sizeof(err)) < 0)
		die("%s", err);
	if (o.log && (log_fd = rm_log_open(o.log, err, sizeof(err))) < 0)
		die("%s", err);
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	load(&o, &pl, &artifact_buf);
	check_abi(&o, &pl);
	if (o.no_netns)
		no_netns(&o, &pl);
	pl.rules.fd = -1;
	/* Rule paths are opened here, in the parent, so a missing one is
	 * reported before anything runs.  The proxy port (0: none, TCP connect
	 * stays denied) is chosen before forking: the child's network namespace
	 * is new, so any port is free in it. */
	if (pl.has_ll && rm_ll_prepare(&pl.rules, &pl.ll, pl.abi, pl.proxy ? RM_PROXY_PORT : 0, err,
	                               sizeof(err)) < 0)
		die("%s", err);
	if (job.started && (pl.netns_fd = rm_net_prepare_finish(&job, err, sizeof(err))) < 0)
		die("%s", err);
	/* The proxy runs in the supervisor, outside the agent's namespace. */
	if (o.supervise || pl.proxy)
		return supervise(&o, &pl);
	return enter(&o, &pl, -1);
}
