/* diff.c — semantic privilege comparison; see diff.h for the method. */
#include "diff.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "nt.h"
#include "sysc.h"

/* Bounds that keep a hostile or enormous input from running for ever; when
 * one is reached the comparison is reported as incomplete (a note). */
#define MAX_CANDIDATES 512  /* argument values tried per argument index */
#define MAX_ARG_COMBOS 4096 /* argument vectors per syscall */
#define MAX_NR 1024         /* syscall numbers scanned per arch */

static uint64_t all_fs_rights(void)
{
	uint64_t r = 0;
#define LL_FS(n, b, abi, f, doc) r |= 1ull << b;
#include "ll_rights.def"
	return r;
}

const char *diff_domain_name(enum diff_domain d)
{
	static const char *const names[] = {"filesystem", "landlock-abi", "syscall", "other-abis",
	                                    "capability", "scope",        "network", "bind"};
	return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "?";
}

const char *diff_kind_name(enum diff_kind k)
{
	return k == DIFF_WIDEN ? "widen" : k == DIFF_NARROW ? "narrow" : "change";
}

/* ---- building the sides ------------------------------------------------------- */

static int fs_from_section(struct diff_side *s, struct arena *a, const struct art_section *sec,
                           char *err, size_t errlen)
{
	struct art_ll ll;
	if (art_ll_parse(&ll, sec, err, errlen) < 0)
		return -1;
	s->fs_restricted = ll.handled_fs != 0;
	s->handled = ll.handled_fs;
	s->min_abi = ll.min_abi;
	size_t cap = 0;
	struct art_ll_path r;
	int rc;
	while ((rc = art_ll_next_path(&ll, &r)) == 1) {
		struct dside_path *p = ARENA_PUSH(a, s->fs, s->nfs, cap);
		p->path = arena_strndup(a, r.path, r.len);
		p->access = r.access;
		p->rule = r.rule_id;
	}
	if (rc < 0) {
		snprintf(err, errlen, "malformed landlock path rule");
		return -1;
	}
	s->scopes = ll.scoped;
	return 0;
}

int diff_side_policy(struct diff_side *s, struct arena *a, const struct ir_policy *p,
                     struct diag_sink *d, const char *label)
{
	memset(s, 0, sizeof(*s));
	s->label = label;
	s->p = p;
	struct buf b = {0};
	uint32_t abi = 0;
	if (ll_build(p, d, &b, &abi) < 0) {
		buf_free(&b);
		return -1;
	}
	struct art_section sec = {.type = ART_SEC_LANDLOCK, .length = (uint32_t)b.len, .data = b.p};
	char err[256];
	int rc = fs_from_section(s, a, &sec, err, sizeof(err));
	buf_free(&b);
	if (rc < 0) {
		diag_error(d, src_file(label), E901, "%s", err);
		return -1;
	}
	s->min_abi = abi;
	s->scopes = p->proc.scopes;
	s->scopes_known = true;
	s->caps = p->proc.caps;
	s->proc_present = p->proc.present;
	s->sys = p->proc.rules;
	s->nsys = p->proc.nrules;
	s->def = p->proc.def;
	s->other_abis = p->proc.other_abis;
	if (!p->proc.present)
		s->other_abis.kind = IR_ACT_ALLOW;
	s->other_abis_known = true;
	s->net = p->net.rules;
	s->nnet = p->net.nrules;
	s->binds = p->net.binds;
	s->nbinds = p->net.nbinds;
	return 0;
}

/* Metadata rule texts (ir.c's sys_rule_text / net_rule_text) are parsed back
 * only to learn which points are worth asking the simulators about; the
 * decisions themselves always come from the sections. */
static bool parse_u64_text(const char *s, uint64_t *v)
{
	char *end;
	if (!*s)
		return false;
	*v = strtoull(s, &end, 0);
	return *end == '\0';
}

static bool sys_from_text(struct arena *a, const char *text, struct ir_sys_rule *r)
{
	char *t = arena_strdup(a, text), *save = NULL;
	char *tok[64];
	int n = 0;
	for (char *w = strtok_r(t, " ", &save); w && n < 64; w = strtok_r(NULL, " ", &save))
		tok[n++] = w;
	int i = 0;
	memset(r, 0, sizeof(*r));
	if (n < 2)
		return false;
	if (strcmp(tok[0], "errno") == 0) {
		if (n < 3 || ir_action_parse(arena_printf(a, "errno %s", tok[1]), &r->action) < 0)
			return false;
		i = 2;
	} else {
		if (ir_action_parse(tok[0], &r->action) < 0)
			return false;
		i = 1;
	}
	r->syscall = tok[i++];
	if (i < n && strcmp(tok[i], "if") == 0) {
		i++;
		r->conds = arena_array(a, (size_t)n, sizeof(*r->conds));
		while (i + 1 < n) {
			struct ir_arg_cond *c = &r->conds[r->nconds];
			unsigned idx;
			if (sscanf(tok[i], "arg%u", &idx) != 1 || idx > 5)
				return false;
			c->index = (uint8_t)idx;
			char *op = tok[i + 1], *paren = strchr(op, '(');
			if (paren) {
				*paren = '\0';
				char *close = strchr(paren + 1, ')');
				if (close)
					*close = '\0';
				if (!parse_u64_text(paren + 1, &c->mask))
					return false;
			}
			if (ir_op_parse(op, &c->op) < 0 || i + 2 >= n)
				return false;
			char *vals = tok[i + 2], *vs = NULL;
			size_t nv = 1;
			for (char *q = vals; *q; q++)
				nv += *q == ',';
			c->values = arena_array(a, nv, sizeof(uint64_t));
			for (char *v = strtok_r(vals, ",", &vs); v; v = strtok_r(NULL, ",", &vs))
				if (!parse_u64_text(v, &c->values[c->nvalues++]))
					return false;
			r->nconds++;
			i += 3;
			if (i < n && strcmp(tok[i], "&&") == 0)
				i++;
		}
	}
	return true;
}

static bool parse_ip(const char *s, struct ir_net_rule *r)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	long prefix = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		prefix = strtol(slash + 1, &end, 10);
		if (*end)
			return false;
	}
	memset(r->addr, 0, sizeof(r->addr));
	if (inet_pton(AF_INET, buf, r->addr) == 1) {
		r->kind = IR_HOST_IPV4;
		r->prefix = (uint8_t)(prefix < 0 || prefix > 32 ? 32 : prefix);
		return true;
	}
	if (inet_pton(AF_INET6, buf, r->addr) == 1) {
		r->kind = IR_HOST_IPV6;
		r->prefix = (uint8_t)(prefix < 0 || prefix > 128 ? 128 : prefix);
		return true;
	}
	return false;
}

static bool net_from_text(struct arena *a, const char *text, struct ir_net_rule *r)
{
	char *t = arena_strdup(a, text), *save = NULL;
	char *tok[4];
	int n = 0;
	for (char *w = strtok_r(t, " ", &save); w && n < 4; w = strtok_r(NULL, " ", &save))
		tok[n++] = w;
	memset(r, 0, sizeof(*r));
	if (n < 2)
		return false;
	r->deny = strcmp(tok[0], "deny") == 0;
	char *colon = strrchr(tok[1], ':');
	if (!colon)
		return false;
	*colon = '\0';
	char *ports = colon + 1, *ps = NULL;
	size_t np = 1;
	for (char *q = ports; *q; q++)
		np += *q == ',';
	r->ports = arena_array(a, np, sizeof(*r->ports));
	for (char *p = strtok_r(ports, ",", &ps); p; p = strtok_r(NULL, ",", &ps)) {
		unsigned lo, hi;
		int k = sscanf(p, "%u-%u", &lo, &hi);
		if (k < 1 || lo > 65535 || (k == 2 && (hi > 65535 || hi < lo)))
			return false;
		r->ports[r->nports].lo = (uint16_t)lo;
		r->ports[r->nports++].hi = (uint16_t)(k == 2 ? hi : lo);
	}
	const char *host = tok[1];
	if (strncmp(host, "*.", 2) == 0) {
		r->kind = IR_HOST_WILDCARD;
		r->host = host + 2;
	} else if (!parse_ip(host, r)) {
		r->kind = IR_HOST_NAME;
		r->host = host;
	} else
		r->host = host;
	for (int i = 2; i < n; i++) {
		if (tok[i][0] == '/') {
			size_t cnt = 1;
			for (char *q = tok[i]; *q; q++)
				cnt += *q == ',';
			r->paths = arena_array(a, cnt, sizeof(char *));
			char *s2 = NULL;
			for (char *p = strtok_r(tok[i], ",", &s2); p; p = strtok_r(NULL, ",", &s2))
				r->paths[r->npaths++] = p;
		} else {
			char *s2 = NULL;
			for (char *m = strtok_r(tok[i], ",", &s2); m; m = strtok_r(NULL, ",", &s2)) {
				int bit = ir_method_parse(m);
				if (bit >= 0)
					r->methods |= 1u << bit;
			}
		}
	}
	return true;
}

/* How the artifact treats x32/i386 (and other non-native ABIs): asked of
 * its program syscall by syscall.  Every decision equal to the native one
 * means the rules apply there too (other_abis: allow); one action for all
 * means other_abis is that action; anything else stays unknown. */
static void art_other_abis(struct diff_side *s)
{
	if (!s->proc_present) {
		s->other_abis.kind = IR_ACT_ALLOW;
		s->other_abis_known = true;
		return;
	}
	int no;
	const struct sysc_arch *const *o = sysc_other_abis(s->arch, &no);
	bool known = false;
	struct ir_action res = {0};
	for (int k = 0; k < no; k++) {
		bool same = true, constant = true, have = false;
		struct ir_action first = {0};
		int cnt = sysc_count(o[k]);
		for (int i = 0; i < cnt; i++) {
			uint32_t nr;
			const char *name;
			if (sysc_entry(o[k], i, &nr, &name) < 0)
				continue;
			static const uint64_t zero[6];
			struct decision dq, dn;
			char err[128];
			struct ir_action aq, an;
			if (bpf_query(s->art, o[k], name, zero, &dq, err, sizeof(err)) < 0 ||
			    ir_action_parse(dq.text, &aq) < 0)
				return;
			if (!have) {
				first = aq;
				have = true;
			}
			constant &= aq.kind == first.kind && aq.errno_val == first.errno_val;
			if (sysc_resolve(s->arch, name) >= 0 &&
			    bpf_query(s->art, s->arch, name, zero, &dn, err, sizeof(err)) == 0 &&
			    ir_action_parse(dn.text, &an) == 0)
				same &= an.kind == aq.kind && an.errno_val == aq.errno_val;
		}
		struct ir_action r = first;
		if (same)
			r = (struct ir_action){.kind = IR_ACT_ALLOW};
		else if (!constant || !have)
			return;
		if (known && (r.kind != res.kind || r.errno_val != res.errno_val))
			return;
		res = r;
		known = true;
	}
	s->other_abis = res;
	s->other_abis_known = known;
}

int diff_side_artifact(struct diff_side *s, struct arena *a, const struct art *art,
                       const struct meta *m, const char *label, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->label = label;
	s->art = art;
	s->meta = m;
	const struct art_section *ll = art_find(art, ART_SEC_LANDLOCK, 0);
	if (ll && fs_from_section(s, a, ll, err, errlen) < 0)
		return -1;
	s->scopes_known = ll != NULL;
	s->min_abi = art->min_abi;
	/* Capabilities kept: the PROCESS section (absent = none kept). */
	const struct art_section *ps = art_find(art, ART_SEC_PROCESS, 0);
	if (ps) {
		struct art_proc pr;
		if (art_proc_parse(&pr, ps, err, errlen) < 0)
			return -1;
		s->caps = pr.caps_keep;
	}
	int na;
	s->arch = &sysc_arches(&na)[0];
	s->proc_present = art_find(art, ART_SEC_SECCOMP, s->arch->audit_arch) != NULL;
	size_t capsys = 0, capnet = 0, capbind = 0;
	for (size_t i = 0; i < m->nrules; i++) {
		const struct meta_rule *mr = &m->rules[i];
		if (!mr->domain || !mr->text)
			continue;
		struct src_pos pos = src_pos(mr->file, mr->line, mr->col);
		if (strcmp(mr->domain, "process") == 0) {
			struct ir_sys_rule r;
			if (sys_from_text(a, mr->text, &r)) {
				r.id = mr->id;
				r.pos = pos;
				*ARENA_PUSH(a, s->sys, s->nsys, capsys) = r;
			}
		} else if (strcmp(mr->domain, "net") == 0) {
			struct ir_net_rule r;
			if (net_from_text(a, mr->text, &r)) {
				r.id = mr->id;
				r.pos = pos;
				*ARENA_PUSH(a, s->net, s->nnet, capnet) = r;
			}
		}
	}
	art_other_abis(s);
	/* Bind ports: the Landlock section's bind_tcp rules. */
	if (ll) {
		struct art_ll l;
		if (art_ll_parse(&l, ll, err, errlen) < 0)
			return -1;
		struct art_ll_path pth;
		int rc;
		while ((rc = art_ll_next_path(&l, &pth)) == 1)
			;
		struct art_ll_net nr;
		while (rc == 0 && (rc = art_ll_next_net(&l, &nr)) == 1) {
			if (nr.access & LL_NET_bind_tcp) {
				struct ir_bind *b = ARENA_PUSH(a, s->binds, s->nbinds, capbind);
				b->port = nr.port;
				b->id = nr.rule_id;
			}
			rc = 0;
		}
		if (rc < 0) {
			snprintf(err, errlen, "malformed landlock rule");
			return -1;
		}
	}
	return 0;
}

/* ---- results ---------------------------------------------------------------- */

struct dctx {
	struct arena *a;
	const struct diff_side *o, *n;
	struct diff_result *r;
	char *err;
	size_t errlen;
};

static struct diff_rule rule_of(const struct diff_side *s, uint32_t id)
{
	struct diff_rule r = {0};
	if (!id)
		return r;
	if (s->p) {
		const struct ir_rule_ref *ref = ir_rule(s->p, id);
		if (ref) {
			r.text = ref->text;
			r.pos = ref->pos;
		}
	} else if (s->meta) {
		const struct meta_rule *m = meta_rule(s->meta, id);
		if (m) {
			r.text = m->text;
			r.pos = src_pos(m->file, m->line, m->col);
		}
	}
	return r;
}

static struct diff_item *add_item(struct dctx *c, enum diff_kind k, enum diff_domain dom,
                                  const char *subject, const char *what)
{
	struct diff_item *it = ARENA_PUSH(c->a, c->r->v, c->r->n, c->r->cap);
	memset(it, 0, sizeof(*it));
	it->kind = k;
	it->dom = dom;
	it->subject = subject;
	it->what = what;
	c->r->count[k]++;
	return it;
}

static void add_note(struct dctx *c, const char *note)
{
	for (size_t i = 0; i < c->r->nnotes; i++)
		if (strcmp(c->r->notes[i], note) == 0)
			return;
	*ARENA_PUSH(c->a, c->r->notes, c->r->nnotes, c->r->capnotes) = note;
}

/* ---- filesystem ------------------------------------------------------------- */

static bool beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Effective rights on path: granted at or above it, plus every right the
 * ruleset does not handle.  *rule: the most specific contributing rule. */
static uint64_t fs_eff(const struct diff_side *s, const char *path, uint64_t want, uint32_t *rule)
{
	uint64_t g = all_fs_rights() & ~s->handled;
	size_t best = 0;
	*rule = 0;
	for (size_t i = 0; i < s->nfs; i++)
		if (beneath(path, s->fs[i].path)) {
			g |= s->fs[i].access;
			size_t len = strlen(s->fs[i].path);
			if ((s->fs[i].access & want) && len >= best) {
				best = len;
				*rule = s->fs[i].rule;
			}
		}
	return g;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static const char *rights_str(struct arena *a, uint64_t r)
{
	char buf[512];
	ir_fs_access_str(buf, sizeof(buf), r);
	return arena_strdup(a, buf);
}

static void fs_compare(struct dctx *c)
{
	size_t n = 0, np = c->o->nfs + c->n->nfs + 1;
	const char **pts = arena_array(c->a, np, sizeof(char *));
	pts[n++] = "/";
	for (size_t i = 0; i < c->o->nfs; i++)
		pts[n++] = c->o->fs[i].path;
	for (size_t i = 0; i < c->n->nfs; i++)
		pts[n++] = c->n->fs[i].path;
	qsort(pts, n, sizeof(*pts), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || strcmp(pts[u - 1], pts[i]) != 0)
			pts[u++] = pts[i];
	n = u;
	uint64_t *gain = arena_array(c->a, n, sizeof(uint64_t));
	uint64_t *loss = arena_array(c->a, n, sizeof(uint64_t));
	for (size_t i = 0; i < n; i++) {
		uint32_t ro, rn;
		uint64_t eo = fs_eff(c->o, pts[i], ~0ull, &ro), en = fs_eff(c->n, pts[i], ~0ull, &rn);
		gain[i] = en & ~eo;
		loss[i] = eo & ~en;
		/* Report only what the nearest named ancestor has not reported:
		 * a right gained on /a is gained on everything beneath it. */
		size_t anc = SIZE_MAX, alen = 0;
		for (size_t j = 0; j < i; j++) {
			size_t l = strlen(pts[j]);
			if (beneath(pts[i], pts[j]) && (anc == SIZE_MAX || l > alen)) {
				anc = j;
				alen = l;
			}
		}
		uint64_t g = gain[i] & ~(anc == SIZE_MAX ? 0 : gain[anc]);
		uint64_t l = loss[i] & ~(anc == SIZE_MAX ? 0 : loss[anc]);
		for (int k = 0; k < 2; k++) {
			uint64_t bits = k == 0 ? g : l;
			if (!bits)
				continue;
			const struct diff_side *by = k == 0 ? c->n : c->o, *other = k == 0 ? c->o : c->n;
			uint32_t rid, oid;
			fs_eff(by, pts[i], bits, &rid);
			fs_eff(other, pts[i], ~0ull, &oid);
			const char *what = rights_str(c->a, bits);
			if (!by->fs_restricted)
				what = arena_printf(c->a, "%s (no filesystem rules)", what);
			else if (bits & ~by->handled)
				what = arena_printf(c->a, "%s (not handled at Landlock ABI %u)", what,
				                    by->min_abi);
			struct diff_item *it =
			        add_item(c, k == 0 ? DIFF_WIDEN : DIFF_NARROW, DIFF_FS, pts[i], what);
			struct diff_rule br = rule_of(by, rid), orr = rule_of(other, oid);
			it->new_rule = k == 0 ? br : orr;
			it->old_rule = k == 0 ? orr : br;
		}
	}
	if (c->o->min_abi != c->n->min_abi)
		add_item(c, DIFF_CHANGE, DIFF_ABI, "minimum Landlock ABI",
		         arena_printf(c->a, "%u -> %u", c->o->min_abi, c->n->min_abi));
	if (c->o->scopes_known && c->n->scopes_known) {
#define LL_SCOPE(nm, b, abi, doc)                                                              \
	if ((c->o->scopes ^ c->n->scopes) & (1ull << b))                                       \
		add_item(c, (c->o->scopes & (1ull << b)) ? DIFF_WIDEN : DIFF_NARROW, DIFF_SCOPES,      \
		         #nm,                                                                          \
		         (c->o->scopes & (1ull << b)) ? "no longer isolated: " doc                     \
		                                      : "now isolated: " doc);
#include "ll_rights.def"
	}
}

/* ---- capabilities, other ABIs, binds ---------------------------------------- */

static bool act_allows(struct ir_action a)
{
	return a.kind == IR_ACT_ALLOW || a.kind == IR_ACT_LOG;
}

static const char *act_str(struct arena *a, struct ir_action x)
{
	char buf[64];
	ir_action_str(buf, sizeof(buf), x);
	return arena_strdup(a, buf);
}

static void misc_compare(struct dctx *c)
{
	for (int cap = 0; cap < 64; cap++) {
		uint64_t b = 1ull << cap;
		if (!((c->o->caps ^ c->n->caps) & b))
			continue;
		const char *name = ir_cap_name(cap);
		bool added = c->n->caps & b;
		const char *cn = name ? arena_printf(c->a, "CAP_%s", name)
		                      : arena_printf(c->a, "capability %d", cap);
		struct diff_item *it = add_item(c, added ? DIFF_WIDEN : DIFF_NARROW, DIFF_CAPS, cn,
		                                added ? "kept" : "dropped");
		/* Policies say where: the capabilities list. */
		const struct diff_side *by = added ? c->n : c->o;
		if (by->p && by->p->proc.caps_pos.file) {
			struct diff_rule r = {arena_printf(c->a, "keep %s", cn), by->p->proc.caps_pos};
			if (added)
				it->new_rule = r;
			else
				it->old_rule = r;
		}
	}
	if (c->o->other_abis_known && c->n->other_abis_known) {
		struct ir_action ao = c->o->other_abis, an = c->n->other_abis;
		if (ao.kind != an.kind || ao.errno_val != an.errno_val) {
			enum diff_kind k = act_allows(an) && !act_allows(ao)   ? DIFF_WIDEN
			                   : act_allows(ao) && !act_allows(an) ? DIFF_NARROW
			                                                       : DIFF_CHANGE;
			add_item(c, k, DIFF_OTHER_ABIS, "x32 and i386 system calls",
			         arena_printf(c->a, "%s -> %s", act_str(c->a, ao), act_str(c->a, an)));
		}
	} else if (c->o->proc_present || c->n->proc_present) {
		add_note(c, "x32/i386 handling is not compared for artifacts");
	}
	for (int k = 0; k < 2; k++) {
		const struct diff_side *s = k == 0 ? c->n : c->o, *t = k == 0 ? c->o : c->n;
		for (size_t i = 0; i < s->nbinds; i++) {
			bool dup = false, found = false;
			for (size_t j = 0; j < i; j++)
				dup |= s->binds[j].port == s->binds[i].port;
			for (size_t j = 0; j < t->nbinds; j++)
				found |= t->binds[j].port == s->binds[i].port;
			if (dup || found)
				continue;
			struct diff_item *it =
			        add_item(c, k == 0 ? DIFF_WIDEN : DIFF_NARROW, DIFF_BIND,
			                 arena_printf(c->a, "tcp %u", s->binds[i].port),
			                 k == 0 ? "may listen" : "may no longer listen");
			struct diff_rule r = rule_of(s, s->binds[i].id);
			if (k == 0)
				it->new_rule = r;
			else
				it->old_rule = r;
		}
	}
}

/* ---- process ------------------------------------------------------------------ */

static uint64_t arg_width(const char *sc, unsigned idx)
{
	return sysc_arg_is32(sc, idx) ? 0xffffffffull : ~0ull;
}

static bool cond_holds(const char *sc, const struct ir_arg_cond *c, uint64_t v)
{
	uint64_t w = arg_width(sc, c->index);
	v &= w;
	switch (c->op) {
	case IR_OP_EQ: return v == (c->values[0] & w);
	case IR_OP_NE: return v != (c->values[0] & w);
	case IR_OP_LT: return v < (c->values[0] & w);
	case IR_OP_LE: return v <= (c->values[0] & w);
	case IR_OP_GT: return v > (c->values[0] & w);
	case IR_OP_GE: return v >= (c->values[0] & w);
	case IR_OP_MASKED_EQ: return (v & c->mask & w) == (c->values[0] & w);
	case IR_OP_IN:
		for (size_t i = 0; i < c->nvalues; i++)
			if (v == (c->values[i] & w))
				return true;
		return false;
	}
	return false;
}

struct cands {
	uint64_t *v;
	size_t n, cap;
	bool full;
};

static void cand_add(struct arena *a, struct cands *cs, uint64_t x)
{
	for (size_t i = 0; i < cs->n; i++)
		if (cs->v[i] == x)
			return;
	if (cs->n >= MAX_CANDIDATES) {
		cs->full = true;
		return;
	}
	*ARENA_PUSH(a, cs->v, cs->n, cs->cap) = x;
}

/* Argument values for index idx such that every combination of truth values
 * of the conditions that can occur occurs for one of them.  Interval and
 * equality conditions change truth only at their constants (c-1, c, c+1);
 * masked conditions are forced true and then broken one mask bit at a time. */
static size_t arg_witnesses(struct dctx *c, const char *sc, unsigned idx,
                            const struct ir_arg_cond **conds, size_t nc, uint64_t **out)
{
	struct cands cs = {0};
	uint64_t w = arg_width(sc, idx);
	cand_add(c->a, &cs, 0);
	cand_add(c->a, &cs, w);
	for (size_t i = 0; i < nc; i++)
		for (size_t j = 0; j < conds[i]->nvalues; j++) {
			uint64_t v = conds[i]->values[j] & w;
			cand_add(c->a, &cs, v);
			cand_add(c->a, &cs, (v - 1) & w);
			cand_add(c->a, &cs, (v + 1) & w);
		}
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < nc; i++) {
			const struct ir_arg_cond *k = conds[i];
			if (k->op != IR_OP_MASKED_EQ)
				continue;
			uint64_t m = k->mask & w, v = k->values[0] & w;
			size_t base = cs.n;
			for (size_t j = 0; j < base; j++) {
				uint64_t x = (cs.v[j] & ~m) | v;
				cand_add(c->a, &cs, x);
				for (int b = 0; b < 64; b++)
					if (m & (1ull << b))
						cand_add(c->a, &cs, x ^ (1ull << b));
			}
		}
	if (cs.full)
		add_note(c, arena_printf(c->a, "%s: argument %u has too many conditions to compare "
		                               "every case",
		                         sc, idx));
	/* Keep one value per distinct vector of truth values. */
	uint8_t *seen = arena_array(c->a, cs.n * (nc ? nc : 1), 1);
	size_t keep = 0;
	for (size_t i = 0; i < cs.n; i++) {
		uint8_t *row = seen + keep * nc;
		for (size_t k = 0; k < nc; k++)
			row[k] = cond_holds(sc, conds[k], cs.v[i]);
		bool dup = false;
		for (size_t j = 0; j < keep && !dup; j++)
			dup = memcmp(seen + j * nc, row, nc) == 0;
		if (!dup)
			cs.v[keep++] = cs.v[i];
	}
	*out = cs.v;
	return keep;
}

struct sdec {
	bool allowed;
	const char *text;
	uint32_t rule;
};

/* 1 = decided, 0 = the side has no such syscall, -1 = error. */
static int sys_decide(struct dctx *c, const struct diff_side *s, const char *sc,
                      const uint64_t args[6], struct sdec *d)
{
	d->rule = 0;
	if (!s->proc_present) {
		d->allowed = true;
		d->text = "allow";
		return 1;
	}
	if (s->p) {
		struct ir_action act = ir_proc_decide(s->p, sc, args, &d->rule);
		d->allowed = act_allows(act);
		d->text = act_str(c->a, act);
		return 1;
	}
	if (sysc_resolve(s->arch, sc) < 0)
		return 0;
	struct decision q;
	if (bpf_query(s->art, s->arch, sc, args, &q, c->err, c->errlen) < 0)
		return -1;
	d->allowed = q.allowed;
	d->text = arena_strdup(c->a, q.text);
	d->rule = q.rule_id;
	return 1;
}

static const char *fmt_val(struct arena *a, uint64_t v)
{
	return v < 4096 ? arena_printf(a, "%" PRIu64, v) : arena_printf(a, "0x%" PRIx64, v);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

static const char *cond_canon(struct arena *a, const char *sc, const struct ir_arg_cond *k)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">=", "in", "masked"};
	uint64_t w = arg_width(sc, k->index);
	if (k->op == IR_OP_MASKED_EQ)
		return arena_printf(a, "arg%u & %s == %s", k->index, fmt_val(a, k->mask & w),
		                    fmt_val(a, k->values[0] & w));
	if (k->op != IR_OP_IN)
		return arena_printf(a, "arg%u %s %s", k->index, ops[k->op], fmt_val(a, k->values[0] & w));
	uint64_t *v = arena_array(a, k->nvalues, sizeof(uint64_t));
	for (size_t i = 0; i < k->nvalues; i++)
		v[i] = k->values[i] & w;
	qsort(v, k->nvalues, sizeof(uint64_t), cmp_u64);
	const char *s = arena_printf(a, "arg%u in {", k->index);
	for (size_t i = 0; i < k->nvalues; i++)
		if (i == 0 || v[i] != v[i - 1])
			s = arena_printf(a, "%s%s%s", s, i ? "," : "", fmt_val(a, v[i]));
	return arena_printf(a, "%s}", s);
}

/* The rules a side states for one syscall, canonically: conditions sorted
 * within a rule, rules sorted, duplicates dropped. */
static const char *sys_canon(struct dctx *c, const struct diff_side *s, const char *sc)
{
	if (!s->proc_present)
		return "allow (no process section)";
	const char **rules = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < s->nsys; i++) {
		const struct ir_sys_rule *r = &s->sys[i];
		if (strcmp(r->syscall, sc) != 0)
			continue;
		const char **cs = arena_array(c->a, r->nconds ? r->nconds : 1, sizeof(char *));
		for (size_t j = 0; j < r->nconds; j++)
			cs[j] = cond_canon(c->a, sc, &r->conds[j]);
		qsort(cs, r->nconds, sizeof(char *), cmp_str);
		const char *t = act_str(c->a, r->action);
		for (size_t j = 0; j < r->nconds; j++)
			if (j == 0 || strcmp(cs[j], cs[j - 1]) != 0)
				t = arena_printf(c->a, "%s%s%s", t, j ? " && " : " if ", cs[j]);
		*ARENA_PUSH(c->a, rules, n, cap) = t;
	}
	if (n)
		qsort(rules, n, sizeof(char *), cmp_str);
	const char *out = "";
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(rules[i], rules[i - 1]) != 0)
			out = arena_printf(c->a, "%s%s%s", out, *out ? "; " : "", rules[i]);
	if (s->p)
		out = arena_printf(c->a, "%s%sotherwise %s", out, *out ? "; " : "",
		                   act_str(c->a, s->def));
	return *out ? out : "(default)";
}

static bool names_syscall(const struct diff_side *s, const char *sc)
{
	for (size_t i = 0; i < s->nsys; i++)
		if (strcmp(s->sys[i].syscall, sc) == 0)
			return true;
	return false;
}

static bool has_conds(const struct diff_side *s, const char *sc)
{
	for (size_t i = 0; i < s->nsys; i++)
		if (s->sys[i].nconds && strcmp(s->sys[i].syscall, sc) == 0)
			return true;
	return false;
}

struct dflt_group {
	enum diff_kind kind;
	const char *from, *to, *first;
	size_t count;
};

static int sys_compare_one(struct dctx *c, const char *sc, struct dflt_group *groups,
                           size_t *ngroups)
{
	const struct ir_arg_cond **conds[6] = {0};
	size_t nconds[6] = {0}, caps[6] = {0};
	for (int k = 0; k < 2; k++) {
		const struct diff_side *s = k ? c->n : c->o;
		for (size_t i = 0; i < s->nsys; i++)
			if (strcmp(s->sys[i].syscall, sc) == 0)
				for (size_t j = 0; j < s->sys[i].nconds; j++) {
					const struct ir_arg_cond *cd = &s->sys[i].conds[j];
					if (cd->index < 6)
						*ARENA_PUSH(c->a, conds[cd->index], nconds[cd->index],
						            caps[cd->index]) = cd;
				}
	}
	uint64_t *wit[6];
	size_t nw[6], total = 1;
	for (unsigned i = 0; i < 6; i++) {
		if (nconds[i])
			nw[i] = arg_witnesses(c, sc, i, conds[i], nconds[i], &wit[i]);
		else {
			static uint64_t zero;
			wit[i] = &zero;
			nw[i] = 1;
		}
		total = total > MAX_ARG_COMBOS ? total : total * nw[i];
	}
	if (total > MAX_ARG_COMBOS) {
		add_note(c, arena_printf(c->a, "%s: too many argument cases; compared the first %d", sc,
		                         MAX_ARG_COMBOS));
		total = MAX_ARG_COMBOS;
	}
	bool named = names_syscall(c->o, sc) || names_syscall(c->n, sc);
	bool conditional = has_conds(c->o, sc) || has_conds(c->n, sc);
	bool done[3] = {0};
	for (size_t t = 0; t < total; t++) {
		uint64_t args[6];
		size_t q = t;
		for (unsigned i = 0; i < 6; i++) {
			args[i] = wit[i][q % nw[i]];
			q /= nw[i];
		}
		struct sdec dold, dnew;
		int ro = sys_decide(c, c->o, sc, args, &dold);
		if (ro < 0)
			return -1;
		int rn = sys_decide(c, c->n, sc, args, &dnew);
		if (rn < 0)
			return -1;
		if (ro == 0 || rn == 0)
			return 0;
		if (dold.allowed == dnew.allowed && strcmp(dold.text, dnew.text) == 0)
			continue;
		enum diff_kind k = dnew.allowed && !dold.allowed   ? DIFF_WIDEN
		                   : dold.allowed && !dnew.allowed ? DIFF_NARROW
		                                                   : DIFF_CHANGE;
		if (done[k])
			continue;
		done[k] = true;
		const char *what = arena_printf(c->a, "%s -> %s", dold.text, dnew.text);
		if (!named) {
			/* Decided by the defaults on both sides: one line for all. */
			size_t g = 0;
			while (g < *ngroups && !(groups[g].kind == k && strcmp(groups[g].from, dold.text) == 0 &&
			                         strcmp(groups[g].to, dnew.text) == 0))
				g++;
			if (g == *ngroups) {
				if (*ngroups == 16)
					continue;
				groups[(*ngroups)++] = (struct dflt_group){k, dold.text, dnew.text, sc, 0};
			}
			groups[g].count++;
			continue;
		}
		struct diff_item *it = add_item(c, k, DIFF_PROC, sc, what);
		it->old_rule = rule_of(c->o, dold.rule);
		it->new_rule = rule_of(c->n, dnew.rule);
		if (conditional) {
			const char *ex = arena_printf(c->a, "%s(", sc);
			bool first = true;
			for (unsigned i = 0; i < 6; i++)
				if (nconds[i]) {
					ex = arena_printf(c->a, "%s%sarg%u=%s", ex, first ? "" : ", ", i,
					                  fmt_val(c->a, args[i]));
					first = false;
				}
			it->example = arena_printf(c->a, "%s)", ex);
			it->old_cond = sys_canon(c, c->o, sc);
			it->new_cond = sys_canon(c, c->n, sc);
		}
	}
	return 0;
}

static void add_name(struct arena *a, const char ***v, size_t *n, size_t *cap, const char *s)
{
	*ARENA_PUSH(a, *v, *n, *cap) = s;
}

static int proc_compare(struct dctx *c)
{
	if (!c->o->proc_present && !c->n->proc_present)
		return 0;
	const char **names = NULL;
	size_t n = 0, cap = 0;
	int na;
	const struct sysc_arch *native = &sysc_arches(&na)[0];
	for (int nr = 0; nr < MAX_NR; nr++) {
		const char *s = sysc_name(native, nr);
		if (s)
			add_name(c->a, &names, &n, &cap, s);
	}
	for (int k = 0; k < 2; k++) {
		const struct diff_side *s = k ? c->n : c->o;
		for (size_t i = 0; i < s->nsys; i++)
			add_name(c->a, &names, &n, &cap, s->sys[i].syscall);
	}
	qsort(names, n, sizeof(char *), cmp_str);
	struct dflt_group groups[16];
	size_t ngroups = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (sys_compare_one(c, names[i], groups, &ngroups) < 0)
			return -1;
	}
	for (size_t g = 0; g < ngroups; g++) {
		struct diff_item *it =
		        add_item(c, groups[g].kind, DIFF_PROC, "syscalls neither side names",
		                 arena_printf(c->a, "%s -> %s", groups[g].from, groups[g].to));
		it->example = groups[g].count > 1
		                      ? arena_printf(c->a, "%s and %zu more", groups[g].first,
		                                     groups[g].count - 1)
		                      : groups[g].first;
	}
	return 0;
}

/* ---- network ------------------------------------------------------------------ */

bool diff_glob_match(const char *pat, const char *s)
{
	/* Dynamic programming over (pattern position, text position), so a
	 * hostile pattern such as "*a*a*a*a*b" costs O(|pat| * |s|), never
	 * exponential time.  ok[j]: the pattern so far matches s[0..j). */
	size_t n = strlen(s);
	bool *ok = calloc(2 * (n + 1), sizeof(bool));
	if (!ok)
		abort();
	bool *cur = ok, *next = ok + n + 1;
	cur[0] = true;
	for (const char *p = pat; *p; p++) {
		bool star = *p == '*', deep = star && p[1] == '*';
		if (deep)
			p++;
		for (size_t j = 0; j <= n; j++) {
			if (star)
				next[j] = cur[j] || (j > 0 && next[j - 1] && (deep || s[j - 1] != '/'));
			else
				next[j] = j > 0 && cur[j - 1] && s[j - 1] == *p;
		}
		bool *t = cur;
		cur = next;
		next = t;
	}
	bool r = cur[n];
	free(ok);
	return r;
}

static bool ip_in(const struct ir_net_rule *r, int fam, const uint8_t *addr)
{
	if ((r->kind == IR_HOST_IPV4) != (fam == 4))
		return false;
	unsigned bits = r->prefix;
	for (unsigned i = 0; i < bits / 8; i++)
		if (addr[i] != r->addr[i])
			return false;
	if (bits % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - bits % 8));
		if ((addr[bits / 8] & m) != (r->addr[bits / 8] & m))
			return false;
	}
	return true;
}

struct nhost {
	const char *name; /* lower case, no trailing dot; NULL for an IP */
	int fam;          /* 4, 6, or 0 for a name */
	uint8_t addr[16];
};

static void nhost_parse(struct nhost *h, const char *host, char *buf, size_t n)
{
	memset(h, 0, sizeof(*h));
	snprintf(buf, n, "%s", host);
	size_t len = strlen(buf);
	if (len > 1 && buf[0] == '[' && buf[len - 1] == ']') {
		memmove(buf, buf + 1, len - 2);
		buf[len - 2] = '\0';
	}
	if (inet_pton(AF_INET, buf, h->addr) == 1) {
		h->fam = 4;
		return;
	}
	if (inet_pton(AF_INET6, buf, h->addr) == 1) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		h->fam = 6;
		if (memcmp(h->addr, mapped, 12) == 0) { /* ::ffff:a.b.c.d is IPv4 */
			memmove(h->addr, h->addr + 12, 4);
			memset(h->addr + 4, 0, 12);
			h->fam = 4;
		}
		return;
	}
	len = strlen(buf);
	if (len && buf[len - 1] == '.')
		buf[--len] = '\0';
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	h->name = buf;
}

static bool host_match(const struct ir_net_rule *r, const struct nhost *h)
{
	switch (r->kind) {
	case IR_HOST_NAME: return h->name && strcmp(h->name, r->host) == 0;
	case IR_HOST_WILDCARD: {
		if (!h->name)
			return false;
		size_t hl = strlen(h->name), sl = strlen(r->host);
		if (sl == 0 || strcmp(r->host, "*") == 0)
			return true;
		return hl > sl + 1 && h->name[hl - sl - 1] == '.' && strcmp(h->name + hl - sl, r->host) == 0;
	}
	case IR_HOST_IPV4:
	case IR_HOST_IPV6: return h->fam && ip_in(r, h->fam, h->addr);
	}
	return false;
}

/* runtime-min/nt.h, rules 3-5: inside a CONNECT tunnel (method NULL) the
 * method and path are unseen and match every row, so a deny row with
 * method/path constraints still refuses the tunnel (it might carry the
 * denied request) while an allow row's constraints are not applied. */
static bool rule_match(const struct ir_net_rule *r, const struct nhost *h, uint16_t port,
                       const char *method, const char *path)
{
	if (!host_match(r, h))
		return false;
	bool port_ok = r->nports == 0;
	for (size_t i = 0; i < r->nports && !port_ok; i++)
		port_ok = port >= r->ports[i].lo && port <= r->ports[i].hi;
	if (!port_ok)
		return false;
	if (!method)
		return true;
	if (r->methods) {
		int bit = ir_method_parse(method);
		if (bit < 0 || !(r->methods & (1u << bit)))
			return false;
	}
	if (r->npaths && path) {
		bool ok = false;
		for (size_t i = 0; i < r->npaths && !ok; i++)
			ok = diff_glob_match(r->paths[i], path);
		if (!ok)
			return false;
	}
	return true;
}

/* Rule 4: any matching deny row denies (the lowest rule id reported), else
 * the matching allow row with the lowest rule id allows. */
bool diff_net_decide(const struct ir_net_rule *rules, size_t n, const char *host,
                     uint16_t port, const char *method, const char *path,
                     const struct ir_net_rule **rule)
{
	char buf[512];
	struct nhost h;
	nhost_parse(&h, host, buf, sizeof(buf));
	if (method && strcmp(method, "CONNECT") == 0)
		method = NULL; /* a tunnel */
	/* Rule 6: a special address (loopback, private, metadata ...) is
	 * allowed only by a row lying inside its range. */
	uint8_t min_prefix = 0;
	if (h.fam && !nt_addr_special(h.fam == 4 ? AF_INET : AF_INET6, h.addr, &min_prefix))
		min_prefix = 0;
	const struct ir_net_rule *allow = NULL, *deny = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct ir_net_rule *r = &rules[i];
		if (!rule_match(r, &h, port, method, path))
			continue;
		if (!r->deny && h.fam && r->prefix < min_prefix)
			continue;
		const struct ir_net_rule **slot = r->deny ? &deny : &allow;
		if (!*slot || r->id < (*slot)->id)
			*slot = r;
	}
	*rule = deny ? deny : allow;
	return !deny && allow;
}

static int net_decide(struct dctx *c, const struct diff_side *s, const char *host, uint16_t port,
                      const char *method, const char *path, struct sdec *d)
{
	if (s->p) {
		const struct ir_net_rule *r;
		d->allowed = diff_net_decide(s->net, s->nnet, host, port, method, path, &r);
		d->rule = r ? r->id : 0;
		return 0;
	}
	struct decision q;
	if (!art_find(s->art, ART_SEC_NETTABLE, 0)) {
		d->allowed = false;
		d->rule = 0;
		return 0;
	}
	if (nt_query(s->art, host, port, method, path, &q, c->err, c->errlen) < 0)
		return -1;
	d->allowed = q.allowed;
	d->rule = q.rule_id;
	return 0;
}

static const char *ip_text(struct arena *a, int fam, const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
	return arena_strdup(a, buf);
}

/* addr += delta (+1/-1) over len bytes, big-endian; false on wrap. */
static bool ip_step(uint8_t *addr, size_t len, int delta)
{
	for (size_t i = len; i-- > 0;) {
		if (delta > 0 ? addr[i]++ != 0xff : addr[i]-- != 0)
			return true;
	}
	return false;
}

static void host_witnesses(struct dctx *c, const struct ir_net_rule *r, const char ***v,
                           size_t *n, size_t *cap)
{
	switch (r->kind) {
	case IR_HOST_NAME: add_name(c->a, v, n, cap, r->host); break;
	case IR_HOST_WILDCARD:
		add_name(c->a, v, n, cap, r->host);
		add_name(c->a, v, n, cap, arena_printf(c->a, "polc-a.%s", r->host));
		add_name(c->a, v, n, cap, arena_printf(c->a, "polc-a.polc-b.%s", r->host));
		break;
	case IR_HOST_IPV4:
	case IR_HOST_IPV6: {
		int fam = r->kind == IR_HOST_IPV4 ? 4 : 6;
		size_t len = fam == 4 ? 4 : 16;
		uint8_t lo[16], hi[16];
		memcpy(lo, r->addr, 16);
		memcpy(hi, r->addr, 16);
		for (unsigned b = r->prefix; b < len * 8; b++) {
			lo[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
			hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		}
		add_name(c->a, v, n, cap, ip_text(c->a, fam, lo));
		add_name(c->a, v, n, cap, ip_text(c->a, fam, hi));
		if (ip_step(lo, len, -1))
			add_name(c->a, v, n, cap, ip_text(c->a, fam, lo));
		if (ip_step(hi, len, +1))
			add_name(c->a, v, n, cap, ip_text(c->a, fam, hi));
		break;
	}
	}
}

static const char *glob_instance(struct arena *a, const char *pat)
{
	const char *out = "";
	for (const char *p = pat; *p; p++) {
		if (p[0] == '*' && p[1] == '*') {
			out = arena_printf(a, "%spolc/x", out);
			p++;
		} else if (*p == '*')
			out = arena_printf(a, "%spolc", out);
		else
			out = arena_printf(a, "%s%c", out, *p);
	}
	return out;
}

struct ngroup {
	enum diff_kind kind;
	uint32_t old_rule, new_rule;
	const char *example;
};

static int net_compare(struct dctx *c)
{
	if (!c->o->nnet && !c->n->nnet && !(c->o->art && art_find(c->o->art, ART_SEC_NETTABLE, 0)) &&
	    !(c->n->art && art_find(c->n->art, ART_SEC_NETTABLE, 0)))
		return 0;
	const char **hosts = NULL;
	size_t nh = 0, caph = 0;
	add_name(c->a, &hosts, &nh, &caph, "polc-unlisted.invalid");
	add_name(c->a, &hosts, &nh, &caph, "192.0.2.1");
	for (int k = 0; k < 2; k++) {
		const struct diff_side *s = k ? c->n : c->o;
		for (size_t i = 0; i < s->nnet; i++)
			host_witnesses(c, &s->net[i], &hosts, &nh, &caph);
	}
	qsort(hosts, nh, sizeof(char *), cmp_str);
	struct ngroup *groups = NULL;
	size_t ng = 0, capg = 0;
	for (size_t hi = 0; hi < nh; hi++) {
		if (hi && strcmp(hosts[hi], hosts[hi - 1]) == 0)
			continue;
		const char *host = hosts[hi];
		char buf[512];
		struct nhost h;
		nhost_parse(&h, host, buf, sizeof(buf));
		/* Ports, methods and paths of the rules that match this host. */
		uint64_t *ports = NULL;
		size_t np = 0, capp = 0;
		uint32_t methods = 0;
		const char **paths = NULL;
		size_t npa = 0, cappa = 0;
		uint64_t one = 1, top = 65535;
		*ARENA_PUSH(c->a, ports, np, capp) = one;
		*ARENA_PUSH(c->a, ports, np, capp) = top;
		add_name(c->a, &paths, &npa, &cappa, "/polc-unlisted");
		for (int k = 0; k < 2; k++) {
			const struct diff_side *s = k ? c->n : c->o;
			for (size_t i = 0; i < s->nnet; i++) {
				const struct ir_net_rule *r = &s->net[i];
				if (!host_match(r, &h))
					continue;
				for (size_t j = 0; j < r->nports; j++) {
					uint64_t lo = r->ports[j].lo, hp = r->ports[j].hi;
					*ARENA_PUSH(c->a, ports, np, capp) = lo;
					*ARENA_PUSH(c->a, ports, np, capp) = hp;
					if (lo > 1)
						*ARENA_PUSH(c->a, ports, np, capp) = lo - 1;
					if (hp < 65535)
						*ARENA_PUSH(c->a, ports, np, capp) = hp + 1;
				}
				methods |= r->methods;
				for (size_t j = 0; j < r->npaths; j++)
					add_name(c->a, &paths, &npa, &cappa, glob_instance(c->a, r->paths[j]));
			}
		}
		qsort(ports, np, sizeof(uint64_t), cmp_u64);
		/* One method the rules do not name stands for all of them. */
		for (int b = 0; b < 32; b++) {
			if (strcmp(ir_method_name(b), "?") == 0)
				break;
			if (!(methods & (1u << b))) {
				methods |= 1u << b;
				break;
			}
		}
		for (size_t pi = 0; pi < np; pi++) {
			if (pi && ports[pi] == ports[pi - 1])
				continue;
			uint16_t port = (uint16_t)ports[pi];
			for (int b = -1; b < 32; b++) {
				if (b >= 0 && (strcmp(ir_method_name(b), "?") == 0 || !(methods & (1u << b))))
					continue;
				const char *m = b < 0 ? NULL : ir_method_name(b);
				for (size_t qa = 0; qa < (m ? npa : 1); qa++) {
					const char *path = m ? paths[qa] : NULL;
					struct sdec dold, dnew;
					if (net_decide(c, c->o, host, port, m, path, &dold) < 0 ||
					    net_decide(c, c->n, host, port, m, path, &dnew) < 0)
						return -1;
					if (dold.allowed == dnew.allowed)
						continue;
					enum diff_kind k = dnew.allowed ? DIFF_WIDEN : DIFF_NARROW;
					size_t g = 0;
					while (g < ng && !(groups[g].kind == k && groups[g].old_rule == dold.rule &&
					                   groups[g].new_rule == dnew.rule))
						g++;
					if (g < ng)
						continue;
					const char *hp = h.fam == 6 ? arena_printf(c->a, "[%s]", host) : host;
					struct ngroup *ngp = ARENA_PUSH(c->a, groups, ng, capg);
					ngp->kind = k;
					ngp->old_rule = dold.rule;
					ngp->new_rule = dnew.rule;
					ngp->example = m ? arena_printf(c->a, "%s http://%s:%u%s", m, hp, port, path)
					                 : arena_printf(c->a, "CONNECT %s:%u", hp, port);
				}
			}
		}
	}
	for (size_t g = 0; g < ng; g++) {
		struct diff_rule ro = rule_of(c->o, groups[g].old_rule),
		                 rn = rule_of(c->n, groups[g].new_rule);
		bool widen = groups[g].kind == DIFF_WIDEN;
		const struct diff_rule *by = widen ? &rn : &ro;
		struct diff_item *it =
		        add_item(c, groups[g].kind, DIFF_NET, by->text ? by->text : "(default)",
		                 widen ? "newly allowed" : "no longer allowed");
		it->example = groups[g].example;
		it->old_rule = ro;
		it->new_rule = rn;
	}
	return 0;
}

/* ---- driver --------------------------------------------------------------------- */

static int cmp_item(const void *x, const void *y)
{
	const struct diff_item *a = x, *b = y;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if (a->dom != b->dom)
		return (int)a->dom - (int)b->dom;
	int s = strcmp(a->subject, b->subject);
	if (s)
		return s;
	return strcmp(a->what, b->what);
}

int diff_run(struct arena *a, const struct diff_side *old, const struct diff_side *new_,
             struct diff_result *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct dctx c = {a, old, new_, out, err, errlen};
	fs_compare(&c);
	if (proc_compare(&c) < 0 || net_compare(&c) < 0)
		return -1;
	misc_compare(&c);
	/* Filesystem items keep path order (parents first) within a kind. */
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_item);
	return 0;
}
