/* cmd_export.c — `polc export ARTIFACT --format bpf --arch ARCH -o OUT` and
 * `polc export ARTIFACT --format oci -o OUT`: the artifact's seccomp
 * programs for other tools.  Both come from the artifact itself (its
 * checked programs), not from a policy. */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artfile.h"
#include "bpf.h"
#include "cmd.h"

static void help(FILE *f)
{
	fputs("usage: polc export ARTIFACT --format bpf [--arch ARCH] -o OUT\n"
	      "       polc export ARTIFACT --format oci [-o OUT]\n\n"
	      "  --format bpf   the seccomp program for ARCH as a raw struct sock_filter[]\n"
	      "                 in host byte order (what bwrap --seccomp FD reads)\n"
	      "  --format oci   an OCI/Docker seccomp profile (JSON) with the same\n"
	      "                 decisions, for Docker, podman, Kubernetes, runc\n"
	      "  --bpf, --oci   short for --format bpf / --format oci\n"
	      "  --arch ARCH    x86_64 or aarch64 (default: the machine's)\n"
	      "  -o OUT         file to write atomically; `-` for standard output (the\n"
	      "                 default for --format oci)\n\n"
	      "exit: 0 ok, 2 usage or I/O error\n",
	      f);
}

static const char *host_arch(void)
{
#if defined(__aarch64__)
	return "aarch64";
#else
	return "x86_64";
#endif
}

static int write_out(const char *out, const void *p, size_t n)
{
	if (strcmp(out, "-") == 0) {
		if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0) {
			polc_err("export", "cannot write to standard output: %s", strerror(errno));
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	if (polc_write_atomic(out, p, n, 0644) < 0) {
		polc_err("export", "cannot write '%s': %s", out, strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int export_bpf(const struct artfile *f, const char *arch_name, const char *out)
{
	const struct sysc_arch *arch = sysc_arch_by_name(arch_name);
	if (!arch) {
		polc_err("export", "unknown arch '%s' (x86_64, aarch64)", arch_name);
		return EXIT_USAGE;
	}
	if (sysc_host(arch) != arch) {
		polc_err("export", "%s is decided inside the %s program: export --arch %s", arch->name,
		         sysc_host(arch)->name, sysc_host(arch)->name);
		return EXIT_USAGE;
	}
	const struct art_section *s = art_find(&f->art, ART_SEC_SECCOMP, arch->audit_arch);
	if (!s) {
		polc_err("export", "the artifact has no seccomp program for %s", arch->name);
		return EXIT_USAGE;
	}
	struct bpf_prog pr;
	uint32_t audit;
	char err[512];
	if (bpf_from_section(s, &pr, &audit, err, sizeof(err)) < 0) {
		polc_err("export", "%s", err);
		return EXIT_USAGE;
	}
	/* struct sock_filter {u16 code; u8 jt, jf; u32 k;} in host order */
	uint8_t *raw = malloc(pr.n * 8);
	if (!raw)
		abort();
	for (size_t i = 0; i < pr.n; i++) {
		memcpy(raw + 8 * i, &pr.insns[i].code, 2);
		raw[8 * i + 2] = pr.insns[i].jt;
		raw[8 * i + 3] = pr.insns[i].jf;
		memcpy(raw + 8 * i + 4, &pr.insns[i].k, 4);
	}
	int rc = write_out(out, raw, pr.n * 8);
	free(raw);
	bpf_prog_free(&pr);
	return rc;
}

static int export_oci(const struct artfile *f, const char *out)
{
	char err[512], warn[512];
	json_t *j = oci_export(&f->art, warn, sizeof(warn), err, sizeof(err));
	if (!j) {
		polc_err("export", "%s", err);
		return EXIT_USAGE;
	}
	if (warn[0])
		fprintf(stderr, "polc export: warning: %s\n", warn);
	char *text = oci_export_dump(j);
	json_decref(j);
	if (!text)
		abort();
	size_t n = strlen(text);
	text[n] = '\n'; /* the dump's NUL becomes the final newline */
	int rc = write_out(out, text, n + 1);
	free(text);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, 0, 'f'},
	                                     {"arch", required_argument, 0, 'a'},
	                                     {"output", required_argument, 0, 'o'},
	                                     {"bpf", no_argument, 0, 'B'},
	                                     {"oci", no_argument, 0, 'O'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *format = NULL, *arch = NULL, *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:a:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'a': arch = optarg; break;
		case 'o': out = optarg; break;
		case 'B': format = "bpf"; break;
		case 'O': format = "oci"; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	/* An OCI profile is text: standard output by default, as in
	 * `polc export --oci ARTIFACT`.  Raw BPF needs -o (or -o -). */
	if (format && strcmp(format, "oci") == 0 && !out)
		out = "-";
	if (optind != argc - 1 || !format || !out) {
		polc_err("export", optind != argc - 1 ? "expected one ARTIFACT"
		                   : !format           ? "no --format (bpf or oci)"
		                                       : "no output (-o OUT, or -o - for stdout)");
		help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(format, "bpf") != 0 && strcmp(format, "oci") != 0) {
		polc_err("export", "unknown format '%s' (bpf, oci)", format);
		return EXIT_USAGE;
	}
	if (arch && strcmp(format, "oci") == 0) {
		polc_err("export", "--arch is for --format bpf (an OCI profile covers every arch)");
		return EXIT_USAGE;
	}
	if (sodium_init() < 0)
		return EXIT_USAGE;
	struct artfile f;
	char err[512];
	if (artfile_open(&f, argv[optind], err, sizeof(err)) < 0) {
		polc_err("export", "%s", err);
		return EXIT_USAGE;
	}
	int rc = strcmp(format, "bpf") == 0 ? export_bpf(&f, arch ? arch : host_arch(), out)
	                                    : export_oci(&f, out);
	artfile_free(&f);
	return rc;
}
