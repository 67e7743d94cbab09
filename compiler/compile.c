/* compile.c — runs the backends and lays out the artifact container
 * (format in runtime-min/art.h).  Section order is fixed: meta, landlock,
 * nettable, process (only when capabilities are kept), then one seccomp
 * program per arch in sysc_arches() order. */
#include <sodium.h>
#include <string.h>

#include "backend.h"

struct out_section {
	uint32_t type, arch;
	struct buf data;
};

static void serialize(struct out_section *s, int n, uint32_t min_abi, struct buf *out)
{
	size_t off = ART_HEADER_SIZE + (size_t)n * ART_SECTION_ENTRY_SIZE;
	off = (off + ART_ALIGN - 1) & ~(size_t)(ART_ALIGN - 1);
	size_t total = off;
	for (int i = 0; i < n; i++)
		total += (s[i].data.len + ART_ALIGN - 1) & ~(size_t)(ART_ALIGN - 1);

	buf_bytes(out, ART_MAGIC, ART_MAGIC_LEN);
	buf_u16(out, ART_VERSION);
	buf_u16(out, ART_HEADER_SIZE);
	buf_u32(out, 0);
	buf_u32(out, (uint32_t)n);
	buf_u32(out, min_abi);
	buf_u32(out, (uint32_t)total);
	buf_u32(out, 0);
	for (int i = 0; i < n; i++) {
		uint8_t h[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(h, s[i].data.p ? s[i].data.p : (const uint8_t *)"", s[i].data.len);
		buf_u32(out, s[i].type);
		buf_u32(out, s[i].arch);
		buf_u32(out, (uint32_t)off);
		buf_u32(out, (uint32_t)s[i].data.len);
		buf_bytes(out, h, sizeof(h));
		off += (s[i].data.len + ART_ALIGN - 1) & ~(size_t)(ART_ALIGN - 1);
	}
	buf_zero(out, ((out->len + ART_ALIGN - 1) & ~(size_t)(ART_ALIGN - 1)) - out->len);
	for (int i = 0; i < n; i++) {
		buf_bytes(out, s[i].data.p, s[i].data.len);
		buf_zero(out, ((out->len + ART_ALIGN - 1) & ~(size_t)(ART_ALIGN - 1)) - out->len);
	}
}

int polc_compile(const struct ir_policy *p, struct diag_sink *d, struct buf *out)
{
	struct out_section sec[ART_MAX_SECTIONS];
	int n = 0, rc = 0;
	memset(sec, 0, sizeof(sec));
	uint32_t min_abi = 0;

	sec[n].type = ART_SEC_META;
	int meta_idx = n++;
	sec[n].type = ART_SEC_LANDLOCK;
	if (ll_build(p, d, &sec[n].data, &min_abi) < 0)
		rc = -1;
	n++;
	sec[n].type = ART_SEC_NETTABLE;
	if (nt_build(p, d, &sec[n].data) < 0)
		rc = -1;
	n++;
	if (p->proc.caps) {
		sec[n].type = ART_SEC_PROCESS;
		ll_proc_build(p, &sec[n].data);
		n++;
	}
	if (p->proc.present) {
		int na;
		const struct sysc_arch *arches = sysc_arches(&na);
		for (int i = 0; i < na && n < ART_MAX_SECTIONS; i++) {
			sec[n].type = ART_SEC_SECCOMP;
			sec[n].arch = arches[i].audit_arch;
			if (bpf_build(p, &arches[i], d, &sec[n].data) < 0)
				rc = -1;
			n++;
		}
	}
	meta_build(p, min_abi, &sec[meta_idx].data);
	if (rc == 0 && diag_errors(d) == 0)
		serialize(sec, n, min_abi, out);
	else
		rc = -1;
	for (int i = 0; i < n; i++)
		buf_free(&sec[i].data);
	return rc;
}
