/*
 * ca.c - see ca.h.  GnuTLS does the cryptography and the encoding; this file
 * decides what goes into each certificate and where the CA's files live.
 *
 * The CA's files are written under a temporary name and renamed into place,
 * key first, so that a crash while creating them leaves either nothing (the
 * next start creates a CA) or a key without a certificate, which is
 * reported rather than silently replaced: replacing a CA would cut off
 * every enrolled device.
 *
 * Signing takes a mutex: enrollments are rare, and a GnuTLS private key is
 * not documented as safe to use from two threads at once.
 */
#include "ca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"

#define CA_DAYS 3650
#define SERVER_DAYS 825
/* Certificates start a little in the past, for clocks that lag. */
#define BACKDATE 300
/* A certificate request larger than this is not one. */
#define CSR_MAX 16384

struct ca {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t xkey;
	gnutls_privkey_t key;
	gnutls_x509_trust_list_t trust;
	char *pem;
	char *path;
	char fingerprint[CA_FINGERPRINT_LEN];
	pthread_mutex_t lock;
};

/* dir/name into buf. */
static const char *join(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static int read_file(const char *path, gnutls_datum_t *out)
{
	int r = gnutls_load_file(path, out);
	if (r < 0) {
		ot_err("%s: cannot read: %s", path, gnutls_strerror(r));
		return -1;
	}
	return 0;
}

/* Write data to path with mode, through a temporary file and a rename. */
static int write_file(const char *path, const gnutls_datum_t *data, mode_t mode)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto err;
	size_t off = 0;
	while (off < data->size) {
		ssize_t w = write(fd, data->data + off, data->size - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto err;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
		goto err;
	return 0;
err:
	ot_err("%s: cannot write: %s", path, strerror(errno));
	unlink(tmp);
	return -1;
}

/* A random positive serial number of 16 bytes; its hex into hex (may be NULL). */
static int set_serial(gnutls_x509_crt_t crt, char *hex)
{
	unsigned char s[16];
	if (gnutls_rnd(GNUTLS_RND_NONCE, s, sizeof(s)) < 0)
		return -1;
	s[0] = (unsigned char)((s[0] & 0x7f) | 0x01);  /* positive, no leading zero */
	if (hex)
		for (size_t i = 0; i < sizeof(s); i++)
			snprintf(hex + 2 * i, 3, "%02x", s[i]);
	return gnutls_x509_crt_set_serial(crt, s, sizeof(s));
}

/* What every certificate has: version, serial, validity.  Then the caller
 * adds its subject, key and extensions. */
static int crt_base(gnutls_x509_crt_t crt, unsigned days, char *serial_hex)
{
	time_t now = time(NULL);
	if (gnutls_x509_crt_set_version(crt, 3) < 0 || set_serial(crt, serial_hex) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - BACKDATE) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400) < 0)
		return -1;
	return 0;
}

/* Subject key id from the key, authority key id from the CA (NULL: self). */
static int set_key_ids(gnutls_x509_crt_t crt, gnutls_pubkey_t pub, const struct ca *ca)
{
	unsigned char id[64];
	size_t len = sizeof(id);
	if (gnutls_pubkey_get_key_id(pub, 0, id, &len) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, id, len) < 0)
		return -1;
	if (ca) {
		len = sizeof(id);
		unsigned crit;
		if (gnutls_x509_crt_get_subject_key_id(ca->crt, id, &len, &crit) < 0 ||
		    gnutls_x509_crt_set_authority_key_id(crt, id, len) < 0)
			return -1;
	}
	return 0;
}

static int sign(struct ca *ca, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer)
{
	pthread_mutex_lock(&ca->lock);
	int r = gnutls_x509_crt_privkey_sign(crt, issuer, ca->key, GNUTLS_DIG_SHA256, 0);
	pthread_mutex_unlock(&ca->lock);
	if (r < 0)
		ot_err("CA: cannot sign a certificate: %s", gnutls_strerror(r));
	return r < 0 ? -1 : 0;
}

/* An exported datum as a NUL-terminated malloc'd string. */
static char *datum_str(gnutls_datum_t *d)
{
	char *s = malloc(d->size + 1);
	if (s) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

static int new_key(gnutls_x509_privkey_t *key)
{
	if (gnutls_x509_privkey_init(key) < 0)
		return -1;
	if (gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0) {
		gnutls_x509_privkey_deinit(*key);
		return -1;
	}
	return 0;
}

static gnutls_pubkey_t pubkey_of(gnutls_x509_privkey_t xkey)
{
	gnutls_privkey_t pk;
	gnutls_pubkey_t pub;
	if (gnutls_privkey_init(&pk) < 0)
		return NULL;
	if (gnutls_privkey_import_x509(pk, xkey, 0) < 0 || gnutls_pubkey_init(&pub) < 0) {
		gnutls_privkey_deinit(pk);
		return NULL;
	}
	if (gnutls_pubkey_import_privkey(pub, pk, 0, 0) < 0) {
		gnutls_pubkey_deinit(pub);
		pub = NULL;
	}
	gnutls_privkey_deinit(pk);
	return pub;
}

/* Create dir/ca.key and dir/ca.pem. */
static int create_ca(const char *dir)
{
	char path[4096];
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_privkey_t pk = NULL;
	gnutls_datum_t out = { NULL, 0 };
	int rc = -1;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ot_err("%s: cannot create: %s", dir, strerror(errno));
		return -1;
	}
	if (new_key(&key) < 0 || !(pub = pubkey_of(key)) || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (crt_base(crt, CA_DAYS, NULL) < 0 ||
	    gnutls_x509_crt_set_dn(crt, "CN=otasuke CA,O=otasuked", NULL) < 0 ||
	    gnutls_x509_crt_set_pubkey(crt, pub) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, 0) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) < 0 ||
	    set_key_ids(crt, pub, NULL) < 0)
		goto out;
	if (gnutls_privkey_init(&pk) < 0 || gnutls_privkey_import_x509(pk, key, 0) < 0 ||
	    gnutls_x509_crt_privkey_sign(crt, crt, pk, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &out) < 0 ||
	    write_file(join(path, sizeof(path), dir, "ca.key"), &out, 0600) < 0)
		goto out;
	gnutls_free(out.data);
	out.data = NULL;
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) < 0 ||
	    write_file(join(path, sizeof(path), dir, "ca.pem"), &out, 0644) < 0)
		goto out;
	ot_notice("created a new CA in %s", dir);
	rc = 0;
out:
	if (rc < 0)
		ot_err("%s: cannot create the CA", dir);
	gnutls_free(out.data);
	gnutls_privkey_deinit(pk);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

struct ca *ca_open(const char *dir)
{
	char cpath[4096], kpath[4096];
	gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
	struct ca *ca = NULL;
	unsigned char fp[32];
	size_t fplen = sizeof(fp);

	join(cpath, sizeof(cpath), dir, "ca.pem");
	join(kpath, sizeof(kpath), dir, "ca.key");
	bool have_c = access(cpath, F_OK) == 0, have_k = access(kpath, F_OK) == 0;
	if (!have_c && !have_k) {
		if (create_ca(dir) < 0)
			return NULL;
	} else if (!have_c || !have_k) {
		ot_err("%s: %s is missing but %s exists: restore it from a backup (a new CA would "
		       "cut off every enrolled device), or remove both to start a new CA",
		       dir, have_c ? "ca.key" : "ca.pem", have_c ? "ca.pem" : "ca.key");
		return NULL;
	}
	if (read_file(cpath, &cd) < 0 || read_file(kpath, &kd) < 0)
		goto err;
	ca = calloc(1, sizeof(*ca));
	if (!ca)
		goto err;
	pthread_mutex_init(&ca->lock, NULL);
	if (!(ca->path = strdup(cpath)) || !(ca->pem = strndup((char *)cd.data, cd.size)))
		goto err;
	if (gnutls_x509_crt_init(&ca->crt) < 0 ||
	    gnutls_x509_crt_import(ca->crt, &cd, GNUTLS_X509_FMT_PEM) < 0) {
		ot_err("%s: not a PEM certificate", cpath);
		goto err;
	}
	if (gnutls_x509_privkey_init(&ca->xkey) < 0 ||
	    gnutls_x509_privkey_import(ca->xkey, &kd, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_privkey_init(&ca->key) < 0 ||
	    gnutls_privkey_import_x509(ca->key, ca->xkey, 0) < 0) {
		ot_err("%s: not a PEM private key", kpath);
		goto err;
	}
	if (gnutls_x509_trust_list_init(&ca->trust, 0) < 0 ||
	    gnutls_x509_trust_list_add_trust_mem(ca->trust, &cd, NULL, GNUTLS_X509_FMT_PEM,
						 0, 0) != 1) {
		ot_err("%s: cannot be used as a trust anchor", cpath);
		goto err;
	}
	if (gnutls_x509_crt_get_fingerprint(ca->crt, GNUTLS_DIG_SHA256, fp, &fplen) < 0)
		goto err;
	for (size_t i = 0; i < fplen; i++)
		snprintf(ca->fingerprint + 3 * i, 4, "%02X%s", fp[i], i + 1 < fplen ? ":" : "");
	gnutls_free(cd.data);
	gnutls_free(kd.data);
	return ca;
err:
	gnutls_free(cd.data);
	gnutls_free(kd.data);
	ca_free(ca);
	return NULL;
}

void ca_free(struct ca *ca)
{
	if (!ca)
		return;
	if (ca->trust)
		gnutls_x509_trust_list_deinit(ca->trust, 1);
	gnutls_privkey_deinit(ca->key);
	gnutls_x509_privkey_deinit(ca->xkey);
	gnutls_x509_crt_deinit(ca->crt);
	pthread_mutex_destroy(&ca->lock);
	free(ca->pem);
	free(ca->path);
	free(ca);
}

const char *ca_cert_pem(const struct ca *ca)
{
	return ca->pem;
}

const char *ca_cert_path(const struct ca *ca)
{
	return ca->path;
}

const char *ca_fingerprint(const struct ca *ca)
{
	return ca->fingerprint;
}

static int add_name(gnutls_x509_crt_t crt, const char *name)
{
	unsigned char ip[16];
	if (inet_pton(AF_INET, name, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
							    GNUTLS_FSAN_APPEND);
	if (inet_pton(AF_INET6, name, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
							    GNUTLS_FSAN_APPEND);
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
						    (unsigned)strlen(name), GNUTLS_FSAN_APPEND);
}

int ca_issue_server(struct ca *ca, const char *const *names, size_t n,
		    char **cert_pem, char **key_pem)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t out = { NULL, 0 };
	int rc = -1;

	*cert_pem = *key_pem = NULL;
	if (new_key(&key) < 0 || !(pub = pubkey_of(key)) || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (crt_base(crt, SERVER_DAYS, NULL) < 0 ||
	    gnutls_x509_crt_set_dn(crt, "CN=otasuked", NULL) < 0 ||
	    gnutls_x509_crt_set_pubkey(crt, pub) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    set_key_ids(crt, pub, ca) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (add_name(crt, names[i]) < 0) {
			ot_err("tls.names: '%s' cannot be put in a certificate", names[i]);
			goto out;
		}
	}
	if (sign(ca, crt, ca->crt) < 0)
		goto out;
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) < 0 || !(*cert_pem = datum_str(&out)))
		goto out;
	if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &out) < 0 || !(*key_pem = datum_str(&out)))
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		ot_err("CA: cannot issue the server certificate");
		free(*cert_pem);
		free(*key_pem);
		*cert_pem = *key_pem = NULL;
	}
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

/* Is the request's key acceptable?  err says why not. */
static int key_ok(gnutls_pubkey_t pub, char *err, size_t errlen)
{
	unsigned bits = 0;
	int alg = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	switch (alg) {
	case GNUTLS_PK_RSA:
		if (bits < 2048) {
			snprintf(err, errlen, "the RSA key has %u bits; at least 2048 are needed", bits);
			return -1;
		}
		return 0;
	case GNUTLS_PK_ECDSA:
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		return 0;
	default:
		snprintf(err, errlen, "the key type is not supported (use ECDSA, Ed25519 or RSA)");
		return -1;
	}
}

int ca_sign_device(struct ca *ca, const char *csr, size_t len, const char *device_id,
		   const char *tenant_id, char **cert_pem, char serial[CA_SERIAL_LEN],
		   char *err, size_t errlen)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t in = { (unsigned char *)csr, (unsigned)len }, out = { NULL, 0 };
	char dn[128];
	int rc = -2;

	*cert_pem = NULL;
	if (len > CSR_MAX) {
		snprintf(err, errlen, "the certificate request is larger than %d bytes", CSR_MAX);
		return -1;
	}
	if (gnutls_x509_crq_init(&crq) < 0 || gnutls_pubkey_init(&pub) < 0)
		goto out;
	if (gnutls_x509_crq_import(crq, &in, GNUTLS_X509_FMT_PEM) < 0) {
		snprintf(err, errlen, "'csr' is not a PEM certificate request");
		rc = -1;
		goto out;
	}
	if (gnutls_x509_crq_verify(crq, 0) < 0) {
		snprintf(err, errlen, "the certificate request's signature does not match its key");
		rc = -1;
		goto out;
	}
	if (gnutls_pubkey_import_x509_crq(pub, crq, 0) < 0) {
		snprintf(err, errlen, "the certificate request's key cannot be read");
		rc = -1;
		goto out;
	}
	if (key_ok(pub, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	unsigned usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
	if (gnutls_pubkey_get_pk_algorithm(pub, NULL) == GNUTLS_PK_RSA)
		usage |= GNUTLS_KEY_KEY_ENCIPHERMENT;
	snprintf(dn, sizeof(dn), "CN=%s,O=%s", device_id, tenant_id);
	if (gnutls_x509_crt_init(&crt) < 0 || crt_base(crt, CA_DEVICE_DAYS, serial) < 0 ||
	    gnutls_x509_crt_set_dn(crt, dn, NULL) < 0 ||
	    gnutls_x509_crt_set_pubkey(crt, pub) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, usage) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0 ||
	    set_key_ids(crt, pub, ca) < 0 || sign(ca, crt, ca->crt) < 0)
		goto out;
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) < 0 || !(*cert_pem = datum_str(&out)))
		goto out;
	rc = 0;
out:
	if (rc == -2)
		ot_err("CA: cannot sign a device certificate");
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crq_deinit(crq);
	return rc;
}

/* The value of one subject attribute, which must be a UUID. */
static int dn_uuid(gnutls_x509_crt_t crt, const char *oid, char out[37])
{
	char buf[64];
	size_t len = sizeof(buf);
	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, buf, &len) < 0 || len != 36)
		return -1;
	memcpy(out, buf, 36);
	out[36] = '\0';
	return 0;
}

int ca_check_client(struct ca *ca, gnutls_session_t session, char device_id[37],
		    char tenant_id[37], char serial[CA_SERIAL_LEN], char *err, size_t errlen)
{
	unsigned n = 0;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers(session, &n);
	gnutls_x509_crt_t crt = NULL;
	unsigned status = 0;
	unsigned char sb[20];
	size_t sl = sizeof(sb);
	int rc = -2;

	if (!chain || !n)
		return -1;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -2;
	if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
		snprintf(err, errlen, "the client certificate cannot be read");
		goto out;
	}
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	if (gnutls_x509_trust_list_verify_crt2(ca->trust, &crt, 1, &purpose, 1, 0, &status, NULL) < 0 ||
	    status) {
		gnutls_datum_t why = { NULL, 0 };
		if (status && gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
									   &why, 0) >= 0) {
			snprintf(err, errlen, "the client certificate is not valid: %s", why.data);
			gnutls_free(why.data);
		} else {
			snprintf(err, errlen, "the client certificate is not valid");
		}
		goto out;
	}
	if (dn_uuid(crt, GNUTLS_OID_X520_COMMON_NAME, device_id) < 0 ||
	    dn_uuid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, tenant_id) < 0 ||
	    gnutls_x509_crt_get_serial(crt, sb, &sl) < 0 || sl > 20) {
		snprintf(err, errlen, "the client certificate does not name a device");
		goto out;
	}
	for (size_t i = 0; i < sl; i++)
		snprintf(serial + 2 * i, 3, "%02x", sb[i]);
	rc = 0;
out:
	gnutls_x509_crt_deinit(crt);
	return rc;
}
