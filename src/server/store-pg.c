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
 * Statements arrive with SQLite's ?N placeholders (store-db.h): they are
 * rewritten to $N and prepared once per connection, named by their slot.
 * Parameters go as text, and PostgreSQL infers their types from where they
 * stand.  Migrations run under an advisory lock (TX_SCHEMA), so that servers
 * starting together do not apply a step twice.  Events are written with
 * COPY, the fastest way into PostgreSQL.
 *
 * A connection that broke (the server restarted) is reset before its next
 * use (pg_conn_check), also one that broke while idle in the pool; the
 * call in progress when it broke fails with STORE_ERR, which the HTTP
 * side answers with 503 so the device retries.
 */
#include "store-db.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

/* Any number: the key of the advisory lock taken while migrating. */
#define MIGRATE_LOCK 0x6f7461737562LL

struct pg_shared {
	char *conninfo;
};

struct pg_conn {
	PGconn *pg;
	bool *prepared;            /* by statement slot */
	size_t nprepared;
	char *copybuf;             /* COPY data of one batch, reused */
	bool in_tx;                /* between pg_begin and pg_end */
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

static int pg_conn_check(void *conn);

static int pg_begin(void *conn, enum store_tx_mode mode)
{
	struct pg_conn *c = conn;
	char sql[64];
	/* a connection the server closed (a restart) shows itself only now:
	 * nothing was done on it yet, so reconnect and begin again, once */
	if (exec(c, "BEGIN", "begin") < 0 &&
	    (PQstatus(c->pg) == CONNECTION_OK || pg_conn_check(c) < 0 ||
	     exec(c, "BEGIN", "begin") < 0))
		return STORE_ERR;
	if (mode == TX_SCHEMA) {
		snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", MIGRATE_LOCK);
		if (exec(c, sql, "locking for migration") < 0) {
			exec(c, "ROLLBACK", "rollback");
			return STORE_ERR;
		}
	}
	c->in_tx = true;
	return STORE_OK;
}

static int pg_end(void *conn, int rc)
{
	struct pg_conn *c = conn;
	c->in_tx = false;
	if (rc == STORE_OK)
		return exec(c, "COMMIT", "commit") < 0 ? STORE_ERR : STORE_OK;
	exec(c, "ROLLBACK", "rollback");
	return rc;
}

static int pg_script(void *conn, const char *sql)
{
	return exec(conn, sql, "migrating");
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
	free(c->prepared);
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
	/* reading what is waiting finds a connection the server closed while
	 * it sat in the pool (a restart), before a request fails on it */
	if (PQstatus(c->pg) == CONNECTION_OK && PQconsumeInput(c->pg))
		return STORE_OK;
	PQreset(c->pg);
	memset(c->prepared, 0, c->nprepared * sizeof(*c->prepared));
	if (PQstatus(c->pg) != CONNECTION_OK)
		return fail_conn(c, "reconnecting");
	ot_notice("postgresql: reconnected");
	return STORE_OK;
}

/* sql with ?N placeholders as PostgreSQL's $N (malloc'd); text in quotes
 * is left alone. */
static char *dollars(const char *sql)
{
	char *out = strdup(sql);
	bool quoted = false;
	for (char *p = out; p && *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (*p == '?' && !quoted && p[1] >= '1' && p[1] <= '9')
			*p = '$';
	}
	return out;
}

/* q prepared on this connection as "s<slot>" into name; -1 on error. */
static int prepare(struct pg_conn *c, struct store_q *q, char name[16])
{
	size_t slot = (size_t)store_q_slot(q);
	snprintf(name, 16, "s%zu", slot);
	if (slot >= c->nprepared) {
		size_t n = OT_MAX(slot + 1, 2 * c->nprepared);
		bool *t = realloc(c->prepared, n * sizeof(*t));
		if (!t)
			return -1;
		memset(t + c->nprepared, 0, (n - c->nprepared) * sizeof(*t));
		c->prepared = t;
		c->nprepared = n;
	}
	if (c->prepared[slot])
		return 0;
	char *sql = dollars(q->sql);
	if (!sql)
		return -1;
	PGresult *p = PQprepare(c->pg, name, sql, 0, NULL);
	free(sql);
	int rc = 0;
	if (PQresultStatus(p) != PGRES_COMMAND_OK) {
		ot_err("postgresql: preparing \"%s\": %s", q->sql, PQresultErrorMessage(p));
		rc = -1;
	}
	PQclear(p);
	c->prepared[slot] = rc == 0;
	return rc;
}

#define MAX_ARGS 32

static int run_once(struct pg_conn *c, struct store_q *q, const struct store_arg *a, size_t n,
		    store_row_fn row, void *arg)
{
	char name[16], nums[MAX_ARGS][24];
	const char *vals[MAX_ARGS];
	char *owned[MAX_ARGS] = { 0 };
	int rc = STORE_ERR;

	if (n > MAX_ARGS) {
		ot_err("postgresql: \"%s\": more than %d parameters", q->sql, MAX_ARGS);
		return STORE_ERR;
	}
	if (prepare(c, q, name) < 0)
		return STORE_ERR;
	for (size_t i = 0; i < n; i++) {
		vals[i] = NULL;
		if (a[i].type == ARG_INT) {
			snprintf(nums[i], sizeof(nums[i]), "%" PRId64, a[i].i);
			vals[i] = nums[i];
		} else if (a[i].type == ARG_TEXT && a[i].s && a[i].len != (size_t)-1) {
			/* text parameters go NUL-terminated */
			if (!(owned[i] = strndup(a[i].s, a[i].len)))
				goto out;
			vals[i] = owned[i];
		} else if (a[i].type == ARG_TEXT) {
			vals[i] = a[i].s;
		}
	}
	PGresult *r = PQexecPrepared(c->pg, name, (int)n, vals, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK) {
		int rows = PQntuples(r);
		rc = rows;
		for (int i = 0; row && i < rows; i++) {
			struct store_row sr = { &store_pg, r, i };
			int s = row(arg, &sr);
			if (s != 0) {
				rc = s;
				break;
			}
		}
	} else if (st == PGRES_COMMAND_OK) {
		rc = (int)strtol(PQcmdTuples(r), NULL, 10);
	} else {
		rc = fail_res(r, q->sql);
	}
	PQclear(r);
out:
	for (size_t i = 0; i < n; i++)
		free(owned[i]);
	return rc;
}

static int pg_run(void *conn, struct store_q *q, const struct store_arg *a, size_t n,
		  store_row_fn row, void *arg)
{
	struct pg_conn *c = conn;
	int rc = run_once(c, q, a, n, row, arg);
	/* outside a transaction nothing was done when the connection turns out
	 * closed (the server restarted): reconnect and run it again, once */
	if (rc == STORE_ERR && !c->in_tx && PQstatus(c->pg) != CONNECTION_OK &&
	    pg_conn_check(c) == STORE_OK)
		rc = run_once(c, q, a, n, row, arg);
	return rc;
}

/* A 64-bit number as text. */
struct num {
	char s[24];
};

static const char *num(struct num *n, int64_t v)
{
	snprintf(n->s, sizeof(n->s), "%" PRId64, v);
	return n->s;
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

static int pg_events_insert(void *conn, const struct store_batch *b,
			    const struct store_event *ev, size_t n)
{
	return n ? copy_events(conn, b, ev, n) : STORE_OK;
}

static const char *pg_col_text(void *h, int row, int col)
{
	return PQgetisnull(h, row, col) ? NULL : PQgetvalue(h, row, col);
}

static bool pg_col_null(void *h, int row, int col)
{
	return PQgetisnull(h, row, col);
}

const struct store_backend store_pg = {
	.name = "postgresql",
	.shared_new = pg_shared_new,
	.shared_free = pg_shared_free,
	.conn_open = pg_conn_open,
	.conn_close = pg_conn_close,
	.conn_check = pg_conn_check,
	.begin = pg_begin,
	.end = pg_end,
	.run = pg_run,
	.script = pg_script,
	.events_insert = pg_events_insert,
	.col_text = pg_col_text,
	.col_null = pg_col_null,
	.serial_pk = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	.blob = "BYTEA",
};
