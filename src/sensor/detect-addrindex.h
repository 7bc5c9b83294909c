/*
 * detect-addrindex.h - rules indexed by the addresses of one side.
 *
 * IP reputation rules (tor.rules, botcc.rules, drop.rules...) have no
 * content to prefilter on and any ports, but name a list of addresses or
 * networks on one side: each would otherwise be checked against every
 * packet of its protocol.  An index cuts the address space at every start
 * and end of its rules' ranges into segments, each with the rules whose
 * ranges cover it; the rules a packet's address can match are those of
 * its segment, found by one binary search.
 *
 * Only sets that name addresses (not any, nothing excluded) covering at
 * most ADDR_INDEX_SPAN addresses are indexed: a set as wide as the home
 * networks would be a candidate for most packets anyway.  When the rules'
 * ranges nest so much that the segments would hold more than a few times
 * the ranges given, the index stays a plain list, read in full (correct,
 * only slower), so its memory never grows beyond the rules' own.
 */
#ifndef OT_DETECT_ADDRINDEX_H
#define OT_DETECT_ADDRINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define ADDR_INDEX_SPAN (1u << 24)      /* addresses a set may cover: a /8 */

struct addr_index_entry;
struct addr_index_seg;

struct addr_index {
	struct addr_index_entry *e; /* the ranges added */
	size_t n, cap;
	struct addr_index_seg *seg; /* once built: segments, sorted; NULL: read e in full */
	size_t nseg;
	uint32_t *ids;              /* the rules of segment i: ids[seg[i].first .. seg[i + 1].first) */
};

/* Addresses s covers when it can be indexed, else UINT64_MAX. */
uint64_t addr_index_span(const struct addr_set *s);
/* Add every range of s for rule id.  0, or -1 when out of memory. */
int addr_index_add(struct addr_index *ai, const struct addr_set *s, uint32_t id);
/* Make the segments of what was added: once, before lookups (without
 * memory for them, the index stays a plain list). */
void addr_index_build(struct addr_index *ai);
void addr_index_free(struct addr_index *ai);

/* Append to out[*n ...] (up to max) the ids whose ranges hold a. */
void addr_index_lookup(const struct addr_index *ai, const struct ot_addr *a, int ip_ver,
		       uint32_t *out, size_t *n, size_t max);

#endif
