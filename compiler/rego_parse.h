/* rego_parse.h — state shared by the Rego grammar (rego.y) and its lexer
 * (rego_lex.re).  Not used outside those two. */
#ifndef POLC_REGO_PARSE_H
#define POLC_REGO_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rego_ast.h"

/* Brackets nested deeper than this are refused: every later phase recurses
 * over the tree, and hostile input must not exhaust the stack. */
#define RG_MAX_NEST 200

/* One token as the raw scanner saw it. */
struct rg_raw {
	int kind;
	const char *s; /* IDENT/STRING/NUMBER text (decoded for STRING) */
	size_t n;
	uint32_t line, col, end_line, end_col;
	size_t start, end; /* byte offsets */
	bool nl_before;    /* a newline separates it from the previous token */
	bool first_on_line; /* nl_before as scanned (kept when a separator goes first) */
};

struct rg_lexer {
	const char *src; /* NUL-terminated copy of the input */
	size_t len;
	const char *cur, *marker;
	uint32_t line;
	const char *line_start;
	/* the wrapper that inserts separators and classifies brackets */
	int start_token;
	int prev;       /* kind of the last token handed to the parser, 0 at start */
	size_t prev_end;
	uint32_t prev_line, prev_col;
	int depth;
	int open[RG_MAX_NEST + 2]; /* closer token of each open bracket */
	/* tokens to hand out before the pending one (error recovery) */
	int synth[RG_MAX_NEST + 3];
	int nsynth, isynth;
	bool have_pend;
	struct rg_raw pend;
	bool eof_sep_done;
	bool fatal; /* nesting too deep: stop at EOF */
};

struct rg_parser {
	struct arena *a;
	struct diag_sink *d;
	const char *file;
	struct rg_lexer lx;
	unsigned nerr;
	unsigned wild;  /* counter for `_` */
	struct rg_module *mod;
	struct rg_body *query;
	bool seen_rule; /* for "package must come first" */
	/* after a syntax error, until a statement ends: a line starting at
	 * column 1 with a name or keyword is taken as a new statement even
	 * inside unclosed brackets, so one error does not swallow the file */
	bool recovering;
};

struct src_pos rg_pos(const struct rg_parser *P, uint32_t line, uint32_t col);
void rg_lex_init(struct rg_parser *P, const char *text, size_t len, int start_token);
void rg_error(struct rg_parser *P, struct src_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
