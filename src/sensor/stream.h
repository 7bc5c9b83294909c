/*
 * stream.h - TCP session tracking and per-direction stream reassembly.
 *
 * Each TCP flow gets a tcp_session: the handshake and teardown state, and for
 * each direction the segments not yet handed to the application layer, kept
 * sorted and non-overlapping.  Like an IDS (and like Suricata in IDS mode),
 * bytes of one direction are delivered, in order, once the other side has
 * acknowledged them; in inline mode, or when only one side of a session is
 * visible (async-oneside), they are delivered as soon as they are in order.
 *
 * Retransmissions are dropped; where data overlaps bytes already held (not
 * yet delivered), the bytes that arrived first are kept (first-wins, the
 * default) or replaced by the newer ones (last-wins); a hole the receiver has acknowledged anyway is
 * reported as a gap and skipped; at most `depth` bytes per direction are
 * reassembled (0: no limit); all sessions together hold at most `memcap`
 * bytes of out-of-order data.  Sessions picked up without a handshake are
 * followed only when midstream pickup is on.
 */
#ifndef OT_STREAM_H
#define OT_STREAM_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct flow;
struct packet;

struct stream_cfg {
	bool midstream;         /* stream.midstream */
	bool async_oneside;     /* stream.async-oneside */
	bool inline_mode;       /* stream.inline */
	uint64_t depth;         /* stream.reassembly.depth, 0 = unlimited */
	uint64_t memcap;        /* stream.memcap */
	bool last_wins;         /* stream.reassembly.overlap-policy: last */
};

/* Hand in-order bytes of direction dir to the application layer; gap > 0
 * (with data NULL) says that many bytes are missing first.  p is the packet
 * that caused the delivery, NULL at flow end. */
typedef void (*stream_deliver_fn)(void *arg, struct flow *f, const struct packet *p,
				  int dir, const uint8_t *data, size_t len, size_t gap);

struct stream_stats {
	uint64_t sessions, midstream, retransmits, overlaps, gaps, memcap_drops,
		 depth_reached, untracked_pkts;
};

struct stream_ctx {
	struct stream_cfg cfg;
	struct stream_stats stats;
	uint64_t mem_used;
	stream_deliver_fn deliver;
	void *deliver_arg;
};

enum tcp_state {
	TCP_NONE = 0, TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED, TCP_FIN_WAIT1,
	TCP_FIN_WAIT2, TCP_CLOSING, TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_TIME_WAIT,
	TCP_CLOSED,
};

void stream_ctx_init(struct stream_ctx *sc, const struct stream_cfg *cfg,
		     stream_deliver_fn deliver, void *arg);

/* Account one TCP packet of flow f (p->dir set); may deliver data. */
void stream_packet(struct stream_ctx *sc, struct flow *f, const struct packet *p);
/* The flow ends: deliver what is left of both directions (client first). */
void stream_flow_end(struct stream_ctx *sc, struct flow *f);
void stream_session_free(struct stream_ctx *sc, struct flow *f);

/* Exchange the two directions (the flow's client and server were swapped). */
void stream_swap(struct flow *f);

/* Suricata's names: "none", "syn_sent", ..., "closed". */
const char *stream_state_name(const struct flow *f);
/* true when the session is closed (FIN both ways, or RST). */
bool stream_is_closed(const struct flow *f);
/* true when the session was picked up without the client's SYN. */
bool stream_is_midstream(const struct flow *f);
/* Bytes of sequence space side dir used so far (stream_size): its data
 * and its SYN.  false when the flow is not TCP or dir sent nothing. */
bool stream_size(const struct flow *f, int dir, uint32_t *size);
/* true when the handshake completed or data flowed both ways. */
bool stream_is_established(const struct flow *f);
/* true when the packet p (a SYN without ACK) starts a new session on a
 * closed one with the same tuple (port reuse). */
bool stream_is_reuse(const struct flow *f, const struct packet *p);

#endif
