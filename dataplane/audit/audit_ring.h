/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_ring.h - the data plane's side of the audit rings
 * (proto/shm/audit_abi.h): the shared-memory object made or re-attached
 * at start-up, and per worker the producer of one ring.
 *
 * Use on a worker, per poll iteration:
 *   if (audit_ring_free(r) < AUDIT_RESERVE) -> take no new input this round
 *   ...  struct sb_audit_rec *rec = audit_ring_slot(r); fill it; audit_ring_commit(r);
 * audit_ring_slot never fails when the caller checked audit_ring_free
 * first (the reserve covers one burst's records); it returns NULL when the
 * ring is full, which the caller counts (it must never happen: the
 * back-pressure check came first).
 *
 * Nothing here locks, allocates or makes a system call after
 * audit_shm_open. Thread context: audit_shm_open/close on the main lcore;
 * one producer per ring (its worker); the consumer is another process.
 */
#ifndef SB_AUDIT_RING_H
#define SB_AUDIT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/audit_abi.h"

/* Records one poll iteration may produce at most (a burst of input, plus denials). */
#define AUDIT_RESERVE 512

struct audit_shm;

struct audit_ring {
	struct sb_audit_ring *r;	/* in the shared object */
	struct sb_audit_rec *recs;
	uint64_t mask;
	uint64_t head;			/* our copy of r->head */
	uint64_t tail_cache;		/* last tail seen (refreshed when it looks full) */
	uint64_t seq;			/* next record's seq - 1 */
	uint32_t worker;
};

/*
 * audit_shm_open opens /dev/shm/NAME.audit for |nb_rings| rings of
 * |ring_size| records (a power of two, 1024..1<<20). An existing object
 * of the same geometry is re-attached with its unread records kept (and
 * each ring's seq continues from the last record's); one of another
 * geometry is replaced only when it holds no unread record, else -EBUSY
 * (the operator drains it with a writer first, or removes it). Mode 0600.
 * 0 or a negative errno; |err| gets one line.
 */
int audit_shm_open(const char *name, uint32_t nb_rings, uint32_t ring_size, struct audit_shm **out,
		   char *err, size_t errlen) __attribute__((warn_unused_result));

/* audit_shm_ring attaches |ring| to ring |i| (its worker's). */
void audit_shm_ring(struct audit_shm *s, uint32_t i, struct audit_ring *ring);

/* audit_shm_close unmaps (the object stays for the writer). NULL ok. */
void audit_shm_close(struct audit_shm *s);

/* Room in the ring, in records (reads the consumer's tail when needed). */
static inline uint64_t audit_ring_free(struct audit_ring *a)
{
	uint64_t used = a->head - a->tail_cache;
	if (used + AUDIT_RESERVE > a->mask + 1) {
		a->tail_cache = __atomic_load_n(&a->r->tail, __ATOMIC_ACQUIRE);
		used = a->head - a->tail_cache;
	}
	return a->mask + 1 - used;
}

/*
 * audit_ring_slot: the next record to fill (zeroed, with worker and seq
 * set), or NULL when the ring is full. Publish it with audit_ring_commit.
 */
struct sb_audit_rec *audit_ring_slot(struct audit_ring *a);

/* audit_ring_commit publishes the record audit_ring_slot returned. */
static inline void audit_ring_commit(struct audit_ring *a)
{
	a->head++;
	__atomic_store_n(&a->r->head, a->head, __ATOMIC_RELEASE);
}

/* audit_ring_wait counts a poll iteration that took no input for want of room. */
static inline void audit_ring_wait(struct audit_ring *a)
{
	__atomic_store_n(&a->r->waits, a->r->waits + 1, __ATOMIC_RELAXED);
}

/* audit_copy_str copies |s| (|n| bytes) into a record field of |cap| bytes, NUL-padded. */
void audit_copy_str(char *dst, size_t cap, const char *s, size_t n);

#endif
