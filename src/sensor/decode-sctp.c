/*
 * decode-sctp.c - the SCTP common header: ports, so SCTP associations get
 * flows keyed like TCP and UDP ones (Suricata tracks them with ports too).
 * Chunks are not walked and the CRC32c is not checked.
 */
#include "decode-int.h"

#include <netinet/in.h>

#include "../lib/util.h"

enum decode_result decode_sctp(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	ds->dc->stats.sctp++;
	if (len < 12)
		return dec_invalid(p, DEV_SCTP_PKT_TOO_SMALL);
	p->proto = IPPROTO_SCTP;
	p->sport = ot_be16(b);
	p->dport = ot_be16(b + 2);
	p->l4 = b;
	p->l4_len = len;
	p->payload = b + 12;
	p->payload_len = len - 12;
	return DECODE_OK;
}
