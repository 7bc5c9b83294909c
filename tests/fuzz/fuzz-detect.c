/*
 * fuzz-detect.c - the matcher (detect-match.c, detect-engine.c) on
 * arbitrary rules and arbitrary payloads.  Rule files and traffic are both
 * untrusted: any rule the parser accepts must be matched against any bytes
 * without reading out of bounds, looping without end or growing memory.
 *
 * The input is a rule file, a NUL byte, then a payload.  Every list of every
 * loaded rule (the payload's and the app-layer buffers', with their
 * transforms) is matched against the payload directly and the rule's fast
 * pattern chosen, then the payload is sent through an engine as a TCP packet each
 * way of one flow (flowbits, thresholds, the packet tests), and as a UDP
 * packet without a flow: once with the multi-pattern prefilter and once
 * without, which must raise the same alerts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect-engine.h"
#include "detect-parse.h"
#include "detect-prefilter.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The alerts of one engine: rule sid and packet number, in order. */
struct alerts {
	unsigned n;
	uint32_t sid[64];
	int pkt[64];
	int cur;                    /* packet being matched */
};

static void record(void *arg, const struct rule *r, const struct packet *p, struct flow *f,
		   int dir, const struct detect_tx *t)
{
	struct alerts *a = arg;
	(void)p;
	(void)f;
	(void)dir;
	if (a->n < 64) {
		a->sid[a->n] = r->sid;
		a->pkt[a->n] = a->cur;
	}
	a->n++;
}

/*
 * The payload as a TCP packet each way of one flow (flowbits, thresholds,
 * the packet tests), then as a UDP packet without a flow, and the flow's end.
 */
static void run(const struct ruleset *rs, const struct detect_opts *o, const uint8_t *data,
		size_t size, const uint8_t *payload, uint32_t plen, struct alerts *a)
{
	struct detect_engine *de = detect_engine_new(rs, o, record, a);
	if (!de)
		return;
	struct flow f;
	memset(&f, 0, sizeof(f));
	f.key.a.b[0] = 10, f.key.a.b[3] = 1;
	f.key.b.b[0] = 10, f.key.b.b[3] = 2;
	f.key.ap = 40000;
	f.key.bp = size > 1 ? (uint16_t)(data[0] << 8 | data[1]) : 80;
	f.key.proto = 6;
	f.key.ip_ver = 4;
	for (int i = 0; i < 4; i++) {
		struct packet p;
		memset(&p, 0, sizeof(p));
		int dir = i & 1;
		p.ts.tv_sec = i;
		p.ip_ver = 4;
		p.proto = 6;
		p.ttl = 64;
		p.src = dir ? f.key.b : f.key.a;
		p.dst = dir ? f.key.a : f.key.b;
		p.sport = dir ? f.key.bp : f.key.ap;
		p.dport = dir ? f.key.ap : f.key.bp;
		p.tcp_flags = (uint8_t)(size ? data[size - 1] : 0x18);
		p.payload = payload;
		p.payload_len = plen;
		p.dir = (uint8_t)dir;
		p.flow = &f;
		a->cur = i;
		detect_packet(de, &p, &f);
		if (i == 3) {
			p.proto = 17;
			p.flow = NULL;
			a->cur = 4;
			detect_packet(de, &p, NULL);
		}
	}
	a->cur = 5;
	detect_flow_end(de, &f);
	detect_flow_free(&f);
	detect_engine_free(de);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct detect_vars *vars;
	if (!vars) {
		ot_log_init("fuzz-detect");
		ot_log_set_file("/dev/null");
		vars = detect_vars_new();
		if (!vars)
			return 0;
	}
	if (size > 65536)
		return 0;
	const uint8_t *nul = memchr(data, 0, size);
	size_t rlen = nul ? (size_t)(nul - data) : size;
	const uint8_t *payload = nul ? nul + 1 : data;
	uint32_t plen = (uint32_t)(nul ? size - rlen - 1 : size);

	struct ruleset *rs = ruleset_new();
	if (!rs)
		return 0;
	rs->quiet = true;
	ruleset_load_buffer(rs, (const char *)data, rlen, "fuzz.rules", vars);

	struct detect_match_ctx m;
	if (detect_match_ctx_init(&m) == 0) {
		for (size_t i = 0; i < rs->nrules; i++) {
			for (int b = 0; b < DBUF_MAX; b++) {
				const struct sigmatch *sm = rs->rules[i]->bufs[b].head;
				if (sm && detect_match_supported(sm)) {
					detect_match_rule_start(&m);
					(void)detect_match_buffer(&m, sm, payload, plen);
				}
			}
			struct pf_pattern fp;
			if (pf_fast_pattern(rs->rules[i], &fp) &&
			    (fp.buf < 0 || fp.buf >= DBUF_MAX || !fp.len))
				abort();
		}
		detect_match_ctx_destroy(&m);
	}

	/* A prefilter may only leave out rules that cannot match: the alerts
	 * with and without it must be the same. */
	static const struct detect_opts with = { true, NULL }, without = { false, NULL };
	struct alerts a = { 0 }, b = { 0 };
	run(rs, &with, data, size, payload, plen, &a);
	run(rs, &without, data, size, payload, plen, &b);
	if (a.n != b.n || memcmp(a.sid, b.sid, sizeof(a.sid)) || memcmp(a.pkt, b.pkt, sizeof(a.pkt)))
		abort();
	ruleset_free(rs);
	return 0;
}
