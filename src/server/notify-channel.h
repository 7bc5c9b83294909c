/*
 * notify-channel.h - the inside of notify: a channel is a row of the table
 * in notify.c, one file each (notify-mail.c, notify-line.c, ...).  A
 * channel only checks a target and builds the request for one message;
 * notify.c sends it (HTTPS POST or SMTP, with libcurl) and classifies the
 * answer, the same way for every channel.  Building without sending is
 * what the tests and the fuzz target look at.
 */
#ifndef OT_NOTIFY_CHANNEL_H
#define OT_NOTIFY_CHANNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "notify.h"
#include "notify-text.h"

#define NOTIFY_MAX_HEADERS 8

enum notify_proto { NOTIFY_HTTP, NOTIFY_SMTP };

/* One delivery, as a channel built it. */
struct notify_req {
	enum notify_proto proto;
	char *url;                  /* HTTP: the https URL to POST to; SMTP: unused */
	char *headers[NOTIFY_MAX_HEADERS + 1];  /* HTTP header lines, NULL-terminated */
	size_t nheaders;
	char *body;                 /* HTTP: the body; SMTP: the whole message, CRLF line ends */
	size_t len;
	char *rcpt;                 /* SMTP: the recipient's address */
};

/* What a channel builds from, besides the target. */
struct notify_env {
	const struct notify_settings *s;
	const struct notify_incident *inc;
	const struct notify_msg *msg;   /* inc rendered in the target's language */
	time_t now;
};

struct notify_channel {
	const char *name;
	/* Whether t has this channel's shape: 0, or -1 with why filled. */
	int (*check)(const struct notify_target *t, char *why, size_t whylen);
	/* The request for t (checked); 0, or -1 when memory ran out. */
	int (*build)(const struct notify_target *t, const struct notify_env *e,
		     struct notify_req *r);
};

extern const struct notify_channel notify_channel_mail;
extern const struct notify_channel notify_channel_line;
extern const struct notify_channel notify_channel_teams;
extern const struct notify_channel notify_channel_slack;
extern const struct notify_channel notify_channel_chatwork;
extern const struct notify_channel notify_channel_webhook;

/* The channel called name, or NULL. */
const struct notify_channel *notify_channel_find(const char *name);

/*
 * Check t, render inc in t->lang and build its request at time now into r
 * (free it with notify_req_free either way).  Returns a notify_result:
 * NOTIFY_FAILED when the target is wrong, NOTIFY_RETRY when memory ran
 * out, why saying so.
 */
int notify_build(const struct notify_settings *s, const struct notify_target *t,
		 const struct notify_incident *inc, time_t now, struct notify_req *r,
		 char *why, size_t whylen);
void notify_req_free(struct notify_req *r);

/* What a receiver said about a refusal, from its answer body[0..len): the
 * "message" (LINE, Teams), "errors" (Chatwork) or "error" of a JSON
 * answer, else the first line of a text one (Slack), cleaned and at most
 * 200 bytes, into out ("" when it said nothing useful). */
void notify_answer_reason(const char *body, size_t len, char *out, size_t outlen);

/* ---- helpers for the channels ---- */

/* Add a header line "fmt..." to r; 0 or -1 (full, or out of memory). */
int notify_req_header(struct notify_req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* r->url = base (without trailing '/') + path; 0 or -1. */
int notify_req_url(struct notify_req *r, const char *base, const char *path);

/* r->body = j as compact JSON (UTF-8 as it is) and its Content-Type
 * header; j is released either way.  0, or -1 when j is NULL or memory ran
 * out (so a failed json_pack needs no test of its own). */
int notify_req_json(struct notify_req *r, json_t *j);

/* 0 when url is an https URL without spaces or control characters, else
 * -1 with why ("what: ..."). */
int notify_check_https(const char *url, const char *what, char *why, size_t whylen);
/* 0 when secret is there and is printable ASCII without spaces (it goes in
 * a header), else -1 with why. */
int notify_check_token(const char *secret, const char *what, char *why, size_t whylen);
/* Whether s is a plain mail address: local@domain, ASCII, no spaces, no
 * characters that mean something in a header or an SMTP command. */
bool notify_mail_address_ok(const char *s);

/* The title followed by the whole text (notify_msg_plain), cut at a
 * character to at most max bytes; malloc'd, NULL when out of memory. */
char *notify_text_message(const struct notify_msg *m, size_t max);

#endif
