/* conv.h — writes a finalised IR policy back out as polc YAML (schema v1):
 * what `polc convert` prints for an OpenShell policy, an OCI seccomp
 * profile, a Rego policy or several merged inputs.
 *
 * The output builds to the same Landlock, seccomp, process and network
 * decisions as the IR it came from, with rules in the same order (so the
 * same rule ids); only source positions differ.  Rules are grouped under
 * read/exec/write, allow/deny when that keeps their order, else written
 * one by one under `rules:`. */
#ifndef POLC_CONV_H
#define POLC_CONV_H

#include <stdio.h>

#include "diag.h"
#include "ir.h"

/* Writes p as YAML to out.  When d is given, its E505 warnings (fields an
 * import dropped) are listed in the header comment. */
void conv_yaml(const struct ir_policy *p, const struct diag_sink *d, FILE *out);

#endif
