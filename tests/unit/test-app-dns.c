/*
 * test-app-dns.c - the DNS parser on real messages.
 *
 * The fixtures in tests/data/app-dns/ are DNS payloads cut from real
 * captures (suricata-verify's input.pcap files and nDPI's test pcaps; each
 * file names its source), one datagram or TCP segment per line, ">" for
 * client to server and "<" for server to client.  They are fed through
 * app_parser_dns as the core would, the events are read back with jansson
 * and compared with what Suricata logs for the same packets (the values
 * come from the suricata-verify expectations where there are some).  TCP
 * streams are also fed byte by byte and in random pieces, which must give
 * the same events.  Damaged copies of the real messages check the
 * anomalies, the caps and that nothing breaks.
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

#include "applayer.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_MSGS 32
#define MAX_LINES 128

/* ------------------------------------------------------------------ */
/* fixtures */

struct msg {
	int dir;
	uint8_t *b;
	size_t n;
};

struct fixture {
	struct msg m[MAX_MSGS];
	size_t n;
	bool tcp;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void fixture_load(const char *name, struct fixture *fx)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	char path[1024], line[8192];

	memset(fx, 0, sizeof(*fx));
	snprintf(path, sizeof(path), "%s/tests/data/app-dns/%s", root ? root : ".", name);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (is OT_SOURCE_ROOT set?)", path);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			if (strstr(line, "transport: tcp"))
				fx->tcp = true;
			continue;
		}
		if (line[0] != '>' && line[0] != '<')
			continue;
		assert_true(fx->n < MAX_MSGS);
		struct msg *m = &fx->m[fx->n++];
		const char *h = line + 2;
		size_t hl = strcspn(h, "\r\n");
		assert_int_equal(hl % 2, 0);
		m->dir = line[0] == '>' ? APP_TOSERVER : APP_TOCLIENT;
		m->n = hl / 2;
		m->b = malloc(m->n + 1);
		assert_non_null(m->b);
		for (size_t i = 0; i < m->n; i++) {
			int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
			assert_true(hi >= 0 && lo >= 0);
			m->b[i] = (uint8_t)(hi << 4 | lo);
		}
	}
	fclose(f);
	assert_true(fx->n > 0);
}

static void fixture_free(struct fixture *fx)
{
	for (size_t i = 0; i < fx->n; i++)
		free(fx->m[i].b);
}

/* ------------------------------------------------------------------ */
/* running the parser */

struct run {
	char *line[MAX_LINES];
	size_t n;
	struct jw jw;
	struct app_ctx ctx;
	void *st;
};

static void collect(void *arg, const char *line, size_t len)
{
	struct run *r = arg;
	assert_true(r->n < MAX_LINES);
	r->line[r->n] = strndup(line, len);
	assert_non_null(r->line[r->n]);
	r->n++;
}

static void run_init(struct run *r, bool tcp)
{
	memset(r, 0, sizeof(*r));
	jw_init(&r->jw);
	r->ctx.jw = &r->jw;
	r->ctx.emit = collect;
	r->ctx.emit_arg = r;
	r->ctx.tcp = tcp;
	r->st = app_parser_dns.state_new();
	assert_non_null(r->st);
}

static void run_clear(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->line[i]);
	r->n = 0;
}

static void run_free(struct run *r)
{
	run_clear(r);
	app_parser_dns.state_free(r->st);
	jw_free(&r->jw);
}

static int feed(struct run *r, int dir, const uint8_t *b, size_t n)
{
	return app_parser_dns.parse(r->st, &r->ctx, dir, b, n);
}

static uint32_t rnd_next(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/*
 * Feed every message of fx.  chunk 0: one call per line; chunk > 0: TCP
 * lines cut into pieces of that many bytes; chunk < 0: random pieces.
 */
static void run_fixture(struct run *r, const struct fixture *fx, int chunk)
{
	uint32_t seed = 7;
	for (size_t i = 0; i < fx->n; i++) {
		const struct msg *m = &fx->m[i];
		size_t o = 0;
		do {
			size_t k = m->n - o;
			if (fx->tcp && chunk > 0)
				k = chunk < (int)k ? (size_t)chunk : k;
			else if (fx->tcp && chunk < 0)
				k = 1 + rnd_next(&seed) % (k ? k : 1);
			assert_int_equal(feed(r, m->dir, m->b + o, k), PARSE_OK);
			o += k;
		} while (o < m->n);
	}
}

/* All events of a fixture fed whole. */
static void run_file(struct run *r, const char *name)
{
	struct fixture fx;
	fixture_load(name, &fx);
	run_init(r, fx.tcp);
	run_fixture(r, &fx, 0);
	fixture_free(&fx);
}

/* ------------------------------------------------------------------ */
/* reading events */

static json_t *event(const struct run *r, size_t i)
{
	json_error_t err;
	assert_true(i < r->n);
	json_t *j = json_loads(r->line[i], JSON_ALLOW_NUL, &err);
	if (!j)
		fail_msg("not JSON: %s: %s", err.text, r->line[i]);
	return j;
}

/* "dns.answers[1].rdata" in j, or NULL. */
static json_t *jpath(json_t *j, const char *path)
{
	char key[128];
	const char *p = path;
	while (j && *p) {
		size_t k = strcspn(p, ".[");
		if (k) {
			assert_true(k < sizeof(key));
			memcpy(key, p, k);
			key[k] = '\0';
			j = json_object_get(j, key);
			p += k;
		}
		if (*p == '[') {
			char *end;
			long idx = strtol(p + 1, &end, 10);
			j = json_array_get(j, (size_t)idx);
			p = end + 1;
		}
		if (*p == '.')
			p++;
	}
	return j;
}

enum { K_STR, K_INT, K_TRUE, K_ABSENT, K_LEN };

struct kv {
	const char *path;
	int kind;
	const char *s;
	long long i;
};

#define KS(p, v) { p, K_STR, v, 0 }
#define KI(p, v) { p, K_INT, NULL, v }
#define KT(p) { p, K_TRUE, NULL, 0 }
#define KNO(p) { p, K_ABSENT, NULL, 0 }
#define KLEN(p, v) { p, K_LEN, NULL, v }

static void check(const struct run *r, size_t ev, const struct kv *kv, size_t n)
{
	json_t *j = event(r, ev);
	for (size_t i = 0; i < n; i++) {
		json_t *v = jpath(j, kv[i].path);
		switch (kv[i].kind) {
		case K_STR:
			if (!json_is_string(v) || strcmp(json_string_value(v), kv[i].s))
				fail_msg("event %zu: %s is not \"%s\": %s", ev, kv[i].path,
					 kv[i].s, r->line[ev]);
			break;
		case K_INT:
			if (!json_is_integer(v) || json_integer_value(v) != kv[i].i)
				fail_msg("event %zu: %s is not %lld: %s", ev, kv[i].path,
					 kv[i].i, r->line[ev]);
			break;
		case K_TRUE:
			if (!json_is_true(v))
				fail_msg("event %zu: %s is not true: %s", ev, kv[i].path,
					 r->line[ev]);
			break;
		case K_ABSENT:
			if (v)
				fail_msg("event %zu: %s is there: %s", ev, kv[i].path,
					 r->line[ev]);
			break;
		case K_LEN:
			if (json_array_size(v) != (size_t)kv[i].i)
				fail_msg("event %zu: %s has not %lld items: %s", ev,
					 kv[i].path, kv[i].i, r->line[ev]);
			break;
		}
	}
	json_decref(j);
}

/* How many events have event_type type (and anomaly.event ev). */
static size_t count_events(const struct run *r, const char *type, const char *ev)
{
	size_t c = 0;
	for (size_t i = 0; i < r->n; i++) {
		json_t *j = event(r, i);
		const char *t = json_string_value(json_object_get(j, "event_type"));
		const char *a = json_string_value(jpath(j, "anomaly.event"));
		if (t && !strcmp(t, type) && (!ev || (a && !strcmp(a, ev))))
			c++;
		json_decref(j);
	}
	return c;
}

static void same_lines(const struct run *a, const struct run *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_string_equal(a->line[i], b->line[i]);
}

/* ------------------------------------------------------------------ */
/* probe */

static const char *const all_files[] = {
	"udp-cname.hex", "udp-txt.hex", "udp-iodine.hex", "udp-nxdomain.hex",
	"udp-aaaa.hex", "udp-nsid.hex", "udp-mx.hex", "udp-oddchars.hex",
	"udp-srv.hex", "udp-malformed.hex", "tcp-three.hex", "tcp-dnskey.hex",
};

static void test_probe_real(void **state)
{
	for (size_t f = 0; f < N_ELEM(all_files); f++) {
		struct fixture fx;
		fixture_load(all_files[f], &fx);
		for (size_t i = 0; i < fx.n; i++) {
			const struct msg *m = &fx.m[i];
			if (app_parser_dns.probe(m->b, m->n, m->dir) != PROBE_YES ||
			    app_parser_dns.probe(m->b, m->n, !m->dir) != PROBE_YES)
				fail_msg("%s line %zu not recognised", all_files[f], i);
			/* a TCP message cut short asks for more */
			if (fx.tcp)
				assert_int_equal(app_parser_dns.probe(m->b, 20, m->dir),
						 PROBE_NEED_MORE);
		}
		fixture_free(&fx);
	}
}

static void test_probe_negative(void **state)
{
	struct fixture fx;
	static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01,
				       0xfc, 0x03, 0x03, 0x5a, 0x2b, 0x11, 0x90, 0x00,
				       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };

	/* NetBIOS name query (bug-1158 frame 84): Suricata leaves it "failed" */
	fixture_load("udp-nbns.hex", &fx);
	assert_int_equal(app_parser_dns.probe(fx.m[0].b, fx.m[0].n, APP_TOSERVER), PROBE_NO);
	fixture_free(&fx);
	/* the first 200 bytes of a response that announces 33 answers */
	fixture_load("udp-truncated.hex", &fx);
	assert_int_equal(app_parser_dns.probe(fx.m[0].b, fx.m[0].n, APP_TOCLIENT), PROBE_NO);
	fixture_free(&fx);
	assert_int_equal(app_parser_dns.probe((const uint8_t *)http, strlen(http), 0), PROBE_NO);
	assert_int_equal(app_parser_dns.probe(tls, sizeof(tls), 0), PROBE_NO);
	assert_int_equal(app_parser_dns.probe(tls, 0, 0), PROBE_NEED_MORE);
	assert_int_equal(app_parser_dns.probe(tls, 1, 0), PROBE_NEED_MORE);

	/* a query with an opcode that does not exist, or with an rcode */
	fixture_load("udp-cname.hex", &fx);
	uint8_t *q = fx.m[0].b;
	q[2] = 0x39;
	assert_int_equal(app_parser_dns.probe(q, fx.m[0].n, 0), PROBE_NO);
	q[2] = 0x01;
	q[3] = 0x23;
	assert_int_equal(app_parser_dns.probe(q, fx.m[0].n, 0), PROBE_NO);
	q[3] = 0x20;
	/* a class that does not exist */
	q[fx.m[0].n - 13] = 0x09;
	assert_int_equal(app_parser_dns.probe(q, fx.m[0].n, 0), PROBE_NO);
	fixture_free(&fx);
}

/* ------------------------------------------------------------------ */
/* real messages, as Suricata logs them */

/* dns/dns-udp-eve-dig: a CNAME chain; the whole events, exactly. */
static void test_udp_cname(void **state)
{
	struct run r;
	run_file(&r, "udp-cname.hex");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.line[0],
		"{\"event_type\":\"dns\",\"tx_id\":0,\"dns\":{\"version\":3,"
		"\"type\":\"request\",\"tx_id\":0,\"id\":36146,\"flags\":\"120\","
		"\"rd\":true,\"opcode\":0,\"queries\":[{\"rrname\":"
		"\"www.suricata-ids.org\",\"rrtype\":\"A\"}]}}");
	assert_string_equal(r.line[1],
		"{\"event_type\":\"dns\",\"tx_id\":1,\"dns\":{\"version\":3,"
		"\"type\":\"response\",\"tx_id\":1,\"id\":36146,\"flags\":\"81a0\","
		"\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,\"rcode\":\"NOERROR\","
		"\"queries\":[{\"rrname\":\"www.suricata-ids.org\",\"rrtype\":\"A\"}],"
		"\"answers\":[{\"rrname\":\"www.suricata-ids.org\",\"rrtype\":\"CNAME\","
		"\"ttl\":3544,\"rdata\":\"suricata-ids.org\"},{\"rrname\":"
		"\"suricata-ids.org\",\"rrtype\":\"A\",\"ttl\":244,\"rdata\":"
		"\"192.0.78.24\"},{\"rrname\":\"suricata-ids.org\",\"rrtype\":\"A\","
		"\"ttl\":244,\"rdata\":\"192.0.78.25\"}],\"grouped\":{\"CNAME\":"
		"[\"suricata-ids.org\"],\"A\":[\"192.0.78.24\",\"192.0.78.25\"]}}}");
	assert_int_equal(app_parser_dns.tx_count(r.st), 2);
	run_free(&r);
}

/* dns/dns-udp-eve-txt, the google.com flow: the suricata-verify checks. */
static void test_udp_txt(void **state)
{
	static const struct kv req[] = {
		KI("dns.id", 28243), KS("dns.queries[0].rrname", "google.com"),
		KS("dns.queries[0].rrtype", "TXT"), KI("dns.tx_id", 0),
		KS("dns.type", "request"), KS("event_type", "dns"),
	};
	static const struct kv resp[] = {
		KS("dns.answers[0].rdata", "v=spf1 include:_spf.google.com ~all"),
		KS("dns.answers[0].rrname", "google.com"),
		KS("dns.answers[0].rrtype", "TXT"), KI("dns.answers[0].ttl", 3217),
		KS("dns.flags", "8180"),
		KS("dns.grouped.TXT[0]", "v=spf1 include:_spf.google.com ~all"),
		KI("dns.id", 28243), KT("dns.qr"), KT("dns.ra"), KS("dns.rcode", "NOERROR"),
		KT("dns.rd"), KS("dns.queries[0].rrname", "google.com"),
		KS("dns.queries[0].rrtype", "TXT"), KS("dns.type", "response"),
		KI("dns.version", 3), KS("event_type", "dns"), KLEN("dns.answers", 1),
		KNO("dns.aa"), KNO("dns.additionals"), KNO("dns.authorities"),
	};
	struct run r;
	run_file(&r, "udp-txt.hex");
	assert_int_equal(r.n, 2);
	check(&r, 0, req, N_ELEM(req));
	check(&r, 1, resp, N_ELEM(resp));
	run_free(&r);
}

/*
 * dns/bug-1158 (iodine), frames 1-8: one transaction per message, TXT
 * records with several strings give one answer per string, authorities.
 */
static void test_udp_iodine(void **state)
{
	static const struct kv req0[] = {
		KI("dns.id", 49711), KI("dns.tx_id", 0), KI("tx_id", 0),
		KS("dns.queries[0].rrname", "AAAAAO1kQA.=auth.srv.tunnel.com"),
		KS("dns.queries[0].rrtype", "TXT"), KS("dns.type", "request"),
	};
	static const struct kv resp1[] = {
		KS("dns.answers[0].rdata", "AhvMAAO1kAFE5TE9QTjFFN09RN1lYSDk"),
		KS("dns.answers[0].rrname", "AAAAAO1kQA.=auth.srv.tunnel.com"),
		KS("dns.answers[0].rrtype", "TXT"), KI("dns.answers[0].ttl", 3),
		KS("dns.answers[1].rdata", ""),
		KS("dns.answers[1].rrname", "AAAAAO1kQA.=auth.srv.tunnel.com"),
		KS("dns.answers[1].rrtype", "TXT"), KI("dns.answers[1].ttl", 3),
		KS("dns.authorities[0].rdata", "iodine.tunnel.com"),
		KS("dns.authorities[0].rrname", "srv.tunnel.com"),
		KS("dns.authorities[0].rrtype", "NS"), KI("dns.authorities[0].ttl", 604800),
		KS("dns.flags", "8180"),
		KS("dns.grouped.TXT[0]", "AhvMAAO1kAFE5TE9QTjFFN09RN1lYSDk"),
		KS("dns.grouped.TXT[1]", ""), KI("dns.id", 49711), KT("dns.qr"),
		KT("dns.ra"), KS("dns.rcode", "NOERROR"), KT("dns.rd"),
		KS("dns.queries[0].rrname", "AAAAAO1kQA.=auth.srv.tunnel.com"),
		KS("dns.queries[0].rrtype", "TXT"), KS("dns.type", "response"),
		KI("dns.version", 3), KI("dns.tx_id", 1),
		KS("dns.additionals[0].rrname", "iodine.tunnel.com"),
		KS("dns.additionals[0].rdata", "10.30.28.95"),
	};
	static const struct kv req2[] = {
		KI("dns.id", 45160), KI("dns.tx_id", 2), KS("dns.type", "request"),
		KS("dns.queries[0].rrname", "hvOBgAABAEI5ODFGMjk4MEMyRTFFOEZDREI1MEZGRTA2OEIx"
		   "QzMwODcyQTlBQjc.=auth.srv.tunnel.com"),
	};
	static const struct kv req4[] = {
		KI("dns.id", 45946), KI("dns.tx_id", 4),
		KS("dns.queries[0].rrname", "hvP1kF5BAHNzaA.=connect.srv.tunnel.com"),
	};
	static const struct kv resp5[] = {
		KS("dns.answers[0].rdata", "AhvP1kF5BAA"), KS("dns.answers[1].rdata", ""),
		KS("dns.grouped.TXT[0]", "AhvP1kF5BAA"), KS("dns.grouped.TXT[1]", ""),
		KI("dns.id", 45946), KLEN("dns.answers", 2),
	};
	static const struct kv resp7[] = {
		KS("dns.answers[0].rdata", "AhvMAAAABGFNTSC0yLjAtT3BlblNTSF81LjVwMSBEZWJp"
		   "YW4tNitzcXVlZXplMg"),
		KS("dns.answers[1].rdata", "0K"), KS("dns.answers[2].rdata", ""),
		KS("dns.answers[2].rrname", "hvMAAAABBA.srv.tunnel.com"),
		KLEN("dns.answers", 3), KLEN("dns.grouped.TXT", 3), KI("dns.id", 20792),
	};
	struct run r;
	run_file(&r, "udp-iodine.hex");
	assert_int_equal(r.n, 8);
	assert_int_equal(count_events(&r, "dns", NULL), 8);
	check(&r, 0, req0, N_ELEM(req0));
	check(&r, 1, resp1, N_ELEM(resp1));
	check(&r, 2, req2, N_ELEM(req2));
	check(&r, 4, req4, N_ELEM(req4));
	check(&r, 5, resp5, N_ELEM(resp5));
	check(&r, 7, resp7, N_ELEM(resp7));
	assert_int_equal(app_parser_dns.tx_count(r.st), 8);
	run_free(&r);
}

/* dns/task-7018-dns-ips-stream-rule: three queries over one TCP connection. */
static const struct kv tcp_resp1[] = {
	KS("dns.answers[0].rdata", "35.212.0.44"), KS("dns.answers[0].rrname", "suricata.io"),
	KS("dns.answers[0].rrtype", "A"), KI("dns.answers[0].ttl", 490),
	KS("dns.flags", "8180"), KS("dns.grouped.A[0]", "35.212.0.44"), KI("dns.id", 0),
	KI("dns.opcode", 0), KT("dns.qr"), KT("dns.ra"), KS("dns.rcode", "NOERROR"),
	KT("dns.rd"), KS("dns.queries[0].rrname", "suricata.io"), KS("dns.type", "response"),
	KI("tx_id", 1),
};
static const struct kv tcp_req2[] = {
	KI("dns.id", 0), KI("dns.opcode", 0), KS("dns.queries[0].rrname", "oisf.net"),
	KS("dns.queries[0].rrtype", "A"), KI("dns.tx_id", 2), KS("dns.type", "request"),
	KNO("dns.rcode"), KNO("dns.qr"),
};
static const struct kv tcp_resp3[] = {
	KS("dns.answers[0].rdata", "192.0.78.190"), KS("dns.answers[1].rdata", "192.0.78.209"),
	KI("dns.answers[1].ttl", 207), KS("dns.grouped.A[1]", "192.0.78.209"),
	KS("dns.queries[0].rrname", "oisf.net"), KI("dns.tx_id", 3),
};
static const struct kv tcp_req4[] = {
	KS("dns.queries[0].rrname", "suricata.org"), KI("dns.tx_id", 4),
};

static void test_tcp_three(void **state)
{
	struct fixture fx;
	struct run whole, bytes, pieces;

	fixture_load("tcp-three.hex", &fx);
	assert_true(fx.tcp);
	run_init(&whole, true);
	run_fixture(&whole, &fx, 0);
	assert_int_equal(whole.n, 6);
	check(&whole, 1, tcp_resp1, N_ELEM(tcp_resp1));
	check(&whole, 2, tcp_req2, N_ELEM(tcp_req2));
	check(&whole, 3, tcp_resp3, N_ELEM(tcp_resp3));
	check(&whole, 4, tcp_req4, N_ELEM(tcp_req4));
	assert_int_equal(app_parser_dns.tx_count(whole.st), 6);

	run_init(&bytes, true);
	run_fixture(&bytes, &fx, 1);
	same_lines(&whole, &bytes);
	run_init(&pieces, true);
	run_fixture(&pieces, &fx, -1);
	same_lines(&whole, &pieces);
	run_free(&whole);
	run_free(&bytes);
	run_free(&pieces);

	/* the three queries in one call: three events from one call */
	uint8_t all[256];
	size_t n = 0;
	for (size_t i = 0; i < fx.n; i++) {
		if (fx.m[i].dir != APP_TOSERVER)
			continue;
		memcpy(all + n, fx.m[i].b, fx.m[i].n);
		n += fx.m[i].n;
	}
	run_init(&whole, true);
	assert_int_equal(feed(&whole, APP_TOSERVER, all, n), PARSE_OK);
	assert_int_equal(whole.n, 3);
	check(&whole, 2, tcp_req4 + 0, 1);
	run_free(&whole);
	fixture_free(&fx);
}

/* dns/dns-incomplete: a query split across two segments. */
static void test_tcp_split(void **state)
{
	static const struct kv req[] = {
		KS("dns.type", "request"), KS("dns.queries[0].rrname", "google.com"),
		KS("dns.queries[0].rrtype", "TXT"), KI("dns.id", 4146), KI("dns.tx_id", 2),
	};
	struct fixture fx;
	struct run whole, bytes;

	fixture_load("tcp-split.hex", &fx);
	run_init(&whole, true);
	run_fixture(&whole, &fx, 0);
	assert_int_equal(whole.n, 4);
	assert_int_equal(count_events(&whole, "anomaly", NULL), 0);
	check(&whole, 2, req, N_ELEM(req));
	run_init(&bytes, true);
	run_fixture(&bytes, &fx, 1);
	same_lines(&whole, &bytes);
	run_free(&whole);
	run_free(&bytes);
	fixture_free(&fx);
}

/* nDPI dns_fragmented: a 1730-byte DNSSEC response over TCP. */
static void test_tcp_dnskey(void **state)
{
	static const struct kv req[] = {
		KS("dns.queries[0].rrtype", "DNSKEY"), KS("dns.flags", "120"),
		KS("dns.additionals[0].rrtype", "OPT"), KS("dns.additionals[0].rrname", ""),
		KI("dns.additionals[0].ttl", 32768),
		KI("dns.additionals[0].opt[0].code", 10),
		KS("dns.additionals[0].opt[0].data", "1b9af622ab2c9740"),
	};
	static const struct kv resp[] = {
		KT("dns.aa"), KS("dns.flags", "8500"), KNO("dns.ra"), KLEN("dns.answers", 4),
		KS("dns.answers[0].rrtype", "DNSKEY"), KI("dns.answers[0].ttl", 60),
		KNO("dns.answers[0].rdata"), KS("dns.answers[3].rrtype", "RRSIG"),
		KLEN("dns.grouped.DNSKEY", 0), KLEN("dns.grouped.RRSIG", 0),
	};
	struct fixture fx;
	struct run whole, bytes, pieces;

	fixture_load("tcp-dnskey.hex", &fx);
	run_init(&whole, true);
	run_fixture(&whole, &fx, 0);
	assert_int_equal(whole.n, 2);
	check(&whole, 0, req, N_ELEM(req));
	check(&whole, 1, resp, N_ELEM(resp));
	run_init(&bytes, true);
	run_fixture(&bytes, &fx, 1);
	same_lines(&whole, &bytes);
	run_init(&pieces, true);
	run_fixture(&pieces, &fx, -1);
	same_lines(&whole, &pieces);
	run_free(&whole);
	run_free(&bytes);
	run_free(&pieces);
	fixture_free(&fx);
}

/* Record types: SOA, AAAA, SRV, MX, NS at the root, EDNS options. */
static void test_udp_records(void **state)
{
	static const struct kv soa[] = {
		KS("dns.rcode", "NXDOMAIN"), KS("dns.flags", "8183"), KNO("dns.answers"),
		KS("dns.authorities[0].rrname", "example.com"),
		KS("dns.authorities[0].rrtype", "SOA"), KI("dns.authorities[0].ttl", 1475),
		KS("dns.authorities[0].soa.mname", "ns.icann.org"),
		KS("dns.authorities[0].soa.rname", "noc.dns.icann.org"),
		KI("dns.authorities[0].soa.serial", 2020080318),
		KI("dns.authorities[0].soa.refresh", 7200), KI("dns.authorities[0].soa.retry", 3600),
		KI("dns.authorities[0].soa.expire", 1209600),
		KI("dns.authorities[0].soa.minimum", 3600),
	};
	static const struct kv aaaa[] = {
		KS("dns.answers[0].rdata", "2001:0470:1f0b:1024:0000:0000:0000:0002"),
		KS("dns.grouped.AAAA[0]", "2001:0470:1f0b:1024:0000:0000:0000:0002"),
		KS("dns.answers[1].rrtype", "RRSIG"), KNO("dns.answers[1].rdata"),
		KS("dns.authorities[1].rdata", "ns1.weberdns.de"),
		KS("dns.additionals[0].rdata", "2001:0470:765b:0000:0000:0000:0a25:0053"),
		KS("dns.additionals[2].rdata", "193.24.227.238"),
		KS("dns.additionals[8].rrtype", "OPT"),
		KS("dns.additionals[8].opt[0].data", "00023800200104701f0b16"),
	};
	static const struct kv srv[] = {
		KS("dns.queries[0].rrname", "_nos._tcp.nos-avg.cz"),
		KS("dns.queries[0].rrtype", "SRV"), KT("dns.aa"),
		KI("dns.answers[0].srv.priority", 100), KI("dns.answers[0].srv.weight", 10),
		KI("dns.answers[0].srv.port", 443),
		KS("dns.answers[0].srv.name", "fe-self007.nos-avg.cz"),
		KS("dns.grouped.SRV[1].name", "fe-self002.nos-avg.cz"),
	};
	static const struct kv mx[] = {
		KS("dns.answers[0].rrtype", "MX"),
		KS("dns.answers[0].rdata", "634f00a621010a0000.skullseclabs.org"),
	};
	static const struct kv nsid_req[] = {
		KS("dns.queries[0].rrname", ""), KS("dns.queries[0].rrtype", "NS"),
		KI("dns.additionals[0].opt[0].code", 3), KS("dns.additionals[0].opt[0].data", ""),
	};
	static const struct kv nsid_resp[] = {
		KLEN("dns.answers", 13), KLEN("dns.grouped.NS", 13),
		KS("dns.answers[12].rdata", "m.root-servers.net"),
		KS("dns.answers[12].rrname", ""), KI("dns.additionals[0].opt[0].code", 3),
	};
	struct run r;

	run_file(&r, "udp-nxdomain.hex");
	check(&r, 1, soa, N_ELEM(soa));
	run_free(&r);
	run_file(&r, "udp-aaaa.hex");
	check(&r, 1, aaaa, N_ELEM(aaaa));
	run_free(&r);
	run_file(&r, "udp-srv.hex");
	check(&r, 0, srv, N_ELEM(srv));
	run_free(&r);
	run_file(&r, "udp-mx.hex");
	check(&r, 1, mx, N_ELEM(mx));
	run_free(&r);
	run_file(&r, "udp-nsid.hex");
	check(&r, 0, nsid_req, N_ELEM(nsid_req));
	check(&r, 1, nsid_resp, N_ELEM(nsid_resp));
	run_free(&r);
}

/* Inverse query (opcode 1, answers in the request) and odd bytes in names. */
static void test_udp_odd(void **state)
{
	static const struct kv iq[] = {
		KS("dns.type", "request"), KI("dns.opcode", 1), KNO("dns.queries"),
		KS("dns.answers[0].rrname", "216.58.202.4"), KS("dns.answers[0].rdata", ""),
	};
	static const struct kv iq_resp[] = {
		KS("dns.rcode", "NOTIMP"), KI("dns.opcode", 1), KS("dns.flags", "8984"),
		KNO("dns.queries"), KNO("dns.answers"),
	};
	struct run r;

	run_file(&r, "udp-iquery.hex");
	assert_int_equal(r.n, 2);
	check(&r, 0, iq, N_ELEM(iq));
	check(&r, 1, iq_resp, N_ELEM(iq_resp));
	run_free(&r);

	run_file(&r, "udp-oddchars.hex");
	assert_int_equal(r.n, 2);
	json_t *j = event(&r, 0);
	assert_string_equal(json_string_value(jpath(j, "dns.queries[0].rrname")),
			    "www.allyourba\x04\x05\x06" "arebelongto.cn");
	json_decref(j);
	assert_non_null(strstr(r.line[1], "allyourbasesare\\u0001\\u0002\\u0003ongto.cn"));
	run_free(&r);

	/* spelled as numbers: a type without a name, an rcode past NOTZONE */
	struct fixture fx;
	fixture_load("udp-nbns.hex", &fx);
	run_init(&r, false);
	feed(&r, APP_TOSERVER, fx.m[0].b, fx.m[0].n);
	static const struct kv nb[] = {
		KS("dns.queries[0].rrtype", "32"), KS("dns.flags", "110"),
		KS("dns.queries[0].rrname", "FDEFEDFFEMEBECCACACACACACACACABM"),
	};
	check(&r, 0, nb, N_ELEM(nb));
	fixture_free(&fx);
	run_clear(&r);
	fixture_load("udp-cname.hex", &fx);
	fx.m[1].b[3] = 0x8b;
	fx.m[0].b[2] = fx.m[0].b[3] = 0;
	feed(&r, APP_TOCLIENT, fx.m[1].b, fx.m[1].n);
	feed(&r, APP_TOSERVER, fx.m[0].b, fx.m[0].n);
	static const struct kv rc[] = { KS("dns.rcode", "11"), KS("dns.flags", "818b") };
	check(&r, 0, rc, N_ELEM(rc));
	static const struct kv f0[] = { KS("dns.flags", "0"), KNO("dns.rd") };
	check(&r, 1, f0, N_ELEM(f0));
	fixture_free(&fx);
	run_free(&r);
}

/* ------------------------------------------------------------------ */
/* damage */

/* nDPI malformed_dns: a 1.4 KB response with overlong names. */
static void test_real_malformed(void **state)
{
	struct run r;

	run_file(&r, "udp-malformed.hex");
	assert_int_equal(count_events(&r, "dns", NULL), 2);
	assert_int_equal(count_events(&r, "anomaly", "name_too_long"), 1);
	json_t *j = event(&r, 1);
	json_t *q = jpath(j, "dns.queries[1]");
	assert_true(json_is_true(json_object_get(q, "rrname_truncated")));
	assert_int_equal(json_string_length(json_object_get(q, "rrname")), 255);
	assert_null(jpath(j, "dns.queries[0].rrname_truncated"));
	json_decref(j);
	run_free(&r);

	/* a datagram cut short: no event, one anomaly, no transaction */
	run_file(&r, "udp-truncated.hex");
	assert_int_equal(r.n, 1);
	assert_int_equal(count_events(&r, "anomaly", "malformed_data"), 1);
	assert_int_equal(app_parser_dns.tx_count(r.st), 0);
	run_free(&r);
}

/* Every prefix of a real response is malformed over UDP (no event). */
static void test_prefixes(void **state)
{
	struct fixture fx;
	struct run r;

	fixture_load("udp-iodine.hex", &fx);
	const struct msg *m = &fx.m[7];
	run_init(&r, false);
	for (size_t n = 0; n < m->n; n++) {
		assert_int_equal(feed(&r, APP_TOCLIENT, m->b, n), PARSE_OK);
		/* a prefix may stop inside the authorities or additionals:
		 * logged, the broken section dropped */
		assert_true(r.n >= 1);
		if (strstr(r.line[0], "\"event_type\":\"dns\"")) {
			assert_int_equal(r.n, 2);
			assert_true(strstr(r.line[1], "invalid_additionals") ||
				    strstr(r.line[1], "invalid_authorities"));
		} else
			assert_non_null(strstr(r.line[0], "malformed_data"));
		run_clear(&r);
		app_parser_dns.state_free(r.st);
		r.st = app_parser_dns.state_new();
	}
	run_free(&r);
	fixture_free(&fx);
}

static const uint8_t junk[][16] = {
	{ 0 },                                          /* header only, counts 0 */
	{ 1, 2, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a' },          /* label off the end */
	{ 1, 2, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0 },    /* reserved label */
	{ 1, 2, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff },      /* pointer outside */
	{ 1, 2, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1 },         /* no qclass */
};
static const size_t junk_len[] = { 11, 14, 15, 14, 15 };

static void test_garbage(void **state)
{
	struct run r;
	struct fixture fx;

	run_init(&r, false);
	for (size_t i = 0; i < N_ELEM(junk); i++)
		assert_int_equal(feed(&r, APP_TOSERVER, junk[i], junk_len[i]), PARSE_OK);
	assert_int_equal(r.n, N_ELEM(junk));
	assert_int_equal(count_events(&r, "anomaly", "malformed_data"), N_ELEM(junk));
	json_t *j = event(&r, 0);
	assert_null(json_object_get(j, "tx_id"));
	json_decref(j);
	/* a good message after them is transaction 0 */
	fixture_load("udp-cname.hex", &fx);
	assert_int_equal(feed(&r, APP_TOSERVER, fx.m[0].b, fx.m[0].n), PARSE_OK);
	static const struct kv ok[] = { KI("dns.tx_id", 0), KS("dns.type", "request") };
	check(&r, N_ELEM(junk), ok, N_ELEM(ok));
	fixture_free(&fx);
	run_free(&r);
}

/* A compression pointer to itself: the name stops, infinite_loop. */
static void test_pointer_loop(void **state)
{
	struct fixture fx;
	struct run r;

	fixture_load("udp-cname.hex", &fx);
	uint8_t *b = fx.m[1].b;
	/* the first answer's owner is "c0 0c" at offset 38: point it at 38 */
	assert_int_equal(b[38], 0xc0);
	b[39] = 38;
	run_init(&r, false);
	assert_int_equal(feed(&r, APP_TOCLIENT, b, fx.m[1].n), PARSE_OK);
	static const struct kv loop[] = {
		KS("dns.answers[0].rrname", ""), KT("dns.answers[0].rrname_truncated"),
		KS("dns.answers[0].rdata", "suricata-ids.org"),
		KS("dns.answers[1].rrname", "suricata-ids.org"),
	};
	check(&r, 0, loop, N_ELEM(loop));
	assert_int_equal(count_events(&r, "anomaly", "infinite_loop"), 1);
	static const struct kv an[] = { KI("tx_id", 0), KS("anomaly.app_proto", "dns") };
	check(&r, 1, an, N_ELEM(an));
	run_free(&r);
	fixture_free(&fx);
}

/* Header oddities: Z flag, bad opcode, a response sent to the server. */
static void test_header_events(void **state)
{
	struct fixture fx;
	struct run r;

	fixture_load("udp-cname.hex", &fx);
	uint8_t *q = fx.m[0].b;
	size_t qn = fx.m[0].n;
	run_init(&r, false);
	q[3] = 0x40;                    /* Z */
	feed(&r, APP_TOSERVER, q, qn);
	q[2] = 0x79;                    /* opcode 15 */
	q[3] = 0x00;
	feed(&r, APP_TOSERVER, q, qn);
	assert_int_equal(count_events(&r, "dns", NULL), 2);
	assert_int_equal(count_events(&r, "anomaly", "z_flag_set"), 1);
	assert_int_equal(count_events(&r, "anomaly", "invalid_opcode"), 1);
	static const struct kv z[] = { KT("dns.z"), KS("dns.flags", "140") };
	check(&r, 0, z, N_ELEM(z));
	static const struct kv op[] = { KI("tx_id", 1), KS("anomaly.event", "invalid_opcode") };
	check(&r, 3, op, N_ELEM(op));
	run_clear(&r);

	/* a response towards the server: logged as a response, flagged once */
	feed(&r, APP_TOSERVER, fx.m[1].b, fx.m[1].n);
	feed(&r, APP_TOSERVER, fx.m[1].b, fx.m[1].n);
	assert_int_equal(count_events(&r, "dns", NULL), 2);
	assert_int_equal(count_events(&r, "anomaly", "not_a_request"), 1);
	static const struct kv resp[] = { KS("dns.type", "response"), KI("dns.tx_id", 2) };
	check(&r, 0, resp, N_ELEM(resp));
	run_free(&r);
	fixture_free(&fx);
}

/* Broken authority / additional sections are dropped, the rest logged. */
static void test_bad_sections(void **state)
{
	struct fixture fx;
	struct run r;

	fixture_load("udp-iodine.hex", &fx);
	uint8_t *b = fx.m[1].b;
	size_t n = fx.m[1].n;
	/* the last record is the additional A (rdlength 4 at n - 6) */
	assert_int_equal(b[n - 6], 0);
	assert_int_equal(b[n - 5], 4);
	b[n - 5] = 5;
	run_init(&r, false);
	feed(&r, APP_TOCLIENT, b, n);
	static const struct kv add[] = {
		KNO("dns.additionals"), KS("dns.authorities[0].rdata", "iodine.tunnel.com"),
		KLEN("dns.answers", 2),
	};
	check(&r, 0, add, N_ELEM(add));
	assert_int_equal(count_events(&r, "anomaly", "invalid_additionals"), 1);
	run_clear(&r);

	/* the authority NS record (type at n - 35, rdlength 9 at n - 27) one
	 * byte shorter: its name "iodine" + pointer runs past the data */
	b[n - 5] = 4;
	assert_int_equal(b[n - 35], 0x00);
	assert_int_equal(b[n - 34], 0x02);
	assert_int_equal(b[n - 27], 0x00);
	assert_int_equal(b[n - 26], 0x09);
	b[n - 26] = 0x08;
	feed(&r, APP_TOCLIENT, b, n);
	static const struct kv auth[] = {
		KNO("dns.additionals"), KNO("dns.authorities"), KLEN("dns.answers", 2),
	};
	check(&r, 0, auth, N_ELEM(auth));
	assert_int_equal(count_events(&r, "anomaly", "invalid_authorities"), 1);
	run_free(&r);
	fixture_free(&fx);
}

/* Offset just past the uncompressed name at off. */
static size_t skip_name(const uint8_t *b, size_t off)
{
	while (b[off])
		off += 1 + (size_t)b[off];
	return off + 1;
}

/* The data of the types we decode is checked; an empty TXT record. */
static void test_rdata_checks(void **state)
{
	struct fixture fx;
	struct run r;

	/* an MX record holding only its preference: the answers are broken */
	fixture_load("udp-mx.hex", &fx);
	uint8_t *b = fx.m[1].b;
	size_t an = skip_name(b, 12) + 4;
	assert_int_equal(b[an + 3], 15);                /* type MX */
	b[an + 10] = 0;
	b[an + 11] = 2;
	run_init(&r, false);
	feed(&r, APP_TOCLIENT, b, an + 14);
	assert_int_equal(r.n, 1);
	assert_int_equal(count_events(&r, "anomaly", "malformed_data"), 1);
	run_free(&r);
	fixture_free(&fx);

	/* a TXT record without strings: one answer without rdata */
	fixture_load("udp-txt.hex", &fx);
	b = fx.m[1].b;
	an = skip_name(b, 12) + 4;
	assert_int_equal(b[an + 3], 16);                /* type TXT */
	b[11] = 0;                                      /* no additionals */
	b[an + 10] = 0;
	b[an + 11] = 0;
	run_init(&r, false);
	feed(&r, APP_TOCLIENT, b, an + 12);
	static const struct kv txt[] = {
		KLEN("dns.answers", 1), KS("dns.answers[0].rrtype", "TXT"),
		KI("dns.answers[0].ttl", 3217), KNO("dns.answers[0].rdata"),
		KLEN("dns.grouped.TXT", 0),
	};
	check(&r, 0, txt, N_ELEM(txt));
	run_free(&r);
	fixture_free(&fx);

	/* EDNS options overrunning the OPT record: additionals dropped */
	fixture_load("udp-aaaa.hex", &fx);
	b = fx.m[1].b;
	size_t n = fx.m[1].n;
	assert_int_equal(b[n - 13], 0);                 /* option length 11 */
	assert_int_equal(b[n - 12], 11);
	b[n - 12] = 12;
	run_init(&r, false);
	feed(&r, APP_TOCLIENT, b, n);
	static const struct kv opt[] = {
		KNO("dns.additionals"), KLEN("dns.authorities", 3), KLEN("dns.answers", 2),
	};
	check(&r, 0, opt, N_ELEM(opt));
	assert_int_equal(count_events(&r, "anomaly", "invalid_additionals"), 1);
	run_free(&r);
	fixture_free(&fx);
}

/* ------------------------------------------------------------------ */
/* caps */

/* 600 answers: 512 are logged, too_many_records. */
static void test_too_many_records(void **state)
{
	struct fixture fx;
	struct run r;
	static uint8_t big[12 + 64 + 600 * 16];

	fixture_load("udp-cname.hex", &fx);
	const uint8_t *q = fx.m[0].b;
	/* header and question of the real query ("www.suricata-ids.org" A) */
	size_t hq = 12 + 22 + 4;
	memcpy(big, q, hq);
	big[2] = 0x81;
	big[3] = 0x80;
	big[6] = 600 >> 8;
	big[7] = 600 & 0xff;
	big[11] = 0;
	size_t n = hq;
	for (int i = 0; i < 600; i++) {
		static const uint8_t a[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
		memcpy(big + n, a, sizeof(a));
		n += sizeof(a);
		big[n++] = 10;
		big[n++] = 0;
		big[n++] = (uint8_t)(i >> 8);
		big[n++] = (uint8_t)i;
	}
	run_init(&r, false);
	assert_int_equal(feed(&r, APP_TOCLIENT, big, n), PARSE_OK);
	static const struct kv kv[] = {
		KLEN("dns.answers", 512), KLEN("dns.grouped.A", 512),
		KS("dns.answers[511].rdata", "10.0.1.255"),
		KS("dns.answers[0].rrname", "www.suricata-ids.org"),
	};
	check(&r, 0, kv, N_ELEM(kv));
	assert_int_equal(count_events(&r, "anomaly", "too_many_records"), 1);
	run_free(&r);
	fixture_free(&fx);
}

/* The largest TCP message (65535 bytes), in 1000-byte pieces. */
static void test_tcp_largest(void **state)
{
	struct fixture fx;
	struct run r;
	uint8_t *big = calloc(1, 65537);

	assert_non_null(big);
	fixture_load("tcp-three.hex", &fx);
	/* the first query, padded with zeros to the largest length */
	memcpy(big, fx.m[0].b, fx.m[0].n);
	big[0] = 0xff;
	big[1] = 0xff;
	run_init(&r, true);
	for (size_t o = 0; o < 65537; o += 1000)
		assert_int_equal(feed(&r, APP_TOSERVER, big + o,
				      o + 1000 <= 65537 ? 1000 : 65537 - o), PARSE_OK);
	assert_int_equal(r.n, 1);
	static const struct kv kv[] = { KS("dns.queries[0].rrname", "suricata.io") };
	check(&r, 0, kv, N_ELEM(kv));
	/* a zero length prefix is an empty, malformed message */
	static const uint8_t zero[] = { 0, 0 };
	run_clear(&r);
	assert_int_equal(feed(&r, APP_TOSERVER, zero, 2), PARSE_OK);
	assert_int_equal(count_events(&r, "anomaly", "malformed_data"), 1);
	run_free(&r);
	fixture_free(&fx);
	free(big);
}

/* After a gap, TCP waits for the start of a message. */
static void test_tcp_gap(void **state)
{
	struct fixture fx;
	struct run r;

	fixture_load("tcp-three.hex", &fx);
	run_init(&r, true);
	feed(&r, APP_TOSERVER, fx.m[0].b, 10);
	app_parser_dns.gap(r.st, &r.ctx, APP_TOSERVER, 100);
	feed(&r, APP_TOSERVER, fx.m[0].b + 20, fx.m[0].n - 20);
	assert_int_equal(r.n, 0);
	feed(&r, APP_TOSERVER, fx.m[2].b, fx.m[2].n);
	assert_int_equal(r.n, 1);
	static const struct kv kv[] = {
		KS("dns.queries[0].rrname", "oisf.net"), KI("dns.tx_id", 0),
	};
	check(&r, 0, kv, N_ELEM(kv));
	/* the other direction was not affected */
	feed(&r, APP_TOCLIENT, fx.m[1].b, 7);
	feed(&r, APP_TOCLIENT, fx.m[1].b + 7, fx.m[1].n - 7);
	assert_int_equal(r.n, 2);
	run_free(&r);
	fixture_free(&fx);
}

/* A flow of nothing but garbage is given up after DNS_MAX_BAD (32). */
static void test_give_up(void **state)
{
	struct run r;
	struct fixture fx;

	fixture_load("udp-cname.hex", &fx);
	run_init(&r, false);
	for (int i = 0; i < 32; i++)
		assert_int_equal(feed(&r, APP_TOSERVER, junk[1], junk_len[1]), PARSE_OK);
	/* a good message resets the count */
	assert_int_equal(feed(&r, APP_TOSERVER, fx.m[0].b, fx.m[0].n), PARSE_OK);
	for (int i = 0; i < 32; i++)
		assert_int_equal(feed(&r, APP_TOSERVER, junk[1], junk_len[1]), PARSE_OK);
	assert_int_equal(feed(&r, APP_TOSERVER, junk[1], junk_len[1]), PARSE_ERROR);
	assert_int_equal(app_parser_dns.tx_count(r.st), 1);
	run_free(&r);
	fixture_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_real),
		cmocka_unit_test(test_probe_negative),
		cmocka_unit_test(test_udp_cname),
		cmocka_unit_test(test_udp_txt),
		cmocka_unit_test(test_udp_iodine),
		cmocka_unit_test(test_tcp_three),
		cmocka_unit_test(test_tcp_split),
		cmocka_unit_test(test_tcp_dnskey),
		cmocka_unit_test(test_udp_records),
		cmocka_unit_test(test_udp_odd),
		cmocka_unit_test(test_real_malformed),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_pointer_loop),
		cmocka_unit_test(test_header_events),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_rdata_checks),
		cmocka_unit_test(test_too_many_records),
		cmocka_unit_test(test_tcp_largest),
		cmocka_unit_test(test_tcp_gap),
		cmocka_unit_test(test_give_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
