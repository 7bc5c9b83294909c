/*
 * notify-text.h - what a notification says, before any channel lays it
 * out: a subject, sections (what happened, how serious, what to do now,
 * who will call, where and when), the console link, and the technical
 * details as label/value pairs, in Japanese or English.
 *
 * The words are data: one row per explanation key (an ET classtype or an
 * agent key) in notify-kinds.c, pointing at one of a few lists of steps
 * ("unplug the cable, do not switch it off, wait for our call"), and one
 * table of the fixed words per language here in notify-text.c.  A key
 * without a row gets the general text.  Times are shown in JST for
 * Japanese (Japan has no daylight saving: UTC+9 always) and as UTC ISO
 * 8601 for English.
 */
#ifndef OT_NOTIFY_TEXT_H
#define OT_NOTIFY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "notify.h"

/* The steps to give, shared by the kinds they fit. */
enum notify_todo {
	TODO_ISOLATE,       /* cut the machine off the network, keep it on, wait for a call */
	TODO_RANSOM,        /* the same, and do not pay, unplug backup disks */
	TODO_PASSWORD,      /* change the passwords typed there, from another device */
	TODO_SCAM,          /* do not call the number on screen, close the browser */
	TODO_UPDATE,        /* an attack on a weakness: update, report anything odd */
	TODO_WATCH,         /* nothing to do now: we keep watching */
	TODO_POLICY,        /* software the company may not allow */
	TODO_PUP,           /* software nobody remembers installing */
	TODO_LOGIN,         /* password guessing: change it, no default passwords */
	TODO_DOS,           /* floods: tell us if things are slow */
	TODO_GENERAL,       /* anything else */
	TODO_COUNT
};

/* One explanation key. */
struct notify_kind {
	const char *key;            /* "trojan-activity", "ransomware", ... */
	bool on_device;             /* the reporting device is the affected machine (agent keys) */
	enum notify_todo todo;
	const char *title[2];       /* [NOTIFY_JA], [NOTIFY_EN]: a few words, for the subject */
	const char *what[2];        /* what happened, "{machine}" standing for the machine */
};

/* The row for key, or NULL when there is none (a general text is used). */
const struct notify_kind *notify_kind_find(const char *key);
/* The row used when there is none. */
extern const struct notify_kind notify_kind_general;
/* The steps of a list, NULL-terminated, each with "{machine}" in it or not. */
const char *const *notify_todo_steps(enum notify_todo todo, enum notify_lang lang);

#define NOTIFY_MAX_SECTIONS 8
#define NOTIFY_MAX_FACTS 8

struct notify_section {
	const char *heading;
	char *text;                 /* lines separated by '\n', no trailing '\n' */
};

struct notify_fact {
	const char *label;
	char *value;
};

/* A rendered message.  Every string is valid UTF-8 without control
 * characters other than '\n' in section texts. */
struct notify_msg {
	enum notify_lang lang;
	int severity;               /* 1..4 */
	const char *severity_word;  /* "緊急", "Critical", ... */
	char *title;                /* "ウイルス感染の疑い" */
	char *subject;              /* "【緊急】ウイルス感染の疑い：○○薬局" (one line) */
	struct notify_section sec[NOTIFY_MAX_SECTIONS];
	size_t nsec;
	const char *link_label;     /* "コンソールで詳しく見る" */
	char *url;                  /* the console link (http or https), NULL when none */
	const char *details_heading;
	struct notify_fact fact[NOTIFY_MAX_FACTS];
	size_t nfact;
};

/* Render inc in lang into m.  0, or -1 when memory ran out (m is then
 * empty; notify_msg_free is safe either way). */
int notify_msg_render(struct notify_msg *m, const struct notify_incident *inc, enum notify_lang lang);
void notify_msg_free(struct notify_msg *m);

/* The whole message as plain text: the sections with their headings, the
 * link, then the details, '\n' line ends.  malloc'd, NULL when out of memory. */
char *notify_msg_plain(const struct notify_msg *m);

/*
 * A string that came from outside, made safe to show: bytes that are not
 * UTF-8 (overlong forms, surrogates and all) become U+FFFD, control
 * characters and the bidirectional overrides become a space or U+FFFD,
 * and beyond max bytes it is cut at a character and ends with "…".
 * NULL in: "" out.  malloc'd, NULL when out of memory.
 */
char *notify_clean(const char *s, size_t max);

/* Whether s[0..len) is valid UTF-8 (shortest forms, no surrogates). */
bool notify_utf8_valid(const char *s, size_t len);

/* The length of the longest prefix of s[0..len) that ends at a character
 * boundary and is at most max bytes (s being valid UTF-8). */
size_t notify_utf8_cut(const char *s, size_t len, size_t max);

/* "2026-11-22T06:04:05Z"; "" when us is out of range. buf >= 32 bytes. */
void notify_time_iso(int64_t us, char *buf, size_t len);

#endif
