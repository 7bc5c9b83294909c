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

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "srv-time.h"
#include "token.h"
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

const char *http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_param(struct http_req *r, const char *name)
{
	for (unsigned i = 0; i < r->nparams; i++)
		if (!strcmp(r->params[i].name, name))
			return r->params[i].value;
	return NULL;
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

void http_reply_json(struct http_req *r, unsigned status, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	http_reply(r, text ? status : 500, text);
}

json_t *http_body_json(struct http_req *r)
{
	json_error_t e;
	json_t *o = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &e);
	if (!o) {
		http_error(r, 400, "bad_json", "the body is not JSON: %s (line %d, column %d)",
			   e.text, e.line, e.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		http_error(r, 400, "bad_json", "the body must be a JSON object");
		return NULL;
	}
	return o;
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

bool http_path_match(const char *pattern, const char *path, struct http_req *r)
{
	const char *p = pattern, *u = path;
	r->nparams = 0;
	while (*p && *u) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t seg = strcspn(u, "/");
			if (!close || seg == 0 || r->nparams >= OT_ARRAY_LEN(r->params) ||
			    seg >= sizeof(r->params[0].value))
				return false;
			size_t nl = (size_t)(close - p - 1);
			if (nl >= sizeof(r->params[0].name))
				return false;
			memcpy(r->params[r->nparams].name, p + 1, nl);
			r->params[r->nparams].name[nl] = '\0';
			memcpy(r->params[r->nparams].value, u, seg);
			r->params[r->nparams].value[seg] = '\0';
			r->nparams++;
			p = close + 1;
			u += seg;
		} else if (*p++ != *u++) {
			return false;
		}
	}
	return !*p && !*u;
}

static void route(struct http_req *r, const char *method, const char *url)
{
	bool path_known = false;
	for (size_t i = 0; i < api_nroutes; i++) {
		if (!http_path_match(api_routes[i].path, url, r))
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

#define SESSION_COOKIE "otasuke_session"

/* The person behind a session cookie or an API token; answers 401 (or
 * 403 for a session's write without its CSRF header) when there is none. */
static void authenticate_user(struct http_req *r, const char *method)
{
	char hash[TOKEN_HASH_LEN];
	const char *authz = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	int64_t now = srv_now_us();
	int s;

	if (authz) {
		struct store_api_token t;
		if (strncmp(authz, "Bearer ", 7) || token_secret_hash(authz + 7, hash) < 0) {
			http_error(r, 401, "bad_token", "Authorization must be 'Bearer <API token>'");
			return;
		}
		s = store_api_token_get(r->srv->store, hash, now, &t, &r->user);
	} else {
		const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
								 SESSION_COOKIE);
		if (!cookie || token_secret_hash(cookie, hash) < 0) {
			http_error(r, 401, "not_signed_in", "sign in first (POST /api/v1/login)");
			return;
		}
		s = store_session_get(r->srv->store, hash, now, &r->session, &r->user);
		r->have_session = s == STORE_OK;
	}
	if (s == STORE_NOTFOUND) {
		http_error(r, 401, authz ? "bad_token" : "not_signed_in",
			   authz ? "this API token is unknown, expired or revoked"
				 : "the session has ended; sign in again");
		return;
	}
	if (s < 0) {
		r->retry_after = 5;
		http_error(r, 503, "unavailable", "storage is unavailable; retry later");
		return;
	}
	r->role = auth_role_parse(r->user.role);
	if (r->have_session && strcmp(method, "GET") && strcmp(method, "HEAD")) {
		const char *csrf = http_header(r, "X-CSRF-Token");
		if (!csrf || strlen(csrf) != strlen(r->session.csrf) ||
		    sodium_memcmp(csrf, r->session.csrf, strlen(csrf)) != 0) {
			http_error(r, 403, "csrf", "this request needs the session's X-CSRF-Token "
				   "header (from GET /api/v1/session)");
			return;
		}
	}
	r->have_user = true;
}

/* The tenant of the path ({tenant}) if any, which the user must be allowed to see:
 * any for the provider's staff, their own for a customer's users.  Another
 * customer's tenant is answered as one that does not exist. */
static void check_tenant(struct http_req *r)
{
	const char *id = http_param(r, "tenant");
	if (!id)
		return;
	if ((!auth_role_staff(r->role) && strcmp(id, r->user.tenant_id)) || !token_is_uuid(id)) {
		http_error(r, 404, "not_found", "no such tenant");
		return;
	}
	int s = store_tenant_find(r->srv->store, id, &r->tenant);
	if (s == STORE_OK && strcmp(r->tenant.id, id))
		s = STORE_NOTFOUND;
	if (s == STORE_NOTFOUND) {
		http_error(r, 404, "not_found", "no such tenant");
	} else if (s < 0) {
		r->retry_after = 5;
		http_error(r, 503, "unavailable", "storage is unavailable; retry later");
	} else {
		r->have_tenant = true;
	}
}

static void first_call(struct http_req *r, const char *method, const char *url)
{
	route(r, method, url);
	if (r->answered)
		return;
	if (r->route->need == NEED_DEVICE) {
		authenticate(r);
	} else if (r->route->need != NEED_NONE) {
		authenticate_user(r, method);
		if (r->answered)
			return;
		if (!auth_allows(r->role, r->route->need))
			http_error(r, 403, "forbidden", "your role (%s) may not do this",
				   auth_role_name(r->role));
		else
			check_tenant(r);
	}
	if (r->answered)
		return;
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
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	if (r->retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	unsigned status = r->status ? r->status : 500;
	enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	ot_info("%s %s %u%s%s%s%s", method, url, status, r->have_device ? " device " : "",
		r->have_device ? r->device.id : "", r->have_user ? " user " : "",
		r->have_user ? r->user.id : "");
	return ret;
}

static void client_addr(struct http_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->addr,
			  sizeof(r->addr));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->addr,
			  sizeof(r->addr));
	else
		ot_strlcpy(r->addr, "?", sizeof(r->addr));
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
		client_addr(r);
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
