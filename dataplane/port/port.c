/* SPDX-License-Identifier: Apache-2.0 */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "util/log.h"

int port_resolve(const char *name, uint16_t *port_id, char *err, size_t errlen)
{
	char list[256] = "";
	size_t off = 0;
	uint16_t pid;

	if (rte_eth_dev_get_port_by_name(name, port_id) == 0) {
		return 0;
	}
	RTE_ETH_FOREACH_DEV(pid) {
		char n[RTE_ETH_NAME_MAX_LEN];

		if (rte_eth_dev_get_name_by_port(pid, n) == 0 && off < sizeof(list)) {
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						off ? ", " : "", n);
		}
	}
	snprintf(err, errlen,
		 "no DPDK device named \"%s\" (probed: %s); create it with an EAL option such as "
		 "--vdev %s or allow its PCI address",
		 name, off ? list : "none", name);
	return -ENODEV;
}

/* Enough mbufs for every descriptor, each worker's bursts and pool caches. */
static uint32_t mbufs_needed(const struct conf *c, uint16_t nb_queues, uint16_t nb_rxd,
			     uint16_t nb_txd)
{
	return (uint32_t)nb_queues * (nb_rxd + nb_txd + 2u * c->burst + c->mbuf_cache) +
	       64u;
}

int port_start(struct dp_port *p, const struct conf *c, uint16_t nb_queues, char *err,
	       size_t errlen)
{
	struct rte_eth_conf pc;
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	uint16_t nb_rxd = p->conf.rx_desc, nb_txd = p->conf.tx_desc;
	uint32_t room, need;
	int socket = rte_eth_dev_socket_id(p->port_id);
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	int rc;

	if (socket < 0) {
		socket = 0;
	}
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s", p->name, strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < nb_queues || info.max_tx_queues < nb_queues) {
		snprintf(err, errlen,
			 "workers: %u workers need %u queue pairs but port %s offers %u RX / %u TX",
			 nb_queues, nb_queues, p->name, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	if (p->conf.mtu > info.max_mtu || p->conf.mtu < info.min_mtu) {
		snprintf(err, errlen, "ports[%s].mtu: %u is outside what the device supports (%u..%u)",
			 p->name, p->conf.mtu, info.min_mtu, info.max_mtu);
		return -EINVAL;
	}

	memset(&pc, 0, sizeof(pc));
	pc.rxmode.mtu = p->conf.mtu;
	p->rss = false;
	if (nb_queues > 1 && info.flow_type_rss_offloads != 0) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
						 info.flow_type_rss_offloads;
		p->rss = pc.rx_adv_conf.rss_conf.rss_hf != 0;
	}
	p->tx_csum = false;
	if ((info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) ==
	    (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) {
		pc.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		p->tx_csum = true;
	}
	if (nb_queues > 1 && !p->rss) {
		SB_LOG(WARNING, "port %s has no RSS: only worker 0 will receive from it", p->name);
	}
	rc = rte_eth_dev_configure(p->port_id, nb_queues, nb_queues, &pc);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: configure with %u queue pairs failed: %s", p->name,
			 nb_queues, strerror(-rc));
		return rc;
	}
	/* Where TCP replies land (tcp_rss.h): the device's RSS, or a software hand-off. */
	rc = tcp_rss_from_port(&p->tcp_rss, p->port_id, nb_queues, &p->tcp_rss_why);
	p->tcp_handoff = false;
	if (rc != 0 || (p->tcp_rss.strategy == TCP_RSS_UNKNOWN && nb_queues > 1)) {
		if (tcp_rss_init_soft(&p->tcp_rss, nb_queues) != 0) {
			snprintf(err, errlen, "port %s: %u queues are too many for TCP steering",
				 p->name, nb_queues);
			return -EINVAL;
		}
		p->tcp_handoff = nb_queues > 1;
	}
	SB_LOG(INFO, "port %s: TCP placement %s%s (%s)", p->name,
	       tcp_rss_strategy_name(p->tcp_rss.strategy),
	       p->tcp_handoff ? ", software hand-off between workers" : "",
	       p->tcp_rss_why != NULL ? p->tcp_rss_why : "");
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: descriptor counts: %s", p->name, strerror(-rc));
		return rc;
	}
	need = mbufs_needed(c, nb_queues, nb_rxd, nb_txd);
	if (c->mbufs < need) {
		snprintf(err, errlen,
			 "mempool.mbufs: %u mbufs are too few for port %s with %u queue pairs of "
			 "%u RX + %u TX descriptors; need at least %u",
			 c->mbufs, p->name, nb_queues, nb_rxd, nb_txd, need);
		return -EINVAL;
	}
	/* A full frame in one segment, plus room for the longest in-place reply. */
	room = RTE_PKTMBUF_HEADROOM + p->conf.mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 64;
	if (room < RTE_MBUF_DEFAULT_BUF_SIZE) {
		room = RTE_MBUF_DEFAULT_BUF_SIZE;
	}
	snprintf(pool_name, sizeof(pool_name), "sb_pool_%u", p->port_id);
	p->pool = rte_pktmbuf_pool_create(pool_name, c->mbufs, c->mbuf_cache, 0, (uint16_t)room,
					  socket);
	if (p->pool == NULL) {
		snprintf(err, errlen,
			 "port %s: cannot allocate %u mbufs of %u bytes: %s (give EAL more memory "
			 "with -m, or lower mempool.mbufs)",
			 p->name, c->mbufs, room, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (uint16_t q = 0; q < nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned)socket, NULL, p->pool);
		if (rc == 0) {
			rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, (unsigned)socket, NULL);
		}
		if (rc != 0) {
			snprintf(err, errlen, "port %s: queue %u setup failed: %s", p->name, q,
				 strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: start failed: %s", p->name, strerror(-rc));
		return rc;
	}
	p->started = true;
	p->nb_queues = nb_queues;
	/* Neighbour discovery needs solicited-node multicast; not every PMD has it. */
	rc = rte_eth_allmulticast_enable(p->port_id);
	if (rc != 0 && rc != -ENOTSUP) {
		SB_LOG(WARNING, "port %s: all-multicast: %s", p->name, strerror(-rc));
	}
	rte_eth_macaddr_get(p->port_id, &mac);
	rc = net_if_init(&p->nif, mac.addr_bytes, p->conf.mtu);
	if (rc != 0) {
		snprintf(err, errlen, "ports[%s].mtu: %u is not usable", p->name, p->conf.mtu);
		return rc;
	}
	p->nif.has_ip4 = p->conf.has_ip4;
	p->nif.ip4 = p->conf.ip4;
	p->nif.ip4_prefix = p->conf.ip4_prefix;
	p->nif.has_ip6 = p->conf.has_ip6;
	memcpy(p->nif.ip6, p->conf.ip6, sizeof(p->nif.ip6));
	p->nif.ip6_prefix = p->conf.ip6_prefix;
	return 0;
}

void port_stop(struct dp_port *p)
{
	if (p->started) {
		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
		p->started = false;
	}
	rte_mempool_free(p->pool);
	p->pool = NULL;
}
