/* bpf.h — the seccomp backend's pieces, shared by the compiler (bpf_gen.c,
 * bpf_valid.c), the readers (bpf_disasm.c: polc inspect/query/export), the
 * tests and the benchmark.
 *
 *   bpfsim.c     classic-BPF interpreter over struct seccomp_data, the
 *                kernel's structural checks, and the kernel's action-cache
 *                emulation (is a syscall's result ALLOW whatever its args?)
 *   bpf_gen.c    IR -> program: arch check, syscall-number dispatch over
 *                ranges (weighted search tree), argument blocks, trampolines
 *   bpf_valid.c  translation validation: the program against the reference
 *                semantics (bpf_ref_decide) over every syscall number and
 *                argument equivalence class
 *   bpf_sym.c    symbolic paths through one syscall's program (OCI export)
 *   bpf_disasm.c disassembly, bpf_inspect, bpf_query
 *
 * Programs are plain arrays of struct bpf_insn (host order); the artifact
 * stores them little-endian (runtime-min/art.h). */
#ifndef POLC_BPF_H
#define POLC_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ir.h"
#include "sysc.h"

#define BPF_MAXINSNS_KERNEL 4096

/* One classic BPF instruction, as struct sock_filter. */
struct bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* seccomp's return values (linux/seccomp.h), spelled out so the readers do
 * not depend on the build host's kernel headers. */
#define BPF_RET_KILL_PROCESS 0x80000000u
#define BPF_RET_KILL_THREAD 0x00000000u
#define BPF_RET_TRAP 0x00030000u
#define BPF_RET_ERRNO 0x00050000u
#define BPF_RET_USER_NOTIF 0x7fc00000u
#define BPF_RET_TRACE 0x7ff00000u
#define BPF_RET_LOG 0x7ffc0000u
#define BPF_RET_ALLOW 0x7fff0000u
#define BPF_RET_ACTION_FULL 0xffff0000u
#define BPF_RET_DATA 0x0000ffffu

/* struct seccomp_data: nr at 0, arch at 4, instruction_pointer at 8,
 * args[6] at 16 (64-bit each; the handled arches are little-endian, so the
 * low word of args[i] is at 16 + 8i and the high word at 20 + 8i). */
#define BPF_SD_NR 0u
#define BPF_SD_ARCH 4u
#define BPF_SD_IP 8u
#define BPF_SD_ARG_LO(i) (16u + 8u * (unsigned)(i))
#define BPF_SD_ARG_HI(i) (20u + 8u * (unsigned)(i))
#define BPF_SD_SIZE 64u

/* Rule ids with a reserved meaning in the SECCOMP section's RET map (real
 * rule ids are small: 1..number of rules).  A RET with no map entry serves
 * several rules (merged syscall ranges); readers then name the rule from
 * the syscall (bpf_query). */
#define BPF_RULE_DEFAULT 0u
#define BPF_RULE_OTHER_ABI 0xffffffffu /* x32 / i386 / arm: `other_abis` */
#define BPF_RULE_CLONE3 0xfffffffeu    /* implicit clone3 -> ENOSYS rule */
#define BPF_RULE_BAD_ARCH 0xfffffffdu  /* unknown arch: kill */
#define BPF_RULE_MULTI 0xfffffff0u     /* internal: no map entry */
#define BPF_RULE_RESERVED_MIN 0xfffffff0u

/* ---- actions ------------------------------------------------------------ */

/* The seccomp return value for an IR action. */
uint32_t bpf_ret_of(struct ir_action a);
/* The IR action for a return value; -1 if it is none polc emits (notify,
 * trace, unknown actions, errno data above 4095). */
int bpf_action_of(uint32_t ret, struct ir_action *out);

/* ---- interpreter and kernel checks (bpfsim.c) ------------------------------ */

struct bpf_data {
	uint32_t nr, arch;
	uint64_t ip;
	uint64_t args[6];
};

/* Checks what the kernel's seccomp loader checks, and a little more
 * (polc's programs never need the rest): 1..4096 instructions; known
 * opcodes; absolute word loads only inside seccomp_data and 4-aligned;
 * every jump forward and inside the program; scratch memory written before
 * read on every path; the last instruction a RET; every RET K a known
 * action (errno data <= 4095).  RET A is refused.  Returns 0, or -1 with a
 * one-line reason (instruction index included) in err. */
int bpf_check(const struct bpf_insn *prog, size_t n, char *err, size_t errlen);

/* Runs a checked program over d.  Returns the RET value; *ret_at gets the
 * index of the RET instruction and *steps the number of instructions
 * executed (each may be NULL).  Only call on programs bpf_check accepted:
 * it never reads out of bounds either way, but then the result is
 * meaningless. */
uint32_t bpf_run(const struct bpf_insn *prog, size_t n, const struct bpf_data *d,
                 uint32_t *ret_at, uint32_t *steps);

/* The kernel's seccomp action cache (kernel/seccomp.c,
 * seccomp_is_const_allow): a syscall is cached, and runs no BPF at all,
 * when every path the program can take for (arch, nr) touches only nr and
 * arch and ends in RET ALLOW.  Emulated here on a checked program. */
bool bpf_const_allow(const struct bpf_insn *prog, size_t n, uint32_t arch, uint32_t nr);

/* Every test the program makes on an argument word (word: arg i lo = 2i,
 * hi = 2i + 1), found by tracking what A holds: fn(word, code, k, mask)
 * for a conditional jump on (word & mask).  With arch_nr ({arch, nr}),
 * only the instructions a call with that arch and number can reach.
 * Returns -1 when some reachable conditional jump tests something else
 * than nr, arch, a constant or one argument word (then the list does not
 * tell everything the program looks at), else 0. */
int bpf_word_tests(const struct bpf_insn *prog, size_t n, const uint32_t *arch_nr,
                   void (*fn)(unsigned word, uint16_t code, uint32_t k, uint32_t mask, void *ctx),
                   void *ctx);
/* The outcome of such a test for a value of the word. */
bool bpf_test_eval(uint16_t code, uint32_t k, uint32_t mask, uint32_t word);

/* ---- reference semantics and validation (bpf_valid.c) ---------------------- */

/* What the program for native must decide for one call: the IR's
 * ir_proc_decide() plus what the IR cannot know about, namely
 *   - arches: an arch the program does not handle is killed
 *     (BPF_RULE_BAD_ARCH);
 *   - other ABIs (x32, i386 on x86_64; arm on aarch64) get `other_abis`
 *     (BPF_RULE_OTHER_ABI), except when other_abis is allow: then the
 *     policy itself decides them, by their own syscall numbers;
 *   - clone3: when no rule names clone3 it returns ENOSYS
 *     (BPF_RULE_CLONE3), so glibc falls back to clone, whose arguments a
 *     filter can inspect (clone3's live in memory);
 *   - a number with no syscall name on its ABI gets the default action.
 * *rule gets the deciding rule id or one of the BPF_RULE_* values. */
struct ir_action bpf_ref_decide(const struct ir_policy *p, const struct sysc_arch *native,
                                uint32_t arch, uint32_t nr, const uint64_t args[6],
                                uint32_t *rule);

/* True when the implicit clone3 rule applies to p (no rule names clone3). */
bool bpf_clone3_implicit(const struct ir_policy *p);

/* Translation validation of prog (compiled for native from p), with the
 * RET map (ret_rule[i] = rule id of RET i, BPF_RULE_MULTI = none).
 * Returns 0, or -1 with a description of the first disagreement in err. */
int bpf_validate(const struct ir_policy *p, const struct sysc_arch *native,
                 const struct bpf_insn *prog, size_t n, const uint32_t *ret_rule, char *err,
                 size_t errlen);

/* ---- code generation (bpf_gen.c) ------------------------------------------ */

struct bpf_prog {
	struct bpf_insn *insns; /* malloc'd; bpf_prog_free */
	uint32_t *ret_rule;     /* per instruction: rule id of a RET, else BPF_RULE_MULTI */
	size_t n;
};
void bpf_prog_free(struct bpf_prog *pr);

/* Compiles p for native without validating it.  Returns 0, or -1 with a
 * reason in err (the program would exceed the kernel's 4096 instructions:
 * *too_long is set).  The caller owns pr (bpf_prog_free). */
int bpf_compile(const struct ir_policy *p, const struct sysc_arch *native, struct bpf_prog *pr,
                bool *too_long, char *err, size_t errlen);

/* Compilation knobs.  weight: how often a syscall (native ABI) is made,
 * to shape the search tree; NULL: bpf_syscall_weight.  The benchmark uses
 * it to compare with a tree shaped by its own trace. */
struct bpf_opts {
	unsigned (*weight)(const char *name, void *ctx);
	void *ctx;
};
int bpf_compile_with(const struct ir_policy *p, const struct sysc_arch *native,
                     const struct bpf_opts *opts, struct bpf_prog *pr, bool *too_long, char *err,
                     size_t errlen);

/* Static syscall weights used to shape the search tree: a rough profile of
 * how often programs make each call (I/O and memory calls dominate). */
unsigned bpf_syscall_weight(const char *name);

/* ---- symbolic execution (bpf_sym.c) ------------------------------------------ */

/* A set of 32-bit words as a union of disjoint ternary blocks
 * {x : (x & mask) == value}. */
struct bpf_tern {
	uint32_t mask, value;
};

/* One path through a program for a fixed (arch, nr): the words of the
 * arguments it constrains, each a union of blocks, and where it ends. */
struct bpf_path {
	struct bpf_tern *blocks[12]; /* per word: arg i lo = 2i, hi = 2i + 1; NULL = any */
	size_t nblocks[12];
	uint32_t ret;    /* RET value */
	uint32_t ret_at; /* RET instruction index */
};

/* Enumerates every feasible path for (arch, nr), calling fn for each.
 * Returns the number of paths, or -1 if the program does something the
 * enumerator does not model (loads of instruction_pointer, ALU other than
 * AND, scratch memory), or there would be more than max_paths paths, or
 * the sets grow past an internal work budget (long chains of "!=" on one
 * word need many blocks). */
long bpf_sym_paths(const struct bpf_insn *prog, size_t n, uint32_t arch, uint32_t nr,
                   size_t max_paths, void (*fn)(const struct bpf_path *, void *), void *ctx);

/* ---- reading artifacts (bpf_disasm.c) ------------------------------------- */

struct art_section;
/* Decodes and checks a SECCOMP section into pr (malloc'd; bpf_prog_free)
 * and *arch.  Returns 0, or -1 with a reason in err. */
int bpf_from_section(const struct art_section *s, struct bpf_prog *pr, uint32_t *arch, char *err,
                     size_t errlen);

struct art;
/* An OCI seccomp profile with the same decisions as the artifact's
 * programs (oci_export.c); new reference, or NULL with a reason in err.
 * warn gets a one-line warning when something could not be stated
 * exactly ("" if none). */
json_t *oci_export(const struct art *a, char *warn, size_t warnlen, char *err, size_t errlen);
/* The profile as text: jansson's dump with integers above INT64_MAX
 * written unsigned.  malloc'd; NULL on allocation failure. */
char *oci_export_dump(json_t *profile);

/* One line of disassembly for instruction i ("jge #0x3c (exit) -> 12, 5"),
 * annotated for the ABI the program is for (native). */
void bpf_disasm_insn(const struct bpf_insn *prog, size_t n, size_t i,
                     const struct sysc_arch *native, char *buf, size_t len);

#endif
