/* conv.c — IR to polc YAML (see conv.h). */
#include "conv.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "arena.h"

/* A scalar as YAML that yml.c reads back as the same string: plain when it
 * is made of characters that can never start or change a YAML construct,
 * else double-quoted with escapes. */
static void scalar(FILE *out, const char *s)
{
	bool plain = *s && *s != '-' && strcmp(s, "null") && strcmp(s, "Null") &&
	             strcmp(s, "NULL") && strcmp(s, "~");
	for (const char *p = s; plain && *p; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || strchr("/._-+@", *p);
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* A comment line's text: control characters shown as '?'. */
static void comment(FILE *out, const char *prefix, const char *s)
{
	fputs(prefix, out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
	fputc('\n', out);
}

/* A flow list of syscall names after `lead` (e.g. "  allow: "), wrapped
 * under its first item so lines stay near 100 columns. */
struct flow {
	FILE *out;
	size_t col, indent, n;
};

static void flow_start(struct flow *f, FILE *out, const char *lead)
{
	fputs(lead, out);
	fputc('[', out);
	*f = (struct flow){out, strlen(lead) + 1, strlen(lead) + 1, 0};
}

static void flow_item(struct flow *f, const char *s)
{
	size_t len = strlen(s);
	if (f->n && f->col + 2 + len > 98) {
		fprintf(f->out, ",\n%*s", (int)f->indent, "");
		f->col = f->indent;
	} else if (f->n) {
		fputs(", ", f->out);
		f->col += 2;
	}
	fputs(s, f->out);
	f->col += len;
	f->n++;
}

static void flow_end(struct flow *f) { fputs("]\n", f->out); }

/* ---- filesystem ---------------------------------------------------------------- */

enum { G_READ, G_EXEC, G_WRITE, G_RULE, G__N };

static int fs_group(uint64_t access)
{
	return access == IR_FS_READ ? G_READ : access == IR_FS_EXEC ? G_EXEC
	       : access == IR_FS_WRITE                        ? G_WRITE
	                                                      : G_RULE;
}

/* Can rules grouped by `group` keep their order?  Yes when each group's
 * members are contiguous: yml.c reads the keys in document order.  order
 * gets the groups in the order to write them. */
static bool groupable(const int *group, size_t n, int *order, int *norder)
{
	bool seen[G__N] = {false};
	*norder = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && group[i] == group[i - 1])
			continue;
		if (seen[group[i]])
			return false;
		seen[group[i]] = true;
		order[(*norder)++] = group[i];
	}
	return true;
}

/* The rights as the largest shorthand they contain plus the rest:
 * [write, execute] rather than fourteen names. */
static void access_list(FILE *out, uint64_t access)
{
	static const struct {
		const char *name;
		uint64_t set;
	} shorthands[] = {{"write", IR_FS_WRITE}, {"exec", IR_FS_EXEC}, {"read", IR_FS_READ}};
	char buf[512];
	const char *sep = "";
	fputc('[', out);
	for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++)
		if ((access & shorthands[i].set) == shorthands[i].set) {
			fputs(shorthands[i].name, out);
			access &= ~shorthands[i].set;
			sep = ", ";
			break;
		}
	if (access) {
		ir_fs_access_str(buf, sizeof(buf), access);
		fputs(sep, out);
		for (char *p = buf; *p; p++)
			fputs(*p == ',' ? ", " : (char[]){*p, 0}, out);
	}
	fputc(']', out);
}

static void write_fs(const struct ir_policy *p, FILE *out)
{
	const struct ir_fs *fs = &p->fs;
	if (!fs->present)
		return;
	if (!fs->nrules && !fs->min_abi) {
		fputs("filesystem: {}\n", out);
		return;
	}
	fputs("filesystem:\n", out);
	int *group = arena_array(p->a, fs->nrules ? fs->nrules : 1, sizeof(int)), order[G__N], norder;
	for (size_t i = 0; i < fs->nrules; i++)
		group[i] = fs_group(fs->rules[i].access);
	bool grouped = groupable(group, fs->nrules, order, &norder);
	if (!grouped) {
		order[0] = G_RULE;
		norder = fs->nrules ? 1 : 0;
	}
	static const char *const key[] = {"read", "exec", "write", "rules"};
	for (int g = 0; g < norder; g++) {
		fprintf(out, "  %s:\n", key[order[g]]);
		for (size_t i = 0; i < fs->nrules; i++) {
			const struct ir_fs_rule *r = &fs->rules[i];
			if (grouped && group[i] != order[g])
				continue;
			if (order[g] != G_RULE) {
				fputs("    - ", out);
				scalar(out, r->path);
				fputc('\n', out);
				continue;
			}
			fputs("    - path: ", out);
			scalar(out, r->path);
			fputs("\n      access: ", out);
			access_list(out, r->access);
			fputc('\n', out);
		}
	}
	/* Optional paths, once each, in first-seen order. */
	bool any = false;
	for (size_t i = 0; i < fs->nrules; i++) {
		const struct ir_fs_rule *r = &fs->rules[i];
		bool first = r->optional;
		for (size_t j = 0; first && j < i; j++)
			first = !(fs->rules[j].optional && strcmp(fs->rules[j].path, r->path) == 0);
		if (!first)
			continue;
		fputs(any ? "    - " : "  optional:\n    - ", out);
		scalar(out, r->path);
		fputc('\n', out);
		any = true;
	}
	if (fs->min_abi)
		fprintf(out, "  min_abi: %u\n", fs->min_abi);
}

/* ---- process ---------------------------------------------------------------------- */

static void action(FILE *out, struct ir_action a)
{
	char buf[64];
	ir_action_str(buf, sizeof(buf), a);
	fputs(buf, out);
}

static void value(FILE *out, uint64_t v)
{
	if (v < 4096)
		fprintf(out, "%" PRIu64, v);
	else
		fprintf(out, "0x%" PRIx64, v);
}

static void cond(FILE *out, const struct ir_arg_cond *c)
{
	fprintf(out, "        - {index: %u, op: %s, ", c->index, ir_op_name(c->op));
	if (c->op == IR_OP_MASKED_EQ) {
		fputs("mask: ", out);
		value(out, c->mask);
		fputs(", ", out);
	}
	if (c->op == IR_OP_IN) {
		fputs("values: [", out);
		for (size_t i = 0; i < c->nvalues; i++) {
			if (i)
				fputs(", ", out);
			value(out, c->values[i]);
		}
		fputs("]}\n", out);
		return;
	}
	fputs("value: ", out);
	value(out, c->nvalues ? c->values[0] : 0);
	fputs("}\n", out);
}

static bool same_conds(const struct ir_sys_rule *a, const struct ir_sys_rule *b)
{
	if (a->nconds != b->nconds)
		return false;
	for (size_t i = 0; i < a->nconds; i++) {
		const struct ir_arg_cond *x = &a->conds[i], *y = &b->conds[i];
		if (x->index != y->index || x->op != y->op || x->mask != y->mask ||
		    x->nvalues != y->nvalues ||
		    memcmp(x->values, y->values, x->nvalues * sizeof(*x->values)) != 0)
			return false;
	}
	return true;
}

/* Rules written as one `syscalls:` list: the same conditions and action. */
static bool same_rule(const struct ir_sys_rule *a, const struct ir_sys_rule *b)
{
	return a->action.kind == b->action.kind && a->action.errno_val == b->action.errno_val &&
	       same_conds(a, b);
}

static void write_proc(const struct ir_policy *p, FILE *out)
{
	const struct ir_process *pr = &p->proc;
	if (!pr->present)
		return;
	fputs("process:\n  default: ", out);
	action(out, pr->def);
	fputs("\n  other_abis: ", out);
	action(out, pr->other_abis);
	fputc('\n', out);
	if (pr->caps) {
		fputs("  capabilities: [", out);
		bool first = true;
		for (int c = 0; c < 64; c++)
			if ((pr->caps & (1ull << c)) && ir_cap_name(c)) {
				fprintf(out, "%sCAP_%s", first ? "" : ", ", ir_cap_name(c));
				first = false;
			}
		fputs("]\n", out);
	}
	uint64_t all = LL_SCOPE_signal | LL_SCOPE_abstract_unix_socket;
	if (pr->scopes_set || pr->scopes != all) {
		const char *sig = pr->scopes & LL_SCOPE_signal ? "signal" : NULL;
		const char *abs = pr->scopes & LL_SCOPE_abstract_unix_socket ? "abstract_unix_socket"
		                                                             : NULL;
		fprintf(out, "  scopes: [%s%s%s]\n", sig ? sig : "", sig && abs ? ", " : "",
		        abs ? abs : "");
	}
	/* allow: / deny: / rules: keep their document order in yml.c. */
	int *group = arena_array(p->a, pr->nrules ? pr->nrules : 1, sizeof(int)), order[G__N], norder;
	for (size_t i = 0; i < pr->nrules; i++)
		group[i] = pr->rules[i].origin == IR_SYS_ALLOW_LIST  ? G_READ
		           : pr->rules[i].origin == IR_SYS_DENY_LIST ? G_EXEC
		                                                     : G_RULE;
	bool grouped = groupable(group, pr->nrules, order, &norder);
	if (!grouped) {
		order[0] = G_RULE;
		norder = pr->nrules ? 1 : 0;
	}
	for (int g = 0; g < norder; g++) {
		if (order[g] != G_RULE) {
			struct flow f;
			flow_start(&f, out, order[g] == G_READ ? "  allow: " : "  deny: ");
			for (size_t i = 0; i < pr->nrules; i++)
				if (group[i] == order[g])
					flow_item(&f, pr->rules[i].syscall);
			flow_end(&f);
			continue;
		}
		fputs("  rules:\n", out);
		for (size_t i = 0; i < pr->nrules;) {
			const struct ir_sys_rule *r = &pr->rules[i];
			if (grouped && group[i] != G_RULE) {
				i++;
				continue;
			}
			/* Consecutive rules with the same conditions and action share
			 * one `syscalls:` list (under rules: every action is explicit,
			 * whatever list a rule came from). */
			size_t j = i + 1;
			while (j < pr->nrules && (!grouped || group[j] == G_RULE) &&
			       same_rule(r, &pr->rules[j]))
				j++;
			struct flow f;
			flow_start(&f, out, "    - syscalls: ");
			for (size_t k = i; k < j; k++)
				flow_item(&f, pr->rules[k].syscall);
			flow_end(&f);
			if (r->nconds) {
				fputs("      args:\n", out);
				for (size_t k = 0; k < r->nconds; k++)
					cond(out, &r->conds[k]);
			}
			fputs("      action: ", out);
			action(out, r->action);
			fputc('\n', out);
			i = j;
		}
	}
}

/* ---- network ---------------------------------------------------------------------- */

static void write_net(const struct ir_policy *p, FILE *out)
{
	const struct ir_net *net = &p->net;
	if (!net->present)
		return;
	if (!net->nrules && !net->nbinds) {
		fputs("network: {}\n", out);
		return;
	}
	fputs("network:\n", out);
	if (net->nrules)
		fputs("  outbound:\n", out);
	for (size_t i = 0; i < net->nrules; i++) {
		const struct ir_net_rule *r = &net->rules[i];
		char host[300];
		unsigned full = r->kind == IR_HOST_IPV6 ? 128 : 32;
		if (r->kind == IR_HOST_WILDCARD)
			snprintf(host, sizeof(host), "*.%s", r->host);
		else if ((r->kind == IR_HOST_IPV4 || r->kind == IR_HOST_IPV6) &&
		         r->prefix != full && !strchr(r->host, '/'))
			snprintf(host, sizeof(host), "%s/%u", r->host, r->prefix);
		else
			snprintf(host, sizeof(host), "%s", r->host);
		fputs("    - host: ", out);
		scalar(out, host);
		fputs("\n      ports: [", out);
		for (size_t k = 0; k < r->nports; k++) {
			if (r->ports[k].lo == r->ports[k].hi)
				fprintf(out, "%s%u", k ? ", " : "", r->ports[k].lo);
			else
				fprintf(out, "%s\"%u-%u\"", k ? ", " : "", r->ports[k].lo, r->ports[k].hi);
		}
		fputs("]\n", out);
		if (r->methods) {
			fputs("      methods: [", out);
			bool first = true;
			for (int b = 0; b < 32; b++)
				if (r->methods & (1u << b)) {
					fprintf(out, "%s%s", first ? "" : ", ", ir_method_name(b));
					first = false;
				}
			fputs("]\n", out);
		}
		if (r->npaths) {
			fputs("      paths: [", out);
			for (size_t k = 0; k < r->npaths; k++) {
				if (k)
					fputs(", ", out);
				/* Always quoted: a glob's '*' would start an alias. */
				fputc('"', out);
				for (const char *c = r->paths[k]; *c; c++) {
					if (*c == '"' || *c == '\\')
						fputc('\\', out);
					fputc(*c, out);
				}
				fputc('"', out);
			}
			fputs("]\n", out);
		}
		if (r->deny)
			fputs("      action: deny\n", out);
	}
	if (net->nbinds) {
		fputs("  bind: [", out);
		for (size_t i = 0; i < net->nbinds; i++)
			fprintf(out, "%s%u", i ? ", " : "", net->binds[i].port);
		fputs("]\n", out);
	}
}

void conv_yaml(const struct ir_policy *p, const struct diag_sink *d, FILE *out)
{
	fputs("# polc policy (schema v1) written by `polc convert` from:\n", out);
	for (size_t i = 0; i < p->nsources; i++)
		comment(out, "#   ", p->sources[i]);
	bool dropped = false;
	for (size_t i = 0; d && i < diag_count(d); i++) {
		const struct diag *dg = diag_get(d, i);
		if (dg->level != DIAG_WARNING || dg->code != DIAG_E505)
			continue;
		if (!dropped)
			fputs("# Not carried over (polc cannot enforce it):\n", out);
		dropped = true;
		char at[600];
		snprintf(at, sizeof(at), "#   %s:%u:%u: ", dg->pos.file ? dg->pos.file : "?",
		         dg->pos.line, dg->pos.col);
		comment(out, at, dg->msg);
	}
	fputs("polc: 1\nname: ", out);
	scalar(out, p->name ? p->name : "converted");
	fputc('\n', out);
	if (p->description) {
		fputs("description: ", out);
		scalar(out, p->description);
		fputc('\n', out);
	}
	write_fs(p, out);
	write_proc(p, out);
	write_net(p, out);
}
