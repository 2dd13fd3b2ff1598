/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: util/cursor.h, the bounds-checked reader every parser uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/cursor.h"

static const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};

static void test_getters(void **state)
{
	struct cursor c;
	uint8_t u8, buf[2];
	uint16_t u16;
	uint32_t u32;

	(void)state;
	cursor_init(&c, data, sizeof(data));
	assert_true(cursor_get_u8(&c, &u8));
	assert_int_equal(u8, 0x01);
	assert_true(cursor_get_u16be(&c, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(cursor_get_u32be(&c, &u32));
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(cursor_len(&c), 0);
	assert_false(cursor_get_u8(&c, &u8));
	assert_false(cursor_get_bytes(&c, buf, 1));
	assert_true(cursor_get_bytes(&c, buf, 0));
	assert_true(cursor_skip(&c, 0));
}

static void test_failure_consumes_nothing(void **state)
{
	struct cursor c, sub;
	uint8_t buf[8], u8;
	uint16_t u16;
	uint32_t u32;

	(void)state;
	cursor_init(&c, data, 3);
	assert_false(cursor_get_u32be(&c, &u32));
	assert_int_equal(cursor_len(&c), 3);
	assert_false(cursor_get_bytes(&c, buf, 4));
	assert_false(cursor_skip(&c, 4));
	assert_false(cursor_get_sub(&c, &sub, 4));
	assert_false(cursor_truncate(&c, 4));
	assert_int_equal(cursor_len(&c), 3);
	assert_ptr_equal(cursor_data(&c), data);
	assert_true(cursor_skip(&c, 2));
	assert_false(cursor_get_u16be(&c, &u16));
	assert_true(cursor_peek_u8(&c, 0, &u8));
	assert_int_equal(u8, 0x03);
	assert_false(cursor_peek_u8(&c, 1, &u8));
	assert_int_equal(cursor_len(&c), 1);
	assert_true(cursor_get_u8(&c, &u8));
	assert_int_equal(u8, 0x03);
}

static void test_sub_and_truncate(void **state)
{
	struct cursor c, sub;
	uint8_t buf[3];

	(void)state;
	cursor_init(&c, data, sizeof(data));
	assert_true(cursor_get_sub(&c, &sub, 3));
	assert_int_equal(cursor_len(&sub), 3);
	assert_int_equal(cursor_len(&c), 4);
	assert_true(cursor_get_bytes(&sub, buf, 3));
	assert_memory_equal(buf, data, 3);
	assert_false(cursor_get_bytes(&sub, buf, 1));
	assert_true(cursor_truncate(&c, 2));
	assert_int_equal(cursor_len(&c), 2);
	assert_int_equal(cursor_data(&c)[0], 0x04);
}

/* Every getter against every length of an exact heap buffer: ASan would flag an overread. */
static void test_exhaustive_bounds(void **state)
{
	size_t n, want;

	(void)state;
	for (n = 0; n <= 8; n++) {
		uint8_t *p = malloc(n == 0 ? 1 : n);
		struct cursor c;
		uint8_t b[8], u8;
		uint16_t u16;
		uint32_t u32;

		assert_non_null(p);
		memset(p, 0x5a, n);
		for (want = 0; want <= 8; want++) {
			cursor_init(&c, p, n);
			assert_int_equal(cursor_get_bytes(&c, b, want), want <= n);
		}
		cursor_init(&c, p, n);
		assert_int_equal(cursor_get_u8(&c, &u8), n >= 1);
		cursor_init(&c, p, n);
		assert_int_equal(cursor_get_u16be(&c, &u16), n >= 2);
		cursor_init(&c, p, n);
		assert_int_equal(cursor_get_u32be(&c, &u32), n >= 4);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_failure_consumes_nothing),
		cmocka_unit_test(test_sub_and_truncate),
		cmocka_unit_test(test_exhaustive_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
