/* consts.h — symbolic constants usable as syscall argument values
 * (consts.def): the kernel's numbers, identical on every handled arch. */
#ifndef POLC_CONSTS_H
#define POLC_CONSTS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct consts_entry {
	const char *name;
	uint64_t value;
};

/* Looks up a constant by its exact (case-sensitive) name.  Returns 0 and
 * sets *value, or -1 if unknown. */
int consts_lookup(const char *name, uint64_t *value);

/* A value as policies and test files write it: terms joined by '|'
 * (SOCK_STREAM|SOCK_CLOEXEC), ORed; a term is an integer (decimal, 0x
 * hex, 0o octal, 0b binary, '-' for two's complement; a leading 0 alone
 * is refused as ambiguous) or a constant from consts.def. */
bool consts_parse_value(const char *s, uint64_t *out);

/* The whole table (static storage), in consts.def order; *n gets its size. */
const struct consts_entry *consts_table(size_t *n);

#endif
