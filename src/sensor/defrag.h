/*
 * defrag.h - IPv4 and IPv6 fragment reassembly.
 *
 * Fragments are grouped by (IP version, source, destination, id, protocol
 * for IPv4, VLAN ids, tunnel depth).  Overlaps are resolved "first wins":
 * bytes already held are never replaced by a later fragment, whatever its
 * offset (Suricata's default "bsd" policy differs in corner cases: it lets
 * a fragment that starts earlier than the one it overlaps win).  Every
 * overlap is reported.
 *
 * Memory is bounded by the memcap given at creation: trackers and the bytes
 * they hold are counted, a fragment that does not fit is refused (reported,
 * not held).  A datagram may be at most 64 KiB; a datagram may be held in
 * at most DEFRAG_MAX_PIECES disjoint byte ranges.  A datagram not complete
 * within the timeout (seconds, from its first fragment) is given up.  A
 * completed datagram is forgotten at once: a later fragment with the same
 * key starts a new one.
 */
#ifndef OT_DEFRAG_H
#define OT_DEFRAG_H

#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "packet.h"

#define DEFRAG_MAX_PIECES 64

struct defrag;

struct defrag_frag {
	uint8_t ip_ver;
	uint8_t proto;              /* v4: protocol; v6: next header of the fragment header */
	uint8_t depth;
	uint16_t vlan[PKT_MAX_VLAN];
	const struct ot_addr *src, *dst;
	uint32_t id;
	const uint8_t *hdr;         /* v4: the IP header; v6: IPv6 header and the
	                             * extension headers before the fragment header */
	uint32_t hdr_len;
	uint32_t nh_off;            /* v6: offset in hdr of the next-header byte that
	                             * names the fragment header */
	uint32_t off;               /* fragment offset in bytes */
	bool more;                  /* more fragments follow */
	const uint8_t *data;        /* the fragment's payload */
	uint32_t len;
	time_t now;
};

enum defrag_status {
	DEFRAG_HELD = 0,            /* kept; the datagram is not complete yet */
	DEFRAG_DONE = 1,            /* complete: out/out_len hold the datagram */
	DEFRAG_REFUSED = 2,         /* not kept: see flags */
	DEFRAG_TOO_LARGE = -1,      /* would make a datagram beyond 64 KiB */
};

#define DEFRAG_F_OVERLAP 0x01   /* overlapped bytes already held */
#define DEFRAG_F_IGNORED 0x02   /* refused: the datagram has too many pieces */
#define DEFRAG_F_MEMCAP 0x04    /* refused for lack of memory */

struct defrag_result {
	unsigned flags;
	uint32_t dropped;           /* fragments given up during this call (refused,
	                             * or held by datagrams that timed out) */
	uint8_t *out;               /* DEFRAG_DONE: malloc'd IP packet, the caller frees */
	uint32_t out_len;
};

struct defrag *defrag_new(uint64_t memcap, uint32_t timeout);
void defrag_free(struct defrag *d);

/* Add one fragment (copied; f's buffers are not kept). */
enum defrag_status defrag_insert(struct defrag *d, const struct defrag_frag *f,
				 struct defrag_result *res);

/* Give up datagrams whose timeout passed at `now`; returns the number of
 * fragments they held. */
uint32_t defrag_expire(struct defrag *d, time_t now);

/* Bytes accounted against the memcap, and trackers alive. */
uint64_t defrag_mem(const struct defrag *d);
uint32_t defrag_trackers(const struct defrag *d);

#endif
