/* art_read.c — bounds-checked reader for the artifact format (art.h).
 * Shared by runmin and polc: it must stay small, allocation-free and
 * paranoid about every length it reads. */
#include "art.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

const uint8_t *art_bytes(struct art_cur *c, size_t n)
{
	if (c->bad || n > c->left) {
		c->bad = 1;
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

uint8_t art_u8(struct art_cur *c)
{
	const uint8_t *p = art_bytes(c, 1);
	return p ? p[0] : 0;
}

uint16_t art_u16(struct art_cur *c)
{
	const uint8_t *p = art_bytes(c, 2);
	return p ? (uint16_t)(p[0] | (uint16_t)p[1] << 8) : 0;
}

uint32_t art_u32(struct art_cur *c)
{
	const uint8_t *p = art_bytes(c, 4);
	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
	         : 0;
}

uint64_t art_u64(struct art_cur *c)
{
	uint64_t lo = art_u32(c);
	uint64_t hi = art_u32(c);
	return lo | hi << 32;
}

const char *art_section_name(uint32_t type)
{
	switch (type) {
	case ART_SEC_META: return "meta";
	case ART_SEC_SECCOMP: return "seccomp";
	case ART_SEC_LANDLOCK: return "landlock";
	case ART_SEC_NETTABLE: return "nettable";
	case ART_SEC_PROCESS: return "process";
	}
	return "unknown";
}

static int parse(struct art *a, const uint8_t *buf, size_t len, bool hashes, char *err,
                 size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (len < ART_HEADER_SIZE)
		return fail(err, errlen, "truncated: %zu bytes is shorter than the header", len);
	if (len > ART_MAX_SIZE)
		return fail(err, errlen, "too large: %zu bytes (limit %u)", len, ART_MAX_SIZE);
	if (memcmp(buf, ART_MAGIC, ART_MAGIC_LEN) != 0)
		return fail(err, errlen, "not a polc artifact (bad magic)");

	struct art_cur c = {buf + ART_MAGIC_LEN, len - ART_MAGIC_LEN, 0};
	a->buf = buf;
	a->len = len;
	a->version = art_u16(&c);
	uint16_t hsize = art_u16(&c);
	a->flags = art_u32(&c);
	a->nsections = art_u32(&c);
	a->min_abi = art_u32(&c);
	uint32_t total = art_u32(&c);
	uint32_t reserved = art_u32(&c);
	if (a->version != ART_VERSION)
		return fail(err, errlen, "unsupported artifact version %u (this build reads %u)",
		            a->version, ART_VERSION);
	if (hsize != ART_HEADER_SIZE || a->flags != 0 || reserved != 0)
		return fail(err, errlen, "malformed header");
	if (total != len)
		return fail(err, errlen, "size mismatch: header says %u bytes, file has %zu%s", total,
		            len, total > len ? " (truncated)" : "");
	if (a->nsections == 0 || a->nsections > ART_MAX_SECTIONS)
		return fail(err, errlen, "bad section count %u", a->nsections);

	size_t table_end = ART_HEADER_SIZE + (size_t)a->nsections * ART_SECTION_ENTRY_SIZE;
	if (table_end > len)
		return fail(err, errlen, "truncated section table");

	size_t expect = (table_end + ART_ALIGN - 1) & ~(size_t)(ART_ALIGN - 1);
	for (uint32_t i = 0; i < a->nsections; i++) {
		struct art_section *s = &a->sec[i];
		s->type = art_u32(&c);
		s->arch = art_u32(&c);
		s->offset = art_u32(&c);
		s->length = art_u32(&c);
		const uint8_t *h = art_bytes(&c, 32);
		if (c.bad)
			return fail(err, errlen, "truncated section table");
		memcpy(s->sha256, h, 32);
		if (s->type < ART_SEC_META || s->type > ART_SEC_LAST)
			return fail(err, errlen, "section %u: unknown type %u", i, s->type);
		/* Sections must follow each other in order, with only the padding
		 * between them: no gaps to hide data, no overlaps. */
		if (s->offset != expect)
			return fail(err, errlen, "section %u (%s): bad offset %u", i,
			            art_section_name(s->type), s->offset);
		if (s->length > len - s->offset)
			return fail(err, errlen, "section %u (%s): truncated", i,
			            art_section_name(s->type));
		expect = ((size_t)s->offset + s->length + ART_ALIGN - 1) & ~(size_t)(ART_ALIGN - 1);
		if (expect > len)
			return fail(err, errlen, "section %u (%s): truncated padding", i,
			            art_section_name(s->type));
		for (size_t p = (size_t)s->offset + s->length; p < expect; p++)
			if (buf[p] != 0)
				return fail(err, errlen, "section %u: non-zero padding", i);
		s->data = buf + s->offset;

		uint8_t digest[crypto_hash_sha256_BYTES];
		if (hashes)
			crypto_hash_sha256(digest, s->data, s->length);
		if (hashes && sodium_memcmp(digest, s->sha256, sizeof(digest)) != 0)
			return fail(err, errlen, "section %u (%s): hash mismatch (corrupted)", i,
			            art_section_name(s->type));
		if (s->type != ART_SEC_SECCOMP && s->arch != 0)
			return fail(err, errlen, "section %u: arch set on a %s section", i,
			            art_section_name(s->type));
		/* arch 0 would match any arch in art_find(): never valid here. */
		if (s->type == ART_SEC_SECCOMP && s->arch == 0)
			return fail(err, errlen, "section %u: seccomp section without an arch", i);
		for (uint32_t j = 0; j < i; j++)
			if (a->sec[j].type == s->type && a->sec[j].arch == s->arch)
				return fail(err, errlen, "section %u: duplicate %s section", i,
				            art_section_name(s->type));
	}
	if (expect != len)
		return fail(err, errlen, "trailing bytes after the last section");
	if (!art_find(a, ART_SEC_META, 0))
		return fail(err, errlen, "missing metadata section");
	return 0;
}

int art_parse(struct art *a, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	return parse(a, buf, len, true, err, errlen);
}

int art_parse_signed(struct art *a, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	return parse(a, buf, len, false, err, errlen);
}

const struct art_section *art_find(const struct art *a, uint32_t type, uint32_t arch)
{
	for (uint32_t i = 0; i < a->nsections; i++)
		if (a->sec[i].type == type && (arch == 0 || a->sec[i].arch == arch))
			return &a->sec[i];
	return NULL;
}

int art_ll_parse(struct art_ll *ll, const struct art_section *s, char *err, size_t errlen)
{
	memset(ll, 0, sizeof(*ll));
	struct art_cur c = {s->data, s->length, 0};
	uint32_t ver = art_u32(&c);
	ll->min_abi = art_u32(&c);
	ll->handled_fs = art_u64(&c);
	ll->handled_net = art_u64(&c);
	ll->scoped = art_u64(&c);
	ll->restrict_flags = art_u32(&c);
	ll->npaths = art_u32(&c);
	ll->nnets = art_u32(&c);
	ll->flags = art_u32(&c);
	if (c.bad)
		return fail(err, errlen, "landlock section truncated");
	if (ver != ART_LL_VERSION)
		return fail(err, errlen, "landlock section: unsupported version %u", ver);
	if (ll->flags & ~ART_LL_F_KNOWN)
		return fail(err, errlen, "landlock section: unknown flags 0x%x", ll->flags);
	/* Walk once to validate every entry, so users of the iterators can
	 * rely on the counts. */
	ll->paths = c;
	for (uint32_t i = 0; i < ll->npaths; i++) {
		art_u64(&c);
		art_u32(&c);
		art_u16(&c);
		uint16_t n = art_u16(&c);
		const uint8_t *p = art_bytes(&c, n);
		if (c.bad)
			return fail(err, errlen, "landlock section: path rule %u truncated", i);
		if (n == 0 || n > ART_LL_PATH_MAX || p[0] != '/' || memchr(p, 0, n))
			return fail(err, errlen, "landlock section: path rule %u malformed", i);
	}
	ll->nets = c;
	for (uint32_t i = 0; i < ll->nnets; i++) {
		art_u64(&c);
		art_u32(&c);
		art_u16(&c);
		art_u16(&c);
		if (c.bad)
			return fail(err, errlen, "landlock section: net rule %u truncated", i);
	}
	if (c.left != 0)
		return fail(err, errlen, "landlock section: %zu trailing bytes", c.left);
	return 0;
}

int art_ll_next_path(struct art_ll *ll, struct art_ll_path *out)
{
	if (ll->next_path >= ll->npaths)
		return 0;
	ll->next_path++;
	out->access = art_u64(&ll->paths);
	out->rule_id = art_u32(&ll->paths);
	out->flags = art_u16(&ll->paths);
	out->len = art_u16(&ll->paths);
	out->path = (const char *)art_bytes(&ll->paths, out->len);
	return ll->paths.bad ? -1 : 1;
}

int art_ll_next_net(struct art_ll *ll, struct art_ll_net *out)
{
	if (ll->next_net >= ll->nnets)
		return 0;
	ll->next_net++;
	out->access = art_u64(&ll->nets);
	out->rule_id = art_u32(&ll->nets);
	out->port = art_u16(&ll->nets);
	art_u16(&ll->nets);
	return ll->nets.bad ? -1 : 1;
}

int art_proc_parse(struct art_proc *pr, const struct art_section *s, char *err, size_t errlen)
{
	memset(pr, 0, sizeof(*pr));
	struct art_cur c = {s->data, s->length, 0};
	uint32_t ver = art_u32(&c), flags = art_u32(&c);
	pr->caps_keep = art_u64(&c);
	if (c.bad || c.left != 0)
		return fail(err, errlen, "process section: %u bytes, want %u", s->length, ART_PROC_SIZE);
	if (ver != ART_PROC_VERSION || flags != 0)
		return fail(err, errlen, "process section: unsupported version %u or flags 0x%x", ver,
		            flags);
	return 0;
}

int art_sc_parse(struct art_sc *sc, const struct art_section *s, char *err, size_t errlen)
{
	memset(sc, 0, sizeof(*sc));
	struct art_cur c = {s->data, s->length, 0};
	sc->arch = art_u32(&c);
	sc->flags = art_u32(&c);
	sc->ninsns = art_u32(&c);
	if (c.bad)
		return fail(err, errlen, "seccomp section truncated");
	if (sc->arch != s->arch)
		return fail(err, errlen, "seccomp section: arch mismatch");
	if (sc->ninsns == 0 || sc->ninsns > 4096)
		return fail(err, errlen, "seccomp section: %u instructions (1..4096 allowed)",
		            sc->ninsns);
	sc->insns = art_bytes(&c, (size_t)sc->ninsns * 8);
	sc->nmap = art_u32(&c);
	if (c.bad || sc->nmap > sc->ninsns)
		return fail(err, errlen, "seccomp section truncated");
	sc->map = art_bytes(&c, (size_t)sc->nmap * 8);
	if (c.bad)
		return fail(err, errlen, "seccomp section truncated");
	if (c.left != 0)
		return fail(err, errlen, "seccomp section: %zu trailing bytes", c.left);
	return 0;
}

struct art_sc_insn art_sc_insn(const struct art_sc *sc, uint32_t i)
{
	struct art_sc_insn in = {0};
	if (i >= sc->ninsns)
		return in;
	struct art_cur c = {sc->insns + (size_t)i * 8, 8, 0};
	in.code = art_u16(&c);
	in.jt = art_u8(&c);
	in.jf = art_u8(&c);
	in.k = art_u32(&c);
	return in;
}

uint32_t art_sc_rule(const struct art_sc *sc, uint32_t i)
{
	struct art_cur c = {sc->map, (size_t)sc->nmap * 8, 0};
	for (uint32_t j = 0; j < sc->nmap; j++) {
		uint32_t idx = art_u32(&c), id = art_u32(&c);
		if (idx == i)
			return id;
	}
	return 0;
}
