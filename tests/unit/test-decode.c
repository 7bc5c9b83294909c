/*
 * test-decode.c - the packet decoders on real frames.
 *
 * Frames come from the nDPI and suricata-verify captures in the shared data
 * folder (OT_SHARED_DATA, else $OT_SOURCE_ROOT/../shared/data), read with
 * libpcap; the expected values were read off the same frames with tshark.
 * Link layers, VLAN/QinQ, every tunnel kind, IPv6 extension headers, TCP
 * options, checksums, fragments (real ones, reordered, overlapped, too
 * large, timed out, refused by the memcap), every truncation of real
 * frames, the layer caps, and a run over every nDPI capture whose counters
 * must add up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>

#include "../../src/sensor/decode.h"
#include "../../src/sensor/defrag.h"

#define LINKTYPE_RAW 101
#define DLT_SLL2 276
#define DLT_IPV4_ 228
#define DLT_IPV6_ 229

struct frame {
	uint8_t *d;
	uint32_t len;
	struct timeval ts;
};

struct cap {
	int dlt;
	size_t n;
	struct frame *f;
};

static const char *data_path(const char *rel, char *buf, size_t len)
{
	const char *sh = getenv("OT_SHARED_DATA");
	const char *root = getenv("OT_SOURCE_ROOT");
	if (sh)
		snprintf(buf, len, "%s/%s", sh, rel);
	else
		snprintf(buf, len, "%s/../shared/data/%s", root ? root : ".", rel);
	return buf;
}

static struct cap *cap_load_path(const char *path, size_t max)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc)
		return NULL;
	struct cap *c = calloc(1, sizeof(*c));
	size_t cap = 16;
	c->f = calloc(cap, sizeof(*c->f));
	c->dlt = pcap_datalink(pc);
	while (c->n < max && pcap_next_ex(pc, &h, &d) == 1) {
		if (c->n == cap) {
			cap *= 2;
			c->f = realloc(c->f, cap * sizeof(*c->f));
		}
		/* an exact-size copy, so a read past the end is caught by ASan */
		c->f[c->n].d = malloc(h->caplen ? h->caplen : 1);
		memcpy(c->f[c->n].d, d, h->caplen);
		c->f[c->n].len = h->caplen;
		c->f[c->n].ts = h->ts;
		c->n++;
	}
	pcap_close(pc);
	return c;
}

static struct cap *cap_load(const char *rel)
{
	char path[PATH_MAX];
	struct cap *c = cap_load_path(data_path(rel, path, sizeof(path)), 100000);
	if (!c)
		fail_msg("cannot read %s", path);
	return c;
}

static void cap_free(struct cap *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->f[i].d);
	free(c->f);
	free(c);
}

static void ctx_init(struct decode_ctx *dc, void (*tweak)(struct decode_cfg *))
{
	struct decode_cfg cfg;
	decode_cfg_defaults(&cfg);
	if (tweak)
		tweak(&cfg);
	assert_int_equal(decode_ctx_init(dc, &cfg), 0);
}

static enum decode_result dec(struct decode_ctx *dc, struct packet *p, int dlt,
			      const uint8_t *d, uint32_t len)
{
	p->data = d;
	p->caplen = len;
	p->wirelen = len;
	p->datalink = dlt;
	return decode_packet(dc, p);
}

/* frame i (1-based, as tshark numbers them) of c */
static enum decode_result decf(struct decode_ctx *dc, struct packet *p, const struct cap *c,
			       size_t i)
{
	assert_true(i >= 1 && i <= c->n);
	p->ts = c->f[i - 1].ts;
	return dec(dc, p, c->dlt, c->f[i - 1].d, c->f[i - 1].len);
}

static void assert_ip(const struct ot_addr *a, const char *txt)
{
	struct ot_addr e;
	memset(&e, 0, sizeof(e));
	int ok = strchr(txt, ':') ? inet_pton(AF_INET6, txt, e.b) : inet_pton(AF_INET, txt, e.b);
	assert_int_equal(ok, 1);
	if (memcmp(a->b, e.b, 16)) {
		char buf[64];
		fail_msg("address %s, expected %s",
			 ot_addr_str(a, strchr(txt, ':') ? 6 : 4, buf, sizeof(buf)), txt);
	}
}

static void assert_tuple(const struct packet *p, int ver, const char *src, int sport,
			 const char *dst, int dport, int proto)
{
	assert_int_equal(p->ip_ver, ver);
	assert_ip(&p->src, src);
	assert_ip(&p->dst, dst);
	assert_int_equal(p->sport, sport);
	assert_int_equal(p->dport, dport);
	assert_int_equal(p->proto, proto);
}

static bool has_event(const struct packet *p, uint16_t ev)
{
	for (int i = 0; i < p->event_cnt; i++)
		if (p->events[i] == ev)
			return true;
	return false;
}

static void assert_stats_add_up(const struct decode_stats *s)
{
	assert_int_equal(s->pkts, s->ok + s->noflow + s->invalid);
	assert_int_equal(s->noflow, s->arp + s->other + s->frag_held);
}

/* ---- the event table ---- */

static void test_event_names(void **state)
{
	for (uint16_t a = 1; a < DEV_MAX; a++) {
		const char *n = decode_event_name(a);
		assert_non_null(n);
		assert_int_equal(strncmp(n, "decoder.", 8), 0);
		assert_string_not_equal(n, "decoder.unknown");
		for (uint16_t b = 1; b < a; b++)
			assert_string_not_equal(n, decode_event_name(b));
	}
	assert_string_equal(decode_event_name(DEV_IPV4_TRUNC_PKT), "decoder.ipv4.trunc_pkt");
	assert_string_equal(decode_event_name(DEV_MAX), "decoder.unknown");

	struct packet p;
	memset(&p, 0, sizeof(p));
	for (uint16_t e = 1; e < 20; e++)
		decode_event_add(&p, e);
	decode_event_add(&p, 1);
	assert_int_equal(p.event_cnt, PKT_MAX_EVENTS);
	p.event_cnt = 0;
	decode_event_add(&p, 3);
	decode_event_add(&p, 3);
	assert_int_equal(p.event_cnt, 1);
}

/* ---- Ethernet, IPv4, TCP and its options ---- */

static void test_ipv4_tcp_options(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/ssh.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);

	/* SYN: MSS 1460, WS 3, SACK permitted, TS 479571957/0 */
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_tuple(&p, 4, "172.16.238.1", 58395, "172.16.238.168", 22, IPPROTO_TCP);
	assert_int_equal(p.depth, 0);
	assert_int_equal(p.vlan_cnt, 0);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.ip_id, 0x7a4f);
	assert_ptr_equal(p.l3, c->f[0].d + 14);
	assert_int_equal(p.l3_len, 64);
	assert_ptr_equal(p.l4, c->f[0].d + 34);
	assert_int_equal(p.l4_len, 44);
	assert_ptr_equal(p.payload, c->f[0].d + 78);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.tcp_flags, 0x02);
	assert_int_equal(p.tcp_seq, 928939946u);
	assert_int_equal(p.tcp_ack, 0);
	assert_int_equal(p.tcp_win, 65535);
	assert_int_equal(p.tcp_mss, 1460);
	assert_int_equal(p.tcp_wscale, 3);
	assert_true(p.tcp_sack_ok);
	assert_true(p.tcp_has_ts);
	assert_int_equal(p.tcp_tsval, 479571957u);
	assert_int_equal(p.tcp_tsecr, 0);
	assert_int_equal(p.event_cnt, 0);
	assert_false(p.frag);

	/* SYN/ACK: WS 6, TS 1254136/479571957 */
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_OK);
	assert_tuple(&p, 4, "172.16.238.168", 22, "172.16.238.1", 58395, IPPROTO_TCP);
	assert_int_equal(p.tcp_flags, 0x12);
	assert_int_equal(p.tcp_ack, 928939947u);
	assert_int_equal(p.tcp_wscale, 6);
	assert_int_equal(p.tcp_tsval, 1254136u);
	assert_int_equal(p.tcp_tsecr, 479571957u);

	/* ACK: no MSS, no WS (0xff), no SACK-permitted: nothing left over */
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_OK);
	assert_int_equal(p.tcp_flags, 0x10);
	assert_int_equal(p.tcp_mss, 0);
	assert_int_equal(p.tcp_wscale, 0xff);
	assert_false(p.tcp_sack_ok);
	assert_true(p.tcp_has_ts);
	assert_int_equal(p.tcp_tsval, 479571957u);

	/* crafted from the SYN, whose options (at 54) are
	 * 02 04 05 b4 | 01 | 03 03 03 | 01 01 | 08 0a <ts> | 04 02 | 00 00 */
	uint8_t f[78];
	memcpy(f, c->f[0].d, 78);
	assert_int_equal(f[54 + 5], 3);
	assert_int_equal(f[54 + 20], 4);
	f[54 + 20] = 3;         /* SACK-permitted + EOL become a second WS */
	f[54 + 21] = 3;
	f[54 + 22] = 7;
	assert_int_equal(dec(&dc, &p, c->dlt, f, 78), DECODE_OK);
	assert_true(has_event(&p, DEV_TCP_OPT_DUPLICATE));
	assert_int_equal(p.tcp_wscale, 3);      /* the first one counts */
	assert_false(p.tcp_sack_ok);
	assert_int_equal(p.tcp_mss, 1460);
	memcpy(f, c->f[0].d, 78);
	f[54 + 1] = 60;         /* MSS longer than the options: the walk stops */
	assert_int_equal(dec(&dc, &p, c->dlt, f, 78), DECODE_OK);
	assert_true(has_event(&p, DEV_TCP_OPT_INVALID_LEN));
	assert_int_equal(p.tcp_mss, 0);
	assert_int_equal(p.tcp_wscale, 0xff);
	memcpy(f, c->f[0].d, 78);
	f[54 + 1] = 5;          /* MSS of a wrong length: skipped, the rest kept */
	assert_int_equal(dec(&dc, &p, c->dlt, f, 78), DECODE_OK);
	assert_true(has_event(&p, DEV_TCP_OPT_INVALID_LEN));
	assert_int_equal(p.tcp_mss, 0);
	assert_int_equal(p.tcp_wscale, 3);
	assert_true(p.tcp_has_ts);
	memcpy(f, c->f[0].d, 78);
	f[14 + 20 + 12] = 0x40; /* data offset 4: shorter than a TCP header */
	assert_int_equal(dec(&dc, &p, c->dlt, f, 78), DECODE_INVALID);
	assert_true(has_event(&p, DEV_TCP_INVALID_OPTLEN));

	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void test_tcp_sack_blocks(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/ocs.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	assert_int_equal(decf(&dc, &p, c, 26), DECODE_OK);
	assert_tuple(&p, 4, "192.168.180.2", 41223, "216.58.208.46", 443, IPPROTO_TCP);
	assert_int_equal(p.tcp_sack_cnt, 1);
	assert_non_null(p.tcp_sack);
	uint32_t le = (uint32_t)p.tcp_sack[0] << 24 | p.tcp_sack[1] << 16 | p.tcp_sack[2] << 8 | p.tcp_sack[3];
	uint32_t re = (uint32_t)p.tcp_sack[4] << 24 | p.tcp_sack[5] << 16 | p.tcp_sack[6] << 8 | p.tcp_sack[7];
	assert_int_equal(le, 3805069876u);
	assert_int_equal(re, 3805071264u);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void test_ipv4_options(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/wechat.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	/* IGMP with the router alert option: an IP protocol we do not decode
	 * is still a flow, on addresses alone */
	assert_int_equal(decf(&dc, &p, c, 474), DECODE_OK);
	assert_tuple(&p, 4, "192.168.1.254", 0, "224.0.0.1", 0, 2);
	assert_ptr_equal(p.l4, p.l3 + 24);
	assert_int_equal(p.event_cnt, 0);

	struct frame *fr = &c->f[473];
	uint8_t *f = malloc(fr->len);
	memcpy(f, fr->d, fr->len);
	assert_int_equal(f[14 + 20], 148);
	f[14 + 21] = 3;         /* router alert of length 3: kept, flagged */
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len), DECODE_OK);
	assert_true(has_event(&p, DEV_IPV4_OPT_INVALID));
	f[14 + 21] = 9;         /* runs past the header */
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_IPV4_OPT_INVALID_LEN));
	free(f);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

/* ---- VLAN, QinQ, ARP ---- */

static void test_vlan_arp(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("suricata-verify/alerts/arp__detect-arp-03-vlan/input.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_NOFLOW);
	assert_int_equal(p.vlan_cnt, 1);
	assert_int_equal(p.vlan[0], 6);
	assert_int_equal(p.ethertype, 0x0806);
	assert_int_equal(p.ip_ver, 0);
	assert_int_equal(p.l3_len, 28);
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_NOFLOW);
	assert_int_equal(p.vlan_cnt, 2);
	assert_int_equal(p.vlan[0], 1);
	assert_int_equal(p.vlan[1], 10);
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_NOFLOW);
	assert_int_equal(p.vlan_cnt, 3);
	assert_int_equal(dc.stats.arp, 3);
	assert_int_equal(dc.stats.noflow, 3);

	/* a fourth tag is one too many */
	struct frame *fr = &c->f[2];
	uint8_t *f = malloc(fr->len + 4);
	memcpy(f, fr->d, 16);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = 0x00;
	f[15] = 0x07;
	memcpy(f + 16, fr->d + 12, fr->len - 12);
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len + 4), DECODE_INVALID);
	assert_true(has_event(&p, DEV_VLAN_TOO_MANY_LAYERS));
	/* a truncated ARP message */
	assert_int_equal(dec(&dc, &p, c->dlt, fr->d, fr->len - 20), DECODE_INVALID);
	assert_true(has_event(&p, DEV_ARP_PKT_TOO_SMALL));
	free(f);
	assert_stats_add_up(&dc.stats);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void test_vlan_tcp(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/smb_frags.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.vlan_cnt, 1);
	assert_int_equal(p.vlan[0], 1608);
	assert_tuple(&p, 4, "10.202.211.125", 54120, "10.202.7.8", 445, IPPROTO_TCP);
	assert_int_equal(dc.stats.vlan, 1);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

/* ---- tunnels ---- */

static void test_qinq_4in4(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/4in4tunnel.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	for (size_t i = 1; i <= c->n; i++) {
		assert_int_equal(decf(&dc, &p, c, i), DECODE_OK);
		assert_int_equal(p.vlan_cnt, 2);
		assert_int_equal(p.vlan[0], 1624);
		assert_int_equal(p.vlan[1], 505);
		assert_int_equal(p.depth, 1);
		assert_tuple(&p, 4, "10.10.100.25", 62367, "10.10.101.2", 17000, IPPROTO_UDP);
		assert_int_equal(p.ttl, 254);
		assert_int_equal(p.l3_len, 128);
		assert_int_equal(p.l4_len, 108);
		assert_int_equal(p.payload_len, 100);
		assert_int_equal(p.outer.ip_ver, 4);
		assert_int_equal(p.outer.proto, IPPROTO_IPIP);
		assert_ip(&p.outer.src, "69.67.35.146");
		assert_ip(&p.outer.dst, "41.202.46.110");
		assert_int_equal(p.outer.len, 148);
	}
	assert_int_equal(dc.stats.ipv4, 2 * c->n);
	assert_int_equal(dc.stats.vlan, 2 * c->n);
	assert_int_equal(dc.stats.tunnels, c->n);

	/* 802.1ad outer tag (0x88a8): the same */
	uint8_t *f = malloc(c->f[0].len);
	memcpy(f, c->f[0].d, c->f[0].len);
	f[12] = 0x88;
	f[13] = 0xa8;
	assert_int_equal(dec(&dc, &p, c->dlt, f, c->f[0].len), DECODE_OK);
	assert_int_equal(p.vlan_cnt, 2);
	assert_int_equal(p.vlan[1], 505);
	free(f);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void test_4in6_6in4_6in6(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c;
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);

	c = cap_load("pcaps/ndpi/4in6tunnel.pcap");
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.depth, 1);
	assert_tuple(&p, 4, "192.168.0.1", 64455, "10.10.10.1", 443, IPPROTO_TCP);
	assert_int_equal(p.outer.ip_ver, 6);
	assert_int_equal(p.outer.proto, IPPROTO_IPIP);
	assert_ip(&p.outer.src, "22e0:1685:eda7:38cc:58bd:f3f1:aa3f:22d8");
	assert_ip(&p.outer.dst, "344a:ba94:152a:ac34::2a");
	for (size_t i = 2; i <= c->n; i++)
		assert_int_equal(decf(&dc, &p, c, i), DECODE_OK);
	cap_free(c);

	c = cap_load("pcaps/ndpi/6in4tunnel.pcap");
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.depth, 1);
	assert_tuple(&p, 6, "2001:470:1f17:13f:3e97:eff:fe73:4dec", 0, "2604:a880:1:20::224:b001", 0,
		     IPPROTO_ICMPV6);
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(p.icmp_code, 0);
	assert_int_equal(p.l3_len, 40 + 64);
	assert_int_equal(p.ethertype, 0x86dd);
	assert_int_equal(p.outer.proto, IPPROTO_IPV6);
	assert_ip(&p.outer.src, "174.3.73.24");
	assert_ip(&p.outer.dst, "184.105.255.26");
	for (size_t i = 2; i <= c->n; i++) {
		assert_int_equal(decf(&dc, &p, c, i), DECODE_OK);
		assert_int_equal(p.depth, 1);
		assert_int_equal(p.ip_ver, 6);
	}
	cap_free(c);

	c = cap_load("pcaps/ndpi/6in6tunnel.pcap");
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.depth, 1);
	assert_tuple(&p, 6, "dead::beef", 30000, "cafe::babe", 13000, IPPROTO_UDP);
	assert_ip(&p.outer.src, "2001:4f8:4:7:2e0:81ff:fe52:ffff");
	assert_ip(&p.outer.dst, "2001:4f8:4:7:2e0:81ff:fe52:9a6b");
	assert_int_equal(p.outer.proto, IPPROTO_IPV6);
	/* the inner header claims another version */
	uint8_t *f = malloc(c->f[0].len);
	memcpy(f, c->f[0].d, c->f[0].len);
	f[54] = 0x45;
	assert_int_equal(dec(&dc, &p, c->dlt, f, c->f[0].len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_IPV6_IN_IPV6_WRONG_IP_VER));
	free(f);
	cap_free(c);

	assert_stats_add_up(&dc.stats);
	assert_int_equal(dc.stats.invalid, 1);
	decode_ctx_destroy(&dc);
}

static void test_gre_pptp(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/gre.pcapng");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	/* VLAN 142, IPv4, GRE v1 (key, seq, ack), PPP, IPv4, UDP/SIP */
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.vlan_cnt, 1);
	assert_int_equal(p.vlan[0], 142);
	assert_int_equal(p.depth, 1);
	assert_tuple(&p, 4, "192.168.10.210", 5060, "192.168.103.40", 5060, IPPROTO_UDP);
	assert_int_equal(p.l3_len, 326);
	assert_int_equal(p.l4_len, 306);
	assert_memory_equal(p.payload, "SIP/2.0 100", 11);
	assert_int_equal(p.outer.proto, IPPROTO_GRE);
	assert_int_equal(p.outer.sport, 0);
	assert_ip(&p.outer.src, "109.105.228.253");
	assert_ip(&p.outer.dst, "10.177.98.84");
	assert_int_equal(dc.stats.gre, 1);
	assert_int_equal(dc.stats.ppp, 1);

	/* GRE decoding off: the GRE packet is a flow of its own */
	decode_ctx_destroy(&dc);
	dc.cfg.gre = false;
	struct decode_cfg cfg = dc.cfg;
	assert_int_equal(decode_ctx_init(&dc, &cfg), 0);
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.depth, 0);
	assert_tuple(&p, 4, "109.105.228.253", 0, "10.177.98.84", 0, IPPROTO_GRE);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void no_erspan(struct decode_cfg *cfg)
{
	cfg->erspan = false;
}

static void test_erspan_type1(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("suricata-verify/logs-core/decode-erspan-typeI-01/input.pcap");
	int v1011 = 0, v999 = 0;
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	assert_int_equal(c->n, 42);
	for (size_t i = 1; i <= c->n; i++) {
		assert_int_equal(decf(&dc, &p, c, i), DECODE_OK);
		assert_int_equal(p.depth, 1);
		assert_int_equal(p.proto, IPPROTO_ICMP);
		assert_int_equal(p.vlan_cnt, 1);
		if (p.vlan[0] == 1011) {
			assert_ip(&p.src, "100.95.2.201");
			assert_int_equal(p.icmp_type, 8);
			v1011++;
		} else {
			assert_int_equal(p.vlan[0], 999);
			assert_ip(&p.src, "100.95.3.105");
			assert_int_equal(p.icmp_type, 0);
			v999++;
		}
		assert_int_equal(p.outer.proto, IPPROTO_GRE);
		assert_ip(&p.outer.src, "100.95.0.15");
	}
	assert_int_equal(v1011, 21);
	assert_int_equal(v999, 21);
	/* the counters suricata-verify checks */
	assert_int_equal(dc.stats.ipv4, 84);
	assert_int_equal(dc.stats.gre, 42);
	assert_int_equal(dc.stats.erspan, 42);
	decode_ctx_destroy(&dc);

	/* type I off: plain GRE */
	ctx_init(&dc, no_erspan);
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.depth, 0);
	assert_int_equal(p.proto, IPPROTO_GRE);
	assert_int_equal(p.vlan_cnt, 0);
	decode_ctx_destroy(&dc);

	/* crafted from it: ERSPAN type II (sequence number, version 1, VLAN 77) */
	ctx_init(&dc, NULL);
	struct frame *fr = &c->f[0];
	uint32_t n = fr->len + 12;
	uint8_t *f = malloc(n);
	memcpy(f, fr->d, 38);
	f[16] = (uint8_t)((fr->len - 14 + 12) >> 8);
	f[17] = (uint8_t)(fr->len - 14 + 12);
	f[34] = 0x10;           /* S */
	memset(f + 38, 0, 12);
	f[42] = 0x10;           /* version 1, VLAN 77 */
	f[43] = 77;
	memcpy(f + 50, fr->d + 38, fr->len - 38);
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_OK);
	assert_int_equal(p.depth, 1);
	assert_int_equal(p.vlan_cnt, 2);
	assert_int_equal(p.vlan[0], 77);
	assert_int_equal(p.vlan[1], 1011);
	assert_ip(&p.src, "100.95.2.201");
	f[42] = 0x30;           /* version 3 */
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_INVALID);
	assert_true(has_event(&p, DEV_ERSPAN_UNSUPPORTED_VERSION));
	free(f);

	/* type III: GRE type 0x22eb without a sequence number, 12-byte
	 * header of version 2 */
	f = malloc(n);
	memcpy(f, fr->d, 38);
	f[16] = (uint8_t)((fr->len - 14 + 12) >> 8);
	f[17] = (uint8_t)(fr->len - 14 + 12);
	f[36] = 0x22;
	f[37] = 0xeb;
	memset(f + 38, 0, 12);
	f[38] = 0x20;
	memcpy(f + 50, fr->d + 38, fr->len - 38);
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_OK);
	assert_int_equal(p.depth, 1);
	assert_int_equal(p.vlan_cnt, 1);
	assert_int_equal(p.vlan[0], 1011);
	assert_ip(&p.dst, "100.95.3.105");
	free(f);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void no_vxlan(struct decode_cfg *cfg)
{
	cfg->vxlan = false;
}

static void test_vxlan(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("suricata-verify/logs-core/vxlan-decoder-01/input.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.depth, 1);
	assert_tuple(&p, 4, "10.96.0.10", 53, "185.27.115.6", 12345, IPPROTO_UDP);
	assert_int_equal(p.outer.proto, IPPROTO_UDP);
	assert_int_equal(p.outer.dport, 4789);
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_OK);
	assert_int_equal(p.depth, 0);
	assert_tuple(&p, 4, "109.105.110.193", 32021, "185.27.115.6", 12345, IPPROTO_UDP);
	assert_int_equal(dc.stats.vxlan, 1);
	decode_ctx_destroy(&dc);

	ctx_init(&dc, no_vxlan);
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.depth, 0);
	assert_int_equal(p.dport, 4789);
	decode_ctx_destroy(&dc);
	cap_free(c);

	/* ICMP and ARP in VXLAN */
	c = cap_load("suricata-verify/alerts/vxlan-decoder-02/input.pcap");
	ctx_init(&dc, NULL);
	for (size_t i = 1; i <= c->n; i++) {
		enum decode_result r = decf(&dc, &p, c, i);
		assert_int_equal(p.depth, 1);
		assert_int_equal(p.outer.dport, 4789);
		if (i == 2 || i == 3) {
			assert_int_equal(r, DECODE_NOFLOW);
			assert_int_equal(p.ethertype, 0x0806);
		} else {
			assert_int_equal(r, DECODE_OK);
			assert_int_equal(p.proto, IPPROTO_ICMP);
			assert_int_equal(p.icmp_type, i % 2 ? 8 : 0);
		}
	}
	assert_int_equal(dc.stats.arp, 2);
	decode_ctx_destroy(&dc);
	cap_free(c);

	/* a VLAN outside and DNS inside */
	c = cap_load("pcaps/ndpi/vxlan.pcap");
	ctx_init(&dc, NULL);
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_int_equal(p.vlan_cnt, 1);
	assert_int_equal(p.vlan[0], 5);
	assert_tuple(&p, 4, "10.10.20.4", 44437, "8.8.8.8", 53, IPPROTO_UDP);
	assert_int_equal(p.l4_len, 38);
	assert_ip(&p.outer.src, "192.168.22.4");
	assert_int_equal(p.outer.sport, 60887);
	for (size_t i = 2; i <= c->n; i++) {
		assert_int_equal(decf(&dc, &p, c, i), DECODE_OK);
		assert_int_equal(p.depth, 1);
	}
	/* an unknown inner Ethernet type: left as UDP, flagged */
	uint8_t *f = malloc(c->f[0].len);
	memcpy(f, c->f[0].d, c->f[0].len);
	f[18 + 20 + 8 + 8 + 12] = 0x12;
	assert_int_equal(dec(&dc, &p, c->dlt, f, c->f[0].len), DECODE_OK);
	assert_int_equal(p.depth, 0);
	assert_int_equal(p.dport, 4789);
	assert_true(has_event(&p, DEV_VXLAN_UNKNOWN_PAYLOAD_TYPE));
	free(f);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void no_teredo(struct decode_cfg *cfg)
{
	cfg->teredo = false;
}

static void test_teredo(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/teredo.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_OK);
	assert_int_equal(p.depth, 1);
	assert_tuple(&p, 6, "fe80::ffff:ffff:fffe", 0, "ff02::2", 0, IPPROTO_ICMPV6);
	assert_int_equal(p.icmp_type, 133);
	assert_int_equal(p.l3_len, 48);
	assert_int_equal(p.outer.sport, 60381);
	assert_int_equal(p.outer.dport, 3544);
	assert_ip(&p.outer.src, "10.112.16.89");
	for (size_t i = 1; i <= c->n; i++) {
		assert_int_equal(decf(&dc, &p, c, i), DECODE_OK);
		assert_int_equal(p.depth, 1);
		assert_int_equal(p.ip_ver, 6);
	}
	assert_int_equal(dc.stats.teredo, c->n + 1);
	/* one byte too many: not Teredo, plain UDP */
	struct frame *fr = &c->f[2];
	uint8_t *f = malloc(fr->len + 1);
	memcpy(f, fr->d, fr->len);
	f[fr->len] = 0;
	f[16] = (uint8_t)((fr->len + 1 - 14) >> 8);
	f[17] = (uint8_t)(fr->len + 1 - 14);
	f[14 + 20 + 4] = (uint8_t)((fr->len + 1 - 34) >> 8);
	f[14 + 20 + 5] = (uint8_t)(fr->len + 1 - 34);
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len + 1), DECODE_OK);
	assert_int_equal(p.depth, 0);
	assert_int_equal(p.proto, IPPROTO_UDP);
	free(f);
	decode_ctx_destroy(&dc);

	ctx_init(&dc, no_teredo);
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_OK);
	assert_int_equal(p.depth, 0);
	assert_tuple(&p, 4, "10.112.16.89", 60381, "194.136.28.76", 3544, IPPROTO_UDP);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void test_recursion_depth(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("suricata-verify/logs-core/"
				 "flow-pkt-recursion__ids-tunnel-pkt-flows-recursion-excluded/input.pcap");
	static const int depth[] = { 0, 1, 1, 0 };
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	assert_int_equal(c->n, 4);
	for (size_t i = 1; i <= 4; i++) {
		assert_int_equal(decf(&dc, &p, c, i), DECODE_OK);
		assert_int_equal(p.depth, depth[i - 1]);
		assert_int_equal(p.proto, IPPROTO_ICMP);
		if (i == 1 || i == 4)
			assert_tuple(&p, 4, "1.1.1.1", 0, "2.2.2.2", 0, IPPROTO_ICMP);
		else
			assert_tuple(&p, 4, "2.2.2.2", 0, "1.1.1.1", 0, IPPROTO_ICMP);
	}
	/* the last packet decoded was plain: nothing of the tunnel is left */
	assert_int_equal(p.depth, 0);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

/* IPv4-in-IPv4 nested n times around a real inner packet */
static uint8_t *nest_ipip(const uint8_t *outer_hdr, const uint8_t *inner, uint32_t inner_len,
			  int n, uint32_t *out_len)
{
	uint32_t len = inner_len + 20u * n;
	uint8_t *f = malloc(len);
	memcpy(f + 20u * n, inner, inner_len);
	for (int i = n - 1; i >= 0; i--) {
		uint8_t *h = f + 20u * i;
		uint32_t tot = len - 20u * i;
		memcpy(h, outer_hdr, 20);
		h[0] = 0x45;
		h[2] = (uint8_t)(tot >> 8);
		h[3] = (uint8_t)tot;
		h[9] = IPPROTO_IPIP;
	}
	*out_len = len;
	return f;
}

static void test_layer_caps(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/4in4tunnel.pcap");
	const uint8_t *outer = c->f[0].d + 22, *inner = outer + 20;
	uint32_t inner_len = c->f[0].len - 42, len;
	uint8_t *f;
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);

	f = nest_ipip(outer, inner, inner_len, PKT_MAX_DEPTH, &len);
	assert_int_equal(dec(&dc, &p, DLT_RAW, f, len), DECODE_OK);
	assert_int_equal(p.depth, PKT_MAX_DEPTH);
	assert_tuple(&p, 4, "10.10.100.25", 62367, "10.10.101.2", 17000, IPPROTO_UDP);
	free(f);

	f = nest_ipip(outer, inner, inner_len, PKT_MAX_DEPTH + 1, &len);
	assert_int_equal(dec(&dc, &p, DLT_RAW, f, len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_TOO_MANY_LAYERS));
	free(f);

	/* MPLS labels without a bottom of stack: the layer cap stops the walk */
	len = 14 + 4 * 40 + inner_len;
	f = malloc(len);
	memcpy(f, c->f[0].d, 12);
	f[12] = 0x88;
	f[13] = 0x47;
	for (int i = 0; i < 40; i++) {
		uint8_t *l = f + 14 + 4 * i;
		l[0] = 0;
		l[1] = 1;
		l[2] = 0;
		l[3] = 64;
	}
	memcpy(f + 14 + 160, inner, inner_len);
	assert_int_equal(dec(&dc, &p, DLT_EN10MB, f, len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_TOO_MANY_LAYERS));
	/* with a bottom of stack after 3 labels: decoded */
	f[14 + 8 + 2] = 1;
	memmove(f + 14 + 12, f + 14 + 160, inner_len);
	assert_int_equal(dec(&dc, &p, DLT_EN10MB, f, 14 + 12 + inner_len), DECODE_OK);
	assert_tuple(&p, 4, "10.10.100.25", 62367, "10.10.101.2", 17000, IPPROTO_UDP);
	assert_int_equal(p.depth, 0);
	free(f);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

/* ---- IPv6 extension headers ---- */

static void test_ipv6_exthdrs(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("suricata-verify/alerts/ipv6-evasion__ipv6-dos-with-ext-headers-5/input.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	/* hop-by-hop (router alert + PadN of length 0) then MLDv2 */
	assert_int_equal(decf(&dc, &p, c, 4), DECODE_OK);
	assert_tuple(&p, 6, "fe80::250:b6ff:fe19:e650", 0, "ff02::16", 0, IPPROTO_ICMPV6);
	assert_int_equal(p.icmp_type, 143);
	assert_int_equal(p.l3_len, 176);
	assert_ptr_equal(p.l4, p.l3 + 48);
	assert_true(has_event(&p, DEV_IPV6_ZERO_LEN_PADN));
	/* AH then an echo request */
	assert_int_equal(decf(&dc, &p, c, 10), DECODE_OK);
	assert_tuple(&p, 6, "2001:db8:1::2", 0, "2001:db8:1::1", 0, IPPROTO_ICMPV6);
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(p.l3_len, 72);
	assert_int_equal(p.l4_len, 16);
	assert_int_equal(p.event_cnt, 0);
	/* the TCP SYN with every option */
	assert_int_equal(decf(&dc, &p, c, 5), DECODE_OK);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_int_equal(p.sport, 53930);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_mss, 1440);
	assert_int_equal(p.tcp_wscale, 6);
	assert_true(p.tcp_sack_ok);
	assert_true(p.tcp_has_ts);
	assert_int_equal(p.tcp_tsval, 640589091u);

	/* crafted from frame 10: the AH length runs past the packet */
	struct frame *fr = &c->f[9];
	uint8_t *f = malloc(fr->len);
	memcpy(f, fr->d, fr->len);
	f[54 + 1] = 9;
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_IPV6_TRUNC_EXTHDR));
	/* no next header, with data after it */
	memcpy(f, fr->d, fr->len);
	f[54] = 59;
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len), DECODE_OK);
	assert_int_equal(p.proto, 59);
	assert_true(has_event(&p, DEV_IPV6_DATA_AFTER_NONE_HEADER));
	/* an unknown next header: tracked, flagged */
	f[54] = 253;
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len), DECODE_OK);
	assert_int_equal(p.proto, 253);
	assert_true(has_event(&p, DEV_IPV6_UNKNOWN_NEXT_HEADER));
	/* AH becomes a routing header of type 0 (same 16-byte length) */
	memcpy(f, fr->d, fr->len);
	f[20] = 43;
	f[54 + 1] = 1;
	f[54 + 2] = 0;
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len), DECODE_OK);
	assert_true(has_event(&p, DEV_IPV6_RH_TYPE_0));
	assert_int_equal(p.icmp_type, 128);
	/* a destination options header whose option overruns it */
	f[20] = 60;
	f[54 + 2] = 1;
	f[54 + 3] = 20;
	assert_int_equal(dec(&dc, &p, c->dlt, f, fr->len), DECODE_OK);
	assert_true(has_event(&p, DEV_IPV6_EXTHDR_INVALID_OPTLEN));
	free(f);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

/* ---- link layers ---- */

struct link_case {
	const char *pcap;
	int dlt;
	const char *src, *dst;
	int sport, dport, proto;
};

static void test_link_layers(void **state)
{
	static const struct link_case cases[] = {
		{ "pcaps/ndpi/KakaoTalk_chat.pcap", DLT_LINUX_SLL, "10.24.82.188", "10.188.1.1", 38448, 53, 17 },
		{ "pcaps/ndpi/nats.pcap", DLT_NULL, "127.0.0.1", "127.0.0.1", 54820, 4222, 6 },
		{ "pcaps/ndpi/bjnp.pcap", DLT_RAW, "192.168.185.141", "192.168.1.17", 50087, 8612, 17 },
		{ "pcaps/ndpi/ossfuzz_seed_fake_traces_1.pcapng", DLT_IPV4_, "127.0.0.1", "127.0.0.1", 1, 2, 17 },
		{ "pcaps/ndpi/dlt_ppp.pcap", DLT_PPP, "193.167.0.252", "193.167.100.100", 44083, 443, 17 },
		{ "pcaps/ndpi/BGP_redist.pcap", DLT_C_HDLC, "2.2.2.2", "4.4.4.4", 179, 63535, 6 },
		{ "pcaps/ndpi/BGP_Cisco_hdlc_slarp.pcap", DLT_PPP, "100.16.1.2", "100.16.1.1", 18324, 179, 6 },
		{ "pcaps/ndpi/someip_sd_sample.pcap", 192, "192.168.88.73", "235.2.3.5", 30490, 30490, 17 },
	};
	struct decode_ctx dc;
	struct packet p;
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct link_case *lc = &cases[i];
		struct cap *c = cap_load(lc->pcap);
		assert_int_equal(c->dlt, lc->dlt);
		assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
		assert_tuple(&p, 4, lc->src, lc->sport, lc->dst, lc->dport, lc->proto);
		assert_int_equal(p.depth, 0);
		cap_free(c);
	}
	assert_int_equal(dc.stats.sll, 1);
	assert_int_equal(dc.stats.null, 1);
	assert_int_equal(dc.stats.raw, 2);
	assert_int_equal(dc.stats.ppp, 1);
	assert_int_equal(dc.stats.ok, 8);
	decode_ctx_destroy(&dc);
}

static void test_link_layers_crafted(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	uint8_t *f;
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);

	/* SLL -> SLL2 */
	struct cap *c = cap_load("pcaps/ndpi/KakaoTalk_chat.pcap");
	const uint8_t *s = c->f[0].d;
	uint32_t n = c->f[0].len + 4;
	f = calloc(1, n);
	f[0] = s[14];
	f[1] = s[15];
	f[8] = s[2];
	f[9] = s[3];
	f[10] = s[1];
	f[11] = s[5];
	memcpy(f + 12, s + 6, 8);
	memcpy(f + 20, s + 16, c->f[0].len - 16);
	assert_int_equal(dec(&dc, &p, DLT_SLL2, f, n), DECODE_OK);
	assert_tuple(&p, 4, "10.24.82.188", 38448, "10.188.1.1", 53, 17);
	assert_int_equal(dec(&dc, &p, DLT_SLL2, f, 19), DECODE_INVALID);
	assert_true(has_event(&p, DEV_SLL_PKT_TOO_SMALL));
	free(f);
	cap_free(c);

	/* NULL in both byte orders, and LOOP */
	c = cap_load("pcaps/ndpi/nats.pcap");
	n = c->f[0].len;
	f = malloc(n);
	memcpy(f, c->f[0].d, n);
	assert_int_equal(f[0], 2);
	f[0] = 0;
	f[3] = 2;
	assert_int_equal(dec(&dc, &p, DLT_NULL, f, n), DECODE_OK);
	assert_int_equal(p.dport, 4222);
	assert_int_equal(dec(&dc, &p, DLT_LOOP, f, n), DECODE_OK);
	assert_int_equal(p.dport, 4222);
	f[3] = 7;
	assert_int_equal(dec(&dc, &p, DLT_LOOP, f, n), DECODE_NOFLOW);
	assert_true(has_event(&p, DEV_LTNULL_UNSUPPORTED_TYPE));
	free(f);
	cap_free(c);

	/* raw IP under every name for it */
	c = cap_load("pcaps/ndpi/bjnp.pcap");
	assert_int_equal(dec(&dc, &p, LINKTYPE_RAW, c->f[0].d, c->f[0].len), DECODE_OK);
	assert_int_equal(p.dport, 8612);
	assert_int_equal(dec(&dc, &p, DLT_IPV4_, c->f[0].d, c->f[0].len), DECODE_OK);
	assert_int_equal(dec(&dc, &p, DLT_IPV6_, c->f[0].d, c->f[0].len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_IPRAW_INVALID_IPV));
	assert_int_equal(dec(&dc, &p, 147, c->f[0].d, c->f[0].len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_LINKTYPE_UNKNOWN));
	cap_free(c);

	/* an Ethernet/IPv4/TCP frame re-wrapped in PPPoE and in MPLS */
	c = cap_load("pcaps/ndpi/ssh.pcap");
	const uint8_t *ip = c->f[0].d + 14;
	uint32_t iplen = 64;
	n = 14 + 8 + iplen;
	f = malloc(n);
	memcpy(f, c->f[0].d, 12);
	f[12] = 0x88;
	f[13] = 0x64;
	f[14] = 0x11;
	f[15] = 0;
	f[16] = 0x12;
	f[17] = 0x34;
	f[18] = (uint8_t)((iplen + 2) >> 8);
	f[19] = (uint8_t)(iplen + 2);
	f[20] = 0x00;
	f[21] = 0x21;
	memcpy(f + 22, ip, iplen);
	assert_int_equal(dec(&dc, &p, DLT_EN10MB, f, n), DECODE_OK);
	assert_tuple(&p, 4, "172.16.238.1", 58395, "172.16.238.168", 22, IPPROTO_TCP);
	assert_int_equal(dc.stats.pppoe, 1);
	f[15] = 0x09;           /* not a session code */
	assert_int_equal(dec(&dc, &p, DLT_EN10MB, f, n), DECODE_INVALID);
	assert_true(has_event(&p, DEV_PPPOE_WRONG_CODE));
	f[15] = 0;
	f[21] = 0x23;           /* an unknown PPP protocol */
	assert_int_equal(dec(&dc, &p, DLT_EN10MB, f, n), DECODE_NOFLOW);
	assert_true(has_event(&p, DEV_PPP_UNSUP_PROTO));
	f[13] = 0x63;           /* discovery */
	assert_int_equal(dec(&dc, &p, DLT_EN10MB, f, n), DECODE_NOFLOW);
	/* PPPoE without Ethernet (DLT_PPP_ETHER) */
	f[21] = 0x21;
	assert_int_equal(dec(&dc, &p, DLT_PPP_ETHER, f + 14, n - 14), DECODE_OK);
	assert_int_equal(p.dport, 22);
	free(f);

	n = 14 + 8 + iplen;
	f = malloc(n);
	memcpy(f, c->f[0].d, 12);
	f[12] = 0x88;
	f[13] = 0x47;
	static const uint8_t labels[8] = { 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40 };
	memcpy(f + 14, labels, 8);
	memcpy(f + 22, ip, iplen);
	assert_int_equal(dec(&dc, &p, DLT_EN10MB, f, n), DECODE_OK);
	assert_tuple(&p, 4, "172.16.238.1", 58395, "172.16.238.168", 22, IPPROTO_TCP);
	assert_int_equal(dc.stats.mpls, 1);
	f[22] = 0x95;           /* neither IPv4 nor IPv6 nor a control word */
	assert_int_equal(dec(&dc, &p, DLT_EN10MB, f, n), DECODE_NOFLOW);
	assert_true(has_event(&p, DEV_MPLS_UNKNOWN_PAYLOAD_TYPE));
	free(f);
	cap_free(c);
	assert_stats_add_up(&dc.stats);
	decode_ctx_destroy(&dc);
}

static void test_sv_small_decoders(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c;
	memset(&p, 0, sizeof(p));

	/* decode-unknown-1: one Ethernet frame of type 0xfbb7 */
	ctx_init(&dc, NULL);
	c = cap_load("suricata-verify/logs-more/decode-unknown-1/input.pcap");
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_NOFLOW);
	assert_int_equal(dc.stats.ethernet, 1);
	assert_int_equal(dc.stats.unknown_ethertype, 1);
	assert_int_equal(dc.stats.other, 1);
	assert_int_equal(p.event_cnt, 0);
	cap_free(c);
	decode_ctx_destroy(&dc);

	/* decode-nsh-type2 */
	ctx_init(&dc, NULL);
	c = cap_load("suricata-verify/alerts/decode-nsh-type2/input.pcap");
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_tuple(&p, 4, "10.0.0.1", 52377, "10.0.0.2", 52464, IPPROTO_UDP);
	assert_int_equal(dc.stats.ethernet, 1);
	assert_int_equal(dc.stats.nsh, 1);
	assert_int_equal(dc.stats.ipv4, 1);
	assert_int_equal(dc.stats.udp, 1);
	uint8_t *f = malloc(c->f[0].len);
	memcpy(f, c->f[0].d, c->f[0].len);
	f[14 + 3] = 9;
	assert_int_equal(dec(&dc, &p, c->dlt, f, c->f[0].len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_NSH_UNKNOWN_PAYLOAD));
	f[14 + 3] = 1;
	f[14 + 1] = 0x3f;
	assert_int_equal(dec(&dc, &p, c->dlt, f, c->f[0].len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_NSH_BAD_HEADER_LENGTH));
	free(f);
	cap_free(c);
	decode_ctx_destroy(&dc);

	/* decode-etag-01 and -02 */
	for (int i = 1; i <= 2; i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "suricata-verify/logs-more/decode-etag-0%d/input.pcap", i);
		ctx_init(&dc, NULL);
		c = cap_load(rel);
		assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
		assert_int_equal(p.proto, IPPROTO_TCP);
		assert_int_equal(dc.stats.etag, 1);
		assert_int_equal(dc.stats.ipv4, 1);
		assert_int_equal(dc.stats.tcp, 1);
		if (i == 1)
			assert_tuple(&p, 4, "52.114.124.106", 443, "192.168.1.46", 52566, IPPROTO_TCP);
		cap_free(c);
		decode_ctx_destroy(&dc);
	}

	/* decode-sctp-01: SCTP flows have ports */
	ctx_init(&dc, NULL);
	c = cap_load("suricata-verify/alerts/decode-sctp-01/input.pcap");
	assert_int_equal(decf(&dc, &p, c, 1), DECODE_OK);
	assert_tuple(&p, 4, "192.168.170.56", 7, "192.168.170.8", 7, IPPROTO_SCTP);
	f = malloc(14 + 20 + 11);
	memcpy(f, c->f[0].d, 14 + 20 + 11);
	f[16] = 0;
	f[17] = 20 + 11;
	assert_int_equal(dec(&dc, &p, c->dlt, f, 14 + 20 + 11), DECODE_INVALID);
	assert_true(has_event(&p, DEV_SCTP_PKT_TOO_SMALL));
	free(f);
	cap_free(c);
	decode_ctx_destroy(&dc);
}

/* ---- checksums ---- */

static void csum_on(struct decode_cfg *cfg)
{
	cfg->checksum_validate = true;
}

static void test_checksums(void **state)
{
	struct decode_ctx dc, dc0;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/ssh.pcap");
	struct cap *g = cap_load("pcaps/ndpi/gre.pcapng");
	struct cap *d = cap_load("pcaps/ndpi/dns_fragmented.pcap");
	uint32_t n = c->f[0].len;
	uint8_t *f = malloc(n);
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, csum_on);
	ctx_init(&dc0, NULL);

	memcpy(f, c->f[0].d, n);
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_OK);
	assert_false(p.csum_bad);
	f[14 + 20 + 20 + 2] ^= 0x01;    /* an option byte: TCP checksum */
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_OK);
	assert_true(p.csum_bad);
	assert_int_equal(p.event_cnt, 0);
	assert_int_equal(dec(&dc0, &p, c->dlt, f, n), DECODE_OK);
	assert_false(p.csum_bad);
	memcpy(f, c->f[0].d, n);
	f[14 + 8] ^= 0x01;              /* TTL: IPv4 header checksum */
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_OK);
	assert_true(p.csum_bad);
	free(f);

	/* through GRE/PPP: outer and inner headers and the inner UDP */
	n = g->f[0].len;
	f = malloc(n);
	memcpy(f, g->f[0].d, n);
	assert_int_equal(dec(&dc, &p, g->dlt, f, n), DECODE_OK);
	assert_false(p.csum_bad);
	f[n - 1] ^= 0x80;
	assert_int_equal(dec(&dc, &p, g->dlt, f, n), DECODE_OK);
	assert_true(p.csum_bad);
	memcpy(f, g->f[0].d, n);
	f[18 + 8] ^= 0x01;              /* outer TTL: remembered through the tunnel */
	assert_int_equal(dec(&dc, &p, g->dlt, f, n), DECODE_OK);
	assert_int_equal(p.depth, 1);
	assert_true(p.csum_bad);
	free(f);

	/* a reassembled datagram: the rebuilt header and the UDP checksum over
	 * all fragments verify */
	assert_int_equal(decf(&dc, &p, d, 2), DECODE_NOFLOW);
	assert_int_equal(decf(&dc, &p, d, 3), DECODE_OK);
	assert_non_null(p.owned);
	assert_false(p.csum_bad);
	/* IPv6 with a bad UDP checksum (as tshark also says: frame 14) */
	assert_int_equal(decf(&dc, &p, d, 14), DECODE_OK);
	assert_true(p.csum_bad);
	assert_int_equal(decf(&dc, &p, d, 13), DECODE_OK);
	assert_false(p.csum_bad);

	packet_release(&p);
	decode_ctx_destroy(&dc);
	decode_ctx_destroy(&dc0);
	cap_free(c);
	cap_free(g);
	cap_free(d);
}

/* ---- fragments, through the decoder ---- */

static void test_defrag_ipv4_real(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/dns_fragmented.pcap");
	uint8_t *ref;
	uint32_t ref_len;
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);

	/* frames 2 (offset 0, MF) and 3 (offset 1480): a 1730-byte DNS response */
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_NOFLOW);
	assert_true(p.frag);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.sport, 0);
	assert_int_equal(dc.stats.frag_held, 1);
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_OK);
	assert_false(p.frag);
	assert_non_null(p.owned);
	assert_ptr_equal(p.l3, p.owned);
	assert_tuple(&p, 4, "193.24.227.238", 53, "172.217.40.76", 56680, IPPROTO_UDP);
	assert_int_equal(p.ip_id, 0xd0fe);
	assert_int_equal(p.l3_len, 1730);
	assert_int_equal(p.l4_len, 1710);
	assert_int_equal(p.payload_len, 1702);
	assert_int_equal(p.payload[0], 0xd4);
	assert_int_equal(p.payload[1], 0x3f);
	assert_int_equal(p.l3[6] & 0x3f, 0);
	assert_int_equal(dc.stats.frag_reassembled, 1);
	ref_len = p.l3_len;
	ref = malloc(ref_len);
	memcpy(ref, p.l3, ref_len);
	/* the fragment bytes are what the datagram holds */
	assert_memory_equal(ref + 20, c->f[1].d + 34, 1480);
	assert_memory_equal(ref + 20 + 1480, c->f[2].d + 34, 1730 - 20 - 1480);

	/* in reverse order: the same datagram */
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_NOFLOW);
	assert_null(p.owned);
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_OK);
	assert_int_equal(p.l3_len, ref_len);
	assert_memory_equal(p.l3, ref, ref_len);

	/* a second copy of the first fragment with other bytes: the first
	 * copy wins, and the overlap is reported */
	uint32_t n = c->f[1].len;
	uint8_t *f = malloc(n);
	memcpy(f, c->f[1].d, n);
	memset(f + 34 + 100, 0xee, 200);
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_NOFLOW);
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_NOFLOW);
	assert_true(has_event(&p, DEV_IPV4_FRAG_OVERLAP));
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_OK);
	assert_memory_equal(p.l3, ref, ref_len);
	/* and when the altered copy comes first, it wins */
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_NOFLOW);
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_NOFLOW);
	assert_true(has_event(&p, DEV_IPV4_FRAG_OVERLAP));
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_OK);
	assert_memory_equal(p.l3 + 20 + 100, f + 34 + 100, 200);

	/* a fragment placed beyond 64 KiB */
	memcpy(f, c->f[2].d, c->f[2].len);
	f[14 + 6] = 0x1f;
	f[14 + 7] = 0xff;
	assert_int_equal(dec(&dc, &p, c->dlt, f, c->f[2].len), DECODE_INVALID);
	assert_true(has_event(&p, DEV_IPV4_FRAG_PKT_TOO_LARGE));
	free(f);

	/* a datagram completed is forgotten: a late copy starts a new one */
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_NOFLOW);
	assert_int_equal(defrag_trackers(dc.defrag), 1);

	/* its timeout passes: given up, the last fragment alone completes nothing */
	struct timeval later = c->f[1].ts;
	later.tv_sec += dc.cfg.defrag_timeout;
	uint64_t dropped = dc.stats.frag_dropped;
	decode_defrag_timeout(&dc, &later);
	assert_int_equal(dc.stats.frag_dropped, dropped + 1);
	assert_int_equal(defrag_trackers(dc.defrag), 0);
	assert_int_equal(defrag_mem(dc.defrag), 0);
	p.ts = later;
	assert_int_equal(dec(&dc, &p, c->dlt, c->f[2].d, c->f[2].len), DECODE_NOFLOW);

	assert_stats_add_up(&dc.stats);
	packet_release(&p);
	free(ref);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void tiny_memcap(struct decode_cfg *cfg)
{
	cfg->defrag_memcap = 1024;
}

static void no_defrag(struct decode_cfg *cfg)
{
	cfg->defrag_memcap = 0;
}

static void test_defrag_limits(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/dns_fragmented.pcap");
	memset(&p, 0, sizeof(p));

	/* too little memory for a fragment buffer: refused, never completes */
	ctx_init(&dc, tiny_memcap);
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_NOFLOW);
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_NOFLOW);
	assert_int_equal(dc.stats.frag_reassembled, 0);
	assert_true(dc.stats.frag_dropped >= 1);
	assert_int_equal(dc.stats.frag_held, 2);
	assert_true(defrag_mem(dc.defrag) <= 1024);
	assert_stats_add_up(&dc.stats);
	decode_ctx_destroy(&dc);

	/* reassembly off: fragments are counted, never tracked */
	ctx_init(&dc, no_defrag);
	assert_null(dc.defrag);
	assert_int_equal(decf(&dc, &p, c, 2), DECODE_NOFLOW);
	assert_int_equal(decf(&dc, &p, c, 3), DECODE_NOFLOW);
	assert_true(p.frag);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

static void test_defrag_ipv6_real(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/dns_fragmented.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);

	/* frames 5 and 6: fragment header straight after the IPv6 header */
	assert_int_equal(decf(&dc, &p, c, 5), DECODE_NOFLOW);
	assert_true(p.frag);
	assert_int_equal(p.ip_ver, 6);
	assert_int_equal(decf(&dc, &p, c, 6), DECODE_OK);
	assert_tuple(&p, 6, "2001:470:765b::a25:53", 53, "2a00:1450:4013:c03::10a", 46433, IPPROTO_UDP);
	assert_int_equal(p.l4_len, 1509);
	assert_int_equal(p.payload_len, 1501);
	assert_int_equal(p.l3_len, 40 + 1509);
	assert_int_equal(p.l3[6], IPPROTO_UDP);         /* next header rewritten */
	assert_int_equal(p.l3[4] << 8 | p.l3[5], 1509);
	assert_int_equal(p.payload[0], 0xe9);
	assert_int_equal(p.payload[1], 0xc4);

	/* frames 38 and 39, in reverse */
	assert_int_equal(decf(&dc, &p, c, 39), DECODE_NOFLOW);
	assert_int_equal(decf(&dc, &p, c, 38), DECODE_OK);
	assert_int_equal(p.l4_len, 1738);
	assert_int_equal(p.dport, 55729);

	/* a non-final fragment whose length is not a multiple of 8 */
	uint32_t n = c->f[4].len;
	uint8_t *f = malloc(n - 1);
	memcpy(f, c->f[4].d, n - 1);
	uint32_t plen = (uint32_t)(f[18] << 8 | f[19]) - 1;
	f[18] = (uint8_t)(plen >> 8);
	f[19] = (uint8_t)plen;
	assert_int_equal(dec(&dc, &p, c->dlt, f, n - 1), DECODE_INVALID);
	assert_true(has_event(&p, DEV_IPV6_FRAG_INVALID_LENGTH));
	free(f);
	/* two fragment headers in one packet */
	f = malloc(n + 8);
	memcpy(f, c->f[4].d, 62);
	memcpy(f + 62, c->f[4].d + 54, n - 54);
	f[54] = 44;
	f[56] = 0;
	f[57] = 0;
	plen = (uint32_t)(f[18] << 8 | f[19]) + 8;
	f[18] = (uint8_t)(plen >> 8);
	f[19] = (uint8_t)plen;
	assert_int_equal(dec(&dc, &p, c->dlt, f, n + 8), DECODE_INVALID);
	assert_true(has_event(&p, DEV_IPV6_EXTHDR_DUPL_FH));
	/* an atomic fragment (offset 0, no more) is a whole packet */
	memcpy(f, c->f[12].d, 54);
	f[20] = 44;
	f[54] = IPPROTO_UDP;
	memset(f + 55, 0, 7);
	memcpy(f + 62, c->f[12].d + 54, c->f[12].len - 54);
	plen = (uint32_t)(f[18] << 8 | f[19]) + 8;
	f[18] = (uint8_t)(plen >> 8);
	f[19] = (uint8_t)plen;
	assert_true(c->f[12].len + 8 <= n + 8);
	assert_int_equal(dec(&dc, &p, c->dlt, f, c->f[12].len + 8), DECODE_OK);
	assert_false(p.frag);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.dport, 53);
	free(f);

	assert_stats_add_up(&dc.stats);
	packet_release(&p);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

/* ipv6-malformed-fragments-35: datagram aaaa (frames 6, 7) carries the
 * first fragment of datagram bbbb, whose other fragments are frames 8 and
 * 9; bbbb is an echo request.  Frame 10 is the target's answer. */
static void test_defrag_ipv6_nested(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("suricata-verify/alerts/ipv6-evasion__ipv6-malformed-fragments-35/input.pcap");
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	assert_int_equal(decf(&dc, &p, c, 6), DECODE_NOFLOW);
	assert_int_equal(decf(&dc, &p, c, 7), DECODE_NOFLOW);
	assert_int_equal(dc.stats.frag_reassembled, 1);
	assert_non_null(p.owned);       /* aaaa, holding bbbb's first fragment */
	assert_true(p.frag);
	assert_int_equal(decf(&dc, &p, c, 8), DECODE_NOFLOW);
	assert_int_equal(decf(&dc, &p, c, 9), DECODE_OK);
	assert_int_equal(dc.stats.frag_reassembled, 2);
	assert_tuple(&p, 6, "2001:db8:1::2", 0, "2001:db8:1::1", 0, IPPROTO_ICMPV6);
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(p.l3_len, 1248);
	assert_int_equal(p.l4_len, 1208);
	assert_int_equal(decf(&dc, &p, c, 10), DECODE_OK);
	assert_int_equal(p.icmp_type, 4);
	assert_int_equal(p.icmp_code, 0);
	assert_int_equal(defrag_trackers(dc.defrag), 0);
	assert_stats_add_up(&dc.stats);
	packet_release(&p);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

/* ---- truncations of real frames ---- */

/* Decode every prefix of a frame: no read past it (ASan), and the expected
 * event for each length. */
static void truncate_all(struct decode_ctx *dc, int dlt, const uint8_t *frame, uint32_t len,
			 uint16_t (*expect)(uint32_t), enum decode_result full)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	for (uint32_t l = 0; l <= len; l++) {
		uint8_t *f = malloc(l ? l : 1);
		memcpy(f, frame, l);
		enum decode_result r = dec(dc, &p, dlt, f, l);
		if (l == len) {
			assert_int_equal(r, full);
		} else {
			uint16_t ev = expect(l);
			if (r != DECODE_INVALID || !has_event(&p, ev))
				fail_msg("length %u: result %d, expected event %s", l, r,
					 decode_event_name(ev));
		}
		free(f);
		packet_release(&p);
	}
}

static uint16_t trunc_eth_ipv4(uint32_t l)
{
	return l < 14 ? DEV_ETH_PKT_TOO_SMALL : l < 34 ? DEV_IPV4_PKT_TOO_SMALL : DEV_IPV4_TRUNC_PKT;
}

static uint16_t trunc_eth_ipv6(uint32_t l)
{
	return l < 14 ? DEV_ETH_PKT_TOO_SMALL : l < 54 ? DEV_IPV6_PKT_TOO_SMALL : DEV_IPV6_TRUNC_PKT;
}

static uint16_t trunc_vlan_ipv4(uint32_t l)
{
	return l < 14 ? DEV_ETH_PKT_TOO_SMALL : l < 18 ? DEV_VLAN_HEADER_TOO_SMALL :
	       l < 38 ? DEV_IPV4_PKT_TOO_SMALL : DEV_IPV4_TRUNC_PKT;
}

/* The outer IPv4 total length is set to what is left, so the inner layers
 * see the cut: gre.pcapng, VLAN + IPv4 at 18, GRE v1 at 38 (16 bytes),
 * PPP at 54 (ff 03 00 21), IPv4 at 58. */
static uint16_t trunc_gre_inner(uint32_t l)
{
	if (l < 42)
		return DEV_GRE_PKT_TOO_SMALL;
	if (l < 54)
		return DEV_GRE_VERSION1_HDR_TOO_BIG;
	if (l < 58)
		return l == 55 ? DEV_PPP_UNSUP_PROTO : DEV_PPP_PKT_TOO_SMALL;
	return l < 78 ? DEV_IPV4_PKT_TOO_SMALL : DEV_IPV4_TRUNC_PKT;
}

/* ssh.pcap frame 1 with the IPv4 length following the cut: TCP at 34 with
 * a 44-byte header */
static uint16_t trunc_tcp_inner(uint32_t l)
{
	return l < 54 ? DEV_TCP_PKT_TOO_SMALL : DEV_TCP_HLEN_TOO_SMALL;
}

/* 6in6tunnel.pcap frame 1 with the outer payload length following the
 * cut: inner IPv6 at 54, UDP at 94 */
static uint16_t trunc_6in6_inner(uint32_t l)
{
	return l < 94 ? DEV_IPV6_IN_IPV6_TOO_SMALL : DEV_IPV6_TRUNC_PKT;
}

/* bjnp.pcap frame 1 (raw IPv4) with the IPv4 length following the cut:
 * UDP at 20, length 24 */
static uint16_t trunc_udp_inner(uint32_t l)
{
	return l < 28 ? DEV_UDP_HLEN_TOO_SMALL : DEV_UDP_PKT_TOO_SMALL;
}

static void cut_fix_ipv4(uint8_t *f, uint32_t ipoff, uint32_t l)
{
	uint32_t tot = l - ipoff;
	f[ipoff + 2] = (uint8_t)(tot >> 8);
	f[ipoff + 3] = (uint8_t)tot;
}

static void truncate_fixed(struct decode_ctx *dc, int dlt, const uint8_t *frame, uint32_t len,
			   uint32_t from, bool v6, uint32_t ipoff, uint16_t (*expect)(uint32_t))
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	for (uint32_t l = from; l < len; l++) {
		uint8_t *f = malloc(l);
		memcpy(f, frame, l);
		if (v6) {
			uint32_t plen = l - ipoff - 40;
			f[ipoff + 4] = (uint8_t)(plen >> 8);
			f[ipoff + 5] = (uint8_t)plen;
		} else {
			cut_fix_ipv4(f, ipoff, l);
		}
		enum decode_result r = dec(dc, &p, dlt, f, l);
		uint16_t ev = expect(l);
		if (r == DECODE_OK || !has_event(&p, ev))
			fail_msg("length %u: result %d, expected event %s", l, r, decode_event_name(ev));
		free(f);
	}
}

static void test_truncations(void **state)
{
	struct decode_ctx dc;
	struct cap *ssh = cap_load("pcaps/ndpi/ssh.pcap");
	struct cap *v6 = cap_load("pcaps/ndpi/6in6tunnel.pcap");
	struct cap *gre = cap_load("pcaps/ndpi/gre.pcapng");
	struct cap *raw = cap_load("pcaps/ndpi/bjnp.pcap");
	struct cap *er = cap_load("suricata-verify/logs-core/decode-erspan-typeI-01/input.pcap");
	struct cap *vx = cap_load("pcaps/ndpi/vxlan.pcap");
	struct cap *te = cap_load("pcaps/ndpi/teredo.pcap");
	struct cap *fr = cap_load("pcaps/ndpi/dns_fragmented.pcap");
	ctx_init(&dc, NULL);

	truncate_all(&dc, ssh->dlt, ssh->f[0].d, ssh->f[0].len, trunc_eth_ipv4, DECODE_OK);
	truncate_all(&dc, v6->dlt, v6->f[0].d, v6->f[0].len, trunc_eth_ipv6, DECODE_OK);
	truncate_all(&dc, gre->dlt, gre->f[0].d, gre->f[0].len, trunc_vlan_ipv4, DECODE_OK);
	truncate_all(&dc, er->dlt, er->f[0].d, er->f[0].len, trunc_eth_ipv4, DECODE_OK);
	truncate_all(&dc, te->dlt, te->f[2].d, te->f[2].len, trunc_eth_ipv4, DECODE_OK);
	truncate_all(&dc, fr->dlt, fr->f[4].d, fr->f[4].len, trunc_eth_ipv6, DECODE_NOFLOW);

	truncate_fixed(&dc, gre->dlt, gre->f[0].d, gre->f[0].len, 38, false, 18, trunc_gre_inner);
	truncate_fixed(&dc, ssh->dlt, ssh->f[0].d, ssh->f[0].len, 34, false, 14, trunc_tcp_inner);
	truncate_fixed(&dc, v6->dlt, v6->f[0].d, v6->f[0].len, 54, true, 14, trunc_6in6_inner);
	/* (this frame has 2 bytes after its 44-byte IPv4 packet) */
	truncate_fixed(&dc, raw->dlt, raw->f[0].d, 44, 20, false, 0, trunc_udp_inner);

	/* cuts inside the VXLAN payload (with both outer lengths fixed) and
	 * inside the ERSPAN inner frame: never a crash, never a flow on a
	 * half-decoded inner packet */
	const struct frame *v = &vx->f[0];
	struct packet p;
	memset(&p, 0, sizeof(p));
	for (uint32_t l = 18 + 20 + 8; l < v->len; l++) {
		uint8_t *f = malloc(l);
		memcpy(f, v->d, l);
		cut_fix_ipv4(f, 18, l);
		f[38 + 4] = (uint8_t)((l - 38) >> 8);
		f[38 + 5] = (uint8_t)(l - 38);
		enum decode_result r = dec(&dc, &p, vx->dlt, f, l);
		if (r == DECODE_OK)
			assert_int_equal(p.depth, 0);   /* too short for VXLAN: plain UDP */
		free(f);
	}
	const struct frame *e = &er->f[0];
	for (uint32_t l = 38; l < e->len; l++) {
		uint8_t *f = malloc(l);
		memcpy(f, e->d, l);
		cut_fix_ipv4(f, 14, l);
		assert_int_equal(dec(&dc, &p, er->dlt, f, l), DECODE_INVALID);
		assert_int_equal(p.event_cnt, 1);
		free(f);
	}
	assert_stats_add_up(&dc.stats);
	decode_ctx_destroy(&dc);
	cap_free(ssh);
	cap_free(v6);
	cap_free(gre);
	cap_free(raw);
	cap_free(er);
	cap_free(vx);
	cap_free(te);
	cap_free(fr);
}

/* ---- UDP length field ---- */

static void test_udp_length(void **state)
{
	struct decode_ctx dc;
	struct packet p;
	struct cap *c = cap_load("pcaps/ndpi/bjnp.pcap");
	uint32_t n = c->f[0].len;
	uint8_t *f = malloc(n);
	memset(&p, 0, sizeof(p));
	ctx_init(&dc, NULL);
	memcpy(f, c->f[0].d, n);
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_OK);
	assert_int_equal(p.payload_len, 16);
	f[20 + 5] = 20;         /* says 20 of 24 bytes */
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_INVALID);
	assert_true(has_event(&p, DEV_UDP_HLEN_INVALID));
	f[20 + 5] = 4;
	assert_int_equal(dec(&dc, &p, c->dlt, f, n), DECODE_INVALID);
	assert_true(has_event(&p, DEV_UDP_LEN_INVALID));
	free(f);
	decode_ctx_destroy(&dc);
	cap_free(c);
}

/* ---- every nDPI capture ---- */

static void test_ndpi_all(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	int files = 0;
	uint64_t ok = 0, pkts = 0;
	DIR *dp = opendir(data_path("pcaps/ndpi", dir, sizeof(dir)));
	assert_non_null(dp);
	while ((de = readdir(dp))) {
		const char *dot = strrchr(de->d_name, '.');
		if (!dot || (strcmp(dot, ".pcap") && strcmp(dot, ".pcapng") && strcmp(dot, ".cap")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct cap *c = cap_load_path(path, 1000000);
		if (!c)
			continue;
		struct decode_ctx dc;
		struct packet p;
		uint64_t bytes = 0;
		memset(&p, 0, sizeof(p));
		ctx_init(&dc, NULL);
		for (size_t i = 1; i <= c->n; i++) {
			enum decode_result r = decf(&dc, &p, c, i);
			bytes += c->f[i - 1].len;
			if (r == DECODE_OK) {
				assert_true(p.ip_ver == 4 || p.ip_ver == 6);
				assert_non_null(p.l3);
				assert_true(p.l4 >= p.l3 && p.l4 + p.l4_len <= p.l3 + p.l3_len);
				assert_true(p.payload >= p.l4 && p.payload + p.payload_len <= p.l4 + p.l4_len);
				if (!p.owned)
					assert_true(p.l3 >= p.data && p.l3 + p.l3_len <= p.data + p.caplen);
			}
		}
		packet_release(&p);
		assert_int_equal(dc.stats.pkts, c->n);
		assert_int_equal(dc.stats.bytes, bytes);
		assert_stats_add_up(&dc.stats);
		if (!strcmp(de->d_name, "dns_fragmented.pcap")) {
			assert_int_equal(dc.stats.frag_reassembled, 7);
			assert_int_equal(dc.stats.frag_held, 7);
			assert_int_equal(dc.stats.invalid, 0);
		}
		if (!strcmp(de->d_name, "badpackets.pcap"))    /* all cut short by the snaplen */
			assert_int_equal(dc.stats.invalid, c->n);
		ok += dc.stats.ok;
		pkts += dc.stats.pkts;
		decode_ctx_destroy(&dc);
		cap_free(c);
		files++;
	}
	closedir(dp);
	assert_true(files >= 500);
	/* nearly all of it is IP that decodes */
	assert_true(ok * 100 > pkts * 95);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_ipv4_tcp_options),
		cmocka_unit_test(test_tcp_sack_blocks),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_vlan_arp),
		cmocka_unit_test(test_vlan_tcp),
		cmocka_unit_test(test_qinq_4in4),
		cmocka_unit_test(test_4in6_6in4_6in6),
		cmocka_unit_test(test_gre_pptp),
		cmocka_unit_test(test_erspan_type1),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_teredo),
		cmocka_unit_test(test_recursion_depth),
		cmocka_unit_test(test_layer_caps),
		cmocka_unit_test(test_ipv6_exthdrs),
		cmocka_unit_test(test_link_layers),
		cmocka_unit_test(test_link_layers_crafted),
		cmocka_unit_test(test_sv_small_decoders),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_defrag_ipv4_real),
		cmocka_unit_test(test_defrag_limits),
		cmocka_unit_test(test_defrag_ipv6_real),
		cmocka_unit_test(test_defrag_ipv6_nested),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_udp_length),
		cmocka_unit_test(test_ndpi_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
