/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tcp_syncookie.c - libFuzzer harness for SYN cookies
 * (dataplane/tcp/tcp_syncookie.h), which a listener runs on segments from
 * anyone: every ACK that matches no connection is checked as a cookie.
 *
 * Input: a 45-byte prefix, then one TCP segment (the IP payload), parsed with
 * tcp_parse from a heap buffer of exactly its size:
 *   [0]      mode: bit 0 IPv6; bit 1 answer the segment as a SYN (its flags
 *            forced to SYN, ECE and CWR kept); bit 2 check it as a bare ACK
 *            (flags forced to ACK); bit 3 the echoing ACK carries PSH and FIN;
 *            bit 4 the echoing ACK lost its timestamps on the way;
 *   [1..16]  peer address, [17..32] our address (IPv4: the first 4 bytes);
 *   [33..36] the timestamp clock at make time;
 *   [37..40] when the cookie is made, an offset from a fixed time (units of
 *            997 us, so about 66000 counter periods: ctr8 wraps often);
 *   [41..44] when its ACK is checked, as a delay that stays within the
 *            cookie's lifetime.
 * The key is fixed, and arbitrary segments are checked at a fixed clock.
 *
 * Checks:
 *   - the segment as received: tcp_syncookie_check never crashes, returns
 *     0, -EINVAL (exactly when the flags are not a bare ACK), -ETIMEDOUT or
 *     -EBADMSG, leaves |out| untouched on failure and on success reports
 *     ISS = ack - 1, IRS = seq - 1, a table MSS and options only with
 *     timestamps; tcp_syncookie_make on it returns -EINVAL exactly when it is
 *     not a SYN;
 *   - round trip: a cookie made for the segment taken as a SYN (-ERANGE
 *     exactly when its MSS, or the family's default without one, is below
 *     536) encodes the largest table MSS not above the peer's, a TSval at
 *     most 31 ticks behind the clock, options only with timestamps; the ACK a
 *     conforming peer sends back, built with tcp_build and parsed again,
 *     always checks OK up to the end of the next counter period and gives
 *     back ISS, IRS, MSS, the peer's window scale and SACK; the same ACK two
 *     to 255 periods later, or a period early, is -ETIMEDOUT.
 *
 * The custom mutator (used by libFuzzer, and by fuzz_driver.c without it)
 * sometimes writes a fresh input: a random prefix and a SYN or ACK built by
 * tcp_build with random options, so that the round trip is reached often.
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
#include "tcp_syncookie.h"
#include "tcp_wire.h"

#define PREFIX 45
#define MAX_SEG 65535

#define P TCP_SYNCOOKIE_PERIOD_US
/* A fixed clock: the middle of counter 1000 (ctr8 232). */
#define T_FIXED (1000 * P + P / 2)
#define MAKE_UNIT_US 997u

#define MODE_V6 0x01
#define MODE_AS_SYN 0x02
#define MODE_AS_ACK 0x04
#define MODE_PSH_FIN 0x08
#define MODE_STRIP_TS 0x10

static const uint8_t key[TCP_SYNCOOKIE_KEY_LEN] = {
	0x5b, 0x0e, 0x2d, 0x91, 0x77, 0x3c, 0xa8, 0x14, 0xf2, 0x6d, 0x40,
	0x9b, 0xc3, 0x18, 0xe7, 0x55, 0x2a, 0x81, 0xd6, 0x3f, 0x0c, 0x99,
	0x64, 0xbe, 0x47, 0x1d, 0xfa, 0x83, 0x6e, 0x02, 0xc5, 0x38,
};

static const uint16_t mss4[TCP_SYNCOOKIE_NB_MSS] = TCP_SYNCOOKIE_MSS4;
static const uint16_t mss6[TCP_SYNCOOKIE_NB_MSS] = TCP_SYNCOOKIE_MSS6;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct tcp_syncookie_ctx *ctx_get(void)
{
	static struct tcp_syncookie_ctx ctx;
	static bool ready;

	if (!ready) {
		CHECK(tcp_syncookie_ctx_init(&ctx, key) == 0);
		ready = true;
	}
	return &ctx;
}

static bool in_table(const uint16_t *tab, uint16_t mss)
{
	for (unsigned int i = 0; i < TCP_SYNCOOKIE_NB_MSS; i++) {
		if (tab[i] == mss) {
			return true;
		}
	}
	return false;
}

static bool bare_ack(uint8_t flags)
{
	return (flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) == TCP_FLAG_ACK;
}

static bool bare_syn(uint8_t flags)
{
	return (flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) == TCP_FLAG_SYN;
}

/* What check promises on success for |ack|. */
static void check_conn(const struct tcp_syncookie_addrs *a, const struct tcp_seg *ack,
		       const struct tcp_syncookie_conn *c)
{
	CHECK(c->iss == ack->ack - 1 && c->irs == ack->seq - 1);
	CHECK(in_table(a->ipv6 ? mss6 : mss4, c->mss));
	CHECK(c->ts == ack->opts.has_ts);
	CHECK(c->ts || (!c->wscale && !c->sack));
	CHECK(c->snd_wscale <= TCP_WSCALE_MAX);
	CHECK(c->wscale || c->snd_wscale == 0);
}

/* tcp_syncookie_check on |ack| at |now|: the result, with the contract checked. */
static int check_any(const struct tcp_syncookie_addrs *a, const struct tcp_seg *ack, uint64_t now,
		     struct tcp_syncookie_conn *c)
{
	struct tcp_syncookie_conn untouched;
	int ret;

	memset(c, 0x5a, sizeof(*c));
	untouched = *c;
	ret = tcp_syncookie_check(ctx_get(), a, ack, now, c);
	CHECK(ret == 0 || ret == -EINVAL || ret == -ETIMEDOUT || ret == -EBADMSG);
	CHECK((ret == -EINVAL) == !bare_ack(ack->flags));
	if (ret != 0) {
		CHECK(memcmp(c, &untouched, sizeof(*c)) == 0);
	} else {
		check_conn(a, ack, c);
	}
	return ret;
}

/* The ACK a conforming peer answers |sa| with, through the wire format. */
static void echo_ack(const struct tcp_seg *syn, const struct tcp_syncookie_synack *sa,
		     uint8_t mode, struct tcp_seg *ack)
{
	struct tcp_seg out;
	uint8_t hdr[TCP_HDR_MAX];
	enum drop_reason why;
	int hlen;

	memset(&out, 0, sizeof(out));
	out.sport = syn->sport;
	out.dport = syn->dport;
	out.seq = syn->seq + 1;
	out.ack = sa->isn + 1;
	out.flags = TCP_FLAG_ACK | ((mode & MODE_PSH_FIN) ? TCP_FLAG_PSH | TCP_FLAG_FIN : 0);
	out.window = 1000;
	if (sa->ts && !(mode & MODE_STRIP_TS)) {
		out.opts.has_ts = true;
		out.opts.ts_val = syn->opts.ts_val + 1;
		out.opts.ts_ecr = sa->tsval;
	}
	hlen = tcp_build(&out, hdr, sizeof(hdr));
	CHECK(hlen >= TCP_HDR_MIN);
	CHECK(tcp_parse(hdr, (size_t)hlen, ack, &why) == 0);
}

static void round_trip(const struct tcp_syncookie_addrs *a, const struct tcp_seg *syn,
		       uint8_t mode, uint32_t ts_now, uint64_t t_make, uint32_t delay)
{
	const uint16_t *tab = a->ipv6 ? mss6 : mss4;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	struct tcp_seg ack;
	uint16_t peer, want = 0;
	uint64_t life, t;
	int ret;

	if (syn->opts.has_mss) {
		peer = syn->opts.mss;
	} else {
		peer = a->ipv6 ? TCP_SYNCOOKIE_DEFAULT_MSS6 : TCP_SYNCOOKIE_DEFAULT_MSS4;
	}
	for (unsigned int i = 0; i < TCP_SYNCOOKIE_NB_MSS; i++) {
		if (tab[i] <= peer) {
			want = tab[i];
		}
	}
	ret = tcp_syncookie_make(ctx_get(), a, syn, t_make, ts_now, &sa);
	if (!bare_syn(syn->flags)) {
		CHECK(ret == -EINVAL);
		return;
	}
	if (peer < tab[0]) {
		CHECK(ret == -ERANGE);
		return;
	}
	CHECK(ret == 0);
	CHECK(sa.mss == want && sa.mss <= peer);
	CHECK(sa.ts == syn->opts.has_ts);
	CHECK(sa.wscale == (sa.ts && syn->opts.has_wscale));
	CHECK(sa.sack == (sa.ts && syn->opts.sack_permitted));
	if (sa.ts) {
		CHECK((uint32_t)(ts_now - sa.tsval) <= TCP_SYNCOOKIE_TS_MASK);
	}

	echo_ack(syn, &sa, mode, &ack);
	/* Valid for the rest of its own period and all of the next. */
	life = 2 * P - t_make % P;
	t = t_make + delay % life;
	CHECK(check_any(a, &ack, t, &c) == 0);
	CHECK(c.iss == sa.isn && c.irs == syn->seq && c.mss == sa.mss);
	CHECK(c.ts == (sa.ts && !(mode & MODE_STRIP_TS)));
	CHECK(c.wscale == (c.ts && sa.wscale));
	if (c.wscale) {
		CHECK(c.snd_wscale == (syn->opts.wscale < TCP_WSCALE_MAX ? syn->opts.wscale
									  : TCP_WSCALE_MAX));
	}
	CHECK(c.sack == (c.ts && sa.sack));

	/* Two to 255 periods on, or one period early: stale whatever the MAC says. */
	t = t_make - t_make % P + (2 + delay % 254) * P + delay % P;
	CHECK(check_any(a, &ack, t, &c) == -ETIMEDOUT);
	t = t_make - t_make % P - P + delay % P;
	CHECK(check_any(a, &ack, t, &c) == -ETIMEDOUT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	struct tcp_seg seg, t;
	enum drop_reason why;
	uint8_t mode, *buf;
	size_t n;
	int ret;

	if (size < PREFIX || size - PREFIX > MAX_SEG) {
		return 0;
	}
	mode = data[0];
	if (mode & MODE_V6) {
		memset(&a, 0, sizeof(a));
		tcp_syncookie_addrs6(&a, data + 1, data + 17);
	} else {
		uint32_t src, dst;

		memcpy(&src, data + 1, 4);
		memcpy(&dst, data + 17, 4);
		tcp_syncookie_addrs4(&a, src, dst);
	}

	n = size - PREFIX;
	buf = malloc(n == 0 ? 1 : n);
	CHECK(buf != NULL);
	if (n != 0) {
		memcpy(buf, data + PREFIX, n);
	}
	if (tcp_parse(buf, n, &seg, &why) != 0) {
		free(buf);
		return 0;
	}

	/* The segment as it came, at the fixed clock. */
	(void)check_any(&a, &seg, T_FIXED, &c);
	ret = tcp_syncookie_make(ctx_get(), &a, &seg, T_FIXED, rd32(data + 33), &sa);
	CHECK(ret == 0 || ret == -EINVAL || ret == -ERANGE);
	CHECK((ret == -EINVAL) == !bare_syn(seg.flags));
	if (mode & MODE_AS_ACK) {
		t = seg;
		t.flags = (uint8_t)((t.flags & ~(TCP_FLAG_SYN | TCP_FLAG_RST)) | TCP_FLAG_ACK);
		(void)check_any(&a, &t, T_FIXED, &c);
	}

	/* Round trip through a cookie made for it. */
	t = seg;
	if (mode & MODE_AS_SYN) {
		t.flags = (uint8_t)(TCP_FLAG_SYN | (t.flags & (TCP_FLAG_ECE | TCP_FLAG_CWR)));
	}
	round_trip(&a, &t, mode, rd32(data + 33),
		   T_FIXED + (uint64_t)rd32(data + 37) * MAKE_UNIT_US, rd32(data + 41));
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

/* A fresh input into |b|: random prefix, then a SYN or an ACK with random options. */
static size_t gen(uint8_t *b, size_t max, uint32_t *s)
{
	static const uint16_t msss[] = {0, 1, 535, 536, 537, 600, 1219, 1220, 1300, 1419,
					1420, 1440, 1459, 1460, 8939, 8940, 9000, 65535};
	struct tcp_seg seg;
	uint32_t r = rnd(s);
	size_t i;
	int hlen;

	if (max < PREFIX + TCP_HDR_MAX) {
		return 0;
	}
	for (i = 0; i < PREFIX; i++) {
		b[i] = (uint8_t)rnd(s);
	}
	b[0] = (uint8_t)((b[0] & ~MODE_AS_SYN) | ((r & 1) ? MODE_AS_SYN : 0));
	memset(&seg, 0, sizeof(seg));
	seg.sport = (uint16_t)rnd(s);
	seg.dport = (uint16_t)rnd(s);
	seg.seq = rnd(s);
	seg.ack = rnd(s);
	seg.flags = (r >> 1) & 1 ? TCP_FLAG_SYN : TCP_FLAG_ACK;
	if ((r >> 2) % 8 == 0) {
		seg.flags |= (uint8_t)rnd(s);
	}
	seg.window = (uint16_t)rnd(s);
	seg.opts.has_mss = (r >> 5) & 1;
	seg.opts.mss = (r >> 6) & 1 ? msss[rnd(s) % (sizeof(msss) / sizeof(msss[0]))]
				    : (uint16_t)rnd(s);
	seg.opts.has_ts = (r >> 7) % 4 != 0;
	seg.opts.ts_val = rnd(s);
	seg.opts.ts_ecr = rnd(s);
	seg.opts.has_wscale = (r >> 9) & 1;
	seg.opts.wscale = (uint8_t)(rnd(s) % 16);
	seg.opts.sack_permitted = (r >> 10) & 1;
	hlen = tcp_build(&seg, b + PREFIX, max - PREFIX);
	CHECK(hlen >= TCP_HDR_MIN);
	return PREFIX + (size_t)hlen;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint32_t s = seed | 1;
	size_t n;

	if (rnd(&s) % 4 == 0 || size < PREFIX + TCP_HDR_MIN) {
		n = gen(data, max_size, &s);
		if (n != 0) {
			return n;
		}
	}
	return LLVMFuzzerMutate(data, size, max_size);
}
