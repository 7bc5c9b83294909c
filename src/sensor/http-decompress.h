/*
 * http-decompress.h - Content-Encoding decoding of HTTP bodies (gzip,
 * deflate, several layers), with zlib, behaving as libhtp does so that
 * file_data and fileinfo hold what Suricata would see.
 *
 * A chain has one layer per encoding named in Content-Encoding, in the
 * order named (as libhtp, not the reverse order RFC 9110 asks for: its
 * fallbacks below make most real and evasive bodies come out right
 * anyway).  Each layer inflates in "gzip" mode (zlib or gzip header,
 * auto-detected) or raw "deflate" mode, and on a stream error with no
 * output yet restarts on the data in hand: first in the same mode after
 * skipping a gzip header's optional fields, then in the other mode, then
 * back; once those three restarts are spent it gives up and passes the
 * bytes through as they are, straight to the output (the later layers are
 * skipped).  An error after some output ends the layer's stream: what was
 * decoded is kept, what follows is ignored until the next error restart.
 */
#ifndef OT_HTTP_DECOMPRESS_H
#define OT_HTTP_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define HTTP_Z_LAYERS_MAX 16             /* layers decoded at most, whatever the setting */
#define HTTP_Z_LAYER_COST (64 * 1024)    /* memory charged per layer (zlib state, window, buffer) */
#define HTTP_Z_BOMB_OUT   (1u << 20)     /* output above which ... */
#define HTTP_Z_BOMB_RATIO 2048           /* ... more than this ratio stops decoding */

enum http_coding { HTTP_CODING_GZIP = 1, HTTP_CODING_DEFLATE };

struct http_inflate;

/* Where decoded bytes go. */
typedef void (*http_z_sink)(void *arg, const uint8_t *p, size_t n);

/*
 * The codings of a Content-Encoding value, as libhtp reads it: one exact
 * name ("gzip", "x-gzip", "deflate", "x-deflate", case and NUL bytes
 * ignored) is one layer; anything else is split at commas and spaces and
 * each token holding "gzip" or "deflate" anywhere is a layer of that kind
 * (others are skipped but count towards the limit, 0 = none).  Fills
 * kinds[] and returns how many (at most max).
 */
size_t http_codings(const uint8_t *v, size_t n, uint32_t limit,
		    enum http_coding *kinds, size_t max);

/* A chain of n layers; NULL when n is 0 or memory is short. */
struct http_inflate *http_inflate_new(const enum http_coding *kinds, size_t n);
void http_inflate_free(struct http_inflate *z);
/* Encoded body bytes in; decoded bytes out through sink. */
void http_inflate_data(struct http_inflate *z, const uint8_t *p, size_t n,
		       http_z_sink sink, void *arg);
/* The body ended: flush what the layers still hold. */
void http_inflate_end(struct http_inflate *z, http_z_sink sink, void *arg);

#endif
