/* openshell.c — OpenShell sandbox policies (version 1) into the IR.
 *
 * The mapping (man/polc-policy.5, "OPENSHELL POLICIES"):
 *
 *   filesystem_policy.read_only    exec (read + execute: OpenShell grants
 *                                  Landlock's read set, which executes too)
 *   filesystem_policy.read_write   write + execute (OpenShell grants every
 *                                  right but device creation, which needs
 *                                  CAP_MKNOD and runmin drops it)
 *   include_workdir: true          write on /sandbox, OpenShell's workdir
 *   landlock.compatibility         best_effort: every path optional (a
 *                                  missing one is skipped); hard_requirement:
 *                                  every path must exist
 *   network_policies.*.endpoints   outbound rules: host (exact, `**.` as
 *                                  polc's `*.`, an address) and port/ports;
 *                                  a host-less endpoint's allowed_ips as
 *                                  address rules
 *   baseline paths                 as OpenShell adds them when there is a
 *                                  network rule: read /usr /lib /etc /app
 *                                  /var/log /proc /dev/urandom, write /tmp
 *                                  /dev/null, each only if not listed
 *
 * Everything else restricts something polc cannot enforce — request
 * inspection (L7 rules, TLS termination), binary identity, credential
 * injection, the user to run as, an `allowed_ips` list under a host name,
 * a single-label `*.` wildcard — and is an E505 error naming the field, or
 * with --openshell-lenient a warning (the field is dropped; a host polc
 * cannot express drops its endpoint).  Like OpenShell, unknown keys and
 * duplicate keys are errors.
 *
 * The YAML is read with libyaml's document API: yml.c has already walked
 * the same text with its event parser and refused anchors, aliases, several
 * documents and deep nesting, so the tree is small and acyclic. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "arena.h"
#include "openshell.h"

#define OS_MAX_PATH 4095

struct os {
	struct load_ctx *c;
	struct arena *a;
	struct diag_sink *d; /* this file's, flushed sorted */
	const char *file;
	yaml_document_t *doc;
	struct ir_policy *p;
	bool lenient;
	bool optional;    /* landlock best_effort: missing paths are skipped */
	bool workdir;     /* include_workdir in effect */
	struct src_pos workdir_pos;
	bool any_endpoint; /* some network rule: OpenShell adds its baseline */
	struct src_pos net_pos;
	const char **listed; /* paths the policy lists (the baseline skips them) */
	size_t nlisted, caplisted;
};

/* ---- nodes ------------------------------------------------------------------ */

static yaml_node_t *node(struct os *o, int i)
{
	return yaml_document_get_node(o->doc, i);
}

static struct src_pos npos(struct os *o, const yaml_node_t *n)
{
	size_t l = n->start_mark.line + 1, c = n->start_mark.column + 1;
	return src_pos(o->file, l > UINT32_MAX ? UINT32_MAX : (uint32_t)l,
	               c > UINT32_MAX ? UINT32_MAX : (uint32_t)c);
}

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	size_t l = n->data.scalar.length;
	return l == 0 || (l == 1 && v[0] == '~') ||
	       (l == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

static const char *kind_name(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return is_null(n) ? "an empty value" : "a scalar";
}

/* NUL and control characters (but tab and line breaks) never belong in a
 * policy, and would reach terminals through diagnostics. */
static bool clean(const yaml_node_t *n)
{
	const unsigned char *s = n->data.scalar.value;
	for (size_t i = 0; i < n->data.scalar.length; i++)
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
			return false;
	return true;
}

/* A non-empty, clean scalar (arena copy); NULL after an E102. */
static const char *want_str(struct os *o, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		diag_error(o->d, npos(o, n), E102, "`%.100s`: expected a scalar, got %s", what,
		           kind_name(n));
		return NULL;
	}
	if (!clean(n)) {
		diag_error(o->d, npos(o, n), E102, "`%.100s`: value contains a control character",
		           what);
		return NULL;
	}
	return arena_strndup(o->a, (const char *)n->data.scalar.value, n->data.scalar.length);
}

static bool want_list(struct os *o, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_SEQUENCE_NODE || is_null(n))
		return true;
	diag_error(o->d, npos(o, n), E102, "`%.100s`: expected a list, got %s", what, kind_name(n));
	return false;
}

static bool want_map(struct os *o, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_MAPPING_NODE || is_null(n))
		return true;
	diag_error(o->d, npos(o, n), E102, "`%.100s`: expected a mapping, got %s", what,
	           kind_name(n));
	return false;
}

static size_t seq_len(const yaml_node_t *n)
{
	return n->type == YAML_SEQUENCE_NODE
	               ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
	               : 0;
}

static yaml_node_t *seq_at(struct os *o, const yaml_node_t *n, size_t i)
{
	return node(o, n->data.sequence.items.start[i]);
}

static bool want_bool(struct os *o, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s = want_str(o, n, what);
	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		*out = false;
	else {
		diag_error(o->d, npos(o, n), E102, "`%.100s`: expected true or false, got `%.80s`",
		           what, s);
		return false;
	}
	return true;
}

/* Decimal integer in [lo, hi]. */
static bool parse_dec(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1]))
		return false;
	unsigned long v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > 100000000ul)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* The values of a mapping's known keys.  Every key must be a clean string,
 * appear once and be one of valid[] (NULL-terminated); k[i] / v[i] get the
 * key and value nodes of valid[i], or NULL. */
static void map_keys(struct os *o, const yaml_node_t *m, const char *where,
                     const char *const *valid, yaml_node_t **k, yaml_node_t **v)
{
	size_t nvalid = 0;
	while (valid[nvalid]) {
		k[nvalid] = v[nvalid] = NULL;
		nvalid++;
	}
	if (m->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *kn = node(o, pr->key), *vn = node(o, pr->value);
		if (kn->type != YAML_SCALAR_NODE || is_null(kn) || !clean(kn) ||
		    memchr(kn->data.scalar.value, 0, kn->data.scalar.length)) {
			diag_error(o->d, npos(o, kn), E102,
			           "keys in %s must be non-empty strings without control characters",
			           where);
			continue;
		}
		const char *key = (const char *)kn->data.scalar.value;
		size_t j = 0;
		while (j < nvalid && strcmp(valid[j], key) != 0)
			j++;
		if (j == nvalid) {
			char list[800];
			size_t off = 0;
			for (size_t i = 0; i < nvalid && off < sizeof(list); i++)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
				                        i ? ", " : "", valid[i]);
			diag_error(o->d, npos(o, kn), E101,
			           "unknown key `%.80s` in %s of an OpenShell policy (valid keys: %s)",
			           key, where, list);
			continue;
		}
		if (k[j]) {
			diag_error(o->d, npos(o, kn), E103, "duplicate key `%s` in %s", valid[j], where);
			diag_note(o->d, npos(o, k[j]), E103, "`%s` first defined here", valid[j]);
			continue;
		}
		k[j] = kn;
		v[j] = vn;
	}
}

/* A field polc cannot enforce: an error, or with --openshell-lenient a
 * warning saying it is dropped. */
static void drop(struct os *o, const yaml_node_t *at, const char *field, const char *why)
{
	if (o->lenient)
		diag_warn(o->d, npos(o, at), E505, "`%.160s` dropped: %s", field, why);
	else
		diag_error(o->d, npos(o, at), E505,
		           "`%.160s` cannot be enforced by polc: %s; remove it, or drop it with "
		           "--openshell-lenient",
		           field, why);
}

/* ---- filesystem --------------------------------------------------------------- */

/* OpenShell's paths: absolute, no "..", at most 4096 bytes.  polc compares
 * rules by their text, so trailing slashes go; anything else that is not
 * normalised is refused rather than guessed at.  NULL after an E200. */
static const char *want_path(struct os *o, const yaml_node_t *n, const char *what)
{
	const char *s = want_str(o, n, what);
	if (!s)
		return NULL;
	size_t len = strlen(s);
	const char *why = NULL;
	if (len != n->data.scalar.length)
		why = "path contains a NUL character";
	else if (strpbrk(s, "\t\n\r"))
		why = "path contains a control character"; /* as polc's schema says */
	else if (s[0] != '/')
		why = "path must be absolute (start with '/')";
	else if (len > OS_MAX_PATH)
		why = "path is too long";
	if (!why) {
		char *c = arena_strdup(o->a, s);
		while (len > 1 && c[len - 1] == '/')
			c[--len] = '\0';
		for (const char *p = c; *p && !why; p++) {
			if (*p != '/')
				continue;
			const char *e = strchr(p + 1, '/');
			size_t cl = e ? (size_t)(e - p - 1) : strlen(p + 1);
			if (cl == 0 && len > 1)
				why = "path contains '//'";
			else if ((cl == 1 && p[1] == '.') || (cl == 2 && p[1] == '.' && p[2] == '.'))
				why = "path contains a '.' or '..' component";
		}
		if (!why)
			return c;
	}
	diag_error(o->d, npos(o, n), E200, "%s: `%.80s`", why, s);
	return NULL;
}

static void fs_add(struct os *o, const char *path, uint64_t access, struct src_pos pos)
{
	struct ir_fs *fs = &o->p->fs;
	fs->present = true;
	struct ir_fs_rule *r = ARENA_PUSH(o->a, fs->rules, fs->nrules, fs->caprules);
	r->path = path;
	r->access = access;
	r->pos = pos;
	if (o->optional) {
		size_t oldcap = fs->capoptional;
		*ARENA_PUSH(o->a, fs->optional, fs->noptional, fs->capoptional) = path;
		if (fs->capoptional != oldcap)
			fs->optional_pos = arena_grow(o->a, fs->optional_pos, fs->noptional - 1,
			                              fs->capoptional, sizeof(struct src_pos));
		fs->optional_pos[fs->noptional - 1] = pos;
	}
}

/* What OpenShell's two lists grant, in polc's terms. */
#define OS_READ_ONLY IR_FS_EXEC
#define OS_READ_WRITE (IR_FS_WRITE | LL_FS_execute)

static bool listed(struct os *o, const char *path)
{
	for (size_t i = 0; i < o->nlisted; i++)
		if (strcmp(o->listed[i], path) == 0)
			return true;
	return false;
}

static void fs_list(struct os *o, const yaml_node_t *n, const char *what, uint64_t access)
{
	if (!want_list(o, n, what))
		return;
	for (size_t i = 0; i < seq_len(n); i++) {
		yaml_node_t *it = seq_at(o, n, i);
		const char *p = want_path(o, it, what);
		if (!p)
			continue;
		if (access == OS_READ_WRITE && strcmp(p, "/") == 0) {
			diag_error(o->d, npos(o, it), E200,
			           "`read_write` cannot contain `/` (OpenShell refuses it too)");
			continue;
		}
		fs_add(o, p, access, npos(o, it));
		*ARENA_PUSH(o->a, o->listed, o->nlisted, o->caplisted) = p;
	}
}

static void walk_fs(struct os *o, const yaml_node_t *n)
{
	static const char *const keys[] = {"include_workdir", "read_only", "read_write", NULL};
	yaml_node_t *k[3], *v[3];
	if (!want_map(o, n, "filesystem_policy"))
		return;
	map_keys(o, n, "`filesystem_policy`", keys, k, v);
	/* Present: include_workdir defaults to false. */
	o->workdir = false;
	if (v[0] && want_bool(o, v[0], "filesystem_policy.include_workdir", &o->workdir))
		o->workdir_pos = npos(o, k[0]);
	/* Document order, so rule ids follow the file. */
	bool ro_first = !v[2] || (v[1] && (v[1]->start_mark.index < v[2]->start_mark.index));
	for (int pass = 0; pass < 2; pass++) {
		int which = (pass == 0) == ro_first ? 1 : 2;
		if (v[which])
			fs_list(o, v[which],
			        which == 1 ? "filesystem_policy.read_only" : "filesystem_policy.read_write",
			        which == 1 ? OS_READ_ONLY : OS_READ_WRITE);
	}
}

static void walk_landlock(struct os *o, const yaml_node_t *n)
{
	static const char *const keys[] = {"compatibility", NULL};
	yaml_node_t *k[1], *v[1];
	if (!want_map(o, n, "landlock"))
		return;
	map_keys(o, n, "`landlock`", keys, k, v);
	if (!v[0])
		return;
	const char *s = want_str(o, v[0], "landlock.compatibility");
	if (!s)
		return;
	if (strcmp(s, "best_effort") == 0)
		o->optional = true;
	else if (strcmp(s, "hard_requirement") == 0)
		o->optional = false;
	else
		diag_error(o->d, npos(o, v[0]), E106,
		           "`landlock.compatibility` must be best_effort or hard_requirement, got "
		           "`%.80s`",
		           s);
}

static void walk_process(struct os *o, const yaml_node_t *n)
{
	static const char *const keys[] = {"run_as_user", "run_as_group", NULL};
	yaml_node_t *k[2], *v[2];
	if (!want_map(o, n, "process"))
		return;
	map_keys(o, n, "`process`", keys, k, v);
	for (int i = 0; i < 2; i++)
		if (v[i] && want_str(o, v[i], keys[i]))
			drop(o, k[i], arena_printf(o->a, "process.%s", keys[i]),
			     "runmin runs the program as the user that starts it; start runmin as "
			     "that user");
}

/* ---- network ------------------------------------------------------------------- */

/* DNS name: labels of letters, digits and '-', 1..63 bytes, not starting or
 * ending with '-', at most 253 bytes, last label not all digits. */
static const char *name_problem(const char *s)
{
	size_t len = strlen(s), lab = 0, digits = 0;
	if (len == 0)
		return "empty host name";
	if (len > 253)
		return "host name longer than 253 characters";
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
				return "the last label is all digits";
			lab = digits = 0;
		} else if (!isalnum((unsigned char)ch) && ch != '-') {
			return "host names may contain only letters, digits, '-' and '.'";
		} else {
			digits += isdigit((unsigned char)ch) != 0;
			lab++;
		}
	}
	return NULL;
}

/* An address or CIDR block into r (text kept as written); false after an
 * E402. */
static bool parse_ip(struct os *o, const yaml_node_t *at, const char *s, bool cidr_ok,
                     struct ir_net_rule *r)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	bool v6 = memchr(s, ':', alen) != NULL;
	unsigned max = v6 ? 128 : 32;
	unsigned long prefix = max;
	bool ok = alen > 0 && alen < sizeof(buf) && (cidr_ok || !slash);
	if (ok) {
		memcpy(buf, s, alen);
		buf[alen] = '\0';
		ok = inet_pton(v6 ? AF_INET6 : AF_INET, buf, r->addr) == 1 &&
		     (!slash || parse_dec(slash + 1, 0, max, &prefix));
	}
	if (!ok) {
		diag_error(o->d, npos(o, at), E402, "`%.80s` is not a valid %s address%s", s,
		           v6 ? "IPv6" : "IPv4", cidr_ok ? " or CIDR block" : "");
		return false;
	}
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (v6 && memcmp(r->addr, mapped, sizeof(mapped)) == 0) {
		diag_error(o->d, npos(o, at), E402,
		           "`%.80s` is an IPv4-mapped IPv6 address; write the IPv4 address", s);
		return false;
	}
	for (unsigned b = (unsigned)prefix; b < max; b++)
		if (r->addr[b / 8] & (0x80u >> (b % 8))) {
			diag_error(o->d, npos(o, at), E402,
			           "`%.80s` has address bits set beyond its prefix", s);
			return false;
		}
	r->kind = v6 ? IR_HOST_IPV6 : IR_HOST_IPV4;
	r->prefix = (uint8_t)prefix;
	r->host = s;
	return true;
}

enum { HOST_BAD, HOST_OK, HOST_DROP };

/* OpenShell's host into r.  HOST_DROP: polc cannot express it (lenient
 * mode drops the endpoint; otherwise an E505 was reported). */
static int parse_host(struct os *o, const yaml_node_t *n, const char *field,
                      struct ir_net_rule *r)
{
	const char *raw = want_str(o, n, field);
	if (!raw)
		return HOST_BAD;
	char *s = arena_strdup(o->a, raw);
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t len = strlen(s);
	if (len > 1 && s[len - 1] == '.')
		s[--len] = '\0';
	if (strchr(s, '/')) {
		diag_error(o->d, npos(o, n), E400,
		           "invalid host `%.80s`: a host is a name, an address or a wildcard; "
		           "address ranges go in `allowed_ips`",
		           raw);
		return HOST_BAD;
	}
	if (strchr(s, ':') || strspn(s, "0123456789.") == len)
		return parse_ip(o, n, s, false, r) ? HOST_OK : HOST_BAD;
	const char *star = strchr(s, '*');
	if (!star) {
		const char *why = name_problem(s);
		if (why) {
			diag_error(o->d, npos(o, n), E400, "invalid host `%.80s`: %s", raw, why);
			return HOST_BAD;
		}
		r->kind = IR_HOST_NAME;
		r->host = s;
		return HOST_OK;
	}
	/* `**.example.com` (any number of labels) is polc's `*.example.com`
	 * (one or more); a single-label `*.` has no polc equivalent short of
	 * widening it; other patterns none at all. */
	bool dstar = strncmp(s, "**.", 3) == 0, sstar = !dstar && strncmp(s, "*.", 2) == 0;
	const char *suffix = s + (dstar ? 3 : 2);
	if ((dstar || sstar) && !strchr(suffix, '*')) {
		const char *why = name_problem(suffix);
		if (why) {
			diag_error(o->d, npos(o, n), E400, "invalid host `%.80s`: %s", raw, why);
			return HOST_BAD;
		}
		r->kind = IR_HOST_WILDCARD;
		r->host = suffix;
		if (sstar)
			drop(o, n, field,
			     arena_printf(o->a,
			                  "OpenShell's `*.%.80s` matches exactly one label, polc's one "
			                  "or more: write `**.%.80s` to accept the wider match",
			                  suffix, suffix));
		return HOST_OK;
	}
	drop(o, n, field,
	     arena_printf(o->a,
	                  "polc's wildcards are a whole leading `*.` label only; `%.80s` cannot be "
	                  "expressed, so the endpoint is left out",
	                  raw));
	return HOST_DROP;
}

enum {
	EP_HOST,
	EP_PORT,
	EP_PORTS,
	EP_PATH,
	EP_ALLOWED_IPS,
	EP_PROTOCOL,
	EP_TLS,
	EP_ENFORCEMENT,
	EP_ACCESS,
	EP_RULES,
	EP_DENY_RULES,
	EP_ENCODED_SLASH,
	EP_CRED_BINDING,
	EP_BODY_REWRITE,
	EP_WS_REWRITE,
	EP_UNINSPECTED_CREDS,
	EP_SIGNING,
	EP_SIGNING_SERVICE,
	EP_SIGNING_REGION,
	EP_PERSISTED,
	EP_GQL_PERSISTED,
	EP_GQL_MAX,
	EP_MCP,
	EP_JSON_RPC,
	EP__N
};

static const char *const ep_keys[EP__N + 1] = {
        "host",
        "port",
        "ports",
        "path",
        "allowed_ips",
        "protocol",
        "tls",
        "enforcement",
        "access",
        "rules",
        "deny_rules",
        "allow_encoded_slash",
        "credential_binding",
        "request_body_credential_rewrite",
        "websocket_credential_rewrite",
        "allow_uninspected_credentials",
        "credential_signing",
        "signing_service",
        "signing_region",
        "persisted_queries",
        "graphql_persisted_queries",
        "graphql_max_body_bytes",
        "mcp",
        "json_rpc",
        NULL,
};

#define WHY_INSPECT                                                                            \
	"request inspection needs the proxy to terminate TLS and read each request; polc's "   \
	"proxy checks the host and port of a TLS connection only"
#define WHY_CREDS                                                                              \
	"credential injection and request signing: polc's proxy never changes what it relays"

/* The fields of an endpoint that polc drops, with why.  Booleans that are
 * false and `access: full` restrict nothing and are not reported. */
static void endpoint_l7(struct os *o, const char *where, yaml_node_t **k, yaml_node_t **v)
{
	for (int i = EP_PATH; i < EP__N; i++) {
		if (!v[i] || i == EP_ALLOWED_IPS)
			continue;
		const char *field = arena_printf(o->a, "%s.%s", where, ep_keys[i]);
		const char *why = i >= EP_CRED_BINDING && i <= EP_SIGNING_REGION ? WHY_CREDS
		                                                                 : WHY_INSPECT;
		if (i == EP_ENCODED_SLASH || i == EP_BODY_REWRITE || i == EP_WS_REWRITE ||
		    i == EP_UNINSPECTED_CREDS) {
			bool b;
			if (!want_bool(o, v[i], field, &b) || !b)
				continue;
		} else if (i == EP_PROTOCOL || i == EP_TLS || i == EP_ACCESS ||
		           i == EP_ENFORCEMENT) {
			const char *s = want_str(o, v[i], field);
			if (!s)
				continue;
			static const char *const protos[] = {"rest", "websocket", "graphql", "mcp",
			                                     "json-rpc", "tcp", NULL};
			static const char *const tls[] = {"skip", "terminate", NULL};
			static const char *const access[] = {"read-only", "read-write", "full", NULL};
			static const char *const enforce[] = {"enforce", "audit", NULL};
			const char *const *ok = i == EP_PROTOCOL ? protos
			                        : i == EP_TLS    ? tls
			                        : i == EP_ACCESS ? access
			                                         : enforce;
			size_t j = 0;
			while (ok[j] && strcmp(ok[j], s) != 0)
				j++;
			if (!ok[j]) {
				diag_error(o->d, npos(o, v[i]), E106, "`%.160s`: unknown value `%.80s`",
				           field, s);
				continue;
			}
			if (i == EP_TLS && strcmp(s, "skip") == 0)
				continue; /* polc never terminates TLS: exactly this */
			if (i == EP_ACCESS && strcmp(s, "full") == 0)
				continue; /* every method and path */
			if (i == EP_PROTOCOL && strcmp(s, "tcp") == 0) {
				/* Not a restriction polc loses: a note on how it behaves. */
				diag_warn(o->d, npos(o, k[i]), E505,
				          "`%.160s`: polc's proxy carries TCP connections only through "
				          "HTTP CONNECT; a client that cannot use a proxy cannot reach "
				          "this endpoint",
				          field);
				continue;
			}
			if (i == EP_TLS)
				why = "polc's proxy never terminates TLS";
		}
		drop(o, k[i], field, why);
	}
}

/* Ports of an endpoint into r; false after a diagnostic. */
static bool endpoint_ports(struct os *o, const yaml_node_t *ep, const char *where,
                           yaml_node_t **k, yaml_node_t **v, struct ir_net_rule *r)
{
	if (v[EP_PORT] && v[EP_PORTS]) {
		diag_error(o->d, npos(o, k[EP_PORTS]), E401,
		           "`%.160s`: set `port` or `ports`, not both", where);
		return false;
	}
	if (!v[EP_PORT] && !v[EP_PORTS]) {
		diag_error(o->d, npos(o, ep), E401, "`%.160s`: an endpoint needs `port` or `ports`",
		           where);
		return false;
	}
	yaml_node_t *one = v[EP_PORT], *list = v[EP_PORTS];
	size_t n = one ? 1 : seq_len(list);
	if (list && !want_list(o, list, "ports"))
		return false;
	if (n == 0) {
		diag_error(o->d, npos(o, list), E401, "`%.160s.ports` is empty", where);
		return false;
	}
	r->ports = arena_array(o->a, n, sizeof(*r->ports));
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *pn = one ? one : seq_at(o, list, i);
		const char *s = want_str(o, pn, one ? "port" : "ports");
		unsigned long port;
		if (s && parse_dec(s, 1, 65535, &port)) {
			r->ports[r->nports].lo = r->ports[r->nports].hi = (uint16_t)port;
			r->nports++;
		} else {
			if (s)
				diag_error(o->d, npos(o, pn), E401,
				           "invalid port `%.80s` (a number from 1 to 65535)", s);
			ok = false;
		}
	}
	return ok;
}

static void add_net(struct os *o, const struct ir_net_rule *r)
{
	struct ir_net *net = &o->p->net;
	*ARENA_PUSH(o->a, net->rules, net->nrules, net->caprules) = *r;
}

static void walk_endpoint(struct os *o, const yaml_node_t *ep, const char *where, bool emit)
{
	yaml_node_t *k[EP__N], *v[EP__N];
	if (!want_map(o, ep, where))
		return;
	map_keys(o, ep, "an endpoint", ep_keys, k, v);
	struct ir_net_rule r = {.pos = npos(o, ep)};
	bool ok = endpoint_ports(o, ep, where, k, v, &r);
	endpoint_l7(o, where, k, v);
	int host = HOST_BAD;
	if (v[EP_HOST])
		host = parse_host(o, v[EP_HOST], arena_printf(o->a, "%s.host", where), &r);
	yaml_node_t *ips = v[EP_ALLOWED_IPS];
	if (ips && !want_list(o, ips, "allowed_ips"))
		ok = false;
	else if (ips && seq_len(ips) == 0) {
		diag_error(o->d, npos(o, ips), E402, "`%.160s.allowed_ips` is empty", where);
		ok = false;
	}
	if (!v[EP_HOST] && !ips) {
		diag_error(o->d, npos(o, ep), E104, "`%.160s`: an endpoint needs `host` or `allowed_ips`",
		           where);
		return;
	}
	if (v[EP_HOST] && ips) {
		/* Only well-formed lists are worth the message. */
		struct ir_net_rule scratch;
		bool good = ok;
		for (size_t i = 0; good && i < seq_len(ips); i++) {
			yaml_node_t *in = seq_at(o, ips, i);
			const char *s = want_str(o, in, "allowed_ips");
			good = s && parse_ip(o, in, s, true, &scratch);
		}
		if (good)
			drop(o, k[EP_ALLOWED_IPS], arena_printf(o->a, "%s.allowed_ips", where),
			     "polc's proxy decides by the host name (and refuses private addresses "
			     "unless a rule names them); it cannot also pin the addresses a name "
			     "resolves to");
	}
	if (!ok || (v[EP_HOST] && host != HOST_OK))
		return;
	o->any_endpoint = true;
	if (!emit)
		return;
	if (v[EP_HOST]) {
		add_net(o, &r);
		return;
	}
	/* No host: the allowed_ips ranges themselves are the destinations. */
	for (size_t i = 0; i < seq_len(ips); i++) {
		yaml_node_t *in = seq_at(o, ips, i);
		struct ir_net_rule c = r;
		const char *s = want_str(o, in, "allowed_ips");
		if (s && parse_ip(o, in, s, true, &c)) {
			c.pos = npos(o, in);
			add_net(o, &c);
		}
	}
}

/* Does a `binaries` list restrict anything?  A path of "/" "**" matches
 * every program.  *none: the list is empty, which matches no program. */
static bool binaries_restrict(struct os *o, const yaml_node_t *n, const char *where, bool *none)
{
	*none = false;
	if (!want_list(o, n, where))
		return false;
	size_t nb = seq_len(n);
	*none = n->type == YAML_SEQUENCE_NODE && nb == 0;
	bool any = false, limited = false;
	static const char *const keys[] = {"path", NULL};
	for (size_t i = 0; i < nb; i++) {
		yaml_node_t *it = seq_at(o, n, i), *k[1], *v[1];
		if (!want_map(o, it, "binaries entry"))
			continue;
		map_keys(o, it, "a binary", keys, k, v);
		if (!v[0]) {
			diag_error(o->d, npos(o, it), E104, "a binary needs `path`");
			continue;
		}
		const char *s = want_str(o, v[0], "path");
		if (!s)
			continue;
		if (strcmp(s, "/**") == 0)
			any = true;
		else
			limited = true;
	}
	return limited && !any;
}

static void walk_net_rule(struct os *o, const char *name, const yaml_node_t *n)
{
	static const char *const keys[] = {"name", "endpoints", "binaries", NULL};
	yaml_node_t *k[3], *v[3];
	const char *where = arena_printf(o->a, "network_policies.%.64s", name);
	if (!want_map(o, n, where))
		return;
	map_keys(o, n, "a network policy", keys, k, v);
	if (v[0])
		want_str(o, v[0], "name"); /* a display name */
	bool none = false;
	if (v[2] && binaries_restrict(o, v[2], arena_printf(o->a, "%s.binaries", where), &none))
		drop(o, k[2], arena_printf(o->a, "%s.binaries", where),
		     "polc cannot tell which program opens a connection (binary identity): every "
		     "program in the sandbox may reach these endpoints");
	if (!v[1] || !want_list(o, v[1], "endpoints"))
		return;
	/* An empty binaries list matches no program: the rule allows nothing,
	 * but its endpoints are still checked. */
	for (size_t i = 0; i < seq_len(v[1]); i++)
		walk_endpoint(o, seq_at(o, v[1], i),
		              arena_printf(o->a, "%s.endpoints[%zu]", where, i), !none);
}

static int cmp_keys(const void *x, const void *y)
{
	const yaml_node_t *const *a = x, *const *b = y;
	int c = strcmp((const char *)(*a)->data.scalar.value, (const char *)(*b)->data.scalar.value);
	if (c)
		return c;
	return (*a)->start_mark.index < (*b)->start_mark.index ? -1 : 1;
}

static void walk_net(struct os *o, const yaml_node_t *key, const yaml_node_t *n)
{
	o->p->net.present = true;
	o->net_pos = npos(o, key);
	if (!want_map(o, n, "network_policies") || n->type != YAML_MAPPING_NODE)
		return;
	size_t np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start), nk = 0;
	yaml_node_t **sorted = arena_array(o->a, np ? np : 1, sizeof(*sorted));
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *kn = node(o, pr->key);
		if (kn->type != YAML_SCALAR_NODE || is_null(kn) || !clean(kn) ||
		    memchr(kn->data.scalar.value, 0, kn->data.scalar.length)) {
			diag_error(o->d, npos(o, kn), E102,
			           "network policy names must be non-empty strings without control "
			           "characters");
			continue;
		}
		sorted[nk++] = kn;
		walk_net_rule(o, (const char *)kn->data.scalar.value, node(o, pr->value));
	}
	/* Duplicate names, by sorting: a hostile file may hold many. */
	qsort(sorted, nk, sizeof(*sorted), cmp_keys);
	for (size_t i = 1; i < nk; i++)
		if (!strcmp((const char *)sorted[i - 1]->data.scalar.value,
		            (const char *)sorted[i]->data.scalar.value)) {
			diag_error(o->d, npos(o, sorted[i]), E103, "duplicate network policy `%.80s`",
			           (const char *)sorted[i]->data.scalar.value);
			diag_note(o->d, npos(o, sorted[i - 1]), E103, "first defined here");
		}
}

/* ---- entry points --------------------------------------------------------------- */

bool openshell_detect(const char *const *keys, size_t n)
{
	bool version = false, polc = false, os_only = false, polc_only = false;
	static const char *const os_keys[] = {"filesystem_policy", "landlock", "network_policies",
	                                      "network_middlewares", NULL};
	static const char *const polc_keys[] = {"name", "description", "extends", "filesystem",
	                                        "network", NULL};
	for (size_t i = 0; i < n; i++) {
		version |= strcmp(keys[i], "version") == 0;
		polc |= strcmp(keys[i], "polc") == 0;
		for (size_t j = 0; os_keys[j]; j++)
			os_only |= strcmp(keys[i], os_keys[j]) == 0;
		for (size_t j = 0; polc_keys[j]; j++)
			polc_only |= strcmp(keys[i], polc_keys[j]) == 0;
	}
	return version && !polc && (os_only || !polc_only);
}

/* The policy's name: the file's, without directory and extension, with
 * characters a polc name cannot hold replaced by '-'. */
static const char *name_from_file(struct arena *a, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		n = (size_t)(dot - base);
	if (n > 128)
		n = 128;
	char *s = arena_strndup(a, base, n);
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			*p = '-';
	return *s ? s : "openshell";
}

/* OpenShell adds these when the policy has a network rule and does not list
 * them; each only where it exists (so: optional). */
static void add_baseline(struct os *o)
{
	static const char *const ro[] = {"/usr", "/lib", "/etc", "/app", "/var/log", "/proc",
	                                 "/dev/urandom"};
	static const char *const rw[] = {"/tmp", "/dev/null"};
	bool opt = o->optional;
	o->optional = true;
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		if (!listed(o, ro[i]))
			fs_add(o, ro[i], OS_READ_ONLY, o->net_pos);
	for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++)
		if (!listed(o, rw[i]))
			fs_add(o, rw[i], OS_READ_WRITE, o->net_pos);
	o->optional = opt;
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

/* Copies this file's diagnostics in source order; a note stays after the
 * diagnostic it explains. */
static void flush_sorted(struct arena *a, const struct diag_sink *from, struct diag_sink *to)
{
	size_t n = diag_count(from), ng = 0;
	if (n == 0)
		return;
	struct dgroup *g = arena_array(a, n, sizeof(*g));
	for (size_t i = 0; i < n; i++) {
		const struct diag *dg = diag_get(from, i);
		if (dg->level == DIAG_NOTE && ng > 0)
			g[ng - 1].n++;
		else
			g[ng++] = (struct dgroup){i, 1, dg->pos};
	}
	qsort(g, ng, sizeof(*g), cmp_group);
	for (size_t i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i].n; j++) {
			const struct diag *dg = diag_get(from, g[i].first + j);
			diag_add(to, dg->level, dg->pos, dg->code, "%s", dg->msg);
		}
}

static void walk(struct os *o, yaml_node_t *root)
{
	enum { K_VERSION, K_FS, K_LANDLOCK, K_PROCESS, K_NET, K_MIDDLEWARES };
	static const char *const keys[] = {"version",          "filesystem_policy", "landlock",
	                                   "process",          "network_policies",
	                                   "network_middlewares", NULL};
	yaml_node_t *k[6], *v[6];
	map_keys(o, root, "the top level", keys, k, v);
	if (!v[K_VERSION]) {
		diag_error(o->d, npos(o, root), E104, "missing required key `version` (add `version: 1`)");
	} else {
		const char *s = want_str(o, v[K_VERSION], "version");
		if (s && strcmp(s, "1") != 0)
			diag_error(o->d, npos(o, v[K_VERSION]), E105,
			           "unsupported OpenShell policy version `%.80s`: polc reads version 1", s);
	}
	/* Landlock first: it decides whether paths are optional.  Without a
	 * landlock section OpenShell is best effort. */
	o->optional = true;
	if (v[K_LANDLOCK])
		walk_landlock(o, v[K_LANDLOCK]);
	/* Without filesystem_policy, include_workdir is true. */
	o->workdir = true;
	o->workdir_pos = src_pos(o->file, 1, 1);
	if (v[K_FS])
		walk_fs(o, v[K_FS]);
	if (v[K_PROCESS])
		walk_process(o, v[K_PROCESS]);
	if (v[K_NET])
		walk_net(o, k[K_NET], v[K_NET]);
	if (v[K_MIDDLEWARES])
		drop(o, k[K_MIDDLEWARES], "network_middlewares",
		     "middleware inspects or changes relayed traffic; polc's proxy only decides "
		     "whether to relay it");
	if (o->workdir && !listed(o, OPENSHELL_WORKDIR)) {
		fs_add(o, OPENSHELL_WORKDIR, OS_READ_WRITE, o->workdir_pos);
		*ARENA_PUSH(o->a, o->listed, o->nlisted, o->caplisted) = OPENSHELL_WORKDIR;
	}
	if (o->any_endpoint)
		add_baseline(o);
	if (!o->p->fs.nrules && diag_errors(o->d) == 0)
		diag_warn(o->d, v[K_FS] ? npos(o, k[K_FS]) : npos(o, root), E505,
		          "the policy lists no filesystem path: OpenShell then applies no "
		          "filesystem restriction, and neither does polc");
}

struct ir_policy *openshell_parse(struct load_ctx *c, const char *path, const char *text,
                                  size_t len)
{
	const char *file = arena_strdup(c->a, path);
	struct os o = {.c = c, .a = c->a, .d = diag_sink_new(c->a), .file = file,
	               .lenient = c->openshell_lenient};
	yaml_parser_t ps;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&ps)) {
		diag_error(c->d, src_file(file), E901, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	if (!yaml_parser_load(&ps, &doc)) {
		/* yml.c parsed the same text already; only memory can fail here. */
		diag_error(c->d, src_file(file), E100, "YAML: %s",
		           ps.problem ? ps.problem : "cannot load the document");
		yaml_parser_delete(&ps);
		return NULL;
	}
	o.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		o.p = ir_policy_new(c->a);
		o.p->name = name_from_file(c->a, file);
		o.p->name_pos = src_pos(file, 1, 1);
		const char *base = strrchr(file, '/');
		o.p->description = arena_printf(c->a, "imported from the OpenShell policy %s",
		                                base ? base + 1 : file);
		walk(&o, root);
		*ARENA_PUSH(c->a, o.p->sources, o.p->nsources, o.p->capsources) = file;
	} else {
		diag_error(o.d, root ? npos(&o, root) : src_pos(file, 1, 1), E102,
		           "an OpenShell policy must be a mapping");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&ps);
	flush_sorted(c->a, o.d, c->d);
	return diag_errors(o.d) ? NULL : o.p;
}
