/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_output.c - building and sending segments: the send loop (window,
 * congestion window, Nagle and sender SWS avoidance), SACK-based recovery
 * sends (RFC 6675 NextSeg), SYN/SYN-ACK, ACKs with SACK blocks, resets and
 * probes, and the IP/TCP headers with software or offloaded checksums.
 *
 * Each segment is a fresh mbuf from the worker's pool: IP header, TCP header
 * and a copy of the payload from the send queue (see docs/decisions.md:
 * copying beats attaching indirect mbufs at these sizes and lets the
 * checksum run over one flat buffer).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "tcp_conn.h"

#define IP4_HDR_LEN 20
#define IP6_HDR_LEN 40

/* Fill the IP header in front of a TCP segment of |l4_len| bytes. */
static void ip_header(uint8_t *ip, uint8_t family, const uint8_t *src, const uint8_t *dst,
		      uint16_t l4_len, bool offload)
{
	if (family == TCP_KEY_V4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->version_ihl = 0x45;
		h->type_of_service = 0;
		h->total_length = rte_cpu_to_be_16((uint16_t)(IP4_HDR_LEN + l4_len));
		h->packet_id = 0; /* DF set: no fragments to tell apart (RFC 6864 4.1) */
		h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		h->time_to_live = 64;
		h->next_proto_id = 6;
		h->hdr_checksum = 0;
		memcpy(&h->src_addr, src, 4);
		memcpy(&h->dst_addr, dst, 4);
		if (!offload) {
			h->hdr_checksum = rte_ipv4_cksum(h);
		}
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16(l4_len);
		h->proto = 6;
		h->hop_limits = 64;
		memcpy(h->src_addr, src, 16);
		memcpy(h->dst_addr, dst, 16);
	}
}

/*
 * Build and emit one segment: header |seg| (options included) from |laddr|
 * to |raddr| on |port_idx|, with |plen| payload bytes that |fill| copies in.
 */
static int emit(struct tcp_stack *st, uint16_t port_idx, uint8_t family, const uint8_t *laddr,
		const uint8_t *raddr, const struct tcp_seg *seg, uint32_t plen,
		void (*fill)(void *arg, uint8_t *dst, uint32_t len), void *arg)
{
	const struct tcp_stack_port *port = &st->ports[port_idx];
	uint16_t l3 = family == TCP_KEY_V4 ? IP4_HDR_LEN : IP6_HDR_LEN;
	size_t hlen = tcp_build_len(&seg->opts);
	struct rte_mbuf *m;
	uint8_t *p, *tcp;
	bool offload = port->tx_csum && family == TCP_KEY_V4;
	int n;

	m = rte_pktmbuf_alloc(st->env.pool);
	if (m == NULL) {
		tcp_ctr(st, TCP_CTR_NO_MBUF, 1);
		return -ENOBUFS;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l3 + hlen + plen));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		tcp_ctr(st, TCP_CTR_NO_MBUF, 1);
		return -ENOSPC;
	}
	tcp = p + l3;
	n = tcp_build(seg, tcp, hlen);
	if (n < 0) {
		rte_pktmbuf_free(m);
		return n;
	}
	if (plen > 0) {
		fill(arg, tcp + hlen, plen);
	}
	ip_header(p, family, laddr, raddr, (uint16_t)(hlen + plen), offload);
	m->l3_len = l3;
	m->l4_len = (uint8_t)hlen;
	if (offload) {
		uint32_t s, d;

		memcpy(&s, laddr, 4);
		memcpy(&d, raddr, 4);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
		tcp_csum4_offload(tcp, hlen + plen, s, d);
	} else if (family == TCP_KEY_V4) {
		uint32_t s, d;

		memcpy(&s, laddr, 4);
		memcpy(&d, raddr, 4);
		tcp_csum4_fill(tcp, hlen, tcp + hlen, plen, s, d);
	} else {
		tcp_csum6_fill(tcp, hlen, tcp + hlen, plen, laddr, raddr);
	}
	tcp_ctr(st, TCP_CTR_SEG_OUT, 1);
	st->env.emit(st->env.arg, m, port_idx, family, raddr);
	return 0;
}

void tcp_send_raw(struct tcp_stack *st, uint16_t port_idx, uint8_t family, const uint8_t *laddr,
		  const uint8_t *raddr, const struct tcp_seg *seg)
{
	if (port_idx < TCP_STACK_PORTS_MAX && st->ports[port_idx].used) {
		(void)emit(st, port_idx, family, laddr, raddr, seg, 0, NULL, NULL);
	}
}

static const uint8_t *conn_laddr(const struct tcp_conn *c)
{
	return c->family == TCP_KEY_V4 ? c->key.laddr + 12 : c->key.laddr;
}

static const uint8_t *conn_raddr(const struct tcp_conn *c)
{
	return c->family == TCP_KEY_V4 ? c->key.raddr + 12 : c->key.raddr;
}

/*
 * The window to advertise, as the 16-bit field. rcv_edge is the right edge
 * we mean to offer: it never moves left (RFC 9293 3.8.6.2.2 "the window
 * should not shrink") and moves right only by at least min(rcvbuf/2, RMSS)
 * (receiver SWS avoidance), to RCV.NXT + free space exactly. A scaled field
 * is rounded up, so the edge on the wire may lie up to 2^rcv_wscale - 1
 * octets beyond rcv_edge; rcv_adv is the highest edge any segment announced
 * (what the peer may fill). The next rounding starts from rcv_edge again, not
 * from rcv_adv, so the rounding never accumulates beyond the buffer; the
 * wire edge may then retract by less than 2^rcv_wscale (RFC 7323 2.4 allows
 * for it), while everything up to rcv_adv is still taken.
 */
static uint16_t rcv_window(struct tcp_conn *c, bool syn)
{
	uint32_t space = tcp_rcv_space(c);
	uint32_t right = c->rcv_nxt + space;
	uint32_t step = RTE_MIN(c->st->conf.rcvbuf / 2, (uint32_t)c->rmss);
	uint32_t win, field;

	if (syn) {
		win = RTE_MIN(space, 65535u);
		/* A SYN-ACK sent again does not take back what an earlier one offered. */
		if (tcp_seq_gt(c->rcv_adv, c->rcv_nxt + win)) {
			win = RTE_MIN(c->rcv_adv - c->rcv_nxt, 65535u);
		}
		c->rcv_adv = c->rcv_edge = c->rcv_nxt + win;
		return (uint16_t)win;
	}
	if (tcp_seq_lt(c->rcv_edge, c->rcv_nxt)) {
		c->rcv_edge = c->rcv_nxt;
	}
	if (tcp_seq_gt(right, c->rcv_edge) &&
	    (right - c->rcv_edge >= step || c->rcv_edge == c->rcv_nxt)) {
		c->rcv_edge = right;
	}
	win = c->rcv_edge - c->rcv_nxt;
	field = (win + (1u << c->rcv_wscale) - 1) >> c->rcv_wscale;
	if (field > 65535) {
		field = 65535;
	}
	if (tcp_seq_lt(c->rcv_adv, c->rcv_nxt) ||
	    tcp_seq_gt(c->rcv_nxt + (field << c->rcv_wscale), c->rcv_adv)) {
		c->rcv_adv = c->rcv_nxt + (field << c->rcv_wscale);
	}
	return (uint16_t)field;
}

/* SACK blocks for an ACK (RFC 2018 4) from the out-of-order queue. */
static unsigned int sack_blocks(const struct tcp_conn *c, struct tcp_sack_block *out,
				unsigned int max)
{
	struct tcp_sack_block r[TCP_OOO_MAX];
	unsigned int n = 0;

	for (uint32_t i = 0; i < c->nb_ooo; i++) {
		uint32_t l = c->ooo[i].seq, e = l + c->ooo[i].len;

		if (n > 0 && r[n - 1].right == l) {
			r[n - 1].right = e; /* adjacent segments are one range */
		} else {
			r[n].left = l;
			r[n].right = e;
			n++;
		}
	}
	return tcp_sack_rcv_blocks(&c->sr, r, n, out, max);
}

/* Header fields common to every segment of |c|. */
static void seg_init(struct tcp_conn *c, struct tcp_seg *s, uint32_t seq, uint8_t flags)
{
	memset(s, 0, sizeof(*s));
	s->sport = c->key.lport;
	s->dport = c->key.rport;
	s->seq = seq;
	s->flags = flags;
	if (flags & TCP_FLAG_ACK) {
		s->ack = c->rcv_nxt;
	}
	if (c->flags & TCP_F_TS) {
		s->opts.has_ts = true;
		s->opts.ts_val = tcp_ts_now(c);
		s->opts.ts_ecr = c->ts_recent;
	}
	if ((c->flags & TCP_F_SACK) && (c->nb_ooo > 0 || (c->flags & TCP_F_DSACK)) &&
	    !(flags & TCP_FLAG_SYN)) {
		struct tcp_sack_block b[TCP_SACK_MAX_BLOCKS];
		unsigned int max, n = 0;

		s->opts.nb_sack = TCP_SACK_MAX_BLOCKS;
		max = tcp_build_nb_sack(&s->opts);
		if ((c->flags & TCP_F_DSACK) && max > 0) {
			/* RFC 2883: the duplicate first, once; then the usual blocks. */
			c->flags &= ~TCP_F_DSACK;
			s->opts.sack[n].left = c->dsack_left;
			s->opts.sack[n].right = c->dsack_right;
			n++;
		}
		if (max > n) {
			unsigned int k = sack_blocks(c, b, max - n);

			memcpy(&s->opts.sack[n], b, k * sizeof(b[0]));
			n += k;
		}
		s->opts.nb_sack = (uint8_t)n;
	}
	s->window = rcv_window(c, (flags & TCP_FLAG_SYN) != 0);
}

/* An ACK went out: no ACK is owed any more. */
static void acked_now(struct tcp_conn *c)
{
	c->flags &= ~TCP_F_ACK_NOW;
	c->t_dack = 0;
	c->unacked_segs = 0;
	c->last_ack_sent = c->rcv_nxt;
}

struct fill_arg {
	struct tcp_conn *c;
	uint32_t seq;
};

/* Copy |len| bytes of the send queue at sequence |fa->seq| to |dst|, moving the cursor. */
static void fill_sndq(void *arg, uint8_t *dst, uint32_t len)
{
	struct fill_arg *fa = arg;
	struct tcp_conn *c = fa->c;
	struct rte_mbuf *m;
	uint32_t off, skip;

	if ((c->flags & TCP_F_CUR_VALID) && tcp_seq_geq(fa->seq, c->cur_seq)) {
		m = c->cur_m;
		off = c->cur_off;
		skip = fa->seq - c->cur_seq;
	} else {
		m = c->sndq.head;
		off = c->sndq.off;
		skip = fa->seq - c->snd_una;
	}
	while (skip > 0 && m != NULL) {
		uint32_t have = m->data_len - off;

		if (skip < have) {
			off += skip;
			skip = 0;
			break;
		}
		skip -= have;
		m = m->next;
		off = 0;
	}
	while (len > 0 && m != NULL) {
		uint32_t have = m->data_len - off;
		uint32_t n = RTE_MIN(have, len);

		memcpy(dst, rte_pktmbuf_mtod_offset(m, uint8_t *, off), n);
		dst += n;
		len -= n;
		off += n;
		fa->seq += n;
		if (off == m->data_len && m->next != NULL) {
			m = m->next;
			off = 0;
		}
	}
	if (m != NULL) {
		c->cur_m = m;
		c->cur_off = off;
		c->cur_seq = fa->seq;
		c->flags |= TCP_F_CUR_VALID;
	}
}

/* Send [seq, seq + len) of the queue with |flags| (ACK always, FIN maybe). */
static int xmit_data(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags, bool rexmt)
{
	struct tcp_stack *st = c->st;
	struct fill_arg fa = {.c = c, .seq = seq};
	struct tcp_seg s;
	int rc;

	seg_init(c, &s, seq, (uint8_t)(TCP_FLAG_ACK | flags | (len > 0 ? TCP_FLAG_PSH : 0)));
	rc = emit(st, c->port_idx, c->family, conn_laddr(c), conn_raddr(c), &s, len, fill_sndq,
		  &fa);
	if (rc != 0) {
		/* No mbuf: the retransmission timer brings the connection back. */
		if (c->t_rexmt == 0) {
			tcp_rexmt_arm(c);
		}
		return rc;
	}
	acked_now(c);
	tcp_cc_on_send(&c->cc, (uint32_t)tcp_rtt_rto(&c->rtt), st->now_us);
	tcp_ctr(st, TCP_CTR_BYTES_OUT, len);
	if (rexmt) {
		tcp_ctr(st, TCP_CTR_RETRANS, 1);
		c->retrans++;
		/* Karn: a timed segment that is resent gives no sample. */
		if ((c->flags & TCP_F_RTT_TIMING) && tcp_seq_geq(c->rtt_seq, seq) &&
		    tcp_seq_lt(c->rtt_seq, seq + len + 1)) {
			c->flags &= ~TCP_F_RTT_TIMING;
		}
	} else if (!(c->flags & TCP_F_RTT_TIMING) && len > 0) {
		c->flags |= TCP_F_RTT_TIMING;
		c->rtt_seq = seq;
		c->rtt_start_us = st->now_us;
	}
	if (c->t_rexmt == 0) {
		tcp_rexmt_arm(c);
	}
	return 0;
}

int tcp_send_syn(struct tcp_conn *c)
{
	struct tcp_seg s;
	uint8_t flags = TCP_FLAG_SYN;
	int rc;

	if (c->state == TCP_SYN_RECEIVED) {
		flags |= TCP_FLAG_ACK;
	}
	memset(&s, 0, sizeof(s));
	s.sport = c->key.lport;
	s.dport = c->key.rport;
	s.seq = c->iss;
	s.flags = flags;
	s.ack = (flags & TCP_FLAG_ACK) ? c->rcv_nxt : 0;
	s.opts.has_mss = true;
	s.opts.mss = c->rmss;
	struct tcp_stack_conf *cf = &c->st->conf;

	if ((c->state == TCP_SYN_SENT && cf->wscale) || (c->flags & TCP_F_WSCALE)) {
		s.opts.has_wscale = true;
		s.opts.wscale = c->st->rcv_wscale;
	}
	if ((c->state == TCP_SYN_SENT && cf->sack) || (c->flags & TCP_F_SACK)) {
		s.opts.sack_permitted = true;
	}
	if ((c->state == TCP_SYN_SENT && cf->timestamps) || (c->flags & TCP_F_TS)) {
		s.opts.has_ts = true;
		s.opts.ts_val = tcp_ts_now(c);
		s.opts.ts_ecr = (flags & TCP_FLAG_ACK) ? c->ts_recent : 0;
	}
	s.window = rcv_window(c, true);
	rc = emit(c->st, c->port_idx, c->family, conn_laddr(c), conn_raddr(c), &s, 0, NULL, NULL);
	if (c->snd_max == c->iss) {
		c->snd_nxt = c->snd_max = c->iss + 1;
		c->rtt_start_us = c->st->now_us;
		c->rtt_seq = c->iss;
		c->flags |= TCP_F_RTT_TIMING;
	}
	if (flags & TCP_FLAG_ACK) {
		acked_now(c);
	}
	if (c->t_rexmt == 0) {
		tcp_rexmt_arm(c);
	}
	return rc;
}

void tcp_send_ack(struct tcp_conn *c)
{
	struct tcp_seg s;

	seg_init(c, &s, c->snd_nxt, TCP_FLAG_ACK);
	if (emit(c->st, c->port_idx, c->family, conn_laddr(c), conn_raddr(c), &s, 0, NULL, NULL) ==
	    0) {
		acked_now(c);
	}
}

void tcp_send_rst(struct tcp_conn *c)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.sport = c->key.lport;
	s.dport = c->key.rport;
	s.seq = c->snd_max;
	s.ack = c->rcv_nxt;
	s.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	tcp_ctr(c->st, TCP_CTR_RESETS_OUT, 1);
	(void)emit(c->st, c->port_idx, c->family, conn_laddr(c), conn_raddr(c), &s, 0, NULL, NULL);
}

void tcp_send_probe(struct tcp_conn *c)
{
	struct tcp_seg s;

	seg_init(c, &s, c->snd_una - 1, TCP_FLAG_ACK);
	(void)emit(c->st, c->port_idx, c->family, conn_laddr(c), conn_raddr(c), &s, 0, NULL, NULL);
}

/* One past the last data byte queued. */
static inline uint32_t data_end(const struct tcp_conn *c)
{
	return c->snd_una + c->sndq.bytes;
}

/* FIN flag for a segment ending at |end|, when the FIN is due there. */
static inline uint8_t fin_at(const struct tcp_conn *c, uint32_t end)
{
	return (c->flags & TCP_F_FIN_QUEUED) && end == c->fin_seq ? TCP_FLAG_FIN : 0;
}

void tcp_retransmit_head(struct tcp_conn *c)
{
	uint32_t end = data_end(c);
	uint32_t len = RTE_MIN((uint32_t)c->smss, end - c->snd_una);
	uint8_t fin = fin_at(c, c->snd_una + len);

	if (tcp_seq_geq(c->snd_una, c->snd_max)) {
		return;
	}
	if (len == 0 && !fin) {
		return;
	}
	(void)xmit_data(c, c->snd_una, len, fin, true);
	if (tcp_seq_lt(c->high_rxt, c->snd_una + len)) {
		c->high_rxt = c->snd_una + len + (fin ? 1 : 0);
	}
}

void tcp_send_loss_probe(struct tcp_conn *c)
{
	uint32_t end = data_end(c);
	uint32_t wnd_end = c->snd_una + c->snd_wnd;
	uint32_t seq, left, right;
	struct tcp_sack_block h;
	bool rxt = false;
	uint8_t fin;

	if (!tcp_tlp_eligible(c)) {
		return;
	}
	if (tcp_seq_lt(c->snd_max, end) && tcp_seq_lt(c->snd_max, wnd_end)) {
		/* New data where the peer's window has room: it probes and makes progress. */
		uint32_t len = RTE_MIN((uint32_t)c->smss, end - c->snd_max);

		len = RTE_MIN(len, wnd_end - c->snd_max);
		seq = c->snd_max;
		fin = fin_at(c, seq + len);
		if (xmit_data(c, seq, len, fin, false) != 0) {
			return;
		}
		c->snd_max += len + (fin ? 1 : 0);
		c->snd_nxt = c->snd_max;
	} else {
		/*
		 * Else the last segment again. RFC 8985 takes the last one sent;
		 * this takes the last one not SACKed, which is the same unless
		 * the tail arrived (then resending it would only draw a D-SACK).
		 */
		if (!tcp_sack_board_last_hole(&c->sb, c->snd_una, c->snd_max, &h)) {
			return;
		}
		right = h.right;
		fin = 0;
		if (tcp_seq_gt(right, end)) {
			fin = fin_at(c, end);
			right = end;
		}
		left = right - h.left > c->smss ? right - c->smss : h.left;
		if (tcp_seq_lt(right, left)) {
			left = right; /* the hole is the FIN alone */
		}
		if (xmit_data(c, left, right - left, fin, true) != 0) {
			return;
		}
		seq = left;
		rxt = true;
	}
	c->tlp_seq = seq;
	c->tlp_end = c->snd_max;
	c->flags |= TCP_F_TLP | (rxt ? TCP_F_TLP_RXT : 0);
	tcp_ctr(c->st, TCP_CTR_TLP, 1);
	tcp_rexmt_arm(c); /* RFC 8985 7.3: the RTO restarts after the probe */
}

/* RFC 6675 4: sends while cwnd - pipe >= 1 SMSS. */
static void output_sack_recovery(struct tcp_conn *c)
{
	uint32_t smss = c->smss;

	for (int i = 0; i < TCP_OUTPUT_BURST; i++) {
		uint32_t pipe = tcp_sack_board_pipe(&c->sb, c->snd_una, c->snd_max, c->high_rxt, smss);
		uint32_t cwnd = tcp_cc_cwnd(&c->cc);
		uint32_t end = data_end(c);
		uint32_t wnd_end = c->snd_una + c->snd_wnd;
		struct tcp_sack_block b;
		unsigned int flags = 0;
		enum tcp_sack_next r;
		uint32_t len;

		if (pipe >= cwnd || cwnd - pipe < smss) {
			break;
		}
		if (tcp_seq_lt(c->snd_max, end) && tcp_seq_lt(c->snd_max, wnd_end)) {
			flags |= TCP_SACK_NEXT_F_NEW;
		}
		if (!(c->flags & TCP_F_RESCUE) || tcp_seq_lt(c->rescue_rxt, c->snd_una)) {
			flags |= TCP_SACK_NEXT_F_RESCUE;
		}
		r = tcp_sack_board_next_seg(&c->sb, c->snd_una, c->snd_max, c->high_rxt, smss, flags,
					    &b);
		switch (r) {
		case TCP_SACK_NEXT_NONE:
			return;
		case TCP_SACK_NEXT_NEW:
			len = RTE_MIN(smss, end - c->snd_max);
			len = RTE_MIN(len, wnd_end - c->snd_max);
			{
				uint8_t fin = fin_at(c, c->snd_max + len);

				if (xmit_data(c, c->snd_max, len, fin, false) != 0) {
					return;
				}
				c->snd_max += len + (fin ? 1 : 0);
				c->snd_nxt = c->snd_max;
			}
			break;
		case TCP_SACK_NEXT_LOST:
		case TCP_SACK_NEXT_HOLE:
		case TCP_SACK_NEXT_RESCUE: {
			uint32_t right = b.right;
			uint8_t fin = 0;

			if (r == TCP_SACK_NEXT_RESCUE && tcp_seq_leq(right, c->high_rxt)) {
				/*
				 * The highest unSACKed octet was resent in this
				 * recovery already (the head, at its start): no
				 * rescue, which would send the same segment twice.
				 */
				return;
			}
			if (tcp_seq_gt(right, end)) {
				/* The hole reaches the FIN's sequence number. */
				fin = fin_at(c, end);
				right = end;
			}
			len = right - b.left;
			if (xmit_data(c, b.left, len, fin, true) != 0) {
				return;
			}
			if (r == TCP_SACK_NEXT_RESCUE) {
				c->rescue_rxt = c->recover;
				c->flags |= TCP_F_RESCUE;
			} else {
				c->high_rxt = b.right;
			}
			break;
		}
		}
	}
}

/* The usual send loop: new data (or go-back-N after an RTO) within both windows. */
static void output_normal(struct tcp_conn *c)
{
	uint32_t smss = c->smss;

	for (int i = 0; i < TCP_OUTPUT_BURST; i++) {
		uint32_t end = data_end(c);
		uint32_t nxt = c->snd_nxt;
		uint32_t avail = tcp_seq_lt(nxt, end) ? end - nxt : 0;
		uint32_t cwnd = tcp_cc_cwnd(&c->cc);
		uint32_t wnd, in_flight = nxt - c->snd_una;

		/*
		 * RFC 3042 limited transmit: a new segment for each of the first two
		 * duplicate ACKs, so a small window still draws the three that
		 * start fast recovery.
		 */
		if (c->dupacks > 0 && c->dupacks < TCP_SACK_DUPTHRESH &&
		    !(c->flags & TCP_F_IN_RECOVERY) && nxt == c->snd_max) {
			cwnd += c->dupacks * smss;
		}
		wnd = RTE_MIN(c->snd_wnd, cwnd);
		uint32_t usable = wnd > in_flight ? wnd - in_flight : 0;
		uint32_t len = avail < smss ? avail : smss;
		uint8_t fin;

		if (len > usable) {
			len = usable;
		}
		/* The FIN is due once the data before it is all in this segment. */
		fin = tcp_seq_leq(nxt, c->fin_seq) ? fin_at(c, nxt + len) : 0;
		if (len == 0 && !fin) {
			break;
		}
		if (len < smss && len < avail) {
			/* Window-limited runt: sender SWS avoidance (RFC 9293 3.8.6.2.1). */
			if (len == 0 || (usable < c->max_snd_wnd / 2 && in_flight > 0)) {
				break;
			}
		} else if (len < smss && !fin && !(c->flags & TCP_F_NODELAY) && in_flight > 0 &&
			   tcp_seq_geq(nxt, c->snd_max)) {
			break; /* Nagle (RFC 9293 3.7.4) */
		}
		if (xmit_data(c, nxt, len, fin, tcp_seq_lt(nxt, c->snd_max)) != 0) {
			break;
		}
		c->snd_nxt = nxt + len + (fin ? 1 : 0);
		if (tcp_seq_gt(c->snd_nxt, c->snd_max)) {
			c->snd_max = c->snd_nxt;
		}
	}
}

void tcp_output(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		break;
	case TCP_FIN_WAIT_2:
	case TCP_TIME_WAIT:
		if (c->flags & TCP_F_ACK_NOW) {
			tcp_send_ack(c);
		}
		return;
	case TCP_SYN_RECEIVED:
		/*
		 * An ACK owed before the handshake completes (the peer's SYN again,
		 * a segment outside the window): our SYN is not acknowledged yet, so
		 * the answer is the SYN-ACK again, as Linux does, not a bare ACK the
		 * peer in SYN_SENT would reset.
		 */
		if (c->flags & TCP_F_ACK_NOW) {
			(void)tcp_send_syn(c);
			c->flags &= ~TCP_F_RTT_TIMING; /* Karn: which SYN-ACK an ACK answers is unknown */
		}
		return;
	default:
		return;
	}
	uint32_t old_max = c->snd_max;

	if ((c->flags & TCP_F_IN_RECOVERY) && (c->flags & TCP_F_SACK)) {
		output_sack_recovery(c);
	} else {
		output_normal(c);
	}
	if (c->snd_max != old_max) {
		tcp_tlp_arm(c); /* RFC 8985 7.2: new data sent, the probe timeout restarts */
	}
	/* Zero window with data waiting and nothing in flight: probe (RFC 9293 3.8.6.1). */
	if (c->snd_una == c->snd_max && tcp_seq_lt(c->snd_nxt, data_end(c)) && c->snd_wnd == 0) {
		if (c->t_persist == 0) {
			uint64_t rto_ms = (tcp_rtt_rto(&c->rtt) + 999) / 1000;

			c->flags |= TCP_F_PERSIST;
			c->t_persist = st->now_ms + RTE_MIN(rto_ms, (uint64_t)st->conf.persist_max_ms);
			tcp_timer_update(c);
		}
	}
	if (c->flags & TCP_F_ACK_NOW) {
		tcp_send_ack(c);
	}
}
