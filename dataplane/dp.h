/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp.h - the data plane's run-time state, built once by main.c before the
 * workers start and read-only afterwards (except the fields marked).
 */
#ifndef SB_DP_H
#define SB_DP_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include <rte_lcore.h>

#include "conf/conf.h"
#include "identity/id_bundle.h"
#include "policy/policy.h"
#include "policy/policy_rules.h"
#include "bridge/bridge.h"
#include "audit/audit_ring.h"
#include "net/net.h"
#include "tcp/tcp_rss.h"

struct neigh_table;
struct rte_mempool;
struct rte_rcu_qsbr;
struct lcore_ctx;
struct sb_shm_snapshot;

struct dp_port {
	uint16_t port_id;
	uint16_t nb_queues;
	bool rss;
	bool started;
	char name[CONF_NAME_MAX];
	struct net_if nif;
	struct conf_port conf;
	struct neigh_table *neigh;	/* written by the main lcore only */
	struct rte_mempool *pool;
	bool tx_csum;			/* TX IPv4 + TCP checksum offload enabled */
	/*
	 * How TCP replies reach the worker that owns a connection: the device's
	 * RSS (tcp_rss_from_port), or with tcp_handoff a software RSS
	 * (tcp_rss_init_soft) by which workers pass segments to their owner.
	 */
	struct tcp_rss tcp_rss;
	bool tcp_handoff;
	const char *tcp_rss_why;
};

/* What workers read to find the current policy; swapped by the main lcore. */
struct dp_policy {
	const struct sb_shm_snapshot *snap;	/* NULL: empty policy */
	uint64_t epoch;
	struct policy_view view;		/* checked tables of |snap| (policy.h) */
	/* Content rule sets of |snap|, one object per worker (policy_rules.h). */
	struct policy_rules_worker *rules[RTE_MAX_LCORE];
	/*
	 * The trust bundles of |snap|'s BUNDLES table, parsed (id_bundle.h);
	 * empty when it has none: then no token verifies. Workers hand it to
	 * their identity caches when they see a new slot.
	 */
	struct id_bundle_set bundles;
	/* The trusts' seals of |snap| (bridge.h), with their status slots. */
	struct bridge_view bridge;
};

/* Policy attachment as shown by telemetry; main lcore writes under |lock|. */
struct dp_policy_status {
	pthread_mutex_t lock;
	int state;			/* enum shm_state */
	uint64_t epoch;
	uint64_t instance;
	uint64_t acked_epoch;
	uint32_t writer_pid;
	uint64_t heartbeat_age_ms;
	uint64_t policy_version;	/* store version of the snapshot in use */
	uint64_t refused;		/* snapshots refused by policy_view_init */
	char error[160];
};

/* Neighbour-table outcomes, written by the main lcore, read by telemetry. */
struct dp_neigh_stats {
	uint64_t created;
	uint64_t updated;
	uint64_t ignored;	/* unsolicited: no entry to refresh, not asked for */
	uint64_t full;
	uint64_t next_full_log;
};

struct dp {
	struct conf conf;
	uint64_t tsc_hz;
	uint16_t nb_ports;
	uint16_t nb_workers;
	struct dp_port ports[CONF_MAX_PORTS];
	unsigned int worker_lcore[RTE_MAX_LCORE];	/* worker index -> lcore id */
	struct lcore_ctx *lcores[RTE_MAX_LCORE];	/* by worker index */
	struct rte_rcu_qsbr *qsbr;
	struct dp_policy policy_slots[2];		/* main lcore alternates */
	struct dp_policy *policy;			/* RCU pointer, workers load-acquire */
	struct shm_reader *shm;				/* main lcore only */
	struct bridge_status *bstatus;			/* /dev/shm/NAME.bridge */
	struct audit_shm *audit;			/* /dev/shm/NAME.audit (NULL: audit off) */
	struct dp_policy_status policy_status;
	struct dp_neigh_stats neigh_stats;
	volatile int quit;				/* set by the signal handler */
};

extern struct dp dp_g;

#endif
