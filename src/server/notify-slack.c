/*
 * notify-slack.c - the Slack channel: an incoming webhook (POST the URL,
 * {"text": ..., "blocks": [...]}).  "text" is the subject, what Slack
 * shows in the notification itself; the blocks are a header, one section
 * per part of the message (its heading in bold), a button to the console
 * and the details in a context block in small type.
 *
 * Slack's mrkdwn gives "&", "<" and ">" a meaning (<url|text> links,
 * <!channel> calls everyone): they are escaped as Slack asks.  Its limits
 * (header 150 characters, a section 3,000) are kept by cutting the bytes
 * at a character, which never leaves more characters than bytes.
 */
#include "notify-channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_MAX 150
#define SECTION_MAX 3000
#define BUTTON_MAX 75

static int check(const struct notify_target *t, char *why, size_t whylen)
{
	return notify_check_https(t->address, "slack: the incoming webhook URL", why, whylen);
}

/* "*bold*\n" (when bold) and text, escaped for mrkdwn and cut to max. */
static char *mrkdwn(const char *bold, const char *sep, const char *text, size_t max)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (int part = 0; part < 2; part++) {
		const char *s = part ? text : bold;
		if (!part)
			fputc('*', f);
		for (; *s; s++) {
			if (*s == '&')
				fputs("&amp;", f);
			else if (*s == '<')
				fputs("&lt;", f);
			else if (*s == '>')
				fputs("&gt;", f);
			else
				fputc(*s, f);
		}
		if (!part)
			fprintf(f, "*%s", sep);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	buf[notify_utf8_cut(buf, len, max)] = '\0';
	return buf;
}

/* blocks += {"type": "section"/"mrkdwn" ...} or a context element. */
static int add_text(json_t *arr, bool section, const char *bold, const char *sep, const char *text)
{
	char *s = mrkdwn(bold, sep, text, SECTION_MAX);
	if (!s)
		return -1;
	json_t *mk = json_pack("{s:s, s:s}", "type", "mrkdwn", "text", s);
	free(s);
	return json_array_append_new(arr, section ? json_pack("{s:s, s:o}", "type", "section", "text", mk)
						  : mk);
}

static int build(const struct notify_target *t, const struct notify_env *e, struct notify_req *r)
{
	const struct notify_msg *m = e->msg;
	char header[HEADER_MAX + 1], button[BUTTON_MAX + 1];
	json_t *blocks = json_array(), *context = json_array();
	int bad = !blocks || !context;

	snprintf(header, sizeof(header), "%.*s",
		 (int)notify_utf8_cut(m->subject, strlen(m->subject), HEADER_MAX), m->subject);
	snprintf(button, sizeof(button), "%.*s",
		 (int)notify_utf8_cut(m->link_label, strlen(m->link_label), BUTTON_MAX), m->link_label);
	bad |= json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "header",
						       "text", "type", "plain_text", "text", header));
	for (size_t i = 0; i < m->nsec && !bad; i++)
		bad |= add_text(blocks, true, m->sec[i].heading, "\n", m->sec[i].text);
	if (m->url && !bad)
		bad |= json_array_append_new(blocks, json_pack("{s:s, s:[{s:s, s:{s:s, s:s}, s:s}]}",
			"type", "actions", "elements", "type", "button",
			"text", "type", "plain_text", "text", button, "url", m->url));
	if (m->nfact && !bad) {
		/* a context block holds at most ten elements: the heading and the facts */
		bad |= add_text(context, false, m->details_heading, "", "");
		for (size_t i = 0; i < m->nfact && i < 9 && !bad; i++)
			bad |= add_text(context, false, m->fact[i].label, ": ", m->fact[i].value);
		bad |= json_array_append_new(blocks, json_pack("{s:s, s:O}", "type", "context",
							       "elements", context));
	}
	json_decref(context);
	if (bad) {
		json_decref(blocks);
		return -1;
	}
	/* "o" hands blocks over to the message, even when it fails */
	json_t *msg = json_pack("{s:s, s:o}", "text", m->subject, "blocks", blocks);
	r->proto = NOTIFY_HTTP;
	if (!msg || !(r->url = strdup(t->address))) {
		json_decref(msg);
		return -1;
	}
	return notify_req_json(r, msg);
}

const struct notify_channel notify_channel_slack = { "slack", check, build };
