/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_cc.c - TCP congestion control: the common window arithmetic
 * (RFC 5681, RFC 3465, RFC 6928, RFC 6582, RFC 6675) and the two algorithms,
 * NewReno and CUBIC (RFC 9438). The contract and the choices made are in
 * tcp_cc.h.
 *
 * CUBIC computes in double precision: its cubic function needs a cube root
 * and a product of a time cubed with a window, and a per-ACK double multiply
 * is cheaper than keeping Linux's fixed-point scaling right. The cube root is
 * libm's cbrt.
 */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "tcp_cc.h"

/* RFC 9438 4.6 and 5: beta_cubic and C; alpha_cubic from 4.3. */
#define CUBIC_BETA 0.7
#define CUBIC_C 0.4
#define CUBIC_ALPHA (3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA))

#define US_PER_S 1e6

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Sets cwnd to |w| bytes, at most TCP_CC_CWND_MAX. */
static void cwnd_set(struct tcp_cc *cc, uint64_t w)
{
	cc->cwnd = w > TCP_CC_CWND_MAX ? TCP_CC_CWND_MAX : (uint32_t)w;
}

uint32_t tcp_cc_iw(uint32_t smss)
{
	/* RFC 6928 2; 64-bit so that no smss can overflow 10 * smss. */
	uint64_t lo = (uint64_t)smss * 2, iw = (uint64_t)smss * 10;

	if (lo < TCP_CC_IW_BYTES) {
		lo = TCP_CC_IW_BYTES;
	}
	if (iw > lo) {
		iw = lo;
	}
	return iw > TCP_CC_CWND_MAX ? TCP_CC_CWND_MAX : (uint32_t)iw;
}

/* ------------------------------------------------------------------------- */
/* NewReno (RFC 5681 3.1, RFC 6582)                                          */

static void newreno_init(struct tcp_cc *cc)
{
	(void)cc;
}

/*
 * RFC 5681 3.1 with byte counting (RFC 3465 2.1): one SMSS each time a whole
 * cwnd has been acknowledged, i.e. one SMSS per RTT while cwnd-limited.
 */
static void newreno_cong_avoid(struct tcp_cc *cc, uint32_t acked, uint32_t rtt_us, uint64_t now_us)
{
	(void)rtt_us;
	(void)now_us;
	cc->ca_acked += acked;
	if (cc->ca_acked >= cc->cwnd) {
		cc->ca_acked -= cc->cwnd;
		cwnd_set(cc, (uint64_t)cc->cwnd + cc->smss);
		/* A stretch ACK of several windows earns one step, not several. */
		if (cc->ca_acked >= cc->cwnd) {
			cc->ca_acked = cc->cwnd - 1;
		}
	}
}

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2*SMSS). */
static uint32_t newreno_ssthresh(struct tcp_cc *cc, uint32_t flight_size, bool rto)
{
	(void)rto;
	return max32(flight_size / 2, 2 * cc->smss);
}

static void newreno_restart(struct tcp_cc *cc)
{
	(void)cc;
}

const struct tcp_cc_ops tcp_cc_newreno_ops = {
	.name = "newreno",
	.init = newreno_init,
	.cong_avoid = newreno_cong_avoid,
	.ssthresh = newreno_ssthresh,
	.restart = newreno_restart,
};

/* ------------------------------------------------------------------------- */
/* CUBIC (RFC 9438)                                                          */

/* The real cube root of |a| > 0 (0 for anything else), from libm. */
static double cube_root(double a)
{
	return a > 0.0 ? cbrt(a) : 0.0;
}

/* RFC 9438 (1): W_cubic(t) = C * (t - K)^3 + W_max, in bytes (C is per SMSS). */
static double cubic_w(const struct tcp_cc *cc, double t)
{
	const struct tcp_cc_cubic *c = &cc->u.cubic;
	double d = t - c->k;

	return CUBIC_C * cc->smss * d * d * d + c->w_max;
}

static void cubic_init(struct tcp_cc *cc)
{
	memset(&cc->u.cubic, 0, sizeof(cc->u.cubic));
}

/*
 * RFC 9438 4.2: the epoch (the current congestion-avoidance stage) starts at
 * its first ACK. K = cbrt((W_max - cwnd_epoch) / C) makes the curve pass
 * through cwnd_epoch at t = 0 and reach W_max at t = K. A cwnd at or above
 * W_max (the first CA stage after a timeout, 4.8) starts on the plateau:
 * K = 0, W_max = cwnd_epoch. W_est starts at cwnd_epoch (4.3).
 */
static void cubic_epoch_start(struct tcp_cc *cc, uint64_t now_us)
{
	struct tcp_cc_cubic *c = &cc->u.cubic;
	double cwnd = cc->cwnd;

	c->in_epoch = true;
	c->epoch_us = now_us;
	c->cwnd_epoch = cc->cwnd;
	c->w_est = cwnd;
	c->frac = 0.0;
	if (cwnd < c->w_max) {
		c->k = cube_root((c->w_max - cwnd) / (CUBIC_C * cc->smss));
	} else {
		c->k = 0.0;
		c->w_max = cwnd;
	}
}

static void cubic_cong_avoid(struct tcp_cc *cc, uint32_t acked, uint32_t rtt_us, uint64_t now_us)
{
	struct tcp_cc_cubic *c = &cc->u.cubic;
	double cwnd, t, target, alpha, inc;
	uint64_t whole;

	if (!c->in_epoch) {
		cubic_epoch_start(cc, now_us);
	}
	cwnd = cc->cwnd;
	t = now_us > c->epoch_us ? (double)(now_us - c->epoch_us) / US_PER_S : 0.0;

	/*
	 * 4.3: W_est grows like Reno with beta_cubic, alpha_cubic segments per
	 * RTT, i.e. alpha * SMSS * acked / cwnd bytes per ACK; alpha becomes 1
	 * once W_est has reached cwnd_prior. Below W_est, CUBIC would be slower
	 * than Reno: use W_est (raising cwnd only; an ACK never shrinks it).
	 */
	alpha = c->w_est >= c->cwnd_prior ? 1.0 : CUBIC_ALPHA;
	c->w_est += alpha * cc->smss * (double)acked / cwnd;
	if (cubic_w(cc, t) < c->w_est) {
		if (c->w_est > cwnd) {
			cwnd_set(cc, (uint64_t)c->w_est);
		}
		c->frac = 0.0;
		return;
	}

	/*
	 * 4.2, concave and convex regions alike: aim at W_cubic(t + RTT),
	 * bounded to [cwnd, 1.5 * cwnd], and grow by (target - cwnd) / cwnd
	 * segments per SMSS acknowledged. Fractions of a byte carry over.
	 */
	target = cubic_w(cc, t + (double)rtt_us / US_PER_S);
	if (target < cwnd) {
		target = cwnd;
	} else if (target > 1.5 * cwnd) {
		target = 1.5 * cwnd;
	}
	inc = (target - cwnd) * (double)acked / cwnd;
	if (inc > target - cwnd) {
		inc = target - cwnd; /* a stretch ACK of more than a window */
	}
	inc += c->frac;
	whole = (uint64_t)inc;
	c->frac = inc - (double)whole;
	cwnd_set(cc, cc->cwnd + whole);
}

/*
 * 4.6 and 4.7: remember W_max (reduced further by fast convergence when this
 * event came below the last one, a sign that new flows share the path) and
 * cwnd_prior, end the epoch, ssthresh = FlightSize * beta_cubic, at least
 * 2*SMSS. After a timeout W_max is forgotten so that the next epoch starts
 * with K = 0 and W_max = its cwnd (4.8).
 */
static uint32_t cubic_ssthresh(struct tcp_cc *cc, uint32_t flight_size, bool rto)
{
	struct tcp_cc_cubic *c = &cc->u.cubic;
	double cwnd = cc->cwnd;

	if (cwnd < c->w_max) {
		c->w_max = cwnd * (1.0 + CUBIC_BETA) / 2.0;
	} else {
		c->w_max = cwnd;
	}
	if (rto) {
		c->w_max = 0.0;
	}
	c->cwnd_prior = cc->cwnd;
	c->in_epoch = false;
	c->frac = 0.0;
	/* beta_cubic = 7/10 exactly, in integers: 0.7 is not a double. */
	return max32((uint32_t)((uint64_t)flight_size * 7 / 10), 2 * cc->smss);
}

/* After idle the old curve no longer describes the path: start a new epoch. */
static void cubic_restart(struct tcp_cc *cc)
{
	cc->u.cubic.in_epoch = false;
	cc->u.cubic.frac = 0.0;
}

const struct tcp_cc_ops tcp_cc_cubic_ops = {
	.name = "cubic",
	.init = cubic_init,
	.cong_avoid = cubic_cong_avoid,
	.ssthresh = cubic_ssthresh,
	.restart = cubic_restart,
};

/* ------------------------------------------------------------------------- */
/* Selection                                                                 */

static const struct tcp_cc_ops *const algos[] = {
	&tcp_cc_newreno_ops,
	&tcp_cc_cubic_ops,
};

const char *const tcp_cc_names[] = {"newreno", "cubic", NULL};

_Static_assert(sizeof(tcp_cc_names) / sizeof(tcp_cc_names[0]) ==
		       sizeof(algos) / sizeof(algos[0]) + 1,
	       "tcp_cc_names and algos out of step");

const struct tcp_cc_ops *tcp_cc_ops_by_name(const char *name)
{
	size_t i;

	if (name == NULL) {
		return NULL;
	}
	for (i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
		if (strcmp(name, algos[i]->name) == 0) {
			return algos[i];
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------------- */
/* The common part                                                           */

int tcp_cc_init(struct tcp_cc *cc, const struct tcp_cc_ops *ops, uint32_t smss, uint64_t now_us)
{
	if (cc == NULL || ops == NULL || smss == 0 || smss > UINT16_MAX) {
		return -EINVAL;
	}
	memset(cc, 0, sizeof(*cc));
	cc->ops = ops;
	cc->smss = smss;
	cc->iw = tcp_cc_iw(smss);
	cc->cwnd = cc->iw;
	cc->ssthresh = TCP_CC_SSTHRESH_INF;
	cc->last_send_us = now_us;
	cc->phase = TCP_CC_OPEN;
	ops->init(cc);
	return 0;
}

void tcp_cc_on_ack(struct tcp_cc *cc, uint32_t acked, uint32_t rtt_us, uint64_t now_us,
		   bool cwnd_limited)
{
	if (acked == 0 || cc->phase == TCP_CC_RECOVERY) {
		return;
	}
	acked = min32(acked, TCP_CC_CWND_MAX);
	cc->phase = TCP_CC_OPEN;
	if (!cwnd_limited) {
		/*
		 * The application did not use the window (RFC 7661, RFC 9438 5.8):
		 * do not grow it, and let the algorithm start a fresh growth epoch
		 * from the current window when the flow fills it again.
		 */
		cc->ca_acked = 0;
		cc->ops->restart(cc);
		return;
	}
	if (cc->cwnd < cc->ssthresh) {
		/* RFC 3465 2.2 with L = 1*SMSS; stop at ssthresh. */
		cwnd_set(cc, min32(cc->cwnd + min32(acked, cc->smss), cc->ssthresh));
		return;
	}
	cc->ops->cong_avoid(cc, acked, rtt_us, now_us);
}

void tcp_cc_on_send(struct tcp_cc *cc, uint32_t rto_us, uint64_t now_us)
{
	/* RFC 5681 4.1: idle for more than an RTO, restart from RW = min(IW, cwnd). */
	if (cc->phase == TCP_CC_OPEN && now_us > cc->last_send_us &&
	    now_us - cc->last_send_us > rto_us) {
		cc->cwnd = min32(cc->iw, cc->cwnd);
		cc->ca_acked = 0;
		cc->ops->restart(cc);
	}
	cc->last_send_us = now_us;
}

void tcp_cc_recovery_enter(struct tcp_cc *cc, uint32_t flight_size, bool sack)
{
	/*
	 * After an RTO (LOSS) the window was already cut and rebuilds by slow
	 * start; a FlightSize from before the timeout would set a burst-sized
	 * window. RFC 6582 3.2: no new recovery until SND.UNA passes |recover|.
	 */
	if (cc->phase == TCP_CC_RECOVERY || cc->phase == TCP_CC_LOSS) {
		return;
	}
	flight_size = min32(flight_size, TCP_CC_CWND_MAX);
	cc->ssthresh = cc->ops->ssthresh(cc, flight_size, false);
	cc->ca_acked = 0;
	cc->sack = sack;
	cc->phase = TCP_CC_RECOVERY;
	if (sack) {
		/* RFC 6675 5 step (4.2): cwnd = ssthresh; pipe governs sending. */
		cwnd_set(cc, cc->ssthresh);
	} else {
		/* RFC 6582 3.2, RFC 5681 3.2 step 3: three segments have left the network. */
		cwnd_set(cc, (uint64_t)cc->ssthresh + 3 * cc->smss);
	}
}

void tcp_cc_recovery_dupack(struct tcp_cc *cc)
{
	if (cc->phase != TCP_CC_RECOVERY || cc->sack) {
		return;
	}
	/* RFC 6582 3.2, RFC 5681 3.2 step 4: one more segment has left the network. */
	cwnd_set(cc, (uint64_t)cc->cwnd + cc->smss);
}

void tcp_cc_recovery_partial_ack(struct tcp_cc *cc, uint32_t acked)
{
	uint64_t w;

	if (cc->phase != TCP_CC_RECOVERY || cc->sack) {
		return;
	}
	/*
	 * RFC 6582 3.2, partial acknowledgment: deflate by the data acknowledged, add back one
	 * SMSS if at least that much was, so that about ssthresh stays in
	 * flight when recovery ends.
	 */
	w = cc->cwnd > acked ? cc->cwnd - acked : 0;
	if (acked >= cc->smss) {
		w += cc->smss;
	}
	cwnd_set(cc, w > cc->smss ? w : cc->smss);
}

void tcp_cc_recovery_exit(struct tcp_cc *cc, uint32_t flight_size)
{
	uint64_t w;

	if (cc->phase != TCP_CC_RECOVERY) {
		return;
	}
	/*
	 * RFC 6582 3.2, full acknowledgment, option (1): never more than one segment beyond
	 * what is in flight, so leaving recovery cannot burst. With SACK cwnd
	 * was ssthresh all along and the same bound applies.
	 */
	w = (uint64_t)max32(min32(flight_size, TCP_CC_CWND_MAX), cc->smss) + cc->smss;
	cwnd_set(cc, w < cc->ssthresh ? w : cc->ssthresh);
	cc->ca_acked = 0;
	cc->phase = TCP_CC_OPEN;
}

void tcp_cc_on_rto(struct tcp_cc *cc, uint32_t flight_size)
{
	/* RFC 5681 (4): a repeated timeout of the same segment keeps ssthresh. */
	if (cc->phase != TCP_CC_LOSS) {
		flight_size = min32(flight_size, TCP_CC_CWND_MAX);
		cc->ssthresh = cc->ops->ssthresh(cc, flight_size, true);
	}
	/* RFC 5681 3.1: the loss window. */
	cc->cwnd = cc->smss;
	cc->ca_acked = 0;
	cc->phase = TCP_CC_LOSS;
}

void tcp_cc_dump(FILE *f, const struct tcp_cc *cc)
{
	static const char *const phases[] = {"open", "recovery", "loss"};
	const struct tcp_cc_cubic *c = &cc->u.cubic;

	fprintf(f, "%s %s%s cwnd %" PRIu32 " ssthresh %" PRIu32 " smss %" PRIu32, cc->ops->name,
		phases[cc->phase], cc->phase == TCP_CC_RECOVERY && cc->sack ? "(sack)" : "",
		cc->cwnd, cc->ssthresh, cc->smss);
	if (cc->ops == &tcp_cc_cubic_ops) {
		fprintf(f, " w_max %.0f k %.3f w_est %.0f cwnd_prior %" PRIu32 " epoch %s",
			c->w_max, c->k, c->w_est, c->cwnd_prior, c->in_epoch ? "yes" : "no");
	}
	fputc('\n', f);
}
