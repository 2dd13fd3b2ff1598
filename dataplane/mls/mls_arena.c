/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_arena.c - the chunked bump allocator behind the MLS decoders. The
 * contract is in mls_arena.h.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mls_arena.h"

struct mls_arena_chunk {
	struct mls_arena_chunk *next;	/* the chunk allocated before this one */
	size_t cap;			/* bytes of data[] */
	size_t used;			/* bytes of data[] handed out */
	alignas(max_align_t) unsigned char data[];
};

#define ALIGN ((size_t)alignof(max_align_t))

void mls_arena_init(struct mls_arena *a, size_t limit)
{
	a->head = NULL;
	a->next_chunk = MLS_ARENA_CHUNK;
	a->total = 0;
	a->limit = limit;
}

/* new_chunk mallocs a chunk with |cap| bytes of room, within the arena's limit. */
static struct mls_arena_chunk *new_chunk(struct mls_arena *a, size_t cap)
{
	struct mls_arena_chunk *c;
	size_t bytes;

	if (cap > SIZE_MAX - sizeof(*c)) {
		return NULL;
	}
	bytes = sizeof(*c) + cap;
	if (bytes > a->limit - a->total || a->total > a->limit) {
		return NULL;
	}
	c = malloc(bytes);
	if (c == NULL) {
		return NULL;
	}
	c->cap = cap;
	c->used = 0;
	a->total += bytes;
	return c;
}

/* round_up rounds |n| up to the arena's alignment; 0 on overflow. */
static size_t round_up(size_t n)
{
	if (n > SIZE_MAX - ALIGN) {
		return 0;
	}
	return (n + ALIGN - 1) & ~(ALIGN - 1);
}

void *mls_arena_alloc(struct mls_arena *a, size_t size)
{
	struct mls_arena_chunk *c = a->head;
	size_t rounded;
	void *p;

	rounded = round_up(size);
	if (size == 0 || rounded == 0) {
		return NULL;
	}
	if (c == NULL || c->cap - c->used < rounded) {
		if (rounded > a->next_chunk / 2) {
			/*
			 * A large block gets a chunk of its own, linked behind
			 * the head so the head's remaining room is not lost.
			 */
			c = new_chunk(a, rounded);
			if (c == NULL) {
				return NULL;
			}
			if (a->head != NULL) {
				c->next = a->head->next;
				a->head->next = c;
			} else {
				c->next = NULL;
				a->head = c;
			}
		} else {
			c = new_chunk(a, a->next_chunk);
			if (c == NULL) {
				return NULL;
			}
			c->next = a->head;
			a->head = c;
			if (a->next_chunk < MLS_ARENA_CHUNK_MAX) {
				a->next_chunk *= 2;
			}
		}
	}
	p = c->data + c->used;
	c->used += rounded;
	memset(p, 0, size);
	return p;
}

void *mls_arena_grow(struct mls_arena *a, void *arr, size_t n, size_t *cap, size_t elem_size)
{
	struct mls_arena_chunk *c = a->head;
	size_t ncap, old_bytes, new_bytes;
	void *p;

	if (arr != NULL && n < *cap) {
		return arr;
	}
	ncap = *cap < 2 ? 4 : *cap * 2;
	if (ncap <= n || elem_size == 0 || ncap > SIZE_MAX / elem_size) {
		return NULL;
	}
	new_bytes = round_up(ncap * elem_size);
	if (new_bytes == 0) {
		return NULL;
	}
	if (arr != NULL && c != NULL) {
		/*
		 * Vectors of small flat elements are the common case: when the
		 * array is the head chunk's latest allocation, extend it.
		 */
		old_bytes = round_up(*cap * elem_size);
		if ((unsigned char *)arr + old_bytes == c->data + c->used &&
		    c->cap - c->used >= new_bytes - old_bytes) {
			memset(c->data + c->used, 0, new_bytes - old_bytes);
			c->used += new_bytes - old_bytes;
			*cap = ncap;
			return arr;
		}
	}
	p = mls_arena_alloc(a, ncap * elem_size);
	if (p == NULL) {
		return NULL;
	}
	if (n > 0) {
		memcpy(p, arr, n * elem_size);
	}
	*cap = ncap;
	return p;
}

size_t mls_arena_used(const struct mls_arena *a)
{
	return a->total;
}

void mls_arena_cleanup(struct mls_arena *a)
{
	struct mls_arena_chunk *c = a->head;

	while (c != NULL) {
		struct mls_arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	mls_arena_init(a, a->limit);
}
