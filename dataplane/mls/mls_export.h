/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_export.h - one epoch of one MLS group, as the control process hands
 * it to the data plane: a versioned binary record (the "epoch record"),
 * its encoder, its bounds-checked decoder, and the data plane's sending
 * and receiving state (mls_app.h) built from it.
 *
 * The control process runs the group (mls_group.h: commits, welcomes);
 * the data plane only protects and unprotects application messages. What
 * the fast path needs of an epoch is exactly this record. It travels in
 * the MLS table of a shared-memory policy snapshot (proto/shm/policy_abi.h,
 * SB_POL_TABLE_MLS; docs/control.md), one record per group.
 *
 * Wire format, version 1 (TLS presentation language of RFC 9420 section
 * 2.1: big-endian integers, opaque<V> and T<V> behind minimal varints;
 * mls_codec.h):
 *
 *   struct {
 *       uint32 magic;                      MLS_EXPORT_MAGIC ("SBMX")
 *       uint16 version;                    MLS_EXPORT_VERSION
 *       uint16 cipher_suite;               1..7
 *       opaque group_id<V>;                1..MLS_APP_MAX_GROUP_ID bytes
 *       uint64 epoch;
 *       uint32 own_leaf;                   this member's leaf index
 *       uint32 n_leaves;                   leaves of the tree, 1..MLS_EXPORT_MAX_LEAVES
 *       opaque group_context<V>;           the encoded GroupContext, 1..MLS_APP_MAX_GROUP_CONTEXT
 *       opaque sender_data_secret<V>;      exactly Nh bytes
 *       opaque signature_priv<V>;          own raw signature private key (mls_crypto.h)
 *       MemberSecret members<V>;           ascending leaf, no repeats, own_leaf among them
 *   } EpochRecord;
 *
 *   struct {
 *       uint32 leaf;                       < n_leaves
 *       opaque application_secret<V>;      exactly Nh bytes: the leaf's application
 *                                          ratchet secret at generation 0
 *       opaque signature_key<V>;           raw signature public key, 1..MLS_MAX_SIG_PUB
 *   } MemberSecret;
 *
 * Nothing may follow the record. A decoder of another version refuses it.
 * Every member of the group (non-blank leaf) is listed, this member too:
 * the record is the whole epoch as this member sees it.
 *
 * Who calls what: the encoder side (mls_export_size, mls_export_encode,
 * mls_export_group) needs only sbmls (libcrypto): the control process
 * links it without the AEAD engine. The data-plane side
 * (mls_export_app_new, in mls_export_app.c) builds mls_app objects and so
 * needs sbcrypto too; both files are in the sbmlsapp library, and a
 * static link pulls in only the object files a program uses.
 *
 * Secrets: a record holds the epoch's sender-data secret, every member's
 * application secret and this member's signature private key. Buffers
 * made here are wiped when freed (mls_export_free); decoded views point
 * into the caller's bytes, which the caller wipes. Nothing is logged.
 *
 * Errors are negative errno values: -EBADMSG for a malformed, truncated or
 * oversized record or one whose fields disagree (lengths for the suite,
 * leaves out of order, own leaf missing, a key that does not match);
 * -EPROTONOSUPPORT for another record version or an unknown cipher suite;
 * -EINVAL for bad arguments; -ENOSPC for a short output buffer; -ENOMEM.
 *
 * Thread context: any; nothing here keeps state.
 */
#ifndef SB_MLS_EXPORT_H
#define SB_MLS_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mls_crypto.h"

struct mls_group;
struct mls_app_epoch;
struct mls_app_sender;
struct mls_app_receiver;

#define MLS_EXPORT_MAGIC 0x53424d58u		/* "SBMX" */
#define MLS_EXPORT_VERSION 1
#define MLS_EXPORT_MAX_LEAVES 65536		/* mls_app_receiver_new's limit */
#define MLS_EXPORT_MAX_RECORD (16u << 20)	/* bytes of one record, at most */

/* One member of a record. */
struct mls_export_member {
	uint32_t leaf;
	const uint8_t *app_secret;		/* Nh bytes, generation 0 */
	const uint8_t *sig_pub;			/* raw signature public key */
	size_t sig_pub_len;
};

/*
 * One record. For mls_export_encode the caller fills every field but
 * members/members_len; mls_export_decode fills all of them with views into
 * the decoded bytes (members: the encoded MemberSecret list, walked with
 * mls_export_member_next).
 */
struct mls_export_rec {
	const struct mls_suite *suite;
	const uint8_t *group_id;
	size_t group_id_len;
	uint64_t epoch;
	uint32_t own_leaf;
	uint32_t n_leaves;
	const uint8_t *group_context;
	size_t group_context_len;
	const uint8_t *sender_data_secret;	/* Nh bytes */
	const uint8_t *sig_priv;		/* raw signature private key */
	size_t sig_priv_len;
	uint32_t n_members;
	const uint8_t *members;			/* decode only */
	size_t members_len;
};

/*
 * mls_export_size returns the exact encoded size of record |r| with the
 * |n| members |m|, or 0 when a field is out of range (what
 * mls_export_encode would refuse with -EINVAL).
 */
size_t mls_export_size(const struct mls_export_rec *r, const struct mls_export_member *m,
		       uint32_t n);

/*
 * mls_export_encode writes record |r| with the |n| members |m| (ascending
 * leaf, unique, own_leaf among them, each < n_leaves) into |out| (|cap|
 * bytes), its length in |*len|. Returns 0, -EINVAL (a field out of range,
 * members out of order) or -ENOSPC. |r->members| is ignored.
 */
int mls_export_encode(const struct mls_export_rec *r, const struct mls_export_member *m,
		      uint32_t n, uint8_t *out, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

/*
 * mls_export_group encodes the current epoch of |g| (mls_group.h's
 * data-plane accessors: GroupContext, sender-data secret, every member's
 * application secret at generation 0 and signature key, this member's
 * signature private key) into a malloc'd buffer: |*out|, |*len|. Free it
 * with mls_export_free. Returns 0, -EINVAL (|g| inactive, a field out of
 * range), -ENOMEM or an error of the accessors.
 */
int mls_export_group(const struct mls_group *g, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));

/* mls_export_free wipes the |len| bytes at |p| and frees them (NULL ok). */
void mls_export_free(uint8_t *p, size_t len);

/*
 * mls_export_decode checks and decodes the record in |p| (|len| bytes,
 * exactly one record) into |r| (views into |p|). Every field is checked:
 * lengths for the suite, leaves ascending and below n_leaves, own_leaf
 * listed, no trailing bytes. Returns 0, -EBADMSG or -EPROTONOSUPPORT; on
 * failure |r| is zeroed.
 */
int mls_export_decode(const uint8_t *p, size_t len, struct mls_export_rec *r)
	__attribute__((warn_unused_result));

/*
 * mls_export_member_next walks the members of a decoded record: start
 * with *off = 0; each call fills |m| with the next member and returns 1,
 * or 0 after the last. (The list was checked by mls_export_decode.)
 */
int mls_export_member_next(const struct mls_export_rec *r, size_t *off,
			   struct mls_export_member *m);

/*
 * mls_export_find_member finds leaf |leaf| in decoded record |r|: 0 with
 * |m| filled, or -ENOENT.
 */
int mls_export_find_member(const struct mls_export_rec *r, uint32_t leaf,
			   struct mls_export_member *m) __attribute__((warn_unused_result));

/* ---- the data plane's side (mls_export_app.c; links mls_app) ---------------- */

/* mls_export_app_epoch fills |ep| with views into decoded record |r|. */
void mls_export_app_epoch(const struct mls_export_rec *r, struct mls_app_epoch *ep);

/* Flags of mls_export_app_new. */
#define MLS_EXPORT_F_RECEIVE_SELF 0x1u	/* the receiver accepts this member's own messages */

/*
 * mls_export_app_new builds this member's sending state (its own leaf,
 * application ratchet at generation 0, signature key) in |*sender| and
 * the receiving state of the epoch in |*receiver|, from decoded record
 * |r|. The receiver knows every other member; this member's own leaf only
 * with MLS_EXPORT_F_RECEIVE_SELF (by default a message that claims to be
 * from this member, such as one reflected back, is dropped as
 * unknown_sender). Either output may be NULL when not wanted. Checks that
 * the signature private key is that of the own leaf's public key.
 * Returns 0, -EBADMSG (a key that does not decode or match), -EINVAL or
 * -ENOMEM; on failure nothing is returned. Free the objects with
 * mls_app_sender_free / mls_app_receiver_free.
 */
int mls_export_app_new(const struct mls_export_rec *r, unsigned flags,
		       struct mls_app_sender **sender, struct mls_app_receiver **receiver)
	__attribute__((warn_unused_result));

#endif
