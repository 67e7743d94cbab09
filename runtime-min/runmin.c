/* runmin — verify a polc artifact and run a program confined by it.
 *
 *   runmin -a ARTIFACT [-p PUBKEY] [--log FILE] [--keep-fd N] [--allow-unsigned]
 *          [--supervise] [--uid N --gid N] [--] COMMAND [ARG...]
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "art.h"
#include "minisig.h"
#include "rm_log.h"
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
	bool allow_unsigned, supervise;
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
	      "              [--supervise] [--uid N --gid N] [--] COMMAND [ARG...]\n\n"
	      "Verify a signed polc artifact and run COMMAND confined by it (Landlock,\n"
	      "capabilities, no_new_privs, seccomp).\n\n"
	      "  -a, --artifact FILE   the artifact (.pola); FILE.minisig is its signature\n"
	      "  -p, --pubkey FILE     trusted minisign public key (default " DEFAULT_PUBKEY ")\n"
	      "      --log FILE        append JSON Lines audit events to FILE\n"
	      "      --keep-fd N       leave descriptor N open for COMMAND (repeatable)\n"
	      "      --allow-unsigned  run without checking any signature (testing only)\n"
	      "      --supervise       stay as the parent: forward signals, report the status\n"
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
	enum { O_LOG = 256, O_KEEP, O_UNSIGNED, O_SUPERVISE, O_UID, O_GID };
	static const struct option lo[] = {{"artifact", required_argument, 0, 'a'},
	                                   {"pubkey", required_argument, 0, 'p'},
	                                   {"log", required_argument, 0, O_LOG},
	                                   {"keep-fd", required_argument, 0, O_KEEP},
	                                   {"allow-unsigned", no_argument, 0, O_UNSIGNED},
	                                   {"supervise", no_argument, 0, O_SUPERVISE},
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
 * a malloc'd buffer (NUL-terminated for text).  Dies naming `what`. */
static uint8_t *slurp(const char *path, size_t max, size_t *len, const char *what,
                      const char *hint)
{
	/* O_NONBLOCK: a FIFO must not hang us before fstat refuses it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		die("%s %s: %s%s", what, path, strerror(errno), errno == ENOENT ? hint : "");
	struct stat st;
	if (fstat(fd, &st) < 0)
		die("%s %s: fstat: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s %s: not a regular file", what, path);
	if ((uint64_t)st.st_size > max)
		die("%s %s: too large (%lld bytes, limit %zu)", what, path, (long long)st.st_size, max);
	size_t cap = (size_t)st.st_size + 1, n = 0;
	uint8_t *p = malloc(cap);
	if (!p)
		die("out of memory reading %s", path);
	for (;;) {
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("%s %s: read: %s", what, path, strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap)
			die("%s %s: grew while being read", what, path);
	}
	close(fd);
	p[n] = 0;
	*len = n;
	return p;
}

static void verify(const struct opts *o, const uint8_t *art, size_t len)
{
	char sigpath[PATH_MAX];
	if (snprintf(sigpath, sizeof(sigpath), "%s.minisig", o->artifact) >= (int)sizeof(sigpath))
		die("artifact path too long");
	size_t slen, plen;
	char *sig = (char *)slurp(sigpath, MINISIG_TEXT_MAX, &slen, "signature",
	                          " (unsigned artifact: sign it with `polc sign`, or pass "
	                          "--allow-unsigned to run it anyway)");
	char *pk = (char *)slurp(o->pubkey, MINISIG_TEXT_MAX, &plen, "public key",
	                         " (give the trusted key with -p PUBKEY)");
	char tc[MINISIG_TC_MAX + 1], err[256];
	/* The signature covers every byte of art; the trusted comment's own
	 * SHA-256 of the file (polc verify checks it) would prove nothing more,
	 * so it is not recomputed here. */
	if (minisig_verify(art, len, sig, slen, pk, plen, tc, sizeof(tc), err, sizeof(err)) < 0)
		die("%s: signature verification failed: %s", o->artifact, err);
	free(sig);
	free(pk);
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

/* Confines this process and runs COMMAND; returns only an exit status. */
static int enter(const struct opts *o, struct plan *pl)
{
	char err[512];
	/* Order matters: descriptors and Landlock while the syscalls they need
	 * are still allowed; the bounding set before CAP_SETPCAP goes; seccomp
	 * last, as the policy's program may deny everything runmin used. */
	if (rm_fds_prepare(o->keep, o->nkeep, err, sizeof(err)) < 0 ||
	    rm_no_new_privs(err, sizeof(err)) < 0 || rm_ll_enforce(&pl->rules, err, sizeof(err)) < 0 ||
	    rm_caps_drop(pl->caps_keep, &o->ids, err, sizeof(err)) < 0 || rm_seccomp_tty(err, sizeof(err)) < 0 ||
	    (pl->has_sc && rm_seccomp_load(&pl->sc, err, sizeof(err)) < 0))
		die("%s", err);
	return run(o->cmd);
}

/* Stays as the parent of COMMAND: forwards the signals sent to runmin
 * itself (a terminal's signals reach the whole process group already),
 * reaps, and reports COMMAND's status.  The network proxy and the SIGHUP
 * reload of the network table (issue 5) belong in this loop. */
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
		exit(enter(o, pl));
	}
	if (pl->rules.fd >= 0)
		close(pl->rules.fd);
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
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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
	if (o.log && (log_fd = rm_log_open(o.log, err, sizeof(err))) < 0)
		die("%s", err);
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	load(&o, &pl, &artifact_buf);
	check_abi(&o, &pl);
	pl.rules.fd = -1;
	/* Rule paths are opened here, in the parent, so a missing one is
	 * reported before anything runs.  The proxy port (0: none, TCP connect
	 * stays denied) is chosen before forking: the child's network namespace
	 * is new, so any port is free in it. */
	if (pl.has_ll && rm_ll_prepare(&pl.rules, &pl.ll, pl.abi, 0, err, sizeof(err)) < 0)
		die("%s", err);
	if (o.supervise)
		return supervise(&o, &pl);
	return enter(&o, &pl);
}
