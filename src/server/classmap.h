/*
 * classmap.h - from an alert's category text back to its classtype name.
 *
 * A Suricata alert in EVE carries the classtype's description
 * ("A Network Trojan was detected"), not its name ("trojan-activity"),
 * and the name is what the console and notifications explain an alert
 * by.  The server reads the same classification.config the sensors'
 * rules come with (incident.classification-file) and maps one to the
 * other.  A category it does not know gets no explanation key (a general
 * text), never a guess.
 */
#ifndef OT_CLASSMAP_H
#define OT_CLASSMAP_H

#include <stddef.h>

struct classmap;

/*
 * Read "config classification: name,description,priority" lines of text
 * (len bytes, need not end with a NUL); other "config ..." lines,
 * comments and blank lines are passed over; a line that cannot be read is
 * logged as origin:line and skipped.  NULL only when out of memory.
 */
struct classmap *classmap_parse(const char *text, size_t len, const char *origin);
/* classmap_parse of the file at path; NULL when it cannot be read (logged). */
struct classmap *classmap_load(const char *path);
void classmap_free(struct classmap *m);

/* The classtype name of category, or NULL when it is not in m (or m is
 * NULL). */
const char *classmap_kind(const struct classmap *m, const char *category);
size_t classmap_count(const struct classmap *m);

#endif
