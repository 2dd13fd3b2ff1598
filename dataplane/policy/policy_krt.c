/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_krt.c - keyed record tables: the layout the MLS and BUNDLES tables
 * share (proto/shm/policy_abi.h, "The MLS table"): an index of (key, u64,
 * record) sorted by key, the data behind it, an XXH64 over both. The
 * tables differ in kind, magic and what the records are; policy_mls.c
 * and policy_bundles.c give them their names.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "policy_krt.h"

#define HDR sizeof(struct sb_pol_mls_hdr)
#define ENT sizeof(struct sb_pol_mls_group)

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~(uint64_t)7;
}

/* memcmp over the shorter length, then the shorter first: <0, 0, >0. */
static int id_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0) {
		return c;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

const void *policy_krt_table(const struct sb_shm_snapshot *s, uint32_t kind, uint64_t *size)
{
	const struct sb_shm_table *found = NULL;

	if (s == NULL) {
		return NULL;
	}
	for (uint32_t i = 0; i < s->nb_tables && i < SB_SHM_MAX_TABLES; i++) {
		if (s->tables[i].kind == kind) {
			if (found != NULL) {
				return NULL;	/* twice: refuse */
			}
			found = &s->tables[i];
		}
	}
	if (found == NULL) {
		return NULL;
	}
	*size = found->size;
	return (const uint8_t *)s + found->offset;
}

/* A region [off, off + len) inside a table of |size| bytes, 8-byte aligned. */
static bool inside(uint64_t off, uint64_t len, uint64_t lo, uint64_t size)
{
	return off % 8 == 0 && off >= lo && off <= size && len <= size - off;
}

int policy_krt_check(const void *tab, uint64_t size, uint64_t magic,
		     const char *const reasons[POLICY_KRT_NBAD], const char **why)
{
	const uint8_t *base = tab;
	const struct sb_pol_mls_hdr *h = tab;
	const struct sb_pol_mls_group *ents;
	uint64_t data_lo;

	if (tab == NULL || size < HDR || size % 8 != 0 || ((uintptr_t)tab % 8) != 0) {
		*why = reasons[POLICY_KRT_SHORT];
		return -EINVAL;
	}
	if (h->magic != magic || h->flags != 0 || h->reserved != 0) {
		*why = reasons[POLICY_KRT_HEADER];
		return -EINVAL;
	}
	if (h->nb_groups > SB_POL_KRT_MAX_ENTRIES || (uint64_t)h->nb_groups * ENT > size - HDR) {
		*why = reasons[POLICY_KRT_COUNT];
		return -EINVAL;
	}
	if (XXH64(base + HDR, size - HDR, 0) != h->checksum) {
		*why = reasons[POLICY_KRT_CHECKSUM];
		return -EINVAL;
	}
	ents = (const struct sb_pol_mls_group *)(base + HDR);
	data_lo = HDR + (uint64_t)h->nb_groups * ENT;
	for (uint32_t i = 0; i < h->nb_groups; i++) {
		const struct sb_pol_mls_group *g = &ents[i];

		if (g->reserved != 0 || g->id_len == 0 || g->id_len > SB_POL_KRT_MAX_KEY ||
		    g->rec_len == 0 || !inside(g->id_off, g->id_len, data_lo, size) ||
		    !inside(g->rec_off, g->rec_len, data_lo, size)) {
			*why = reasons[POLICY_KRT_BOUNDS];
			return -EINVAL;
		}
		if (i > 0 && id_cmp(base + ents[i - 1].id_off, ents[i - 1].id_len, base + g->id_off,
				    g->id_len) >= 0) {
			*why = reasons[POLICY_KRT_ORDER];
			return -EINVAL;
		}
	}
	return (int)h->nb_groups;
}

static void fill(const uint8_t *base, const struct sb_pol_mls_group *e, struct policy_krt_rec *g)
{
	g->id = base + e->id_off;
	g->id_len = e->id_len;
	g->epoch = e->epoch;
	g->rec = base + e->rec_off;
	g->rec_len = e->rec_len;
}

int policy_krt_get(const void *tab, uint32_t i, struct policy_krt_rec *g)
{
	const struct sb_pol_mls_hdr *h = tab;

	if (tab == NULL || i >= h->nb_groups) {
		return -ENOENT;
	}
	fill(tab, (const struct sb_pol_mls_group *)((const uint8_t *)tab + HDR) + i, g);
	return 0;
}

int policy_krt_find(const void *tab, const uint8_t *id, size_t id_len, struct policy_krt_rec *g)
{
	const struct sb_pol_mls_hdr *h = tab;
	const struct sb_pol_mls_group *ents;
	uint32_t lo = 0, hi;

	if (tab == NULL || id == NULL || id_len == 0) {
		return -ENOENT;
	}
	ents = (const struct sb_pol_mls_group *)((const uint8_t *)tab + HDR);
	hi = h->nb_groups;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = id_cmp((const uint8_t *)tab + ents[mid].id_off, ents[mid].id_len, id,
			       id_len);

		if (c == 0) {
			fill(tab, &ents[mid], g);
			return 0;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return -ENOENT;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct policy_krt_ent *x = *(const struct policy_krt_ent *const *)a;
	const struct policy_krt_ent *y = *(const struct policy_krt_ent *const *)b;

	return id_cmp(x->id, x->id_len, y->id, y->id_len);
}

int policy_krt_build(const struct policy_krt_ent *e, uint32_t n, uint64_t magic, uint8_t **out,
		      size_t *len)
{
	const struct policy_krt_ent **order = NULL;
	struct sb_pol_mls_group *ents;
	struct sb_pol_mls_hdr *h;
	uint64_t size, off;
	uint8_t *t;

	if (out == NULL || len == NULL || n > SB_POL_KRT_MAX_ENTRIES || (n > 0 && e == NULL)) {
		return -EINVAL;
	}
	size = HDR + (uint64_t)n * ENT;
	for (uint32_t i = 0; i < n; i++) {
		if (e[i].id == NULL || e[i].id_len == 0 || e[i].id_len > SB_POL_KRT_MAX_KEY ||
		    e[i].rec == NULL || e[i].rec_len == 0 || e[i].rec_len > UINT32_MAX) {
			return -EINVAL;
		}
		size += align8(e[i].id_len) + align8(e[i].rec_len);
	}
	if (n > 0) {
		order = malloc(n * sizeof(*order));
		if (order == NULL) {
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < n; i++) {
			order[i] = &e[i];
		}
		qsort(order, n, sizeof(*order), ent_cmp);
		for (uint32_t i = 1; i < n; i++) {
			if (ent_cmp(&order[i - 1], &order[i]) == 0) {
				free(order);
				return -EINVAL;
			}
		}
	}
	t = calloc(1, size);
	if (t == NULL) {
		free(order);
		return -ENOMEM;
	}
	h = (struct sb_pol_mls_hdr *)t;
	ents = (struct sb_pol_mls_group *)(t + HDR);
	off = HDR + (uint64_t)n * ENT;
	for (uint32_t i = 0; i < n; i++) {
		const struct policy_krt_ent *x = order[i];

		ents[i].id_off = off;
		ents[i].id_len = (uint16_t)x->id_len;
		memcpy(t + off, x->id, x->id_len);
		off += align8(x->id_len);
		ents[i].rec_off = off;
		ents[i].rec_len = (uint32_t)x->rec_len;
		ents[i].epoch = x->epoch;
		memcpy(t + off, x->rec, x->rec_len);
		off += align8(x->rec_len);
	}
	free(order);
	h->magic = magic;
	h->nb_groups = n;
	h->checksum = XXH64(t + HDR, size - HDR, 0);
	*out = t;
	*len = size;
	return 0;
}

void policy_krt_free(uint8_t *tab, size_t len)
{
	if (tab == NULL) {
		return;
	}
	explicit_bzero(tab, len);
	free(tab);
}
