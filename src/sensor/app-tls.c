/*
 * app-tls.c - the TLS (and SSL) parser: records, handshake, EVE `tls`.
 *
 * Most traffic a small business sends is TLS, and the handshake is the
 * only part of it a sensor can read: the name the client asked for (SNI),
 * the certificate the server showed, the versions and ALPN protocols they
 * agreed on, and the JA3/JA3S/JA4 fingerprints of both hellos.  This file
 * reads the two byte streams of a flow, cuts them into records (5-byte
 * TLS headers, or the 2-byte headers of an SSLv2-compatible ClientHello),
 * reassembles handshake messages across records into a bounded buffer per
 * direction, and decodes ClientHello, ServerHello and Certificate.  It
 * writes one EVE `tls` event per flow, in Suricata's field names and
 * spellings, when the server's side of the handshake is over (ServerHello
 * Done, or the server switching to encrypted records), or at the end of
 * the flow when the handshake never got that far.  A direction that has
 * switched to encryption (ChangeCipherSpec up to TLS 1.2, and everything
 * after the ServerHello in TLS 1.3, which comes as application data
 * records) has its handshake buffer freed and nothing of it is copied any
 * more: its records are only counted by walking their headers.
 *
 * Everything here is untrusted input: every length is checked before use,
 * the handshake buffer is capped (TLS_HS_CAP per direction), so are the
 * names we keep, and each protocol oddity raises an anomaly with
 * Suricata's event name (at most once per flow and name).
 */
#include "app-tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applayer.h"
#include "flow.h"
#include "tls-cert.h"
#include "tls-fingerprint.h"
#include "../lib/util.h"

#define TLS_HS_CAP (64 * 1024)      /* handshake bytes buffered per direction */
#define TLS_HS_INIT 4096
#define TLS_REC_MAX (16384 + 2048)  /* largest legal TLSCiphertext */
#define TLS_MAX_RECORDS 255         /* per call, while the handshake runs */
#define TLS_SNI_CAP 1024
#define TLS_ALPN_CAP 1024           /* bytes of protocol names kept per side */
#define TLS_ALPN_MAX 32             /* names kept per side */

enum {
	REC_CCS = 20,
	REC_ALERT = 21,
	REC_HANDSHAKE = 22,
	REC_APPDATA = 23,
	REC_HEARTBEAT = 24,
	REC_SSLV2 = 0x80,           /* ours: an SSLv2 record */
};

enum {
	HS_HELLO_REQUEST = 0,
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_CERTIFICATE = 11,
	HS_SERVER_HELLO_DONE = 14,
};

enum {
	EXT_SNI = 0,
	EXT_ALPN = 16,
	EXT_SUPPORTED_VERSIONS = 43,
};

/* Anomalies, by Suricata's TLS event names. */
enum tls_event {
	EV_INVALID_SSLV2_HEADER,
	EV_INVALID_RECORD_VERSION,
	EV_INVALID_RECORD_TYPE,
	EV_INVALID_RECORD_LENGTH,
	EV_INVALID_HANDSHAKE_MESSAGE,
	EV_HEARTBEAT_MESSAGE,
	EV_HANDSHAKE_INVALID_LENGTH,
	EV_MULTIPLE_SNI_EXTENSIONS,
	EV_INVALID_SNI_TYPE,
	EV_INVALID_SNI_LENGTH,
	EV_TOO_MANY_RECORDS_IN_PACKET,
	EV_CERTIFICATE_INVALID_LENGTH,
	EV_CERTIFICATE_INVALID_DER,
	EV_MAX
};

static const char *const event_names[EV_MAX] = {
	[EV_INVALID_SSLV2_HEADER] = "INVALID_SSLV2_HEADER",
	[EV_INVALID_RECORD_VERSION] = "INVALID_RECORD_VERSION",
	[EV_INVALID_RECORD_TYPE] = "INVALID_RECORD_TYPE",
	[EV_INVALID_RECORD_LENGTH] = "INVALID_RECORD_LENGTH",
	[EV_INVALID_HANDSHAKE_MESSAGE] = "INVALID_HANDSHAKE_MESSAGE",
	[EV_HEARTBEAT_MESSAGE] = "HEARTBEAT_MESSAGE",
	[EV_HANDSHAKE_INVALID_LENGTH] = "HANDSHAKE_INVALID_LENGTH",
	[EV_MULTIPLE_SNI_EXTENSIONS] = "MULTIPLE_SNI_EXTENSIONS",
	[EV_INVALID_SNI_TYPE] = "INVALID_SNI_TYPE",
	[EV_INVALID_SNI_LENGTH] = "INVALID_SNI_LENGTH",
	[EV_TOO_MANY_RECORDS_IN_PACKET] = "TOO_MANY_RECORDS_IN_PACKET",
	[EV_CERTIFICATE_INVALID_LENGTH] = "CERTIFICATE_INVALID_LENGTH",
	[EV_CERTIFICATE_INVALID_DER] = "CERTIFICATE_INVALID_DER",
};

struct tls_dir {
	/* record layer */
	uint8_t hdr[5];
	uint8_t hdr_len;
	bool in_rec;
	uint8_t rec_type;           /* content type, or REC_SSLV2 */
	uint32_t rec_left;          /* body bytes still to come */
	uint8_t v2[8];              /* first bytes of an SSLv2 record body */
	uint8_t v2_len;

	/* handshake reassembly */
	uint8_t *hs;
	uint32_t hs_len, hs_cap;
	uint32_t hs_skip;           /* rest of an oversized message to drop */

	uint16_t version;           /* record version, then the hello's */
	bool seen_v3;               /* an SSLv3/TLS record was seen */
	bool encrypted;             /* ChangeCipherSpec seen (TLS <= 1.2) */
	bool ccs, appdata;
	bool hello;                 /* this side's hello was parsed */
	bool lost;                  /* desynchronised: ignore the rest */
	uint64_t records, enc_records;

	struct tls_cert cert;       /* first certificate this side sent */
	bool cert_seen;
};

struct tls_state {
	struct tls_dir d[2];
	char *sni;
	uint8_t *alpn[2];           /* validated protocol_name_list per side */
	uint16_t alpn_len[2];
	char *ja3_str, *ja3s_str;
	char ja3_hash[TLS_JA3_HASH_LEN + 1], ja3s_hash[TLS_JA3_HASH_LEN + 1];
	char ja4[TLS_JA4_LEN + 1];
	uint8_t sid[32];            /* client's session id */
	uint8_t sid_len;
	bool sni_seen;
	bool resumed;
	bool server_done;           /* ServerHelloDone */
	bool emitted;
	bool failed;
	bool any;                   /* a well-formed record was seen */
	uint32_t events_raised;     /* bit per enum tls_event */
	/* while detection looks at a Certificate message: its certificate_list */
	const uint8_t *chain;
	size_t chain_len;
	bool chain13;               /* TLS 1.3 layout: extensions after each */
};

/* ---- helpers ---- */

static bool is_tls13(uint16_t v)
{
	return v == 0x0304 || (v >> 8) == 0x7f || (v >> 8) == 0xfb;
}

const char *app_tls_version_str(uint16_t v, char *buf, size_t len)
{
	const char *s = NULL;

	switch (v) {
	case 0x0002: s = "SSLv2"; break;
	case 0x0300: s = "SSLv3"; break;
	case 0x0301: s = "TLSv1"; break;
	case 0x0302: s = "TLS 1.1"; break;
	case 0x0303: s = "TLS 1.2"; break;
	case 0x0304: s = "TLS 1.3"; break;
	}
	if (s) {
		snprintf(buf, len, "%s", s);
	} else if ((v >> 8) == 0x7f && (v & 0xff) >= 16 && (v & 0xff) <= 28) {
		snprintf(buf, len, "TLS 1.3 draft-%u", v & 0xff);
	} else if ((v >> 8) == 0x7f && (v & 0xff) < 16) {
		snprintf(buf, len, "TLS 1.3 draft-<16");
	} else if ((v >> 8) == 0xfb) {
		snprintf(buf, len, "TLS 1.3 draft-%u-fb", v & 0xff);
	} else {
		snprintf(buf, len, "UNDETERMINED");
	}
	return buf;
}

static void tls_anomaly(struct tls_state *st, struct app_ctx *ctx, int dir,
		  enum tls_event ev)
{
	if (st->events_raised & (1u << ev))
		return;
	st->events_raised |= 1u << ev;
	app_anomaly(ctx, "tls", dir, 0, event_names[ev]);
}

static void hs_release(struct tls_dir *d)
{
	free(d->hs);
	d->hs = NULL;
	d->hs_len = d->hs_cap = 0;
	d->hs_skip = 0;
}

/* ---- the EVE event ---- */

static void log_alpns(struct jw *w, const char *key, const uint8_t *p,
		      size_t len)
{
	if (!p || len == 0)
		return;
	jw_arr_open(w, key);
	for (size_t off = 0; off < len && p[off] <= len - off - 1; off += 1 + p[off])
		jw_strn(w, NULL, p + off + 1, p[off]);
	jw_arr_close(w);
}

static void log_time(struct jw *w, const char *key, int64_t t)
{
	char buf[40];
	if (t != 0 && tls_cert_time_fmt(t, buf, sizeof(buf)) == 0)
		jw_str(w, key, buf);
}

static const char *proto_name(uint8_t id)
{
	switch (id) {
	case APP_HTTP: return "http";
	case APP_DNS: return "dns";
	case APP_FTP: return "ftp";
	case APP_SMTP: return "smtp";
	case APP_IMAP: return "imap";
	case APP_POP3: return "pop3";
	case APP_SSH: return "ssh";
	default: return NULL;
	}
}

/* The "tls" object of the event, also written into alerts on the flow. */
static void log_tls(struct jw *w, const void *tx, const struct flow *f)
{
	const struct tls_state *st = tx;
	const struct tls_cert *c = &st->d[APP_TOCLIENT].cert;
	const struct tls_cert *cc = &st->d[APP_TOSERVER].cert;
	char vbuf[32];

	jw_obj_open(w, "tls");
	jw_str(w, "subject", c->subject);
	jw_str(w, "issuerdn", c->issuer);
	/* Resumed: the server echoed the client's session id and showed no
	 * certificate.  TLS 1.3 echoes it always (middlebox compatibility)
	 * and never shows the certificate, so it is not called resumed. */
	if (st->resumed && !c->subject && !c->issuer &&
	    !is_tls13(st->d[APP_TOCLIENT].version))
		jw_bool(w, "session_resumed", true);
	jw_str(w, "serial", c->serial);
	if (c->parsed)
		jw_str(w, "fingerprint", c->fingerprint);
	jw_str(w, "sni", st->sni);
	jw_str(w, "version", app_tls_version_str(app_tls_version(st), vbuf,
						 sizeof(vbuf)));
	log_time(w, "notbefore", c->not_before);
	log_time(w, "notafter", c->not_after);
	if (st->ja3_str) {
		jw_obj_open(w, "ja3");
		jw_str(w, "hash", st->ja3_hash);
		jw_str(w, "string", st->ja3_str);
		jw_obj_close(w);
	}
	if (st->ja3s_str) {
		jw_obj_open(w, "ja3s");
		jw_str(w, "hash", st->ja3s_hash);
		jw_str(w, "string", st->ja3s_str);
		jw_obj_close(w);
	}
	if (st->ja4[0])
		jw_str(w, "ja4", st->ja4);
	if (cc->parsed) {
		jw_obj_open(w, "client");
		jw_str(w, "subject", cc->subject);
		jw_str(w, "issuerdn", cc->issuer);
		jw_str(w, "serial", cc->serial);
		jw_str(w, "fingerprint", cc->fingerprint);
		log_time(w, "notbefore", cc->not_before);
		log_time(w, "notafter", cc->not_after);
		jw_obj_close(w);
	}
	log_alpns(w, "client_alpns", st->alpn[APP_TOSERVER], st->alpn_len[APP_TOSERVER]);
	log_alpns(w, "server_alpns", st->alpn[APP_TOCLIENT], st->alpn_len[APP_TOCLIENT]);
	if (f) {
		const char *from = proto_name(f->app_proto_orig);
		if (from)
			jw_str(w, "from_proto", from);
	}
	jw_obj_close(w);
}

static void emit(struct tls_state *st, struct app_ctx *ctx)
{
	if (st->emitted)
		return;
	st->emitted = true;
	log_tls(app_event_begin(ctx, "tls", APP_TOSERVER, -1), st, ctx->flow);
	app_event_end(ctx);
}

/* Log once the server's side of the handshake is over. */
static void maybe_emit(struct tls_state *st, struct app_ctx *ctx)
{
	const struct tls_dir *s = &st->d[APP_TOCLIENT];

	if (st->emitted || !s->hello)
		return;
	if (st->server_done || s->ccs || s->appdata || st->d[APP_TOSERVER].appdata)
		emit(st, ctx);
}

static int fail(struct tls_state *st, struct app_ctx *ctx, int dir,
		enum tls_event ev)
{
	tls_anomaly(st, ctx, dir, ev);
	st->failed = true;
	if (st->any)
		emit(st, ctx);
	hs_release(&st->d[0]);
	hs_release(&st->d[1]);
	return PARSE_ERROR;
}

/* ---- hellos ---- */

struct hello {
	uint16_t version;
	const uint8_t *random;
	const uint8_t *sid;
	size_t sid_len;
	const uint8_t *ciphers;
	size_t ciphers_len;
	const uint8_t *exts;
	size_t exts_len;
};

/*
 * Cut a hello into its parts.  Returns 0, or -1 when the fixed part does
 * not fit; *short_exts is set when the extensions length overruns the
 * message (the block is then cut to what is there).
 */
static int hello_split(const uint8_t *p, size_t n, bool server,
		       struct hello *h, bool *bad_len)
{
	size_t off;

	memset(h, 0, sizeof(*h));
	*bad_len = false;
	if (n < 35)
		return -1;
	h->version = ot_be16(p);
	h->random = p + 2;
	h->sid_len = p[34];
	off = 35;
	if (h->sid_len > 32 || h->sid_len > n - off)
		return -1;
	h->sid = p + off;
	off += h->sid_len;
	if (server) {
		if (n - off < 3)
			return -1;
		h->ciphers = p + off;
		h->ciphers_len = 2;
		off += 3;               /* cipher suite, compression method */
	} else {
		if (n - off < 2)
			return -1;
		size_t cl = ot_be16(p + off);
		off += 2;
		if (cl > n - off || cl % 2)
			return -1;
		h->ciphers = p + off;
		h->ciphers_len = cl;
		off += cl;
		if (n - off < 1)
			return -1;
		size_t ml = p[off];
		off += 1;
		if (ml > n - off)
			return -1;
		off += ml;
	}
	if (off == n)
		return 0;               /* no extensions */
	if (n - off < 2) {
		*bad_len = true;
		return 0;
	}
	size_t el = ot_be16(p + off);
	off += 2;
	if (el != n - off)
		*bad_len = true;
	h->exts = p + off;
	h->exts_len = OT_MIN(el, n - off);
	return 0;
}

/* Keep a validated copy of an ALPN protocol_name_list (capped). */
static void keep_alpn(struct tls_state *st, int dir, const uint8_t *d, size_t n)
{
	if (st->alpn[dir] || n < 2)
		return;
	size_t l = ot_be16(d);
	if (l > n - 2)
		return;
	const uint8_t *p = d + 2;
	size_t keep = 0, count = 0;
	while (keep < l && p[keep] <= l - keep - 1 && count < TLS_ALPN_MAX &&
	       keep + 1 + p[keep] <= TLS_ALPN_CAP) {
		keep += 1 + p[keep];
		count++;
	}
	if (keep == 0)
		return;
	st->alpn[dir] = malloc(keep);
	if (!st->alpn[dir])
		return;
	memcpy(st->alpn[dir], p, keep);
	st->alpn_len[dir] = (uint16_t)keep;
}

struct ch_walk {
	struct tls_state *st;
	struct app_ctx *ctx;
};

static int ch_ext(void *arg, uint16_t type, const uint8_t *d, size_t n)
{
	struct ch_walk *cw = arg;
	struct tls_state *st = cw->st;

	switch (type) {
	case EXT_SNI: {
		if (st->sni_seen) {
			tls_anomaly(st, cw->ctx, APP_TOSERVER, EV_MULTIPLE_SNI_EXTENSIONS);
			break;
		}
		st->sni_seen = true;
		if (n < 2 || ot_be16(d) > n - 2) {
			tls_anomaly(st, cw->ctx, APP_TOSERVER, EV_INVALID_SNI_LENGTH);
			break;
		}
		size_t l = ot_be16(d);
		if (l == 0)
			break;
		if (l < 3 || d[2] != 0) {
			tls_anomaly(st, cw->ctx, APP_TOSERVER, EV_INVALID_SNI_TYPE);
			break;
		}
		size_t nl = ot_be16(d + 3);
		if (nl > l - 3) {
			tls_anomaly(st, cw->ctx, APP_TOSERVER, EV_INVALID_SNI_LENGTH);
			break;
		}
		if (nl > TLS_SNI_CAP) {
			tls_anomaly(st, cw->ctx, APP_TOSERVER, EV_INVALID_SNI_LENGTH);
			nl = TLS_SNI_CAP;
		}
		st->sni = malloc(nl + 1);
		if (st->sni) {
			memcpy(st->sni, d + 5, nl);
			st->sni[nl] = '\0';
		}
		break;
	}
	case EXT_ALPN:
		keep_alpn(st, APP_TOSERVER, d, n);
		break;
	}
	return 0;
}

static void client_hello(struct tls_state *st, struct app_ctx *ctx,
			 const uint8_t *p, size_t n)
{
	struct tls_dir *d = &st->d[APP_TOSERVER];
	struct hello h;
	bool bad_len;

	if (d->hello)
		return;                 /* a second one (after HelloRetryRequest) */
	if (hello_split(p, n, false, &h, &bad_len) < 0) {
		tls_anomaly(st, ctx, APP_TOSERVER, EV_HANDSHAKE_INVALID_LENGTH);
		return;
	}
	if (bad_len)
		tls_anomaly(st, ctx, APP_TOSERVER, EV_HANDSHAKE_INVALID_LENGTH);
	d->hello = true;
	d->version = h.version;
	memcpy(st->sid, h.sid, h.sid_len);
	st->sid_len = (uint8_t)h.sid_len;

	struct ch_walk cw = { st, ctx };
	tls_ext_walk(h.exts, h.exts_len, ch_ext, &cw);

	struct tls_hello_view v = {
		.version = h.version,
		.ciphers = h.ciphers, .ciphers_len = h.ciphers_len,
		.exts = h.exts, .exts_len = h.exts_len,
	};
	tls_ja3(&v, false, &st->ja3_str, st->ja3_hash);
	if (tls_ja4(&v, st->ja4) < 0)
		st->ja4[0] = '\0';
	app_tx_ready(ctx, APP_TLS, APP_TOSERVER, 0, st, TLS_PROGRESS_HELLO);
}

static int sh_ext(void *arg, uint16_t type, const uint8_t *d, size_t n)
{
	struct tls_state *st = arg;

	if (type == EXT_SUPPORTED_VERSIONS && n == 2)
		st->d[APP_TOCLIENT].version = ot_be16(d);
	else if (type == EXT_ALPN)
		keep_alpn(st, APP_TOCLIENT, d, n);
	return 0;
}

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void server_hello(struct tls_state *st, struct app_ctx *ctx,
			 const uint8_t *p, size_t n)
{
	struct tls_dir *d = &st->d[APP_TOCLIENT];
	struct hello h;
	bool bad_len;

	if (d->hello)
		return;
	if (hello_split(p, n, true, &h, &bad_len) < 0) {
		tls_anomaly(st, ctx, APP_TOCLIENT, EV_HANDSHAKE_INVALID_LENGTH);
		return;
	}
	if (bad_len)
		tls_anomaly(st, ctx, APP_TOCLIENT, EV_HANDSHAKE_INVALID_LENGTH);
	d->version = h.version;
	tls_ext_walk(h.exts, h.exts_len, sh_ext, st);
	if (memcmp(h.random, hrr_random, 32) == 0) {
		/* The real ServerHello follows the client's second hello. */
		free(st->alpn[APP_TOCLIENT]);
		st->alpn[APP_TOCLIENT] = NULL;
		st->alpn_len[APP_TOCLIENT] = 0;
		return;
	}
	d->hello = true;
	if (h.sid_len > 0 && h.sid_len == st->sid_len &&
	    memcmp(h.sid, st->sid, h.sid_len) == 0)
		st->resumed = true;

	struct tls_hello_view v = {
		.version = h.version,
		.ciphers = h.ciphers, .ciphers_len = h.ciphers_len,
		.exts = h.exts, .exts_len = h.exts_len,
	};
	tls_ja3(&v, true, &st->ja3s_str, st->ja3s_hash);
	app_tx_ready(ctx, APP_TLS, APP_TOCLIENT, 0, st, TLS_PROGRESS_HELLO);
}

static void certificate(struct tls_state *st, struct app_ctx *ctx, int dir,
			const uint8_t *p, size_t n)
{
	struct tls_dir *d = &st->d[dir];
	size_t off = 0;

	if (d->cert_seen)
		return;
	d->cert_seen = true;
	if (is_tls13(st->d[APP_TOCLIENT].version)) {
		/* certificate_request_context */
		if (n < 1 || p[0] > n - 1) {
			tls_anomaly(st, ctx, dir, EV_CERTIFICATE_INVALID_LENGTH);
			return;
		}
		off = 1 + p[0];
	}
	if (n - off < 3) {
		tls_anomaly(st, ctx, dir, EV_CERTIFICATE_INVALID_LENGTH);
		return;
	}
	size_t list = ot_be24(p + off);
	off += 3;
	size_t list_off = off;
	if (list > n - off) {
		tls_anomaly(st, ctx, dir, EV_CERTIFICATE_INVALID_LENGTH);
		return;
	}
	if (list == 0)
		return;                 /* no certificate (a client may do so) */
	if (list < 3) {
		tls_anomaly(st, ctx, dir, EV_CERTIFICATE_INVALID_LENGTH);
		return;
	}
	size_t cl = ot_be24(p + off);
	off += 3;
	if (cl > list - 3 || cl == 0) {
		tls_anomaly(st, ctx, dir, EV_CERTIFICATE_INVALID_LENGTH);
		return;
	}
	if (tls_cert_parse(p + off, cl, &d->cert) < 0 && !d->cert.parsed)
		tls_anomaly(st, ctx, dir, EV_CERTIFICATE_INVALID_DER);
	if (d->cert.parsed) {
		st->chain = p + list_off;
		st->chain_len = list;
		st->chain13 = is_tls13(st->d[APP_TOCLIENT].version);
		app_tx_ready(ctx, APP_TLS, dir, 0, st, TLS_PROGRESS_CERT);
		st->chain = NULL;
	}
}

/* One complete handshake message; returns -1 on a fatal error. */
static int handshake_msg(struct tls_state *st, struct app_ctx *ctx, int dir,
			 uint8_t type, const uint8_t *p, size_t n)
{
	switch (type) {
	case HS_CLIENT_HELLO:
		if (dir == APP_TOSERVER)
			client_hello(st, ctx, p, n);
		break;
	case HS_SERVER_HELLO:
		if (dir == APP_TOCLIENT)
			server_hello(st, ctx, p, n);
		break;
	case HS_CERTIFICATE:
		certificate(st, ctx, dir, p, n);
		break;
	case HS_SERVER_HELLO_DONE:
		if (dir == APP_TOCLIENT)
			st->server_done = true;
		break;
	case HS_HELLO_REQUEST:
	case 3:   /* hello_verify_request */
	case 4:   /* new_session_ticket */
	case 5:   /* end_of_early_data */
	case 6:   /* hello_retry_request (drafts) */
	case 8:   /* encrypted_extensions */
	case 12:  /* server_key_exchange */
	case 13:  /* certificate_request */
	case 15:  /* certificate_verify */
	case 16:  /* client_key_exchange */
	case 20:  /* finished */
	case 21:  /* certificate_url */
	case 22:  /* certificate_status */
	case 23:  /* supplemental_data */
	case 24:  /* key_update */
	case 25:  /* compressed_certificate */
	case 67:  /* next_protocol */
	case 254: /* message_hash */
		break;
	default:
		return -1;
	}
	return 0;
}

/* Parse the complete messages at the head of the buffer; keep the rest. */
static int hs_drain(struct tls_state *st, struct app_ctx *ctx, int dir)
{
	struct tls_dir *d = &st->d[dir];
	uint32_t off = 0;

	while (d->hs_len - off >= 4) {
		const uint8_t *m = d->hs + off;
		uint32_t ml = ot_be24(m + 1);
		if (ml > TLS_HS_CAP - 4) {
			/* Larger than we buffer: drop it whole. */
			tls_anomaly(st, ctx, dir, EV_HANDSHAKE_INVALID_LENGTH);
			d->hs_skip = ml - (d->hs_len - off - 4);
			d->hs_len = off;
			break;
		}
		if (d->hs_len - off - 4 < ml)
			break;
		if (handshake_msg(st, ctx, dir, m[0], m + 4, ml) < 0)
			return fail(st, ctx, dir, EV_INVALID_HANDSHAKE_MESSAGE);
		off += 4 + ml;
	}
	if (off > 0) {
		memmove(d->hs, d->hs + off, d->hs_len - off);
		d->hs_len -= off;
	}
	return 0;
}

static int hs_feed(struct tls_state *st, struct app_ctx *ctx, int dir,
		   const uint8_t *p, size_t n)
{
	struct tls_dir *d = &st->d[dir];

	while (n > 0) {
		if (d->hs_skip) {
			size_t k = OT_MIN(n, d->hs_skip);
			d->hs_skip -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		size_t k = OT_MIN(n, (size_t)(TLS_HS_CAP - d->hs_len));
		if (d->hs_len + k > d->hs_cap) {
			uint32_t cap = d->hs_cap ? d->hs_cap : TLS_HS_INIT;
			while (cap < d->hs_len + k)
				cap *= 2;
			if (cap > TLS_HS_CAP)
				cap = TLS_HS_CAP;
			uint8_t *b = realloc(d->hs, cap);
			if (!b) {
				d->lost = true;
				hs_release(d);
				return 0;
			}
			d->hs = b;
			d->hs_cap = cap;
		}
		memcpy(d->hs + d->hs_len, p, k);
		d->hs_len += (uint32_t)k;
		p += k;
		n -= k;
		if (hs_drain(st, ctx, dir) < 0)
			return PARSE_ERROR;
	}
	return 0;
}

/* ---- records ---- */

static int record_begin(struct tls_state *st, struct app_ctx *ctx, int dir)
{
	struct tls_dir *d = &st->d[dir];
	const uint8_t *h = d->hdr;

	if (h[0] & 0x80) {
		uint32_t len = (uint32_t)(h[0] & 0x7f) << 8 | h[1];
		if (d->seen_v3)
			return fail(st, ctx, dir, EV_INVALID_RECORD_TYPE);
		if (len < 3)
			return fail(st, ctx, dir, EV_INVALID_SSLV2_HEADER);
		d->rec_type = REC_SSLV2;
		d->rec_left = len;
		d->v2_len = 0;
	} else {
		if (h[0] < REC_CCS || h[0] > REC_HEARTBEAT)
			return fail(st, ctx, dir, EV_INVALID_RECORD_TYPE);
		if (h[1] != 3)
			return fail(st, ctx, dir, EV_INVALID_RECORD_VERSION);
		d->rec_type = h[0];
		d->rec_left = ot_be16(h + 3);
		d->seen_v3 = true;
		if (d->version == 0)
			d->version = ot_be16(h + 1);
		if (d->rec_left > TLS_REC_MAX)
			tls_anomaly(st, ctx, dir, EV_INVALID_RECORD_LENGTH);
		if (d->rec_type == REC_HEARTBEAT)
			tls_anomaly(st, ctx, dir, EV_HEARTBEAT_MESSAGE);
	}
	d->in_rec = true;
	d->records++;
	st->any = true;
	return 0;
}

static void sslv2_end(struct tls_state *st, int dir)
{
	struct tls_dir *d = &st->d[dir];

	if (d->hello || d->v2_len < 3)
		return;
	if (dir == APP_TOSERVER && d->v2[0] == 1) {
		/* CLIENT-HELLO: msg type, version, ... */
		d->version = ot_be16(d->v2 + 1);
		d->hello = true;
	} else if (dir == APP_TOCLIENT && d->v2[0] == 4 && d->v2_len >= 5) {
		/* SERVER-HELLO: msg type, session id hit, cert type, version */
		d->version = ot_be16(d->v2 + 3);
		d->hello = true;
		st->server_done = true;
	}
}

static int record_end(struct tls_state *st, struct app_ctx *ctx, int dir)
{
	struct tls_dir *d = &st->d[dir];

	d->in_rec = false;
	switch (d->rec_type) {
	case REC_SSLV2:
		sslv2_end(st, dir);
		break;
	case REC_CCS:
		d->ccs = true;
		/* TLS 1.3 sends a ChangeCipherSpec only for middleboxes. */
		if (!is_tls13(st->d[APP_TOCLIENT].version)) {
			d->encrypted = true;
			hs_release(d);
		}
		break;
	case REC_APPDATA:
		d->appdata = true;
		d->enc_records++;
		if (d->hs && d->hs_len == 0)
			hs_release(d);
		break;
	}
	maybe_emit(st, ctx);
	return 0;
}

static int record_body(struct tls_state *st, struct app_ctx *ctx, int dir,
		       const uint8_t *p, size_t n)
{
	struct tls_dir *d = &st->d[dir];

	switch (d->rec_type) {
	case REC_HANDSHAKE:
		if (!d->encrypted)
			return hs_feed(st, ctx, dir, p, n);
		break;
	case REC_SSLV2: {
		size_t k = OT_MIN(n, sizeof(d->v2) - d->v2_len);
		memcpy(d->v2 + d->v2_len, p, k);
		d->v2_len += (uint8_t)k;
		break;
	}
	}
	return 0;
}

static int tls_parse(void *state, struct app_ctx *ctx, int dir,
		     const uint8_t *data, size_t len)
{
	struct tls_state *st = state;
	unsigned records = 0;

	if (!st || (dir != APP_TOSERVER && dir != APP_TOCLIENT))
		return PARSE_ERROR;
	if (st->failed)
		return PARSE_ERROR;
	struct tls_dir *d = &st->d[dir];
	while (len > 0 && !d->lost) {
		if (!d->in_rec) {
			size_t need = (d->hdr_len ? d->hdr[0] : data[0]) & 0x80 ? 2 : 5;
			size_t k = OT_MIN(len, need - d->hdr_len);
			memcpy(d->hdr + d->hdr_len, data, k);
			d->hdr_len += (uint8_t)k;
			data += k;
			len -= k;
			if (d->hdr_len < need)
				break;
			d->hdr_len = 0;
			if (!st->emitted && ++records > TLS_MAX_RECORDS)
				return fail(st, ctx, dir, EV_TOO_MANY_RECORDS_IN_PACKET);
			if (record_begin(st, ctx, dir) < 0)
				return PARSE_ERROR;
			if (d->rec_left == 0 && record_end(st, ctx, dir) < 0)
				return PARSE_ERROR;
			continue;
		}
		size_t k = OT_MIN(len, (size_t)d->rec_left);
		if (record_body(st, ctx, dir, data, k) < 0)
			return PARSE_ERROR;
		d->rec_left -= (uint32_t)k;
		data += k;
		len -= k;
		if (d->rec_left == 0 && record_end(st, ctx, dir) < 0)
			return PARSE_ERROR;
	}
	return st->failed ? PARSE_ERROR : PARSE_OK;
}

static void tls_gap(void *state, struct app_ctx *ctx, int dir, size_t len)
{
	struct tls_state *st = state;

	(void)ctx;
	if (!st || (dir != APP_TOSERVER && dir != APP_TOCLIENT) || st->failed)
		return;
	struct tls_dir *d = &st->d[dir];
	/* Inside a record whose body we do not read: skip the hole. */
	if (d->in_rec && len <= d->rec_left &&
	    (d->rec_type == REC_APPDATA || d->rec_type == REC_ALERT ||
	     d->rec_type == REC_HEARTBEAT ||
	     (d->rec_type == REC_HANDSHAKE && d->encrypted))) {
		d->rec_left -= (uint32_t)len;
		if (d->rec_left == 0)
			record_end(st, ctx, dir);
		return;
	}
	d->lost = true;
	hs_release(d);
}

static void tls_flow_end(void *state, struct app_ctx *ctx)
{
	struct tls_state *st = state;

	if (st && st->any && !st->emitted)
		emit(st, ctx);
}

/* ---- probing ---- */

static int tls_probe(const uint8_t *p, size_t len, int dir)
{
	(void)dir;
	if (len < 1)
		return PROBE_NEED_MORE;
	if (p[0] & 0x80) {
		/* SSLv2 record header: CLIENT-HELLO (1) or SERVER-HELLO (4) */
		if (len < 5)
			return PROBE_NEED_MORE;
		size_t rl = (size_t)(p[0] & 0x7f) << 8 | p[1];
		uint16_t v = ot_be16(p + 3);
		if (p[2] == 1 && rl >= 9 && (v == 0x0002 || (v >> 8) == 3))
			return PROBE_YES;
		if (p[2] == 4 && len >= 7) {
			v = ot_be16(p + 5);
			if (rl >= 11 && v == 0x0002)
				return PROBE_YES;
		} else if (p[2] == 4) {
			return PROBE_NEED_MORE;
		}
		return PROBE_NO;
	}
	if (p[0] != REC_HANDSHAKE)
		return PROBE_NO;
	if (len < 2)
		return PROBE_NEED_MORE;
	if (p[1] != 3)
		return PROBE_NO;
	if (len < 3)
		return PROBE_NEED_MORE;
	/* a handshake record of SSLv3 or TLS 1.0-1.3: enough to tell */
	return p[2] <= 4 ? PROBE_YES : PROBE_NO;
}

/* ---- state ---- */

static void *tls_state_new(void)
{
	return calloc(1, sizeof(struct tls_state));
}

static void tls_state_free(void *state)
{
	struct tls_state *st = state;

	if (!st)
		return;
	for (int i = 0; i < 2; i++) {
		hs_release(&st->d[i]);
		tls_cert_clear(&st->d[i].cert);
		free(st->alpn[i]);
	}
	free(st->sni);
	free(st->ja3_str);
	free(st->ja3s_str);
	free(st);
}

static uint64_t tls_tx_count(void *state)
{
	const struct tls_state *st = state;
	return st && st->any ? 1 : 0;
}

/* ---- accessors (app-tls.h) ---- */

const char *app_tls_sni(const void *state)
{
	return state ? ((const struct tls_state *)state)->sni : NULL;
}

const char *app_tls_cert_subject(const void *state)
{
	return state ? ((const struct tls_state *)state)->d[APP_TOCLIENT].cert.subject : NULL;
}

const char *app_tls_cert_issuer(const void *state)
{
	return state ? ((const struct tls_state *)state)->d[APP_TOCLIENT].cert.issuer : NULL;
}

const char *app_tls_cert_serial(const void *state)
{
	return state ? ((const struct tls_state *)state)->d[APP_TOCLIENT].cert.serial : NULL;
}

const char *app_tls_client_cert_serial(const void *state)
{
	return state ? ((const struct tls_state *)state)->d[APP_TOSERVER].cert.serial : NULL;
}

const char *app_tls_cert_fingerprint(const void *state)
{
	const struct tls_state *st = state;
	if (!st || !st->d[APP_TOCLIENT].cert.parsed)
		return NULL;
	return st->d[APP_TOCLIENT].cert.fingerprint;
}

const char *app_tls_ja3_hash(const void *state)
{
	const struct tls_state *st = state;
	return st && st->ja3_str ? st->ja3_hash : NULL;
}

const char *app_tls_ja3_string(const void *state)
{
	return state ? ((const struct tls_state *)state)->ja3_str : NULL;
}

const char *app_tls_ja3s_hash(const void *state)
{
	const struct tls_state *st = state;
	return st && st->ja3s_str ? st->ja3s_hash : NULL;
}

const char *app_tls_ja3s_string(const void *state)
{
	return state ? ((const struct tls_state *)state)->ja3s_str : NULL;
}

const char *app_tls_ja4(const void *state)
{
	const struct tls_state *st = state;
	return st && st->ja4[0] ? st->ja4 : NULL;
}

uint16_t app_tls_version(const void *state)
{
	const struct tls_state *st = state;
	if (!st)
		return 0;
	return st->d[APP_TOCLIENT].version ? st->d[APP_TOCLIENT].version
					   : st->d[APP_TOSERVER].version;
}

const char *app_tls_client_cert_subject(const void *state)
{
	return state ? ((const struct tls_state *)state)->d[APP_TOSERVER].cert.subject : NULL;
}

const char *app_tls_client_cert_issuer(const void *state)
{
	return state ? ((const struct tls_state *)state)->d[APP_TOSERVER].cert.issuer : NULL;
}

const char *app_tls_client_cert_fingerprint(const void *state)
{
	const struct tls_state *st = state;
	if (!st || !st->d[APP_TOSERVER].cert.parsed)
		return NULL;
	return st->d[APP_TOSERVER].cert.fingerprint;
}

bool app_tls_chain_cert(const void *state, size_t i, const uint8_t **der, size_t *len)
{
	const struct tls_state *st = state;
	if (!st || !st->chain)
		return false;
	const uint8_t *p = st->chain;
	size_t n = st->chain_len, off = 0;
	for (size_t k = 0; off + 3 <= n; k++) {
		size_t cl = ot_be24(p + off);
		off += 3;
		if (cl > n - off)
			return false;
		if (k == i) {
			*der = p + off;
			*len = cl;
			return true;
		}
		off += cl;
		if (st->chain13) {
			if (off + 2 > n || ot_be16(p + off) > n - off - 2)
				return false;
			off += 2 + ot_be16(p + off);
		}
	}
	return false;
}

bool app_tls_handshake_done(const void *state)
{
	const struct tls_state *st = state;
	return st && st->emitted;
}

const struct app_parser app_parser_tls = {
	.name = "tls",
	.id = APP_TLS,
	.tcp = true,
	.udp = false,
	.ports = { 443, 465, 993, 995 },
	.probe = tls_probe,
	.log_tx = log_tls,
	.state_new = tls_state_new,
	.state_free = tls_state_free,
	.parse = tls_parse,
	.gap = tls_gap,
	.flow_end = tls_flow_end,
	.tx_count = tls_tx_count,
};
