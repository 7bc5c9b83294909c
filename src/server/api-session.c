/*
 * api-session.c - signing in and out of the console, the signed-in user,
 * changing one's password, and one's API tokens.
 *
 * A session is a random secret in a cookie (Secure, HttpOnly,
 * SameSite=Strict) of which the store keeps only a hash, with a CSRF token
 * the console sends back in X-CSRF-Token on every write (http.c checks it).
 * Failed sign-ins are counted per login name and per address
 * (auth_limiter): past the allowance the answer is 429 with Retry-After,
 * whatever the password.  An unknown login costs the same password check
 * as a known one, so that timing does not tell which logins exist.
 *
 * API tokens ("ota_..." secrets, shown once) act as their user, without
 * CSRF (they are not sent by browsers on their own).
 */
#include "api.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "srv-time.h"
#include "token.h"
#include "../lib/util.h"

#define COOKIE_ATTRS "Path=/; Secure; HttpOnly; SameSite=Strict"

json_t *api_user_json(const struct store_user *u)
{
	return json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s,s:I,s:b}", "id", u->id, "tenant_id",
			 u->tenant_id[0] ? u->tenant_id : NULL, "login", u->login, "name", u->name,
			 "role", u->role, "lang", u->lang, "created_us", (json_int_t)u->created_us,
			 "disabled", u->disabled);
}

/* A hash that no password matches, checked when the login is unknown. */
static char dummy[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	char pw[17];
	auth_password_new(pw);
	auth_password_hash(pw, dummy, sizeof(dummy));
}

static const char *dummy_hash(void)
{
	pthread_once(&dummy_once, dummy_make);
	return dummy;
}

void api_login(struct http_req *r)
{
	json_t *o = http_body_json(r);
	if (!o)
		return;
	const char *login = api_str(r, o, "login", STORE_LOGIN_MAX, true);
	const char *pw = login ? api_str(r, o, "password", AUTH_PASSWORD_MAX, true) : NULL;
	int64_t now = srv_now_us();
	struct store_user u;
	unsigned wait;

	if (!pw)
		goto out;
	if ((wait = auth_limiter_check(r->srv->login_limit, login, r->addr, now))) {
		r->retry_after = wait;
		http_error(r, 429, "too_many_attempts", "too many failed sign-ins; try again in "
			   "%u seconds", wait);
		goto out;
	}
	int s = store_user_find_login(r->srv->store, login, &u);
	if (s < 0 && s != STORE_NOTFOUND) {
		api_store_error(r, s, "user");
		goto out;
	}
	bool ok = auth_password_check(s == STORE_OK ? u.pw_hash : dummy_hash(), pw);
	if (!ok || s != STORE_OK || u.disabled || auth_role_parse(u.role) < 0) {
		auth_limiter_fail(r->srv->login_limit, login, r->addr, now);
		api_audit(r, s == STORE_OK ? u.tenant_id : NULL, "login.failed",
			  s == STORE_OK ? u.id : NULL, login);
		http_error(r, 401, "bad_login", "the login name or the password is wrong");
		goto out;
	}
	char secret[TOKEN_MAX];
	struct store_session se = { 0 };
	unsigned char csrf[24];
	ot_strlcpy(se.tenant_id, u.tenant_id, sizeof(se.tenant_id));
	ot_strlcpy(se.user_id, u.id, sizeof(se.user_id));
	randombytes_buf(csrf, sizeof(csrf));
	sodium_bin2hex(se.csrf, sizeof(se.csrf), csrf, sizeof(csrf));
	se.created_us = now;
	se.expires_us = now + r->srv->session_ttl_us;
	if (token_secret_new("", secret, sizeof(secret), se.hash) < 0 ||
	    (s = store_session_add(r->srv->store, &se)) < 0) {
		api_store_error(r, STORE_ERR, "session");
		goto out;
	}
	snprintf(r->set_cookie, sizeof(r->set_cookie), "otasuke_session=%s; Max-Age=%lld; "
		 COOKIE_ATTRS, secret, (long long)(r->srv->session_ttl_us / 1000000));
	sodium_memzero(secret, sizeof(secret));
	r->have_user = true;
	r->user = u;
	api_audit(r, u.tenant_id, "login", u.id, NULL);
	http_reply_json(r, 200, json_pack("{s:o,s:s}", "user", api_user_json(&u), "csrf", se.csrf));
out:
	json_decref(o);
}

void api_logout(struct http_req *r)
{
	if (r->have_session)
		store_session_delete(r->srv->store, r->session.hash);
	snprintf(r->set_cookie, sizeof(r->set_cookie), "otasuke_session=; Max-Age=0; " COOKIE_ATTRS);
	api_audit(r, r->user.tenant_id, "logout", r->user.id, NULL);
	http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

void api_session_get(struct http_req *r)
{
	http_reply_json(r, 200, json_pack("{s:o,s:s?}", "user", api_user_json(&r->user), "csrf",
					  r->have_session ? r->session.csrf : NULL));
}

void api_password_change(struct http_req *r)
{
	json_t *o = http_body_json(r);
	if (!o)
		return;
	const char *old = api_str(r, o, "old", AUTH_PASSWORD_MAX, true);
	const char *pw = old ? api_str(r, o, "new", AUTH_PASSWORD_MAX, true) : NULL;
	char why[128];
	if (!pw)
		goto out;
	if (!auth_password_check(r->user.pw_hash, old)) {
		http_error(r, 403, "bad_password", "the current password is wrong");
		goto out;
	}
	if (auth_password_policy(pw, why, sizeof(why)) < 0) {
		http_error(r, 400, "weak_password", "%s", why);
		goto out;
	}
	if (auth_password_hash(pw, r->user.pw_hash, sizeof(r->user.pw_hash)) < 0) {
		api_store_error(r, STORE_ERR, "user");
		goto out;
	}
	int s = store_user_update(r->srv->store, &r->user);
	if (s < 0) {
		api_store_error(r, s, "user");
		goto out;
	}
	/* every other session of this user ends; this one goes on */
	store_session_delete_user(r->srv->store, r->user.tenant_id, r->user.id);
	if (r->have_session)
		store_session_add(r->srv->store, &r->session);
	api_audit(r, r->user.tenant_id, "user.password", r->user.id, NULL);
	http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
out:
	json_decref(o);
}

static json_t *token_obj(const struct store_api_token *t)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b}", "id", t->id, "name", t->name, "user_id",
		      t->user_id, "created_us", (json_int_t)t->created_us, "expires_us",
		      (json_int_t)t->expires_us, "used_us", (json_int_t)t->used_us, "revoked",
		      t->revoked);
}

static int add_token(void *arg, const struct store_api_token *t)
{
	return json_array_append_new(arg, token_obj(t)) < 0 ? STORE_ERR : 0;
}

void api_token_list(struct http_req *r)
{
	json_t *list = json_array();
	int s = store_api_token_list(r->srv->store, r->user.tenant_id, r->user.id, add_token, list);
	if (s < 0) {
		json_decref(list);
		api_store_error(r, s, "API token");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "api_tokens", list));
}

void api_token_create(struct http_req *r)
{
	json_t *o = http_body_json(r);
	if (!o)
		return;
	const char *name = api_str(r, o, "name", STORE_NAME_MAX, true);
	int64_t now = srv_now_us();
	char secret[TOKEN_MAX];
	struct store_api_token t = { 0 };
	if (!name)
		goto out;
	ot_strlcpy(t.tenant_id, r->user.tenant_id, sizeof(t.tenant_id));
	ot_strlcpy(t.user_id, r->user.id, sizeof(t.user_id));
	ot_strlcpy(t.name, name, sizeof(t.name));
	token_uuid(t.id);
	t.created_us = now;
	t.expires_us = now + r->srv->api_token_ttl_us;
	int s = token_secret_new("ota_", secret, sizeof(secret), t.hash) < 0 ? STORE_ERR
		: store_api_token_add(r->srv->store, &t);
	if (s < 0) {
		api_store_error(r, s, "API token");
		goto out;
	}
	api_audit(r, t.tenant_id, "api_token.create", t.id, t.name);
	json_t *one = token_obj(&t);
	json_object_set_new(one, "token", json_string(secret));
	sodium_memzero(secret, sizeof(secret));
	http_reply_json(r, 201, one);
out:
	json_decref(o);
}

void api_token_revoke(struct http_req *r)
{
	const char *id = http_param(r, "token");
	int s = store_api_token_revoke(r->srv->store, r->user.tenant_id, r->user.id, id);
	if (s < 0) {
		api_store_error(r, s, "API token");
		return;
	}
	api_audit(r, r->user.tenant_id, "api_token.revoke", id, NULL);
	http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}
