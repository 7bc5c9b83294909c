/*
 * test-file.c - the file tracker (file.c) and the fileinfo event
 * (log-file.c): life cycle, sizes and gaps, the bounded name and sid list,
 * the exact event as Suricata writes it, and the switch that turns it off.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "../../src/lib/json.h"
#include "../../src/sensor/applayer.h"
#include "../../src/sensor/file.h"
#include "../../src/sensor/log-file.h"

static void test_life_cycle(void **state)
{
	struct app_file f;
	memset(&f, 0, sizeof(f));
	assert_int_equal(f.state, FILE_NONE);
	assert_false(file_close(&f, FILE_CLOSED));   /* never opened: nothing to log */
	file_open(&f, "a.txt", 5, 7, APP_TOCLIENT);
	assert_true(file_is_open(&f));
	file_data(&f, 10);
	assert_false(f.gaps);
	file_gap(&f, 4);                              /* lost bytes count */
	assert_true(f.gaps);
	file_gap(&f, 0);                              /* a loss of unknown size */
	assert_int_equal(f.size, 14);
	assert_true(file_close(&f, FILE_TRUNCATED));
	assert_false(file_close(&f, FILE_CLOSED));   /* closed once */
	file_data(&f, 100);                           /* ignored once closed */
	file_gap(&f, 100);
	assert_int_equal(f.size, 14);
	assert_string_equal(file_state_name(f.state), "TRUNCATED");
	assert_int_equal(f.tx_id, 7);
	file_free(&f);
	assert_int_equal(f.state, FILE_NONE);
	assert_null(f.name);
}

static void test_bounds(void **state)
{
	struct app_file f;
	char *big = malloc(FILE_NAME_MAX + 100);
	assert_non_null(big);
	memset(big, 'n', FILE_NAME_MAX + 100);
	file_open(&f, big, FILE_NAME_MAX + 100, 0, APP_TOSERVER);
	assert_int_equal(f.name_len, FILE_NAME_MAX);
	for (uint32_t i = 0; i < FILE_SIDS_MAX + 5; i++) {
		file_add_sid(&f, 100 + i);
		file_add_sid(&f, 100);                /* kept once */
	}
	assert_int_equal(f.nsids, FILE_SIDS_MAX);
	assert_int_equal(f.sids[0], 100);
	assert_int_equal(f.sids[1], 101);
	file_free(&f);
	free(big);
	/* a name of no bytes is an empty name */
	file_open(&f, "", 0, 0, APP_TOSERVER);
	assert_null(f.name);
	assert_int_equal(f.name_len, 0);
	file_free(&f);
}

static void collect(void *arg, const char *line, size_t len)
{
	json_t **out = arg;
	json_error_t err;
	assert_null(*out);
	*out = json_loadb(line, len, 0, &err);
	if (!*out)
		fail_msg("not JSON: %s", err.text);
}

static void proto_obj(struct jw *w, const void *arg)
{
	jw_obj_open(w, "http");
	jw_str(w, "hostname", arg);
	jw_obj_close(w);
}

static void test_event(void **state)
{
	struct jw jw;
	json_t *ev = NULL;
	struct app_cfg cfg = { .fileinfo = true };
	struct app_ctx ctx = { .jw = &jw, .emit = collect, .emit_arg = &ev, .cfg = &cfg };
	struct app_file f;
	jw_init(&jw);
	file_open(&f, "x\"\x01y", 4, 3, APP_TOCLIENT);
	file_data(&f, 68);
	file_add_sid(&f, 2);
	file_close(&f, FILE_CLOSED);
	log_fileinfo(&ctx, "http", &f, proto_obj, "h.example");
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event_type")), "fileinfo");
	assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "http");
	assert_null(json_object_get(ev, "tx_id"));   /* only inside fileinfo */
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "http"),
							       "hostname")), "h.example");
	json_t *fi = json_object_get(ev, "fileinfo");
	assert_string_equal(json_string_value(json_object_get(fi, "filename")), "x\"\x01y");
	assert_int_equal(json_array_size(json_object_get(fi, "sid")), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(fi, "sid"), 0)), 2);
	assert_true(json_is_false(json_object_get(fi, "gaps")));
	assert_string_equal(json_string_value(json_object_get(fi, "state")), "CLOSED");
	assert_true(json_is_false(json_object_get(fi, "stored")));
	assert_int_equal(json_integer_value(json_object_get(fi, "size")), 68);
	assert_int_equal(json_integer_value(json_object_get(fi, "tx_id")), 3);
	json_decref(ev);
	ev = NULL;

	/* outputs.eve.fileinfo: no */
	cfg.fileinfo = false;
	log_fileinfo(&ctx, "http", &f, NULL, NULL);
	assert_null(ev);
	/* no configuration: the default is on */
	ctx.cfg = NULL;
	log_fileinfo(&ctx, "smtp", &f, NULL, NULL);
	assert_non_null(ev);
	assert_null(json_object_get(ev, "http"));
	json_decref(ev);
	file_free(&f);
	jw_free(&jw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_life_cycle),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
