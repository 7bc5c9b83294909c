/*
 * json.c - the EVE JSON writer (see json.h for why it looks like this).
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
	w->first[0] = true;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->oom = false;
	w->first[0] = true;
}

bool jw_ok(const struct jw *w)
{
	return !w->oom && w->depth == 0;
}

static bool reserve(struct jw *w, size_t more)
{
	if (w->oom)
		return false;
	if (w->len + more + 1 <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : 1024;
	while (cap < w->len + more + 1) {
		if (cap > SIZE_MAX / 2) {
			w->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *nb = realloc(w->buf, cap);
	if (!nb) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

void jw_append(struct jw *w, const void *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static inline void put1(struct jw *w, char c)
{
	if (!reserve(w, 1))
		return;
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

static void put_escaped(struct jw *w, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* worst case: every byte becomes "\\xNN" (5 bytes) or "\u00NN" (6) */
	if (n > (SIZE_MAX - 2) / 6 || !reserve(w, n * 6 + 2)) {
		w->oom = true;
		return;
	}
	char *o = w->buf + w->len;
	*o++ = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t l = utf8_len(s + i, n - i);
			if (l) {
				memcpy(o, s + i, l);
				o += l;
				i += l;
			} else {
				*o++ = '\\';
				*o++ = '\\';
				*o++ = 'x';
				*o++ = hex[c >> 4];
				*o++ = hex[c & 15];
				i++;
			}
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		i++;
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
	w->buf[w->len] = '\0';
}

/* Comma and "key": before a value.  Keys are the program's own constants
 * (ASCII names), so they are copied without escaping. */
static void member(struct jw *w, const char *key)
{
	size_t kl = key ? strlen(key) : 0;
	if (!reserve(w, kl + 4))
		return;
	char *o = w->buf + w->len;
	if (!w->first[w->depth])
		*o++ = ',';
	w->first[w->depth] = false;
	if (key) {
		*o++ = '"';
		memcpy(o, key, kl);
		o += kl;
		*o++ = '"';
		*o++ = ':';
	}
	w->len = (size_t)(o - w->buf);
	w->buf[w->len] = '\0';
}

static void open(struct jw *w, const char *key, char c)
{
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->oom = true;
		return;
	}
	member(w, key);
	put1(w, c);
	w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	if (w->depth <= 0) {
		w->oom = true;
		return;
	}
	put1(w, c);
	w->depth--;
}

void jw_obj_open(struct jw *w, const char *key) { open(w, key, '{'); }
void jw_obj_close(struct jw *w) { close_(w, '}'); }
void jw_arr_open(struct jw *w, const char *key) { open(w, key, '['); }
void jw_arr_close(struct jw *w) { close_(w, ']'); }

void jw_str(struct jw *w, const char *key, const char *s)
{
	if (!s)
		return;
	jw_strn(w, key, s, strlen(s));
}

void jw_strn(struct jw *w, const char *key, const void *s, size_t n)
{
	member(w, key);
	put_escaped(w, s, n);
}

void jw_hex(struct jw *w, const char *key, const void *s, size_t n, char sep)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;
	member(w, key);
	if (n > SIZE_MAX / 4 || !reserve(w, n * 3 + 2))
		return;
	char *o = w->buf + w->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (sep && i)
			*o++ = sep;
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 15];
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
	w->buf[w->len] = '\0';
}

void jw_uint(struct jw *w, const char *key, uint64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	member(w, key);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jw_append(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jw_int(struct jw *w, const char *key, int64_t v)
{
	if (v >= 0) {
		jw_uint(w, key, (uint64_t)v);
		return;
	}
	member(w, key);
	put1(w, '-');
	uint64_t u = (uint64_t)(-(v + 1)) + 1;
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	jw_append(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	member(w, key);
	if (v)
		jw_append(w, "true", 4);
	else
		jw_append(w, "false", 5);
}

void jw_double(struct jw *w, const char *key, double v)
{
	char tmp[40];
	member(w, key);
	if (!isfinite(v)) {
		jw_append(w, "null", 4);
		return;
	}
	int n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	/* use the shortest form that reads back as the same double */
	for (int prec = 1; prec < 17; prec++) {
		char t2[40];
		int m = snprintf(t2, sizeof(t2), "%.*g", prec, v);
		if (strtod(t2, NULL) == v) {
			memcpy(tmp, t2, (size_t)m + 1);
			n = m;
			break;
		}
	}
	jw_append(w, tmp, (size_t)n);
}

void jw_null(struct jw *w, const char *key)
{
	member(w, key);
	jw_append(w, "null", 4);
}

void jw_raw(struct jw *w, const char *key, const char *json, size_t n)
{
	member(w, key);
	jw_append(w, json, n);
}
