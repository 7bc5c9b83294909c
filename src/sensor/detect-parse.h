/*
 * detect-parse.h - loading rule files into a ruleset: the public face of
 * the rule parser (detect-parse.c), of the variables (detect-vars.c), of the
 * address and port expressions (detect-addr.c) and of classification.config
 * and reference.config (detect-classification.c).
 *
 * A rule that cannot be used is rejected alone: it is reported once as
 * "FILE:LINE: sid N: keyword 'X': reason" and recorded in the ruleset, and
 * loading goes on with the next line.
 */
#ifndef OT_DETECT_PARSE_H
#define OT_DETECT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "detect.h"

/* ---- variables ---- */

struct detect_vars *detect_vars_new(void);     /* with Suricata's defaults */
void detect_vars_free(struct detect_vars *v);
/* Set (or add) a variable; a new name ending in _PORTS/_PORT is a port
 * group, any other an address group.  "$" before the name is optional. */
int detect_vars_set(struct detect_vars *v, const char *name, const char *value);
int detect_vars_set_kind(struct detect_vars *v, const char *name, const char *value,
			 bool is_port);
const char *detect_vars_get(const struct detect_vars *v, const char *name, bool *is_port);
/* Parse every variable; each problem is logged; returns how many. */
int detect_vars_check(const struct detect_vars *v);

/* ---- addresses and ports ---- */

int addr_set_parse(struct addr_set *s, const char *expr, const struct detect_vars *v,
		   char *err, size_t errlen);
int port_set_parse(struct port_set *s, const char *expr, const struct detect_vars *v,
		   char *err, size_t errlen);
/* One address item (192.0.2.1, 10.0.0.0/8, 10.0.0.0/255.0.0.0, 2001:db8::/32,
 * a-b) of len bytes: 0, or -1 with a message in err. */
int addr_range_parse(const char *s, size_t len, struct addr_range *r, char *err, size_t errlen);

/* ---- classification.config and reference.config ---- */

struct detect_classes *detect_classes_new(void);
void detect_classes_free(struct detect_classes *c);
/* Read "config classification: name,description,priority" lines; problems
 * are logged with file and line.  Number of problems, -1 if unreadable. */
int detect_classes_load(struct detect_classes *c, const char *path);
/* Read "config reference: name url" lines; once read, reference: keys of
 * rules must be one of them.  Number of problems, -1 if unreadable. */
int detect_references_load(struct detect_classes *c, const char *path);
/* Declare (or redefine) one classtype, as a classification.config line
 * would; 0, or -1 when the table is full or memory ran out.  It does not
 * count as having read a classification.config. */
int detect_classes_add(struct detect_classes *c, const char *name, const char *desc, int prio);
/* Priority of a classtype, -1 when unknown. */
int detect_class_priority(const struct detect_classes *c, const char *name);
const char *detect_class_desc(const struct detect_classes *c, const char *name);
bool detect_classes_loaded(const struct detect_classes *c);
/* true when no reference.config was read or key is in it */
bool detect_reference_known(const struct detect_classes *c, const char *key);
size_t detect_classes_count(const struct detect_classes *c);

/* ---- rulesets ---- */

struct rule_reject {
	char *file;
	unsigned line;
	uint32_t sid;               /* 0 when the rule has none (or it is unreadable) */
	char *keyword;              /* "" for header problems */
	char *reason;
};

struct ruleset {
	struct rule **rules;
	size_t nrules, cap;
	struct rule_reject *rej;
	size_t nrej, caprej;
	unsigned files;             /* rule files read */
	struct detect_classes *classes;     /* owned */
	struct iprep *iprep;        /* owned: IP reputation for iprep: (load it first), or NULL */
	/* (gid, sid) -> rule index, for duplicates: open addressing */
	uint64_t *sidkeys;
	uint32_t *sidvals;
	size_t sidcap;
	bool quiet;                 /* do not log each rejection (tests, fuzzing) */
	struct detect_thrcfg *thrcfg;   /* threshold.config, owned; NULL none */
};

/* Strip blanks (and a trailing CR/LF) from both ends of s, in place. */
char *detect_trim(char *s);

/* "type T, track by_X, count N, seconds S" (filter: detection_filter,
 * without type) into out; -1 with a message in err. */
int detect_threshold_parse(const char *value, bool filter, struct detect_threshold *out,
			   char *err, size_t errlen);

/* ---- threshold.config (detect-threshold.c) ---- */

struct detect_thrcfg;
/* Read a threshold.config into rs (entries add up over calls); bad lines
 * are reported with file:line and skipped.  -1 when it cannot be read. */
int detect_thrcfg_load(struct ruleset *rs, const char *path, const struct detect_vars *vars);
/* The same from an open file, named path in messages. */
int detect_thrcfg_read(struct ruleset *rs, FILE *f, const char *path,
		       const struct detect_vars *vars);
void detect_thrcfg_free(struct detect_thrcfg *c);
/* The threshold / event_filter for rule (gid, sid), the most specific; NULL none. */
const struct detect_threshold *detect_thrcfg_threshold(const struct detect_thrcfg *c,
						       uint32_t gid, uint32_t sid);
/* Is some suppress entry about rule (gid, sid)? */
bool detect_thrcfg_suppresses(const struct detect_thrcfg *c, uint32_t gid, uint32_t sid);
/* Does one suppress the alert of rule (gid, sid) from src to dst? */
bool detect_thrcfg_suppressed(const struct detect_thrcfg *c, uint32_t gid, uint32_t sid,
			      const struct ot_addr *src, const struct ot_addr *dst, int ip_ver);
/* Split buf in place at each sep into at most max trimmed pieces in tok[];
 * the number of pieces, or -1 when there are more than max. */
int detect_split(char *buf, char sep, char **tok, int max);

struct ruleset *ruleset_new(void);
void ruleset_free(struct ruleset *rs);
/* Load one rule file.  0, or -1 when the file cannot be read (logged). */
int ruleset_load_file(struct ruleset *rs, const char *path, const struct detect_vars *vars);
/* Load rules from text in memory; name and first line number are for messages. */
int ruleset_load_buffer(struct ruleset *rs, const char *buf, size_t len, const char *name,
			const struct detect_vars *vars);
/* "file:line sid N keyword 'X': reason", one a line. */
void ruleset_dump_rejected(const struct ruleset *rs, FILE *out);
/* Free one rule (and its matches). */
void rule_free(struct rule *r);
/* Number of matches on the rule's lists (all buffers + pkt + post). */
size_t rule_match_count(const struct rule *r);

#endif
