/* diag.h — diagnostics sink.
 *
 * Libraries never print: they add diagnostics here, each with a source
 * position and a stable code (diag_codes.def).  Only a command's main()
 * decides whether and how to print them (diag_print, or JSON). */
#ifndef POLC_DIAG_H
#define POLC_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct arena;

/* A position in a source file.  line and col are 1-based; 0 means unknown. */
struct src_pos {
	const char *file;
	uint32_t line, col;
};

/* Position helpers, usable inside macro arguments (no braces). */
static inline struct src_pos src_pos(const char *file, uint32_t line, uint32_t col)
{
	struct src_pos p = {file, line, col};
	return p;
}
static inline struct src_pos src_file(const char *file) { return src_pos(file, 0, 0); }

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

enum diag_code {
#define X(c, s) DIAG_##c,
#include "diag_codes.def"
#undef X
	DIAG__COUNT
};

struct diag {
	enum diag_level level;
	enum diag_code code;
	struct src_pos pos;
	const char *msg;
};

struct diag_sink;

/* The sink's memory (messages, copies of sources) is owned by arena a. */
struct diag_sink *diag_sink_new(struct arena *a);

/* Keep a copy of a source file's text so diagnostics can quote its lines. */
void diag_source(struct diag_sink *s, const char *file, const char *text, size_t len);

void diag_add(struct diag_sink *s, enum diag_level lvl, struct src_pos pos, enum diag_code code,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define diag_error(s, pos, code, ...) diag_add((s), DIAG_ERROR, (pos), DIAG_##code, __VA_ARGS__)
#define diag_warn(s, pos, code, ...) diag_add((s), DIAG_WARNING, (pos), DIAG_##code, __VA_ARGS__)
#define diag_note(s, pos, code, ...) diag_add((s), DIAG_NOTE, (pos), DIAG_##code, __VA_ARGS__)

size_t diag_count(const struct diag_sink *s);
size_t diag_errors(const struct diag_sink *s);
const struct diag *diag_get(const struct diag_sink *s, size_t i);

const char *diag_code_name(enum diag_code c);     /* "E101" */
const char *diag_code_summary(enum diag_code c);
const char *diag_level_name(enum diag_level l);   /* "error" */

/* Source line `line` of `file` if it was registered; *len gets its length.
 * Returns NULL when unknown.  The pointer is owned by the sink. */
const char *diag_source_line(const struct diag_sink *s, const char *file, uint32_t line,
                             size_t *len);

/* Prints every diagnostic as `file:line:col: error[CODE]: message`, then the
 * source line and a caret under the column.  Colour only when color is set. */
void diag_print(const struct diag_sink *s, FILE *out, bool color);

#endif
