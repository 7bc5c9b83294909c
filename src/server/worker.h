/*
 * worker.h - a background thread of otasuked that does one kind of work
 * in rounds: when woken by another thread (worker_wake), and every period
 * anyway (work that another server sharing the database made due, a
 * round that failed).  The correlator and the notifier are such workers.
 */
#ifndef OT_WORKER_H
#define OT_WORKER_H

#include <stdbool.h>

struct worker;

/*
 * Start a thread that calls round(arg): right away, then whenever woken
 * and at least every period_ms.  round returns true to be called again at
 * once (it stopped with more to do); the thread stops between rounds.
 * NULL when the thread cannot start (logged with name).
 */
struct worker *worker_start(const char *name, unsigned period_ms, bool (*round)(void *arg),
			    void *arg);
/* Ask for a round soon; cheap, from any thread; NULL is ignored. */
void worker_wake(struct worker *w);
/* Let the round in progress finish, stop the thread and free w. */
void worker_stop(struct worker *w);

#endif
