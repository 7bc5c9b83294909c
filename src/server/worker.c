/*
 * worker.c - see worker.h.  The thread sleeps on a condition variable
 * timed on the monotonic clock, so a change of the wall clock neither
 * stalls nor hurries it.
 */
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/log.h"

struct worker {
	const char *name;
	unsigned period_ms;
	bool (*round)(void *arg);
	void *arg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool woken;
	atomic_bool stop;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!atomic_load(&w->stop)) {
		w->woken = false;
		pthread_mutex_unlock(&w->lock);
		bool again = w->round(w->arg);
		pthread_mutex_lock(&w->lock);
		if (again || w->woken || atomic_load(&w->stop))
			continue;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += w->period_ms / 1000;
		until.tv_nsec += (long)(w->period_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!w->woken && !atomic_load(&w->stop) &&
		       pthread_cond_timedwait(&w->cond, &w->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct worker *worker_start(const char *name, unsigned period_ms, bool (*round)(void *arg),
			    void *arg)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	if (!w)
		return NULL;
	*w = (struct worker){ .name = name, .period_ms = period_ms, .round = round, .arg = arg };
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	int e = pthread_create(&w->thread, NULL, run, w);
	if (e) {
		ot_err("%s: cannot start a thread: %s", name, strerror(e));
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return NULL;
	}
	return w;
}

void worker_wake(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->woken = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, true);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
