/*
 * fuzz-ingest.c - the body of an event upload (ingest.c): whatever a device
 * sends is decompressed, split into lines and checked line by line, within
 * the limits, without crashing, and with every line either kept or
 * rejected by its number.
 *
 * An input starting with gzip's magic bytes is read as a gzip body, any
 * other as an identity one.  Limits are small so that the "too large"
 * paths are reached.  Every kept event must be a JSON object that carries
 * the tenant and host given, and line numbers must be increasing.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "srv-time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_event(const struct store_event *e)
{
	json_t *o = json_loadb(e->json, e->json_len, JSON_ALLOW_NUL, NULL);
	if (!json_is_object(o) ||
	    strcmp(json_string_value(json_object_get(o, "tenant")), "tenant-id") ||
	    strcmp(json_string_value(json_object_get(o, "host")), "device-id") ||
	    strcmp(json_string_value(json_object_get(o, "event_type")), e->event_type))
		abort();
	json_t *ts = json_object_get(o, "timestamp");
	int64_t us;
	if (srv_time_parse(json_string_value(ts), json_string_length(ts), &us) < 0 || us != e->ts_us)
		abort();
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_limits lim = { .max_bytes = 1 << 20, .max_lines = 1000 };
	struct ingest_result r;
	bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

	enum ingest_status st = ingest_parse(data, size, gz, &lim, "tenant-id", "device-id", &r);
	if (st == INGEST_OK) {
		if (r.nev + r.nrej != r.lines || r.lines > lim.max_lines)
			abort();
		for (size_t i = 0; i < r.nev; i++)
			check_event(&r.ev[i]);
		for (size_t i = 0; i < r.nrej; i++)
			if (!r.rej[i].line || r.rej[i].line > r.lines ||
			    (i && r.rej[i].line <= r.rej[i - 1].line) || !r.rej[i].error[0])
				abort();
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
