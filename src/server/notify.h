/*
 * notify.h - telling people about an incident: one message, rendered in
 * plain Japanese (default) or English for someone with no IT knowledge,
 * delivered over one channel (mail, LINE, Microsoft Teams, Slack, Chatwork
 * or a signed generic webhook), and the outcome classified so the caller
 * knows whether to try again later.
 *
 * This module knows nothing of the store: the incident engine decides who
 * is told what and when, keeps the notification log, and calls
 * notify_send() once per target.  The channels are a table (notify.c), one
 * file each (notify-<channel>.c); the texts are tables too
 * (notify-kinds.c), rendered by notify-text.c.  docs/notifications.md
 * describes what each channel sends and the webhook's schema.
 *
 * Every string of an incident may come from a device (a rule's text, a
 * device's name): it is cleaned (valid UTF-8, no control characters,
 * bounded length) before it goes into any message.
 */
#ifndef OT_NOTIFY_H
#define OT_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ot_config;

enum notify_lang { NOTIFY_JA, NOTIFY_EN };

/* What a message says: the incident as the recipient must understand it. */
struct notify_incident {
	const char *id;             /* incident id (uuid) */
	const char *tenant_name;    /* the customer company */
	const char *device_name;    /* the sensor/agent that saw it */
	int severity;               /* 1 critical (緊急), 2 high (重要), 3 medium (注意), 4 low (情報);
	                               anything else is shown as 2 */
	const char *kind;           /* explanation key: the alert's classtype ("trojan-activity",
	                               "policy-violation", ...) or an agent key ("ransomware",
	                               "suspicious-process", "login-failure"); unknown or NULL:
	                               a general text */
	const char *signature;      /* the rule's text, e.g. "ET MALWARE ..." (may be NULL) */
	const char *src_ip, *dest_ip; /* may be NULL */
	uint64_t event_count;
	int64_t first_us, last_us;  /* microseconds since the epoch, UTC */
	const char *console_url;    /* link to the incident in the console, may be NULL */
	const char *helpdesk;       /* who will contact them: the provider's desk and phone,
	                               e.g. "○○お助け隊 0120-000-000"; NULL: "the support desk" */
	bool escalated;             /* sent to the next contact because nobody acknowledged */
};

/* One destination, as configured per tenant. */
struct notify_target {
	const char *channel;        /* "mail", "line", "teams", "slack", "chatwork", "webhook" */
	const char *address;        /* mail address, LINE user/group/room id, webhook URL
	                               (https), Chatwork room id */
	const char *secret;         /* LINE channel access token, Chatwork API token, webhook
	                               signing key (optional for webhook); unused otherwise */
	enum notify_lang lang;
};

enum notify_result {
	NOTIFY_SENT = 0,
	NOTIFY_RETRY = -1,          /* temporary: try later (408, 429, 5xx, no connection,
	                               SMTP 4xx) */
	NOTIFY_FAILED = -2,         /* permanent: bad address or token, other 4xx, SMTP 5xx */
};

enum notify_starttls {
	NOTIFY_STARTTLS_TRY,        /* use STARTTLS when the server offers it (default) */
	NOTIFY_STARTTLS_REQUIRE,    /* refuse to send without it */
	NOTIFY_STARTTLS_NEVER,      /* plain text (a relay on the same machine) */
};

/* Where and how to deliver; the strings are copied by notify_ctx_new. */
struct notify_settings {
	const char *smtp_url;       /* smtp://host[:port] or smtps://host[:port]; NULL: no mail */
	const char *mail_from;      /* envelope and From: address */
	const char *mail_from_name; /* display name of From: (NULL: "otasuke") */
	const char *smtp_user;      /* NULL: no SMTP authentication */
	const char *smtp_password;
	enum notify_starttls starttls;
	const char *line_api;       /* NULL: https://api.line.me */
	const char *chatwork_api;   /* NULL: https://api.chatwork.com */
	long connect_timeout;       /* seconds; 0: 10 */
	long timeout;               /* seconds for one whole delivery; 0: 30 */
	const char *ca_file;        /* PEM CAs trusted for HTTPS and SMTP TLS; NULL: the system's */
};

struct notify_ctx;

/*
 * A context for one thread: a libcurl handle kept between deliveries (so
 * connections are reused) and a copy of the settings.  NULL when memory or
 * libcurl fails (logged).  libcurl's global set-up happens in the first
 * call: make one context before starting threads.
 */
struct notify_ctx *notify_ctx_new(const struct notify_settings *s);
void notify_ctx_free(struct notify_ctx *c);

/*
 * Render inc in t->lang and deliver it to t.  Returns a notify_result.
 * On NOTIFY_RETRY and NOTIFY_FAILED, why (whylen bytes, may be 0) says
 * what happened, e.g. "HTTP 400: Invalid reply token" or "SMTP 550:
 * 5.1.1 user unknown"; it never holds the target's secret.  *retry_after
 * (may be NULL) is the seconds the receiver asked to wait (Retry-After),
 * or -1 when it said nothing.
 */
int notify_send(struct notify_ctx *c, const struct notify_target *t,
		const struct notify_incident *inc, char *why, size_t whylen, long *retry_after);

/* Whether name is a channel this build can deliver to. */
bool notify_channel_known(const char *name);

/*
 * Whether t can be delivered to at all, without sending anything: a known
 * channel, an address of the channel's shape (a mail address, a LINE id,
 * an https URL, a room number) and the secret it needs.  0, or -1 with the
 * reason in why (for the console when a customer enters a target).
 */
int notify_target_check(const struct notify_target *t, char *why, size_t whylen);

/* The notify.* configuration keys into s (pointing into c, which must
 * outlive s).  0, or -1 when a value is wrong (logged with its key). */
int notify_settings_from_config(struct notify_settings *s, const struct ot_config *c);

/* "ja" / "en" (and "japanese", "english", any case) -> *lang; 0 or -1. */
int notify_lang_parse(const char *s, enum notify_lang *lang);

#endif
