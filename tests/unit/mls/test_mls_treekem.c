/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_treekem.c: UpdatePaths on a 4-member
 * tree built here (suite 1), members A B C D at leaves 0-3.
 *
 *  - A creates a path; B, C and D merge and process it to A's commit
 *    secret, and hold keys matching the new tree; the merged tree
 *    validates; C then creates one that A processes;
 *  - a member added in the same Commit gets no ciphertext;
 *  - a path with a changed node key fails the parent-hash check of the
 *    merge; a changed ciphertext fails processing and leaves the private
 *    state as it was; a wrong group context fails; a path of the wrong
 *    length, the sender processing its own path, and a member without the
 *    key are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mls_crypto.h"
#include "mls_msg.h"
#include "mls_rtree.h"
#include "mls_treekem.h"

#define N 4

static const uint16_t cred_types[] = {MLS_CREDENTIAL_BASIC};
static const uint8_t group_id[] = "treekem-group";

struct group {
	const struct mls_suite *s;
	EVP_PKEY *sk[N];
	uint8_t sig_pub[N][MLS_MAX_SIG_PUB];
	uint8_t enc_pub[N][MLS_MAX_KEM_PUB];
	uint8_t enc_priv[N][MLS_MAX_KEM_PRIV];
	uint8_t sigs[N][MLS_MAX_SIG];
	struct mls_leaf_node leaves[N];
	struct mls_node nodes[2 * N - 1];
	struct mls_treekem_priv *priv[N];
	struct mls_rtree *tree;
	struct mls_group_context gc;
};

static struct mls_bytes gid(void)
{
	return (struct mls_bytes){group_id, sizeof(group_id) - 1};
}

/* group_new makes 4 members from key packages: all parents blank. */
static void group_new(struct group *g)
{
	memset(g, 0, sizeof(*g));
	g->s = mls_suite_get(1);
	for (uint32_t l = 0; l < N; l++) {
		struct mls_leaf_node *ln = &g->leaves[l];
		uint8_t tbs[512];
		struct mls_writer w;
		size_t n;

		assert_int_equal(mls_sig_keygen(g->s, &g->sk[l], NULL, NULL), 0);
		assert_int_equal(
			mls_sig_pub_raw(g->s, g->sk[l], g->sig_pub[l], MLS_MAX_SIG_PUB, &n), 0);
		assert_int_equal(mls_hpke_keygen(g->s, g->enc_priv[l], g->enc_pub[l]), 0);
		ln->encryption_key = (struct mls_bytes){g->enc_pub[l], g->s->kem_npk};
		ln->signature_key = (struct mls_bytes){g->sig_pub[l], n};
		ln->credential.type = MLS_CREDENTIAL_BASIC;
		ln->credential.identity = (struct mls_bytes){(const uint8_t *)"member", 6};
		ln->capabilities.credentials = (struct mls_u16_list){cred_types, 1};
		ln->source = MLS_LEAF_SOURCE_KEY_PACKAGE;
		ln->lifetime = (struct mls_lifetime){0, UINT64_MAX};
		mls_writer_init(&w, tbs, sizeof(tbs));
		assert_int_equal(mls_leaf_node_tbs_encode(&w, ln, gid(), l), 0);
		assert_int_equal(mls_sign_with_label(g->s, g->sk[l], MLS_LABEL("LeafNodeTBS"), tbs,
						     mls_writer_len(&w), g->sigs[l], MLS_MAX_SIG,
						     &n), 0);
		ln->signature = (struct mls_bytes){g->sigs[l], n};
		g->nodes[2 * l] = (struct mls_node){MLS_NODE_LEAF, ln, NULL};
		assert_int_equal(mls_treekem_priv_new(g->s, l, g->enc_priv[l], g->s->kem_nsk,
						      &g->priv[l]), 0);
	}
	assert_int_equal(mls_rtree_new(g->s, g->nodes, 2 * N - 1, &g->tree), 0);
	assert_int_equal(mls_rtree_verify(g->tree, gid()), 0);
	g->gc.cipher_suite = 1;
	g->gc.group_id = gid();
	g->gc.epoch = 7;
}

static void group_free(struct group *g)
{
	for (uint32_t l = 0; l < N; l++) {
		EVP_PKEY_free(g->sk[l]);
		mls_treekem_priv_free(g->priv[l]);
	}
	mls_rtree_free(g->tree);
}

/*
 * commit has |sender| create a path on the group's tree (which it then
 * replaces), and every other member merge and process it.
 */
static void commit(struct group *g, uint32_t sender)
{
	uint8_t cs[MLS_MAX_HASH], cs2[MLS_MAX_HASH];
	struct mls_update_path path;
	struct mls_rtree *c, *d;
	struct mls_arena a;

	mls_arena_init(&a, 1u << 20);
	assert_int_equal(mls_rtree_copy(g->tree, &c), 0);
	assert_int_equal(mls_treekem_create(g->priv[sender], c, g->sk[sender], gid(), &g->gc,
					    NULL, 0, &a, &path, cs), 0);
	assert_int_equal(mls_treekem_priv_check(g->priv[sender], c), 0);
	assert_int_equal(mls_rtree_verify(c, gid()), 0);
	for (uint32_t l = 0; l < N; l++) {
		if (l == sender) {
			continue;
		}
		assert_int_equal(mls_rtree_copy(g->tree, &d), 0);
		assert_int_equal(mls_treekem_merge(d, sender, &path), 0);
		assert_int_equal(mls_treekem_process(g->priv[l], d, sender, &path, &g->gc, NULL, 0,
						     NULL, cs2), 0);
		assert_memory_equal(cs, cs2, g->s->nh);
		assert_int_equal(mls_treekem_priv_check(g->priv[l], d), 0);
		mls_rtree_free(d);
	}
	mls_rtree_free(g->tree);
	g->tree = c;
	mls_arena_cleanup(&a);
}

static void test_round_trip(void **state)
{
	struct group g;

	(void)state;
	group_new(&g);
	commit(&g, 0);
	/* A's path went through nodes 1 and 3 */
	assert_int_equal(mls_rtree_node_get0(g.tree, 1)->type, MLS_NODE_PARENT);
	assert_int_equal(mls_rtree_node_get0(g.tree, 3)->type, MLS_NODE_PARENT);
	assert_int_equal(mls_rtree_leaf_get0(g.tree, 0)->source, MLS_LEAF_SOURCE_COMMIT);
	commit(&g, 2);
	commit(&g, 3);
	commit(&g, 1);
	group_free(&g);
}

static void test_new_member_excluded(void **state)
{
	static const uint32_t excluded[] = {3};
	uint8_t cs[MLS_MAX_HASH];
	struct mls_update_path path;
	struct mls_rtree *c;
	struct mls_arena a;
	struct group g;

	(void)state;
	group_new(&g);
	mls_arena_init(&a, 1u << 20);
	assert_int_equal(mls_rtree_copy(g.tree, &c), 0);
	assert_int_equal(mls_treekem_create(g.priv[0], c, g.sk[0], gid(), &g.gc, excluded, 1, &a,
					    &path, cs), 0);
	/* A's filtered direct path is nodes 1 and 3; node 5 resolves to C and D, minus D */
	assert_int_equal(path.n_nodes, 2);
	assert_int_equal(path.nodes[0].n_encrypted_path_secret, 1);
	assert_int_equal(path.nodes[1].n_encrypted_path_secret, 1);
	/* D, having no ciphertext, cannot process it */
	assert_int_equal(mls_treekem_process(g.priv[3], c, 0, &path, &g.gc, excluded, 1, NULL, cs),
			 -ENOENT);
	assert_int_equal(mls_treekem_process(g.priv[2], c, 0, &path, &g.gc, excluded, 1, NULL, cs),
			 0);
	mls_rtree_free(c);
	mls_arena_cleanup(&a);
	group_free(&g);
}

static void test_tampered(void **state)
{
	uint8_t cs[MLS_MAX_HASH], key[MLS_MAX_KEM_PUB], ct[MLS_MAX_HASH + MLS_AEAD_TAG];
	struct mls_update_path path, bad;
	struct mls_update_path_node nodes[2];
	struct mls_hpke_ciphertext cts[2];
	struct mls_treekem_priv *before;
	struct mls_group_context other;
	struct mls_rtree *c, *d;
	struct mls_arena a;
	struct group g;

	(void)state;
	group_new(&g);
	mls_arena_init(&a, 1u << 20);
	assert_int_equal(mls_rtree_copy(g.tree, &c), 0);
	assert_int_equal(mls_treekem_create(g.priv[0], c, g.sk[0], gid(), &g.gc, NULL, 0, &a,
					    &path, cs), 0);
	assert_int_equal(path.n_nodes, 2);

	/* a node key changed: the leaf's parent hash no longer matches */
	bad = path;
	memcpy(nodes, path.nodes, sizeof(nodes));
	memcpy(key, nodes[1].encryption_key.p, g.s->kem_npk);
	key[3] ^= 1;
	nodes[1].encryption_key.p = key;
	bad.nodes = nodes;
	assert_int_equal(mls_rtree_copy(g.tree, &d), 0);
	assert_int_equal(mls_treekem_merge(d, 0, &bad), -EBADMSG);
	mls_rtree_free(d);
	/* one node short */
	bad.nodes = path.nodes;
	bad.n_nodes = 1;
	assert_int_equal(mls_rtree_copy(g.tree, &d), 0);
	assert_int_equal(mls_treekem_merge(d, 0, &bad), -EBADMSG);
	mls_rtree_free(d);

	/* B's ciphertext changed: processing fails, B's keys stay as they were */
	memcpy(nodes, path.nodes, sizeof(nodes));
	memcpy(cts, path.nodes[0].encrypted_path_secret, sizeof(cts[0]));
	memcpy(ct, cts[0].ciphertext.p, cts[0].ciphertext.len);
	ct[0] ^= 1;
	cts[0].ciphertext.p = ct;
	nodes[0].encrypted_path_secret = cts;
	bad = path;
	bad.nodes = nodes;
	assert_int_equal(mls_treekem_priv_copy(g.priv[1], &before), 0);
	assert_int_not_equal(mls_treekem_process(g.priv[1], c, 0, &bad, &g.gc, NULL, 0, NULL, cs),
			     0);
	assert_int_equal(mls_treekem_priv_check(g.priv[1], g.tree), 0);
	/* a different group context: the ciphertexts do not open */
	other = g.gc;
	other.epoch++;
	assert_int_not_equal(mls_treekem_process(g.priv[1], c, 0, &path, &other, NULL, 0, NULL, cs),
			     0);
	/* the sender itself, and a member with no key for the resolution */
	assert_int_equal(mls_treekem_process(g.priv[0], c, 0, &path, &g.gc, NULL, 0, NULL, cs),
			 -EINVAL);
	assert_int_equal(mls_treekem_process(before, c, 2, &path, &g.gc, NULL, 0, NULL, cs),
			 -ENOENT);
	/* it still works with the right inputs */
	assert_int_equal(mls_treekem_process(g.priv[1], c, 0, &path, &g.gc, NULL, 0, NULL, cs), 0);
	mls_treekem_priv_free(before);
	mls_rtree_free(c);
	mls_arena_cleanup(&a);
	group_free(&g);
}

static void test_priv_state(void **state)
{
	uint8_t ps[MLS_MAX_HASH];
	struct mls_treekem_priv *p;
	struct group g;

	(void)state;
	group_new(&g);
	assert_int_equal(mls_treekem_priv_check(g.priv[2], g.tree), 0);
	memset(ps, 0x42, sizeof(ps));
	/* node 1 is not on leaf 2's direct path; node 5 is, but blank in the tree */
	assert_int_equal(mls_treekem_priv_set_path_secret(g.priv[2], N, 1, ps, g.s->nh), -EINVAL);
	assert_int_equal(mls_treekem_priv_set_path_secret(g.priv[2], N, 5, ps, g.s->nh - 1),
			 -EINVAL);
	assert_int_equal(mls_treekem_priv_copy(g.priv[2], &p), 0);
	assert_int_equal(mls_treekem_priv_set_path_secret(p, N, 5, ps, g.s->nh), 0);
	assert_int_equal(mls_treekem_priv_check(p, g.tree), -EBADMSG);
	mls_treekem_priv_free(p);
	/* another member's leaf key */
	assert_int_equal(mls_treekem_priv_new(g.s, 1, g.enc_priv[2], g.s->kem_nsk, &p), 0);
	assert_int_equal(mls_treekem_priv_check(p, g.tree), -EBADMSG);
	mls_treekem_priv_free(p);
	assert_int_equal(mls_treekem_priv_new(g.s, 1, g.enc_priv[2], g.s->kem_nsk - 1, &p),
			 -EINVAL);
	group_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_new_member_excluded),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_priv_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
