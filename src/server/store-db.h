/*
 * store-db.h - inside the store: what a database backend provides, and
 * the small SQL toolkit the store's concept files (store-tenant.c,
 * store-ingest.c, store-user.c, ...) are written with.
 *
 * Why: every operation of the store is written once, in one SQL text that
 * both SQLite and PostgreSQL accept.  Parameters are spelled ?1, ?2, ...
 * (SQLite's own form; the PostgreSQL backend turns them into $1, $2 when
 * it prepares the statement) and are always bound, never spliced into the
 * text.  A backend is thus only a way to run such statements (prepare
 * once per connection, bind, step, read columns) and to start and end
 * transactions, plus what truly differs: the fastest way to write many
 * events (SQLite: one prepared INSERT; PostgreSQL: COPY), and the few
 * words of the schema that differ (store-schema.c).
 *
 * Portable SQL used here: ON CONFLICT DO NOTHING, RETURNING, CAST(? AS
 * BIGINT) where a parameter's type cannot be inferred, 0/1 integers for
 * booleans, count(*), LIKE; no dialect-only functions.
 */
#ifndef OT_STORE_DB_H
#define OT_STORE_DB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * One statement: its text, and the slot under which each connection keeps
 * it prepared (given on first use, the same for every connection).
 * Declare them static: STORE_Q(name, "SELECT ...").
 */
struct store_q {
	const char *sql;
	atomic_int slot;           /* 0: not given yet; else slot + 1 */
};
#define STORE_Q(name, text) static struct store_q name = { text, 0 }

/* A bound parameter. */
struct store_arg {
	enum { ARG_NULL, ARG_TEXT, ARG_INT } type;
	const char *s;             /* ARG_TEXT: NULL binds SQL NULL */
	size_t len;                /* ARG_TEXT: bytes of s; (size_t)-1: up to its NUL */
	int64_t i;
};
#define A_TEXT(str) ((struct store_arg){ .type = ARG_TEXT, .s = (str), .len = (size_t)-1 })
#define A_TEXTN(str, n) ((struct store_arg){ .type = ARG_TEXT, .s = (str), .len = (n) })
#define A_INT(v) ((struct store_arg){ .type = ARG_INT, .i = (int64_t)(v) })
#define A_NULL ((struct store_arg){ .type = ARG_NULL })

/* A row of a result, for the row callback of store_run. */
struct store_row {
	const struct store_backend *be;
	void *h;                   /* the backend's handle of the result */
	int row;
};

/* Column i of a row as text (NULL for SQL NULL), as a number (0 for NULL;
 * PostgreSQL's booleans read as 0/1), or whether it is NULL. */
const char *store_col_text(const struct store_row *r, int i);
int64_t store_col_int(const struct store_row *r, int i);
bool store_col_null(const struct store_row *r, int i);
/* Copy column i into out (empty for NULL), cut to len - 1 bytes. */
void store_col_copy(const struct store_row *r, int i, char *out, size_t len);

/* Called for each row; a non-zero return stops and is returned by store_run. */
typedef int (*store_row_fn)(void *arg, const struct store_row *r);

enum store_tx_mode {
	TX_READ,                   /* a consistent read of several statements */
	TX_WRITE,                  /* writes: one writer of this process at a time */
	TX_SCHEMA,                 /* migrations: one writer of all servers at a time */
};

/*
 * A backend: one connection per conn pointer, never used by two threads at
 * once (store.c lends them out).  shared is the backend's state for one
 * store (from shared_new).  All return STORE_OK or a negative store_err.
 */
struct store_backend {
	const char *name;
	void *(*shared_new)(const struct store_params *p);
	void (*shared_free)(void *shared);
	void *(*conn_open)(void *shared);
	void (*conn_close)(void *conn);
	/* Before a lent connection is used: reconnect if it broke. */
	int (*conn_check)(void *conn);

	int (*begin)(void *conn, enum store_tx_mode mode);
	/* Commit when rc is STORE_OK, else roll back; rc, or STORE_ERR when the
	 * commit fails.  Ends what begin started, whatever its mode. */
	int (*end)(void *conn, int rc);
	/* Run q with its parameters; see store_run. */
	int (*run)(void *conn, struct store_q *q, const struct store_arg *a, size_t n,
		   store_row_fn row, void *arg);
	/* Run a script of several statements without parameters (migrations). */
	int (*script)(void *conn, const char *sql);
	/* Write the events of batch b (inside a write transaction). */
	int (*events_insert)(void *conn, const struct store_batch *b,
			     const struct store_event *ev, size_t n);
	/* Column access for store_row. */
	const char *(*col_text)(void *h, int row, int col);
	bool (*col_null)(void *h, int row, int col);
	/* The words of the schema that differ, see store-schema.c. */
	const char *serial_pk;     /* an auto-numbered 64-bit primary key column */
	const char *blob;          /* a type for bytes */
};

extern const struct store_backend store_sqlite;
extern const struct store_backend store_pg;

/* A store: the backend, its pool of connections, and the queue of
 * batches waiting for a group commit (store-ingest.c). */
struct ingest_job;
struct store {
	const struct store_backend *be;
	void *shared;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned n;
	void **conns;
	bool *busy;
	pthread_mutex_t qlock;
	pthread_cond_t qdone;
	struct ingest_job *qhead, **qtail;
	bool committing;
};

/* A connection lent by the pool for one operation or one transaction. */
struct store_conn {
	struct store *store;
	const struct store_backend *be;
	void *c;
	int slot;                  /* in the pool */
};

/* Borrow a connection (waiting while all are lent); -1 when the database
 * cannot be reached (logged).  Give it back with store_give. */
int store_borrow(struct store *s, struct store_conn *out);
void store_give(struct store_conn *c);

/*
 * Run q with n parameters on c, calling row for each row it returns.
 * Returns the number of rows returned, or for a statement that returns
 * none the number of rows it changed; or a negative store_err
 * (STORE_EXISTS when a unique key refused the row), or what row returned
 * when it stopped early.  A statement that writes, run outside a
 * transaction, is its own write transaction.
 */
int store_run(struct store_conn *c, struct store_q *q, const struct store_arg *a, size_t n,
	      store_row_fn row, void *arg);
int store_begin(struct store_conn *c, enum store_tx_mode mode);
int store_end(struct store_conn *c, int rc);

/*
 * The common shapes, each on a connection borrowed for the call:
 * store_exec runs one statement (rows changed, or an error);
 * store_one runs one that returns at most one row and reads it with row
 * (STORE_NOTFOUND when there is none).
 */
int store_exec(struct store *s, struct store_q *q, const struct store_arg *a, size_t n);
int store_one(struct store *s, struct store_q *q, const struct store_arg *a, size_t n,
	      store_row_fn row, void *arg);
/* As store_run, on a connection borrowed for the call. */
int store_query(struct store *s, struct store_q *q, const struct store_arg *a, size_t n,
		store_row_fn row, void *arg);

/* The schema's newest version, and bringing a database up to it
 * (store-schema.c); run once when the store opens. */
int store_schema_migrate(struct store_conn *c);

/* The slot of q, given on first use (backends keep their prepared
 * statements in an array indexed by it, grown as needed). */
int store_q_slot(struct store_q *q);

#endif
