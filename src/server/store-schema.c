/*
 * store-schema.c - the store's schema, as versioned steps shared by both
 * backends, and the migration that brings a database up to the newest.
 *
 * Each step runs once, in the transaction that records it in
 * schema_migrations, so a server that stops half way leaves the database
 * at the step before.  Servers starting together on one PostgreSQL take
 * turns (TX_SCHEMA holds an advisory lock there).  A database newer than
 * this program is refused rather than used.
 *
 * The steps are one text for both databases; the only words that differ
 * are written {serial} (an auto-numbered 64-bit primary key) and {blob},
 * replaced by the backend's own.  Every table of customer data carries
 * tenant_id, and its keys and indexes start with it, so that one
 * PostgreSQL can later be split by tenant.  Booleans are 0/1 integers and
 * times microseconds since the epoch (UTC), in both.
 */
#include "store-db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/log.h"
#include "../lib/util.h"

static const char *const steps[] = {
	/* 1: tenants, devices, enrollment, ingest, audit */
	"CREATE TABLE tenants ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_us BIGINT NOT NULL);"
	"CREATE TABLE sites ("
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
	"  name TEXT NOT NULL, created_us BIGINT NOT NULL, PRIMARY KEY (tenant_id, id));"
	"CREATE TABLE devices ("
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL, site_id TEXT,"
	"  name TEXT NOT NULL, kind TEXT NOT NULL, cert_serial TEXT NOT NULL,"
	"  enrolled_us BIGINT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, revoked_us BIGINT,"
	"  PRIMARY KEY (tenant_id, id));"
	"CREATE TABLE enroll_tokens ("
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id), hash TEXT NOT NULL,"
	"  created_us BIGINT NOT NULL, expires_us BIGINT NOT NULL,"
	"  used_us BIGINT, device_id TEXT, PRIMARY KEY (tenant_id, hash));"
	"CREATE TABLE batches ("
	"  tenant_id TEXT NOT NULL, device_id TEXT NOT NULL, batch_id TEXT NOT NULL,"
	"  received_us BIGINT NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,"
	"  rejected_json TEXT, PRIMARY KEY (tenant_id, device_id, batch_id));"
	"CREATE TABLE events ("
	"  id {serial}, tenant_id TEXT NOT NULL, device_id TEXT NOT NULL,"
	"  ts_us BIGINT NOT NULL, event_type TEXT NOT NULL, received_us BIGINT NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX events_tenant_ts ON events (tenant_id, ts_us);"
	"CREATE INDEX events_tenant_id ON events (tenant_id, id);"
	"CREATE TABLE audit ("
	"  id {serial}, tenant_id TEXT, ts_us BIGINT NOT NULL, actor TEXT NOT NULL,"
	"  action TEXT NOT NULL, object TEXT, detail TEXT);"
	"CREATE INDEX audit_tenant_ts ON audit (tenant_id, ts_us);",
	/* 2: people: users (tenant_id empty for the provider's staff), their
	 * sessions in the console and their API tokens (only hashes kept) */
	"CREATE TABLE users ("
	"  tenant_id TEXT NOT NULL, id TEXT NOT NULL, login TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL, role TEXT NOT NULL, lang TEXT NOT NULL, pw_hash TEXT NOT NULL,"
	"  created_us BIGINT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (tenant_id, id));"
	"CREATE UNIQUE INDEX users_id ON users (id);"
	"CREATE TABLE sessions ("
	"  hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,"
	"  csrf TEXT NOT NULL, created_us BIGINT NOT NULL, expires_us BIGINT NOT NULL,"
	"  seen_us BIGINT NOT NULL);"
	"CREATE INDEX sessions_user ON sessions (tenant_id, user_id);"
	"CREATE TABLE api_tokens ("
	"  hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, id TEXT NOT NULL, user_id TEXT NOT NULL,"
	"  name TEXT NOT NULL, created_us BIGINT NOT NULL, expires_us BIGINT NOT NULL,"
	"  used_us BIGINT, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX api_tokens_id ON api_tokens (tenant_id, id);",
	/* 3: how long each tenant's events are kept (0: the server's default) */
	"ALTER TABLE tenants ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX batches_received ON batches (tenant_id, received_us);",
	/* 4: incidents made of alerts (store-incident.c), their timeline, the
	 * correlator's cursor over events and the holes it stepped over; the
	 * contacts of a tenant, the notification queue and its log
	 * (store-notify.c).  The queue's due index and the escalation index
	 * are the server's work lists across tenants, so they start with the
	 * state instead. */
	"CREATE TABLE incidents ("
	"  tenant_id TEXT NOT NULL, id TEXT NOT NULL, device_id TEXT NOT NULL,"
	"  group_key TEXT NOT NULL, title TEXT NOT NULL, kind TEXT NOT NULL,"
	"  severity INTEGER NOT NULL, status TEXT NOT NULL, assignee TEXT,"
	"  first_us BIGINT NOT NULL, last_us BIGINT NOT NULL, event_count BIGINT NOT NULL,"
	"  src_ip TEXT, dest_ip TEXT, created_us BIGINT NOT NULL, updated_us BIGINT NOT NULL,"
	"  notify_level INTEGER NOT NULL DEFAULT 0, notify_level_us BIGINT NOT NULL,"
	"  PRIMARY KEY (tenant_id, id));"
	"CREATE UNIQUE INDEX incidents_id ON incidents (id);"
	"CREATE INDEX incidents_group ON incidents (tenant_id, device_id, group_key, last_us);"
	"CREATE INDEX incidents_last ON incidents (tenant_id, last_us, id);"
	"CREATE INDEX incidents_escalate ON incidents (status, notify_level_us);"
	"CREATE TABLE incident_timeline ("
	"  id {serial}, tenant_id TEXT NOT NULL, incident_id TEXT NOT NULL,"
	"  ts_us BIGINT NOT NULL, actor TEXT NOT NULL, what TEXT NOT NULL,"
	"  event_id BIGINT, detail TEXT);"
	"CREATE INDEX incident_timeline_incident ON incident_timeline (tenant_id, incident_id, id);"
	"CREATE UNIQUE INDEX incident_timeline_event ON incident_timeline (tenant_id, event_id)"
	"  WHERE event_id IS NOT NULL;"
	"CREATE TABLE correlate_cursor ("
	"  name TEXT PRIMARY KEY, next_id BIGINT NOT NULL, hole_id BIGINT NOT NULL,"
	"  hole_us BIGINT NOT NULL, updated_us BIGINT NOT NULL);"
	"INSERT INTO correlate_cursor (name, next_id, hole_id, hole_us, updated_us)"
	"  VALUES ('alerts', 1, 0, 0, 0);"
	"CREATE TABLE correlate_holes ("
	"  lo BIGINT NOT NULL, hi BIGINT NOT NULL, seen_us BIGINT NOT NULL, PRIMARY KEY (lo));"
	"CREATE TABLE contacts ("
	"  tenant_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, channel TEXT NOT NULL,"
	"  address TEXT NOT NULL, secret TEXT, lang TEXT NOT NULL,"
	"  min_severity INTEGER NOT NULL, level INTEGER NOT NULL, created_us BIGINT NOT NULL,"
	"  PRIMARY KEY (tenant_id, id));"
	"CREATE TABLE notifications ("
	"  id {serial}, tenant_id TEXT NOT NULL, incident_id TEXT NOT NULL,"
	"  contact_id TEXT NOT NULL, level INTEGER NOT NULL, reason TEXT NOT NULL,"
	"  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_us BIGINT NOT NULL,"
	"  created_us BIGINT NOT NULL, updated_us BIGINT NOT NULL, last_error TEXT);"
	"CREATE INDEX notifications_due ON notifications (state, next_us);"
	"CREATE INDEX notifications_incident ON notifications (tenant_id, incident_id);"
	"CREATE TABLE notify_log ("
	"  id {serial}, tenant_id TEXT NOT NULL, notification_id BIGINT NOT NULL,"
	"  ts_us BIGINT NOT NULL, attempt INTEGER NOT NULL, outcome TEXT NOT NULL,"
	"  next_us BIGINT, detail TEXT);"
	"CREATE INDEX notify_log_notification ON notify_log (tenant_id, notification_id, id);",
	/* 5: a site's name is unique within its tenant */
	"CREATE UNIQUE INDEX sites_name ON sites (tenant_id, name);",
};

/* The step with the backend's words in place of {serial} and {blob}. */
static char *dialect(const struct store_backend *be, const char *step)
{
	size_t cap = strlen(step) * 2 + 256, o = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (const char *p = step; *p;) {
		const char *word = NULL;
		size_t skip = 0;
		if (!strncmp(p, "{serial}", 8)) {
			word = be->serial_pk;
			skip = 8;
		} else if (!strncmp(p, "{blob}", 6)) {
			word = be->blob;
			skip = 6;
		}
		size_t wl = word ? strlen(word) : 1;
		if (o + wl + 1 > cap) {
			cap = 2 * (o + wl + 1);
			char *t = realloc(out, cap);
			if (!t) {
				free(out);
				return NULL;
			}
			out = t;
		}
		if (word) {
			memcpy(out + o, word, wl);
			o += wl;
			p += skip;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	return out;
}

static int read_version(void *arg, const struct store_row *r)
{
	*(int64_t *)arg = store_col_int(r, 0);
	return 0;
}

int store_schema_migrate(struct store_conn *c)
{
	STORE_Q(q_create, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			  "version INTEGER PRIMARY KEY, applied_us BIGINT NOT NULL)");
	STORE_Q(q_version, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	STORE_Q(q_record, "INSERT INTO schema_migrations (version, applied_us) VALUES (?1, ?2)");
	const int64_t newest = (int64_t)OT_ARRAY_LEN(steps);
	int64_t have = 0;
	int rc;

	if ((rc = store_begin(c, TX_SCHEMA)) < 0)
		return rc;
	if ((rc = store_run(c, &q_create, NULL, 0, NULL, NULL)) < 0 ||
	    (rc = store_run(c, &q_version, NULL, 0, read_version, &have)) < 0)
		goto out;
	rc = STORE_OK;
	if (have > newest) {
		ot_err("store: the schema is at version %lld, newer than this otasuked knows (%lld)",
		       (long long)have, (long long)newest);
		rc = STORE_ERR;
		goto out;
	}
	for (int64_t v = have + 1; v <= newest && rc == STORE_OK; v++) {
		struct timespec ts;
		char *sql = dialect(c->be, steps[v - 1]);
		if (!sql) {
			rc = STORE_ERR;
			break;
		}
		rc = c->be->script(c->c, sql);
		free(sql);
		clock_gettime(CLOCK_REALTIME, &ts);
		struct store_arg a[] = {
			A_INT(v), A_INT((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000),
		};
		if (rc == STORE_OK && (rc = store_run(c, &q_record, a, 2, NULL, NULL)) > 0)
			rc = STORE_OK;
		if (rc == STORE_OK)
			ot_info("store (%s): schema migrated to version %lld", c->be->name,
				(long long)v);
	}
out:
	return store_end(c, rc < 0 ? rc : STORE_OK);
}
