/*
 * flow.c - the flow table: a hash of chained buckets plus one LRU list.
 *
 * Lookup normalises nothing: a packet's key is compared against the flow in
 * both orientations, which also tells the packet's direction.  The LRU list
 * keeps the least recently used flow at the tail, so timeouts and memory
 * pressure look at the tail only.  Flow ids are 51-bit values from a
 * counter mixed with a per-table seed (unique within a run, safe for JSON
 * readers that parse numbers as doubles).
 */
#include "flow-table.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "stream.h"
#include "../lib/util.h"

#define TH_SYN 0x02
#define TH_ACK 0x10

struct flow_table {
	struct flow_cfg cfg;
	struct flow **buckets;
	uint32_t mask;
	struct flow *lru_head, *lru_tail;
	uint64_t mem;
	uint64_t id_counter;
	uint32_t min_timeout;
	time_t last_check;
	flow_end_fn on_end;
	void *arg;
	struct flow_stats stats;
};

void flow_cfg_defaults(struct flow_cfg *cfg)
{
	static const uint32_t def[FLOW_PROTO_MAX][FLOW_TO_MAX] = {
		[FLOW_PROTO_TCP] = { 60, 600, 60 },
		[FLOW_PROTO_UDP] = { 30, 300, 0 },
		[FLOW_PROTO_ICMP] = { 30, 300, 0 },
		[FLOW_PROTO_OTHER] = { 30, 300, 0 },
	};
	memset(cfg, 0, sizeof(*cfg));
	cfg->hash_size = 65536;
	cfg->memcap = 128ULL << 20;
	memcpy(cfg->timeout, def, sizeof(def));
	cfg->track_vlan = true;
	cfg->track_depth = true;
}

struct flow_table *flow_table_new(const struct flow_cfg *cfg, flow_end_fn on_end, void *arg)
{
	struct flow_table *ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	ft->cfg = *cfg;
	uint32_t n = 1;
	while (n < cfg->hash_size && n < (1u << 26))
		n <<= 1;
	ft->buckets = calloc(n, sizeof(*ft->buckets));
	if (!ft->buckets) {
		free(ft);
		return NULL;
	}
	ft->mask = n - 1;
	ft->on_end = on_end;
	ft->arg = arg;
	ft->id_counter = 0x5bd1e995u;
	ft->min_timeout = UINT32_MAX;
	for (int p = 0; p < FLOW_PROTO_MAX; p++)
		for (int s = 0; s < FLOW_TO_MAX; s++)
			if (cfg->timeout[p][s] < ft->min_timeout && (s != FLOW_TO_CLOSED || p == FLOW_PROTO_TCP))
				ft->min_timeout = cfg->timeout[p][s];
	return ft;
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Direction-independent hash of the packet's key. */
static uint32_t key_hash(const struct flow_table *ft, const struct packet *p)
{
	uint64_t a = p->src.q[0] ^ (p->src.q[1] * 31), b = p->dst.q[0] ^ (p->dst.q[1] * 31);
	uint64_t h = (a + b) ^ ((a ^ b) * 0x9e3779b97f4a7c15ULL);
	h += (uint64_t)(p->sport + p->dport) << 8 | p->proto;
	h ^= (uint64_t)(p->sport ^ p->dport) << 40;
	if (ft->cfg.track_vlan)
		h ^= (uint64_t)p->vlan[0] << 16 ^ (uint64_t)p->vlan[1] << 28 ^ (uint64_t)p->vlan[2] << 48;
	if (ft->cfg.track_depth)
		h ^= (uint64_t)p->depth << 60;
	return (uint32_t)mix64(h);
}

static bool vlan_eq(const struct flow_table *ft, const struct flow *f, const struct packet *p)
{
	if (!ft->cfg.track_vlan)
		return true;
	return f->key.vlan[0] == p->vlan[0] && f->key.vlan[1] == p->vlan[1] &&
	       f->key.vlan[2] == p->vlan[2];
}

/*
 * ICMP queries: 1 for a request (echo, timestamp, information, address
 * mask; ICMPv6 echo), 2 for its reply, 0 for anything else.  A request and
 * its reply share a flow; the asker is the flow's client, whichever packet
 * was seen first, so a request going the other way starts another flow.
 */
static int icmp_query_role(const struct packet *p)
{
	if (p->proto == IPPROTO_ICMP) {
		switch (p->icmp_type) {
		case 8: case 13: case 15: case 17: return 1;
		case 0: case 14: case 16: case 18: return 2;
		}
	} else if (p->proto == IPPROTO_ICMPV6) {
		if (p->icmp_type == 128)
			return 1;
		if (p->icmp_type == 129)
			return 2;
	}
	return 0;
}

static const struct ot_addr *icmp_asker(const struct packet *p, int role)
{
	return role == 1 ? &p->src : &p->dst;
}

/* 0: same direction, 1: reverse, -1: not this flow */
static int key_match(const struct flow_table *ft, const struct flow *f, const struct packet *p)
{
	if (f->key.proto != p->proto || f->key.ip_ver != p->ip_ver || !vlan_eq(ft, f, p))
		return -1;
	if (ft->cfg.track_depth && f->key.depth != p->depth)
		return -1;
	int role = icmp_query_role(p);
	if ((role != 0) != f->icmp_query)
		return -1;
	if (role && ot_addr_cmp(&f->icmp_client, icmp_asker(p, role)))
		return -1;
	if (f->key.ap == p->sport && f->key.bp == p->dport &&
	    !ot_addr_cmp(&f->key.a, &p->src) && !ot_addr_cmp(&f->key.b, &p->dst))
		return 0;
	if (f->key.ap == p->dport && f->key.bp == p->sport &&
	    !ot_addr_cmp(&f->key.a, &p->dst) && !ot_addr_cmp(&f->key.b, &p->src))
		return 1;
	return -1;
}

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		ft->lru_head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		ft->lru_tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_push_head(struct flow_table *ft, struct flow *f)
{
	f->lprev = NULL;
	f->lnext = ft->lru_head;
	if (ft->lru_head)
		ft->lru_head->lprev = f;
	ft->lru_head = f;
	if (!ft->lru_tail)
		ft->lru_tail = f;
}

static void hash_unlink(struct flow_table *ft, struct flow *f)
{
	struct flow **pp = &ft->buckets[f->hash & ft->mask];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
}

static void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason reason)
{
	hash_unlink(ft, f);
	lru_unlink(ft, f);
	switch (reason) {
	case FLOW_END_TIMEOUT: ft->stats.ended_timeout++; break;
	case FLOW_END_FORCED: ft->stats.ended_forced++; break;
	case FLOW_END_SHUTDOWN: ft->stats.ended_shutdown++; break;
	}
	if (ft->on_end)
		ft->on_end(ft->arg, f, reason);
	ft->mem -= sizeof(*f);
	ft->stats.active--;
	free(f);
}

static struct flow *flow_create(struct flow_table *ft, const struct packet *p, uint32_t hash)
{
	while (ft->cfg.memcap && ft->mem + sizeof(struct flow) > ft->cfg.memcap && ft->lru_tail) {
		ft->stats.memcap_evictions++;
		flow_end(ft, ft->lru_tail, FLOW_END_FORCED);
	}
	struct flow *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	bool swap = p->proto == IPPROTO_TCP && (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
	f->key.a = swap ? p->dst : p->src;
	f->key.b = swap ? p->src : p->dst;
	f->key.ap = swap ? p->dport : p->sport;
	f->key.bp = swap ? p->sport : p->dport;
	f->key.proto = p->proto;
	f->key.ip_ver = p->ip_ver;
	f->key.depth = p->depth;
	memcpy(f->key.vlan, p->vlan, sizeof(f->key.vlan));
	f->vlan_cnt = p->vlan_cnt;
	f->icmp_type = p->icmp_type;
	f->icmp_code = p->icmp_code;
	int role = icmp_query_role(p);
	if (role) {
		f->icmp_query = true;
		f->icmp_client = *icmp_asker(p, role);
	}
	f->start = p->ts;
	f->hash = hash;
	f->flow_id = mix64(++ft->id_counter ^ 0x2545F4914F6CDD1DULL) & ((1ULL << 51) - 1);
	if (!f->flow_id)
		f->flow_id = 1;
	f->hnext = ft->buckets[hash & ft->mask];
	ft->buckets[hash & ft->mask] = f;
	lru_push_head(ft, f);
	ft->mem += sizeof(*f);
	ft->stats.created++;
	if (++ft->stats.active > ft->stats.peak)
		ft->stats.peak = ft->stats.active;
	return f;
}

static void flow_count(struct flow *f, struct packet *p)
{
	int d = p->dir;
	f->pkts[d]++;
	f->bytes[d] += p->caplen;
	f->last = p->ts;
	if (p->proto == IPPROTO_TCP)
		f->tcp_flags[d] |= p->tcp_flags;
	if (f->state == FLOW_NEW && f->pkts[0] && f->pkts[1] && p->proto != IPPROTO_TCP)
		f->state = FLOW_ESTABLISHED;
	if (d == 1 && (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) && f->pkts[1] == 1) {
		f->icmp_resp_type = p->icmp_type;
		f->icmp_resp_code = p->icmp_code;
	}
}

struct flow *flow_handle_packet(struct flow_table *ft, struct packet *p)
{
	uint32_t hash = key_hash(ft, p);
	struct flow *f;
	int dir = -1;
	for (f = ft->buckets[hash & ft->mask]; f; f = f->hnext) {
		if (f->hash == hash && (dir = key_match(ft, f, p)) >= 0)
			break;
	}
	if (f && p->proto == IPPROTO_TCP) {
		p->dir = (uint8_t)dir;
		if (stream_is_reuse(f, p)) {
			ft->stats.reused++;
			flow_end(ft, f, FLOW_END_TIMEOUT);
			f = NULL;
		}
	}
	if (!f) {
		f = flow_create(ft, p, hash);
		if (!f)
			return NULL;
		dir = key_match(ft, f, p);
	} else if (f != ft->lru_head) {
		lru_unlink(ft, f);
		lru_push_head(ft, f);
	}
	p->flow = f;
	p->dir = (uint8_t)dir;
	flow_count(f, p);
	return f;
}

static int proto_class(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return FLOW_PROTO_TCP;
	case IPPROTO_UDP: return FLOW_PROTO_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: return FLOW_PROTO_ICMP;
	default: return FLOW_PROTO_OTHER;
	}
}

static uint32_t flow_timeout_of(const struct flow_table *ft, const struct flow *f)
{
	int s;
	if (f->key.proto == IPPROTO_TCP)
		s = stream_is_closed(f) ? FLOW_TO_CLOSED :
		    stream_is_established(f) ? FLOW_TO_ESTABLISHED : FLOW_TO_NEW;
	else
		s = f->state == FLOW_ESTABLISHED ? FLOW_TO_ESTABLISHED : FLOW_TO_NEW;
	return ft->cfg.timeout[proto_class(f->key.proto)][s];
}

void flow_table_timeout(struct flow_table *ft, const struct timeval *now)
{
	if (now->tv_sec == ft->last_check)
		return;
	ft->last_check = now->tv_sec;
	struct flow *f = ft->lru_tail;
	while (f && now->tv_sec - f->last.tv_sec >= (time_t)ft->min_timeout) {
		struct flow *prev = f->lprev;
		if (now->tv_sec - f->last.tv_sec >= (time_t)flow_timeout_of(ft, f))
			flow_end(ft, f, FLOW_END_TIMEOUT);
		f = prev;
	}
}

void flow_table_end_all(struct flow_table *ft, enum flow_end_reason reason)
{
	/* oldest first, so events come out roughly in time order */
	while (ft->lru_tail)
		flow_end(ft, ft->lru_tail, reason);
}

void flow_table_each(struct flow_table *ft, void (*fn)(void *arg, struct flow *f), void *arg)
{
	for (struct flow *f = ft->lru_head; f; f = f->lnext)
		fn(arg, f);
}

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	flow_table_end_all(ft, FLOW_END_SHUTDOWN);
	free(ft->buckets);
	free(ft);
}

void flow_swap(struct flow *f)
{
	struct ot_addr a = f->key.a;
	uint16_t ap = f->key.ap;
	uint64_t t;
	f->key.a = f->key.b;
	f->key.b = a;
	f->key.ap = f->key.bp;
	f->key.bp = ap;
	t = f->pkts[0]; f->pkts[0] = f->pkts[1]; f->pkts[1] = t;
	t = f->bytes[0]; f->bytes[0] = f->bytes[1]; f->bytes[1] = t;
	uint8_t fl = f->tcp_flags[0];
	f->tcp_flags[0] = f->tcp_flags[1];
	f->tcp_flags[1] = fl;
	stream_swap(f);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
	return &ft->stats;
}
