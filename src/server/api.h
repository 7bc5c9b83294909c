/*
 * api.h - the routes of otasuked's HTTP API, and what their handlers
 * share: the server's store, CA, limits and rate limiter (struct srv).
 * Each route is one file (api-<name>.c) and one row of api_routes[]
 * (api.c).  See docs/wire-protocol.md for what devices send and receive.
 */
#ifndef OT_API_H
#define OT_API_H

#include <jansson.h>
#include <stdatomic.h>

#include "auth.h"
#include "ca.h"
#include "correlate.h"
#include "http.h"
#include "ingest.h"
#include "ratelimit.h"
#include "store.h"

struct srv {
	struct store *store;
	struct ca *ca;
	struct ratelimit *rl;
	struct ingest_limits limits;
	size_t max_upload;         /* largest body of an upload, compressed */
	size_t max_buffered;       /* bodies held in memory at once, all requests */
	atomic_size_t buffered;
	struct auth_limiter *login_limit;
	int64_t session_ttl_us, api_token_ttl_us, enroll_ttl_us;
	const char *console_url, *helpdesk; /* console.url, notify.helpdesk */
	struct correlate *correlate; /* woken when a batch brings alerts */
};

extern const struct http_route api_routes[];
extern const size_t api_nroutes;

/* api-session.c: signing in and out, the signed-in user, their API tokens */
void api_login(struct http_req *r);
void api_logout(struct http_req *r);
void api_session_get(struct http_req *r);
void api_password_change(struct http_req *r);
void api_token_list(struct http_req *r);
void api_token_create(struct http_req *r);
void api_token_revoke(struct http_req *r);
/* api-users.c: a tenant's users (the provider's staff: /api/v1/staff/...) */
void api_user_list(struct http_req *r);
void api_user_create(struct http_req *r);
void api_user_get(struct http_req *r);
void api_user_update(struct http_req *r);
void api_user_delete(struct http_req *r);
/* api-tenants.c: tenants, their devices and enrollment tokens, the audit log */
void api_tenant_list(struct http_req *r);
void api_tenant_create(struct http_req *r);
void api_tenant_get(struct http_req *r);
void api_tenant_update(struct http_req *r);
void api_device_list(struct http_req *r);
void api_device_get(struct http_req *r);
void api_device_revoke(struct http_req *r);
void api_device_update(struct http_req *r);
void api_site_list(struct http_req *r);
void api_site_create(struct http_req *r);
void api_site_delete(struct http_req *r);
void api_enroll_token_create(struct http_req *r);
void api_audit_list(struct http_req *r);
/* api-eventlist.c: a tenant's events, filtered and paged */
void api_event_list(struct http_req *r);
void api_event_get(struct http_req *r);

/* A user as the API shows them (no password hash). */
json_t *api_user_json(const struct store_user *u);

/* api-incidents.c: a tenant's incidents and contacts */
void api_incident_list(struct http_req *r);
void api_incident_get(struct http_req *r);
void api_incident_update(struct http_req *r);
void api_incident_note(struct http_req *r);
void api_contact_list(struct http_req *r);
void api_contact_create(struct http_req *r);
void api_contact_delete(struct http_req *r);

/* Shared by the handlers (api.c). */
/* Record in the audit log what the request's user did. */
void api_audit(struct http_req *r, const char *tenant_id, const char *action,
	       const char *object, const char *detail);
/* Answer 503 for a storage error, 404 for STORE_NOTFOUND, 409 for
 * STORE_EXISTS; what is what object the request was about. */
void api_store_error(struct http_req *r, int err, const char *what);
/* The tenant the request is about: the path's, else the user's own ("" for
 * the provider's staff). */
const char *api_tenant_id(struct http_req *r);
/* Query arguments: absent leaves *out as it is; a bad one is answered 400
 * naming it and false returned.  A time is RFC 3339; a number is in
 * [min, max]; a text has 1 to max bytes. */
bool api_query_time(struct http_req *r, const char *name, int64_t *us);
bool api_query_u64(struct http_req *r, const char *name, uint64_t min, uint64_t max,
		   uint64_t *out);
bool api_query_text(struct http_req *r, const char *name, size_t max, const char **out);
/* A string member of o, or NULL having answered 400 (when required) or
 * when it is not a string or longer than max bytes. */
const char *api_str(struct http_req *r, json_t *o, const char *key, size_t max, bool required);

/* POST /api/v1/enroll */
void api_enroll_body(struct http_req *r);
/* POST /api/v1/events */
void api_events_head(struct http_req *r);
void api_events_body(struct http_req *r);

#endif
