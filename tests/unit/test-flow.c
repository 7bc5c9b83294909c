/*
 * test-flow.c - the flow table: direction, SYN/ACK-first orientation,
 * counters, VLAN in the key, timeouts by protocol and state, eviction under
 * the memory cap, and port reuse after a close.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "../../src/sensor/flow-table.h"
#include "../../src/sensor/stream.h"

struct ended {
	int n;
	int reasons[3];
	uint64_t pkts;
};

static void on_end(void *arg, struct flow *f, enum flow_end_reason r)
{
	struct ended *e = arg;
	e->n++;
	e->reasons[r]++;
	e->pkts += f->pkts[0] + f->pkts[1];
}

static struct packet mk(uint8_t proto, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp, long sec)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.ip_ver = 4;
	p.proto = proto;
	p.src.b[0] = 10; p.src.b[3] = a;
	p.dst.b[0] = 10; p.dst.b[3] = b;
	p.sport = ap;
	p.dport = bp;
	p.ts.tv_sec = sec;
	p.caplen = 60;
	return p;
}

static void test_direction_and_counts(void **state)
{
	struct flow_cfg cfg;
	struct ended e = { 0 };
	flow_cfg_defaults(&cfg);
	struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
	struct packet p1 = mk(IPPROTO_UDP, 1, 5555, 2, 53, 100);
	struct packet p2 = mk(IPPROTO_UDP, 2, 53, 1, 5555, 100);
	struct flow *f1 = flow_handle_packet(ft, &p1);
	struct flow *f2 = flow_handle_packet(ft, &p2);
	assert_ptr_equal(f1, f2);
	assert_int_equal(p1.dir, 0);
	assert_int_equal(p2.dir, 1);
	assert_int_equal(f1->pkts[0], 1);
	assert_int_equal(f1->bytes[1], 60);
	assert_int_equal(f1->state, FLOW_ESTABLISHED);

	/* the same tuple on another VLAN is another flow */
	struct packet p3 = mk(IPPROTO_UDP, 1, 5555, 2, 53, 100);
	p3.vlan[0] = 7;
	p3.vlan_cnt = 1;
	assert_ptr_not_equal(flow_handle_packet(ft, &p3), f1);

	/* a flow first seen through its SYN/ACK belongs to the other side */
	struct packet sa = mk(IPPROTO_TCP, 9, 80, 8, 40000, 100);
	sa.tcp_flags = 0x12;
	struct flow *f4 = flow_handle_packet(ft, &sa);
	assert_int_equal(sa.dir, 1);
	assert_int_equal(f4->key.bp, 80);
	flow_table_free(ft);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.reasons[FLOW_END_SHUTDOWN], 3);
	assert_int_equal(e.pkts, 4);
}

static void test_timeouts(void **state)
{
	struct flow_cfg cfg;
	struct ended e = { 0 };
	flow_cfg_defaults(&cfg);
	struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
	struct packet one = mk(IPPROTO_UDP, 1, 1000, 2, 2000, 100);     /* new: 30 s */
	struct packet a = mk(IPPROTO_UDP, 3, 1000, 4, 2000, 100);       /* established: 300 s */
	struct packet b = mk(IPPROTO_UDP, 4, 2000, 3, 1000, 100);
	flow_handle_packet(ft, &one);
	flow_handle_packet(ft, &a);
	flow_handle_packet(ft, &b);
	struct timeval t = { 129, 0 };
	flow_table_timeout(ft, &t);
	assert_int_equal(e.n, 0);
	t.tv_sec = 130;
	flow_table_timeout(ft, &t);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.reasons[FLOW_END_TIMEOUT], 1);
	t.tv_sec = 400;
	flow_table_timeout(ft, &t);
	assert_int_equal(e.n, 2);
	assert_int_equal(flow_table_stats(ft)->active, 0);
	flow_table_free(ft);
}

static void test_memcap_evicts_oldest(void **state)
{
	struct flow_cfg cfg;
	struct ended e = { 0 };
	flow_cfg_defaults(&cfg);
	cfg.memcap = 10 * sizeof(struct flow);
	struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
	for (int i = 0; i < 25; i++) {
		struct packet p = mk(IPPROTO_UDP, 1, (uint16_t)(1000 + i), 2, 53, 100 + i);
		assert_non_null(flow_handle_packet(ft, &p));
	}
	assert_int_equal(flow_table_stats(ft)->active, 10);
	assert_int_equal(e.reasons[FLOW_END_FORCED], 15);
	assert_int_equal(flow_table_stats(ft)->memcap_evictions, 15);
	flow_table_free(ft);
	assert_int_equal(e.pkts, 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direction_and_counts),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_memcap_evicts_oldest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
