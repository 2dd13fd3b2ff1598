/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_ring.h - two TCP stacks on one lcore linked by net_ring, for the
 * benchmarks that drive the data plane's TCP (bench-tcp, bench-slim).
 *
 * Stack A (10.98.0.1) and stack B (10.98.0.2) each own an ethdev port made
 * from two rte_rings with rte_eth_from_rings: A's TX ring is B's RX ring and
 * the other way round. A "turn" of a side is one worker-loop iteration:
 * the side's pre hook (the app's own work), rte_eth_rx_burst (32), Ethernet
 * and IPv4 checked and stripped (l3_off 14), tcp_stack_input,
 * tcp_stack_tick with a TSC-derived microsecond clock, then rte_eth_tx_burst
 * of what the stack emitted (emit prepends the 14-byte Ethernet header).
 * bring_turn_timed adds the turn's TSC cycles to the side's counters. MTU
 * 1500, no offloads: the stack computes and verifies TCP checksums.
 *
 * bring_eal_init builds the EAL arguments the benchmarks share (or takes
 * the caller's) and removes EAL's run directory at exit.
 */
#ifndef SB_BENCH_RING_H
#define SB_BENCH_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "tcp_stack.h"

#define BRING_BURST 32
#define BRING_RING_SIZE 4096 /* per direction; above the largest window (1 MiB / MSS) */
#define BRING_POOL_SIZE 32767 /* mbufs per stack */
#define BRING_TXB_MAX 512     /* emit buffer; sent early when full */

struct bring_side {
	const char *name;
	struct tcp_stack *st;
	struct rte_mempool *pool;
	uint16_t port;
	bool port_up; /* started: bring_pair_free stops it */
	struct rte_ether_addr mac, peer_mac;
	void (*pre)(void); /* the app's work at the start of the turn (NULL: none) */
	struct rte_mbuf *txb[BRING_TXB_MAX];
	uint16_t ntx;
	uint64_t tx_pkts;
	/* Per phase (bring_reset). */
	uint64_t cycles;      /* TSC cycles in this side's turns */
	uint64_t busy_cycles; /* ... in turns that received or sent something */
	uint64_t turns, busy_turns;
	uint64_t data_segs_in;	    /* received segments with payload */
	uint64_t link_drops;	    /* TX ring full, or no headroom for the Ethernet header */
	uint64_t not_tcp;	    /* frames that were not IPv4/TCP */
	uint64_t misses;	    /* segments no connection or listener took */
	struct tcp_stack_stats st0; /* the stack's counters at the phase start */
};

extern uint64_t bring_tsc_hz;	  /* set by bring_eal_init */
extern uint64_t bring_tsc_per_us;

/* bring_now_us returns the TSC in microseconds (the stacks' clock). */
static inline uint64_t bring_now_us(void)
{
	return rte_rdtsc() / bring_tsc_per_us;
}

/*
 * bring_eal_init initialises EAL for benchmark |tag| ("bench-tcp"): the
 * arguments before the "--" at argv[|dd|] when |dd| > 1 (*|user_eal| set),
 * otherwise the defaults printed by bring_eal_defaults_help, with
 * --no-huge when *|no_huge| or fewer than 512 hugepages are free (then
 * *|no_huge| is set and a note printed). EAL's run directory is removed at
 * exit (and by bring_remove_run_dir, for signal handlers). Returns 0 or -1
 * with a message on stderr.
 */
int bring_eal_init(int argc, char **argv, int dd, const char *tag, bool *no_huge, bool *user_eal);

/*
 * bring_split_args finds the "--" that ends the EAL arguments (*|dd|: its
 * index, or -1) and returns a new argv (argv[0], then the benchmark's own
 * options: everything after "--", or everything when there is none) with
 * its count in *|oargc|; NULL when out of memory.
 */
char **bring_split_args(int argc, char **argv, int *dd, int *oargc);

/* bring_stack_conf fills |c| for the benchmarks: defaults, 1 MiB buffers, random secret and seed. */
void bring_stack_conf(struct tcp_stack_conf *c);

/* bring_eal_defaults_help prints the default EAL arguments for a --help text. */
void bring_eal_defaults_help(FILE *f, const char *tag);

/* bring_remove_run_dir removes EAL's run directory (async-signal-safe). */
void bring_remove_run_dir(void);

/*
 * bring_pair_make makes the rings, the stacks (with |conf|), their mbuf
 * pools and their ports for sides |a| (id 0) and |b| (id 1), names prefixed
 * with |tag| (a few letters). Returns 0 or -1 with a message on stderr.
 */
int bring_pair_make(struct bring_side *a, struct bring_side *b, const struct tcp_stack_conf *conf,
		    const char *tag);

/* bring_pair_free stops and frees what bring_pair_make made. */
void bring_pair_free(struct bring_side *a, struct bring_side *b);

/* One worker-loop turn of |s| at |now| (us). Returns packets received + sent. */
uint32_t bring_turn(struct bring_side *s, uint64_t now);

/* bring_turn_timed runs a turn and adds its cycles to |s|'s phase counters. */
static inline void bring_turn_timed(struct bring_side *s, uint64_t now)
{
	uint64_t t0 = rte_rdtsc();
	uint32_t work = bring_turn(s, now);
	uint64_t d = rte_rdtsc() - t0;

	s->cycles += d;
	s->turns++;
	if (work > 0) {
		s->busy_cycles += d;
		s->busy_turns++;
	}
}

/* bring_reset starts a phase: zeroes the phase counters and snapshots the stack's. */
void bring_reset(struct bring_side *s);

/* bring_ctr returns how much stack counter |c| of |s| grew in this phase. */
uint64_t bring_ctr(const struct bring_side *s, enum tcp_ctr c);

#endif
