/*
 * https.h - POST requests to otasuked over HTTPS (libcurl), the way every
 * device talks to its server (docs/wire-protocol.md): TLS 1.2 or later,
 * the server's certificate checked against the one CA given and no other
 * (the provider's own CA, obtained with the enrollment token: the system's
 * CA list is not consulted, so no public CA can stand in for the server),
 * host name checked, and, once enrolled, the device's own certificate and
 * key presented.  No redirects are followed.
 *
 * One handle keeps its connection open between requests; it belongs to
 * one thread at a time.
 */
#ifndef OT_HTTPS_H
#define OT_HTTPS_H

#include <stddef.h>

struct https_opts {
	const char *ca_file;        /* PEM; the only CA trusted */
	const char *cert_file;      /* PEM client certificate, or NULL */
	const char *key_file;       /* its key (PEM), or NULL */
	long timeout;               /* seconds for one whole request */
	/* Polled during a transfer: nonzero abandons it (NULL: never). */
	int (*abandon)(void *arg);
	void *abandon_arg;
};

struct https_resp {
	long status;                /* the HTTP status, 0 when none came */
	char *body;                 /* malloc'd, NUL-terminated (at most 4 MiB kept) */
	size_t len;
	long retry_after;           /* Retry-After in seconds, -1 when absent */
	char error[256];            /* what went wrong when status is 0 */
};

struct https;

/* A handle for requests with these options (the strings are copied);
 * NULL on failure (logged).  Make it in the program's first thread: it
 * initialises libcurl, which is not thread-safe to initialise. */
struct https *https_new(const struct https_opts *o);
void https_free(struct https *h);

/*
 * POST body[0..len) to base + path ("https://host:8443" + "/api/v1/events")
 * with the extra header lines given (NULL-terminated array).  Returns 0
 * when an HTTP answer came (r->status), -1 otherwise (r->error says why).
 * Free r with https_resp_free either way.
 */
int https_post(struct https *h, const char *base, const char *path, const char *const *headers,
	       const void *body, size_t len, struct https_resp *r);
void https_resp_free(struct https_resp *r);

/* The "message" (else "error") of a JSON error answer, or "" (r->body
 * may be anything). */
const char *https_error_text(const struct https_resp *r, char *buf, size_t len);

#endif
