/* oci.c — import of OCI / Docker seccomp profiles (JSON) into the IR.
 *
 * Parsed with jansson; positions come from a small scanner that runs over
 * the same text first and records where every value and key starts (jansson
 * keeps no positions), so every diagnostic points at the offending token.
 * The scanner also keeps each number's text: jansson refuses integers above
 * INT64_MAX, which a uint64 argument value may legitimately be, so those
 * are blanked for jansson (same length, positions unchanged) and read from
 * the text.
 *
 * Semantics follow what runc does with a profile (and what Docker feeds it):
 *   defaultAction (+ defaultErrnoRet)      -> process default
 *   syscalls[] {names, action, errnoRet}   -> one rule per name
 *   args[] {index, value, valueTwo, op}    -> conditions, ANDed; when one
 *      index appears twice in an entry, runc adds each condition as its own
 *      rule (ORed), and so does this import
 *   SCMP_CMP_MASKED_EQ                     -> (arg & value) == valueTwo
 *   SCMP_ACT_KILL is libseccomp's kill-thread; SCMP_ACT_TRACE without a
 *      tracer makes the kernel return ENOSYS, so it becomes errno ENOSYS
 *      (warning); SCMP_ACT_NOTIFY has no listener under runmin: an error
 *   includes/excludes.caps                 -> evaluated for the capabilities
 *      the imported policy keeps, which is none: an OCI profile carries no
 *      capability set and runmin drops them all (a policy that keeps some
 *      and imports a profile should name the calls it needs itself)
 *   includes/excludes.arches               -> evaluated per handled host
 *      (amd64, arm64) as Docker does on that host; the IR has no per-arch
 *      rules, so an entry that applies on one host only is applied on every
 *      host where its syscalls exist (warning when that widens anything)
 *   includes/excludes.minKernel            -> treated as satisfied: polc's
 *      runtime needs Landlock (5.13); a higher minKernel is a warning
 *   architectures / archMap                -> other_abis: when every other
 *      ABI of the handled hosts (x86 and x32 for amd64, arm for arm64) is
 *      listed, they are decided by the same rules (other_abis: allow);
 *      otherwise they keep polc's default (kill)
 * Unknown keys are errors (an ignored key could have restricted something);
 * `comment` is accepted anywhere. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"

/* ---- positions: a scanner over the (already valid) JSON text -------------------- */

struct pnode {
	struct src_pos pos;
	char kind; /* '{' '[' 's' 'n' 'l' (literal) */
	const char *text; /* 'n': the number's text; 's' keys: the key */
	size_t tlen;
	struct pmember *m; /* '{': members; '[': elements (key NULL) */
	size_t nm, capm;
};

struct pmember {
	const char *key; /* object members: the key, undecoded */
	size_t klen;
	struct src_pos kpos;
	struct pnode *v;
};

struct scan {
	struct arena *a;
	const char *file, *s;
	size_t len, i;
	uint32_t line;
	size_t line_start;
	int depth;
	char *copy; /* text handed to jansson (oversized integers blanked) */
};

static struct src_pos here(const struct scan *sc)
{
	return src_pos(sc->file, sc->line, (uint32_t)(sc->i - sc->line_start + 1));
}

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->len) {
		char c = sc->s[sc->i];
		if (c == '\n') {
			sc->line++;
			sc->line_start = sc->i + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		sc->i++;
	}
}

/* Scans a string starting at the quote; returns its raw contents. */
static int scan_string(struct scan *sc, const char **p, size_t *n)
{
	if (sc->i >= sc->len || sc->s[sc->i] != '"')
		return -1;
	size_t start = ++sc->i;
	while (sc->i < sc->len && sc->s[sc->i] != '"') {
		if (sc->s[sc->i] == '\\')
			sc->i++;
		else if (sc->s[sc->i] == '\n')
			return -1;
		sc->i++;
	}
	if (sc->i >= sc->len)
		return -1;
	*p = sc->s + start;
	*n = sc->i - start;
	sc->i++;
	return 0;
}

static struct pnode *scan_value(struct scan *sc);

static struct pmember *add_member(struct scan *sc, struct pnode *pn)
{
	return ARENA_PUSH(sc->a, pn->m, pn->nm, pn->capm);
}

static struct pnode *scan_value(struct scan *sc)
{
	skip_ws(sc);
	if (sc->i >= sc->len || ++sc->depth > 4096)
		return NULL;
	struct pnode *pn = arena_alloc(sc->a, sizeof(*pn));
	pn->pos = here(sc);
	char c = sc->s[sc->i];
	if (c == '{' || c == '[') {
		pn->kind = c;
		char close = c == '{' ? '}' : ']';
		sc->i++;
		skip_ws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == close) {
			sc->i++;
			sc->depth--;
			return pn;
		}
		for (;;) {
			struct pmember *m = add_member(sc, pn);
			memset(m, 0, sizeof(*m));
			if (c == '{') {
				skip_ws(sc);
				m->kpos = here(sc);
				if (scan_string(sc, &m->key, &m->klen) < 0)
					return NULL;
				skip_ws(sc);
				if (sc->i >= sc->len || sc->s[sc->i] != ':')
					return NULL;
				sc->i++;
			}
			if (!(m->v = scan_value(sc)))
				return NULL;
			skip_ws(sc);
			if (sc->i >= sc->len)
				return NULL;
			if (sc->s[sc->i] == ',') {
				sc->i++;
				continue;
			}
			if (sc->s[sc->i] != close)
				return NULL;
			sc->i++;
			break;
		}
	} else if (c == '"') {
		pn->kind = 's';
		if (scan_string(sc, &pn->text, &pn->tlen) < 0)
			return NULL;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		pn->kind = 'n';
		size_t start = sc->i;
		while (sc->i < sc->len && strchr("+-0123456789.eE", sc->s[sc->i]))
			sc->i++;
		pn->text = sc->s + start;
		pn->tlen = sc->i - start;
		/* jansson refuses integers above INT64_MAX: blank them for it. */
		if (pn->tlen >= 19 && sc->s[start] != '-' && !memchr(pn->text, '.', pn->tlen) &&
		    !memchr(pn->text, 'e', pn->tlen) && !memchr(pn->text, 'E', pn->tlen)) {
			char buf[32];
			if (pn->tlen < sizeof(buf)) {
				memcpy(buf, pn->text, pn->tlen);
				buf[pn->tlen] = '\0';
				errno = 0;
				unsigned long long v = strtoull(buf, NULL, 10);
				if (!errno && v > (unsigned long long)INT64_MAX) {
					sc->copy[start] = '0';
					memset(sc->copy + start + 1, ' ', pn->tlen - 1);
				}
			}
		}
	} else {
		pn->kind = 'l';
		while (sc->i < sc->len && sc->s[sc->i] >= 'a' && sc->s[sc->i] <= 'z')
			sc->i++;
	}
	sc->depth--;
	return pn;
}

/* ---- the walk ------------------------------------------------------------------ */

struct oci {
	struct load_ctx *c;
	struct arena *a;
	struct diag_sink *d;
	const char *file;
	struct ir_policy *p;
	struct src_pos top;
	/* per host (x86_64, aarch64): SCMP arches listed */
	bool listed[2][4]; /* [host][0] = host itself, [1..] its other ABIs */
	bool any_arch_key;
	struct src_pos arch_pos;
};

/* The scanner's record of key in object pn.  Never NULL: a key the
 * scanner spelled differently (escapes) gets a stand-in at pn itself. */
static struct arena *member_arena;
static const struct pmember *member(const struct pnode *pn, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; pn && pn->kind == '{' && i < pn->nm; i++)
		if (pn->m[i].klen == kl && memcmp(pn->m[i].key, key, kl) == 0 && pn->m[i].v)
			return &pn->m[i];
	struct pmember *m = arena_alloc(member_arena, sizeof(*m));
	struct pnode *stand = arena_alloc(member_arena, sizeof(*stand));
	stand->pos = pn ? pn->pos : src_pos("?", 0, 0);
	stand->kind = 'l';
	m->kpos = stand->pos;
	m->v = stand;
	return m;
}

static struct src_pos vpos(const struct pnode *pn, const char *key, struct src_pos dflt)
{
	const struct pmember *m = member(pn, key);
	return m->v ? m->v->pos : dflt;
}

/* Element i of array pn; never NULL (a stand-in at pn when missing). */
static struct pnode *elem(const struct pnode *pn, size_t i)
{
	if (pn && pn->kind == '[' && i < pn->nm && pn->m[i].v)
		return pn->m[i].v;
	struct pnode *stand = arena_alloc(member_arena, sizeof(*stand));
	stand->pos = pn ? pn->pos : src_pos("?", 0, 0);
	stand->kind = 'l';
	return stand;
}

static struct src_pos epos(const struct pnode *pn, size_t i, struct src_pos dflt)
{
	const struct pnode *e = elem(pn, i);
	return e ? e->pos : dflt;
}

/* Unknown keys: errors, except `comment`. */
static void check_keys(struct oci *o, json_t *obj, const struct pnode *pn,
                       const char *const *known, const char *where)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		(void)v;
		bool ok = strcmp(key, "comment") == 0;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = strcmp(key, known[i]) == 0;
		if (ok)
			continue;
		const struct pmember *m = member(pn, key);
		diag_error(o->d, m->kpos, E101, "unknown key `%.60s` in %s", key, where);
	}
}

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* An unsigned integer, from the number's own text (full uint64 range). */
static int want_u64(struct oci *o, json_t *j, const struct pnode *pn, const char *what,
                    uint64_t max, uint64_t *out)
{
	if (!json_is_integer(j)) {
		diag_error(o->d, pn ? pn->pos : o->top, E102, "`%s` must be an integer, got %s", what,
		           j ? type_name(j) : "nothing");
		return -1;
	}
	if (!pn || pn->kind != 'n') { /* no text from the scanner: jansson's value */
		json_int_t v = json_integer_value(j);
		if (v < 0 || (uint64_t)v > max) {
			diag_error(o->d, pn ? pn->pos : o->top, E106, "`%s` must be from 0 to %llu", what,
			           (unsigned long long)max);
			return -1;
		}
		*out = (uint64_t)v;
		return 0;
	}
	char buf[32];
	if (pn->tlen >= sizeof(buf) || pn->text[0] == '-') {
		diag_error(o->d, pn->pos, E106, "`%s` must be from 0 to %llu", what,
		           (unsigned long long)max);
		return -1;
	}
	memcpy(buf, pn->text, pn->tlen);
	buf[pn->tlen] = '\0';
	errno = 0;
	char *end;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || *end || v > max) {
		diag_error(o->d, pn->pos, E106, "`%s` must be from 0 to %llu, got %s", what,
		           (unsigned long long)max, buf);
		return -1;
	}
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	enum ir_act kind;
} actions[] = {
	{"SCMP_ACT_ALLOW", IR_ACT_ALLOW},         {"SCMP_ACT_LOG", IR_ACT_LOG},
	{"SCMP_ACT_ERRNO", IR_ACT_ERRNO},         {"SCMP_ACT_TRAP", IR_ACT_TRAP},
	{"SCMP_ACT_KILL", IR_ACT_KILL_THREAD},    {"SCMP_ACT_KILL_THREAD", IR_ACT_KILL_THREAD},
	{"SCMP_ACT_KILL_PROCESS", IR_ACT_KILL},
};

/* action + errno; errno_key is "errnoRet" or "defaultErrnoRet". */
static int want_action(struct oci *o, json_t *obj, const struct pnode *pn, const char *key,
                       const char *errno_key, struct ir_action *out)
{
	json_t *j = json_object_get(obj, key);
	struct src_pos pos = vpos(pn, key, pn->pos);
	if (!j) {
		diag_error(o->d, pn->pos, E104, "`%s` is required", key);
		return -1;
	}
	if (!json_is_string(j)) {
		diag_error(o->d, pos, E102, "`%s` must be a string, got %s", key, type_name(j));
		return -1;
	}
	const char *s = json_string_value(j);
	memset(out, 0, sizeof(*out));
	bool found = false;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(s, actions[i].name) == 0) {
			out->kind = actions[i].kind;
			found = true;
		}
	if (!found && strcmp(s, "SCMP_ACT_TRACE") == 0) {
		diag_warn(o->d, pos, E505,
		          "SCMP_ACT_TRACE: runmin runs no tracer, so the kernel returns ENOSYS; "
		          "imported as errno ENOSYS");
		out->kind = IR_ACT_ERRNO;
		out->errno_val = ENOSYS;
		return 0;
	}
	if (!found) {
		if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
			diag_error(o->d, pos, E301,
			           "SCMP_ACT_NOTIFY needs a user-space listener, which runmin does not run");
		else
			diag_error(o->d, pos, E301,
			           "unknown action `%.60s` (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, "
			           "SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_LOG, "
			           "SCMP_ACT_TRACE)",
			           s);
		return -1;
	}
	json_t *e = json_object_get(obj, errno_key);
	if (out->kind == IR_ACT_ERRNO) {
		out->errno_val = EPERM;
		if (e) {
			uint64_t v;
			const struct pmember *m = member(pn, errno_key);
			if (want_u64(o, e, m->v, errno_key, 4095, &v) < 0)
				return -1;
			out->errno_val = (uint16_t)v;
		}
	}
	return 0;
}

/* ---- arches and capabilities ------------------------------------------------------- */

/* Handled hosts, their Go arch names (what includes.arches uses), and the
 * SCMP_ARCH names of the host and its other ABIs. */
static const struct host {
	const char *native; /* sysc name */
	const char *goarch;
	const char *scmp[4];
} hosts[2] = {
	{"x86_64", "amd64", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL}},
	{"aarch64", "arm64", {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL, NULL}},
};

static const char *const known_goarch[] = {
	"amd64", "arm64", "386",   "x86",      "x32",       "arm",       "ppc",       "ppc64",
	"ppc64le", "s390", "s390x", "mips",    "mipsle",    "mips64",    "mips64le", "mips64n32",
	"mips64len32", "riscv64", "loong64", "loongarch64", "parisc", "parisc64", "x86_64",
	"aarch64", "i386", NULL};

static bool arch_matches(const char *name, const struct host *h)
{
	return strcmp(name, h->goarch) == 0 || strcmp(name, h->native) == 0;
}

static void note_scmp_arch(struct oci *o, const char *s, struct src_pos pos)
{
	static const char *const others[] = {
		"SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
		"SCMP_ARCH_S390X", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
		"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_RISCV64",
		"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_M68K",
		"SCMP_ARCH_SH", "SCMP_ARCH_SHEB", NULL};
	for (int h = 0; h < 2; h++)
		for (int k = 0; hosts[h].scmp[k]; k++)
			if (strcmp(s, hosts[h].scmp[k]) == 0) {
				o->listed[h][k] = true;
				return;
			}
	for (int k = 0; others[k]; k++)
		if (strcmp(s, others[k]) == 0)
			return;
	diag_warn(o->d, pos, E107, "unknown architecture `%.60s`", s);
}

static void walk_arches(struct oci *o, json_t *root, const struct pnode *pn)
{
	json_t *list = json_object_get(root, "architectures");
	const struct pmember *lm = member(pn, "architectures");
	if (list && !json_is_null(list)) {
		o->any_arch_key = true;
		o->arch_pos = lm->v->pos;
		if (!json_is_array(list))
			diag_error(o->d, lm->v->pos, E102, "`architectures` must be a list, got %s",
			           type_name(list));
		else
			for (size_t i = 0; i < json_array_size(list); i++) {
				json_t *s = json_array_get(list, i);
				if (!json_is_string(s))
					diag_error(o->d, epos(lm->v, i, lm->v->pos), E102,
					           "architectures must be strings");
				else
					note_scmp_arch(o, json_string_value(s), epos(lm->v, i, lm->v->pos));
			}
	}
	json_t *map = json_object_get(root, "archMap");
	const struct pmember *mm = member(pn, "archMap");
	if (!map || json_is_null(map))
		return;
	o->any_arch_key = true;
	o->arch_pos = mm->v->pos;
	if (!json_is_array(map)) {
		diag_error(o->d, mm->v->pos, E102, "`archMap` must be a list, got %s", type_name(map));
		return;
	}
	for (size_t i = 0; i < json_array_size(map); i++) {
		json_t *e = json_array_get(map, i);
		struct pnode *ep = elem(mm->v, i);
		if (!json_is_object(e) || !ep) {
			diag_error(o->d, epos(mm->v, i, mm->v->pos), E102,
			           "archMap entries must be objects");
			continue;
		}
		static const char *const known[] = {"architecture", "subArchitectures", NULL};
		check_keys(o, e, ep, known, "an archMap entry");
		json_t *arch = json_object_get(e, "architecture");
		if (!json_is_string(arch)) {
			diag_error(o->d, vpos(ep, "architecture", ep->pos), E102,
			           "`architecture` must be a string");
			continue;
		}
		/* Docker uses the entry of the host it runs on: the host's own
		 * arch and its sub-architectures. */
		int host = -1;
		for (int h = 0; h < 2; h++)
			if (strcmp(json_string_value(arch), hosts[h].scmp[0]) == 0)
				host = h;
		note_scmp_arch(o, json_string_value(arch), vpos(ep, "architecture", ep->pos));
		json_t *subs = json_object_get(e, "subArchitectures");
		const struct pmember *sm = member(ep, "subArchitectures");
		if (!subs || json_is_null(subs))
			continue;
		if (!json_is_array(subs)) {
			diag_error(o->d, sm->v->pos, E102, "`subArchitectures` must be a list, got %s",
			           type_name(subs));
			continue;
		}
		for (size_t k = 0; k < json_array_size(subs); k++) {
			json_t *s = json_array_get(subs, k);
			if (!json_is_string(s)) {
				diag_error(o->d, epos(sm->v, k, sm->v->pos), E102,
				           "subArchitectures must be strings");
				continue;
			}
			/* A sub-architecture counts for the host of this entry only. */
			if (host >= 0)
				for (int q = 1; hosts[host].scmp[q]; q++)
					if (strcmp(json_string_value(s), hosts[host].scmp[q]) == 0)
						o->listed[host][q] = true;
			note_scmp_arch(o, json_string_value(s), epos(sm->v, k, sm->v->pos));
		}
	}
}

static void set_other_abis(struct oci *o)
{
	int listed = 0, total = 0;
	for (int h = 0; h < 2; h++)
		for (int q = 1; hosts[h].scmp[q]; q++) {
			total++;
			listed += o->listed[h][q];
		}
	if (listed == total) {
		o->p->proc.other_abis.kind = IR_ACT_ALLOW;
		o->p->proc.other_abis_set = true;
		o->p->proc.other_abis_pos = o->arch_pos;
	} else if (listed > 0) {
		diag_warn(o->d, o->arch_pos, E505,
		          "the profile lists some but not all of x86, x32 (amd64) and arm (arm64); "
		          "polc decides the other ABIs together, so all of them stay killed");
	}
}

/* Which hosts an entry applies to (bit h), per includes/excludes. */
static unsigned entry_hosts(struct oci *o, json_t *ent, const struct pnode *ep, bool *skip)
{
	unsigned on = 3;
	*skip = false;
	for (int inc = 1; inc >= 0; inc--) {
		const char *key = inc ? "includes" : "excludes";
		json_t *f = json_object_get(ent, key);
		const struct pmember *fm = member(ep, key);
		if (!f || json_is_null(f))
			continue;
		if (!json_is_object(f)) {
			diag_error(o->d, fm->v->pos, E102, "`%s` must be an object, got %s", key,
			           type_name(f));
			continue;
		}
		static const char *const known[] = {"arches", "caps", "minKernel", NULL};
		check_keys(o, f, fm->v, known, key);
		json_t *arches = json_object_get(f, "arches");
		const struct pmember *am = member(fm->v, "arches");
		if (arches && json_is_array(arches) && json_array_size(arches) > 0) {
			unsigned match = 0;
			for (size_t i = 0; i < json_array_size(arches); i++) {
				const char *s = json_string_value(json_array_get(arches, i));
				struct src_pos pos = epos(am->v, i, am->v->pos);
				if (!s) {
					diag_error(o->d, pos, E102, "arches must be strings");
					continue;
				}
				bool known_name = false;
				for (size_t k = 0; known_goarch[k]; k++)
					known_name |= strcmp(s, known_goarch[k]) == 0;
				if (!known_name)
					diag_warn(o->d, pos, E107, "unknown architecture `%.60s`", s);
				for (int h = 0; h < 2; h++)
					if (arch_matches(s, &hosts[h]))
						match |= 1u << h;
			}
			on &= inc ? match : ~match;
		} else if (arches && !json_is_null(arches) && !json_is_array(arches)) {
			diag_error(o->d, am->v->pos, E102, "`arches` must be a list");
		}
		json_t *caps = json_object_get(f, "caps");
		const struct pmember *cm = member(fm->v, "caps");
		if (caps && json_is_array(caps)) {
			for (size_t i = 0; i < json_array_size(caps); i++) {
				const char *s = json_string_value(json_array_get(caps, i));
				struct src_pos pos = epos(cm->v, i, cm->v->pos);
				int cap = s ? ir_cap_parse(s) : -1;
				if (cap < 0) {
					diag_error(o->d, pos, E303, "unknown capability `%.60s`", s ? s : "?");
					continue;
				}
				bool kept = (o->p->proc.caps >> cap) & 1;
				/* includes: every listed cap must be kept; excludes: none may */
				if (inc ? !kept : kept)
					*skip = true;
			}
		} else if (caps && !json_is_null(caps)) {
			diag_error(o->d, cm->v->pos, E102, "`caps` must be a list");
		}
		json_t *mk = json_object_get(f, "minKernel");
		const struct pmember *km = member(fm->v, "minKernel");
		if (mk && !json_is_null(mk)) {
			unsigned maj = 0, min = 0;
			char tail;
			const char *s = json_string_value(mk);
			if (!s || sscanf(s, "%u.%u%c", &maj, &min, &tail) != 2) {
				diag_error(o->d, km->v->pos, E102, "`minKernel` must be \"MAJOR.MINOR\"");
			} else if (inc && (maj > 5 || (maj == 5 && min > 13))) {
				diag_warn(o->d, km->v->pos, E505,
				          "minKernel %s is above polc's baseline (5.13): the entry is applied "
				          "on every kernel",
				          s);
			} else if (!inc) {
				/* excluded on kernels >= minKernel: polc assumes a new one */
				*skip = true;
			}
		}
	}
	return on;
}

/* ---- entries ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum ir_op op;
} ops[] = {
	{"SCMP_CMP_EQ", IR_OP_EQ}, {"SCMP_CMP_NE", IR_OP_NE}, {"SCMP_CMP_LT", IR_OP_LT},
	{"SCMP_CMP_LE", IR_OP_LE}, {"SCMP_CMP_GT", IR_OP_GT}, {"SCMP_CMP_GE", IR_OP_GE},
	{"SCMP_CMP_MASKED_EQ", IR_OP_MASKED_EQ},
};

static int walk_arg(struct oci *o, json_t *arg, const struct pnode *ap, struct ir_arg_cond *c)
{
	if (!json_is_object(arg) || !ap) {
		diag_error(o->d, ap ? ap->pos : o->top, E102, "args entries must be objects");
		return -1;
	}
	static const char *const known[] = {"index", "value", "valueTwo", "op", NULL};
	check_keys(o, arg, ap, known, "an argument");
	memset(c, 0, sizeof(*c));
	c->pos = ap->pos;
	uint64_t idx, value = 0, two = 0;
	json_t *j = json_object_get(arg, "index");
	const struct pmember *m = member(ap, "index");
	if (!j) {
		diag_error(o->d, ap->pos, E104, "argument needs `index`");
		return -1;
	}
	if (want_u64(o, j, m->v, "index", 5, &idx) < 0)
		return -1;
	if ((j = json_object_get(arg, "value")) &&
	    want_u64(o, j, member(ap, "value")->v, "value", UINT64_MAX, &value) < 0)
		return -1;
	if ((j = json_object_get(arg, "valueTwo")) &&
	    want_u64(o, j, member(ap, "valueTwo")->v, "valueTwo", UINT64_MAX, &two) < 0)
		return -1;
	j = json_object_get(arg, "op");
	if (!json_is_string(j)) {
		diag_add(o->d, DIAG_ERROR, vpos(ap, "op", ap->pos), j ? DIAG_E102 : DIAG_E104,
		         "argument needs `op` (a string such as SCMP_CMP_EQ)");
		return -1;
	}
	bool found = false;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(json_string_value(j), ops[i].name) == 0) {
			c->op = ops[i].op;
			found = true;
		}
	if (!found) {
		diag_error(o->d, vpos(ap, "op", ap->pos), E302, "unknown op `%.60s`",
		           json_string_value(j));
		return -1;
	}
	c->index = (uint8_t)idx;
	c->values = arena_alloc(o->a, sizeof(uint64_t));
	c->nvalues = 1;
	if (c->op == IR_OP_MASKED_EQ) {
		c->mask = value;
		c->values[0] = two;
	} else {
		c->values[0] = value;
	}
	return 0;
}

static void add_rule(struct oci *o, const char *name, struct src_pos pos, struct ir_action act,
                     struct ir_arg_cond *conds, size_t nconds)
{
	struct ir_sys_rule *r = ARENA_PUSH(o->a, o->p->proc.rules, o->p->proc.nrules,
	                                   o->p->proc.caprules);
	memset(r, 0, sizeof(*r));
	r->syscall = name;
	r->action = act;
	r->pos = pos;
	r->conds = conds;
	r->nconds = nconds;
	r->origin = nconds == 0 && act.kind == IR_ACT_ALLOW ? IR_SYS_ALLOW_LIST : IR_SYS_RULE;
}

static void walk_entry(struct oci *o, json_t *ent, const struct pnode *ep)
{
	if (!json_is_object(ent) || !ep) {
		diag_error(o->d, ep ? ep->pos : o->top, E102, "syscalls entries must be objects");
		return;
	}
	static const char *const known[] = {"names",  "name",     "action",   "errnoRet",
	                                    "args",   "includes", "excludes", NULL};
	check_keys(o, ent, ep, known, "a syscalls entry");
	struct ir_action act;
	if (want_action(o, ent, ep, "action", "errnoRet", &act) < 0)
		return;

	/* names (or the old single `name`) */
	json_t *names = json_object_get(ent, "names");
	const struct pmember *nm = member(ep, "names");
	json_t *one = json_object_get(ent, "name");
	if (!names && !one) {
		diag_error(o->d, ep->pos, E104, "syscalls entry needs `names`");
		return;
	}
	if (names && !json_is_array(names)) {
		diag_error(o->d, nm->v->pos, E102, "`names` must be a list, got %s", type_name(names));
		return;
	}
	if (one && !json_is_string(one)) {
		diag_error(o->d, vpos(ep, "name", ep->pos), E102, "`name` must be a string");
		return;
	}

	/* conditions */
	json_t *args = json_object_get(ent, "args");
	const struct pmember *am = member(ep, "args");
	struct ir_arg_cond *conds = NULL;
	size_t nconds = 0;
	bool repeated = false;
	if (args && !json_is_null(args)) {
		if (!json_is_array(args)) {
			diag_error(o->d, am->v->pos, E102, "`args` must be a list, got %s",
			           type_name(args));
			return;
		}
		nconds = json_array_size(args);
		conds = arena_array(o->a, nconds ? nconds : 1, sizeof(*conds));
		unsigned seen = 0;
		for (size_t i = 0; i < nconds; i++) {
			if (walk_arg(o, json_array_get(args, i), elem(am->v, i), &conds[i]) < 0)
				return;
			if (seen & (1u << conds[i].index))
				repeated = true;
			seen |= 1u << conds[i].index;
		}
	}

	bool skip;
	unsigned on = entry_hosts(o, ent, ep, &skip);
	if (skip || on == 0)
		return;

	size_t nn = names ? json_array_size(names) : 1;
	char unknown[256] = "";
	size_t nunknown = 0;
	struct src_pos first_unknown = ep->pos;
	for (size_t i = 0; i < nn; i++) {
		json_t *s = names ? json_array_get(names, i) : one;
		struct src_pos pos = names ? epos(nm->v, i, nm->v->pos) : vpos(ep, "name", ep->pos);
		if (!json_is_string(s)) {
			diag_error(o->d, pos, E102, "syscall names must be strings");
			continue;
		}
		const char *name = arena_strdup(o->a, json_string_value(s));
		if (!sysc_known(name)) {
			if (nunknown++ == 0)
				first_unknown = pos;
			size_t off = strlen(unknown);
			if (off + strlen(name) + 3 < sizeof(unknown))
				snprintf(unknown + off, sizeof(unknown) - off, "%s%s", off ? ", " : "", name);
			continue;
		}
		if (on != 3) {
			/* Applies on one handled host only: say so if the syscall
			 * exists on the other, where the IR cannot leave it out. */
			for (int h = 0; h < 2; h++)
				if (!(on & (1u << h)) &&
				    sysc_resolve(sysc_arch_by_name(hosts[h].native), name) >= 0)
					diag_warn(o->d, pos, E505,
					          "this entry applies on %s only, but %s also exists on %s; polc "
					          "applies it there too",
					          hosts[!h].goarch, name, hosts[h].goarch);
		}
		if (repeated) /* runc: each condition is its own rule */
			for (size_t k = 0; k < nconds; k++)
				add_rule(o, name, pos, act, &conds[k], 1);
		else
			add_rule(o, name, pos, act, conds, nconds);
	}
	if (nunknown)
		diag_warn(o->d, first_unknown, E300,
		          "%zu system call%s not in libseccomp's tables (%s%s): polc cannot resolve "
		          "%s number%s, so %s the default action",
		          nunknown, nunknown == 1 ? " is" : "s are", unknown,
		          strlen(unknown) + 8 < sizeof(unknown) ? "" : ", ...",
		          nunknown == 1 ? "its" : "their", nunknown == 1 ? "" : "s",
		          nunknown == 1 ? "it gets" : "they get");
}

struct ir_policy *oci_parse(struct load_ctx *c, const char *path, const char *text, size_t len)
{
	const char *file = arena_strdup(c->a, path);
	size_t errs = diag_errors(c->d);
	struct scan sc = {c->a, file, text, len, 0, 1, 0, 0, NULL};
	member_arena = c->a;
	sc.copy = arena_alloc(c->a, len + 1);
	memcpy(sc.copy, text, len);
	struct pnode *root_pn = scan_value(&sc);

	json_error_t je;
	json_t *root = json_loadb(sc.copy, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		enum json_error_code ec = json_error_code(&je);
		diag_add(c->d, DIAG_ERROR,
		         src_pos(file, je.line > 0 ? (uint32_t)je.line : 1,
		                 je.column > 0 ? (uint32_t)je.column : 1),
		         ec == json_error_duplicate_key ? DIAG_E103 : DIAG_E100, "%s", je.text);
		return NULL;
	}
	if (!root_pn) { /* the scanner gave up (it should not): positions 1:1 */
		root_pn = arena_alloc(c->a, sizeof(*root_pn));
		root_pn->kind = '{';
		root_pn->pos = src_pos(file, 1, 1);
	}
	if (!json_is_object(root)) {
		diag_error(c->d, src_pos(file, 1, 1), E102,
		           "an OCI seccomp profile is a JSON object, got %s", type_name(root));
		json_decref(root);
		return NULL;
	}
	struct oci o = {c, c->a, c->d, file, ir_policy_new(c->a), root_pn->pos, {{0}}, false,
	                root_pn->pos};
	struct ir_policy *p = o.p;
	/* The name: the file's base name without .json. */
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t bl = strlen(base);
	p->name = arena_strndup(c->a, base, bl > 5 && strcmp(base + bl - 5, ".json") == 0 ? bl - 5 : bl);
	p->name_pos = src_pos(file, 1, 1);
	p->proc.present = true;

	static const char *const known[] = {"defaultAction", "defaultErrnoRet", "architectures",
	                                    "archMap",       "syscalls",        "flags",
	                                    "listenerPath",  "listenerMetadata", NULL};
	check_keys(&o, root, root_pn, known, "the profile");
	if (want_action(&o, root, root_pn, "defaultAction", "defaultErrnoRet", &p->proc.def) == 0) {
		p->proc.def_set = true;
		p->proc.def_pos = vpos(root_pn, "defaultAction", root_pn->pos);
	}
	walk_arches(&o, root, root_pn);
	set_other_abis(&o);
	json_t *flags = json_object_get(root, "flags");
	if (flags && json_is_array(flags) && json_array_size(flags) > 0)
		diag_warn(c->d, vpos(root_pn, "flags", root_pn->pos), E505,
		          "seccomp filter flags are not carried into the artifact; runmin installs "
		          "the filter with its own flags");
	if (json_object_get(root, "listenerPath"))
		diag_warn(c->d, vpos(root_pn, "listenerPath", root_pn->pos), E505,
		          "listenerPath: runmin runs no seccomp notification listener");

	json_t *sys = json_object_get(root, "syscalls");
	const struct pmember *sm = member(root_pn, "syscalls");
	if (sys && !json_is_null(sys)) {
		if (!json_is_array(sys))
			diag_error(c->d, sm->v->pos, E102, "`syscalls` must be a list, got %s",
			           type_name(sys));
		else
			for (size_t i = 0; i < json_array_size(sys); i++)
				walk_entry(&o, json_array_get(sys, i), elem(sm->v, i));
	}
	json_decref(root);
	*ARENA_PUSH(c->a, p->sources, p->nsources, p->capsources) = file;
	return diag_errors(c->d) > errs ? NULL : p;
}
