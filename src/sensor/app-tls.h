/*
 * app-tls.h - read-only views of a TLS flow's parser state.
 *
 * The TLS parser (app-tls.c) keeps what it learnt from the handshake in its
 * per-flow state; the rule engine matches on some of it (tls.sni,
 * tls.cert_subject, ja3.hash, ja4.hash, ...).  These accessors take the
 * state pointer that app_parser_tls.state_new() returned (flow->app_state)
 * and return NULL (or 0) for what has not been seen.  The strings belong to
 * the state and live as long as it does.
 */
#ifndef OT_APP_TLS_H
#define OT_APP_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/*
 * What the parser tells detection (app_tx_ready(), proto APP_TLS, tx_id 0,
 * tx = the state): a side's hello was read (SNI, JA3, JA4 / JA3S), then
 * that side's certificate.
 */
#define TLS_PROGRESS_HELLO 1
#define TLS_PROGRESS_CERT 2

/* Server name from the ClientHello (up to its first NUL). */
const char *app_tls_sni(const void *state);
/* Server certificate (the first of the chain): "C=US, O=..., CN=...". */
const char *app_tls_cert_subject(const void *state);
const char *app_tls_cert_issuer(const void *state);
const char *app_tls_cert_serial(const void *state);
const char *app_tls_cert_fingerprint(const void *state);
/* The client's certificate, when it sent one in the clear (TLS <= 1.2). */
const char *app_tls_client_cert_subject(const void *state);
const char *app_tls_client_cert_issuer(const void *state);
const char *app_tls_client_cert_serial(const void *state);
const char *app_tls_client_cert_fingerprint(const void *state);
/* Fingerprints: 32 lowercase hex digits, and the 36-character JA4. */
const char *app_tls_ja3_hash(const void *state);
const char *app_tls_ja3_string(const void *state);
const char *app_tls_ja3s_hash(const void *state);
const char *app_tls_ja3s_string(const void *state);
const char *app_tls_ja4(const void *state);
/* Version the EVE event shows (server's choice, else the client's), as a
 * wire value (0x0303 = TLS 1.2), and its EVE spelling ("TLS 1.2"). */
uint16_t app_tls_version(const void *state);
const char *app_tls_version_str(uint16_t version, char *buf, size_t len);
/* Certificate i (0: the sender's own) of the chain in the Certificate
 * message detection is looking at (during app_tx_ready at
 * TLS_PROGRESS_CERT only): its DER bytes.  false past the end. */
bool app_tls_chain_cert(const void *state, size_t i, const uint8_t **der, size_t *len);
/* The server's side of the handshake is over: the `tls` event is out. */
bool app_tls_handshake_done(const void *state);

#endif
