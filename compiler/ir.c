/* ir.c — IR construction helpers, merging, finalisation, dump, and the
 * reference semantics of the process section. */
#include "ir.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "sysc.h"

struct ir_policy *ir_policy_new(struct arena *a)
{
	struct ir_policy *p = arena_alloc(a, sizeof(*p));
	p->a = a;
	p->proc.def.kind = IR_ACT_ERRNO;
	p->proc.def.errno_val = EPERM;
	p->proc.other_abis.kind = IR_ACT_KILL;
	p->proc.scopes = LL_SCOPE_signal | LL_SCOPE_abstract_unix_socket;
	return p;
}

/* ---- names ---------------------------------------------------------------- */

const char *ir_act_name(enum ir_act k)
{
	switch (k) {
	case IR_ACT_ALLOW: return "allow";
	case IR_ACT_LOG: return "log";
	case IR_ACT_ERRNO: return "errno";
	case IR_ACT_TRAP: return "trap";
	case IR_ACT_KILL_THREAD: return "kill_thread";
	case IR_ACT_KILL: return "kill";
	}
	return "?";
}

const char *ir_errno_name(uint16_t e)
{
	return e ? strerrorname_np(e) : NULL;
}

int ir_errno_parse(const char *s, uint16_t *out)
{
	if (isdigit((unsigned char)s[0])) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(s, &end, 10);
		if (errno || *end || v > 4095)
			return -1;
		*out = (uint16_t)v;
		return 0;
	}
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, s) == 0) {
			*out = (uint16_t)e;
			return 0;
		}
	}
	return -1;
}

int ir_action_str(char *buf, size_t n, struct ir_action a)
{
	if (a.kind != IR_ACT_ERRNO)
		return snprintf(buf, n, "%s", ir_act_name(a.kind));
	const char *en = ir_errno_name(a.errno_val);
	return en ? snprintf(buf, n, "errno %s", en) : snprintf(buf, n, "errno %u", a.errno_val);
}

int ir_action_parse(const char *s, struct ir_action *out)
{
	static const struct {
		const char *name;
		enum ir_act kind;
	} names[] = {{"allow", IR_ACT_ALLOW},         {"log", IR_ACT_LOG},   {"trap", IR_ACT_TRAP},
	             {"kill_thread", IR_ACT_KILL_THREAD}, {"kill", IR_ACT_KILL},
	             {"kill_process", IR_ACT_KILL}};
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			out->kind = names[i].kind;
			return 0;
		}
	if (strncmp(s, "errno", 5) == 0 && (s[5] == ' ' || s[5] == '\0')) {
		out->kind = IR_ACT_ERRNO;
		if (s[5] == '\0') {
			out->errno_val = EPERM;
			return 0;
		}
		const char *v = s + 6;
		while (*v == ' ')
			v++;
		return ir_errno_parse(v, &out->errno_val);
	}
	return -1;
}

int ir_action_rank(struct ir_action a)
{
	/* kill > kill_thread > trap > errno > log > allow; among errnos the
	 * lower number wins, which is arbitrary but deterministic. */
	switch (a.kind) {
	case IR_ACT_ALLOW: return 0;
	case IR_ACT_LOG: return 1;
	case IR_ACT_ERRNO: return 2 + (4095 - a.errno_val);
	case IR_ACT_TRAP: return 5000;
	case IR_ACT_KILL_THREAD: return 5001;
	case IR_ACT_KILL: return 5002;
	}
	return 5002;
}

static const char *const op_names[] = {"eq", "ne", "lt", "le", "gt", "ge", "in", "masked_eq"};

const char *ir_op_name(enum ir_op op)
{
	return (unsigned)op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "?";
}

int ir_op_parse(const char *s, enum ir_op *out)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strcmp(s, op_names[i]) == 0) {
			*out = (enum ir_op)i;
			return 0;
		}
	return -1;
}

static const char *const cap_names[] = {
#define CAP(n, v) [v] = #n,
#include "caps.def"
#undef CAP
};

int ir_cap_parse(const char *s)
{
	if (strncasecmp(s, "CAP_", 4) == 0)
		s += 4;
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (cap_names[i] && strcasecmp(s, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *ir_cap_name(int cap)
{
	return cap >= 0 && (size_t)cap < sizeof(cap_names) / sizeof(cap_names[0]) ? cap_names[cap]
	                                                                          : NULL;
}

static const struct {
	const char *name;
	uint64_t bit;
} fs_rights[] = {
#define LL_FS(n, b, abi, f, doc) {#n, 1ull << b},
#include "ll_rights.def"
};

uint64_t ir_fs_right_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(fs_rights) / sizeof(fs_rights[0]); i++)
		if (strcmp(s, fs_rights[i].name) == 0)
			return fs_rights[i].bit;
	return 0;
}

void ir_fs_access_str(char *buf, size_t n, uint64_t access)
{
	size_t off = 0;
	buf[0] = '\0';
	const char *alias = access == IR_FS_WRITE ? "write"
	                    : access == IR_FS_EXEC ? "exec"
	                    : access == IR_FS_READ ? "read"
	                                           : NULL;
	if (alias) {
		snprintf(buf, n, "%s", alias);
		return;
	}
	for (size_t i = 0; i < sizeof(fs_rights) / sizeof(fs_rights[0]); i++) {
		if (!(access & fs_rights[i].bit))
			continue;
		int w = snprintf(buf + off, off < n ? n - off : 0, "%s%s", off ? "," : "",
		                 fs_rights[i].name);
		if (w > 0)
			off += (size_t)w;
	}
}

static const char *const method_names[] = {
#define X(m) #m,
	IR_HTTP_METHODS(X)
#undef X
};

int ir_method_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (strcmp(s, method_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *ir_method_name(int bit)
{
	return bit >= 0 && (size_t)bit < sizeof(method_names) / sizeof(method_names[0])
	               ? method_names[bit]
	               : "?";
}

/* ---- merge and finalise --------------------------------------------------- */

#define APPEND_ALL(a, dv, dn, dcap, sv, sn)                                                     \
	do {                                                                                    \
		for (size_t i_ = 0; i_ < (sn); i_++)                                            \
			*ARENA_PUSH((a), (dv), (dn), (dcap)) = (sv)[i_];                        \
	} while (0)

void ir_merge(struct ir_policy *dst, const struct ir_policy *src)
{
	struct arena *a = dst->a;
	if (src->name) {
		dst->name = src->name;
		dst->name_pos = src->name_pos;
	}
	if (src->description)
		dst->description = src->description;
	APPEND_ALL(a, dst->sources, dst->nsources, dst->capsources, src->sources, src->nsources);
	APPEND_ALL(a, dst->extends, dst->nextends, dst->capextends, src->extends, src->nextends);

	dst->fs.present |= src->fs.present;
	APPEND_ALL(a, dst->fs.rules, dst->fs.nrules, dst->fs.caprules, src->fs.rules,
	           src->fs.nrules);
	if (src->fs.noptional) {
		/* Paths and positions are parallel arrays: grow both at once. */
		size_t n = dst->fs.noptional + src->fs.noptional;
		dst->fs.optional = arena_grow(a, dst->fs.optional, dst->fs.noptional, n,
		                              sizeof(*dst->fs.optional));
		dst->fs.optional_pos = arena_grow(a, dst->fs.optional_pos, dst->fs.noptional, n,
		                                  sizeof(*dst->fs.optional_pos));
		memcpy(dst->fs.optional + dst->fs.noptional, src->fs.optional,
		       src->fs.noptional * sizeof(*src->fs.optional));
		memcpy(dst->fs.optional_pos + dst->fs.noptional, src->fs.optional_pos,
		       src->fs.noptional * sizeof(*src->fs.optional_pos));
		dst->fs.noptional = dst->fs.capoptional = n;
	}
	if (src->fs.min_abi) {
		dst->fs.min_abi = src->fs.min_abi;
		dst->fs.min_abi_pos = src->fs.min_abi_pos;
	}

	dst->proc.present |= src->proc.present;
	if (src->proc.def_set) {
		dst->proc.def = src->proc.def;
		dst->proc.def_set = true;
		dst->proc.def_pos = src->proc.def_pos;
	}
	if (src->proc.other_abis_set) {
		dst->proc.other_abis = src->proc.other_abis;
		dst->proc.other_abis_set = true;
		dst->proc.other_abis_pos = src->proc.other_abis_pos;
	}
	APPEND_ALL(a, dst->proc.rules, dst->proc.nrules, dst->proc.caprules, src->proc.rules,
	           src->proc.nrules);
	if (src->proc.scopes_set) {
		dst->proc.scopes = src->proc.scopes;
		dst->proc.scopes_set = true;
		dst->proc.scopes_pos = src->proc.scopes_pos;
	}
	if (src->proc.caps) {
		dst->proc.caps |= src->proc.caps;
		dst->proc.caps_pos = src->proc.caps_pos;
	}

	dst->net.present |= src->net.present;
	APPEND_ALL(a, dst->net.rules, dst->net.nrules, dst->net.caprules, src->net.rules,
	           src->net.nrules);
	APPEND_ALL(a, dst->net.binds, dst->net.nbinds, dst->net.capbinds, src->net.binds,
	           src->net.nbinds);
}

static struct ir_rule_ref *add_ref(struct ir_policy *p, size_t *cap, enum ir_domain dom,
                                   struct src_pos pos, const char *text)
{
	struct ir_rule_ref *r = ARENA_PUSH(p->a, p->rules, p->nrules, *cap);
	r->id = (uint32_t)p->nrules;
	r->domain = dom;
	r->pos = pos;
	r->text = text;
	return r;
}

static const char *cond_text(struct arena *a, const struct ir_arg_cond *c)
{
	char buf[512];
	size_t off = (size_t)snprintf(buf, sizeof(buf), "arg%u %s", c->index, ir_op_name(c->op));
	if (c->op == IR_OP_MASKED_EQ)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "(0x%" PRIx64 ")", c->mask);
	for (size_t i = 0; i < c->nvalues && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%" PRIu64,
		                        i ? "," : " ", c->values[i]);
	return arena_strdup(a, buf);
}

static const char *sys_rule_text(struct arena *a, const struct ir_sys_rule *r)
{
	char act[64];
	ir_action_str(act, sizeof(act), r->action);
	const char *t = arena_printf(a, "%s %s", act, r->syscall);
	for (size_t i = 0; i < r->nconds; i++)
		t = arena_printf(a, "%s%s%s", t, i ? " && " : " if ", cond_text(a, &r->conds[i]));
	return t;
}

static const char *net_rule_text(struct arena *a, const struct ir_net_rule *r)
{
	const char *t = arena_printf(a, "%s %s%s", r->deny ? "deny" : "allow",
	                             r->kind == IR_HOST_WILDCARD ? "*." : "", r->host);
	if ((r->kind == IR_HOST_IPV4 && r->prefix != 32) ||
	    (r->kind == IR_HOST_IPV6 && r->prefix != 128))
		if (!strchr(r->host, '/'))
			t = arena_printf(a, "%s/%u", t, r->prefix);
	for (size_t i = 0; i < r->nports; i++) {
		if (r->ports[i].lo == r->ports[i].hi)
			t = arena_printf(a, "%s%s%u", t, i ? "," : ":", r->ports[i].lo);
		else
			t = arena_printf(a, "%s%s%u-%u", t, i ? "," : ":", r->ports[i].lo,
			                 r->ports[i].hi);
	}
	if (r->methods) {
		const char *m = "";
		for (int b = 0; b < 32; b++)
			if (r->methods & (1u << b))
				m = arena_printf(a, "%s%s%s", m, *m ? "," : "", ir_method_name(b));
		t = arena_printf(a, "%s %s", t, m);
	}
	for (size_t i = 0; i < r->npaths; i++)
		t = arena_printf(a, "%s%s%s", t, i ? "," : " ", r->paths[i]);
	return t;
}

void ir_finalize(struct ir_policy *p, struct diag_sink *d)
{
	(void)d;
	size_t cap = 0;
	p->rules = NULL;
	p->nrules = 0;

	for (size_t i = 0; i < p->fs.nrules; i++) {
		struct ir_fs_rule *r = &p->fs.rules[i];
		for (size_t j = 0; j < p->fs.noptional; j++)
			if (strcmp(p->fs.optional[j], r->path) == 0)
				r->optional = true;
		char acc[512];
		ir_fs_access_str(acc, sizeof(acc), r->access);
		r->id = add_ref(p, &cap, IR_DOM_FS, r->pos,
		                arena_printf(p->a, "%s %s%s", acc, r->path,
		                             r->optional ? " (optional)" : ""))
		                ->id;
	}
	/* `deny:` entries get the default action, or errno EPERM when the
	 * default is to allow. */
	struct ir_action deny_act = p->proc.def;
	if (deny_act.kind == IR_ACT_ALLOW || deny_act.kind == IR_ACT_LOG) {
		deny_act.kind = IR_ACT_ERRNO;
		deny_act.errno_val = EPERM;
	}
	for (size_t i = 0; i < p->proc.nrules; i++) {
		struct ir_sys_rule *r = &p->proc.rules[i];
		if (r->origin == IR_SYS_DENY_LIST)
			r->action = deny_act;
		r->id = add_ref(p, &cap, IR_DOM_PROC, r->pos, sys_rule_text(p->a, r))->id;
	}
	for (size_t i = 0; i < p->net.nrules; i++) {
		struct ir_net_rule *r = &p->net.rules[i];
		r->id = add_ref(p, &cap, IR_DOM_NET, r->pos, net_rule_text(p->a, r))->id;
	}
	for (size_t i = 0; i < p->net.nbinds; i++) {
		struct ir_bind *b = &p->net.binds[i];
		b->id = add_ref(p, &cap, IR_DOM_BIND, b->pos, arena_printf(p->a, "bind tcp %u", b->port))
		                ->id;
	}
}

const struct ir_rule_ref *ir_rule(const struct ir_policy *p, uint32_t id)
{
	return id >= 1 && id <= p->nrules ? &p->rules[id - 1] : NULL;
}

/* ---- reference semantics -------------------------------------------------- */

static bool cond_holds(const char *sc, const struct ir_arg_cond *c, const uint64_t args[6])
{
	uint64_t v = args[c->index];
	uint64_t width = sysc_arg_is32(sc, c->index) ? 0xffffffffull : ~0ull;
	v &= width;
	switch (c->op) {
	case IR_OP_EQ: return v == (c->values[0] & width);
	case IR_OP_NE: return v != (c->values[0] & width);
	case IR_OP_LT: return v < (c->values[0] & width);
	case IR_OP_LE: return v <= (c->values[0] & width);
	case IR_OP_GT: return v > (c->values[0] & width);
	case IR_OP_GE: return v >= (c->values[0] & width);
	case IR_OP_MASKED_EQ: return (v & c->mask & width) == (c->values[0] & width);
	case IR_OP_IN:
		for (size_t i = 0; i < c->nvalues; i++)
			if (v == (c->values[i] & width))
				return true;
		return false;
	}
	return false;
}

struct ir_action ir_proc_decide(const struct ir_policy *p, const char *syscall,
                                const uint64_t args[6], uint32_t *rule_id)
{
	struct ir_action best = p->proc.def;
	uint32_t best_id = 0;
	bool matched = false;
	for (size_t i = 0; i < p->proc.nrules; i++) {
		const struct ir_sys_rule *r = &p->proc.rules[i];
		if (strcmp(r->syscall, syscall) != 0)
			continue;
		bool ok = true;
		for (size_t j = 0; j < r->nconds && ok; j++)
			ok = cond_holds(syscall, &r->conds[j], args);
		if (!ok)
			continue;
		/* Several matching rules: the most restrictive action wins, the
		 * first such rule is the one reported. */
		if (!matched || ir_action_rank(r->action) > ir_action_rank(best)) {
			best = r->action;
			best_id = r->id;
			matched = true;
		}
	}
	if (rule_id)
		*rule_id = best_id;
	return best;
}

/* ---- dump ----------------------------------------------------------------- */

static void pos_str(char *buf, size_t n, struct src_pos pos)
{
	if (pos.file)
		snprintf(buf, n, "%s:%u:%u", pos.file, pos.line, pos.col);
	else
		snprintf(buf, n, "-");
}

void ir_dump(const struct ir_policy *p, FILE *out)
{
	char pb[1024], ab[512];
	fprintf(out, "policy %s\n", p->name ? p->name : "(unnamed)");
	if (p->description)
		fprintf(out, "  description %s\n", p->description);
	for (size_t i = 0; i < p->nextends; i++)
		fprintf(out, "  extends %s\n", p->extends[i].name);

	fprintf(out, "filesystem%s\n", p->fs.present ? "" : " (absent)");
	if (p->fs.min_abi)
		fprintf(out, "  min_abi %u\n", p->fs.min_abi);
	for (size_t i = 0; i < p->fs.nrules; i++) {
		const struct ir_fs_rule *r = &p->fs.rules[i];
		ir_fs_access_str(ab, sizeof(ab), r->access);
		pos_str(pb, sizeof(pb), r->pos);
		fprintf(out, "  #%u %s %s%s  @%s\n", r->id, r->path, ab,
		        r->optional ? " optional" : "", pb);
	}

	fprintf(out, "process%s\n", p->proc.present ? "" : " (absent)");
	ir_action_str(ab, sizeof(ab), p->proc.def);
	fprintf(out, "  default %s\n", ab);
	ir_action_str(ab, sizeof(ab), p->proc.other_abis);
	fprintf(out, "  other_abis %s\n", ab);
	fprintf(out, "  scopes%s%s%s\n", p->proc.scopes & LL_SCOPE_signal ? " signal" : "",
	        p->proc.scopes & LL_SCOPE_abstract_unix_socket ? " abstract_unix_socket" : "",
	        p->proc.scopes ? "" : " none");
	if (p->proc.caps) {
		fprintf(out, "  capabilities");
		for (int c = 0; c < 64; c++)
			if (p->proc.caps & (1ull << c))
				fprintf(out, " CAP_%s", ir_cap_name(c));
		fputc('\n', out);
	}
	for (size_t i = 0; i < p->proc.nrules; i++) {
		const struct ir_sys_rule *r = &p->proc.rules[i];
		pos_str(pb, sizeof(pb), r->pos);
		fprintf(out, "  #%u %s  @%s\n", r->id, sys_rule_text(p->a, r), pb);
	}

	fprintf(out, "network%s\n", p->net.present ? "" : " (absent)");
	for (size_t i = 0; i < p->net.nrules; i++) {
		const struct ir_net_rule *r = &p->net.rules[i];
		pos_str(pb, sizeof(pb), r->pos);
		fprintf(out, "  #%u %s  @%s\n", r->id, net_rule_text(p->a, r), pb);
	}
	for (size_t i = 0; i < p->net.nbinds; i++) {
		pos_str(pb, sizeof(pb), p->net.binds[i].pos);
		fprintf(out, "  #%u bind %u  @%s\n", p->net.binds[i].id, p->net.binds[i].port, pb);
	}
}
