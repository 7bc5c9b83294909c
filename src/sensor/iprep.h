/*
 * iprep.h - IP reputation: which addresses are listed, in which categories,
 * with what score.
 *
 * Three kinds of files feed it:
 *  - a categories file, Suricata's "id,shortname,description" lines, which
 *    names the categories (ids 0 to 255);
 *  - Suricata reputation files, "address[/prefix],category-id,score" lines
 *    (score 1 to 127, 0 meaning "no data");
 *  - plain lists, one address, prefix (10.0.0.0/8, 2001:db8::/32) or range
 *    (a-b) a line, as Emerging Threats' compromised-ips.txt and most block
 *    lists are: every entry of a list goes into one category with one score,
 *    given by whoever loads the list.
 * '#' starts a comment in all three (';' too in plain lists), blank lines
 * are skipped, and a line that cannot be used is reported with file and
 * line and skipped: the rest loads.
 *
 * Once everything is loaded, iprep_build() turns the entries into one
 * sorted array of disjoint address ranges per IP version, each pointing at
 * the categories and scores of the addresses in it (where entries overlap,
 * an address keeps the highest score of each category).  A lookup is one
 * binary search: no allocation, no locking, and the tables are read-only
 * afterwards, so any thread may look up.
 */
#ifndef OT_IPREP_H
#define OT_IPREP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define IPREP_CATS 256          /* category ids 0 to 255 */
#define IPREP_SCORE_MAX 127
#define IPREP_NAME_MAX 32       /* longest category short name */

struct iprep;

enum iprep_format {
	IPREP_CATEGORIES,       /* id,shortname,description */
	IPREP_SURICATA,         /* address[/prefix],category-id,score */
	IPREP_LIST,             /* one address, prefix or range a line */
};

struct iprep *iprep_new(void);
void iprep_free(struct iprep *ip);

/*
 * Load one file of the given format.  For IPREP_LIST every entry goes into
 * category cat (an id from iprep_category_define) with score (1 to 127);
 * the others ignore cat and score.  Returns the number of lines that could
 * not be used (each reported as FILE:LINE, the first few in full), or -1
 * when the file cannot be read (reported).
 */
int iprep_load(struct iprep *ip, const char *path, enum iprep_format fmt, int cat,
	       unsigned score);
/* The same on text in memory; name stands for the file in messages. */
int iprep_load_buffer(struct iprep *ip, const char *buf, size_t len, const char *name,
		      enum iprep_format fmt, int cat, unsigned score);

/* The id of the category called name, defined when it is new (with the
 * lowest free id from 1; load the categories file first, so that its ids
 * stay as written); -1 when name is not a valid short name or no id is
 * left (reported). */
int iprep_category_define(struct iprep *ip, const char *name);
/* The id of the category called name, -1 when there is none. */
int iprep_category_find(const struct iprep *ip, const char *name);
/* Its short name and description ("" when none); NULL when id is not defined. */
const char *iprep_category_name(const struct iprep *ip, int id);
const char *iprep_category_desc(const struct iprep *ip, int id);
/* The scores entries gave to category id: bit s of seen[s / 64] per score s. */
void iprep_category_scores(const struct iprep *ip, int id, uint64_t seen[2]);

/* Build the lookup tables from what was loaded (once: entries cannot be
 * added afterwards).  0, or -1 when memory ran out.  Nothing is found
 * before. */
int iprep_build(struct iprep *ip);

/* Entries loaded (lines used), disjoint ranges after iprep_build, and the
 * bytes the lookup table takes. */
size_t iprep_entries(const struct iprep *ip);
size_t iprep_ranges(const struct iprep *ip);
size_t iprep_table_bytes(const struct iprep *ip);

/* The score of address a (IP version ip_ver) in category cat: 1 to 127,
 * 0 when it is not listed there. */
unsigned iprep_score(const struct iprep *ip, const struct ot_addr *a, int ip_ver, int cat);
/* Is a listed at all (in any category)? */
bool iprep_listed(const struct iprep *ip, const struct ot_addr *a, int ip_ver);

/* ---- the iprep rule keyword (detect-kw-iprep.c) ---- */

struct packet;
/* Does the packet hold for an iprep keyword's parsed value (sigmatch ctx)?
 * rep may be NULL (nothing listed). */
bool detect_iprep_match(const struct iprep *rep, const void *ctx, const struct packet *p);

#endif
