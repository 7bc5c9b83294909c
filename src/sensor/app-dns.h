/*
 * app-dns.h - what the rule engine reads of a DNS message.
 *
 * The DNS parser (app-dns.c) keeps nothing once a message is logged, so
 * it hands each message to detection while it still has it: through
 * app_tx_ready() with proto APP_DNS, the message's direction and tx_id,
 * progress DNS_PROGRESS_MESSAGE, and tx pointing at the message being
 * read.  These accessors read that tx during the call.
 */
#ifndef OT_APP_DNS_H
#define OT_APP_DNS_H

#include <stdbool.h>
#include <stddef.h>

#define DNS_PROGRESS_MESSAGE 1

/* Questions of the message that parsed. */
size_t app_dns_query_count(const void *tx);
/* Name of question i as EVE writes it ("www.example.com"), into buf
 * (cap >= 255 holds any name); its length, or -1 when there is none. */
int app_dns_query_name(const void *tx, size_t i, char *buf, size_t cap);
/* The message is a response (QR set). */
bool app_dns_is_response(const void *tx);

#endif
