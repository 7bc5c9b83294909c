/*
 * test-app-tls.c - the TLS parser on real handshakes.
 *
 * Each fixture under tests/data/app-tls/ is the start of one real TCP flow
 * cut out of a suricata-verify or nDPI capture by extract.py (segments of
 * direction, length, payload in capture order).  The tests feed them to
 * app_parser_tls the way the core does, collect the EVE lines, read them
 * back with jansson and compare every field with what the suricata-verify
 * expectations say (or, for fields they do not check, with what tshark
 * computes from the same capture: JA3/JA3S; JA4 values come from an
 * independent script and the one in bug-5713-02-ja4's expectation).  The
 * same flows are also fed byte by byte, in random chunks and with the
 * segments of a direction merged, and must give the same event; then
 * truncated, corrupted and oversized input must not crash and must raise
 * the anomalies Suricata names.
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

#include "../../src/sensor/applayer.h"
#include "../../src/sensor/app-tls.h"
#include "../../src/sensor/tls-cert.h"
#include "../../src/sensor/tls-fingerprint.h"

#define MAX_LINES 64
#define OT_MIN_SZ(a, b) ((a) < (b) ? (a) : (b))

struct collect {
	char *line[MAX_LINES];
	size_t n;
};

static void collect_cb(void *arg, const char *line, size_t len)
{
	struct collect *c = arg;
	if (c->n < MAX_LINES)
		c->line[c->n++] = strndup(line, len);
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->line[i]);
	c->n = 0;
}

struct seg {
	int dir;
	const uint8_t *p;
	size_t len;
};

struct fixture {
	uint8_t *buf;
	size_t len;
	struct seg seg[64];
	size_t nseg;
};

static void load(const char *name, struct fixture *fx)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/data/app-tls/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fx->buf = malloc(65536);
	fx->len = fread(fx->buf, 1, 65536, f);
	fclose(f);
	fx->nseg = 0;
	for (size_t i = 0; i + 3 <= fx->len && fx->nseg < 64;) {
		size_t l = (size_t)fx->buf[i + 1] << 8 | fx->buf[i + 2];
		assert_true(i + 3 + l <= fx->len);
		fx->seg[fx->nseg++] = (struct seg){ fx->buf[i], fx->buf + i + 3, l };
		i += 3 + l;
	}
	assert_true(fx->nseg > 0);
}

/* How to cut the stream into parse() calls. */
enum mode { WHOLE, BYTES, RANDOM, MERGED };

struct result {
	struct collect c;
	int parse_ret;
	ssize_t tls_after_seg;      /* segment after which the tls event came */
	void *state;                /* kept when asked for, else freed */
};

static void run_ex(const struct fixture *fx, enum mode m, bool end,
		   unsigned seed, struct result *r, bool keep_state)
{
	const struct app_parser *ap = &app_parser_tls;
	struct jw jw;
	jw_init(&jw);
	memset(r, 0, sizeof(*r));
	r->tls_after_seg = -1;
	struct app_ctx ctx = { .jw = &jw, .emit = collect_cb, .emit_arg = &r->c };
	void *st = ap->state_new();
	assert_non_null(st);
	srand(seed);
	for (size_t i = 0; i < fx->nseg && r->parse_ret == PARSE_OK; i++) {
		const struct seg *s = &fx->seg[i];
		if (m == MERGED) {
			/* this segment and the following ones of the same side */
			size_t j = i;
			uint8_t *b = malloc(65536);
			size_t bl = 0;
			while (j < fx->nseg && fx->seg[j].dir == s->dir) {
				memcpy(b + bl, fx->seg[j].p, fx->seg[j].len);
				bl += fx->seg[j].len;
				j++;
			}
			r->parse_ret = ap->parse(st, &ctx, s->dir, b, bl);
			free(b);
			i = j - 1;
		} else {
			size_t off = 0;
			while (off < s->len && r->parse_ret == PARSE_OK) {
				size_t n = s->len - off;
				if (m == BYTES)
					n = 1;
				else if (m == RANDOM) {
					size_t want = (size_t)(rand() % 700) + 1;
					n = OT_MIN_SZ(n, want);
				}
				/* a private copy: the parser must not keep pointers */
				uint8_t *b = malloc(n);
				memcpy(b, s->p + off, n);
				r->parse_ret = ap->parse(st, &ctx, s->dir, b, n);
				free(b);
				off += n;
			}
		}
		for (size_t k = 0; k < r->c.n && r->tls_after_seg < 0; k++)
			if (strstr(r->c.line[k], "\"event_type\":\"tls\""))
				r->tls_after_seg = (ssize_t)i;
	}
	if (end && r->parse_ret == PARSE_OK)
		ap->flow_end(st, &ctx);
	if (keep_state)
		r->state = st;
	else
		ap->state_free(st);
	jw_free(&jw);
}

static void run(const struct fixture *fx, enum mode m, bool end, unsigned seed,
		struct result *r)
{
	run_ex(fx, m, end, seed, r, false);
}

/* The lines of one event type; *count gets how many there were. */
static const char *find_event(const struct collect *c, const char *type, int *count)
{
	char needle[64];
	const char *first = NULL;
	snprintf(needle, sizeof(needle), "\"event_type\":\"%s\"", type);
	*count = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (strstr(c->line[i], needle)) {
			if (!first)
				first = c->line[i];
			(*count)++;
		}
	}
	return first;
}

static json_t *tls_event(const struct collect *c)
{
	int n;
	const char *line = find_event(c, "tls", &n);
	if (!line)
		fail_msg("no tls event");
	assert_int_equal(n, 1);
	json_error_t err;
	json_t *j = json_loads(line, 0, &err);
	if (!j)
		fail_msg("not JSON: %s: %s", err.text, line);
	assert_null(json_object_get(j, "tx_id"));
	json_t *t = json_object_get(j, "tls");
	assert_true(json_is_object(t));
	json_incref(t);
	json_decref(j);
	return t;
}

static const char *jstr(json_t *o, const char *path)
{
	/* "a.b" walks objects */
	char key[64];
	const char *dot;
	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	json_t *v = json_object_get(o, path);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

#define assert_field(obj, path, want) do { \
	const char *got_ = jstr((obj), (path)); \
	if (!got_ || strcmp(got_, (want)) != 0) \
		fail_msg("%s: got \"%s\", want \"%s\"", (path), got_ ? got_ : "(absent)", (want)); \
} while (0)

static void assert_anomaly(const struct collect *c, const char *event)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "\"event\":\"%s\"", event);
	for (size_t i = 0; i < c->n; i++)
		if (strstr(c->line[i], "\"event_type\":\"anomaly\"") &&
		    strstr(c->line[i], needle) && strstr(c->line[i], "\"app_proto\":\"tls\""))
			return;
	fail_msg("no anomaly %s", event);
}

static void assert_no_anomaly(const struct collect *c)
{
	int n;
	const char *l = find_event(c, "anomaly", &n);
	if (l)
		fail_msg("unexpected anomaly: %s", l);
}

/* Whole, byte by byte, random chunks (several seeds) and merged segments
 * must give the same lines. */
static void assert_split_invariant(const struct fixture *fx, bool end)
{
	struct result ref, r;
	run(fx, WHOLE, end, 0, &ref);
	enum mode modes[] = { BYTES, RANDOM, RANDOM, RANDOM, MERGED };
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		run(fx, modes[m], end, (unsigned)m * 7919u + 1, &r);
		if (r.c.n != ref.c.n) {
			for (size_t i = 0; i < r.c.n; i++)
				print_error("mode %zu line %zu: %s\n", m, i, r.c.line[i]);
			fail_msg("mode %zu: %zu lines, want %zu", m, r.c.n, ref.c.n);
		}
		for (size_t i = 0; i < ref.c.n; i++)
			assert_string_equal(r.c.line[i], ref.c.line[i]);
		collect_free(&r.c);
	}
	collect_free(&ref.c);
}

/* ---- real handshakes ---- */

static void test_bug_2646_02(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("bug-2646-02.seg", &fx);
	run(&fx, WHOLE, false, 0, &r);
	assert_int_equal(r.parse_ret, PARSE_OK);
	/* logged once the server's ServerHelloDone is in (3rd segment), as
	 * Suricata does at pcap_cnt 9 */
	assert_int_equal(r.tls_after_seg, 2);
	assert_no_anomaly(&r.c);
	json_t *t = tls_event(&r.c);
	assert_field(t, "subject", "C=US, ST=California, L=San Francisco, O=GitHub, Inc., CN=www.github.com");
	assert_field(t, "issuerdn", "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert SHA2 High Assurance Server CA");
	assert_field(t, "serial", "08:3A:84:59:2F:77:F2:E7:95:1B:F8:87:CE:DE:C9:66");
	assert_field(t, "fingerprint", "cc:aa:48:48:66:46:0e:91:53:2c:9c:7c:23:2a:b1:74:4d:29:9d:33");
	assert_field(t, "sni", "raw.githubusercontent.com");
	assert_field(t, "version", "TLS 1.2");
	assert_field(t, "notbefore", "2017-03-23T00:00:00");
	assert_field(t, "notafter", "2020-05-13T12:00:00");
	assert_field(t, "ja3.hash", "316193effb467e51d0301cabd36b69e0");
	assert_field(t, "ja3.string", "771,49196-49200-49195-49199-52393-52392-163-159-162-158-52394-49327-49325-49188-49192-49162-49172-49315-49311-107-106-57-56-49326-49324-49187-49191-49161-49171-49314-49310-103-64-51-50-49267-49271-49266-49270-196-195-190-189-136-135-69-68-157-156-49313-49309-49312-49308-61-60-53-47-192-186-132-65-255,0-11-10-35-22-23-13-21,29-23-25-24,0-1-2");
	assert_field(t, "ja3s.hash", "098e26e2609212ac1bfac552fbe04127");
	assert_field(t, "ja3s.string", "771,49199,65281-0-11-35-23");
	assert_field(t, "ja4", "t12d620800_106a9de34958_ce8ec278e0aa");
	assert_null(json_object_get(t, "client_alpns"));
	assert_null(json_object_get(t, "session_resumed"));
	json_decref(t);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_bug_5713_ja4(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("bug-5713-02-ja4.seg", &fx);
	/* only a ClientHello: nothing until the flow ends */
	run(&fx, WHOLE, false, 0, &r);
	assert_int_equal(r.c.n, 0);
	collect_free(&r.c);
	run(&fx, WHOLE, true, 0, &r);
	json_t *t = tls_event(&r.c);
	assert_field(t, "version", "TLSv1");
	assert_field(t, "ja4", "t10i070600_c50f5591e341_ce66f3b797c1");
	assert_field(t, "ja3.hash", "49ed2ef3f1321e5f044f1e71b0e6fdd5");
	assert_field(t, "ja3.string", "769,49162-49161-49172-49171-53-47-10,5-10-11-35-23-65281,29-23-24,0");
	assert_null(json_object_get(t, "sni"));
	assert_null(json_object_get(t, "subject"));
	assert_null(json_object_get(t, "ja3s"));
	json_decref(t);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_alpn_tls13(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("tls-alpn-client-log-01.seg", &fx);
	run(&fx, WHOLE, true, 0, &r);
	assert_int_equal(r.tls_after_seg, 1);  /* ServerHello + CCS */
	assert_no_anomaly(&r.c);
	json_t *t = tls_event(&r.c);
	json_t *a = json_object_get(t, "client_alpns");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "h2");
	assert_string_equal(json_string_value(json_array_get(a, 1)), "http/1.1");
	assert_null(json_object_get(t, "server_alpns"));  /* encrypted in 1.3 */
	assert_field(t, "sni", "cloudflare-quic.com");
	assert_field(t, "version", "TLS 1.3");
	assert_field(t, "ja3.hash", "cd08e31494f9531f560d64c695473da9");
	assert_field(t, "ja3s.hash", "eb1d94daa7e0344597e756a1fb6e7054");
	assert_field(t, "ja3s.string", "771,4865,51-43");
	/* the example of FoxIO's JA4 documentation, from Chrome */
	assert_field(t, "ja4", "t13d1516h2_8daaf6152771_e5627efa2ab1");
	/* the server echoes the session id, but 1.3 is not "resumed" */
	assert_null(json_object_get(t, "session_resumed"));
	assert_null(json_object_get(t, "subject"));
	assert_null(json_object_get(t, "fingerprint"));
	json_decref(t);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_altname_zero_sslv2(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("tls-altname-zero.seg", &fx);
	assert_int_equal(app_parser_tls.probe(fx.seg[0].p, fx.seg[0].len, APP_TOSERVER), PROBE_YES);
	run(&fx, WHOLE, true, 0, &r);
	assert_int_equal(r.tls_after_seg, 2);
	assert_no_anomaly(&r.c);
	json_t *t = tls_event(&r.c);
	assert_field(t, "fingerprint", "8d:97:4b:41:04:3f:55:37:d0:58:90:a4:13:3b:7b:85:c6:46:81:cb");
	assert_field(t, "issuerdn", "C=US, O=Let's Encrypt, CN=R3");
	assert_field(t, "notafter", "2023-03-01T06:47:30");
	assert_field(t, "notbefore", "2022-12-01T06:47:31");
	assert_field(t, "serial", "03:DE:23:89:7E:97:FB:86:8E:7C:C5:53:09:FE:AE:D0:AE:20");
	assert_field(t, "subject", "CN=xn--j1ahhq.xn--p1ai");
	assert_field(t, "version", "TLSv1");
	assert_null(json_object_get(t, "ja3"));  /* no JA3 of an SSLv2 hello */
	assert_field(t, "ja3s.string", "769,57,65281");
	assert_field(t, "ja3s.hash", "e1691a31bfe345d2692da75636ddfb00");
	json_decref(t);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_bug_4702_02(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("bug-4702-02.seg", &fx);
	run(&fx, WHOLE, true, 0, &r);
	assert_int_equal(r.tls_after_seg, 1);
	assert_no_anomaly(&r.c);
	json_t *t = tls_event(&r.c);
	assert_field(t, "sni", "vlscppe.microsoft.com");
	assert_field(t, "version", "TLS 1.3");
	assert_field(t, "ja3.hash", "4ea056e63b7910cbf543f0c095064dfe");
	assert_field(t, "ja3s.hash", "15af977ce25de452b96affa2addb1036");
	assert_field(t, "ja3s.string", "771,4866,43-51");
	assert_field(t, "ja4", "t13d3113h2_e8f1e7e78f70_ce5650b735ce");
	/* the server echoes the session id, but 1.3 is not "resumed" */
	assert_null(json_object_get(t, "session_resumed"));
	json_decref(t);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_ldap_starttls_serial(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("ldap-starttls.seg", &fx);
	run(&fx, WHOLE, true, 0, &r);
	assert_int_equal(r.tls_after_seg, 3);  /* the ServerHelloDone record */
	json_t *t = tls_event(&r.c);
	assert_field(t, "subject", "CN=LDAP SSL test");
	assert_field(t, "issuerdn", "CN=LDAP SSL test");
	assert_field(t, "serial", "00:8A:07:E0:8D:4A:B5:0A:7B");
	assert_field(t, "notbefore", "2015-01-31T02:18:29");
	assert_field(t, "notafter", "2025-01-28T02:18:29");
	assert_field(t, "version", "TLS 1.2");
	assert_field(t, "ja3.hash", "3f8b7a5c41878630f67e660533be80fc");
	assert_field(t, "ja3s.hash", "573a9f3f80037fb40d481e2054def5bb");
	assert_field(t, "ja4", "t12i240200_e34a427d6317_e0d811e466d9");
	json_decref(t);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_client_cert(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("tls-client-cert-01.seg", &fx);
	run_ex(&fx, WHOLE, true, 0, &r, true);
	json_t *t = tls_event(&r.c);
	assert_field(t, "sni", "localhost");
	assert_field(t, "subject", "C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleServer, CN=SampleServer");
	assert_field(t, "serial", "00:C7:D4:28:8B:80:E0:1E:25");
	assert_field(t, "ja3.hash", "2a26b1a62e40d25d4de3babc9d532f30");
	assert_field(t, "ja3s.hash", "a9e3ed16ee3208291487c8d2aa2ad924");
	json_t *sa = json_object_get(t, "server_alpns");
	assert_int_equal(json_array_size(sa), 0);
	json_decref(t);
	/* the client's certificate came after the event, in the clear */
	const char *s = app_tls_client_cert_subject(r.state);
	assert_non_null(s);
	assert_non_null(strstr(s, "O=TLSClientAuthSampleClient"));
	assert_non_null(strstr(app_tls_client_cert_issuer(r.state), "O=TLSClientAuthSampleCA"));
	assert_string_equal(app_tls_client_cert_fingerprint(r.state),
			    "32:56:41:d0:6a:ff:47:cb:21:e4:89:c5:ae:2a:a2:d8:1b:c9:70:0c");
	assert_string_equal(app_tls_cert_subject(r.state),
			    "C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleServer, CN=SampleServer");
	assert_true(app_tls_handshake_done(r.state));
	app_parser_tls.state_free(r.state);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_client_hello_frag(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("tls-client-hello-frag-01.seg", &fx);
	run_ex(&fx, WHOLE, true, 0, &r, true);
	json_t *t = tls_event(&r.c);
	assert_field(t, "sni", "www.google.com");
	assert_field(t, "ja3.hash", "a64c29923906f2a1be278be1da0714fa");
	assert_field(t, "ja3s.hash", "a27e76e64afe9199440ad714848966f8");
	assert_field(t, "ja4", "t12d8008h2_9cedc1f1428b_046e095b7c4a");
	json_t *sa = json_object_get(t, "server_alpns");
	assert_int_equal(json_array_size(sa), 1);
	assert_string_equal(json_string_value(json_array_get(sa, 0)), "h2");
	json_decref(t);
	/* accessors for the rule engine */
	assert_string_equal(app_tls_sni(r.state), "www.google.com");
	assert_string_equal(app_tls_ja3_hash(r.state), "a64c29923906f2a1be278be1da0714fa");
	assert_string_equal(app_tls_ja3s_hash(r.state), "a27e76e64afe9199440ad714848966f8");
	assert_string_equal(app_tls_ja4(r.state), "t12d8008h2_9cedc1f1428b_046e095b7c4a");
	assert_int_equal(app_tls_version(r.state), 0x0303);
	assert_non_null(app_tls_cert_issuer(r.state));
	assert_non_null(app_tls_cert_fingerprint(r.state));
	assert_non_null(app_tls_ja3_string(r.state));
	app_parser_tls.state_free(r.state);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_ndpi_tls13(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("ndpi-google-chat.seg", &fx);
	run(&fx, WHOLE, false, 0, &r);
	assert_int_equal(r.tls_after_seg, 1);
	assert_no_anomaly(&r.c);
	json_t *t = tls_event(&r.c);
	assert_field(t, "sni", "chat.google.com");
	assert_field(t, "version", "TLS 1.3");
	assert_field(t, "ja3.hash", "b5001237acdf006056b409cc433726b0");
	assert_field(t, "ja3s.string", "771,4865,51-43");
	assert_field(t, "ja4", "t13d1715h2_5b57614c22b0_5c2c66f702b0");
	json_t *a = json_object_get(t, "client_alpns");
	assert_int_equal(json_array_size(a), 2);
	json_decref(t);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

static void test_resumed(void **unused)
{
	struct fixture fx;
	struct result r;
	(void)unused;
	load("ndpi-snapchat-resumed.seg", &fx);
	run(&fx, WHOLE, false, 0, &r);
	assert_int_equal(r.tls_after_seg, 1);  /* ServerHello, CCS, Finished */
	assert_no_anomaly(&r.c);
	json_t *t = tls_event(&r.c);
	json_t *b = json_object_get(t, "session_resumed");
	assert_true(json_is_true(b));
	assert_null(json_object_get(t, "subject"));
	assert_null(json_object_get(t, "sni"));
	assert_field(t, "version", "TLS 1.2");
	assert_field(t, "ja3.hash", "36e9ceaa96dd810482573844f78a063f");
	assert_field(t, "ja3s.string", "771,49199,65281");
	assert_field(t, "ja3s.hash", "fbe78c619e7ea20046131294ad087f05");
	assert_field(t, "ja4", "t12i220300_5fd681855ab9_1ea9011b3dfa");
	json_decref(t);
	collect_free(&r.c);
	assert_split_invariant(&fx, true);
	free(fx.buf);
}

/* ---- probing ---- */

static void test_probe(void **unused)
{
	const struct app_parser *ap = &app_parser_tls;
	struct fixture fx;
	(void)unused;
	assert_string_equal(ap->name, "tls");
	assert_int_equal(ap->id, APP_TLS);
	assert_true(ap->tcp);
	assert_false(ap->udp);
	assert_int_equal(ap->ports[0], 443);

	load("bug-2646-02.seg", &fx);
	const uint8_t *ch = fx.seg[0].p, *sh = fx.seg[1].p;
	/* the record header's first three bytes decide, as Suricata's
	 * "|16 03 0x|" patterns do */
	for (size_t n = 0; n < 3; n++)
		assert_int_equal(ap->probe(ch, n, APP_TOSERVER), PROBE_NEED_MORE);
	assert_int_equal(ap->probe(ch, 3, APP_TOSERVER), PROBE_YES);
	assert_int_equal(ap->probe(sh, fx.seg[1].len, APP_TOCLIENT), PROBE_YES);
	free(fx.buf);

	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	assert_int_equal(ap->probe(http, sizeof(http) - 1, APP_TOSERVER), PROBE_NO);
	static const uint8_t appdata[] = { 0x17, 0x03, 0x03, 0x00, 0x20, 0x00 };
	assert_int_equal(ap->probe(appdata, sizeof(appdata), APP_TOSERVER), PROBE_NO);
	static const uint8_t badver[] = { 0x16, 0x05, 0x01, 0x00, 0x20, 0x01 };
	assert_int_equal(ap->probe(badver, sizeof(badver), APP_TOSERVER), PROBE_NO);
	static const uint8_t empty_record[] = { 0x16, 0x03, 0x00, 0x00, 0x00, 0x00 };
	assert_int_equal(ap->probe(empty_record, sizeof(empty_record), APP_TOSERVER), PROBE_YES);
	static const uint8_t newer[] = { 0x16, 0x03, 0x05, 0x00, 0x20, 0x01 };
	assert_int_equal(ap->probe(newer, sizeof(newer), APP_TOSERVER), PROBE_NO);
	static const uint8_t v2[] = { 0x80, 0x80, 0x01, 0x03, 0x01, 0x00, 0x57 };
	assert_int_equal(ap->probe(v2, 4, APP_TOSERVER), PROBE_NEED_MORE);
	assert_int_equal(ap->probe(v2, sizeof(v2), APP_TOSERVER), PROBE_YES);
	static const uint8_t v2bad[] = { 0x80, 0x80, 0x07, 0x03, 0x01 };
	assert_int_equal(ap->probe(v2bad, sizeof(v2bad), APP_TOSERVER), PROBE_NO);
}

/* ---- broken input ---- */

/* Feed raw bytes as one direction; returns the parse result. */
static int feed_raw(void *st, struct collect *c, struct jw *jw, int dir,
		    const uint8_t *p, size_t n)
{
	struct app_ctx ctx = { .jw = jw, .emit = collect_cb, .emit_arg = c };
	return app_parser_tls.parse(st, &ctx, dir, p, n);
}

static void end_raw(void *st, struct collect *c, struct jw *jw)
{
	struct app_ctx ctx = { .jw = jw, .emit = collect_cb, .emit_arg = c };
	app_parser_tls.flow_end(st, &ctx);
}

/* A server flight whose Certificate message is cut short (the record and
 * the handshake lengths still say more is coming): no crash, no event
 * until the flow ends, and the event then has the hellos but no cert. */
static void test_truncated_certificate(void **unused)
{
	struct fixture fx;
	struct collect c = { 0 };
	struct jw jw;
	(void)unused;
	jw_init(&jw);
	load("bug-2646-02.seg", &fx);
	for (size_t cut = 0; cut < fx.seg[1].len; cut += 97) {
		void *st = app_parser_tls.state_new();
		assert_int_equal(feed_raw(st, &c, &jw, 0, fx.seg[0].p, fx.seg[0].len), PARSE_OK);
		assert_int_equal(feed_raw(st, &c, &jw, 1, fx.seg[1].p, cut), PARSE_OK);
		assert_int_equal(c.n, 0);
		end_raw(st, &c, &jw);
		json_t *t = tls_event(&c);
		assert_field(t, "sni", "raw.githubusercontent.com");
		assert_null(json_object_get(t, "subject"));
		json_decref(t);
		app_parser_tls.state_free(st);
		collect_free(&c);
	}

	/* A Certificate message whose inner lengths lie: the certificate
	 * length runs past the list. */
	static const uint8_t sh_then_bad_cert[] = {
		0x16, 0x03, 0x03, 0x00, 0x2a,
		0x02, 0x00, 0x00, 0x26, 0x03, 0x03,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0x00, 0x00, 0x2f, 0x00,
		0x16, 0x03, 0x03, 0x00, 0x10,
		0x0b, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x09, 0x00, 0x10, 0x00,
		0x30, 0x82, 0x01, 0x00, 0x02, 0x01,
		0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00,
	};
	void *st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 1, sh_then_bad_cert, sizeof(sh_then_bad_cert)), PARSE_OK);
	assert_anomaly(&c, "CERTIFICATE_INVALID_LENGTH");
	json_t *t = tls_event(&c);  /* ServerHelloDone: logged */
	assert_field(t, "version", "TLS 1.2");
	assert_field(t, "ja3s.string", "771,47,");
	json_decref(t);
	app_parser_tls.state_free(st);
	collect_free(&c);

	/* Certificate bytes that are not DER. */
	uint8_t notder[sizeof(sh_then_bad_cert)];
	memcpy(notder, sh_then_bad_cert, sizeof(notder));
	notder[59] = 0x00;  /* cert length 0x000006: fits the list */
	notder[60] = 0x00;
	notder[61] = 0x06;
	st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 1, notder, sizeof(notder)), PARSE_OK);
	assert_anomaly(&c, "CERTIFICATE_INVALID_DER");
	t = tls_event(&c);
	assert_null(json_object_get(t, "fingerprint"));
	json_decref(t);
	app_parser_tls.state_free(st);
	collect_free(&c);
	jw_free(&jw);
	free(fx.buf);
}

static void test_garbage(void **unused)
{
	struct collect c = { 0 };
	struct jw jw;
	(void)unused;
	jw_init(&jw);

	/* invalid record type: fatal, before anything was seen: no event */
	static const uint8_t bad_type[] = { 0x42, 0x03, 0x03, 0x00, 0x01, 0x00 };
	void *st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 0, bad_type, sizeof(bad_type)), PARSE_ERROR);
	assert_anomaly(&c, "INVALID_RECORD_TYPE");
	assert_int_equal(feed_raw(st, &c, &jw, 0, bad_type, sizeof(bad_type)), PARSE_ERROR);
	int n;
	assert_null(find_event(&c, "tls", &n));
	app_parser_tls.state_free(st);
	collect_free(&c);

	/* a good ClientHello, then a record with a bad version: the event is
	 * written at the error since the core stops feeding the flow */
	struct fixture fx;
	load("bug-5713-02-ja4.seg", &fx);
	static const uint8_t bad_ver[] = { 0x16, 0x07, 0x01, 0x00, 0x01, 0x00 };
	st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 0, fx.seg[0].p, fx.seg[0].len), PARSE_OK);
	assert_int_equal(feed_raw(st, &c, &jw, 1, bad_ver, sizeof(bad_ver)), PARSE_ERROR);
	assert_anomaly(&c, "INVALID_RECORD_VERSION");
	json_t *t = tls_event(&c);
	assert_field(t, "ja4", "t10i070600_c50f5591e341_ce66f3b797c1");
	json_decref(t);
	app_parser_tls.state_free(st);
	collect_free(&c);
	free(fx.buf);

	/* unknown handshake message type */
	static const uint8_t bad_hs[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 0x63, 0x00, 0x00, 0x00 };
	st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 0, bad_hs, sizeof(bad_hs)), PARSE_ERROR);
	assert_anomaly(&c, "INVALID_HANDSHAKE_MESSAGE");
	app_parser_tls.state_free(st);
	collect_free(&c);

	/* a ClientHello whose fixed part is cut: anomaly, not fatal */
	static const uint8_t short_ch[] = {
		0x16, 0x03, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x00, 0x06,
		0x03, 0x03, 0x00, 0x00, 0x00, 0x00,
	};
	st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 0, short_ch, sizeof(short_ch)), PARSE_OK);
	assert_anomaly(&c, "HANDSHAKE_INVALID_LENGTH");
	end_raw(st, &c, &jw);
	t = tls_event(&c);
	assert_field(t, "version", "TLSv1");  /* from the record header */
	assert_null(json_object_get(t, "ja3"));
	json_decref(t);
	app_parser_tls.state_free(st);
	collect_free(&c);

	/* too many records in one call */
	uint8_t many[300 * 6];
	for (size_t i = 0; i < 300; i++) {
		static const uint8_t rec[] = { 0x15, 0x03, 0x03, 0x00, 0x01, 0x00 };
		memcpy(many + 6 * i, rec, 6);
	}
	st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 0, many, sizeof(many)), PARSE_ERROR);
	assert_anomaly(&c, "TOO_MANY_RECORDS_IN_PACKET");
	app_parser_tls.state_free(st);
	collect_free(&c);

	/* heartbeat, oversized record length: anomalies, parsing goes on */
	static const uint8_t hb[] = { 0x18, 0x03, 0x03, 0x00, 0x03, 0x01, 0x40, 0x00 };
	uint8_t big[5 + 20000];
	memset(big, 0xaa, sizeof(big));
	big[0] = 0x17; big[1] = 0x03; big[2] = 0x03; big[3] = 20000 >> 8; big[4] = 20000 & 0xff;
	st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 0, hb, sizeof(hb)), PARSE_OK);
	assert_int_equal(feed_raw(st, &c, &jw, 0, big, sizeof(big)), PARSE_OK);
	assert_anomaly(&c, "HEARTBEAT_MESSAGE");
	assert_anomaly(&c, "INVALID_RECORD_LENGTH");
	/* each anomaly once per flow */
	assert_int_equal(feed_raw(st, &c, &jw, 0, hb, sizeof(hb)), PARSE_OK);
	find_event(&c, "anomaly", &n);
	assert_int_equal(n, 2);
	app_parser_tls.state_free(st);
	collect_free(&c);
	jw_free(&jw);
}

/* Build a ClientHello record around the given extensions block. */
static size_t make_ch(uint8_t *out, const uint8_t *exts, size_t elen)
{
	size_t bl = 2 + 32 + 1 + 2 + 4 + 2 + 2 + elen;
	size_t o = 0;
	out[o++] = 0x16; out[o++] = 0x03; out[o++] = 0x01;
	out[o++] = (uint8_t)((bl + 4) >> 8); out[o++] = (uint8_t)(bl + 4);
	out[o++] = 0x01; out[o++] = 0; out[o++] = (uint8_t)(bl >> 8); out[o++] = (uint8_t)bl;
	out[o++] = 0x03; out[o++] = 0x03;
	memset(out + o, 0x11, 32); o += 32;
	out[o++] = 0;                               /* session id */
	out[o++] = 0; out[o++] = 4;                 /* ciphers */
	out[o++] = 0x1a; out[o++] = 0x1a;           /* GREASE */
	out[o++] = 0x13; out[o++] = 0x01;
	out[o++] = 1; out[o++] = 0;                 /* compression */
	out[o++] = (uint8_t)(elen >> 8); out[o++] = (uint8_t)elen;
	memcpy(out + o, exts, elen);
	return o + elen;
}

static void test_sni_anomalies(void **unused)
{
	struct collect c = { 0 };
	struct jw jw;
	uint8_t rec[512];
	(void)unused;
	jw_init(&jw);

	/* two SNI extensions, the second one ignored; GREASE everywhere */
	static const uint8_t two[] = {
		0x2a, 0x2a, 0x00, 0x00,                              /* GREASE ext */
		0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x03, 'a', '.', 'b',
		0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x03, 'x', '.', 'y',
		0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 0xff, 0x01, /* ALPN "\xff\x01" */
		0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x3a, 0x3a, 0x00, 0x1d,
	};
	void *st = app_parser_tls.state_new();
	size_t n = make_ch(rec, two, sizeof(two));
	assert_int_equal(feed_raw(st, &c, &jw, 0, rec, n), PARSE_OK);
	assert_anomaly(&c, "MULTIPLE_SNI_EXTENSIONS");
	assert_string_equal(app_tls_sni(st), "a.b");
	assert_string_equal(app_tls_ja3_string(st), "771,4865,0-0-16-10,29,");
	/* JA4: GREASE not counted, ALPN non-alphanumeric as hex digits */
	assert_memory_equal(app_tls_ja4(st), "t12d0104f1_", 11);
	end_raw(st, &c, &jw);
	json_t *t = tls_event(&c);
	json_t *a = json_object_get(t, "client_alpns");
	assert_string_equal(json_string_value(json_array_get(a, 0)), "\\xff\x01");
	json_decref(t);
	app_parser_tls.state_free(st);
	collect_free(&c);

	/* SNI of another name type */
	static const uint8_t type1[] = {
		0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x01, 0x00, 0x03, 'a', '.', 'b',
	};
	st = app_parser_tls.state_new();
	n = make_ch(rec, type1, sizeof(type1));
	assert_int_equal(feed_raw(st, &c, &jw, 0, rec, n), PARSE_OK);
	assert_anomaly(&c, "INVALID_SNI_TYPE");
	assert_null(app_tls_sni(st));
	app_parser_tls.state_free(st);
	collect_free(&c);

	/* SNI name longer than its list */
	static const uint8_t longname[] = {
		0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x09, 'a', '.', 'b',
	};
	st = app_parser_tls.state_new();
	n = make_ch(rec, longname, sizeof(longname));
	assert_int_equal(feed_raw(st, &c, &jw, 0, rec, n), PARSE_OK);
	assert_anomaly(&c, "INVALID_SNI_LENGTH");
	assert_null(app_tls_sni(st));
	app_parser_tls.state_free(st);
	collect_free(&c);
	jw_free(&jw);
}

/* A handshake message larger than the buffer cap is skipped whole, with
 * an anomaly, and the messages after it are still parsed. */
static void test_handshake_cap(void **unused)
{
	struct collect c = { 0 };
	struct jw jw;
	(void)unused;
	jw_init(&jw);
	void *st = app_parser_tls.state_new();
	/* a 100000-byte Certificate, in 16 KiB records */
	const size_t mlen = 100000;
	uint8_t *msg = calloc(1, 4 + mlen);
	msg[0] = 0x0b; msg[1] = (uint8_t)(mlen >> 16); msg[2] = (uint8_t)(mlen >> 8); msg[3] = (uint8_t)mlen;
	uint8_t rec[5 + 16384];
	for (size_t off = 0; off < 4 + mlen; off += 16384) {
		size_t k = OT_MIN_SZ(16384, 4 + mlen - off);
		rec[0] = 0x16; rec[1] = 3; rec[2] = 3; rec[3] = (uint8_t)(k >> 8); rec[4] = (uint8_t)k;
		memcpy(rec + 5, msg + off, k);
		assert_int_equal(feed_raw(st, &c, &jw, 1, rec, 5 + k), PARSE_OK);
	}
	free(msg);
	assert_anomaly(&c, "HANDSHAKE_INVALID_LENGTH");
	/* then a ServerHelloDone, which still parses */
	static const uint8_t shd[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00 };
	assert_int_equal(feed_raw(st, &c, &jw, 1, shd, sizeof(shd)), PARSE_OK);
	app_parser_tls.state_free(st);
	collect_free(&c);
	jw_free(&jw);
}

/* A gap inside application data is skipped; in the handshake it stops
 * the direction but the event still comes at the end. */
static void test_gap(void **unused)
{
	struct fixture fx;
	struct collect c = { 0 };
	struct jw jw;
	(void)unused;
	jw_init(&jw);
	struct app_ctx ctx = { .jw = &jw, .emit = collect_cb, .emit_arg = &c };
	load("bug-2646-02.seg", &fx);

	void *st = app_parser_tls.state_new();
	assert_int_equal(feed_raw(st, &c, &jw, 0, fx.seg[0].p, fx.seg[0].len), PARSE_OK);
	assert_int_equal(feed_raw(st, &c, &jw, 1, fx.seg[1].p, 100), PARSE_OK);
	app_parser_tls.gap(st, &ctx, 1, 500);
	assert_int_equal(feed_raw(st, &c, &jw, 1, fx.seg[1].p + 600, fx.seg[1].len - 600), PARSE_OK);
	app_parser_tls.flow_end(st, &ctx);
	json_t *t = tls_event(&c);
	assert_field(t, "sni", "raw.githubusercontent.com");
	json_decref(t);
	app_parser_tls.state_free(st);
	collect_free(&c);

	/* after the handshake: gaps inside app data records are skipped */
	static const uint8_t ad1[] = { 0x17, 0x03, 0x03, 0x00, 0x10, 1, 2, 3, 4 };
	static const uint8_t ad2[] = { 0x17, 0x03, 0x03, 0x00, 0x02, 1, 2 };
	st = app_parser_tls.state_new();
	for (size_t i = 0; i < fx.nseg; i++)
		assert_int_equal(feed_raw(st, &c, &jw, fx.seg[i].dir, fx.seg[i].p, fx.seg[i].len), PARSE_OK);
	assert_int_equal(feed_raw(st, &c, &jw, 1, ad1, sizeof(ad1)), PARSE_OK);
	app_parser_tls.gap(st, &ctx, 1, 12);
	assert_int_equal(feed_raw(st, &c, &jw, 1, ad2, sizeof(ad2)), PARSE_OK);
	assert_no_anomaly(&c);
	assert_int_equal(app_parser_tls.tx_count(st), 1);
	app_parser_tls.state_free(st);
	collect_free(&c);
	jw_free(&jw);
	free(fx.buf);
}

/* ---- the pieces on their own ---- */

static void test_cert_module(void **unused)
{
	struct fixture fx;
	struct tls_cert cert = { 0 };
	(void)unused;
	load("bug-2646-02.seg", &fx);
	/* the first certificate starts 5 + 0x45 + 5 + 4 + 3 + 3 bytes into
	 * the server's first segment (ServerHello record, Certificate
	 * record header, message header, list length, cert length) */
	const uint8_t *p = fx.seg[1].p + 5 + 0x45 + 5 + 4 + 3;
	size_t cl = (size_t)p[0] << 16 | p[1] << 8 | p[2];
	assert_int_equal(cl, 1964);
	assert_int_equal(tls_cert_parse(p + 3, cl, &cert), 0);
	assert_string_equal(cert.fingerprint, "cc:aa:48:48:66:46:0e:91:53:2c:9c:7c:23:2a:b1:74:4d:29:9d:33");
	tls_cert_clear(&cert);
	assert_null(cert.subject);
	/* every truncation of the DER fails cleanly */
	for (size_t n = 0; n < cl; n += 13) {
		struct tls_cert c2 = { 0 };
		assert_int_equal(tls_cert_parse(p + 3, n, &c2), -1);
		assert_null(c2.subject);
		tls_cert_clear(&c2);
	}
	char buf[32];
	assert_int_equal(tls_cert_time_fmt(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00");
	assert_int_equal(tls_cert_time_fmt(253402300799LL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "9999-12-31T23:59:59");
	free(fx.buf);
}

static void test_version_strings(void **unused)
{
	char b[32];
	(void)unused;
	assert_string_equal(app_tls_version_str(0x0002, b, sizeof(b)), "SSLv2");
	assert_string_equal(app_tls_version_str(0x0300, b, sizeof(b)), "SSLv3");
	assert_string_equal(app_tls_version_str(0x0301, b, sizeof(b)), "TLSv1");
	assert_string_equal(app_tls_version_str(0x0302, b, sizeof(b)), "TLS 1.1");
	assert_string_equal(app_tls_version_str(0x0303, b, sizeof(b)), "TLS 1.2");
	assert_string_equal(app_tls_version_str(0x0304, b, sizeof(b)), "TLS 1.3");
	assert_string_equal(app_tls_version_str(0x7f1c, b, sizeof(b)), "TLS 1.3 draft-28");
	assert_string_equal(app_tls_version_str(0, b, sizeof(b)), "UNDETERMINED");
	assert_string_equal(app_tls_version_str(0x1234, b, sizeof(b)), "UNDETERMINED");
}

static int count_ext(void *arg, uint16_t type, const uint8_t *d, size_t n)
{
	(void)arg; (void)d;
	assert_int_equal(type, 23);
	assert_int_equal(n, 0);
	return 0;
}

static int stop_ext(void *arg, uint16_t type, const uint8_t *d, size_t n)
{
	(void)arg; (void)type; (void)d; (void)n;
	return -5;
}

static void test_fingerprint_edges(void **unused)
{
	(void)unused;
	/* no ciphers and no extensions */
	struct tls_hello_view v = { .version = 0x0303 };
	char *s;
	char h[TLS_JA3_HASH_LEN + 1], ja4[TLS_JA4_LEN + 1];
	assert_int_equal(tls_ja3(&v, false, &s, h), 0);
	assert_string_equal(s, "771,,,,");
	assert_string_equal(h, "bddda940f9963577c41d7c28b1a5f65f");
	free(s);
	assert_int_equal(tls_ja4(&v, ja4), 0);
	assert_string_equal(ja4, "t12i000000_000000000000_000000000000");
	/* a truncated extension block: the walk stops at the cut */
	static const uint8_t ext[] = { 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x09, 0x00 };
	v.exts = ext;
	v.exts_len = sizeof(ext);
	assert_int_equal(tls_ja3(&v, false, &s, h), 0);
	assert_string_equal(s, "771,,23,,");
	free(s);
	assert_int_equal(tls_ext_walk(ext, sizeof(ext), count_ext, NULL), 1);
	assert_int_equal(tls_ext_walk(ext, 4, stop_ext, NULL), -5);
	assert_true(tls_is_grease(0x0a0a));
	assert_true(tls_is_grease(0xfafa));
	assert_false(tls_is_grease(0x0a1a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bug_2646_02),
		cmocka_unit_test(test_bug_5713_ja4),
		cmocka_unit_test(test_alpn_tls13),
		cmocka_unit_test(test_altname_zero_sslv2),
		cmocka_unit_test(test_bug_4702_02),
		cmocka_unit_test(test_ldap_starttls_serial),
		cmocka_unit_test(test_client_cert),
		cmocka_unit_test(test_client_hello_frag),
		cmocka_unit_test(test_ndpi_tls13),
		cmocka_unit_test(test_resumed),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_truncated_certificate),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_sni_anomalies),
		cmocka_unit_test(test_handshake_cap),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_cert_module),
		cmocka_unit_test(test_version_strings),
		cmocka_unit_test(test_fingerprint_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
