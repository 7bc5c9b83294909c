/*
 * api-events.c - POST /api/v1/events: a batch of events from an enrolled
 * device (docs/wire-protocol.md).
 *
 * The headers are checked before the body is read (type, encoding, batch
 * id, the device's rate), then the body is parsed (ingest.c) outside any
 * database lock, and the good events are stored with the batch's record in
 * one transaction.  200 goes out only after that commit; a batch id seen
 * before from the same device is answered as it was then, and nothing is
 * stored again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "srv-time.h"
#include "../lib/log.h"

#define BATCH_ID_LEN 32

/* The request's gzip flag; -1 for an encoding not accepted. */
static int encoding(struct http_req *r)
{
	const char *e = http_header(r, "Content-Encoding");
	if (!e || !strcasecmp(e, "identity"))
		return 0;
	if (!strcasecmp(e, "gzip"))
		return 1;
	return -1;
}

static bool batch_id_ok(const char *s)
{
	if (!s || strlen(s) != BATCH_ID_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

void api_events_head(struct http_req *r)
{
	const char *type = http_header(r, "Content-Type");
	size_t tl = strlen("application/x-ndjson");
	if (!type || strncasecmp(type, "application/x-ndjson", tl) ||
	    (type[tl] && type[tl] != ';' && type[tl] != ' ')) {
		http_error(r, 415, "unsupported_media_type",
			   "the body must be NDJSON (Content-Type: application/x-ndjson)");
		return;
	}
	if (encoding(r) < 0) {
		http_error(r, 415, "unsupported_media_type",
			   "Content-Encoding must be gzip or identity");
		return;
	}
	if (!batch_id_ok(http_header(r, "X-Otasuke-Batch"))) {
		http_error(r, 400, "bad_batch_id",
			   "X-Otasuke-Batch must be 32 lowercase hexadecimal digits");
		return;
	}
	unsigned wait = rl_check(r->srv->rl, r->device.id, srv_now_us());
	if (wait) {
		r->retry_after = wait;
		http_error(r, 429, "rate_limited", "this device sends more than it may; "
			   "retry in %u seconds", wait);
	}
}

static void answer(struct http_req *r, const char *batch, uint32_t accepted, bool dup,
		   const char *rejected)
{
	char *text = NULL;
	if (asprintf(&text, "{\"batch\":\"%s\",\"accepted\":%u,\"duplicate\":%s,\"rejected\":%s}",
		     batch, accepted, dup ? "true" : "false", rejected) < 0) {
		http_error(r, 500, "internal", "out of memory");
		return;
	}
	http_reply(r, 200, text);
}

void api_events_body(struct http_req *r)
{
	struct srv *srv = r->srv;
	struct ingest_result res;
	const char *batch = http_header(r, "X-Otasuke-Batch");
	char *rejected = NULL;

	enum ingest_status st = ingest_parse(r->body ? r->body : "", r->len, encoding(r) == 1,
					     &srv->limits, r->device.tenant_id, r->device.id, &res);
	switch (st) {
	case INGEST_OK:
		break;
	case INGEST_TOO_LARGE:
		http_error(r, 413, "too_large", "%s", res.why ? res.why : "the batch is too large");
		goto out;
	case INGEST_BAD_ENCODING:
		http_error(r, 415, "bad_encoding", "%s", res.why ? res.why : "bad gzip stream");
		goto out;
	default:
		r->retry_after = 5;
		http_error(r, 503, "unavailable", "out of memory; retry later");
		goto out;
	}
	if (!(rejected = ingest_rejected_json(&res))) {
		r->retry_after = 5;
		http_error(r, 503, "unavailable", "out of memory; retry later");
		goto out;
	}
	struct store_batch b = {
		.tenant_id = r->device.tenant_id,
		.device_id = r->device.id,
		.batch_id = batch,
		.received_us = srv_now_us(),
		.accepted = (uint32_t)res.nev,
		.rejected = (uint32_t)res.nrej,
		.rejected_json = rejected,
	};
	struct store_batch_seen seen = { 0 };
	bool dup = false;
	if (store_batch_ingest(srv->store, &b, res.ev, res.nev, &dup, &seen) < 0) {
		r->retry_after = 5;
		http_error(r, 503, "unavailable", "storage is unavailable; retry later");
		goto out;
	}
	if (dup) {
		answer(r, batch, seen.accepted, true, seen.rejected_json);
		free(seen.rejected_json);
	} else {
		rl_charge(srv->rl, r->device.id, res.nev, b.received_us);
		for (size_t i = 0; i < res.nev; i++) {
			if (!strcmp(res.ev[i].event_type, "alert")) {
				correlate_wake(srv->correlate);
				break;
			}
		}
		answer(r, batch, b.accepted, false, rejected);
		ot_debug("device %s batch %s: %u accepted, %u rejected", r->device.id, batch,
			 b.accepted, b.rejected);
	}
out:
	free(rejected);
	ingest_result_free(&res);
}
