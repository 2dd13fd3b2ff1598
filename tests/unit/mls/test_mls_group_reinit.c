/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_group_reinit.c: proposals sent as
 * messages for another member to commit, and ReInit, through the public
 * functions of mls_group.h; every member is a struct mls_group and the
 * test is the Delivery Service.
 *
 *  - an Update proposal message (PublicMessage and PrivateMessage) is
 *    committed by reference by another member; the proposer's leaf key
 *    becomes the Update's, and later Commits with paths from the others
 *    (encrypted to that key, then to the path keys above it) are processed
 *    by it; a member's own Commit leaves its own Update out; a second
 *    Update and the proposer handling its own message are refused;
 *  - a GroupContextExtensions proposal message committed by another
 *    member: all members see the same new GroupContext; extensions the
 *    members do not support, or that do not decode, are refused;
 *  - an Add proposal message committed by another member (its Welcome
 *    works) and a Remove proposal message committed by its proposer;
 *  - ReInit: proposed by value and committed, and proposed as a message
 *    and committed by another; all members closed with the same
 *    parameters and refusing proposals, Commits and messages
 *    (-ESHUTDOWN); the successor made from the others' new KeyPackages,
 *    in the same suite and in another one with extensions, joined with
 *    reinit_from (epoch 1, one epoch authenticator), refused without it
 *    (-ENOENT), with another closed group or a ReInit that does not match
 *    (-EBADMSG); a ReInit with another proposal, and a resumption PSK of
 *    usage reinit after epoch 0, refused.
 *
 * Some checks look at the state behind the API (the leaf keys, the
 * private keys against the tree, a proposal queued with a crafted PSK):
 * the test takes it from mls_group_internal.h.
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

#include "mls_crypto.h"
#include "mls_group.h"
#include "mls_group_internal.h"
#include "mls_wire.h"

#define MAX_M 6

static const struct mls_commit_opts tree_opts = {.tree_in_welcome = true};

/* extensions<V> holding one required_capabilities extension with three empty lists */
static const uint8_t ext_reqcap[] = {0x06, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00};
/* ... and one that asks for x509 credentials, which no member lists */
static const uint8_t ext_reqcap_x509[] = {0x08, 0x00, 0x03, 0x05, 0x00, 0x00, 0x02, 0x00, 0x02};
/* an extension of private type 0xF000 that no member lists */
static const uint8_t ext_private[] = {0x04, 0xF0, 0x00, 0x01, 0x00};

/* Members 0 .. MAX_M-1 of one group; g[i] is NULL until member i joins. */
struct world {
	const struct mls_suite *s;
	struct mls_signer *sg[MAX_M];
	struct mls_group *g[MAX_M];
};

static void identity(int i, char *out, size_t cap)
{
	snprintf(out, cap, "member-%d", i);
}

static void signers_new(const struct mls_suite *s, struct mls_signer **sg, int n)
{
	for (int i = 0; i < n; i++) {
		char id[32];

		identity(i, id, sizeof(id));
		assert_int_equal(mls_signer_new(s, (const uint8_t *)id, strlen(id), NULL, 0,
						&sg[i]), 0);
	}
}

static void world_free(struct world *w)
{
	for (int i = 0; i < MAX_M; i++) {
		mls_group_free(w->g[i]);
		mls_signer_free(w->sg[i]);
	}
}

/* deliver hands |msg| from member |from| to every other member, which must accept it. */
static void deliver(struct world *w, int from, const uint8_t *msg, size_t len,
		    enum mls_group_event_type type)
{
	for (int i = 0; i < MAX_M; i++) {
		struct mls_group_event ev;

		if (i == from || w->g[i] == NULL || !mls_group_active(w->g[i])) {
			continue;
		}
		assert_int_equal(mls_group_handle(w->g[i], msg, len, &ev), 0);
		assert_int_equal(ev.type, type);
		assert_int_equal(ev.epoch, mls_group_epoch(w->g[i]));
		assert_int_equal(ev.sender_type, MLS_SENDER_MEMBER);
		assert_int_equal(ev.sender, mls_group_own_leaf(w->g[from]));
	}
}

/* commit_all: member |from| commits what it holds; everyone else applies it. */
static void commit_all(struct world *w, int from, const struct mls_commit_opts *o)
{
	struct mls_commit_result r;
	uint64_t epoch = mls_group_epoch(w->g[from]);

	assert_int_equal(mls_group_commit(w->g[from], o, &r), 0);
	assert_int_equal(mls_group_epoch(w->g[from]), epoch + 1);
	deliver(w, from, r.commit, r.commit_len, MLS_GROUP_EV_COMMIT);
	mls_commit_result_free(&r);
}

/*
 * assert_agree checks that the active members share the epoch, the
 * membership, the epoch authenticator and the GroupContext.
 */
static void assert_agree(const struct world *w)
{
	uint8_t a0[MLS_MAX_HASH], ai[MLS_MAX_HASH];
	const struct mls_group *ref = NULL;
	const uint8_t *c0 = NULL, *ci;
	size_t c0_len = 0, ci_len;

	for (int i = 0; i < MAX_M; i++) {
		const struct mls_group *g = w->g[i];

		if (g == NULL || !mls_group_active(g)) {
			continue;
		}
		assert_int_equal(mls_group_epoch_authenticator(g, ai), 0);
		ci = mls_group_context_encoded(g, &ci_len);
		if (ref == NULL) {
			ref = g;
			memcpy(a0, ai, w->s->nh);
			c0 = ci;
			c0_len = ci_len;
		}
		assert_int_equal(mls_group_epoch(g), mls_group_epoch(ref));
		assert_int_equal(mls_group_n_members(g), mls_group_n_members(ref));
		assert_memory_equal(ai, a0, w->s->nh);
		assert_int_equal(ci_len, c0_len);
		assert_memory_equal(ci, c0, ci_len);
	}
	assert_non_null(ref);
}

/*
 * assert_keys_fit checks that every private key each member holds is that
 * of its node in the tree. (Not after another member's Update or Remove
 * has blanked nodes of a member's direct path: mls_treekem has no way yet
 * to drop the keys of blanked nodes, which stay unused.)
 */
static void assert_keys_fit(const struct world *w)
{
	for (int i = 0; i < MAX_M; i++) {
		if (w->g[i] != NULL && mls_group_active(w->g[i])) {
			assert_int_equal(mls_treekem_priv_check(w->g[i]->priv, w->g[i]->tree), 0);
		}
	}
}

static struct mls_kp *kp_new(struct mls_signer *sg)
{
	struct mls_kp *kp;

	assert_int_equal(mls_kp_create(sg, 0, UINT64_MAX, &kp), 0);
	return kp;
}

/* world_new makes a group of |n| members in |suite|: member 0 adds the others in one Commit. */
static void world_new(struct world *w, uint16_t suite, int n, const char *group_id)
{
	struct mls_kp *kp[MAX_M] = {0};
	struct mls_commit_result r;

	memset(w, 0, sizeof(*w));
	w->s = mls_suite_get(suite);
	assert_non_null(w->s);
	signers_new(w->s, w->sg, n);
	assert_int_equal(mls_group_create(w->sg[0], (const uint8_t *)group_id, strlen(group_id),
					  &w->g[0]), 0);
	for (int i = 1; i < n; i++) {
		size_t len;
		const uint8_t *m;

		kp[i] = kp_new(w->sg[i]);
		m = mls_kp_message(kp[i], &len);
		assert_int_equal(mls_group_propose_add(w->g[0], m, len), 0);
	}
	assert_int_equal(mls_group_commit(w->g[0], &tree_opts, &r), 0);
	for (int i = 1; i < n; i++) {
		assert_int_equal(mls_group_join(kp[i], r.welcome, r.welcome_len, NULL, &w->g[i]),
				 0);
		mls_kp_free(kp[i]);
	}
	mls_commit_result_free(&r);
	assert_agree(w);
}

/* leaf_key copies the encryption key of |leaf| as |g| sees it. */
static void leaf_key(const struct mls_group *g, uint32_t leaf, uint8_t *out)
{
	const struct mls_leaf_node *ln = mls_rtree_leaf_get0(g->tree, leaf);

	assert_non_null(ln);
	assert_int_equal(ln->encryption_key.len, g->suite->kem_npk);
	memcpy(out, ln->encryption_key.p, ln->encryption_key.len);
}

/* ---- Update proposal messages ---------------------------------------------------- */

static void update_message(bool private_message)
{
	uint8_t before[MLS_MAX_KEM_PUB], after[MLS_MAX_KEM_PUB], seen[MLS_MAX_KEM_PUB];
	struct mls_commit_result r;
	struct world w;
	uint8_t *msg, *msg2;
	size_t len, len2;

	world_new(&w, 1, 3, "update");
	leaf_key(w.g[0], 0, before);
	/* A proposes an Update; B and C keep it; A's own copy is already kept */
	assert_int_equal(mls_group_propose_update_msg(w.g[0], private_message, &msg, &len), 0);
	assert_int_equal(mls_group_propose_update_msg(w.g[0], private_message, &msg2, &len2),
			 -EINVAL);
	/* A's own message, back from the Delivery Service: nothing to keep */
	if (private_message) {
		assert_int_not_equal(mls_group_handle(w.g[0], msg, len, NULL), 0);
	} else {
		assert_int_equal(mls_group_handle(w.g[0], msg, len, NULL), -EINVAL);
	}
	assert_int_equal(w.g[0]->n_pending, 1);
	deliver(&w, 0, msg, len, MLS_GROUP_EV_PROPOSAL);
	free(msg);
	/* B commits it by reference (with a path: an Update needs one) */
	assert_int_equal(mls_group_commit(w.g[1], NULL, &r), 0);
	deliver(&w, 1, r.commit, r.commit_len, MLS_GROUP_EV_COMMIT);
	mls_commit_result_free(&r);
	assert_agree(&w);
	assert_keys_fit(&w);
	leaf_key(w.g[0], 0, after);
	leaf_key(w.g[2], 0, seen);
	assert_memory_not_equal(after, before, w.s->kem_npk);
	assert_memory_equal(after, seen, w.s->kem_npk);
	/* further Commits with paths: B's to A's new leaf key, C's to the node B set */
	commit_all(&w, 1, NULL);
	assert_agree(&w);
	commit_all(&w, 2, NULL);
	assert_agree(&w);
	commit_all(&w, 0, NULL);
	assert_agree(&w);
	assert_keys_fit(&w);

	/* A's own Commit leaves A's own Update out; B and C follow without it */
	leaf_key(w.g[0], 0, before);
	assert_int_equal(mls_group_propose_update_msg(w.g[0], private_message, &msg, &len), 0);
	deliver(&w, 0, msg, len, MLS_GROUP_EV_PROPOSAL);
	free(msg);
	commit_all(&w, 0, NULL);
	assert_agree(&w);
	/* and B's Update, when C commits it, changes B's leaf */
	leaf_key(w.g[2], 1, before);
	assert_int_equal(mls_group_propose_update_msg(w.g[1], private_message, &msg, &len), 0);
	deliver(&w, 1, msg, len, MLS_GROUP_EV_PROPOSAL);
	free(msg);
	commit_all(&w, 2, NULL);
	assert_agree(&w);
	leaf_key(w.g[0], 1, after);
	assert_memory_not_equal(after, before, w.s->kem_npk);
	commit_all(&w, 0, NULL);
	commit_all(&w, 1, NULL);
	assert_agree(&w);
	world_free(&w);
}

static void test_update_message_public(void **state)
{
	(void)state;
	update_message(false);
}

static void test_update_message_private(void **state)
{
	(void)state;
	update_message(true);
}

/* ---- GroupContextExtensions and other proposals as messages ---------------------- */

static void test_gce_message(void **state)
{
	const uint8_t *now;
	size_t before_len, now_len, len;
	struct world w;
	uint8_t *msg;

	(void)state;
	world_new(&w, 1, 3, "gce");
	/* what the members' leaves do not list, or what does not decode, is refused */
	assert_int_equal(mls_group_propose_gce(w.g[0], ext_private, sizeof(ext_private)),
			 -EINVAL);
	assert_int_equal(mls_group_propose_gce(w.g[0], ext_reqcap_x509, sizeof(ext_reqcap_x509)),
			 -EINVAL);
	assert_int_equal(mls_group_propose_gce(w.g[0], ext_reqcap, sizeof(ext_reqcap) - 1),
			 -EINVAL);
	assert_int_equal(mls_group_proposal_message(w.g[0], false, &msg, &len), -ENOENT);
	(void)mls_group_context_encoded(w.g[0], &before_len);
	assert_int_equal(mls_group_propose_gce(w.g[0], ext_reqcap, sizeof(ext_reqcap)), 0);
	assert_int_equal(mls_group_proposal_message(w.g[0], true, &msg, &len), 0);
	assert_int_equal(mls_group_proposal_message(w.g[0], true, &msg, &len), -ENOENT);
	deliver(&w, 0, msg, len, MLS_GROUP_EV_PROPOSAL);
	free(msg);
	commit_all(&w, 2, NULL);
	assert_agree(&w);
	now = mls_group_context_encoded(w.g[1], &now_len);
	assert_int_equal(now_len, before_len + sizeof(ext_reqcap) - 1);
	/* the context ends with the new extensions */
	assert_memory_equal(now + now_len - sizeof(ext_reqcap), ext_reqcap, sizeof(ext_reqcap));
	assert_int_equal(w.g[0]->extensions.len, sizeof(ext_reqcap));
	assert_memory_equal(w.g[0]->extensions.p, ext_reqcap, sizeof(ext_reqcap));
	/* the group goes on; a GroupContextExtensions to the empty list, by value */
	assert_int_equal(mls_group_propose_gce(w.g[1], NULL, 0), 0);
	commit_all(&w, 1, NULL);
	assert_agree(&w);
	now = mls_group_context_encoded(w.g[2], &now_len);
	assert_int_equal(now_len, before_len);
	world_free(&w);
}

static void test_add_and_remove_messages(void **state)
{
	struct mls_commit_result r;
	struct mls_kp *kp;
	struct world w;
	const uint8_t *m;
	uint8_t *msg;
	size_t len, mlen;

	(void)state;
	world_new(&w, 2, 3, "add-msg");
	signers_new(w.s, &w.sg[3], 1);
	kp = kp_new(w.sg[3]);
	m = mls_kp_message(kp, &mlen);
	/* A queues a Remove (kept by value) and an Add, and sends the Add */
	assert_int_equal(mls_group_propose_remove(w.g[0], 2), 0);
	assert_int_equal(mls_group_propose_add(w.g[0], m, mlen), 0);
	assert_int_equal(mls_group_proposal_message(w.g[0], false, &msg, &len), 0);
	deliver(&w, 0, msg, len, MLS_GROUP_EV_PROPOSAL);
	free(msg);
	assert_int_equal(w.g[0]->n_pending, 2);
	assert_false(w.g[0]->pending[0].by_ref);
	assert_true(w.g[0]->pending[1].by_ref);
	/* B commits the Add by reference; the new member joins from B's Welcome */
	assert_int_equal(mls_group_commit(w.g[1], &tree_opts, &r), 0);
	assert_non_null(r.welcome);
	deliver(&w, 1, r.commit, r.commit_len, MLS_GROUP_EV_COMMIT);
	assert_int_equal(mls_group_join(kp, r.welcome, r.welcome_len, NULL, &w.g[3]), 0);
	mls_commit_result_free(&r);
	mls_kp_free(kp);
	assert_int_equal(mls_group_n_members(w.g[0]), 4);
	assert_agree(&w);
	/* A's queue was cleared by B's Commit; now A sends a Remove and commits it itself */
	assert_int_equal(w.g[0]->n_pending, 0);
	assert_int_equal(mls_group_propose_remove(w.g[0], 2), 0);
	assert_int_equal(mls_group_proposal_message(w.g[0], true, &msg, &len), 0);
	deliver(&w, 0, msg, len, MLS_GROUP_EV_PROPOSAL);
	free(msg);
	commit_all(&w, 0, NULL);
	assert_false(mls_group_active(w.g[2]));
	assert_int_equal(mls_group_n_members(w.g[3]), 3);
	assert_agree(&w);
	commit_all(&w, 3, NULL);
	assert_agree(&w);
	world_free(&w);
}

/* ---- ReInit ------------------------------------------------------------------------ */

/* assert_closed checks that |g| is closed with these parameters and refuses more. */
static void assert_closed(struct mls_group *g, const char *gid, uint16_t suite,
			  const uint8_t *ext, size_t ext_len)
{
	static const uint8_t empty[] = {0x00};
	struct mls_reinit_params p;
	struct mls_commit_result r;
	uint8_t *msg;
	size_t len;

	assert_true(mls_group_reinit_pending(g, NULL));
	assert_true(mls_group_reinit_pending(g, &p));
	assert_int_equal(p.group_id_len, strlen(gid));
	assert_memory_equal(p.group_id, gid, p.group_id_len);
	assert_int_equal(p.version, MLS_VERSION_MLS10);
	assert_int_equal(p.suite, suite);
	if (ext == NULL) {
		ext = empty;
		ext_len = sizeof(empty);
	}
	assert_int_equal(p.extensions_len, ext_len);
	assert_memory_equal(p.extensions, ext, ext_len);
	assert_int_equal(mls_group_commit(g, NULL, &r), -ESHUTDOWN);
	assert_int_equal(mls_group_propose_remove(g, mls_group_own_leaf(g) == 0 ? 1 : 0),
			 -ESHUTDOWN);
	assert_int_equal(mls_group_propose_gce(g, NULL, 0), -ESHUTDOWN);
	assert_int_equal(mls_group_propose_reinit(g, (const uint8_t *)"x", 1, 1, NULL, 0),
			 -ESHUTDOWN);
	assert_int_equal(mls_group_propose_update_msg(g, false, &msg, &len), -ESHUTDOWN);
	assert_int_equal(mls_group_proposal_message(g, false, &msg, &len), -ESHUTDOWN);
	assert_int_equal(mls_group_handle(g, (const uint8_t *)"\x00\x01\x00\x01", 4, NULL),
			 -ESHUTDOWN);
}

/*
 * reinit runs a whole re-initialisation of a 3-member group of |suite|
 * into |new_suite| with extensions |ext|: A proposes (by value, or as a
 * message that B commits), the others follow, A makes the successor and
 * B and C join it.
 */
static void reinit(uint16_t suite, uint16_t new_suite, const uint8_t *ext, size_t ext_len,
		   bool as_message)
{
	static const char new_gid[] = "reinit-successor";
	const struct mls_suite *ns = mls_suite_get(new_suite);
	struct mls_signer *nsg[3], *wrong;
	struct mls_group *ng[3] = {0}, *g, *other;
	struct mls_join_opts jo = {.reinit_from = NULL};
	struct mls_commit_result r;
	struct mls_kp *kp[3];
	const uint8_t *kps[2];
	size_t kp_lens[2];
	uint8_t a0[MLS_MAX_HASH], ai[MLS_MAX_HASH];
	struct mls_group_event ev;
	struct world w;
	int committer = as_message ? 1 : 0;

	assert_non_null(ns);
	world_new(&w, suite, 3, "reinit");
	commit_all(&w, 2, NULL);
	assert_false(mls_group_reinit_pending(w.g[0], NULL));
	/* an unknown suite, a bad list: refused */
	assert_int_equal(mls_group_propose_reinit(w.g[0], (const uint8_t *)new_gid,
						  strlen(new_gid), 0x7777, NULL, 0),
			 -EPROTONOSUPPORT);
	assert_int_equal(mls_group_propose_reinit(w.g[0], (const uint8_t *)new_gid,
						  strlen(new_gid), new_suite, ext_private, 3),
			 -EINVAL);
	assert_int_equal(mls_group_propose_reinit(w.g[0], (const uint8_t *)new_gid,
						  strlen(new_gid), new_suite, ext, ext_len), 0);
	if (as_message) {
		uint8_t *msg;
		size_t len;

		assert_int_equal(mls_group_proposal_message(w.g[0], true, &msg, &len), 0);
		deliver(&w, 0, msg, len, MLS_GROUP_EV_PROPOSAL);
		free(msg);
	}
	/* a ReInit needs no path: the Commit carries none */
	assert_int_equal(mls_group_commit(w.g[committer], NULL, &r), 0);
	for (int i = 0; i < 3; i++) {
		if (i == committer) {
			continue;
		}
		assert_int_equal(mls_group_handle(w.g[i], r.commit, r.commit_len, &ev), 0);
		assert_int_equal(ev.type, MLS_GROUP_EV_COMMIT);
		assert_true(ev.reinit);
	}
	mls_commit_result_free(&r);
	assert_agree(&w);
	for (int i = 0; i < 3; i++) {
		assert_closed(w.g[i], new_gid, new_suite, ext, ext_len);
	}
	/* the members' new identities and KeyPackages, in the new suite */
	signers_new(ns, nsg, 3);
	for (int i = 1; i < 3; i++) {
		kp[i] = kp_new(nsg[i]);
		kps[i - 1] = mls_kp_message(kp[i], &kp_lens[i - 1]);
	}
	/* only a closed group, only with a signer of the ReInit's suite */
	assert_int_equal(mls_group_create(nsg[0], (const uint8_t *)"open", 4, &other), 0);
	assert_int_equal(mls_group_reinit_create(other, nsg[0], kps, kp_lens, 2, NULL, &g, &r),
			 -EINVAL);
	assert_int_equal(mls_signer_new(mls_suite_get(new_suite == 3 ? 1 : 3),
					(const uint8_t *)"w", 1, NULL, 0, &wrong), 0);
	assert_int_equal(mls_group_reinit_create(w.g[0], wrong, kps, kp_lens, 2, NULL, &g, &r),
			 -EINVAL);
	mls_signer_free(wrong);
	/* A makes the successor */
	assert_int_equal(mls_group_reinit_create(w.g[0], nsg[0], kps, kp_lens, 2, &tree_opts,
						 &ng[0], &r), 0);
	assert_non_null(r.welcome);
	assert_int_equal(mls_group_epoch(ng[0]), 1);
	assert_int_equal(mls_group_suite(ng[0])->id, new_suite);
	assert_int_equal(mls_group_n_members(ng[0]), 3);
	assert_false(mls_group_reinit_pending(ng[0], NULL));
	/* without the closed group the PSK is unknown; with an open group it does not fit */
	assert_int_equal(mls_group_join(kp[1], r.welcome, r.welcome_len, NULL, &g), -ENOENT);
	assert_int_equal(mls_group_join(kp[1], r.welcome, r.welcome_len, &jo, &g), -ENOENT);
	jo.reinit_from = other;
	assert_int_equal(mls_group_join(kp[1], r.welcome, r.welcome_len, &jo, &g), -EBADMSG);
	/* a closed group whose ReInit asked for other extensions */
	assert_int_equal(mls_group_copy(w.g[1], &g), 0);
	assert_int_equal(grp_buf_set(&g->reinit.extensions, ext_private, sizeof(ext_private)), 0);
	jo.reinit_from = g;
	assert_int_equal(mls_group_join(kp[1], r.welcome, r.welcome_len, &jo, &ng[1]), -EBADMSG);
	assert_null(ng[1]);
	mls_group_free(g);
	mls_group_free(other);
	/* B and C join with their closed groups */
	for (int i = 1; i < 3; i++) {
		jo.reinit_from = w.g[i];
		assert_int_equal(mls_group_join(kp[i], r.welcome, r.welcome_len, &jo, &ng[i]), 0);
		mls_kp_free(kp[i]);
	}
	mls_commit_result_free(&r);
	for (int i = 0; i < 3; i++) {
		size_t len;
		const uint8_t *gid = mls_group_id(ng[i], &len);

		assert_int_equal(mls_group_epoch(ng[i]), 1);
		assert_int_equal(len, strlen(new_gid));
		assert_memory_equal(gid, new_gid, len);
		assert_int_equal(mls_group_epoch_authenticator(ng[i], i == 0 ? a0 : ai), 0);
		if (i > 0) {
			assert_memory_equal(ai, a0, ns->nh);
		}
	}
	/* the old groups are done with; the successor goes on */
	for (int i = 0; i < 3; i++) {
		mls_group_free(w.g[i]);
		w.g[i] = ng[i];
		mls_signer_free(w.sg[i]);
		w.sg[i] = nsg[i];
	}
	w.s = ns;
	assert_agree(&w);
	assert_keys_fit(&w);
	commit_all(&w, 1, NULL);
	commit_all(&w, 2, &(struct mls_commit_opts){.private_message = true});
	assert_agree(&w);
	world_free(&w);
}

static void test_reinit_same_suite(void **state)
{
	(void)state;
	reinit(1, 1, NULL, 0, false);
}

static void test_reinit_new_suite_with_extensions(void **state)
{
	(void)state;
	reinit(1, 2, ext_reqcap, sizeof(ext_reqcap), false);
}

static void test_reinit_as_message(void **state)
{
	(void)state;
	reinit(2, 3, NULL, 0, true);
}

/* A ReInit shares its Commit with no other proposal (section 12.2). */
static void test_reinit_not_alone(void **state)
{
	struct mls_commit_result r;
	struct world w;
	uint8_t *msg;
	size_t len;

	(void)state;
	world_new(&w, 1, 3, "reinit-alone");
	/* two ReInits, or a ReInit and a Remove, by value */
	assert_int_equal(mls_group_propose_reinit(w.g[0], (const uint8_t *)"n", 1, 1, NULL, 0), 0);
	assert_int_equal(mls_group_propose_reinit(w.g[0], (const uint8_t *)"m", 1, 1, NULL, 0), 0);
	assert_int_equal(mls_group_commit(w.g[0], NULL, &r), -EBADMSG);
	mls_group_clear_proposals(w.g[0]);
	assert_int_equal(mls_group_propose_reinit(w.g[0], (const uint8_t *)"n", 1, 1, NULL, 0), 0);
	assert_int_equal(mls_group_propose_remove(w.g[0], 2), 0);
	assert_int_equal(mls_group_commit(w.g[0], NULL, &r), -EBADMSG);
	assert_int_equal(mls_group_epoch(w.g[0]), 1);
	assert_false(mls_group_reinit_pending(w.g[0], NULL));
	/* a ReInit received and a Remove of B's own: B refuses to commit both */
	mls_group_clear_proposals(w.g[0]);
	assert_int_equal(mls_group_propose_reinit(w.g[0], (const uint8_t *)"n", 1, 1, NULL, 0), 0);
	assert_int_equal(mls_group_proposal_message(w.g[0], false, &msg, &len), 0);
	deliver(&w, 0, msg, len, MLS_GROUP_EV_PROPOSAL);
	free(msg);
	assert_int_equal(mls_group_propose_remove(w.g[1], 2), 0);
	assert_int_equal(mls_group_commit(w.g[1], NULL, &r), -EBADMSG);
	assert_false(mls_group_reinit_pending(w.g[1], NULL));
	/* the group is as it was: C commits, everyone follows */
	commit_all(&w, 2, NULL);
	assert_agree(&w);
	world_free(&w);
}

/* A resumption PSK of usage reinit belongs in the first Commit of a new group only. */
static void test_reinit_psk_only_at_epoch0(void **state)
{
	struct mls_sender me = {.type = MLS_SENDER_MEMBER};
	struct mls_proposal p = {.type = MLS_PROPOSAL_PSK};
	uint8_t nonce[MLS_MAX_HASH] = {0};
	struct mls_commit_result r;
	struct mls_group *fresh;
	struct world w;

	(void)state;
	world_new(&w, 1, 2, "reinit-psk");
	p.psk.type = MLS_PSK_RESUMPTION;
	p.psk.usage = MLS_RESUMPTION_REINIT;
	p.psk.psk_group_id = (struct mls_bytes){(const uint8_t *)"elsewhere", 9};
	p.psk.psk_epoch = 3;
	p.psk.psk_nonce = (struct mls_bytes){nonce, w.s->nh};
	/* at epoch 1: invalid */
	me.index = mls_group_own_leaf(w.g[0]);
	assert_int_equal(grp_pending_add(w.g[0], &p, &me, NULL, NULL), 0);
	assert_int_equal(mls_group_commit(w.g[0], NULL, &r), -EBADMSG);
	assert_int_equal(mls_group_epoch(w.g[0]), 1);
	/* at epoch 0: valid, but a PSK this member does not know */
	assert_int_equal(mls_group_create(w.sg[0], (const uint8_t *)"fresh", 5, &fresh), 0);
	me.index = 0;
	assert_int_equal(grp_pending_add(fresh, &p, &me, NULL, NULL), 0);
	assert_int_equal(mls_group_commit(fresh, NULL, &r), -ENOENT);
	mls_group_free(fresh);
	/* and of usage branch: never */
	p.psk.usage = MLS_RESUMPTION_BRANCH;
	mls_group_clear_proposals(w.g[0]);
	assert_int_equal(grp_pending_add(w.g[0], &p, &me, NULL, NULL), 0);
	assert_int_equal(mls_group_commit(w.g[0], NULL, &r), -EBADMSG);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_message_public),
		cmocka_unit_test(test_update_message_private),
		cmocka_unit_test(test_gce_message),
		cmocka_unit_test(test_add_and_remove_messages),
		cmocka_unit_test(test_reinit_same_suite),
		cmocka_unit_test(test_reinit_new_suite_with_extensions),
		cmocka_unit_test(test_reinit_as_message),
		cmocka_unit_test(test_reinit_not_alone),
		cmocka_unit_test(test_reinit_psk_only_at_epoch0),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
