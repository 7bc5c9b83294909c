/*
 * detect-xbits.c - xbits: named flags kept on a host or a pair of hosts
 * for a while, so one rule can mark an address (a scanner, an infected PC)
 * and later rules look at any flow from or to it.
 *
 * The bits live in one fixed table per engine: open addressing on a hash
 * of (name, addresses), each entry with the second it expires.  A full
 * probe window makes room by dropping the entry that expires first, so
 * memory never grows and an address flood only shortens how long bits
 * are remembered.
 */
#include "detect-xbits.h"

#include <stdlib.h>
#include <string.h>

#define XB_SLOTS 16384          /* entries (a power of two) */
#define XB_PROBE 8

struct xb_entry {
	uint64_t name;              /* hash of the name; 0 = free */
	struct ot_addr a, b;
	uint8_t ip_ver;
	uint64_t expire;            /* seconds */
};

struct xbits_table {
	struct xb_entry e[XB_SLOTS];
};

struct xbits_table *xbits_new(void)
{
	return calloc(1, sizeof(struct xbits_table));
}

void xbits_free(struct xbits_table *t)
{
	free(t);
}

uint64_t xbits_name(const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 1099511628211ull;
	return h ? h : 1;
}

/* The addresses the bit is kept on: one host, or the pair in one order. */
static void key(const struct xbits_key *k, struct ot_addr *a, struct ot_addr *b)
{
	memset(b, 0, sizeof(*b));
	*a = k->src;
	if (k->track == XB_DST)
		*a = k->dst;
	else if (k->track == XB_PAIR) {
		bool swap = memcmp(&k->src, &k->dst, sizeof(k->src)) > 0;
		*a = swap ? k->dst : k->src;
		*b = swap ? k->src : k->dst;
	}
}

static size_t slot0(uint64_t name, const struct ot_addr *a, const struct ot_addr *b)
{
	uint64_t h = name;
	for (size_t i = 0; i < sizeof(a->b); i++)
		h = (h ^ a->b[i] ^ (uint64_t)b->b[i] << 8) * 1099511628211ull;
	return (size_t)(h ^ h >> 29) & (XB_SLOTS - 1);
}

static struct xb_entry *find(struct xbits_table *t, uint64_t name, const struct xbits_key *k,
			     uint64_t now, bool make)
{
	struct ot_addr a, b;
	key(k, &a, &b);
	size_t s = slot0(name, &a, &b);
	struct xb_entry *room = NULL;
	bool room_live = true;
	for (int i = 0; i < XB_PROBE; i++) {
		struct xb_entry *e = &t->e[(s + (size_t)i) & (XB_SLOTS - 1)];
		bool live = e->name && e->expire > now;
		if (live && e->name == name && e->ip_ver == k->ip_ver &&
		    !memcmp(&e->a, &a, sizeof(a)) && !memcmp(&e->b, &b, sizeof(b)))
			return e;
		/* room: a free or expired entry, else the one expiring first */
		if (!live && room_live) {
			room = e;
			room_live = false;
		} else if (live && room_live && (!room || e->expire < room->expire)) {
			room = e;
		}
	}
	if (!make)
		return NULL;
	memset(room, 0, sizeof(*room));
	room->name = name;
	room->a = a;
	room->b = b;
	room->ip_ver = k->ip_ver;
	return room;
}

bool xbits_isset(struct xbits_table *t, uint64_t name, const struct xbits_key *k, uint64_t now)
{
	return t && find(t, name, k, now, false);
}

void xbits_apply(struct xbits_table *t, uint64_t name, const struct xbits_key *k, int op,
		 uint32_t expire, uint64_t now)
{
	if (!t)
		return;
	struct xb_entry *e = find(t, name, k, now, false);
	if (op == XB_UNSET || (op == XB_TOGGLE && e)) {
		if (e)
			e->name = 0;
		return;
	}
	if (!e)
		e = find(t, name, k, now, true);
	e->expire = now + expire;
}
