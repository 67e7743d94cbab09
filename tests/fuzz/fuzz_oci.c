/* fuzz_oci.c — libFuzzer target: arbitrary bytes into the OCI / Docker
 * seccomp profile importer.  A rejected profile must say why; an accepted
 * one must compile (and validate) for every arch, and its diagnostics must
 * render. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "backend.h"

int polc_verbose __attribute__((weak));

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	struct load_ctx c = {.a = a, .d = diag_sink_new(a)};
	diag_source(c.d, "fuzz.json", (const char *)data, size);
	struct ir_policy *p = oci_parse(&c, "fuzz.json", (const char *)data, size);
	if (p) {
		if (diag_errors(c.d) != 0)
			abort();
		ir_finalize(p, c.d);
		int na;
		const struct sysc_arch *arches = sysc_arches(&na);
		for (int i = 0; i < na; i++) {
			struct buf b = {0};
			if (bpf_build(p, &arches[i], c.d, &b) < 0) {
				for (size_t k = 0; k < diag_count(c.d); k++)
					if (diag_get(c.d, k)->code != DIAG_E304)
						abort();
			}
			buf_free(&b);
		}
	} else if (diag_errors(c.d) == 0) {
		abort();
	}
	if (devnull)
		diag_print(c.d, devnull, false);
	arena_free(a);
	return 0;
}
