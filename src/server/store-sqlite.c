/*
 * store-sqlite.c - the SQLite backend of store.h: the default, one file in
 * the state folder, for a small provider or a single office.
 *
 * Durability: the server answers 200 to a batch only once it is stored, so
 * a commit must survive a power cut.  The database runs in WAL mode with
 * synchronous=FULL: every commit syncs the WAL file before returning.
 * (NORMAL would sync only at checkpoints: faster, still consistent, but the
 * last acknowledged batches could vanish with the power, and the device has
 * already deleted them.)
 *
 * Concurrency: WAL lets readers run beside the one writer.  Writers of this
 * process queue on a mutex (shared by the pool's connections) rather than
 * on SQLite's busy handler, which sleeps and polls; the busy timeout only
 * covers another process (otasukectl) writing at the same moment.  Write
 * transactions start with BEGIN IMMEDIATE so that they never have to be
 * retried half way.  Batches that arrive while another is being committed
 * are committed together, in one transaction and one sync (group commit):
 * with many devices the sync, not the work, is what a commit costs.
 * Checkpoints (copying the WAL back into the database) run on a thread and
 * connection of their own, beside the writer rather than inside its
 * commits, unless the WAL grows past CKPT_INLINE_PAGES.
 *
 * Schema: versioned steps (migrations[]), each applied once in its own
 * transaction and recorded in schema_migrations.  Events use SQLite's rowid
 * as their storage key; every index over them starts with the tenant.
 * Retention per tenant (deleting old events) is still to come.
 */
#include "store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE tenants ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_us INTEGER NOT NULL);"
	"CREATE TABLE sites ("
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
	"  name TEXT NOT NULL, created_us INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));"
	"CREATE TABLE devices ("
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL, site_id TEXT,"
	"  name TEXT NOT NULL, kind TEXT NOT NULL, cert_serial TEXT NOT NULL,"
	"  enrolled_us INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, revoked_us INTEGER,"
	"  PRIMARY KEY (tenant_id, id));"
	"CREATE TABLE enroll_tokens ("
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id), hash TEXT NOT NULL,"
	"  created_us INTEGER NOT NULL, expires_us INTEGER NOT NULL,"
	"  used_us INTEGER, device_id TEXT, PRIMARY KEY (tenant_id, hash));"
	"CREATE TABLE batches ("
	"  tenant_id TEXT NOT NULL, device_id TEXT NOT NULL, batch_id TEXT NOT NULL,"
	"  received_us INTEGER NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,"
	"  rejected_json TEXT, PRIMARY KEY (tenant_id, device_id, batch_id)) WITHOUT ROWID;"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, device_id TEXT NOT NULL,"
	"  ts_us INTEGER NOT NULL, event_type TEXT NOT NULL, received_us INTEGER NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX events_tenant_ts ON events (tenant_id, ts_us);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY, tenant_id TEXT, ts_us INTEGER NOT NULL, actor TEXT NOT NULL,"
	"  action TEXT NOT NULL, object TEXT, detail TEXT);"
	"CREATE INDEX audit_tenant_ts ON audit (tenant_id, ts_us);",
};

/* Statements, prepared once per connection when first used. */
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
	S_DEVICE_BY_ID,
	S_BATCH_ADD,
	S_BATCH_GET,
	S_EVENT_ADD,
	S_EVENTS_COUNT,
	S_AUDIT_ADD,
	S_COUNT
};

#define DEVICE_COLS "tenant_id, id, name, kind, cert_serial, enrolled_us, revoked"

static const char *const stmt_sql[S_COUNT] = {
	[S_TENANT_ADD] = "INSERT INTO tenants (id, name, created_us) VALUES (?1, ?2, ?3)",
	[S_TENANT_FIND] = "SELECT id, name, created_us FROM tenants WHERE id = ?1 OR name = ?1 "
			  "ORDER BY id = ?1 DESC LIMIT 1",
	[S_TOKEN_ADD] = "INSERT INTO enroll_tokens (tenant_id, hash, created_us, expires_us) "
			"VALUES (?1, ?2, ?3, ?4)",
	[S_TOKEN_CLAIM] = "UPDATE enroll_tokens SET used_us = ?3, device_id = ?4 "
			  "WHERE tenant_id = ?1 AND hash = ?2 AND used_us IS NULL AND expires_us > ?3",
	[S_TOKEN_STATE] = "SELECT used_us IS NOT NULL FROM enroll_tokens "
			  "WHERE tenant_id = ?1 AND hash = ?2",
	[S_DEVICE_ADD] = "INSERT INTO devices (tenant_id, id, name, kind, cert_serial, enrolled_us) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_DEVICE_GET] = "SELECT " DEVICE_COLS " FROM devices WHERE tenant_id = ?1 AND id = ?2",
	[S_DEVICE_LIST] = "SELECT " DEVICE_COLS " FROM devices WHERE tenant_id = ?1 "
			  "ORDER BY enrolled_us, id",
	[S_DEVICE_REVOKE] = "UPDATE devices SET revoked = 1, revoked_us = ?2 "
			    "WHERE id = ?1 AND revoked = 0",
	[S_DEVICE_BY_ID] = "SELECT " DEVICE_COLS " FROM devices WHERE id = ?1",
	[S_BATCH_ADD] = "INSERT INTO batches (tenant_id, device_id, batch_id, received_us, accepted, "
			"rejected, rejected_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
			"ON CONFLICT DO NOTHING",
	[S_BATCH_GET] = "SELECT accepted, rejected, rejected_json FROM batches "
			"WHERE tenant_id = ?1 AND device_id = ?2 AND batch_id = ?3",
	[S_EVENT_ADD] = "INSERT INTO events (tenant_id, device_id, ts_us, event_type, received_us, body) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_EVENTS_COUNT] = "SELECT count(*) FROM events WHERE tenant_id = ?1",
	[S_AUDIT_ADD] = "INSERT INTO audit (tenant_id, ts_us, actor, action, object, detail) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

/* A batch waiting to be committed with others (sq_batch_ingest). */
struct sq_job {
	const struct store_batch *b;
	const struct store_event *ev;
	size_t n;
	bool *dup;
	struct store_batch_seen *seen;
	int rc;
	bool done;
	struct sq_job *next;
};

struct sq_shared {
	char *path;
	pthread_mutex_t wlock;     /* one writer of this process at a time */
	/* batches waiting for the next group commit */
	pthread_mutex_t qlock;
	pthread_cond_t qdone;
	struct sq_job *queue, **qtail;
	bool committing;
	/* background checkpoints, on a connection of their own */
	sqlite3 *ckpt_db;
	pthread_t ckpt_thread;
	bool ckpt_started;
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_wake;
	bool ckpt_wanted, ckpt_stop;
};

/* WAL pages (4 KiB) that call for a checkpoint in the background, and past
 * which the writer checkpoints itself, so that the WAL stays bounded even
 * when the background cannot keep up. */
#define CKPT_PAGES 1000
#define CKPT_INLINE_PAGES 16000

struct sq_conn {
	struct sq_shared *sh;
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
};

static int fail(struct sq_conn *c, const char *what)
{
	ot_err("sqlite %s: %s: %s", c->sh->path, what, sqlite3_errmsg(c->db));
	return STORE_ERR;
}

/* The statement, prepared and reset, with no bindings; NULL on error. */
static sqlite3_stmt *stmt(struct sq_conn *c, enum stmt s)
{
	if (!c->st[s]) {
		if (sqlite3_prepare_v3(c->db, stmt_sql[s], -1, SQLITE_PREPARE_PERSISTENT,
				       &c->st[s], NULL) != SQLITE_OK) {
			fail(c, "prepare");
			return NULL;
		}
	} else {
		sqlite3_reset(c->st[s]);
		sqlite3_clear_bindings(c->st[s]);
	}
	return c->st[s];
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int exec(struct sq_conn *c, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ot_err("sqlite %s: %s", c->sh->path, msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return STORE_ERR;
	}
	return STORE_OK;
}

/* Start a write transaction; write_end() must follow. */
static int write_begin(struct sq_conn *c)
{
	pthread_mutex_lock(&c->sh->wlock);
	if (exec(c, "BEGIN IMMEDIATE") < 0) {
		pthread_mutex_unlock(&c->sh->wlock);
		return STORE_ERR;
	}
	return STORE_OK;
}

/* Commit when rc is STORE_OK, else roll back; returns rc, or STORE_ERR
 * when the commit fails. */
static int write_end(struct sq_conn *c, int rc)
{
	if (rc == STORE_OK) {
		if (exec(c, "COMMIT") < 0) {
			exec(c, "ROLLBACK");
			rc = STORE_ERR;
		}
	} else {
		exec(c, "ROLLBACK");
	}
	pthread_mutex_unlock(&c->sh->wlock);
	return rc;
}

/* Called by SQLite after each commit with the pages now in the WAL. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq_shared *sh = arg;
	if (pages >= CKPT_INLINE_PAGES) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	} else if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&sh->ckpt_lock);
		sh->ckpt_wanted = true;
		pthread_cond_signal(&sh->ckpt_wake);
		pthread_mutex_unlock(&sh->ckpt_lock);
	}
	return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
	struct sq_shared *sh = arg;
	pthread_mutex_lock(&sh->ckpt_lock);
	while (!sh->ckpt_stop) {
		if (!sh->ckpt_wanted) {
			pthread_cond_wait(&sh->ckpt_wake, &sh->ckpt_lock);
			continue;
		}
		sh->ckpt_wanted = false;
		pthread_mutex_unlock(&sh->ckpt_lock);
		int r = sqlite3_wal_checkpoint_v2(sh->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
						  NULL, NULL);
		if (r != SQLITE_OK && r != SQLITE_BUSY)
			ot_warn("sqlite %s: checkpoint: %s", sh->path, sqlite3_errmsg(sh->ckpt_db));
		pthread_mutex_lock(&sh->ckpt_lock);
	}
	pthread_mutex_unlock(&sh->ckpt_lock);
	return NULL;
}

static void sq_shared_free(void *shared)
{
	struct sq_shared *sh = shared;
	if (sh->ckpt_started) {
		pthread_mutex_lock(&sh->ckpt_lock);
		sh->ckpt_stop = true;
		pthread_cond_signal(&sh->ckpt_wake);
		pthread_mutex_unlock(&sh->ckpt_lock);
		pthread_join(sh->ckpt_thread, NULL);
	}
	sqlite3_close(sh->ckpt_db);
	pthread_mutex_destroy(&sh->wlock);
	pthread_mutex_destroy(&sh->qlock);
	pthread_cond_destroy(&sh->qdone);
	pthread_mutex_destroy(&sh->ckpt_lock);
	pthread_cond_destroy(&sh->ckpt_wake);
	free(sh->path);
	free(sh);
}

static void *sq_shared_new(const struct store_params *p)
{
	struct sq_shared *sh = calloc(1, sizeof(*sh));
	if (!sh || !(sh->path = strdup(p->sqlite_path))) {
		free(sh);
		return NULL;
	}
	pthread_mutex_init(&sh->wlock, NULL);
	pthread_mutex_init(&sh->qlock, NULL);
	pthread_cond_init(&sh->qdone, NULL);
	pthread_mutex_init(&sh->ckpt_lock, NULL);
	pthread_cond_init(&sh->ckpt_wake, NULL);
	sh->qtail = &sh->queue;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(sh->path, &sh->ckpt_db, flags, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(sh->ckpt_db, 10000) != SQLITE_OK ||
	    sqlite3_exec(sh->ckpt_db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
		ot_err("sqlite %s: cannot open: %s", sh->path,
		       sh->ckpt_db ? sqlite3_errmsg(sh->ckpt_db) : "out of memory");
		goto err;
	}
	if (pthread_create(&sh->ckpt_thread, NULL, checkpointer, sh) != 0)
		goto err;
	sh->ckpt_started = true;
	return sh;
err:
	sq_shared_free(sh);
	return NULL;
}

static void sq_conn_close(void *conn)
{
	struct sq_conn *c = conn;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	free(c);
}

static void *sq_conn_open(void *shared)
{
	struct sq_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->sh = shared;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(c->sh->path, &c->db, flags, NULL) != SQLITE_OK) {
		ot_err("sqlite %s: cannot open: %s", c->sh->path,
		       c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto err;
	}
	sqlite3_busy_timeout(c->db, 10000);
	sqlite3_extended_result_codes(c->db, 1);
	if (exec(c, "PRAGMA journal_mode = WAL") < 0 ||
	    exec(c, "PRAGMA synchronous = FULL") < 0 ||
	    exec(c, "PRAGMA cache_size = -32768") < 0 ||
	    exec(c, "PRAGMA mmap_size = 1073741824") < 0 ||
	    exec(c, "PRAGMA foreign_keys = ON") < 0)
		goto err;
	/* replaces SQLite's own checkpoints after commits (see on_wal) */
	sqlite3_wal_hook(c->db, on_wal, c->sh);
	return c;
err:
	sq_conn_close(c);
	return NULL;
}

static int sq_conn_check(void *conn)
{
	return STORE_OK;
}

static int sq_migrate(void *conn)
{
	struct sq_conn *c = conn;
	const int newest = (int)OT_ARRAY_LEN(migrations);
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERR, have = 0;

	if (exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    "version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL)") < 0)
		return STORE_ERR;
	if (write_begin(c) < 0)
		return STORE_ERR;
	if (sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
			       -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		fail(c, "reading the schema version");
		goto out;
	}
	have = sqlite3_column_int(st, 0);
	if (have > newest) {
		ot_err("sqlite %s: the schema is at version %d, newer than this otasuked knows (%d)",
		       c->sh->path, have, newest);
		goto out;
	}
	for (int v = have + 1; v <= newest; v++) {
		char rec[128];
		if (exec(c, migrations[v - 1]) < 0)
			goto out;
		snprintf(rec, sizeof(rec), "INSERT INTO schema_migrations VALUES (%d, "
			 "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))", v);
		if (exec(c, rec) < 0)
			goto out;
		ot_info("sqlite %s: schema migrated to version %d", c->sh->path, v);
	}
	rc = STORE_OK;
out:
	sqlite3_finalize(st);
	return write_end(c, rc);
}

/* Step a statement that writes; STORE_EXISTS on a uniqueness conflict. */
static int step_done(struct sq_conn *c, sqlite3_stmt *st, const char *what)
{
	int r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		return STORE_OK;
	if (r == SQLITE_CONSTRAINT_UNIQUE || r == SQLITE_CONSTRAINT_PRIMARYKEY)
		return STORE_EXISTS;
	return fail(c, what);
}

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	ot_strlcpy(out, s ? (const char *)s : "", len);
}

static void read_device(sqlite3_stmt *st, struct store_device *d)
{
	copy_col(st, 0, d->tenant_id, sizeof(d->tenant_id));
	copy_col(st, 1, d->id, sizeof(d->id));
	copy_col(st, 2, d->name, sizeof(d->name));
	copy_col(st, 3, d->kind, sizeof(d->kind));
	copy_col(st, 4, d->cert_serial, sizeof(d->cert_serial));
	d->enrolled_us = sqlite3_column_int64(st, 5);
	d->revoked = sqlite3_column_int(st, 6) != 0;
}

static int sq_tenant_add(void *conn, const struct store_tenant *t)
{
	struct sq_conn *c = conn;
	if (write_begin(c) < 0)
		return STORE_ERR;
	sqlite3_stmt *st = stmt(c, S_TENANT_ADD);
	int rc = STORE_ERR;
	if (st) {
		bind_text(st, 1, t->id);
		bind_text(st, 2, t->name);
		sqlite3_bind_int64(st, 3, t->created_us);
		rc = step_done(c, st, "adding a tenant");
	}
	return write_end(c, rc);
}

static int sq_tenant_find(void *conn, const char *key, struct store_tenant *out)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st = stmt(c, S_TENANT_FIND);
	if (!st)
		return STORE_ERR;
	bind_text(st, 1, key);
	int r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (r != SQLITE_ROW)
		return fail(c, "finding a tenant");
	copy_col(st, 0, out->id, sizeof(out->id));
	copy_col(st, 1, out->name, sizeof(out->name));
	out->created_us = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	return STORE_OK;
}

static int sq_token_add(void *conn, const struct store_token *t)
{
	struct sq_conn *c = conn;
	if (write_begin(c) < 0)
		return STORE_ERR;
	sqlite3_stmt *st = stmt(c, S_TOKEN_ADD);
	int rc = STORE_ERR;
	if (st) {
		bind_text(st, 1, t->tenant_id);
		bind_text(st, 2, t->hash);
		sqlite3_bind_int64(st, 3, t->created_us);
		sqlite3_bind_int64(st, 4, t->expires_us);
		rc = step_done(c, st, "adding a token");
	}
	return write_end(c, rc);
}

/* Why a token could not be claimed: unknown, used or expired. */
static int token_state(struct sq_conn *c, const char *tenant_id, const char *hash)
{
	sqlite3_stmt *st = stmt(c, S_TOKEN_STATE);
	if (!st)
		return STORE_ERR;
	bind_text(st, 1, tenant_id);
	bind_text(st, 2, hash);
	int r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (r != SQLITE_ROW)
		return fail(c, "reading a token");
	int used = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return used ? STORE_TOKEN_USED : STORE_TOKEN_EXPIRED;
}

static int sq_enroll(void *conn, const char *hash, int64_t now_us, const struct store_device *d)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st;
	int rc = STORE_ERR;

	if (write_begin(c) < 0)
		return STORE_ERR;
	if (!(st = stmt(c, S_TOKEN_CLAIM)))
		goto out;
	bind_text(st, 1, d->tenant_id);
	bind_text(st, 2, hash);
	sqlite3_bind_int64(st, 3, now_us);
	bind_text(st, 4, d->id);
	if ((rc = step_done(c, st, "claiming a token")) < 0)
		goto out;
	if (sqlite3_changes(c->db) != 1) {
		rc = token_state(c, d->tenant_id, hash);
		goto out;
	}
	if (!(st = stmt(c, S_DEVICE_ADD))) {
		rc = STORE_ERR;
		goto out;
	}
	bind_text(st, 1, d->tenant_id);
	bind_text(st, 2, d->id);
	bind_text(st, 3, d->name);
	bind_text(st, 4, d->kind);
	bind_text(st, 5, d->cert_serial);
	sqlite3_bind_int64(st, 6, d->enrolled_us);
	rc = step_done(c, st, "adding a device");
out:
	return write_end(c, rc);
}

static int sq_device_get(void *conn, const char *tenant_id, const char *id,
			 struct store_device *out)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st = stmt(c, S_DEVICE_GET);
	if (!st)
		return STORE_ERR;
	bind_text(st, 1, tenant_id);
	bind_text(st, 2, id);
	int r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (r != SQLITE_ROW)
		return fail(c, "reading a device");
	read_device(st, out);
	sqlite3_reset(st);
	return STORE_OK;
}

static int sq_device_list(void *conn, const char *tenant_id,
			  int (*cb)(void *arg, const struct store_device *d), void *arg)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st = stmt(c, S_DEVICE_LIST);
	int r, rc = STORE_OK;
	if (!st)
		return STORE_ERR;
	bind_text(st, 1, tenant_id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_device d;
		read_device(st, &d);
		if ((rc = cb(arg, &d)) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = fail(c, "listing devices");
	sqlite3_reset(st);
	return rc;
}

static int sq_device_revoke(void *conn, const char *id, int64_t now_us,
			    struct store_device *out)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st;
	int rc = STORE_ERR, r;

	if (write_begin(c) < 0)
		return STORE_ERR;
	if (!(st = stmt(c, S_DEVICE_REVOKE)))
		goto out;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now_us);
	if ((rc = step_done(c, st, "revoking a device")) < 0)
		goto out;
	if (!(st = stmt(c, S_DEVICE_BY_ID))) {
		rc = STORE_ERR;
		goto out;
	}
	bind_text(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		read_device(st, out);
		rc = STORE_OK;
	} else {
		rc = r == SQLITE_DONE ? STORE_NOTFOUND : fail(c, "reading a device");
	}
	sqlite3_reset(st);
out:
	return write_end(c, rc);
}

/* What a batch stored before was answered; STORE_NOTFOUND if none. */
static int batch_seen(struct sq_conn *c, const struct store_batch *b, struct store_batch_seen *seen)
{
	sqlite3_stmt *st = stmt(c, S_BATCH_GET);
	if (!st)
		return STORE_ERR;
	bind_text(st, 1, b->tenant_id);
	bind_text(st, 2, b->device_id);
	bind_text(st, 3, b->batch_id);
	int r = sqlite3_step(st);
	if (r != SQLITE_ROW)
		return r == SQLITE_DONE ? STORE_NOTFOUND : fail(c, "reading a batch");
	seen->accepted = (uint32_t)sqlite3_column_int64(st, 0);
	seen->rejected = (uint32_t)sqlite3_column_int64(st, 1);
	const unsigned char *rj = sqlite3_column_text(st, 2);
	seen->rejected_json = strdup(rj ? (const char *)rj : "[]");
	sqlite3_reset(st);
	return seen->rejected_json ? STORE_OK : STORE_ERR;
}

/* One batch, inside the group's transaction. */
static int ingest_one(struct sq_conn *c, struct sq_job *j)
{
	const struct store_batch *b = j->b;
	sqlite3_stmt *st = stmt(c, S_BATCH_ADD);
	int rc;

	if (!st)
		return STORE_ERR;
	bind_text(st, 1, b->tenant_id);
	bind_text(st, 2, b->device_id);
	bind_text(st, 3, b->batch_id);
	sqlite3_bind_int64(st, 4, b->received_us);
	sqlite3_bind_int64(st, 5, b->accepted);
	sqlite3_bind_int64(st, 6, b->rejected);
	bind_text(st, 7, b->rejected_json);
	if ((rc = step_done(c, st, "adding a batch")) < 0)
		return rc;
	if (sqlite3_changes(c->db) == 0) {
		*j->dup = true;
		return batch_seen(c, b, j->seen);
	}
	if (!(st = stmt(c, S_EVENT_ADD)))
		return STORE_ERR;
	bind_text(st, 1, b->tenant_id);
	bind_text(st, 2, b->device_id);
	sqlite3_bind_int64(st, 5, b->received_us);
	for (size_t i = 0; i < j->n; i++) {
		const struct store_event *e = &j->ev[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 3, e->ts_us);
		sqlite3_bind_text(st, 4, e->event_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, e->json, (int)e->json_len, SQLITE_STATIC);
		if ((rc = step_done(c, st, "adding an event")) < 0)
			return rc;
	}
	sqlite3_reset(st);
	return STORE_OK;
}

/* The jobs of one group in one transaction: all are stored, or none. */
static void commit_group(struct sq_conn *c, struct sq_job *jobs)
{
	int rc = write_begin(c);
	if (rc == STORE_OK) {
		for (struct sq_job *j = jobs; j && rc == STORE_OK; j = j->next)
			rc = ingest_one(c, j);
		rc = write_end(c, rc);
	}
	for (struct sq_job *j = jobs; j; j = j->next) {
		j->rc = rc;
		if (rc < 0 && *j->dup) {
			free(j->seen->rejected_json);
			j->seen->rejected_json = NULL;
		}
	}
}

/*
 * Group commit: a batch joins the queue; whoever finds no group being
 * committed takes the whole queue and commits it as one transaction (one
 * sync of the WAL for all), while the others wait for their result.
 */
static int sq_batch_ingest(void *conn, const struct store_batch *b, const struct store_event *ev,
			   size_t n, bool *dup, struct store_batch_seen *seen)
{
	struct sq_conn *c = conn;
	struct sq_shared *sh = c->sh;
	struct sq_job job = { .b = b, .ev = ev, .n = n, .dup = dup, .seen = seen };

	*dup = false;
	pthread_mutex_lock(&sh->qlock);
	*sh->qtail = &job;
	sh->qtail = &job.next;
	while (!job.done) {
		if (sh->committing) {
			pthread_cond_wait(&sh->qdone, &sh->qlock);
			continue;
		}
		struct sq_job *group = sh->queue;
		sh->queue = NULL;
		sh->qtail = &sh->queue;
		sh->committing = true;
		pthread_mutex_unlock(&sh->qlock);
		commit_group(c, group);
		pthread_mutex_lock(&sh->qlock);
		for (struct sq_job *j = group; j; j = j->next)
			j->done = true;
		sh->committing = false;
		pthread_cond_broadcast(&sh->qdone);
	}
	pthread_mutex_unlock(&sh->qlock);
	return job.rc;
}

static int sq_events_count(void *conn, const char *tenant_id, uint64_t *n)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st = stmt(c, S_EVENTS_COUNT);
	if (!st)
		return STORE_ERR;
	bind_text(st, 1, tenant_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return fail(c, "counting events");
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return STORE_OK;
}

static int sq_audit_add(void *conn, int64_t now_us, const struct store_audit *a)
{
	struct sq_conn *c = conn;
	if (write_begin(c) < 0)
		return STORE_ERR;
	sqlite3_stmt *st = stmt(c, S_AUDIT_ADD);
	int rc = STORE_ERR;
	if (st) {
		bind_text(st, 1, a->tenant_id);
		sqlite3_bind_int64(st, 2, now_us);
		bind_text(st, 3, a->actor);
		bind_text(st, 4, a->action);
		bind_text(st, 5, a->object);
		bind_text(st, 6, a->detail);
		rc = step_done(c, st, "adding to the audit log");
	}
	return write_end(c, rc);
}

const struct store_backend store_sqlite = {
	.name = "sqlite",
	.shared_new = sq_shared_new,
	.shared_free = sq_shared_free,
	.conn_open = sq_conn_open,
	.conn_close = sq_conn_close,
	.migrate = sq_migrate,
	.conn_check = sq_conn_check,
	.tenant_add = sq_tenant_add,
	.tenant_find = sq_tenant_find,
	.token_add = sq_token_add,
	.enroll = sq_enroll,
	.device_get = sq_device_get,
	.device_list = sq_device_list,
	.device_revoke = sq_device_revoke,
	.batch_ingest = sq_batch_ingest,
	.events_count = sq_events_count,
	.audit_add = sq_audit_add,
};
