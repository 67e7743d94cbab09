/* fuzz_yaml.c — libFuzzer target: arbitrary bytes into the YAML front end.
 * Each input gets a fresh arena and diagnostics sink, freed afterwards, so
 * leaks and use-after-free across inputs show up under ASan.  The
 * diagnostics are also rendered (to /dev/null) because printing a source
 * line with a caret is part of handling untrusted input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "backend.h"

/* The fuzz build links every compiler object, and the cmd_*.c files use
 * main.c's verbosity flag.  Weak, so a strong definition in the library
 * (should it move there) wins without a clash. */
int polc_verbose __attribute__((weak));

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* `extends: [name]` must not wander into an installed stdlib. */
	setenv("POLC_STDLIB", "/nonexistent-polc-fuzz", 1);
	devnull = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	struct load_ctx c = {.a = a, .d = diag_sink_new(a)};
	diag_source(c.d, "fuzz.yaml", (const char *)data, size);
	struct ir_policy *p = yml_parse(&c, "fuzz.yaml", (const char *)data, size);
	/* A policy accepted without errors must survive the rest of the
	 * pipeline's IR handling; a rejected one must say why. */
	if (p) {
		if (diag_errors(c.d) != 0)
			abort();
		ir_finalize(p, c.d);
		if (devnull)
			ir_dump(p, devnull);
	} else if (diag_errors(c.d) == 0) {
		abort();
	}
	if (devnull)
		diag_print(c.d, devnull, false);
	arena_free(a);
	return 0;
}
