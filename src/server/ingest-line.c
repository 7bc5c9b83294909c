/*
 * ingest-line.c - see ingest-line.h.
 *
 * Every event a device uploads passes through here, so it must be fast:
 * yajl's event parser reads the line once, without building a tree (about
 * nine times faster than parsing it with jansson and writing it again, on
 * the sensor's EVE lines), and validates it as it goes (JSON syntax, UTF-8
 * in strings, no comments, nothing after the object; "\u0000" is allowed,
 * as Suricata writes it for NUL bytes seen on the wire).  What yajl lets
 * through but JSON does not is refused (form feeds and vertical tabs as
 * blanks, an unfinished token after the object), and so is what the
 * server's later stages (jansson) and PostgreSQL cannot read: numbers
 * beyond 64-bit integers or doubles, escapes of half a surrogate pair.
 *
 * The event is then written as slices of the line itself: while parsing,
 * the byte offset after each member of the top-level object (yajl's count
 * of bytes consumed, which it updates before each callback) marks where
 * the member ends; the next one starts after it, past the comma.  Members
 * are copied unless they are "tenant" or "host", and the server's are
 * appended.  Nesting is counted, not recursed: yajl keeps its own stack on
 * the heap, and a line is at most the batch's size.
 */
#include "ingest-line.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "srv-time.h"
#include "../lib/util.h"

enum key_kind {
	KEY_OTHER,
	KEY_TYPE,
	KEY_TIME,
	KEY_DROP,      /* "tenant", "host": the server sets them */
};

struct walk {
	yajl_handle h;
	const char *s;
	int depth;                 /* 1: inside the top-level object */
	bool not_object;
	size_t obj_end;            /* offset after the top-level object's '}' */
	size_t member_start;       /* offset where the current member starts */
	enum key_kind key;
	/* kept members, as offsets into s: start and end of each */
	size_t (*keep)[2];
	size_t nkeep, capkeep;
	bool nomem;
	/* what was found */
	int type_state;            /* 0 absent, 1 good, -1 bad */
	int time_state;
	bool bad_number;
	struct ingest_event_info *info;
};

static size_t here(struct walk *w)
{
	return yajl_get_bytes_consumed(w->h);
}

/* The member that started at member_start ends here. */
static int member_end(struct walk *w)
{
	size_t end = here(w);
	if (w->key != KEY_DROP) {
		if (w->nkeep == w->capkeep) {
			size_t cap = w->capkeep ? 2 * w->capkeep : 32;
			size_t (*k)[2] = realloc(w->keep, cap * sizeof(*k));
			if (!k) {
				w->nomem = true;
				return 0;
			}
			w->keep = k;
			w->capkeep = cap;
		}
		/* from the key's opening quote: past the comma and blanks before it */
		size_t start = w->member_start;
		while (start < end && w->s[start] != '"')
			start++;
		w->keep[w->nkeep][0] = start;
		w->keep[w->nkeep][1] = end;
		w->nkeep++;
	}
	w->member_start = end;
	return 1;
}

/* A scalar value: at depth 1 it ends a member; at depth 0 the line is not
 * an object. */
static int scalar(struct walk *w)
{
	if (w->depth == 0) {
		w->not_object = true;
		return 0;
	}
	if (w->depth > 1)
		return 1;
	if (w->key == KEY_TYPE)
		w->type_state = -1;
	else if (w->key == KEY_TIME)
		w->time_state = -1;
	return member_end(w);
}

static int on_null(void *ctx)
{
	return scalar(ctx);
}

static int on_bool(void *ctx, int b)
{
	return scalar(ctx);
}

/* A number that a reader with 64-bit integers and doubles cannot hold
 * (jansson, which the server's own later stages read events with). */
static bool number_out_of_range(const char *s, size_t len)
{
	char buf[512];
	char *end;
	if (len >= sizeof(buf))
		return true;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	if (!memchr(s, '.', len) && !memchr(s, 'e', len) && !memchr(s, 'E', len)) {
		(void)strtoll(buf, &end, 10);
		return errno == ERANGE;
	}
	double d = strtod(buf, &end);
	return errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct walk *w = ctx;
	if (number_out_of_range(s, len))
		w->bad_number = true;
	return scalar(ctx);
}

static bool type_ok(const unsigned char *s, size_t n)
{
	if (!n || n > INGEST_TYPE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct walk *w = ctx;
	if (w->depth != 1)
		return scalar(w);
	if (w->key == KEY_TYPE) {
		w->type_state = type_ok(s, len) ? 1 : -1;
		if (w->type_state > 0) {
			memcpy(w->info->type, s, len);
			w->info->type[len] = '\0';
		}
	} else if (w->key == KEY_TIME) {
		w->time_state = srv_time_parse((const char *)s, len, &w->info->ts_us) == 0 ? 1 : -1;
	}
	return member_end(w);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct walk *w = ctx;
	if (w->depth != 1)
		return 1;
	w->key = KEY_OTHER;
	if (len == 10 && !memcmp(s, "event_type", 10))
		w->key = KEY_TYPE;
	else if (len == 9 && !memcmp(s, "timestamp", 9))
		w->key = KEY_TIME;
	else if ((len == 6 && !memcmp(s, "tenant", 6)) || (len == 4 && !memcmp(s, "host", 4)))
		w->key = KEY_DROP;
	return 1;
}

static int on_start(struct walk *w, bool map)
{
	if (w->depth == 0) {
		if (!map) {
			w->not_object = true;
			return 0;
		}
		w->member_start = here(w);
	} else if (w->depth == 1) {
		/* a container value of a top-level member */
		if (w->key == KEY_TYPE)
			w->type_state = -1;
		else if (w->key == KEY_TIME)
			w->time_state = -1;
	}
	w->depth++;
	return 1;
}

static int on_end(struct walk *w)
{
	w->depth--;
	if (w->depth == 1)
		return member_end(w);
	if (w->depth == 0)
		w->obj_end = here(w);
	return 1;
}

/* Offset of the first byte after the object that is not a blank, or len.
 * (yajl takes an unfinished token after the value, such as `"abc`, for
 * the start of more input and does not call it trailing garbage.) */
static size_t after_object(const struct walk *w, size_t len)
{
	size_t i = w->obj_end;
	while (i < len && (w->s[i] == ' ' || w->s[i] == '\t' || w->s[i] == '\r' || w->s[i] == '\n'))
		i++;
	return i;
}

static int on_start_map(void *ctx)
{
	return on_start(ctx, true);
}

static int on_start_array(void *ctx)
{
	return on_start(ctx, false);
}

static int on_end_any(void *ctx)
{
	return on_end(ctx);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end_any,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_any,
};

static int hex4(const char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int h = ot_hexval((unsigned char)s[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/*
 * A "\uD800"-style escape of half a UTF-16 surrogate pair without its
 * other half: yajl reads it as '?', other readers refuse the whole line.
 * Called on a line yajl accepted, where every backslash starts an escape
 * inside a string, so the escapes can be walked without parsing.
 */
static bool lone_surrogate(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	while ((p = memchr(p, '\\', (size_t)(end - p)))) {
		if (end - p < 2)
			return false;
		if (p[1] != 'u' || end - p < 6) {
			p += 2;
			continue;
		}
		int v = hex4(p + 2);
		if (v >= 0xdc00 && v <= 0xdfff)
			return true;
		if (v >= 0xd800 && v <= 0xdbff) {
			int lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return true;
			p += 12;
			continue;
		}
		p += 6;
	}
	return false;
}

static int put(struct ingest_buf *out, const char *s, size_t n)
{
	if (out->len + n > out->cap) {
		size_t cap = OT_MAX(out->len + n, 2 * out->cap);
		char *b = realloc(out->buf, cap);
		if (!b)
			return -1;
		out->buf = b;
		out->cap = cap;
	}
	memcpy(out->buf + out->len, s, n);
	out->len += n;
	return 0;
}

/* Write the object: its kept members, then the server's. */
static int write_event(const struct walk *w, const char *members, struct ingest_buf *out)
{
	size_t mark = out->len;
	int rc = put(out, "{", 1);
	for (size_t i = 0; i < w->nkeep && rc == 0; i++) {
		rc = put(out, w->s + w->keep[i][0], w->keep[i][1] - w->keep[i][0]);
		if (rc == 0)
			rc = put(out, ",", 1);
	}
	if (rc == 0)
		rc = put(out, members, strlen(members));
	if (rc == 0)
		rc = put(out, "}", 1);
	if (rc < 0)
		out->len = mark;
	return rc;
}

int ingest_line(const char *s, size_t len, const char *members, struct ingest_buf *out,
		struct ingest_event_info *info, char *err, size_t errlen)
{
	struct walk w = { .s = s, .info = info };
	const char *ff;
	int rc = 1;

	if (!len) {
		snprintf(err, errlen, "empty line");
		return 1;
	}
	w.h = yajl_alloc(&callbacks, NULL, &w);
	if (!w.h)
		return -1;
	yajl_status st = yajl_parse(w.h, (const unsigned char *)s, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(w.h);
	if (w.nomem) {
		rc = -1;
	} else if (w.not_object) {
		snprintf(err, errlen, "not a JSON object");
	} else if (st != yajl_status_ok) {
		snprintf(err, errlen, "not JSON (at byte %zu)", OT_MIN(here(&w) + 1, len));
	} else if (after_object(&w, len) < len) {
		snprintf(err, errlen, "not JSON (at byte %zu)", after_object(&w, len) + 1);
	} else if ((ff = memchr(s, '\f', len)) || (ff = memchr(s, '\v', len))) {
		/* yajl takes them for blanks; JSON does not, and they cannot be
		 * inside a string yajl accepted */
		snprintf(err, errlen, "not JSON (at byte %zu)", (size_t)(ff - s) + 1);
	} else if (w.bad_number) {
		snprintf(err, errlen, "a number is out of range (64-bit integers, doubles)");
	} else if (lone_surrogate(s, len)) {
		snprintf(err, errlen, "a string holds half a UTF-16 surrogate pair");
	} else if (w.type_state <= 0) {
		snprintf(err, errlen, "%s", w.type_state ? "'event_type' must be a name of 1-64 "
			 "letters, digits, '_', '.' or '-'" : "no 'event_type'");
	} else if (w.time_state <= 0) {
		snprintf(err, errlen, "%s", w.time_state ? "'timestamp' is not an RFC 3339 time"
			 : "no 'timestamp'");
	} else {
		rc = write_event(&w, members, out) < 0 ? -1 : 0;
	}
	yajl_free(w.h);
	free(w.keep);
	return rc;
}
