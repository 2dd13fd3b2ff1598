/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_id_cache.c - identity_verify_burst (dataplane/identity/id_cache.c):
 * hits, one verification per token per burst, the cold budget, refusals
 * remembered, expiry, invalidation when a trust domain's keys change,
 * uncacheable IDs, eviction. Tokens are real ES256 JWT-SVIDs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "id_cache.h"
#include "id_mint.h"

#define TD "partner.example"
#define AUD "spiffe://acme.example/bridge"
#define NOW 1800000000ull

struct fx {
	EVP_PKEY *k1, *k2;
	struct id_bundle_set set;
	struct id_cache *c;
	char tok[64][2048];
	uint32_t len[64];
};

static struct id_bundle *bundle_of(struct fx *f, bool with_k1, bool with_k2, uint8_t salt)
{
	EVP_PKEY *keys[2];
	const char *kids[2];
	uint32_t n = 0;

	if (with_k1) {
		keys[n] = f->k1;
		kids[n++] = "k1";
	}
	if (with_k2) {
		keys[n] = f->k2;
		kids[n++] = "k2";
	}
	return id_mint_bundle(TD, keys, kids, n, salt);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->k1 = id_mint_key(ID_ALG_ES256);
	f->k2 = id_mint_key(ID_ALG_ES256);
	assert_non_null(f->k1);
	assert_non_null(f->k2);
	id_bundle_set_init(&f->set);
	assert_int_equal(id_bundle_set_put(&f->set, bundle_of(f, true, false, 0)), 0);
	f->c = id_cache_new(&(struct id_cache_conf){ .entries = 1024, .neg_entries = 256,
						     .max_cold = 64, .leeway_s = 60, .audience = AUD },
			    42);
	assert_non_null(f->c);
	id_cache_set_bundles(f->c, &f->set);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	id_cache_free(f->c);
	id_bundle_set_clear(&f->set);
	EVP_PKEY_free(f->k1);
	EVP_PKEY_free(f->k2);
	free(f);
	return 0;
}

/* Token |i| for agent-i, signed with |key| as |kid|, expiring at |exp|. */
static void mint(struct fx *f, int i, EVP_PKEY *key, const char *kid, uint64_t exp)
{
	char sub[128];
	int n;

	snprintf(sub, sizeof(sub), "spiffe://" TD "/agent/agent-%d", i);
	n = id_mint_token(ID_ALG_ES256, key, kid, sub, AUD, exp, NULL, f->tok[i],
			  sizeof(f->tok[i]));
	assert_true(n > 0);
	f->len[i] = (uint32_t)n;
}

static uint16_t burst(struct fx *f, const int *idx, uint16_t n, uint64_t now,
		      struct id_verdict *v)
{
	const char *tp[64];
	uint32_t tl[64];

	for (uint16_t k = 0; k < n; k++) {
		tp[k] = f->tok[idx[k]];
		tl[k] = f->len[idx[k]];
	}
	return identity_verify_burst(f->c, tp, tl, n, now, v);
}

static void test_hit_after_verify(void **state)
{
	struct fx *f = *state;
	struct id_verdict v[32];
	struct id_cache_stats st;
	int idx[32] = { 0 };

	mint(f, 0, f->k1, "k1", NOW + 600);
	/* 32 messages of one agent in a burst: one verification, 31 hits */
	assert_int_equal(burst(f, idx, 32, NOW, v), 32);
	for (int k = 0; k < 32; k++) {
		assert_int_equal(v[k].state, ID_V_OK);
		assert_string_equal(v[k].id, "spiffe://" TD "/agent/agent-0");
		assert_int_equal(v[k].td_len, strlen(TD));
		assert_int_equal(v[k].exp, NOW + 600);
	}
	assert_false(v[0].cached);
	assert_true(v[1].cached);
	id_cache_get_stats(f->c, &st);
	assert_int_equal(st.cold_ok, 1);
	assert_int_equal(st.hits, 31);
	/* and the next burst is all hits */
	assert_int_equal(burst(f, idx, 8, NOW + 1, v), 8);
	id_cache_get_stats(f->c, &st);
	assert_int_equal(st.cold_ok, 1);
	assert_int_equal(st.hits, 39);
}

static void test_cold_budget_leaves_pending(void **state)
{
	struct fx *f = *state;
	struct id_verdict v[8];
	struct id_cache_stats st;
	int idx[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct id_cache *small = id_cache_new(&(struct id_cache_conf){ .entries = 64,
		.neg_entries = 64, .max_cold = 3, .leeway_s = 60, .audience = AUD }, 7);

	assert_non_null(small);
	id_cache_set_bundles(small, &f->set);
	id_cache_free(f->c);
	f->c = small;
	for (int i = 0; i < 8; i++) {
		mint(f, i, f->k1, "k1", NOW + 600);
	}
	assert_int_equal(burst(f, idx, 8, NOW, v), 3);
	for (int k = 0; k < 8; k++) {
		assert_int_equal(v[k].state, k < 3 ? ID_V_OK : ID_V_PENDING);
	}
	assert_int_equal(burst(f, idx, 8, NOW, v), 6);	/* 3 hits + 3 more verified */
	assert_int_equal(burst(f, idx, 8, NOW, v), 8);
	id_cache_get_stats(f->c, &st);
	assert_int_equal(st.cold_ok, 8);
	assert_int_equal(st.pending, 5 + 2);
}

static void test_refusal_remembered(void **state)
{
	struct fx *f = *state;
	struct id_verdict v[2];
	struct id_cache_stats st;
	int idx[2] = { 0, 0 };

	mint(f, 0, f->k1, "k1", NOW + 600);
	/* another base64url character inside the signature (not the last: no spare bits) */
	f->tok[0][f->len[0] - 3] = f->tok[0][f->len[0] - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(burst(f, idx, 2, NOW, v), 0);
	assert_int_equal(v[0].state, ID_V_DENY);
	assert_int_equal(v[0].reason, ID_R_SIGNATURE);
	assert_int_equal(v[1].state, ID_V_DENY);
	assert_true(v[1].cached);
	id_cache_get_stats(f->c, &st);
	assert_int_equal(st.cold_bad, 1);
	assert_int_equal(st.neg_hits, 1);
	assert_int_equal(st.reasons[ID_R_SIGNATURE], 2);
	/* a refusal lapses after ID_CACHE_NEG_TTL_S and is checked again */
	assert_int_equal(burst(f, idx, 1, NOW + ID_CACHE_NEG_TTL_S, v), 0);
	id_cache_get_stats(f->c, &st);
	assert_int_equal(st.cold_bad, 2);
}

static void test_expiry(void **state)
{
	struct fx *f = *state;
	struct id_verdict v[1];
	int idx[1] = { 0 };

	mint(f, 0, f->k1, "k1", NOW + 10);
	assert_int_equal(burst(f, idx, 1, NOW, v), 1);
	assert_int_equal(burst(f, idx, 1, NOW + 10 + 59, v), 1);	/* within the leeway */
	assert_true(v[0].cached);
	assert_int_equal(burst(f, idx, 1, NOW + 10 + 60, v), 0);
	assert_int_equal(v[0].state, ID_V_DENY);
	assert_int_equal(v[0].reason, ID_R_EXPIRED);
}

static void test_key_rotation_invalidates(void **state)
{
	struct fx *f = *state;
	struct id_bundle_set next;
	struct id_verdict v[2];
	struct id_cache_stats st;
	int idx[2] = { 0, 1 };

	mint(f, 0, f->k1, "k1", NOW + 600);
	mint(f, 1, f->k2, "k2", NOW + 600);
	assert_int_equal(burst(f, idx, 2, NOW, v), 1);
	assert_int_equal(v[1].reason, ID_R_UNKNOWN_KID);	/* k2 not in the bundle yet */

	/* refresh adds k2: the refusal is forgotten, k2's token verifies */
	id_bundle_set_init(&next);
	assert_int_equal(id_bundle_set_put(&next, bundle_of(f, true, true, 1)), 0);
	id_cache_set_bundles(f->c, &next);
	assert_int_equal(burst(f, idx, 2, NOW, v), 2);
	assert_false(v[0].cached);	/* the trust domain's keys changed: checked again */
	assert_false(v[1].cached);
	id_bundle_set_clear(&f->set);
	f->set = next;

	/* k1 removed: its token is refused at once, not served from the cache */
	id_bundle_set_init(&next);
	assert_int_equal(id_bundle_set_put(&next, bundle_of(f, false, true, 2)), 0);
	id_cache_set_bundles(f->c, &next);
	assert_int_equal(burst(f, idx, 2, NOW, v), 1);
	assert_int_equal(v[0].state, ID_V_DENY);
	assert_int_equal(v[0].reason, ID_R_UNKNOWN_KID);
	assert_int_equal(v[1].state, ID_V_OK);
	id_bundle_set_clear(&f->set);
	f->set = next;

	/* the same keys in a new set object: positive entries keep answering */
	id_bundle_set_init(&next);
	assert_int_equal(id_bundle_set_put(&next, bundle_of(f, false, true, 2)), 0);
	id_cache_set_bundles(f->c, &next);
	assert_int_equal(burst(f, idx + 1, 1, NOW, v), 1);
	assert_true(v[0].cached);
	id_bundle_set_clear(&f->set);
	f->set = next;
	id_cache_get_stats(f->c, &st);
	assert_int_equal(st.invalidations, 2);

	/* no bundles at all: nothing verifies */
	id_cache_set_bundles(f->c, NULL);
	assert_int_equal(burst(f, idx + 1, 1, NOW, v), 0);
	assert_int_equal(v[0].reason, ID_R_NO_BUNDLE);
}

static void test_long_id_not_cached(void **state)
{
	struct fx *f = *state;
	char sub[600];
	struct id_verdict v[2];
	struct id_cache_stats st;
	const char *tp[2];
	uint32_t tl[2];
	int n;

	memset(sub, 'a', sizeof(sub) - 1);
	sub[sizeof(sub) - 1] = '\0';
	memcpy(sub, "spiffe://" TD "/", strlen("spiffe://" TD "/"));
	n = id_mint_token(ID_ALG_ES256, f->k1, "k1", sub, AUD, NOW + 600, NULL, f->tok[0],
			  sizeof(f->tok[0]));
	assert_true(n > 0);
	tp[0] = tp[1] = f->tok[0];
	tl[0] = tl[1] = (uint32_t)n;
	assert_int_equal(identity_verify_burst(f->c, tp, tl, 2, NOW, v), 2);
	assert_string_equal(v[0].id, sub);
	assert_string_equal(v[1].id, sub);
	assert_false(v[1].cached);
	id_cache_get_stats(f->c, &st);
	assert_int_equal(st.uncacheable, 2);
}

static void test_too_large_and_eviction(void **state)
{
	struct fx *f = *state;
	static char big[ID_TOKEN_MAX + 2];
	struct id_verdict v[64];
	struct id_cache_stats st;
	const char *tp[1] = { big };
	uint32_t tl[1] = { sizeof(big) - 1 };
	int idx[64];
	struct id_cache *small = id_cache_new(&(struct id_cache_conf){ .entries = 64,
		.neg_entries = 64, .max_cold = 64, .leeway_s = 60, .audience = AUD }, 9);

	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(identity_verify_burst(f->c, tp, tl, 1, NOW, v), 0);
	assert_int_equal(v[0].reason, ID_R_TOO_LARGE);

	assert_non_null(small);
	id_cache_set_bundles(small, &f->set);
	id_cache_free(f->c);
	f->c = small;
	for (int i = 0; i < 64; i++) {
		mint(f, i, f->k1, "k1", NOW + 600);
		idx[i] = i;
	}
	/* 3 x 64 distinct tokens through 64 entries: all verified, some evicted */
	for (int r = 0; r < 3; r++) {
		assert_int_equal(burst(f, idx, 64, NOW, v), 64);
	}
	id_cache_get_stats(f->c, &st);
	assert_true(st.evictions > 0);
	assert_int_equal(st.cold_ok + st.hits, 3 * 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_after_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cold_budget_leaves_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_remembered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_rotation_invalidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_id_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large_and_eviction, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
