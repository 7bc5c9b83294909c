/*
 * packet.h - one captured packet and what the decoders learned about it.
 *
 * The decoders (decode-*.c) fill this from the raw frame, with every length
 * checked against the captured bytes.  A tunnel (GRE, IP-in-IP, VXLAN,
 * ERSPAN...) is decoded in place: the inner headers replace the outer ones
 * and `depth` counts how deep we are, so flows are tracked on the innermost
 * packet.  Malformed input sets decoder events (decode_event_add) that the
 * anomaly logger writes out.
 */
#ifndef OT_PACKET_H
#define OT_PACKET_H

#include <stdint.h>
#include <stdbool.h>
#include <sys/time.h>

#include "addr.h"

#define PKT_MAX_VLAN 3
#define PKT_MAX_EVENTS 8
#define PKT_MAX_DEPTH 8

struct flow;

struct packet {
	/* capture */
	struct timeval ts;
	uint64_t pcap_cnt;          /* 1-based packet number in the file, 0 live */
	const uint8_t *data;        /* frame as captured */
	uint32_t caplen;
	uint32_t wirelen;
	int datalink;               /* DLT_* of the capture */

	/* layer 2 */
	uint16_t vlan[PKT_MAX_VLAN];
	uint8_t vlan_cnt;
	uint8_t depth;              /* tunnel depth of the headers below */
	uint16_t ethertype;         /* last link-layer protocol walked (0x0800,
	                             * 0x86dd, 0x0806 ARP, ...), 0 if none */

	/* layer 3 */
	uint8_t ip_ver;             /* 4, 6 or 0 (not IP) */
	struct ot_addr src, dst;
	uint8_t proto;              /* IPPROTO_* of the transport */
	uint8_t ttl;                /* TTL / hop limit */
	uint16_t ip_id;
	const uint8_t *l3;
	uint32_t l3_len;            /* bytes of the IP packet (header + payload);
	                             * for ARP (ip_ver 0), the ARP message */
	bool frag;                  /* a fragment (not yet reassembled) */
	bool csum_bad;              /* a checksum was wrong (only when validating) */

	/* layer 4 */
	uint16_t sport, dport;
	const uint8_t *l4;
	uint32_t l4_len;
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint8_t tcp_wscale;         /* from options, 0xff when absent */
	bool tcp_has_ts;
	uint32_t tcp_tsval, tcp_tsecr;
	uint16_t tcp_mss;           /* MSS option, 0 when absent */
	bool tcp_sack_ok;           /* SACK-permitted option */
	uint8_t tcp_sack_cnt;       /* SACK blocks in the SACK option */
	const uint8_t *tcp_sack;    /* the blocks: tcp_sack_cnt x (left, right)
	                             * edges, 4 bytes each, big endian */
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload;
	uint32_t payload_len;

	/* decoder events (anomalies), by id (see decode.h) */
	uint16_t events[PKT_MAX_EVENTS];
	uint8_t event_cnt;

	/* flow */
	struct flow *flow;
	uint8_t dir;                /* 0 to server, 1 to client */

	/* owned buffer when the packet was reassembled from fragments */
	uint8_t *owned;

	/*
	 * The outermost IP layer of a tunnelled packet, valid only when
	 * depth > 0 (not cleared otherwise).  Suricata gives the carrier of a
	 * UDP tunnel (VXLAN, Teredo) a flow of its own and writes it as an
	 * alert's "tunnel" object; sport/dport are 0 for GRE and IP-in-IP.
	 */
	struct {
		struct ot_addr src, dst;
		uint16_t sport, dport;
		uint8_t ip_ver, proto;
		uint32_t len;       /* bytes of the outer IP packet */
	} outer;
};

/* Start a packet from a captured frame; the decoders fill the rest. */
static inline void packet_from_capture(struct packet *p, const struct timeval *ts,
				       const uint8_t *data, uint32_t caplen, uint32_t wirelen,
				       int datalink, uint64_t pcap_cnt)
{
	p->ts = *ts;
	p->pcap_cnt = pcap_cnt;
	p->data = data;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->datalink = datalink;
	p->owned = NULL;
}

#endif
