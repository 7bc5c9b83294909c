/*
 * test-detect-match.c - the payload matcher (detect-match.c) and the alert
 * event (log-alert.c) on real rules and real bytes.
 *
 * Rules are suricata-verify test rules (alerts/bug-130, bug-4623,
 * detect-bytejump-02) and an Emerging Threats Open rule (sid 2010514),
 * copied as written; a few variants of them change one modifier to show the
 * modifier matters (the same rule without nocase, with a smaller depth...).
 * Payloads are TCP payloads extracted with tshark from those tests'
 * input.pcap, stored as hex in tests/data/detect-match/.  Each case asserts
 * match or no match of the rule's payload list, as Suricata decides it
 * (the suricata-verify expectations).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "detect-parse.h"
#include "detect-engine.h"
#include "detect-reload.h"
#include "applayer.h"
#include "../../src/lib/json.h"

struct bytes {
	uint8_t *p;
	uint32_t len;
};

static struct bytes fixture(const char *name)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/data/detect-match/%s.hex", root ? root : ".", name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	struct bytes b = { malloc(65536), 0 };
	assert_non_null(b.p);
	int hi = -1, c;
	while ((c = fgetc(f)) != EOF) {
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(b.len < 65536);
			b.p[b.len++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	fclose(f);
	assert_true(b.len > 0);
	return b;
}

/*
 * Does the list of buffer buf (-1: the first app-layer buffer it uses) of
 * the (one) rule in text match the bytes?
 */
static bool list_match(const char *text, int buf, const uint8_t *bytes, uint32_t len)
{
	struct detect_vars *v = detect_vars_new();
	struct ruleset *rs = ruleset_new();
	struct detect_match_ctx m;
	assert_non_null(v);
	assert_non_null(rs);
	rs->quiet = true;
	assert_int_equal(ruleset_load_buffer(rs, text, strlen(text), "t.rules", v), 0);
	if (rs->nrej)
		fprintf(stderr, "rejected: %s: %s\n", rs->rej[0].keyword, rs->rej[0].reason);
	assert_int_equal(rs->nrules, 1);
	const struct sigmatch *sm = buf >= 0 ? rs->rules[0]->bufs[buf].head : NULL;
	for (int b = 1; buf < 0 && b < DBUF_MAX && !sm; b++)
		sm = rs->rules[0]->bufs[b].head;
	assert_non_null(sm);
	assert_true(detect_match_supported(sm));
	assert_int_equal(detect_match_ctx_init(&m), 0);
	bool r = detect_match_buffer(&m, sm, bytes, len);
	detect_match_ctx_destroy(&m);
	ruleset_free(rs);
	detect_vars_free(v);
	return r;
}

/* Does the payload list of the (one) rule in text match the payload? */
static bool payload_match(const char *text, const struct bytes *b)
{
	return list_match(text, DBUF_PAYLOAD, b->p, b->len);
}

/* Does the list of the (one) rule's only app-layer buffer match bytes? */
static bool buffer_match(const char *text, const char *bytes)
{
	return list_match(text, -1, (const uint8_t *)bytes, (uint32_t)strlen(bytes));
}

/*
 * Transforms change the buffer before the contents look at it: ET Open's
 * dotprefix rules (sid 2035463 as written) match the domain and its
 * subdomains but not a name that merely ends the same; to_sha256 is
 * checked against the FIPS 180-2 test vector of "abc".
 */
static void test_transforms(void **state)
{
	(void)state;
#define DISCORD "alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET INFO Observed " \
	"Discord Domain (discord .com in TLS SNI)\"; flow:established,to_server; tls.sni; " \
	"dotprefix; content:\".discord.com\"; endswith; " \
	"reference:md5,03f93498e1006ffa3a1f9fcb6170525a; classtype:misc-activity; " \
	"sid:2035463; rev:3;)"
#define SHA "alert http any any -> any any (http.uri; to_sha256; content:" \
	"\"|ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad|\"; sid:1;)"
	/* in order: strip_whitespace then to_lowercase */
#define WS "alert http any any -> any any (http.user_agent; strip_whitespace; " \
	"to_lowercase; content:\"mozilla/5.0(x11|3b|linux)\"; startswith; endswith; sid:1;)"
#define COMP "alert http any any -> any any (http.uri; compress_whitespace; " \
	"content:\"a b\"; bsize:3; sid:1;)"
#define URL "alert http any any -> any any (http.uri; url_decode; content:\"/a b/<x>\"; sid:1;)"
#define HL "alert http any any -> any any (http.header; header_lowercase; " \
	"content:\"user-agent: Mozilla\"; sid:1;)"
	static const struct { const char *rule, *bytes; bool hit; } cases[] = {
		{ DISCORD, "discord.com", true },
		{ DISCORD, "gateway.discord.com", true },
		{ DISCORD, "notdiscord.com", false },
		{ DISCORD, "discord.com.example", false },
		{ SHA, "abc", true },
		{ SHA, "abd", false },
		{ WS, "Mozilla/5.0 (X11; Linux)", true },
		{ WS, "Mozilla/5.0 (X11; Linux) x", false },
		{ COMP, "a \t  b", true },
		{ URL, "/a+b/%3cx%3E", true },
		{ URL, "/a+b/%3cx", false },
		{ HL, "Host: x\r\nUser-Agent: Mozilla\r\n", true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (buffer_match(cases[i].rule, cases[i].bytes) != cases[i].hit)
			fail_msg("case %zu: %s on \"%s\"", i, cases[i].rule, cases[i].bytes);
	}
}

static void test_content_nocase(void **state)
{
	(void)state;
	struct bytes b = fixture("bug-130-pkt6");
	assert_true(payload_match("alert tcp any 80 -> any any (msg:\"no1\"; flow:to_client,established; "
		"content:\"WWW-Authenticate\\: \"; nocase; classtype:web-application-activity; "
		"sid:9000000; rev:1;)", &b));
	assert_true(payload_match("alert tcp any 80 -> any any (msg:\"ok2\"; flow:to_client,established; "
		"content:\"WWW-Authenticate\\:\"; nocase; classtype:web-application-activity; "
		"sid:9000002; rev:1;)", &b));
	/* the same without nocase: the capture says "Www-authenticate" */
	assert_false(payload_match("alert tcp any 80 -> any any (msg:\"no1\"; "
		"content:\"WWW-Authenticate\\: \"; sid:9000000; rev:1;)", &b));
	assert_true(payload_match("alert tcp any 80 -> any any (msg:\"x\"; "
		"content:\"Www-authenticate\\: \"; sid:9000000; rev:1;)", &b));
	free(b.p);
}

/* depth, offset, startswith, endswith and negation on the same response */
static void test_content_position(void **state)
{
	(void)state;
	struct bytes b = fixture("bug-130-pkt6");
	assert_true(payload_match("alert tcp any any -> any any (content:\"401\"; depth:12; sid:1;)", &b));
	assert_false(payload_match("alert tcp any any -> any any (content:\"401\"; depth:11; sid:1;)", &b));
	assert_true(payload_match("alert tcp any any -> any any (content:\"401\"; offset:9; depth:3; sid:1;)", &b));
	assert_false(payload_match("alert tcp any any -> any any (content:\"401\"; offset:10; sid:1;)", &b));
	assert_true(payload_match("alert tcp any any -> any any (content:\"HTTP/1.1\"; startswith; sid:1;)", &b));
	assert_false(payload_match("alert tcp any any -> any any (content:\"1.1 401\"; startswith; sid:1;)", &b));
	assert_true(payload_match("alert tcp any any -> any any (content:\"|0d 0a 0d 0a|\"; endswith; sid:1;)", &b));
	assert_false(payload_match("alert tcp any any -> any any (content:\"GMT\"; endswith; sid:1;)", &b));
	assert_true(payload_match("alert tcp any any -> any any (content:\"HTTP\"; content:!\"chunked\"; sid:1;)", &b));
	assert_false(payload_match("alert tcp any any -> any any (content:\"HTTP\"; content:!\"Apache\"; sid:1;)", &b));
	/* ET Open 2010514 (commented out in emerging-hunting.rules): depth, nocase, within */
	const char *et = "alert http $EXTERNAL_NET any -> $HOME_NET any (msg:\"ET HUNTING Suspicious HTML "
		"Script Tag in 401 Unauthorized Response (External Source)\"; flow:from_server,established; "
		"content:\"HTTP/1.1 401 Unauthorized|0d 0a|\"; depth:27; nocase; content:\"<script\"; nocase; "
		"within:512; classtype:web-application-activity; sid:2010514; rev:6; metadata:affected_product "
		"Web_Browsers, affected_product Web_Browser_Plugins, attack_target Client_Endpoint, created_at "
		"2010_07_30, deployment Perimeter, deprecation_reason Performance, former_category HUNTING, "
		"performance_impact Significant, signature_severity Major, tag Web_Client_Attacks, updated_at "
		"2024_04_10;)";
	assert_false(payload_match(et, &b));
	free(b.p);
}

/*
 * Relative contents with backtracking: the first "t" (in "Authorization")
 * is followed by "hor", not "ion"; the matcher must come back and try the
 * later "t" of "Authorization" ("ion" right after it).
 */
static void test_content_backtracking(void **state)
{
	(void)state;
	struct bytes b = fixture("bug-130-pkt6");
	assert_true(payload_match("alert tcp any any -> any any (content:\"t\"; content:\"ion\"; "
		"distance:0; within:3; sid:1;)", &b));
	assert_true(payload_match("alert tcp any any -> any any (content:\"401 \"; content:\"Required\"; "
		"distance:14; within:8; sid:1;)", &b));
	assert_false(payload_match("alert tcp any any -> any any (content:\"401 \"; content:\"Required\"; "
		"distance:15; within:8; sid:1;)", &b));
	assert_false(payload_match("alert tcp any any -> any any (content:\"t\"; content:\"ionX\"; "
		"distance:0; within:4; sid:1;)", &b));
	/* pcre relative to a content, then a content relative to the pcre */
	assert_true(payload_match("alert tcp any any -> any any (content:\"Server|3a|\"; "
		"pcre:\"/^\\s*apache/Ri\"; content:\"Www\"; distance:2; within:3; sid:1;)", &b));
	assert_false(payload_match("alert tcp any any -> any any (content:\"Date|3a|\"; "
		"pcre:\"/^\\s*apache/Ri\"; sid:1;)", &b));
	free(b.p);
}

/* suricata-verify alerts/bug-4623: byte_jump back by post_offset, then an anchored /R pcre */
static void test_bytejump_pcre_relative(void **state)
{
	(void)state;
	struct bytes b = fixture("bug-4623-pkt1");
	assert_true(payload_match("drop tcp any any -> any any ( msg:\"Test\"; rev:1; "
		"content:\"|3a 01 e8 ed 0f|\"; byte_jump:0,0,relative,post_offset -7; "
		"pcre:\"/^\\x7c\\xe0\\x3a\\x01\\xe8\\xed\\x0f\\x54/R\"; sid:1; )", &b));
	assert_true(payload_match("drop tcp any any -> any any ( msg:\"Test\"; rev:1; "
		"content:\"|01 e8 ed 0f 54|\"; byte_jump:0,0,relative,post_offset -7; "
		"pcre:\"/^\\xe0\\x3a\\x01\\xe8\\xed\\x0f\\x54/R\"; sid:3; )", &b));
	/* one byte off: ^ anchors at the cursor, not anywhere after it */
	assert_false(payload_match("drop tcp any any -> any any ( msg:\"Test\"; rev:1; "
		"content:\"|3a 01 e8 ed 0f|\"; byte_jump:0,0,relative,post_offset -6; "
		"pcre:\"/^\\x7c\\xe0/R\"; sid:1; )", &b));
	free(b.p);
}

/* suricata-verify alerts/detect-bytejump-02: byte_extract into a variable used as byte_jump's size */
static void test_byte_extract_jump(void **state)
{
	(void)state;
	const char *rule = "alert tcp any any -> any any (msg:\"byte_jump varname test sig\"; "
		"flow:to_server,established; content:\"|00 00 00|\"; byte_extract:1,4,rpkt_len,relative; "
		"byte_jump:rpkt_len,0,relative; isdataat:1,relative; classtype:bad-unknown; sid:1;)";
	struct bytes a = fixture("bytejump-02-pkt4"), b = fixture("bytejump-02-pkt6");
	assert_true(payload_match(rule, &a));
	assert_false(payload_match(rule, &b));
	/* byte_test on the same bytes: 00 00 00 05 big endian is 5 */
	assert_true(payload_match("alert tcp any any -> any any (byte_test:4,=,5,0; sid:2;)", &a));
	assert_false(payload_match("alert tcp any any -> any any (byte_test:4,>,5,0; sid:2;)", &a));
	assert_true(payload_match("alert tcp any any -> any any (byte_test:2,=,0x0005,2; sid:2;)", &a));
	assert_true(payload_match("alert tcp any any -> any any (byte_test:2,=,0x0500,2,little; sid:2;)", &a));
	/* isdataat past the end */
	assert_false(payload_match("alert tcp any any -> any any (content:\"|21 0a|\"; isdataat:1,relative; sid:3;)", &a));
	assert_true(payload_match("alert tcp any any -> any any (content:\"|21 0a|\"; isdataat:!1,relative; sid:3;)", &a));
	free(a.p);
	free(b.p);
}

/* The alert event of ET Open 2010514: metadata as an object of arrays */
static void test_alert_event(void **state)
{
	(void)state;
	const char *et = "alert http $EXTERNAL_NET any -> $HOME_NET any (msg:\"ET HUNTING x\"; "
		"content:\"HTTP\"; classtype:web-application-activity; sid:2010514; rev:6; "
		"metadata:affected_product Web_Browsers, affected_product Web_Browser_Plugins, "
		"former_category HUNTING;)";
	struct detect_vars *v = detect_vars_new();
	struct ruleset *rs = ruleset_new();
	rs->quiet = true;
	assert_int_equal(ruleset_load_buffer(rs, et, strlen(et), "t.rules", v), 0);
	assert_int_equal(rs->nrules, 1);
	struct packet p = { 0 };
	p.ip_ver = 4;
	p.proto = 6;
	p.src.b[0] = 10, p.src.b[3] = 1;
	p.dst.b[0] = 10, p.dst.b[3] = 2;
	p.sport = 80;
	p.dport = 1234;
	p.pcap_cnt = 7;
	struct jw w;
	jw_init(&w);
	log_alert(&w, rs, rs->rules[0], &p, NULL, 0, NULL);
	assert_true(jw_ok(&w));
	json_error_t err;
	json_t *j = json_loadb(w.buf, w.len, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event_type")), "alert");
	assert_int_equal(json_integer_value(json_object_get(j, "pcap_cnt")), 7);
	assert_string_equal(json_string_value(json_object_get(j, "src_ip")), "10.0.0.1");
	json_t *a = json_object_get(j, "alert");
	assert_string_equal(json_string_value(json_object_get(a, "action")), "allowed");
	assert_int_equal(json_integer_value(json_object_get(a, "gid")), 1);
	assert_int_equal(json_integer_value(json_object_get(a, "signature_id")), 2010514);
	assert_int_equal(json_integer_value(json_object_get(a, "rev")), 6);
	assert_string_equal(json_string_value(json_object_get(a, "signature")), "ET HUNTING x");
	assert_int_equal(json_integer_value(json_object_get(a, "severity")), 3);
	json_t *md = json_object_get(a, "metadata");
	json_t *ap = json_object_get(md, "affected_product");
	assert_int_equal(json_array_size(ap), 2);
	assert_string_equal(json_string_value(json_array_get(ap, 0)), "Web_Browsers");
	assert_string_equal(json_string_value(json_array_get(ap, 1)), "Web_Browser_Plugins");
	assert_string_equal(json_string_value(json_array_get(json_object_get(md, "former_category"), 0)),
			    "HUNTING");
	json_decref(j);
	jw_free(&w);
	ruleset_free(rs);
	detect_vars_free(v);
}

/* ---- the engine: header, flowbits, thresholds, rule order ---- */

struct alerts {
	uint32_t sid[32];
	int dir[32];
	int n;
};

static void collect(void *arg, const struct rule *r, const struct packet *p, struct flow *f,
		    int dir, const struct detect_tx *t)
{
	struct alerts *a = arg;
	(void)p;
	(void)f;
	if (a->n < 32) {
		a->sid[a->n] = r->sid;
		a->dir[a->n++] = dir;
	}
}

static struct detect_engine *engine(const char *rules, struct ruleset **rsp,
				    struct detect_vars **vp, struct alerts *a)
{
	*vp = detect_vars_new();
	*rsp = ruleset_new();
	(*rsp)->quiet = true;
	assert_int_equal(ruleset_load_buffer(*rsp, rules, strlen(rules), "t.rules", *vp), 0);
	assert_int_equal((*rsp)->nrej, 0);
	struct detect_engine *de = detect_engine_new(*rsp, NULL, collect, a);
	assert_non_null(de);
	return de;
}

/* A TCP packet from 10.0.0.1:sport to 10.0.0.2:dport (dir 0) or back (dir 1). */
static struct packet tcp_pkt(struct flow *f, int dir, const char *payload, long sec)
{
	struct packet p = { 0 };
	p.ts.tv_sec = sec;
	p.ip_ver = 4;
	p.proto = 6;
	p.ttl = 64;
	p.src = dir ? f->key.b : f->key.a;
	p.dst = dir ? f->key.a : f->key.b;
	p.sport = dir ? f->key.bp : f->key.ap;
	p.dport = dir ? f->key.ap : f->key.bp;
	p.tcp_flags = 0x18;
	p.payload = (const uint8_t *)payload;
	p.payload_len = (uint32_t)strlen(payload);
	p.dir = (uint8_t)dir;
	p.flow = f;
	return p;
}

static void flow_init(struct flow *f, uint8_t host, uint16_t sport, uint16_t dport)
{
	memset(f, 0, sizeof(*f));
	f->key.a.b[0] = 10, f->key.a.b[3] = host;
	f->key.b.b[0] = 10, f->key.b.b[3] = 2;
	f->key.ap = sport;
	f->key.bp = dport;
	f->key.proto = 6;
	f->key.ip_ver = 4;
}

/* suricata-verify alerts/hashaf-flow-v4-v6-collision rules (as tcp): a flowbit set on one
 * flow is seen by that flow only; flowbits:noalert keeps the setter quiet */
static void test_engine_flowbits(void **state)
{
	(void)state;
	const char *rules =
		"alert tcp any any -> any any (msg:\"hashaf flow set flowbit on IPv4\"; content:\"SETFLOW\"; "
		"flowbits:set,hashaf.flow; flowbits:noalert; sid:9100001; rev:1;)\n"
		"alert tcp any any -> any any (msg:\"BUG: IPv6 reused IPv4 flow\"; content:\"HITFLOW\"; "
		"flowbits:isset,hashaf.flow; sid:9100002; rev:1;)\n"
		"alert tcp any any -> any any (content:\"HITFLOW\"; flowbits:isnotset,hashaf.flow; sid:3;)\n";
	struct ruleset *rs;
	struct detect_vars *v;
	struct alerts a = { 0 };
	struct detect_engine *de = engine(rules, &rs, &v, &a);
	struct flow f1, f2;
	flow_init(&f1, 1, 40000, 80);
	flow_init(&f2, 3, 40001, 80);
	struct packet p = tcp_pkt(&f1, 0, "HITFLOW", 1);
	detect_packet(de, &p, &f1);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.sid[0], 3);
	p = tcp_pkt(&f1, 0, "xxSETFLOWxx", 2);
	detect_packet(de, &p, &f1);
	assert_int_equal(a.n, 1);           /* noalert */
	assert_true(f1.detect != NULL);
	p = tcp_pkt(&f1, 1, "..HITFLOW..", 3);
	detect_packet(de, &p, &f1);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.sid[1], 9100002);
	assert_int_equal(a.dir[1], 1);
	assert_true(f1.alerted);
	p = tcp_pkt(&f2, 0, "HITFLOW", 4);
	detect_packet(de, &p, &f2);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.sid[2], 3);      /* the other flow has no bit */
	detect_flow_free(&f1);
	detect_flow_free(&f2);
	assert_null(f1.detect);
	detect_engine_free(de);
	ruleset_free(rs);
	detect_vars_free(v);
}

/* suricata-verify alerts/flowint-isnotset, as written: a counter per flow */
static void test_engine_flowint(void **state)
{
	(void)state;
	const char *rules =
		"alert tls any any -> any any (msg:\"test flowint isnotset\"; flowint:flowtls1,isnotset; "
		"flowint:flowtls1,+,1; noalert; sid:1;)\n"
		"alert tls any any -> any any (msg:\"test flowint notset\"; flowint:flowtls2,notset; "
		"flowint:flowtls2,+,1; sid:2;)\n"
		"alert tls any any -> any any (flowint:flowtls2,>=,1; flowint:flowtls2,+,2; sid:3;)\n"
		"alert tls any any -> any any (flowint:flowtls2,==,5; sid:4;)\n";
	struct ruleset *rs;
	struct detect_vars *v;
	struct alerts a = { 0 };
	struct detect_engine *de = engine(rules, &rs, &v, &a);
	struct flow f, g;
	flow_init(&f, 1, 40000, 443);
	flow_init(&g, 3, 40001, 443);
	struct packet p = tcp_pkt(&f, 0, "x", 1);
	detect_packet(de, &p, &f);          /* not a TLS flow yet */
	assert_int_equal(a.n, 0);
	f.app_proto = APP_TLS;
	g.app_proto = APP_TLS;
	for (int i = 0; i < 3; i++) {
		p = tcp_pkt(&f, i & 1, "x", 2 + i);
		detect_packet(de, &p, &f);
	}
	/*
	 * Rules run in order and see what the ones before them did to the
	 * packet's flow: packet 1: 2 (unset -> 1) and 3 (1 -> 3); packet 2:
	 * 3 (3 -> 5) and 4 (== 5); packet 3: 3 (5 -> 7).  1 is noalert.
	 */
	assert_int_equal(a.n, 5);
	static const uint32_t want[] = { 2, 3, 3, 4, 3 };
	for (int i = 0; i < 5; i++)
		assert_int_equal(a.sid[i], want[i]);
	p = tcp_pkt(&g, 0, "x", 9);
	detect_packet(de, &p, &g);          /* a new flow starts unset */
	assert_int_equal(a.n, 7);
	assert_int_equal(a.sid[5], 2);
	assert_int_equal(a.sid[6], 3);
	detect_flow_free(&f);
	detect_flow_free(&g);
	detect_engine_free(de);
	ruleset_free(rs);
	detect_vars_free(v);
}

/* ET Open 2001906's threshold (type both, by_src, count 5, 60 s) and 2008560's
 * (type threshold, by_dst, count 4, 15 s), on a simple content */
static void test_engine_threshold(void **state)
{
	(void)state;
	const char *rules =
		"alert tcp any any -> any any (content:\"root|00|\"; "
		"threshold:type both,track by_src,count 5,seconds 60; sid:2001906; rev:6;)\n"
		"alert tcp any any -> any any (content:\"nng Snort\"; "
		"threshold:type threshold, track by_dst, count 4, seconds 15; sid:2008560; rev:2;)\n"
		"alert tcp any any -> any any (content:\"limit\"; "
		"threshold:type limit, track by_src, count 2, seconds 60; sid:7;)\n";
	struct ruleset *rs;
	struct detect_vars *v;
	struct alerts a = { 0 };
	struct detect_engine *de = engine(rules, &rs, &v, &a);
	struct flow f;
	flow_init(&f, 1, 40000, 3306);
	struct packet p;
	for (int i = 0; i < 12; i++) {
		p = tcp_pkt(&f, 0, "xxroot", 10 + i);
		p.payload_len = 7;          /* with the NUL */
		detect_packet(de, &p, &f);
	}
	assert_int_equal(a.n, 1);           /* both: once when the count is reached */
	for (int i = 0; i < 9; i++) {
		p = tcp_pkt(&f, 0, "nng Snort", 100 + i);
		detect_packet(de, &p, &f);
	}
	assert_int_equal(a.n, 3);           /* threshold: every 4th */
	for (int i = 0; i < 5; i++) {
		p = tcp_pkt(&f, 0, "limit", 200);
		detect_packet(de, &p, &f);
	}
	p = tcp_pkt(&f, 0, "limit", 300);  /* a new window */
	detect_packet(de, &p, &f);
	assert_int_equal(a.n, 6);           /* limit: 2, then 1 in the next minute */
	assert_int_equal(a.sid[5], 7);
	detect_flow_free(&f);
	detect_engine_free(de);
	ruleset_free(rs);
	detect_vars_free(v);
}

/* suricata-verify alerts/bug-130 header (any 80 -> any any), a bidirectional rule, ports */
static void test_engine_header(void **state)
{
	(void)state;
	const char *rules =
		"alert tcp any 80 -> any any (msg:\"ok1\"; content:\"Www-Authenticate\\: \"; nocase; sid:9000001; rev:1;)\n"
		"alert tcp 10.0.0.2 any <> 10.0.0.1 any (content:\"Authenticate\"; sid:2;)\n"
		"alert udp any any -> any any (content:\"Authenticate\"; sid:3;)\n"
		"alert tcp any any -> any 80 (content:\"Authenticate\"; ttl:<10; sid:4;)\n"
		/* base64_decode / base64_data, the shape of ET Open sid 2034366: the
		   decoded bytes after <base64>, not the packet's */
		"alert tcp any any -> any any (content:\"<base64>\"; base64_decode:offset 0,relative; "
		"base64_data; content:\"hello\"; startswith; sid:5;)\n"
		"alert tcp any any -> any any (content:\"<base64>\"; base64_decode:bytes 4,relative; "
		"base64_data; content:\"world\"; sid:6;)\n"
		"alert tcp any any -> any any (content:\"<base64>\"; base64_data; content:\"hello\"; sid:7;)\n";
	struct ruleset *rs;
	struct detect_vars *v;
	struct alerts a = { 0 };
	struct detect_engine *de = engine(rules, &rs, &v, &a);
	struct flow f;
	flow_init(&f, 1, 44270, 80);
	struct packet p = tcp_pkt(&f, 0, "WWW-Authenticate: x", 1);
	detect_packet(de, &p, &f);          /* client -> server: sid 2 only (<>) */
	assert_int_equal(a.n, 1);
	assert_int_equal(a.sid[0], 2);
	p = tcp_pkt(&f, 1, "WWW-Authenticate: x", 2);
	detect_packet(de, &p, &f);          /* server (port 80) -> client: 9000001 and 2 */
	assert_int_equal(a.n, 3);
	assert_true((a.sid[1] == 9000001 && a.sid[2] == 2) || (a.sid[1] == 2 && a.sid[2] == 9000001));
	p = tcp_pkt(&f, 1, "", 3);
	detect_packet(de, &p, &f);          /* no payload, no content match */
	assert_int_equal(a.n, 3);
	/* "hello world", cut by a line end */
	p = tcp_pkt(&f, 0, "x<base64>aGVsbG8g\r\nd29ybGQ=</base64>", 4);
	detect_packet(de, &p, &f);
	assert_int_equal(a.n, 4);
	assert_int_equal(a.sid[3], 5);
	detect_flow_free(&f);
	detect_engine_free(de);
	ruleset_free(rs);
	detect_vars_free(v);
}

/*
 * A rule reload: what one engine set on a flow (flowbits, flowints), the
 * next one sees under its own ids, which differ (names sorting before the
 * old ones shift them); a name the next engine does not know is dropped.
 */
static void test_engine_reload_remap(void **state)
{
	(void)state;
	const char *old_rules =
		"alert tcp any any -> any any (content:\"SET\"; flowbits:set,seen; flowbits:set,gone; "
		"flowint:count,=,5; flowint:zz,=,1; noalert; sid:1;)\n";
	const char *new_rules =
		"alert tcp any any -> any any (content:\"HIT\"; flowbits:isset,seen; sid:11;)\n"
		"alert tcp any any -> any any (content:\"HIT\"; flowbits:isset,abc; sid:12;)\n"
		"alert tcp any any -> any any (content:\"HIT\"; flowint:count,==,5; sid:13;)\n"
		"alert tcp any any -> any any (content:\"HIT\"; flowint:acount,isset; sid:14;)\n"
		"alert tcp any any -> any any (content:\"HIT\"; flowbits:isset,aaa; sid:15;)\n";
	struct ruleset *rs1, *rs2;
	struct detect_vars *v1, *v2;
	struct alerts a = { 0 };
	struct detect_engine *de1 = engine(old_rules, &rs1, &v1, &a);
	struct detect_engine *de2 = engine(new_rules, &rs2, &v2, &a);
	struct flow f;
	flow_init(&f, 1, 40000, 80);
	struct packet p = tcp_pkt(&f, 0, "SET", 1);
	detect_packet(de1, &p, &f);
	assert_int_equal(a.n, 0);
	struct detect_remap m;
	assert_int_equal(detect_remap_build(&m, de1, de2), 0);
	assert_int_equal(m.n[DETECT_VAR_FLOWBIT], 2);   /* gone, seen */
	assert_int_equal(m.id[DETECT_VAR_FLOWBIT][0], -1);
	assert_int_equal(m.id[DETECT_VAR_FLOWBIT][1], 2);       /* aaa, abc, seen */
	assert_int_equal(m.id[DETECT_VAR_FLOWINT][0], 1);       /* acount, count */
	assert_int_equal(m.id[DETECT_VAR_FLOWINT][1], -1);      /* zz */
	detect_flow_remap(&f, &m);
	detect_remap_free(&m);
	p = tcp_pkt(&f, 1, "HIT", 2);
	detect_packet(de2, &p, &f);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.sid[0], 11);
	assert_int_equal(a.sid[1], 13);
	/* from no engine, or to none: nothing is carried */
	assert_int_equal(detect_remap_build(&m, NULL, de2), 0);
	assert_int_equal(m.n[DETECT_VAR_FLOWBIT] + m.n[DETECT_VAR_FLOWINT], 0);
	detect_remap_free(&m);
	assert_int_equal(detect_remap_build(&m, de2, NULL), 0);
	assert_int_equal(m.id[DETECT_VAR_FLOWBIT][0], -1);
	detect_flow_remap(&f, &m);
	detect_remap_free(&m);
	a.n = 0;
	detect_packet(de2, &p, &f);
	assert_int_equal(a.n, 0);
	detect_flow_free(&f);
	detect_engine_free(de1);
	detect_engine_free(de2);
	ruleset_free(rs1);
	ruleset_free(rs2);
	detect_vars_free(v1);
	detect_vars_free(v2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transforms),
		cmocka_unit_test(test_content_nocase),
		cmocka_unit_test(test_content_position),
		cmocka_unit_test(test_content_backtracking),
		cmocka_unit_test(test_bytejump_pcre_relative),
		cmocka_unit_test(test_byte_extract_jump),
		cmocka_unit_test(test_alert_event),
		cmocka_unit_test(test_engine_flowbits),
		cmocka_unit_test(test_engine_threshold),
		cmocka_unit_test(test_engine_flowint),
		cmocka_unit_test(test_engine_header),
		cmocka_unit_test(test_engine_reload_remap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
