/*
 * defrag.c - IP fragment reassembly (see defrag.h for the policy).
 *
 * A tracker holds one datagram in the making: a buffer indexed by fragment
 * offset, the sorted list of byte ranges already filled, and a copy of the
 * header of the offset-zero fragment.  Trackers live in a hash table (keyed
 * with a per-instance random seed) and in an age list, newest at the head;
 * expiry walks the list from its tail.  A completed datagram's tracker is
 * freed at once: a later fragment with the same key starts a new datagram,
 * as it does on the receiving host (IP ids wrap quickly on busy hosts, so
 * keeping a tombstone to ignore late copies would swallow real datagrams).
 */
#include "defrag.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "decode-int.h"

#define FRAG_MAX_DATAGRAM 65535u

struct frag_key {
	struct ot_addr src, dst;
	uint32_t id;
	uint16_t vlan[PKT_MAX_VLAN];
	uint8_t ip_ver, proto, depth, pad;
};

struct frag_range {
	uint32_t s, e;
};

struct frag_tracker {
	struct frag_key key;
	uint32_t hash;
	struct frag_tracker *hnext;
	struct frag_tracker *lprev, *lnext;
	time_t expire;
	uint8_t *buf;               /* payload by offset */
	uint32_t cap;
	uint8_t *hdr;               /* header of the offset-zero fragment */
	uint32_t hdr_len, nh_off;
	uint8_t nh;
	bool have_last;
	uint32_t total;             /* payload length, once the last fragment came */
	uint32_t nfrags;
	uint32_t nranges;
	struct frag_range r[DEFRAG_MAX_PIECES];
};

struct frag_list {
	struct frag_tracker *head, *tail;
};

struct defrag {
	struct frag_tracker **buckets;
	uint32_t mask;
	uint64_t seed;
	uint64_t mem, memcap;
	uint32_t timeout;
	uint32_t count;
	struct frag_list live;
};

struct defrag *defrag_new(uint64_t memcap, uint32_t timeout)
{
	struct defrag *d = calloc(1, sizeof(*d));
	uint32_t n = 64;
	if (!d)
		return NULL;
	while (n < (1u << 16) && (uint64_t)n * 2048 < memcap)
		n <<= 1;
	d->buckets = calloc(n, sizeof(*d->buckets));
	if (!d->buckets) {
		free(d);
		return NULL;
	}
	d->mask = n - 1;
	d->memcap = memcap;
	d->timeout = timeout;
	if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) != sizeof(d->seed))
		d->seed = (uint64_t)(uintptr_t)d ^ (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
	return d;
}

static void list_unlink(struct frag_list *l, struct frag_tracker *t)
{
	if (t->lprev)
		t->lprev->lnext = t->lnext;
	else
		l->head = t->lnext;
	if (t->lnext)
		t->lnext->lprev = t->lprev;
	else
		l->tail = t->lprev;
	t->lprev = t->lnext = NULL;
}

static void list_push(struct frag_list *l, struct frag_tracker *t)
{
	t->lprev = NULL;
	t->lnext = l->head;
	if (l->head)
		l->head->lprev = t;
	else
		l->tail = t;
	l->head = t;
}

static void drop_data(struct defrag *d, struct frag_tracker *t)
{
	d->mem -= t->cap + t->hdr_len;
	free(t->buf);
	free(t->hdr);
	t->buf = t->hdr = NULL;
	t->cap = t->hdr_len = 0;
}

/* Unhash, unlink and free; returns the fragments it held if incomplete. */
static uint32_t tracker_free(struct defrag *d, struct frag_tracker *t)
{
	struct frag_tracker **pp = &d->buckets[t->hash & d->mask];
	uint32_t lost = t->nfrags;
	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
	list_unlink(&d->live, t);
	drop_data(d, t);
	d->mem -= sizeof(*t);
	d->count--;
	free(t);
	return lost;
}

void defrag_free(struct defrag *d)
{
	if (!d)
		return;
	while (d->live.tail)
		tracker_free(d, d->live.tail);
	free(d->buckets);
	free(d);
}

uint32_t defrag_expire(struct defrag *d, time_t now)
{
	uint32_t lost = 0;
	while (d->live.tail && d->live.tail->expire <= now)
		lost += tracker_free(d, d->live.tail);
	return lost;
}

uint64_t defrag_mem(const struct defrag *d)
{
	return d->mem;
}

uint32_t defrag_trackers(const struct defrag *d)
{
	return d->count;
}

static bool mem_reserve(const struct defrag *d, uint64_t need)
{
	return d->mem + need <= d->memcap;
}

static uint32_t key_hash(const struct defrag *d, const struct frag_key *k)
{
	uint64_t w[sizeof(*k) / 8];
	uint64_t h = d->seed;
	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h ^ h >> 32);
}

_Static_assert(sizeof(struct frag_key) % 8 == 0, "frag_key is hashed in 8-byte words");

/*
 * Merge [s, e) into the sorted, disjoint, non-adjacent range list `in` and
 * write the result to `out`; returns its length (may exceed the cap by one,
 * which the caller checks).
 */
static uint32_t ranges_merge(const struct frag_range *in, uint32_t n, uint32_t s, uint32_t e,
			     struct frag_range *out)
{
	uint32_t i = 0, k = 0;
	while (i < n && in[i].e < s)
		out[k++] = in[i++];
	while (i < n && in[i].s <= e) {
		if (in[i].s < s)
			s = in[i].s;
		if (in[i].e > e)
			e = in[i].e;
		i++;
	}
	out[k++] = (struct frag_range){ s, e };
	while (i < n)
		out[k++] = in[i++];
	return k;
}

/* Copy the bytes of [s, e) not held yet; true if some were held already. */
static bool fill_gaps(struct frag_tracker *t, uint32_t s, uint32_t e, const uint8_t *data)
{
	uint32_t pos = s;
	bool overlap = false;
	for (uint32_t i = 0; i < t->nranges && pos < e; i++) {
		const struct frag_range *r = &t->r[i];
		if (r->e <= pos)
			continue;
		if (r->s >= e)
			break;
		if (r->s > pos)
			memcpy(t->buf + pos, data + (pos - s), r->s - pos);
		overlap = true;
		pos = r->e;
	}
	if (pos < e)
		memcpy(t->buf + pos, data + (pos - s), e - pos);
	return overlap;
}

static uint8_t *build_datagram(struct frag_tracker *t, uint32_t *out_len)
{
	uint32_t n = t->hdr_len + t->total;
	uint8_t *out = malloc(n);
	if (!out)
		return NULL;
	memcpy(out, t->hdr, t->hdr_len);
	memcpy(out + t->hdr_len, t->buf, t->total);
	if (t->key.ip_ver == 4) {
		uint16_t c;
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
		out[6] &= 0x40;         /* keep DF, clear MF and the offset */
		out[7] = 0;
		out[10] = out[11] = 0;
		c = (uint16_t)~csum_fold(csum_add(0, out, t->hdr_len));
		memcpy(out + 10, &c, 2);
	} else {
		uint32_t plen = n - 40;
		out[4] = (uint8_t)(plen >> 8);
		out[5] = (uint8_t)plen;
		out[t->nh_off] = t->nh;
	}
	*out_len = n;
	return out;
}

enum defrag_status defrag_insert(struct defrag *d, const struct defrag_frag *f,
				 struct defrag_result *res)
{
	struct frag_key k;
	struct frag_tracker *t;
	struct frag_range merged[DEFRAG_MAX_PIECES + 1];
	uint32_t s = f->off, e, h, nm;
	/* payload bytes the datagram may carry after its header */
	uint32_t room = f->ip_ver == 4 ? FRAG_MAX_DATAGRAM - f->hdr_len
				       : FRAG_MAX_DATAGRAM - (f->hdr_len - 40);

	memset(res, 0, sizeof(*res));
	res->dropped = defrag_expire(d, f->now);

	if (f->hdr_len > FRAG_MAX_DATAGRAM || f->off > room || f->len > room - f->off)
		return DEFRAG_TOO_LARGE;
	e = s + f->len;

	memset(&k, 0, sizeof(k));
	k.src = *f->src;
	k.dst = *f->dst;
	k.id = f->id;
	memcpy(k.vlan, f->vlan, sizeof(k.vlan));
	k.ip_ver = f->ip_ver;
	k.proto = f->ip_ver == 4 ? f->proto : 0;
	k.depth = f->depth;
	h = key_hash(d, &k);

	for (t = d->buckets[h & d->mask]; t; t = t->hnext)
		if (t->hash == h && !memcmp(&t->key, &k, sizeof(k)))
			break;
	if (!t) {
		if (!mem_reserve(d, sizeof(*t)))
			goto refuse_mem;
		t = calloc(1, sizeof(*t));
		if (!t)
			goto refuse_mem;
		t->key = k;
		t->hash = h;
		t->expire = f->now + d->timeout;
		t->hnext = d->buckets[h & d->mask];
		d->buckets[h & d->mask] = t;
		list_push(&d->live, t);
		d->mem += sizeof(*t);
		d->count++;
	}
	/* the end of the datagram: the first claim wins, later data beyond it
	 * or a contradicting claim is an overlap */
	bool have_last = t->have_last;
	uint32_t total = t->total;
	if (have_last && e > total) {
		res->flags |= DEFRAG_F_OVERLAP;
		e = s < total ? total : s;
	}
	if (!f->more && !have_last) {
		uint32_t held_end = t->nranges ? t->r[t->nranges - 1].e : 0;
		if (held_end > e) {
			res->flags |= DEFRAG_F_OVERLAP;
		} else {
			have_last = true;
			total = e;
		}
	} else if (!f->more && e != total) {
		res->flags |= DEFRAG_F_OVERLAP;
	}

	/* reserve everything first, so a refusal leaves the tracker as it was */
	nm = t->nranges;
	if (e > s) {
		nm = ranges_merge(t->r, t->nranges, s, e, merged);
		if (nm > DEFRAG_MAX_PIECES) {
			res->flags |= DEFRAG_F_IGNORED;
			goto refuse;
		}
	}
	bool take_hdr = s == 0 && !t->hdr;
	uint32_t ncap = t->cap;
	if (e > s && e > ncap) {
		ncap = ncap ? ncap : 2048;
		while (ncap < e)
			ncap *= 2;
		if (ncap > room)
			ncap = room > e ? room : e;
	}
	if (!mem_reserve(d, (uint64_t)(ncap - t->cap) + (take_hdr ? f->hdr_len : 0)))
		goto refuse_mem;
	if (ncap > t->cap) {
		uint8_t *nb = realloc(t->buf, ncap);
		if (!nb)
			goto refuse_mem;
		d->mem += ncap - t->cap;
		t->buf = nb;
		t->cap = ncap;
	}
	if (take_hdr) {
		t->hdr = malloc(f->hdr_len);
		if (!t->hdr)
			goto refuse_mem;
		memcpy(t->hdr, f->hdr, f->hdr_len);
		t->hdr_len = f->hdr_len;
		t->nh_off = f->nh_off;
		t->nh = f->proto;
		d->mem += f->hdr_len;
	}
	if (e > s) {
		if (fill_gaps(t, s, e, f->data))
			res->flags |= DEFRAG_F_OVERLAP;
		memcpy(t->r, merged, nm * sizeof(merged[0]));
		t->nranges = nm;
	}
	t->have_last = have_last;
	t->total = total;
	t->nfrags++;

	if (!t->have_last || !t->hdr || t->nranges != 1 || t->r[0].s != 0 ||
	    t->r[0].e != t->total)
		return DEFRAG_HELD;

	/* complete; the header of the first fragment may be longer than the
	 * one this fragment was checked with */
	if ((t->key.ip_ver == 4 && t->hdr_len + t->total > FRAG_MAX_DATAGRAM) ||
	    (t->key.ip_ver == 6 && t->hdr_len - 40 + t->total > FRAG_MAX_DATAGRAM)) {
		res->dropped += tracker_free(d, t);
		return DEFRAG_TOO_LARGE;
	}
	res->out = build_datagram(t, &res->out_len);
	if (!res->out) {
		res->flags |= DEFRAG_F_MEMCAP;
		res->dropped += tracker_free(d, t);
		return DEFRAG_REFUSED;
	}
	t->nfrags = 0;
	tracker_free(d, t);
	return DEFRAG_DONE;

refuse_mem:
	res->flags |= DEFRAG_F_MEMCAP;
refuse:
	res->dropped++;
	/* a tracker created for this fragment alone would never complete */
	if (t && !t->nfrags)
		tracker_free(d, t);
	return DEFRAG_REFUSED;
}
