/*
 * store-pg.c - the PostgreSQL backend of store.h (libpq), for a provider
 * that outgrows one machine: several otasuked share one database.
 *
 * Durability: a batch is answered 200 after COMMIT returns, which with
 * PostgreSQL's default synchronous_commit means the WAL is on disk.
 * Concurrency: each pooled connection is its own session; a duplicate
 * batch sent to two servers at once is settled by the primary key of
 * batches (the second INSERT ... ON CONFLICT DO NOTHING waits for the
 * first transaction and then inserts nothing).
 *
 * Schema: versioned steps (migrations[]), applied at start in one
 * transaction each under an advisory lock, so that servers starting
 * together do not apply a step twice.  Every table of customer data has the
 * tenant id first in its primary key and its indexes, so that it can be
 * partitioned or sharded by tenant.  Events are written with COPY, the
 * fastest way into PostgreSQL.  Retention per tenant is still to come.
 *
 * A connection that broke (the server restarted) is reset before its next
 * use (pg_conn_check); the call in progress when it broke fails with
 * STORE_ERR, which the HTTP side answers with 503 so the device retries.
 */
#include "store.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE tenants ("
	"  id text PRIMARY KEY, name text NOT NULL UNIQUE, created_us bigint NOT NULL);"
	"CREATE TABLE sites ("
	"  tenant_id text NOT NULL REFERENCES tenants(id), id text NOT NULL,"
	"  name text NOT NULL, created_us bigint NOT NULL, PRIMARY KEY (tenant_id, id));"
	"CREATE TABLE devices ("
	"  tenant_id text NOT NULL REFERENCES tenants(id), id text NOT NULL, site_id text,"
	"  name text NOT NULL, kind text NOT NULL, cert_serial text NOT NULL,"
	"  enrolled_us bigint NOT NULL, revoked boolean NOT NULL DEFAULT false, revoked_us bigint,"
	"  PRIMARY KEY (tenant_id, id));"
	"CREATE TABLE enroll_tokens ("
	"  tenant_id text NOT NULL REFERENCES tenants(id), hash text NOT NULL,"
	"  created_us bigint NOT NULL, expires_us bigint NOT NULL,"
	"  used_us bigint, device_id text, PRIMARY KEY (tenant_id, hash));"
	"CREATE TABLE batches ("
	"  tenant_id text NOT NULL, device_id text NOT NULL, batch_id text NOT NULL,"
	"  received_us bigint NOT NULL, accepted integer NOT NULL, rejected integer NOT NULL,"
	"  rejected_json text, PRIMARY KEY (tenant_id, device_id, batch_id));"
	"CREATE TABLE events ("
	"  tenant_id text NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, device_id text NOT NULL,"
	"  ts_us bigint NOT NULL, event_type text NOT NULL, received_us bigint NOT NULL,"
	"  body text NOT NULL, PRIMARY KEY (tenant_id, id));"
	"CREATE INDEX events_tenant_ts ON events (tenant_id, ts_us);"
	"CREATE TABLE audit ("
	"  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id text, ts_us bigint NOT NULL,"
	"  actor text NOT NULL, action text NOT NULL, object text, detail text);"
	"CREATE INDEX audit_tenant_ts ON audit (tenant_id, ts_us);",
};

/* Any number: the key of the advisory lock taken while migrating. */
#define MIGRATE_LOCK 0x6f7461737562LL

enum stmt {
	S_TENANT_ADD,
	S_TENANT_FIND,
	S_TOKEN_ADD,
	S_TOKEN_CLAIM,
	S_TOKEN_STATE,
	S_DEVICE_ADD,
	S_DEVICE_GET,
	S_DEVICE_LIST,
	S_DEVICE_REVOKE,
	S_BATCH_ADD,
	S_BATCH_GET,
	S_EVENTS_COUNT,
	S_AUDIT_ADD,
	S_COUNT
};

#define DEVICE_COLS "tenant_id, id, name, kind, cert_serial, enrolled_us, revoked"

static const char *const stmt_sql[S_COUNT] = {
	[S_TENANT_ADD] = "INSERT INTO tenants (id, name, created_us) VALUES ($1, $2, $3)",
	[S_TENANT_FIND] = "SELECT id, name, created_us FROM tenants WHERE id = $1 OR name = $1 "
			  "ORDER BY id = $1 DESC LIMIT 1",
	[S_TOKEN_ADD] = "INSERT INTO enroll_tokens (tenant_id, hash, created_us, expires_us) "
			"VALUES ($1, $2, $3, $4)",
	[S_TOKEN_CLAIM] = "UPDATE enroll_tokens SET used_us = $3, device_id = $4 "
			  "WHERE tenant_id = $1 AND hash = $2 AND used_us IS NULL AND expires_us > $3",
	[S_TOKEN_STATE] = "SELECT used_us IS NOT NULL FROM enroll_tokens "
			  "WHERE tenant_id = $1 AND hash = $2",
	[S_DEVICE_ADD] = "INSERT INTO devices (tenant_id, id, name, kind, cert_serial, enrolled_us) "
			 "VALUES ($1, $2, $3, $4, $5, $6)",
	[S_DEVICE_GET] = "SELECT " DEVICE_COLS " FROM devices WHERE tenant_id = $1 AND id = $2",
	[S_DEVICE_LIST] = "SELECT " DEVICE_COLS " FROM devices WHERE tenant_id = $1 "
			  "ORDER BY enrolled_us, id",
	[S_DEVICE_REVOKE] = "UPDATE devices SET revoked = true, "
			    "revoked_us = CASE WHEN revoked THEN revoked_us ELSE $2::bigint END "
			    "WHERE id = $1 RETURNING " DEVICE_COLS,
	[S_BATCH_ADD] = "INSERT INTO batches (tenant_id, device_id, batch_id, received_us, accepted, "
			"rejected, rejected_json) VALUES ($1, $2, $3, $4, $5, $6, $7) "
			"ON CONFLICT DO NOTHING",
	[S_BATCH_GET] = "SELECT accepted, rejected, rejected_json FROM batches "
			"WHERE tenant_id = $1 AND device_id = $2 AND batch_id = $3",
	[S_EVENTS_COUNT] = "SELECT count(*) FROM events WHERE tenant_id = $1",
	[S_AUDIT_ADD] = "INSERT INTO audit (tenant_id, ts_us, actor, action, object, detail) "
			"VALUES ($1, $2, $3, $4, $5, $6)",
};

struct pg_shared {
	char *conninfo;
};

struct pg_conn {
	PGconn *pg;
	bool prepared[S_COUNT];
	char *copybuf;             /* COPY data of one batch, reused */
	size_t copycap;
};

static int fail_conn(struct pg_conn *c, const char *what)
{
	ot_err("postgresql: %s: %s", what, PQerrorMessage(c->pg));
	return STORE_ERR;
}

/* Log a failed result; STORE_EXISTS for a uniqueness violation. */
static int fail_res(PGresult *r, const char *what)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (state && !strcmp(state, "23505"))
		return STORE_EXISTS;
	ot_err("postgresql: %s: %s", what, PQresultErrorMessage(r));
	return STORE_ERR;
}

static int exec(struct pg_conn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c->pg, sql);
	int rc = STORE_OK;
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = fail_res(r, what);
	PQclear(r);
	return rc;
}

/*
 * Run statement s with n text parameters (NULL: SQL NULL).  Returns the
 * result when its status is a success, else NULL with *rc set (logged,
 * STORE_EXISTS for a uniqueness violation).
 */
static PGresult *run(struct pg_conn *c, enum stmt s, int n, const char *const *vals,
		     const char *what, int *rc)
{
	char name[16];
	snprintf(name, sizeof(name), "s%d", (int)s);
	if (!c->prepared[s]) {
		PGresult *p = PQprepare(c->pg, name, stmt_sql[s], n, NULL);
		if (PQresultStatus(p) != PGRES_COMMAND_OK) {
			*rc = fail_res(p, "prepare");
			PQclear(p);
			return NULL;
		}
		PQclear(p);
		c->prepared[s] = true;
	}
	PGresult *r = PQexecPrepared(c->pg, name, n, vals, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		*rc = fail_res(r, what);
		PQclear(r);
		return NULL;
	}
	*rc = STORE_OK;
	return r;
}

/* Run a statement whose rows are not wanted. */
static int run_cmd(struct pg_conn *c, enum stmt s, int n, const char *const *vals,
		   const char *what, long *changed)
{
	int rc;
	PGresult *r = run(c, s, n, vals, what, &rc);
	if (r) {
		if (changed)
			*changed = strtol(PQcmdTuples(r), NULL, 10);
		PQclear(r);
	}
	return rc;
}

/* Commit when rc is STORE_OK, else roll back; returns rc, or STORE_ERR
 * when the commit fails. */
static int tx_end(struct pg_conn *c, int rc)
{
	if (rc == STORE_OK)
		return exec(c, "COMMIT", "commit") < 0 ? STORE_ERR : STORE_OK;
	exec(c, "ROLLBACK", "rollback");
	return rc;
}

static void *pg_shared_new(const struct store_params *p)
{
	struct pg_shared *sh = calloc(1, sizeof(*sh));
	if (!sh || !(sh->conninfo = strdup(p->pg_conninfo ? p->pg_conninfo : ""))) {
		free(sh);
		return NULL;
	}
	return sh;
}

static void pg_shared_free(void *shared)
{
	struct pg_shared *sh = shared;
	free(sh->conninfo);
	free(sh);
}

static void pg_conn_close(void *conn)
{
	struct pg_conn *c = conn;
	PQfinish(c->pg);
	free(c->copybuf);
	free(c);
}

/* PostgreSQL's notices ("relation ... already exists, skipping") are
 * for debugging only. */
static void on_notice(void *arg, const char *msg)
{
	size_t n = strlen(msg);
	ot_debug("postgresql: %.*s", (int)(n && msg[n - 1] == '\n' ? n - 1 : n), msg);
}

static void *pg_conn_open(void *shared)
{
	struct pg_shared *sh = shared;
	struct pg_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pg = PQconnectdb(sh->conninfo);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		ot_err("postgresql: cannot connect (store.postgresql.conninfo): %s",
		       c->pg ? PQerrorMessage(c->pg) : "out of memory");
		pg_conn_close(c);
		return NULL;
	}
	PQsetNoticeProcessor(c->pg, on_notice, NULL);
	return c;
}

static int pg_conn_check(void *conn)
{
	struct pg_conn *c = conn;
	if (PQstatus(c->pg) == CONNECTION_OK)
		return STORE_OK;
	PQreset(c->pg);
	memset(c->prepared, 0, sizeof(c->prepared));
	if (PQstatus(c->pg) != CONNECTION_OK)
		return fail_conn(c, "reconnecting");
	ot_notice("postgresql: reconnected");
	return STORE_OK;
}

static int pg_migrate(void *conn)
{
	struct pg_conn *c = conn;
	const int newest = (int)OT_ARRAY_LEN(migrations);
	char sql[160];
	int rc = STORE_ERR;

	if (exec(c, "BEGIN", "begin") < 0)
		return STORE_ERR;
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", MIGRATE_LOCK);
	if (exec(c, sql, "locking for migration") < 0 ||
	    exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    "version integer PRIMARY KEY, applied_us bigint NOT NULL)",
		 "creating schema_migrations") < 0)
		goto out;
	PGresult *r = PQexec(c->pg, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = fail_res(r, "reading the schema version");
		PQclear(r);
		goto out;
	}
	int have = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (have > newest) {
		ot_err("postgresql: the schema is at version %d, newer than this otasuked knows (%d)",
		       have, newest);
		goto out;
	}
	for (int v = have + 1; v <= newest; v++) {
		if (exec(c, migrations[v - 1], "migrating") < 0)
			goto out;
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, "
			 "(extract(epoch from clock_timestamp()) * 1000000)::bigint)", v);
		if (exec(c, sql, "recording the migration") < 0)
			goto out;
		ot_info("postgresql: schema migrated to version %d", v);
	}
	rc = STORE_OK;
out:
	return tx_end(c, rc);
}

/* A 64-bit number as a text parameter. */
struct num {
	char s[24];
};

static const char *num(struct num *n, int64_t v)
{
	snprintf(n->s, sizeof(n->s), "%" PRId64, v);
	return n->s;
}

static void read_device(PGresult *r, int row, struct store_device *d)
{
	ot_strlcpy(d->tenant_id, PQgetvalue(r, row, 0), sizeof(d->tenant_id));
	ot_strlcpy(d->id, PQgetvalue(r, row, 1), sizeof(d->id));
	ot_strlcpy(d->name, PQgetvalue(r, row, 2), sizeof(d->name));
	ot_strlcpy(d->kind, PQgetvalue(r, row, 3), sizeof(d->kind));
	ot_strlcpy(d->cert_serial, PQgetvalue(r, row, 4), sizeof(d->cert_serial));
	d->enrolled_us = strtoll(PQgetvalue(r, row, 5), NULL, 10);
	d->revoked = PQgetvalue(r, row, 6)[0] == 't';
}

static int pg_tenant_add(void *conn, const struct store_tenant *t)
{
	struct num n;
	const char *v[] = { t->id, t->name, num(&n, t->created_us) };
	return run_cmd(conn, S_TENANT_ADD, 3, v, "adding a tenant", NULL);
}

static int pg_tenant_find(void *conn, const char *key, struct store_tenant *out)
{
	int rc;
	const char *v[] = { key };
	PGresult *r = run(conn, S_TENANT_FIND, 1, v, "finding a tenant", &rc);
	if (!r)
		return rc;
	if (PQntuples(r) < 1) {
		rc = STORE_NOTFOUND;
	} else {
		ot_strlcpy(out->id, PQgetvalue(r, 0, 0), sizeof(out->id));
		ot_strlcpy(out->name, PQgetvalue(r, 0, 1), sizeof(out->name));
		out->created_us = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	}
	PQclear(r);
	return rc;
}

static int pg_token_add(void *conn, const struct store_token *t)
{
	struct num a, b;
	const char *v[] = { t->tenant_id, t->hash, num(&a, t->created_us), num(&b, t->expires_us) };
	return run_cmd(conn, S_TOKEN_ADD, 4, v, "adding a token", NULL);
}

static int pg_enroll(void *conn, const char *hash, int64_t now_us, const struct store_device *d)
{
	struct pg_conn *c = conn;
	struct num n, e;
	long changed = 0;
	int rc;

	if (exec(c, "BEGIN", "begin") < 0)
		return STORE_ERR;
	const char *claim[] = { d->tenant_id, hash, num(&n, now_us), d->id };
	if ((rc = run_cmd(c, S_TOKEN_CLAIM, 4, claim, "claiming a token", &changed)) < 0)
		goto out;
	if (changed != 1) {
		const char *key[] = { d->tenant_id, hash };
		PGresult *r = run(c, S_TOKEN_STATE, 2, key, "reading a token", &rc);
		if (r) {
			if (PQntuples(r) < 1)
				rc = STORE_NOTFOUND;
			else
				rc = PQgetvalue(r, 0, 0)[0] == 't' ? STORE_TOKEN_USED : STORE_TOKEN_EXPIRED;
			PQclear(r);
		}
		goto out;
	}
	const char *dev[] = { d->tenant_id, d->id, d->name, d->kind, d->cert_serial,
			      num(&e, d->enrolled_us) };
	rc = run_cmd(c, S_DEVICE_ADD, 6, dev, "adding a device", NULL);
out:
	return tx_end(c, rc);
}

/* Run s, which returns at most one device, into out; STORE_NOTFOUND. */
static int one_device(void *conn, enum stmt s, int n, const char *const *vals,
		      const char *what, struct store_device *out)
{
	int rc;
	PGresult *r = run(conn, s, n, vals, what, &rc);
	if (!r)
		return rc;
	if (PQntuples(r) < 1)
		rc = STORE_NOTFOUND;
	else
		read_device(r, 0, out);
	PQclear(r);
	return rc;
}

static int pg_device_get(void *conn, const char *tenant_id, const char *id,
			 struct store_device *out)
{
	const char *v[] = { tenant_id, id };
	return one_device(conn, S_DEVICE_GET, 2, v, "reading a device", out);
}

static int pg_device_list(void *conn, const char *tenant_id,
			  int (*cb)(void *arg, const struct store_device *d), void *arg)
{
	int rc;
	const char *v[] = { tenant_id };
	PGresult *r = run(conn, S_DEVICE_LIST, 1, v, "listing devices", &rc);
	if (!r)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct store_device d;
		read_device(r, i, &d);
		rc = cb(arg, &d);
	}
	PQclear(r);
	return rc;
}

static int pg_device_revoke(void *conn, const char *id, int64_t now_us,
			    struct store_device *out)
{
	struct num n;
	const char *v[] = { id, num(&n, now_us) };
	return one_device(conn, S_DEVICE_REVOKE, 2, v, "revoking a device", out);
}

/* Append s to the COPY buffer in COPY's text format (escaped). */
static int copy_field(struct pg_conn *c, size_t *len, const char *s, size_t n, char end)
{
	size_t need = *len + 2 * n + 2;
	if (need > c->copycap) {
		size_t cap = OT_MAX(need, 2 * c->copycap);
		char *t = realloc(c->copybuf, cap);
		if (!t)
			return -1;
		c->copybuf = t;
		c->copycap = cap;
	}
	char *o = c->copybuf + *len;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		switch (ch) {
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		default: *o++ = ch; break;
		}
	}
	*o++ = end;
	*len = (size_t)(o - c->copybuf);
	return 0;
}

static int copy_events(struct pg_conn *c, const struct store_batch *b,
		       const struct store_event *ev, size_t n)
{
	struct num ts, rcv;
	size_t len = 0;
	num(&rcv, b->received_us);
	for (size_t i = 0; i < n; i++) {
		num(&ts, ev[i].ts_us);
		if (copy_field(c, &len, b->tenant_id, strlen(b->tenant_id), '\t') < 0 ||
		    copy_field(c, &len, b->device_id, strlen(b->device_id), '\t') < 0 ||
		    copy_field(c, &len, ts.s, strlen(ts.s), '\t') < 0 ||
		    copy_field(c, &len, ev[i].event_type, strlen(ev[i].event_type), '\t') < 0 ||
		    copy_field(c, &len, rcv.s, strlen(rcv.s), '\t') < 0 ||
		    copy_field(c, &len, ev[i].json, ev[i].json_len, '\n') < 0) {
			ot_err("postgresql: out of memory for a batch of %zu events", n);
			return STORE_ERR;
		}
	}
	PGresult *r = PQexec(c->pg, "COPY events (tenant_id, device_id, ts_us, event_type, "
			     "received_us, body) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		int rc = fail_res(r, "starting COPY");
		PQclear(r);
		return rc;
	}
	PQclear(r);
	if (PQputCopyData(c->pg, c->copybuf, (int)len) != 1 || PQputCopyEnd(c->pg, NULL) != 1)
		return fail_conn(c, "sending events");
	int rc = STORE_OK;
	while ((r = PQgetResult(c->pg))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = fail_res(r, "storing events");
		PQclear(r);
	}
	return rc;
}

static int pg_batch_ingest(void *conn, const struct store_batch *b, const struct store_event *ev,
			   size_t n, bool *dup, struct store_batch_seen *seen)
{
	struct pg_conn *c = conn;
	struct num rcv, acc, rej;
	long changed = 0;
	int rc;

	*dup = false;
	if (exec(c, "BEGIN", "begin") < 0)
		return STORE_ERR;
	const char *v[] = { b->tenant_id, b->device_id, b->batch_id, num(&rcv, b->received_us),
			    num(&acc, b->accepted), num(&rej, b->rejected), b->rejected_json };
	if ((rc = run_cmd(c, S_BATCH_ADD, 7, v, "adding a batch", &changed)) < 0)
		goto out;
	if (changed == 0) {
		*dup = true;
		PGresult *r = run(c, S_BATCH_GET, 3, v, "reading a batch", &rc);
		if (!r)
			goto out;
		if (PQntuples(r) < 1) {
			rc = STORE_ERR;
		} else {
			seen->accepted = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
			seen->rejected = (uint32_t)strtoul(PQgetvalue(r, 0, 1), NULL, 10);
			seen->rejected_json = strdup(PQgetisnull(r, 0, 2) ? "[]" : PQgetvalue(r, 0, 2));
			if (!seen->rejected_json)
				rc = STORE_ERR;
		}
		PQclear(r);
		goto out;
	}
	if (n)
		rc = copy_events(c, b, ev, n);
out:
	return tx_end(c, rc);
}

static int pg_events_count(void *conn, const char *tenant_id, uint64_t *n)
{
	int rc;
	const char *v[] = { tenant_id };
	PGresult *r = run(conn, S_EVENTS_COUNT, 1, v, "counting events", &rc);
	if (!r)
		return rc;
	*n = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return STORE_OK;
}

static int pg_audit_add(void *conn, int64_t now_us, const struct store_audit *a)
{
	struct num n;
	const char *v[] = { a->tenant_id, num(&n, now_us), a->actor, a->action, a->object, a->detail };
	return run_cmd(conn, S_AUDIT_ADD, 6, v, "adding to the audit log", NULL);
}

const struct store_backend store_pg = {
	.name = "postgresql",
	.shared_new = pg_shared_new,
	.shared_free = pg_shared_free,
	.conn_open = pg_conn_open,
	.conn_close = pg_conn_close,
	.migrate = pg_migrate,
	.conn_check = pg_conn_check,
	.tenant_add = pg_tenant_add,
	.tenant_find = pg_tenant_find,
	.token_add = pg_token_add,
	.enroll = pg_enroll,
	.device_get = pg_device_get,
	.device_list = pg_device_list,
	.device_revoke = pg_device_revoke,
	.batch_ingest = pg_batch_ingest,
	.events_count = pg_events_count,
	.audit_add = pg_audit_add,
};
