/* cmd_convert.c — `polc convert INPUT... [-o OUT] [--openshell-lenient]`:
 * the polc YAML equivalent of an imported policy (OpenShell, OCI seccomp
 * JSON, Rego) or of several merged inputs, written from the IR. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"
#include "cmd.h"
#include "conv.h"

static void help(FILE *f)
{
	fputs("usage: polc convert INPUT [INPUT...] [-o OUT] [--openshell-lenient]\n\n"
	      "Write the polc YAML (schema v1) equivalent of the inputs, merged in order:\n"
	      "an OpenShell policy, an OCI/Docker seccomp profile (.json), a Rego policy\n"
	      "or polc YAML.  `polc build` of the result gives the same decisions and rule\n"
	      "ids as building the inputs.  Without -o the YAML goes to stdout.\n\n"
	      "  -o, --output OUT         write OUT (atomically) instead of stdout\n"
	      "      --openshell-lenient  drop the OpenShell fields polc cannot enforce, with a\n"
	      "                           warning each (listed in the output's header comment)\n"
	      "  -h, --help               this help\n\n"
	      "exit: 0 ok, 1 policy errors, 2 usage or I/O error\n",
	      f);
}

int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, 0, 'o'},
	                                     {"openshell-lenient", no_argument, 0, 'L'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *out = NULL;
	bool lenient = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'L': lenient = true; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		polc_err("convert", "no input given");
		help(stderr);
		return EXIT_USAGE;
	}
	struct arena *a = arena_new();
	struct load_ctx lc = {.a = a, .d = diag_sink_new(a), .openshell_lenient = lenient};
	int rc = EXIT_FINDINGS;
	char *text = NULL;
	size_t len = 0;
	struct ir_policy *p = load_inputs(&lc, argv + optind, argc - optind);
	if (!p)
		goto done;
	FILE *mem = open_memstream(&text, &len);
	if (!mem) {
		polc_err("convert", "out of memory");
		rc = EXIT_USAGE;
		goto done;
	}
	conv_yaml(p, lc.d, mem);
	if (fclose(mem) != 0) {
		polc_err("convert", "out of memory");
		rc = EXIT_USAGE;
		goto done;
	}
	if (!out) {
		rc = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
		if (rc != EXIT_OK)
			polc_err("convert", "cannot write to stdout: %s", strerror(errno));
	} else if (polc_write_atomic(out, text, len, 0644) < 0) {
		polc_err("convert", "cannot write '%s': %s", out, strerror(errno));
		rc = EXIT_USAGE;
	} else {
		rc = EXIT_OK;
		if (polc_verbose)
			fprintf(stderr, "polc convert: %s: %zu rules\n", out, p->nrules);
	}
done:
	polc_print_diags(lc.d);
	free(text);
	arena_free(a);
	return rc;
}
