/* rego_lex.re — the Rego lexer (re2c), and the layer between it and the
 * grammar that makes Rego's layout rules LALR(1)-friendly:
 *
 *  - A newline is significant where a literal or statement could end: after
 *    a name, number, string, `true`/`false`/`null`, `)`, `]` or `}`, and
 *    unless the next token continues the expression (an operator, `,`, `:`,
 *    a closing bracket, `else`, `if`, `with`, `in`).  It becomes TNL at
 *    nesting depth 0 (ends a statement) and NL inside brackets (separates
 *    body literals).  Runs of newlines count once.
 *  - `[` and `(` written right after a term (no space) index or call it;
 *    elsewhere they start an array or a parenthesised expression.
 *  - `{` right after `if` or `else` opens a rule body, not a set/object.
 *  - After `.` a keyword is a plain name (`input.in`, `future.keywords.if`),
 *    and `contains(` is the builtin, not the rule-head keyword.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "rego_parse.h"
#include "rego.tab.h"

struct src_pos rg_pos(const struct rg_parser *P, uint32_t line, uint32_t col)
{
	return src_pos(P->file, line, col);
}

void rg_error(struct rg_parser *P, struct src_pos pos, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	P->nerr++;
	P->recovering = true;
	diag_error(P->d, pos, E100, "%s", msg);
}

void rg_lex_init(struct rg_parser *P, const char *text, size_t len, int start_token)
{
	struct rg_lexer *L = &P->lx;
	memset(L, 0, sizeof(*L));
	/* A NUL-terminated private copy: the scanner stops on the sentinel. */
	char *copy = arena_alloc(P->a, len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	L->src = copy;
	L->len = len;
	L->cur = copy;
	L->line = 1;
	L->line_start = copy;
	L->start_token = start_token;
}

static const struct {
	const char *word;
	int tok;
} keywords[] = {
	{"package", RGT_PACKAGE}, {"import", RGT_IMPORT}, {"as", RGT_AS},
	{"default", RGT_DEFAULT}, {"if", RGT_IF},         {"else", RGT_ELSE},
	{"contains", RGT_CONTAINS}, {"some", RGT_SOME},   {"every", RGT_EVERY},
	{"in", RGT_IN},           {"not", RGT_NOT},       {"with", RGT_WITH},
	{"true", RGT_TRUE},       {"false", RGT_FALSE},   {"null", RGT_NULL},
};

static bool is_keyword(int tok)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].tok == tok)
			return true;
	return false;
}

static uint32_t col_of(const struct rg_lexer *L, const char *p)
{
	return (uint32_t)(p - L->line_start) + 1;
}

static void put_utf8(char *out, size_t *n, uint32_t c)
{
	if (c < 0x80) {
		out[(*n)++] = (char)c;
	} else if (c < 0x800) {
		out[(*n)++] = (char)(0xc0 | (c >> 6));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		out[(*n)++] = (char)(0xe0 | (c >> 12));
		out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | (c >> 18));
		out[(*n)++] = (char)(0x80 | ((c >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	}
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A "..." string with JSON escapes, starting after the quote.  Returns the
 * token (STRING, or YYerror after reporting). */
static int scan_string(struct rg_parser *P, struct rg_raw *r)
{
	struct rg_lexer *L = &P->lx;
	const char *p = L->cur;
	const char *end = L->src + L->len;
	char *out = arena_alloc(P->a, (size_t)(end - p) + 1);
	size_t n = 0;
	for (;;) {
		if (p >= end || *p == '\n') {
			rg_error(P, rg_pos(P, r->line, r->col), "string is not terminated before the end of the line");
			L->cur = p;
			return RGT_RG_YYerror;
		}
		char c = *p++;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20 && c != '\t') {
			rg_error(P, rg_pos(P, L->line, col_of(L, p - 1)),
			         "control character 0x%02x in a string (write it as an escape)",
			         (unsigned char)c);
			while (p < end && *p != '"' && *p != '\n')
				p++;
			if (p < end && *p == '"')
				p++;
			L->cur = p;
			return RGT_RG_YYerror;
		}
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		char e = p < end ? *p++ : '\0';
		switch (e) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			uint32_t u, lo;
			if (end - p < 4 || hex4(p, &u) < 0)
				goto bad;
			p += 4;
			if (u >= 0xd800 && u < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
			    hex4(p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (u >= 0xd800 && u < 0xe000) {
				u = 0xfffd;
			}
			put_utf8(out, &n, u);
			break;
		}
		default:
		bad:
			rg_error(P, rg_pos(P, L->line, col_of(L, p - 1)),
			         "invalid escape in string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
			/* keep scanning to the closing quote so one mistake is one error */
			while (p < end && *p != '"' && *p != '\n')
				p++;
			if (p < end && *p == '"')
				p++;
			L->cur = p;
			return RGT_RG_YYerror;
		}
	}
	out[n] = '\0';
	L->cur = p;
	r->s = out;
	r->n = n;
	return RGT_STRING;
}

/* A `raw string`: no escapes, may span lines. */
static int scan_raw_string(struct rg_parser *P, struct rg_raw *r)
{
	struct rg_lexer *L = &P->lx;
	const char *p = L->cur, *end = L->src + L->len;
	const char *start = p;
	while (p < end && *p != '`') {
		if (*p == '\n') {
			L->line++;
			L->line_start = p + 1;
		}
		p++;
	}
	if (p >= end) {
		rg_error(P, rg_pos(P, r->line, r->col), "raw string is not terminated");
		L->cur = p;
		return RGT_RG_YYerror;
	}
	r->s = arena_strndup(P->a, start, (size_t)(p - start));
	r->n = (size_t)(p - start);
	L->cur = p + 1;
	return RGT_STRING;
}

/* The raw scanner: one token, skipping blanks and comments. */
static void scan(struct rg_parser *P, struct rg_raw *r)
{
	struct rg_lexer *L = &P->lx;
	const char *tok;
	bool nl = false;
	memset(r, 0, sizeof(*r));
again:
	tok = L->cur;
	r->line = L->line;
	r->col = col_of(L, tok);
	r->start = (size_t)(tok - L->src);
#define RET(k)                                                                                 \
	do {                                                                                   \
		r->kind = (k);                                                                 \
		goto done;                                                                     \
	} while (0)
	/*!re2c
	re2c:define:YYCTYPE = "unsigned char";
	re2c:define:YYCURSOR = "L->cur";
	re2c:define:YYMARKER = "L->marker";
	re2c:yyfill:enable = 0;

	ident = [a-zA-Z_][a-zA-Z0-9_]*;
	digits = [0-9]+;
	number = digits ("." digits)? ([eE] [+-]? digits)?;

	"\x00" {
		if (tok == L->src + L->len) {
			L->cur = tok; /* stay on the sentinel */
			RET(RGT_YYEOF);
		}
		rg_error(P, rg_pos(P, r->line, r->col), "NUL byte in source");
		goto again;
	}
	[ \t\r\f\v]+ { goto again; }
	"\n" { L->line++; L->line_start = L->cur; nl = true; goto again; }
	"#" [^\n\x00]* { goto again; }

	ident {
		r->s = tok;
		r->n = (size_t)(L->cur - tok);
		for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (strlen(keywords[i].word) == r->n && memcmp(keywords[i].word, tok, r->n) == 0)
				RET(keywords[i].tok);
		RET(RGT_IDENT);
	}
	number { r->s = tok; r->n = (size_t)(L->cur - tok); RET(RGT_NUMBER); }
	"\"" { RET(scan_string(P, r)); }
	"`" { RET(scan_raw_string(P, r)); }
	"$\"" | "$`" {
		rg_error(P, rg_pos(P, r->line, r->col), "template strings (`$\"...\"`) are outside the supported subset");
		L->cur = tok + 1;
		RET(RGT_RG_YYerror);
	}

	":=" { RET(RGT_ASSIGN); }
	"==" { RET(RGT_EQ); }
	"!=" { RET(RGT_NEQ); }
	"<=" { RET(RGT_LE); }
	">=" { RET(RGT_GE); }
	"=" { RET(RGT_UNIFY); }
	"<" { RET(RGT_LT); }
	">" { RET(RGT_GT); }
	"+" { RET(RGT_PLUS); }
	"-" { RET(RGT_MINUS); }
	"*" { RET(RGT_STAR); }
	"/" { RET(RGT_SLASH); }
	"%" { RET(RGT_PERCENT); }
	"&" { RET(RGT_AMP); }
	"|" { RET(RGT_BAR); }
	"{" { RET(RGT_LBRACE); }
	"}" { RET(RGT_RBRACE); }
	"[" { RET(RGT_LBRACK); }
	"]" { RET(RGT_RBRACK); }
	"(" { RET(RGT_LPAREN); }
	")" { RET(RGT_RPAREN); }
	"." { RET(RGT_DOT); }
	"," { RET(RGT_COMMA); }
	";" { RET(RGT_SEMI); }
	":" { RET(RGT_COLON); }

	* {
		unsigned char c = (unsigned char)*tok;
		if (c >= 0x21 && c < 0x7f)
			rg_error(P, rg_pos(P, r->line, r->col), "unexpected character `%c`", c);
		else
			rg_error(P, rg_pos(P, r->line, r->col), "unexpected byte 0x%02x", c);
		RET(RGT_RG_YYerror);
	}
	*/
done:
#undef RET
	r->nl_before = nl;
	r->first_on_line = nl;
	r->end = (size_t)(L->cur - L->src);
	r->end_line = L->line;
	r->end_col = col_of(L, L->cur);
}

/* Tokens after which a newline ends a literal or a statement. */
static bool ends_line(int t)
{
	switch (t) {
	case RGT_IDENT: case RGT_NUMBER: case RGT_STRING: case RGT_TRUE: case RGT_FALSE:
	case RGT_NULL: case RGT_RPAREN: case RGT_RBRACK: case RGT_RBRACE:
		return true;
	default:
		return false;
	}
}

/* Tokens that continue the expression or statement on the previous line. */
static bool continues(int t)
{
	switch (t) {
	case RGT_RBRACE: case RGT_RBRACK: case RGT_RPAREN: case RGT_COMMA: case RGT_COLON:
	case RGT_ELSE: case RGT_IF: case RGT_WITH: case RGT_IN: case RGT_AS:
	case RGT_ASSIGN: case RGT_UNIFY: case RGT_EQ: case RGT_NEQ: case RGT_LT: case RGT_LE:
	case RGT_GT: case RGT_GE: case RGT_PLUS: case RGT_MINUS: case RGT_STAR: case RGT_SLASH:
	case RGT_PERCENT: case RGT_AMP: case RGT_BAR:
		return true;
	default:
		return false;
	}
}

static void set_loc(RG_YYLTYPE *lloc, uint32_t l1, uint32_t c1, uint32_t l2, uint32_t c2)
{
	lloc->first_line = (int)l1;
	lloc->first_column = (int)c1;
	lloc->last_line = (int)l2;
	lloc->last_column = (int)c2;
}

static int next_synth(struct rg_lexer *L, RG_YYLTYPE *lloc)
{
	int t = L->synth[L->isynth++];
	if (L->isynth == L->nsynth)
		L->nsynth = L->isynth = 0;
	set_loc(lloc, L->prev_line, L->prev_col, L->prev_line, L->prev_col);
	L->prev = t;
	return t;
}

int rg_yylex(RG_YYSTYPE *lval, RG_YYLTYPE *lloc, struct rg_parser *P)
{
	struct rg_lexer *L = &P->lx;
	struct rg_raw r;
	if (L->isynth < L->nsynth)
		return next_synth(L, lloc);
	if (L->start_token) {
		int t = L->start_token;
		L->start_token = 0;
		set_loc(lloc, 1, 1, 1, 1);
		return t;
	}
	if (L->have_pend) {
		r = L->pend;
		L->have_pend = false;
	} else if (L->fatal) {
		memset(&r, 0, sizeof(r));
		r.kind = RGT_YYEOF;
		r.line = L->line;
		r.col = col_of(L, L->cur);
	} else {
		scan(P, &r);
	}

	if (L->prev == RGT_DOT && is_keyword(r.kind))
		r.kind = RGT_IDENT;
	if (r.kind == RGT_CONTAINS && L->src[r.end] == '(')
		r.kind = RGT_IDENT;

	/* Recovering from an error inside unclosed brackets: a line that starts
	 * at column 1 with a name or a statement keyword starts a statement.
	 * Close what is open (so a broken body ends here) and end the line. */
	if (P->recovering && r.first_on_line && r.col == 1 && L->depth > 0 &&
	    (r.kind == RGT_IDENT || r.kind == RGT_PACKAGE || r.kind == RGT_IMPORT ||
	     r.kind == RGT_DEFAULT)) {
		r.first_on_line = false;
		r.nl_before = false;
		L->nsynth = L->isynth = 0;
		while (L->depth > 0) {
			int d = --L->depth;
			L->synth[L->nsynth++] = d < RG_MAX_NEST ? L->open[d] : RGT_RBRACE;
		}
		L->synth[L->nsynth++] = RGT_TNL;
		L->pend = r;
		L->have_pend = true;
	}
	if (L->isynth < L->nsynth)
		return next_synth(L, lloc);

	/* A significant newline (or the end of the input) comes first. */
	bool at_end = r.kind == RGT_YYEOF;
	if ((r.nl_before || at_end) && ends_line(L->prev) && !continues(r.kind)) {
		int sep = L->depth == 0 ? RGT_TNL : RGT_NL;
		if (!(at_end && sep == RGT_NL)) {
			r.nl_before = false;
			L->pend = r;
			L->have_pend = true;
			set_loc(lloc, L->prev_line, L->prev_col, L->prev_line, L->prev_col);
			L->prev = sep;
			return sep;
		}
	}
	if (at_end) {
		set_loc(lloc, r.line, r.col, r.line, r.col);
		return RGT_YYEOF;
	}

	switch (r.kind) {
	case RGT_LBRACK:
		if (r.start == L->prev_end &&
		    (L->prev == RGT_IDENT || L->prev == RGT_RBRACK || L->prev == RGT_RBRACE ||
		     L->prev == RGT_RPAREN))
			r.kind = RGT_IDX_LBRACK;
		break;
	case RGT_LPAREN:
		if (r.start == L->prev_end && L->prev == RGT_IDENT)
			r.kind = RGT_CALL_LPAREN;
		break;
	case RGT_LBRACE:
		if (L->prev == RGT_IF || L->prev == RGT_ELSE)
			r.kind = RGT_BODY_LBRACE;
		break;
	default:
		break;
	}
	switch (r.kind) {
	case RGT_LBRACK: case RGT_IDX_LBRACK: case RGT_LPAREN: case RGT_CALL_LPAREN:
	case RGT_LBRACE: case RGT_BODY_LBRACE:
		if (L->depth < RG_MAX_NEST)
			L->open[L->depth] = r.kind == RGT_LBRACK || r.kind == RGT_IDX_LBRACK ? RGT_RBRACK
			                    : r.kind == RGT_LBRACE || r.kind == RGT_BODY_LBRACE
			                        ? RGT_RBRACE
			                        : RGT_RPAREN;
		if (++L->depth > RG_MAX_NEST && !L->fatal) {
			rg_error(P, rg_pos(P, r.line, r.col),
			         "brackets nested deeper than %d levels", RG_MAX_NEST);
			L->fatal = true;
		}
		break;
	case RGT_RBRACK: case RGT_RPAREN: case RGT_RBRACE:
		if (L->depth > 0)
			L->depth--;
		break;
	default:
		break;
	}
	L->prev = r.kind;
	L->prev_end = r.end;
	L->prev_line = r.end_line;
	L->prev_col = r.end_col;
	lval->tok.s = r.s;
	lval->tok.n = r.n;
	set_loc(lloc, r.line, r.col, r.end_line, r.end_col);
	return r.kind;
}
