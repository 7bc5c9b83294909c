/*
 * detect-addrindex.c - rules indexed by a short list of addresses (see
 * detect-addrindex.h).
 *
 * Addresses are compared as numbers: (IP version, high 64 bits, low 64
 * bits), an IPv4 address being its 32 bits in the low part.  A lookup
 * starts at the first range whose start is at least the address minus
 * ADDR_INDEX_SPAN - 1 (no indexed range starting earlier can reach the
 * address) and reads on while ranges start at or before it.
 */
#include "detect-addrindex.h"

#include <stdlib.h>
#include <string.h>

struct akey {
	uint8_t ver;
	uint64_t hi, lo;
};

struct addr_index_entry {
	struct akey lo, hi;
	uint32_t id;
};

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static struct akey key_of(const struct ot_addr *a, int ver)
{
	struct akey k = { (uint8_t)ver, 0, 0 };
	if (ver == 4) {
		k.lo = (uint64_t)a->b[0] << 24 | (uint64_t)a->b[1] << 16 | (uint64_t)a->b[2] << 8 |
			a->b[3];
	} else {
		k.hi = be64(a->b);
		k.lo = be64(a->b + 8);
	}
	return k;
}

static int key_cmp(const struct akey *a, const struct akey *b)
{
	if (a->ver != b->ver)
		return a->ver < b->ver ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

/* Addresses in [lo, hi], saturated at ADDR_INDEX_SPAN + 1. */
static uint64_t span(const struct akey *lo, const struct akey *hi)
{
	if (hi->hi != lo->hi || hi->lo < lo->lo || hi->lo - lo->lo >= ADDR_INDEX_SPAN)
		return ADDR_INDEX_SPAN + 1;
	return hi->lo - lo->lo + 1;
}

bool addr_index_fits(const struct addr_set *s)
{
	if (s->any || s->nout || !s->nin)
		return false;
	for (size_t i = 0; i < s->nin; i++) {
		struct akey lo = key_of(&s->in[i].lo, s->in[i].ip_ver);
		struct akey hi = key_of(&s->in[i].hi, s->in[i].ip_ver);
		if (span(&lo, &hi) > ADDR_INDEX_SPAN)
			return false;
	}
	return true;
}

int addr_index_add(struct addr_index *ai, const struct addr_set *s, uint32_t id)
{
	for (size_t i = 0; i < s->nin; i++) {
		if (ai->n == ai->cap) {
			size_t nc = ai->cap ? ai->cap * 2 : 64;
			struct addr_index_entry *e = realloc(ai->e, nc * sizeof(*e));
			if (!e)
				return -1;
			ai->e = e;
			ai->cap = nc;
		}
		ai->e[ai->n++] = (struct addr_index_entry){
			key_of(&s->in[i].lo, s->in[i].ip_ver), key_of(&s->in[i].hi, s->in[i].ip_ver), id,
		};
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct addr_index_entry *)a)->lo,
		       &((const struct addr_index_entry *)b)->lo);
}

void addr_index_build(struct addr_index *ai)
{
	if (ai->n > 1)
		qsort(ai->e, ai->n, sizeof(*ai->e), entry_cmp);
}

void addr_index_free(struct addr_index *ai)
{
	free(ai->e);
	memset(ai, 0, sizeof(*ai));
}

void addr_index_lookup(const struct addr_index *ai, const struct ot_addr *a, int ip_ver,
		       uint32_t *out, size_t *n, size_t max)
{
	if (!ai->n)
		return;
	struct akey k = key_of(a, ip_ver), from = k;
	/* the earliest start of a range that can hold a */
	if (from.lo >= ADDR_INDEX_SPAN - 1)
		from.lo -= ADDR_INDEX_SPAN - 1;
	else if (from.hi)
		from.hi--, from.lo -= ADDR_INDEX_SPAN - 1;
	else
		from.lo = 0;
	size_t lo = 0, hi = ai->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (key_cmp(&ai->e[mid].lo, &from) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ai->n && key_cmp(&ai->e[i].lo, &k) <= 0; i++)
		if (key_cmp(&k, &ai->e[i].hi) <= 0 && *n < max)
			out[(*n)++] = ai->e[i].id;
}
