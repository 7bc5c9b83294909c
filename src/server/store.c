/*
 * store.c - see store.h and store-db.h.  The list of backends, the pool of
 * connections that lets every server thread use one store (a call borrows
 * a free connection, waiting when all are busy, lets the backend check it
 * - a PostgreSQL connection that broke is reset there -, runs, and gives
 * it back: backends never share a connection between threads and never
 * need their own locking for it), and the SQL toolkit of store-db.h.
 */
#include "store-db.h"

#include <stdatomic.h>

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
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qdone, NULL);
	s->qtail = &s->qhead;
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
	}
	/* the schema is brought up to date before anyone looks at it */
	struct store_conn c;
	if (store_borrow(s, &c) < 0)
		goto err;
	int rc = store_schema_migrate(&c);
	store_give(&c);
	if (rc < 0)
		goto err;
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
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qdone);
	free(s->conns);
	free(s->busy);
	free(s);
}

/* A free connection, checked; waits while every connection is in use. */
int store_borrow(struct store *s, struct store_conn *out)
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
	*out = (struct store_conn){ .store = s, .be = s->be, .c = s->conns[i], .slot = i };
	if (s->be->conn_check(s->conns[i]) < 0) {
		store_give(out);
		return -1;
	}
	return 0;
}

void store_give(struct store_conn *c)
{
	struct store *s = c->store;
	pthread_mutex_lock(&s->lock);
	s->busy[c->slot] = false;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

int store_run(struct store_conn *c, struct store_q *q, const struct store_arg *a, size_t n,
	      store_row_fn row, void *arg)
{
	return c->be->run(c->c, q, a, n, row, arg);
}

int store_begin(struct store_conn *c, enum store_tx_mode mode)
{
	return c->be->begin(c->c, mode);
}

int store_end(struct store_conn *c, int rc)
{
	return c->be->end(c->c, rc);
}

int store_query(struct store *s, struct store_q *q, const struct store_arg *a, size_t n,
		store_row_fn row, void *arg)
{
	struct store_conn c;
	if (store_borrow(s, &c) < 0)
		return STORE_ERR;
	int rc = store_run(&c, q, a, n, row, arg);
	store_give(&c);
	return rc;
}

int store_exec(struct store *s, struct store_q *q, const struct store_arg *a, size_t n)
{
	return store_query(s, q, a, n, NULL, NULL);
}

int store_one(struct store *s, struct store_q *q, const struct store_arg *a, size_t n,
	      store_row_fn row, void *arg)
{
	int rc = store_query(s, q, a, n, row, arg);
	if (rc == 0)
		return STORE_NOTFOUND;
	return rc < 0 ? rc : STORE_OK;
}

const char *store_col_text(const struct store_row *r, int i)
{
	return r->be->col_text(r->h, r->row, i);
}

bool store_col_null(const struct store_row *r, int i)
{
	return r->be->col_null(r->h, r->row, i);
}

int64_t store_col_int(const struct store_row *r, int i)
{
	const char *v = store_col_text(r, i);
	if (!v)
		return 0;
	if (v[0] == 't' && !v[1])
		return 1;  /* a PostgreSQL boolean */
	return strtoll(v, NULL, 10);
}

void store_col_copy(const struct store_row *r, int i, char *out, size_t len)
{
	const char *v = store_col_text(r, i);
	ot_strlcpy(out, v ? v : "", len);
}

static atomic_int q_slots;

int store_q_slot(struct store_q *q)
{
	int s = atomic_load_explicit(&q->slot, memory_order_acquire);
	if (s)
		return s - 1;
	/* two threads may race here: the first to set the slot wins, and the
	 * other number is simply never used */
	int mine = atomic_fetch_add(&q_slots, 1) + 1, expect = 0;
	if (!atomic_compare_exchange_strong(&q->slot, &expect, mine))
		return expect - 1;
	return mine - 1;
}

const char *store_strerror(int err)
{
	switch (err) {
	case STORE_OK: return "done";
	case STORE_NOTFOUND: return "not found";
	case STORE_EXISTS: return "already exists";
	case STORE_TOKEN_USED: return "token already used";
	case STORE_TOKEN_EXPIRED: return "token expired";
	case STORE_INVALID: return "invalid value";
	default: return "storage error";
	}
}
