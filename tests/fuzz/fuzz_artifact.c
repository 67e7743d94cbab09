/* fuzz_artifact.c — libFuzzer target: arbitrary bytes into the artifact
 * reader (art_parse), the metadata parser and every section payload parser
 * with their iterators.
 *
 * Section hashes make random payloads unreachable through art_parse, so
 * each input is also parsed a second time with the header's total size and
 * every in-range section hash fixed up, and the raw bytes are fed to each
 * payload parser directly.  Oracles: whatever parses lies inside the input. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "art.h"
#include "backend.h"
#include "nt.h"

/* The compiler objects linked into fuzz builds use main.c's flag. */
int polc_verbose __attribute__((weak));

static const uint8_t *lo, *hi; /* the buffer being parsed */

static void inside(const void *p, size_t n)
{
	const uint8_t *b = p;
	if (n && (!b || b < lo || b > hi || n > (size_t)(hi - b)))
		abort();
}

static void payloads(const struct art_section *s)
{
	char err[256];
	struct art_ll ll;
	if (art_ll_parse(&ll, s, err, sizeof(err)) == 0) {
		struct art_ll_path p;
		struct art_ll_net n;
		uint32_t np = 0, nn = 0;
		int r;
		while ((r = art_ll_next_path(&ll, &p)) == 1) {
			inside(p.path, p.len);
			if (p.len == 0 || p.path[0] != '/' || memchr(p.path, 0, p.len))
				abort();
			np++;
		}
		if (r != 0 || np != ll.npaths)
			abort(); /* validated once, the iterator must agree */
		while ((r = art_ll_next_net(&ll, &n)) == 1)
			nn++;
		if (r != 0 || nn != ll.nnets)
			abort();
	}
	struct art_sc sc;
	if (art_sc_parse(&sc, s, err, sizeof(err)) == 0) {
		inside(sc.insns, (size_t)sc.ninsns * 8);
		inside(sc.map, (size_t)sc.nmap * 8);
		for (uint32_t i = 0; i <= sc.ninsns; i++) {
			art_sc_insn(&sc, i);
			if (i < 64)
				art_sc_rule(&sc, i);
		}
	}
	struct art_proc pr;
	art_proc_parse(&pr, s, err, sizeof(err));
	struct nt nt;
	nt_open(&nt, s->data, s->length, err, sizeof(err));
}

static void container(const uint8_t *b, size_t len)
{
	struct art a;
	char err[256];
	lo = b;
	hi = b + len;
	if (art_parse(&a, b, len, err, sizeof(err)) != 0)
		return;
	if (a.nsections == 0 || a.nsections > ART_MAX_SECTIONS)
		abort();
	for (uint32_t i = 0; i < a.nsections; i++) {
		const struct art_section *s = &a.sec[i];
		inside(s->data, s->length);
		if (s->offset % ART_ALIGN)
			abort();
		payloads(s);
	}
	struct meta m;
	if (meta_parse(&m, &a, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < m.nrules && i < 64; i++)
			meta_rule(&m, m.rules[i].id);
		meta_free(&m);
	}
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	container(data, size);

	/* the same bytes with the sums fixed up */
	if (size >= ART_HEADER_SIZE) {
		uint8_t *c = malloc(size);
		if (!c)
			abort();
		memcpy(c, data, size);
		uint32_t n = get32(c + 16), total = (uint32_t)size;
		memcpy(c + 24, (uint8_t[4]){(uint8_t)total, (uint8_t)(total >> 8),
		                            (uint8_t)(total >> 16), (uint8_t)(total >> 24)},
		       4);
		for (uint32_t i = 0; i < n && i < ART_MAX_SECTIONS; i++) {
			size_t e = ART_HEADER_SIZE + (size_t)i * ART_SECTION_ENTRY_SIZE;
			if (e + ART_SECTION_ENTRY_SIZE > size)
				break;
			uint32_t off = get32(c + e + 8), len = get32(c + e + 12);
			if (off <= size && len <= size - off)
				crypto_hash_sha256(c + e + 16, c + off, len);
		}
		container(c, size);
		free(c);
	}

	/* the raw bytes as each kind of payload (seccomp: arch from the data) */
	lo = data;
	hi = data + size;
	struct art_section s = {.data = data, .length = (uint32_t)size};
	s.type = ART_SEC_LANDLOCK;
	payloads(&s);
	s.type = ART_SEC_SECCOMP;
	s.arch = size >= 4 ? get32(data) : 0;
	payloads(&s);
	return 0;
}
