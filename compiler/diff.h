/* diff.h — semantic comparison of the privileges two policies or artifacts
 * grant (`polc diff`, lint's unused-extends, the CI gate).
 *
 * Nothing is compared as text.  Each side answers decisions — effective
 * Landlock rights on a path, the action for a syscall and argument vector,
 * allow/deny for a network request — and the engine asks both sides the same
 * questions at every point where a decision can change: every path either
 * side names (Landlock's beneath model makes the rights between two named
 * paths constant), every syscall with one argument vector per region of the
 * argument conditions either side writes, every host/port/method/path
 * boundary of the network rules.  Reordering, reformatting or splitting a
 * rule therefore never shows up; anything that alters a decision does.
 *
 * A policy side answers from the IR (reference semantics: ir_proc_decide,
 * ll_build's section, the network rules below); an artifact side answers
 * through the simulators (ll section, bpf_query, nt_query) and uses its
 * metadata only to find the points worth asking about. */
#ifndef POLC_DIFF_H
#define POLC_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "art.h"
#include "backend.h"
#include "ir.h"

struct arena;

enum diff_kind { DIFF_WIDEN, DIFF_NARROW, DIFF_CHANGE };
enum diff_domain {
	DIFF_FS,         /* paths and Landlock rights */
	DIFF_ABI,        /* minimum Landlock ABI */
	DIFF_PROC,       /* syscalls and their argument conditions */
	DIFF_OTHER_ABIS, /* x32 / i386 on x86_64 */
	DIFF_CAPS,       /* capabilities kept */
	DIFF_SCOPES,     /* Landlock scopes */
	DIFF_NET,        /* outbound hosts, ports, methods, paths */
	DIFF_BIND,       /* TCP ports the program may listen on */
};

/* The rule that made a decision: text and position, or NULL text for the
 * default (no rule). */
struct diff_rule {
	const char *text;
	struct src_pos pos;
};

struct diff_item {
	enum diff_kind kind;
	enum diff_domain dom;
	const char *subject; /* "/workspace", "ptrace", "allow api.github.com:443", ... */
	const char *what;    /* the change in words: "write_file,make_reg", "errno EPERM -> allow" */
	const char *example; /* a concrete request that changed, or NULL */
	const char *old_cond, *new_cond; /* syscalls with conditions: canonical rule sets */
	struct diff_rule old_rule, new_rule;
};

struct diff_result {
	struct diff_item *v; /* sorted: widenings, narrowings, changes; then domain, subject */
	size_t n, cap;
	size_t count[3]; /* per enum diff_kind */
	const char **notes; /* what could not be compared exactly */
	size_t nnotes, capnotes;
};

/* One side of a comparison.  Filled by diff_side_policy/artifact; the
 * pointers it holds must outlive it (arena, policy, artifact buffer). */
struct dside_sys; /* a syscall rule as the side states it */
struct diff_side {
	const char *label; /* file name, for messages */
	const struct ir_policy *p;                 /* policy side, or NULL */
	const struct art *art;                     /* artifact side, or NULL */
	const struct meta *meta;
	/* filesystem, from a LANDLOCK section */
	bool fs_restricted;
	uint64_t handled;
	uint32_t min_abi;
	struct dside_path {
		const char *path;
		uint64_t access;
		uint32_t rule;
	} *fs;
	size_t nfs;
	uint64_t scopes;
	bool scopes_known;
	uint64_t caps;
	/* process */
	bool proc_present;
	const struct sysc_arch *arch; /* artifact: the program queried */
	struct ir_sys_rule *sys;      /* stated rules (artifact: from metadata) */
	size_t nsys;
	struct ir_action def; /* artifact: unknown; the default is queried */
	struct ir_action other_abis;
	bool other_abis_known;
	/* network */
	struct ir_net_rule *net; /* stated rules (artifact: from metadata) */
	size_t nnet;
	struct ir_bind *binds;
	size_t nbinds;
};

/* A finalised policy.  Returns 0, or -1 after adding diagnostics to d (a
 * filesystem section Landlock cannot express). */
int diff_side_policy(struct diff_side *s, struct arena *a, const struct ir_policy *p,
                     struct diag_sink *d, const char *label);
/* A parsed artifact.  Returns 0, or -1 with a reason in err. */
int diff_side_artifact(struct diff_side *s, struct arena *a, const struct art *art,
                       const struct meta *m, const char *label, char *err, size_t errlen);

/* Compares.  Memory from a.  Returns 0, or -1 with a reason in err when a
 * side cannot answer (e.g. a simulator refuses the artifact). */
int diff_run(struct arena *a, const struct diff_side *old, const struct diff_side *new_,
             struct diff_result *out, char *err, size_t errlen);

const char *diff_domain_name(enum diff_domain d); /* "filesystem", "syscall", ... */
const char *diff_kind_name(enum diff_kind k);     /* "widen", "narrow", "change" */

/* The network rules' reference semantics, as diff applies them to policies:
 * deny rules win over allow rules; an IP literal matches only IP/CIDR rules
 * and a name only name/wildcard rules (`*.x` needs one or more labels before
 * x); methods and paths are checked on plain HTTP (method non-NULL) and not
 * on a CONNECT tunnel (method NULL), where the proxy cannot see them.
 * Returns true when allowed; *rule gets the deciding rule (NULL: default). */
bool diff_net_decide(const struct ir_net_rule *rules, size_t n, const char *host,
                     uint16_t port, const char *method, const char *path,
                     const struct ir_net_rule **rule);
/* `*` within a path segment, `**` across segments. */
bool diff_glob_match(const char *pat, const char *s);

#endif
