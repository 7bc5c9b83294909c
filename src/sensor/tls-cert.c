/*
 * tls-cert.c - decode a server (or client) certificate into the strings of
 * the EVE `tls` event.
 *
 * GnuTLS does the DER decoding; what is ours is the presentation, which
 * must match what Suricata prints so that rules and dashboards written for
 * it keep working:
 *   - a distinguished name is its RDNs in certificate order joined by ", ",
 *     the values of a multi-valued RDN joined by " + ", each "NAME=value"
 *     where NAME is C, ST, L, O, OU, CN, DC or Email for the usual
 *     attributes, the registered long name for a few others
 *     (serialNumber, businessCategory, ...), and "OID(1.2.3)" otherwise;
 *     string values are copied as they are (they must be valid UTF-8;
 *     BMPString is converted), other types are shown as uppercase hex.
 *     A name that cannot be shown that way is left out entirely;
 *   - the serial is the raw bytes of the DER INTEGER (a leading 00 kept)
 *     as uppercase hex separated by ':';
 *   - the fingerprint is the SHA-1 of the DER in lowercase hex with ':';
 *   - times are UTC "YYYY-MM-DDTHH:MM:SS".
 */
#include "tls-cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <nettle/sha1.h>

static const struct {
	const char *oid;
	const char *name;
} oid_names[] = {
	{ "2.5.4.3", "CN" },
	{ "2.5.4.6", "C" },
	{ "2.5.4.7", "L" },
	{ "2.5.4.8", "ST" },
	{ "2.5.4.10", "O" },
	{ "2.5.4.11", "OU" },
	{ "0.9.2342.19200300.100.1.25", "DC" },
	{ "1.2.840.113549.1.9.1", "Email" },
	{ "2.5.4.4", "surname" },
	{ "2.5.4.5", "serialNumber" },
	{ "2.5.4.9", "streetAddress" },
	{ "2.5.4.12", "title" },
	{ "2.5.4.13", "description" },
	{ "2.5.4.15", "businessCategory" },
	{ "2.5.4.16", "postalAddress" },
	{ "2.5.4.17", "postalCode" },
	{ "2.5.4.41", "name" },
	{ "2.5.4.42", "givenName" },
	{ "2.5.4.43", "initials" },
	{ "2.5.4.44", "generationQualifier" },
	{ "2.5.4.45", "uniqueIdentifier" },
	{ "2.5.4.46", "dnQualifier" },
	{ "1.3.6.1.4.1.311.60.2.1.1", "jurisdictionOfIncorporationLocalityName" },
	{ "1.3.6.1.4.1.311.60.2.1.2", "jurisdictionOfIncorporationStateOrProvinceName" },
	{ "1.3.6.1.4.1.311.60.2.1.3", "jurisdictionOfIncorporationCountryName" },
};

/* A growable string; every append is bounded by what the certificate
 * holds, which the TLS parser caps. */
struct str {
	char *p;
	size_t len, cap;
	bool oom;
};

static void str_add(struct str *s, const void *d, size_t n)
{
	if (s->oom)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 128;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *p = realloc(s->p, cap);
		if (!p) {
			s->oom = true;
			return;
		}
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, d, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void str_adds(struct str *s, const char *z)
{
	str_add(s, z, strlen(z));
}

/* Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF), and no
 * NUL, which a C string cannot carry. */
static bool utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		size_t k;
		uint32_t cp;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += k + 1;
	}
	return true;
}

static void str_add_utf8(struct str *s, uint32_t cp)
{
	uint8_t b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	str_add(s, b, n);
}

/* BMPString (UTF-16BE) to UTF-8; false on odd length, an unpaired
 * surrogate or a NUL. */
static bool add_bmp(struct str *s, const uint8_t *p, size_t n)
{
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		uint32_t u = (uint32_t)p[i] << 8 | p[i + 1];
		if (u == 0)
			return false;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 4 > n)
				return false;
			uint32_t l = (uint32_t)p[i + 2] << 8 | p[i + 3];
			if (l < 0xdc00 || l > 0xdfff)
				return false;
			u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
			i += 2;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return false;
		}
		str_add_utf8(s, u);
	}
	return true;
}

static void add_hex(struct str *s, const uint8_t *p, size_t n, bool upper,
		    char sep)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		char t[3];
		size_t k = 0;
		if (sep && i)
			t[k++] = sep;
		t[k++] = dig[p[i] >> 4];
		t[k++] = dig[p[i] & 15];
		str_add(s, t, k);
	}
}

/* Universal tags of the ASN.1 string types that are shown as text. */
static bool is_text_tag(unsigned long tag)
{
	switch (tag) {
	case 7:   /* ObjectDescriptor */
	case 12:  /* UTF8String */
	case 18:  /* NumericString */
	case 19:  /* PrintableString */
	case 20:  /* T61String */
	case 21:  /* VideotexString */
	case 22:  /* IA5String */
	case 25:  /* GraphicString */
	case 26:  /* VisibleString */
	case 27:  /* GeneralString */
		return true;
	default:
		return false;
	}
}

static bool add_ava(struct str *s, const gnutls_x509_ava_st *ava)
{
	const char *oid = (const char *)ava->oid.data;
	size_t oid_len = oid ? strnlen(oid, ava->oid.size) : 0;
	const char *name = NULL;

	for (size_t i = 0; i < sizeof(oid_names) / sizeof(oid_names[0]); i++) {
		if (strlen(oid_names[i].oid) == oid_len &&
		    memcmp(oid_names[i].oid, oid, oid_len) == 0) {
			name = oid_names[i].name;
			break;
		}
	}
	if (name) {
		str_adds(s, name);
	} else {
		str_adds(s, "OID(");
		str_add(s, oid ? oid : "", oid_len);
		str_adds(s, ")");
	}
	str_adds(s, "=");

	const uint8_t *v = ava->value.data;
	size_t vn = v ? ava->value.size : 0;
	if (is_text_tag(ava->value_tag)) {
		if (!utf8_ok(v, vn))
			return false;
		str_add(s, v, vn);
	} else if (ava->value_tag == 30) {  /* BMPString */
		return add_bmp(s, v, vn);
	} else {
		add_hex(s, v, vn, true, 0);
	}
	return true;
}

/* The DN as one string, or NULL when it cannot be shown (or no memory). */
static char *dn_string(gnutls_x509_dn_t dn)
{
	struct str s = { 0 };

	str_add(&s, "", 0);
	for (int i = 0; i < 4096; i++) {
		int j;
		for (j = 0; j < 256; j++) {
			gnutls_x509_ava_st ava;
			int r = gnutls_x509_dn_get_rdn_ava(dn, i, j, &ava);
			if (r == GNUTLS_E_ASN1_ELEMENT_NOT_FOUND)
				break;
			if (r < 0)
				goto fail;
			if (j > 0)
				str_adds(&s, " + ");
			else if (i > 0)
				str_adds(&s, ", ");
			if (!add_ava(&s, &ava))
				goto fail;
		}
		if (j == 0)
			break;
	}
	if (s.oom)
		goto fail;
	return s.p;
fail:
	free(s.p);
	return NULL;
}

void tls_cert_clear(struct tls_cert *c)
{
	free(c->subject);
	free(c->issuer);
	free(c->serial);
	memset(c, 0, sizeof(*c));
}

int tls_cert_time_fmt(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if ((int64_t)tt != t || !gmtime_r(&tt, &tm))
		return -1;
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -1;
	return 0;
}

static int cert_decode(const uint8_t *der, size_t len, struct tls_cert *c)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { .data = (unsigned char *)der, .size = (unsigned)len };
	gnutls_x509_dn_t dn;
	int ret = 0;

	if (len == 0 || len > UINT32_MAX)
		return -1;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return -1;
	}
	c->parsed = true;

	if (gnutls_x509_crt_get_subject(crt, &dn) == 0)
		c->subject = dn_string(dn);
	if (gnutls_x509_crt_get_issuer(crt, &dn) == 0)
		c->issuer = dn_string(dn);

	/* The serial: ask for its size first; it cannot exceed the DER. */
	size_t sl = 0;
	int r = gnutls_x509_crt_get_serial(crt, NULL, &sl);
	if ((r == GNUTLS_E_SHORT_MEMORY_BUFFER || r == 0) && sl <= len) {
		uint8_t *raw = malloc(sl ? sl : 1);
		if (raw && gnutls_x509_crt_get_serial(crt, raw, &sl) == 0) {
			struct str s = { 0 };
			str_add(&s, "", 0);
			add_hex(&s, raw, sl, true, ':');
			if (s.oom) {
				free(s.p);
				ret = -1;
			} else {
				c->serial = s.p;
			}
		} else if (!raw) {
			ret = -1;
		}
		free(raw);
	}

	time_t t = gnutls_x509_crt_get_activation_time(crt);
	if (t != (time_t)-1)
		c->not_before = (int64_t)t;
	t = gnutls_x509_crt_get_expiration_time(crt);
	if (t != (time_t)-1)
		c->not_after = (int64_t)t;

	gnutls_x509_crt_deinit(crt);
	return ret;
}

/*
 * Decoding a certificate with GnuTLS costs far more than everything else a
 * TLS handshake asks of the sensor, and an office meets the same few server
 * certificates over and over.  So the decoded fields are kept in a small
 * direct-mapped cache keyed by the certificate's SHA-1 (which the
 * fingerprint needs anyway), one per thread.
 */
#define CERT_CACHE_SIZE 256

struct cert_cache_entry {
	uint8_t digest[SHA1_DIGEST_SIZE];
	size_t len;
	struct tls_cert cert;
};

static __thread struct cert_cache_entry *cert_cache;

static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* Copy the decoded fields of src into dst (zeroed); -1 when memory ran out. */
static int cert_copy(struct tls_cert *dst, const struct tls_cert *src)
{
	bool oom = false;
	*dst = *src;
	dst->subject = dup_or_null(src->subject, &oom);
	dst->issuer = dup_or_null(src->issuer, &oom);
	dst->serial = dup_or_null(src->serial, &oom);
	if (oom) {
		tls_cert_clear(dst);
		return -1;
	}
	return 0;
}

int tls_cert_parse(const uint8_t *der, size_t len, struct tls_cert *c)
{
	static const char hx[] = "0123456789abcdef";
	struct sha1_ctx sha;
	uint8_t dig[SHA1_DIGEST_SIZE];

	if (len == 0 || len > UINT32_MAX)
		return -1;
	sha1_init(&sha);
	sha1_update(&sha, len, der);
	sha1_digest(&sha, sizeof(dig), dig);

	if (!cert_cache)
		cert_cache = calloc(CERT_CACHE_SIZE, sizeof(*cert_cache));
	struct cert_cache_entry *e = cert_cache ? &cert_cache[dig[0] % CERT_CACHE_SIZE] : NULL;
	int ret;
	if (e && e->cert.parsed && e->len == len && !memcmp(e->digest, dig, sizeof(dig))) {
		ret = cert_copy(c, &e->cert);
	} else {
		ret = cert_decode(der, len, c);
		if (ret == 0 && e) {
			tls_cert_clear(&e->cert);
			if (cert_copy(&e->cert, c) == 0) {
				memcpy(e->digest, dig, sizeof(dig));
				e->len = len;
			}
		}
	}
	if (!c->parsed)
		return -1;
	for (size_t i = 0; i < sizeof(dig); i++) {
		c->fingerprint[3 * i] = hx[dig[i] >> 4];
		c->fingerprint[3 * i + 1] = hx[dig[i] & 15];
		c->fingerprint[3 * i + 2] = i + 1 < sizeof(dig) ? ':' : '\0';
	}
	return ret;
}
