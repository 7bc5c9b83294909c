/*
 * http-decompress.c - Content-Encoding layers of HTTP bodies, with zlib
 * (see http-decompress.h for the behaviour and why it follows libhtp).
 *
 * Each layer owns a zlib stream and an 8 KiB output buffer.  Output moves
 * on when the buffer is full, when the layer's stream ends (or breaks
 * after some output) and when the body ends; it goes to the next layer
 * while this one decodes, straight to the sink once it passes bytes
 * through.  Decoding stops for good when the output passes HTTP_Z_BOMB_OUT
 * bytes at more than HTTP_Z_BOMB_RATIO times the input (a compression
 * bomb), as libhtp stops.
 */
#include "http-decompress.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define Z_BUF      8192
#define Z_RESTARTS 3

struct z_layer {
	z_stream zs;
	uint8_t mode;           /* enum http_coding the stream was set up for */
	uint8_t restarts;
	bool live;              /* zs is initialised */
	bool passthrough;       /* gave up: bytes go through as they are */
	size_t have;            /* decoded bytes waiting in buf */
	uint8_t buf[Z_BUF];
};

struct http_inflate {
	size_t n;
	uint64_t in, out;
	bool stopped;           /* compression bomb */
	http_z_sink sink;
	void *arg;
	struct z_layer layer[];
};

static bool nocase_nozero_eq(const uint8_t *v, size_t n, const char *s)
{
	size_t k = 0, sl = strlen(s);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == 0)
			continue;
		uint8_t c = v[i] >= 'A' && v[i] <= 'Z' ? (uint8_t)(v[i] + 32) : v[i];
		if (k >= sl || c != (uint8_t)s[k])
			return false;
		k++;
	}
	return k == sl;
}

static bool contains_nocase(const uint8_t *v, size_t n, const char *s)
{
	size_t sl = strlen(s);
	for (size_t i = 0; i + sl <= n; i++) {
		size_t k = 0;
		while (k < sl && (v[i + k] | 0x20) == (uint8_t)s[k])
			k++;
		if (k == sl)
			return true;
	}
	return false;
}

size_t http_codings(const uint8_t *v, size_t n, uint32_t limit,
		    enum http_coding *kinds, size_t max)
{
	if (!max)
		return 0;
	if (nocase_nozero_eq(v, n, "gzip") || nocase_nozero_eq(v, n, "x-gzip")) {
		kinds[0] = HTTP_CODING_GZIP;
		return 1;
	}
	if (nocase_nozero_eq(v, n, "deflate") || nocase_nozero_eq(v, n, "x-deflate")) {
		kinds[0] = HTTP_CODING_DEFLATE;
		return 1;
	}
	size_t k = 0, i = 0;
	uint32_t layers = 0;
	while (i < n && k < max) {
		while (i < n && (v[i] == ',' || v[i] == ' '))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',' && v[i] != ' ')
			i++;
		if (i == s)
			break;
		if (limit && ++layers > limit)
			break;
		if (contains_nocase(v + s, i - s, "gzip"))
			kinds[k++] = HTTP_CODING_GZIP;
		else if (contains_nocase(v + s, i - s, "deflate"))
			kinds[k++] = HTTP_CODING_DEFLATE;
	}
	return k;
}

static bool z_init(struct z_layer *l, uint8_t mode)
{
	memset(&l->zs, 0, sizeof(l->zs));
	l->mode = mode;
	l->live = inflateInit2(&l->zs, mode == HTTP_CODING_GZIP ? 15 + 32 : -15) == Z_OK;
	return l->live;
}

static void z_end(struct z_layer *l)
{
	if (l->live)
		inflateEnd(&l->zs);
	l->live = false;
}

struct http_inflate *http_inflate_new(const enum http_coding *kinds, size_t n)
{
	if (n == 0 || n > HTTP_Z_LAYERS_MAX)
		return NULL;
	struct http_inflate *z = calloc(1, sizeof(*z) + n * sizeof(z->layer[0]));
	if (!z)
		return NULL;
	z->n = n;
	for (size_t i = 0; i < n; i++) {
		if (!z_init(&z->layer[i], (uint8_t)kinds[i])) {
			http_inflate_free(z);
			return NULL;
		}
	}
	return z;
}

void http_inflate_free(struct http_inflate *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++)
		z_end(&z->layer[i]);
	free(z);
}

static void emit(struct http_inflate *z, const uint8_t *p, size_t n)
{
	if (!n || z->stopped)
		return;
	z->out += n;
	if (z->out > HTTP_Z_BOMB_OUT && z->out / HTTP_Z_BOMB_RATIO > z->in) {
		z->stopped = true;
		return;
	}
	z->sink(z->arg, p, n);
}

static void layer_data(struct http_inflate *z, size_t i, const uint8_t *p, size_t n);

/* Decoded bytes of layer i move on: to the next layer while i decodes. */
static void forward(struct http_inflate *z, size_t i, const uint8_t *p, size_t n)
{
	if (i + 1 < z->n && z->layer[i].live)
		layer_data(z, i + 1, p, n);
	else
		emit(z, p, n);
}

/* libhtp's look at a gzip header: how many bytes its optional fields take. */
static size_t gzip_skip(const uint8_t *p, size_t n)
{
	if (n < 4 || p[0] != 0x1f || p[1] != 0x8b || p[3] == 0)
		return 0;
	size_t k;
	if (p[3] & 0x18) {          /* FNAME or FCOMMENT: up to a NUL */
		for (k = 10; k < n && p[k]; k++)
			;
		k++;
	} else if (p[3] & 0x02) {   /* FHCRC */
		k = 12;
	} else {
		k = 10;
	}
	return k > n ? 0 : k;
}

static bool restart(struct z_layer *l, const uint8_t *p, size_t n, size_t *skip)
{
	if (l->restarts >= Z_RESTARTS)
		return false;
	uint8_t mode = l->mode;
	if (l->restarts > 0)
		mode = mode == HTTP_CODING_GZIP ? HTTP_CODING_DEFLATE : HTTP_CODING_GZIP;
	l->restarts++;
	*skip = gzip_skip(p, n);
	return z_init(l, mode);
}

static void layer_data(struct http_inflate *z, size_t i, const uint8_t *p, size_t n)
{
	struct z_layer *l = &z->layer[i];
	if (z->stopped || !n)
		return;
	if (l->passthrough) {
		emit(z, p, n);
		return;
	}
	size_t skip = 0;
	for (;;) {
		l->zs.next_in = (Bytef *)(uintptr_t)(p + skip);
		l->zs.avail_in = (uInt)(n - skip);
		int rc = Z_OK;
		while (l->zs.avail_in && rc == Z_OK) {
			if (l->have == Z_BUF) {
				l->have = 0;
				forward(z, i, l->buf, Z_BUF);
			}
			l->zs.next_out = l->buf + l->have;
			l->zs.avail_out = (uInt)(Z_BUF - l->have);
			rc = l->live ? inflate(&l->zs, Z_NO_FLUSH) : Z_STREAM_ERROR;
			l->have = Z_BUF - l->zs.avail_out;
			/* an error after some output: keep that output */
			if (rc == Z_DATA_ERROR && l->have)
				rc = Z_STREAM_END;
		}
		if (rc == Z_OK)
			return;
		if (rc == Z_STREAM_END) {
			size_t k = l->have;
			l->have = 0;
			forward(z, i, l->buf, k);
			return;
		}
		z_end(l);
		if (!restart(l, p, n, &skip))
			break;
	}
	/* every attempt failed: maybe it was not compressed at all */
	z_end(l);
	l->passthrough = true;
	emit(z, p, n);
}

void http_inflate_data(struct http_inflate *z, const uint8_t *p, size_t n,
		       http_z_sink sink, void *arg)
{
	if (!z || n > UINT32_MAX)
		return;
	z->sink = sink;
	z->arg = arg;
	z->in += n;
	layer_data(z, 0, p, n);
}

void http_inflate_end(struct http_inflate *z, http_z_sink sink, void *arg)
{
	if (!z)
		return;
	z->sink = sink;
	z->arg = arg;
	/*
	 * As libhtp: a layer's leftover output goes to the next layer as
	 * data, and only a layer with nothing left passes the end on.
	 */
	for (size_t i = 0; i < z->n && !z->stopped; i++) {
		struct z_layer *l = &z->layer[i];
		if (l->passthrough)
			return;
		if (l->have) {
			size_t k = l->have;
			l->have = 0;
			forward(z, i, l->buf, k);
			return;
		}
		if (!l->live)
			return;
	}
}
