/*
 * deliver.c - see deliver.h.
 */
#include "deliver.h"

#include <stdio.h>
#include <string.h>

void deliver_link(const char *console_url, const struct store_incident *inc, char *buf,
		  size_t len)
{
	if (!console_url || !*console_url) {
		buf[0] = '\0';
		return;
	}
	size_t n = strlen(console_url);
	snprintf(buf, len, "%.*s/#/tenants/%s/incidents/%s",
		 (int)(console_url[n - 1] == '/' ? n - 1 : n), console_url, inc->tenant_id, inc->id);
}

void deliver_incident(struct notify_incident *out, const struct store_incident *inc,
		      const char *tenant_name, const char *device_name, const char *link,
		      const char *helpdesk, bool escalated)
{
	*out = (struct notify_incident){
		.id = inc->id,
		.tenant_name = tenant_name,
		.device_name = device_name,
		.severity = inc->severity,
		.kind = inc->kind[0] ? inc->kind : NULL,
		.signature = inc->title,
		.src_ip = inc->src_ip[0] ? inc->src_ip : NULL,
		.dest_ip = inc->dest_ip[0] ? inc->dest_ip : NULL,
		.event_count = inc->event_count,
		.first_us = inc->first_us,
		.last_us = inc->last_us,
		.console_url = link && *link ? link : NULL,
		.helpdesk = helpdesk,
		.escalated = escalated,
	};
}

int deliver_notice(void *arg, const struct store_notice *n, char *why, size_t whylen,
		   long *retry_after)
{
	struct deliver *d = arg;
	char link[512];
	struct notify_incident inc;
	struct notify_target t = { .channel = n->channel, .address = n->address,
				   .secret = n->secret[0] ? n->secret : NULL, .lang = NOTIFY_JA };
	if (notify_lang_parse(n->lang, &t.lang) < 0)
		t.lang = NOTIFY_JA;
	deliver_link(d->console_url, &n->inc, link, sizeof(link));
	deliver_incident(&inc, &n->inc, n->tenant_name, n->device_name, link, d->helpdesk,
			 n->escalated);
	return notify_send(d->ctx, &t, &inc, why, whylen, retry_after);
}
