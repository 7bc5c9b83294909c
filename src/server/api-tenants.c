/*
 * api-tenants.c - tenants (customer companies), their devices and
 * enrollment tokens, and the audit log, through the API.
 *
 * The provider's staff see every tenant; a customer's users see only their
 * own (http.c has already answered 404 for any other tenant in a path).
 * Making tenants, enrollment tokens and revoking devices are the provider
 * admin's.
 */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "srv-admin.h"
#include "srv-time.h"
#include "token.h"
#include "../lib/util.h"

static json_t *tenant_json(const struct store_tenant *t)
{
	return json_pack("{s:s,s:s,s:I,s:i}", "id", t->id, "name", t->name, "created_us",
			 (json_int_t)t->created_us, "retention_days", (int)t->retention_days);
}

static int add_tenant(void *arg, const struct store_tenant *t)
{
	return json_array_append_new(arg, tenant_json(t)) < 0 ? STORE_ERR : 0;
}

void api_tenant_list(struct http_req *r)
{
	json_t *list = json_array();
	int s = STORE_OK;
	if (auth_role_staff(r->role)) {
		s = store_tenant_list(r->srv->store, add_tenant, list);
	} else {
		struct store_tenant t;
		if ((s = store_tenant_find(r->srv->store, r->user.tenant_id, &t)) == STORE_OK)
			add_tenant(list, &t);
	}
	if (s < 0) {
		json_decref(list);
		api_store_error(r, s, "tenant");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "tenants", list));
}

void api_tenant_create(struct http_req *r)
{
	json_t *o = http_body_json(r);
	if (!o)
		return;
	const char *name = api_str(r, o, "name", STORE_NAME_MAX, true);
	struct store_tenant t;
	int s = name ? admin_tenant_create(r->srv->store, name, &t) : 0;
	if (!name) {
		/* answered */
	} else if (s == -EINVAL) {
		http_error(r, 400, "bad_value", "'name' must have 1 to %d bytes", STORE_NAME_MAX);
	} else if (s < 0) {
		api_store_error(r, s, "tenant name");
	} else {
		api_audit(r, t.id, "tenant.add", t.id, t.name);
		http_reply_json(r, 201, tenant_json(&t));
	}
	json_decref(o);
}

void api_tenant_get(struct http_req *r)
{
	http_reply_json(r, 200, tenant_json(&r->tenant));
}

void api_tenant_update(struct http_req *r)
{
	json_t *o = http_body_json(r);
	if (!o)
		return;
	json_t *days = json_object_get(o, "retention_days");
	if (!json_is_integer(days) || json_integer_value(days) < 0 ||
	    json_integer_value(days) > 36500) {
		http_error(r, 400, "bad_value", "'retention_days' must be a number of days from 1 "
			   "to 36500, or 0 for the server's default");
	} else {
		unsigned d = (unsigned)json_integer_value(days);
		int s = store_tenant_set_retention(r->srv->store, r->tenant.id, d);
		if (s < 0) {
			api_store_error(r, s, "tenant");
		} else {
			char detail[48];
			snprintf(detail, sizeof(detail), "retention_days %u", d);
			r->tenant.retention_days = d;
			api_audit(r, r->tenant.id, "tenant.update", r->tenant.id, detail);
			http_reply_json(r, 200, tenant_json(&r->tenant));
		}
	}
	json_decref(o);
}

static json_t *device_json(const struct store_device *d)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:s?}", "id", d->id, "tenant_id",
			 d->tenant_id, "name", d->name, "kind", d->kind, "cert_serial",
			 d->cert_serial, "enrolled_us", (json_int_t)d->enrolled_us, "revoked",
			 d->revoked, "site_id", d->site_id[0] ? d->site_id : NULL);
}

static int add_device(void *arg, const struct store_device *d)
{
	return json_array_append_new(arg, device_json(d)) < 0 ? STORE_ERR : 0;
}

void api_device_list(struct http_req *r)
{
	json_t *list = json_array();
	int s = store_device_list(r->srv->store, r->tenant.id, add_device, list);
	if (s < 0) {
		json_decref(list);
		api_store_error(r, s, "device");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "devices", list));
}

void api_device_get(struct http_req *r)
{
	struct store_device d;
	int s = store_device_get(r->srv->store, r->tenant.id, http_param(r, "device"), &d);
	if (s < 0)
		api_store_error(r, s, "device");
	else
		http_reply_json(r, 200, device_json(&d));
}

void api_device_revoke(struct http_req *r)
{
	struct store_device d;
	int s = store_device_revoke(r->srv->store, r->tenant.id, http_param(r, "device"),
				    srv_now_us(), &d);
	if (s < 0) {
		api_store_error(r, s, "device");
		return;
	}
	api_audit(r, d.tenant_id, "device.revoke", d.id, d.name);
	http_reply_json(r, 200, device_json(&d));
}

void api_device_update(struct http_req *r)
{
	struct store_device d;
	json_t *o = http_body_json(r);
	if (!o)
		return;
	json_t *site = json_object_get(o, "site_id");
	const char *id = http_param(r, "device");
	int s;
	if (!site || !(json_is_null(site) || json_is_string(site))) {
		http_error(r, 400, "bad_value", "'site_id' must be a site id of the tenant, or null");
	} else if ((s = store_device_set_site(r->srv->store, r->tenant.id, id,
					      json_string_value(site))) < 0 ||
		   (s = store_device_get(r->srv->store, r->tenant.id, id, &d)) < 0) {
		api_store_error(r, s, "device or site");
	} else {
		api_audit(r, d.tenant_id, "device.site", d.id, d.site_id);
		http_reply_json(r, 200, device_json(&d));
	}
	json_decref(o);
}

static json_t *site_json(const struct store_site *site)
{
	return json_pack("{s:s,s:s,s:I}", "id", site->id, "name", site->name, "created_us",
			 (json_int_t)site->created_us);
}

static int add_site(void *arg, const struct store_site *site)
{
	return json_array_append_new(arg, site_json(site)) < 0 ? STORE_ERR : 0;
}

void api_site_list(struct http_req *r)
{
	json_t *list = json_array();
	int s = store_site_list(r->srv->store, r->tenant.id, add_site, list);
	if (s < 0) {
		json_decref(list);
		api_store_error(r, s, "site");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "sites", list));
}

void api_site_create(struct http_req *r)
{
	struct store_site site = { 0 };
	json_t *o = http_body_json(r);
	if (!o)
		return;
	const char *name = api_str(r, o, "name", STORE_NAME_MAX, true);
	if (name && !*name) {
		http_error(r, 400, "bad_value", "'name' must not be empty");
	} else if (name) {
		ot_strlcpy(site.tenant_id, r->tenant.id, sizeof(site.tenant_id));
		token_uuid(site.id);
		ot_strlcpy(site.name, name, sizeof(site.name));
		site.created_us = srv_now_us();
		int s = store_site_add(r->srv->store, &site);
		if (s < 0) {
			api_store_error(r, s, "site name");
		} else {
			api_audit(r, site.tenant_id, "site.add", site.id, site.name);
			http_reply_json(r, 201, site_json(&site));
		}
	}
	json_decref(o);
}

void api_site_delete(struct http_req *r)
{
	const char *id = http_param(r, "site");
	int s = store_site_remove(r->srv->store, r->tenant.id, id);
	if (s < 0) {
		api_store_error(r, s, "site");
		return;
	}
	api_audit(r, r->tenant.id, "site.remove", id, NULL);
	http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

void api_enroll_token_create(struct http_req *r)
{
	char token[TOKEN_MAX], when[40];
	struct store_token tk;
	int s = admin_token_create(r->srv->store, r->tenant.id, r->srv->enroll_ttl_us, token, &tk);
	if (s < 0) {
		api_store_error(r, s, "token");
		return;
	}
	srv_time_fmt(tk.expires_us, when, sizeof(when));
	api_audit(r, r->tenant.id, "token.create", r->tenant.id, when);
	http_reply_json(r, 201, json_pack("{s:s,s:I,s:s,s:s}", "token", token, "expires_us",
					  (json_int_t)tk.expires_us, "ca", ca_cert_pem(r->srv->ca),
					  "ca_sha256", ca_fingerprint(r->srv->ca)));
}

static int add_audit(void *arg, const struct store_audit_row *a)
{
	json_t *o = json_pack("{s:I,s:I,s:s?,s:s?,s:s?,s:s?,s:s?}", "id", (json_int_t)a->id,
			      "ts_us", (json_int_t)a->ts_us, "tenant_id", a->tenant_id, "actor",
			      a->actor, "action", a->action, "object", a->object, "detail",
			      a->detail);
	return json_array_append_new(arg, o) < 0 ? STORE_ERR : 0;
}

void api_audit_list(struct http_req *r)
{
	uint64_t before = 0, limit = 100;
	if (!api_query_u64(r, "before", 1, INT64_MAX, &before) ||
	    !api_query_u64(r, "limit", 1, 1000, &limit))
		return;
	json_t *list = json_array();
	int s = store_audit_list(r->srv->store, http_param(r, "tenant") ? r->tenant.id : NULL,
				 (int64_t)before, (unsigned)limit, add_audit, list);
	if (s < 0) {
		json_decref(list);
		api_store_error(r, s, "audit record");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "audit", list));
}
