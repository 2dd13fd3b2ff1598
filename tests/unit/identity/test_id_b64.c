/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/identity/id_b64.c: RFC 4648 vectors in the url
 * alphabet, round trips of every length, and what strictness refuses:
 * non-canonical trailing bits, padding, whitespace, the '+' '/' alphabet,
 * a length of 1 mod 4, every byte outside the alphabet; and buffer sizes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "id_b64.h"

static ssize_t dec(const char *s, uint8_t *out, size_t cap)
{
	return id_b64url_decode(s, strlen(s), out, cap);
}

static void test_rfc4648(void **state)
{
	static const struct {
		const char *plain, *enc;
	} v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
		/* the two characters base64url changes */
		{ "\xfb\xff", "-_8" }, { "\xfb\xef\xbe", "----" }, { "\xff\xff\xff", "____" },
	};
	uint8_t out[16];
	char enc[16];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].plain);

		assert_int_equal(id_b64url_encode((const uint8_t *)v[i].plain, n, enc, sizeof(enc)),
				 strlen(v[i].enc));
		assert_string_equal(enc, v[i].enc);
		assert_int_equal(dec(v[i].enc, out, sizeof(out)), n);
		assert_memory_equal(out, v[i].plain, n);
		assert_true(id_b64url_decoded_len(strlen(v[i].enc)) >= n);
	}
}

static void test_round_trip(void **state)
{
	uint8_t in[300] = { 0 }, out[300];
	char enc[420];
	uint32_t x = 12345;

	(void)state;
	for (size_t len = 0; len <= sizeof(in); len++) {
		ssize_t e, d;

		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (uint8_t)(x >> 16);
		}
		e = id_b64url_encode(in, len, enc, sizeof(enc));
		assert_true(e >= 0);
		assert_int_equal((size_t)e, len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0));
		assert_int_not_equal((size_t)e % 4, 1);
		assert_int_equal(strlen(enc), (size_t)e);
		assert_int_equal(id_b64url_decoded_len((size_t)e), len);
		d = id_b64url_decode(enc, (size_t)e, out, len);	/* exactly enough room */
		assert_int_equal(d, (ssize_t)len);
		assert_memory_equal(in, out, len);
	}
	/* every byte value */
	for (int i = 0; i < 256; i++) {
		in[i] = (uint8_t)i;
	}
	assert_int_equal(id_b64url_encode(in, 256, enc, sizeof(enc)), 342);
	assert_int_equal(dec(enc, out, sizeof(out)), 256);
	assert_memory_equal(in, out, 256);
}

static void test_non_canonical(void **state)
{
	uint8_t out[8];

	(void)state;
	/* "f" is Zg: the 4 unused bits of the second character must be zero */
	for (const char *c = "hijklmnopqrstuv"; *c; c++) {
		char s[3] = { 'Z', *c, 0 };

		assert_int_equal(dec(s, out, sizeof(out)), -EINVAL);
	}
	assert_int_equal(dec("Zg", out, sizeof(out)), 1);
	/* "fo" is Zm8: the 2 unused bits of the third character must be zero */
	assert_int_equal(dec("Zm9", out, sizeof(out)), -EINVAL);
	assert_int_equal(dec("Zm-", out, sizeof(out)), -EINVAL);
	assert_int_equal(dec("Zm8", out, sizeof(out)), 2);
	assert_int_equal(dec("Zm_", out, sizeof(out)), -EINVAL);
	assert_int_equal(dec("Zm4", out, sizeof(out)), 2);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"Zg==", "Zg=", "Zm8=", "Zm9v====", "=", "==", "Zm9v\n", " Zm9v", "Zm 9v",
		"Zm9\tv", "Zm9v\r\n", "+/8", "Zm9+", "Zm9/", "Z", "Zm9vY", "Zm9vYmFyZ", "A",
		"Zm9v.", "Zm9v\x80", ("Zm\xff" "9v"), "!!!!",
	};
	uint8_t out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dec(bad[i], out, sizeof(out)) != -EINVAL) {
			fail_msg("accepted \"%s\"", bad[i]);
		}
	}
	/* an embedded NUL */
	assert_int_equal(id_b64url_decode("Zm\0v", 4, out, sizeof(out)), -EINVAL);
}

static void test_every_byte(void **state)
{
	const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t out[8];

	(void)state;
	for (int c = 0; c < 256; c++) {
		char s[4] = { (char)c, 'A', 'A', 'A' };
		int in_alpha = c != 0 && strchr(alpha, c) != NULL;
		ssize_t rc = id_b64url_decode(s, 4, out, sizeof(out));

		if ((rc == 3) != in_alpha || (!in_alpha && rc != -EINVAL)) {
			fail_msg("byte 0x%02x: %zd", c, rc);
		}
		/* as the last character of a partial group: "A?" is one byte when
		 * the character is in the alphabet with its 4 low bits zero */
		s[2] = (char)c;
		rc = id_b64url_decode(s + 1, 2, out, sizeof(out));
		if (rc != (in_alpha && ((strchr(alpha, c) - alpha) & 0xf) == 0 ? 1 : -EINVAL)) {
			fail_msg("last byte 0x%02x: %zd", c, rc);
		}
	}
}

static void test_sizes(void **state)
{
	uint8_t out[8];
	char enc[8];

	(void)state;
	assert_int_equal(dec("Zm9vYmFy", out, 5), -ENOSPC);
	assert_int_equal(dec("Zm9vYmFy", out, 6), 6);
	assert_int_equal(dec("Zm9vYmE", out, 4), -ENOSPC);
	assert_int_equal(dec("", out, 0), 0);
	assert_int_equal(id_b64url_encode((const uint8_t *)"foo", 3, enc, 4), -ENOSPC);
	assert_int_equal(id_b64url_encode((const uint8_t *)"foo", 3, enc, 5), 4);
	assert_int_equal(id_b64url_encode((const uint8_t *)"", 0, enc, 1), 0);
	assert_string_equal(enc, "");
	assert_int_equal(id_b64url_encode((const uint8_t *)"", 0, enc, 0), -ENOSPC);
	assert_int_equal(id_b64url_decoded_len(0), 0);
	assert_int_equal(id_b64url_decoded_len(2), 1);
	assert_int_equal(id_b64url_decoded_len(3), 2);
	assert_int_equal(id_b64url_decoded_len(4), 3);
	assert_int_equal(id_b64url_decoded_len(8192), 6144);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_non_canonical),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
