/*
 * applayer.c - protocol detection and parser dispatch.
 *
 * Detection looks at content: each direction's first bytes are offered to
 * every enabled parser's probe(), those that usually run on the flow's server
 * port first.  The first parser to say yes wins the flow; a direction where
 * every parser says no has failed, and a flow where nothing was found is
 * "failed", as Suricata calls it.  Bytes that arrive while a probe needs
 * more are kept (up to APP_PROBE_MAX) and replayed to the parser once it is
 * chosen.  A parser may hand the flow back for detection (HTTP CONNECT,
 * STARTTLS): the old protocol becomes app_proto_orig.
 */
#include "app-engine.h"

#include "flow-table.h"
#include "stream.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

const struct app_parser *const app_parsers[] = {
	&app_parser_http,
	&app_parser_tls,
	&app_parser_dns,
	&app_parser_ssh,
	&app_parser_ftp,
	&app_parser_smtp,
	&app_parser_imap,
	&app_parser_pop3,
	NULL,
};

static const char *const proto_names[APP_PROTO_MAX] = {
	[APP_UNKNOWN] = "unknown", [APP_FAILED] = "failed", [APP_HTTP] = "http",
	[APP_TLS] = "tls", [APP_DNS] = "dns", [APP_FTP] = "ftp", [APP_SMTP] = "smtp",
	[APP_IMAP] = "imap", [APP_POP3] = "pop3", [APP_SSH] = "ssh",
};

const struct app_parser *app_parser_by_id(enum app_proto id)
{
	for (int i = 0; app_parsers[i]; i++)
		if (app_parsers[i]->id == id)
			return app_parsers[i];
	return NULL;
}

const char *app_proto_name(enum app_proto id)
{
	return id < APP_PROTO_MAX && proto_names[id] ? proto_names[id] : "unknown";
}

void app_engine_init(struct app_engine *ae, app_emit_fn emit, void *emit_arg)
{
	memset(ae, 0, sizeof(*ae));
	jw_init(&ae->jw);
	ae->emit = emit;
	ae->emit_arg = emit_arg;
	for (int i = 0; i < APP_PROTO_MAX; i++)
		ae->enabled[i] = true;
	ae->cfg.fileinfo = true;
	ae->cfg.http_decompress_layers = APP_CFG_HTTP_LAYERS_DEFAULT;
	ae->cfg.http_body_limit[0] = ae->cfg.http_body_limit[1] = APP_CFG_HTTP_BODY_DEFAULT;
}

void app_engine_set_tx_hook(struct app_engine *ae, app_tx_fn fn, void *arg)
{
	ae->tx_ready = fn;
	ae->tx_arg = arg;
}

void app_engine_destroy(struct app_engine *ae)
{
	jw_free(&ae->jw);
}

static void ctx_fill(struct app_engine *ae, struct app_ctx *ctx, struct flow *f,
		     const struct packet *p)
{
	ctx->flow = f;
	ctx->pkt = p;
	ctx->jw = &ae->jw;
	ctx->emit = ae->emit;
	ctx->emit_arg = ae->emit_arg;
	ctx->redetect = false;
	ctx->tcp = f->key.proto == IPPROTO_TCP;
	ctx->tx_ready = ae->tx_ready;
	ctx->tx_arg = ae->tx_arg;
	ctx->cfg = &ae->cfg;
}

static bool runs_on(const struct app_parser *ap, const struct flow *f)
{
	return f->key.proto == IPPROTO_TCP ? ap->tcp : ap->udp;
}

static bool on_port(const struct app_parser *ap, uint16_t port)
{
	for (size_t i = 0; i < sizeof(ap->ports) / sizeof(ap->ports[0]); i++)
		if (ap->ports[i] && ap->ports[i] == port)
			return true;
	return false;
}

/*
 * Probe data of direction dir.  Returns the parser that says yes, or NULL
 * with *need_more set when some parser wants more bytes.
 */
static const struct app_parser *probe(struct app_engine *ae, const struct flow *f, int dir,
				      const uint8_t *data, size_t len, bool *need_more)
{
	*need_more = false;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; app_parsers[i]; i++) {
			const struct app_parser *ap = app_parsers[i];
			if (!ae->enabled[ap->id] || !runs_on(ap, f))
				continue;
			bool port = on_port(ap, f->key.bp);
			if (port != (pass == 0))
				continue;
			/* the flow may have been picked up from the server's side */
			if (ap->port_only && !port && !on_port(ap, f->key.ap))
				continue;
			int r = ap->probe(data, len, dir);
			if (r == PROBE_YES)
				return ap;
			if (r == PROBE_NEED_MORE)
				*need_more = true;
		}
	}
	return NULL;
}

static void buf_clear(struct flow *f, int dir)
{
	free(f->app_buf[dir]);
	f->app_buf[dir] = NULL;
	f->app_buf_len[dir] = 0;
}

/* Keep data while probing; false when the probe buffer is full. */
static bool buf_add(struct flow *f, int dir, const uint8_t *data, size_t len)
{
	if (f->app_buf_len[dir] + len > APP_PROBE_MAX)
		return false;
	if (!f->app_buf[dir]) {
		f->app_buf[dir] = malloc(APP_PROBE_MAX);
		if (!f->app_buf[dir])
			return false;
	}
	memcpy(f->app_buf[dir] + f->app_buf_len[dir], data, len);
	f->app_buf_len[dir] += (uint32_t)len;
	return true;
}

static void parser_stop(struct flow *f)
{
	if (f->parser && f->app_state)
		f->parser->state_free(f->app_state);
	f->app_state = NULL;
	f->parser = NULL;
}

static void feed(struct app_engine *ae, struct flow *f, const struct packet *p, int dir,
		 const uint8_t *data, size_t len);

static void redetect(struct flow *f)
{
	if (f->app_proto_orig == APP_UNKNOWN)
		f->app_proto_orig = f->app_proto;
	parser_stop(f);
	f->app_proto = APP_UNKNOWN;
	f->app_proto_ts = f->app_proto_tc = APP_UNKNOWN;
	f->app_done[0] = f->app_done[1] = false;
	f->app_mismatch[0] = f->app_mismatch[1] = false;
	buf_clear(f, 0);
	buf_clear(f, 1);
}

static void choose(struct app_engine *ae, struct flow *f, const struct packet *p,
		   const struct app_parser *ap)
{
	f->parser = ap;
	f->app_proto = ap->id;
	f->app_state = ap->state_new();
	ae->stats.flows[ap->id]++;
	if (!f->app_state) {
		f->app_error = true;
		return;
	}
	/* replay what was kept, client side first */
	for (int d = 0; d < 2; d++) {
		if (!f->app_buf_len[d])
			continue;
		uint8_t *b = f->app_buf[d];
		uint32_t n = f->app_buf_len[d];
		f->app_buf[d] = NULL;
		f->app_buf_len[d] = 0;
		feed(ae, f, p, d, b, n);
		free(b);
		if (!f->parser)
			break;
	}
}

static void feed(struct app_engine *ae, struct flow *f, const struct packet *p, int dir,
		 const uint8_t *data, size_t len)
{
	struct app_ctx ctx;
	if (!f->parser || f->app_error)
		return;
	ctx_fill(ae, &ctx, f, p);
	if (f->parser->parse(f->app_state, &ctx, dir, data, len) != PARSE_OK) {
		ae->stats.parse_errors++;
		f->app_error = true;
	}
	if (ctx.redetect)
		redetect(f);
}

static void set_dir_proto(struct flow *f, int dir, uint8_t id)
{
	if (dir == 0)
		f->app_proto_ts = id;
	else
		f->app_proto_tc = id;
}

/* Mark direction dir as failed; the flow fails when nothing was found. */
static void dir_failed(struct flow *f, int dir)
{
	f->app_done[dir] = true;
	buf_clear(f, dir);
	set_dir_proto(f, dir, APP_FAILED);
	bool udp = f->key.proto != IPPROTO_TCP;
	if (f->app_proto == APP_UNKNOWN && (udp || f->app_done[dir ^ 1]))
		f->app_proto = APP_FAILED;
}

static void detect(struct app_engine *ae, struct flow *f, const struct packet *p, int dir,
		   const uint8_t *data, size_t len)
{
	bool tcp = f->key.proto == IPPROTO_TCP;
	const uint8_t *buf = data;
	size_t blen = len;
	bool need_more;

	if (f->parser) {
		/* the other direction chose the protocol: note what this one
		 * looks like (for app_proto_ts/tc) and feed it right away */
		const struct app_parser *ap = probe(ae, f, dir, data, len, &need_more);
		f->app_done[dir] = true;
		set_dir_proto(f, dir, ap ? ap->id : need_more ? f->app_proto : APP_FAILED);
		if (ap && ap != f->parser) {
			/* this side speaks something else: the flow's protocol
			 * holds in one direction only, and its parser is not
			 * given bytes it cannot understand */
			struct app_ctx ctx;
			ctx_fill(ae, &ctx, f, p);
			app_anomaly_layer(&ctx, f->parser->name, dir, -1,
					  "APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION", "proto_detect");
			f->app_mismatch[dir] = true;
			return;
		}
		feed(ae, f, p, dir, data, len);
		return;
	}
	if (tcp && f->app_buf_len[dir]) {
		if (!buf_add(f, dir, data, len)) {
			dir_failed(f, dir);
			return;
		}
		buf = f->app_buf[dir];
		blen = f->app_buf_len[dir];
	}
	const struct app_parser *ap = probe(ae, f, dir, buf, blen, &need_more);
	if (ap) {
		f->app_done[dir] = true;
		set_dir_proto(f, dir, ap->id);
		if (!f->app_buf_len[dir] && !buf_add(f, dir, data, len)) {
			f->app_error = true;
			return;
		}
		choose(ae, f, p, ap);
		return;
	}
	if (tcp && need_more) {
		if (!f->app_buf_len[dir] && !buf_add(f, dir, data, len))
			dir_failed(f, dir);
		return;
	}
	dir_failed(f, dir);
}

/*
 * A session picked up in the middle may have been taken the wrong way round:
 * when this side's bytes look like the other side of some protocol (a
 * response where a request should be) and not like this side of any (a
 * protocol whose probe ignores the direction, such as DNS, says yes both
 * ways), the flow is turned around.
 */
static bool reversed(struct app_engine *ae, struct flow *f, int dir,
		     const uint8_t *data, size_t len)
{
	bool need_more;
	if (f->key.proto != IPPROTO_TCP || f->parser || f->app_done[dir ^ 1] ||
	    f->app_buf_len[dir ^ 1] || !stream_is_midstream(f))
		return false;
	const struct app_parser *other = probe(ae, f, dir ^ 1, data, len, &need_more);
	return other && other != probe(ae, f, dir, data, len, &need_more);
}

void app_engine_data(struct app_engine *ae, struct flow *f, const struct packet *p,
		     int dir, const uint8_t *data, size_t len, size_t gap)
{
	dir ^= f->app_flip;
	if (f->app_proto == APP_FAILED && !f->parser)
		return;
	if (gap) {
		ae->stats.gaps++;
		if (!f->app_done[dir]) {
			dir_failed(f, dir);
			return;
		}
		if (f->parser && !f->app_error && f->parser->gap) {
			struct app_ctx ctx;
			ctx_fill(ae, &ctx, f, p);
			f->parser->gap(f->app_state, &ctx, dir, gap);
		}
		return;
	}
	if (!len)
		return;
	ae->stats.bytes += len;
	if (!f->app_done[dir] && !f->app_buf_len[dir] && reversed(ae, f, dir, data, len)) {
		f->app_flip = !f->app_flip;
		dir ^= 1;
	}
	if (!f->app_done[dir])
		detect(ae, f, p, dir, data, len);
	else if (!f->app_mismatch[dir])
		feed(ae, f, p, dir, data, len);
}

void app_engine_settle(struct flow *f)
{
	if (f->app_flip) {
		flow_swap(f);
		f->app_flip = false;
	}
}

void app_engine_flow_end(struct app_engine *ae, struct flow *f)
{
	if (f->parser && !f->app_error && f->parser->flow_end) {
		struct app_ctx ctx;
		ctx_fill(ae, &ctx, f, NULL);
		f->parser->flow_end(f->app_state, &ctx);
	}
	/* data was seen but nothing recognised it */
	if (f->app_proto == APP_UNKNOWN && (f->app_buf_len[0] || f->app_buf_len[1] ||
					    f->app_done[0] || f->app_done[1]))
		f->app_proto = APP_FAILED;
}

void app_engine_flow_free(struct flow *f)
{
	parser_stop(f);
	buf_clear(f, 0);
	buf_clear(f, 1);
}
