/*
 * store-incident.c - incidents in the store: the correlation pass that
 * makes them from stored alerts, and what people do with them (list,
 * read, change status or assignee, add notes), each change on the
 * incident's timeline.  See store-incident.h.
 *
 * Exactly once.  The correlator reads events in id order after a cursor
 * kept in the database (correlate_cursor), and moves it in the same
 * transaction as the incident changes, so a pass that stops half way
 * (crash, kill -9, lost database) leaves no trace and the next one does
 * the same work again.  The cursor's row is locked by the UPDATE that
 * starts every pass, so servers sharing a PostgreSQL take turns.  A
 * unique index on (tenant, event id) of the timeline makes a second
 * counting of an alert impossible even if that reasoning were wrong.
 *
 * Holes.  Ids are given when a row is inserted, but transactions commit
 * in their own order: on PostgreSQL, with several servers (or one
 * server's group commits overlapping), event 105 may be visible while
 * 100-104 are still being written, or were rolled back and will never
 * exist.  A cursor simply moved past 105 would lose 100-104 for good.  So
 * a pass stops at the first missing id; once the same id has been missing
 * for hole_wait it is written down as a hole (a range of ids) and the
 * cursor goes on.  Every pass then looks for events that appeared in the
 * holes (a slow transaction that committed late), correlates them and
 * cuts them out of their hole; holes older than hole_keep are dropped
 * (their ids belonged to transactions that were rolled back).  On SQLite
 * (one writer, ids in commit order) there are no holes.
 */
#include "store-incident.h"
#include "store-db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "../lib/log.h"
#include "../lib/util.h"

static const char *const statuses[] = {
	"new", "acknowledged", "in_progress", "resolved", "false_positive",
};

bool store_incident_status_known(const char *s)
{
	for (size_t i = 0; s && i < OT_ARRAY_LEN(statuses); i++)
		if (!strcmp(s, statuses[i]))
			return true;
	return false;
}

#define OPEN_STATUSES "('new', 'acknowledged', 'in_progress')"
#define CLOSED_STATUSES "('resolved', 'false_positive')"

int incident_timeline_add(struct store_conn *c, const char *tenant_id, const char *incident_id,
			  int64_t ts_us, const char *actor, const char *what, int64_t event_id,
			  const char *detail)
{
	STORE_Q(q, "INSERT INTO incident_timeline (tenant_id, incident_id, ts_us, actor, what, "
		   "event_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(incident_id), A_INT(ts_us),
				 A_TEXT(actor), A_TEXT(what), event_id ? A_INT(event_id) : A_NULL,
				 A_TEXT(detail) };
	int rc = store_run(c, &q, a, 7, NULL, NULL);
	return rc < 0 ? rc : STORE_OK;
}

/* ---- the correlation pass ---- */

/* An event read by a pass; body only for alerts. */
struct ev_row {
	int64_t id, ts_us;
	char tenant_id[STORE_ID_LEN], device_id[STORE_ID_LEN];
	bool alert;
	char *body;
	size_t len;
	int64_t hole_lo, hole_hi, hole_seen_us; /* the hole it was found in */
};

struct ev_rows {
	struct ev_row *v;
	size_t n, cap;
	bool holes;                /* rows of the holes query: the hole's columns first */
};

static int read_ev(void *arg, const struct store_row *r)
{
	struct ev_rows *rs = arg;
	struct ev_row *v = ot_grow(rs->v, &rs->cap, rs->n, sizeof(*v), 256);
	if (!v)
		return STORE_ERR;
	rs->v = v;
	struct ev_row *e = &rs->v[rs->n];
	int o = 0;
	memset(e, 0, sizeof(*e));
	if (rs->holes) {
		e->hole_lo = store_col_int(r, 0);
		e->hole_hi = store_col_int(r, 1);
		e->hole_seen_us = store_col_int(r, 2);
		o = 3;
	}
	e->id = store_col_int(r, o);
	store_col_copy(r, o + 1, e->tenant_id, sizeof(e->tenant_id));
	store_col_copy(r, o + 2, e->device_id, sizeof(e->device_id));
	e->ts_us = store_col_int(r, o + 3);
	const char *type = store_col_text(r, o + 4), *body = store_col_text(r, o + 5);
	e->alert = type && !strcmp(type, "alert");
	if (e->alert && body) {
		e->len = strlen(body);
		if (!(e->body = strdup(body)))
			return STORE_ERR;
	}
	rs->n++;
	return 0;
}

static void ev_rows_free(struct ev_rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->v[i].body);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* The open incident an alert joins. */
struct open_inc {
	char id[STORE_ID_LEN];
	int severity, level;
};

static int read_open(void *arg, const struct store_row *r)
{
	struct open_inc *o = arg;
	store_col_copy(r, 0, o->id, sizeof(o->id));
	o->severity = (int)store_col_int(r, 1);
	o->level = (int)store_col_int(r, 2);
	return 0;
}

/* Alert e joins the open incident of its group within the window, or
 * makes a new one; its timeline row and notifications, in c's
 * transaction. */
static int correlate_alert(struct store_conn *c, const struct correlate_params *p,
			   const struct ev_row *e, int64_t now, struct correlate_result *r)
{
	STORE_Q(q_seen, "SELECT 1 FROM incident_timeline WHERE tenant_id = ?1 AND event_id = ?2");
	STORE_Q(q_open, "SELECT id, severity, notify_level FROM incidents "
			"WHERE tenant_id = ?1 AND device_id = ?2 AND group_key = ?3 "
			"AND status IN " OPEN_STATUSES " AND last_us >= ?4 AND first_us <= ?5 "
			"ORDER BY last_us DESC LIMIT 1");
	STORE_Q(q_join, "UPDATE incidents SET event_count = event_count + 1, "
			"last_us = CASE WHEN ?3 > last_us THEN ?3 ELSE last_us END, "
			"first_us = CASE WHEN ?3 < first_us THEN ?3 ELSE first_us END, "
			"severity = CASE WHEN ?4 < severity THEN ?4 ELSE severity END, "
			"updated_us = ?5 WHERE tenant_id = ?1 AND id = ?2");
	STORE_Q(q_new, "INSERT INTO incidents (tenant_id, id, device_id, group_key, title, kind, "
		       "severity, status, first_us, last_us, event_count, src_ip, dest_ip, "
		       "created_us, updated_us, notify_level, notify_level_us) VALUES "
		       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'new', ?8, ?8, 1, ?9, ?10, ?11, ?11, 0, ?11)");
	struct incident_alert a;
	struct open_inc o = { .severity = 0 };
	char actor[16 + STORE_ID_LEN];
	int rc;

	struct store_arg seen[] = { A_TEXT(e->tenant_id), A_INT(e->id) };
	if ((rc = store_run(c, &q_seen, seen, 2, NULL, NULL)) != 0)
		return rc < 0 ? rc : STORE_OK;
	memset(&a, 0, sizeof(a));
	if (!e->body || p->parse(p->arg, e->body, e->len, &a) < 0) {
		ot_info("correlate: event %" PRId64 " of device %s is an alert without a "
			"signature that can be read: not correlated", e->id, e->device_id);
		r->skipped++;
		return STORE_OK;
	}
	a.severity = a.severity < 1 ? 1 : a.severity > 4 ? 4 : a.severity;
	struct store_arg find[] = { A_TEXT(e->tenant_id), A_TEXT(e->device_id), A_TEXT(a.key),
				    A_INT(e->ts_us - p->window_us), A_INT(e->ts_us + p->window_us) };
	if ((rc = store_run(c, &q_open, find, 5, read_open, &o)) < 0)
		return rc;
	if (rc == 1) {
		struct store_arg j[] = { A_TEXT(e->tenant_id), A_TEXT(o.id), A_INT(e->ts_us),
					 A_INT(a.severity), A_INT(now) };
		if ((rc = store_run(c, &q_join, j, 5, NULL, NULL)) < 0)
			return rc;
		if (a.severity < o.severity) {
			char d[32];
			snprintf(d, sizeof(d), "%d -> %d", o.severity, a.severity);
			if ((rc = incident_timeline_add(c, e->tenant_id, o.id, now, "correlator",
							"severity", 0, d)) < 0 ||
			    (rc = notify_queue(c, e->tenant_id, o.id, 0, o.level, a.severity,
					       "severity", now)) < 0)
				return rc;
			r->queued += (unsigned)rc;
		}
	} else {
		token_uuid(o.id);
		struct store_arg n[] = { A_TEXT(e->tenant_id), A_TEXT(o.id), A_TEXT(e->device_id),
					 A_TEXT(a.key), A_TEXT(a.title), A_TEXT(a.kind),
					 A_INT(a.severity), A_INT(e->ts_us),
					 A_TEXT(a.src_ip[0] ? a.src_ip : NULL),
					 A_TEXT(a.dest_ip[0] ? a.dest_ip : NULL), A_INT(now) };
		if ((rc = store_run(c, &q_new, n, 11, NULL, NULL)) < 0 ||
		    (rc = notify_queue(c, e->tenant_id, o.id, 0, 0, a.severity, "new", now)) < 0)
			return rc;
		r->queued += (unsigned)rc;
		r->created++;
	}
	snprintf(actor, sizeof(actor), "device %s", e->device_id);
	if ((rc = incident_timeline_add(c, e->tenant_id, o.id, e->ts_us, actor, "alert", e->id,
					NULL)) < 0)
		return rc;
	r->alerts++;
	return STORE_OK;
}

static int hole_add(struct store_conn *c, int64_t lo, int64_t hi, int64_t seen_us)
{
	STORE_Q(q, "INSERT INTO correlate_holes (lo, hi, seen_us) VALUES (?1, ?2, ?3)");
	struct store_arg a[] = { A_INT(lo), A_INT(hi), A_INT(seen_us) };
	if (lo > hi)
		return STORE_OK;
	int rc = store_run(c, &q, a, 3, NULL, NULL);
	return rc < 0 ? rc : STORE_OK;
}

/* Events that appeared in holes: correlated, and cut out of their hole. */
static int fill_holes(struct store_conn *c, const struct correlate_params *p, int64_t now,
		      struct correlate_result *r)
{
	STORE_Q(q_found, "SELECT h.lo, h.hi, h.seen_us, e.id, e.tenant_id, e.device_id, e.ts_us, "
			 "e.event_type, CASE WHEN e.event_type = 'alert' THEN e.body END "
			 "FROM correlate_holes h JOIN events e ON e.id >= h.lo AND e.id <= h.hi "
			 "ORDER BY e.id LIMIT ?1");
	STORE_Q(q_drop, "DELETE FROM correlate_holes WHERE lo = ?1");
	STORE_Q(q_expire, "DELETE FROM correlate_holes WHERE seen_us < ?1");
	struct ev_rows rs = { .holes = true };
	struct store_arg lim[] = { A_INT(p->batch) };
	int rc = store_run(c, &q_found, lim, 1, read_ev, &rs);
	for (size_t i = 0; rc >= 0 && i < rs.n; i++) {
		struct ev_row *e = &rs.v[i];
		r->events++;
		if (e->alert && (rc = correlate_alert(c, p, e, now, r)) < 0)
			break;
		/* the rows of one hole are next to each other (ids in order) */
		bool first = i == 0 || rs.v[i - 1].hole_lo != e->hole_lo;
		bool last = i + 1 == rs.n || rs.v[i + 1].hole_lo != e->hole_lo;
		int64_t from = first ? e->hole_lo : rs.v[i - 1].id + 1;
		struct store_arg lo[] = { A_INT(e->hole_lo) };
		if ((first && (rc = store_run(c, &q_drop, lo, 1, NULL, NULL)) < 0) ||
		    (rc = hole_add(c, from, e->id - 1, e->hole_seen_us)) < 0 ||
		    (last && (rc = hole_add(c, e->id + 1, e->hole_hi, e->hole_seen_us)) < 0))
			break;
	}
	ev_rows_free(&rs);
	if (rc < 0)
		return rc;
	struct store_arg old[] = { A_INT(now - p->hole_keep_us) };
	if ((rc = store_run(c, &q_expire, old, 1, NULL, NULL)) > 0)
		ot_info("correlate: %d range%s of event ids never written, no longer looked for",
			rc, rc > 1 ? "s" : "");
	return rc < 0 ? rc : STORE_OK;
}

struct cursor {
	int64_t next_id, hole_id, hole_us;
};

static int read_cursor(void *arg, const struct store_row *r)
{
	struct cursor *cur = arg;
	cur->next_id = store_col_int(r, 0);
	cur->hole_id = store_col_int(r, 1);
	cur->hole_us = store_col_int(r, 2);
	return 0;
}

/* The pass inside its transaction. */
static int correlate_tx(struct store_conn *c, const struct correlate_params *p, int64_t now,
			struct correlate_result *r)
{
	STORE_Q(q_take, "UPDATE correlate_cursor SET updated_us = ?1 WHERE name = 'alerts' "
			"RETURNING next_id, hole_id, hole_us");
	STORE_Q(q_events, "SELECT id, tenant_id, device_id, ts_us, event_type, "
			  "CASE WHEN event_type = 'alert' THEN body END FROM events "
			  "WHERE id >= ?1 ORDER BY id LIMIT ?2");
	STORE_Q(q_move, "UPDATE correlate_cursor SET next_id = ?1, hole_id = ?2, hole_us = ?3 "
			"WHERE name = 'alerts'");
	struct cursor cur;
	struct ev_rows rs = { 0 };
	struct store_arg now_a[] = { A_INT(now) };
	int rc = store_run(c, &q_take, now_a, 1, read_cursor, &cur);
	if (rc != 1)
		return rc < 0 ? rc : STORE_ERR;
	if ((rc = fill_holes(c, p, now, r)) < 0)
		return rc;
	struct store_arg after[] = { A_INT(cur.next_id), A_INT(p->batch) };
	if ((rc = store_run(c, &q_events, after, 2, read_ev, &rs)) < 0)
		goto out;
	int64_t expect = cur.next_id;
	bool stopped = false, more = false;
	rc = STORE_OK;
	for (size_t i = 0; i < rs.n && rc == STORE_OK; i++) {
		struct ev_row *e = &rs.v[i];
		if (r->alerts + r->skipped >= p->max_alerts) {
			more = true;
			break;
		}
		if (e->id > expect) {
			if (cur.hole_id != expect) {
				/* first seen missing: wait for it a little */
				cur.hole_id = expect;
				cur.hole_us = now;
			}
			if (now - cur.hole_us < p->hole_wait_us) {
				stopped = true;
				break;
			}
			if ((rc = hole_add(c, expect, e->id - 1, now)) < 0)
				break;
		}
		r->events++;
		if (e->alert)
			rc = correlate_alert(c, p, e, now, r);
		expect = e->id + 1;
	}
	if (rc < 0)
		goto out;
	r->more = more || (!stopped && rs.n == p->batch);
	struct store_arg mv[] = { A_INT(expect), A_INT(cur.hole_id), A_INT(cur.hole_us) };
	rc = store_run(c, &q_move, mv, 3, NULL, NULL);
	rc = rc < 0 ? rc : STORE_OK;
out:
	ev_rows_free(&rs);
	return rc;
}

int store_correlate(struct store *s, const struct correlate_params *p, int64_t now_us,
		    struct correlate_result *r)
{
	struct store_conn c;
	int rc;
	memset(r, 0, sizeof(*r));
	if (store_borrow(s, &c) < 0)
		return STORE_ERR;
	if ((rc = store_begin(&c, TX_WRITE)) == STORE_OK)
		rc = store_end(&c, correlate_tx(&c, p, now_us, r));
	store_give(&c);
	if (rc < 0)
		memset(r, 0, sizeof(*r));
	return rc;
}

/* ---- reading incidents ---- */

#define INCIDENT_COLS "tenant_id, id, device_id, group_key, title, kind, severity, status, " \
	"assignee, first_us, last_us, created_us, updated_us, event_count, src_ip, dest_ip, " \
	"notify_level"

static void incident_read(const struct store_row *r, struct store_incident *i)
{
	store_col_copy(r, 0, i->tenant_id, sizeof(i->tenant_id));
	store_col_copy(r, 1, i->id, sizeof(i->id));
	store_col_copy(r, 2, i->device_id, sizeof(i->device_id));
	store_col_copy(r, 3, i->key, sizeof(i->key));
	store_col_copy(r, 4, i->title, sizeof(i->title));
	store_col_copy(r, 5, i->kind, sizeof(i->kind));
	i->severity = (int)store_col_int(r, 6);
	store_col_copy(r, 7, i->status, sizeof(i->status));
	store_col_copy(r, 8, i->assignee, sizeof(i->assignee));
	i->first_us = store_col_int(r, 9);
	i->last_us = store_col_int(r, 10);
	i->created_us = store_col_int(r, 11);
	i->updated_us = store_col_int(r, 12);
	i->event_count = (uint64_t)store_col_int(r, 13);
	store_col_copy(r, 14, i->src_ip, sizeof(i->src_ip));
	store_col_copy(r, 15, i->dest_ip, sizeof(i->dest_ip));
	i->notify_level = (int)store_col_int(r, 16);
}

static int one_incident(void *arg, const struct store_row *r)
{
	incident_read(r, arg);
	return 0;
}

struct incident_cb {
	int (*cb)(void *arg, const struct store_incident *i);
	void *arg;
};

static int each_incident(void *arg, const struct store_row *r)
{
	struct incident_cb *ic = arg;
	struct store_incident i;
	incident_read(r, &i);
	return ic->cb(ic->arg, &i);
}

/* '%text%' for LIKE ... ESCAPE '\', the text's own % _ \ escaped. */
static char *like_pattern(const char *text)
{
	size_t n = strlen(text);
	char *p = malloc(2 * n + 3), *o = p;
	if (!p)
		return NULL;
	*o++ = '%';
	for (const char *t = text; *t; t++) {
		if (*t == '%' || *t == '_' || *t == '\\')
			*o++ = '\\';
		*o++ = *t;
	}
	*o++ = '%';
	*o = '\0';
	return p;
}

int store_incident_list(struct store *s, const char *tenant_id,
			const struct store_incident_filter *f,
			int (*cb)(void *arg, const struct store_incident *i), void *arg)
{
	STORE_Q(q, "SELECT " INCIDENT_COLS " FROM incidents WHERE tenant_id = ?1 "
		   "AND (CAST(?2 AS TEXT) IS NULL OR status = ?2 "
		   "  OR (?2 = 'open' AND status IN " OPEN_STATUSES ") "
		   "  OR (?2 = 'closed' AND status IN " CLOSED_STATUSES ")) "
		   "AND severity >= ?3 AND severity <= ?4 "
		   "AND (CAST(?5 AS TEXT) IS NULL OR device_id = ?5) "
		   "AND last_us >= ?6 AND first_us < ?7 "
		   "AND (CAST(?8 AS TEXT) IS NULL OR lower(title) LIKE lower(?8) ESCAPE '\\') "
		   "AND (last_us < ?9 OR (last_us = ?9 AND id < ?10)) "
		   "ORDER BY last_us DESC, id DESC LIMIT ?11");
	static const struct store_incident_filter none;
	if (!f)
		f = &none;
	unsigned limit = f->limit ? OT_MIN(f->limit, 1000u) : 50;
	char *pattern = NULL;
	if (f->text && !(pattern = like_pattern(f->text)))
		return STORE_ERR;
	struct store_arg a[] = {
		A_TEXT(tenant_id), A_TEXT(f->status),
		A_INT(f->severity_min > 0 ? f->severity_min : 0),
		A_INT(f->severity_max > 0 ? f->severity_max : INT32_MAX),
		A_TEXT(f->device_id), A_INT(f->since_us),
		A_INT(f->until_us > 0 ? f->until_us : INT64_MAX), A_TEXT(pattern),
		A_INT(f->after ? f->after->last_us : INT64_MAX),
		A_TEXT(f->after ? f->after->id : ""), A_INT(limit),
	};
	struct incident_cb ic = { cb, arg };
	int rc = store_query(s, &q, a, OT_ARRAY_LEN(a), each_incident, &ic);
	free(pattern);
	return rc;
}

void store_incident_cursor_of(const struct store_incident *i, struct store_incident_cursor *c)
{
	c->last_us = i->last_us;
	ot_strlcpy(c->id, i->id, sizeof(c->id));
}

void store_incident_cursor_fmt(const struct store_incident_cursor *c, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64 ".%s", c->last_us, c->id);
}

int store_incident_cursor_parse(const char *s, struct store_incident_cursor *c)
{
	const char *dot = strchr(s, '.');
	char num[24];
	uint64_t v;
	if (!dot || dot == s || (size_t)(dot - s) >= sizeof(num) ||
	    strspn(s, "0123456789") != (size_t)(dot - s))
		return -1;
	memcpy(num, s, (size_t)(dot - s));
	num[dot - s] = '\0';
	if (ot_parse_u64(num, 0, INT64_MAX, false, &v) < 0 || !token_is_uuid(dot + 1))
		return -1;
	c->last_us = (int64_t)v;
	ot_strlcpy(c->id, dot + 1, sizeof(c->id));
	return 0;
}

int store_incident_get(struct store *s, const char *tenant_id, const char *id,
		       struct store_incident *out)
{
	STORE_Q(q, "SELECT " INCIDENT_COLS " FROM incidents WHERE tenant_id = ?1 AND id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(id) };
	return store_one(s, &q, a, 2, one_incident, out);
}

static int read_tenant_id(void *arg, const struct store_row *r)
{
	store_col_copy(r, 0, arg, STORE_ID_LEN);
	return 0;
}

int store_incident_locate(struct store *s, const char *id, char tenant_id[STORE_ID_LEN])
{
	STORE_Q(q, "SELECT tenant_id FROM incidents WHERE id = ?1");
	struct store_arg a[] = { A_TEXT(id) };
	return store_one(s, &q, a, 1, read_tenant_id, tenant_id);
}

/* fn(c, arg) in a transaction of mode, once incident id is known to be
 * the tenant's (else STORE_NOTFOUND). */
static int on_incident(struct store *s, const char *tenant_id, const char *id,
		       enum store_tx_mode mode, int (*fn)(struct store_conn *c, void *arg),
		       void *arg)
{
	STORE_Q(q_has, "SELECT 1 FROM incidents WHERE tenant_id = ?1 AND id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(id) };
	struct store_conn c;
	int rc;
	if (store_borrow(s, &c) < 0)
		return STORE_ERR;
	if ((rc = store_begin(&c, mode)) == STORE_OK) {
		rc = store_run(&c, &q_has, a, 2, NULL, NULL);
		if (rc == 0)
			rc = STORE_NOTFOUND;
		else if (rc > 0)
			rc = fn(&c, arg);
		rc = store_end(&c, rc < 0 ? rc : STORE_OK);
	}
	store_give(&c);
	return rc;
}

struct timeline_cb {
	const char *tenant_id, *id;
	int (*cb)(void *arg, const struct store_timeline *t);
	void *arg;
};

static int each_timeline(void *arg, const struct store_row *r)
{
	struct timeline_cb *tc = arg;
	struct store_timeline t = {
		.id = store_col_int(r, 0),
		.ts_us = store_col_int(r, 1),
		.actor = store_col_text(r, 2),
		.what = store_col_text(r, 3),
		.event_id = store_col_int(r, 4),
		.detail = store_col_text(r, 5),
	};
	return tc->cb(tc->arg, &t);
}

static int read_timeline(struct store_conn *c, void *arg)
{
	STORE_Q(q, "SELECT id, ts_us, actor, what, event_id, detail FROM incident_timeline "
		   "WHERE tenant_id = ?1 AND incident_id = ?2 ORDER BY id");
	struct timeline_cb *tc = arg;
	struct store_arg a[] = { A_TEXT(tc->tenant_id), A_TEXT(tc->id) };
	return store_run(c, &q, a, 2, each_timeline, tc);
}

int store_incident_timeline(struct store *s, const char *tenant_id, const char *id,
			    int (*cb)(void *arg, const struct store_timeline *t), void *arg)
{
	struct timeline_cb tc = { tenant_id, id, cb, arg };
	return on_incident(s, tenant_id, id, TX_READ, read_timeline, &tc);
}

/* ---- changes by people ---- */

/* A change of one column of the incident, with its timeline row, in
 * one transaction: read the old value (q_get), then run q_set when it
 * differs. */
struct change {
	struct store_q *get, *set;
	const char *what;          /* on the timeline */
	const char *value;         /* NULL: SQL NULL */
};

static int read_text(void *arg, const struct store_row *r)
{
	store_col_copy(r, 0, arg, STORE_ID_LEN);
	return 0;
}

static int change(struct store *s, const char *tenant_id, const char *id,
		  const struct change *ch, const char *actor, int64_t now_us)
{
	char old[STORE_ID_LEN], detail[2 * STORE_ID_LEN + 8];
	struct store_conn c;
	int rc;
	if (store_borrow(s, &c) < 0)
		return STORE_ERR;
	if ((rc = store_begin(&c, TX_WRITE)) < 0)
		goto out;
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(id), A_TEXT(ch->value), A_INT(now_us) };
	rc = store_run(&c, ch->get, a, 2, read_text, old);
	if (rc == 0)
		rc = STORE_NOTFOUND;
	if (rc > 0 && strcmp(old, ch->value ? ch->value : "")) {
		snprintf(detail, sizeof(detail), "%s -> %s", old[0] ? old : "none",
			 ch->value ? ch->value : "none");
		if ((rc = store_run(&c, ch->set, a, 4, NULL, NULL)) >= 0)
			rc = incident_timeline_add(&c, tenant_id, id, now_us, actor, ch->what, 0,
						   detail);
	}
	rc = store_end(&c, rc < 0 ? rc : STORE_OK);
out:
	store_give(&c);
	return rc;
}

int store_incident_set_status(struct store *s, const char *tenant_id, const char *id,
			      const char *status, const char *actor, int64_t now_us)
{
	STORE_Q(q_get, "SELECT status FROM incidents WHERE tenant_id = ?1 AND id = ?2");
	STORE_Q(q_set, "UPDATE incidents SET status = ?3, updated_us = ?4 "
		       "WHERE tenant_id = ?1 AND id = ?2");
	if (!store_incident_status_known(status))
		return STORE_INVALID;
	struct change ch = { &q_get, &q_set, "status", status };
	return change(s, tenant_id, id, &ch, actor, now_us);
}

int store_incident_assign(struct store *s, const char *tenant_id, const char *id,
			  const char *user_id, const char *actor, int64_t now_us)
{
	STORE_Q(q_user, "SELECT 1 FROM users WHERE id = ?1 AND (tenant_id = ?2 OR tenant_id = '')");
	STORE_Q(q_get, "SELECT assignee FROM incidents WHERE tenant_id = ?1 AND id = ?2");
	STORE_Q(q_set, "UPDATE incidents SET assignee = ?3, updated_us = ?4 "
		       "WHERE tenant_id = ?1 AND id = ?2");
	if (user_id) {
		struct store_arg u[] = { A_TEXT(user_id), A_TEXT(tenant_id) };
		int rc = store_query(s, &q_user, u, 2, NULL, NULL);
		if (rc <= 0)
			return rc < 0 ? rc : STORE_INVALID;
	}
	struct change ch = { &q_get, &q_set, "assignee", user_id };
	return change(s, tenant_id, id, &ch, actor, now_us);
}

struct note {
	const char *tenant_id, *id, *actor, *text;
	int64_t now_us;
};

static int add_note(struct store_conn *c, void *arg)
{
	struct note *n = arg;
	return incident_timeline_add(c, n->tenant_id, n->id, n->now_us, n->actor, "note", 0,
				     n->text);
}

int store_incident_note(struct store *s, const char *tenant_id, const char *id,
			const char *actor, const char *text, int64_t now_us)
{
	struct note n = { tenant_id, id, actor, text, now_us };
	return on_incident(s, tenant_id, id, TX_WRITE, add_note, &n);
}
