/*
 * store-ingest.c - storing the batches devices upload, exactly once.
 *
 * A batch is recorded by (tenant, device, batch id) in the same
 * transaction as its events: a batch sent again after a lost answer finds
 * its record, stores nothing and gets the answer it was given the first
 * time.  Two servers given the same batch at once are settled by the
 * record's primary key (the second INSERT ... ON CONFLICT waits for the
 * first transaction and then inserts nothing).
 *
 * Group commit: with many devices, the commit's sync to disk - not the
 * work - is what a batch costs.  A batch joins a queue; whoever finds no
 * group being committed takes the whole queue and commits it as one
 * transaction (one sync for all), while the others wait for their result.
 * All batches of a group are stored, or none (each then answered 503 and
 * sent again by its device).
 */
#include "store-db.h"

#include <stdlib.h>
#include <string.h>

/* A batch waiting to be committed with others. */
struct ingest_job {
	const struct store_batch *b;
	const struct store_event *ev;
	size_t n;
	bool *dup;
	struct store_batch_seen *seen;
	int rc;
	bool done;
	struct ingest_job *next;
};

static int read_seen(void *arg, const struct store_row *r)
{
	struct store_batch_seen *seen = arg;
	seen->accepted = (uint32_t)store_col_int(r, 0);
	seen->rejected = (uint32_t)store_col_int(r, 1);
	const char *rj = store_col_text(r, 2);
	seen->rejected_json = strdup(rj ? rj : "[]");
	return seen->rejected_json ? 0 : STORE_ERR;
}

/* One batch, inside the group's transaction. */
static int ingest_one(struct store_conn *c, struct ingest_job *j)
{
	STORE_Q(q_add, "INSERT INTO batches (tenant_id, device_id, batch_id, received_us, "
		       "accepted, rejected, rejected_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		       "ON CONFLICT DO NOTHING");
	STORE_Q(q_get, "SELECT accepted, rejected, rejected_json FROM batches "
		       "WHERE tenant_id = ?1 AND device_id = ?2 AND batch_id = ?3");
	const struct store_batch *b = j->b;
	struct store_arg a[] = { A_TEXT(b->tenant_id), A_TEXT(b->device_id), A_TEXT(b->batch_id),
				 A_INT(b->received_us), A_INT(b->accepted), A_INT(b->rejected),
				 A_TEXT(b->rejected_json) };
	int rc = store_run(c, &q_add, a, 7, NULL, NULL);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		*j->dup = true;
		rc = store_run(c, &q_get, a, 3, read_seen, j->seen);
		return rc < 0 ? rc : rc == 1 ? STORE_OK : STORE_ERR;
	}
	return c->be->events_insert(c->c, b, j->ev, j->n);
}

/* The jobs of one group in one transaction: all are stored, or none. */
static void commit_group(struct store *s, struct ingest_job *jobs)
{
	struct store_conn c;
	int rc = STORE_ERR;
	if (store_borrow(s, &c) == 0) {
		if ((rc = store_begin(&c, TX_WRITE)) == STORE_OK) {
			for (struct ingest_job *j = jobs; j && rc == STORE_OK; j = j->next)
				rc = ingest_one(&c, j);
			rc = store_end(&c, rc);
		}
		store_give(&c);
	}
	for (struct ingest_job *j = jobs; j; j = j->next) {
		j->rc = rc;
		if (rc < 0 && *j->dup) {
			free(j->seen->rejected_json);
			j->seen->rejected_json = NULL;
			*j->dup = false;
		}
	}
}

int store_batch_ingest(struct store *s, const struct store_batch *b,
		       const struct store_event *ev, size_t n, bool *dup,
		       struct store_batch_seen *seen)
{
	struct ingest_job job = { .b = b, .ev = ev, .n = n, .dup = dup, .seen = seen };

	*dup = false;
	pthread_mutex_lock(&s->qlock);
	*s->qtail = &job;
	s->qtail = &job.next;
	while (!job.done) {
		if (s->committing) {
			pthread_cond_wait(&s->qdone, &s->qlock);
			continue;
		}
		struct ingest_job *group = s->qhead;
		s->qhead = NULL;
		s->qtail = &s->qhead;
		s->committing = true;
		pthread_mutex_unlock(&s->qlock);
		commit_group(s, group);
		pthread_mutex_lock(&s->qlock);
		for (struct ingest_job *j = group; j; j = j->next)
			j->done = true;
		s->committing = false;
		pthread_cond_broadcast(&s->qdone);
	}
	pthread_mutex_unlock(&s->qlock);
	return job.rc;
}

static int read_count(void *arg, const struct store_row *r)
{
	*(uint64_t *)arg = (uint64_t)store_col_int(r, 0);
	return 0;
}

int store_events_count(struct store *s, const char *tenant_id, uint64_t *n)
{
	STORE_Q(q, "SELECT count(*) FROM events WHERE tenant_id = ?1");
	struct store_arg a[] = { A_TEXT(tenant_id) };
	return store_one(s, &q, a, 1, read_count, n);
}
