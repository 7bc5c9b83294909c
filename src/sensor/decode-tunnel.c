/*
 * decode-tunnel.c - packets inside packets: GRE (version 0 with checksum,
 * key, sequence and RFC 1701 routing; version 1, the enhanced GRE of PPTP,
 * carrying PPP), ERSPAN types I, II and III inside GRE, IP-in-IP (IPv4 or
 * IPv6 in IPv4 or IPv6), Teredo and VXLAN.
 *
 * Entering a tunnel remembers the outermost IP layer in p->outer, raises
 * p->depth and clears the IP and transport fields; the inner headers are
 * then decoded into the same packet.  The VLAN ids of the outer frame stay
 * and the inner frame's tags are added after them (as Suricata does).
 * ERSPAN type I (GRE type 0x88be without a sequence number) is decoded only
 * when cfg.erspan is set; type II has the sequence number.
 */
#include "decode-int.h"

#include <stddef.h>
#include <netinet/in.h>

#include "../lib/util.h"

bool tunnel_enter(struct dstate *ds)
{
	struct packet *p = ds->p;
	bool csum_bad = p->csum_bad;
	if (p->depth >= PKT_MAX_DEPTH) {
		decode_event_add(p, DEV_TOO_MANY_LAYERS);
		return false;
	}
	if (p->depth == 0) {
		p->outer.src = p->src;
		p->outer.dst = p->dst;
		p->outer.sport = p->sport;
		p->outer.dport = p->dport;
		p->outer.ip_ver = p->ip_ver;
		p->outer.proto = p->proto;
		p->outer.len = p->l3_len;
	}
	p->depth++;
	ds->dc->stats.tunnels++;
	zero_small(&p->ip_ver, offsetof(struct packet, events) - offsetof(struct packet, ip_ver));
	p->tcp_wscale = 0xff;
	p->csum_bad = csum_bad;
	return true;
}

/* ---- ERSPAN ---- */

static enum decode_result erspan_vlan(struct dstate *ds, const uint8_t *b)
{
	struct packet *p = ds->p;
	uint16_t vlan = ot_be16(b) & 0x0fff;
	if (!vlan)
		return DECODE_OK;
	if (p->vlan_cnt >= PKT_MAX_VLAN)
		return dec_invalid(p, DEV_ERSPAN_TOO_MANY_VLAN_LAYERS);
	p->vlan[p->vlan_cnt++] = vlan;
	return DECODE_OK;
}

/* type 2: 8-byte header, version 1; type 3: 12 bytes (+8 platform
 * specific when the O flag is set), version 2 */
static enum decode_result decode_erspan(struct dstate *ds, int type, const uint8_t *b,
					uint32_t len)
{
	struct packet *p = ds->p;
	uint32_t hl = 0;
	ds->dc->stats.erspan++;
	if (type == 2) {
		if (len < 8)
			return dec_invalid(p, DEV_ERSPAN_HEADER_TOO_SMALL);
		if (b[0] >> 4 != 1)
			return dec_invalid(p, DEV_ERSPAN_UNSUPPORTED_VERSION);
		hl = 8;
	} else if (type == 3) {
		if (len < 12)
			return dec_invalid(p, DEV_ERSPAN_HEADER_TOO_SMALL);
		if (b[0] >> 4 != 2)
			return dec_invalid(p, DEV_ERSPAN_UNSUPPORTED_VERSION);
		hl = (b[11] & 1) ? 20 : 12;
		if (len < hl)
			return dec_invalid(p, DEV_ERSPAN_HEADER_TOO_SMALL);
	}
	if (!tunnel_enter(ds))
		return DECODE_INVALID;
	if (hl && erspan_vlan(ds, b) != DECODE_OK)
		return DECODE_INVALID;
	return decode_ethernet(ds, b + hl, len - hl);
}

/* ---- GRE ---- */

#define GRE_C 0x80
#define GRE_R 0x40
#define GRE_K 0x20
#define GRE_S 0x10
#define GRE_SSR 0x08
#define GRE_RECUR 0x07
#define GRE_A 0x80              /* second byte, version 1 */

/* RFC 1701 source route entries: (family, offset, length, data) until a
 * NULL entry. */
static int gre_sre(const uint8_t *b, uint32_t len, uint32_t *off)
{
	uint32_t o = *off;
	for (;;) {
		if (len - o < 4)
			return -1;
		uint16_t af = ot_be16(b + o);
		uint8_t sl = b[o + 3];
		o += 4;
		if (af == 0 && sl == 0)
			break;
		if (sl > len - o)
			return -1;
		o += sl;
	}
	*off = o;
	return 0;
}

enum decode_result decode_gre(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	uint8_t f0, f1;
	uint16_t type;
	uint32_t hl = 4;

	ds->dc->stats.gre++;
	if (len < 4)
		return dec_invalid(p, DEV_GRE_PKT_TOO_SMALL);
	f0 = b[0];
	f1 = b[1];
	type = ot_be16(b + 2);
	switch (f1 & 0x07) {
	case 0:
		if (f0 & GRE_RECUR)
			return dec_invalid(p, DEV_GRE_VERSION0_RECUR);
		if (f1 & 0xf8)
			return dec_invalid(p, DEV_GRE_VERSION0_FLAGS);
		if (f0 & (GRE_C | GRE_R))
			hl += 4;
		if (f0 & GRE_K)
			hl += 4;
		if (f0 & GRE_S)
			hl += 4;
		if (hl > len)
			return dec_invalid(p, DEV_GRE_VERSION0_HDR_TOO_BIG);
		if ((f0 & GRE_R) && gre_sre(b, len, &hl) < 0)
			return dec_invalid(p, DEV_GRE_VERSION0_MALFORMED_SRE_HDR);
		break;
	case 1:
		if (f0 & GRE_C)
			return dec_invalid(p, DEV_GRE_VERSION1_CHKSUM);
		if (f0 & GRE_R)
			return dec_invalid(p, DEV_GRE_VERSION1_ROUTE);
		if (f0 & GRE_SSR)
			return dec_invalid(p, DEV_GRE_VERSION1_SSR);
		if (f0 & GRE_RECUR)
			return dec_invalid(p, DEV_GRE_VERSION1_RECUR);
		if (f1 & 0x78)
			return dec_invalid(p, DEV_GRE_VERSION1_FLAGS);
		if (!(f0 & GRE_K))
			return dec_invalid(p, DEV_GRE_VERSION1_NO_KEY);
		if (type != ETH_P_PPP)
			return dec_invalid(p, DEV_GRE_VERSION1_WRONG_PROTOCOL);
		hl = 8;
		if (f0 & GRE_S)
			hl += 4;
		if (f1 & GRE_A)
			hl += 4;
		if (hl > len)
			return dec_invalid(p, DEV_GRE_VERSION1_HDR_TOO_BIG);
		break;
	default:
		return dec_invalid(p, DEV_GRE_WRONG_VERSION);
	}
	if ((f0 & GRE_C) && ds->dc->cfg.checksum_validate &&
	    csum_fold(csum_add(0, b, len)) != 0xffff)
		p->csum_bad = true;

	const uint8_t *in = b + hl;
	uint32_t inlen = len - hl;
	switch (type) {
	case ETH_P_ERSPAN:
		if (f0 & GRE_S)
			return decode_erspan(ds, 2, in, inlen);
		if (ds->dc->cfg.erspan)
			return decode_erspan(ds, 1, in, inlen);
		break;
	case ETH_P_ERSPAN3:
		return decode_erspan(ds, 3, in, inlen);
	case ETH_P_TEB:
		if (!tunnel_enter(ds))
			return DECODE_INVALID;
		return decode_ethernet(ds, in, inlen);
	case ETH_P_PPP:
		if (!tunnel_enter(ds))
			return DECODE_INVALID;
		if (inlen >= 2 && in[0] == 0xff && in[1] == 0x03) {
			in += 2;
			inlen -= 2;
		}
		return decode_ppp_proto(ds, in, inlen);
	default:
		if (!decode_ethertype_known(type))
			break;
		if (!tunnel_enter(ds))
			return DECODE_INVALID;
		return decode_ethertype(ds, type, in, inlen);
	}
	/* a payload we do not decode: the GRE packet is tracked as itself */
	p->l4 = b;
	p->l4_len = len;
	p->payload = in;
	p->payload_len = inlen;
	return DECODE_OK;
}

/* ---- IP in IP ---- */

enum decode_result decode_ip_in_ip(struct dstate *ds, int inner_ver, const uint8_t *b,
				   uint32_t len)
{
	struct packet *p = ds->p;
	ds->dc->stats.ipip++;
	if (p->ip_ver == 6) {
		if (inner_ver == 4) {
			if (len < 20)
				return dec_invalid(p, DEV_IPV4_IN_IPV6_TOO_SMALL);
			if (b[0] >> 4 != 4)
				return dec_invalid(p, DEV_IPV4_IN_IPV6_WRONG_IP_VER);
		} else {
			if (len < 40)
				return dec_invalid(p, DEV_IPV6_IN_IPV6_TOO_SMALL);
			if (b[0] >> 4 != 6)
				return dec_invalid(p, DEV_IPV6_IN_IPV6_WRONG_IP_VER);
		}
	}
	if (!tunnel_enter(ds) || !layer_push(ds))
		return DECODE_INVALID;
	return inner_ver == 4 ? decode_ipv4(ds, b, len) : decode_ipv6(ds, b, len);
}

/* ---- UDP tunnels ---- */

/*
 * Teredo (RFC 4380): optional authentication and origin indication headers,
 * then an IPv6 packet that must fill the payload exactly.  There is no
 * magic number, so anything that does not look like that stays UDP.
 */
enum decode_result decode_teredo(struct dstate *ds, const uint8_t *b, uint32_t len, bool *taken)
{
	*taken = false;
	if (len >= 4 && b[0] == 0 && b[1] == 1) {
		uint32_t hl = 4 + (uint32_t)b[2] + b[3] + 8 + 1;
		if (len < hl)
			return DECODE_NOFLOW;
		b += hl;
		len -= hl;
	}
	if (len >= 8 && b[0] == 0 && b[1] == 0) {
		b += 8;
		len -= 8;
	}
	if (len < 40 || b[0] >> 4 != 6 || 40u + ot_be16(b + 4) != len || b[7] == 0)
		return DECODE_NOFLOW;
	if (b[6] == 0 && len < 48)      /* hop-by-hop header that cannot be there */
		return DECODE_NOFLOW;
	*taken = true;
	ds->dc->stats.teredo++;
	if (!tunnel_enter(ds) || !layer_push(ds))
		return DECODE_INVALID;
	return decode_ipv6(ds, b, len);
}

/* VXLAN (RFC 7348): 8-byte header with the I flag, then an Ethernet frame. */
enum decode_result decode_vxlan(struct dstate *ds, const uint8_t *b, uint32_t len, bool *taken)
{
	*taken = false;
	if (len < 8 + 14 || !(b[0] & 0x08))
		return DECODE_NOFLOW;
	uint16_t type = ot_be16(b + 8 + 12);
	if (!decode_ethertype_known(type)) {
		decode_event_add(ds->p, DEV_VXLAN_UNKNOWN_PAYLOAD_TYPE);
		return DECODE_NOFLOW;
	}
	*taken = true;
	ds->dc->stats.vxlan++;
	if (!tunnel_enter(ds))
		return DECODE_INVALID;
	return decode_ethernet(ds, b + 8, len - 8);
}
