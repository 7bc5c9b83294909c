/*
 * flow.h - bidirectional flows keyed on the 5-tuple plus VLAN ids.
 *
 * The flow table (flow.c) finds or creates the flow of each decoded packet,
 * counts packets and bytes per direction, tracks state (new, established,
 * closed) and expires flows by per-protocol, per-state timeouts, evicting
 * the oldest under a memory cap.  A flow that ends is handed to the flow
 * logger, which writes its EVE `flow` event.
 */
#ifndef OT_FLOW_H
#define OT_FLOW_H

#include <stdint.h>
#include <stdbool.h>
#include <sys/time.h>

#include "addr.h"
#include "applayer.h"

enum flow_state { FLOW_NEW = 0, FLOW_ESTABLISHED, FLOW_CLOSED, FLOW_BYPASSED };
enum flow_end_reason { FLOW_END_TIMEOUT = 0, FLOW_END_SHUTDOWN, FLOW_END_FORCED };

struct flow_key {
	struct ot_addr a, b;        /* a = client (initiator), b = server */
	uint16_t ap, bp;
	uint16_t vlan[3];
	uint8_t proto;
	uint8_t ip_ver;
	uint8_t depth;              /* tunnel recursion, when tracked */
};

struct tcp_session;

struct flow {
	struct flow_key key;
	uint64_t flow_id;
	struct timeval start, last;
	uint64_t pkts[2], bytes[2];
	uint8_t state;              /* enum flow_state */
	uint8_t tcp_flags[2];       /* OR of all TCP flags seen, per direction */
	uint8_t vlan_cnt;
	bool alerted;
	bool passed;                /* a pass rule matched: detection stopped for the flow */
	uint8_t icmp_type, icmp_code;   /* of the first packet (ICMP flows) */
	uint8_t icmp_resp_type, icmp_resp_code;  /* of the first reply */
	bool icmp_query;            /* ICMP request/reply flow: icmp_client asked */
	struct ot_addr icmp_client;

	/* TCP */
	struct tcp_session *tcp;

	/* application layer */
	uint8_t app_proto;          /* enum app_proto: the flow's protocol */
	uint8_t app_proto_ts, app_proto_tc;   /* what each direction looked like */
	uint8_t app_proto_orig;     /* before a protocol change, or APP_UNKNOWN */
	bool app_done[2];           /* detection finished for the direction */
	bool app_mismatch[2];       /* the direction speaks another protocol */
	uint8_t *app_buf[2];        /* bytes kept while detection needs more */
	uint32_t app_buf_len[2];
	const struct app_parser *parser;
	void *app_state;
	bool app_error;             /* parser gave up */
	bool app_flip;              /* the app layer found client and server
				       reversed: its directions are the stream's
				       ^ 1 until the flow is swapped */

	/* detection state (flowbits, flowints, tx cursors), detect-engine.c;
	   freed by detect_flow_free() */
	void *detect;

	/* table internals */
	struct flow *hnext;         /* hash chain */
	struct flow *lprev, *lnext; /* LRU list, most recent at the head */
	uint32_t hash;
	uint64_t last_ms;
};

#endif
