/* diag.c — diagnostics sink; see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <string.h>

#include "arena.h"

struct source {
	const char *file;
	const char *text;
	size_t len;
};

struct diag_sink {
	struct arena *a;
	struct diag *v;
	size_t n, cap, errors;
	struct source *src;
	size_t nsrc, capsrc;
};

static const char *const code_names[] = {
#define X(c, s) #c,
#include "diag_codes.def"
#undef X
};
static const char *const code_summaries[] = {
#define X(c, s) s,
#include "diag_codes.def"
#undef X
};

struct diag_sink *diag_sink_new(struct arena *a)
{
	struct diag_sink *s = arena_alloc(a, sizeof(*s));
	s->a = a;
	return s;
}

void diag_source(struct diag_sink *s, const char *file, const char *text, size_t len)
{
	struct source *src = ARENA_PUSH(s->a, s->src, s->nsrc, s->capsrc);
	src->file = arena_strdup(s->a, file);
	src->text = arena_strndup(s->a, text, len);
	src->len = len;
}

void diag_add(struct diag_sink *s, enum diag_level lvl, struct src_pos pos, enum diag_code code,
              const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = arena_alloc(s->a, n > 0 ? (size_t)n + 1 : 1);
	va_start(ap, fmt);
	vsnprintf(msg, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
	va_end(ap);

	struct diag *d = ARENA_PUSH(s->a, s->v, s->n, s->cap);
	d->level = lvl;
	d->code = code;
	d->pos = pos;
	d->msg = msg;
	if (lvl == DIAG_ERROR)
		s->errors++;
}

size_t diag_count(const struct diag_sink *s) { return s->n; }
size_t diag_errors(const struct diag_sink *s) { return s->errors; }
const struct diag *diag_get(const struct diag_sink *s, size_t i) { return i < s->n ? &s->v[i] : NULL; }

const char *diag_code_name(enum diag_code c) { return c < DIAG__COUNT ? code_names[c] : "E???"; }
const char *diag_code_summary(enum diag_code c) { return c < DIAG__COUNT ? code_summaries[c] : ""; }

const char *diag_level_name(enum diag_level l)
{
	switch (l) {
	case DIAG_ERROR: return "error";
	case DIAG_WARNING: return "warning";
	case DIAG_NOTE: return "note";
	}
	return "error";
}

const char *diag_source_line(const struct diag_sink *s, const char *file, uint32_t line,
                             size_t *len)
{
	if (!file || line == 0)
		return NULL;
	for (size_t i = s->nsrc; i-- > 0;) {
		const struct source *src = &s->src[i];
		if (strcmp(src->file, file) != 0)
			continue;
		const char *p = src->text, *end = src->text + src->len;
		for (uint32_t l = 1; l < line; l++) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				return NULL;
			p = nl + 1;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		*len = (size_t)((nl ? nl : end) - p);
		if (*len && p[*len - 1] == '\r')
			(*len)--;
		return p;
	}
	return NULL;
}

void diag_print(const struct diag_sink *s, FILE *out, bool color)
{
	static const char *const lvl_color[] = {"\033[1;31m", "\033[1;35m", "\033[1;36m"};
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	for (size_t i = 0; i < s->n; i++) {
		const struct diag *d = &s->v[i];
		const char *lc = color ? lvl_color[d->level] : "";
		if (d->pos.file && d->pos.line)
			fprintf(out, "%s%s:%u:%u:%s ", bold, d->pos.file, d->pos.line,
			        d->pos.col ? d->pos.col : 1, reset);
		else if (d->pos.file)
			fprintf(out, "%s%s:%s ", bold, d->pos.file, reset);
		fprintf(out, "%s%s[%s]%s: %s\n", lc, diag_level_name(d->level),
		        diag_code_name(d->code), reset, d->msg);
		size_t len;
		const char *line = diag_source_line(s, d->pos.file, d->pos.line, &len);
		if (!line)
			continue;
		/* A hostile file must not drive the terminal: show control bytes
		 * (other than tab, kept for the caret's alignment) as '?'. */
		fprintf(out, "%5u | ", d->pos.line);
		for (size_t k = 0; k < len; k++) {
			unsigned char ch = (unsigned char)line[k];
			fputc((ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' : ch, out);
		}
		fputs("\n      | ", out);
		/* Keep tabs so the caret lines up under the column. */
		for (uint32_t c = 1; c < d->pos.col && c - 1 < len; c++)
			fputc(line[c - 1] == '\t' ? '\t' : ' ', out);
		fprintf(out, "%s^%s\n", lc, reset);
	}
}
