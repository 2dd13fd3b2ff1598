/* SPDX-License-Identifier: Apache-2.0 */
/* bench_slim_tcp.c - bench-slim's whole path over TCP on net_ring (bench_slim_tcp.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_cycles.h>

#include "bench_ring.h"
#include "bench_slim_app.h"
#include "bench_slim_tcp.h"
#include "grpc_frame.h"
#include "app/grpc_tcp.h"
#include "slim_node.h"

#define SLIM_PORT 46357
#define STALL_S 10
#define REPEAT_MAX 15

struct app {
	const char *role;
	struct bslim_app app;
	struct grpc_cconn *cc;
	struct grpc_ccall *call;
	bool acked;   /* subscriber: its SubscriptionAck came */
	bool blocked; /* publisher: grpc_ccall_send said -EAGAIN, on_writable not yet */
	bool failed;
	uint64_t got, got_bytes;
};

static struct bring_side sa = {.name = "A"}, sb = {.name = "B"};
static struct grpc_tcp *ga, *gb;
static struct slim_node *node;
static struct grpc_server *srv;
static struct app sub = {.role = "subscriber"}, pubr = {.role = "publisher"};
static uint8_t *pub_msg;
static size_t pub_len;
static uint64_t target, sent;
static unsigned batch_max, window;
static bool sending;
static bool closing; /* teardown: the calls' ends are expected */

static void send_framed(struct app *a, uint8_t *buf, size_t len)
{
	if (grpc_ccall_send(a->call, buf + GRPC_PREFIX_LEN, len - GRPC_PREFIX_LEN) != 0) {
		fprintf(stderr, "bench-slim: the %s could not send\n", a->role);
		a->failed = true;
	}
	free(buf);
}

static int c_message(struct grpc_ccall *call, const uint8_t *msg, size_t len, void *arg)
{
	struct app *a = arg;
	size_t n;

	(void)call;
	if (!a->app.negotiated) {
		if (bslim_link_reply(&a->app, msg, len) != 0) {
			fprintf(stderr, "bench-slim: the %s's link negotiation failed\n", a->role);
			a->failed = true;
			return -EPROTO;
		}
		if (a == &sub) {
			uint8_t *buf = bslim_subscribe(&a->app, &n);

			send_framed(a, buf, n);
		}
		return 0;
	}
	if (a == &sub && !a->acked) {
		a->acked = bslim_is_ack(msg, len);
		if (!a->acked) {
			fprintf(stderr, "bench-slim: the subscription was not acked\n");
			a->failed = true;
		}
		return 0;
	}
	/* Delivered publishes: counted, not decoded (the app's business, not the node's). */
	a->got++;
	a->got_bytes += len;
	return 0;
}

static void c_writable(struct grpc_ccall *call, void *arg)
{
	struct app *a = arg;

	(void)call;
	a->blocked = false;
}

static void c_done(struct grpc_ccall *call, int status, const char *message,
		   const struct h2_header *trl, uint32_t n, void *arg)
{
	struct app *a = arg;

	(void)call;
	(void)trl;
	(void)n;
	a->call = NULL;
	if (status != GRPC_OK && !closing) {
		fprintf(stderr, "bench-slim: the %s's OpenChannel ended: status %d %s\n", a->role,
			status, message);
		a->failed = true;
	}
}

static const struct grpc_ccall_ops cops = {
	.on_message = c_message,
	.on_writable = c_writable,
	.on_done = c_done,
};

static void d_connected(struct grpc_cconn *cc, void *arg)
{
	struct app *a = arg;
	uint8_t *buf;
	size_t n;

	if (grpc_cconn_start(cc, SLIM_OPEN_CHANNEL, NULL, 0, 0, &cops, a, &a->call) != 0) {
		fprintf(stderr, "bench-slim: the %s could not start OpenChannel\n", a->role);
		a->failed = true;
		return;
	}
	buf = bslim_link_request(&a->app, &n);
	send_framed(a, buf, n);
}

static void d_closed(struct grpc_cconn *cc, int err, void *arg)
{
	struct app *a = arg;

	(void)cc;
	a->cc = NULL;
	a->call = NULL;
	if (closing) {
		return;
	}
	fprintf(stderr, "bench-slim: the %s's connection closed (%d)\n", a->role, err);
	a->failed = true;
}

static const struct grpc_tcp_dial_ops dops = {.connected = d_connected, .closed = d_closed};

/* A's app work at the start of its turn: timers, the publisher's sends, their flush. */
static void a_pre(void)
{
	grpc_tcp_tick(ga, bring_now_us() / 1000);
	if (sending && !pubr.blocked && pubr.call != NULL) {
		for (unsigned k = 0; k < batch_max && sent < target && sent - sub.got < window;
		     k++) {
			int rc = grpc_ccall_send(pubr.call, pub_msg + GRPC_PREFIX_LEN,
						 pub_len - GRPC_PREFIX_LEN);

			if (rc == -EAGAIN) {
				pubr.blocked = true;
				break;
			}
			if (rc != 0) {
				fprintf(stderr, "bench-slim: publish failed: %d\n", rc);
				pubr.failed = true;
				break;
			}
			sent++;
		}
	}
	grpc_tcp_flush(ga);
}

/* B's: the worker's gRPC timers (its TCP input and output are the turn itself). */
static void b_pre(void)
{
	grpc_tcp_tick(gb, bring_now_us() / 1000);
}

static bool failed(void)
{
	return sub.failed || pubr.failed;
}

/* Turns until |done| (or failure, or STALL_S without |progress| moving). Returns 0 or -1. */
static int turns(bool (*done)(void), uint64_t (*progress)(void), bool timed)
{
	uint64_t last = progress(), last_tsc = rte_rdtsc();

	while (!done() && !failed()) {
		uint64_t now = bring_now_us(), p;

		if (timed) {
			bring_turn_timed(&sa, now);
			bring_turn_timed(&sb, now);
		} else {
			bring_turn(&sa, now);
			bring_turn(&sb, now);
		}
		p = progress();
		if (p != last) {
			last = p;
			last_tsc = rte_rdtsc();
		} else if (rte_rdtsc() - last_tsc > STALL_S * bring_tsc_hz) {
			fprintf(stderr, "bench-slim: no progress for %d s\n", STALL_S);
			return -1;
		}
	}
	return failed() ? -1 : 0;
}

static bool ready(void)
{
	return sub.acked && pubr.app.negotiated;
}

static uint64_t ready_progress(void)
{
	return (uint64_t)sub.app.negotiated + sub.acked + pubr.app.negotiated;
}

static bool all_in(void)
{
	return sub.got >= target;
}

static uint64_t got(void)
{
	return sub.got;
}

static int setup(void)
{
	struct tcp_stack_conf conf;
	struct slim_node_conf nc;
	uint32_t dst = htonl(0x0a620002u); /* B, 10.98.0.2 */

	bring_stack_conf(&conf);
	if (bring_pair_make(&sa, &sb, &conf, "bslim") != 0) {
		return -1;
	}
	sa.pre = a_pre;
	sb.pre = b_pre;
	srv = grpc_server_new();
	slim_node_conf_default(&nc);
	node = srv != NULL ? slim_node_new(&nc, srv) : NULL;
	gb = node != NULL ? grpc_tcp_new(sb.st, SLIM_PORT, srv, 1024) : NULL;
	ga = grpc_tcp_new(sa.st, 0, NULL, 1024);
	if (gb == NULL || ga == NULL || bslim_app_init(&sub.app) != 0 ||
	    bslim_app_init(&pubr.app) != 0) {
		fprintf(stderr, "bench-slim: set-up failed\n");
		return -1;
	}
	/* Their clocks first: a connection's timers start from its engine's now. */
	grpc_tcp_tick(ga, bring_now_us() / 1000);
	grpc_tcp_tick(gb, bring_now_us() / 1000);
	if (grpc_tcp_dial(ga, 0, TCP_KEY_V4, (const uint8_t *)&dst, SLIM_PORT, &dops, &sub,
			  &sub.cc) != 0 ||
	    grpc_tcp_dial(ga, 0, TCP_KEY_V4, (const uint8_t *)&dst, SLIM_PORT, &dops, &pubr,
			  &pubr.cc) != 0) {
		fprintf(stderr, "bench-slim: cannot dial the node\n");
		return -1;
	}
	if (turns(ready, ready_progress, false) != 0) {
		fprintf(stderr, "bench-slim: the app connections did not come up\n");
		return -1;
	}
	return 0;
}

struct run {
	double b_cyc, a_cyc, msgs_per_s, segs_in, segs_out;
};

static int run_one(uint64_t n, struct run *r)
{
	uint64_t t0, fwd0 = slim_node_stats(node)->ctr[SLIM_CTR_FORWARDED], fwd;

	sub.got = sub.got_bytes = 0;
	sent = 0;
	target = n;
	bring_reset(&sa);
	bring_reset(&sb);
	sending = true;
	t0 = rte_rdtsc();
	if (turns(all_in, got, true) != 0) {
		sending = false;
		return -1;
	}
	sending = false;
	r->msgs_per_s = (double)n / ((double)(rte_rdtsc() - t0) / (double)bring_tsc_hz);
	fwd = slim_node_stats(node)->ctr[SLIM_CTR_FORWARDED] - fwd0;
	if (sub.got != n || fwd != n) {
		fprintf(stderr, "bench-slim: %lu publishes sent, %lu forwarded, %lu arrived\n",
			(unsigned long)n, (unsigned long)fwd, (unsigned long)sub.got);
		return -1;
	}
	r->b_cyc = (double)sb.cycles / (double)n;
	r->a_cyc = (double)sa.cycles / (double)n;
	r->segs_in = (double)bring_ctr(&sb, TCP_CTR_SEG_IN) / (double)n;
	r->segs_out = (double)bring_ctr(&sb, TCP_CTR_SEG_OUT) / (double)n;
	return 0;
}

static int cmp_run(const void *x, const void *y)
{
	const struct run *a = x, *b = y;

	return a->b_cyc < b->b_cyc ? -1 : a->b_cyc > b->b_cyc;
}

static void teardown(void)
{
	closing = true;
	grpc_tcp_free(ga);
	grpc_tcp_free(gb);
	ga = gb = NULL;
	bring_pair_free(&sa, &sb);
	slim_node_free(node);
	node = NULL;
	grpc_server_free(srv);
	srv = NULL;
	bslim_app_cleanup(&sub.app);
	bslim_app_cleanup(&pubr.app);
}

int bslim_tcp_run(const struct bslim_tcp_opts *o, const uint32_t *sizes, unsigned n,
		  struct bslim_tcp_row *rows)
{
	struct run runs[REPEAT_MAX];
	int rc = 0;

	if (o->repeat == 0 || o->repeat > REPEAT_MAX || o->batch == 0 || o->messages == 0) {
		return -1;
	}
	memset(rows, 0, n * sizeof(*rows));
	if (setup() != 0) {
		teardown();
		return -1;
	}
	batch_max = o->batch;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct bslim_tcp_row *w = &rows[i];

		window = o->window;
		if (window == 0) {
			window = (unsigned)((512u << 10) / (sizes[i] + 128));
			window = window < 16 ? 16 : window > 1024 ? 1024 : window;
		}
		pub_msg = bslim_publish(&pubr.app, sizes[i], &pub_len);
		for (unsigned k = 0; k < o->repeat && rc == 0; k++) {
			rc = run_one(o->messages, &runs[k]);
		}
		free(pub_msg);
		pub_msg = NULL;
		if (rc != 0) {
			break;
		}
		qsort(runs, o->repeat, sizeof(runs[0]), cmp_run);
		w->ok = true;
		w->b_cyc = runs[o->repeat / 2].b_cyc;
		w->a_cyc = runs[o->repeat / 2].a_cyc;
		w->msgs_per_s = runs[o->repeat / 2].msgs_per_s;
		w->segs_in = runs[o->repeat / 2].segs_in;
		w->segs_out = runs[o->repeat / 2].segs_out;
		w->b_lo = runs[0].b_cyc;
		w->b_hi = runs[o->repeat - 1].b_cyc;
		printf("  %5u B payload: B (node worker) %6.0f cycles/message (runs %.0f..%.0f), "
		       "%.2f M msg/s per core at that cost;\n"
		       "                 A (load) %.0f cycles/message; both on one core %.2f M "
		       "msg/s; B TCP segments %.2f in, %.2f out per message (window %u)\n",
		       sizes[i], w->b_cyc, w->b_lo, w->b_hi,
		       (double)bring_tsc_hz / w->b_cyc / 1e6, w->a_cyc, w->msgs_per_s / 1e6,
		       w->segs_in, w->segs_out, window);
	}
	if (slim_node_stats(node)->ctr[SLIM_CTR_DROP_BAD_MAC] != 0 ||
	    slim_node_stats(node)->ctr[SLIM_CTR_DROP_NO_ROUTE] != 0) {
		fprintf(stderr, "bench-slim: the node dropped messages (bad MAC or no route)\n");
		rc = -1;
	}
	teardown();
	return rc;
}
