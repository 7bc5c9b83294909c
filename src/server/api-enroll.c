/*
 * api-enroll.c - POST /api/v1/enroll: a device presents a one-time token and
 * a certificate request, and receives its id and a client certificate
 * signed by the server's CA (docs/wire-protocol.md).
 *
 * The certificate is signed before the token is claimed: claiming the token
 * and adding the device happen in one transaction (store_enroll), so a
 * token is spent only on a device that exists, and a request that fails
 * later in the signing leaves the token usable.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "srv-time.h"
#include "token.h"
#include "../lib/log.h"

/* A string member of o, or NULL after answering 400. */
static const char *field(struct http_req *r, json_t *o, const char *name, size_t max)
{
	json_t *v = json_object_get(o, name);
	if (!json_is_string(v)) {
		http_error(r, 400, "bad_request", "'%s' is missing or not a string", name);
		return NULL;
	}
	size_t n = json_string_length(v);
	if (!n || n > max) {
		http_error(r, 400, "bad_request", "'%s' must have 1 to %zu bytes", name, max);
		return NULL;
	}
	return json_string_value(v);
}

/* A device name a person can read: no control characters. */
static bool name_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void answer(struct http_req *r, const struct store_device *d, const char *cert)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "device_id", d->id, "tenant_id", d->tenant_id,
			      "certificate", cert, "ca", ca_cert_pem(r->srv->ca));
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text)
		http_reply(r, 200, text);
	else
		http_error(r, 500, "internal", "out of memory");
}

void api_enroll_body(struct http_req *r)
{
	json_error_t jerr;
	struct store_device d = { 0 };
	char hash[TOKEN_HASH_LEN], err[256] = "";
	char *cert = NULL;
	const char *token, *name, *kind, *csr;

	json_t *o = r->body ? json_loadb(r->body, r->len, 0, &jerr) : NULL;
	if (!json_is_object(o)) {
		http_error(r, 400, "bad_request", "the body must be a JSON object with token, name, "
			   "kind and csr");
		goto out;
	}
	if (!(token = field(r, o, "token", TOKEN_MAX)) ||
	    !(name = field(r, o, "name", STORE_NAME_MAX)) ||
	    !(kind = field(r, o, "kind", 16)) ||
	    !(csr = field(r, o, "csr", 65536)))
		goto out;
	if (!name_ok(name)) {
		http_error(r, 400, "bad_request", "'name' must not contain control characters");
		goto out;
	}
	if (strcmp(kind, "sensor") && strcmp(kind, "agent")) {
		http_error(r, 400, "bad_request", "'kind' must be \"sensor\" or \"agent\"");
		goto out;
	}
	if (token_parse(token, d.tenant_id, hash) < 0) {
		http_error(r, 401, "invalid_token", "the token is not valid");
		goto out;
	}
	token_uuid(d.id);
	int c = ca_sign_device(r->srv->ca, csr, json_string_length(json_object_get(o, "csr")),
			       d.id, d.tenant_id, &cert, d.cert_serial, err, sizeof(err));
	if (c == -1) {
		http_error(r, 400, "bad_csr", "%s", err);
		goto out;
	}
	if (c < 0) {
		http_error(r, 500, "internal", "the certificate could not be signed");
		goto out;
	}
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.kind, sizeof(d.kind), "%s", kind);
	d.enrolled_us = srv_now_us();
	int s = store_enroll(r->srv->store, hash, d.enrolled_us, &d);
	switch (s) {
	case STORE_OK:
		break;
	case STORE_NOTFOUND:
		http_error(r, 401, "invalid_token", "the token is not valid");
		goto out;
	case STORE_TOKEN_USED:
		http_error(r, 401, "invalid_token", "the token has been used already");
		goto out;
	case STORE_TOKEN_EXPIRED:
		http_error(r, 401, "invalid_token", "the token has expired");
		goto out;
	default:
		r->retry_after = 5;
		http_error(r, 503, "unavailable", "storage is unavailable; retry later");
		goto out;
	}
	char actor[64];
	snprintf(actor, sizeof(actor), "device %s", d.id);
	struct store_audit a = { d.tenant_id, actor, "device.enroll", d.id, d.name };
	if (store_audit_add(r->srv->store, d.enrolled_us, &a) < 0)
		ot_warn("device %s enrolled, but the audit log could not record it", d.id);
	ot_notice("enrolled %s %s (%s) for tenant %s", d.kind, d.id, d.name, d.tenant_id);
	answer(r, &d, cert);
out:
	free(cert);
	json_decref(o);
}
