/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_arena.h - a chunked bump allocator for the arrays the MLS decoders
 * (mls_msg.h) build: a decoded structure's vectors of structures live in an
 * arena the caller provides, and all of it is released at once by
 * mls_arena_cleanup. There is no per-allocation free.
 *
 * Chunks come from malloc: the first holds MLS_ARENA_CHUNK bytes, each later
 * one twice the previous up to MLS_ARENA_CHUNK_MAX; an allocation larger
 * than half a chunk gets a chunk of its own. The arena's total (chunk
 * headers included) never exceeds the limit given to mls_arena_init, so a
 * decoder fed hostile input fails with -ENOMEM instead of growing without
 * bound.
 *
 * An arena is not thread-safe; use one per thread or per message.
 */
#ifndef SB_MLS_ARENA_H
#define SB_MLS_ARENA_H

#include <stddef.h>

#define MLS_ARENA_CHUNK 4096		/* size of the first chunk */
#define MLS_ARENA_CHUNK_MAX 65536	/* chunks grow up to this */

struct mls_arena_chunk;

/* Caller-owned storage for an arena; its fields are private to mls_arena.c. */
struct mls_arena {
	struct mls_arena_chunk *head;	/* the chunk allocating now; older ones linked */
	size_t next_chunk;		/* size of the next chunk to allocate */
	size_t total;			/* bytes malloc'd for chunks so far */
	size_t limit;			/* at most this many */
};

/*
 * mls_arena_init makes |a| an empty arena that will malloc at most |limit|
 * bytes in all (SIZE_MAX: no limit). Allocates nothing.
 */
void mls_arena_init(struct mls_arena *a, size_t limit);

/*
 * mls_arena_alloc returns |size| zeroed bytes aligned for any object type
 * (alignof(max_align_t)), valid until mls_arena_cleanup.
 * Returns NULL when size is 0, when the arena's limit would be exceeded or
 * when malloc fails; the arena stays usable.
 */
void *mls_arena_alloc(struct mls_arena *a, size_t size) __attribute__((warn_unused_result));

/*
 * mls_arena_grow returns an arena array with room for at least |n| + 1
 * elements of |elem_size| bytes, for appending to the array |arr| of |n|
 * elements whose capacity is |*cap| (0 with |arr| NULL to start an array):
 * |arr| itself while n < *cap; else, when |arr| is the arena's latest
 * allocation and its chunk has room, |arr| grown in place; else a new array
 * holding a copy of the first |n| elements (the old one is not reused).
 * The capacity doubles (at least 4) and is stored in |*cap|; the new room
 * is zeroed. Returns NULL (|*cap| unchanged) like mls_arena_alloc or on
 * overflow.
 */
void *mls_arena_grow(struct mls_arena *a, void *arr, size_t n, size_t *cap, size_t elem_size)
	__attribute__((warn_unused_result));

/* mls_arena_used returns the number of bytes |a| has malloc'd (chunk headers included). */
size_t mls_arena_used(const struct mls_arena *a);

/*
 * mls_arena_cleanup frees every chunk of |a|; everything allocated from it
 * becomes invalid. |a| is left empty and may be used again with the same
 * limit. Accepts an arena that never allocated.
 */
void mls_arena_cleanup(struct mls_arena *a);

#endif
