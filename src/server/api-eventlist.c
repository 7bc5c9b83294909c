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

void api_event_list(struct http_req *r)
{
	struct store_event_filter f = { .tenant_id = r->tenant.id, .limit = PAGE_DEFAULT };
	uint64_t before = 0, limit = PAGE_DEFAULT;
	if (!api_query_text(r, "type", 32, &f.event_type) ||
	    !api_query_text(r, "device", 64, &f.device_id) ||
	    !api_query_text(r, "q", 200, &f.text) || !api_query_time(r, "since", &f.since_us) ||
	    !api_query_time(r, "until", &f.until_us) ||
	    !api_query_u64(r, "before", 1, INT64_MAX, &before) ||
	    !api_query_u64(r, "limit", 1, PAGE_MAX, &limit))
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
