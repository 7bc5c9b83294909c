/*
 * store-incident.h - incidents, their timeline, contacts and the
 * notification queue, in the store (store-incident.c, store-notify.c).
 *
 * An incident groups the alerts of one device for one signature (a
 * Suricata gid:sid, or an agent's rule id) that come within
 * incident.window of each other; the correlator (correlate.c) makes them
 * from the stored events with store_correlate().  Its timeline keeps
 * every alert that joined it (by event id), every change of status or
 * assignee and every note with who made it, escalations, and every
 * notification sent or given up.
 *
 * Severity follows Suricata's priority: 1 is the most serious (critical),
 * 4 the least (low).  A contact's min_severity N means "tell me about
 * incidents of severity N or more serious" (severity <= N).
 *
 * As everywhere in the store: every function takes the tenant and looks
 * only within it (except the few marked as the operator's or the server's
 * own work lists), strings are bound as parameters, never spliced into
 * SQL, and times are microseconds since the epoch, UTC.
 */
#ifndef OT_STORE_INCIDENT_H
#define OT_STORE_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define INCIDENT_KEY_MAX 160       /* "1:2010935", "rule:<id>", with its NUL */
#define INCIDENT_TITLE_MAX 1024    /* a signature's text, cut when read back */
#define INCIDENT_KIND_MAX 64
#define INCIDENT_IP_MAX 64
#define INCIDENT_STATUS_MAX 16
#define INCIDENT_CURSOR_MAX 64     /* a page cursor as text, with its NUL */

/* What the correlator reads from one alert event (correlate.c fills it). */
struct incident_alert {
	char key[INCIDENT_KEY_MAX];
	char title[INCIDENT_TITLE_MAX];
	char kind[INCIDENT_KIND_MAX]; /* explanation key; "" when unknown */
	int severity;                 /* 1..4 */
	char src_ip[INCIDENT_IP_MAX], dest_ip[INCIDENT_IP_MAX];
};

/* Read body (len bytes, one event of type "alert") into out: 0, or -1
 * when it is not an alert that can be correlated (then it is skipped). */
typedef int (*incident_parse_fn)(void *arg, const char *body, size_t len,
				 struct incident_alert *out);

struct correlate_params {
	int64_t window_us;         /* incident.window */
	int64_t hole_wait_us;      /* how long an id missing below newer events is waited for */
	int64_t hole_keep_us;      /* how long such an id is looked for afterwards */
	unsigned batch;            /* events read in one pass */
	unsigned max_alerts;       /* alerts correlated in one pass (its transaction's length) */
	incident_parse_fn parse;
	void *arg;
};

struct correlate_result {
	unsigned events;           /* events the cursor went past, or found in holes */
	unsigned alerts;           /* alerts that joined or made an incident */
	unsigned created;          /* incidents made */
	unsigned skipped;          /* alerts that could not be read (logged) */
	unsigned queued;           /* notifications queued */
	bool more;                 /* a full batch was read: call again at once */
};

/*
 * One pass of correlation, in one write transaction: take the cursor
 * (its row's lock makes servers sharing a PostgreSQL take turns), read
 * the events after it (and those that have since appeared in the holes
 * it stepped over), turn each alert into an incident change with its
 * timeline row and notifications, and move the cursor - all committed
 * together, so an alert is counted exactly once whatever stops when.
 */
int store_correlate(struct store *s, const struct correlate_params *p, int64_t now_us,
		    struct correlate_result *r);

/* An incident as read back. */
struct store_incident {
	char tenant_id[STORE_ID_LEN];
	char id[STORE_ID_LEN];
	char device_id[STORE_ID_LEN];
	char key[INCIDENT_KEY_MAX];
	char title[INCIDENT_TITLE_MAX];
	char kind[INCIDENT_KIND_MAX];
	int severity;
	char status[INCIDENT_STATUS_MAX];
	char assignee[STORE_ID_LEN]; /* "" when nobody */
	int64_t first_us, last_us, created_us, updated_us;
	uint64_t event_count;
	char src_ip[INCIDENT_IP_MAX], dest_ip[INCIDENT_IP_MAX];
	int notify_level;          /* escalation level reached */
};

/* Whether s is one of the statuses: new, acknowledged, in_progress,
 * resolved, false_positive. */
bool store_incident_status_known(const char *s);

/* Where a page of incidents starts: after the last one of the page before. */
struct store_incident_cursor {
	int64_t last_us;
	char id[STORE_ID_LEN];
};

/* Filters of a list; zeroed means no filter and the first page. */
struct store_incident_filter {
	const char *status;        /* a status, "open" (new, acknowledged, in_progress) or
				      "closed" (resolved, false_positive); NULL: any */
	int severity_min, severity_max; /* 1..4, inclusive; 0: no bound */
	const char *device_id;     /* NULL: any */
	int64_t since_us;          /* last alert at or after; 0: no bound */
	int64_t until_us;          /* first alert before; 0: no bound */
	const char *text;          /* in the title (ASCII case ignored); NULL: any */
	unsigned limit;            /* 0: 50; at most 1000 */
	const struct store_incident_cursor *after; /* NULL: the first page */
};

/*
 * The tenant's incidents matching f, the most recent (last alert) first,
 * to cb (a non-zero return stops and is returned).  Returns the number
 * given to cb; when it equals the limit there may be more: the next page
 * starts after the last one (store_incident_cursor_of).
 */
int store_incident_list(struct store *s, const char *tenant_id,
			const struct store_incident_filter *f,
			int (*cb)(void *arg, const struct store_incident *i), void *arg);

/* The cursor after i, as a struct and as text ("<last_us>.<id>"). */
void store_incident_cursor_of(const struct store_incident *i, struct store_incident_cursor *c);
void store_incident_cursor_fmt(const struct store_incident_cursor *c, char *buf, size_t len);
/* Text from a client into c: 0, or -1 when it is not one. */
int store_incident_cursor_parse(const char *s, struct store_incident_cursor *c);

int store_incident_get(struct store *s, const char *tenant_id, const char *id,
		       struct store_incident *out);
/* The operator's lookup (otasukectl): the tenant of incident id. */
int store_incident_locate(struct store *s, const char *id, char tenant_id[STORE_ID_LEN]);

/* One row of an incident's timeline; the strings last for the callback. */
struct store_timeline {
	int64_t id, ts_us;
	const char *actor;         /* "device <id>", "user <id>", "notifier", ... */
	const char *what;          /* alert, status, assignee, severity, note, escalated,
				      notify.sent, notify.failed */
	int64_t event_id;          /* alert: the event's id; else 0 */
	const char *detail;        /* "new -> acknowledged", the note, ...; may be NULL */
};

/* The timeline of incident id in order; STORE_NOTFOUND when there is no
 * such incident in the tenant. */
int store_incident_timeline(struct store *s, const char *tenant_id, const char *id,
			    int (*cb)(void *arg, const struct store_timeline *t), void *arg);

/*
 * Changes by a person (actor: who, for the timeline, e.g. "user <id>").
 * set_status: STORE_INVALID for an unknown status; the same status again
 * changes nothing.  Anything but "new" stops escalation.
 * assign: user_id NULL unassigns; STORE_INVALID when the user is neither
 * the tenant's nor the provider's (tenant_id "").
 * note: a line of text on the timeline.
 * All: STORE_NOTFOUND when the incident is not the tenant's.
 */
int store_incident_set_status(struct store *s, const char *tenant_id, const char *id,
			      const char *status, const char *actor, int64_t now_us);
int store_incident_assign(struct store *s, const char *tenant_id, const char *id,
			  const char *user_id, const char *actor, int64_t now_us);
int store_incident_note(struct store *s, const char *tenant_id, const char *id,
			const char *actor, const char *text, int64_t now_us);

/* ---- contacts and notifications (store-notify.c) ---- */

#define CONTACT_CHANNEL_MAX 16
#define CONTACT_ADDRESS_MAX 512
#define CONTACT_SECRET_MAX 1024

/* Someone of a tenant to tell: level 0 first, the next level when an
 * incident stays "new" for notify.escalate-after, and so on. */
struct store_contact {
	char tenant_id[STORE_ID_LEN];
	char id[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	char channel[CONTACT_CHANNEL_MAX]; /* mail, line, teams, slack, chatwork, webhook */
	char address[CONTACT_ADDRESS_MAX];
	char secret[CONTACT_SECRET_MAX]; /* "" when the channel needs none */
	char lang[8];              /* "ja" or "en" */
	int min_severity;          /* told of severity <= this (1..4) */
	int level;                 /* escalation level, 0 first */
	int64_t created_us;
};

int store_contact_add(struct store *s, const struct store_contact *c);
/* cb for each contact of the tenant, by level then name. */
int store_contact_list(struct store *s, const char *tenant_id,
		       int (*cb)(void *arg, const struct store_contact *c), void *arg);
int store_contact_remove(struct store *s, const char *tenant_id, const char *id);

/* A notification of the queue. */
struct store_notification {
	int64_t id;
	char tenant_id[STORE_ID_LEN];
	char incident_id[STORE_ID_LEN];
	char contact_id[STORE_ID_LEN];
	int level;
	char reason[16];           /* new, severity, escalation */
	char state[16];            /* queued, sending, sent, failed */
	int attempts;
	int64_t next_us, created_us, updated_us;
	char last_error[256];
};

/* The notifications of an incident, oldest first. */
int store_notify_list(struct store *s, const char *tenant_id, const char *incident_id,
		      int (*cb)(void *arg, const struct store_notification *n), void *arg);

/*
 * Escalation, the server's work list: each incident still "new" whose
 * level was reached at least after_us ago moves to the next level that
 * has contacts, and those of its contacts the severity concerns are
 * queued (a timeline row "escalated").  An incident with no further
 * level is looked at again after_us later.  Servers sharing a database
 * each move an incident once (the level is changed only from the level
 * read).  *queued: notifications queued.
 */
int store_notify_escalate(struct store *s, int64_t now_us, int64_t after_us, unsigned *queued);

/* What a claimed notification is about, to deliver it. */
struct store_notice {
	int64_t id;
	char tenant_id[STORE_ID_LEN];
	int attempts;              /* this one included */
	bool escalated;
	bool contact_gone;         /* the contact was removed since: nothing to send */
	char channel[CONTACT_CHANNEL_MAX];
	char address[CONTACT_ADDRESS_MAX];
	char secret[CONTACT_SECRET_MAX];
	char lang[8];
	struct store_incident inc;
	char tenant_name[STORE_NAME_MAX + 1];
	char device_name[STORE_NAME_MAX + 1];
};

/*
 * Up to max notifications due now (queued, next attempt passed), oldest
 * due first, claimed one by one: a claim changes the row from queued to
 * sending only if it still is queued and due, so of servers sharing a
 * database exactly one sends it.  cb gets each one claimed; it must then
 * record the outcome with store_notify_outcome.  Rows left "sending"
 * longer than stale_us (a server that died while sending) are queued
 * again first.  Returns the number claimed.
 */
int store_notify_claim_due(struct store *s, int64_t now_us, unsigned max, int64_t stale_us,
			   int (*cb)(void *arg, const struct store_notice *n), void *arg);

enum notify_outcome { OUTCOME_SENT, OUTCOME_RETRY, OUTCOME_FAILED };

/*
 * The outcome of one attempt: a row of notify_log; the notification
 * becomes sent, queued again for next_us (OUTCOME_RETRY), or failed; sent
 * and failed are also written on the incident's timeline.  why may be NULL.
 */
int store_notify_outcome(struct store *s, const struct store_notice *n, enum notify_outcome o,
			 int64_t now_us, int64_t next_us, const char *why);

/* ---- inside the store: shared by store-incident.c and store-notify.c ---- */

struct store_conn;
/* A timeline row of incident_id, in c's transaction. */
int incident_timeline_add(struct store_conn *c, const char *tenant_id, const char *incident_id,
			  int64_t ts_us, const char *actor, const char *what, int64_t event_id,
			  const char *detail);
/* Queue a notification of incident_id for each contact of levels lo..hi
 * that severity concerns, in c's transaction: the number queued. */
int notify_queue(struct store_conn *c, const char *tenant_id, const char *incident_id,
		 int lo, int hi, int severity, const char *reason, int64_t now_us);

#endif
