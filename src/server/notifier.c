/*
 * notifier.c - the notifier's thread: each round escalates, then claims
 * and delivers what is due; see notifier.h and store-notify.c.
 */
#include "notifier.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "srv-time.h"
#include "worker.h"
#include "../lib/log.h"
#include "../lib/util.h"

/* notifications claimed in one round */
#define ROUND 32
/* a notification "sending" for longer was being sent by a server that died */
#define STALE_US (600 * 1000000LL)
/* the longest Retry-After honoured */
#define RETRY_AFTER_MAX 86400

struct notifier {
	struct notifier_cfg cfg;
	struct worker *w;
	bool failing;
};

int64_t notifier_retry_delay(const struct notifier_cfg *cfg, int attempts, long retry_after)
{
	if (retry_after >= 0)
		return (int64_t)OT_MIN(retry_after, RETRY_AFTER_MAX) * 1000000;
	int64_t d = cfg->retry_initial_us;
	for (int i = 1; i < attempts && d < cfg->retry_max_delay_us; i++)
		d *= 2;
	d = OT_MIN(d, cfg->retry_max_delay_us);
	/* half fixed, half random, in milliseconds */
	int64_t half_ms = d / 2000;
	uint32_t r = randombytes_uniform((uint32_t)OT_MIN(half_ms, (int64_t)UINT32_MAX - 1) + 1);
	return d - half_ms * 1000 + (int64_t)r * 1000;
}

int notifier_send(const struct notifier_cfg *cfg, const struct store_notice *n, int64_t now_us)
{
	char why[512] = "";
	long retry_after = -1;
	int r = NOTIFIER_FAILED;
	if (n->contact_gone)
		ot_strlcpy(why, "the contact was removed", sizeof(why));
	else
		r = cfg->deliver(cfg->deliver_ctx, n, why, sizeof(why), &retry_after);
	enum notify_outcome o = r == NOTIFIER_SENT ? OUTCOME_SENT :
				r == NOTIFIER_RETRY ? OUTCOME_RETRY : OUTCOME_FAILED;
	int64_t next = 0;
	if (o == OUTCOME_RETRY && n->attempts >= (int)cfg->retry_attempts) {
		o = OUTCOME_FAILED;
		size_t l = strlen(why);
		snprintf(why + l, sizeof(why) - l, "%s(gave up after %d attempts)", l ? " " : "",
			 n->attempts);
	} else if (o == OUTCOME_RETRY) {
		next = now_us + notifier_retry_delay(cfg, n->attempts, retry_after);
	}
	if (o != OUTCOME_SENT)
		ot_info("notify: incident %s, %s %s: %s%s", n->inc.id, n->channel, n->address, why,
			o == OUTCOME_RETRY ? " (will retry)" : "");
	return store_notify_outcome(cfg->store, n, o, now_us, next, why);
}

static int send_cb(void *arg, const struct store_notice *n)
{
	const struct notifier_cfg *cfg = arg;
	return notifier_send(cfg, n, srv_now_us());
}

static bool round_fn(void *arg)
{
	struct notifier *nt = arg;
	unsigned queued;
	int rc = store_notify_escalate(nt->cfg.store, srv_now_us(), nt->cfg.escalate_after_us,
				       &queued);
	if (rc == STORE_OK && queued)
		ot_info("notify: escalation queued %u notifications", queued);
	if (rc == STORE_OK && nt->cfg.deliver)
		rc = store_notify_claim_due(nt->cfg.store, srv_now_us(), ROUND, STALE_US, send_cb,
					    &nt->cfg);
	if (rc < 0 && !nt->failing)
		ot_warn("notify: the round failed (%s); trying again every second",
			store_strerror(rc));
	else if (rc >= 0 && nt->failing)
		ot_notice("notify: working again");
	nt->failing = rc < 0;
	return rc == ROUND;
}

struct notifier *notifier_start(const struct notifier_cfg *cfg)
{
	struct notifier *nt = calloc(1, sizeof(*nt));
	if (!nt)
		return NULL;
	nt->cfg = *cfg;
	if (!cfg->deliver)
		ot_notice("notify: no delivery in this build: notifications are queued, not sent");
	if (!(nt->w = worker_start("notify", 1000, round_fn, nt))) {
		free(nt);
		return NULL;
	}
	return nt;
}

void notifier_wake(struct notifier *nt)
{
	if (nt)
		worker_wake(nt->w);
}

void notifier_stop(struct notifier *nt)
{
	if (!nt)
		return;
	worker_stop(nt->w);
	free(nt);
}
