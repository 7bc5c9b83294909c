/*
 * deliver.h - how the notifier's queued notifications reach people: a
 * notification of the store (struct store_notice: the contact and the
 * incident) made into notify.h's target and incident and sent with
 * notify_send().  One struct deliver per notifier thread (it holds the
 * libcurl handle).
 */
#ifndef OT_DELIVER_H
#define OT_DELIVER_H

#include <stddef.h>

#include "notify.h"
#include "store-incident.h"

struct deliver {
	struct notify_ctx *ctx;
	const char *console_url;   /* console.url, or NULL */
	const char *helpdesk;      /* notify.helpdesk, or NULL */
};

/* notifier_deliver_fn over a struct deliver (arg). */
int deliver_notice(void *arg, const struct store_notice *n, char *why, size_t whylen,
		   long *retry_after);

/* The link to incident inc in the console (console_url/#/incidents/ID)
 * into buf; "" when there is no console.url. */
void deliver_link(const char *console_url, const struct store_incident *inc, char *buf,
		  size_t len);

/* The incident as notify.h renders it; strings point into inc, tenant,
 * device, link and helpdesk. */
void deliver_incident(struct notify_incident *out, const struct store_incident *inc,
		      const char *tenant_name, const char *device_name, const char *link,
		      const char *helpdesk, bool escalated);

#endif
