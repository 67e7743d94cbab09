/* cmd.h — the polc subcommands.  Each returns the process exit status and
 * is the only place (with main) that prints or chooses an exit code. */
#ifndef POLC_CMD_H
#define POLC_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"

/* Exit statuses shared by the commands (CONTRACT.md). */
enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2 };

#define POLC_COMMANDS(X)                                                                       \
	X(build, "compile policies into a verified artifact")                                 \
	X(inspect, "show an artifact's header, metadata and sections")                        \
	X(query, "ask an artifact for one decision (syscall, fs, net)")                       \
	X(test, "run a test file against a policy or artifact")                               \
	X(lint, "find dangerous or broken policies")                                          \
	X(diff, "compare the privileges two policies or artifacts grant")                     \
	X(export, "write an artifact's seccomp program as raw BPF or an OCI profile")         \
	X(convert, "write the polc YAML equivalent of an imported policy")                    \
	X(opa_cases, "run OPA conformance-format YAML cases")                                 \
	X(keygen, "create a minisign-compatible key pair")                                    \
	X(sign, "sign an artifact (ARTIFACT.minisig)")                                        \
	X(verify, "verify an artifact's signature")

#define X(n, s) int cmd_##n(int argc, char **argv);
POLC_COMMANDS(X)
#undef X

/* Global output settings, set by main from the environment and -v. */
extern int polc_verbose;
bool polc_color(FILE *f); /* colour only on a tty and never with NO_COLOR */

/* Print a one-line error `polc CMD: message` to stderr. */
void polc_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print the diagnostics in d to stderr (text, colour per polc_color). */
void polc_print_diags(const struct diag_sink *d);

/* Writes n bytes to path atomically: temp file in the same directory,
 * fsync, rename.  On failure nothing is left behind.  Returns 0 or -1 with
 * errno set. */
int polc_write_atomic(const char *path, const void *p, size_t n, unsigned mode);

#endif
