/*
 * retention.h - the thread that deletes events past each tenant's
 * retention (store_retention_run), once shortly after start and then every
 * interval, and logs what it removed.  A run that fails is logged and
 * tried again at the next interval; nothing else waits for it.
 */
#ifndef OT_RETENTION_H
#define OT_RETENTION_H

#include "store.h"

struct retention;

/* Start the thread: default_days for tenants without their own,
 * interval_s between runs.  NULL when it cannot start (logged). */
struct retention *retention_start(struct store *s, unsigned default_days, unsigned interval_s);
/* Stop it (waiting for a run in progress to finish its chunk) and free. */
void retention_stop(struct retention *r);

#endif
