/*
 * test-app-http.c - the HTTP/1.x parser on real streams taken from the
 * suricata-verify and nDPI captures (tests/data/app-http/, see its README):
 * exact EVE fields, pipelining order, CONNECT, gaps, anomalies, the caps,
 * and that delivering the same bytes in other splits gives the same output.
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
#include <zlib.h>

#include "../../src/lib/json.h"
#include "../../src/sensor/applayer.h"
#include "../../src/sensor/app-http.h"

#define P (&app_parser_http)

/* ---- a parser run collecting its events ---- */

struct run {
	void *st;
	struct jw jw;
	struct app_ctx ctx;
	char **line;
	size_t n, cap;
	json_t **js;
	int rc;            /* last parse() result */
	size_t stop_chunk; /* where play() stopped after a protocol switch */
	size_t stop_off;
};

static void collect(void *arg, const char *line, size_t len)
{
	struct run *r = arg;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->line = realloc(r->line, r->cap * sizeof(*r->line));
		r->js = realloc(r->js, r->cap * sizeof(*r->js));
		assert_non_null(r->line);
		assert_non_null(r->js);
	}
	json_error_t err;
	r->line[r->n] = strndup(line, len);
	r->js[r->n] = json_loadb(line, len, JSON_ALLOW_NUL, &err);
	if (!r->js[r->n])
		fail_msg("event is not JSON: %s: %.*s", err.text, (int)len, line);
	r->n++;
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	jw_init(&r->jw);
	r->ctx.jw = &r->jw;
	r->ctx.emit = collect;
	r->ctx.emit_arg = r;
	r->st = P->state_new();
	assert_non_null(r->st);
}

static void run_free(struct run *r)
{
	P->state_free(r->st);
	for (size_t i = 0; i < r->n; i++) {
		free(r->line[i]);
		json_decref(r->js[i]);
	}
	free(r->line);
	free(r->js);
	jw_free(&r->jw);
}

static void feed(struct run *r, int dir, const void *p, size_t n)
{
	r->rc = P->parse(r->st, &r->ctx, dir, p, n);
}

static void feed_str(struct run *r, int dir, const char *s)
{
	feed(r, dir, s, strlen(s));
}

/* ---- fixtures ---- */

struct chunk {
	int dir;
	bool gap;
	size_t len;
	uint8_t *data;
};

struct fixture {
	struct chunk *c;
	size_t n;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void fixture_load(const char *name, struct fixture *f)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/app-http/%s", root ? root : ".", name);
	gzFile g = gzopen(path, "rb");
	if (!g)
		fail_msg("cannot open %s", path);
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap);
	int k;
	while ((k = gzread(g, text + len, (unsigned)(cap - len - 1))) > 0) {
		len += (size_t)k;
		if (cap - len < 2) {
			cap *= 2;
			text = realloc(text, cap);
		}
	}
	gzclose(g);
	text[len] = 0;
	memset(f, 0, sizeof(*f));
	size_t fcap = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (f->n == fcap) {
			fcap = fcap ? fcap * 2 : 16;
			f->c = realloc(f->c, fcap * sizeof(*f->c));
		}
		struct chunk *c = &f->c[f->n++];
		memset(c, 0, sizeof(*c));
		if (l[0] == 'G') {
			c->gap = true;
			c->dir = l[2] == 'C' ? APP_TOSERVER : APP_TOCLIENT;
			c->len = strtoul(l + 4, NULL, 10);
			continue;
		}
		c->dir = l[0] == 'C' ? APP_TOSERVER : APP_TOCLIENT;
		const char *h = l + 2;
		c->len = strlen(h) / 2;
		c->data = malloc(c->len + 1);
		for (size_t i = 0; i < c->len; i++)
			c->data[i] = (uint8_t)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
	}
	free(text);
	assert_true(f->n > 0);
}

static void fixture_free(struct fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->c[i].data);
	free(f->c);
}

/*
 * Deliver a fixture: mode 0 as captured, 1 byte by byte, 2 in random
 * pieces (seeded).  Like the core, stop feeding once the parser asked for a
 * protocol switch or failed; then flow_end when end is set.
 */
static void play(struct run *r, const struct fixture *f, int mode, unsigned seed, bool end)
{
	r->stop_chunk = f->n;
	for (size_t i = 0; i < f->n; i++) {
		const struct chunk *c = &f->c[i];
		if (c->gap) {
			P->gap(r->st, &r->ctx, c->dir, c->len);
			continue;
		}
		size_t off = 0;
		while (off < c->len) {
			size_t k = c->len - off;
			if (mode == 1)
				k = 1;
			else if (mode == 2)
				k = 1 + (size_t)rand_r(&seed) % (k < 64 ? k : 64);
			feed(r, c->dir, c->data + off, k);
			off += k;
			if (r->ctx.redetect || r->rc == PARSE_ERROR) {
				r->stop_chunk = i;
				r->stop_off = off;
				goto out;
			}
		}
	}
out:
	if (end)
		P->flow_end(r->st, &r->ctx);
}

static void play_file(struct run *r, const char *name)
{
	struct fixture f;
	fixture_load(name, &f);
	run_init(r);
	play(r, &f, 0, 0, true);
	fixture_free(&f);
}

/* ---- event access ---- */

static json_t *path_get(json_t *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o;
}

static const char *jstr(json_t *o, const char *path)
{
	json_t *v = path_get(o, path);
	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

static json_int_t jint(json_t *o, const char *path)
{
	json_t *v = path_get(o, path);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

static bool jhas(json_t *o, const char *path)
{
	return path_get(o, path) != NULL;
}

static size_t count_type(const struct run *r, const char *type)
{
	size_t c = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(jstr(r->js[i], "event_type"), type))
			c++;
	return c;
}

/* k-th event of a type, in emission order */
static json_t *nth(const struct run *r, const char *type, size_t k)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(jstr(r->js[i], "event_type"), type) && k-- == 0)
			return r->js[i];
	fail_msg("no %s event #%zu", type, k);
	return NULL;
}

static size_t count_anomaly(const struct run *r, const char *name)
{
	size_t c = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(jstr(r->js[i], "event_type"), "anomaly") &&
		    !strcmp(jstr(r->js[i], "anomaly.event"), name)) {
			assert_string_equal(jstr(r->js[i], "anomaly.app_proto"), "http");
			assert_string_equal(jstr(r->js[i], "anomaly.type"), "applayer");
			c++;
		}
	return c;
}

static char *joined(const struct run *r)
{
	size_t len = 1;
	for (size_t i = 0; i < r->n; i++)
		len += strlen(r->line[i]) + 1;
	char *s = malloc(len), *p = s;
	for (size_t i = 0; i < r->n; i++)
		p += sprintf(p, "%s\n", r->line[i]);
	*p = 0;
	return s;
}

/*
 * The same, with the size of each file blanked out: as in libhtp, bytes
 * after a complete response up to the end of their line join its body
 * only when they come in the same delivery, so a file's size may depend
 * on how the stream was cut (everything else may not).
 */
static char *joined_sizeless(const struct run *r)
{
	char *s = joined(r);
	static const char key[] = "\"stored\":false,\"size\":";   /* fileinfo's */
	for (char *k = s; (k = strstr(k, key)); ) {
		k += sizeof(key) - 1;
		while (*k >= '0' && *k <= '9')
			memmove(k, k + 1, strlen(k));
	}
	return s;
}

/* ---- tests ---- */

static void test_probe(void **state)
{
	const char *yes[] = { "GET / HTTP/1.1", "POST /x", "OPTIONS * HTTP/1.1",
			      "CONNECT abc:443 HTTP/1.1", "PROPFIND /dav/ HTTP/1.1",
			      "MKCOL /a HTTP/1.1", "DELETE ", "PATCH /" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		assert_int_equal(P->probe((const uint8_t *)yes[i], strlen(yes[i]), APP_TOSERVER),
				 PROBE_YES);
	const char *more[] = { "G", "GE", "GET", "PROPFI", "CONNECT" };
	for (size_t i = 0; i < sizeof(more) / sizeof(*more); i++)
		assert_int_equal(P->probe((const uint8_t *)more[i], strlen(more[i]), APP_TOSERVER),
				 PROBE_NEED_MORE);
	const char *no[] = { "SSH-2.0-OpenSSH", "\x16\x03\x01", "GETX /", "get / HTTP/1.1",
			     "HTTP/1.1 200 OK", "EHLO x" };
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		assert_int_equal(P->probe((const uint8_t *)no[i], strlen(no[i]), APP_TOSERVER),
				 PROBE_NO);
	assert_int_equal(P->probe((const uint8_t *)"HTTP/1.1 200 OK", 15, APP_TOCLIENT), PROBE_YES);
	assert_int_equal(P->probe((const uint8_t *)"HTT", 3, APP_TOCLIENT), PROBE_NEED_MORE);
	assert_int_equal(P->probe((const uint8_t *)"SSH-2.0", 7, APP_TOCLIENT), PROBE_NO);
	assert_int_equal(P->probe((const uint8_t *)"GET / HTTP/1.1", 14, APP_TOCLIENT), PROBE_NO);

	/* and the first bytes of the real streams */
	struct fixture f;
	fixture_load("options-method.txt", &f);
	assert_int_equal(P->probe(f.c[0].data, f.c[0].len, f.c[0].dir), PROBE_YES);
	for (size_t i = 0; i < f.n; i++)
		if (f.c[i].dir == APP_TOCLIENT) {
			assert_int_equal(P->probe(f.c[i].data, f.c[i].len, APP_TOCLIENT), PROBE_YES);
			break;
		}
	fixture_free(&f);
	assert_string_equal(P->name, "http");
	assert_int_equal(P->id, APP_HTTP);
	assert_true(P->tcp && !P->udp);
	assert_int_equal(P->ports[0], 80);
	assert_int_equal(P->ports[1], 8080);
}

static void test_options_method(void **state)
{
	struct run r;
	play_file(&r, "options-method.txt");
	assert_int_equal(r.n, 1);
	json_t *e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "tx_id"), 0);
	assert_string_equal(jstr(e, "http.http_method"), "OPTIONS");
	assert_string_equal(jstr(e, "http.hostname"), "example.com");
	assert_false(jhas(e, "http.http_port"));
	assert_string_equal(jstr(e, "http.url"), "*");
	assert_string_equal(jstr(e, "http.protocol"), "HTTP/1.1");
	assert_string_equal(jstr(e, "http.http_user_agent"), "Mozilla/5.0");
	assert_int_equal(jint(e, "http.status"), 200);
	assert_int_equal(jint(e, "http.length"), 0);
	assert_false(jhas(e, "http.http_content_type"));
	assert_false(jhas(e, "http.redirect"));
	assert_int_equal(P->tx_count(r.st), 1);
	run_free(&r);
}

static void test_protocol_nodup_pipelined(void **state)
{
	static const char *first[] = {
		"/postinfo.html", "/_vti_bin/_vti_aut/author.dll",
		"/_vti_bin/_vti_aut/author.exe", "/_vti_bin/_vti_aut/dvwssr.dll",
		"/_vti_bin/_vti_adm/admin.dll", "/_vti_bin/_vti_adm/admin.exe",
		"/_vti_bin/fpcount.exe?Page=default.asp|Image=3", "/_vti_bin/shtml.dll",
	};
	struct run r;
	play_file(&r, "protocol-nodup.txt.gz");
	assert_int_equal(count_type(&r, "http"), 40);
	assert_int_equal(count_type(&r, "anomaly"), 0);
	for (size_t i = 0; i < 40; i++) {
		json_t *e = nth(&r, "http", i);
		assert_int_equal(jint(e, "tx_id"), (json_int_t)i);   /* request order */
		assert_string_equal(jstr(e, "http.protocol"), "HTTP/1.1");
		assert_string_equal(jstr(e, "http.http_method"), "GET");
		assert_string_equal(jstr(e, "http.hostname"), "116.181.2.152");
		assert_true(jhas(e, "http.status"));
		if (i < sizeof(first) / sizeof(*first))
			assert_string_equal(jstr(e, "http.url"), first[i]);
	}
	json_t *e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "http.status"), 404);
	assert_int_equal(jint(e, "http.length"), 146);
	assert_string_equal(jstr(e, "http.http_content_type"), "text/html");
	assert_string_equal(jstr(e, "http.http_user_agent"),
			    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)");
	assert_int_equal(P->tx_count(r.st), 40);
	run_free(&r);
}

/* Same bytes, other splits: the same events, byte for byte (file sizes
 * aside, see joined_sizeless). */
static void test_split_delivery(void **state)
{
	static const char *files[] = {
		"options-method.txt", "protocol-nodup.txt.gz", "connect-simple.txt",
		"connect-tls.txt", "bug-2430.txt", "bug-2512.txt", "noint-status.txt",
		"not09-spaces.txt.gz", "after-swap.txt", "bug-3844.txt",
		"gap-simple.txt", "gap-beyond-body.txt", "gap-whole-body.txt",
		"ndpi-dotenv.txt", "ndpi-auth.txt.gz", "ndpi-proxy.txt", "ndpi-http.txt",
		"ndpi-lines-split.txt",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		struct fixture f;
		fixture_load(files[i], &f);
		struct run a;
		run_init(&a);
		play(&a, &f, 0, 0, true);
		char *ref = joined_sizeless(&a);
		assert_true(a.n > 0);
		for (int mode = 1; mode <= 2; mode++) {
			for (unsigned seed = 1; seed <= (mode == 2 ? 8u : 1u); seed++) {
				struct run b;
				run_init(&b);
				play(&b, &f, mode, seed, true);
				char *got = joined_sizeless(&b);
				if (strcmp(ref, got))
					fail_msg("%s mode %d seed %u:\n%s\nvs\n%s", files[i], mode,
						 seed, ref, got);
				free(got);
				run_free(&b);
			}
		}
		free(ref);
		run_free(&a);
		fixture_free(&f);
	}
}

static void test_connect_simple(void **state)
{
	struct fixture f;
	fixture_load("connect-simple.txt", &f);
	struct run r;
	run_init(&r);
	play(&r, &f, 0, 0, false);
	/* the CONNECT answered 200 is logged and the core is asked to redetect */
	assert_true(r.ctx.redetect);
	assert_int_equal(count_type(&r, "http"), 1);
	json_t *e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "tx_id"), 0);
	assert_string_equal(jstr(e, "http.http_method"), "CONNECT");
	assert_string_equal(jstr(e, "http.protocol"), "HTTP/1.1");
	assert_string_equal(jstr(e, "http.url"), "abc:443");
	assert_string_equal(jstr(e, "http.hostname"), "abc");
	assert_int_equal(jint(e, "http.http_port"), 443);
	assert_int_equal(jint(e, "http.status"), 200);
	assert_string_equal(jstr(e, "http.http_user_agent"), "Victor/1.0");
	assert_int_equal(count_anomaly(&r, "MISSING_HOST_HEADER"), 1);
	/* later bytes are the tunnel's: ignored */
	size_t before = r.n;
	for (size_t i = r.stop_chunk + 1; i < f.n; i++)
		feed(&r, f.c[i].dir, f.c[i].data, f.c[i].len);
	P->flow_end(r.st, &r.ctx);
	assert_int_equal(r.n, before);

	/* the core then finds HTTP again in the tunnel: a new state, tx 0 */
	struct run t;
	run_init(&t);
	for (size_t i = r.stop_chunk + 1; i < f.n; i++)
		feed(&t, f.c[i].dir, f.c[i].data, f.c[i].len);
	P->flow_end(t.st, &t.ctx);
	assert_int_equal(count_type(&t, "http"), 1);
	e = nth(&t, "http", 0);
	assert_int_equal(jint(e, "tx_id"), 0);
	assert_string_equal(jstr(e, "http.http_method"), "GET");
	assert_string_equal(jstr(e, "http.protocol"), "HTTP/1.1");
	assert_int_equal(jint(e, "http.status"), 200);
	run_free(&t);
	run_free(&r);
	fixture_free(&f);
}

static void test_connect_tls(void **state)
{
	static const char *files[] = { "connect-tls.txt", "bug-2430.txt" };
	for (size_t k = 0; k < 2; k++) {
		struct fixture f;
		fixture_load(files[k], &f);
		struct run r;
		run_init(&r);
		play(&r, &f, 0, 0, false);
		assert_true(r.ctx.redetect);
		assert_true(r.stop_chunk < f.n);
		/* what follows the 200 is TLS */
		const struct chunk *next = NULL;
		for (size_t i = r.stop_chunk + 1; i < f.n && !next; i++)
			if (!f.c[i].gap)
				next = &f.c[i];
		assert_non_null(next);
		assert_int_equal(next->data[0], 0x16);
		assert_int_equal(count_type(&r, "http"), 1);
		json_t *e = nth(&r, "http", 0);
		assert_string_equal(jstr(e, "http.http_method"), "CONNECT");
		assert_int_equal(jint(e, "http.status"), 200);
		if (k == 1) {
			assert_string_equal(jstr(e, "http.hostname"), "qagpublic.qg1.apps.qualys.com");
			assert_string_equal(jstr(e, "http.url"), "qagpublic.qg1.apps.qualys.com:443");
			assert_int_equal(jint(e, "http.http_port"), 443);
			assert_int_equal(count_type(&r, "anomaly"), 0);
		}
		run_free(&r);
		fixture_free(&f);
	}
}

/* CONNECT whose answer was lost: logged at the end, the TLS bytes ignored. */
static void test_connect_unanswered(void **state)
{
	struct run r;
	play_file(&r, "bug-2512.txt");
	assert_int_equal(count_type(&r, "http"), 1);
	json_t *e = nth(&r, "http", 0);
	assert_string_equal(jstr(e, "http.url"), "secure-assets.rubiconproject.com:443");
	assert_string_equal(jstr(e, "http.hostname"), "secure-assets.rubiconproject.com");
	assert_int_equal(jint(e, "http.http_port"), 443);
	assert_string_equal(jstr(e, "http.protocol"), "HTTP/1.0");
	assert_false(jhas(e, "http.status"));
	assert_int_equal(P->tx_count(r.st), 1);
	run_free(&r);
}

/* A refused CONNECT: the request bytes held back are parsed as HTTP again. */
static void test_connect_refused(void **state)
{
	struct run r;
	run_init(&r);
	feed_str(&r, APP_TOSERVER, "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"
		 "GET /next HTTP/1.1\r\nHost: b.example\r\n\r\n");
	assert_int_equal(r.n, 0);
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 407 Proxy Authentication Required\r\n"
		 "Content-Length: 3\r\n\r\nno!HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	assert_false(r.ctx.redetect);
	assert_int_equal(count_type(&r, "http"), 2);
	json_t *e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "http.status"), 407);
	assert_int_equal(jint(e, "http.length"), 3);
	e = nth(&r, "http", 1);
	assert_int_equal(jint(e, "tx_id"), 1);
	assert_string_equal(jstr(e, "http.url"), "/next");
	run_free(&r);

	/* refused before the CONNECT request was complete, answer still coming */
	run_init(&r);
	feed_str(&r, APP_TOSERVER, "CONNECT a.example:443 HTTP/1.1\r\n");
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nno");
	feed_str(&r, APP_TOSERVER, "Host: a.example:443\r\n\r\nGET /next HTTP/1.1\r\nHost: b.example\r\n\r\n");
	feed_str(&r, APP_TOCLIENT, "!!HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(count_type(&r, "http"), 2);
	assert_int_equal(jint(nth(&r, "http", 0), "http.status"), 403);
	e = nth(&r, "http", 1);
	assert_string_equal(jstr(e, "http.url"), "/next");
	assert_string_equal(jstr(e, "http.hostname"), "b.example");
	assert_int_equal(jint(e, "http.status"), 200);
	run_free(&r);
}

static void test_noint_status(void **state)
{
	struct run r;
	play_file(&r, "noint-status.txt");
	assert_int_equal(count_type(&r, "http"), 1);
	json_t *e = nth(&r, "http", 0);
	assert_string_equal(jstr(e, "http.status_string"), "2XX");
	assert_false(jhas(e, "http.status"));
	assert_string_equal(jstr(e, "http.hostname"), "127.0.0.1");
	assert_int_equal(jint(e, "http.http_port"), 8001);
	assert_string_equal(jstr(e, "http.url"), "/test");
	assert_string_equal(jstr(e, "http.http_user_agent"), "curl/7.58.0");
	assert_int_equal(jint(e, "http.length"), 4);
	assert_int_equal(count_anomaly(&r, "RESPONSE_INVALID_STATUS"), 1);
	run_free(&r);
}

static void test_not09_spaces(void **state)
{
	struct fixture f;
	fixture_load("not09-spaces.txt.gz", &f);
	size_t resp = 0;
	for (size_t i = 0; i < f.n; i++)
		if (f.c[i].dir == APP_TOCLIENT)
			resp += f.c[i].len;
	struct run r;
	run_init(&r);
	play(&r, &f, 0, 0, true);
	assert_int_equal(count_anomaly(&r, "REQUEST_LINE_MISSING_PROTOCOL"), 1);
	assert_int_equal(count_type(&r, "http"), 1);
	json_t *e = nth(&r, "http", 0);
	assert_string_equal(jstr(e, "http.url"), "/");
	assert_string_equal(jstr(e, "http.http_method"), "GET");
	assert_false(jhas(e, "http.protocol"));
	assert_false(jhas(e, "http.status"));
	/* no status line: the whole answer is body, read until the close */
	assert_int_equal(jint(e, "http.length"), (json_int_t)resp);
	run_free(&r);
	fixture_free(&f);

	/* a real HTTP/0.9 request (nothing follows it) raises nothing */
	run_init(&r);
	feed_str(&r, APP_TOSERVER, "GET /old\r\n");
	feed_str(&r, APP_TOCLIENT, "<html>old</html>");
	P->flow_end(r.st, &r.ctx);
	assert_int_equal(count_type(&r, "anomaly"), 0);
	e = nth(&r, "http", 0);
	assert_string_equal(jstr(e, "http.url"), "/old");
	assert_int_equal(jint(e, "http.length"), 16);
	run_free(&r);
}

/* Midstream pickup: the first response has no request. */
static void test_after_swap(void **state)
{
	struct run r;
	play_file(&r, "after-swap.txt");
	assert_int_equal(count_anomaly(&r, "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST"), 1);
	json_t *a = nth(&r, "anomaly", 0);
	assert_int_equal(jint(a, "tx_id"), 0);
	assert_int_equal(count_type(&r, "http"), 2);
	json_t *e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "tx_id"), 0);
	assert_string_equal(jstr(e, "http.url"), "/libhtp::request_uri_not_seen");
	assert_false(jhas(e, "http.http_method"));
	assert_int_equal(jint(e, "http.status"), 200);
	assert_int_equal(jint(e, "http.length"), 11);
	assert_string_equal(jstr(e, "http.http_content_type"), "text/html");
	e = nth(&r, "http", 1);
	assert_int_equal(jint(e, "tx_id"), 1);
	assert_string_equal(jstr(e, "http.url"), "/favicon.ico");
	assert_string_equal(jstr(e, "http.hostname"), "172.16.9.189");
	assert_string_equal(jstr(e, "http.http_refer"), "http://172.16.9.189/");
	assert_int_equal(jint(e, "http.status"), 404);
	assert_int_equal(jint(e, "http.length"), 209);
	assert_string_equal(jstr(e, "http.http_content_type"), "text/html");
	assert_int_equal(P->tx_count(r.st), 2);
	run_free(&r);
}

/* "GET /" without a line end, answered without a status line, then RST. */
static void test_bug3844(void **state)
{
	struct run r;
	play_file(&r, "bug-3844.txt");
	assert_int_equal(count_type(&r, "http"), 1);
	json_t *e = nth(&r, "http", 0);
	assert_string_equal(jstr(e, "http.url"), "/");
	assert_string_equal(jstr(e, "http.http_method"), "GET");
	assert_int_equal(jint(e, "http.length"), 15);
	assert_int_equal(count_anomaly(&r, "REQUEST_LINE_INCOMPLETE"), 1);
	assert_int_equal(P->tx_count(r.st), 1);
	run_free(&r);
}

static void test_gaps(void **state)
{
	struct run r;
	/* a hole inside a body: framing kept, all three answered */
	play_file(&r, "gap-simple.txt");
	assert_int_equal(count_type(&r, "http"), 3);
	static const json_int_t len[] = { 12, 70, 12 };
	for (size_t i = 0; i < 3; i++) {
		json_t *e = nth(&r, "http", i);
		char url[4];
		snprintf(url, sizeof(url), "/%zu", i + 1);
		assert_string_equal(jstr(e, "http.url"), url);
		assert_int_equal(jint(e, "http.status"), 200);
		assert_int_equal(jint(e, "http.length"), len[i]);
	}
	run_free(&r);

	play_file(&r, "gap-whole-body.txt");
	assert_int_equal(count_type(&r, "http"), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(jint(nth(&r, "http", i), "http.status"), 200);
	run_free(&r);

	/* the hole takes the second response's head: /2 and /3 still logged once */
	play_file(&r, "gap-beyond-body.txt");
	assert_int_equal(count_type(&r, "http"), 3);
	json_t *e = nth(&r, "http", 0);
	assert_string_equal(jstr(e, "http.url"), "/1");
	assert_int_equal(jint(e, "http.status"), 200);
	e = nth(&r, "http", 1);
	assert_string_equal(jstr(e, "http.url"), "/2");
	assert_false(jhas(e, "http.status"));
	assert_string_equal(jstr(nth(&r, "http", 2), "http.url"), "/3");
	run_free(&r);

	/* request side: a gap in the headers, resynchronised on the next request */
	run_init(&r);
	feed_str(&r, APP_TOSERVER, "GET /a HTTP/1.1\r\nHost: x\r\nAcc");
	P->gap(r.st, &r.ctx, APP_TOSERVER, 100);
	feed_str(&r, APP_TOSERVER, "ept: */*\r\nfoo\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n");
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		 "HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(count_type(&r, "http"), 2);
	assert_string_equal(jstr(nth(&r, "http", 0), "http.url"), "/a");
	assert_int_equal(jint(nth(&r, "http", 0), "http.status"), 200);
	assert_string_equal(jstr(nth(&r, "http", 1), "http.hostname"), "y");
	assert_int_equal(jint(nth(&r, "http", 1), "http.status"), 204);
	run_free(&r);
}

static void test_chunked(void **state)
{
	struct run r;
	play_file(&r, "ndpi-dotenv.txt");
	assert_int_equal(count_type(&r, "http"), 1);
	json_t *e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "http.status"), 406);
	assert_string_equal(jstr(e, "http.url"), "/.env");
	assert_string_equal(jstr(e, "http.hostname"), "sevenpitaly.com");
	assert_string_equal(jstr(e, "http.http_content_type"), "application/octet-stream");
	/* libhtp's response_message_len: "29\r\n" + 41 + "\r\n" + "0\r\n" */
	assert_int_equal(jint(e, "http.length"), 4 + 41 + 2 + 3);
	assert_int_equal(count_type(&r, "anomaly"), 0);
	run_free(&r);

	/* a larger chunked answer: the length counts every byte of the body on
	 * the wire up to the last-chunk line; work it out from the stream */
	struct fixture f;
	fixture_load("ndpi-auth.txt.gz", &f);
	size_t total = 0;
	uint8_t *srv = NULL;
	for (size_t i = 0; i < f.n; i++)
		if (f.c[i].dir == APP_TOCLIENT && !f.c[i].gap) {
			srv = realloc(srv, total + f.c[i].len);
			memcpy(srv + total, f.c[i].data, f.c[i].len);
			total += f.c[i].len;
		}
	size_t head = 0;
	for (size_t i = 0; i + 4 <= total; i++)
		if (!memcmp(srv + i, "\r\n\r\n", 4)) {
			head = i + 4;
			break;
		}
	assert_true(head > 0);
	assert_memory_equal(srv + total - 7, "\r\n0\r\n\r\n", 7);
	run_init(&r);
	play(&r, &f, 0, 0, false);
	e = nth(&r, "http", 0);   /* logged when the last chunk ended, before flow end */
	assert_int_equal(jint(e, "http.status"), 401);
	assert_int_equal(jint(e, "http.length"), (json_int_t)(total - head - 2));
	assert_string_equal(jstr(e, "http.http_refer"), "http://browserspy.dk/password.php");
	assert_string_equal(jstr(e, "http.http_content_type"), "text/html");
	run_free(&r);
	free(srv);
	fixture_free(&f);

	/* bodies through the read-only API, dechunked */
	run_init(&r);
	feed_str(&r, APP_TOSERVER, "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n");
	const struct http_tx *tx = http_state_tx(r.st, 0);
	assert_non_null(tx);
	assert_true(http_tx_progress(tx) & HTTP_TX_REQUEST_DONE);
	struct http_bytes b = http_tx_field(tx, HTTP_F_REQUEST_BODY);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.ptr, "abcdefg", 7);
	assert_int_equal(count_anomaly(&r, "REQUEST_CHUNK_EXTENSION"), 1);
	b = http_tx_header(tx, APP_TOSERVER, "x-trailer");
	assert_int_equal(b.len, 1);
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "http.length"), 3 + 5 + 2 + 3);
	tx = http_state_tx(r.st, 0);   /* still readable until the next call */
	assert_non_null(tx);
	b = http_tx_field(tx, HTTP_F_RESPONSE_BODY);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.ptr, "hello", 5);
	feed_str(&r, APP_TOSERVER, "\r\n");
	assert_null(http_state_tx(r.st, 0));
	run_free(&r);
}

static void test_proxy_and_redirect(void **state)
{
	struct run r;
	play_file(&r, "ndpi-proxy.txt");
	json_t *e = nth(&r, "http", 0);
	assert_string_equal(jstr(e, "http.url"), "http://http.com/");
	assert_string_equal(jstr(e, "http.hostname"), "http.com");
	assert_false(jhas(e, "http.http_port"));
	assert_int_equal(jint(e, "http.status"), 200);
	assert_int_equal(jint(e, "http.length"), 268);
	assert_string_equal(jstr(e, "http.http_content_type"), "text/html");
	run_free(&r);

	play_file(&r, "ndpi-http.txt");
	e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "http.status"), 301);
	assert_string_equal(jstr(e, "http.redirect"), "http://www.google.com/");
	assert_string_equal(jstr(e, "http.hostname"), "google.com");
	assert_string_equal(jstr(e, "http.http_user_agent"), "curl/7.68.0");
	assert_int_equal(jint(e, "http.length"), 219);
	run_free(&r);

	play_file(&r, "ndpi-lines-split.txt");
	e = nth(&r, "http", 0);
	assert_string_equal(jstr(e, "http.hostname"), "toni.lan");
	assert_int_equal(jint(e, "http.http_port"), 31337);
	assert_int_equal(jint(e, "http.status"), 200);
	run_free(&r);
}

/* Interim answers, bodiless answers, and messages that say nothing of length. */
static void test_message_framing(void **state)
{
	struct run r;
	run_init(&r);
	feed_str(&r, APP_TOSERVER,
		 "POST /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 100 Continue\r\n\r\n");
	feed_str(&r, APP_TOSERVER, "12345HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n"
		 "GET /n HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.0\r\n\r\n");
	feed_str(&r, APP_TOCLIENT,
		 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		 "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"     /* HEAD: no body */
		 "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"
		 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=x\r\n\r\nuntil close");
	assert_int_equal(count_type(&r, "http"), 3);
	P->flow_end(r.st, &r.ctx);
	assert_int_equal(count_type(&r, "http"), 4);
	json_t *e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "http.status"), 200);
	assert_int_equal(jint(e, "http.length"), 2);
	assert_int_equal(jint(nth(&r, "http", 1), "http.length"), 0);
	assert_string_equal(jstr(nth(&r, "http", 1), "http.http_method"), "HEAD");
	assert_int_equal(jint(nth(&r, "http", 2), "http.status"), 304);
	e = nth(&r, "http", 3);
	assert_string_equal(jstr(e, "http.url"), "/c");
	assert_string_equal(jstr(e, "http.http_content_type"), "text/plain");
	assert_int_equal(jint(e, "http.length"), 11);
	assert_int_equal(count_type(&r, "anomaly"), 0);
	assert_int_equal(P->tx_count(r.st), 4);
	run_free(&r);

	/* a second 100 Continue is an anomaly; requests never answered are
	 * still logged at the end */
	run_init(&r);
	feed_str(&r, APP_TOSERVER, "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nz"
		 "GET /y HTTP/1.1\r\nHost: h\r\n\r\n");
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
		 "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(count_anomaly(&r, "100_CONTINUE_ALREADY_SEEN"), 1);
	P->flow_end(r.st, &r.ctx);
	assert_int_equal(count_type(&r, "http"), 2);
	assert_int_equal(jint(nth(&r, "http", 0), "http.status"), 201);
	e = nth(&r, "http", 1);
	assert_string_equal(jstr(e, "http.url"), "/y");
	assert_false(jhas(e, "http.status"));
	assert_int_equal(jint(e, "http.length"), 0);
	run_free(&r);
}

/* After a 101 or a CONNECT 2xx the bytes are not HTTP/1: everything is
 * logged at once, since the core frees the state without a flow_end. */
static void test_upgrade(void **state)
{
	struct run r;
	run_init(&r);
	feed_str(&r, APP_TOSERVER, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\n\r\nGET /later HTTP/1.1\r\nHost: h\r\n\r\nGET /cut HTT");
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
		 "\x81\x05hello");
	assert_false(r.ctx.redetect);
	assert_int_equal(count_type(&r, "http"), 3);
	assert_int_equal(jint(nth(&r, "http", 0), "http.status"), 101);
	assert_string_equal(jstr(nth(&r, "http", 1), "http.url"), "/later");
	assert_string_equal(jstr(nth(&r, "http", 2), "http.url"), "/cut");
	assert_int_equal(count_anomaly(&r, "REQUEST_LINE_INCOMPLETE"), 1);
	size_t before = r.n;
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 200 OK\r\n\r\n");
	feed_str(&r, APP_TOSERVER, "GET / HTTP/1.1\r\n\r\n");
	P->flow_end(r.st, &r.ctx);
	assert_int_equal(r.n, before);
	assert_int_equal(r.rc, PARSE_OK);
	run_free(&r);

	/* the proxy answers before the CONNECT request is complete */
	run_init(&r);
	feed_str(&r, APP_TOSERVER, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n");
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 200 Connection established\r\n\r\n");
	assert_true(r.ctx.redetect);
	assert_int_equal(count_type(&r, "http"), 1);
	assert_int_equal(jint(nth(&r, "http", 0), "http.status"), 200);
	assert_string_equal(jstr(nth(&r, "http", 0), "http.hostname"), "h");
	run_free(&r);
}

static void test_anomalies(void **state)
{
	struct run r;
	run_init(&r);
	feed_str(&r, APP_TOSERVER,
		 "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n"
		 "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"
		 "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"
		 "GET /d HTTP/1.1\r\n\r\n"
		 "GET /e HTTP/1.1\r\nHost: a\r\nno colon here\r\n bad fold\r\nX Y: z\r\n\r\n"
		 "GET http://a.example/f HTTP/1.1\r\nHost: b.example\r\n\r\n"
		 "GET /g HTTP/1.1\r\nHost: bad host!\r\n\r\n"
		 "  GET\t/h HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\n\r\n");
	assert_int_equal(r.rc, PARSE_OK);
	assert_int_equal(count_anomaly(&r, "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST"), 1);
	assert_int_equal(count_anomaly(&r, "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST"), 1);
	assert_int_equal(count_anomaly(&r, "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST"), 1);
	assert_int_equal(count_anomaly(&r, "MISSING_HOST_HEADER"), 1);
	assert_int_equal(count_anomaly(&r, "REQUEST_FIELD_MISSING_COLON"), 1);
	assert_int_equal(count_anomaly(&r, "REQUEST_HEADER_INVALID"), 1);
	assert_int_equal(count_anomaly(&r, "HOST_HEADER_AMBIGUOUS"), 1);
	assert_int_equal(count_anomaly(&r, "REQUEST_HEADER_HOST_INVALID"), 1);
	assert_int_equal(count_anomaly(&r, "REQUEST_LINE_LEADING_WHITESPACE"), 1);
	assert_int_equal(count_anomaly(&r, "METHOD_DELIM_NON_COMPLIANT"), 1);
	/* Accept twice, and Content-Length twice (also a repetition) */
	assert_int_equal(count_anomaly(&r, "REQUEST_HEADER_REPETITION"), 2);
	/* each anomaly names its transaction */
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(jstr(r.js[i], "event_type"), "anomaly") &&
		    !strcmp(jstr(r.js[i], "anomaly.event"), "MISSING_HOST_HEADER"))
			assert_int_equal(jint(r.js[i], "tx_id"), 3);
	assert_int_equal(P->tx_count(r.st), 8);
	const struct http_tx *tx = http_state_tx(r.st, 7);
	assert_non_null(tx);
	struct http_bytes b = http_tx_header(tx, APP_TOSERVER, "ACCEPT");
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.ptr, "a, b", 4);
	b = http_tx_field(tx, HTTP_F_URI);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.ptr, "/h", 2);
	tx = http_state_tx(r.st, 5);
	b = http_tx_field(tx, HTTP_F_HOST);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.ptr, "a.example", 9);

	/* responses: bad chunk size -> the rest is body, until the close */
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc");
	assert_int_equal(count_anomaly(&r, "INVALID_RESPONSE_CHUNK_LEN"), 1);
	P->flow_end(r.st, &r.ctx);
	json_t *e = nth(&r, "http", 0);
	assert_int_equal(jint(e, "http.length"), 4 + 3);
	assert_int_equal(count_type(&r, "http"), 8);
	run_free(&r);

	run_init(&r);
	feed_str(&r, APP_TOSERVER, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\nHost\r\n\r\nabc");
	P->flow_end(r.st, &r.ctx);
	assert_int_equal(count_anomaly(&r, "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE"), 1);
	assert_int_equal(count_anomaly(&r, "RESPONSE_FIELD_MISSING_COLON"), 1);
	assert_int_equal(jint(nth(&r, "http", 0), "http.length"), 3);
	run_free(&r);
}

static void test_caps(void **state)
{
	struct run r;
	/* a header line past 8 KiB: anomaly, cut, and parsing goes on */
	run_init(&r);
	size_t big = 20000;
	char *s = malloc(big + 200);
	int n = sprintf(s, "GET /long HTTP/1.1\r\nHost: h\r\nX-Big: ");
	memset(s + n, 'a', big);
	n += (int)big;
	n += sprintf(s + n, "\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");
	feed(&r, APP_TOSERVER, s, (size_t)n);
	assert_int_equal(count_anomaly(&r, "REQUEST_FIELD_TOO_LONG"), 1);
	const struct http_tx *tx = http_state_tx(r.st, 0);
	struct http_bytes b = http_tx_header(tx, APP_TOSERVER, "x-big");
	assert_true(b.len > 0 && b.len < 8192);
	tx = http_state_tx(r.st, 1);
	assert_non_null(tx);
	b = http_tx_field(tx, HTTP_F_URI);
	assert_memory_equal(b.ptr, "/after", 6);
	/* a request line past 8 KiB */
	n = sprintf(s, "GET /");
	memset(s + n, 'u', big);
	n += (int)big;
	n += sprintf(s + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	feed(&r, APP_TOSERVER, s, (size_t)n);
	tx = http_state_tx(r.st, 2);
	assert_non_null(tx);
	b = http_tx_field(tx, HTTP_F_URI);
	assert_true(b.len > 0 && b.len <= 8192);
	run_free(&r);

	/* 300 headers, the Content-Length last: the extra ones are not kept but
	 * the body is still framed right */
	run_init(&r);
	n = sprintf(s, "POST /many HTTP/1.1\r\nHost: h\r\n");
	feed(&r, APP_TOSERVER, s, (size_t)n);
	for (int i = 0; i < 300; i++) {
		n = sprintf(s, "X-H%d: %d\r\n", i, i);
		feed(&r, APP_TOSERVER, s, (size_t)n);
	}
	feed_str(&r, APP_TOSERVER, "Content-Length: 4\r\n\r\nGET GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(count_anomaly(&r, "REQUEST_TOO_MANY_HEADERS"), 1);
	tx = http_state_tx(r.st, 0);
	assert_int_equal(http_tx_header_count(tx, APP_TOSERVER), 256);
	b = http_tx_field(tx, HTTP_F_REQUEST_BODY);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.ptr, "GET ", 4);
	assert_int_equal(P->tx_count(r.st), 2);   /* the first "GET " was the body */
	b = http_tx_field(http_state_tx(r.st, 1), HTTP_F_URI);
	assert_memory_equal(b.ptr, "/x", 2);
	run_free(&r);

	/* pipelining without answers stops at 512 open transactions */
	run_init(&r);
	for (int i = 0; i < 600 && r.rc == PARSE_OK; i++) {
		n = sprintf(s, "GET /%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		feed(&r, APP_TOSERVER, s, (size_t)n);
	}
	assert_int_equal(r.rc, PARSE_ERROR);
	assert_int_equal(count_anomaly(&r, "TOO_MANY_TRANSACTIONS"), 1);
	assert_int_equal(P->tx_count(r.st), 512);
	/* the core calls no flow_end after an error: all is logged already */
	assert_int_equal(count_type(&r, "http"), 512);
	P->flow_end(r.st, &r.ctx);
	assert_int_equal(count_type(&r, "http"), 512);
	run_free(&r);
	free(s);
}

/* Cut streams and garbage: no crash, every transaction logged once. */
static void test_truncated_and_garbage(void **state)
{
	struct fixture f;
	fixture_load("after-swap.txt", &f);
	uint8_t *all[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	for (size_t i = 0; i < f.n; i++) {
		int d = f.c[i].dir;
		all[d] = realloc(all[d], len[d] + f.c[i].len);
		memcpy(all[d] + len[d], f.c[i].data, f.c[i].len);
		len[d] += f.c[i].len;
	}
	for (size_t cut = 0; cut <= len[0]; cut += 7) {
		struct run r;
		run_init(&r);
		feed(&r, APP_TOSERVER, all[0], cut);
		feed(&r, APP_TOCLIENT, all[1], (cut * 2 < len[1] ? cut * 2 : len[1]));
		P->flow_end(r.st, &r.ctx);
		P->flow_end(r.st, &r.ctx);   /* twice is harmless */
		assert_int_equal(count_type(&r, "http"), P->tx_count(r.st));
		run_free(&r);
	}
	free(all[0]);
	free(all[1]);
	fixture_free(&f);

	unsigned seed = 42;
	uint8_t buf[4096];
	for (int round = 0; round < 200; round++) {
		struct run r;
		run_init(&r);
		for (int k = 0; k < 8; k++) {
			size_t n = (size_t)rand_r(&seed) % sizeof(buf);
			for (size_t i = 0; i < n; i++) {
				/* bias towards HTTP-ish bytes */
				static const char alpha[] = "GET / HTTP/1.1\r\n:0123456789abcdef;chunked"
							    "Content-Length: Transfer-Encoding: \r\n\r\n ";
				buf[i] = (rand_r(&seed) & 3) ? (uint8_t)alpha[rand_r(&seed) % (sizeof(alpha) - 1)]
							     : (uint8_t)rand_r(&seed);
			}
			int dir = rand_r(&seed) & 1;
			if ((rand_r(&seed) & 7) == 0)
				P->gap(r.st, &r.ctx, dir, n);
			else
				feed(&r, dir, buf, n);
		}
		P->flow_end(r.st, &r.ctx);
		assert_int_equal(count_type(&r, "http"), P->tx_count(r.st));
		run_free(&r);
	}
	/* NULL-safe entry points */
	P->state_free(NULL);
	assert_int_equal(P->tx_count(NULL), 0);
}

/* ---- bodies: decoding and files ---- */

/* s compressed by zlib: wbits 31 gzip, 15 zlib, -15 raw deflate */
static size_t zpack(const void *s, size_t n, int wbits, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t k = cap - z.avail_out;
	deflateEnd(&z);
	return k;
}

static const char eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/* One GET and its response (head text, then body bytes); the response
 * body as file_data sees it must be want. */
static void body_case(struct run *r, const char *head, size_t hlen, const void *body,
		      size_t blen, const char *want)
{
	run_init(r);
	feed_str(r, APP_TOSERVER, "GET /dir/name.bin?q=1 HTTP/1.1\r\nHost: h\r\n\r\n");
	feed(r, APP_TOCLIENT, head, hlen);
	if (blen)
		feed(r, APP_TOCLIENT, body, blen);
	const struct http_tx *tx = http_state_tx(r->st, 0);
	assert_non_null(tx);
	struct http_bytes b = http_tx_field(tx, HTTP_F_RESPONSE_BODY);
	if (!want) {
		assert_null(b.ptr);
		return;
	}
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.ptr, want, b.len);
}

/* the same with literal head and body (which may hold NUL bytes) */
#define BODY_CASE(r, head, body, want) \
	body_case(r, head, sizeof(head) - 1, body, sizeof(body) - 1, want)

/* Bodies are kept for the rules up to the configured limit (100 KiB by
 * default, as Suricata's libhtp), the rest only counted. */
static void test_body_limit(void **state)
{
	(void)state;
	static uint8_t big[150000];
	memset(big, 'a', sizeof(big));
	char head[128];
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", sizeof(big));
	for (int i = 0; i < 2; i++) {
		struct app_cfg cfg = { .fileinfo = true,
				       .http_body_limit = { APP_CFG_HTTP_BODY_DEFAULT, 140000 } };
		struct run r;
		run_init(&r);
		if (i)
			r.ctx.cfg = &cfg;
		feed_str(&r, APP_TOSERVER, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
		feed_str(&r, APP_TOCLIENT, head);
		feed(&r, APP_TOCLIENT, big, sizeof(big));
		const struct http_tx *tx = http_state_tx(r.st, 0);
		assert_int_equal(http_tx_field(tx, HTTP_F_RESPONSE_BODY).len,
				 i ? 140000 : APP_CFG_HTTP_BODY_DEFAULT);
		assert_int_equal(http_tx_response_length(tx), sizeof(big));
		run_free(&r);
	}
}

static void test_body_content_encoding(void **state)
{
	struct run r;
	uint8_t z[512], zz[512];
	char head[256];
	/* gzip, named file, Content-Length of the compressed bytes */
	size_t n = zpack(eicar, strlen(eicar), 31, z, sizeof(z));
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		 "Content-Disposition: attachment; filename=\"eicar.txt\"\r\n"
		 "Content-Length: %zu\r\n\r\n", n);
	body_case(&r, head, strlen(head), z, n, eicar);
	json_t *f = nth(&r, "fileinfo", 0);
	assert_string_equal(jstr(f, "fileinfo.filename"), "eicar.txt");
	assert_string_equal(jstr(f, "fileinfo.state"), "CLOSED");
	assert_int_equal(jint(f, "fileinfo.size"), (json_int_t)strlen(eicar));
	assert_int_equal(jint(f, "http.length"), (json_int_t)n);   /* wire bytes */
	assert_string_equal(jstr(f, "app_proto"), "http");
	run_free(&r);

	/* "deflate" carrying a zlib stream: libhtp's restart in the other mode */
	n = zpack(eicar, strlen(eicar), 15, z, sizeof(z));
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n"
		 "Content-Length: %zu\r\n\r\n", n);
	body_case(&r, head, strlen(head), z, n, eicar);
	run_free(&r);

	/* two layers, decoded in the order named (libhtp), in a chunked body */
	n = zpack(eicar, strlen(eicar), -15, z, sizeof(z));
	size_t n2 = zpack(z, n, 31, zz, sizeof(zz));
	char body[600];
	int bl = snprintf(body, sizeof(body), "%zx\r\n", n2);
	memcpy(body + bl, zz, n2);
	bl += (int)n2;
	bl += snprintf(body + bl, sizeof(body) - (size_t)bl, "\r\n0\r\n\r\n");
	static const char chead[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip,\r\n deflate\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n";
	body_case(&r, chead, sizeof(chead) - 1, body, (size_t)bl, eicar);
	run_free(&r);

	/* the layer limit: one layer decoded, the other left as it is */
	struct app_cfg cfg = { .fileinfo = true, .http_decompress_layers = 1,
				.http_body_limit = { APP_CFG_HTTP_BODY_DEFAULT, APP_CFG_HTTP_BODY_DEFAULT } };
	run_init(&r);
	r.ctx.cfg = &cfg;
	feed_str(&r, APP_TOSERVER, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, deflate\r\n"
		 "Content-Length: %zu\r\n\r\n", n2);
	feed_str(&r, APP_TOCLIENT, head);
	feed(&r, APP_TOCLIENT, zz, n2);
	struct http_bytes b = http_tx_field(http_state_tx(r.st, 0), HTTP_F_RESPONSE_BODY);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.ptr, z, n);
	run_free(&r);

	/* "gzip" over plain text: every restart fails, the bytes pass through;
	 * exact names are compared without NUL bytes, other values by token */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nContent-Encoding: g\0zip\r\nContent-Length: 5\r\n\r\n",
		  "plain", "plain");
	run_free(&r);
	n = zpack(eicar, strlen(eicar), 31, z, sizeof(z));
	z[3] |= 0x20;      /* a reserved flag: zlib refuses, the raw restart decodes */
	z[n - 8] ^= 0xff;  /* a bad CRC: the output is kept */
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Encoding: ,x_gzip;\r\n"
		 "Content-Length: %zu\r\n\r\n", n);
	body_case(&r, head, strlen(head), z, n, eicar);
	run_free(&r);
}

static void test_body_chunked_leniency(void **state)
{
	struct run r;
	/* sizes followed by junk: the hex digits count */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		  "3x\r\nabc\r\n2\0\r\nde\r\n 1 ;e\r\nf\r\n0\r\n\r\n", "abcdef");
	run_free(&r);
	/* "chunked" anywhere in Transfer-Encoding (here folded, with a NUL) */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: x\r\n chu\0nked\r\n\r\n",
		  "3\r\nabc\r\n0\r\n\r\n", "abc");
	run_free(&r);
	/* not a size after all: the line and the rest are body, until the close */
	BODY_CASE(&r, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		  "hello world\r\nmore", "hello world\r\nmore");
	assert_int_equal(count_anomaly(&r, "INVALID_RESPONSE_CHUNK_LEN"), 1);
	run_free(&r);
	/* 8 bytes without a hex digit first decide it, before any LF */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		  "  zzzzzzzz", "  zzzzzzzz");
	run_free(&r);
}

static void test_body_head_quirks(void **state)
{
	struct run r;
	/* a CR alone ends a response head line; CR runs are no line */
	BODY_CASE(&r, "HTTP/1.1 200 OK\rContent-Disposition: attachment; filename=a.txt\r"
		  "Transfer-Encoding: chunked\r\n\r\r\r\n\r\n", "3\r\nabc\r\n0\r\n\r\n", "abc");
	assert_string_equal(jstr(nth(&r, "fileinfo", 0), "fileinfo.filename"), "a.txt");
	run_free(&r);
	/* names: NUL bytes and whitespace around them do not hide framing */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nTransfer\0-Encoding\v: chunked\r\n\r\n",
		  "3\r\nabc\r\n0\r\n\r\n", "abc");
	run_free(&r);
	/* HTTP/1.1: an indented line with a colon after a complete header is
	 * a header; a name alone takes its colon from the continuation */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nConnection: close\r\n Transfer-Encoding: chunked\r\n\r\n",
		  "3\r\nabc\r\n0\r\n\r\n", "abc");
	assert_int_equal(count_anomaly(&r, "INVALID_RESPONSE_FIELD_FOLDING"), 1);
	run_free(&r);
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding\r\n :\r\n chunked\r\n\r\n",
		  "3\r\nabc\r\n0\r\n\r\n", "abc");
	run_free(&r);
	/* a line of one space and LF ends the head when no LF follows (the
	 * next byte must be there to tell) */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nContent-Length: 3\n \nabc", "", "abc");
	run_free(&r);
	/* 204 with Content-Length has a body (libhtp); without, none */
	BODY_CASE(&r, "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", "abc", "abc");
	run_free(&r);
	BODY_CASE(&r, "HTTP/1.1 204 No Content\r\n\r\n", "", NULL);
	assert_int_equal(count_type(&r, "fileinfo"), 0);
	run_free(&r);
	/* LF CR is one line end in a response head, and LF CR CR LF CR LF two */
	BODY_CASE(&r, "HTTP/1.1 200 OK\nContent-Length: 3\n\r\r\nabc", "", "abc");
	run_free(&r);
	BODY_CASE(&r, "HTTP/1.1 200 OK\nContent-Length: 3\n\r\r\n\r\nabc", "", "abc");
	run_free(&r);
	/* the rest of the line after a complete response, in the same
	 * delivery, is more body unless a status line starts there */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n", "", "ok\r\n");
	assert_int_equal(jint(nth(&r, "fileinfo", 0), "fileinfo.size"), 4);
	assert_int_equal(jint(nth(&r, "http", 0), "http.length"), 2);
	run_free(&r);
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTT", "P/1.1 204 No\r\n\r\n",
		  "ok");
	assert_int_equal(jint(nth(&r, "http", 0), "http.status"), 200);
	assert_int_equal(count_type(&r, "fileinfo"), 1);
	run_free(&r);
	/* NUL bytes before the status line */
	BODY_CASE(&r, "\0HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "abc", "abc");
	run_free(&r);
}

static void test_fileinfo_events(void **state)
{
	struct run r;
	/* cut short by the end of the flow: TRUNCATED, named by the URI path */
	BODY_CASE(&r, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "0123456789", "0123456789");
	assert_int_equal(count_type(&r, "fileinfo"), 0);
	P->flow_end(r.st, &r.ctx);
	json_t *f = nth(&r, "fileinfo", 0);
	assert_string_equal(jstr(f, "fileinfo.filename"), "/dir/name.bin");
	assert_string_equal(jstr(f, "fileinfo.state"), "TRUNCATED");
	assert_int_equal(jint(f, "fileinfo.size"), 10);
	assert_int_equal(jint(f, "fileinfo.tx_id"), 0);
	assert_true(json_is_false(path_get(f, "fileinfo.stored")));
	assert_true(json_is_array(path_get(f, "fileinfo.sid")));
	run_free(&r);

	/* a POST body is a file too, a multipart one is not (its parts
	 * would be); a GET without body has none */
	run_init(&r);
	feed_str(&r, APP_TOSERVER,
		 "POST http://h/up/load?x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd"
		 "POST /m HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; b=x\r\n"
		 "Content-Length: 2\r\n\r\nxy"
		 "GET /g HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(count_type(&r, "fileinfo"), 1);
	f = nth(&r, "fileinfo", 0);
	assert_string_equal(jstr(f, "fileinfo.filename"), "/up/load");
	assert_int_equal(jint(f, "fileinfo.size"), 4);
	run_free(&r);

	/* outputs.eve.fileinfo: no */
	struct app_cfg cfg = { .fileinfo = false, .http_decompress_layers = 2 };
	run_init(&r);
	r.ctx.cfg = &cfg;
	feed_str(&r, APP_TOSERVER, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	feed_str(&r, APP_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	assert_int_equal(count_type(&r, "http"), 1);
	assert_int_equal(count_type(&r, "fileinfo"), 0);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_options_method),
		cmocka_unit_test(test_protocol_nodup_pipelined),
		cmocka_unit_test(test_split_delivery),
		cmocka_unit_test(test_connect_simple),
		cmocka_unit_test(test_connect_tls),
		cmocka_unit_test(test_connect_unanswered),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_noint_status),
		cmocka_unit_test(test_not09_spaces),
		cmocka_unit_test(test_after_swap),
		cmocka_unit_test(test_bug3844),
		cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_proxy_and_redirect),
		cmocka_unit_test(test_message_framing),
		cmocka_unit_test(test_upgrade),
		cmocka_unit_test(test_anomalies),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_body_content_encoding),
		cmocka_unit_test(test_body_chunked_leniency),
		cmocka_unit_test(test_body_head_quirks),
		cmocka_unit_test(test_fileinfo_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
