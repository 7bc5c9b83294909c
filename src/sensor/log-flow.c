/*
 * log-flow.c - the EVE `flow` event, written when a flow ends, and the
 * decoder `anomaly` event, written for each malformed packet: the fields and
 * spellings are Suricata's, so EVE readers work unchanged.
 */
#include "log-flow.h"

#include <stdio.h>
#include <netinet/in.h>

#include "decode.h"
#include "eve.h"
#include "stream.h"
#include "../lib/util.h"

static const char *flow_state_name(const struct flow *f)
{
	if (f->key.proto == IPPROTO_TCP) {
		if (stream_is_closed(f))
			return "closed";
		return stream_is_established(f) ? "established" : "new";
	}
	switch (f->state) {
	case FLOW_ESTABLISHED: return "established";
	case FLOW_CLOSED: return "closed";
	case FLOW_BYPASSED: return "bypassed";
	default: return "new";
	}
}

static const char *reason_name(enum flow_end_reason r)
{
	switch (r) {
	case FLOW_END_TIMEOUT: return "timeout";
	case FLOW_END_FORCED: return "forced";
	default: return "shutdown";
	}
}

static void tcp_flags(struct jw *w, const char *key, uint8_t fl)
{
	jw_hex(w, key, &fl, 1, 0);
}

static void log_tcp(struct jw *w, const struct flow *f)
{
	static const struct { uint8_t bit; const char *name; } bits[] = {
		{ 0x02, "syn" }, { 0x01, "fin" }, { 0x04, "rst" }, { 0x08, "psh" },
		{ 0x10, "ack" }, { 0x20, "urg" }, { 0x40, "ecn" }, { 0x80, "cwr" },
	};
	uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
	jw_obj_open(w, "tcp");
	tcp_flags(w, "tcp_flags", all);
	tcp_flags(w, "tcp_flags_ts", f->tcp_flags[0]);
	tcp_flags(w, "tcp_flags_tc", f->tcp_flags[1]);
	for (size_t i = 0; i < OT_ARRAY_LEN(bits); i++)
		if (all & bits[i].bit)
			jw_bool(w, bits[i].name, true);
	jw_str(w, "state", stream_state_name(f));
	jw_obj_close(w);
}

void log_flow_counters(struct jw *w, const struct flow *f)
{
	char ts[40];
	jw_uint(w, "pkts_toserver", f->pkts[0]);
	jw_uint(w, "pkts_toclient", f->pkts[1]);
	jw_uint(w, "bytes_toserver", f->bytes[0]);
	jw_uint(w, "bytes_toclient", f->bytes[1]);
	ot_time_fmt(&f->start, ts, sizeof(ts));
	jw_str(w, "start", ts);
}

void log_flow(struct jw *w, const struct flow *f, enum flow_end_reason reason)
{
	char ts[40];
	jw_reset(w);
	/* the event's time is the flow's start, as Suricata writes it */
	eve_header(w, "flow", &f->start, NULL, f, 0);
	if (f->key.proto == IPPROTO_ICMP || f->key.proto == IPPROTO_ICMPV6) {
		jw_uint(w, "icmp_type", f->icmp_type);
		jw_uint(w, "icmp_code", f->icmp_code);
		if (f->pkts[1]) {
			jw_uint(w, "response_icmp_type", f->icmp_resp_type);
			jw_uint(w, "response_icmp_code", f->icmp_resp_code);
		}
	}
	if (f->app_proto != APP_UNKNOWN)
		jw_str(w, "app_proto", app_proto_name(f->app_proto));
	if (f->app_proto_ts != APP_UNKNOWN && f->app_proto_ts != f->app_proto)
		jw_str(w, "app_proto_ts", app_proto_name(f->app_proto_ts));
	if (f->app_proto_tc != APP_UNKNOWN && f->app_proto_tc != f->app_proto)
		jw_str(w, "app_proto_tc", app_proto_name(f->app_proto_tc));
	if (f->app_proto_orig != APP_UNKNOWN)
		jw_str(w, "app_proto_orig", app_proto_name(f->app_proto_orig));

	jw_obj_open(w, "flow");
	log_flow_counters(w, f);
	ot_time_fmt(&f->last, ts, sizeof(ts));
	jw_str(w, "end", ts);
	jw_int(w, "age", (int64_t)(f->last.tv_sec - f->start.tv_sec));
	jw_str(w, "state", flow_state_name(f));
	jw_str(w, "reason", reason_name(reason));
	jw_bool(w, "alerted", f->alerted);
	if (f->passed)
		jw_str(w, "action", "pass");
	if (f->parser && f->parser->tx_count && f->app_state)
		jw_uint(w, "tx_cnt", f->parser->tx_count(f->app_state));
	jw_obj_close(w);
	if (f->key.proto == IPPROTO_TCP)
		log_tcp(w, f);
	jw_obj_close(w);
}

void log_decode_anomaly(struct jw *w, const struct packet *p, uint16_t ev)
{
	jw_reset(w);
	eve_header(w, "anomaly", NULL, p, NULL, 0);
	jw_obj_open(w, "anomaly");
	jw_str(w, "type", "decode");
	jw_str(w, "event", decode_event_name(ev));
	jw_obj_close(w);
	jw_obj_close(w);
}
