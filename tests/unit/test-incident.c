/*
 * test-incident.c - incidents, their timeline, contacts and the
 * notification queue (store-incident.h) against a real database: the same
 * tests on SQLite and on PostgreSQL (under tests/pg-run), chosen by
 * OT_STORE_BACKEND, as test-store.c.
 *
 * Alerts are stored as devices upload them (store_batch_ingest) and read
 * by the correlator's own parser with the ET Open classification.config
 * of the shared data.  Covered: grouping by tenant, device and signature
 * within the window, a closed incident never reopened, severity rising,
 * counting each alert once (a second pass, two correlators at once, and
 * on PostgreSQL ids that become visible out of order: holes), list
 * filters with SQL metacharacters and paging, status, assignee and notes
 * on the timeline, queueing by level and severity, escalation stopped by
 * acknowledging, claims that only one sender wins, retries with
 * Retry-After and backoff, giving up, and contacts removed meanwhile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/server/classmap.h"
#include "../../src/server/correlate.h"
#include "../../src/server/notifier.h"
#include "../../src/server/store-db.h"
#include "../../src/server/store-incident.h"
#include "../../src/server/token.h"
#include "../../src/lib/log.h"
#include "store-fixture.h"

#define HOUR 3600000000LL
#define T0 1700000000000000LL

static struct store_fixture fx;
static struct classmap *classes;

static int group_setup(void **state)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	char path[512];
	ot_log_init("test-incident");
	if (token_init() < 0 || !root)
		return -1;
	snprintf(path, sizeof(path), "%s/../shared/data/rules/et-open/classification.config",
		 root);
	if (!(classes = classmap_load(path)) || classmap_count(classes) < 30)
		return -1;
	return store_fixture_setup(&fx, "test-incident");
}

static int group_teardown(void **state)
{
	classmap_free(classes);
	return store_fixture_teardown(&fx);
}

static int read_int(void *arg, const struct store_row *r)
{
	*(int64_t *)arg = store_col_int(r, 0);
	return 0;
}

/* The number a query of one number answers (sql: a string constant). */
static int64_t count_q(struct store *s, struct store_q *q, const char *tenant)
{
	int64_t n = -1;
	struct store_arg a[] = { A_TEXT(tenant) };
	assert_int_equal(store_query(s, q, a, tenant ? 1 : 0, read_int, &n), 1);
	return n;
}
#define count(s, sql) ({ STORE_Q(q_, sql); count_q(s, &q_, NULL); })
#define count_t(s, sql, tenant) ({ STORE_Q(q_, sql); count_q(s, &q_, tenant); })

static bool is_pg(void)
{
	return !strcmp(fx.params.backend, "postgresql");
}

/* A tenant and a device of it, straight into the tables. */
struct place {
	char tenant[STORE_ID_LEN], device[STORE_ID_LEN];
};

static void new_place(struct store *s, struct place *p)
{
	STORE_Q(q_dev, "INSERT INTO devices (tenant_id, id, name, kind, cert_serial, enrolled_us) "
		       "VALUES (?1, ?2, 'gw', 'sensor', '00', 1)");
	struct store_tenant t = { .created_us = 1 };
	token_uuid(t.id);
	snprintf(t.name, sizeof(t.name), "incident test %s", t.id);
	assert_int_equal(store_tenant_add(s, &t), STORE_OK);
	strcpy(p->tenant, t.id);
	token_uuid(p->device);
	struct store_arg a[] = { A_TEXT(p->tenant), A_TEXT(p->device) };
	assert_int_equal(store_exec(s, &q_dev, a, 2), 1);
}

/* An alert of Suricata's EVE for sid at ts_us, or with sid 0 one that has
 * no signature_id. */
struct alert {
	int sid, severity;
	int64_t ts_us;
	const char *category;
};

static void upload(struct store *s, const struct place *p, const struct alert *al, size_t n,
		   bool with_dns)
{
	struct store_event ev[64];
	char *text[64];
	size_t k = 0;
	assert_true(n < 32);
	for (size_t i = 0; i < n; i++) {
		char sid[32] = "";
		if (al[i].sid)
			snprintf(sid, sizeof(sid), "\"signature_id\":%d,", al[i].sid);
		assert_true(asprintf(&text[k], "{\"event_type\":\"alert\",\"src_ip\":\"10.0.0.%zu\","
				     "\"dest_ip\":\"203.0.113.9\",\"alert\":{\"gid\":1,%s"
				     "\"signature\":\"ET TEST %d O'Hara %%_\",\"category\":\"%s\","
				     "\"severity\":%d}}", i, sid, al[i].sid, al[i].category,
				     al[i].severity) > 0);
		ev[k] = (struct store_event){ al[i].ts_us, "alert", text[k], strlen(text[k]) };
		k++;
		if (with_dns) {
			assert_true(asprintf(&text[k], "{\"event_type\":\"dns\"}") > 0);
			ev[k] = (struct store_event){ al[i].ts_us, "dns", text[k], strlen(text[k]) };
			k++;
		}
	}
	char bid[STORE_ID_LEN];
	token_uuid(bid);
	struct store_batch b = { .tenant_id = p->tenant, .device_id = p->device, .batch_id = bid,
				 .received_us = T0, .accepted = (uint32_t)k,
				 .rejected_json = "[]" };
	struct store_batch_seen seen = { 0 };
	bool dup;
	assert_int_equal(store_batch_ingest(s, &b, ev, k, &dup, &seen), STORE_OK);
	for (size_t i = 0; i < k; i++)
		free(text[i]);
}

static int parse(void *arg, const char *body, size_t len, struct incident_alert *out)
{
	return correlate_parse_alert(classes, body, len, out);
}

static struct correlate_params cparams(int64_t hole_wait_us)
{
	return (struct correlate_params){ .window_us = HOUR, .hole_wait_us = hole_wait_us,
					  .hole_keep_us = HOUR, .batch = 7, .max_alerts = 5,
					  .parse = parse };
}

/* Correlate until nothing is left; the totals. */
static struct correlate_result correlate_all(struct store *s, int64_t now)
{
	struct correlate_params p = cparams(0);
	struct correlate_result r, sum = { 0 };
	do {
		assert_int_equal(store_correlate(s, &p, now, &r), STORE_OK);
		sum.events += r.events;
		sum.alerts += r.alerts;
		sum.created += r.created;
		sum.skipped += r.skipped;
		sum.queued += r.queued;
	} while (r.more);
	return sum;
}

struct list {
	struct store_incident v[64];
	unsigned n;
};

static int collect(void *arg, const struct store_incident *i)
{
	struct list *l = arg;
	assert_true(l->n < 64);
	l->v[l->n++] = *i;
	return 0;
}

static unsigned list(struct store *s, const char *tenant, const struct store_incident_filter *f,
		     struct list *l)
{
	l->n = 0;
	int n = store_incident_list(s, tenant, f, collect, l);
	assert_true(n >= 0);
	assert_int_equal((unsigned)n, l->n);
	return l->n;
}

static const struct store_incident *by_key(const struct list *l, const char *key, int nth)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key) && nth-- == 0)
			return &l->v[i];
	return NULL;
}

static void test_correlate(void **state)
{
	struct store *s = store_open(&fx.params);
	struct place p, q;
	struct list l;
	assert_non_null(s);
	new_place(s, &p);
	new_place(s, &q);
	const char *trojan = "A Network Trojan was detected", *odd = "Not a classtype";
	struct alert a[] = {
		{ 1001, 3, T0, trojan },
		{ 1001, 2, T0 + HOUR / 2, trojan },        /* joins, more serious */
		{ 1001, 3, T0 + HOUR / 2 + HOUR - 1, trojan }, /* within the window of the last */
		{ 1002, 1, T0, odd },                      /* another signature */
		{ 1001, 3, T0 + 4 * HOUR, trojan },        /* after the window: a new one */
		{ 0, 1, T0, trojan },                      /* no signature_id: skipped */
	};
	upload(s, &p, a, 6, true);
	upload(s, &q, a, 1, false);                        /* another tenant's device */
	struct correlate_result r = correlate_all(s, T0);
	assert_true(r.alerts >= 6 && r.created >= 4 && r.skipped >= 1);

	assert_int_equal(list(s, p.tenant, NULL, &l), 3);
	const struct store_incident *i = by_key(&l, "1:1001", 1);
	assert_non_null(i);
	assert_true(i->event_count == 3);
	assert_int_equal(i->severity, 2);
	assert_true(i->first_us == T0 && i->last_us == T0 + HOUR / 2 + HOUR - 1);
	assert_string_equal(i->kind, "trojan-activity");
	assert_string_equal(i->status, "new");
	assert_string_equal(i->src_ip, "10.0.0.0");
	assert_string_equal(i->title, "ET TEST 1001 O'Hara %_");
	assert_string_equal(i->device_id, p.device);
	i = by_key(&l, "1:1002", 0);
	assert_true(i && i->event_count == 1 && i->severity == 1 && !i->kind[0]);
	i = by_key(&l, "1:1001", 0);
	assert_true(i && i->event_count == 1 && i->first_us == T0 + 4 * HOUR);
	assert_int_equal(list(s, q.tenant, NULL, &l), 1);

	/* a second pass finds nothing new: nothing counted twice */
	r = correlate_all(s, T0);
	assert_int_equal(r.alerts, 0);
	assert_int_equal(r.events, 0);

	/* a closed incident is not reopened */
	list(s, p.tenant, NULL, &l);
	char id[STORE_ID_LEN];
	strcpy(id, by_key(&l, "1:1001", 0)->id);
	assert_int_equal(store_incident_set_status(s, p.tenant, id, "resolved", "user x", T0),
			 STORE_OK);
	struct alert late = { 1001, 3, T0 + 4 * HOUR + 1, trojan };
	upload(s, &p, &late, 1, false);
	r = correlate_all(s, T0);
	assert_int_equal(r.created, 1);
	assert_int_equal(list(s, p.tenant, NULL, &l), 4);
	store_close(s);
}

/* Several correlators at once, while alerts keep coming. */
struct racer {
	struct store *s;
	volatile bool *stop;
	unsigned alerts;
};

static void *race(void *arg)
{
	struct racer *rc = arg;
	struct correlate_params p = cparams(0);
	struct correlate_result r;
	while (!*rc->stop) {
		if (store_correlate(rc->s, &p, T0, &r) == STORE_OK)
			rc->alerts += r.alerts;
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct store *s = store_open(&fx.params), *s2 = store_open(&fx.params);
	struct place p;
	struct list l;
	volatile bool stop = false;
	struct racer r1 = { .s = s, .stop = &stop }, r2 = { .s = s2, .stop = &stop };
	pthread_t t1, t2;
	assert_true(s && s2);
	new_place(s, &p);
	correlate_all(s, T0);
	assert_int_equal(pthread_create(&t1, NULL, race, &r1), 0);
	assert_int_equal(pthread_create(&t2, NULL, race, &r2), 0);
	for (int b = 0; b < 20; b++) {
		struct alert a[10];
		for (int i = 0; i < 10; i++)
			a[i] = (struct alert){ 2000 + i % 3, 3, T0 + b * 1000 + i,
					       "Potentially Bad Traffic" };
		upload(b % 2 ? s2 : s, &p, a, 10, b % 3 == 0);
	}
	stop = true;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	correlate_all(s, T0);
	assert_int_equal(list(s, p.tenant, NULL, &l), 3);
	uint64_t total = 0;
	for (unsigned i = 0; i < l.n; i++)
		total += l.v[i].event_count;
	assert_true(total == 200);
	assert_string_equal(l.v[0].kind, "bad-unknown");
	store_close(s2);
	store_close(s);
}

/* PostgreSQL: an event whose transaction commits after a newer one's. */
static void test_holes(void **state)
{
	if (!is_pg())
		skip();
	struct store *s = store_open(&fx.params);
	struct place p;
	struct list l;
	struct store_conn c;
	struct correlate_result r;
	assert_non_null(s);
	new_place(s, &p);
	correlate_all(s, T0);

	/* a transaction takes an id and stays open */
	const char *body = "{\"event_type\":\"alert\",\"alert\":{\"signature_id\":3001,"
			   "\"category\":\"Misc Attack\",\"severity\":2}}";
	struct store_event slow = { T0, "alert", body, strlen(body) };
	struct store_batch b = { .tenant_id = p.tenant, .device_id = p.device,
				 .batch_id = "slow", .rejected_json = "[]" };
	assert_int_equal(store_borrow(s, &c), 0);
	assert_int_equal(store_begin(&c, TX_WRITE), STORE_OK);
	assert_int_equal(c.be->events_insert(c.c, &b, &slow, 1), STORE_OK);
	struct alert fast = { 3002, 3, T0, "Misc Attack" };
	upload(s, &p, &fast, 1, false);

	/* the newer event waits for the hole below it ... */
	struct correlate_params wait = cparams(HOUR);
	assert_int_equal(store_correlate(s, &wait, T0, &r), STORE_OK);
	assert_int_equal(r.alerts, 0);
	assert_int_equal(list(s, p.tenant, NULL, &l), 0);
	/* ... until hole_wait passed: the hole is written down and stepped over */
	assert_int_equal(store_correlate(s, &wait, T0 + HOUR, &r), STORE_OK);
	assert_int_equal(r.alerts, 1);
	/* the slow transaction commits: its alert is found in the hole, once */
	assert_int_equal(store_end(&c, STORE_OK), STORE_OK);
	store_give(&c);
	r = correlate_all(s, T0 + HOUR);
	assert_int_equal(r.alerts, 1);
	assert_int_equal(list(s, p.tenant, NULL, &l), 2);
	assert_non_null(by_key(&l, "1:3001", 0));
	assert_string_equal(by_key(&l, "1:3001", 0)->kind, "misc-attack");
	r = correlate_all(s, T0 + HOUR);
	assert_int_equal(r.alerts, 0);

	/* a rolled back transaction's ids are dropped after hole_keep */
	assert_int_equal(store_borrow(s, &c), 0);
	assert_int_equal(store_begin(&c, TX_WRITE), STORE_OK);
	assert_int_equal(c.be->events_insert(c.c, &b, &slow, 1), STORE_OK);
	store_end(&c, STORE_ERR);
	store_give(&c);
	upload(s, &p, &fast, 1, false);
	correlate_all(s, T0 + HOUR);
	assert_int_equal(count(s, "SELECT count(*) FROM correlate_holes"), 1);
	struct correlate_params keep0 = cparams(0);
	keep0.hole_keep_us = 0;
	assert_int_equal(store_correlate(s, &keep0, T0 + 4 * HOUR, &r), STORE_OK);
	assert_int_equal(count(s, "SELECT count(*) FROM correlate_holes"), 0);
	store_close(s);
}

static void add_user(struct store *s, const char *tenant, char id[STORE_ID_LEN])
{
	STORE_Q(q, "INSERT INTO users (tenant_id, id, login, name, role, lang, pw_hash, "
		   "created_us) VALUES (?1, ?2, ?2, 'x', 'operator', 'ja', 'x', 1)");
	token_uuid(id);
	struct store_arg a[] = { A_TEXT(tenant), A_TEXT(id) };
	assert_int_equal(store_exec(s, &q, a, 2), 1);
}

struct timeline {
	char what[16][24], detail[16][128];
	unsigned n, alerts;
};

static int collect_timeline(void *arg, const struct store_timeline *t)
{
	struct timeline *tl = arg;
	if (!strcmp(t->what, "alert")) {
		assert_true(t->event_id > 0);
		tl->alerts++;
		return 0;
	}
	assert_true(tl->n < 16);
	snprintf(tl->what[tl->n], sizeof(tl->what[0]), "%s", t->what);
	snprintf(tl->detail[tl->n], sizeof(tl->detail[0]), "%s", t->detail ? t->detail : "");
	tl->n++;
	return 0;
}

static void test_operations(void **state)
{
	struct store *s = store_open(&fx.params);
	struct place p, other;
	struct list l;
	struct alert a[5];
	assert_non_null(s);
	new_place(s, &p);
	new_place(s, &other);
	for (int k = 0; k < 5; k++)
		a[k] = (struct alert){ 4001 + k, k < 4 ? k + 1 : 4, T0 + k * 2 * HOUR,
				       "Attempted Administrator Privilege Gain" };
	upload(s, &p, a, 5, false);
	upload(s, &other, a, 1, false);
	correlate_all(s, T0);
	assert_int_equal(list(s, p.tenant, NULL, &l), 5);
	assert_true(l.v[0].last_us > l.v[1].last_us); /* most recent first */
	assert_string_equal(l.v[0].kind, "attempted-admin");

	/* filters, each with SQL and LIKE metacharacters too */
	struct store_incident_filter f = { .text = "et test" };
	assert_int_equal(list(s, p.tenant, &f, &l), 5);
	f.text = "O'Hara %_";
	assert_int_equal(list(s, p.tenant, &f, &l), 5);
	f.text = "4_01";
	assert_int_equal(list(s, p.tenant, &f, &l), 0);
	f.text = "4001";
	assert_int_equal(list(s, p.tenant, &f, &l), 1);
	f.text = "%' OR 1=1; DROP TABLE incidents;--";
	assert_int_equal(list(s, p.tenant, &f, &l), 0);
	f = (struct store_incident_filter){ .severity_min = 1, .severity_max = 2 };
	assert_int_equal(list(s, p.tenant, &f, &l), 2);
	f = (struct store_incident_filter){ .severity_min = 4 };
	assert_int_equal(list(s, p.tenant, &f, &l), 2);
	f = (struct store_incident_filter){ .since_us = T0 + 4 * HOUR };
	assert_int_equal(list(s, p.tenant, &f, &l), 3);
	f = (struct store_incident_filter){ .until_us = T0 + 2 * HOUR };
	assert_int_equal(list(s, p.tenant, &f, &l), 1);
	f = (struct store_incident_filter){ .device_id = p.device };
	assert_int_equal(list(s, p.tenant, &f, &l), 5);
	f.device_id = "' OR ''='";
	assert_int_equal(list(s, p.tenant, &f, &l), 0);
	f = (struct store_incident_filter){ .status = "open" };
	assert_int_equal(list(s, p.tenant, &f, &l), 5);
	f.status = "new' OR status <> '";
	assert_int_equal(list(s, p.tenant, &f, &l), 0);

	/* paging: every incident once, in order */
	struct store_incident_cursor cur;
	char text[INCIDENT_CURSOR_MAX], seen[5][STORE_ID_LEN];
	unsigned total = 0;
	f = (struct store_incident_filter){ .limit = 2 };
	while (list(s, p.tenant, &f, &l)) {
		for (unsigned i = 0; i < l.n; i++) {
			for (unsigned j = 0; j < total; j++)
				assert_string_not_equal(seen[j], l.v[i].id);
			assert_true(total < 5);
			strcpy(seen[total++], l.v[i].id);
		}
		store_incident_cursor_of(&l.v[l.n - 1], &cur);
		store_incident_cursor_fmt(&cur, text, sizeof(text));
		assert_int_equal(store_incident_cursor_parse(text, &cur), 0);
		f.after = &cur;
	}
	assert_int_equal(total, 5);
	static const char *const bad[] = { "", "12", ".", "x.12", "-1.", "1.not-a-uuid",
		"99999999999999999999.00000000-0000-4000-8000-000000000000",
		"1 .00000000-0000-4000-8000-000000000000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(store_incident_cursor_parse(bad[i], &cur), -1);

	/* one incident: only within its tenant */
	struct store_incident got;
	const char *id = seen[0];
	assert_int_equal(store_incident_get(s, p.tenant, id, &got), STORE_OK);
	assert_int_equal(store_incident_get(s, other.tenant, id, &got), STORE_NOTFOUND);
	assert_int_equal(store_incident_set_status(s, other.tenant, id, "resolved", "x", T0),
			 STORE_NOTFOUND);
	assert_int_equal(store_incident_note(s, other.tenant, id, "x", "no", T0), STORE_NOTFOUND);

	/* status, assignee, notes: on the timeline with who did it */
	char u1[STORE_ID_LEN], u2[STORE_ID_LEN], staff[STORE_ID_LEN];
	add_user(s, p.tenant, u1);
	add_user(s, other.tenant, u2);
	add_user(s, "", staff);
	assert_int_equal(store_incident_set_status(s, p.tenant, id, "closed", "x", T0),
			 STORE_INVALID);
	assert_int_equal(store_incident_set_status(s, p.tenant, id, "acknowledged", "user a", T0),
			 STORE_OK);
	assert_int_equal(store_incident_set_status(s, p.tenant, id, "acknowledged", "user a", T0),
			 STORE_OK);
	assert_int_equal(store_incident_assign(s, p.tenant, id, u2, "user a", T0), STORE_INVALID);
	assert_int_equal(store_incident_assign(s, p.tenant, id, u1, "user a", T0), STORE_OK);
	assert_int_equal(store_incident_assign(s, p.tenant, id, staff, "user b", T0), STORE_OK);
	assert_int_equal(store_incident_assign(s, p.tenant, id, NULL, "user b", T0), STORE_OK);
	const char *note = "called the owner; 'PC-3' unplugged\\ %_ \"ok\";--";
	assert_int_equal(store_incident_note(s, p.tenant, id, "user b", note, T0), STORE_OK);
	assert_int_equal(store_incident_set_status(s, p.tenant, id, "in_progress", "user b", T0),
			 STORE_OK);
	struct timeline tl = { .n = 0 };
	assert_int_equal(store_incident_timeline(s, p.tenant, id, collect_timeline, &tl),
			 STORE_OK);
	assert_int_equal(tl.alerts, 1);
	assert_int_equal(tl.n, 6);
	assert_string_equal(tl.what[0], "status");
	assert_string_equal(tl.detail[0], "new -> acknowledged");
	assert_string_equal(tl.what[1], "assignee");
	assert_true(!strncmp(tl.detail[1], "none -> ", 8) && strstr(tl.detail[1], u1));
	assert_true(strstr(tl.detail[3], " -> none") != NULL);
	assert_string_equal(tl.what[4], "note");
	assert_string_equal(tl.detail[4], note);
	assert_string_equal(tl.detail[5], "acknowledged -> in_progress");
	assert_int_equal(store_incident_timeline(s, other.tenant, id, collect_timeline, &tl),
			 STORE_NOTFOUND);
	f = (struct store_incident_filter){ .status = "in_progress" };
	assert_int_equal(list(s, p.tenant, &f, &l), 1);
	assert_string_equal(l.v[0].id, id);
	char where[STORE_ID_LEN];
	assert_int_equal(store_incident_locate(s, id, where), STORE_OK);
	assert_string_equal(where, p.tenant);
	store_close(s);
}

/* ---- notifications ---- */

static void add_contact(struct store *s, const char *tenant, const char *address, int min_sev,
			int level, char id[STORE_ID_LEN])
{
	struct store_contact c = { .min_severity = min_sev, .level = level, .created_us = 1 };
	strcpy(c.tenant_id, tenant);
	token_uuid(c.id);
	snprintf(c.name, sizeof(c.name), "contact %s", address);
	strcpy(c.channel, "mail");
	snprintf(c.address, sizeof(c.address), "%s", address);
	strcpy(c.lang, "ja");
	assert_int_equal(store_contact_add(s, &c), STORE_OK);
	if (id)
		strcpy(id, c.id);
}

/* A delivery that answers by address, and counts what it was given. */
struct deliveries {
	pthread_mutex_t lock;
	int64_t ids[256];
	unsigned n;
};

static int deliver(void *ctx, const struct store_notice *n, char *why, size_t whylen,
		   long *retry_after)
{
	struct deliveries *d = ctx;
	pthread_mutex_lock(&d->lock);
	assert_true(d->n < 256);
	d->ids[d->n++] = n->id;
	pthread_mutex_unlock(&d->lock);
	assert_true(n->inc.severity >= 1 && n->inc.event_count >= 1);
	assert_true(n->tenant_name[0] && !strcmp(n->device_name, "gw"));
	if (!strcmp(n->address, "retry@x")) {
		*retry_after = 7;
		snprintf(why, whylen, "HTTP 429");
		return NOTIFIER_RETRY;
	}
	if (!strcmp(n->address, "slow@x")) {
		snprintf(why, whylen, "no connection");
		return NOTIFIER_RETRY;
	}
	if (!strcmp(n->address, "fail@x")) {
		snprintf(why, whylen, "SMTP 550");
		return NOTIFIER_FAILED;
	}
	return NOTIFIER_SENT;
}

static struct deliveries deliveries = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct notifier_cfg ncfg = {
	.deliver = deliver, .deliver_ctx = &deliveries, .escalate_after_us = HOUR / 4,
	.retry_attempts = 3, .retry_initial_us = 20000000, .retry_max_delay_us = 100000000,
};

struct send_at {
	int64_t now;
	bool record;               /* false: "die" before recording the outcome */
};

static int send_cb(void *arg, const struct store_notice *n)
{
	struct send_at *at = arg;
	return at->record ? notifier_send(&ncfg, n, at->now) : 0;
}

static int claim(struct store *s, int64_t now)
{
	struct send_at at = { now, true };
	ncfg.store = s;
	return store_notify_claim_due(s, now, 100, HOUR, send_cb, &at);
}

static int states(struct store *s, const char *tenant, const char *state)
{
	STORE_Q(q, "SELECT count(*) FROM notifications WHERE tenant_id = ?1 AND state = ?2");
	int64_t n = -1;
	struct store_arg a[] = { A_TEXT(tenant), A_TEXT(state) };
	assert_int_equal(store_query(s, &q, a, 2, read_int, &n), 1);
	return (int)n;
}

static void test_notify(void **state)
{
	struct store *s = store_open(&fx.params);
	struct place p, q;
	struct list l;
	unsigned queued;
	assert_non_null(s);
	new_place(s, &p);
	new_place(s, &q);
	struct store_contact bad = { .min_severity = 5, .lang = "ja", .channel = "mail",
				     .address = "x" };
	assert_int_equal(store_contact_add(s, &bad), STORE_INVALID);
	add_contact(s, p.tenant, "ok@x", 2, 0, NULL);
	add_contact(s, p.tenant, "retry@x", 4, 0, NULL);
	add_contact(s, p.tenant, "fail@x", 1, 0, NULL);
	add_contact(s, p.tenant, "slow@x", 4, 1, NULL);
	add_contact(s, p.tenant, "ok3@x", 4, 3, NULL);
	add_contact(s, q.tenant, "other@x", 4, 0, NULL);

	/* a new incident of severity 2: the level-0 contacts it concerns */
	struct alert a = { 5001, 2, T0, "Attempted Information Leak" };
	upload(s, &p, &a, 1, false);
	struct correlate_result r = correlate_all(s, T0);
	assert_int_equal(r.queued, 2);
	/* more serious now: told again, fail@x (min 1) too */
	a.severity = 1;
	upload(s, &p, &a, 1, false);
	r = correlate_all(s, T0);
	assert_int_equal(r.queued, 3);
	/* a second incident, of severity 3, acknowledged at once */
	struct alert b = { 5002, 3, T0, "Attempted Information Leak" };
	upload(s, &p, &b, 1, false);
	r = correlate_all(s, T0);
	assert_int_equal(r.queued, 1);
	list(s, p.tenant, NULL, &l);
	const char *second = by_key(&l, "1:5002", 0)->id;
	char first[STORE_ID_LEN];
	strcpy(first, by_key(&l, "1:5001", 0)->id);
	assert_int_equal(store_incident_set_status(s, p.tenant, second, "acknowledged", "u", T0),
			 STORE_OK);
	assert_int_equal(states(s, p.tenant, "queued"), 6);
	assert_int_equal(states(s, q.tenant, "queued"), 0);

	/* escalation: only the unacknowledged one, level by level */
	assert_int_equal(store_notify_escalate(s, T0 + HOUR / 4 - 1, HOUR / 4, &queued), STORE_OK);
	assert_int_equal(queued, 0);
	assert_int_equal(store_notify_escalate(s, T0 + HOUR / 4, HOUR / 4, &queued), STORE_OK);
	assert_int_equal(queued, 1);
	assert_int_equal(store_notify_escalate(s, T0 + HOUR / 4, HOUR / 4, &queued), STORE_OK);
	assert_int_equal(queued, 0);
	assert_int_equal(store_notify_escalate(s, T0 + HOUR / 2, HOUR / 4, &queued), STORE_OK);
	assert_int_equal(queued, 1);  /* level 3: no contact at level 2 */
	assert_int_equal(store_notify_escalate(s, T0 + HOUR, HOUR / 4, &queued), STORE_OK);
	assert_int_equal(queued, 0);  /* no level after 3 */
	struct store_incident inc;
	assert_int_equal(store_incident_get(s, p.tenant, first, &inc), STORE_OK);
	assert_int_equal(inc.notify_level, 3);
	assert_int_equal(store_incident_get(s, p.tenant, second, &inc), STORE_OK);
	assert_int_equal(inc.notify_level, 0);

	/* delivery: sent, retried after Retry-After, failed */
	int64_t now = T0 + 2 * HOUR;
	assert_int_equal(claim(s, now), 8);
	assert_int_equal(states(s, p.tenant, "sent"), 3);     /* ok@x twice, ok3@x */
	assert_int_equal(states(s, p.tenant, "failed"), 1);   /* fail@x */
	assert_int_equal(states(s, p.tenant, "queued"), 4);   /* retry@x three times, slow@x */
	assert_int_equal(count_t(s, "SELECT count(*) FROM notifications WHERE tenant_id = ?1 "
				 "AND state = 'queued' AND next_us = " "1700007207000000", p.tenant), 3);
	assert_int_equal(claim(s, now + 6000000), 0);         /* nothing due yet */
	assert_int_equal(claim(s, now + 7000000), 3);         /* Retry-After: 7 */
	for (int k = 1; claim(s, now + k * 200000000LL) > 0; k++)
		assert_true(k < 10);
	assert_int_equal(states(s, p.tenant, "sent"), 3);
	assert_int_equal(states(s, p.tenant, "failed"), 5);   /* the retries gave up */
	assert_int_equal(count_t(s, "SELECT count(*) FROM notify_log WHERE tenant_id = ?1",
				 p.tenant), 2 + 1 + 1 + 3 * 3 + 3);
	assert_int_equal(count_t(s, "SELECT count(*) FROM notifications WHERE tenant_id = ?1 "
				 "AND last_error LIKE 'HTTP 429 (gave up after 3 attempts)'",
				 p.tenant), 3);
	struct timeline tl = { .n = 0 };
	assert_int_equal(store_incident_timeline(s, p.tenant, first, collect_timeline, &tl),
			 STORE_OK);
	unsigned sent = 0, failed = 0, escalated = 0;
	for (unsigned i = 0; i < tl.n; i++) {
		sent += !strcmp(tl.what[i], "notify.sent");
		failed += !strcmp(tl.what[i], "notify.failed");
		escalated += !strcmp(tl.what[i], "escalated");
	}
	assert_true(sent == 3 && failed == 4 && escalated == 2);
	store_close(s);
}

/* Two servers sending at once: each notification delivered once. */
static void *claimer(void *arg)
{
	struct store *s = arg;
	struct send_at at = { T0 + 3 * HOUR, true };
	int n;
	while ((n = store_notify_claim_due(s, at.now, 3, HOUR, send_cb, &at)) > 0)
		;
	assert_true(n >= 0);
	return NULL;
}

static void test_claims(void **state)
{
	struct store *s = store_open(&fx.params), *s2 = store_open(&fx.params);
	struct place p;
	pthread_t t1, t2;
	char cid[STORE_ID_LEN];
	assert_true(s && s2);
	new_place(s, &p);
	add_contact(s, p.tenant, "ok@x", 4, 0, NULL);
	add_contact(s, p.tenant, "gone@x", 4, 0, cid);
	struct alert a[20];
	for (int i = 0; i < 20; i++)
		a[i] = (struct alert){ 6000 + i, 3, T0, "Misc activity" };
	upload(s, &p, a, 20, false);
	correlate_all(s, T0);
	assert_int_equal(store_contact_remove(s, p.tenant, cid), STORE_OK);
	assert_int_equal(store_contact_remove(s, p.tenant, cid), STORE_NOTFOUND);
	deliveries.n = 0;
	ncfg.store = s;
	assert_int_equal(pthread_create(&t1, NULL, claimer, s), 0);
	assert_int_equal(pthread_create(&t2, NULL, claimer, s2), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	/* the removed contact's are failed without a delivery */
	assert_int_equal(deliveries.n, 20);
	for (unsigned i = 0; i < deliveries.n; i++)
		for (unsigned j = 0; j < i; j++)
			assert_true(deliveries.ids[i] != deliveries.ids[j]);
	assert_int_equal(states(s, p.tenant, "sent"), 20);
	assert_int_equal(states(s, p.tenant, "failed"), 20);
	assert_int_equal(count_t(s, "SELECT count(*) FROM notifications WHERE tenant_id = ?1 "
				 "AND last_error = 'the contact was removed'", p.tenant), 20);

	/* a server that dies while sending: queued again once stale */
	struct alert b = { 6100, 3, T0, "Misc activity" };
	upload(s, &p, &b, 1, false);
	correlate_all(s, T0);
	struct send_at die = { T0 + 3 * HOUR, false };
	assert_int_equal(store_notify_claim_due(s, die.now, 10, HOUR, send_cb, &die), 1);
	assert_int_equal(states(s, p.tenant, "sending"), 1);
	assert_int_equal(claim(s, die.now + HOUR - 1), 0);
	assert_int_equal(claim(s, die.now + HOUR + 1), 1);
	assert_int_equal(states(s, p.tenant, "sent"), 21);
	store_close(s2);
	store_close(s);
}

static void test_backoff(void **state)
{
	assert_true(notifier_retry_delay(&ncfg, 1, 7) == 7000000);
	assert_true(notifier_retry_delay(&ncfg, 1, 0) == 0);
	for (int k = 1; k <= 12; k++) {
		int64_t d = ncfg.retry_initial_us << (k - 1 < 10 ? k - 1 : 10);
		if (d > ncfg.retry_max_delay_us)
			d = ncfg.retry_max_delay_us;
		for (int i = 0; i < 50; i++) {
			int64_t w = notifier_retry_delay(&ncfg, k, -1);
			assert_true(w >= d / 2 && w <= d);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_correlate),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_operations),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
