/*
 * app-http.h - read-only access to the transactions of the HTTP/1.x parser
 * (app-http.c), for the rule engine and any other consumer that needs more
 * than the EVE "http" event.
 *
 * The parser state is the void * its struct app_parser hands to the core
 * (app_parser_http.state_new()).  A transaction stays readable from the
 * call that created it until the start of the first parse/gap/flow_end call
 * after the one in which it was logged: a consumer that runs after each
 * parser call sees every transaction at least once in its final form.
 *
 * All values are byte ranges into the transaction's own bounded copy of the
 * message (start lines and header values are kept whole up to 8 KiB a line
 * and 64 KiB a message head; bodies are kept up to their first 16 KiB,
 * dechunked and, for responses, decompressed as libhtp would).  A range with ptr NULL means "absent".
 */
#ifndef OT_APP_HTTP_H
#define OT_APP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct http_tx;

struct http_bytes {
	const uint8_t *ptr;   /* NULL when absent */
	size_t len;
};

enum http_field {
	HTTP_F_REQUEST_LINE,   /* "GET /x HTTP/1.1" */
	HTTP_F_METHOD,
	HTTP_F_URI,            /* raw, as on the wire */
	HTTP_F_PROTOCOL,       /* request protocol, "HTTP/1.1" */
	HTTP_F_HOST,           /* normalised host name (URI, else Host header), lowercase */
	HTTP_F_USER_AGENT,
	HTTP_F_REQUEST_BODY,   /* first bytes, dechunked */
	HTTP_F_RESPONSE_LINE,  /* "HTTP/1.1 200 OK" */
	HTTP_F_RESPONSE_PROTOCOL,
	HTTP_F_STATUS,         /* status code text, "200" */
	HTTP_F_STATUS_MSG,     /* reason phrase, "OK" */
	HTTP_F_RESPONSE_BODY,  /* first bytes, dechunked and decompressed */
};

/* Transaction progress bits (http_tx_progress). */
#define HTTP_TX_REQUEST_DONE   0x01
#define HTTP_TX_RESPONSE_DONE  0x02
#define HTTP_TX_LOGGED         0x04

/* Lowest and one past the highest tx id still readable (first == end: none). */
uint64_t http_state_tx_first(const void *state);
uint64_t http_state_tx_end(const void *state);
/* The transaction with this id, or NULL when unknown or already freed. */
const struct http_tx *http_state_tx(const void *state, uint64_t tx_id);

uint64_t http_tx_id(const struct http_tx *tx);
unsigned http_tx_progress(const struct http_tx *tx);
/* Numeric status (100..999) or -1 when none or not a number. */
int http_tx_status(const struct http_tx *tx);
/* Port from the URI or Host header, or -1. */
int http_tx_port(const struct http_tx *tx);
/* Response body bytes on the wire (EVE http.length). */
uint64_t http_tx_response_length(const struct http_tx *tx);

struct http_bytes http_tx_field(const struct http_tx *tx, enum http_field f);

/* Header fields of the request (dir 0) or response (dir 1), in order;
 * repeated names are merged into the first as "a, b". */
size_t http_tx_header_count(const struct http_tx *tx, int dir);
bool http_tx_header_at(const struct http_tx *tx, int dir, size_t i,
		       struct http_bytes *name, struct http_bytes *value);
/* First header named name (case-insensitive). */
struct http_bytes http_tx_header(const struct http_tx *tx, int dir, const char *name);

#endif
