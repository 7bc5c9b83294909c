/*
 * ratelimit.c - see ratelimit.h.  The buckets are a chained hash table
 * keyed by device id, under one mutex: each call is a few arithmetic
 * operations, far less than the database work of the same request.
 * Buckets are never removed; one is a few dozen bytes per device ever seen
 * since the start.
 */
#include "ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096

struct bucket {
	struct bucket *next;
	double tokens;
	int64_t last_us;
	char key[];
};

struct ratelimit {
	double rate, burst;
	pthread_mutex_t lock;
	struct bucket *table[NBUCKETS];
};

struct ratelimit *rl_new(double rate, uint64_t burst)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->rate = rate;
	rl->burst = (double)(burst ? burst : 1);
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void rl_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct bucket *b = rl->table[i];
		while (b) {
			struct bucket *n = b->next;
			free(b);
			b = n;
		}
	}
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* FNV-1a */
static size_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

/* key's bucket, refilled up to now; created full.  NULL: no memory. */
static struct bucket *get(struct ratelimit *rl, const char *key, int64_t now_us)
{
	size_t h = hash(key);
	struct bucket *b;
	for (b = rl->table[h]; b; b = b->next)
		if (!strcmp(b->key, key))
			break;
	if (!b) {
		size_t len = strlen(key) + 1;
		b = malloc(sizeof(*b) + len);
		if (!b)
			return NULL;
		memcpy(b->key, key, len);
		b->tokens = rl->burst;
		b->last_us = now_us;
		b->next = rl->table[h];
		rl->table[h] = b;
	}
	if (now_us > b->last_us) {
		b->tokens += rl->rate * (double)(now_us - b->last_us) / 1e6;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->last_us = now_us;
	}
	return b;
}

unsigned rl_check(struct ratelimit *rl, const char *key, int64_t now_us)
{
	unsigned wait = 0;
	if (!rl->rate)
		return 0;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = get(rl, key, now_us);
	if (b && b->tokens < 0) {
		wait = (unsigned)ceil(-b->tokens / rl->rate);
		if (!wait)
			wait = 1;
	}
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

void rl_charge(struct ratelimit *rl, const char *key, uint64_t n, int64_t now_us)
{
	if (!rl->rate)
		return;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = get(rl, key, now_us);
	if (b)
		b->tokens -= (double)n;
	pthread_mutex_unlock(&rl->lock);
}
