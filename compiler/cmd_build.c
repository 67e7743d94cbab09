/* cmd_build.c — `polc build POLICY... -o OUT [--sign SECKEY] [--min-abi N]` */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "arena.h"
#include "backend.h"
#include "cmd.h"
#include "sig.h"

static void help(FILE *f)
{
	fputs("usage: polc build POLICY [POLICY...] -o OUT [--sign SECKEY] [--min-abi N]\n\n"
	      "Compile policies (.yaml/.yml polc schema v1 or OpenShell, .json OCI seccomp\n"
	      "profile) into one artifact.  Several inputs are merged in order.  OUT is\n"
	      "written atomically; with --sign, OUT.minisig too.\n\n"
	      "  -o, --output OUT     artifact to write\n"
	      "  -s, --sign SECKEY    sign with a minisign secret key\n"
	      "      --min-abi N      require at least Landlock ABI N at run time\n"
	      "      --dump-ir        print the merged IR (stable text) and stop; no -o needed\n"
	      "      --openshell-lenient  OpenShell input: drop the fields polc cannot enforce\n"
	      "                       with a warning each, instead of refusing them (E505)\n"
	      "  -h, --help           this help\n\n"
	      "exit: 0 ok, 1 policy errors, 2 usage or I/O error\n",
	      f);
}

/* Trusted comment signed with the artifact: its SHA-256 and policy name.
 * No timestamp, so a rebuild of the same policy gives the same signature. */
static char *trusted_comment(const struct buf *art, const char *name)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(h) + 1];
	crypto_hash_sha256(h, art->p, art->len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	char *tc;
	if (asprintf(&tc, "polc-artifact sha256:%s name:%s", hex, name ? name : "") < 0)
		abort();
	/* The trusted comment is one line: keep the name from breaking it. */
	for (char *p = tc; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return tc;
}

/* Milliseconds since *t, which is then reset: `-v` times each phase. */
static double lap(struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - t->tv_sec) * 1e3 + (double)(now.tv_nsec - t->tv_nsec) / 1e6;
	*t = now;
	return ms;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, 0, 'o'},
	                                     {"sign", required_argument, 0, 's'},
	                                     {"min-abi", required_argument, 0, 'm'},
	                                     {"dump-ir", no_argument, 0, 'D'},
	                                     {"openshell-lenient", no_argument, 0, 'L'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *out = NULL, *sk = NULL;
	long min_abi = 0;
	bool dump_ir = false, lenient = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 's': sk = optarg; break;
		case 'm': {
			char *end;
			min_abi = strtol(optarg, &end, 10);
			if (*end || min_abi < 1 || min_abi > 64) {
				polc_err("build", "--min-abi: expected a number from 1 to 64, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'D': dump_ir = true; break;
		case 'L': lenient = true; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc || (!out && !dump_ir)) {
		polc_err("build", optind >= argc ? "no policy given" : "no output given (-o OUT)");
		help(stderr);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		polc_err("build", "libsodium failed to initialise");
		return EXIT_USAGE;
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t1 = t0;
	struct arena *a = arena_new();
	struct load_ctx lc = {.a = a, .d = diag_sink_new(a), .openshell_lenient = lenient};
	int rc = EXIT_FINDINGS;
	struct buf art = {0}, sig = {0};
	char *tc = NULL;

	struct ir_policy *p = load_inputs(&lc, argv + optind, argc - optind);
	if (polc_verbose && p)
		fprintf(stderr,
		        "polc build: loaded %d input%s (%zu files with extends): %zu rules, %.3f ms\n",
		        argc - optind, argc - optind == 1 ? "" : "s", p->nsources, p->nrules, lap(&t1));
	if (p && min_abi) {
		p->fs.min_abi = (uint32_t)min_abi;
		p->fs.min_abi_pos = src_file("--min-abi");
	}
	if (p && dump_ir) {
		ir_dump(p, stdout);
		rc = EXIT_OK;
		goto done;
	}
	if (!p || polc_compile(p, lc.d, &art) < 0)
		goto done;
	if (polc_verbose)
		fprintf(stderr, "polc build: compiled and verified: %zu bytes, %.3f ms\n", art.len,
		        lap(&t1));
	rc = EXIT_USAGE;
	if (sk) {
		char err[256];
		tc = trusted_comment(&art, p->name);
		if (sig_sign(art.p, art.len, sk, tc, &sig, err, sizeof(err)) < 0) {
			polc_err("build", "%s", err);
			goto done;
		}
		if (polc_verbose)
			fprintf(stderr, "polc build: signed with %s, %.3f ms\n", sk, lap(&t1));
	}
	if (polc_write_atomic(out, art.p, art.len, 0644) < 0) {
		polc_err("build", "cannot write '%s': %s", out, strerror(errno));
		goto done;
	}
	if (sk) {
		char sigpath[4096];
		if (snprintf(sigpath, sizeof(sigpath), "%s.minisig", out) >= (int)sizeof(sigpath) ||
		    polc_write_atomic(sigpath, sig.p, sig.len, 0644) < 0) {
			polc_err("build", "cannot write '%s.minisig': %s", out, strerror(errno));
			/* Do not leave an unsigned artifact that looks finished. */
			unlink(out);
			goto done;
		}
	}
	rc = EXIT_OK;
	if (polc_verbose)
		fprintf(stderr, "polc build: %s: %zu bytes, %zu rules, %.3f ms in all%s\n", out,
		        art.len, p->nrules, lap(&t0), sk ? ", signed" : "");
done:
	polc_print_diags(lc.d);
	free(tc);
	buf_free(&art);
	buf_free(&sig);
	arena_free(a);
	return rc;
}
