/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_codec.c: round trips of every integer
 * width and every varint length boundary, rejection of non-minimal varints
 * and of the 0b11 prefix, truncated input at every cut (nothing consumed,
 * nothing read outside the window: inputs are malloc'd at their exact
 * length for ASan), opaque views, nested vectors on both sides, and a
 * writer that runs out of room at every capacity.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mls_codec.h"

/* copy_exact copies |n| bytes into a malloc'd buffer of exactly that size. */
static uint8_t *copy_exact(const void *p, size_t n)
{
	uint8_t *b = malloc(n > 0 ? n : 1);

	assert_non_null(b);
	if (n > 0) {
		memcpy(b, p, n);
	}
	return b;
}

static void test_fixed_round_trip(void **state)
{
	uint8_t buf[15];
	struct mls_writer w;
	struct mls_reader r;
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t d;
	static const uint8_t want[15] = {0xa5, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

	(void)state;
	mls_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mls_write_u8(&w, 0xa5), 0);
	assert_int_equal(mls_write_u16(&w, 0x1234), 0);
	assert_int_equal(mls_write_u32(&w, 0xdeadbeef), 0);
	assert_int_equal(mls_write_u64(&w, 0x0123456789abcdefull), 0);
	assert_int_equal(mls_writer_len(&w), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_true(mls_writer_ok(&w));

	mls_reader_init(&r, buf, sizeof(buf));
	assert_int_equal(mls_read_u8(&r, &a), 0);
	assert_int_equal(mls_read_u16(&r, &b), 0);
	assert_int_equal(mls_read_u32(&r, &c), 0);
	assert_int_equal(mls_read_u64(&r, &d), 0);
	assert_int_equal(a, 0xa5);
	assert_int_equal(b, 0x1234);
	assert_int_equal(c, 0xdeadbeef);
	assert_true(d == 0x0123456789abcdefull);
	assert_int_equal(mls_read_end(&r), 0);
	assert_int_equal(mls_read_u8(&r, &a), -EBADMSG);
}

/* Values at every boundary of the varint lengths, with their encodings. */
static const struct {
	uint32_t v;
	size_t n;
	uint8_t enc[4];
} varints[] = {
	{0, 1, {0x00}},
	{37, 1, {0x25}},
	{63, 1, {0x3f}},
	{64, 2, {0x40, 0x40}},
	{15293, 2, {0x7b, 0xbd}},
	{16383, 2, {0x7f, 0xff}},
	{16384, 4, {0x80, 0x00, 0x40, 0x00}},
	{494878333, 4, {0x9d, 0x7f, 0x3e, 0x7d}},
	{MLS_VARINT_MAX, 4, {0xbf, 0xff, 0xff, 0xff}},
};

static void test_varint_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(varints) / sizeof(varints[0]); i++) {
		uint8_t buf[4];
		struct mls_writer w;
		struct mls_reader r;
		uint8_t *in;
		uint32_t v;

		assert_int_equal(mls_varint_len(varints[i].v), varints[i].n);
		mls_writer_init(&w, buf, sizeof(buf));
		assert_int_equal(mls_write_varint(&w, varints[i].v), 0);
		assert_int_equal(mls_writer_len(&w), varints[i].n);
		assert_memory_equal(buf, varints[i].enc, varints[i].n);

		in = copy_exact(varints[i].enc, varints[i].n);
		mls_reader_init(&r, in, varints[i].n);
		assert_int_equal(mls_read_varint(&r, &v), 0);
		assert_int_equal(v, varints[i].v);
		assert_int_equal(mls_read_end(&r), 0);
		free(in);
	}
}

static void test_varint_every_value_of_a_sweep(void **state)
{
	(void)state;
	/* every 1- and 2-byte value, and a stride through the 4-byte ones */
	for (uint64_t v = 0; v <= MLS_VARINT_MAX; v += v < 20000 ? 1 : 65521) {
		uint8_t buf[4];
		struct mls_writer w;
		struct mls_reader r;
		uint32_t got;

		mls_writer_init(&w, buf, sizeof(buf));
		assert_int_equal(mls_write_varint(&w, v), 0);
		mls_reader_init(&r, buf, mls_writer_len(&w));
		assert_int_equal(mls_read_varint(&r, &got), 0);
		assert_true(got == v);
		assert_int_equal(mls_read_end(&r), 0);
	}
}

static void test_varint_rejects(void **state)
{
	static const struct {
		uint8_t b[8];
		size_t n;
	} bad[] = {
		{{0x40, 0x05}, 2},			/* 5 in two bytes */
		{{0x40, 0x3f}, 2},			/* 63 in two bytes */
		{{0x40, 0x00}, 2},			/* 0 in two bytes */
		{{0x80, 0x00, 0x00, 0x05}, 4},		/* 5 in four bytes */
		{{0x80, 0x00, 0x3f, 0xff}, 4},		/* 16383 in four bytes */
		{{0xc0}, 1},				/* prefix 0b11 */
		{{0xc0, 0, 0, 0, 0, 0, 0, 0x05}, 8},	/* QUIC's 8-byte form */
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *in = copy_exact(bad[i].b, bad[i].n);
		struct mls_reader r;
		uint32_t v = 0xaaaa;

		mls_reader_init(&r, in, bad[i].n);
		assert_int_equal(mls_read_varint(&r, &v), -EBADMSG);
		assert_int_equal(r.off, 0);
		assert_int_equal(v, 0xaaaa);
		free(in);
	}
}

static void test_varint_write_too_large(void **state)
{
	uint8_t buf[8];
	struct mls_writer w;

	(void)state;
	mls_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mls_write_varint(&w, (uint64_t)MLS_VARINT_MAX + 1), -EINVAL);
	assert_int_equal(mls_write_varint(&w, UINT64_MAX), -EINVAL);
	assert_int_equal(mls_varint_len((uint64_t)MLS_VARINT_MAX + 1), 0);
	assert_int_equal(mls_writer_len(&w), 0);
	assert_true(mls_writer_ok(&w));
	assert_int_equal(mls_write_opaque(&w, buf, (size_t)MLS_VARINT_MAX + 1), -EINVAL);
	assert_true(mls_writer_ok(&w));
}

/*
 * A message of every kind of field; cut at every length, each read either
 * succeeds or fails with -EBADMSG and consumes nothing.
 */
static void test_truncated_every_cut(void **state)
{
	uint8_t buf[64];
	struct mls_writer w;
	struct mls_vector_mark m;
	size_t total;

	(void)state;
	mls_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mls_write_u16(&w, 0x0102), 0);
	assert_int_equal(mls_write_varint(&w, 300), 0);
	assert_int_equal(mls_write_opaque(&w, "hello", 5), 0);
	assert_int_equal(mls_write_vector_begin(&w, &m), 0);
	assert_int_equal(mls_write_u32(&w, 7), 0);
	assert_int_equal(mls_write_opaque(&w, "", 0), 0);
	assert_int_equal(mls_write_vector_end(&w, &m), 0);
	assert_int_equal(mls_write_u64(&w, 9), 0);
	assert_int_equal(mls_write_u8(&w, 1), 0);
	total = mls_writer_len(&w);

	for (size_t cut = 0; cut <= total; cut++) {
		uint8_t *in = copy_exact(buf, cut);
		struct mls_reader r, sub;
		const uint8_t *p;
		size_t n, before;
		uint16_t a = 0;
		uint32_t v = 0, e = 0;
		uint64_t d = 0;
		uint8_t f = 0;
		int rc;
		bool ok = true;

		mls_reader_init(&r, in, cut);
#define STEP(call)							\
		do {							\
			if (ok) {					\
				before = r.off;				\
				rc = (call);				\
				assert_true(rc == 0 || rc == -EBADMSG);	\
				if (rc < 0) {				\
					assert_int_equal(r.off, before);	\
					ok = false;			\
				}					\
			}						\
		} while (0)
		STEP(mls_read_u16(&r, &a));
		STEP(mls_read_varint(&r, &v));
		STEP(mls_read_opaque(&r, &p, &n));
		if (ok) {
			assert_int_equal(n, 5);
			assert_memory_equal(p, "hello", 5);
		}
		STEP(mls_read_vector_begin(&r, &sub));
		if (ok) {
			assert_int_equal(mls_read_u32(&sub, &e), 0);
			assert_int_equal(e, 7);
			assert_int_equal(mls_read_opaque(&sub, &p, &n), 0);
			assert_int_equal(n, 0);
			assert_int_equal(mls_read_end(&sub), 0);
		}
		STEP(mls_read_u64(&r, &d));
		STEP(mls_read_u8(&r, &f));
#undef STEP
		assert_true(ok == (cut == total));
		if (ok) {
			assert_int_equal(a, 0x0102);
			assert_int_equal(v, 300);
			assert_true(d == 9);
			assert_int_equal(f, 1);
			assert_int_equal(mls_read_end(&r), 0);
		}
		free(in);
	}
}

static void test_opaque_view(void **state)
{
	static const uint8_t msg[] = {0x03, 'a', 'b', 'c', 0x04, 'x'};
	uint8_t *in = copy_exact(msg, sizeof(msg));
	struct mls_reader r;
	const uint8_t *p;
	size_t n;

	(void)state;
	mls_reader_init(&r, in, sizeof(msg));
	assert_int_equal(mls_read_opaque(&r, &p, &n), 0);
	assert_ptr_equal(p, in + 1);
	assert_int_equal(n, 3);
	/* the second one claims 4 bytes, 1 is there */
	assert_int_equal(mls_read_opaque(&r, &p, &n), -EBADMSG);
	assert_int_equal(r.off, 4);
	assert_int_equal(mls_read_end(&r), -EBADMSG);
	assert_int_equal(mls_reader_left(&r), 2);
	assert_int_equal(mls_read_bytes(&r, 3, &p), -EBADMSG);
	assert_int_equal(mls_read_bytes(&r, 2, &p), 0);
	assert_ptr_equal(p, in + 4);
	assert_int_equal(mls_read_end(&r), 0);
	free(in);

	/* an empty reader over NULL */
	mls_reader_init(&r, NULL, 0);
	assert_int_equal(mls_read_end(&r), 0);
	assert_int_equal(mls_read_opaque(&r, &p, &n), -EBADMSG);
}

/* Vectors nested three deep, with bodies that need 1-, 2- and 4-byte headers. */
static void test_nested_vectors(void **state)
{
	size_t cap = 70000;
	uint8_t *buf = malloc(cap);
	uint8_t *big = calloc(1, 20000);
	struct mls_vector_mark outer, mid, inner;
	struct mls_writer w;
	struct mls_reader r, s1, s2, s3;
	const uint8_t *p;
	size_t n;
	uint8_t b;

	(void)state;
	assert_non_null(buf);
	assert_non_null(big);
	memset(big, 0x5a, 20000);
	mls_writer_init(&w, buf, cap);
	assert_int_equal(mls_write_vector_begin(&w, &outer), 0);
	assert_int_equal(mls_write_u8(&w, 0x11), 0);
	assert_int_equal(mls_write_vector_begin(&w, &mid), 0);
	assert_int_equal(mls_write_opaque(&w, big, 100), 0);	/* 2-byte header */
	assert_int_equal(mls_write_vector_begin(&w, &inner), 0);
	assert_int_equal(mls_write_vector_end(&w, &inner), 0);	/* empty: 0x00 */
	assert_int_equal(mls_write_vector_end(&w, &mid), 0);
	assert_int_equal(mls_write_bytes(&w, big, 20000), 0);
	assert_int_equal(mls_write_vector_end(&w, &outer), 0);
	assert_true(mls_writer_ok(&w));
	/* outer body: 1 + (2 + (2 + 100 + 1)) + 20000 = 20106 -> 4-byte header */
	assert_int_equal(mls_writer_len(&w), 4 + 20106);
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(buf[4], 0x11);
	assert_int_equal(buf[5], 0x40);	/* mid: 103 bytes, 2-byte header */
	assert_int_equal(buf[6], 103);
	assert_int_equal(buf[7], 0x40);	/* opaque: 100 bytes */
	assert_int_equal(buf[8], 100);

	mls_reader_init(&r, buf, mls_writer_len(&w));
	assert_int_equal(mls_read_vector_begin(&r, &s1), 0);
	assert_int_equal(mls_read_end(&r), 0);
	assert_int_equal(mls_read_u8(&s1, &b), 0);
	assert_int_equal(b, 0x11);
	assert_int_equal(mls_read_vector_begin(&s1, &s2), 0);
	assert_int_equal(mls_read_opaque(&s2, &p, &n), 0);
	assert_int_equal(n, 100);
	assert_memory_equal(p, big, 100);
	assert_int_equal(mls_read_vector_begin(&s2, &s3), 0);
	assert_int_equal(mls_reader_left(&s3), 0);
	assert_int_equal(mls_read_end(&s3), 0);
	assert_int_equal(mls_read_end(&s2), 0);
	assert_int_equal(mls_read_bytes(&s1, 20000, &p), 0);
	assert_memory_equal(p, big, 20000);
	assert_int_equal(mls_read_end(&s1), 0);
	/* a sub-reader cannot read past its vector */
	assert_int_equal(mls_read_u8(&s1, &b), -EBADMSG);

	/* closing a mark past the writer's length is refused */
	mid.start = mls_writer_len(&w) + 1;
	assert_int_equal(mls_write_vector_end(&w, &mid), -EINVAL);
	free(big);
	free(buf);
}

/* The same message written at every capacity: it fits exactly at its length. */
static void test_writer_overflow(void **state)
{
	uint8_t full[32], buf[32];
	struct mls_writer w;
	size_t total = 0;

	(void)state;
	for (size_t cap = 0; cap <= sizeof(buf); cap++) {
		struct mls_vector_mark m;
		int rc = 0;

		memset(buf, 0xee, sizeof(buf));
		mls_writer_init(&w, cap > 0 ? buf : NULL, cap);
		rc |= mls_write_u32(&w, 0xcafef00d);
		rc |= mls_write_opaque(&w, "abcdefgh", 8);
		rc |= mls_write_vector_begin(&w, &m);
		rc |= mls_write_u16(&w, 0xbeef);
		rc |= mls_write_varint(&w, 1000);
		rc |= mls_write_vector_end(&w, &m);
		rc |= mls_write_u8(&w, 0x42);
		assert_true(mls_writer_len(&w) <= cap);
		if (cap == 0) {
			assert_false(mls_writer_ok(&w));
			continue;
		}
		if (mls_writer_ok(&w)) {
			assert_int_equal(rc, 0);
			if (total == 0) {
				total = mls_writer_len(&w);
				memcpy(full, buf, total);
				assert_int_equal(cap, total);	/* first capacity that fits */
			}
			assert_memory_equal(buf, full, total);
		} else {
			assert_int_not_equal(rc, 0);
			assert_int_equal(total, 0);
			/* sticky: nothing fits any more, the buffer's tail is untouched */
			assert_int_equal(mls_write_u8(&w, 0), -ENOSPC);
			for (size_t i = cap; i < sizeof(buf); i++) {
				assert_int_equal(buf[i], 0xee);
			}
		}
	}
	/* 4 + (1 + 8) + (1 + 2 + 2) + 1 */
	assert_int_equal(total, 19);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_round_trip),
		cmocka_unit_test(test_varint_round_trip),
		cmocka_unit_test(test_varint_every_value_of_a_sweep),
		cmocka_unit_test(test_varint_rejects),
		cmocka_unit_test(test_varint_write_too_large),
		cmocka_unit_test(test_truncated_every_cut),
		cmocka_unit_test(test_opaque_view),
		cmocka_unit_test(test_nested_vectors),
		cmocka_unit_test(test_writer_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
