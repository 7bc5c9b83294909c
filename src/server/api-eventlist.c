/*
 * api-eventlist.c - a tenant's events through the API, newest first:
 * GET /api/v1/tenants/{tenant}/events?type=&device=&since=&until=&q=
 * &before=&limit=, and one event by id.  Every query argument is checked
 * (a bad one is answered 400 naming it) and handed to the store as a
 * parameter.  Each event comes with its own JSON as stored; a page ends
 * with next_before, the argument that fetches the next page.
 */
#include "api.h"

#include <string.h>

#include "srv-time.h"
#include "token.h"
#include "../lib/util.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

struct page {
	json_t *list;
	int64_t last;
};

static int add_event(void *arg, const struct store_event_row *e)
{
	struct page *p = arg;
	json_t *body = json_loads(e->body ? e->body : "null", JSON_DECODE_ANY, NULL);
	json_t *o = json_pack("{s:I,s:I,s:I,s:s,s:s,s:o}", "id", (json_int_t)e->id, "ts_us",
			      (json_int_t)e->ts_us, "received_us", (json_int_t)e->received_us,
			      "device_id", e->device_id ? e->device_id : "", "event_type",
			      e->event_type ? e->event_type : "", "event",
			      body ? body : json_null());
	p->last = e->id;
	return json_array_append_new(p->list, o) < 0 ? STORE_ERR : 0;
}

/* A time argument (RFC 3339) into *us; false having answered 400. */
static bool time_arg(struct http_req *r, const char *name, int64_t *us)
{
	const char *v = http_query(r, name);
	if (!v)
		return true;
	if (srv_time_parse(v, strlen(v), us) < 0) {
		http_error(r, 400, "bad_query", "'%s' must be a time such as 2026-11-22T09:30:00Z",
			   name);
		return false;
	}
	return true;
}

/* A number argument in [min, max] into *out; false having answered 400. */
static bool num_arg(struct http_req *r, const char *name, uint64_t min, uint64_t max,
		    uint64_t *out)
{
	const char *v = http_query(r, name);
	if (!v)
		return true;
	if (ot_parse_u64(v, min, max, false, out) < 0) {
		http_error(r, 400, "bad_query", "'%s' must be a whole number from %llu to %llu",
			   name, (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	return true;
}

/* A text argument of at most max bytes, or NULL (absent or answered). */
static const char *text_arg(struct http_req *r, const char *name, size_t max)
{
	const char *v = http_query(r, name);
	if (v && (!*v || strlen(v) > max)) {
		http_error(r, 400, "bad_query", "'%s' must be 1 to %zu bytes", name, max);
		return NULL;
	}
	return v;
}

void api_event_list(struct http_req *r)
{
	struct store_event_filter f = { .tenant_id = r->tenant.id, .limit = PAGE_DEFAULT };
	uint64_t before = 0, limit = PAGE_DEFAULT;
	f.event_type = text_arg(r, "type", 32);
	f.device_id = r->answered ? NULL : text_arg(r, "device", 64);
	f.text = r->answered ? NULL : text_arg(r, "q", 200);
	if (r->answered || !time_arg(r, "since", &f.since_us) || !time_arg(r, "until", &f.until_us) ||
	    !num_arg(r, "before", 1, INT64_MAX, &before) || !num_arg(r, "limit", 1, PAGE_MAX, &limit))
		return;
	f.before = (int64_t)before;
	f.limit = (unsigned)limit;
	struct page p = { json_array(), 0 };
	int s = store_event_list(r->srv->store, &f, add_event, &p);
	if (s < 0) {
		json_decref(p.list);
		api_store_error(r, s, "event");
		return;
	}
	bool more = json_array_size(p.list) == f.limit;
	http_reply_json(r, 200, json_pack("{s:o,s:o}", "events", p.list, "next_before",
					  more ? json_integer(p.last) : json_null()));
}

void api_event_get(struct http_req *r)
{
	uint64_t id;
	if (ot_parse_u64(http_param(r, "event"), 1, INT64_MAX, false, &id) < 0) {
		http_error(r, 404, "not_found", "no such event");
		return;
	}
	struct page p = { json_array(), 0 };
	int s = store_event_get(r->srv->store, r->tenant.id, (int64_t)id, add_event, &p);
	if (s < 0) {
		json_decref(p.list);
		api_store_error(r, s, "event");
		return;
	}
	http_reply_json(r, 200, json_incref(json_array_get(p.list, 0)));
	json_decref(p.list);
}
