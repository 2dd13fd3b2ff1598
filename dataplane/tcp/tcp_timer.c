/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_timer.c - the timers of a connection. Each connection keeps absolute
 * deadlines (stack milliseconds) for retransmission (RFC 6298), delayed ACK,
 * tail loss probe (RFC 8985), persist (zero-window probes), keepalive and
 * TIME_WAIT / FIN_WAIT_2, and one
 * wheel timer armed at the earliest of them; when it fires, every deadline
 * that has passed is handled and the timer rearmed.
 */
#include <errno.h>

#include "tcp_conn.h"

static inline uint64_t min_nz(uint64_t a, uint64_t b)
{
	if (a == 0) {
		return b;
	}
	if (b == 0) {
		return a;
	}
	return a < b ? a : b;
}

void tcp_timer_update(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;
	uint64_t t = min_nz(min_nz(min_nz(c->t_rexmt, c->t_dack), min_nz(c->t_persist, c->t_keep)),
			    min_nz(c->t_close, c->t_tlp));

	if (c->flags & TCP_F_REAP) {
		return;
	}
	if (t == 0) {
		twheel_cancel(&st->wheel, &c->tm);
	} else if (!twheel_armed(&c->tm) || c->tm.expires != t) {
		twheel_arm(&st->wheel, &c->tm, t);
	}
}

bool tcp_tlp_eligible(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		break;
	default:
		return false;
	}
	/*
	 * RFC 8985 7.2: SACK on, data outstanding, not in loss recovery (nor
	 * after an RTO, while SND.NXT is pulled back), one probe at a time.
	 */
	return (c->flags & TCP_F_SACK) && !(c->flags & (TCP_F_IN_RECOVERY | TCP_F_TLP)) &&
	       c->snd_una != c->snd_max && c->snd_nxt == c->snd_max &&
	       c->cc.phase != TCP_CC_LOSS && tcp_rtt_has_sample(&c->rtt);
}

/*
 * RFC 8985 7.2: PTO = 2 SRTT, plus the worst-case delayed ACK (200 ms) when
 * one segment is in flight, at least 10 ms (the floor Linux uses, which keeps
 * a jittery sub-millisecond path from probing at every pause); no probe when
 * the RTO comes first.
 */
static uint64_t tlp_deadline(const struct tcp_conn *c)
{
	uint64_t pto_us, t;

	if (!tcp_tlp_eligible(c)) {
		return 0;
	}
	pto_us = 2 * tcp_rtt_srtt(&c->rtt);
	if (c->snd_max - c->snd_una <= c->smss) {
		pto_us += 200000;
	}
	if (pto_us < 10000) {
		pto_us = 10000;
	}
	t = (c->st->now_us + pto_us + 999) / 1000;
	return c->t_rexmt != 0 && t >= c->t_rexmt ? 0 : t;
}

void tcp_tlp_arm(struct tcp_conn *c)
{
	c->t_tlp = tlp_deadline(c);
	tcp_timer_update(c);
}

void tcp_rexmt_arm(struct tcp_conn *c)
{
	/* Rounded up to the next ms tick: the timer must never fire early (RFC 6298 2.4). */
	c->t_rexmt = (c->st->now_us + tcp_rtt_rto(&c->rtt) + 999) / 1000;
	if (c->t_rexmt <= c->st->now_ms) {
		c->t_rexmt = c->st->now_ms + 1;
	}
	c->t_tlp = tlp_deadline(c);
	tcp_timer_update(c);
}

/* RFC 6298 5.4-5.7, RFC 5681 3.1, RFC 6675 5.1: the retransmission timer expired. */
static void rexmt_expired(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
		if (++c->nb_rexmt > st->conf.syn_retries) {
			tcp_conn_drop(c, -ETIMEDOUT);
			return;
		}
		tcp_ctr(st, TCP_CTR_RTO, 1);
		tcp_ctr(st, TCP_CTR_RETRANS, 1);
		c->flags |= TCP_F_SYN_RTO;
		c->flags &= ~TCP_F_RTT_TIMING; /* Karn */
		tcp_rtt_backoff(&c->rtt);
		(void)tcp_send_syn(c);
		tcp_rexmt_arm(c);
		return;
	}
	if (c->snd_una == c->snd_max) {
		return; /* nothing outstanding any more */
	}
	if (tcp_rtt_nb_backoff(&c->rtt) >= st->conf.max_retries) {
		tcp_send_rst(c);
		tcp_conn_drop(c, -ETIMEDOUT);
		return;
	}
	tcp_ctr(st, TCP_CTR_RTO, 1);
	c->flags &= ~(TCP_F_TLP | TCP_F_TLP_RXT);
	tcp_cc_on_rto(&c->cc, c->snd_max - c->snd_una);
	tcp_rtt_backoff(&c->rtt);
	/* No new recovery before all that was outstanding is acknowledged. */
	c->recover = c->snd_max;
	c->flags &= ~(TCP_F_IN_RECOVERY | TCP_F_RTT_TIMING | TCP_F_CUR_VALID);
	c->dupacks = 0;
	tcp_sack_board_clear(&c->sb); /* the receiver may have reneged (RFC 2018 8) */
	c->high_rxt = c->snd_una;
	c->snd_nxt = c->snd_una; /* go back N, in slow start from one segment */
	tcp_rexmt_arm(c);
	tcp_conn_mark(c);
}

static void keep_expired(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	c->t_keep = 0;
	if (!(c->flags & TCP_F_KEEPALIVE) ||
	    (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT)) {
		return;
	}
	if (st->now_ms - c->last_rcv_ms < c->keep_idle_ms && c->nb_probes == 0) {
		c->t_keep = c->last_rcv_ms + c->keep_idle_ms;
		return;
	}
	if (c->nb_probes >= c->keep_cnt) {
		tcp_send_rst(c);
		tcp_conn_drop(c, -ETIMEDOUT);
		return;
	}
	c->nb_probes++;
	tcp_ctr(st, TCP_CTR_KEEPALIVES_SENT, 1);
	tcp_send_probe(c);
	c->t_keep = st->now_ms + c->keep_intvl_ms;
}

static void persist_expired(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;
	uint64_t rto_ms = (tcp_rtt_rto(&c->rtt) + 999) / 1000;
	uint32_t shift = c->persist_backoff < 6 ? c->persist_backoff : 6;

	c->t_persist = 0;
	if (!(c->flags & TCP_F_PERSIST) || c->snd_wnd != 0) {
		return;
	}
	/*
	 * A peer that keeps its window shut answers every probe, so only the
	 * application can end a live connection in persist (as in Linux). One it
	 * has closed (an orphan) has nobody to do that: after orphan_retries
	 * probes it is reset, so a peer cannot pin our buffers for ever.
	 */
	if ((c->flags & TCP_F_APP_CLOSED) && c->persist_backoff >= st->conf.orphan_retries) {
		tcp_send_rst(c);
		tcp_conn_drop(c, -ETIMEDOUT);
		return;
	}
	tcp_ctr(st, TCP_CTR_ZWP_SENT, 1);
	tcp_send_probe(c);
	/* Backs off like the RTO, up to 64 x and persist_max_ms (ACKs of the probes do not reset it); any window that opens does. */
	c->persist_backoff++;
	c->t_persist = st->now_ms + RTE_MIN(rto_ms << shift, (uint64_t)st->conf.persist_max_ms);
}

void tcp_timer_fire(struct twheel_timer *t, void *arg)
{
	struct tcp_conn *c = container_of(t, struct tcp_conn, tm);
	struct tcp_stack *st = arg;
	uint64_t now = st->now_ms;

	if (c->flags & TCP_F_REAP) {
		return;
	}
	if (c->t_close != 0 && c->t_close <= now) {
		c->t_close = 0;
		tcp_conn_drop(c, 0);
		return;
	}
	if (c->t_rexmt != 0 && c->t_rexmt <= now) {
		c->t_rexmt = 0;
		rexmt_expired(c);
		if (c->flags & TCP_F_REAP) {
			return;
		}
	}
	if (c->t_tlp != 0 && c->t_tlp <= now) {
		c->t_tlp = 0;
		tcp_send_loss_probe(c);
	}
	if (c->t_dack != 0 && c->t_dack <= now) {
		c->t_dack = 0;
		tcp_ctr(st, TCP_CTR_DELAYED_ACKS, 1);
		c->flags |= TCP_F_ACK_NOW;
		tcp_conn_mark(c);
	}
	if (c->t_persist != 0 && c->t_persist <= now) {
		persist_expired(c);
	}
	if (c->t_keep != 0 && c->t_keep <= now) {
		keep_expired(c);
		if (c->flags & TCP_F_REAP) {
			return;
		}
	}
	tcp_timer_update(c);
}
