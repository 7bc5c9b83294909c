/*
 * upload.c - the upload thread (see upload.h).
 *
 * The thread takes one batch at a time from the spool, for one attempt
 * (or one round of splitting, see send_split): then the server has it
 * (spool_done), or it is given back (spool_release) before the wait for
 * the next attempt.  Waits are on a condition variable: a new batch wakes
 * the thread when it is idle, a stop request always does.
 *
 * Logging: the first failure of a run of failures is a warning (an error
 * for 401/403, which needs a person: the device's certificate was refused
 * or revoked), later ones are info, and the first success after them says
 * how long delivery was held up.
 */
#include "upload.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "https.h"
#include "log.h"
#include "spool.h"
#include "util.h"

struct uploader {
	struct spool *sp;
	struct https *http;
	char *url;
	unsigned min_delay, max_delay;      /* ms */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked;                        /* a batch closed */
	bool stopping;
	struct timespec deadline;           /* CLOCK_MONOTONIC, when stopping */
	struct upload_stats st;
	unsigned failures;                  /* in a row */
	unsigned seed;
};

enum outcome { SENT, TOO_LARGE, RETRY };

static void now_mono(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

static bool past(const struct timespec *t)
{
	struct timespec n;
	now_mono(&n);
	return n.tv_sec > t->tv_sec || (n.tv_sec == t->tv_sec && n.tv_nsec >= t->tv_nsec);
}

static void add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static void on_batch(void *arg)
{
	struct uploader *u = arg;
	pthread_mutex_lock(&u->mu);
	u->kicked = true;
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
}

/* A stop whose drain time is over: the transfer under way is abandoned. */
static int give_up(void *arg)
{
	struct uploader *u = arg;
	pthread_mutex_lock(&u->mu);
	bool over = u->stopping && past(&u->deadline);
	pthread_mutex_unlock(&u->mu);
	return over;
}

/*
 * Sleep ms; early on a stop, and on a new batch when idle.  A new batch
 * while waiting to retry is sealed at once (gzip shrinks it several times),
 * so that an unreachable server does not fill the spool with raw batches.
 * Returns false when the thread should end.
 */
static bool nap(struct uploader *u, long ms, bool idle)
{
	struct timespec until;
	now_mono(&until);
	add_ms(&until, ms);
	for (;;) {
		pthread_mutex_lock(&u->mu);
		bool was_stopping = u->stopping;
		while (!u->kicked && u->stopping == was_stopping && !past(&until)) {
			const struct timespec *t = &until;
			if (u->stopping && (u->deadline.tv_sec < until.tv_sec ||
					    (u->deadline.tv_sec == until.tv_sec &&
					     u->deadline.tv_nsec < until.tv_nsec)))
				t = &u->deadline;
			if (pthread_cond_timedwait(&u->cv, &u->mu, t) == ETIMEDOUT && t == &u->deadline)
				break;
		}
		bool kicked = u->kicked, again = u->stopping == was_stopping && !past(&until);
		bool over = u->stopping && past(&u->deadline);
		u->kicked = false;
		pthread_mutex_unlock(&u->mu);
		if (over)
			return false;
		if (!kicked || idle || !again)
			return true;
		spool_seal(u->sp);
	}
}

/* Exponential backoff with jitter: between half and all of
 * min * 2^(failures-1), capped at max. */
static long backoff_ms(struct uploader *u)
{
	uint64_t d = u->min_delay;
	for (unsigned i = 1; i < u->failures && d < u->max_delay; i++)
		d *= 2;
	if (d > u->max_delay)
		d = u->max_delay;
	return (long)(d / 2 + (d / 2 ? (uint64_t)rand_r(&u->seed) % (d / 2 + 1) : 0));
}

static void count_answer(struct uploader *u, const struct spool_batch *b, const struct https_resp *r)
{
	json_t *j = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	json_t *rej = json_object_get(j, "rejected");
	json_t *acc = json_object_get(j, "accepted");
	size_t nrej = json_array_size(rej);
	pthread_mutex_lock(&u->mu);
	u->st.batches++;
	u->st.events += json_is_integer(acc) ? (uint64_t)json_integer_value(acc) : b->events;
	u->st.rejected += nrej;
	if (json_is_true(json_object_get(j, "duplicate")))
		u->st.duplicates++;
	pthread_mutex_unlock(&u->mu);
	if (!json_is_object(j))
		ot_warn("upload: batch %s stored, but the answer is not the JSON expected", b->id);
	if (nrej) {
		char first[256] = "";
		json_t *r0 = json_array_get(rej, 0);
		snprintf(first, sizeof(first), "line %lld: %s",
			 (long long)json_integer_value(json_object_get(r0, "line")),
			 json_string_value(json_object_get(r0, "error")) ?: "?");
		ot_warn("upload: the server rejected %zu of the %u events of batch %s (first: %s)",
			nrej, b->events, b->id, first);
	}
	json_decref(j);
}

/* One attempt at one batch: SENT (counted), TOO_LARGE (413), or RETRY
 * with *wait_ms set (logged). */
static enum outcome attempt(struct uploader *u, const struct spool_batch *b, long *wait_ms)
{
	char idh[64], msg[200];
	struct https_resp r;
	snprintf(idh, sizeof(idh), "X-Otasuke-Batch: %s", b->id);
	const char *const headers[] = {
		"Content-Type: application/x-ndjson", "Content-Encoding: gzip", idh, NULL,
	};
	int rc = https_post(u->http, u->url, "/api/v1/events", headers, b->gz, b->gz_len, &r);
	pthread_mutex_lock(&u->mu);
	u->st.last_status = rc < 0 ? 0 : r.status;
	pthread_mutex_unlock(&u->mu);
	if (rc == 0 && r.status == 200) {
		count_answer(u, b, &r);
		if (u->failures)
			ot_notice("upload: %s takes events again, after %u failed attempt%s", u->url,
				  u->failures, u->failures > 1 ? "s" : "");
		u->failures = 0;
		https_resp_free(&r);
		return SENT;
	}
	if (rc == 0 && r.status == 413) {
		https_resp_free(&r);
		return TOO_LARGE;
	}
	if (rc < 0 && give_up(u)) {
		ot_info("upload: stopped while sending batch %s; it waits in the spool", b->id);
		https_resp_free(&r);
		return RETRY;
	}
	u->failures++;
	*wait_ms = rc == 0 && r.status == 429 && r.retry_after > 0 ? r.retry_after * 1000L
								      : backoff_ms(u);
	enum ot_log_level lvl = u->failures > 1 ? OT_LOG_INFO :
				rc == 0 && (r.status == 401 || r.status == 403) ? OT_LOG_ERROR : OT_LOG_WARNING;
	if (rc < 0)
		ot_log(lvl, "upload: %s: %s; batch %s waits, next try in %.1f s", u->url, r.error, b->id,
		       (double)*wait_ms / 1000);
	else
		ot_log(lvl, "upload: %s answered %ld%s%s%s; batch %s waits, next try in %.1f s", u->url,
		       r.status, r.status == 401 ? " (the device certificate is not accepted: enroll again)" :
				 r.status == 403 ? " (this device is revoked)" : "",
		       *https_error_text(&r, msg, sizeof(msg)) ? ": " : "", msg, b->id,
		       (double)*wait_ms / 1000);
	pthread_mutex_lock(&u->mu);
	u->st.retries++;
	pthread_mutex_unlock(&u->mu);
	https_resp_free(&r);
	return RETRY;
}

/* Lines [off, off + len) of a batch's text, sent as a batch of its own. */
struct piece {
	size_t off, len;
	uint32_t events;
	char id[SPOOL_ID_LEN + 1];
};

/* Pieces waiting: at most 2 a level, log2(SPOOL_MAX_EVENTS) levels. */
#define SPLIT_STACK 40

/* The halves of p onto the stack (the first half on top), or p refused
 * when it is a single event.  -1 when ids cannot be made. */
static int halve(struct uploader *u, const char *text, const struct piece *p, struct piece *stack,
		 int *n)
{
	if (p->events == 1) {
		pthread_mutex_lock(&u->mu);
		u->st.refused++;
		pthread_mutex_unlock(&u->mu);
		ot_err("upload: %s refuses an event of %zu bytes as too large (batch %s); it cannot "
		       "be delivered and is dropped (counted as refused)", u->url, p->len - 1, p->id);
		return 0;
	}
	if (*n + 2 > SPLIT_STACK)
		return -1;
	const char *cut = text + p->off;
	for (uint32_t k = 0; k < p->events / 2; k++)
		cut = strchr(cut, '\n') + 1;
	size_t len1 = (size_t)(cut - (text + p->off));
	struct piece h1 = { p->off, len1, p->events / 2, "" };
	struct piece h2 = { p->off + len1, p->len - len1, p->events - p->events / 2, "" };
	if (spool_derive_id(p->id, "split-1", h1.id) < 0 || spool_derive_id(p->id, "split-2", h2.id) < 0)
		return -1;
	stack[(*n)++] = h2;
	stack[(*n)++] = h1;
	pthread_mutex_lock(&u->mu);
	bool first = u->st.splits++ == 0;
	pthread_mutex_unlock(&u->mu);
	ot_log(first ? OT_LOG_NOTICE : OT_LOG_INFO, "upload: batch %s (%u events) is too large for "
	       "%s: sent in halves (its limits are below upload.batch.*)", p->id, p->events, u->url);
	return 0;
}

/*
 * The server answered 413 to batch b: it is halved, and halves still too
 * large are halved again, down to single events, which can never be
 * delivered: each is dropped with an error - kept, it would block every
 * batch behind it for good.  The pieces are made in memory with ids
 * derived from b's, and b stays whole on disk until every piece is stored
 * or refused: after a crash, or a failure that sends b back to the queue,
 * the same pieces come out again under the same ids, and the server
 * absorbs those it already has.  SENT when done, else RETRY (*wait_ms set).
 */
static enum outcome send_split(struct uploader *u, const struct spool_batch *b, long *wait_ms)
{
	struct piece stack[SPLIT_STACK];
	int n = 0;
	char *text = NULL;
	bool damaged;
	enum outcome out = RETRY;
	long tl = spool_gunzip(b->gz, b->gz_len, &text, &damaged);
	struct piece whole = { 0, tl > 0 ? (size_t)tl : 0, b->events, "" };
	memcpy(whole.id, b->id, sizeof(whole.id));
	*wait_ms = backoff_ms(u);
	if (tl < 0 || damaged || halve(u, text, &whole, stack, &n) < 0)
		goto done;
	while (n > 0) {
		struct piece p = stack[--n];
		struct spool_batch pb = { .events = p.events };
		memcpy(pb.id, p.id, sizeof(pb.id));
		if (spool_gzip(text + p.off, p.len, &pb.gz, &pb.gz_len) < 0)
			goto done;
		enum outcome o = attempt(u, &pb, wait_ms);
		spool_batch_free(&pb);
		if (o == RETRY || (o == TOO_LARGE && halve(u, text, &p, stack, &n) < 0))
			goto done;
	}
	*wait_ms = 0;
	out = SENT;
done:
	free(text);
	return out;
}

static bool stop_now(struct uploader *u)
{
	pthread_mutex_lock(&u->mu);
	bool stopping = u->stopping, over = stopping && past(&u->deadline);
	pthread_mutex_unlock(&u->mu);
	/* the spool's lock is never taken under ours: its notify takes ours */
	return over || (stopping && spool_empty(u->sp));
}

static void *run(void *arg)
{
	struct uploader *u = arg;
	struct spool_batch b;
	while (!stop_now(u)) {
		long age_left = spool_tick(u->sp), wait = 0;
		int r = spool_next(u->sp, &b);
		if (r <= 0) {
			if (!nap(u, r < 0 ? backoff_ms(u) : age_left >= 0 ? age_left : 60000, r == 0))
				break;
			continue;
		}
		enum outcome o = attempt(u, &b, &wait);
		if (o == TOO_LARGE)
			o = send_split(u, &b, &wait);
		if (o == SENT)
			spool_done(u->sp, b.id);
		else    /* given back while waiting: the cap may drop it if it is
			 * the oldest, as any other batch */
			spool_release(u->sp, b.id);
		spool_batch_free(&b);
		if (wait && !nap(u, wait, false))
			break;
	}
	return NULL;
}

struct uploader *upload_start(struct spool *sp, const struct upload_cfg *cfg)
{
	struct uploader *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	struct https_opts ho = {
		.ca_file = cfg->ca_file, .cert_file = cfg->cert_file, .key_file = cfg->key_file,
		.timeout = (long)cfg->timeout, .abandon = give_up, .abandon_arg = u,
	};
	u->sp = sp;
	u->min_delay = OT_MAX(cfg->min_delay_ms, 1u);
	u->max_delay = OT_MAX(cfg->max_delay_ms, u->min_delay);
	if (getrandom(&u->seed, sizeof(u->seed), 0) != (ssize_t)sizeof(u->seed))
		u->seed = (unsigned)time(NULL);
	pthread_mutex_init(&u->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (!(u->url = strdup(cfg->url)) || !(u->http = https_new(&ho)))
		goto err;
	spool_set_notify(sp, on_batch, u);
	/* the thread takes no signals: SIGTERM must reach the capture loop,
	 * whose wait it interrupts */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&u->thread, NULL, run, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		ot_err("upload: cannot start its thread");
		spool_set_notify(sp, NULL, NULL);
		goto err;
	}
	return u;
err:
	https_free(u->http);
	free(u->url);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
	return NULL;
}

void upload_stop(struct uploader *u, unsigned drain_seconds)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->stopping = true;
	now_mono(&u->deadline);
	add_ms(&u->deadline, (long)drain_seconds * 1000);
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->thread, NULL);
	spool_set_notify(u->sp, NULL, NULL);
	struct spool_stats ss;
	spool_get_stats(u->sp, &ss);
	if (ss.queued_events)
		ot_notice("upload: %llu events in %llu batches wait in the spool for the next start",
			  (unsigned long long)ss.queued_events, (unsigned long long)ss.queued);
	https_free(u->http);
	free(u->url);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
}

void upload_get_stats(struct uploader *u, struct upload_stats *st)
{
	pthread_mutex_lock(&u->mu);
	*st = u->st;
	pthread_mutex_unlock(&u->mu);
}
