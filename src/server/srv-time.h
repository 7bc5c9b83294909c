/*
 * srv-time.h - times as the server keeps them: microseconds since the
 * epoch, UTC, in a 64-bit integer; read from and written as RFC 3339.
 */
#ifndef OT_SRV_TIME_H
#define OT_SRV_TIME_H

#include <stddef.h>
#include <stdint.h>

int64_t srv_now_us(void);

/*
 * Parse an RFC 3339 time as events carry it: "2017-06-08T15:45:58.525601+0000"
 * (Suricata), "...+00:00", "...Z", with or without a fraction (any number of
 * digits; beyond microseconds they are dropped), 'T' or ' ' between date and
 * time.  Exactly len bytes are read (s need not be NUL-terminated).
 * Returns 0 and *us, or -1 when it is not such a time or is out of range
 * (years 1970-9999).
 */
int srv_time_parse(const char *s, size_t len, int64_t *us);

/* "2024-05-01T09:30:00Z" (seconds, UTC); buf of at least 32 bytes. */
void srv_time_fmt(int64_t us, char *buf, size_t len);

#endif
