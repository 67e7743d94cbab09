/* artfile.c — see artfile.h. */
#include "artfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *read_small_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	int e = 0;
	if (fstat(fd, &st) < 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	else if ((uint64_t)st.st_size > max)
		e = EFBIG;
	if (e) {
		close(fd);
		errno = e;
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *p = malloc(cap);
	if (!p) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	/* Read at most what fstat promised plus detection of growth. */
	for (;;) {
		ssize_t r = read(fd, p + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			free(p);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap - 1) {
			char extra;
			ssize_t more = read(fd, &extra, 1);
			if (more > 0) {
				free(p);
				close(fd);
				errno = EFBIG;
				return NULL;
			}
			break;
		}
	}
	close(fd);
	p[n] = '\0';
	*len = n;
	return p;
}

int artfile_open(struct artfile *f, const char *path, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->buf = (uint8_t *)read_small_file(path, ART_MAX_SIZE, &f->len);
	if (!f->buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char why[256];
	if (art_parse(&f->art, f->buf, f->len, why, sizeof(why)) < 0 ||
	    meta_parse(&f->meta, &f->art, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		free(f->buf);
		f->buf = NULL;
		return -1;
	}
	return 0;
}

void artfile_free(struct artfile *f)
{
	meta_free(&f->meta);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}
