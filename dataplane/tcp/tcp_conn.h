/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_conn.h - the inside of the TCP stack: struct tcp_conn, struct
 * tcp_stack and the functions tcp_input.c, tcp_output.c, tcp_timer.c and
 * tcp_stack.c share. Not an API: the layers above use tcp_stack.h. Unit
 * tests include it to look at sequence variables.
 *
 * Sequence variables follow RFC 9293 3.3.1; snd_max is the highest sequence
 * number sent (SND.NXT is pulled back to SND.UNA after an RTO and walks up
 * again, go-back-N). Windows are in bytes, already scaled.
 *
 * Buffers. A struct tcp_mq is a queue of mbuf segments linked through
 * ->next (one list across all queued packets; the head's nb_segs/pkt_len are
 * fixed up only when a chain is handed out).
 *   - sndq holds every byte from SND.UNA on (the first |off| bytes of its
 *     head already acknowledged), unsent bytes included; a cursor remembers
 *     where SND.NXT lies so sending walks the queue once.
 *   - rcvq holds in-order bytes the application has not taken.
 *   - ooo holds out-of-order segments above RCV.NXT, sorted and disjoint.
 */
#ifndef SB_TCP_CONN_H
#define SB_TCP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "../util/twheel.h"
#include "tcp_cc.h"
#include "tcp_rtt.h"
#include "tcp_sack.h"
#include "tcp_stack.h"
#include "tcp_syncookie.h"
#include "tcp_table.h"
#include "tcp_wire.h"

struct rte_mbuf;

/* Out-of-order segments a connection keeps (more are dropped; the peer resends). */
#define TCP_OOO_MAX 64
/* Segments (mbufs) rcvq may hold; a chain handed out must fit nb_segs. */
#define TCP_RCVQ_SEGS_MAX 4096
/* Our window scale: 2^7 * 65535 = 8 MiB, enough for rcvbuf up to 16 MiB with rounding. */
#define TCP_RCV_WSCALE_MAX 14
/* Segments sent in one go per connection per flush, so one flow cannot hog a burst. */
#define TCP_OUTPUT_BURST 64
/* Quick-ACK segments at the start of a connection (ACK every segment, as Linux). */
#define TCP_QUICKACK_SEGS 16
/* Timer wheel slots (ms ticks): 4096 ms per turn. */
#define TCP_WHEEL_SLOTS 4096
/* RFC 7323 5.5: timestamps idle for 24 days make TS.Recent invalid. */
#define TCP_PAWS_IDLE_MS (24ull * 24 * 3600 * 1000)

/* Connection flags. */
#define TCP_F_TS	  (1u << 0)  /* timestamps negotiated */
#define TCP_F_SACK	  (1u << 1)  /* SACK permitted both ways */
#define TCP_F_WSCALE	  (1u << 2)  /* window scaling negotiated */
#define TCP_F_NODELAY	  (1u << 3)  /* Nagle off */
#define TCP_F_ACK_NOW	  (1u << 4)  /* send an ACK at the next flush */
#define TCP_F_FIN_QUEUED  (1u << 5)  /* the app shut down: FIN after sndq */
#define TCP_F_FIN_RCVD	  (1u << 6)  /* the peer's FIN was taken (RCV.NXT counts it) */
#define TCP_F_DIRTY	  (1u << 7)  /* on the stack's flush list */
#define TCP_F_APP_CLOSED  (1u << 8)  /* tcp_conn_close: no more callbacks but |closed| */
#define TCP_F_PASSIVE	  (1u << 9)  /* made by a listener */
#define TCP_F_WANT_WRITE  (1u << 10) /* the app hit a full sndq: call |writable| */
#define TCP_F_RTT_TIMING  (1u << 11) /* rtt_seq is being timed */
#define TCP_F_SYN_RTO	  (1u << 12) /* the SYN (or SYN-ACK) timed out at least once */
#define TCP_F_RESCUE	  (1u << 13) /* rescue_rxt is valid in this recovery */
#define TCP_F_KEEPALIVE	  (1u << 14)
#define TCP_F_REAP	  (1u << 15) /* freed at the end of the flush */
#define TCP_F_IN_RECOVERY (1u << 16) /* fast recovery (SACK or NewReno) */
#define TCP_F_CUR_VALID	  (1u << 17) /* sndq cursor usable */
#define TCP_F_APP_HELD	  (1u << 18) /* the app holds the handle: |closed| is owed */
#define TCP_F_READABLE	  (1u << 19) /* call |readable| at the next flush */
#define TCP_F_PERSIST	  (1u << 20) /* in persist (zero window) mode */
#define TCP_F_TLP	  (1u << 21) /* a tail loss probe is outstanding (tlp_seq, tlp_end) */
#define TCP_F_TLP_RXT	  (1u << 22) /* ... and it was a retransmission */
#define TCP_F_DSACK	  (1u << 23) /* report dsack_left..right in the next segment (RFC 2883) */

struct tcp_mq {
	struct rte_mbuf *head;
	struct rte_mbuf *tail; /* last segment */
	uint32_t bytes;	       /* bytes queued (excluding |off|) */
	uint32_t nb;	       /* segments */
	uint32_t off;	       /* bytes of head already consumed (sndq: acknowledged) */
};

struct tcp_ooo {
	uint32_t seq;
	uint32_t len;
	struct rte_mbuf *m; /* exactly len bytes */
};

struct tcp_conn {
	/* Hot: input and output. */
	uint8_t state; /* enum tcp_state */
	uint8_t family;
	uint16_t port_idx;
	uint32_t flags;
	uint32_t idx; /* index in the pool */

	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;
	uint32_t snd_wnd; /* bytes, scaled */
	uint32_t snd_wl1;
	uint32_t snd_wl2;
	uint32_t max_snd_wnd;
	uint32_t iss;
	uint32_t fin_seq; /* sequence number of our FIN, when FIN_QUEUED */

	uint32_t rcv_nxt;
	uint32_t rcv_adv; /* right edge of the window last advertised */
	uint32_t irs;
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	uint16_t smss;	   /* payload bytes per segment we send (after TS option) */
	uint16_t rmss;	   /* what we announced */
	uint16_t peer_mss; /* what the peer announced */
	uint16_t quickack; /* segments still acknowledged at once */
	uint16_t unacked_segs; /* received full segments not yet ACKed */

	uint32_t ts_recent;
	uint32_t ts_off;	  /* our per-connection timestamp offset (RFC 7323 5.4) */
	uint64_t ts_recent_ms;	  /* when ts_recent was taken */
	uint32_t last_ack_sent;	  /* RCV.NXT at our last ACK (RFC 7323 4.3) */

	/* Loss recovery. */
	uint32_t dupacks;
	uint32_t recover;  /* RFC 6582 recover / RFC 6675 RecoveryPoint */
	uint32_t high_rxt; /* RFC 6675 HighRxt + 1 */
	uint32_t rescue_rxt;
	uint32_t rtt_seq;  /* segment being timed (Karn: never a retransmission) */
	uint64_t rtt_start_us;

	struct tcp_mq sndq;
	struct tcp_mq rcvq;
	/* sndq cursor: segment |cur_m|, |cur_off| bytes in, is sequence |cur_seq|. */
	struct rte_mbuf *cur_m;
	uint32_t cur_off;
	uint32_t cur_seq;

	/* Timers, absolute ms of the stack clock; 0 = off. One wheel timer at their minimum. */
	struct twheel_timer tm;
	uint64_t t_rexmt;
	uint64_t t_dack;
	uint64_t t_persist;
	uint64_t t_keep;
	uint64_t t_close; /* TIME_WAIT end, FIN_WAIT_2 timeout */
	uint64_t t_tlp;	  /* tail loss probe (RFC 8985 7.2), before t_rexmt */
	uint32_t tlp_seq; /* the probe's first octet */
	uint32_t tlp_end; /* SND.MAX once it was sent */
	uint32_t nb_probes; /* keepalive probes unanswered */
	uint32_t persist_backoff; /* zero-window probes since the window closed */
	uint32_t nb_rexmt;  /* SYN retransmissions */
	uint64_t last_rcv_ms;
	uint32_t keep_idle_ms, keep_intvl_ms, keep_cnt;

	/* Links. */
	struct tcp_conn *dirty_next; /* flush list */
	struct tcp_conn *tw_prev, *tw_next; /* TIME_WAIT list, oldest first */
	uint32_t listen_idx;	     /* listener (passive), TCP_CONN_NONE otherwise */

	const struct tcp_app_ops *ops;
	void *user;
	struct tcp_stack *st;
	int close_err;
	uint64_t retrans;

	struct tcp_key key;
	struct tcp_cc cc;
	struct tcp_rtt rtt;
	struct tcp_sack_board sb;
	struct tcp_sack_rcv sr;
	uint32_t dsack_left, dsack_right; /* a duplicate received, for D-SACK */
	uint32_t rcv_edge; /* the right edge we offer, exact (rcv_window in tcp_output.c) */
	uint64_t oow_ack_ms; /* last answer to an out-of-window pure ACK (storm limit) */
	uint32_t nb_ooo;
	uint32_t ooo_bytes;
	struct tcp_ooo ooo[TCP_OOO_MAX];
} __rte_cache_aligned;

struct tcp_listener {
	bool used;
	uint8_t family;
	uint16_t port;
	uint8_t addr[16];
	uint32_t nb_syn; /* connections in SYN_RECEIVED */
	const struct tcp_app_ops *ops;
	void *arg;
};

struct tcp_stack {
	struct tcp_stack_conf conf;
	struct tcp_stack_env env;
	struct tcp_table *tbl;
	struct tcp_conn *conns;
	uint32_t *free_idx; /* stack of free pool indexes */
	uint32_t nb_free;
	uint64_t now_us;
	uint64_t now_ms;
	struct twheel wheel;
	struct twheel_timer *slots;
	struct tcp_conn *dirty; /* flush list, LIFO */
	struct tcp_conn *tw_head, *tw_tail;
	uint32_t nb_tw;
	uint8_t rcv_wscale; /* what we announce: enough for rcvbuf */
	bool flushing;
	bool syncookie_ok;
	uint32_t port_rr; /* ephemeral port search start */
	struct tcp_syncookie_ctx sc;
	struct tcp_listener listeners[TCP_LISTEN_MAX];
	struct tcp_stack_port ports[TCP_STACK_PORTS_MAX];
	struct tcp_stack_stats stats;
};

static inline void tcp_ctr(struct tcp_stack *st, enum tcp_ctr c, uint64_t n)
{
	st->stats.ctr[c] += n;
}

/* Timestamp clock (ms) of |c|. */
static inline uint32_t tcp_ts_now(const struct tcp_conn *c)
{
	return (uint32_t)c->st->now_ms + c->ts_off;
}

/* Bytes the receive window offers now (before scaling and SWS rules). */
uint32_t tcp_rcv_space(const struct tcp_conn *c);

/* ---- tcp_stack.c ---- */
void tcp_conn_mark(struct tcp_conn *c);			/* put on the flush list */
void tcp_conn_set_state(struct tcp_conn *c, enum tcp_state s);
/* tcp_conn_drop ends |c| now with |err| (callback, table removal, reap at flush). */
void tcp_conn_drop(struct tcp_conn *c, int err);
struct tcp_conn *tcp_conn_alloc(struct tcp_stack *st, const struct tcp_key *k);
void tcp_conn_setup_cc(struct tcp_conn *c);
void tcp_enter_time_wait(struct tcp_conn *c);
void tcp_deliver_established(struct tcp_conn *c); /* accept or connected callback */

/* ---- tcp_timer.c ---- */
void tcp_timer_update(struct tcp_conn *c); /* rearm the wheel timer at the earliest t_* */
void tcp_timer_fire(struct twheel_timer *t, void *arg);
void tcp_rexmt_arm(struct tcp_conn *c);	   /* (re)start the RTO (and the loss probe) from now */
void tcp_tlp_arm(struct tcp_conn *c);	   /* schedule the tail loss probe if one is due */

/* ---- tcp_output.c ---- */
/* tcp_output sends what |c| may send now: data, FIN, ACK. */
void tcp_output(struct tcp_conn *c);
/* tcp_send_syn sends the SYN or SYN-ACK of |c| (state decides). */
int tcp_send_syn(struct tcp_conn *c);
/* tcp_send_ack sends a pure ACK now. */
void tcp_send_ack(struct tcp_conn *c);
/* tcp_send_rst sends <SEQ=snd_nxt><CTL=RST,ACK> on |c|. */
void tcp_send_rst(struct tcp_conn *c);
/* tcp_send_probe sends <SEQ=SND.UNA-1><CTL=ACK> (keepalive, zero-window probe). */
void tcp_send_probe(struct tcp_conn *c);
/* tcp_retransmit_head resends the first unacknowledged segment. */
void tcp_retransmit_head(struct tcp_conn *c);
/* tcp_send_loss_probe sends the tail loss probe of RFC 8985 7.3 (t_tlp expired). */
void tcp_send_loss_probe(struct tcp_conn *c);
/* tcp_tlp_eligible: a probe may be scheduled or sent now (RFC 8985 7.2 conditions). */
bool tcp_tlp_eligible(const struct tcp_conn *c);
/*
 * tcp_send_raw emits a segment with no connection: RST or SYN-ACK (cookie)
 * from |laddr|:|lport| to |raddr|:|rport| on |port_idx|.
 */
void tcp_send_raw(struct tcp_stack *st, uint16_t port_idx, uint8_t family, const uint8_t *laddr,
		  const uint8_t *raddr, const struct tcp_seg *seg);

/* ---- tcp_input.c ---- */
/* tcp_conn_input runs segment |seg| (payload in |m|, owned) through |c|. */
void tcp_conn_input(struct tcp_conn *c, struct tcp_seg *seg, struct rte_mbuf *m);

/* ---- mbuf queues (tcp_stack.c) ---- */
void tcp_mq_init(struct tcp_mq *q);
void tcp_mq_append(struct tcp_mq *q, struct rte_mbuf *m, uint32_t len);
void tcp_mq_free(struct tcp_mq *q);
/* tcp_mq_consume drops |n| bytes from the front of |q| (n <= bytes). */
void tcp_mq_consume(struct tcp_mq *q, uint32_t n);
/* tcp_mbuf_trim_front / _back cut |n| bytes off a chain; return the new head (NULL: empty). */
struct rte_mbuf *tcp_mbuf_trim_front(struct rte_mbuf *m, uint32_t n);
void tcp_mbuf_trim_to(struct rte_mbuf *m, uint32_t len);

#endif
