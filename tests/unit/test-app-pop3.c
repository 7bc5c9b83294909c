/*
 * test-app-pop3.c - the POP3 parser on a real session (suricata-verify's
 * pop3-02-bug-7709): commands matched to answers, multi-line answers with
 * their data lines, the greeting, byte-by-byte delivery giving the same
 * events, STLS handing the flow back to detection, and the caps.
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

struct seg {
	int dir;
	uint8_t *data;
	size_t len;
};

struct events {
	char *lines[512];
	int n;
};

static void collect(void *arg, const char *line, size_t len)
{
	struct events *e = arg;
	assert_true(e->n < 512);
	e->lines[e->n++] = strndup(line, len);
}

static void events_free(struct events *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->lines[i]);
	e->n = 0;
}

static size_t load(struct seg *segs, size_t max)
{
	char path[4096], line[16384];
	const char *root = getenv("OT_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/tests/data/app-pop3/session2.hex", root ? root : ".");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = 0;
	while (fgets(line, sizeof(line), f) && n < max) {
		if (line[0] == '#')
			continue;
		char *hex = line + 2;
		size_t hl = strcspn(hex, "\r\n");
		segs[n].dir = line[0] - '0';
		segs[n].len = hl / 2;
		segs[n].data = malloc(segs[n].len);
		for (size_t i = 0; i < segs[n].len; i++)
			sscanf(hex + 2 * i, "%2hhx", &segs[n].data[i]);
		n++;
	}
	fclose(f);
	return n;
}

/* Feed the session in pieces of at most step bytes (0: whole segments). */
static void run(struct seg *segs, size_t n, size_t step, struct events *ev)
{
	const struct app_parser *ap = &app_parser_pop3;
	struct jw jw;
	jw_init(&jw);
	struct app_ctx ctx = { .jw = &jw, .emit = collect, .emit_arg = ev, .tcp = true };
	void *st = ap->state_new();
	for (size_t i = 0; i < n; i++) {
		size_t off = 0;
		while (off < segs[i].len) {
			size_t k = step && segs[i].len - off > step ? step : segs[i].len - off;
			assert_int_equal(ap->parse(st, &ctx, segs[i].dir, segs[i].data + off, k), PARSE_OK);
			off += k;
		}
	}
	ap->flow_end(st, &ctx);
	assert_int_equal(ap->tx_count(st), (uint64_t)ev->n);
	ap->state_free(st);
	jw_free(&jw);
}

static json_t *pop3_of(const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	assert_non_null(j);
	return j;
}

static void test_session(void **state)
{
	struct seg segs[64];
	size_t n = load(segs, 64);
	struct events ev = { 0 };
	run(segs, n, 0, &ev);
	/* greeting, USER, PASS, STAT, LIST, UIDL, RETR, QUIT */
	assert_int_equal(ev.n, 8);

	json_t *j = pop3_of(ev.lines[0]);
	assert_null(json_object_get(json_object_get(j, "pop3"), "request"));
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(j, "pop3"),
								 "response"), "success")));
	json_decref(j);

	j = pop3_of(ev.lines[4]);
	json_t *req = json_object_get(json_object_get(j, "pop3"), "request");
	json_t *resp = json_object_get(json_object_get(j, "pop3"), "response");
	assert_string_equal(json_string_value(json_object_get(req, "command")), "LIST");
	assert_int_equal(json_array_size(json_object_get(req, "args")), 0);
	assert_string_equal(json_string_value(json_object_get(resp, "header")), "5 21639");
	json_t *data = json_object_get(resp, "data");
	assert_int_equal(json_array_size(data), 5);
	assert_string_equal(json_string_value(json_array_get(data, 0)), "1 247");
	assert_string_equal(json_string_value(json_array_get(data, 4)), "5 6668");
	assert_int_equal(json_integer_value(json_object_get(j, "tx_id")), 4);
	json_decref(j);

	/* RETR: the mail's lines are kept, the terminating dot is not */
	j = pop3_of(ev.lines[6]);
	req = json_object_get(json_object_get(j, "pop3"), "request");
	resp = json_object_get(json_object_get(j, "pop3"), "response");
	assert_string_equal(json_string_value(json_object_get(req, "command")), "RETR");
	assert_string_equal(json_string_value(json_array_get(json_object_get(req, "args"), 0)), "5");
	assert_string_equal(json_string_value(json_object_get(resp, "header")), "6668 octets");
	data = json_object_get(resp, "data");
	assert_true(json_array_size(data) > 50);
	for (size_t i = 0; i < json_array_size(data); i++)
		assert_string_not_equal(json_string_value(json_array_get(data, i)), ".");
	json_decref(j);

	j = pop3_of(ev.lines[7]);
	req = json_object_get(json_object_get(j, "pop3"), "request");
	assert_string_equal(json_string_value(json_object_get(req, "command")), "QUIT");
	json_decref(j);

	/* byte by byte: the same events */
	struct events ev1 = { 0 };
	run(segs, n, 1, &ev1);
	assert_int_equal(ev1.n, ev.n);
	for (int i = 0; i < ev.n; i++)
		assert_string_equal(ev1.lines[i], ev.lines[i]);
	events_free(&ev);
	events_free(&ev1);
	for (size_t i = 0; i < n; i++)
		free(segs[i].data);
}

static void feed(void *st, struct app_ctx *ctx, int dir, const char *s)
{
	assert_int_equal(app_parser_pop3.parse(st, ctx, dir, (const uint8_t *)s, strlen(s)), PARSE_OK);
}

static void test_stls_and_caps(void **state)
{
	const struct app_parser *ap = &app_parser_pop3;
	struct events ev = { 0 };
	struct jw jw;
	jw_init(&jw);
	struct app_ctx ctx = { .jw = &jw, .emit = collect, .emit_arg = &ev, .tcp = true };
	void *st = ap->state_new();
	feed(st, &ctx, APP_TOCLIENT, "+OK ready\r\n");
	feed(st, &ctx, APP_TOSERVER, "STLS\r\n");
	feed(st, &ctx, APP_TOCLIENT, "+OK begin TLS\r\n");
	assert_true(ctx.redetect);
	assert_int_equal(ev.n, 2);
	ap->state_free(st);
	events_free(&ev);

	/* commands that are never answered: bounded, then the parser gives up */
	st = ap->state_new();
	ctx.redetect = false;
	int r = PARSE_OK;
	for (int i = 0; i < 100 && r == PARSE_OK; i++)
		r = ap->parse(st, &ctx, APP_TOSERVER, (const uint8_t *)"NOOP\r\n", 6);
	assert_int_equal(r, PARSE_ERROR);
	assert_int_equal(ev.n, 1);
	assert_non_null(strstr(ev.lines[0], "too_many_transactions"));
	ap->state_free(st);
	events_free(&ev);
	jw_free(&jw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_stls_and_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
