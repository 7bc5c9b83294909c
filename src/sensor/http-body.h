/*
 * http-body.h - the body of an HTTP message as rules and files see it:
 * the bytes after transfer decoding (dechunking, in app-http.c) run through
 * the Content-Encoding layers (http-decompress.c), and the name the body
 * gets as a file.
 *
 * Apart from app-http.c so that the state machine there deals only with
 * framing, and the decoding and naming rules, which follow libhtp and
 * Suricata, have one place.
 */
#ifndef OT_HTTP_BODY_H
#define OT_HTTP_BODY_H

#include "http-decompress.h"
#include "http-headers.h"

struct http_body {
	struct http_inflate *z;     /* NULL: the body is not encoded (or not decoded) */
	size_t cost;                /* charged to the flow budget for z */
};

/*
 * Set up decoding for a body whose Content-Encoding value is ce (n bytes;
 * ce NULL when absent), decoding at most limit layers (0: no limit).
 * Without memory in the flow budget the body is left as it is.
 */
void http_body_start(struct http_body *b, struct http_mem *mem, const uint8_t *ce,
		     size_t n, uint32_t limit);
/* Body bytes (transfer-decoded) in; decoded bytes out through sink. */
void http_body_data(struct http_body *b, const uint8_t *p, size_t n,
		    http_z_sink sink, void *arg);
/* The body ended (or was cut): flush the decoders and free them. */
void http_body_end(struct http_body *b, struct http_mem *mem, http_z_sink sink, void *arg);
void http_body_free(struct http_body *b, struct http_mem *mem);

/*
 * The file name of a Content-Disposition value, as Suricata reads it: the
 * first ';'-separated parameter "filename=" (any case), unquoted; failing
 * that RFC 6266's "filename*=charset'lang'name" (the name as it is, still
 * percent-encoded).  Sets the range in v; false when there is none.
 */
bool http_disposition_filename(const uint8_t *v, size_t n, size_t *off, size_t *len);
/* The path of a request URI: without "scheme://authority", the query and
 * the fragment.  Sets the range in uri. */
void http_uri_path(const uint8_t *uri, size_t n, size_t *off, size_t *len);

#endif
