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

/* Syscall number on an arch, or -1 if the arch has no such syscall. */
int sysc_resolve(const struct sysc_arch *arch, const char *name);
/* Name for a number on an arch, or NULL.  Owned by a static cache. */
const char *sysc_name(const struct sysc_arch *arch, int nr);
/* True if the name is a syscall on at least one handled arch (or the
 * extra ABIs x32/i386). */
bool sysc_known(const char *name);

/* True if the kernel ABI defines argument `index` of `syscall` as a 32-bit
 * type (int, unsigned int...): such arguments must be compared on their low
 * 32 bits only, or a value with junk in the upper word slips past a rule
 * (socket(0x100000028, ...) is AF_VSOCK to the kernel). */
bool sysc_arg_is32(const char *syscall, unsigned index);

#endif
