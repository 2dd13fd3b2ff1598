/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_tree.h - array-tree arithmetic of the MLS ratchet tree (RFC 9420
 * section 4.1 and Appendix C): node indices in the array representation,
 * where leaf L is node 2L, parents are the odd nodes and the level of a
 * node is the number of trailing 1 bits of its index.
 *
 * RFC 9420 trees are always full: the number of leaves is a power of two
 * (the tree doubles when it grows, halves when it truncates). Functions
 * that take |n_leaves| accept 1 .. MLS_TREE_MAX_LEAVES, powers of two only,
 * and return MLS_TREE_NONE (or -EINVAL) for anything else, as they do for a
 * node index outside the tree. MLS_TREE_NONE also stands where RFC 9420 has
 * no node (the vectors' null): the children of a leaf, the parent and
 * sibling of the root.
 *
 * Pure functions: no state, no allocation, reentrant.
 */
#ifndef SB_MLS_TREE_H
#define SB_MLS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No such node (a null in RFC 9420's pseudocode and the test vectors). */
#define MLS_TREE_NONE UINT32_MAX
/* The most leaves a tree may have (2^30): every node index fits in 31 bits. */
#define MLS_TREE_MAX_LEAVES (1u << 30)
/* The longest direct path or copath (of a leaf of the largest tree). */
#define MLS_TREE_MAX_DEPTH 30

/* mls_tree_valid_leaves returns true when |n_leaves| is a power of two in 1 .. MLS_TREE_MAX_LEAVES. */
bool mls_tree_valid_leaves(uint32_t n_leaves);

/* mls_tree_node_width returns the number of nodes of a tree of |n_leaves| leaves (2n - 1), or 0 when n_leaves is not valid. */
uint32_t mls_tree_node_width(uint32_t n_leaves);

/* mls_tree_level returns the level of node |x|: 0 for a leaf, the number of trailing 1 bits of x. */
uint32_t mls_tree_level(uint32_t x);

/* mls_tree_is_leaf returns true when node |x| is a leaf (even). */
bool mls_tree_is_leaf(uint32_t x);

/* mls_tree_leaf_to_node returns the node index of leaf |leaf| (2 * leaf), or MLS_TREE_NONE when leaf >= MLS_TREE_MAX_LEAVES. */
uint32_t mls_tree_leaf_to_node(uint32_t leaf);

/* mls_tree_node_to_leaf returns the leaf index of node |x| (x / 2), or MLS_TREE_NONE when x is not a leaf or is MLS_TREE_NONE. */
uint32_t mls_tree_node_to_leaf(uint32_t x);

/* mls_tree_root returns the root node of a tree of |n_leaves| leaves, or MLS_TREE_NONE when n_leaves is not valid. */
uint32_t mls_tree_root(uint32_t n_leaves);

/* mls_tree_left returns the left child of node |x|, or MLS_TREE_NONE when x is a leaf or MLS_TREE_NONE. */
uint32_t mls_tree_left(uint32_t x);

/* mls_tree_right returns the right child of node |x|, or MLS_TREE_NONE when x is a leaf or MLS_TREE_NONE. */
uint32_t mls_tree_right(uint32_t x);

/* mls_tree_parent returns the parent of node |x| in a tree of |n_leaves| leaves, or MLS_TREE_NONE when x is the root, x is outside the tree or n_leaves is not valid. */
uint32_t mls_tree_parent(uint32_t x, uint32_t n_leaves);

/* mls_tree_sibling returns the other child of the parent of |x|, or MLS_TREE_NONE like mls_tree_parent. */
uint32_t mls_tree_sibling(uint32_t x, uint32_t n_leaves);

/*
 * mls_tree_direct_path writes to |out| the direct path of node |x| (its
 * parent, the parent's parent, ..., the root; empty for the root) and
 * returns its length. MLS_TREE_MAX_DEPTH entries always suffice. Returns
 * -EINVAL when n_leaves is not valid or x is outside the tree, -ENOSPC
 * when |cap| is too small (out is then partly written).
 */
int mls_tree_direct_path(uint32_t x, uint32_t n_leaves, uint32_t *out, size_t cap)
	__attribute__((warn_unused_result));

/*
 * mls_tree_copath writes to |out| the copath of node |x| (the sibling of x
 * and of every node of its direct path but the root; empty for the root)
 * and returns its length, which is that of the direct path. Fails like
 * mls_tree_direct_path.
 */
int mls_tree_copath(uint32_t x, uint32_t n_leaves, uint32_t *out, size_t cap)
	__attribute__((warn_unused_result));

/*
 * mls_tree_common_ancestor returns the lowest common ancestor of nodes |x|
 * and |y| (x itself when x is an ancestor of y or equal to it), or
 * MLS_TREE_NONE when either is outside the tree or n_leaves is not valid.
 */
uint32_t mls_tree_common_ancestor(uint32_t x, uint32_t y, uint32_t n_leaves);

#endif
