/* consts.c — symbolic argument constants; see consts.h and consts.def. */
#include "consts.h"

#include <ctype.h>
#include <stdint.h>
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

/* One value term: an integer (decimal, 0x hex, 0o octal, 0b binary, with
 * an optional '-' for two's complement) or a constant from consts.def. */
static bool parse_term(const char *s, size_t len, uint64_t *out)
{
	char buf[80];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (isalpha((unsigned char)buf[0]) || buf[0] == '_')
		return consts_lookup(buf, out) == 0;
	const char *p = buf;
	bool neg = *p == '-';
	if (neg)
		p++;
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		return false; /* 0755: octal or decimal?  Ask for 0o755. */
	if (!*p)
		return false;
	uint64_t v = 0;
	for (; *p; p++) {
		unsigned d;
		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			return false;
		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		v = (uint64_t)0 - v;
	}
	*out = v;
	return true;
}

bool consts_parse_value(const char *s, uint64_t *out)
{
	uint64_t acc = 0;
	const char *p = s;
	for (;;) {
		while (*p == ' ')
			p++;
		const char *e = strchr(p, '|');
		const char *end = e ? e : p + strlen(p);
		const char *t = end;
		while (t > p && t[-1] == ' ')
			t--;
		uint64_t v;
		if (!parse_term(p, (size_t)(t - p), &v))
			return false;
		acc |= v;
		if (!e)
			break;
		p = e + 1;
	}
	*out = acc;
	return true;
}
