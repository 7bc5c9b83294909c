/*
 * api-users.c - the users of a tenant (/api/v1/tenants/{tenant}/users,
 * for its customer admin or the provider's admins) and the provider's own
 * staff (/api/v1/staff/users, provider admins only).  The same handlers
 * serve both: the tenant is the path's, or none ("") for staff, and a
 * role must belong to the side it is given on (a customer admin cannot
 * make anyone staff).  A new user's password, when not given, is made
 * here and shown once.  Disabling a user or setting their password ends
 * their sessions.
 */
#include "api.h"

#include <string.h>

#include "srv-time.h"
#include "token.h"
#include "../lib/util.h"

static int add_user(void *arg, const struct store_user *u)
{
	return json_array_append_new(arg, api_user_json(u)) < 0 ? STORE_ERR : 0;
}

void api_user_list(struct http_req *r)
{
	json_t *list = json_array();
	int s = store_user_list(r->srv->store, api_tenant_id(r), add_user, list);
	if (s < 0) {
		json_decref(list);
		api_store_error(r, s, "user");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "users", list));
}

/* Whether role may be given here: staff roles on staff routes only. */
static bool role_fits(struct http_req *r, const char *role)
{
	int v = auth_role_parse(role);
	if (v < 0 || auth_role_staff(v) != !http_param(r, "tenant")) {
		http_error(r, 400, "bad_role", "'role' must be one of %s",
			   http_param(r, "tenant") ? "customer_admin, customer_viewer"
						   : "provider_admin, soc_operator, technician");
		return false;
	}
	return true;
}

static bool lang_fits(struct http_req *r, const char *lang)
{
	if (strcmp(lang, "ja") && strcmp(lang, "en")) {
		http_error(r, 400, "bad_lang", "'lang' must be ja or en");
		return false;
	}
	return true;
}

/* Hash pw into u after checking it; false having answered. */
static bool set_password(struct http_req *r, struct store_user *u, const char *pw)
{
	char why[128];
	if (auth_password_policy(pw, why, sizeof(why)) < 0) {
		http_error(r, 400, "weak_password", "%s", why);
		return false;
	}
	if (auth_password_hash(pw, u->pw_hash, sizeof(u->pw_hash)) < 0) {
		api_store_error(r, STORE_ERR, "user");
		return false;
	}
	return true;
}

void api_user_create(struct http_req *r)
{
	json_t *o = http_body_json(r);
	struct store_user u = { 0 };
	char made[17] = "";
	if (!o)
		return;
	const char *login = api_str(r, o, "login", STORE_LOGIN_MAX, true);
	const char *name = login ? api_str(r, o, "name", STORE_NAME_MAX, true) : NULL;
	const char *role = name ? api_str(r, o, "role", sizeof(u.role) - 1, true) : NULL;
	const char *lang = role ? api_str(r, o, "lang", sizeof(u.lang) - 1, false) : NULL;
	const char *pw = role && !r->answered ? api_str(r, o, "password", AUTH_PASSWORD_MAX,
							 false) : NULL;
	if (!role || r->answered || !role_fits(r, role) || (lang && !lang_fits(r, lang)))
		goto out;
	if (strlen(login) < 3) {
		http_error(r, 400, "bad_value", "'login' must have at least 3 characters");
		goto out;
	}
	if (!pw) {
		auth_password_new(made);
		pw = made;
	}
	ot_strlcpy(u.tenant_id, api_tenant_id(r), sizeof(u.tenant_id));
	token_uuid(u.id);
	ot_strlcpy(u.login, login, sizeof(u.login));
	ot_strlcpy(u.name, name, sizeof(u.name));
	ot_strlcpy(u.role, role, sizeof(u.role));
	ot_strlcpy(u.lang, lang ? lang : "ja", sizeof(u.lang));
	u.created_us = srv_now_us();
	if (!set_password(r, &u, pw))
		goto out;
	int s = store_user_add(r->srv->store, &u);
	if (s < 0) {
		api_store_error(r, s, "login");
		goto out;
	}
	api_audit(r, u.tenant_id, "user.add", u.id, u.login);
	json_t *j = api_user_json(&u);
	if (made[0])
		json_object_set_new(j, "password", json_string(made));
	http_reply_json(r, 201, j);
out:
	json_decref(o);
}

/* The user of the path, in the request's tenant; false having answered. */
static bool path_user(struct http_req *r, struct store_user *u)
{
	int s = store_user_get(r->srv->store, api_tenant_id(r), http_param(r, "user"), u);
	if (s < 0) {
		api_store_error(r, s, "user");
		return false;
	}
	return true;
}

void api_user_get(struct http_req *r)
{
	struct store_user u;
	if (path_user(r, &u))
		http_reply_json(r, 200, api_user_json(&u));
}

void api_user_update(struct http_req *r)
{
	struct store_user u;
	json_t *o = http_body_json(r);
	if (!o || !path_user(r, &u))
		goto out;
	const char *name = api_str(r, o, "name", STORE_NAME_MAX, false);
	const char *role = r->answered ? NULL : api_str(r, o, "role", sizeof(u.role) - 1, false);
	const char *lang = r->answered ? NULL : api_str(r, o, "lang", sizeof(u.lang) - 1, false);
	const char *pw = r->answered ? NULL : api_str(r, o, "password", AUTH_PASSWORD_MAX, false);
	json_t *disabled = json_object_get(o, "disabled");
	if (r->answered || (role && !role_fits(r, role)) || (lang && !lang_fits(r, lang)))
		goto out;
	if (disabled && !json_is_boolean(disabled)) {
		http_error(r, 400, "bad_value", "'disabled' must be true or false");
		goto out;
	}
	bool self = !strcmp(u.id, r->user.id);
	if (self && ((role && strcmp(role, u.role)) || json_is_true(disabled))) {
		http_error(r, 409, "self", "you cannot change your own role or disable yourself");
		goto out;
	}
	if (name)
		ot_strlcpy(u.name, name, sizeof(u.name));
	if (role)
		ot_strlcpy(u.role, role, sizeof(u.role));
	if (lang)
		ot_strlcpy(u.lang, lang, sizeof(u.lang));
	if (disabled)
		u.disabled = json_is_true(disabled);
	if (pw && !set_password(r, &u, pw))
		goto out;
	int s = store_user_update(r->srv->store, &u);
	if (s < 0) {
		api_store_error(r, s, "user");
		goto out;
	}
	if ((pw || u.disabled) && !self)
		store_session_delete_user(r->srv->store, u.tenant_id, u.id);
	api_audit(r, u.tenant_id, "user.update", u.id, u.login);
	http_reply_json(r, 200, api_user_json(&u));
out:
	json_decref(o);
}

void api_user_delete(struct http_req *r)
{
	struct store_user u;
	if (!path_user(r, &u))
		return;
	if (!strcmp(u.id, r->user.id)) {
		http_error(r, 409, "self", "you cannot remove yourself");
		return;
	}
	int s = store_user_delete(r->srv->store, u.tenant_id, u.id);
	if (s < 0) {
		api_store_error(r, s, "user");
		return;
	}
	api_audit(r, u.tenant_id, "user.delete", u.id, u.login);
	http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}
