/*
 * applayer.h - the contract between the sensor core and its application-layer
 * protocol parsers (dns, http, tls, ...).
 *
 * The core (applayer.c) finds out which protocol a flow speaks by asking every
 * registered parser's probe() about the first bytes of each direction (content
 * first; the port only breaks ties), then feeds the chosen parser:
 *
 *   - TCP: the reassembled, in-order byte stream of each direction, in chunks
 *     of any size (a message may be split across calls, or many messages come
 *     in one call: the parser buffers what it needs, within its own limits);
 *     gap() says that bytes are missing (lost packets, depth reached).
 *   - UDP: one call per datagram payload.
 *
 * A parser writes EVE events through the app_ctx it is given:
 *   struct jw *w = app_event_begin(ctx, "dns", dir, tx_id);
 *   jw_obj_open(w, "dns"); ...; jw_obj_close(w);
 *   app_event_end(ctx);
 * app_event_begin writes the common header (timestamp, flow_id, pcap_cnt,
 * event_type, 5-tuple oriented by dir, proto, tx_id when >= 0) and leaves
 * the top-level object open; app_event_end closes and emits it.
 *
 * dir is APP_TOSERVER (client -> server) or APP_TOCLIENT.  All input is
 * untrusted: parsers check every length against what they were given and
 * never read outside it.
 */
#ifndef OT_APPLAYER_H
#define OT_APPLAYER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "../lib/json.h"

enum { APP_TOSERVER = 0, APP_TOCLIENT = 1 };

/* Protocol ids.  APP_UNKNOWN: not decided yet; APP_FAILED: detection gave up. */
enum app_proto {
	APP_UNKNOWN = 0,
	APP_FAILED,
	APP_HTTP,
	APP_TLS,
	APP_DNS,
	APP_FTP,
	APP_SMTP,
	APP_IMAP,
	APP_POP3,
	APP_SSH,
	APP_PROTO_MAX
};

/* probe() results */
enum { PROBE_NO = 0, PROBE_YES = 1, PROBE_NEED_MORE = -1 };

/* parse() results */
enum { PARSE_OK = 0, PARSE_ERROR = -1 };

struct flow;
struct packet;

/* Sink for finished event lines (one JSON object, no newline). */
typedef void (*app_emit_fn)(void *arg, const char *line, size_t len);

struct app_ctx;

/*
 * One side of a transaction reached a point where detection can look at
 * it: the protocol's own progress level (1, 2...: see the protocol's
 * header, e.g. app-tls.h).  tx is the parser's view of the transaction,
 * read through that header's accessors, valid only during the call.
 */
typedef void (*app_tx_fn)(void *arg, struct app_ctx *ctx, enum app_proto proto, int dir,
			  int64_t tx_id, const void *tx, unsigned progress);

/*
 * Settings the parsers read (from the configuration, sensor.c); a NULL
 * app_ctx.cfg means the defaults below.
 */
struct app_cfg {
	bool fileinfo;                  /* write fileinfo events (default true) */
	uint32_t http_decompress_layers;/* Content-Encoding layers decoded (0: all; default 2) */
	uint32_t http_body_limit[2];    /* body bytes kept for rules: request, response */
};

#define APP_CFG_HTTP_LAYERS_DEFAULT 2
#define APP_CFG_HTTP_BODY_DEFAULT (100 * 1024)   /* Suricata's request/response-body-limit */

/*
 * What a parser may use while it runs.  The core fills it for each call;
 * tests and fuzz targets may leave flow and pkt NULL (the header then holds
 * only event_type and tx_id) and point emit at their own collector.
 */
struct app_ctx {
	struct flow *flow;          /* may be NULL */
	const struct packet *pkt;   /* packet that delivered the data; may be NULL */
	struct jw *jw;              /* scratch writer for events */
	app_emit_fn emit;           /* where finished events go; may be NULL */
	void *emit_arg;
	bool redetect;              /* set by app_switch_protocol() */
	bool tcp;                   /* the flow is TCP (false: UDP) */
	app_tx_fn tx_ready;         /* detection's hook; may be NULL */
	void *tx_arg;
	const struct app_cfg *cfg;  /* may be NULL: defaults */
};

struct app_parser {
	const char *name;           /* EVE name: "http", "tls", "dns" */
	enum app_proto id;
	bool tcp, udp;              /* transports it runs on */
	uint16_t ports[4];          /* usual server ports (0 = unused slot) */
	bool port_only;             /* probe only flows to one of those ports */
	/*
	 * Does data (first bytes seen in direction dir) look like this protocol?
	 * PROBE_YES, PROBE_NO or PROBE_NEED_MORE (too few bytes to tell).
	 */
	int (*probe)(const uint8_t *data, size_t len, int dir);
	void *(*state_new)(void);
	void (*state_free)(void *state);
	/* Feed in-order bytes of direction dir.  PARSE_ERROR makes the core stop
	 * feeding this flow (an anomaly is raised by the parser if it wants). */
	int (*parse)(void *state, struct app_ctx *ctx, int dir,
		     const uint8_t *data, size_t len);
	/* len bytes of direction dir are missing (may be NULL). */
	void (*gap)(void *state, struct app_ctx *ctx, int dir, size_t len);
	/* The flow ends: log what is still open (may be NULL). */
	void (*flow_end)(void *state, struct app_ctx *ctx);
	/* Transactions seen so far, for flow.tx_cnt (may be NULL). */
	uint64_t (*tx_count)(void *state);
	/* Write the protocol's object ("tls": {...}) for the transaction a
	 * rule matched (what app_tx_ready handed over), into an alert (may
	 * be NULL). */
	void (*log_tx)(struct jw *w, const void *tx, const struct flow *f);
};

/* Begin an event of the given type; see the top of this file. */
struct jw *app_event_begin(struct app_ctx *ctx, const char *event_type,
			   int dir, int64_t tx_id);
void app_event_end(struct app_ctx *ctx);

/*
 * An application-layer anomaly, as Suricata logs it:
 *   {"event_type":"anomaly","tx_id":N,"anomaly":{"app_proto":"http",
 *    "type":"applayer","event":"REQUEST_LINE_MISSING_PROTOCOL",
 *    "layer":"proto_parser"}}
 * tx_id < 0 omits it.
 */
void app_anomaly(struct app_ctx *ctx, const char *app_proto, int dir,
		 int64_t tx_id, const char *event);

/* The same, from a layer other than the parser ("proto_detect"). */
void app_anomaly_layer(struct app_ctx *ctx, const char *app_proto, int dir,
		       int64_t tx_id, const char *event, const char *layer);

/* Tell detection (ctx->tx_ready, when set) that a side of tx is ready. */
void app_tx_ready(struct app_ctx *ctx, enum app_proto proto, int dir, int64_t tx_id,
		  const void *tx, unsigned progress);

/*
 * The protocol changes from here on (HTTP CONNECT answered 2xx, STARTTLS):
 * the core runs detection again on the following bytes and records the old
 * protocol as app_proto_orig.
 */
void app_switch_protocol(struct app_ctx *ctx);

/* Registry: every parser, in probe order; NULL-terminated. */
extern const struct app_parser *const app_parsers[];
const struct app_parser *app_parser_by_id(enum app_proto id);
const char *app_proto_name(enum app_proto id);

/* Parsers, each defined in its own file (app-<name>.c). */
extern const struct app_parser app_parser_http;
extern const struct app_parser app_parser_tls;
extern const struct app_parser app_parser_dns;
extern const struct app_parser app_parser_ftp;
extern const struct app_parser app_parser_smtp;
extern const struct app_parser app_parser_imap;
extern const struct app_parser app_parser_pop3;
extern const struct app_parser app_parser_ssh;

#endif
