/* fuzz_bpfsec.c — libFuzzer target: arbitrary bytes as a SECCOMP section
 * payload, through everything that reads one: decoding and the kernel
 * checks (bpf_from_section), then, for programs that pass, disassembly
 * (text and JSON), the interpreter, the action-cache emulation and the
 * symbolic path enumeration.  None may crash, read out of bounds or loop. */
#include <linux/audit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bpf.h"

int polc_verbose __attribute__((weak));

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	return 0;
}

static void count(const struct bpf_path *p, void *ctx)
{
	(void)p;
	(*(long *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The section's arch comes from its first word, so that both the
	 * matching and the mismatching case are reached. */
	uint32_t arch = size >= 4 ? (uint32_t)data[0] | (uint32_t)data[1] << 8 |
	                                    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24
	                          : 0;
	struct art_section s = {ART_SEC_SECCOMP, arch, 0, (uint32_t)size, {0}, data};
	struct bpf_prog pr;
	uint32_t got;
	char err[256];
	if (bpf_from_section(&s, &pr, &got, err, sizeof(err)) < 0)
		return 0;
	json_t *j = NULL;
	if (bpf_inspect(&s, NULL, devnull, &j, err, sizeof(err)) == 0)
		json_decref(j);
	static const uint32_t nrs[] = {0, 1, 41, 59, 435, 0x40000000, 0xffffffff};
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		struct bpf_data d = {nrs[i], got, 0, {0, 1, ~0ull, 0x100000028ull, 5, 6}};
		bpf_run(pr.insns, pr.n, &d, NULL, NULL);
		bpf_const_allow(pr.insns, pr.n, got, nrs[i]);
		long paths = 0;
		bpf_sym_paths(pr.insns, pr.n, got, nrs[i], 4096, count, &paths);
	}
	bpf_prog_free(&pr);
	return 0;
}
