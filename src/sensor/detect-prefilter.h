/*
 * detect-prefilter.h - the multi-pattern prefilter of the rule engine.
 *
 * Each rule that can be matched has, in the buffers it looks into, one
 * content that any match must contain: its fast pattern, picked as
 * Suricata picks it (pf_fast_pattern()).  The engine hands every fast
 * pattern to a builder, in numbered databases (one per buffer it scans:
 * the payload of each IP-protocol group, each HTTP buffer of each side);
 * the builder compiles them with vectorscan (Hyperscan's API) into one
 * database each, or loads them from an on-disk cache.  Matching a buffer
 * is then one scan of its database, which gives the rules whose fast
 * pattern is in it: the others cannot match and are not evaluated.
 *
 * The cache: each compiled database is serialised into a file of the cache
 * folder named by a SHA-256 of all that went into it (patterns, flags,
 * ids, the vectorscan version, the platform), so that a restart with the
 * same rules loads it instead of compiling.  A file is checked (its key
 * and a checksum of its content) before use; a corrupt or foreign one is
 * compiled again and rewritten.  Without a usable folder the databases are
 * compiled each time, with a warning.
 *
 * Scanning allocates nothing: the scratch space is made once, with the
 * databases.  A prefilter is used by one pipeline (thread) at a time.
 */
#ifndef OT_DETECT_PREFILTER_H
#define OT_DETECT_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"

/* A rule's fast pattern: the bytes any match holds in buffer buf. */
struct pf_pattern {
	const uint8_t *pat;         /* into the rule's content (chopped by fast_pattern:off,len) */
	uint16_t len;
	bool nocase;
	int buf;                    /* enum detect_buffer */
};

/*
 * The fast pattern of r, among the contents of its buffer lists: the one
 * marked fast_pattern, else (like Suricata) the non-negated content of
 * the buffer of highest priority (HTTP buffers before the payload and
 * http.method / http.stat_code / http.stat_msg), longest, most varied
 * (Suricata's pattern strength), in the buffer registered last, first in
 * the rule.  false when r has no usable one: no content, only negated
 * contents, or a negated fast_pattern content (such rules are always
 * evaluated).
 */
bool pf_fast_pattern(const struct rule *r, struct pf_pattern *fp);

/* What building did, for messages and tests. */
struct pf_stats {
	unsigned dbs;               /* databases made */
	unsigned compiled;          /* of those, compiled (not found in the cache) */
	unsigned cached;            /* loaded from the cache */
	unsigned rebuilt;           /* cache files that were corrupt or foreign, compiled again */
	unsigned refused;           /* patterns vectorscan refused (their rules always evaluated) */
	size_t patterns;            /* patterns in all databases */
	bool cache_ok;              /* the cache folder was usable */
};

struct pf_builder;
struct prefilter;

/* A builder for databases 0 .. ndbs-1; NULL when out of memory. */
struct pf_builder *pf_builder_new(unsigned ndbs);
/* Add fast pattern fp for id (a rule) to database db.  0, or -1 (memory). */
int pf_builder_add(struct pf_builder *b, unsigned db, uint32_t id, const struct pf_pattern *fp);
void pf_builder_free(struct pf_builder *b);

/*
 * Compile (or load from cache_dir, NULL or "" for none) every database of
 * b with patterns.  NULL when vectorscan cannot run here or memory ran out
 * (logged): the caller then evaluates every rule.  st may be NULL.
 */
struct prefilter *pf_build(const struct pf_builder *b, const char *cache_dir,
			   struct pf_stats *st);
void pf_free(struct prefilter *pf);

/* Is id's pattern in database db (false: no such database, or refused)? */
bool pf_accepted(const struct prefilter *pf, unsigned db, uint32_t id);
/* Does database db exist (has it patterns)? */
bool pf_has(const struct prefilter *pf, unsigned db);

/*
 * Scan buf with database db: the ids whose pattern occurs in it are
 * appended to out[*n ...] (each once, up to max), *n grows.  No allocation.
 */
void pf_scan(struct prefilter *pf, unsigned db, const uint8_t *buf, uint32_t len, uint32_t *out,
	     size_t *n, size_t max);

#endif
