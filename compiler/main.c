/* main.c — polc's command dispatcher. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
#define X(n, s) {#n, cmd_##n, s},
	POLC_COMMANDS(X)
#undef X
};

static void usage(FILE *f)
{
	fprintf(f, "usage: polc [-v] COMMAND [ARGS...]\n\n"
	           "polc compiles sandbox policies (YAML, Rego subset, OCI seccomp JSON) into one\n"
	           "verified, signed artifact that runmin enforces.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "%s", commands[i].name);
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		fprintf(f, "  %-10s %s\n", name, commands[i].summary);
	}
	fprintf(f, "\n`polc COMMAND --help` describes a command; see polc(1).\n");
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("polc %s\n", POLC_VERSION);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
			polc_verbose++;
		} else {
			fprintf(stderr, "polc: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	char name[32];
	snprintf(name, sizeof(name), "%s", argv[i]);
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(commands[c].name, name) == 0)
			return commands[c].fn(argc - i, argv + i);
	fprintf(stderr, "polc: unknown command '%s' (see polc --help)\n", argv[i]);
	return EXIT_USAGE;
}
