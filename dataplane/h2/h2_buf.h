/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_buf.h - byte queues built from fixed-size chunks of a pool.
 *
 * The HTTP/2 engine keeps what it has to send (the connection's output and
 * each stream's data waiting for flow-control window) in byte queues. A
 * queue is a list of chunks taken from a struct h2_pool; a pool is made
 * once, per thread (per lcore in the data plane), with a fixed number of
 * chunks, so a full pool is back-pressure, not an allocation. A pool made
 * with |grow| set (kernel-socket servers) allocates more chunks when it
 * runs dry, up to |max_chunks|.
 *
 * Not thread-safe: a pool and its queues belong to one thread.
 */
#ifndef SB_H2_BUF_H
#define SB_H2_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define H2_CHUNK_SIZE 8192u

/*
 * Chunks of a pool kept for connection output (frames the engine must be
 * able to queue: ACKs, RST_STREAM, WINDOW_UPDATE, GOAWAY, and the DATA that
 * frees stream queues): stream queues stop taking data while fewer are free.
 */
#define H2_POOL_RESERVE 16u

struct h2_chunk {
	struct h2_chunk *next;
	uint32_t off; /* first unread byte */
	uint32_t len; /* end of the written bytes */
	uint8_t data[H2_CHUNK_SIZE];
};

struct h2_pool;

struct h2_bq {
	struct h2_chunk *head, *tail;
	size_t bytes;
};

/*
 * h2_pool_new makes a pool of |nb_chunks| chunks, allocated now. With
 * |grow|, it allocates more on demand up to |max_chunks| in all. Returns
 * NULL when out of memory.
 */
struct h2_pool *h2_pool_new(uint32_t nb_chunks, bool grow, uint32_t max_chunks);

/* h2_pool_free frees |p| and its chunks; every queue must be empty. Accepts NULL. */
void h2_pool_free(struct h2_pool *p);

/* h2_pool_avail returns how many chunks can still be taken (growth included). */
uint32_t h2_pool_avail(const struct h2_pool *p);

/* h2_pool_scratch returns a per-pool scratch buffer of h2_pool_scratch_len bytes. */
uint8_t *h2_pool_scratch(struct h2_pool *p);
size_t h2_pool_scratch_len(const struct h2_pool *p);

static inline void h2_bq_init(struct h2_bq *q)
{
	q->head = q->tail = NULL;
	q->bytes = 0;
}

/*
 * h2_bq_room reports whether |n| more bytes fit in |q| with the chunks |p|
 * has left (so that a frame is queued whole or not at all).
 */
bool h2_bq_room(const struct h2_bq *q, const struct h2_pool *p, size_t n);

/*
 * h2_bq_append copies |n| bytes to the end of |q|. Returns 0, or -ENOBUFS
 * (nothing appended) when the pool cannot hold them.
 */
int h2_bq_append(struct h2_bq *q, struct h2_pool *p, const void *data, size_t n)
	__attribute__((warn_unused_result));

/*
 * h2_bq_move moves the first |n| bytes of |from| to the end of |to| (a copy
 * into |to|'s chunks; |from|'s emptied chunks go back to the pool). Returns
 * 0 or -ENOBUFS (nothing moved). |n| must not exceed from->bytes.
 */
int h2_bq_move(struct h2_bq *to, struct h2_bq *from, struct h2_pool *p, size_t n)
	__attribute__((warn_unused_result));

/* h2_bq_iov fills up to |max| iovecs with the start of |q|; returns how many. */
unsigned h2_bq_iov(const struct h2_bq *q, struct iovec *iov, unsigned max);

/* h2_bq_consume drops the first |n| bytes of |q| (n <= q->bytes). */
void h2_bq_consume(struct h2_bq *q, struct h2_pool *p, size_t n);

/* h2_bq_clear drops everything in |q|. */
void h2_bq_clear(struct h2_bq *q, struct h2_pool *p);

#endif
