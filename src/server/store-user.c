/*
 * store-user.c - the people who use the console and the API, their
 * sessions and their API tokens, in the store.
 *
 * Secrets are never stored: a password as its argon2id hash (auth.c), a
 * session cookie and an API token as the BLAKE2b hash of their random
 * secret, so that a copy of the database opens no door.  Looking a session
 * or token up returns its user in the same statement, and a disabled user's
 * sessions and tokens are as good as gone.
 */
#include "store-db.h"

#define USER_COLS "u.tenant_id, u.id, u.login, u.name, u.role, u.lang, u.pw_hash, " \
	"u.created_us, u.disabled"

static void read_user(const struct store_row *r, int at, struct store_user *u)
{
	store_col_copy(r, at, u->tenant_id, sizeof(u->tenant_id));
	store_col_copy(r, at + 1, u->id, sizeof(u->id));
	store_col_copy(r, at + 2, u->login, sizeof(u->login));
	store_col_copy(r, at + 3, u->name, sizeof(u->name));
	store_col_copy(r, at + 4, u->role, sizeof(u->role));
	store_col_copy(r, at + 5, u->lang, sizeof(u->lang));
	store_col_copy(r, at + 6, u->pw_hash, sizeof(u->pw_hash));
	u->created_us = store_col_int(r, at + 7);
	u->disabled = store_col_int(r, at + 8) != 0;
}

static int one_user(void *arg, const struct store_row *r)
{
	read_user(r, 0, arg);
	return 0;
}

int store_user_add(struct store *s, const struct store_user *u)
{
	STORE_Q(q, "INSERT INTO users (tenant_id, id, login, name, role, lang, pw_hash, "
		   "created_us, disabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	struct store_arg a[] = { A_TEXT(u->tenant_id), A_TEXT(u->id), A_TEXT(u->login),
				 A_TEXT(u->name), A_TEXT(u->role), A_TEXT(u->lang),
				 A_TEXT(u->pw_hash), A_INT(u->created_us), A_INT(u->disabled) };
	int rc = store_exec(s, &q, a, 9);
	return rc < 0 ? rc : STORE_OK;
}

int store_user_find_login(struct store *s, const char *login, struct store_user *out)
{
	STORE_Q(q, "SELECT " USER_COLS " FROM users u WHERE u.login = ?1");
	struct store_arg a[] = { A_TEXT(login) };
	return store_one(s, &q, a, 1, one_user, out);
}

int store_user_get(struct store *s, const char *tenant_id, const char *id, struct store_user *out)
{
	STORE_Q(q, "SELECT " USER_COLS " FROM users u WHERE u.tenant_id = ?1 AND u.id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(id) };
	return store_one(s, &q, a, 2, one_user, out);
}

struct user_cb {
	int (*cb)(void *arg, const struct store_user *u);
	void *arg;
};

static int each_user(void *arg, const struct store_row *r)
{
	struct user_cb *c = arg;
	struct store_user u;
	read_user(r, 0, &u);
	return c->cb(c->arg, &u);
}

int store_user_list(struct store *s, const char *tenant_id,
		    int (*cb)(void *arg, const struct store_user *u), void *arg)
{
	STORE_Q(q, "SELECT " USER_COLS " FROM users u WHERE u.tenant_id = ?1 "
		   "ORDER BY u.created_us, u.id");
	struct store_arg a[] = { A_TEXT(tenant_id) };
	struct user_cb c = { cb, arg };
	int rc = store_query(s, &q, a, 1, each_user, &c);
	return rc < 0 ? rc : STORE_OK;
}

int store_user_update(struct store *s, const struct store_user *u)
{
	STORE_Q(q, "UPDATE users SET name = ?3, role = ?4, lang = ?5, pw_hash = ?6, disabled = ?7 "
		   "WHERE tenant_id = ?1 AND id = ?2");
	struct store_arg a[] = { A_TEXT(u->tenant_id), A_TEXT(u->id), A_TEXT(u->name),
				 A_TEXT(u->role), A_TEXT(u->lang), A_TEXT(u->pw_hash),
				 A_INT(u->disabled) };
	int rc = store_exec(s, &q, a, 7);
	return rc < 0 ? rc : rc == 0 ? STORE_NOTFOUND : STORE_OK;
}

int store_user_delete(struct store *s, const char *tenant_id, const char *id)
{
	STORE_Q(q_sessions, "DELETE FROM sessions WHERE tenant_id = ?1 AND user_id = ?2");
	STORE_Q(q_tokens, "DELETE FROM api_tokens WHERE tenant_id = ?1 AND user_id = ?2");
	STORE_Q(q_user, "DELETE FROM users WHERE tenant_id = ?1 AND id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(id) };
	struct store_conn c;
	int rc;
	if (store_borrow(s, &c) < 0)
		return STORE_ERR;
	if ((rc = store_begin(&c, TX_WRITE)) == STORE_OK) {
		if ((rc = store_run(&c, &q_sessions, a, 2, NULL, NULL)) >= 0 &&
		    (rc = store_run(&c, &q_tokens, a, 2, NULL, NULL)) >= 0 &&
		    (rc = store_run(&c, &q_user, a, 2, NULL, NULL)) >= 0)
			rc = rc == 0 ? STORE_NOTFOUND : STORE_OK;
		rc = store_end(&c, rc);
	}
	store_give(&c);
	return rc;
}

int store_session_add(struct store *s, const struct store_session *se)
{
	STORE_Q(q, "INSERT INTO sessions (hash, tenant_id, user_id, csrf, created_us, expires_us, "
		   "seen_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)");
	struct store_arg a[] = { A_TEXT(se->hash), A_TEXT(se->tenant_id), A_TEXT(se->user_id),
				 A_TEXT(se->csrf), A_INT(se->created_us), A_INT(se->expires_us) };
	int rc = store_exec(s, &q, a, 6);
	return rc < 0 ? rc : STORE_OK;
}

struct with_user {
	void *obj;
	struct store_user *u;
};

static int read_session(void *arg, const struct store_row *r)
{
	struct with_user *w = arg;
	struct store_session *se = w->obj;
	store_col_copy(r, 0, se->hash, sizeof(se->hash));
	store_col_copy(r, 1, se->tenant_id, sizeof(se->tenant_id));
	store_col_copy(r, 2, se->user_id, sizeof(se->user_id));
	store_col_copy(r, 3, se->csrf, sizeof(se->csrf));
	se->created_us = store_col_int(r, 4);
	se->expires_us = store_col_int(r, 5);
	read_user(r, 6, w->u);
	return 0;
}

int store_session_get(struct store *s, const char *hash, int64_t now_us,
		      struct store_session *se, struct store_user *u)
{
	STORE_Q(q, "SELECT s.hash, s.tenant_id, s.user_id, s.csrf, s.created_us, s.expires_us, "
		   USER_COLS " FROM sessions s JOIN users u "
		   "ON u.tenant_id = s.tenant_id AND u.id = s.user_id "
		   "WHERE s.hash = ?1 AND s.expires_us > ?2 AND u.disabled = 0");
	struct store_arg a[] = { A_TEXT(hash), A_INT(now_us) };
	struct with_user w = { se, u };
	return store_one(s, &q, a, 2, read_session, &w);
}

int store_session_delete(struct store *s, const char *hash)
{
	STORE_Q(q, "DELETE FROM sessions WHERE hash = ?1");
	struct store_arg a[] = { A_TEXT(hash) };
	int rc = store_exec(s, &q, a, 1);
	return rc < 0 ? rc : STORE_OK;
}

int store_session_delete_user(struct store *s, const char *tenant_id, const char *user_id)
{
	STORE_Q(q, "DELETE FROM sessions WHERE tenant_id = ?1 AND user_id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(user_id) };
	int rc = store_exec(s, &q, a, 2);
	return rc < 0 ? rc : STORE_OK;
}

int store_api_token_add(struct store *s, const struct store_api_token *t)
{
	STORE_Q(q, "INSERT INTO api_tokens (hash, tenant_id, id, user_id, name, created_us, "
		   "expires_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	struct store_arg a[] = { A_TEXT(t->hash), A_TEXT(t->tenant_id), A_TEXT(t->id),
				 A_TEXT(t->user_id), A_TEXT(t->name), A_INT(t->created_us),
				 A_INT(t->expires_us) };
	int rc = store_exec(s, &q, a, 7);
	return rc < 0 ? rc : STORE_OK;
}

#define TOKEN_COLS "t.hash, t.tenant_id, t.id, t.user_id, t.name, t.created_us, " \
	"t.expires_us, t.used_us, t.revoked"

static void read_token(const struct store_row *r, struct store_api_token *t)
{
	store_col_copy(r, 0, t->hash, sizeof(t->hash));
	store_col_copy(r, 1, t->tenant_id, sizeof(t->tenant_id));
	store_col_copy(r, 2, t->id, sizeof(t->id));
	store_col_copy(r, 3, t->user_id, sizeof(t->user_id));
	store_col_copy(r, 4, t->name, sizeof(t->name));
	t->created_us = store_col_int(r, 5);
	t->expires_us = store_col_int(r, 6);
	t->used_us = store_col_int(r, 7);
	t->revoked = store_col_int(r, 8) != 0;
}

static int token_and_user(void *arg, const struct store_row *r)
{
	struct with_user *w = arg;
	read_token(r, w->obj);
	read_user(r, 9, w->u);
	return 0;
}

int store_api_token_get(struct store *s, const char *hash, int64_t now_us,
			struct store_api_token *t, struct store_user *u)
{
	/* used_us says when a token was last used, to the minute: it is not
	 * written on every request */
	STORE_Q(q, "UPDATE api_tokens SET used_us = ?2 WHERE hash = ?1 "
		   "AND (used_us IS NULL OR used_us < CAST(?2 AS BIGINT) - 60000000)");
	STORE_Q(q_get, "SELECT " TOKEN_COLS ", " USER_COLS " FROM api_tokens t JOIN users u "
		       "ON u.tenant_id = t.tenant_id AND u.id = t.user_id "
		       "WHERE t.hash = ?1 AND t.revoked = 0 AND t.expires_us > ?2 "
		       "AND u.disabled = 0");
	struct store_arg a[] = { A_TEXT(hash), A_INT(now_us) };
	struct with_user w = { t, u };
	int rc = store_one(s, &q_get, a, 2, token_and_user, &w);
	if (rc == STORE_OK && (t->used_us == 0 || t->used_us < now_us - 60000000) &&
	    store_exec(s, &q, a, 2) < 0)
		rc = STORE_ERR;
	return rc;
}

struct token_cb {
	int (*cb)(void *arg, const struct store_api_token *t);
	void *arg;
};

static int each_token(void *arg, const struct store_row *r)
{
	struct token_cb *c = arg;
	struct store_api_token t;
	read_token(r, &t);
	return c->cb(c->arg, &t);
}

int store_api_token_list(struct store *s, const char *tenant_id, const char *user_id,
			 int (*cb)(void *arg, const struct store_api_token *t), void *arg)
{
	STORE_Q(q, "SELECT " TOKEN_COLS " FROM api_tokens t WHERE t.tenant_id = ?1 "
		   "AND t.user_id = ?2 ORDER BY t.created_us, t.id");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(user_id) };
	struct token_cb c = { cb, arg };
	int rc = store_query(s, &q, a, 2, each_token, &c);
	return rc < 0 ? rc : STORE_OK;
}

int store_api_token_revoke(struct store *s, const char *tenant_id, const char *user_id,
			   const char *id)
{
	STORE_Q(q, "UPDATE api_tokens SET revoked = 1 WHERE tenant_id = ?1 AND user_id = ?2 "
		   "AND id = ?3");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(user_id), A_TEXT(id) };
	int rc = store_exec(s, &q, a, 3);
	return rc < 0 ? rc : rc == 0 ? STORE_NOTFOUND : STORE_OK;
}
