/*
 * enroll.c - see enroll.h.  GnuTLS makes the key and the request and
 * checks the certificate that comes back; https.c carries the request.
 */
#include "enroll.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "https.h"
#include "log.h"

struct keys {
	gnutls_x509_privkey_t key;
	gnutls_datum_t key_pem;
	gnutls_datum_t csr_pem;
};

static void keys_free(struct keys *k)
{
	if (k->key)
		gnutls_x509_privkey_deinit(k->key);
	if (k->key_pem.data)
		gnutls_memset(k->key_pem.data, 0, k->key_pem.size);
	gnutls_free(k->key_pem.data);
	gnutls_free(k->csr_pem.data);
}

static int make_keys(struct keys *k, const char *name)
{
	gnutls_x509_crq_t crq = NULL;
	int r;
	if ((r = gnutls_x509_privkey_init(&k->key)) < 0 ||
	    (r = gnutls_x509_privkey_generate(k->key, GNUTLS_PK_ECDSA,
					      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (r = gnutls_x509_privkey_export2_pkcs8(k->key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
						   &k->key_pem)) < 0 ||
	    (r = gnutls_x509_crq_init(&crq)) < 0 ||
	    (r = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (r = gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, name,
					       (unsigned)strlen(name))) < 0 ||
	    (r = gnutls_x509_crq_set_key(crq, k->key)) < 0 ||
	    (r = gnutls_x509_crq_sign2(crq, k->key, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (r = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &k->csr_pem)) < 0) {
		ot_err("enroll: cannot make the device key and request: %s", gnutls_strerror(r));
		if (crq)
			gnutls_x509_crq_deinit(crq);
		return -1;
	}
	gnutls_x509_crq_deinit(crq);
	return 0;
}

/*
 * The certificate must carry our public key and verify against the CA
 * sent with it: a server that answered with something else (a bug, a
 * proxy) would leave the device unable to upload.
 */
static int check_cert(const struct keys *k, const char *cert_pem, const char *ca_pem)
{
	gnutls_x509_crt_t crt = NULL, *cas = NULL;
	unsigned ncas = 0, status = 0;
	unsigned char kid1[64], kid2[64];
	size_t l1 = sizeof(kid1), l2 = sizeof(kid2);
	gnutls_datum_t c = { (unsigned char *)cert_pem, (unsigned)strlen(cert_pem) };
	gnutls_datum_t a = { (unsigned char *)ca_pem, (unsigned)strlen(ca_pem) };
	int rc = -1;
	if (gnutls_x509_crt_init(&crt) < 0 || gnutls_x509_crt_import(crt, &c, GNUTLS_X509_FMT_PEM) < 0) {
		ot_err("enroll: the server's certificate is not a PEM certificate");
		goto out;
	}
	if (gnutls_x509_crt_list_import2(&cas, &ncas, &a, GNUTLS_X509_FMT_PEM, 0) < 0 || !ncas) {
		ot_err("enroll: the server's \"ca\" is not a PEM certificate");
		goto out;
	}
	if (gnutls_x509_crt_get_key_id(crt, 0, kid1, &l1) < 0 ||
	    gnutls_x509_privkey_get_key_id(k->key, 0, kid2, &l2) < 0 || l1 != l2 || memcmp(kid1, kid2, l1)) {
		ot_err("enroll: the certificate the server sent is not for this device's key");
		goto out;
	}
	if (gnutls_x509_crt_list_verify(&crt, 1, cas, ncas, NULL, 0, 0, &status) < 0 || status) {
		ot_err("enroll: the certificate the server sent does not verify against its CA");
		goto out;
	}
	rc = 0;
out:
	for (unsigned i = 0; i < ncas; i++)
		gnutls_x509_crt_deinit(cas[i]);
	gnutls_free(cas);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

/* Whole or not at all: temporary file, fsync, rename. */
static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto err;
	if (fchmod(fd, mode) < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		goto err;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		goto err;
	}
	return 0;
err:
	ot_err("enroll: cannot write %s: %s", path, strerror(errno));
	return -1;
}

static int copy_str(char *dst, size_t len, json_t *v, const char *what)
{
	const char *s = json_string_value(v);
	if (!s || !*s || strlen(s) >= len) {
		ot_err("enroll: the server's answer lacks \"%s\"", what);
		return -1;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int store(const struct enroll_req *req, const struct keys *k, const char *cert,
		 const char *ca, struct enroll_result *res)
{
	if (mkdir(req->dir, 0700) < 0 && errno != EEXIST) {
		ot_err("enroll: cannot create %s: %s", req->dir, strerror(errno));
		return -1;
	}
	snprintf(res->key_file, sizeof(res->key_file), "%s/device.key", req->dir);
	snprintf(res->cert_file, sizeof(res->cert_file), "%s/device.crt", req->dir);
	snprintf(res->ca_file, sizeof(res->ca_file), "%s/ca.pem", req->dir);
	if (write_file(res->key_file, k->key_pem.data, k->key_pem.size, 0600) < 0 ||
	    write_file(res->cert_file, cert, strlen(cert), 0644) < 0 ||
	    write_file(res->ca_file, ca, strlen(ca), 0644) < 0)
		return -1;
	return 0;
}

static int answer(const struct enroll_req *req, const struct keys *k, const struct https_resp *r,
		  struct enroll_result *res)
{
	char msg[256];
	if (r->status != 200) {
		https_error_text(r, msg, sizeof(msg));
		ot_err("enroll: %s refused the enrollment (HTTP %ld)%s%s%s", req->url, r->status,
		       *msg ? ": " : "", msg,
		       r->status == 401 ? " (ask the provider for a new token)" : "");
		return -1;
	}
	json_t *j = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	int rc = -1;
	if (!json_is_object(j)) {
		ot_err("enroll: the server's answer is not a JSON object");
	} else if (copy_str(res->device_id, sizeof(res->device_id), json_object_get(j, "device_id"), "device_id") == 0 &&
		   copy_str(res->tenant_id, sizeof(res->tenant_id), json_object_get(j, "tenant_id"), "tenant_id") == 0) {
		const char *cert = json_string_value(json_object_get(j, "certificate"));
		const char *ca = json_string_value(json_object_get(j, "ca"));
		if (!cert || !ca)
			ot_err("enroll: the server's answer lacks \"certificate\" or \"ca\"");
		else if (check_cert(k, cert, ca) == 0)
			rc = store(req, k, cert, ca, res);
	}
	json_decref(j);
	return rc;
}

int enroll_device(const struct enroll_req *req, struct enroll_result *res)
{
	struct keys k = { 0 };
	struct https_opts ho = { .ca_file = req->ca_file, .timeout = 60 };
	struct https *h = NULL;
	struct https_resp r = { 0 };
	char *body = NULL;
	int rc = -1;
	memset(res, 0, sizeof(*res));
	if (make_keys(&k, req->name) < 0)
		goto out;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s%}", "token", req->token, "name", req->name,
			      "kind", req->kind, "csr", (const char *)k.csr_pem.data, (size_t)k.csr_pem.size);
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body || !(h = https_new(&ho)))
		goto out;
	const char *const headers[] = { "Content-Type: application/json", NULL };
	if (https_post(h, req->url, "/api/v1/enroll", headers, body, strlen(body), &r) < 0) {
		ot_err("enroll: %s: %s", req->url, r.error);
		goto out;
	}
	rc = answer(req, &k, &r, res);
out:
	https_resp_free(&r);
	https_free(h);
	free(body);
	keys_free(&k);
	return rc;
}
