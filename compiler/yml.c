/* yml.c — YAML front end: polc schema v1 (man/polc-policy.5) into the IR.
 *
 * Two passes.  First libyaml's event parser builds a small node tree in the
 * arena, each node with its 1-based position; aliases, anchors, several
 * documents and excessive nesting are refused there (E100), because a
 * policy never needs them and they are how YAML bombs work.  Then a walker
 * checks the tree against the schema and fills a struct ir_policy.  The
 * walker never stops at the first mistake: it reports each one and carries
 * on, so a user fixes a whole file in one round. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "arena.h"
#include "backend.h"
#include "consts.h"
#include "openshell.h"

/* The schema nests five levels; anything much deeper is hostile. */
#define YML_MAX_DEPTH 64
/* Unknown syscalls get a "did you mean" from libseccomp's names; each
 * costs a pass over every name, so only the first few are helped. */
#define YML_MAX_SUGGEST 8
#define YML_MAX_PATH 4095

/* ---- node tree ------------------------------------------------------------ */

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

#define NONE SIZE_MAX

struct ynode;

struct ypair {
	struct ynode *k, *v;
	size_t first; /* index of an earlier pair with the same key, or NONE */
	bool bad;  /* key is not a string (already reported) */
};

struct ynode {
	enum ykind kind;
	struct src_pos pos;
	const char *s; /* scalar: text, NUL-terminated copy */
	size_t len;
	bool null; /* plain `~`, `null` or nothing */
	struct ynode **items; /* sequence */
	size_t nitems, capitems;
	struct ypair *pairs; /* mapping, in document order */
	size_t npairs, cappairs;
	struct ynode *key; /* mapping under construction: key awaiting its value */
};

struct ybuild {
	struct arena *a;
	struct diag_sink *d;
	const char *file;
	struct ynode *stack[YML_MAX_DEPTH];
	int depth;
	struct ynode *root;
	int ndocs;
};

static struct src_pos mark_pos(const char *file, yaml_mark_t m)
{
	uint32_t line = m.line >= UINT32_MAX ? UINT32_MAX : (uint32_t)m.line + 1;
	uint32_t col = m.column >= UINT32_MAX ? UINT32_MAX : (uint32_t)m.column + 1;
	return src_pos(file, line, col);
}

static struct ynode *node_new(struct ybuild *b, enum ykind k, yaml_mark_t m)
{
	struct ynode *n = arena_alloc(b->a, sizeof(*n));
	n->kind = k;
	n->pos = mark_pos(b->file, m);
	return n;
}

static int cmp_pair_key(const void *x, const void *y, void *ctx)
{
	const struct ypair *pairs = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	const struct ynode *a = pairs[i].k, *b = pairs[j].k;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->s, b->s, n);
	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (i > j) - (i < j);
}

/* Marks every pair whose key repeats an earlier one; sorting keeps huge
 * hostile mappings from costing quadratic time. */
static void find_duplicates(struct ybuild *b, struct ynode *m)
{
	if (m->npairs < 2)
		return;
	size_t *ix = arena_array(b->a, m->npairs, sizeof(size_t));
	size_t n = 0;
	for (size_t i = 0; i < m->npairs; i++)
		if (!m->pairs[i].bad)
			ix[n++] = i;
	qsort_r(ix, n, sizeof(size_t), cmp_pair_key, m->pairs);
	for (size_t i = 1; i < n; i++) {
		const struct ynode *p = m->pairs[ix[i - 1]].k, *q = m->pairs[ix[i]].k;
		if (p->len == q->len && memcmp(p->s, q->s, p->len) == 0) {
			size_t first = m->pairs[ix[i - 1]].first;
			m->pairs[ix[i]].first = first != NONE ? first : ix[i - 1];
		}
	}
}

/* Hangs a finished node under the open container, or makes it the root. */
static void attach(struct ybuild *b, struct ynode *n)
{
	if (b->depth == 0) {
		b->root = n;
		return;
	}
	struct ynode *p = b->stack[b->depth - 1];
	if (p->kind == Y_SEQ) {
		*ARENA_PUSH(b->a, p->items, p->nitems, p->capitems) = n;
		return;
	}
	if (!p->key) {
		p->key = n;
		return;
	}
	struct ypair *pr = ARENA_PUSH(b->a, p->pairs, p->npairs, p->cappairs);
	pr->k = p->key;
	pr->v = n;
	pr->first = NONE;
	p->key = NULL;
	if (pr->k->kind != Y_SCALAR) {
		diag_error(b->d, pr->k->pos, E102, "mapping keys must be strings, got %s",
		           pr->k->kind == Y_SEQ ? "a list" : "a mapping");
		pr->bad = true;
	} else if (pr->k->null) {
		diag_error(b->d, pr->k->pos, E102, "empty mapping key");
		pr->bad = true;
	}
}

static bool is_null_scalar(const yaml_event_t *e)
{
	if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	return n == 0 || (n == 1 && v[0] == '~') ||
	       (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

static void syntax_error(struct ybuild *b, const yaml_parser_t *ps, const char *text, size_t len)
{
	const char *problem = ps->problem ? ps->problem : "malformed YAML";
	struct src_pos pos = mark_pos(b->file, ps->problem_mark);
	if (ps->error == YAML_READER_ERROR) {
		/* The reader (encoding, control characters) reports a byte
		 * offset, not a mark: count lines up to it. */
		size_t off = ps->problem_offset < len ? ps->problem_offset : len;
		uint32_t line = 1;
		size_t bol = 0;
		for (size_t i = 0; i < off; i++)
			if (text[i] == '\n' && line < UINT32_MAX) {
				line++;
				bol = i + 1;
			}
		size_t col = off - bol + 1;
		struct src_pos at =
		        src_pos(b->file, line, col > UINT32_MAX ? UINT32_MAX : (uint32_t)col);
		if (ps->problem_value >= 0 && ps->problem_value <= 0xff)
			diag_error(b->d, at, E100, "YAML: %s (byte 0x%02x)", problem,
			           (unsigned)ps->problem_value);
		else
			diag_error(b->d, at, E100, "YAML: %s", problem);
		return;
	}
	if (ps->context)
		diag_error(b->d, pos, E100, "YAML: %s %s started at %zu:%zu", problem,
		           ps->context, ps->context_mark.line + 1, ps->context_mark.column + 1);
	else
		diag_error(b->d, pos, E100, "YAML: %s", problem);
}

/* Builds the node tree; NULL after adding an E100 (or E102) diagnostic. */
static struct ynode *build_tree(struct ybuild *b, const char *text, size_t len)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	if (!yaml_parser_initialize(&ps)) {
		diag_error(b->d, src_file(b->file), E901, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	bool ok = true, done = false;
	while (ok && !done) {
		if (!yaml_parser_parse(&ps, &ev)) {
			syntax_error(b, &ps, text, len);
			ok = false;
			break;
		}
		struct src_pos pos = mark_pos(b->file, ev.start_mark);
		struct ynode *n = NULL;
		const unsigned char *anchor = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = true; break;
		case YAML_DOCUMENT_START_EVENT:
			if (++b->ndocs > 1) {
				diag_error(b->d, pos, E100,
				           "only one YAML document is allowed in a policy file");
				ok = false;
			}
			break;
		case YAML_ALIAS_EVENT:
			diag_error(b->d, pos, E100, "YAML aliases (*%s) are not allowed in a policy",
			           (const char *)ev.data.alias.anchor);
			ok = false;
			break;
		case YAML_SCALAR_EVENT:
			anchor = ev.data.scalar.anchor;
			n = node_new(b, Y_SCALAR, ev.start_mark);
			n->len = ev.data.scalar.length;
			n->s = arena_strndup(b->a, (const char *)ev.data.scalar.value, n->len);
			n->null = is_null_scalar(&ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			anchor = ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
			                                              : ev.data.mapping_start.anchor;
			if (b->depth >= YML_MAX_DEPTH) {
				diag_error(b->d, pos, E100, "YAML nested deeper than %d levels",
				           YML_MAX_DEPTH);
				ok = false;
				break;
			}
			b->stack[b->depth++] =
			        node_new(b, ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP,
			                 ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (b->depth <= 0) { /* libyaml never does this; be safe */
				diag_error(b->d, pos, E100, "YAML: unbalanced collection end");
				ok = false;
				break;
			}
			n = b->stack[--b->depth];
			if (n->kind == Y_MAP)
				find_duplicates(b, n);
			break;
		default: break;
		}
		if (ok && anchor) {
			diag_error(b->d, pos, E100, "YAML anchors (&%s) are not allowed in a policy",
			           (const char *)anchor);
			ok = false;
		}
		if (ok && n)
			attach(b, n);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&ps);
	return ok ? b->root : NULL;
}

/* ---- walker helpers --------------------------------------------------------- */

struct yw {
	struct load_ctx *c;
	struct arena *a;
	struct diag_sink *d;
	const char *file;
	struct ir_policy *p;
	int nsuggest;
};

static const char *kind_name(const struct ynode *n)
{
	if (n->kind == Y_SEQ)
		return "a list";
	if (n->kind == Y_MAP)
		return "a mapping";
	return n->null ? "an empty value" : "a scalar";
}

/* A list, or an empty value (read as an empty list). */
static bool want_list(struct yw *w, const struct ynode *n, const char *what)
{
	if (n->kind == Y_SEQ || (n->kind == Y_SCALAR && n->null))
		return true;
	diag_error(w->d, n->pos, E102, "`%.80s`: expected a list, got %s", what, kind_name(n));
	return false;
}

static bool want_map(struct yw *w, const struct ynode *n, const char *what)
{
	if (n->kind == Y_MAP || (n->kind == Y_SCALAR && n->null))
		return true;
	diag_error(w->d, n->pos, E102, "`%.80s`: expected a mapping, got %s", what, kind_name(n));
	return false;
}

/* Control characters other than tab and line breaks (a double-quoted YAML
 * scalar can spell ESC as "\e"): never meaningful in a policy, and they
 * would reach terminals through diagnostics and `polc inspect`. */
static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
			return true;
	}
	return false;
}

/* A non-empty scalar without NUL or control characters; NULL after an
 * E102. */
static const char *want_str(struct yw *w, const struct ynode *n, const char *what)
{
	if (n->kind != Y_SCALAR || n->null) {
		diag_error(w->d, n->pos, E102, "`%.80s`: expected a scalar, got %s", what,
		           kind_name(n));
		return NULL;
	}
	if (memchr(n->s, '\0', n->len)) {
		diag_error(w->d, n->pos, E102, "`%.80s`: value contains a NUL character", what);
		return NULL;
	}
	if (has_control(n->s, n->len)) {
		diag_error(w->d, n->pos, E102, "`%.80s`: value contains a control character", what);
		return NULL;
	}
	return n->s;
}

/* Edit distance counting a swap of neighbours as one edit (optimal string
 * alignment), case-insensitive; SIZE_MAX for long words. */
static size_t edit_distance(const char *s, const char *t)
{
	size_t n = strlen(s), m = strlen(t);
	if (n > 64 || m > 64)
		return SIZE_MAX;
	size_t d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int a = tolower((unsigned char)s[i - 1]), b = tolower((unsigned char)t[j - 1]);
			size_t best = d[i - 1][j - 1] + (a != b);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a == tolower((unsigned char)t[j - 2]) &&
			    tolower((unsigned char)s[i - 2]) == b && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

/* Tracks the closest candidate seen so far. */
struct near {
	const char *word, *best;
	size_t dist;
};

static void near_try(struct near *nr, const char *cand)
{
	size_t d = edit_distance(nr->word, cand);
	size_t len = strlen(nr->word), limit = len <= 3 ? 0 : len <= 5 ? 1 : 2;
	if (d <= limit && d < nr->dist) {
		nr->dist = d;
		nr->best = cand;
	}
}

/* Checks a mapping's keys against `valid` (NULL-terminated): duplicates get
 * E103 with a note at the first, unknown keys E101 naming the valid ones.
 * out[i] receives the value of valid[i], or NULL. */
static void map_keys(struct yw *w, const struct ynode *m, const char *where,
                     const char *const *valid, const struct ynode **out)
{
	size_t nvalid = 0;
	while (valid[nvalid])
		out[nvalid++] = NULL;
	if (m->kind != Y_MAP)
		return;
	for (size_t i = 0; i < m->npairs; i++) {
		const struct ypair *pr = &m->pairs[i];
		if (pr->bad)
			continue;
		if (pr->first != NONE) {
			diag_error(w->d, pr->k->pos, E103, "duplicate key `%.80s` in %s", pr->k->s, where);
			diag_note(w->d, m->pairs[pr->first].k->pos, E103, "`%.80s` first defined here",
			          pr->k->s);
			continue;
		}
		size_t j = 0;
		while (j < nvalid && (strlen(valid[j]) != pr->k->len || strcmp(valid[j], pr->k->s)))
			j++;
		if (j < nvalid) {
			out[j] = pr->v;
			continue;
		}
		char list[512];
		size_t off = 0;
		struct near nr = {pr->k->s, NULL, SIZE_MAX};
		for (size_t k = 0; k < nvalid; k++) {
			near_try(&nr, valid[k]);
			int wr = snprintf(list + off, sizeof(list) - off, "%s%s", k ? ", " : "",
			                  valid[k]);
			if (wr > 0 && (size_t)wr < sizeof(list) - off)
				off += (size_t)wr;
		}
		if (nr.best)
			diag_error(w->d, pr->k->pos, E101,
			           "unknown key `%.80s` in %s; did you mean `%.80s`? (valid keys: %s)",
			           pr->k->s, where, nr.best, list);
		else
			diag_error(w->d, pr->k->pos, E101, "unknown key `%.80s` in %s (valid keys: %s)",
			           pr->k->s, where, list);
	}
}

/* Indices of the present values in v[0..n), in document order: rules are
 * numbered in the order a reader meets them, whatever key holds them. */
static size_t doc_order(const struct ynode *const *v, size_t n, size_t *order)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i])
			continue;
		size_t j = k++;
		for (; j > 0; j--) {
			const struct src_pos *a = &v[order[j - 1]]->pos, *b = &v[i]->pos;
			if (a->line < b->line || (a->line == b->line && a->col <= b->col))
				break;
			order[j] = order[j - 1];
		}
		order[j] = i;
	}
	return k;
}

/* Decimal integer in [lo, hi]; no sign, no leading zeros, no junk. */
static bool parse_dec(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1]))
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* ---- top level and filesystem ---------------------------------------------- */

static bool valid_policy_name(const char *s)
{
	if (!*s || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

/* Absolute and normalised: what Landlock will open, spelled one way only,
 * so rules compare by string.  Returns a reason, or NULL when valid. */
static const char *path_problem(const struct ynode *n)
{
	const char *s = n->s;
	if (n->len == 0)
		return "path is empty";
	if (memchr(s, '\0', n->len))
		return "path contains a NUL character";
	for (size_t i = 0; i < n->len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "path contains a control character";
	if (s[0] != '/')
		return "path must be absolute (start with '/')";
	if (n->len > YML_MAX_PATH)
		return "path is too long";
	if (n->len == 1)
		return NULL;
	if (s[n->len - 1] == '/')
		return "path must not end with '/'";
	for (const char *c = s; *c;) {
		const char *e = strchr(c + 1, '/');
		size_t cl = (size_t)((e ? e : c + strlen(c)) - (c + 1));
		if (cl == 0)
			return "path contains '//'";
		if ((cl == 1 && c[1] == '.') || (cl == 2 && c[1] == '.' && c[2] == '.'))
			return "path contains a '.' or '..' component";
		if (!e)
			break;
		c = e;
	}
	return NULL;
}

/* A path from a list item or a rule; NULL after a diagnostic. */
static const char *want_path(struct yw *w, const struct ynode *n, const char *what)
{
	if (n->kind != Y_SCALAR || n->null) {
		diag_error(w->d, n->pos, E102, "`%.80s`: expected a path, got %s", what, kind_name(n));
		return NULL;
	}
	const char *why = path_problem(n);
	if (why) {
		diag_error(w->d, n->pos, E200, "%s: `%.*s`", why, (int)strnlen(n->s, 80), n->s);
		return NULL;
	}
	return n->s;
}

static void fs_add(struct yw *w, const char *path, uint64_t access, struct src_pos pos)
{
	struct ir_fs *fs = &w->p->fs;
	struct ir_fs_rule *r = ARENA_PUSH(w->a, fs->rules, fs->nrules, fs->caprules);
	r->path = path;
	r->access = access;
	r->pos = pos;
}

static void fs_path_list(struct yw *w, const struct ynode *n, const char *what, uint64_t access)
{
	if (!want_list(w, n, what))
		return;
	for (size_t i = 0; i < n->nitems; i++) {
		const char *p = want_path(w, n->items[i], what);
		if (p)
			fs_add(w, p, access, n->items[i]->pos);
	}
}

static uint64_t access_name(const char *s)
{
	if (strcmp(s, "read") == 0)
		return IR_FS_READ;
	if (strcmp(s, "exec") == 0)
		return IR_FS_EXEC;
	if (strcmp(s, "write") == 0)
		return IR_FS_WRITE;
	return ir_fs_right_parse(s);
}

static void fs_rules(struct yw *w, const struct ynode *n)
{
	static const char *const keys[] = {"path", "access", NULL};
	if (!want_list(w, n, "filesystem.rules"))
		return;
	for (size_t i = 0; i < n->nitems; i++) {
		const struct ynode *it = n->items[i], *v[2];
		if (!want_map(w, it, "filesystem.rules entry"))
			continue;
		map_keys(w, it, "a filesystem rule", keys, v);
		const char *path = NULL;
		uint64_t access = 0;
		bool ok = true;
		if (!v[0]) {
			diag_error(w->d, it->pos, E104, "filesystem rule needs `path`");
			ok = false;
		} else if (!(path = want_path(w, v[0], "path"))) {
			ok = false;
		}
		if (!v[1]) {
			diag_error(w->d, it->pos, E104, "filesystem rule needs `access`");
			ok = false;
		} else if (!want_list(w, v[1], "access")) {
			ok = false;
		} else if (v[1]->nitems == 0) {
			diag_error(w->d, v[1]->pos, E201, "`access` must name at least one right");
			ok = false;
		}
		for (size_t j = 0; v[1] && j < v[1]->nitems; j++) {
			const struct ynode *r = v[1]->items[j];
			const char *name = want_str(w, r, "access");
			if (!name) {
				ok = false;
				continue;
			}
			uint64_t bits = access_name(name);
			if (!bits) {
				char list[400];
				size_t off = (size_t)snprintf(list, sizeof(list), "read, exec, write");
				struct near nr = {name, NULL, SIZE_MAX};
#define LL_FS(nm, b, abi, f, doc)                                                              \
	near_try(&nr, #nm);                                                                    \
	if (off < sizeof(list))                                                                \
		off += (size_t)snprintf(list + off, sizeof(list) - off, ", %s", #nm);
#include "ll_rights.def"
				if (nr.best)
					diag_error(w->d, r->pos, E201,
					           "unknown access right `%.80s`; did you mean `%.80s`? "
					           "(valid: %s)",
					           name, nr.best, list);
				else
					diag_error(w->d, r->pos, E201,
					           "unknown access right `%.80s` (valid: %s)", name, list);
				ok = false;
				continue;
			}
			access |= bits;
		}
		if (ok)
			fs_add(w, path, access, it->pos);
	}
}

static void fs_optional(struct yw *w, const struct ynode *n)
{
	struct ir_fs *fs = &w->p->fs;
	if (!want_list(w, n, "filesystem.optional"))
		return;
	for (size_t i = 0; i < n->nitems; i++) {
		const char *p = want_path(w, n->items[i], "filesystem.optional");
		if (!p)
			continue;
		/* optional_pos runs parallel to optional; grow it with the
		 * same capacity so appends stay amortised O(1). */
		size_t oldcap = fs->capoptional;
		*ARENA_PUSH(w->a, fs->optional, fs->noptional, fs->capoptional) = p;
		if (fs->capoptional != oldcap)
			fs->optional_pos = arena_grow(w->a, fs->optional_pos, fs->noptional - 1,
			                              fs->capoptional, sizeof(struct src_pos));
		fs->optional_pos[fs->noptional - 1] = n->items[i]->pos;
	}
}

static void walk_fs(struct yw *w, const struct ynode *n)
{
	static const char *const keys[] = {"read",     "exec",    "write", "rules",
	                                   "optional", "min_abi", NULL};
	const struct ynode *v[6];
	w->p->fs.present = true;
	if (!want_map(w, n, "filesystem"))
		return;
	map_keys(w, n, "`filesystem`", keys, v);
	size_t order[6], no = doc_order(v, 4, order);
	for (size_t i = 0; i < no; i++)
		switch (order[i]) {
		case 0: fs_path_list(w, v[0], "filesystem.read", IR_FS_READ); break;
		case 1: fs_path_list(w, v[1], "filesystem.exec", IR_FS_EXEC); break;
		case 2: fs_path_list(w, v[2], "filesystem.write", IR_FS_WRITE); break;
		default: fs_rules(w, v[3]); break;
		}
	if (v[4])
		fs_optional(w, v[4]);
	if (v[5]) {
		const char *s = want_str(w, v[5], "filesystem.min_abi");
		uint64_t abi;
		if (s && !parse_dec(s, 1, 7, &abi))
			diag_error(w->d, v[5]->pos, E106,
			           "`min_abi` must be a Landlock ABI version from 1 to 7, got `%.80s`", s);
		else if (s) {
			w->p->fs.min_abi = (uint32_t)abi;
			w->p->fs.min_abi_pos = v[5]->pos;
		}
	}
}

/* ---- process ------------------------------------------------------------------ */

static bool want_action(struct yw *w, const struct ynode *n, const char *what,
                        struct ir_action *out)
{
	const char *s = want_str(w, n, what);
	if (!s)
		return false;
	/* Parse into a temporary: ir_action_parse zeroes its output (that
	 * is `allow`) before it fails. */
	struct ir_action a;
	if (ir_action_parse(s, &a) == 0) {
		*out = a;
		return true;
	}
	diag_error(w->d, n->pos, E301,
	           "`%.80s`: invalid action `%.80s` (expected allow, errno NAME or errno N with N at "
	           "most 4095, kill, kill_thread, trap or log)",
	           what, s);
	return false;
}

/* Every syscall name of the handled arches, for suggestions.  Built once
 * per process from libseccomp (constant data; the strings belong to
 * sysc_name's cache). */
static const char *const *syscall_names(size_t *n)
{
	static const char *names[2048];
	static size_t count;
	static bool built;
	if (!built) {
		built = true;
		int na;
		const struct sysc_arch *arches = sysc_arches(&na);
		for (int a = 0; a < na; a++)
			for (int nr = 0; nr < 600 && count < sizeof(names) / sizeof(names[0]); nr++) {
				const char *cand = sysc_name(&arches[a], nr);
				if (cand)
					names[count++] = cand;
			}
	}
	*n = count;
	return names;
}

static const char *want_syscall(struct yw *w, const struct ynode *n, const char *what)
{
	const char *s = want_str(w, n, what);
	if (!s)
		return NULL;
	if (sysc_known(s))
		return s;
	struct near nr = {s, NULL, SIZE_MAX};
	size_t len = strlen(s);
	if (w->nsuggest < YML_MAX_SUGGEST && len <= 32 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == len) {
		w->nsuggest++;
		size_t nc;
		const char *const *cands = syscall_names(&nc);
		for (size_t i = 0; i < nc; i++) {
			size_t cl = strlen(cands[i]);
			if (cl + 2 >= len && cl <= len + 2)
				near_try(&nr, cands[i]);
		}
	}
	if (nr.best)
		diag_error(w->d, n->pos, E300, "unknown system call `%.80s`; did you mean `%.80s`?", s,
		           nr.best);
	else
		diag_error(w->d, n->pos, E300, "unknown system call `%.80s`", s);
	return NULL;
}

static void sys_add(struct yw *w, const char *name, enum ir_sys_origin origin,
                    struct ir_action act, struct ir_arg_cond *conds, size_t nconds,
                    struct src_pos pos)
{
	struct ir_process *pr = &w->p->proc;
	struct ir_sys_rule *r = ARENA_PUSH(w->a, pr->rules, pr->nrules, pr->caprules);
	r->syscall = name;
	r->origin = origin;
	r->action = act;
	r->conds = conds;
	r->nconds = nconds;
	r->pos = pos;
}

static void sys_list(struct yw *w, const struct ynode *n, const char *what,
                     enum ir_sys_origin origin)
{
	if (!want_list(w, n, what))
		return;
	/* ir_finalize gives deny entries their real action (the merged
	 * default); until then they hold a refusal, never `allow`. */
	struct ir_action act = {.kind = IR_ACT_ALLOW};
	if (origin == IR_SYS_DENY_LIST)
		act = (struct ir_action){.kind = IR_ACT_ERRNO, .errno_val = EPERM};
	for (size_t i = 0; i < n->nitems; i++) {
		const char *s = want_syscall(w, n->items[i], what);
		if (s)
			sys_add(w, s, origin, act, NULL, 0, n->items[i]->pos);
	}
}

/* A value: terms joined by '|' (SOCK_STREAM|SOCK_CLOEXEC), ORed. */
static bool want_value(struct yw *w, const struct ynode *n, const char *what, uint64_t *out)
{
	const char *s = want_str(w, n, what);
	if (!s)
		return false;
	if (!consts_parse_value(s, out)) {
		diag_error(w->d, n->pos, E302,
		           "`%.80s`: `%.80s` is not an integer (decimal, 0x hex, 0o octal, 0b "
		           "binary) or a known constant such as AF_INET",
		           what, s);
		return false;
	}
	return true;
}

static bool arg_cond(struct yw *w, const struct ynode *n, struct ir_arg_cond *c)
{
	static const char *const keys[] = {"index", "op", "value", "values", "mask", NULL};
	const struct ynode *v[5];
	if (!want_map(w, n, "args entry"))
		return false;
	map_keys(w, n, "an argument condition", keys, v);
	bool ok = true;
	memset(c, 0, sizeof(*c));
	c->pos = n->pos;
	uint64_t idx = 0;
	const char *s;
	if (!v[0]) {
		diag_error(w->d, n->pos, E302, "argument condition needs `index` (0 to 5)");
		ok = false;
	} else if ((s = want_str(w, v[0], "index")) && parse_dec(s, 0, 5, &idx)) {
		c->index = (uint8_t)idx;
	} else {
		if (s)
			diag_error(w->d, v[0]->pos, E302, "`index` must be from 0 to 5, got `%.80s`", s);
		ok = false;
	}
	bool have_op = false;
	if (!v[1]) {
		diag_error(w->d, n->pos, E302, "argument condition needs `op`");
		ok = false;
	} else if ((s = want_str(w, v[1], "op")) && ir_op_parse(s, &c->op) == 0) {
		have_op = true;
	} else {
		if (s)
			diag_error(w->d, v[1]->pos, E302,
			           "unknown operator `%.80s` (valid: eq, ne, lt, le, gt, ge, in, "
			           "masked_eq)",
			           s);
		ok = false;
	}
	if (!have_op)
		return false;
	const char *opn = ir_op_name(c->op);
	if (c->op == IR_OP_IN) {
		if (v[2]) {
			diag_error(w->d, v[2]->pos, E302, "op `in` takes `values:` (a list), not `value:`");
			ok = false;
		}
		if (!v[3]) {
			if (!v[2])
				diag_error(w->d, n->pos, E302, "op `in` needs `values:` (a list)");
			return false;
		}
		if (!want_list(w, v[3], "values"))
			return false;
		if (v[3]->nitems == 0) {
			diag_error(w->d, v[3]->pos, E302, "`values` is empty: the condition could never hold");
			return false;
		}
		c->values = arena_array(w->a, v[3]->nitems, sizeof(uint64_t));
		for (size_t i = 0; i < v[3]->nitems; i++)
			if (want_value(w, v[3]->items[i], "values", &c->values[c->nvalues]))
				c->nvalues++;
			else
				ok = false;
	} else {
		if (v[3]) {
			diag_error(w->d, v[3]->pos, E302, "op `%.80s` takes one `value:`, not `values:`", opn);
			ok = false;
		}
		if (!v[2]) {
			if (!v[3])
				diag_error(w->d, n->pos, E302, "op `%.80s` needs `value:`", opn);
			return false;
		}
		c->values = arena_alloc(w->a, sizeof(uint64_t));
		if (want_value(w, v[2], "value", &c->values[0]))
			c->nvalues = 1;
		else
			ok = false;
	}
	if (c->op == IR_OP_MASKED_EQ) {
		if (!v[4]) {
			diag_error(w->d, n->pos, E302, "op `masked_eq` needs `mask:`");
			ok = false;
		} else if (!want_value(w, v[4], "mask", &c->mask)) {
			ok = false;
		} else if (ok && (c->values[0] & ~c->mask)) {
			diag_error(w->d, v[2]->pos, E302,
			           "value 0x%" PRIx64 " has bits outside mask 0x%" PRIx64
			           ": the condition could never hold",
			           c->values[0], c->mask);
			ok = false;
		}
	} else if (v[4]) {
		diag_error(w->d, v[4]->pos, E302, "`mask` is only valid with op `masked_eq`");
		ok = false;
	}
	return ok;
}

static void sys_rules(struct yw *w, const struct ynode *n)
{
	static const char *const keys[] = {"syscalls", "args", "action", NULL};
	if (!want_list(w, n, "process.rules"))
		return;
	for (size_t i = 0; i < n->nitems; i++) {
		const struct ynode *it = n->items[i], *v[3];
		if (!want_map(w, it, "process.rules entry"))
			continue;
		map_keys(w, it, "a process rule", keys, v);
		bool ok = true;
		struct ir_action act = {0};
		if (!v[2]) {
			diag_error(w->d, it->pos, E104, "process rule needs `action`");
			ok = false;
		} else if (!want_action(w, v[2], "action", &act)) {
			ok = false;
		}
		struct ir_arg_cond *conds = NULL;
		size_t nconds = 0;
		if (v[1] && want_list(w, v[1], "args")) {
			conds = arena_array(w->a, v[1]->nitems ? v[1]->nitems : 1, sizeof(*conds));
			for (size_t j = 0; j < v[1]->nitems; j++)
				if (arg_cond(w, v[1]->items[j], &conds[nconds]))
					nconds++;
				else
					ok = false;
		} else if (v[1]) {
			ok = false;
		}
		if (!v[0]) {
			diag_error(w->d, it->pos, E104, "process rule needs `syscalls`");
			continue;
		}
		if (!want_list(w, v[0], "syscalls"))
			continue;
		if (v[0]->nitems == 0)
			diag_error(w->d, v[0]->pos, E102, "`syscalls` must name at least one system call");
		for (size_t j = 0; j < v[0]->nitems; j++) {
			const char *s = want_syscall(w, v[0]->items[j], "syscalls");
			if (s && ok)
				sys_add(w, s, IR_SYS_RULE, act, conds, nconds, v[0]->items[j]->pos);
		}
	}
}

static void walk_proc(struct yw *w, const struct ynode *n)
{
	static const char *const keys[] = {"default",      "allow",        "deny",   "rules",
	                                   "other_abis",   "capabilities", "scopes", NULL};
	const struct ynode *v[7];
	struct ir_process *pr = &w->p->proc;
	pr->present = true;
	if (!want_map(w, n, "process"))
		return;
	map_keys(w, n, "`process`", keys, v);
	if (v[0] && want_action(w, v[0], "process.default", &pr->def)) {
		pr->def_set = true;
		pr->def_pos = v[0]->pos;
	}
	size_t order[3], no = doc_order(v + 1, 3, order);
	for (size_t i = 0; i < no; i++)
		switch (order[i]) {
		case 0: sys_list(w, v[1], "process.allow", IR_SYS_ALLOW_LIST); break;
		case 1: sys_list(w, v[2], "process.deny", IR_SYS_DENY_LIST); break;
		default: sys_rules(w, v[3]); break;
		}
	if (v[4] && want_action(w, v[4], "process.other_abis", &pr->other_abis)) {
		pr->other_abis_set = true;
		pr->other_abis_pos = v[4]->pos;
	}
	if (v[5] && want_list(w, v[5], "process.capabilities")) {
		pr->caps_pos = v[5]->pos;
		for (size_t i = 0; i < v[5]->nitems; i++) {
			const char *s = want_str(w, v[5]->items[i], "process.capabilities");
			int cap = s ? ir_cap_parse(s) : -1;
			if (s && (cap < 0 || cap > 63))
				diag_error(w->d, v[5]->items[i]->pos, E303,
				           "unknown capability `%.80s` (e.g. CAP_NET_BIND_SERVICE or "
				           "NET_BIND_SERVICE)",
				           s);
			else if (s)
				pr->caps |= 1ull << cap;
		}
	}
	if (v[6] && want_list(w, v[6], "process.scopes")) {
		pr->scopes = 0;
		pr->scopes_set = true;
		pr->scopes_pos = v[6]->pos;
		for (size_t i = 0; i < v[6]->nitems; i++) {
			const char *s = want_str(w, v[6]->items[i], "process.scopes");
			if (!s)
				continue;
			uint64_t bit = 0;
#define LL_SCOPE(nm, b, abi, doc)                                                              \
	if (strcmp(s, #nm) == 0)                                                               \
		bit = LL_SCOPE_##nm;
#include "ll_rights.def"
			if (!bit)
				diag_error(w->d, v[6]->items[i]->pos, E106,
				           "unknown scope `%.80s` (valid: signal, abstract_unix_socket)", s);
			pr->scopes |= bit;
		}
	}
}

/* ---- network ---------------------------------------------------------------------- */

/* IPv4/IPv6 address or CIDR into r; false after an E402. */
static bool parse_ip(struct yw *w, const char *s, struct src_pos pos, struct ir_net_rule *r)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	bool v6 = memchr(s, ':', alen) != NULL;
	unsigned max = v6 ? 128 : 32;
	bool ok = alen > 0 && alen < sizeof(buf);
	if (ok) {
		memcpy(buf, s, alen);
		buf[alen] = '\0';
		ok = inet_pton(v6 ? AF_INET6 : AF_INET, buf, r->addr) == 1;
	}
	if (!ok) {
		diag_error(w->d, pos, E402, "`%.80s` is not a valid %s address%s", s, v6 ? "IPv6" : "IPv4",
		           slash ? " and prefix" : "");
		return false;
	}
	uint64_t prefix = max;
	if (slash && !parse_dec(slash + 1, 0, max, &prefix)) {
		diag_error(w->d, pos, E402, "CIDR prefix in `%.80s` must be a number from 0 to %u", s,
		           max);
		return false;
	}
	uint8_t net[16];
	memcpy(net, r->addr, sizeof(net));
	for (unsigned b = (unsigned)prefix; b < max; b++)
		net[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (v6 && prefix >= 96 && memcmp(r->addr, mapped, sizeof(mapped)) == 0) {
		/* Requests to such addresses are matched as IPv4. */
		diag_error(w->d, pos, E402,
		           "`%.80s` is an IPv4-mapped IPv6 address; write the IPv4 address instead", s);
		return false;
	}
	if (memcmp(net, r->addr, max / 8) != 0) {
		char txt[64];
		inet_ntop(v6 ? AF_INET6 : AF_INET, net, txt, sizeof(txt));
		diag_error(w->d, pos, E402, "`%.80s` has host bits set; did you mean `%s/%u`?", s, txt,
		           (unsigned)prefix);
		return false;
	}
	r->kind = v6 ? IR_HOST_IPV6 : IR_HOST_IPV4;
	r->prefix = (uint8_t)prefix;
	r->host = s;
	return true;
}

/* DNS name check: labels of [a-z0-9-], 1..63 characters, not starting or
 * ending with '-', total at most 253.  Returns a reason or NULL. */
static const char *name_problem(const char *s, size_t len)
{
	if (len == 0)
		return "empty host name";
	if (len > 253)
		return "host name longer than 253 characters";
	size_t lab = 0, digits = 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = i < len ? s[i] : '.';
		if (ch == '.') {
			if (lab == 0)
				return "empty label in host name";
			if (lab > 63)
				return "host name label longer than 63 characters";
			if (s[i - lab] == '-' || s[i - 1] == '-')
				return "host name label starts or ends with '-'";
			if (i == len && digits == lab)
				return "the last label is all digits (resolvers read such names as "
				       "numbers)";
			lab = digits = 0;
		} else if (ch == '*') {
			return "a wildcard is only allowed as a whole leading label: `*.example.com`";
		} else if (!isalnum((unsigned char)ch) && ch != '-') {
			return "host names may contain only letters, digits, '-' and '.'";
		} else {
			digits += isdigit((unsigned char)ch) != 0;
			lab++;
		}
	}
	return NULL;
}

static bool parse_host(struct yw *w, const struct ynode *n, struct ir_net_rule *r)
{
	const char *s = want_str(w, n, "host");
	if (!s)
		return false;
	size_t len = strlen(s);
	const char *colon = strchr(s, ':');
	if (colon && !strchr(colon + 1, ':')) {
		diag_error(w->d, n->pos, E400,
		           "invalid host `%.80s`: write a name or address only, without scheme or "
		           "port (ports go in `ports:`)",
		           s);
		return false;
	}
	if (colon || strspn(s, "0123456789./") == len)
		return parse_ip(w, s, n->pos, r);
	bool wild = false;
	if (s[0] == '*') {
		if (s[1] != '.') {
			diag_error(w->d, n->pos, E400,
			           "invalid host `%.80s`: a wildcard must be a whole leading label followed "
			           "by a name, as in `*.example.com`",
			           s);
			return false;
		}
		wild = true;
		s += 2;
		len -= 2;
	}
	if (len > 0 && s[len - 1] == '.')
		len--; /* the root label: example.com. == example.com */
	const char *why = name_problem(s, len);
	if (!why && wild && strspn(s, "0123456789.") == len)
		why = "a wildcard needs a name after `*.`, not an address";
	if (why) {
		diag_error(w->d, n->pos, E400, "invalid host `%.80s`: %s", n->s, why);
		return false;
	}
	char *h = arena_strndup(w->a, s, len);
	for (char *p = h; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	r->kind = wild ? IR_HOST_WILDCARD : IR_HOST_NAME;
	r->host = h;
	return true;
}

static bool parse_port(const char *s, struct ir_port_range *out)
{
	uint64_t lo, hi;
	const char *dash = strchr(s, '-');
	if (!dash) {
		if (!parse_dec(s, 1, 65535, &lo))
			return false;
		out->lo = out->hi = (uint16_t)lo;
		return true;
	}
	char buf[8];
	size_t n = (size_t)(dash - s);
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!parse_dec(buf, 1, 65535, &lo) || !parse_dec(dash + 1, 1, 65535, &hi) || lo > hi)
		return false;
	out->lo = (uint16_t)lo;
	out->hi = (uint16_t)hi;
	return true;
}

static bool path_pattern_ok(const struct ynode *n)
{
	if (n->len == 0 || n->s[0] != '/' || memchr(n->s, '\0', n->len))
		return false;
	for (size_t i = 0; i < n->len; i++) {
		unsigned char ch = (unsigned char)n->s[i];
		if (ch <= ' ' || ch == 0x7f || ch == '?' || ch == '#')
			return false;
	}
	return true;
}

static void net_outbound(struct yw *w, const struct ynode *n)
{
	static const char *const keys[] = {"host", "ports", "methods", "paths", "action", NULL};
	struct ir_net *net = &w->p->net;
	if (!want_list(w, n, "network.outbound"))
		return;
	for (size_t i = 0; i < n->nitems; i++) {
		const struct ynode *it = n->items[i], *v[5];
		if (!want_map(w, it, "network.outbound entry"))
			continue;
		map_keys(w, it, "an outbound rule", keys, v);
		struct ir_net_rule r = {.pos = it->pos};
		bool ok = true;
		if (!v[0]) {
			diag_error(w->d, it->pos, E104, "outbound rule needs `host`");
			ok = false;
		} else if (!parse_host(w, v[0], &r)) {
			ok = false;
		}
		if (!v[1]) {
			diag_error(w->d, it->pos, E401,
			           "outbound rule needs `ports` (numbers or \"lo-hi\" ranges)");
			ok = false;
		} else if (!want_list(w, v[1], "ports")) {
			ok = false;
		} else if (v[1]->nitems == 0) {
			diag_error(w->d, v[1]->pos, E401, "`ports` is empty");
			ok = false;
		} else {
			r.ports = arena_array(w->a, v[1]->nitems, sizeof(*r.ports));
			for (size_t j = 0; j < v[1]->nitems; j++) {
				const struct ynode *pn = v[1]->items[j];
				const char *s = want_str(w, pn, "ports");
				if (s && parse_port(s, &r.ports[r.nports])) {
					r.nports++;
					continue;
				}
				if (s)
					diag_error(w->d, pn->pos, E401,
					           "invalid port `%.80s` (a number from 1 to 65535, or "
					           "\"lo-hi\" with lo <= hi)",
					           s);
				ok = false;
			}
		}
		if (v[2] && want_list(w, v[2], "methods")) {
			if (v[2]->nitems == 0) {
				diag_error(w->d, v[2]->pos, E403,
				           "`methods` is empty; leave it out to allow any method");
				ok = false;
			}
			for (size_t j = 0; j < v[2]->nitems; j++) {
				const char *s = want_str(w, v[2]->items[j], "methods");
				int bit = s ? ir_method_parse(s) : -1;
				if (bit >= 0) {
					r.methods |= 1u << bit;
					continue;
				}
				ok = false;
				if (!s)
					continue;
				char up[16];
				size_t k = 0;
				for (; s[k] && k + 1 < sizeof(up); k++)
					up[k] = (char)toupper((unsigned char)s[k]);
				up[k] = '\0';
				if (!s[k] && ir_method_parse(up) >= 0)
					diag_error(w->d, v[2]->items[j]->pos, E403,
					           "unknown HTTP method `%.80s`; methods are upper case: `%.80s`", s,
					           up);
				else
					diag_error(w->d, v[2]->items[j]->pos, E403,
					           "unknown HTTP method `%.80s` (valid: GET, HEAD, POST, PUT, "
					           "DELETE, PATCH, OPTIONS, CONNECT, TRACE)",
					           s);
			}
		} else if (v[2]) {
			ok = false;
		}
		if (v[3] && want_list(w, v[3], "paths")) {
			if (v[3]->nitems == 0) {
				diag_error(w->d, v[3]->pos, E404,
				           "`paths` is empty; leave it out to allow any path");
				ok = false;
			}
			r.paths = arena_array(w->a, v[3]->nitems ? v[3]->nitems : 1, sizeof(char *));
			for (size_t j = 0; j < v[3]->nitems; j++) {
				const struct ynode *pn = v[3]->items[j];
				const char *s = want_str(w, pn, "paths");
				if (s && path_pattern_ok(pn)) {
					r.paths[r.npaths++] = s;
					continue;
				}
				if (s)
					diag_error(w->d, pn->pos, E404,
					           "invalid path pattern `%.80s`: it must start with '/' and "
					           "contain no spaces, control characters, '?' or '#'",
					           s);
				ok = false;
			}
		} else if (v[3]) {
			ok = false;
		}
		if (v[4]) {
			const char *s = want_str(w, v[4], "action");
			if (s && strcmp(s, "deny") == 0)
				r.deny = true;
			else if (s && strcmp(s, "allow") != 0) {
				diag_error(w->d, v[4]->pos, E301,
				           "invalid network action `%.80s` (expected allow or deny)", s);
				ok = false;
			} else if (!s) {
				ok = false;
			}
		}
		if (ok)
			*ARENA_PUSH(w->a, net->rules, net->nrules, net->caprules) = r;
	}
}

static void walk_net(struct yw *w, const struct ynode *n)
{
	static const char *const keys[] = {"outbound", "bind", NULL};
	const struct ynode *v[2];
	struct ir_net *net = &w->p->net;
	net->present = true;
	if (!want_map(w, n, "network"))
		return;
	map_keys(w, n, "`network`", keys, v);
	if (v[0])
		net_outbound(w, v[0]);
	if (v[1] && want_list(w, v[1], "network.bind"))
		for (size_t i = 0; i < v[1]->nitems; i++) {
			const struct ynode *it = v[1]->items[i];
			const char *s = want_str(w, it, "network.bind");
			uint64_t port;
			if (s && parse_dec(s, 1, 65535, &port)) {
				struct ir_bind *b = ARENA_PUSH(w->a, net->binds, net->nbinds, net->capbinds);
				b->port = (uint16_t)port;
				b->pos = it->pos;
			} else if (s) {
				diag_error(w->d, it->pos, E401,
				           "invalid bind port `%.80s` (a number from 1 to 65535)", s);
			}
		}
}

/* ---- entry point ----------------------------------------------------------------- */

/* Copies this file's diagnostics into the caller's sink in source order
 * (the walker visits keys in schema order, users read files top down).
 * A note stays right after the diagnostic it explains. */
/* Messages quote the policy's own text, which may hold any byte (a key is
 * never checked): show control characters as \xNN so a hostile policy
 * cannot drive the terminal or CI log that prints its diagnostics. */
static const char *visible(struct arena *a, const char *msg)
{
	size_t n = 0, bad = 0;
	for (; msg[n]; n++)
		bad += (unsigned char)msg[n] < 0x20 || msg[n] == 0x7f;
	if (!bad)
		return msg;
	char *out = arena_alloc(a, n + 3 * bad + 1), *o = out;
	for (const char *p = msg; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x20 || ch == 0x7f)
			o += sprintf(o, "\\x%02x", ch);
		else
			*o++ = (char)ch;
	}
	*o = '\0';
	return out;
}

struct dgroup {
	size_t first, n;
	struct src_pos pos;
};

static int cmp_group(const void *x, const void *y)
{
	const struct dgroup *a = x, *b = y;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	return (a->first > b->first) - (a->first < b->first);
}

static void flush_sorted(struct arena *a, const struct diag_sink *from, struct diag_sink *to)
{
	size_t n = diag_count(from), ng = 0;
	if (n == 0)
		return;
	struct dgroup *g = arena_array(a, n, sizeof(*g));
	for (size_t i = 0; i < n; i++) {
		const struct diag *dg = diag_get(from, i);
		if (dg->level == DIAG_NOTE && ng > 0) {
			g[ng - 1].n++;
			continue;
		}
		g[ng++] = (struct dgroup){i, 1, dg->pos};
	}
	qsort(g, ng, sizeof(*g), cmp_group);
	for (size_t i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i].n; j++) {
			const struct diag *dg = diag_get(from, g[i].first + j);
			diag_add(to, dg->level, dg->pos, dg->code, "%s", visible(a, dg->msg));
		}
}

struct pending_base {
	const char *resolved;
	struct src_pos pos;
};

/* The top-level mapping.  Returns the `extends` entries that resolved (each
 * recorded in w->p->extends); *n gets their count. */
static struct pending_base *walk_top(struct yw *w, const struct ynode *root, size_t *n)
{
	static const char *const keys[] = {"polc",       "name",    "description", "extends",
	                                   "filesystem", "process", "network",     NULL};
	const struct ynode *v[7];
	struct ir_policy *p = w->p;
	map_keys(w, root, "the policy", keys, v);

	if (!v[0]) {
		diag_error(w->d, root->pos, E104, "missing required key `polc` (add `polc: 1`)");
	} else {
		const char *s = want_str(w, v[0], "polc");
		if (s && strcmp(s, "1") != 0)
			diag_error(w->d, v[0]->pos, E105,
			           "unsupported schema version `%.80s`: this polc reads `polc: 1`", s);
	}
	if (!v[1]) {
		diag_error(w->d, root->pos, E104, "missing required key `name`");
	} else {
		const char *s = want_str(w, v[1], "name");
		if (s && !valid_policy_name(s))
			diag_error(w->d, v[1]->pos, E107,
			           "invalid policy name `%.80s`: use 1 to 128 of A-Z a-z 0-9 . _ -", s);
		else if (s) {
			p->name = s;
			p->name_pos = v[1]->pos;
		}
	}
	if (v[2]) {
		const char *s = want_str(w, v[2], "description");
		if (s)
			p->description = s;
	}
	struct pending_base *bases = NULL;
	*n = 0;
	if (v[3] && want_list(w, v[3], "extends")) {
		bases = arena_array(w->a, v[3]->nitems ? v[3]->nitems : 1, sizeof(*bases));
		for (size_t i = 0; i < v[3]->nitems; i++) {
			const struct ynode *it = v[3]->items[i];
			const char *s = want_str(w, it, "extends");
			if (!s)
				continue;
			const char *resolved = *s ? load_resolve_extends(w->c, s, w->file) : NULL;
			if (!resolved) {
				bool is_name = !strchr(s, '/') && !strchr(s, '.');
				diag_error(w->d, it->pos, E501,
				           !*s       ? "extends: empty entry%s"
				           : is_name ? "extends: no stdlib policy named `%.80s` (searched "
				                       "$POLC_STDLIB and the stdlib-policies directories)"
				                     : "extends: cannot find `%.80s` (a relative path is "
				                       "resolved from the directory of the file naming it)",
				           s);
				continue;
			}
			struct ir_extends *e = ARENA_PUSH(w->a, p->extends, p->nextends, p->capextends);
			e->name = s;
			e->resolved = resolved;
			e->pos = it->pos;
			bases[(*n)++] = (struct pending_base){resolved, it->pos};
		}
	}
	if (v[4])
		walk_fs(w, v[4]);
	if (v[5])
		walk_proc(w, v[5]);
	if (v[6])
		walk_net(w, v[6]);
	return bases;
}

/* An OpenShell policy (openshell.h) rather than a polc one? */
static bool is_openshell(struct arena *a, const struct ynode *root)
{
	const char **keys = arena_array(a, root->npairs ? root->npairs : 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < root->npairs; i++)
		if (!root->pairs[i].bad)
			keys[n++] = root->pairs[i].k->s;
	return openshell_detect(keys, n);
}

struct ir_policy *yml_parse(struct load_ctx *c, const char *path, const char *text, size_t len)
{
	size_t errs = diag_errors(c->d);
	const char *file = arena_strdup(c->a, path);
	struct diag_sink *d = diag_sink_new(c->a); /* this file's, flushed sorted */
	struct yw w = {.c = c, .a = c->a, .d = d, .file = file};
	struct pending_base *bases = NULL;
	size_t nbases = 0;

	struct ybuild b = {.a = c->a, .d = d, .file = file};
	struct ynode *root = build_tree(&b, text, len);
	if (!root) {
		if (diag_errors(d) == 0) /* a stream with no document */
			diag_error(d, src_pos(file, 1, 1), E102,
			           "the policy is empty: expected a mapping with `polc: 1` and `name:`");
	} else if (root->kind != Y_MAP) {
		diag_error(d, root->pos, E102, "the policy must be a mapping, got %s",
		           kind_name(root));
	} else if (is_openshell(c->a, root)) {
		/* The tree above has refused what a policy never needs (anchors,
		 * aliases, deep nesting); openshell.c reads the same text. */
		flush_sorted(c->a, d, c->d);
		return openshell_parse(c, file, text, len);
	} else {
		w.p = ir_policy_new(c->a);
		bases = walk_top(&w, root, &nbases);
	}
	flush_sorted(c->a, d, c->d);
	if (!w.p)
		return NULL;

	/* Bases are loaded even when this file has errors, so one run reports
	 * theirs too. */
	struct ir_policy *res = ir_policy_new(c->a);
	for (size_t i = 0; i < nbases; i++) {
		struct ir_policy *base = load_file(c, bases[i].resolved, bases[i].pos);
		if (base)
			ir_merge(res, base);
	}
	*ARENA_PUSH(c->a, w.p->sources, w.p->nsources, w.p->capsources) = file;
	if (diag_errors(c->d) > errs)
		return NULL;
	if (nbases == 0)
		return w.p; /* merging onto a fresh policy would only copy it */
	ir_merge(res, w.p);
	return res;
}
