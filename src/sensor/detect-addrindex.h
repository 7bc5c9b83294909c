/*
 * detect-addrindex.h - rules indexed by a short list of addresses.
 *
 * IP reputation rules (tor.rules, botcc.rules, ...) have no content to
 * prefilter on and any ports, but name a few single addresses or small
 * blocks on one side: each would otherwise be checked against every
 * packet of its protocol.  An index holds, for such rules, every range of
 * one side's address set, sorted; the rules a packet's address can match
 * are found by one binary search.
 *
 * Only sets made of small ranges (at most ADDR_INDEX_SPAN addresses each,
 * nothing excluded) are indexed, so that the ranges holding an address all
 * start in the ADDR_INDEX_SPAN addresses up to it: a lookup reads those,
 * and nothing in the index grows beyond the rules' own lists.
 */
#ifndef OT_DETECT_ADDRINDEX_H
#define OT_DETECT_ADDRINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define ADDR_INDEX_SPAN 256     /* addresses in one indexed range: a /24 or /120 */

struct addr_index_entry;

struct addr_index {
	struct addr_index_entry *e; /* sorted by first address once built */
	size_t n, cap;
};

/* Can s be indexed (not any, nothing excluded, only small ranges)? */
bool addr_index_fits(const struct addr_set *s);
/* Add every range of s for rule id.  0, or -1 when out of memory. */
int addr_index_add(struct addr_index *ai, const struct addr_set *s, uint32_t id);
/* Sort what was added: call once, before lookups. */
void addr_index_build(struct addr_index *ai);
void addr_index_free(struct addr_index *ai);

/* Append to out[*n ...] (up to max) the ids whose ranges hold a. */
void addr_index_lookup(const struct addr_index *ai, const struct ot_addr *a, int ip_ver,
		       uint32_t *out, size_t *n, size_t max);

#endif
