/*
 * notify-chatwork.c - the Chatwork channel: a message to a room (POST
 * {notify.chatwork.api}/v2/rooms/{room}/messages, the API token in
 * X-ChatWorkToken, a form body "body=...").
 *
 * The message is an [info] box titled with the subject.  Chatwork reads
 * "[...]" as its own tags ([To:id] calls a person, [/info] closes the
 * box), so the square brackets of the text, some of which come from a
 * device, are turned into full-width ones.
 */
#include "notify-channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define ROOM_MAX 20

static int check(const struct notify_target *t, char *why, size_t whylen)
{
	const char *a = t->address ? t->address : "";
	size_t n = strspn(a, "0123456789");
	if (!n || a[n] || n > ROOM_MAX) {
		snprintf(why, whylen, "chatwork: '%.100s' is not a room id (a number)", a);
		return -1;
	}
	return notify_check_token(t->secret, "chatwork: API token", why, whylen);
}

/* s onto f with '[' and ']' made full-width, so no tag can be made. */
static void put_untagged(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '[')
			fputs("［", f);
		else if (*s == ']')
			fputs("］", f);
		else
			fputc(*s, f);
	}
}

static int build(const struct notify_target *t, const struct notify_env *e, struct notify_req *r)
{
	char *plain = notify_msg_plain(e->msg), *text = NULL, *esc = NULL, path[64];
	size_t len;
	int rc = -1;
	FILE *f = plain ? open_memstream(&text, &len) : NULL;
	if (!f)
		goto out;
	fputs("[info][title]", f);
	put_untagged(f, e->msg->subject);
	fputs("[/title]", f);
	put_untagged(f, plain);
	fputs("[/info]", f);
	if (fclose(f) != 0 || !(esc = curl_easy_escape(NULL, text, (int)len)))
		goto out;
	snprintf(path, sizeof(path), "/v2/rooms/%s/messages", t->address);
	r->proto = NOTIFY_HTTP;
	if (notify_req_url(r, e->s->chatwork_api, path) < 0 ||
	    notify_req_header(r, "X-ChatWorkToken: %s", t->secret) < 0 ||
	    notify_req_header(r, "Content-Type: application/x-www-form-urlencoded") < 0 ||
	    asprintf(&r->body, "body=%s&self_unread=0", esc) < 0) {
		r->body = NULL;
		goto out;
	}
	r->len = strlen(r->body);
	rc = 0;
out:
	curl_free(esc);
	free(text);
	free(plain);
	return rc;
}

const struct notify_channel notify_channel_chatwork = { "chatwork", check, build };
