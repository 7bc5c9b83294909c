/*
 * store.c - see store.h.  The list of backends, and the pool of
 * connections that lets every server thread use one store: a call borrows
 * a free connection (waiting when all are busy), lets the backend check it
 * (a PostgreSQL connection that broke is reset there), runs, and gives it
 * back.  Backends thus never share a connection between threads and never
 * need their own locking for it.
 */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

/* The backends, one row each. */
static const struct store_backend *const backends[] = {
	&store_sqlite,
	&store_pg,
};

struct store {
	const struct store_backend *be;
	void *shared;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned n;
	void **conns;
	bool *busy;
};

const char *store_backend_names(char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < OT_ARRAY_LEN(backends) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", backends[i]->name);
	return buf;
}

static const struct store_backend *find_backend(const char *name)
{
	for (size_t i = 0; i < OT_ARRAY_LEN(backends); i++)
		if (name && !strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

bool store_backend_known(const char *name)
{
	return find_backend(name) != NULL;
}

struct store *store_open(const struct store_params *p)
{
	const struct store_backend *be = find_backend(p->backend);
	if (!be) {
		char names[128];
		ot_err("store.backend '%s': expected one of %s", p->backend ? p->backend : "",
		       store_backend_names(names, sizeof(names)));
		return NULL;
	}
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->be = be;
	s->n = p->connections ? p->connections : 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	s->conns = calloc(s->n, sizeof(*s->conns));
	s->busy = calloc(s->n, sizeof(*s->busy));
	if (!s->conns || !s->busy)
		goto err;
	s->shared = be->shared_new(p);
	if (!s->shared)
		goto err;
	for (unsigned i = 0; i < s->n; i++) {
		s->conns[i] = be->conn_open(s->shared);
		if (!s->conns[i])
			goto err;
		/* the first connection brings the schema up to date before the
		 * others look at it */
		if (i == 0 && be->migrate(s->conns[0]) < 0)
			goto err;
	}
	return s;
err:
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->conns && i < s->n; i++)
		if (s->conns[i])
			s->be->conn_close(s->conns[i]);
	if (s->shared)
		s->be->shared_free(s->shared);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->freed);
	free(s->conns);
	free(s->busy);
	free(s);
}

/* A free connection, checked; waits while every connection is in use.
 * Returns its index, or -1 when the backend cannot be reached. */
static int borrow(struct store *s)
{
	int i = -1;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		for (unsigned j = 0; j < s->n; j++) {
			if (!s->busy[j]) {
				i = (int)j;
				break;
			}
		}
		if (i >= 0)
			break;
		pthread_cond_wait(&s->freed, &s->lock);
	}
	s->busy[i] = true;
	pthread_mutex_unlock(&s->lock);
	if (s->be->conn_check(s->conns[i]) < 0) {
		pthread_mutex_lock(&s->lock);
		s->busy[i] = false;
		pthread_cond_signal(&s->freed);
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	return i;
}

static void give_back(struct store *s, int i)
{
	pthread_mutex_lock(&s->lock);
	s->busy[i] = false;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

/* Run one backend operation on a borrowed connection. */
#define ON_CONN(s, op, ...) do { \
		int i_ = borrow(s); \
		if (i_ < 0) \
			return STORE_ERR; \
		int r_ = (s)->be->op((s)->conns[i_], __VA_ARGS__); \
		give_back(s, i_); \
		return r_; \
	} while (0)

int store_tenant_add(struct store *s, const struct store_tenant *t)
{
	ON_CONN(s, tenant_add, t);
}

int store_tenant_find(struct store *s, const char *id_or_name, struct store_tenant *out)
{
	ON_CONN(s, tenant_find, id_or_name, out);
}

int store_token_add(struct store *s, const struct store_token *t)
{
	ON_CONN(s, token_add, t);
}

int store_enroll(struct store *s, const char *token_hash, int64_t now_us,
		 const struct store_device *d)
{
	ON_CONN(s, enroll, token_hash, now_us, d);
}

int store_device_get(struct store *s, const char *tenant_id, const char *id,
		     struct store_device *out)
{
	ON_CONN(s, device_get, tenant_id, id, out);
}

int store_device_list(struct store *s, const char *tenant_id,
		      int (*cb)(void *arg, const struct store_device *d), void *arg)
{
	ON_CONN(s, device_list, tenant_id, cb, arg);
}

int store_device_revoke(struct store *s, const char *id, int64_t now_us,
			struct store_device *out)
{
	ON_CONN(s, device_revoke, id, now_us, out);
}

int store_batch_ingest(struct store *s, const struct store_batch *b,
		       const struct store_event *ev, size_t n, bool *dup,
		       struct store_batch_seen *seen)
{
	ON_CONN(s, batch_ingest, b, ev, n, dup, seen);
}

int store_events_count(struct store *s, const char *tenant_id, uint64_t *n)
{
	ON_CONN(s, events_count, tenant_id, n);
}

int store_audit_add(struct store *s, int64_t now_us, const struct store_audit *a)
{
	ON_CONN(s, audit_add, now_us, a);
}

const char *store_strerror(int err)
{
	switch (err) {
	case STORE_OK: return "done";
	case STORE_NOTFOUND: return "not found";
	case STORE_EXISTS: return "already exists";
	case STORE_TOKEN_USED: return "token already used";
	case STORE_TOKEN_EXPIRED: return "token expired";
	default: return "storage error";
	}
}
