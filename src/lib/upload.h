/*
 * upload.h - the thread that empties a spool (spool.h) into otasuked.
 *
 * It sends the oldest sealed batch as `POST /api/v1/events` (gzip NDJSON,
 * X-Otasuke-Batch: the batch's id, the same on every retry; mutual TLS,
 * see https.h) and deletes it from the spool only after a 200, which the
 * server gives once the batch is durably stored (docs/wire-protocol.md).
 * Everything else means "not stored":
 *
 *  - 413 (too large for the server's limits, which may be lower than the
 *    device's batch settings, or a proxy's): the batch is sent in halves,
 *    and halves of halves, down to single events; an event the server
 *    refuses on its own can never be delivered, so it is dropped with an
 *    error and counted (`refused`) - kept, it would block every batch
 *    behind it for good.  The batch leaves the spool once every piece is
 *    stored or refused (see send_split in upload.c).
 *  - 429: waits as long as Retry-After says (else as a failure).
 *  - anything else (no answer, TLS failure, 5xx, 401/403...): retried after
 *    an exponential backoff with jitter, between min_delay_ms and
 *    max_delay_ms.  A batch is checked whole before it is sent (spool.h),
 *    so a refusal of its content (415) is the server's to fix: the batch
 *    waits rather than being lost.
 *
 * The thread also closes the batch being filled when it is old enough
 * (spool_tick), so a quiet device still delivers within the batch age.
 * The capture never waits on the network: it only appends to the spool.
 */
#ifndef OT_UPLOAD_H
#define OT_UPLOAD_H

#include <stdint.h>

struct spool;

struct upload_cfg {
	const char *url;            /* otasuked's base URL: https://host:port */
	const char *ca_file;        /* the server's CA (pinned) */
	const char *cert_file;      /* the device's certificate, from enrollment */
	const char *key_file;       /* and its key */
	unsigned timeout;           /* seconds for one request */
	unsigned min_delay_ms;      /* first retry delay */
	unsigned max_delay_ms;      /* the backoff's cap */
};

struct upload_stats {
	uint64_t batches;           /* acknowledged by the server */
	uint64_t events;            /* lines the server accepted in them */
	uint64_t rejected;          /* lines it rejected one by one (not JSON objects...) */
	uint64_t duplicates;        /* batches it already had (a retry after a lost answer) */
	uint64_t retries;           /* attempts that failed and will be repeated */
	uint64_t splits;            /* batches halved after a 413 */
	uint64_t refused;           /* single events the server refuses as too large: dropped */
	long last_status;           /* HTTP status of the last attempt, 0 when none came */
};

struct uploader;

/* Start the thread on sp (which must outlive it); NULL on failure (logged). */
struct uploader *upload_start(struct spool *sp, const struct upload_cfg *cfg);
/*
 * Stop: keep sending for at most drain_seconds while batches wait (the
 * caller flushes the spool first), then end the thread and free.  What is
 * left stays in the spool for the next start (logged).
 */
void upload_stop(struct uploader *u, unsigned drain_seconds);
void upload_get_stats(struct uploader *u, struct upload_stats *st);

#endif
