/*
 * sensor.c - the packet pipeline (see sensor.h).
 */
#include "sensor.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "app-engine.h"
#include "decode.h"
#include "detect-engine.h"
#include "detect-parse.h"
#include "detect-reload.h"
#include "detect-prefilter.h"
#include "eve.h"
#include "flow-table.h"
#include "log-flow.h"
#include "output.h"
#include "stream.h"
#include "../lib/config.h"
#include "../lib/json.h"
#include "../lib/log.h"

struct sensor {
	struct decode_ctx dc;
	struct flow_table *ft;
	struct stream_ctx sc;
	struct app_engine ae;
	struct output *out;
	struct jw jw;
	struct detect_engine *de;   /* NULL without rules */
	struct ruleset *rules;      /* owned, with de */
	struct detect_reload *reload;       /* offers new rules, or NULL */
	uint64_t reloads;
	bool prefilter;             /* detect.prefilter */
	char *cache_dir;            /* detect.cache-dir, NULL: none */
	bool log_anomaly;
	bool checksum_validate;
	uint64_t flow_pkts;
	uint64_t outer_flow_pkts;   /* UDP tunnel carriers, also in a flow */
	uint64_t csum_dropped;
	struct timeval first_ts, last_ts;
};

static void emit(void *arg, const char *line, size_t len)
{
	struct sensor *s = arg;
	output_write(s->out, line, len);
}

static void stream_deliver(void *arg, struct flow *f, const struct packet *p, int dir,
			   const uint8_t *data, size_t len, size_t gap)
{
	struct sensor *s = arg;
	app_engine_data(&s->ae, f, p, dir, data, len, gap);
}

static void flow_ended(void *arg, struct flow *f, enum flow_end_reason reason)
{
	struct sensor *s = arg;
	if (f->key.proto == IPPROTO_TCP)
		stream_flow_end(&s->sc, f);
	app_engine_flow_end(&s->ae, f);
	app_engine_settle(f);
	if (s->de)
		detect_flow_end(s->de, f);
	log_flow(&s->jw, f, reason);
	if (jw_ok(&s->jw))
		output_write(s->out, s->jw.buf, s->jw.len);
	stream_session_free(&s->sc, f);
	app_engine_flow_free(f);
	detect_flow_free(f);
}

static void alert_out(void *arg, const struct rule *r, const struct packet *p, struct flow *f,
		      int dir, const struct detect_tx *t)
{
	struct sensor *s = arg;
	log_alert(&s->jw, s->rules, r, p, f, dir, t);
	if (jw_ok(&s->jw))
		output_write(s->out, s->jw.buf, s->jw.len);
}

/* A parser has a transaction side ready: rules on its buffers look at it. */
static void tx_ready(void *arg, struct app_ctx *ctx, enum app_proto proto, int dir,
		     int64_t tx_id, const void *tx, unsigned progress)
{
	struct sensor *s = arg;
	struct detect_tx t = { (uint8_t)proto, tx_id, tx };
	if (ctx->flow)
		detect_tx(s->de, ctx->pkt, ctx->flow, &t, dir, progress);
}

struct detect_engine *sensor_engine_new(struct sensor *s, const struct ruleset *rs)
{
	size_t active, skipped;
	struct detect_opts o = { s->prefilter, s->cache_dir };
	struct detect_engine *de = detect_engine_new(rs, &o, alert_out, s);
	if (!de) {
		ot_err("the detection engine could not be built");
		return NULL;
	}
	detect_engine_counts(de, &active, &skipped);
	ot_notice("%zu rules active, %zu not matchable yet (app-layer buffers or keywords)",
		  active, skipped);
	size_t always;
	const struct pf_stats *st = detect_engine_pf_stats(de, &always);
	if (st)
		ot_notice("prefilter: %zu fast patterns in %u databases (%u compiled, %u from the "
			  "cache%s); %u refused by vectorscan; %zu rules without a usable one are "
			  "evaluated whenever their protocol, ports and addresses fit",
			  st->patterns, st->dbs, st->compiled, st->cached,
			  st->cache_ok ? "" : ", which is off", st->refused, always);
	return de;
}

int sensor_set_rules(struct sensor *s, struct ruleset *rs)
{
	detect_engine_free(s->de);
	ruleset_free(s->rules);
	s->de = NULL;
	s->rules = rs;
	if (rs && !(s->de = sensor_engine_new(s, rs)))
		return -1;
	return 0;
}

const struct detect_engine *sensor_engine(const struct sensor *s)
{
	return s->de;
}

static void remap_flow(void *arg, struct flow *f)
{
	detect_flow_remap(f, arg);
}

void sensor_swap_rules(struct sensor *s, struct ruleset *rs, struct detect_engine *de,
		       const struct detect_remap *map, struct ruleset **old_rs,
		       struct detect_engine **old_de)
{
	flow_table_each(s->ft, remap_flow, (void *)map);
	detect_engine_carry(de, s->de);
	*old_rs = s->rules;
	*old_de = s->de;
	s->rules = rs;
	s->de = de;
	s->reloads++;
}

void sensor_set_reload(struct sensor *s, struct detect_reload *r)
{
	s->reload = r;
}

static void decode_cfg_from(struct decode_cfg *dcfg, const struct ot_config *cfg)
{
	decode_cfg_defaults(dcfg);
	dcfg->checksum_validate = cfg_bool(cfg, "checksum-validation");
	dcfg->vxlan = cfg_bool(cfg, "decoder.vxlan.enabled");
	dcfg->vxlan_ports[0] = (uint16_t)cfg_uint(cfg, "decoder.vxlan.ports");
	dcfg->teredo = cfg_bool(cfg, "decoder.teredo.enabled");
	dcfg->erspan = cfg_bool(cfg, "decoder.erspan.typeI.enabled");
	dcfg->track_depth = cfg_bool(cfg, "decoder.recursion-level.use-for-tracking");
	dcfg->defrag_memcap = (uint32_t)cfg_uint(cfg, "defrag.memcap");
	dcfg->defrag_timeout = (uint32_t)cfg_uint(cfg, "defrag.timeout");
}

static void flow_cfg_from(struct flow_cfg *fcfg, const struct ot_config *cfg)
{
	static const char *const protos[FLOW_PROTO_MAX] = { "tcp", "udp", "icmp", "default" };
	static const char *const states[FLOW_TO_MAX] = { "new", "established", "closed" };
	char key[64];
	flow_cfg_defaults(fcfg);
	fcfg->memcap = cfg_uint(cfg, "flow.memcap");
	fcfg->hash_size = (uint32_t)cfg_uint(cfg, "flow.hash-size");
	fcfg->track_vlan = cfg_bool(cfg, "vlan.use-for-tracking");
	fcfg->track_depth = cfg_bool(cfg, "decoder.recursion-level.use-for-tracking");
	for (int p = 0; p < FLOW_PROTO_MAX; p++) {
		for (int st = 0; st < FLOW_TO_MAX; st++) {
			if (st == FLOW_TO_CLOSED && p != FLOW_PROTO_TCP)
				continue;
			snprintf(key, sizeof(key), "flow-timeouts.%s.%s", protos[p], states[st]);
			fcfg->timeout[p][st] = (uint32_t)cfg_uint(cfg, key);
		}
	}
}

struct sensor *sensor_new(const struct ot_config *cfg, const char *logdir)
{
	struct sensor *s = calloc(1, sizeof(*s));
	struct decode_cfg dcfg;
	struct flow_cfg fcfg;
	struct stream_cfg scfg = {
		.midstream = cfg_bool(cfg, "stream.midstream"),
		.async_oneside = cfg_bool(cfg, "stream.async-oneside"),
		.inline_mode = cfg_bool(cfg, "stream.inline"),
		.depth = cfg_uint(cfg, "stream.reassembly.depth"),
		.memcap = cfg_uint(cfg, "stream.memcap"),
		.last_wins = !strcmp(cfg_str(cfg, "stream.reassembly.overlap-policy"), "last"),
	};
	if (!s)
		return NULL;
	jw_init(&s->jw);
	s->log_anomaly = cfg_bool(cfg, "outputs.eve.anomaly");
	s->prefilter = cfg_bool(cfg, "detect.prefilter");
	const char *cache = cfg_str(cfg, "detect.cache-dir");
	if (cache && *cache && !(s->cache_dir = strdup(cache)))
		goto err;
	decode_cfg_from(&dcfg, cfg);
	flow_cfg_from(&fcfg, cfg);
	s->out = output_open(cfg, logdir);
	if (!s->out || decode_ctx_init(&s->dc, &dcfg) < 0)
		goto err;
	s->ft = flow_table_new(&fcfg, flow_ended, s);
	if (!s->ft)
		goto err;
	stream_ctx_init(&s->sc, &scfg, stream_deliver, s);
	app_engine_init(&s->ae, emit, s);
	app_engine_set_tx_hook(&s->ae, tx_ready, s);
	s->ae.enabled[APP_HTTP] = cfg_bool(cfg, "app-layer.protocols.http.enabled");
	s->ae.enabled[APP_TLS] = cfg_bool(cfg, "app-layer.protocols.tls.enabled");
	s->ae.enabled[APP_DNS] = cfg_bool(cfg, "app-layer.protocols.dns.enabled");
	s->ae.cfg.fileinfo = cfg_bool(cfg, "outputs.eve.fileinfo");
	s->ae.cfg.http_decompress_layers = (uint32_t)cfg_uint(cfg,
		"app-layer.protocols.http.libhtp.default-config.response-body-decompress-layer-limit");
	s->ae.cfg.http_body_limit[0] = (uint32_t)cfg_uint(cfg,
		"app-layer.protocols.http.libhtp.default-config.request-body-limit");
	s->ae.cfg.http_body_limit[1] = (uint32_t)cfg_uint(cfg,
		"app-layer.protocols.http.libhtp.default-config.response-body-limit");
	return s;
err:
	ot_err("the packet pipeline could not be set up");
	output_close(s->out);
	jw_free(&s->jw);
	free(s->cache_dir);
	free(s);
	return NULL;
}

static void log_anomalies(struct sensor *s, const struct packet *p)
{
	for (int i = 0; i < p->event_cnt; i++) {
		log_decode_anomaly(&s->jw, p, p->events[i]);
		if (jw_ok(&s->jw))
			output_write(s->out, s->jw.buf, s->jw.len);
	}
}

void sensor_tick(struct sensor *s, const struct timeval *now)
{
	if (s->reload)
		detect_reload_poll(s->reload);
	flow_table_timeout(s->ft, now);
	decode_defrag_timeout(&s->dc, now);
}

/*
 * The UDP datagram that carries a tunnel (VXLAN, Teredo) is traffic of its
 * own between two tunnel endpoints, and Suricata gives it a flow too.
 */
static void outer_flow(struct sensor *s, const struct packet *p)
{
	struct packet op = *p;
	op.src = p->outer.src;
	op.dst = p->outer.dst;
	op.sport = p->outer.sport;
	op.dport = p->outer.dport;
	op.ip_ver = p->outer.ip_ver;
	op.proto = IPPROTO_UDP;
	op.depth = 0;
	op.tcp_flags = 0;
	op.icmp_type = op.icmp_code = 0;
	op.payload_len = 0;
	if (flow_handle_packet(s->ft, &op))
		s->outer_flow_pkts++;
}

void sensor_packet(struct sensor *s, struct packet *p)
{
	if (!s->first_ts.tv_sec && !s->first_ts.tv_usec)
		s->first_ts = p->ts;
	s->last_ts = p->ts;
	sensor_tick(s, &p->ts);

	enum decode_result r = decode_packet(&s->dc, p);
	if (p->event_cnt && s->log_anomaly)
		log_anomalies(s, p);
	if (r == DECODE_OK && p->csum_bad && s->dc.cfg.checksum_validate) {
		s->csum_dropped++;
		r = DECODE_INVALID;
	}
	if (r != DECODE_INVALID && p->depth && p->outer.proto == IPPROTO_UDP)
		outer_flow(s, p);
	if (r == DECODE_OK) {
		struct flow *f = flow_handle_packet(s->ft, p);
		if (f) {
			s->flow_pkts++;
			if (p->proto == IPPROTO_TCP) {
				stream_packet(&s->sc, f, p);
				app_engine_settle(f);
			}
			else if (p->proto == IPPROTO_UDP && p->payload_len)
				app_engine_data(&s->ae, f, p, p->dir, p->payload, p->payload_len, 0);
		}
		if (s->de)
			detect_packet(s->de, p, f);
	}
	packet_release(p);
}

static void stats_event(struct sensor *s)
{
	const struct decode_stats *d = &s->dc.stats;
	const struct flow_stats *fs = flow_table_stats(s->ft);
	struct jw *w = &s->jw;
	jw_reset(w);
	eve_header(w, "stats", &s->last_ts, NULL, NULL, 0);
	jw_obj_open(w, "stats");
	jw_int(w, "uptime", (int64_t)(s->last_ts.tv_sec - s->first_ts.tv_sec));
	jw_obj_open(w, "decoder");
	jw_uint(w, "pkts", d->pkts);
	jw_uint(w, "bytes", d->bytes);
	jw_uint(w, "ipv4", d->ipv4);
	jw_uint(w, "ipv6", d->ipv6);
	jw_uint(w, "tcp", d->tcp);
	jw_uint(w, "udp", d->udp);
	jw_uint(w, "icmpv4", d->icmpv4);
	jw_uint(w, "icmpv6", d->icmpv6);
	jw_uint(w, "arp", d->arp);
	jw_uint(w, "gre", d->gre);
	jw_uint(w, "vlan", d->vlan);
	jw_uint(w, "tunnels", d->tunnels);
	jw_uint(w, "other", d->other);
	jw_uint(w, "invalid", d->invalid);
	jw_uint(w, "checksum_dropped", s->csum_dropped);
	jw_obj_open(w, "defrag");
	jw_uint(w, "held", d->frag_held);
	jw_uint(w, "reassembled", d->frag_reassembled);
	jw_uint(w, "dropped", d->frag_dropped);
	jw_obj_close(w);
	jw_obj_close(w);
	jw_obj_open(w, "flow");
	jw_uint(w, "pkts", s->flow_pkts);
	jw_uint(w, "tunnel_carrier_pkts", s->outer_flow_pkts);
	jw_uint(w, "created", fs->created);
	jw_uint(w, "peak", fs->peak);
	jw_uint(w, "ended_timeout", fs->ended_timeout);
	jw_uint(w, "ended_forced", fs->ended_forced);
	jw_uint(w, "ended_shutdown", fs->ended_shutdown);
	jw_uint(w, "reused", fs->reused);
	jw_uint(w, "memcap_evictions", fs->memcap_evictions);
	jw_obj_close(w);
	jw_obj_open(w, "tcp");
	jw_uint(w, "sessions", s->sc.stats.sessions);
	jw_uint(w, "midstream", s->sc.stats.midstream);
	jw_uint(w, "retransmits", s->sc.stats.retransmits);
	jw_uint(w, "overlaps", s->sc.stats.overlaps);
	jw_uint(w, "gaps", s->sc.stats.gaps);
	jw_uint(w, "memcap_drops", s->sc.stats.memcap_drops);
	jw_uint(w, "depth_reached", s->sc.stats.depth_reached);
	jw_obj_close(w);
	jw_obj_open(w, "app_layer");
	jw_obj_open(w, "flow");
	for (int i = APP_FAILED; i < APP_PROTO_MAX; i++)
		if (s->ae.stats.flows[i])
			jw_uint(w, app_proto_name(i), s->ae.stats.flows[i]);
	jw_obj_close(w);
	jw_uint(w, "parse_errors", s->ae.stats.parse_errors);
	jw_obj_close(w);
	jw_obj_open(w, "detect");
	jw_uint(w, "rules_loaded", s->rules ? s->rules->nrules : 0);
	jw_uint(w, "rules_failed", s->rules ? s->rules->nrej : 0);
	jw_uint(w, "reloads", s->reloads);
	jw_uint(w, "reload_failures", s->reload ? detect_reload_failures(s->reload) : 0);
	jw_obj_close(w);
	output_stats(s->out, w);
	jw_obj_close(w);
	jw_obj_close(w);
	if (jw_ok(w))
		output_write(s->out, w->buf, w->len);
}

void sensor_finish(struct sensor *s)
{
	flow_table_end_all(s->ft, FLOW_END_SHUTDOWN);
	stats_event(s);
	output_flush(s->out);
}

void sensor_free(struct sensor *s)
{
	if (!s)
		return;
	flow_table_free(s->ft);
	detect_engine_free(s->de);
	ruleset_free(s->rules);
	decode_ctx_destroy(&s->dc);
	app_engine_destroy(&s->ae);
	output_close(s->out);
	jw_free(&s->jw);
	free(s->cache_dir);
	free(s);
}

void sensor_counts(const struct sensor *s, struct sensor_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->pkts = s->dc.stats.pkts;
	c->bytes = s->dc.stats.bytes;
	c->flow_pkts = s->flow_pkts;
	c->noflow_pkts = s->dc.stats.other + s->dc.stats.arp;
	c->invalid_pkts = s->dc.stats.invalid;
	c->frag_held = s->dc.stats.frag_held;
	c->flows = flow_table_stats(s->ft)->created;
	c->events = output_count(s->out, NULL);
}

static void print_type(void *arg, const char *type, uint64_t n)
{
	fprintf(arg, "  %-10s %llu\n", type, (unsigned long long)n);
}

void sensor_summary(const struct sensor *s, FILE *out)
{
	struct sensor_counts c;
	sensor_counts(s, &c);
	fprintf(out, "Read %llu packets (%llu bytes) in %llu flows.\n",
		(unsigned long long)c.pkts, (unsigned long long)c.bytes,
		(unsigned long long)c.flows);
	fprintf(out, "Protocols recognised:");
	for (int i = APP_HTTP; i < APP_PROTO_MAX; i++)
		if (s->ae.stats.flows[i])
			fprintf(out, " %s %llu", app_proto_name(i),
				(unsigned long long)s->ae.stats.flows[i]);
	fprintf(out, "\nEvents written (%llu), by type:\n", (unsigned long long)c.events);
	output_each_type(s->out, print_type, out);
}
