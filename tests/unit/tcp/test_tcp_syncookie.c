/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: SYN cookies (dataplane/tcp/tcp_syncookie.h, RFC 4987 3.6).
 *
 * Every cookie is made from a SYN and checked on the ACK a conforming peer
 * would send back (seq = SYN.seq + 1, ack = ISN + 1, TSecr = our TSval), then
 * taken apart: MSS rounding at the table edges, options through TSecr, the
 * counter window, bit flips, other tuples and keys, wrap-around, the wipe on
 * cleanup and the spread of the cookies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_syncookie.h"

#define P TCP_SYNCOOKIE_PERIOD_US
#define T0 (1000 * P + P / 2) /* a time in the middle of counter 1000 */

static const uint8_t key[TCP_SYNCOOKIE_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const uint8_t a6_peer[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t a6_us[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

static int setup(void **state)
{
	struct tcp_syncookie_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL || tcp_syncookie_ctx_init(ctx, key) != 0) {
		free(ctx);
		return -1;
	}
	*state = ctx;
	return 0;
}

static int teardown(void **state)
{
	tcp_syncookie_ctx_cleanup(*state);
	free(*state);
	return 0;
}

/* be32 returns the IPv4 address |x| (host order) as it lies in the header. */
static uint32_t be32(uint32_t x)
{
	const uint8_t b[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8),
			      (uint8_t)x};
	uint32_t r;

	memcpy(&r, b, sizeof(r));
	return r;
}

static void addrs4(struct tcp_syncookie_addrs *a)
{
	tcp_syncookie_addrs4(a, be32(0xc0000201), be32(0xc0000202)); /* .1 -> .2 */
}

static void addrs6(struct tcp_syncookie_addrs *a)
{
	memset(a, 0, sizeof(*a));
	tcp_syncookie_addrs6(a, a6_peer, a6_us);
}

/* A SYN from port 40000 to 443 with sequence number |seq| and no options. */
static struct tcp_seg syn_seg(uint32_t seq)
{
	struct tcp_seg s = {
		.sport = 40000,
		.dport = 443,
		.seq = seq,
		.flags = TCP_FLAG_SYN,
		.window = 65535,
	};
	return s;
}

static void set_mss(struct tcp_seg *s, uint16_t mss)
{
	s->opts.has_mss = true;
	s->opts.mss = mss;
}

static void set_ts(struct tcp_seg *s, uint32_t tsval)
{
	s->opts.has_ts = true;
	s->opts.ts_val = tsval;
}

/* The ACK a conforming peer answers the SYN-ACK |sa| to |syn| with. */
static struct tcp_seg ack_seg(const struct tcp_seg *syn, const struct tcp_syncookie_synack *sa)
{
	struct tcp_seg s = {
		.sport = syn->sport,
		.dport = syn->dport,
		.seq = syn->seq + 1,
		.ack = sa->isn + 1,
		.flags = TCP_FLAG_ACK,
		.window = 1000,
	};
	if (sa->ts) {
		s.opts.has_ts = true;
		s.opts.ts_val = syn->opts.ts_val + 7;
		s.opts.ts_ecr = sa->tsval;
	}
	return s;
}

static struct tcp_syncookie_synack make_ok(struct tcp_syncookie_ctx *ctx,
					   const struct tcp_syncookie_addrs *a,
					   const struct tcp_seg *syn, uint64_t now)
{
	struct tcp_syncookie_synack sa;

	memset(&sa, 0xa5, sizeof(sa));
	assert_int_equal(tcp_syncookie_make(ctx, a, syn, now, 123456, &sa), 0);
	return sa;
}

/* Make a cookie for |syn| and check the matching ACK; returns what came back. */
static struct tcp_syncookie_conn round_trip(struct tcp_syncookie_ctx *ctx,
					    const struct tcp_syncookie_addrs *a,
					    const struct tcp_seg *syn,
					    struct tcp_syncookie_synack *sa_out)
{
	struct tcp_syncookie_synack sa = make_ok(ctx, a, syn, T0);
	struct tcp_seg ack = ack_seg(syn, &sa);
	struct tcp_syncookie_conn c;

	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(tcp_syncookie_check(ctx, a, &ack, T0 + 1000, &c), 0);
	assert_int_equal(c.iss, sa.isn);
	assert_int_equal(c.irs, syn->seq);
	assert_int_equal(c.mss, sa.mss);
	if (sa_out != NULL) {
		*sa_out = sa;
	}
	return c;
}

/* check_rejects asserts that |ack| fails with -EBADMSG or -ETIMEDOUT and leaves |out| alone. */
static void check_rejects(struct tcp_syncookie_ctx *ctx, const struct tcp_syncookie_addrs *a,
			  const struct tcp_seg *ack)
{
	struct tcp_syncookie_conn c, untouched;
	int ret;

	memset(&c, 0x5a, sizeof(c));
	untouched = c;
	ret = tcp_syncookie_check(ctx, a, ack, T0, &c);
	assert_true(ret == -EBADMSG || ret == -ETIMEDOUT);
	assert_memory_equal(&c, &untouched, sizeof(c));
}

static void test_round_trip_v4(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	struct tcp_seg syn = syn_seg(0x12345678);

	addrs4(&a);
	/* No timestamps: no window scaling and no SACK, though the SYN offered them. */
	set_mss(&syn, 1460);
	syn.opts.has_wscale = true;
	syn.opts.wscale = 7;
	syn.opts.sack_permitted = true;
	c = round_trip(ctx, &a, &syn, &sa);
	assert_int_equal(sa.mss, 1460);
	assert_false(sa.ts);
	assert_false(sa.wscale);
	assert_false(sa.sack);
	assert_false(c.ts);
	assert_false(c.wscale);
	assert_false(c.sack);

	/* Timestamps: everything comes back through TSecr. */
	set_ts(&syn, 0xdeadbeef);
	c = round_trip(ctx, &a, &syn, &sa);
	assert_true(sa.ts);
	assert_true(sa.wscale);
	assert_true(sa.sack);
	assert_true(c.ts);
	assert_true(c.wscale);
	assert_int_equal(c.snd_wscale, 7);
	assert_true(c.sack);
	assert_int_equal(c.mss, 1460);
}

static void test_round_trip_v6(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	struct tcp_seg syn = syn_seg(0xfedcba98);

	addrs6(&a);
	set_mss(&syn, 1440);
	c = round_trip(ctx, &a, &syn, &sa);
	assert_int_equal(sa.mss, 1440);
	assert_false(c.ts);
	assert_false(c.wscale);
	assert_false(c.sack);

	set_mss(&syn, 8960);
	set_ts(&syn, 1);
	syn.opts.has_wscale = true;
	syn.opts.wscale = 9;
	c = round_trip(ctx, &a, &syn, &sa);
	assert_int_equal(c.mss, 8940);
	assert_true(c.ts);
	assert_true(c.wscale);
	assert_int_equal(c.snd_wscale, 9);
	assert_false(c.sack);

	/* The same ports and an IPv4-looking prefix of the address are another tuple. */
	struct tcp_syncookie_addrs a4;
	struct tcp_seg ack = ack_seg(&syn, &sa);
	uint32_t src, dst;

	memcpy(&src, a6_peer, 4);
	memcpy(&dst, a6_us, 4);
	tcp_syncookie_addrs4(&a4, src, dst);
	check_rejects(ctx, &a4, &ack);
}

struct mss_case {
	uint16_t peer; /* 0: no MSS option */
	int ret;
	uint16_t want;
};

static void check_mss_cases(struct tcp_syncookie_ctx *ctx, const struct tcp_syncookie_addrs *a,
			    const struct mss_case *cases, size_t n, const uint16_t *tab)
{
	bool seen[TCP_SYNCOOKIE_NB_MSS] = {false};

	for (size_t i = 0; i < n; i++) {
		struct tcp_seg syn = syn_seg(1000 + (uint32_t)i);
		struct tcp_syncookie_synack sa;
		struct tcp_syncookie_conn c;

		if (cases[i].peer != 0) {
			set_mss(&syn, cases[i].peer);
		}
		if (cases[i].ret != 0) {
			assert_int_equal(tcp_syncookie_make(ctx, a, &syn, T0, 0, &sa),
					 cases[i].ret);
			continue;
		}
		c = round_trip(ctx, a, &syn, &sa);
		assert_int_equal(sa.mss, cases[i].want);
		assert_int_equal(c.mss, cases[i].want);
		for (unsigned int j = 0; j < TCP_SYNCOOKIE_NB_MSS; j++) {
			if (tab[j] == c.mss) {
				seen[j] = true;
			}
		}
	}
	for (unsigned int j = 0; j < TCP_SYNCOOKIE_NB_MSS; j++) {
		assert_true(seen[j]);
	}
}

static void test_mss_table_v4(void **state)
{
	static const uint16_t tab[] = TCP_SYNCOOKIE_MSS4;
	static const struct mss_case cases[] = {
		{0, 0, 536},	 {1, -ERANGE, 0}, {535, -ERANGE, 0}, {536, 0, 536},
		{537, 0, 536},	 {1000, 0, 536},  {1299, 0, 536},    {1300, 0, 1300},
		{1301, 0, 1300}, {1439, 0, 1300}, {1440, 0, 1440},   {1459, 0, 1440},
		{1460, 0, 1460}, {1461, 0, 1460}, {8960, 0, 1460},   {65535, 0, 1460},
	};
	struct tcp_syncookie_addrs a;

	addrs4(&a);
	check_mss_cases(*state, &a, cases, sizeof(cases) / sizeof(cases[0]), tab);
}

static void test_mss_table_v6(void **state)
{
	static const uint16_t tab[] = TCP_SYNCOOKIE_MSS6;
	static const struct mss_case cases[] = {
		/* No MSS option: the IPv6 default, 1220 (RFC 9293 3.7.1), not the floor. */
		{0, 0, 1220},
		{1, -ERANGE, 0},
		{535, -ERANGE, 0},
		{536, 0, 536},
		{537, 0, 536},
		/* Below the IPv6 minimum link MTU's 1220, still a cookie: the 536 floor. */
		{600, 0, 536},
		{1000, 0, 536},
		{1219, 0, 536},
		{1220, 0, 1220},
		{1221, 0, 1220},
		{1419, 0, 1220},
		{1420, 0, 1220},
		{1439, 0, 1220},
		{1440, 0, 1440},
		{1460, 0, 1440},
		{8939, 0, 1440},
		{8940, 0, 8940},
		{8941, 0, 8940},
		{65535, 0, 8940},
	};
	struct tcp_syncookie_addrs a;

	addrs6(&a);
	check_mss_cases(*state, &a, cases, sizeof(cases) / sizeof(cases[0]), tab);
}

/*
 * Over every peer MSS of both families: a cookie encodes the largest table
 * entry not above it, so never more than the peer announced, and only an MSS
 * below 536 gets none.
 */
static void test_mss_never_above_peer(void **state)
{
	static const uint16_t tab4[] = TCP_SYNCOOKIE_MSS4;
	static const uint16_t tab6[] = TCP_SYNCOOKIE_MSS6;
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a[2];

	addrs4(&a[0]);
	addrs6(&a[1]);
	assert_int_equal(tab4[0], 536);
	assert_int_equal(tab6[0], 536);
	for (unsigned int f = 0; f < 2; f++) {
		const uint16_t *tab = f == 0 ? tab4 : tab6;

		for (uint32_t peer = 0; peer <= 0xffff; peer += peer < 9000 ? 1 : 61) {
			struct tcp_seg syn = syn_seg(peer);
			struct tcp_syncookie_synack sa;
			uint16_t want = 0;
			int ret;

			set_mss(&syn, (uint16_t)peer);
			for (unsigned int j = 0; j < TCP_SYNCOOKIE_NB_MSS; j++) {
				if (tab[j] <= peer) {
					want = tab[j];
				}
			}
			ret = tcp_syncookie_make(ctx, &a[f], &syn, T0, 0, &sa);
			if (peer < 536) {
				assert_int_equal(ret, -ERANGE);
				continue;
			}
			assert_int_equal(ret, 0);
			assert_true(sa.mss <= peer);
			assert_int_equal(sa.mss, want);
		}
	}
}

/* The MSS index is the low 2 bits of ISN - H0 - IRS: cookies differing only in it show it. */
static void test_layout_mss_bits(void **state)
{
	static const uint16_t tab[] = TCP_SYNCOOKIE_MSS4;
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a;
	uint32_t isn[TCP_SYNCOOKIE_NB_MSS];

	addrs4(&a);
	for (unsigned int i = 0; i < TCP_SYNCOOKIE_NB_MSS; i++) {
		struct tcp_seg syn = syn_seg(77);

		set_mss(&syn, tab[i]);
		isn[i] = make_ok(ctx, &a, &syn, T0).isn;
		assert_int_equal((isn[i] - isn[0]) & (TCP_SYNCOOKIE_NB_MSS - 1), i);
	}
	/*
	 * ISN(idx 1) - ISN(idx 0) = (mac1 - mac0) << 2 + 1 for the same tuple: over
	 * many tuples the MAC difference must use all 22 bits, not a few.
	 */
	{
		uint32_t max = 0;

		for (uint16_t port = 1; port <= 256; port++) {
			struct tcp_seg s0 = syn_seg(77), s1 = syn_seg(77);
			uint32_t d;
			int32_t m;

			s0.sport = s1.sport = port;
			set_mss(&s0, tab[0]);
			set_mss(&s1, tab[1]);
			d = make_ok(ctx, &a, &s1, T0).isn - make_ok(ctx, &a, &s0, T0).isn - 1;
			assert_int_equal(d & 3, 0);
			m = (int32_t)d / 4;
			assert_true(m > -(1 << TCP_SYNCOOKIE_MAC_BITS) &&
				    m < (1 << TCP_SYNCOOKIE_MAC_BITS));
			if ((uint32_t)abs(m) > max) {
				max = (uint32_t)abs(m);
			}
		}
		assert_true(max >= 1u << (TCP_SYNCOOKIE_MAC_BITS - 2));
	}
	/* Counter in bits 24-31: a period later ISN - H0 - IRS grows by 2^24 +- a MAC change. */
	{
		struct tcp_seg syn = syn_seg(77);
		uint32_t d;

		set_mss(&syn, tab[0]);
		d = make_ok(ctx, &a, &syn, T0 + P).isn - isn[0];
		assert_true(d >> 24 <= 1 && d != 0);
		assert_int_equal(d & 3, 0);
	}
}

static void test_ts_options(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a;
	static const uint32_t clocks[] = {0,  1,    5,		31,	    32,
					  33, 1000, 0x7fffffff, 0xffffffe0, 0xffffffff};

	addrs4(&a);
	for (int ws = -1; ws <= TCP_WSCALE_MAX; ws++) {
		for (int sack = 0; sack <= 1; sack++) {
			for (size_t k = 0; k < sizeof(clocks) / sizeof(clocks[0]); k++) {
				struct tcp_seg syn =
					syn_seg(0x1000 * (uint32_t)(ws + 2) + (uint32_t)k);
				struct tcp_syncookie_synack sa;
				struct tcp_syncookie_conn c;
				struct tcp_seg ack;

				set_mss(&syn, 1460);
				set_ts(&syn, 42);
				if (ws >= 0) {
					syn.opts.has_wscale = true;
					syn.opts.wscale = (uint8_t)ws;
				}
				syn.opts.sack_permitted = sack;
				assert_int_equal(
					tcp_syncookie_make(ctx, &a, &syn, T0, clocks[k], &sa), 0);
				assert_true(sa.ts);
				assert_int_equal(sa.wscale, ws >= 0);
				assert_int_equal(sa.sack, sack);
				/* Never ahead of the clock, at most 31 ticks behind. */
				assert_true(clocks[k] - sa.tsval <= TCP_SYNCOOKIE_TS_MASK);
				ack = ack_seg(&syn, &sa);
				assert_int_equal(tcp_syncookie_check(ctx, &a, &ack, T0, &c), 0);
				assert_true(c.ts);
				assert_int_equal(c.wscale, ws >= 0);
				if (ws >= 0) {
					assert_int_equal(c.snd_wscale, ws);
				}
				assert_int_equal(c.sack, sack);
			}
		}
	}
}

static void test_ts_absent_in_ack(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	struct tcp_seg syn = syn_seg(5), ack;

	addrs4(&a);
	set_ts(&syn, 9);
	syn.opts.has_wscale = true;
	syn.opts.wscale = 3;
	syn.opts.sack_permitted = true;
	sa = make_ok(ctx, &a, &syn, T0);
	assert_true(sa.ts && sa.wscale && sa.sack);
	/* A middlebox stripped the timestamps: the connection goes ahead without any option. */
	ack = ack_seg(&syn, &sa);
	ack.opts.has_ts = false;
	assert_int_equal(tcp_syncookie_check(ctx, &a, &ack, T0, &c), 0);
	assert_false(c.ts);
	assert_false(c.wscale);
	assert_false(c.sack);
	/* A shift above 14 (a hand-built SYN; the parser clamps) goes out as 14, not as none. */
	syn.opts.wscale = 15;
	sa = make_ok(ctx, &a, &syn, T0);
	ack = ack_seg(&syn, &sa);
	assert_int_equal(tcp_syncookie_check(ctx, &a, &ack, T0, &c), 0);
	assert_true(c.wscale);
	assert_int_equal(c.snd_wscale, TCP_WSCALE_MAX);
}

static void test_expiry(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_conn c;
	static const struct {
		uint64_t made, checked;
		int ret;
	} cases[] = {
		{1000 * P, 1000 * P, 0}, /* counter c */
		{1000 * P, 1001 * P - 1, 0},
		{1000 * P + P - 1, 1001 * P, 0},	  /* c + 1 */
		{1000 * P, 1002 * P - 1, 0},		  /* 128 s less 1 us */
		{1000 * P + P - 1, 1001 * P + 1, 0},	  /* just over 64 s, at c + 1 */
		{1000 * P + P - 1, 1002 * P, -ETIMEDOUT}, /* c + 2: 64 s and 1 us */
		{1000 * P, 1002 * P, -ETIMEDOUT},
		{1000 * P, 1003 * P, -ETIMEDOUT},
		{1000 * P, 1255 * P, -ETIMEDOUT},
		{1000 * P, 1000 * P - 1, -ETIMEDOUT},		 /* c - 1: clock went back */
		{1000 * P, 999 * P - 1, -ETIMEDOUT},		 /* c - 2 */
		{1000 * P, 1256 * P, -EBADMSG},			 /* c + 256: same ctr8 */
		{1000 * P, 1257 * P, -EBADMSG},			 /* c + 257 */
		{1000 * P, (1000 + (1ull << 16)) * P, -EBADMSG}, /* MAC over all 32 bits */
		{1000 * P, (1000 + (1ull << 24)) * P, -EBADMSG},
		{0, 0, 0}, /* counter 0 */
		{0, P, 0},
		{0, 2 * P, -ETIMEDOUT},
		{255 * P, 256 * P, 0}, /* ctr8 wraps 255 -> 0 */
		{255 * P, 257 * P, -ETIMEDOUT},
	};

	addrs4(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tcp_seg syn = syn_seg(0xabcdef00 + (uint32_t)i);
		struct tcp_syncookie_synack sa;
		struct tcp_seg ack;

		set_mss(&syn, 1300);
		sa = make_ok(ctx, &a, &syn, cases[i].made);
		ack = ack_seg(&syn, &sa);
		assert_int_equal(tcp_syncookie_check(ctx, &a, &ack, cases[i].checked, &c),
				 cases[i].ret);
		if (cases[i].ret == 0) {
			assert_int_equal(c.mss, 1300);
		}
	}
}

static void tamper(struct tcp_syncookie_ctx *ctx, const struct tcp_syncookie_addrs *a0)
{
	struct tcp_seg syn = syn_seg(0x01020304), ack, t;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	size_t alen = a0->ipv6 ? 16 : 4;

	set_mss(&syn, 1440);
	set_ts(&syn, 1234);
	sa = make_ok(ctx, a0, &syn, T0);
	ack = ack_seg(&syn, &sa);
	assert_int_equal(tcp_syncookie_check(ctx, a0, &ack, T0, &c), 0);

	for (int bit = 0; bit < 32; bit++) {
		t = ack;
		t.ack ^= 1u << bit;
		check_rejects(ctx, a0, &t);
		t = ack;
		t.seq ^= 1u << bit;
		check_rejects(ctx, a0, &t);
	}
	for (int bit = 0; bit < 16; bit++) {
		t = ack;
		t.sport ^= (uint16_t)(1u << bit);
		check_rejects(ctx, a0, &t);
		t = ack;
		t.dport ^= (uint16_t)(1u << bit);
		check_rejects(ctx, a0, &t);
	}
	/* Ports swapped. */
	t = ack;
	t.sport = ack.dport;
	t.dport = ack.sport;
	check_rejects(ctx, a0, &t);
	/* Every bit of both addresses, and the addresses swapped. */
	for (size_t i = 0; i < alen * 8; i++) {
		a = *a0;
		a.src[i / 8] ^= (uint8_t)(1u << (i % 8));
		check_rejects(ctx, &a, &ack);
		a = *a0;
		a.dst[i / 8] ^= (uint8_t)(1u << (i % 8));
		check_rejects(ctx, &a, &ack);
	}
	a = *a0;
	memcpy(a.src, a0->dst, 16);
	memcpy(a.dst, a0->src, 16);
	check_rejects(ctx, &a, &ack);
	/* The segment must be a bare ACK: a SYN or RST with it is not a cookie candidate. */
	t = ack;
	t.flags |= TCP_FLAG_SYN;
	assert_int_equal(tcp_syncookie_check(ctx, a0, &t, T0, &c), -EINVAL);
	t = ack;
	t.flags |= TCP_FLAG_RST;
	assert_int_equal(tcp_syncookie_check(ctx, a0, &t, T0, &c), -EINVAL);
	t = ack;
	t.flags = TCP_FLAG_PSH;
	assert_int_equal(tcp_syncookie_check(ctx, a0, &t, T0, &c), -EINVAL);
	/* Data and FIN on the third segment are fine. */
	t = ack;
	t.flags |= TCP_FLAG_PSH | TCP_FLAG_FIN;
	t.payload_len = 100;
	assert_int_equal(tcp_syncookie_check(ctx, a0, &t, T0, &c), 0);
}

static void test_tamper_v4(void **state)
{
	struct tcp_syncookie_addrs a;

	addrs4(&a);
	tamper(*state, &a);
}

static void test_tamper_v6(void **state)
{
	struct tcp_syncookie_addrs a;

	addrs6(&a);
	tamper(*state, &a);
}

static void test_wrong_secret(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_ctx same, other;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	uint8_t k2[TCP_SYNCOOKIE_KEY_LEN];
	struct tcp_seg syn = syn_seg(99), ack;

	addrs4(&a);
	sa = make_ok(ctx, &a, &syn, T0);
	ack = ack_seg(&syn, &sa);

	/* Another lcore with the same key accepts it (an ACK moved by RSS). */
	assert_int_equal(tcp_syncookie_ctx_init(&same, key), 0);
	assert_int_equal(tcp_syncookie_check(&same, &a, &ack, T0, &c), 0);
	tcp_syncookie_ctx_cleanup(&same);

	/* One bit of either half of the key changed: rejected. */
	for (size_t i = 0; i < TCP_SYNCOOKIE_KEY_LEN; i += 15) {
		memcpy(k2, key, sizeof(k2));
		k2[i] ^= 0x80;
		assert_int_equal(tcp_syncookie_ctx_init(&other, k2), 0);
		check_rejects(&other, &a, &ack);
		tcp_syncookie_ctx_cleanup(&other);
	}
}

/* Random ACKs for one tuple: only a forger's luck (2^-22, times 2 live counters in 256) passes. */
static void test_forgery(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_conn c;
	struct tcp_seg ack = syn_seg(0);
	unsigned int nb_ok = 0, nb_stale = 0, nb_bad = 0;
	uint32_t x = 0x9e3779b9;

	addrs4(&a);
	ack.flags = TCP_FLAG_ACK;
	for (int i = 0; i < 200000; i++) {
		int ret;

		x ^= x << 13; /* xorshift32 */
		x ^= x >> 17;
		x ^= x << 5;
		ack.ack = x;
		ret = tcp_syncookie_check(ctx, &a, &ack, T0, &c);
		if (ret == 0) {
			nb_ok++;
		} else if (ret == -ETIMEDOUT) {
			nb_stale++;
		} else if (ret == -EBADMSG) {
			nb_bad++;
		}
	}
	assert_int_equal(nb_ok, 0);
	/* About 2 in 256 get as far as the MAC. */
	assert_in_range(nb_bad, 1000, 2200);
	assert_int_equal(nb_ok + nb_stale + nb_bad, 200000);
}

static void test_peer_isn_wrap(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	static const uint32_t seqs[] = {0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};
	struct tcp_syncookie_addrs a4, a6;

	addrs4(&a4);
	addrs6(&a6);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		struct tcp_seg syn = syn_seg(seqs[i]), ack;
		struct tcp_syncookie_synack sa;
		struct tcp_syncookie_conn c;

		set_ts(&syn, seqs[i]);
		c = round_trip(ctx, &a4, &syn, &sa);
		assert_int_equal(c.irs, seqs[i]);
		ack = ack_seg(&syn, &sa);
		assert_int_equal(ack.seq, seqs[i] + 1); /* 0xffffffff + 1 = 0 */
		c = round_trip(ctx, &a6, &syn, NULL);
		assert_int_equal(c.irs, seqs[i]);
	}
}

/* Our ISN wrapping (ack 0 for ISN 0xffffffff): found by choosing the peer ISN. */
static void test_our_isn_wrap(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	struct tcp_seg syn = syn_seg(0), ack;

	addrs4(&a);
	sa = make_ok(ctx, &a, &syn, T0);
	/* ISS = H0 + IRS + low: a peer ISN of -(ISS + 1) more puts ISS at 0xffffffff. */
	syn.seq = 0u - sa.isn - 1;
	sa = make_ok(ctx, &a, &syn, T0);
	assert_int_equal(sa.isn, 0xffffffff);
	ack = ack_seg(&syn, &sa);
	assert_int_equal(ack.ack, 0);
	assert_int_equal(tcp_syncookie_check(ctx, &a, &ack, T0, &c), 0);
	assert_int_equal(c.iss, 0xffffffff);
	assert_int_equal(c.irs, syn.seq);
}

static bool contains(const void *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++) {
		if (memcmp((const uint8_t *)hay + i, needle, m) == 0) {
			return true;
		}
	}
	return false;
}

static void test_cleanup_wipes(void **state)
{
	struct tcp_syncookie_ctx ctx;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	struct tcp_seg syn = syn_seg(1), ack;
	uint8_t zero[sizeof(ctx)];

	(void)state;
	memset(zero, 0, sizeof(zero));
	addrs4(&a);
	assert_int_equal(tcp_syncookie_ctx_init(&ctx, key), 0);
	/* The key is not copied into the struct (only into libcrypto's keyed contexts). */
	assert_false(contains(&ctx, sizeof(ctx), key, 8));
	assert_false(contains(&ctx, sizeof(ctx), key + 16, 8));
	assert_true(memcmp(&ctx, zero, sizeof(ctx)) != 0);
	assert_int_equal(tcp_syncookie_make(&ctx, &a, &syn, T0, 0, &sa), 0);
	ack = ack_seg(&syn, &sa);

	tcp_syncookie_ctx_cleanup(&ctx);
	assert_memory_equal(&ctx, zero, sizeof(ctx));
	/* A cleaned-up context refuses, twice cleaned up is harmless, NULL too. */
	assert_int_equal(tcp_syncookie_make(&ctx, &a, &syn, T0, 0, &sa), -EINVAL);
	assert_int_equal(tcp_syncookie_check(&ctx, &a, &ack, T0, &c), -EINVAL);
	tcp_syncookie_ctx_cleanup(&ctx);
	assert_memory_equal(&ctx, zero, sizeof(ctx));
	tcp_syncookie_ctx_cleanup(NULL);

	/* Re-initialised with the same key, it accepts the old cookie again. */
	assert_int_equal(tcp_syncookie_ctx_init(&ctx, key), 0);
	assert_int_equal(tcp_syncookie_check(&ctx, &a, &ack, T0, &c), 0);
	tcp_syncookie_ctx_cleanup(&ctx);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

#define NB_DIST 4096

static void spread(const uint32_t *isn)
{
	static uint32_t sorted[NB_DIST];
	unsigned int dup = 0;

	for (int bit = 0; bit < 32; bit++) {
		unsigned int ones = 0;

		for (int i = 0; i < NB_DIST; i++) {
			ones += (isn[i] >> bit) & 1;
		}
		/* Binomial(4096, 1/2): sigma is 32, so +-6 sigma. */
		assert_in_range(ones, NB_DIST / 2 - 192, NB_DIST / 2 + 192);
	}
	memcpy(sorted, isn, sizeof(sorted));
	qsort(sorted, NB_DIST, sizeof(sorted[0]), cmp_u32);
	for (int i = 1; i < NB_DIST; i++) {
		dup += sorted[i] == sorted[i - 1];
	}
	/* 4096 values of 32 bits collide with probability 0.002. */
	assert_true(dup <= 1);
}

static void test_distribution(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	static uint32_t isn[NB_DIST];
	struct tcp_syncookie_addrs a;

	/* Peer ports. */
	addrs4(&a);
	for (int i = 0; i < NB_DIST; i++) {
		struct tcp_seg syn = syn_seg(555);

		syn.sport = (uint16_t)(1024 + i);
		isn[i] = make_ok(ctx, &a, &syn, T0).isn;
	}
	spread(isn);
	/* Peer addresses (IPv4 and IPv6), same ports and sequence number. */
	for (int i = 0; i < NB_DIST; i++) {
		struct tcp_seg syn = syn_seg(555);

		tcp_syncookie_addrs4(&a, be32(0x0a000000 + (uint32_t)i), be32(0xc0000202));
		isn[i] = make_ok(ctx, &a, &syn, T0).isn;
	}
	spread(isn);
	addrs6(&a);
	for (int i = 0; i < NB_DIST; i++) {
		struct tcp_seg syn = syn_seg(555);

		a.src[14] = (uint8_t)(i >> 8);
		a.src[15] = (uint8_t)i;
		isn[i] = make_ok(ctx, &a, &syn, T0).isn;
	}
	spread(isn);
	/* Our port. */
	addrs4(&a);
	for (int i = 0; i < NB_DIST; i++) {
		struct tcp_seg syn = syn_seg(555);

		syn.dport = (uint16_t)(20000 + i);
		isn[i] = make_ok(ctx, &a, &syn, T0).isn;
	}
	spread(isn);
}

static void test_bad_args(void **state)
{
	struct tcp_syncookie_ctx *ctx = *state;
	struct tcp_syncookie_ctx c2;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_synack sa;
	struct tcp_syncookie_conn c;
	struct tcp_seg syn = syn_seg(1), ack;

	addrs4(&a);
	assert_int_equal(tcp_syncookie_ctx_init(NULL, key), -EINVAL);
	memset(&c2, 0xff, sizeof(c2));
	assert_int_equal(tcp_syncookie_ctx_init(&c2, NULL), -EINVAL);

	assert_int_equal(tcp_syncookie_make(NULL, &a, &syn, T0, 0, &sa), -EINVAL);
	assert_int_equal(tcp_syncookie_make(ctx, NULL, &syn, T0, 0, &sa), -EINVAL);
	assert_int_equal(tcp_syncookie_make(ctx, &a, NULL, T0, 0, &sa), -EINVAL);
	assert_int_equal(tcp_syncookie_make(ctx, &a, &syn, T0, 0, NULL), -EINVAL);
	syn.flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
	assert_int_equal(tcp_syncookie_make(ctx, &a, &syn, T0, 0, &sa), -EINVAL);
	syn.flags = TCP_FLAG_SYN | TCP_FLAG_RST;
	assert_int_equal(tcp_syncookie_make(ctx, &a, &syn, T0, 0, &sa), -EINVAL);
	syn.flags = TCP_FLAG_ACK;
	assert_int_equal(tcp_syncookie_make(ctx, &a, &syn, T0, 0, &sa), -EINVAL);
	syn.flags = TCP_FLAG_SYN | TCP_FLAG_ECE | TCP_FLAG_CWR; /* ECN setup SYN (RFC 3168) */
	assert_int_equal(tcp_syncookie_make(ctx, &a, &syn, T0, 0, &sa), 0);

	ack = ack_seg(&syn, &sa);
	assert_int_equal(tcp_syncookie_check(NULL, &a, &ack, T0, &c), -EINVAL);
	assert_int_equal(tcp_syncookie_check(ctx, NULL, &ack, T0, &c), -EINVAL);
	assert_int_equal(tcp_syncookie_check(ctx, &a, NULL, T0, &c), -EINVAL);
	assert_int_equal(tcp_syncookie_check(ctx, &a, &ack, T0, NULL), -EINVAL);
	assert_int_equal(tcp_syncookie_check(ctx, &a, &ack, T0, &c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mss_table_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mss_table_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mss_never_above_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_mss_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ts_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ts_absent_in_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forgery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_isn_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_our_isn_wrap, setup, teardown),
		cmocka_unit_test(test_cleanup_wipes),
		cmocka_unit_test_setup_teardown(test_distribution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
