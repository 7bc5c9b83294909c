/*
 * ca.h - otasuked's own certificate authority (GnuTLS).
 *
 * Devices authenticate with client certificates that this CA signs at
 * enrollment, and trust the server by this CA's certificate, which they get
 * out of band with their token.  The CA lives in <state-dir>/ca/: ca.pem
 * (the certificate, for anyone) and ca.key (mode 0600).  It is created on
 * first start: an ECDSA P-256 key, valid ten years.
 *
 * The server's own TLS certificate is issued afresh by the CA at every
 * start (ca_issue_server), for the names the server is reached by; it is
 * kept in memory only.
 *
 * Device certificates: subject CN = device id, O = tenant id, valid 825
 * days, for TLS client authentication only.  The subject in the request is
 * ignored; the public key is taken from it once its signature is checked.
 */
#ifndef OT_CA_H
#define OT_CA_H

#include <stddef.h>
#include <gnutls/gnutls.h>

#define CA_SERIAL_LEN 41           /* hex, with its NUL */
#define CA_FINGERPRINT_LEN 96      /* "AB:CD:..." of SHA-256, with its NUL */
#define CA_DEVICE_DAYS 825

struct ca;

/* Load dir/ca.pem and dir/ca.key, or create both (and dir) when neither
 * exists.  NULL on failure (logged). */
struct ca *ca_open(const char *dir);
void ca_free(struct ca *ca);

const char *ca_cert_pem(const struct ca *ca);
const char *ca_cert_path(const struct ca *ca);
/* SHA-256 of the CA certificate, "AB:CD:...". */
const char *ca_fingerprint(const struct ca *ca);

/* A server certificate and its new key for names (host names or IP
 * addresses), as PEM, malloc'd.  0 or -1 (logged). */
int ca_issue_server(struct ca *ca, const char *const *names, size_t n,
		    char **cert_pem, char **key_pem);

/*
 * Sign the PEM certificate request csr (len bytes) for a device.  On
 * success returns 0 with *cert_pem (malloc'd) and serial (hex).  On a bad
 * request returns -1 with a sentence saying why in err; on an internal
 * failure -2 (logged).
 */
int ca_sign_device(struct ca *ca, const char *csr, size_t len, const char *device_id,
		   const char *tenant_id, char **cert_pem, char serial[CA_SERIAL_LEN],
		   char *err, size_t errlen);

/*
 * Check the certificate a TLS client presented (session, after the
 * handshake): signed by this CA, in its validity period, for client
 * authentication.  Returns 0 with the device and tenant ids and serial
 * from it; -1 when there is none; -2 when it is not valid (err says why).
 */
int ca_check_client(struct ca *ca, gnutls_session_t session, char device_id[37],
		    char tenant_id[37], char serial[CA_SERIAL_LEN], char *err, size_t errlen);

#endif
