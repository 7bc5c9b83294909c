/*
 * tls-cert.h - the X.509 certificate fields that the EVE `tls` event shows.
 *
 * A TLS server names itself through its certificate, and that is what an
 * analyst reads first: subject, issuer, serial, SHA-1 fingerprint and
 * validity.  The certificate is decoded with GnuTLS; the strings are built
 * here in the spellings Suricata logs ("C=US, O=DigiCert Inc, CN=...",
 * "08:3A:84:...", "cc:aa:48:...", "2017-03-23T00:00:00").
 */
#ifndef OT_TLS_CERT_H
#define OT_TLS_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define TLS_CERT_FP_LEN 59      /* 20 bytes as "xx:" * 19 + "xx" */

struct tls_cert {
	char *subject;              /* NULL when absent or not representable */
	char *issuer;               /* idem */
	char *serial;               /* "08:3A:84:..." (raw DER integer bytes) */
	char fingerprint[TLS_CERT_FP_LEN + 1];  /* SHA-1 of the DER; "" if none */
	int64_t not_before, not_after;  /* seconds since the epoch; 0 = unknown */
	bool parsed;                /* the DER decoded */
};

/*
 * Decode one DER certificate into c (which must be zeroed or cleared).
 * Returns 0, or -1 when the DER does not decode (c then holds nothing) or
 * memory ran out (c may hold some fields).
 */
int tls_cert_parse(const uint8_t *der, size_t len, struct tls_cert *c);

/* Free what c holds and zero it. */
void tls_cert_clear(struct tls_cert *c);

/* "2017-03-23T00:00:00" (UTC) into buf (>= 32 bytes); -1 if out of range. */
int tls_cert_time_fmt(int64_t t, char *buf, size_t len);

#endif
