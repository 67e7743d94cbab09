/* art.h — the polc artifact format, version 1, and its bounds-checked reader.
 *
 * This header is the single definition of the format.  The compiler's writer
 * (compiler/art_write.c) and every reader (runmin, polc inspect/query/test/
 * diff) include it; the reader (art_read.c) is shared code.  See
 * man/polc-artifact.5 for the prose description.
 *
 * All integers are little-endian.  Readers never cast structs onto the
 * buffer: they read fields one by one and check each length against what
 * remains.
 *
 *   header (32 bytes)
 *     0  magic      "POLCART\0"
 *     8  u16 version            ART_VERSION
 *    10  u16 header_size        32
 *    12  u32 flags              0 (must be zero in v1)
 *    16  u32 section_count      <= ART_MAX_SECTIONS
 *    20  u32 min_landlock_abi   runmin refuses kernels below this
 *    24  u32 total_size         length of the whole file
 *    28  u32 reserved           0
 *   section table: section_count entries of 48 bytes
 *     0  u32 type               enum art_section_type
 *     4  u32 arch               AUDIT_ARCH_* for SECCOMP, else 0
 *     8  u32 offset             from start of file, 8-aligned, after the table
 *    12  u32 length
 *    16  u8  sha256[32]         SHA-256 of the section's bytes
 *   section payloads, in table order, each starting 8-aligned, zero padding
 *   between them; sections do not overlap; the file ends with the last one
 *   (padding included).
 *
 * Section payloads:
 *   META      UTF-8 JSON object (see polc-artifact.5): name, compiler, sources,
 *             rules [{id, domain, file, line, col, text}].
 *   SECCOMP   u32 arch, u32 flags (SECCOMP_FILTER_FLAG_* for seccomp(2); runmin
 *             accepts only LOG and SPEC_ALLOW and refuses any other bit),
 *             u32 insn_count, insn_count x 8-byte
 *             sock_filter {u16 code, u8 jt, u8 jf, u32 k}, then u32 map_count
 *             and map_count x {u32 insn_index, u32 rule_id}: which rule each
 *             RET instruction comes from (for disassembly and queries).
 *   LANDLOCK  see ART_LL_* below.
 *   NETTABLE  see runtime-min/nt.h (own version field first).
 *   PROCESS   see ART_PROC_* below: what runmin applies besides Landlock and
 *             seccomp (capabilities kept).  Absent = keep no capability.
 */
#ifndef POLC_ART_H
#define POLC_ART_H

#include <stddef.h>
#include <stdint.h>

#define ART_MAGIC "POLCART\0"
#define ART_MAGIC_LEN 8
#define ART_VERSION 1
#define ART_HEADER_SIZE 32
#define ART_SECTION_ENTRY_SIZE 48
#define ART_MAX_SECTIONS 16
#define ART_MAX_SIZE (64u << 20) /* readers refuse larger files */
#define ART_ALIGN 8

enum art_section_type {
	ART_SEC_META = 1,
	ART_SEC_SECCOMP = 2,
	ART_SEC_LANDLOCK = 3,
	ART_SEC_NETTABLE = 4,
	ART_SEC_PROCESS = 5,
};
#define ART_SEC_LAST ART_SEC_PROCESS

/* LANDLOCK section payload (v1):
 *     0  u32 ll_version          1
 *     4  u32 min_abi
 *     8  u64 handled_access_fs
 *    16  u64 handled_access_net
 *    24  u64 scoped
 *    32  u32 restrict_flags      landlock_restrict_self() flags (ABI 7 audit)
 *    36  u32 path_rule_count
 *    40  u32 net_rule_count
 *    44  u32 ll_flags            ART_LL_F_* (readers refuse unknown bits)
 *    48  path rules: u64 allowed_access, u32 rule_id, u16 flags, u16 path_len,
 *                    path bytes (absolute, no NUL inside, not NUL-terminated)
 *        net rules:  u64 allowed_access, u32 rule_id, u16 port, u16 reserved
 *
 * Rights are the kernel's LANDLOCK_ACCESS_* / LANDLOCK_SCOPE_* bits
 * (ll_rights.def).  Every allowed_access is a subset of the handled set.
 * Path rules may carry directory-only rights; runmin drops those for a path
 * that turns out not to be a directory (the kernel refuses them there).
 * restrict_flags are audit-logging flags: runmin passes them only to kernels
 * with ABI >= 7 (logging is not enforcement, so they never raise min_abi).
 */
#define ART_LL_VERSION 1
#define ART_LL_HEADER_SIZE 48
#define ART_LL_PATH_OPTIONAL 0x1 /* may be missing at run time */
#define ART_LL_PATH_MAX 4095
/* ll_flags: runmin adds a connect_tcp rule for the port of the network
 * proxy it runs for the agent (chosen at run time, so it cannot be a net
 * rule here).  Without a proxy, no rule is added: TCP connect stays denied. */
#define ART_LL_F_PROXY_CONNECT 0x1u
#define ART_LL_F_KNOWN ART_LL_F_PROXY_CONNECT

/* PROCESS section payload (v1), 16 bytes:
 *     0  u32 proc_version        1
 *     4  u32 flags               0 (must be zero in v1)
 *     8  u64 caps_keep           capabilities kept: bit n = capability n
 *                                (caps.def); every other one is dropped  */
#define ART_PROC_VERSION 1
#define ART_PROC_SIZE 16

struct art_section {
	uint32_t type, arch, offset, length;
	uint8_t sha256[32];
	const uint8_t *data; /* points into the buffer given to art_parse */
};

struct art {
	const uint8_t *buf;
	size_t len;
	uint16_t version;
	uint32_t flags, min_abi;
	uint32_t nsections;
	struct art_section sec[ART_MAX_SECTIONS];
};

/* Parses and checks an artifact held in buf (which must outlive *a): magic,
 * version, sizes, alignment, overlap, per-section SHA-256.  Returns 0, or -1
 * with a one-line reason in err. */
int art_parse(struct art *a, const uint8_t *buf, size_t len, char *err, size_t errlen);
/* The same checks, except that section hashes are not recomputed: only for
 * a buffer whose every byte a verified signature covers (the signature is
 * the stronger check; runmin uses this after minisig_verify, as hashing a
 * large artifact twice dominated its start-up time). */
int art_parse_signed(struct art *a, const uint8_t *buf, size_t len, char *err, size_t errlen);

/* First section of a type (and arch, unless arch is 0), or NULL. */
const struct art_section *art_find(const struct art *a, uint32_t type, uint32_t arch);

const char *art_section_name(uint32_t type);

/* Little-endian cursor over an untrusted buffer.  Every read checks the
 * remaining length; after the first failure `bad` stays set and reads
 * return zero. */
struct art_cur {
	const uint8_t *p;
	size_t left;
	int bad;
};
uint8_t art_u8(struct art_cur *c);
uint16_t art_u16(struct art_cur *c);
uint32_t art_u32(struct art_cur *c);
uint64_t art_u64(struct art_cur *c);
/* Returns a pointer to n bytes in the buffer, or NULL (and sets bad). */
const uint8_t *art_bytes(struct art_cur *c, size_t n);

/* Landlock section, parsed. */
struct art_ll_path {
	uint64_t access;
	uint32_t rule_id;
	uint16_t flags;
	uint16_t len;
	const char *path; /* not NUL-terminated; len bytes */
};
struct art_ll_net {
	uint64_t access;
	uint32_t rule_id;
	uint16_t port;
};
struct art_ll {
	uint32_t min_abi;
	uint64_t handled_fs, handled_net, scoped;
	uint32_t restrict_flags;
	uint32_t flags; /* ART_LL_F_* */
	uint32_t npaths, nnets;
	struct art_cur paths, nets; /* iterate with art_ll_next_path/net */
	uint32_t next_path, next_net;
};
int art_ll_parse(struct art_ll *ll, const struct art_section *s, char *err, size_t errlen);
/* Returns 1 and fills *out, 0 at the end, -1 on a malformed entry. */
int art_ll_next_path(struct art_ll *ll, struct art_ll_path *out);
int art_ll_next_net(struct art_ll *ll, struct art_ll_net *out);

/* Process section, parsed. */
struct art_proc {
	uint64_t caps_keep;
};
int art_proc_parse(struct art_proc *pr, const struct art_section *s, char *err, size_t errlen);

/* Seccomp section, parsed.  insns points into the buffer (8 bytes each,
 * little-endian); use art_sc_insn to decode one. */
struct art_sc_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct art_sc {
	uint32_t arch, flags, ninsns, nmap;
	const uint8_t *insns;
	const uint8_t *map; /* nmap x {u32 insn_index, u32 rule_id} */
};
int art_sc_parse(struct art_sc *sc, const struct art_section *s, char *err, size_t errlen);
struct art_sc_insn art_sc_insn(const struct art_sc *sc, uint32_t i);
/* The rule id recorded for instruction i, or 0 if none. */
uint32_t art_sc_rule(const struct art_sc *sc, uint32_t i);

#endif
