/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_cache.h - the data plane's verified-identity cache: per lcore, keyed by
 * a keyed hash of the token, so that the per-message cost of "who sent
 * this?" is a bulk lookup and an expiry check (identity_verify_burst).
 *
 * Layout. Two tables of 64-byte entries in 4-way buckets: the positive one
 * (verified tokens: SPIFFE ID, expiry) and a separate, smaller negative one
 * (refused tokens: the reason, for ID_CACHE_NEG_TTL_S), so that a flood of
 * bad tokens can evict only other bad tokens. The SPIFFE ID of a positive
 * entry lives in a side array (ID_CACHE_ID_SLOT bytes per entry); a longer
 * ID (valid up to 2048 bytes) is verified every time and not cached.
 *
 * Key. A 128-bit hash of the whole token, keyed by a per-cache random seed
 * (AES rounds where the CPU has AES-NI, else XXH3-128: id_cache.c
 * tok_hash), and the token length. A forged token that collides with a
 * cached one gets that token's identity, which is what replaying the
 * cached token (a bearer token) would get it anyway.
 *
 * Misses are verified inline (id_jwt_verify), at most max_cold per burst;
 * the rest of a burst's misses come back ID_V_PENDING for the caller to
 * retry on a later poll (nothing is dropped). The bound is the latency
 * budget: one cold check costs one signature verification (tens of
 * microseconds: perf/bench-identity prints them per algorithm), so a burst
 * stalls for at most max_cold of them. Cold checks allocate inside jansson
 * and libcrypto: the only allocation on this path, bounded the same way.
 *
 * Invalidation. id_cache_set_bundles installs a new bundle set: every
 * trust domain whose JWT keys changed (keys_digest), appeared or went away
 * gets a new generation, and entries made under the old one stop
 * answering (positive and negative alike: a new key can make a refused
 * token good). Positive entries also stop answering at exp + leeway.
 *
 * Thread context: one cache per lcore, used by that lcore only (no locks,
 * no atomics). The bundle set must stay valid until the next
 * id_cache_set_bundles on this cache (the data plane frees old sets after
 * an RCU grace period).
 */
#ifndef SB_ID_CACHE_H
#define SB_ID_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "id_bundle.h"
#include "id_jwt.h"

#define ID_CACHE_ID_SLOT 256		/* bytes of a cached SPIFFE ID (NUL included) */
#define ID_CACHE_NEG_TTL_S 10		/* how long a refusal is remembered */
#define ID_CACHE_MAX_BURST 64		/* tokens per identity_verify_burst call */
#define ID_CACHE_MAX_TDS 256		/* trust domains the cache tracks generations of */

struct id_cache_conf {
	uint32_t entries;		/* positive entries (rounded up to a power of 2, >= 64) */
	uint32_t neg_entries;		/* negative entries (likewise) */
	uint32_t max_cold;		/* cold verifications per burst (>= 1) */
	uint32_t leeway_s;		/* clock skew for exp / nbf / iat */
	const char *audience;		/* this bridge's audience (copied) */
};

enum id_verdict_state {
	ID_V_OK = 0,			/* verified: id, td, exp are set */
	ID_V_DENY = 1,			/* refused: reason says why */
	ID_V_PENDING = 2,		/* not checked yet (cold budget spent): ask again */
};

struct id_verdict {
	uint8_t state;			/* enum id_verdict_state */
	uint8_t reason;			/* enum id_reason (ID_R_OK when not refused) */
	bool cached;			/* answered from the cache */
	uint16_t id_len;
	uint16_t td_len;		/* the trust domain is id + 9 .. + td_len */
	const char *id;			/* the SPIFFE ID, NUL-terminated; valid until the next call */
	uint64_t exp;			/* the token's exp */
};

struct id_cache_stats {
	uint64_t lookups;
	uint64_t hits;			/* positive hits */
	uint64_t neg_hits;		/* negative hits */
	uint64_t cold_ok;		/* misses verified good */
	uint64_t cold_bad;		/* misses refused */
	uint64_t pending;		/* misses left for a later call */
	uint64_t evictions;		/* live entries replaced */
	uint64_t uncacheable;		/* good tokens whose ID is too long to cache */
	uint64_t invalidations;		/* trust-domain generations bumped */
	uint64_t reasons[ID_R_COUNT];	/* refusals by reason (cold and cached) */
};

struct id_cache;

/*
 * id_cache_new allocates a cache (start-up only) with |seed| for the token
 * hash (take it from getrandom). Returns NULL with errno EINVAL or ENOMEM.
 */
struct id_cache *id_cache_new(const struct id_cache_conf *conf, uint64_t seed);

/* id_cache_free frees |c| (NULL is fine), wiping nothing secret: tokens are not stored. */
void id_cache_free(struct id_cache *c);

/*
 * id_cache_set_bundles makes |s| (may be NULL: no bundles, every token
 * refused NO_BUNDLE) the set misses are verified against, and bumps the
 * generation of every trust domain whose keys differ from the previous
 * set's. O(trust domains); no allocation.
 */
void id_cache_set_bundles(struct id_cache *c, const struct id_bundle_set *s);

/*
 * identity_verify_burst answers for |n| (<= ID_CACHE_MAX_BURST) tokens
 * |tok[i]| of |len[i]| bytes at Unix time |now_s|, filling |out[i]|.
 * Returns the number of ID_V_OK verdicts.
 */
uint16_t identity_verify_burst(struct id_cache *c, const char *const *tok, const uint32_t *len,
			       uint16_t n, uint64_t now_s, struct id_verdict *out);

/* id_cache_stats copies the counters. */
void id_cache_get_stats(const struct id_cache *c, struct id_cache_stats *st);

#endif
