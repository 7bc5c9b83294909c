/*
 * store-notify.c - who is told about incidents, and the queue of what is
 * to be told: a tenant's contacts, the notifications queued for them, the
 * escalation to the next level of contacts, and the log of every attempt.
 * See store-incident.h; the notifier thread (notifier.c) drives it.
 *
 * Notifications are queued in the transaction that makes or changes the
 * incident (store-incident.c), so none is lost or queued twice.  Sending
 * happens outside any transaction (a channel may take seconds): a
 * notification is first claimed by moving it from queued to sending -
 * only one server's UPDATE can do that - and its outcome is recorded
 * afterwards.  A server that dies between the two leaves it "sending";
 * after a while it is queued again, so such a message may go out twice
 * (the channel cannot tell us whether it arrived), but never zero times.
 */
#include "store-incident.h"
#include "store-db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

/* ---- contacts ---- */

#define CONTACT_COLS "tenant_id, id, name, channel, address, secret, lang, min_severity, " \
	"level, created_us"

int store_contact_add(struct store *s, const struct store_contact *c)
{
	STORE_Q(q, "INSERT INTO contacts (" CONTACT_COLS ") "
		   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (c->min_severity < 1 || c->min_severity > 4 || c->level < 0 || c->level > 99 ||
	    (strcmp(c->lang, "ja") && strcmp(c->lang, "en")) || !c->channel[0] || !c->address[0])
		return STORE_INVALID;
	struct store_arg a[] = { A_TEXT(c->tenant_id), A_TEXT(c->id), A_TEXT(c->name),
				 A_TEXT(c->channel), A_TEXT(c->address),
				 A_TEXT(c->secret[0] ? c->secret : NULL), A_TEXT(c->lang),
				 A_INT(c->min_severity), A_INT(c->level), A_INT(c->created_us) };
	int rc = store_exec(s, &q, a, OT_ARRAY_LEN(a));
	return rc < 0 ? rc : STORE_OK;
}

struct contact_cb {
	int (*cb)(void *arg, const struct store_contact *c);
	void *arg;
};

static int each_contact(void *arg, const struct store_row *r)
{
	struct contact_cb *cc = arg;
	struct store_contact c;
	store_col_copy(r, 0, c.tenant_id, sizeof(c.tenant_id));
	store_col_copy(r, 1, c.id, sizeof(c.id));
	store_col_copy(r, 2, c.name, sizeof(c.name));
	store_col_copy(r, 3, c.channel, sizeof(c.channel));
	store_col_copy(r, 4, c.address, sizeof(c.address));
	store_col_copy(r, 5, c.secret, sizeof(c.secret));
	store_col_copy(r, 6, c.lang, sizeof(c.lang));
	c.min_severity = (int)store_col_int(r, 7);
	c.level = (int)store_col_int(r, 8);
	c.created_us = store_col_int(r, 9);
	return cc->cb(cc->arg, &c);
}

int store_contact_list(struct store *s, const char *tenant_id,
		       int (*cb)(void *arg, const struct store_contact *c), void *arg)
{
	STORE_Q(q, "SELECT " CONTACT_COLS " FROM contacts WHERE tenant_id = ?1 "
		   "ORDER BY level, name, id");
	struct store_arg a[] = { A_TEXT(tenant_id) };
	struct contact_cb cc = { cb, arg };
	int rc = store_query(s, &q, a, 1, each_contact, &cc);
	return rc < 0 ? rc : STORE_OK;
}

int store_contact_remove(struct store *s, const char *tenant_id, const char *id)
{
	STORE_Q(q, "DELETE FROM contacts WHERE tenant_id = ?1 AND id = ?2");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(id) };
	int rc = store_exec(s, &q, a, 2);
	return rc < 0 ? rc : rc == 0 ? STORE_NOTFOUND : STORE_OK;
}

/* ---- the queue ---- */

int notify_queue(struct store_conn *c, const char *tenant_id, const char *incident_id,
		 int lo, int hi, int severity, const char *reason, int64_t now_us)
{
	STORE_Q(q, "INSERT INTO notifications (tenant_id, incident_id, contact_id, level, reason, "
		   "state, attempts, next_us, created_us, updated_us) "
		   "SELECT tenant_id, CAST(?2 AS TEXT), id, level, CAST(?5 AS TEXT), 'queued', 0, "
		   "CAST(?6 AS BIGINT), CAST(?6 AS BIGINT), CAST(?6 AS BIGINT) FROM contacts "
		   "WHERE tenant_id = ?1 AND level >= ?3 AND level <= ?4 AND min_severity >= ?7");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(incident_id), A_INT(lo), A_INT(hi),
				 A_TEXT(reason), A_INT(now_us), A_INT(severity) };
	return store_run(c, &q, a, OT_ARRAY_LEN(a), NULL, NULL);
}

#define NOTIFICATION_COLS "id, tenant_id, incident_id, contact_id, level, reason, state, " \
	"attempts, next_us, created_us, updated_us, last_error"

struct notification_cb {
	int (*cb)(void *arg, const struct store_notification *n);
	void *arg;
};

static int each_notification(void *arg, const struct store_row *r)
{
	struct notification_cb *nc = arg;
	struct store_notification n;
	n.id = store_col_int(r, 0);
	store_col_copy(r, 1, n.tenant_id, sizeof(n.tenant_id));
	store_col_copy(r, 2, n.incident_id, sizeof(n.incident_id));
	store_col_copy(r, 3, n.contact_id, sizeof(n.contact_id));
	n.level = (int)store_col_int(r, 4);
	store_col_copy(r, 5, n.reason, sizeof(n.reason));
	store_col_copy(r, 6, n.state, sizeof(n.state));
	n.attempts = (int)store_col_int(r, 7);
	n.next_us = store_col_int(r, 8);
	n.created_us = store_col_int(r, 9);
	n.updated_us = store_col_int(r, 10);
	store_col_copy(r, 11, n.last_error, sizeof(n.last_error));
	return nc->cb(nc->arg, &n);
}

int store_notify_list(struct store *s, const char *tenant_id, const char *incident_id,
		      int (*cb)(void *arg, const struct store_notification *n), void *arg)
{
	STORE_Q(q, "SELECT " NOTIFICATION_COLS " FROM notifications "
		   "WHERE tenant_id = ?1 AND incident_id = ?2 ORDER BY id");
	struct store_arg a[] = { A_TEXT(tenant_id), A_TEXT(incident_id) };
	struct notification_cb nc = { cb, arg };
	int rc = store_query(s, &q, a, 2, each_notification, &nc);
	return rc < 0 ? rc : STORE_OK;
}

/* ---- escalation ---- */

/* An incident waiting for its next level. */
struct waiting {
	char tenant_id[STORE_ID_LEN], id[STORE_ID_LEN];
	int level, severity;
};

struct waiting_list {
	struct waiting v[100];
	unsigned n;
};

static int read_waiting(void *arg, const struct store_row *r)
{
	struct waiting_list *l = arg;
	struct waiting *w = &l->v[l->n++];
	store_col_copy(r, 0, w->tenant_id, sizeof(w->tenant_id));
	store_col_copy(r, 1, w->id, sizeof(w->id));
	w->level = (int)store_col_int(r, 2);
	w->severity = (int)store_col_int(r, 3);
	return 0;
}

static int read_next_level(void *arg, const struct store_row *r)
{
	*(int *)arg = store_col_null(r, 0) ? -1 : (int)store_col_int(r, 0);
	return 0;
}

/* One incident to its next level, in c's transaction: queued, or < 0. */
static int escalate_one(struct store_conn *c, const struct waiting *w, int64_t now_us)
{
	STORE_Q(q_next, "SELECT min(level) FROM contacts WHERE tenant_id = ?1 AND level > ?2");
	STORE_Q(q_move, "UPDATE incidents SET notify_level = ?4, notify_level_us = ?5 "
			"WHERE tenant_id = ?1 AND id = ?2 AND notify_level = ?3 AND status = 'new'");
	int next = -1, rc;
	struct store_arg n[] = { A_TEXT(w->tenant_id), A_INT(w->level) };
	if ((rc = store_run(c, &q_next, n, 2, read_next_level, &next)) < 0)
		return rc;
	/* no further level: the same level again, looked at after_us later */
	int to = next < 0 ? w->level : next;
	struct store_arg m[] = { A_TEXT(w->tenant_id), A_TEXT(w->id), A_INT(w->level), A_INT(to),
				 A_INT(now_us) };
	if ((rc = store_run(c, &q_move, m, 5, NULL, NULL)) != 1 || next < 0)
		return rc < 0 ? rc : 0;
	char d[32];
	snprintf(d, sizeof(d), "level %d", next);
	if ((rc = incident_timeline_add(c, w->tenant_id, w->id, now_us, "escalation", "escalated",
					0, d)) < 0)
		return rc;
	return notify_queue(c, w->tenant_id, w->id, next, next, w->severity, "escalation", now_us);
}

int store_notify_escalate(struct store *s, int64_t now_us, int64_t after_us, unsigned *queued)
{
	STORE_Q(q_due, "SELECT tenant_id, id, notify_level, severity FROM incidents "
		       "WHERE status = 'new' AND notify_level_us <= ?1 "
		       "ORDER BY notify_level_us LIMIT 100");
	struct waiting_list l;
	struct store_arg a[] = { A_INT(now_us - after_us) };
	int rc;
	*queued = 0;
	/* each one handled is no longer due (moved, or looked at now) */
	do {
		l.n = 0;
		rc = store_query(s, &q_due, a, 1, read_waiting, &l);
		for (unsigned i = 0; rc >= 0 && i < l.n; i++) {
			struct store_conn c;
			if (store_borrow(s, &c) < 0)
				return STORE_ERR;
			if ((rc = store_begin(&c, TX_WRITE)) == STORE_OK) {
				int q = escalate_one(&c, &l.v[i], now_us);
				if ((rc = store_end(&c, q < 0 ? q : STORE_OK)) == STORE_OK)
					*queued += (unsigned)q;
			}
			store_give(&c);
		}
	} while (rc >= 0 && l.n == OT_ARRAY_LEN(l.v));
	return rc < 0 ? rc : STORE_OK;
}

/* ---- sending ---- */

struct due {
	char tenant_id[STORE_ID_LEN];
	int64_t id;
};

struct due_list {
	struct due v[256];
	unsigned n;
};

static int read_due(void *arg, const struct store_row *r)
{
	struct due_list *l = arg;
	struct due *d = &l->v[l->n++];
	store_col_copy(r, 0, d->tenant_id, sizeof(d->tenant_id));
	d->id = store_col_int(r, 1);
	return 0;
}

static int read_notice(void *arg, const struct store_row *r)
{
	struct store_notice *n = arg;
	char reason[16], incident_id[STORE_ID_LEN];
	n->attempts = (int)store_col_int(r, 0);
	store_col_copy(r, 1, reason, sizeof(reason));
	n->escalated = !strcmp(reason, "escalation");
	store_col_copy(r, 2, incident_id, sizeof(incident_id));
	n->contact_gone = store_col_null(r, 3);
	store_col_copy(r, 3, n->channel, sizeof(n->channel));
	store_col_copy(r, 4, n->address, sizeof(n->address));
	store_col_copy(r, 5, n->secret, sizeof(n->secret));
	store_col_copy(r, 6, n->lang, sizeof(n->lang));
	store_col_copy(r, 7, n->tenant_name, sizeof(n->tenant_name));
	store_col_copy(r, 8, n->device_name, sizeof(n->device_name));
	ot_strlcpy(n->inc.id, incident_id, sizeof(n->inc.id));
	return 0;
}

/* Claim notification d: 1 when this call got it (and *n filled), 0 when
 * another got it first, or < 0. */
static int claim(struct store *s, const struct due *d, int64_t now_us, struct store_notice *n)
{
	STORE_Q(q_claim, "UPDATE notifications SET state = 'sending', attempts = attempts + 1, "
			 "updated_us = ?3 WHERE tenant_id = ?1 AND id = ?2 AND state = 'queued' "
			 "AND next_us <= ?3");
	STORE_Q(q_what, "SELECT n.attempts, n.reason, n.incident_id, c.channel, c.address, "
			"c.secret, c.lang, t.name, d.name FROM notifications n "
			"JOIN tenants t ON t.id = n.tenant_id "
			"JOIN incidents i ON i.tenant_id = n.tenant_id AND i.id = n.incident_id "
			"LEFT JOIN devices d ON d.tenant_id = i.tenant_id AND d.id = i.device_id "
			"LEFT JOIN contacts c ON c.tenant_id = n.tenant_id AND c.id = n.contact_id "
			"WHERE n.tenant_id = ?1 AND n.id = ?2");
	struct store_arg a[] = { A_TEXT(d->tenant_id), A_INT(d->id), A_INT(now_us) };
	int rc = store_exec(s, &q_claim, a, 3);
	if (rc != 1)
		return rc < 0 ? rc : 0;
	memset(n, 0, sizeof(*n));
	n->id = d->id;
	ot_strlcpy(n->tenant_id, d->tenant_id, sizeof(n->tenant_id));
	if ((rc = store_one(s, &q_what, a, 2, read_notice, n)) < 0 ||
	    (rc = store_incident_get(s, d->tenant_id, n->inc.id, &n->inc)) < 0)
		return rc;
	return 1;
}

int store_notify_claim_due(struct store *s, int64_t now_us, unsigned max, int64_t stale_us,
			   int (*cb)(void *arg, const struct store_notice *n), void *arg)
{
	STORE_Q(q_stale, "UPDATE notifications SET state = 'queued', updated_us = ?1 "
			 "WHERE state = 'sending' AND updated_us < ?2");
	STORE_Q(q_due, "SELECT tenant_id, id FROM notifications "
		       "WHERE state = 'queued' AND next_us <= ?1 ORDER BY next_us, id LIMIT ?2");
	struct due_list l = { .n = 0 };
	struct store_notice *n = malloc(sizeof(*n));
	int rc, claimed = 0;
	if (!n)
		return STORE_ERR;
	struct store_arg st[] = { A_INT(now_us), A_INT(now_us - stale_us) };
	struct store_arg du[] = { A_INT(now_us), A_INT(OT_MIN(max, OT_ARRAY_LEN(l.v))) };
	if ((rc = store_exec(s, &q_stale, st, 2)) < 0 ||
	    (rc = store_query(s, &q_due, du, 2, read_due, &l)) < 0)
		goto out;
	for (unsigned i = 0; i < l.n; i++) {
		if ((rc = claim(s, &l.v[i], now_us, n)) < 0)
			goto out;
		if (rc == 1) {
			claimed++;
			if ((rc = cb(arg, n)) < 0)
				goto out;
		}
	}
	rc = claimed;
out:
	free(n);
	return rc;
}

int store_notify_outcome(struct store *s, const struct store_notice *n, enum notify_outcome o,
			 int64_t now_us, int64_t next_us, const char *why)
{
	STORE_Q(q_set, "UPDATE notifications SET state = ?3, next_us = ?4, updated_us = ?5, "
		       "last_error = ?6 WHERE tenant_id = ?1 AND id = ?2 AND state = 'sending'");
	STORE_Q(q_log, "INSERT INTO notify_log (tenant_id, notification_id, ts_us, attempt, "
		       "outcome, next_us, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	static const char *const states[] = { "sent", "queued", "failed" };
	static const char *const outcomes[] = { "sent", "retry", "failed" };
	char detail[CONTACT_CHANNEL_MAX + CONTACT_ADDRESS_MAX + 300];
	struct store_conn c;
	int rc;

	snprintf(detail, sizeof(detail), "%s %s%s%.256s", n->channel, n->address,
		 why && *why ? ": " : "", why ? why : "");
	if (store_borrow(s, &c) < 0)
		return STORE_ERR;
	if ((rc = store_begin(&c, TX_WRITE)) < 0)
		goto out;
	struct store_arg set[] = { A_TEXT(n->tenant_id), A_INT(n->id), A_TEXT(states[o]),
				   A_INT(o == OUTCOME_RETRY ? next_us : now_us), A_INT(now_us),
				   A_TEXT(o == OUTCOME_SENT ? NULL : why) };
	struct store_arg log[] = { A_TEXT(n->tenant_id), A_INT(n->id), A_INT(now_us),
				   A_INT(n->attempts), A_TEXT(outcomes[o]),
				   o == OUTCOME_RETRY ? A_INT(next_us) : A_NULL, A_TEXT(why) };
	if ((rc = store_run(&c, &q_set, set, OT_ARRAY_LEN(set), NULL, NULL)) == 1 &&
	    (rc = store_run(&c, &q_log, log, OT_ARRAY_LEN(log), NULL, NULL)) >= 0 &&
	    o != OUTCOME_RETRY)
		rc = incident_timeline_add(&c, n->tenant_id, n->inc.id, now_us, "notifier",
					   o == OUTCOME_SENT ? "notify.sent" : "notify.failed", 0,
					   detail);
	/* 0 rows: no longer ours (queued again as stale): record nothing */
	rc = store_end(&c, rc < 0 ? rc : STORE_OK);
out:
	store_give(&c);
	return rc;
}
