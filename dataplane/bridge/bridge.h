/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bridge.h - the federation bridge's per-trust state in the data plane:
 * the bridge status object (/dev/shm/NAME.bridge, proto/shm/bridge_abi.h),
 * the per-snapshot view of the trusts' seals (SEALS table, policy_seals.h)
 * and per worker the seal senders and receivers (seal.h) that the SLIM node
 * uses on the cross-organisation hop.
 *
 * Who does what:
 *  - main lcore: bridge_status_open at start-up; bridge_view_build for
 *    every snapshot (claims a status slot per trust id; slots never move
 *    while the data plane runs); bridge_view_free with the slot.
 *  - worker: bridge_worker_set_view when it sees a new slot (makes new seal
 *    objects only for trusts whose epoch changed: the one allocation, at a
 *    rekey); bridge_seal_add / bridge_flush / bridge_open per message.
 *
 * Nonces and generations: AES seal_tx draw a random instance each (seal.h);
 * an MLS epoch is used for sending only when the SEALS entry carries this
 * data plane's reader_token (control rekeys for a new data plane), and only
 * by one worker (the first to seal in that epoch claims it in the status
 * slot; another worker asks for a rekey instead of sending).
 */
#ifndef SB_BRIDGE_H
#define SB_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seal.h"
#include "shm/bridge_abi.h"
#include "shm/policy_abi.h"
#include "shm/shm_abi.h"

struct policy_view;
struct crypto_aead_engine;
struct mls_app_lcore;

#define BRIDGE_NO_SLOT UINT32_MAX

/* ---- the status object (main lcore) ---- */

struct bridge_status;

/* bridge_status_open creates /dev/shm/NAME.bridge (0644), replacing a stale one. */
int bridge_status_open(const char *name, struct bridge_status **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* bridge_status_close unmaps and unlinks it. NULL ok. */
void bridge_status_close(struct bridge_status *b);
/* The slot of |trust_id| (claimed when new), or BRIDGE_NO_SLOT when all are taken. */
uint32_t bridge_status_slot(struct bridge_status *b, const char *trust_id);
struct sb_bridge_trust *bridge_status_trust(struct bridge_status *b, uint32_t slot);
/* Marks every slot not in |live| (a bitmap of SB_BRIDGE_MAX_TRUSTS bits) gone. */
void bridge_status_sweep(struct bridge_status *b, const uint64_t *live);
void bridge_status_heartbeat(struct bridge_status *b, uint64_t now_ns);

/* ---- a snapshot's trusts (main lcore builds, workers read) ---- */

struct bridge_trust {
	uint32_t slot;			/* status slot, or BRIDGE_NO_SLOT */
	struct sb_bridge_trust *st;	/* that slot (NULL: none) */
	const char *trust_id;		/* STRINGS, NUL-terminated */
	uint8_t state;			/* enum sb_pol_trust_state */
	uint32_t threshold;		/* breaker */
	uint32_t cooldown_s;
	const struct sb_pol_seal *seal;	/* NULL: no SEALS entry */
	const uint8_t *group_id;
	const char *peer_td;		/* not NUL-terminated */
	uint16_t peer_td_len;
	const uint8_t *mls_rec;		/* mode MLS: the MLS table's epoch record of group_id */
	size_t mls_rec_len;
};

struct bridge_view {
	uint32_t nb;			/* = the policy view's nb_trusts */
	struct bridge_trust *t;		/* by trust index */
	uint32_t nb_seals;
};

/*
 * bridge_view_build reads snapshot |s|'s SEALS (and MLS) tables for the
 * trusts of |pv|: checks each seal (policy_seals_check, trust index in
 * range) and claims status slots. |s| NULL or no SEALS table: no seals.
 * 0, or -EINVAL with |*why| (the snapshot must be refused), -ENOMEM.
 */
int bridge_view_build(struct bridge_view *bv, const struct sb_shm_snapshot *s,
		      const struct policy_view *pv, struct bridge_status *bs, const char **why)
	__attribute__((warn_unused_result));
void bridge_view_free(struct bridge_view *bv);

/* ---- per worker ---- */

struct bridge_worker;

struct bridge_worker *bridge_worker_new(uint32_t worker, uint32_t reader_token,
					struct crypto_aead_engine *e);
void bridge_worker_free(struct bridge_worker *bw);

/* On a new policy slot: keep the seal objects of unchanged epochs, make the rest. */
void bridge_worker_set_view(struct bridge_worker *bw, const struct bridge_view *bv,
			    uint64_t now_ns);

/* bridge_worker_clock: the worker's CLOCK_REALTIME in ns, before it seals (grace periods). */
void bridge_worker_clock(struct bridge_worker *bw, uint64_t now_ns);

/* Why the seal of |trust| cannot be used now (an sb_pol_reason), or 0 (ALLOWED) when it can. */
uint8_t bridge_can_seal(struct bridge_worker *bw, const struct bridge_view *bv, uint32_t trust);

/*
 * bridge_seal_add queues one inner message for |trust| towards connection
 * |conn| (a batch holds one connection's messages: another connection
 * flushes it first through |emit|). 0 or a negative errno (then deny).
 */
typedef void (*bridge_emit_fn)(void *arg, uint32_t trust, uint32_t conn, const uint8_t *rec,
			       size_t len, uint32_t count, int err);
int bridge_seal_add(struct bridge_worker *bw, const struct bridge_view *bv, uint32_t trust,
		    uint32_t conn, const struct seal_route *r, const uint8_t *msg, bridge_emit_fn emit,
		    void *arg) __attribute__((warn_unused_result));

/* bridge_flush seals every open batch and hands each record to |emit| (err < 0: sealing failed). */
void bridge_flush(struct bridge_worker *bw, const struct bridge_view *bv, bridge_emit_fn emit,
		  void *arg);

/*
 * bridge_peer_td: the peer trust domain of |trust| (not NUL-terminated,
 * |*len| bytes): the snapshot's seal, else the last one this worker saw
 * (between two seals, a restarted control process). NULL: none known.
 */
const char *bridge_peer_td(const struct bridge_worker *bw, const struct bridge_view *bv,
			   uint32_t trust, size_t *len);

/* The seal epoch and mode this worker sends with for status slot |slot| (0 when none). */
uint64_t bridge_send_epoch(const struct bridge_worker *bw, uint32_t slot, uint8_t *mode);

/*
 * bridge_open opens a record that arrived: finds the trust by the record's
 * group id, opens it (all or nothing), returns the inner messages in |out|
 * (pointing into the worker's scratch, valid until the next bridge_open)
 * and the trust index in |*trust|. 0 or a negative errno (seal.h's).
 */
int bridge_open(struct bridge_worker *bw, const struct bridge_view *bv, const uint8_t *rec,
		size_t len, uint32_t *trust, struct seal_msg *out, uint32_t *n, uint64_t *epoch,
		uint8_t *mode) __attribute__((warn_unused_result));

#endif
