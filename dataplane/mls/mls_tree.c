/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_tree.c - array-tree arithmetic of the MLS ratchet tree (RFC 9420
 * section 4.1, Appendix C), for full trees. The contract is in mls_tree.h.
 */
#include <errno.h>

#include "mls_tree.h"

bool mls_tree_valid_leaves(uint32_t n_leaves)
{
	return n_leaves != 0 && n_leaves <= MLS_TREE_MAX_LEAVES && (n_leaves & (n_leaves - 1)) == 0;
}

uint32_t mls_tree_node_width(uint32_t n_leaves)
{
	if (!mls_tree_valid_leaves(n_leaves)) {
		return 0;
	}
	return 2 * n_leaves - 1;
}

uint32_t mls_tree_level(uint32_t x)
{
	uint32_t k = 0;

	while (k < 32 && ((x >> k) & 1u) == 1u) {
		k++;
	}
	return k;
}

bool mls_tree_is_leaf(uint32_t x)
{
	return (x & 1u) == 0;
}

uint32_t mls_tree_leaf_to_node(uint32_t leaf)
{
	if (leaf >= MLS_TREE_MAX_LEAVES) {
		return MLS_TREE_NONE;
	}
	return 2 * leaf;
}

uint32_t mls_tree_node_to_leaf(uint32_t x)
{
	if (!mls_tree_is_leaf(x)) {
		return MLS_TREE_NONE;	/* MLS_TREE_NONE is odd */
	}
	return x / 2;
}

uint32_t mls_tree_root(uint32_t n_leaves)
{
	if (!mls_tree_valid_leaves(n_leaves)) {
		return MLS_TREE_NONE;
	}
	return n_leaves - 1;	/* (1 << log2(2n - 1)) - 1 for a power of two n */
}

uint32_t mls_tree_left(uint32_t x)
{
	uint32_t k = mls_tree_level(x);

	if (k == 0 || x == MLS_TREE_NONE) {
		return MLS_TREE_NONE;
	}
	return x ^ (1u << (k - 1));
}

uint32_t mls_tree_right(uint32_t x)
{
	uint32_t k = mls_tree_level(x);

	if (k == 0 || x == MLS_TREE_NONE) {
		return MLS_TREE_NONE;
	}
	return x ^ (3u << (k - 1));
}

/* in_tree returns true when n_leaves is valid and x one of its nodes. */
static bool in_tree(uint32_t x, uint32_t n_leaves)
{
	return mls_tree_valid_leaves(n_leaves) && x < mls_tree_node_width(n_leaves);
}

uint32_t mls_tree_parent(uint32_t x, uint32_t n_leaves)
{
	uint32_t k, b;

	if (!in_tree(x, n_leaves) || x == mls_tree_root(n_leaves)) {
		return MLS_TREE_NONE;
	}
	k = mls_tree_level(x);	/* < 30: x is below the root */
	b = (x >> (k + 1)) & 1u;
	return (x | (1u << k)) ^ (b << (k + 1));
}

uint32_t mls_tree_sibling(uint32_t x, uint32_t n_leaves)
{
	uint32_t p = mls_tree_parent(x, n_leaves);

	if (p == MLS_TREE_NONE) {
		return MLS_TREE_NONE;
	}
	return x < p ? mls_tree_right(p) : mls_tree_left(p);
}

int mls_tree_direct_path(uint32_t x, uint32_t n_leaves, uint32_t *out, size_t cap)
{
	uint32_t root;
	size_t n = 0;

	if (!in_tree(x, n_leaves)) {
		return -EINVAL;
	}
	root = mls_tree_root(n_leaves);
	while (x != root) {
		if (n == cap) {
			return -ENOSPC;
		}
		x = mls_tree_parent(x, n_leaves);
		out[n++] = x;
	}
	return (int)n;
}

int mls_tree_copath(uint32_t x, uint32_t n_leaves, uint32_t *out, size_t cap)
{
	uint32_t root;
	size_t n = 0;

	if (!in_tree(x, n_leaves)) {
		return -EINVAL;
	}
	root = mls_tree_root(n_leaves);
	while (x != root) {
		if (n == cap) {
			return -ENOSPC;
		}
		out[n++] = mls_tree_sibling(x, n_leaves);
		x = mls_tree_parent(x, n_leaves);
	}
	return (int)n;
}

uint32_t mls_tree_common_ancestor(uint32_t x, uint32_t y, uint32_t n_leaves)
{
	uint32_t lx, ly, k = 0;

	if (!in_tree(x, n_leaves) || !in_tree(y, n_leaves)) {
		return MLS_TREE_NONE;
	}
	/* RFC 9420 Appendix C, common_ancestor_direct; levels here are <= 30. */
	lx = mls_tree_level(x) + 1;
	ly = mls_tree_level(y) + 1;
	if (lx <= ly && (x >> ly) == (y >> ly)) {
		return y;
	}
	if (ly <= lx && (x >> lx) == (y >> lx)) {
		return x;
	}
	while (x != y) {
		x >>= 1;
		y >>= 1;
		k++;
	}
	return (x << k) + (1u << (k - 1)) - 1;
}
