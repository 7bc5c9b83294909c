/*
 * fuzz-app-http.c - the HTTP/1.x parser on arbitrary bytes.  Both streams
 * of an HTTP connection come from whoever is on the network, split however
 * the network pleases, so every state of both directions' machines, the
 * header store and its caps must survive anything.
 *
 * Input layout: see fuzz-app.h; after each call every readable
 * transaction is read through app-http.h.
 */
#include <stdint.h>

#include "app-http.h"
#include "fuzz-app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	fuzz_app_run(&app_parser_http, data, size, touch);
	return 0;
}
