/*
 * applayer-event.c - how parsers write EVE events and anomalies (applayer.h).
 */
#include "applayer.h"

#include "eve.h"
#include "flow.h"
#include "packet.h"

struct jw *app_event_begin(struct app_ctx *ctx, const char *event_type,
			   int dir, int64_t tx_id)
{
	jw_reset(ctx->jw);
	if (ctx->flow || ctx->pkt)
		eve_header(ctx->jw, event_type, NULL, ctx->pkt, ctx->flow,
			   ctx->flow ? dir ^ ctx->flow->app_flip : dir);
	else {
		jw_obj_open(ctx->jw, NULL);
		jw_str(ctx->jw, "event_type", event_type);
	}
	if (tx_id >= 0)
		jw_int(ctx->jw, "tx_id", tx_id);
	return ctx->jw;
}

void app_event_end(struct app_ctx *ctx)
{
	jw_obj_close(ctx->jw);
	if (jw_ok(ctx->jw) && ctx->emit)
		ctx->emit(ctx->emit_arg, ctx->jw->buf, ctx->jw->len);
	jw_reset(ctx->jw);
}

void app_anomaly(struct app_ctx *ctx, const char *app_proto, int dir,
		 int64_t tx_id, const char *event)
{
	app_anomaly_layer(ctx, app_proto, dir, tx_id, event, "proto_parser");
}

void app_anomaly_layer(struct app_ctx *ctx, const char *app_proto, int dir,
		       int64_t tx_id, const char *event, const char *layer)
{
	struct jw *w = app_event_begin(ctx, "anomaly", dir, tx_id);
	jw_obj_open(w, "anomaly");
	jw_str(w, "app_proto", app_proto);
	jw_str(w, "type", "applayer");
	jw_str(w, "event", event);
	jw_str(w, "layer", layer);
	jw_obj_close(w);
	app_event_end(ctx);
}

void app_switch_protocol(struct app_ctx *ctx)
{
	ctx->redetect = true;
}

void app_tx_ready(struct app_ctx *ctx, enum app_proto proto, int dir, int64_t tx_id,
		  const void *tx, unsigned progress)
{
	if (ctx->tx_ready)
		ctx->tx_ready(ctx->tx_arg, ctx, proto, dir, tx_id, tx, progress);
}
