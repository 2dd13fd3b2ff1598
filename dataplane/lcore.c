/* SPDX-License-Identifier: Apache-2.0 */
#include "lcore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "app/grpc_tcp.h"
#include "h2/h2_conn.h"
#include "grpc/grpc_client.h"
#include "app/grpc_testsvc.h"
#include "app/tcp_apps.h"
#include "crypto/crypto_aead.h"
#include "bridge/breaker.h"
#include "shm/shm_reader.h"
#include "slim/slim_node.h"
#include "dp.h"
#include "net/neigh.h"
#include "tcp/tcp_closed.h"
#include "tcp/tcp_stack.h"
#include "util/log.h"

/* conf.c spells crypto.backend and crypto.arch in crypto_aead.h's enum order. */
_Static_assert(CRYPTO_AEAD_BACKEND_AUTO == CONF_CRYPTO_AUTO && CRYPTO_AEAD_BACKEND_OPENSSL == 2 &&
		       CRYPTO_AEAD_ARCH_AUTO == CONF_CRYPTO_AUTO && CRYPTO_AEAD_ARCH_AVX512 == 4,
	       "conf_crypto values");

/* Prefetch this many packets ahead of the one being handled. */
#define PREFETCH_OFFSET 3
#define LEARN_RING_SIZE 1024
#define CMD_RING_SIZE 64
#define NET_PROTO_TCP_NUM 6	/* IANA protocol number, as in net_result.l4_proto */
#define HANDOFF_RING_SIZE 4096
#define TCP_POOL_MBUFS 16383

static void tcp_emit(void *arg, struct rte_mbuf *m, uint16_t port_idx, uint8_t family,
		     const uint8_t *dst);
static int tcp_setup(struct lcore_ctx *lc, int socket);

struct lcore_ctx *lcore_ctx_new(struct dp *dp, uint16_t index, unsigned int lcore_id)
{
	int socket = (int)rte_lcore_to_socket_id(lcore_id);
	struct lcore_ctx *lc;
	char name[RTE_RING_NAMESIZE];

	lc = rte_zmalloc_socket("sb_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE, socket);
	if (lc == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	lc->dp = dp;
	lc->lcore_id = lcore_id;
	lc->index = index;
	lc->burst = dp->conf.burst;
	lc->hold_tsc = dp->tsc_hz / 1000;	/* 1 ms */
	snprintf(name, sizeof(name), "sb_learn_%u", index);
	lc->learn_ring = rte_ring_create_elem(name, sizeof(struct lcore_learn_msg), LEARN_RING_SIZE,
					      socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (lc->learn_ring == NULL) {
		rte_free(lc);
		return NULL;
	}
	snprintf(name, sizeof(name), "sb_cmd_%u", index);
	lc->cmd_ring = rte_ring_create_elem(name, sizeof(struct lcore_cmd), CMD_RING_SIZE, socket,
					    RING_F_SC_DEQ);
	if (lc->cmd_ring == NULL) {
		rte_ring_free(lc->learn_ring);
		rte_free(lc);
		return NULL;
	}
	lc->resolve_interval_tsc = dp->tsc_hz;
	for (uint16_t p = 0; p < dp->nb_ports; p++) {
		struct lcore_queue *q = &lc->q[p];
		const struct dp_port *port = &dp->ports[p];
		uint64_t stream = ((uint64_t)p << 32) | ((uint64_t)index << 1);

		q->port_idx = p;
		q->port_id = port->port_id;
		q->queue_id = index;
		impair_init(&q->im_rx, &port->conf.impair, stream);
		impair_init(&q->im_tx, &port->conf.impair, stream | 1);
	}
	lc->nb_queues = dp->nb_ports;
	/* The identity cache: a random hash seed per worker, so no token is
	 * known to collide on every worker (id_cache.h). */
	{
		uint64_t seed = 0;

		if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
			seed = rte_rand() ^ rte_rdtsc();
		}
		lc->idc = id_cache_new(&(struct id_cache_conf){
			.entries = dp->conf.identity.cache_entries,
			.neg_entries = dp->conf.identity.negative_entries,
			.max_cold = dp->conf.identity.max_cold,
			.leeway_s = dp->conf.identity.leeway_s,
			.audience = dp->conf.identity.audience }, seed);
		if (lc->idc == NULL) {
			SB_LOG(ERR, "worker %u: identity cache: %s", index, strerror(errno));
			lcore_ctx_free(lc);
			rte_errno = ENOMEM;
			return NULL;
		}
	}
	/* The AEAD engine of this worker; crypto.backend/arch name crypto_aead.h's enums. */
	lc->aead = crypto_aead_engine_new(dp->conf.crypto.backend, dp->conf.crypto.arch);
	if (lc->aead == NULL) {
		int e = errno;

		SB_LOG(ERR, "worker %u: crypto engine %s/%s: %s", index,
		       crypto_aead_backend_name(dp->conf.crypto.backend),
		       crypto_aead_arch_name(dp->conf.crypto.arch),
		       e == ENOTSUP ? "not supported on this CPU" : strerror(e));
		lcore_ctx_free(lc);
		rte_errno = e;
		return NULL;
	}
	/* The bridge: seal state (with the token MLS epochs are made for) and the audit ring. */
	lc->bridge = bridge_worker_new(index, shm_reader_token(dp->shm), lc->aead);
	if (lc->bridge == NULL) {
		SB_LOG(ERR, "worker %u: bridge state: out of memory", index);
		lcore_ctx_free(lc);
		rte_errno = ENOMEM;
		return NULL;
	}
	if (dp->audit != NULL) {
		audit_shm_ring(dp->audit, index, &lc->audit);
		lc->audit_on = true;
	}
	{
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		lc->clock_base_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
		lc->clock_base_tsc = rte_rdtsc();
		lc->clock_ns = lc->clock_base_ns;
	}
	for (unsigned i = 0; i < SB_BRIDGE_MAX_TRUSTS; i++) {
		lc->trust_retry[i] = 1; /* dial at the first poll that sees the trust */
	}
	if (tcp_setup(lc, socket) != 0) {
		int e = rte_errno;

		lcore_ctx_free(lc);
		rte_errno = e;
		return NULL;
	}
	return lc;
}

/* The worker's TCP stack: configuration, ports, test apps (slow path). */
/* ---- SLIM between workers (slim_node.h peer ops) ---------------------------- */

#define SLIM_RING_SIZE	 4096
#define SLIM_POOL_MBUFS	 4095 /* 8 MiB of 2 KiB segments: a 4 MiB message fits */

struct slim_cross {
	struct rte_mbuf *m; /* the encoded Message, chained */
	uint32_t conn;	    /* global connection id */
	uint32_t pad;
};

/* A publish for a connection of worker (conn >> shift): copied into mbufs, onto its ring. */
static int slim_deliver(void *arg, uint32_t conn, const uint8_t *msg, size_t len)
{
	struct lcore_ctx *lc = arg;
	uint32_t owner = conn >> SLIM_CONN_WORKER_SHIFT;
	struct rte_mbuf *head = NULL, *tail = NULL;
	struct slim_cross x;
	size_t off = 0;

	if (owner >= lc->dp->nb_workers || owner == lc->index) {
		return -EINVAL;
	}
	while (off < len || head == NULL) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(lc->slim_pool);
		uint16_t k;
		char *d;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return -ENOBUFS;
		}
		k = (uint16_t)RTE_MIN((size_t)rte_pktmbuf_tailroom(m), len - off);
		d = rte_pktmbuf_append(m, k);
		if (k > 0) {
			memcpy(d, msg + off, k);
		}
		off += k;
		if (head == NULL) {
			head = m;
		} else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return -ENOBUFS; /* too many segments */
		}
		tail = m;
	}
	(void)tail;
	x.m = head;
	x.conn = conn;
	x.pad = 0;
	if (rte_ring_mp_enqueue_elem(lc->dp->lcores[owner]->slim_in, &x, sizeof(x)) != 0) {
		rte_pktmbuf_free(head);
		return -ENOBUFS;
	}
	return 0;
}

/* A subscription change: onto every other worker's update ring. */
static void slim_update(void *arg, const struct slim_update *u)
{
	struct lcore_ctx *lc = arg;
	struct slim_update copy = *u; /* the ring API takes a non-const pointer */

	for (uint16_t w = 0; w < lc->dp->nb_workers; w++) {
		if (w != lc->index &&
		    rte_ring_mp_enqueue_elem(lc->dp->lcores[w]->slim_upd, &copy, sizeof(copy)) != 0) {
			lc->stats.slim_update_lost++;
		}
	}
}

/* The policy view the worker holds until its next quiescent point (RCU; dataplane/main.c). */
static const struct policy_view *slim_policy_view(void *arg,
						  const struct policy_rules_worker **rules)
{
	const struct lcore_ctx *lc = arg;
	const struct dp_policy *pol = __atomic_load_n(&lc->dp->policy, __ATOMIC_ACQUIRE);

	*rules = pol != NULL ? pol->rules[lc->index] : NULL;
	return pol != NULL ? &pol->view : NULL;
}

/* The bridge view of the same slot as slim_policy_view's. */
static const struct bridge_view *slim_bridge_view(void *arg)
{
	const struct lcore_ctx *lc = arg;
	const struct dp_policy *pol = __atomic_load_n(&lc->dp->policy, __ATOMIC_ACQUIRE);

	return pol != NULL ? &pol->bridge : NULL;
}

static const struct slim_node_peer_ops slim_peer_ops = {
	.deliver = slim_deliver,
	.update = slim_update,
};

/* slim.links: worker 0 dials each; a link that goes is dialled again a second later. */
struct slim_link_dial {
	struct lcore_ctx *lc;
	unsigned idx;
};

static struct slim_link_dial slim_dials[8];

static void slim_link_up(struct grpc_cconn *cc, void *arg)
{
	struct slim_link_dial *d = arg;
	const struct conf_slim_link *l = &d->lc->dp->conf.slim.links[d->idx];

	if (slim_node_link_attach(d->lc->slim, cc, l->connection_type) != 0) {
		SB_LOG(WARNING, "slim link %u: cannot open the channel", d->idx);
	}
}

static void slim_link_down(struct grpc_cconn *cc, int err, void *arg)
{
	struct slim_link_dial *d = arg;

	(void)cc;
	(void)err;
	d->lc->slim_link_retry[d->idx] = rte_rdtsc() / d->lc->tsc_per_us / 1000 + 1000;
}

static const struct grpc_tcp_dial_ops slim_dial_ops = {
	.connected = slim_link_up,
	.closed = slim_link_down,
};

static void slim_links(struct lcore_ctx *lc, uint64_t now_ms)
{
	const struct conf_slim *sl = &lc->dp->conf.slim;

	for (unsigned i = 0; i < sl->nb_links && i < 8; i++) {
		struct grpc_cconn *cc;

		if (lc->slim_link_retry[i] == 0 || now_ms < lc->slim_link_retry[i]) {
			continue;
		}
		lc->slim_link_retry[i] = 0; /* in progress: slim_link_down sets the next try */
		slim_dials[i].lc = lc;
		slim_dials[i].idx = i;
		if (grpc_tcp_dial(lc->slim_tcp, 0, sl->links[i].family == 4 ? TCP_KEY_V4 : TCP_KEY_V6,
				  sl->links[i].addr, sl->links[i].port, &slim_dial_ops, &slim_dials[i],
				  &cc) != 0) {
			lc->slim_link_retry[i] = now_ms + 1000;
		}
	}
}

/*
 * Trust links (worker 0): each trust whose SEALS entry names the peer
 * bridge's endpoint is dialled as a SLIM link (remote); one that goes, or
 * never comes up, is a delivery failure for its circuit breaker and is
 * dialled again a second later.
 */
struct trust_dial {
	struct lcore_ctx *lc;
	uint32_t slot;
};

static struct trust_dial trust_dials[SB_BRIDGE_MAX_TRUSTS];

static struct sb_bridge_trust *trust_slot(struct lcore_ctx *lc, uint32_t slot)
{
	return bridge_status_trust(lc->dp->bstatus, slot);
}

#define TRUST_PING_MS 1000	/* an HTTP/2 PING on each trust link this often */
#define TRUST_DEAD_MS 3000	/* nothing heard for this long: the peer is gone */

static void trust_link_up(struct grpc_cconn *cc, void *arg)
{
	struct trust_dial *d = arg;
	struct sb_bridge_trust *st = trust_slot(d->lc, d->slot);

	/* up once the SLIM link is negotiated (slim_node publishes it in |st|) */
	if (slim_node_link_attach_trust(d->lc->slim, cc, 0 /* remote */, st) != 0) {
		SB_LOG(WARNING, "trust %s: cannot open the channel", st != NULL ? st->trust_id : "?");
		(void)grpc_tcp_dial_abort(d->lc->slim_tcp, cc);
	}
}

static void trust_link_down(struct grpc_cconn *cc, int err, void *arg)
{
	struct trust_dial *d = arg;
	struct lcore_ctx *lc = d->lc;
	struct sb_bridge_trust *st = trust_slot(lc, d->slot);
	const struct bridge_view *bv = lc->bview;

	(void)cc;
	(void)err;
	lc->trust_cc[d->slot] = NULL;
	lc->trust_retry[d->slot] = rte_rdtsc() / lc->tsc_per_us / 1000 + 1000;
	if (st == NULL) {
		return;
	}
	__atomic_store_n(&st->link, (uint8_t)SB_LINK_DOWN, __ATOMIC_RELEASE);
	for (uint32_t i = 0; bv != NULL && i < bv->nb; i++) {
		if (bv->t[i].slot == d->slot) {
			(void)breaker_failure(st, SB_FAIL_LINK_DOWN, bv->t[i].threshold, bv->t[i].cooldown_s,
					      lc->clock_ns);
			return;
		}
	}
}

static const struct grpc_tcp_dial_ops trust_dial_ops = {
	.connected = trust_link_up,
	.closed = trust_link_down,
};

static void trust_links(struct lcore_ctx *lc, uint64_t now_ms)
{
	const struct bridge_view *bv = lc->bview;

	for (uint32_t i = 0; bv != NULL && i < bv->nb; i++) {
		const struct bridge_trust *t = &bv->t[i];
		struct grpc_cconn *cc;
		uint32_t s = t->slot;

		if (s == BRIDGE_NO_SLOT) {
			continue;
		}
		if (lc->trust_cc[s] != NULL) {
			/*
			 * Liveness: a PING every second; a link that is not up within
			 * TRUST_DEAD_MS of its dial, or that hears nothing (no frame,
			 * not even a PING ACK) for as long, is reset: a delivery
			 * failure for the breaker, and dialled again.
			 */
			struct h2_conn *h2 = grpc_cconn_h2(lc->trust_cc[s]);
			uint64_t frames = h2_conn_stats(h2)->ctr[H2_CTR_FRAMES_IN];
			bool up = __atomic_load_n(&t->st->link, __ATOMIC_ACQUIRE) == SB_LINK_UP;

			uint64_t seg_ms = grpc_tcp_dial_last_rx_ms(lc->slim_tcp, lc->trust_cc[s]);

			if (frames != lc->trust_frames[s]) {
				lc->trust_frames[s] = frames;
				lc->trust_heard_ms[s] = now_ms;
			}
			/*
			 * A TCP segment from the peer counts too: while our stack
			 * recovers lost data, or the peer's window is closed, no frame
			 * gets through, but its stack answers (ACKs, SACKs, window
			 * probes' answers): alive, not silent.
			 */
			if (up && seg_ms > lc->trust_heard_ms[s] && seg_ms <= now_ms) {
				lc->trust_heard_ms[s] = seg_ms;
			}
			/*
			 * Silence counts from the last poll that read input: while
			 * our own audit back-pressure holds input back, the peer's
			 * frames wait in our queue and say nothing about it.
			 */
			uint64_t heard = lc->trust_heard_ms[s] > lc->rx_paused_ms ? lc->trust_heard_ms[s]
										 : lc->rx_paused_ms;
			uint64_t dialled = lc->trust_dialled_ms[s] > lc->rx_paused_ms ? lc->trust_dialled_ms[s]
										      : lc->rx_paused_ms;

			if ((!up && now_ms - dialled > TRUST_DEAD_MS) || (up && now_ms - heard > TRUST_DEAD_MS)) {
				SB_LOG(WARNING, "trust %s: peer bridge silent for %u ms, resetting the link",
				       t->trust_id, TRUST_DEAD_MS);
				(void)grpc_tcp_dial_abort(lc->slim_tcp, lc->trust_cc[s]);
				continue;
			}
			if (up && now_ms >= lc->trust_ping_ms[s]) {
				uint8_t opaque[8] = {0};

				memcpy(opaque, &now_ms, sizeof(now_ms));
				if (grpc_tcp_dial_ping(lc->slim_tcp, lc->trust_cc[s], opaque) != 0) {
					lc->trust_ping_ms[s] = now_ms; /* no room now: next poll */
					continue;
				}
				lc->trust_ping_ms[s] = now_ms + TRUST_PING_MS;
			}
			continue;
		}
		if (t->seal == NULL || t->seal->port == 0 || t->state == SB_POL_TRUST_REVOKED ||
		    t->state == SB_POL_TRUST_SUSPENDED) {
			continue;
		}
		if (lc->trust_retry[s] == 0 || now_ms < lc->trust_retry[s]) {
			continue;
		}
		lc->trust_retry[s] = 0; /* in progress: trust_link_down sets the next try */
		trust_dials[s].lc = lc;
		trust_dials[s].slot = s;
		__atomic_store_n(&t->st->link, (uint8_t)SB_LINK_CONNECTING, __ATOMIC_RELEASE);
		if (grpc_tcp_dial(lc->slim_tcp, 0, t->seal->family == 4 ? TCP_KEY_V4 : TCP_KEY_V6,
				  t->seal->addr, t->seal->port, &trust_dial_ops, &trust_dials[s], &cc) != 0) {
			lc->trust_retry[s] = now_ms + 1000;
			__atomic_store_n(&t->st->link, (uint8_t)SB_LINK_DOWN, __ATOMIC_RELEASE);
			(void)breaker_failure(t->st, SB_FAIL_LINK_DOWN, t->threshold, t->cooldown_s,
					      lc->clock_ns);
			continue;
		}
		lc->trust_cc[s] = cc;
		lc->trust_dialled_ms[s] = now_ms;
		lc->trust_heard_ms[s] = now_ms;
		lc->trust_frames[s] = 0;
		lc->trust_ping_ms[s] = now_ms + TRUST_PING_MS;
	}
}

/*
 * Apply the other workers' table changes. Called first in each poll, before
 * the ports: a client that got its SubscriptionAck from another worker and
 * then publishes through us finds the route already here.
 */
static void slim_updates(struct lcore_ctx *lc, uint64_t now_ms)
{
	struct slim_update u[64];
	unsigned n;

	do {
		n = rte_ring_sc_dequeue_burst_elem(lc->slim_upd, u, sizeof(u[0]), 64, NULL);
		for (unsigned i = 0; i < n; i++) {
			slim_node_apply(lc->slim, &u[i], now_ms);
		}
	} while (n == 64);
}

/* Send what the other workers routed to our connections. */
static void slim_drain(struct lcore_ctx *lc)
{
	struct slim_cross x[32];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst_elem(lc->slim_in, x, sizeof(x[0]), 32, NULL);
	for (i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_read(x[i].m, 0, x[i].m->pkt_len, lc->slim_flat);

		if (p != NULL) {
			slim_node_deliver(lc->slim, x[i].conn, p, x[i].m->pkt_len);
		}
		rte_pktmbuf_free(x[i].m);
	}
	if (n > 0) {
		grpc_tcp_flush(lc->slim_tcp);
	}
}

static int tcp_setup(struct lcore_ctx *lc, int socket)
{
	const struct conf *c = &lc->dp->conf;
	struct tcp_stack_conf tc;
	struct tcp_stack_env env;
	char name[RTE_MEMPOOL_NAMESIZE];

	lc->tsc_per_us = lc->dp->tsc_hz / 1000000;
	if (lc->tsc_per_us == 0) {
		lc->tsc_per_us = 1;
	}
	snprintf(name, sizeof(name), "sb_hand_%u", lc->index);
	lc->handoff_ring = rte_ring_create_elem(name, sizeof(struct lcore_handoff),
						HANDOFF_RING_SIZE, socket, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "sb_tcp_%u", lc->index);
	lc->tcp_pool = rte_pktmbuf_pool_create(name, TCP_POOL_MBUFS, 256, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (lc->handoff_ring == NULL || lc->tcp_pool == NULL) {
		rte_errno = ENOMEM;
		return -ENOMEM;
	}
	tcp_stack_conf_defaults(&tc);
	tc.max_conns = c->tcp.max_connections;
	tc.rcvbuf = c->tcp.rcvbuf;
	tc.sndbuf = c->tcp.sndbuf;
	tc.cc = tcp_cc_ops_by_name(c->tcp.congestion);
	tc.nodelay = c->tcp.nodelay;
	tc.syn_backlog = c->tcp.syn_backlog;
	tc.syncookies = c->tcp.syncookies;
	tc.time_wait_ms = c->tcp.time_wait_ms;
	tc.time_wait_max = c->tcp.time_wait_max;
	tc.fin_wait2_ms = c->tcp.fin_wait2_ms;
	tc.delack_ms = c->tcp.delack_ms;
	tc.min_rto_ms = c->tcp.min_rto_ms;
	tc.persist_max_ms = c->tcp.persist_max_ms;
	tc.keepalive = c->tcp.keepalive;
	tc.keep_idle_ms = c->tcp.keepalive_idle_s * 1000;
	tc.keep_intvl_ms = c->tcp.keepalive_interval_s * 1000;
	tc.keep_cnt = c->tcp.keepalive_count;
	tc.eph_lo = c->tcp.eph_lo;
	tc.eph_hi = c->tcp.eph_hi;
	tc.seed = lc->index + 1;
	if (getrandom(tc.secret, sizeof(tc.secret), 0) != (ssize_t)sizeof(tc.secret)) {
		rte_errno = EIO;
		return -EIO;
	}
	env = (struct tcp_stack_env){.emit = tcp_emit, .arg = lc, .pool = lc->tcp_pool};
	snprintf(name, sizeof(name), "sb_tcp_conn_%u", lc->index);
	lc->tcp = tcp_stack_new(name, socket, &tc, &env, rte_rdtsc() / lc->tsc_per_us);
	explicit_bzero(tc.secret, sizeof(tc.secret)); /* the stack keyed its MACs with it */
	if (lc->tcp == NULL) {
		return -rte_errno;
	}
	for (uint16_t p = 0; p < lc->dp->nb_ports; p++) {
		const struct dp_port *port = &lc->dp->ports[p];
		struct tcp_stack_port sp = {
			.has_ip4 = port->nif.has_ip4,
			.has_ip6 = port->nif.has_ip6,
			.tx_csum = port->tx_csum,
			.mtu = port->nif.mtu,
			.ip4 = port->nif.ip4,
			.rss = &port->tcp_rss,
			.queue = lc->index,
		};

		memcpy(sp.ip6, port->nif.ip6, 16);
		if (tcp_stack_set_port(lc->tcp, p, &sp) != 0) {
			rte_errno = EINVAL;
			return -EINVAL;
		}
	}
	if (tcp_apps_listen(lc->tcp, &c->tcp_apps) != 0) {
		rte_errno = EINVAL;
		return -EINVAL;
	}
	if (c->grpc_test_port != 0) {
		lc->grpc_srv = grpc_server_new();
		if (lc->grpc_srv == NULL || grpc_testsvc_register(lc->grpc_srv) != 0) {
			rte_errno = ENOMEM;
			return -ENOMEM;
		}
	}
	/* gRPC over this worker's TCP: the test service if configured, and dialling. */
	lc->grpc = grpc_tcp_new(lc->tcp, c->grpc_test_port, lc->grpc_srv,
				c->grpc_test_port != 0 ? 1024 : 64);
	if (lc->grpc == NULL) {
		rte_errno = ENOMEM;
		return -ENOMEM;
	}
	if (c->slim.listen_port != 0) {
		struct slim_node_conf sc;

		slim_node_conf_default(&sc);
		sc.node_id = c->slim.node_id;
		sc.require_header_mac = c->slim.require_header_mac;
		sc.max_message = c->slim.max_message;
		sc.worker = lc->index;
		sc.nb_workers = lc->dp->nb_workers;
		if (c->slim.enforce_policy) {
			sc.policy_view = slim_policy_view;
			sc.policy_arg = lc;
			sc.identity = c->identity.required ? lc->idc : NULL;
			sc.trust_domain = c->identity.trust_domain;
			sc.bridge = lc->bridge;
			sc.bridge_view = slim_bridge_view;
			sc.audit = lc->audit_on ? &lc->audit : NULL;
		}
		sc.clock_ns = &lc->clock_ns;
		if (lc->dp->nb_workers > 1) {
			sc.peer = &slim_peer_ops;
			sc.peer_arg = lc;
			snprintf(name, sizeof(name), "sb_slim_in_%u", lc->index);
			lc->slim_in = rte_ring_create_elem(name, sizeof(struct slim_cross),
							   SLIM_RING_SIZE, socket, RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "sb_slim_up_%u", lc->index);
			lc->slim_upd = rte_ring_create_elem(name, sizeof(struct slim_update),
							    SLIM_RING_SIZE, socket, RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "sb_slim_mb_%u", lc->index);
			lc->slim_pool = rte_pktmbuf_pool_create(name, SLIM_POOL_MBUFS, 256, 0,
								RTE_MBUF_DEFAULT_BUF_SIZE, socket);
			lc->slim_flat = malloc(c->slim.max_message); /* plain memory: EAL's is scarce */
			if (lc->slim_in == NULL || lc->slim_upd == NULL || lc->slim_pool == NULL ||
			    lc->slim_flat == NULL) {
				rte_errno = ENOMEM;
				return -ENOMEM;
			}
		}
		lc->slim_srv = grpc_server_new();
		lc->slim = lc->slim_srv != NULL ? slim_node_new(&sc, lc->slim_srv) : NULL;
		for (unsigned i = 0; i < 8; i++) {
			lc->slim_link_retry[i] = 1; /* dial at the first poll */
		}
		/*
		 * SLIM connections queue what is routed to a slow receiver: 2 MiB
		 * per stream (4 MiB per connection) before a message is refused
		 * (drop_egress, audited undelivered), from a 32 MiB chunk pool.
		 */
		lc->slim_tcp = lc->slim != NULL ? grpc_tcp_new(lc->tcp, c->slim.listen_port,
							       lc->slim_srv, 4096)
						: NULL;
		if (lc->slim_tcp != NULL) {
			grpc_tcp_set_buffers(lc->slim_tcp, 2u << 20, 4u << 20);
		}
		if (lc->slim_tcp == NULL) {
			rte_errno = ENOMEM;
			return -ENOMEM;
		}
	}
	return 0;
}

void lcore_ctx_free(struct lcore_ctx *lc)
{
	struct lcore_handoff h;

	if (lc == NULL) {
		return;
	}
	/* Resets go into the TX buffers, which are freed below unsent: the ports are stopping. */
	tcp_stack_free(lc->tcp); /* its |closed| callbacks free the gRPC connections */
	lc->tcp = NULL;
	grpc_tcp_free(lc->grpc);
	lc->grpc = NULL;
	grpc_server_free(lc->grpc_srv);
	lc->grpc_srv = NULL;
	grpc_tcp_free(lc->slim_tcp);
	lc->slim_tcp = NULL;
	slim_node_free(lc->slim);
	lc->slim = NULL;
	grpc_server_free(lc->slim_srv);
	lc->slim_srv = NULL;
	if (lc->slim_in != NULL) {
		struct slim_cross x;

		while (rte_ring_sc_dequeue_elem(lc->slim_in, &x, sizeof(x)) == 0) {
			rte_pktmbuf_free(x.m);
		}
	}
	crypto_aead_engine_free(lc->aead);
	lc->aead = NULL;
	rte_ring_free(lc->slim_in);
	rte_ring_free(lc->slim_upd);
	free(lc->slim_flat);
	/* slim_pool stays: other workers' mbufs may still be freed into it until EAL cleanup. */
	while (lc->handoff_ring != NULL &&
	       rte_ring_sc_dequeue_elem(lc->handoff_ring, &h, sizeof(h)) == 0) {
		rte_pktmbuf_free(h.m);
	}
	rte_ring_free(lc->handoff_ring);
	for (uint16_t p = 0; p < lc->nb_queues; p++) {
		struct lcore_queue *q = &lc->q[p];

		rte_pktmbuf_free_bulk(q->tx, q->nb_tx);
		q->nb_tx = 0;
		impair_release(&q->im_rx);
		impair_release(&q->im_tx);
	}
	rte_ring_free(lc->learn_ring);
	rte_ring_free(lc->cmd_ring);
	rte_mempool_free(lc->tcp_pool);
	id_cache_free(lc->idc);
	bridge_worker_free(lc->bridge);
	rte_free(lc);
}

static void learn(struct lcore_ctx *lc, uint16_t port_idx, const struct net_learn *l)
{
	struct lcore_learn_msg msg = {.port_idx = port_idx, .learn = *l};

	if (rte_ring_enqueue_elem(lc->learn_ring, &msg, sizeof(msg)) != 0) {
		lc->stats.drops[DROP_NEIGH_RING_FULL]++;
	}
}

/* Queue |m|, rewritten in place into a reply of |len| bytes, for transmission. */
static void reply(struct lcore_queue *q, struct rte_mbuf *m, uint16_t len)
{
	/* Replies are built in the first segment; drop any chained rest. */
	if (m->nb_segs > 1) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = len;
	m->pkt_len = len;
	m->ol_flags = 0;
	q->tx[q->nb_tx++] = m;
}

/* TCP segments of one burst, for one call into the stack. */
struct tcp_batch {
	uint16_t n;
	struct tcp_pkt pkts[LCORE_BURST_MAX];
};

/* Returns true if |m| is to be freed by the caller (collected for one bulk free). */
static bool handle(struct lcore_ctx *lc, struct lcore_queue *q, const struct net_if *nif,
		   struct rte_mbuf *m, struct tcp_batch *tb)
{
	struct net_result res;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t cap = len + rte_pktmbuf_tailroom(m);

	lc->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
	net_input(nif, frame, len, cap, &lc->stats.net, &res);
	if (res.learn.family != NET_FAMILY_NONE) {
		learn(lc, q->port_idx, &res.learn);
	}
	switch (res.verdict) {
	case NET_VERDICT_TX:
		reply(q, m, res.len);
		return false;
	case NET_VERDICT_LOCAL:
		if (res.l4_proto == NET_PROTO_TCP_NUM) {
			tb->pkts[tb->n++] = (struct tcp_pkt){
				.m = m,
				.l3_off = res.l3_off,
				.l4_off = res.l4_off,
				.l4_len = res.l4_len,
				.family = res.family,
				.port_idx = q->port_idx,
			};
			return false;
		}
		lc->stats.drops[DROP_L4_NO_HANDLER]++;
		break;
	case NET_VERDICT_DROP:
		lc->stats.drops[res.drop]++;
		break;
	}
	return true;
}

static uint16_t impair(struct lcore_ctx *lc, struct impair *im, struct rte_mbuf **pkts, uint16_t n,
		       uint64_t now)
{
	uint64_t dropped = im->dropped;
	struct rte_mbuf *late;

	if (n != 0) {
		n = impair_burst(im, pkts, n, LCORE_BURST_MAX - 1, now); /* room for |late| */
	}
	/* A full array keeps the held packet for the next round. */
	if (n < LCORE_BURST_MAX) {
		late = impair_flush(im, now, lc->hold_tsc);
		if (late != NULL) {
			pkts[n++] = late;
		}
	}
	lc->stats.drops[DROP_IMPAIR] += im->dropped - dropped;
	return n;
}

static void tx_flush(struct lcore_ctx *lc, struct lcore_queue *q, uint64_t now)
{
	uint16_t n = q->nb_tx, sent;
	uint64_t bytes = 0;

	q->nb_tx = 0;
	if (q->im_tx.enabled) {
		n = impair(lc, &q->im_tx, q->tx, n, now);
	}
	if (n == 0) {
		return;
	}
	/* Count bytes first: sent mbufs belong to the driver once tx_burst returns. */
	for (uint16_t i = 0; i < n; i++) {
		bytes += rte_pktmbuf_pkt_len(q->tx[i]);
	}
	sent = rte_eth_tx_burst(q->port_id, q->queue_id, q->tx, n);
	if (unlikely(sent < n)) {
		for (uint16_t i = sent; i < n; i++) {
			bytes -= rte_pktmbuf_pkt_len(q->tx[i]);
		}
		lc->stats.drops[DROP_TX_FULL] += n - sent;
		rte_pktmbuf_free_bulk(&q->tx[sent], n - sent);
	}
	lc->stats.tx_packets += sent;
	lc->stats.tx_bytes += bytes;
}

static uint16_t rx(struct lcore_ctx *lc, struct lcore_queue *q, struct rte_mbuf **pkts,
		   uint64_t now)
{
	uint16_t n = rte_eth_rx_burst(q->port_id, q->queue_id, pkts, lc->burst);

	if (q->im_rx.enabled) {
		n = impair(lc, &q->im_rx, pkts, n, now);
	}
	return n;
}

/* May this worker ask for |ip| now? Records the attempt when it may. */
static bool resolve_due(struct lcore_ctx *lc, uint16_t port_idx, uint8_t family,
			const uint8_t *ip, uint64_t now)
{
	struct lcore_resolve *oldest = &lc->resolving[0];
	size_t len = family == NET_FAMILY_IP4 ? 4 : 16;

	for (unsigned i = 0; i < LCORE_RESOLVE_SLOTS; i++) {
		struct lcore_resolve *r = &lc->resolving[i];

		if (r->family == family && r->port_idx == port_idx && memcmp(r->ip, ip, len) == 0) {
			if (now - r->sent_tsc < lc->resolve_interval_tsc) {
				return false;
			}
			r->sent_tsc = now;
			return true;
		}
		if (r->sent_tsc < oldest->sent_tsc) {
			oldest = r;
		}
	}
	oldest->family = family;
	oldest->port_idx = port_idx;
	memcpy(oldest->ip, ip, len);
	oldest->sent_tsc = now;
	return true;
}

int lcore_resolve(struct lcore_ctx *lc, uint16_t port_idx, uint8_t family, const uint8_t *ip,
		  uint8_t mac[NET_ETH_ALEN])
{
	const struct dp_port *port;
	struct lcore_queue *q;
	struct rte_mbuf *m;
	uint64_t now = rte_rdtsc();
	int len;

	if (port_idx >= lc->nb_queues || (family != NET_FAMILY_IP4 && family != NET_FAMILY_IP6)) {
		return -EINVAL;
	}
	port = &lc->dp->ports[port_idx];
	if (neigh_lookup(port->neigh, family, ip, now, mac)) {
		return 0;
	}
	if (!resolve_due(lc, port_idx, family, ip, now)) {
		return -EAGAIN;
	}
	m = rte_pktmbuf_alloc(port->pool);
	if (m == NULL) {
		lc->stats.drops[DROP_NO_MBUF]++;
		return -ENOBUFS;
	}
	/* Tell the table's writer we asked, so the answer may create an entry. */
	{
		struct net_learn pending = {.family = family, .how = LCORE_LEARN_PENDING};

		memcpy(pending.ip, ip, family == NET_FAMILY_IP4 ? 4 : 16);
		learn(lc, port_idx, &pending);
	}
	if (family == NET_FAMILY_IP4) {
		uint32_t target;

		memcpy(&target, ip, 4);
		len = net_arp_build_request(&port->nif, target, rte_pktmbuf_mtod(m, uint8_t *),
					    rte_pktmbuf_tailroom(m));
	} else {
		len = net_ndp_build_ns(&port->nif, ip, rte_pktmbuf_mtod(m, uint8_t *),
				       rte_pktmbuf_tailroom(m));
	}
	if (len < 0) {
		rte_pktmbuf_free(m);
		return len;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	q = &lc->q[port_idx];
	if (q->nb_tx == LCORE_BURST_MAX) {
		tx_flush(lc, q, now);
	}
	q->tx[q->nb_tx++] = m;
	return -EAGAIN;
}

int lcore_post(struct lcore_ctx *lc, const struct lcore_cmd *cmd)
{
	return rte_ring_mp_enqueue_elem(lc->cmd_ring, (void *)(uintptr_t)cmd, sizeof(*cmd)) == 0
		       ? 0
		       : -ENOBUFS;
}

static void run_commands(struct lcore_ctx *lc)
{
	struct lcore_cmd cmds[8];
	uint8_t mac[NET_ETH_ALEN];
	unsigned n = rte_ring_sc_dequeue_burst_elem(lc->cmd_ring, cmds, sizeof(cmds[0]),
						    RTE_DIM(cmds), NULL);

	for (unsigned i = 0; i < n; i++) {
		if (cmds[i].type == LCORE_CMD_RESOLVE) {
			(void)lcore_resolve(lc, cmds[i].port_idx, cmds[i].family, cmds[i].ip, mac);
		} else if (cmds[i].type == LCORE_CMD_TCP_CONNECT) {
			int rc = tcp_apps_connect(lc->tcp, cmds[i].port_idx, cmds[i].family,
						  cmds[i].ip, cmds[i].dport);

			if (rc != 0) {
				lc->stats.tcp_connect_failed++;
			}
			tcp_stack_flush(lc->tcp);
		} else if (cmds[i].type == LCORE_CMD_GRPC_CALL) {
			if (grpc_tcp_call_empty(lc->grpc, cmds[i].port_idx, cmds[i].family,
						cmds[i].ip, cmds[i].dport) != 0) {
				lc->stats.grpc_call_failed++;
			}
			tcp_stack_flush(lc->tcp);
		}
	}
	for (uint16_t p = 0; p < lc->nb_queues; p++) {
		if (lc->q[p].nb_tx != 0) {
			tx_flush(lc, &lc->q[p], rte_rdtsc());
		}
	}
}

/* The stack's output: add the Ethernet header and queue on the port. */
static void tcp_emit(void *arg, struct rte_mbuf *m, uint16_t port_idx, uint8_t family,
		     const uint8_t *dst)
{
	struct lcore_ctx *lc = arg;
	const struct dp_port *port = &lc->dp->ports[port_idx];
	struct lcore_queue *q = &lc->q[port_idx];
	struct rte_ether_hdr *eh;
	uint8_t mac[NET_ETH_ALEN];

	if (!neigh_lookup(port->neigh, family, dst, rte_rdtsc(), mac)) {
		/* Ask (at most once a second); TCP's retransmission carries on after. */
		if (lcore_resolve(lc, port_idx, family, dst, mac) != 0) {
			lc->stats.drops[DROP_TCP_NO_NEIGH]++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	if (eh == NULL) {
		lc->stats.drops[DROP_NO_TAILROOM]++;
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(&eh->dst_addr, mac, NET_ETH_ALEN);
	memcpy(&eh->src_addr, port->nif.mac, NET_ETH_ALEN);
	eh->ether_type = rte_cpu_to_be_16(family == NET_FAMILY_IP4 ? RTE_ETHER_TYPE_IPV4
								  : RTE_ETHER_TYPE_IPV6);
	m->l2_len = RTE_ETHER_HDR_LEN;
	if (q->nb_tx == LCORE_BURST_MAX) {
		tx_flush(lc, q, rte_rdtsc());
	}
	q->tx[q->nb_tx++] = m;
}

/* Segments no connection or listener took: the closed-port reset (RFC 9293 3.10.7.1). */
static void tcp_misses(struct lcore_ctx *lc, const struct tcp_pkt *pkts, const uint16_t *miss,
		       uint16_t nm)
{
	for (uint16_t i = 0; i < nm; i++) {
		const struct tcp_pkt *p = &pkts[miss[i]];
		struct lcore_queue *q = &lc->q[p->port_idx];
		struct net_result res = {
			.verdict = NET_VERDICT_LOCAL,
			.l3_off = p->l3_off,
			.l4_off = p->l4_off,
			.l4_len = p->l4_len,
			.l4_proto = NET_PROTO_TCP_NUM,
			.family = p->family,
		};

		tcp_closed_input(&lc->dp->ports[p->port_idx].nif, rte_pktmbuf_mtod(p->m, uint8_t *),
				 &lc->stats.net, &res);
		if (res.verdict == NET_VERDICT_TX) {
			if (q->nb_tx == LCORE_BURST_MAX) {
				tx_flush(lc, q, rte_rdtsc());
			}
			reply(q, p->m, res.len);
		} else {
			lc->stats.drops[res.drop]++;
			rte_pktmbuf_free(p->m);
		}
	}
}

/* Which worker owns the connection of |p| under the port's software RSS. */
static uint16_t tcp_owner(const struct dp_port *port, const struct tcp_pkt *p)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(p->m, const uint8_t *, p->l3_off);
	const uint8_t *l4 = rte_pktmbuf_mtod_offset(p->m, const uint8_t *, p->l4_off);
	uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]), dport = (uint16_t)(l4[2] << 8 | l4[3]);
	int q;

	if (p->l4_len < 4) {
		return 0;
	}
	if (p->family == NET_FAMILY_IP4) {
		uint32_t s, d;

		memcpy(&s, l3 + 12, 4);
		memcpy(&d, l3 + 16, 4);
		q = tcp_rss_flow_queue4(&port->tcp_rss, s, d, sport, dport);
	} else {
		q = tcp_rss_flow_queue6(&port->tcp_rss, l3 + 8, l3 + 24, sport, dport);
	}
	return q < 0 ? 0 : (uint16_t)q;
}

/* Hand foreign segments to their owners; run the rest through our stack. */
static void tcp_batch_run(struct lcore_ctx *lc, struct tcp_batch *tb, uint64_t now_tsc)
{
	uint16_t miss[LCORE_BURST_MAX];
	uint16_t keep = 0, nm;

	if (tb->n == 0) {
		return;
	}
	for (uint16_t i = 0; i < tb->n; i++) {
		struct tcp_pkt *p = &tb->pkts[i];
		const struct dp_port *port = &lc->dp->ports[p->port_idx];
		uint16_t owner;

		if (port->tcp_handoff && (owner = tcp_owner(port, p)) != lc->index) {
			struct lcore_handoff h = {.m = p->m, .l3_off = p->l3_off, .l4_off = p->l4_off,
						  .l4_len = p->l4_len, .family = p->family,
						  .port_idx = (uint8_t)p->port_idx};

			if (rte_ring_mp_enqueue_elem(lc->dp->lcores[owner]->handoff_ring, &h,
						     sizeof(h)) != 0) {
				lc->stats.drops[DROP_TCP_HANDOFF_FULL]++;
				rte_pktmbuf_free(p->m);
			} else {
				lc->stats.tcp_handoff_out++;
			}
			continue;
		}
		tb->pkts[keep++] = *p;
	}
	tb->n = keep;
	if (keep == 0) {
		return;
	}
	nm = tcp_stack_input(lc->tcp, tb->pkts, keep, miss, now_tsc / lc->tsc_per_us);
	tcp_misses(lc, tb->pkts, miss, nm);
	tb->n = 0;
}

/* Segments other workers passed to us. */
static void tcp_handoff_drain(struct lcore_ctx *lc, struct tcp_batch *tb, uint64_t now_tsc)
{
	struct lcore_handoff h[64];
	unsigned n = rte_ring_sc_dequeue_burst_elem(lc->handoff_ring, h, sizeof(h[0]), RTE_DIM(h),
						    NULL);
	uint16_t miss[64], nm;

	if (n == 0) {
		return;
	}
	lc->stats.tcp_handoff_in += n;
	for (unsigned i = 0; i < n; i++) {
		tb->pkts[i] = (struct tcp_pkt){.m = h[i].m, .l3_off = h[i].l3_off,
					       .l4_off = h[i].l4_off, .l4_len = h[i].l4_len,
					       .family = h[i].family, .port_idx = h[i].port_idx};
	}
	nm = tcp_stack_input(lc->tcp, tb->pkts, (uint16_t)n, miss, now_tsc / lc->tsc_per_us);
	tcp_misses(lc, tb->pkts, miss, nm);
	tb->n = 0;
}

uint32_t lcore_poll(struct lcore_ctx *lc)
{
	static __thread struct tcp_batch tb;
	/* Room for a full burst plus a packet released by impairment. */
	struct rte_mbuf *pkts[LCORE_BURST_MAX];
	struct rte_mbuf *dead[LCORE_BURST_MAX];
	uint64_t t0 = rte_rdtsc();
	uint32_t total = 0;

	/*
	 * The wall clock decisions are stamped with: the TSC since an anchor,
	 * re-anchored on CLOCK_REALTIME (vDSO, no system call) every second so
	 * that the TSC rate's error never adds up.
	 */
	if (unlikely(t0 - lc->clock_base_tsc >= lc->dp->tsc_hz)) {
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		lc->clock_base_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
		lc->clock_base_tsc = t0;	/* this poll's TSC: the anchor is never ahead of it */
	}
	lc->clock_ns = lc->clock_base_ns +
		       (uint64_t)((unsigned __int128)(t0 - lc->clock_base_tsc) * 1000000000u / lc->dp->tsc_hz);
	if (lc->slim_upd != NULL && !rte_ring_empty(lc->slim_upd)) {
		slim_updates(lc, t0 / lc->tsc_per_us / 1000);
	}
	/*
	 * Lossless audit: with less room in our ring than one iteration can
	 * fill, take no input this round (the NIC queue holds it; TCP windows
	 * close) until the writer has drained it. Timers and output go on.
	 */
	if (lc->audit_on && unlikely(audit_ring_free(&lc->audit) < AUDIT_RESERVE)) {
		audit_ring_wait(&lc->audit);
		lc->stats.audit_waits++;
		lc->rx_paused_ms = t0 / lc->tsc_per_us / 1000;
		goto after_rx;
	}
	for (uint16_t p = 0; p < lc->nb_queues; p++) {
		struct lcore_queue *q = &lc->q[p];
		const struct net_if *nif = &lc->dp->ports[q->port_idx].nif;
		uint16_t n = rx(lc, q, pkts, t0);
		uint16_t i, nb_dead = 0;

		if (n == 0) {
			if (unlikely(q->im_tx.held != NULL)) {
				tx_flush(lc, q, t0);
			}
			continue;
		}
		total += n;
		for (i = 0; i < n && i < PREFETCH_OFFSET; i++) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		}
		for (i = 0; i + PREFETCH_OFFSET < n; i++) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
			if (handle(lc, q, nif, pkts[i], &tb)) {
				dead[nb_dead++] = pkts[i];
			}
		}
		for (; i < n; i++) {
			if (handle(lc, q, nif, pkts[i], &tb)) {
				dead[nb_dead++] = pkts[i];
			}
		}
		if (nb_dead != 0) {
			rte_pktmbuf_free_bulk(dead, nb_dead);
		}
		tcp_batch_run(lc, &tb, t0);
		tx_flush(lc, q, t0);
	}
	/* TCP: segments handed to us, timers, and whatever they made us send. */
	if (!rte_ring_empty(lc->handoff_ring)) {
		tcp_handoff_drain(lc, &tb, t0);
	}
after_rx:
	grpc_tcp_tick(lc->grpc, t0 / lc->tsc_per_us / 1000);
	if (lc->slim_in != NULL) {
		slim_drain(lc);
	}
	if (lc->index == 0 && lc->slim != NULL && lc->dp->conf.slim.nb_links > 0) {
		slim_links(lc, t0 / lc->tsc_per_us / 1000);
	}
	if (lc->index == 0 && lc->slim != NULL && lc->bview != NULL && lc->bview->nb > 0) {
		trust_links(lc, t0 / lc->tsc_per_us / 1000);
	}
	if (lc->slim != NULL) {
		/* One sealed record per peer bridge for what this iteration sent its way. */
		slim_node_poll_end(lc->slim);
		grpc_tcp_flush(lc->slim_tcp);
	}
	grpc_tcp_tick(lc->slim_tcp, t0 / lc->tsc_per_us / 1000);
	tcp_stack_tick(lc->tcp, t0 / lc->tsc_per_us);
	for (uint16_t p = 0; p < lc->nb_queues; p++) {
		if (lc->q[p].nb_tx != 0) {
			tx_flush(lc, &lc->q[p], t0);
		}
	}
	lc->stats.polls++;
	if (total != 0) {
		lc->stats.rx_packets += total;
		lc->stats.busy_polls++;
		lc->stats.busy_tsc += rte_rdtsc() - t0;
	}
	return total;
}

int lcore_main(void *arg)
{
	struct lcore_ctx *lc = arg;
	struct dp *dp = lc->dp;

	rte_rcu_qsbr_thread_register(dp->qsbr, lc->index);
	rte_rcu_qsbr_thread_online(dp->qsbr, lc->index);
	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		const struct dp_policy *pol;

		lcore_poll(lc);
		if (unlikely(!rte_ring_empty(lc->cmd_ring))) {
			run_commands(lc);
		}
		pol = __atomic_load_n(&dp->policy, __ATOMIC_ACQUIRE);
		lc->stats.policy_epoch = pol != NULL ? pol->epoch : 0;
		if (unlikely(pol != NULL && &pol->bundles != lc->idc_bundles)) {
			/* a new snapshot: its bundles, and a new generation for
			 * every trust domain whose keys changed */
			lc->idc_bundles = &pol->bundles;
			id_cache_set_bundles(lc->idc, lc->idc_bundles);
		}
		if (unlikely(pol != NULL && &pol->bridge != lc->bview)) {
			/* a new snapshot: seal objects for the epochs that changed */
			lc->bview = &pol->bridge;
			bridge_worker_set_view(lc->bridge, lc->bview, lc->clock_ns);
		}
		rte_rcu_qsbr_quiescent(dp->qsbr, lc->index);
	}
	rte_rcu_qsbr_thread_offline(dp->qsbr, lc->index);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, lc->index);
	return 0;
}
