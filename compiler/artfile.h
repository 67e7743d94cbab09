/* artfile.h — load an artifact file for the reading commands. */
#ifndef POLC_ARTFILE_H
#define POLC_ARTFILE_H

#include "art.h"
#include "backend.h"

struct artfile {
	uint8_t *buf;
	size_t len;
	struct art art;
	struct meta meta;
};

/* Reads and parses path (size-limited, bounds-checked).  Returns 0, or -1
 * with a one-line reason in err.  Release with artfile_free(). */
int artfile_open(struct artfile *f, const char *path, char *err, size_t errlen);
void artfile_free(struct artfile *f);

/* Reads a whole small file (keys, signatures) into a malloc'd, NUL-
 * terminated buffer; NULL with errno set. */
char *read_small_file(const char *path, size_t max, size_t *len);

#endif
