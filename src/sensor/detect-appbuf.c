/*
 * detect-appbuf.c - reading the app-layer buffers of transactions for the
 * rule engine (detect-appbuf.h).
 *
 * HTTP/1 buffers come from the parser's transactions (app-http.h): most
 * are a field or a header as it is; http.uri is normalised the way
 * libhtp gives it to Suricata, and http.header / http.header_names are
 * the headers joined again.  dns.query is each question's name of a
 * request (one instance each).  The TLS buffers are strings the parser
 * kept from the handshake (app-tls.h): the client's side (SNI, JA3, JA4,
 * a client certificate) and the server's (JA3S, its certificate); and
 * tls.certs, each certificate of the chain as DER, while the parser still
 * holds the Certificate message.
 */
#include "detect-appbuf.h"

#include <stdlib.h>
#include <string.h>

#include "app-dns.h"
#include "app-http.h"
#include "app-tls.h"
#include "applayer.h"
#include "../lib/util.h"

#define HDR_BUF (64 * 1024)     /* joined HTTP headers (http.header) */
#define URI_BUF (16 * 1024)     /* normalised URI (http.uri) */

int detect_appbuf_init(struct detect_appbuf *s)
{
	s->hbuf = malloc(HDR_BUF);
	s->ubuf = malloc(URI_BUF);
	return s->hbuf && s->ubuf ? 0 : -1;
}

void detect_appbuf_reset(struct detect_appbuf *s)
{
	s->name_tx = NULL;
}

void detect_appbuf_free(struct detect_appbuf *s)
{
	free(s->hbuf);
	free(s->ubuf);
	s->hbuf = s->ubuf = NULL;
}

/* ---- HTTP/1 ---- */

static struct http_bytes hdr(const struct http_tx *tx, int dir, const char *name)
{
	return http_tx_header(tx, dir, name);
}

enum joined_form { J_HEADERS, J_NAMES, J_START, J_MESSAGE };

/*
 * Headers of one side joined again into the scratch buffer: as
 * "Name: value\r\n"... (http.header), their names as
 * "\r\nName\r\nName\r\n\r\n" (http.header_names), after the start
 * line and up to the empty line (http.start), or that and the body: the
 * message as it was sent, near enough, for the payload contents of a rule
 * that also looks at HTTP buffers (Suricata matches those on the stream).
 */
static struct http_bytes joined(struct detect_appbuf *s, const struct http_tx *tx, int dir,
				enum joined_form form)
{
	struct http_bytes out = { s->hbuf, 0 };
	size_t n = http_tx_header_count(tx, dir), len = 0;
	bool names = form == J_NAMES;
#define PUT(p, l) do { size_t l_ = (l); if (len + l_ > HDR_BUF) goto full; \
		memcpy(s->hbuf + len, (p), l_); len += l_; } while (0)
	if (form == J_START || form == J_MESSAGE) {
		struct http_bytes line = http_tx_field(tx, dir ? HTTP_F_RESPONSE_LINE :
						       HTTP_F_REQUEST_LINE);
		if (line.ptr)
			PUT(line.ptr, line.len);
	}
	if (form != J_HEADERS)
		PUT("\r\n", 2);
	for (size_t i = 0; i < n; i++) {
		struct http_bytes k, v;
		if (!http_tx_header_at(tx, dir, i, &k, &v) || !k.ptr)
			continue;
		PUT(k.ptr, k.len);
		if (!names) {
			PUT(": ", 2);
			if (v.ptr)
				PUT(v.ptr, v.len);
		}
		PUT("\r\n", 2);
	}
	if (form != J_HEADERS)
		PUT("\r\n", 2);
	if (form == J_MESSAGE) {
		struct http_bytes body = http_tx_field(tx, dir ? HTTP_F_RESPONSE_BODY :
						       HTTP_F_REQUEST_BODY);
		if (body.ptr)
			PUT(body.ptr, body.len < HDR_BUF - len ? body.len : HDR_BUF - len);
	}
#undef PUT
full:
	out.len = len;
	return out;
}

/*
 * http.uri is the normalised URI, as libhtp gives it to Suricata: an
 * absolute URI ("http://host/x") reduced to its path and query, and %XX
 * escapes of the path decoded.  Into the engine's scratch buffer.
 */
static struct http_bytes uri_normalised(struct detect_appbuf *s, struct http_bytes raw)
{
	struct http_bytes out = { s->ubuf, 0 };
	if (!raw.ptr || raw.len > URI_BUF)
		return raw;
	const uint8_t *u = raw.ptr;
	size_t n = raw.len, i = 0, len = 0;
	/* scheme://authority */
	size_t c = 0;
	while (c < n && c < 16 && u[c] != ':' && u[c] != '/' && u[c] != '?')
		c++;
	if (c > 0 && c + 2 < n && u[c] == ':' && u[c + 1] == '/' && u[c + 2] == '/') {
		i = c + 3;
		while (i < n && u[i] != '/' && u[i] != '?')
			i++;
		if (i == n) {
			s->ubuf[0] = '/';
			out.len = 1;
			return out;
		}
	}
	bool query = false;
	while (i < n) {
		uint8_t ch = u[i];
		if (ch == '?')
			query = true;
		if (!query && ch == '%' && i + 2 < n && ot_hexval(u[i + 1]) >= 0 &&
		    ot_hexval(u[i + 2]) >= 0) {
			s->ubuf[len++] = (uint8_t)(ot_hexval(u[i + 1]) << 4 | ot_hexval(u[i + 2]));
			i += 3;
			continue;
		}
		s->ubuf[len++] = ch;
		i++;
	}
	out.len = len;
	return out;
}

/* http.request_header / http.response_header: header i as "Name: value". */
static struct http_bytes header_line(struct detect_appbuf *s, const struct http_tx *tx, int dir,
				     uint32_t i)
{
	struct http_bytes k, v, none = { NULL, 0 };
	if (!http_tx_header_at(tx, dir, i, &k, &v) || !k.ptr || k.len + v.len + 2 > HDR_BUF)
		return none;
	memcpy(s->hbuf, k.ptr, k.len);
	memcpy(s->hbuf + k.len, ": ", 2);
	if (v.ptr)
		memcpy(s->hbuf + k.len + 2, v.ptr, v.len);
	return (struct http_bytes){ s->hbuf, k.len + 2 + (v.ptr ? v.len : 0) };
}

/* The bytes of buffer b of tx (dir: the side for buffers of both sides). */
static struct http_bytes http_buffer(struct detect_appbuf *s, const struct http_tx *tx, int b,
				     int dir)
{
	struct http_bytes none = { NULL, 0 };
	switch (b) {
	case DBUF_HTTP_URI: return uri_normalised(s, http_tx_field(tx, HTTP_F_URI));
	case DBUF_HTTP_URI_RAW: return http_tx_field(tx, HTTP_F_URI);
	case DBUF_HTTP_METHOD: return http_tx_field(tx, HTTP_F_METHOD);
	case DBUF_HTTP_HOST: return http_tx_field(tx, HTTP_F_HOST);
	case DBUF_HTTP_HOST_RAW: return hdr(tx, 0, "Host");
	case DBUF_HTTP_USER_AGENT: return http_tx_field(tx, HTTP_F_USER_AGENT);
	case DBUF_HTTP_REQUEST_BODY: return http_tx_field(tx, HTTP_F_REQUEST_BODY);
	case DBUF_HTTP_REQUEST_LINE: return http_tx_field(tx, HTTP_F_REQUEST_LINE);
	case DBUF_HTTP_PROTOCOL:
		return http_tx_field(tx, dir ? HTTP_F_RESPONSE_PROTOCOL : HTTP_F_PROTOCOL);
	case DBUF_HTTP_RESPONSE_LINE: return http_tx_field(tx, HTTP_F_RESPONSE_LINE);
	case DBUF_HTTP_STAT_CODE: return http_tx_field(tx, HTTP_F_STATUS);
	case DBUF_HTTP_STAT_MSG: return http_tx_field(tx, HTTP_F_STATUS_MSG);
	case DBUF_HTTP_RESPONSE_BODY:
		return http_tx_field(tx, dir ? HTTP_F_RESPONSE_BODY : HTTP_F_REQUEST_BODY);
	case DBUF_HTTP_COOKIE: return hdr(tx, dir, dir ? "Set-Cookie" : "Cookie");
	case DBUF_HTTP_REFERER: return hdr(tx, 0, "Referer");
	case DBUF_HTTP_ACCEPT: return hdr(tx, 0, "Accept");
	case DBUF_HTTP_ACCEPT_ENC: return hdr(tx, 0, "Accept-Encoding");
	case DBUF_HTTP_ACCEPT_LANG: return hdr(tx, 0, "Accept-Language");
	case DBUF_HTTP_CONNECTION: return hdr(tx, dir, "Connection");
	case DBUF_HTTP_CONTENT_TYPE: return hdr(tx, dir, "Content-Type");
	case DBUF_HTTP_CONTENT_LEN: return hdr(tx, dir, "Content-Length");
	case DBUF_HTTP_SERVER: return hdr(tx, 1, "Server");
	case DBUF_HTTP_LOCATION: return hdr(tx, 1, "Location");
	case DBUF_HTTP_HEADER: case DBUF_HTTP_HEADER_RAW: return joined(s, tx, dir, J_HEADERS);
	case DBUF_HTTP_HEADER_NAMES: return joined(s, tx, dir, J_NAMES);
	case DBUF_HTTP_START: return joined(s, tx, dir, J_START);
	case DBUF_PAYLOAD: return joined(s, tx, dir, J_MESSAGE);
	}
	return none;
}

/* ---- TLS ---- */

static const char *tls_buffer(const void *st, int b, int dir)
{
	switch (b) {
	case DBUF_TLS_SNI: return app_tls_sni(st);
	case DBUF_JA3_HASH: return app_tls_ja3_hash(st);
	case DBUF_JA3_STRING: return app_tls_ja3_string(st);
	case DBUF_JA3S_HASH: return app_tls_ja3s_hash(st);
	case DBUF_JA3S_STRING: return app_tls_ja3s_string(st);
	case DBUF_JA4_HASH: return app_tls_ja4(st);
	case DBUF_TLS_CERT_SUBJECT:
		return dir ? app_tls_cert_subject(st) : app_tls_client_cert_subject(st);
	case DBUF_TLS_CERT_ISSUER:
		return dir ? app_tls_cert_issuer(st) : app_tls_client_cert_issuer(st);
	case DBUF_TLS_CERT_SERIAL:
		return dir ? app_tls_cert_serial(st) : app_tls_client_cert_serial(st);
	case DBUF_TLS_CERT_FINGERPRINT:
		return dir ? app_tls_cert_fingerprint(st) : app_tls_client_cert_fingerprint(st);
	}
	return NULL;
}

/* ---- any protocol ---- */

int detect_appbuf_proto(int b)
{
	switch (b) {
	case DBUF_HTTP_URI: case DBUF_HTTP_URI_RAW: case DBUF_HTTP_METHOD: case DBUF_HTTP_HOST:
	case DBUF_HTTP_HOST_RAW: case DBUF_HTTP_USER_AGENT: case DBUF_HTTP_HEADER:
	case DBUF_HTTP_HEADER_RAW: case DBUF_HTTP_HEADER_NAMES: case DBUF_HTTP_COOKIE:
	case DBUF_HTTP_REQUEST_BODY: case DBUF_HTTP_REQUEST_LINE: case DBUF_HTTP_PROTOCOL:
	case DBUF_HTTP_REFERER: case DBUF_HTTP_ACCEPT: case DBUF_HTTP_ACCEPT_ENC:
	case DBUF_HTTP_ACCEPT_LANG: case DBUF_HTTP_CONNECTION: case DBUF_HTTP_CONTENT_TYPE:
	case DBUF_HTTP_CONTENT_LEN: case DBUF_HTTP_STAT_CODE: case DBUF_HTTP_STAT_MSG:
	case DBUF_HTTP_RESPONSE_LINE: case DBUF_HTTP_RESPONSE_BODY: case DBUF_HTTP_SERVER:
	case DBUF_HTTP_LOCATION: case DBUF_HTTP_START: case DBUF_HTTP_REQUEST_HEADER:
	case DBUF_HTTP_RESPONSE_HEADER:
		return APP_HTTP;
	case DBUF_DNS_QUERY:
		return APP_DNS;
	case DBUF_TLS_CERTS:
	case DBUF_TLS_SNI: case DBUF_JA3_HASH: case DBUF_JA3_STRING: case DBUF_JA3S_HASH:
	case DBUF_JA3S_STRING: case DBUF_JA4_HASH: case DBUF_TLS_CERT_SUBJECT:
	case DBUF_TLS_CERT_ISSUER: case DBUF_TLS_CERT_SERIAL: case DBUF_TLS_CERT_FINGERPRINT:
		return APP_TLS;
	}
	return 0;
}

unsigned detect_appbuf_progress(int b, int dir)
{
	switch (detect_appbuf_proto(b)) {
	case APP_DNS:
		return DNS_PROGRESS_MESSAGE;
	case APP_TLS:
		switch (b) {
		case DBUF_TLS_CERT_SUBJECT: case DBUF_TLS_CERT_ISSUER:
		case DBUF_TLS_CERT_SERIAL: case DBUF_TLS_CERT_FINGERPRINT: case DBUF_TLS_CERTS:
			return TLS_PROGRESS_CERT;
		}
		return TLS_PROGRESS_HELLO;
	}
	return 0;
}

bool detect_appbuf_get(struct detect_appbuf *s, const struct detect_tx *t, int b, int dir,
		       uint32_t i, const uint8_t **ptr, uint32_t *len)
{
	switch (t->proto) {
	case APP_HTTP: {
		struct http_bytes v = b == DBUF_HTTP_REQUEST_HEADER || b == DBUF_HTTP_RESPONSE_HEADER ?
			header_line(s, t->tx, dir, i) :
			i ? (struct http_bytes){ NULL, 0 } : http_buffer(s, t->tx, b, dir);
		if (!v.ptr || v.len > UINT32_MAX)
			return false;
		*ptr = v.ptr;
		*len = (uint32_t)v.len;
		return true;
	}
	case APP_DNS: {
		if (b != DBUF_DNS_QUERY || app_dns_is_response(t->tx))
			return false;
		/* rules after rules read the same name: decode it once */
		if (s->name_tx != t->tx || s->name_i != i) {
			int n = app_dns_query_name(t->tx, i, s->name, sizeof(s->name));
			if (n < 0)
				return false;
			s->name_tx = t->tx;
			s->name_i = i;
			s->name_len = (uint32_t)n;
		}
		*ptr = (const uint8_t *)s->name;
		*len = s->name_len;
		return true;
	}
	case APP_TLS: {
		if (b == DBUF_TLS_CERTS) {
			size_t n;
			if (!app_tls_chain_cert(t->tx, i, ptr, &n) || n > UINT32_MAX)
				return false;
			*len = (uint32_t)n;
			return true;
		}
		const char *v = i ? NULL : tls_buffer(t->tx, b, dir);
		if (!v)
			return false;
		*ptr = (const uint8_t *)v;
		*len = (uint32_t)strlen(v);
		return true;
	}
	}
	return false;
}
