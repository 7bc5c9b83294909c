/*
 * test-json.c - the EVE writer: structure, escaping, numbers; every output
 * is read back with jansson.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "../../src/lib/json.h"

static json_t *parse(struct jw *w)
{
	json_error_t err;
	assert_true(jw_ok(w));
	json_t *j = json_loadb(w->buf, w->len, 0, &err);
	if (!j)
		fail_msg("not JSON: %s: %s", err.text, w->buf);
	return j;
}

static void test_nested(void **state)
{
	struct jw w;
	jw_init(&w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "event_type", "flow");
	jw_arr_open(&w, "vlan");
	jw_uint(&w, NULL, 10);
	jw_uint(&w, NULL, 20);
	jw_arr_close(&w);
	jw_obj_open(&w, "flow");
	jw_uint(&w, "pkts", 9007199254740993ULL);
	jw_int(&w, "neg", INT64_MIN);
	jw_bool(&w, "alerted", false);
	jw_double(&w, "entropy", 4.137370175000773);
	jw_null(&w, "nothing");
	jw_obj_close(&w);
	jw_obj_close(&w);
	json_t *j = parse(&w);
	assert_string_equal(json_string_value(json_object_get(j, "event_type")), "flow");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "vlan"), 1)), 20);
	json_t *f = json_object_get(j, "flow");
	assert_int_equal(json_integer_value(json_object_get(f, "neg")), INT64_MIN);
	assert_true(json_is_false(json_object_get(f, "alerted")));
	assert_true(json_real_value(json_object_get(f, "entropy")) == 4.137370175000773);
	assert_true(json_is_null(json_object_get(f, "nothing")));
	assert_non_null(strstr(w.buf, "\"pkts\":9007199254740993,"));
	json_decref(j);
	jw_reset(&w);
	jw_uint(&w, NULL, UINT64_MAX);
	assert_string_equal(w.buf, "18446744073709551615");
	jw_free(&w);
}

static void test_escaping(void **state)
{
	struct jw w;
	jw_init(&w);
	const char raw[] = "a\"b\\c\n\x01\xff\xe3\x81\x82";  /* invalid byte, then valid UTF-8 */
	jw_obj_open(&w, NULL);
	jw_strn(&w, "s", raw, sizeof(raw) - 1);
	jw_hex(&w, "h", "\x0a\xff", 2, ':');
	jw_obj_close(&w);
	json_t *j = parse(&w);
	assert_string_equal(json_string_value(json_object_get(j, "s")),
			    "a\"b\\c\n\x01\\xff\xe3\x81\x82");
	assert_string_equal(json_string_value(json_object_get(j, "h")), "0a:ff");
	json_decref(j);
	jw_free(&w);
}

static void test_reset_reuses(void **state)
{
	struct jw w;
	jw_init(&w);
	for (int i = 0; i < 1000; i++) {
		jw_reset(&w);
		jw_obj_open(&w, NULL);
		jw_uint(&w, "i", (uint64_t)i);
		jw_obj_close(&w);
	}
	assert_string_equal(w.buf, "{\"i\":999}");
	/* unbalanced documents are reported */
	jw_reset(&w);
	jw_obj_open(&w, NULL);
	assert_false(jw_ok(&w));
	jw_obj_close(&w);
	jw_obj_close(&w);
	assert_false(jw_ok(&w));
	jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_reset_reuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
