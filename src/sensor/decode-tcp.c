/*
 * decode-tcp.c - the TCP header and the options the stream engine needs:
 * MSS, window scale, SACK-permitted, SACK blocks and timestamps.
 *
 * A header that does not fit makes the packet invalid.  A bad option length
 * only stops the option walk (the options seen so far are kept) and a
 * repeated option keeps its first value; both add an event.
 */
#include "decode-int.h"

#include <netinet/in.h>

#include "../lib/util.h"

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACKOK 4
#define OPT_SACK 5
#define OPT_TS 8

static void tcp_options(struct packet *p, const uint8_t *o, uint32_t len)
{
	unsigned seen = 0;
	while (len) {
		uint8_t kind = o[0];
		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			o++;
			len--;
			continue;
		}
		if (len < 2 || o[1] < 2 || o[1] > len) {
			decode_event_add(p, DEV_TCP_OPT_INVALID_LEN);
			break;
		}
		uint8_t olen = o[1];
		bool ok = true, dup = false;
		if (kind < 32) {
			dup = seen & (1u << kind);
			seen |= 1u << kind;
		}
		switch (kind) {
		case OPT_MSS:
			ok = olen == 4;
			if (ok && !dup)
				p->tcp_mss = ot_be16(o + 2);
			break;
		case OPT_WS:
			ok = olen == 3;
			if (ok && !dup)
				p->tcp_wscale = o[2];
			break;
		case OPT_SACKOK:
			ok = olen == 2;
			if (ok && !dup)
				p->tcp_sack_ok = true;
			break;
		case OPT_SACK:
			ok = olen >= 10 && (olen - 2) % 8 == 0;
			if (ok && !dup) {
				p->tcp_sack = o + 2;
				p->tcp_sack_cnt = (uint8_t)((olen - 2) / 8);
			}
			break;
		case OPT_TS:
			ok = olen == 10;
			if (ok && !dup) {
				p->tcp_has_ts = true;
				p->tcp_tsval = ot_be32(o + 2);
				p->tcp_tsecr = ot_be32(o + 6);
			}
			break;
		default:
			dup = false;
			break;
		}
		if (!ok)
			decode_event_add(p, DEV_TCP_OPT_INVALID_LEN);
		else if (dup)
			decode_event_add(p, DEV_TCP_OPT_DUPLICATE);
		o += olen;
		len -= olen;
	}
}

enum decode_result decode_tcp(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	uint32_t hlen;

	ds->dc->stats.tcp++;
	if (len < 20)
		return dec_invalid(p, DEV_TCP_PKT_TOO_SMALL);
	hlen = (b[12] >> 4) * 4u;
	if (hlen < 20)
		return dec_invalid(p, DEV_TCP_INVALID_OPTLEN);
	if (len < hlen)
		return dec_invalid(p, DEV_TCP_HLEN_TOO_SMALL);

	p->proto = IPPROTO_TCP;
	p->sport = ot_be16(b);
	p->dport = ot_be16(b + 2);
	p->tcp_seq = ot_be32(b + 4);
	p->tcp_ack = ot_be32(b + 8);
	p->tcp_flags = b[13];
	p->tcp_win = ot_be16(b + 14);
	p->l4 = b;
	p->l4_len = len;
	p->payload = b + hlen;
	p->payload_len = len - hlen;
	if (hlen > 20)
		tcp_options(p, b + 20, hlen - 20);
	csum_check_l4(ds, IPPROTO_TCP, b, len);
	return DECODE_OK;
}
