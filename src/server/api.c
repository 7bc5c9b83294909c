/*
 * api.c - the route table of otasuked's HTTP API: one row per route, and
 * what the handlers share.  docs/openapi.yaml describes every route; a
 * test keeps it in step with this table (otasuked --dump-routes), and the
 * tenant isolation test walks this table.
 */
#include "api.h"

#include <string.h>

#include "srv-time.h"
#include "../lib/util.h"

#define SMALL 65536                /* the largest JSON body of the console's requests */

const struct http_route api_routes[] = {
	/* devices */
	{ "POST", "/api/v1/enroll", NEED_NONE, SMALL, NULL, api_enroll_body },
	{ "POST", "/api/v1/events", NEED_DEVICE, 0, api_events_head, api_events_body },
	/* people */
	{ "POST", "/api/v1/login", NEED_NONE, SMALL, NULL, api_login },
	{ "POST", "/api/v1/logout", NEED_USER, SMALL, NULL, api_logout },
	{ "GET", "/api/v1/session", NEED_USER, SMALL, NULL, api_session_get },
	{ "POST", "/api/v1/session/password", NEED_USER, SMALL, NULL, api_password_change },
	{ "GET", "/api/v1/session/api-tokens", NEED_USER, SMALL, NULL, api_token_list },
	{ "POST", "/api/v1/session/api-tokens", NEED_USER, SMALL, NULL, api_token_create },
	{ "DELETE", "/api/v1/session/api-tokens/{token}", NEED_USER, SMALL, NULL, api_token_revoke },
	{ "GET", "/api/v1/staff/users", NEED_PROVIDER_ADMIN, SMALL, NULL, api_user_list },
	{ "POST", "/api/v1/staff/users", NEED_PROVIDER_ADMIN, SMALL, NULL, api_user_create },
	{ "GET", "/api/v1/staff/users/{user}", NEED_PROVIDER_ADMIN, SMALL, NULL, api_user_get },
	{ "PATCH", "/api/v1/staff/users/{user}", NEED_PROVIDER_ADMIN, SMALL, NULL, api_user_update },
	{ "DELETE", "/api/v1/staff/users/{user}", NEED_PROVIDER_ADMIN, SMALL, NULL, api_user_delete },
	{ "GET", "/api/v1/audit", NEED_PROVIDER_ADMIN, SMALL, NULL, api_audit_list },
	/* tenants */
	{ "GET", "/api/v1/tenants", NEED_USER, SMALL, NULL, api_tenant_list },
	{ "POST", "/api/v1/tenants", NEED_PROVIDER_ADMIN, SMALL, NULL, api_tenant_create },
	{ "GET", "/api/v1/tenants/{tenant}", NEED_USER, SMALL, NULL, api_tenant_get },
	{ "PATCH", "/api/v1/tenants/{tenant}", NEED_PROVIDER_ADMIN, SMALL, NULL, api_tenant_update },
	{ "GET", "/api/v1/tenants/{tenant}/users", NEED_TENANT_ADMIN, SMALL, NULL, api_user_list },
	{ "POST", "/api/v1/tenants/{tenant}/users", NEED_TENANT_ADMIN, SMALL, NULL, api_user_create },
	{ "GET", "/api/v1/tenants/{tenant}/users/{user}", NEED_TENANT_ADMIN, SMALL, NULL, api_user_get },
	{ "PATCH", "/api/v1/tenants/{tenant}/users/{user}", NEED_TENANT_ADMIN, SMALL, NULL,
	  api_user_update },
	{ "DELETE", "/api/v1/tenants/{tenant}/users/{user}", NEED_TENANT_ADMIN, SMALL, NULL,
	  api_user_delete },
	{ "GET", "/api/v1/tenants/{tenant}/devices", NEED_USER, SMALL, NULL, api_device_list },
	{ "GET", "/api/v1/tenants/{tenant}/devices/{device}", NEED_USER, SMALL, NULL, api_device_get },
	{ "PATCH", "/api/v1/tenants/{tenant}/devices/{device}", NEED_TENANT_ADMIN, SMALL, NULL,
	  api_device_update },
	{ "POST", "/api/v1/tenants/{tenant}/devices/{device}/revoke", NEED_PROVIDER_ADMIN, SMALL,
	  NULL, api_device_revoke },
	{ "GET", "/api/v1/tenants/{tenant}/sites", NEED_USER, SMALL, NULL, api_site_list },
	{ "POST", "/api/v1/tenants/{tenant}/sites", NEED_TENANT_ADMIN, SMALL, NULL, api_site_create },
	{ "DELETE", "/api/v1/tenants/{tenant}/sites/{site}", NEED_TENANT_ADMIN, SMALL, NULL,
	  api_site_delete },
	{ "POST", "/api/v1/tenants/{tenant}/enroll-tokens", NEED_PROVIDER_ADMIN, SMALL, NULL,
	  api_enroll_token_create },
	{ "GET", "/api/v1/tenants/{tenant}/audit", NEED_TENANT_ADMIN, SMALL, NULL, api_audit_list },
	{ "GET", "/api/v1/tenants/{tenant}/events", NEED_USER, SMALL, NULL, api_event_list },
	{ "GET", "/api/v1/tenants/{tenant}/events/{event}", NEED_USER, SMALL, NULL, api_event_get },
	{ "GET", "/api/v1/tenants/{tenant}/incidents", NEED_USER, SMALL, NULL, api_incident_list },
	{ "GET", "/api/v1/tenants/{tenant}/incidents/{incident}", NEED_USER, SMALL, NULL,
	  api_incident_get },
	{ "PATCH", "/api/v1/tenants/{tenant}/incidents/{incident}", NEED_OPERATOR, SMALL, NULL,
	  api_incident_update },
	{ "POST", "/api/v1/tenants/{tenant}/incidents/{incident}/notes", NEED_OPERATOR, SMALL, NULL,
	  api_incident_note },
	{ "GET", "/api/v1/tenants/{tenant}/contacts", NEED_TENANT_ADMIN, SMALL, NULL,
	  api_contact_list },
	{ "POST", "/api/v1/tenants/{tenant}/contacts", NEED_TENANT_ADMIN, SMALL, NULL,
	  api_contact_create },
	{ "DELETE", "/api/v1/tenants/{tenant}/contacts/{contact}", NEED_TENANT_ADMIN, SMALL, NULL,
	  api_contact_delete },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

void api_audit(struct http_req *r, const char *tenant_id, const char *action,
	       const char *object, const char *detail)
{
	char actor[STORE_LOGIN_MAX + 64];
	if (r->have_user)
		snprintf(actor, sizeof(actor), "user %s (%s)", r->user.id, r->user.login);
	else
		snprintf(actor, sizeof(actor), "%s", r->addr);
	struct store_audit a = { tenant_id && *tenant_id ? tenant_id : NULL, actor, action,
				 object, detail };
	store_audit_add(r->srv->store, srv_now_us(), &a);
}

void api_store_error(struct http_req *r, int err, const char *what)
{
	if (err == STORE_NOTFOUND) {
		http_error(r, 404, "not_found", "no such %s", what);
	} else if (err == STORE_EXISTS) {
		http_error(r, 409, "exists", "this %s exists already", what);
	} else {
		r->retry_after = 5;
		http_error(r, 503, "unavailable", "storage is unavailable; retry later");
	}
}

const char *api_tenant_id(struct http_req *r)
{
	return http_param(r, "tenant") ? r->tenant.id : r->user.tenant_id;
}

const char *api_str(struct http_req *r, json_t *o, const char *key, size_t max, bool required)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		if (required)
			http_error(r, 400, "missing", "'%s' is required", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		http_error(r, 400, "bad_value", "'%s' must be a string", key);
		return NULL;
	}
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v)) {
		http_error(r, 400, "bad_value", "'%s' must be text of at most %zu bytes", key, max);
		return NULL;
	}
	return json_string_value(v);
}

bool api_query_time(struct http_req *r, const char *name, int64_t *us)
{
	const char *v = http_query(r, name);
	if (v && srv_time_parse(v, strlen(v), us) < 0) {
		http_error(r, 400, "bad_query", "'%s' must be a time such as 2026-11-22T09:30:00Z",
			   name);
		return false;
	}
	return true;
}

bool api_query_u64(struct http_req *r, const char *name, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	const char *v = http_query(r, name);
	if (v && ot_parse_u64(v, min, max, false, out) < 0) {
		http_error(r, 400, "bad_query", "'%s' must be a whole number from %llu to %llu",
			   name, (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	return true;
}

bool api_query_text(struct http_req *r, const char *name, size_t max, const char **out)
{
	const char *v = http_query(r, name);
	if (v && (!*v || strlen(v) > max)) {
		http_error(r, 400, "bad_query", "'%s' must be 1 to %zu bytes", name, max);
		return false;
	}
	*out = v;
	return true;
}
