/*
 * https.c - see https.h.  libcurl's easy interface on one reused handle.
 */
#include "https.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "log.h"
#include "util.h"

#define BODY_MAX (4u << 20)

struct https {
	CURL *curl;
	struct https_opts o;
	char *ca, *cert, *key;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct https_resp *r = arg;
	size_t len = size * n, keep = len;
	if (r->len + keep > BODY_MAX)
		keep = BODY_MAX - r->len;
	char *nb = realloc(r->body, r->len + keep + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, data, keep);
	r->len += keep;
	r->body[r->len] = '\0';
	return len;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct https *h = arg;
	return h->o.abandon && h->o.abandon(h->o.abandon_arg);
}

void https_free(struct https *h)
{
	if (!h)
		return;
	if (h->curl) {
		curl_easy_cleanup(h->curl);
		curl_global_cleanup();
	}
	free(h->ca);
	free(h->cert);
	free(h->key);
	free(h);
}

struct https *https_new(const struct https_opts *o)
{
	struct https *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->o = *o;
	if (!o->ca_file || !(h->ca = strdup(o->ca_file)) ||
	    (o->cert_file && !(h->cert = strdup(o->cert_file))) ||
	    (o->key_file && !(h->key = strdup(o->key_file))))
		goto err;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto err;
	if (!(h->curl = curl_easy_init())) {
		curl_global_cleanup();
		goto err;
	}
	CURL *c = h->curl;
	int bad = 0;
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);       /* threads */
	bad |= curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	bad |= curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
	bad |= curl_easy_setopt(c, CURLOPT_CAPATH, NULL);       /* only the pinned CA */
	bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->cert) {
		bad |= curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert);
		bad |= curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (h->key) {
		bad |= curl_easy_setopt(c, CURLOPT_SSLKEY, h->key);
		bad |= curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout);
	bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, OT_MIN(o->timeout, 15L));
	bad |= curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "otasuke/" OT_VERSION);
	bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	bad |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	bad |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	bad |= curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	if (bad) {
		ot_err("libcurl lacks an option the upload needs (HTTPS with TLS 1.2)");
		goto err;
	}
	return h;
err:
	https_free(h);
	return NULL;
}

int https_post(struct https *h, const char *base, const char *path, const char *const *headers,
	       const void *body, size_t len, struct https_resp *r)
{
	struct curl_slist *hl = NULL, *t;
	char url[2048];
	size_t bl = strlen(base);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	while (bl && base[bl - 1] == '/')
		bl--;
	if (snprintf(url, sizeof(url), "%.*s%s", (int)bl, base, path) >= (int)sizeof(url)) {
		snprintf(r->error, sizeof(r->error), "URL too long");
		return -1;
	}
	/* no "Expect: 100-continue": the body is small and a server that
	 * ignores it would stall every request */
	if (!(hl = curl_slist_append(hl, "Expect:")))
		goto oom;
	for (int i = 0; headers && headers[i]; i++) {
		if (!(t = curl_slist_append(hl, headers[i])))
			goto oom;
		hl = t;
	}
	CURL *c = h->curl;
	h->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
		return -1;
	}
	curl_off_t ra = -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		r->retry_after = (long)OT_MIN(ra, (curl_off_t)86400);
	return 0;
oom:
	curl_slist_free_all(hl);
	snprintf(r->error, sizeof(r->error), "out of memory");
	return -1;
}

void https_resp_free(struct https_resp *r)
{
	free(r->body);
	r->body = NULL;
}

const char *https_error_text(const struct https_resp *r, char *buf, size_t len)
{
	json_t *j = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	const char *m = NULL;
	buf[0] = '\0';
	if (json_is_object(j)) {
		m = json_string_value(json_object_get(j, "message"));
		if (!m)
			m = json_string_value(json_object_get(j, "error"));
	}
	if (m)
		snprintf(buf, len, "%s", m);
	json_decref(j);
	return buf;
}
