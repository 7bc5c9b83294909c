/*
 * fuzz-detect.c - the matcher (detect-match.c, detect-engine.c) on
 * arbitrary rules and arbitrary payloads.  Rule files and traffic are both
 * untrusted: any rule the parser accepts must be matched against any bytes
 * without reading out of bounds, looping without end or growing memory.
 *
 * The input is a rule file, a NUL byte, then a payload.  Every list of every
 * loaded rule (the payload's and the app-layer buffers', with their
 * transforms) is matched against the payload directly, then the payload is
 * sent through an engine as a TCP packet each way of one flow (flowbits,
 * thresholds, the packet tests), and as a UDP packet without a flow.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect-engine.h"
#include "detect-parse.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_alert(void *arg, const struct rule *r, const struct packet *p, struct flow *f,
		     int dir, const struct detect_tx *t)
{
	(void)r;
	(void)p;
	(void)f;
	(void)dir;
	(*(unsigned *)arg)++;
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
		}
		detect_match_ctx_destroy(&m);
	}

	unsigned alerts = 0;
	struct detect_engine *de = detect_engine_new(rs, no_alert, &alerts);
	if (de) {
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
			detect_packet(de, &p, &f);
			if (i == 3) {
				p.proto = 17;
				p.flow = NULL;
				detect_packet(de, &p, NULL);
			}
		}
		detect_flow_end(de, &f);
		detect_flow_free(&f);
		detect_engine_free(de);
	}
	ruleset_free(rs);
	return 0;
}
