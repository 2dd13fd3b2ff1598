/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seal.h - the sealed cross-boundary hop between two bridges (docs/wire.md,
 * "Seal"): a sans-I/O engine that packs the SLIM messages one worker sends
 * to one peer bridge in one poll iteration into one sealed record, and opens
 * and unpacks the records a peer bridge sends.
 *
 * A record travels as the ApplicationPayload blob of one SLIM Publish on the
 * trust's link (payload_type SEAL_PAYLOAD_TYPE; the outer names are the two
 * bridges', docs/wire.md). Its bytes (all integers big-endian):
 *
 *   struct {
 *     uint32 magic = "SBSL"; uint8 version = 1; uint8 mode (sb_pol_seal_mode);
 *     uint16 count;                      1..SEAL_MAX_BATCH inner messages (MLS: a
 *                                        sender puts at most SEAL_MLS_MAX_BATCH)
 *     uint8  group_id_len; opaque group_id[group_id_len];
 *     uint64 epoch;                      seal epoch (MLS group epoch)
 *     uint32 sender_leaf;                the sealing bridge's leaf
 *     opaque instance[16];               AES: the sender's random instance id; MLS: zero
 *     uint64 seq;                        AES: record number under this instance; MLS: 0
 *     SealRoute routes[count];           clear: each inner message's routing header
 *     uint32 sealed_len; opaque sealed[sealed_len];
 *   } SealRecord;
 *   struct { uint64 src[3]; uint64 src_id[2]; uint64 dst[3]; uint64 dst_id[2];
 *            uint32 fanout; uint32 len; } SealRoute;     (88 bytes)
 *
 * The clear part (magic .. routes) is the "header"; the routes are readable
 * on the wire, and the header is bound to the content:
 *  - mode AES (AES-256-GCM): sealed = GCM(key, nonce, aad = header,
 *    plaintext = the inner messages back to back) || tag. Per sending
 *    instance: key = HKDF-Expand(secret, "slimbridge seal v1 key" ||
 *    uint32 sender_leaf || instance, 32) with secret the SEALS entry's
 *    epoch secret (an exporter secret of the MLS group the two bridges
 *    share); nonce = 4 zero bytes || uint64 seq.
 *    Nonces never repeat: every seal_tx draws a fresh 16-byte random
 *    instance (so a restarted worker has a new key), seq starts at 0 and
 *    only grows, and a seal_tx refuses to seal past SEAL_AES_MAX_RECORDS
 *    (then it must be re-made, with a new instance).
 *  - mode MLS: sealed = one MLSMessage PrivateMessage of the group whose
 *    application_data is a batch (mls_protect_batch): payload 0 is
 *    SHA-256(header), payloads 1..count the inner messages. One signature
 *    covers the batch; the receiver checks payload 0 against the header.
 * The receiver checks that each inner message decodes as a SLIM Message
 * whose source and destination names equal its route (the caller does
 * that, with the protobuf decoder: seal_rx_open returns the bytes).
 *
 * Replay: per (epoch, sender leaf, instance) the AES receiver keeps a
 * window of SEAL_REPLAY_WINDOW record numbers; an older or repeated seq is
 * refused. MLS: the generation ratchet refuses a repeated generation. A
 * record whose sender leaf is the receiver's own (reflected) is refused.
 *
 * Threads and memory: one seal_tx per (worker, trust) and one seal_rx per
 * (worker, trust), owned by that worker. Making, rekeying and freeing
 * allocate (slow path: at a new epoch); adding, sealing and opening do not
 * allocate, lock or make system calls (AES through the worker's
 * crypto_aead engine; MLS through mls_app, whose libcrypto signature calls
 * allocate internally, see mls_app.h). Keys are wiped when dropped.
 *
 * Errors are negative errno values: -EINVAL bad arguments; -ENOSPC the
 * batch or the output is full; -EBADMSG a malformed record, a header that
 * does not match its content, or a tag / signature that does not verify;
 * -EKEYEXPIRED an epoch this seal_rx no longer (or not yet) has, or a
 * seal_tx past SEAL_AES_MAX_RECORDS; -EALREADY a replayed record; -ENOKEY
 * no key for the record's group.
 */
#ifndef SB_SEAL_H
#define SB_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/policy_abi.h"

#define SEAL_MAGIC 0x5342534cu			/* "SBSL" */
#define SEAL_VERSION 1
#define SEAL_PAYLOAD_TYPE "application/x-slimbridge-seal-v1"
#define SEAL_MAX_BATCH 64			/* inner messages per record */
#define SEAL_MLS_MAX_BATCH 63			/* mode MLS: payload 0 takes one of
						 * mls_app's MLS_APP_BATCH_MAX (64) */
#define SEAL_MAX_INNER (1u << 20)		/* inner bytes per record */
#define SEAL_ROUTE_SIZE 88
#define SEAL_REPLAY_WINDOW 1024
#define SEAL_AES_MAX_RECORDS (1ull << 40)	/* per instance, then a new seal_tx */
#define SEAL_RX_INSTANCES 16			/* AES sender instances remembered per epoch */
#define SEAL_RX_EPOCHS 4			/* epochs a receiver holds: the newest and
						 * up to three it superseded (bridge.c drops
						 * each one its window after) */

struct crypto_aead_engine;
struct mls_app_lcore;
struct mls_app_sender;
struct mls_app_receiver;

/* The clear routing header of one inner message (SealRoute). */
struct seal_route {
	uint64_t src[3];
	uint64_t src_id[2];
	uint64_t dst[3];
	uint64_t dst_id[2];
	uint32_t fanout;
	uint32_t len;			/* the inner message's bytes */
};

/* One epoch's keys as the bridge module hands them to seal_tx_new / seal_rx_add_epoch. */
struct seal_keys {
	uint8_t mode;			/* enum sb_pol_seal_mode */
	const uint8_t *group_id;	/* 1..SB_POL_MLS_MAX_ID bytes (copied) */
	size_t group_id_len;
	uint64_t epoch;
	uint32_t own_leaf;		/* ours: the sender leaf of what we seal
					 * (seal_rx: records claiming it are refused) */
	const uint8_t *secret;		/* 32 bytes: the SEALS entry's secret (AES; copied) */
	/*
	 * mode MLS: this epoch's sender (seal_tx) or receiver (seal_rx), made
	 * by the caller from the MLS table's epoch record (mls_export_app_new);
	 * the seal object takes ownership (when seal_tx_new / seal_rx_add_epoch
	 * succeed) and frees it.
	 */
	struct mls_app_sender *mls_tx;
	struct mls_app_receiver *mls_rx;
};

/* --- sending: one per (worker, trust) ---------------------------------- */

struct seal_tx;

/*
 * seal_tx_new makes the sender of epoch |k| on the worker's AEAD engine
 * |e| (AES) and MLS state |lc| (MLS). Draws the random instance (AES).
 * NULL on failure (bad keys, no memory, no randomness).
 */
struct seal_tx *seal_tx_new(const struct seal_keys *k, struct crypto_aead_engine *e,
			    struct mls_app_lcore *lc);
void seal_tx_free(struct seal_tx *t);

/* The epoch |t| seals with. */
uint64_t seal_tx_epoch(const struct seal_tx *t);

/*
 * seal_tx_add appends one inner message (|msg|, |r->len| bytes: the SLIM
 * Message encoded as it leaves, TTL set, local fields cleared, no MAC) to
 * the open batch (copied: |msg| may be reused at once). -ENOSPC when the
 * batch already has SEAL_MAX_BATCH (mode MLS: SEAL_MLS_MAX_BATCH) messages
 * or the bytes would pass SEAL_MAX_INNER (mode MLS: or the batch's
 * encoding, hash and length prefixes included, would pass
 * MLS_APP_MAX_PAYLOAD) (flush, then add again).
 */
int seal_tx_add(struct seal_tx *t, const struct seal_route *r, const uint8_t *msg)
	__attribute__((warn_unused_result));

/* Messages in the open batch. */
uint32_t seal_tx_pending(const struct seal_tx *t);

/* seal_tx_record_max: the most bytes seal_tx_flush may write for the open batch. */
size_t seal_tx_record_max(const struct seal_tx *t);

/*
 * seal_tx_flush seals the open batch into |out| (|cap| bytes) as one
 * record, sets |*len|, and empties the batch (also on failure: the caller
 * denies those messages). 0 with *len = 0 when the batch was empty;
 * -ENOSPC when |cap| < seal_tx_record_max; else the engine's error
 * (-EKEYEXPIRED, -EOVERFLOW: a used-up key or ratchet, re-make |t|; -EIO).
 */
int seal_tx_flush(struct seal_tx *t, uint8_t *out, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

/* --- receiving: one per (worker, trust) -------------------------------- */

struct seal_rx;

/* seal_rx_new: a receiver with no epoch yet, on |e| / |lc| as seal_tx_new. */
struct seal_rx *seal_rx_new(struct crypto_aead_engine *e, struct mls_app_lcore *lc);
void seal_rx_free(struct seal_rx *r);

/*
 * seal_rx_add_epoch installs epoch |k| (the peer's records under it can be
 * opened). The receiver keeps at most SEAL_RX_EPOCHS epochs: adding one
 * more drops the oldest (lowest epoch; one older than all of them is
 * refused, -EKEYEXPIRED).
 * An epoch already there is left as it is (0).
 */
int seal_rx_add_epoch(struct seal_rx *r, const struct seal_keys *k)
	__attribute__((warn_unused_result));

/* seal_rx_drop_epoch forgets epoch |epoch| (its window has passed). */
void seal_rx_drop_epoch(struct seal_rx *r, uint64_t epoch);

/* What seal_peek reads from the clear header. */
struct seal_info {
	uint8_t mode;
	uint16_t count;
	const uint8_t *group_id;
	size_t group_id_len;
	uint64_t epoch;
	uint32_t sender_leaf;
};

/* seal_peek parses the header of |rec| (bounds-checked); 0 or -EBADMSG. */
int seal_peek(const uint8_t *rec, size_t len, struct seal_info *info)
	__attribute__((warn_unused_result));

/* One opened inner message: its route (from the clear header) and its bytes. */
struct seal_msg {
	struct seal_route route;
	const uint8_t *msg;		/* into |scratch| given to seal_rx_open */
	size_t len;
};

/*
 * seal_rx_open checks and opens record |rec| into |scratch| (|cap| bytes,
 * at least |len|), filling |out| (room for SEAL_MAX_BATCH) and |*n|. On
 * any failure nothing is returned (all or nothing per record).
 */
int seal_rx_open(struct seal_rx *r, const uint8_t *rec, size_t len, uint8_t *scratch, size_t cap,
		 struct seal_msg *out, uint32_t *n) __attribute__((warn_unused_result));

#endif
