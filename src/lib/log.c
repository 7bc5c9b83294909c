/*
 * log.c - see log.h.  The logger's settings are this file's own state; they
 * are set once at start-up, before any thread starts.  Messages may come
 * from several threads (the packet pipeline, a rule reload, the uploader):
 * each is written whole under the stream's lock, and the counters are
 * atomic.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "util.h"

static const char *log_prog = "otasuke";
static FILE *log_file;
static enum ot_log_level log_level = OT_LOG_NOTICE;
static unsigned log_counts[OT_LOG_DEBUG + 1];

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug",
};

void ot_log_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');
	log_prog = slash ? slash + 1 : prog;
}

int ot_log_set_file(const char *path)
{
	if (log_file) {
		fclose(log_file);
		log_file = NULL;
	}
	if (!path)
		return 0;
	log_file = fopen(path, "a");
	return log_file ? 0 : -1;
}

void ot_log_set_level(enum ot_log_level level)
{
	log_level = level;
}

enum ot_log_level ot_log_get_level(void)
{
	return log_level;
}

int ot_log_level_parse(const char *name)
{
	for (size_t i = 0; i < OT_ARRAY_LEN(level_names); i++)
		if (!strcasecmp(name, level_names[i]))
			return (int)i;
	return -1;
}

unsigned ot_log_count(enum ot_log_level level)
{
	return level <= OT_LOG_DEBUG ? __atomic_load_n(&log_counts[level], __ATOMIC_RELAXED) : 0;
}

void ot_log(enum ot_log_level level, const char *fmt, ...)
{
	va_list ap;
	if (level <= OT_LOG_DEBUG)
		__atomic_fetch_add(&log_counts[level], 1, __ATOMIC_RELAXED);
	if (level > log_level)
		return;
	FILE *out = log_file ? log_file : stderr;
	flockfile(out);
	if (log_file) {
		struct timeval tv;
		char ts[40];
		gettimeofday(&tv, NULL);
		ot_time_fmt(&tv, ts, sizeof(ts));
		fprintf(out, "%s ", ts);
	}
	fprintf(out, "%s: %s: ", log_prog, level_names[level]);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
	funlockfile(out);
}
