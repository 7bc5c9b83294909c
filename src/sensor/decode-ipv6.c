/*
 * decode-ipv6.c - the IPv6 header and its extension headers.
 *
 * The packet is bounded by the payload length field.  Extension headers
 * (hop-by-hop, routing, destination options, AH, mobility, HIP, shim6) are
 * walked until a transport header, ESP or "no next header"; the options of
 * hop-by-hop and destination headers are checked for bad lengths.  A
 * fragment header hands the packet to defrag with the unfragmentable part
 * (the headers before it) as the datagram's header; an atomic fragment
 * (offset 0, no more fragments) is decoded in place.
 */
#include "decode-int.h"
#include "defrag.h"

#include <stdlib.h>
#include <netinet/in.h>

#include "../lib/util.h"

#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_ESP 50
#define NH_AH 51
#define NH_NONE 59
#define NH_DSTOPTS 60
#define NH_MOBILITY 135
#define NH_HIP 139
#define NH_SHIM6 140

/* Options of a hop-by-hop or destination header (o: after its 2 bytes). */
static void ipv6_options(struct packet *p, const uint8_t *o, uint32_t len)
{
	while (len) {
		if (o[0] == 0) {        /* Pad1 */
			o++;
			len--;
			continue;
		}
		if (len < 2 || (uint32_t)o[1] + 2 > len) {
			decode_event_add(p, DEV_IPV6_EXTHDR_INVALID_OPTLEN);
			return;
		}
		if (o[0] == 1 && o[1] == 0)
			decode_event_add(p, DEV_IPV6_ZERO_LEN_PADN);
		len -= o[1] + 2u;
		o += o[1] + 2u;
	}
}

static enum decode_result ipv6_fragment(struct dstate *ds, const uint8_t *b, uint32_t fh,
					uint32_t end, uint32_t nh_off)
{
	struct packet *p = ds->p;
	struct defrag_frag f = {
		.ip_ver = 6,
		.proto = b[fh],
		.depth = p->depth,
		.src = &p->src,
		.dst = &p->dst,
		.id = ot_be32(b + fh + 4),
		.hdr = b,
		.hdr_len = fh,
		.nh_off = nh_off,
		.off = ot_be16(b + fh + 2) & 0xfff8,
		.more = b[fh + 3] & 1,
		.data = b + fh + 8,
		.len = end - fh - 8,
		.now = p->ts.tv_sec,
	};

	p->frag = true;
	p->proto = f.proto;
	p->ip_id = (uint16_t)f.id;
	if (f.more && (f.len & 7))
		return dec_invalid(p, DEV_IPV6_FRAG_INVALID_LENGTH);
	static const struct frag_events ev = {
		DEV_IPV6_FRAG_OVERLAP, DEV_IPV6_FRAG_IGNORED, DEV_IPV6_FRAG_PKT_TOO_LARGE,
	};
	return decode_fragment(ds, &f, &ev, decode_ipv6);
}

enum decode_result decode_ipv6(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	uint32_t end, off = 40, nh_off = 6;
	uint8_t nh;
	bool seen_frag = false;

	ds->dc->stats.ipv6++;
	p->ethertype = 0x86dd;
	if (len < 40)
		return dec_invalid(p, DEV_IPV6_PKT_TOO_SMALL);
	if (b[0] >> 4 != 6)
		return dec_invalid(p, DEV_IPV6_WRONG_IP_VERSION);
	end = 40 + (uint32_t)ot_be16(b + 4);
	if (len < end)
		return dec_invalid(p, DEV_IPV6_TRUNC_PKT);

	p->ip_ver = 6;
	memcpy(p->src.b, b + 8, 16);
	memcpy(p->dst.b, b + 24, 16);
	p->ttl = b[7];
	p->l3 = b;
	p->l3_len = end;
	nh = b[6];

	for (;;) {
		uint32_t hl;
		switch (nh) {
		case NH_HOPOPTS:
		case NH_DSTOPTS:
		case NH_ROUTING:
		case NH_MOBILITY:
		case NH_HIP:
		case NH_SHIM6:
			if (end - off < 8)
				return dec_invalid(p, DEV_IPV6_TRUNC_EXTHDR);
			hl = ((uint32_t)b[off + 1] + 1) * 8;
			if (hl > end - off)
				return dec_invalid(p, DEV_IPV6_TRUNC_EXTHDR);
			if (nh == NH_HOPOPTS || nh == NH_DSTOPTS)
				ipv6_options(p, b + off + 2, hl - 2);
			else if (nh == NH_ROUTING && b[off + 2] == 0)
				decode_event_add(p, DEV_IPV6_RH_TYPE_0);
			break;
		case NH_AH:
			if (end - off < 8)
				return dec_invalid(p, DEV_IPV6_TRUNC_EXTHDR);
			hl = ((uint32_t)b[off + 1] + 2) * 4;
			if (hl > end - off)
				return dec_invalid(p, DEV_IPV6_TRUNC_EXTHDR);
			break;
		case NH_FRAGMENT:
			if (end - off < 8)
				return dec_invalid(p, DEV_IPV6_TRUNC_EXTHDR);
			if (seen_frag)
				return dec_invalid(p, DEV_IPV6_EXTHDR_DUPL_FH);
			seen_frag = true;
			hl = 8;
			/* an atomic fragment is a whole packet */
			if ((ot_be16(b + off + 2) & 0xfff9) != 0)
				return ipv6_fragment(ds, b, off, end, nh_off);
			break;
		case NH_NONE:
			if (off < end)
				decode_event_add(p, DEV_IPV6_DATA_AFTER_NONE_HEADER);
			/* fall through */
		case NH_ESP:
			p->proto = nh;
			p->l4 = b + off;
			p->l4_len = end - off;
			p->payload = p->l4;
			p->payload_len = p->l4_len;
			return DECODE_OK;
		case IPPROTO_TCP:
		case IPPROTO_UDP:
		case IPPROTO_ICMPV6:
		case IPPROTO_ICMP:
		case IPPROTO_SCTP:
		case IPPROTO_GRE:
		case IPPROTO_IPIP:
		case IPPROTO_IPV6:
			return decode_transport(ds, nh, b + off, end - off);
		default:
			decode_event_add(p, DEV_IPV6_UNKNOWN_NEXT_HEADER);
			return decode_transport(ds, nh, b + off, end - off);
		}
		nh_off = off;
		nh = b[off];
		off += hl;
	}
}
