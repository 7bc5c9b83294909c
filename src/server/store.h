/*
 * store.h - otasuked's storage: one interface, several backends.
 *
 * Everything the server keeps (tenants, sites, devices, enrollment tokens,
 * batches, events, the audit log, users, incidents, notifications) goes
 * through the functions below.  They are written once, in SQL that both
 * backends run (store-db.h), one file per concept (store-tenant.c,
 * store-ingest.c, ...); a backend (store-sqlite.c, store-pg.c) only runs
 * statements and is one table row in store.c.
 *
 * A store is shared by every thread of the server: it holds a small pool of
 * backend connections, and each call borrows one for its duration (store.c),
 * so backends only ever see one thread per connection.
 *
 * Every row of customer data carries its tenant id, and every key and index
 * of such data starts with it, so that one PostgreSQL can later be split by
 * tenant.  Identifiers are UUIDs as text; times are microseconds since the
 * epoch (UTC), as 64-bit integers.
 *
 * All functions return STORE_OK (0) or a negative enum store_err; strings
 * handed in are stored verbatim (always bound as parameters, never spliced
 * into SQL).
 */
#ifndef OT_STORE_H
#define OT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum store_err {
	STORE_OK = 0,
	STORE_ERR = -1,            /* the backend failed (logged): retry later */
	STORE_NOTFOUND = -2,
	STORE_EXISTS = -3,
	STORE_TOKEN_USED = -4,
	STORE_TOKEN_EXPIRED = -5,
	STORE_INVALID = -6,        /* a value the operation does not take */
};

#define STORE_ID_LEN 37            /* a UUID as text, with its NUL */
#define STORE_NAME_MAX 200         /* longest tenant or device name, in bytes */

struct store_params {
	const char *backend;       /* "sqlite" or "postgresql" */
	const char *sqlite_path;   /* the database file */
	const char *pg_conninfo;   /* a libpq connection string */
	unsigned connections;      /* connections in the pool, at least 1 */
};

struct store_tenant {
	char id[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	int64_t created_us;
};

struct store_device {
	char tenant_id[STORE_ID_LEN];
	char id[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	char kind[16];             /* "sensor" or "agent" */
	char cert_serial[41];      /* hex, as in the certificate */
	int64_t enrolled_us;
	bool revoked;
};

/* A hashed enrollment token (the token itself is never stored). */
struct store_token {
	char tenant_id[STORE_ID_LEN];
	char hash[65];             /* hex */
	int64_t created_us, expires_us;
};

/* One accepted event of a batch. */
struct store_event {
	int64_t ts_us;             /* the event's own timestamp */
	const char *event_type;
	const char *json;          /* the whole event, one line of JSON */
	size_t json_len;
};

/* A batch and, when it was stored before, what it was answered then. */
struct store_batch {
	const char *tenant_id, *device_id, *batch_id;
	int64_t received_us;
	uint32_t accepted;
	uint32_t rejected;
	const char *rejected_json; /* the answer's "rejected" array, as JSON */
};

struct store_batch_seen {
	uint32_t accepted, rejected;
	char *rejected_json;       /* malloc'd; the caller frees */
};

struct store_audit {
	const char *tenant_id;     /* NULL: not about one tenant */
	const char *actor;         /* "otasukectl (root)", "device <id>" */
	const char *action;        /* "tenant.add", "device.revoke", ... */
	const char *object;        /* id of what it was done to */
	const char *detail;        /* free text or JSON, may be NULL */
};

struct store;

/* Open the backend p->backend, fill the pool and migrate the schema.  NULL
 * on failure (logged: unknown backend, cannot connect, bad schema). */
struct store *store_open(const struct store_params *p);
void store_close(struct store *s);
/* The names of the backends, "sqlite, postgresql", for messages; buf. */
const char *store_backend_names(char *buf, size_t len);
bool store_backend_known(const char *name);

int store_tenant_add(struct store *s, const struct store_tenant *t);
int store_tenant_find(struct store *s, const char *id_or_name, struct store_tenant *out);
int store_token_add(struct store *s, const struct store_token *t);
int store_enroll(struct store *s, const char *token_hash, int64_t now_us,
		 const struct store_device *d);
int store_device_get(struct store *s, const char *tenant_id, const char *id,
		     struct store_device *out);
/* cb for each device of the tenant; a negative return stops and is
 * returned. */
int store_device_list(struct store *s, const char *tenant_id,
		      int (*cb)(void *arg, const struct store_device *d), void *arg);
int store_device_revoke(struct store *s, const char *id, int64_t now_us,
			struct store_device *out);
int store_batch_ingest(struct store *s, const struct store_batch *b,
		       const struct store_event *ev, size_t n, bool *dup,
		       struct store_batch_seen *seen);
int store_events_count(struct store *s, const char *tenant_id, uint64_t *n);
int store_audit_add(struct store *s, int64_t now_us, const struct store_audit *a);

/* A plain-words name of an error, for messages. */
const char *store_strerror(int err);

#endif
