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
 * retried half way.  With many devices the sync, not the work, is what a
 * commit costs: batches are committed in groups (store-ingest.c).
 * Checkpoints (copying the WAL back into the database) run on a thread and
 * connection of their own, beside the writer rather than inside its
 * commits, unless the WAL grows past CKPT_INLINE_PAGES.
 *
 * Statements are prepared once per connection (SQLITE_PREPARE_PERSISTENT)
 * and kept in an array indexed by their slot (store-db.h).  A statement
 * that writes outside a transaction takes the writer's mutex for its step.
 */
#include "store-db.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

struct sq_shared {
	char *path;
	pthread_mutex_t wlock;     /* one writer of this process at a time */
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
	sqlite3_stmt **st;         /* by statement slot */
	size_t nst;
	sqlite3_stmt *ev_insert;
	bool in_tx, tx_write;
};

static int fail(struct sq_conn *c, const char *what)
{
	ot_err("sqlite %s: %s: %s", c->sh->path, what, sqlite3_errmsg(c->db));
	return STORE_ERR;
}

/* q prepared on this connection, reset and without bindings; NULL on error. */
static sqlite3_stmt *prepared(struct sq_conn *c, struct store_q *q)
{
	size_t slot = (size_t)store_q_slot(q);
	if (slot >= c->nst) {
		size_t n = OT_MAX(slot + 1, 2 * c->nst);
		sqlite3_stmt **t = realloc(c->st, n * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + c->nst, 0, (n - c->nst) * sizeof(*t));
		c->st = t;
		c->nst = n;
	}
	if (!c->st[slot]) {
		if (sqlite3_prepare_v3(c->db, q->sql, -1, SQLITE_PREPARE_PERSISTENT,
				       &c->st[slot], NULL) != SQLITE_OK) {
			ot_err("sqlite %s: preparing \"%s\": %s", c->sh->path, q->sql,
			       sqlite3_errmsg(c->db));
			return NULL;
		}
	} else {
		sqlite3_reset(c->st[slot]);
		sqlite3_clear_bindings(c->st[slot]);
	}
	return c->st[slot];
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

static int sq_begin(void *conn, enum store_tx_mode mode)
{
	struct sq_conn *c = conn;
	bool write = mode != TX_READ;
	if (write)
		pthread_mutex_lock(&c->sh->wlock);
	if (exec(c, write ? "BEGIN IMMEDIATE" : "BEGIN") < 0) {
		if (write)
			pthread_mutex_unlock(&c->sh->wlock);
		return STORE_ERR;
	}
	c->in_tx = true;
	c->tx_write = write;
	return STORE_OK;
}

static int sq_end(void *conn, int rc)
{
	struct sq_conn *c = conn;
	if (rc == STORE_OK) {
		if (exec(c, "COMMIT") < 0) {
			exec(c, "ROLLBACK");
			rc = STORE_ERR;
		}
	} else {
		exec(c, "ROLLBACK");
	}
	if (c->tx_write)
		pthread_mutex_unlock(&c->sh->wlock);
	c->in_tx = c->tx_write = false;
	return rc;
}

static int sq_script(void *conn, const char *sql)
{
	return exec(conn, sql);
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
	pthread_mutex_init(&sh->ckpt_lock, NULL);
	pthread_cond_init(&sh->ckpt_wake, NULL);
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
	for (size_t i = 0; i < c->nst; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_finalize(c->ev_insert);
	free(c->st);
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

static void bind(sqlite3_stmt *st, int i, const struct store_arg *a)
{
	switch (a->type) {
	case ARG_INT:
		sqlite3_bind_int64(st, i, a->i);
		break;
	case ARG_TEXT:
		if (a->s) {
			sqlite3_bind_text(st, i, a->s, a->len == (size_t)-1 ? -1 : (int)a->len,
					  SQLITE_STATIC);
			break;
		}
		/* fall through */
	case ARG_NULL:
		sqlite3_bind_null(st, i);
		break;
	}
}

/* Step st to its end; see store_run. */
static int steps(struct sq_conn *c, sqlite3_stmt *st, store_row_fn row, void *arg)
{
	int r, rc = 0, rows = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		if (row) {
			struct store_row sr = { &store_sqlite, st, 0 };
			if ((rc = row(arg, &sr)) != 0)
				break;
		}
	}
	if (rc != 0)
		return rc;
	if (r == SQLITE_CONSTRAINT_UNIQUE || r == SQLITE_CONSTRAINT_PRIMARYKEY)
		return STORE_EXISTS;
	if (r != SQLITE_DONE)
		return fail(c, sqlite3_sql(st));
	return sqlite3_column_count(st) ? rows : sqlite3_changes(c->db);
}

static int sq_run(void *conn, struct store_q *q, const struct store_arg *a, size_t n,
		  store_row_fn row, void *arg)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st = prepared(c, q);
	if (!st)
		return STORE_ERR;
	for (size_t i = 0; i < n; i++)
		bind(st, (int)i + 1, &a[i]);
	bool lock = !c->in_tx && !sqlite3_stmt_readonly(st);
	if (lock)
		pthread_mutex_lock(&c->sh->wlock);
	int rc = steps(c, st, row, arg);
	sqlite3_reset(st);
	if (lock)
		pthread_mutex_unlock(&c->sh->wlock);
	return rc;
}

static int sq_events_insert(void *conn, const struct store_batch *b,
			    const struct store_event *ev, size_t n)
{
	struct sq_conn *c = conn;
	if (!c->ev_insert &&
	    sqlite3_prepare_v3(c->db, "INSERT INTO events (tenant_id, device_id, ts_us, event_type, "
			       "received_us, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1,
			       SQLITE_PREPARE_PERSISTENT, &c->ev_insert, NULL) != SQLITE_OK)
		return fail(c, "preparing the event insert");
	sqlite3_stmt *st = c->ev_insert;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, b->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, b->received_us);
	for (size_t i = 0; i < n; i++) {
		const struct store_event *e = &ev[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 3, e->ts_us);
		sqlite3_bind_text(st, 4, e->event_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, e->json, (int)e->json_len, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return fail(c, "adding an event");
		}
	}
	sqlite3_reset(st);
	return STORE_OK;
}

static const char *sq_col_text(void *h, int row, int col)
{
	return (const char *)sqlite3_column_text(h, col);
}

static bool sq_col_null(void *h, int row, int col)
{
	return sqlite3_column_type(h, col) == SQLITE_NULL;
}

const struct store_backend store_sqlite = {
	.name = "sqlite",
	.shared_new = sq_shared_new,
	.shared_free = sq_shared_free,
	.conn_open = sq_conn_open,
	.conn_close = sq_conn_close,
	.conn_check = sq_conn_check,
	.begin = sq_begin,
	.end = sq_end,
	.run = sq_run,
	.script = sq_script,
	.events_insert = sq_events_insert,
	.col_text = sq_col_text,
	.col_null = sq_col_null,
	.serial_pk = "INTEGER PRIMARY KEY",
	.blob = "BLOB",
};
