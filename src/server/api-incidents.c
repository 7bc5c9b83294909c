/*
 * api-incidents.c - a tenant's incidents and the people told about them,
 * through the API: the list (filtered, paged), one incident with its
 * timeline, its notifications and the message a person is sent about it
 * (in the reader's language: what happened, how serious, what to do now),
 * changing its status or assignee, notes; and the tenant's contacts.
 *
 * Query arguments are checked one by one (400 naming the bad one) and go
 * to the store as parameters.  Everything is scoped by the tenant of the
 * path, which http.c has already checked against the caller.
 */
#include "api.h"

#include <string.h>

#include "deliver.h"
#include "notify-text.h"
#include "srv-time.h"
#include "store-incident.h"
#include "token.h"
#include "../lib/util.h"

static json_t *incident_json(const struct store_incident *i)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:i,s:s,s:s?,s:I,s:I,s:I,s:I,s:s?,s:s?,s:i}",
			 "id", i->id, "device_id", i->device_id, "key", i->key, "title", i->title,
			 "kind", i->kind[0] ? i->kind : NULL, "severity", i->severity,
			 "status", i->status, "assignee", i->assignee[0] ? i->assignee : NULL,
			 "first_us", (json_int_t)i->first_us, "last_us", (json_int_t)i->last_us,
			 "created_us", (json_int_t)i->created_us,
			 "event_count", (json_int_t)i->event_count,
			 "src_ip", i->src_ip[0] ? i->src_ip : NULL,
			 "dest_ip", i->dest_ip[0] ? i->dest_ip : NULL,
			 "notify_level", i->notify_level);
}

struct page {
	json_t *list;
	struct store_incident last;
};

static int add_incident(void *arg, const struct store_incident *i)
{
	struct page *p = arg;
	p->last = *i;
	return json_array_append_new(p->list, incident_json(i)) < 0 ? STORE_ERR : 0;
}

void api_incident_list(struct http_req *r)
{
	struct store_incident_filter f = { 0 };
	struct store_incident_cursor after;
	const char *cursor = NULL;
	uint64_t sev_min = 0, sev_max = 0, limit = 50;
	if (!api_query_text(r, "status", 16, &f.status) ||
	    !api_query_u64(r, "severity_min", 1, 4, &sev_min) ||
	    !api_query_u64(r, "severity_max", 1, 4, &sev_max) ||
	    !api_query_text(r, "device", 64, &f.device_id) ||
	    !api_query_time(r, "since", &f.since_us) || !api_query_time(r, "until", &f.until_us) ||
	    !api_query_text(r, "q", 200, &f.text) || !api_query_u64(r, "limit", 1, 1000, &limit) ||
	    !api_query_text(r, "after", 80, &cursor))
		return;
	f.severity_min = (int)sev_min;
	f.severity_max = (int)sev_max;
	if (f.status && strcmp(f.status, "open") && strcmp(f.status, "closed") &&
	    !store_incident_status_known(f.status)) {
		http_error(r, 400, "bad_query", "'status' must be open, closed, new, acknowledged, "
			   "in_progress, resolved or false_positive");
		return;
	}
	if (cursor) {
		if (store_incident_cursor_parse(cursor, &after) < 0) {
			http_error(r, 400, "bad_query", "'after' must be the next_after of a page");
			return;
		}
		f.after = &after;
	}
	f.limit = (unsigned)limit;
	struct page p = { .list = json_array() };
	int n = store_incident_list(r->srv->store, r->tenant.id, &f, add_incident, &p);
	if (n < 0) {
		json_decref(p.list);
		api_store_error(r, n, "incident");
		return;
	}
	json_t *next = json_null();
	if ((unsigned)n == f.limit) {
		char text[INCIDENT_CURSOR_MAX];
		struct store_incident_cursor c;
		store_incident_cursor_of(&p.last, &c);
		store_incident_cursor_fmt(&c, text, sizeof(text));
		next = json_string(text);
	}
	http_reply_json(r, 200, json_pack("{s:o,s:o}", "incidents", p.list, "next_after", next));
}

static int add_timeline(void *arg, const struct store_timeline *t)
{
	json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:I,s:s?}", "id", (json_int_t)t->id, "ts_us",
			      (json_int_t)t->ts_us, "actor", t->actor ? t->actor : "", "what",
			      t->what ? t->what : "", "event_id", (json_int_t)t->event_id,
			      "detail", t->detail);
	return json_array_append_new(arg, o) < 0 ? STORE_ERR : 0;
}

static int add_notification(void *arg, const struct store_notification *n)
{
	json_t *o = json_pack("{s:I,s:s,s:i,s:s,s:s,s:i,s:I,s:I,s:s?}", "id", (json_int_t)n->id,
			      "contact_id", n->contact_id, "level", n->level, "reason", n->reason,
			      "state", n->state, "attempts", n->attempts, "next_us",
			      (json_int_t)n->next_us, "created_us", (json_int_t)n->created_us,
			      "last_error", n->last_error[0] ? n->last_error : NULL);
	return json_array_append_new(arg, o) < 0 ? STORE_ERR : 0;
}

/* The message a person is sent about i, in the reader's language. */
static json_t *message_json(struct http_req *r, const struct store_incident *i)
{
	struct store_device d;
	struct notify_incident ni;
	struct notify_msg m = { 0 };
	enum notify_lang lang = NOTIFY_JA;
	char link[512];
	json_t *o = NULL;
	if (store_device_get(r->srv->store, r->tenant.id, i->device_id, &d) < 0)
		ot_strlcpy(d.name, i->device_id, sizeof(d.name));
	notify_lang_parse(r->user.lang, &lang);
	deliver_link(r->srv->console_url, i, link, sizeof(link));
	deliver_incident(&ni, i, r->tenant.name, d.name, link, r->srv->helpdesk, false);
	if (notify_msg_render(&m, &ni, lang) == 0) {
		char *text = notify_msg_plain(&m);
		o = json_pack("{s:s,s:s,s:s}", "lang", lang == NOTIFY_EN ? "en" : "ja", "subject",
			      m.subject, "text", text ? text : "");
		free(text);
	}
	notify_msg_free(&m);
	return o ? o : json_null();
}

/* The incident of the path; false having answered. */
static bool path_incident(struct http_req *r, struct store_incident *i)
{
	int s = store_incident_get(r->srv->store, r->tenant.id, http_param(r, "incident"), i);
	if (s < 0) {
		api_store_error(r, s, "incident");
		return false;
	}
	return true;
}

static void reply_incident(struct http_req *r, unsigned status, const struct store_incident *i)
{
	json_t *o = incident_json(i), *timeline = json_array(), *notes = json_array();
	int s = store_incident_timeline(r->srv->store, r->tenant.id, i->id, add_timeline, timeline);
	if (s >= 0)
		s = store_notify_list(r->srv->store, r->tenant.id, i->id, add_notification, notes);
	if (s < 0) {
		json_decref(o);
		json_decref(timeline);
		json_decref(notes);
		api_store_error(r, s, "incident");
		return;
	}
	json_object_set_new(o, "timeline", timeline);
	json_object_set_new(o, "notifications", notes);
	json_object_set_new(o, "message", message_json(r, i));
	http_reply_json(r, status, o);
}

void api_incident_get(struct http_req *r)
{
	struct store_incident i;
	if (path_incident(r, &i))
		reply_incident(r, 200, &i);
}

void api_incident_update(struct http_req *r)
{
	struct store_incident i;
	char actor[STORE_LOGIN_MAX + 64];
	json_t *o = http_body_json(r);
	if (!o || !path_incident(r, &i))
		goto out;
	const char *status = api_str(r, o, "status", 15, false);
	json_t *assignee = json_object_get(o, "assignee");
	if (r->answered)
		goto out;
	if (!status && !assignee) {
		http_error(r, 400, "missing", "give 'status' or 'assignee' (a user id or null)");
		goto out;
	}
	if (assignee && !json_is_null(assignee) && !json_is_string(assignee)) {
		http_error(r, 400, "bad_value", "'assignee' must be a user id or null");
		goto out;
	}
	snprintf(actor, sizeof(actor), "user %s (%s)", r->user.id, r->user.login);
	int64_t now = srv_now_us();
	int s = STORE_OK;
	if (status && (s = store_incident_set_status(r->srv->store, r->tenant.id, i.id, status,
						     actor, now)) == STORE_INVALID) {
		http_error(r, 400, "bad_value", "'status' must be new, acknowledged, in_progress, "
			   "resolved or false_positive");
		goto out;
	}
	if (s == STORE_OK && assignee &&
	    (s = store_incident_assign(r->srv->store, r->tenant.id, i.id,
				       json_string_value(assignee), actor, now)) == STORE_INVALID) {
		http_error(r, 400, "bad_value", "'assignee' is not a user of this tenant or of "
			   "the provider");
		goto out;
	}
	if (s < 0 || (s = store_incident_get(r->srv->store, r->tenant.id, i.id, &i)) < 0) {
		api_store_error(r, s, "incident");
		goto out;
	}
	api_audit(r, r->tenant.id, "incident.update", i.id, status ? status : "assignee");
	reply_incident(r, 200, &i);
out:
	json_decref(o);
}

void api_incident_note(struct http_req *r)
{
	struct store_incident i;
	char actor[STORE_LOGIN_MAX + 64];
	json_t *o = http_body_json(r);
	if (!o || !path_incident(r, &i))
		goto out;
	const char *text = api_str(r, o, "text", 4000, true);
	if (!text)
		goto out;
	snprintf(actor, sizeof(actor), "user %s (%s)", r->user.id, r->user.login);
	int s = store_incident_note(r->srv->store, r->tenant.id, i.id, actor, text, srv_now_us());
	if (s < 0) {
		api_store_error(r, s, "incident");
		goto out;
	}
	reply_incident(r, 201, &i);
out:
	json_decref(o);
}

static json_t *contact_json(const struct store_contact *c)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:b,s:I}", "id", c->id, "name", c->name,
			 "channel", c->channel, "address", c->address, "lang", c->lang,
			 "min_severity", c->min_severity, "level", c->level, "has_secret",
			 c->secret[0] != '\0', "created_us", (json_int_t)c->created_us);
}

static int add_contact(void *arg, const struct store_contact *c)
{
	return json_array_append_new(arg, contact_json(c)) < 0 ? STORE_ERR : 0;
}

void api_contact_list(struct http_req *r)
{
	json_t *list = json_array();
	int s = store_contact_list(r->srv->store, r->tenant.id, add_contact, list);
	if (s < 0) {
		json_decref(list);
		api_store_error(r, s, "contact");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "contacts", list));
}

void api_contact_create(struct http_req *r)
{
	struct store_contact c = { 0 };
	char why[256];
	json_t *o = http_body_json(r);
	if (!o)
		return;
	const char *name = api_str(r, o, "name", STORE_NAME_MAX, true);
	const char *channel = name ? api_str(r, o, "channel", CONTACT_CHANNEL_MAX - 1, true) : NULL;
	const char *address = channel ? api_str(r, o, "address", CONTACT_ADDRESS_MAX - 1, true)
				      : NULL;
	const char *secret = address ? api_str(r, o, "secret", CONTACT_SECRET_MAX - 1, false) : NULL;
	const char *lang = address && !r->answered ? api_str(r, o, "lang", 7, false) : NULL;
	json_t *minsev = json_object_get(o, "min_severity"), *level = json_object_get(o, "level");
	enum notify_lang nl = NOTIFY_JA;
	if (!address || r->answered)
		goto out;
	if ((lang && notify_lang_parse(lang, &nl) < 0) ||
	    (minsev && (!json_is_integer(minsev) || json_integer_value(minsev) < 1 ||
			json_integer_value(minsev) > 4)) ||
	    (level && (!json_is_integer(level) || json_integer_value(level) < 0 ||
		       json_integer_value(level) > 9))) {
		http_error(r, 400, "bad_value", "'lang' must be ja or en, 'min_severity' 1 (only "
			   "critical) to 4 (everything), 'level' 0 to 9");
		goto out;
	}
	struct notify_target t = { channel, address, secret, nl };
	if (notify_target_check(&t, why, sizeof(why)) < 0) {
		http_error(r, 400, "bad_target", "%s", why);
		goto out;
	}
	ot_strlcpy(c.tenant_id, r->tenant.id, sizeof(c.tenant_id));
	token_uuid(c.id);
	ot_strlcpy(c.name, name, sizeof(c.name));
	ot_strlcpy(c.channel, channel, sizeof(c.channel));
	ot_strlcpy(c.address, address, sizeof(c.address));
	ot_strlcpy(c.secret, secret ? secret : "", sizeof(c.secret));
	ot_strlcpy(c.lang, nl == NOTIFY_EN ? "en" : "ja", sizeof(c.lang));
	c.min_severity = minsev ? (int)json_integer_value(minsev) : 4;
	c.level = level ? (int)json_integer_value(level) : 0;
	c.created_us = srv_now_us();
	int s = store_contact_add(r->srv->store, &c);
	if (s < 0) {
		api_store_error(r, s, "contact");
		goto out;
	}
	api_audit(r, c.tenant_id, "contact.add", c.id, c.name);
	http_reply_json(r, 201, contact_json(&c));
out:
	json_decref(o);
}

void api_contact_delete(struct http_req *r)
{
	const char *id = http_param(r, "contact");
	int s = store_contact_remove(r->srv->store, r->tenant.id, id);
	if (s < 0) {
		api_store_error(r, s, "contact");
		return;
	}
	api_audit(r, r->tenant.id, "contact.remove", id, NULL);
	http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}
