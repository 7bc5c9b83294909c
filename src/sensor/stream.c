/*
 * stream.c - TCP session tracking and reassembly (see stream.h for the
 * policy).  Sequence numbers wrap, so every comparison goes through the
 * SEQ_* macros.
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "packet.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

/* an acknowledgement this far beyond what we hold is not believed */
#define MAX_ACK_JUMP (1u << 30)

struct seg {
	struct seg *next;
	uint32_t seq;           /* of data[off] */
	uint32_t len;           /* bytes left from data[off] */
	uint32_t off;
	uint32_t alloc;         /* bytes allocated for data */
	uint8_t data[];
};

struct sdir {
	bool started;           /* base is known */
	bool seen;              /* a packet came from this side */
	bool fin, rst;
	bool depth_hit;
	uint32_t base;          /* next byte to deliver */
	uint32_t isn;           /* first data byte, for depth */
	uint32_t fin_seq;       /* sequence number of the FIN */
	uint32_t high;          /* highest byte seen + 1 */
	struct seg *segs;
};

struct tcp_session {
	struct sdir d[2];
	uint8_t state;          /* enum tcp_state */
	bool tracked;           /* reassembly on for this session */
	bool midstream;         /* picked up without the client's SYN */
	bool closed_acked;
};

void stream_ctx_init(struct stream_ctx *sc, const struct stream_cfg *cfg,
		     stream_deliver_fn deliver, void *arg)
{
	memset(sc, 0, sizeof(*sc));
	sc->cfg = *cfg;
	sc->deliver = deliver;
	sc->deliver_arg = arg;
}

static void seg_free(struct stream_ctx *sc, struct seg *s)
{
	sc->mem_used -= s->alloc;
	free(s);
}

static void dir_start(struct sdir *d, uint32_t seq)
{
	d->started = true;
	d->base = seq;
	d->isn = seq;
	d->high = seq;
}

/* Copy [seq, seq+len) into a new segment inserted before *link. */
static void seg_insert(struct stream_ctx *sc, struct seg **link, uint32_t seq,
		       const uint8_t *data, uint32_t len)
{
	if (sc->cfg.memcap && sc->mem_used + len > sc->cfg.memcap) {
		sc->stats.memcap_drops++;
		return;
	}
	struct seg *s = malloc(sizeof(*s) + len);
	if (!s) {
		sc->stats.memcap_drops++;
		return;
	}
	s->seq = seq;
	s->len = len;
	s->off = 0;
	s->alloc = len;
	memcpy(s->data, data, len);
	s->next = *link;
	*link = s;
	sc->mem_used += len;
}

/*
 * Add payload [seq, seq+len) to d, dropping what was already delivered or
 * lies past the depth.  Bytes already held are kept (first wins) or
 * overwritten (last wins).
 */
static void dir_add(struct stream_ctx *sc, struct sdir *d, uint32_t seq,
		    const uint8_t *data, uint32_t len)
{
	uint32_t end = seq + len;
	uint32_t held = 0;      /* bytes of this segment we already had */
	if (SEQ_LEQ(end, d->base)) {
		sc->stats.retransmits++;
		return;
	}
	if (SEQ_LT(seq, d->base)) {
		uint32_t cut = d->base - seq;
		data += cut;
		seq += cut;
		len -= cut;
		held += cut;
	}
	if (sc->cfg.depth) {
		uint64_t at = (uint32_t)(seq - d->isn);
		if (at + len > sc->cfg.depth) {
			if (!d->depth_hit)
				sc->stats.depth_reached++;
			d->depth_hit = true;
			if (at >= sc->cfg.depth)
				return;
			len = (uint32_t)(sc->cfg.depth - at);
			end = seq + len;
		}
	}
	if (SEQ_GT(end, d->high))
		d->high = end;

	uint32_t cur = seq;
	struct seg **link = &d->segs;
	while (SEQ_LT(cur, end)) {
		struct seg *s = *link;
		if (!s) {
			seg_insert(sc, link, cur, data + (cur - seq), end - cur);
			break;
		}
		uint32_t s_end = s->seq + s->len;
		if (SEQ_LEQ(s_end, cur)) {
			link = &s->next;
			continue;
		}
		if (SEQ_LEQ(s->seq, cur)) {
			/* cur lies inside s: those bytes are already held */
			uint32_t stop = SEQ_LT(end, s_end) ? end : s_end;
			if (sc->cfg.last_wins)
				memcpy(s->data + s->off + (cur - s->seq), data + (cur - seq), stop - cur);
			held += stop - cur;
			cur = s_end;
			link = &s->next;
			continue;
		}
		/* s starts after cur: fill [cur, min(end, s->seq)) */
		uint32_t piece_end = SEQ_LT(end, s->seq) ? end : s->seq;
		seg_insert(sc, link, cur, data + (cur - seq), piece_end - cur);
		if (*link != s)
			link = &(*link)->next;
		cur = piece_end;
	}
	if (held && held >= (uint32_t)(end - seq))
		sc->stats.retransmits++;
	else if (held)
		sc->stats.overlaps++;
}

static void deliver_gap(struct stream_ctx *sc, struct flow *f, const struct packet *p,
			int dir, uint32_t n)
{
	if (!n)
		return;
	sc->stats.gaps++;
	sc->deliver(sc->deliver_arg, f, p, dir, NULL, 0, n);
}

/*
 * Deliver direction dir up to (not including) upto.  With gaps, acknowledged
 * holes are skipped and reported; without, delivery stops at the first hole.
 */
static void dir_deliver(struct stream_ctx *sc, struct flow *f, const struct packet *p,
			int dir, uint32_t upto, bool gaps)
{
	struct sdir *d = &f->tcp->d[dir];
	while (SEQ_LT(d->base, upto)) {
		struct seg *s = d->segs;
		if (s && SEQ_LEQ(s->seq + s->len, d->base)) {
			/* fully behind base (cannot normally happen): discard */
			d->segs = s->next;
			seg_free(sc, s);
			continue;
		}
		if (!s || SEQ_GT(s->seq, d->base)) {
			if (!gaps)
				return;
			uint32_t hole_end = (s && SEQ_LT(s->seq, upto)) ? s->seq : upto;
			deliver_gap(sc, f, p, dir, hole_end - d->base);
			d->base = hole_end;
			continue;
		}
		/* s covers base */
		uint32_t skip = d->base - s->seq;
		uint32_t avail = s->len - skip;
		uint32_t want = upto - d->base;
		uint32_t n = avail < want ? avail : want;
		sc->deliver(sc->deliver_arg, f, p, dir, s->data + s->off + skip, n, 0);
		d->base += n;
		if (n == avail) {
			d->segs = s->next;
			seg_free(sc, s);
		} else {
			s->off += skip + n;
			s->seq = d->base;
			s->len = avail - n;
		}
		if (!f->tcp)
			return;  /* the app layer cannot free the session, but be safe */
	}
}

/* Everything held in dir, holes reported as gaps. */
static void dir_flush(struct stream_ctx *sc, struct flow *f, const struct packet *p, int dir)
{
	struct sdir *d = &f->tcp->d[dir];
	if (!d->started)
		return;
	uint32_t upto = d->base;
	for (struct seg *s = d->segs; s; s = s->next)
		if (SEQ_GT(s->seq + s->len, upto))
			upto = s->seq + s->len;
	dir_deliver(sc, f, p, dir, upto, true);
}

static struct tcp_session *session_get(struct stream_ctx *sc, struct flow *f)
{
	if (!f->tcp) {
		f->tcp = calloc(1, sizeof(*f->tcp));
		if (f->tcp)
			sc->stats.sessions++;
	}
	return f->tcp;
}

static void track_state(struct stream_ctx *sc, struct tcp_session *t, const struct packet *p, int dir)
{
	uint8_t fl = p->tcp_flags;
	struct sdir *me = &t->d[dir], *peer = &t->d[dir ^ 1];

	if (fl & TH_RST) {
		me->rst = true;
		t->state = TCP_CLOSED;
		return;
	}
	if ((fl & (TH_SYN | TH_ACK)) == TH_SYN) {
		if (t->state == TCP_NONE || t->state == TCP_SYN_SENT) {
			t->state = TCP_SYN_SENT;
			t->tracked = true;
			dir_start(me, p->tcp_seq + 1);
		}
		return;
	}
	if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
		if (t->state == TCP_NONE && !sc->cfg.midstream)
			return;
		if (t->state == TCP_NONE || t->state == TCP_SYN_SENT || t->state == TCP_SYN_RECV) {
			if (t->state == TCP_NONE) {
				sc->stats.midstream++;
				t->midstream = true;
			}
			t->state = TCP_SYN_RECV;
			t->tracked = true;
			dir_start(me, p->tcp_seq + 1);
			if (!peer->started)
				dir_start(peer, p->tcp_ack);
		}
		return;
	}
	if (t->state == TCP_NONE) {
		if (!sc->cfg.midstream)
			return;
		sc->stats.midstream++;
		t->midstream = true;
		t->state = TCP_ESTABLISHED;
		t->tracked = true;
	}
	if (!me->started)
		dir_start(me, p->tcp_seq);
	if ((fl & TH_ACK) && !peer->started && t->state != TCP_SYN_SENT)
		dir_start(peer, p->tcp_ack);
	if (t->state == TCP_SYN_RECV && (fl & TH_ACK))
		t->state = TCP_ESTABLISHED;
	else if (t->state == TCP_SYN_SENT && (fl & TH_ACK) && dir == 1)
		t->state = TCP_ESTABLISHED;   /* SYN/ACK was lost */
	else if (t->state == TCP_SYN_SENT && p->payload_len)
		t->state = TCP_ESTABLISHED;

	if (fl & TH_FIN) {
		if (!me->fin) {
			me->fin = true;
			me->fin_seq = p->tcp_seq + p->payload_len;
		}
		if (peer->fin)
			t->state = TCP_LAST_ACK;
		else if (t->state == TCP_ESTABLISHED || t->state == TCP_SYN_RECV)
			t->state = dir == 0 ? TCP_FIN_WAIT1 : TCP_CLOSE_WAIT;
	} else if ((fl & TH_ACK) && peer->fin && SEQ_GT(p->tcp_ack, peer->fin_seq)) {
		/* our FIN (if any) was sent earlier: this ACK closes the session */
		if (me->fin)
			t->state = TCP_CLOSED;
		else if (t->state == TCP_FIN_WAIT1)
			t->state = TCP_FIN_WAIT2;
	}
}

/* The highest byte of direction dir that may be delivered when ack arrives. */
static uint32_t ack_limit(const struct sdir *d, uint32_t ack)
{
	if (d->fin && SEQ_GT(ack, d->fin_seq))
		ack = d->fin_seq;
	return ack;
}

void stream_packet(struct stream_ctx *sc, struct flow *f, const struct packet *p)
{
	struct tcp_session *t = session_get(sc, f);
	if (!t)
		return;
	int dir = p->dir, odir = dir ^ 1;
	struct sdir *me = &t->d[dir], *peer = &t->d[odir];

	me->seen = true;
	track_state(sc, t, p, dir);
	if (!t->tracked) {
		sc->stats.untracked_pkts++;
		return;
	}

	/* 1. what this packet acknowledges of the other direction */
	if ((p->tcp_flags & TH_ACK) && peer->started && !(p->tcp_flags & TH_RST)) {
		uint32_t upto = ack_limit(peer, p->tcp_ack);
		if (SEQ_GT(upto, peer->base) && (uint32_t)(upto - peer->base) < MAX_ACK_JUMP)
			dir_deliver(sc, f, p, odir, upto, true);
	}

	/* 2. this packet's own data; a SYN's (TCP Fast Open) follows its
	   sequence number */
	if (p->payload_len && me->started)
		dir_add(sc, me, p->tcp_seq + !!(p->tcp_flags & TH_SYN), p->payload, p->payload_len);

	/* 3. deliver own data at once when nobody will acknowledge it for us */
	if (sc->cfg.inline_mode || (sc->cfg.async_oneside && !peer->seen))
		dir_deliver(sc, f, p, dir, me->high, false);

	/* 4. a reset ends both directions now */
	if (p->tcp_flags & TH_RST) {
		dir_flush(sc, f, p, 0);
		dir_flush(sc, f, p, 1);
	}
}

void stream_flow_end(struct stream_ctx *sc, struct flow *f)
{
	if (!f->tcp || !f->tcp->tracked)
		return;
	dir_flush(sc, f, NULL, 0);
	dir_flush(sc, f, NULL, 1);
}

void stream_session_free(struct stream_ctx *sc, struct flow *f)
{
	struct tcp_session *t = f->tcp;
	if (!t)
		return;
	for (int i = 0; i < 2; i++) {
		struct seg *s = t->d[i].segs;
		while (s) {
			struct seg *n = s->next;
			seg_free(sc, s);
			s = n;
		}
	}
	free(t);
	f->tcp = NULL;
}

void stream_swap(struct flow *f)
{
	if (!f->tcp)
		return;
	struct sdir t = f->tcp->d[0];
	f->tcp->d[0] = f->tcp->d[1];
	f->tcp->d[1] = t;
}

const char *stream_state_name(const struct flow *f)
{
	static const char *const names[] = {
		"none", "syn_sent", "syn_recv", "established", "fin_wait1",
		"fin_wait2", "closing", "close_wait", "last_ack", "time_wait",
		"closed",
	};
	return f->tcp ? names[f->tcp->state] : "none";
}

bool stream_is_closed(const struct flow *f)
{
	return f->tcp && f->tcp->state == TCP_CLOSED;
}

bool stream_size(const struct flow *f, int dir, uint32_t *size)
{
	if (!f->tcp || !f->tcp->d[dir].seen)
		return false;
	const struct sdir *d = &f->tcp->d[dir];
	/* as Suricata: sequence space used, the SYN's and the FIN's counted */
	*size = (d->started ? d->high - d->isn : 0) + 1 + d->fin;
	return true;
}

bool stream_is_midstream(const struct flow *f)
{
	return f->tcp && f->tcp->midstream;
}

bool stream_is_established(const struct flow *f)
{
	return f->tcp && f->tcp->state >= TCP_ESTABLISHED;
}

bool stream_is_reuse(const struct flow *f, const struct packet *p)
{
	if (!f->tcp || (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN)
		return false;
	const struct tcp_session *t = f->tcp;
	if (t->state == TCP_CLOSED || t->state == TCP_TIME_WAIT || t->state == TCP_LAST_ACK)
		return true;
	/* a SYN with a new ISN on a session that already carried data */
	return t->state >= TCP_ESTABLISHED && t->d[0].started &&
	       p->tcp_seq + 1 != t->d[0].isn && p->dir == 0;
}
