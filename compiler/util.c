/* util.c — output helpers shared by the commands (see cmd.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

int polc_verbose;

bool polc_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	return isatty(fileno(f));
}

void polc_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "polc %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void polc_print_diags(const struct diag_sink *d)
{
	diag_print(d, stderr, polc_color(stderr));
}

int polc_write_atomic(const char *path, const void *p, size_t n, unsigned mode)
{
	char dir[4096], tmp[4200];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(dir), strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	const unsigned char *c = p;
	size_t left = n;
	while (left) {
		ssize_t w = write(fd, c, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		c += w;
		left -= (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}
