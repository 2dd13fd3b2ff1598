/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_cache.c - identity_verify_burst and its per-lcore cache (id_cache.h).
 *
 * A burst is three passes: hash every token and prefetch its two buckets;
 * look every token up; verify the misses (within the cold budget),
 * looking each up again first because an earlier miss of the same burst
 * may have just filled its entry (32 messages of one agent cost one
 * verification, not 32).
 */
#include "id_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>
#ifdef __AES__
#include <immintrin.h>
#endif

#define WAYS 4
#define TD_NONE 0xffffu

/* One cached verdict: a cache line. */
struct ent {
	uint64_t h_lo;
	uint64_t h_hi;
	uint64_t exp;		/* positive: the token's exp; negative: when the refusal lapses */
	uint64_t tick;		/* insertion order, for replacement */
	uint32_t tok_len;
	uint32_t gen;		/* positive: its trust domain's generation; negative: neg_gen */
	uint16_t td_slot;	/* positive: index into tds[] */
	uint16_t id_len;
	uint16_t td_len;
	uint8_t used;
	uint8_t reason;		/* negative: enum id_reason */
	uint8_t pad[16];
};
_Static_assert(sizeof(struct ent) == 64, "a cache entry is one cache line");

/* A trust domain seen in a positive entry, and the keys it was verified with. */
struct td_gen {
	uint32_t gen;
	uint16_t len;
	bool present;		/* the current set has a bundle for it */
	uint8_t digest[32];	/* that bundle's keys_digest */
	char td[SPIFFE_TD_MAX + 1];
};

struct id_cache {
	uint64_t seed;
	uint8_t secret[XXH3_SECRET_DEFAULT_SIZE];	/* XXH3's, derived from the seed */
	uint64_t aes_key[4];				/* two AES round keys, from the seed */
	uint32_t pos_mask;	/* buckets - 1 */
	uint32_t neg_mask;
	uint32_t max_cold;
	uint32_t leeway_s;
	uint32_t neg_gen;	/* bumped by every new bundle set */
	uint64_t tick;
	struct ent *pos;	/* (pos_mask + 1) * WAYS */
	struct ent *neg;
	char (*ids)[ID_CACHE_ID_SLOT];	/* one per positive entry */
	const struct id_bundle_set *bundles;
	struct id_jwt_opts opts;
	char audience[ID_AUDIENCE_MAX + 1];
	uint32_t n_tds;
	struct td_gen tds[ID_CACHE_MAX_TDS];
	struct id_cache_stats st;
	struct id_jwt_result res;			/* scratch of a cold check */
	char long_ids[ID_CACHE_MAX_BURST][SPIFFE_ID_MAX + 1];	/* uncacheable IDs of a burst */
};

static uint32_t pow2_at_least(uint32_t v, uint32_t min)
{
	uint32_t p = min;

	while (p < v && p < (1u << 30)) {
		p <<= 1;
	}
	return p;
}

struct id_cache *id_cache_new(const struct id_cache_conf *conf, uint64_t seed)
{
	struct id_cache *c;
	uint32_t pos, neg;
	size_t alen;

	if (conf == NULL || conf->audience == NULL || conf->max_cold == 0) {
		errno = EINVAL;
		return NULL;
	}
	alen = strlen(conf->audience);
	if (alen == 0 || alen > ID_AUDIENCE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pos = pow2_at_least(conf->entries, 64);
	neg = pow2_at_least(conf->neg_entries, 64);
	c = aligned_alloc(64, (sizeof(*c) + 63) & ~(size_t)63);
	if (c == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->pos = aligned_alloc(64, (size_t)pos * sizeof(struct ent));
	c->neg = aligned_alloc(64, (size_t)neg * sizeof(struct ent));
	c->ids = malloc((size_t)pos * ID_CACHE_ID_SLOT);
	if (c->pos == NULL || c->neg == NULL || c->ids == NULL) {
		id_cache_free(c);
		errno = ENOMEM;
		return NULL;
	}
	memset(c->pos, 0, (size_t)pos * sizeof(struct ent));
	memset(c->neg, 0, (size_t)neg * sizeof(struct ent));
	c->seed = seed;
	XXH3_generateSecret_fromSeed(c->secret, seed);
	for (int i = 0; i < 4; i++) {
		c->aes_key[i] = XXH3_64bits_withSeed(&i, sizeof(i), seed);
	}
	c->pos_mask = pos / WAYS - 1;
	c->neg_mask = neg / WAYS - 1;
	c->max_cold = conf->max_cold;
	c->leeway_s = conf->leeway_s;
	memcpy(c->audience, conf->audience, alen + 1);
	c->opts = (struct id_jwt_opts){ .audience = c->audience, .audience_len = alen,
					.leeway_s = conf->leeway_s };
	return c;
}

void id_cache_free(struct id_cache *c)
{
	if (c == NULL) {
		return;
	}
	free(c->pos);
	free(c->neg);
	free(c->ids);
	free(c);
}

/* The current set's view of trust domain |g|: present, and its digest. */
static void td_current(const struct id_cache *c, const char *td, size_t len, bool *present,
		       const uint8_t **digest)
{
	const struct id_bundle *b = c->bundles != NULL ? id_bundle_set_get(c->bundles, td, len)
						       : NULL;

	*present = b != NULL;
	*digest = b != NULL ? b->keys_digest : NULL;
}

void id_cache_set_bundles(struct id_cache *c, const struct id_bundle_set *s)
{
	c->bundles = s;
	c->neg_gen++;	/* a new key, or a new bundle, can make a refused token good */
	for (uint32_t i = 0; i < c->n_tds; i++) {
		struct td_gen *t = &c->tds[i];
		const uint8_t *digest;
		bool present;

		td_current(c, t->td, t->len, &present, &digest);
		if (present != t->present ||
		    (present && memcmp(digest, t->digest, sizeof(t->digest)) != 0)) {
			t->gen++;
			t->present = present;
			if (present) {
				memcpy(t->digest, digest, sizeof(t->digest));
			}
			c->st.invalidations++;
		}
	}
}

/* The slot of trust domain |td| (made on first sight), or TD_NONE when the table is full. */
static uint16_t td_slot(struct id_cache *c, const char *td, size_t len)
{
	const uint8_t *digest;
	struct td_gen *t;
	bool present;

	for (uint32_t i = 0; i < c->n_tds; i++) {
		if (c->tds[i].len == len && memcmp(c->tds[i].td, td, len) == 0) {
			return (uint16_t)i;
		}
	}
	if (c->n_tds == ID_CACHE_MAX_TDS) {
		return TD_NONE;
	}
	t = &c->tds[c->n_tds];
	memset(t, 0, sizeof(*t));
	memcpy(t->td, td, len);
	t->len = (uint16_t)len;
	td_current(c, td, len, &present, &digest);
	t->present = present;
	if (present) {
		memcpy(t->digest, digest, sizeof(t->digest));
	}
	return (uint16_t)c->n_tds++;
}

static bool pos_live(const struct id_cache *c, const struct ent *e, uint64_t now)
{
	return e->used && e->gen == c->tds[e->td_slot].gen && now < e->exp + c->leeway_s;
}

static bool neg_live(const struct id_cache *c, const struct ent *e, uint64_t now)
{
	return e->used && e->gen == c->neg_gen && now < e->exp;
}

static struct ent *find(struct ent *bucket, XXH128_hash_t h, uint32_t len)
{
	for (unsigned int w = 0; w < WAYS; w++) {
		struct ent *e = &bucket[w];

		if (e->h_lo == h.low64 && e->h_hi == h.high64 && e->tok_len == len && e->used) {
			return e;
		}
	}
	return NULL;
}

/* The way to (re)use in |bucket|: a free or dead one, else the oldest. */
static struct ent *victim(struct id_cache *c, struct ent *bucket, bool positive, uint64_t now)
{
	struct ent *old = &bucket[0];

	for (unsigned int w = 0; w < WAYS; w++) {
		struct ent *e = &bucket[w];

		if (!(positive ? pos_live(c, e, now) : neg_live(c, e, now))) {
			return e;
		}
		if (e->tick < old->tick) {
			old = e;
		}
	}
	c->st.evictions++;
	return old;
}

static void answer_pos(const struct id_cache *c, const struct ent *e, struct id_verdict *v)
{
	v->state = ID_V_OK;
	v->reason = ID_R_OK;
	v->id = c->ids[e - c->pos];
	v->id_len = e->id_len;
	v->td_len = e->td_len;
	v->exp = e->exp;
}

static void answer_neg(struct id_verdict *v, uint8_t reason)
{
	v->state = ID_V_DENY;
	v->reason = reason;
	v->id = NULL;
	v->id_len = 0;
	v->td_len = 0;
	v->exp = 0;
}

/* Look |h| up in both tables: true with |v| filled on a live hit. */
static bool lookup(struct id_cache *c, XXH128_hash_t h, uint32_t len, uint64_t now,
		   struct id_verdict *v)
{
	struct ent *e = find(&c->pos[(h.low64 & c->pos_mask) * WAYS], h, len);

	if (e != NULL && pos_live(c, e, now)) {
		answer_pos(c, e, v);
		c->st.hits++;
		return true;
	}
	e = find(&c->neg[(h.low64 & c->neg_mask) * WAYS], h, len);
	if (e != NULL && neg_live(c, e, now)) {
		answer_neg(v, e->reason);
		c->st.neg_hits++;
		c->st.reasons[e->reason]++;
		return true;
	}
	return false;
}

static void insert_neg(struct id_cache *c, XXH128_hash_t h, uint32_t len, uint64_t now,
		       enum id_reason r)
{
	struct ent *bucket = &c->neg[(h.low64 & c->neg_mask) * WAYS];
	struct ent *e = find(bucket, h, len);

	if (e == NULL) {
		e = victim(c, bucket, false, now);
	}
	*e = (struct ent){ .h_lo = h.low64, .h_hi = h.high64, .exp = now + ID_CACHE_NEG_TTL_S,
			   .tick = ++c->tick, .tok_len = len, .gen = c->neg_gen, .used = 1,
			   .reason = (uint8_t)r };
}

/* Cache a good result; false when it cannot be (ID too long, trust domains full). */
static bool insert_pos(struct id_cache *c, XXH128_hash_t h, uint32_t len, uint64_t now,
		       const struct id_jwt_result *r, struct id_verdict *v)
{
	struct ent *bucket = &c->pos[(h.low64 & c->pos_mask) * WAYS];
	uint16_t slot;
	struct ent *e;

	if (r->id_len >= ID_CACHE_ID_SLOT) {
		return false;
	}
	slot = td_slot(c, r->id + sizeof(SPIFFE_SCHEME) - 1, r->td_len);
	if (slot == TD_NONE) {
		return false;
	}
	e = find(bucket, h, len);
	if (e == NULL) {
		e = victim(c, bucket, true, now);
	}
	*e = (struct ent){ .h_lo = h.low64, .h_hi = h.high64, .exp = r->exp, .tick = ++c->tick,
			   .tok_len = len, .gen = c->tds[slot].gen, .td_slot = slot,
			   .id_len = (uint16_t)r->id_len, .td_len = (uint16_t)r->td_len,
			   .used = 1 };
	memcpy(c->ids[e - c->pos], r->id, r->id_len + 1);
	answer_pos(c, e, v);
	return true;
}

/* A miss: verify it (the cold path) and remember the answer. */
static void cold(struct id_cache *c, const char *tok, uint32_t len, XXH128_hash_t h, uint16_t i,
		 uint64_t now, struct id_verdict *v)
{
	enum id_reason r;

	static const struct id_bundle_set none;	/* no set: every trust domain unknown */

	c->opts.now_s = now;
	r = id_jwt_verify(c->bundles != NULL ? c->bundles : &none, &c->opts, tok, len, &c->res);
	if (r != ID_R_OK) {
		c->st.cold_bad++;
		c->st.reasons[r]++;
		insert_neg(c, h, len, now, r);
		answer_neg(v, (uint8_t)r);
		return;
	}
	c->st.cold_ok++;
	if (!insert_pos(c, h, len, now, &c->res, v)) {
		c->st.uncacheable++;
		memcpy(c->long_ids[i], c->res.id, c->res.id_len + 1);
		v->state = ID_V_OK;
		v->reason = ID_R_OK;
		v->id = c->long_ids[i];
		v->id_len = (uint16_t)c->res.id_len;
		v->td_len = (uint16_t)c->res.td_len;
		v->exp = c->res.exp;
	}
}

/*
 * tok_hash: the 128-bit cache key of a token. Hashing the whole token is
 * most of what a hit costs (a token is 300-800 bytes), and XXH3-128 takes
 * about 90 cycles for 315 bytes here (perf/bench-identity;
 * docs/decisions.md). With AES-NI the token is absorbed 64 bytes per round
 * into four AES states keyed from the per-cache seed (one AESENC per 16
 * bytes, four independent chains), then mixed by five more rounds: about
 * a third of the cost. Neither is a MAC, and neither needs to be: the key
 * includes the length and the whole token, and a token crafted to collide
 * with a cached one can only be answered with that token's identity,
 * which its maker could have had by replaying it (tokens are bearer
 * tokens; id_cache.h).
 */
static inline XXH128_hash_t tok_hash(const struct id_cache *c, const char *tok, uint32_t len)
{
#ifdef __AES__
	const __m128i k0 = _mm_loadu_si128((const __m128i *)&c->aes_key[0]);
	const __m128i k1 = _mm_loadu_si128((const __m128i *)&c->aes_key[2]);
	__m128i a = _mm_xor_si128(k0, _mm_cvtsi32_si128((int)len)), b = k1;
	__m128i x = _mm_shuffle_epi32(k0, 0x4e), y = _mm_shuffle_epi32(k1, 0x4e);
	const uint8_t *p = (const uint8_t *)tok;
	uint32_t n = len;
	uint8_t tail[64];
	XXH128_hash_t h;

	for (; n >= 64; n -= 64, p += 64) {
		a = _mm_aesenc_si128(_mm_xor_si128(a, _mm_loadu_si128((const __m128i *)p)), k0);
		b = _mm_aesenc_si128(_mm_xor_si128(b, _mm_loadu_si128((const __m128i *)(p + 16))), k1);
		x = _mm_aesenc_si128(_mm_xor_si128(x, _mm_loadu_si128((const __m128i *)(p + 32))), k0);
		y = _mm_aesenc_si128(_mm_xor_si128(y, _mm_loadu_si128((const __m128i *)(p + 48))), k1);
	}
	if (n > 0) {
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p, n);
		a = _mm_aesenc_si128(_mm_xor_si128(a, _mm_loadu_si128((const __m128i *)tail)), k0);
		b = _mm_aesenc_si128(_mm_xor_si128(b, _mm_loadu_si128((const __m128i *)(tail + 16))), k1);
		x = _mm_aesenc_si128(_mm_xor_si128(x, _mm_loadu_si128((const __m128i *)(tail + 32))), k0);
		y = _mm_aesenc_si128(_mm_xor_si128(y, _mm_loadu_si128((const __m128i *)(tail + 48))), k1);
	}
	a = _mm_aesenc_si128(a, b);
	x = _mm_aesenc_si128(x, y);
	a = _mm_aesenc_si128(_mm_xor_si128(a, x), k1);
	a = _mm_aesenc_si128(a, k0);
	a = _mm_aesenc_si128(a, k1);
	h.low64 = (uint64_t)_mm_cvtsi128_si64(a);
	h.high64 = (uint64_t)_mm_extract_epi64(a, 1);
	return h;
#else
	return XXH3_128bits_withSecret(tok, len, c->secret, sizeof(c->secret));
#endif
}

uint16_t identity_verify_burst(struct id_cache *c, const char *const *tok, const uint32_t *len,
			       uint16_t n, uint64_t now_s, struct id_verdict *out)
{
	XXH128_hash_t h[ID_CACHE_MAX_BURST];
	uint16_t miss[ID_CACHE_MAX_BURST];
	uint16_t n_miss = 0, n_ok = 0;
	uint32_t budget = c->max_cold;

	if (n > ID_CACHE_MAX_BURST) {
		n = ID_CACHE_MAX_BURST;
	}
	for (uint16_t i = 0; i < n; i++) {
		h[i] = tok_hash(c, tok[i], len[i]);
		const struct ent *b = &c->pos[(h[i].low64 & c->pos_mask) * WAYS];

		/* the bucket's four lines: found by the next pass, after 31 more hashes */
		for (unsigned int w = 0; w < WAYS; w++) {
			__builtin_prefetch(&b[w]);
		}
	}
	c->st.lookups += n;
	for (uint16_t i = 0; i < n; i++) {
		out[i].cached = true;
		if (len[i] > ID_TOKEN_MAX) {
			/* refused before hashing could matter: never cached, never verified */
			answer_neg(&out[i], ID_R_TOO_LARGE);
			c->st.reasons[ID_R_TOO_LARGE]++;
			out[i].cached = false;
			continue;
		}
		if (!lookup(c, h[i], len[i], now_s, &out[i])) {
			miss[n_miss++] = i;
		}
	}
	for (uint16_t m = 0; m < n_miss; m++) {
		uint16_t i = miss[m];

		if (m > 0 && lookup(c, h[i], len[i], now_s, &out[i])) {
			continue;	/* an earlier miss of this burst was the same token */
		}
		out[i].cached = false;
		if (budget == 0) {
			out[i].state = ID_V_PENDING;
			out[i].reason = ID_R_OK;
			out[i].id = NULL;
			c->st.pending++;
			continue;
		}
		budget--;
		cold(c, tok[i], len[i], h[i], i, now_s, &out[i]);
	}
	for (uint16_t i = 0; i < n; i++) {
		n_ok += out[i].state == ID_V_OK;
	}
	return n_ok;
}

void id_cache_get_stats(const struct id_cache *c, struct id_cache_stats *st)
{
	*st = c->st;
}
