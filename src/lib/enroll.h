/*
 * enroll.h - a device's one-time enrollment with otasuked
 * (docs/wire-protocol.md, "Enrollment"): it makes its own key pair, which
 * never leaves the device, and a certificate request; it presents the
 * one-time token with the request over HTTPS, trusting only the server's
 * CA given with the token; it receives its certificate, signed by that CA,
 * and from then on authenticates with it (mutual TLS).
 *
 * Files written in dir (created 0700 when missing), each whole or not at
 * all (temporary file, fsync, rename): device.key (mode 0600, PKCS#8 PEM,
 * ECDSA P-256), device.crt (the certificate), ca.pem (the CA the server
 * sent, which signed the certificate).  Nothing is written unless the
 * server accepted the request and its certificate matches the key and
 * verifies against the CA.
 */
#ifndef OT_ENROLL_H
#define OT_ENROLL_H

#include <stddef.h>

struct enroll_req {
	const char *url;            /* otasuked's base URL: https://host:port */
	const char *token;          /* the one-time enrollment token */
	const char *ca_file;        /* the server's CA, given with the token */
	const char *name;           /* the device's name for people ("pharmacy-gw") */
	const char *kind;           /* "sensor" or "agent" */
	const char *dir;            /* where the files go */
};

struct enroll_result {
	char device_id[64];
	char tenant_id[64];
	char key_file[4096];
	char cert_file[4096];
	char ca_file[4096];
};

/* 0 when enrolled (files written, res filled); -1 otherwise, with the
 * reason logged (the server's message for a refused token). */
int enroll_device(const struct enroll_req *req, struct enroll_result *res);

#endif
