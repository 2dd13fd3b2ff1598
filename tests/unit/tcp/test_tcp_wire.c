/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the TCP wire format (dataplane/tcp/tcp_wire.h): header and
 * option parsing (RFC 9293 3.1, RFC 7323, RFC 2018), the Linux option layout
 * of the builder, checksums and sequence arithmetic.
 *
 * The segments below are written out byte by byte in the layouts Linux sends,
 * and the checksum helpers here are a plain byte-wise RFC 1071 sum, written
 * independently of the engine's net_sum. Every parse runs on a heap copy of
 * exactly the segment's size so that AddressSanitizer catches an over-read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_wire.h"

static const uint8_t src4[4] = {192, 0, 2, 7};
static const uint8_t dst4[4] = {192, 0, 2, 1};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x12, [15] = 0x07};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [8] = 0xfe, [15] = 0x01};

/* ------------------------------------------------------------------------- */
/* Independent helpers                                                        */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a, 4);
	return v;
}

/* RFC 1071 over big-endian 16-bit words, one byte at a time, plus |sum|. */
static uint16_t ck(const uint8_t *p, size_t n, uint32_t sum)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		s += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (n & 1) {
		s += (uint32_t)p[n - 1] << 8;
	}
	while (s >> 16) {
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

static uint32_t words(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < n; i += 2) {
		s += (uint32_t)p[i] << 8 | p[i + 1];
	}
	return s;
}

/* Pseudo-header sums, host order (RFC 9293 3.1, RFC 8200 8.1). */
static uint32_t phdr4(size_t n)
{
	return words(src4, 4) + words(dst4, 4) + 6 + (uint32_t)n;
}

static uint32_t phdr6(size_t n)
{
	return words(src6, 16) + words(dst6, 16) + 6 + (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff);
}

/* Checksum of |n| bytes of segment with its checksum field taken as zero. */
static uint16_t ck_seg(const uint8_t *seg, size_t n, uint32_t phdr)
{
	uint8_t *t = malloc(n);
	uint16_t r;

	assert_non_null(t);
	memcpy(t, seg, n);
	t[16] = 0;
	t[17] = 0;
	r = ck(t, n, phdr);
	free(t);
	return r;
}

/* Store the IPv4 checksum (big-endian) in a hand-written segment. */
static void seal4(uint8_t *seg, size_t n)
{
	put16(seg + 16, ck_seg(seg, n, phdr4(n)));
}

/*
 * Parse a heap copy of exactly |n| bytes of |b|. On success seg->payload is
 * turned back into a pointer into |b|, so it stays valid after the copy is freed.
 */
static int parse_copy(const uint8_t *b, size_t n, struct tcp_seg *seg, enum drop_reason *why)
{
	uint8_t *h = malloc(n);
	int rc;

	assert_true(h != NULL || n == 0);
	if (n != 0) {
		memcpy(h, b, n);
	}
	rc = tcp_parse(h, n, seg, why);
	if (rc == 0) {
		assert_true(seg->payload >= h && seg->payload + seg->payload_len == h + n);
		seg->payload = b + (seg->payload - h);
	}
	free(h);
	return rc;
}

/* Expect |b| to be dropped for |reason|. */
static void expect_drop(const uint8_t *b, size_t n, enum drop_reason reason)
{
	struct tcp_seg seg;
	enum drop_reason why = DROP__MAX;

	assert_int_equal(parse_copy(b, n, &seg, &why), -EBADMSG);
	assert_int_equal(why, reason);
}

/*
 * A header from 192.0.2.7:1234 to 192.0.2.1:80, ACK, with the |olen| option
 * bytes |o| padded with EOL to a multiple of 4 and |pay| payload bytes.
 * Returns the segment length.
 */
static size_t mkseg(uint8_t *b, const uint8_t *o, size_t olen, size_t pay)
{
	size_t area = (olen + 3) & ~(size_t)3, i;

	assert_true(area <= 40);
	memset(b, 0, 20 + area);
	put16(b, 1234);
	put16(b + 2, 80);
	b[4] = 0x11;
	b[7] = 0x01;
	b[11] = 0x02;
	b[12] = (uint8_t)((20 + area) / 4 << 4);
	b[13] = TCP_FLAG_ACK;
	put16(b + 14, 1000);
	if (olen != 0) {
		memcpy(b + 20, o, olen);
	}
	for (i = 0; i < pay; i++) {
		b[20 + area + i] = (uint8_t)(i * 7 + 1);
	}
	seal4(b, 20 + area + pay);
	return 20 + area + pay;
}

static int parse_opts(const uint8_t *o, size_t olen, struct tcp_seg *seg, enum drop_reason *why)
{
	uint8_t b[64];

	return parse_copy(b, mkseg(b, o, olen, 0), seg, why);
}

/* ------------------------------------------------------------------------- */
/* Segments as Linux lays them out (192.0.2.7:43210 <-> 192.0.2.1:7)         */

/* SYN: MSS 1460, SACK_PERM, TS, NOP, WS 7. */
static const uint8_t syn_bytes[40] = {
	0xa8, 0xca, 0x00, 0x07, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xb4,
	0x04, 0x02, 0x08, 0x0a, 0x00, 0x0a, 0x1b, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07,
};

/* SYN-ACK: MSS 1440, SACK_PERM, TS, NOP, WS 9. */
static const uint8_t synack_bytes[40] = {
	0x00, 0x07, 0xa8, 0xca, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x79,
	0xa0, 0x12, 0xfe, 0x88, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xa0,
	0x04, 0x02, 0x08, 0x0a, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x0a, 0x1b, 0x2c,
	0x01, 0x03, 0x03, 0x09,
};

/* Data with timestamps: NOP, NOP, TS; PSH|ACK; 17 bytes of payload (odd on purpose). */
static const uint8_t data_bytes[32 + 17] = {
	0xa8, 0xca, 0x00, 0x07, 0x12, 0x34, 0x56, 0x79, 0x9a, 0xbc, 0xde, 0xf1,
	0x80, 0x18, 0x01, 0xf6, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x01, 0x08, 0x0a, 0x00, 0x0a, 0x1b, 0x40, 0x7f, 0x00, 0x00, 0x01,
	'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n', '!',
};

/* ACK with timestamps and 3 SACK blocks: NOP, NOP, TS, NOP, NOP, SACK (40 bytes of options). */
static const uint8_t sack_bytes[60] = {
	0x00, 0x07, 0xa8, 0xca, 0x9a, 0xbc, 0xde, 0xf1, 0x12, 0x34, 0x60, 0x00,
	0xf0, 0x10, 0x01, 0xf5, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x01, 0x08, 0x0a, 0x7f, 0x00, 0x00, 0x10, 0x00, 0x0a, 0x1b, 0x50,
	0x01, 0x01, 0x05, 0x1a,
	0x12, 0x34, 0x90, 0x00, 0x12, 0x34, 0xa0, 0x00,
	0x12, 0x34, 0x70, 0x00, 0x12, 0x34, 0x80, 0x00,
	0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00,	/* wraps through 0 */
};

/* A sealed copy of one of the above in |b|. */
static size_t sealed(uint8_t *b, const uint8_t *src, size_t n)
{
	memcpy(b, src, n);
	seal4(b, n);
	return n;
}

static void test_parse_syn(void **state)
{
	struct tcp_seg seg;
	uint8_t b[40];
	size_t n = sealed(b, syn_bytes, sizeof(syn_bytes));

	(void)state;
	assert_int_equal(parse_copy(b, n, &seg, NULL), 0);
	assert_int_equal(seg.sport, 43210);
	assert_int_equal(seg.dport, 7);
	assert_int_equal(seg.seq, 0x12345678);
	assert_int_equal(seg.ack, 0);
	assert_int_equal(seg.flags, TCP_FLAG_SYN);
	assert_int_equal(seg.window, 64240);
	assert_int_equal(seg.urg_ptr, 0);
	assert_int_equal(seg.hdr_len, 40);
	assert_int_equal(seg.payload_len, 0);
	assert_ptr_equal(seg.payload, b + 40);
	assert_true(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 1460);
	assert_true(seg.opts.sack_permitted);
	assert_true(seg.opts.has_ts);
	assert_int_equal(seg.opts.ts_val, 0x000a1b2c);
	assert_int_equal(seg.opts.ts_ecr, 0);
	assert_true(seg.opts.has_wscale);
	assert_int_equal(seg.opts.wscale, 7);
	assert_int_equal(seg.opts.nb_sack, 0);
	assert_int_equal(tcp_csum4(be32(src4), be32(dst4), b, n), 0);
}

static void test_parse_synack(void **state)
{
	struct tcp_seg seg;
	uint8_t b[40];
	size_t n = sealed(b, synack_bytes, sizeof(synack_bytes));

	(void)state;
	assert_int_equal(parse_copy(b, n, &seg, NULL), 0);
	assert_int_equal(seg.sport, 7);
	assert_int_equal(seg.dport, 43210);
	assert_int_equal(seg.seq, 0x9abcdef0);
	assert_int_equal(seg.ack, 0x12345679);
	assert_int_equal(seg.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(seg.window, 65160);
	assert_int_equal(seg.hdr_len, 40);
	assert_true(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 1440);
	assert_true(seg.opts.sack_permitted);
	assert_true(seg.opts.has_ts);
	assert_int_equal(seg.opts.ts_val, 0x7f000001);
	assert_int_equal(seg.opts.ts_ecr, 0x000a1b2c);
	assert_true(seg.opts.has_wscale);
	assert_int_equal(seg.opts.wscale, 9);
	assert_int_equal(seg.opts.nb_sack, 0);
}

static void test_parse_data_ts(void **state)
{
	struct tcp_seg seg;
	uint8_t b[sizeof(data_bytes)];
	size_t n = sealed(b, data_bytes, sizeof(data_bytes));

	(void)state;
	assert_int_equal(parse_copy(b, n, &seg, NULL), 0);
	assert_int_equal(seg.flags, TCP_FLAG_PSH | TCP_FLAG_ACK);
	assert_int_equal(seg.seq, 0x12345679);
	assert_int_equal(seg.ack, 0x9abcdef1);
	assert_int_equal(seg.window, 502);
	assert_int_equal(seg.hdr_len, 32);
	assert_ptr_equal(seg.payload, b + 32);
	assert_int_equal(seg.payload_len, 17);
	assert_memory_equal(seg.payload, "GET / HTTP/1.1\r\n!", 17);
	assert_false(seg.opts.has_mss);
	assert_false(seg.opts.has_wscale);
	assert_false(seg.opts.sack_permitted);
	assert_true(seg.opts.has_ts);
	assert_int_equal(seg.opts.ts_val, 0x000a1b40);
	assert_int_equal(seg.opts.ts_ecr, 0x7f000001);
	assert_int_equal(seg.opts.nb_sack, 0);
}

static void test_parse_sack(void **state)
{
	struct tcp_seg seg;
	uint8_t b[60];
	size_t n = sealed(b, sack_bytes, sizeof(sack_bytes));

	(void)state;
	assert_int_equal(parse_copy(b, n, &seg, NULL), 0);
	assert_int_equal(seg.flags, TCP_FLAG_ACK);
	assert_int_equal(seg.hdr_len, 60);
	assert_int_equal(seg.payload_len, 0);
	assert_true(seg.opts.has_ts);
	assert_int_equal(seg.opts.ts_val, 0x7f000010);
	assert_int_equal(seg.opts.ts_ecr, 0x000a1b50);
	assert_int_equal(seg.opts.nb_sack, 3);
	assert_int_equal(seg.opts.sack[0].left, 0x12349000);
	assert_int_equal(seg.opts.sack[0].right, 0x1234a000);
	assert_int_equal(seg.opts.sack[1].left, 0x12347000);
	assert_int_equal(seg.opts.sack[1].right, 0x12348000);
	assert_int_equal(seg.opts.sack[2].left, 0xffffff00);
	assert_int_equal(seg.opts.sack[2].right, 0x00000100);
}

/* ------------------------------------------------------------------------- */
/* Options                                                                    */

static bool known_len_ok(uint8_t kind, unsigned int olen)
{
	switch (kind) {
	case TCP_OPT_MSS:
		return olen == 4;
	case TCP_OPT_WS:
		return olen == 3;
	case TCP_OPT_SACK_PERM:
		return olen == 2;
	case TCP_OPT_TS:
		return olen == 10;
	case TCP_OPT_SACK:
		return olen == 10 || olen == 18 || olen == 26 || olen == 34;
	default:
		return olen >= 2;	/* unknown: any length that fits */
	}
}

static bool is_known(uint8_t kind)
{
	return kind == TCP_OPT_MSS || kind == TCP_OPT_WS || kind == TCP_OPT_SACK_PERM ||
	       kind == TCP_OPT_TS || kind == TCP_OPT_SACK;
}

/* Whether |opts| records the known option |kind| (false for the unknown ones). */
static bool recorded(const struct tcp_opts *opts, uint8_t kind)
{
	switch (kind) {
	case TCP_OPT_MSS:
		return opts->has_mss;
	case TCP_OPT_WS:
		return opts->has_wscale;
	case TCP_OPT_SACK_PERM:
		return opts->sack_permitted;
	case TCP_OPT_TS:
		return opts->has_ts;
	case TCP_OPT_SACK:
		return opts->nb_sack != 0;
	default:
		return false;
	}
}

/*
 * Every kind of interest with every length 0..40 that the area can hold: a
 * length below 2 breaks the list (dropped); any other length that fits is
 * accepted, and a known option is recorded only with its own length.
 */
static void test_opt_every_length(void **state)
{
	static const uint8_t kinds[] = {2, 3, 4, 5, 8, 6, 7, 9, 19, 28, 29, 30, 34, 253, 254, 255};
	uint8_t o[40];
	struct tcp_seg seg;
	enum drop_reason why;
	unsigned int k, olen;

	(void)state;
	for (k = 0; k < sizeof(kinds); k++) {
		for (olen = 0; olen <= 40; olen++) {
			size_t n = olen < 2 ? 2 : olen;
			int rc;

			memset(o, 0x11, sizeof(o));
			o[0] = kinds[k];
			o[1] = (uint8_t)olen;
			why = DROP__MAX;
			rc = parse_opts(o, n, &seg, &why);
			if (olen < 2) {
				assert_int_equal(rc, -EBADMSG);
				assert_int_equal(why, DROP_TCP_BAD_OPTION);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_equal(why, DROP__MAX);
			assert_int_equal(recorded(&seg.opts, kinds[k]),
					 is_known(kinds[k]) && known_len_ok(kinds[k], olen));
			if (!known_len_ok(kinds[k], olen)) {
				/* Nothing of the ignored option leaks into the others. */
				assert_false(seg.opts.has_mss || seg.opts.has_wscale ||
					     seg.opts.sack_permitted || seg.opts.has_ts);
				assert_int_equal(seg.opts.nb_sack, 0);
				assert_int_equal(seg.opts.mss, 0);
				assert_int_equal(seg.opts.wscale, 0);
			}
		}
	}
}

/*
 * A known option of the wrong length is skipped by its length byte, as
 * Linux's tcp_parse_options does, and the options after it are parsed.
 */
static void test_opt_wrong_length_ignored(void **state)
{
	/* MSS of length 3 (one byte of value), then WS 7 and SACK_PERM. */
	static const uint8_t mss3[] = {2, 3, 0x05, 1, 3, 3, 7, 4, 2};
	/* MSS of length 6, then timestamps. */
	static const uint8_t mss6[] = {2, 6, 0x05, 0xb4, 0, 0, 1, 1,
				       8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
	/* SACK of length 2 + 8 + 4 (not 2 + 8n), then MSS 1400. */
	static const uint8_t sack14[] = {1, 1, 5, 14, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
					 2, 4, 0x05, 0x78};
	/* SACK of length 2 (no blocks), then a good SACK of one block. */
	static const uint8_t sack2[] = {5, 2, 1, 1, 5, 10, 0, 0, 0, 9, 0, 0, 0, 10};
	/* TS of length 8, WS of length 4, SACK_PERM of length 3, then MSS 536. */
	static const uint8_t mixed[] = {8, 8, 1, 2, 3, 4, 5, 6, 3, 4, 9, 9, 4, 3, 0,
					2, 4, 0x02, 0x18};
	/* A good MSS, then a bad one: the good one stays (it is not overwritten). */
	static const uint8_t good_bad[] = {2, 4, 0x05, 0xb4, 2, 5, 0x00, 0x01, 0x02};
	/* A bad MSS that runs exactly to the end of the header. */
	static const uint8_t to_end[] = {1, 1, 1, 1, 2, 8, 1, 2, 3, 4, 5, 6};
	struct tcp_seg seg;
	enum drop_reason why = DROP__MAX;

	(void)state;
	assert_int_equal(parse_opts(mss3, sizeof(mss3), &seg, &why), 0);
	assert_int_equal(why, DROP__MAX);
	assert_false(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 0);
	assert_true(seg.opts.has_wscale);
	assert_int_equal(seg.opts.wscale, 7);
	assert_true(seg.opts.sack_permitted);

	assert_int_equal(parse_opts(mss6, sizeof(mss6), &seg, NULL), 0);
	assert_false(seg.opts.has_mss);
	assert_true(seg.opts.has_ts);
	assert_int_equal(seg.opts.ts_val, 1);
	assert_int_equal(seg.opts.ts_ecr, 2);

	assert_int_equal(parse_opts(sack14, sizeof(sack14), &seg, NULL), 0);
	assert_int_equal(seg.opts.nb_sack, 0);
	assert_true(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 1400);

	assert_int_equal(parse_opts(sack2, sizeof(sack2), &seg, NULL), 0);
	assert_int_equal(seg.opts.nb_sack, 1);
	assert_int_equal(seg.opts.sack[0].left, 9);
	assert_int_equal(seg.opts.sack[0].right, 10);

	assert_int_equal(parse_opts(mixed, sizeof(mixed), &seg, NULL), 0);
	assert_false(seg.opts.has_ts || seg.opts.has_wscale || seg.opts.sack_permitted);
	assert_int_equal(seg.opts.ts_val, 0);
	assert_true(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 536);

	assert_int_equal(parse_opts(good_bad, sizeof(good_bad), &seg, NULL), 0);
	assert_true(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 1460);

	assert_int_equal(parse_opts(to_end, sizeof(to_end), &seg, NULL), 0);
	assert_false(seg.opts.has_mss);
	assert_int_equal(seg.hdr_len, 32);
}

/* A wrong length is forgiven only while the list stays walkable. */
static void test_opt_wrong_length_structure(void **state)
{
	/* MSS of length 6 with only 4 bytes left in the header: runs past it. */
	static const uint8_t mss_past[] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 6, 0, 0};
	/* SACK of length 13 with 12 bytes left. */
	static const uint8_t sack_past[] = {1, 1, 1, 1, 5, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* A skipped bad-length option followed by a length of 1. */
	static const uint8_t then_one[] = {2, 3, 0, 30, 1, 1, 1, 1};
	/* A skipped bad-length option followed by a kind without a length byte. */
	static const uint8_t then_none[] = {1, 1, 3, 2, 1, 1, 1, 8};
	/* The length must not borrow from the payload. */
	static const uint8_t ts_into_payload[] = {1, 1, 1, 1, 8, 12, 0, 0};
	uint8_t b[80];

	(void)state;
	expect_drop(b, mkseg(b, mss_past, sizeof(mss_past), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, sack_past, sizeof(sack_past), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, then_one, sizeof(then_one), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, then_none, sizeof(then_none), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, ts_into_payload, sizeof(ts_into_payload), 16),
		    DROP_TCP_BAD_OPTION);
}

static void test_opt_values(void **state)
{
	static const uint8_t o1[] = {2, 4, 0x23, 0x28};
	static const uint8_t o2[] = {1, 3, 3, 0};
	static const uint8_t o3[] = {1, 1, 4, 2};
	static const uint8_t o4[] = {1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
	struct tcp_seg seg;

	(void)state;
	assert_int_equal(parse_opts(o1, sizeof(o1), &seg, NULL), 0);
	assert_true(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 9000);
	assert_false(seg.opts.has_wscale || seg.opts.has_ts || seg.opts.sack_permitted);
	assert_int_equal(parse_opts(o2, sizeof(o2), &seg, NULL), 0);
	assert_true(seg.opts.has_wscale);
	assert_int_equal(seg.opts.wscale, 0);
	assert_false(seg.opts.has_mss);
	assert_int_equal(parse_opts(o3, sizeof(o3), &seg, NULL), 0);
	assert_true(seg.opts.sack_permitted);
	assert_int_equal(parse_opts(o4, sizeof(o4), &seg, NULL), 0);
	assert_true(seg.opts.has_ts);
	assert_int_equal(seg.opts.ts_val, 0xdeadbeef);
	assert_int_equal(seg.opts.ts_ecr, 0x01020304);
}

static void test_opt_past_header(void **state)
{
	static const uint8_t no_len[] = {1, 1, 1, 2};		/* length byte missing */
	static const uint8_t mss_past[] = {1, 1, 2, 4};		/* body past the end */
	static const uint8_t unk_past[] = {30, 8, 0, 0};
	static const uint8_t ts_past[] = {1, 1, 1, 1, 8, 10, 0, 0, 0, 0, 0, 0};
	static const uint8_t sack_past[] = {1, 1, 5, 10, 0, 0, 0, 0};
	static const uint8_t unk_last[] = {1, 1, 1, 30};	/* unknown kind, no length */
	uint8_t b[64];

	(void)state;

	expect_drop(b, mkseg(b, no_len, sizeof(no_len), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, mss_past, sizeof(mss_past), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, unk_past, sizeof(unk_past), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, ts_past, sizeof(ts_past), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, sack_past, sizeof(sack_past), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, unk_last, sizeof(unk_last), 0), DROP_TCP_BAD_OPTION);
	/* The options may not borrow from the payload either. */
	expect_drop(b, mkseg(b, mss_past, sizeof(mss_past), 8), DROP_TCP_BAD_OPTION);
}

static void test_opt_zero_length(void **state)
{
	static const uint8_t z_unk[] = {30, 0, 1, 1};
	static const uint8_t o_unk[] = {30, 1, 1, 1};
	static const uint8_t z_mss[] = {2, 0, 1, 1};
	static const uint8_t z_ts[] = {8, 0, 1, 1};
	static const uint8_t z_sack[] = {5, 0, 1, 1};
	uint8_t b[64];

	(void)state;
	expect_drop(b, mkseg(b, z_unk, sizeof(z_unk), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, o_unk, sizeof(o_unk), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, z_mss, sizeof(z_mss), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, z_ts, sizeof(z_ts), 0), DROP_TCP_BAD_OPTION);
	expect_drop(b, mkseg(b, z_sack, sizeof(z_sack), 0), DROP_TCP_BAD_OPTION);
}

static void test_opt_eol_garbage(void **state)
{
	/* MSS, EOL, then what would be a malformed option and an MSS: ignored. */
	static const uint8_t o[] = {2, 4, 5, 0xb4, 0, 30, 0, 2, 4, 0xff, 0xff, 0xee};
	static const uint8_t eol_first[] = {0, 2, 4, 5, 0xb4, 0xff, 0xff, 0xff};
	struct tcp_seg seg;

	(void)state;
	assert_int_equal(parse_opts(o, sizeof(o), &seg, NULL), 0);
	assert_true(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 1460);
	assert_int_equal(seg.hdr_len, 32);
	assert_int_equal(parse_opts(eol_first, sizeof(eol_first), &seg, NULL), 0);
	assert_false(seg.opts.has_mss);
}

static void test_opt_unknown_skipped(void **state)
{
	/* Fast Open cookie (34), MD5 (19, 18 bytes), experimental (254), then MSS and WS. */
	static const uint8_t o[] = {34, 6, 0x02, 0x04, 0x01, 0x01,
				    19, 18, 2, 4, 0, 1, 3, 3, 9, 1, 1, 1, 1, 1, 1, 1,
				    254, 2, 2, 4, 0x05, 0x78, 3, 3, 8};
	struct tcp_seg seg;

	(void)state;
	assert_int_equal(parse_opts(o, sizeof(o), &seg, NULL), 0);
	assert_true(seg.opts.has_mss);
	assert_int_equal(seg.opts.mss, 0x0578);
	assert_true(seg.opts.has_wscale);
	assert_int_equal(seg.opts.wscale, 8);
	assert_false(seg.opts.has_ts);
}

static void test_opt_duplicate_last_wins(void **state)
{
	static const uint8_t o[] = {2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18};
	struct tcp_seg seg;

	(void)state;
	assert_int_equal(parse_opts(o, sizeof(o), &seg, NULL), 0);
	assert_int_equal(seg.opts.mss, 536);
}

static void test_opt_wscale_clamp(void **state)
{
	static const uint8_t shifts[] = {0, 1, 7, 13, 14, 15, 16, 100, 255};
	uint8_t o[4] = {1, 3, 3, 0};
	struct tcp_seg seg;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(shifts); i++) {
		o[3] = shifts[i];
		assert_int_equal(parse_opts(o, sizeof(o), &seg, NULL), 0);
		assert_true(seg.opts.has_wscale);
		assert_int_equal(seg.opts.wscale, shifts[i] > 14 ? 14 : shifts[i]);
	}
}

static void test_opt_sack_blocks(void **state)
{
	uint8_t o[40];
	struct tcp_seg seg;
	enum drop_reason why;
	unsigned int n, i;

	(void)state;
	for (n = 1; n <= 4; n++) {
		o[0] = 1;
		o[1] = 1;
		o[2] = TCP_OPT_SACK;
		o[3] = (uint8_t)(2 + 8 * n);
		for (i = 0; i < n; i++) {
			uint8_t *p = o + 4 + 8 * i;
			uint32_t l = 0xfffffff0u + 0x100 * i, r = l + 0x80;

			p[0] = (uint8_t)(l >> 24);
			p[1] = (uint8_t)(l >> 16);
			p[2] = (uint8_t)(l >> 8);
			p[3] = (uint8_t)l;
			p[4] = (uint8_t)(r >> 24);
			p[5] = (uint8_t)(r >> 16);
			p[6] = (uint8_t)(r >> 8);
			p[7] = (uint8_t)r;
		}
		assert_int_equal(parse_opts(o, 4 + 8 * n, &seg, NULL), 0);
		assert_int_equal(seg.opts.nb_sack, n);
		for (i = 0; i < n; i++) {
			assert_int_equal(seg.opts.sack[i].left, 0xfffffff0u + 0x100 * i);
			assert_int_equal(seg.opts.sack[i].right, 0xfffffff0u + 0x100 * i + 0x80);
		}
	}
	/*
	 * A length that is not 2 + 8n, inside an area that holds it: ignored,
	 * and the NOPs after it parsed.
	 */
	for (i = 3; i < 34; i++) {
		uint8_t w[36];

		if ((i - 2) % 8 == 0) {
			continue;
		}
		memcpy(w, o, sizeof(w));
		w[3] = (uint8_t)i;
		memset(w + 2 + i, TCP_OPT_NOP, sizeof(w) - 2 - i);
		why = DROP__MAX;
		assert_int_equal(parse_opts(w, sizeof(w), &seg, &why), 0);
		assert_int_equal(why, DROP__MAX);
		assert_int_equal(seg.opts.nb_sack, 0);
	}
	/* No blocks at all: ignored too. */
	o[3] = 2;
	assert_int_equal(parse_opts(o, 4, &seg, &why), 0);
	assert_int_equal(seg.opts.nb_sack, 0);
	/* Five blocks cannot fit: 2 + 40 > 40, the length runs past the area. */
	o[3] = 2 + 8 * 5;
	assert_int_equal(parse_opts(o, 36, &seg, &why), -EBADMSG);
	assert_int_equal(why, DROP_TCP_BAD_OPTION);
}

/* Options that make sense only on a SYN are reported on any segment. */
static void test_opt_syn_only_on_ack(void **state)
{
	uint8_t b[64];
	struct tcp_seg seg;

	(void)state;
	memcpy(b, syn_bytes, sizeof(syn_bytes));
	b[13] = TCP_FLAG_ACK;
	seal4(b, 40);
	assert_int_equal(parse_copy(b, 40, &seg, NULL), 0);
	assert_true(seg.opts.has_mss && seg.opts.has_wscale && seg.opts.sack_permitted);
}

/* ------------------------------------------------------------------------- */
/* Header                                                                     */

static void test_data_offset(void **state)
{
	uint8_t b[60];
	unsigned int doff;

	(void)state;
	memset(b, 1, sizeof(b));	/* options all NOP */
	for (doff = 0; doff < 5; doff++) {
		b[12] = (uint8_t)(doff << 4);
		expect_drop(b, sizeof(b), DROP_TCP_BAD_OFFSET);
	}
	/* Data offset 6 (24 bytes) on 20..23 bytes. */
	b[12] = 6 << 4;
	expect_drop(b, 20, DROP_TCP_BAD_OFFSET);
	expect_drop(b, 23, DROP_TCP_BAD_OFFSET);
	/* 15 words on 59 bytes, then on 60. */
	b[12] = 15 << 4;
	expect_drop(b, 59, DROP_TCP_BAD_OFFSET);
	{
		struct tcp_seg seg;

		b[13] = TCP_FLAG_ACK;
		assert_int_equal(parse_copy(b, 60, &seg, NULL), 0);
		assert_int_equal(seg.hdr_len, 60);
		assert_int_equal(seg.payload_len, 0);
	}
}

static void test_reserved_bits_ignored(void **state)
{
	uint8_t b[64];
	struct tcp_seg seg;
	size_t n = mkseg(b, NULL, 0, 3);

	(void)state;
	b[12] |= 0x0f;
	assert_int_equal(parse_copy(b, n, &seg, NULL), 0);
	assert_int_equal(seg.hdr_len, 20);
	assert_int_equal(seg.payload_len, 3);
}

/* Every prefix of a full segment, each in a heap buffer of exactly that size. */
static void test_truncation(void **state)
{
	uint8_t b[64];
	struct tcp_seg seg;
	enum drop_reason why;
	size_t full, len;

	(void)state;
	memcpy(b, syn_bytes, sizeof(syn_bytes));
	memcpy(b + 40, "abcdefghijk", 11);
	full = 51;
	seal4(b, full);
	for (len = 0; len <= full; len++) {
		int rc;

		why = DROP__MAX;
		rc = parse_copy(b, len, &seg, &why);
		if (len < 20) {
			assert_int_equal(rc, -EBADMSG);
			assert_int_equal(why, DROP_TCP_TOO_SHORT);
		} else if (len < 40) {
			assert_int_equal(rc, -EBADMSG);
			assert_int_equal(why, DROP_TCP_BAD_OFFSET);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(why, DROP__MAX);	/* untouched on success */
			assert_int_equal(seg.hdr_len, 40);
			assert_int_equal(seg.payload_len, len - 40);
			assert_ptr_equal(seg.payload, b + 40);
			assert_int_equal(seg.opts.mss, 1460);
		}
	}
}

static void test_flags(void **state)
{
	uint8_t b[64];
	struct tcp_seg seg;
	enum drop_reason why;
	unsigned int f;
	size_t n = mkseg(b, NULL, 0, 0);

	(void)state;
	for (f = 0; f < 256; f++) {
		bool syn = f & TCP_FLAG_SYN, fin = f & TCP_FLAG_FIN, rst = f & TCP_FLAG_RST;
		int rc;

		b[13] = (uint8_t)f;
		why = DROP__MAX;
		rc = parse_copy(b, n, &seg, &why);
		if (syn && (fin || rst)) {
			assert_int_equal(rc, -EBADMSG);
			assert_int_equal(why, DROP_TCP_BAD_FLAGS);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(seg.flags, f);
		}
	}
	/* The flag values themselves (RFC 9293 3.1, RFC 3168). */
	assert_int_equal(TCP_FLAG_FIN | TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_PSH | TCP_FLAG_ACK |
			 TCP_FLAG_URG | TCP_FLAG_ECE | TCP_FLAG_CWR, 0xff);
	assert_int_equal(TCP_FLAG_ACK, 0x10);
	assert_int_equal(TCP_FLAG_CWR, 0x80);
}

static void test_urg_and_why_null(void **state)
{
	uint8_t b[64];
	struct tcp_seg seg;
	size_t n = mkseg(b, NULL, 0, 4);

	(void)state;
	b[13] |= TCP_FLAG_URG;
	put16(b + 18, 3);
	assert_int_equal(parse_copy(b, n, &seg, NULL), 0);
	assert_int_equal(seg.urg_ptr, 3);
	assert_int_equal(seg.sport, 1234);
	assert_int_equal(seg.dport, 80);
	assert_int_equal(seg.seq, 0x11000001);
	assert_int_equal(seg.ack, 0x00000002);
	assert_int_equal(seg.window, 1000);
	assert_int_equal(parse_copy(b, 19, &seg, NULL), -EBADMSG);
}

static void test_drop_names(void **state)
{
	(void)state;
	assert_string_equal(drop_reason_name(DROP_TCP_TOO_SHORT), "tcp_too_short");
	assert_string_equal(drop_reason_name(DROP_TCP_BAD_OFFSET), "tcp_bad_data_offset");
	assert_string_equal(drop_reason_name(DROP_TCP_BAD_CSUM), "tcp_bad_checksum");
	assert_string_equal(drop_reason_name(DROP_TCP_BAD_OPTION), "tcp_bad_option");
	assert_string_equal(drop_reason_name(DROP_TCP_BAD_FLAGS), "tcp_bad_flags");
	assert_string_equal(drop_reason_name(DROP_TCP_RST_NO_CONN), "tcp_rst_no_connection");
	assert_false(drop_reason_is_consumed(DROP_TCP_BAD_CSUM));
}

/* ------------------------------------------------------------------------- */
/* Sequence numbers                                                           */

static void test_seq(void **state)
{
	(void)state;
	assert_true(tcp_seq_lt(1, 2));
	assert_false(tcp_seq_lt(2, 1));
	assert_false(tcp_seq_lt(5, 5));
	assert_true(tcp_seq_leq(5, 5));
	assert_true(tcp_seq_geq(5, 5));
	assert_false(tcp_seq_gt(5, 5));
	/* Across the wrap: 0xffffffff is just before 0. */
	assert_true(tcp_seq_lt(0xffffffffu, 0));
	assert_true(tcp_seq_gt(0, 0xffffffffu));
	assert_true(tcp_seq_leq(0xfffffff0u, 0x10));
	assert_true(tcp_seq_geq(0x10, 0xfffffff0u));
	assert_false(tcp_seq_gt(0xfffffff0u, 0x10));
	assert_false(tcp_seq_lt(0x10, 0xfffffff0u));
	/* Up to 2^31 - 1 ahead is "after". */
	assert_true(tcp_seq_gt(0x7fffffffu, 0));
	assert_true(tcp_seq_lt(0, 0x7fffffffu));
	assert_true(tcp_seq_gt(0x80000005u, 6));
	assert_true(tcp_seq_lt(0x80000006u, 5));	/* 2^31 + 1 ahead is behind */
	assert_true(tcp_seq_gt(5, 0x80000006u));
	assert_int_equal(tcp_seq_max(0xfffffff0u, 0x10), 0x10);
	assert_int_equal(tcp_seq_min(0xfffffff0u, 0x10), 0xfffffff0u);
	assert_int_equal(tcp_seq_max(3, 4), 4);
	assert_int_equal(tcp_seq_min(3, 4), 3);
	/* between, inclusive at both ends, wrapping. */
	assert_true(tcp_seq_between(0, 0xfffffff0u, 0x10));
	assert_true(tcp_seq_between(0xfffffff0u, 0xfffffff0u, 0x10));
	assert_true(tcp_seq_between(0x10, 0xfffffff0u, 0x10));
	assert_false(tcp_seq_between(0x11, 0xfffffff0u, 0x10));
	assert_false(tcp_seq_between(0xffffffefu, 0xfffffff0u, 0x10));
	assert_true(tcp_seq_between(100, 100, 100));
	assert_false(tcp_seq_between(101, 100, 100));
	assert_true(tcp_seq_between(150, 100, 200));
	assert_false(tcp_seq_between(99, 100, 200));
}

/* ------------------------------------------------------------------------- */
/* Builder                                                                    */

/* Build |seg|, fill the IPv4 checksum over |pay|, and compare with |expect|. */
static void build_expect(const struct tcp_seg *seg, const uint8_t *pay, size_t pay_len,
			 const uint8_t *expect, size_t hlen)
{
	uint8_t b[80], want[128];
	size_t i;

	memset(b, 0xee, sizeof(b));
	assert_int_equal(tcp_build_len(&seg->opts), hlen);
	assert_int_equal(tcp_build(seg, b, sizeof(b)), (int)hlen);
	for (i = hlen; i < sizeof(b); i++) {
		assert_int_equal(b[i], 0xee);	/* nothing past the header */
	}
	assert_int_equal(get16(b + 16), 0);	/* checksum left zero */
	assert_memory_equal(b, expect, hlen);
	tcp_csum4_fill(b, hlen, pay, pay_len, be32(src4), be32(dst4));
	memcpy(want, expect, hlen);
	if (pay_len != 0) {
		memcpy(want + hlen, pay, pay_len);
	}
	seal4(want, hlen + pay_len);
	assert_memory_equal(b, want, hlen);
	/* The checksum also verifies over the contiguous segment. */
	if (pay_len != 0) {
		memcpy(b + hlen, pay, pay_len);
	}
	assert_int_equal(tcp_csum4(be32(src4), be32(dst4), b, hlen + pay_len), 0);
}

static void test_build_syn(void **state)
{
	struct tcp_seg seg = {
		.sport = 43210, .dport = 7, .seq = 0x12345678, .ack = 0,
		.flags = TCP_FLAG_SYN, .window = 64240,
		.opts = {.has_mss = true, .mss = 1460, .sack_permitted = true, .has_ts = true,
			 .ts_val = 0x000a1b2c, .ts_ecr = 0, .has_wscale = true, .wscale = 7},
	};

	(void)state;
	build_expect(&seg, NULL, 0, syn_bytes, 40);
}

static void test_build_synack(void **state)
{
	struct tcp_seg seg = {
		.sport = 7, .dport = 43210, .seq = 0x9abcdef0, .ack = 0x12345679,
		.flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .window = 65160,
		.opts = {.has_mss = true, .mss = 1440, .sack_permitted = true, .has_ts = true,
			 .ts_val = 0x7f000001, .ts_ecr = 0x000a1b2c, .has_wscale = true,
			 .wscale = 9},
	};

	(void)state;
	build_expect(&seg, NULL, 0, synack_bytes, 40);
}

static void test_build_data_ts(void **state)
{
	struct tcp_seg seg = {
		.sport = 43210, .dport = 7, .seq = 0x12345679, .ack = 0x9abcdef1,
		.flags = TCP_FLAG_PSH | TCP_FLAG_ACK, .window = 502,
		.opts = {.has_ts = true, .ts_val = 0x000a1b40, .ts_ecr = 0x7f000001},
	};

	(void)state;
	build_expect(&seg, data_bytes + 32, 17, data_bytes, 32);
}

static void test_build_sack3(void **state)
{
	struct tcp_seg seg = {
		.sport = 7, .dport = 43210, .seq = 0x9abcdef1, .ack = 0x12346000,
		.flags = TCP_FLAG_ACK, .window = 501,
		.opts = {.has_ts = true, .ts_val = 0x7f000010, .ts_ecr = 0x000a1b50, .nb_sack = 3,
			 .sack = {{0x12349000, 0x1234a000}, {0x12347000, 0x12348000},
				  {0xffffff00, 0x00000100}}},
	};

	(void)state;
	build_expect(&seg, NULL, 0, sack_bytes, 60);
	/* A fourth block does not fit beside timestamps: the first three are kept. */
	seg.opts.nb_sack = 4;
	seg.opts.sack[3].left = 1;
	seg.opts.sack[3].right = 2;
	assert_int_equal(tcp_build_nb_sack(&seg.opts), 3);
	build_expect(&seg, NULL, 0, sack_bytes, 60);
}

static void test_build_layouts(void **state)
{
	static const uint8_t bare[20] = {0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0x50, 0x04, 0, 0};
	static const uint8_t sackperm[4] = {1, 1, 4, 2};
	static const uint8_t ws14[4] = {1, 3, 3, 14};
	static const uint8_t sack4[36] = {1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
					  4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8};
	struct tcp_seg seg = {.sport = 1, .dport = 2, .seq = 3, .ack = 4, .flags = TCP_FLAG_RST};
	uint8_t b[60];
	unsigned int i;

	(void)state;
	assert_int_equal(tcp_build(&seg, b, sizeof(b)), 20);
	assert_memory_equal(b, bare, 20);

	seg.opts.sack_permitted = true;		/* without TS: NOP NOP SACK_PERM */
	assert_int_equal(tcp_build(&seg, b, sizeof(b)), 24);
	assert_int_equal(b[12], 0x60);
	assert_memory_equal(b + 20, sackperm, 4);

	seg.opts.sack_permitted = false;
	seg.opts.has_wscale = true;
	seg.opts.wscale = 200;			/* clamped to 14 on the wire */
	assert_int_equal(tcp_build(&seg, b, sizeof(b)), 24);
	assert_memory_equal(b + 20, ws14, 4);

	seg.opts.has_wscale = false;
	seg.opts.nb_sack = 4;			/* without TS all four fit */
	for (i = 0; i < 4; i++) {
		seg.opts.sack[i].left = 2 * i + 1;
		seg.opts.sack[i].right = 2 * i + 2;
	}
	assert_int_equal(tcp_build_nb_sack(&seg.opts), 4);
	assert_int_equal(tcp_build(&seg, b, sizeof(b)), 56);
	assert_int_equal(b[12], 0xe0);
	assert_memory_equal(b + 20, sack4, 36);

	seg.opts.nb_sack = 250;			/* nonsense count: never more than 4 */
	assert_int_equal(tcp_build_nb_sack(&seg.opts), 4);
	assert_int_equal(tcp_build(&seg, b, sizeof(b)), 56);

	/* A SYN with everything leaves room for 2 blocks, MSS and WS alone for 3. */
	seg.opts.nb_sack = 4;
	seg.opts.has_mss = true;
	seg.opts.has_ts = true;
	seg.opts.has_wscale = true;
	assert_int_equal(tcp_build_nb_sack(&seg.opts), 2);
	assert_int_equal(tcp_build_len(&seg.opts), 60);
	seg.opts.has_ts = false;
	assert_int_equal(tcp_build_nb_sack(&seg.opts), 3);
	assert_int_equal(tcp_build_len(&seg.opts), 20 + 4 + 4 + 4 + 24);
	seg.opts.nb_sack = 0;
	assert_int_equal(tcp_build_nb_sack(&seg.opts), 0);
}

static void test_build_enospc(void **state)
{
	uint8_t b[60];
	struct tcp_seg seg;
	size_t cap;

	(void)state;
	memset(&seg, 0, sizeof(seg));
	seg.opts.has_ts = true;
	seg.opts.nb_sack = 3;
	for (cap = 0; cap < 60; cap++) {
		memset(b, 0xee, sizeof(b));
		assert_int_equal(tcp_build(&seg, b, cap), -ENOSPC);
		for (size_t i = 0; i < sizeof(b); i++) {
			assert_int_equal(b[i], 0xee);
		}
	}
	assert_int_equal(tcp_build(&seg, b, 60), 60);
	memset(&seg.opts, 0, sizeof(seg.opts));
	assert_int_equal(tcp_build(&seg, b, 19), -ENOSPC);
	assert_int_equal(tcp_build(&seg, b, 20), 20);
}

static void assert_same(const struct tcp_seg *a, const struct tcp_seg *b)
{
	unsigned int n = tcp_build_nb_sack(&a->opts), i;

	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->ack, b->ack);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->window, b->window);
	assert_int_equal(a->urg_ptr, b->urg_ptr);
	assert_int_equal(a->opts.has_mss, b->opts.has_mss);
	if (a->opts.has_mss) {
		assert_int_equal(a->opts.mss, b->opts.mss);
	}
	assert_int_equal(a->opts.has_wscale, b->opts.has_wscale);
	if (a->opts.has_wscale) {
		assert_int_equal(a->opts.wscale > 14 ? 14 : a->opts.wscale, b->opts.wscale);
	}
	assert_int_equal(a->opts.sack_permitted, b->opts.sack_permitted);
	assert_int_equal(a->opts.has_ts, b->opts.has_ts);
	if (a->opts.has_ts) {
		assert_int_equal(a->opts.ts_val, b->opts.ts_val);
		assert_int_equal(a->opts.ts_ecr, b->opts.ts_ecr);
	}
	assert_int_equal(b->opts.nb_sack, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(a->opts.sack[i].left, b->opts.sack[i].left);
		assert_int_equal(a->opts.sack[i].right, b->opts.sack[i].right);
	}
}

/* Builder -> parser over every combination of options. */
static void test_round_trip(void **state)
{
	uint8_t b[60];
	struct tcp_seg in, out;
	unsigned int m;

	(void)state;
	for (m = 0; m < 16 * 5; m++) {
		int hlen;

		memset(&in, 0, sizeof(in));
		in.sport = (uint16_t)(40000 + m);
		in.dport = 443;
		in.seq = 0xfffffff0u + m;
		in.ack = 0x80000000u ^ m;
		in.flags = (uint8_t)(m & 1 ? TCP_FLAG_SYN | TCP_FLAG_ACK :
				      TCP_FLAG_ACK | TCP_FLAG_PSH);
		in.window = (uint16_t)(0xffff - m);
		in.urg_ptr = (uint16_t)m;
		in.opts.has_mss = m & 1;
		in.opts.mss = (uint16_t)(1460 - m);
		in.opts.has_ts = (m >> 1) & 1;
		in.opts.ts_val = 0xdead0000u + m;
		in.opts.ts_ecr = 0xbeef0000u + m;
		in.opts.sack_permitted = (m >> 2) & 1;
		in.opts.has_wscale = (m >> 3) & 1;
		in.opts.wscale = (uint8_t)(m % 17);
		in.opts.nb_sack = (uint8_t)(m / 16);
		for (unsigned int i = 0; i < 4; i++) {
			in.opts.sack[i].left = 0xffff0000u * i + m;
			in.opts.sack[i].right = in.opts.sack[i].left + 1000;
		}
		hlen = tcp_build(&in, b, sizeof(b));
		assert_true(hlen >= 20 && hlen <= 60 && hlen % 4 == 0);
		assert_int_equal((size_t)hlen, tcp_build_len(&in.opts));
		assert_int_equal(parse_copy(b, (size_t)hlen, &out, NULL), 0);
		assert_int_equal(out.hdr_len, hlen);
		assert_int_equal(out.payload_len, 0);
		assert_same(&in, &out);
	}
}

/* Parser -> builder reproduces the Linux-layout segments byte for byte. */
static void test_parse_build_identity(void **state)
{
	static const struct {
		const uint8_t *b;
		size_t hlen;
	} segs[] = {{syn_bytes, 40}, {synack_bytes, 40}, {data_bytes, 32}, {sack_bytes, 60}};
	struct tcp_seg seg;
	uint8_t o[60];
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(parse_copy(segs[i].b, segs[i].hlen, &seg, NULL), 0);
		assert_int_equal(tcp_build(&seg, o, sizeof(o)), (int)segs[i].hlen);
		assert_memory_equal(o, segs[i].b, segs[i].hlen);
	}
}

/* ------------------------------------------------------------------------- */
/* Checksums                                                                  */

static void test_csum4(void **state)
{
	static const size_t pays[] = {0, 1, 2, 17, 64, 1447};
	struct tcp_seg seg = {.sport = 1, .dport = 2, .seq = 3, .ack = 4, .flags = TCP_FLAG_ACK,
			      .window = 5, .opts = {.has_ts = true, .ts_val = 7, .ts_ecr = 8}};
	uint8_t *b, *pay;
	unsigned int k;

	(void)state;
	for (k = 0; k < sizeof(pays) / sizeof(pays[0]); k++) {
		size_t n = pays[k], i;
		int hlen;

		b = malloc(32 + n);
		pay = malloc(n + 1);
		assert_non_null(b);
		assert_non_null(pay);
		for (i = 0; i < n; i++) {
			pay[i] = (uint8_t)(0xff - i * 13);
		}
		hlen = tcp_build(&seg, b, 32);
		assert_int_equal(hlen, 32);
		b[16] = 0xab;	/* fill ignores whatever the field held */
		tcp_csum4_fill(b, 32, n != 0 ? pay : NULL, n, be32(src4), be32(dst4));
		memcpy(b + 32, pay, n);
		assert_int_equal(get16(b + 16), ck_seg(b, 32 + n, phdr4(32 + n)));
		assert_int_equal(tcp_csum4(be32(src4), be32(dst4), b, 32 + n), 0);
		/* Over the segment with the field zeroed, tcp_csum4 is the checksum itself. */
		{
			uint16_t want = get16(b + 16), got;
			uint8_t wire[2];

			b[16] = 0;
			b[17] = 0;
			got = tcp_csum4(be32(src4), be32(dst4), b, 32 + n);
			put16(wire, want);
			assert_memory_equal(&got, wire, 2);
			put16(b + 16, want);
		}
		/* A flipped bit anywhere, or the wrong address, fails. */
		b[32 + n - 1] ^= 0x04;
		assert_int_not_equal(tcp_csum4(be32(src4), be32(dst4), b, 32 + n), 0);
		b[32 + n - 1] ^= 0x04;
		assert_int_not_equal(tcp_csum4(be32(dst4), be32(dst4), b, 32 + n), 0);
		free(b);
		free(pay);
	}
}

static void test_csum6(void **state)
{
	static const size_t pays[] = {0, 1, 17, 1001};
	struct tcp_seg seg = {.sport = 443, .dport = 55555, .seq = 0xffffffff, .ack = 1,
			      .flags = TCP_FLAG_ACK | TCP_FLAG_FIN, .window = 0xffff};
	uint8_t *b, *pay;
	unsigned int k;

	(void)state;
	for (k = 0; k < sizeof(pays) / sizeof(pays[0]); k++) {
		size_t n = pays[k], i;

		b = malloc(20 + n);
		pay = malloc(n + 1);
		assert_non_null(b);
		assert_non_null(pay);
		for (i = 0; i < n; i++) {
			pay[i] = (uint8_t)(i * 31 + 5);
		}
		assert_int_equal(tcp_build(&seg, b, 20), 20);
		tcp_csum6_fill(b, 20, pay, n, src6, dst6);
		memcpy(b + 20, pay, n);
		assert_int_equal(get16(b + 16), ck_seg(b, 20 + n, phdr6(20 + n)));
		assert_int_equal(tcp_csum6(src6, dst6, b, 20 + n), 0);
		b[5] ^= 0x80;
		assert_int_not_equal(tcp_csum6(src6, dst6, b, 20 + n), 0);
		b[5] ^= 0x80;
		assert_int_not_equal(tcp_csum6(dst6, dst6, b, 20 + n), 0);
		free(b);
		free(pay);
	}
}

/*
 * For TX offload the field holds the uncomplemented pseudo-header sum; the NIC
 * then sums the whole segment and stores the complement, which must equal the
 * full software checksum.
 */
static void test_csum_offload(void **state)
{
	uint8_t b[sizeof(data_bytes)];
	uint16_t sw;
	uint32_t s;
	size_t n = sizeof(data_bytes);

	(void)state;
	memcpy(b, data_bytes, n);
	tcp_csum4_offload(b, n, be32(src4), be32(dst4));
	s = phdr4(n);
	while (s >> 16) {
		s = (s & 0xffff) + (s >> 16);
	}
	assert_int_equal(get16(b + 16), s);
	sw = ck_seg(b, n, phdr4(n));
	assert_int_equal(ck(b, n, 0), sw);		/* what the NIC would write */

	tcp_csum6_offload(b, n, src6, dst6);
	s = phdr6(n);
	while (s >> 16) {
		s = (s & 0xffff) + (s >> 16);
	}
	assert_int_equal(get16(b + 16), s);
	assert_int_equal(ck(b, n, 0), ck_seg(b, n, phdr6(n)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_syn),
		cmocka_unit_test(test_parse_synack),
		cmocka_unit_test(test_parse_data_ts),
		cmocka_unit_test(test_parse_sack),
		cmocka_unit_test(test_opt_every_length),
		cmocka_unit_test(test_opt_values),
		cmocka_unit_test(test_opt_wrong_length_ignored),
		cmocka_unit_test(test_opt_wrong_length_structure),
		cmocka_unit_test(test_opt_past_header),
		cmocka_unit_test(test_opt_zero_length),
		cmocka_unit_test(test_opt_eol_garbage),
		cmocka_unit_test(test_opt_unknown_skipped),
		cmocka_unit_test(test_opt_duplicate_last_wins),
		cmocka_unit_test(test_opt_wscale_clamp),
		cmocka_unit_test(test_opt_sack_blocks),
		cmocka_unit_test(test_opt_syn_only_on_ack),
		cmocka_unit_test(test_data_offset),
		cmocka_unit_test(test_reserved_bits_ignored),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_urg_and_why_null),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_build_syn),
		cmocka_unit_test(test_build_synack),
		cmocka_unit_test(test_build_data_ts),
		cmocka_unit_test(test_build_sack3),
		cmocka_unit_test(test_build_layouts),
		cmocka_unit_test(test_build_enospc),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_build_identity),
		cmocka_unit_test(test_csum4),
		cmocka_unit_test(test_csum6),
		cmocka_unit_test(test_csum_offload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
