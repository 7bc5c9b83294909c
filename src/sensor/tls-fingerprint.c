/*
 * tls-fingerprint.c - JA3, JA3S and JA4 from parsed TLS hellos.
 *
 * These fingerprints exist so that an analyst can name the software behind
 * a TLS connection (a browser, a malware family, a scanner) from the shape
 * of its hello alone.  They are only useful if they match what every other
 * tool computes, so this file follows the public definitions to the letter:
 * see tls-fingerprint.h for the layouts.  Input is untrusted: the extension
 * block is walked with a length check before every read, and the sizes of
 * the buffers we build are computed from the input lengths (which the TLS
 * parser bounds by its handshake buffer).
 */
#include "tls-fingerprint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>
#include <nettle/sha2.h>

#include "../lib/util.h"

enum {
	EXT_SNI = 0x0000,
	EXT_SUPPORTED_GROUPS = 0x000a,
	EXT_EC_POINT_FORMATS = 0x000b,
	EXT_SIGNATURE_ALGORITHMS = 0x000d,
	EXT_ALPN = 0x0010,
	EXT_SUPPORTED_VERSIONS = 0x002b,
};

static const char hexdig[] = "0123456789abcdef";

int tls_ext_walk(const uint8_t *exts, size_t len,
		 int (*fn)(void *arg, uint16_t type, const uint8_t *data,
			   size_t dlen),
		 void *arg)
{
	size_t off = 0;
	int n = 0;

	if (!exts)
		return 0;
	while (len - off >= 4) {
		uint16_t type = ot_be16(exts + off);
		size_t elen = ot_be16(exts + off + 2);
		if (elen > len - off - 4)
			break;
		int r = fn(arg, type, exts + off + 4, elen);
		if (r < 0)
			return r;
		off += 4 + elen;
		n++;
	}
	return n;
}

/* A bounded string builder; the capacity is computed up front. */
struct sb {
	char *p;
	size_t len, cap;
};

static void sb_putc(struct sb *s, char c)
{
	if (s->len + 1 < s->cap)
		s->p[s->len++] = c;
}

static void sb_putu(struct sb *s, unsigned v)
{
	char tmp[8];
	int n = snprintf(tmp, sizeof(tmp), "%u", v);
	for (int i = 0; i < n; i++)
		sb_putc(s, tmp[i]);
}

/* Values of a list of 2-byte big-endian numbers, GREASE left out. */
static void sb_put_u16_list(struct sb *s, const uint8_t *p, size_t len)
{
	bool first = true;
	for (size_t i = 0; i + 2 <= len; i += 2) {
		uint16_t v = ot_be16(p + i);
		if (tls_is_grease(v))
			continue;
		if (!first)
			sb_putc(s, '-');
		sb_putu(s, v);
		first = false;
	}
}

/* What JA3 takes from the extensions, gathered in one walk. */
struct ja3_exts {
	struct sb *s;
	bool first;
	const uint8_t *groups;
	size_t groups_len;
	const uint8_t *formats;
	size_t formats_len;
};

static int ja3_ext_cb(void *arg, uint16_t type, const uint8_t *d, size_t n)
{
	struct ja3_exts *e = arg;

	if (tls_is_grease(type))
		return 0;
	if (!e->first)
		sb_putc(e->s, '-');
	sb_putu(e->s, type);
	e->first = false;
	if (type == EXT_SUPPORTED_GROUPS && !e->groups && n >= 2) {
		size_t l = ot_be16(d);
		if (l <= n - 2) {
			e->groups = d + 2;
			e->groups_len = l;
		}
	} else if (type == EXT_EC_POINT_FORMATS && !e->formats && n >= 1) {
		size_t l = d[0];
		if (l <= n - 1) {
			e->formats = d + 1;
			e->formats_len = l;
		}
	}
	return 0;
}

int tls_ja3(const struct tls_hello_view *h, bool server, char **str,
	    char hash[TLS_JA3_HASH_LEN + 1])
{
	/* Each 2-byte value prints as at most 5 digits and a separator, an
	 * extension takes at least 4 bytes, a point format 1 byte. */
	size_t cap = 16 + 3 * h->ciphers_len + 4 * h->exts_len;
	struct sb s = { .p = malloc(cap), .cap = cap };
	struct ja3_exts e = { .s = &s, .first = true };

	*str = NULL;
	hash[0] = '\0';
	if (!s.p)
		return -1;
	sb_putu(&s, h->version);
	sb_putc(&s, ',');
	sb_put_u16_list(&s, h->ciphers, server ? OT_MIN(h->ciphers_len, 2) : h->ciphers_len);
	sb_putc(&s, ',');
	tls_ext_walk(h->exts, h->exts_len, ja3_ext_cb, &e);
	if (!server) {
		sb_putc(&s, ',');
		sb_put_u16_list(&s, e.groups, e.groups_len);
		sb_putc(&s, ',');
		for (size_t i = 0; i < e.formats_len; i++) {
			if (i)
				sb_putc(&s, '-');
			sb_putu(&s, e.formats[i]);
		}
	}
	s.p[s.len] = '\0';

	struct md5_ctx md5;
	uint8_t dig[MD5_DIGEST_SIZE];
	md5_init(&md5);
	md5_update(&md5, s.len, (const uint8_t *)s.p);
	md5_digest(&md5, sizeof(dig), dig);
	for (size_t i = 0; i < sizeof(dig); i++) {
		hash[2 * i] = hexdig[dig[i] >> 4];
		hash[2 * i + 1] = hexdig[dig[i] & 15];
	}
	hash[TLS_JA3_HASH_LEN] = '\0';
	*str = s.p;
	return 0;
}

/* ---- JA4 ---- */

struct ja4_exts {
	uint16_t *ext;              /* extension types, GREASE left out */
	size_t n_ext;
	bool sni;
	uint16_t max_version;       /* from supported_versions, 0 if none */
	const uint8_t *alpn;        /* first ALPN protocol name */
	size_t alpn_len;
	const uint8_t *sigalgs;
	size_t sigalgs_len;
};

static int ja4_ext_cb(void *arg, uint16_t type, const uint8_t *d, size_t n)
{
	struct ja4_exts *e = arg;

	if (tls_is_grease(type))
		return 0;
	e->ext[e->n_ext++] = type;
	switch (type) {
	case EXT_SNI:
		e->sni = true;
		break;
	case EXT_SUPPORTED_VERSIONS:
		if (n >= 1 && d[0] <= n - 1) {
			for (size_t i = 1; i + 2 <= (size_t)d[0] + 1; i += 2) {
				uint16_t v = ot_be16(d + i);
				if (!tls_is_grease(v) && v > e->max_version)
					e->max_version = v;
			}
		}
		break;
	case EXT_ALPN:
		if (!e->alpn && n >= 3) {
			size_t l = ot_be16(d);
			if (l <= n - 2 && l >= 1 && d[2] >= 1 && d[2] <= l - 1) {
				e->alpn = d + 3;
				e->alpn_len = d[2];
			}
		}
		break;
	case EXT_SIGNATURE_ALGORITHMS:
		if (!e->sigalgs && n >= 2) {
			size_t l = ot_be16(d);
			if (l <= n - 2) {
				e->sigalgs = d + 2;
				e->sigalgs_len = l & ~(size_t)1;
			}
		}
		break;
	}
	return 0;
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

static void sha_put_hex16(struct sha256_ctx *c, uint16_t v, bool comma)
{
	uint8_t t[5];
	size_t n = 0;
	if (comma)
		t[n++] = ',';
	t[n++] = (uint8_t)hexdig[v >> 12];
	t[n++] = (uint8_t)hexdig[(v >> 8) & 15];
	t[n++] = (uint8_t)hexdig[(v >> 4) & 15];
	t[n++] = (uint8_t)hexdig[v & 15];
	sha256_update(c, n, t);
}

/* First 12 hex digits of the SHA-256 of what was fed, or zeros if empty. */
static void sha_trunc12(struct sha256_ctx *c, bool empty, char *out)
{
	uint8_t dig[SHA256_DIGEST_SIZE];
	sha256_digest(c, sizeof(dig), dig);
	for (int i = 0; i < 6; i++) {
		out[2 * i] = empty ? '0' : hexdig[dig[i] >> 4];
		out[2 * i + 1] = empty ? '0' : hexdig[dig[i] & 15];
	}
}

int tls_ja4(const struct tls_hello_view *h, char out[TLS_JA4_LEN + 1])
{
	size_t max_ciphers = h->ciphers_len / 2;
	size_t max_exts = h->exts_len / 4;
	uint16_t *ciph = malloc((max_ciphers + 1) * sizeof(*ciph));
	uint16_t *ext = malloc((max_exts + 1) * sizeof(*ext));
	struct ja4_exts e = { .ext = ext };
	size_t nc = 0;

	out[0] = '\0';
	if (!ciph || !ext) {
		free(ciph);
		free(ext);
		return -1;
	}
	for (size_t i = 0; i + 2 <= h->ciphers_len; i += 2) {
		uint16_t v = ot_be16(h->ciphers + i);
		if (!tls_is_grease(v))
			ciph[nc++] = v;
	}
	tls_ext_walk(h->exts, h->exts_len, ja4_ext_cb, &e);

	/* part a */
	char alpn[3] = "00";
	if (e.alpn) {
		uint8_t f = e.alpn[0], l = e.alpn[e.alpn_len - 1];
		if (is_alnum(f) && is_alnum(l)) {
			alpn[0] = (char)f;
			alpn[1] = (char)l;
		} else {
			alpn[0] = hexdig[f >> 4];
			alpn[1] = hexdig[l & 15];
		}
	}
	snprintf(out, TLS_JA4_LEN + 1, "t%s%c%02u%02u%s_",
		 ja4_version(e.max_version ? e.max_version : h->version),
		 e.sni ? 'd' : 'i', (unsigned)OT_MIN(nc, 99),
		 (unsigned)OT_MIN(e.n_ext, 99), alpn);

	/* part b: sorted ciphers */
	struct sha256_ctx sc;
	qsort(ciph, nc, sizeof(*ciph), cmp_u16);
	sha256_init(&sc);
	for (size_t i = 0; i < nc; i++)
		sha_put_hex16(&sc, ciph[i], i > 0);
	sha_trunc12(&sc, nc == 0, out + 11);
	out[23] = '_';

	/* part c: sorted extensions without SNI and ALPN, '_', signature
	 * algorithms in wire order */
	qsort(ext, e.n_ext, sizeof(*ext), cmp_u16);
	sha256_init(&sc);
	size_t fed = 0;
	for (size_t i = 0; i < e.n_ext; i++) {
		if (ext[i] == EXT_SNI || ext[i] == EXT_ALPN)
			continue;
		sha_put_hex16(&sc, ext[i], fed > 0);
		fed++;
	}
	/* The '_' is there even without signature algorithms (Suricata
	 * writes it so: "..._" hashes to what its JA4 shows). */
	sha256_update(&sc, 1, (const uint8_t *)"_");
	bool first_sig = true;
	for (size_t i = 0; i + 2 <= e.sigalgs_len; i += 2) {
		uint16_t v = ot_be16(e.sigalgs + i);
		if (tls_is_grease(v))
			continue;
		sha_put_hex16(&sc, v, !first_sig);
		first_sig = false;
	}
	sha_trunc12(&sc, e.n_ext == 0, out + 24);
	out[TLS_JA4_LEN] = '\0';
	free(ciph);
	free(ext);
	return 0;
}
