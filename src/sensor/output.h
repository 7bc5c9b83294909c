/*
 * output.h - where EVE events go: a registry of sinks.
 *
 * Every finished event (one JSON object, no newline) is handed to each open
 * sink.  The file sink writes eve.json with size-based rotation; the
 * uploader to otasuked is one more sink.  Adding a sink is one new file
 * (output-<name>.c) and one row in output.c's table.
 */
#ifndef OT_OUTPUT_H
#define OT_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

struct ot_config;
struct jw;

struct output_sink_ops {
	const char *name;
	/* Problems in the sink's configuration keys (each logged), for -T;
	 * NULL when there is nothing to check beyond the key table. */
	int (*check)(const struct ot_config *cfg);
	/* The sink's state, or NULL when the configuration disables it.
	 * *err is set to -1 when it should have opened but could not
	 * (the reason is logged). */
	void *(*open)(const struct ot_config *cfg, const char *logdir, int *err);
	int (*write)(void *sink, const char *line, size_t len);
	int (*flush)(void *sink);
	void (*close)(void *sink);
	/* The sink's counters as members of the stats event's "stats"
	 * object (NULL: none). */
	void (*stats)(void *sink, struct jw *w);
};

extern const struct output_sink_ops output_sink_file;
extern const struct output_sink_ops output_sink_upload;

struct output;

/* Problems in the sinks' configuration (logged), for -T. */
int output_check(const struct ot_config *cfg);
/* Open every sink the configuration enables; NULL when one fails. */
struct output *output_open(const struct ot_config *cfg, const char *logdir);
void output_write(struct output *o, const char *line, size_t len);
void output_flush(struct output *o);
void output_close(struct output *o);
/* Each open sink's counters into the stats event being written. */
void output_stats(struct output *o, struct jw *w);

/* Events written so far, in all and by event_type (0 when never seen). */
uint64_t output_count(const struct output *o, const char *event_type);
/* Calls fn for each event_type seen, in first-seen order. */
void output_each_type(const struct output *o, void (*fn)(void *arg, const char *type, uint64_t n),
		      void *arg);

#endif
