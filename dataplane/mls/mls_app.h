/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_app.h - the data plane's MLS fast path: application messages
 * protected and unprotected in bursts as RFC 9420 PrivateMessages
 * (section 6.3), with the AEAD through the crypto_aead engine.
 *
 * What one message costs (RFC 9420 sections 6.3, 9): the sender ratchets
 * its application secret to the next generation (key, nonce, next secret),
 * XORs a 4-byte reuse_guard into the nonce, signs FramedContentTBS, seals
 * PrivateMessageContent{application_data, signature, no padding} under the
 * generation's key, then seals SenderData{leaf, generation, reuse_guard}
 * under a key and nonce derived from sender_data_secret and the first Nh
 * bytes of that ciphertext. The receiver does the reverse and verifies the
 * signature with the sender leaf's key. The output is a complete
 * MLSMessage (version mls10, wire_format mls_private_message, content type
 * application) that any RFC 9420 implementation opens.
 *
 * Batch mode (mls_protect_batch): up to MLS_APP_BATCH_MAX payloads go into
 * the application_data of one PrivateMessage, each as opaque payload<V>,
 * and the message's authenticated_data is MLS_APP_BATCH_AD ("SBB1"), so
 * one signature and two AEAD seals cover the batch. The authenticated_data
 * is bound by both the signature and the content AEAD, so a batch cannot
 * be passed off as a single message or the reverse. A receiver sees
 * MLS_APP_F_BATCH and walks the payloads with mls_app_batch_next.
 *
 * Objects and threads (the house rule: per-lcore state, nothing shared
 * written):
 *  - struct mls_app_lcore: one per worker lcore. Scratch buffers, one
 *    crypto_aead key object per burst slot and direction (rekeyed in place
 *    per message: crypto_aead_key_rekey), a pool of random bytes for the
 *    reuse guards (refilled from the DRBG when empty), and counters.
 *  - struct mls_app_sender: this member's sending state in one epoch of
 *    one group: its leaf, application ratchet and signature key. Owned by
 *    one lcore: the ratchet is plain memory, so two lcores sending in the
 *    same group each need their own leaf (their own member) or must not
 *    share the sender.
 *  - struct mls_app_receiver: the receiving state of one epoch: the
 *    sender-data secret and, per member leaf, the application ratchet
 *    (with its window for out-of-order delivery, mls_secret_tree.h) and
 *    the signature public key. Owned by one lcore.
 * Making and freeing these allocates (slow path, at epoch change). The
 * bursts make no allocation and take no lock; the AEAD makes no system
 * call. libcrypto's signature and HKDF calls do allocate internally (EVP
 * contexts): OpenSSL 3.0 has no allocation-free EdDSA/ECDSA interface;
 * docs/decisions.md records it.
 *
 * Secrets: generation keys and nonces live in the lcore's scratch for the
 * length of a burst and are wiped before it returns; ratchet secrets are
 * wiped as they advance and every used key is forgotten (mls_secret_tree.h).
 *
 * Nonces: each generation has its own key and nonce from the secret tree
 * (RFC 9420 section 9), and each generation is handed out once
 * (mls_ratchet_next never goes back; a sender belongs to one lcore), so a
 * (key, nonce) pair never repeats; the random reuse_guard XORed into the
 * first 4 bytes covers a ratchet state restored by mistake (section 6.3.2).
 * The sender-data key and nonce depend on the content ciphertext's first Nh
 * bytes, which differ for every generation key.
 */
#ifndef SB_MLS_APP_H
#define SB_MLS_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mls_crypto.h"

struct crypto_aead_engine;
struct mls_app_lcore;
struct mls_app_sender;
struct mls_app_receiver;

#define MLS_APP_BURST_MAX 64		/* messages handled per backend burst */
#define MLS_APP_BATCH_MAX 64		/* payloads per batched PrivateMessage */
#define MLS_APP_BATCH_AD "SBB1"		/* authenticated_data of a batch */
#define MLS_APP_BATCH_AD_LEN 4
#define MLS_APP_MAX_GROUP_ID 255	/* bytes */
#define MLS_APP_MAX_GROUP_CONTEXT 2048	/* bytes of the encoded GroupContext */
#define MLS_APP_MAX_PAYLOAD (1u << 20)	/* bytes of application data per message */

/*
 * mls_app_overhead returns the bytes a protected message adds to a payload
 * of |payload_len| bytes at most (framing, varints, signature, two tags,
 * sender data), for sizing output buffers.
 */
size_t mls_app_overhead(const struct mls_suite *s, size_t group_id_len, size_t payload_len);

/* What the control process exports per epoch of a group. */
struct mls_app_epoch {
	const struct mls_suite *suite;
	const uint8_t *group_id;		/* 1 .. MLS_APP_MAX_GROUP_ID bytes */
	size_t group_id_len;
	uint64_t epoch;
	const uint8_t *group_context;		/* the encoded GroupContext of the epoch */
	size_t group_context_len;
	const uint8_t *sender_data_secret;	/* Nh bytes */
};

/* The drop reasons of the fast path, as counters. */
#define foreach_mls_app_drop			\
	_(MALFORMED, "malformed")		\
	_(WRONG_GROUP, "wrong_group")		\
	_(WRONG_EPOCH, "wrong_epoch")		\
	_(NOT_APPLICATION, "not_application")	\
	_(SENDER_DATA_AUTH, "sender_data_auth")	\
	_(UNKNOWN_SENDER, "unknown_sender")	\
	_(GENERATION_GONE, "generation_gone")	\
	_(GENERATION_AHEAD, "generation_ahead")	\
	_(CONTENT_AUTH, "content_auth")		\
	_(BAD_PADDING, "bad_padding")		\
	_(BAD_SIGNATURE, "bad_signature")	\
	_(NO_ROOM, "no_room")			\
	_(CRYPTO, "crypto")

enum mls_app_drop {
#define _(n, s) MLS_APP_DROP_##n,
	foreach_mls_app_drop
#undef _
	MLS_APP_DROP__MAX
};

/* mls_app_drop_name returns a drop reason's counter name. */
const char *mls_app_drop_name(enum mls_app_drop d);

struct mls_app_stats {
	uint64_t protected;		/* PrivateMessages made */
	uint64_t unprotected;		/* PrivateMessages opened and verified */
	uint64_t payloads;		/* application payloads in them (batches count each) */
	uint64_t drops[MLS_APP_DROP__MAX];
};

/* One message of a burst. */
struct mls_app_msg {
	const uint8_t *in;		/* protect: payload; unprotect: the MLSMessage */
	uint32_t in_len;
	uint8_t *out;			/* protect: the MLSMessage; unprotect: PrivateMessageContent */
	uint32_t out_cap;
	uint32_t out_len;		/* bytes written to out */
	const uint8_t *payload;		/* unprotect: the application data, inside out */
	uint32_t payload_len;
	uint32_t leaf;			/* unprotect: the sender's leaf */
	uint32_t generation;		/* the ratchet generation used */
	uint8_t flags;			/* unprotect: MLS_APP_F_BATCH */
	int16_t status;			/* 0 or a negative errno */
	uint8_t drop;			/* when status < 0: enum mls_app_drop */
};

#define MLS_APP_F_BATCH 0x01		/* the payload is a batch (mls_app_batch_next) */

/*
 * mls_app_lcore_new makes the per-lcore state for engine |e| (the lcore's
 * AEAD engine; it must outlive the state). Returns NULL with errno ENOMEM
 * or EIO. mls_app_lcore_free wipes and frees (NULL is fine).
 */
struct mls_app_lcore *mls_app_lcore_new(struct crypto_aead_engine *e);
void mls_app_lcore_free(struct mls_app_lcore *lc);

/* mls_app_lcore_stats copies the lcore's counters. */
void mls_app_lcore_stats(const struct mls_app_lcore *lc, struct mls_app_stats *out);

/*
 * mls_app_sender_new makes the sending state of leaf |leaf| in epoch |ep|:
 * |app_secret| is the leaf's application ratchet secret at |generation|
 * (Nh bytes, from the control process's secret tree), |sig_priv| the
 * member's signature key (a reference is taken). Copies what it needs from
 * |ep|. Returns NULL with errno EINVAL or ENOMEM.
 */
struct mls_app_sender *mls_app_sender_new(const struct mls_app_epoch *ep, uint32_t leaf,
					  const uint8_t *app_secret, uint32_t generation,
					  EVP_PKEY *sig_priv);
void mls_app_sender_free(struct mls_app_sender *s);

/*
 * mls_app_receiver_new makes the receiving state of epoch |ep| for a group
 * of |n_leaves| leaves (1 .. 65536); mls_app_receiver_add_member gives it
 * member |leaf|'s application ratchet secret (at |generation|) and
 * signature public key (a reference is taken). A message from a leaf not
 * added is dropped as unknown_sender. Return NULL with errno / 0 or
 * -EINVAL, -EEXIST.
 */
struct mls_app_receiver *mls_app_receiver_new(const struct mls_app_epoch *ep, uint32_t n_leaves);
int mls_app_receiver_add_member(struct mls_app_receiver *r, uint32_t leaf,
				const uint8_t *app_secret, uint32_t generation, EVP_PKEY *sig_pub)
	__attribute__((warn_unused_result));
void mls_app_receiver_free(struct mls_app_receiver *r);

/*
 * mls_protect_burst protects |n| payloads (msgs[i].in, in_len up to
 * MLS_APP_MAX_PAYLOAD) as PrivateMessages into msgs[i].out (out_cap bytes;
 * mls_app_overhead tells how many more than the payload are needed).
 * Sets each message's status, out_len and generation. Returns the number
 * protected. A message that fails consumes no generation unless it failed
 * in the AEAD or signature (then its generation is skipped, never reused).
 */
uint16_t mls_protect_burst(struct mls_app_lcore *lc, struct mls_app_sender *s,
			   struct mls_app_msg *msgs, uint16_t n);

/*
 * mls_unprotect_burst opens |n| MLSMessages (msgs[i].in) into msgs[i].out:
 * checks the framing, the group and epoch, the sender data, the
 * generation (window, replay), the content AEAD, the zero padding and the
 * sender's signature. On success sets payload/payload_len (a view into
 * out), leaf, generation and flags; on failure status < 0, drop says why
 * (also counted) and out is wiped. Returns the number opened.
 */
uint16_t mls_unprotect_burst(struct mls_app_lcore *lc, struct mls_app_receiver *r,
			     struct mls_app_msg *msgs, uint16_t n);

/* One payload of a batch. */
struct mls_app_payload {
	const uint8_t *p;
	uint32_t len;
};

/*
 * mls_protect_batch protects |n| payloads (1 .. MLS_APP_BATCH_MAX) as one
 * PrivateMessage into |out| (|cap| bytes), length in |*out_len|. Returns 0,
 * -EINVAL, -ENOSPC, -EOVERFLOW (the ratchet is used up) or a crypto error.
 */
int mls_protect_batch(struct mls_app_lcore *lc, struct mls_app_sender *s,
		      const struct mls_app_payload *p, uint16_t n,
		      uint8_t *out, size_t cap, size_t *out_len) __attribute__((warn_unused_result));

/*
 * mls_app_batch_next walks the payloads of a batch (msg->payload of an
 * unprotected message with MLS_APP_F_BATCH): start with *off = 0; each call
 * sets |*p| to the next payload and returns 1, 0 at the end, or -EBADMSG
 * on a malformed batch (a batch passed the signature check, so only a
 * broken sender makes one).
 */
int mls_app_batch_next(const uint8_t *batch, size_t len, size_t *off, struct mls_app_payload *p)
	__attribute__((warn_unused_result));

#endif
