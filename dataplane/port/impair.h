/* SPDX-License-Identifier: Apache-2.0 */
/*
 * impair.h - seeded packet impairment for tests: drop, duplicate, reorder.
 *
 * This kernel has no netem, so tests that need a lossy link ask the data
 * plane to impair its own ports (config ports[].impair, off by default). One
 * struct impair exists per (port, queue, direction) and belongs to one
 * lcore. The random stream is xorshift64* seeded from the configured seed
 * and the stream id, so a run is reproducible for a given seed, queue layout
 * and packet order.
 *
 * Decisions are sans-I/O (impair_decide); impair_burst applies them to an
 * mbuf array: dropped mbufs are freed and counted, duplicates are full
 * copies from the packet's own pool (a failed copy just skips the
 * duplicate), and a reordered packet is held back and released after the
 * next packet, or by impair_flush once it has waited |hold_tsc| (so the last
 * packet of a flow is delayed, never lost).
 */
#ifndef SB_IMPAIR_H
#define SB_IMPAIR_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct conf_impair;

enum impair_action {
	IMPAIR_PASS = 0,
	IMPAIR_DROP,
	IMPAIR_DUPLICATE,
	IMPAIR_REORDER,
};

struct impair {
	bool enabled;
	uint32_t p_drop;	/* probabilities scaled to 2^32 */
	uint32_t p_dup;
	uint32_t p_reorder;
	uint64_t rng;
	struct rte_mbuf *held;	/* one reordered packet waiting */
	uint64_t held_since;
	uint64_t dropped;	/* counters, read by telemetry */
	uint64_t duplicated;
	uint64_t reordered;
};

/*
 * impair_init sets |im| from |c| for stream |stream_id| (e.g. port << 16 |
 * queue << 1 | direction). A disabled config leaves |im| disabled.
 */
void impair_init(struct impair *im, const struct conf_impair *c, uint64_t stream_id);

/* impair_decide draws the action for the next packet (sans-I/O; tests use it). */
enum impair_action impair_decide(struct impair *im);

/*
 * impair_burst applies impairment to |pkts[0..n)|, whose array has room for
 * |cap| entries, at time |now| (TSC), and returns the new count. Duplicates
 * that do not fit |cap| are not made, and a held packet is not released into
 * a full array; with |n| <= |cap| the result never exceeds |cap|. At most
 * IMPAIR_BURST_MAX packets are handled; a larger |n| passes unimpaired. Call
 * only when im->enabled.
 */
#define IMPAIR_BURST_MAX 512
uint16_t impair_burst(struct impair *im, struct rte_mbuf **pkts, uint16_t n, uint16_t cap,
		      uint64_t now);

/*
 * impair_flush returns the held packet (and forgets it) if it has waited at
 * least |hold_tsc| at time |now| (a |now| earlier than the hold counts as no
 * wait), else NULL.
 */
struct rte_mbuf *impair_flush(struct impair *im, uint64_t now, uint64_t hold_tsc);

/* impair_release frees a held packet (at shutdown). */
void impair_release(struct impair *im);

#endif
