/*
 * test-detect-xbits.c - the host bit table behind the xbits keyword
 * (detect-xbits.c): bits per host or pair, expiry, unset and toggle, and
 * a flood of addresses that must neither grow memory nor lose the bits
 * set last.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "detect-xbits.h"

static struct xbits_key host(uint8_t last, uint8_t peer, uint8_t track)
{
	struct xbits_key k;
	memset(&k, 0, sizeof(k));
	k.src.b[0] = 10, k.src.b[3] = last;
	k.dst.b[0] = 10, k.dst.b[3] = peer;
	k.ip_ver = 4;
	k.track = track;
	return k;
}

static void test_set_expire(void **state)
{
	(void)state;
	struct xbits_table *t = xbits_new();
	assert_non_null(t);
	uint64_t n = xbits_name("ET.scanner");
	struct xbits_key src = host(1, 2, XB_SRC), dst = host(2, 1, XB_DST);
	xbits_apply(t, n, &src, XB_SET, 10, 100);
	/* the same host seen as the destination of a reply */
	assert_true(xbits_isset(t, n, &dst, 109));
	assert_false(xbits_isset(t, n, &dst, 110));
	assert_false(xbits_isset(t, xbits_name("other"), &src, 101));
	/* a pair is the same both ways */
	struct xbits_key ab = host(1, 2, XB_PAIR), ba = host(2, 1, XB_PAIR), ac = host(1, 3, XB_PAIR);
	xbits_apply(t, n, &ab, XB_SET, 60, 200);
	assert_true(xbits_isset(t, n, &ba, 201));
	assert_false(xbits_isset(t, n, &ac, 201));
	xbits_apply(t, n, &ba, XB_UNSET, 0, 202);
	assert_false(xbits_isset(t, n, &ab, 202));
	xbits_apply(t, n, &ab, XB_TOGGLE, 60, 203);
	assert_true(xbits_isset(t, n, &ab, 203));
	xbits_apply(t, n, &ab, XB_TOGGLE, 60, 204);
	assert_false(xbits_isset(t, n, &ab, 204));
	xbits_free(t);
}

static void test_flood(void **state)
{
	(void)state;
	struct xbits_table *t = xbits_new();
	assert_non_null(t);
	uint64_t n = xbits_name("seen");
	struct xbits_key k;
	memset(&k, 0, sizeof(k));
	k.ip_ver = 6;
	for (uint32_t i = 0; i < 200000; i++) {
		memcpy(k.src.b, &i, sizeof(i));
		xbits_apply(t, n, &k, XB_SET, 1000 + i, 0);
	}
	/* the last bits set expire last: they are kept */
	for (uint32_t i = 199990; i < 200000; i++) {
		memcpy(k.src.b, &i, sizeof(i));
		assert_true(xbits_isset(t, n, &k, 1));
	}
	xbits_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_expire),
		cmocka_unit_test(test_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
