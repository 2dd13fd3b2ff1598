/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_rss.h - RSS-correct placement of TCP connections on RX queues.
 *
 * Each worker owns one RX/TX queue pair and the connections whose segments
 * arrive on its RX queue. A passive open lands where the device's RSS puts
 * the SYN, so it is placed by construction. An active open (the bridge dials
 * a peer) must choose its local port so that the peer's replies, hashed by
 * the device, come back to the dialling worker's queue. This module predicts
 * that hash in software and picks such a port.
 *
 * The model (Microsoft "RSS hashing functions", which DPDK NICs implement):
 * the device computes the Toeplitz hash of a received packet's source
 * address, destination address, source port and destination port (ports only
 * when the device hashes TCP over that IP version with L4 ports; addresses
 * only when it hashes just the IP version) under its secret key, and takes
 * the RX queue from its redirection table (RETA) at index hash mod RETA
 * size, i.e. the hash's low bits (every DPDK driver reports a power-of-two
 * RETA; see tcp_rss_queue). The Toeplitz arithmetic is DPDK's own
 * (rte_softrss_be in <rte_thash.h>, header only), checked against the
 * Microsoft verification suite in tests/unit/tcp/test_tcp_rss.c.
 *
 * Three strategies (enum tcp_rss_strategy), decided once per port:
 *   TCP_RSS_NONE      one RX queue: every packet lands on queue 0 and any
 *                     free port will do.
 *   TCP_RSS_TOEPLITZ  the device reported its key, hash types and RETA and
 *                     its driver is known to hash with Toeplitz: the
 *                     software prediction is valid and tcp_rss_pick_port4/6
 *                     steer replies.
 *   TCP_RSS_UNKNOWN   the device spreads flows over several queues but we
 *                     cannot predict how (net_tap, whose queue is chosen by
 *                     the kernel TUN driver's own flow hash; net_ring; a
 *                     driver without RETA query, ...). The caller falls back
 *                     to an rte_flow rule or to a software hand-off between
 *                     workers; tcp_rss_init_soft gives it a steering function
 *                     for the hand-off.
 *
 * struct tcp_rss is caller-owned storage (no allocation anywhere here), set
 * up on the slow path by tcp_rss_init, tcp_rss_init_soft or
 * tcp_rss_from_port and read-only afterwards: the query functions may be
 * called from any lcore concurrently. Everything except tcp_rss_from_port is
 * sans-I/O and needs no EAL.
 *
 * Byte order at this API: IPv4 addresses are in network order (as they lie in
 * the IP header), IPv6 addresses are 16 bytes in network order, ports are in
 * host order. "Remote" and "local" are from our side; the received reply of
 * an active open has src = remote, dst = local.
 */
#ifndef SB_TCP_RSS_H
#define SB_TCP_RSS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TCP_RSS_KEY_MIN 40   /* IPv6 + ports needs 36 bytes of input + 4 */
#define TCP_RSS_KEY_MAX 52   /* i40e/ice; most devices use 40 */
#define TCP_RSS_RETA_MAX 512 /* RTE_ETH_RSS_RETA_SIZE_512 */

/* How replies are steered; see the top of this file. */
enum tcp_rss_strategy {
	TCP_RSS_NONE = 0,
	TCP_RSS_TOEPLITZ,
	TCP_RSS_UNKNOWN,
};

/*
 * Hash types the device applies to non-fragmented TCP segments. For one IP
 * version the L4 type (4-tuple) wins over the L3 type (addresses only); with
 * neither, the device does not hash that version's TCP and its queue cannot
 * be predicted.
 */
#define TCP_RSS_HASH_IPV4 (1u << 0) /* IPv4 src, dst */
#define TCP_RSS_HASH_TCP4 (1u << 1) /* IPv4 src, dst, sport, dport */
#define TCP_RSS_HASH_IPV6 (1u << 2) /* IPv6 src, dst */
#define TCP_RSS_HASH_TCP6 (1u << 3) /* IPv6 src, dst, sport, dport */
#define TCP_RSS_HASH_ALL 0xfu

struct tcp_rss {
	enum tcp_rss_strategy strategy;
	uint16_t nb_queues;			 /* RX queues of the port, >= 1 */
	uint16_t reta_size;			 /* 0 when no RETA is known */
	uint32_t hash_types;			 /* TCP_RSS_HASH_* */
	uint8_t key_len;			 /* 0 when no key is known */
	uint8_t key[TCP_RSS_KEY_MAX];		 /* as the device holds it (byte 0 first) */
	uint32_t key_words[TCP_RSS_KEY_MAX / 4]; /* key as CPU-order words (rte_softrss_be) */
	uint16_t reta[TCP_RSS_RETA_MAX];	 /* RX queue ids */
};

/*
 * tcp_rss_init sets |r| up from explicit values: |strategy|, the |key| of
 * |key_len| bytes, |hash_types| (TCP_RSS_HASH_*), the redirection table
 * |reta| of |reta_size| queue ids and the port's |nb_queues| RX queues.
 *
 * TCP_RSS_TOEPLITZ needs nb_queues >= 1, a key of 40..52 bytes in whole
 * 32-bit words, a RETA of 1..512 entries each below nb_queues, and hash
 * types within TCP_RSS_HASH_ALL. TCP_RSS_NONE needs nb_queues == 1 and
 * ignores the rest. TCP_RSS_UNKNOWN needs nb_queues >= 1 and keeps a key and
 * RETA that pass the same checks (for tcp_rss_dump), dropping them
 * otherwise. Returns 0, or -EINVAL (|r| is then zeroed). Slow path.
 */
int tcp_rss_init(struct tcp_rss *r, enum tcp_rss_strategy strategy, const uint8_t *key,
		 uint8_t key_len, uint32_t hash_types, const uint16_t *reta, uint16_t reta_size,
		 uint16_t nb_queues) __attribute__((warn_unused_result));

/*
 * tcp_rss_init_soft sets |r| up as a software RSS over |nb_queues| queues:
 * the Microsoft default 40-byte key, 4-tuple hashing for IPv4 and IPv6 and
 * a round-robin RETA of 128 entries, or of the next power of two above
 * |nb_queues| when that is larger (TCP_RSS_NONE for one queue). A worker that
 * receives on a port with TCP_RSS_UNKNOWN uses it as the hand-off function:
 * tcp_rss_flow_queue4/6 on it names the worker that owns a received segment,
 * and tcp_rss_pick_port4/6 on it choose local ports that the dialling worker
 * owns. Returns 0 or -EINVAL for nb_queues 0 or above 512.
 */
int tcp_rss_init_soft(struct tcp_rss *r, uint16_t nb_queues) __attribute__((warn_unused_result));

/*
 * tcp_rss_hash4 returns the RSS hash the device computes for a received
 * IPv4 TCP segment from |src_be|:|sport| to |dst_be|:|dport|: the Toeplitz
 * hash of (src, dst, sport, dport) with TCP_RSS_HASH_TCP4, of (src, dst)
 * with only TCP_RSS_HASH_IPV4, and 0 when IPv4 TCP is not hashed or no key
 * is known. Equals mbuf->hash.rss on such a device.
 */
uint32_t tcp_rss_hash4(const struct tcp_rss *r, uint32_t src_be, uint32_t dst_be, uint16_t sport,
		       uint16_t dport);

/* tcp_rss_hash6 is tcp_rss_hash4 for IPv6 (16-byte addresses, TCP_RSS_HASH_TCP6/IPV6). */
uint32_t tcp_rss_hash6(const struct tcp_rss *r, const uint8_t src[16], const uint8_t dst[16],
		       uint16_t sport, uint16_t dport);

/*
 * tcp_rss_queue returns the RX queue that RETA sends |hash| to:
 * reta[hash & (reta_size - 1)] for a power-of-two RETA, which is what the
 * NICs do (they index the table with the hash's low bits: 7 for ixgbe's 128
 * entries, 9 for i40e's 512; virtio-net: hash & indirection_table_mask), and
 * reta[hash % reta_size] otherwise (no DPDK driver reports such a RETA;
 * tcp_rss_decide treats one as TCP_RSS_UNKNOWN). Returns 0 when no RETA is
 * known.
 */
uint16_t tcp_rss_queue(const struct tcp_rss *r, uint32_t hash);

/*
 * tcp_rss_flow_queue4 returns the RX queue on which the device delivers a
 * received IPv4 TCP segment from |src_be|:|sport| to |dst_be|:|dport|: 0 with
 * TCP_RSS_NONE, the RETA entry of its hash with TCP_RSS_TOEPLITZ, or
 * -EOPNOTSUPP with TCP_RSS_UNKNOWN or when the device does not hash IPv4 TCP.
 * Used to assert placement and, on a tcp_rss_init_soft table, to find the
 * owner of a segment in the software hand-off.
 */
int tcp_rss_flow_queue4(const struct tcp_rss *r, uint32_t src_be, uint32_t dst_be, uint16_t sport,
			uint16_t dport);

/* tcp_rss_flow_queue6 is tcp_rss_flow_queue4 for IPv6. */
int tcp_rss_flow_queue6(const struct tcp_rss *r, const uint8_t src[16], const uint8_t dst[16],
			uint16_t sport, uint16_t dport);

/*
 * tcp_rss_pick_port4 chooses the local (ephemeral) port of an active open
 * from |local_be| to |remote_be|:|remote_port| such that the replies (src =
 * remote, dst = local) arrive on RX queue |want_queue|. It returns a port p in
 * [|lo|, |hi|] for which |in_use|(|arg|, p) is false (in_use may be NULL: all
 * free). The search visits every port of the range once, starting at
 * lo + start % n (n = hi - lo + 1) and walking with a stride taken from
 * start's upper 16 bits (odd and coprime with n; 1 when those bits are zero),
 * wrapping at hi; a caller that passes a random or keyed 32-bit |start| per
 * connection gets RFC 6056 style randomised ports spread over all those
 * that qualify. in_use is called only for ports that map to want_queue.
 *
 * With TCP_RSS_NONE any free port is returned; with only L3 hashing any free
 * port if the addresses already map to want_queue.
 *
 * Returns the port (1..65535), or:
 *   -EINVAL        lo == 0, lo > hi or want_queue >= nb_queues;
 *   -EADDRNOTAVAIL no free port in the range maps to want_queue (also when
 *                  no RETA entry names want_queue);
 *   -EOPNOTSUPP    the port cannot steer the replies: TCP_RSS_UNKNOWN, IPv4
 *                  TCP not hashed, or L3-only hashing that maps the
 *                  addresses to another queue. Hand the connection off.
 * Reentrant; the cost is one Toeplitz hash per port tried (about nb_queues
 * on average when the RETA is balanced).
 */
int tcp_rss_pick_port4(const struct tcp_rss *r, uint32_t local_be, uint32_t remote_be,
		       uint16_t remote_port, uint16_t want_queue, uint16_t lo, uint16_t hi,
		       uint32_t start, bool (*in_use)(void *arg, uint16_t port), void *arg)
	__attribute__((warn_unused_result));

/* tcp_rss_pick_port6 is tcp_rss_pick_port4 for IPv6 (16-byte addresses). */
int tcp_rss_pick_port6(const struct tcp_rss *r, const uint8_t local[16], const uint8_t remote[16],
		       uint16_t remote_port, uint16_t want_queue, uint16_t lo, uint16_t hi,
		       uint32_t start, bool (*in_use)(void *arg, uint16_t port), void *arg)
	__attribute__((warn_unused_result));

/* tcp_rss_strategy_name returns "none", "toeplitz", "unknown" or "?" for |s|. */
const char *tcp_rss_strategy_name(enum tcp_rss_strategy s);

/* tcp_rss_dump writes |r| (strategy, hash types, key, RETA) to |f| for humans. */
void tcp_rss_dump(FILE *f, const struct tcp_rss *r);

/*
 * What a port tells about its RSS, gathered by tcp_rss_from_port from
 * rte_eth_dev_info_get, rte_eth_dev_rss_hash_conf_get and
 * rte_eth_dev_rss_reta_query, and judged by tcp_rss_decide.
 */
struct tcp_rss_caps {
	const char *driver;    /* rte_eth_dev_info.driver_name, e.g. "net_ixgbe" */
	uint16_t nb_queues;    /* RX queues the port was configured with */
	uint64_t rss_offloads; /* rte_eth_dev_info.flow_type_rss_offloads */
	uint16_t key_size;     /* rte_eth_dev_info.hash_key_size */
	uint16_t reta_size;    /* rte_eth_dev_info.reta_size */
	bool conf_read;	       /* rte_eth_dev_rss_hash_conf_get succeeded */
	uint64_t rss_hf;       /* ... and reported these RTE_ETH_RSS_* types */
	bool reta_read;	       /* rte_eth_dev_rss_reta_query succeeded */
	bool reta_valid;       /* ... and every entry is below nb_queues */
};

/*
 * tcp_rss_hash_types converts the RTE_ETH_RSS_* bits |rss_hf| a device
 * reports into TCP_RSS_HASH_* bits: NONFRAG_IPV4_TCP gives TCP4;
 * IPV4 (without it) gives IPV4; NONFRAG_IPV6_TCP or IPV6_TCP_EX gives TCP6;
 * IPV6 or IPV6_EX gives IPV6. Returns the bits, or -EOPNOTSUPP when |rss_hf|
 * holds a field selector that changes the Toeplitz input (L3_SRC_ONLY,
 * L3_DST_ONLY, L4_SRC_ONLY, L4_DST_ONLY, L3_PRE32..PRE96). Sans-I/O.
 */
int tcp_rss_hash_types(uint64_t rss_hf);

/*
 * tcp_rss_decide picks the strategy for a port described by |c| and, when
 * |why| is not NULL, points it at a static sentence saying why (for the log):
 *   - nb_queues <= 1: TCP_RSS_NONE;
 *   - TCP_RSS_TOEPLITZ only when all of these hold: the driver is one that
 *     hashes with Toeplitz by default (the list in tcp_rss_dev.c: ixgbe and
 *     its VF, i40e, ice, iavf, igb and its VF, igc, txgbe and its VF, ngbe,
 *     mlx5, mlx4, hns3 and its VF, bnxt, ena, virtio);
 *     it offers RSS (rss_offloads != 0); its key is 40..52 bytes in whole
 *     words; its RETA is a power of two up to 512 entries; the hash
 *     configuration and the RETA were read and the RETA names only
 *     configured queues; and tcp_rss_hash_types accepts rss_hf with at least
 *     one TCP or IP type. DPDK 22.11 has no query for the hash function, so
 *     the driver list stands in for it (a symmetric or XOR function set
 *     through rte_flow is the caller's business);
 *   - everything else: TCP_RSS_UNKNOWN. net_tap reports RSS offloads and a
 *     40-byte key but no RETA and no hash configuration (its RSS exists only
 *     as eBPF flow rules, and without them the kernel TUN picks the queue),
 *     and is listed as UNKNOWN by name; so is net_null, which reports RSS
 *     offloads, a 128-entry RETA and a key but key size 0 and never hashes;
 *     net_ring reports no RSS at all (unlisted driver, no offloads).
 * Sans-I/O.
 */
enum tcp_rss_strategy tcp_rss_decide(const struct tcp_rss_caps *c, const char **why);

/*
 * tcp_rss_from_port fills |r| from ethdev port |port_id|, configured with
 * |nb_queues| RX queues: it reads the device info, the hash configuration
 * (with a key buffer of the size the device reports) and the RETA (in
 * 64-entry groups), then sets the strategy with tcp_rss_decide, pointing
 * |why| (may be NULL) at its reason; the caller logs both.
 * Call after rte_eth_dev_configure (the RETA and key exist from then on),
 * and again whenever the RSS configuration changes. A device that cannot
 * report key or RETA is not an error: |r| becomes TCP_RSS_UNKNOWN.
 * Returns 0, -EINVAL for nb_queues 0, or the negative errno of
 * rte_eth_dev_info_get (-ENODEV for a bad port); |r| is zeroed on failure.
 * Main lcore, slow path; needs EAL.
 */
int tcp_rss_from_port(struct tcp_rss *r, uint16_t port_id, uint16_t nb_queues, const char **why)
	__attribute__((warn_unused_result));

#endif
