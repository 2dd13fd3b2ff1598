/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_treekem.h - TreeKEM (RFC 9420 sections 7.4-7.6, 7.9, 12.4.1-12.4.2):
 * a member's private keys for its leaf and direct path, and the UpdatePath
 * of a Commit, created by the committer and processed by the others, on the
 * public tree of mls_rtree.h.
 *
 *   path_secret[0]  random (creator) or decrypted (recipient)
 *   path_secret[n]  = DeriveSecret(path_secret[n-1], "path")
 *   node_secret[n]  = DeriveSecret(path_secret[n], "node")
 *   node key pair   = KEM.DeriveKeyPair(node_secret[n])
 *   commit_secret   = DeriveSecret(path_secret[last], "path")
 *
 * path_secret[i] belongs to the i-th node of the sender's filtered direct
 * path and is encrypted, with EncryptWithLabel(., "UpdatePathNode",
 * GroupContext, .), to each node of the resolution of that node's copath
 * child, the leaves added by the same Commit excluded.
 *
 * The GroupContext of those encryptions is the provisional one of the new
 * epoch: callers pass a template whose tree_hash is ignored and replaced by
 * the root hash of the tree after the path is merged.
 *
 * Secrets: a struct mls_treekem_priv holds HPKE private keys; it is wiped
 * with OPENSSL_cleanse when keys are replaced and when it is freed. Path,
 * node and commit secrets in flight are wiped before return. Not
 * thread-safe: one caller per private state and per tree being changed.
 *
 * Errors: negative errno values, those of mls_rtree.h and mls_crypto.h, and
 *   -EBADMSG  an UpdatePath that does not fit the tree (length, parent hash,
 *             leaf source, ciphertext count or size, a derived public key
 *             differing from the one sent), or a private key not matching
 *             the tree
 *   -ENOENT   the recipient holds no private key for any node it was sent
 *             a path secret for
 */
#ifndef SB_MLS_TREEKEM_H
#define SB_MLS_TREEKEM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mls_arena.h"
#include "mls_crypto.h"
#include "mls_msg.h"
#include "mls_rtree.h"
#include "mls_tree.h"

struct mls_treekem_priv;

/*
 * mls_treekem_priv_new makes the private state of the member at leaf
 * |leaf| holding its leaf's HPKE private key |leaf_priv| (kem_nsk bytes,
 * copied). Free it with mls_treekem_priv_free. Returns 0, -EINVAL or
 * -ENOMEM.
 */
int mls_treekem_priv_new(const struct mls_suite *s, uint32_t leaf, const uint8_t *leaf_priv,
			 size_t len, struct mls_treekem_priv **out)
	__attribute__((warn_unused_result));

/* mls_treekem_priv_copy makes an independent copy of |p| in |*out|: 0, -EINVAL or -ENOMEM. */
int mls_treekem_priv_copy(const struct mls_treekem_priv *p, struct mls_treekem_priv **out)
	__attribute__((warn_unused_result));

/* mls_treekem_priv_free wipes and frees |p|; accepts NULL. */
void mls_treekem_priv_free(struct mls_treekem_priv *p);

/*
 * mls_treekem_priv_set_path_secret derives the key pair of node |node| of
 * the member's direct path from |path_secret| (Nh bytes; a joiner's path
 * secret from a Welcome, or a stored state) and keeps its private key,
 * replacing any it had. Returns 0, -EINVAL (node not on the direct path of
 * the member's leaf in a tree of |n_leaves| leaves, a wrong length) or an
 * error of mls_crypto.h.
 */
int mls_treekem_priv_set_path_secret(struct mls_treekem_priv *p, uint32_t n_leaves, uint32_t node,
				     const uint8_t *path_secret, size_t len)
	__attribute__((warn_unused_result));

/*
 * mls_treekem_priv_check checks |p| against tree |t|: every private key it
 * holds is that of the public key in the same, non-blank node. Returns 0,
 * -EBADMSG or an error of mls_crypto.h.
 */
int mls_treekem_priv_check(const struct mls_treekem_priv *p, const struct mls_rtree *t)
	__attribute__((warn_unused_result));

/*
 * mls_treekem_merge merges |path| from the member at leaf |sender| into |t|
 * (section 7.5): the sender's direct path is blanked, its leaf replaced by
 * path->leaf_node, each node of its filtered direct path gets the path's
 * key, no unmerged leaves and the parent hash of the node above, and the
 * leaf's parent_hash must be that of the lowest one (section 7.9.2).
 * Returns 0, -EINVAL, -ENOENT (the sender's leaf is blank), -EBADMSG (a
 * path of the wrong length, keys of the wrong length, a leaf not of source
 * commit, a wrong parent hash) or -ENOMEM. On -EBADMSG or -ENOMEM |t| is
 * left part-merged: merge into a provisional copy (mls_rtree_copy).
 */
int mls_treekem_merge(struct mls_rtree *t, uint32_t sender, const struct mls_update_path *path)
	__attribute__((warn_unused_result));

/*
 * mls_treekem_process decrypts |path| from |sender| for the member of |p|
 * (section 7.5), |t| being the tree with the path merged already
 * (mls_treekem_merge). It finds the lowest node of the sender's filtered
 * direct path whose copath child holds the member, decrypts its path
 * secret with the key |p| has for a node of that child's resolution (minus
 * the |n_new| leaves of |new_leaves|, added by the same Commit), derives
 * the path secrets above, checks every derived public key against the
 * path, and writes the decrypted path secret (Nh bytes, when |path_secret|
 * is not NULL) and the commit secret (Nh bytes) out. On success |p| holds
 * the new private keys of the nodes it shares with the sender's path and
 * none for the others of that path. Returns 0, -EINVAL (the member is the
 * sender or outside the sender's copath), -ENOENT, -EBADMSG, or an error of
 * mls_crypto.h; |p| is unchanged on failure.
 */
int mls_treekem_process(struct mls_treekem_priv *p, const struct mls_rtree *t, uint32_t sender,
			const struct mls_update_path *path, const struct mls_group_context *gc,
			const uint32_t *new_leaves, size_t n_new, uint8_t *path_secret,
			uint8_t *commit_secret) __attribute__((warn_unused_result));

/*
 * mls_treekem_create makes a fresh UpdatePath for the member of |p|
 * (sections 7.4-7.6): a new leaf key pair, path secrets from a random
 * first one, a new LeafNode (the old one's fields, source commit, the new
 * encryption key, its parent hash, signed with |sig_key| over |group_id|
 * and the leaf index), merges it into |t| and encrypts each path secret to
 * the copath resolutions (minus |new_leaves|). |*out|'s arrays and bytes
 * are allocated from |a| (valid until its cleanup); |commit_secret| gets
 * Nh bytes. On success |p| holds the new leaf and path keys. Returns 0,
 * -EINVAL, -ENOENT (the member's leaf is blank), -ENOMEM or an error of
 * mls_crypto.h; on failure |p| is unchanged and |t| may be part-merged.
 */
int mls_treekem_create(struct mls_treekem_priv *p, struct mls_rtree *t, EVP_PKEY *sig_key,
		       struct mls_bytes group_id, const struct mls_group_context *gc,
		       const uint32_t *new_leaves, size_t n_new, struct mls_arena *a,
		       struct mls_update_path *out, uint8_t *commit_secret)
	__attribute__((warn_unused_result));

/* The path secrets a creator made, per node of its filtered direct path (secret). */
struct mls_treekem_path_secrets {
	int n;
	uint32_t node[MLS_TREE_MAX_DEPTH];			/* filtered direct path, bottom up */
	uint8_t secret[MLS_TREE_MAX_DEPTH][MLS_MAX_HASH];	/* path_secret of node[i], Nh bytes */
};

/*
 * mls_treekem_create_ex is mls_treekem_create that also writes the path
 * secrets to |*secrets| (when not NULL): a Welcome gives a new member the
 * path secret of the lowest node it shares with the creator (section
 * 12.4.3.1). Wipe them with mls_treekem_path_secrets_wipe.
 */
int mls_treekem_create_ex(struct mls_treekem_priv *p, struct mls_rtree *t, EVP_PKEY *sig_key,
			  struct mls_bytes group_id, const struct mls_group_context *gc,
			  const uint32_t *new_leaves, size_t n_new, struct mls_arena *a,
			  struct mls_update_path *out, uint8_t *commit_secret,
			  struct mls_treekem_path_secrets *secrets)
	__attribute__((warn_unused_result));

/* mls_treekem_path_secrets_wipe wipes |s| (NULL ok). */
void mls_treekem_path_secrets_wipe(struct mls_treekem_path_secrets *s);

#endif
