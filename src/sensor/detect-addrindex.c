/*
 * detect-addrindex.c - rules indexed by the addresses of one side (see
 * detect-addrindex.h).
 *
 * Addresses are compared as numbers: (IP version, high 64 bits, low 64
 * bits), an IPv4 address being its 32 bits in the low part.  The address
 * after the last one of a version is the first of the next version
 * number, so a range's end + 1 always exists and sorts right.
 *
 * Segments are made by a sweep over the ranges' starts and ends in order,
 * keeping the ranges open at each point: segment i runs from boundary i to
 * boundary i + 1 and holds the rules of the ranges open there.
 */
#include "detect-addrindex.h"

#include <stdlib.h>
#include <string.h>

#define SEG_FACTOR 8            /* segments' rules, at most this many per range given ... */
#define SEG_SLACK 65536         /* ... plus this */

struct akey {
	uint8_t ver;
	uint64_t hi, lo;
};

struct addr_index_entry {
	struct akey lo, end;        /* [lo, end) */
	uint32_t id;
};

struct addr_index_seg {
	struct akey start;
	size_t first;               /* into ids */
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

/* The address after k. */
static struct akey next(struct akey k)
{
	uint64_t max_lo = k.ver == 4 ? 0xffffffffu : UINT64_MAX;
	if (k.lo != max_lo) {
		k.lo++;
	} else if (k.ver != 4 && k.hi != UINT64_MAX) {
		k.hi++;
		k.lo = 0;
	} else {
		k = (struct akey){ (uint8_t)(k.ver + 1), 0, 0 };
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

uint64_t addr_index_span(const struct addr_set *s)
{
	if (s->any || s->nout || !s->nin)
		return UINT64_MAX;
	uint64_t total = 0;
	for (size_t i = 0; i < s->nin; i++) {
		struct akey lo = key_of(&s->in[i].lo, s->in[i].ip_ver);
		struct akey hi = key_of(&s->in[i].hi, s->in[i].ip_ver);
		if (hi.hi != lo.hi || hi.lo < lo.lo || hi.lo - lo.lo >= ADDR_INDEX_SPAN)
			return UINT64_MAX;
		total += hi.lo - lo.lo + 1;
		if (total > ADDR_INDEX_SPAN)
			return UINT64_MAX;
	}
	return total;
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
		struct addr_index_entry *e = &ai->e[ai->n++];
		e->lo = key_of(&s->in[i].lo, s->in[i].ip_ver);
		e->end = next(key_of(&s->in[i].hi, s->in[i].ip_ver));
		e->id = id;
	}
	return 0;
}

static int key_qcmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

static int entry_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct addr_index_entry *)a)->lo,
		       &((const struct addr_index_entry *)b)->lo);
}

void addr_index_build(struct addr_index *ai)
{
	if (!ai->n)
		return;
	qsort(ai->e, ai->n, sizeof(*ai->e), entry_cmp);
	struct akey *bounds = malloc(2 * ai->n * sizeof(*bounds));
	struct addr_index_entry **open = malloc(ai->n * sizeof(*open));
	size_t nb = 0, u = 0, nopen = 0, next_e = 0, nids = 0, capids = ai->n, maxids;
	maxids = ai->n * SEG_FACTOR + SEG_SLACK;
	ai->seg = NULL;
	ai->ids = malloc(capids * sizeof(*ai->ids));
	if (!bounds || !open || !ai->ids)
		goto fail;
	for (size_t i = 0; i < ai->n; i++) {
		bounds[nb++] = ai->e[i].lo;
		bounds[nb++] = ai->e[i].end;
	}
	qsort(bounds, nb, sizeof(*bounds), key_qcmp);
	for (size_t i = 0; i < nb; i++)
		if (!u || key_cmp(&bounds[i], &bounds[u - 1]))
			bounds[u++] = bounds[i];
	ai->seg = malloc(u * sizeof(*ai->seg));
	if (!ai->seg)
		goto fail;
	for (size_t b = 0; b < u; b++) {
		/* the ranges open at bounds[b]: those ended are dropped, those starting added */
		size_t k = 0;
		for (size_t i = 0; i < nopen; i++)
			if (key_cmp(&open[i]->end, &bounds[b]) > 0)
				open[k++] = open[i];
		nopen = k;
		while (next_e < ai->n && !key_cmp(&ai->e[next_e].lo, &bounds[b]))
			open[nopen++] = &ai->e[next_e++];
		if (nids + nopen > maxids)
			goto fail;      /* too nested: a plain list */
		if (nids + nopen > capids) {
			size_t nc = capids * 2 > nids + nopen ? capids * 2 : nids + nopen;
			uint32_t *ids = realloc(ai->ids, nc * sizeof(*ids));
			if (!ids)
				goto fail;
			ai->ids = ids;
			capids = nc;
		}
		ai->seg[b] = (struct addr_index_seg){ bounds[b], nids };
		for (size_t i = 0; i < nopen; i++)
			ai->ids[nids++] = open[i]->id;
	}
	ai->nseg = u;
	free(bounds);
	free(open);
	return;
fail:
	free(bounds);
	free(open);
	free(ai->seg);
	free(ai->ids);
	ai->seg = NULL;
	ai->ids = NULL;
	ai->nseg = 0;
}

void addr_index_free(struct addr_index *ai)
{
	free(ai->e);
	free(ai->seg);
	free(ai->ids);
	memset(ai, 0, sizeof(*ai));
}

void addr_index_lookup(const struct addr_index *ai, const struct ot_addr *a, int ip_ver,
		       uint32_t *out, size_t *n, size_t max)
{
	struct akey k = key_of(a, ip_ver);
	if (!ai->seg) {
		for (size_t i = 0; i < ai->n; i++)
			if (key_cmp(&ai->e[i].lo, &k) <= 0 && key_cmp(&k, &ai->e[i].end) < 0 &&
			    *n < max)
				out[(*n)++] = ai->e[i].id;
		return;
	}
	/* the last segment starting at or before a */
	size_t lo = 0, hi = ai->nseg;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (key_cmp(&ai->seg[mid].start, &k) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return;
	size_t from = ai->seg[lo - 1].first;
	size_t to = lo < ai->nseg ? ai->seg[lo].first : from;
	for (size_t i = from; i < to && *n < max; i++)
		out[(*n)++] = ai->ids[i];
}
