/*
 * output.c - the sink registry and the event counters (see output.h).
 */
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"

/* The upload sink comes first: its spool write reaches the kernel at once,
 * while the file sink buffers, so after a crash every event found in
 * eve.json is also in the spool. */
static const struct output_sink_ops *const sinks[] = {
	&output_sink_upload,
	&output_sink_file,
	NULL,
};

#define MAX_SINKS 8
#define MAX_TYPES 32

struct output {
	const struct output_sink_ops *ops[MAX_SINKS];
	void *state[MAX_SINKS];
	int n;
	uint64_t total;
	char types[MAX_TYPES][24];
	uint64_t type_counts[MAX_TYPES];
	int ntypes;
};

int output_check(const struct ot_config *cfg)
{
	int problems = 0;
	for (int i = 0; sinks[i]; i++)
		if (sinks[i]->check)
			problems += sinks[i]->check(cfg);
	return problems;
}

struct output *output_open(const struct ot_config *cfg, const char *logdir)
{
	struct output *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	for (int i = 0; sinks[i] && o->n < MAX_SINKS; i++) {
		int err = 0;
		void *st = sinks[i]->open(cfg, logdir, &err);
		if (err) {
			ot_err("output '%s' could not be opened", sinks[i]->name);
			output_close(o);
			return NULL;
		}
		if (!st)
			continue;
		o->ops[o->n] = sinks[i];
		o->state[o->n] = st;
		o->n++;
	}
	return o;
}

static void count_type(struct output *o, const char *line, size_t len)
{
	static const char key[] = "\"event_type\":\"";
	const char *p = memmem(line, len, key, sizeof(key) - 1);
	if (!p)
		return;
	p += sizeof(key) - 1;
	const char *e = memchr(p, '"', len - (size_t)(p - line));
	if (!e || e - p >= (long)sizeof(o->types[0]))
		return;
	size_t n = (size_t)(e - p);
	for (int i = 0; i < o->ntypes; i++) {
		if (!strncmp(o->types[i], p, n) && o->types[i][n] == '\0') {
			o->type_counts[i]++;
			return;
		}
	}
	if (o->ntypes < MAX_TYPES) {
		memcpy(o->types[o->ntypes], p, n);
		o->types[o->ntypes][n] = '\0';
		o->type_counts[o->ntypes++] = 1;
	}
}

void output_write(struct output *o, const char *line, size_t len)
{
	o->total++;
	count_type(o, line, len);
	for (int i = 0; i < o->n; i++)
		o->ops[i]->write(o->state[i], line, len);
}

void output_flush(struct output *o)
{
	for (int i = 0; i < o->n; i++)
		o->ops[i]->flush(o->state[i]);
}

void output_stats(struct output *o, struct jw *w)
{
	for (int i = 0; i < o->n; i++)
		if (o->ops[i]->stats)
			o->ops[i]->stats(o->state[i], w);
}

void output_close(struct output *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->n; i++)
		o->ops[i]->close(o->state[i]);
	free(o);
}

uint64_t output_count(const struct output *o, const char *event_type)
{
	if (!event_type)
		return o->total;
	for (int i = 0; i < o->ntypes; i++)
		if (!strcmp(o->types[i], event_type))
			return o->type_counts[i];
	return 0;
}

void output_each_type(const struct output *o, void (*fn)(void *arg, const char *type, uint64_t n),
		      void *arg)
{
	for (int i = 0; i < o->ntypes; i++)
		fn(arg, o->types[i], o->type_counts[i]);
}
