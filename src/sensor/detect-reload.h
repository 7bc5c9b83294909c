/*
 * detect-reload.h - new rules while the sensor runs, without stopping the
 * packets or forgetting the flows.
 *
 * SIGHUP (or SIGUSR2, Suricata's signal for it) asks for a reload.  A
 * thread of its own then reads the configuration file again (with the
 * command line's --set over it), and from it the variables,
 * classification.config, reference.config, reputation and rule files
 * (detect-load.h), builds a new engine, and offers it to the packet
 * pipeline, which swaps it in between two packets (sensor_swap_rules):
 * flows, TCP streams and protocol state are not touched, and each flow's
 * flowbits and flowints are carried over by name.  The old engine and
 * rules are then freed by the reload thread, off the packet path.  While
 * a reload runs both rule sets are in memory.
 *
 * A reload that cannot be used (a configuration problem, a file that
 * cannot be read, a rule file none of whose rules can be used) is refused
 * with a message saying why, and the rules in use stay.  Only the keys
 * about rules take effect on a reload; the others need a restart.
 */
#ifndef OT_DETECT_RELOAD_H
#define OT_DETECT_RELOAD_H

#include "detect-load.h"

struct sensor;
struct detect_reload;

/* Where the rules come from, again on each reload (must outlive it). */
struct detect_reload_src {
	const char *config;         /* the configuration file, or NULL */
	const char *const *sets;    /* --set KEY=VALUE */
	int nsets;
	struct detect_sources rules;
};

/* Block the reload signals in the calling thread and the threads it
 * starts: call first thing in main(), before any thread. */
void detect_reload_block_signals(void);

/* Start the reload thread for s (which must outlive it, and whose engine
 * in use is the starting point).  NULL on failure (logged). */
struct detect_reload *detect_reload_start(struct sensor *s, const struct detect_reload_src *src);
/* Stop the thread (a reload not yet swapped in is dropped) and free r. */
void detect_reload_stop(struct detect_reload *r);

/* The pipeline, between two packets: swap in the rules a reload offers,
 * if any (one atomic load when there are none). */
void detect_reload_poll(struct detect_reload *r);
/* Reloads refused so far. */
unsigned detect_reload_failures(const struct detect_reload *r);

struct detect_engine;
struct detect_remap;
/* The tables that carry flow state from engine from to engine to, by name
 * (either may be NULL); 0, or -1 when memory ran out (free it anyway). */
int detect_remap_build(struct detect_remap *m, const struct detect_engine *from,
		       const struct detect_engine *to);
void detect_remap_free(struct detect_remap *m);

#endif
