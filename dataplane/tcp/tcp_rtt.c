/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_rtt.c - RFC 6298 retransmission timer estimator with Karn's rule,
 * backoff and RFC 7323 timestamp samples (see tcp_rtt.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tcp_rtt.h"

/* Fixed point of SRTT and RTTVAR: 16 fractional bits. */
#define FRAC_BITS 16
#define FRAC_ONE (1ull << FRAC_BITS)

/* RFC 6298 2.3: alpha = 1/8, beta = 1/4, K = 4. */
#define ALPHA_SHIFT 3
#define BETA_SHIFT 2
#define K 4

static uint64_t clamp_rto(const struct tcp_rtt *r, uint64_t rto)
{
	if (rto < r->min_rto_us) {
		rto = r->min_rto_us; /* 2.4 */
	}
	if (rto > r->max_rto_us) {
		rto = r->max_rto_us; /* 2.5 */
	}
	return rto;
}

/* RTO <- SRTT + max(G, K * RTTVAR) (2.2, 2.3), rounded up to whole microseconds. */
static uint64_t compute_rto(const struct tcp_rtt *r)
{
	uint64_t g_q = r->g_us << FRAC_BITS;
	uint64_t var_q = K * r->rttvar_q;
	uint64_t sum_q = r->srtt_q + (var_q > g_q ? var_q : g_q);

	return clamp_rto(r, (sum_q + FRAC_ONE - 1) >> FRAC_BITS);
}

void tcp_rtt_params_default(struct tcp_rtt_params *p)
{
	p->initial_rto_us = TCP_RTT_INITIAL_RTO_US;
	p->min_rto_us = TCP_RTT_MIN_RTO_US;
	p->max_rto_us = TCP_RTT_MAX_RTO_US;
	p->granularity_us = TCP_RTT_GRANULARITY_US;
}

int tcp_rtt_init(struct tcp_rtt *r, const struct tcp_rtt_params *p)
{
	struct tcp_rtt_params def;

	memset(r, 0, sizeof(*r));
	if (p == NULL) {
		tcp_rtt_params_default(&def);
		p = &def;
	}
	/* The upper bound keeps every product below 2^63 in fixed point. */
	if (p->min_rto_us == 0 || p->max_rto_us < TCP_RTT_MAX_RTO_US ||
	    p->max_rto_us > TCP_RTT_SAMPLE_MAX_US || p->min_rto_us > p->max_rto_us ||
	    p->initial_rto_us < p->min_rto_us || p->initial_rto_us > p->max_rto_us ||
	    p->granularity_us == 0 || p->granularity_us > p->max_rto_us) {
		return -EINVAL;
	}
	r->min_rto_us = p->min_rto_us;
	r->max_rto_us = p->max_rto_us;
	r->g_us = p->granularity_us;
	r->rto_us = p->initial_rto_us; /* 2.1 */
	r->cur_us = r->rto_us;
	return 0;
}

bool tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_us, unsigned int flags, uint32_t nb_per_rtt)
{
	uint64_t rtt_q;

	/*
	 * Karn: an ACK for a retransmitted segment may be for any of its
	 * transmissions. A timestamp echo says which one (RFC 6298 3, RFC 7323 4).
	 */
	if ((flags & TCP_RTT_F_RETRANS) && !(flags & TCP_RTT_F_TS)) {
		return false;
	}
	if (rtt_us == 0) {
		rtt_us = 1;
	} else if (rtt_us > TCP_RTT_SAMPLE_MAX_US) {
		rtt_us = TCP_RTT_SAMPLE_MAX_US;
	}
	rtt_q = rtt_us << FRAC_BITS;

	if (r->nb_samples == 0) {
		/* 2.2: SRTT <- R, RTTVAR <- R/2 (exact in fixed point). */
		r->srtt_q = rtt_q;
		r->rttvar_q = rtt_q >> 1;
	} else {
		/*
		 * 2.3, in this order (RTTVAR uses the old SRTT):
		 *   RTTVAR <- (1 - beta') * RTTVAR + beta' * |SRTT - R'|
		 *   SRTT   <- (1 - alpha') * SRTT + alpha' * R'
		 * with alpha' = alpha / n and beta' = beta / n (RFC 7323
		 * appendix G; n = 1 is RFC 6298). Written as x += (y - x) / d,
		 * the division truncating toward zero; every term stays
		 * below 2^50, so int64_t holds it.
		 */
		int64_t n = nb_per_rtt == 0 ? 1 : nb_per_rtt;
		int64_t srtt = (int64_t)r->srtt_q;
		int64_t var = (int64_t)r->rttvar_q;
		int64_t rtt = (int64_t)rtt_q;
		int64_t err = srtt > rtt ? srtt - rtt : rtt - srtt;

		var += (err - var) / (n << BETA_SHIFT);
		srtt += (rtt - srtt) / (n << ALPHA_SHIFT);
		r->rttvar_q = (uint64_t)var;
		r->srtt_q = (uint64_t)srtt;
	}
	if (r->nb_samples < UINT32_MAX) {
		r->nb_samples++;
	}
	if (r->min_rtt_us == 0 || rtt_us < r->min_rtt_us) {
		r->min_rtt_us = rtt_us;
	}
	r->rto_us = compute_rto(r);
	/* A fresh estimate replaces the backed-off one (RFC 6298 5, after 5.7). */
	r->cur_us = r->rto_us;
	r->nb_backoff = 0;
	return true;
}

uint64_t tcp_rtt_rto(const struct tcp_rtt *r)
{
	return r->cur_us;
}

void tcp_rtt_backoff(struct tcp_rtt *r)
{
	/* 5.5: RTO <- RTO * 2, within the 2.5 maximum. cur_us <= 2^32: no overflow. */
	r->cur_us *= 2;
	if (r->cur_us > r->max_rto_us) {
		r->cur_us = r->max_rto_us;
	}
	if (r->nb_backoff < UINT32_MAX) {
		r->nb_backoff++;
	}
}

uint32_t tcp_rtt_nb_backoff(const struct tcp_rtt *r)
{
	return r->nb_backoff;
}

void tcp_rtt_handshake_done(struct tcp_rtt *r, bool syn_timed_out)
{
	if (syn_timed_out && r->nb_samples == 0 && r->rto_us < TCP_RTT_FALLBACK_RTO_US) {
		r->rto_us = clamp_rto(r, TCP_RTT_FALLBACK_RTO_US);
	}
	r->cur_us = r->rto_us;
	r->nb_backoff = 0;
}

bool tcp_rtt_has_sample(const struct tcp_rtt *r)
{
	return r->nb_samples != 0;
}

uint64_t tcp_rtt_srtt(const struct tcp_rtt *r)
{
	return r->srtt_q >> FRAC_BITS;
}

uint64_t tcp_rtt_rttvar(const struct tcp_rtt *r)
{
	return r->rttvar_q >> FRAC_BITS;
}

uint64_t tcp_rtt_min(const struct tcp_rtt *r)
{
	return r->min_rtt_us;
}

void tcp_rtt_dump(FILE *f, const struct tcp_rtt *r)
{
	fprintf(f,
		"rtt: samples %u srtt %llu us rttvar %llu us min %llu us rto %llu us "
		"(base %llu us, backoff %u) bounds [%llu, %llu] us G %llu us\n",
		r->nb_samples, (unsigned long long)tcp_rtt_srtt(r),
		(unsigned long long)tcp_rtt_rttvar(r), (unsigned long long)r->min_rtt_us,
		(unsigned long long)r->cur_us, (unsigned long long)r->rto_us, r->nb_backoff,
		(unsigned long long)r->min_rto_us, (unsigned long long)r->max_rto_us,
		(unsigned long long)r->g_us);
}
