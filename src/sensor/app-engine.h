/*
 * app-engine.h - the core side of the application layer: protocol detection
 * and feeding each flow's parser (applayer.c).  Parsers see only applayer.h.
 */
#ifndef OT_APP_ENGINE_H
#define OT_APP_ENGINE_H

#include "applayer.h"
#include "flow.h"
#include "packet.h"

#define APP_PROBE_MAX 4096      /* bytes kept per direction while probing */

struct app_engine_stats {
	uint64_t flows[APP_PROTO_MAX];  /* flows detected per protocol */
	uint64_t bytes, gaps, parse_errors;
};

struct app_engine {
	bool enabled[APP_PROTO_MAX];
	struct app_cfg cfg;
	struct jw jw;
	app_emit_fn emit;
	void *emit_arg;
	app_tx_fn tx_ready;
	void *tx_arg;
	struct app_engine_stats stats;
};

void app_engine_init(struct app_engine *ae, app_emit_fn emit, void *emit_arg);
/* Where parsers report transactions ready for detection (NULL: nowhere). */
void app_engine_set_tx_hook(struct app_engine *ae, app_tx_fn fn, void *arg);
void app_engine_destroy(struct app_engine *ae);

/*
 * Bytes of direction dir of flow f: a TCP stream chunk (gap > 0 with data
 * NULL when bytes are missing) or a UDP payload.  p is the packet that
 * delivered them (NULL at flow end).
 */
void app_engine_data(struct app_engine *ae, struct flow *f, const struct packet *p,
		     int dir, const uint8_t *data, size_t len, size_t gap);
/* After each packet: turn the flow around if the app layer found it
 * reversed (flow.app_flip); safe only outside stream delivery. */
void app_engine_settle(struct flow *f);
/* The flow ends: let the parser log what is open; settle detection. */
void app_engine_flow_end(struct app_engine *ae, struct flow *f);
/* Free the flow's parser state and buffers. */
void app_engine_flow_free(struct flow *f);

#endif
