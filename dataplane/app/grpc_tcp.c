/* SPDX-License-Identifier: Apache-2.0 */
/* grpc_tcp.c - gRPC over the worker's TCP stack; see grpc_tcp.h. */
#include "app/grpc_tcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_mbuf.h>

struct gconn {
	struct grpc_tcp *g;
	struct tcp_conn *tc;
	struct grpc_sconn *sc; /* accepted: a server connection ... */
	struct grpc_cconn *cc; /* ... or dialled: a client connection */
	struct h2_conn *h2;
	bool call_over;	       /* dialled: its one call ended; close once the output is out */
	bool closing;	       /* tcp_conn_close called: only |closed| follows */
	bool dirty;	       /* on the dirty list: output queued outside its own callbacks */
	const struct grpc_tcp_dial_ops *dops; /* dialled: the owner's callbacks */
	void *darg;
	struct gconn *dirty_next;
	struct rte_mbuf *in;  /* received bytes the engine has not taken yet (paused) */
	uint32_t in_off;      /* ... from this offset of the chain's first segment */
	struct gconn *next, *prev;
};

struct grpc_tcp {
	struct tcp_stack *st;
	struct grpc_server *srv;
	struct h2_pool *pool;
	struct h2_conf conf;
	struct gconn *conns;
	uint64_t now_ms;
	struct grpc_tcp_stats stats;
	struct gconn *dirty;	/* connections with output to send */
};

static void unlink_conn(struct gconn *gc)
{
	struct grpc_tcp *g = gc->g;

	if (gc->dirty) {
		for (struct gconn **p = &g->dirty; *p != NULL; p = &(*p)->dirty_next) {
			if (*p == gc) {
				*p = gc->dirty_next;
				break;
			}
		}
		gc->dirty = false;
	}
	if (gc->prev != NULL) {
		gc->prev->next = gc->next;
	} else {
		g->conns = gc->next;
	}
	if (gc->next != NULL) {
		gc->next->prev = gc->prev;
	}
}

/* Copy the engine's output into the TCP send queue, as far as it takes it. */
static void flush(struct gconn *gc)
{
	struct h2_conn *h2 = gc->h2;

	for (;;) {
		struct iovec iov[16];
		unsigned n = h2_conn_out_iov(h2, iov, 16);
		size_t sent = 0;
		bool short_write = false;

		if (n == 0) {
			return;
		}
		for (unsigned i = 0; i < n; i++) {
			int w = tcp_conn_write(gc->tc, iov[i].iov_base, (uint32_t)iov[i].iov_len);

			if (w > 0) {
				sent += (size_t)w;
			}
			if (w < 0 || (size_t)w < iov[i].iov_len) {
				short_write = true; /* |writable| brings us back */
				break;
			}
		}
		h2_conn_out_consume(h2, sent);
		if (short_write || sent == 0) {
			return;
		}
	}
}

/* Feed held input to the engine; false while it is paused (output over its mark). */
static bool feed(struct gconn *gc)
{
	struct h2_conn *h2 = gc->h2;

	while (gc->in != NULL) {
		struct rte_mbuf *m = gc->in;
		uint32_t len = m->data_len - gc->in_off;
		long k = len == 0 ? 0 : h2_conn_recv(h2, rte_pktmbuf_mtod_offset(m, uint8_t *, gc->in_off), len);

		if (k < 0) {
			rte_pktmbuf_free(gc->in);
			gc->in = NULL;
			return true; /* failed: GOAWAY queued; the close follows */
		}
		gc->in_off += (uint32_t)k;
		if (gc->in_off < m->data_len) {
			return false;
		}
		/* The first segment is used up: drop it, keep the rest of the chain. */
		gc->in = m->next;
		if (gc->in != NULL) {
			gc->in->nb_segs = (uint16_t)(m->nb_segs - 1);
			gc->in->pkt_len = m->pkt_len - m->data_len;
		}
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		rte_pktmbuf_free(m);
		gc->in_off = 0;
	}
	return true;
}

static void service(struct gconn *gc)
{
	struct h2_conn *h2 = gc->h2;

	if (gc->closing) {
		return;
	}
	for (int round = 0; round < 64; round++) {
		struct rte_mbuf *m;

		if (!feed(gc)) {
			flush(gc);
			if (!feed(gc)) {
				break; /* output is stuck: wait for |writable| */
			}
		}
		if (h2_conn_failed(h2)) {
			break;
		}
		m = tcp_conn_recv(gc->tc);
		if (m == NULL) {
			break;
		}
		gc->in = m;
		gc->in_off = 0;
	}
	flush(gc);
	if (gc->call_over && h2_conn_out_pending(h2) == 0) {
		h2_conn_goaway(h2, H2_NO_ERROR);
		flush(gc);
		gc->closing = true;
		tcp_conn_close(gc->tc); /* FIN after the GOAWAY; may free |gc| */
		return;
	}
	if (gc->in == NULL && h2_conn_out_pending(h2) == 0 &&
	    (tcp_conn_eof(gc->tc) || h2_conn_done(h2))) {
		/* The peer is done or the engine ended the connection, and all it queued is in TCP. */
		gc->closing = true;
		tcp_conn_close(gc->tc); /* may free |gc| */
	}
}

/* A call queued output (maybe from another connection's message): send it soon. */
static void on_kick(void *arg)
{
	struct gconn *gc = arg;

	if (!gc->dirty && !gc->closing) {
		gc->dirty = true;
		gc->dirty_next = gc->g->dirty;
		gc->g->dirty = gc;
	}
}

void grpc_tcp_flush(struct grpc_tcp *g)
{
	while (g != NULL && g->dirty != NULL) {
		struct gconn *gc = g->dirty;

		g->dirty = gc->dirty_next;
		gc->dirty = false;
		service(gc); /* may free |gc| */
	}
}

static int on_accept(struct tcp_conn *c, void *arg)
{
	struct grpc_tcp *g = arg;
	struct gconn *gc = calloc(1, sizeof(*gc));

	if (gc == NULL) {
		return -ENOMEM;
	}
	gc->sc = grpc_sconn_new(g->srv, &g->conf, g->pool, g->now_ms);
	if (gc->sc == NULL) {
		free(gc);
		return -ENOMEM;
	}
	gc->h2 = grpc_sconn_h2(gc->sc);
	grpc_sconn_set_kick(gc->sc, on_kick, gc);
	g->stats.accepted++;
	gc->g = g;
	gc->tc = c;
	gc->next = g->conns;
	if (g->conns != NULL) {
		g->conns->prev = gc;
	}
	g->conns = gc;
	tcp_conn_set_user(c, gc);
	tcp_conn_set_nodelay(c, true);
	flush(gc); /* our SETTINGS */
	return 0;
}

static void on_readable(struct tcp_conn *c)
{
	struct gconn *gc = tcp_conn_user(c);
	struct grpc_tcp *g = gc->g;

	service(gc);
	grpc_tcp_flush(g); /* what its messages made other connections send */
}

static void on_closed(struct tcp_conn *c, int err)
{
	struct gconn *gc = tcp_conn_user(c);

	if (gc == NULL) {
		return;
	}
	tcp_conn_set_user(c, NULL);
	unlink_conn(gc);
	if (gc->dops != NULL && gc->dops->closed != NULL) {
		gc->dops->closed(gc->cc, err, gc->darg);
	}
	grpc_sconn_free(gc->sc);
	grpc_cconn_free(gc->cc); /* a call still open ends CANCELLED */
	rte_pktmbuf_free(gc->in);
	free(gc);
}

static const struct tcp_app_ops ops = {
	.accept = on_accept,
	.readable = on_readable,
	.writable = on_readable,
	.closed = on_closed,
};

struct grpc_tcp *grpc_tcp_new(struct tcp_stack *st, uint16_t port, struct grpc_server *srv,
			      uint32_t pool_chunks)
{
	struct grpc_tcp *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		return NULL;
	}
	g->st = st;
	g->srv = srv;
	h2_conf_default(&g->conf, true);
	g->conf.totals = &g->stats.h2;
	g->pool = h2_pool_new(pool_chunks, false, 0);
	if (g->pool == NULL) {
		goto out_free;
	}
	if (port != 0 && srv != NULL &&
	    (tcp_listen(st, 4, NULL, port, &ops, g) != 0 || tcp_listen(st, 6, NULL, port, &ops, g) != 0)) {
		goto out_free_pool;
	}
	return g;

out_free_pool:
	h2_pool_free(g->pool);
out_free:
	free(g);
	return NULL;
}

void grpc_tcp_free(struct grpc_tcp *g)
{
	if (g == NULL) {
		return;
	}
	while (g->conns != NULL) {
		struct gconn *gc = g->conns;

		tcp_conn_set_user(gc->tc, NULL);
		unlink_conn(gc);
		grpc_sconn_free(gc->sc);
		grpc_cconn_free(gc->cc);
		rte_pktmbuf_free(gc->in);
		free(gc);
	}
	h2_pool_free(g->pool);
	free(g);
}

void grpc_tcp_tick(struct grpc_tcp *g, uint64_t now_ms)
{
	struct gconn *gc, *next;

	if (g == NULL) {
		return;
	}
	if (now_ms / 10 == g->now_ms / 10) {
		return; /* every 10 ms is plenty for deadlines and timers */
	}
	g->now_ms = now_ms;
	for (gc = g->conns; gc != NULL; gc = next) {
		next = gc->next;
		if (gc->sc != NULL) {
			grpc_sconn_tick(gc->sc, now_ms);
		} else {
			grpc_cconn_tick(gc->cc, now_ms);
		}
		service(gc);
	}
}

/* ---- dialling ------------------------------------------------------------- */

static void on_connected(struct tcp_conn *c)
{
	struct gconn *gc = tcp_conn_user(c);

	if (gc->dops != NULL && gc->dops->connected != NULL) {
		gc->dops->connected(gc->cc, gc->darg);
	}
	service(gc);
}

static const struct tcp_app_ops dial_ops = {
	.connected = on_connected,
	.readable = on_readable,
	.writable = on_readable,
	.closed = on_closed,
};

int grpc_tcp_dial(struct grpc_tcp *g, uint16_t port_idx, uint8_t family, const uint8_t *dst,
		  uint16_t dport, const struct grpc_tcp_dial_ops *dops, void *arg,
		  struct grpc_cconn **out)
{
	struct h2_conf conf;
	struct gconn *gc = calloc(1, sizeof(*gc));
	char auth[64];
	int rc;

	if (gc == NULL) {
		return -ENOMEM;
	}
	snprintf(auth, sizeof(auth), "slimbridge:%u", dport);
	h2_conf_default(&conf, false);
	conf.totals = &g->stats.h2;
	conf.stream_buf_max = g->conf.stream_buf_max;	/* grpc_tcp_set_buffers, both ways */
	conf.conn_buf_max = g->conf.conn_buf_max;
	gc->cc = grpc_cconn_new(&conf, g->pool, auth, g->now_ms);
	if (gc->cc == NULL) {
		free(gc);
		return -ENOMEM;
	}
	gc->g = g;
	gc->h2 = grpc_cconn_h2(gc->cc);
	gc->dops = dops;
	gc->darg = arg;
	grpc_cconn_set_kick(gc->cc, on_kick, gc);
	rc = tcp_connect(g->st, port_idx, family, dst, dport, &dial_ops, gc, &gc->tc);
	if (rc != 0) {
		grpc_cconn_free(gc->cc);
		free(gc);
		return rc;
	}
	gc->next = g->conns;
	if (g->conns != NULL) {
		g->conns->prev = gc;
	}
	g->conns = gc;
	g->stats.dialled++;
	*out = gc->cc;
	return 0;
}

/* One EmptyCall on a dialled connection, then GOAWAY and FIN (the test command). */
struct empty_call {
	struct grpc_tcp *g;
	struct gconn *gc;
};

static struct gconn *gconn_of_cc(struct grpc_tcp *g, struct grpc_cconn *cc)
{
	for (struct gconn *gc = g->conns; gc != NULL; gc = gc->next) {
		if (gc->cc == cc) {
			return gc;
		}
	}
	return NULL;
}

static void call_done(struct grpc_ccall *call, int status, const char *message,
		      const struct h2_header *trl, uint32_t n, void *arg)
{
	struct grpc_tcp *g = arg;
	struct gconn *gc = grpc_ccall_user(call);

	(void)message;
	(void)trl;
	(void)n;
	if (status == GRPC_OK) {
		g->stats.calls_ok++;
	} else {
		g->stats.calls_failed++;
	}
	g->stats.last_status = status;
	if (gc != NULL) {
		gc->call_over = true;
	}
}

static const struct grpc_ccall_ops call_ops = {.on_done = call_done};

static void empty_connected(struct grpc_cconn *cc, void *arg)
{
	struct grpc_tcp *g = arg;
	struct gconn *gc = gconn_of_cc(g, cc);
	struct grpc_ccall *call;

	if (grpc_cconn_start(cc, "/grpc.testing.TestService/EmptyCall", NULL, 0, 10000, &call_ops, g,
			     &call) != 0) {
		g->stats.calls_failed++;
		gc->call_over = true;
		return;
	}
	grpc_ccall_set_user(call, gc);
	if (grpc_ccall_send(call, "", 0) != 0 || grpc_ccall_close_send(call) != 0) {
		grpc_ccall_cancel(call);
	}
}

static void empty_closed(struct grpc_cconn *cc, int err, void *arg)
{
	(void)cc;
	(void)err;
	(void)arg;
}

static const struct grpc_tcp_dial_ops empty_ops = {
	.connected = empty_connected,
	.closed = empty_closed,
};

int grpc_tcp_call_empty(struct grpc_tcp *g, uint16_t port_idx, uint8_t family, const uint8_t *dst,
			uint16_t dport)
{
	struct grpc_cconn *cc;
	int rc = grpc_tcp_dial(g, port_idx, family, dst, dport, &empty_ops, g, &cc);

	if (rc != 0) {
		g->stats.calls_failed++;
	}
	return rc;
}

const struct grpc_tcp_stats *grpc_tcp_stats(const struct grpc_tcp *g)
{
	return &g->stats;
}

void grpc_tcp_set_buffers(struct grpc_tcp *g, uint32_t stream_buf_max, uint32_t conn_buf_max)
{
	g->conf.stream_buf_max = stream_buf_max;
	g->conf.conn_buf_max = conn_buf_max;
}

int grpc_tcp_dial_abort(struct grpc_tcp *g, struct grpc_cconn *cc)
{
	for (struct gconn *gc = g->conns; gc != NULL; gc = gc->next) {
		if (gc->cc == cc && !gc->closing && gc->tc != NULL) {
			gc->closing = true;
			tcp_conn_abort(gc->tc); /* |closed| runs: the owner hears of it */
			return 0;
		}
	}
	return -ENOENT;
}

uint64_t grpc_tcp_dial_last_rx_ms(struct grpc_tcp *g, struct grpc_cconn *cc)
{
	for (struct gconn *gc = g->conns; gc != NULL; gc = gc->next) {
		if (gc->cc == cc && !gc->closing && gc->tc != NULL) {
			struct tcp_conn_info ci;

			tcp_conn_info(gc->tc, &ci);
			return ci.last_rcv_ms;
		}
	}
	return 0;
}

int grpc_tcp_dial_ping(struct grpc_tcp *g, struct grpc_cconn *cc, const uint8_t opaque[8])
{
	for (struct gconn *gc = g->conns; gc != NULL; gc = gc->next) {
		if (gc->cc == cc && !gc->closing) {
			int rc = h2_conn_ping(gc->h2, opaque);

			if (rc == 0) {
				on_kick(gc); /* out with the next flush */
			}
			return rc;
		}
	}
	return -ENOENT;
}
