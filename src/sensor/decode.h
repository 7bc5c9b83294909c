/*
 * decode.h - turning a captured frame into a struct packet.
 *
 * decode_packet() walks the link layer named by p->datalink (Ethernet, Linux
 * SLL/SLL2, raw IP, null/loopback), VLAN/QinQ tags, ARP, IPv4 (with fragment
 * reassembly), IPv6 (extension headers, fragments), TCP, UDP, ICMPv4/v6 and
 * the tunnels GRE (incl. ERSPAN I/II/III), IP-in-IP (4in4, 6in4, 4in6, 6in6),
 * Teredo and VXLAN (when enabled).  A tunnel is decoded in place: the inner
 * headers replace the outer ones in the packet and p->depth is raised, so the
 * flow is tracked on the innermost packet.
 *
 * Every length is checked against the captured bytes.  Anything malformed adds
 * a decoder event to the packet (decode_event_add) with Suricata's name for it
 * ("decoder.ipv4.trunc_pkt", ...) which the anomaly logger writes out; the
 * packet is still counted and the sensor goes on.
 */
#ifndef OT_DECODE_H
#define OT_DECODE_H

#include <stdint.h>
#include <stdbool.h>

#include "packet.h"

struct defrag;

struct decode_cfg {
	bool checksum_validate;     /* drop-to-invalid on bad checksums (-k) */
	bool vxlan;                 /* decode VXLAN on vxlan_ports */
	uint16_t vxlan_ports[4];
	bool teredo;
	bool gre;
	bool erspan;
	bool track_depth;           /* decoder.recursion-level.use-for-tracking */
	uint32_t defrag_memcap;     /* bytes of fragments held at most */
	uint32_t defrag_timeout;    /* seconds a fragment waits for the rest */
};

struct decode_stats {
	uint64_t pkts, bytes;
	uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6, arp, gre, vlan, tunnels;
	uint64_t other;             /* not IP: counted, no flow */
	uint64_t invalid;           /* decoding stopped on an error */
	uint64_t frag_held;         /* fragments held by reassembly (no flow),
	                             * including ones it refused (memcap, caps) */
	uint64_t frag_reassembled;  /* datagrams completed */
	uint64_t frag_dropped;      /* fragments given up (timeout, memcap, overlap) */
	/*
	 * Every call ends in exactly one of ok/noflow/invalid, and every
	 * DECODE_NOFLOW in exactly one of arp/other/frag_held, so
	 * pkts == ok + noflow + invalid and noflow == arp + other + frag_held.
	 * The per-protocol counters above and below count headers seen, at
	 * every layer (a GRE-tunnelled ICMP packet counts two ipv4).
	 */
	uint64_t ok, noflow;
	uint64_t ethernet, sll, null, raw, ppp, pppoe, mpls, nsh, etag, ieee8021ah;
	uint64_t sctp, erspan, vxlan, teredo, ipip;
	uint64_t unknown_ethertype;
};

struct decode_ctx {
	struct decode_cfg cfg;
	struct decode_stats stats;
	struct defrag *defrag;
};

enum decode_result {
	DECODE_OK = 0,        /* IP packet with transport decoded: track it */
	DECODE_NOFLOW = 1,    /* counted but not flow-tracked (ARP, non-IP, held fragment) */
	DECODE_INVALID = -1,  /* malformed: events say why */
};

void decode_cfg_defaults(struct decode_cfg *cfg);
int decode_ctx_init(struct decode_ctx *dc, const struct decode_cfg *cfg);
void decode_ctx_destroy(struct decode_ctx *dc);

/*
 * Decode p (p->data, caplen, datalink, ts set by the caller; the rest is
 * cleared here).  A fragment that completes a datagram turns p into the
 * reassembled packet (p->owned holds the buffer; packet_release frees it).
 */
enum decode_result decode_packet(struct decode_ctx *dc, struct packet *p);
void packet_release(struct packet *p);

/* Expire fragments older than the timeout, as of now. */
void decode_defrag_timeout(struct decode_ctx *dc, const struct timeval *now);

/* Decoder events */
void decode_event_add(struct packet *p, uint16_t ev);
const char *decode_event_name(uint16_t ev);

enum decode_event {
	DEV_NONE = 0,
	DEV_ETH_PKT_TOO_SMALL,
	DEV_VLAN_HEADER_TOO_SMALL,
	DEV_VLAN_UNKNOWN_TYPE,
	DEV_VLAN_TOO_MANY_LAYERS,
	DEV_SLL_PKT_TOO_SMALL,
	DEV_ARP_PKT_TOO_SMALL,
	DEV_IPV4_PKT_TOO_SMALL,
	DEV_IPV4_HLEN_TOO_SMALL,
	DEV_IPV4_IPLEN_SMALLER_THAN_HLEN,
	DEV_IPV4_TRUNC_PKT,
	DEV_IPV4_OPT_INVALID,
	DEV_IPV4_OPT_INVALID_LEN,
	DEV_IPV4_WRONG_IP_VERSION,
	DEV_IPV4_FRAG_PKT_TOO_LARGE,
	DEV_IPV4_FRAG_OVERLAP,
	DEV_IPV4_FRAG_IGNORED,
	DEV_IPV6_PKT_TOO_SMALL,
	DEV_IPV6_TRUNC_PKT,
	DEV_IPV6_TRUNC_EXTHDR,
	DEV_IPV6_EXTHDR_DUPL_FH,
	DEV_IPV6_EXTHDR_INVALID_OPTLEN,
	DEV_IPV6_WRONG_IP_VERSION,
	DEV_IPV6_FRAG_PKT_TOO_LARGE,
	DEV_IPV6_FRAG_OVERLAP,
	DEV_IPV6_FRAG_INVALID_LENGTH,
	DEV_IPV6_ZERO_LEN_PADN,
	DEV_IPV6_UNKNOWN_NEXT_HEADER,
	DEV_IPV6_DATA_AFTER_NONE_HEADER,
	DEV_ICMPV4_PKT_TOO_SMALL,
	DEV_ICMPV4_UNKNOWN_TYPE,
	DEV_ICMPV4_UNKNOWN_CODE,
	DEV_ICMPV6_PKT_TOO_SMALL,
	DEV_ICMPV6_UNKNOWN_TYPE,
	DEV_ICMPV6_UNKNOWN_CODE,
	DEV_TCP_PKT_TOO_SMALL,
	DEV_TCP_HLEN_TOO_SMALL,
	DEV_TCP_INVALID_OPTLEN,
	DEV_TCP_OPT_INVALID_LEN,
	DEV_TCP_OPT_DUPLICATE,
	DEV_UDP_PKT_TOO_SMALL,
	DEV_UDP_HLEN_TOO_SMALL,
	DEV_UDP_HLEN_INVALID,
	DEV_UDP_LEN_INVALID,
	DEV_GRE_PKT_TOO_SMALL,
	DEV_GRE_WRONG_VERSION,
	DEV_GRE_VERSION0_RECUR,
	DEV_GRE_VERSION0_FLAGS,
	DEV_GRE_VERSION0_HDR_TOO_BIG,
	DEV_GRE_VERSION1_CHKSUM,
	DEV_GRE_VERSION1_ROUTE,
	DEV_GRE_VERSION1_SSR,
	DEV_GRE_VERSION1_RECUR,
	DEV_GRE_VERSION1_FLAGS,
	DEV_GRE_VERSION1_NO_KEY,
	DEV_GRE_VERSION1_WRONG_PROTOCOL,
	DEV_GRE_VERSION1_MALFORMED_SRE_HDR,
	DEV_GRE_VERSION1_HDR_TOO_BIG,
	DEV_ERSPAN_HEADER_TOO_SMALL,
	DEV_ERSPAN_UNSUPPORTED_VERSION,
	DEV_ERSPAN_TOO_MANY_VLAN_LAYERS,
	DEV_VXLAN_UNKNOWN_PAYLOAD_TYPE,
	DEV_IPRAW_INVALID_IPV,
	DEV_LINKTYPE_UNKNOWN,
	DEV_TOO_MANY_LAYERS,
	DEV_IPV4_IN_IPV6_WRONG_IP_VER,
	DEV_IPV6_IN_IPV6_WRONG_IP_VER,
	/* added with the decoders */
	DEV_IPV4_ICMPV6,
	DEV_IPV6_ICMPV4,
	DEV_IPV6_FRAG_IGNORED,
	DEV_IPV6_RH_TYPE_0,
	DEV_IPV6_IN_IPV6_TOO_SMALL,
	DEV_IPV4_IN_IPV6_TOO_SMALL,
	DEV_GRE_VERSION0_MALFORMED_SRE_HDR,
	DEV_SCTP_PKT_TOO_SMALL,
	DEV_LTNULL_PKT_TOO_SMALL,
	DEV_LTNULL_UNSUPPORTED_TYPE,
	DEV_PPP_PKT_TOO_SMALL,
	DEV_PPP_UNSUP_PROTO,
	DEV_PPPOE_PKT_TOO_SMALL,
	DEV_PPPOE_WRONG_CODE,
	DEV_CHDLC_PKT_TOO_SMALL,
	DEV_MPLS_HEADER_TOO_SMALL,
	DEV_MPLS_PKT_TOO_SMALL,
	DEV_MPLS_UNKNOWN_PAYLOAD_TYPE,
	DEV_NSH_HEADER_TOO_SMALL,
	DEV_NSH_UNSUPPORTED_VERSION,
	DEV_NSH_BAD_HEADER_LENGTH,
	DEV_NSH_RESERVED_TYPE,
	DEV_NSH_UNSUPPORTED_TYPE,
	DEV_NSH_UNKNOWN_PAYLOAD,
	DEV_ETAG_HEADER_TOO_SMALL,
	DEV_IEEE8021AH_HEADER_TOO_SMALL,
	DEV_PPI_PKT_TOO_SMALL,
	DEV_MAX
};

#endif
