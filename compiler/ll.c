/* ll.c — Landlock backend: the IR's filesystem section to the artifact's
 * LANDLOCK payload (art.h), the minimum ABI, and the beneath-path model
 * used by `polc query fs` and `polc test`. */
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

static uint32_t abi_for(uint64_t access)
{
	uint32_t abi = 1;
	for (size_t i = 0; i < NRIGHTS; i++)
		if ((access & fs_rights[i].bit) && fs_rights[i].abi > abi)
			abi = fs_rights[i].abi;
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

int ll_build(const struct ir_policy *p, struct diag_sink *d, struct buf *out, uint32_t *min_abi)
{
	uint64_t used = 0;
	for (size_t i = 0; i < p->fs.nrules; i++)
		used |= p->fs.rules[i].access;
	uint32_t need = abi_for(used);
	uint32_t abi = need;
	if (p->fs.min_abi) {
		if (p->fs.min_abi < need) {
			diag_error(d, p->fs.min_abi_pos, E203,
			           "min_abi %u is too low: the rights this policy grants need Landlock ABI %u",
			           p->fs.min_abi, need);
			return -1;
		}
		abi = p->fs.min_abi;
	}
	/* No filesystem section: nothing is restricted, and no ABI is needed. */
	uint64_t handled = p->fs.present ? rights_up_to(abi) : 0;
	if (!p->fs.present)
		abi = 0;
	*min_abi = abi;

	/* One entry per distinct path (rights united), in first-seen order. */
	size_t n = p->fs.nrules, nu = 0;
	struct ir_fs_rule *u = calloc(n ? n : 1, sizeof(*u));
	if (!u)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct ir_fs_rule *r = &p->fs.rules[i];
		size_t j = 0;
		while (j < nu && strcmp(u[j].path, r->path) != 0)
			j++;
		if (j == nu)
			u[nu++] = *r;
		else {
			u[j].access |= r->access;
			u[j].optional = u[j].optional && r->optional;
		}
	}

	buf_u32(out, ART_LL_VERSION);
	buf_u32(out, abi);
	buf_u64(out, handled);
	buf_u64(out, 0); /* handled_access_net */
	buf_u64(out, 0); /* scoped */
	buf_u32(out, 0); /* restrict_flags */
	buf_u32(out, (uint32_t)nu);
	buf_u32(out, 0); /* net rules */
	buf_u32(out, 0);
	for (size_t i = 0; i < nu; i++) {
		size_t len = strlen(u[i].path);
		buf_u64(out, u[i].access & handled);
		buf_u32(out, u[i].id);
		buf_u16(out, u[i].optional ? ART_LL_PATH_OPTIONAL : 0);
		buf_u16(out, (uint16_t)len);
		buf_bytes(out, u[i].path, len);
	}
	free(u);
	return 0;
}

/* Landlock grants a right on a path when a rule on the path itself or on
 * any directory above it grants it; rights the ruleset does not handle are
 * never restricted. */
static bool beneath(const char *path, const char *dir, size_t dlen)
{
	if (dlen == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, dlen) == 0 && (path[dlen] == '\0' || path[dlen] == '/');
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
	uint64_t need = access & ll.handled_fs, granted = 0;
	uint32_t best = 0;
	size_t best_len = 0;
	struct art_ll_path r;
	while (art_ll_next_path(&ll, &r) == 1) {
		char dir[ART_LL_PATH_MAX + 1];
		memcpy(dir, r.path, r.len);
		dir[r.len] = '\0';
		if (!beneath(path, dir, r.len) || !(r.access & need))
			continue;
		granted |= r.access;
		/* Report the most specific rule that contributed. */
		if (r.len >= best_len) {
			best_len = r.len;
			best = r.rule_id;
		}
	}
	out->allowed = (granted & need) == need;
	out->rule_id = out->allowed ? best : 0;
	if (out->allowed)
		snprintf(out->text, sizeof(out->text), "allow");
	else {
		char missing[256];
		ir_fs_access_str(missing, sizeof(missing), need & ~granted);
		snprintf(out->text, sizeof(out->text), "deny (%s)", missing);
	}
	return 0;
}

int ll_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
               char *err, size_t errlen)
{
	struct art_ll ll;
	if (art_ll_parse(&ll, s, err, errlen) < 0)
		return -1;
	char acc[512];
	json_t *j = json ? json_object() : NULL, *paths = json ? json_array() : NULL;
	if (out) {
		ir_fs_access_str(acc, sizeof(acc), ll.handled_fs);
		fprintf(out, "landlock: min_abi %u\n  handled_fs %s\n", ll.min_abi, acc);
		fprintf(out, "  handled_net 0x%" PRIx64 " scoped 0x%" PRIx64 " restrict_flags 0x%x\n",
		        ll.handled_net, ll.scoped, ll.restrict_flags);
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
		if (out)
			fprintf(out, "  net port %u access 0x%" PRIx64 " (rule #%u)\n", nr.port, nr.access,
			        nr.rule_id);
		if (nets)
			json_array_append_new(nets, json_pack("{s:I, s:I, s:I}", "port", (json_int_t)nr.port,
			                                      "access_mask", (json_int_t)nr.access, "rule",
			                                      (json_int_t)nr.rule_id));
	}
	if (j) {
		ir_fs_access_str(acc, sizeof(acc), ll.handled_fs);
		json_object_set_new(j, "min_abi", json_integer(ll.min_abi));
		json_object_set_new(j, "handled_fs", json_string(acc));
		json_object_set_new(j, "handled_net", json_integer((json_int_t)ll.handled_net));
		json_object_set_new(j, "scoped", json_integer((json_int_t)ll.scoped));
		json_object_set_new(j, "restrict_flags", json_integer(ll.restrict_flags));
		json_object_set_new(j, "paths", paths);
		json_object_set_new(j, "net", nets);
		*json = j;
	}
	return 0;
}
