/* test_lint.c — the lint rule catalogue and engine: every catalogue example
 * triggers its rule, a careful policy triggers nothing, suppressions and
 * the config file behave as documented, lint/README.md documents every
 * rule. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "lint.h"

static char tmpdir[64];

static const char *write_file(struct arena *a, const char *name, const char *text)
{
	const char *path = arena_printf(a, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

struct run {
	struct arena *a;
	struct load_ctx lc;
	struct lint_result r;
};

/* Lints one policy text (written to a file); cfg may be NULL. */
static void lint_text(struct run *rn, const char *text, const struct lint_config *cfg)
{
	rn->a = arena_new();
	rn->lc = (struct load_ctx){.a = rn->a, .d = diag_sink_new(rn->a)};
	struct lint_config def;
	if (!cfg) {
		lint_config_defaults(&def);
		cfg = &def;
	}
	char *path = (char *)write_file(rn->a, "p.yaml", text);
	struct lint_options opt = {0};
	ck_assert_int_eq(lint_run(&rn->lc, &path, 1, cfg, &opt, &rn->r), 0);
}

static size_t count(const struct lint_result *r, const char *id, bool suppressed)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(lint_finding_id(&r->v[i]), id) == 0 && (r->v[i].suppressed != NULL) == suppressed)
			n++;
	return n;
}

static const char *dump(const struct lint_result *r)
{
	static char buf[8192];
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n && o < sizeof(buf) - 200; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\n  %u:%u %s %s%s", r->v[i].pos.line,
		                      r->v[i].pos.col, lint_finding_id(&r->v[i]), r->v[i].msg,
		                      r->v[i].suppressed ? " (suppressed)" : "");
	return buf;
}

/* The YAML front end refuses these hosts, and the network backend refuses
 * these CIDRs and wildcards; lint then reports the front end's or backend's
 * error at the same place instead of restating it. */
static const char *stands_for(const char *id)
{
	if (strcmp(id, "L401") == 0)
		return "E400";
	if (strcmp(id, "L402") == 0)
		return "E402";
	if (strcmp(id, "L403") == 0)
		return "E400";
	return id;
}

START_TEST(every_example_triggers_its_rule)
{
	const struct lint_rule_info *r = lint_rule_info((enum lint_rule_id)_i);
	struct run rn;
	struct arena *a = arena_new();
	write_file(a, "fs-read.yaml", "polc: 1\nname: fs-read\nfilesystem:\n  read: [/usr]\n");
	const char *text = strncmp(r->example, "polc:", 5) == 0
	                           ? r->example
	                           : arena_printf(a, "polc: 1\nname: example\n%s\n", r->example);
	lint_text(&rn, text, NULL);
	const char *want = stands_for(r->id);
	ck_assert_msg(count(&rn.r, want, false) >= 1, "%s (%s): example does not trigger %s:%s\n%s",
	              r->id, r->name, want, dump(&rn.r), text);
	arena_free(rn.a);
	arena_free(a);
}
END_TEST

START_TEST(restated_rules_fire_on_the_ir)
{
	/* L401-L403 on IR the YAML front end would refuse (other front ends
	 * lower into the same IR). */
	struct arena *a = arena_new();
	struct ir_policy *p = ir_policy_new(a);
	p->name = "t";
	p->fs.present = p->proc.present = p->net.present = true;
	struct ir_port_range port = {443, 443};
	struct ir_net_rule rules[3] = {
	        {.kind = IR_HOST_WILDCARD, .host = "", .ports = &port, .nports = 1,
	         .pos = src_pos("t", 1, 1)},
	        {.kind = IR_HOST_IPV4, .host = "0.0.0.0/0", .prefix = 0, .ports = &port, .nports = 1,
	         .pos = src_pos("t", 2, 1)},
	        {.kind = IR_HOST_WILDCARD, .host = "co.uk", .ports = &port, .nports = 1,
	         .pos = src_pos("t", 3, 1)},
	};
	for (int i = 0; i < 3; i++)
		*ARENA_PUSH(a, p->net.rules, p->net.nrules, p->net.caprules) = rules[i];
	ir_finalize(p, diag_sink_new(a));
	struct lint_result r = {0};
	lint_policy(a, p, &r);
	ck_assert_msg(count(&r, "L401", false) == 1, "%s", dump(&r));
	ck_assert_msg(count(&r, "L402", false) == 1, "%s", dump(&r));
	ck_assert_msg(count(&r, "L403", false) == 1, "%s", dump(&r));
	for (size_t i = 0; i < r.n; i++)
		if (strcmp(lint_finding_id(&r.v[i]), "L401") == 0)
			ck_assert_uint_eq(r.v[i].pos.line, 1);
	arena_free(a);
}
END_TEST

static const char careful[] =
        "polc: 1\n"
        "name: careful\n"
        "filesystem:\n"
        "  exec: [/usr/bin, /usr/lib]\n"
        "  read: [/etc/ssl]\n"
        "  write: [/workspace, /tmp]\n"
        "  rules:\n"
        "    - path: /dev/null\n"
        "      access: [read_file, write_file]\n"
        "process:\n"
        "  default: errno EPERM\n"
        "  allow: [read, write, openat, close, exit_group, connect, ioctl]\n"
        "  rules:\n"
        "    - syscalls: [socket]\n"
        "      args:\n"
        "        - {index: 0, op: in, values: [AF_UNIX, AF_INET, AF_INET6]}\n"
        "      action: allow\n"
        "    - syscalls: [ioctl]\n"
        "      args:\n"
        "        - {index: 1, op: in, values: [0x5412, 0x541c]}\n"
        "      action: errno EPERM\n"
        "    - syscalls: [clone]\n"
        "      args:\n"
        "        - {index: 0, op: masked_eq, mask: 0x7e020000, value: 0}\n"
        "      action: allow\n"
        "    - syscalls: [clone3]\n"
        "      action: errno ENOSYS\n"
        "network:\n"
        "  outbound:\n"
        "    - host: api.github.com\n"
        "      ports: [443]\n"
        "  bind: [3000]\n";

START_TEST(careful_policy_is_clean)
{
	struct run rn;
	lint_text(&rn, careful, NULL);
	ck_assert_msg(rn.r.n == 0, "findings on a careful policy:%s", dump(&rn.r));
	arena_free(rn.a);
}
END_TEST

START_TEST(positions_point_at_the_node)
{
	struct run rn;
	lint_text(&rn,
	          "polc: 1\nname: t\nfilesystem:\n  read: [/usr]\n  write: [/tmp, /etc/x]\n"
	          "process:\n  default: errno EPERM\n  allow: [read,\n          ptrace]\n",
	          NULL);
	bool l202 = false, l302 = false;
	for (size_t i = 0; i < rn.r.n; i++) {
		const struct lint_finding *f = &rn.r.v[i];
		if (strcmp(lint_finding_id(f), "L202") == 0) {
			ck_assert_uint_eq(f->pos.line, 5);
			ck_assert_uint_eq(f->pos.col, 17);
			l202 = true;
		}
		if (strcmp(lint_finding_id(f), "L302") == 0) {
			ck_assert_uint_eq(f->pos.line, 9);
			ck_assert_uint_eq(f->pos.col, 11);
			l302 = true;
		}
	}
	ck_assert_msg(l202 && l302, "%s", dump(&rn.r));
	arena_free(rn.a);
}
END_TEST

START_TEST(suppressions)
{
	struct run rn;
	/* Same line, next line, without reason, unknown rule, unused. */
	lint_text(&rn,
	          "polc: 1\nname: t\n"
	          "filesystem:\n"
	          "  write:\n"
	          "    - /etc/a  # polc:ignore fs-write-system app config, reviewed\n"
	          "    # polc:ignore L202 second app, reviewed\n"
	          "\n"
	          "    - /etc/b\n"
	          "    - /etc/c  # polc:ignore fs-write-system\n"
	          "    - /etc/d  # polc:ignore fs-write-sytem typo\n"
	          "  read: [/usr]  # polc:ignore L201 nothing to suppress here\n"
	          "process:\n  default: errno EPERM\n  allow: [read]\n",
	          NULL);
	ck_assert_msg(count(&rn.r, "L202", true) == 2, "%s", dump(&rn.r));
	ck_assert_msg(count(&rn.r, "L202", false) == 2, "%s", dump(&rn.r)); /* /etc/c, /etc/d */
	ck_assert_msg(count(&rn.r, "L106", false) == 1, "%s", dump(&rn.r));
	ck_assert_msg(count(&rn.r, "L107", false) == 1, "%s", dump(&rn.r));
	ck_assert_msg(count(&rn.r, "L108", false) == 1, "%s", dump(&rn.r));
	ck_assert_uint_eq(rn.r.nsuppressed, 2);
	for (size_t i = 0; i < rn.r.n; i++)
		if (rn.r.v[i].suppressed && rn.r.v[i].pos.line == 5)
			ck_assert_str_eq(rn.r.v[i].suppressed, "app config, reviewed");
	arena_free(rn.a);

	lint_text(&rn,
	          "# polc:ignore-file fs-write-system this policy configures /etc/app\n"
	          "polc: 1\nname: t\nfilesystem:\n  write: [/etc/a, /etc/b]\n"
	          "process:\n  default: errno EPERM\n  allow: [read]\n",
	          NULL);
	ck_assert_msg(count(&rn.r, "L202", true) == 2 && count(&rn.r, "L202", false) == 0, "%s",
	              dump(&rn.r));
	arena_free(rn.a);
}
END_TEST

START_TEST(config_levels)
{
	struct arena *a = arena_new();
	struct diag_sink *d = diag_sink_new(a);
	struct lint_config cfg;
	lint_config_defaults(&cfg);
	const char *path = write_file(a, "cfg.yaml",
	                              "fail-level: warning\nrules:\n  fs-write-system: note\n"
	                              "  L211: off\n");
	ck_assert_int_eq(lint_config_load(&cfg, a, d, path), 0);
	ck_assert(cfg.fail_level_set);
	ck_assert_int_eq(cfg.fail_level, LINT_WARNING);
	ck_assert_int_eq(cfg.level[LINT_L202], LINT_NOTE);
	ck_assert_int_eq(cfg.level[LINT_L211], LINT_OFF);
	struct run rn;
	lint_text(&rn, "polc: 1\nname: t\nprocess:\n  default: errno EPERM\n", &cfg);
	ck_assert_msg(count(&rn.r, "L211", false) == 0, "%s", dump(&rn.r));
	arena_free(rn.a);
	lint_text(&rn,
	          "polc: 1\nname: t\nfilesystem:\n  write: [/etc]\nprocess:\n  default: errno "
	          "EPERM\n",
	          &cfg);
	ck_assert_uint_eq(count(&rn.r, "L202", false), 1);
	ck_assert_uint_eq(rn.r.count[LINT_NOTE], 1);
	ck_assert_uint_eq(rn.r.count[LINT_ERROR], 0);
	arena_free(rn.a);

	/* Unknown rules and levels are errors with positions. */
	lint_config_defaults(&cfg);
	path = write_file(a, "bad.yaml", "rules:\n  no-such-rule: error\n  L201: loud\nother: 1\n");
	ck_assert_int_eq(lint_config_load(&cfg, a, d, path), -1);
	ck_assert_uint_eq(diag_errors(d), 3);
	ck_assert_uint_eq(diag_get(d, 0)->pos.line, 2);
	ck_assert_uint_eq(diag_get(d, 1)->pos.line, 3);
	ck_assert_uint_eq(diag_get(d, 2)->pos.line, 4);
	arena_free(a);
}
END_TEST

START_TEST(parse_errors_are_findings)
{
	struct run rn;
	lint_text(&rn, "polc: 1\nname: t\nfilesystem:\n  read: [usr]\n  wrte: [/x]\n", NULL);
	ck_assert_uint_eq(rn.r.errors, 2);
	ck_assert_uint_eq(count(&rn.r, "E200", false), 1);
	ck_assert_uint_eq(count(&rn.r, "E101", false), 1);
	arena_free(rn.a);
}
END_TEST

START_TEST(unused_extends)
{
	struct arena *a = arena_new();
	write_file(a, "b1.yaml", "polc: 1\nname: b1\nfilesystem:\n  read: [/usr]\n");
	write_file(a, "b2.yaml", "polc: 1\nname: b2\nfilesystem:\n  read: [/opt]\n");
	arena_free(a);
	struct run rn;
	lint_text(&rn,
	          "polc: 1\nname: t\nextends: [./b1.yaml, ./b2.yaml]\nfilesystem:\n  read: [/usr, "
	          "/srv]\nprocess:\n  default: errno EPERM\n",
	          NULL);
	ck_assert_msg(count(&rn.r, "L101", false) == 1, "%s", dump(&rn.r));
	for (size_t i = 0; i < rn.r.n; i++)
		if (strcmp(lint_finding_id(&rn.r.v[i]), "L101") == 0) {
			ck_assert_uint_eq(rn.r.v[i].pos.line, 3);
			ck_assert_uint_eq(rn.r.v[i].pos.col, 11); /* ./b1.yaml, not ./b2.yaml */
		}
	arena_free(rn.a);
}
END_TEST

START_TEST(stdlib_findings_hidden)
{
	/* A policy found by stdlib name is the stdlib's business: its
	 * findings are not the user's to fix (--include-stdlib shows them). */
	struct arena *a = arena_new();
	const char *lib = arena_printf(a, "%s/lib", tmpdir);
	ck_assert_int_eq(system(arena_printf(a, "mkdir -p %s", lib)), 0);
	write_file(a, "lib/risky.yaml",
	           "polc: 1\nname: risky\nprocess:\n  default: errno EPERM\n  allow: [ptrace]\n");
	setenv("POLC_STDLIB", lib, 1);
	char *path = (char *)write_file(a, "user.yaml",
	                                "polc: 1\nname: u\nextends: [risky]\nfilesystem:\n  read: "
	                                "[/usr]\n");
	struct lint_config cfg;
	lint_config_defaults(&cfg);
	for (int include = 0; include < 2; include++) {
		struct load_ctx lc = {.a = a, .d = diag_sink_new(a)};
		struct lint_options opt = {.include_stdlib = include};
		struct lint_result r;
		ck_assert_int_eq(lint_run(&lc, &path, 1, &cfg, &opt, &r), 0);
		ck_assert_msg(count(&r, "L302", false) == (size_t)include, "%s", dump(&r));
		if (include)
			ck_assert_str_eq(r.v[0].pos.file, "stdlib/risky.yaml");
	}
	unsetenv("POLC_STDLIB");
	arena_free(a);
}
END_TEST

START_TEST(diamond_extends_are_not_duplicates)
{
	/* A base reached through two extends is merged twice: its rules meet
	 * themselves, which is no duplicate the user wrote. */
	struct arena *a = arena_new();
	write_file(a, "dbase.yaml",
	           "polc: 1\nname: dbase\nfilesystem:\n  read: [/usr, /usr]\nprocess:\n  default: "
	           "errno EPERM\n  allow: [read]\nnetwork:\n  bind: [3000]\n");
	write_file(a, "d1.yaml", "polc: 1\nname: d1\nextends: [./dbase.yaml]\n");
	write_file(a, "d2.yaml", "polc: 1\nname: d2\nextends: [./dbase.yaml]\n");
	arena_free(a);
	struct run rn;
	lint_text(&rn, "polc: 1\nname: t\nextends: [./d1.yaml, ./d2.yaml]\n", NULL);
	/* Only the real duplicate inside dbase.yaml, once, at the second /usr. */
	ck_assert_msg(count(&rn.r, "L104", false) == 1, "%s", dump(&rn.r));
	for (size_t i = 0; i < rn.r.n; i++)
		if (strcmp(lint_finding_id(&rn.r.v[i]), "L104") == 0)
			ck_assert_uint_eq(rn.r.v[i].pos.col, 16);
	ck_assert_msg(count(&rn.r, "L212", false) == 0, "%s", dump(&rn.r));
	arena_free(rn.a);
}
END_TEST

START_TEST(readme_documents_every_rule)
{
	FILE *f = fopen("lint/README.md", "r");
	ck_assert_msg(f != NULL, "lint/README.md (run from the source root)");
	static char text[1 << 18];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (int i = 0; i < LINT__COUNT; i++) {
		const struct lint_rule_info *r = lint_rule_info((enum lint_rule_id)i);
		char head[128];
		snprintf(head, sizeof(head), "### %s %s\n", r->id, r->name);
		ck_assert_msg(strstr(text, head), "lint/README.md lacks `%s`", head);
		ck_assert_msg(strstr(text, r->rationale), "lint/README.md lacks %s's rationale", r->id);
	}
	/* IDs and names are unique. */
	for (int i = 0; i < LINT__COUNT; i++)
		ck_assert_int_eq(lint_rule_find(lint_rule_info((enum lint_rule_id)i)->name), i);
}
END_TEST

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/polc-lint-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, every_example_triggers_its_rule, 0, LINT__COUNT);
	tcase_add_test(tc, restated_rules_fire_on_the_ir);
	tcase_add_test(tc, careful_policy_is_clean);
	tcase_add_test(tc, positions_point_at_the_node);
	tcase_add_test(tc, suppressions);
	tcase_add_test(tc, config_levels);
	tcase_add_test(tc, parse_errors_are_findings);
	tcase_add_test(tc, unused_extends);
	tcase_add_test(tc, stdlib_findings_hidden);
	tcase_add_test(tc, diamond_extends_are_not_duplicates);
	tcase_add_test(tc, readme_documents_every_rule);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
