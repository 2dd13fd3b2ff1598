/* SPDX-License-Identifier: Apache-2.0 */
/* test_grpc_frame.c - gRPC message framing, grpc-timeout, grpc-message encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grpc_frame.h"

struct got {
	uint32_t nb;
	size_t len[8];
	uint8_t first[8];
	bool compressed[8];
};

static int on_msg(void *arg, const uint8_t *msg, size_t len, bool compressed)
{
	struct got *g = arg;

	if (g->nb < 8) {
		g->len[g->nb] = len;
		g->first[g->nb] = len ? msg[0] : 0;
		g->compressed[g->nb] = compressed;
	}
	g->nb++;
	return 0;
}

static size_t put_msg(uint8_t *p, uint8_t flag, const void *m, uint32_t len)
{
	p[0] = flag;
	p[1] = (uint8_t)(len >> 24);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
	memcpy(p + 5, m, len);
	return 5 + len;
}

/* Messages split anywhere across pieces come out whole, in order. */
static void test_reader_any_split(void **state)
{
	static uint8_t buf[40000], big[30000];
	size_t n = 0;

	(void)state;
	memset(big, 'b', sizeof(big));
	n += put_msg(buf + n, 0, "", 0);
	n += put_msg(buf + n, 0, "abc", 3);
	n += put_msg(buf + n, 1, big, sizeof(big));
	for (size_t cut = 1; cut <= n; cut = cut * 3 + 1) {
		struct grpc_reader r;
		struct got g = {0};

		grpc_reader_init(&r, 1u << 20);
		for (size_t off = 0; off < n; off += cut) {
			assert_int_equal(grpc_reader_feed(&r, buf + off, n - off < cut ? n - off : cut,
							  on_msg, &g),
					 0);
		}
		assert_int_equal(g.nb, 3);
		assert_int_equal(g.len[0], 0);
		assert_int_equal(g.len[1], 3);
		assert_int_equal(g.first[1], 'a');
		assert_int_equal(g.len[2], sizeof(big));
		assert_true(g.compressed[2]);
		assert_false(grpc_reader_partial(&r));
		grpc_reader_cleanup(&r);
	}
}

static void test_reader_limits(void **state)
{
	struct grpc_reader r;
	struct got g = {0};
	uint8_t p[5] = {0, 0, 1, 0, 1}; /* 65537 bytes */
	uint8_t bad[5] = {2, 0, 0, 0, 0};

	(void)state;
	grpc_reader_init(&r, 65536);
	assert_int_equal(grpc_reader_feed(&r, p, 5, on_msg, &g), -EMSGSIZE);
	grpc_reader_cleanup(&r);
	grpc_reader_init(&r, 65536);
	assert_int_equal(grpc_reader_feed(&r, bad, 5, on_msg, &g), -EPROTO);
	grpc_reader_cleanup(&r);
	grpc_reader_init(&r, 65536);
	assert_int_equal(grpc_reader_feed(&r, p, 3, on_msg, &g), 0);
	assert_true(grpc_reader_partial(&r)); /* a stream ending here is truncated */
	grpc_reader_cleanup(&r);
}

static void test_timeout(void **state)
{
	uint64_t ms;

	(void)state;
	assert_int_equal(grpc_timeout_parse("1H", 2, &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(grpc_timeout_parse("30S", 3, &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(grpc_timeout_parse("1500u", 5, &ms), 0);
	assert_int_equal(ms, 2); /* rounded up */
	assert_int_equal(grpc_timeout_parse("99999999n", 9, &ms), 0);
	assert_int_equal(ms, 100);
	assert_int_equal(grpc_timeout_parse("123456789S", 10, &ms), -EINVAL); /* 8 digits at most */
	assert_int_equal(grpc_timeout_parse("10x", 3, &ms), -EINVAL);
	assert_int_equal(grpc_timeout_parse("S", 1, &ms), -EINVAL);
	assert_int_equal(grpc_timeout_parse("1-S", 3, &ms), -EINVAL);
}

static void test_message_encoding(void **state)
{
	const char *msg = "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and 100%";
	char enc[256];
	long n;

	(void)state;
	n = grpc_message_encode((const uint8_t *)msg, strlen(msg), enc, sizeof(enc));
	assert_true(n > 0);
	enc[n] = 0;
	assert_string_equal(enc, "%09%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and 100%25");
	assert_int_equal(grpc_message_decode(enc, (size_t)n), strlen(msg));
	assert_memory_equal(enc, msg, strlen(msg));
	assert_int_equal(grpc_message_encode((const uint8_t *)"\n\n", 2, enc, 5), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_any_split),
		cmocka_unit_test(test_reader_limits),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_message_encoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
