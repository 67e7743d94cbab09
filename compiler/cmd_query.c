/* cmd_query.c — `polc query ARTIFACT syscall|fs|net ...`: one decision,
 * answered from the artifact through the same simulators CI tests use. */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "artfile.h"
#include "subject.h"
#include "cmd.h"

static void help(FILE *f)
{
	fputs("usage: polc query ARTIFACT syscall NAME [ARG0 ... ARG5] [--arch ARCH]\n"
	      "       polc query ARTIFACT fs PATH ACCESS[,ACCESS...]\n"
	      "       polc query ARTIFACT net HOST PORT [METHOD [PATH]]\n"
	      "       polc query POLICY.rego net HOST PORT [METHOD [PATH]]\n\n"
	      "Print the decision and the rule that made it.  ACCESS is read, write, exec\n"
	      "or a Landlock right (read_file, make_reg, ...).\n"
	      "exit: 0 allowed, 1 denied, 2 error\n",
	      f);
}

/* Parses "read,write_file" into Landlock fs rights; 0 on error. For a
 * single path the shorthands mean the file-level right. */
uint64_t query_parse_access(const char *s);
uint64_t query_parse_access(const char *s)
{
	uint64_t acc = 0;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", s);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t r = strcmp(t, "read") == 0    ? LL_FS_read_file
		             : strcmp(t, "write") == 0 ? LL_FS_write_file
		             : strcmp(t, "exec") == 0  ? LL_FS_execute
		                                       : ir_fs_right_parse(t);
		if (!r)
			return 0;
		acc |= r;
	}
	return acc;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (s[0] == '-') {
		long long x = strtoll(s, &end, 0);
		*v = (uint64_t)x;
	} else
		*v = strtoull(s, &end, 0);
	return errno || *end || end == s ? -1 : 0;
}

static void print_decision(const struct meta *m, const struct decision *d)
{
	printf("%s", d->text);
	const struct meta_rule *r = meta_rule(m, d->rule_id);
	if (d->note)
		printf("  (%s)", d->note);
	else if (r)
		printf("  (rule #%u: %s at %s:%u:%u)", r->id, r->text, r->file, r->line, r->col);
	else
		printf("  (default)");
	putchar('\n');
}

int rego_cmd_query(int npos, char **pos); /* cmd_opa.c: .rego sources */

int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {{"arch", required_argument, 0, 'a'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *arch_name = "x86_64";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': arch_name = optarg; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	/* Allow --arch after the positional arguments too. */
	char *pos[16];
	int npos = 0;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc)
			arch_name = argv[++i];
		else if (strncmp(argv[i], "--arch=", 7) == 0)
			arch_name = argv[i] + 7;
		else if (npos < 16)
			pos[npos++] = argv[i];
		else {
			help(stderr);
			return EXIT_USAGE;
		}
	}
	if (npos < 3) {
		help(stderr);
		return EXIT_USAGE;
	}
	/* A Rego source is asked through its evaluator (cmd_opa.c). */
	size_t plen = strlen(pos[0]);
	if (plen > 5 && strcmp(pos[0] + plen - 5, ".rego") == 0)
		return rego_cmd_query(npos, pos);
	if (sodium_init() < 0)
		return EXIT_USAGE;
	/* An artifact is asked directly; a policy is compiled in memory first,
	 * so the answer still comes from the generated programs. */
	struct arena *a = arena_new();
	struct load_ctx lc = {.a = a, .d = diag_sink_new(a)};
	struct subject f;
	char err[512];
	if (subject_open(&f, &lc, pos[0], true, err, sizeof(err)) < 0) {
		if (diag_count(lc.d))
			polc_print_diags(lc.d);
		else
			polc_err("query", "%s", err);
		arena_free(a);
		return EXIT_USAGE;
	}
	struct decision d;
	int rc = -1;
	const char *kind = pos[1];
	if (strcmp(kind, "syscall") == 0) {
		const struct sysc_arch *arch = sysc_arch_by_name(arch_name);
		uint64_t args[6] = {0};
		if (!arch) {
			polc_err("query", "unknown arch '%s'", arch_name);
			goto usage;
		}
		if (npos > 3 + 6) {
			polc_err("query", "at most 6 syscall arguments");
			goto usage;
		}
		for (int i = 3; i < npos; i++)
			if (parse_u64(pos[i], &args[i - 3]) < 0) {
				polc_err("query", "argument %d: '%s' is not a number", i - 3, pos[i]);
				goto usage;
			}
		rc = bpf_query_runmin(&f.art, arch, pos[2], args, &d, err, sizeof(err));
	} else if (strcmp(kind, "fs") == 0) {
		if (npos != 4 || pos[2][0] != '/') {
			polc_err("query", "fs needs an absolute PATH and ACCESS");
			goto usage;
		}
		uint64_t acc = query_parse_access(pos[3]);
		if (!acc) {
			polc_err("query", "unknown access '%s'", pos[3]);
			goto usage;
		}
		rc = ll_query(&f.art, pos[2], acc, &d, err, sizeof(err));
	} else if (strcmp(kind, "net") == 0) {
		uint64_t port;
		if (npos < 4 || npos > 6 || parse_u64(pos[3], &port) < 0 || port == 0 || port > 65535) {
			polc_err("query", "net needs HOST PORT [METHOD [PATH]] with PORT 1-65535");
			goto usage;
		}
		rc = nt_query(&f.art, pos[2], (uint16_t)port, npos > 4 ? pos[4] : NULL,
		              npos > 5 ? pos[5] : NULL, &d, err, sizeof(err));
	} else {
		polc_err("query", "unknown query kind '%s' (syscall, fs, net)", kind);
		goto usage;
	}
	if (rc < 0) {
		polc_err("query", "%s", err);
		goto usage;
	}
	print_decision(&f.meta, &d);
	subject_free(&f);
	arena_free(a);
	return d.allowed ? EXIT_OK : EXIT_FINDINGS;
usage:
	subject_free(&f);
	arena_free(a);
	return EXIT_USAGE;
}
