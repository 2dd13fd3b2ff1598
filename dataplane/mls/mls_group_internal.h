/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_group_internal.h - the state behind mls_group.h, shared by its files:
 *   mls_group.c          signers, groups (create, copy, free, accessors),
 *                        installing an epoch, buffers
 *   mls_group_kp.c       KeyPackages (create, import, check, reference)
 *   mls_group_welcome.c  GroupInfo make / verify, Welcome make, join, and
 *                        external commits' GroupInfo side
 *   mls_group_commit.c   Commit create / process, handle
 *   mls_group_reinit.c   proposals this member makes (by value and as
 *                        messages) or receives, and ReInit
 * Not a public interface.
 */
#ifndef SB_MLS_GROUP_INTERNAL_H
#define SB_MLS_GROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mls_codec.h"
#include "mls_crypto.h"
#include "mls_framing.h"
#include "mls_group.h"
#include "mls_keysched.h"
#include "mls_msg.h"
#include "mls_rtree.h"
#include "mls_secret_tree.h"
#include "mls_treekem.h"

/* An owned, malloc'd byte string. */
struct grp_buf {
	uint8_t *p;
	size_t len;
};

struct mls_signer {
	const struct mls_suite *suite;
	EVP_PKEY *key;
	uint8_t priv[MLS_MAX_SIG_PRIV];		/* raw, secret */
	size_t priv_len;
	uint8_t pub[MLS_MAX_SIG_PUB];
	size_t pub_len;
	uint8_t *identity;			/* basic credential */
	size_t identity_len;
};

struct mls_kp {
	const struct mls_suite *suite;
	struct mls_signer *signer;		/* own copy */
	struct grp_buf msg;			/* MLSMessage(KeyPackage) */
	struct grp_buf kp;			/* the KeyPackage alone (inside msg) */
	struct grp_buf leaf;			/* its encoded LeafNode */
	uint8_t ref[MLS_MAX_HASH];		/* KeyPackageRef, Nh bytes */
	uint8_t init_priv[MLS_MAX_KEM_PRIV];	/* secret */
	size_t init_priv_len;
	uint8_t enc_priv[MLS_MAX_KEM_PRIV];	/* secret */
	size_t enc_priv_len;
	uint8_t init_pub[MLS_MAX_KEM_PUB];
	uint8_t enc_pub[MLS_MAX_KEM_PUB];
};

/* A proposal held for the next Commit. */
struct grp_proposal {
	struct grp_buf enc;		/* the encoded Proposal */
	uint8_t ref[MLS_MAX_HASH];	/* ProposalRef (received ones), Nh bytes */
	bool by_ref;			/* received in a message: committed by reference */
	struct mls_sender sender;	/* who proposed it */
	uint8_t leaf_priv[MLS_MAX_KEM_PRIV];	/* our own Update's new leaf key, secret */
	size_t leaf_priv_len;		/* kem_nsk for our own Update, else 0 */
};

struct grp_resumption {
	uint64_t epoch;
	uint8_t psk[MLS_MAX_HASH];	/* resumption_psk of that epoch, secret */
	bool used;
};

struct mls_group {
	const struct mls_suite *suite;
	struct mls_signer *signer;		/* own copy */
	struct grp_buf group_id;
	uint64_t epoch;
	struct mls_rtree *tree;
	struct mls_treekem_priv *priv;		/* own leaf and path keys */
	uint32_t own_leaf;
	bool active;

	/* GroupContext */
	struct grp_buf extensions;		/* encoded Extension extensions<V> of the context */
	uint8_t tree_hash[MLS_MAX_HASH];
	uint8_t confirmed[MLS_MAX_HASH];	/* confirmed_transcript_hash */
	size_t confirmed_len;			/* 0 in a new group's epoch 0, else Nh */
	uint8_t interim[MLS_MAX_HASH];		/* interim_transcript_hash */
	struct grp_buf context;			/* the encoded GroupContext */

	/* the epoch's secrets */
	struct mls_epoch_secrets secrets;
	uint8_t confirmation_tag[MLS_MAX_HASH];	/* of the Commit (or GroupInfo) that made it */
	struct mls_secret_tree *st;		/* handshake PrivateMessages */

	struct grp_resumption resumption[MLS_GROUP_RESUMPTION_KEEP];
	struct {
		struct grp_buf id;
		struct grp_buf psk;		/* secret */
	} psks[MLS_GROUP_MAX_PSKS];
	size_t n_psks;

	struct grp_proposal pending[MLS_GROUP_MAX_PENDING];
	size_t n_pending;

	/* set by a Commit of a ReInit (section 11.2): the group is closed */
	struct {
		bool pending;
		uint16_t version;
		uint16_t suite;
		struct grp_buf group_id;
		struct grp_buf extensions;	/* encoded Extension extensions<V> */
	} reinit;

	/*
	 * The resumption PSK of another group (the one a ReInit closed), which
	 * the first Commit of its successor, and its Welcome, name; held only
	 * while that Commit is made or that Welcome joined (grp_foreign_clear).
	 */
	struct {
		bool set;
		struct grp_buf group_id;
		uint64_t epoch;
		uint8_t psk[MLS_MAX_HASH];	/* secret */
		size_t len;
	} foreign;
};

/* ---- mls_group.c ---- */

void grp_buf_free(struct grp_buf *b);		/* frees, no wipe */
void grp_buf_wipe(struct grp_buf *b);		/* wipes and frees */
int grp_buf_set(struct grp_buf *b, const void *p, size_t len);	/* replaces with a copy */

/*
 * grp_encode runs |fn| on writers of growing size (4 KiB doubling up to
 * MLS_GROUP_MAX_MESSAGE) until it does not fail with -ENOSPC, and hands the
 * bytes over in |*out| (malloc'd).
 */
int grp_encode(int (*fn)(struct mls_writer *w, const void *arg), const void *arg,
	       struct grp_buf *out);

int grp_signer_copy(const struct mls_signer *sg, struct mls_signer **out);

/*
 * grp_decode_message decodes the whole of |msg| (at most
 * MLS_GROUP_MAX_MESSAGE bytes) as an MLSMessage of wire format |wire| into
 * |m| (views into msg, arrays in |a|). Returns 0, -EBADMSG,
 * -EPROTONOSUPPORT or -ENOMEM.
 */
int grp_decode_message(const uint8_t *msg, size_t len, uint16_t wire, struct mls_arena *a,
		       struct mls_message *m);

/* grp_new allocates an empty group for |sg|'s suite with a copy of |sg|. */
int grp_new(const struct mls_signer *sg, struct mls_group **out);

/*
 * grp_create is mls_group_create with the GroupContext extensions |ext|
 * (an encoded Extension extensions<V>, |ext_len| bytes; NULL and 0: none).
 */
int grp_create(const struct mls_signer *sg, const uint8_t *group_id, size_t group_id_len,
	       const uint8_t *ext, size_t ext_len, struct mls_group **out);

/*
 * grp_foreign_set makes |psk| (|len| bytes) the resumption PSK of epoch
 * |epoch| of group |group_id| that |g| knows (one at a time);
 * grp_foreign_clear wipes it.
 */
int grp_foreign_set(struct mls_group *g, const struct grp_buf *group_id, uint64_t epoch,
		    const uint8_t *psk, size_t len);
void grp_foreign_clear(struct mls_group *g);

/*
 * grp_context_view fills |gc| with views of |g|'s GroupContext fields;
 * |ext_arena| holds the decoded extension list. 0 or a negative errno.
 */
int grp_context_view(const struct mls_group *g, struct mls_arena *ext_arena,
		     struct mls_group_context *gc);

/*
 * grp_install makes |sec| the epoch's secrets: g's epoch, tree_hash,
 * confirmed hash and extensions must already be those of the new epoch.
 * Encodes the GroupContext, computes the interim transcript hash from
 * |confirmation_tag| (Nh bytes), makes the secret tree from
 * sec->encryption, remembers the resumption PSK, and clears the
 * pending proposals. |sec| is copied (the caller wipes its own).
 */
int grp_install(struct mls_group *g, const struct mls_epoch_secrets *sec,
		const uint8_t *confirmation_tag);

/*
 * The mls_framing_epoch sender_key callback of a group: |arg| is a struct
 * grp_keyctx. A member sender's key comes from its leaf; a
 * new_member_commit's from |commit_key| (the UpdatePath leaf's signature
 * key, set by the caller after peeking at the message). The key made is
 * kept in |key| for the caller to free (EVP_PKEY_free) after unprotecting.
 */
struct grp_keyctx {
	const struct mls_group *g;
	struct mls_bytes commit_key;
	EVP_PKEY *key;
};
EVP_PKEY *grp_sender_key(void *arg, const struct mls_sender *sender);

/* grp_framing_epoch fills the framing's view of |g|'s epoch with |kc| (kc->g = g). */
void grp_framing_epoch(struct mls_group *g, const struct mls_group_context *gc,
		       struct grp_keyctx *kc, struct mls_framing_epoch *ep);

/* grp_find_psk finds an external PSK by id; NULL when unknown. */
const struct grp_buf *grp_find_psk(const struct mls_group *g, const uint8_t *id, size_t len);

/* ---- mls_group_kp.c ---- */

/* grp_kp_ref computes the KeyPackageRef of an encoded KeyPackage (Nh bytes). */
int grp_kp_ref(const struct mls_suite *s, const uint8_t *kp, size_t len, uint8_t *out);

/*
 * grp_kp_check validates a decoded KeyPackage (section 10.1): version,
 * suite, leaf source, both signatures, init key != encryption key.
 */
int grp_kp_check(const struct mls_suite *s, const struct mls_key_package *kp, uint64_t now);

/* ---- mls_group_welcome.c ---- */

/* One member added by a Commit, for its Welcome. */
struct grp_new_member {
	const uint8_t *kp;		/* the encoded KeyPackage */
	size_t kp_len;
	uint32_t leaf;			/* where the Commit put it */
};

/*
 * grp_welcome_make makes the Welcome of a Commit: |g| is the committer's
 * group already in the new epoch (grp_install done), |joiner| the new
 * epoch's joiner_secret, |psk_ids| the encoded PreSharedKeyIDs of the
 * Commit (|n_psks| of them, concatenated), |ps| the path secrets of the
 * Commit's UpdatePath (NULL without one), |with_tree| whether the GroupInfo
 * carries the ratchet tree and |external_pub| the external_pub extension.
 * Writes the MLSMessage to |out|.
 */
int grp_welcome_make(const struct mls_group *g, const uint8_t *joiner,
		     const uint8_t *psk_ids, size_t psk_ids_len, size_t n_psks,
		     const struct mls_treekem_path_secrets *ps,
		     const struct grp_new_member *members, size_t n_members, bool with_tree,
		     bool external_pub, struct grp_buf *out);

/*
 * grp_group_info_make encodes a signed GroupInfo of |g|'s epoch (its
 * confirmation tag, |g|'s signer) with the optional ratchet_tree and
 * external_pub extensions. |out| gets the bare GroupInfo, not an
 * MLSMessage: prefix it with uint16 version mls10 and uint16 wire format
 * mls_group_info (4 bytes) to publish it.
 */
int grp_group_info_make(const struct mls_group *g, bool with_tree, bool external_pub,
			struct grp_buf *out);

/*
 * grp_psk_secret computes the psk_secret (Nh bytes) of a list of
 * PreSharedKeyIDs (decoded): external PSKs are looked up in |g|
 * (grp_find_psk), then in |psks| (|n_known| of them, a joiner's list);
 * resumption PSKs in |g|'s resumption PSKs (same group_id, by epoch).
 * |g| is required (its suite); a joiner passes its group under
 * construction. Returns 0, -ENOENT for a PSK not known, -EBADMSG for a
 * psk_nonce that is not Nh bytes, or a crypto error.
 */
int grp_psk_secret(const struct mls_group *g, const struct mls_group_psk *psks, size_t n_known,
		   const struct mls_psk_id *ids, size_t n_ids, uint8_t *out);

/* A GroupInfo received and verified (external commits, section 12.4.3.2). */
struct grp_group_info {
	const struct mls_suite *suite;
	struct mls_arena arena;			/* the decoded structures' arrays */
	struct grp_buf msg;			/* copy of the MLSMessage: |gi| views into it */
	struct mls_group_info gi;		/* decoded GroupInfo */
	struct mls_rtree *tree;			/* the verified tree (owned; take it and NULL it) */
	struct mls_bytes external_pub;		/* the external_pub key (kem_npk bytes); len 0: none */
};

/*
 * grp_group_info_verify decodes |msg| (an MLSMessage of wire format
 * mls_group_info) into |out| and verifies it as a joiner must (section
 * 12.4.3.1, but the confirmation tag, which needs the epoch's secrets):
 * the suite is |s| (NULL: any supported), the tree (the ratchet_tree
 * extension, else o->ratchet_tree; -EINVAL when neither) has the
 * GroupContext's tree hash and passes mls_rtree_verify, the signer leaf
 * exists and the GroupInfo's signature verifies with its key, and an
 * external_pub extension holds a key of the suite's length. Returns 0 or a
 * negative errno (-EBADMSG, -EPROTONOSUPPORT, -EINVAL, -ENOMEM); free
 * |out| with grp_group_info_cleanup either way.
 */
int grp_group_info_verify(const struct mls_suite *s, const uint8_t *msg, size_t len,
			  const struct mls_join_opts *o, struct grp_group_info *out);

/* grp_group_info_cleanup frees what |gi| holds (its tree unless taken); |gi| may be zeroed. */
void grp_group_info_cleanup(struct grp_group_info *gi);

/* ---- mls_group_commit.c ---- */

/*
 * grp_pending_add keeps proposal |p| from |sender| for the next Commit:
 * by reference when |ref| (its ProposalRef, Nh bytes) is not NULL, by
 * value otherwise. |*out| (may be NULL) gets the entry. -ENOSPC when full.
 */
int grp_pending_add(struct mls_group *g, const struct mls_proposal *p,
		    const struct mls_sender *sender, const uint8_t *ref,
		    struct grp_proposal **out);

/* grp_pending_decode decodes a kept proposal (views into gp->enc, arrays in |a|). */
int grp_pending_decode(const struct grp_proposal *gp, struct mls_arena *a,
		       struct mls_proposal *out);

/* grp_sig_key_in_tree tells whether a leaf of |t| other than |skip| has signature key |key|. */
bool grp_sig_key_in_tree(const struct mls_rtree *t, struct mls_bytes key, uint32_t skip);

/* grp_proposal_ref: RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent), Nh bytes. */
int grp_proposal_ref(const struct mls_suite *s, const struct mls_authenticated_content *ac,
		     uint8_t *ref);

/* ---- mls_group_reinit.c ---- */

/*
 * grp_proposal_received checks a proposal received from a member (the
 * checks that need no Commit) and keeps it by reference: 0, -EINVAL (our
 * own: it was kept when made), -EBADMSG, -EPROTONOSUPPORT (an external
 * sender, an unknown type) or -ENOMEM. Fills |ev| (may be NULL).
 */
int grp_proposal_received(struct mls_group *g, const struct mls_authenticated_content *ac,
			  struct mls_group_event *ev);

/*
 * grp_ext_supported tells whether every non-blank leaf of |t| supports the
 * GroupContext extensions |ext| (section 12.1.7): each type other than the
 * default ones (1-5) is in the leaf's capabilities, and so is everything a
 * required_capabilities extension asks for. grp_ext_leaf_supported is the
 * same for one leaf.
 */
bool grp_ext_supported(const struct mls_rtree *t, const struct mls_extension_list *ext);
bool grp_ext_leaf_supported(const struct mls_leaf_node *ln, const struct mls_extension_list *ext);

/* grp_ext_unique tells whether no extension type appears twice in |l| (section 13). */
bool grp_ext_unique(const struct mls_extension_list *l);

/*
 * grp_reinit_check checks a ReInit proposal (section 12.2): version at
 * least mls10, a group_id of 1 .. MLS_GROUP_MAX_ID bytes, extension types
 * unique. 0 or -EBADMSG.
 */
int grp_reinit_check(const struct mls_reinit *ri);

/* grp_reinit_set closes provisional group |n| with the parameters of |ri|. */
int grp_reinit_set(struct mls_group *n, const struct mls_reinit *ri);

/*
 * grp_reinit_join_psk looks at a Welcome's PreSharedKeyIDs for a
 * resumption PSK of usage reinit and, when there is one, checks it
 * against o->reinit_from (-ENOENT without one; -EBADMSG when it is not
 * closed by a ReInit, names another group or epoch, or there are two) and
 * gives joiner |g| that PSK (grp_foreign_set). |*from| is the closed
 * group, NULL when the Welcome is not a ReInit's.
 */
int grp_reinit_join_psk(struct mls_group *g, const struct mls_join_opts *o,
			const struct mls_psk_id *ids, size_t n_ids,
			const struct mls_group **from);

/*
 * grp_reinit_join_check checks a successor's GroupContext against the
 * ReInit that closed |from| (section 12.4.3.1): epoch 1, the ReInit's
 * group_id, version, cipher suite and extensions. 0 or -EBADMSG.
 */
int grp_reinit_join_check(const struct mls_group *from, const struct mls_group_context *gc);

#endif
