/*
 * api.h - the routes of otasuked's HTTP API, and what their handlers
 * share: the server's store, CA, limits and rate limiter (struct srv).
 * Each route is one file (api-<name>.c) and one row of api_routes[]
 * (api.c).  See docs/wire-protocol.md for what devices send and receive.
 */
#ifndef OT_API_H
#define OT_API_H

#include <stdatomic.h>

#include "ca.h"
#include "correlate.h"
#include "http.h"
#include "ingest.h"
#include "ratelimit.h"
#include "store.h"

struct srv {
	struct store *store;
	struct ca *ca;
	struct ratelimit *rl;
	struct ingest_limits limits;
	size_t max_upload;         /* largest body of an upload, compressed */
	size_t max_buffered;       /* bodies held in memory at once, all requests */
	atomic_size_t buffered;
	struct correlate *correlate; /* woken when a batch brings alerts */
};

extern const struct http_route api_routes[];
extern const size_t api_nroutes;

/* POST /api/v1/enroll */
void api_enroll_body(struct http_req *r);
/* POST /api/v1/events */
void api_events_head(struct http_req *r);
void api_events_body(struct http_req *r);

#endif
