/* SPDX-License-Identifier: Apache-2.0 */
#include "lcore.h"

#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dp.h"

/* Prefetch this many packets ahead of the one being handled. */
#define PREFETCH_OFFSET 3
#define LEARN_RING_SIZE 1024

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
	return lc;
}

void lcore_ctx_free(struct lcore_ctx *lc)
{
	if (lc == NULL) {
		return;
	}
	for (uint16_t p = 0; p < lc->nb_queues; p++) {
		struct lcore_queue *q = &lc->q[p];

		rte_pktmbuf_free_bulk(q->tx, q->nb_tx);
		q->nb_tx = 0;
		impair_release(&q->im_rx);
		impair_release(&q->im_tx);
	}
	rte_ring_free(lc->learn_ring);
	rte_free(lc);
}

static void learn(struct lcore_ctx *lc, uint16_t port_idx, const struct net_learn *l)
{
	struct lcore_learn_msg msg = {.port_idx = port_idx, .learn = *l};

	if (rte_ring_enqueue_elem(lc->learn_ring, &msg, sizeof(msg)) != 0) {
		lc->stats.drops[DROP_NEIGH_RING_FULL]++;
	}
}

static void handle(struct lcore_ctx *lc, struct lcore_queue *q, const struct net_if *nif,
		   struct rte_mbuf *m)
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
		/* Replies are built in the first segment; drop any chained rest. */
		if (m->nb_segs > 1) {
			rte_pktmbuf_free(m->next);
			m->next = NULL;
			m->nb_segs = 1;
		}
		m->data_len = res.len;
		m->pkt_len = res.len;
		m->ol_flags = 0;
		q->tx[q->nb_tx++] = m;
		return;
	case NET_VERDICT_LOCAL:
		/* No transport is attached to the data plane yet. */
		lc->stats.drops[DROP_L4_NO_HANDLER]++;
		break;
	case NET_VERDICT_DROP:
		lc->stats.drops[res.drop]++;
		break;
	}
	rte_pktmbuf_free(m);
}

static uint16_t impair(struct lcore_ctx *lc, struct impair *im, struct rte_mbuf **pkts, uint16_t n,
		       uint64_t now)
{
	uint64_t dropped = im->dropped;
	struct rte_mbuf *late;

	if (n != 0) {
		n = impair_burst(im, pkts, n, LCORE_BURST_MAX - 1); /* room for |late| */
	}
	late = impair_flush(im, now, lc->hold_tsc);
	if (late != NULL) {
		pkts[n++] = late;
	}
	lc->stats.drops[DROP_IMPAIR] += im->dropped - dropped;
	return n;
}

static void tx_flush(struct lcore_ctx *lc, struct lcore_queue *q, uint64_t now)
{
	uint16_t n = q->nb_tx, sent;

	q->nb_tx = 0;
	if (q->im_tx.enabled) {
		n = impair(lc, &q->im_tx, q->tx, n, now);
	}
	if (n == 0) {
		return;
	}
	sent = rte_eth_tx_burst(q->port_id, q->queue_id, q->tx, n);
	lc->stats.tx_packets += sent;
	for (uint16_t i = 0; i < sent; i++) {
		lc->stats.tx_bytes += rte_pktmbuf_pkt_len(q->tx[i]);
	}
	if (unlikely(sent < n)) {
		lc->stats.drops[DROP_TX_FULL] += n - sent;
		rte_pktmbuf_free_bulk(&q->tx[sent], n - sent);
	}
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

uint32_t lcore_poll(struct lcore_ctx *lc)
{
	/* Room for a full burst plus a packet released by impairment. */
	struct rte_mbuf *pkts[LCORE_BURST_MAX];
	uint64_t t0 = rte_rdtsc();
	uint32_t total = 0;

	for (uint16_t p = 0; p < lc->nb_queues; p++) {
		struct lcore_queue *q = &lc->q[p];
		const struct net_if *nif = &lc->dp->ports[q->port_idx].nif;
		uint16_t n = rx(lc, q, pkts, t0);
		uint16_t i;

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
			handle(lc, q, nif, pkts[i]);
		}
		for (; i < n; i++) {
			handle(lc, q, nif, pkts[i]);
		}
		tx_flush(lc, q, t0);
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
		pol = __atomic_load_n(&dp->policy, __ATOMIC_ACQUIRE);
		lc->stats.policy_epoch = pol != NULL ? pol->epoch : 0;
		rte_rcu_qsbr_quiescent(dp->qsbr, lc->index);
	}
	rte_rcu_qsbr_thread_offline(dp->qsbr, lc->index);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, lc->index);
	return 0;
}
