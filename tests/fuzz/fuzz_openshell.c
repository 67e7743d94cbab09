/* fuzz_openshell.c — libFuzzer target for the OpenShell import and the
 * IR-to-YAML writer behind `polc convert`.  The first byte chooses strict or
 * lenient (--openshell-lenient) import; the rest is the document, read by
 * yml_parse (which hands OpenShell documents to openshell.c).
 *
 * Oracles: a document is accepted exactly when it has no error; and every
 * accepted policy — OpenShell or polc — written back by conv_yaml must parse
 * again without error into the same rules, in the same order (the round trip
 * `polc convert` promises). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"
#include "conv.h"

int polc_verbose __attribute__((weak));

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("POLC_STDLIB", "/nonexistent-polc-fuzz", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct arena *a = arena_new();
	struct load_ctx c = {.a = a, .d = diag_sink_new(a), .openshell_lenient = data[0] & 1};
	const char *text = (const char *)data + 1;
	size--;
	diag_source(c.d, "fuzz.yaml", text, size);
	struct ir_policy *p = yml_parse(&c, "fuzz.yaml", text, size);
	if (!p) {
		if (diag_errors(c.d) == 0)
			abort();
		arena_free(a);
		return 0;
	}
	if (diag_errors(c.d) != 0)
		abort();
	ir_finalize(p, c.d);

	char *yaml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&yaml, &len);
	if (!f)
		abort();
	conv_yaml(p, c.d, f);
	if (fclose(f) != 0)
		abort();
	struct load_ctx c2 = {.a = a, .d = diag_sink_new(a)};
	diag_source(c2.d, "conv.yaml", yaml, len);
	struct ir_policy *q = yml_parse(&c2, "conv.yaml", yaml, len);
	if (!q) {
		fprintf(stderr, "converted YAML does not parse:\n%s\n", yaml);
		diag_print(c2.d, stderr, false);
		abort();
	}
	ir_finalize(q, c2.d);
	if (q->nrules != p->nrules || q->fs.present != p->fs.present ||
	    q->proc.present != p->proc.present || q->net.present != p->net.present)
		abort();
	for (size_t i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i].text, q->rules[i].text) != 0) {
			fprintf(stderr, "rule %zu: `%s` became `%s`\n", i + 1, p->rules[i].text,
			        q->rules[i].text);
			abort();
		}
	free(yaml);
	arena_free(a);
	return 0;
}
