/*
 * test-stream.c - TCP reassembly: delivery on acknowledgement, out-of-order
 * segments, retransmissions, first-wins overlaps, gaps, depth, midstream,
 * FIN/RST, flushing at flow end, and data on a SYN (TCP Fast Open).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/sensor/flow.h"
#include "../../src/sensor/packet.h"
#include "../../src/sensor/stream.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

struct sink {
	char data[2][4096];
	size_t len[2];
	size_t gaps[2];
	int calls;
};

static void deliver(void *arg, struct flow *f, const struct packet *p, int dir,
		    const uint8_t *data, size_t len, size_t gap)
{
	struct sink *s = arg;
	s->calls++;
	if (gap) {
		s->gaps[dir] += gap;
		return;
	}
	assert_true(s->len[dir] + len < sizeof(s->data[dir]));
	memcpy(s->data[dir] + s->len[dir], data, len);
	s->len[dir] += len;
}

struct fixture {
	struct stream_ctx sc;
	struct flow f;
	struct sink sink;
};

static void setup_policy(struct fixture *x, bool midstream, uint64_t depth, bool last_wins)
{
	struct stream_cfg cfg = { .midstream = midstream, .depth = depth, .memcap = 1 << 20,
				  .last_wins = last_wins };
	memset(x, 0, sizeof(*x));
	stream_ctx_init(&x->sc, &cfg, deliver, &x->sink);
	x->f.key.proto = 6;
}

static void setup_cfg(struct fixture *x, bool midstream, uint64_t depth)
{
	setup_policy(x, midstream, depth, false);
}

static void pkt(struct fixture *x, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
		const char *payload)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.dir = (uint8_t)dir;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.payload = (const uint8_t *)payload;
	p.payload_len = payload ? (uint32_t)strlen(payload) : 0;
	stream_packet(&x->sc, &x->f, &p);
}

/* client ISN 1000, server ISN 5000 */
static void handshake(struct fixture *x)
{
	pkt(x, 0, SYN, 1000, 0, NULL);
	pkt(x, 1, SYN | ACK, 5000, 1001, NULL);
	pkt(x, 0, ACK, 1001, 5001, NULL);
	assert_string_equal(stream_state_name(&x->f), "established");
}

static void done(struct fixture *x)
{
	stream_session_free(&x->sc, &x->f);
	assert_int_equal(x->sc.mem_used, 0);
}

static void test_delivery_waits_for_ack(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 0);
	handshake(&x);
	pkt(&x, 0, ACK, 1001, 5001, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(x.sink.len[0], 0);          /* not acknowledged yet */
	pkt(&x, 1, ACK, 5001, 1019, "HTTP/1.1 200 OK\r\n\r\n");
	assert_int_equal(x.sink.len[0], 18);
	assert_memory_equal(x.sink.data[0], "GET / HTTP/1.1\r\n\r\n", 18);
	assert_int_equal(x.sink.len[1], 0);
	pkt(&x, 0, ACK, 1019, 5020, NULL);
	assert_int_equal(x.sink.len[1], 19);
	done(&x);
}

/* TCP Fast Open: the client's SYN carries the request; a retransmitted
 * SYN with the same data does not repeat it */
static void test_fast_open(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 0);
	pkt(&x, 0, SYN, 1000, 0, "GET / HTTP/1.0\r\n\r\n");
	pkt(&x, 0, SYN, 1000, 0, "GET / HTTP/1.0\r\n\r\n");
	pkt(&x, 1, SYN | ACK, 5000, 1019, NULL);
	assert_int_equal(x.sink.len[0], 18);
	assert_memory_equal(x.sink.data[0], "GET / HTTP/1.0\r\n\r\n", 18);
	pkt(&x, 0, ACK, 1019, 5001, NULL);
	pkt(&x, 1, ACK, 5001, 1019, "HTTP/1.0 200 OK\r\n\r\n");
	pkt(&x, 0, ACK, 1019, 5020, NULL);
	assert_int_equal(x.sink.len[0], 18);
	assert_int_equal(x.sink.len[1], 19);
	done(&x);
}

static void test_out_of_order_and_retransmission(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 0);
	handshake(&x);
	pkt(&x, 0, ACK, 1006, 5001, "world");
	pkt(&x, 0, ACK, 1001, 5001, "hello");
	pkt(&x, 0, ACK, 1001, 5001, "hello");        /* retransmission */
	pkt(&x, 1, ACK, 5001, 1011, NULL);
	assert_int_equal(x.sink.len[0], 10);
	assert_memory_equal(x.sink.data[0], "helloworld", 10);
	assert_int_equal(x.sc.stats.retransmits, 1);
	done(&x);
}

static void test_overlap_first_wins(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 0);
	handshake(&x);
	pkt(&x, 0, ACK, 1003, 5001, "AAAA");         /* bytes 2..5 */
	pkt(&x, 0, ACK, 1001, 5001, "bbbbbbbb");     /* bytes 0..7, overlaps */
	pkt(&x, 1, ACK, 5001, 1009, NULL);
	assert_int_equal(x.sink.len[0], 8);
	assert_memory_equal(x.sink.data[0], "bbAAAAbb", 8);
	assert_true(x.sc.stats.overlaps > 0);
	done(&x);

	/* the same segments under the last-wins policy */
	setup_policy(&x, false, 0, true);
	handshake(&x);
	pkt(&x, 0, ACK, 1003, 5001, "AAAA");
	pkt(&x, 0, ACK, 1001, 5001, "bbbbbbbb");
	pkt(&x, 1, ACK, 5001, 1009, NULL);
	assert_int_equal(x.sink.len[0], 8);
	assert_memory_equal(x.sink.data[0], "bbbbbbbb", 8);
	done(&x);
}

static void test_acked_hole_is_a_gap(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 0);
	handshake(&x);
	pkt(&x, 0, ACK, 1001, 5001, "abc");
	/* bytes 3..9 never seen */
	pkt(&x, 0, ACK, 1011, 5001, "xyz");
	pkt(&x, 1, ACK, 5001, 1014, NULL);
	assert_int_equal(x.sink.len[0], 6);
	assert_memory_equal(x.sink.data[0], "abcxyz", 6);
	assert_int_equal(x.sink.gaps[0], 7);
	done(&x);
}

static void test_depth(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 4);
	handshake(&x);
	pkt(&x, 0, ACK, 1001, 5001, "abcdefgh");
	pkt(&x, 1, ACK, 5001, 1009, NULL);
	assert_int_equal(x.sink.len[0], 4);
	assert_memory_equal(x.sink.data[0], "abcd", 4);
	assert_int_equal(x.sc.stats.depth_reached, 1);
	done(&x);
}

static void test_midstream(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 0);
	pkt(&x, 0, ACK, 7000, 9000, "data");
	pkt(&x, 1, ACK, 9000, 7004, NULL);
	assert_int_equal(x.sink.len[0], 0);          /* not followed without midstream */
	done(&x);

	setup_cfg(&x, true, 0);
	pkt(&x, 0, ACK, 7000, 9000, "data");
	pkt(&x, 1, ACK, 9000, 7004, "resp");
	pkt(&x, 0, ACK, 7004, 9004, NULL);
	assert_int_equal(x.sink.len[0], 4);
	assert_int_equal(x.sink.len[1], 4);
	assert_int_equal(x.sc.stats.midstream, 1);
	done(&x);
}

static void test_close_and_flush(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 0);
	handshake(&x);
	pkt(&x, 0, ACK | FIN, 1001, 5001, "bye");
	pkt(&x, 1, ACK | FIN, 5001, 1005, NULL);
	assert_int_equal(x.sink.len[0], 3);
	pkt(&x, 0, ACK, 1005, 5002, NULL);
	assert_true(stream_is_closed(&x.f));
	assert_string_equal(stream_state_name(&x.f), "closed");
	done(&x);

	/* unacknowledged data is flushed when the flow ends */
	setup_cfg(&x, false, 0);
	handshake(&x);
	pkt(&x, 1, ACK, 5001, 1001, "banner");
	assert_int_equal(x.sink.len[1], 0);
	stream_flow_end(&x.sc, &x.f);
	assert_int_equal(x.sink.len[1], 6);
	done(&x);

	/* a reset delivers both sides at once */
	setup_cfg(&x, false, 0);
	handshake(&x);
	pkt(&x, 0, ACK, 1001, 5001, "req");
	pkt(&x, 1, RST, 5001, 0, NULL);
	assert_int_equal(x.sink.len[0], 3);
	assert_true(stream_is_closed(&x.f));
	done(&x);
}

static void test_sequence_wrap(void **state)
{
	struct fixture x;
	setup_cfg(&x, false, 0);
	pkt(&x, 0, SYN, 0xfffffffd, 0, NULL);
	pkt(&x, 1, SYN | ACK, 5000, 0xfffffffe, NULL);
	pkt(&x, 0, ACK, 0xfffffffe, 5001, "wrapping");
	pkt(&x, 1, ACK, 5001, 6, NULL);
	assert_int_equal(x.sink.len[0], 8);
	assert_memory_equal(x.sink.data[0], "wrapping", 8);
	done(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_waits_for_ack),
		cmocka_unit_test(test_out_of_order_and_retransmission),
		cmocka_unit_test(test_overlap_first_wins),
		cmocka_unit_test(test_acked_hole_is_a_gap),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_close_and_flush),
		cmocka_unit_test(test_sequence_wrap),
		cmocka_unit_test(test_fast_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
