/* fuzz_rego.c — libFuzzer target: arbitrary bytes into the Rego front end.
 * The lexer, the parser with its error recovery, the compiler (names,
 * safety ordering, recursion) and, for modules that compile, the evaluator
 * on a fixed input: none may crash, hang or leak, and a rejected module must
 * say why.  Each input gets a fresh arena and diagnostics sink. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "backend.h"
#include "rego.h"

int polc_verbose __attribute__((weak));

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	return 0;
}

static int ignore(void *ctx, const char *const *names, const struct rv *const *vals, size_t n)
{
	(void)ctx;
	(void)names;
	(void)vals;
	(void)n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	struct diag_sink *d = diag_sink_new(a);
	diag_source(d, "fuzz.rego", (const char *)data, size);
	struct rg_module *m = rego_parse_module(a, d, "fuzz.rego", (const char *)data, size);
	if (!m) {
		if (diag_errors(d) == 0)
			abort();
	} else {
		struct rego *r = rego_new(a, d);
		rego_add_module(r, m);
		if (rego_compile(r, NULL) == 0) {
			/* evaluate the whole package tree for a small input */
			static const char q[] = "x := data";
			struct rg_body *body = rego_parse_query(a, d, "q", q, sizeof(q) - 1);
			static const char in[] = "{\"host\":\"api.example.com\",\"port\":443,"
			                         "\"method\":\"GET\",\"path\":\"/a/b\"}";
			char err[64];
			const struct rv *input = rv_from_json_text(a, in, sizeof(in) - 1, err, sizeof(err));
			struct rego_err e;
			if (body)
				rego_query(r, body, input, ignore, NULL, &e);
		} else if (diag_errors(d) == 0) {
			abort();
		}
	}
	if (devnull)
		diag_print(d, devnull, false);
	arena_free(a);
	return 0;
}
