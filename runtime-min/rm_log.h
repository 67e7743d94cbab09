/* rm_log.h — runmin's audit log (`--log FILE`): JSON Lines, one object per
 * event, each written with a single write() to a file opened O_APPEND, so
 * lines from concurrent writers never interleave. */
#ifndef POLC_RM_LOG_H
#define POLC_RM_LOG_H

#include <stddef.h>

/* Opens (creating it 0600 if needed) path for appending, close-on-exec.
 * Returns the descriptor, or -1 with a one-line reason in err. */
int rm_log_open(const char *path, char *err, size_t errlen);

/* Appends {"time":"<RFC 3339 UTC>","event":EVENT,KEY:VALUE,...}: the
 * arguments after event are key, value string pairs ending with NULL.
 * Values are escaped; invalid UTF-8 becomes U+FFFD.  Does nothing when
 * fd < 0.  Returns 0, or -1 (errno set) when the line could not be written
 * whole. */
int rm_log(int fd, const char *event, ...) __attribute__((sentinel));

#endif
