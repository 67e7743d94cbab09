/* consts.c — symbolic argument constants; see consts.h and consts.def. */
#include "consts.h"

#include <string.h>

static const struct consts_entry table[] = {
#define CONST(n, v) {#n, (uint64_t)(v)},
#include "consts.def"
#undef CONST
};

int consts_lookup(const char *name, uint64_t *value)
{
	/* About two hundred entries: a linear scan is fast enough for a
	 * front end and keeps the table in its documented order. */
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0) {
			*value = table[i].value;
			return 0;
		}
	return -1;
}

const struct consts_entry *consts_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}
