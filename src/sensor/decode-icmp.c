/*
 * decode-icmp.c - ICMPv4 and ICMPv6 headers.
 *
 * Type and code are kept for the flow (ICMP flows have no ports); types and
 * codes outside the assigned ones add an event but the packet is still
 * tracked.  An error message (unreachable, time exceeded...) is an ICMP
 * packet like any other here.
 */
#include "decode-int.h"

#include <netinet/in.h>

#include "../lib/util.h"

/* 0: known type and code, 1: unknown type, 2: unknown code */
static int icmpv4_check(uint8_t type, uint8_t code)
{
	switch (type) {
	case 0: case 8:         /* echo reply, request */
	case 4:                 /* source quench */
	case 10:                /* router solicitation */
	case 13: case 14:       /* timestamp */
	case 15: case 16:       /* information */
	case 17: case 18:       /* address mask */
		return code == 0 ? 0 : 2;
	case 3:                 /* destination unreachable */
		return code <= 15 ? 0 : 2;
	case 5:                 /* redirect */
		return code <= 3 ? 0 : 2;
	case 9:                 /* router advertisement */
		return code == 0 || code == 16 ? 0 : 2;
	case 11:                /* time exceeded */
		return code <= 1 ? 0 : 2;
	case 12:                /* parameter problem */
		return code <= 2 ? 0 : 2;
	case 40:                /* photuris */
		return code <= 5 ? 0 : 2;
	case 42: case 43:       /* extended echo */
		return code <= 4 ? 0 : 2;
	default:
		return 1;
	}
}

static int icmpv6_check(uint8_t type, uint8_t code)
{
	switch (type) {
	case 1:                 /* destination unreachable */
		return code <= 7 ? 0 : 2;
	case 2:                 /* packet too big */
		return code == 0 ? 0 : 2;
	case 3:                 /* time exceeded */
		return code <= 1 ? 0 : 2;
	case 4:                 /* parameter problem */
		return code <= 10 ? 0 : 2;
	case 128: case 129:     /* echo */
		return code == 0 ? 0 : 2;
	case 100: case 101: case 127:   /* private experimentation, reserved */
	case 200: case 201: case 255:
		return 0;
	default:
		/* MLD, ND, router renumbering, node information, MLDv2, mobility,
		 * RPL, extended echo... */
		if ((type >= 130 && type <= 155) || (type >= 157 && type <= 162))
			return 0;
		return 1;
	}
}

static void icmp_fill(struct dstate *ds, uint8_t proto, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	p->proto = proto;
	p->icmp_type = b[0];
	p->icmp_code = b[1];
	p->l4 = b;
	p->l4_len = len;
	p->payload = b + 8;
	p->payload_len = len - 8;
}

enum decode_result decode_icmpv4(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	ds->dc->stats.icmpv4++;
	if (len < 8)
		return dec_invalid(p, DEV_ICMPV4_PKT_TOO_SMALL);
	icmp_fill(ds, IPPROTO_ICMP, b, len);
	switch (icmpv4_check(b[0], b[1])) {
	case 1:
		decode_event_add(p, DEV_ICMPV4_UNKNOWN_TYPE);
		break;
	case 2:
		decode_event_add(p, DEV_ICMPV4_UNKNOWN_CODE);
		break;
	}
	csum_check_l4(ds, IPPROTO_ICMP, b, len);
	return DECODE_OK;
}

enum decode_result decode_icmpv6(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	ds->dc->stats.icmpv6++;
	if (len < 8)
		return dec_invalid(p, DEV_ICMPV6_PKT_TOO_SMALL);
	icmp_fill(ds, IPPROTO_ICMPV6, b, len);
	switch (icmpv6_check(b[0], b[1])) {
	case 1:
		decode_event_add(p, DEV_ICMPV6_UNKNOWN_TYPE);
		break;
	case 2:
		decode_event_add(p, DEV_ICMPV6_UNKNOWN_CODE);
		break;
	}
	csum_check_l4(ds, IPPROTO_ICMPV6, b, len);
	return DECODE_OK;
}
