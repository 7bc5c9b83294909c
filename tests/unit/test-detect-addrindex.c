/*
 * test-detect-addrindex.c - the address index of the rule engine
 * (detect-addrindex.c) against the plain address test (addr_set_match):
 * for every address it is asked about, the index must give exactly the
 * rules whose address set holds it.
 *
 * The rules are the IP reputation files of Emerging Threats Open from
 * ../shared/data (tor.rules: single addresses; drop.rules: networks;
 * compromised.rules, botcc.rules: the other side), and two rules of nested
 * and touching ranges, IPv4 and IPv6, to exercise the segments.  The
 * addresses asked about are every range's first and last address and the
 * ones just outside (a sample of them, for time), plus a spread of others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect-addrindex.h"
#include "detect-parse.h"
#include "../../src/lib/log.h"

static const char nested[] =
	"alert ip [10.0.0.0/8,10.1.0.0/16,10.1.2.3,192.0.2.0/25,192.0.2.128/25] any -> any any (msg:\"nested\"; sid:1;)\n"
	"alert ip [10.1.0.0/24,2001:db8::/120,2001:db8::42] any -> any any (msg:\"nested 6\"; sid:2;)\n"
	"alert ip [255.255.255.0/24,0.0.0.0/24] any -> any any (msg:\"edges\"; sid:3;)\n";

struct probe {
	struct ot_addr a;
	int ver;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* a + d for an IPv4 (ver 4) or IPv6 address, wrapping. */
static struct ot_addr add(struct ot_addr a, int ver, int d)
{
	int last = ver == 4 ? 3 : 15;
	for (int i = last; i >= 0; i--) {
		int v = a.b[i] + d;
		a.b[i] = (uint8_t)v;
		d = v < 0 ? -1 : v > 255 ? 1 : 0;
		if (!d)
			break;
	}
	return a;
}

static void check_side(const struct ruleset *rs, bool src)
{
	struct addr_index ai = { 0 };
	size_t nidx = 0, nprobes = 0, cap = 1024;
	struct probe *probes = malloc(cap * sizeof(*probes));
	assert_non_null(probes);
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct addr_set *s = src ? &rs->rules[i]->src : &rs->rules[i]->dst;
		if (addr_index_span(s) == UINT64_MAX)
			continue;
		assert_int_equal(addr_index_add(&ai, s, (uint32_t)i), 0);
		nidx++;
		for (size_t k = 0; k < s->nin; k++) {
			if (nprobes + 4 > cap) {
				cap *= 2;
				probes = realloc(probes, cap * sizeof(*probes));
				assert_non_null(probes);
			}
			int v = s->in[k].ip_ver;
			probes[nprobes++] = (struct probe){ s->in[k].lo, v };
			probes[nprobes++] = (struct probe){ s->in[k].hi, v };
			probes[nprobes++] = (struct probe){ add(s->in[k].lo, v, -1), v };
			probes[nprobes++] = (struct probe){ add(s->in[k].hi, v, 1), v };
		}
	}
	assert_true(nidx > 0);
	addr_index_build(&ai);
	assert_non_null(ai.seg);        /* these lists make segments, not a plain list */
	/* a spread of other addresses */
	for (uint32_t x = 0; x < 512; x++) {
		struct ot_addr a = { 0 };
		uint32_t v = x * 1048573u;
		a.b[0] = (uint8_t)(v >> 24), a.b[1] = (uint8_t)(v >> 16);
		a.b[2] = (uint8_t)(v >> 8), a.b[3] = (uint8_t)v;
		if (nprobes == cap) {
			cap *= 2;
			probes = realloc(probes, cap * sizeof(*probes));
			assert_non_null(probes);
		}
		probes[nprobes++] = (struct probe){ a, 4 };
	}
	uint32_t *got = malloc(rs->nrules * sizeof(*got)), *want = malloc(rs->nrules * sizeof(*want));
	assert_non_null(got);
	assert_non_null(want);
	/* an odd stride through the probes keeps the test quick in sanitizer builds */
	size_t step = (nprobes / 1500) | 1;
	for (size_t p = 0; p < nprobes; p += step) {
		size_t ng = 0, nw = 0;
		addr_index_lookup(&ai, &probes[p].a, probes[p].ver, got, &ng, rs->nrules);
		for (size_t i = 0; i < rs->nrules; i++) {
			const struct addr_set *s = src ? &rs->rules[i]->src : &rs->rules[i]->dst;
			if (addr_index_span(s) != UINT64_MAX && addr_set_match(s, &probes[p].a, probes[p].ver))
				want[nw++] = (uint32_t)i;
		}
		qsort(got, ng, sizeof(*got), cmp_u32);
		assert_int_equal(ng, nw);
		assert_memory_equal(got, want, nw * sizeof(*want));
	}
	free(got);
	free(want);
	free(probes);
	addr_index_free(&ai);
}

static void test_reputation_lists(void **state)
{
	(void)state;
	const char *root = getenv("OT_SOURCE_ROOT");
	const char *files[] = { "tor.rules", "drop.rules", "compromised.rules", "botcc.rules" };
	char path[1024];
	struct detect_vars *v = detect_vars_new();
	struct ruleset *rs = ruleset_new();
	assert_non_null(v);
	assert_non_null(rs);
	rs->quiet = true;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/../shared/data/rules/et-open/%s", root ? root : ".",
			 files[i]);
		assert_int_equal(ruleset_load_file(rs, path, v), 0);
	}
	assert_int_equal(ruleset_load_buffer(rs, nested, strlen(nested), "t.rules", v), 0);
	assert_true(rs->nrules > 1000);
	check_side(rs, true);
	check_side(rs, false);
	ruleset_free(rs);
	detect_vars_free(v);
}

int main(void)
{
	ot_log_init("test-detect-addrindex");
	ot_log_set_file("/dev/null");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reputation_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
