/*
 * correlate.c - the correlator's thread and its reading of alerts; see
 * correlate.h.  The database work, and why it is exactly once, is in
 * store-incident.c.
 */
#include "correlate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv-time.h"
#include "worker.h"
#include "../lib/log.h"
#include "../lib/util.h"

/* An id missing below newer events is waited for this long (a transaction
 * still writing), then stepped over and looked for during HOLE_KEEP_US
 * (one that commits late); see store-incident.c. */
#define HOLE_WAIT_US (2 * 1000000LL)
#define HOLE_KEEP_US (3600 * 1000000LL)
/* A pass reads up to BATCH events (most are not alerts: one commit for
 * many) and correlates up to MAX_ALERTS (so that a flood of alerts does not
 * hold the database's writer for long). */
#define BATCH 10000
#define MAX_ALERTS 1000

struct correlate {
	struct correlate_cfg cfg;
	struct correlate_params params;
	struct worker *w;
	bool failing;
};

static void copy_str(json_t *v, char *out, size_t len)
{
	ot_strlcpy(out, json_is_string(v) ? json_string_value(v) : "", len);
}

static int severity_of(json_t *v, int dflt)
{
	if (!json_is_integer(v))
		return dflt;
	json_int_t s = json_integer_value(v);
	return s < 1 ? 1 : s > 4 ? 4 : (int)s;
}

/* Suricata's alert object a of event root. */
static int parse_eve(const struct classmap *classes, json_t *root, json_t *a,
		     struct incident_alert *out)
{
	json_t *sid = json_object_get(a, "signature_id"), *gid = json_object_get(a, "gid");
	if (!json_is_integer(sid) || (gid && !json_is_integer(gid)))
		return -1;
	snprintf(out->key, sizeof(out->key), "%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT,
		 gid ? json_integer_value(gid) : 1, json_integer_value(sid));
	copy_str(json_object_get(a, "signature"), out->title, sizeof(out->title));
	if (!out->title[0])
		snprintf(out->title, sizeof(out->title), "signature %s", out->key);
	json_t *cat = json_object_get(a, "category");
	const char *kind = classmap_kind(classes, json_is_string(cat) ? json_string_value(cat) : NULL);
	ot_strlcpy(out->kind, kind ? kind : "", sizeof(out->kind));
	out->severity = severity_of(json_object_get(a, "severity"), 3);
	copy_str(json_object_get(root, "src_ip"), out->src_ip, sizeof(out->src_ip));
	copy_str(json_object_get(root, "dest_ip"), out->dest_ip, sizeof(out->dest_ip));
	return 0;
}

/* An agent's alert: ECS rule.*, event.severity, source.ip, destination.ip. */
static int parse_ecs(json_t *root, json_t *rule, struct incident_alert *out)
{
	json_t *id = json_object_get(rule, "id");
	char idtext[INCIDENT_KEY_MAX - 8];
	if (json_is_integer(id))
		snprintf(idtext, sizeof(idtext), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
	else
		copy_str(id, idtext, sizeof(idtext));
	if (!idtext[0])
		return -1;
	snprintf(out->key, sizeof(out->key), "rule:%s", idtext);
	copy_str(json_object_get(rule, "name"), out->title, sizeof(out->title));
	if (!out->title[0])
		snprintf(out->title, sizeof(out->title), "rule %s", idtext);
	copy_str(json_object_get(rule, "category"), out->kind, sizeof(out->kind));
	out->severity = severity_of(json_object_get(json_object_get(root, "event"), "severity"), 3);
	copy_str(json_object_get(json_object_get(root, "source"), "ip"), out->src_ip,
		 sizeof(out->src_ip));
	copy_str(json_object_get(json_object_get(root, "destination"), "ip"), out->dest_ip,
		 sizeof(out->dest_ip));
	return 0;
}

int correlate_parse_alert(const struct classmap *classes, const char *body, size_t len,
			  struct incident_alert *out)
{
	json_error_t err;
	json_t *root = json_loadb(body, len, 0, &err);
	int rc = -1;
	memset(out, 0, sizeof(*out));
	if (!json_is_object(root))
		goto out;
	json_t *a = json_object_get(root, "alert"), *rule = json_object_get(root, "rule");
	if (json_is_object(a))
		rc = parse_eve(classes, root, a, out);
	else if (json_is_object(rule))
		rc = parse_ecs(root, rule, out);
out:
	json_decref(root);
	return rc;
}

static int parse(void *arg, const char *body, size_t len, struct incident_alert *out)
{
	struct correlate *c = arg;
	return correlate_parse_alert(c->cfg.classes, body, len, out);
}

/* One pass; true when there is more to read at once. */
static bool round_fn(void *arg)
{
	struct correlate *c = arg;
	struct correlate_result r;
	int rc = store_correlate(c->cfg.store, &c->params, srv_now_us(), &r);
	if (rc < 0) {
		if (!c->failing)
			ot_warn("correlate: the pass failed (%s); trying again every second",
				store_strerror(rc));
		c->failing = true;
		return false;
	}
	if (c->failing)
		ot_notice("correlate: working again");
	c->failing = false;
	if (r.alerts || r.skipped)
		ot_info("correlate: %u events, %u alerts, %u new incidents, %u notifications queued"
			"%s", r.events, r.alerts, r.created, r.queued,
			r.skipped ? " (some alerts could not be read)" : "");
	if (r.queued && c->cfg.queued)
		c->cfg.queued(c->cfg.queued_arg);
	return r.more;
}

struct correlate *correlate_start(const struct correlate_cfg *cfg)
{
	struct correlate *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->params = (struct correlate_params){
		.window_us = cfg->window_us,
		.hole_wait_us = HOLE_WAIT_US,
		.hole_keep_us = HOLE_KEEP_US,
		.batch = BATCH,
		.max_alerts = MAX_ALERTS,
		.parse = parse,
		.arg = c,
	};
	if (!(c->w = worker_start("correlate", 1000, round_fn, c))) {
		free(c);
		return NULL;
	}
	return c;
}

void correlate_wake(struct correlate *c)
{
	if (c)
		worker_wake(c->w);
}

void correlate_stop(struct correlate *c)
{
	if (!c)
		return;
	worker_stop(c->w);
	free(c);
}
