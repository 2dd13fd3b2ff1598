/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_abi.h - the audit rings, /dev/shm/NAME.audit: one single-producer
 * single-consumer ring of fixed 256-byte records per data-plane worker.
 * The workers produce (one record per message decision, dataplane/audit/
 * audit_ring.h); the control process's audit writer (control/audit/)
 * consumes them into append-only segment files (docs/audit.md).
 *
 * Lossless by construction:
 *  - A worker checks for room before it takes a message in (audit_ring_free);
 *    with no room it leaves its input where it is (back-pressure: TCP
 *    windows close), it never overwrites or drops a record.
 *  - The writer advances a ring's tail only after the records are written
 *    to a segment file, so a writer that dies loses nothing: the records
 *    are still in the ring, and a restarted writer skips the ones already
 *    in its last segment by (worker, seq).
 *  - The object outlives both processes: a data plane that starts finds an
 *    existing object of the same geometry and keeps its unread records.
 *
 * Layout: struct sb_audit_hdr (one page), then nb_rings rings, each a
 * struct sb_audit_ring (head and tail on their own cache lines) followed
 * by ring_size records. Indices are free-running uint64 counters; slot =
 * index & (ring_size - 1). Producer: write the record, then
 * store-release head. Consumer: load-acquire head, read records, write
 * them out, then store-release tail.
 *
 * Mode 0600 (records name agents and trust relationships; both processes
 * run as the same user), created by the data plane.
 */
#ifndef SB_AUDIT_ABI_H
#define SB_AUDIT_ABI_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define SB_AUDIT_MAGIC 0x31544944554142ULL	/* "BAUDIT1" */
#define SB_AUDIT_VERSION 1
#define SB_AUDIT_SUFFIX ".audit"
#define SB_AUDIT_MAX_RINGS 128
#define SB_AUDIT_REC_SIZE 256
#define SB_AUDIT_DEFAULT_RING 16384	/* records per worker (4 MiB) */

enum sb_audit_type {
	SB_AUDIT_SLIM_COMMUNICATION = 1,	/* one message's decision and delivery */
};

enum sb_audit_decision {
	SB_AUDIT_DENIED = 0,
	SB_AUDIT_ALLOWED = 1,
};

enum sb_audit_enc {
	SB_AUDIT_ENC_NONE = 0,		/* local hop: not sealed */
	SB_AUDIT_ENC_AES_GCM = 1,
	SB_AUDIT_ENC_MLS = 2,
};

enum sb_audit_transport {
	SB_AUDIT_TR_LOCAL = 0,		/* delivered by this bridge to its own agent */
	SB_AUDIT_TR_GRPC = 1,		/* to or from a peer bridge over a SLIM gRPC link */
	SB_AUDIT_TR_HTTPS = 2,
};

enum sb_audit_dir {
	SB_AUDIT_DIR_LOCAL = 0,		/* both agents on this bridge */
	SB_AUDIT_DIR_OUT = 1,		/* from our agent to a peer bridge */
	SB_AUDIT_DIR_IN = 2,		/* from a peer bridge to our agent */
};

/* flags: the message was allowed but could not be handed to its connection (full, gone). */
#define SB_AUDIT_F_UNDELIVERED 0x1u

#define SB_AUDIT_NAME_MAX 64		/* bytes with the NUL */
#define SB_AUDIT_SHORT_MAX 32

/* One record. Strings are NUL-terminated and NUL-padded (truncated to fit). */
struct sb_audit_rec {
	uint16_t type;			/* enum sb_audit_type */
	uint8_t decision;		/* enum sb_audit_decision */
	uint8_t level;			/* enum sb_pol_level (0 when allowed) */
	uint8_t reason;			/* enum sb_pol_reason */
	uint8_t enc;			/* enum sb_audit_enc */
	uint8_t transport;		/* enum sb_audit_transport */
	uint8_t dir;			/* enum sb_audit_dir */
	uint32_t worker;
	uint32_t rule_id;		/* content rule that matched, else 0 */
	uint64_t ts_ns;			/* CLOCK_REALTIME when decided */
	uint64_t seq;			/* per worker, from 1, no gaps */
	uint64_t mls_epoch;		/* seal epoch (enc != NONE) */
	uint32_t msg_bytes;		/* the SLIM message as received */
	uint32_t payload_bytes;		/* its application payload */
	uint32_t sealed_bytes;		/* the sealed record it travelled in (0: none) */
	uint16_t batch;			/* messages in that record */
	uint16_t flags;			/* SB_AUDIT_F_* */
	uint32_t session_id;		/* SLIM session header: session id */
	uint32_t message_id;		/* SLIM session header: message id */
	char src[SB_AUDIT_NAME_MAX];	/* source agent "tenant/app/agent" */
	char dst[SB_AUDIT_NAME_MAX];	/* destination agent */
	char trust[SB_AUDIT_SHORT_MAX];	/* trust id, or internal:{app} / "" */
	char project[SB_AUDIT_SHORT_MAX];/* our agent's project */
};

struct sb_audit_hdr {
	uint64_t magic;			/* SB_AUDIT_MAGIC */
	uint32_t version;		/* SB_AUDIT_VERSION */
	uint32_t rec_size;		/* SB_AUDIT_REC_SIZE */
	uint32_t nb_rings;		/* workers */
	uint32_t ring_size;		/* records per ring, a power of two */
	uint64_t ring_offset;		/* of ring 0 */
	uint64_t ring_stride;		/* bytes from one ring to the next */
	uint64_t total_size;		/* of the object */
	uint32_t producer_pid;		/* the data plane */
	uint32_t consumer_pid;		/* the writer (0: none yet) */
	uint64_t reserved[505];		/* to 4096 bytes, zero */
};

struct sb_audit_ring {
	uint64_t head;			/* producer: records written (free-running) */
	uint64_t waits;			/* producer: polls with the ring too full to take input */
	uint64_t pad0[6];
	uint64_t tail;			/* consumer: records written out */
	uint64_t pad1[7];
	/* then ring_size struct sb_audit_rec */
};

static_assert(sizeof(struct sb_audit_rec) == SB_AUDIT_REC_SIZE, "sb_audit_rec");
static_assert(offsetof(struct sb_audit_rec, src) == 64, "sb_audit_rec.src");
static_assert(sizeof(struct sb_audit_hdr) == 4096, "sb_audit_hdr is a page");
static_assert(sizeof(struct sb_audit_ring) == 128, "sb_audit_ring");
static_assert(offsetof(struct sb_audit_ring, tail) == 64, "tail on its own line");

#endif
