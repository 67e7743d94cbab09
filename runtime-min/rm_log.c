/* rm_log.c — see rm_log.h. */
#include "rm_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int rm_log_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		snprintf(err, errlen, "--log %s: %s", path, strerror(errno));
	return fd;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
	             : (s[0] & 0xf8) == 0xf0                ? 4
	                                                   : 0;
	if (!len || len > n)
		return 0;
	unsigned cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

struct line {
	char b[8192];
	size_t n;
	int full;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->full || n > sizeof(l->b) - 8 - l->n) {
		l->full = 1;
		return;
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void put_str(struct line *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	put(l, "\"", 1);
	while (n) {
		size_t k = utf8_len(p, n);
		char esc[8];
		if (k == 1 && (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(l, esc, 6);
		} else if (k)
			put(l, (const char *)p, k);
		else
			put(l, "\\ufffd", 6);
		p += k ? k : 1;
		n -= k ? k : 1;
	}
	put(l, "\"", 1);
}

int rm_log(int fd, const char *event, ...)
{
	if (fd < 0)
		return 0;
	struct line l = {.n = 0};
	struct timespec ts;
	struct tm tm;
	char t[64];
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm))
		return -1;
	size_t tn = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + tn, sizeof(t) - tn, ".%03ldZ", ts.tv_nsec / 1000000);
	put(&l, "{\"time\":", 8);
	put_str(&l, t);
	put(&l, ",\"event\":", 9);
	put_str(&l, event);
	va_list ap;
	va_start(ap, event);
	for (const char *k; (k = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		put(&l, ",", 1);
		put_str(&l, k);
		put(&l, ":", 1);
		put_str(&l, v ? v : "");
	}
	va_end(ap);
	if (l.full) {
		/* Never write a partial object: say that the event was too long. */
		l.n = 0;
		l.full = 0;
		put(&l, "{\"time\":", 8);
		put_str(&l, t);
		put(&l, ",\"event\":", 9);
		put_str(&l, event);
		put(&l, ",\"truncated\":true", 17);
	}
	put(&l, "}\n", 2);
	ssize_t w = write(fd, l.b, l.n);
	if (w != (ssize_t)l.n) {
		if (w >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
