/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_secret_tree.h - the secret tree, its per-leaf ratchets and the
 * sender-data keys (RFC 9420 sections 9, 9.1, 9.2 and 6.3.2).
 *
 * Secret tree: the root secret is the epoch's encryption_secret; a parent
 * gives its children
 *   left  = ExpandWithLabel(parent, "tree", "left",  Nh)
 *   right = ExpandWithLabel(parent, "tree", "right", Nh)
 * and a leaf's secret starts two ratchets:
 *   handshake_[0]   = ExpandWithLabel(leaf, "handshake",   "", Nh)
 *   application_[0] = ExpandWithLabel(leaf, "application", "", Nh)
 * Node secrets are derived on demand and wiped as soon as both children
 * exist (section 9.2 deletion schedule): only the unvisited frontier is kept.
 *
 * Ratchet: generation j's secret s_j gives
 *   key   = DeriveTreeSecret(s_j, "key",    j, Nk)
 *   nonce = DeriveTreeSecret(s_j, "nonce",  j, Nn)
 *   s_j+1 = DeriveTreeSecret(s_j, "secret", j, Nh)
 * and s_j is wiped once s_j+1 exists. A sender takes generations in order
 * (mls_ratchet_next). A receiver may be handed any generation
 * (mls_ratchet_get): going forward, the keys of skipped generations are
 * kept in a window of MLS_RATCHET_WINDOW (the oldest dropped first) for
 * late messages; a key is wiped once used, so a replay finds nothing.
 * A forward jump of more than MLS_RATCHET_MAX_FORWARD generations is
 * refused: each step costs three HKDF calls and the generation is chosen by
 * the (possibly hostile) sender.
 *
 * struct mls_ratchet has a fixed size and never allocates: the data plane
 * keeps ratchets in per-lcore memory. The secret tree allocates at init.
 *
 * Errors: -EINVAL bad arguments; -ENOENT the generation's key is gone
 * (used, dropped from the window, or older than the ratchet); -ERANGE the
 * generation is too far ahead; -EOVERFLOW the ratchet is at generation
 * 2^32 - 1; -ENOMEM; the errors of mls_crypto.h.
 */
#ifndef SB_MLS_SECRET_TREE_H
#define SB_MLS_SECRET_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mls_crypto.h"

/* Keys of skipped generations kept per ratchet for late messages. */
#define MLS_RATCHET_WINDOW 32
/* The most generations one received message may move a ratchet forward. */
#define MLS_RATCHET_MAX_FORWARD 1024

/* The key and nonce of one generation. */
struct mls_ratchet_key {
	uint32_t generation;
	bool valid;
	uint8_t key[MLS_MAX_AEAD_KEY];
	uint8_t nonce[MLS_MAX_AEAD_NONCE];
};

struct mls_ratchet {
	const struct mls_suite *suite;
	uint8_t secret[MLS_MAX_HASH];	/* s_next */
	uint32_t next;			/* the generation of |secret| */
	bool exhausted;			/* generation 2^32 - 1 was handed out */
	uint32_t window_pos;		/* the slot the next skipped key goes to */
	struct mls_ratchet_key window[MLS_RATCHET_WINDOW];
};

/*
 * mls_ratchet_init starts |r| at generation |generation| from |secret|
 * (Nh bytes; usually generation 0 and a leaf's handshake or application
 * secret). Returns 0 or -EINVAL.
 */
int mls_ratchet_init(struct mls_ratchet *r, const struct mls_suite *s, const uint8_t *secret,
		     uint32_t generation) __attribute__((warn_unused_result));

/*
 * mls_ratchet_next hands out the next generation for sending: |*generation|,
 * |key| (Nk bytes) and |nonce| (Nn bytes), and moves the ratchet past it.
 * Returns 0, -EOVERFLOW (the ratchet is used up: the group must move to a
 * new epoch) or a crypto error.
 */
int mls_ratchet_next(struct mls_ratchet *r, uint32_t *generation, uint8_t *key, uint8_t *nonce)
	__attribute__((warn_unused_result));

/*
 * mls_ratchet_get gives the key and nonce of |generation| for receiving
 * and forgets them (each generation opens one message). Returns 0,
 * -ENOENT, -ERANGE, -EOVERFLOW or a crypto error; on an error the ratchet
 * is unchanged.
 */
int mls_ratchet_get(struct mls_ratchet *r, uint32_t generation, uint8_t *key, uint8_t *nonce)
	__attribute__((warn_unused_result));

/* mls_ratchet_wipe wipes every secret and key of |r|. */
void mls_ratchet_wipe(struct mls_ratchet *r);

/* The two ratchets of a leaf. */
enum mls_ratchet_type {
	MLS_RATCHET_HANDSHAKE,
	MLS_RATCHET_APPLICATION,
};

struct mls_secret_tree;

/*
 * mls_secret_tree_new makes the secret tree of an epoch with |n_leaves|
 * leaves (1 .. 2^30; the tree is the smallest full tree holding them) from
 * |encryption_secret| (Nh bytes). Returns the tree (free with
 * mls_secret_tree_free) or NULL (bad arguments or out of memory).
 */
struct mls_secret_tree *mls_secret_tree_new(const struct mls_suite *s,
					    const uint8_t *encryption_secret,
					    uint32_t n_leaves);

/* mls_secret_tree_free wipes and frees |t| (NULL is fine). */
void mls_secret_tree_free(struct mls_secret_tree *t);

/*
 * mls_secret_tree_ratchet returns in |*out| the ratchet of |type| for leaf
 * |leaf| (deriving the leaf's secrets on first use). The ratchet belongs to
 * the tree. Returns 0, -EINVAL (leaf out of range) or a crypto error.
 */
int mls_secret_tree_ratchet(struct mls_secret_tree *t, uint32_t leaf, enum mls_ratchet_type type,
			    struct mls_ratchet **out) __attribute__((warn_unused_result));

/*
 * mls_secret_tree_leaf_secrets derives leaf |leaf|'s two ratchet secrets
 * (Nh bytes each; either may be NULL) without starting ratchets in the
 * tree: the control process hands these to the data plane. The leaf's
 * secret is consumed as by mls_secret_tree_ratchet; a later call for the
 * same leaf returns -ENOENT.
 */
int mls_secret_tree_leaf_secrets(struct mls_secret_tree *t, uint32_t leaf,
				 uint8_t *handshake, uint8_t *application)
	__attribute__((warn_unused_result));

/*
 * mls_sender_data_keys derives the key (Nk) and nonce (Nn) that protect a
 * PrivateMessage's SenderData (section 6.3.2): ExpandWithLabel over
 * sender_data_secret with the first Nh bytes of the content ciphertext (all
 * of it when shorter) as context.
 */
int mls_sender_data_keys(const struct mls_suite *s, const uint8_t *sender_data_secret,
			 const uint8_t *ciphertext, size_t ciphertext_len,
			 uint8_t *key, uint8_t *nonce) __attribute__((warn_unused_result));

#endif
