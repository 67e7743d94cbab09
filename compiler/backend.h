/* backend.h — the interfaces between the compiler's phases.
 *
 *   front ends  (yml.c, oci.c, rego)  ->  struct ir_policy  (load.c merges)
 *   backends    (ll.c, nt_build.c, bpf.c) -> section payloads (struct buf)
 *   artifact    (art_write.c) + signing (sig.c)
 *   readers     (inspect / query / test / diff) over a parsed struct art
 *
 * Each backend returns 0 on success or -1 after adding diagnostics. */
#ifndef POLC_BACKEND_H
#define POLC_BACKEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "art.h"
#include "buf.h"
#include "diag.h"
#include "ir.h"
#include "sysc.h"

/* ---- loading ------------------------------------------------------------- */

#define LOAD_MAX_DEPTH 32

struct load_ctx {
	struct arena *a;
	struct diag_sink *d;
	const char *stack[LOAD_MAX_DEPTH]; /* files being loaded, for cycles */
	int depth;
	bool openshell_lenient; /* OpenShell import: warn on dropped fields */
	/* Within one load_inputs() call, the canonical paths of every file
	 * loaded so far: a file reached again (a diamond of extends, or the
	 * same input twice) is merged only once, at its first position.
	 * Direct load_file() calls (lint's per-file analysis) do not dedupe. */
	bool dedup;
	const char *loaded[256];
	int nloaded;
	/* Files that `extends` found by stdlib name: shown as stdlib/NAME. */
	const char *stdlib_files[LOAD_MAX_DEPTH * 4];
	int nstdlib;
};

/* Loads one input of any supported format (by extension: .yaml/.yml, .json,
 * .rego), following its `extends`.  Returns NULL after adding diagnostics
 * when the file cannot be read or has errors.  `from` is where the file was
 * named (for extends), or a zero position for command-line inputs. */
struct ir_policy *load_file(struct load_ctx *c, const char *path, struct src_pos from);

/* Resolves an `extends` entry written in `from_file`: a stdlib name (no '/'
 * and no extension) or a path relative to from_file's directory.  Returns an
 * arena string, or NULL if not found. */
const char *load_resolve_extends(struct load_ctx *c, const char *name, const char *from_file);

/* Loads every input, merges them in order, finalises.  NULL on errors. */
struct ir_policy *load_inputs(struct load_ctx *c, char *const *paths, int n);

/* Reads a whole file into arena memory (NUL-terminated); NULL + errno. */
char *load_slurp(struct arena *a, const char *path, size_t *len);

/* YAML front end (yml.c): polc schema v1 (and, via yml_is_openshell, the
 * OpenShell import).  Returns NULL after adding diagnostics on any error;
 * reports every error in the file, not only the first. */
struct ir_policy *yml_parse(struct load_ctx *c, const char *path, const char *text, size_t len);

/* Rego subset (rego*.c). */
struct ir_policy *rego_parse(struct load_ctx *c, const char *path, const char *text, size_t len);

/* OCI / Docker seccomp profile JSON (oci.c). */
struct ir_policy *oci_parse(struct load_ctx *c, const char *path, const char *text, size_t len);

/* ---- backends ------------------------------------------------------------ */

/* Landlock section payload (ll.c); *min_abi gets the minimum Landlock ABI
 * needed to enforce the whole policy. */
int ll_build(const struct ir_policy *p, struct diag_sink *d, struct buf *out, uint32_t *min_abi);

/* PROCESS section payload (ll.c): capabilities kept.  Only written when the
 * policy keeps some; runmin drops every capability when it is absent. */
void ll_proc_build(const struct ir_policy *p, struct buf *out);

/* Network table payload (nt_build.c). */
int nt_build(const struct ir_policy *p, struct diag_sink *d, struct buf *out);

/* Seccomp program for one arch (bpf.c), with translation validation. */
int bpf_build(const struct ir_policy *p, const struct sysc_arch *arch, struct diag_sink *d,
              struct buf *out);

/* Metadata JSON (meta.c). */
void meta_build(const struct ir_policy *p, uint32_t min_abi, struct buf *out);

/* The whole pipeline: backends + container.  out gets the artifact bytes. */
int polc_compile(const struct ir_policy *p, struct diag_sink *d, struct buf *out);

/* ---- reading artifacts ---------------------------------------------------- */

struct meta_rule {
	uint32_t id;
	const char *domain, *file, *text;
	uint32_t line, col;
};

/* Parsed metadata; owned by the caller's jansson root (meta_free). */
struct meta {
	json_t *root;
	const char *name;
	struct meta_rule *rules;
	size_t nrules;
};
int meta_parse(struct meta *m, const struct art *a, char *err, size_t errlen);
const struct meta_rule *meta_rule(const struct meta *m, uint32_t id);
void meta_free(struct meta *m);

/* A decision, as printed by `polc query` and checked by `polc test`. */
struct decision {
	bool allowed;
	char text[96]; /* "allow", "errno EPERM", "kill", "deny" */
	uint32_t rule_id; /* 0 = default / no rule */
	const char *note; /* non-NULL: what decided when no rule of the policy did
	                   * (runmin's guard, other_abis, clone3 ...), in words */
};

/* Queries answered from the artifact through the simulators. */
int bpf_query(const struct art *a, const struct sysc_arch *arch, const char *syscall,
              const uint64_t args[6], struct decision *out, char *err, size_t errlen);
/* The same, as runmin enforces it (in its network namespace): the
 * artifact's program together with runmin's own guard filter
 * (runtime-min/rm_guard.h), combined as the kernel combines filters.
 * Sets out->note when the guard's answer wins.  For polc query and test;
 * an artifact with no process section is still under the guard. */
int bpf_query_runmin(const struct art *a, const struct sysc_arch *arch, const char *syscall,
                     const uint64_t args[6], struct decision *out, char *err, size_t errlen);
int ll_query(const struct art *a, const char *path, uint64_t access, struct decision *out,
             char *err, size_t errlen);
int nt_query(const struct art *a, const char *host, uint16_t port, const char *method,
             const char *path, struct decision *out, char *err, size_t errlen);

/* `polc inspect` per section: text to out (when non-NULL) and a JSON object
 * describing the section (new reference) in *json (when non-NULL). */
int ll_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
               char *err, size_t errlen);
int ll_proc_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
                    char *err, size_t errlen);
int nt_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
               char *err, size_t errlen);
int bpf_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
                char *err, size_t errlen);

#endif
