/*
 * http.h - otasuked's HTTPS server (libmicrohttpd with GnuTLS).
 *
 * Requests are routed by a table (api.c: method, path pattern, what the
 * caller must be, the largest body, and two handlers).  For each request
 * this file does what every route shares: it matches the path (its {name}
 * parts become parameters), authenticates the caller - a device by its
 * client certificate (401 without a valid one, 403 when revoked), a person
 * by session cookie or API token (401) with the CSRF header on a session's
 * writes (403) -, checks the role (403) and the tenant of the path (404 for
 * another customer's tenant, as for one that does not exist), reads the
 * body up to the route's limit (413 beyond), and sends the JSON answer the
 * handler built.
 * A handler runs twice: `head` once the headers are in (it may answer at
 * once, before the body is sent), `body` once the whole body is.
 */
#ifndef OT_HTTP_H
#define OT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "store.h"

struct MHD_Connection;
struct srv;

/* One request, as handlers see it. */
struct http_req {
	struct MHD_Connection *conn;
	const struct http_route *route;
	struct srv *srv;
	char *body;                /* the whole body, NUL-terminated, once read */
	size_t len, cap;
	size_t dropped;            /* bytes not kept: over the limit, or busy */
	bool busy;                 /* the server holds too many bodies already */
	bool answered;
	bool have_device;          /* a client certificate named this device */
	struct store_device device;
	/* a person: by session (csrf set) or API token */
	bool have_user;
	struct store_user user;
	int role;                  /* enum auth_role of user */
	struct store_session session;
	bool have_session;
	/* the {tenant} of the path, checked */
	struct store_tenant tenant;
	bool have_tenant;
	/* the other {name} parts of the path */
	unsigned nparams;
	struct { char name[16]; char value[STORE_ID_LEN + 64]; } params[4];
	char addr[64];             /* the client's address */
	/* the answer */
	unsigned status;
	char *reply;               /* JSON text, malloc'd */
	unsigned retry_after;      /* seconds, for 429 and 503; 0: none */
	char set_cookie[256];      /* a Set-Cookie header to send, or "" */
};

struct http_route {
	const char *method;
	const char *path;          /* "/api/v1/tenants/{tenant}/users/{user}" */
	enum auth_need need;
	/* the largest body in bytes (0: the server's max_upload) */
	size_t max_body;
	/* Once the headers are in (NULL: nothing to check); answering here
	 * (http_error) refuses the request before its body is read. */
	void (*head)(struct http_req *r);
	void (*body)(struct http_req *r);
};

/* A request header's value, or NULL. */
const char *http_header(struct http_req *r, const char *name);
/* A query string argument's value, or NULL. */
const char *http_query(struct http_req *r, const char *name);
/* Whether path matches a route's pattern; its {name} parts (each one
 * whole segment, at most 4, each shorter than r->params' room) go to
 * r->params. */
bool http_path_match(const char *pattern, const char *path, struct http_req *r);
/* A {name} part of the path, or NULL. */
const char *http_param(struct http_req *r, const char *name);
/* Answer status with {"error": code, "message": ...}. */
void http_error(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Answer status with JSON text (taken: freed with the request). */
void http_reply(struct http_req *r, unsigned status, char *json);
/* Answer status with a jansson value (its reference taken); NULL: 500. */
struct json_t;
void http_reply_json(struct http_req *r, unsigned status, struct json_t *o);
/* The body as a JSON object, or NULL having answered 400 saying where it
 * is wrong. */
struct json_t *http_body_json(struct http_req *r);

struct http_server;
struct http_params {
	int listen_fd;             /* bound and listening */
	const char *cert_pem, *key_pem, *ca_pem;
	unsigned threads, max_connections, timeout;
	struct srv *srv;
};

struct http_server *http_start(const struct http_params *p);
/* Stop accepting, finish the requests in progress, and free. */
void http_stop(struct http_server *h);

#endif
