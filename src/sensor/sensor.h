/*
 * sensor.h - one packet pipeline: decode -> flow -> stream -> app layer ->
 * output.  A pipeline is single-threaded and owns all its state (the
 * decoder's fragment table, the flow table, the stream memory, the scratch
 * JSON writers), so several can run side by side without locks.
 */
#ifndef OT_SENSOR_H
#define OT_SENSOR_H

#include <stdio.h>
#include <stdint.h>
#include <sys/time.h>

#include "packet.h"

struct ot_config;
struct sensor;

/* A pipeline configured from cfg, writing into logdir; NULL on failure
 * (logged). */
struct sensor *sensor_new(const struct ot_config *cfg, const char *logdir);
/* Process one captured packet (p->data, caplen, wirelen, datalink, ts and
 * pcap_cnt set). */
void sensor_packet(struct sensor *s, struct packet *p);
/* Time passes without packets (live capture): expire idle flows. */
void sensor_tick(struct sensor *s, const struct timeval *now);
/* End every flow, write the closing stats event and flush the outputs. */
void sensor_finish(struct sensor *s);
void sensor_free(struct sensor *s);

struct ruleset;
struct detect_engine;
struct detect_remap;
struct detect_reload;
/* Match packets against rs from now on (NULL: no detection); the pipeline
 * takes rs and frees it with itself or when rules are replaced.  0, or -1
 * when the engine cannot be built (logged). */
int sensor_set_rules(struct sensor *s, struct ruleset *rs);
/* An engine for rs whose alerts go to s's outputs.  Any thread may build
 * one: it reads rs only.  NULL on failure (logged). */
struct detect_engine *sensor_engine_new(struct sensor *s, const struct ruleset *rs);
/* The engine in use (NULL: none). */
const struct detect_engine *sensor_engine(const struct sensor *s);
/*
 * Match with rs and de (built by sensor_engine_new from rs; both taken)
 * from now on: every flow's detection state is renumbered with map, and
 * the ruleset and engine used so far are handed back in *old_rs and
 * *old_de for the caller to free.  On the pipeline's thread, between two
 * packets (detect-reload.c does it).
 */
void sensor_swap_rules(struct sensor *s, struct ruleset *rs, struct detect_engine *de,
		       const struct detect_remap *map, struct ruleset **old_rs,
		       struct detect_engine **old_de);
/* Take new rules from r (detect-reload.h) between packets from now on. */
void sensor_set_reload(struct sensor *s, struct detect_reload *r);

/* A short summary for people: what was read and what was seen. */
void sensor_summary(const struct sensor *s, FILE *out);

struct sensor_counts {
	uint64_t pkts, bytes, flow_pkts, noflow_pkts, invalid_pkts, frag_held;
	uint64_t flows, events;
};
void sensor_counts(const struct sensor *s, struct sensor_counts *c);

#endif
