/* test_openshell.c — the OpenShell import (compiler/openshell.c) and the
 * IR-to-YAML writer behind `polc convert` (compiler/conv.c):
 *   - detection of OpenShell documents against polc ones;
 *   - the mapping of every section into the IR (access sets, workdir,
 *     baseline paths, optional paths, hosts, wildcards, allowed_ips);
 *   - every unenforceable field is an E505 error at its position, or a
 *     warning with openshell_lenient, and restricts nothing it should not;
 *   - the six real OpenShell policies in tests/data/openshell/;
 *   - hostile input (types, control characters, duplicates, many keys);
 *   - round trip: IR -> YAML -> IR gives the same rules in the same order
 *     and the same Landlock section, for the OpenShell files and for a polc
 *     policy with awkward strings. */
#include <check.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "conv.h"
#include "openshell.h"

#define DATA "tests/data/openshell/"

static const char *const files[] = {
        "local-inference_sandbox-policy.yaml",
        "openshell-prover_testdata.yaml",
        "openshell-supervisor-network_testdata_sandbox-policy.yaml",
        "policy-advisor_sandbox-policy.yaml",
        "sandbox-policy-quickstart.yaml",
        "transparent-tcp-redis.yaml",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

struct run {
	struct arena *a;
	struct load_ctx c;
	struct ir_policy *p;
};

static struct ir_policy *run_text(struct run *r, const char *text, bool lenient)
{
	r->a = arena_new();
	r->c = (struct load_ctx){.a = r->a, .d = diag_sink_new(r->a), .openshell_lenient = lenient};
	diag_source(r->c.d, "os.yaml", text, strlen(text));
	r->p = yml_parse(&r->c, "os.yaml", text, strlen(text));
	return r->p;
}

static struct ir_policy *run_file(struct run *r, const char *name, bool lenient)
{
	r->a = arena_new();
	r->c = (struct load_ctx){.a = r->a, .d = diag_sink_new(r->a), .openshell_lenient = lenient};
	char *path = arena_printf(r->a, DATA "%s", name);
	r->p = load_inputs(&r->c, &path, 1);
	return r->p;
}

static void run_free(struct run *r) { arena_free(r->a); }

static size_t count(const struct run *r, enum diag_level lvl, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < diag_count(r->c.d); i++) {
		const struct diag *d = diag_get(r->c.d, i);
		if (d->level == lvl && (!code || strcmp(diag_code_name(d->code), code) == 0))
			n++;
	}
	return n;
}

static const struct diag *find(const struct run *r, enum diag_level lvl, const char *code,
                               uint32_t line, uint32_t col)
{
	for (size_t i = 0; i < diag_count(r->c.d); i++) {
		const struct diag *d = diag_get(r->c.d, i);
		if (d->level == lvl && strcmp(diag_code_name(d->code), code) == 0 &&
		    d->pos.line == line && d->pos.col == col)
			return d;
	}
	return NULL;
}

static const struct ir_fs_rule *fs_rule(const struct ir_policy *p, const char *path)
{
	for (size_t i = 0; i < p->fs.nrules; i++)
		if (strcmp(p->fs.rules[i].path, path) == 0)
			return &p->fs.rules[i];
	return NULL;
}

static bool optional(const struct ir_policy *p, const char *path)
{
	for (size_t i = 0; i < p->fs.noptional; i++)
		if (strcmp(p->fs.optional[i], path) == 0)
			return true;
	return false;
}

static void dump(const struct run *r) { diag_print(r->c.d, stderr, false); }

/* One E505 (error, or warning when lenient) at line:col whose message
 * names `field`. */
static void expect_drop(const struct run *r, bool lenient, uint32_t line, uint32_t col,
                        const char *field)
{
	const struct diag *d =
	        find(r, lenient ? DIAG_WARNING : DIAG_ERROR, "E505", line, col);
	if (!d)
		dump(r);
	ck_assert_msg(d != NULL, "no E505 at %u:%u for %s", line, col, field);
	char quoted[300];
	snprintf(quoted, sizeof(quoted), "`%s`", field);
	ck_assert_msg(strstr(d->msg, quoted), "`%s` does not name %s", d->msg, field);
	ck_assert_msg(strstr(d->msg, lenient ? "dropped" : "cannot be enforced"), "%s", d->msg);
}

/* ---- detection ----------------------------------------------------------------- */

START_TEST(detect)
{
	const char *os1[] = {"version", "filesystem_policy"};
	const char *os2[] = {"version"};
	const char *os3[] = {"version", "process"};
	const char *os4[] = {"version", "network_policies", "name"};
	const char *polc1[] = {"polc", "version", "network_policies"};
	const char *polc2[] = {"polc", "name"};
	const char *polc3[] = {"version", "name", "filesystem"};
	const char *none[] = {"landlock"};
	ck_assert(openshell_detect(os1, 2));
	ck_assert(openshell_detect(os2, 1));
	ck_assert(openshell_detect(os3, 2));
	ck_assert(openshell_detect(os4, 3));
	ck_assert(!openshell_detect(polc1, 3));
	ck_assert(!openshell_detect(polc2, 2));
	ck_assert(!openshell_detect(polc3, 3));
	ck_assert(!openshell_detect(none, 1));
	ck_assert(!openshell_detect(NULL, 0));

	/* A polc policy with a stray `version` stays polc (and says so). */
	struct run r;
	ck_assert_ptr_null(run_text(&r, "version: 1\nname: x\n", false));
	ck_assert_uint_eq(count(&r, DIAG_ERROR, "E104"), 1); /* polc: missing */
	run_free(&r);
}
END_TEST

/* ---- the mapping --------------------------------------------------------------- */

START_TEST(filesystem_mapping)
{
	struct run r;
	struct ir_policy *p = run_text(&r,
	                               "version: 1\n"
	                               "filesystem_policy:\n"
	                               "  read_write: [/data/rw/]\n"
	                               "  read_only: [/usr, /opt/tool]\n"
	                               "  include_workdir: true\n"
	                               "landlock:\n"
	                               "  compatibility: hard_requirement\n",
	                               false);
	if (!p)
		dump(&r);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(diag_count(r.c.d), 0);
	ck_assert_str_eq(p->name, "os");
	ck_assert(p->fs.present);
	ck_assert(!p->proc.present);
	ck_assert(!p->net.present);
	/* Document order (read_write first), then the workdir. */
	ck_assert_uint_eq(p->fs.nrules, 4);
	ck_assert_str_eq(p->fs.rules[0].path, "/data/rw"); /* trailing '/' gone */
	ck_assert_uint_eq(p->fs.rules[0].access, IR_FS_WRITE | LL_FS_execute);
	ck_assert_uint_eq(p->fs.rules[0].pos.line, 3);
	ck_assert_uint_eq(p->fs.rules[0].pos.col, 16);
	ck_assert_str_eq(p->fs.rules[1].path, "/usr");
	ck_assert_uint_eq(p->fs.rules[1].access, IR_FS_EXEC);
	ck_assert_str_eq(p->fs.rules[2].path, "/opt/tool");
	ck_assert_str_eq(p->fs.rules[3].path, OPENSHELL_WORKDIR);
	ck_assert_uint_eq(p->fs.rules[3].access, IR_FS_WRITE | LL_FS_execute);
	ck_assert_uint_eq(p->fs.rules[3].pos.line, 5); /* include_workdir */
	/* hard_requirement: every path must exist at run time. */
	ck_assert_uint_eq(p->fs.noptional, 0);
	/* Never device creation or ioctl: runmin drops CAP_MKNOD anyway. */
	for (size_t i = 0; i < p->fs.nrules; i++)
		ck_assert(!(p->fs.rules[i].access &
		            (LL_FS_make_char | LL_FS_make_block | LL_FS_ioctl_dev)));
	run_free(&r);

	/* best_effort (also the default): paths may be missing. */
	p = run_text(&r,
	             "version: 1\n"
	             "filesystem_policy: {read_only: [/usr]}\n",
	             false);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->fs.nrules, 1); /* include_workdir defaults to false */
	ck_assert(optional(p, "/usr"));
	run_free(&r);

	/* Without filesystem_policy the workdir is included; with a network
	 * rule OpenShell adds its baseline, skipping what the policy lists. */
	p = run_text(&r,
	             "version: 1\n"
	             "network_policies:\n"
	             "  a: {endpoints: [{host: example.com, port: 443}]}\n",
	             false);
	ck_assert_ptr_nonnull(p);
	static const struct {
		const char *path;
		uint64_t access;
	} want[] = {
	        {"/sandbox", IR_FS_WRITE | LL_FS_execute},   {"/usr", IR_FS_EXEC},
	        {"/lib", IR_FS_EXEC},                         {"/etc", IR_FS_EXEC},
	        {"/app", IR_FS_EXEC},                         {"/var/log", IR_FS_EXEC},
	        {"/proc", IR_FS_EXEC},                        {"/dev/urandom", IR_FS_EXEC},
	        {"/tmp", IR_FS_WRITE | LL_FS_execute},       {"/dev/null", IR_FS_WRITE | LL_FS_execute},
	};
	ck_assert_uint_eq(p->fs.nrules, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < p->fs.nrules; i++) {
		ck_assert_str_eq(p->fs.rules[i].path, want[i].path);
		ck_assert_uint_eq(p->fs.rules[i].access, want[i].access);
		ck_assert(optional(p, want[i].path));
	}
	run_free(&r);

	p = run_text(&r,
	             "version: 1\n"
	             "filesystem_policy: {read_only: [/tmp, /etc/ssl], read_write: [/usr]}\n"
	             "network_policies:\n"
	             "  a: {endpoints: [{host: example.com, port: 443}]}\n",
	             false);
	ck_assert_ptr_nonnull(p);
	/* Listed paths keep their access; the rest of the baseline is added. */
	ck_assert_uint_eq(fs_rule(p, "/tmp")->access, IR_FS_EXEC);
	ck_assert_uint_eq(fs_rule(p, "/usr")->access, IR_FS_WRITE | LL_FS_execute);
	ck_assert_ptr_nonnull(fs_rule(p, "/etc"));
	ck_assert_ptr_nonnull(fs_rule(p, "/dev/null"));
	ck_assert_ptr_null(fs_rule(p, "/sandbox")); /* include_workdir: false */
	size_t ntmp = 0;
	for (size_t i = 0; i < p->fs.nrules; i++)
		ntmp += strcmp(p->fs.rules[i].path, "/tmp") == 0;
	ck_assert_uint_eq(ntmp, 1);
	run_free(&r);

	/* No path at all: OpenShell restricts nothing, and polc says so. */
	p = run_text(&r, "version: 1\nfilesystem_policy: {}\n", false);
	ck_assert_ptr_nonnull(p);
	ck_assert(!p->fs.present);
	ck_assert_ptr_nonnull(find(&r, DIAG_WARNING, "E505", 2, 1));
	run_free(&r);
}
END_TEST

START_TEST(network_mapping)
{
	struct run r;
	struct ir_policy *p = run_text(&r,
	                               "version: 1\n"
	                               "filesystem_policy: {read_only: [/usr]}\n"
	                               "network_policies:\n"
	                               "  api:\n"
	                               "    name: The API\n"
	                               "    endpoints:\n"
	                               "      - {host: API.Example.COM., port: 443}\n"
	                               "      - {host: '**.cdn.example.net', ports: [80, 443]}\n"
	                               "      - {host: 192.0.2.7, port: 8080, tls: skip}\n"
	                               "      - {host: '2001:db8::1', port: 22}\n"
	                               "      - {allowed_ips: [10.1.0.0/16, '2001:db8::/32'], port: 6379}\n"
	                               "      - {host: full.example.com, port: 443, access: full,\n"
	                               "         allow_encoded_slash: false}\n"
	                               "    binaries: [{path: '/**'}]\n"
	                               "  nobody:\n"
	                               "    endpoints: [{host: never.example.com, port: 443}]\n"
	                               "    binaries: []\n",
	                               false);
	if (!p)
		dump(&r);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(diag_count(r.c.d), 0);
	ck_assert(p->net.present);
	ck_assert_uint_eq(p->net.nrules, 7);
	const struct ir_net_rule *n = p->net.rules;
	ck_assert_int_eq(n[0].kind, IR_HOST_NAME);
	ck_assert_str_eq(n[0].host, "api.example.com");
	ck_assert_uint_eq(n[0].nports, 1);
	ck_assert_uint_eq(n[0].ports[0].lo, 443);
	ck_assert_uint_eq(n[0].ports[0].hi, 443);
	ck_assert_uint_eq(n[0].methods, 0);
	ck_assert_uint_eq(n[0].npaths, 0);
	ck_assert(!n[0].deny);
	ck_assert_uint_eq(n[0].pos.line, 7);
	ck_assert_int_eq(n[1].kind, IR_HOST_WILDCARD);
	ck_assert_str_eq(n[1].host, "cdn.example.net");
	ck_assert_uint_eq(n[1].nports, 2);
	ck_assert_uint_eq(n[1].ports[1].lo, 443);
	ck_assert_int_eq(n[2].kind, IR_HOST_IPV4);
	ck_assert_uint_eq(n[2].prefix, 32);
	ck_assert_uint_eq(n[2].addr[0], 192);
	ck_assert_uint_eq(n[2].addr[3], 7);
	ck_assert_int_eq(n[3].kind, IR_HOST_IPV6);
	ck_assert_uint_eq(n[3].prefix, 128);
	ck_assert_int_eq(n[4].kind, IR_HOST_IPV4);
	ck_assert_str_eq(n[4].host, "10.1.0.0/16");
	ck_assert_uint_eq(n[4].prefix, 16);
	ck_assert_uint_eq(n[4].ports[0].lo, 6379);
	ck_assert_uint_eq(n[4].pos.col, 24); /* the allowed_ips item */
	ck_assert_int_eq(n[5].kind, IR_HOST_IPV6);
	ck_assert_uint_eq(n[5].prefix, 32);
	ck_assert_str_eq(n[6].host, "full.example.com");
	/* The `nobody` rule matches no program: nothing from it. */
	for (size_t i = 0; i < p->net.nrules; i++)
		ck_assert_str_ne(p->net.rules[i].host, "never.example.com");
	/* A network rule brings the baseline paths. */
	ck_assert_ptr_nonnull(fs_rule(p, "/dev/null"));
	run_free(&r);
}
END_TEST

/* Every field polc cannot enforce, strict and lenient. */
static const char unenforceable[] =
        "version: 1\n"                                                         /* 1 */
        "filesystem_policy: {read_only: [/usr]}\n"                             /* 2 */
        "process:\n"                                                           /* 3 */
        "  run_as_user: sandbox\n"                                             /* 4 */
        "  run_as_group: \"1500\"\n"                                           /* 5 */
        "network_policies:\n"                                                  /* 6 */
        "  gh:\n"                                                              /* 7 */
        "    endpoints:\n"                                                     /* 8 */
        "      - host: api.github.com\n"                                       /* 9 */
        "        port: 443\n"                                                  /* 10 */
        "        protocol: rest\n"                                             /* 11 */
        "        enforcement: enforce\n"                                       /* 12 */
        "        access: read-only\n"                                          /* 13 */
        "        tls: terminate\n"                                             /* 14 */
        "      - host: one.example.com\n"                                      /* 15 */
        "        port: 443\n"                                                  /* 16 */
        "        rules: [{allow: {method: GET, path: /x}}]\n"                  /* 17 */
        "        deny_rules: [{method: POST, path: /y}]\n"                     /* 18 */
        "        path: /api/**\n"                                              /* 19 */
        "        allow_encoded_slash: true\n"                                  /* 20 */
        "        credential_binding: {provider: p}\n"                          /* 21 */
        "        request_body_credential_rewrite: true\n"                      /* 22 */
        "        credential_signing: sigv4\n"                                  /* 23 */
        "        allowed_ips: [192.0.2.0/24]\n"                                /* 24 */
        "      - {host: '*.single.example.com', port: 443}\n"                  /* 25 */
        "      - {host: '*-api.example.com', port: 443}\n"                     /* 26 */
        "    binaries:\n"                                                      /* 27 */
        "      - path: /usr/bin/curl\n"                                        /* 28 */
        "network_middlewares: {m: {}}\n";                                      /* 29 */

static const struct {
	uint32_t line, col;
	const char *field;
} drops[] = {
        {4, 3, "process.run_as_user"},
        {5, 3, "process.run_as_group"},
        {11, 9, "network_policies.gh.endpoints[0].protocol"},
        {12, 9, "network_policies.gh.endpoints[0].enforcement"},
        {13, 9, "network_policies.gh.endpoints[0].access"},
        {14, 9, "network_policies.gh.endpoints[0].tls"},
        {17, 9, "network_policies.gh.endpoints[1].rules"},
        {18, 9, "network_policies.gh.endpoints[1].deny_rules"},
        {19, 9, "network_policies.gh.endpoints[1].path"},
        {20, 9, "network_policies.gh.endpoints[1].allow_encoded_slash"},
        {21, 9, "network_policies.gh.endpoints[1].credential_binding"},
        {22, 9, "network_policies.gh.endpoints[1].request_body_credential_rewrite"},
        {23, 9, "network_policies.gh.endpoints[1].credential_signing"},
        {24, 9, "network_policies.gh.endpoints[1].allowed_ips"},
        {25, 16, "network_policies.gh.endpoints[2].host"},
        {26, 16, "network_policies.gh.endpoints[3].host"},
        {27, 5, "network_policies.gh.binaries"},
        {29, 1, "network_middlewares"},
};
#define NDROPS (sizeof(drops) / sizeof(drops[0]))

START_TEST(unenforceable_strict)
{
	struct run r;
	ck_assert_ptr_null(run_text(&r, unenforceable, false));
	for (size_t i = 0; i < NDROPS; i++)
		expect_drop(&r, false, drops[i].line, drops[i].col, drops[i].field);
	/* Nothing else: every error is one of these. */
	if (diag_errors(r.c.d) != NDROPS)
		dump(&r);
	ck_assert_uint_eq(diag_errors(r.c.d), NDROPS);
	ck_assert_uint_eq(count(&r, DIAG_WARNING, NULL), 0);
	run_free(&r);
}
END_TEST

START_TEST(unenforceable_lenient)
{
	struct run r;
	struct ir_policy *p = run_text(&r, unenforceable, true);
	if (!p)
		dump(&r);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(diag_errors(r.c.d), 0);
	for (size_t i = 0; i < NDROPS; i++)
		expect_drop(&r, true, drops[i].line, drops[i].col, drops[i].field);
	ck_assert_uint_eq(count(&r, DIAG_WARNING, NULL), NDROPS);
	/* What is left: host and port only, never a method or path rule that
	 * would look enforced; the single-label wildcard is widened (and said
	 * so); the inexpressible one is left out. */
	ck_assert_uint_eq(p->net.nrules, 3);
	ck_assert_str_eq(p->net.rules[0].host, "api.github.com");
	ck_assert_str_eq(p->net.rules[1].host, "one.example.com");
	ck_assert_int_eq(p->net.rules[2].kind, IR_HOST_WILDCARD);
	ck_assert_str_eq(p->net.rules[2].host, "single.example.com");
	for (size_t i = 0; i < p->net.nrules; i++) {
		ck_assert_uint_eq(p->net.rules[i].methods, 0);
		ck_assert_uint_eq(p->net.rules[i].npaths, 0);
	}
	ck_assert(!p->proc.present);
	run_free(&r);
}
END_TEST

START_TEST(tcp_protocol_warns)
{
	struct run r;
	struct ir_policy *p = run_text(&r,
	                               "version: 1\n"
	                               "network_policies:\n"
	                               "  db: {endpoints: [{host: db.example.com, port: 5432, "
	                               "protocol: tcp}]}\n",
	                               false);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(diag_errors(r.c.d), 0);
	const struct diag *d = find(&r, DIAG_WARNING, "E505", 3, 55);
	if (!d)
		dump(&r);
	ck_assert_ptr_nonnull(d);
	ck_assert(strstr(d->msg, "CONNECT"));
	ck_assert_uint_eq(p->net.nrules, 1);
	run_free(&r);
}
END_TEST

/* ---- errors that are not about enforcement ------------------------------------------ */

START_TEST(schema_errors)
{
	static const struct {
		const char *text, *code;
		uint32_t line, col;
		const char *needle;
	} cases[] = {
	        {"version: 2\n", "E105", 1, 10, "version 1"},
	        {"version: 1\nfilesystem_policy: {read_olny: [/usr]}\n", "E101", 2, 21,
	         "read_only"},
	        {"version: 1\nfilesystem_policy: {read_only: [usr]}\n", "E200", 2, 33,
	         "absolute"},
	        {"version: 1\nfilesystem_policy: {read_only: [/a/../b]}\n", "E200", 2, 33, ".."},
	        {"version: 1\nfilesystem_policy: {read_only: [/a//b]}\n", "E200", 2, 33, "//"},
	        /* polc's schema refuses tabs in paths: so must the import (found by
	         * fuzz_openshell: `polc convert` wrote a path it could not read) */
	        {"version: 1\nfilesystem_policy: {read_only: [\"/a\\tb\"]}\n", "E200", 2, 33,
	         "control"},
	        {"version: 1\nfilesystem_policy: {read_write: [/]}\n", "E200", 2, 34, "`/`"},
	        {"version: 1\nfilesystem_policy: {include_workdir: yes}\n", "E102", 2, 38,
	         "true or false"},
	        {"version: 1\nfilesystem_policy: [/usr]\n", "E102", 2, 20, "mapping"},
	        {"version: 1\nlandlock: {compatibility: sometimes}\n", "E106", 2, 27,
	         "best_effort"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{host: x.com}]}}\n", "E401", 2,
	         36, "port"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{host: x.com, port: 0}]}}\n",
	         "E401", 2, 56, "1 to 65535"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{host: x.com, port: 1, ports: "
	         "[2]}]}}\n",
	         "E401", 2, 59, "not both"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{port: 1}]}}\n", "E104", 2, 36,
	         "allowed_ips"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{host: bad_name.com, port: 1}]}}\n",
	         "E400", 2, 43, "letters"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{host: 10.0.0.0/8, port: 1}]}}\n",
	         "E400", 2, 43, "allowed_ips"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{allowed_ips: [10.0.0.1/8], "
	         "port: 1}]}}\n",
	         "E402", 2, 51, "beyond"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{host: x.com, port: 1, "
	         "protocol: ftp}]}}\n",
	         "E106", 2, 69, "ftp"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [{host: x.com, port: 1, mood: "
	         "ok}]}}\n",
	         "E101", 2, 59, "allowed_ips"},
	        {"version: 1\nnetwork_policies: {a: {endpoints: [], binaries: [{path: \"/**\", "
	         "name: x}]}}\n",
	         "E101", 2, 64, "path"},
	        {"version: 1\nnetwork_policies: {a: {}, a: {}}\n", "E103", 2, 27, "`a`"},
	        {"version: 1\nlandlock: {}\nlandlock: {}\n", "E103", 3, 1, "landlock"},
	        {"version: 1\nfilesystem_policy: {read_only: [\"/x\\e\"]}\n", "E102", 2, 33,
	         "control"},
	        {"version: 1\nnetwork_policies: {\"a\\x01\": {}}\n", "E102", 2, 20, "control"},
	        {"version: 1\nwhatever: 1\n", "E101", 2, 1, "network_policies"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;
		struct ir_policy *p = run_text(&r, cases[i].text, false);
		const struct diag *d =
		        find(&r, DIAG_ERROR, cases[i].code, cases[i].line, cases[i].col);
		if (p || !d || diag_errors(r.c.d) != 1) {
			fprintf(stderr, "case %zu:\n%s", i, cases[i].text);
			dump(&r);
		}
		ck_assert_ptr_null(p);
		ck_assert_msg(d != NULL, "case %zu: no %s at %u:%u", i, cases[i].code,
		              cases[i].line, cases[i].col);
		ck_assert_msg(diag_errors(r.c.d) == 1, "case %zu: %zu errors", i,
		              diag_errors(r.c.d));
		ck_assert_msg(strstr(d->msg, cases[i].needle), "case %zu: `%s` lacks `%s`", i,
		              d->msg, cases[i].needle);
		run_free(&r);
	}
}
END_TEST

START_TEST(hostile)
{
	struct run r;
	/* Not a mapping, or empty. */
	static const char *const bad[] = {"- version\n- 1\n", "version\n", "", "~\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(run_text(&r, bad[i], false));
		ck_assert_uint_ge(diag_errors(r.c.d), 1);
		run_free(&r);
	}
	/* Anchors and aliases are refused before the import reads anything. */
	ck_assert_ptr_null(run_text(&r,
	                            "version: 1\nfilesystem_policy: &a {read_only: [/usr]}\n"
	                            "landlock: *a\n",
	                            false));
	ck_assert_uint_ge(count(&r, DIAG_ERROR, "E100"), 1);
	run_free(&r);

	/* Many network policies, all named alike: linear-ish, one error each
	 * after the first. */
	size_t n = 20000, cap = n * 24 + 64, off = 0;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	off += (size_t)snprintf(text + off, cap - off, "version: 1\nnetwork_policies:\n");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off, "  same: {}\n");
	ck_assert_ptr_null(run_text(&r, text, false));
	ck_assert_uint_eq(count(&r, DIAG_ERROR, "E103"), n - 1);
	run_free(&r);

	/* Many endpoints of every kind: no crash, every rule kept. */
	off = 0;
	off += (size_t)snprintf(text + off, cap - off,
	                        "version: 1\nnetwork_policies:\n  a:\n    endpoints:\n");
	for (size_t i = 0; i < 5000; i++)
		off += (size_t)snprintf(text + off, cap - off, "      - {host: h%zu.example.com, port: %zu}\n",
		                        i, i % 65535 + 1);
	struct ir_policy *p = run_text(&r, text, false);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->net.nrules, 5000);
	run_free(&r);
	free(text);

	/* Values of the wrong type everywhere. */
	ck_assert_ptr_null(run_text(&r,
	                            "version: [1]\n"
	                            "filesystem_policy: {read_only: {a: b}, read_write: 7}\n"
	                            "landlock: [x]\n"
	                            "process: 3\n"
	                            "network_policies: {a: [1], b: {endpoints: {x: 1}}, c: "
	                            "{endpoints: [[1]]}}\n",
	                            false));
	ck_assert_uint_ge(count(&r, DIAG_ERROR, "E102"), 8);
	run_free(&r);
}
END_TEST

/* ---- the real OpenShell policies --------------------------------------------------- */

START_TEST(real_policies)
{
	/* Strict: only E505 errors (or none); lenient: no error, the same
	 * number of E505 warnings, and something to enforce. */
	static const size_t want_drops[NFILES] = {5, 6, 9, 0, 4, 1};
	for (size_t i = 0; i < NFILES; i++) {
		struct run r;
		struct ir_policy *p = run_file(&r, files[i], false);
		size_t e505 = count(&r, DIAG_ERROR, "E505");
		if (e505 != want_drops[i] || diag_errors(r.c.d) != e505)
			dump(&r);
		ck_assert_msg(e505 == want_drops[i], "%s: %zu E505", files[i], e505);
		ck_assert_uint_eq(diag_errors(r.c.d), e505);
		ck_assert(e505 ? p == NULL : p != NULL);
		run_free(&r);

		p = run_file(&r, files[i], true);
		if (!p)
			dump(&r);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(count(&r, DIAG_WARNING, "E505"),
		                  want_drops[i] + (i == 5 ? 1 : 0) /* tcp note */);
		ck_assert(p->fs.present);
		ck_assert(p->net.present);
		ck_assert_uint_ge(p->net.nrules, 1);
		ck_assert_ptr_nonnull(fs_rule(p, "/dev/null"));
		run_free(&r);
	}
}
END_TEST

/* ---- round trip through conv_yaml ---------------------------------------------------- */

static char *to_yaml(const struct ir_policy *p, const struct diag_sink *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	conv_yaml(p, d, f);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

static const struct art_section *section(const struct art *a, uint32_t type)
{
	return art_find(a, type, 0);
}

/* p (finalised) -> YAML -> IR: the same rules, in the same order, and the
 * same Landlock section and net table decisions. */
static void round_trip(const struct ir_policy *p, const struct diag_sink *d, const char *what)
{
	char *text = to_yaml(p, d);
	struct run r;
	r.a = arena_new();
	r.c = (struct load_ctx){.a = r.a, .d = diag_sink_new(r.a)};
	diag_source(r.c.d, "conv.yaml", text, strlen(text));
	struct ir_policy *q = yml_parse(&r.c, "conv.yaml", text, strlen(text));
	if (!q) {
		fprintf(stderr, "%s:\n%s", what, text);
		dump(&r);
	}
	ck_assert_msg(q != NULL, "%s: the converted YAML does not parse", what);
	ir_finalize(q, r.c.d);
	ck_assert_uint_eq(q->nrules, p->nrules);
	for (size_t i = 0; i < p->nrules; i++) {
		if (strcmp(q->rules[i].text, p->rules[i].text) != 0)
			fprintf(stderr, "%s:\n%s", what, text);
		ck_assert_str_eq(q->rules[i].text, p->rules[i].text);
		ck_assert_int_eq(q->rules[i].domain, p->rules[i].domain);
	}
	ck_assert_int_eq(q->fs.present, p->fs.present);
	ck_assert_int_eq(q->proc.present, p->proc.present);
	ck_assert_int_eq(q->net.present, p->net.present);
	ck_assert_uint_eq(q->proc.scopes, p->proc.scopes);
	ck_assert_uint_eq(q->fs.min_abi, p->fs.min_abi);
	ck_assert_str_eq(q->name, p->name);

	/* Compile both (no process section: no seccomp backend needed). */
	if (!p->proc.present) {
		struct buf b1 = {0}, b2 = {0};
		struct diag_sink *d1 = diag_sink_new(r.a), *d2 = diag_sink_new(r.a);
		ck_assert_int_eq(polc_compile(p, d1, &b1), 0);
		ck_assert_int_eq(polc_compile(q, d2, &b2), 0);
		struct art a1, a2;
		char err[256];
		ck_assert_int_eq(art_parse(&a1, b1.p, b1.len, err, sizeof(err)), 0);
		ck_assert_int_eq(art_parse(&a2, b2.p, b2.len, err, sizeof(err)), 0);
		ck_assert_uint_eq(a1.min_abi, a2.min_abi);
		ck_assert_uint_eq(a1.nsections, a2.nsections);
		const struct art_section *l1 = section(&a1, ART_SEC_LANDLOCK),
		                         *l2 = section(&a2, ART_SEC_LANDLOCK);
		ck_assert_ptr_nonnull(l1);
		ck_assert_ptr_nonnull(l2);
		ck_assert_uint_eq(l1->length, l2->length);
		ck_assert_mem_eq(l1->sha256, l2->sha256, 32);
		/* The net table records source positions; compare decisions. */
		for (size_t i = 0; i < p->net.nrules; i++) {
			const struct ir_net_rule *nr = &p->net.rules[i];
			if (nr->kind != IR_HOST_NAME)
				continue;
			struct decision x, y;
			ck_assert_int_eq(nt_query(&a1, nr->host, nr->ports[0].lo, NULL, NULL, &x, err,
			                          sizeof(err)),
			                 0);
			ck_assert_int_eq(nt_query(&a2, nr->host, nr->ports[0].lo, NULL, NULL, &y, err,
			                          sizeof(err)),
			                 0);
			ck_assert_int_eq(x.allowed, y.allowed);
			ck_assert_str_eq(x.text, y.text);
			ck_assert_uint_eq(x.rule_id, y.rule_id);
		}
		buf_free(&b1);
		buf_free(&b2);
	}
	run_free(&r);
	free(text);
}

START_TEST(round_trip_openshell)
{
	for (size_t i = 0; i < NFILES; i++) {
		struct run r;
		struct ir_policy *p = run_file(&r, files[i], true);
		ck_assert_ptr_nonnull(p);
		round_trip(p, r.c.d, files[i]);
		/* The dropped fields are listed in the header. */
		char *text = to_yaml(p, r.c.d);
		if (i == 2)
			ck_assert(strstr(text, "network_policies.copilot.binaries` dropped"));
		ck_assert(strncmp(text, "# polc policy", 13) == 0);
		free(text);
		run_free(&r);
	}
}
END_TEST

START_TEST(round_trip_polc)
{
	/* Awkward strings, every key, rules that cannot be grouped. */
	static const char text[] =
	        "polc: 1\n"
	        "name: \"-odd.name\"\n"
	        "description: \"quotes \\\" and \\\\ and\\nnewline: #not a comment\"\n"
	        "filesystem:\n"
	        "  rules:\n"
	        "    - {path: \"/with space/a#b\", access: [read]}\n"
	        "    - {path: \"/x:y/'q'\", access: [write]}\n"
	        "    - {path: /dev/null, access: [read_file, write_file]}\n"
	        "    - {path: /usr, access: [read]}\n"
	        "    - {path: \"/caf\xc3\xa9\", access: [exec, ioctl_dev]}\n"
	        "  optional: [\"/with space/a#b\", \"/caf\xc3\xa9\"]\n"
	        "  min_abi: 6\n"
	        "process:\n"
	        "  default: errno EACCES\n"
	        "  other_abis: errno ENOSYS\n"
	        "  capabilities: [net_bind_service, CAP_CHOWN]\n"
	        "  scopes: [signal]\n"
	        "  rules:\n"
	        "    - {syscalls: [read], action: allow}\n"
	        "    - syscalls: [socket, socketpair]\n"
	        "      args: [{index: 0, op: in, values: [AF_UNIX, AF_INET]},\n"
	        "             {index: 1, op: masked_eq, mask: 0xf, value: SOCK_STREAM}]\n"
	        "      action: allow\n"
	        "    - {syscalls: [ioctl], args: [{index: 1, op: eq, value: 0x5412}], action: kill}\n"
	        "  deny: [ptrace]\n"
	        "  allow: [write]\n"
	        "network:\n"
	        "  outbound:\n"
	        "    - {host: '*.example.com', ports: [443, \"8000-8080\"], methods: [GET, POST],\n"
	        "       paths: [\"/a/**\", \"/b/*\"]}\n"
	        "    - {host: 10.0.0.0/8, ports: [80], action: deny}\n"
	        "    - {host: '2001:db8::1', ports: [22]}\n"
	        "  bind: [3000, 8080]\n";
	struct run r;
	struct ir_policy *p = run_text(&r, text, false);
	if (!p)
		dump(&r);
	ck_assert_ptr_nonnull(p);
	ir_finalize(p, r.c.d);
	round_trip(p, r.c.d, "polc policy");
	run_free(&r);

	/* Groupable rules come out as read:/write: and allow:/deny: lists. */
	p = run_text(&r,
	             "polc: 1\nname: g\nfilesystem: {read: [/usr, /etc], write: [/w]}\n"
	             "process: {allow: [read, write], deny: [ptrace]}\n",
	             false);
	ck_assert_ptr_nonnull(p);
	ir_finalize(p, r.c.d);
	char *y = to_yaml(p, NULL);
	ck_assert(strstr(y, "  read:\n    - /usr\n    - /etc\n  write:\n    - /w\n"));
	ck_assert(strstr(y, "  allow: [read, write]\n  deny: [ptrace]\n"));
	round_trip(p, NULL, "grouped");
	free(y);
	run_free(&r);
}
END_TEST

int main(int argc, char **argv)
{
	if (access(DATA "transparent-tcp-redis.yaml", R_OK) != 0 && argc > 0) {
		char self[PATH_MAX];
		snprintf(self, sizeof(self), "%s", argv[0]);
		char up[PATH_MAX + 8];
		snprintf(up, sizeof(up), "%s/../..", dirname(self));
		if (chdir(up) != 0 || access(DATA "transparent-tcp-redis.yaml", R_OK) != 0) {
			fprintf(stderr, "test_openshell: cannot find " DATA " (run from the source tree)\n");
			return 1;
		}
	}
	Suite *s = suite_create("openshell");
	TCase *tc = tcase_create("openshell");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, detect);
	tcase_add_test(tc, filesystem_mapping);
	tcase_add_test(tc, network_mapping);
	tcase_add_test(tc, unenforceable_strict);
	tcase_add_test(tc, unenforceable_lenient);
	tcase_add_test(tc, tcp_protocol_warns);
	tcase_add_test(tc, schema_errors);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, real_policies);
	tcase_add_test(tc, round_trip_openshell);
	tcase_add_test(tc, round_trip_polc);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
