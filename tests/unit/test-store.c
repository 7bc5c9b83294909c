/*
 * test-store.c - the storage interface (store.h) against a real database:
 * the same tests run on SQLite (a file in a temporary folder) and on
 * PostgreSQL (a throw-away server started by tests/pg-run, found through
 * OT_PG_CONNINFO), chosen by OT_STORE_BACKEND.
 *
 * They cover the schema migration run twice, tenants (names with SQL
 * metacharacters kept verbatim, duplicates refused), enrollment tokens
 * (single use, expiry, bound to their tenant), devices (lookup only within
 * their tenant, revocation), batches (idempotent by device and batch id,
 * also when two threads send the same batch at once), event counts per
 * tenant and the audit log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store-fixture.h"
#include "../../src/server/token.h"
#include "../../src/lib/log.h"

static struct store_fixture fx;

static struct store *open_store(void)
{
	struct store *s = store_open(&fx.params);
	assert_non_null(s);
	return s;
}

static int group_setup(void **state)
{
	ot_log_init("test-store");
	if (token_init() < 0)
		return -1;
	return store_fixture_setup(&fx, "test-store");
}

static int group_teardown(void **state)
{
	return store_fixture_teardown(&fx);
}

/* A new tenant with a unique name built from prefix. */
static void new_tenant(struct store *s, const char *prefix, struct store_tenant *t)
{
	memset(t, 0, sizeof(*t));
	token_uuid(t->id);
	snprintf(t->name, sizeof(t->name), "%s %.8s", prefix, t->id);
	t->created_us = 1700000000000000;
	assert_int_equal(store_tenant_add(s, t), STORE_OK);
}

/* A token for tenant valid until expires_us; its hash into hash. */
static void new_token(struct store *s, const char *tenant_id, int64_t expires_us,
		      char hash[TOKEN_HASH_LEN])
{
	struct store_token tk = { 0 };
	char text[TOKEN_MAX];
	assert_int_equal(token_new(tenant_id, text, sizeof(text), tk.hash), 0);
	strcpy(tk.tenant_id, tenant_id);
	tk.created_us = 1000;
	tk.expires_us = expires_us;
	assert_int_equal(store_token_add(s, &tk), STORE_OK);
	strcpy(hash, tk.hash);
}

static void new_device(struct store *s, const char *tenant_id, const char *name,
		       struct store_device *d)
{
	char hash[TOKEN_HASH_LEN];
	new_token(s, tenant_id, INT64_MAX, hash);
	memset(d, 0, sizeof(*d));
	strcpy(d->tenant_id, tenant_id);
	token_uuid(d->id);
	snprintf(d->name, sizeof(d->name), "%s", name);
	strcpy(d->kind, "sensor");
	strcpy(d->cert_serial, "0123456789abcdef0123456789abcdef");
	static int64_t order;
	d->enrolled_us = 2000 + order++;  /* device lists are in enrollment order */
	assert_int_equal(store_enroll(s, hash, 1500, d), STORE_OK);
}

static void test_migrate_twice(void **state)
{
	struct store_tenant t, got;
	struct store *s = open_store();
	new_tenant(s, "kept", &t);
	store_close(s);
	/* opening again applies no step twice and keeps the data */
	s = open_store();
	assert_int_equal(store_tenant_find(s, t.id, &got), STORE_OK);
	assert_string_equal(got.name, t.name);
	store_close(s);
}

static void test_tenants(void **state)
{
	struct store *s = open_store();
	struct store_tenant t = { 0 }, got;
	token_uuid(t.id);
	snprintf(t.name, sizeof(t.name), "O'Hara\"; DROP TABLE tenants;-- \\ %% _ %.8s", t.id);
	t.created_us = 42;
	assert_int_equal(store_tenant_add(s, &t), STORE_OK);

	assert_int_equal(store_tenant_find(s, t.id, &got), STORE_OK);
	assert_string_equal(got.name, t.name);
	assert_true(got.created_us == 42);
	assert_int_equal(store_tenant_find(s, t.name, &got), STORE_OK);
	assert_string_equal(got.id, t.id);
	/* LIKE wildcards in a name match nothing else */
	assert_int_equal(store_tenant_find(s, "%", &got), STORE_NOTFOUND);
	assert_int_equal(store_tenant_find(s, "no such tenant", &got), STORE_NOTFOUND);

	struct store_tenant dup = t;
	token_uuid(dup.id);
	assert_int_equal(store_tenant_add(s, &dup), STORE_EXISTS);
	store_close(s);
}

static void test_tokens(void **state)
{
	struct store *s = open_store();
	struct store_tenant a, b;
	struct store_device d = { 0 }, got;
	char hash[TOKEN_HASH_LEN], old[TOKEN_HASH_LEN];
	new_tenant(s, "tokens-a", &a);
	new_tenant(s, "tokens-b", &b);

	new_token(s, a.id, 10000, hash);
	strcpy(d.tenant_id, a.id);
	token_uuid(d.id);
	strcpy(d.name, "front desk");
	strcpy(d.kind, "agent");
	strcpy(d.cert_serial, "aa");
	d.enrolled_us = 5000;

	/* a token is bound to its tenant */
	struct store_device other = d;
	strcpy(other.tenant_id, b.id);
	assert_int_equal(store_enroll(s, hash, 5000, &other), STORE_NOTFOUND);
	assert_int_equal(store_device_get(s, b.id, d.id, &got), STORE_NOTFOUND);

	assert_int_equal(store_enroll(s, hash, 5000, &d), STORE_OK);
	assert_int_equal(store_device_get(s, a.id, d.id, &got), STORE_OK);
	assert_string_equal(got.name, "front desk");
	assert_string_equal(got.kind, "agent");
	assert_false(got.revoked);

	/* single use: a second device cannot use it */
	struct store_device again = d;
	token_uuid(again.id);
	assert_int_equal(store_enroll(s, hash, 5001, &again), STORE_TOKEN_USED);
	assert_int_equal(store_device_get(s, a.id, again.id, &got), STORE_NOTFOUND);

	/* expired: at or after its expiry time */
	new_token(s, a.id, 10000, old);
	assert_int_equal(store_enroll(s, old, 10000, &again), STORE_TOKEN_EXPIRED);
	assert_int_equal(store_device_get(s, a.id, again.id, &got), STORE_NOTFOUND);

	/* unknown */
	memset(old, 'f', 64);
	assert_int_equal(store_enroll(s, old, 1, &again), STORE_NOTFOUND);
	store_close(s);
}

struct list {
	int n;
	char names[8][STORE_NAME_MAX + 1];
};

static int collect(void *arg, const struct store_device *d)
{
	struct list *l = arg;
	if (l->n < 8)
		strcpy(l->names[l->n], d->name);
	l->n++;
	return 0;
}

static void test_devices(void **state)
{
	struct store *s = open_store();
	struct store_tenant a, b;
	struct store_device d1, d2, d3, got;
	struct list l = { 0 };
	new_tenant(s, "devices-a", &a);
	new_tenant(s, "devices-b", &b);
	new_device(s, a.id, "gw'); DELETE FROM devices;--", &d1);
	new_device(s, a.id, "pc \t2 \xe6\x97\xa5\xe6\x9c\xac", &d2);
	new_device(s, b.id, "other tenant's", &d3);

	assert_int_equal(store_device_list(s, a.id, collect, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.names[0], d1.name);
	assert_string_equal(l.names[1], d2.name);
	/* a device is found only within its tenant */
	assert_int_equal(store_device_get(s, a.id, d3.id, &got), STORE_NOTFOUND);

	assert_int_equal(store_device_revoke(s, NULL, d1.id, 7000, &got), STORE_OK);
	assert_true(got.revoked);
	assert_string_equal(got.id, d1.id);
	assert_string_equal(got.tenant_id, a.id);
	/* again: still revoked, no error */
	assert_int_equal(store_device_revoke(s, a.id, d1.id, 8000, &got), STORE_OK);
	assert_int_equal(store_device_get(s, a.id, d1.id, &got), STORE_OK);
	assert_true(got.revoked);
	assert_int_equal(store_device_get(s, a.id, d2.id, &got), STORE_OK);
	assert_false(got.revoked);
	assert_int_equal(store_device_revoke(s, NULL, "no-such-device", 1, &got), STORE_NOTFOUND);
	/* another tenant's device is not revoked through this tenant */
	assert_int_equal(store_device_revoke(s, a.id, d3.id, 1, &got), STORE_NOTFOUND);
	assert_int_equal(store_device_get(s, b.id, d3.id, &got), STORE_OK);
	assert_false(got.revoked);
	store_close(s);
}

/* n events whose JSON holds every character COPY and SQL treat specially */
static struct store_event *make_events(size_t n, char ***texts)
{
	struct store_event *ev = calloc(n, sizeof(*ev));
	*texts = calloc(n, sizeof(char *));
	assert_non_null(ev);
	for (size_t i = 0; i < n; i++) {
		assert_true(asprintf(&(*texts)[i], "{\"event_type\":\"dns\",\"n\":%zu,"
				     "\"q\":\"a\\\\b\\tc\\nd'e\\\"f;--\"}", i) > 0);
		ev[i].ts_us = 1700000000000000 + (int64_t)i;
		ev[i].event_type = i % 2 ? "dns" : "flow";
		ev[i].json = (*texts)[i];
		ev[i].json_len = strlen((*texts)[i]);
	}
	return ev;
}

static void free_events(struct store_event *ev, char **texts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(ev);
}

static void test_batches(void **state)
{
	struct store *s = open_store();
	struct store_tenant a, b;
	struct store_device d, e;
	char **texts;
	uint64_t count;
	new_tenant(s, "batches-a", &a);
	new_tenant(s, "batches-b", &b);
	new_device(s, a.id, "gw", &d);
	new_device(s, b.id, "gw", &e);

	struct store_event *ev = make_events(500, &texts);
	struct store_batch batch = {
		.tenant_id = a.id, .device_id = d.id,
		.batch_id = "0123456789abcdef0123456789abcdef",
		.received_us = 99, .accepted = 500, .rejected = 1,
		.rejected_json = "[{\"line\":501,\"error\":\"not JSON\"}]",
	};
	struct store_batch_seen seen = { 0 };
	bool dup = true;
	assert_int_equal(store_batch_ingest(s, &batch, ev, 500, &dup, &seen), STORE_OK);
	assert_false(dup);
	assert_int_equal(store_events_count(s, a.id, &count), STORE_OK);
	assert_true(count == 500);

	/* the same batch again: nothing stored, the first answer given back */
	assert_int_equal(store_batch_ingest(s, &batch, ev, 500, &dup, &seen), STORE_OK);
	assert_true(dup);
	assert_int_equal(seen.accepted, 500);
	assert_int_equal(seen.rejected, 1);
	assert_string_equal(seen.rejected_json, batch.rejected_json);
	free(seen.rejected_json);
	assert_int_equal(store_events_count(s, a.id, &count), STORE_OK);
	assert_true(count == 500);

	/* the same batch id from another device is another batch */
	struct store_batch other = batch;
	other.tenant_id = b.id;
	other.device_id = e.id;
	assert_int_equal(store_batch_ingest(s, &other, ev, 3, &dup, &seen), STORE_OK);
	assert_false(dup);
	assert_int_equal(store_events_count(s, b.id, &count), STORE_OK);
	assert_true(count == 3);
	assert_int_equal(store_events_count(s, a.id, &count), STORE_OK);
	assert_true(count == 500);

	/* a batch with no good event is still remembered */
	struct store_batch empty = batch;
	empty.batch_id = "ffffffffffffffffffffffffffffffff";
	empty.accepted = 0;
	assert_int_equal(store_batch_ingest(s, &empty, NULL, 0, &dup, &seen), STORE_OK);
	assert_false(dup);
	assert_int_equal(store_batch_ingest(s, &empty, NULL, 0, &dup, &seen), STORE_OK);
	assert_true(dup);
	free(seen.rejected_json);
	free_events(ev, texts, 500);
	store_close(s);
}

struct racer {
	struct store *s;
	const struct store_batch *b;
	const struct store_event *ev;
	size_t n;
	int rc;
	bool dup;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct store_batch_seen seen = { 0 };
	r->rc = store_batch_ingest(r->s, r->b, r->ev, r->n, &r->dup, &seen);
	free(seen.rejected_json);
	return NULL;
}

static void test_concurrent_batches(void **state)
{
	enum { THREADS = 8, N = 200 };
	struct store *s = open_store();
	struct store_tenant a;
	struct store_device d;
	char **texts, ids[THREADS][33];
	struct store_batch b[THREADS];
	struct racer r[THREADS];
	pthread_t th[THREADS];
	uint64_t count;
	new_tenant(s, "race", &a);
	new_device(s, a.id, "racer", &d);
	struct store_event *ev = make_events(N, &texts);

	/* threads 0-3 send one batch id at once, 4-7 each their own */
	for (int i = 0; i < THREADS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%032d", i < 4 ? 0 : i);
		b[i] = (struct store_batch){ a.id, d.id, ids[i], 1, N, 0, "[]" };
		r[i] = (struct racer){ s, &b[i], ev, N, 0, false };
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	int dups = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].rc, STORE_OK);
		dups += r[i].dup;
	}
	assert_int_equal(dups, 3);
	assert_int_equal(store_events_count(s, a.id, &count), STORE_OK);
	assert_true(count == 5 * N);
	free_events(ev, texts, N);
	store_close(s);
}

/* Store n events of tenant/device at times ts[0..n) (microseconds). */
static void put_events(struct store *s, const char *tenant, const char *device,
		       const int64_t *ts, size_t n, const char *batch_id)
{
	char **texts;
	struct store_event *ev = make_events(n, &texts);
	for (size_t i = 0; i < n; i++)
		ev[i].ts_us = ts[i];
	struct store_batch b = { .tenant_id = tenant, .device_id = device, .batch_id = batch_id,
				 .received_us = ts[0], .accepted = (uint32_t)n,
				 .rejected_json = "[]" };
	struct store_batch_seen seen = { 0 };
	bool dup;
	assert_int_equal(store_batch_ingest(s, &b, ev, n, &dup, &seen), STORE_OK);
	free_events(ev, texts, n);
}

static void test_retention(void **state)
{
	struct store *s = open_store();
	struct store_tenant a, b, got;
	struct store_device d, e;
	uint64_t count, deleted;
	/* "now" 200 days after the other tests' events: within the default */
	const int64_t day = 86400LL * 1000000, now = 1700000000000000 + 200 * day;
	/* 7 events 100 days old, 3 recent, in each tenant; the batches too */
	int64_t old[7], recent[3];
	for (int i = 0; i < 7; i++)
		old[i] = now - 100 * day + i;
	for (int i = 0; i < 3; i++)
		recent[i] = now - day + i;
	new_tenant(s, "retention-a", &a);
	new_tenant(s, "retention-b", &b);
	new_device(s, a.id, "gw", &d);
	new_device(s, b.id, "gw", &e);
	put_events(s, a.id, d.id, old, 7, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1");
	put_events(s, a.id, d.id, recent, 3, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2");
	put_events(s, b.id, e.id, old, 7, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1");
	put_events(s, b.id, e.id, recent, 3, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2");

	/* a keeps 30 days, b the default of 365 */
	assert_int_equal(store_tenant_set_retention(s, a.id, 30), STORE_OK);
	assert_int_equal(store_tenant_find(s, a.id, &got), STORE_OK);
	assert_int_equal(got.retention_days, 30);
	assert_int_equal(store_tenant_set_retention(s, "no-such-tenant", 30), STORE_NOTFOUND);
	/* chunks of 2 rows: the deletion goes round several times */
	assert_int_equal(store_retention_run(s, now, 365, 2, &deleted), STORE_OK);
	assert_true(deleted == 7);
	assert_int_equal(store_events_count(s, a.id, &count), STORE_OK);
	assert_true(count == 3);
	assert_int_equal(store_events_count(s, b.id, &count), STORE_OK);
	assert_true(count == 10);
	/* the old batch record of a is gone: sent again, it is stored again */
	put_events(s, a.id, d.id, old, 7, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1");
	assert_int_equal(store_events_count(s, a.id, &count), STORE_OK);
	assert_true(count == 10);
	/* the default shortened: b's old events go too (and the other tests'),
	 * the re-sent ones of a again */
	assert_int_equal(store_retention_run(s, now, 50, 1000, &deleted), STORE_OK);
	assert_true(deleted >= 14);
	assert_int_equal(store_events_count(s, a.id, &count), STORE_OK);
	assert_true(count == 3);
	assert_int_equal(store_events_count(s, b.id, &count), STORE_OK);
	assert_true(count == 3);
	store_close(s);
}

static int count_site(void *arg, const struct store_site *site)
{
	(*(int *)arg)++;
	return 0;
}

static void test_sites(void **state)
{
	struct store *s = open_store();
	struct store_tenant a, b;
	struct store_device d, got;
	struct store_site sa = { 0 }, sb = { 0 };
	int n = 0;
	new_tenant(s, "sites-a", &a);
	new_tenant(s, "sites-b", &b);
	new_device(s, a.id, "gw", &d);
	strcpy(sa.tenant_id, a.id);
	token_uuid(sa.id);
	strcpy(sa.name, "本店'; DROP TABLE sites;--");
	strcpy(sb.tenant_id, b.id);
	token_uuid(sb.id);
	strcpy(sb.name, sa.name);
	assert_int_equal(store_site_add(s, &sa), STORE_OK);
	/* the same name in another tenant is another site; in the same, refused */
	assert_int_equal(store_site_add(s, &sb), STORE_OK);
	token_uuid(sb.id);
	strcpy(sb.tenant_id, a.id);
	assert_int_equal(store_site_add(s, &sb), STORE_EXISTS);
	assert_int_equal(store_site_list(s, a.id, count_site, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_device_set_site(s, a.id, d.id, sa.id), STORE_OK);
	assert_int_equal(store_device_get(s, a.id, d.id, &got), STORE_OK);
	assert_string_equal(got.site_id, sa.id);
	/* another tenant's site, or another tenant's device: not found */
	assert_int_equal(store_device_set_site(s, a.id, d.id, "no-such-site"), STORE_NOTFOUND);
	assert_int_equal(store_device_set_site(s, b.id, d.id, NULL), STORE_NOTFOUND);
	/* removing the site takes the device off it */
	assert_int_equal(store_site_remove(s, b.id, sa.id), STORE_NOTFOUND);
	assert_int_equal(store_site_remove(s, a.id, sa.id), STORE_OK);
	assert_int_equal(store_device_get(s, a.id, d.id, &got), STORE_OK);
	assert_string_equal(got.site_id, "");
	store_close(s);
}

static void test_audit(void **state)
{
	struct store *s = open_store();
	struct store_audit a = { NULL, "otasukectl (root)", "tenant.add", "x", "it's \"quoted\"" };
	assert_int_equal(store_audit_add(s, 1, &a), STORE_OK);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_twice),
		cmocka_unit_test(test_tenants),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_concurrent_batches),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_sites),
		cmocka_unit_test(test_audit),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
