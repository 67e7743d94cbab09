/* sysc.h — syscall names and numbers per architecture, through libseccomp.
 * No syscall table is written by hand: names resolve with libseccomp. */
#ifndef POLC_SYSC_H
#define POLC_SYSC_H

#include <stdbool.h>
#include <stdint.h>

/* Architectures polc compiles a program for. */
struct sysc_arch {
	const char *name;       /* "x86_64" */
	uint32_t audit_arch;    /* AUDIT_ARCH_X86_64 */
	uint32_t scmp_token;    /* SCMP_ARCH_X86_64 */
};

/* The handled architectures (native first); *n gets the count. */
const struct sysc_arch *sysc_arches(int *n);
const struct sysc_arch *sysc_arch_by_name(const char *name);
const struct sysc_arch *sysc_arch_by_audit(uint32_t audit_arch);

/* Syscall number on an arch (or extra ABI), or -1 if it has no such
 * syscall.  Both directions come from one table read from libseccomp, so
 * sysc_name(a, sysc_resolve(a, n)) == n always. */
int sysc_resolve(const struct sysc_arch *arch, const char *name);
/* Name for a number on an arch, or NULL.  Owned by a static cache. */
const char *sysc_name(const struct sysc_arch *arch, int nr);
/* x32 syscall numbers carry this bit (seccomp_data.nr, arch X86_64). */
#define SYSC_X32_BIT 0x40000000u

/* The ABIs a native arch's program also decides, besides its own:
 * x86_64 -> i386, x32; aarch64 -> arm.  NULL and *n = 0 if none. */
const struct sysc_arch *const *sysc_other_abis(const struct sysc_arch *native, int *n);
/* The native arch whose program decides abi (abi itself when native). */
const struct sysc_arch *sysc_host(const struct sysc_arch *abi);
/* Every syscall an ABI has, in number order: sysc_entry(abi, i, ...) for
 * 0 <= i < sysc_count(abi); returns 0, or -1 out of range.  Names are
 * owned by a process-wide table. */
int sysc_count(const struct sysc_arch *abi);
int sysc_entry(const struct sysc_arch *abi, int i, uint32_t *nr, const char **name);
/* Highest syscall number of abi that is below `below` (0 if none). */
uint32_t sysc_max_nr(const struct sysc_arch *abi, uint32_t below);

/* True if the name is a syscall on at least one handled arch (or the
 * extra ABIs x32/i386). */
bool sysc_known(const char *name);

/* True if the kernel ABI defines argument `index` of `syscall` as a 32-bit
 * type (int, unsigned int...): such arguments must be compared on their low
 * 32 bits only, or a value with junk in the upper word slips past a rule
 * (socket(0x100000028, ...) is AF_VSOCK to the kernel). */
bool sysc_arg_is32(const char *syscall, unsigned index);
/* Self-check for the table behind sysc_arg_is32 (unit tests). */
bool sysc_arg32_sorted(void);

#endif
