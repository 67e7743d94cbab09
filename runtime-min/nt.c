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

/* ---- hashing ------------------------------------------------------------- */

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static inline uint32_t hash_fin(uint32_t h, int kind, uint8_t prefix)
{
	h ^= (uint32_t)kind << 24 | (uint32_t)prefix << 16;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

uint32_t nt_hash(int kind, uint8_t prefix, const uint8_t *key, size_t len)
{
	uint32_t h = FNV_OFFSET;
	for (size_t i = len; i-- > 0;) {
		h ^= key[i];
		h *= FNV_PRIME;
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

int nt_open(struct nt *t, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (len < NT_HEADER_SIZE)
		return fail(err, errlen, "nettable: truncated (%zu bytes)", len);
	struct art_cur c = {p, len, 0};
	uint32_t version = art_u32(&c);
	t->flags = art_u32(&c);
	t->nrows = art_u32(&c);
	t->nbuckets = art_u32(&c);
	t->nkeys = art_u32(&c);
	t->nports = art_u32(&c);
	t->npaths = art_u32(&c);
	t->nbinds = art_u32(&c);
	t->pool_len = art_u32(&c);
	uint32_t res32 = art_u32(&c);
	t->v4_prefixes = art_u64(&c);
	for (int i = 0; i < 3; i++)
		t->v6_prefixes[i] = art_u64(&c);
	uint64_t res64 = art_u64(&c);
	if (c.bad)
		return fail(err, errlen, "nettable: truncated header");
	if (version != NT_VERSION)
		return fail(err, errlen, "nettable: unsupported version %u (this build reads %u)",
		            version, NT_VERSION);
	if ((t->flags & ~NT_F_ALL) || res32 || res64)
		return fail(err, errlen, "nettable: unknown flags or non-zero reserved fields");
	if (t->nbuckets == 0 || (t->nbuckets & (t->nbuckets - 1)) || t->nkeys >= t->nbuckets)
		return fail(err, errlen, "nettable: bad index size %u for %u keys", t->nbuckets,
		            t->nkeys);
	if ((t->v4_prefixes >> 33) || (t->v6_prefixes[2] >> 1))
		return fail(err, errlen, "nettable: bad prefix-length set");
	uint64_t need = NT_HEADER_SIZE + (uint64_t)t->nrows * NT_ROW_SIZE +
	                (uint64_t)t->nbuckets * NT_BUCKET_SIZE + (uint64_t)t->nports * NT_PORT_SIZE +
	                (uint64_t)t->npaths * NT_PATH_SIZE + (uint64_t)t->nbinds * NT_BIND_SIZE +
	                t->pool_len;
	if (need != len)
		return fail(err, errlen, "nettable: size mismatch: counts need %llu bytes, have %zu",
		            (unsigned long long)need, len);
	t->base = p;
	t->len = len;
	t->rows = p + NT_HEADER_SIZE;
	t->buckets = t->rows + (size_t)t->nrows * NT_ROW_SIZE;
	t->ports = t->buckets + (size_t)t->nbuckets * NT_BUCKET_SIZE;
	t->paths = t->ports + (size_t)t->nports * NT_PORT_SIZE;
	t->binds = t->paths + (size_t)t->npaths * NT_PATH_SIZE;
	t->pool = t->binds + (size_t)t->nbinds * NT_BIND_SIZE;

	for (uint32_t i = 0; i < t->nrows; i++) {
		const uint8_t *r = t->rows + (size_t)i * NT_ROW_SIZE;
		uint8_t kind = r[4], flags = r[5], prefix = r[6];
		if (kind < NT_K_NAME || kind > NT_K_V6 || (flags & ~NT_ROW_DENY) || r[7] ||
		    !prefix_ok(kind, prefix) || (le32(r + 8) & ~NT_M_ALL) || le32(r + 44))
			return fail(err, errlen, "nettable: row %u: bad kind, flags or methods", i);
		if (!in_pool(t, le32(r + 12), le16(r + 16)) || !in_pool(t, le32(r + 32), le16(r + 30)))
			return fail(err, errlen, "nettable: row %u: string outside the pool", i);
		if ((uint64_t)le32(r + 20) + le16(r + 18) > t->nports ||
		    (uint64_t)le32(r + 24) + le16(r + 28) > t->npaths)
			return fail(err, errlen, "nettable: row %u: ports or paths out of range", i);
	}
	uint32_t keys = 0;
	for (uint32_t i = 0; i < t->nbuckets; i++) {
		const uint8_t *b = t->buckets + (size_t)i * NT_BUCKET_SIZE;
		uint8_t kind = b[4], prefix = b[5];
		uint16_t klen = le16(b + 6);
		if (kind == NT_K_EMPTY) {
			for (int j = 0; j < NT_BUCKET_SIZE; j++)
				if (b[j])
					return fail(err, errlen, "nettable: slot %u: empty but not zero", i);
			continue;
		}
		keys++;
		bool len_ok = kind == NT_K_V4   ? klen == 4
		              : kind == NT_K_V6 ? klen == 16
		                                : klen >= 1 && klen <= NT_NAME_MAX;
		if (kind > NT_K_V6 || !prefix_ok(kind, prefix) || !len_ok ||
		    !in_pool(t, le32(b + 8), klen))
			return fail(err, errlen, "nettable: slot %u: bad key", i);
		const uint8_t *key = t->pool + le32(b + 8);
		if (nt_hash(kind, prefix, key, klen) != le32(b))
			return fail(err, errlen, "nettable: slot %u: hash mismatch", i);
		if ((kind == NT_K_V4 || kind == NT_K_V6) &&
		    (!prefix_present(t, kind, prefix) || !masked_ok(key, klen, prefix)))
			return fail(err, errlen, "nettable: slot %u: bad address key", i);
		uint32_t first = le32(b + 12), ndeny = le32(b + 16), count = le32(b + 20);
		if ((uint64_t)first + count > t->nrows || ndeny > count)
			return fail(err, errlen, "nettable: slot %u: rows out of range", i);
	}
	if (keys != t->nkeys)
		return fail(err, errlen, "nettable: %u keys in the index, header says %u", keys,
		            t->nkeys);
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

static bool name_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

enum nt_host_kind nt_host_parse(const char *host, size_t len, char *norm, size_t normcap,
                                size_t *normlen, uint8_t addr[16])
{
	char tmp[INET6_ADDRSTRLEN + 1];
	*normlen = 0;
	if (len == 0 || normcap <= NT_NAME_MAX)
		return NT_HOST_INVALID;
	memset(addr, 0, 16);
	bool bracket = host[0] == '[';
	if (bracket || memchr(host, ':', len)) {
		if (bracket) {
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
		if (memcmp(addr, mapped, 12) == 0) {
			memmove(addr, addr + 12, 4);
			memset(addr + 4, 0, 12);
			inet_ntop(AF_INET, addr, norm, (socklen_t)normcap);
			*normlen = strlen(norm);
			return NT_HOST_IPV4;
		}
		inet_ntop(AF_INET6, addr, norm, (socklen_t)normcap);
		*normlen = strlen(norm);
		return NT_HOST_IPV6;
	}
	if (len > 0 && host[len - 1] == '.')
		len--; /* one trailing dot: the root */
	if (len == 0 || len > NT_NAME_MAX)
		return NT_HOST_INVALID;
	size_t label = 0;
	bool digits_only = true;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)host[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		norm[i] = (char)ch;
		if (ch == '.') {
			if (label == 0)
				return NT_HOST_INVALID;
			label = 0;
			digits_only = true;
			continue;
		}
		if (!name_char(ch) || ++label > 63)
			return NT_HOST_INVALID;
		if (ch < '0' || ch > '9')
			digits_only = false;
	}
	if (label == 0)
		return NT_HOST_INVALID;
	norm[len] = '\0';
	*normlen = len;
	if (digits_only) {
		/* An all-numeric last label: a dotted quad (or partial one) that
		 * resolvers would read as an address. */
		if (inet_pton(AF_INET, norm, addr) == 1) {
			inet_ntop(AF_INET, addr, norm, (socklen_t)normcap);
			*normlen = strlen(norm);
			return NT_HOST_IPV4;
		}
		*normlen = 0;
		return NT_HOST_INVALID;
	}
	/* Hexadecimal and octal forms ("0x7f.1", "0x7f000001") that inet_aton
	 * (and so getaddrinfo) would turn into an address. */
	struct in_addr ia;
	if (norm[0] == '0' && inet_aton(norm, &ia)) {
		*normlen = 0;
		return NT_HOST_INVALID;
	}
	return NT_HOST_NAME;
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

static const uint8_t *find(const struct nt *t, int kind, uint8_t prefix, uint32_t h,
                           const uint8_t *key, size_t len)
{
	uint32_t mask = t->nbuckets - 1;
	uint32_t i = h & mask;
	for (uint32_t n = 0; n < t->nbuckets; n++, i = (i + 1) & mask) {
		const uint8_t *b = t->buckets + (size_t)i * NT_BUCKET_SIZE;
		if (b[4] == NT_K_EMPTY)
			return NULL;
		if (le32(b) == h && b[4] == kind && b[5] == prefix && le16(b + 6) == len &&
		    memcmp(t->pool + le32(b + 8), key, len) == 0)
			return b;
	}
	return NULL;
}

/* Fields the request does not show (unseen method, NULL path) match: see
 * rule 5 in nt.h. */
static bool row_match(const struct nt *t, const uint8_t *r, const struct nt_req *q)
{
	uint16_t np = le16(r + 18);
	if (np) {
		const uint8_t *pr = t->ports + (size_t)le32(r + 20) * NT_PORT_SIZE;
		bool ok = false;
		for (uint16_t j = 0; j < np && !ok; j++, pr += NT_PORT_SIZE)
			ok = q->port >= le16(pr) && q->port <= le16(pr + 2);
		if (!ok)
			return false;
	}
	uint32_t methods = le32(r + 8);
	if (methods && q->method != NT_METHOD_UNSEEN &&
	    (q->method < 0 || q->method >= NT_M__COUNT || !(methods & (1u << q->method))))
		return false;
	uint16_t npaths = le16(r + 28);
	if (npaths && q->path) {
		const uint8_t *pp = t->paths + (size_t)le32(r + 24) * NT_PATH_SIZE;
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
	return !q->path && le16(row + 28) != 0;
}

#define MAX_GROUPS 160 /* 1 + 126 suffixes of a 253-byte name; 129 prefixes */

struct groups {
	const uint8_t *b[MAX_GROUPS];
	size_t n;
};

static void decide(const struct nt *t, const struct groups *g, const struct nt_req *q,
                   struct nt_result *r)
{
	uint32_t best = NT_NO_ROW, best_id = UINT32_MAX;
	for (size_t i = 0; i < g->n; i++) {
		const uint8_t *b = g->b[i];
		uint32_t first = le32(b + 12), ndeny = le32(b + 16);
		for (uint32_t k = first; k < first + ndeny; k++) {
			const uint8_t *row = t->rows + (size_t)k * NT_ROW_SIZE;
			if ((row[5] & NT_ROW_DENY) && row_match(t, row, q)) {
				if (le32(row) < best_id) {
					best_id = le32(row);
					best = k;
				}
				break; /* the rest of this group has higher ids */
			}
		}
	}
	if (best != NT_NO_ROW) {
		r->allow = false;
		r->rule_id = best_id;
		r->row = best;
		return;
	}
	/* Allow rows.  With unseen fields, keep scanning a group past a
	 * constrained match to learn whether an unconstrained row allows too. */
	bool unseen = q->method == NT_METHOD_UNSEEN || !q->path, free_match = false;
	for (size_t i = 0; i < g->n; i++) {
		const uint8_t *b = g->b[i];
		if ((b[4] == NT_K_V4 || b[4] == NT_K_V6) && b[5] < q->min_prefix)
			continue;
		uint32_t first = le32(b + 12), ndeny = le32(b + 16), count = le32(b + 20);
		for (uint32_t k = first + ndeny; k < first + count; k++) {
			const uint8_t *row = t->rows + (size_t)k * NT_ROW_SIZE;
			if ((row[5] & NT_ROW_DENY) || !row_match(t, row, q))
				continue;
			if (le32(row) < best_id) {
				best_id = le32(row);
				best = k;
			}
			if (!unseen || !constrained(row, q)) {
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

static void lookup_addr(const struct nt *t, int kind, const uint8_t *addr,
                        const struct nt_req *q, struct nt_result *r)
{
	struct groups g;
	g.n = 0;
	size_t alen = kind == NT_K_V4 ? 4 : 16;
	int maxp = kind == NT_K_V4 ? 32 : 128;
	for (int p = maxp; p >= 0; p--) {
		bool present = kind == NT_K_V4 ? (t->v4_prefixes >> p & 1)
		                               : (t->v6_prefixes[p / 64] >> (p % 64) & 1);
		if (!present)
			continue;
		uint8_t m[16];
		memcpy(m, addr, alen);
		size_t full = (size_t)p / 8;
		if (full < alen) {
			m[full] &= (uint8_t)(p % 8 ? 0xffu << (8 - p % 8) : 0);
			memset(m + full + 1, 0, alen - full - 1);
		}
		const uint8_t *b = find(t, kind, (uint8_t)p, nt_hash(kind, (uint8_t)p, m, alen), m, alen);
		if (b && g.n < MAX_GROUPS)
			g.b[g.n++] = b;
	}
	decide(t, &g, q, r);
}

static void lookup_name(const struct nt *t, const char *name, size_t n, const struct nt_req *q,
                        struct nt_result *r)
{
	struct groups g;
	g.n = 0;
	const uint8_t *s = (const uint8_t *)name;
	uint32_t h = FNV_OFFSET;
	/* One pass from the end: at each '.', h is the hash state of the
	 * suffix after it, which is exactly a wildcard key. */
	for (size_t i = n; i-- > 0;) {
		if (s[i] == '.') {
			const uint8_t *b = find(t, NT_K_WILD, 0, hash_fin(h, NT_K_WILD, 0), s + i + 1,
			                        n - i - 1);
			if (b && g.n < MAX_GROUPS)
				g.b[g.n++] = b;
		}
		h ^= s[i];
		h *= FNV_PRIME;
	}
	const uint8_t *b = find(t, NT_K_NAME, 0, hash_fin(h, NT_K_NAME, 0), s, n);
	if (b && g.n < MAX_GROUPS)
		g.b[g.n++] = b;
	decide(t, &g, q, r);
}

void nt_lookup(const struct nt *t, const struct nt_req *q, struct nt_result *r)
{
	char norm[NT_NAME_MAX + 2];
	size_t n;
	memset(r, 0, sizeof(*r));
	r->row = NT_NO_ROW;
	r->host_kind = nt_host_parse(q->host, q->host_len, norm, sizeof(norm), &n, r->addr);
	if (q->port == 0 || (q->path && q->path_len > NT_PATH_MAX))
		return;
	switch (r->host_kind) {
	case NT_HOST_INVALID: return;
	case NT_HOST_NAME: lookup_name(t, norm, n, q, r); return;
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
	const uint8_t *r = t->rows + (size_t)i * NT_ROW_SIZE;
	out->rule_id = le32(r);
	out->kind = (enum nt_key_kind)r[4];
	out->deny = r[5] & NT_ROW_DENY;
	out->prefix = r[6];
	out->methods = le32(r + 8);
	out->host = t->pool + le32(r + 12);
	out->host_len = le16(r + 16);
	out->nports = le16(r + 18);
	out->ports_first = le32(r + 20);
	out->paths_first = le32(r + 24);
	out->npaths = le16(r + 28);
	out->src_len = le16(r + 30);
	out->src = (const char *)t->pool + le32(r + 32);
	out->line = le32(r + 36);
	out->col = le32(r + 40);
}

void nt_row_port(const struct nt *t, const struct nt_row *r, uint32_t j, uint16_t *lo, uint16_t *hi)
{
	const uint8_t *pr = t->ports + (size_t)(r->ports_first + j) * NT_PORT_SIZE;
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
