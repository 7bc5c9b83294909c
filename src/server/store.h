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
	unsigned retention_days;   /* events kept; 0: the server's default */
};

struct store_device {
	char tenant_id[STORE_ID_LEN];
	char id[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	char kind[16];             /* "sensor" or "agent" */
	char cert_serial[41];      /* hex, as in the certificate */
	int64_t enrolled_us;
	bool revoked;
	char site_id[STORE_ID_LEN]; /* "" when not placed at a site */
};

/* A place of a tenant (a shop, an office) where devices are. */
struct store_site {
	char tenant_id[STORE_ID_LEN];
	char id[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	int64_t created_us;
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
/* Revoke the device id of tenant_id (NULL: of whichever tenant, for an
 * operator's command); STORE_NOTFOUND. */
int store_device_revoke(struct store *s, const char *tenant_id, const char *id, int64_t now_us,
			struct store_device *out);
/* Set how many days the tenant's events are kept (0: the default). */
int store_tenant_set_retention(struct store *s, const char *tenant_id, unsigned days);
/* Sites (store-site.c): add (STORE_EXISTS for a name the tenant has
 * already), list by name, remove (its devices then belong to no site). */
int store_site_add(struct store *s, const struct store_site *site);
int store_site_list(struct store *s, const char *tenant_id,
		    int (*cb)(void *arg, const struct store_site *site), void *arg);
int store_site_remove(struct store *s, const char *tenant_id, const char *id);
/* Place a device at a site of its tenant (site_id NULL: at none);
 * STORE_NOTFOUND when the device or the site is not the tenant's. */
int store_device_set_site(struct store *s, const char *tenant_id, const char *device_id,
			  const char *site_id);
/* cb for each tenant, by name (a negative return stops). */
int store_tenant_list(struct store *s, int (*cb)(void *arg, const struct store_tenant *t),
		      void *arg);

/* One row of the audit log, as read back. */
struct store_audit_row {
	int64_t id, ts_us;
	const char *tenant_id, *actor, *action, *object, *detail;  /* NULL when empty */
};
/* The newest rows first, of tenant_id (NULL: all), with id below before
 * (0: from the newest), at most limit (store-audit.c). */
int store_audit_list(struct store *s, const char *tenant_id, int64_t before, unsigned limit,
		     int (*cb)(void *arg, const struct store_audit_row *a), void *arg);

/* What to read of a tenant's events (store-event.c); NULL or 0: any. */
struct store_event_filter {
	const char *tenant_id;     /* required */
	const char *event_type, *device_id;
	int64_t since_us, until_us;        /* event time, [since, until) */
	const char *text;          /* a substring of the event's JSON */
	int64_t before;            /* ids below this (paging, newest first) */
	unsigned limit;
};
struct store_event_row {
	int64_t id, ts_us, received_us;
	const char *device_id, *event_type, *body;
};
int store_event_list(struct store *s, const struct store_event_filter *f,
		     int (*cb)(void *arg, const struct store_event_row *e), void *arg);
/*
 * Retention: delete each tenant's events older than its retention_days
 * (default_days when 0) before now_us, and the records of batches received
 * before then, chunk rows per transaction so that ingest goes on between
 * them.  *deleted: the events deleted.
 */
int store_retention_run(struct store *s, int64_t now_us, unsigned default_days, unsigned chunk,
			uint64_t *deleted);
/* One event of a tenant by id; STORE_NOTFOUND. */
int store_event_get(struct store *s, const char *tenant_id, int64_t id,
		    int (*cb)(void *arg, const struct store_event_row *e), void *arg);
int store_batch_ingest(struct store *s, const struct store_batch *b,
		       const struct store_event *ev, size_t n, bool *dup,
		       struct store_batch_seen *seen);
int store_events_count(struct store *s, const char *tenant_id, uint64_t *n);
int store_audit_add(struct store *s, int64_t now_us, const struct store_audit *a);

/* A person who signs in to the console or the API.  tenant_id is empty for
 * the provider's staff. */
#define STORE_LOGIN_MAX 254        /* a mail address */
#define STORE_HASH_MAX 128         /* a libsodium password hash string */
struct store_user {
	char tenant_id[STORE_ID_LEN];
	char id[STORE_ID_LEN];
	char login[STORE_LOGIN_MAX + 1];
	char name[STORE_NAME_MAX + 1];
	char role[24];             /* see auth.h */
	char lang[8];              /* "ja" or "en" */
	char pw_hash[STORE_HASH_MAX];
	int64_t created_us;
	bool disabled;
};

/* A console session or an API token, by the hash of its secret. */
struct store_session {
	char hash[65];
	char tenant_id[STORE_ID_LEN], user_id[STORE_ID_LEN];
	char csrf[65];             /* sessions only */
	int64_t created_us, expires_us;
};

struct store_api_token {
	char hash[65];
	char tenant_id[STORE_ID_LEN], id[STORE_ID_LEN], user_id[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	int64_t created_us, expires_us, used_us;
	bool revoked;
};

/* Users (store-user.c).  user_find_login: by login, any tenant;
 * user_get: within a tenant ("" for staff); list: cb for each user of the
 * tenant (a negative return stops). */
int store_user_add(struct store *s, const struct store_user *u);
int store_user_find_login(struct store *s, const char *login, struct store_user *out);
int store_user_get(struct store *s, const char *tenant_id, const char *id, struct store_user *out);
int store_user_list(struct store *s, const char *tenant_id,
		    int (*cb)(void *arg, const struct store_user *u), void *arg);
/* Write back name, role, lang, pw_hash and disabled of u (by tenant, id). */
int store_user_update(struct store *s, const struct store_user *u);
/* Remove a user with their sessions and API tokens. */
int store_user_delete(struct store *s, const char *tenant_id, const char *id);

/* Sessions: add; get the live one (expires_us > now) and its user; remove
 * one, or all of a user's. */
int store_session_add(struct store *s, const struct store_session *se);
int store_session_get(struct store *s, const char *hash, int64_t now_us,
		      struct store_session *se, struct store_user *u);
int store_session_delete(struct store *s, const char *hash);
int store_session_delete_user(struct store *s, const char *tenant_id, const char *user_id);

/* API tokens: add; get a live, unrevoked one and its user (marking it
 * used); list a user's (cb); revoke one of a user's by id. */
int store_api_token_add(struct store *s, const struct store_api_token *t);
int store_api_token_get(struct store *s, const char *hash, int64_t now_us,
			struct store_api_token *t, struct store_user *u);
int store_api_token_list(struct store *s, const char *tenant_id, const char *user_id,
			 int (*cb)(void *arg, const struct store_api_token *t), void *arg);
int store_api_token_revoke(struct store *s, const char *tenant_id, const char *user_id,
			   const char *id);

/* A plain-words name of an error, for messages. */
const char *store_strerror(int err);

#endif
