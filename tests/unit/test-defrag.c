/*
 * test-defrag.c - fragment reassembly through its own interface.
 *
 * The datagrams are real: the 1730-byte IPv4 DNS response and the 1549-byte
 * IPv6 one of nDPI's dns_fragmented.pcap, reassembled once by the decoder.
 * They are then cut again in every way that matters: tiny pieces in order,
 * backwards and shuffled, overlaps resolved first-wins from either side,
 * contradicting ends, too many pieces, beyond 64 KiB (also only once the
 * offset-zero header is known), the memcap, timeouts, keys that must not
 * mix, and an IPv6 unfragmentable part with an extension header.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <limits.h>
#include <pcap/pcap.h>

#include "../../src/sensor/decode.h"
#include "../../src/sensor/defrag.h"

struct dgram {
	uint8_t *d;
	uint32_t len, hlen;         /* whole datagram, its header */
	int ver;
	struct ot_addr src, dst;
};

static struct dgram v4, v6;

/* Reassemble frames a and b of dns_fragmented.pcap with the decoder. */
static int load_datagram(struct dgram *g, int a, int b)
{
	char path[PATH_MAX], err[PCAP_ERRBUF_SIZE];
	const char *sh = getenv("OT_SHARED_DATA"), *root = getenv("OT_SOURCE_ROOT");
	struct pcap_pkthdr *h;
	const u_char *d;
	struct decode_cfg cfg;
	struct decode_ctx dc;
	struct packet p;
	int n = 0, rc = -1;
	if (sh)
		snprintf(path, sizeof(path), "%s/pcaps/ndpi/dns_fragmented.pcap", sh);
	else
		snprintf(path, sizeof(path), "%s/../shared/data/pcaps/ndpi/dns_fragmented.pcap",
			 root ? root : ".");
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc)
		return -1;
	decode_cfg_defaults(&cfg);
	decode_ctx_init(&dc, &cfg);
	memset(&p, 0, sizeof(p));
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (++n != a && n != b)
			continue;
		p.data = d;
		p.caplen = h->caplen;
		p.ts = h->ts;
		p.datalink = pcap_datalink(pc);
		if (decode_packet(&dc, &p) == DECODE_OK && p.owned) {
			g->len = p.l3_len;
			g->d = malloc(g->len);
			memcpy(g->d, p.l3, g->len);
			g->ver = p.ip_ver;
			g->hlen = p.ip_ver == 4 ? (uint32_t)(p.l3[0] & 15) * 4 : 40;
			g->src = p.src;
			g->dst = p.dst;
			rc = 0;
		}
	}
	packet_release(&p);
	decode_ctx_destroy(&dc);
	pcap_close(pc);
	return rc;
}

static int setup(void **state)
{
	if (load_datagram(&v4, 2, 3) < 0 || load_datagram(&v6, 5, 6) < 0)
		return -1;
	assert_int_equal(v4.len, 1730);
	assert_int_equal(v6.len, 1549);
	return 0;
}

static int teardown(void **state)
{
	free(v4.d);
	free(v6.d);
	return 0;
}

/* A fragment [off, off+len) of g's payload, optionally with other bytes. */
static struct defrag_frag frag(const struct dgram *g, uint32_t off, uint32_t len, bool more,
			       uint32_t id, time_t now)
{
	struct defrag_frag f = {
		.ip_ver = (uint8_t)g->ver,
		.proto = 17,
		.src = &g->src,
		.dst = &g->dst,
		.id = id,
		.hdr = g->d,
		.hdr_len = g->hlen,
		.nh_off = 6,
		.off = off,
		.more = more,
		.data = g->d + g->hlen + off,
		.len = len,
		.now = now,
	};
	return f;
}

static uint32_t payload_len(const struct dgram *g)
{
	return g->len - g->hlen;
}

/* The datagram rebuilt must be the original, header fields included. */
static void assert_same(const struct dgram *g, const struct defrag_result *r)
{
	assert_int_equal(r->out_len, g->len);
	if (g->ver == 4) {
		assert_memory_equal(r->out, g->d, 6);
		assert_int_equal(r->out[6] & 0x3f, 0);
		assert_memory_equal(r->out + 8, g->d + 8, 2);
		assert_memory_equal(r->out + 10, g->d + 10, 2);    /* checksum recomputed */
		assert_memory_equal(r->out + 12, g->d + 12, g->len - 12);
	} else {
		assert_memory_equal(r->out, g->d, g->len);
	}
}

static void cut_and_insert(const struct dgram *g, const uint32_t *order, uint32_t n,
			   uint32_t piece)
{
	struct defrag *d = defrag_new(1 << 20, 60);
	struct defrag_result r;
	uint32_t total = payload_len(g);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t off = order[i] * piece;
		uint32_t len = off + piece > total ? total - off : piece;
		struct defrag_frag f = frag(g, off, len, off + len < total, 7, 100);
		enum defrag_status st = defrag_insert(d, &f, &r);
		assert_int_equal(r.flags, 0);
		if (i + 1 < n) {
			assert_int_equal(st, DEFRAG_HELD);
		} else {
			assert_int_equal(st, DEFRAG_DONE);
			assert_same(g, &r);
			free(r.out);
		}
	}
	assert_int_equal(defrag_trackers(d), 0);
	assert_int_equal(defrag_mem(d), 0);
	defrag_free(d);
}

static void test_orders(void **state)
{
	const struct dgram *gs[2] = { &v4, &v6 };
	for (int k = 0; k < 2; k++) {
		const struct dgram *g = gs[k];
		uint32_t n8 = (payload_len(g) + 7) / 8, order[256];
		for (uint32_t i = 0; i < n8; i++)
			order[i] = i;
		cut_and_insert(g, order, n8, 8);
		for (uint32_t i = 0; i < n8; i++)
			order[i] = n8 - 1 - i;
		cut_and_insert(g, order, n8, 8);
		/* 128-byte pieces, shuffled by a fixed permutation */
		uint32_t n128 = (payload_len(g) + 127) / 128;
		for (uint32_t i = 0; i < n128; i++)
			order[i] = (i * 5 + 3) % n128;
		cut_and_insert(g, order, n128, 128);
	}
}

static void test_overlap_first_wins(void **state)
{
	struct defrag *d = defrag_new(1 << 20, 60);
	struct defrag_result r;
	uint32_t total = payload_len(&v4);
	uint8_t *alt = malloc(v4.len);
	memcpy(alt, v4.d, v4.len);
	for (uint32_t i = v4.hlen; i < v4.len; i++)
		alt[i] ^= 0x5a;
	struct dgram ga = v4;
	ga.d = alt;

	/* original [0,800), altered [400,1200), original rest */
	struct defrag_frag f = frag(&v4, 0, 800, true, 1, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	f = frag(&ga, 400, 800, true, 1, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	assert_true(r.flags & DEFRAG_F_OVERLAP);
	f = frag(&v4, 1200, total - 1200, false, 1, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_DONE);
	assert_false(r.flags & DEFRAG_F_OVERLAP);
	const uint8_t *pl = r.out + v4.hlen;
	assert_memory_equal(pl, v4.d + v4.hlen, 800);                /* first held */
	assert_memory_equal(pl + 800, alt + v4.hlen + 800, 400);     /* only new bytes */
	assert_memory_equal(pl + 1200, v4.d + v4.hlen + 1200, total - 1200);
	free(r.out);

	/* the later fragment starting earlier does not win either */
	f = frag(&v4, 400, 800, true, 2, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	f = frag(&ga, 0, 1208, true, 2, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	assert_true(r.flags & DEFRAG_F_OVERLAP);
	f = frag(&v4, 1208, total - 1208, false, 2, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_DONE);
	pl = r.out + v4.hlen;
	assert_memory_equal(pl, alt + v4.hlen, 400);
	assert_memory_equal(pl + 400, v4.d + v4.hlen + 400, 800);
	assert_memory_equal(pl + 1200, alt + v4.hlen + 1200, 8);
	free(r.out);

	/* a complete duplicate is an overlap too, and changes nothing */
	f = frag(&v4, 0, 1480, true, 3, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	f = frag(&ga, 0, 1480, true, 3, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	assert_true(r.flags & DEFRAG_F_OVERLAP);
	f = frag(&v4, 1480, total - 1480, false, 3, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_DONE);
	assert_same(&v4, &r);
	free(r.out);

	free(alt);
	defrag_free(d);
}

static void test_contradicting_end(void **state)
{
	struct defrag *d = defrag_new(1 << 20, 60);
	struct defrag_result r;
	uint32_t total = payload_len(&v4);
	/* the end is known: a second, shorter "last" fragment is ignored */
	struct defrag_frag f = frag(&v4, 1480, total - 1480, false, 9, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	f = frag(&v4, 1480, 40, false, 9, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	assert_true(r.flags & DEFRAG_F_OVERLAP);
	/* data beyond the end is cut off */
	struct defrag_frag g = frag(&v4, 1480, total - 1480, true, 9, 0);
	g.len = total - 1480 + 8;
	uint8_t *big = malloc(g.len);
	memcpy(big, v4.d + v4.hlen + 1480, total - 1480);
	memset(big + total - 1480, 0xcc, 8);
	g.data = big;
	assert_int_equal(defrag_insert(d, &g, &r), DEFRAG_HELD);
	assert_true(r.flags & DEFRAG_F_OVERLAP);
	f = frag(&v4, 0, 1480, true, 9, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_DONE);
	assert_same(&v4, &r);
	free(r.out);
	/* an end before data already held is not believed */
	f = frag(&v4, 800, 680, true, 10, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	f = frag(&v4, 0, 400, false, 10, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	assert_true(r.flags & DEFRAG_F_OVERLAP);
	f = frag(&v4, 400, 400, true, 10, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	f = frag(&v4, 1480, total - 1480, false, 10, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_DONE);
	assert_same(&v4, &r);
	free(r.out);
	free(big);
	defrag_free(d);
}

static void test_piece_cap(void **state)
{
	struct defrag *d = defrag_new(1 << 20, 60);
	struct defrag_result r;
	uint32_t i;
	/* every other 8-byte block: DEFRAG_MAX_PIECES disjoint ranges fit */
	for (i = 0; i < DEFRAG_MAX_PIECES; i++) {
		struct defrag_frag f = frag(&v4, i * 16, 8, true, 5, 0);
		assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	}
	uint64_t mem = defrag_mem(d);
	struct defrag_frag f = frag(&v4, i * 16, 8, true, 5, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_REFUSED);
	assert_true(r.flags & DEFRAG_F_IGNORED);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(defrag_mem(d), mem);
	/* filling a hole still works: it merges ranges */
	f = frag(&v4, 8, 8, true, 5, 0);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	assert_int_equal(r.flags, 0);
	/* the datagram timed out: every fragment it held is counted */
	assert_int_equal(defrag_expire(d, 59), 0);
	assert_int_equal(defrag_expire(d, 60), DEFRAG_MAX_PIECES + 1);
	assert_int_equal(defrag_trackers(d), 0);
	assert_int_equal(defrag_mem(d), 0);
	defrag_free(d);
}

static void test_too_large(void **state)
{
	struct defrag *d = defrag_new(4 << 20, 60);
	struct defrag_result r;
	uint8_t *big = calloc(1, 65536);
	struct defrag_frag f = frag(&v4, 65528, 8, false, 1, 0);
	f.data = big;
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_TOO_LARGE);
	assert_int_equal(defrag_trackers(d), 0);
	f.off = 65512;          /* 20 + 65512 + 8 = 65540 */
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_TOO_LARGE);
	f.off = 65504;          /* fits exactly: 20 + 65512 */
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);

	/* fits with the 20-byte header of the last fragment, not with the
	 * 60-byte one of the first: found out on completion */
	uint8_t hdr[60];
	memcpy(hdr, v4.d, 20);
	hdr[0] = 0x4f;
	memset(hdr + 20, 1, 40);        /* NOPs */
	struct defrag_frag a = frag(&v4, 0, 65472, true, 2, 0);
	a.hdr = hdr;
	a.hdr_len = 60;
	a.data = big;
	struct defrag_frag b = frag(&v4, 65472, 40, false, 2, 0);
	b.data = big;
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_HELD);
	assert_int_equal(defrag_insert(d, &a, &r), DEFRAG_TOO_LARGE);
	assert_int_equal(defrag_trackers(d), 1);        /* only datagram 1 */

	/* the largest datagram there can be */
	a = frag(&v4, 0, 65472, true, 3, 0);
	a.data = big;
	b = frag(&v4, 65472, 65515 - 65472, false, 3, 0);
	b.data = big;
	assert_int_equal(defrag_insert(d, &a, &r), DEFRAG_HELD);
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_DONE);
	assert_int_equal(r.out_len, 65535);
	assert_int_equal(r.out[2], 0xff);
	assert_int_equal(r.out[3], 0xff);
	free(r.out);
	free(big);
	defrag_free(d);
}

static void test_memcap(void **state)
{
	const uint64_t memcap = 64 * 1024;
	struct defrag *d = defrag_new(memcap, 30);
	struct defrag_result r;
	uint32_t held = 0, refused = 0;
	for (uint32_t id = 0; id < 200; id++) {
		struct defrag_frag f = frag(&v4, 0, 1480, true, id, 10);
		enum defrag_status st = defrag_insert(d, &f, &r);
		if (st == DEFRAG_HELD) {
			held++;
		} else {
			assert_int_equal(st, DEFRAG_REFUSED);
			assert_true(r.flags & DEFRAG_F_MEMCAP);
			assert_int_equal(r.dropped, 1);
			refused++;
		}
		assert_true(defrag_mem(d) <= memcap);
	}
	assert_true(held > 10);
	assert_true(refused > 100);
	assert_int_equal(defrag_trackers(d), held);
	/* a datagram already held can still complete if its last part fits */
	struct defrag_frag f = frag(&v4, 1480, payload_len(&v4) - 1480, false, 0, 11);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_DONE);
	assert_same(&v4, &r);
	free(r.out);
	/* the rest time out, which any later insert also notices */
	f = frag(&v4, 0, 1480, true, 1000, 40);
	assert_int_equal(defrag_insert(d, &f, &r), DEFRAG_HELD);
	assert_int_equal(r.dropped, held - 1);
	assert_int_equal(defrag_trackers(d), 1);
	defrag_free(d);
}

static void test_keys(void **state)
{
	struct defrag *d = defrag_new(1 << 20, 60);
	struct defrag_result r;
	uint32_t total = payload_len(&v4);
	struct defrag_frag a = frag(&v4, 0, 1480, true, 4, 0);
	struct defrag_frag b = frag(&v4, 1480, total - 1480, false, 4, 0);
	/* another VLAN, tunnel depth, protocol, id or address: not the same */
	b.vlan[0] = 100;
	assert_int_equal(defrag_insert(d, &a, &r), DEFRAG_HELD);
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_HELD);
	b.vlan[0] = 0;
	b.depth = 1;
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_HELD);
	b.depth = 0;
	b.proto = 6;
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_HELD);
	b.proto = 17;
	b.id = 5;
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_HELD);
	b.id = 4;
	b.src = &v4.dst;
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_HELD);
	assert_int_equal(defrag_trackers(d), 6);
	b.src = &v4.src;
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_DONE);
	assert_same(&v4, &r);
	free(r.out);
	/* IPv6 ignores the protocol: only the offset-zero fragment's counts */
	struct defrag_frag c6 = frag(&v6, 0, 1448, true, 4, 0);
	struct defrag_frag d6 = frag(&v6, 1448, payload_len(&v6) - 1448, false, 4, 0);
	d6.proto = 6;
	assert_int_equal(defrag_insert(d, &d6, &r), DEFRAG_HELD);
	assert_int_equal(defrag_insert(d, &c6, &r), DEFRAG_DONE);
	assert_same(&v6, &r);
	free(r.out);
	defrag_free(d);
}

static void test_ipv6_unfragmentable(void **state)
{
	struct defrag *d = defrag_new(1 << 20, 60);
	struct defrag_result r;
	/* the unfragmentable part: IPv6 header, then an 8-byte hop-by-hop
	 * header naming the fragment header (44) */
	uint8_t hdr[48];
	memcpy(hdr, v6.d, 40);
	hdr[6] = 0;
	memset(hdr + 40, 0, 8);
	hdr[40] = 44;
	hdr[42] = 1;            /* PadN of 4 */
	hdr[43] = 4;
	uint32_t total = payload_len(&v6);
	struct defrag_frag a = frag(&v6, 0, 1000, true, 77, 0);
	a.hdr = hdr;
	a.hdr_len = 48;
	a.nh_off = 40;
	struct defrag_frag b = frag(&v6, 1000, total - 1000, false, 77, 0);
	b.hdr = hdr;
	b.hdr_len = 48;
	b.nh_off = 40;
	assert_int_equal(defrag_insert(d, &b, &r), DEFRAG_HELD);
	assert_int_equal(defrag_insert(d, &a, &r), DEFRAG_DONE);
	assert_int_equal(r.out_len, 48 + total);
	assert_int_equal(r.out[6], 0);
	assert_int_equal(r.out[40], 17);
	assert_int_equal(r.out[4] << 8 | r.out[5], 8 + total);
	assert_memory_equal(r.out + 48, v6.d + 40, total);
	free(r.out);

	/* nothing held, nothing to expire; an empty fragment is harmless */
	struct defrag_frag e = frag(&v6, 16, 0, true, 78, 0);
	assert_int_equal(defrag_insert(d, &e, &r), DEFRAG_HELD);
	assert_int_equal(defrag_expire(d, 1000), 1);
	defrag_free(d);
	defrag_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_orders),
		cmocka_unit_test(test_overlap_first_wins),
		cmocka_unit_test(test_contradicting_end),
		cmocka_unit_test(test_piece_cap),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_memcap),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_ipv6_unfragmentable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
