/*
 * config.h - one YAML configuration file per program, checked against a
 * declarative table of keys (name, type, default, range, documentation).
 *
 * Nested YAML mappings become dotted keys ("stream.reassembly.depth"); a YAML
 * sequence is a list value.  `--set key=value` overrides a key after the file
 * is read.  Every problem names where it is: "otasuke.yaml:12: ..." for the
 * file, "--set stream.depth=x: ..." for the command line.  A program's `-T`
 * loads everything and reports every problem, not just the first.
 *
 * Keys a program does not know: an error in the file (a typo must not pass
 * silently); with --set, the caller decides (the sensor accepts Suricata's
 * option spellings and warns about the ones it has no equivalent for).
 * A key given twice in one file is a warning, not an error: the later wins.
 */
#ifndef OT_CONFIG_H
#define OT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
	CFG_BOOL,     /* yes/no, true/false, on/off, 1/0 */
	CFG_UINT,     /* unsigned integer within [min, max] */
	CFG_SIZE,     /* bytes, with optional k/kb/m/mb/g/gb suffix, in [min, max] */
	CFG_STR,      /* any string */
	CFG_LIST,     /* a YAML sequence of strings, or one comma-separated string */
};

struct cfg_key {
	const char *key;        /* dotted name */
	enum cfg_type type;
	const char *def;        /* default, as text (NULL: unset) */
	uint64_t min, max;      /* CFG_UINT / CFG_SIZE bounds */
	const char *doc;        /* one line for --help and docs */
};

struct ot_config;

/* A configuration holding the defaults of keys[0..n).  The table is not
 * copied: it must outlive the configuration (a static table).  NULL if the
 * table itself is wrong (a bad default, a duplicate key; logged). */
struct ot_config *cfg_new(const struct cfg_key *keys, size_t n);
void cfg_free(struct ot_config *c);

/* Read a YAML file.  Returns the number of problems found (0 = clean), each
 * already logged as an error with file and line; -1 if it cannot be read. */
int cfg_load_file(struct ot_config *c, const char *path);
/* The same for YAML text in memory; name stands for the file in messages. */
int cfg_load_buffer(struct ot_config *c, const char *buf, size_t len, const char *name);

/*
 * Apply "key=value".  Returns 0 when applied; 1 when the key is unknown and
 * unknown_ok (a warning is logged); -1 on error (logged).
 */
int cfg_set(struct ot_config *c, const char *assignment, bool unknown_ok);

/* Typed getters.  The key must be in the table (asserted). */
bool cfg_bool(const struct ot_config *c, const char *key);
uint64_t cfg_uint(const struct ot_config *c, const char *key);
/* The text as given (any type but CFG_LIST); NULL when unset. */
const char *cfg_str(const struct ot_config *c, const char *key);
/* Number of list items; *items points into the configuration. */
size_t cfg_list(const struct ot_config *c, const char *key, const char *const **items);
/* Where the value came from: "default", "otasuke.yaml:12", "--set". */
const char *cfg_origin(const struct ot_config *c, const char *key);

/* Print the key table as a Markdown table (for docs/, and --help-config). */
void cfg_print_docs(const struct cfg_key *keys, size_t n, FILE *out);

#endif
