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
