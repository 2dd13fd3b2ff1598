/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_group*.c, the group management of
 * mls_group.h, through its public functions; every member of a group is a
 * struct mls_group here and the test is the Delivery Service.
 *
 *  - members added one Commit at a time (suites 1, 2 and 7), joining with
 *    the tree in the Welcome and without it (passed out of band; a stale
 *    tree is refused), and several added by one Commit: every member
 *    agrees on the epoch, the membership, the epoch authenticator and the
 *    exporter;
 *  - every member commits in turn, with and without an UpdatePath, as
 *    PublicMessage and PrivateMessage;
 *  - Remove: the removed member learns it, can do nothing more, and its
 *    leaf is blank (the next Add takes it);
 *  - external PSKs, in a Commit and in a Welcome; a member without the PSK
 *    refuses, keeps its epoch, and takes the Commit once it has the PSK
 *    (PublicMessage and PrivateMessage);
 *  - a Commit with a flipped byte (anywhere; in the signature, the
 *    confirmation tag or the path ciphertexts behind a valid membership
 *    tag), a replayed Commit, a Commit of another group and an
 *    application message are refused and leave the member as it was; the
 *    genuine Commit is then accepted;
 *  - external joins from a GroupInfo with and without the tree; a tampered
 *    GroupInfo, and a member joining again, refused;
 *  - KeyPackage checks and Adds of members already in the group;
 *  - mls_group_copy; what the data plane takes from an epoch.
 *
 * Re-framing a Commit with a valid membership tag needs the group's
 * membership key: the test takes it from mls_group_internal.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto_aead.h"
#include "mls_app.h"
#include "mls_crypto.h"
#include "mls_framing.h"
#include "mls_group.h"
#include "mls_group_internal.h"
#include "mls_wire.h"

#define MAX_M 8
#define CAP (64u << 10)

static const uint8_t psk_id[] = "psk-1";
static const uint8_t psk_val[] = "a pre-shared key of the group";
static const struct mls_commit_opts tree_opts = {.tree_in_welcome = true};
static const struct mls_commit_opts private_opts = {.private_message = true};
static const struct mls_group_psk the_psk = {psk_id, sizeof(psk_id) - 1, psk_val,
					      sizeof(psk_val) - 1};

/* Members 0 .. MAX_M-1 of one group, by index; g[i] is NULL until member i joins. */
struct world {
	const struct mls_suite *s;
	struct mls_signer *sg[MAX_M];
	struct mls_group *g[MAX_M];
};

static void identity(int i, char *out, size_t cap)
{
	snprintf(out, cap, "member-%d", i);
}

/* world_new makes |n| signers in |suite| and a group of member 0. */
static void world_new(struct world *w, uint16_t suite, int n, const char *group_id)
{
	memset(w, 0, sizeof(*w));
	w->s = mls_suite_get(suite);
	assert_non_null(w->s);
	for (int i = 0; i < n; i++) {
		char id[32];

		identity(i, id, sizeof(id));
		assert_int_equal(mls_signer_new(w->s, (const uint8_t *)id, strlen(id), NULL, 0,
						&w->sg[i]), 0);
	}
	assert_int_equal(mls_group_create(w->sg[0], (const uint8_t *)group_id, strlen(group_id),
					  &w->g[0]), 0);
	assert_int_equal(mls_group_epoch(w->g[0]), 0);
	assert_int_equal(mls_group_n_members(w->g[0]), 1);
}

static void world_free(struct world *w)
{
	for (int i = 0; i < MAX_M; i++) {
		mls_group_free(w->g[i]);
		mls_signer_free(w->sg[i]);
	}
}

/*
 * deliver hands |msg| (a Commit by member |from|) to every other member
 * that is in the group, which must accept it.
 */
static void deliver(struct world *w, int from, const uint8_t *msg, size_t len)
{
	for (int i = 0; i < MAX_M; i++) {
		struct mls_group_event ev;

		if (i == from || w->g[i] == NULL || !mls_group_active(w->g[i])) {
			continue;
		}
		assert_int_equal(mls_group_handle(w->g[i], msg, len, &ev), 0);
		assert_int_equal(ev.type, MLS_GROUP_EV_COMMIT);
		assert_int_equal(ev.epoch, mls_group_epoch(w->g[i]));
		if (!ev.removed) {
			assert_int_equal(ev.sender_type, MLS_SENDER_MEMBER);
			assert_int_equal(ev.sender, mls_group_own_leaf(w->g[from]));
		}
	}
}

/*
 * assert_agree checks that the active members share the epoch, the
 * membership (each member at its own leaf under its identity), the epoch
 * authenticator and an exported secret.
 */
static void assert_agree(const struct world *w)
{
	uint8_t a0[MLS_MAX_HASH], ai[MLS_MAX_HASH], x0[32], xi[32];
	const struct mls_group *ref = NULL;
	int n_active = 0;

	for (int i = 0; i < MAX_M; i++) {
		const struct mls_group *g = w->g[i];
		const uint8_t *idp;
		size_t idl;
		char id[32];

		if (g == NULL || !mls_group_active(g)) {
			continue;
		}
		n_active++;
		assert_int_equal(mls_group_epoch_authenticator(g, ai), 0);
		assert_int_equal(mls_group_export_secret(g, "test", 4, (const uint8_t *)"ctx", 3,
							 xi, sizeof(xi)), 0);
		if (ref == NULL) {
			ref = g;
			memcpy(a0, ai, w->s->nh);
			memcpy(x0, xi, sizeof(x0));
		}
		assert_int_equal(mls_group_epoch(g), mls_group_epoch(ref));
		assert_int_equal(mls_group_n_members(g), mls_group_n_members(ref));
		assert_int_equal(mls_group_n_leaves(g), mls_group_n_leaves(ref));
		assert_memory_equal(ai, a0, w->s->nh);
		assert_memory_equal(xi, x0, sizeof(x0));
		/* everyone sees member i at i's own leaf */
		identity(i, id, sizeof(id));
		assert_int_equal(mls_group_member(ref, mls_group_own_leaf(g), &idp, &idl, NULL,
						  NULL), 0);
		assert_int_equal(idl, strlen(id));
		assert_memory_equal(idp, id, idl);
		assert_int_equal(mls_group_find_member(ref, (const uint8_t *)id, strlen(id)),
				 (int)mls_group_own_leaf(g));
	}
	assert_non_null(ref);
	assert_int_equal(mls_group_n_members(ref), n_active);
}

static struct mls_kp *kp_new(const struct world *w, int i)
{
	struct mls_kp *kp;

	assert_int_equal(mls_kp_create(w->sg[i], 0, UINT64_MAX, &kp), 0);
	return kp;
}

/*
 * join_from makes member |i| join from |r|'s Welcome; without the tree in
 * it, the tree comes out of band from |committer|'s group.
 */
static void join_from(struct world *w, int i, const struct mls_kp *kp,
		      const struct mls_commit_result *r, bool tree_in_welcome, int committer)
{
	struct mls_join_opts o = {0};
	uint8_t *tree = NULL;
	size_t tree_len = 0;

	assert_non_null(r->welcome);
	if (!tree_in_welcome) {
		struct mls_group *g;

		/* without the tree nothing can be joined */
		assert_int_equal(mls_group_join(kp, r->welcome, r->welcome_len, NULL, &g),
				 -EINVAL);
		assert_int_equal(mls_group_ratchet_tree(w->g[committer], &tree, &tree_len), 0);
		o.ratchet_tree = tree;
		o.ratchet_tree_len = tree_len;
	}
	assert_int_equal(mls_group_join(kp, r->welcome, r->welcome_len, &o, &w->g[i]), 0);
	assert_true(mls_group_active(w->g[i]));
	free(tree);
}

/* add_members: |committer| adds members |first| .. |first|+|count|-1 in one Commit. */
static void add_members(struct world *w, int committer, int first, int count,
			bool tree_in_welcome)
{
	struct mls_commit_opts o = {.tree_in_welcome = tree_in_welcome};
	struct mls_kp *kp[MAX_M];
	struct mls_commit_result r;
	uint64_t epoch = mls_group_epoch(w->g[committer]);

	for (int i = first; i < first + count; i++) {
		size_t len;
		const uint8_t *m;

		kp[i] = kp_new(w, i);
		m = mls_kp_message(kp[i], &len);
		assert_int_equal(mls_group_propose_add(w->g[committer], m, len), 0);
	}
	assert_int_equal(mls_group_commit(w->g[committer], &o, &r), 0);
	assert_int_equal(mls_group_epoch(w->g[committer]), epoch + 1);
	deliver(w, committer, r.commit, r.commit_len);
	for (int i = first; i < first + count; i++) {
		join_from(w, i, kp[i], &r, tree_in_welcome, committer);
		mls_kp_free(kp[i]);
	}
	mls_commit_result_free(&r);
}

/* commit_all: member |from| commits what it has queued; everyone else applies it. */
static void commit_all(struct world *w, int from, const struct mls_commit_opts *o)
{
	struct mls_commit_result r;

	assert_int_equal(mls_group_commit(w->g[from], o, &r), 0);
	assert_null(r.welcome);
	deliver(w, from, r.commit, r.commit_len);
	mls_commit_result_free(&r);
}

/* What a member shows of its state, to check that a refused message changed nothing. */
struct snap {
	uint64_t epoch;
	uint32_t n_members;
	bool active;
	uint8_t auth[MLS_MAX_HASH];
	uint8_t exp[32];
};

static void snap_take(const struct mls_group *g, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->epoch = mls_group_epoch(g);
	s->n_members = mls_group_n_members(g);
	s->active = mls_group_active(g);
	assert_int_equal(mls_group_epoch_authenticator(g, s->auth), 0);
	assert_int_equal(mls_group_export_secret(g, "snap", 4, NULL, 0, s->exp, sizeof(s->exp)), 0);
}

static void assert_unchanged(const struct mls_group *g, const struct snap *before)
{
	struct snap now;

	snap_take(g, &now);
	assert_memory_equal(&now, before, sizeof(now));
}

/* ---- adding members ---------------------------------------------------------- */

/*
 * Member i-1 adds member i, one Commit each; odd joins find the tree in
 * the Welcome, even ones get it out of band.
 */
static void add_one_by_one(uint16_t suite, int n)
{
	struct world w;

	world_new(&w, suite, n, "one-by-one");
	for (int i = 1; i < n; i++) {
		add_members(&w, i - 1, i, 1, i % 2 == 1);
		assert_int_equal(mls_group_epoch(w.g[i]), i);
		assert_int_equal(mls_group_n_members(w.g[0]), i + 1);
		assert_int_equal(mls_group_own_leaf(w.g[i]), i);
		assert_agree(&w);
	}
	world_free(&w);
}

static void test_add_one_by_one_suite1(void **state)
{
	(void)state;
	add_one_by_one(1, 5);
}

static void test_add_one_by_one_suite2(void **state)
{
	(void)state;
	add_one_by_one(2, 5);
}

static void test_add_one_by_one_suite7(void **state)
{
	(void)state;
	add_one_by_one(7, 4);
}

/* One Commit adds four members; each joins from the one Welcome. */
static void test_add_several_in_one_commit(void **state)
{
	struct world w;
	struct mls_kp *stranger;
	struct mls_commit_result r;
	struct mls_commit_opts o = {.tree_in_welcome = true};
	struct mls_kp *kp[5];
	struct mls_group *g;

	(void)state;
	world_new(&w, 1, 6, "several");
	for (int i = 1; i <= 4; i++) {
		size_t len;
		const uint8_t *m;

		kp[i] = kp_new(&w, i);
		m = mls_kp_message(kp[i], &len);
		assert_int_equal(mls_group_propose_add(w.g[0], m, len), 0);
	}
	assert_int_equal(mls_group_commit(w.g[0], &o, &r), 0);
	assert_non_null(r.welcome);
	for (int i = 1; i <= 4; i++) {
		join_from(&w, i, kp[i], &r, true, 0);
		mls_kp_free(kp[i]);
	}
	/* a KeyPackage the Commit did not add finds nothing for it */
	stranger = kp_new(&w, 5);
	assert_int_equal(mls_group_join(stranger, r.welcome, r.welcome_len, NULL, &g), -ENOENT);
	mls_commit_result_free(&r);
	assert_int_equal(mls_group_epoch(w.g[0]), 1);
	assert_int_equal(mls_group_n_members(w.g[3]), 5);
	assert_agree(&w);
	/* the new members are full members: the last one commits, the others follow */
	commit_all(&w, 4, &(struct mls_commit_opts){.force_path = true});
	assert_agree(&w);
	/* a new member given the tree of the epoch before is refused */
	{
		struct mls_join_opts jo = {0};
		uint8_t *stale, *tree;
		size_t stale_len, tree_len, len;
		const uint8_t *m = mls_kp_message(stranger, &len);

		assert_int_equal(mls_group_ratchet_tree(w.g[2], &stale, &stale_len), 0);
		assert_int_equal(mls_group_propose_add(w.g[2], m, len), 0);
		assert_int_equal(mls_group_commit(w.g[2], NULL, &r), 0);
		deliver(&w, 2, r.commit, r.commit_len);
		jo.ratchet_tree = stale;
		jo.ratchet_tree_len = stale_len;
		assert_int_equal(mls_group_join(stranger, r.welcome, r.welcome_len, &jo, &g),
				 -EBADMSG);
		assert_int_equal(mls_group_ratchet_tree(w.g[2], &tree, &tree_len), 0);
		jo.ratchet_tree = tree;
		jo.ratchet_tree_len = tree_len;
		assert_int_equal(mls_group_join(stranger, r.welcome, r.welcome_len, &jo, &w.g[5]),
				 0);
		free(stale);
		free(tree);
		mls_commit_result_free(&r);
	}
	mls_kp_free(stranger);
	assert_int_equal(mls_group_n_members(w.g[5]), 6);
	assert_agree(&w);
	world_free(&w);
}

/* ---- commits ------------------------------------------------------------------- */

/*
 * Every member commits in turn: with an UpdatePath (an empty Commit) or
 * without one (a PSK proposal alone needs none), as PublicMessage and as
 * PrivateMessage. Each epoch is new: its authenticator differs.
 */
static void commits_in_turn(uint16_t suite)
{
	uint8_t prev[MLS_MAX_HASH], now[MLS_MAX_HASH];
	struct world w;

	world_new(&w, suite, 4, "in-turn");
	add_members(&w, 0, 1, 3, true);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(mls_group_psk_add(w.g[i], &the_psk), 0);
	}
	assert_int_equal(mls_group_epoch_authenticator(w.g[0], prev), 0);
	for (int round = 0; round < 8; round++) {
		int from = round % 4;
		bool with_path = (round / 4) == 0;
		struct mls_commit_opts o = {.private_message = (round + round / 4) % 2 == 1};

		if (!with_path) {
			assert_int_equal(mls_group_propose_psk(w.g[from], psk_id,
							       sizeof(psk_id) - 1), 0);
		}
		commit_all(&w, from, &o);
		assert_int_equal(mls_group_epoch(w.g[0]), 2 + round);
		assert_agree(&w);
		assert_int_equal(mls_group_epoch_authenticator(w.g[0], now), 0);
		assert_memory_not_equal(now, prev, w.s->nh);
		memcpy(prev, now, w.s->nh);
	}
	world_free(&w);
}

static void test_commits_in_turn_suite1(void **state)
{
	(void)state;
	commits_in_turn(1);
}

static void test_commits_in_turn_suite2(void **state)
{
	(void)state;
	commits_in_turn(2);
}

/* ---- remove -------------------------------------------------------------------- */

static void test_remove(void **state)
{
	struct mls_commit_result r, later;
	struct mls_group_event ev;
	struct world w;
	uint8_t out[MLS_MAX_HASH];
	struct mls_kp *kp;
	const uint8_t *m;
	size_t len;

	(void)state;
	world_new(&w, 1, 5, "remove");
	add_members(&w, 0, 1, 3, true);
	/* member 1 removes member 2 (a PrivateMessage: the removed member can still open it) */
	assert_int_equal(mls_group_propose_remove(w.g[1], 2), 0);
	assert_int_equal(mls_group_commit(w.g[1], &private_opts, &r), 0);
	for (int i = 0; i < 4; i++) {
		if (i == 1) {
			continue;
		}
		assert_int_equal(mls_group_handle(w.g[i], r.commit, r.commit_len, &ev), 0);
		assert_int_equal(ev.type, MLS_GROUP_EV_COMMIT);
		assert_int_equal(ev.removed, i == 2);
		assert_int_equal(mls_group_active(w.g[i]), i != 2);
	}
	mls_commit_result_free(&r);
	assert_int_equal(mls_group_epoch(w.g[0]), 2);
	assert_int_equal(mls_group_n_members(w.g[0]), 3);
	assert_agree(&w);
	/* leaf 2 is blank for everyone left */
	for (int i = 0; i < 4; i++) {
		if (i != 2) {
			assert_int_equal(mls_group_member(w.g[i], 2, NULL, NULL, NULL, NULL),
					 -ENOENT);
			assert_int_equal(mls_group_find_member(w.g[i], (const uint8_t *)"member-2",
							       8), -ENOENT);
			assert_int_equal(mls_group_app_secret(w.g[i], 2, out), -ENOENT);
		}
	}
	/* the removed member can do nothing more in the group */
	assert_int_equal(mls_group_commit(w.g[0], &(struct mls_commit_opts){.force_path = true},
					  &later), 0);
	assert_int_equal(mls_group_handle(w.g[2], later.commit, later.commit_len, &ev), -EINVAL);
	assert_int_equal(mls_group_commit(w.g[2], NULL, &r), -EINVAL);
	assert_int_equal(mls_group_propose_remove(w.g[2], 0), -EINVAL);
	deliver(&w, 0, later.commit, later.commit_len);
	mls_commit_result_free(&later);
	/* nobody removes a blank leaf or itself */
	assert_int_equal(mls_group_propose_remove(w.g[0], 2), -EINVAL);
	assert_int_equal(mls_group_propose_remove(w.g[0], 0), -EINVAL);
	assert_int_equal(mls_group_propose_remove(w.g[0], 9), -EINVAL);
	/* the next member added takes the blank leaf */
	kp = kp_new(&w, 4);
	m = mls_kp_message(kp, &len);
	assert_int_equal(mls_group_propose_add(w.g[3], m, len), 0);
	assert_int_equal(mls_group_commit(w.g[3], &tree_opts, &r), 0);
	deliver(&w, 3, r.commit, r.commit_len);
	join_from(&w, 4, kp, &r, true, 3);
	mls_commit_result_free(&r);
	mls_kp_free(kp);
	assert_int_equal(mls_group_own_leaf(w.g[4]), 2);
	assert_int_equal(mls_group_n_members(w.g[4]), 4);
	assert_agree(&w);
	world_free(&w);
}

/* ---- external PSKs ------------------------------------------------------------- */

static void test_external_psk(void **state)
{
	struct mls_join_opts jo = {.psks = &the_psk, .n_psks = 1};
	struct mls_commit_result r;
	struct mls_group *g;
	struct snap before;
	struct world w;
	struct mls_kp *kp;
	const uint8_t *m;
	size_t len;

	(void)state;
	world_new(&w, 1, 4, "psk");
	add_members(&w, 0, 1, 2, true);
	assert_int_equal(mls_group_psk_add(w.g[0], &the_psk), 0);
	assert_int_equal(mls_group_psk_add(w.g[1], &the_psk), 0);
	assert_int_equal(mls_group_propose_psk(w.g[0], (const uint8_t *)"nope", 4), -ENOENT);
	assert_int_equal(mls_group_propose_psk(w.g[0], psk_id, sizeof(psk_id) - 1), 0);
	assert_int_equal(mls_group_commit(w.g[0], NULL, &r), 0);
	assert_int_equal(mls_group_handle(w.g[1], r.commit, r.commit_len, NULL), 0);
	/* member 2 does not know the PSK: it refuses and stays where it was */
	snap_take(w.g[2], &before);
	assert_int_equal(mls_group_handle(w.g[2], r.commit, r.commit_len, NULL), -ENOENT);
	assert_unchanged(w.g[2], &before);
	assert_int_equal(mls_group_epoch(w.g[2]), 1);
	/* once it knows the PSK, the same Commit goes through */
	assert_int_equal(mls_group_psk_add(w.g[2], &the_psk), 0);
	assert_int_equal(mls_group_handle(w.g[2], r.commit, r.commit_len, NULL), 0);
	mls_commit_result_free(&r);
	assert_int_equal(mls_group_epoch(w.g[0]), 2);
	assert_agree(&w);
	/* a Welcome of a Commit with a PSK: the joiner needs the PSK too */
	kp = kp_new(&w, 3);
	m = mls_kp_message(kp, &len);
	assert_int_equal(mls_group_propose_add(w.g[1], m, len), 0);
	assert_int_equal(mls_group_propose_psk(w.g[1], psk_id, sizeof(psk_id) - 1), 0);
	assert_int_equal(mls_group_commit(w.g[1], &tree_opts, &r), 0);
	deliver(&w, 1, r.commit, r.commit_len);
	assert_int_equal(mls_group_join(kp, r.welcome, r.welcome_len, NULL, &g), -ENOENT);
	assert_int_equal(mls_group_join(kp, r.welcome, r.welcome_len, &jo, &w.g[3]), 0);
	mls_commit_result_free(&r);
	mls_kp_free(kp);
	assert_agree(&w);
	world_free(&w);
}

/* ---- what is refused leaves the member as it was ---------------------------------- */

enum tamper {
	T_NONE,
	T_SIGNATURE,
	T_CONFIRMATION_TAG,
	T_PATH_CIPHERTEXT,
	T_PATH_KEY,
};

static void flip_last(struct mls_bytes b)
{
	assert_true(b.len > 0);
	((uint8_t *)b.p)[b.len - 1] ^= 0x01;
}

/*
 * reframe opens the PublicMessage Commit |msg| as member |rx| sees it,
 * flips one byte of the part |t| names and frames it again under the
 * epoch's membership key, so that the membership tag is valid and the
 * check behind it is what must refuse the Commit. Returns the length
 * written to |out|.
 */
static size_t reframe(struct mls_group *rx, const uint8_t *msg, size_t len, enum tamper t,
		      uint8_t *out, size_t cap)
{
	struct mls_authenticated_content ac;
	struct mls_framing_epoch ep;
	struct mls_group_context gc;
	struct grp_keyctx kc = {0};
	struct mls_update_path *path;
	struct mls_writer w;
	struct mls_arena a;
	uint8_t *copy = malloc(len);
	size_t n;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	mls_arena_init(&a, 64u << 20);
	assert_int_equal(grp_context_view(rx, &a, &gc), 0);
	grp_framing_epoch(rx, &gc, &kc, &ep);
	assert_int_equal(mls_framing_unprotect(&ep, copy, len, &a, &ac), 0);
	EVP_PKEY_free(kc.key);
	kc.key = NULL;
	assert_int_equal(ac.wire_format, MLS_WIRE_PUBLIC_MESSAGE);
	assert_int_equal(ac.content.content_type, MLS_CONTENT_COMMIT);
	path = &ac.content.commit.path;
	switch (t) {
	case T_NONE:
		break;
	case T_SIGNATURE:
		flip_last(ac.auth.signature);
		break;
	case T_CONFIRMATION_TAG:
		flip_last(ac.auth.confirmation_tag);
		break;
	case T_PATH_CIPHERTEXT:
		/* every ciphertext: the receiver's is among them */
		assert_true(ac.content.commit.has_path);
		for (size_t i = 0; i < path->n_nodes; i++) {
			for (size_t j = 0; j < path->nodes[i].n_encrypted_path_secret; j++) {
				flip_last(path->nodes[i].encrypted_path_secret[j].ciphertext);
			}
		}
		break;
	case T_PATH_KEY:
		assert_true(ac.content.commit.has_path && path->n_nodes > 0);
		flip_last(path->nodes[path->n_nodes - 1].encryption_key);
		break;
	}
	mls_writer_init(&w, out, cap);
	assert_int_equal(mls_framing_protect_signed(&ep, &ac, 0, &w), 0);
	n = mls_writer_len(&w);
	EVP_PKEY_free(kc.key);
	mls_arena_cleanup(&a);
	free(copy);
	return n;
}

/*
 * A PublicMessage Commit with a byte flipped: anywhere in the bytes (the
 * membership tag fails), and in the signature, the confirmation tag, the
 * path ciphertexts and a path key behind a valid membership tag. Each is
 * refused with -EBADMSG and changes nothing; the genuine Commit is then
 * accepted, and refused with -ESTALE when it comes again.
 */
static void test_tampered_public_commit(void **state)
{
	static const size_t offsets[] = {4, 20, 100, 0 /* last byte */};
	struct mls_commit_result r;
	struct snap before;
	struct world w;
	uint8_t *bad = malloc(CAP);

	(void)state;
	assert_non_null(bad);
	world_new(&w, 1, 4, "tamper");
	add_members(&w, 0, 1, 3, true);
	assert_int_equal(mls_group_commit(w.g[0], &(struct mls_commit_opts){.force_path = true},
					  &r), 0);
	snap_take(w.g[2], &before);
	for (size_t k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
		size_t off = offsets[k] == 0 ? r.commit_len - 1 : offsets[k];

		assert_true(off < r.commit_len);
		memcpy(bad, r.commit, r.commit_len);
		bad[off] ^= 0x40;
		assert_int_equal(mls_group_handle(w.g[2], bad, r.commit_len, NULL), -EBADMSG);
		assert_unchanged(w.g[2], &before);
	}
	for (int t = T_SIGNATURE; t <= T_PATH_KEY; t++) {
		size_t n = reframe(w.g[2], r.commit, r.commit_len, (enum tamper)t, bad, CAP);

		assert_int_equal(mls_group_handle(w.g[2], bad, n, NULL), -EBADMSG);
		assert_unchanged(w.g[2], &before);
	}
	/* re-framed untouched, the Commit is accepted: what refused the others was the flip */
	{
		size_t n = reframe(w.g[2], r.commit, r.commit_len, T_NONE, bad, CAP);
		struct mls_group *copy;

		assert_int_equal(mls_group_copy(w.g[2], &copy), 0);
		assert_int_equal(mls_group_handle(copy, bad, n, NULL), 0);
		assert_int_equal(mls_group_epoch(copy), before.epoch + 1);
		mls_group_free(copy);
	}
	deliver(&w, 0, r.commit, r.commit_len);
	assert_agree(&w);
	snap_take(w.g[2], &before);
	assert_int_equal(mls_group_handle(w.g[2], r.commit, r.commit_len, NULL), -ESTALE);
	assert_unchanged(w.g[2], &before);
	mls_commit_result_free(&r);
	free(bad);
	world_free(&w);
}

/*
 * A PrivateMessage Commit with a byte of its ciphertext flipped is
 * refused and changes nothing: the genuine Commit that follows is
 * accepted. Replayed, it is refused with -ESTALE.
 */
static void test_tampered_private_commit(void **state)
{
	struct mls_commit_opts o = {.force_path = true, .private_message = true};
	struct mls_commit_result r;
	struct snap before;
	struct world w;
	uint8_t *bad;

	(void)state;
	world_new(&w, 1, 3, "tamper-private");
	add_members(&w, 0, 1, 2, true);
	assert_int_equal(mls_group_commit(w.g[0], &o, &r), 0);
	bad = malloc(r.commit_len);
	assert_non_null(bad);
	memcpy(bad, r.commit, r.commit_len);
	bad[r.commit_len - 1] ^= 0x01;	/* the content's AEAD tag */
	snap_take(w.g[1], &before);
	assert_int_equal(mls_group_handle(w.g[1], bad, r.commit_len, NULL), -EBADMSG);
	assert_unchanged(w.g[1], &before);
	deliver(&w, 0, r.commit, r.commit_len);
	assert_agree(&w);
	snap_take(w.g[1], &before);
	assert_int_equal(mls_group_handle(w.g[1], r.commit, r.commit_len, NULL), -ESTALE);
	assert_unchanged(w.g[1], &before);
	mls_commit_result_free(&r);
	free(bad);
	world_free(&w);
}

/*
 * The same as a PrivateMessage: a member refuses a Commit whose PSK it
 * does not know, keeps its state (mls_group.h: "On any failure |g| is
 * unchanged"), learns the PSK and then processes the Commit.
 */
static void test_private_commit_retried(void **state)
{
	struct mls_commit_opts o = {.private_message = true};
	struct mls_commit_result r;
	struct snap before;
	struct world w;

	(void)state;
	world_new(&w, 1, 3, "retry-private");
	add_members(&w, 0, 1, 2, true);
	assert_int_equal(mls_group_psk_add(w.g[0], &the_psk), 0);
	assert_int_equal(mls_group_psk_add(w.g[1], &the_psk), 0);
	assert_int_equal(mls_group_propose_psk(w.g[0], psk_id, sizeof(psk_id) - 1), 0);
	assert_int_equal(mls_group_commit(w.g[0], &o, &r), 0);
	snap_take(w.g[2], &before);
	assert_int_equal(mls_group_handle(w.g[2], r.commit, r.commit_len, NULL), -ENOENT);
	assert_unchanged(w.g[2], &before);
	assert_int_equal(mls_group_psk_add(w.g[2], &the_psk), 0);
	deliver(&w, 0, r.commit, r.commit_len);
	assert_agree(&w);
	mls_commit_result_free(&r);
	world_free(&w);
}

/* A Commit of another group (same members, same epoch number) is refused with -ESTALE. */
static void test_commit_of_another_group(void **state)
{
	struct world x, y;
	struct mls_commit_result r;
	struct snap before;

	(void)state;
	world_new(&x, 1, 2, "group-x");
	world_new(&y, 1, 2, "group-y");
	add_members(&x, 0, 1, 1, true);
	add_members(&y, 0, 1, 1, true);
	assert_int_equal(mls_group_commit(x.g[0], NULL, &r), 0);
	snap_take(y.g[1], &before);
	assert_int_equal(mls_group_handle(y.g[1], r.commit, r.commit_len, NULL), -ESTALE);
	assert_unchanged(y.g[1], &before);
	deliver(&x, 0, r.commit, r.commit_len);
	assert_agree(&x);
	mls_commit_result_free(&r);
	world_free(&x);
	world_free(&y);
}

/*
 * An application message (made by the data plane's fast path from what
 * the group exports) is not the control process's: refused with -EINVAL,
 * nothing changes, and the next Commit is processed.
 */
static void test_application_message_refused(void **state)
{
	struct crypto_aead_engine *e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO,
							      CRYPTO_AEAD_ARCH_AUTO);
	struct mls_app_lcore *lc = e != NULL ? mls_app_lcore_new(e) : NULL;
	uint8_t app[MLS_MAX_HASH], priv[MLS_MAX_SIG_PRIV], ct[1024];
	struct mls_app_msg pm = {.in = (const uint8_t *)"hello", .in_len = 5, .out = ct,
				 .out_cap = sizeof(ct)};
	struct mls_app_sender *sender;
	struct mls_app_epoch ep;
	struct snap before;
	struct world w;
	EVP_PKEY *key;
	size_t priv_len;

	(void)state;
	assert_non_null(lc);
	world_new(&w, 1, 2, "app");
	add_members(&w, 0, 1, 1, true);
	ep.suite = w.s;
	ep.group_id = mls_group_id(w.g[0], &ep.group_id_len);
	ep.epoch = mls_group_epoch(w.g[0]);
	ep.group_context = mls_group_context_encoded(w.g[0], &ep.group_context_len);
	ep.sender_data_secret = mls_group_sender_data_secret(w.g[0]);
	assert_int_equal(mls_group_app_secret(w.g[0], 0, app), 0);
	assert_int_equal(mls_group_sig_priv(w.g[0], priv, sizeof(priv), &priv_len), 0);
	assert_int_equal(mls_sig_key_from_priv(w.s, priv, priv_len, &key), 0);
	sender = mls_app_sender_new(&ep, 0, app, 0, key);
	assert_non_null(sender);
	assert_int_equal(mls_protect_burst(lc, sender, &pm, 1), 1);
	snap_take(w.g[1], &before);
	assert_int_equal(mls_group_handle(w.g[1], ct, pm.out_len, NULL), -EINVAL);
	assert_unchanged(w.g[1], &before);
	commit_all(&w, 0, NULL);
	assert_agree(&w);
	mls_app_sender_free(sender);
	EVP_PKEY_free(key);
	world_free(&w);
	mls_app_lcore_free(lc);
	crypto_aead_engine_free(e);
}

/* ---- external joins ------------------------------------------------------------ */

/* external_join: member |i| joins by external Commit from |w->g[from]|'s GroupInfo. */
static void external_join(struct world *w, int from, int i, bool with_tree)
{
	struct mls_join_opts o = {0};
	uint8_t *gi, *commit, *tree = NULL;
	size_t gi_len, commit_len, tree_len;
	struct mls_group *g;

	assert_int_equal(mls_group_info(w->g[from], with_tree, &gi, &gi_len), 0);
	if (!with_tree) {
		assert_int_equal(mls_group_join_external(w->sg[i], gi, gi_len, NULL, &g, &commit,
							 &commit_len), -EINVAL);
		assert_int_equal(mls_group_ratchet_tree(w->g[from], &tree, &tree_len), 0);
		o.ratchet_tree = tree;
		o.ratchet_tree_len = tree_len;
	}
	assert_int_equal(mls_group_join_external(w->sg[i], gi, gi_len, &o, &w->g[i], &commit,
						 &commit_len), 0);
	for (int j = 0; j < MAX_M; j++) {
		struct mls_group_event ev;

		if (j == i || w->g[j] == NULL) {
			continue;
		}
		assert_int_equal(mls_group_handle(w->g[j], commit, commit_len, &ev), 0);
		assert_int_equal(ev.type, MLS_GROUP_EV_COMMIT);
		assert_int_equal(ev.sender_type, MLS_SENDER_NEW_MEMBER_COMMIT);
	}
	free(commit);
	free(gi);
	free(tree);
}

static void test_external_join(void **state)
{
	struct world w;
	struct mls_group *g;
	uint8_t *gi, *commit;
	size_t gi_len, commit_len;

	(void)state;
	world_new(&w, 1, 6, "external");
	add_members(&w, 0, 1, 2, true);
	external_join(&w, 1, 3, true);
	assert_int_equal(mls_group_own_leaf(w.g[3]), 3);
	assert_int_equal(mls_group_epoch(w.g[3]), 2);
	assert_agree(&w);
	external_join(&w, 3, 4, false);
	assert_int_equal(mls_group_n_members(w.g[0]), 5);
	assert_agree(&w);
	/* the new members commit like the others */
	commit_all(&w, 4, &private_opts);
	assert_agree(&w);
	/* a member already in the group cannot join it again by external Commit */
	{
		struct snap before;

		assert_int_equal(mls_group_info(w.g[0], true, &gi, &gi_len), 0);
		assert_int_equal(mls_group_join_external(w.sg[3], gi, gi_len, NULL, &g, &commit,
							 &commit_len), 0);
		snap_take(w.g[0], &before);
		assert_int_equal(mls_group_handle(w.g[0], commit, commit_len, NULL), -EBADMSG);
		assert_unchanged(w.g[0], &before);
		mls_group_free(g);
		free(commit);
		free(gi);
	}
	/* a GroupInfo with its signature changed is refused */
	assert_int_equal(mls_group_info(w.g[0], true, &gi, &gi_len), 0);
	gi[gi_len - 1] ^= 0x01;
	assert_int_equal(mls_group_join_external(w.sg[5], gi, gi_len, NULL, &g, &commit,
						 &commit_len), -EBADMSG);
	free(gi);
	world_free(&w);
}

/* ---- KeyPackages and Adds -------------------------------------------------------- */

static void test_key_package_check(void **state)
{
	static const uint8_t garbage[] = {0x00, 0x01, 0x00, 0x05, 0x00, 0x01, 0xff, 0xff,
					  0x13, 0x37, 0x42};
	const struct mls_suite *s1 = mls_suite_get(1), *s2 = mls_suite_get(2);
	struct mls_signer *sg1, *sg2;
	struct mls_kp *kp1, *kp2;
	const uint8_t *m1, *m2;
	size_t l1, l2;
	uint8_t *bad;
	struct world w;

	(void)state;
	assert_int_equal(mls_signer_new(s1, (const uint8_t *)"kp-1", 4, NULL, 0, &sg1), 0);
	assert_int_equal(mls_signer_new(s2, (const uint8_t *)"kp-2", 4, NULL, 0, &sg2), 0);
	assert_int_equal(mls_kp_create(sg1, 1000, 2000, &kp1), 0);
	assert_int_equal(mls_kp_create(sg2, 0, UINT64_MAX, &kp2), 0);
	assert_ptr_equal(mls_kp_suite(kp1), s1);
	m1 = mls_kp_message(kp1, &l1);
	m2 = mls_kp_message(kp2, &l2);
	assert_int_equal(mls_key_package_check(s1, m1, l1, 0), 0);
	assert_int_equal(mls_key_package_check(s1, m1, l1, 1500), 0);
	assert_int_equal(mls_key_package_check(s2, m2, l2, 0), 0);
	/* expired, not yet valid */
	assert_int_equal(mls_key_package_check(s1, m1, l1, 2001), -EBADMSG);
	assert_int_equal(mls_key_package_check(s1, m1, l1, 999), -EBADMSG);
	/* the KeyPackage's signature is its last field */
	bad = malloc(l1);
	assert_non_null(bad);
	memcpy(bad, m1, l1);
	bad[l1 - 1] ^= 0x01;
	assert_int_equal(mls_key_package_check(s1, bad, l1, 0), -EBADMSG);
	/* a KeyPackage of another (supported) suite */
	assert_int_equal(mls_key_package_check(s1, m2, l2, 0), -EBADMSG);
	assert_int_equal(mls_key_package_check(s2, m1, l1, 0), -EBADMSG);
	/* truncated, trailing bytes, garbage behind a valid header */
	assert_int_equal(mls_key_package_check(s1, m1, l1 / 2, 0), -EBADMSG);
	assert_int_equal(mls_key_package_check(s1, m1, l1 - 1, 0), -EBADMSG);
	assert_int_equal(mls_key_package_check(s1, garbage, sizeof(garbage), 0), -EBADMSG);
	{
		uint8_t *longer = malloc(l1 + 1);

		assert_non_null(longer);
		memcpy(longer, m1, l1);
		longer[l1] = 0;
		assert_int_equal(mls_key_package_check(s1, longer, l1 + 1, 0), -EBADMSG);
		free(longer);
	}
	/* an unknown protocol version */
	memcpy(bad, m1, l1);
	bad[1] = 0x02;
	assert_int_equal(mls_key_package_check(s1, bad, l1, 0), -EPROTONOSUPPORT);

	/* Adds check the same, and refuse a member already in the group or already queued */
	world_new(&w, 1, 3, "adds");
	memcpy(bad, m1, l1);
	bad[l1 - 1] ^= 0x01;
	assert_int_equal(mls_group_propose_add(w.g[0], bad, l1), -EBADMSG);
	assert_int_equal(mls_group_propose_add(w.g[0], m2, l2), -EBADMSG);
	add_members(&w, 0, 1, 1, true);
	{
		struct mls_kp *again = kp_new(&w, 1), *own = kp_new(&w, 0), *kp2b = kp_new(&w, 2);
		struct mls_kp *kp2c = kp_new(&w, 2);
		const uint8_t *m;
		size_t l;

		m = mls_kp_message(again, &l);
		assert_int_equal(mls_group_propose_add(w.g[0], m, l), -EEXIST);
		m = mls_kp_message(own, &l);
		assert_int_equal(mls_group_propose_add(w.g[1], m, l), -EEXIST);
		m = mls_kp_message(kp2b, &l);
		assert_int_equal(mls_group_propose_add(w.g[0], m, l), 0);
		m = mls_kp_message(kp2c, &l);
		assert_int_equal(mls_group_propose_add(w.g[0], m, l), -EEXIST);
		mls_kp_free(again);
		mls_kp_free(own);
		mls_kp_free(kp2c);
		/* the one queued Add goes through */
		{
			struct mls_commit_result r;

			assert_int_equal(mls_group_commit(w.g[0], &tree_opts, &r), 0);
			deliver(&w, 0, r.commit, r.commit_len);
			join_from(&w, 2, kp2b, &r, true, 0);
			mls_commit_result_free(&r);
		}
		mls_kp_free(kp2b);
	}
	assert_int_equal(mls_group_n_members(w.g[0]), 3);
	assert_agree(&w);
	world_free(&w);
	free(bad);
	mls_kp_free(kp1);
	mls_kp_free(kp2);
	mls_signer_free(sg1);
	mls_signer_free(sg2);
}

/* ---- copies ---------------------------------------------------------------------- */

/* A copy and its original process the same Commit apart and agree. */
static void test_copy(void **state)
{
	struct mls_commit_result r;
	struct mls_group *copy;
	struct snap before;
	uint8_t a[MLS_MAX_HASH], b[MLS_MAX_HASH];
	struct world w;

	(void)state;
	world_new(&w, 1, 3, "copy");
	add_members(&w, 0, 1, 2, true);
	assert_int_equal(mls_group_copy(w.g[1], &copy), 0);
	snap_take(copy, &before);
	assert_int_equal(mls_group_commit(w.g[2], &(struct mls_commit_opts){.force_path = true},
					  &r), 0);
	deliver(&w, 2, r.commit, r.commit_len);
	/* the original moved on, the copy did not */
	assert_unchanged(copy, &before);
	assert_int_equal(mls_group_handle(copy, r.commit, r.commit_len, NULL), 0);
	mls_commit_result_free(&r);
	assert_agree(&w);
	assert_int_equal(mls_group_epoch(copy), mls_group_epoch(w.g[1]));
	assert_int_equal(mls_group_epoch_authenticator(copy, a), 0);
	assert_int_equal(mls_group_epoch_authenticator(w.g[1], b), 0);
	assert_memory_equal(a, b, w.s->nh);
	/* the copy holds the private keys: it can process the next path too */
	assert_int_equal(mls_group_commit(w.g[0], &(struct mls_commit_opts){.force_path = true},
					  &r), 0);
	assert_int_equal(mls_group_handle(copy, r.commit, r.commit_len, NULL), 0);
	deliver(&w, 0, r.commit, r.commit_len);
	mls_commit_result_free(&r);
	assert_int_equal(mls_group_epoch_authenticator(copy, a), 0);
	assert_int_equal(mls_group_epoch_authenticator(w.g[1], b), 0);
	assert_memory_equal(a, b, w.s->nh);
	mls_group_free(copy);
	world_free(&w);
}

/* ---- what the data plane takes ---------------------------------------------------- */

/*
 * The application secret of a leaf is the same for every member in the
 * epoch, differs between leaves and between epochs; a member's signature
 * private key is that of its leaf's public key; the encoded GroupContext
 * and sender_data_secret are shared.
 */
static void test_data_plane_view(void **state)
{
	uint8_t sec[3][3][MLS_MAX_HASH], prev[MLS_MAX_HASH], priv[MLS_MAX_SIG_PRIV];
	uint8_t pub[MLS_MAX_SIG_PUB];
	const uint8_t *sig_pub, *c0, *ci;
	size_t sig_pub_len, priv_len, pub_len, l0, li;
	struct world w;

	(void)state;
	world_new(&w, 2, 3, "data-plane");
	add_members(&w, 0, 1, 2, true);
	for (int i = 0; i < 3; i++) {
		for (uint32_t leaf = 0; leaf < 3; leaf++) {
			assert_int_equal(mls_group_app_secret(w.g[i], leaf, sec[i][leaf]), 0);
		}
	}
	for (uint32_t leaf = 0; leaf < 3; leaf++) {
		assert_memory_equal(sec[1][leaf], sec[0][leaf], w.s->nh);
		assert_memory_equal(sec[2][leaf], sec[0][leaf], w.s->nh);
	}
	assert_memory_not_equal(sec[0][0], sec[0][1], w.s->nh);
	assert_memory_not_equal(sec[0][1], sec[0][2], w.s->nh);
	/* asking twice gives the same secret (the group's handshake tree is not consumed) */
	assert_int_equal(mls_group_app_secret(w.g[1], 0, prev), 0);
	assert_memory_equal(prev, sec[1][0], w.s->nh);
	assert_int_equal(mls_group_app_secret(w.g[1], 3, prev), -ENOENT);
	c0 = mls_group_context_encoded(w.g[0], &l0);
	for (int i = 0; i < 3; i++) {
		EVP_PKEY *k;

		ci = mls_group_context_encoded(w.g[i], &li);
		assert_int_equal(li, l0);
		assert_memory_equal(ci, c0, l0);
		assert_memory_equal(mls_group_sender_data_secret(w.g[i]),
				    mls_group_sender_data_secret(w.g[0]), w.s->nh);
		assert_int_equal(mls_group_sig_priv(w.g[i], priv, 1, &priv_len), -ENOSPC);
		assert_int_equal(mls_group_sig_priv(w.g[i], priv, sizeof(priv), &priv_len), 0);
		assert_int_equal(mls_sig_key_from_priv(w.s, priv, priv_len, &k), 0);
		assert_int_equal(mls_sig_pub_raw(w.s, k, pub, sizeof(pub), &pub_len), 0);
		EVP_PKEY_free(k);
		assert_int_equal(mls_group_member(w.g[(i + 1) % 3], mls_group_own_leaf(w.g[i]),
						  NULL, NULL, &sig_pub, &sig_pub_len), 0);
		assert_int_equal(sig_pub_len, pub_len);
		assert_memory_equal(sig_pub, pub, pub_len);
	}
	/* a new epoch, new secrets */
	commit_all(&w, 1, NULL);
	for (uint32_t leaf = 0; leaf < 3; leaf++) {
		assert_int_equal(mls_group_app_secret(w.g[2], leaf, prev), 0);
		assert_memory_not_equal(prev, sec[2][leaf], w.s->nh);
		assert_int_equal(mls_group_app_secret(w.g[0], leaf, sec[0][leaf]), 0);
		assert_memory_equal(prev, sec[0][leaf], w.s->nh);
	}
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_one_by_one_suite1),
		cmocka_unit_test(test_add_one_by_one_suite2),
		cmocka_unit_test(test_add_one_by_one_suite7),
		cmocka_unit_test(test_add_several_in_one_commit),
		cmocka_unit_test(test_commits_in_turn_suite1),
		cmocka_unit_test(test_commits_in_turn_suite2),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_external_psk),
		cmocka_unit_test(test_tampered_public_commit),
		cmocka_unit_test(test_tampered_private_commit),
		cmocka_unit_test(test_private_commit_retried),
		cmocka_unit_test(test_commit_of_another_group),
		cmocka_unit_test(test_application_message_refused),
		cmocka_unit_test(test_external_join),
		cmocka_unit_test(test_key_package_check),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_data_plane_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
