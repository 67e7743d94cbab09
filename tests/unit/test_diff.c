/* test_diff.c — polc diff's completeness: mutate a policy (add, remove,
 * alter a rule in every domain) and check that the diff reports every
 * change that alters a decision, with the right direction, and none that
 * does not; the same through compiled artifacts; random argument-condition
 * rule sets checked against brute-force evaluation; the network reference
 * semantics checked against the network table's own lookup. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "backend.h"
#include "diff.h"

static struct arena *A;

/* A policy from YAML sections, finalised as `polc build` would. */
static struct ir_policy *pol(const char *body)
{
	const char *text = arena_printf(A, "polc: 1\nname: t\n%s", body);
	struct load_ctx lc = {.a = A, .d = diag_sink_new(A)};
	struct ir_policy *p = yml_parse(&lc, "t.yaml", text, strlen(text));
	if (!p || diag_errors(lc.d)) {
		for (size_t i = 0; i < diag_count(lc.d); i++)
			fprintf(stderr, "%u:%u %s\n", diag_get(lc.d, i)->pos.line,
			        diag_get(lc.d, i)->pos.col, diag_get(lc.d, i)->msg);
		ck_abort_msg("policy does not load:\n%s", text);
	}
	struct ir_policy *m = ir_policy_new(A);
	ir_merge(m, p);
	ir_finalize(m, lc.d);
	return m;
}

static const char *describe(const struct diff_result *r)
{
	const char *s = "";
	for (size_t i = 0; i < r->n; i++)
		s = arena_printf(A, "%s\n  %s %s %s: %s%s%s", s, diff_kind_name(r->v[i].kind),
		                 diff_domain_name(r->v[i].dom), r->v[i].subject, r->v[i].what,
		                 r->v[i].example ? " e.g. " : "", r->v[i].example ? r->v[i].example : "");
	return *s ? s : " (none)";
}

static struct diff_result diff_ir(const struct ir_policy *o, const struct ir_policy *n)
{
	struct diff_side so, sn;
	struct diff_result r;
	char err[256];
	struct diag_sink *d = diag_sink_new(A);
	ck_assert_int_eq(diff_side_policy(&so, A, o, d, "old"), 0);
	ck_assert_int_eq(diff_side_policy(&sn, A, n, d, "new"), 0);
	ck_assert_msg(diff_run(A, &so, &sn, &r, err, sizeof(err)) == 0, "%s", err);
	return r;
}

/* Compiles p; NULL when the build fails (a backend still missing). */
struct compiled {
	struct buf b;
	struct art art;
	struct meta meta;
};
static struct compiled *compile(const struct ir_policy *p)
{
	struct compiled *c = arena_alloc(A, sizeof(*c));
	struct diag_sink *d = diag_sink_new(A);
	char err[256];
	if (polc_compile(p, d, &c->b) < 0)
		return NULL;
	ck_assert_msg(art_parse(&c->art, c->b.p, c->b.len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(meta_parse(&c->meta, &c->art, err, sizeof(err)) == 0, "%s", err);
	return c;
}

static bool diff_art(const struct compiled *o, const struct compiled *n, struct diff_result *r)
{
	struct diff_side so, sn;
	char err[256];
	ck_assert_int_eq(diff_side_artifact(&so, A, &o->art, &o->meta, "old", err, sizeof(err)), 0);
	ck_assert_int_eq(diff_side_artifact(&sn, A, &n->art, &n->meta, "new", err, sizeof(err)), 0);
	ck_assert_msg(diff_run(A, &so, &sn, r, err, sizeof(err)) == 0, "%s", err);
	return true;
}

/* ---- the mutation table ------------------------------------------------------- */

static const char base_fs[] = "filesystem:\n"
                              "  read: [/usr, /etc/ssl]\n"
                              "  write: [/workspace]\n"
                              "  rules:\n"
                              "    - path: /dev/null\n"
                              "      access: [read_file, write_file]\n";
static const char base_proc[] = "process:\n"
                                "  default: errno EPERM\n"
                                "  allow: [read, write, exit_group]\n"
                                "  deny: [ptrace]\n"
                                "  rules:\n"
                                "    - syscalls: [socket]\n"
                                "      args:\n"
                                "        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n"
                                "      action: allow\n"
                                "    - syscalls: [mmap]\n"
                                "      args:\n"
                                "        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
                                "      action: allow\n"
                                "  capabilities: [CAP_NET_BIND_SERVICE]\n";
static const char base_net[] = "network:\n"
                               "  outbound:\n"
                               "    - host: api.github.com\n"
                               "      ports: [443]\n"
                               "    - host: \"*.example.com\"\n"
                               "      ports: [80, \"8000-8080\"]\n"
                               "      methods: [GET]\n"
                               "      paths: [\"/v1/**\"]\n"
                               "    - host: 192.0.2.0/24\n"
                               "      ports: [443]\n"
                               "  bind: [3000]\n";

/* expect: "" no difference; otherwise the kinds that must be present,
 * 'w' widen, 'n' narrow, 'c' change (and no other kind). */
struct mutation {
	const char *what, *fs, *proc, *net, *expect;
};

static const struct mutation muts[] = {
        /* filesystem */
        {"fs: reorder", "filesystem:\n  write: [/workspace]\n  rules:\n    - path: /dev/null\n"
                        "      access: [write_file, read_file]\n  read: [/etc/ssl, /usr]\n",
         NULL, NULL, ""},
        {"fs: split a shorthand into rules",
         "filesystem:\n  read: [/usr]\n  write: [/workspace]\n  rules:\n    - path: /dev/null\n"
         "      access: [read_file, write_file]\n    - path: /etc/ssl\n"
         "      access: [read_file, read_dir]\n",
         NULL, NULL, ""},
        {"fs: add a path beneath a readable one",
         "filesystem:\n  read: [/usr, /etc/ssl, /usr/share]\n  write: [/workspace]\n  rules:\n"
         "    - path: /dev/null\n      access: [read_file, write_file]\n",
         NULL, NULL, ""},
        {"fs: add a path", "filesystem:\n  read: [/usr, /etc/ssl, /opt]\n  write: [/workspace]\n"
                           "  rules:\n    - path: /dev/null\n      access: [read_file, write_file]\n",
         NULL, NULL, "w"},
        {"fs: remove a path", "filesystem:\n  read: [/usr]\n  write: [/workspace]\n  rules:\n"
                              "    - path: /dev/null\n      access: [read_file, write_file]\n",
         NULL, NULL, "n"},
        {"fs: write becomes read", "filesystem:\n  read: [/usr, /etc/ssl, /workspace]\n  rules:\n"
                                   "    - path: /dev/null\n      access: [read_file, write_file]\n",
         NULL, NULL, "n"},
        {"fs: read becomes exec", "filesystem:\n  exec: [/usr]\n  read: [/etc/ssl]\n"
                                  "  write: [/workspace]\n  rules:\n    - path: /dev/null\n"
                                  "      access: [read_file, write_file]\n",
         NULL, NULL, "w"},
        {"fs: one more right", "filesystem:\n  read: [/usr, /etc/ssl]\n  write: [/workspace]\n"
                               "  rules:\n    - path: /dev/null\n"
                               "      access: [read_file, write_file, truncate]\n",
         NULL, NULL, "w"},
        {"fs: min_abi 7 (same rights handled)",
         "filesystem:\n  read: [/usr, /etc/ssl]\n  write: [/workspace]\n  rules:\n"
         "    - path: /dev/null\n      access: [read_file, write_file]\n  min_abi: 7\n",
         NULL, NULL, "c"},
        {"fs: section removed", "", NULL, NULL, "w"},
        /* process */
        {"proc: reorder and restate", NULL,
         "process:\n  default: errno EPERM\n  allow: [exit_group, write, read, read]\n"
         "  rules:\n    - syscalls: [mmap]\n      args:\n"
         "        - {index: 2, op: masked_eq, mask: 4, value: 0}\n      action: allow\n"
         "    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_INET, AF_UNIX]}\n      action: allow\n"
         "  deny: [ptrace]\n  capabilities: [NET_BIND_SERVICE]\n",
         NULL, ""},
        {"proc: split a condition into two rules, 64-bit spelling of a 32-bit value", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  rules:\n"
         "    - syscalls: [socket]\n      args:\n        - {index: 0, op: eq, value: 0x100000001}\n"
         "      action: allow\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: eq, value: AF_INET}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n    - syscalls: [mmap]\n      args:\n"
         "        - {index: 2, op: le, value: 3}\n      action: allow\n"
         "  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, ""},
        {"proc: deny entry equal to the default", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  rules:\n"
         "    - syscalls: [socket]\n      args:\n        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n"
         "      action: allow\n    - syscalls: [mmap]\n      args:\n"
         "        - {index: 2, op: masked_eq, mask: 4, value: 0}\n      action: allow\n"
         "  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, ""},
        {"proc: allow one more syscall", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group, getpid]\n"
         "  deny: [ptrace]\n  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, "w"},
        {"proc: remove a syscall", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, exit_group]\n  deny: [ptrace]\n"
         "  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, "n"},
        {"proc: deny action becomes kill", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  rules:\n"
         "    - syscalls: [ptrace]\n      action: kill\n"
         "    - syscalls: [socket]\n      args:\n        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n"
         "      action: allow\n    - syscalls: [mmap]\n      args:\n"
         "        - {index: 2, op: masked_eq, mask: 4, value: 0}\n      action: allow\n"
         "  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, "c"},
        {"proc: one more value in a condition", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  deny: [ptrace]\n"
         "  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_UNIX, AF_INET, AF_NETLINK]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, "w"},
        {"proc: narrower condition", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  deny: [ptrace]\n"
         "  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 6, value: 0}\n"
         "      action: allow\n  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, "n"},
        {"proc: condition moved to another argument", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  deny: [ptrace]\n"
         "  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 1, op: in, values: [AF_UNIX, AF_INET]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, "wn"},
        {"proc: default errno changes", NULL,
         "process:\n  default: errno EACCES\n  allow: [read, write, exit_group]\n"
         "  rules:\n    - syscalls: [ptrace]\n      action: errno EPERM\n"
         "    - syscalls: [socket]\n      args:\n        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n"
         "      action: allow\n    - syscalls: [mmap]\n      args:\n"
         "        - {index: 2, op: masked_eq, mask: 4, value: 0}\n      action: allow\n"
         "  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, "c"},
        {"proc: default allow", NULL,
         "process:\n  default: allow\n  deny: [ptrace]\n  capabilities: [CAP_NET_BIND_SERVICE]\n",
         NULL, "w"},
        {"proc: other ABIs allowed", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  deny: [ptrace]\n"
         "  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n  capabilities: [CAP_NET_BIND_SERVICE]\n  other_abis: allow\n",
         NULL, "w"},
        {"proc: capability dropped", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  deny: [ptrace]\n"
         "  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n",
         NULL, "n"},
        {"proc: capability added", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  deny: [ptrace]\n"
         "  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n  capabilities: [CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN]\n",
         NULL, "w"},
        {"proc: scopes off", NULL,
         "process:\n  default: errno EPERM\n  allow: [read, write, exit_group]\n  deny: [ptrace]\n"
         "  rules:\n    - syscalls: [socket]\n      args:\n"
         "        - {index: 0, op: in, values: [AF_UNIX, AF_INET]}\n      action: allow\n"
         "    - syscalls: [mmap]\n      args:\n        - {index: 2, op: masked_eq, mask: 4, value: 0}\n"
         "      action: allow\n  capabilities: [CAP_NET_BIND_SERVICE]\n  scopes: []\n",
         NULL, "wc"},
        /* network */
        {"net: reorder, restate, covered rule", NULL, NULL,
         "network:\n  outbound:\n    - host: 192.0.2.0/24\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [\"8000-8080\", 80]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: a.example.com\n      ports: [8001]\n      methods: [GET]\n      paths: [/v1/x]\n"
         "    - host: other.org\n      ports: [443]\n      action: deny\n"
         "  bind: [3000, 3000]\n",
         ""},
        {"net: host added", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: api.gitlab.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000]\n",
         "w"},
        {"net: port changed", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [8443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000]\n",
         "wn"},
        {"net: range one wider", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8081\"]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000]\n",
         "w"},
        {"net: any method", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n"
         "      paths: [\"/v1/**\"]\n    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000]\n",
         "w"},
        {"net: method added", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET, POST]\n"
         "      paths: [\"/v1/**\"]\n    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000]\n",
         "w"},
        {"net: path changed", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET]\n"
         "      paths: [\"/v2/**\"]\n    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000]\n",
         "wn"},
        {"net: CIDR halved", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: 192.0.2.0/25\n      ports: [443]\n  bind: [3000]\n",
         "n"},
        {"net: deny rule carves out a host", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: evil.example.com\n      ports: [80]\n"
         "      action: deny\n    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000]\n",
         "n"},
        {"net: apex added to a wildcard", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: example.com\n      ports: [80]\n"
         "      methods: [GET]\n      paths: [\"/v1/**\"]\n"
         "    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000]\n",
         "w"},
        {"net: bind port added", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: 192.0.2.0/24\n      ports: [443]\n  bind: [3000, 3001]\n",
         "w"},
        {"net: bind port removed", NULL, NULL,
         "network:\n  outbound:\n    - host: api.github.com\n      ports: [443]\n"
         "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n      methods: [GET]\n"
         "      paths: [\"/v1/**\"]\n    - host: 192.0.2.0/24\n      ports: [443]\n",
         "n"},
};

static const char *policy_of(const struct mutation *m, bool no_proc)
{
	return arena_printf(A, "%s%s%s", m && m->fs ? m->fs : base_fs,
	                    no_proc ? "" : (m && m->proc ? m->proc : base_proc),
	                    m && m->net ? m->net : base_net);
}

static void check_kinds(const struct mutation *m, const struct diff_result *r, const char *how)
{
	for (int k = 0; k < 3; k++) {
		bool want = strchr(m->expect, "wnc"[k]) != NULL;
		ck_assert_msg((r->count[k] > 0) == want, "%s (%s): %s %s, got:%s", m->what, how,
		              want ? "expected a" : "did not expect any", diff_kind_name(k),
		              describe(r));
	}
}

START_TEST(mutations_ir)
{
	const struct mutation *m = &muts[_i];
	A = arena_new();
	struct ir_policy *o = pol(policy_of(NULL, false)), *n = pol(policy_of(m, false));
	struct diff_result r = diff_ir(o, n);
	check_kinds(m, &r, "policies");
	/* The other direction swaps widenings and narrowings. */
	struct diff_result back = diff_ir(n, o);
	ck_assert_uint_eq(back.count[DIFF_WIDEN], r.count[DIFF_NARROW]);
	ck_assert_uint_eq(back.count[DIFF_NARROW], r.count[DIFF_WIDEN]);
	ck_assert_uint_eq(back.count[DIFF_CHANGE], r.count[DIFF_CHANGE]);
	arena_free(A);
}
END_TEST

/* Through compiled artifacts (decisions from the simulators, points from
 * the metadata): the same verdicts, and an artifact shows no difference
 * from its own policy.  The process section needs the seccomp backend;
 * until it builds, the policies are compared without it. */
START_TEST(mutations_artifacts)
{
	const struct mutation *m = &muts[_i];
	A = arena_new();
	struct ir_policy *o = pol(policy_of(NULL, false));
	struct compiled *probe = compile(o);
	bool no_proc = probe == NULL;
	if (probe) {
		buf_free(&probe->b);
		meta_free(&probe->meta);
	}
	if (no_proc && m->proc) {
		arena_free(A);
		return;
	}
	o = pol(policy_of(NULL, no_proc));
	struct ir_policy *n = pol(policy_of(m, no_proc));
	struct compiled *co = compile(o), *cn = compile(n);
	ck_assert_msg(co && cn, "%s: does not compile", m->what);
	struct diff_result ra, ri = diff_ir(o, n);
	diff_art(co, cn, &ra);
	for (int k = 0; k < 3; k++)
		ck_assert_msg((ra.count[k] > 0) == (ri.count[k] > 0),
		              "%s: artifacts disagree with policies on %s:\nartifacts:%s\npolicies:%s",
		              m->what, diff_kind_name(k), describe(&ra), describe(&ri));
	struct diff_result self;
	diff_art(co, co, &self);
	ck_assert_msg(self.n == 0, "artifact differs from itself:%s", describe(&self));
	buf_free(&co->b);
	buf_free(&cn->b);
	meta_free(&co->meta);
	meta_free(&cn->meta);
	arena_free(A);
}
END_TEST

/* ---- random argument conditions against brute force ------------------------ */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const uint64_t pool[] = {0, 1, 2, 3, 4, 7, 8, 16, 0x10, 0x40, 0xff, 0x100000001ull,
                                0xffffffffull, 0x8000000000000000ull, ~0ull};

static void random_rules(struct ir_policy *p, const char *sc, uint64_t *seed, int nrules)
{
	for (int i = 0; i < nrules; i++) {
		struct ir_sys_rule *r =
		        ARENA_PUSH(A, p->proc.rules, p->proc.nrules, p->proc.caprules);
		r->syscall = sc;
		r->origin = IR_SYS_RULE;
		r->action.kind = rnd(seed) % 3 == 0 ? IR_ACT_ERRNO : IR_ACT_ALLOW;
		r->action.errno_val = 1;
		r->nconds = rnd(seed) % 3;
		r->conds = arena_array(A, 2, sizeof(*r->conds));
		for (size_t j = 0; j < r->nconds; j++) {
			struct ir_arg_cond *c = &r->conds[j];
			c->index = (uint8_t)(rnd(seed) % 2);
			c->op = (enum ir_op)(rnd(seed) % 8);
			c->nvalues = c->op == IR_OP_IN ? 1 + rnd(seed) % 3 : 1;
			c->values = arena_array(A, 3, sizeof(uint64_t));
			for (size_t k = 0; k < c->nvalues; k++)
				c->values[k] = pool[rnd(seed) % (sizeof(pool) / sizeof(*pool))];
			if (c->op == IR_OP_MASKED_EQ) {
				c->mask = pool[rnd(seed) % (sizeof(pool) / sizeof(*pool))] | 0x10;
				c->values[0] &= c->mask;
			}
		}
	}
}

START_TEST(random_conditions_vs_brute_force)
{
	/* ioctl's argument 1 is 64 bits wide, socket's argument 0 is 32:
	 * both widths are exercised. */
	static const char *const scs[] = {"ioctl", "socket"};
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int equal = 0, different = 0;
	for (int round = 0; round < 400; round++) {
		A = arena_new();
		const char *sc = scs[round % 2];
		struct ir_policy *o = ir_policy_new(A), *n = ir_policy_new(A);
		o->proc.present = n->proc.present = true;
		random_rules(o, sc, &seed, 1 + (int)(rnd(&seed) % 3));
		/* n: o's rules, one of them perturbed or a rule added. */
		random_rules(n, sc, &seed, 0);
		for (size_t i = 0; i < o->proc.nrules; i++)
			*ARENA_PUSH(A, n->proc.rules, n->proc.nrules, n->proc.caprules) = o->proc.rules[i];
		if (rnd(&seed) % 2)
			random_rules(n, sc, &seed, 1);
		else if (n->proc.nrules && n->proc.rules[0].nconds) {
			struct ir_arg_cond *c = arena_alloc(A, sizeof(*c));
			*c = n->proc.rules[0].conds[0];
			c->values = arena_array(A, 3, sizeof(uint64_t));
			memcpy(c->values, n->proc.rules[0].conds[0].values, c->nvalues * sizeof(uint64_t));
			c->values[0] = pool[rnd(&seed) % (sizeof(pool) / sizeof(*pool))] &
			               (c->op == IR_OP_MASKED_EQ ? c->mask : ~0ull);
			n->proc.rules[0].conds = c;
			n->proc.rules[0].nconds = 1;
		}
		ir_finalize(o, diag_sink_new(A));
		ir_finalize(n, diag_sink_new(A));
		struct diff_result r = diff_ir(o, n);
		bool same = true;
		for (size_t i = 0; i < r.n; i++)
			same &= r.v[i].dom != DIFF_PROC;
		/* Brute force: every pair of pool values and neighbours, plus
		 * random vectors. */
		uint64_t vals[64];
		size_t nv = 0;
		for (size_t i = 0; i < sizeof(pool) / sizeof(*pool); i++) {
			vals[nv++] = pool[i];
			vals[nv++] = pool[i] + 1;
			vals[nv++] = pool[i] - 1;
		}
		bool found = false;
		for (size_t x = 0; x < nv + 200 && !found; x++)
			for (size_t y = 0; y < nv && !found; y++) {
				uint64_t args[6] = {x < nv ? vals[x] : rnd(&seed), vals[y]};
				struct ir_action ao = ir_proc_decide(o, sc, args, NULL);
				struct ir_action an = ir_proc_decide(n, sc, args, NULL);
				found = ao.kind != an.kind || ao.errno_val != an.errno_val;
			}
		ck_assert_msg(!(same && found), "round %d (%s): diff says equal, brute force differs",
		              round, sc);
		ck_assert_msg(!(!same && !found) || true, "unreachable");
		equal += same;
		different += !same;
		arena_free(A);
	}
	/* The generator must exercise both outcomes, or the test proves little. */
	ck_assert_int_gt(equal, 40);
	ck_assert_int_gt(different, 40);
}
END_TEST

/* ---- network reference semantics = the network table's lookup -------------- */

START_TEST(net_semantics_match_the_table)
{
	A = arena_new();
	struct ir_policy *p = pol(
	        "filesystem:\n  read: [/usr]\n"
	        "network:\n  outbound:\n"
	        "    - host: api.github.com\n      ports: [443]\n"
	        "    - host: \"*.example.com\"\n      ports: [80, \"8000-8080\"]\n"
	        "      methods: [GET, HEAD]\n      paths: [\"/v1/**\", \"/a/*/b\"]\n"
	        "    - host: bad.example.com\n      ports: [80]\n      methods: [POST]\n"
	        "      action: deny\n"
	        "    - host: 10.1.0.0/16\n      ports: [22]\n"
	        "    - host: 192.0.2.0/24\n      ports: [443]\n"
	        "    - host: 2001:db8::/32\n      ports: [443]\n"
	        "    - host: example.org\n      ports: [80]\n      methods: [CONNECT]\n");
	struct compiled *c = compile(p);
	ck_assert_ptr_nonnull(c);
	static const char *const hosts[] = {"api.github.com", "API.GitHub.com.", "x.api.github.com",
	                                    "example.com", "a.example.com", "a.b.example.com",
	                                    "bad.example.com", "10.1.2.3", "10.2.0.1", "192.0.2.7",
	                                    "192.0.3.1", "2001:db8::1", "[2001:db8::1]",
	                                    "2001:db9::1", "example.org", "::ffff:192.0.2.7",
	                                    "127.0.0.1"};
	static const uint16_t ports[] = {22, 79, 80, 81, 443, 7999, 8000, 8080, 8081};
	static const char *const methods[] = {NULL, "GET", "HEAD", "POST", "DELETE", "CONNECT"};
	static const char *const paths[] = {"/", "/v1", "/v1/", "/v1/x/y", "/a/q/b", "/a/q/r/b",
	                                    "/v2/x"};
	size_t checked = 0, allowed = 0;
	for (size_t h = 0; h < sizeof(hosts) / sizeof(*hosts); h++)
		for (size_t po = 0; po < sizeof(ports) / sizeof(*ports); po++)
			for (size_t m = 0; m < sizeof(methods) / sizeof(*methods); m++)
				for (size_t pa = 0; pa < (methods[m] ? sizeof(paths) / sizeof(*paths) : 1);
				     pa++) {
					const char *path = methods[m] ? paths[pa] : NULL;
					struct decision d;
					char err[256];
					ck_assert_msg(nt_query(&c->art, hosts[h], ports[po], methods[m], path, &d, err,
					                       sizeof(err)) == 0,
					              "%s", err);
					const struct ir_net_rule *rule;
					bool ir = diff_net_decide(p->net.rules, p->net.nrules, hosts[h], ports[po],
					                          methods[m], path, &rule);
					ck_assert_msg(ir == d.allowed,
					              "%s:%u %s %s: reference says %s, table says %s (%s)",
					              hosts[h], ports[po], methods[m] ? methods[m] : "(tunnel)",
					              path ? path : "", ir ? "allow" : "deny",
					              d.allowed ? "allow" : "deny", d.text);
					if (ir)
						ck_assert_uint_eq(rule->id, d.rule_id);
					checked++;
					allowed += ir;
				}
	ck_assert_uint_gt(allowed, 20);
	ck_assert_uint_gt(checked - allowed, 20);
	buf_free(&c->b);
	meta_free(&c->meta);
	arena_free(A);
}
END_TEST

START_TEST(glob)
{
	ck_assert(diff_glob_match("/v1/**", "/v1/a/b"));
	ck_assert(diff_glob_match("/v1/**", "/v1/"));
	ck_assert(!diff_glob_match("/v1/**", "/v1"));
	ck_assert(diff_glob_match("/a/*/b", "/a/x/b"));
	ck_assert(!diff_glob_match("/a/*/b", "/a/x/y/b"));
	ck_assert(diff_glob_match("/a/**/b", "/a/x/y/b"));
	ck_assert(!diff_glob_match("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
END_TEST

/* Reports name the rule and position that decided. */
START_TEST(items_carry_rules)
{
	A = arena_new();
	struct ir_policy *o = pol("filesystem:\n  read: [/usr]\nprocess:\n  default: errno EPERM\n"),
	                 *n = pol("filesystem:\n  read: [/usr]\n  write: [/workspace]\n"
	                          "process:\n  default: errno EPERM\n  allow: [ptrace]\n");
	struct diff_result r = diff_ir(o, n);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.v[0].kind, DIFF_WIDEN);
	ck_assert_int_eq(r.v[0].dom, DIFF_FS);
	ck_assert_str_eq(r.v[0].subject, "/workspace");
	ck_assert_str_eq(r.v[0].what, "write");
	ck_assert_str_eq(r.v[0].new_rule.text, "write /workspace");
	ck_assert_uint_eq(r.v[0].new_rule.pos.line, 5);
	ck_assert_int_eq(r.v[1].dom, DIFF_PROC);
	ck_assert_str_eq(r.v[1].subject, "ptrace");
	ck_assert_str_eq(r.v[1].what, "errno EPERM -> allow");
	ck_assert_uint_eq(r.v[1].new_rule.pos.line, 8);
	arena_free(A);
}
END_TEST

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	size_t nm = sizeof(muts) / sizeof(muts[0]);
	tcase_add_loop_test(tc, mutations_ir, 0, (int)nm);
	tcase_add_loop_test(tc, mutations_artifacts, 0, (int)nm);
	tcase_add_test(tc, random_conditions_vs_brute_force);
	tcase_add_test(tc, net_semantics_match_the_table);
	tcase_add_test(tc, glob);
	tcase_add_test(tc, items_carry_rules);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
