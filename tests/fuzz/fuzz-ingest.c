/*
 * fuzz-ingest.c - the body of an event upload (ingest.c, ingest-line.c):
 * whatever a device sends is decompressed, split into lines and checked
 * line by line, within the limits, without crashing, and with every line
 * either kept or rejected by its number.
 *
 * An input starting with gzip's magic bytes is read as a gzip body, any
 * other as an identity one.  Limits are small so that the "too large"
 * paths are reached.  For identity bodies each kept event is also checked
 * against jansson, a second JSON parser: the line it came from must be a
 * JSON object to jansson too, and the event written must hold the same
 * members, except "tenant" and "host", which must be the server's.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "srv-time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const char *line, size_t len)
{
	fprintf(stderr, "fuzz-ingest: %s: %.*s\n", why, (int)len, line);
	abort();
}

/* The kept event e of the line (len bytes), compared member by member. */
static void check_event(const struct store_event *e, const char *line, size_t len)
{
	json_error_t err;
	json_t *in = json_loadb(line, len, JSON_ALLOW_NUL, &err);
	json_t *out = json_loadb(e->json, e->json_len, JSON_ALLOW_NUL, &err);
	if (!json_is_object(in))
		fail("kept, but jansson does not read it as an object", line, len);
	if (!json_is_object(out))
		fail("the event written is not a JSON object", e->json, e->json_len);
	if (strcmp(json_string_value(json_object_get(out, "tenant")), "tenant-id") ||
	    strcmp(json_string_value(json_object_get(out, "host")), "device-\"id\"") ||
	    strcmp(json_string_value(json_object_get(out, "event_type")), e->event_type))
		fail("tenant, host or event_type differ", e->json, e->json_len);
	json_t *ts = json_object_get(out, "timestamp");
	int64_t us;
	if (srv_time_parse(json_string_value(ts), json_string_length(ts), &us) < 0 || us != e->ts_us)
		fail("the timestamp differs", e->json, e->json_len);
	size_t dropped = 0;
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		if (!strcmp(k, "tenant") || !strcmp(k, "host"))
			dropped++;
		else if (!json_equal(v, json_object_get(out, k)))
			fail("a member differs", line, len);
	}
	if (json_object_size(out) != json_object_size(in) - dropped + 2)
		fail("members were lost or added", line, len);
	json_decref(in);
	json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_limits lim = { .max_bytes = 1 << 20, .max_lines = 1000 };
	struct ingest_result r;
	bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

	enum ingest_status st = ingest_parse(data, size, gz, &lim, "tenant-id", "device-\"id\"", &r);
	if (st == INGEST_OK) {
		if (r.nev + r.nrej != r.lines || r.lines > lim.max_lines)
			abort();
		for (size_t i = 0; i < r.nrej; i++)
			if (!r.rej[i].line || r.rej[i].line > r.lines ||
			    (i && r.rej[i].line <= r.rej[i - 1].line) || !r.rej[i].error[0])
				abort();
		if (!gz) {
			/* walk the lines again: the ones not rejected are the events, in order */
			const char *p = (const char *)data, *end = p + size;
			size_t ev = 0, rj = 0;
			for (uint32_t no = 1; no <= r.lines; no++) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t n = (size_t)((nl ? nl : end) - p);
				if (n && p[n - 1] == '\r')
					n--;
				if (rj < r.nrej && r.rej[rj].line == no)
					rj++;
				else if (ev < r.nev)
					check_event(&r.ev[ev++], p, n);
				else
					abort();
				p += (size_t)((nl ? nl : end) - p) + 1;
			}
		}
		char *rj = ingest_rejected_json(&r);
		json_t *a = rj ? json_loads(rj, 0, NULL) : NULL;
		if (!json_is_array(a) || json_array_size(a) != r.nrej)
			abort();
		json_decref(a);
		free(rj);
	} else if ((st == INGEST_TOO_LARGE || st == INGEST_BAD_ENCODING) && !r.why) {
		abort();
	}
	ingest_result_free(&r);
	return 0;
}
