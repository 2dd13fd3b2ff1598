/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_rtree.h - the ratchet tree of an MLS group (RFC 9420 sections 4.1, 7
 * and 12.1): the public half of the control plane's group state. It holds
 * the leaves (LeafNode) and parents (ParentNode) of a full tree in array
 * order (Appendix C: leaf L is node 2L, parents the odd nodes), with
 *  - the ratchet_tree extension's encoding both ways (section 12.4.3.3):
 *    trailing blanks are dropped when encoding and synthesised when
 *    decoding, so the tree in memory always has 2^d leaves;
 *  - resolutions, filtered direct paths (section 4.1);
 *  - tree hashes (section 7.8) and parent hashes (section 7.9);
 *  - the validation of a tree a new member joins with (section 12.4.3.1):
 *    leaf signatures (7.3), parent-hash chains (7.9.2), unmerged leaves,
 *    unique keys;
 *  - the tree changes of the Add, Update and Remove proposals (sections
 *    12.1.1-12.1.3), including growing and truncating the tree (7.7).
 *
 * Implemented in two files: mls_rtree.c (the structure, its encoding,
 * resolutions and paths, proposals) and mls_rtree_hash.c (tree and parent
 * hashes, validation), the second on this header's functions only.
 *
 * Ownership: a struct mls_rtree owns deep copies of its nodes, one malloc'd
 * block per non-blank node, so it does not depend on the buffer or arena
 * the nodes were decoded from. Pointers returned by the _get0 accessors
 * borrow from the tree and are valid until the tree is changed or freed.
 * The tree holds public keys only: no secret is stored here.
 *
 * Node and leaf indices: "node" arguments are array indices (x), "leaf"
 * arguments leaf indices (L, node 2L). The tree has at most
 * MLS_MSG_MAX_LEAVES leaves.
 *
 * Errors are negative errno values:
 *   -EINVAL   bad arguments: NULL, a node or leaf outside the tree, a node of
 *             the wrong kind for its position
 *   -EBADMSG  a malformed tree (decoding), or a tree that fails validation
 *             (a bad signature, parent hash, unmerged leaf, duplicate key)
 *   -E2BIG    more nodes than MLS_MSG_MAX_TREE_NODES
 *   -ENOENT   an Update or Remove of a blank leaf
 *   -ENOSPC   an output array too small, a full tree (Add), a full writer
 *   -ENOMEM   out of memory; the tree is left as it was
 *   and those of mls_msg.h (decoding) and mls_crypto.h (hashing, signatures).
 *
 * Threads: no locking. Functions taking a const tree do not modify it (there
 * is no hidden cache), so any number of them may run concurrently on one
 * tree while nobody changes it.
 */
#ifndef SB_MLS_RTREE_H
#define SB_MLS_RTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mls_codec.h"
#include "mls_crypto.h"
#include "mls_msg.h"

struct mls_rtree;

/*
 * mls_rtree_new makes a tree of suite |s| from |n_nodes| nodes in array
 * order (decoded, or built by the caller), padded with blanks to the next
 * full width 2^(d+1) - 1. The nodes are copied: the caller keeps |nodes|.
 * Structural checks (section 12.4.3.3): 1 .. MLS_MSG_MAX_TREE_NODES nodes
 * (else -E2BIG, -EBADMSG when empty), the last node non-blank, leaves only
 * at even and parents only at odd positions, a known leaf source, and every
 * parent's unmerged_leaves strictly increasing and inside its subtree; a
 * violation is -EBADMSG. Nothing cryptographic is checked: that is
 * mls_rtree_verify. On success |*out| gets a tree the caller frees with
 * mls_rtree_free. Returns 0, -EINVAL, -E2BIG, -EBADMSG or -ENOMEM.
 */
int mls_rtree_new(const struct mls_suite *s, const struct mls_node *nodes, size_t n_nodes,
		  struct mls_rtree **out) __attribute__((warn_unused_result));

/*
 * mls_rtree_from_wire decodes the |len| bytes at |p|, which must be exactly
 * one optional<Node> ratchet_tree<V> (the body of the ratchet_tree
 * extension; bytes after it are -EBADMSG), and makes a tree of it as
 * mls_rtree_new does. |p| is not referenced once this returns. Returns 0,
 * the errors of mls_ratchet_tree_decode (-EBADMSG, -EPROTONOSUPPORT, -E2BIG,
 * -ENOMEM) or those of mls_rtree_new.
 */
int mls_rtree_from_wire(const struct mls_suite *s, const uint8_t *p, size_t len,
			struct mls_rtree **out) __attribute__((warn_unused_result));

/*
 * mls_rtree_to_wire appends the tree to |w| as optional<Node>
 * ratchet_tree<V>, without the blank nodes after the last non-blank one
 * (section 12.4.3.3); a tree decoded by mls_rtree_from_wire encodes to the
 * bytes it came from. Returns 0, -ENOSPC, or -EINVAL when every node is
 * blank (such a tree has no encoding).
 */
int mls_rtree_to_wire(const struct mls_rtree *t, struct mls_writer *w)
	__attribute__((warn_unused_result));

/* mls_rtree_copy makes an independent deep copy of |t| in |*out|. Returns 0, -EINVAL or -ENOMEM. */
int mls_rtree_copy(const struct mls_rtree *t, struct mls_rtree **out)
	__attribute__((warn_unused_result));

/* mls_rtree_free frees |t| and every node it holds; accepts NULL. */
void mls_rtree_free(struct mls_rtree *t);

/* mls_rtree_suite returns the cipher suite |t| was made with. */
const struct mls_suite *mls_rtree_suite(const struct mls_rtree *t);

/* mls_rtree_n_leaves returns the number of leaves of |t| (a power of two, blanks included). */
uint32_t mls_rtree_n_leaves(const struct mls_rtree *t);

/* mls_rtree_n_nodes returns the number of nodes of |t|: 2 * n_leaves - 1. */
uint32_t mls_rtree_n_nodes(const struct mls_rtree *t);

/* mls_rtree_root returns the root's node index, n_leaves - 1. */
uint32_t mls_rtree_root(const struct mls_rtree *t);

/*
 * mls_rtree_node_get0 returns node |x| of |t| (type 0 for a blank node,
 * else MLS_NODE_LEAF with |leaf| set or MLS_NODE_PARENT with |parent| set),
 * or NULL when x is outside the tree. Borrowed from the tree.
 */
const struct mls_node *mls_rtree_node_get0(const struct mls_rtree *t, uint32_t x);

/*
 * mls_rtree_leaf_get0 returns the LeafNode of leaf |leaf|, or NULL when it is
 * blank or outside the tree. Borrowed from the tree.
 */
const struct mls_leaf_node *mls_rtree_leaf_get0(const struct mls_rtree *t, uint32_t leaf);

/*
 * mls_rtree_resolution writes the resolution of node |x| (section 4.1.1:
 * the node itself and its unmerged leaves when it is non-blank, nothing for
 * a blank leaf, the resolutions of its children for a blank parent) to
 * |out| as node indices, in order, and returns its length. It never holds
 * more entries than x's subtree has nodes, so mls_rtree_n_nodes(t) always
 * suffice. Returns -EINVAL (x outside the tree) or -ENOSPC (|out| partly
 * written) on failure.
 */
int mls_rtree_resolution(const struct mls_rtree *t, uint32_t x, uint32_t *out, size_t cap)
	__attribute__((warn_unused_result));

/*
 * mls_rtree_filtered_direct_path writes the filtered direct path of leaf
 * |leaf| (section 4.1.2: its direct path without the nodes whose child on
 * the copath has an empty resolution) to |path| and, when |copath| is not
 * NULL, the copath child of each of those nodes to |copath| at the same
 * position. Returns the length; MLS_TREE_MAX_DEPTH entries always suffice.
 * Returns -EINVAL (leaf outside the tree) or -ENOSPC on failure.
 */
int mls_rtree_filtered_direct_path(const struct mls_rtree *t, uint32_t leaf, uint32_t *path,
				   uint32_t *copath, size_t cap)
	__attribute__((warn_unused_result));

/*
 * mls_rtree_add_leaf applies an Add (section 12.1.1): |leaf| (copied) goes
 * to the leftmost blank leaf, the tree doubling first when there is none
 * (section 7.7), and its index is appended, in order, to the
 * unmerged_leaves of every non-blank parent on its direct path. The leaf's
 * index is stored in |*index| (may be NULL). The LeafNode is not validated
 * here (see mls_rtree_verify_leaf). Returns 0, -EINVAL (NULL, or an invalid
 * leaf source), -ENOSPC (the tree has MLS_MSG_MAX_LEAVES non-blank leaves)
 * or -ENOMEM; on failure the tree is unchanged.
 */
int mls_rtree_add_leaf(struct mls_rtree *t, const struct mls_leaf_node *leaf, uint32_t *index)
	__attribute__((warn_unused_result));

/*
 * mls_rtree_update_leaf applies an Update (section 12.1.2) from the member
 * at |leaf|: its LeafNode becomes a copy of |ln| and every node of its
 * direct path is blanked. The tree is not truncated: in the one case where
 * that matters, a root over an all-blank right half (which no valid tree
 * has, section 7.7), the encoding then no longer tells the tree's width.
 * Returns 0, -EINVAL, -ENOENT (the leaf is blank) or -ENOMEM; on failure
 * the tree is unchanged.
 */
int mls_rtree_update_leaf(struct mls_rtree *t, uint32_t leaf, const struct mls_leaf_node *ln)
	__attribute__((warn_unused_result));

/*
 * mls_rtree_remove_leaf applies a Remove (section 12.1.3): leaf |leaf| and
 * its direct path are blanked, then the tree is halved while the right half
 * of the root holds only blank nodes (section 7.7; down to one leaf).
 * Returns 0, -EINVAL or -ENOENT (the leaf is blank already; the tree is
 * unchanged).
 */
int mls_rtree_remove_leaf(struct mls_rtree *t, uint32_t leaf) __attribute__((warn_unused_result));

/*
 * mls_rtree_set_parent sets parent node |x| to a copy of |p|, or blanks it
 * when |p| is NULL (merging an UpdatePath, section 7.5). |p|'s unmerged
 * leaves must pass mls_rtree_new's checks. Returns 0, -EINVAL (x not a
 * parent of the tree, bad unmerged leaves) or -ENOMEM; on failure the tree
 * is unchanged.
 */
int mls_rtree_set_parent(struct mls_rtree *t, uint32_t x, const struct mls_parent_node *p)
	__attribute__((warn_unused_result));

/* ---- mls_rtree_hash.c: hashes and validation --------------------------- */

/*
 * mls_rtree_tree_hash writes the tree hash of node |x| (section 7.8:
 * Hash(TreeHashInput) over its subtree; the root's is the GroupContext's
 * tree_hash) to |out| (Nh bytes). Returns 0, -EINVAL, -ENOMEM or an error of
 * mls_crypto.h.
 */
int mls_rtree_tree_hash(const struct mls_rtree *t, uint32_t x, uint8_t *out)
	__attribute__((warn_unused_result));

/*
 * mls_rtree_tree_hashes writes the tree hash of every node, node x's at
 * out + x * Nh, in one pass over the tree. |cap| must be at least
 * mls_rtree_n_nodes(t) * Nh (else -ENOSPC). Returns 0 or as above.
 */
int mls_rtree_tree_hashes(const struct mls_rtree *t, uint8_t *out, size_t cap)
	__attribute__((warn_unused_result));

/*
 * mls_rtree_parent_hash writes to |out| (Nh bytes) the parent hash of the
 * non-blank parent |p| with copath child |s| (section 7.9): Hash of
 * ParentHashInput{p's encryption_key, p's parent_hash, the original sibling
 * tree hash of s}, that is the tree hash of s with every leaf of
 * p.unmerged_leaves blanked and removed from the unmerged_leaves of the
 * parents under s. Returns 0, -EINVAL (p blank or not a parent, s not a
 * child of p), -ENOMEM or an error of mls_crypto.h.
 */
int mls_rtree_parent_hash(const struct mls_rtree *t, uint32_t p, uint32_t s, uint8_t *out)
	__attribute__((warn_unused_result));

/*
 * mls_rtree_verify_parent_hashes checks that every non-blank parent node is
 * parent-hash valid (section 7.9.2, "top down"): for each such P, exactly
 * one node D under it has a parent_hash field (a parent's, or a leaf's of
 * source commit) equal to the parent hash of P with the copath child S on
 * the other side, D is in the resolution of P's other child C, and that
 * resolution without D is exactly P's unmerged leaves under C. As every
 * such D is itself checked the same way, each P chains down to a leaf.
 * Returns 0, -EBADMSG when a node fails, -ENOMEM or an error of
 * mls_crypto.h.
 */
int mls_rtree_verify_parent_hashes(const struct mls_rtree *t) __attribute__((warn_unused_result));

/*
 * mls_rtree_verify_leaf checks the signature of leaf |leaf| (section 7.3):
 * VerifyWithLabel(signature_key, "LeafNodeTBS", LeafNodeTBS), where the TBS
 * carries |group_id| and the leaf index for the update and commit sources.
 * Returns 0, -EINVAL (outside the tree), -ENOENT (blank), -EBADMSG (a bad
 * signature or signature key), -ENOMEM or an error of mls_crypto.h.
 */
int mls_rtree_verify_leaf(const struct mls_rtree *t, uint32_t leaf, struct mls_bytes group_id)
	__attribute__((warn_unused_result));

/*
 * mls_rtree_verify validates a tree a member joins with (sections 7.3,
 * 7.9.2, 12.4.3.1), everything but the credentials (the Authentication
 * Service's job), the lifetimes (the caller's clock) and the tree hash
 * against the GroupInfo (compare mls_rtree_tree_hash of the root):
 *  - at least one leaf is non-blank;
 *  - every non-blank leaf: its signature with |group_id| (as
 *    mls_rtree_verify_leaf), encryption and signature keys of the suite's
 *    lengths, its credential type and non-default extension types listed
 *    in its capabilities, and the credential types of all leaves listed in
 *    the capabilities of every leaf;
 *  - every non-blank parent is parent-hash valid
 *    (mls_rtree_verify_parent_hashes) and has a key of the suite's length;
 *  - every unmerged leaf of a parent P is non-blank, and listed as unmerged
 *    by every non-blank parent between it and P;
 *  - no encryption key appears twice in the tree, no signature key twice
 *    among the leaves.
 * Returns 0, -EBADMSG on the first violation, -ENOMEM or an error of
 * mls_crypto.h.
 */
int mls_rtree_verify(const struct mls_rtree *t, struct mls_bytes group_id)
	__attribute__((warn_unused_result));

#endif
