/* SPDX-License-Identifier: Apache-2.0 */
/*
 * neigh.h - the neighbour cache (ARP for IPv4, NDP for IPv6) of one port.
 *
 * Concurrency: exactly one writer (the main lcore, which receives learn
 * events from the workers over rte_rings) and any number of lock-free readers
 * (the workers). Each entry is guarded by a sequence counter: the writer makes
 * it odd, writes, makes it even; a reader retries while it is odd or changed.
 * Readers never write to the table, so no cache line is written by two cores.
 *
 * Entries are REACHABLE for |timeout_tsc| after their last confirmation and
 * are removed by neigh_expire. The table is fixed-size open addressing
 * (linear probing, tombstone-free: expiry re-inserts the rest of the cluster),
 * allocated once by neigh_table_new; nothing allocates afterwards.
 */
#ifndef SB_NEIGH_H
#define SB_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "net.h"

struct neigh_table;

/*
 * neigh_table_new allocates a table for at least |capacity| entries (rounded
 * up to a power of two, at least 16, at most 1<<20) whose entries expire
 * |timeout_tsc| ticks after they were last learned. Returns NULL with errno
 * set (EINVAL for a zero capacity or timeout, ENOMEM).
 */
struct neigh_table *neigh_table_new(uint32_t capacity, uint64_t timeout_tsc);

/* neigh_table_free frees |t|; NULL is accepted. */
void neigh_table_free(struct neigh_table *t);

/*
 * neigh_learn inserts or refreshes the binding in |l| at time |now|.
 * Writer only. Returns 0, -EINVAL for family NONE, or -ENOSPC when the table
 * is full (the caller counts it).
 */
int neigh_learn(struct neigh_table *t, const struct net_learn *l, uint64_t now);

/* What neigh_apply did with a binding. */
enum neigh_outcome {
	NEIGH_IGNORED = 0,	/* not allowed to create, and nothing to refresh */
	NEIGH_CREATED = 1,
	NEIGH_UPDATED = 2,
};

/*
 * neigh_expect records that we asked for |ip| (sent an ARP request or a
 * neighbour solicitation) at |now|, so that an answer arriving before |until|
 * may create an entry. At most 64 addresses are expected at once; a new one
 * replaces the one expiring first. Writer only.
 */
void neigh_expect(struct neigh_table *t, uint8_t family, const uint8_t *ip, uint64_t now,
		  uint64_t until);

/*
 * neigh_apply applies the binding |l| according to l->how: NET_LEARN_CREATE
 * inserts or refreshes; NET_LEARN_ANSWER does so only for an address we
 * expected (neigh_expect, consumed here) or already have; NET_LEARN_UPDATE
 * only refreshes a live entry (RFC 826 merge, RFC 4861 7.2.5), so nobody on
 * the link fills the table with gratuitous ARP or unsolicited NAs. Returns an
 * enum neigh_outcome, -ENOSPC when the table is full, or -EINVAL. Writer only.
 */
int neigh_apply(struct neigh_table *t, const struct net_learn *l, uint64_t now);

/*
 * neigh_lookup copies the MAC for |ip| (4 or 16 bytes per |family|) into
 * |mac| and returns true if a live entry exists at time |now|. Lock-free;
 * safe on any lcore concurrently with the writer. While neigh_expire moves
 * entries to close a gap, a concurrent lookup may miss an entry that is
 * present (the caller resolves again); it never returns a wrong or torn MAC.
 */
bool neigh_lookup(const struct neigh_table *t, uint8_t family, const uint8_t *ip, uint64_t now,
		  uint8_t mac[NET_ETH_ALEN]);

/* neigh_expire removes entries older than the timeout. Writer only. Returns how many. */
uint32_t neigh_expire(struct neigh_table *t, uint64_t now);

/* neigh_count returns the number of entries (live or not yet expired). */
uint32_t neigh_count(const struct neigh_table *t);

/*
 * neigh_foreach calls |fn| for each entry with its binding and age in ticks
 * at |now|; stops early if |fn| returns non-zero and returns that value.
 * Readers' snapshot: entries being rewritten concurrently are skipped.
 */
int neigh_foreach(const struct neigh_table *t, uint64_t now,
		  int (*fn)(const struct net_learn *l, uint64_t age, void *arg), void *arg);

#endif
