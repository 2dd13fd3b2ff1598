/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/identity/spiffe_id.c: the invalid-ID checklist
 * and the valid edge cases of shared/reference/spiffe.md section 1, the
 * length limits (a 2048-byte ID accepted, 2049 refused; 255- and 256-byte
 * trust domains), and every byte 0x00-0xff as a trust-domain character and
 * as a path character against the allowed sets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spiffe_id.h"

static void test_checklist_invalid(void **state)
{
	static const char *const bad[] = {
		"", "spiffe://", "spiffe:///a", "spiffe:/td", "Spiffe://td/a", "SPIFFE://td/a",
		"spiffe://TD/a", "spiffe://tD/a", "spiffe://td:8080/a", "spiffe://u@td/a",
		"spiffe://td/a?x=1", "spiffe://td/a#f", "spiffe://td?x", "spiffe://td#f",
		"spiffe://td/%41", "spiffe://%62ad/a", "spiffe://td/a//b", "spiffe://td//a",
		"spiffe://td/a/./b", "spiffe://td/a/../b", "spiffe://td/..", "spiffe://td/.",
		"spiffe://td/a/", "spiffe://td/", "spiffe://t$d/a", "spiffe://td/a!b",
		"spiffe://[::1]/a", "spiffe://td/\xc3\xa9", "spiffe://t\xc3\xa9/a", "\x80spiffe://td",
		"spiffe://td/a\xff", "spiffe:td", "spiffe//td", "http://td/a", "spiffe", "spiffe:",
		"spiffe:/", "spiffe://td/a b", "spiffe://t d", " spiffe://td", "spiffe://td/a\n",
		"spiffe:///", "spiffe://td:/a", "spiffe://@td", "spiffe://td/a\\b",
	};
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (spiffe_id_parse(bad[i], strlen(bad[i]), NULL, &why) != -EINVAL) {
			fail_msg("accepted \"%s\"", bad[i]);
		}
		assert_non_null(why);
	}
	assert_int_equal(spiffe_id_parse(NULL, 0, NULL, NULL), -EINVAL);
	/* an embedded NUL is an invalid character, not an end */
	assert_int_equal(spiffe_id_parse("spiffe://td/a\0b", 15, NULL, NULL), -EINVAL);
	assert_int_equal(spiffe_id_parse("spiffe://t\0d/a", 14, NULL, NULL), -EINVAL);
}

static void test_reasons(void **state)
{
	const char *why;

	(void)state;
	assert_int_equal(spiffe_id_parse("spiffe://TD/a", 13, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "uppercase"));
	assert_int_equal(spiffe_id_parse("spiffe://td:1/a", 15, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "port"));
	assert_int_equal(spiffe_id_parse("spiffe://u@td/a", 15, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "userinfo"));
	assert_int_equal(spiffe_id_parse("spiffe://td/a?q", 15, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "query"));
	assert_int_equal(spiffe_id_parse("spiffe://td/a#f", 15, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "fragment"));
	assert_int_equal(spiffe_id_parse("spiffe://td/a/", 14, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "trailing"));
	assert_int_equal(spiffe_id_parse("spiffe://td//a", 14, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "empty"));
	assert_int_equal(spiffe_id_parse("spiffe://td/..", 14, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "dot"));
	assert_int_equal(spiffe_id_parse("spiffe://td/%41", 15, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "percent"));
}

static void test_checklist_valid(void **state)
{
	static const struct {
		const char *id, *td, *path;
	} ok[] = {
		{ "spiffe://td", "td", "" },
		{ "spiffe://my_td-1.example/A.b-c_D", "my_td-1.example", "/A.b-c_D" },
		{ "spiffe://192.168.1.1/x", "192.168.1.1", "/x" },
		{ "spiffe://10.0.0.1/x", "10.0.0.1", "/x" },
		{ "spiffe://td/...", "td", "/..." },
		{ "spiffe://td/.path", "td", "/.path" },
		{ "spiffe://td/..path", "td", "/..path" },
		{ "spiffe://td/a/b/c", "td", "/a/b/c" },
		{ "spiffe://a", "a", "" },
		{ "spiffe://-/_", "-", "/_" },
		{ "spiffe://example.org/ns/prod/sa/Bridge9", "example.org", "/ns/prod/sa/Bridge9" },
	};
	struct spiffe_id id;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(&id, 0, sizeof(id));
		if (spiffe_id_parse(ok[i].id, strlen(ok[i].id), &id, NULL) != 0) {
			fail_msg("refused \"%s\"", ok[i].id);
		}
		assert_int_equal(id.td_len, strlen(ok[i].td));
		assert_memory_equal(id.td, ok[i].td, id.td_len);
		assert_ptr_equal(id.td, ok[i].id + 9);
		assert_int_equal(id.path_len, strlen(ok[i].path));
		assert_memory_equal(id.path, ok[i].path, id.path_len);
		assert_true(spiffe_id_in_td(&id, ok[i].td, strlen(ok[i].td)));
		assert_false(spiffe_id_in_td(&id, "other", 5));
		assert_false(spiffe_id_in_td(&id, ok[i].td, strlen(ok[i].td) - 1));
	}
	/* only the given length is read */
	assert_int_equal(spiffe_id_parse("spiffe://td/a/", 13, &id, NULL), 0);
	assert_int_equal(id.path_len, 2);
}

static void test_id_length(void **state)
{
	char s[SPIFFE_ID_MAX + 2];
	size_t i;

	(void)state;
	/* spiffe://td/aaaa.../aaaa... exactly 2048 bytes: segments of 100 */
	memcpy(s, "spiffe://td", 11);
	for (i = 11; i < sizeof(s); i++) {
		s[i] = (i - 11) % 101 == 0 ? '/' : 'a';
	}
	s[SPIFFE_ID_MAX - 1] = s[SPIFFE_ID_MAX - 1] == '/' ? 'b' : s[SPIFFE_ID_MAX - 1];
	assert_int_equal(spiffe_id_parse(s, SPIFFE_ID_MAX, NULL, NULL), 0);
	s[SPIFFE_ID_MAX] = 'c';
	assert_int_equal(spiffe_id_parse(s, SPIFFE_ID_MAX + 1, NULL, NULL), -EINVAL);
	assert_int_equal(SPIFFE_ID_MAX, 2048);
}

static void test_td_length(void **state)
{
	char s[9 + SPIFFE_TD_MAX + 4];
	char td[SPIFFE_TD_MAX + 2];
	struct spiffe_id id;

	(void)state;
	memset(td, 'a', sizeof(td));
	for (size_t i = 10; i < sizeof(td); i += 10) {
		td[i] = '.';
	}
	assert_int_equal(spiffe_td_check(td, 255, NULL), 0);
	assert_int_equal(spiffe_td_check(td, 256, NULL), -EINVAL);
	assert_int_equal(spiffe_td_check(td, 0, NULL), -EINVAL);
	assert_int_equal(spiffe_td_check(NULL, 0, NULL), -EINVAL);
	assert_int_equal(spiffe_td_check(td, 1, NULL), 0);
	memcpy(s, "spiffe://", 9);
	memcpy(s + 9, td, 255);
	memcpy(s + 9 + 255, "/x", 2);
	assert_int_equal(spiffe_id_parse(s, 9 + 255 + 2, &id, NULL), 0);
	assert_int_equal(id.td_len, 255);
	assert_int_equal(spiffe_id_parse(s, 9 + 255, &id, NULL), 0);
	memcpy(s + 9, td, 256);
	memcpy(s + 9 + 256, "/x", 2);
	assert_int_equal(spiffe_id_parse(s, 9 + 256 + 2, NULL, NULL), -EINVAL);
	assert_int_equal(spiffe_id_parse(s, 9 + 256, NULL, NULL), -EINVAL);
}

static bool td_allowed(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
	       c == '_';
}

static bool path_allowed(int c)
{
	return td_allowed(c) || (c >= 'A' && c <= 'Z');
}

static void test_every_td_byte(void **state)
{
	char td[3] = { 'a', 0, 'b' };
	char s[] = "spiffe://a?b/p";

	(void)state;
	for (int c = 0; c < 256; c++) {
		td[1] = (char)c;
		if ((spiffe_td_check(td, 3, NULL) == 0) != td_allowed(c)) {
			fail_msg("trust domain byte 0x%02x", c);
		}
		/* In an ID, '/' ends the trust domain: "spiffe://a/b/p" is valid. */
		s[10] = (char)c;
		if ((spiffe_id_parse(s, sizeof(s) - 1, NULL, NULL) == 0) !=
		    (td_allowed(c) || c == '/')) {
			fail_msg("ID trust domain byte 0x%02x", c);
		}
		/* alone */
		if ((spiffe_td_check(td + 1, 1, NULL) == 0) != td_allowed(c)) {
			fail_msg("one-byte trust domain 0x%02x", c);
		}
	}
}

static void test_every_path_byte(void **state)
{
	char s[] = "spiffe://td/a?b/c";
	char one[] = "spiffe://td/?";

	(void)state;
	for (int c = 0; c < 256; c++) {
		s[13] = (char)c;
		/* '/' makes two segments "a" "b": valid */
		if ((spiffe_id_parse(s, sizeof(s) - 1, NULL, NULL) == 0) !=
		    (path_allowed(c) || c == '/')) {
			fail_msg("path byte 0x%02x", c);
		}
		/* a one-byte segment: '.' is a dot segment, '/' an empty one */
		one[12] = (char)c;
		if ((spiffe_id_parse(one, sizeof(one) - 1, NULL, NULL) == 0) !=
		    (path_allowed(c) && c != '.')) {
			fail_msg("one-byte segment 0x%02x", c);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checklist_invalid),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_checklist_valid),
		cmocka_unit_test(test_id_length),
		cmocka_unit_test(test_td_length),
		cmocka_unit_test(test_every_td_byte),
		cmocka_unit_test(test_every_path_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
