/* subject.c — see subject.h. */
#include "subject.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artfile.h"

bool subject_is_artifact(const char *path)
{
	char magic[ART_MAGIC_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == (ssize_t)sizeof(magic) && memcmp(magic, ART_MAGIC, ART_MAGIC_LEN) == 0;
}

int subject_open(struct subject *s, struct load_ctx *lc, const char *path, bool compile,
                 char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
	err[0] = '\0';
	if (subject_is_artifact(path)) {
		struct artfile f;
		if (artfile_open(&f, path, err, errlen) < 0)
			return -1;
		s->is_artifact = true;
		s->bytes = f.buf;
		s->len = f.len;
		s->art = f.art;
		s->meta = f.meta;
		s->have_art = true;
		return 0;
	}
	char *paths[1] = {(char *)path};
	s->p = load_inputs(lc, paths, 1);
	if (!s->p)
		return -1;
	if (!compile)
		return 0;
	struct buf out = {0};
	if (polc_compile(s->p, lc->d, &out) < 0) {
		buf_free(&out);
		return -1;
	}
	s->bytes = out.p;
	s->len = out.len;
	char why[256];
	if (art_parse(&s->art, s->bytes, s->len, why, sizeof(why)) < 0 ||
	    meta_parse(&s->meta, &s->art, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: compiled artifact does not read back: %s", path, why);
		subject_free(s);
		return -1;
	}
	s->have_art = true;
	return 0;
}

void subject_free(struct subject *s)
{
	if (s->have_art)
		meta_free(&s->meta);
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}
