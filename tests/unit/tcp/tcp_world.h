/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_world.h - two TCP stacks back to back on a virtual clock, for the unit
 * tests of the state machine. Node A (10.0.0.1, fd00::1) and node B
 * (10.0.0.2, fd00::2) exchange the IP packets their stacks emit through a
 * simulated link with a one-way delay, seeded random loss / reordering /
 * duplication, and a per-segment filter the test may use to drop or record
 * chosen segments. Tests can also inject crafted segments into either node.
 */
#ifndef SB_TEST_TCP_WORLD_H
#define SB_TEST_TCP_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_conn.h"
#include "tcp_stack.h"
#include "tcp_wire.h"

#define WORLD_QMAX 65536

struct world;

/* A segment as the filter and the capture see it. */
struct wseg {
	int from;		/* 0: A -> B, 1: B -> A */
	uint64_t at_us;		/* when it was emitted */
	struct tcp_seg seg;	/* parsed; payload pointer invalid after the hook */
	uint8_t family;
};

/* Return false to drop the segment. */
typedef bool (*world_filter_fn)(struct world *w, const struct wseg *s, void *arg);

struct wpkt {
	struct rte_mbuf *m;
	uint64_t due_us;
	uint16_t port_idx;
	uint8_t family;
};

struct wnode {
	struct world *w;
	int id;
	struct tcp_stack *st;
	struct wpkt q[WORLD_QMAX]; /* packets in flight towards the *other* node */
	uint32_t nq;
	uint64_t misses;	   /* segments no connection/listener took */
};

#define WORLD_CAP_MAX 4096

struct world {
	struct rte_mempool *pool;
	uint64_t now_us;
	uint64_t delay_us;	/* one way */
	double loss, reorder, dup;
	uint64_t rng;
	world_filter_fn filter;
	void *filter_arg;
	bool capture;		/* record emitted segments in cap[] */
	uint32_t ncap;
	struct wseg cap[WORLD_CAP_MAX];
	uint64_t dropped;
	struct wnode n[2];
};

/* world_new creates A and B with |conf| (NULL: defaults), |delay_us| one way, IPv4 + IPv6. */
struct world *world_new(const struct tcp_stack_conf *conf_a, const struct tcp_stack_conf *conf_b,
			uint64_t delay_us);
void world_free(struct world *w);

/* Run until |us| of virtual time have passed or |stop|(arg) is true (checked after each step). */
void world_run(struct world *w, uint64_t us, bool (*stop)(void *arg), void *arg);

/* Deliver a crafted segment to node |to| as if sent by the other node. */
void world_inject(struct world *w, int to, uint8_t family, const struct tcp_seg *seg,
		  const void *payload, uint32_t len);

/* Addresses (network order). */
extern const uint8_t world_ip4[2][4];
extern const uint8_t world_ip6[2][16];

#endif
