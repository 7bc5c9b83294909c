/*
 * detect-load.h - everything detection reads from files, put together as
 * the configuration and the command line ask: address and port variables,
 * classification.config and reference.config, IP reputation (iprep.h) with
 * its built-in signatures, and the rule files.  The sensor does this once
 * at start-up and again on each reload (detect-reload.h).
 */
#ifndef OT_DETECT_LOAD_H
#define OT_DETECT_LOAD_H

#include <stdbool.h>

struct ot_config;
struct ruleset;

/* The rule files of the command line. */
struct detect_sources {
	const char *const *rules_S; /* -S: instead of rule-files */
	int nrules_S;
	const char *const *rules_s; /* -s: besides rule-files */
	int nrules_s;
	bool quiet;                 /* do not log each rejected rule (--dump-rejected) */
};

/*
 * Load what src and cfg name.  NULL with *none set when there is nothing to
 * load (no rule file, no reputation); NULL otherwise on a problem that is
 * not about one rule or one line (a file or a variable that cannot be
 * used; logged).  *broken is set to the number of rule files that hold
 * rules of which none could be used (each logged): at start-up the sensor
 * goes on without them, a reload refuses them.
 */
struct ruleset *detect_load(const struct detect_sources *src, const struct ot_config *cfg,
			    bool *none, int *broken);

/* Built-in reputation signatures: gid 1, sids from DETECT_IPREP_SID to
 * DETECT_IPREP_SID + 25599: DETECT_IPREP_SID + 100 * category id + 10 *
 * side (1 from, 2 to the listed address) + severity (1 to 3). */
#define DETECT_IPREP_SID 9100000u

#endif
