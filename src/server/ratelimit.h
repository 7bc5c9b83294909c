/*
 * ratelimit.h - a token bucket per device, so that one device flooding the
 * server (a bug, a loop, a stolen certificate) cannot starve the others.
 *
 * Each device's bucket fills at `rate` events per second up to `burst`.
 * A batch is let in while the bucket is not in debt; once stored, its
 * events are taken from the bucket, which may go below zero.  The next batch
 * then waits (429 with Retry-After) until the debt is paid back.  The size
 * of a batch is known only once it is read, so this is the fair way to
 * count it without reading bodies only to refuse them.
 *
 * The buckets live in this process: several servers behind a load balancer
 * each let a device have its own rate.
 */
#ifndef OT_RATELIMIT_H
#define OT_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* rate: per second, may be below 1 (0: no limit). */
struct ratelimit *rl_new(double rate, uint64_t burst);
void rl_free(struct ratelimit *rl);

/* 0 when key may send a batch now, else the seconds to wait (>= 1). */
unsigned rl_check(struct ratelimit *rl, const char *key, int64_t now_us);
/* Take n events from key's bucket. */
void rl_charge(struct ratelimit *rl, const char *key, uint64_t n, int64_t now_us);

#endif
