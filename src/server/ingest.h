/*
 * ingest.h - the body of an event upload (POST /api/v1/events), read line by
 * line: gzip (or identity), then NDJSON, then each line checked as an event.
 *
 * The body comes from a device over the network and is untrusted: sizes
 * are bounded before anything is allocated for them (the decompressed size
 * and the number of lines: beyond either the whole batch is refused, 413),
 * a compressed stream that is not gzip is refused (415), and each line that
 * is not an event is rejected on its own with its number and why, while
 * the good lines are kept.
 *
 * What a good line is, and how it is kept: ingest-line.h.  Its "tenant"
 * and "host" are those given here (from the device's certificate),
 * whatever the line said.
 */
#ifndef OT_INGEST_H
#define OT_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest-line.h"
#include "store.h"

enum ingest_status {
	INGEST_OK = 0,
	INGEST_TOO_LARGE = -1,     /* more bytes or lines than allowed: 413 */
	INGEST_BAD_ENCODING = -2,  /* not a gzip stream: 415 */
	INGEST_NOMEM = -3,
};

struct ingest_limits {
	size_t max_bytes;          /* decompressed */
	uint32_t max_lines;
};

struct ingest_reject {
	uint32_t line;             /* from 1 */
	char error[120];
};

struct ingest_result {
	uint32_t lines;
	struct store_event *ev;    /* the good lines, in order */
	size_t nev;
	struct ingest_reject *rej;
	size_t nrej;
	char (*types)[INGEST_TYPE_MAX + 1];  /* storage of ev[i].event_type */
	struct ingest_buf text;    /* storage of ev[i].json, one after another */
	char *why;                 /* INGEST_TOO_LARGE / BAD_ENCODING: a sentence */
};

/*
 * Read body (len bytes, gzip-compressed when gzip) into out, which the
 * caller frees with ingest_result_free() whatever the outcome.
 */
enum ingest_status ingest_parse(const void *body, size_t len, bool gzip,
				const struct ingest_limits *lim, const char *tenant_id,
				const char *host, struct ingest_result *out);
void ingest_result_free(struct ingest_result *r);

/* The rejections as a JSON array, [{"line": 7, "error": "..."}, ...];
 * malloc'd, NULL when out of memory. */
char *ingest_rejected_json(const struct ingest_result *r);

#endif
