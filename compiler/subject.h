/* subject.h — what `polc test` and `polc diff` work on: a policy (loaded and
 * finalised, optionally compiled in memory) or an artifact file (recognised
 * by its magic, not its name). */
#ifndef POLC_SUBJECT_H
#define POLC_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "art.h"
#include "backend.h"

struct subject {
	const char *path;
	bool is_artifact;    /* the file is an artifact */
	struct ir_policy *p; /* a policy: its IR (arena of the load context) */
	bool have_art;       /* art and meta are valid */
	uint8_t *bytes;      /* artifact bytes, malloc'd (read or compiled) */
	size_t len;
	struct art art;
	struct meta meta;
};

/* True when the file at path starts with the artifact magic. */
bool subject_is_artifact(const char *path);

/* Opens path.  A policy is loaded through lc (diagnostics into lc->d) and,
 * with compile, compiled in memory so that the simulators can answer.
 * Returns 0, or -1: diagnostics were added to lc->d (policy errors) or a
 * one-line reason is in err (I/O, malformed artifact).  Release with
 * subject_free(). */
int subject_open(struct subject *s, struct load_ctx *lc, const char *path, bool compile,
                 char *err, size_t errlen);
void subject_free(struct subject *s);

#endif
