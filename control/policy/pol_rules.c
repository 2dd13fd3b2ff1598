/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_rules.c - content rule sets -> hyperscan databases -> RULES table.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <xxhash.h>

#include "pol_rules.h"

/* ---------------------------------------------------------------- cache */

#define CACHE_MAX	64
#define CACHE_BYTES	((size_t)64 << 20)

struct centry {
	uint64_t key;			/* XXH64 of |packed| */
	uint8_t *packed;		/* the rule set's protobuf bytes */
	size_t packed_len;
	uint8_t *blob;			/* its serialized database */
	size_t len;
	uint64_t used;			/* cache clock at the last use */
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct centry cache[CACHE_MAX];
static uint32_t cache_n;
static size_t cache_bytes;
static uint64_t cache_clock, cache_hits, cache_misses;

static void centry_drop(uint32_t i)
{
	cache_bytes -= cache[i].packed_len + cache[i].len;
	free(cache[i].packed);
	free(cache[i].blob);
	cache[i] = cache[--cache_n];
}

/* A copy of the cached database for |packed|, or NULL (a miss). */
static uint8_t *cache_get(uint64_t key, const uint8_t *packed, size_t plen, size_t *len)
{
	uint8_t *copy = NULL;

	pthread_mutex_lock(&cache_mu);
	for (uint32_t i = 0; i < cache_n; i++) {
		struct centry *e = &cache[i];

		if (e->key != key || e->packed_len != plen || memcmp(e->packed, packed, plen) != 0) {
			continue;
		}
		copy = malloc(e->len);
		if (copy != NULL) {
			memcpy(copy, e->blob, e->len);
			*len = e->len;
			e->used = ++cache_clock;
		}
		break;
	}
	if (copy != NULL) {
		cache_hits++;
	} else {
		cache_misses++;
	}
	pthread_mutex_unlock(&cache_mu);
	return copy;
}

static void cache_put(uint64_t key, const uint8_t *packed, size_t plen, const uint8_t *blob,
		      size_t len)
{
	struct centry e = {.key = key, .packed_len = plen, .len = len};

	if (plen + len > CACHE_BYTES / 4) {
		return;		/* one huge set would flush everything else */
	}
	e.packed = malloc(plen);
	e.blob = malloc(len);
	if (e.packed == NULL || e.blob == NULL) {
		free(e.packed);
		free(e.blob);
		return;
	}
	memcpy(e.packed, packed, plen);
	memcpy(e.blob, blob, len);
	pthread_mutex_lock(&cache_mu);
	while (cache_n > 0 && (cache_n == CACHE_MAX || cache_bytes + plen + len > CACHE_BYTES)) {
		uint32_t lru = 0;

		for (uint32_t i = 1; i < cache_n; i++) {
			if (cache[i].used < cache[lru].used) {
				lru = i;
			}
		}
		centry_drop(lru);
	}
	e.used = ++cache_clock;
	cache[cache_n++] = e;
	cache_bytes += plen + len;
	pthread_mutex_unlock(&cache_mu);
}

void pol_rules_cache_stats(struct pol_rules_cache_stats *st)
{
	pthread_mutex_lock(&cache_mu);
	st->hits = cache_hits;
	st->misses = cache_misses;
	st->entries = cache_n;
	st->bytes = cache_bytes;
	pthread_mutex_unlock(&cache_mu);
}

void pol_rules_cache_clear(void)
{
	pthread_mutex_lock(&cache_mu);
	while (cache_n > 0) {
		centry_drop(cache_n - 1);
	}
	pthread_mutex_unlock(&cache_mu);
}

/* ---------------------------------------------------------------- compiling */

static int rule_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct sb_pol_rule *)a)->id, y = ((const struct sb_pol_rule *)b)->id;

	return x < y ? -1 : x > y;
}

static int hs_compile_set(const pb_ruleset *rs, uint8_t **blob, size_t *len, char *err,
			  size_t errlen)
{
	size_t n = rs->n_rules;
	const char **expr = calloc(n, sizeof(*expr));
	unsigned *flags = calloc(n, sizeof(*flags));
	unsigned *ids = calloc(n, sizeof(*ids));
	hs_compile_error_t *cerr = NULL;
	hs_database_t *db = NULL;
	char *bytes = NULL;
	hs_error_t hr;
	int rc = -ENOMEM;

	if (expr == NULL || flags == NULL || ids == NULL) {
		goto out;
	}
	for (size_t j = 0; j < n; j++) {
		expr[j] = rs->rules[j]->pattern;
		flags[j] = HS_FLAG_SINGLEMATCH |
			   (rs->rules[j]->has_caseless && rs->rules[j]->caseless ? HS_FLAG_CASELESS : 0);
		ids[j] = rs->rules[j]->id;
	}
	hr = hs_compile_multi(expr, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &db, &cerr);
	if (hr != HS_SUCCESS) {
		const char *msg = cerr != NULL && cerr->message != NULL ? cerr->message :
			hr == HS_ARCH_ERROR ? "hyperscan does not support this CPU" :
			"hyperscan cannot compile the rule set";

		if (cerr != NULL && cerr->expression >= 0 && (size_t)cerr->expression < n) {
			snprintf(err, errlen, "ruleset '%s': rules[%d].pattern: %s", rs->id,
				 cerr->expression, msg);
		} else {
			snprintf(err, errlen, "ruleset '%s': %s", rs->id, msg);
		}
		rc = hr == HS_NOMEM ? -ENOMEM : -EINVAL;
		goto out;
	}
	hr = hs_serialize_database(db, &bytes, len);
	if (hr != HS_SUCCESS) {
		snprintf(err, errlen, "ruleset '%s': cannot serialize the database", rs->id);
		goto out;
	}
	*blob = (uint8_t *)bytes;	/* hyperscan's default allocator is malloc */
	rc = 0;
out:
	if (cerr != NULL) {
		hs_free_compile_error(cerr);
	}
	hs_free_database(db);
	free(expr);
	free(flags);
	free(ids);
	return rc;
}

static int compile_set(const pb_ruleset *rs, struct pol_ruleset_db *d, char *err, size_t errlen)
{
	size_t n = rs->n_rules;
	uint8_t *packed;
	size_t plen;
	uint64_t key;
	int rc;

	if (n == 0) {
		return 0;
	}
	if (n > UINT32_MAX / 2) {
		snprintf(err, errlen, "ruleset '%s': too many rules", rs->id);
		return -EINVAL;
	}
	d->nb_rules = (uint32_t)n;
	d->rules = calloc(n, sizeof(*d->rules));
	if (d->rules == NULL) {
		return -ENOMEM;
	}
	for (size_t j = 0; j < n; j++) {
		const Slimbridge__Control__V1__ContentRule *r = rs->rules[j];

		d->rules[j].id = r->id;
		d->rules[j].action = r->action != NULL && strcmp(r->action, "audit") == 0 ?
					     SB_POL_RULE_AUDIT : SB_POL_RULE_BLOCK;
		d->rules[j].flags = r->has_caseless && r->caseless ? SB_POL_RULE_CASELESS : 0;
	}
	qsort(d->rules, n, sizeof(*d->rules), rule_cmp);

	plen = protobuf_c_message_get_packed_size(&rs->base);
	packed = malloc(plen + 1);
	if (packed == NULL) {
		return -ENOMEM;
	}
	protobuf_c_message_pack(&rs->base, packed);
	key = XXH64(packed, plen, 0);
	d->blob = cache_get(key, packed, plen, &d->len);
	if (d->blob != NULL) {
		free(packed);
		return 0;
	}
	rc = hs_compile_set(rs, &d->blob, &d->len, err, errlen);
	if (rc == 0) {
		cache_put(key, packed, plen, d->blob, d->len);
	}
	free(packed);
	return rc;
}

int pol_rules_build(const pb_policy *p, struct pol_rules **out, char *err, size_t errlen)
{
	size_t n = p->n_contentrulesets;
	struct pol_rules *r;

	*out = NULL;
	if (n > UINT32_MAX / 2) {
		snprintf(err, errlen, "too many content rule sets");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r) + n * sizeof(r->set[0]));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->nb_sets = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		int rc = compile_set(p->contentrulesets[i], &r->set[i], err, errlen);

		if (rc < 0) {
			if (rc == -ENOMEM) {
				snprintf(err, errlen, "out of memory compiling ruleset '%s'",
					 p->contentrulesets[i]->id);
			}
			pol_rules_free(r);
			return rc;
		}
	}
	*out = r;
	return 0;
}

void pol_rules_free(struct pol_rules *r)
{
	if (r == NULL) {
		return;
	}
	for (uint32_t i = 0; i < r->nb_sets; i++) {
		free(r->set[i].blob);
		free(r->set[i].rules);
	}
	free(r);
}

/* ---------------------------------------------------------------- layout */

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

size_t pol_rules_table_size(const struct pol_rules *r)
{
	size_t n = sizeof(struct sb_pol_rules_hdr);

	if (r == NULL) {
		return n;
	}
	n += r->nb_sets * sizeof(struct sb_pol_ruleset);
	for (uint32_t i = 0; i < r->nb_sets; i++) {
		n += r->set[i].nb_rules * sizeof(struct sb_pol_rule);
	}
	for (uint32_t i = 0; i < r->nb_sets; i++) {
		n = align8(n) + r->set[i].len;
	}
	return align8(n);
}

uint32_t pol_rules_layout(const struct pol_rules *r, const uint32_t *names, uint8_t *dst)
{
	struct sb_pol_rules_hdr hdr = {0};
	struct sb_pol_ruleset *sets = (struct sb_pol_ruleset *)(dst + sizeof(hdr));
	size_t off;

	if (r == NULL) {
		memcpy(dst, &hdr, sizeof(hdr));
		return 0;
	}
	hdr.nb_rulesets = r->nb_sets;
	off = sizeof(hdr) + r->nb_sets * sizeof(struct sb_pol_ruleset);
	for (uint32_t i = 0; i < r->nb_sets; i++) {
		const struct pol_ruleset_db *d = &r->set[i];

		sets[i].name = names[i];
		sets[i].nb_rules = d->nb_rules;
		sets[i].rules_off = off;
		if (d->nb_rules > 0) {
			memcpy(dst + off, d->rules, d->nb_rules * sizeof(struct sb_pol_rule));
		}
		off += d->nb_rules * sizeof(struct sb_pol_rule);
		hdr.nb_rules += d->nb_rules;
	}
	for (uint32_t i = 0; i < r->nb_sets; i++) {
		const struct pol_ruleset_db *d = &r->set[i];

		if (d->len == 0) {
			continue;
		}
		off = align8(off);
		sets[i].blob_off = off;
		sets[i].blob_len = d->len;
		memcpy(dst + off, d->blob, d->len);
		off += d->len;
	}
	memcpy(dst, &hdr, sizeof(hdr));
	return r->nb_sets;
}
