/*
 * detect-appbuf.h - the bytes of the app-layer buffers rules look into
 * (http.uri, dns.query, tls.sni, ja3.hash...), read from a transaction.
 *
 * The engine (detect-engine.c) decides when a transaction is inspected;
 * this file knows, for each buffer, which protocol gives it, how far that
 * protocol's transaction must have got before it can be read, and how to
 * read it (some, like http.uri, are normalised into scratch space; some,
 * like dns.query, have one instance per question).
 */
#ifndef OT_DETECT_APPBUF_H
#define OT_DETECT_APPBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "detect-engine.h"

/* Scratch space for buffers that are built, not pointed at. */
struct detect_appbuf {
	uint8_t *hbuf;              /* joined HTTP headers (http.header) */
	uint8_t *ubuf;              /* normalised URI (http.uri) */
	char name[256];             /* a DNS name ... */
	const void *name_tx;        /* ... of this message (NULL: none) */
	uint32_t name_i, name_len;  /* ... and question */
};

int detect_appbuf_init(struct detect_appbuf *s);
/* A new transaction is inspected: forget what was read of the last one. */
void detect_appbuf_reset(struct detect_appbuf *s);
void detect_appbuf_free(struct detect_appbuf *s);

/* The protocol whose transactions give buffer b (APP_HTTP, ...), or 0
 * when transactions cannot give it (the payload, buffers not read yet). */
int detect_appbuf_proto(int b);

/*
 * The progress (applayer.h app_tx_ready) a transaction must report on
 * side dir before buffer b can be read there; 0 for protocols whose
 * transactions the engine polls (HTTP).
 */
unsigned detect_appbuf_progress(int b, int dir);

/*
 * Instance i (0, 1, ...) of buffer b of t, the side dir for buffers of
 * both sides.  false when there is no such instance.
 */
bool detect_appbuf_get(struct detect_appbuf *s, const struct detect_tx *t, int b, int dir,
		       uint32_t i, const uint8_t **ptr, uint32_t *len);

#endif
