/*
 * ingest.c - see ingest.h.  zlib inflates (gzip members one after another,
 * as gzip itself allows), into a buffer that never grows past the limit;
 * each line is checked and written again by ingest-line.c, into one buffer
 * for the whole batch (no allocation per event).
 */
#include "ingest.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ingest-line.h"
#include "../lib/util.h"

__attribute__((format(printf, 2, 3)))
static void set_why(struct ingest_result *r, const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(r->why);
	r->why = strdup(buf);
}

/* Inflate body into *out (malloc'd, *outlen bytes). */
static enum ingest_status gunzip(const void *body, size_t len, size_t max, char **out,
				 size_t *outlen, struct ingest_result *r)
{
	z_stream z = { 0 };
	size_t cap = OT_MIN(max + 1, OT_MAX(len * 4, (size_t)65536));
	size_t have = 0;
	char *buf = malloc(cap);
	enum ingest_status st = INGEST_BAD_ENCODING;

	if (!buf)
		return INGEST_NOMEM;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return INGEST_NOMEM;
	}
	z.next_in = (Bytef *)body;
	z.avail_in = (uInt)OT_MIN(len, (size_t)UINT32_MAX);
	for (;;) {
		if (have == cap) {
			if (cap > max) {
				set_why(r, "the body is larger than %zu bytes once decompressed", max);
				st = INGEST_TOO_LARGE;
				goto out;
			}
			size_t ncap = OT_MIN(cap * 2, max + 1);
			char *t = realloc(buf, ncap);
			if (!t) {
				st = INGEST_NOMEM;
				goto out;
			}
			buf = t;
			cap = ncap;
		}
		z.next_out = (Bytef *)buf + have;
		z.avail_out = (uInt)OT_MIN(cap - have, (size_t)UINT32_MAX);
		int zr = inflate(&z, Z_NO_FLUSH);
		have = (size_t)((char *)z.next_out - buf);
		if (zr == Z_STREAM_END) {
			if (!z.avail_in)
				break;
			/* another gzip member follows */
			if (inflateReset(&z) != Z_OK)
				goto bad;
			continue;
		}
		if (zr == Z_BUF_ERROR && z.avail_out)
			goto bad;              /* the stream ends early */
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			goto bad;
	}
	if (have > max) {
		set_why(r, "the body is larger than %zu bytes once decompressed", max);
		st = INGEST_TOO_LARGE;
		goto out;
	}
	inflateEnd(&z);
	*out = buf;
	*outlen = have;
	return INGEST_OK;
bad:
	set_why(r, "the body is not a complete gzip stream (at compressed byte %zu of %zu)",
		len - z.avail_in, len);
out:
	inflateEnd(&z);
	free(buf);
	return st;
}

__attribute__((format(printf, 3, 4)))
static int reject(struct ingest_result *r, uint32_t line, const char *fmt, ...)
{
	va_list ap;
	struct ingest_reject *t = realloc(r->rej, (r->nrej + 1) * sizeof(*t));
	if (!t)
		return -1;
	r->rej = t;
	t[r->nrej].line = line;
	va_start(ap, fmt);
	vsnprintf(t[r->nrej].error, sizeof(t[r->nrej].error), fmt, ap);
	va_end(ap);
	r->nrej++;
	return 0;
}

/* Check one line and keep it as an event, or reject it.  -1: no memory. */
static int one_line(struct ingest_result *r, uint32_t no, const char *s, size_t len,
		    const char *members, size_t *cap)
{
	struct ingest_event_info info;
	char err[sizeof(r->rej->error)];

	if (r->nev == *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		struct store_event *e = realloc(r->ev, ncap * sizeof(*e));
		if (e)
			r->ev = e;
		char (*t)[INGEST_TYPE_MAX + 1] = realloc(r->types, ncap * sizeof(*t));
		if (t)
			r->types = t;
		if (!e || !t)
			return -1;
		*cap = ncap;
	}
	size_t at = r->text.len;
	int rc = ingest_line(s, len, members, &r->text, &info, err, sizeof(err));
	if (rc < 0)
		return -1;
	if (rc > 0)
		return reject(r, no, "%s", err);
	struct store_event *e = &r->ev[r->nev];
	memcpy(r->types[r->nev], info.type, sizeof(info.type));
	e->ts_us = info.ts_us;
	/* the text may still move: its offset for now, the pointer at the end */
	e->json = NULL;
	e->json_len = r->text.len - at;
	r->nev++;
	return 0;
}

/* The server's members of every event: "tenant":"...","host":"...". */
static char *server_members(const char *tenant_id, const char *host)
{
	json_t *t = json_string(tenant_id), *h = json_string(host);
	char *ts = t ? json_dumps(t, JSON_ENCODE_ANY) : NULL;
	char *hs = h ? json_dumps(h, JSON_ENCODE_ANY) : NULL;
	char *out = NULL;
	if (ts && hs && asprintf(&out, "\"tenant\":%s,\"host\":%s", ts, hs) < 0)
		out = NULL;
	free(ts);
	free(hs);
	json_decref(t);
	json_decref(h);
	return out;
}

enum ingest_status ingest_parse(const void *body, size_t len, bool gzip,
				const struct ingest_limits *lim, const char *tenant_id,
				const char *host, struct ingest_result *out)
{
	char *plain = NULL;
	size_t plen = len, cap = 0;
	const char *p = body;
	enum ingest_status st;

	memset(out, 0, sizeof(*out));
	char *members = server_members(tenant_id, host);
	if (!members)
		return INGEST_NOMEM;
	if (gzip) {
		st = gunzip(body, len, lim->max_bytes, &plain, &plen, out);
		if (st != INGEST_OK) {
			free(members);
			return st;
		}
		p = plain;
	} else if (len > lim->max_bytes) {
		set_why(out, "the body is larger than %zu bytes", lim->max_bytes);
		free(members);
		return INGEST_TOO_LARGE;
	}
	/* count the lines first: a batch over the limit is refused whole */
	uint32_t lines = 0;
	for (size_t i = 0; i < plen; i++)
		if (p[i] == '\n')
			lines++;
	if (plen && p[plen - 1] != '\n')
		lines++;
	if (lines > lim->max_lines) {
		set_why(out, "the batch has %u lines; at most %u are accepted", lines, lim->max_lines);
		free(plain);
		free(members);
		return INGEST_TOO_LARGE;
	}
	out->lines = lines;
	st = INGEST_OK;
	const char *s = p, *end = p + plen;
	for (uint32_t no = 1; no <= lines; no++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		size_t n = (size_t)(e - s);
		if (n && s[n - 1] == '\r')
			n--;
		if (one_line(out, no, s, n, members, &cap) < 0) {
			st = INGEST_NOMEM;
			break;
		}
		s = e + 1;
	}
	size_t off = 0;
	for (size_t i = 0; i < out->nev; i++) {
		out->ev[i].event_type = out->types[i];
		out->ev[i].json = out->text.buf + off;
		off += out->ev[i].json_len;
	}
	free(plain);
	free(members);
	return st;
}

void ingest_result_free(struct ingest_result *r)
{
	free(r->text.buf);
	free(r->ev);
	free(r->types);
	free(r->rej);
	free(r->why);
	memset(r, 0, sizeof(*r));
}

char *ingest_rejected_json(const struct ingest_result *r)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (size_t i = 0; i < r->nrej; i++) {
		json_t *o = json_pack("{s:I,s:s}", "line", (json_int_t)r->rej[i].line,
				      "error", r->rej[i].error);
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}
