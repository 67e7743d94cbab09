/* nt.h — the network decision table (NETTABLE section) and its one lookup.
 *
 * The compiler (compiler/nt_build.c) writes the table; runmin's proxy,
 * `polc query net`, `polc test`, `polc inspect` and the tests read it through
 * this module only.  Reading is allocation-free: nt_open() checks the whole
 * payload once (every count, offset, length and index hash) and keeps
 * pointers into the caller's buffer, which must outlive the struct nt.
 *
 * ---- Semantics ----------------------------------------------------------
 *
 * A request is (host, port, method, path).  Deny by default.
 *
 *   1. The host is classified (nt_host_parse): an IPv4 literal, an IPv6
 *      literal (optionally in brackets; an IPv4-mapped one counts as IPv4),
 *      or a DNS name (ASCII letters, digits, '-', '_', 1..63-byte labels,
 *      at most 253 bytes; case-insensitive; one trailing dot ignored; a last
 *      label made only of digits is refused because resolvers read such
 *      names as numbers).  Anything else is NT_HOST_INVALID and denied.
 *   2. IP literals match only IPv4/IPv6 rows (addresses and CIDRs); names
 *      match only name and wildcard rows.  `*.example.com` (stored as the
 *      suffix "example.com") matches names with one or more labels before
 *      the suffix, never "example.com" itself.
 *   3. A row also needs the port inside one of its ranges (no ranges: any
 *      port), the method in its set (empty set: any method) and the path
 *      matching one of its globs (no globs: any path).  Globs: `*` matches
 *      any run of bytes without '/', `**` any run of bytes, everything else
 *      itself; paths are compared in the canonical form of nt_path_canon.
 *   4. Precedence: if any matching row is a deny row, the request is denied
 *      and the deciding rule is the matching deny row with the lowest rule
 *      id; else, if any matching allow row exists, it is allowed by the one
 *      with the lowest rule id; else it is denied by default (rule id 0).
 *      Rule order in the policy therefore never changes a decision, only
 *      which rule is reported.
 *   5. What a request does not show cannot be checked: inside a CONNECT
 *      tunnel the method and path are "unseen" (NT_METHOD_UNSEEN, path
 *      NULL), and unseen fields match every row:
 *      - a deny row with method/path constraints refuses the tunnel, since
 *        it might carry exactly the denied request (fail closed);
 *      - an allow row's method/path constraints are not applied
 *        (CONTRACT.md: "methods: checked on plain HTTP"; lint warns about
 *        such rules on TLS ports).  So that a tunnel cannot carry plain
 *        HTTP past them, the result is then marked tls_only, and the proxy
 *        requires the tunnel's first bytes to be a TLS handshake.  A row
 *        whose method set includes CONNECT and has no paths allows raw
 *        tunnels; tls_only is set only when every matching allow row is
 *        constrained.
 *   6. Special addresses (nt_addr_special: loopback, private, link-local,
 *      CGNAT, multicast, unspecified, cloud metadata ...) are refused by the
 *      proxy unless an allow row "names" the address: an IP row matching it
 *      whose prefix is at least as long as the special range's, i.e. a row
 *      lying inside that range.  nt_check_addr() applies this; `polc query`
 *      applies it to IP literals as the proxy does.
 *
 * ---- Format (little-endian, position-independent, version 2) -----------
 *
 * Laid out for the lookup: a probe reads one 64-byte slot, which for the
 * usual key (at most 28 bytes, one rule) holds everything the decision
 * needs, so a lookup in a large table costs about one cache miss.  Longer
 * keys and keys with several rules continue in an overflow record.  What
 * only logs and `polc inspect` need (source positions) lives apart, in
 * rowinfo.  A small filter of all keys comes first: a lookup tests it
 * before probing, so the keys a request could have (every suffix of a
 * name, every prefix length of an address) but the table lacks cost no
 * access to the slots.  Filter and slots are whole cache lines and start
 * 128 bytes into the payload: a payload placed at a 64-byte boundary has
 * every slot in one cache line.
 *
 *   header, NT_HEADER_SIZE (128) bytes:
 *      0 u32 version          NT_VERSION
 *      4 u32 flags            NT_F_* (unknown bits refused)
 *      8 u32 nrows            rows (rules), over all keys
 *     12 u32 nslots           hash index slots, > nkeys
 *     16 u32 nkeys            used slots (one per distinct host key)
 *     20 u32 rec_len          bytes of the overflow records, a multiple of 8
 *     24 u32 nports           port ranges kept apart (rows with 2 or more)
 *     28 u32 npaths           path globs
 *     32 u32 nbinds           bind ports
 *     36 u32 pool_len         string pool bytes
 *     40 u64 v4_prefixes      bit p: some IPv4 key has prefix length p (0..32)
 *     48 u64 v6_prefixes[3]   bit p of the 192-bit set: IPv6 prefix p (0..128)
 *     72 u32 nfilter          filter words, a non-zero multiple of 8
 *     76 u32 0
 *     80 u64 wild_labels[2]   bit n of the 128-bit set: some wildcard key
 *                             (suffix) has n labels (1..127)
 *     96 ... 127              0
 *   then these arrays, back to back (no stored offsets, so they cannot
 *   overlap; the payload ends exactly after the pool):
 *   filter   nfilter x u64, a blocked Bloom filter of the keys' hashes: a
 *            key with hash h sets three bits (which may coincide) of word
 *            (h * nfilter) >> 32 (64-bit product): bits g >> 26,
 *            (g >> 20) & 63 and (g >> 14) & 63 of g = h * 0x9e3779b1
 *            (mod 2^32); see nt_filter_word and nt_filter_mask.  Every
 *            key's bits are set (nt_open checks); other bits may be set
 *            too (they only cost a probe).  The writer gives it about 12
 *            bits per key (~1.5% false positives).
 *   slots    nslots x 64.  Open addressing: a key with hash h lives in slot
 *            (h * nslots) >> 32 (64-bit product) or, when that is taken, in
 *            the next free one (wrapping at nslots); the writer keeps the
 *            load at or below 2/3.
 *               0 u32 hash
 *               4 u8  kind (NT_K_*; 0 = empty slot, then all 64 bytes are 0)
 *               5 u8  prefix     6 u8 key_len (1..253)   7 u8 flags (NT_SLOT_*)
 *               8 u32 first_row  number of the key's first row (rows are
 *                                numbered in slot order)
 *              12 key bytes 0..27, zero-padded; but when the key has an
 *                 overflow record only bytes 0..23 (zero-padded), and
 *              36 u32 the offset of its overflow record
 *              40 the key's only row when flags has NT_SLOT_ONE, else 0
 *            A key is (kind, prefix, bytes): NAME the lower-case name, WILD
 *            the suffix after "*.", V4/V6 the address masked to the prefix
 *            (4 or 16 bytes).
 *   records  rec_len bytes of overflow records, one per slot that needs one
 *            (key_len > 28, or not NT_SLOT_ONE), in slot order, 8-aligned,
 *            back to back:
 *               0 u32 nrows  4 u32 ndeny   (both 0 with NT_SLOT_ONE)
 *               8 key bytes 24.. (when key_len > 24), zero-padded to 8
 *               then nrows rows: the ndeny deny rows first, then the allow
 *               rows, each part in ascending rule id
 *            A row, NT_ROW_SIZE (24) bytes:
 *               0 u32 rule_id   4 u8 flags (NT_ROW_DENY)  5 u8 0
 *               6 u16 nports    8 u32 methods (NT_M_* bits, 0 = any)
 *              12 u32 ports     nports 1: u16 lo, u16 hi, the range
 *                               itself; 2 or more: index of the first range
 *                               in `ports`; 0: any port
 *              16 u32 paths_first  20 u16 npaths   22 u16 0
 *   rowinfo  nrows x 20: u32 slot index, u32 src_off, u16 src_len, u16 0,
 *            u32 line, u32 col (pool: the source file of the row's rule)
 *   ports    nports x 4: u16 lo, u16 hi (1 <= lo <= hi)
 *   paths    npaths x 8: u32 off, u16 len, u16 0 (pool: the glob)
 *   binds    nbinds x 20: u16 port, u16 src_len, u32 rule_id, u32 src_off,
 *            u32 line, u32 col; ascending port, no duplicates
 *   pool     pool_len bytes
 *
 * Key hash (nt_hash): the key's bytes are read from its END in 8-byte
 * little-endian words (its first len % 8 bytes make a last, shorter word,
 * zero-extended), each folded in as h = (h ^ w) * 0x9e3779b97f4a7c15 from
 * h = 0xcbf29ce484222325; then h ^= kind << 56 | prefix << 48 and the
 * result is mixed (MurmurHash3's 64-bit finaliser) and cut to 32 bits.
 * Names are not split at their dots: every suffix of a name shares the
 * words of its end, so one pass over a request host yields the hash of the
 * name and of each of its suffixes.
 *
 * Lookups never scan rows of other hosts.  A name is looked up as itself
 * and as each proper suffix with as many labels as some wildcard key has
 * (wild_labels); an address at each prefix length present in the table
 * (at most 33 or 129); of these, only the keys the filter does not rule out
 * are probed.  Rows sharing a key are scanned in order.
 */
#ifndef POLC_NT_H
#define POLC_NT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NT_VERSION 2
#define NT_HEADER_SIZE 128
#define NT_FILTER_BITS_PER_KEY 12 /* what the writer aims at */
#define NT_SLOT_SIZE 64
#define NT_SLOT_KEY 24          /* key bytes always kept in the slot */
#define NT_SLOT_KEY_MAX 28      /* longest key a slot can hold whole */
#define NT_SLOT_ROW 40          /* offset of the inline row */
#define NT_SLOT_ONE 0x1u        /* slot flag: one row, inline */
#define NT_ROW_SIZE 24
#define NT_ROWINFO_SIZE 20
#define NT_PORT_SIZE 4
#define NT_PATH_SIZE 8
#define NT_BIND_SIZE 20

#define NT_F_PRESENT 0x1u /* the policy has a network section */
#define NT_F_ALL NT_F_PRESENT

#define NT_ROW_DENY 0x1u

enum nt_key_kind { NT_K_EMPTY = 0, NT_K_NAME = 1, NT_K_WILD = 2, NT_K_V4 = 3, NT_K_V6 = 4 };

/* HTTP methods, bit i = 1 << i.  Same names (and order) as the IR's list;
 * nt_build maps them by name. */
#define NT_HTTP_METHODS(X) X(GET) X(HEAD) X(POST) X(PUT) X(DELETE) X(PATCH) X(OPTIONS) X(CONNECT) X(TRACE)
enum {
#define X(m) NT_M_##m,
	NT_HTTP_METHODS(X)
#undef X
	NT_M__COUNT
};
#define NT_M_ALL ((1u << NT_M__COUNT) - 1)
#define NT_METHOD_OTHER (-1)  /* a method the table cannot name: only "any" rows match */
#define NT_METHOD_UNSEEN (-2) /* inside a tunnel: see rule 5 above */

#define NT_NAME_MAX 253     /* DNS name, without the trailing dot */
#define NT_PATTERN_MAX 1024 /* path glob */
#define NT_PATH_MAX 8192    /* request path given to nt_lookup */

/* A parsed, checked table.  Points into the caller's buffer. */
struct nt {
	const uint8_t *base;
	size_t len;
	uint32_t flags, nrows, nslots, nkeys, rec_len, nports, npaths, nbinds, pool_len;
	uint64_t v4_prefixes, v6_prefixes[3];
	uint32_t nfilter;
	uint64_t wild_labels[2];
	const uint8_t *filter, *slots, *records, *rowinfo, *ports, *paths, *binds, *pool;
};

/* Checks the payload of a NETTABLE section and fills *t.  Returns 0, or -1
 * with a one-line reason in err.  Cost is linear in the payload size. */
int nt_open(struct nt *t, const uint8_t *p, size_t len, char *err, size_t errlen);

enum nt_host_kind { NT_HOST_INVALID, NT_HOST_NAME, NT_HOST_IPV4, NT_HOST_IPV6 };

/* Classifies and normalises a host as it appears in a request (see rule 1).
 * For names, norm gets the lower-case name without trailing dot (normcap must
 * be > NT_NAME_MAX) and *normlen its length; for IPs, addr gets the address
 * (IPv4 in the first 4 bytes) and norm the canonical text.  Brackets around
 * an IPv6 literal are accepted; zone ids are not. */
enum nt_host_kind nt_host_parse(const char *host, size_t len, char *norm, size_t normcap,
                                size_t *normlen, uint8_t addr[16]);

struct nt_req {
	const char *host;
	size_t host_len;
	uint16_t port;
	int method;         /* NT_M_* index, NT_METHOD_OTHER or NT_METHOD_UNSEEN */
	const char *path;   /* canonical (nt_path_canon), without the query; NULL = unseen */
	size_t path_len;
	uint8_t min_prefix; /* IP hosts: allow rows need a prefix >= this (rule 6) */
};

#define NT_NO_ROW UINT32_MAX

struct nt_result {
	bool allow;
	uint32_t rule_id; /* deciding rule; 0 = default deny or invalid host */
	uint32_t row;     /* deciding row index, NT_NO_ROW when none */
	bool tls_only;    /* allowed only by rows with unchecked constraints (rule 5) */
	enum nt_host_kind host_kind;
	uint8_t addr[16]; /* IP hosts: the address */
};

/* THE lookup.  Decides q against t as documented above; never allocates,
 * never fails (a malformed request is a deny with rule 0). */
void nt_lookup(const struct nt *t, const struct nt_req *q, struct nt_result *r);

/* Special-purpose address ranges the proxy refuses unless named.  Returns
 * NULL for an ordinary public address, else a short label ("loopback",
 * "private", "metadata" ...) and the range's prefix length in *prefix.  For
 * IPv6 forms embedding an IPv4 address (NAT64, 6to4) the embedded address
 * is classified too. */
const char *nt_addr_special(int family, const uint8_t *addr, uint8_t *prefix);

/* Whether the proxy may dial addr (AF_INET: 4 bytes, AF_INET6: 16) for a
 * request (port, method, path as in struct nt_req): refused when an IP deny
 * row matches it, or when it is special and no allow row names it (rule 6).
 * Returns true if allowed; otherwise *why gets a static reason ("denied by
 * rule", or the special range's label) and *rule_id the deny rule (else 0). */
bool nt_check_addr(const struct nt *t, int family, const uint8_t *addr, uint16_t port,
                   int method, const char *path, size_t path_len, const char **why,
                   uint32_t *rule_id);

/* Canonical form of a request path (no query): percent-escapes of unreserved
 * characters decoded, other escapes upper-cased; refuses (returns -1) bytes
 * outside printable ASCII, '#', '?', '\\', bad or NUL escapes, a missing
 * leading '/', and paths that contain an empty, "." or ".." segment once
 * fully decoded (also with ';' parameters removed, as some servers do).  On
 * success out (outcap >= len + 1) gets the NUL-terminated form, *outlen its
 * length; the canonical form is never longer than the input. */
int nt_path_canon(const char *in, size_t len, char *out, size_t outcap, size_t *outlen);

/* Does glob pattern pat match path s (rule 3)?  Time O(patlen * slen). */
bool nt_glob_match(const char *pat, size_t patlen, const char *s, size_t slen);

uint32_t nt_hash(int kind, uint8_t prefix, const uint8_t *key, size_t len);

/* Where the filter keeps a key of hash h (see the format above): the word
 * index (< nfilter, for nfilter > 0) and the bits set in that word. */
static inline uint32_t nt_filter_word(uint32_t nfilter, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * nfilter) >> 32);
}
static inline uint64_t nt_filter_mask(uint32_t h)
{
	uint32_t g = h * 0x9e3779b1u;
	return 1ull << (g >> 26) | 1ull << (g >> 20 & 63) | 1ull << (g >> 14 & 63);
}

/* ---- reading rows, for inspect, logs and tests ------------------------- */

struct nt_row {
	uint32_t rule_id;
	enum nt_key_kind kind;
	bool deny;
	uint8_t prefix;
	uint32_t methods;
	uint8_t host[NT_NAME_MAX]; /* key bytes (not NUL-terminated) */
	uint16_t host_len;
	uint16_t nports, npaths;
	uint32_t ports, paths_first; /* ports: as stored (see the format) */
	const char *src; /* not NUL-terminated */
	uint16_t src_len;
	uint32_t line, col;
};
/* Row i (< t->nrows) of a table nt_open accepted. */
void nt_row(const struct nt *t, uint32_t i, struct nt_row *out);
/* Port range / glob j of row r (j < r->nports / r->npaths). */
void nt_row_port(const struct nt *t, const struct nt_row *r, uint32_t j, uint16_t *lo, uint16_t *hi);
const char *nt_row_path(const struct nt *t, const struct nt_row *r, uint32_t j, size_t *len);
/* The row's host as a pattern: "api.github.com", "*.example.com",
 * "10.0.0.0/8", "2001:db8::/32" (single addresses without the prefix). */
void nt_row_host(const struct nt_row *r, char *buf, size_t n);
/* Method name for NT_M_* bit index, or NULL; and the reverse (-1). */
const char *nt_method_name(int bit);
int nt_method_parse(const char *s, size_t len);

struct nt_bind {
	uint16_t port;
	uint32_t rule_id;
	const char *src;
	uint16_t src_len;
	uint32_t line, col;
};
void nt_bind_get(const struct nt *t, uint32_t i, struct nt_bind *out);
/* The bind entry for port, or false. */
bool nt_bind_find(const struct nt *t, uint16_t port, struct nt_bind *out);

#endif
