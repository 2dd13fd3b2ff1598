/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tcp_stack.c - libFuzzer harness for the whole per-connection state
 * machine (dataplane/tcp/tcp_stack.c, tcp_input.c, tcp_output.c,
 * tcp_timer.c) driven by an untrusted peer, a virtual clock and an
 * application that does whatever the input says.
 *
 * Each input makes a fresh stack (10.0.0.1 / fd00::1, one port, a
 * configuration from the first HDR_LEN bytes: SACK, timestamps, window
 * scaling, buffer sizes, backlog, pool size, MTU, CC, ...), a listener on
 * port 80 (IPv4 and IPv6) and an active open to the peer (10.0.0.2 or
 * fd00::2, port 8080/8081), then runs records until the input ends, and
 * frees the stack. The peer has NSLOTS 4-tuples ("slots"): passive ones
 * (peer port 4000x -> our port 80), the active ones, and one to a closed
 * port (81). Records (the op is the low 3 bits of the first byte):
 *
 *   0-2 SEG     a segment from the peer: slot, flags, SEQ and ACK each as a
 *               base (the connection's RCV.NXT / RCV.ADV, the peer's ISS or
 *               raw; SND.UNA / SND.MAX / the end of what the stack last sent
 *               to the slot, or raw) plus a signed offset, window, options
 *               (TS, MSS, WS, SACK-permitted, SACK blocks relative to
 *               SND.UNA, or raw option bytes), payload length 0..2000, and
 *               extras: bad checksum, an mbuf chain split anywhere, RX
 *               checksum offload flags, Ethernet padding, IPv4 options,
 *               ECE/CWR, URG. Segments with the batch bit are handed to
 *               tcp_stack_input together with the next one (bulk lookups,
 *               connections made and freed within one burst);
 *   3   TICK    advance the clock 1 ms .. 128 s, stepping from timer to timer;
 *   4-5 APP     on a slot's connection: write, send an mbuf chain, recv,
 *               shutdown, close, abort, nodelay, keepalive, connect (active
 *               slots), toggle reading, conn_info/dump;
 *   6   PEER    a well-behaved peer step: SYN, SYN-ACK, or an ACK of
 *               everything with in-order data (and FIN), as the state asks;
 *   7   TIMER   jump to the next timer.
 *
 * Byte layout (get8 etc. read 0 past the end; see op_seg/op_peer/op_app):
 *   header  [0] bit 0 SACK, 1 timestamps, 2 window scaling, 3 Nagle on,
 *               4 no SYN cookies, 5 NewReno (else CUBIC), 6 keepalive,
 *               7 (with [2] bit 7) accept returns an error;
 *           [1] bits 0-1 rcvbuf, 2-3 sndbuf (64K, 4K, 256K, 1K), 4 SYN
 *               backlog 1, 5 pool of 3 connections (else 16), 6 MTU 9000,
 *               7 the first active open is IPv6;
 *           [2] bit 0 the app does not read by itself, 1 it closes at EOF,
 *               2 no TIME_WAIT, 3 at most one TIME_WAIT, 4 drain at the
 *               end, 5 IPv4 checksum offload (on_emit computes them as
 *               the NIC would), 6 MTU 576;
 *   SEG     op (bits 3-5 slot, 6 batch, 7 extras follow), modes (bits 0-1
 *           SEQ base, 2-3 ACK base, 4 TS, 5 MSS, 6 WS, 7 SACK-permitted),
 *           flags (bit 7: raw, else one of 16 usual combinations), SEQ
 *           offset, ACK offset (get_off: 1 byte, or 5), window (1 byte),
 *           payload length (1 byte: 0..127, then steps of 16), SACK count
 *           (0-4; 5-7: raw options instead), then as the bits say: raw SEQ
 *           (4), raw ACK (4), TSval delta (1), MSS (2), WS (1), 2 bytes per
 *           SACK block or a length and raw option bytes, extras (1: EX_*)
 *           and a split point (1);
 *   TICK    1 byte (0-127: 1..128 ms, 128-191: 100 ms steps, then 2 s steps);
 *   APP     slot (bits 0-2) and action (bits 3-7 mod 12: write, send a
 *           chain, recv, shutdown, close, abort, nodelay, keepalive,
 *           connect, toggle reading, toggle close at EOF, info/dump), a
 *           16-bit argument;
 *   PEER    slot in the op byte; payload length; bits: 0 FIN, 1 TS, 2 WS,
 *           3 SACK-permitted (in a SYN), 4-7 window shift;
 *   TIMER   nothing more.
 * The custom mutator inserts, deletes and duplicates whole records and
 * sometimes writes a fresh scenario of plausible ones, besides libFuzzer's
 * own byte mutations.
 *
 * Debugging: FUZZ_TCP_STACK_VERBOSE=1 dumps the stack after each input, =2
 * also traces every op, segment and callback; FUZZ_TCP_STACK_SAVE=FILE
 * writes the input to FILE when a check fails (fuzz_driver saves nothing).
 *
 * Payload bytes are a function of their sequence number, both ways, so the
 * bytes the application reads and the bytes the stack sends are checked
 * exactly (reassembly, trimming, retransmission from the send queue).
 *
 * Checks, beyond "no crash" (CHECK traps, so libFuzzer reports it):
 *   - every segment the stack emits: a flat mbuf with headroom, IP header
 *     and length right, parses (tcp_parse), checksums verify (tcp_csum4/6),
 *     to a known slot; with a connection: SYN at ISS with our MSS, ACK =
 *     RCV.NXT, SEQ in [SND.UNA - 1, SND.MAX], payload <= SMSS, lies in the
 *     send queue and equals what the app wrote, FIN at fin_seq, options as
 *     negotiated, SACK blocks above RCV.NXT within the window, and the
 *     advertised right edge equals RCV.ADV and never moves left; without
 *     one, only resets and cookie SYN-ACKs;
 *   - after every op: stats.conns and by_state match the pool; free list,
 *     TIME_WAIT list and SYN-queue counts consistent; every connection in
 *     the table under its key; SND.UNA <= SND.NXT <= SND.MAX, at most one
 *     octet (SYN/FIN) more in flight than queued; sndq <= sndbuf (or below
 *     sndbuf + the largest chain tcp_conn_send took: a soft limit); rcvq +
 *     ooo <= rcvbuf + 2^wscale; queue byte/segment counts match the mbufs;
 *     the out-of-order array sorted, disjoint, above RCV.NXT; FIN position;
 *     the wheel timer armed no later than the earliest deadline; outstanding
 *     data has a retransmission timer, and nothing queued is stalled with
 *     nothing in flight;
 *   - the application's view: accept/connected once, no callback after
 *     |closed| nor (but |closed|) after tcp_conn_close/abort, |closed| once
 *     with a documented error for every accept and every tcp_connect that
 *     returned 0 (a failed active open included), no |readable| before
 *     |connected|, data in order and exact, recv chains
 *     consistent, API return values as documented;
 *   - optionally (a header bit) a drain: the app closes everything, the
 *     peer goes silent, and within 30 virtual minutes every connection must
 *     be gone (connections probing a zero window are exempt);
 *   - after tcp_stack_free: every connection the app held got |closed|, and
 *     every mbuf of both pools is back (no leak).
 *
 * EAL (rte_hash, mempools) is initialised once, with no hugepages and no
 * devices; the stack is made and freed per input, rte_srand is reseeded,
 * so that an input always replays the same way.
 *
 * Build: meson -Dfuzz=true (clang, -fsanitize=fuzzer); otherwise the same
 * file links with fuzz_driver.c and runs as the 'fuzz' meson test suite.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "fuzz.h"
#include "tcp_conn.h"
#include "tcp_stack.h"
#include "tcp_wire.h"

/* CHECK of fuzz.h, saying which check failed first (the trap alone names no line). */
#undef CHECK
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			check_failed(__LINE__, #cond);			\
		}							\
	} while (0)

/* FUZZ_TCP_STACK_VERBOSE=2: every op and segment on stderr. */
#define TRACE(...)							\
	do {								\
		if (verbose > 1) {					\
			fprintf(stderr, __VA_ARGS__);			\
		}							\
	} while (0)

static void check_failed(int line, const char *what) __attribute__((noreturn));

#define HDR_LEN 3
#define NSLOTS 8
#define PAY_MAX 2000
#define BURST_MAX 32
#define WRITE_MAX (256 * 1024)
#define ETH_LEN 14
#define START_US 1000000000ull

/* ---- the world ---------------------------------------------------------- */

static const uint8_t our4[4] = {10, 0, 0, 1};
static const uint8_t peer4[4] = {10, 0, 0, 2};
static const uint8_t our6[16] = {0xfd, [15] = 1};
static const uint8_t peer6[16] = {0xfd, [15] = 2};

enum slot_kind { SK_PASSIVE, SK_ACTIVE, SK_CLOSED_PORT };

struct slot {
	/* fixed for the input */
	uint8_t family;
	uint8_t kind;
	uint16_t rport;	     /* the peer's port */
	uint16_t lport;	     /* ours: 80, 81, or the active open's (0: none yet) */
	uint32_t peer_iss;
	uint32_t ts_base;    /* the peer's TSval clock, offset from ours */
	/* what the stack last sent to this 4-tuple */
	uint32_t out_end;    /* SEQ + SEG.LEN of it */
	uint32_t out_ack;
	uint32_t out_tsval;
	/* right edge advertised by the connection incarnation (edge_c, edge_iss) */
	const struct tcp_conn *edge_c;
	uint32_t edge_iss;
	uint32_t edge;
	/* the application's side */
	struct tcp_conn *c;  /* from accept/connected (or tcp_connect) until |closed| */
	uint32_t c_iss;
	bool connected;	     /* accept/connected delivered */
	bool held;	     /* accept delivered or tcp_connect returned: |closed| is owed */
	bool app_closed;     /* tcp_conn_close/abort called: only |closed| may follow */
	bool autoread;
	bool close_on_eof;
	bool want_write;     /* a write fell short: |writable| may follow */
	uint32_t rx_next;    /* sequence number of the next byte to read */
	uint32_t tx_off;     /* bytes queued by the app so far */
	uint32_t tx_pending; /* bytes still to write when |writable| comes */
};

static struct rte_mempool *pool_tx, *pool_rx;
static struct tcp_stack *st;
static struct tcp_stack_conf conf;
static struct slot slots[NSLOTS];
static uint64_t now_us;
static bool accept_reject;
static bool tx_csum; /* the port offloads IPv4 checksums: on_emit plays the NIC */
static bool freeing;
static int listen_arg;
static int emit_arg;
static struct tcp_pkt burst[BURST_MAX];
static uint8_t burst_kind[BURST_MAX]; /* slot kind of each, for the miss check */
static uint16_t nburst;
static uint32_t max_chain; /* the largest chain tcp_conn_send took: sndq may exceed sndbuf by it */
static uint8_t wbuf[WRITE_MAX];
static FILE *devnull;
static int verbose; /* FUZZ_TCP_STACK_VERBOSE=1: dump the stack after each input; 2: trace */

/* The input being run, saved to $FUZZ_TCP_STACK_SAVE when a check fails (fuzz_driver saves none). */
static const uint8_t *cur_data;
static size_t cur_size;

static void check_failed(int line, const char *what)
{
	const char *path = getenv("FUZZ_TCP_STACK_SAVE");

	fprintf(stderr, "fuzz_tcp_stack.c:%d: CHECK(%s) failed\n", line, what);
	if (path != NULL && cur_data != NULL) {
		FILE *f = fopen(path, "wb");

		if (f != NULL) {
			fwrite(cur_data, 1, cur_size, f);
			fclose(f);
		}
	}
	__builtin_trap();
}

static inline uint8_t peer_byte(uint32_t seq)
{
	return (uint8_t)(seq * 7u + (seq >> 8) * 31u + 0x5a);
}

static inline uint8_t our_byte(uint32_t off)
{
	return (uint8_t)(off * 13u + (off >> 8) * 5u + 1u);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- the input as a byte stream ---------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, i;
};

static uint8_t get8(struct rd *r)
{
	return r->i < r->n ? r->p[r->i++] : 0;
}

static uint16_t get16(struct rd *r)
{
	uint16_t hi = get8(r);

	return (uint16_t)(hi << 8 | get8(r));
}

static uint32_t get32(struct rd *r)
{
	uint32_t hi = get16(r);

	return hi << 16 | get16(r);
}

/* A signed offset: one byte, -127..127 with |v| > 100 scaled by 512, -128: 32 bits follow. */
static int32_t get_off(struct rd *r)
{
	int8_t v = (int8_t)get8(r);

	if (v == -128) {
		return (int32_t)get32(r);
	}
	if (v > 100) {
		return (v - 100) * 512;
	}
	if (v < -100) {
		return (v + 100) * 512;
	}
	return v;
}

/* ---- keys and connections ---------------------------------------------- */

static void key_of(uint8_t family, uint16_t lport, uint16_t rport, struct tcp_key *k)
{
	if (family == TCP_KEY_V4) {
		uint32_t l, r;

		memcpy(&l, our4, 4);
		memcpy(&r, peer4, 4);
		tcp_key4(k, l, lport, r, rport);
	} else {
		tcp_key6(k, our6, lport, peer6, rport);
	}
}

static struct tcp_conn *conn_of(uint8_t family, uint16_t lport, uint16_t rport)
{
	struct tcp_key k;
	uint32_t idx;

	if (lport == 0) {
		return NULL;
	}
	key_of(family, lport, rport, &k);
	if (tcp_table_lookup(st->tbl, &k, &idx) != 0) {
		return NULL;
	}
	CHECK(idx < st->conf.max_conns);
	return &st->conns[idx];
}

static struct tcp_conn *slot_conn(const struct slot *s)
{
	return conn_of(s->family, s->lport, s->rport);
}

static struct slot *slot_by_tuple(uint8_t family, uint16_t rport)
{
	for (int i = 0; i < NSLOTS; i++) {
		if (slots[i].family == family && slots[i].rport == rport) {
			return &slots[i];
		}
	}
	return NULL;
}

/* The app's handle still names a live connection (the same incarnation). */
static bool handle_alive(const struct slot *s)
{
	const struct tcp_conn *c = s->c;

	return c != NULL && c->st == st && c->state != TCP_CLOSED && !(c->flags & TCP_F_REAP) &&
	       c->user == s && c->iss == s->c_iss;
}

/* The app's usable connection on |s|, or NULL. A handle held is alive until |closed|. */
static struct tcp_conn *app_conn(struct slot *s)
{
	if (s->c == NULL) {
		return NULL;
	}
	CHECK(s->held && handle_alive(s)); /* gone without |closed| */
	return s->app_closed ? NULL : s->c;
}

static bool seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return tcp_seq_geq(x, lo) && tcp_seq_leq(x, hi);
}

/* ---- checks on the stack --------------------------------------------------- */

/* An mbuf queue: byte and segment counts match the chain. */
static void check_mq(const struct tcp_mq *q)
{
	uint64_t bytes = 0;
	uint32_t nb = 0;
	const struct rte_mbuf *m, *last = NULL;

	for (m = q->head; m != NULL; m = m->next) {
		bytes += m->data_len;
		nb++;
		last = m;
		CHECK(nb <= 1u << 20);
	}
	CHECK(nb == q->nb);
	CHECK(last == q->tail);
	if (q->head == NULL) {
		CHECK(q->bytes == 0 && q->off == 0);
	} else {
		CHECK(q->off < q->head->data_len || (q->off == 0 && q->head->data_len == 0));
		CHECK(bytes - q->off == q->bytes);
	}
}

static bool sending_state(uint8_t s)
{
	return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT || s == TCP_FIN_WAIT_1 ||
	       s == TCP_CLOSING || s == TCP_LAST_ACK;
}

static void check_conn(const struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t data_end = c->snd_una + c->sndq.bytes;
	uint64_t t = 0;
	uint32_t ooo = 0;

	CHECK(c->state > TCP_LISTEN && c->state < TCP__STATE_MAX);
	CHECK(!(c->flags & (TCP_F_REAP | TCP_F_DIRTY)));
	CHECK(tcp_seq_leq(c->snd_una, c->snd_nxt) && tcp_seq_leq(c->snd_nxt, c->snd_max));
	check_mq(&c->sndq);
	check_mq(&c->rcvq);
	CHECK(c->sndq.bytes <= st->conf.sndbuf || c->sndq.bytes < st->conf.sndbuf + max_chain);
	if (c->state != TCP_TIME_WAIT) {
		CHECK(flight <= c->sndq.bytes + 1);
	}
	CHECK((uint64_t)c->rcvq.bytes + c->ooo_bytes <=
	      (uint64_t)st->conf.rcvbuf + (1u << c->rcv_wscale));
	CHECK(c->rcv_wscale <= TCP_RCV_WSCALE_MAX && c->snd_wscale <= TCP_WSCALE_MAX);
	CHECK(c->rcvq.nb <= TCP_RCVQ_SEGS_MAX);

	/* Out of order: sorted, disjoint, above RCV.NXT, each mbuf exactly its bytes. */
	CHECK(c->nb_ooo <= TCP_OOO_MAX);
	for (uint32_t i = 0; i < c->nb_ooo; i++) {
		const struct tcp_ooo *o = &c->ooo[i];
		uint32_t sum = 0;

		CHECK(o->len > 0 && o->m != NULL);
		for (const struct rte_mbuf *m = o->m; m != NULL; m = m->next) {
			sum += m->data_len;
		}
		CHECK(sum == o->len && o->m->pkt_len == o->len);
		CHECK(tcp_seq_gt(o->seq, c->rcv_nxt));
		if (i > 0) {
			CHECK(tcp_seq_leq(c->ooo[i - 1].seq + c->ooo[i - 1].len, o->seq));
		}
		ooo += o->len;
	}
	CHECK(ooo == c->ooo_bytes);

	if ((c->flags & TCP_F_FIN_QUEUED) && c->state != TCP_SYN_RECEIVED) {
		CHECK(c->fin_seq == data_end || (c->snd_una == c->fin_seq + 1 && c->sndq.bytes == 0));
	}

	/* Timers: the wheel fires no later than the earliest deadline. */
	{
		const uint64_t d[] = {c->t_rexmt, c->t_dack, c->t_persist, c->t_keep, c->t_close};

		for (unsigned i = 0; i < RTE_DIM(d); i++) {
			if (d[i] != 0 && (t == 0 || d[i] < t)) {
				t = d[i];
			}
		}
	}
	if (t != 0) {
		CHECK(twheel_armed(&c->tm) && c->tm.expires <= t);
	}

	/* Liveness: outstanding data is timed; queued data or FIN is not stalled. */
	if (c->state != TCP_FIN_WAIT_2 && c->state != TCP_TIME_WAIT && flight != 0) {
		CHECK(c->t_rexmt != 0);
	}
	if (sending_state(c->state) && flight == 0) {
		if (tcp_seq_lt(c->snd_max, data_end)) {
			CHECK(c->snd_wnd == 0);
			CHECK(c->t_persist != 0 || c->t_rexmt != 0);
		}
		if (c->flags & TCP_F_FIN_QUEUED) {
			CHECK(!(tcp_seq_leq(c->snd_max, c->fin_seq) && c->snd_max == data_end));
		}
	}
	/*
	 * No check that owed ACKs (TCP_F_ACK_NOW) are gone after a flush: one
	 * owed in SYN_RECEIVED (an unacceptable segment, a challenge) is never
	 * sent there (tcp_output sends nothing in that state) and the flag
	 * lingers into ESTABLISHED until the next flush of the connection.
	 */
}

static void check_stack(void)
{
	uint32_t live = 0, by_state[TCP__STATE_MAX] = {0}, nb_syn[TCP_LISTEN_MAX] = {0};
	uint32_t nb_tw = 0;
	const struct tcp_conn *prev = NULL;

	CHECK(st->dirty == NULL && !st->flushing);
	for (uint32_t i = 0; i < st->conf.max_conns; i++) {
		const struct tcp_conn *c = &st->conns[i];
		struct tcp_key k = c->key;
		uint32_t idx;

		if (c->state == TCP_CLOSED) {
			continue;
		}
		CHECK(c->st == st && c->idx == i);
		live++;
		by_state[c->state]++;
		CHECK(tcp_table_lookup(st->tbl, &k, &idx) == 0 && idx == i);
		if (c->state == TCP_SYN_RECEIVED && c->listen_idx != TCP_CONN_NONE) {
			CHECK(c->listen_idx < TCP_LISTEN_MAX);
			nb_syn[c->listen_idx]++;
		}
		check_conn(c);
	}
	CHECK(st->stats.conns == live);
	CHECK(live + st->nb_free == st->conf.max_conns);
	for (uint32_t i = 0; i < st->nb_free; i++) {
		CHECK(st->free_idx[i] < st->conf.max_conns);
		CHECK(st->conns[st->free_idx[i]].state == TCP_CLOSED);
	}
	for (int s = 0; s < TCP__STATE_MAX; s++) {
		CHECK(st->stats.by_state[s] == by_state[s]);
	}
	for (const struct tcp_conn *c = st->tw_head; c != NULL; c = c->tw_next) {
		CHECK(c->state == TCP_TIME_WAIT && c->tw_prev == prev);
		prev = c;
		CHECK(++nb_tw <= st->conf.max_conns);
	}
	CHECK(st->tw_tail == prev);
	CHECK(nb_tw == st->nb_tw && nb_tw == by_state[TCP_TIME_WAIT]);
	CHECK(nb_tw <= st->conf.time_wait_max);
	for (int l = 0; l < TCP_LISTEN_MAX; l++) {
		CHECK(st->listeners[l].nb_syn == nb_syn[l]);
	}
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *s = &slots[i];

		CHECK((s->c != NULL) == s->held);
		if (s->held) {
			CHECK(handle_alive(s));
		}
	}
}

/* ---- what the stack sends -------------------------------------------------- */

static void check_conn_seg(struct tcp_conn *c, struct slot *s, const struct tcp_seg *g)
{
	uint32_t len = (uint32_t)g->payload_len;
	uint32_t edge;

	if ((g->flags & (TCP_FLAG_RST | TCP_FLAG_ACK)) == TCP_FLAG_RST) {
		return; /* <SEQ=SEG.ACK><CTL=RST>: answers a segment, not the connection */
	}
	CHECK(len <= c->smss);
	if (g->flags & TCP_FLAG_SYN) {
		CHECK(g->seq == c->iss && len == 0);
		CHECK(g->opts.has_mss && g->opts.mss == c->rmss);
		CHECK(c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED);
		if (g->flags & TCP_FLAG_ACK) {
			CHECK(g->ack == c->rcv_nxt);
		}
		/*
		 * A new incarnation (the same pool entry, and the same ISS when the
		 * ISN clock did not move) starts here: forget the old edge.
		 */
		s->edge_c = NULL;
		return;
	}
	CHECK(g->flags & TCP_FLAG_ACK);
	CHECK(g->ack == c->rcv_nxt);
	CHECK(!g->opts.has_mss && !g->opts.has_wscale && !g->opts.sack_permitted);
	if (g->flags & TCP_FLAG_RST) {
		CHECK(g->seq == c->snd_max && len == 0);
		return;
	}
	CHECK(g->opts.has_ts == !!(c->flags & TCP_F_TS));
	if (g->opts.nb_sack > 0) {
		CHECK(c->flags & TCP_F_SACK);
		for (unsigned i = 0; i < g->opts.nb_sack; i++) {
			const struct tcp_sack_block *b = &g->opts.sack[i];

			CHECK(tcp_seq_lt(b->left, b->right));
			if (i == 0 && tcp_seq_leq(b->left, c->rcv_nxt)) {
				/* A D-SACK (RFC 2883): data received twice, at or below RCV.NXT. */
				CHECK(tcp_seq_gt(b->left, c->irs));
			} else {
				CHECK(tcp_seq_gt(b->left, c->rcv_nxt));
			}
			CHECK(tcp_seq_leq(b->right, c->rcv_adv));
		}
	}
	CHECK(seq_in(g->seq, c->snd_una - 1, c->snd_max));
	if (len > 0) {
		CHECK(tcp_seq_geq(g->seq, c->snd_una));
		CHECK(tcp_seq_leq(g->seq + len, c->snd_una + c->sndq.bytes));
		for (uint32_t i = 0; i < len; i++) {
			CHECK(g->payload[i] == our_byte(g->seq + i - (c->iss + 1)));
		}
	}
	if (g->flags & TCP_FLAG_FIN) {
		CHECK(c->flags & TCP_F_FIN_QUEUED);
		CHECK(g->seq + len == c->fin_seq);
	}
	/*
	 * The advertised right edge: RCV.ADV is the highest one announced, and
	 * scaling's rounding moves it back by less than 2^rcv_wscale at most
	 * (RFC 7323 2.4), unless the 16-bit field is at its limit.
	 */
	edge = g->ack + ((uint32_t)g->window << c->rcv_wscale);
	CHECK(tcp_seq_leq(edge, c->rcv_adv));
	CHECK(g->window == 65535 || tcp_seq_gt(edge + (1u << c->rcv_wscale), c->rcv_adv));
	if (s->edge_c == c && s->edge_iss == c->iss) {
		CHECK(tcp_seq_gt(edge + (1u << c->rcv_wscale), s->edge));
	}
	s->edge_c = c;
	s->edge_iss = c->iss;
	s->edge = edge;
}

static void on_emit(void *arg, struct rte_mbuf *m, uint16_t port_idx, uint8_t family,
		    const uint8_t *dst)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m), l3;
	struct tcp_seg g;
	enum drop_reason why;
	struct tcp_conn *c;
	struct slot *s;

	CHECK(arg == &emit_arg && port_idx == 0);
	CHECK(m->nb_segs == 1 && m->next == NULL && m->data_len == len);
	CHECK(rte_pktmbuf_headroom(m) >= RTE_PKTMBUF_HEADROOM);
	if (family == TCP_KEY_V4 && tx_csum) {
		/* Do what the NIC would: both checksums, over what the stack filled in. */
		const uint64_t want = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
				      RTE_MBUF_F_TX_TCP_CKSUM;
		uint8_t *w = rte_pktmbuf_mtod(m, uint8_t *);
		uint16_t ck;

		CHECK((m->ol_flags & want) == want && len >= 20 + TCP_HDR_MIN);
		CHECK(rd16(w + 10) == 0);
		ck = (uint16_t)~rte_raw_cksum(w, 20);
		memcpy(w + 10, &ck, 2);
		ck = (uint16_t)~rte_raw_cksum(w + 20, len - 20);
		memcpy(w + 20 + TCP_OFF_CSUM, &ck, 2);
	} else {
		CHECK(!(m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM)));
	}
	if (family == TCP_KEY_V4) {
		l3 = 20;
		CHECK(len >= l3 + TCP_HDR_MIN);
		CHECK(p[0] == 0x45 && rd16(p + 2) == len && p[9] == 6);
		CHECK(rte_raw_cksum(p, 20) == 0xffff);
		CHECK(memcmp(p + 12, our4, 4) == 0 && memcmp(p + 16, peer4, 4) == 0);
		CHECK(memcmp(dst, peer4, 4) == 0);
	} else {
		CHECK(family == TCP_KEY_V6);
		l3 = 40;
		CHECK(len >= l3 + TCP_HDR_MIN);
		CHECK((p[0] >> 4) == 6 && rd16(p + 4) + l3 == len && p[6] == 6);
		CHECK(memcmp(p + 8, our6, 16) == 0 && memcmp(p + 24, peer6, 16) == 0);
		CHECK(memcmp(dst, peer6, 16) == 0);
	}
	CHECK(tcp_parse(p + l3, len - l3, &g, &why) == 0);
	CHECK(m->l3_len == l3 && m->l4_len == g.hdr_len);
	if (family == TCP_KEY_V4) {
		uint32_t sa, da;

		memcpy(&sa, p + 12, 4);
		memcpy(&da, p + 16, 4);
		CHECK(tcp_csum4(sa, da, p + l3, len - l3) == 0);
	} else {
		CHECK(tcp_csum6(p + 8, p + 24, p + l3, len - l3) == 0);
	}
	s = slot_by_tuple(family, g.dport);
	CHECK(s != NULL);
	if (s->kind != SK_ACTIVE) {
		CHECK(g.sport == s->lport);
	}
	s->out_end = g.seq + (uint32_t)g.payload_len + !!(g.flags & TCP_FLAG_SYN) +
		     !!(g.flags & TCP_FLAG_FIN);
	if (g.flags & TCP_FLAG_ACK) {
		s->out_ack = g.ack;
	}
	if (g.opts.has_ts) {
		s->out_tsval = g.opts.ts_val;
	}
	c = conn_of(family, g.sport, g.dport);
	TRACE("  out slot %d %s flags %02x seq %u ack %u len %zu win %u%s | %s una %u nxt %u max %u rcv_nxt %u\n",
	      (int)(s - slots), c != NULL ? "" : "(no conn)", g.flags, g.seq, g.ack, g.payload_len,
	      g.window, g.opts.nb_sack ? " sack" : "", c != NULL ? tcp_state_name(c->state) : "-",
	      c != NULL ? c->snd_una : 0, c != NULL ? c->snd_nxt : 0, c != NULL ? c->snd_max : 0,
	      c != NULL ? c->rcv_nxt : 0);
	if (c == NULL) {
		/* Resets, and SYN-ACKs carrying a cookie. */
		CHECK((g.flags & TCP_FLAG_RST) ||
		      (g.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == (TCP_FLAG_SYN | TCP_FLAG_ACK));
		CHECK(g.payload_len == 0);
	} else {
		check_conn_seg(c, s, &g);
	}
	rte_pktmbuf_free(m);
}

/* ---- the application ------------------------------------------------------- */

static struct slot *cb_slot(struct tcp_conn *c)
{
	struct slot *s = tcp_conn_user(c);

	CHECK(s >= slots && s < slots + NSLOTS);
	CHECK(s->c == c && s->held);
	return s;
}

static void app_recv(struct slot *s)
{
	struct tcp_conn *c = s->c;
	uint32_t avail = tcp_conn_recv_avail(c), sum = 0, nb = 0;
	struct rte_mbuf *m = tcp_conn_recv(c), *x;

	if (m == NULL) {
		CHECK(avail == 0);
		return;
	}
	for (x = m; x != NULL; x = x->next) {
		const uint8_t *d = rte_pktmbuf_mtod(x, const uint8_t *);

		for (uint32_t i = 0; i < x->data_len; i++) {
			CHECK(d[i] == peer_byte(s->rx_next));
			s->rx_next++;
		}
		sum += x->data_len;
		nb++;
	}
	CHECK(sum == avail && m->pkt_len == sum && m->nb_segs == nb);
	CHECK(tcp_conn_recv_avail(c) == 0);
	rte_pktmbuf_free(m);
}

static void app_write(struct slot *s, uint32_t len)
{
	struct tcp_conn *c = s->c;
	uint32_t space = tcp_conn_send_space(c);
	int n;

	if (len > WRITE_MAX) {
		len = WRITE_MAX;
	}
	for (uint32_t i = 0; i < len; i++) {
		wbuf[i] = our_byte(s->tx_off + i);
	}
	n = tcp_conn_write(c, wbuf, len);
	CHECK(n == -EAGAIN || n == -EPIPE || n == -ENOBUFS || (n >= 0 && (uint32_t)n <= len));
	CHECK(n != -EAGAIN || space == 0);
	if (n >= 0) {
		CHECK((uint32_t)n <= space || len == 0);
		s->tx_off += (uint32_t)n;
	}
	if (n == -EPIPE) {
		CHECK(space == 0);
		return;
	}
	if (n < 0 || (uint32_t)n < len) {
		s->want_write = true;
		s->tx_pending = len - (n > 0 ? (uint32_t)n : 0);
	} else {
		s->tx_pending = 0;
	}
	CHECK(c->sndq.bytes <= st->conf.sndbuf || c->sndq.bytes < st->conf.sndbuf + max_chain);
}

/* tcp_conn_send with a chain of |len| bytes in pieces the bits of |shape| choose. */
static void app_send(struct slot *s, uint32_t len, uint16_t shape)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t done = 0, space = tcp_conn_send_space(s->c);
	uint16_t nb = 0;
	int rc;

	while (done < len || nb == 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool_tx);
		uint32_t piece = 1 + (shape & 0x3ff), room;
		uint8_t *d;

		if (m == NULL) {
			break;
		}
		room = rte_pktmbuf_tailroom(m);
		shape = (uint16_t)(shape * 40503u + 1);
		if ((shape & 0x1f) == 0 && nb > 0) {
			piece = 0; /* an empty segment inside the chain */
		}
		room = RTE_MIN(room, len - done);
		piece = RTE_MIN(piece, room);
		d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)piece);
		CHECK(d != NULL || piece == 0);
		for (uint32_t i = 0; i < piece; i++) {
			d[i] = our_byte(s->tx_off + done + i);
		}
		done += piece;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->pkt_len += m->data_len;
		}
		tail = m;
		nb++;
		if (nb >= 64) {
			break;
		}
	}
	if (head == NULL) {
		return;
	}
	head->nb_segs = nb;
	len = head->pkt_len;
	rc = tcp_conn_send(s->c, head);
	CHECK(rc == 0 || rc == -EAGAIN || rc == -EPIPE);
	TRACE("  send chain %u bytes %u segs space %u: %d\n", len, nb, space, rc);
	/* sndbuf is a soft limit for chains: taken whole while any space is left. */
	if (rc == 0) {
		CHECK(space > 0 || len == 0);
		s->tx_off += len;
		max_chain = RTE_MAX(max_chain, len);
	} else {
		CHECK(rc == -EPIPE || space == 0);
		rte_pktmbuf_free(head);
		if (rc == -EAGAIN) {
			s->want_write = true;
		}
	}
}

static void app_close(struct slot *s)
{
	s->app_closed = true;
	tcp_conn_close(s->c); /* |closed| now (reset, or nothing exchanged yet) or later */
}

static void app_abort(struct slot *s)
{
	s->app_closed = true;
	tcp_conn_abort(s->c);
	CHECK(s->c == NULL && !s->held); /* |closed| ran */
}

static void cb_new(struct slot *s, struct tcp_conn *c)
{
	TRACE("  cb %s slot %d\n", (c->flags & TCP_F_PASSIVE) ? "accept" : "connected",
	      (int)(s - slots));
	s->c = c;
	s->c_iss = c->iss;
	s->connected = true;
	s->held = true;
	s->app_closed = false;
	s->rx_next = c->irs + 1;
	if (c->flags & TCP_F_PASSIVE) {
		/* An active open keeps what the app wrote before |connected|. */
		s->want_write = false;
		s->tx_off = 0;
		s->tx_pending = 0;
	}
	tcp_conn_set_user(c, s);
}

static int cb_accept(struct tcp_conn *c, void *arg)
{
	struct slot *s = slot_by_tuple(c->family, c->key.rport);

	CHECK(!freeing);
	CHECK(arg == &listen_arg);
	CHECK(c->flags & TCP_F_PASSIVE);
	CHECK(s != NULL && s->kind == SK_PASSIVE && c->key.lport == 80);
	CHECK(c->state == TCP_ESTABLISHED);
	CHECK(s->c == NULL);
	if (accept_reject) {
		return -ECONNREFUSED;
	}
	cb_new(s, c);
	return 0;
}

static void cb_connected(struct tcp_conn *c)
{
	struct slot *s = tcp_conn_user(c);

	CHECK(!freeing);
	CHECK(s >= slots && s < slots + NSLOTS && s->kind == SK_ACTIVE);
	CHECK(s->c == c && !s->connected && !s->app_closed);
	CHECK(!(c->flags & TCP_F_PASSIVE) && c->state == TCP_ESTABLISHED);
	cb_new(s, c);
}

static void cb_readable(struct tcp_conn *c)
{
	struct slot *s = cb_slot(c);

	TRACE("  cb readable slot %d (%s)\n", (int)(s - slots), tcp_state_name(c->state));
	CHECK(!freeing);
	CHECK(!s->app_closed);
	CHECK(s->connected);
	if (s->autoread) {
		app_recv(s);
	}
	if (s->close_on_eof && tcp_conn_eof(c)) {
		app_close(s);
	}
}

static void cb_writable(struct tcp_conn *c)
{
	struct slot *s = tcp_conn_user(c);

	TRACE("  cb writable slot %d (%s)\n", (int)(s - slots), tcp_state_name(c->state));
	CHECK(s >= slots && s < slots + NSLOTS && s->c == c);
	/* An active open may have written before |connected|: |writable| may come first. */
	CHECK(s->connected || (s->kind == SK_ACTIVE && c->state == TCP_SYN_SENT));
	CHECK(!freeing);
	CHECK(!s->app_closed);
	CHECK(s->want_write);
	CHECK(tcp_conn_send_space(c) > 0);
	s->want_write = false;
	if (s->tx_pending > 0) {
		app_write(s, s->tx_pending);
	}
}

static void cb_closed(struct tcp_conn *c, int err)
{
	struct slot *s = cb_slot(c);

	TRACE("  cb closed slot %d err %d (%s)\n", (int)(s - slots), err, tcp_state_name(c->state));
	CHECK(err == 0 || err == -ECONNRESET || err == -ECONNREFUSED || err == -ETIMEDOUT ||
	      err == -ECONNABORTED);
	CHECK(!freeing || err == -ECONNABORTED);
	CHECK((c->flags & TCP_F_REAP) || c->state == TCP_TIME_WAIT);
	s->c = NULL;
	s->connected = false;
	s->held = false;
}

static const struct tcp_app_ops app_ops = {
	.accept = cb_accept,
	.connected = cb_connected,
	.readable = cb_readable,
	.writable = cb_writable,
	.closed = cb_closed,
};

static void app_connect(struct slot *s)
{
	struct tcp_conn *c = NULL;
	int rc;

	if (s->kind != SK_ACTIVE || s->c != NULL) {
		return;
	}
	/* The SYN leaves inside tcp_connect: the slot takes any local port until then. */
	s->lport = 0;
	rc = tcp_connect(st, 0, s->family, s->family == TCP_KEY_V4 ? peer4 : peer6, s->rport,
			 &app_ops, s, &c);
	CHECK(rc == 0 || rc == -ENOMEM || rc == -EADDRNOTAVAIL);
	if (rc != 0) {
		return;
	}
	CHECK(c != NULL && c->state == TCP_SYN_SENT && c->user == s);
	s->lport = c->key.lport;
	s->c = c;
	s->c_iss = c->iss;
	s->connected = false;
	s->held = true;
	s->app_closed = false;
	s->want_write = false;
	s->tx_off = 0;
	s->tx_pending = 0;
	s->edge_c = NULL;
}

/* ---- time ------------------------------------------------------------------ */

/*
 * When the next timer is due (UINT64_MAX: none), from the connections' own
 * wheel timers: tcp_stack_next_timer_us walks all 4096 slots, which under
 * coverage instrumentation costs most of a run. check_next_timer compares the
 * two once per input.
 */
static uint64_t next_timer_us(void)
{
	uint64_t t = UINT64_MAX;

	for (uint32_t i = 0; i < st->conf.max_conns; i++) {
		const struct tcp_conn *c = &st->conns[i];

		if (c->st == st && twheel_armed(&c->tm) && c->tm.expires * 1000 < t) {
			t = c->tm.expires * 1000;
		}
	}
	return t;
}

static void check_next_timer(void)
{
	CHECK(next_timer_us() == tcp_stack_next_timer_us(st));
}

static void advance_to(uint64_t target)
{
	for (int guard = 0; guard < 2000; guard++) {
		uint64_t nt = next_timer_us();
		uint64_t step;

		if (nt == UINT64_MAX) {
			break;
		}
		/* A timer due now fires at the next tick of the wheel. */
		step = nt <= now_us ? (now_us / 1000 + 1) * 1000 : nt;
		if (step > target) {
			break;
		}
		now_us = step;
		tcp_stack_tick(st, now_us);
		check_stack();
	}
	if (target > now_us) {
		now_us = target;
	}
	tcp_stack_tick(st, now_us);
	check_stack();
}

/* ---- segments from the peer -------------------------------------------------- */

static void deliver(void)
{
	uint16_t miss[BURST_MAX], nm;

	if (nburst == 0) {
		return;
	}
	nm = tcp_stack_input(st, burst, nburst, miss, now_us);
	CHECK(nm <= nburst);
	for (uint16_t i = 0; i < nm; i++) {
		CHECK(miss[i] < nburst && (i == 0 || miss[i] > miss[i - 1]));
		/* Only segments to the closed port, or to an active slot's old tuple. */
		CHECK(burst_kind[miss[i]] != SK_PASSIVE);
		rte_pktmbuf_free(burst[miss[i]].m);
	}
	nburst = 0;
	check_stack();
}

/* The IP packet (Ethernet header first) of a segment into an mbuf chain. */
static struct rte_mbuf *to_mbuf(const uint8_t *pkt, uint32_t len, bool split, uint8_t at)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool_rx), *m2;
	uint32_t k = len;
	uint8_t *d;

	CHECK(m != NULL);
	if (split && len >= 2) {
		k = 1 + (uint32_t)at * (len - 1) / 256;
	}
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)k);
	CHECK(d != NULL);
	memcpy(d, pkt, k);
	if (k < len) {
		m2 = rte_pktmbuf_alloc(pool_rx);
		CHECK(m2 != NULL);
		d = (uint8_t *)rte_pktmbuf_append(m2, (uint16_t)(len - k));
		CHECK(d != NULL);
		memcpy(d, pkt + k, len - k);
		CHECK(rte_pktmbuf_chain(m, m2) == 0);
	}
	return m;
}

struct segspec {
	struct slot *s;
	struct tcp_seg g;	 /* header fields and structured options */
	const uint8_t *raw;	 /* raw option bytes instead (raw_len of them) */
	uint8_t raw_len;
	uint32_t plen;
	uint8_t extra;		 /* EX_* */
	uint8_t split_at;
};

#define EX_BAD_CSUM 0x01
#define EX_SPLIT 0x02
#define EX_OL_MASK 0x0c /* 0 none, 4 RX L4 good, 8 bad, 12 unknown */
#define EX_PAD 0x10
#define EX_IP_OPTS 0x20
#define EX_ECN 0x40
#define EX_URG 0x80

static void send_seg(const struct segspec *sp)
{
	static uint8_t pkt[ETH_LEN + 64 + TCP_HDR_MAX + PAY_MAX + 16];
	const struct slot *s = sp->s;
	bool v4 = s->family == TCP_KEY_V4;
	uint32_t l3 = v4 ? ((sp->extra & EX_IP_OPTS) ? 24 : 20) : 40;
	uint8_t *ip = pkt + ETH_LEN, *tcp = ip + l3, *pay;
	uint32_t hlen, total, first;
	struct rte_mbuf *m;
	uint64_t ol = 0;

	if (nburst == BURST_MAX) {
		deliver();
	}
	memset(pkt, 0, ETH_LEN + l3);
	memcpy(pkt, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	wr16(pkt + 12, v4 ? 0x0800 : 0x86dd);
	if (sp->raw != NULL) {
		hlen = TCP_HDR_MIN + ((sp->raw_len + 3u) & ~3u);
		memset(tcp, 0, hlen);
		wr16(tcp, sp->g.sport);
		wr16(tcp + 2, sp->g.dport);
		wr32(tcp + 4, sp->g.seq);
		wr32(tcp + 8, sp->g.ack);
		tcp[12] = (uint8_t)(hlen / 4 << 4);
		tcp[13] = sp->g.flags;
		wr16(tcp + 14, sp->g.window);
		wr16(tcp + 18, sp->g.urg_ptr);
		memcpy(tcp + TCP_HDR_MIN, sp->raw, sp->raw_len);
	} else {
		int n = tcp_build(&sp->g, tcp, TCP_HDR_MAX);

		CHECK(n >= TCP_HDR_MIN);
		hlen = (uint32_t)n;
	}
	pay = tcp + hlen;
	first = sp->g.seq + !!(sp->g.flags & TCP_FLAG_SYN);
	for (uint32_t i = 0; i < sp->plen; i++) {
		pay[i] = peer_byte(first + i);
	}
	if (v4) {
		uint32_t sa, da;

		ip[0] = (uint8_t)(0x40 | l3 / 4);
		wr16(ip + 2, (uint16_t)(l3 + hlen + sp->plen));
		ip[6] = 0x40;
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, peer4, 4);
		memcpy(ip + 16, our4, 4);
		if (l3 > 20) {
			memset(ip + 20, 1, l3 - 20); /* NOPs */
		}
		{
			uint16_t ck = (uint16_t)~rte_raw_cksum(ip, l3);

			memcpy(ip + 10, &ck, 2);
		}
		memcpy(&sa, peer4, 4);
		memcpy(&da, our4, 4);
		tcp_csum4_fill(tcp, hlen, pay, sp->plen, sa, da);
	} else {
		wr32(ip, 6u << 28);
		wr16(ip + 4, (uint16_t)(hlen + sp->plen));
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, peer6, 16);
		memcpy(ip + 24, our6, 16);
		tcp_csum6_fill(tcp, hlen, pay, sp->plen, peer6, our6);
	}
	if (sp->extra & EX_BAD_CSUM) {
		tcp[TCP_OFF_CSUM] ^= 0x5a;
	}
	total = ETH_LEN + l3 + hlen + sp->plen;
	if (sp->extra & EX_PAD) {
		memset(pkt + total, 0xee, 6); /* Ethernet padding beyond the IP packet */
		total += 6;
	}
	m = to_mbuf(pkt, total, (sp->extra & EX_SPLIT) != 0, sp->split_at);
	switch (sp->extra & EX_OL_MASK) {
	case 4:
		ol = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		break;
	case 8:
		ol = RTE_MBUF_F_RX_L4_CKSUM_BAD;
		break;
	case 12:
		ol = RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;
		break;
	default:
		break;
	}
	m->ol_flags |= ol;
	TRACE("in  slot %d flags %02x seq %u ack %u len %u win %u ts %d/%u sack %u raw %u extra %02x\n",
	      (int)(s - slots), sp->g.flags, sp->g.seq, sp->g.ack, sp->plen, sp->g.window,
	      sp->g.opts.has_ts, sp->g.opts.ts_val, sp->g.opts.nb_sack, sp->raw_len, sp->extra);
	burst_kind[nburst] = s->kind;
	burst[nburst++] = (struct tcp_pkt){
		.m = m,
		.l3_off = ETH_LEN,
		.l4_off = (uint16_t)(ETH_LEN + l3),
		.l4_len = (uint16_t)(hlen + sp->plen),
		.family = s->family,
		.port_idx = 0,
	};
}

static const uint8_t flag_combos[16] = {
	TCP_FLAG_ACK,
	TCP_FLAG_ACK | TCP_FLAG_PSH,
	TCP_FLAG_SYN,
	TCP_FLAG_SYN | TCP_FLAG_ACK,
	TCP_FLAG_FIN | TCP_FLAG_ACK,
	TCP_FLAG_RST,
	TCP_FLAG_RST | TCP_FLAG_ACK,
	TCP_FLAG_FIN | TCP_FLAG_PSH | TCP_FLAG_ACK,
	TCP_FLAG_ACK,
	TCP_FLAG_ACK | TCP_FLAG_PSH,
	TCP_FLAG_ACK,
	TCP_FLAG_SYN | TCP_FLAG_ACK,
	TCP_FLAG_FIN | TCP_FLAG_ACK,
	TCP_FLAG_ACK | TCP_FLAG_URG,
	TCP_FLAG_ACK | TCP_FLAG_ECE,
	TCP_FLAG_FIN,
};

static uint16_t window_of(uint8_t w)
{
	if (w < 16) {
		return w;
	}
	return w == 255 ? 65535 : (uint16_t)(w * 257);
}

static uint32_t paylen_of(uint8_t l)
{
	return l < 128 ? l : RTE_MIN((uint32_t)(l - 128) * 16, (uint32_t)PAY_MAX);
}

static uint32_t peer_ts(const struct slot *s)
{
	return s->ts_base + (uint32_t)(now_us / 1000);
}

/* Record SEG: see the top of the file. */
static void op_seg(uint8_t op, struct rd *r, bool run)
{
	struct segspec sp;
	struct slot *s = &slots[(op >> 3) & 7];
	struct tcp_conn *c = run ? slot_conn(s) : NULL;
	uint8_t modes = get8(r), fcode = get8(r), nsack;
	int32_t seq_off = get_off(r), ack_off = get_off(r);
	uint16_t window = window_of(get8(r));
	uint32_t plen = paylen_of(get8(r)), seq = 0, ack = 0, una;
	uint8_t sackb = get8(r);
	static uint8_t raw[TCP_OPT_SPACE_MAX];

	memset(&sp, 0, sizeof(sp));
	sp.s = s;
	sp.plen = plen;
	switch (modes & 3) {
	case 0:
		seq = c != NULL ? c->rcv_nxt : s->out_ack;
		break;
	case 1:
		seq = c != NULL ? c->rcv_adv : s->out_ack + 65535;
		break;
	case 2:
		seq = s->peer_iss;
		break;
	default:
		seq = get32(r);
		break;
	}
	switch ((modes >> 2) & 3) {
	case 0:
		ack = c != NULL ? c->snd_una : s->out_end;
		break;
	case 1:
		ack = c != NULL ? c->snd_max : s->out_end;
		break;
	case 2:
		ack = s->out_end;
		break;
	default:
		ack = get32(r);
		break;
	}
	una = c != NULL ? c->snd_una : s->out_end;
	sp.g.seq = seq + (uint32_t)seq_off;
	sp.g.ack = ack + (uint32_t)ack_off;
	sp.g.flags = (fcode & 0x80) ? (uint8_t)(fcode & 0x7f) : flag_combos[fcode & 15];
	sp.g.window = window;
	sp.g.sport = s->rport;
	sp.g.dport = s->lport != 0 ? s->lport : 1;
	if (modes & 0x10) {
		sp.g.opts.has_ts = true;
		sp.g.opts.ts_val = peer_ts(s) + (uint32_t)(int8_t)get8(r);
		sp.g.opts.ts_ecr = s->out_tsval;
	}
	if (modes & 0x20) {
		sp.g.opts.has_mss = true;
		sp.g.opts.mss = get16(r);
	}
	if (modes & 0x40) {
		sp.g.opts.has_wscale = true;
		sp.g.opts.wscale = get8(r);
	}
	sp.g.opts.sack_permitted = (modes & 0x80) != 0;
	nsack = sackb & 7;
	if (nsack <= TCP_SACK_MAX_BLOCKS) {
		uint32_t unit = RTE_MAX((uint32_t)(c != NULL ? c->smss : 536) / 2, 1u);

		for (unsigned i = 0; i < nsack; i++) {
			uint8_t a = get8(r), b = get8(r);
			uint32_t left = una + (uint32_t)((int32_t)(int8_t)a * (int32_t)unit);

			sp.g.opts.sack[i].left = left;
			sp.g.opts.sack[i].right = left + ((b & 0x3f) + 1u) * unit - (b >> 6);
		}
		sp.g.opts.nb_sack = nsack;
		/* Keep to what fits beside the other options (tcp_build trims otherwise). */
	} else {
		sp.raw_len = (uint8_t)(get8(r) % (TCP_OPT_SPACE_MAX + 1));
		for (unsigned i = 0; i < sp.raw_len; i++) {
			raw[i] = get8(r);
		}
		sp.raw = raw;
	}
	if (op & 0x80) {
		sp.extra = get8(r);
		if (sp.extra & EX_SPLIT) {
			sp.split_at = get8(r);
		}
		if (sp.extra & EX_ECN) {
			sp.g.flags |= TCP_FLAG_ECE | TCP_FLAG_CWR;
		}
		if (sp.extra & EX_URG) {
			sp.g.urg_ptr = (uint16_t)(sp.plen + 1);
		}
	}
	if (!run) {
		return;
	}
	send_seg(&sp);
	if (!(op & 0x40)) {
		deliver();
	}
}

/* Record PEER: what a conforming peer would send next on the slot. */
static void op_peer(uint8_t op, struct rd *r, bool run)
{
	struct segspec sp;
	struct slot *s = &slots[(op >> 3) & 7];
	uint8_t l = get8(r), b = get8(r);
	struct tcp_conn *c;

	if (!run) {
		return;
	}
	c = slot_conn(s);
	memset(&sp, 0, sizeof(sp));
	sp.s = s;
	sp.g.sport = s->rport;
	sp.g.dport = s->lport != 0 ? s->lport : 1;
	sp.g.window = (uint16_t)(65535u >> (b >> 4));
	if ((c == NULL && s->kind == SK_PASSIVE && s->out_end == 0) ||
	    (c != NULL && c->state == TCP_SYN_SENT)) {
		/* SYN (to the listener) or SYN-ACK (to our active open). */
		sp.g.seq = s->peer_iss;
		sp.g.flags = TCP_FLAG_SYN;
		if (c != NULL) {
			sp.g.flags |= TCP_FLAG_ACK;
			sp.g.ack = c->snd_max;
		}
		sp.g.opts.has_mss = true;
		sp.g.opts.mss = 1460;
		sp.g.opts.has_ts = (b & 2) != 0;
		sp.g.opts.ts_val = peer_ts(s);
		sp.g.opts.ts_ecr = c != NULL ? s->out_tsval : 0;
		sp.g.opts.has_wscale = (b & 4) != 0;
		sp.g.opts.wscale = 7;
		sp.g.opts.sack_permitted = (b & 8) != 0;
		sp.g.window = 65535;
	} else {
		sp.g.seq = c != NULL ? c->rcv_nxt : s->out_ack;
		sp.g.ack = c != NULL ? c->snd_max : s->out_end;
		sp.g.flags = TCP_FLAG_ACK;
		sp.plen = paylen_of(l);
		if (sp.plen > 0) {
			sp.g.flags |= TCP_FLAG_PSH;
		}
		if (b & 1) {
			sp.g.flags |= TCP_FLAG_FIN;
		}
		if (c != NULL ? (c->flags & TCP_F_TS) != 0 : (b & 2) != 0) {
			sp.g.opts.has_ts = true;
			sp.g.opts.ts_val = peer_ts(s);
			sp.g.opts.ts_ecr = s->out_tsval;
		}
	}
	send_seg(&sp);
	deliver();
}

static void op_tick(struct rd *r, bool run)
{
	uint8_t v = get8(r);
	uint64_t ms;

	if (!run) {
		return;
	}
	if (v < 128) {
		ms = v + 1u;
	} else if (v < 192) {
		ms = (v - 127u) * 100u;
	} else {
		ms = (v - 191u) * 2000u;
	}
	TRACE("tick %u ms\n", (unsigned)ms);
	advance_to(now_us + ms * 1000);
}

static void op_timer(bool run)
{
	uint64_t nt;

	if (!run) {
		return;
	}
	nt = next_timer_us();
	if (nt == UINT64_MAX) {
		return;
	}
	if (nt <= now_us) {
		nt = (now_us / 1000 + 1) * 1000;
	}
	if (nt <= now_us + 300ull * 1000000) {
		TRACE("timer: +%u ms\n", (unsigned)((nt - now_us) / 1000));
		advance_to(nt);
	}
}

static void op_app(struct rd *r, bool run)
{
	uint8_t b = get8(r);
	uint16_t arg = get16(r);
	struct slot *s = &slots[b & 7];
	struct tcp_conn *c;
	struct tcp_conn_info info;

	if (!run) {
		return;
	}
	if ((b >> 3) % 12 == 8) {
		app_connect(s);
		tcp_stack_flush(st);
		check_stack();
		return;
	}
	c = app_conn(s);
	if (c == NULL) {
		return;
	}
	TRACE("app slot %d action %u arg %u (%s)\n", b & 7, (b >> 3) % 12, arg,
	      tcp_state_name(c->state));
	switch ((b >> 3) % 12) {
	case 0:
		app_write(s, arg < 0x8000 ? arg % 5000u : (arg - 0x8000u) * 8u);
		break;
	case 1:
		app_send(s, arg % 6000u, (uint16_t)(arg * 7u));
		break;
	case 2:
		app_recv(s);
		break;
	case 3:
		tcp_conn_shutdown(c); /* in SYN_SENT: |closed| (0) at once */
		break;
	case 4:
		app_close(s);
		break;
	case 5:
		app_abort(s);
		break;
	case 6:
		tcp_conn_set_nodelay(c, arg & 1);
		break;
	case 7:
		tcp_conn_set_keepalive(c, (arg & 0xff) * 20u, ((arg >> 8) & 15) * 100u, arg >> 12);
		break;
	case 9:
		s->autoread = !s->autoread;
		break;
	case 10:
		s->close_on_eof = !s->close_on_eof;
		break;
	default:
		tcp_conn_info(c, &info);
		CHECK(info.state == c->state && info.unread == c->rcvq.bytes);
		CHECK(info.unacked + info.unsent <= c->sndq.bytes + 1);
		if (arg % 16 == 0 && devnull != NULL) {
			tcp_stack_dump(devnull, st, 16);
		}
		break;
	}
	tcp_stack_flush(st);
	check_stack();
}

/* One record; returns false at the end of the input. */
static bool record(struct rd *r, bool run)
{
	uint8_t op;

	if (r->i >= r->n) {
		return false;
	}
	op = get8(r);
	switch (op & 7) {
	case 0:
	case 1:
	case 2:
		op_seg(op, r, run);
		break;
	case 3:
		op_tick(r, run);
		break;
	case 4:
	case 5:
		op_app(r, run);
		break;
	case 6:
		op_peer(op, r, run);
		break;
	default:
		op_timer(run);
		break;
	}
	return true;
}

/* ---- setup, drain, teardown ------------------------------------------------ */

static void eal_cleanup(void)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_mempool_free(pool_tx);
	rte_mempool_free(pool_rx);
	rte_eal_cleanup();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	char *eal[] = {"fuzz_tcp_stack", "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
		       "--no-shconf", "--file-prefix", prefix, "--log-level", "lib.eal:error",
		       NULL};
	cpu_set_t cpus;
	bool have_cpus;

	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "sbfuzz_tcpstk_%d", (int)getpid());
	/* EAL pins this thread to one core; parallel fuzzing jobs want their own. */
	have_cpus = sched_getaffinity(0, sizeof(cpus), &cpus) == 0;
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "fuzz_tcp_stack: EAL init failed\n");
		abort();
	}
	if (have_cpus) {
		(void)sched_setaffinity(0, sizeof(cpus), &cpus);
	}
	pool_tx = rte_pktmbuf_pool_create("fz_tx", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	pool_rx = rte_pktmbuf_pool_create("fz_rx", 8191, 0, 0, RTE_PKTMBUF_HEADROOM + 4096,
					  SOCKET_ID_ANY);
	if (pool_tx == NULL || pool_rx == NULL) {
		fprintf(stderr, "fuzz_tcp_stack: mempool: %s\n", rte_strerror(rte_errno));
		abort();
	}
	devnull = fopen("/dev/null", "w");
	verbose = getenv("FUZZ_TCP_STACK_VERBOSE") != NULL ? atoi(getenv("FUZZ_TCP_STACK_VERBOSE")) : 0;
	atexit(eal_cleanup);
	return 0;
}

static void setup(const uint8_t *h)
{
	static const uint32_t bufs[4] = {65536, 4096, 262144, 1024};
	struct tcp_stack_env env = {.emit = on_emit, .arg = &emit_arg, .pool = pool_tx};
	struct tcp_stack_port port = {.has_ip4 = true, .has_ip6 = true, .mtu = 1500};

	rte_srand(0x5eed);
	tcp_stack_conf_defaults(&conf);
	conf.sack = h[0] & 0x01;
	conf.timestamps = (h[0] & 0x02) != 0;
	conf.wscale = (h[0] & 0x04) != 0;
	conf.nodelay = (h[0] & 0x08) == 0;
	conf.syncookies = (h[0] & 0x10) == 0;
	conf.cc = (h[0] & 0x20) ? &tcp_cc_newreno_ops : &tcp_cc_cubic_ops;
	conf.keepalive = (h[0] & 0x40) != 0;
	accept_reject = (h[0] & 0x80) != 0 && (h[2] & 0x80) != 0;
	conf.rcvbuf = bufs[h[1] & 3];
	conf.sndbuf = bufs[(h[1] >> 2) & 3];
	conf.syn_backlog = (h[1] & 0x10) ? 1 : 256;
	conf.max_conns = (h[1] & 0x20) ? 3 : 16;
	port.mtu = (h[1] & 0x40) ? 9000 : (h[2] & 0x40) ? 576 : 1500;
	tx_csum = (h[2] & 0x20) != 0;
	port.tx_csum = tx_csum;
	conf.time_wait_ms = (h[2] & 0x04) ? 0 : 2000;
	conf.time_wait_max = (h[2] & 0x08) ? 1 : 4;
	conf.fin_wait2_ms = 3000;
	conf.delack_ms = 40;
	conf.min_rto_ms = 200;
	conf.max_retries = 4;
	conf.syn_retries = 2;
	conf.keep_idle_ms = 3000;
	conf.keep_intvl_ms = 500;
	conf.keep_cnt = 2;
	for (int i = 0; i < 32; i++) {
		conf.secret[i] = (uint8_t)(i * 29 + 3);
	}
	conf.seed = 7;

	now_us = START_US;
	nburst = 0;
	max_chain = 0;
	freeing = false;
	memset(slots, 0, sizeof(slots));
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *s = &slots[i];

		s->family = TCP_KEY_V4;
		s->kind = SK_PASSIVE;
		s->rport = (uint16_t)(40000 + i);
		s->lport = 80;
		s->peer_iss = 0x10000000u * (uint32_t)i + 1000u;
		s->ts_base = 0x01000000u * (uint32_t)i + 77u;
		s->autoread = (h[2] & 0x01) == 0;
		s->close_on_eof = (h[2] & 0x02) != 0;
	}
	slots[1].peer_iss = 0xfffff000u; /* wraps through 0 */
	slots[2].ts_base = 0x7ffffff0u;	 /* TSval wraps past 2^31 */
	slots[3].family = TCP_KEY_V6;
	slots[4].kind = SK_ACTIVE;
	slots[4].rport = 8080;
	slots[4].lport = 0;
	slots[5].kind = SK_ACTIVE;
	slots[5].family = TCP_KEY_V6;
	slots[5].rport = 8081;
	slots[5].lport = 0;
	slots[6].kind = SK_CLOSED_PORT;
	slots[6].lport = 81;

	st = tcp_stack_new("fz_tcpstk", SOCKET_ID_ANY, &conf, &env, now_us);
	if (st == NULL) {
		fprintf(stderr, "fuzz_tcp_stack: tcp_stack_new: %s\n", rte_strerror(rte_errno));
		abort();
	}
	memcpy(&port.ip4, our4, 4);
	memcpy(port.ip6, our6, 16);
	CHECK(tcp_stack_set_port(st, 0, &port) == 0);
	CHECK(tcp_listen(st, TCP_KEY_V4, NULL, 80, &app_ops, &listen_arg) == 0);
	CHECK(tcp_listen(st, TCP_KEY_V6, NULL, 80, &app_ops, &listen_arg) == 0);
	app_connect(&slots[(h[1] & 0x80) ? 5 : 4]);
	tcp_stack_flush(st);
	check_stack();
}

/*
 * The app lets go of everything, the peer falls silent: within 30 virtual
 * minutes the stack must free every connection (retries, FIN_WAIT_2 and
 * TIME_WAIT timers), except one probing a zero window (RFC 9293 3.8.6.1 lets
 * it probe for as long as the peer answers; here the probes go unanswered).
 */
static void drain(void)
{
	uint64_t end = now_us + 1800ull * 1000000;

	deliver();
	for (int i = 0; i < NSLOTS; i++) {
		if (app_conn(&slots[i]) != NULL) {
			app_close(&slots[i]);
		}
	}
	tcp_stack_flush(st);
	check_stack();
	for (int guard = 0; guard < 4000 && now_us < end; guard++) {
		uint64_t nt = next_timer_us();

		if (nt == UINT64_MAX || nt > end) {
			break;
		}
		now_us = nt <= now_us ? (now_us / 1000 + 1) * 1000 : nt;
		tcp_stack_tick(st, now_us);
		check_stack();
	}
	for (uint32_t i = 0; i < st->conf.max_conns; i++) {
		const struct tcp_conn *c = &st->conns[i];

		CHECK(c->state == TCP_CLOSED || (c->flags & TCP_F_PERSIST));
	}
}

static void teardown(void)
{
	deliver();
	if (verbose) {
		tcp_stack_dump(stderr, st, 16);
	}
	freeing = true;
	tcp_stack_free(st);
	st = NULL;
	for (int i = 0; i < NSLOTS; i++) {
		CHECK(slots[i].c == NULL && !slots[i].held);
	}
	/* Every mbuf is back: nothing leaked (nor freed twice, as far as counts tell). */
	CHECK(rte_mempool_avail_count(pool_tx) == pool_tx->size);
	CHECK(rte_mempool_avail_count(pool_rx) == pool_rx->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = {.p = data, .n = size, .i = HDR_LEN};

	if (size < HDR_LEN) {
		return 0;
	}
	cur_data = data;
	cur_size = size;
	if (pool_tx == NULL) {
		LLVMFuzzerInitialize(NULL, NULL);
	}
	setup(data);
	while (record(&r, true)) {
	}
	deliver();
	check_stack();
	check_next_timer();
	if (data[2] & 0x10) {
		drain();
	}
	teardown();
	return 0;
}

/* ---- structure-aware mutation ---------------------------------------------- */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Offsets of the records of |data| (at most |max|); returns how many. */
static size_t records(const uint8_t *data, size_t size, size_t *off, size_t max)
{
	struct rd r = {.p = data, .n = size, .i = HDR_LEN};
	size_t n = 0;

	while (n < max && r.i < r.n) {
		off[n++] = r.i;
		(void)record(&r, false);
	}
	return n;
}

/* A plausible record into |b| (room for 64); returns its length. */
static size_t gen_record(uint8_t *b, uint32_t *s)
{
	uint32_t x = rnd(s);
	uint8_t slot = (uint8_t)((x >> 8) % 7);
	size_t n = 0;

	switch (x % 8) {
	case 0:
	case 1: /* in-window segment: seq = RCV.NXT, ack = SND.MAX, small offsets */
		b[n++] = (uint8_t)((x >> 4) % 3 | slot << 3 | ((x >> 12) & 1) << 6);
		b[n++] = (uint8_t)(0 | 1 << 2 | ((x >> 13) & 1) << 4);
		b[n++] = (uint8_t)(rnd(s) % 16);
		b[n++] = (uint8_t)((x >> 14) & 1 ? rnd(s) : 0);
		b[n++] = (uint8_t)((x >> 15) & 1 ? rnd(s) : 0);
		b[n++] = (uint8_t)(rnd(s) | 0x40);
		b[n++] = (uint8_t)rnd(s);
		b[n++] = (uint8_t)((x >> 16) % 5);
		if ((x >> 13) & 1) {
			b[n++] = (uint8_t)(rnd(s) % 4);
		}
		for (unsigned i = 0; i < (x >> 16) % 5; i++) {
			b[n++] = (uint8_t)(rnd(s) % 16);
			b[n++] = (uint8_t)rnd(s);
		}
		break;
	case 2: /* a well-behaved peer */
	case 3:
		b[n++] = (uint8_t)(6 | slot << 3);
		b[n++] = (uint8_t)rnd(s);
		b[n++] = (uint8_t)(rnd(s) & 0x1f);
		break;
	case 4:
		b[n++] = 3;
		b[n++] = (uint8_t)rnd(s);
		break;
	case 5:
	case 6:
		b[n++] = 4;
		b[n++] = (uint8_t)(slot | (rnd(s) % 12) << 3);
		b[n++] = (uint8_t)rnd(s);
		b[n++] = (uint8_t)rnd(s);
		break;
	default:
		b[n++] = 7;
		break;
	}
	return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static size_t off[4096];
	uint32_t s = seed | 1;
	uint32_t r = rnd(&s);
	uint8_t rec[64];
	size_t n, len, at;

	if (max_size < HDR_LEN + 64) {
		return LLVMFuzzerMutate(data, size, max_size);
	}
	if (size < HDR_LEN || r % 16 == 0) {
		/* A fresh scenario: random configuration, then plausible records. */
		size = 0;
		for (int i = 0; i < HDR_LEN; i++) {
			data[size++] = (uint8_t)rnd(&s);
		}
		for (unsigned k = 4 + rnd(&s) % 40; k > 0 && size + 64 <= max_size; k--) {
			len = gen_record(rec, &s);
			memcpy(data + size, rec, len);
			size += len;
		}
		return size;
	}
	n = records(data, size, off, RTE_DIM(off));
	switch ((r >> 4) % 8) {
	case 0:
	case 1: /* insert a plausible record at a record boundary */
		len = gen_record(rec, &s);
		if (size + len > max_size) {
			break;
		}
		at = n == 0 ? size : off[rnd(&s) % n];
		memmove(data + at + len, data + at, size - at);
		memcpy(data + at, rec, len);
		return size + len;
	case 2: /* delete a record */
		if (n > 0) {
			size_t k = rnd(&s) % n;
			size_t end = k + 1 < n ? off[k + 1] : size;

			memmove(data + off[k], data + end, size - end);
			return size - (end - off[k]);
		}
		break;
	case 3: /* duplicate a record */
		if (n > 0) {
			size_t k = rnd(&s) % n;
			size_t end = k + 1 < n ? off[k + 1] : size;

			len = end - off[k];
			if (size + len <= max_size && len <= sizeof(rec)) {
				memcpy(rec, data + off[k], len);
				memmove(data + end + len, data + end, size - end);
				memcpy(data + end, rec, len);
				return size + len;
			}
		}
		break;
	default:
		break;
	}
	return LLVMFuzzerMutate(data, size, max_size);
}
