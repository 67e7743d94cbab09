/* test_art.c — the artifact reader (runtime-min/art_read.c) against hostile
 * input: every truncation, every header field, section table tricks
 * (offsets, overlap, alignment, padding, duplicates, hashes), payload
 * parsers (Landlock, seccomp, metadata), and no large allocation from a
 * large declared length.
 *
 * Valid artifacts come from polc_compile; malformed ones are made by a
 * small independent writer here, so a bug shared by the compiler's writer
 * and the reader cannot hide. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "arena.h"
#include "backend.h"
#include "nt.h"

/* ---- helpers ---------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A real artifact from the compiler: filesystem rules only. */
static void compiled(struct buf *out)
{
	struct arena *a = arena_new();
	struct ir_policy *p = ir_policy_new(a);
	struct diag_sink *d = diag_sink_new(a);
	p->name = "art-test";
	p->fs.present = true;
	const char *paths[] = {"/usr", "/etc/ssl", "/tmp"};
	for (int j = 0; j < 3; j++) {
		struct ir_fs_rule *f = ARENA_PUSH(a, p->fs.rules, p->fs.nrules, p->fs.caprules);
		f->path = paths[j];
		f->access = j == 2 ? IR_FS_WRITE : IR_FS_READ;
		f->pos = src_pos("t.yaml", (uint32_t)j + 1, 3);
	}
	ir_finalize(p, d);
	ck_assert_uint_eq(diag_errors(d), 0);
	ck_assert_int_eq(polc_compile(p, d, out), 0);
	arena_free(a);
}

struct tsec {
	uint32_t type, arch;
	const void *data;
	size_t len;
};

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* Independent writer of the container layout described in art.h. */
static void layout(struct buf *out, const struct tsec *s, int n)
{
	size_t off = ALIGN8(ART_HEADER_SIZE + (size_t)n * ART_SECTION_ENTRY_SIZE), total = off;
	for (int i = 0; i < n; i++)
		total += ALIGN8(s[i].len);
	buf_bytes(out, "POLCART", 8);
	buf_u16(out, 1);
	buf_u16(out, 32);
	buf_u32(out, 0);
	buf_u32(out, (uint32_t)n);
	buf_u32(out, 1);
	buf_u32(out, (uint32_t)total);
	buf_u32(out, 0);
	for (int i = 0; i < n; i++) {
		uint8_t h[32];
		crypto_hash_sha256(h, s[i].data, s[i].len);
		buf_u32(out, s[i].type);
		buf_u32(out, s[i].arch);
		buf_u32(out, (uint32_t)off);
		buf_u32(out, (uint32_t)s[i].len);
		buf_bytes(out, h, 32);
		off += ALIGN8(s[i].len);
	}
	for (int i = 0; i < n; i++) {
		buf_bytes(out, s[i].data, s[i].len);
		buf_zero(out, ALIGN8(s[i].len) - s[i].len);
	}
	ck_assert_uint_eq(out->len, total);
}

/* Recomputes every in-range section hash, so a test reaches the check it
 * is about instead of failing on the hash. */
static void rehash(uint8_t *b, size_t len)
{
	uint32_t n = get32(b + 16);
	for (uint32_t i = 0; i < n && i < ART_MAX_SECTIONS; i++) {
		uint8_t *e = b + ART_HEADER_SIZE + (size_t)i * ART_SECTION_ENTRY_SIZE;
		if ((size_t)(e + ART_SECTION_ENTRY_SIZE - b) > len)
			return;
		uint32_t off = get32(e + 8), l = get32(e + 12);
		if (off <= len && l <= len - off)
			crypto_hash_sha256(e + 16, b + off, l);
	}
}

static uint8_t *entry(uint8_t *b, int i) { return b + ART_HEADER_SIZE + i * ART_SECTION_ENTRY_SIZE; }

static const char META[] = "{\"name\":\"hand\",\"rules\":[]}"; /* 26 bytes: 6 of padding */

/* Parses a private heap copy of exactly len bytes, so a read past the end
 * is caught by ASan (make ASAN=1). */
static int parse_copy(const uint8_t *b, size_t len, char *err, size_t errlen)
{
	uint8_t *c = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(c);
	memcpy(c, b, len);
	struct art a;
	int rc = art_parse(&a, c, len, err, errlen);
	if (rc == 0)
		for (uint32_t i = 0; i < a.nsections; i++) {
			ck_assert(a.sec[i].data >= c && a.sec[i].data + a.sec[i].length <= c + len);
		}
	free(c);
	return rc;
}

#define EXPECT_REJECT(b, len, why)                                                             \
	do {                                                                                       \
		char e_[256] = "";                                                                 \
		ck_assert_int_eq(parse_copy((b), (len), e_, sizeof(e_)), -1);                      \
		ck_assert_msg(strstr(e_, (why)) != NULL, "error '%s' does not mention '%s'", e_,  \
		              (why));                                                              \
	} while (0)

/* ---- whole container ---------------------------------------------------------- */

START_TEST(valid_compiled)
{
	struct buf b = {0};
	compiled(&b);
	struct art a;
	char err[256];
	ck_assert_msg(art_parse(&a, b.p, b.len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(a.version, ART_VERSION);
	ck_assert_ptr_nonnull(art_find(&a, ART_SEC_META, 0));
	const struct art_section *ll = art_find(&a, ART_SEC_LANDLOCK, 0);
	ck_assert_ptr_nonnull(ll);
	struct meta m;
	ck_assert_msg(meta_parse(&m, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(m.name, "art-test");
	meta_free(&m);
	struct art_ll l;
	ck_assert_msg(art_ll_parse(&l, ll, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(l.npaths, 3);
	struct art_ll_path p;
	int seen = 0;
	while (art_ll_next_path(&l, &p) == 1) {
		ck_assert(p.len > 0 && p.path[0] == '/');
		if (p.len == 4 && memcmp(p.path, "/tmp", 4) == 0)
			ck_assert(p.access & LL_FS_write_file);
		seen++;
	}
	ck_assert_int_eq(seen, 3);
	buf_free(&b);
}
END_TEST

START_TEST(valid_hand_built)
{
	uint8_t sc[12 + 2 * 8 + 4 + 8] = {0};
	put32(sc, 0xc000003e);
	put32(sc + 8, 2);
	/* insn 0: ld [0]; insn 1: ret ALLOW */
	sc[12] = 0x20;
	sc[20] = 0x06;
	put32(sc + 24, 0x7fff0000);
	put32(sc + 28, 1);
	put32(sc + 32, 1);
	put32(sc + 36, 7);
	struct tsec s[] = {{ART_SEC_META, 0, META, sizeof(META) - 1},
	                   {ART_SEC_SECCOMP, 0xc000003e, sc, sizeof(sc)},
	                   {ART_SEC_SECCOMP, 0x40000003, NULL, 0}};
	uint8_t sc32[sizeof(sc)];
	memcpy(sc32, sc, sizeof(sc));
	put32(sc32, 0x40000003);
	s[2].data = sc32;
	s[2].len = sizeof(sc32);
	struct buf b = {0};
	layout(&b, s, 3);
	struct art a;
	char err[256];
	ck_assert_msg(art_parse(&a, b.p, b.len, err, sizeof(err)) == 0, "%s", err);
	const struct art_section *x = art_find(&a, ART_SEC_SECCOMP, 0x40000003);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->arch, 0x40000003);
	struct art_sc p;
	ck_assert_msg(art_sc_parse(&p, x, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(p.ninsns, 2);
	struct art_sc_insn in = art_sc_insn(&p, 1);
	ck_assert_uint_eq(in.code, 0x06);
	ck_assert_uint_eq(in.k, 0x7fff0000);
	ck_assert_uint_eq(art_sc_rule(&p, 1), 7);
	ck_assert_uint_eq(art_sc_rule(&p, 0), 0);
	in = art_sc_insn(&p, 2); /* out of range: zero, no read */
	ck_assert_uint_eq(in.code, 0);
	buf_free(&b);
}
END_TEST

START_TEST(truncated_every_length)
{
	struct buf b = {0};
	compiled(&b);
	for (size_t len = 0; len < b.len; len++) {
		char err[256] = "";
		ck_assert_msg(parse_copy(b.p, len, err, sizeof(err)) == -1, "accepted at %zu", len);
		ck_assert(err[0] != '\0');
	}
	/* Truncated but with total_size patched to match: caught by the layout. */
	for (size_t len = ART_HEADER_SIZE; len < b.len; len++) {
		uint8_t *c = malloc(len);
		memcpy(c, b.p, len);
		put32(c + 24, (uint32_t)len);
		char err[256];
		struct art a;
		ck_assert_msg(art_parse(&a, c, len, err, sizeof(err)) == -1, "accepted at %zu", len);
		free(c);
	}
	buf_free(&b);
}
END_TEST

START_TEST(bad_magic)
{
	struct buf b = {0};
	compiled(&b);
	for (int i = 0; i < ART_MAGIC_LEN; i++) {
		b.p[i] ^= 0x20;
		EXPECT_REJECT(b.p, b.len, "magic");
		b.p[i] ^= 0x20;
	}
	buf_free(&b);
}
END_TEST

START_TEST(header_fields)
{
	struct buf b = {0};
	compiled(&b);
	static const uint16_t versions[] = {0, 2, 0x100, 0xffff};
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		b.p[8] = (uint8_t)versions[i];
		b.p[9] = (uint8_t)(versions[i] >> 8);
		EXPECT_REJECT(b.p, b.len, "version");
	}
	b.p[8] = 1;
	b.p[9] = 0;
	b.p[10] = 48; /* header_size */
	EXPECT_REJECT(b.p, b.len, "header");
	b.p[10] = 32;
	put32(b.p + 12, 1); /* flags */
	EXPECT_REJECT(b.p, b.len, "header");
	put32(b.p + 12, 0);
	put32(b.p + 28, 0x80000000); /* reserved */
	EXPECT_REJECT(b.p, b.len, "header");
	put32(b.p + 28, 0);
	static const uint32_t totals[] = {0, 32, 0xffffffff};
	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
		put32(b.p + 24, totals[i]);
		EXPECT_REJECT(b.p, b.len, "size mismatch");
	}
	put32(b.p + 24, (uint32_t)b.len + 8);
	EXPECT_REJECT(b.p, b.len, "truncated");
	put32(b.p + 24, (uint32_t)b.len);
	char err[256];
	ck_assert_int_eq(parse_copy(b.p, b.len, err, sizeof(err)), 0);
	buf_free(&b);
}
END_TEST

START_TEST(section_count)
{
	struct buf b = {0};
	compiled(&b);
	uint32_t n = get32(b.p + 16);
	static const uint32_t bad[] = {0, ART_MAX_SECTIONS + 1, 0x10000, 0xffffffff};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put32(b.p + 16, bad[i]);
		EXPECT_REJECT(b.p, b.len, "section count");
	}
	/* A count that disagrees with the table: entries become payload bytes
	 * (or the payload an entry), and the layout no longer adds up. */
	for (uint32_t c = 1; c <= ART_MAX_SECTIONS; c++) {
		if (c == n)
			continue;
		put32(b.p + 16, c);
		char err[256];
		ck_assert_msg(parse_copy(b.p, b.len, err, sizeof(err)) == -1, "count %u accepted", c);
	}
	buf_free(&b);
}
END_TEST

START_TEST(section_table_tricks)
{
	static const uint8_t ll[48] = {1}; /* any bytes: art_parse does not read payloads */
	struct tsec s[] = {{ART_SEC_META, 0, META, sizeof(META) - 1},
	                   {ART_SEC_LANDLOCK, 0, ll, sizeof(ll)}};
	struct buf b = {0};
	layout(&b, s, 2);
	char err[256];
	ck_assert_msg(parse_copy(b.p, b.len, err, sizeof(err)) == 0, "%s", err);
	uint8_t *e0 = entry(b.p, 0), *e1 = entry(b.p, 1);
	uint32_t off0 = get32(e0 + 8), off1 = get32(e1 + 8), len1 = get32(e1 + 12);

	/* offsets: misaligned, overlapping, leaving a gap, past the end, huge */
	const uint32_t offs[] = {off1 + 1, off1 - 8, off0, off1 + 8, (uint32_t)b.len,
	                         (uint32_t)b.len + 8, 0xfffffff8, 0};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		put32(e1 + 8, offs[i]);
		EXPECT_REJECT(b.p, b.len, "offset");
	}
	put32(e1 + 8, off1);
	put32(e0 + 8, off0 + 8);
	EXPECT_REJECT(b.p, b.len, "offset");
	put32(e0 + 8, 0);
	EXPECT_REJECT(b.p, b.len, "offset");
	put32(e0 + 8, off0);

	/* lengths: past the end, huge, or shorter so the sections overlap or
	 * leave bytes between them */
	const uint32_t lens[] = {len1 + 1, len1 + 8, 0xffffffff, 0x7fffffff};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		put32(e1 + 12, lens[i]);
		EXPECT_REJECT(b.p, b.len, "truncated");
	}
	put32(e1 + 12, len1);
	put32(e0 + 12, 0xfffffff0);
	EXPECT_REJECT(b.p, b.len, "truncated");
	put32(e0 + 12, (uint32_t)sizeof(META) - 1 + 8); /* swallows section 1's start */
	rehash(b.p, b.len);
	EXPECT_REJECT(b.p, b.len, "offset");
	put32(e0 + 12, 16); /* ends early, no padding: leaves a gap before section 1 */
	rehash(b.p, b.len);
	EXPECT_REJECT(b.p, b.len, "offset");
	put32(e0 + 12, (uint32_t)sizeof(META) - 1);
	put32(e1 + 12, len1 - 8); /* section 1 ends early: trailing bytes */
	rehash(b.p, b.len);
	EXPECT_REJECT(b.p, b.len, "trailing");
	put32(e1 + 12, len1);
	rehash(b.p, b.len);
	ck_assert_msg(parse_copy(b.p, b.len, err, sizeof(err)) == 0, "%s", err);

	/* unknown types, arch on a non-seccomp section, no metadata */
	const uint32_t types[] = {0, 0x100, 0x80000001, 0xffffffff};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		put32(e1, types[i]);
		EXPECT_REJECT(b.p, b.len, "type");
	}
	put32(e1, ART_SEC_LANDLOCK);
	put32(e1 + 4, 0xc000003e);
	EXPECT_REJECT(b.p, b.len, "arch");
	put32(e1 + 4, 0);
	put32(e0, ART_SEC_NETTABLE);
	EXPECT_REJECT(b.p, b.len, "metadata");
	put32(e0, ART_SEC_META);
	ck_assert_msg(parse_copy(b.p, b.len, err, sizeof(err)) == 0, "%s", err);
	buf_free(&b);
}
END_TEST

static void padding_trailing_hash_of(struct buf *bp)
{
	struct buf b = *bp;
	struct art a;
	char err[256];
	ck_assert_int_eq(art_parse(&a, b.p, b.len, err, sizeof(err)), 0);
	for (uint32_t i = 0; i < a.nsections; i++) {
		size_t end = (size_t)a.sec[i].offset + a.sec[i].length;
		for (size_t p = end; p < ALIGN8(end); p++) {
			b.p[p] = 1;
			EXPECT_REJECT(b.p, b.len, "padding");
			b.p[p] = 0;
		}
		/* every payload byte is covered by its section's hash */
		for (size_t p = a.sec[i].offset; p < end; p++) {
			b.p[p] ^= 0x01;
			EXPECT_REJECT(b.p, b.len, "hash mismatch");
			b.p[p] ^= 0x01;
		}
		uint8_t *h = entry(b.p, (int)i) + 16;
		h[31] ^= 0x80;
		EXPECT_REJECT(b.p, b.len, "hash mismatch");
		h[31] ^= 0x80;
	}
	/* trailing bytes, with and without the header agreeing */
	size_t n = b.len;
	buf_zero(&b, 8);
	EXPECT_REJECT(b.p, b.len, "size mismatch");
	put32(b.p + 24, (uint32_t)b.len);
	EXPECT_REJECT(b.p, b.len, "trailing");
	put32(b.p + 24, (uint32_t)n);
	ck_assert_int_eq(parse_copy(b.p, n, err, sizeof(err)), 0);
	*bp = b;
}

START_TEST(padding_trailing_hash)
{
	struct buf b = {0};
	compiled(&b);
	padding_trailing_hash_of(&b);
	buf_free(&b);
	/* META is 26 bytes: 6 bytes of padding, each must be zero. */
	static const uint8_t ll[20] = {1, 2, 3};
	struct tsec s[] = {{ART_SEC_META, 0, META, sizeof(META) - 1},
	                   {ART_SEC_LANDLOCK, 0, ll, sizeof(ll)}};
	layout(&b, s, 2);
	ck_assert_uint_eq(b.len, 32 + 2 * 48 + 32 + 24);
	for (size_t p = 32 + 2 * 48 + 26; p < 32 + 2 * 48 + 32; p++) {
		b.p[p] = 0x80;
		EXPECT_REJECT(b.p, b.len, "padding");
		b.p[p] = 0;
	}
	for (size_t p = b.len - 4; p < b.len; p++) { /* padding after the last section */
		b.p[p] = 1;
		EXPECT_REJECT(b.p, b.len, "padding");
		b.p[p] = 0;
	}
	padding_trailing_hash_of(&b);
	buf_free(&b);
}
END_TEST

START_TEST(duplicate_sections)
{
	static const uint8_t x[16] = {0};
	struct tsec dup_meta[] = {{ART_SEC_META, 0, META, sizeof(META) - 1},
	                          {ART_SEC_META, 0, META, sizeof(META) - 1}};
	struct tsec dup_ll[] = {{ART_SEC_META, 0, META, sizeof(META) - 1},
	                        {ART_SEC_LANDLOCK, 0, x, sizeof(x)},
	                        {ART_SEC_NETTABLE, 0, x, 8},
	                        {ART_SEC_LANDLOCK, 0, x, 8}};
	struct tsec dup_sc[] = {{ART_SEC_META, 0, META, sizeof(META) - 1},
	                        {ART_SEC_SECCOMP, 0xc000003e, x, sizeof(x)},
	                        {ART_SEC_SECCOMP, 0xc000003e, x, 8}};
	struct tsec two_arches[] = {{ART_SEC_META, 0, META, sizeof(META) - 1},
	                            {ART_SEC_SECCOMP, 0xc000003e, x, sizeof(x)},
	                            {ART_SEC_SECCOMP, 0x40000003, x, 8}};
	struct buf b = {0};
	layout(&b, dup_meta, 2);
	EXPECT_REJECT(b.p, b.len, "duplicate");
	buf_free(&b);
	layout(&b, dup_ll, 4);
	EXPECT_REJECT(b.p, b.len, "duplicate");
	buf_free(&b);
	layout(&b, dup_sc, 3);
	EXPECT_REJECT(b.p, b.len, "duplicate");
	buf_free(&b);
	layout(&b, two_arches, 3);
	char err[256];
	ck_assert_msg(parse_copy(b.p, b.len, err, sizeof(err)) == 0, "%s", err);
	buf_free(&b);
}
END_TEST

/* The reader as its users run it: container, metadata, then each section's
 * payload parser (the section type is not covered by a hash, so a flip
 * from one valid type to another is caught by the payload's parser). */
static int full_parse(const uint8_t *b, size_t len)
{
	struct art a;
	struct meta m;
	char err[256];
	if (parse_copy(b, len, err, sizeof(err)) < 0 || art_parse(&a, b, len, err, sizeof(err)) < 0)
		return -1;
	if (meta_parse(&m, &a, err, sizeof(err)) < 0)
		return -1;
	meta_free(&m);
	for (uint32_t i = 0; i < a.nsections; i++) {
		struct art_ll ll;
		struct art_sc sc;
		struct art_proc pr;
		struct nt nt;
		int rc = 0;
		switch (a.sec[i].type) {
		case ART_SEC_NETTABLE:
			rc = nt_open(&nt, a.sec[i].data, a.sec[i].length, err, sizeof(err));
			break;
		case ART_SEC_LANDLOCK: rc = art_ll_parse(&ll, &a.sec[i], err, sizeof(err)); break;
		case ART_SEC_SECCOMP: rc = art_sc_parse(&sc, &a.sec[i], err, sizeof(err)); break;
		case ART_SEC_PROCESS: rc = art_proc_parse(&pr, &a.sec[i], err, sizeof(err)); break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

START_TEST(every_byte_flip)
{
	struct buf b = {0};
	compiled(&b);
	ck_assert_int_eq(full_parse(b.p, b.len), 0);
	static const uint8_t flips[] = {0x01, 0x02, 0x04, 0x80, 0xff};
	for (size_t i = 0; i < b.len; i++) {
		/* The header's min_landlock_abi is a summary: runmin enforces the
		 * larger of it and the Landlock section's (signed) min_abi. */
		if (i >= 20 && i < 24)
			continue;
		for (size_t f = 0; f < sizeof(flips); f++) {
			b.p[i] ^= flips[f];
			ck_assert_msg(full_parse(b.p, b.len) == -1, "flip 0x%02x at byte %zu accepted",
			              flips[f], i);
			b.p[i] ^= flips[f];
		}
	}
	buf_free(&b);
}
END_TEST

/* Allocation tracking: this binary's malloc/calloc/realloc forward to
 * glibc's and remember the largest single request, so a parser that sizes
 * an allocation from a declared length is caught even when that allocation
 * would fail and be handled.  Not under ASan, which owns malloc. */
#if !defined(__SANITIZE_ADDRESS__) && defined(__GLIBC__)
#define TRACK_ALLOC 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static size_t biggest;
static void note(size_t n)
{
	if (n > biggest)
		biggest = n;
}
void *malloc(size_t n)
{
	note(n);
	return __libc_malloc(n);
}
void *calloc(size_t k, size_t n)
{
	note(n && k > SIZE_MAX / n ? SIZE_MAX : k * n);
	return __libc_calloc(k, n);
}
void *realloc(void *p, size_t n)
{
	note(n);
	return __libc_realloc(p, n);
}
#endif

/* Huge declared lengths and counts must not turn into allocations. */
START_TEST(no_large_allocation)
{
#ifndef TRACK_ALLOC
	return;
#else
	/* the tracker works: a large request through a call the compiler
	 * cannot elide is seen */
	void *(*volatile alloc)(size_t) = malloc;
	biggest = 0;
	free(alloc(4u << 20));
	ck_assert_uint_ge(biggest, 4u << 20);
	struct buf b = {0};
	compiled(&b);
	struct art a;
	char err[256];
	ck_assert_int_eq(art_parse(&a, b.p, b.len, err, sizeof(err)), 0);
	const struct art_section *llsec = art_find(&a, ART_SEC_LANDLOCK, 0);
	uint8_t llbuf[256] = {0};
	ck_assert_uint_le(llsec->length, sizeof(llbuf));
	memcpy(llbuf, llsec->data, llsec->length);

	biggest = 0;
	put32(entry(b.p, 0) + 12, 0xffffffff);
	ck_assert_int_eq(art_parse(&a, b.p, b.len, err, sizeof(err)), -1);
	put32(b.p + 16, 0xffffffff);
	ck_assert_int_eq(art_parse(&a, b.p, b.len, err, sizeof(err)), -1);

	struct art_section s = {.type = ART_SEC_LANDLOCK, .data = llbuf, .length = sizeof(llbuf)};
	struct art_ll ll;
	put32(llbuf + 36, 0xffffffff); /* path rules */
	ck_assert_int_eq(art_ll_parse(&ll, &s, err, sizeof(err)), -1);
	put32(llbuf + 36, 0);
	put32(llbuf + 40, 0xffffffff); /* net rules */
	ck_assert_int_eq(art_ll_parse(&ll, &s, err, sizeof(err)), -1);

	uint8_t sc[16] = {0};
	put32(sc + 8, 0xffffffff);
	struct art_section ss = {.type = ART_SEC_SECCOMP, .data = sc, .length = sizeof(sc)};
	struct art_sc p;
	ck_assert_int_eq(art_sc_parse(&p, &ss, err, sizeof(err)), -1);
	put32(sc + 8, 4096);
	ck_assert_int_eq(art_sc_parse(&p, &ss, err, sizeof(err)), -1);

	/* metadata claiming a huge array is just bytes to jansson */
	struct tsec t[] = {{ART_SEC_META, 0, "{\"rules\":[1,2,3]}", 17}};
	struct buf m = {0};
	layout(&m, t, 1);
	struct meta meta;
	ck_assert_int_eq(art_parse(&a, m.p, m.len, err, sizeof(err)), 0);
	ck_assert_int_eq(meta_parse(&meta, &a, err, sizeof(err)), 0);
	ck_assert_uint_eq(meta.nrules, 0); /* ids that are not positive integers are skipped */
	meta_free(&meta);
	ck_assert_msg(biggest < (64u << 10), "a %zu-byte allocation while parsing", biggest);
	buf_free(&m);
	buf_free(&b);
#endif
}
END_TEST

/* ---- payload parsers ----------------------------------------------------------- */

/* LANDLOCK payload writer for the tests below. */
static void ll_payload(struct buf *o, uint32_t ver, uint32_t npaths, uint32_t nnets,
                       uint32_t reserved)
{
	buf_u32(o, ver);
	buf_u32(o, 1);
	buf_u64(o, 0x1fff);
	buf_u64(o, 0);
	buf_u64(o, 0);
	buf_u32(o, 0);
	buf_u32(o, npaths);
	buf_u32(o, nnets);
	buf_u32(o, reserved);
}

static void ll_path(struct buf *o, const char *p, size_t n)
{
	buf_u64(o, 3);
	buf_u32(o, 1);
	buf_u16(o, 0);
	buf_u16(o, (uint16_t)n);
	buf_bytes(o, p, n);
}

static int ll_try(const struct buf *o, char *err, size_t errlen)
{
	uint8_t *c = malloc(o->len ? o->len : 1);
	memcpy(c, o->p, o->len);
	struct art_section s = {.type = ART_SEC_LANDLOCK, .data = c, .length = (uint32_t)o->len};
	struct art_ll ll;
	int rc = art_ll_parse(&ll, &s, err, errlen);
	if (rc == 0) {
		/* The iterators stay inside the buffer and agree with the counts. */
		struct art_ll_path p;
		struct art_ll_net n;
		uint32_t np = 0, nn = 0;
		int r;
		while ((r = art_ll_next_path(&ll, &p)) == 1) {
			ck_assert((const uint8_t *)p.path >= c &&
			          (const uint8_t *)p.path + p.len <= c + o->len);
			np++;
		}
		ck_assert_int_eq(r, 0);
		while ((r = art_ll_next_net(&ll, &n)) == 1)
			nn++;
		ck_assert_int_eq(r, 0);
		ck_assert_uint_eq(np, ll.npaths);
		ck_assert_uint_eq(nn, ll.nnets);
	}
	free(c);
	return rc;
}

START_TEST(landlock_payload)
{
	char err[256];
	struct buf o = {0};
	ll_payload(&o, 1, 2, 1, 0);
	ll_path(&o, "/usr", 4);
	ll_path(&o, "/tmp/x", 6);
	buf_u64(&o, 1);
	buf_u32(&o, 3);
	buf_u16(&o, 443);
	buf_u16(&o, 0);
	ck_assert_msg(ll_try(&o, err, sizeof(err)) == 0, "%s", err);

	/* every truncation */
	size_t full = o.len;
	for (o.len = 0; o.len < full; o.len++)
		ck_assert_msg(ll_try(&o, err, sizeof(err)) == -1, "accepted at %zu", o.len);
	o.len = full;
	/* trailing bytes */
	buf_u8(&o, 0);
	ck_assert_int_eq(ll_try(&o, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "trailing"));
	buf_free(&o);

	/* version, reserved */
	ll_payload(&o, 2, 0, 0, 0);
	ck_assert_int_eq(ll_try(&o, err, sizeof(err)), -1);
	buf_free(&o);
	ll_payload(&o, 1, 0, 0, 0x80000000); /* reserved / unknown flag bit */
	ck_assert_int_eq(ll_try(&o, err, sizeof(err)), -1);
	buf_free(&o);

	/* malformed paths: empty, relative, NUL inside, too long, length past the end */
	static const char nul[] = "/a\0b";
	const struct {
		const char *p;
		size_t n;
	} bad[] = {{"", 0}, {"usr", 3}, {nul, 4}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ll_payload(&o, 1, 1, 0, 0);
		ll_path(&o, bad[i].p, bad[i].n);
		ck_assert_msg(ll_try(&o, err, sizeof(err)) == -1, "path %zu accepted", i);
		buf_free(&o);
	}
	char *longp = malloc(ART_LL_PATH_MAX + 2);
	memset(longp, 'a', ART_LL_PATH_MAX + 1);
	longp[0] = '/';
	ll_payload(&o, 1, 1, 0, 0);
	ll_path(&o, longp, ART_LL_PATH_MAX + 1);
	ck_assert_int_eq(ll_try(&o, err, sizeof(err)), -1);
	buf_free(&o);
	ll_payload(&o, 1, 1, 0, 0);
	ll_path(&o, longp, ART_LL_PATH_MAX);
	ck_assert_msg(ll_try(&o, err, sizeof(err)) == 0, "%s", err);
	buf_free(&o);
	free(longp);
	ll_payload(&o, 1, 1, 0, 0);
	ll_path(&o, "/usr", 4);
	o.p[o.len - 5] = 0xff; /* path_len 0xff04: past the end */
	ck_assert_int_eq(ll_try(&o, err, sizeof(err)), -1);
	buf_free(&o);

	/* counts larger than the entries present */
	ll_payload(&o, 1, 3, 0, 0);
	ll_path(&o, "/usr", 4);
	ck_assert_int_eq(ll_try(&o, err, sizeof(err)), -1);
	buf_free(&o);
	ll_payload(&o, 1, 0, 2, 0);
	buf_zero(&o, 16);
	ck_assert_int_eq(ll_try(&o, err, sizeof(err)), -1);
	buf_free(&o);
}
END_TEST

static int sc_try(const uint8_t *p, size_t len, uint32_t arch, char *err, size_t errlen)
{
	uint8_t *c = malloc(len ? len : 1);
	memcpy(c, p, len);
	struct art_section s = {.type = ART_SEC_SECCOMP, .arch = arch, .data = c, .length = (uint32_t)len};
	struct art_sc sc;
	int rc = art_sc_parse(&sc, &s, err, errlen);
	if (rc == 0) {
		ck_assert(sc.insns >= c && sc.insns + (size_t)sc.ninsns * 8 <= c + len);
		ck_assert(sc.map >= c && sc.map + (size_t)sc.nmap * 8 <= c + len);
		for (uint32_t i = 0; i <= sc.ninsns; i++) {
			art_sc_insn(&sc, i);
			art_sc_rule(&sc, i);
		}
	}
	free(c);
	return rc;
}

START_TEST(seccomp_payload)
{
	const uint32_t arch = 0xc000003e;
	uint8_t p[12 + 3 * 8 + 4 + 2 * 8] = {0};
	put32(p, arch);
	put32(p + 8, 3);
	put32(p + 36, 2);
	char err[256];
	ck_assert_msg(sc_try(p, sizeof(p), arch, err, sizeof(err)) == 0, "%s", err);
	for (size_t n = 0; n < sizeof(p); n++)
		ck_assert_msg(sc_try(p, n, arch, err, sizeof(err)) == -1, "accepted at %zu", n);
	ck_assert_int_eq(sc_try(p, sizeof(p), 0x40000003, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "arch"));

	uint8_t q[sizeof(p) + 8];
	memcpy(q, p, sizeof(p));
	memset(q + sizeof(p), 0, 8);
	ck_assert_int_eq(sc_try(q, sizeof(q), arch, err, sizeof(err)), -1); /* trailing */

	const uint32_t counts[] = {0, 4, 4097, 0x20000000, 0xffffffff};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		memcpy(q, p, sizeof(p));
		put32(q + 8, counts[i]);
		ck_assert_msg(sc_try(q, sizeof(p), arch, err, sizeof(err)) == -1, "ninsns %u",
		              counts[i]);
	}
	const uint32_t maps[] = {3, 4, 0x20000000, 0xffffffff};
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		memcpy(q, p, sizeof(p));
		put32(q + 36, maps[i]);
		ck_assert_msg(sc_try(q, sizeof(p), arch, err, sizeof(err)) == -1, "nmap %u", maps[i]);
	}
}
END_TEST

START_TEST(process_payload)
{
	uint8_t p[ART_PROC_SIZE + 8] = {0};
	put32(p, ART_PROC_VERSION);
	p[8] = 1 << 2; /* keep capability 2 */
	struct art_section s = {.type = ART_SEC_PROCESS, .data = p, .length = ART_PROC_SIZE};
	struct art_proc pr;
	char err[256];
	ck_assert_msg(art_proc_parse(&pr, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(pr.caps_keep, 1u << 2);
	for (s.length = 0; s.length < ART_PROC_SIZE; s.length++)
		ck_assert_int_eq(art_proc_parse(&pr, &s, err, sizeof(err)), -1);
	s.length = ART_PROC_SIZE + 1; /* trailing byte */
	ck_assert_int_eq(art_proc_parse(&pr, &s, err, sizeof(err)), -1);
	s.length = ART_PROC_SIZE;
	put32(p, 2);
	ck_assert_int_eq(art_proc_parse(&pr, &s, err, sizeof(err)), -1);
	put32(p, ART_PROC_VERSION);
	put32(p + 4, 0x80000000);
	ck_assert_int_eq(art_proc_parse(&pr, &s, err, sizeof(err)), -1);
}
END_TEST

START_TEST(meta_payload)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
#define S(x) {x, sizeof(x) - 1}
	        S(""),   S("[]"), S("\"x\""), S("{"), S("{\"name\":\"a\",\"name\":\"b\"}"),
	        S("{}{}"), S("{}\0"), S("{\"name\":\"\xff\"}"),
#undef S
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tsec t[] = {{ART_SEC_META, 0, bad[i].s, bad[i].n}};
		struct buf b = {0};
		layout(&b, t, 1);
		struct art a;
		struct meta m;
		char err[256];
		ck_assert_int_eq(art_parse(&a, b.p, b.len, err, sizeof(err)), 0);
		ck_assert_msg(meta_parse(&m, &a, err, sizeof(err)) == -1, "case %zu accepted", i);
		buf_free(&b);
	}
	/* Wrong types in the right places are ignored, not trusted. */
	const char *odd = "{\"name\":7,\"rules\":[{\"id\":\"x\"},{\"id\":-1},{\"id\":4294967296},"
	                  "{\"id\":2,\"file\":3,\"line\":\"no\"},17]}";
	struct tsec t[] = {{ART_SEC_META, 0, odd, strlen(odd)}};
	struct buf b = {0};
	layout(&b, t, 1);
	struct art a;
	struct meta m;
	char err[256];
	ck_assert_int_eq(art_parse(&a, b.p, b.len, err, sizeof(err)), 0);
	ck_assert_msg(meta_parse(&m, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_null(m.name);
	ck_assert_uint_eq(m.nrules, 1);
	ck_assert_ptr_nonnull(meta_rule(&m, 2));
	ck_assert_ptr_null(meta_rule(&m, 2)->file);
	meta_free(&m);
	buf_free(&b);
}
END_TEST

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	Suite *s = suite_create("art");
	TCase *tc = tcase_create("reader");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, valid_compiled);
	tcase_add_test(tc, valid_hand_built);
	tcase_add_test(tc, truncated_every_length);
	tcase_add_test(tc, bad_magic);
	tcase_add_test(tc, header_fields);
	tcase_add_test(tc, section_count);
	tcase_add_test(tc, section_table_tricks);
	tcase_add_test(tc, padding_trailing_hash);
	tcase_add_test(tc, duplicate_sections);
	tcase_add_test(tc, every_byte_flip);
	tcase_add_test(tc, no_large_allocation);
	tcase_add_test(tc, landlock_payload);
	tcase_add_test(tc, seccomp_payload);
	tcase_add_test(tc, process_payload);
	tcase_add_test(tc, meta_payload);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
