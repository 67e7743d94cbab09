/* openshell.h — import of NVIDIA OpenShell sandbox policies (version 1).
 *
 * An OpenShell policy is YAML with `version: 1` and the sections
 * filesystem_policy, landlock, process, network_policies and
 * network_middlewares.  yml.c hands such a document here (it has already
 * refused anchors, aliases, several documents and deep nesting).  What maps
 * onto polc is lowered into the IR; every field polc cannot enforce is an
 * E505 error naming the field at its position, or with
 * load_ctx.openshell_lenient a warning (the field is dropped).  The mapping
 * is documented in man/polc-policy.5, "OPENSHELL POLICIES". */
#ifndef POLC_OPENSHELL_H
#define POLC_OPENSHELL_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

/* OpenShell's working directory: `include_workdir: true` grants it. */
#define OPENSHELL_WORKDIR "/sandbox"

/* Is a document whose top-level mapping has these keys an OpenShell policy
 * rather than a polc one?  keys[0..n) are the top-level keys as written. */
bool openshell_detect(const char *const *keys, size_t n);

/* Lowers an OpenShell policy into a new IR policy (arena memory).  Returns
 * NULL after adding diagnostics to c->d when the file has errors. */
struct ir_policy *openshell_parse(struct load_ctx *c, const char *path, const char *text,
                                  size_t len);

#endif
