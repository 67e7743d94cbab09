/* cmd_sig.c — `polc keygen`, `polc sign`, `polc verify` (minisign-compatible). */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "artfile.h"
#include "cmd.h"
#include "minisig.h"
#include "sig.h"

/* Largest file `polc sign` / `polc verify` read (held in memory whole). */
#define SIGNED_FILE_MAX (256u << 20)

static void keygen_help(FILE *f)
{
	fputs("usage: polc keygen -p PUBKEY -s SECKEY [--password] [-f]\n\n"
	      "Create a minisign-compatible Ed25519 key pair.  PUBKEY is written 0644,\n"
	      "SECKEY 0600.  Existing files are never overwritten unless -f is given.\n"
	      "The secret key is unencrypted (as `minisign -G -W`) unless --password: then\n"
	      "the password is read twice from the terminal (no echo) and the key is\n"
	      "encrypted with scrypt as `minisign -G` does.\n\n"
	      "  -p, --public PUBKEY   public key file to create\n"
	      "  -s, --secret SECKEY   secret key file to create\n"
	      "  -W, --password        encrypt the secret key with a password\n"
	      "  -f, --force           replace existing key files\n"
	      "  -h, --help            this help\n\n"
	      "exit: 0 ok, 2 usage or I/O error (including: a file exists)\n",
	      f);
}

static void sign_help(FILE *f)
{
	fputs("usage: polc sign FILE -s SECKEY [-x SIGFILE]\n\n"
	      "Sign FILE (normally a polc artifact) with a minisign secret key; writes\n"
	      "FILE.minisig atomically.  The signature is minisign's prehashed Ed25519\n"
	      "format: `minisign -Vm FILE -p PUBKEY` verifies it.  The signed trusted\n"
	      "comment is `polc-artifact sha256:HEX name:POLICY` for an artifact and\n"
	      "`file:BASENAME` for any other file.\n\n"
	      "The secret key must not be accessible by group or others (chmod 600).\n"
	      "For an encrypted key the password is taken from the environment variable\n"
	      "POLC_KEY_PASSWORD when it is set and non-empty (for CI), otherwise read\n"
	      "from the terminal.\n\n"
	      "  -s, --secret SECKEY   secret key file (minisign or polc keygen format)\n"
	      "  -x, --sig SIGFILE     write the signature here instead of FILE.minisig\n"
	      "  -h, --help            this help\n\n"
	      "exit: 0 ok, 2 usage or I/O error (bad key, wrong password, ...)\n",
	      f);
}

static void verify_help(FILE *f)
{
	fputs("usage: polc verify FILE -p PUBKEY [-x SIGFILE] [-q]\n\n"
	      "Verify FILE.minisig (minisign format, prehashed or legacy) against a\n"
	      "minisign public key: the key id, the file signature and the trusted\n"
	      "comment signature.  When the trusted comment is of the form\n"
	      "`polc-artifact sha256:HEX ...`, HEX must also be the file's SHA-256.\n"
	      "On success the trusted comment is printed.\n\n"
	      "  -p, --public PUBKEY   trusted public key file\n"
	      "  -x, --sig SIGFILE     signature file (default FILE.minisig)\n"
	      "  -q, --quiet           print nothing on success\n"
	      "  -h, --help            this help\n\n"
	      "exit: 0 good signature, 1 bad or missing signature, 2 usage or I/O error\n",
	      f);
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {{"public", required_argument, 0, 'p'},
	                                     {"secret", required_argument, 0, 's'},
	                                     {"password", no_argument, 0, 'W'},
	                                     {"force", no_argument, 0, 'f'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *pk = NULL, *sk = NULL;
	unsigned flags = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:s:Wfh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pk = optarg; break;
		case 's': sk = optarg; break;
		case 'W': flags |= SIG_KEYGEN_PASSWORD; break;
		case 'f': flags |= SIG_KEYGEN_FORCE; break;
		case 'h': keygen_help(stdout); return EXIT_OK;
		default: keygen_help(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || !pk || !sk) {
		if (optind != argc)
			polc_err("keygen", "unexpected argument '%s'", argv[optind]);
		else
			polc_err("keygen", "both -p PUBKEY and -s SECKEY are required");
		keygen_help(stderr);
		return EXIT_USAGE;
	}
	char err[512];
	if (sig_keygen_flags(pk, sk, flags, err, sizeof(err)) < 0) {
		polc_err("keygen", "%s", err);
		return EXIT_USAGE;
	}
	/* Read the public key back: proves it parses, and names the key id. */
	size_t n;
	char *text = read_small_file(pk, MINISIG_TEXT_MAX, &n), id[MINISIG_KEYID_STR] = "?";
	struct minisig_pk k;
	if (!text || minisig_pk_parse(&k, text, n, err, sizeof(err)) < 0) {
		polc_err("keygen", "cannot read back '%s'", pk);
		free(text);
		return EXIT_USAGE;
	}
	free(text);
	minisig_key_id_str(k.key_id, id);
	printf("key id %s\npublic key: %s\nsecret key: %s (keep it secret%s)\n", id, pk, sk,
	       (flags & SIG_KEYGEN_PASSWORD) ? ", encrypted" : ", not encrypted");
	return EXIT_OK;
}

/* Reads a file for signing or verifying; NULL after printing the error. */
static uint8_t *read_input(const char *cmd, const char *path, size_t *len)
{
	uint8_t *p = (uint8_t *)read_small_file(path, SIGNED_FILE_MAX, len);
	if (!p)
		polc_err(cmd, "cannot read '%s': %s", path,
		         errno == EFBIG ? "too large" : strerror(errno));
	return p;
}

/* Replaces characters that would break the one-line trusted comment. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

/* The trusted comment for FILE, as `polc build --sign` writes it for
 * artifacts; NULL after printing why FILE must not be signed. */
static char *comment_for(const char *path, const uint8_t *p, size_t len)
{
	char *tc = NULL;
	if (len >= ART_MAGIC_LEN && memcmp(p, ART_MAGIC, ART_MAGIC_LEN) == 0) {
		/* It claims to be an artifact: sign only one that parses, so a
		 * corrupted artifact is not blessed by a signature. */
		struct art a;
		struct meta m;
		char why[256];
		if (art_parse(&a, p, len, why, sizeof(why)) < 0 ||
		    meta_parse(&m, &a, why, sizeof(why)) < 0) {
			polc_err("sign", "'%s' is a malformed polc artifact, not signing it: %s", path,
			         why);
			return NULL;
		}
		uint8_t h[crypto_hash_sha256_BYTES];
		char hex[2 * sizeof(h) + 1];
		crypto_hash_sha256(h, p, len);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		if (asprintf(&tc, MINISIG_ART_TC_PREFIX " sha256:%s name:%s", hex,
		             m.name ? m.name : "") < 0)
			abort();
		meta_free(&m);
	} else {
		const char *base = strrchr(path, '/');
		if (asprintf(&tc, "file:%s", base ? base + 1 : path) < 0)
			abort();
	}
	one_line(tc);
	return tc;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {{"secret", required_argument, 0, 's'},
	                                     {"sig", required_argument, 0, 'x'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *sk = NULL, *sigpath = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:x:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sk = optarg; break;
		case 'x': sigpath = optarg; break;
		case 'h': sign_help(stdout); return EXIT_OK;
		default: sign_help(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !sk) {
		polc_err("sign", optind != argc - 1 ? "expected one FILE to sign"
		                                    : "no secret key given (-s SECKEY)");
		sign_help(stderr);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		polc_err("sign", "libsodium failed to initialise");
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	char defsig[4096];
	if (!sigpath) {
		if (snprintf(defsig, sizeof(defsig), "%s.minisig", path) >= (int)sizeof(defsig)) {
			polc_err("sign", "path too long");
			return EXIT_USAGE;
		}
		sigpath = defsig;
	}
	size_t len;
	uint8_t *p = read_input("sign", path, &len);
	if (!p)
		return EXIT_USAGE;
	int rc = EXIT_USAGE;
	struct buf sig = {0};
	char err[512];
	char *tc = comment_for(path, p, len);
	if (!tc)
		goto done;
	if (sig_sign(p, len, sk, tc, &sig, err, sizeof(err)) < 0) {
		polc_err("sign", "%s", err);
		goto done;
	}
	if (polc_write_atomic(sigpath, sig.p, sig.len, 0644) < 0) {
		polc_err("sign", "cannot write '%s': %s", sigpath, strerror(errno));
		goto done;
	}
	if (polc_verbose)
		fprintf(stderr, "polc sign: wrote %s (trusted comment: %s)\n", sigpath, tc);
	rc = EXIT_OK;
done:
	free(tc);
	buf_free(&sig);
	free(p);
	return rc;
}

/* Prints the trusted comment with control characters (other than tab)
 * shown as '?': it is signed, but still not the terminal's business. */
static void print_comment(const char *tc)
{
	fputs("trusted comment: ", stdout);
	for (const unsigned char *s = (const unsigned char *)tc; *s; s++)
		putchar((*s < 0x20 && *s != '\t') || *s == 0x7f ? '?' : *s);
	putchar('\n');
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {{"public", required_argument, 0, 'p'},
	                                     {"sig", required_argument, 0, 'x'},
	                                     {"quiet", no_argument, 0, 'q'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *pkpath = NULL, *sigpath = NULL;
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:x:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pkpath = optarg; break;
		case 'x': sigpath = optarg; break;
		case 'q': quiet = true; break;
		case 'h': verify_help(stdout); return EXIT_OK;
		default: verify_help(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !pkpath) {
		polc_err("verify", optind != argc - 1 ? "expected one FILE to verify"
		                                      : "no public key given (-p PUBKEY)");
		verify_help(stderr);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		polc_err("verify", "libsodium failed to initialise");
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	char defsig[4096];
	if (!sigpath) {
		if (snprintf(defsig, sizeof(defsig), "%s.minisig", path) >= (int)sizeof(defsig)) {
			polc_err("verify", "path too long");
			return EXIT_USAGE;
		}
		sigpath = defsig;
	}

	int rc = EXIT_USAGE;
	size_t len = 0, pklen = 0, siglen = 0;
	char *pktext = NULL, *sigtext = NULL, err[512];
	uint8_t *p = read_input("verify", path, &len);
	if (!p)
		goto done;
	pktext = read_small_file(pkpath, MINISIG_TEXT_MAX, &pklen);
	if (!pktext) {
		polc_err("verify", "cannot read public key '%s': %s", pkpath,
		         errno == EFBIG ? "too large to be a public key" : strerror(errno));
		goto done;
	}
	struct minisig_pk pk;
	if (minisig_pk_parse(&pk, pktext, pklen, err, sizeof(err)) < 0) {
		polc_err("verify", "%s: %s", pkpath, err);
		goto done;
	}
	sigtext = read_small_file(sigpath, MINISIG_TEXT_MAX, &siglen);
	if (!sigtext) {
		if (errno == ENOENT) {
			polc_err("verify", "%s: not signed: '%s' does not exist", path, sigpath);
			rc = EXIT_FINDINGS;
		} else if (errno == EFBIG) {
			polc_err("verify", "%s: bad signature: '%s' is too large", path, sigpath);
			rc = EXIT_FINDINGS;
		} else {
			polc_err("verify", "cannot read '%s': %s", sigpath, strerror(errno));
		}
		goto done;
	}
	rc = EXIT_FINDINGS;
	struct minisig_sig s;
	if (minisig_sig_parse(&s, sigtext, siglen, err, sizeof(err)) < 0 ||
	    minisig_verify_parsed(&s, &pk, p, len, err, sizeof(err)) < 0) {
		polc_err("verify", "%s: bad signature: %s", path, err);
		goto done;
	}
	char tc[MINISIG_TC_MAX + 1];
	memcpy(tc, s.tc, s.tclen);
	tc[s.tclen] = '\0';
	if (minisig_check_artifact_comment(tc, p, len, err, sizeof(err)) < 0) {
		polc_err("verify", "%s: bad signature: %s", path, err);
		goto done;
	}
	if (!quiet) {
		char id[MINISIG_KEYID_STR];
		minisig_key_id_str(pk.key_id, id);
		printf("good signature by key %s\n", id);
		print_comment(tc);
	}
	rc = EXIT_OK;
done:
	free(p);
	free(pktext);
	free(sigtext);
	return rc;
}
