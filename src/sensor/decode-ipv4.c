/*
 * decode-ipv4.c - the IPv4 header, its options, fragments, and the
 * dispatch of an IP payload to its transport (shared with IPv6).
 *
 * The packet is bounded by the header's total length, not by what was
 * captured: Ethernet pads short frames, and the padding is not IP.  A packet
 * captured shorter than its total length is truncated and not decoded
 * (Suricata does the same).  Fragments go to defrag; the fragment that
 * completes a datagram turns the packet into the whole datagram, which is
 * then decoded like any other packet.
 */
#include "decode-int.h"
#include "defrag.h"

#include <stdlib.h>
#include <netinet/in.h>

#include "../lib/util.h"

/* Walk the options; malformed lengths make the packet invalid. */
static int ipv4_options(struct packet *p, const uint8_t *o, uint32_t len)
{
	while (len) {
		uint8_t type = o[0];
		if (type == 0)          /* end of options */
			return 0;
		if (type == 1) {        /* no-op */
			o++;
			len--;
			continue;
		}
		if (len < 2 || o[1] < 2 || o[1] > len) {
			decode_event_add(p, DEV_IPV4_OPT_INVALID_LEN);
			return -1;
		}
		uint8_t olen = o[1];
		switch (type) {
		case 7:                 /* record route */
		case 131:               /* loose source route */
		case 137:               /* strict source route */
			if (olen < 3)
				decode_event_add(p, DEV_IPV4_OPT_INVALID);
			break;
		case 68:                /* timestamp */
			if (olen < 4)
				decode_event_add(p, DEV_IPV4_OPT_INVALID);
			break;
		case 136:               /* stream id */
		case 148:               /* router alert */
			if (olen != 4)
				decode_event_add(p, DEV_IPV4_OPT_INVALID);
			break;
		default:
			break;
		}
		o += olen;
		len -= olen;
	}
	return 0;
}

static enum decode_result ipv4_fragment(struct dstate *ds, const uint8_t *b, uint32_t hlen,
					uint32_t tot)
{
	struct packet *p = ds->p;
	struct defrag_frag f = {
		.ip_ver = 4,
		.proto = b[9],
		.depth = p->depth,
		.src = &p->src,
		.dst = &p->dst,
		.id = ot_be16(b + 4),
		.hdr = b,
		.hdr_len = hlen,
		.off = (uint32_t)(ot_be16(b + 6) & 0x1fff) * 8,
		.more = b[6] & 0x20,
		.data = b + hlen,
		.len = tot - hlen,
		.now = p->ts.tv_sec,
	};

	static const struct frag_events ev = {
		DEV_IPV4_FRAG_OVERLAP, DEV_IPV4_FRAG_IGNORED, DEV_IPV4_FRAG_PKT_TOO_LARGE,
	};
	p->frag = true;
	return decode_fragment(ds, &f, &ev, decode_ipv4);
}

enum decode_result decode_ipv4(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	uint32_t hlen, tot;

	ds->dc->stats.ipv4++;
	p->ethertype = 0x0800;
	if (len < 20)
		return dec_invalid(p, DEV_IPV4_PKT_TOO_SMALL);
	if (b[0] >> 4 != 4)
		return dec_invalid(p, DEV_IPV4_WRONG_IP_VERSION);
	hlen = (b[0] & 0x0f) * 4u;
	if (hlen < 20)
		return dec_invalid(p, DEV_IPV4_HLEN_TOO_SMALL);
	tot = ot_be16(b + 2);
	if (tot < hlen)
		return dec_invalid(p, DEV_IPV4_IPLEN_SMALLER_THAN_HLEN);
	if (len < tot)
		return dec_invalid(p, DEV_IPV4_TRUNC_PKT);
	if (hlen > 20 && ipv4_options(p, b + 20, hlen - 20) < 0)
		return DECODE_INVALID;

	p->ip_ver = 4;
	memcpy(p->src.b, b + 12, 4);
	memcpy(p->dst.b, b + 16, 4);
	p->src.w[1] = p->src.w[2] = p->src.w[3] = 0;
	p->dst.w[1] = p->dst.w[2] = p->dst.w[3] = 0;
	p->proto = b[9];
	p->ttl = b[8];
	p->ip_id = ot_be16(b + 4);
	p->l3 = b;
	p->l3_len = tot;
	if (ds->dc->cfg.checksum_validate && csum_fold(csum_add(0, b, hlen)) != 0xffff)
		p->csum_bad = true;

	if (ot_be16(b + 6) & 0x3fff)
		return ipv4_fragment(ds, b, hlen, tot);
	return decode_transport(ds, b[9], b + hlen, tot - hlen);
}

enum decode_result decode_transport(struct dstate *ds, uint8_t proto, const uint8_t *b,
				    uint32_t len)
{
	struct packet *p = ds->p;
	p->proto = proto;
	switch (proto) {
	case IPPROTO_TCP:
		return decode_tcp(ds, b, len);
	case IPPROTO_UDP:
		return decode_udp(ds, b, len);
	case IPPROTO_ICMP:
		if (p->ip_ver == 4)
			return decode_icmpv4(ds, b, len);
		decode_event_add(p, DEV_IPV6_ICMPV4);
		break;
	case IPPROTO_ICMPV6:
		if (p->ip_ver == 6)
			return decode_icmpv6(ds, b, len);
		decode_event_add(p, DEV_IPV4_ICMPV6);
		break;
	case IPPROTO_SCTP:
		return decode_sctp(ds, b, len);
	case IPPROTO_GRE:
		if (ds->dc->cfg.gre)
			return decode_gre(ds, b, len);
		break;
	case IPPROTO_IPIP:
		return decode_ip_in_ip(ds, 4, b, len);
	case IPPROTO_IPV6:
		return decode_ip_in_ip(ds, 6, b, len);
	default:
		break;
	}
	/* a protocol we do not look into: tracked on addresses alone */
	p->l4 = b;
	p->l4_len = len;
	p->payload = b;
	p->payload_len = len;
	return DECODE_OK;
}
