/*
 * flow-table.h - finding, timing out and evicting flows (see flow.h).
 */
#ifndef OT_FLOW_TABLE_H
#define OT_FLOW_TABLE_H

#include <stdint.h>
#include <stdbool.h>

#include "flow.h"
#include "packet.h"

enum { FLOW_PROTO_TCP = 0, FLOW_PROTO_UDP, FLOW_PROTO_ICMP, FLOW_PROTO_OTHER, FLOW_PROTO_MAX };
enum { FLOW_TO_NEW = 0, FLOW_TO_ESTABLISHED, FLOW_TO_CLOSED, FLOW_TO_MAX };

struct flow_cfg {
	uint32_t hash_size;                 /* buckets (rounded up to a power of 2) */
	uint64_t memcap;                    /* bytes of flows at most */
	uint32_t timeout[FLOW_PROTO_MAX][FLOW_TO_MAX];  /* seconds */
	bool track_vlan;                    /* vlan ids are part of the key */
	bool track_depth;                   /* tunnel depth is part of the key */
};

/* Called when a flow ends, before it is freed (log it, flush its streams). */
typedef void (*flow_end_fn)(void *arg, struct flow *f, enum flow_end_reason reason);

struct flow_stats {
	uint64_t created, ended_timeout, ended_forced, ended_shutdown, reused,
		 memcap_evictions, active, peak;
};

struct flow_table;

void flow_cfg_defaults(struct flow_cfg *cfg);
struct flow_table *flow_table_new(const struct flow_cfg *cfg, flow_end_fn on_end, void *arg);
/* Ends every flow (reason shutdown) and frees the table. */
void flow_table_free(struct flow_table *ft);

/*
 * The flow of p, created when new (the sender of the first packet is the
 * client, unless it is a SYN/ACK); sets p->flow and p->dir and counts the
 * packet in the flow.  NULL only when memory is exhausted.
 */
struct flow *flow_handle_packet(struct flow_table *ft, struct packet *p);

/* End flows idle past their timeout at time now (seconds); cheap when none. */
void flow_table_timeout(struct flow_table *ft, const struct timeval *now);
/* End every flow with the given reason. */
void flow_table_end_all(struct flow_table *ft, enum flow_end_reason reason);
/* Call fn on every flow (which it must not end or free). */
void flow_table_each(struct flow_table *ft, void (*fn)(void *arg, struct flow *f), void *arg);

/* Swap the flow's client and server: addresses, counters and TCP streams
 * (the application layer keeps its own view, see flow.app_flip). */
void flow_swap(struct flow *f);

const struct flow_stats *flow_table_stats(const struct flow_table *ft);

#endif
