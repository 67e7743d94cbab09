/* lint.c — `polc lint`'s engine: the rules of lint/rules.def over the IR,
 * inline suppressions, the per-rule config file.  See lint.h. */
#include "lint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "arena.h"
#include "backend.h"
#include "consts.h"
#include "diff.h"

/* ---- the catalogue --------------------------------------------------------- */

#define LVL_ERROR LINT_ERROR
#define LVL_WARNING LINT_WARNING
#define LVL_NOTE LINT_NOTE
#define CAT_STRUCT LINT_CAT_STRUCT
#define CAT_FS LINT_CAT_FS
#define CAT_PROC LINT_CAT_PROC
#define CAT_NET LINT_CAT_NET

static const struct lint_rule_info catalogue[LINT__COUNT] = {
#define LINT_RULE(id, name, cat, lvl, sum, why, ex, fix)                                      \
	{#id, name, CAT_##cat, LVL_##lvl, sum, why, ex, fix},
#include "../lint/rules.def"
#undef LINT_RULE
};

const struct lint_rule_info *lint_rule_info(enum lint_rule_id r)
{
	return (unsigned)r < LINT__COUNT ? &catalogue[r] : NULL;
}

int lint_rule_find(const char *s)
{
	for (int i = 0; i < LINT__COUNT; i++)
		if (strcasecmp(s, catalogue[i].id) == 0 || strcmp(s, catalogue[i].name) == 0)
			return i;
	return -1;
}

const char *lint_level_name(enum lint_level l)
{
	switch (l) {
	case LINT_OFF: return "off";
	case LINT_NOTE: return "note";
	case LINT_WARNING: return "warning";
	case LINT_ERROR: return "error";
	}
	return "?";
}

int lint_level_parse(const char *s, enum lint_level *out)
{
	for (int l = LINT_OFF; l <= LINT_ERROR; l++)
		if (strcmp(s, lint_level_name((enum lint_level)l)) == 0) {
			*out = (enum lint_level)l;
			return 0;
		}
	return -1;
}

const char *lint_category_name(enum lint_category c)
{
	switch (c) {
	case LINT_CAT_STRUCT: return "structure";
	case LINT_CAT_FS: return "filesystem";
	case LINT_CAT_PROC: return "process";
	case LINT_CAT_NET: return "network";
	}
	return "?";
}

const char *lint_finding_id(const struct lint_finding *f)
{
	return f->rule >= 0 ? catalogue[f->rule].id : diag_code_name(f->code);
}

/* ---- config ------------------------------------------------------------------ */

void lint_config_defaults(struct lint_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (int i = 0; i < LINT__COUNT; i++)
		cfg->level[i] = catalogue[i].level;
	cfg->fail_level = LINT_ERROR;
}

static struct src_pos ypos(const char *file, const yaml_node_t *n)
{
	return src_pos(file, (uint32_t)n->start_mark.line + 1, (uint32_t)n->start_mark.column + 1);
}

static const char *yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int lint_config_load(struct lint_config *cfg, struct arena *a, struct diag_sink *d,
                     const char *path)
{
	size_t len;
	char *text = load_slurp(a, path, &len);
	if (!text) {
		diag_error(d, src_file(path), E500, "cannot read lint config: %s", strerror(errno));
		return -1;
	}
	const char *file = arena_strdup(a, path);
	diag_source(d, file, text, len);
	cfg->path = file;
	yaml_parser_t ps;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&ps))
		abort();
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	size_t errs = diag_errors(d);
	if (!yaml_parser_load(&ps, &doc)) {
		diag_error(d,
		           src_pos(file, (uint32_t)ps.problem_mark.line + 1,
		                   (uint32_t)ps.problem_mark.column + 1),
		           E100, "lint config is not valid YAML: %s",
		           ps.problem ? ps.problem : "syntax error");
		yaml_parser_delete(&ps);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *kv = root->data.mapping.pairs.start;
		     kv < root->data.mapping.pairs.top; kv++) {
			yaml_node_t *k = yaml_document_get_node(&doc, kv->key);
			yaml_node_t *v = yaml_document_get_node(&doc, kv->value);
			const char *key = yscalar(k);
			if (key && strcmp(key, "fail-level") == 0) {
				const char *s = yscalar(v);
				enum lint_level l;
				if (!s || lint_level_parse(s, &l) < 0 || l == LINT_OFF)
					diag_error(d, ypos(file, v), E102,
					           "`fail-level` must be error, warning or note");
				else {
					cfg->fail_level = l;
					cfg->fail_level_set = true;
				}
			} else if (key && strcmp(key, "rules") == 0) {
				if (v->type != YAML_MAPPING_NODE) {
					diag_error(d, ypos(file, v), E102,
					           "`rules` must map rule IDs or names to off, note, "
					           "warning or error");
					continue;
				}
				for (yaml_node_pair_t *r = v->data.mapping.pairs.start;
				     r < v->data.mapping.pairs.top; r++) {
					yaml_node_t *rk = yaml_document_get_node(&doc, r->key);
					yaml_node_t *rv = yaml_document_get_node(&doc, r->value);
					const char *id = yscalar(rk), *lv = yscalar(rv);
					int rule = id ? lint_rule_find(id) : -1;
					enum lint_level l;
					if (rule < 0)
						diag_error(d, ypos(file, rk), E101,
						           "unknown lint rule `%s` (see `polc lint --rules`)",
						           id ? id : "?");
					else if (!lv || lint_level_parse(lv, &l) < 0)
						diag_error(d, ypos(file, rv), E102,
						           "level for %s must be off, note, warning or error",
						           id);
					else
						cfg->level[rule] = l;
				}
			} else {
				diag_error(d, ypos(file, k), E101,
				           "unknown key `%s` in lint config (expected `rules`, "
				           "`fail-level`)",
				           key ? key : "?");
			}
		}
	} else if (root) {
		diag_error(d, ypos(file, root), E102, "lint config must be a mapping");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&ps);
	return diag_errors(d) > errs ? -1 : 0;
}

const char *lint_config_find(struct arena *a, const char *dir)
{
	char cur[PATH_MAX];
	if (!realpath(dir, cur))
		return NULL;
	for (;;) {
		const char *p = arena_printf(a, "%s/.polc-lint.yaml", strcmp(cur, "/") ? cur : "");
		if (access(p, R_OK) == 0)
			return p;
		struct stat st;
		const char *git = arena_printf(a, "%s/.git", strcmp(cur, "/") ? cur : "");
		if (stat(git, &st) == 0 || strcmp(cur, "/") == 0)
			return NULL;
		char *slash = strrchr(cur, '/');
		if (slash == cur)
			cur[1] = '\0';
		else
			*slash = '\0';
	}
}

/* ---- findings ----------------------------------------------------------------- */

struct lctx {
	struct arena *a;
	const struct ir_policy *p;
	struct lint_result *r;
};

static void report(struct lctx *c, enum lint_rule_id rule, struct src_pos pos, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
static void report(struct lctx *c, enum lint_rule_id rule, struct src_pos pos, const char *fmt,
                   ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[1024];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!pos.file && c->p) {
		pos = c->p->name_pos;
		if (!pos.file && c->p->nsources)
			pos = src_pos(c->p->sources[c->p->nsources - 1], 1, 1);
	}
	/* The same finding reached twice (a file extended by two inputs). */
	for (size_t i = 0; i < c->r->n; i++) {
		const struct lint_finding *f = &c->r->v[i];
		if (f->rule == (int)rule && f->pos.line == pos.line && f->pos.col == pos.col &&
		    ((!f->pos.file && !pos.file) ||
		     (f->pos.file && pos.file && strcmp(f->pos.file, pos.file) == 0)) &&
		    strcmp(f->msg, buf) == 0)
			return;
	}
	struct lint_finding *f = ARENA_PUSH(c->a, c->r->v, c->r->n, c->r->cap);
	memset(f, 0, sizeof(*f));
	f->rule = (int)rule;
	f->level = catalogue[rule].level;
	f->pos = pos;
	f->msg = arena_strdup(c->a, buf);
}

static const char *access_str(struct arena *a, uint64_t acc)
{
	char buf[512];
	ir_fs_access_str(buf, sizeof(buf), acc);
	return arena_strdup(a, buf);
}

static const char *pos_str(struct arena *a, struct src_pos p)
{
	return p.file ? arena_printf(a, "%s:%u:%u", p.file, p.line, p.col) : "(unknown)";
}

static bool same_pos(struct src_pos a, struct src_pos b)
{
	return a.line == b.line && a.col == b.col &&
	       ((!a.file && !b.file) || (a.file && b.file && strcmp(a.file, b.file) == 0));
}

/* Rules reached twice through a diamond of extends share a position; a
 * duplicate is reported at the later of two positions in one file. */
static bool pos_before(struct src_pos a, struct src_pos b)
{
	return a.line < b.line || (a.line == b.line && a.col < b.col);
}

static bool same_file(struct src_pos a, struct src_pos b)
{
	return a.file && b.file && strcmp(a.file, b.file) == 0;
}

/* ---- filesystem rules ------------------------------------------------------------ */

#define FS_WRITE_BITS                                                                          \
	(LL_FS_write_file | LL_FS_remove_dir | LL_FS_remove_file | LL_FS_make_char |            \
	 LL_FS_make_dir | LL_FS_make_reg | LL_FS_make_sock | LL_FS_make_fifo | LL_FS_make_block | \
	 LL_FS_make_sym | LL_FS_refer | LL_FS_truncate)

static bool beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Path components of `path` match the leading components of `pattern`
 * ('*' matches one component): path is pattern's ancestor or equal. */
static bool covers_pattern(const char *path, const char *pattern)
{
	if (strcmp(path, "/") == 0)
		return true;
	const char *p = path, *q = pattern;
	while (*p == '/' && *q == '/') {
		p++;
		q++;
		size_t lp = strcspn(p, "/"), lq = strcspn(q, "/");
		if (!(lq == 1 && q[0] == '*') && (lp != lq || strncmp(p, q, lp) != 0))
			return false;
		p += lp;
		q += lq;
		if (!*p)
			return true;
	}
	return false;
}

/* Does `path` lie at or beneath pattern (components, '*' = one)? */
static bool under_pattern(const char *path, const char *pattern)
{
	const char *p = path, *q = pattern;
	while (*q == '/') {
		if (*p != '/')
			return false;
		p++;
		q++;
		size_t lp = strcspn(p, "/"), lq = strcspn(q, "/");
		if (!(lq == 1 && q[0] == '*') && (lp != lq || strncmp(p, q, lp) != 0))
			return false;
		if (lp == 0)
			return false;
		p += lp;
		q += lq;
	}
	return *q == '\0' && (*p == '\0' || *p == '/');
}

static void fs_rules(struct lctx *c)
{
	const struct ir_fs *fs = &c->p->fs;
	static const char *const system_dirs[] = {"/etc",   "/usr",   "/bin",    "/sbin", "/lib",
	                                          "/lib32", "/lib64", "/libx32", "/boot"};
	static const char *const sockets[] = {
	        "/var/run/docker.sock",        "/run/docker.sock",
	        "/run/containerd",             "/var/run/containerd",
	        "/run/podman",                 "/var/run/podman",
	        "/run/crio",                   "/var/run/crio",
	        "/run/dbus/system_bus_socket", "/var/run/dbus/system_bus_socket",
	        "/run/systemd/private",        "/run/systemd/notify",
	        "/run/snapd.socket",           "/run/snapd-snap.socket",
	        "/run/libvirt",                "/var/run/libvirt",
	        "/run/user/*/bus",             "/run/user/*/docker.sock",
	        "/run/user/*/podman",          "/run/user/*/systemd",
	        "/var/lib/docker",             "/run/k3s",
	        "/run/user/*/gnupg",           "/run/user/*/keyring"};
	static const char *const secrets[] = {
	        "/root",           "/home/*/.ssh",   "/home/*/.aws",          "/home/*/.gnupg",
	        "/home/*/.kube",   "/home/*/.docker", "/home/*/.netrc",        "/home/*/.git-credentials",
	        "/home/*/.azure",  "/home/*/.npmrc", "/home/*/.config/gcloud", "/home/*/.pypirc",
	        "/etc/shadow",     "/etc/gshadow"};
	static const char *const dev_ok[] = {"/dev/null", "/dev/zero",   "/dev/full",  "/dev/tty",
	                                     "/dev/ptmx", "/dev/pts",    "/dev/shm",   "/dev/stdout",
	                                     "/dev/stderr", "/dev/stdin", "/dev/fd",   "/dev/random",
	                                     "/dev/urandom"};
	if (!fs->present) {
		report(c, LINT_L211, c->p->name_pos,
		       "no `filesystem` section: Landlock is not applied and every file the user can "
		       "reach is readable and writable");
	}
	for (size_t i = 0; i < fs->nrules; i++) {
		const struct ir_fs_rule *r = &fs->rules[i];
		uint64_t w = r->access & FS_WRITE_BITS;
		const char *acc = access_str(c->a, r->access);
		if (w && strcmp(r->path, "/") == 0)
			report(c, LINT_L201, r->pos,
			       "%s on `/`: every file on the system becomes writable", acc);
		for (size_t k = 0; w && k < sizeof(system_dirs) / sizeof(*system_dirs); k++)
			if (beneath(r->path, system_dirs[k])) {
				report(c, LINT_L202, r->pos, "%s on %s: a system directory (beneath %s)", acc,
				       r->path, system_dirs[k]);
				break;
			}
		if (w) {
			const char *home = NULL;
			if (strcmp(r->path, "/home") == 0 || beneath(r->path, "/root"))
				home = "a home directory";
			else if (under_pattern(r->path, "/home/*")) {
				const char *rest = r->path + 6 + strcspn(r->path + 6, "/");
				if (!*rest)
					home = "a home directory, with its dotfiles";
				else if (rest[1] == '.')
					home = "a dotfile or dot-directory in a home directory";
			}
			if (home)
				report(c, LINT_L203, r->pos, "%s on %s: %s", acc, r->path, home);
			if (strstr(r->path, "/.git/") || (strlen(r->path) >= 5 &&
			                                    strcmp(r->path + strlen(r->path) - 5, "/.git") == 0))
				report(c, LINT_L204, r->pos,
				       "%s on %s: git runs hooks and reads config from .git outside the "
				       "sandbox",
				       acc, r->path);
			if (beneath(r->path, "/proc") || beneath(r->path, "/sys"))
				report(c, LINT_L205, r->pos, "%s on %s: kernel and process state", acc,
				       r->path);
		}
		for (size_t k = 0; k < sizeof(sockets) / sizeof(*sockets); k++) {
			bool named = under_pattern(r->path, sockets[k]);
			bool above = !named && strcmp(r->path, "/") != 0 &&
			             (r->access & (LL_FS_write_file | LL_FS_make_sock)) &&
			             covers_pattern(r->path, sockets[k]);
			if (named || above) {
				report(c, LINT_L206, r->pos, "%s on %s gives access to %s", acc, r->path,
				       named ? "a daemon's control socket" : sockets[k]);
				break;
			}
		}
		size_t plen = strlen(r->path);
		if (plen > 5 && strcmp(r->path + plen - 5, ".sock") == 0) {
			bool listed = false;
			for (size_t k = 0; k < sizeof(sockets) / sizeof(*sockets); k++)
				listed |= under_pattern(r->path, sockets[k]);
			if (!listed)
				report(c, LINT_L206, r->pos, "%s on %s gives access to a control socket", acc,
				       r->path);
		}
		if (r->access & LL_FS_execute)
			for (size_t j = 0; j < fs->nrules; j++) {
				const struct ir_fs_rule *o = &fs->rules[j];
				if (!(o->access & (LL_FS_write_file | LL_FS_make_reg)))
					continue;
				if (!beneath(r->path, o->path) && !beneath(o->path, r->path))
					continue;
				if (i == j)
					report(c, LINT_L207, r->pos,
					       "%s grants both execute and write: anything written there can be "
					       "run",
					       r->path);
				else
					report(c, LINT_L207, r->pos,
					       "execute on %s overlaps write on %s (%s): anything written "
					       "there can be run",
					       r->path, o->path, pos_str(c->a, o->pos));
				break;
			}
		if (r->access & (LL_FS_make_char | LL_FS_make_block))
			report(c, LINT_L208, r->pos, "%s on %s: device nodes bypass every file rule",
			       access_str(c->a, r->access & (LL_FS_make_char | LL_FS_make_block)),
			       r->path);
		if ((r->access & (LL_FS_write_file | LL_FS_truncate | FS_WRITE_BITS)) &&
		    beneath(r->path, "/dev")) {
			bool ok = false;
			for (size_t k = 0; k < sizeof(dev_ok) / sizeof(*dev_ok) && !ok; k++)
				ok = beneath(r->path, dev_ok[k]);
			if (!ok)
				report(c, LINT_L209, r->pos, "%s on %s", acc, r->path);
		}
		if (r->access & LL_FS_read_file) {
			const char *hit = NULL;
			for (size_t k = 0; k < sizeof(secrets) / sizeof(*secrets) && !hit; k++)
				if (under_pattern(r->path, secrets[k]) || covers_pattern(r->path, secrets[k]))
					hit = secrets[k];
			if (hit && strcmp(r->path, "/") != 0 && beneath(hit, "/etc") &&
			    !under_pattern(r->path, hit))
				hit = NULL; /* /etc as a whole: shadow is root-only anyway */
			if (hit)
				report(c, LINT_L210, r->pos, "read access to %s covers %s", r->path,
				       strncmp(hit, "/home/*/", 8) == 0 ? arena_printf(c->a, "~/%s", hit + 8)
				                                        : hit);
		}
		/* Exact duplicates (L104) and rules a parent already covers (L212). */
		for (size_t j = 0; j < i; j++) {
			const struct ir_fs_rule *o = &fs->rules[j];
			if (strcmp(o->path, r->path) == 0 && o->access == r->access &&
			    same_file(o->pos, r->pos) && pos_before(o->pos, r->pos)) {
				report(c, LINT_L104, r->pos, "%s %s repeats the rule at %s", acc, r->path,
				       pos_str(c->a, o->pos));
				goto next_rule;
			}
		}
		{
			uint64_t above = 0;
			const struct ir_fs_rule *by = NULL;
			for (size_t j = 0; j < fs->nrules; j++) {
				const struct ir_fs_rule *o = &fs->rules[j];
				/* Within one file: restating what an extended policy
				 * grants is harmless (and not the base's to fix). */
				if (j == i || !beneath(r->path, o->path) || !same_file(o->pos, r->pos) ||
				    same_pos(o->pos, r->pos))
					continue;
				if (strcmp(o->path, r->path) == 0 && o->access == r->access)
					continue;
				if (o->optional && !r->optional)
					continue; /* an optional parent may be missing at run time */
				above |= o->access;
				if (!by || strlen(o->path) > strlen(by->path))
					by = o;
			}
			if (by && !(r->access & ~above))
				report(c, LINT_L212, r->pos, "%s %s grants nothing beyond %s %s (%s)", acc,
				       r->path, access_str(c->a, by->access), by->path,
				       pos_str(c->a, by->pos));
		}
	next_rule:;
	}
	for (size_t i = 0; i < fs->noptional; i++) {
		bool used = false;
		for (size_t j = 0; j < fs->nrules && !used; j++)
			used = strcmp(fs->rules[j].path, fs->optional[i]) == 0;
		if (!used)
			report(c, LINT_L105, fs->optional_pos[i],
			       "optional path %s is not named by any filesystem rule", fs->optional[i]);
	}
	/* min_abi above what the policy needs: ask the backend what it would
	 * derive without the setting. */
	if (fs->min_abi) {
		struct ir_policy copy = *c->p;
		copy.fs.min_abi = 0;
		struct diag_sink *scratch = diag_sink_new(c->a);
		struct buf b = {0};
		uint32_t need = 0;
		if (ll_build(&copy, scratch, &b, &need) == 0 && fs->min_abi > need)
			report(c, LINT_L103, fs->min_abi_pos,
			       "min_abi %u is higher than the policy needs (%u): kernels with "
			       "Landlock ABI %s are refused for no gain",
			       fs->min_abi, need,
			       need + 1 == fs->min_abi
			               ? arena_printf(c->a, "%u", need)
			               : arena_printf(c->a, "%u to %u", need, fs->min_abi - 1));
		buf_free(&b);
	}
}

/* ---- process rules ---------------------------------------------------------------- */

static bool act_allows(struct ir_action a)
{
	return a.kind == IR_ACT_ALLOW || a.kind == IR_ACT_LOG;
}

/* Can sc be allowed for some arguments?  Several matching rules: the most
 * restrictive wins, so an unconditional non-allow rule settles it. */
static bool may_allow(const struct ir_policy *p, const char *sc)
{
	if (!p->proc.present)
		return true;
	bool allow = false;
	for (size_t i = 0; i < p->proc.nrules; i++) {
		const struct ir_sys_rule *r = &p->proc.rules[i];
		if (strcmp(r->syscall, sc) != 0)
			continue;
		if (!act_allows(r->action) && r->nconds == 0)
			return false;
		allow |= act_allows(r->action);
	}
	if (allow)
		return true;
	for (size_t i = 0; i < p->proc.nrules; i++)
		if (strcmp(p->proc.rules[i].syscall, sc) == 0 && !act_allows(p->proc.rules[i].action))
			return act_allows(p->proc.def); /* conditional denies over an allowing default */
	return act_allows(p->proc.def);
}

/* Reports each rule that allows one of the syscalls in list.  What only
 * the default action allows is proc-default-allow's finding, not repeated
 * for every dangerous syscall. */
static void dangerous(struct lctx *c, enum lint_rule_id rule, const char *const *list, size_t n,
                      const char *why)
{
	const struct ir_process *pr = &c->p->proc;
	for (size_t k = 0; k < n; k++) {
		if (!may_allow(c->p, list[k]))
			continue;
		for (size_t i = 0; i < pr->nrules; i++) {
			const struct ir_sys_rule *r = &pr->rules[i];
			if (strcmp(r->syscall, list[k]) != 0 || !act_allows(r->action))
				continue;
			report(c, rule, r->pos, "%s is allowed%s: %s", list[k],
			       r->nconds ? " (with conditions)" : "", why);
		}
	}
}

#define LIST(...) ((const char *const[]){__VA_ARGS__}), sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

static const char *family_name(struct arena *a, uint64_t v)
{
	size_t n;
	const struct consts_entry *t = consts_table(&n);
	for (size_t i = 0; i < n; i++)
		if (strncmp(t[i].name, "AF_", 3) == 0 && t[i].value == v)
			return t[i].name;
	return arena_printf(a, "family %llu", (unsigned long long)v);
}

/* The position of the rule (or default) that decided sc(args). */
static struct src_pos decided_at(const struct ir_policy *p, const char *sc, const uint64_t args[6],
                                 bool *allowed)
{
	uint32_t id;
	struct ir_action act = ir_proc_decide(p, sc, args, &id);
	*allowed = act_allows(act);
	if (!p->proc.present)
		*allowed = true;
	const struct ir_rule_ref *r = ir_rule(p, id);
	return r ? r->pos : p->proc.def_pos;
}

static void proc_rules(struct lctx *c)
{
	const struct ir_policy *p = c->p;
	const struct ir_process *pr = &p->proc;
	if (!pr->present) {
		report(c, LINT_L317, p->name_pos,
		       "no `process` section: no seccomp filter is installed and every syscall is "
		       "allowed");
		return;
	}
	if (act_allows(pr->def)) {
		char act[64];
		ir_action_str(act, sizeof(act), pr->def);
		report(c, LINT_L301, pr->def_pos,
		       "default action `%s`: every syscall the policy does not name is allowed", act);
	}
	dangerous(c, LINT_L302, LIST("ptrace", "process_vm_readv", "process_vm_writev"),
	          "reads and rewrites other processes' memory");
	dangerous(c, LINT_L303, LIST("bpf"), "loads programs into the kernel");
	dangerous(c, LINT_L304,
	          LIST("mount", "umount2", "umount", "pivot_root", "chroot", "fsopen", "fsconfig",
	               "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr"),
	          "changes what paths mean");
	dangerous(c, LINT_L305, LIST("unshare", "setns"), "creates or enters namespaces");
	dangerous(c, LINT_L306, LIST("keyctl", "add_key", "request_key"),
	          "the kernel keyring is not namespaced");
	dangerous(c, LINT_L307, LIST("userfaultfd"), "a standard tool for kernel exploits");
	dangerous(c, LINT_L308, LIST("io_uring_setup", "io_uring_enter", "io_uring_register"),
	          "io_uring operations bypass seccomp");
	dangerous(c, LINT_L309, LIST("perf_event_open"), "performance counters leak information");
	dangerous(c, LINT_L310,
	          LIST("kexec_load", "kexec_file_load", "init_module", "finit_module",
	               "delete_module"),
	          "loads code into the kernel");
	dangerous(c, LINT_L314,
	          LIST("reboot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime",
	               "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm",
	               "quotactl", "vhangup", "syslog", "lookup_dcookie", "nfsservctl"),
	          "changes machine-wide state");

	/* clone with a namespace flag, decided exactly by the reference
	 * semantics; clone3's flags live in memory seccomp cannot read. */
	static const uint64_t ns_bits[] = {0x20000,   0x2000000,  0x4000000, 0x8000000,
	                                   0x10000000, 0x20000000, 0x40000000};
	static const char *const ns_names[] = {"CLONE_NEWNS",   "CLONE_NEWCGROUP", "CLONE_NEWUTS",
	                                       "CLONE_NEWIPC",  "CLONE_NEWUSER",   "CLONE_NEWPID",
	                                       "CLONE_NEWNET"};
	struct src_pos at[7];
	const char *names[7];
	size_t nat = 0;
	for (size_t i = 0; i < 7; i++) {
		uint64_t args[6] = {ns_bits[i] | 17 /* SIGCHLD */};
		bool allowed;
		struct src_pos pos = decided_at(p, "clone", args, &allowed);
		if (!allowed || same_pos(pos, pr->def_pos))
			continue; /* allowed by the default: proc-default-allow */
		size_t k = 0;
		while (k < nat && !same_pos(at[k], pos))
			k++;
		if (k == nat) {
			at[nat] = pos;
			names[nat++] = ns_names[i];
		} else
			names[k] = arena_printf(c->a, "%s, %s", names[k], ns_names[i]);
	}
	for (size_t k = 0; k < nat; k++)
		report(c, LINT_L311, at[k], "clone is allowed with %s: it creates namespaces",
		       names[k]);
	dangerous(c, LINT_L311, LIST("clone3"), "its flags cannot be checked by seccomp");

	/* socket: which families does the policy admit beyond the need? */
	bool net_used = p->net.present && (p->net.nrules || p->net.nbinds);
	struct src_pos fpos[8];
	const char *fams[8];
	size_t nf = 0, nfam[8];
	for (uint64_t fam = 0; fam <= 45; fam++) {
		if (fam == 1 || (net_used && (fam == 2 || fam == 10)))
			continue;
		bool allowed = false;
		struct src_pos pos = {0};
		for (uint64_t type = 1; type <= 5 && !allowed; type++) {
			uint64_t args[6] = {fam, type, 0};
			pos = decided_at(p, "socket", args, &allowed);
		}
		if (!allowed || same_pos(pos, pr->def_pos))
			continue;
		size_t k = 0;
		while (k < nf && !same_pos(fpos[k], pos))
			k++;
		if (k == nf && nf < 8) {
			fpos[nf] = pos;
			nfam[nf] = 1;
			fams[nf++] = family_name(c->a, fam);
		} else if (k < nf) {
			nfam[k]++;
			fams[k] = arena_printf(c->a, "%s, %s", fams[k], family_name(c->a, fam));
		}
	}
	for (size_t k = 0; k < nf; k++)
		report(c, LINT_L312, fpos[k], "socket is allowed for %s%s",
		       nfam[k] > 6 ? arena_printf(c->a, "%zu address families, among them AF_NETLINK, "
		                                        "AF_PACKET and AF_VSOCK",
		                                  nfam[k])
		                   : fams[k],
		       net_used ? "" : " (the policy has no network rules, so only AF_UNIX is needed)");

	if (pr->caps) {
		const char *list = "";
		for (int cap = 0; cap < 64; cap++)
			if (pr->caps & (1ull << cap))
				list = arena_printf(c->a, "%s%sCAP_%s", list, *list ? ", " : "",
				                    ir_cap_name(cap) ? ir_cap_name(cap) : "?");
		report(c, LINT_L313, pr->caps_pos, "capabilities kept: %s", list);
	}
	if (act_allows(pr->other_abis)) {
		char act[64];
		ir_action_str(act, sizeof(act), pr->other_abis);
		report(c, LINT_L315, pr->other_abis_pos,
		       "other_abis `%s`: x32 and i386 syscalls bypass a filter written for x86_64",
		       act);
	}
	/* ioctl(fd, TIOCSTI / TIOCLINUX) on the terminal's descriptors. */
	static const uint64_t tioc[] = {0x5412, 0x541c};
	static const char *const tioc_names[] = {"TIOCSTI", "TIOCLINUX"};
	struct src_pos tpos[2];
	const char *tnames[2];
	size_t nt = 0;
	for (int t = 0; t < 2; t++)
		for (uint64_t fd = 0; fd < 3; fd++) {
			uint64_t args[6] = {fd, tioc[t]};
			bool allowed;
			struct src_pos pos = decided_at(p, "ioctl", args, &allowed);
			if (!allowed || same_pos(pos, pr->def_pos))
				continue;
			size_t k = 0;
			while (k < nt && !same_pos(tpos[k], pos))
				k++;
			if (k == nt) {
				tpos[nt] = pos;
				tnames[nt++] = tioc_names[t];
			} else
				tnames[k] = arena_printf(c->a, "%s and %s", tnames[k], tioc_names[t]);
			break;
		}
	for (size_t k = 0; k < nt; k++)
		report(c, LINT_L316, tpos[k],
		       "ioctl is allowed with %s: the program can type into the user's terminal",
		       tnames[k]);
	/* Duplicates and allow/deny conflicts, unconditional rules. */
	for (size_t i = 0; i < pr->nrules; i++) {
		const struct ir_sys_rule *r = &pr->rules[i];
		for (size_t j = 0; j < i; j++) {
			const struct ir_sys_rule *o = &pr->rules[j];
			if (strcmp(o->syscall, r->syscall) != 0 || o->nconds != r->nconds ||
			    !same_file(o->pos, r->pos) || !pos_before(o->pos, r->pos))
				continue;
			bool same = o->action.kind == r->action.kind &&
			            o->action.errno_val == r->action.errno_val;
			for (size_t k = 0; k < r->nconds && same; k++) {
				const struct ir_arg_cond *x = &o->conds[k], *y = &r->conds[k];
				same = x->index == y->index && x->op == y->op && x->mask == y->mask &&
				       x->nvalues == y->nvalues &&
				       memcmp(x->values, y->values, x->nvalues * sizeof(uint64_t)) == 0;
			}
			if (same) {
				report(c, LINT_L104, r->pos, "%s repeats the rule at %s", r->syscall,
				       pos_str(c->a, o->pos));
				break;
			}
		}
		if (r->nconds || !act_allows(r->action))
			continue;
		for (size_t j = 0; j < pr->nrules; j++) {
			const struct ir_sys_rule *o = &pr->rules[j];
			if (o->nconds || act_allows(o->action) || strcmp(o->syscall, r->syscall) != 0)
				continue;
			char act[64];
			ir_action_str(act, sizeof(act), o->action);
			report(c, LINT_L102, r->pos, "%s is allowed here but `%s` at %s, which wins",
			       r->syscall, act, pos_str(c->a, o->pos));
			break;
		}
	}
}

/* ---- network rules ------------------------------------------------------------------ */

static bool in_prefix(const uint8_t *addr, const uint8_t *net, unsigned bits)
{
	for (unsigned i = 0; i < bits / 8; i++)
		if (addr[i] != net[i])
			return false;
	if (bits % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - bits % 8));
		if ((addr[bits / 8] & m) != (net[bits / 8] & m))
			return false;
	}
	return true;
}

struct special {
	int fam;
	const char *net;
	unsigned prefix;
	const char *label;
};

/* A rule "names" a special range when it lies inside it (as the proxy
 * decides, runtime-min/nt.h rule 6); *lab gets the range's label. */
static bool inside(const struct ir_net_rule *r, const struct special *s, size_t n, const char **lab)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t net[16] = {0};
		if ((s[i].fam == 4) != (r->kind == IR_HOST_IPV4))
			continue;
		inet_pton(s[i].fam == 4 ? AF_INET : AF_INET6, s[i].net, net);
		if (r->prefix >= s[i].prefix && in_prefix(r->addr, net, s[i].prefix)) {
			*lab = s[i].label;
			return true;
		}
	}
	return false;
}

static bool name_under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);
	return n > s + 1 && name[n - s - 1] == '.' && strcmp(name + n - s, suffix) == 0;
}

/* Does a host pattern match the name `name`? */
static bool host_matches_name(const struct ir_net_rule *r, const char *name)
{
	if (r->kind == IR_HOST_NAME)
		return strcmp(r->host, name) == 0;
	if (r->kind == IR_HOST_WILDCARD)
		return !*r->host || strcmp(r->host, "*") == 0 || name_under(name, r->host);
	return false;
}

static bool host_covers(const struct ir_net_rule *a, const struct ir_net_rule *b)
{
	switch (a->kind) {
	case IR_HOST_NAME: return b->kind == IR_HOST_NAME && strcmp(a->host, b->host) == 0;
	case IR_HOST_WILDCARD:
		if (b->kind == IR_HOST_NAME)
			return host_matches_name(a, b->host);
		return b->kind == IR_HOST_WILDCARD &&
		       (strcmp(a->host, b->host) == 0 || name_under(b->host, a->host));
	case IR_HOST_IPV4:
	case IR_HOST_IPV6:
		return b->kind == a->kind && a->prefix <= b->prefix &&
		       in_prefix(b->addr, a->addr, a->prefix);
	}
	return false;
}

static bool ports_cover(const struct ir_net_rule *a, const struct ir_net_rule *b)
{
	if (a->nports == 0)
		return true;
	if (b->nports == 0)
		return false;
	for (size_t i = 0; i < b->nports; i++) {
		uint32_t at = b->ports[i].lo;
		while (at <= b->ports[i].hi) {
			uint32_t next = at;
			for (size_t j = 0; j < a->nports; j++)
				if (a->ports[j].lo <= at && a->ports[j].hi >= at)
					next = (uint32_t)a->ports[j].hi + 1;
			if (next == at)
				return false;
			at = next;
		}
	}
	return true;
}

static bool paths_cover(const struct ir_net_rule *a, const struct ir_net_rule *b)
{
	if (a->npaths == 0)
		return true;
	if (b->npaths == 0)
		return false;
	for (size_t i = 0; i < b->npaths; i++) {
		const char *q = b->paths[i];
		bool ok = false;
		for (size_t j = 0; j < a->npaths && !ok; j++) {
			const char *g = a->paths[j];
			size_t gl = strlen(g);
			if (strcmp(g, q) == 0)
				ok = true;
			else if (!strchr(q, '*'))
				ok = diff_glob_match(g, q);
			else /* a pattern in b: only a "prefix/ **" tail in a surely covers it */
				ok = gl >= 2 && strcmp(g + gl - 2, "**") == 0 && !memchr(g, '*', gl - 2) &&
				     strncmp(g, q, gl - 2) == 0;
		}
		if (!ok)
			return false;
	}
	return true;
}

static bool net_covers(const struct ir_net_rule *a, const struct ir_net_rule *b)
{
	return host_covers(a, b) && ports_cover(a, b) &&
	       (a->methods == 0 || (b->methods && !(b->methods & ~a->methods))) &&
	       paths_cover(a, b);
}

static bool net_same(const struct ir_net_rule *a, const struct ir_net_rule *b)
{
	if (a->kind != b->kind || a->prefix != b->prefix || a->methods != b->methods ||
	    a->nports != b->nports || a->npaths != b->npaths)
		return false;
	if (a->kind == IR_HOST_IPV4 || a->kind == IR_HOST_IPV6) {
		if (memcmp(a->addr, b->addr, sizeof(a->addr)) != 0)
			return false;
	} else if (strcmp(a->host, b->host) != 0)
		return false;
	for (size_t i = 0; i < a->nports; i++)
		if (a->ports[i].lo != b->ports[i].lo || a->ports[i].hi != b->ports[i].hi)
			return false;
	for (size_t i = 0; i < a->npaths; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return false;
	return true;
}

static const char *host_str(struct arena *a, const struct ir_net_rule *r)
{
	if (r->kind == IR_HOST_WILDCARD)
		return arena_printf(a, "*.%s", r->host);
	if ((r->kind == IR_HOST_IPV4 && r->prefix != 32) || (r->kind == IR_HOST_IPV6 && r->prefix != 128))
		if (!strchr(r->host, '/'))
			return arena_printf(a, "%s/%u", r->host, r->prefix);
	return r->host;
}

static bool port_in(const struct ir_net_rule *r, uint16_t port)
{
	if (r->nports == 0)
		return true;
	for (size_t i = 0; i < r->nports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

static bool is_public_suffix(const char *s)
{
	static const char *const multi[] = {
	        "co.uk",          "org.uk",          "ac.uk",         "gov.uk",       "me.uk",
	        "com.au",         "net.au",          "org.au",        "co.jp",        "ne.jp",
	        "or.jp",          "co.nz",           "com.br",        "com.cn",       "com.tw",
	        "co.in",          "co.za",           "com.mx",        "co.kr",        "com.sg",
	        "github.io",      "gitlab.io",       "herokuapp.com", "appspot.com",  "cloudfront.net",
	        "amazonaws.com",  "azurewebsites.net", "vercel.app",  "netlify.app",  "pages.dev",
	        "workers.dev",    "web.app",         "firebaseapp.com", "ngrok.io",   "ngrok-free.app",
	        "glitch.me",      "fly.dev",         "onrender.com",  "blogspot.com", "s3.amazonaws.com",
	        "r2.dev",         "deno.dev",        "repl.co",       "trycloudflare.com"};
	static const char *const private_tld[] = {"internal", "local", "localhost", "lan", "test",
	                                          "example", "invalid", "home", "corp"};
	if (!strchr(s, '.')) {
		for (size_t i = 0; i < sizeof(private_tld) / sizeof(*private_tld); i++)
			if (strcmp(s, private_tld[i]) == 0)
				return false;
		return true;
	}
	for (size_t i = 0; i < sizeof(multi) / sizeof(*multi); i++)
		if (strcmp(s, multi[i]) == 0)
			return true;
	return false;
}

static void net_rules(struct lctx *c)
{
	const struct ir_net *net = &c->p->net;
	static const struct special priv[] = {
	        {4, "10.0.0.0", 8, "private"},       {4, "172.16.0.0", 12, "private"},
	        {4, "192.168.0.0", 16, "private"},   {4, "127.0.0.0", 8, "loopback"},
	        {4, "169.254.0.0", 16, "link-local"}, {4, "100.64.0.0", 10, "carrier-grade NAT"},
	        {4, "0.0.0.0", 8, "\"this network\""}, {6, "::1", 128, "loopback"},
	        {6, "fc00::", 7, "unique local"},    {6, "fe80::", 10, "link-local"}};
	static const struct special meta[] = {{4, "169.254.169.254", 16, "metadata"},
	                                      {4, "100.100.100.200", 10, "metadata"},
	                                      {6, "fd00:ec2::254", 7, "metadata"}};
	static const char *const meta_names[] = {"metadata.google.internal", "metadata.goog",
	                                         "metadata", "instance-data",
	                                         "instance-data.ec2.internal"};
	static const char *const private_names[] = {"localhost", "local", "internal", "lan",
	                                            "home.arpa"};
	static const uint16_t tls_ports[] = {443, 465, 563, 636, 853, 989, 990, 992, 993,
	                                     994, 995, 5986, 6443, 8443, 9443};
	for (size_t i = 0; i < net->nrules; i++) {
		const struct ir_net_rule *r = &net->rules[i];
		const char *h = host_str(c->a, r);
		if (r->kind == IR_HOST_WILDCARD && (!*r->host || strcmp(r->host, "*") == 0))
			report(c, LINT_L401, r->pos, "host `%s` matches every host name", h);
		if ((r->kind == IR_HOST_IPV4 || r->kind == IR_HOST_IPV6) && r->prefix == 0)
			report(c, LINT_L402, r->pos, "host `%s` matches every address", h);
		if (r->kind == IR_HOST_WILDCARD && *r->host && is_public_suffix(r->host))
			report(c, LINT_L403, r->pos,
			       "`%s`: anyone can register a name under the public suffix `%s`", h,
			       r->host);
		if ((r->kind == IR_HOST_IPV4 && r->prefix > 0 && r->prefix < 16) ||
		    (r->kind == IR_HOST_IPV6 && r->prefix > 0 && r->prefix < 32))
			report(c, LINT_L404, r->pos, "`%s` covers %s addresses", h,
			       r->kind == IR_HOST_IPV4
			               ? arena_printf(c->a, "%llu", 1ull << (32 - r->prefix))
			               : arena_printf(c->a, "2^%u", 128 - r->prefix));
		if (!r->deny) {
			struct ir_net_rule all = {.nports = 1, .ports = &(struct ir_port_range){1, 65535}};
			struct ir_net_rule high = {.nports = 1,
			                           .ports = &(struct ir_port_range){1024, 65535}};
			if (ports_cover(r, &all))
				report(c, LINT_L405, r->pos, "`%s`: every port is allowed", h);
			else if (ports_cover(r, &high))
				report(c, LINT_L405, r->pos, "`%s`: every port from 1024 up is allowed", h);
		}
		if (!r->deny && (r->methods || r->npaths))
			for (size_t k = 0; k < sizeof(tls_ports) / sizeof(*tls_ports); k++)
				if (port_in(r, tls_ports[k])) {
					report(c, LINT_L406, r->pos,
					       "`%s`: %s cannot be checked on port %u: HTTPS passes the proxy "
					       "as a CONNECT tunnel",
					       h, r->methods && r->npaths ? "methods and paths"
					          : r->methods            ? "methods"
					                                  : "paths",
					       tls_ports[k]);
					break;
				}
		if (!r->deny) {
			const char *lab;
			bool is_meta = false;
			if ((r->kind == IR_HOST_IPV4 || r->kind == IR_HOST_IPV6) &&
			    inside(r, meta, sizeof(meta) / sizeof(*meta), &lab)) {
				/* Only when the rule contains the metadata address itself. */
				uint8_t a[16] = {0};
				for (size_t k = 0; k < sizeof(meta) / sizeof(*meta) && !is_meta; k++) {
					if ((meta[k].fam == 4) != (r->kind == IR_HOST_IPV4))
						continue;
					inet_pton(meta[k].fam == 4 ? AF_INET : AF_INET6, meta[k].net, a);
					is_meta = in_prefix(a, r->addr, r->prefix);
				}
			}
			for (size_t k = 0; k < sizeof(meta_names) / sizeof(*meta_names) && !is_meta; k++)
				is_meta = host_matches_name(r, meta_names[k]);
			if (is_meta)
				report(c, LINT_L409, r->pos,
				       "`%s` reaches a cloud metadata service, which hands out credentials",
				       h);
			else if ((r->kind == IR_HOST_IPV4 || r->kind == IR_HOST_IPV6) &&
			         inside(r, priv, sizeof(priv) / sizeof(*priv), &lab))
				report(c, LINT_L408, r->pos, "`%s` is a %s address", h, lab);
			else if (r->kind == IR_HOST_NAME || r->kind == IR_HOST_WILDCARD) {
				for (size_t k = 0; k < sizeof(private_names) / sizeof(*private_names); k++)
					if (strcmp(r->host, private_names[k]) == 0 ||
					    name_under(r->host, private_names[k])) {
						report(c, LINT_L408, r->pos, "`%s` is a local or internal name", h);
						break;
					}
			}
			if ((r->kind == IR_HOST_NAME || r->kind == IR_HOST_WILDCARD) && port_in(r, 80))
				report(c, LINT_L412, r->pos, "`%s` allows plain HTTP on port 80", h);
		}
		/* Duplicates, allow-and-deny, covered rules. */
		bool done = false;
		for (size_t j = 0; j < i && !done; j++)
			if (net_same(&net->rules[j], r) && net->rules[j].deny == r->deny &&
			    same_file(net->rules[j].pos, r->pos) && pos_before(net->rules[j].pos, r->pos)) {
				report(c, LINT_L104, r->pos, "`%s` repeats the rule at %s", h,
				       pos_str(c->a, net->rules[j].pos));
				done = true;
			}
		for (size_t j = 0; j < net->nrules && !done; j++) {
			const struct ir_net_rule *o = &net->rules[j];
			if (j == i || !o->deny || r->deny || !net_same(o, r))
				continue;
			report(c, LINT_L102, r->pos, "`%s` is allowed here and denied at %s; the deny wins",
			       h, pos_str(c->a, o->pos));
			done = true;
		}
		for (size_t j = 0; j < net->nrules && !done; j++) {
			const struct ir_net_rule *o = &net->rules[j];
			if (j == i || net_same(o, r) || !net_covers(o, r) || same_pos(o->pos, r->pos))
				continue;
			if (o->deny && !r->deny)
				report(c, LINT_L407, r->pos,
				       "`%s` never allows anything: the deny rule `%s` at %s covers it", h,
				       host_str(c->a, o), pos_str(c->a, o->pos));
			else if (o->deny == r->deny)
				report(c, LINT_L407, r->pos, "`%s` is covered by the broader rule `%s` at %s", h,
				       host_str(c->a, o), pos_str(c->a, o->pos));
			else
				continue;
			done = true;
		}
	}
	bool nbs = c->p->proc.caps & (1ull << 10); /* CAP_NET_BIND_SERVICE */
	for (size_t i = 0; i < net->nbinds; i++) {
		const struct ir_bind *b = &net->binds[i];
		for (size_t j = 0; j < i; j++)
			if (net->binds[j].port == b->port && same_file(net->binds[j].pos, b->pos) &&
			    pos_before(net->binds[j].pos, b->pos)) {
				report(c, LINT_L104, b->pos, "bind port %u repeats the entry at %s", b->port,
				       pos_str(c->a, net->binds[j].pos));
				break;
			}
		if (b->port < 1024 && !nbs)
			report(c, LINT_L410, b->pos,
			       "bind port %u is below 1024 and the policy does not keep "
			       "CAP_NET_BIND_SERVICE: the bind will fail",
			       b->port);
	}
	/* Outbound rules that the process section makes unusable. */
	const struct ir_net_rule *first_allow = NULL;
	for (size_t i = 0; i < net->nrules && !first_allow; i++)
		if (!net->rules[i].deny)
			first_allow = &net->rules[i];
	if (first_allow && c->p->proc.present) {
		bool sock = false, conn;
		for (uint64_t fam = 2; fam <= 10 && !sock; fam += 8) {
			uint64_t args[6] = {fam, 1 /* SOCK_STREAM */, 0};
			decided_at(c->p, "socket", args, &sock);
		}
		conn = may_allow(c->p, "connect");
		if (!sock || !conn)
			report(c, LINT_L411, first_allow->pos,
			       "outbound rules cannot be used: the process section denies %s",
			       !sock && !conn ? "socket(AF_INET/AF_INET6, SOCK_STREAM) and connect"
			       : !sock        ? "socket(AF_INET/AF_INET6, SOCK_STREAM)"
			                      : "connect");
	}
}

void lint_policy(struct arena *a, const struct ir_policy *p, struct lint_result *out)
{
	struct lctx c = {a, p, out};
	fs_rules(&c);
	proc_rules(&c);
	net_rules(&c);
}

/* ---- unused extends ------------------------------------------------------------- */

static bool in_file(struct src_pos pos, const char *file)
{
	return pos.file && strcmp(pos.file, file) == 0;
}

/* The part of a loaded file's policy written in the file itself (its
 * extends merged away): rules and settings positioned in it. */
static struct ir_policy *own_part(struct arena *a, const struct ir_policy *p, const char *file)
{
	struct ir_policy *o = ir_policy_new(a);
	o->name = p->name;
	o->name_pos = p->name_pos;
	*ARENA_PUSH(a, o->sources, o->nsources, o->capsources) = file;
	for (size_t i = 0; i < p->fs.nrules; i++)
		if (in_file(p->fs.rules[i].pos, file))
			*ARENA_PUSH(a, o->fs.rules, o->fs.nrules, o->fs.caprules) = p->fs.rules[i];
	size_t capo = 0;
	for (size_t i = 0; i < p->fs.noptional; i++)
		if (in_file(p->fs.optional_pos[i], file)) {
			*ARENA_PUSH(a, o->fs.optional, o->fs.noptional, capo) = p->fs.optional[i];
			o->fs.optional_pos = arena_grow(a, o->fs.optional_pos, o->fs.noptional - 1,
			                                o->fs.noptional, sizeof(struct src_pos));
			o->fs.optional_pos[o->fs.noptional - 1] = p->fs.optional_pos[i];
		}
	o->fs.capoptional = capo;
	if (in_file(p->fs.min_abi_pos, file)) {
		o->fs.min_abi = p->fs.min_abi;
		o->fs.min_abi_pos = p->fs.min_abi_pos;
	}
	o->fs.present = o->fs.nrules || o->fs.noptional || o->fs.min_abi;
	for (size_t i = 0; i < p->proc.nrules; i++)
		if (in_file(p->proc.rules[i].pos, file))
			*ARENA_PUSH(a, o->proc.rules, o->proc.nrules, o->proc.caprules) = p->proc.rules[i];
	if (p->proc.def_set && in_file(p->proc.def_pos, file)) {
		o->proc.def = p->proc.def;
		o->proc.def_set = true;
		o->proc.def_pos = p->proc.def_pos;
	}
	if (p->proc.other_abis_set && in_file(p->proc.other_abis_pos, file)) {
		o->proc.other_abis = p->proc.other_abis;
		o->proc.other_abis_set = true;
		o->proc.other_abis_pos = p->proc.other_abis_pos;
	}
	if (p->proc.scopes_set && in_file(p->proc.scopes_pos, file)) {
		o->proc.scopes = p->proc.scopes;
		o->proc.scopes_set = true;
		o->proc.scopes_pos = p->proc.scopes_pos;
	}
	if (in_file(p->proc.caps_pos, file)) {
		o->proc.caps = p->proc.caps;
		o->proc.caps_pos = p->proc.caps_pos;
	}
	o->proc.present = o->proc.nrules || o->proc.def_set || o->proc.other_abis_set ||
	                  o->proc.scopes_set || o->proc.caps;
	for (size_t i = 0; i < p->net.nrules; i++)
		if (in_file(p->net.rules[i].pos, file))
			*ARENA_PUSH(a, o->net.rules, o->net.nrules, o->net.caprules) = p->net.rules[i];
	for (size_t i = 0; i < p->net.nbinds; i++)
		if (in_file(p->net.binds[i].pos, file))
			*ARENA_PUSH(a, o->net.binds, o->net.nbinds, o->net.capbinds) = p->net.binds[i];
	o->net.present = o->net.nrules || o->net.nbinds;
	return o;
}

static struct ir_policy *merged(struct arena *a, struct ir_policy **parts, size_t n)
{
	struct ir_policy *m = ir_policy_new(a);
	for (size_t i = 0; i < n; i++)
		if (parts[i])
			ir_merge(m, parts[i]);
	ir_finalize(m, diag_sink_new(a));
	return m;
}

static bool same_privileges(struct arena *a, const struct ir_policy *x, const struct ir_policy *y)
{
	struct diag_sink *scratch = diag_sink_new(a);
	struct diff_side sx, sy;
	struct diff_result r;
	char err[256];
	if (diff_side_policy(&sx, a, x, scratch, "a") < 0 ||
	    diff_side_policy(&sy, a, y, scratch, "b") < 0 ||
	    diff_run(a, &sx, &sy, &r, err, sizeof(err)) < 0)
		return false; /* cannot tell: do not claim the extends is unused */
	return r.n == 0;
}

/* An input's `extends` entry is unused when the merged policy of all inputs
 * decides everything the same without it.  Each base is reloaded alone; its
 * own diagnostics were already reported by the main load. */
static void unused_extends(struct load_ctx *lc, struct lctx *c, char *const *paths,
                           struct ir_policy **inputs, int n)
{
	struct diag_sink *real = lc->d;
	lc->d = diag_sink_new(lc->a);
	for (int i = 0; i < n; i++) {
		const struct ir_policy *in = inputs[i];
		if (!in)
			continue;
		const char *file = NULL;
		for (size_t s = 0; s < in->nsources; s++)
			if (strcmp(in->sources[s], paths[i]) == 0)
				file = in->sources[s];
		if (!file)
			continue;
		const struct ir_extends *own[64];
		struct ir_policy *base[64];
		size_t nown = 0;
		for (size_t k = 0; k < in->nextends && nown < 64; k++)
			if (in_file(in->extends[k].pos, file) && in->extends[k].resolved) {
				own[nown] = &in->extends[k];
				base[nown++] = load_file(lc, in->extends[k].resolved, in->extends[k].pos);
			}
		if (!nown)
			continue;
		struct ir_policy *mine = own_part(c->a, in, file);
		for (size_t k = 0; k < nown; k++) {
			if (!base[k] || base[k]->proc.caps)
				continue; /* capabilities are united: cannot tell who added them */
			struct ir_policy *without = ir_policy_new(c->a);
			for (size_t j = 0; j < nown; j++)
				if (j != k && base[j])
					ir_merge(without, base[j]);
			ir_merge(without, mine);
			struct ir_policy **parts = arena_array(c->a, (size_t)n, sizeof(*parts));
			for (int j = 0; j < n; j++)
				parts[j] = j == i ? without : inputs[j];
			if (same_privileges(c->a, c->p, merged(c->a, parts, (size_t)n)))
				report(c, LINT_L101, own[k]->pos,
				       "extends `%s` adds nothing: every decision is the same without it "
				       "(the rest of the policy grants all it grants)",
				       own[k]->name);
		}
	}
	lc->d = real;
}

/* ---- suppressions ---------------------------------------------------------------- */

struct supp {
	const char *file;
	uint32_t line, col;     /* of the comment */
	uint32_t target;        /* line it applies to; 0 = whole file */
	int rule;               /* rule index, or -1 - diag code */
	const char *reason;
	bool used;
};

static bool blank_or_comment(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i == n || s[i] == '#';
}

static void scan_suppressions(struct lctx *c, const struct diag_sink *d, const char *file,
                              struct supp **v, size_t *n, size_t *cap)
{
	for (uint32_t line = 1;; line++) {
		size_t len;
		const char *s = diag_source_line(d, file, line, &len);
		if (!s)
			break;
		for (size_t i = 0; i < len; i++) {
			if (s[i] != '#' || (i > 0 && s[i - 1] != ' ' && s[i - 1] != '\t'))
				continue;
			size_t j = i + 1;
			while (j < len && s[j] == ' ')
				j++;
			static const char kw[] = "polc:ignore";
			if (len - j < sizeof(kw) - 1 || memcmp(s + j, kw, sizeof(kw) - 1) != 0)
				break; /* an ordinary comment: the rest of the line is text */
			j += sizeof(kw) - 1;
			bool whole = false;
			if (len - j >= 5 && memcmp(s + j, "-file", 5) == 0) {
				whole = true;
				j += 5;
			}
			if (j < len && s[j] != ' ' && s[j] != '\t')
				break;
			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			size_t rs = j;
			while (j < len && s[j] != ' ' && s[j] != '\t')
				j++;
			char *rules = arena_strndup(c->a, s + rs, j - rs);
			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			size_t re = len;
			while (re > j && (s[re - 1] == ' ' || s[re - 1] == '\t'))
				re--;
			const char *reason = re > j ? arena_strndup(c->a, s + j, re - j) : NULL;
			struct src_pos at = src_pos(file, line, (uint32_t)i + 1);
			uint32_t target = line;
			if (whole)
				target = 0;
			else if (blank_or_comment(s, len)) {
				/* On a line of its own: the next line with content. */
				target = 0;
				for (uint32_t l = line + 1;; l++) {
					size_t ln;
					const char *t = diag_source_line(d, file, l, &ln);
					if (!t)
						break;
					if (!blank_or_comment(t, ln)) {
						target = l;
						break;
					}
				}
				if (!target)
					break;
			}
			if (!*rules) {
				report(c, LINT_L107, at, "`# polc:ignore` names no rule");
				break;
			}
			if (!reason) {
				report(c, LINT_L106, at,
				       "suppression of %s gives no reason; write it after the rule", rules);
				break;
			}
			char *save = NULL;
			for (char *t = strtok_r(rules, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int rule = lint_rule_find(t);
				bool found = rule >= 0;
				for (int code = 0; code < DIAG__COUNT && !found; code++)
					if (strcmp(t, diag_code_name((enum diag_code)code)) == 0) {
						rule = -1 - code;
						found = true;
					}
				if (!found) {
					report(c, LINT_L107, at, "`%s` is not a lint rule or diagnostic code", t);
					continue;
				}
				struct supp *sp = ARENA_PUSH(c->a, *v, *n, *cap);
				*sp = (struct supp){file, line, (uint32_t)i + 1, target, rule, reason, false};
			}
			break;
		}
	}
}

/* ---- driver ------------------------------------------------------------------------ */

static int cmp_finding(const void *x, const void *y)
{
	const struct lint_finding *a = x, *b = y;
	int s = strcmp(a->pos.file ? a->pos.file : "", b->pos.file ? b->pos.file : "");
	if (s)
		return s;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	s = strcmp(lint_finding_id(a), lint_finding_id(b));
	return s ? s : strcmp(a->msg, b->msg);
}

static void add_diag(struct lctx *c, const struct diag *dg)
{
	struct lint_finding *f = ARENA_PUSH(c->a, c->r->v, c->r->n, c->r->cap);
	memset(f, 0, sizeof(*f));
	f->rule = -1;
	f->code = dg->code;
	f->level = dg->level == DIAG_ERROR     ? LINT_ERROR
	           : dg->level == DIAG_WARNING ? LINT_WARNING
	                                       : LINT_NOTE;
	f->pos = dg->pos;
	f->msg = dg->msg;
}

/* A lint finding that restates a backend diagnostic at the same position. */
static bool restates(const struct lint_finding *f, const struct lint_finding *d)
{
	static const struct {
		enum lint_rule_id rule;
		enum diag_code code;
	} same[] = {{LINT_L104, DIAG_E405}, {LINT_L104, DIAG_E401}, {LINT_L212, DIAG_E202},
	            {LINT_L402, DIAG_E402}, {LINT_L403, DIAG_E400}, {LINT_L401, DIAG_E400},
	            {LINT_L407, DIAG_E405}, {LINT_L102, DIAG_E405}};
	if (f->rule < 0 || d->rule >= 0 || !same_pos(f->pos, d->pos))
		return false;
	for (size_t i = 0; i < sizeof(same) / sizeof(*same); i++)
		if (same[i].rule == (enum lint_rule_id)f->rule && same[i].code == d->code)
			return true;
	return false;
}

static bool is_stdlib(const char *file, const char **std, size_t nstd)
{
	for (size_t i = 0; file && i < nstd; i++)
		if (strcmp(file, std[i]) == 0)
			return true;
	return false;
}

int lint_run(struct load_ctx *lc, char *const *paths, int n, const struct lint_config *cfg,
             const struct lint_options *opt, struct lint_result *out)
{
	memset(out, 0, sizeof(*out));
	struct arena *a = lc->a;
	struct lctx c = {a, NULL, out};
	size_t errs = diag_errors(lc->d);
	struct ir_policy **inputs = arena_array(a, n ? (size_t)n : 1, sizeof(*inputs));
	for (int i = 0; i < n; i++)
		inputs[i] = load_file(lc, paths[i], (struct src_pos){0});
	bool loaded = diag_errors(lc->d) == errs;
	struct ir_policy *p = NULL;
	if (loaded) {
		p = ir_policy_new(a);
		for (int i = 0; i < n; i++)
			ir_merge(p, inputs[i]);
		ir_finalize(p, lc->d);
		loaded = diag_errors(lc->d) == errs;
	}
	/* Front-end diagnostics (syntax, schema), warnings included. */
	for (size_t i = 0; i < diag_count(lc->d); i++)
		add_diag(&c, diag_get(lc->d, i));
	out->errors = diag_errors(lc->d) - errs;
	if (!loaded)
		goto finish;
	c.p = p;
	/* What the backends would refuse or warn about at build time. */
	struct diag_sink *bd = diag_sink_new(a);
	struct buf b = {0};
	uint32_t abi;
	ll_build(p, bd, &b, &abi);
	buf_free(&b);
	nt_build(p, bd, &b);
	buf_free(&b);
	for (size_t i = 0; i < diag_count(bd); i++)
		add_diag(&c, diag_get(bd, i));
	size_t ndiag = out->n;
	lint_policy(a, p, out);
	unused_extends(lc, &c, paths, inputs, n);
	/* Drop lint findings that only restate a backend diagnostic. */
	size_t k = 0;
	for (size_t i = 0; i < out->n; i++) {
		bool dup = false;
		for (size_t j = 0; j < ndiag && !dup && i >= ndiag; j++)
			dup = restates(&out->v[i], &out->v[j]);
		if (!dup)
			out->v[k++] = out->v[i];
	}
	out->n = k;

finish:;
	/* Stdlib policies: every file reached through a stdlib name, by the
	 * name the loader shows (stdlib/NAME.yaml) and by its real path. */
	const char **std = NULL;
	size_t nstd = 0, capstd = 0;
	for (int i = 0; i < lc->nstdlib; i++) {
		const char *real = lc->stdlib_files[i], *slash = strrchr(real, '/');
		*ARENA_PUSH(a, std, nstd, capstd) = real;
		*ARENA_PUSH(a, std, nstd, capstd) = arena_printf(a, "stdlib/%s", slash ? slash + 1 : real);
	}
	if (p) {
		for (bool grew = true; grew;) {
			grew = false;
			for (size_t i = 0; i < p->nextends; i++) {
				const struct ir_extends *e = &p->extends[i];
				if (!e->resolved || is_stdlib(e->resolved, std, nstd))
					continue;
				bool by_name = !strchr(e->name, '/') && !strchr(e->name, '.');
				if (by_name || is_stdlib(e->pos.file, std, nstd)) {
					*ARENA_PUSH(a, std, nstd, capstd) = e->resolved;
					grew = true;
				}
			}
		}
	}
	/* Suppressions, from every file read (the stdlib's apply too). */
	struct supp *sv = NULL;
	size_t ns = 0, caps = 0;
	const char *const *files = p ? p->sources : (const char *const *)paths;
	size_t nfiles = p ? p->nsources : (size_t)n;
	for (size_t i = 0; i < nfiles; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(files[i], files[j]) == 0;
		if (!seen)
			scan_suppressions(&c, lc->d, files[i], &sv, &ns, &caps);
	}
	size_t k2 = 0;
	for (size_t i = 0; i < out->n; i++) {
		struct lint_finding *f = &out->v[i];
		if (f->rule >= 0)
			f->level = cfg->level[f->rule];
		if (f->level == LINT_OFF)
			continue;
		/* The stdlib's own findings are not the user's to fix; its errors
		 * still are reported, since they break the build. */
		if (!opt->include_stdlib && !(f->rule < 0 && f->level == LINT_ERROR) &&
		    is_stdlib(f->pos.file, std, nstd))
			continue;
		if (f->rule < 0 && f->level == LINT_ERROR) {
			out->v[k2++] = *f; /* errors cannot be suppressed */
			continue;
		}
		for (size_t s = 0; s < ns && !f->suppressed; s++) {
			struct supp *sp = &sv[s];
			int want = f->rule >= 0 ? f->rule : -1 - (int)f->code;
			if (sp->rule != want || !f->pos.file || strcmp(sp->file, f->pos.file) != 0 ||
			    (sp->target && sp->target != f->pos.line))
				continue;
			f->suppressed = sp->reason;
			sp->used = true;
		}
		out->v[k2++] = *f;
	}
	out->n = k2;
	for (size_t s = 0; s < ns; s++) {
		if (sv[s].used || cfg->level[LINT_L108] == LINT_OFF ||
		    (!opt->include_stdlib && is_stdlib(sv[s].file, std, nstd)))
			continue;
		const char *name = sv[s].rule >= 0 ? catalogue[sv[s].rule].name
		                                   : diag_code_name((enum diag_code)(-1 - sv[s].rule));
		size_t before = out->n;
		report(&c, LINT_L108, src_pos(sv[s].file, sv[s].line, sv[s].col),
		       "`# polc:ignore %s` suppresses nothing%s", name,
		       sv[s].target ? "" : " in this file");
		if (out->n > before)
			out->v[out->n - 1].level = cfg->level[LINT_L108];
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_finding);
	for (size_t i = 0; i < out->n; i++) {
		if (out->v[i].suppressed)
			out->nsuppressed++;
		else
			out->count[out->v[i].level]++;
	}
	return 0;
}
