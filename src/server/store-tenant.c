/*
 * store-tenant.c - tenants (the customer companies), their enrollment
 * tokens and their devices (sensors and agents), in the store.
 *
 * A device is only ever looked up together with its tenant: the id in a
 * client certificate is not enough to reach another tenant's device.
 * Enrollment claims the token and adds the device in one transaction, so a
 * token cannot make two devices even when presented twice at once.
 */
#include "store-db.h"

#include "../lib/util.h"

#define TENANT_COLS "id, name, created_us, retention_days"

int store_tenant_add(struct store *s, const struct store_tenant *t)
{
	STORE_Q(q, "INSERT INTO tenants (id, name, created_us, retention_days) "
		   "VALUES (?1, ?2, ?3, ?4)");
	struct store_arg a[] = { A_TEXT(t->id), A_TEXT(t->name), A_INT(t->created_us),
				 A_INT(t->retention_days) };
	int rc = store_exec(s, &q, a, 4);
	return rc < 0 ? rc : STORE_OK;
}

static int read_tenant(void *arg, const struct store_row *r)
{
	struct store_tenant *t = arg;
	store_col_copy(r, 0, t->id, sizeof(t->id));
	store_col_copy(r, 1, t->name, sizeof(t->name));
	t->created_us = store_col_int(r, 2);
	t->retention_days = (unsigned)store_col_int(r, 3);
	return 0;
}

int store_tenant_find(struct store *s, const char *id_or_name, struct store_tenant *out)
{
	STORE_Q(q, "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1 OR name = ?1 "
		   "ORDER BY CASE WHEN id = ?1 THEN 0 ELSE 1 END LIMIT 1");
	struct store_arg a[] = { A_TEXT(id_or_name) };
	return store_one(s, &q, a, 1, read_tenant, out);
}

int store_token_add(struct store *s, const struct store_token *t)
{
	STORE_Q(q, "INSERT INTO enroll_tokens (tenant_id, hash, created_us, expires_us) "
		   "VALUES (?1, ?2, ?3, ?4)");
	struct store_arg a[] = { A_TEXT(t->tenant_id), A_TEXT(t->hash), A_INT(t->created_us),
				 A_INT(t->expires_us) };
	int rc = store_exec(s, &q, a, 4);
	return rc < 0 ? rc : STORE_OK;
}

static int read_used(void *arg, const struct store_row *r)
{
	*(int *)arg = store_col_null(r, 0) ? STORE_TOKEN_EXPIRED : STORE_TOKEN_USED;
	return 0;
}

int store_enroll(struct store *s, const char *token_hash, int64_t now_us,
		 const struct store_device *d)
{
	STORE_Q(q_claim, "UPDATE enroll_tokens SET used_us = ?3, device_id = ?4 "
			 "WHERE tenant_id = ?1 AND hash = ?2 AND used_us IS NULL AND expires_us > ?3");
	STORE_Q(q_state, "SELECT used_us FROM enroll_tokens WHERE tenant_id = ?1 AND hash = ?2");
	STORE_Q(q_device, "INSERT INTO devices (tenant_id, id, name, kind, cert_serial, "
			  "enrolled_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	struct store_conn c;
	int rc;

	if (store_borrow(s, &c) < 0)
		return STORE_ERR;
	if ((rc = store_begin(&c, TX_WRITE)) < 0)
		goto out;
	struct store_arg claim[] = { A_TEXT(d->tenant_id), A_TEXT(token_hash), A_INT(now_us),
				     A_TEXT(d->id) };
	if ((rc = store_run(&c, &q_claim, claim, 4, NULL, NULL)) == 1) {
		struct store_arg dev[] = { A_TEXT(d->tenant_id), A_TEXT(d->id), A_TEXT(d->name),
					   A_TEXT(d->kind), A_TEXT(d->cert_serial),
					   A_INT(d->enrolled_us) };
		rc = store_run(&c, &q_device, dev, 6, NULL, NULL);
	} else if (rc == 0) {
		/* why the token could not be claimed: unknown, used or expired */
		int why = STORE_NOTFOUND;
		rc = store_run(&c, &q_state, claim, 2, read_used, &why);
		if (rc >= 0)
			rc = why;
	}
	rc = store_end(&c, rc < 0 ? rc : STORE_OK);
out:
	store_give(&c);
	return rc;
}

#define DEVICE_COLS "tenant_id, id, name, kind, cert_serial, enrolled_us, revoked, site_id"

static void read_device(const struct store_row *r, struct store_device *d)
{
	store_col_copy(r, 0, d->tenant_id, sizeof(d->tenant_id));
	store_col_copy(r, 1, d->id, sizeof(d->id));
	store_col_copy(r, 2, d->name, sizeof(d->name));
	store_col_copy(r, 3, d->kind, sizeof(d->kind));
	store_col_copy(r, 4, d->cert_serial, sizeof(d->cert_serial));
	d->enrolled_us = store_col_int(r, 5);
	d->revoked = store_col_int(r, 6) != 0;
	store_col_copy(r, 7, d->site_id, sizeof(d->site_id));
}

static int one_device(void *arg, const struct store_row *r)
{
	read_device(r, arg);
	return 0;
}

int store_device_get(struct store *s, const char *tenant_id, const char *id,
		     struct store_device *out)
{
	STORE_Q(q, "SELECT " DEVICE_COLS " FROM devices WHERE tenant_id = ?1 AND id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(id) };
	return store_one(s, &q, a, 2, one_device, out);
}

struct device_cb {
	int (*cb)(void *arg, const struct store_device *d);
	void *arg;
};

static int each_device(void *arg, const struct store_row *r)
{
	struct device_cb *dc = arg;
	struct store_device d;
	read_device(r, &d);
	return dc->cb(dc->arg, &d);
}

int store_device_list(struct store *s, const char *tenant_id,
		      int (*cb)(void *arg, const struct store_device *d), void *arg)
{
	STORE_Q(q, "SELECT " DEVICE_COLS " FROM devices WHERE tenant_id = ?1 "
		   "ORDER BY enrolled_us, id");
	struct store_arg a[] = { A_TEXT(tenant_id) };
	struct device_cb dc = { cb, arg };
	int rc = store_query(s, &q, a, 1, each_device, &dc);
	return rc < 0 ? rc : STORE_OK;
}

int store_device_revoke(struct store *s, const char *tenant_id, const char *id, int64_t now_us,
			struct store_device *out)
{
	STORE_Q(q, "UPDATE devices SET revoked = 1, "
		   "revoked_us = CASE WHEN revoked = 1 THEN revoked_us ELSE ?2 END "
		   "WHERE id = ?1 AND (CAST(?3 AS TEXT) IS NULL OR tenant_id = ?3) "
		   "RETURNING " DEVICE_COLS);
	struct store_arg a[] = { A_TEXT(id), A_INT(now_us), A_TEXT(tenant_id) };
	return store_one(s, &q, a, 3, one_device, out);
}

int store_tenant_set_retention(struct store *s, const char *tenant_id, unsigned days)
{
	STORE_Q(q, "UPDATE tenants SET retention_days = ?2 WHERE id = ?1");
	struct store_arg a[] = { A_TEXT(tenant_id), A_INT(days) };
	int rc = store_exec(s, &q, a, 2);
	return rc < 0 ? rc : rc == 0 ? STORE_NOTFOUND : STORE_OK;
}

struct tenant_cb {
	int (*cb)(void *arg, const struct store_tenant *t);
	void *arg;
};

static int each_tenant(void *arg, const struct store_row *r)
{
	struct tenant_cb *c = arg;
	struct store_tenant t;
	read_tenant(&t, r);
	return c->cb(c->arg, &t);
}

int store_tenant_list(struct store *s, int (*cb)(void *arg, const struct store_tenant *t),
		      void *arg)
{
	STORE_Q(q, "SELECT " TENANT_COLS " FROM tenants ORDER BY name");
	struct tenant_cb c = { cb, arg };
	int rc = store_query(s, &q, NULL, 0, each_tenant, &c);
	return rc < 0 ? rc : STORE_OK;
}
