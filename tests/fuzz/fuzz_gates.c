/* fuzz_gates.c — libFuzzer target for what `polc lint` and `polc diff` do
 * with untrusted input.  The bytes are a YAML policy: every accepted policy
 * is linted and diffed against itself, which must show no difference (a
 * semantic diff of a policy with itself that reports something is a bug in
 * the witness generation or the decisions).  Bytes that are an artifact
 * (the first 8 are the magic) go through the artifact side instead: its
 * metadata texts are parsed back for witnesses and it is diffed with
 * itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"
#include "diff.h"
#include "lint.h"

int polc_verbose __attribute__((weak));

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("POLC_STDLIB", "/nonexistent-polc-fuzz", 1);
	return 0;
}

static void self_diff(struct arena *a, const struct diff_side *s)
{
	struct diff_result r;
	char err[256];
	if (diff_run(a, s, s, &r, err, sizeof(err)) == 0 && r.n != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	if (size >= ART_MAGIC_LEN && memcmp(data, ART_MAGIC, ART_MAGIC_LEN) == 0) {
		struct art art;
		struct meta m;
		char err[256];
		if (art_parse(&art, data, size, err, sizeof(err)) == 0 &&
		    meta_parse(&m, &art, err, sizeof(err)) == 0) {
			struct diff_side s;
			if (diff_side_artifact(&s, a, &art, &m, "fuzz", err, sizeof(err)) == 0)
				self_diff(a, &s);
			meta_free(&m);
		}
		arena_free(a);
		return 0;
	}
	struct load_ctx c = {.a = a, .d = diag_sink_new(a)};
	struct ir_policy *p = yml_parse(&c, "fuzz.yaml", (const char *)data, size);
	if (p && diag_errors(c.d) == 0) {
		struct ir_policy *m = ir_policy_new(a);
		ir_merge(m, p);
		ir_finalize(m, c.d);
		struct lint_result lr = {0};
		lint_policy(a, m, &lr);
		struct diff_side s;
		if (diff_side_policy(&s, a, m, diag_sink_new(a), "fuzz") == 0)
			self_diff(a, &s);
	}
	arena_free(a);
	return 0;
}
