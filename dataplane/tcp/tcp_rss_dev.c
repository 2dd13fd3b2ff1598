/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_rss_dev.c - reading a port's RSS configuration through ethdev and
 * deciding whether software can predict it (the EAL half of tcp_rss.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "tcp_rss.h"

/*
 * Drivers whose RSS is the Microsoft Toeplitz function by default, over the
 * standard input (addresses, then ports) and with a RETA indexed by the low
 * bits of the hash. DPDK 22.11 cannot report the hash function
 * (rte_eth_rss_conf has no algorithm field until 23.11), so this list stands
 * in for that query. Names are rte_eth_dev_info.driver_name.
 */
static const char *const toeplitz_drivers[] = {
	"net_ixgbe",	 "net_ixgbe_vf",     "net_i40e",   "net_ice",	"net_iavf",
	"net_e1000_igb", "net_e1000_igb_vf", "net_igc",	   "net_txgbe", "net_txgbe_vf",
	"net_ngbe",	 "mlx5_pci",	     "net_mlx4",   "net_hns3",	"net_hns3_vf",
	"net_bnxt",	 "net_ena",	     "net_virtio",
};

/*
 * Drivers that report RSS capabilities they do not apply to received
 * traffic as software could predict: net_tap's queue is the kernel TUN's
 * choice unless eBPF RSS flow rules are installed, net_null does not receive.
 * Listed so that a future driver change cannot make them look predictable.
 */
static const char *const unpredictable_drivers[] = {
	"net_tap",
	"net_null",
};

static bool listed(const char *name, const char *const *list, size_t n)
{
	if (name == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(name, list[i]) == 0) {
			return true;
		}
	}
	return false;
}

int tcp_rss_hash_types(uint64_t rss_hf)
{
	const uint64_t selectors = RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L3_DST_ONLY |
				   RTE_ETH_RSS_L4_SRC_ONLY | RTE_ETH_RSS_L4_DST_ONLY |
				   RTE_ETH_RSS_L3_PRE32 | RTE_ETH_RSS_L3_PRE40 |
				   RTE_ETH_RSS_L3_PRE48 | RTE_ETH_RSS_L3_PRE56 |
				   RTE_ETH_RSS_L3_PRE64 | RTE_ETH_RSS_L3_PRE96;
	int types = 0;

	if ((rss_hf & selectors) != 0) {
		return -EOPNOTSUPP;
	}
	/*
	 * A TCP type hashes the 4-tuple; otherwise the plain IP type hashes a
	 * TCP segment by its addresses (Microsoft "RSS hashing types": without
	 * NDIS_HASH_TCP_IPV4, NDIS_HASH_IPV4 applies to TCP segments too).
	 */
	if (rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) {
		types |= TCP_RSS_HASH_TCP4;
	} else if (rss_hf & RTE_ETH_RSS_IPV4) {
		types |= TCP_RSS_HASH_IPV4;
	}
	if (rss_hf & (RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV6_TCP_EX)) {
		types |= TCP_RSS_HASH_TCP6;
	} else if (rss_hf & (RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_IPV6_EX)) {
		types |= TCP_RSS_HASH_IPV6;
	}
	return types;
}

enum tcp_rss_strategy tcp_rss_decide(const struct tcp_rss_caps *c, const char **why)
{
	const char *reason;
	enum tcp_rss_strategy s = TCP_RSS_UNKNOWN;
	int types;

	if (c->nb_queues <= 1) {
		s = TCP_RSS_NONE;
		reason = "one RX queue: every packet lands on queue 0";
	} else if (listed(c->driver, unpredictable_drivers, RTE_DIM(unpredictable_drivers))) {
		reason = "driver spreads flows by a function software cannot see "
			 "(net_tap: the kernel TUN's flow hash)";
	} else if (!listed(c->driver, toeplitz_drivers, RTE_DIM(toeplitz_drivers))) {
		reason = "driver not known to hash with Toeplitz";
	} else if (c->rss_offloads == 0) {
		reason = "device offers no RSS";
	} else if (c->key_size < TCP_RSS_KEY_MIN || c->key_size > TCP_RSS_KEY_MAX ||
		   c->key_size % 4 != 0) {
		reason = "device reports no usable RSS key size";
	} else if (c->reta_size == 0 || c->reta_size > TCP_RSS_RETA_MAX ||
		   (c->reta_size & (c->reta_size - 1)) != 0) {
		reason = "device reports no power-of-two RETA of at most 512 entries";
	} else if (!c->conf_read) {
		reason = "device does not report its RSS hash configuration";
	} else if (!c->reta_read) {
		reason = "device does not report its RETA";
	} else if (!c->reta_valid) {
		reason = "RETA names queues that are not configured";
	} else if ((types = tcp_rss_hash_types(c->rss_hf)) < 0) {
		reason = "RSS hashes selected fields only (L3/L4 SRC/DST_ONLY or prefixes)";
	} else if (types == 0) {
		reason = "RSS does not hash TCP or IP";
	} else {
		s = TCP_RSS_TOEPLITZ;
		reason = "Toeplitz with the device's key and RETA";
	}
	if (why != NULL) {
		*why = reason;
	}
	return s;
}

/* Reads the RETA in 64-entry groups; returns 0 or the ethdev error. */
static int read_reta(uint16_t port_id, uint16_t *reta, uint16_t reta_size)
{
	struct rte_eth_rss_reta_entry64 conf[TCP_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t groups = (reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;
	int rc;

	memset(conf, 0, sizeof(conf));
	for (uint16_t i = 0; i < reta_size; i++) {
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= UINT64_C(1)
							  << (i % RTE_ETH_RETA_GROUP_SIZE);
	}
	rc = rte_eth_dev_rss_reta_query(port_id, conf, reta_size);
	if (rc != 0) {
		return rc;
	}
	for (uint16_t g = 0; g < groups; g++) {
		for (uint16_t j = 0; j < RTE_ETH_RETA_GROUP_SIZE; j++) {
			uint16_t i = (uint16_t)(g * RTE_ETH_RETA_GROUP_SIZE + j);

			if (i < reta_size) {
				reta[i] = conf[g].reta[j];
			}
		}
	}
	return 0;
}

int tcp_rss_from_port(struct tcp_rss *r, uint16_t port_id, uint16_t nb_queues, const char **why)
{
	struct rte_eth_dev_info info;
	struct tcp_rss_caps caps;
	/* hash_key_size is a uint8_t: a buffer this big holds any key a driver writes. */
	uint8_t key[256];
	uint16_t reta[TCP_RSS_RETA_MAX];
	struct rte_eth_rss_conf conf;
	enum tcp_rss_strategy s;
	int types = 0, rc;

	memset(r, 0, sizeof(*r));
	if (nb_queues == 0) {
		return -EINVAL;
	}
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		return rc;
	}
	memset(&caps, 0, sizeof(caps));
	caps.driver = info.driver_name;
	caps.nb_queues = nb_queues;
	caps.rss_offloads = info.flow_type_rss_offloads;
	caps.key_size = info.hash_key_size;
	caps.reta_size = info.reta_size;

	/* Errors below only mean "cannot predict": they lead to UNKNOWN. */
	if (nb_queues > 1) {
		memset(key, 0, sizeof(key));
		memset(&conf, 0, sizeof(conf));
		conf.rss_key = key;
		conf.rss_key_len = info.hash_key_size;
		caps.conf_read = rte_eth_dev_rss_hash_conf_get(port_id, &conf) == 0;
		caps.rss_hf = caps.conf_read ? conf.rss_hf : 0;
		if (info.reta_size > 0 && info.reta_size <= TCP_RSS_RETA_MAX) {
			caps.reta_read = read_reta(port_id, reta, info.reta_size) == 0;
		}
		caps.reta_valid = caps.reta_read;
		for (uint16_t i = 0; caps.reta_read && i < info.reta_size; i++) {
			if (reta[i] >= nb_queues) {
				caps.reta_valid = false;
			}
		}
	}
	s = tcp_rss_decide(&caps, why);
	if (caps.conf_read) {
		types = tcp_rss_hash_types(caps.rss_hf);
	}
	switch (s) {
	case TCP_RSS_NONE:
		rc = tcp_rss_init(r, s, NULL, 0, 0, NULL, 0, 1);
		break;
	case TCP_RSS_TOEPLITZ:
		rc = tcp_rss_init(r, s, key, (uint8_t)caps.key_size, (uint32_t)types, reta,
				  caps.reta_size, nb_queues);
		break;
	default:
		/* Keep what could be read, for tcp_rss_dump. */
		rc = tcp_rss_init(r, s, caps.conf_read ? key : NULL,
				  caps.key_size <= TCP_RSS_KEY_MAX ? (uint8_t)caps.key_size : 0,
				  types > 0 ? (uint32_t)types : 0, caps.reta_read ? reta : NULL,
				  caps.reta_read ? caps.reta_size : 0, nb_queues);
		break;
	}
	return rc;
}
