/* SPDX-License-Identifier: Apache-2.0 */
/* h2_buf.c - chunk pool and byte queues (h2_buf.h). */
#include "h2_buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_LEN (64u * 1024u)

struct h2_pool {
	struct h2_chunk *free;
	uint32_t nb_free;
	uint32_t nb_total;
	uint32_t max_chunks;
	bool grow;
	uint8_t *scratch;
};

static struct h2_chunk *chunk_take(struct h2_pool *p)
{
	struct h2_chunk *c = p->free;

	if (c != NULL) {
		p->free = c->next;
		p->nb_free--;
	} else if (p->grow && p->nb_total < p->max_chunks) {
		c = malloc(sizeof(*c));
		if (c == NULL) {
			return NULL;
		}
		p->nb_total++;
	} else {
		return NULL;
	}
	c->next = NULL;
	c->off = c->len = 0;
	return c;
}

static void chunk_put(struct h2_pool *p, struct h2_chunk *c)
{
	c->next = p->free;
	p->free = c;
	p->nb_free++;
}

struct h2_pool *h2_pool_new(uint32_t nb_chunks, bool grow, uint32_t max_chunks)
{
	struct h2_pool *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		return NULL;
	}
	p->grow = grow;
	p->max_chunks = max_chunks > nb_chunks ? max_chunks : nb_chunks;
	p->scratch = malloc(SCRATCH_LEN);
	if (p->scratch == NULL) {
		goto out_free_pool;
	}
	for (uint32_t i = 0; i < nb_chunks; i++) {
		struct h2_chunk *c = malloc(sizeof(*c));

		if (c == NULL) {
			goto out_free_chunks;
		}
		p->nb_total++;
		chunk_put(p, c);
	}
	return p;

out_free_chunks:
	while (p->free != NULL) {
		struct h2_chunk *c = p->free;

		p->free = c->next;
		free(c);
	}
	free(p->scratch);
out_free_pool:
	free(p);
	return NULL;
}

void h2_pool_free(struct h2_pool *p)
{
	if (p == NULL) {
		return;
	}
	while (p->free != NULL) {
		struct h2_chunk *c = p->free;

		p->free = c->next;
		free(c);
	}
	free(p->scratch);
	free(p);
}

uint32_t h2_pool_avail(const struct h2_pool *p)
{
	return p->nb_free + (p->grow ? p->max_chunks - p->nb_total : 0);
}

uint8_t *h2_pool_scratch(struct h2_pool *p)
{
	return p->scratch;
}

size_t h2_pool_scratch_len(const struct h2_pool *p)
{
	(void)p;
	return SCRATCH_LEN;
}

bool h2_bq_room(const struct h2_bq *q, const struct h2_pool *p, size_t n)
{
	size_t tail_room = q->tail != NULL ? H2_CHUNK_SIZE - q->tail->len : 0;

	if (n <= tail_room) {
		return true;
	}
	n -= tail_room;
	return (n + H2_CHUNK_SIZE - 1) / H2_CHUNK_SIZE <= h2_pool_avail(p);
}

int h2_bq_append(struct h2_bq *q, struct h2_pool *p, const void *data, size_t n)
{
	const uint8_t *s = data;

	if (!h2_bq_room(q, p, n)) {
		return -ENOBUFS;
	}
	while (n > 0) {
		struct h2_chunk *t = q->tail;
		size_t k;

		if (t == NULL || t->len == H2_CHUNK_SIZE) {
			t = chunk_take(p);
			if (t == NULL) {
				return -ENOBUFS; /* growth failed after the room check */
			}
			if (q->tail != NULL) {
				q->tail->next = t;
			} else {
				q->head = t;
			}
			q->tail = t;
		}
		k = H2_CHUNK_SIZE - t->len;
		if (k > n) {
			k = n;
		}
		memcpy(t->data + t->len, s, k);
		t->len += (uint32_t)k;
		s += k;
		n -= k;
		q->bytes += k;
	}
	return 0;
}

int h2_bq_move(struct h2_bq *to, struct h2_bq *from, struct h2_pool *p, size_t n)
{
	/* |from|'s chunks free up as we go, but the room check must not count on them. */
	if (!h2_bq_room(to, p, n)) {
		return -ENOBUFS;
	}
	while (n > 0) {
		struct h2_chunk *h = from->head;
		size_t k = h->len - h->off;
		int rc;

		if (k > n) {
			k = n;
		}
		rc = h2_bq_append(to, p, h->data + h->off, k);
		if (rc < 0) {
			return rc;
		}
		h2_bq_consume(from, p, k);
		n -= k;
	}
	return 0;
}

unsigned h2_bq_iov(const struct h2_bq *q, struct iovec *iov, unsigned max)
{
	unsigned n = 0;

	for (const struct h2_chunk *c = q->head; c != NULL && n < max; c = c->next) {
		if (c->len > c->off) {
			iov[n].iov_base = (void *)(c->data + c->off);
			iov[n].iov_len = c->len - c->off;
			n++;
		}
	}
	return n;
}

void h2_bq_consume(struct h2_bq *q, struct h2_pool *p, size_t n)
{
	while (n > 0 && q->head != NULL) {
		struct h2_chunk *h = q->head;
		size_t k = h->len - h->off;

		if (k > n) {
			k = n;
		}
		h->off += (uint32_t)k;
		q->bytes -= k;
		n -= k;
		if (h->off == h->len) {
			q->head = h->next;
			if (q->head == NULL) {
				q->tail = NULL;
			}
			chunk_put(p, h);
		}
	}
}

void h2_bq_clear(struct h2_bq *q, struct h2_pool *p)
{
	while (q->head != NULL) {
		struct h2_chunk *h = q->head;

		q->head = h->next;
		chunk_put(p, h);
	}
	q->tail = NULL;
	q->bytes = 0;
}
