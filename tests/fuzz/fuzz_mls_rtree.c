/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mls_rtree.c - the ratchet tree (dataplane/mls/mls_rtree.c,
 * mls_rtree_hash.c) on untrusted bytes: the input is a ratchet_tree
 * extension body, taken as a tree of cipher suite 1. Invariants:
 *  - mls_rtree_from_wire returns 0 or one of -EBADMSG, -EPROTONOSUPPORT,
 *    -E2BIG, and reads nothing outside the input (ASan);
 *  - a tree that decodes re-encodes to exactly the input (the last node is
 *    non-blank and the encodings are canonical);
 *  - tree hashes, resolutions, filtered direct paths and the parent-hash and
 *    joining validations run without failing for anything but -EBADMSG,
 *    and the single-node tree hash agrees with the whole-tree pass;
 *  - Remove, Add and Update on a copy keep the tree well formed: it
 *    re-encodes, decodes again to a tree with the same encoding, and hashes
 *    the same unless the encoding lost its width (see check_ops).
 * A custom mutator restarts now and then from a small valid tree (blanks,
 * unmerged leaves, every leaf source), so that the replay driver's runs
 * (tests/fuzz/fuzz_driver.c) get past the node headers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mls_crypto.h"
#include "mls_msg.h"
#include "mls_rtree.h"
#include "mls_tree.h"

#define MAX_PATH_CHECKS 16

static const uint16_t cred_types[] = {MLS_CREDENTIAL_BASIC};

static struct mls_leaf_node fake_leaf(uint8_t source, const char *key)
{
	struct mls_leaf_node l;

	memset(&l, 0, sizeof(l));
	l.encryption_key = (struct mls_bytes){(const uint8_t *)key, strlen(key)};
	l.signature_key = (struct mls_bytes){(const uint8_t *)"sk", 2};
	l.credential.type = MLS_CREDENTIAL_BASIC;
	l.credential.identity = (struct mls_bytes){(const uint8_t *)"id", 2};
	l.capabilities.credentials = (struct mls_u16_list){cred_types, 1};
	l.source = source;
	if (source == MLS_LEAF_SOURCE_COMMIT) {
		l.parent_hash = (struct mls_bytes){(const uint8_t *)"ph", 2};
	}
	l.signature = (struct mls_bytes){(const uint8_t *)"sig", 3};
	return l;
}

/* check_ops applies Remove, Add and Update to a copy of |t| and checks it stays well formed. */
static void check_ops(const struct mls_rtree *t, size_t size)
{
	struct mls_leaf_node add = fake_leaf(MLS_LEAF_SOURCE_KEY_PACKAGE, "added");
	struct mls_leaf_node upd = fake_leaf(MLS_LEAF_SOURCE_UPDATE, "updated");
	uint8_t h1[MLS_MAX_HASH], h2[MLS_MAX_HASH], *buf;
	struct mls_rtree *c, *d;
	struct mls_writer w;
	size_t cap = 2 * (size + 1024), len;
	int rc;

	CHECK(mls_rtree_copy(t, &c) == 0);
	for (uint32_t l = mls_rtree_n_leaves(c); l-- > 0;) {
		if (mls_rtree_leaf_get0(c, l) != NULL) {
			CHECK(mls_rtree_remove_leaf(c, l) == 0);
			break;
		}
	}
	rc = mls_rtree_add_leaf(c, &add, NULL);
	CHECK(rc == 0 || (rc == -ENOSPC && mls_rtree_n_leaves(c) == MLS_MSG_MAX_LEAVES));
	if (mls_rtree_leaf_get0(c, 0) != NULL) {
		CHECK(mls_rtree_update_leaf(c, 0, &upd) == 0);
	}
	buf = malloc(cap);
	CHECK(buf != NULL);
	mls_writer_init(&w, buf, cap);
	CHECK(mls_rtree_to_wire(c, &w) == 0);
	len = mls_writer_len(&w);
	CHECK(mls_rtree_from_wire(mls_rtree_suite(c), buf, len, &d) == 0);
	CHECK(mls_rtree_n_leaves(d) <= mls_rtree_n_leaves(c));
	mls_writer_init(&w, buf + len, cap - len);
	CHECK(mls_rtree_to_wire(d, &w) == 0);
	CHECK(mls_writer_len(&w) == len && memcmp(buf, buf + len, len) == 0);
	/*
	 * The encoding gives the width only when the right half of the root
	 * holds a non-blank node: an Update may blank a root whose right half
	 * was blank already (no valid tree has one: section 7.7 truncates), and
	 * the tree decoded back is then narrower, its hash different.
	 */
	if (mls_rtree_n_leaves(d) == mls_rtree_n_leaves(c)) {
		CHECK(mls_rtree_tree_hash(c, mls_rtree_root(c), h1) == 0);
		CHECK(mls_rtree_tree_hash(d, mls_rtree_root(d), h2) == 0);
		CHECK(memcmp(h1, h2, mls_rtree_suite(c)->nh) == 0);
	}
	mls_rtree_free(d);
	mls_rtree_free(c);
	free(buf);
}

static void check_tree(const struct mls_rtree *t, const uint8_t *data, size_t size)
{
	const struct mls_suite *s = mls_rtree_suite(t);
	uint32_t n_nodes = mls_rtree_n_nodes(t), n_leaves = mls_rtree_n_leaves(t);
	uint32_t path[MLS_TREE_MAX_DEPTH], copath[MLS_TREE_MAX_DEPTH], *res;
	uint8_t h[MLS_MAX_HASH], *all, *out;
	struct mls_bytes gid = {(const uint8_t *)"group", 5};
	struct mls_writer w;
	int rc;

	/* exactly the input's length: ASan catches a write past it */
	out = malloc(size);
	CHECK(out != NULL);
	mls_writer_init(&w, out, size);
	CHECK(mls_rtree_to_wire(t, &w) == 0);
	CHECK(mls_writer_len(&w) == size && memcmp(out, data, size) == 0);
	free(out);

	all = malloc((size_t)n_nodes * s->nh);
	res = malloc((size_t)n_nodes * sizeof(*res));
	CHECK(all != NULL && res != NULL);
	CHECK(mls_rtree_tree_hashes(t, all, (size_t)n_nodes * s->nh) == 0);
	CHECK(mls_rtree_tree_hash(t, mls_rtree_root(t), h) == 0);
	CHECK(memcmp(h, all + (size_t)mls_rtree_root(t) * s->nh, s->nh) == 0);
	for (uint32_t x = 0; x < n_nodes; x++) {
		rc = mls_rtree_resolution(t, x, res, n_nodes);
		CHECK(rc >= 0 && (uint32_t)rc <= n_nodes);
		for (int i = 0; i < rc; i++) {
			CHECK(res[i] < n_nodes);
		}
	}
	for (uint32_t l = 0; l < n_leaves && l < MAX_PATH_CHECKS; l++) {
		rc = mls_rtree_filtered_direct_path(t, l, path, copath, MLS_TREE_MAX_DEPTH);
		CHECK(rc >= 0 && rc <= MLS_TREE_MAX_DEPTH);
	}
	rc = mls_rtree_verify_parent_hashes(t);
	CHECK(rc == 0 || rc == -EBADMSG);
	rc = mls_rtree_verify(t, gid);
	CHECK(rc == 0 || rc == -EBADMSG);
	free(all);
	free(res);
	check_ops(t, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mls_rtree *t = NULL;
	int rc;

	rc = mls_rtree_from_wire(mls_suite_get(1), data, size, &t);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT || rc == -E2BIG);
	if (rc == 0) {
		check_tree(t, data, size);
	}
	mls_rtree_free(t);
	return 0;
}

/*
 * The custom mutator's valid tree: 4 leaves (commit, key package, update,
 * key package), a parent over leaves 0-1, the root listing leaf 2 as
 * unmerged, node 5 blank.
 */
static uint8_t seed[512];
static size_t seed_len;

static void build_seed(void)
{
	static const uint32_t unmerged[] = {2};
	struct mls_leaf_node leaves[4];
	struct mls_parent_node parents[2];
	struct mls_node nodes[7];
	struct mls_ratchet_tree rt = {nodes, 7};
	struct mls_writer w;

	leaves[0] = fake_leaf(MLS_LEAF_SOURCE_COMMIT, "k0");
	leaves[1] = fake_leaf(MLS_LEAF_SOURCE_KEY_PACKAGE, "k1");
	leaves[2] = fake_leaf(MLS_LEAF_SOURCE_UPDATE, "k2");
	leaves[3] = fake_leaf(MLS_LEAF_SOURCE_KEY_PACKAGE, "k3");
	memset(parents, 0, sizeof(parents));
	parents[0].encryption_key = (struct mls_bytes){(const uint8_t *)"p1", 2};
	parents[1].encryption_key = (struct mls_bytes){(const uint8_t *)"p3", 2};
	parents[1].unmerged_leaves = unmerged;
	parents[1].n_unmerged_leaves = 1;
	for (int i = 0; i < 4; i++) {
		nodes[2 * i] = (struct mls_node){MLS_NODE_LEAF, &leaves[i], NULL};
	}
	nodes[1] = (struct mls_node){MLS_NODE_PARENT, NULL, &parents[0]};
	nodes[3] = (struct mls_node){MLS_NODE_PARENT, NULL, &parents[1]};
	nodes[5] = (struct mls_node){0, NULL, NULL};
	mls_writer_init(&w, seed, sizeof(seed));
	CHECK(mls_ratchet_tree_encode(&w, &rt) == 0);
	seed_len = mls_writer_len(&w);
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed_v)
{
	uint32_t s = seed_v | 1;

	if (seed_len == 0) {
		build_seed();
	}
	if (size == 0 || rnd(&s) % 8 == 0) {
		size = seed_len < max_size ? seed_len : max_size;
		memcpy(data, seed, size);
		if (rnd(&s) % 4 == 0) {
			return size;	/* the valid tree itself */
		}
	}
	return LLVMFuzzerMutate(data, size, max_size);
}
