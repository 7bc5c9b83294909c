/*
 * http-headers.h - one HTTP/1.x message as the HTTP parser keeps it: the
 * start line, the header fields and the first bytes of the body, copied into
 * one bounded byte store per message, and the small text helpers the parser
 * needs to read them (Content-Length, chunk sizes, host[:port]).
 *
 * It exists apart from app-http.c so that the state machine there stays
 * readable and so that the store, which every later consumer (logging, rule
 * matching) reads through byte ranges, has one owner.
 *
 * Every append is checked against two bounds: the message's own limit
 * (HTTP_HDR_STORE_MAX for the head, the configured body limit more) and a
 * per-flow budget shared by all messages of the flow (struct http_mem).
 */
#ifndef OT_HTTP_HEADERS_H
#define OT_HTTP_HEADERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define HTTP_LINE_MAX      8192          /* request/status/header line */
#define HTTP_HEADERS_MAX   256           /* header fields kept per message */
#define HTTP_HDR_STORE_MAX (64 * 1024)   /* start line + headers per message */

/* Bytes [off, off+len) of a message store; len 0 with off 0 = absent. */
struct http_span {
	uint32_t off, len;
};

struct http_hdr {
	struct http_span name, value;
	uint8_t flags;
};

#define HTTP_HDR_FOLDED    0x01
#define HTTP_HDR_REPEATED  0x02
#define HTTP_HDR_NOCOLON   0x04   /* the line had no colon: all name */

/* Per-flow memory budget shared by the messages of a flow. */
struct http_mem {
	size_t used, max;
};

/* Values of http_msg.cl */
#define HTTP_CL_NONE     (-1)
#define HTTP_CL_INVALID  (-2)

/* http_msg.flags */
#define HTTP_MSG_TE         0x0001  /* Transfer-Encoding present */
#define HTTP_MSG_TE_CHUNKED 0x0002  /* ... and it names "chunked" */
#define HTTP_MSG_CL_DUP     0x0004  /* Content-Length repeated with another value */
#define HTTP_MSG_REPEATED   0x0008  /* some header name appeared twice */
#define HTTP_MSG_TRUNCATED  0x0010  /* message cut short (gap, flow end, error) */
#define HTTP_MSG_GAP        0x0020  /* bytes of this message were lost */
#define HTTP_MSG_LINE       0x0040  /* the start line was seen */
#define HTTP_MSG_HDR_FULL   0x0080  /* a header could not be kept (caps) */
#define HTTP_MSG_TE_CHUNKED_LAX 0x0100  /* Transfer-Encoding holds "chunked"
					   anywhere (libhtp's test for responses) */

struct http_msg {
	uint8_t *buf;               /* the store */
	uint32_t len, cap;
	struct http_hdr *hdr;       /* kept header fields, in order */
	uint16_t nhdr, hdr_cap;
	bool pending;               /* hdr[nhdr] is being read (folding) */
	struct http_span line;      /* start line, without CRLF */
	struct http_span part[3];   /* method, uri, protocol / protocol, status, reason */
	struct http_span body;      /* first body bytes (dechunked), up to the body limit */
	uint32_t head_len;          /* store bytes of the head (body starts here) */
	uint64_t body_len;          /* body bytes seen (dechunked, gaps included) */
	uint64_t wire_len;          /* body bytes on the wire, chunk framing included */
	int64_t cl;                 /* Content-Length, HTTP_CL_NONE or HTTP_CL_INVALID */
	uint16_t flags;
};

/* Results of the header functions below. */
enum {
	HTTP_HDR_OK = 0,
	HTTP_HDR_MISSING_COLON,     /* kept, the whole line as the name */
	HTTP_HDR_INVALID,           /* kept; empty name or not a token */
	HTTP_HDR_TOO_MANY,          /* not kept: HTTP_HEADERS_MAX reached */
	HTTP_HDR_NO_ROOM,           /* not kept: HTTP_HDR_STORE_MAX reached */
	HTTP_HDR_NO_MEM,            /* not kept: flow budget or malloc */
	HTTP_HDR_NO_PENDING,        /* folded line without a header before it */
};

static inline const uint8_t *http_msg_ptr(const struct http_msg *m, struct http_span s)
{
	return m->buf ? m->buf + s.off : (const uint8_t *)"";
}

void http_msg_free(struct http_msg *m, struct http_mem *mem);
/* Forget everything (an interim 1xx response); keeps nothing. */
void http_msg_reset(struct http_msg *m, struct http_mem *mem);

/*
 * Append n bytes to the head part of the store (start line, headers,
 * derived strings).  0, or HTTP_HDR_NO_ROOM / HTTP_HDR_NO_MEM.
 */
int http_msg_put(struct http_msg *m, struct http_mem *mem, const void *p,
		 size_t n, struct http_span *out);
/* Copy store bytes [off, off+len) to the end of the head; 0 or a code. */
int http_msg_dup(struct http_msg *m, struct http_mem *mem, uint32_t off,
		 uint32_t len, struct http_span *out);
/* Keep body bytes while under limit and the budget (silently). */
void http_msg_keep_body(struct http_msg *m, struct http_mem *mem,
			const uint8_t *p, size_t n, size_t limit);

/* A header line (not folded, no CRLF): close the pending one, start this. */
int http_msg_header_line(struct http_msg *m, struct http_mem *mem,
			 const uint8_t *line, size_t len);
/* A folded continuation line: extends the pending header's value. */
int http_msg_fold_line(struct http_msg *m, struct http_mem *mem,
		       const uint8_t *line, size_t len);
/* Is a header pending, and did its line have a colon? */
bool http_msg_pending_colon(const struct http_msg *m);
/* Close the pending header, if any (end of headers). */
int http_msg_header_end(struct http_msg *m, struct http_mem *mem);

/*
 * What a line that could not be kept still tells about the framing
 * (Content-Length, Transfer-Encoding), so that caps never desynchronise.
 */
void http_msg_note_line(struct http_msg *m, const uint8_t *line, size_t len);

/* First header named name (case-insensitive); false if absent. */
bool http_msg_header(const struct http_msg *m, const char *name,
		     struct http_span *value);

/*
 * Header names as libhtp matches them where framing is decided
 * (Transfer-Encoding, Content-Length, Content-Encoding): any case, NUL
 * bytes ignored, surrounding whitespace ignored.
 */
bool http_name_is(const uint8_t *p, size_t n, const char *name);
/* First header whose name is name in that lax sense; false if absent. */
bool http_msg_header_lax(const struct http_msg *m, const char *name,
			 struct http_span *value);
/* Does p hold s (lower case) anywhere, any case, NUL bytes ignored? */
bool http_contains_nozero(const uint8_t *p, size_t n, const char *s);

/* "  123 " -> 123; -1 when not a decimal number or out of range. */
int64_t http_parse_cl(const uint8_t *p, size_t n);
/*
 * Chunk-size line, as libhtp reads it: leading control characters skipped,
 * then the hex digits, whatever follows ignored ("1a;ext", "fx" -> 26,
 * 15); -1 without digits or on overflow.  *ext set when a ';' follows.
 */
int64_t http_parse_chunk_len(const uint8_t *p, size_t n, bool *ext);

/* Does a comma-separated header value hold token tok (any case)? */
bool http_has_token(const uint8_t *p, size_t n, const char *tok);
bool http_lws(uint8_t c);
bool http_memeq_nocase(const uint8_t *p, size_t n, const char *s);

/*
 * "host", "host:port", "[v6]:port" (whitespace trimmed).  host gets the
 * host part (offsets into p), port -1 when absent; returns 0 when valid,
 * -1 when the host or the port is malformed (what was parsed is still set).
 */
struct http_hostport {
	size_t off, len;
	int port;
};
int http_parse_hostport(const uint8_t *p, size_t n, struct http_hostport *hp);

#endif
