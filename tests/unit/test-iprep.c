/*
 * test-iprep.c - IP reputation lists and their lookup (iprep.c), and the
 * iprep rule keyword (detect-kw-iprep.c): Emerging Threats' real
 * compromised-ips.txt loaded whole and every address of it found; prefixes,
 * ranges and netmasks of both IP versions at their edges, the whole address
 * space included; Suricata's categories and reputation files with
 * overlapping entries; every kind of bad line counted and skipped; random
 * overlapping ranges checked against a brute-force answer; and iprep rules
 * parsed, rejected and matched by the engine (IP-only: first packet of each
 * direction).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "detect-engine.h"
#include "detect-parse.h"
#include "iprep.h"
#include "../../src/lib/log.h"

static char shared[1024];

static struct ot_addr addr(const char *text, int *ver)
{
	struct ot_addr a;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.b) == 1)
		*ver = 4;
	else if (inet_pton(AF_INET6, text, a.b) == 1)
		*ver = 6;
	else
		fail_msg("bad test address %s", text);
	return a;
}

static unsigned score(const struct iprep *ip, const char *text, int cat)
{
	int ver;
	struct ot_addr a = addr(text, &ver);
	return iprep_score(ip, &a, ver, cat);
}

static struct iprep *load_list(const char *text, const char *cat, unsigned sc, int bad)
{
	struct iprep *ip = iprep_new();
	assert_non_null(ip);
	int id = iprep_category_define(ip, cat);
	assert_true(id >= 0);
	assert_int_equal(iprep_load_buffer(ip, text, strlen(text), "t.list", IPREP_LIST, id, sc), bad);
	assert_int_equal(iprep_build(ip), 0);
	return ip;
}

/* ET's list: every line is one address, all of them load and are found. */
static void test_et_compromised(void **state)
{
	(void)state;
	char path[1100], line[256];
	snprintf(path, sizeof(path), "%s/data/rules/et-open/compromised-ips.txt", shared);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	struct iprep *ip = iprep_new();
	int cat = iprep_category_define(ip, "Compromised");
	assert_int_equal(cat, 1);
	assert_int_equal(iprep_load(ip, path, IPREP_LIST, cat, 100), 0);
	assert_int_equal(iprep_build(ip), 0);
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		n++;
		int ver;
		struct ot_addr a = addr(line, &ver);
		assert_int_equal(ver, 4);
		assert_int_equal(iprep_score(ip, &a, 4, cat), 100);
		assert_true(iprep_listed(ip, &a, 4));
		assert_int_equal(iprep_score(ip, &a, 4, cat + 1), 0);
	}
	fclose(f);
	assert_true(n > 200);
	assert_int_equal(iprep_entries(ip), n);
	assert_true(iprep_ranges(ip) <= n);
	assert_int_equal(score(ip, "192.0.2.1", cat), 0);
	assert_int_equal(score(ip, "2001:db8::1", cat), 0);
	assert_int_equal(iprep_load(ip, "/nonexistent/list.txt", IPREP_LIST, cat, 100), -1);
	iprep_free(ip);
}

static void test_prefixes_and_ranges(void **state)
{
	(void)state;
	struct iprep *ip = load_list(
		"# a comment\n"
		"\n"
		"10.0.0.0/8\n"
		"192.0.2.1-192.0.2.9   ; ranges too\r\n"
		"198.51.100.77/255.255.255.0\n"
		"203.0.113.5/24\n"
		"2001:db8::/32\n"
		"::1  # loopback\n"
		"255.255.255.255\n"
		"0.0.0.0/32\n", "CnC", 60, 0);
	int c = iprep_category_find(ip, "CnC");
	assert_int_equal(iprep_entries(ip), 8);
	assert_int_equal(score(ip, "9.255.255.255", c), 0);
	assert_int_equal(score(ip, "10.0.0.0", c), 60);
	assert_int_equal(score(ip, "10.255.255.255", c), 60);
	assert_int_equal(score(ip, "11.0.0.0", c), 0);
	assert_int_equal(score(ip, "192.0.2.0", c), 0);
	assert_int_equal(score(ip, "192.0.2.1", c), 60);
	assert_int_equal(score(ip, "192.0.2.9", c), 60);
	assert_int_equal(score(ip, "192.0.2.10", c), 0);
	assert_int_equal(score(ip, "198.51.100.0", c), 60);
	assert_int_equal(score(ip, "198.51.100.255", c), 60);
	assert_int_equal(score(ip, "203.0.113.0", c), 60);      /* host bits are masked */
	assert_int_equal(score(ip, "203.0.114.0", c), 0);
	assert_int_equal(score(ip, "255.255.255.255", c), 60);
	assert_int_equal(score(ip, "255.255.255.254", c), 0);
	assert_int_equal(score(ip, "0.0.0.0", c), 60);
	assert_int_equal(score(ip, "0.0.0.1", c), 0);
	assert_int_equal(score(ip, "2001:db8::", c), 60);
	assert_int_equal(score(ip, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", c), 60);
	assert_int_equal(score(ip, "2001:db9::", c), 0);
	assert_int_equal(score(ip, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", c), 0);
	assert_int_equal(score(ip, "::1", c), 60);
	assert_int_equal(score(ip, "::2", c), 0);
	assert_int_equal(score(ip, "::", c), 0);
	iprep_free(ip);

	/* the whole of both address spaces, and a hole punched by nothing */
	ip = load_list("0.0.0.0/0\n::/0\n", "All", 1, 0);
	c = iprep_category_find(ip, "All");
	assert_int_equal(iprep_ranges(ip), 2);
	assert_int_equal(score(ip, "0.0.0.0", c), 1);
	assert_int_equal(score(ip, "255.255.255.255", c), 1);
	assert_int_equal(score(ip, "::", c), 1);
	assert_int_equal(score(ip, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", c), 1);
	iprep_free(ip);

	/* neighbours with the same categories become one range */
	ip = load_list("1.0.0.0/24\n1.0.1.0/24\n1.0.2.0-1.0.2.255\n1.0.4.0/24\n", "X", 9, 0);
	assert_int_equal(iprep_ranges(ip), 2);
	iprep_free(ip);
}

static const char categories[] =
	"# id,short name,description\n"
	"1,CnC,Command and control servers\n"
	"2,Spam,Known spammers\n"
	"42,Scanner,Scans the Internet\n";

static void test_suricata_files(void **state)
{
	(void)state;
	static const char rep[] =
		"10.0.0.0/8,1,20\n"
		"10.1.0.0/16,1,90\n"
		"10.1.2.3,2,50\n"
		"10.1.2.3,1,10\n"
		"10.9.9.9,42,0\n"
		"2001:db8::/48,42,127\n";
	struct iprep *ip = iprep_new();
	assert_int_equal(iprep_load_buffer(ip, categories, strlen(categories), "c.txt",
					   IPREP_CATEGORIES, 0, 0), 0);
	assert_int_equal(iprep_load_buffer(ip, rep, strlen(rep), "r.list", IPREP_SURICATA, 0, 0), 0);
	assert_int_equal(iprep_build(ip), 0);
	assert_int_equal(iprep_category_find(ip, "CnC"), 1);
	assert_int_equal(iprep_category_find(ip, "Scanner"), 42);
	assert_int_equal(iprep_category_find(ip, "cnc"), -1);
	assert_string_equal(iprep_category_desc(ip, 2), "Known spammers");
	assert_null(iprep_category_name(ip, 3));
	assert_int_equal(iprep_entries(ip), 6);
	/* overlapping entries: the highest score of each category */
	assert_int_equal(score(ip, "10.1.2.3", 1), 90);
	assert_int_equal(score(ip, "10.1.2.3", 2), 50);
	assert_int_equal(score(ip, "10.1.2.4", 1), 90);
	assert_int_equal(score(ip, "10.1.2.4", 2), 0);
	assert_int_equal(score(ip, "10.2.0.0", 1), 20);
	assert_int_equal(score(ip, "11.0.0.0", 1), 0);
	/* score 0 is "no data" */
	assert_int_equal(score(ip, "10.9.9.9", 42), 0);
	assert_int_equal(score(ip, "10.9.9.9", 1), 20);
	assert_int_equal(score(ip, "2001:db8:0:ffff::1", 42), 127);
	assert_int_equal(score(ip, "2001:db8:1::", 42), 0);
	uint64_t seen[2];
	iprep_category_scores(ip, 1, seen);
	assert_true(seen[0] == (1ull << 20 | 1ull << 10) && seen[1] == (1ull << (90 - 64)));
	/* a list's new category takes the lowest free id; a known one is reused */
	assert_int_equal(iprep_category_define(ip, "Botnet"), 3);
	assert_int_equal(iprep_category_define(ip, "Spam"), 2);
	assert_int_equal(iprep_category_define(ip, "bad name"), -1);
	iprep_free(ip);
}

static void test_bad_lines(void **state)
{
	(void)state;
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text),
		"bad\n"                         /* 1 */
		"1.2.3.4 5.6.7.8\n"             /* 2 */
		"300.1.1.1\n"                   /* 3 */
		"10.0.0.0/33\n"                 /* 4 */
		"2001:db8::/129\n"              /* 5 */
		"10.0.0.9-10.0.0.1\n"           /* 6 */
		"192.0.2.1\n");                 /* fine */
	memset(text + n, 'x', 1500);        /* 7: too long */
	n += 1500;
	static const char tail[] = "\n1.1.1.\0001\n8.8.8.8";  /* 8: a NUL; then fine */
	memcpy(text + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	struct iprep *ip = iprep_new();
	int c = iprep_category_define(ip, "L");
	assert_int_equal(iprep_load_buffer(ip, text, n, "bad.list", IPREP_LIST, c, 50), 8);
	/* a list needs a category and a score from 1 to 127 */
	assert_int_equal(iprep_load_buffer(ip, "1.1.1.1\n", 8, "x", IPREP_LIST, c, 0), -1);
	assert_int_equal(iprep_load_buffer(ip, "1.1.1.1\n", 8, "x", IPREP_LIST, 200, 5), -1);
	assert_int_equal(iprep_build(ip), 0);
	assert_int_equal(iprep_entries(ip), 2);
	assert_int_equal(score(ip, "192.0.2.1", c), 50);
	assert_int_equal(score(ip, "8.8.8.8", c), 50);
	/* once built, no more entries */
	assert_int_equal(iprep_load_buffer(ip, "1.1.1.1\n", 8, "x", IPREP_LIST, c, 5), -1);
	assert_int_equal(score(ip, "1.1.1.1", c), 0);
	iprep_free(ip);

	static const char cats[] =
		"256,Big,too big an id\n"
		"7,has space,bad name\n"
		"1,Other,id 1 is CnC\n"
		"9,CnC,CnC is id 1\n"
		"only,two\n"
		"x,Name,not a number\n"
		"1,CnC,the same again is fine\n";
	static const char rep[] =
		"10.0.0.1,1\n"
		"10.0.0.1,1,5,6\n"
		"10.0.0.1,3,5\n"
		"10.0.0.1,1,128\n"
		"10.0.0.x,1,5\n"
		"10.0.0.1,1,-1\n"
		" 10.0.0.2 , 1 , 7 \n";
	ip = iprep_new();
	assert_int_equal(iprep_load_buffer(ip, categories, strlen(categories), "c", IPREP_CATEGORIES, 0, 0), 0);
	assert_int_equal(iprep_load_buffer(ip, cats, strlen(cats), "c2", IPREP_CATEGORIES, 0, 0), 6);
	assert_string_equal(iprep_category_desc(ip, 1), "the same again is fine");
	assert_int_equal(iprep_load_buffer(ip, rep, strlen(rep), "r", IPREP_SURICATA, 0, 0), 6);
	assert_int_equal(iprep_build(ip), 0);
	assert_int_equal(iprep_entries(ip), 1);
	assert_int_equal(score(ip, "10.0.0.2", 1), 7);
	assert_int_equal(score(ip, "10.0.0.1", 1), 0);
	iprep_free(ip);
}

/*
 * Random overlapping ranges in a corner of each address space, against the
 * answer of painting every entry.  Point a of the corner is the IPv4 block
 * 10.0.0.0 + 4096 a (of 4096 addresses, so ranges cross many /16s, and
 * there are enough of them for the IPv4 index) and the IPv6 address
 * 2001:db8::a.
 */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void test_random_against_brute_force(void **state)
{
	(void)state;
	enum { N = 6000, SPACE = 65536 };
	static uint8_t best[3][SPACE + 16];
	char text[160];
	struct iprep *ip = iprep_new();
	int ids[3];
	ids[0] = iprep_category_define(ip, "A");
	ids[1] = iprep_category_define(ip, "B");
	ids[2] = iprep_category_define(ip, "C");
	memset(best, 0, sizeof(best));
	for (int i = 0; i < N; i++) {
		uint32_t lo = rnd(SPACE), len = rnd(8) ? rnd(4) : rnd(1200), k = rnd(3);
		uint32_t hi = lo + len >= SPACE ? SPACE - 1 : lo + len, sc = 1 + rnd(127);
		for (uint32_t x = lo; x <= hi; x++)
			if (best[k][x] < sc)
				best[k][x] = (uint8_t)sc;
		uint32_t lo4 = 0x0a000000u + (lo << 12), hi4 = 0x0a000000u + (hi << 12) + 4095;
		int n = snprintf(text, sizeof(text), "%u.%u.%u.%u-%u.%u.%u.%u\n2001:db8::%x-2001:db8::%x\n",
				 lo4 >> 24, lo4 >> 16 & 255, lo4 >> 8 & 255, lo4 & 255,
				 hi4 >> 24, hi4 >> 16 & 255, hi4 >> 8 & 255, hi4 & 255, lo, hi);
		assert_int_equal(iprep_load_buffer(ip, text, (size_t)n, "r", IPREP_LIST, ids[k], sc), 0);
	}
	assert_int_equal(iprep_build(ip), 0);
	assert_true(iprep_ranges(ip) > 2 * 4096);
	for (uint32_t a = 0; a < SPACE + 16; a++) {
		struct ot_addr x4, x6;
		memset(&x4, 0, sizeof(x4));
		x4.w[0] = htonl(0x0a000000u + (a << 12) + a % 4096);
		memset(&x6, 0, sizeof(x6));
		x6.b[0] = 0x20, x6.b[1] = 0x01, x6.b[2] = 0x0d, x6.b[3] = 0xb8;
		x6.b[13] = (uint8_t)(a >> 16);
		x6.b[14] = (uint8_t)(a >> 8);
		x6.b[15] = (uint8_t)a;
		for (int k = 0; k < 3; k++) {
			if (iprep_score(ip, &x4, 4, ids[k]) != best[k][a] ||
			    iprep_score(ip, &x6, 6, ids[k]) != best[k][a])
				fail_msg("point %u category %d: %u and %u, not %u", a, k,
					 iprep_score(ip, &x4, 4, ids[k]), iprep_score(ip, &x6, 6, ids[k]),
					 best[k][a]);
		}
	}
	iprep_free(ip);
}

/* 300,000 addresses spread over the whole IPv4 space (a finer index than
 * /16), and a /8 over some of them in another category. */
static void test_big_list(void **state)
{
	(void)state;
	enum { N = 300000, STEP = 14293 };
	size_t cap = (size_t)N * 17 + 64, n = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t a = i * STEP;
		n += (size_t)snprintf(text + n, cap - n, "%u.%u.%u.%u\n", a >> 24, a >> 16 & 255,
				      a >> 8 & 255, a & 255);
	}
	struct iprep *ip = iprep_new();
	int c = iprep_category_define(ip, "Many"), w = iprep_category_define(ip, "Wide");
	assert_int_equal(iprep_load_buffer(ip, text, n, "big", IPREP_LIST, c, 7), 0);
	assert_int_equal(iprep_load_buffer(ip, "100.0.0.0/8\n", 12, "wide", IPREP_LIST, w, 3), 0);
	assert_int_equal(iprep_build(ip), 0);
	assert_true(iprep_ranges(ip) > N);
	for (uint32_t i = 0; i < N; i++) {
		struct ot_addr x;
		memset(&x, 0, sizeof(x));
		uint32_t a = i * STEP, b = a + 1 + i % (STEP - 1);
		x.w[0] = htonl(a);
		if (iprep_score(ip, &x, 4, c) != 7 ||
		    iprep_score(ip, &x, 4, w) != (a >> 24 == 100 ? 3u : 0u))
			fail_msg("address %u: not found", a);
		x.w[0] = htonl(b);
		if (iprep_score(ip, &x, 4, c) || iprep_score(ip, &x, 4, w) != (b >> 24 == 100 ? 3u : 0u))
			fail_msg("address %u: found", b);
	}
	iprep_free(ip);
	free(text);
}

/* ---- the iprep keyword ---- */

/* The sids (below 32) that alerted, as bits. */
static void sid_bits(void *arg, const struct rule *r, const struct packet *p, struct flow *f,
		     int dir, const struct detect_tx *t)
{
	*(uint32_t *)arg |= 1u << r->sid;
}

static void test_keyword(void **state)
{
	(void)state;
	static const char rep[] =
		"198.51.100.1,1,90\n"           /* CnC 90 */
		"198.51.100.2,2,30\n"           /* Spam 30 */
		"203.0.113.0/24,2,80\n";        /* Spam 80 */
	static const char rules[] =
		"alert ip any any -> any any (msg:\"to CnC\"; iprep:dst,CnC,>,50; sid:1;)\n"
		"alert ip any any -> any any (msg:\"from spam\"; iprep:src,Spam,isset; sid:2;)\n"
		"alert ip any any -> any any (iprep:both,Spam,>=,30; sid:3;)\n"
		"alert ip any any -> any any (iprep:any,CnC,=,90; sid:4;)\n"
		"alert ip any any -> any any (iprep:src,Spam,<,50; sid:5;)\n"
		"alert ip any any -> any any (iprep:src,CnC,isnotset; iprep:dst,CnC,isnotset; "
		"iprep:any,Spam,isset; sid:6;)\n"
		"alert ip any any -> any any (iprep:dst,CnC,<=,89; sid:7;)\n"
		"alert ip any any -> any any (iprep:dst,Nope,>,1; sid:10;)\n"
		"alert ip any any -> any any (iprep:left,CnC,>,1; sid:11;)\n"
		"alert ip any any -> any any (iprep:src,CnC,!=,1; sid:12;)\n"
		"alert ip any any -> any any (iprep:src,CnC,isset,3; sid:13;)\n"
		"alert ip any any -> any any (iprep:src,CnC,>; sid:14;)\n"
		"alert ip any any -> any any (iprep:src,CnC,>,128; sid:15;)\n"
		"alert ip any any -> any any (iprep:src,CnC; sid:16;)\n";
	struct ruleset *rs = ruleset_new();
	struct detect_vars *v = detect_vars_new();
	rs->quiet = true;
	rs->iprep = iprep_new();
	assert_int_equal(iprep_load_buffer(rs->iprep, categories, strlen(categories), "c",
					   IPREP_CATEGORIES, 0, 0), 0);
	assert_int_equal(iprep_load_buffer(rs->iprep, rep, strlen(rep), "r", IPREP_SURICATA, 0, 0), 0);
	assert_int_equal(iprep_build(rs->iprep), 0);
	assert_int_equal(ruleset_load_buffer(rs, rules, strlen(rules), "t.rules", v), 0);
	assert_int_equal(rs->nrules, 7);
	assert_int_equal(rs->nrej, 7);
	assert_string_equal(rs->rej[0].reason,
			    "category 'Nope' is not loaded (reputation-categories-file, reputation-lists)");
	assert_string_equal(rs->rej[1].reason, "side 'left': expected any, src, dst or both");
	assert_string_equal(rs->rej[2].reason,
			    "operator '!=': expected <, <=, >, >=, =, isset or isnotset");
	assert_string_equal(rs->rej[3].reason, "isset and isnotset take no score");
	assert_string_equal(rs->rej[4].reason, "a comparison needs a score");
	assert_string_equal(rs->rej[5].reason, "score '128' is not a number from 0 to 127");
	assert_string_equal(rs->rej[6].reason,
			    "expected side,category,operator,score or side,category,isset");
	for (size_t i = 0; i < rs->nrej; i++)
		assert_string_equal(rs->rej[i].keyword, "iprep");

	uint32_t a = 0;
	struct detect_engine *de = detect_engine_new(rs, NULL, sid_bits, &a);
	assert_non_null(de);
	struct flow f;
	memset(&f, 0, sizeof(f));
	struct packet p;
	memset(&p, 0, sizeof(p));
	int ver;
	p.ip_ver = 4;
	p.proto = 17;
	p.sport = 5000;
	p.dport = 53;
	p.flow = &f;
	/* 203.0.113.9 (Spam 80) to 198.51.100.1 (CnC 90) */
	p.src = addr("203.0.113.9", &ver);
	p.dst = addr("198.51.100.1", &ver);
	f.pkts[0] = 1;
	detect_packet(de, &p, &f);
	assert_int_equal(a, 1u << 1 | 1u << 2 | 1u << 4);
	/* IP-only: the second packet that way is not checked */
	a = 0;
	f.pkts[0] = 2;
	detect_packet(de, &p, &f);
	assert_int_equal(a, 0);
	/* the answer is the first packet the other way */
	p.dir = 1;
	f.pkts[1] = 1;
	p.src = addr("198.51.100.1", &ver);
	p.dst = addr("203.0.113.9", &ver);
	detect_packet(de, &p, &f);
	assert_int_equal(a, 1u << 4);
	/* no flow: every packet; 198.51.100.2 (Spam 30) to 203.0.113.1 (Spam 80) */
	a = 0;
	p.dir = 0;
	p.src = addr("198.51.100.2", &ver);
	p.dst = addr("203.0.113.1", &ver);
	detect_packet(de, &p, NULL);
	assert_int_equal(a, 1u << 2 | 1u << 3 | 1u << 5 | 1u << 6);
	/* IPv6 and unlisted addresses: nothing */
	a = 0;
	p.ip_ver = 6;
	p.src = addr("2001:db8::1", &ver);
	p.dst = addr("2001:db8::2", &ver);
	detect_packet(de, &p, NULL);
	assert_int_equal(a, 0);
	detect_engine_free(de);
	ruleset_free(rs);
	detect_vars_free(v);
}

int main(void)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	snprintf(shared, sizeof(shared), "%s/../shared", root ? root : ".");
	ot_log_init("test-iprep");
	ot_log_set_level(OT_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_et_compromised),
		cmocka_unit_test(test_prefixes_and_ranges),
		cmocka_unit_test(test_suricata_files),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_random_against_brute_force),
		cmocka_unit_test(test_big_list),
		cmocka_unit_test(test_keyword),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
