/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tcp_input.c - libFuzzer harness for the TCP wire format
 * (dataplane/tcp/tcp_wire.h).
 *
 * Each input is one TCP segment (the IP payload). It is parsed from a heap
 * buffer of exactly its size, so that AddressSanitizer sees any read past it.
 * Beyond "no crash", it checks the contract of tcp_wire.h:
 *   - a rejection is -EBADMSG with one of the TCP drop reasons, and the reason
 *     matches the input (too short, data offset, flags, options);
 *   - on success: 20 <= hdr_len <= 60, hdr_len <= len, the fixed fields are
 *     the bytes of the input, the payload is the rest of the input, at most 4
 *     SACK blocks, window scale <= 14, never SYN with FIN or RST;
 *   - options: a second, index-based parser written here agrees on which
 *     option lists are malformed and on every value of the others;
 *   - round trip: building a header from the parsed segment and parsing it
 *     again gives the same fields and options (SACK blocks up to what fits
 *     beside the other options), building that again gives the same bytes,
 *     and a smaller buffer gets -ENOSPC;
 *   - checksums: tcp_csum4/tcp_csum6 over the input agree with a byte-wise
 *     RFC 1071 sum written here, and a header filled by tcp_csum4_fill or
 *     tcp_csum6_fill verifies as 0 together with the input's payload.
 *
 * The custom mutator (used by libFuzzer, and by fuzz_driver.c without it)
 * sometimes writes a fresh segment from an option grammar (valid options,
 * wrong lengths, unknown kinds, EOL and trailing garbage) and, after a plain
 * mutation, often fixes the data offset so that mutations reach the options.
 *
 * Build: meson -Dfuzz=true (clang, -fsanitize=fuzzer); otherwise the same
 * file links with fuzz_driver.c and runs as the 'fuzz' meson test suite.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tcp_wire.h"


#define MAX_SEG 65535


static const uint8_t src4[4] = {198, 51, 100, 9};
static const uint8_t dst4[4] = {203, 0, 113, 250};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 0x09};
static const uint8_t dst6[16] = {0xfe, 0x80, [8] = 0x02, [15] = 0xfa};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t be32(const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a, 4);
	return v;
}

/* RFC 1071 over big-endian words, byte by byte, independent of net_sum. */
static uint64_t sum(const uint8_t *p, size_t n, uint64_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		s += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (n & 1) {
		s += (uint32_t)p[n - 1] << 8;
	}
	return s;
}

static uint16_t fold_not(uint64_t s)
{
	while (s >> 16) {
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

/* The result of tcp_csum* (memory order) as a big-endian value. */
static uint16_t wire16(uint16_t mem)
{
	uint8_t b[2];

	memcpy(b, &mem, 2);
	return rd16(b);
}

static void check_csums(const uint8_t *buf, size_t size)
{
	uint64_t p4 = sum(src4, 4, 0) + sum(dst4, 4, 0) + 6 + size;
	uint64_t p6 = sum(src6, 16, 0) + sum(dst6, 16, 0) + 6 + (size >> 16) + (size & 0xffff);

	CHECK(wire16(tcp_csum4(be32(src4), be32(dst4), buf, size)) == fold_not(sum(buf, size, p4)));
	CHECK(wire16(tcp_csum6(src6, dst6, buf, size)) == fold_not(sum(buf, size, p6)));
}

static bool is_tcp_reason(enum drop_reason r)
{
	return r == DROP_TCP_TOO_SHORT || r == DROP_TCP_BAD_OFFSET || r == DROP_TCP_BAD_OPTION ||
	       r == DROP_TCP_BAD_FLAGS;
}

static bool bad_flags(uint8_t f)
{
	return (f & TCP_FLAG_SYN) != 0 && (f & (TCP_FLAG_FIN | TCP_FLAG_RST)) != 0;
}

/*
 * A second option parser, index-based and written from RFC 9293 3.1 and the
 * contract in tcp_wire.h rather than from tcp_wire.c, for a differential check
 * of the |n| bytes of options at |o|. Returns false if they are malformed (a
 * length byte missing, below 2 or past the end); a known kind of the wrong
 * length is skipped like an unknown one and not recorded.
 */
static bool ref_opts(const uint8_t *o, size_t n, struct tcp_opts *r)
{
	size_t i = 0, l, b;

	memset(r, 0, sizeof(*r));
	while (i < n && o[i] != TCP_OPT_EOL) {
		if (o[i] == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n) {
			return false;
		}
		l = o[i + 1];
		if (l < 2 || i + l > n) {
			return false;
		}
		switch (o[i]) {
		case TCP_OPT_MSS:
			if (l == 4) {
				r->has_mss = true;
				r->mss = rd16(o + i + 2);
			}
			break;
		case TCP_OPT_WS:
			if (l == 3) {
				r->has_wscale = true;
				r->wscale = o[i + 2] > 14 ? 14 : o[i + 2];
			}
			break;
		case TCP_OPT_SACK_PERM:
			if (l == 2) {
				r->sack_permitted = true;
			}
			break;
		case TCP_OPT_TS:
			if (l == 10) {
				r->has_ts = true;
				r->ts_val = rd32(o + i + 2);
				r->ts_ecr = rd32(o + i + 6);
			}
			break;
		case TCP_OPT_SACK:
			if (l != 10 && l != 18 && l != 26 && l != 34) {
				break;
			}
			r->nb_sack = (uint8_t)((l - 2) / 8);
			for (b = 0; b < r->nb_sack; b++) {
				r->sack[b].left = rd32(o + i + 2 + 8 * b);
				r->sack[b].right = rd32(o + i + 6 + 8 * b);
			}
			break;
		default:
			break;
		}
		i += l;
	}
	return true;
}

static void check_opts_equal(const struct tcp_opts *a, const struct tcp_opts *b)
{
	unsigned int i;

	CHECK(a->has_mss == b->has_mss && a->mss == b->mss);
	CHECK(a->has_wscale == b->has_wscale && a->wscale == b->wscale);
	CHECK(a->sack_permitted == b->sack_permitted);
	CHECK(a->has_ts == b->has_ts && a->ts_val == b->ts_val && a->ts_ecr == b->ts_ecr);
	CHECK(a->nb_sack == b->nb_sack);
	for (i = 0; i < a->nb_sack; i++) {
		CHECK(a->sack[i].left == b->sack[i].left && a->sack[i].right == b->sack[i].right);
	}
}

static void check_reject(const uint8_t *buf, size_t size, int rc, enum drop_reason why)
{
	struct tcp_opts ref;

	size_t hlen;

	CHECK(rc == -EBADMSG);
	CHECK(is_tcp_reason(why));
	if (size < TCP_HDR_MIN) {
		CHECK(why == DROP_TCP_TOO_SHORT);
		return;
	}
	CHECK(why != DROP_TCP_TOO_SHORT);
	hlen = (size_t)(buf[12] >> 4) * 4;
	if (hlen < TCP_HDR_MIN || hlen > size) {
		CHECK(why == DROP_TCP_BAD_OFFSET);
		return;
	}
	CHECK(why != DROP_TCP_BAD_OFFSET);
	CHECK((why == DROP_TCP_BAD_FLAGS) == bad_flags(buf[13]));
	if (why == DROP_TCP_BAD_OPTION) {
		CHECK(!ref_opts(buf + TCP_HDR_MIN, hlen - TCP_HDR_MIN, &ref));
	}
}

static void check_same(const struct tcp_seg *a, const struct tcp_seg *b)
{
	unsigned int n = tcp_build_nb_sack(&a->opts), i;

	CHECK(a->sport == b->sport && a->dport == b->dport);
	CHECK(a->seq == b->seq && a->ack == b->ack);
	CHECK(a->flags == b->flags && a->window == b->window && a->urg_ptr == b->urg_ptr);
	CHECK(a->opts.has_mss == b->opts.has_mss);
	CHECK(!a->opts.has_mss || a->opts.mss == b->opts.mss);
	CHECK(a->opts.has_wscale == b->opts.has_wscale);
	CHECK(!a->opts.has_wscale || a->opts.wscale == b->opts.wscale);
	CHECK(a->opts.sack_permitted == b->opts.sack_permitted);
	CHECK(a->opts.has_ts == b->opts.has_ts);
	CHECK(!a->opts.has_ts || (a->opts.ts_val == b->opts.ts_val &&
				  a->opts.ts_ecr == b->opts.ts_ecr));
	CHECK(n <= a->opts.nb_sack && b->opts.nb_sack == n);
	/* Trimming happens only when the blocks do not fit. */
	CHECK(n == a->opts.nb_sack || tcp_build_len(&a->opts) + TCP_OLEN_SACK_BLOCK >
				      TCP_HDR_MAX);
	for (i = 0; i < n; i++) {
		CHECK(a->opts.sack[i].left == b->opts.sack[i].left);
		CHECK(a->opts.sack[i].right == b->opts.sack[i].right);
	}
}

static void check_round_trip(const struct tcp_seg *seg)
{
	uint8_t hdr[TCP_HDR_MAX], again[TCP_HDR_MAX];
	struct tcp_seg seg2;
	enum drop_reason why = DROP__MAX;
	size_t len = tcp_build_len(&seg->opts);
	int hlen;

	CHECK(len >= TCP_HDR_MIN && len <= TCP_HDR_MAX && len % 4 == 0);
	CHECK(tcp_build(seg, hdr, len - 1) == -ENOSPC);
	hlen = tcp_build(seg, hdr, sizeof(hdr));
	CHECK(hlen == (int)len);
	CHECK(rd16(hdr + TCP_OFF_CSUM) == 0);
	CHECK(tcp_parse(hdr, len, &seg2, &why) == 0);
	CHECK(why == DROP__MAX);
	CHECK(seg2.hdr_len == len && seg2.payload == hdr + len && seg2.payload_len == 0);
	check_same(seg, &seg2);
	CHECK(tcp_build(&seg2, again, sizeof(again)) == hlen);
	CHECK(memcmp(hdr, again, len) == 0);
}

/* The header as built, sealed with the input's payload, verifies. */
static void check_fill(const struct tcp_seg *seg)
{
	uint8_t hdr[TCP_HDR_MAX];
	size_t n = seg->payload_len, len;
	uint64_t s;
	int hlen = tcp_build(seg, hdr, sizeof(hdr));

	CHECK(hlen >= TCP_HDR_MIN);
	len = (size_t)hlen + n;
	tcp_csum4_fill(hdr, (size_t)hlen, seg->payload, n, be32(src4), be32(dst4));
	s = sum(src4, 4, 0) + sum(dst4, 4, 0) + 6 + len;
	s = sum(hdr, (size_t)hlen, s);
	CHECK(fold_not(sum(seg->payload, n, s)) == 0);
	tcp_csum6_fill(hdr, (size_t)hlen, seg->payload, n, src6, dst6);
	s = sum(src6, 16, 0) + sum(dst6, 16, 0) + 6 + (len >> 16) + (len & 0xffff);
	s = sum(hdr, (size_t)hlen, s);
	CHECK(fold_not(sum(seg->payload, n, s)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_seg seg;
	struct tcp_opts ref;
	enum drop_reason why = DROP__MAX;
	uint8_t *buf;
	int rc;

	if (size > MAX_SEG) {
		return 0;
	}
	buf = malloc(size == 0 ? 1 : size);
	CHECK(buf != NULL);
	if (size != 0) {
		memcpy(buf, data, size);
	}
	check_csums(buf, size);
	rc = tcp_parse(buf, size, &seg, &why);
	if (rc != 0) {
		check_reject(buf, size, rc, why);
		free(buf);
		return 0;
	}
	CHECK(why == DROP__MAX);
	CHECK(size >= TCP_HDR_MIN);
	CHECK(seg.hdr_len >= TCP_HDR_MIN && seg.hdr_len <= TCP_HDR_MAX && seg.hdr_len % 4 == 0);
	CHECK(seg.hdr_len <= size && seg.hdr_len == (buf[12] >> 4) * 4);
	CHECK(seg.payload == buf + seg.hdr_len && seg.payload_len == size - seg.hdr_len);
	CHECK(seg.sport == rd16(buf) && seg.dport == rd16(buf + 2));
	CHECK(seg.seq == rd32(buf + 4) && seg.ack == rd32(buf + 8));
	CHECK(seg.flags == buf[13] && !bad_flags(seg.flags));
	CHECK(seg.window == rd16(buf + 14) && seg.urg_ptr == rd16(buf + 18));
	CHECK(seg.opts.nb_sack <= TCP_SACK_MAX_BLOCKS);
	CHECK(seg.opts.wscale <= TCP_WSCALE_MAX);
	CHECK(seg.opts.has_wscale || seg.opts.wscale == 0);
	CHECK(seg.opts.has_mss || seg.opts.mss == 0);
	CHECK(ref_opts(buf + TCP_HDR_MIN, seg.hdr_len - TCP_HDR_MIN, &ref));
	check_opts_equal(&seg.opts, &ref);
	check_round_trip(&seg);
	check_fill(&seg);
	free(buf);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Structure-aware mutation                                                   */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* One option from the grammar at |o| (room |room| >= 1); returns its length. */
static size_t gen_opt(uint8_t *o, size_t room, uint32_t *s)
{
	uint32_t r = rnd(s);
	bool wrong = r % 16 == 0;	/* a known kind with a wrong length */
	size_t len, i;

	switch ((r >> 4) % 12) {
	case 0:
		o[0] = TCP_OPT_EOL;
		return 1;
	case 1:
	case 2:
		o[0] = TCP_OPT_NOP;
		return 1;
	case 3:
		o[0] = TCP_OPT_MSS;
		len = TCP_OLEN_MSS;
		break;
	case 4:
		o[0] = TCP_OPT_WS;
		len = TCP_OLEN_WS;
		break;
	case 5:
		o[0] = TCP_OPT_SACK_PERM;
		len = TCP_OLEN_SACK_PERM;
		break;
	case 6:
	case 7:
		o[0] = TCP_OPT_TS;
		len = TCP_OLEN_TS;
		break;
	case 8:
	case 9:
		o[0] = TCP_OPT_SACK;
		len = TCP_OLEN_SACK_BASE + TCP_OLEN_SACK_BLOCK * (1 + (r >> 8) % 4);
		break;
	default:
		o[0] = (uint8_t)(r >> 8);
		len = 2 + (r >> 16) % 12;
		break;
	}
	if (wrong) {
		len = (r >> 20) % 12;
	}
	if (room < 2) {
		return 1;	/* a kind with no room for its length */
	}
	o[1] = (uint8_t)len;
	for (i = 2; i < len && i < room; i++) {
		o[i] = (uint8_t)rnd(s);
	}
	if (o[0] == TCP_OPT_WS && len == TCP_OLEN_WS && room >= 3 && (r & 0x100) == 0) {
		o[2] = (uint8_t)((r >> 12) % 18);	/* near the clamp at 14 */
	}
	return len < 2 ? 2 : (len < room ? len : room);
}

/* A fresh segment from the option grammar into |b|; returns its length. */
static size_t gen_seg(uint8_t *b, size_t max, uint32_t *s)
{
	uint32_t r = rnd(s);
	size_t olen = 0, area, pay, i;
	uint8_t o[TCP_OPT_SPACE_MAX];

	if (max < TCP_HDR_MAX + 64) {
		return 0;
	}
	while (olen < sizeof(o) && rnd(s) % 8 != 0) {
		olen += gen_opt(o + olen, sizeof(o) - olen, s);
	}
	area = (olen + 3) & ~(size_t)3;
	if (area > TCP_OPT_SPACE_MAX) {
		area = TCP_OPT_SPACE_MAX;
		olen = area;
	}
	memset(o + olen, (r & 1) ? TCP_OPT_EOL : TCP_OPT_NOP, area - olen);
	for (i = 0; i < TCP_HDR_MIN; i++) {
		b[i] = (uint8_t)rnd(s);
	}
	b[12] = (uint8_t)((TCP_HDR_MIN + area) / 4 << 4 | (r >> 1 & 1));
	if ((r >> 2) % 4 != 0) {
		b[13] &= (uint8_t)~((r >> 4) & 1 ? TCP_FLAG_SYN : TCP_FLAG_FIN | TCP_FLAG_RST);
	}
	memcpy(b + TCP_HDR_MIN, o, area);
	pay = (r >> 8) % 64;
	for (i = 0; i < pay; i++) {
		b[TCP_HDR_MIN + area + i] = (uint8_t)rnd(s);
	}
	return TCP_HDR_MIN + area + pay;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint32_t s = seed | 1;
	uint32_t r = rnd(&s);
	size_t n;

	if (r % 4 == 0 || size < TCP_HDR_MIN) {
		n = gen_seg(data, max_size, &s);
		if (n != 0) {
			return n;
		}
	}
	size = LLVMFuzzerMutate(data, size, max_size);
	/* Often point the data offset at a header that fits, so options get parsed. */
	if ((r >> 4) % 4 != 0 && size >= TCP_HDR_MIN) {
		size_t words = size / 4 > 15 ? 15 : size / 4;

		data[12] = (uint8_t)((5 + (r >> 8) % (words - 4)) << 4 | (data[12] & 0x0f));
	}
	return size;
}
