/*
 * retention.c - see retention.h.
 */
#include "retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "srv-time.h"
#include "../lib/log.h"

/* rows deleted per transaction: small enough that ingest is not held up */
#define CHUNK 5000
/* the first run waits this long after start, so that start-up is quick */
#define FIRST_DELAY_S 60

struct retention {
	struct store *store;
	unsigned days, interval;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
};

static void *run(void *arg)
{
	struct retention *r = arg;
	unsigned wait = FIRST_DELAY_S < r->interval ? FIRST_DELAY_S : r->interval;
	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait;
		while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
			;
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->lock);
		uint64_t n = 0;
		if (store_retention_run(r->store, srv_now_us(), r->days, CHUNK, &n) < 0)
			ot_warn("retention: deleting old events failed; trying again in %u s",
				r->interval);
		else if (n)
			ot_notice("retention: deleted %llu events past their tenant's retention",
				  (unsigned long long)n);
		pthread_mutex_lock(&r->lock);
		wait = r->interval;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct retention *retention_start(struct store *s, unsigned default_days, unsigned interval_s)
{
	struct retention *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->store = s;
	r->days = default_days;
	r->interval = interval_s;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		ot_err("retention: cannot start its thread");
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		free(r);
		return NULL;
	}
	return r;
}

void retention_stop(struct retention *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}
