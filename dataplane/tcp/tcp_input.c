/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_input.c - segment arrival for a connection (RFC 9293 3.10.7.3 and
 * 3.10.7.4), in the RFC's order: PAWS (RFC 7323 5), the acceptability test
 * and trimming to the window, RST (with RFC 5961's challenge ACK), SYN
 * (challenge ACK), ACK (RFC 5961 5 checks, SND.UNA, RTT, SACK scoreboard,
 * duplicate ACKs and loss recovery per RFC 6675 or RFC 6582, the send
 * window), the text (in order into rcvq, out of order into the reassembly
 * array with RFC 2018 bookkeeping), then FIN. Acknowledgments are owed, not
 * sent: tcp_output sends them at the flush (delayed ACK per RFC 9293
 * 3.8.6.3 / RFC 5681 4.2 with quick-ACK at the start).
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "tcp_conn.h"

void tcp_stack_syn_options(struct tcp_conn *c, const struct tcp_seg *seg);

static void owe_ack(struct tcp_conn *c)
{
	c->flags |= TCP_F_ACK_NOW;
	tcp_conn_mark(c);
}

/*
 * An ACK owed to a segment that is out of the window, PAWS-rejected or
 * acknowledges what was never sent. Two stacks that disagree on the
 * sequence space would answer each other's pure ACKs for ever (an ACK
 * storm, RFC 5961 10), so those get one answer per TCP_OOW_RATELIMIT_MS per
 * connection, as in Linux; a segment carrying data, SYN or FIN always gets
 * its ACK.
 */
#define TCP_OOW_RATELIMIT_MS 500

static void owe_oow_ack(struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint64_t now = c->st->now_ms;

	if (seg->payload_len == 0 && !(seg->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN))) {
		if (c->oow_ack_ms != 0 && now - c->oow_ack_ms < TCP_OOW_RATELIMIT_MS) {
			tcp_ctr(c->st, TCP_CTR_OOW_LIMITED, 1);
			return;
		}
		c->oow_ack_ms = now != 0 ? now : 1;
	}
	owe_ack(c);
}

/* RFC 2883: the next segment reports [left, right) as received twice (first SACK block). */
static void note_dsack(struct tcp_conn *c, uint32_t left, uint32_t right)
{
	/* Only what was received: nothing before the first data octet (a SYN's seq, or older). */
	if (tcp_seq_leq(left, c->irs)) {
		left = c->irs + 1;
	}
	if ((c->flags & TCP_F_SACK) && tcp_seq_lt(left, right)) {
		c->dsack_left = left;
		c->dsack_right = right;
		c->flags |= TCP_F_DSACK;
	}
}

static void free_payload(struct rte_mbuf *m)
{
	if (m != NULL) {
		rte_pktmbuf_free(m);
	}
}

/* <SEQ=SEG.ACK><CTL=RST>: an ACK that acknowledges nothing we sent (RFC 9293 3.10.7.3). */
static void rst_for_ack(struct tcp_conn *c, uint32_t ack)
{
	struct tcp_seg r = {.sport = c->key.lport, .dport = c->key.rport, .seq = ack,
			    .flags = TCP_FLAG_RST};
	const uint8_t *l = c->family == TCP_KEY_V4 ? c->key.laddr + 12 : c->key.laddr;
	const uint8_t *rr = c->family == TCP_KEY_V4 ? c->key.raddr + 12 : c->key.raddr;

	tcp_send_raw(c->st, c->port_idx, c->family, l, rr, &r);
	tcp_ctr(c->st, TCP_CTR_RESETS_OUT, 1);
}

/* ---- receiving data -------------------------------------------------- */

static void rcvq_add(struct tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	m->nb_segs = 1; /* the queue counts segments itself */
	tcp_mq_append(&c->rcvq, m, len);
	c->rcv_nxt += len;
	tcp_ctr(c->st, TCP_CTR_BYTES_IN, len);
}

/* Move what the out-of-order array holds at RCV.NXT into rcvq. Returns true if any. */
static bool ooo_pull(struct tcp_conn *c)
{
	bool any = false;

	while (c->nb_ooo > 0 && tcp_seq_leq(c->ooo[0].seq, c->rcv_nxt)) {
		struct tcp_ooo o = c->ooo[0];
		uint32_t end = o.seq + o.len;

		memmove(&c->ooo[0], &c->ooo[1], (c->nb_ooo - 1) * sizeof(c->ooo[0]));
		c->nb_ooo--;
		c->ooo_bytes -= o.len;
		if (tcp_seq_leq(end, c->rcv_nxt)) {
			rte_pktmbuf_free(o.m);
			continue;
		}
		if (o.seq != c->rcv_nxt) {
			uint32_t cut = c->rcv_nxt - o.seq;

			o.m = tcp_mbuf_trim_front(o.m, cut);
			o.len -= cut;
		}
		rcvq_add(c, o.m, o.len);
		any = true;
	}
	return any;
}

/* Queue [seq, seq + len) above RCV.NXT, disjoint from what is there. */
static void ooo_insert(struct tcp_conn *c, uint32_t seq, struct rte_mbuf *m, uint32_t len)
{
	uint32_t end = seq + len;
	uint32_t i = 0;
	uint32_t segs = c->rcvq.nb + m->nb_segs;

	/*
	 * Out-of-order ranges are mbuf chains: bound the mbufs they and rcvq pin
	 * together (tiny segments must not hold the RX pool), leaving room for
	 * the segment that fills the hole. The peer resends what is dropped.
	 */
	for (uint32_t k = 0; k < c->nb_ooo; k++) {
		segs += c->ooo[k].m->nb_segs;
	}
	if (segs >= TCP_RCVQ_SEGS_MAX) {
		tcp_ctr(c->st, TCP_CTR_RCV_QUEUE_FULL, 1);
		rte_pktmbuf_free(m);
		return;
	}

	tcp_ctr(c->st, TCP_CTR_OOO_SEGS, 1);
	while (i < c->nb_ooo && tcp_seq_leq(c->ooo[i].seq, seq)) {
		i++;
	}
	/* Overlap with the one before: cut our front. */
	if (i > 0) {
		uint32_t pend = c->ooo[i - 1].seq + c->ooo[i - 1].len;

		if (tcp_seq_geq(pend, end)) {
			tcp_ctr(c->st, TCP_CTR_DUP_SEGS, 1);
			note_dsack(c, seq, end);
			rte_pktmbuf_free(m);
			tcp_sack_rcv_note(&c->sr, c->ooo[i - 1].seq, pend);
			return;
		}
		if (tcp_seq_gt(pend, seq)) {
			m = tcp_mbuf_trim_front(m, pend - seq);
			len -= pend - seq;
			seq = pend;
		}
	}
	/* Entries we cover wholly go; one we overlap cuts our tail. */
	while (i < c->nb_ooo && tcp_seq_leq(c->ooo[i].seq + c->ooo[i].len, end)) {
		c->ooo_bytes -= c->ooo[i].len;
		rte_pktmbuf_free(c->ooo[i].m);
		memmove(&c->ooo[i], &c->ooo[i + 1], (c->nb_ooo - i - 1) * sizeof(c->ooo[0]));
		c->nb_ooo--;
	}
	if (i < c->nb_ooo && tcp_seq_lt(c->ooo[i].seq, end)) {
		len = c->ooo[i].seq - seq;
		if (len == 0) {
			/* Cut to the one before, we start where this one does: it holds us. */
			tcp_ctr(c->st, TCP_CTR_DUP_SEGS, 1);
			note_dsack(c, seq, end);
			rte_pktmbuf_free(m);
			tcp_sack_rcv_note(&c->sr, c->ooo[i].seq, c->ooo[i].seq + c->ooo[i].len);
			return;
		}
		end = seq + len;
		tcp_mbuf_trim_to(m, len);
	}
	/*
	 * Contiguous with the range before: extend it (its mbufs chained), so
	 * entries count ranges (holes), not segments, and a window of losses
	 * fits in TCP_OOO_MAX entries.
	 */
	if (i > 0 && c->ooo[i - 1].seq + c->ooo[i - 1].len == seq &&
	    c->ooo[i - 1].m->nb_segs + m->nb_segs < UINT16_MAX) {
		struct tcp_ooo *p = &c->ooo[i - 1];

		(void)!rte_pktmbuf_chain(p->m, m);
		p->len += len;
		c->ooo_bytes += len;
		if (i < c->nb_ooo && p->seq + p->len == c->ooo[i].seq &&
		    p->m->nb_segs + c->ooo[i].m->nb_segs < UINT16_MAX) {
			(void)!rte_pktmbuf_chain(p->m, c->ooo[i].m);
			p->len += c->ooo[i].len;
			memmove(&c->ooo[i], &c->ooo[i + 1], (c->nb_ooo - i - 1) * sizeof(c->ooo[0]));
			c->nb_ooo--;
		}
		tcp_sack_rcv_note(&c->sr, seq, end);
		return;
	}
	if (c->nb_ooo == TCP_OOO_MAX) {
		tcp_ctr(c->st, TCP_CTR_RCV_QUEUE_FULL, 1);
		rte_pktmbuf_free(m);
		return;
	}
	memmove(&c->ooo[i + 1], &c->ooo[i], (c->nb_ooo - i) * sizeof(c->ooo[0]));
	c->ooo[i] = (struct tcp_ooo){.seq = seq, .len = len, .m = m};
	c->nb_ooo++;
	c->ooo_bytes += len;
	/* Contiguous with the range after: take it into this one. */
	if (i + 1 < c->nb_ooo && seq + len == c->ooo[i + 1].seq &&
	    m->nb_segs + c->ooo[i + 1].m->nb_segs < UINT16_MAX) {
		(void)!rte_pktmbuf_chain(m, c->ooo[i + 1].m);
		c->ooo[i].len += c->ooo[i + 1].len;
		memmove(&c->ooo[i + 1], &c->ooo[i + 2], (c->nb_ooo - i - 2) * sizeof(c->ooo[0]));
		c->nb_ooo--;
	}
	tcp_sack_rcv_note(&c->sr, seq, end);
}

/* Text of an acceptable segment, trimmed to the window: |m| holds |len| bytes at |seq|. */
static void rcv_data(struct tcp_conn *c, uint32_t seq, struct rte_mbuf *m, uint32_t len)
{
	if (c->rcvq.nb + m->nb_segs > TCP_RCVQ_SEGS_MAX) {
		tcp_ctr(c->st, TCP_CTR_RCV_QUEUE_FULL, 1);
		rte_pktmbuf_free(m);
		owe_ack(c);
		return;
	}
	if (seq != c->rcv_nxt) {
		ooo_insert(c, seq, m, len);
		/*
		 * RFC 5681 4.2: out of order, ACK at once, one ACK per segment:
		 * a sender without SACK counts duplicate ACKs, so these are not
		 * coalesced per burst like other ACKs.
		 */
		tcp_send_ack(c);
		return;
	}
	rcvq_add(c, m, len);
	if (c->nb_ooo > 0) {
		ooo_pull(c);
		owe_ack(c); /* filled (part of) a hole: ACK at once */
	}
	tcp_sack_rcv_ack(&c->sr, c->rcv_nxt);
	c->flags |= TCP_F_READABLE;
	tcp_conn_mark(c);
	/* Delayed ACK: every second full segment, quick-ACK at start, else the timer. */
	if (c->quickack > 0) {
		c->quickack--;
		owe_ack(c);
	} else if (c->rcv_nxt - c->last_ack_sent >= 2u * c->rmss) {
		owe_ack(c);
	} else if (c->t_dack == 0 && !(c->flags & TCP_F_ACK_NOW)) {
		c->t_dack = c->st->now_ms + c->st->conf.delack_ms;
		tcp_timer_update(c);
	}
}

/* ---- ACK processing -------------------------------------------------- */

/* The FIN we sent is acknowledged by SND.UNA. */
static inline bool fin_acked(const struct tcp_conn *c)
{
	return (c->flags & TCP_F_FIN_QUEUED) && tcp_seq_gt(c->snd_una, c->fin_seq);
}

/* Loss recovery entry (RFC 6675 5 / RFC 6582 3.2). */
static void enter_recovery(struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;
	bool sack = (c->flags & TCP_F_SACK) != 0;

	c->recover = c->snd_max;
	c->flags |= TCP_F_IN_RECOVERY;
	c->flags &= ~(TCP_F_RESCUE | TCP_F_TLP | TCP_F_TLP_RXT);
	c->t_tlp = 0;
	c->high_rxt = c->snd_una;
	tcp_ctr(c->st, TCP_CTR_FAST_RECOVERY, 1);
	tcp_cc_recovery_enter(&c->cc, flight, sack);
	/* Both RFCs: retransmit the first unacknowledged segment now. */
	tcp_retransmit_head(c);
}

/* A SACK block of |seg| covers data at or beyond |seq| (and is no D-SACK below SND.UNA). */
static bool sacked_from(const struct tcp_conn *c, const struct tcp_seg *seg, uint32_t seq)
{
	for (unsigned int i = 0; i < seg->opts.nb_sack; i++) {
		const struct tcp_sack_block *b = &seg->opts.sack[i];

		if (tcp_seq_gt(b->right, seq) && tcp_seq_geq(b->left, c->snd_una) &&
		    tcp_seq_leq(b->right, c->snd_max)) {
			return true;
		}
	}
	return false;
}

/*
 * The outcome of a tail loss probe (RFC 8985 7.4), after the ACK's
 * cumulative and selective parts are applied. Returns true when the ACK
 * shows data sent before the probe lost: the probe went out at least a
 * PTO (2 SRTT) after all of it and arrived, so what is still missing is
 * taken as lost (RACK's reasoning, with a reordering window under PTO).
 */
static bool tlp_outcome(struct tcp_conn *c, const struct tcp_seg *seg, uint32_t flight_before,
			bool dsack)
{
	bool sack = (c->flags & TCP_F_SACK) != 0;

	if (!(c->flags & TCP_F_TLP)) {
		return false;
	}
	if (!(c->flags & TCP_F_IN_RECOVERY) && tcp_seq_lt(c->snd_una, c->tlp_seq) &&
	    sacked_from(c, seg, c->tlp_seq)) {
		c->flags &= ~(TCP_F_TLP | TCP_F_TLP_RXT);
		tcp_sack_board_mark_lost(&c->sb, c->tlp_seq);
		tcp_ctr(c->st, TCP_CTR_TLP_RECOVERY, 1);
		return true;
	}
	if (tcp_seq_geq(c->snd_una, c->tlp_end)) {
		if ((c->flags & TCP_F_TLP_RXT) && !dsack && !(c->flags & TCP_F_IN_RECOVERY)) {
			/*
			 * A retransmitted probe and no D-SACK for it: the original
			 * was lost and the probe repaired it. Respond as to a loss
			 * (RFC 8985 7.4.2): one multiplicative decrease.
			 */
			tcp_cc_recovery_enter(&c->cc, flight_before, sack);
			tcp_cc_recovery_exit(&c->cc, c->snd_max - c->snd_una);
			tcp_ctr(c->st, TCP_CTR_TLP_RECOVERY, 1);
		}
		c->flags &= ~(TCP_F_TLP | TCP_F_TLP_RXT);
	}
	return false;
}

/*
 * Returns false when the segment must be dropped after the ACK field (an ACK
 * of unsent data, or the connection ended).
 */
static bool ack_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct tcp_stack *st = c->st;
	uint32_t ack = seg->ack;
	uint32_t old_una = c->snd_una;
	uint32_t flight_before = c->snd_max - c->snd_una;
	uint32_t acked = 0, data_acked = 0, newly_sacked = 0;
	bool sack = (c->flags & TCP_F_SACK) != 0;
	uint64_t dsack_before = c->sb.nb_dsack;
	bool win_changed = false;
	bool is_dup, tlp_loss;

	if (tcp_seq_gt(ack, c->snd_max)) {
		/* RFC 9293 3.10.7.4: ACK of something not yet sent: ACK and drop. */
		tcp_ctr(st, TCP_CTR_ACK_UNSENT, 1);
		owe_oow_ack(c, seg);
		return false;
	}
	if (tcp_seq_lt(ack, c->snd_una - RTE_MAX(c->max_snd_wnd, 65535u))) {
		/* RFC 5961 5.2: far too old: a blind injection. */
		tcp_ctr(st, TCP_CTR_CHALLENGE_ACKS, 1);
		owe_oow_ack(c, seg);
		return false;
	}
	if (tcp_seq_gt(ack, c->snd_una)) {
		acked = ack - c->snd_una;
		data_acked = RTE_MIN(acked, c->sndq.bytes);
		if ((c->flags & TCP_F_CUR_VALID) && tcp_seq_leq(c->cur_seq, ack)) {
			c->flags &= ~TCP_F_CUR_VALID; /* its mbuf may go now */
		}
		tcp_mq_consume(&c->sndq, data_acked);
		c->snd_una = ack;
		if (tcp_seq_lt(c->snd_nxt, c->snd_una)) {
			c->snd_nxt = c->snd_una;
		}
		if (tcp_seq_lt(c->high_rxt, c->snd_una)) {
			c->high_rxt = c->snd_una;
		}
		if ((c->flags & TCP_F_RTT_TIMING) && tcp_seq_gt(ack, c->rtt_seq)) {
			c->flags &= ~TCP_F_RTT_TIMING;
			(void)tcp_rtt_sample(&c->rtt, st->now_us - c->rtt_start_us, 0, 1);
		}
		if (c->flags & TCP_F_WANT_WRITE) {
			tcp_conn_mark(c);
		}
	}
	if (sack && seg->opts.nb_sack > 0) {
		newly_sacked = tcp_sack_board_update(&c->sb, c->snd_una, c->snd_max, seg->opts.sack,
						     seg->opts.nb_sack);
	} else if (acked > 0 && sack) {
		tcp_sack_board_ack(&c->sb, c->snd_una);
	}

	/* Send window (RFC 9293 3.10.7.4, SND.WL1/WL2 rule). */
	if (tcp_seq_lt(c->snd_wl1, seg->seq) ||
	    (c->snd_wl1 == seg->seq && tcp_seq_leq(c->snd_wl2, ack))) {
		uint32_t wnd = (uint32_t)seg->window << c->snd_wscale;

		win_changed = wnd != c->snd_wnd;
		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd) {
			c->max_snd_wnd = wnd;
		}
		if (wnd > 0 && (c->flags & TCP_F_PERSIST)) {
			c->flags &= ~TCP_F_PERSIST;
			c->t_persist = 0;
			c->persist_backoff = 0;
			tcp_conn_mark(c);
		}
		if (win_changed) {
			tcp_conn_mark(c);
		}
	}

	/* RFC 5681 2 (and RFC 6675 2 with SACK): a duplicate acknowledgment. */
	if (sack) {
		is_dup = acked == 0 && old_una != c->snd_max && newly_sacked > 0;
	} else {
		is_dup = acked == 0 && old_una != c->snd_max && seg->payload_len == 0 &&
			 !(seg->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)) && !win_changed;
	}

	if (acked > 0) {
		c->dupacks = 0;
		if (c->flags & TCP_F_IN_RECOVERY) {
			if (tcp_seq_geq(c->snd_una, c->recover)) {
				c->flags &= ~TCP_F_IN_RECOVERY;
				tcp_cc_recovery_exit(&c->cc, c->snd_max - c->snd_una);
			} else if (!sack) {
				/* RFC 6582 3.2 step 5: partial ACK. */
				tcp_cc_recovery_partial_ack(&c->cc, data_acked);
				tcp_retransmit_head(c);
				tcp_rexmt_arm(c);
			}
		} else {
			bool limited;

			if (tcp_cc_in_slow_start(&c->cc)) {
				limited = flight_before >= tcp_cc_cwnd(&c->cc) / 2;
			} else {
				limited = flight_before + c->smss >= tcp_cc_cwnd(&c->cc);
			}
			tcp_cc_on_ack(&c->cc, data_acked, (uint32_t)tcp_rtt_srtt(&c->rtt), st->now_us,
				      limited);
		}
		/* RFC 6298 5.2/5.3: stop or restart the RTO. */
		if (c->snd_una == c->snd_max) {
			c->t_rexmt = 0;
			c->t_tlp = 0;
		} else if (!(c->flags & TCP_F_IN_RECOVERY) || sack) {
			tcp_rexmt_arm(c);
		}
		tcp_timer_update(c);
		tcp_conn_mark(c);
	} else if (is_dup) {
		c->dupacks++;
		if ((c->flags & TCP_F_IN_RECOVERY) && !sack) {
			tcp_cc_recovery_dupack(&c->cc);
		}
		tcp_conn_mark(c);
	}
	if (newly_sacked > 0) {
		tcp_conn_mark(c);
	}

	tlp_loss = tlp_outcome(c, seg, flight_before, c->sb.nb_dsack != dsack_before);

	/* Loss detection: not twice for one window (RFC 6582 "recover", RFC 6675 5.1). */
	if (!(c->flags & TCP_F_IN_RECOVERY) && c->snd_una != c->snd_max &&
	    tcp_seq_geq(c->snd_una, c->recover) && c->cc.phase != TCP_CC_LOSS) {
		bool loss = sack ? tlp_loss || tcp_sack_board_loss_detected(&c->sb, c->snd_una,
									   c->dupacks, c->smss)
				 : c->dupacks >= TCP_SACK_DUPTHRESH;

		if (loss) {
			enter_recovery(c);
		}
	}
	if (c->t_tlp == 0 && (acked > 0 || tlp_loss)) {
		tcp_tlp_arm(c);
	}

	/* Our FIN acknowledged. */
	if (fin_acked(c)) {
		switch (c->state) {
		case TCP_FIN_WAIT_1:
			tcp_conn_set_state(c, TCP_FIN_WAIT_2);
			c->t_rexmt = 0;
			if (c->flags & TCP_F_APP_CLOSED) {
				c->t_close = st->now_ms + st->conf.fin_wait2_ms;
			}
			tcp_timer_update(c);
			break;
		case TCP_CLOSING:
			tcp_enter_time_wait(c);
			return false;
		case TCP_LAST_ACK:
			tcp_conn_drop(c, 0);
			return false;
		default:
			break;
		}
	}
	return true;
}

/* ---- SYN_SENT -------------------------------------------------------- */

static void syn_sent_input(struct tcp_conn *c, struct tcp_seg *seg, struct rte_mbuf *m)
{
	struct tcp_stack *st = c->st;
	bool has_ack = (seg->flags & TCP_FLAG_ACK) != 0;

	if (has_ack && (tcp_seq_leq(seg->ack, c->iss) || tcp_seq_gt(seg->ack, c->snd_max))) {
		/* Not for our SYN: <SEQ=SEG.ACK><CTL=RST> unless it is a reset. */
		if (!(seg->flags & TCP_FLAG_RST)) {
			rst_for_ack(c, seg->ack);
		}
		free_payload(m);
		return;
	}
	if (seg->flags & TCP_FLAG_RST) {
		if (has_ack) {
			tcp_ctr(st, TCP_CTR_RESETS_IN, 1);
			tcp_conn_drop(c, -ECONNREFUSED);
		}
		free_payload(m);
		return;
	}
	if (!(seg->flags & TCP_FLAG_SYN)) {
		free_payload(m);
		return;
	}
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_edge = c->rcv_nxt;
	c->last_ack_sent = c->rcv_nxt;
	tcp_stack_syn_options(c, seg);
	if (has_ack) {
		c->snd_una = seg->ack;
		if (c->flags & TCP_F_RTT_TIMING) {
			c->flags &= ~TCP_F_RTT_TIMING;
			if (!(c->flags & TCP_F_SYN_RTO)) {
				(void)tcp_rtt_sample(&c->rtt, st->now_us - c->rtt_start_us, 0, 1);
			}
		}
	}
	c->snd_wnd = seg->window; /* not scaled in a SYN */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (has_ack && tcp_seq_gt(c->snd_una, c->iss)) {
		c->snd_nxt = c->snd_una;
		c->recover = c->high_rxt = c->snd_una;
		tcp_rtt_handshake_done(&c->rtt, (c->flags & TCP_F_SYN_RTO) != 0);
		c->t_rexmt = 0;
		c->nb_rexmt = 0;
		tcp_timer_update(c);
		tcp_conn_set_state(c, TCP_ESTABLISHED);
		owe_ack(c);
		tcp_deliver_established(c);
		if ((c->flags & TCP_F_REAP) || m == NULL) {
			free_payload(m);
			return;
		}
		/*
		 * Data in the SYN-ACK: queue it like any text (RFC 9293 3.10.7.3),
		 * trimmed to the window our SYN offered.
		 */
		if (seg->payload_len > RTE_MIN(tcp_rcv_space(c), 65535u)) {
			uint32_t wnd = RTE_MIN(tcp_rcv_space(c), 65535u);

			if (wnd == 0) {
				free_payload(m);
				return;
			}
			tcp_mbuf_trim_to(m, wnd);
			seg->payload_len = wnd;
		}
		rcv_data(c, c->rcv_nxt, m, (uint32_t)seg->payload_len);
		return;
	}
	/* Simultaneous open: SYN_RECEIVED, answer with SYN-ACK. */
	free_payload(m);
	tcp_conn_set_state(c, TCP_SYN_RECEIVED);
	(void)tcp_send_syn(c);
}

/* ---- the state machine ----------------------------------------------- */

void tcp_conn_input(struct tcp_conn *c, struct tcp_seg *seg, struct rte_mbuf *m)
{
	struct tcp_stack *st = c->st;
	uint32_t len = (uint32_t)seg->payload_len;
	uint32_t seglen, wnd, seq = seg->seq;
	bool acceptable;

	if (c->flags & TCP_F_REAP) {
		free_payload(m);
		return;
	}
	switch (c->state) {
	case TCP_SYN_SENT:
		syn_sent_input(c, seg, m);
		return;
	case TCP_CLOSED:
	case TCP_LISTEN:
		free_payload(m);
		return;
	default:
		break;
	}

	/* RFC 7323 5.3: PAWS before anything else. */
	if ((c->flags & TCP_F_TS) && seg->opts.has_ts && !(seg->flags & TCP_FLAG_RST) &&
	    tcp_seq_lt(seg->opts.ts_val, c->ts_recent) &&
	    st->now_ms - c->ts_recent_ms < TCP_PAWS_IDLE_MS) {
		tcp_ctr(st, TCP_CTR_PAWS_REJECT, 1);
		owe_oow_ack(c, seg);
		free_payload(m);
		return;
	}

	/* Acceptability (RFC 9293 3.10.7.4, table of four cases). */
	seglen = len + !!(seg->flags & TCP_FLAG_SYN) + !!(seg->flags & TCP_FLAG_FIN);
	wnd = tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (seglen == 0) {
		acceptable = wnd == 0 ? seq == c->rcv_nxt
				      : tcp_seq_geq(seq, c->rcv_nxt) &&
						tcp_seq_lt(seq, c->rcv_nxt + wnd);
	} else {
		acceptable = wnd != 0 && ((tcp_seq_geq(seq, c->rcv_nxt) &&
					   tcp_seq_lt(seq, c->rcv_nxt + wnd)) ||
					  (tcp_seq_geq(seq + seglen - 1, c->rcv_nxt) &&
					   tcp_seq_lt(seq + seglen - 1, c->rcv_nxt + wnd)));
	}
	/* A zero window still takes ACKs, RSTs and the FIN at RCV.NXT (RFC 9293 3.10.7.4). */
	if (!acceptable && wnd == 0 && seq == c->rcv_nxt && len > 0) {
		/* Data into a closed window: keep the control part, drop the text. */
		free_payload(m);
		m = NULL;
		len = 0;
		seg->flags &= (uint8_t)~TCP_FLAG_FIN;
		tcp_ctr(st, TCP_CTR_UNACCEPTABLE, 1);
		owe_ack(c);
		acceptable = true;
	}
	if (!acceptable) {
		tcp_ctr(st, TCP_CTR_UNACCEPTABLE, 1);
		if (!(seg->flags & TCP_FLAG_RST)) {
			owe_oow_ack(c, seg);
			if (c->state == TCP_TIME_WAIT && (seg->flags & TCP_FLAG_FIN)) {
				/* A retransmitted FIN: ACK it, restart 2MSL (RFC 9293 3.10.7.4). */
				c->t_close = st->now_ms + st->conf.time_wait_ms;
				tcp_timer_update(c);
			}
		}
		if (len > 0 && tcp_seq_lt(seq, c->rcv_nxt)) {
			tcp_ctr(st, TCP_CTR_DUP_SEGS, 1);
			c->quickack = RTE_MAX(c->quickack, (uint16_t)1);
			note_dsack(c, seq, tcp_seq_lt(seq + len, c->rcv_nxt) ? seq + len : c->rcv_nxt);
		}
		free_payload(m);
		return;
	}

	/* Trim to the window. */
	if (tcp_seq_lt(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;

		if (seg->flags & TCP_FLAG_SYN) {
			seg->flags &= (uint8_t)~TCP_FLAG_SYN;
			d--;
			seq++;
		}
		if (d > 0 && len > 0) {
			note_dsack(c, seq, seq + RTE_MIN(d, len));
		}
		if (d >= len) {
			free_payload(m);
			m = NULL;
			seq += len;
			len = 0;
		} else if (d > 0) {
			m = tcp_mbuf_trim_front(m, d);
			len -= d;
			seq += d;
		}
		tcp_ctr(st, TCP_CTR_DUP_SEGS, d > 0);
	}
	if (len > 0 && tcp_seq_gt(seq + len, c->rcv_nxt + wnd)) {
		len = c->rcv_nxt + wnd - seq;
		seg->flags &= (uint8_t)~TCP_FLAG_FIN;
		if (len == 0) {
			free_payload(m);
			m = NULL;
		} else {
			tcp_mbuf_trim_to(m, len);
		}
	}

	/* RST (RFC 5961 3.2): exactly RCV.NXT resets; elsewhere in the window, a challenge. */
	if (seg->flags & TCP_FLAG_RST) {
		free_payload(m);
		if (seq != c->rcv_nxt) {
			tcp_ctr(st, TCP_CTR_CHALLENGE_ACKS, 1);
			owe_ack(c);
			return;
		}
		tcp_ctr(st, TCP_CTR_RESETS_IN, 1);
		switch (c->state) {
		case TCP_SYN_RECEIVED:
			tcp_conn_drop(c, (c->flags & TCP_F_PASSIVE) ? -ECONNRESET : -ECONNREFUSED);
			break;
		case TCP_CLOSING:
		case TCP_LAST_ACK:
		case TCP_TIME_WAIT:
			tcp_conn_drop(c, 0);
			break;
		default:
			tcp_conn_drop(c, -ECONNRESET);
			break;
		}
		return;
	}

	/* SYN in a synchronized state (RFC 5961 4.2): challenge ACK. */
	if (seg->flags & TCP_FLAG_SYN) {
		/* (The peer's SYN again, our SYN-ACK lost, is outside the window: above.) */
		tcp_ctr(st, TCP_CTR_CHALLENGE_ACKS, 1);
		owe_ack(c);
		free_payload(m);
		return;
	}

	if (!(seg->flags & TCP_FLAG_ACK)) {
		free_payload(m);
		return;
	}
	c->last_rcv_ms = st->now_ms;
	c->nb_probes = 0;

	/* RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent. */
	if ((c->flags & TCP_F_TS) && seg->opts.has_ts && tcp_seq_leq(seq, c->last_ack_sent) &&
	    tcp_seq_geq(seq + len + !!(seg->flags & TCP_FLAG_FIN), c->last_ack_sent)) {
		c->ts_recent = seg->opts.ts_val;
		c->ts_recent_ms = st->now_ms;
	}

	if (c->state == TCP_SYN_RECEIVED) {
		if (!(tcp_seq_gt(seg->ack, c->snd_una) && tcp_seq_leq(seg->ack, c->snd_max))) {
			rst_for_ack(c, seg->ack);
			free_payload(m);
			return;
		}
		c->snd_una = seg->ack;
		c->snd_nxt = RTE_MAX(c->snd_nxt, c->snd_una);
		c->recover = c->high_rxt = c->snd_una;
		if ((c->flags & TCP_F_RTT_TIMING) && !(c->flags & TCP_F_SYN_RTO)) {
			(void)tcp_rtt_sample(&c->rtt, st->now_us - c->rtt_start_us, 0, 1);
		}
		c->flags &= ~TCP_F_RTT_TIMING;
		tcp_rtt_handshake_done(&c->rtt, (c->flags & TCP_F_SYN_RTO) != 0);
		c->snd_wnd = (uint32_t)seg->window << c->snd_wscale;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seq;
		c->snd_wl2 = seg->ack;
		c->t_rexmt = 0;
		c->nb_rexmt = 0;
		tcp_timer_update(c);
		tcp_conn_set_state(c, TCP_ESTABLISHED);
		tcp_deliver_established(c);
		if (c->flags & TCP_F_REAP) {
			free_payload(m);
			return;
		}
		if (c->flags & TCP_F_FIN_QUEUED) {
			/* Shut down in SYN_RECEIVED (tcp_conn_shutdown): the FIN can go now. */
			c->fin_seq = c->snd_una + c->sndq.bytes;
			tcp_conn_set_state(c, TCP_FIN_WAIT_1);
		}
		tcp_conn_mark(c); /* what the app queued before the handshake can go now */
	}

	if (!ack_input(c, seg)) {
		free_payload(m);
		return;
	}

	/* Text. */
	if (len > 0) {
		switch (c->state) {
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
			if (c->flags & TCP_F_APP_CLOSED) {
				/* Nobody will read it: reset (RFC 9293 3.10.4, as Linux). */
				free_payload(m);
				tcp_send_rst(c);
				tcp_conn_drop(c, -ECONNABORTED);
				return;
			}
			rcv_data(c, seq, m, len);
			m = NULL;
			break;
		default:
			break; /* after the peer's FIN: ignore */
		}
	}
	free_payload(m);

	/* FIN, once everything before it has arrived. */
	if ((seg->flags & TCP_FLAG_FIN) && seq + len == c->rcv_nxt &&
	    !(c->flags & TCP_F_FIN_RCVD)) {
		c->rcv_nxt++;
		c->flags |= TCP_F_FIN_RCVD | TCP_F_READABLE;
		owe_ack(c);
		/* Out-of-order data lies beyond the FIN: it can never be read (Linux drops it too). */
		for (uint32_t i = 0; i < c->nb_ooo; i++) {
			rte_pktmbuf_free(c->ooo[i].m);
		}
		c->nb_ooo = 0;
		c->ooo_bytes = 0;
		switch (c->state) {
		case TCP_SYN_RECEIVED:
		case TCP_ESTABLISHED:
			tcp_conn_set_state(c, TCP_CLOSE_WAIT);
			if (c->flags & TCP_F_APP_CLOSED) {
				tcp_conn_shutdown(c);
			}
			break;
		case TCP_FIN_WAIT_1:
			if (fin_acked(c)) {
				tcp_send_ack(c);
				tcp_enter_time_wait(c);
			} else {
				tcp_conn_set_state(c, TCP_CLOSING);
			}
			break;
		case TCP_FIN_WAIT_2:
			tcp_send_ack(c);
			tcp_enter_time_wait(c);
			break;
		default:
			break;
		}
	} else if ((seg->flags & TCP_FLAG_FIN) && c->state == TCP_TIME_WAIT) {
		owe_ack(c);
		c->t_close = st->now_ms + st->conf.time_wait_ms;
		tcp_timer_update(c);
	}
}
