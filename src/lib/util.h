/*
 * util.h - small helpers shared by every program: time stamps in EVE's
 * spelling, bounded string copies, number parsing with range checks.
 */
#ifndef OT_UTIL_H
#define OT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/time.h>

#define OT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define OT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define OT_MAX(a, b) ((a) > (b) ? (a) : (b))

/* "2017-06-08T15:45:58.525601+0000" (UTC), as Suricata writes it; buf >= 32. */
void ot_time_fmt(const struct timeval *tv, char *buf, size_t len);

/* Copy at most len-1 bytes and NUL-terminate; returns strlen(src). */
size_t ot_strlcpy(char *dst, const char *src, size_t len);

/* Parse a whole string as an unsigned number within [min, max], with an
 * optional size suffix when allow_suffix (k, kb, m, mb, g, gb, any case).
 * Returns 0 or -1 (not a number, trailing text, out of range). */
int ot_parse_u64(const char *s, uint64_t min, uint64_t max, bool allow_suffix, uint64_t *out);

/* "yes/true/on/1" -> 1, "no/false/off/0" -> 0, else -1. */
int ot_parse_bool(const char *s);

/* Room for element n of a growable array of elem-byte elements with *cap
 * allocated: the array (moved, perhaps, and *cap doubled from at least
 * first), or NULL when memory ran out (the old array is left as it was). */
void *ot_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first);

/* The whole of the file at path into *buf (malloc'ed, NUL-terminated
 * after *len bytes).  0, or -1 with errno set (EFBIG beyond max bytes). */
int ot_read_file(const char *path, size_t max, char **buf, size_t *len);

/* Big-endian loads; the caller has checked the bounds. */
/* Value of a hexadecimal digit, or -1. */
static inline int ot_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static inline uint16_t ot_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t ot_be24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }
static inline uint32_t ot_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
