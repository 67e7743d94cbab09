/* ll.c — Landlock backend: the IR's filesystem section, network bind ports
 * and scopes to the artifact's LANDLOCK payload (art.h), the minimum ABI,
 * compile-time errors for what Landlock cannot express, and the model of
 * Landlock's access checks used by `polc query fs` and `polc test`.
 *
 * What the schema's shorthands mean (compiler/ir.h):
 *   read   read_file, read_dir                            (IR_FS_READ)
 *   exec   read + execute                                 (IR_FS_EXEC)
 *   write  read + write_file, truncate, remove_dir, remove_file, make_dir,
 *          make_reg, make_sock, make_fifo, make_sym, refer  (IR_FS_WRITE)
 * make_char, make_block and ioctl_dev are granted only by `rules:`.
 *
 * Handled rights: every right the chosen ABI knows, so whatever no rule
 * grants is denied.  The minimum ABI is the lowest that enforces it all:
 *   the rights the rules use (refer 2, truncate 3, ioctl_dev 5),
 *   at least 3 when there is a filesystem section (below ABI 3 truncate(2)
 *     is never restricted, so "write only beneath these paths" would not
 *     hold),
 *   4 when there is a network section (TCP bind and connect are handled:
 *     bind only to `network.bind` ports, connect only to runmin's proxy),
 *   6 when scopes are on (the IR's default).
 * Audit-log flags (ABI 7) are best effort and never raise it.
 *
 * Also here: the PROCESS section (capabilities kept), the other thing runmin
 * applies to itself before it runs the program. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "backend.h"

static const struct {
	const char *name;
	uint64_t bit;
	uint32_t abi;
	int file;
} fs_rights[] = {
#define LL_FS(n, b, abi, f, doc) {#n, 1ull << b, abi, f},
#include "ll_rights.def"
};
#define NRIGHTS (sizeof(fs_rights) / sizeof(fs_rights[0]))

static const struct {
	const char *name;
	uint64_t bit;
} net_rights[] = {
#define LL_NET(n, b, abi, doc) {#n, 1ull << b},
#include "ll_rights.def"
},
  scopes[] = {
#define LL_SCOPE(n, b, abi, doc) {#n, 1ull << b},
#include "ll_rights.def"
};

/* Kernel ABI of the network rights and scopes (ll_rights.def). */
#define ABI_TRUNCATE 3
#define ABI_NET 4
#define ABI_SCOPES 6

/* landlock_restrict_self() flags (ABI 7): do not log what runmin itself is
 * refused between restrict_self and execve (e.g. its PATH search), do log
 * what the program it runs is refused. */
#define LL_RESTRICT_LOG_SAME_EXEC_OFF (1u << 0)
#define LL_RESTRICT_LOG_NEW_EXEC_ON (1u << 1)

/* Rights that act on the directory holding the path (creating, removing,
 * renaming an entry), not on the path itself. */
#define LL_FS_PARENT_RIGHTS                                                                    \
	(LL_FS_remove_dir | LL_FS_remove_file | LL_FS_make_char | LL_FS_make_dir | LL_FS_make_reg | \
	 LL_FS_make_sock | LL_FS_make_fifo | LL_FS_make_block | LL_FS_make_sym | LL_FS_refer)

static uint32_t abi_for(uint64_t access, const char **why)
{
	uint32_t abi = 1;
	for (size_t i = 0; i < NRIGHTS; i++)
		if ((access & fs_rights[i].bit) && fs_rights[i].abi > abi) {
			abi = fs_rights[i].abi;
			*why = fs_rights[i].name;
		}
	return abi;
}

static uint64_t rights_up_to(uint32_t abi)
{
	uint64_t r = 0;
	for (size_t i = 0; i < NRIGHTS; i++)
		if (fs_rights[i].abi <= abi)
			r |= fs_rights[i].bit;
	return r;
}

/* Is path equal to dir or beneath it?  Both absolute and normalised. */
static bool beneath(const char *path, size_t plen, const char *dir, size_t dlen)
{
	if (dlen == 1 && dir[0] == '/')
		return true;
	return plen >= dlen && memcmp(path, dir, dlen) == 0 && (plen == dlen || path[dlen] == '/');
}

struct ll_path {
	const char *path;
	uint64_t access;
	bool optional;
	uint32_t id;
	struct src_pos pos;
};

/* Errors for rules Landlock cannot honour as written. */
static void check_rules(const struct ir_policy *p, const struct ll_path *u, size_t nu,
                        struct diag_sink *d)
{
	char a1[512], a2[512];
	for (size_t i = 0; i < nu; i++) {
		size_t li = strlen(u[i].path);
		if (!u[i].access)
			diag_error(d, u[i].pos, E202,
			           "rule for %s grants no access right: Landlock denies everything "
			           "by default and has no deny rules, so a rule can only add rights",
			           u[i].path);
		if (beneath(u[i].path, li, "/proc/self", 10) ||
		    beneath(u[i].path, li, "/proc/thread-self", 17))
			diag_warn(d, u[i].pos, E202,
			          "%s is resolved once, when runmin starts: the rule then covers "
			          "runmin's own process (which becomes the program it runs) but no "
			          "process that program starts; to let every process read its own "
			          "entries, grant read on /proc (Landlock keeps other processes' "
			          "sensitive /proc files out of reach)",
			          u[i].path);
		/* Rights only add up beneath a path: a rule inside a directory that
		 * already grants all of its rights and more cannot make the inner
		 * path more restricted.  Only within one file: across `extends`, a
		 * policy restating what its base grants is harmless. */
		for (size_t j = 0; j < nu && u[i].access; j++) {
			size_t lj = strlen(u[j].path);
			if (j == i || lj >= li || u[j].optional || !beneath(u[i].path, li, u[j].path, lj))
				continue;
			if ((u[i].access & ~u[j].access) || u[i].access == u[j].access)
				continue;
			if (!u[i].pos.file || !u[j].pos.file || strcmp(u[i].pos.file, u[j].pos.file))
				continue;
			ir_fs_access_str(a1, sizeof(a1), u[i].access);
			ir_fs_access_str(a2, sizeof(a2), u[j].access);
			diag_error(d, u[i].pos, E202,
			           "cannot restrict %s to %s: it is beneath %s, which grants %s (line "
			           "%u), and Landlock only adds rights beneath a path, it cannot take "
			           "them away; remove this rule or narrow the one on %s",
			           u[i].path, a1, u[j].path, a2, u[j].pos.line, u[j].path);
			break;
		}
	}
	(void)p;
}

int ll_build(const struct ir_policy *p, struct diag_sink *d, struct buf *out, uint32_t *min_abi)
{
	/* One entry per distinct path (rights united), in first-seen order. */
	size_t n = p->fs.nrules, nu = 0;
	struct ll_path *u = calloc(n ? n : 1, sizeof(*u));
	if (!u)
		abort();
	uint64_t used = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ir_fs_rule *r = &p->fs.rules[i];
		used |= r->access;
		size_t j = 0;
		while (j < nu && strcmp(u[j].path, r->path) != 0)
			j++;
		if (j == nu)
			u[nu++] = (struct ll_path){r->path, r->access, r->optional, r->id, r->pos};
		else {
			u[j].access |= r->access;
			u[j].optional = u[j].optional && r->optional;
		}
	}
	size_t nerr = diag_errors(d);
	check_rules(p, u, nu, d);

	/* The lowest ABI that enforces everything, and what forces it. */
	const char *why = NULL, *why_right = NULL;
	uint32_t need = 0;
	if (p->fs.present) {
		need = abi_for(used, &why_right);
		why = why_right ? "right" : NULL;
		if (need < ABI_TRUNCATE) {
			need = ABI_TRUNCATE;
			why = "truncate";
		}
	}
	if (p->net.present && need < ABI_NET) {
		need = ABI_NET;
		why = "net";
	}
	if (p->proc.scopes && need < ABI_SCOPES) {
		need = ABI_SCOPES;
		why = "scopes";
	}
	uint32_t abi = need;
	if (p->fs.min_abi) {
		if (p->fs.min_abi < need) {
			const char *what =
			        !why                   ? "the policy"
			        : !strcmp(why, "right") ? arena_printf(p->a, "the right `%s`", why_right)
			        : !strcmp(why, "truncate")
			                ? "denying truncate(2) outside the write paths"
			        : !strcmp(why, "net") ? "restricting TCP bind/connect (network section)"
			                              : "isolating signals and abstract UNIX sockets "
			                                "(on by default; `process: {scopes: []}` turns it "
			                                "off for older kernels, but a process section "
			                                "also makes seccomp deny every system call it does "
			                                "not allow)";
			diag_error(d, p->fs.min_abi_pos, E203,
			           "min_abi %u is too low: %s needs Landlock ABI %u", p->fs.min_abi, what,
			           need);
		}
		abi = p->fs.min_abi;
	}
	*min_abi = abi;
	if (diag_errors(d) > nerr) {
		free(u);
		return -1;
	}

	uint64_t handled = p->fs.present ? rights_up_to(abi) : 0;
	uint64_t handled_net = p->net.present ? LL_NET_bind_tcp | LL_NET_connect_tcp : 0;
	uint64_t scoped = p->proc.scopes;
	uint32_t restrict_flags = handled || handled_net || scoped
	                                  ? LL_RESTRICT_LOG_SAME_EXEC_OFF | LL_RESTRICT_LOG_NEW_EXEC_ON
	                                  : 0;
	uint32_t ll_flags = p->net.present ? ART_LL_F_PROXY_CONNECT : 0;

	/* Bind ports, each once. */
	size_t nb = 0;
	const struct ir_bind **b = calloc(p->net.nbinds ? p->net.nbinds : 1, sizeof(*b));
	if (!b)
		abort();
	for (size_t i = 0; i < p->net.nbinds; i++) {
		size_t j = 0;
		while (j < nb && b[j]->port != p->net.binds[i].port)
			j++;
		if (j == nb)
			b[nb++] = &p->net.binds[i];
	}

	buf_u32(out, ART_LL_VERSION);
	buf_u32(out, abi);
	buf_u64(out, handled);
	buf_u64(out, handled_net);
	buf_u64(out, scoped);
	buf_u32(out, restrict_flags);
	buf_u32(out, (uint32_t)nu);
	buf_u32(out, (uint32_t)nb);
	buf_u32(out, ll_flags);
	for (size_t i = 0; i < nu; i++) {
		size_t len = strlen(u[i].path);
		buf_u64(out, u[i].access & handled);
		buf_u32(out, u[i].id);
		buf_u16(out, u[i].optional ? ART_LL_PATH_OPTIONAL : 0);
		buf_u16(out, (uint16_t)len);
		buf_bytes(out, u[i].path, len);
	}
	for (size_t i = 0; i < nb; i++) {
		buf_u64(out, LL_NET_bind_tcp);
		buf_u32(out, b[i]->id);
		buf_u16(out, b[i]->port);
		buf_u16(out, 0);
	}
	free(b);
	free(u);
	return 0;
}

/* ---- the access model --------------------------------------------------------
 *
 * Landlock grants a right when a rule on the checked directory or file, or on
 * any directory above it, grants it (rights add up along the path, nothing
 * takes them away); rights the ruleset does not handle are never restricted.
 * The checked object depends on the right: reading, writing, executing,
 * truncating and device ioctls check the path itself (and read_dir lists
 * it); creating, removing, linking and renaming check the directory that
 * holds it, so a rule on the path itself does not grant them.  The model is
 * lexical: runmin resolves symbolic links in rule paths when it starts, and
 * the kernel checks the real path, so ask about real paths. */

/* Lexically normalises an absolute path into out ('.', '..', '//').
 * Returns its length, or 0 when it does not fit. */
static size_t normalise(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	const char *s = in;
	while (*s) {
		while (*s == '/')
			s++;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - s);
		if (n == 0 || (n == 1 && s[0] == '.')) {
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o + 1 + n + 1 > cap)
				return 0;
			out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s = e;
	}
	if (o == 0) {
		if (cap < 2)
			return 0;
		out[o++] = '/';
	}
	out[o] = '\0';
	return o;
}

int ll_query(const struct art *a, const char *path, uint64_t access, struct decision *out,
             char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const struct art_section *s = art_find(a, ART_SEC_LANDLOCK, 0);
	struct art_ll ll;
	if (!s) {
		snprintf(err, errlen, "artifact has no landlock section");
		return -1;
	}
	if (art_ll_parse(&ll, s, err, errlen) < 0)
		return -1;
	char np[ART_LL_PATH_MAX + 2];
	size_t plen = path[0] == '/' ? normalise(path, np, sizeof(np)) : 0;
	if (!plen) {
		snprintf(err, errlen, "'%s' is not an absolute path of at most %d bytes", path,
		         ART_LL_PATH_MAX);
		return -1;
	}
	uint64_t need = access & ll.handled_fs, granted = 0;
	uint32_t best = 0;
	size_t best_len = 0;
	struct art_ll_path r;
	while (art_ll_next_path(&ll, &r) == 1) {
		if (!beneath(np, plen, r.path, r.len))
			continue;
		/* A rule on the path itself grants only what is checked on it. */
		uint64_t g = r.access & need;
		if (plen == r.len)
			g &= ~(uint64_t)LL_FS_PARENT_RIGHTS;
		if (!g)
			continue;
		granted |= g;
		/* Report the most specific rule that contributed. */
		if (r.len >= best_len) {
			best_len = r.len;
			best = r.rule_id;
		}
	}
	out->allowed = (granted & need) == need;
	out->rule_id = out->allowed ? best : 0;
	if (out->allowed && !need)
		snprintf(out->text, sizeof(out->text), "allow (not restricted by the policy)");
	else if (out->allowed)
		snprintf(out->text, sizeof(out->text), "allow");
	else {
		char missing[256];
		ir_fs_access_str(missing, sizeof(missing), need & ~granted);
		snprintf(out->text, sizeof(out->text), "deny (%s)", missing);
	}
	return 0;
}

/* "a,b" names of the bits in v from a table; "none" when empty. */
#define NAMES(buf, tab, v)                                                                    \
	do {                                                                                  \
		size_t o_ = 0;                                                                \
		(buf)[0] = '\0';                                                              \
		for (size_t i_ = 0; i_ < sizeof(tab) / sizeof((tab)[0]); i_++)               \
			if ((v) & (tab)[i_].bit)                                              \
				o_ += (size_t)snprintf((buf) + o_, sizeof(buf) - o_, "%s%s",  \
				                       o_ ? "," : "", (tab)[i_].name);        \
		if (!o_)                                                                      \
			snprintf((buf), sizeof(buf), "none");                                 \
	} while (0)

int ll_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
               char *err, size_t errlen)
{
	struct art_ll ll;
	if (art_ll_parse(&ll, s, err, errlen) < 0)
		return -1;
	char acc[512], net[64], sc[96];
	NAMES(net, net_rights, ll.handled_net);
	NAMES(sc, scopes, ll.scoped);
	json_t *j = json ? json_object() : NULL, *paths = json ? json_array() : NULL;
	if (ll.handled_fs)
		ir_fs_access_str(acc, sizeof(acc), ll.handled_fs);
	else
		snprintf(acc, sizeof(acc), "none");
	if (out) {
		fprintf(out, "landlock: min_abi %u\n  handled_fs %s\n  handled_net %s\n  scoped %s\n",
		        ll.min_abi, acc, net, sc);
		fprintf(out, "  restrict_flags 0x%x%s%s\n", ll.restrict_flags,
		        ll.restrict_flags & LL_RESTRICT_LOG_SAME_EXEC_OFF ? " log_same_exec_off" : "",
		        ll.restrict_flags & LL_RESTRICT_LOG_NEW_EXEC_ON ? " log_new_exec_on" : "");
		if (ll.flags & ART_LL_F_PROXY_CONNECT)
			fprintf(out, "  connect_tcp allowed to runmin's proxy port only\n");
	}
	if (j) {
		json_object_set_new(j, "min_abi", json_integer(ll.min_abi));
		json_object_set_new(j, "handled_fs", json_string(acc));
		json_object_set_new(j, "handled_fs_mask", json_integer((json_int_t)ll.handled_fs));
		json_object_set_new(j, "handled_net", json_integer((json_int_t)ll.handled_net));
		json_object_set_new(j, "handled_net_names", json_string(net));
		json_object_set_new(j, "scoped", json_integer((json_int_t)ll.scoped));
		json_object_set_new(j, "scoped_names", json_string(sc));
		json_object_set_new(j, "restrict_flags", json_integer(ll.restrict_flags));
		json_object_set_new(j, "proxy_connect",
		                    json_boolean(ll.flags & ART_LL_F_PROXY_CONNECT));
	}
	struct art_ll_path r;
	while (art_ll_next_path(&ll, &r) == 1) {
		ir_fs_access_str(acc, sizeof(acc), r.access);
		const struct meta_rule *mr = meta_rule(m, r.rule_id);
		if (out) {
			fprintf(out, "  path %.*s %s%s", (int)r.len, r.path, acc,
			        r.flags & ART_LL_PATH_OPTIONAL ? " optional" : "");
			if (mr)
				fprintf(out, "  (rule #%u %s:%u:%u)", r.rule_id, mr->file, mr->line, mr->col);
			fputc('\n', out);
		}
		if (paths)
			json_array_append_new(paths, json_pack("{s:s%, s:s, s:I, s:b, s:I}", "path", r.path,
			                                       (size_t)r.len, "access", acc, "access_mask",
			                                       (json_int_t)r.access, "optional",
			                                       (r.flags & ART_LL_PATH_OPTIONAL) != 0,
			                                       "rule", (json_int_t)r.rule_id));
	}
	struct art_ll_net nr;
	json_t *nets = json ? json_array() : NULL;
	while (art_ll_next_net(&ll, &nr) == 1) {
		NAMES(net, net_rights, nr.access);
		const struct meta_rule *mr = meta_rule(m, nr.rule_id);
		if (out) {
			fprintf(out, "  port %u %s", nr.port, net);
			if (mr)
				fprintf(out, "  (rule #%u %s:%u:%u)", nr.rule_id, mr->file, mr->line, mr->col);
			fputc('\n', out);
		}
		if (nets)
			json_array_append_new(nets, json_pack("{s:I, s:s, s:I, s:I}", "port",
			                                      (json_int_t)nr.port, "access", net,
			                                      "access_mask", (json_int_t)nr.access, "rule",
			                                      (json_int_t)nr.rule_id));
	}
	if (j) {
		json_object_set_new(j, "paths", paths);
		json_object_set_new(j, "net", nets);
		*json = j;
	}
	return 0;
}

/* ---- the PROCESS section --------------------------------------------------- */

void ll_proc_build(const struct ir_policy *p, struct buf *out)
{
	buf_u32(out, ART_PROC_VERSION);
	buf_u32(out, 0);
	buf_u64(out, p->proc.caps);
}

int ll_proc_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
                 char *err, size_t errlen)
{
	struct art_proc pr;
	if (art_proc_parse(&pr, s, err, errlen) < 0)
		return -1;
	json_t *caps = json ? json_array() : NULL;
	if (out)
		fprintf(out, "process: capabilities kept:");
	for (int c = 0; c < 64; c++) {
		if (!(pr.caps_keep & (1ull << c)))
			continue;
		const char *n = ir_cap_name(c);
		if (out)
			n ? fprintf(out, " CAP_%s", n) : fprintf(out, " %d", c);
		if (caps)
			json_array_append_new(caps, n ? json_sprintf("CAP_%s", n) : json_integer(c));
	}
	if (out)
		fprintf(out, "%s\n", pr.caps_keep ? "" : " none");
	if (json)
		*json = json_pack("{s:o}", "capabilities", caps);
	(void)m;
	return 0;
}
