/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_rtt.h - the retransmission-timeout estimator of one TCP connection
 * (RFC 6298), with Karn's rule, exponential backoff and the RTT samples that
 * timestamps give (RFC 7323 4 and appendix G).
 *
 * Sans-I/O: nothing here reads a clock. The connection measures each RTT
 * sample itself (now minus the send time of the segment the ACK covers, or
 * now minus the time encoded in the echoed TSecr) and passes it in; it arms
 * its own timer with tcp_rtt_rto. struct tcp_rtt is embedded in the
 * connection (fixed size, no allocation); its fields are private to
 * tcp_rtt.c and only the functions below may touch them. A connection lives
 * on one lcore, so none of this is thread-safe and none of it needs to be.
 *
 * Units: every time is in microseconds, as a uint64_t. RFC 6298 does not fix
 * a clock; a microsecond clock makes the clock granularity G a configuration
 * value (the tick of the timer wheel that fires the RTO, not the
 * resolution of the samples).
 *
 * Arithmetic: SRTT and RTTVAR are kept in fixed point with 16 fractional bits
 * (1/65536 us), so the 1/8 and 1/4 gains and the smaller gains of RFC 7323
 * appendix G lose nothing that matters; the values reported are rounded
 * down to whole microseconds, and the RTO is rounded up (a timer must not
 * fire early).
 */
#ifndef SB_TCP_RTT_H
#define SB_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TCP_RTT_US_PER_S 1000000ull

/* RFC 6298 2.1: the RTO before any sample is 1 second. */
#define TCP_RTT_INITIAL_RTO_US (1 * TCP_RTT_US_PER_S)
/* RFC 6298 2.4: the RTO is rounded up to 1 second... */
#define TCP_RTT_MIN_RTO_US (1 * TCP_RTT_US_PER_S)
/* ...which Linux lowers to 200 ms (TCP_RTO_MIN); pass this as min_rto_us for that. */
#define TCP_RTT_MIN_RTO_LINUX_US 200000ull
/* RFC 6298 2.5: a maximum may be placed on the RTO provided it is at least 60 s. */
#define TCP_RTT_MAX_RTO_US (60 * TCP_RTT_US_PER_S)
/* RFC 6298 5.7: the RTO after a handshake whose SYN timed out and gave no sample. */
#define TCP_RTT_FALLBACK_RTO_US (3 * TCP_RTT_US_PER_S)
/* Default clock granularity G: a 1 ms timer wheel tick. */
#define TCP_RTT_GRANULARITY_US 1000ull
/* Samples are clamped to 1 us .. 2^32 - 1 us (71 minutes); see tcp_rtt_sample. */
#define TCP_RTT_SAMPLE_MAX_US 0xffffffffull

/* tcp_rtt_sample flags: where the sample came from. */
#define TCP_RTT_F_RETRANS (1u << 0) /* the acknowledged segment was retransmitted */
#define TCP_RTT_F_TS (1u << 1)	    /* measured from the echoed timestamp (TSecr) */

/* Configuration of one estimator; tcp_rtt_params_default fills in the RFC 6298 values. */
struct tcp_rtt_params {
	uint64_t initial_rto_us; /* RTO before the first sample (RFC 6298 2.1) */
	uint64_t min_rto_us;	 /* lower bound of the computed RTO (2.4) */
	uint64_t max_rto_us;	 /* upper bound, also of the backed-off RTO (2.5) */
	uint64_t granularity_us; /* G, the clock granularity (2.2, 2.3) */
};

/* The estimator; embed it, and use only the functions below on it. */
struct tcp_rtt {
	uint64_t srtt_q;     /* SRTT, in 2^-16 us */
	uint64_t rttvar_q;   /* RTTVAR, in 2^-16 us */
	uint64_t rto_us;     /* RTO from the last sample (or initial), not backed off */
	uint64_t cur_us;     /* current RTO: rto_us backed off, capped at max */
	uint64_t min_rtt_us; /* smallest sample taken; 0 before the first */
	uint64_t min_rto_us;
	uint64_t max_rto_us;
	uint64_t g_us;
	uint32_t nb_backoff; /* expiries since the last sample taken */
	uint32_t nb_samples; /* samples taken */
};

/*
 * tcp_rtt_params_default sets |p| to the RFC 6298 values: initial RTO 1 s,
 * minimum 1 s, maximum 60 s, granularity 1 ms.
 */
void tcp_rtt_params_default(struct tcp_rtt_params *p);

/*
 * tcp_rtt_init sets |r| up with the parameters |p| (NULL: the defaults of
 * tcp_rtt_params_default): no sample yet, RTO = p->initial_rto_us, no
 * backoff. Returns 0, or -EINVAL (leaving |r| zeroed, unusable) when
 * min_rto_us is 0, max_rto_us is below 60 s (RFC 6298 2.5) or above
 * TCP_RTT_SAMPLE_MAX_US, min_rto_us exceeds max_rto_us, initial_rto_us lies
 * outside [min_rto_us, max_rto_us], or granularity_us is 0 or exceeds
 * max_rto_us. Also the way to forget everything: RFC 6298 5's optional
 * "clear SRTT and RTTVAR after backing off several times" is left to the
 * caller, which can re-initialise.
 */
int tcp_rtt_init(struct tcp_rtt *r, const struct tcp_rtt_params *p)
	__attribute__((warn_unused_result));

/*
 * tcp_rtt_sample feeds one RTT measurement of |rtt_us| microseconds into |r|
 * and returns true if it was taken, false if Karn's rule discarded it.
 *
 * |flags| says where it came from: TCP_RTT_F_RETRANS when the acknowledged
 * segment had been retransmitted, TCP_RTT_F_TS when the time was taken from
 * the echoed timestamp. Karn's rule (RFC 6298 3): a sample for a
 * retransmitted segment is ambiguous and is discarded, unless it comes from
 * timestamps, which remove the ambiguity (RFC 6298 3, RFC 7323 4: TSecr
 * echoes the TSval of the transmission that arrived; the caller computes
 * the sample from it only for an ACK that acknowledges new data).
 *
 * A sample taken updates SRTT and RTTVAR (RFC 6298 2.2 for the first, 2.3
 * after), recomputes RTO = max(min_rto, SRTT + max(G, 4 * RTTVAR)) capped at
 * max_rto, clears the backoff (RFC 6298 5, the note after 5.7: a new
 * measurement "collapses" the backed-off RTO; until one arrives the
 * backed-off value is kept) and lowers the minimum RTT.
 *
 * |nb_per_rtt| is RFC 7323 appendix G's ExpectedSamples: when timestamps
 * give a sample on (nearly) every ACK, pass
 * tcp_rtt_expected_samples(FlightSize, SMSS) so that alpha and beta are
 * divided by it and a window's worth of samples moves SRTT and RTTVAR about
 * as much as one sample per RTT would; pass 1 (or 0, read as 1) for one
 * sample per RTT, which is plain RFC 6298. The first sample ignores it.
 *
 * A sample of 0 is taken as 1 us and one above TCP_RTT_SAMPLE_MAX_US as that.
 */
bool tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_us, unsigned int flags, uint32_t nb_per_rtt);

/*
 * tcp_rtt_expected_samples returns RFC 7323 appendix G's ExpectedSamples,
 * ceil(|flight| / (2 * |smss|)), at least 1 (also when |smss| is 0).
 */
static inline uint32_t tcp_rtt_expected_samples(uint32_t flight, uint32_t smss)
{
	uint64_t per = 2 * (uint64_t)smss;
	uint64_t n;

	if (per == 0) {
		return 1;
	}
	n = (flight + per - 1) / per;
	return n == 0 ? 1 : (uint32_t)n;
}

/*
 * tcp_rtt_rto returns the current RTO in microseconds: the computed (or
 * initial) RTO doubled once per tcp_rtt_backoff since the last sample taken,
 * capped at max_rto_us. Arm the retransmission timer with it (RFC 6298 5.1).
 */
uint64_t tcp_rtt_rto(const struct tcp_rtt *r);

/*
 * tcp_rtt_backoff records an expiry of the retransmission timer (RFC 6298
 * 5.5): the current RTO doubles, capped at max_rto_us. The count of
 * expiries (tcp_rtt_nb_backoff) goes on rising after the cap, saturating at
 * UINT32_MAX, so the connection can give up after N of them.
 */
void tcp_rtt_backoff(struct tcp_rtt *r);

/* tcp_rtt_nb_backoff returns how many times the timer expired since the last sample taken. */
uint32_t tcp_rtt_nb_backoff(const struct tcp_rtt *r);

/*
 * tcp_rtt_handshake_done applies RFC 6298 5.7 when the three-way handshake
 * completes: if |syn_timed_out| (the retransmission timer expired while
 * waiting for the SYN's ACK) and no sample has been taken (Karn discarded
 * the SYN's), the RTO is re-initialised to 3 s (at least the current
 * un-backed-off RTO, at most max_rto_us) and the backoff is cleared.
 * Otherwise only the backoff is cleared: data transmission starts from the
 * RTO the samples gave.
 */
void tcp_rtt_handshake_done(struct tcp_rtt *r, bool syn_timed_out);

/* tcp_rtt_has_sample returns true once a sample has been taken. */
bool tcp_rtt_has_sample(const struct tcp_rtt *r);

/* tcp_rtt_srtt returns SRTT in microseconds (rounded down), 0 before the first sample. */
uint64_t tcp_rtt_srtt(const struct tcp_rtt *r);

/* tcp_rtt_rttvar returns RTTVAR in microseconds (rounded down), 0 before the first sample. */
uint64_t tcp_rtt_rttvar(const struct tcp_rtt *r);

/*
 * tcp_rtt_min returns the smallest RTT sample taken over the connection's
 * life, in microseconds, 0 before the first. Not windowed: a congestion
 * controller that wants a per-round minimum (HyStart++) keeps its own.
 */
uint64_t tcp_rtt_min(const struct tcp_rtt *r);

/* tcp_rtt_dump writes |r| (SRTT, RTTVAR, RTO, backoff, bounds) to |f| for humans. */
void tcp_rtt_dump(FILE *f, const struct tcp_rtt *r);

#endif
