/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_group.h - group management for the control process (RFC 9420
 * sections 10-12): signing identities, KeyPackages, creating a group,
 * proposals, Commit create and process, Welcome create and process,
 * external commits, the epoch authenticator and exporter, and what the
 * data plane needs of an epoch.
 *
 * A struct mls_group is one member's view of one group at its current
 * epoch: the ratchet tree, the member's private path keys (TreeKEM), the
 * GroupContext and transcript hashes, the epoch secrets, the secret tree
 * for handshake PrivateMessages, the proposals received in the epoch, the
 * resumption PSKs of the last MLS_GROUP_RESUMPTION_KEEP epochs and the
 * external PSKs the member knows.
 *
 * Sans-I/O: messages go in and out as bytes (complete MLSMessages); who
 * carries them, and in which order (the Delivery Service of RFC 9420
 * section 14), is the caller's business.
 *
 * Committing: mls_group_commit makes a Commit of the proposals queued with
 * mls_group_propose_* (by value) and those received in the epoch (by
 * reference), a Welcome for the members it adds, and moves |g| to the new
 * epoch at once. The caller must deliver the Commit before it uses the new
 * epoch; if the Delivery Service rejects it, drop the group (or keep a
 * copy made with mls_group_copy before committing).
 *
 * Proposing to the others: mls_group_propose_update_msg and
 * mls_group_proposal_message make a proposal MLSMessage from this member
 * for any member to commit by reference; the member keeps its own copy as
 * if received (section 12.1).
 *
 * Receiving: mls_group_handle takes any handshake MLSMessage of the group
 * (PublicMessage or PrivateMessage): a proposal is validated and kept for
 * the next Commit, a commit is validated in full (section 12.4.2: proposal
 * list rules, UpdatePath, parent hashes, confirmation tag) and moves the
 * group to the new epoch. On any failure |g| is unchanged.
 *
 * Re-initialisation (section 11.2): a Commit of a ReInit moves the group
 * to a last epoch and closes it (mls_group_reinit_pending); its members
 * then make and join a successor group (mls_group_reinit_create,
 * mls_join_opts.reinit_from) tied to it by a resumption PSK.
 *
 * Secrets: every secret this module holds (epoch secrets, path keys,
 * private keys of KeyPackages and signers, PSKs) is wiped when replaced and
 * when freed (OPENSSL_cleanse). Nothing is logged.
 *
 * Threads: an object is used by one thread at a time; different objects
 * are independent. Everything here allocates: this is the slow path.
 *
 * Errors are negative errno values:
 *   -EINVAL   bad arguments, or an operation the group's state refuses (a
 *             member removed from the group, an unknown leaf)
 *   -EBADMSG  malformed input, a bad signature, tag or MAC, an invalid
 *             proposal list, a tree or key that does not verify
 *   -ESTALE   a message for another group or epoch
 *   -ENOENT   no secret for this member in a Welcome, an unknown proposal
 *             reference, an unknown PSK
 *   -EPROTONOSUPPORT  a version, cipher suite, credential or proposal type
 *             this implementation does not support
 *   -ESHUTDOWN  the group is closed by a ReInit (mls_group_reinit_pending):
 *             no more proposals, Commits or handshake messages
 *   -ENOMEM, and the errors of mls_crypto.h
 */
#ifndef SB_MLS_GROUP_H
#define SB_MLS_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mls_crypto.h"

#define MLS_GROUP_MAX_ID 255			/* bytes of a group_id we create or accept */
#define MLS_GROUP_MAX_IDENTITY 1024		/* bytes of a basic credential's identity */
#define MLS_GROUP_RESUMPTION_KEEP 8		/* past epochs whose resumption PSK is kept */
#define MLS_GROUP_MAX_PSKS 64			/* external PSKs a group knows */
#define MLS_GROUP_MAX_PENDING 256		/* proposals held for the next Commit */
#define MLS_GROUP_MAX_MESSAGE (16u << 20)	/* bytes of a handshake message accepted */

/* ---- signing identity ---------------------------------------------------- */

struct mls_signer;

/*
 * mls_signer_new makes a signing identity in suite |s| with a basic
 * credential holding |identity| (1 .. MLS_GROUP_MAX_IDENTITY bytes): the
 * signature key is |sig_priv| (the raw private key of mls_crypto.h) or, when
 * it is NULL, a new one. Returns 0, -EINVAL, -ENOMEM or a crypto error.
 */
int mls_signer_new(const struct mls_suite *s, const uint8_t *identity, size_t identity_len,
		   const uint8_t *sig_priv, size_t sig_priv_len, struct mls_signer **out)
	__attribute__((warn_unused_result));

/* mls_signer_free wipes and frees |sg| (NULL ok). Objects made from it keep their own copy. */
void mls_signer_free(struct mls_signer *sg);

/* mls_signer_pub returns the raw signature public key and its length. */
const uint8_t *mls_signer_pub(const struct mls_signer *sg, size_t *len);

/* mls_signer_key returns the signature key (owned by |sg|). */
EVP_PKEY *mls_signer_key(const struct mls_signer *sg);

/* ---- KeyPackages ----------------------------------------------------------- */

/* A KeyPackage this member made, with its private keys (init and leaf encryption). */
struct mls_kp;

/*
 * mls_kp_create makes a KeyPackage for |sg| (new init and encryption key
 * pairs, a leaf of source key_package valid from |not_before| to
 * |not_after|, seconds since the epoch, both signed). Returns 0 or a
 * negative errno.
 */
int mls_kp_create(const struct mls_signer *sg, uint64_t not_before, uint64_t not_after,
		  struct mls_kp **out) __attribute__((warn_unused_result));

/*
 * mls_kp_import takes a KeyPackage made elsewhere (|msg|, an MLSMessage of
 * wire format mls_key_package) with its three private keys, and checks
 * that each private key is that of the public key in the KeyPackage and
 * that the KeyPackage and its leaf verify. Returns 0, -EBADMSG (a key
 * that does not match, a bad signature), -EPROTONOSUPPORT or -ENOMEM.
 */
int mls_kp_import(const uint8_t *msg, size_t len, const uint8_t *init_priv, size_t init_len,
		  const uint8_t *enc_priv, size_t enc_len, const uint8_t *sig_priv, size_t sig_len,
		  struct mls_kp **out) __attribute__((warn_unused_result));

/* mls_kp_free wipes and frees |kp| (NULL ok). */
void mls_kp_free(struct mls_kp *kp);

/* mls_kp_message returns the KeyPackage as an MLSMessage (to publish) and its length. */
const uint8_t *mls_kp_message(const struct mls_kp *kp, size_t *len);

/* mls_kp_suite returns the KeyPackage's cipher suite. */
const struct mls_suite *mls_kp_suite(const struct mls_kp *kp);

/*
 * mls_key_package_check validates a KeyPackage received to be added
 * (section 10.1): an MLSMessage of wire format mls_key_package, version
 * mls10, suite |s|, a leaf of source key_package, both signatures, and an
 * init key different from the encryption key. |now| (seconds) is checked
 * against the lifetime unless it is 0. Returns 0, -EBADMSG or
 * -EPROTONOSUPPORT.
 */
int mls_key_package_check(const struct mls_suite *s, const uint8_t *msg, size_t len,
			  uint64_t now) __attribute__((warn_unused_result));

/* ---- a group --------------------------------------------------------------- */

struct mls_group;

/*
 * mls_group_create makes a new group (epoch 0) with |sg| as its only
 * member, at leaf 0, under |group_id| (1 .. MLS_GROUP_MAX_ID bytes; use
 * random bytes unless the application names its groups). Returns 0 or a
 * negative errno.
 */
int mls_group_create(const struct mls_signer *sg, const uint8_t *group_id, size_t group_id_len,
		     struct mls_group **out) __attribute__((warn_unused_result));

/* A PSK the member knows (external PSKs: section 8.4). */
struct mls_group_psk {
	const uint8_t *id;
	size_t id_len;
	const uint8_t *psk;
	size_t psk_len;
};

/* How to join from a Welcome. */
struct mls_join_opts {
	/*
	 * The ratchet tree (optional<Node> ratchet_tree<V>, the body of the
	 * ratchet_tree extension) when the Welcome's GroupInfo has none;
	 * NULL when it does.
	 */
	const uint8_t *ratchet_tree;
	size_t ratchet_tree_len;
	const struct mls_group_psk *psks;	/* external PSKs the Welcome may name */
	size_t n_psks;
	/*
	 * The group a ReInit closed, when the Welcome is for its successor
	 * (section 11.2): its resumption PSK (usage reinit) is the one the
	 * Welcome names. NULL otherwise.
	 */
	const struct mls_group *reinit_from;
};

/*
 * mls_group_join joins from |welcome| (an MLSMessage of wire format
 * mls_welcome) as the member of KeyPackage |kp| (section 12.4.3.1): finds
 * and decrypts its GroupSecrets, derives the PSK secret, decrypts and
 * verifies the GroupInfo, validates the ratchet tree (section 12.4.3.3),
 * finds its leaf, takes the path secret, runs the key schedule and checks
 * the confirmation tag. |kp| is not consumed (the caller should free it:
 * a KeyPackage is used once). Returns 0 or a negative errno.
 *
 * A Welcome whose GroupSecrets name a resumption PSK of usage reinit
 * (section 12.4.3.1) needs o->reinit_from (else -ENOENT, an unknown PSK):
 * it must be closed by a ReInit (mls_group_reinit_pending), the PSK must
 * be of its group_id and current epoch, and the new group must be at
 * epoch 1 with the ReInit's group_id, version, cipher suite and
 * extensions; -EBADMSG otherwise.
 */
int mls_group_join(const struct mls_kp *kp, const uint8_t *welcome, size_t len,
		   const struct mls_join_opts *o, struct mls_group **out)
	__attribute__((warn_unused_result));

/* mls_group_copy makes an independent copy of |g| (its secrets included). */
int mls_group_copy(const struct mls_group *g, struct mls_group **out)
	__attribute__((warn_unused_result));

/* mls_group_free wipes and frees |g| (NULL ok). */
void mls_group_free(struct mls_group *g);

/* ---- state ----------------------------------------------------------------- */

const struct mls_suite *mls_group_suite(const struct mls_group *g);
const uint8_t *mls_group_id(const struct mls_group *g, size_t *len);
uint64_t mls_group_epoch(const struct mls_group *g);
uint32_t mls_group_own_leaf(const struct mls_group *g);
uint32_t mls_group_n_leaves(const struct mls_group *g);	/* blank leaves included */
uint32_t mls_group_n_members(const struct mls_group *g);
/* mls_group_active is false once a Commit has removed this member. */
bool mls_group_active(const struct mls_group *g);

/*
 * mls_group_member returns the identity (basic credential) and signature
 * public key of leaf |leaf|: 0, or -ENOENT for a blank or absent leaf.
 * The pointers are valid until the group next changes.
 */
int mls_group_member(const struct mls_group *g, uint32_t leaf, const uint8_t **identity,
		     size_t *identity_len, const uint8_t **sig_pub, size_t *sig_pub_len)
	__attribute__((warn_unused_result));

/* mls_group_find_member returns the leaf of the member with |identity|, or -ENOENT. */
int mls_group_find_member(const struct mls_group *g, const uint8_t *identity, size_t len);

/* mls_group_epoch_authenticator copies the epoch authenticator (Nh bytes, section 8.7). */
int mls_group_epoch_authenticator(const struct mls_group *g, uint8_t *out)
	__attribute__((warn_unused_result));

/* mls_group_export_secret: MLS-Exporter(label, context, out_len) of the epoch (section 8.5). */
int mls_group_export_secret(const struct mls_group *g, const void *label, size_t label_len,
			    const uint8_t *context, size_t context_len, uint8_t *out,
			    size_t out_len) __attribute__((warn_unused_result));

/*
 * mls_group_ratchet_tree writes the ratchet tree (the ratchet_tree
 * extension body) to a malloc'd buffer, for a joiner told to get the tree
 * out of band. Free it with free().
 */
int mls_group_ratchet_tree(const struct mls_group *g, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));

/* mls_group_psk_add makes an external PSK known to |g| (copied). -ENOSPC when full. */
int mls_group_psk_add(struct mls_group *g, const struct mls_group_psk *psk)
	__attribute__((warn_unused_result));

/* ---- proposals and commits ------------------------------------------------- */

/*
 * Queue a proposal for this member's next Commit (by value). Each is
 * checked against the group at once: an Add's KeyPackage (and that its
 * member is not already in the group), a Remove's leaf, a known PSK.
 * Return 0 or a negative errno; -ENOSPC beyond MLS_GROUP_MAX_PENDING,
 * -ESHUTDOWN in a group closed by a ReInit.
 */
int mls_group_propose_add(struct mls_group *g, const uint8_t *kp_msg, size_t len)
	__attribute__((warn_unused_result));
int mls_group_propose_remove(struct mls_group *g, uint32_t leaf)
	__attribute__((warn_unused_result));
int mls_group_propose_psk(struct mls_group *g, const uint8_t *psk_id, size_t len)
	__attribute__((warn_unused_result));

/*
 * mls_group_propose_gce queues a GroupContextExtensions proposal (section
 * 12.1.7): |ext| is an encoded Extension extensions<V>, the whole new list
 * (NULL and 0: the empty list). -EINVAL when it does not decode, names a
 * type twice, or has an extension type (other than the default types 1-5)
 * or a required_capabilities entry that some member's leaf capabilities
 * do not list.
 */
int mls_group_propose_gce(struct mls_group *g, const uint8_t *ext, size_t ext_len)
	__attribute__((warn_unused_result));

/*
 * mls_group_propose_reinit queues a ReInit proposal (section 12.1.5) to
 * version mls10, cipher suite |suite| (-EPROTONOSUPPORT unless
 * mls_suite_get knows it), new group_id |group_id| (1 .. MLS_GROUP_MAX_ID
 * bytes) and GroupContext extensions |ext| (an encoded extension list as
 * for mls_group_propose_gce; NULL and 0 for none). A Commit of a ReInit
 * may hold no other proposal (section 12.2): mls_group_commit fails with
 * -EBADMSG while others are queued or received.
 */
int mls_group_propose_reinit(struct mls_group *g, const uint8_t *group_id, size_t gid_len,
			     uint16_t suite, const uint8_t *ext, size_t ext_len)
	__attribute__((warn_unused_result));

/*
 * mls_group_propose_update_msg makes an Update proposal (section 12.1.2)
 * for this member's leaf: a new LeafNode of source update with a fresh
 * HPKE encryption key, the same signature key, credential and
 * capabilities, signed over the group_id and the leaf index. It is framed
 * as a signed PublicMessage (a PrivateMessage when |private_message|) in
 * |*msg| (malloc'd, free with free()), for another member to commit, and
 * kept in |g| as a received proposal with the new private key: when
 * another member's Commit applies it, that key becomes this member's leaf
 * key and the path keys the Update blanks are dropped. This member's own
 * Commits leave its Update proposals out (their UpdatePath supersedes
 * them, section 12.4). Returns 0, -EINVAL, -ENOSPC (the proposal store is
 * full), -ESHUTDOWN, -ENOMEM or a crypto error.
 */
int mls_group_propose_update_msg(struct mls_group *g, bool private_message, uint8_t **msg,
				 size_t *len) __attribute__((warn_unused_result));

/*
 * mls_group_proposal_message takes the proposal last queued by value
 * (mls_group_propose_add, _remove, _psk, _gce, _reinit) off the queue and
 * frames it as a proposal message from this member instead, like
 * mls_group_propose_update_msg: |*msg| is malloc'd, and |g| keeps the
 * proposal as received (by reference) for whichever member commits it,
 * itself included. Returns 0, -ENOENT (nothing queued by value),
 * -EINVAL, -ESHUTDOWN, -ENOMEM or a crypto error; on failure the queue is
 * unchanged.
 */
int mls_group_proposal_message(struct mls_group *g, bool private_message, uint8_t **msg,
			       size_t *len) __attribute__((warn_unused_result));

/* mls_group_clear_proposals drops every queued and received proposal. */
void mls_group_clear_proposals(struct mls_group *g);

struct mls_commit_opts {
	bool private_message;	/* frame the Commit as a PrivateMessage (default PublicMessage) */
	bool force_path;	/* an UpdatePath even when the proposals do not need one */
	bool tree_in_welcome;	/* put the ratchet tree in the Welcome's GroupInfo */
	bool external_pub;	/* put the external_pub extension in that GroupInfo */
};

/* What a Commit made; buffers are malloc'd, freed by mls_commit_result_free. */
struct mls_commit_result {
	uint8_t *commit;		/* MLSMessage for the group */
	size_t commit_len;
	uint8_t *welcome;		/* MLSMessage for the new members; NULL if none */
	size_t welcome_len;
};

/*
 * mls_group_commit commits the queued and received proposals (|o| may be
 * NULL for the defaults) and moves |g| to the new epoch. The Commit has an
 * UpdatePath when the proposals require one (section 12.4: an empty list,
 * Update, Remove, ExternalInit or GroupContextExtensions) or |o| asks.
 * This member's own Update proposals are left out (section 12.2). A
 * Commit of a ReInit closes the group (mls_group_reinit_pending).
 * Returns 0 or a negative errno (-EBADMSG for a list section 12.2
 * forbids, such as a ReInit with other proposals); on failure |g| is
 * unchanged.
 */
int mls_group_commit(struct mls_group *g, const struct mls_commit_opts *o,
		     struct mls_commit_result *out) __attribute__((warn_unused_result));

/* mls_commit_result_free frees the buffers of |r| and zeroes it. */
void mls_commit_result_free(struct mls_commit_result *r);

enum mls_group_event_type {
	MLS_GROUP_EV_PROPOSAL = 1,	/* a proposal was kept for the next Commit */
	MLS_GROUP_EV_COMMIT = 2,	/* a Commit moved the group to a new epoch */
};

struct mls_group_event {
	enum mls_group_event_type type;
	uint32_t sender;		/* the sender's leaf (external senders: their index) */
	uint8_t sender_type;		/* enum mls_sender_type */
	bool removed;			/* the Commit removed this member (the group is inactive) */
	bool reinit;			/* the Commit was a ReInit: the group is now closed */
	uint64_t epoch;			/* the group's epoch after the message */
};

/*
 * mls_group_handle processes one handshake MLSMessage received in the
 * group (see the top of this file). Application messages are the data
 * plane's (mls_app.h): they are refused here with -EINVAL, and so are
 * this member's own proposals and Commits coming back (kept or applied
 * when made). Returns 0 and fills |ev| (may be NULL), or a negative errno
 * with |g| unchanged; -ESHUTDOWN once a ReInit has closed the group.
 */
int mls_group_handle(struct mls_group *g, const uint8_t *msg, size_t len,
		     struct mls_group_event *ev) __attribute__((warn_unused_result));

/* ---- re-initialisation (section 11.2) -------------------------------------- */

/* What a ReInit asks of the successor group; views into the closed group. */
struct mls_reinit_params {
	const uint8_t *group_id;
	size_t group_id_len;
	uint16_t version;		/* ProtocolVersion */
	uint16_t suite;			/* CipherSuite */
	const uint8_t *extensions;	/* encoded Extension extensions<V> */
	size_t extensions_len;
};

/*
 * mls_group_reinit_pending tells whether a Commit of a ReInit (made or
 * received) has closed |g|, and then fills |out| (may be NULL) with the
 * ReInit's parameters, valid as long as |g|. A closed group stays at the
 * epoch that Commit made (its exporter and resumption PSK are usable) but
 * refuses proposals, Commits and handshake messages with -ESHUTDOWN.
 */
bool mls_group_reinit_pending(const struct mls_group *g, struct mls_reinit_params *out);

/*
 * mls_group_reinit_create makes the successor of |old|, a group closed by
 * a ReInit (section 11.2): a new group under the ReInit's group_id, cipher
 * suite and extensions with |sg| (of that suite) as its creator, and its
 * first Commit: an Add of each of the |n_kps| KeyPackages |kps| (the other
 * members' new ones, MLSMessages of the new suite) and a PreSharedKey of
 * type resumption, usage reinit, naming |old|'s group_id and current epoch
 * (its value is that epoch's resumption_psk, section 8.6). |o| as for
 * mls_group_commit (NULL: defaults). On success |*out| is the new group at
 * epoch 1 and |res| holds the Commit (for no one: the new group has no
 * other member yet) and the Welcome. Returns 0, -EINVAL (|old| not closed
 * by a ReInit, |sg| of another suite, a KeyPackage that does not fit),
 * -EPROTONOSUPPORT (a ReInit version other than mls10), -ENOMEM or a
 * crypto error.
 */
int mls_group_reinit_create(const struct mls_group *old, const struct mls_signer *sg,
			    const uint8_t *const *kps, const size_t *kp_lens, size_t n_kps,
			    const struct mls_commit_opts *o, struct mls_group **out,
			    struct mls_commit_result *res) __attribute__((warn_unused_result));

/* ---- external commits (section 12.4.3.2) ---------------------------------- */

/*
 * mls_group_info makes a signed GroupInfo MLSMessage of the current epoch
 * with the external_pub extension (and the ratchet tree when |with_tree|),
 * for a new member to join by external commit. Free it with free().
 */
int mls_group_info(const struct mls_group *g, bool with_tree, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));

/*
 * mls_group_join_external joins the group of |group_info| by an external
 * Commit signed by |sg|: verifies the GroupInfo (and the tree from it or
 * from |o|), makes an ExternalInit and an UpdatePath, adds this member's
 * leaf, and returns the new group in |*out| and the Commit to deliver in
 * |*commit| (malloc'd). Returns 0 or a negative errno.
 */
int mls_group_join_external(const struct mls_signer *sg, const uint8_t *group_info, size_t len,
			    const struct mls_join_opts *o, struct mls_group **out,
			    uint8_t **commit, size_t *commit_len)
	__attribute__((warn_unused_result));

/* ---- what the data plane needs of an epoch ---------------------------------- */

/*
 * mls_group_context_encoded returns the encoded GroupContext of the
 * current epoch (the fast path's mls_app_epoch.group_context).
 */
const uint8_t *mls_group_context_encoded(const struct mls_group *g, size_t *len);

/* mls_group_sender_data_secret returns sender_data_secret (Nh bytes). */
const uint8_t *mls_group_sender_data_secret(const struct mls_group *g);

/*
 * mls_group_app_secret writes the application ratchet secret of leaf
 * |leaf| at generation 0 of the current epoch (Nh bytes, derived afresh
 * from encryption_secret; the control process never sends application
 * messages itself, so the data plane owns these ratchets). -ENOENT for a
 * blank leaf.
 */
int mls_group_app_secret(const struct mls_group *g, uint32_t leaf, uint8_t *out)
	__attribute__((warn_unused_result));

/* mls_group_sig_priv writes this member's raw signature private key (for the data plane). */
int mls_group_sig_priv(const struct mls_group *g, uint8_t *out, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

#endif
