/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_stack.h - one worker's TCP stack (RFC 9293 with RFC 7323, 2018, 6675,
 * 5681/6582, 9438, 6298, 5961), and the API the layers above use.
 *
 * Shared nothing: each worker lcore owns one struct tcp_stack with its
 * connection pool, connection table (tcp_table.h, rte_hash bulk lookups on
 * the 4-tuple), listeners, timer wheel (util/twheel.h, millisecond ticks),
 * SYN-cookie keys and mbuf pool. Nothing in it is touched by another lcore,
 * so nothing locks; nothing allocates after tcp_stack_new (connections come
 * from a fixed pool, segments from the worker's mempool).
 *
 * Sans-I/O: the stack never polls a device or reads a clock. Its driver (the
 * worker loop, dataplane/lcore.c, or a unit test) hands it received segments
 * with tcp_stack_input, the time with every call, and receives the segments
 * it sends through env.emit as mbufs that start at the IP header (with at
 * least RTE_PKTMBUF_HEADROOM in front for the link header). Unit tests run
 * two stacks back to back on a virtual clock (tests/unit/tcp/test_tcp_stack.c).
 *
 * Output is deferred: input and API calls only mark a connection as having
 * something to send; tcp_stack_flush (called once per received burst, and by
 * tcp_stack_tick) builds the segments. ACKs are thereby coalesced per burst,
 * and data written from a callback leaves in the same segments as the ACK.
 *
 * Upper layer (HTTP/2, the test apps): a connection is a struct tcp_conn *,
 * valid from the accept/connect that made it until its |closed| callback
 * returns. Callbacks run on the worker, inside tcp_stack_input/tick/flush;
 * they may call any tcp_conn_* function, including on other connections of
 * the same stack. Data is zero-copy on receive (tcp_conn_recv hands over the
 * received mbufs, headers stripped) and on send (tcp_conn_send takes an mbuf
 * chain); segments are built by copying payload behind a fresh header, see
 * docs/decisions.md.
 *
 * Errors are negative errno values.
 */
#ifndef SB_TCP_STACK_H
#define SB_TCP_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tcp_cc.h"
#include "tcp_rss.h"
#include "tcp_table.h"

struct rte_mbuf;
struct rte_mempool;
struct tcp_stack;
struct tcp_conn;

/* Ports (network interfaces) a stack may send on; the index is the data plane's port index. */
#define TCP_STACK_PORTS_MAX 8

/* What the stack knows of one port. Addresses in network order. */
struct tcp_stack_port {
	bool used;
	bool has_ip4;
	bool has_ip6;
	bool tx_csum;		   /* the port computes TCP/IPv4 checksums on transmit */
	uint16_t mtu;		   /* IP MTU */
	uint32_t ip4;		   /* network order */
	uint8_t ip6[16];
	const struct tcp_rss *rss; /* how replies reach this worker (NULL: one queue) */
	uint16_t queue;		   /* this worker's RX queue on the port */
};

/* Longest gap between zero-window probes unless the configuration says (Linux-like). */
#define TCP_PERSIST_MAX_MS_DEFAULT 60000

/* Stack configuration (the data plane's `tcp:` section; tcp_stack_conf_defaults). */
struct tcp_stack_conf {
	uint32_t max_conns;	  /* connection pool size */
	uint32_t rcvbuf;	  /* bytes a connection may hold unread (its receive window) */
	uint32_t sndbuf;	  /* bytes a connection may hold unacknowledged + unsent */
	const struct tcp_cc_ops *cc;
	bool nodelay;		  /* Nagle off (the default) */
	uint32_t syn_backlog;	  /* half-open connections per listener before SYN cookies */
	bool syncookies;	  /* answer SYNs beyond the backlog with cookies (else drop) */
	uint32_t time_wait_ms;	  /* 2*MSL */
	uint32_t time_wait_max;	  /* TIME_WAIT connections held; the oldest goes beyond */
	uint32_t fin_wait2_ms;	  /* FIN_WAIT_2 after close before giving up */
	uint32_t delack_ms;	  /* delayed-ACK timeout */
	uint32_t min_rto_ms;	  /* RTO floor (RFC 6298 says 1000; Linux 200) */
	uint32_t max_retries;	  /* RTO expiries in a row before the connection is dropped */
	uint32_t syn_retries;	  /* SYN / SYN-ACK retransmissions before giving up */
	uint32_t orphan_retries;  /* zero-window probes to a closed (orphan) connection's peer */
	uint32_t persist_max_ms;  /* longest gap between zero-window probes (TCP_PERSIST_MAX_MS_DEFAULT; 0: that) */
	bool keepalive;		  /* keepalive on new connections */
	uint32_t keep_idle_ms;
	uint32_t keep_intvl_ms;
	uint32_t keep_cnt;
	uint16_t eph_lo;	  /* ephemeral ports for active opens */
	uint16_t eph_hi;
	bool sack;		  /* offer SACK (RFC 2018); default true */
	bool timestamps;	  /* offer timestamps (RFC 7323); default true */
	bool wscale;		  /* offer window scaling (RFC 7323); default true */
	uint8_t secret[32];	  /* ISN and SYN-cookie keys (random at start-up) */
	uint32_t seed;		  /* port randomisation, timestamp offsets */
};

/* How the stack reaches its driver. */
struct tcp_stack_env {
	/*
	 * emit sends |m|, a complete IP packet (data starts at the IPv4/IPv6
	 * header; l3_len, l4_len and ol_flags set for checksum offload where the
	 * port has it) on port |port_idx| towards |dst| (4 or 16 bytes per
	 * |family|, TCP_KEY_V4/V6, network order). The driver owns |m| from then
	 * on (it adds the link header, or frees the mbuf if it cannot).
	 */
	void (*emit)(void *arg, struct rte_mbuf *m, uint16_t port_idx, uint8_t family,
		     const uint8_t *dst);
	void *arg;
	struct rte_mempool *pool; /* segments the stack builds; the worker's own */
};

/* A received segment for tcp_stack_input: the frame and where net_input found things. */
struct tcp_pkt {
	struct rte_mbuf *m;
	uint16_t l3_off;  /* IP header */
	uint16_t l4_off;  /* TCP header */
	uint16_t l4_len;  /* TCP header + payload, as the IP header says */
	uint8_t family;	  /* TCP_KEY_V4 or TCP_KEY_V6 */
	uint16_t port_idx;
};

/*
 * The upper layer's callbacks, per listener or per active open. All are
 * optional except |closed|; |accept| decides whether a passive open is
 * taken. |closed| is the last call for a connection: |err| is 0 for an
 * orderly close (both FINs exchanged, or the app closed), -ECONNRESET (peer
 * reset), -ECONNREFUSED (reset in reply to our SYN), -ETIMEDOUT (retries or
 * keepalive exhausted), -ECONNABORTED (the stack dropped it: TIME_WAIT or
 * pool pressure, app abort).
 */
struct tcp_app_ops {
	/* A passive open completed. Return 0 to take it (set user data), < 0 to reset it. */
	int (*accept)(struct tcp_conn *c, void *listen_arg);
	/* An active open completed (ESTABLISHED). */
	void (*connected)(struct tcp_conn *c);
	/* New in-order data arrived, or the peer's FIN (tcp_conn_eof). */
	void (*readable)(struct tcp_conn *c);
	/* Send space opened after a tcp_conn_send/write that returned -EAGAIN or was partial. */
	void (*writable)(struct tcp_conn *c);
	/* The connection is gone; |c| is invalid once this returns. */
	void (*closed)(struct tcp_conn *c, int err);
};

/* Connection states (RFC 9293 3.3.2). */
enum tcp_state {
	TCP_CLOSED = 0,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
	TCP__STATE_MAX,
};

/* Per-stack counters (owner writes, telemetry reads). */
#define foreach_tcp_ctr(_)                                                                        \
	_(SEG_IN, "segments_in")                                                                  \
	_(SEG_OUT, "segments_out")                                                                \
	_(BYTES_IN, "payload_bytes_in")                                                           \
	_(BYTES_OUT, "payload_bytes_out")                                                         \
	_(RETRANS, "retransmitted_segments")                                                      \
	_(FAST_RECOVERY, "fast_recoveries")                                                       \
	_(RTO, "rto_expiries")                                                                    \
	_(ACTIVE_OPENS, "active_opens")                                                           \
	_(PASSIVE_OPENS, "passive_opens")                                                         \
	_(ESTABLISHED, "established")                                                             \
	_(RESETS_IN, "resets_in")                                                                 \
	_(RESETS_OUT, "resets_out")                                                               \
	_(SYNCOOKIES_SENT, "syncookies_sent")                                                     \
	_(SYNCOOKIES_OK, "syncookies_ok")                                                         \
	_(SYNCOOKIES_BAD, "syncookies_failed")                                                    \
	_(SYN_DROPPED, "syn_dropped")                                                             \
	_(OOO_SEGS, "out_of_order_segments")                                                      \
	_(DUP_SEGS, "duplicate_segments")                                                         \
	_(PAWS_REJECT, "paws_rejected")                                                           \
	_(CHALLENGE_ACKS, "challenge_acks")                                                       \
	_(ZWP_SENT, "zero_window_probes")                                                         \
	_(KEEPALIVES_SENT, "keepalives_sent")                                                     \
	_(DELAYED_ACKS, "delayed_acks")                                                           \
	_(TW_RECYCLED, "time_wait_recycled")                                                      \
	_(TW_DROPPED, "time_wait_overflow")                                                       \
	_(CONN_NO_MEM, "connection_pool_full")                                                    \
	_(NO_MBUF, "no_mbuf")                                                                     \
	_(RCV_QUEUE_FULL, "receive_queue_full")                                                   \
	_(BAD_CSUM, "bad_checksum")                                                               \
	_(BAD_SEG, "bad_segment")                                                                 \
	_(ACK_UNSENT, "ack_of_unsent_data")                                                       \
	_(UNACCEPTABLE, "unacceptable_segments")                                                  \
	_(TIMEOUTS, "connection_timeouts")                                                        \
	_(TLP, "loss_probes")                                                                     \
	_(TLP_RECOVERY, "loss_probe_recoveries")                                                  \
	_(OOW_LIMITED, "out_of_window_acks_limited")

enum tcp_ctr {
#define _(sym, str) TCP_CTR_##sym,
	foreach_tcp_ctr(_)
#undef _
		TCP_CTR__MAX
};

struct tcp_stack_stats {
	uint64_t ctr[TCP_CTR__MAX];
	uint32_t conns;		       /* connections in the pool now */
	uint32_t by_state[TCP__STATE_MAX];
};

/* What tcp_conn_info reports about one connection. */
struct tcp_conn_info {
	enum tcp_state state;
	uint8_t family;
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
	bool ts, sack, wscale;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t smss, rmss;
	uint32_t cwnd, ssthresh, snd_wnd, rcv_wnd;
	uint32_t unacked, unsent, unread;
	uint64_t srtt_us, rto_us;
	uint64_t retrans;
	/* For debugging stalls: offsets from SND.UNA, queue sizes, timers (ms from now, 0 off). */
	uint32_t flags;
	uint32_t snd_nxt_off, snd_max_off;
	uint32_t sndq, ooo_segs, dupacks;
	uint8_t cc_phase;
	uint32_t rexmt_in_ms, persist_in_ms, dack_in_ms;
	uint64_t last_rcv_ms;	/* the stack's clock (tcp_stack_tick / 1000) at the last segment in */
};

/*
 * tcp_stack_conns_info fills |out| with up to |max| connections of |st| and
 * returns how many. Any thread while the owner is quiescent (telemetry reads
 * it racily; values may be torn but never point anywhere).
 */
uint32_t tcp_stack_conns_info(const struct tcp_stack *st, struct tcp_conn_info *out, uint32_t max);

/* tcp_stack_conf_defaults fills |c| with the defaults (CUBIC, 256 KiB buffers, ...). */
void tcp_stack_conf_defaults(struct tcp_stack_conf *c);

/*
 * tcp_stack_new creates worker |name|'s stack (the name labels the rte_hash
 * table and must be unique in the process) on NUMA |socket| with |conf| and
 * |env|, at time |now_us|. Ports are added with tcp_stack_set_port before
 * traffic. Returns NULL with rte_errno set. Slow path; needs EAL.
 */
struct tcp_stack *tcp_stack_new(const char *name, int socket, const struct tcp_stack_conf *conf,
				const struct tcp_stack_env *env, uint64_t now_us);

/*
 * tcp_stack_free resets every connection (their |closed| callbacks run with
 * -ECONNABORTED; the resets are emitted), frees all buffers and the stack,
 * and wipes its keys. NULL is accepted.
 */
void tcp_stack_free(struct tcp_stack *st);

/* tcp_stack_set_port describes port |idx|. Returns 0 or -EINVAL. Slow path. */
int tcp_stack_set_port(struct tcp_stack *st, uint16_t idx, const struct tcp_stack_port *p);

/*
 * tcp_listen opens a passive listener on |family| (TCP_KEY_V4/V6) local
 * |addr| (NULL: any address of the family) and |port|; new connections get
 * |ops| and |arg| is passed to ops->accept. Returns 0, -EEXIST, -ENOSPC or
 * -EINVAL.
 */
int tcp_listen(struct tcp_stack *st, uint8_t family, const uint8_t *addr, uint16_t port,
	       const struct tcp_app_ops *ops, void *arg) __attribute__((warn_unused_result));

/*
 * tcp_connect opens a connection from port |port_idx|'s address of |family|
 * to |dst|:|dport| (active open). The local port is chosen so that the
 * device's RSS delivers the replies to this worker (tcp_rss_pick_port*).
 * |user| is the connection's user data. On success stores the connection
 * in |*out| (its SYN leaves at the next flush) and returns 0; ops->connected
 * follows once the handshake completes. From then on the handle stays valid
 * until ops->closed, which comes exactly once however the open ends: an
 * open that fails gets it with -ECONNREFUSED (reset in reply to the SYN) or
 * -ETIMEDOUT (SYN retries exhausted), one the app closes or aborts first with
 * 0 or -ECONNABORTED. Returns -EINVAL, -EADDRNOTAVAIL (no address or no
 * free port that steers to us), -EOPNOTSUPP (the port cannot steer replies
 * and the caller must hand the open to the owning worker), -ENOMEM (pool
 * full).
 */
int tcp_connect(struct tcp_stack *st, uint16_t port_idx, uint8_t family, const uint8_t *dst,
		uint16_t dport, const struct tcp_app_ops *ops, void *user, struct tcp_conn **out)
	__attribute__((warn_unused_result));

/*
 * tcp_stack_input processes |n| received segments at |now_us|. Segments for
 * which no connection and no listener exists are not consumed: their indexes
 * into |pkts| are stored in |miss| (room for |n|) and their number returned;
 * the caller answers them (tcp_closed_input) or drops them. Every other mbuf
 * is consumed (queued as data or freed). Connection lookups are done in bulk.
 */
uint16_t tcp_stack_input(struct tcp_stack *st, const struct tcp_pkt *pkts, uint16_t n,
			 uint16_t *miss, uint64_t now_us);

/* tcp_stack_flush builds and emits every segment that input and API calls made due. */
void tcp_stack_flush(struct tcp_stack *st);

/*
 * tcp_stack_tick advances the stack's clock to |now_us|, runs the timers
 * that are due (retransmission, delayed ACK, persist, keepalive, TIME_WAIT)
 * and flushes. Call it at least every millisecond of activity.
 */
void tcp_stack_tick(struct tcp_stack *st, uint64_t now_us);

/* tcp_stack_next_timer_us returns when the next timer is due (UINT64_MAX: none). */
uint64_t tcp_stack_next_timer_us(const struct tcp_stack *st);

/* tcp_stack_stats returns the stack's counters (the owner updates them in place). */
const struct tcp_stack_stats *tcp_stack_stats(const struct tcp_stack *st);

/* tcp_ctr_name returns the telemetry name of counter |c|. */
const char *tcp_ctr_name(enum tcp_ctr c);

/* tcp_state_name returns "ESTABLISHED" etc. */
const char *tcp_state_name(enum tcp_state s);

/*
 * tcp_stack_dump writes the stack's counters, states and up to |max_conns|
 * connections to |f|. Any thread while the owner is quiescent.
 */
void tcp_stack_dump(FILE *f, const struct tcp_stack *st, uint32_t max_conns);

/* ---- Connections ------------------------------------------------------ */

/* tcp_conn_user / tcp_conn_set_user get and set the upper layer's pointer. */
void *tcp_conn_user(const struct tcp_conn *c);
void tcp_conn_set_user(struct tcp_conn *c, void *user);

/* tcp_conn_stack returns the stack that owns |c|. */
struct tcp_stack *tcp_conn_stack(const struct tcp_conn *c);

/*
 * tcp_conn_recv hands over all in-order data received and not yet taken, as
 * one mbuf chain (headers stripped; pkt_len is the byte count), or returns
 * NULL when there is none. The window reopens by what was taken. The caller
 * owns the chain.
 */
struct rte_mbuf *tcp_conn_recv(struct tcp_conn *c);

/* tcp_conn_recv_avail returns the bytes tcp_conn_recv would hand over. */
uint32_t tcp_conn_recv_avail(const struct tcp_conn *c);

/* tcp_conn_eof returns true once the peer's FIN arrived and every byte before it was taken. */
bool tcp_conn_eof(const struct tcp_conn *c);

/* tcp_conn_send_space returns how many bytes tcp_conn_send/write accept now. */
uint32_t tcp_conn_send_space(const struct tcp_conn *c);

/*
 * tcp_conn_send queues the mbuf chain |m| (pkt_len bytes, any segmentation)
 * for sending and takes ownership. sndbuf is a soft limit: the chain is
 * taken whole whenever tcp_conn_send_space is not 0 (so the queue may exceed
 * sndbuf by one chain). Returns 0; -EAGAIN when the space is 0 (|m| stays
 * the caller's; |writable| follows when space opens); -EPIPE after tcp_conn_shutdown/close or once the connection cannot
 * send (|m| stays the caller's); -ENOTCONN before the handshake completes
 * (data may be queued in SYN_SENT: it is, and 0 is returned).
 */
int tcp_conn_send(struct tcp_conn *c, struct rte_mbuf *m) __attribute__((warn_unused_result));

/*
 * tcp_conn_write copies up to |len| bytes from |buf| into mbufs of the
 * stack's pool and queues them. Returns the bytes taken (possibly fewer than
 * |len|: |writable| follows), -EAGAIN when none fit, -ENOBUFS when no mbuf
 * was left, or -EPIPE as tcp_conn_send.
 */
int tcp_conn_write(struct tcp_conn *c, const void *buf, uint32_t len);

/* tcp_conn_shutdown sends a FIN after the queued data (half close). Idempotent. */
void tcp_conn_shutdown(struct tcp_conn *c);

/*
 * tcp_conn_close ends the upper layer's use of |c|: with unread received
 * data it aborts (RFC 9293 3.10.4 / RFC 2525 2.17: a reset), else it shuts
 * down and lets the stack finish the close alone. |closed| is still called
 * (with 0) when the stack lets go of |c|; no other callback follows.
 */
void tcp_conn_close(struct tcp_conn *c);

/* tcp_conn_abort resets |c| (RST to the peer) and frees it; |closed| runs with -ECONNABORTED. */
void tcp_conn_abort(struct tcp_conn *c);

/* tcp_conn_set_nodelay turns Nagle's algorithm off (true) or on for |c|. */
void tcp_conn_set_nodelay(struct tcp_conn *c, bool nodelay);

/* tcp_conn_set_keepalive turns keepalive on with the given times, or off (idle_ms 0). */
void tcp_conn_set_keepalive(struct tcp_conn *c, uint32_t idle_ms, uint32_t intvl_ms, uint32_t cnt);

/* tcp_conn_info fills |out| for |c|. */
void tcp_conn_info(const struct tcp_conn *c, struct tcp_conn_info *out);

#endif
