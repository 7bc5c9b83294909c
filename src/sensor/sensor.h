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
/* Match packets against rs from now on (rs must outlive the pipeline; NULL:
 * no detection).  0, or -1 when the engine cannot be built (logged). */
int sensor_set_rules(struct sensor *s, const struct ruleset *rs);

/* A short summary for people: what was read and what was seen. */
void sensor_summary(const struct sensor *s, FILE *out);

struct sensor_counts {
	uint64_t pkts, bytes, flow_pkts, noflow_pkts, invalid_pkts, frag_held;
	uint64_t flows, events;
};
void sensor_counts(const struct sensor *s, struct sensor_counts *c);

#endif
