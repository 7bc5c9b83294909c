/*
 * http.c - see http.h.  libmicrohttpd calls on_request() several times for
 * one request: once with the headers, then with each piece of the body,
 * then once more with none; on_completed() when it is over.  A response
 * queued at the first call goes out before the body is read (no
 * "100 Continue" is sent, and the connection is closed afterwards), so a
 * request refused by its headers costs no upload.
 *
 * A body over the route's limit is read and dropped, so that the client can
 * be told 413 instead of seeing its connection cut; past four times the
 * limit the connection is cut all the same, so that a client streaming an
 * endless chunked body does not hold a thread.  The bodies held by all
 * requests together are bounded too (http.max-buffered): beyond it a body
 * is dropped the same way and answered 503, so that many devices sending
 * their largest batches at once cannot exhaust the server's memory.
 *
 * Client certificates: libmicrohttpd asks for one when it is given a
 * trusted CA (MHD_OPTION_HTTPS_MEM_TRUST) but lets a client without one
 * in, since enrollment has none; routes that need one check it here, with
 * ca_check_client(), then look the device up in the store on every request,
 * so that a revocation applies from the next request on.
 */
#include "http.h"

#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "../lib/log.h"
#include "../lib/util.h"

/* TLS 1.2 and 1.3 only, GnuTLS's normal choice of ciphers within them. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct http_server {
	struct MHD_Daemon *d;
};

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void http_reply(struct http_req *r, unsigned status, char *json)
{
	free(r->reply);
	r->reply = json;
	r->status = status;
	r->answered = true;
}

void http_error(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *o = json_pack("{s:s,s:s}", "error", code, "message", msg);
	http_reply(r, status, o ? json_dumps(o, JSON_COMPACT) : NULL);
	json_decref(o);
}

static size_t body_limit(const struct http_req *r)
{
	return r->route->max_body ? r->route->max_body : r->srv->max_upload;
}

/* The device of the client certificate; answers 401/403/503 when it
 * cannot be used. */
static void authenticate(struct http_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	char dev[37], tenant[37], serial[CA_SERIAL_LEN], why[256] = "";

	int c = ci ? ca_check_client(r->srv->ca, ci->tls_session, dev, tenant, serial,
				     why, sizeof(why)) : -1;
	if (c == -1) {
		http_error(r, 401, "no_certificate", "this request needs the device's client "
			   "certificate (from enrollment)");
		return;
	}
	if (c < 0) {
		http_error(r, 401, "bad_certificate", "%s", why);
		return;
	}
	int s = store_device_get(r->srv->store, tenant, dev, &r->device);
	if (s == STORE_NOTFOUND || (s == STORE_OK && strcmp(r->device.cert_serial, serial))) {
		http_error(r, 401, "unknown_device", "this certificate's device is not enrolled");
		return;
	}
	if (s < 0) {
		r->retry_after = 5;
		http_error(r, 503, "unavailable", "storage is unavailable; retry later");
		return;
	}
	if (r->device.revoked) {
		http_error(r, 403, "revoked", "this device has been revoked");
		return;
	}
	r->have_device = true;
}

static void route(struct http_req *r, const char *method, const char *url)
{
	bool path_known = false;
	for (size_t i = 0; i < api_nroutes; i++) {
		if (strcmp(api_routes[i].path, url))
			continue;
		path_known = true;
		if (!strcmp(api_routes[i].method, method)) {
			r->route = &api_routes[i];
			return;
		}
	}
	if (path_known)
		http_error(r, 405, "method_not_allowed", "%s is not allowed here", method);
	else
		http_error(r, 404, "not_found", "no such resource");
}

static void first_call(struct http_req *r, const char *method, const char *url)
{
	route(r, method, url);
	if (r->answered)
		return;
	if (r->route->client_cert) {
		authenticate(r);
		if (r->answered)
			return;
	}
	const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t n;
	if (cl && ot_parse_u64(cl, 0, UINT64_MAX, false, &n) == 0 && n > body_limit(r)) {
		http_error(r, 413, "too_large", "the body is larger than %zu bytes", body_limit(r));
		return;
	}
	if (r->route->head)
		r->route->head(r);
}

/* Keep n more bytes of the body: up to the route's limit, and while all
 * requests together hold less than max_buffered. */
static void append(struct http_req *r, const char *data, size_t n)
{
	size_t limit = body_limit(r);
	if (r->dropped || r->len + n > limit) {
		r->dropped += n;
		return;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = OT_MIN(OT_MAX(2 * r->cap, r->len + n + 1), limit + 1);
		size_t grow = cap - r->cap;
		char *b = NULL;
		if (atomic_fetch_add(&r->srv->buffered, grow) + grow <= r->srv->max_buffered)
			b = realloc(r->body, cap);
		if (!b) {
			atomic_fetch_sub(&r->srv->buffered, grow);
			r->busy = true;
			r->dropped += n;
			return;
		}
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
}

static enum MHD_Result send_reply(struct http_req *r, const char *method, const char *url)
{
	const char *text = r->reply ? r->reply : "{\"error\":\"internal\"}";
	size_t len = strlen(text);
	struct MHD_Response *resp = r->reply
		? MHD_create_response_from_buffer(len, r->reply, MHD_RESPMEM_MUST_FREE)
		: MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	r->reply = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (r->retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	unsigned status = r->status ? r->status : 500;
	enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	ot_info("%s %s %u%s%s", method, url, status, r->have_device ? " device " : "",
		r->have_device ? r->device.id : "");
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct http_req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		r->conn = conn;
		r->srv = cls;
		first_call(r, method, url);
		return r->answered ? send_reply(r, method, url) : MHD_YES;
	}
	if (*upload_size) {
		if (!r->answered)
			append(r, upload_data, *upload_size);
		*upload_size = 0;
		return r->dropped > 4 * body_limit(r) ? MHD_NO : MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if (r->busy) {
		r->retry_after = 5;
		http_error(r, 503, "busy", "the server is receiving too much at once; retry later");
	} else if (r->dropped) {
		http_error(r, 413, "too_large", "the body is larger than %zu bytes", body_limit(r));
	} else {
		r->route->body(r);
	}
	return send_reply(r, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;
	if (!r)
		return;
	atomic_fetch_sub(&r->srv->buffered, r->cap);
	free(r->body);
	free(r->reply);
	free(r);
	*con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	ot_info("http: %s", msg);
}

struct http_server *http_start(const struct http_params *p)
{
	struct http_server *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	unsigned flags = MHD_USE_TLS | MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, p->srv,
				MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, p->listen_fd,
				MHD_OPTION_HTTPS_MEM_KEY, p->key_pem,
				MHD_OPTION_HTTPS_MEM_CERT, p->cert_pem,
				MHD_OPTION_HTTPS_MEM_TRUST, p->ca_pem,
				MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
				MHD_OPTION_THREAD_POOL_SIZE, p->threads,
				MHD_OPTION_CONNECTION_LIMIT, p->max_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, p->timeout,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_END);
	if (!h->d) {
		ot_err("cannot start the HTTPS server (libmicrohttpd)");
		free(h);
		return NULL;
	}
	return h;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
