/* cmd_inspect.c — `polc inspect ARTIFACT [--format text|json]` */
#include <getopt.h>
#include <sodium.h>
#include <string.h>

#include "artfile.h"
#include "cmd.h"

static void help(FILE *f)
{
	fputs("usage: polc inspect ARTIFACT [--format text|json]\n\n"
	      "Show the artifact's header, metadata and every section: Landlock rules,\n"
	      "network table rows, and each seccomp program with a disassembly.\n"
	      "JSON goes to stdout and contains nothing else.\n",
	      f);
}

typedef int (*inspect_fn)(const struct art_section *, const struct meta *, FILE *, json_t **,
                          char *, size_t);

static inspect_fn section_fn(uint32_t type)
{
	switch (type) {
	case ART_SEC_LANDLOCK: return ll_inspect;
	case ART_SEC_NETTABLE: return nt_inspect;
	case ART_SEC_SECCOMP: return bpf_inspect;
	case ART_SEC_PROCESS: return ll_proc_inspect;
	}
	return NULL;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, 0, 'f'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	bool json_out = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json_out = true;
			else if (strcmp(optarg, "text") != 0) {
				polc_err("inspect", "unknown format '%s' (text, json)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0)
		return EXIT_USAGE;
	struct artfile f;
	char err[512];
	if (artfile_open(&f, argv[optind], err, sizeof(err)) < 0) {
		polc_err("inspect", "%s", err);
		return EXIT_USAGE;
	}

	int rc = EXIT_OK;
	json_t *root = NULL, *secs = NULL;
	if (json_out) {
		root = json_object();
		secs = json_array();
		json_object_set_new(root, "version", json_integer(f.art.version));
		json_object_set_new(root, "size", json_integer((json_int_t)f.len));
		json_object_set_new(root, "min_landlock_abi", json_integer(f.art.min_abi));
		json_object_set(root, "meta", f.meta.root);
	} else {
		printf("artifact %s\n  format v%u, %zu bytes, %u sections, min Landlock ABI %u\n",
		       argv[optind], f.art.version, f.len, f.art.nsections, f.art.min_abi);
		printf("  policy %s (%s)\n", f.meta.name ? f.meta.name : "?",
		       json_string_value(json_object_get(f.meta.root, "compiler")));
		printf("sections\n");
		for (uint32_t i = 0; i < f.art.nsections; i++) {
			const struct art_section *s = &f.art.sec[i];
			char hex[65];
			sodium_bin2hex(hex, sizeof(hex), s->sha256, 32);
			printf("  %-9s arch 0x%08x offset %6u length %6u sha256 %.16s…\n",
			       art_section_name(s->type), s->arch, s->offset, s->length, hex);
		}
		printf("rules\n");
		for (size_t i = 0; i < f.meta.nrules; i++) {
			const struct meta_rule *r = &f.meta.rules[i];
			printf("  #%u %-7s %s  @%s:%u:%u\n", r->id, r->domain, r->text, r->file, r->line,
			       r->col);
		}
	}
	for (uint32_t i = 0; i < f.art.nsections; i++) {
		const struct art_section *s = &f.art.sec[i];
		inspect_fn fn = section_fn(s->type);
		json_t *sj = NULL;
		if (fn && fn(s, &f.meta, json_out ? NULL : stdout, json_out ? &sj : NULL, err,
		             sizeof(err)) < 0) {
			polc_err("inspect", "%s section: %s", art_section_name(s->type), err);
			rc = EXIT_USAGE;
			continue;
		}
		if (json_out) {
			char hex[65];
			sodium_bin2hex(hex, sizeof(hex), s->sha256, 32);
			json_t *e = json_pack("{s:s, s:I, s:I, s:I, s:s}", "type", art_section_name(s->type),
			                      "arch", (json_int_t)s->arch, "offset", (json_int_t)s->offset,
			                      "length", (json_int_t)s->length, "sha256", hex);
			if (sj)
				json_object_set_new(e, "content", sj);
			json_array_append_new(secs, e);
		}
	}
	if (json_out) {
		json_object_set_new(root, "sections", secs);
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(root);
	}
	artfile_free(&f);
	return rc;
}
