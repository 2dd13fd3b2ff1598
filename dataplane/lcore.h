/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lcore.h - a worker lcore: its state, its counters and its poll loop.
 *
 * Each worker owns queue |index| on every port (RX and TX), its TX buffers,
 * its impairment streams and its counters; nothing in struct lcore_ctx is
 * written by another core. Counters are plain uint64_t written only by the
 * owner and read (possibly mid-update, which is harmless for 64-bit aligned
 * loads on the platforms DPDK supports) by the telemetry thread.
 *
 * Loop (run to completion, no allocation, no locks, no system calls):
 *   for each port: rx burst -> [impair] -> prefetch -> net_input per packet ->
 *   replies into the port's TX buffer, learned neighbours into the worker's
 *   ring to the main lcore -> [impair] -> tx burst; then a QSBR quiescent
 *   state and a look at the current policy epoch.
 */
#ifndef SB_LCORE_H
#define SB_LCORE_H

#include <assert.h>
#include <stdint.h>

#include <rte_common.h>

#include "conf/conf.h"
#include "net/net.h"
#include "port/impair.h"
#include "stats/drop.h"
#include "identity/id_cache.h"
#include "policy/policy_rules.h"
#include "audit/audit_ring.h"
#include "bridge/bridge.h"

/* Array size for a burst (conf.burst <= 256) plus impairment duplicates. */
#define LCORE_BURST_MAX 512

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;
struct dp;
struct tcp_stack;
struct grpc_server;
struct grpc_tcp;
struct slim_node;
struct crypto_aead_engine;
struct tcp_pkt;

struct lcore_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t polls;		/* loop iterations */
	uint64_t audit_waits;	/* iterations that took no input: the audit ring was nearly full */
	uint64_t busy_polls;	/* iterations that received something */
	uint64_t busy_tsc;	/* TSC ticks spent in busy iterations */
	uint64_t policy_epoch;	/* the policy epoch this worker last saw */
	uint64_t drops[DROP__MAX];
	uint64_t tcp_handoff_out;	/* segments passed to their owning worker */
	uint64_t tcp_handoff_in;	/* segments received from other workers */
	uint64_t tcp_connect_failed;	/* LCORE_CMD_TCP_CONNECT that tcp_connect refused */
	uint64_t grpc_call_failed;	/* LCORE_CMD_GRPC_CALL that could not start */
	uint64_t slim_update_lost;	/* subscription changes another worker's ring refused */
	struct net_counters net;
};

/*
 * A learned neighbour on its way to the main lcore (ring element, 28 bytes).
 * learn.how is an enum net_learn_how, or LCORE_LEARN_PENDING when a worker
 * has just asked for learn.ip (so that the answer may create an entry).
 */
#define LCORE_LEARN_PENDING 0xff

struct lcore_learn_msg {
	uint16_t port_idx;
	struct net_learn learn;
	uint8_t pad[2];
};

static_assert(sizeof(struct lcore_learn_msg) % 4 == 0, "rte_ring element size");

/* A request to a worker from the slow path (telemetry, main lcore); ring element, 24 bytes. */
enum lcore_cmd_type {
	LCORE_CMD_RESOLVE = 1,	/* resolve |ip| on |port_idx| (ARP request / NS) */
	LCORE_CMD_TCP_CONNECT,	/* open a source-app connection to |ip|:|dport| */
	LCORE_CMD_GRPC_CALL,	/* dial |ip|:|dport| and make one gRPC EmptyCall */
};

struct lcore_cmd {
	uint16_t type;
	uint16_t port_idx;
	uint8_t family;		/* enum net_family */
	uint8_t pad;
	uint16_t dport;
	uint8_t ip[16];
};

/*
 * A TCP segment on its way to the worker that owns its connection (software
 * hand-off on ports whose RSS we cannot predict); ring element, 16 bytes.
 */
struct lcore_handoff {
	struct rte_mbuf *m;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t l4_len;
	uint8_t family;
	uint8_t port_idx;
};

static_assert(sizeof(struct lcore_handoff) == 16, "rte_ring element size");

/* Addresses this worker is resolving, so it asks at most once per interval. */
#define LCORE_RESOLVE_SLOTS 16

struct lcore_resolve {
	uint8_t family;
	uint16_t port_idx;
	uint8_t ip[16];
	uint64_t sent_tsc;
};

struct lcore_queue {
	uint16_t port_idx;	/* index into dp->ports */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t nb_tx;
	struct impair im_rx;
	struct impair im_tx;
	struct rte_mbuf *tx[LCORE_BURST_MAX];
};

struct lcore_ctx {
	unsigned int lcore_id;
	uint16_t index;		/* worker index == queue id on every port */
	uint16_t nb_queues;
	uint16_t burst;
	uint64_t hold_tsc;	/* impairment: longest hold of a reordered packet */
	struct dp *dp;
	struct rte_ring *learn_ring;	/* to the main lcore, SP/SC */
	struct rte_ring *cmd_ring;	/* from the slow path, MP/SC */
	uint64_t resolve_interval_tsc;	/* 1 s */
	struct lcore_resolve resolving[LCORE_RESOLVE_SLOTS];
	struct tcp_stack *tcp;		/* this worker's TCP stack */
	struct rte_mempool *tcp_pool;	/* segments the stack builds */
	struct rte_ring *handoff_ring;	/* TCP segments from other workers, MP/SC */
	struct grpc_server *grpc_srv;	/* grpc_test_port: the interop TestService */
	struct grpc_tcp *grpc;		/* ... served over this worker's TCP */
	struct grpc_server *slim_srv;	/* slim.listen_port: OpenChannel */
	struct slim_node *slim;		/* ... this worker's SLIM node */
	struct grpc_tcp *slim_tcp;	/* ... on this worker's TCP */
	struct rte_ring *slim_in;	/* publishes from other workers for our connections, MP/SC */
	struct rte_ring *slim_upd;	/* other workers' subscription changes, MP/SC */
	struct rte_mempool *slim_pool;	/* mbufs carrying publishes to other workers */
	uint8_t *slim_flat;		/* a chained publish made flat again */
	uint64_t slim_link_retry[8];	/* worker 0: when to dial slim.links[i] (ms; 0: up) */
	uint64_t tsc_per_us;
	struct crypto_aead_engine *aead;	/* this worker's seals and opens (crypto.backend) */
	struct policy_rules_counters rules_ctr;	/* content scans, across snapshots */
	/*
	 * This worker's verified-identity cache (identity:, id_cache.h) and the
	 * bundle set it was last handed (the current policy slot's).
	 */
	struct id_cache *idc;
	const struct id_bundle_set *idc_bundles;
	/*
	 * The federation bridge (bridge.h): this worker's seal state, the view
	 * it was last handed (the current slot's), its audit ring, and the
	 * wall clock the SLIM node stamps decisions with (from the TSC, per
	 * poll: no system call). Worker 0 dials each trust's peer bridge.
	 */
	struct bridge_worker *bridge;
	const struct bridge_view *bview;
	struct audit_ring audit;
	bool audit_on;
	uint64_t clock_ns;
	uint64_t clock_base_ns, clock_base_tsc;
	uint64_t trust_retry[SB_BRIDGE_MAX_TRUSTS];	/* worker 0: ms; 0: dialled or up */
	/* worker 0: each trust link's connection and its liveness (PING, frames seen) */
	struct grpc_cconn *trust_cc[SB_BRIDGE_MAX_TRUSTS];
	uint64_t trust_dialled_ms[SB_BRIDGE_MAX_TRUSTS];
	uint64_t trust_heard_ms[SB_BRIDGE_MAX_TRUSTS];	/* last time a frame came in */
	uint64_t rx_paused_ms;	/* last poll that took no input (audit back-pressure) */
	uint64_t trust_frames[SB_BRIDGE_MAX_TRUSTS];
	uint64_t trust_ping_ms[SB_BRIDGE_MAX_TRUSTS];
	struct lcore_stats stats __rte_cache_aligned;
	struct lcore_queue q[CONF_MAX_PORTS] __rte_cache_aligned;
} __rte_cache_aligned;

/*
 * lcore_ctx_new allocates and initialises the context of worker |index| on
 * |lcore_id| for every port of |dp| (NUMA-local memory, learn ring, TCP
 * stack with its mbuf pool, listeners of the test apps). Returns NULL with
 * rte_errno set.
 */
struct lcore_ctx *lcore_ctx_new(struct dp *dp, uint16_t index, unsigned int lcore_id);

/* lcore_ctx_free frees |lc| and anything it still holds. NULL is accepted. */
void lcore_ctx_free(struct lcore_ctx *lc);

/* lcore_main is the worker entry point for rte_eal_remote_launch(|arg| = lcore_ctx). */
int lcore_main(void *arg);

/*
 * lcore_resolve finds the MAC of |ip| (4 or 16 bytes per |family|) on port
 * |port_idx|. On a neighbour-cache hit it copies it to |mac| and returns 0.
 * On a miss it transmits an ARP request or a neighbour solicitation from this
 * worker's queue, at most once per address per second, and returns -EAGAIN;
 * the answer is learned like any other frame, so a later call hits. Returns
 * -EINVAL for a bad port or family, or -ENOBUFS when no mbuf was available.
 * Worker context only.
 */
int lcore_resolve(struct lcore_ctx *lc, uint16_t port_idx, uint8_t family, const uint8_t *ip,
		  uint8_t mac[NET_ETH_ALEN]);

/*
 * lcore_post asks worker |lc| to carry out |cmd| on its next iteration. Safe
 * from any thread (multi-producer ring). Returns 0 or -ENOBUFS if the ring is
 * full.
 */
int lcore_post(struct lcore_ctx *lc, const struct lcore_cmd *cmd);

/*
 * lcore_poll runs one iteration of the worker loop over every port and
 * returns the number of packets received. Exposed for the benchmark, which
 * drives it on net_null/net_ring ports.
 */
uint32_t lcore_poll(struct lcore_ctx *lc);

#endif
