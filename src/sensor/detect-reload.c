/*
 * detect-reload.c - rule reloads on a signal (see detect-reload.h).
 *
 * Two threads meet here.  The reload thread waits for the signal with
 * sigwait() (the signals are blocked everywhere, so no handler runs in the
 * middle of a packet), loads and builds, then offers the result under a
 * mutex and raises a flag.  The pipeline looks at the flag between packets
 * (and on idle ticks of a live capture); when it is up it takes the offer
 * under the same mutex, swaps, hands back what it used so far, and wakes
 * the reload thread, which frees that.  The pipeline never waits for a
 * reload: it only pays for renumbering flow state, which is a walk over
 * the flows with precomputed tables.
 *
 * The reload thread alone builds and frees engines, and it knows which
 * engine the pipeline uses (the one it started from, then each it handed
 * over), so it can compute the renumbering tables without touching the
 * pipeline's state.
 */
#include "detect-reload.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect-engine.h"
#include "detect-parse.h"
#include "sensor.h"
#include "sensor-config.h"
#include "../lib/config.h"
#include "../lib/log.h"

struct detect_reload {
	struct sensor *s;
	const struct detect_reload_src *src;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending;                /* atomic: an offer waits for the pipeline */
	unsigned failures;          /* atomic */
	/* under mu */
	bool quit;
	bool offered, taken;
	struct ruleset *rs;
	struct detect_engine *de;
	struct detect_remap map;
	struct ruleset *old_rs;
	struct detect_engine *old_de;
	/* the reload thread's own */
	const struct detect_engine *cur;    /* what the pipeline uses */
};

static void reload_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR2);
}

void detect_reload_block_signals(void)
{
	sigset_t set;
	reload_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void refuse(struct detect_reload *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct detect_reload *r, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
	ot_err("reload refused: %s; the rules in use stay", why);
}

int detect_remap_build(struct detect_remap *m, const struct detect_engine *from,
		       const struct detect_engine *to)
{
	memset(m, 0, sizeof(*m));
	for (int k = 0; k < DETECT_VAR_KINDS; k++) {
		char *const *names;
		size_t n = detect_engine_var_names(from, (enum detect_var_kind)k, &names);
		int *ids = malloc((n ? n : 1) * sizeof(*ids));
		if (!ids)
			return -1;
		for (size_t i = 0; i < n; i++)
			ids[i] = detect_engine_var_id(to, (enum detect_var_kind)k, names[i]);
		m->id[k] = ids;
		m->n[k] = n;
	}
	return 0;
}

void detect_remap_free(struct detect_remap *m)
{
	for (int k = 0; k < DETECT_VAR_KINDS; k++)
		free((void *)m->id[k]);
	memset(m, 0, sizeof(*m));
}

/* Offer rs/de to the pipeline and wait until it took them (true) or the
 * thread is stopped (false: they are not taken).  The offer is announced
 * once it is up: from then on, the next packet is matched by rs. */
static bool offer(struct detect_reload *r, struct ruleset *rs, struct detect_engine *de,
		  struct detect_remap *map, struct ruleset **old_rs, struct detect_engine **old_de,
		  double build_ms)
{
	bool taken;
	pthread_mutex_lock(&r->mu);
	r->rs = rs;
	r->de = de;
	r->map = *map;
	r->offered = true;
	r->taken = false;
	__atomic_store_n(&r->pending, 1, __ATOMIC_RELEASE);
	ot_notice("reload: %zu rules ready in %.0f ms; they take over at the next packet",
		  rs ? rs->nrules : 0, build_ms);
	while (!r->taken && !r->quit)
		pthread_cond_wait(&r->cv, &r->mu);
	taken = r->taken;
	__atomic_store_n(&r->pending, 0, __ATOMIC_RELAXED);
	r->offered = r->taken = false;
	*old_rs = r->old_rs;
	*old_de = r->old_de;
	r->old_rs = NULL;
	r->old_de = NULL;
	pthread_mutex_unlock(&r->mu);
	return taken;
}

static void reload_once(struct detect_reload *r)
{
	const struct detect_reload_src *src = r->src;
	double t0 = now_ms();
	int problems, broken;
	bool none;
	struct detect_remap map;
	struct ruleset *old_rs = NULL;
	struct detect_engine *de = NULL, *old_de = NULL;

	memset(&map, 0, sizeof(map));
	ot_notice("reload: reading the configuration and the rules again");
	struct ot_config *cfg = sensor_config_load(src->config, src->sets, src->nsets, &problems);
	if (!cfg || problems) {
		refuse(r, "the configuration %s has %d problem%s (above)",
		       src->config ? src->config : "(command line)", problems, problems == 1 ? "" : "s");
		cfg_free(cfg);
		return;
	}
	struct ruleset *rs = detect_load(&src->rules, cfg, &none, &broken);
	cfg_free(cfg);
	if (!rs && !none) {
		refuse(r, "a file of the rules or of the reputation cannot be used (above)");
		return;
	}
	if (broken) {
		refuse(r, "%d rule file%s %s rules of which none can be used (above)", broken,
		       broken == 1 ? "" : "s", broken == 1 ? "has" : "have");
		ruleset_free(rs);
		return;
	}
	if ((rs && !(de = sensor_engine_new(r->s, rs))) || detect_remap_build(&map, r->cur, de) < 0) {
		refuse(r, "the new engine could not be built");
		detect_remap_free(&map);
		detect_engine_free(de);
		ruleset_free(rs);
		return;
	}
	double built = now_ms();
	size_t nrules = rs ? rs->nrules : 0;
	if (!offer(r, rs, de, &map, &old_rs, &old_de, built - t0)) {
		/* stopped before the pipeline took it */
		detect_remap_free(&map);
		detect_engine_free(de);
		ruleset_free(rs);
		return;
	}
	r->cur = de;
	detect_remap_free(&map);
	detect_engine_free(old_de);
	ruleset_free(old_rs);
	/* a ruleset is many small blocks: give what the old one held back to
	 * the system, or the sensor would keep the room of two */
	malloc_trim(0);
	ot_notice("reload done: %zu rules in use since %.0f ms after they were ready",
		  nrules, now_ms() - built);
}

static void *reload_main(void *arg)
{
	struct detect_reload *r = arg;
	sigset_t all, wait;
	/* SIGINT and SIGTERM are the pipeline's to receive */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	reload_signals(&wait);
	for (;;) {
		int sig;
		if (sigwait(&wait, &sig) != 0)
			continue;
		pthread_mutex_lock(&r->mu);
		bool quit = r->quit;
		pthread_mutex_unlock(&r->mu);
		if (quit)
			break;
		reload_once(r);
	}
	return NULL;
}

struct detect_reload *detect_reload_start(struct sensor *s, const struct detect_reload_src *src)
{
	struct detect_reload *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->s = s;
	r->src = src;
	r->cur = sensor_engine(s);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	int e = pthread_create(&r->thread, NULL, reload_main, r);
	if (e) {
		ot_err("cannot start the rule reload thread: %s", strerror(e));
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		free(r);
		return NULL;
	}
	sensor_set_reload(s, r);
	return r;
}

void detect_reload_stop(struct detect_reload *r)
{
	if (!r)
		return;
	sensor_set_reload(r->s, NULL);
	pthread_mutex_lock(&r->mu);
	r->quit = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	/* wakes sigwait(), now or when the reload under way ends */
	pthread_kill(r->thread, SIGHUP);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

void detect_reload_poll(struct detect_reload *r)
{
	if (!__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&r->mu);
	if (r->offered && !r->taken) {
		sensor_swap_rules(r->s, r->rs, r->de, &r->map, &r->old_rs, &r->old_de);
		r->taken = true;
		__atomic_store_n(&r->pending, 0, __ATOMIC_RELAXED);
		pthread_cond_signal(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
}

unsigned detect_reload_failures(const struct detect_reload *r)
{
	return __atomic_load_n(&r->failures, __ATOMIC_RELAXED);
}
