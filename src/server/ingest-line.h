/*
 * ingest-line.h - one uploaded line checked as an event, and written again
 * with the tenant and host the server vouches for.
 *
 * A good line is a JSON object with a string "event_type" (1-64 of
 * A-Z a-z 0-9 _ . -) and a string "timestamp" in RFC 3339, whose numbers
 * fit 64-bit integers or doubles and whose strings hold no half surrogate
 * pair.  Its own
 * "tenant" and "host" members, if any, are dropped and the server's are
 * appended; every other member is copied as it was sent, byte for byte.
 */
#ifndef OT_INGEST_LINE_H
#define OT_INGEST_LINE_H

#include <stddef.h>
#include <stdint.h>

#define INGEST_TYPE_MAX 64

/* A growable output buffer. */
struct ingest_buf {
	char *buf;
	size_t len, cap;
};

struct ingest_event_info {
	char type[INGEST_TYPE_MAX + 1];
	int64_t ts_us;
};

/*
 * Check the line s (len bytes, no newline) and append the event to out,
 * ending in `,<members>}` where members is the server's members, already
 * JSON ("\"tenant\":\"...\",\"host\":\"...\"").  Returns 0 (appended, info
 * filled), 1 (rejected: err says why, out unchanged) or -1 (no memory).
 */
int ingest_line(const char *s, size_t len, const char *members, struct ingest_buf *out,
		struct ingest_event_info *info, char *err, size_t errlen);

#endif
