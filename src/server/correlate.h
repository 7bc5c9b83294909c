/*
 * correlate.h - the correlator: a thread of otasuked that turns the
 * alerts devices upload into incidents (store_correlate in
 * store-incident.c does the work in the database; this reads the alerts
 * themselves and decides when to run).
 *
 * It runs when a batch with alerts was stored (correlate_wake, from the
 * events route) and every second anyway (alerts stored by another server
 * on the same PostgreSQL, or a pass that failed).  The alert it reads:
 *
 *   Suricata's EVE (the sensor): key "<gid>:<signature_id>", title
 *   alert.signature, kind the classtype of alert.category (classmap.h),
 *   severity alert.severity (1..255, kept within 1..4), src_ip, dest_ip.
 *
 *   An agent's (ECS names): key "rule:<rule.id>", title rule.name, kind
 *   rule.category (an explanation key such as "ransomware"), severity
 *   event.severity (1..4), source.ip and destination.ip when present.
 */
#ifndef OT_CORRELATE_H
#define OT_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "classmap.h"
#include "store-incident.h"

struct correlate_cfg {
	struct store *store;
	int64_t window_us;         /* incident.window */
	const struct classmap *classes; /* may be NULL: no kinds for sensor alerts */
	/* called after a pass that queued notifications (may be NULL) */
	void (*queued)(void *arg);
	void *queued_arg;
};

struct correlate;

/* Start the thread; NULL when it cannot (logged). */
struct correlate *correlate_start(const struct correlate_cfg *cfg);
/* Ask for a pass now (cheap; from any thread). */
void correlate_wake(struct correlate *c);
/* Finish the pass in progress and stop; c is freed. */
void correlate_stop(struct correlate *c);

/* Read one alert event (len bytes of JSON, from a device: untrusted) into
 * out: 0, or -1 when it carries no signature to group by. */
int correlate_parse_alert(const struct classmap *classes, const char *body, size_t len,
			  struct incident_alert *out);

#endif
