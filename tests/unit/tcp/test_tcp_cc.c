/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: TCP congestion control (dataplane/tcp/tcp_cc.h): initial window
 * (RFC 6928), slow start with byte counting (RFC 3465), congestion avoidance
 * (RFC 5681), RTO collapse, NewReno fast recovery (RFC 6582), SACK recovery
 * windows (RFC 6675), restart after idle (RFC 5681 4.1) and CUBIC (RFC 9438).
 *
 * Time is a virtual clock in microseconds and ACKs come from a simple ACK
 * clock: each round trip, the window as it stood at the start of the round
 * is acknowledged in evenly spaced ACKs. The CUBIC references (K, W_cubic,
 * W_est) are computed here in segments and seconds straight from the RFC's
 * equations, with a cube root by bisection (the module uses Newton's method).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_cc.h"

#define MSS 1460u
#define RTO_US 200000u

/* RFC 9438 constants, restated. */
#define R_BETA 0.7
#define R_C 0.4
#define R_ALPHA (3.0 * (1.0 - R_BETA) / (1.0 + R_BETA))

/* ------------------------------------------------------------------------- */
/* Independent helpers                                                        */

static double dabs(double x)
{
	return x < 0 ? -x : x;
}

/* Cube root of |a| >= 0 by bisection. */
static double ref_cbrt(double a)
{
	double lo = 0.0, hi = a > 1.0 ? a : 1.0, mid;
	int i;

	for (i = 0; i < 200; i++) {
		mid = (lo + hi) / 2.0;
		if (mid * mid * mid < a) {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	return (lo + hi) / 2.0;
}

/* RFC 9438 (1) in segments and seconds. */
static double ref_wcubic(double t, double k, double w_max)
{
	return R_C * (t - k) * (t - k) * (t - k) + w_max;
}

/* RFC 9438 (2): K in seconds from W_max and cwnd_epoch in segments. */
static double ref_k(double w_max, double cwnd_epoch)
{
	return ref_cbrt((w_max - cwnd_epoch) / R_C);
}

/*
 * One round trip of the ACK clock starting at *now: the window as it stands
 * now is acknowledged in ACKs of |per_ack| bytes (the last takes what is
 * left), spread evenly over |rtt_us|; *now advances by |rtt_us|.
 */
static void ack_round(struct tcp_cc *cc, uint64_t *now, uint32_t rtt_us, uint32_t per_ack)
{
	uint32_t left = cc->cwnd, n = (left + per_ack - 1) / per_ack, i, a;

	for (i = 0; i < n; i++) {
		a = left < per_ack ? left : per_ack;
		tcp_cc_on_ack(cc, a, rtt_us, *now + (uint64_t)rtt_us * i / n, true);
		left -= a;
	}
	*now += rtt_us;
}

/* Slow start from IW to exactly |segs| segments, one SMSS per ACK. */
static void grow_to(struct tcp_cc *cc, uint32_t segs, uint64_t now)
{
	uint32_t n;

	for (n = 0; cc->cwnd < segs * cc->smss; n++) {
		assert_true(n < segs); /* a mutant that stops growing must fail, not hang */
		tcp_cc_on_ack(cc, cc->smss, 10000, now, true);
	}
	assert_int_equal(cc->cwnd, segs * cc->smss);
}

static void setup(struct tcp_cc *cc, const char *algo, uint32_t smss)
{
	assert_int_equal(tcp_cc_init(cc, tcp_cc_ops_by_name(algo), smss, 0), 0);
}

/*
 * A CUBIC connection that lost at |w_max| segments (SACK recovery, the whole
 * window in flight) and left recovery with everything acknowledged but a
 * window: cwnd = ssthresh = 0.7 * w_max segments, in congestion avoidance.
 */
static void cubic_after_loss(struct tcp_cc *cc, uint32_t w_max)
{
	setup(cc, "cubic", MSS);
	grow_to(cc, w_max, 0);
	tcp_cc_recovery_enter(cc, cc->cwnd, true);
	tcp_cc_recovery_exit(cc, cc->cwnd);
	assert_int_equal(cc->cwnd, cc->ssthresh);
	assert_false(tcp_cc_in_slow_start(cc));
}

/* ------------------------------------------------------------------------- */
/* Selection and set-up                                                       */

static void test_names_and_lookup(void **state)
{
	const struct tcp_cc_ops *ops;
	size_t i;

	(void)state;
	assert_string_equal(tcp_cc_names[0], "newreno");
	assert_string_equal(tcp_cc_names[1], "cubic");
	assert_null(tcp_cc_names[2]);
	for (i = 0; tcp_cc_names[i] != NULL; i++) {
		ops = tcp_cc_ops_by_name(tcp_cc_names[i]);
		assert_non_null(ops);
		assert_string_equal(ops->name, tcp_cc_names[i]);
		assert_true(strlen(tcp_cc_names[i]) <= TCP_CC_NAME_MAX);
	}
	assert_ptr_equal(tcp_cc_ops_by_name("newreno"), &tcp_cc_newreno_ops);
	assert_ptr_equal(tcp_cc_ops_by_name("cubic"), &tcp_cc_cubic_ops);
	assert_null(tcp_cc_ops_by_name("CUBIC"));
	assert_null(tcp_cc_ops_by_name("reno"));
	assert_null(tcp_cc_ops_by_name("cubic "));
	assert_null(tcp_cc_ops_by_name(""));
	assert_null(tcp_cc_ops_by_name(NULL));
}

static void test_init_and_iw(void **state)
{
	struct tcp_cc cc, before;

	(void)state;
	/* RFC 6928: min(10*SMSS, max(2*SMSS, 14600)). */
	assert_int_equal(tcp_cc_iw(536), 5360);
	assert_int_equal(tcp_cc_iw(1000), 10000);
	assert_int_equal(tcp_cc_iw(1460), 14600);
	assert_int_equal(tcp_cc_iw(1461), 14600);
	assert_int_equal(tcp_cc_iw(4000), 14600);
	assert_int_equal(tcp_cc_iw(8960), 17920);
	assert_int_equal(tcp_cc_iw(65535), 131070);

	memset(&cc, 0xa5, sizeof(cc));
	memcpy(&before, &cc, sizeof(cc));
	assert_int_equal(tcp_cc_init(&cc, NULL, MSS, 0), -EINVAL);
	assert_int_equal(tcp_cc_init(&cc, &tcp_cc_cubic_ops, 0, 0), -EINVAL);
	assert_int_equal(tcp_cc_init(&cc, &tcp_cc_cubic_ops, 65536, 0), -EINVAL);
	assert_int_equal(tcp_cc_init(NULL, &tcp_cc_cubic_ops, MSS, 0), -EINVAL);
	assert_memory_equal(&cc, &before, sizeof(cc));

	assert_int_equal(tcp_cc_init(&cc, &tcp_cc_newreno_ops, MSS, 5), 0);
	assert_int_equal(tcp_cc_cwnd(&cc), 14600);
	assert_int_equal(cc.ssthresh, TCP_CC_SSTHRESH_INF);
	assert_int_equal(cc.phase, TCP_CC_OPEN);
	assert_true(tcp_cc_in_slow_start(&cc));
	assert_false(tcp_cc_in_recovery(&cc));
}

/* ------------------------------------------------------------------------- */
/* Slow start and congestion avoidance                                        */

static void slow_start_doubles(const char *algo)
{
	struct tcp_cc cc;
	uint64_t now = 0;
	uint32_t before;

	setup(&cc, algo, MSS);
	ack_round(&cc, &now, 50000, MSS);
	assert_int_equal(cc.cwnd, 2 * 14600);
	ack_round(&cc, &now, 50000, MSS);
	assert_int_equal(cc.cwnd, 4 * 14600);
	ack_round(&cc, &now, 50000, MSS);
	assert_int_equal(cc.cwnd, 8 * 14600);

	/* Delayed ACKs (one per two segments): ABC with L = 1 SMSS gives 1.5x. */
	setup(&cc, algo, MSS);
	ack_round(&cc, &now, 50000, 2 * MSS);
	assert_int_equal(cc.cwnd, 14600 + 5 * MSS);

	/* A stretch ACK of ten segments earns one SMSS, and a partial one its bytes. */
	setup(&cc, algo, MSS);
	tcp_cc_on_ack(&cc, 10 * MSS, 50000, now, true);
	assert_int_equal(cc.cwnd, 14600 + MSS);
	tcp_cc_on_ack(&cc, 100, 50000, now, true);
	assert_int_equal(cc.cwnd, 14600 + MSS + 100);

	/* An ACK of nothing changes nothing. */
	before = cc.cwnd;
	tcp_cc_on_ack(&cc, 0, 50000, now, true);
	assert_int_equal(cc.cwnd, before);
}

static void test_slow_start_newreno(void **state)
{
	(void)state;
	slow_start_doubles("newreno");
}

static void test_slow_start_cubic(void **state)
{
	(void)state;
	slow_start_doubles("cubic");
}

static void test_newreno_ca_one_smss_per_rtt(void **state)
{
	struct tcp_cc cc;
	uint64_t now = 0;
	uint32_t i, w;

	(void)state;
	setup(&cc, "newreno", MSS);
	grow_to(&cc, 40, now);
	tcp_cc_recovery_enter(&cc, 40 * MSS, true);
	tcp_cc_recovery_exit(&cc, 30 * MSS);
	assert_int_equal(cc.ssthresh, 20 * MSS);
	assert_int_equal(cc.cwnd, 20 * MSS);

	/* One ACK per segment: exactly one SMSS per round trip. */
	for (i = 1; i <= 10; i++) {
		ack_round(&cc, &now, 50000, MSS);
		assert_int_equal(cc.cwnd, (20 + i) * MSS);
	}
	/* Delayed ACKs: byte counting keeps it at one SMSS per round trip. */
	for (i = 1; i <= 10; i++) {
		ack_round(&cc, &now, 50000, 2 * MSS);
		assert_int_equal(cc.cwnd, (30 + i) * MSS);
	}
	/* Within a round, no growth until a whole window has been acknowledged. */
	w = cc.cwnd;
	tcp_cc_on_ack(&cc, w - MSS, 50000, now, true);
	assert_int_equal(cc.cwnd, w);
	tcp_cc_on_ack(&cc, MSS, 50000, now, true);
	assert_int_equal(cc.cwnd, w + MSS);
	/* A stretch ACK of several windows earns one SMSS. */
	w = cc.cwnd;
	tcp_cc_on_ack(&cc, 5 * w, 50000, now, true);
	assert_int_equal(cc.cwnd, w + MSS);
}

/* ------------------------------------------------------------------------- */
/* Retransmission timeout                                                     */

static void test_rto_collapse_newreno(void **state)
{
	struct tcp_cc cc;
	uint32_t i;

	(void)state;
	setup(&cc, "newreno", MSS);
	grow_to(&cc, 50, 0);
	tcp_cc_on_rto(&cc, 50 * MSS);
	assert_int_equal(cc.ssthresh, 25 * MSS);
	assert_int_equal(cc.cwnd, MSS);
	assert_int_equal(cc.phase, TCP_CC_LOSS);

	/* Backoff of the same segment: ssthresh is kept, not halved again. */
	tcp_cc_on_rto(&cc, 3 * MSS);
	assert_int_equal(cc.ssthresh, 25 * MSS);
	assert_int_equal(cc.cwnd, MSS);

	/* New data acknowledged: slow start from the loss window up to ssthresh. */
	tcp_cc_on_ack(&cc, MSS, 10000, 0, true);
	assert_int_equal(cc.phase, TCP_CC_OPEN);
	assert_int_equal(cc.cwnd, 2 * MSS);
	for (i = 0; i < 23; i++) {
		tcp_cc_on_ack(&cc, MSS, 10000, 0, true);
	}
	assert_int_equal(cc.cwnd, 25 * MSS);
	tcp_cc_on_ack(&cc, MSS, 10000, 0, true);
	assert_int_equal(cc.cwnd, 25 * MSS); /* now in congestion avoidance */

	/* A new timeout with little in flight: ssthresh floor of 2*SMSS. */
	tcp_cc_on_rto(&cc, MSS);
	assert_int_equal(cc.ssthresh, 2 * MSS);
	assert_int_equal(cc.cwnd, MSS);

	/* A timeout during fast recovery ends it. */
	setup(&cc, "newreno", MSS);
	grow_to(&cc, 20, 0);
	tcp_cc_recovery_enter(&cc, 20 * MSS, false);
	assert_true(tcp_cc_in_recovery(&cc));
	assert_int_equal(cc.ssthresh, 10 * MSS);
	tcp_cc_on_rto(&cc, 16 * MSS);
	assert_false(tcp_cc_in_recovery(&cc));
	assert_int_equal(cc.phase, TCP_CC_LOSS);
	assert_int_equal(cc.cwnd, MSS);
	/* Not a repeated timeout: ssthresh comes from the flight at the timeout. */
	assert_int_equal(cc.ssthresh, 8 * MSS);
}

static void test_rto_collapse_cubic(void **state)
{
	struct tcp_cc cc;
	int i;

	(void)state;
	setup(&cc, "cubic", MSS);
	grow_to(&cc, 100, 0);
	tcp_cc_on_rto(&cc, 100 * MSS);
	assert_int_equal(cc.ssthresh, 70 * MSS);
	assert_int_equal(cc.cwnd, MSS);
	tcp_cc_on_rto(&cc, 2 * MSS);
	assert_int_equal(cc.ssthresh, 70 * MSS);

	/* RFC 9438 4.8: the first CA stage after a timeout has K = 0, W_max = cwnd_epoch. */
	for (i = 0; tcp_cc_in_slow_start(&cc); i++) {
		assert_true(i < 100);
		tcp_cc_on_ack(&cc, MSS, 100000, 1000000, true);
	}
	assert_int_equal(cc.cwnd, 70 * MSS);
	tcp_cc_on_ack(&cc, MSS, 100000, 2000000, true);
	assert_true(cc.u.cubic.in_epoch);
	assert_int_equal(cc.u.cubic.cwnd_epoch, 70 * MSS);
	assert_true(dabs(cc.u.cubic.k) < 1e-12);
	assert_true(dabs(cc.u.cubic.w_max - 70.0 * MSS) < 1e-6);

	/* Small flight: 0.7 * FlightSize is floored at 2*SMSS. */
	tcp_cc_on_rto(&cc, 2 * MSS);
	assert_int_equal(cc.ssthresh, 2 * MSS);
}

/* ------------------------------------------------------------------------- */
/* Fast recovery                                                              */

static void test_newreno_fast_recovery_exact(void **state)
{
	struct tcp_cc cc;

	(void)state;
	setup(&cc, "newreno", 1000);
	assert_int_equal(cc.cwnd, 10000);
	grow_to(&cc, 20, 0);

	/* Outside recovery the recovery hooks do nothing. */
	tcp_cc_recovery_dupack(&cc);
	tcp_cc_recovery_partial_ack(&cc, 3000);
	tcp_cc_recovery_exit(&cc, 1000);
	assert_int_equal(cc.cwnd, 20000);
	assert_int_equal(cc.phase, TCP_CC_OPEN);

	/* Third dupack: ssthresh = FlightSize / 2, cwnd = ssthresh + 3*SMSS. */
	tcp_cc_recovery_enter(&cc, 20000, false);
	assert_true(tcp_cc_in_recovery(&cc));
	assert_int_equal(cc.ssthresh, 10000);
	assert_int_equal(cc.cwnd, 13000);
	/* Entering again (more dupacks of the same window) changes nothing. */
	tcp_cc_recovery_enter(&cc, 5000, false);
	assert_int_equal(cc.ssthresh, 10000);
	assert_int_equal(cc.cwnd, 13000);

	/* Further dupacks inflate by SMSS each. */
	tcp_cc_recovery_dupack(&cc);
	tcp_cc_recovery_dupack(&cc);
	assert_int_equal(cc.cwnd, 15000);

	/* New-data ACKs during recovery go through the recovery hooks only. */
	tcp_cc_on_ack(&cc, 3000, 10000, 0, true);
	assert_int_equal(cc.cwnd, 15000);

	/* Partial ACK of 3 segments: deflate by 3000, add back one SMSS. */
	tcp_cc_recovery_partial_ack(&cc, 3000);
	assert_int_equal(cc.cwnd, 13000);
	/* Partial ACK under one SMSS: deflate only. */
	tcp_cc_recovery_partial_ack(&cc, 500);
	assert_int_equal(cc.cwnd, 12500);
	/* A partial ACK larger than cwnd never takes it below SMSS. */
	tcp_cc_recovery_partial_ack(&cc, 50000);
	assert_int_equal(cc.cwnd, 1000);
	tcp_cc_recovery_dupack(&cc);
	tcp_cc_recovery_dupack(&cc);
	assert_int_equal(cc.cwnd, 3000);

	/* Full ACK, 4000 still in flight: min(ssthresh, max(4000, SMSS) + SMSS). */
	tcp_cc_recovery_exit(&cc, 4000);
	assert_false(tcp_cc_in_recovery(&cc));
	assert_int_equal(cc.cwnd, 5000);
	assert_int_equal(cc.ssthresh, 10000);
	assert_true(tcp_cc_in_slow_start(&cc));
	tcp_cc_on_ack(&cc, 1000, 10000, 0, true);
	assert_int_equal(cc.cwnd, 6000);

	/* Full ACK with more in flight than ssthresh: cwnd = ssthresh. */
	setup(&cc, "newreno", 1000);
	grow_to(&cc, 20, 0);
	tcp_cc_recovery_enter(&cc, 20000, false);
	tcp_cc_recovery_exit(&cc, 12000);
	assert_int_equal(cc.cwnd, 10000);
	/* And with nothing in flight: 2*SMSS. */
	setup(&cc, "newreno", 1000);
	grow_to(&cc, 20, 0);
	tcp_cc_recovery_enter(&cc, 20000, false);
	tcp_cc_recovery_exit(&cc, 0);
	assert_int_equal(cc.cwnd, 2000);

	/* Small FlightSize: ssthresh floor 2*SMSS. */
	setup(&cc, "newreno", 1000);
	tcp_cc_recovery_enter(&cc, 3000, false);
	assert_int_equal(cc.ssthresh, 2000);
	assert_int_equal(cc.cwnd, 5000);
}

static void test_sack_recovery_windows(void **state)
{
	struct tcp_cc cc;

	(void)state;
	setup(&cc, "newreno", 1000);
	grow_to(&cc, 20, 0);
	tcp_cc_recovery_enter(&cc, 18000, true);
	assert_int_equal(cc.ssthresh, 9000);
	assert_int_equal(cc.cwnd, 9000);
	/* RFC 6675: no inflation, no deflation; pipe does the work. */
	tcp_cc_recovery_dupack(&cc);
	tcp_cc_recovery_partial_ack(&cc, 4000);
	assert_int_equal(cc.cwnd, 9000);
	tcp_cc_recovery_exit(&cc, 9000);
	assert_int_equal(cc.cwnd, 9000);
	assert_int_equal(cc.phase, TCP_CC_OPEN);
	assert_false(tcp_cc_in_slow_start(&cc));

	/* CUBIC's reduction: ssthresh = cwnd = 0.7 * FlightSize. */
	setup(&cc, "cubic", 1000);
	grow_to(&cc, 20, 0);
	tcp_cc_recovery_enter(&cc, 20000, true);
	assert_int_equal(cc.ssthresh, 14000);
	assert_int_equal(cc.cwnd, 14000);
	/* And without SACK, NewReno's inflation on top of it. */
	setup(&cc, "cubic", 1000);
	grow_to(&cc, 20, 0);
	tcp_cc_recovery_enter(&cc, 20000, false);
	assert_int_equal(cc.ssthresh, 14000);
	assert_int_equal(cc.cwnd, 17000);
	tcp_cc_recovery_partial_ack(&cc, 2000);
	assert_int_equal(cc.cwnd, 16000);
	tcp_cc_recovery_exit(&cc, 20000);
	assert_int_equal(cc.cwnd, 14000);
}

/* ------------------------------------------------------------------------- */
/* CUBIC                                                                      */

static void test_cubic_wmax_k_after_loss(void **state)
{
	struct tcp_cc cc;
	const struct tcp_cc_cubic *c = &cc.u.cubic;
	double k;

	(void)state;
	cubic_after_loss(&cc, 100);
	/* W_max = cwnd before the reduction; ssthresh = 0.7 * FlightSize. */
	assert_true(dabs(c->w_max - 100.0 * MSS) < 1e-6);
	assert_int_equal(c->cwnd_prior, 100 * MSS);
	assert_int_equal(cc.ssthresh, 70 * MSS);
	assert_int_equal(cc.cwnd, 70 * MSS);
	assert_false(c->in_epoch);

	/* The epoch starts with the first ACK in congestion avoidance. */
	tcp_cc_on_ack(&cc, MSS, 100000, 7000000, true);
	assert_true(c->in_epoch);
	assert_int_equal(c->epoch_us, 7000000);
	assert_int_equal(c->cwnd_epoch, 70 * MSS);
	k = ref_k(100.0, 70.0); /* cbrt(75) = 4.2172 s */
	assert_true(dabs(k - 4.217163) < 1e-5);
	assert_true(dabs(c->k - k) < 1e-9);

	/* Same with a window that is not a whole number of segments. */
	setup(&cc, "cubic", 1000);
	grow_to(&cc, 37, 0);
	tcp_cc_on_ack(&cc, 400, 0, 0, true); /* 37400 bytes */
	tcp_cc_recovery_enter(&cc, 37400, true);
	assert_int_equal(cc.ssthresh, 26180);
	tcp_cc_recovery_exit(&cc, 37400);
	tcp_cc_on_ack(&cc, 1000, 0, 1, true);
	assert_true(dabs(c->w_max - 37400.0) < 1e-6);
	assert_true(dabs(c->k - ref_k(37.4, 26.18)) < 1e-9);
}

static void test_cubic_trajectory_concave_convex(void **state)
{
	struct tcp_cc cc;
	const uint32_t rtt = 100000, w_max = 1000;
	uint64_t now = 50000000, t0 = now;
	double k = ref_k(w_max, 0.7 * w_max), t, w, lo, hi;
	double at[5] = {0}, marks[5];
	uint32_t prev;
	int i, m = 0;

	(void)state;
	for (i = 0; i < 5; i++) {
		marks[i] = k * i / 2.0; /* 0, K/2, K, 1.5K, 2K */
	}
	cubic_after_loss(&cc, w_max);
	prev = cc.cwnd;
	for (;;) {
		t = (double)(now - t0) / 1e6;
		w = (double)cc.cwnd / MSS;
		/* cwnd tracks the curve: between W_cubic(t) (less a lag) and W_cubic(t + RTT). */
		lo = ref_wcubic(t, k, w_max) - 0.02 * w_max;
		hi = ref_wcubic(t + rtt / 1e6, k, w_max) + 1.0;
		if (w < lo || w > hi) {
			fail_msg("t %.2f cwnd %.2f segments outside [%.2f, %.2f]", t, w, lo, hi);
		}
		assert_true(cc.cwnd >= prev);
		prev = cc.cwnd;
		if (m < 5 && t >= marks[m]) {
			at[m++] = w;
		}
		if (m == 5) {
			break;
		}
		ack_round(&cc, &now, rtt, MSS);
	}
	/* The plateau: W_max reached at t = K. */
	assert_true(dabs(at[2] - w_max) < 0.01 * w_max);
	/* Concave before K: growth slows; convex after: it speeds up. */
	assert_true(at[1] - at[0] > 3 * (at[2] - at[1]));
	assert_true(at[4] - at[3] > 3 * (at[3] - at[2]));
	/* Reference: 0.4 K^3 (7/8) = 262.5 segments in the outer halves, 37.5 inner. */
	assert_true(dabs((at[1] - at[0]) - 262.5) < 20.0);
	assert_true(dabs((at[4] - at[3]) - 262.5) < 20.0);
	/* Not Reno-friendly at this RTT: W_est stayed far below cwnd. */
	assert_true(cc.u.cubic.w_est < 0.8 * cc.cwnd);
}

/*
 * RFC 9438 4.2, one ACK at a time: cwnd grows by (target - cwnd) / cwnd
 * segments per segment acknowledged, target = W_cubic(t + RTT).
 */
static void test_cubic_per_ack_increment(void **state)
{
	struct tcp_cc cc;
	const uint64_t t0 = 1000000;
	double k = ref_k(100, 70), target, expect;
	uint32_t w;

	(void)state;
	cubic_after_loss(&cc, 100);
	tcp_cc_on_ack(&cc, MSS, 100000, t0, true); /* starts the epoch */

	/* Concave region, t = 1 s, RTT = 100 ms. */
	w = cc.cwnd;
	target = ref_wcubic(1.1, k, 100) * MSS;
	assert_true(target > w && target < 1.5 * w && target < 100.0 * MSS);
	tcp_cc_on_ack(&cc, MSS, 100000, t0 + 1000000, true);
	expect = w + (target - w) / w * MSS;
	assert_true(dabs(cc.cwnd - expect) <= 1.0);

	/* Same instant, no RTT sample yet: target = W_cubic(t). */
	w = cc.cwnd;
	target = ref_wcubic(1.0, k, 100) * MSS;
	tcp_cc_on_ack(&cc, 2 * MSS, 0, t0 + 1000000, true);
	expect = w + (target - w) / w * 2 * MSS;
	assert_true(dabs(cc.cwnd - expect) <= 1.0);

	/* Convex region, t = K + 1 s. */
	w = cc.cwnd;
	target = ref_wcubic(k + 1.1, k, 100) * MSS;
	assert_true(target > 100.0 * MSS && target < 1.5 * w);
	tcp_cc_on_ack(&cc, MSS, 100000, t0 + (uint64_t)((k + 1.0) * 1e6), true);
	expect = w + (target - w) / w * MSS;
	assert_true(dabs(cc.cwnd - expect) <= 1.0);
}

static void test_cubic_reno_friendly_small_rtt(void **state)
{
	struct tcp_cc cc;
	const uint32_t rtt = 1000, w_max = 100;
	uint64_t now = 1000000, t0 = now;
	double k = ref_k(w_max, 0.7 * w_max), reno = 0.7 * w_max, t = 0, w = 0;
	int r;

	(void)state;
	cubic_after_loss(&cc, w_max);
	for (r = 1; r <= 500; r++) {
		ack_round(&cc, &now, rtt, MSS);
		/* RFC 9438 4.3: alpha_cubic per RTT until cwnd_prior, then 1. */
		reno += reno >= w_max ? 1.0 : R_ALPHA;
		t = (double)(now - t0) / 1e6;
		w = (double)cc.cwnd / MSS;
		if (dabs(w - reno) > 0.02 * reno + 1.0) {
			fail_msg("round %d: cwnd %.2f segments, Reno estimate %.2f", r, w, reno);
		}
	}
	/* After 0.5 s the cubic curve is still below W_max; Reno is far above. */
	assert_true(ref_wcubic(t, k, w_max) < 80.0);
	assert_true(w > 5.0 * ref_wcubic(t, k, w_max));
	assert_true(dabs(cc.u.cubic.w_est / MSS - w) < 1.0);
}

static void test_cubic_fast_convergence(void **state)
{
	struct tcp_cc cc;
	const struct tcp_cc_cubic *c = &cc.u.cubic;
	uint64_t now;

	(void)state;
	cubic_after_loss(&cc, 100);
	assert_true(dabs(c->w_max - 100.0 * MSS) < 1e-6);

	/* A second loss below W_max: W_max = cwnd * (1 + beta) / 2. */
	tcp_cc_recovery_enter(&cc, cc.cwnd, true);
	assert_true(dabs(c->w_max - 70.0 * MSS * (1.0 + R_BETA) / 2.0) < 1e-6);
	assert_int_equal(c->cwnd_prior, 70 * MSS);
	assert_int_equal(cc.ssthresh, 49 * MSS);
	tcp_cc_recovery_exit(&cc, cc.cwnd);
	tcp_cc_on_ack(&cc, MSS, 100000, 1, true);
	assert_true(dabs(c->k - ref_k(59.5, 49.0)) < 1e-9);

	/* A loss above the last W_max: no fast convergence, W_max = cwnd. */
	setup(&cc, "cubic", MSS);
	grow_to(&cc, 50, 0);
	tcp_cc_recovery_enter(&cc, cc.cwnd, true);
	tcp_cc_recovery_exit(&cc, cc.cwnd);
	for (now = 1000000; cc.cwnd < 60 * MSS; now += 1000) {
		tcp_cc_on_ack(&cc, MSS, 1000, now, true);
		assert_true(now < 100000000);
	}
	tcp_cc_recovery_enter(&cc, 60 * MSS, true);
	assert_true(dabs(c->w_max - (double)c->cwnd_prior) < 1e-6);
	assert_true(c->cwnd_prior >= 60 * MSS);
}

static void test_cubic_cap_one_and_a_half(void **state)
{
	struct tcp_cc cc;
	const uint64_t t0 = 1000000;
	uint32_t w;
	int i;
	double k;

	(void)state;
	cubic_after_loss(&cc, 100);
	tcp_cc_on_ack(&cc, MSS, 100000, t0, true);
	w = cc.cwnd;
	k = ref_k(100, 70);

	/* 100 s later, W_cubic(t + RTT) is far beyond 1.5 * cwnd ... */
	assert_true(ref_wcubic(100.1, k, 100) * MSS > 100.0 * w);
	/* ... so one SMSS acknowledged grows cwnd by (1.5 cwnd - cwnd) / cwnd SMSS. */
	tcp_cc_on_ack(&cc, MSS, 100000, t0 + 100000000, true);
	assert_in_range(cc.cwnd, w + MSS / 2 - 1, w + MSS / 2);
	/* A stretch ACK of twice the window grows it by at most half. */
	w = cc.cwnd;
	tcp_cc_on_ack(&cc, 2 * w, 100000, t0 + 100000000, true);
	assert_in_range(cc.cwnd, w + w / 2 - 1, w + w / 2 + 1);
	/* The cap on the window itself holds. */
	for (i = 0; cc.cwnd < TCP_CC_CWND_MAX; i++) {
		assert_true(i < 100);
		tcp_cc_on_ack(&cc, cc.cwnd, 100000, t0 + 200000000, true);
	}
	assert_int_equal(cc.cwnd, TCP_CC_CWND_MAX);
}

/* ------------------------------------------------------------------------- */
/* Restart after idle                                                         */

static void idle_restart(const char *algo)
{
	struct tcp_cc cc;
	uint64_t now = RTO_US / 2; /* the connection started at 0 */

	setup(&cc, algo, MSS);
	grow_to(&cc, 50, now);
	tcp_cc_on_send(&cc, RTO_US, now);
	/* Idle exactly one RTO: no restart. */
	now += RTO_US;
	tcp_cc_on_send(&cc, RTO_US, now);
	assert_int_equal(cc.cwnd, 50 * MSS);
	/* Idle longer than an RTO: cwnd = min(IW, cwnd). */
	now += RTO_US + 1;
	tcp_cc_on_send(&cc, RTO_US, now);
	assert_int_equal(cc.cwnd, 14600);
	assert_int_equal(cc.ssthresh, TCP_CC_SSTHRESH_INF);
	/* A window already below IW stays. */
	tcp_cc_on_rto(&cc, 10 * MSS);
	tcp_cc_on_ack(&cc, MSS, 10000, now, true);
	assert_int_equal(cc.cwnd, 2 * MSS);
	now += 10 * RTO_US;
	tcp_cc_on_send(&cc, RTO_US, now);
	assert_int_equal(cc.cwnd, 2 * MSS);
}

static void test_idle_restart_newreno(void **state)
{
	(void)state;
	idle_restart("newreno");
}

static void test_idle_restart_cubic(void **state)
{
	struct tcp_cc cc;
	const struct tcp_cc_cubic *c = &cc.u.cubic;
	uint64_t now = RTO_US / 2; /* the connection started at 0 */
	int i;

	(void)state;
	idle_restart("cubic");

	/* CUBIC: the epoch ends with the idle period and restarts in CA. */
	cubic_after_loss(&cc, 100);
	tcp_cc_on_send(&cc, RTO_US, now);
	tcp_cc_on_ack(&cc, MSS, 100000, now, true);
	assert_true(c->in_epoch);
	assert_int_equal(c->epoch_us, now);
	now += 5 * RTO_US;
	tcp_cc_on_send(&cc, RTO_US, now);
	assert_false(c->in_epoch);
	assert_int_equal(cc.cwnd, 14600);
	assert_true(dabs(c->w_max - 100.0 * MSS) < 1e-6);
	/* Slow start back to ssthresh, then a fresh epoch aiming at the old W_max. */
	for (i = 0; tcp_cc_in_slow_start(&cc); i++) {
		assert_true(i < 100);
		tcp_cc_on_ack(&cc, MSS, 100000, now, true);
	}
	assert_false(c->in_epoch);
	now += 300000;
	tcp_cc_on_ack(&cc, MSS, 100000, now, true);
	assert_true(c->in_epoch);
	assert_int_equal(c->epoch_us, now);
	assert_true(dabs(c->k - ref_k(100.0, (double)c->cwnd_epoch / MSS)) < 1e-9);
}

static void test_dump(void **state)
{
	struct tcp_cc cc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	cubic_after_loss(&cc, 100);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	tcp_cc_dump(f, &cc);
	tcp_cc_recovery_enter(&cc, cc.cwnd, true);
	tcp_cc_dump(f, &cc);
	fclose(f);
	assert_non_null(
		strstr(buf, "cubic open cwnd 102200 ssthresh 102200 smss 1460 w_max 146000"));
	assert_non_null(strstr(buf, "cubic recovery(sack) cwnd 71540"));
	free(buf);
}

/* After an RTO the window rebuilds by slow start; a late dupack trigger must not restore it. */
static void test_no_recovery_after_rto(void **state)
{
	const struct tcp_cc_ops *algos[] = {&tcp_cc_newreno_ops, &tcp_cc_cubic_ops};

	(void)state;
	for (unsigned a = 0; a < 2; a++) {
		struct tcp_cc cc;

		assert_int_equal(tcp_cc_init(&cc, algos[a], MSS, 0), 0);
		cc.cwnd = 100 * MSS;
		tcp_cc_on_rto(&cc, 100 * MSS);
		assert_int_equal(tcp_cc_cwnd(&cc), MSS);
		tcp_cc_recovery_enter(&cc, 100 * MSS, a == 1);
		assert_int_equal(tcp_cc_cwnd(&cc), MSS);
		assert_false(tcp_cc_in_recovery(&cc));
		/* An ACK of new data ends LOSS; then recovery may start again. */
		tcp_cc_on_ack(&cc, MSS, 10000, 1000, true);
		tcp_cc_recovery_enter(&cc, 2 * MSS, false);
		assert_true(tcp_cc_in_recovery(&cc));
	}
}

/* A flow that does not fill its window does not grow it (RFC 7661, RFC 9438 5.8). */
static void test_application_limited_does_not_grow(void **state)
{
	const struct tcp_cc_ops *algos[] = {&tcp_cc_newreno_ops, &tcp_cc_cubic_ops};

	(void)state;
	for (unsigned a = 0; a < 2; a++) {
		struct tcp_cc cc;
		uint64_t now = 0;
		uint32_t before;

		assert_int_equal(tcp_cc_init(&cc, algos[a], MSS, 0), 0);
		cc.ssthresh = 20 * MSS;
		cc.cwnd = 20 * MSS; /* congestion avoidance */
		for (int i = 0; i < 1000; i++) {
			now += 10000;
			tcp_cc_on_ack(&cc, 2 * MSS, 10000, now, false);
		}
		assert_int_equal(tcp_cc_cwnd(&cc), 20 * MSS);
		/* Filling the window again: growth resumes from here, gently (one RTT). */
		before = tcp_cc_cwnd(&cc);
		for (int i = 0; i < 20; i++) {
			now += 500;
			tcp_cc_on_ack(&cc, MSS, 10000, now, true);
		}
		assert_true(tcp_cc_cwnd(&cc) >= before);
		assert_true(tcp_cc_cwnd(&cc) <= before + 2 * MSS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_recovery_after_rto),
		cmocka_unit_test(test_application_limited_does_not_grow),
		cmocka_unit_test(test_names_and_lookup),
		cmocka_unit_test(test_init_and_iw),
		cmocka_unit_test(test_slow_start_newreno),
		cmocka_unit_test(test_slow_start_cubic),
		cmocka_unit_test(test_newreno_ca_one_smss_per_rtt),
		cmocka_unit_test(test_rto_collapse_newreno),
		cmocka_unit_test(test_rto_collapse_cubic),
		cmocka_unit_test(test_newreno_fast_recovery_exact),
		cmocka_unit_test(test_sack_recovery_windows),
		cmocka_unit_test(test_cubic_wmax_k_after_loss),
		cmocka_unit_test(test_cubic_trajectory_concave_convex),
		cmocka_unit_test(test_cubic_per_ack_increment),
		cmocka_unit_test(test_cubic_reno_friendly_small_rtt),
		cmocka_unit_test(test_cubic_fast_convergence),
		cmocka_unit_test(test_cubic_cap_one_and_a_half),
		cmocka_unit_test(test_idle_restart_newreno),
		cmocka_unit_test(test_idle_restart_cubic),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
