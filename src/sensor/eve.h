/*
 * eve.h - the common head of every network EVE event: timestamp, flow_id,
 * pcap_cnt, event_type, vlan, 5-tuple and proto, in Suricata's spelling.
 */
#ifndef OT_EVE_H
#define OT_EVE_H

#include "../lib/json.h"
#include "packet.h"
#include "flow.h"

/*
 * Open the top-level object and write the header.  p or f may be NULL.
 * The time is ts when given, else the packet's, else the flow's last.
 * The 5-tuple comes from the flow (oriented by dir: 0 = client as source,
 * 1 = server as source) or, without a flow, from the packet as it is.
 */
void eve_header(struct jw *w, const char *event_type, const struct timeval *ts,
		const struct packet *p, const struct flow *f, int dir);

/*
 * Who writes the events: the sensor's id ("host") and the customer's id
 * ("tenant"), on every event (DESIGN's envelope).  Set once at start-up,
 * before any pipeline runs; NULL leaves the field out.
 */
void eve_set_identity(const char *host, const char *tenant);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP", "GRE", or the number as text. */
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

#endif
