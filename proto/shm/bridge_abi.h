/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bridge_abi.h - the data plane's bridge status object, /dev/shm/NAME.bridge:
 * per trust relationship the circuit breaker, the peer link and the seal
 * counters, for the control process (`slimbridge trust get`, rekey by
 * message count) and operators. Created by the data plane (mode 0644: no
 * secrets in it), written by its workers and main lcore, read by anyone.
 *
 * Layout: struct sb_bridge_hdr, then SB_BRIDGE_MAX_TRUSTS struct
 * sb_bridge_trust slots. A slot is claimed by the main lcore for a trust
 * id when a snapshot names it (trust_id non-empty) and is never moved
 * while the data plane runs; a trust gone from the policy keeps its slot
 * with state "gone" (so the counters stay readable).
 *
 * Consistency: each slot has a sequence counter, odd while a writer
 * changes the breaker fields; readers retry until they read the same even
 * value before and after. The counters are plain 64-bit stores (aligned,
 * so never torn on x86-64) and may be a poll iteration behind.
 */
#ifndef SB_BRIDGE_ABI_H
#define SB_BRIDGE_ABI_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define SB_BRIDGE_MAGIC 0x31474449524253ULL	/* "SBRIDG1" */
#define SB_BRIDGE_SUFFIX ".bridge"
#define SB_BRIDGE_MAX_TRUSTS 256
#define SB_BRIDGE_TRUST_ID_MAX 63

enum sb_breaker_state {
	SB_BREAKER_CLOSED = 0,
	SB_BREAKER_OPEN = 1,
	SB_BREAKER_HALF_OPEN = 2,
};

enum sb_bridge_link_state {
	SB_LINK_DOWN = 0,
	SB_LINK_CONNECTING = 1,		/* dialling or negotiating */
	SB_LINK_UP = 2,
	SB_LINK_NONE = 3,		/* no endpoint to dial, or the trust is gone */
};

/* Why a delivery failed (the last one is kept per trust). */
enum sb_bridge_failure {
	SB_FAIL_NONE = 0,
	SB_FAIL_LINK_DOWN = 1,		/* connect failed, or the link closed */
	SB_FAIL_NEGOTIATION = 2,	/* SLIM link negotiation failed */
	SB_FAIL_PEER_ERROR = 3,		/* the peer bridge refused a record */
	SB_FAIL_TIMEOUT = 4,		/* no answer in time (connect, negotiation, record ack) */
};

struct sb_bridge_hdr {
	uint64_t magic;			/* SB_BRIDGE_MAGIC */
	uint32_t size;			/* sizeof hdr + SB_BRIDGE_MAX_TRUSTS slots */
	uint32_t nb_slots;		/* SB_BRIDGE_MAX_TRUSTS */
	uint32_t pid;			/* the data plane */
	uint32_t reserved0;
	uint64_t heartbeat_ns;		/* CLOCK_MONOTONIC, every 100 ms */
	uint64_t reserved[4];
};

struct sb_bridge_trust {
	char trust_id[SB_BRIDGE_TRUST_ID_MAX + 1];	/* NUL-terminated; "" unused */
	uint32_t seq;			/* odd while the breaker fields change */
	uint8_t breaker;		/* enum sb_breaker_state */
	uint8_t link;			/* enum sb_bridge_link_state */
	uint8_t last_failure;		/* enum sb_bridge_failure */
	uint8_t gone;			/* 1: no longer in the policy */
	uint32_t failures;		/* consecutive delivery failures */
	uint32_t threshold;		/* failures that open it (the trust's, default 3) */
	uint32_t link_conn;		/* the SLIM connection (global id + 1) of our link to the
					 * peer bridge once negotiated, the one sealed records
					 * leave on; 0: none */
	uint32_t group_tag;		/* sb_bridge_group_tag of the seal group |epoch| is of
					 * (0: none yet): epochs of a re-made group start at 1
					 * again, so |epoch| alone does not say whose it is */
	uint64_t open_until_ns;		/* CLOCK_REALTIME; while open */
	uint64_t opened;		/* times it opened */
	uint64_t epoch;			/* seal epoch the workers send with */
	uint64_t sealed_epoch;		/* messages sealed in |epoch| (rekey by count) */
	uint64_t sealed;		/* messages sealed, total */
	uint64_t records;		/* sealed records sent, total */
	uint64_t opened_msgs;		/* messages received sealed and opened, total */
	uint64_t denied;		/* messages for this trust denied, total */
	uint64_t mls_claim;		/* MLS mode: (group_tag & 0xffff) << 48 | epoch << 16 |
					 * (worker + 1) of the one worker that seals in that
					 * epoch of that group */
	uint64_t rekey_req;		/* bumped by the data plane to ask for a rekey (an MLS
					 * epoch it may not send with); control rekeys when it
					 * changes */
};

/* The group tag of a slot: FNV-1a (32 bits) of the MLS group id, never 0. */
static inline uint32_t sb_bridge_group_tag(const uint8_t *id, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h = (h ^ id[i]) * 16777619u;
	}
	return h != 0 ? h : 1;
}

static_assert(sizeof(struct sb_bridge_hdr) == 64, "sb_bridge_hdr");
static_assert(sizeof(struct sb_bridge_trust) == 168, "sb_bridge_trust");
static_assert(offsetof(struct sb_bridge_trust, seq) == 64, "sb_bridge_trust.seq");

#endif
