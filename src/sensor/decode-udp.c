/*
 * decode-udp.c - the UDP header, and the hand-off of UDP payloads that are
 * tunnels: Teredo (port 3544 either way, only when the payload parses as
 * a clean IPv6 packet) and VXLAN (the configured destination ports).
 *
 * The length field must match the IP payload exactly, as Suricata requires:
 * a shorter field (trailing bytes) or a longer one (truncation) makes the
 * packet invalid.
 */
#include "decode-int.h"

#include <netinet/in.h>

#include "../lib/util.h"

#define TEREDO_PORT 3544

static bool vxlan_port(const struct decode_cfg *cfg, uint16_t port)
{
	for (size_t i = 0; i < sizeof(cfg->vxlan_ports) / sizeof(cfg->vxlan_ports[0]); i++)
		if (cfg->vxlan_ports[i] && cfg->vxlan_ports[i] == port)
			return true;
	return false;
}

enum decode_result decode_udp(struct dstate *ds, const uint8_t *b, uint32_t len)
{
	struct packet *p = ds->p;
	const struct decode_cfg *cfg = &ds->dc->cfg;
	uint32_t ulen;

	ds->dc->stats.udp++;
	if (len < 8)
		return dec_invalid(p, DEV_UDP_HLEN_TOO_SMALL);
	ulen = ot_be16(b + 4);
	if (ulen < 8)
		return dec_invalid(p, DEV_UDP_LEN_INVALID);
	if (ulen > len)
		return dec_invalid(p, DEV_UDP_PKT_TOO_SMALL);
	if (ulen != len)
		return dec_invalid(p, DEV_UDP_HLEN_INVALID);

	p->proto = IPPROTO_UDP;
	p->sport = ot_be16(b);
	p->dport = ot_be16(b + 2);
	p->l4 = b;
	p->l4_len = ulen;
	p->payload = b + 8;
	p->payload_len = ulen - 8;
	csum_check_l4(ds, IPPROTO_UDP, b, ulen);

	if (p->payload_len) {
		enum decode_result r;
		bool taken = false;
		if (cfg->teredo && (p->sport == TEREDO_PORT || p->dport == TEREDO_PORT)) {
			r = decode_teredo(ds, p->payload, p->payload_len, &taken);
			if (taken)
				return r;
		}
		if (cfg->vxlan && vxlan_port(cfg, p->dport)) {
			r = decode_vxlan(ds, p->payload, p->payload_len, &taken);
			if (taken)
				return r;
		}
	}
	return DECODE_OK;
}
