/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the TCP state machine (dataplane/tcp/tcp_stack.c,
 * tcp_input.c, tcp_output.c, tcp_timer.c): two stacks back to back on a
 * virtual clock (tcp_world.c), and crafted segments injected into one of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "tcp_world.h"

/* ---- test applications --------------------------------------------- */

struct app {
	struct tcp_conn *c;
	uint8_t *rx;
	size_t rx_len, rx_cap;
	bool no_read;	     /* leave data unread (zero window tests) */
	bool close_on_eof;
	bool eof;
	bool connected;
	bool closed;
	int closed_err;
	const uint8_t *tx;
	size_t tx_len, tx_off;
	bool shutdown_after; /* FIN once tx is all queued */
	bool echo;
	struct rte_mbuf *pending; /* echo data waiting for send space */
	unsigned readable_calls;
};

static struct app srv; /* the accepted connection's app */
static struct app cli; /* A's side; global so late callbacks never touch a dead frame */

static void pump(struct app *a)
{
	while (a->tx_off < a->tx_len) {
		int n = tcp_conn_write(a->c, a->tx + a->tx_off, (uint32_t)(a->tx_len - a->tx_off));

		if (n <= 0) {
			return;
		}
		a->tx_off += (size_t)n;
	}
	if (a->shutdown_after) {
		tcp_conn_shutdown(a->c);
	}
}

static void app_readable(struct tcp_conn *c)
{
	struct app *a = tcp_conn_user(c);
	struct rte_mbuf *m;

	a->readable_calls++;
	if (a->pending != NULL) {
		if (tcp_conn_send(c, a->pending) != 0) {
			return; /* still no room: |writable| follows */
		}
		a->pending = NULL;
	}
	if (!a->no_read) {
		while ((m = tcp_conn_recv(c)) != NULL) {
			for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
				if (a->rx_len + s->data_len > a->rx_cap) {
					a->rx_cap = (a->rx_len + s->data_len) * 2;
					a->rx = realloc(a->rx, a->rx_cap);
				}
				memcpy(a->rx + a->rx_len, rte_pktmbuf_mtod(s, void *), s->data_len);
				a->rx_len += s->data_len;
			}
			if (a->echo) {
				int rc = tcp_conn_send(c, m);

				assert_true(rc == 0 || rc == -EAGAIN);
				if (rc == -EAGAIN) {
					a->pending = m; /* stop reading: the window closes */
					return;
				}
			} else {
				rte_pktmbuf_free(m);
			}
		}
	}
	if (tcp_conn_eof(c)) {
		a->eof = true;
		if (a->close_on_eof) {
			tcp_conn_close(c);
		}
	}
}

static void app_writable(struct tcp_conn *c)
{
	struct app *a = tcp_conn_user(c);

	if (a->echo) {
		app_readable(c);
		return;
	}
	pump(a);
}

static void app_connected(struct tcp_conn *c)
{
	struct app *a = tcp_conn_user(c);

	a->connected = true;
	pump(a);
}

static void app_closed(struct tcp_conn *c, int err)
{
	struct app *a = tcp_conn_user(c);

	a->closed = true;
	a->closed_err = err;
	a->c = NULL;
}

static int app_accept(struct tcp_conn *c, void *arg)
{
	struct app *a = arg;

	a->c = c;
	a->connected = true;
	tcp_conn_set_user(c, a);
	pump(a);
	return 0;
}

static const struct tcp_app_ops ops = {
	.accept = app_accept,
	.connected = app_connected,
	.readable = app_readable,
	.writable = app_writable,
	.closed = app_closed,
};

static void app_reset(struct app *a)
{
	rte_pktmbuf_free(a->pending);
	free(a->rx);
	memset(a, 0, sizeof(*a));
}

static uint8_t *pattern(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n);

	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	return p;
}

static bool stop_both_closed(void *arg)
{
	struct app *ca = arg;

	return ca->closed && srv.closed;
}

static bool stop_connected(void *arg)
{
	struct app *ca = arg;

	return ca->connected && srv.connected;
}

static struct world *w;

static int setup(void **state)
{
	(void)state;
	app_reset(&srv);
	app_reset(&cli);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (w != NULL) {
		world_free(w);
		w = NULL;
	}
	app_reset(&srv);
	app_reset(&cli);
	return 0;
}

/* Open A -> B:port with |cli| as A's app; B listens with |srv|. */
static void open_conn(struct app *ca, uint8_t family, uint16_t port)
{
	const uint8_t *dst = family == TCP_KEY_V4 ? world_ip4[1] : world_ip6[1];

	assert_int_equal(tcp_listen(w->n[1].st, family, NULL, port, &ops, &srv), 0);
	assert_int_equal(tcp_connect(w->n[0].st, 0, family, dst, port, &ops, ca, &ca->c), 0);
	ca->c->user = ca;
	tcp_stack_flush(w->n[0].st);
	world_run(w, 5000000, stop_connected, ca);
	assert_true(ca->connected);
	assert_true(srv.connected);
}

/* ---- handshake and options ------------------------------------------ */

static void test_handshake_negotiates_options(void **state)
{
	struct tcp_conn_info a, b;

	(void)state;
	w = world_new(NULL, NULL, 500);
	open_conn(&cli, TCP_KEY_V4, 7);
	tcp_conn_info(cli.c, &a);
	tcp_conn_info(srv.c, &b);
	assert_int_equal(a.state, TCP_ESTABLISHED);
	assert_int_equal(b.state, TCP_ESTABLISHED);
	assert_true(a.ts && a.sack && a.wscale);
	assert_true(b.ts && b.sack && b.wscale);
	/* 256 KiB buffers need a shift of 3; each side uses the other's. */
	assert_int_equal(a.rcv_wscale, 3);
	assert_int_equal(a.snd_wscale, b.rcv_wscale);
	/* MSS 1460 less the 12 bytes of timestamps. */
	assert_int_equal(a.smss, 1448);
	assert_int_equal(a.rmss, 1460);
	/* One RTT sample from the handshake: about 1 ms. */
	assert_true(a.srtt_us >= 900 && a.srtt_us <= 1100);
	app_reset(&cli);
}

static void test_handshake_without_options(void **state)
{
	struct tcp_stack_conf c;
	struct tcp_conn_info a;

	(void)state;
	tcp_stack_conf_defaults(&c);
	c.sack = c.timestamps = c.wscale = false;
	w = world_new(&c, NULL, 500);
	open_conn(&cli, TCP_KEY_V4, 7);
	tcp_conn_info(srv.c, &a);
	assert_false(a.ts || a.sack || a.wscale);
	assert_int_equal(a.smss, 1460);
	assert_int_equal(a.rcv_wscale, 0);
	app_reset(&cli);
}

static void test_ipv6_handshake_mss(void **state)
{
	struct tcp_conn_info a;

	(void)state;
	w = world_new(NULL, NULL, 500);
	open_conn(&cli, TCP_KEY_V6, 80);
	tcp_conn_info(cli.c, &a);
	assert_int_equal(a.family, TCP_KEY_V6);
	assert_int_equal(a.rmss, 1440);
	assert_int_equal(a.smss, 1428);
	app_reset(&cli);
}

static void test_syn_to_closed_port_is_a_miss(void **state)
{
	struct tcp_seg s = {.sport = 40000, .dport = 81, .seq = 1000, .flags = TCP_FLAG_SYN,
			    .window = 1000};

	(void)state;
	w = world_new(NULL, NULL, 500);
	world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0);
	assert_int_equal(w->n[1].misses, 1);
}

/* ---- data transfer ------------------------------------------------- */

static void transfer(struct app *ca, size_t n, uint8_t family)
{
	uint8_t *data = pattern(n, 42);

	ca->tx = data;
	ca->tx_len = n;
	ca->shutdown_after = true;
	srv.close_on_eof = true;
	open_conn(ca, family, 5001);
	world_run(w, 600ull * 1000000, stop_both_closed, ca);
	assert_true(srv.eof);
	assert_int_equal(srv.rx_len, n);
	assert_memory_equal(srv.rx, data, n);
	assert_true(ca->closed);
	assert_int_equal(ca->closed_err, 0);
	assert_int_equal(srv.closed_err, 0);
	free(data);
}

static void test_bulk_4mib_clean_link(void **state)
{
	const struct tcp_stack_stats *sa;

	(void)state;
	w = world_new(NULL, NULL, 1000);
	transfer(&cli, 4u << 20, TCP_KEY_V4);
	sa = tcp_stack_stats(w->n[0].st);
	assert_int_equal(sa->ctr[TCP_CTR_RETRANS], 0);
	/* The active closer holds TIME_WAIT. */
	assert_int_equal(sa->by_state[TCP_TIME_WAIT], 1);
	/* A clean transfer of 4 MiB at 2 ms RTT with 256 KiB windows: window-limited, ~32 ms+. */
	assert_true(w->now_us - 1000000 < 200000);
	app_reset(&cli);
}

static void test_bulk_with_loss_reorder_dup_sack(void **state)
{
	const struct tcp_stack_stats *sa;

	(void)state;
	w = world_new(NULL, NULL, 1000);
	w->loss = 0.01;
	w->reorder = 0.01;
	w->dup = 0.001;
	transfer(&cli, 4u << 20, TCP_KEY_V4);
	sa = tcp_stack_stats(w->n[0].st);
	if (getenv("TEST_VERBOSE")) {
		fprintf(stderr, "4 MiB in %.3f s virtual: %" PRIu64 " retransmissions, %" PRIu64
			" recoveries, %" PRIu64 " RTOs\n",
			(double)(w->now_us - 1000000) / 1e6, sa->ctr[TCP_CTR_RETRANS],
			sa->ctr[TCP_CTR_FAST_RECOVERY], sa->ctr[TCP_CTR_RTO]);
	}
	assert_true(sa->ctr[TCP_CTR_RETRANS] > 0);
	assert_true(sa->ctr[TCP_CTR_FAST_RECOVERY] > 0);
	assert_true(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_OOO_SEGS] > 0);
	app_reset(&cli);
}

static void test_bulk_with_loss_newreno_no_sack(void **state)
{
	struct tcp_stack_conf c;

	(void)state;
	tcp_stack_conf_defaults(&c);
	c.sack = false;
	c.cc = &tcp_cc_newreno_ops;
	w = world_new(&c, &c, 1000);
	w->loss = 0.01;
	w->reorder = 0.005;
	transfer(&cli, 2u << 20, TCP_KEY_V4);
	if (getenv("TEST_VERBOSE")) {
		tcp_stack_dump(stderr, w->n[0].st, 4);
		tcp_stack_dump(stderr, w->n[1].st, 4);
	}
	assert_true(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_FAST_RECOVERY] > 0);
	app_reset(&cli);
}

static void test_bulk_ipv6_heavy_loss(void **state)
{

	(void)state;
	w = world_new(NULL, NULL, 2000);
	w->loss = 0.05;
	transfer(&cli, 1u << 20, TCP_KEY_V6);
	assert_true(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_RTO] > 0 ||
		    tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_FAST_RECOVERY] > 0);
	app_reset(&cli);
}

static void test_echo_both_ways(void **state)
{
	size_t n = 1u << 20;
	uint8_t *data = pattern(n, 7);

	(void)state;
	w = world_new(NULL, NULL, 300);
	w->loss = 0.005;
	srv.echo = true;
	srv.close_on_eof = true;
	cli.tx = data;
	cli.tx_len = n;
	cli.shutdown_after = true;
	open_conn(&cli, TCP_KEY_V4, 7);
	world_run(w, 600ull * 1000000, stop_both_closed, &cli);
	assert_true(cli.eof);
	assert_int_equal(cli.rx_len, n);
	assert_memory_equal(cli.rx, data, n);
	free(data);
	app_reset(&cli);
}

/* ---- zero window, persist ------------------------------------------- */

/* A sends |n| bytes of |data| to B, which reads nothing and has a 64 KiB buffer: its window shuts. */
static void zero_window_setup(uint8_t *data, size_t n)
{
	struct tcp_stack_conf c;

	tcp_stack_conf_defaults(&c);
	c.rcvbuf = 65536;
	w = world_new(NULL, &c, 500);
	srv.no_read = true;
	cli.tx = data;
	cli.tx_len = n;
	open_conn(&cli, TCP_KEY_V4, 9);
	world_run(w, 10ull * 1000000, NULL, NULL);
}

static void test_zero_window_probe_and_reopen(void **state)
{
	size_t n = 200000;
	uint8_t *data = pattern(n, 3);
	struct tcp_conn_info bi;

	(void)state;
	zero_window_setup(data, n);
	/* B's buffer is full, its window closed; A probes. */
	tcp_conn_info(srv.c, &bi);
	assert_int_equal(bi.rcv_wnd, 0);
	assert_int_equal(bi.unread, 65536);
	assert_true(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_ZWP_SENT] > 0);
	assert_false(cli.closed);
	/* The app reads: the window reopens and everything arrives. */
	srv.no_read = false;
	app_readable(srv.c);
	tcp_stack_flush(w->n[1].st);
	world_run(w, 10ull * 1000000, NULL, NULL);
	assert_int_equal(srv.rx_len, n);
	assert_memory_equal(srv.rx, data, n);
	free(data);
	app_reset(&cli);
}

/* persist_max_ms caps the probes' backoff: a peer holding its window shut is heard at least that often. */
static void test_zero_window_probe_cap(void **state)
{
	size_t n = 200000;
	uint8_t *data = pattern(n, 5);
	struct tcp_stack_conf a, b;
	uint64_t probes;

	(void)state;
	tcp_stack_conf_defaults(&a);
	a.persist_max_ms = 1000;
	tcp_stack_conf_defaults(&b);
	b.rcvbuf = 65536;
	w = world_new(&a, &b, 500);
	srv.no_read = true;
	cli.tx = data;
	cli.tx_len = n;
	open_conn(&cli, TCP_KEY_V4, 9);
	world_run(w, 10ull * 1000000, NULL, NULL);
	probes = tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_ZWP_SENT];
	assert_true(probes > 0);
	/* 30 s more of a shut window: a probe at least every second (uncapped: about 5). */
	world_run(w, 30ull * 1000000, NULL, NULL);
	assert_true(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_ZWP_SENT] - probes >= 29);
	assert_false(cli.closed);
	free(data);
	app_reset(&cli);
}

/* A connection its app has closed (an orphan) does not probe a shut window for ever. */
static void test_orphan_zero_window_gives_up(void **state)
{
	size_t n = 200000;
	uint8_t *data = pattern(n, 4);
	uint64_t probes;

	(void)state;
	zero_window_setup(data, n);
	probes = tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_ZWP_SENT];
	assert_true(probes > 0);
	/* The peer answers every probe, window still 0; a live connection keeps probing. */
	world_run(w, 60ull * 1000000, NULL, NULL);
	assert_false(cli.closed);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->conns, 1);
	/* Once closed by its app, it gives up after orphan_retries probes and resets the peer. */
	tcp_conn_close(cli.c);
	tcp_stack_flush(w->n[0].st);
	probes = tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_ZWP_SENT];
	world_run(w, 600ull * 1000000, NULL, NULL);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->conns, 0);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_TIMEOUTS], 1);
	assert_true(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_ZWP_SENT] - probes <= 8);
	assert_true(srv.closed);
	assert_int_equal(srv.closed_err, -ECONNRESET);
	free(data);
	app_reset(&cli);
}

/* ---- tail loss probe (RFC 8985 7) and limited transmit (RFC 3042) ------ */

#define SEG 1448u /* the world's SMSS with timestamps */

/* Which of A's first transmissions and which of B's ACKs the link loses. */
struct drop_plan {
	uint32_t iss;
	int seg[4];	    /* segment indexes (payload offset / SEG) dropped once each */
	bool seg_done[4];
	int nseg;
	uint32_t ack_rel;   /* drop B's first pure ACK of this many bytes (0: none) */
	bool ack_done;
};

static bool drop_plan_filter(struct world *ww, const struct wseg *s, void *arg)
{
	struct drop_plan *d = arg;

	(void)ww;
	if (s->from == 0 && (s->seg.flags & TCP_FLAG_SYN)) {
		d->iss = s->seg.seq;
		return true;
	}
	if (s->from == 0 && s->seg.payload_len > 0) {
		int idx = (int)((s->seg.seq - d->iss - 1) / SEG);

		for (int i = 0; i < d->nseg; i++) {
			if (d->seg[i] == idx && !d->seg_done[i]) {
				d->seg_done[i] = true;
				return false;
			}
		}
	}
	if (s->from == 1 && d->ack_rel != 0 && !d->ack_done && s->seg.payload_len == 0 &&
	    s->seg.ack == d->iss + 1 + d->ack_rel) {
		d->ack_done = true;
		return false;
	}
	return true;
}

/*
 * A writes |nseg| full segments (within its initial window) to B through
 * |d|'s losses; everything must arrive in 150 ms of virtual time, before
 * the 200 ms RTO could have fired.
 */
static const struct tcp_stack_stats *tail_loss_run(struct drop_plan *d, uint32_t nseg)
{
	size_t n = (size_t)nseg * SEG;
	uint8_t *data = pattern(n, 9);
	const struct tcp_stack_stats *sa;

	w = world_new(NULL, NULL, 500);
	w->filter = drop_plan_filter;
	w->filter_arg = d;
	cli.tx = data;
	cli.tx_len = n;
	open_conn(&cli, TCP_KEY_V4, 5001);
	world_run(w, 150000, NULL, NULL);
	assert_int_equal(srv.rx_len, n);
	assert_memory_equal(srv.rx, data, n);
	for (int i = 0; i < d->nseg; i++) {
		assert_true(d->seg_done[i]);
	}
	sa = tcp_stack_stats(w->n[0].st);
	assert_int_equal(sa->ctr[TCP_CTR_RTO], 0);
	assert_int_equal(sa->ctr[TCP_CTR_TLP], 1);
	free(data);
	return sa;
}

/*
 * The last segment lost, and the ACK of the rest: the probe resends the last
 * segment, and that counts as a repaired loss. (With that ACK through, one
 * segment is left in flight and RFC 8985 puts the probe after the RTO.)
 */
static void test_tlp_resends_lost_tail_segment(void **state)
{
	struct drop_plan d = {.seg = {9}, .nseg = 1, .ack_rel = 9 * SEG};
	const struct tcp_stack_stats *sa;

	(void)state;
	sa = tail_loss_run(&d, 10);
	assert_int_equal(sa->ctr[TCP_CTR_TLP_RECOVERY], 1);
	assert_int_equal(sa->ctr[TCP_CTR_FAST_RECOVERY], 0);
	assert_int_equal(sa->ctr[TCP_CTR_RETRANS], 1);
	app_reset(&cli);
}

/* The last two lost: the probe (the last) is SACKed, so the one before it is lost. */
static void test_tlp_sacked_probe_starts_recovery(void **state)
{
	struct drop_plan d = {.seg = {8, 9}, .nseg = 2};
	const struct tcp_stack_stats *sa;

	(void)state;
	sa = tail_loss_run(&d, 10);
	assert_int_equal(sa->ctr[TCP_CTR_TLP_RECOVERY], 1);
	assert_int_equal(sa->ctr[TCP_CTR_FAST_RECOVERY], 1);
	assert_int_equal(sa->ctr[TCP_CTR_RETRANS], 2);
	app_reset(&cli);
}

/* All data arrived, the ACK was lost: the probe draws a D-SACK, no congestion response. */
static void test_tlp_after_lost_ack_is_not_a_loss(void **state)
{
	struct drop_plan d = {.ack_rel = 10 * SEG};
	const struct tcp_stack_stats *sa;

	(void)state;
	sa = tail_loss_run(&d, 10);
	assert_true(d.ack_done);
	assert_int_equal(sa->ctr[TCP_CTR_TLP_RECOVERY], 0);
	assert_int_equal(sa->ctr[TCP_CTR_FAST_RECOVERY], 0);
	app_reset(&cli);
}

/* ---- RTO ------------------------------------------------------------ */

static bool drop_all_from_a(struct world *ww, const struct wseg *s, void *arg)
{
	(void)ww;
	(void)arg;
	return s->from != 0;
}

static void test_rto_backoff_and_timeout(void **state)
{
	struct tcp_stack_conf c;
	uint8_t buf[1000] = {1};
	uint64_t t[4] = {0};
	unsigned nt = 0;

	(void)state;
	tcp_stack_conf_defaults(&c);
	c.max_retries = 4;
	w = world_new(&c, NULL, 500);
	open_conn(&cli, TCP_KEY_V4, 9);
	w->filter = drop_all_from_a;
	w->capture = true;
	assert_int_equal(tcp_conn_write(cli.c, buf, sizeof(buf)), (int)sizeof(buf));
	tcp_stack_flush(w->n[0].st);
	world_run(w, 120ull * 1000000, NULL, NULL);
	for (uint32_t i = 0; i < w->ncap && nt < 4; i++) {
		if (w->cap[i].from == 0 && w->cap[i].seg.payload_len == 1000) {
			t[nt++] = w->cap[i].at_us;
		}
	}
	assert_int_equal(nt, 4);
	if (getenv("TEST_VERBOSE")) {
		fprintf(stderr, "rto gaps %lu %lu %lu\n", (unsigned long)(t[1] - t[0]), (unsigned long)(t[2] - t[1]), (unsigned long)(t[3] - t[2]));
	}
	/* RTO 200 ms floor, then doubling (RFC 6298 5.5). */
	assert_true(t[1] - t[0] >= 200000 && t[1] - t[0] <= 215000);
	assert_true(t[2] - t[1] >= 2 * (t[1] - t[0]) - 2000);
	assert_true(t[3] - t[2] >= 2 * (t[2] - t[1]) - 2000);
	assert_true(cli.closed);
	assert_int_equal(cli.closed_err, -ETIMEDOUT);
	app_reset(&cli);
}

static bool drop_syns(struct world *ww, const struct wseg *s, void *arg)
{
	(void)ww;
	(void)arg;
	return !(s->seg.flags & TCP_FLAG_SYN);
}

static void test_syn_retries_then_timeout(void **state)
{

	(void)state;
	w = world_new(NULL, NULL, 500);
	w->filter = drop_syns;
	assert_int_equal(tcp_listen(w->n[1].st, TCP_KEY_V4, NULL, 80, &ops, &srv), 0);
	assert_int_equal(tcp_connect(w->n[0].st, 0, TCP_KEY_V4, world_ip4[1], 80, &ops, &cli,
				     &cli.c),
			 0);
	tcp_stack_flush(w->n[0].st);
	world_run(w, 300ull * 1000000, NULL, NULL);
	/* The failed open ends with |closed|, never |connected|. */
	assert_false(cli.connected);
	assert_true(cli.closed);
	assert_int_equal(cli.closed_err, -ETIMEDOUT);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->conns, 0);
	assert_true(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_TIMEOUTS] == 1);
	app_reset(&cli);
}

/* ---- crafted segments -------------------------------------------------- */

/* B's side of a connection A -> B (the peer's view): seq numbers to craft segments. */
struct peer_view {
	uint32_t seq;	/* A's next sequence number (B's RCV.NXT) */
	uint32_t ack;	/* B's SND.NXT */
	uint32_t tsval; /* a TSval of A's */
	uint32_t tsecr;
};

static void view(struct peer_view *v)
{
	struct tcp_conn *b = srv.c;

	v->seq = b->rcv_nxt;
	v->ack = b->snd_nxt;
	v->tsval = b->ts_recent + 1;
	v->tsecr = tcp_ts_now(b);
}

static struct tcp_seg craft(const struct app *ca, const struct peer_view *v, uint32_t seq,
			    uint8_t flags)
{
	struct tcp_seg s = {0};

	s.sport = ca->c->key.lport;
	s.dport = ca->c->key.rport;
	s.seq = seq;
	s.ack = v->ack;
	s.flags = flags;
	s.window = 1000;
	s.opts.has_ts = true;
	s.opts.ts_val = v->tsval;
	s.opts.ts_ecr = v->tsecr;
	return s;
}

/* The last segment B emitted (captured). */
static const struct tcp_seg *last_from_b(void)
{
	for (uint32_t i = w->ncap; i-- > 0;) {
		if (w->cap[i].from == 1) {
			return &w->cap[i].seg;
		}
	}
	return NULL;
}

static void crafted_setup(struct app *ca, struct peer_view *v)
{
	w = world_new(NULL, NULL, 500);
	open_conn(ca, TCP_KEY_V4, 7);
	world_run(w, 100000, NULL, NULL);
	/* From now on A is silent (we speak for it) and B's output is recorded. */
	w->filter = NULL;
	w->capture = true;
	w->ncap = 0;
	view(v);
}

static void test_out_of_order_gets_sack_then_fill(void **state)
{
	struct peer_view v;
	uint8_t d[300];
	struct tcp_seg s;
	const struct tcp_seg *o;

	(void)state;
	memset(d, 'x', sizeof(d));
	crafted_setup(&cli, &v);
	/* Bytes 100..199 arrive first: immediate ACK of RCV.NXT with a SACK block. */
	s = craft(&cli, &v, v.seq + 100, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d, 100);
	o = last_from_b();
	assert_non_null(o);
	assert_int_equal(o->ack, v.seq);
	assert_int_equal(o->opts.nb_sack, 1);
	assert_int_equal(o->opts.sack[0].left, v.seq + 100);
	assert_int_equal(o->opts.sack[0].right, v.seq + 200);
	assert_int_equal(srv.rx_len, 0);
	/* 250..299, a second block; the newest block comes first (RFC 2018 4). */
	s = craft(&cli, &v, v.seq + 250, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d, 50);
	o = last_from_b();
	assert_int_equal(o->opts.nb_sack, 2);
	assert_int_equal(o->opts.sack[0].left, v.seq + 250);
	assert_int_equal(o->opts.sack[1].left, v.seq + 100);
	/* An overlapping segment 50..149 and then 0..59 fill up to 200. */
	s = craft(&cli, &v, v.seq + 50, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d, 100);
	s = craft(&cli, &v, v.seq, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d, 60);
	o = last_from_b();
	assert_int_equal(o->ack, v.seq + 200);
	assert_int_equal(o->opts.nb_sack, 1);
	assert_int_equal(srv.rx_len, 200);
	/* 200..249 completes it. */
	s = craft(&cli, &v, v.seq + 200, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d, 50);
	o = last_from_b();
	assert_int_equal(o->ack, v.seq + 300);
	assert_int_equal(o->opts.nb_sack, 0);
	assert_int_equal(srv.rx_len, 300);
	app_reset(&cli);
}

static void test_retransmitted_and_overlapping_data(void **state)
{
	struct peer_view v;
	uint8_t d[200];
	struct tcp_seg s;

	(void)state;
	for (int i = 0; i < 200; i++) {
		d[i] = (uint8_t)i;
	}
	crafted_setup(&cli, &v);
	s = craft(&cli, &v, v.seq, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d, 100);
	/* The same again (a retransmission): an immediate duplicate ACK, nothing delivered twice. */
	w->ncap = 0;
	world_inject(w, 1, TCP_KEY_V4, &s, d, 100);
	assert_non_null(last_from_b());
	assert_int_equal(last_from_b()->ack, v.seq + 100);
	/* ... reporting the duplicate as a D-SACK block (RFC 2883 4.1.1). */
	assert_int_equal(last_from_b()->opts.nb_sack, 1);
	assert_int_equal(last_from_b()->opts.sack[0].left, v.seq);
	assert_int_equal(last_from_b()->opts.sack[0].right, v.seq + 100);
	/* 50..199 overlapping the delivered part: only 100..199 is new; 50..99 is D-SACKed. */
	w->ncap = 0;
	s = craft(&cli, &v, v.seq + 50, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d + 50, 150);
	assert_non_null(last_from_b());
	assert_int_equal(last_from_b()->ack, v.seq + 200);
	assert_int_equal(last_from_b()->opts.nb_sack, 1);
	assert_int_equal(last_from_b()->opts.sack[0].left, v.seq + 50);
	assert_int_equal(last_from_b()->opts.sack[0].right, v.seq + 100);
	world_run(w, 100000, NULL, NULL);
	assert_int_equal(srv.rx_len, 200);
	assert_memory_equal(srv.rx, d, 200);
	assert_true(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_DUP_SEGS] >= 2);
	app_reset(&cli);
}

/*
 * A's stack never sent what we injected in its name, so it answers B's ACK
 * as an ACK of unsent data, and B answers A's as out of the window: the
 * classic ACK storm, held to one answer per 500 ms on each side.
 */
static void test_ack_storm_is_rate_limited(void **state)
{
	struct peer_view v;
	uint8_t d[100] = {0};
	struct tcp_seg s;
	uint32_t from_b = 0;

	(void)state;
	crafted_setup(&cli, &v);
	s = craft(&cli, &v, v.seq, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d, 100);
	world_run(w, 2000000, NULL, NULL);
	for (uint32_t i = 0; i < w->ncap; i++) {
		from_b += w->cap[i].from == 1;
	}
	assert_true(from_b <= 8);
	assert_true(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_OOW_LIMITED] +
			    tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_OOW_LIMITED] >
		    0);
	assert_int_equal(srv.rx_len, 100);
	app_reset(&cli);
}

static void test_window_edges_trimmed(void **state)
{
	struct peer_view v;
	uint32_t wnd;
	uint8_t *d;
	struct tcp_seg s;

	(void)state;
	crafted_setup(&cli, &v);
	wnd = srv.c->rcv_adv - srv.c->rcv_nxt;
	d = pattern(1u << 22, 5); /* more than any window */
	/* A segment beyond the right edge is not acceptable: dropped, ACKed. */
	s = craft(&cli, &v, v.seq + wnd, TCP_FLAG_ACK);
	w->ncap = 0;
	world_inject(w, 1, TCP_KEY_V4, &s, d, 500);
	assert_int_equal(last_from_b()->ack, v.seq);
	assert_int_equal(srv.c->nb_ooo, 0);
	/* One straddling the right edge keeps only what fits (held out of order). */
	wnd = srv.c->rcv_adv - srv.c->rcv_nxt;
	s = craft(&cli, &v, v.seq + wnd - 100, TCP_FLAG_ACK);
	world_inject(w, 1, TCP_KEY_V4, &s, d + wnd - 100, 500);
	assert_int_equal(srv.c->nb_ooo, 1);
	assert_int_equal(srv.c->ooo[0].len, 100);
	free(d);
	app_reset(&cli);
}

static void test_paws_rejects_old_timestamp(void **state)
{
	struct peer_view v;
	uint8_t d[100] = {0};
	struct tcp_seg s;

	(void)state;
	crafted_setup(&cli, &v);
	s = craft(&cli, &v, v.seq, TCP_FLAG_ACK);
	s.opts.ts_val = v.tsval - 10; /* older than TS.Recent */
	world_inject(w, 1, TCP_KEY_V4, &s, d, 100);
	assert_int_equal(srv.rx_len, 0);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_PAWS_REJECT], 1);
	assert_int_equal(last_from_b()->ack, v.seq); /* ACKed, not taken */
	/* A current timestamp is taken. */
	s.opts.ts_val = v.tsval + 5;
	world_inject(w, 1, TCP_KEY_V4, &s, d, 100);
	world_run(w, 100000, NULL, NULL);
	assert_int_equal(srv.rx_len, 100);
	assert_int_equal(srv.c->ts_recent, v.tsval + 5);
	app_reset(&cli);
}

static void test_rst_in_window_challenge_then_exact(void **state)
{
	struct peer_view v;
	struct tcp_seg s;

	(void)state;
	crafted_setup(&cli, &v);
	/* RFC 5961 3.2: in the window but not RCV.NXT: challenge ACK, connection stays. */
	s = craft(&cli, &v, v.seq + 10, TCP_FLAG_RST);
	world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0);
	assert_false(srv.closed);
	assert_non_null(last_from_b());
	assert_int_equal(last_from_b()->flags & TCP_FLAG_ACK, TCP_FLAG_ACK);
	assert_int_equal(last_from_b()->ack, v.seq);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_CHALLENGE_ACKS], 1);
	/* Outside the window: ignored, no answer at all (not even an ACK to an RST). */
	w->ncap = 0;
	s = craft(&cli, &v, v.seq - 5000000, TCP_FLAG_RST);
	world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0);
	assert_false(srv.closed);
	assert_null(last_from_b());
	/* Exactly RCV.NXT: reset. */
	s = craft(&cli, &v, v.seq, TCP_FLAG_RST);
	world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0);
	assert_true(srv.closed);
	assert_int_equal(srv.closed_err, -ECONNRESET);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->conns, 0);
	app_reset(&cli);
}

static void test_syn_in_established_gets_challenge_ack(void **state)
{
	struct peer_view v;
	struct tcp_seg s;

	(void)state;
	crafted_setup(&cli, &v);
	s = craft(&cli, &v, v.seq + 77, TCP_FLAG_SYN);
	world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0);
	assert_false(srv.closed);
	assert_int_equal(last_from_b()->flags, TCP_FLAG_ACK);
	assert_int_equal(last_from_b()->ack, v.seq);
	app_reset(&cli);
}

static void test_ack_of_unsent_data_ignored(void **state)
{
	struct peer_view v;
	uint8_t d[10] = {0};
	struct tcp_seg s;

	(void)state;
	crafted_setup(&cli, &v);
	s = craft(&cli, &v, v.seq, TCP_FLAG_ACK);
	s.ack = v.ack + 100000;
	world_inject(w, 1, TCP_KEY_V4, &s, d, 10);
	assert_int_equal(srv.c->snd_una, v.ack);
	assert_int_equal(srv.rx_len, 0); /* dropped after the ACK check */
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_ACK_UNSENT], 1);
	app_reset(&cli);
}

static void test_delayed_ack_after_quickack(void **state)
{
	struct peer_view v;
	uint8_t d[10] = {0};
	struct tcp_seg s;
	uint64_t t0;

	(void)state;
	crafted_setup(&cli, &v);
	srv.c->quickack = 0;
	s = craft(&cli, &v, v.seq, TCP_FLAG_ACK | TCP_FLAG_PSH);
	t0 = w->now_us;
	world_inject(w, 1, TCP_KEY_V4, &s, d, 10);
	assert_null(last_from_b()); /* no immediate ACK for one small segment */
	world_run(w, 100000, NULL, NULL);
	assert_non_null(last_from_b());
	assert_int_equal(last_from_b()->ack, v.seq + 10);
	/* 40 ms delayed-ACK timer (1 ms wheel granularity). */
	assert_true(w->cap[0].at_us - t0 >= 39000 && w->cap[0].at_us - t0 <= 42000);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_DELAYED_ACKS], 1);
	app_reset(&cli);
}

static void test_nagle_holds_small_segments(void **state)
{
	uint8_t d[10] = {0};
	unsigned small = 0;

	(void)state;
	w = world_new(NULL, NULL, 5000);
	open_conn(&cli, TCP_KEY_V4, 9);
	w->capture = true;
	w->ncap = 0;
	tcp_conn_set_nodelay(cli.c, false);
	/* Three small writes in one go: the first leaves, the rest wait for its ACK. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tcp_conn_write(cli.c, d, 10), 10);
		tcp_stack_flush(w->n[0].st);
	}
	for (uint32_t i = 0; i < w->ncap; i++) {
		small += w->cap[i].from == 0 && w->cap[i].seg.payload_len > 0;
	}
	assert_int_equal(small, 1);
	world_run(w, 100000, NULL, NULL);
	assert_int_equal(srv.rx_len, 30);
	/* With nodelay (the default) each write leaves at once. */
	tcp_conn_set_nodelay(cli.c, true);
	w->ncap = 0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tcp_conn_write(cli.c, d, 10), 10);
		tcp_stack_flush(w->n[0].st);
	}
	small = 0;
	for (uint32_t i = 0; i < w->ncap; i++) {
		small += w->cap[i].from == 0 && w->cap[i].seg.payload_len > 0;
	}
	assert_int_equal(small, 3);
	app_reset(&cli);
}

static void test_keepalive_probes_and_timeout(void **state)
{

	(void)state;
	w = world_new(NULL, NULL, 500);
	open_conn(&cli, TCP_KEY_V4, 9);
	tcp_conn_set_keepalive(cli.c, 1000, 500, 3);
	/* The peer answers probes: the connection lives. */
	world_run(w, 5ull * 1000000, NULL, NULL);
	assert_false(cli.closed);
	assert_true(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_KEEPALIVES_SENT] >= 3);
	/* The peer goes silent: 3 probes unanswered, then the connection is dropped. */
	w->filter = drop_all_from_a;
	world_run(w, 5ull * 1000000, NULL, NULL);
	assert_true(cli.closed);
	assert_int_equal(cli.closed_err, -ETIMEDOUT);
	app_reset(&cli);
}

/* ---- closing ---------------------------------------------------------- */

static void test_time_wait_expires_and_is_bounded(void **state)
{
	struct tcp_stack_conf c;
	static struct app clis[3];

	(void)state;
	tcp_stack_conf_defaults(&c);
	c.time_wait_ms = 2000;
	c.time_wait_max = 2;
	w = world_new(&c, NULL, 500);
	assert_int_equal(tcp_listen(w->n[1].st, TCP_KEY_V4, NULL, 9, &ops, &srv), 0);
	for (int i = 0; i < 3; i++) {
		memset(&clis[i], 0, sizeof(clis[i]));
		app_reset(&srv);
		srv.close_on_eof = true;
		assert_int_equal(tcp_connect(w->n[0].st, 0, TCP_KEY_V4, world_ip4[1], 9, &ops,
					     &clis[i], &clis[i].c),
				 0);
		tcp_stack_flush(w->n[0].st);
		world_run(w, 100000, stop_connected, &clis[i]);
		tcp_conn_close(clis[i].c);
		tcp_stack_flush(w->n[0].st);
		world_run(w, 100000, NULL, NULL);
		assert_true(clis[i].closed);
	}
	/* Three closes, at most two in TIME_WAIT. */
	assert_int_equal(tcp_stack_stats(w->n[0].st)->by_state[TCP_TIME_WAIT], 2);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->ctr[TCP_CTR_TW_DROPPED], 1);
	world_run(w, 2500000, NULL, NULL);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->by_state[TCP_TIME_WAIT], 0);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->conns, 0);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->conns, 0);
}

static void test_simultaneous_close(void **state)
{

	(void)state;
	w = world_new(NULL, NULL, 5000);
	open_conn(&cli, TCP_KEY_V4, 9);
	tcp_conn_close(cli.c);
	tcp_conn_close(srv.c);
	tcp_stack_flush(w->n[0].st);
	tcp_stack_flush(w->n[1].st);
	world_run(w, 1000000, NULL, NULL);
	/* Both went through CLOSING into TIME_WAIT. */
	assert_int_equal(tcp_stack_stats(w->n[0].st)->by_state[TCP_TIME_WAIT], 1);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->by_state[TCP_TIME_WAIT], 1);
	assert_true(cli.closed && srv.closed);
	app_reset(&cli);
}

static void test_close_with_unread_data_resets(void **state)
{
	uint8_t d[100] = {0};

	(void)state;
	w = world_new(NULL, NULL, 500);
	srv.no_read = true;
	open_conn(&cli, TCP_KEY_V4, 9);
	assert_int_equal(tcp_conn_write(cli.c, d, 100), 100);
	tcp_stack_flush(w->n[0].st);
	world_run(w, 100000, NULL, NULL);
	tcp_conn_close(srv.c);
	tcp_stack_flush(w->n[1].st);
	world_run(w, 100000, NULL, NULL);
	assert_true(cli.closed);
	assert_int_equal(cli.closed_err, -ECONNRESET);
	app_reset(&cli);
}

static void test_abort_sends_rst(void **state)
{

	(void)state;
	w = world_new(NULL, NULL, 500);
	open_conn(&cli, TCP_KEY_V4, 9);
	tcp_conn_abort(cli.c);
	assert_true(cli.closed);
	assert_int_equal(cli.closed_err, -ECONNABORTED);
	tcp_stack_flush(w->n[0].st);
	world_run(w, 100000, NULL, NULL);
	assert_true(srv.closed);
	assert_int_equal(srv.closed_err, -ECONNRESET);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->conns, 0);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->conns, 0);
	app_reset(&cli);
}

static void test_connect_refused(void **state)
{
	struct tcp_seg rst;

	(void)state;
	w = world_new(NULL, NULL, 500);
	assert_int_equal(tcp_connect(w->n[0].st, 0, TCP_KEY_V4, world_ip4[1], 4444, &ops, &cli,
				     &cli.c),
			 0);
	tcp_stack_flush(w->n[0].st);
	/* B has no listener: the harness counts a miss; answer as tcp_closed would. */
	world_run(w, 2000, NULL, NULL);
	assert_int_equal(w->n[1].misses, 1);
	memset(&rst, 0, sizeof(rst));
	rst.sport = 4444;
	rst.dport = cli.c->key.lport;
	rst.seq = 0;
	rst.ack = cli.c->iss + 1;
	rst.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	world_inject(w, 0, TCP_KEY_V4, &rst, NULL, 0);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->conns, 0);
	assert_false(cli.connected);
	assert_true(cli.closed);
	assert_int_equal(cli.closed_err, -ECONNREFUSED);
	app_reset(&cli);
}

/* An app that lets go of an open before the handshake hears |closed| once, never |connected|. */
static void test_connect_closed_or_aborted_in_syn_sent(void **state)
{
	(void)state;
	w = world_new(NULL, NULL, 500);
	assert_int_equal(tcp_listen(w->n[1].st, TCP_KEY_V4, NULL, 80, &ops, &srv), 0);
	assert_int_equal(tcp_connect(w->n[0].st, 0, TCP_KEY_V4, world_ip4[1], 80, &ops, &cli,
				     &cli.c),
			 0);
	tcp_conn_close(cli.c);
	assert_true(cli.closed);
	assert_int_equal(cli.closed_err, 0);
	tcp_stack_flush(w->n[0].st);
	world_run(w, 2000, NULL, NULL);
	assert_false(cli.connected);
	assert_false(srv.connected);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->conns, 0);
	app_reset(&cli);

	assert_int_equal(tcp_connect(w->n[0].st, 0, TCP_KEY_V4, world_ip4[1], 80, &ops, &cli,
				     &cli.c),
			 0);
	tcp_stack_flush(w->n[0].st);
	tcp_conn_abort(cli.c);
	assert_true(cli.closed);
	assert_int_equal(cli.closed_err, -ECONNABORTED);
	world_run(w, 2000, NULL, NULL);
	assert_false(cli.connected);
	assert_int_equal(tcp_stack_stats(w->n[0].st)->conns, 0);
	app_reset(&cli);
}

/* ---- SYN queue and cookies ------------------------------------------- */

static void test_syn_flood_answered_with_cookies(void **state)
{
	struct tcp_stack_conf c;
	struct tcp_seg s = {0};

	(void)state;
	tcp_stack_conf_defaults(&c);
	c.syn_backlog = 4;
	w = world_new(NULL, &c, 500);
	assert_int_equal(tcp_listen(w->n[1].st, TCP_KEY_V4, NULL, 80, &ops, &srv), 0);
	/* Four half-open connections fill the queue. */
	for (int i = 0; i < 4; i++) {
		s = (struct tcp_seg){.sport = (uint16_t)(1000 + i), .dport = 80, .seq = 5,
				     .flags = TCP_FLAG_SYN, .window = 100};
		s.opts.has_mss = true;
		s.opts.mss = 1460;
		world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0);
	}
	assert_int_equal(tcp_stack_stats(w->n[1].st)->by_state[TCP_SYN_RECEIVED], 4);
	/* A real client now gets a cookie and still connects. */
	assert_int_equal(tcp_connect(w->n[0].st, 0, TCP_KEY_V4, world_ip4[1], 80, &ops, &cli,
				     &cli.c),
			 0);
	tcp_stack_flush(w->n[0].st);
	world_run(w, 1000000, stop_connected, &cli);
	assert_true(srv.connected);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_SYNCOOKIES_SENT], 1);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_SYNCOOKIES_OK], 1);
	/* And data flows both ways on the cookie connection, with options. */
	assert_true(srv.c->flags & TCP_F_TS);
	assert_true(srv.c->flags & TCP_F_SACK);
	assert_int_equal(tcp_conn_write(cli.c, "hello", 5), 5);
	tcp_stack_flush(w->n[0].st);
	world_run(w, 100000, NULL, NULL);
	assert_int_equal(srv.rx_len, 5);
	app_reset(&cli);
}

static bool drop_first_pure_ack_from_a(struct world *ww, const struct wseg *s, void *arg)
{
	bool *dropped = arg;

	(void)ww;
	if (s->from == 0 && s->seg.flags == TCP_FLAG_ACK && s->seg.payload_len == 0 && !*dropped) {
		*dropped = true;
		return false;
	}
	return true;
}

/* A cookie connection whose handshake ACK is lost is made by the first data segment. */
static void test_cookie_connection_survives_lost_ack(void **state)
{
	struct tcp_stack_conf c;
	struct tcp_seg s = {0};
	bool dropped = false;

	(void)state;
	tcp_stack_conf_defaults(&c);
	c.syn_backlog = 1;
	w = world_new(NULL, &c, 500);
	assert_int_equal(tcp_listen(w->n[1].st, TCP_KEY_V4, NULL, 80, &ops, &srv), 0);
	s = (struct tcp_seg){.sport = 999, .dport = 80, .seq = 5, .flags = TCP_FLAG_SYN,
			     .window = 100};
	world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0); /* fills the queue of one */
	w->filter = drop_first_pure_ack_from_a;
	w->filter_arg = &dropped;
	assert_int_equal(tcp_connect(w->n[0].st, 0, TCP_KEY_V4, world_ip4[1], 80, &ops, &cli,
				     &cli.c),
			 0);
	tcp_stack_flush(w->n[0].st);
	world_run(w, 100000, NULL, NULL);
	assert_true(dropped);
	assert_true(cli.connected);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_SYNCOOKIES_SENT], 1);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_SYNCOOKIES_OK], 0);
	assert_int_equal(tcp_conn_write(cli.c, "hello", 5), 5);
	tcp_stack_flush(w->n[0].st);
	world_run(w, 100000, NULL, NULL);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->ctr[TCP_CTR_SYNCOOKIES_OK], 1);
	assert_true(srv.connected);
	assert_int_equal(srv.rx_len, 5);
	assert_memory_equal(srv.rx, "hello", 5);
	w->filter = NULL;
	app_reset(&cli);
}

/* The peer's SYN again in SYN_RECEIVED (our SYN-ACK lost): the same SYN-ACK at once. */
static void test_syn_again_in_syn_received_gets_synack(void **state)
{
	struct tcp_seg s = {0}, first;

	(void)state;
	w = world_new(NULL, NULL, 500);
	assert_int_equal(tcp_listen(w->n[1].st, TCP_KEY_V4, NULL, 80, &ops, &srv), 0);
	w->capture = true;
	s = (struct tcp_seg){.sport = 2000, .dport = 80, .seq = 77, .flags = TCP_FLAG_SYN,
			     .window = 100};
	s.opts.has_mss = true;
	s.opts.mss = 1460;
	world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0);
	assert_non_null(last_from_b());
	first = *last_from_b();
	assert_int_equal(first.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	w->ncap = 0;
	world_inject(w, 1, TCP_KEY_V4, &s, NULL, 0);
	assert_non_null(last_from_b());
	assert_int_equal(last_from_b()->flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(last_from_b()->seq, first.seq);
	assert_int_equal(last_from_b()->ack, 78);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->by_state[TCP_SYN_RECEIVED], 1);
	/* Data beyond the window before the handshake: the SYN-ACK again, not a bare ACK. */
	w->ncap = 0;
	s.flags = TCP_FLAG_ACK;
	s.seq = 78 + 10000000;
	s.ack = first.seq + 1;
	world_inject(w, 1, TCP_KEY_V4, &s, "x", 1);
	assert_non_null(last_from_b());
	assert_int_equal(last_from_b()->flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(tcp_stack_stats(w->n[1].st)->by_state[TCP_SYN_RECEIVED], 1);
}

/* ---- congestion control selectable ------------------------------------ */

static void test_cc_selectable(void **state)
{
	struct tcp_stack_conf c;

	(void)state;
	tcp_stack_conf_defaults(&c);
	c.cc = &tcp_cc_newreno_ops;
	w = world_new(&c, NULL, 500);
	open_conn(&cli, TCP_KEY_V4, 9);
	assert_ptr_equal(cli.c->cc.ops, &tcp_cc_newreno_ops);
	assert_ptr_equal(srv.c->cc.ops, &tcp_cc_cubic_ops);
	app_reset(&cli);
}

int main(void)
{
	char prefix[64];
	char *eal[] = {"test_tcp_stack", "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
		       "--no-shconf", "--file-prefix", prefix, "--log-level", "lib.eal:error",
		       NULL};
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_handshake_negotiates_options),
		T(test_handshake_without_options),
		T(test_ipv6_handshake_mss),
		T(test_syn_to_closed_port_is_a_miss),
		T(test_bulk_4mib_clean_link),
		T(test_bulk_with_loss_reorder_dup_sack),
		T(test_bulk_with_loss_newreno_no_sack),
		T(test_bulk_ipv6_heavy_loss),
		T(test_echo_both_ways),
		T(test_zero_window_probe_and_reopen),
		T(test_zero_window_probe_cap),
		T(test_orphan_zero_window_gives_up),
		T(test_tlp_resends_lost_tail_segment),
		T(test_tlp_sacked_probe_starts_recovery),
		T(test_tlp_after_lost_ack_is_not_a_loss),
		T(test_rto_backoff_and_timeout),
		T(test_syn_retries_then_timeout),
		T(test_out_of_order_gets_sack_then_fill),
		T(test_retransmitted_and_overlapping_data),
		T(test_ack_storm_is_rate_limited),
		T(test_window_edges_trimmed),
		T(test_paws_rejects_old_timestamp),
		T(test_rst_in_window_challenge_then_exact),
		T(test_syn_in_established_gets_challenge_ack),
		T(test_ack_of_unsent_data_ignored),
		T(test_delayed_ack_after_quickack),
		T(test_nagle_holds_small_segments),
		T(test_keepalive_probes_and_timeout),
		T(test_time_wait_expires_and_is_bounded),
		T(test_simultaneous_close),
		T(test_close_with_unread_data_resets),
		T(test_abort_sends_rst),
		T(test_connect_refused),
		T(test_connect_closed_or_aborted_in_syn_sent),
		T(test_syn_flood_answered_with_cookies),
		T(test_syn_again_in_syn_received_gets_synack),
		T(test_cookie_connection_survives_lost_ack),
		T(test_cc_selectable),
	};
	int rc;

	snprintf(prefix, sizeof(prefix), "sbunit_tcpstk_%d", getpid());
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	if (getenv("TEST_FILTER") != NULL) {
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	snprintf(prefix, sizeof(prefix), "/var/run/dpdk/sbunit_tcpstk_%d", getpid());
	rmdir(prefix);
	return rc;
}
