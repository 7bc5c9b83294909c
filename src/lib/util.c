/*
 * util.c - see util.h.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char *put_digits(char *o, unsigned long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + width;
}

/* Formatting is on the hot path (every event), so no printf: the broken-down
 * date of the last second seen is kept per thread. */
void ot_time_fmt(const struct timeval *tv, char *buf, size_t len)
{
	static __thread time_t cached_sec = -1;
	static __thread char cached[20];   /* "YYYY-MM-DDTHH:MM:SS" */
	if (len < 32) {
		if (len)
			buf[0] = '\0';
		return;
	}
	if (tv->tv_sec != cached_sec) {
		struct tm tm;
		time_t t = tv->tv_sec;
		if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
			memset(&tm, 0, sizeof(tm));
		char *o = cached;
		o = put_digits(o, (unsigned long)tm.tm_year + 1900, 4);
		*o++ = '-';
		o = put_digits(o, (unsigned long)tm.tm_mon + 1, 2);
		*o++ = '-';
		o = put_digits(o, (unsigned long)tm.tm_mday, 2);
		*o++ = 'T';
		o = put_digits(o, (unsigned long)tm.tm_hour, 2);
		*o++ = ':';
		o = put_digits(o, (unsigned long)tm.tm_min, 2);
		*o++ = ':';
		put_digits(o, (unsigned long)tm.tm_sec, 2);
		cached_sec = tv->tv_sec;
	}
	memcpy(buf, cached, 19);
	char *o = buf + 19;
	*o++ = '.';
	o = put_digits(o, (unsigned long)tv->tv_usec % 1000000, 6);
	memcpy(o, "+0000", 6);
}

size_t ot_strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);
	if (len) {
		size_t c = n < len - 1 ? n : len - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int ot_parse_u64(const char *s, uint64_t min, uint64_t max, bool allow_suffix, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	while (*end == ' ')
		end++;
	if (*end && allow_suffix) {
		uint64_t mul;
		if (!strcasecmp(end, "k") || !strcasecmp(end, "kb") || !strcasecmp(end, "kib"))
			mul = 1024ULL;
		else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb") || !strcasecmp(end, "mib"))
			mul = 1024ULL * 1024;
		else if (!strcasecmp(end, "g") || !strcasecmp(end, "gb") || !strcasecmp(end, "gib"))
			mul = 1024ULL * 1024 * 1024;
		else
			return -1;
		if (v > UINT64_MAX / mul)
			return -1;
		v *= mul;
	} else if (*end) {
		return -1;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int ot_parse_bool(const char *s)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	if (!s)
		return -1;
	for (size_t i = 0; i < OT_ARRAY_LEN(yes); i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	return -1;
}

int ot_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;
	int err = 0;
	*buf = NULL;
	*len = 0;
	if (!f)
		return -1;
	for (;;) {
		if (cap - n < 65536) {
			if (cap > max) {
				err = EFBIG;
				break;
			}
			size_t nc = cap ? cap * 2 : 1 << 16;
			char *p = realloc(b, nc + 1);
			if (!p) {
				err = ENOMEM;
				break;
			}
			b = p;
			cap = nc;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = EIO;
			break;
		}
	}
	fclose(f);
	if (!err && n > max)
		err = EFBIG;
	if (err) {
		free(b);
		errno = err;
		return -1;
	}
	if (!b && !(b = malloc(1))) {
		errno = ENOMEM;
		return -1;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

void *ot_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : first;
	void *k = realloc(arr, nc * elem);
	if (k)
		*cap = nc;
	return k;
}
