/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ctl_audit_seg.c - the audit segment byte format
 * (control/audit/ctl_audit_seg.c): the header's layout and CRC, frames read
 * back field for field, a torn last frame left as the tail, a flipped byte
 * anywhere in a frame skipped and counted once, frames found without a
 * header, and strings NUL-terminated whatever the bytes say. The layout
 * is checked against literal offsets: docs/audit.md documents them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <zlib.h>

#include "ctl_audit_seg.h"

static struct sb_audit_rec mkrec(uint32_t worker, uint64_t seq)
{
	struct sb_audit_rec r;

	memset(&r, 0, sizeof(r));
	r.type = SB_AUDIT_SLIM_COMMUNICATION;
	r.decision = seq % 2 ? SB_AUDIT_ALLOWED : SB_AUDIT_DENIED;
	r.worker = worker;
	r.seq = seq;
	r.ts_ns = 1700000000000000000ull + seq;
	r.msg_bytes = (uint32_t)seq * 3;
	snprintf(r.src, sizeof(r.src), "acme/app/agent%llu", (unsigned long long)seq);
	snprintf(r.dst, sizeof(r.dst), "partner/app/x");
	snprintf(r.project, sizeof(r.project), "proj");
	return r;
}

/* A segment image: header for |workers| workers, then |n| frames of worker 0 from seq 1. */
static uint8_t *image(size_t n, size_t *len, size_t *hdr_len)
{
	struct ctl_audit_seg_hdr h = {.created_ns = 123456789, .index = 7, .nb_workers = 2,
				      .next_seq = {1, 50}};
	uint8_t *b = malloc(CTL_AUDIT_SEG_HDR_MAX + n * CTL_AUDIT_FRAME_SIZE);

	assert_non_null(b);
	*hdr_len = ctl_audit_seg_hdr_encode(&h, b, CTL_AUDIT_SEG_HDR_MAX);
	assert_int_equal(*hdr_len, 60);
	for (size_t i = 0; i < n; i++) {
		struct sb_audit_rec r = mkrec(0, i + 1);

		ctl_audit_frame_encode(&r, b + *hdr_len + i * CTL_AUDIT_FRAME_SIZE);
	}
	*len = *hdr_len + n * CTL_AUDIT_FRAME_SIZE;
	return b;
}

/* Reads every good record; returns how many, checks their seqs ascend. */
static size_t read_all(const uint8_t *b, size_t len, size_t start, struct ctl_audit_seg_reader *r,
		       uint64_t *seqs)
{
	struct sb_audit_rec rec;
	size_t n = 0;

	ctl_audit_seg_reader_init(r, b, len, start);
	while (ctl_audit_seg_next(r, &rec) == 1) {
		if (seqs != NULL) {
			seqs[n] = rec.seq;
		}
		n++;
	}
	return n;
}

static void test_header_layout(void **state)
{
	struct ctl_audit_seg_hdr h = {.created_ns = 0x1122334455667788ull, .index = 9,
				      .nb_workers = 3, .next_seq = {5, 0, 7}};
	struct ctl_audit_seg_hdr d;
	uint8_t b[CTL_AUDIT_SEG_HDR_MAX];
	size_t n, hl = 0;

	(void)state;
	n = ctl_audit_seg_hdr_encode(&h, b, sizeof(b));
	assert_int_equal(n, 44 + 8 * 3);
	assert_int_equal(n, ctl_audit_seg_hdr_size(3));
	assert_memory_equal(b, "SBAUDSG1", 8);
	assert_memory_equal(b + 8, "\x01\0\0\0", 4);		/* version */
	assert_memory_equal(b + 12, "\x44\0\0\0", 4);		/* header length 68 */
	assert_memory_equal(b + 16, "\x88\x77\x66\x55\x44\x33\x22\x11", 8);
	assert_memory_equal(b + 24, "\x09\0\0\0\0\0\0\0", 8);
	assert_memory_equal(b + 32, "\0\x01\0\0", 4);		/* record size 256 */
	assert_memory_equal(b + 36, "\x03\0\0\0", 4);
	assert_memory_equal(b + 40, "\x05\0\0\0\0\0\0\0", 8);
	assert_memory_equal(b + 56, "\x07\0\0\0\0\0\0\0", 8);
	{
		uint32_t want = (uint32_t)crc32(0, b, (uInt)(n - 4));
		uint8_t le[4] = {(uint8_t)want, (uint8_t)(want >> 8), (uint8_t)(want >> 16),
				 (uint8_t)(want >> 24)};

		assert_memory_equal(b + n - 4, le, 4);
	}
	assert_int_equal(ctl_audit_seg_hdr_decode(b, n, &d, &hl), 0);
	assert_int_equal(hl, n);
	assert_int_equal(d.created_ns, h.created_ns);
	assert_int_equal(d.index, 9);
	assert_int_equal(d.nb_workers, 3);
	assert_int_equal(d.next_seq[0], 5);
	assert_int_equal(d.next_seq[2], 7);
	assert_int_equal(d.next_seq[3], 0);
	/* Cut anywhere: not enough bytes; a flipped byte anywhere: refused. */
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(ctl_audit_seg_hdr_decode(b, k, &d, &hl), -ENODATA);
	}
	for (size_t k = 0; k < n; k++) {
		b[k] ^= 0x10;
		assert_int_not_equal(ctl_audit_seg_hdr_decode(b, n, &d, &hl), 0);
		b[k] ^= 0x10;
	}
	assert_int_equal(ctl_audit_seg_hdr_decode((const uint8_t *)"XXXXXXXXXXXX", 12, &d, &hl),
			 -EPROTO);
	h.nb_workers = SB_AUDIT_MAX_RINGS + 1;
	assert_int_equal(ctl_audit_seg_hdr_encode(&h, b, sizeof(b)), 0);
	h.nb_workers = 3;
	assert_int_equal(ctl_audit_seg_hdr_encode(&h, b, 10), 0);
}

static void test_frame_layout_and_read_back(void **state)
{
	size_t len, hl;
	uint8_t *b = image(20, &len, &hl);
	struct ctl_audit_seg_reader r;
	struct sb_audit_rec rec, want = mkrec(0, 1);
	uint32_t sum;

	(void)state;
	/* Frame: magic "SBRC", length 256, CRC-32 of length and record, record. */
	assert_memory_equal(b + hl, "SBRC", 4);
	assert_memory_equal(b + hl + 4, "\0\x01\0\0", 4);
	sum = (uint32_t)crc32(0, b + hl + 4, 4);
	sum = (uint32_t)crc32(sum, b + hl + 12, 256);
	assert_int_equal(b[hl + 8] | b[hl + 9] << 8 | b[hl + 10] << 16 | (uint32_t)b[hl + 11] << 24,
			 sum);
	assert_memory_equal(b + hl + 12, &want, sizeof(want));
	ctl_audit_seg_reader_init(&r, b, len, hl);
	for (uint64_t s = 1; s <= 20; s++) {
		want = mkrec(0, s);
		assert_int_equal(ctl_audit_seg_next(&r, &rec), 1);
		assert_memory_equal(&rec, &want, sizeof(rec));
	}
	assert_int_equal(ctl_audit_seg_next(&r, &rec), 0);
	assert_int_equal(ctl_audit_seg_next(&r, &rec), 0);
	assert_int_equal(r.frames, 20);
	assert_int_equal(r.corrupt, 0);
	assert_int_equal(ctl_audit_seg_torn(&r), 0);
	assert_int_equal(r.good_end, len);
	free(b);
}

static void test_torn_last_record(void **state)
{
	size_t len, hl;
	uint8_t *b = image(10, &len, &hl);
	struct ctl_audit_seg_reader r;

	(void)state;
	/* The last frame cut at every possible length: 9 records, the rest is the tail. */
	for (size_t cut = 1; cut < CTL_AUDIT_FRAME_SIZE; cut++) {
		assert_int_equal(read_all(b, len - cut, hl, &r, NULL), 9);
		assert_int_equal(r.corrupt, 0);
		assert_int_equal(ctl_audit_seg_torn(&r), CTL_AUDIT_FRAME_SIZE - cut);
		assert_int_equal(r.good_end, hl + 9 * CTL_AUDIT_FRAME_SIZE);
	}
	/* Zeros after the last frame (a file extended, data not written): the tail too. */
	{
		uint8_t *z = calloc(1, len + 1000);

		memcpy(z, b, len);
		assert_int_equal(read_all(z, len + 1000, hl, &r, NULL), 10);
		assert_int_equal(r.corrupt, 0);
		assert_int_equal(ctl_audit_seg_torn(&r), 1000);
		free(z);
	}
	free(b);
}

static void test_flipped_byte_skipped_and_counted(void **state)
{
	size_t len, hl;
	uint8_t *b = image(10, &len, &hl);
	struct ctl_audit_seg_reader r;
	uint64_t seqs[16];

	(void)state;
	/* Every byte of frame 4 (seq 5), one at a time: that record alone is lost, once counted. */
	for (size_t k = 0; k < CTL_AUDIT_FRAME_SIZE; k++) {
		size_t at = hl + 4 * CTL_AUDIT_FRAME_SIZE + k;

		b[at] ^= 0x01;
		assert_int_equal(read_all(b, len, hl, &r, seqs), 9);
		assert_int_equal(r.corrupt, 1);
		assert_int_equal(r.corrupt_bytes, CTL_AUDIT_FRAME_SIZE);
		assert_int_equal(ctl_audit_seg_torn(&r), 0);
		assert_int_equal(seqs[3], 4);
		assert_int_equal(seqs[4], 6);
		b[at] ^= 0x01;
	}
	/* Two damaged frames apart: two stretches. */
	b[hl + 1 * CTL_AUDIT_FRAME_SIZE + 100] ^= 0xff;
	b[hl + 7 * CTL_AUDIT_FRAME_SIZE + 2] ^= 0xff;
	assert_int_equal(read_all(b, len, hl, &r, NULL), 8);
	assert_int_equal(r.corrupt, 2);
	/* Damage in the last frame: not followed by a good one, so the torn tail. */
	b[hl + 1 * CTL_AUDIT_FRAME_SIZE + 100] ^= 0xff;
	b[hl + 7 * CTL_AUDIT_FRAME_SIZE + 2] ^= 0xff;
	b[len - 1] ^= 0x80;
	assert_int_equal(read_all(b, len, hl, &r, NULL), 9);
	assert_int_equal(r.corrupt, 0);
	assert_int_equal(ctl_audit_seg_torn(&r), CTL_AUDIT_FRAME_SIZE);
	free(b);
}

static void test_frames_without_header(void **state)
{
	size_t len, hl;
	uint8_t *b = image(5, &len, &hl);
	struct ctl_audit_seg_reader r;
	struct ctl_audit_seg_hdr h;
	size_t dummy;

	(void)state;
	b[3] ^= 0x20;	/* the header's magic */
	assert_int_equal(ctl_audit_seg_hdr_decode(b, len, &h, &dummy), -EPROTO);
	/* Read from 0: the header is a bad stretch, the frames after it are found. */
	assert_int_equal(read_all(b, len, 0, &r, NULL), 5);
	assert_int_equal(r.corrupt, 1);
	assert_int_equal(r.corrupt_bytes, hl);
	/* A start past the end reads nothing. */
	assert_int_equal(read_all(b, len, len + 10, &r, NULL), 0);
	free(b);
}

static void test_strings_terminated(void **state)
{
	struct sb_audit_rec rec;
	struct ctl_audit_seg_reader r;
	uint8_t f[CTL_AUDIT_FRAME_SIZE];

	(void)state;
	memset(&rec, 'A', sizeof(rec));	/* no NUL anywhere */
	ctl_audit_frame_encode(&rec, f);
	ctl_audit_seg_reader_init(&r, f, sizeof(f), 0);
	assert_int_equal(ctl_audit_seg_next(&r, &rec), 1);
	assert_int_equal(strlen(rec.src), sizeof(rec.src) - 1);
	assert_int_equal(strlen(rec.dst), sizeof(rec.dst) - 1);
	assert_int_equal(strlen(rec.trust), sizeof(rec.trust) - 1);
	assert_int_equal(strlen(rec.project), sizeof(rec.project) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_frame_layout_and_read_back),
		cmocka_unit_test(test_torn_last_record),
		cmocka_unit_test(test_flipped_byte_skipped_and_counted),
		cmocka_unit_test(test_frames_without_header),
		cmocka_unit_test(test_strings_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
