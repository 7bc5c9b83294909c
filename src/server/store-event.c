/*
 * store-event.c - reading a tenant's events back: filtered by type,
 * device, time and text, newest first, paged by id.
 *
 * Every filter is a bound parameter (an absent one is NULL and matches
 * all), so that nothing a user types reaches the SQL text.  The text
 * filter is a substring of the event's JSON: its own % and _ are escaped,
 * so they match themselves.
 */
#include "store-db.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

#define EVENT_COLS "id, ts_us, received_us, device_id, event_type, body"

struct event_cb {
	int (*cb)(void *arg, const struct store_event_row *e);
	void *arg;
};

static int each_event(void *arg, const struct store_row *r)
{
	struct event_cb *c = arg;
	struct store_event_row e = {
		.id = store_col_int(r, 0), .ts_us = store_col_int(r, 1),
		.received_us = store_col_int(r, 2), .device_id = store_col_text(r, 3),
		.event_type = store_col_text(r, 4), .body = store_col_text(r, 5),
	};
	return c->cb(c->arg, &e);
}

/* "%<text with % _ \ escaped>%" for LIKE ... ESCAPE '\' (malloc'd). */
static char *like_pattern(const char *text)
{
	char *p = malloc(2 * strlen(text) + 3), *o = p;
	if (!p)
		return NULL;
	*o++ = '%';
	for (; *text; text++) {
		if (*text == '%' || *text == '_' || *text == '\\')
			*o++ = '\\';
		*o++ = *text;
	}
	*o++ = '%';
	*o = '\0';
	return p;
}

int store_event_list(struct store *s, const struct store_event_filter *f,
		     int (*cb)(void *arg, const struct store_event_row *e), void *arg)
{
	STORE_Q(q, "SELECT " EVENT_COLS " FROM events WHERE tenant_id = ?1 "
		   "AND (CAST(?2 AS TEXT) IS NULL OR event_type = ?2) "
		   "AND (CAST(?3 AS TEXT) IS NULL OR device_id = ?3) "
		   "AND (CAST(?4 AS BIGINT) = 0 OR ts_us >= ?4) "
		   "AND (CAST(?5 AS BIGINT) = 0 OR ts_us < ?5) "
		   "AND (CAST(?6 AS TEXT) IS NULL OR body LIKE ?6 ESCAPE '\\') "
		   "AND (CAST(?7 AS BIGINT) = 0 OR id < ?7) ORDER BY id DESC LIMIT ?8");
	char *like = NULL;
	if (f->text && !(like = like_pattern(f->text)))
		return STORE_ERR;
	struct store_arg a[] = { A_TEXT(f->tenant_id), A_TEXT(f->event_type), A_TEXT(f->device_id),
				 A_INT(f->since_us), A_INT(f->until_us), A_TEXT(like),
				 A_INT(f->before), A_INT(f->limit) };
	struct event_cb c = { cb, arg };
	int rc = store_query(s, &q, a, 8, each_event, &c);
	free(like);
	return rc < 0 ? rc : STORE_OK;
}

int store_event_get(struct store *s, const char *tenant_id, int64_t id,
		    int (*cb)(void *arg, const struct store_event_row *e), void *arg)
{
	STORE_Q(q, "SELECT " EVENT_COLS " FROM events WHERE tenant_id = ?1 AND id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_INT(id) };
	struct event_cb c = { cb, arg };
	return store_one(s, &q, a, 2, each_event, &c);
}

struct tenant_ages {
	struct { char id[STORE_ID_LEN]; unsigned days; } *v;
	size_t n, cap;
};

static int keep_tenant(void *arg, const struct store_tenant *t)
{
	struct tenant_ages *ta = arg;
	void *v = ot_grow(ta->v, &ta->cap, ta->n, sizeof(*ta->v), 16);
	if (!v)
		return STORE_ERR;
	ta->v = v;
	memcpy(ta->v[ta->n].id, t->id, sizeof(t->id));
	ta->v[ta->n++].days = t->retention_days;
	return 0;
}

/* Delete q's rows chunk at a time until fewer are left; the rows deleted,
 * or a negative store_err. */
static int64_t delete_chunks(struct store *s, struct store_q *q, const char *tenant_id,
			     int64_t cutoff, unsigned chunk)
{
	struct store_arg a[] = { A_TEXT(tenant_id), A_INT(cutoff), A_INT(chunk) };
	int64_t total = 0;
	int rc;
	do {
		if ((rc = store_exec(s, q, a, 3)) < 0)
			return rc;
		total += rc;
	} while ((unsigned)rc == chunk);
	return total;
}

int store_retention_run(struct store *s, int64_t now_us, unsigned default_days, unsigned chunk,
			uint64_t *deleted)
{
	STORE_Q(q_events, "DELETE FROM events WHERE id IN (SELECT id FROM events "
			  "WHERE tenant_id = ?1 AND ts_us < ?2 LIMIT ?3)");
	STORE_Q(q_batches, "DELETE FROM batches WHERE (tenant_id, device_id, batch_id) IN "
			   "(SELECT tenant_id, device_id, batch_id FROM batches "
			   "WHERE tenant_id = ?1 AND received_us < ?2 LIMIT ?3)");
	struct tenant_ages ta = { 0 };
	int rc = store_tenant_list(s, keep_tenant, &ta);
	*deleted = 0;
	for (size_t i = 0; rc == STORE_OK && i < ta.n; i++) {
		unsigned days = ta.v[i].days ? ta.v[i].days : default_days;
		int64_t cutoff = now_us - (int64_t)days * 86400 * 1000000;
		int64_t n = delete_chunks(s, &q_events, ta.v[i].id, cutoff, chunk);
		if (n >= 0)
			*deleted += (uint64_t)n;
		if (n < 0 || (n = delete_chunks(s, &q_batches, ta.v[i].id, cutoff, chunk)) < 0)
			rc = (int)n;
	}
	free(ta.v);
	return rc;
}
