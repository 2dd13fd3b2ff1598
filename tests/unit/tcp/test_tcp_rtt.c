/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the RTO estimator (dataplane/tcp/tcp_rtt.h): RFC 6298 2.1-2.5
 * and 5.5-5.7, Karn's rule with the RFC 7323 timestamp exception, RFC 7323
 * appendix G's reduced gains.
 *
 * The expected values are worked out by hand from the RFC formulas with
 * samples chosen so that every step is exact, and a long random sequence is
 * checked against the formulas evaluated in floating point.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_rtt.h"

#define S_US 1000000ull
#define MS_US 1000ull

static struct tcp_rtt_params params(uint64_t min_rto, uint64_t g)
{
	struct tcp_rtt_params p = {
		.initial_rto_us = S_US,
		.min_rto_us = min_rto,
		.max_rto_us = 60 * S_US,
		.granularity_us = g,
	};
	return p;
}

static void init_ok(struct tcp_rtt *r, uint64_t min_rto, uint64_t g)
{
	struct tcp_rtt_params p = params(min_rto, g);

	assert_int_equal(tcp_rtt_init(r, &p), 0);
}

static void test_defaults(void **state)
{
	struct tcp_rtt_params p;
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_params_default(&p);
	assert_int_equal(p.initial_rto_us, S_US);
	assert_int_equal(p.min_rto_us, S_US);
	assert_int_equal(p.max_rto_us, 60 * S_US);
	assert_int_equal(p.granularity_us, MS_US);

	assert_int_equal(tcp_rtt_init(&r, NULL), 0);
	assert_int_equal(tcp_rtt_rto(&r), S_US); /* RFC 6298 2.1 */
	assert_false(tcp_rtt_has_sample(&r));
	assert_int_equal(tcp_rtt_srtt(&r), 0);
	assert_int_equal(tcp_rtt_rttvar(&r), 0);
	assert_int_equal(tcp_rtt_min(&r), 0);
	assert_int_equal(tcp_rtt_nb_backoff(&r), 0);
}

static void test_init_invalid(void **state)
{
	struct tcp_rtt_params p;
	struct tcp_rtt r;

	(void)state;
	p = params(0, MS_US);
	assert_int_equal(tcp_rtt_init(&r, &p), -EINVAL);
	p = params(S_US, MS_US);
	p.max_rto_us = 60 * S_US - 1; /* RFC 6298 2.5: at least 60 s */
	assert_int_equal(tcp_rtt_init(&r, &p), -EINVAL);
	p = params(S_US, MS_US);
	p.max_rto_us = 1ull << 40;
	assert_int_equal(tcp_rtt_init(&r, &p), -EINVAL);
	p = params(S_US, MS_US);
	p.initial_rto_us = S_US - 1; /* below min */
	assert_int_equal(tcp_rtt_init(&r, &p), -EINVAL);
	p = params(S_US, MS_US);
	p.initial_rto_us = 61 * S_US; /* above max */
	assert_int_equal(tcp_rtt_init(&r, &p), -EINVAL);
	p = params(61 * S_US, MS_US); /* min above max */
	p.initial_rto_us = 61 * S_US;
	assert_int_equal(tcp_rtt_init(&r, &p), -EINVAL);
	p = params(S_US, 0);
	assert_int_equal(tcp_rtt_init(&r, &p), -EINVAL);
	p = params(S_US, 61 * S_US);
	assert_int_equal(tcp_rtt_init(&r, &p), -EINVAL);
	/* The boundary values are fine. */
	p = params(1, 1);
	p.initial_rto_us = 1;
	assert_int_equal(tcp_rtt_init(&r, &p), 0);
	assert_int_equal(tcp_rtt_rto(&r), 1);
}

/* RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max(G, K*RTTVAR). */
static void test_first_sample(void **state)
{
	struct tcp_rtt r;

	(void)state;
	init_ok(&r, TCP_RTT_MIN_RTO_LINUX_US, MS_US);
	assert_true(tcp_rtt_sample(&r, 100 * MS_US, 0, 1));
	assert_true(tcp_rtt_has_sample(&r));
	assert_int_equal(tcp_rtt_srtt(&r), 100000);
	assert_int_equal(tcp_rtt_rttvar(&r), 50000);
	assert_int_equal(tcp_rtt_rto(&r), 100000 + 4 * 50000);
	assert_int_equal(tcp_rtt_min(&r), 100000);

	/* An odd sample: RTTVAR is R/2 = 50.5 us, RTO = 101 + 202 exactly. */
	init_ok(&r, 1, 1);
	assert_true(tcp_rtt_sample(&r, 101, 0, 1));
	assert_int_equal(tcp_rtt_srtt(&r), 101);
	assert_int_equal(tcp_rtt_rttvar(&r), 50);
	assert_int_equal(tcp_rtt_rto(&r), 303);

	/* The same sample under the RFC's 1 s minimum (2.4). */
	assert_int_equal(tcp_rtt_init(&r, NULL), 0);
	assert_true(tcp_rtt_sample(&r, 100 * MS_US, 0, 1));
	assert_int_equal(tcp_rtt_srtt(&r), 100000);
	assert_int_equal(tcp_rtt_rto(&r), S_US);
}

/*
 * RFC 6298 2.3 by hand:
 *   R1 = 100 ms: SRTT 100000, RTTVAR 50000, RTO 300000
 *   R2 = 180 ms: RTTVAR = 3/4*50000 + 1/4*|100000-180000| = 57500
 *                SRTT   = 7/8*100000 + 1/8*180000          = 110000
 *                RTO    = 110000 + 4*57500                  = 340000
 *   R3 =  60 ms: RTTVAR = 3/4*57500 + 1/4*50000 = 55625
 *                SRTT   = 7/8*110000 + 1/8*60000 = 103750
 *                RTO    = 103750 + 222500       = 326250
 *   R4 = 103750: RTTVAR = 3/4*55625 = 41718.75, SRTT unchanged,
 *                RTO = 103750 + 166875 = 270625 exactly
 */
static void test_subsequent_samples(void **state)
{
	struct tcp_rtt r;

	(void)state;
	init_ok(&r, TCP_RTT_MIN_RTO_LINUX_US, MS_US);
	assert_true(tcp_rtt_sample(&r, 100000, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 300000);
	assert_true(tcp_rtt_sample(&r, 180000, 0, 1));
	assert_int_equal(tcp_rtt_rttvar(&r), 57500);
	assert_int_equal(tcp_rtt_srtt(&r), 110000);
	assert_int_equal(tcp_rtt_rto(&r), 340000);
	assert_true(tcp_rtt_sample(&r, 60000, 0, 0)); /* 0 reads as 1 */
	assert_int_equal(tcp_rtt_rttvar(&r), 55625);
	assert_int_equal(tcp_rtt_srtt(&r), 103750);
	assert_int_equal(tcp_rtt_rto(&r), 326250);
	assert_true(tcp_rtt_sample(&r, 103750, 0, 1));
	assert_int_equal(tcp_rtt_rttvar(&r), 41718); /* rounded down */
	assert_int_equal(tcp_rtt_srtt(&r), 103750);
	assert_int_equal(tcp_rtt_rto(&r), 270625);
	assert_int_equal(tcp_rtt_min(&r), 60000);
}

/* The formulas in double precision, against a long random sequence. */
static void test_random_vs_float(void **state)
{
	const uint64_t g = 3 * MS_US;
	struct tcp_rtt r;
	double srtt = 0, var = 0;
	uint64_t mn = UINT64_MAX;

	(void)state;
	srand(6298);
	init_ok(&r, 10 * MS_US, g);
	for (int i = 0; i < 20000; i++) {
		/* Mostly around 20 ms, with bursts of 1 s and runs of 50 us. */
		uint64_t rtt = 20000 + (uint64_t)(rand() % 5000);
		uint32_t n = 1 + (uint32_t)(rand() % 3 == 0 ? rand() % 40 : 0);
		double ref_rto;

		if (i % 1000 > 990) {
			rtt = S_US + (uint64_t)(rand() % 1000);
		} else if (i % 3000 > 2900) {
			rtt = 50 + (uint64_t)(rand() % 10);
		}
		if (i == 0) {
			srtt = (double)rtt;
			var = srtt / 2;
		} else {
			var = (1 - 0.25 / n) * var + 0.25 / n * fabs(srtt - (double)rtt);
			srtt = (1 - 0.125 / n) * srtt + 0.125 / n * (double)rtt;
		}
		mn = rtt < mn ? rtt : mn;
		assert_true(tcp_rtt_sample(&r, rtt, 0, n));
		ref_rto = srtt + fmax((double)g, 4 * var);
		ref_rto = fmin(fmax(ref_rto, 10000.0), 60e6);
		if (fabs((double)tcp_rtt_srtt(&r) - srtt) > 1.0 ||
		    fabs((double)tcp_rtt_rttvar(&r) - var) > 1.0 ||
		    fabs((double)tcp_rtt_rto(&r) - ceil(ref_rto)) > 1.0) {
			fail_msg("step %d: srtt %llu/%f var %llu/%f rto %llu/%f", i,
				 (unsigned long long)tcp_rtt_srtt(&r), srtt,
				 (unsigned long long)tcp_rtt_rttvar(&r), var,
				 (unsigned long long)tcp_rtt_rto(&r), ref_rto);
		}
		/* A timer must never fire early: RTO is rounded up. */
		assert_true((double)tcp_rtt_rto(&r) >= ref_rto - 1e-3);
	}
	assert_int_equal(tcp_rtt_min(&r), mn);
}

/* RFC 6298 2.4 (minimum, 1 s or the Linux 200 ms) and 2.5 (maximum). */
static void test_min_max_clamp(void **state)
{
	struct tcp_rtt_params p;
	struct tcp_rtt r;

	(void)state;
	init_ok(&r, TCP_RTT_MIN_RTO_LINUX_US, MS_US);
	assert_true(tcp_rtt_sample(&r, 10, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 200000); /* 10 + max(1000, 20) < 200 ms */

	assert_int_equal(tcp_rtt_init(&r, NULL), 0);
	assert_true(tcp_rtt_sample(&r, 200 * MS_US, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), S_US); /* 200 + 400 ms < 1 s */
	/* RTTVAR = 75 ms + 49.8 s / 4, SRTT = 175 ms + 50 s / 8: 6.425 + 4 * 12.525 s. */
	assert_true(tcp_rtt_sample(&r, 50 * S_US, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 56525000);
	assert_true(tcp_rtt_sample(&r, 50 * S_US, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 60 * S_US); /* 2.5: capped */
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto(&r), 60 * S_US);

	/* A larger maximum lets the RTO grow further. */
	tcp_rtt_params_default(&p);
	p.max_rto_us = 120 * S_US;
	assert_int_equal(tcp_rtt_init(&r, &p), 0);
	assert_true(tcp_rtt_sample(&r, 30 * S_US, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 90 * S_US);
	assert_true(tcp_rtt_sample(&r, 90 * S_US, 0, 1));
	/* RTTVAR = 3/4*15 + 1/4*60 = 26.25 s, SRTT = 37.5 s: 142.5 s, capped. */
	assert_int_equal(tcp_rtt_rttvar(&r), 26250000);
	assert_int_equal(tcp_rtt_srtt(&r), 37500000);
	assert_int_equal(tcp_rtt_rto(&r), 120 * S_US);

	/* Out-of-range samples: 0 is 1 us, a huge one is clamped. */
	init_ok(&r, 1, 1);
	assert_true(tcp_rtt_sample(&r, 0, 0, 1));
	assert_int_equal(tcp_rtt_srtt(&r), 1);
	assert_int_equal(tcp_rtt_min(&r), 1);
	assert_true(tcp_rtt_sample(&r, UINT64_MAX, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 60 * S_US);
}

/* RFC 6298 5.5: doubling on every expiry, capped at the maximum (2.5). */
static void test_backoff(void **state)
{
	static const uint64_t want[] = {2, 4, 8, 16, 32, 60, 60, 60};
	struct tcp_rtt r;

	(void)state;
	assert_int_equal(tcp_rtt_init(&r, NULL), 0);
	for (unsigned int i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		tcp_rtt_backoff(&r);
		assert_int_equal(tcp_rtt_rto(&r), want[i] * S_US);
		assert_int_equal(tcp_rtt_nb_backoff(&r), i + 1);
	}
	/* A new sample replaces the backed-off RTO. */
	assert_true(tcp_rtt_sample(&r, 500 * MS_US, 0, 1));
	assert_int_equal(tcp_rtt_nb_backoff(&r), 0);
	assert_int_equal(tcp_rtt_rto(&r), 1500 * MS_US);
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto(&r), 3 * S_US);
	/* Many expiries: no overflow, count saturates far away. */
	for (int i = 0; i < 200; i++) {
		tcp_rtt_backoff(&r);
	}
	assert_int_equal(tcp_rtt_rto(&r), 60 * S_US);
	assert_int_equal(tcp_rtt_nb_backoff(&r), 201);
}

/* Karn: no sample from a retransmitted segment unless timestamps say which copy. */
static void test_karn(void **state)
{
	struct tcp_rtt r;

	(void)state;
	init_ok(&r, TCP_RTT_MIN_RTO_LINUX_US, MS_US);
	assert_true(tcp_rtt_sample(&r, 100000, 0, 1));
	tcp_rtt_backoff(&r);
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto(&r), 1200000);

	assert_false(tcp_rtt_sample(&r, 10000, TCP_RTT_F_RETRANS, 1));
	assert_int_equal(tcp_rtt_srtt(&r), 100000);
	assert_int_equal(tcp_rtt_rttvar(&r), 50000);
	assert_int_equal(tcp_rtt_rto(&r), 1200000); /* backoff kept */
	assert_int_equal(tcp_rtt_nb_backoff(&r), 2);
	assert_int_equal(tcp_rtt_min(&r), 100000); /* not a sample */

	/* From the timestamp echo: taken, and the backoff is over. */
	assert_true(tcp_rtt_sample(&r, 180000, TCP_RTT_F_RETRANS | TCP_RTT_F_TS, 1));
	assert_int_equal(tcp_rtt_srtt(&r), 110000);
	assert_int_equal(tcp_rtt_rto(&r), 340000);
	assert_int_equal(tcp_rtt_nb_backoff(&r), 0);

	/* TS samples of new segments are ordinary samples. */
	assert_true(tcp_rtt_sample(&r, 60000, TCP_RTT_F_TS, 1));
	assert_int_equal(tcp_rtt_rto(&r), 326250);
}

/* G bounds the variance term: RTO = SRTT + max(G, 4*RTTVAR). */
static void test_granularity(void **state)
{
	struct tcp_rtt r;

	(void)state;
	init_ok(&r, 1, 10 * MS_US);
	assert_true(tcp_rtt_sample(&r, 5000, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 15000); /* 4*2500 == G */
	assert_true(tcp_rtt_sample(&r, 5000, 0, 1));
	assert_int_equal(tcp_rtt_rttvar(&r), 1875);
	assert_int_equal(tcp_rtt_rto(&r), 15000); /* G: 5000 + 10000 */

	init_ok(&r, 1, MS_US);
	assert_true(tcp_rtt_sample(&r, 5000, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 15000);
	assert_true(tcp_rtt_sample(&r, 5000, 0, 1));
	assert_int_equal(tcp_rtt_rto(&r), 12500); /* 5000 + 4*1875 */
	/* A steady RTT: RTTVAR decays and G takes over. */
	for (int i = 0; i < 50; i++) {
		assert_true(tcp_rtt_sample(&r, 5000, 0, 1));
	}
	assert_int_equal(tcp_rtt_srtt(&r), 5000);
	assert_int_equal(tcp_rtt_rto(&r), 6000);
}

/*
 * RFC 7323 appendix G, ExpectedSamples n = 2: alpha' = 1/16, beta' = 1/8.
 *   R1 = 100000: SRTT 100000, RTTVAR 50000
 *   R2 = 180000: RTTVAR = 7/8*50000 + 1/8*80000 = 53750
 *                SRTT = 15/16*100000 + 1/16*180000 = 105000, RTO 320000
 */
static void test_appendix_g(void **state)
{
	struct tcp_rtt r;

	(void)state;
	init_ok(&r, TCP_RTT_MIN_RTO_LINUX_US, MS_US);
	assert_true(tcp_rtt_sample(&r, 100000, TCP_RTT_F_TS, 8)); /* first: n unused */
	assert_int_equal(tcp_rtt_rttvar(&r), 50000);
	assert_true(tcp_rtt_sample(&r, 180000, TCP_RTT_F_TS, 2));
	assert_int_equal(tcp_rtt_rttvar(&r), 53750);
	assert_int_equal(tcp_rtt_srtt(&r), 105000);
	assert_int_equal(tcp_rtt_rto(&r), 320000);

	assert_int_equal(tcp_rtt_expected_samples(10 * 1448, 1448), 5);
	assert_int_equal(tcp_rtt_expected_samples(3 * 1448, 1448), 2);
	assert_int_equal(tcp_rtt_expected_samples(2 * 1448 + 1, 1448), 2);
	assert_int_equal(tcp_rtt_expected_samples(1, 1448), 1);
	assert_int_equal(tcp_rtt_expected_samples(0, 1448), 1);
	assert_int_equal(tcp_rtt_expected_samples(5000, 0), 1);
	assert_int_equal(tcp_rtt_expected_samples(UINT32_MAX, 1), 2147483648u);
}

/* RFC 6298 5.7: 3 s after a handshake whose SYN timed out without a sample. */
static void test_handshake_fallback(void **state)
{
	struct tcp_rtt r;

	(void)state;
	assert_int_equal(tcp_rtt_init(&r, NULL), 0);
	tcp_rtt_backoff(&r); /* the SYN timed out */
	assert_false(tcp_rtt_sample(&r, 1200 * MS_US, TCP_RTT_F_RETRANS, 1));
	tcp_rtt_handshake_done(&r, true);
	assert_int_equal(tcp_rtt_rto(&r), 3 * S_US);
	assert_int_equal(tcp_rtt_nb_backoff(&r), 0);

	/* With a timestamp sample from the retransmitted SYN: keep it. */
	assert_int_equal(tcp_rtt_init(&r, NULL), 0);
	tcp_rtt_backoff(&r);
	assert_true(tcp_rtt_sample(&r, 300 * MS_US, TCP_RTT_F_RETRANS | TCP_RTT_F_TS, 1));
	tcp_rtt_handshake_done(&r, true);
	assert_int_equal(tcp_rtt_rto(&r), S_US);

	/* No timeout: nothing changes. */
	assert_int_equal(tcp_rtt_init(&r, NULL), 0);
	tcp_rtt_handshake_done(&r, false);
	assert_int_equal(tcp_rtt_rto(&r), S_US);
}

static void test_dump(void **state)
{
	struct tcp_rtt r;
	char buf[512];
	FILE *f;

	(void)state;
	assert_int_equal(tcp_rtt_init(&r, NULL), 0);
	assert_true(tcp_rtt_sample(&r, 100000, 0, 1));
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	tcp_rtt_dump(f, &r);
	fclose(f);
	assert_non_null(strstr(buf, "srtt 100000 us"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_init_invalid),
		cmocka_unit_test(test_first_sample),
		cmocka_unit_test(test_subsequent_samples),
		cmocka_unit_test(test_random_vs_float),
		cmocka_unit_test(test_min_max_clamp),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_karn),
		cmocka_unit_test(test_granularity),
		cmocka_unit_test(test_appendix_g),
		cmocka_unit_test(test_handshake_fallback),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
