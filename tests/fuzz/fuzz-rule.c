/*
 * fuzz-rule.c - the rule parser on arbitrary text.  Rule files come from
 * vendors, mirrors and people; a damaged or hostile one must be rejected
 * rule by rule, never crash the sensor or make it grow without bound.
 *
 * The input is loaded as a rule file (several lines, continuation lines,
 * comments) against the default variables and a small classification
 * table, then a few header expressions are also parsed directly as address
 * and port sets, and every loaded rule's sets are matched once.  The same
 * text is read as a threshold.config (operators write those by hand), and
 * its entries are asked about every loaded rule.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct detect_vars *vars;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ot_log_init("fuzz-rule");
	ot_log_set_file("/dev/null");
	vars = detect_vars_new();
	detect_vars_set(vars, "LOOP_A", "[$LOOP_B,1.2.3.4]");
	detect_vars_set(vars, "LOOP_B", "!$LOOP_A");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct ruleset *rs = ruleset_new();
	if (!rs)
		return 0;
	rs->quiet = true;
	ruleset_load_buffer(rs, (const char *)data, size, "fuzz.rules", vars);
	struct ot_addr a;
	memset(&a, 0, sizeof(a));
	if (size >= 16)
		memcpy(a.b, data, 16);
	for (size_t i = 0; i < rs->nrules; i++) {
		struct rule *r = rs->rules[i];
		(void)addr_set_match(&r->src, &a, 4);
		(void)addr_set_match(&r->dst, &a, 6);
		(void)port_set_match(&r->sp, size > 1 ? (uint16_t)(data[0] << 8 | data[1]) : 0);
		(void)port_set_match(&r->dp, 80);
	}
	/* the first line as an address and as a port expression */
	char line[512];
	size_t n = 0;
	while (n < size && n < sizeof(line) - 1 && data[n] != '\n') {
		line[n] = (char)data[n];
		n++;
	}
	line[n] = '\0';
	char err[256];
	struct addr_set as;
	struct port_set ps;
	if (addr_set_parse(&as, line, vars, err, sizeof(err)) == 0) {
		(void)addr_set_match(&as, &a, 4);
		addr_set_clear(&as);
	}
	if (port_set_parse(&ps, line, vars, err, sizeof(err)) == 0) {
		(void)port_set_match(&ps, 443);
		port_set_clear(&ps);
	}
	FILE *f = fmemopen((void *)data, size, "r");
	if (f) {
		detect_thrcfg_read(rs, f, "fuzz.threshold.config", vars);
		fclose(f);
		for (size_t i = 0; i < rs->nrules; i++) {
			const struct rule *r = rs->rules[i];
			(void)detect_thrcfg_threshold(rs->thrcfg, r->gid, r->sid);
			(void)detect_thrcfg_suppressed(rs->thrcfg, r->gid, r->sid, &a, &a, 4);
		}
		(void)detect_thrcfg_suppressed(rs->thrcfg, 1, 1, &a, &a, 6);
	}
	ruleset_free(rs);
	return 0;
}
