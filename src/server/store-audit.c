/*
 * store-audit.c - the audit log: who did what, to what, and when.  Rows
 * are only ever added; an operator reads them with otasukectl or the API.
 */
#include "store-db.h"

int store_audit_add(struct store *s, int64_t now_us, const struct store_audit *a)
{
	STORE_Q(q, "INSERT INTO audit (tenant_id, ts_us, actor, action, object, detail) "
		   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	struct store_arg v[] = { A_TEXT(a->tenant_id), A_INT(now_us), A_TEXT(a->actor),
				 A_TEXT(a->action), A_TEXT(a->object), A_TEXT(a->detail) };
	int rc = store_exec(s, &q, v, 6);
	return rc < 0 ? rc : STORE_OK;
}

struct audit_cb {
	int (*cb)(void *arg, const struct store_audit_row *a);
	void *arg;
};

static int each_row(void *arg, const struct store_row *r)
{
	struct audit_cb *c = arg;
	struct store_audit_row a = {
		.id = store_col_int(r, 0), .ts_us = store_col_int(r, 1),
		.tenant_id = store_col_text(r, 2), .actor = store_col_text(r, 3),
		.action = store_col_text(r, 4), .object = store_col_text(r, 5),
		.detail = store_col_text(r, 6),
	};
	return c->cb(c->arg, &a);
}

int store_audit_list(struct store *s, const char *tenant_id, int64_t before, unsigned limit,
		     int (*cb)(void *arg, const struct store_audit_row *a), void *arg)
{
	STORE_Q(q, "SELECT id, ts_us, tenant_id, actor, action, object, detail FROM audit "
		   "WHERE (CAST(?1 AS TEXT) IS NULL OR tenant_id = ?1) "
		   "AND (CAST(?2 AS BIGINT) = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3");
	struct store_arg a[] = { A_TEXT(tenant_id), A_INT(before), A_INT(limit) };
	struct audit_cb c = { cb, arg };
	int rc = store_query(s, &q, a, 3, each_row, &c);
	return rc < 0 ? rc : STORE_OK;
}
