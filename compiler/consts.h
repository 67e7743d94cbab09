/* consts.h — symbolic constants usable as syscall argument values
 * (consts.def): the kernel's numbers, identical on every handled arch. */
#ifndef POLC_CONSTS_H
#define POLC_CONSTS_H

#include <stddef.h>
#include <stdint.h>

struct consts_entry {
	const char *name;
	uint64_t value;
};

/* Looks up a constant by its exact (case-sensitive) name.  Returns 0 and
 * sets *value, or -1 if unknown. */
int consts_lookup(const char *name, uint64_t *value);

/* The whole table (static storage), in consts.def order; *n gets its size. */
const struct consts_entry *consts_table(size_t *n);

#endif
