/* nt.c — the network decision table: checking a NETTABLE payload once, and
 * the one lookup every reader uses (format and semantics in nt.h).
 *
 * Shared by runmin and polc, so it stays small and allocation-free.  After
 * nt_open() has checked every count, offset and length, the lookup reads
 * the payload at offsets it knows to be inside it. */
#include "nt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "art.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (uint16_t)p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* ---- hashing ------------------------------------------------------------- */

#define HASH_SEED 0xcbf29ce484222325ull
#define HASH_MUL 0x9e3779b97f4a7c15ull

/* One step: up to eight bytes as a little-endian word. */
static inline uint64_t hash_step(uint64_t h, uint64_t w) { return (h ^ w) * HASH_MUL; }

static inline uint32_t hash_fin(uint64_t h, int kind, uint8_t prefix)
{
	h ^= (uint64_t)kind << 56 | (uint64_t)prefix << 48;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* The key read from its end in 8-byte little-endian words; its first
 * len % 8 bytes make a last, shorter word.  Names are not split at their
 * dots: the hash of every suffix of a request's name then comes from one
 * set of words (struct suffixes). */
uint32_t nt_hash(int kind, uint8_t prefix, const uint8_t *key, size_t len)
{
	uint64_t h = HASH_SEED;
	size_t e = len;
	for (; e >= 8; e -= 8)
		h = hash_step(h, le64(key + e - 8));
	if (e) {
		uint64_t w = 0;
		for (size_t k = 0; k < e; k++)
			w |= (uint64_t)key[k] << (8 * k);
		h = hash_step(h, w);
	}
	return hash_fin(h, kind, prefix);
}

/* ---- opening ------------------------------------------------------------- */

static bool in_pool(const struct nt *t, uint64_t off, uint64_t len)
{
	return off <= t->pool_len && len <= t->pool_len - off;
}

static bool prefix_ok(int kind, uint8_t prefix)
{
	switch (kind) {
	case NT_K_NAME:
	case NT_K_WILD: return prefix == 0;
	case NT_K_V4: return prefix <= 32;
	case NT_K_V6: return prefix <= 128;
	}
	return false;
}

static bool prefix_present(const struct nt *t, int kind, uint8_t prefix)
{
	if (kind == NT_K_V4)
		return prefix <= 32 && (t->v4_prefixes >> prefix & 1);
	return prefix <= 128 && (t->v6_prefixes[prefix / 64] >> (prefix % 64) & 1);
}

/* Bits beyond the prefix are zero in a stored key. */
static bool masked_ok(const uint8_t *a, size_t n, uint8_t prefix)
{
	for (size_t i = 0; i < n; i++) {
		unsigned keep = prefix >= (i + 1) * 8 ? 8 : prefix > i * 8 ? prefix - i * 8 : 0;
		uint8_t mask = (uint8_t)(keep ? 0xffu << (8 - keep) : 0);
		if (a[i] & (uint8_t)~mask)
			return false;
	}
	return true;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Key bytes in a record: those after the first NT_SLOT_KEY. */
static size_t key_rest(size_t klen) { return klen > NT_SLOT_KEY ? klen - NT_SLOT_KEY : 0; }

/* Does used slot sl have an overflow record (key too long for the slot,
 * or several rows)?  Then bytes 36..39 hold the record's offset. */
static inline bool has_record(const uint8_t *sl)
{
	return sl[6] > NT_SLOT_KEY_MAX || !(sl[7] & NT_SLOT_ONE);
}

/* How many key bytes slot sl holds (from byte 12). */
static inline size_t key_in_slot(const uint8_t *sl)
{
	size_t klen = sl[6];
	return has_record(sl) && klen > NT_SLOT_KEY ? NT_SLOT_KEY : klen;
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int check_row(const struct nt *t, const uint8_t *w, uint32_t slot, uint32_t j, char *err,
                     size_t errlen)
{
	uint16_t np = le16(w + 6);
	if ((w[4] & ~NT_ROW_DENY) || w[5] || le16(w + 22) || (le32(w + 8) & ~NT_M_ALL))
		return fail(err, errlen, "nettable: slot %u row %u: bad flags or methods", slot, j);
	if (np == 1 ? le16(w + 12) == 0 || le16(w + 12) > le16(w + 14)
	            : (uint64_t)le32(w + 12) + np > t->nports)
		return fail(err, errlen, "nettable: slot %u row %u: bad ports", slot, j);
	if ((uint64_t)le32(w + 16) + le16(w + 20) > t->npaths)
		return fail(err, errlen, "nettable: slot %u row %u: bad paths", slot, j);
	return 0;
}

/* Checks used slot i; *pos walks the overflow records (which follow slot
 * order), *row counts rows. */
static int check_slot(const struct nt *t, uint32_t i, size_t *pos, uint64_t *row, char *err,
                      size_t errlen)
{
	const uint8_t *sl = t->slots + (size_t)i * NT_SLOT_SIZE;
	uint8_t kind = sl[4], prefix = sl[5], klen = sl[6], flags = sl[7];
	bool len_ok = kind == NT_K_V4   ? klen == 4
	              : kind == NT_K_V6 ? klen == 16
	                                : klen >= 1 && klen <= NT_NAME_MAX;
	bool one = flags & NT_SLOT_ONE, rec = has_record(sl);
	size_t in = key_in_slot(sl), room = rec ? NT_SLOT_KEY : NT_SLOT_KEY_MAX;
	if (kind > NT_K_V6 || !prefix_ok(kind, prefix) || !len_ok || (flags & ~NT_SLOT_ONE) ||
	    le32(sl + 8) != *row || !zero(sl + 12 + in, room - in))
		return fail(err, errlen, "nettable: slot %u: bad header", i);
	uint32_t nrows = 1;
	const uint8_t *rows = sl + NT_SLOT_ROW, *rest = NULL;
	if (rec) {
		if (le32(sl + 36) != *pos || t->rec_len - *pos < 8)
			return fail(err, errlen, "nettable: slot %u: overflow record misplaced", i);
		const uint8_t *o = t->records + *pos;
		uint32_t nr = le32(o), nd = le32(o + 4);
		size_t hdr = 8 + pad8(key_rest(klen));
		if (one ? nr || nd : nr == 0 || nd > nr)
			return fail(err, errlen, "nettable: slot %u: bad row counts", i);
		uint64_t total = hdr + (uint64_t)nr * NT_ROW_SIZE;
		if (total > t->rec_len - *pos || !zero(o + 8 + key_rest(klen), hdr - 8 - key_rest(klen)))
			return fail(err, errlen, "nettable: slot %u: overflow record truncated", i);
		rest = o + 8;
		if (!one) {
			rows = o + hdr;
			nrows = nr;
			if (!zero(sl + NT_SLOT_ROW, NT_ROW_SIZE))
				return fail(err, errlen, "nettable: slot %u: stray inline row", i);
		}
		*pos += (size_t)total;
	}
	uint8_t key[NT_NAME_MAX];
	memcpy(key, sl + 12, in);
	if (rest)
		memcpy(key + in, rest, key_rest(klen));
	if (nt_hash(kind, prefix, key, klen) != le32(sl))
		return fail(err, errlen, "nettable: slot %u: hash mismatch", i);
	if ((kind == NT_K_V4 || kind == NT_K_V6) &&
	    (!prefix_present(t, kind, prefix) || !masked_ok(key, klen, prefix)))
		return fail(err, errlen, "nettable: slot %u: bad address key", i);
	if (kind == NT_K_WILD) {
		unsigned labels = 1;
		for (size_t k = 0; k < klen; k++)
			labels += key[k] == '.';
		if (labels > 127 || !(t->wild_labels[labels / 64] >> (labels % 64) & 1))
			return fail(err, errlen, "nettable: slot %u: label count not in the set", i);
	}
	for (uint32_t j = 0; j < nrows; j++)
		if (check_row(t, rows + (size_t)j * NT_ROW_SIZE, i, j, err, errlen) < 0)
			return -1;
	*row += nrows;
	return 0;
}

/* The rows of a used slot. */
static inline const uint8_t *slot_rows(const struct nt *t, const uint8_t *sl, uint32_t *nrows,
                                       uint32_t *ndeny)
{
	if (sl[7] & NT_SLOT_ONE) {
		*nrows = 1;
		*ndeny = sl[NT_SLOT_ROW + 4] & NT_ROW_DENY;
		return sl + NT_SLOT_ROW;
	}
	const uint8_t *o = t->records + le32(sl + 36);
	*nrows = le32(o);
	*ndeny = le32(o + 4);
	return o + 8 + pad8(key_rest(sl[6]));
}

/* Might the table hold a key of hash h?  False means surely not. */
static inline bool filter_maybe(const struct nt *t, uint32_t h)
{
	uint64_t m = nt_filter_mask(h);
	return (le64(t->filter + (size_t)nt_filter_word(t->nfilter, h) * 8) & m) == m;
}

int nt_open(struct nt *t, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (len < NT_HEADER_SIZE)
		return fail(err, errlen, "nettable: truncated (%zu bytes)", len);
	struct art_cur c = {p, len, 0};
	uint32_t version = art_u32(&c);
	t->flags = art_u32(&c);
	t->nrows = art_u32(&c);
	t->nslots = art_u32(&c);
	t->nkeys = art_u32(&c);
	t->rec_len = art_u32(&c);
	t->nports = art_u32(&c);
	t->npaths = art_u32(&c);
	t->nbinds = art_u32(&c);
	t->pool_len = art_u32(&c);
	t->v4_prefixes = art_u64(&c);
	for (int i = 0; i < 3; i++)
		t->v6_prefixes[i] = art_u64(&c);
	t->nfilter = art_u32(&c);
	uint32_t pad = art_u32(&c);
	for (int i = 0; i < 2; i++)
		t->wild_labels[i] = art_u64(&c);
	const uint8_t *res = art_bytes(&c, NT_HEADER_SIZE - 96);
	if (c.bad)
		return fail(err, errlen, "nettable: truncated header");
	if (version != NT_VERSION)
		return fail(err, errlen, "nettable: unsupported version %u (this build reads %u)",
		            version, NT_VERSION);
	if ((t->flags & ~NT_F_ALL) || pad || !zero(res, NT_HEADER_SIZE - 96))
		return fail(err, errlen, "nettable: unknown flags or non-zero reserved fields");
	if (t->nkeys >= t->nslots || t->rec_len % 8)
		return fail(err, errlen, "nettable: bad index size %u for %u keys", t->nslots, t->nkeys);
	if ((t->v4_prefixes >> 33) || (t->v6_prefixes[2] >> 1))
		return fail(err, errlen, "nettable: bad prefix-length set");
	if (t->wild_labels[0] & 1)
		return fail(err, errlen, "nettable: bad label-count set");
	if (t->nfilter == 0 || t->nfilter % 8)
		return fail(err, errlen, "nettable: bad filter size %u", t->nfilter);
	uint64_t need = NT_HEADER_SIZE + (uint64_t)t->nfilter * 8 +
	                (uint64_t)t->nslots * NT_SLOT_SIZE + t->rec_len +
	                (uint64_t)t->nrows * NT_ROWINFO_SIZE +
	                (uint64_t)t->nports * NT_PORT_SIZE + (uint64_t)t->npaths * NT_PATH_SIZE +
	                (uint64_t)t->nbinds * NT_BIND_SIZE + t->pool_len;
	if (need != len)
		return fail(err, errlen, "nettable: size mismatch: counts need %llu bytes, have %zu",
		            (unsigned long long)need, len);
	t->base = p;
	t->len = len;
	t->filter = p + NT_HEADER_SIZE;
	t->slots = t->filter + (size_t)t->nfilter * 8;
	t->records = t->slots + (size_t)t->nslots * NT_SLOT_SIZE;
	t->rowinfo = t->records + t->rec_len;
	t->ports = t->rowinfo + (size_t)t->nrows * NT_ROWINFO_SIZE;
	t->paths = t->ports + (size_t)t->nports * NT_PORT_SIZE;
	t->binds = t->paths + (size_t)t->npaths * NT_PATH_SIZE;
	t->pool = t->binds + (size_t)t->nbinds * NT_BIND_SIZE;

	/* Slots in order: each used one is checked with its overflow record;
	 * the records tile their area and the rows are numbered in this order. */
	size_t pos = 0;
	uint64_t row = 0;
	uint32_t used = 0;
	for (uint32_t i = 0; i < t->nslots; i++) {
		const uint8_t *sl = t->slots + (size_t)i * NT_SLOT_SIZE;
		if (sl[4] == NT_K_EMPTY) {
			if (!zero(sl, NT_SLOT_SIZE))
				return fail(err, errlen, "nettable: slot %u: empty but not zero", i);
			continue;
		}
		used++;
		if (check_slot(t, i, &pos, &row, err, errlen) < 0)
			return -1;
		if (!filter_maybe(t, le32(sl)))
			return fail(err, errlen, "nettable: slot %u: key missing from the filter", i);
	}
	if (pos != t->rec_len || row != t->nrows || used != t->nkeys)
		return fail(err, errlen, "nettable: slots and records disagree with the header");
	for (uint32_t i = 0; i < t->nrows; i++) {
		const uint8_t *ri = t->rowinfo + (size_t)i * NT_ROWINFO_SIZE;
		uint32_t k = le32(ri), nr, nd;
		if (k >= t->nslots || le16(ri + 10) || !in_pool(t, le32(ri + 4), le16(ri + 8)))
			return fail(err, errlen, "nettable: row %u: bad row information", i);
		const uint8_t *sl = t->slots + (size_t)k * NT_SLOT_SIZE;
		if (sl[4] == NT_K_EMPTY)
			return fail(err, errlen, "nettable: row %u: names an empty slot", i);
		slot_rows(t, sl, &nr, &nd);
		if (i < le32(sl + 8) || i - le32(sl + 8) >= nr)
			return fail(err, errlen, "nettable: row %u: not in its slot", i);
	}
	for (uint32_t i = 0; i < t->nports; i++) {
		const uint8_t *pr = t->ports + (size_t)i * NT_PORT_SIZE;
		if (le16(pr) == 0 || le16(pr) > le16(pr + 2))
			return fail(err, errlen, "nettable: port range %u is invalid", i);
	}
	for (uint32_t i = 0; i < t->npaths; i++) {
		const uint8_t *pp = t->paths + (size_t)i * NT_PATH_SIZE;
		uint16_t plen = le16(pp + 4);
		if (plen == 0 || plen > NT_PATTERN_MAX || le16(pp + 6) || !in_pool(t, le32(pp), plen))
			return fail(err, errlen, "nettable: path glob %u is invalid", i);
	}
	uint32_t last = 0;
	for (uint32_t i = 0; i < t->nbinds; i++) {
		const uint8_t *bd = t->binds + (size_t)i * NT_BIND_SIZE;
		uint16_t port = le16(bd);
		if (port == 0 || port <= last || !in_pool(t, le32(bd + 8), le16(bd + 2)))
			return fail(err, errlen, "nettable: bind %u is invalid", i);
		last = port;
	}
	return 0;
}

/* ---- hosts --------------------------------------------------------------- */


/* A dotted quad as inet_pton(AF_INET) reads it: exactly four decimal
 * numbers 0-255 without leading zeros, separated by single dots.  out is
 * written only on success. */
static bool parse_v4(const char *s, size_t n, uint8_t out[4])
{
	uint8_t a[4];
	unsigned octets = 0, val = 0, digits = 0;
	for (size_t i = 0;; i++) {
		if (i == n || s[i] == '.') {
			if (!digits || octets == 4)
				return false;
			a[octets++] = (uint8_t)val;
			val = digits = 0;
			if (i == n)
				break;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || (digits && val == 0))
			return false;
		val = val * 10 + (unsigned)(s[i] - '0');
		if (val > 255)
			return false;
		digits++;
	}
	if (octets != 4)
		return false;
	memcpy(out, a, 4);
	return true;
}

/* A request's name as lookups need it: the lower-case name at buf + 8,
 * zero-padded after its end (find() reads keys as words); its 8-byte words
 * from the end, win[j] holding bytes [n - 8j - 8, n - 8j) (bytes before
 * the name zero); the hash states st[j] after the first j of them (format
 * in nt.h); and its dots from the last to the first.  A suffix of m bytes
 * hashes to st[m / 8] stepped once more with the high m % 8 bytes of
 * win[m / 8]. */
struct suffixes {
	size_t n;
	unsigned ndots;
	uint8_t rdot[NT_NAME_MAX / 2 + 1];
	uint64_t win[NT_NAME_MAX / 8 + 1], st[NT_NAME_MAX / 8 + 2];
	uint8_t buf[8 + NT_NAME_MAX + 1 + NT_SLOT_KEY];
};

/* The hash state of the name's last m bytes (1 <= m <= n). */
static inline uint64_t suffix_state(const struct suffixes *sx, size_t m)
{
	size_t q = m / 8, r = m % 8;
	return r ? hash_step(sx->st[q], sx->win[q] >> (8 * (8 - r))) : sx->st[q];
}

/* Bytewise tests on eight ASCII bytes at once: the high bit of each byte of
 * ge(x, c) is set when that byte is >= c (bytes below 0x80, c in 1..0x80:
 * no carry crosses a byte). */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static inline uint64_t ge(uint64_t x, unsigned c) { return x + (0x80 - c) * ONES; }
static inline uint64_t bytes_in(uint64_t x, unsigned lo, unsigned hi)
{
	return ge(x, lo) & ~ge(x, hi + 1);
}

/* Lower-cases the name bytes of x (ASCII), or returns false when a byte
 * selected by real (0x80 in each byte that belongs to the name) is not one
 * a name may hold: letters, digits, '-', '.', '_'.  *dots gets 0x80 in each
 * byte that is a dot. */
static inline bool name_word(uint64_t *x, uint64_t real, uint64_t *dots)
{
	uint64_t v = *x;
	if (v & HIGHS)
		return false;
	uint64_t alpha = bytes_in(v | 0x20 * ONES, 'a', 'z');
	uint64_t ok = alpha | bytes_in(v, '0', '9') | bytes_in(v, '-', '.') | bytes_in(v, '_', '_');
	if ((ok & real) != real)
		return false;
	*x = v | (alpha & HIGHS) >> 2;
	*dots = ge(v, '.') & ~ge(v, '.' + 1) & HIGHS;
	return true;
}

/* nt_host_parse, with the canonical text of addresses only when text is
 * set, and what lookups hash in *sx (which norm may point into: see
 * nt_lookup).  norm must have NT_NAME_MAX + 2 bytes. */
static enum nt_host_kind classify(const char *host, size_t len, char *norm, size_t normcap,
                                  size_t *normlen, uint8_t addr[16], bool text,
                                  struct suffixes *sx)
{
	*normlen = 0;
	if (len == 0)
		return NT_HOST_INVALID;
	if (host[0] != '[') {
		size_t n = host[len - 1] == '.' ? len - 1 : len; /* one trailing dot: the root */
		if (n == 0 || n > NT_NAME_MAX)
			return NT_HOST_INVALID;
		/* Eight bytes at a time from the end: validate, lower-case, find
		 * the dots, and keep the words that hashing reads. */
		uint8_t *nb = sx->buf + 8;
		unsigned nd = 0;
		for (size_t j = 0, e = n; e > 0; j++) {
			uint64_t x, real = HIGHS, dots;
			if (e >= 8)
				x = le64((const uint8_t *)host + e - 8);
			else {
				/* The first e bytes, in the high bytes of the word. */
				if (n >= 8)
					x = le64((const uint8_t *)host) << (8 * (8 - e));
				else {
					x = 0;
					for (size_t k = 0; k < e; k++)
						x |= (uint64_t)(uint8_t)host[k] << (8 * (8 - e + k));
				}
				real = HIGHS << (8 * (8 - e));
			}
			if (!name_word(&x, real, &dots))
				goto address;
			sx->win[j] = x;
			/* Byte b of the word is name byte e - 8 + b; buf has 8 bytes
			 * before the name for the first word. */
			memcpy(nb + e - 8, (uint8_t[8]){(uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16),
			                                 (uint8_t)(x >> 24), (uint8_t)(x >> 32),
			                                 (uint8_t)(x >> 40), (uint8_t)(x >> 48),
			                                 (uint8_t)(x >> 56)},
			       8);
			while (dots) {
				int b = 63 - __builtin_clzll(dots);
				if (nd <= NT_NAME_MAX / 2)
					sx->rdot[nd] = (uint8_t)(e - 8 + (size_t)b / 8);
				nd++;
				dots &= ~(1ull << b);
			}
			e = e >= 8 ? e - 8 : 0;
		}
		/* Labels of 1 to 63 bytes (so at most 127 of them). */
		if (nd > NT_NAME_MAX / 2)
			return NT_HOST_INVALID;
		size_t end = n;
		for (unsigned k = 0; k <= nd; k++) {
			size_t start = k < nd ? sx->rdot[k] + 1u : 0;
			if (end - start == 0 || end - start > 63)
				return NT_HOST_INVALID;
			end = start - 1;
		}
		memset(nb + n, 0, 1 + NT_SLOT_KEY);
		size_t last = nd ? sx->rdot[0] + 1u : 0;
		bool digits = true;
		for (size_t i = last; i < n && digits; i++)
			digits = nb[i] >= '0' && nb[i] <= '9';
		if (digits) {
			/* An all-numeric last label: a dotted quad (or partial one) that
			 * resolvers would read as an address. */
			memset(addr, 0, 16);
			if (!parse_v4((const char *)nb, n, addr))
				return NT_HOST_INVALID;
			if (text) {
				inet_ntop(AF_INET, addr, norm, (socklen_t)normcap);
				*normlen = strlen(norm);
			}
			return NT_HOST_IPV4;
		}
		/* Hexadecimal and octal forms ("0x7f.1", "0x7f000001") that
		 * inet_aton (and so getaddrinfo) would turn into an address. */
		struct in_addr ia;
		if (nb[0] == '0' && inet_aton((const char *)nb, &ia))
			return NT_HOST_INVALID;
		if (norm != (char *)nb)
			memcpy(norm, nb, n + 1);
		*normlen = n;
		sx->n = n;
		sx->ndots = nd;
		sx->st[0] = HASH_SEED;
		for (size_t j = 0; j < n / 8; j++)
			sx->st[j + 1] = hash_step(sx->st[j], sx->win[j]);
		return NT_HOST_NAME;
	}
address:
	/* Not a name: an IPv6 literal, with or without brackets, or nothing. */
	if (host[0] != '[' && !memchr(host, ':', len))
		return NT_HOST_INVALID;
	char tmp[INET6_ADDRSTRLEN + 1];
	if (host[0] == '[') {
		if (len < 3 || host[len - 1] != ']')
			return NT_HOST_INVALID;
		host++;
		len -= 2;
	}
	if (len >= sizeof(tmp) || memchr(host, '\0', len))
		return NT_HOST_INVALID;
	memcpy(tmp, host, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET6, tmp, addr) != 1)
		return NT_HOST_INVALID;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	int fam = AF_INET6;
	if (memcmp(addr, mapped, 12) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		fam = AF_INET;
	}
	if (text) {
		inet_ntop(fam, addr, norm, (socklen_t)normcap);
		*normlen = strlen(norm);
	}
	return fam == AF_INET ? NT_HOST_IPV4 : NT_HOST_IPV6;
}

enum nt_host_kind nt_host_parse(const char *host, size_t len, char *norm, size_t normcap,
                                size_t *normlen, uint8_t addr[16])
{
	*normlen = 0;
	memset(addr, 0, 16);
	if (normcap <= NT_NAME_MAX)
		return NT_HOST_INVALID;
	struct suffixes sx;
	return classify(host, len, norm, normcap, normlen, addr, true, &sx);
}

/* ---- special addresses ---------------------------------------------------- */

struct special {
	uint8_t addr[16];
	uint8_t prefix;
	const char *label;
};

/* Most specific ranges first: the first match decides the label and how
 * long a rule's prefix must be to name the address. */
static const struct special special4[] = {
        {{169, 254, 169, 254}, 32, "metadata"},    /* AWS, GCP, Azure, OpenStack */
        {{100, 100, 100, 200}, 32, "metadata"},    /* Alibaba Cloud */
        {{192, 0, 0, 192}, 32, "metadata"},        /* Oracle Cloud */
        {{0, 0, 0, 0}, 8, "unspecified"},          /* "this network" */
        {{10, 0, 0, 0}, 8, "private"},
        {{100, 64, 0, 0}, 10, "cgnat"},
        {{127, 0, 0, 0}, 8, "loopback"},
        {{169, 254, 0, 0}, 16, "link-local"},
        {{172, 16, 0, 0}, 12, "private"},
        {{192, 0, 0, 0}, 24, "reserved"},          /* IETF protocol assignments */
        {{192, 168, 0, 0}, 16, "private"},
        {{198, 18, 0, 0}, 15, "reserved"},         /* benchmarking, often internal */
        {{224, 0, 0, 0}, 4, "multicast"},
        {{240, 0, 0, 0}, 4, "reserved"},           /* and the broadcast address */
};
static const struct special special6[] = {
        {{0xfd, 0x00, 0x0e, 0xc2, [15] = 0x54, [14] = 0x02}, 128, "metadata"}, /* fd00:ec2::254 */
        {{[15] = 0}, 128, "unspecified"},                                     /* :: */
        {{[15] = 1}, 128, "loopback"},                                        /* ::1 */
        {{0}, 96, "reserved"},                                   /* ::a.b.c.d, deprecated */
        {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "reserved"}, /* local-use NAT64 */
        {{0x01, 0x00}, 64, "reserved"},                          /* discard-only */
        {{0xfc}, 7, "private"},                                  /* unique local */
        {{0xfe, 0x80}, 10, "link-local"},
        {{0xfe, 0xc0}, 10, "private"},                           /* site-local, deprecated */
        {{0xff}, 8, "multicast"},
};

static bool in_range(const uint8_t *a, const uint8_t *net, uint8_t prefix)
{
	size_t full = prefix / 8;
	if (memcmp(a, net, full) != 0)
		return false;
	if (prefix % 8) {
		uint8_t mask = (uint8_t)(0xffu << (8 - prefix % 8));
		if ((a[full] & mask) != (net[full] & mask))
			return false;
	}
	return true;
}

const char *nt_addr_special(int family, const uint8_t *addr, uint8_t *prefix)
{
	if (family == AF_INET) {
		for (size_t i = 0; i < sizeof(special4) / sizeof(special4[0]); i++)
			if (in_range(addr, special4[i].addr, special4[i].prefix)) {
				*prefix = special4[i].prefix;
				return special4[i].label;
			}
		return NULL;
	}
	if (family != AF_INET6) {
		*prefix = 0;
		return "unknown";
	}
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	uint8_t p4;
	const char *l;
	/* Forms that carry an IPv4 address: judge the address they reach. */
	if (memcmp(addr, mapped, 12) == 0 || memcmp(addr, nat64, 12) == 0) {
		if ((l = nt_addr_special(AF_INET, addr + 12, &p4))) {
			*prefix = (uint8_t)(96 + p4);
			return l;
		}
		return NULL;
	}
	if (addr[0] == 0x20 && addr[1] == 0x02) { /* 6to4 */
		if ((l = nt_addr_special(AF_INET, addr + 2, &p4))) {
			*prefix = (uint8_t)(16 + p4);
			return l;
		}
		return NULL;
	}
	for (size_t i = 0; i < sizeof(special6) / sizeof(special6[0]); i++)
		if (in_range(addr, special6[i].addr, special6[i].prefix)) {
			*prefix = special6[i].prefix;
			return special6[i].label;
		}
	return NULL;
}

/* ---- paths ---------------------------------------------------------------- */

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool unreserved(unsigned ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Segments of the fully decoded path (separators '/' and '\\', ';'
 * parameters dropped) must not be empty (except a final one), "." or "..":
 * servers that decode or normalise further would otherwise see a different
 * path than the one the table decided. */
static bool segments_ok(const char *s, size_t n)
{
	size_t seglen = 0, dots = 0;
	bool params = false, first = true;
	for (size_t i = 0; i <= n; i++) {
		int ch;
		if (i == n)
			ch = -1;
		else if (s[i] == '%' && i + 2 < n) {
			/* s is canonical: escapes are complete */
			ch = hexval((unsigned char)s[i + 1]) << 4 | hexval((unsigned char)s[i + 2]);
			i += 2;
		} else
			ch = (unsigned char)s[i];
		if (ch == '/' || ch == '\\' || ch == -1) {
			if (!first) {
				bool last = ch == -1;
				if (seglen == 0 && (!last || params))
					return false;
				if (seglen > 0 && seglen == dots && dots <= 2)
					return false;
			}
			first = false;
			seglen = dots = 0;
			params = false;
			continue;
		}
		if (params)
			continue;
		if (ch == ';') {
			params = true;
			continue;
		}
		seglen++;
		if (ch == '.')
			dots++;
	}
	return true;
}

int nt_path_canon(const char *in, size_t len, char *out, size_t outcap, size_t *outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	if (len == 0 || in[0] != '/' || outcap < len + 1)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch < 0x21 || ch > 0x7e || ch == '#' || ch == '?' || ch == '\\')
			return -1;
		if (ch != '%') {
			out[o++] = (char)ch;
			continue;
		}
		if (len - i < 3)
			return -1;
		int hi = hexval((unsigned char)in[i + 1]), lo = hexval((unsigned char)in[i + 2]);
		if (hi < 0 || lo < 0 || (hi | lo) == 0)
			return -1;
		unsigned v = (unsigned)(hi << 4 | lo);
		if (unreserved(v))
			out[o++] = (char)v;
		else {
			out[o++] = '%';
			out[o++] = hex[v >> 4];
			out[o++] = hex[v & 15];
		}
		i += 2;
	}
	out[o] = '\0';
	if (!segments_ok(out, o))
		return -1;
	*outlen = o;
	return 0;
}

/* NFA simulation over pattern positions: the live set is kept as a list,
 * so the cost is O(slen * live) and never exponential. */
bool nt_glob_match(const char *pat, size_t m, const char *s, size_t n)
{
	if (m > NT_PATTERN_MAX)
		return false;
	uint32_t stamp[NT_PATTERN_MAX + 1];
	uint16_t cur[NT_PATTERN_MAX + 1], nxt[NT_PATTERN_MAX + 1];
	size_t ncur = 0, nnxt;
	uint32_t gen = 1;
	memset(stamp, 0, sizeof(uint32_t) * (m + 1));

#define ADD(list, cnt, st)                                                                    \
	do {                                                                                  \
		size_t i_ = (st);                                                             \
		for (;;) {                                                                    \
			if (stamp[i_] == gen)                                                 \
				break;                                                        \
			stamp[i_] = gen;                                                      \
			(list)[(cnt)++] = (uint16_t)i_;                                       \
			if (i_ >= m || pat[i_] != '*')                                        \
				break;                                                        \
			i_ += (i_ + 1 < m && pat[i_ + 1] == '*') ? 2 : 1;                     \
		}                                                                             \
	} while (0)

	ADD(cur, ncur, 0);
	for (size_t k = 0; k < n && ncur; k++) {
		char ch = s[k];
		gen++;
		nnxt = 0;
		for (size_t j = 0; j < ncur; j++) {
			size_t st = cur[j];
			if (st >= m)
				continue;
			if (pat[st] == '*') {
				bool dbl = st + 1 < m && pat[st + 1] == '*';
				if (dbl || ch != '/')
					ADD(nxt, nnxt, st);
			} else if (pat[st] == ch)
				ADD(nxt, nnxt, st + 1);
		}
		memcpy(cur, nxt, nnxt * sizeof(cur[0]));
		ncur = nnxt;
	}
#undef ADD
	for (size_t j = 0; j < ncur; j++)
		if (cur[j] == m)
			return true;
	return false;
}

/* ---- the lookup ------------------------------------------------------------ */

static inline uint32_t home(const struct nt *t, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * t->nslots) >> 32);
}

/* Starts loading the home slot of h (both lines, should the payload not
 * sit on a 64-byte boundary). */
static inline void prefetch_slot(const struct nt *t, uint32_t h)
{
	const uint8_t *sl = t->slots + (size_t)home(t, h) * NT_SLOT_SIZE;
	__builtin_prefetch(sl);
	__builtin_prefetch(sl + NT_SLOT_SIZE - 1);
}

/* A key as find() compares it: the first NT_SLOT_KEY bytes as three
 * little-endian words, zero after the key's end, and the rest of a longer
 * key (zero-padded: a slot holding such a key whole keeps bytes 24..27 as
 * one more word). */
struct probe {
	uint32_t h, tag; /* tag: kind, prefix, length as slot bytes 4..6 */
	uint64_t w[3];
	const uint8_t *rest;
};

/* The slot of a key, or NULL. */
static const uint8_t *find(const struct nt *t, const struct probe *k)
{
	uint32_t i = home(t, k->h);
	size_t len = k->tag >> 16;
	for (uint32_t n = 0; n < t->nslots; n++, i = i + 1 == t->nslots ? 0 : i + 1) {
		const uint8_t *sl = t->slots + (size_t)i * NT_SLOT_SIZE;
		if (le32(sl) == k->h && (le32(sl + 4) & 0xffffff) == k->tag &&
		    le64(sl + 12) == k->w[0] && le64(sl + 20) == k->w[1] && le64(sl + 28) == k->w[2] &&
		    (len <= NT_SLOT_KEY ||
		     (has_record(sl) ? memcmp(t->records + le32(sl + 36) + 8, k->rest,
		                              len - NT_SLOT_KEY) == 0
		                     : le32(sl + 36) == le32(k->rest))))
			return sl;
		if (sl[4] == NT_K_EMPTY)
			return NULL;
	}
	return NULL;
}

static inline uint32_t probe_tag(int kind, uint8_t prefix, size_t len)
{
	return (uint32_t)kind | (uint32_t)prefix << 8 | (uint32_t)len << 16;
}

/* Fields the request does not show (unseen method, NULL path) match: see
 * rule 5 in nt.h. */
static bool row_match(const struct nt *t, const uint8_t *w, const struct nt_req *q)
{
	uint16_t np = le16(w + 6);
	if (np == 1) {
		if (q->port < le16(w + 12) || q->port > le16(w + 14))
			return false;
	} else if (np) {
		const uint8_t *pr = t->ports + (size_t)le32(w + 12) * NT_PORT_SIZE;
		bool ok = false;
		for (uint16_t j = 0; j < np && !ok; j++, pr += NT_PORT_SIZE)
			ok = q->port >= le16(pr) && q->port <= le16(pr + 2);
		if (!ok)
			return false;
	}
	uint32_t methods = le32(w + 8);
	if (methods && q->method != NT_METHOD_UNSEEN &&
	    (q->method < 0 || q->method >= NT_M__COUNT || !(methods & (1u << q->method))))
		return false;
	uint16_t npaths = le16(w + 20);
	if (npaths && q->path) {
		const uint8_t *pp = t->paths + (size_t)le32(w + 16) * NT_PATH_SIZE;
		for (uint16_t j = 0; j < npaths; j++, pp += NT_PATH_SIZE)
			if (nt_glob_match((const char *)t->pool + le32(pp), le16(pp + 4), q->path,
			                  q->path_len))
				return true;
		return false;
	}
	return true;
}

/* Does an allow row restrict what the request does not show? */
static bool constrained(const uint8_t *row, const struct nt_req *q)
{
	uint32_t methods = le32(row + 8);
	if (q->method == NT_METHOD_UNSEEN && methods && !(methods & (1u << NT_M_CONNECT)))
		return true;
	return !q->path && le16(row + 20) != 0;
}

#define MAX_GROUPS 160 /* 1 + 126 suffixes of a 253-byte name; 129 prefixes */

struct groups {
	const uint8_t *b[MAX_GROUPS];
	size_t n;
};

static void decide(const struct nt *t, const struct groups *g, const struct nt_req *q,
                   struct nt_result *r)
{
	if (g->n == 1 && (g->b[0][7] & NT_SLOT_ONE)) {
		/* The usual case, one key with one row: the loops below reduced. */
		const uint8_t *sl = g->b[0], *w = sl + NT_SLOT_ROW;
		bool deny = w[4] & NT_ROW_DENY;
		if ((!deny && (sl[4] == NT_K_V4 || sl[4] == NT_K_V6) && sl[5] < q->min_prefix) ||
		    !row_match(t, w, q))
			return;
		r->allow = !deny;
		r->rule_id = le32(w);
		r->row = le32(sl + 8);
		r->tls_only = !deny && (q->method == NT_METHOD_UNSEEN || !q->path) && constrained(w, q);
		return;
	}
	uint32_t best = NT_NO_ROW, best_id = UINT32_MAX;
	for (size_t i = 0; i < g->n; i++) {
		const uint8_t *sl = g->b[i];
		uint32_t count, ndeny;
		const uint8_t *rows = slot_rows(t, sl, &count, &ndeny);
		for (uint32_t k = 0; k < ndeny; k++) {
			const uint8_t *w = rows + (size_t)k * NT_ROW_SIZE;
			if ((w[4] & NT_ROW_DENY) && row_match(t, w, q)) {
				if (le32(w) < best_id) {
					best_id = le32(w);
					best = le32(sl + 8) + k;
				}
				break; /* the rest of this key's rows have higher ids */
			}
		}
	}
	if (best != NT_NO_ROW) {
		r->allow = false;
		r->rule_id = best_id;
		r->row = best;
		return;
	}
	/* Allow rows.  With unseen fields, keep scanning a record past a
	 * constrained match to learn whether an unconstrained row allows too. */
	bool unseen = q->method == NT_METHOD_UNSEEN || !q->path, free_match = false;
	for (size_t i = 0; i < g->n; i++) {
		const uint8_t *sl = g->b[i];
		if ((sl[4] == NT_K_V4 || sl[4] == NT_K_V6) && sl[5] < q->min_prefix)
			continue;
		uint32_t count, ndeny;
		const uint8_t *rows = slot_rows(t, sl, &count, &ndeny);
		for (uint32_t k = ndeny; k < count; k++) {
			const uint8_t *w = rows + (size_t)k * NT_ROW_SIZE;
			if ((w[4] & NT_ROW_DENY) || !row_match(t, w, q))
				continue;
			if (le32(w) < best_id) {
				best_id = le32(w);
				best = le32(sl + 8) + k;
			}
			if (!unseen || !constrained(w, q)) {
				free_match = true;
				break;
			}
		}
	}
	if (best != NT_NO_ROW) {
		r->allow = true;
		r->rule_id = best_id;
		r->row = best;
		r->tls_only = unseen && !free_match;
	}
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

/* The high p bits of a 64-bit word (0 <= p <= 64). */
static inline uint64_t top_bits(int p) { return p <= 0 ? 0 : p >= 64 ? ~0ull : ~0ull << (64 - p); }

static void lookup_addr(const struct nt *t, int kind, const uint8_t *addr,
                        const struct nt_req *q, struct nt_result *r)
{
	struct groups g;
	g.n = 0;
	int maxp = kind == NT_K_V4 ? 32 : 128;
	/* The address as big-endian numbers, masked to each prefix length in
	 * registers: the key words are the masked bytes read little-endian. */
	uint64_t hi = kind == NT_K_V4 ? (uint64_t)be32(addr) << 32 : be64(addr);
	uint64_t lo = kind == NT_K_V4 ? 0 : be64(addr + 8);
	struct probe pr[129];
	int n = 0;
	/* Present prefix lengths only, longest first; probe those the filter
	 * lets through, all memory accesses started at once. */
	for (int w = maxp / 64; w >= 0; w--) {
		uint64_t bits = kind == NT_K_V4 ? t->v4_prefixes : t->v6_prefixes[w];
		while (bits) {
			int b = 63 - __builtin_clzll(bits);
			bits &= ~(1ull << b);
			int p = w * 64 + b;
			struct probe *k = &pr[n];
			uint64_t h;
			if (kind == NT_K_V4) {
				k->w[0] = __builtin_bswap32((uint32_t)((hi & top_bits(p)) >> 32));
				k->w[1] = 0;
				h = hash_step(HASH_SEED, k->w[0]);
			} else {
				k->w[0] = __builtin_bswap64(hi & top_bits(p));
				k->w[1] = __builtin_bswap64(lo & top_bits(p - 64));
				h = hash_step(hash_step(HASH_SEED, k->w[1]), k->w[0]);
			}
			k->w[2] = 0;
			k->h = hash_fin(h, kind, (uint8_t)p);
			if (!filter_maybe(t, k->h))
				continue;
			k->tag = probe_tag(kind, (uint8_t)p, kind == NT_K_V4 ? 4 : 16);
			k->rest = NULL;
			prefetch_slot(t, k->h);
			n++;
		}
	}
	for (int i = 0; i < n; i++) {
		const uint8_t *b = find(t, &pr[i]);
		if (b && g.n < MAX_GROUPS)
			g.b[g.n++] = b;
	}
	decide(t, &g, q, r);
}

/* A name or suffix of len bytes at s, zero-padded (see nt_lookup). */
static inline void name_probe(struct probe *k, uint32_t h, int kind, const uint8_t *s, size_t len)
{
	k->h = h;
	k->tag = probe_tag(kind, 0, len);
	k->w[0] = le64(s);
	k->w[1] = le64(s + 8);
	k->w[2] = le64(s + 16);
	k->rest = s + NT_SLOT_KEY;
}

/* name is zero-padded (see nt_lookup). */
static void lookup_name(const struct nt *t, const char *name, const struct suffixes *sx,
                        const struct nt_req *q, struct nt_result *r)
{
	struct groups g;
	g.n = 0;
	const uint8_t *s = (const uint8_t *)name;
	size_t n = sx->n;
	/* The exact name and the proper suffixes with as many labels as some
	 * wildcard key has, those the filter lets through; their memory
	 * accesses are independent, so all start at once. */
	struct probe pr[NT_NAME_MAX / 2 + 2];
	unsigned np = 0;
	uint32_t h = hash_fin(suffix_state(sx, n), NT_K_NAME, 0);
	if (filter_maybe(t, h)) {
		prefetch_slot(t, h);
		name_probe(&pr[np++], h, NT_K_NAME, s, n);
	}
	for (unsigned labels = 1; labels <= sx->ndots; labels++) {
		if (!(t->wild_labels[labels / 64] >> (labels % 64) & 1))
			continue;
		size_t off = sx->rdot[labels - 1] + 1u;
		h = hash_fin(suffix_state(sx, n - off), NT_K_WILD, 0);
		if (!filter_maybe(t, h))
			continue;
		prefetch_slot(t, h);
		name_probe(&pr[np++], h, NT_K_WILD, s + off, n - off);
	}
	for (unsigned j = 0; j < np; j++) {
		const uint8_t *b = find(t, &pr[j]);
		if (b && g.n < MAX_GROUPS)
			g.b[g.n++] = b;
	}
	decide(t, &g, q, r);
}

void nt_lookup(const struct nt *t, const struct nt_req *q, struct nt_result *r)
{
	struct suffixes sx;
	char *norm = (char *)sx.buf + 8; /* zero-padded by classify */
	size_t n;
	memset(r, 0, sizeof(*r));
	r->row = NT_NO_ROW;
	r->host_kind = classify(q->host, q->host_len, norm, NT_NAME_MAX + 2, &n, r->addr, false, &sx);
	if (q->port == 0 || (q->path && q->path_len > NT_PATH_MAX))
		return;
	switch (r->host_kind) {
	case NT_HOST_INVALID: return;
	case NT_HOST_NAME: lookup_name(t, norm, &sx, q, r); return;
	case NT_HOST_IPV4: lookup_addr(t, NT_K_V4, r->addr, q, r); return;
	case NT_HOST_IPV6: lookup_addr(t, NT_K_V6, r->addr, q, r); return;
	}
}

bool nt_check_addr(const struct nt *t, int family, const uint8_t *addr, uint16_t port,
                   int method, const char *path, size_t path_len, const char **why,
                   uint32_t *rule_id)
{
	struct nt_req q = {.port = port, .method = method, .path = path, .path_len = path_len};
	struct nt_result r;
	uint8_t a[16] = {0};
	int kind = NT_K_V6;
	*why = NULL;
	*rule_id = 0;
	if (family == AF_INET) {
		memcpy(a, addr, 4);
		kind = NT_K_V4;
	} else if (family == AF_INET6) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		memcpy(a, addr, 16);
		if (memcmp(a, mapped, 12) == 0) {
			memmove(a, a + 12, 4);
			memset(a + 4, 0, 12);
			kind = NT_K_V4;
			family = AF_INET;
		}
	} else {
		*why = "unsupported address family";
		return false;
	}
	memset(&r, 0, sizeof(r));
	r.row = NT_NO_ROW;
	lookup_addr(t, kind, a, &q, &r);
	if (!r.allow && r.rule_id) {
		*why = "denied by rule";
		*rule_id = r.rule_id;
		return false;
	}
	uint8_t sp;
	const char *label = nt_addr_special(family, a, &sp);
	if (!label)
		return true;
	q.min_prefix = sp;
	memset(&r, 0, sizeof(r));
	r.row = NT_NO_ROW;
	lookup_addr(t, kind, a, &q, &r);
	if (r.allow)
		return true;
	*why = label;
	return false;
}

/* ---- rows ------------------------------------------------------------------ */

void nt_row(const struct nt *t, uint32_t i, struct nt_row *out)
{
	const uint8_t *ri = t->rowinfo + (size_t)i * NT_ROWINFO_SIZE;
	const uint8_t *sl = t->slots + (size_t)le32(ri) * NT_SLOT_SIZE;
	uint32_t count, ndeny;
	const uint8_t *w = slot_rows(t, sl, &count, &ndeny) + (size_t)(i - le32(sl + 8)) * NT_ROW_SIZE;
	size_t klen = sl[6], in = key_in_slot(sl);
	out->rule_id = le32(w);
	out->kind = (enum nt_key_kind)sl[4];
	out->deny = w[4] & NT_ROW_DENY;
	out->prefix = sl[5];
	out->methods = le32(w + 8);
	memcpy(out->host, sl + 12, in);
	if (klen > in)
		memcpy(out->host + in, t->records + le32(sl + 36) + 8, klen - in);
	out->host_len = (uint16_t)klen;
	out->nports = le16(w + 6);
	out->ports = le32(w + 12);
	out->paths_first = le32(w + 16);
	out->npaths = le16(w + 20);
	out->src = (const char *)t->pool + le32(ri + 4);
	out->src_len = le16(ri + 8);
	out->line = le32(ri + 12);
	out->col = le32(ri + 16);
}

void nt_row_port(const struct nt *t, const struct nt_row *r, uint32_t j, uint16_t *lo, uint16_t *hi)
{
	if (r->nports == 1) {
		*lo = (uint16_t)(r->ports & 0xffff);
		*hi = (uint16_t)(r->ports >> 16);
		return;
	}
	const uint8_t *pr = t->ports + (size_t)(r->ports + j) * NT_PORT_SIZE;
	*lo = le16(pr);
	*hi = le16(pr + 2);
}

const char *nt_row_path(const struct nt *t, const struct nt_row *r, uint32_t j, size_t *len)
{
	const uint8_t *pp = t->paths + (size_t)(r->paths_first + j) * NT_PATH_SIZE;
	*len = le16(pp + 4);
	return (const char *)t->pool + le32(pp);
}

void nt_row_host(const struct nt_row *r, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	switch (r->kind) {
	case NT_K_NAME: snprintf(buf, n, "%.*s", (int)r->host_len, (const char *)r->host); return;
	case NT_K_WILD: snprintf(buf, n, "*.%.*s", (int)r->host_len, (const char *)r->host); return;
	case NT_K_V4:
	case NT_K_V6:
		if (r->host_len != (r->kind == NT_K_V4 ? 4 : 16)) {
			snprintf(buf, n, "?");
			return;
		}
		inet_ntop(r->kind == NT_K_V4 ? AF_INET : AF_INET6, r->host, a, sizeof(a));
		if (r->prefix == (r->kind == NT_K_V4 ? 32 : 128))
			snprintf(buf, n, "%s", a);
		else
			snprintf(buf, n, "%s/%u", a, r->prefix);
		return;
	default: snprintf(buf, n, "?");
	}
}

static const char *const method_names[] = {
#define X(m) #m,
        NT_HTTP_METHODS(X)
#undef X
};

const char *nt_method_name(int bit)
{
	return bit >= 0 && bit < NT_M__COUNT ? method_names[bit] : NULL;
}

int nt_method_parse(const char *s, size_t len)
{
	for (int i = 0; i < NT_M__COUNT; i++)
		if (strlen(method_names[i]) == len && memcmp(method_names[i], s, len) == 0)
			return i;
	return -1;
}

void nt_bind_get(const struct nt *t, uint32_t i, struct nt_bind *out)
{
	const uint8_t *b = t->binds + (size_t)i * NT_BIND_SIZE;
	out->port = le16(b);
	out->src_len = le16(b + 2);
	out->rule_id = le32(b + 4);
	out->src = (const char *)t->pool + le32(b + 8);
	out->line = le32(b + 12);
	out->col = le32(b + 16);
}

bool nt_bind_find(const struct nt *t, uint16_t port, struct nt_bind *out)
{
	uint32_t lo = 0, hi = t->nbinds;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint16_t p = le16(t->binds + (size_t)mid * NT_BIND_SIZE);
		if (p == port) {
			nt_bind_get(t, mid, out);
			return true;
		}
		if (p < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
