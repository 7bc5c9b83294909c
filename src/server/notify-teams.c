/*
 * notify-teams.c - the Microsoft Teams channel: an Adaptive Card posted to
 * the URL of a Teams Workflows flow made from the template "post to a
 * channel when a webhook request is received".  That flow takes a
 * "message" whose "attachments" hold the card
 * (application/vnd.microsoft.card.adaptive) and posts it; it answers 202.
 *
 * The card: the subject in large type, coloured by severity; each section
 * a bold heading over its text, one TextBlock per line (a single newline
 * inside a TextBlock is not a line break in every Teams client); the
 * details as a FactSet; the console link as an Action.OpenUrl button.
 */
#include "notify-channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(const struct notify_target *t, char *why, size_t whylen)
{
	return notify_check_https(t->address, "teams: the Workflows webhook URL", why, whylen);
}

/* One TextBlock per line of text onto body. */
static int add_lines(json_t *body, const char *text)
{
	int bad = 0;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		bad |= json_array_append_new(body, json_pack("{s:s, s:s%, s:b, s:s}", "type", "TextBlock",
							     "text", p, n, "wrap", 1, "spacing", "None"));
		p += n + (p[n] == '\n');
	}
	return bad ? -1 : 0;
}

static int build(const struct notify_target *t, const struct notify_env *e, struct notify_req *r)
{
	static const char *const colour[] = { NULL, "Attention", "Attention", "Warning", "Default" };
	const struct notify_msg *m = e->msg;
	json_t *body = json_array(), *facts = json_array(), *actions = json_array();
	int bad = !body || !facts || !actions;

	bad |= json_array_append_new(body, json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", "TextBlock",
						     "text", m->subject, "size", "Large", "weight", "Bolder",
						     "color", colour[m->severity], "wrap", 1));
	for (size_t i = 0; i < m->nsec && !bad; i++) {
		bad |= json_array_append_new(body, json_pack("{s:s, s:s, s:s, s:b, s:s}", "type", "TextBlock",
							     "text", m->sec[i].heading, "weight", "Bolder",
							     "wrap", 1, "spacing", "Medium"));
		bad |= add_lines(body, m->sec[i].text);
	}
	for (size_t i = 0; i < m->nfact && !bad; i++)
		bad |= json_array_append_new(facts, json_pack("{s:s, s:s}", "title", m->fact[i].label,
							      "value", m->fact[i].value));
	if (m->nfact && !bad) {
		bad |= json_array_append_new(body, json_pack("{s:s, s:s, s:s, s:b, s:s}", "type", "TextBlock",
							     "text", m->details_heading, "weight", "Bolder",
							     "wrap", 1, "spacing", "Medium"));
		bad |= json_array_append_new(body, json_pack("{s:s, s:O}", "type", "FactSet", "facts", facts));
	}
	if (m->url && !bad)
		bad |= json_array_append_new(actions, json_pack("{s:s, s:s, s:s}", "type", "Action.OpenUrl",
								"title", m->link_label, "url", m->url));
	json_decref(facts);
	if (bad) {
		json_decref(body);
		json_decref(actions);
		return -1;
	}
	/* "o" hands body and actions over to the message, even when it fails */
	json_t *msg = json_pack("{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, s:o, s:o, s:{s:s}}}]}",
		"type", "message", "attachments",
		"contentType", "application/vnd.microsoft.card.adaptive", "contentUrl",
		"content", "$schema", "http://adaptivecards.io/schemas/adaptive-card.json",
		"type", "AdaptiveCard", "version", "1.4", "body", body, "actions", actions,
		"msteams", "width", "Full");
	if (!msg)
		return -1;
	r->proto = NOTIFY_HTTP;
	if (!(r->url = strdup(t->address))) {
		json_decref(msg);
		return -1;
	}
	return notify_req_json(r, msg);
}

const struct notify_channel notify_channel_teams = { "teams", check, build };
