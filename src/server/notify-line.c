/*
 * notify-line.c - the LINE channel: a push message of the Messaging API
 * (POST {notify.line.api}/v2/bot/message/push with the channel access
 * token as a Bearer token) to a user, group or room id, one text message
 * holding the subject and the whole text.
 *
 * A text message holds at most 5,000 characters: the text is cut at 5,000
 * bytes, which is never more characters than that.  LINE answers 429 both
 * for too many requests and for a used-up monthly quota: both are worth
 * trying later.
 */
#include "notify-channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 5000

/* "U", "C" or "R" (user, group, room) and 32 lowercase hex digits. */
static bool line_id_ok(const char *s)
{
	if (!s || !strchr("UCR", s[0]) || !s[0] || strlen(s) != 33)
		return false;
	for (int i = 1; i < 33; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int check(const struct notify_target *t, char *why, size_t whylen)
{
	if (!line_id_ok(t->address)) {
		snprintf(why, whylen, "line: '%.100s' is not a LINE user, group or room id "
			 "(U, C or R and 32 hex digits)", t->address ? t->address : "");
		return -1;
	}
	return notify_check_token(t->secret, "line: channel access token", why, whylen);
}

static int build(const struct notify_target *t, const struct notify_env *e, struct notify_req *r)
{
	char *text = notify_text_message(e->msg, TEXT_MAX);
	if (!text)
		return -1;
	json_t *j = json_pack("{s:s, s:[{s:s, s:s}]}", "to", t->address, "messages",
			      "type", "text", "text", text);
	free(text);
	r->proto = NOTIFY_HTTP;
	if (notify_req_url(r, e->s->line_api, "/v2/bot/message/push") < 0 ||
	    notify_req_header(r, "Authorization: Bearer %s", t->secret) < 0) {
		json_decref(j);
		return -1;
	}
	return notify_req_json(r, j);
}

const struct notify_channel notify_channel_line = { "line", check, build };
