/*
 * store-site.c - the sites of a tenant (a pharmacy's shops, a company's
 * offices) and which devices are where, in the store.  A site belongs to
 * one tenant; a device can only be placed at a site of its own tenant
 * (checked in the same statement that places it).
 */
#include "store-db.h"

int store_site_add(struct store *s, const struct store_site *site)
{
	STORE_Q(q, "INSERT INTO sites (tenant_id, id, name, created_us) VALUES (?1, ?2, ?3, ?4)");
	struct store_arg a[] = { A_TEXT(site->tenant_id), A_TEXT(site->id), A_TEXT(site->name),
				 A_INT(site->created_us) };
	int rc = store_exec(s, &q, a, 4);
	return rc < 0 ? rc : STORE_OK;
}

struct site_cb {
	int (*cb)(void *arg, const struct store_site *site);
	void *arg;
};

static int each_site(void *arg, const struct store_row *r)
{
	struct site_cb *c = arg;
	struct store_site site;
	store_col_copy(r, 0, site.tenant_id, sizeof(site.tenant_id));
	store_col_copy(r, 1, site.id, sizeof(site.id));
	store_col_copy(r, 2, site.name, sizeof(site.name));
	site.created_us = store_col_int(r, 3);
	return c->cb(c->arg, &site);
}

int store_site_list(struct store *s, const char *tenant_id,
		    int (*cb)(void *arg, const struct store_site *site), void *arg)
{
	STORE_Q(q, "SELECT tenant_id, id, name, created_us FROM sites WHERE tenant_id = ?1 "
		   "ORDER BY name");
	struct store_arg a[] = { A_TEXT(tenant_id) };
	struct site_cb c = { cb, arg };
	int rc = store_query(s, &q, a, 1, each_site, &c);
	return rc < 0 ? rc : STORE_OK;
}

int store_site_remove(struct store *s, const char *tenant_id, const char *id)
{
	STORE_Q(q_devices, "UPDATE devices SET site_id = NULL WHERE tenant_id = ?1 AND site_id = ?2");
	STORE_Q(q_site, "DELETE FROM sites WHERE tenant_id = ?1 AND id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(id) };
	struct store_conn c;
	int rc;
	if (store_borrow(s, &c) < 0)
		return STORE_ERR;
	if ((rc = store_begin(&c, TX_WRITE)) == STORE_OK) {
		if ((rc = store_run(&c, &q_devices, a, 2, NULL, NULL)) >= 0 &&
		    (rc = store_run(&c, &q_site, a, 2, NULL, NULL)) >= 0)
			rc = rc == 0 ? STORE_NOTFOUND : STORE_OK;
		rc = store_end(&c, rc);
	}
	store_give(&c);
	return rc;
}

int store_device_set_site(struct store *s, const char *tenant_id, const char *device_id,
			  const char *site_id)
{
	STORE_Q(q, "UPDATE devices SET site_id = ?3 WHERE tenant_id = ?1 AND id = ?2 "
		   "AND (CAST(?3 AS TEXT) IS NULL OR EXISTS "
		   "(SELECT 1 FROM sites WHERE tenant_id = ?1 AND id = ?3))");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(device_id), A_TEXT(site_id) };
	int rc = store_exec(s, &q, a, 3);
	return rc < 0 ? rc : rc == 0 ? STORE_NOTFOUND : STORE_OK;
}
