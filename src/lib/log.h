/*
 * log.h - diagnostics for people: levels, to stderr (default) or a file.
 *
 * Lines look like "otasuke-sensor: warning: <text>" on a terminal and carry a
 * timestamp when written to a file.  Messages about user input name the file,
 * line or field and say what is wrong and what was expected.
 */
#ifndef OT_LOG_H
#define OT_LOG_H

enum ot_log_level {
	OT_LOG_ERROR = 0,
	OT_LOG_WARNING,
	OT_LOG_NOTICE,
	OT_LOG_INFO,
	OT_LOG_DEBUG,
};

/* Program name for the prefix. */
void ot_log_init(const char *prog);
/* Write to path (appending) from now on; NULL returns to stderr.  0 or -1. */
int ot_log_set_file(const char *path);
void ot_log_set_level(enum ot_log_level level);
enum ot_log_level ot_log_get_level(void);
/* "error", "warning", "notice", "info", "debug" -> level, or -1. */
int ot_log_level_parse(const char *name);
void ot_log(enum ot_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Messages at or below the level logged so far, per level (for summaries). */
unsigned ot_log_count(enum ot_log_level level);

#define ot_err(...) ot_log(OT_LOG_ERROR, __VA_ARGS__)
#define ot_warn(...) ot_log(OT_LOG_WARNING, __VA_ARGS__)
#define ot_notice(...) ot_log(OT_LOG_NOTICE, __VA_ARGS__)
#define ot_info(...) ot_log(OT_LOG_INFO, __VA_ARGS__)
#define ot_debug(...) ot_log(OT_LOG_DEBUG, __VA_ARGS__)

#endif
