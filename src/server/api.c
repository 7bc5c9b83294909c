/*
 * api.c - the route table of otasuked's HTTP API: one row per route.
 */
#include "api.h"

const struct http_route api_routes[] = {
	{ "POST", "/api/v1/enroll", false, 65536, NULL, api_enroll_body },
	{ "POST", "/api/v1/events", true, 0, api_events_head, api_events_body },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
