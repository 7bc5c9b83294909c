/*
 * decode.c - the decoder's entry point and its link layers.
 *
 * decode_packet() clears what an earlier packet left in the struct, picks
 * the link-layer decoder from the capture's datalink (Ethernet, Linux
 * cooked v1/v2, raw IPv4/IPv6, BSD null/loopback, PPP, Cisco HDLC, PPI)
 * and counts how the packet ended.  The Ethernet type dispatcher also walks
 * the encapsulations that sit between a link header and IP: 802.1Q/802.1ad
 * tags (at most PKT_MAX_VLAN), 802.1BR E-tags, 802.1ah, MPLS label stacks,
 * PPPoE and PPP, NSH; ARP ends here without a flow.  The IP layers, the
 * transports and the tunnels live in the other decode-*.c files.
 *
 * The table of Suricata's names for decoder events is here as well: the
 * anomaly logger writes them, so they must match Suricata's spelling.
 */
#include "decode-int.h"
#include "defrag.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/dlt.h>

#include "../lib/util.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_PPI
#define DLT_PPI 192
#endif
#ifndef DLT_C_HDLC
#define DLT_C_HDLC 104
#endif
#ifndef DLT_PPP_SERIAL
#define DLT_PPP_SERIAL 50
#endif
#ifndef DLT_PPP_ETHER
#define DLT_PPP_ETHER 51
#endif
#define LINKTYPE_RAW 101        /* as pcap files write DLT_RAW */
#define DLT_RAW_OPENBSD 14

static const char *const event_names[DEV_MAX] = {
	[DEV_NONE] = "decoder.none",
	[DEV_ETH_PKT_TOO_SMALL] = "decoder.ethernet.pkt_too_small",
	[DEV_VLAN_HEADER_TOO_SMALL] = "decoder.vlan.header_too_small",
	[DEV_VLAN_UNKNOWN_TYPE] = "decoder.vlan.unknown_type",
	[DEV_VLAN_TOO_MANY_LAYERS] = "decoder.vlan.too_many_layers",
	[DEV_SLL_PKT_TOO_SMALL] = "decoder.sll.pkt_too_small",
	[DEV_ARP_PKT_TOO_SMALL] = "decoder.arp.pkt_too_small",
	[DEV_IPV4_PKT_TOO_SMALL] = "decoder.ipv4.pkt_too_small",
	[DEV_IPV4_HLEN_TOO_SMALL] = "decoder.ipv4.hlen_too_small",
	[DEV_IPV4_IPLEN_SMALLER_THAN_HLEN] = "decoder.ipv4.iplen_smaller_than_hlen",
	[DEV_IPV4_TRUNC_PKT] = "decoder.ipv4.trunc_pkt",
	[DEV_IPV4_OPT_INVALID] = "decoder.ipv4.opt_invalid",
	[DEV_IPV4_OPT_INVALID_LEN] = "decoder.ipv4.opt_invalid_len",
	[DEV_IPV4_WRONG_IP_VERSION] = "decoder.ipv4.wrong_ip_version",
	[DEV_IPV4_FRAG_PKT_TOO_LARGE] = "decoder.ipv4.frag_pkt_too_large",
	[DEV_IPV4_FRAG_OVERLAP] = "decoder.ipv4.frag_overlap",
	[DEV_IPV4_FRAG_IGNORED] = "decoder.ipv4.frag_ignored",
	[DEV_IPV6_PKT_TOO_SMALL] = "decoder.ipv6.pkt_too_small",
	[DEV_IPV6_TRUNC_PKT] = "decoder.ipv6.trunc_pkt",
	[DEV_IPV6_TRUNC_EXTHDR] = "decoder.ipv6.trunc_exthdr",
	[DEV_IPV6_EXTHDR_DUPL_FH] = "decoder.ipv6.exthdr_dupl_fh",
	[DEV_IPV6_EXTHDR_INVALID_OPTLEN] = "decoder.ipv6.exthdr_invalid_optlen",
	[DEV_IPV6_WRONG_IP_VERSION] = "decoder.ipv6.wrong_ip_version",
	[DEV_IPV6_FRAG_PKT_TOO_LARGE] = "decoder.ipv6.frag_pkt_too_large",
	[DEV_IPV6_FRAG_OVERLAP] = "decoder.ipv6.frag_overlap",
	[DEV_IPV6_FRAG_INVALID_LENGTH] = "decoder.ipv6.frag_invalid_length",
	[DEV_IPV6_ZERO_LEN_PADN] = "decoder.ipv6.zero_len_padn",
	[DEV_IPV6_UNKNOWN_NEXT_HEADER] = "decoder.ipv6.unknown_next_header",
	[DEV_IPV6_DATA_AFTER_NONE_HEADER] = "decoder.ipv6.data_after_none_header",
	[DEV_ICMPV4_PKT_TOO_SMALL] = "decoder.icmpv4.pkt_too_small",
	[DEV_ICMPV4_UNKNOWN_TYPE] = "decoder.icmpv4.unknown_type",
	[DEV_ICMPV4_UNKNOWN_CODE] = "decoder.icmpv4.unknown_code",
	[DEV_ICMPV6_PKT_TOO_SMALL] = "decoder.icmpv6.pkt_too_small",
	[DEV_ICMPV6_UNKNOWN_TYPE] = "decoder.icmpv6.unknown_type",
	[DEV_ICMPV6_UNKNOWN_CODE] = "decoder.icmpv6.unknown_code",
	[DEV_TCP_PKT_TOO_SMALL] = "decoder.tcp.pkt_too_small",
	[DEV_TCP_HLEN_TOO_SMALL] = "decoder.tcp.hlen_too_small",
	[DEV_TCP_INVALID_OPTLEN] = "decoder.tcp.invalid_optlen",
	[DEV_TCP_OPT_INVALID_LEN] = "decoder.tcp.opt_invalid_len",
	[DEV_TCP_OPT_DUPLICATE] = "decoder.tcp.opt_duplicate",
	[DEV_UDP_PKT_TOO_SMALL] = "decoder.udp.pkt_too_small",
	[DEV_UDP_HLEN_TOO_SMALL] = "decoder.udp.hlen_too_small",
	[DEV_UDP_HLEN_INVALID] = "decoder.udp.hlen_invalid",
	[DEV_UDP_LEN_INVALID] = "decoder.udp.len_invalid",
	[DEV_GRE_PKT_TOO_SMALL] = "decoder.gre.pkt_too_small",
	[DEV_GRE_WRONG_VERSION] = "decoder.gre.wrong_version",
	[DEV_GRE_VERSION0_RECUR] = "decoder.gre.version0_recur",
	[DEV_GRE_VERSION0_FLAGS] = "decoder.gre.version0_flags",
	[DEV_GRE_VERSION0_HDR_TOO_BIG] = "decoder.gre.version0_hdr_too_big",
	[DEV_GRE_VERSION1_CHKSUM] = "decoder.gre.version1_chksum",
	[DEV_GRE_VERSION1_ROUTE] = "decoder.gre.version1_route",
	[DEV_GRE_VERSION1_SSR] = "decoder.gre.version1_ssr",
	[DEV_GRE_VERSION1_RECUR] = "decoder.gre.version1_recur",
	[DEV_GRE_VERSION1_FLAGS] = "decoder.gre.version1_flags",
	[DEV_GRE_VERSION1_NO_KEY] = "decoder.gre.version1_no_key",
	[DEV_GRE_VERSION1_WRONG_PROTOCOL] = "decoder.gre.version1_wrong_protocol",
	[DEV_GRE_VERSION1_MALFORMED_SRE_HDR] = "decoder.gre.version1_malformed_sre_hdr",
	[DEV_GRE_VERSION1_HDR_TOO_BIG] = "decoder.gre.version1_hdr_too_big",
	[DEV_ERSPAN_HEADER_TOO_SMALL] = "decoder.erspan.header_too_small",
	[DEV_ERSPAN_UNSUPPORTED_VERSION] = "decoder.erspan.unsupported_version",
	[DEV_ERSPAN_TOO_MANY_VLAN_LAYERS] = "decoder.erspan.too_many_vlan_layers",
	[DEV_VXLAN_UNKNOWN_PAYLOAD_TYPE] = "decoder.vxlan.unknown_payload_type",
	[DEV_IPRAW_INVALID_IPV] = "decoder.ipraw.invalid_ip_version",
	[DEV_LINKTYPE_UNKNOWN] = "decoder.linktype_unknown",
	[DEV_TOO_MANY_LAYERS] = "decoder.too_many_layers",
	[DEV_IPV4_IN_IPV6_WRONG_IP_VER] = "decoder.ipv6.ipv4_in_ipv6_wrong_version",
	[DEV_IPV6_IN_IPV6_WRONG_IP_VER] = "decoder.ipv6.ipv6_in_ipv6_wrong_version",
	[DEV_IPV4_ICMPV6] = "decoder.ipv4.icmpv6",
	[DEV_IPV6_ICMPV4] = "decoder.ipv6.icmpv4",
	[DEV_IPV6_FRAG_IGNORED] = "decoder.ipv6.frag_ignored",
	[DEV_IPV6_RH_TYPE_0] = "decoder.ipv6.rh_type_0",
	[DEV_IPV6_IN_IPV6_TOO_SMALL] = "decoder.ipv6.ipv6_in_ipv6_too_small",
	[DEV_IPV4_IN_IPV6_TOO_SMALL] = "decoder.ipv6.ipv4_in_ipv6_too_small",
	[DEV_GRE_VERSION0_MALFORMED_SRE_HDR] = "decoder.gre.version0_malformed_sre_hdr",
	[DEV_SCTP_PKT_TOO_SMALL] = "decoder.sctp.pkt_too_small",
	[DEV_LTNULL_PKT_TOO_SMALL] = "decoder.ltnull.pkt_too_small",
	[DEV_LTNULL_UNSUPPORTED_TYPE] = "decoder.ltnull.unsupported_type",
	[DEV_PPP_PKT_TOO_SMALL] = "decoder.ppp.pkt_too_small",
	[DEV_PPP_UNSUP_PROTO] = "decoder.ppp.unsup_proto",
	[DEV_PPPOE_PKT_TOO_SMALL] = "decoder.pppoe.pkt_too_small",
	[DEV_PPPOE_WRONG_CODE] = "decoder.pppoe.wrong_code",
	[DEV_CHDLC_PKT_TOO_SMALL] = "decoder.chdlc.pkt_too_small",
	[DEV_MPLS_HEADER_TOO_SMALL] = "decoder.mpls.header_too_small",
	[DEV_MPLS_PKT_TOO_SMALL] = "decoder.mpls.pkt_too_small",
	[DEV_MPLS_UNKNOWN_PAYLOAD_TYPE] = "decoder.mpls.unknown_payload_type",
	[DEV_NSH_HEADER_TOO_SMALL] = "decoder.nsh.header_too_small",
	[DEV_NSH_UNSUPPORTED_VERSION] = "decoder.nsh.unsupported_version",
	[DEV_NSH_BAD_HEADER_LENGTH] = "decoder.nsh.bad_header_length",
	[DEV_NSH_RESERVED_TYPE] = "decoder.nsh.reserved_type",
	[DEV_NSH_UNSUPPORTED_TYPE] = "decoder.nsh.unsupported_type",
	[DEV_NSH_UNKNOWN_PAYLOAD] = "decoder.nsh.unknown_payload",
	[DEV_ETAG_HEADER_TOO_SMALL] = "decoder.etag.header_too_small",
	[DEV_IEEE8021AH_HEADER_TOO_SMALL] = "decoder.ieee8021ah.header_too_small",
	[DEV_PPI_PKT_TOO_SMALL] = "decoder.ppi.pkt_too_small",
};

const char *decode_event_name(uint16_t ev)
{
	if (ev >= DEV_MAX || !event_names[ev])
		return "decoder.unknown";
	return event_names[ev];
}

void decode_event_add(struct packet *p, uint16_t ev)
{
	for (int i = 0; i < p->event_cnt; i++)
		if (p->events[i] == ev)
			return;
	if (p->event_cnt < PKT_MAX_EVENTS)
		p->events[p->event_cnt++] = ev;
}

void decode_cfg_defaults(struct decode_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vxlan = true;
	cfg->vxlan_ports[0] = 4789;
	cfg->teredo = true;
	cfg->gre = true;
	cfg->erspan = true;
	cfg->track_depth = true;
	cfg->defrag_memcap = 32u << 20;
	cfg->defrag_timeout = 60;
}

int decode_ctx_init(struct decode_ctx *dc, const struct decode_cfg *cfg)
{
	memset(dc, 0, sizeof(*dc));
	dc->cfg = *cfg;
	if (cfg->defrag_memcap) {
		dc->defrag = defrag_new(cfg->defrag_memcap, cfg->defrag_timeout);
		if (!dc->defrag)
			return -1;
	}
	return 0;
}

void decode_ctx_destroy(struct decode_ctx *dc)
{
	defrag_free(dc->defrag);
	dc->defrag = NULL;
}

void packet_release(struct packet *p)
{
	free(p->owned);
	p->owned = NULL;
}

void decode_defrag_timeout(struct decode_ctx *dc, const struct timeval *now)
{
	if (dc->defrag)
		dc->stats.frag_dropped += defrag_expire(dc->defrag, now->tv_sec);
}

/* ---- checksums ---- */

uint64_t csum_add(uint64_t sum, const uint8_t *b, uint32_t len)
{
	uint32_t w;
	uint16_t h;
	while (len >= 16) {
		uint32_t a, c, d;
		memcpy(&w, b, 4);
		memcpy(&a, b + 4, 4);
		memcpy(&c, b + 8, 4);
		memcpy(&d, b + 12, 4);
		sum += (uint64_t)w + a + c + d;
		b += 16;
		len -= 16;
	}
	while (len >= 4) {
		memcpy(&w, b, 4);
		sum += w;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, b, 2);
		sum += h;
		b += 2;
		len -= 2;
	}
	if (len) {
		/* the odd byte is the high half of a word padded with zero */
		uint8_t pad[2] = { b[0], 0 };
		memcpy(&h, pad, 2);
		sum += h;
	}
	return sum;
}

uint64_t csum_pseudo(const struct packet *p, uint8_t proto, uint32_t len)
{
	uint8_t tail[8] = { 0 };
	uint64_t sum;
	if (p->ip_ver == 4) {
		sum = csum_add(0, p->src.b, 4);
		sum = csum_add(sum, p->dst.b, 4);
		tail[1] = proto;
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		return csum_add(sum, tail, 4);
	}
	sum = csum_add(0, p->src.b, 16);
	sum = csum_add(sum, p->dst.b, 16);
	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	tail[7] = proto;
	return csum_add(sum, tail, 8);
}

void csum_check_l4(struct dstate *ds, uint8_t proto, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	uint64_t sum;
	if (!ds->dc->cfg.checksum_validate)
		return;
	if (proto == 17 && len >= 8 && b[6] == 0 && b[7] == 0)
		return;
	sum = proto == 1 ? 0 : csum_pseudo(p, proto, len);
	if (csum_fold(csum_add(sum, b, len)) != 0xffff)
		p->csum_bad = true;
}

/* ---- Ethernet types ---- */

bool decode_ethertype_known(uint16_t type)
{
	switch (type) {
	case ETH_P_IPV4:
	case ETH_P_IPV6:
	case ETH_P_ARP:
	case ETH_P_VLAN:
	case ETH_P_QINQ:
	case ETH_P_QINQ_OLD:
	case ETH_P_QINQ_OLD2:
	case ETH_P_MPLS_UC:
	case ETH_P_MPLS_MC:
	case ETH_P_PPPOE_DISC:
	case ETH_P_PPPOE_SESS:
	case ETH_P_ETAG:
	case ETH_P_NSH:
	case ETH_P_8021AH:
		return true;
	default:
		return false;
	}
}

static enum decode_result decode_arp(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	uint32_t need;
	if (len < 8)
		return dec_invalid(p, DEV_ARP_PKT_TOO_SMALL);
	need = 8 + 2 * ((uint32_t)b[4] + b[5]);
	if (len < need)
		return dec_invalid(p, DEV_ARP_PKT_TOO_SMALL);
	p->l3 = b;
	p->l3_len = need;
	return dec_noflow(ds, NOFLOW_ARP);
}

/* MPLS label stack, then IPv4, IPv6 or an Ethernet pseudowire. */
static enum decode_result decode_mpls(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	uint32_t label;
	ds->dc->stats.mpls++;
	for (;;) {
		if (len < 4)
			return dec_invalid(p, DEV_MPLS_HEADER_TOO_SMALL);
		label = ot_be32(b) >> 12;
		bool bottom = b[2] & 1;
		b += 4;
		len -= 4;
		if (bottom)
			break;
		if (!layer_push(ds))
			return DECODE_INVALID;
	}
	if (label == 0)
		return decode_ethertype(ds, ETH_P_IPV4, b, len);
	if (label == 2)
		return decode_ethertype(ds, ETH_P_IPV6, b, len);
	if (len < 1)
		return dec_invalid(p, DEV_MPLS_PKT_TOO_SMALL);
	switch (b[0] >> 4) {
	case 4:
		return decode_ethertype(ds, ETH_P_IPV4, b, len);
	case 6:
		return decode_ethertype(ds, ETH_P_IPV6, b, len);
	case 0:
		/* Ethernet pseudowire behind a 4-byte control word */
		if (len < 4 + 14)
			return dec_invalid(p, DEV_MPLS_PKT_TOO_SMALL);
		return decode_ethernet(ds, b + 4, len - 4);
	default:
		decode_event_add(p, DEV_MPLS_UNKNOWN_PAYLOAD_TYPE);
		return dec_noflow(ds, NOFLOW_OTHER);
	}
}

/* Network Service Header (RFC 8300). */
static enum decode_result decode_nsh(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	ds->dc->stats.nsh++;
	if (len < 8)
		return dec_invalid(p, DEV_NSH_HEADER_TOO_SMALL);
	if (b[0] >> 6)
		return dec_invalid(p, DEV_NSH_UNSUPPORTED_VERSION);
	uint32_t hl = (ot_be16(b) & 0x3f) * 4u;
	uint8_t md = b[2] & 0x0f, next = b[3];
	if (md == 0 || md == 0x0f)
		return dec_invalid(p, DEV_NSH_RESERVED_TYPE);
	if (md != 1 && md != 2)
		return dec_invalid(p, DEV_NSH_UNSUPPORTED_TYPE);
	if (hl < 8 || hl > len || (md == 1 && hl != 24))
		return dec_invalid(p, DEV_NSH_BAD_HEADER_LENGTH);
	b += hl;
	len -= hl;
	switch (next) {
	case 1:
		return decode_ethertype(ds, ETH_P_IPV4, b, len);
	case 2:
		return decode_ethertype(ds, ETH_P_IPV6, b, len);
	case 3:
		if (!layer_push(ds))
			return DECODE_INVALID;
		return decode_ethernet(ds, b, len);
	case 4:
		return decode_ethertype(ds, ETH_P_NSH, b, len);
	case 5:
		return decode_ethertype(ds, ETH_P_MPLS_UC, b, len);
	default:
		return dec_invalid(p, DEV_NSH_UNKNOWN_PAYLOAD);
	}
}

/* PPP from its protocol field (1 byte when compressed, else 2). */
enum decode_result decode_ppp_proto(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	uint16_t proto;
	uint32_t hl;
	ds->dc->stats.ppp++;
	if (len < 1)
		return dec_invalid(p, DEV_PPP_PKT_TOO_SMALL);
	if (b[0] & 1) {
		proto = b[0];
		hl = 1;
	} else {
		if (len < 2)
			return dec_invalid(p, DEV_PPP_PKT_TOO_SMALL);
		proto = ot_be16(b);
		hl = 2;
	}
	b += hl;
	len -= hl;
	switch (proto) {
	case 0x0021:
		return decode_ethertype(ds, ETH_P_IPV4, b, len);
	case 0x0057:
		return decode_ethertype(ds, ETH_P_IPV6, b, len);
	case 0x0281:
		return decode_ethertype(ds, ETH_P_MPLS_UC, b, len);
	case 0x0283:
		return decode_ethertype(ds, ETH_P_MPLS_MC, b, len);
	case 0x002d: case 0x002f:                /* Van Jacobson compressed TCP/IP */
	case 0x003d:                             /* multilink fragments */
	case 0xc021: case 0xc023: case 0xc025: case 0xc223:   /* LCP, PAP, LQR, CHAP */
	case 0x8021: case 0x8057: case 0x80fd: case 0x8053:   /* IPCP, IPV6CP, CCP, ECP */
	case 0x00fd: case 0x0053:                /* compressed / encrypted datagrams */
		return dec_noflow(ds, NOFLOW_OTHER);
	default:
		decode_event_add(p, DEV_PPP_UNSUP_PROTO);
		return dec_noflow(ds, NOFLOW_OTHER);
	}
}

static enum decode_result decode_pppoe(struct dstate *ds, uint16_t type, const uint8_t *b,
				       uint32_t len)
{
	struct packet *p = ds->p;
	ds->dc->stats.pppoe++;
	if (len < 6)
		return dec_invalid(p, DEV_PPPOE_PKT_TOO_SMALL);
	if (type == ETH_P_PPPOE_DISC)
		return dec_noflow(ds, NOFLOW_OTHER);
	if (b[1] != 0)
		return dec_invalid(p, DEV_PPPOE_WRONG_CODE);
	uint32_t plen = ot_be16(b + 4);
	if (plen > len - 6)
		return dec_invalid(p, DEV_PPPOE_PKT_TOO_SMALL);
	return decode_ppp_proto(ds, b + 6, plen);
}

enum decode_result decode_ethertype(struct dstate *ds, uint16_t type, const uint8_t *b,
				    uint32_t len)
{
	struct packet *p = ds->p;
	struct decode_stats *st = &ds->dc->stats;
	for (;;) {
		if (!layer_push(ds))
			return DECODE_INVALID;
		p->ethertype = type;
		switch (type) {
		case ETH_P_IPV4:
			return decode_ipv4(ds, b, len);
		case ETH_P_IPV6:
			return decode_ipv6(ds, b, len);
		case ETH_P_ARP:
			return decode_arp(ds, b, len);
		case ETH_P_VLAN:
		case ETH_P_QINQ:
		case ETH_P_QINQ_OLD:
		case ETH_P_QINQ_OLD2:
			st->vlan++;
			if (len < 4)
				return dec_invalid(p, DEV_VLAN_HEADER_TOO_SMALL);
			if (p->vlan_cnt >= PKT_MAX_VLAN)
				return dec_invalid(p, DEV_VLAN_TOO_MANY_LAYERS);
			p->vlan[p->vlan_cnt++] = ot_be16(b) & 0x0fff;
			type = ot_be16(b + 2);
			b += 4;
			len -= 4;
			if (!decode_ethertype_known(type))
				decode_event_add(p, DEV_VLAN_UNKNOWN_TYPE);
			continue;
		case ETH_P_ETAG:
			/* 802.1BR: 6 bytes of tag after the type */
			st->etag++;
			if (len < 8)
				return dec_invalid(p, DEV_ETAG_HEADER_TOO_SMALL);
			type = ot_be16(b + 6);
			b += 8;
			len -= 8;
			continue;
		case ETH_P_8021AH:
			/* 802.1ah: 4-byte I-TAG, then the customer's Ethernet header */
			st->ieee8021ah++;
			if (len < 4 + 14)
				return dec_invalid(p, DEV_IEEE8021AH_HEADER_TOO_SMALL);
			return decode_ethernet(ds, b + 4, len - 4);
		case ETH_P_MPLS_UC:
		case ETH_P_MPLS_MC:
			return decode_mpls(ds, b, len);
		case ETH_P_PPPOE_DISC:
		case ETH_P_PPPOE_SESS:
			return decode_pppoe(ds, type, b, len);
		case ETH_P_NSH:
			return decode_nsh(ds, b, len);
		default:
			st->unknown_ethertype++;
			return dec_noflow(ds, NOFLOW_OTHER);
		}
	}
}

/* ---- link layers ---- */

enum decode_result decode_ethernet(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	ds->dc->stats.ethernet++;
	if (len < 14)
		return dec_invalid(ds->p, DEV_ETH_PKT_TOO_SMALL);
	return decode_ethertype(ds, ot_be16(b + 12), b + 14, len - 14);
}

static enum decode_result decode_sll(struct dstate *ds, const uint8_t *b, uint32_t len, bool v2)
{
	uint32_t hl = v2 ? 20 : 16;
	uint16_t proto, hatype;
	ds->dc->stats.sll++;
	if (len < hl)
		return dec_invalid(ds->p, DEV_SLL_PKT_TOO_SMALL);
	if (v2) {
		proto = ot_be16(b);
		hatype = ot_be16(b + 8);
	} else {
		hatype = ot_be16(b + 2);
		proto = ot_be16(b + 14);
	}
	if (hatype == 824)      /* netlink messages */
		return dec_noflow(ds, NOFLOW_OTHER);
	return decode_ethertype(ds, proto, b + hl, len - hl);
}

static enum decode_result decode_raw(struct dstate *ds, int dlt, const uint8_t *b, uint32_t len)
{
	ds->dc->stats.raw++;
	int v = len ? b[0] >> 4 : 0;
	if ((v != 4 && v != 6) || (dlt == DLT_IPV4 && v != 4) || (dlt == DLT_IPV6 && v != 6))
		return dec_invalid(ds->p, DEV_IPRAW_INVALID_IPV);
	return decode_ethertype(ds, v == 4 ? ETH_P_IPV4 : ETH_P_IPV6, b, len);
}

/* DLT_NULL: address family in the capturing host's byte order; DLT_LOOP:
 * in network order.  AF_INET6 differs between the BSDs and Linux. */
static enum decode_result decode_null(struct dstate *ds, bool loop, const uint8_t *b, uint32_t len)
{
	uint32_t fam;
	ds->dc->stats.null++;
	if (len < 4)
		return dec_invalid(ds->p, DEV_LTNULL_PKT_TOO_SMALL);
	fam = ot_be32(b);
	if (!loop && fam > 0xffff)
		fam = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
	switch (fam) {
	case 2:
		return decode_ethertype(ds, ETH_P_IPV4, b + 4, len - 4);
	case 10: case 24: case 28: case 30:
		return decode_ethertype(ds, ETH_P_IPV6, b + 4, len - 4);
	default:
		decode_event_add(ds->p, DEV_LTNULL_UNSUPPORTED_TYPE);
		return dec_noflow(ds, NOFLOW_OTHER);
	}
}

static enum decode_result decode_chdlc(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	if (len < 4)
		return dec_invalid(ds->p, DEV_CHDLC_PKT_TOO_SMALL);
	uint16_t type = ot_be16(b + 2);
	if (type == 0x8035)     /* SLARP keepalives */
		return dec_noflow(ds, NOFLOW_OTHER);
	return decode_ethertype(ds, type, b + 4, len - 4);
}

static enum decode_result decode_link(struct dstate *ds, int dlt, const uint8_t *b, uint32_t len)
{
	switch (dlt) {
	case DLT_EN10MB:
		return decode_ethernet(ds, b, len);
	case DLT_LINUX_SLL:
		return decode_sll(ds, b, len, false);
	case DLT_LINUX_SLL2:
		return decode_sll(ds, b, len, true);
	case DLT_RAW:
#if DLT_RAW != DLT_RAW_OPENBSD && DLT_LOOP != DLT_RAW_OPENBSD
	case DLT_RAW_OPENBSD:
#endif
	case LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return decode_raw(ds, dlt, b, len);
	case DLT_NULL:
		return decode_null(ds, false, b, len);
	case DLT_LOOP:
		return decode_null(ds, true, b, len);
	case DLT_PPP:
	case DLT_PPP_SERIAL:
		if (len >= 1 && (b[0] == 0x0f || b[0] == 0x8f))
			return decode_chdlc(ds, b, len);
		if (len >= 2 && b[0] == 0xff && b[1] == 0x03)
			return decode_ppp_proto(ds, b + 2, len - 2);
		return decode_ppp_proto(ds, b, len);
	case DLT_C_HDLC:
		return decode_chdlc(ds, b, len);
	case DLT_PPP_ETHER:
		return decode_pppoe(ds, ETH_P_PPPOE_SESS, b, len);
	case DLT_PPI: {
		/* per-packet information header, little endian, then its DLT */
		if (len < 8)
			return dec_invalid(ds->p, DEV_PPI_PKT_TOO_SMALL);
		uint32_t hl = b[2] | (uint32_t)b[3] << 8;
		int inner = (int)(b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16);
		if (hl < 8 || hl > len)
			return dec_invalid(ds->p, DEV_PPI_PKT_TOO_SMALL);
		if (inner == DLT_PPI || b[7])
			return dec_invalid(ds->p, DEV_LINKTYPE_UNKNOWN);
		return decode_link(ds, inner, b + hl, len - hl);
	}
	default:
		return dec_invalid(ds->p, DEV_LINKTYPE_UNKNOWN);
	}
}

/* Zero the decoded fields, from vlan up to the event list. */
static inline void packet_clear(struct packet *p)
{
	zero_small((uint8_t *)p + offsetof(struct packet, vlan),
		   offsetof(struct packet, events) - offsetof(struct packet, vlan));
	p->event_cnt = 0;
	p->flow = NULL;
	p->dir = 0;
	p->tcp_wscale = 0xff;
}

enum decode_result decode_packet(struct decode_ctx *dc, struct packet *p)
{
	struct dstate ds = { .dc = dc, .p = p, .layers = 0, .why = NOFLOW_OTHER };
	enum decode_result r;

	if (p->owned)
		packet_release(p);
	packet_clear(p);

	dc->stats.pkts++;
	dc->stats.bytes += p->caplen;
	if (!p->data && p->caplen)
		r = dec_invalid(p, DEV_ETH_PKT_TOO_SMALL);
	else
		r = decode_link(&ds, p->datalink, p->data, p->caplen);

	switch (r) {
	case DECODE_OK:
		dc->stats.ok++;
		break;
	case DECODE_NOFLOW:
		dc->stats.noflow++;
		if (ds.why == NOFLOW_ARP)
			dc->stats.arp++;
		else if (ds.why == NOFLOW_FRAG)
			dc->stats.frag_held++;
		else
			dc->stats.other++;
		break;
	default:
		r = DECODE_INVALID;
		dc->stats.invalid++;
		break;
	}
	return r;
}

enum decode_result decode_fragment(struct dstate *ds, struct defrag_frag *f,
				   const struct frag_events *ev,
				   enum decode_result (*redecode)(struct dstate *, const uint8_t *, uint32_t))
{
	struct packet *p = ds->p;
	struct decode_ctx *dc = ds->dc;
	struct defrag_result res;

	if (!dc->defrag)
		return dec_noflow(ds, NOFLOW_FRAG);
	memcpy(f->vlan, p->vlan, sizeof(f->vlan));
	enum defrag_status st = defrag_insert(dc->defrag, f, &res);
	dc->stats.frag_dropped += res.dropped;
	if (res.flags & DEFRAG_F_OVERLAP)
		decode_event_add(p, ev->overlap);
	if (res.flags & DEFRAG_F_IGNORED)
		decode_event_add(p, ev->ignored);
	switch (st) {
	case DEFRAG_DONE:
		dc->stats.frag_reassembled++;
		free(p->owned);
		p->owned = res.out;
		p->frag = false;
		return redecode(ds, res.out, res.out_len);
	case DEFRAG_TOO_LARGE:
		return dec_invalid(p, ev->too_large);
	default:
		return dec_noflow(ds, NOFLOW_FRAG);
	}
}
