/*
 * fuzz-decode.c - the packet decoders and fragment reassembly.
 *
 * Input: one selector byte, then the frame.  The selector's low 4 bits pick
 * the datalink (Ethernet, SLL, SLL2, raw under its names, null, loop, PPP,
 * PPP serial, PPPoE, Cisco HDLC, PPI); bit 0x40 turns checksum validation
 * on.  With bit 0x80 the rest is several frames, each preceded by a 2-byte
 * big-endian length, so fragments of one datagram can come in one input.
 * The decoder context lives across inputs, so fragments from different
 * inputs meet in the reassembly table too; a fake clock advancing one
 * second per input makes them time out, and the small memcap is hit.
 *
 * Every frame is copied to a buffer of its exact size (ASan sees any read
 * past it), and what the decoder returns is checked against the frame:
 * layer pointers in bounds and nested, counters adding up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/dlt.h>

#include "../../src/sensor/decode.h"

static const int dlts[16] = {
	DLT_EN10MB, DLT_LINUX_SLL, 276 /* SLL2 */, DLT_RAW, 101 /* LINKTYPE_RAW */,
	228 /* IPV4 */, 229 /* IPV6 */, DLT_NULL, DLT_LOOP, DLT_PPP, 50 /* PPP_SERIAL */,
	51 /* PPP_ETHER */, 104 /* C_HDLC */, 192 /* PPI */, DLT_EN10MB, DLT_EN10MB,
};

static struct decode_ctx dc;
static bool ready;
static time_t clock_now = 1000000;

static void check(const struct packet *p, enum decode_result r)
{
	const struct decode_stats *s = &dc.stats;
	if (s->pkts != s->ok + s->noflow + s->invalid ||
	    s->noflow != s->arp + s->other + s->frag_held)
		abort();
	if (r != DECODE_OK)
		return;
	if (p->ip_ver != 4 && p->ip_ver != 6)
		abort();
	if (!p->l3 || !p->l4 || !p->payload)
		abort();
	if (p->l4 < p->l3 || p->l4 + p->l4_len > p->l3 + p->l3_len)
		abort();
	if (p->payload < p->l4 || p->payload + p->payload_len > p->l4 + p->l4_len)
		abort();
	if (!p->owned && (p->l3 < p->data || p->l3 + p->l3_len > p->data + p->caplen))
		abort();
	if (p->depth > PKT_MAX_DEPTH || p->vlan_cnt > PKT_MAX_VLAN || p->event_cnt > PKT_MAX_EVENTS)
		abort();
	if (p->ip_ver == 4 && (p->src.w[1] | p->src.w[2] | p->src.w[3] | p->dst.w[1] |
			       p->dst.w[2] | p->dst.w[3]))
		abort();
	if (p->tcp_sack_cnt && (p->tcp_sack < p->l4 || p->tcp_sack + 8u * p->tcp_sack_cnt >
							  p->payload))
		abort();
	for (int i = 0; i < p->event_cnt; i++)
		if (!decode_event_name(p->events[i]))
			abort();
}

static void one(int dlt, const uint8_t *d, size_t len)
{
	struct packet p;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, d, len);
	memset(&p, 0, sizeof(p));
	p.ts.tv_sec = clock_now;
	p.data = copy;
	p.caplen = (uint32_t)len;
	p.wirelen = (uint32_t)len;
	p.datalink = dlt;
	enum decode_result r = decode_packet(&dc, &p);
	check(&p, r);
	packet_release(&p);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		struct decode_cfg cfg;
		decode_cfg_defaults(&cfg);
		cfg.vxlan_ports[1] = 8472;
		cfg.defrag_memcap = 256 * 1024;
		cfg.defrag_timeout = 30;
		if (decode_ctx_init(&dc, &cfg) < 0)
			abort();
		ready = true;
	}
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	int dlt = dlts[sel & 0x0f];
	dc.cfg.checksum_validate = sel & 0x40;
	clock_now++;
	if (clock_now % 16 == 0) {
		struct timeval now = { .tv_sec = clock_now, .tv_usec = 0 };
		decode_defrag_timeout(&dc, &now);
	}
	data++;
	size--;
	if (!(sel & 0x80)) {
		one(dlt, data, size);
		return 0;
	}
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		one(dlt, data, len);
		data += len;
		size -= len;
	}
	return 0;
}
