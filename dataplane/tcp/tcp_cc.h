/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_cc.h - TCP congestion control: NewReno (RFC 5681, RFC 6582) and CUBIC
 * (RFC 9438), selected per connection.
 *
 * Each algorithm is a const struct tcp_cc_ops. The connection picks one at
 * setup (tcp_cc_ops_by_name on the configured name, once) and keeps a struct
 * tcp_cc inside itself: the state of every algorithm fits in it, so nothing
 * allocates. The state machine drives it through the tcp_cc_* functions
 * below, which do the parts common to all algorithms (initial window, slow
 * start, the loss-recovery window arithmetic, RTO collapse, restart after
 * idle) and call the ops only where the algorithms differ (growth in
 * congestion avoidance, the reduction on a congestion event, the reset after
 * idle).
 *
 * Units and conventions:
 *   - Windows are bytes (uint32_t), in units of the SMSS the caller gives at
 *     tcp_cc_init (RFC 5681 2). cwnd never exceeds TCP_CC_CWND_MAX, the
 *     largest window RFC 7323 can advertise, so sums of two windows cannot
 *     overflow. ssthresh starts "infinite" (TCP_CC_SSTHRESH_INF).
 *   - Time is a virtual clock in microseconds (uint64_t now_us), the caller's;
 *     it must not go backwards. An RTT or RTO is a uint32_t in microseconds.
 *     The stack's millisecond tick (util/twheel.h) is passed as ms * 1000.
 *   - "acked" is the number of bytes a cumulative ACK newly acknowledged
 *     (SND.UNA advance), SACKed bytes not included. "flight_size" is
 *     RFC 5681's FlightSize: bytes sent and not yet cumulatively acknowledged.
 *   - The caller keeps the loss-recovery bookkeeping itself (the dupack count,
 *     RFC 6582's "recover", RFC 6675's RecoveryPoint and pipe) and tells this
 *     module what happened: enter recovery, a dupack, a partial ACK, a full
 *     ACK, a retransmission timeout.
 *
 * Choices where the RFCs leave one:
 *   - Initial window: RFC 6928, IW = min(10*SMSS, max(2*SMSS, 14600)); the
 *     restart window after idle is RW = min(IW, cwnd) (RFC 5681 4.1).
 *   - Slow start counts bytes (RFC 3465 with L = 1*SMSS): cwnd grows by
 *     min(acked, SMSS) per ACK, and stops at ssthresh (the excess of that ACK
 *     is not carried into congestion avoidance).
 *   - NewReno congestion avoidance counts bytes (RFC 5681 3.1, RFC 3465 2.1):
 *     one SMSS each time a cwnd's worth of bytes has been acknowledged.
 *   - Fast recovery without SACK is RFC 6582 3.2 (cwnd = ssthresh + 3*SMSS,
 *     +SMSS per further dupack, partial-ACK deflation); with SACK it is
 *     RFC 6675 5 (cwnd = ssthresh, left alone during recovery; the caller's
 *     pipe decides what is sent). A full ACK ends both with RFC 6582 3.2's
 *     option (1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS),
 *     which cannot burst.
 *   - NewReno ssthresh on a congestion event: max(FlightSize / 2, 2*SMSS)
 *     (RFC 5681 (4)). CUBIC: max(FlightSize * 0.7, 2*SMSS) (RFC 9438 4.6
 *     with flight_size, as RFC 9438 prefers when cwnd validation is absent).
 *   - A retransmission timeout sets ssthresh as above and cwnd = 1*SMSS
 *     (the loss window, RFC 5681 3.1); a further timeout before any new
 *     data is acknowledged (backoff of the same segment) keeps ssthresh.
 *   - CUBIC (RFC 9438): beta 0.7, C 0.4, fast convergence on (4.7), the
 *     Reno-friendly region (4.3) with alpha = 3(1-beta)/(1+beta) until W_est
 *     reaches cwnd_prior and 1 after, target = W_cubic(t + RTT) bounded to
 *     [cwnd, 1.5*cwnd] (4.2). The epoch starts at the first ACK in
 *     congestion avoidance; when cwnd then is at or above W_max (the first
 *     one after a timeout, 4.8), K = 0 and W_max = cwnd. In the
 *     Reno-friendly region cwnd is raised to W_est, never lowered to it.
 *     Slow start is the standard one; HyStart++ (RFC 9406) is not done.
 *
 * Not here: ECN reaction, cwnd validation for application-limited flows
 * (RFC 7661, RFC 9438 5.8), undo of spurious reductions, PRR (RFC 6937),
 * HyStart++, SMSS changes after tcp_cc_init (PMTU).
 *
 * Not thread-safe: a struct tcp_cc belongs to its connection's lcore. The ops
 * tables and the names list are const and may be read from any thread.
 */
#ifndef SB_TCP_CC_H
#define SB_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The largest cwnd: RFC 7323 2.3's largest window, 65535 << 14, rounded up. */
#define TCP_CC_CWND_MAX (1u << 30)
/* ssthresh before the first congestion event (RFC 5681 3.1: "arbitrarily high"). */
#define TCP_CC_SSTHRESH_INF UINT32_MAX
/* RFC 6928's byte limit on the initial window. */
#define TCP_CC_IW_BYTES 14600u

/* Longest name in tcp_cc_names, without the NUL. */
#define TCP_CC_NAME_MAX 15

/* Where the connection is, as far as congestion control goes. */
enum tcp_cc_phase {
	TCP_CC_OPEN = 0, /* slow start or congestion avoidance */
	TCP_CC_RECOVERY, /* fast recovery (RFC 6582 / RFC 6675) */
	TCP_CC_LOSS,	 /* after an RTO, until new data is acknowledged */
};

/* CUBIC's per-connection state (RFC 9438 4.1.2). Windows in bytes, K in seconds. */
struct tcp_cc_cubic {
	double w_max;	     /* W_max: cwnd just before the last reduction */
	double k;	     /* K: time from the epoch start to reach W_max */
	double w_est;	     /* W_est: the Reno-friendly estimate (4.3) */
	double frac;	     /* bytes of growth not yet added to cwnd (< 1) */
	uint64_t epoch_us;   /* t_epoch, valid when |in_epoch| */
	uint32_t cwnd_epoch; /* cwnd at the epoch start */
	uint32_t cwnd_prior; /* cwnd at the last congestion event */
	bool in_epoch;	     /* a congestion-avoidance epoch has started */
};

struct tcp_cc;

/*
 * One algorithm. The tcp_cc_* functions call these; the state machine never
 * does. All must be set.
 */
struct tcp_cc_ops {
	const char *name;
	/* init sets the algorithm's part of |cc| (common fields are already set). */
	void (*init)(struct tcp_cc *cc);
	/* cong_avoid grows cwnd for |acked| bytes with cwnd >= ssthresh, state OPEN. */
	void (*cong_avoid)(struct tcp_cc *cc, uint32_t acked, uint32_t rtt_us, uint64_t now_us);
	/*
	 * ssthresh records a congestion event (|rto| for a timeout) while cwnd
	 * still holds its value before the reduction, and returns the new
	 * ssthresh, at least 2*SMSS.
	 */
	uint32_t (*ssthresh)(struct tcp_cc *cc, uint32_t flight_size, bool rto);
	/* restart forgets growth history after idle (RFC 5681 4.1). */
	void (*restart)(struct tcp_cc *cc);
};

/*
 * Congestion state of one connection, embedded in it. The caller reads cwnd
 * and ssthresh (or uses tcp_cc_cwnd) and writes nothing: every change goes
 * through the functions below.
 */
struct tcp_cc {
	const struct tcp_cc_ops *ops;
	uint32_t cwnd;	       /* bytes */
	uint32_t ssthresh;     /* bytes */
	uint32_t smss;	       /* bytes */
	uint32_t iw;	       /* the initial window, bytes */
	uint32_t ca_acked;     /* bytes acknowledged toward the next CA step */
	uint64_t last_send_us; /* when data was last sent */
	enum tcp_cc_phase phase;
	bool sack; /* the current recovery follows RFC 6675 */
	union {
		struct tcp_cc_cubic cubic;
	} u;
};

/* The algorithms. */
extern const struct tcp_cc_ops tcp_cc_newreno_ops;
extern const struct tcp_cc_ops tcp_cc_cubic_ops;

/*
 * tcp_cc_names lists the names tcp_cc_ops_by_name accepts ("newreno",
 * "cubic"), ending with NULL, for configuration validation and messages.
 */
extern const char *const tcp_cc_names[];

/*
 * tcp_cc_ops_by_name returns the algorithm called |name| (exact, lower case,
 * one of tcp_cc_names), or NULL if |name| is NULL or unknown. Call it once at
 * configuration or connection setup, not per segment.
 */
const struct tcp_cc_ops *tcp_cc_ops_by_name(const char *name);

/*
 * tcp_cc_iw returns RFC 6928's initial window for |smss| bytes:
 * min(10*SMSS, max(2*SMSS, 14600)).
 */
uint32_t tcp_cc_iw(uint32_t smss);

/*
 * tcp_cc_init sets up |cc| for a new connection with algorithm |ops| and
 * sender MSS |smss| (1..65535; the SMSS of RFC 5681 2, i.e. the effective MSS
 * after options), at time |now_us|: cwnd = IW, ssthresh = TCP_CC_SSTHRESH_INF,
 * phase OPEN. Returns 0, or -EINVAL if |cc| or |ops| is NULL or |smss| is out
 * of range (|cc| is then left untouched).
 */
int tcp_cc_init(struct tcp_cc *cc, const struct tcp_cc_ops *ops, uint32_t smss, uint64_t now_us)
	__attribute__((warn_unused_result));

/* tcp_cc_cwnd returns the congestion window in bytes. */
static inline uint32_t tcp_cc_cwnd(const struct tcp_cc *cc)
{
	return cc->cwnd;
}

/* tcp_cc_in_recovery returns true between tcp_cc_recovery_enter and _exit. */
static inline bool tcp_cc_in_recovery(const struct tcp_cc *cc)
{
	return cc->phase == TCP_CC_RECOVERY;
}

/* tcp_cc_in_slow_start returns true while cwnd < ssthresh (RFC 5681 3.1). */
static inline bool tcp_cc_in_slow_start(const struct tcp_cc *cc)
{
	return cc->cwnd < cc->ssthresh;
}

/*
 * tcp_cc_on_ack accounts an ACK that newly acknowledged |acked| bytes outside
 * fast recovery, at |now_us|, with |rtt_us| the caller's smoothed RTT (SRTT,
 * RFC 6298; 0 if there is no sample yet). In slow start cwnd grows by
 * min(acked, SMSS); in congestion avoidance the algorithm grows it. After an
 * RTO the first such ACK returns the phase to OPEN. During fast recovery it
 * changes nothing: call the tcp_cc_recovery_* functions instead. An ACK of 0
 * bytes (a pure window update or dupack) changes nothing. |cwnd_limited| says
 * whether the flow was using its window (Linux's test: FlightSize >= cwnd, or
 * >= cwnd/2 in slow start); when it was not, cwnd does not grow and the
 * algorithm's growth epoch restarts (RFC 7661, RFC 9438 5.8), so an
 * application-limited flow cannot build a window it never tested.
 */
void tcp_cc_on_ack(struct tcp_cc *cc, uint32_t acked, uint32_t rtt_us, uint64_t now_us,
		   bool cwnd_limited);

/*
 * tcp_cc_on_send is called when the connection is about to send data at
 * |now_us|, with |rto_us| its current retransmission timeout. If nothing was
 * sent for longer than |rto_us|, cwnd drops to the restart window
 * min(IW, cwnd) and the algorithm forgets its growth epoch (RFC 5681 4.1);
 * only in phase OPEN (recovery and LOSS send on their own schedule). It then
 * records |now_us| as the last send. Call it for retransmissions too.
 */
void tcp_cc_on_send(struct tcp_cc *cc, uint32_t rto_us, uint64_t now_us);

/*
 * tcp_cc_recovery_enter starts fast recovery on the third duplicate ACK or a
 * SACK loss detection, with |flight_size| bytes outstanding. It does nothing
 * in recovery or after an RTO (phase LOSS, until an ACK of new data): the
 * caller must not start a recovery before SND.UNA passes |recover|. The algorithm
 * sets ssthresh; cwnd becomes ssthresh + 3*SMSS without SACK (RFC 6582 3.2,
 * RFC 5681 3.2 step 3) or ssthresh with |sack| (RFC 6675 5 step 4.2).
 * Already in recovery, it changes nothing (one reduction per window; the
 * caller checks "recover", RFC 6582 3.2).
 */
void tcp_cc_recovery_enter(struct tcp_cc *cc, uint32_t flight_size, bool sack);

/*
 * tcp_cc_recovery_dupack accounts a further duplicate ACK during fast
 * recovery: without SACK, cwnd grows by SMSS (RFC 6582 3.2, window
 * inflation); with SACK, or outside recovery, nothing changes.
 */
void tcp_cc_recovery_dupack(struct tcp_cc *cc);

/*
 * tcp_cc_recovery_partial_ack accounts an ACK during fast recovery that
 * acknowledged |acked| new bytes but not everything up to "recover". Without
 * SACK cwnd deflates by |acked| and gets SMSS back if |acked| >= SMSS
 * (RFC 6582 3.2), never below SMSS; with SACK, or outside recovery,
 * nothing changes.
 */
void tcp_cc_recovery_partial_ack(struct tcp_cc *cc, uint32_t acked);

/*
 * tcp_cc_recovery_exit ends fast recovery on the ACK that covers "recover"
 * (a full ACK), with |flight_size| the bytes still outstanding after it:
 * cwnd = min(ssthresh, max(flight_size, SMSS) + SMSS) (RFC 6582 3.2, full
 * acknowledgment, option 1), phase OPEN. The bytes that ACK acknowledged do
 * not grow cwnd. Outside recovery it changes nothing.
 */
void tcp_cc_recovery_exit(struct tcp_cc *cc, uint32_t flight_size);

/*
 * tcp_cc_on_rto accounts a retransmission timeout with |flight_size| bytes
 * outstanding: the algorithm sets ssthresh (not on a repeated timeout before
 * new data was acknowledged, RFC 5681 (4)), cwnd = 1*SMSS, fast recovery (if
 * any) ends, and the phase is LOSS until tcp_cc_on_ack sees new data acked.
 */
void tcp_cc_on_rto(struct tcp_cc *cc, uint32_t flight_size);

/*
 * tcp_cc_dump writes |cc| (algorithm, phase, windows and CUBIC's state) to |f|
 * on one line, for humans.
 */
void tcp_cc_dump(FILE *f, const struct tcp_cc *cc);

#endif
