/*
 * fuzz-app-http.c - the HTTP/1.x parser on arbitrary bytes.  Both streams
 * of an HTTP connection come from whoever is on the network, split however
 * the network pleases, so every state of both directions' machines, the
 * header store and its caps must survive anything.
 *
 * Input layout: the first byte's low 4 bits give the number of script
 * bytes that follow (0-15).  Each script byte describes one chunk: bit 7 =
 * direction (set: to client), bit 6 = a gap instead of data, bits 0-5 = n,
 * the chunk being n * n + 1 bytes (n = 0: all the rest).  The bytes after
 * the script are the stream, cut into chunks as the script says; a script
 * that runs out starts over; an empty script sends everything to the
 * server and then the same bytes to the client.  probe() is asked about
 * the data first; after each call every readable transaction is read
 * through app-http.h, and flow_end() runs at the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applayer.h"
#include "app-http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *arg, const char *line, size_t len)
{
	size_t *total = arg;
	for (size_t i = 0; i < len; i++)
		*total += (unsigned char)line[i];
}

/* Read every byte the accessors hand out, so a bad range shows under ASan. */
static size_t touch(const void *st)
{
	size_t sum = 0;
	for (uint64_t id = http_state_tx_first(st); id < http_state_tx_end(st); id++) {
		const struct http_tx *tx = http_state_tx(st, id);
		if (!tx)
			continue;
		for (int f = HTTP_F_REQUEST_LINE; f <= HTTP_F_RESPONSE_BODY; f++) {
			struct http_bytes b = http_tx_field(tx, (enum http_field)f);
			for (size_t i = 0; b.ptr && i < b.len; i++)
				sum += b.ptr[i];
		}
		for (int dir = 0; dir < 2; dir++) {
			struct http_bytes n, v;
			for (size_t i = 0; http_tx_header_at(tx, dir, i, &n, &v); i++)
				sum += n.len + v.len + (n.len ? n.ptr[n.len - 1] : 0) +
				       (v.len ? v.ptr[v.len - 1] : 0);
		}
		sum += (size_t)http_tx_status(tx) + (size_t)http_tx_port(tx) +
		       http_tx_progress(tx) + http_tx_response_length(tx);
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct app_parser *ap = &app_parser_http;
	size_t total = 0;
	struct jw jw;

	if (size < 1)
		return 0;
	size_t nscript = data[0] & 15;
	if (1 + nscript > size)
		return 0;
	const uint8_t *script = data + 1;
	const uint8_t *p = data + 1 + nscript;
	size_t len = size - 1 - nscript;

	ap->probe(p, len, APP_TOSERVER);
	ap->probe(p, len, APP_TOCLIENT);

	jw_init(&jw);
	struct app_ctx ctx = { .jw = &jw, .emit = sink, .emit_arg = &total };
	void *st = ap->state_new();
	if (!st) {
		jw_free(&jw);
		return 0;
	}
	int ret = PARSE_OK;
	if (nscript == 0) {
		ret = ap->parse(st, &ctx, APP_TOSERVER, p, len);
		total += touch(st);
		if (ret == PARSE_OK && !ctx.redetect)
			ap->parse(st, &ctx, APP_TOCLIENT, p, len);
		total += touch(st);
	} else {
		size_t si = 0;
		while (len > 0 && ret == PARSE_OK && !ctx.redetect) {
			uint8_t s = script[si++ % nscript];
			int dir = (s & 0x80) ? APP_TOCLIENT : APP_TOSERVER;
			size_t n = s & 0x3f;
			n = n ? n * n + 1 : len;
			if (n > len)
				n = len;
			if (s & 0x40)
				ap->gap(st, &ctx, dir, n);
			else
				ret = ap->parse(st, &ctx, dir, p, n);
			total += touch(st);
			p += n;
			len -= n;
		}
	}
	ap->flow_end(st, &ctx);
	total += touch(st);
	ap->tx_count(st);
	ap->state_free(st);
	jw_free(&jw);
	volatile size_t keep = total;
	(void)keep;
	return 0;
}
