/* ir.h — polc's one intermediate representation.
 *
 * Every front end (YAML, OCI JSON, Rego, OpenShell) lowers into a struct
 * ir_policy; every backend, lint rule, diff and simulator reads it.  Every
 * node keeps the source position it came from, and after ir_finalize() a
 * rule id (1..) that the artifact's metadata maps back to that position.
 * All memory belongs to the policy's arena. */
#ifndef POLC_IR_H
#define POLC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

struct arena;

/* ---- filesystem (Landlock) ---------------------------------------------- */

enum {
#define LL_FS(n, b, abi, f, doc) LL_FS_##n = 1ull << b,
#include "ll_rights.def"
};
enum {
#define LL_NET(n, b, abi, doc) LL_NET_##n = 1ull << b,
#include "ll_rights.def"
};
enum {
#define LL_SCOPE(n, b, abi, doc) LL_SCOPE_##n = 1ull << b,
#include "ll_rights.def"
};

/* The documented meaning of the schema's shorthand lists. */
#define IR_FS_READ (LL_FS_read_file | LL_FS_read_dir)
#define IR_FS_EXEC (IR_FS_READ | LL_FS_execute)
#define IR_FS_WRITE                                                                            \
	(IR_FS_READ | LL_FS_write_file | LL_FS_remove_dir | LL_FS_remove_file | LL_FS_make_dir |    \
	 LL_FS_make_reg | LL_FS_make_sock | LL_FS_make_fifo | LL_FS_make_sym | LL_FS_refer |         \
	 LL_FS_truncate)

struct ir_fs_rule {
	const char *path; /* absolute, normalised */
	uint64_t access;  /* LL_FS_* bits */
	bool optional;    /* may be missing at run time */
	struct src_pos pos;
	uint32_t id;
};

struct ir_fs {
	bool present;
	struct ir_fs_rule *rules;
	size_t nrules, caprules;
	const char **optional; /* paths from `optional:` */
	struct src_pos *optional_pos;
	size_t noptional, capoptional;
	uint32_t min_abi; /* 0 = derive the lowest that enforces it all */
	struct src_pos min_abi_pos;
};

/* ---- process (seccomp) --------------------------------------------------- */

enum ir_act {
	IR_ACT_ALLOW,
	IR_ACT_LOG,
	IR_ACT_ERRNO,
	IR_ACT_TRAP,
	IR_ACT_KILL_THREAD,
	IR_ACT_KILL, /* kill the process */
};

struct ir_action {
	enum ir_act kind;
	uint16_t errno_val; /* IR_ACT_ERRNO: 0..4095 */
};

enum ir_op { IR_OP_EQ, IR_OP_NE, IR_OP_LT, IR_OP_LE, IR_OP_GT, IR_OP_GE, IR_OP_IN, IR_OP_MASKED_EQ };

struct ir_arg_cond {
	uint8_t index; /* 0..5 */
	enum ir_op op;
	uint64_t mask;    /* IR_OP_MASKED_EQ */
	uint64_t *values; /* one value, except for IR_OP_IN */
	size_t nvalues;
	struct src_pos pos;
};

enum ir_sys_origin { IR_SYS_ALLOW_LIST, IR_SYS_DENY_LIST, IR_SYS_RULE };

/* A rule about one syscall: it matches when every condition holds. */
struct ir_sys_rule {
	const char *syscall; /* libseccomp's spelling */
	struct ir_arg_cond *conds;
	size_t nconds;
	struct ir_action action;
	enum ir_sys_origin origin;
	struct src_pos pos;
	uint32_t id;
};

struct ir_process {
	bool present;
	struct ir_action def; /* default action */
	bool def_set;
	struct src_pos def_pos;
	struct ir_action other_abis; /* x32 / i386 on x86_64 */
	bool other_abis_set;
	struct src_pos other_abis_pos;
	struct ir_sys_rule *rules;
	size_t nrules, caprules;
	uint64_t caps; /* capabilities kept: bit n = capability n */
	struct src_pos caps_pos;
	/* Landlock scopes (LL_SCOPE_* bits): isolate signals and abstract UNIX
	 * sockets from the outside.  Unset means both (secure default). */
	uint64_t scopes;
	bool scopes_set;
	struct src_pos scopes_pos;
};

/* ---- network ------------------------------------------------------------- */

enum ir_host_kind { IR_HOST_NAME, IR_HOST_WILDCARD, IR_HOST_IPV4, IR_HOST_IPV6 };

/* HTTP methods a rule may name. */
#define IR_HTTP_METHODS(X) X(GET) X(HEAD) X(POST) X(PUT) X(DELETE) X(PATCH) X(OPTIONS) X(CONNECT) X(TRACE)
enum {
#define X(m) IR_HTTP_BIT_##m,
	IR_HTTP_METHODS(X)
#undef X
};
#define IR_METHOD(m) (1u << IR_HTTP_BIT_##m)

struct ir_port_range {
	uint16_t lo, hi;
};

struct ir_net_rule {
	enum ir_host_kind kind;
	const char *host; /* lower case, no trailing dot; WILDCARD: the suffix
	                     after "*." ; IPV4/IPV6: the text as written */
	uint8_t addr[16]; /* IPV4: first 4 bytes */
	uint8_t prefix;   /* CIDR prefix length (32/128 for a single address) */
	struct ir_port_range *ports;
	size_t nports;
	uint32_t methods; /* IR_METHOD bits; 0 = any */
	const char **paths; /* glob patterns; none = any */
	size_t npaths;
	bool deny;
	struct src_pos pos;
	uint32_t id;
};

struct ir_bind {
	uint16_t port;
	struct src_pos pos;
	uint32_t id;
};

struct ir_net {
	bool present;
	struct ir_net_rule *rules;
	size_t nrules, caprules;
	struct ir_bind *binds;
	size_t nbinds, capbinds;
};

/* ---- the policy ---------------------------------------------------------- */

struct ir_extends {
	const char *name;     /* as written */
	const char *resolved; /* file it resolved to */
	struct src_pos pos;
};

enum ir_domain { IR_DOM_FS, IR_DOM_PROC, IR_DOM_NET, IR_DOM_BIND };

/* A rule, domain-independent: what the artifact's metadata records. */
struct ir_rule_ref {
	uint32_t id;
	enum ir_domain domain;
	struct src_pos pos;
	const char *text; /* one-line description, e.g. "write /workspace" */
};

struct ir_policy {
	struct arena *a;
	const char *name;
	struct src_pos name_pos;
	const char *description;
	struct ir_extends *extends;
	size_t nextends, capextends;
	const char **sources; /* every file read, in order */
	size_t nsources, capsources;
	struct ir_fs fs;
	struct ir_process proc;
	struct ir_net net;
	/* filled by ir_finalize(): rules[i].id == i + 1 */
	struct ir_rule_ref *rules;
	size_t nrules;
};

struct ir_policy *ir_policy_new(struct arena *a);

/* Merges src into dst (dst is the base, src extends it): lists are
 * appended, scalars set in src override dst, capabilities are united.  The
 * rules are documented in man/polc-policy.5 ("extends"). */
void ir_merge(struct ir_policy *dst, const struct ir_policy *src);

/* Resolves defaults (deny lists get the default action, `optional` marks
 * fs rules), assigns rule ids and builds the rule table.  Call once, after
 * all merging; adds diagnostics for cross-cutting errors. */
void ir_finalize(struct ir_policy *p, struct diag_sink *d);

/* Stable, human-readable dump of the whole IR (golden tests, inspect). */
void ir_dump(const struct ir_policy *p, FILE *out);

const struct ir_rule_ref *ir_rule(const struct ir_policy *p, uint32_t id);

/* Text helpers shared by front ends, dumps and backends. */
const char *ir_act_name(enum ir_act k);        /* "errno" */
int ir_action_str(char *buf, size_t n, struct ir_action a); /* "errno EPERM" */
/* Parses "allow", "errno EPERM", "errno 13", "kill", ...; returns 0 or -1. */
int ir_action_parse(const char *s, struct ir_action *out);
/* Order of restrictiveness, used when several rules match: higher wins. */
int ir_action_rank(struct ir_action a);
const char *ir_op_name(enum ir_op op);
int ir_op_parse(const char *s, enum ir_op *out);
int ir_errno_parse(const char *s, uint16_t *out); /* "EPERM" or number */
const char *ir_errno_name(uint16_t e);             /* NULL if unnamed */
int ir_cap_parse(const char *s);                   /* "CAP_NET_BIND_SERVICE" or without prefix; -1 */
const char *ir_cap_name(int cap);
/* Landlock fs right by name ("read_file"), or 0. */
uint64_t ir_fs_right_parse(const char *s);
/* "read_file,write_file" or "read" for IR_FS_READ etc.; into buf. */
void ir_fs_access_str(char *buf, size_t n, uint64_t access);
int ir_method_parse(const char *s); /* IR_HTTP_BIT_* or -1 */
const char *ir_method_name(int bit);

/* Direct evaluation of the process section for one syscall (by name) and
 * argument vector: the reference semantics the seccomp backend must match.
 * Returns the action; *rule_id gets the deciding rule (0 = default). */
struct ir_action ir_proc_decide(const struct ir_policy *p, const char *syscall,
                                const uint64_t args[6], uint32_t *rule_id);

#endif
