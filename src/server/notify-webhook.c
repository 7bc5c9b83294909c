/*
 * notify-webhook.c - the generic webhook: the incident as JSON (schema in
 * docs/notifications.md), POSTed to an https URL, signed so the receiver
 * can tell it came from us and is not a replay.
 *
 * X-Otasuke-Timestamp is the time of sending in seconds since the epoch;
 * X-Otasuke-Signature is "sha256=" and the hex HMAC-SHA256, keyed with the
 * target's secret, of the timestamp, ".", and the body exactly as sent.
 * A receiver recomputes it, compares in constant time, and refuses a
 * timestamp more than a few minutes away from its clock.  Without a
 * secret the request goes unsigned (and says nothing of a signature).
 */
#include "notify-channel.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

#define FIELD_MAX 512

static int check(const struct notify_target *t, char *why, size_t whylen)
{
	return notify_check_https(t->address, "webhook: the URL", why, whylen);
}

static const char *const severity_names[] = { NULL, "critical", "high", "medium", "low" };

/* obj[key] = s cleaned, or null when s is NULL; 0 or -1. */
static int set_clean(json_t *obj, const char *key, const char *s)
{
	if (!s)
		return json_object_set_new(obj, key, json_null());
	char *c = notify_clean(s, FIELD_MAX);
	int rc = c ? json_object_set_new(obj, key, json_string(c)) : -1;
	free(c);
	return rc;
}

/* obj[key] = the time in ISO 8601 UTC, or null when out of range. */
static int set_time(json_t *obj, const char *key, int64_t us)
{
	char buf[32];
	notify_time_iso(us, buf, sizeof(buf));
	return json_object_set_new(obj, key, buf[0] ? json_string(buf) : json_null());
}

static int build(const struct notify_target *t, const struct notify_env *e, struct notify_req *r)
{
	const struct notify_incident *inc = e->inc;
	const struct notify_msg *m = e->msg;
	char *text = notify_msg_plain(m), sent[32];
	json_t *in = json_object();
	int bad = !text || !in;

	bad |= set_clean(in, "id", inc->id);
	bad |= set_clean(in, "tenant", inc->tenant_name);
	bad |= set_clean(in, "device", inc->device_name);
	bad |= json_object_set_new(in, "severity", json_integer(m->severity));
	bad |= json_object_set_new(in, "severity_name", json_string(severity_names[m->severity]));
	bad |= set_clean(in, "kind", inc->kind);
	bad |= set_clean(in, "signature", inc->signature);
	bad |= set_clean(in, "src_ip", inc->src_ip);
	bad |= set_clean(in, "dest_ip", inc->dest_ip);
	bad |= json_object_set_new(in, "event_count", json_integer((json_int_t)OT_MIN(inc->event_count,
									(uint64_t)INT64_MAX)));
	bad |= set_time(in, "first_seen", inc->first_us);
	bad |= set_time(in, "last_seen", inc->last_us);
	bad |= set_clean(in, "console_url", m->url);
	bad |= json_object_set_new(in, "escalated", json_boolean(inc->escalated));
	notify_time_iso((int64_t)e->now * 1000000, sent, sizeof(sent));
	json_t *doc = bad ? NULL : json_pack("{s:s, s:i, s:s, s:O, s:{s:s, s:s, s:s}}",
		"type", "otasuke.incident", "version", 1, "sent_at", sent, "incident", in,
		"message", "lang", m->lang == NOTIFY_EN ? "en" : "ja", "subject", m->subject,
		"text", text);
	json_decref(in);
	free(text);
	r->proto = NOTIFY_HTTP;
	if (!(r->url = strdup(t->address)) || notify_req_json(r, doc) < 0 ||
	    notify_req_header(r, "X-Otasuke-Timestamp: %lld", (long long)e->now) < 0)
		return -1;
	if (t->secret && *t->secret) {
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		char hex[2 * sizeof(mac) + 1], ts[24];
		crypto_auth_hmacsha256_state st;
		snprintf(ts, sizeof(ts), "%lld.", (long long)e->now);
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)t->secret, strlen(t->secret));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)r->body, r->len);
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
		return notify_req_header(r, "X-Otasuke-Signature: sha256=%s", hex);
	}
	return 0;
}

const struct notify_channel notify_channel_webhook = { "webhook", check, build };
