/*
 * detect-xbits.h - flags on hosts and host pairs for the xbits keyword
 * (detect-xbits.c).
 */
#ifndef OT_DETECT_XBITS_H
#define OT_DETECT_XBITS_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

enum { XB_SRC = 0, XB_DST, XB_PAIR };           /* track ip_src, ip_dst, ip_pair */
enum { XB_SET = 0, XB_UNSET, XB_TOGGLE };

/* Where a bit is kept: the packet's addresses and the rule's track. */
struct xbits_key {
	struct ot_addr src, dst;
	uint8_t ip_ver;
	uint8_t track;
};

struct xbits_table;

struct xbits_table *xbits_new(void);
void xbits_free(struct xbits_table *t);
/* The table's key for a bit name. */
uint64_t xbits_name(const char *name);
/* Is the bit set and not expired at now (seconds)? */
bool xbits_isset(struct xbits_table *t, uint64_t name, const struct xbits_key *k, uint64_t now);
/* Set (for expire seconds from now), unset or toggle a bit. */
void xbits_apply(struct xbits_table *t, uint64_t name, const struct xbits_key *k, int op,
		 uint32_t expire, uint64_t now);

#endif
