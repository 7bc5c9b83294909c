/*
 * fuzz-iprep.c - the IP reputation readers (iprep.c) and the iprep rule
 * keyword on arbitrary text.  Reputation lists are downloaded from third
 * parties and refreshed unattended; a damaged or hostile one must be
 * reported line by line, never crash the sensor or corrupt the lookup
 * table.
 *
 * The input is up to four parts separated by NUL bytes: a categories file,
 * a Suricata reputation file, a plain list (into a category of its own,
 * with a score from the input) and rules.  The table is built, then
 * addresses made from 16-byte windows of the input are looked up as IPv4
 * and IPv6 (checking that a listed address has a score in some category),
 * and the rules are matched against a packet between two such addresses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "iprep.h"
#include "log.h"
#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *part(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *start = *p;
	const uint8_t *nul = start < end ? memchr(start, 0, (size_t)(end - start)) : NULL;
	*len = nul ? (size_t)(nul - start) : (size_t)(end - start);
	*p = nul ? nul + 1 : end;
	return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct detect_vars *vars;
	if (!vars) {
		ot_log_init("fuzz-iprep");
		ot_log_set_file("/dev/null");
		if (!(vars = detect_vars_new()))
			return 0;
	}
	if (size > 65536)
		return 0;
	const uint8_t *p = data, *end = data + size;
	size_t lc, lr, ll, lrules;
	const uint8_t *cats = part(&p, end, &lc), *rep = part(&p, end, &lr);
	const uint8_t *list = part(&p, end, &ll), *rules = part(&p, end, &lrules);

	struct ruleset *rs = ruleset_new();
	struct iprep *ip = iprep_new();
	if (!rs || !ip) {
		ruleset_free(rs);
		iprep_free(ip);
		return 0;
	}
	rs->quiet = true;
	rs->iprep = ip;
	iprep_load_buffer(ip, (const char *)cats, lc, "fuzz.categories", IPREP_CATEGORIES, 0, 0);
	iprep_load_buffer(ip, (const char *)rep, lr, "fuzz.reputation", IPREP_SURICATA, 0, 0);
	int cat = iprep_category_define(ip, "FuzzList");
	unsigned score = size ? 1 + data[size - 1] % IPREP_SCORE_MAX : 1;
	if (cat >= 0)
		iprep_load_buffer(ip, (const char *)list, ll, "fuzz.list", IPREP_LIST, cat, score);
	int cats_defined[IPREP_CATS], ncats = 0;
	for (int c = 0; c < IPREP_CATS; c++)
		if (iprep_category_name(ip, c))
			cats_defined[ncats++] = c;
	if (iprep_build(ip) == 0) {
		for (size_t i = 0; i + 16 <= size; i += 7) {
			struct ot_addr a;
			memcpy(a.b, data + i, 16);
			for (int ver = 4; ver <= 6; ver += 2) {
				bool listed = iprep_listed(ip, &a, ver), scored = false;
				for (int c = 0; c < ncats; c++)
					scored |= iprep_score(ip, &a, ver, cats_defined[c]) != 0;
				if (listed != scored)
					abort();
			}
		}
	}
	ruleset_load_buffer(rs, (const char *)rules, lrules, "fuzz.rules", vars);
	struct packet pkt;
	memset(&pkt, 0, sizeof(pkt));
	pkt.ip_ver = size & 1 ? 6 : 4;
	if (size >= 32) {
		memcpy(pkt.src.b, data, 16);
		memcpy(pkt.dst.b, data + 16, 16);
	}
	int kw = detect_keyword_find("iprep");
	for (size_t i = 0; i < rs->nrules; i++)
		for (const struct sigmatch *sm = rs->rules[i]->pkt.head; sm; sm = sm->next)
			if (sm->kw == kw)
				(void)detect_iprep_match(rs->iprep, sm->ctx, &pkt);
	ruleset_free(rs);
	return 0;
}
