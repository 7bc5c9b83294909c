/*
 * decode-int.h - what the decoder files share with each other and nobody
 * else: the walk state passed down the layers, the per-layer entry points
 * and the Internet checksum.
 *
 * Each decode_* function takes the bytes of its own header onwards (len is
 * what is left of the captured frame, or of the enclosing length field),
 * fills the packet, calls the next layer and returns that layer's result.
 * Nesting is bounded: tunnels by PKT_MAX_DEPTH, everything else by
 * DECODE_MAX_LAYERS, so the recursion depth is small and fixed.
 */
#ifndef OT_DECODE_INT_H
#define OT_DECODE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"

/* Link/encapsulation headers walked in one packet at most (VLAN tags,
 * MPLS labels, NSH, PPP... each counts one). */
#define DECODE_MAX_LAYERS 24

/* Why a packet ended without a flow; exactly one stats counter each. */
enum noflow_reason { NOFLOW_OTHER = 0, NOFLOW_ARP, NOFLOW_FRAG };

struct dstate {
	struct decode_ctx *dc;
	struct packet *p;
	unsigned layers;
	enum noflow_reason why;
};

#define ETH_P_IPV4 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_RARP 0x8035
#define ETH_P_IPV6 0x86dd
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define ETH_P_QINQ_OLD 0x9100
#define ETH_P_QINQ_OLD2 0x9200
#define ETH_P_MPLS_UC 0x8847
#define ETH_P_MPLS_MC 0x8848
#define ETH_P_PPPOE_DISC 0x8863
#define ETH_P_PPPOE_SESS 0x8864
#define ETH_P_ETAG 0x893f
#define ETH_P_NSH 0x894f
#define ETH_P_8021AH 0x88e7
#define ETH_P_TEB 0x6558        /* transparent Ethernet bridging (GRE) */
#define ETH_P_PPP 0x880b        /* PPP in GRE version 1 */
#define ETH_P_ERSPAN 0x88be     /* ERSPAN type I and II */
#define ETH_P_ERSPAN3 0x22eb

static inline enum decode_result dec_invalid(struct packet *p, uint16_t ev)
{
	decode_event_add(p, ev);
	return DECODE_INVALID;
}

static inline enum decode_result dec_noflow(struct dstate *ds, enum noflow_reason why)
{
	ds->why = why;
	return DECODE_NOFLOW;
}

/* One layer more; false (and the event) when the cap is hit. */
static inline bool layer_push(struct dstate *ds)
{
	if (++ds->layers > DECODE_MAX_LAYERS) {
		decode_event_add(ds->p, DEV_TOO_MANY_LAYERS);
		return false;
	}
	return true;
}

/*
 * Zero n bytes (a constant; 16 to 256 for the fast path) with 16-byte
 * stores.  A memset of a packet's worth of fields is compiled into
 * `rep stos`, whose start-up cost alone was a third of the decode time of
 * a small packet.
 */
typedef uint8_t zero_vec __attribute__((vector_size(16)));
#define ZERO_AT(o) do { if ((o) + 16 < n) memcpy(b + (o), &z, 16); } while (0)
static inline __attribute__((always_inline)) void zero_small(uint8_t *b, size_t n)
{
	const zero_vec z = { 0 };
	if (n < 16 || n > 256) {
		memset(b, 0, n);
		return;
	}
	ZERO_AT(0); ZERO_AT(16); ZERO_AT(32); ZERO_AT(48);
	ZERO_AT(64); ZERO_AT(80); ZERO_AT(96); ZERO_AT(112);
	ZERO_AT(128); ZERO_AT(144); ZERO_AT(160); ZERO_AT(176);
	ZERO_AT(192); ZERO_AT(208); ZERO_AT(224);
	memcpy(b + n - 16, &z, 16);
}
#undef ZERO_AT

/* decode.c: link layers, VLAN, MPLS, PPP, NSH, ARP */
enum decode_result decode_ethernet(struct dstate *ds, const uint8_t *b, uint32_t len);
enum decode_result decode_ethertype(struct dstate *ds, uint16_t type, const uint8_t *b,
				    uint32_t len);
enum decode_result decode_ppp_proto(struct dstate *ds, const uint8_t *b, uint32_t len);
bool decode_ethertype_known(uint16_t type);

/* decode-ipv4.c / decode-ipv6.c */
enum decode_result decode_ipv4(struct dstate *ds, const uint8_t *b, uint32_t len);

/* The decoder events a fragment can raise, per IP version. */
struct frag_events {
	uint16_t overlap, ignored, too_large;
};

struct defrag_frag;
/*
 * Hand fragment f to reassembly: a fragment held gives DECODE_NOFLOW; the
 * one that completes its datagram turns the packet into the datagram and
 * decodes it again with redecode (decode_ipv4 or decode_ipv6).
 */
enum decode_result decode_fragment(struct dstate *ds, struct defrag_frag *f,
				   const struct frag_events *ev,
				   enum decode_result (*redecode)(struct dstate *, const uint8_t *, uint32_t));
enum decode_result decode_ipv6(struct dstate *ds, const uint8_t *b, uint32_t len);
/* the payload of an IP packet of protocol proto (shared by v4 and v6) */
enum decode_result decode_transport(struct dstate *ds, uint8_t proto, const uint8_t *b,
				    uint32_t len);

/* decode-tcp.c, decode-udp.c, decode-icmp.c, decode-sctp.c */
enum decode_result decode_tcp(struct dstate *ds, const uint8_t *b, uint32_t len);
enum decode_result decode_udp(struct dstate *ds, const uint8_t *b, uint32_t len);
enum decode_result decode_icmpv4(struct dstate *ds, const uint8_t *b, uint32_t len);
enum decode_result decode_icmpv6(struct dstate *ds, const uint8_t *b, uint32_t len);
enum decode_result decode_sctp(struct dstate *ds, const uint8_t *b, uint32_t len);

/* decode-tunnel.c */
enum decode_result decode_gre(struct dstate *ds, const uint8_t *b, uint32_t len);
enum decode_result decode_ip_in_ip(struct dstate *ds, int inner_ver, const uint8_t *b,
				   uint32_t len);
/* UDP payloads: DECODE_NOFLOW + ds->why untouched and *taken false when the
 * payload is not the tunnel (the caller then keeps it as plain UDP). */
enum decode_result decode_vxlan(struct dstate *ds, const uint8_t *b, uint32_t len, bool *taken);
enum decode_result decode_teredo(struct dstate *ds, const uint8_t *b, uint32_t len, bool *taken);
/* Enter one tunnel level: remember the outermost layer, clear the L3/L4
 * fields for the inner headers.  false (and the event) beyond PKT_MAX_DEPTH. */
bool tunnel_enter(struct dstate *ds);

/*
 * Internet checksum.  csum_add sums 16-bit words in host order (the one's
 * complement sum does not care, as long as everything is summed the same
 * way); a packet whose sum over all its covered bytes, checksum included,
 * folds to 0xffff is correct.
 */
uint64_t csum_add(uint64_t sum, const uint8_t *b, uint32_t len);

static inline uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum of the TCP/UDP/ICMPv6 pseudo header of the packet's current IP layer. */
uint64_t csum_pseudo(const struct packet *p, uint8_t proto, uint32_t len);

/* Check the transport checksum over b[0..len) when validating; a zero UDP
 * checksum (not computed by the sender) passes. */
void csum_check_l4(struct dstate *ds, uint8_t proto, const uint8_t *b, uint32_t len);

#endif
