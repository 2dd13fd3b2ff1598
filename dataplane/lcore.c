/* SPDX-License-Identifier: Apache-2.0 */
#include "lcore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
#include "net/neigh.h"
#include "tcp/tcp_closed.h"

/* Prefetch this many packets ahead of the one being handled. */
#define PREFETCH_OFFSET 3
#define LEARN_RING_SIZE 1024
#define CMD_RING_SIZE 64
#define NET_PROTO_TCP_NUM 6	/* IANA protocol number, as in net_result.l4_proto */

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
	rte_ring_free(lc->cmd_ring);
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

/* Returns true if |m| is to be freed by the caller (collected for one bulk free). */
static bool handle(struct lcore_ctx *lc, struct lcore_queue *q, const struct net_if *nif,
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
		reply(q, m, res.len);
		return false;
	case NET_VERDICT_LOCAL:
		/* No listener or connection exists yet: TCP gets its reset, UDP is dropped. */
		if (res.l4_proto == NET_PROTO_TCP_NUM) {
			tcp_closed_input(nif, frame, &lc->stats.net, &res);
			if (res.verdict == NET_VERDICT_TX) {
				reply(q, m, res.len);
				return false;
			}
			lc->stats.drops[res.drop]++;
			break;
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
		}
	}
	for (uint16_t p = 0; p < lc->nb_queues; p++) {
		if (lc->q[p].nb_tx != 0) {
			tx_flush(lc, &lc->q[p], rte_rdtsc());
		}
	}
}

uint32_t lcore_poll(struct lcore_ctx *lc)
{
	/* Room for a full burst plus a packet released by impairment. */
	struct rte_mbuf *pkts[LCORE_BURST_MAX];
	struct rte_mbuf *dead[LCORE_BURST_MAX];
	uint64_t t0 = rte_rdtsc();
	uint32_t total = 0;

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
			if (handle(lc, q, nif, pkts[i])) {
				dead[nb_dead++] = pkts[i];
			}
		}
		for (; i < n; i++) {
			if (handle(lc, q, nif, pkts[i])) {
				dead[nb_dead++] = pkts[i];
			}
		}
		if (nb_dead != 0) {
			rte_pktmbuf_free_bulk(dead, nb_dead);
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
		if (unlikely(!rte_ring_empty(lc->cmd_ring))) {
			run_commands(lc);
		}
		pol = __atomic_load_n(&dp->policy, __ATOMIC_ACQUIRE);
		lc->stats.policy_epoch = pol != NULL ? pol->epoch : 0;
		rte_rcu_qsbr_quiescent(dp->qsbr, lc->index);
	}
	rte_rcu_qsbr_thread_offline(dp->qsbr, lc->index);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, lc->index);
	return 0;
}
