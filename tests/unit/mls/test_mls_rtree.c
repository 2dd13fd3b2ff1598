/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_rtree.c and mls_rtree_hash.c: the
 * ratchet tree.
 *
 *  - resolutions and filtered direct paths on the trees of RFC 9420
 *    figures 10 and 11;
 *  - the ratchet_tree encoding: trailing blanks dropped and padded back,
 *    round trips, deep copies that outlive their source;
 *  - malformed trees refused: empty, a trailing blank, a node at the wrong
 *    position, unsorted or foreign unmerged leaves, trailing bytes,
 *    truncations;
 *  - Add (leftmost hole, doubling, unmerged leaves), Update (blanks the
 *    path), Remove (blanks, truncates), a full tree;
 *  - a tree hash against its definition;
 *  - a tree signed here (a commit path with an unmerged leaf under the
 *    root) validates, and tampering with a parent key, a leaf signature,
 *    the group id, an unmerged leaf or a duplicate key is caught.
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
#include "mls_tree.h"

#define MAX_NODES 31

static const uint16_t cred_types[] = {MLS_CREDENTIAL_BASIC};
static const uint16_t both_types[] = {MLS_CREDENTIAL_BASIC, MLS_CREDENTIAL_X509};
static const uint16_t suites[] = {1};

/* Key bytes for the fake leaves: 32 bytes of |tag| each. */
static uint8_t key_bytes[64][32];

/* fake_leaf makes an unsigned LeafNode whose keys are key_bytes[tag]. */
static struct mls_leaf_node fake_leaf(uint8_t tag, uint8_t source)
{
	struct mls_leaf_node l;

	memset(&l, 0, sizeof(l));
	memset(key_bytes[tag], tag, sizeof(key_bytes[tag]));
	l.encryption_key = (struct mls_bytes){key_bytes[tag], 32};
	l.signature_key = (struct mls_bytes){key_bytes[tag], 32};
	l.credential.type = MLS_CREDENTIAL_BASIC;
	l.credential.identity = (struct mls_bytes){(const uint8_t *)"member", 6};
	l.capabilities.cipher_suites = (struct mls_u16_list){suites, 1};
	l.capabilities.credentials = (struct mls_u16_list){cred_types, 1};
	l.source = source;
	l.lifetime = (struct mls_lifetime){0, UINT64_MAX};
	l.signature = (struct mls_bytes){(const uint8_t *)"sig", 3};
	return l;
}

/* A tree under construction: nodes pointing at storage in the struct. */
struct proto {
	struct mls_node nodes[MAX_NODES];
	struct mls_leaf_node leaves[(MAX_NODES + 1) / 2];
	struct mls_parent_node parents[MAX_NODES / 2];
	size_t n;
};

static void proto_leaf(struct proto *p, uint32_t leaf, uint8_t tag)
{
	p->leaves[leaf] = fake_leaf(tag, MLS_LEAF_SOURCE_KEY_PACKAGE);
	p->nodes[2 * leaf] = (struct mls_node){MLS_NODE_LEAF, &p->leaves[leaf], NULL};
	if (2 * leaf + 1 > p->n) {
		p->n = 2 * leaf + 1;
	}
}

static void proto_parent(struct proto *p, uint32_t x, uint8_t tag, const uint32_t *unmerged,
			 size_t n_unmerged)
{
	struct mls_parent_node *pn = &p->parents[x / 2];

	memset(key_bytes[tag], tag, sizeof(key_bytes[tag]));
	memset(pn, 0, sizeof(*pn));
	pn->encryption_key = (struct mls_bytes){key_bytes[tag], 32};
	pn->unmerged_leaves = unmerged;
	pn->n_unmerged_leaves = n_unmerged;
	p->nodes[x] = (struct mls_node){MLS_NODE_PARENT, NULL, pn};
	if (x + 1 > p->n) {
		p->n = x + 1;
	}
}

static struct mls_rtree *proto_tree(const struct proto *p)
{
	struct mls_rtree *t = NULL;

	assert_int_equal(mls_rtree_new(mls_suite_get(1), p->nodes, p->n, &t), 0);
	assert_non_null(t);
	return t;
}

static void assert_resolution(const struct mls_rtree *t, uint32_t x, const uint32_t *want,
			      int n)
{
	uint32_t got[MAX_NODES];

	assert_int_equal(mls_rtree_resolution(t, x, got, MAX_NODES), n);
	if (n > 0) {
		assert_memory_equal(got, want, (size_t)n * sizeof(*want));
	}
}

/* encode returns the tree's encoding in a malloc'd buffer. */
static uint8_t *encode(const struct mls_rtree *t, size_t *len)
{
	uint8_t *buf = malloc(1 << 16);
	struct mls_writer w;

	assert_non_null(buf);
	mls_writer_init(&w, buf, 1 << 16);
	assert_int_equal(mls_rtree_to_wire(t, &w), 0);
	*len = mls_writer_len(&w);
	return buf;
}

static void assert_same_encoding(const struct mls_rtree *a, const struct mls_rtree *b)
{
	size_t na, nb;
	uint8_t *ea = encode(a, &na), *eb = encode(b, &nb);

	assert_int_equal(na, nb);
	assert_memory_equal(ea, eb, na);
	free(ea);
	free(eb);
}

/* ---- resolution and paths ----------------------------------------------- */

/* RFC 9420 figure 10: X[B] at node 3, Y at node 9, leaves A B _ D E F _ H. */
static void test_resolution(void **state)
{
	static const uint32_t unmerged_b[] = {1};
	static const uint32_t r_x[] = {3, 2}, r_top[] = {3, 2, 9, 14}, r_a[] = {0};
	static const uint32_t r_right[] = {9, 14};
	struct proto p = {0};
	struct mls_rtree *t;
	uint32_t small[2];

	(void)state;
	proto_leaf(&p, 0, 1);
	proto_leaf(&p, 1, 2);
	proto_leaf(&p, 3, 4);
	proto_leaf(&p, 4, 5);
	proto_leaf(&p, 5, 6);
	proto_leaf(&p, 7, 8);
	proto_parent(&p, 3, 20, unmerged_b, 1);
	proto_parent(&p, 9, 21, NULL, 0);
	t = proto_tree(&p);
	assert_int_equal(mls_rtree_n_leaves(t), 8);
	assert_int_equal(mls_rtree_n_nodes(t), 15);
	assert_int_equal(mls_rtree_root(t), 7);
	assert_resolution(t, 3, r_x, 2);
	assert_resolution(t, 4, NULL, 0);	/* leaf 2 */
	assert_resolution(t, 12, NULL, 0);	/* leaf 6 */
	assert_resolution(t, 7, r_top, 4);
	assert_resolution(t, 0, r_a, 1);
	assert_resolution(t, 11, r_right, 2);
	assert_int_equal(mls_rtree_resolution(t, 7, small, 2), -ENOSPC);
	assert_int_equal(mls_rtree_resolution(t, 15, small, 2), -EINVAL);
	assert_null(mls_rtree_node_get0(t, 15));
	assert_int_equal(mls_rtree_node_get0(t, 5)->type, 0);
	assert_null(mls_rtree_leaf_get0(t, 2));
	assert_null(mls_rtree_leaf_get0(t, 8));
	assert_non_null(mls_rtree_leaf_get0(t, 7));
	mls_rtree_free(t);
}

/* RFC 9420 figure 11 and table 2: T=1, W=7, X=9, Y=11; leaves A B _ _ E F G _. */
static void test_filtered_direct_path(void **state)
{
	static const uint32_t a_path[] = {1, 7}, a_copath[] = {2, 11};
	static const uint32_t e_path[] = {9, 11, 7}, e_copath[] = {10, 13, 3};
	static const uint32_t g_path[] = {11, 7}, g_copath[] = {9, 3};
	struct proto p = {0};
	struct mls_rtree *t;
	uint32_t path[MLS_TREE_MAX_DEPTH], copath[MLS_TREE_MAX_DEPTH];

	(void)state;
	proto_leaf(&p, 0, 1);
	proto_leaf(&p, 1, 2);
	proto_leaf(&p, 4, 5);
	proto_leaf(&p, 5, 6);
	proto_leaf(&p, 6, 7);
	proto_parent(&p, 1, 20, NULL, 0);
	proto_parent(&p, 7, 21, NULL, 0);
	proto_parent(&p, 9, 22, NULL, 0);
	proto_parent(&p, 11, 23, NULL, 0);
	t = proto_tree(&p);
	assert_int_equal(mls_rtree_filtered_direct_path(t, 0, path, copath, MLS_TREE_MAX_DEPTH), 2);
	assert_memory_equal(path, a_path, sizeof(a_path));
	assert_memory_equal(copath, a_copath, sizeof(a_copath));
	assert_int_equal(mls_rtree_filtered_direct_path(t, 1, path, NULL, MLS_TREE_MAX_DEPTH), 2);
	assert_memory_equal(path, a_path, sizeof(a_path));
	assert_int_equal(mls_rtree_filtered_direct_path(t, 4, path, copath, MLS_TREE_MAX_DEPTH), 3);
	assert_memory_equal(path, e_path, sizeof(e_path));
	assert_memory_equal(copath, e_copath, sizeof(e_copath));
	assert_int_equal(mls_rtree_filtered_direct_path(t, 6, path, copath, MLS_TREE_MAX_DEPTH), 2);
	assert_memory_equal(path, g_path, sizeof(g_path));
	assert_memory_equal(copath, g_copath, sizeof(g_copath));
	assert_int_equal(mls_rtree_filtered_direct_path(t, 4, path, copath, 2), -ENOSPC);
	assert_int_equal(mls_rtree_filtered_direct_path(t, 8, path, copath, 2), -EINVAL);
	mls_rtree_free(t);
}

/* ---- encoding ----------------------------------------------------------- */

static void test_wire_round_trip(void **state)
{
	static const uint32_t unmerged[] = {2};
	struct proto p = {0};
	struct mls_rtree *t, *u, *c;
	uint8_t *enc, *copy;
	struct mls_writer w;
	uint8_t small[8];
	size_t n;

	(void)state;
	/* 3 leaves: the encoding stops after leaf 2 (5 nodes), the tree has 4 */
	proto_leaf(&p, 0, 1);
	proto_leaf(&p, 1, 2);
	proto_leaf(&p, 2, 3);
	proto_parent(&p, 3, 20, unmerged, 1);
	t = proto_tree(&p);
	assert_int_equal(mls_rtree_n_leaves(t), 4);
	enc = encode(t, &n);
	/* the decoded tree is independent of the buffer it came from */
	copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, enc, n);
	assert_int_equal(mls_rtree_from_wire(mls_suite_get(1), copy, n, &u), 0);
	memset(copy, 0xff, n);
	free(copy);
	assert_int_equal(mls_rtree_n_leaves(u), 4);
	assert_same_encoding(t, u);
	/* so is a copy of its tree */
	assert_int_equal(mls_rtree_copy(u, &c), 0);
	mls_rtree_free(u);
	assert_same_encoding(t, c);
	assert_int_equal(mls_rtree_remove_leaf(c, 2), 0);
	assert_int_equal(mls_rtree_n_leaves(c), 2);
	assert_int_equal(mls_rtree_n_leaves(t), 4);
	mls_rtree_free(c);
	/* a writer too small */
	mls_writer_init(&w, small, sizeof(small));
	assert_int_equal(mls_rtree_to_wire(t, &w), -ENOSPC);
	mls_rtree_free(t);
	free(enc);
}

static void test_malformed(void **state)
{
	static const uint8_t empty[] = {0x00};
	/* [blank leaf]: the last node is blank */
	static const uint8_t trailing_blank[] = {0x01, 0x00};
	/* a parent node at position 0 */
	static const uint8_t parent_at_leaf[] = {0x05, 0x01, 0x02, 0x00, 0x00, 0x00};
	static const uint32_t unsorted[] = {1, 0}, foreign[] = {2}, beyond[] = {4};
	const struct mls_suite *s = mls_suite_get(1);
	struct proto p = {0};
	struct mls_rtree *t = NULL;
	uint8_t *enc, *cut;
	size_t n;

	(void)state;
	assert_int_equal(mls_rtree_from_wire(s, empty, sizeof(empty), &t), -EBADMSG);
	assert_int_equal(mls_rtree_from_wire(s, trailing_blank, sizeof(trailing_blank), &t),
			 -EBADMSG);
	assert_int_equal(mls_rtree_from_wire(s, parent_at_leaf, sizeof(parent_at_leaf), &t),
			 -EBADMSG);
	assert_int_equal(mls_rtree_from_wire(s, NULL, 0, &t), -EBADMSG);
	assert_int_equal(mls_rtree_from_wire(NULL, empty, 1, &t), -EINVAL);
	assert_null(t);

	/* a valid tree, then trailing bytes and every truncation */
	proto_leaf(&p, 0, 1);
	proto_leaf(&p, 1, 2);
	t = proto_tree(&p);
	enc = encode(t, &n);
	mls_rtree_free(t);
	t = NULL;
	cut = malloc(n + 1);
	assert_non_null(cut);
	memcpy(cut, enc, n);
	cut[n] = 0;
	assert_int_equal(mls_rtree_from_wire(s, cut, n + 1, &t), -EBADMSG);
	free(cut);
	for (size_t k = 0; k < n; k++) {
		cut = malloc(k > 0 ? k : 1);
		assert_non_null(cut);
		memcpy(cut, enc, k);
		assert_int_equal(mls_rtree_from_wire(s, cut, k, &t), -EBADMSG);
		free(cut);
	}
	assert_null(t);
	free(enc);

	/* built trees: a leaf at a parent position, unmerged leaves unsorted or foreign */
	p.nodes[1] = p.nodes[0];
	p.n = 3;
	assert_int_equal(mls_rtree_new(s, p.nodes, p.n, &t), -EBADMSG);
	proto_parent(&p, 1, 20, unsorted, 2);
	assert_int_equal(mls_rtree_new(s, p.nodes, p.n, &t), -EBADMSG);
	proto_leaf(&p, 2, 3);
	proto_parent(&p, 1, 20, foreign, 1);	/* leaf 2 is not under node 1 */
	assert_int_equal(mls_rtree_new(s, p.nodes, p.n, &t), -EBADMSG);
	proto_parent(&p, 3, 21, beyond, 1);	/* leaf 4 is not in a tree of 4 */
	proto_parent(&p, 1, 20, NULL, 0);
	assert_int_equal(mls_rtree_new(s, p.nodes, p.n, &t), -EBADMSG);
	proto_parent(&p, 3, 21, foreign, 1);
	p.leaves[0].source = 0;
	assert_int_equal(mls_rtree_new(s, p.nodes, p.n, &t), -EBADMSG);
	p.leaves[0].source = MLS_LEAF_SOURCE_UPDATE;
	p.nodes[0].leaf = NULL;
	assert_int_equal(mls_rtree_new(s, p.nodes, p.n, &t), -EBADMSG);
	p.nodes[0].leaf = &p.leaves[0];
	assert_int_equal(mls_rtree_new(s, p.nodes, 0, &t), -EBADMSG);
	assert_int_equal(mls_rtree_new(s, p.nodes, MLS_MSG_MAX_TREE_NODES + 1, &t), -E2BIG);
	assert_null(t);
	assert_int_equal(mls_rtree_new(s, p.nodes, p.n, &t), 0);
	mls_rtree_free(t);
}

/* ---- proposals ---------------------------------------------------------- */

static void test_add(void **state)
{
	static const uint32_t unmerged0[] = {0};
	struct mls_leaf_node nl = fake_leaf(40, MLS_LEAF_SOURCE_KEY_PACKAGE);
	struct proto p = {0};
	const struct mls_parent_node *pn;
	struct mls_rtree *t;
	uint32_t idx;

	(void)state;
	/* two full leaves under a non-blank root: the tree doubles */
	proto_leaf(&p, 0, 1);
	proto_leaf(&p, 1, 2);
	proto_parent(&p, 1, 20, NULL, 0);
	t = proto_tree(&p);
	assert_int_equal(mls_rtree_add_leaf(t, &nl, &idx), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(mls_rtree_n_leaves(t), 4);
	assert_int_equal(mls_rtree_node_get0(t, 3)->type, 0);	/* the new root is blank */
	assert_int_equal(mls_rtree_node_get0(t, 1)->parent->n_unmerged_leaves, 0);
	assert_memory_equal(mls_rtree_leaf_get0(t, 2)->encryption_key.p, key_bytes[40], 32);
	nl = fake_leaf(41, MLS_LEAF_SOURCE_KEY_PACKAGE);
	assert_int_equal(mls_rtree_add_leaf(t, &nl, &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(mls_rtree_n_leaves(t), 4);
	nl = fake_leaf(42, MLS_LEAF_SOURCE_KEY_PACKAGE);
	assert_int_equal(mls_rtree_add_leaf(t, &nl, NULL), 0);
	assert_int_equal(mls_rtree_n_leaves(t), 8);
	mls_rtree_free(t);

	/* a hole at leaf 1 under a parent with leaf 0 unmerged: filled, listed in order */
	memset(&p, 0, sizeof(p));
	proto_leaf(&p, 0, 1);
	proto_leaf(&p, 2, 3);
	proto_leaf(&p, 3, 4);
	proto_parent(&p, 1, 20, unmerged0, 1);
	proto_parent(&p, 3, 21, NULL, 0);
	t = proto_tree(&p);
	nl = fake_leaf(43, MLS_LEAF_SOURCE_KEY_PACKAGE);
	assert_int_equal(mls_rtree_add_leaf(t, &nl, &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(mls_rtree_n_leaves(t), 4);
	pn = mls_rtree_node_get0(t, 1)->parent;
	assert_int_equal(pn->n_unmerged_leaves, 2);
	assert_int_equal(pn->unmerged_leaves[0], 0);
	assert_int_equal(pn->unmerged_leaves[1], 1);
	pn = mls_rtree_node_get0(t, 3)->parent;
	assert_int_equal(pn->n_unmerged_leaves, 1);
	assert_int_equal(pn->unmerged_leaves[0], 1);
	/* an invalid leaf is refused and changes nothing */
	nl.source = 7;
	assert_int_equal(mls_rtree_add_leaf(t, &nl, &idx), -EINVAL);
	assert_int_equal(mls_rtree_add_leaf(t, NULL, &idx), -EINVAL);
	mls_rtree_free(t);
}

static void test_add_full_tree(void **state)
{
	struct mls_node *nodes = calloc(MLS_MSG_MAX_TREE_NODES, sizeof(*nodes));
	struct mls_leaf_node l = fake_leaf(1, MLS_LEAF_SOURCE_KEY_PACKAGE);
	struct mls_rtree *t;

	(void)state;
	assert_non_null(nodes);
	for (size_t x = 0; x < MLS_MSG_MAX_TREE_NODES; x += 2) {
		nodes[x] = (struct mls_node){MLS_NODE_LEAF, &l, NULL};
	}
	assert_int_equal(mls_rtree_new(mls_suite_get(1), nodes, MLS_MSG_MAX_TREE_NODES, &t), 0);
	assert_int_equal(mls_rtree_n_leaves(t), MLS_MSG_MAX_LEAVES);
	assert_int_equal(mls_rtree_add_leaf(t, &l, NULL), -ENOSPC);
	assert_int_equal(mls_rtree_remove_leaf(t, 100), 0);
	assert_int_equal(mls_rtree_add_leaf(t, &l, NULL), 0);
	assert_int_equal(mls_rtree_n_leaves(t), MLS_MSG_MAX_LEAVES);
	mls_rtree_free(t);
	free(nodes);
}

static void test_update(void **state)
{
	struct mls_leaf_node nl = fake_leaf(40, MLS_LEAF_SOURCE_UPDATE);
	struct proto p = {0};
	struct mls_rtree *t;

	(void)state;
	proto_leaf(&p, 0, 1);
	proto_leaf(&p, 1, 2);
	proto_leaf(&p, 3, 4);
	proto_parent(&p, 1, 20, NULL, 0);
	proto_parent(&p, 3, 21, NULL, 0);
	proto_parent(&p, 5, 22, NULL, 0);
	t = proto_tree(&p);
	assert_int_equal(mls_rtree_update_leaf(t, 1, &nl), 0);
	assert_int_equal(mls_rtree_leaf_get0(t, 1)->source, MLS_LEAF_SOURCE_UPDATE);
	assert_memory_equal(mls_rtree_leaf_get0(t, 1)->encryption_key.p, key_bytes[40], 32);
	assert_int_equal(mls_rtree_node_get0(t, 1)->type, 0);
	assert_int_equal(mls_rtree_node_get0(t, 3)->type, 0);
	assert_int_equal(mls_rtree_node_get0(t, 5)->type, MLS_NODE_PARENT);
	assert_int_equal(mls_rtree_update_leaf(t, 2, &nl), -ENOENT);
	assert_int_equal(mls_rtree_update_leaf(t, 4, &nl), -EINVAL);
	mls_rtree_free(t);

	/*
	 * [A, P]: a root over a blank right half (no valid tree has one) keeps
	 * its 2 leaves through an Update, though the encoding is then [A'].
	 */
	memset(&p, 0, sizeof(p));
	proto_leaf(&p, 0, 1);
	proto_parent(&p, 1, 20, NULL, 0);
	t = proto_tree(&p);
	assert_int_equal(mls_rtree_n_leaves(t), 2);
	assert_int_equal(mls_rtree_update_leaf(t, 0, &nl), 0);
	assert_int_equal(mls_rtree_n_leaves(t), 2);
	{
		struct mls_rtree *u;
		uint8_t *enc;
		size_t n;

		enc = encode(t, &n);
		assert_int_equal(mls_rtree_from_wire(mls_suite_get(1), enc, n, &u), 0);
		assert_int_equal(mls_rtree_n_leaves(u), 1);
		mls_rtree_free(u);
		free(enc);
	}
	mls_rtree_free(t);
}

static void test_remove(void **state)
{
	struct proto p = {0};
	struct mls_rtree *t;

	(void)state;
	/* leaves 0, 1, 3 and 4 of 8, parents over them */
	proto_leaf(&p, 0, 1);
	proto_leaf(&p, 1, 2);
	proto_leaf(&p, 3, 4);
	proto_leaf(&p, 4, 5);
	proto_parent(&p, 1, 20, NULL, 0);
	proto_parent(&p, 3, 21, NULL, 0);
	proto_parent(&p, 7, 22, NULL, 0);
	proto_parent(&p, 9, 23, NULL, 0);
	t = proto_tree(&p);
	assert_int_equal(mls_rtree_n_leaves(t), 8);
	assert_int_equal(mls_rtree_remove_leaf(t, 2), -ENOENT);
	assert_int_equal(mls_rtree_remove_leaf(t, 8), -EINVAL);
	/* removing leaf 1 blanks it and its path, nothing truncates */
	assert_int_equal(mls_rtree_remove_leaf(t, 1), 0);
	assert_int_equal(mls_rtree_n_leaves(t), 8);
	assert_int_equal(mls_rtree_node_get0(t, 1)->type, 0);
	assert_int_equal(mls_rtree_node_get0(t, 3)->type, 0);
	assert_int_equal(mls_rtree_node_get0(t, 7)->type, 0);
	assert_int_equal(mls_rtree_node_get0(t, 9)->type, MLS_NODE_PARENT);
	/* removing leaf 4 empties the right half: 4 leaves */
	assert_int_equal(mls_rtree_remove_leaf(t, 4), 0);
	assert_int_equal(mls_rtree_n_leaves(t), 4);
	/* removing leaf 3 leaves leaf 0 alone: 1 leaf */
	assert_int_equal(mls_rtree_remove_leaf(t, 3), 0);
	assert_int_equal(mls_rtree_n_leaves(t), 1);
	assert_int_equal(mls_rtree_root(t), 0);
	/* growing again finds blank nodes where the old ones were */
	{
		struct mls_leaf_node nl = fake_leaf(40, MLS_LEAF_SOURCE_KEY_PACKAGE);
		uint32_t idx;

		assert_int_equal(mls_rtree_add_leaf(t, &nl, &idx), 0);
		assert_int_equal(idx, 1);
		assert_int_equal(mls_rtree_add_leaf(t, &nl, &idx), 0);
		assert_int_equal(idx, 2);
		assert_int_equal(mls_rtree_n_leaves(t), 4);
		for (uint32_t x = 1; x < 7; x += 2) {
			assert_int_equal(mls_rtree_node_get0(t, x)->type, 0);
		}
		assert_null(mls_rtree_leaf_get0(t, 3));
	}
	/* the last member: an all-blank tree has no encoding */
	for (uint32_t l = 0; l < 3; l++) {
		assert_int_equal(mls_rtree_remove_leaf(t, l), 0);
	}
	assert_int_equal(mls_rtree_n_leaves(t), 1);
	{
		uint8_t buf[16];
		struct mls_writer w;

		mls_writer_init(&w, buf, sizeof(buf));
		assert_int_equal(mls_rtree_to_wire(t, &w), -EINVAL);
	}
	mls_rtree_free(t);
}

/* ---- hashes ------------------------------------------------------------- */

/* A one-leaf tree's hash is Hash(01 | uint32 0 | 01 | LeafNode). */
static void test_tree_hash_definition(void **state)
{
	const struct mls_suite *s = mls_suite_get(1);
	uint8_t buf[512], want[MLS_MAX_HASH], got[MLS_MAX_HASH], all[MLS_MAX_HASH];
	struct proto p = {0};
	struct mls_rtree *t;
	struct mls_writer w;

	(void)state;
	proto_leaf(&p, 0, 1);
	t = proto_tree(&p);
	mls_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mls_write_u8(&w, MLS_NODE_LEAF), 0);
	assert_int_equal(mls_write_u32(&w, 0), 0);
	assert_int_equal(mls_write_u8(&w, 1), 0);
	assert_int_equal(mls_leaf_node_encode(&w, &p.leaves[0]), 0);
	assert_int_equal(mls_hash(s, buf, mls_writer_len(&w), want), 0);
	assert_int_equal(mls_rtree_tree_hash(t, 0, got), 0);
	assert_memory_equal(got, want, s->nh);
	assert_int_equal(mls_rtree_tree_hashes(t, all, s->nh), 0);
	assert_memory_equal(all, want, s->nh);
	assert_int_equal(mls_rtree_tree_hashes(t, all, s->nh - 1), -ENOSPC);
	assert_int_equal(mls_rtree_tree_hash(t, 1, got), -EINVAL);
	assert_int_equal(mls_rtree_parent_hash(t, 0, 1, got), -EINVAL);
	mls_rtree_free(t);
}

/*
 * A signed tree of 4 leaves: A (leaf 0) committed a path through T (node 1)
 * and W (root, node 3); C (leaf 2) was added after, so W lists it as
 * unmerged; B and D came from key packages. Node 5 is blank.
 */
struct signed_tree {
	const struct mls_suite *s;
	EVP_PKEY *sk[4];
	uint8_t sig_pub[4][MLS_MAX_SIG_PUB];
	uint8_t sigs[4][MLS_MAX_SIG];
	uint8_t ph_t[MLS_MAX_HASH], ph_a[MLS_MAX_HASH];
	uint32_t unmerged_w[1];
	struct proto p;
};

static const uint8_t group_id[] = "group";

static void sign_leaf(struct signed_tree *st, uint32_t leaf)
{
	struct mls_leaf_node *ln = &st->p.leaves[leaf];
	struct mls_bytes gid = {group_id, sizeof(group_id) - 1};
	uint8_t tbs[1024];
	struct mls_writer w;
	size_t n;

	mls_writer_init(&w, tbs, sizeof(tbs));
	assert_int_equal(mls_leaf_node_tbs_encode(&w, ln, gid, leaf), 0);
	assert_int_equal(mls_sign_with_label(st->s, st->sk[leaf], MLS_LABEL("LeafNodeTBS"), tbs,
					     mls_writer_len(&w), st->sigs[leaf], MLS_MAX_SIG, &n),
			 0);
	ln->signature = (struct mls_bytes){st->sigs[leaf], n};
}

static void signed_tree_build(struct signed_tree *st)
{
	struct mls_rtree *t;

	memset(st, 0, sizeof(*st));
	st->s = mls_suite_get(1);
	for (uint32_t l = 0; l < 4; l++) {
		size_t n;

		assert_int_equal(mls_sig_keygen(st->s, &st->sk[l], NULL, NULL), 0);
		assert_int_equal(mls_sig_pub_raw(st->s, st->sk[l], st->sig_pub[l], MLS_MAX_SIG_PUB,
						 &n), 0);
		proto_leaf(&st->p, l, (uint8_t)(1 + l));
		st->p.leaves[l].signature_key = (struct mls_bytes){st->sig_pub[l], n};
	}
	st->unmerged_w[0] = 2;
	proto_parent(&st->p, 1, 20, NULL, 0);
	proto_parent(&st->p, 3, 21, st->unmerged_w, 1);
	st->p.leaves[0].source = MLS_LEAF_SOURCE_COMMIT;
	/* B, C and D were in the tree, signed, when A committed */
	for (uint32_t l = 1; l < 4; l++) {
		sign_leaf(st, l);
	}
	/* root to leaf: T's parent hash is W's with copath child 5, A's is T's with 2 */
	t = proto_tree(&st->p);
	assert_int_equal(mls_rtree_parent_hash(t, 3, 5, st->ph_t), 0);
	mls_rtree_free(t);
	st->p.parents[0].parent_hash = (struct mls_bytes){st->ph_t, st->s->nh};
	t = proto_tree(&st->p);
	assert_int_equal(mls_rtree_parent_hash(t, 1, 2, st->ph_a), 0);
	mls_rtree_free(t);
	st->p.leaves[0].parent_hash = (struct mls_bytes){st->ph_a, st->s->nh};
	sign_leaf(st, 0);
}

static void signed_tree_free(struct signed_tree *st)
{
	for (uint32_t l = 0; l < 4; l++) {
		EVP_PKEY_free(st->sk[l]);
	}
}

static void test_verify_signed_tree(void **state)
{
	struct mls_bytes gid = {group_id, sizeof(group_id) - 1};
	struct mls_bytes other = {(const uint8_t *)"other", 5};
	uint8_t key[32], ph[MLS_MAX_HASH], th[MLS_MAX_HASH], th2[MLS_MAX_HASH];
	struct signed_tree st;
	struct mls_rtree *t, *u;

	(void)state;
	signed_tree_build(&st);
	t = proto_tree(&st.p);
	assert_int_equal(mls_rtree_verify_parent_hashes(t), 0);
	for (uint32_t l = 0; l < 4; l++) {
		assert_int_equal(mls_rtree_verify_leaf(t, l, gid), 0);
	}
	assert_int_equal(mls_rtree_verify(t, gid), 0);
	/* only A (source commit) binds the group id */
	assert_int_equal(mls_rtree_verify_leaf(t, 0, other), -EBADMSG);
	assert_int_equal(mls_rtree_verify_leaf(t, 1, other), 0);
	assert_int_equal(mls_rtree_verify(t, other), -EBADMSG);
	assert_int_equal(mls_rtree_verify_leaf(t, 4, gid), -EINVAL);

	mls_rtree_free(t);

	/*
	 * W lists C as unmerged, so W's parent hash with copath child 5 sees
	 * node 5's subtree with C blanked: changing C leaves it as it was,
	 * changing D does not (the tree hash of node 5 changes either way).
	 */
	memset(key, 0x77, sizeof(key));
	st.p.leaves[2].encryption_key = (struct mls_bytes){key, 32};
	u = proto_tree(&st.p);
	assert_int_equal(mls_rtree_parent_hash(u, 3, 5, ph), 0);
	assert_memory_equal(ph, st.ph_t, st.s->nh);
	assert_int_equal(mls_rtree_tree_hash(u, 5, th), 0);
	mls_rtree_free(u);
	st.p.leaves[3].encryption_key = (struct mls_bytes){key, 32};
	u = proto_tree(&st.p);
	assert_int_equal(mls_rtree_parent_hash(u, 3, 5, ph), 0);
	assert_memory_not_equal(ph, st.ph_t, st.s->nh);
	assert_int_equal(mls_rtree_tree_hash(u, 5, th2), 0);
	assert_memory_not_equal(th, th2, st.s->nh);
	mls_rtree_free(u);
	signed_tree_free(&st);
}

static void test_verify_tampered(void **state)
{
	struct mls_bytes gid = {group_id, sizeof(group_id) - 1};
	uint8_t bad_key[32], bad_sig[MLS_MAX_SIG];
	struct signed_tree st;
	struct mls_rtree *t;

	(void)state;
	/* W's key changed: T's parent hash no longer matches, so W has no chain */
	signed_tree_build(&st);
	memset(bad_key, 0x77, sizeof(bad_key));
	st.p.parents[1].encryption_key = (struct mls_bytes){bad_key, 32};
	t = proto_tree(&st.p);
	assert_int_equal(mls_rtree_verify_parent_hashes(t), -EBADMSG);
	assert_int_equal(mls_rtree_verify(t, gid), -EBADMSG);
	mls_rtree_free(t);
	signed_tree_free(&st);

	/* T's parent hash changed: T's own chain to A breaks too */
	signed_tree_build(&st);
	st.ph_t[0] ^= 1;
	t = proto_tree(&st.p);
	assert_int_equal(mls_rtree_verify_parent_hashes(t), -EBADMSG);
	mls_rtree_free(t);
	signed_tree_free(&st);

	/* W without its unmerged leaf: the resolution of node 5 is then not accounted for */
	signed_tree_build(&st);
	st.p.parents[1].n_unmerged_leaves = 0;
	t = proto_tree(&st.p);
	assert_int_equal(mls_rtree_verify_parent_hashes(t), -EBADMSG);
	mls_rtree_free(t);
	signed_tree_free(&st);

	/* a leaf signature flipped */
	signed_tree_build(&st);
	memcpy(bad_sig, st.p.leaves[2].signature.p, st.p.leaves[2].signature.len);
	bad_sig[5] ^= 0x10;
	st.p.leaves[2].signature.p = bad_sig;
	t = proto_tree(&st.p);
	assert_int_equal(mls_rtree_verify_leaf(t, 2, gid), -EBADMSG);
	assert_int_equal(mls_rtree_verify_parent_hashes(t), 0);
	assert_int_equal(mls_rtree_verify(t, gid), -EBADMSG);
	mls_rtree_free(t);
	signed_tree_free(&st);

	/* C, an unmerged leaf of W, blank: parent hashes still hold (C is excluded) */
	signed_tree_build(&st);
	st.p.nodes[4] = (struct mls_node){0, NULL, NULL};
	t = proto_tree(&st.p);
	assert_int_equal(mls_rtree_verify_parent_hashes(t), 0);
	assert_int_equal(mls_rtree_verify(t, gid), -EBADMSG);
	mls_rtree_free(t);
	signed_tree_free(&st);

	/* C (excluded from W's parent hash) re-signed with D's encryption key: keys not unique */
	signed_tree_build(&st);
	st.p.leaves[2].encryption_key = st.p.leaves[3].encryption_key;
	sign_leaf(&st, 2);
	t = proto_tree(&st.p);
	assert_int_equal(mls_rtree_verify_leaf(t, 2, gid), 0);
	assert_int_equal(mls_rtree_verify_parent_hashes(t), 0);
	assert_int_equal(mls_rtree_verify(t, gid), -EBADMSG);
	mls_rtree_free(t);
	signed_tree_free(&st);

	/* C re-signed with a credential type the others do not support */
	signed_tree_build(&st);
	st.p.leaves[2].credential.type = MLS_CREDENTIAL_X509;
	st.p.leaves[2].credential.n_certs = 0;
	st.p.leaves[2].capabilities.credentials = (struct mls_u16_list){both_types, 2};
	sign_leaf(&st, 2);
	t = proto_tree(&st.p);
	assert_int_equal(mls_rtree_verify_leaf(t, 2, gid), 0);
	assert_int_equal(mls_rtree_verify_parent_hashes(t), 0);
	assert_int_equal(mls_rtree_verify(t, gid), -EBADMSG);
	mls_rtree_free(t);
	signed_tree_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolution),
		cmocka_unit_test(test_filtered_direct_path),
		cmocka_unit_test(test_wire_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_add_full_tree),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_tree_hash_definition),
		cmocka_unit_test(test_verify_signed_tree),
		cmocka_unit_test(test_verify_tampered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
