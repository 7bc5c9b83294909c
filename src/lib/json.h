/*
 * json.h - a small, fast JSON writer for EVE events.
 *
 * Events are written on the hot path (one or more per packet), so the writer
 * never allocates per field: it appends into one growable buffer that is
 * reused from event to event, and keeps a small stack of "is this the first
 * member" flags to place commas.  Strings coming from the wire are escaped
 * the way Suricata escapes them: JSON escapes for '"', '\\' and control
 * characters, and bytes that are not valid UTF-8 as "\\xNN" text.
 *
 * Usage:
 *   struct jw w; jw_init(&w);
 *   jw_obj_open(&w, NULL);
 *   jw_str(&w, "event_type", "flow");
 *   jw_obj_open(&w, "flow"); jw_uint(&w, "pkts_toserver", 3); jw_obj_close(&w);
 *   jw_obj_close(&w);
 *   use w.buf / w.len;  jw_reset(&w) for the next event;  jw_free(&w) at the end.
 *
 * A key is given for members of an object and NULL for array elements and
 * the top-level value.  Keys are the program's own names and are written
 * as they are (never pass wire data as a key).  Allocation failure sets w.oom and further calls do
 * nothing; check jw_ok() before using the result.
 */
#ifndef OT_JSON_H
#define OT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define JW_MAX_DEPTH 32

struct jw {
	char *buf;
	size_t len;
	size_t cap;
	int depth;
	bool oom;
	bool first[JW_MAX_DEPTH];
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
/* Empty the buffer for the next document; keeps the memory. */
void jw_reset(struct jw *w);
/* true when nothing failed and every open object/array is closed */
bool jw_ok(const struct jw *w);

void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);

/* NUL-terminated string, escaped.  A NULL value writes nothing at all. */
void jw_str(struct jw *w, const char *key, const char *s);
/* n bytes from s, escaped (s may hold NULs and non-UTF-8 bytes). */
void jw_strn(struct jw *w, const char *key, const void *s, size_t n);
/* bytes as lowercase hex, optionally separated by sep (0 = none). */
void jw_hex(struct jw *w, const char *key, const void *s, size_t n, char sep);
void jw_uint(struct jw *w, const char *key, uint64_t v);
void jw_int(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_double(struct jw *w, const char *key, double v);
void jw_null(struct jw *w, const char *key);
/* Already-formatted JSON text (a number, an object...), written as is. */
void jw_raw(struct jw *w, const char *key, const char *json, size_t n);

/* Low-level: append bytes to the buffer without any JSON structure. */
void jw_append(struct jw *w, const void *s, size_t n);

#endif
