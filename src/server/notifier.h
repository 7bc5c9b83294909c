/*
 * notifier.h - the notifier: a thread of otasuked that escalates the
 * incidents nobody acknowledged and delivers the queued notifications,
 * with retries, recording every outcome (store-notify.c).
 *
 * Delivery itself (mail, LINE, Teams, Slack, Chatwork, webhook, and the
 * texts) is not done here: it is the function given as deliver, called
 * with everything the message needs (struct store_notice: the target and
 * the incident).  It returns what notify_send() of notify.h returns:
 * NOTIFIER_SENT, NOTIFIER_RETRY (temporary: try later; *retry_after the
 * seconds the channel asked for, or -1) or NOTIFIER_FAILED (permanent),
 * with a reason in why.  Without a deliver function notifications stay
 * queued; escalation still runs.
 *
 * Retries: attempt n waits retry_initial * 2^(n-1), at most
 * retry_max_delay, of which a random half (jitter, so that many
 * notifications failed together are not retried together); a
 * Retry-After from the channel is used as it is instead.  After
 * retry_attempts attempts a notification has failed.
 */
#ifndef OT_NOTIFIER_H
#define OT_NOTIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "store-incident.h"

enum { NOTIFIER_SENT = 0, NOTIFIER_RETRY = -1, NOTIFIER_FAILED = -2 };

typedef int (*notifier_deliver_fn)(void *ctx, const struct store_notice *n, char *why,
				   size_t whylen, long *retry_after);

struct notifier_cfg {
	struct store *store;
	notifier_deliver_fn deliver; /* NULL: nothing is sent */
	void *deliver_ctx;
	int64_t escalate_after_us; /* notify.escalate-after */
	unsigned retry_attempts;   /* notify.retry.attempts */
	int64_t retry_initial_us;  /* notify.retry.initial */
	int64_t retry_max_delay_us; /* notify.retry.max-delay */
};

struct notifier;

/* Start the thread; NULL when it cannot (logged). */
struct notifier *notifier_start(const struct notifier_cfg *cfg);
/* Something was queued: look now (from any thread; NULL is ignored). */
void notifier_wake(struct notifier *n);
void notifier_stop(struct notifier *n);

/* The wait before the attempt after attempt number attempts (1 for the
 * first) failed: retry_after seconds when >= 0, else the backoff with its
 * jitter. */
int64_t notifier_retry_delay(const struct notifier_cfg *cfg, int attempts, long retry_after);

/* Deliver one claimed notification and record the outcome (what the
 * thread does with each; public for tests). */
int notifier_send(const struct notifier_cfg *cfg, const struct store_notice *n, int64_t now_us);

#endif
