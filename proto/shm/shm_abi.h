/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm_abi.h - the shared-memory ABI between slimbridge-control (writer) and
 * slimbridge-dataplane (reader). Declarations only; no logic.
 *
 * Two POSIX shared-memory objects per deployment, named after shm.name (N):
 *
 *   /dev/shm/N.policy  created by the control process, mode 0640. The control
 *                      process maps it read-write; the data plane opens it
 *                      O_RDONLY and maps it PROT_READ (it can never corrupt
 *                      policy). Layout: struct sb_shm_header at offset 0,
 *                      then SB_SHM_SLOTS snapshot slots of slot_size bytes
 *                      each at slot_offset[i], each starting with a struct
 *                      sb_shm_snapshot.
 *   /dev/shm/N.status  created by the data plane, mode 0644: struct
 *                      sb_shm_status, the only thing the data plane writes
 *                      back (which snapshot its workers have all moved to).
 *
 * All fields are little-endian fixed-width integers (both processes run on
 * the same host; the static asserts below pin sizes and offsets so a
 * compiler or padding change cannot silently move a field).
 *
 * Compatibility: a reader refuses a segment whose magic, abi_major,
 * header_size or snapshot layout it does not know; abi_minor grows for
 * additive changes (new table kinds, fields taken from reserved space) that
 * old readers may ignore.
 *
 * Publishing (writer), lock-free for readers, in the style of VPP's stats
 * segment:
 *   1. pick the inactive slot; it may be rewritten only once the reader's
 *      status shows acked_epoch == epoch for this instance (all workers have
 *      left the older snapshot), or no live reader is attached;
 *   2. write the snapshot there with snapshot.epoch = epoch + 1;
 *   3. store in_progress = 1; full fence; store active_slot, then epoch + 1
 *      (release); store in_progress = 0 (release).
 * Reading (data plane main lcore):
 *   e = load-acquire(epoch); give up this round if in_progress != 0;
 *   s = active_slot; validate snapshot s (magic, epoch == e, size <=
 *   slot_size); load-acquire(in_progress) == 0 and epoch == e again, or retry.
 * The data plane then hands the snapshot to its workers through an RCU
 * pointer swap, waits for a QSBR grace period, and only then stores the
 * epoch in status.acked_epoch: from then on the other slot is free.
 *
 * Refusal: a snapshot the data plane refuses (checksum, sizes, indices) is
 * never handed to the workers, which keep reading the other slot. The data
 * plane stores its epoch in status.refused_epoch (same seq protocol, with
 * instance_id). While refused_epoch == header.epoch for its instance, the
 * writer may rewrite the ACTIVE slot in place: it stores in_progress = 1
 * before touching the slot and keeps it set until active_slot and epoch + 1
 * are stored, so a reader never takes a half-written slot (it re-checks
 * in_progress and epoch after validating, and never reads a refused epoch
 * again). The slot the workers read is untouched, and a refused snapshot
 * never blocks later publishes.
 *
 * instance_id is random per control-process start. A restarted control
 * process creates a fresh object (new inode) with a new instance_id and
 * epochs that start again at 1; the data plane notices the new object and
 * re-attaches, keeping its last good snapshot until the new one is valid.
 */
#ifndef SB_SHM_ABI_H
#define SB_SHM_ABI_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define SB_SHM_MAGIC		0x474452424d494c53ULL	/* "SLIMBRDG" */
#define SB_SHM_SNAP_MAGIC	0x3150414e53424253ULL	/* "SBBSNAP1" */
#define SB_SHM_STATUS_MAGIC	0x5355544154534253ULL	/* "SBSTATUS" */
#define SB_SHM_ABI_MAJOR	1
#define SB_SHM_ABI_MINOR	4	/* 1: sb_shm_status.refused_epoch; 2: the MLS policy table; 3: BUNDLES; 4: SEALS */
#define SB_SHM_SLOTS		2
#define SB_SHM_SLOT_ALIGN	4096
#define SB_SHM_NAME_MAX		64

/* Suffixes appended to shm.name to form the object names. */
#define SB_SHM_POLICY_SUFFIX	".policy"
#define SB_SHM_STATUS_SUFFIX	".status"

/* Header at offset 0 of N.policy. 128 bytes, two cache lines. */
struct sb_shm_header {
	/* Line 0: written once at creation. */
	uint64_t magic;			/* SB_SHM_MAGIC */
	uint16_t abi_major;		/* SB_SHM_ABI_MAJOR */
	uint16_t abi_minor;		/* SB_SHM_ABI_MINOR */
	uint32_t header_size;		/* sizeof(struct sb_shm_header) */
	uint64_t segment_size;		/* bytes of the whole object */
	uint64_t instance_id;		/* random, per control-process start */
	uint64_t slot_offset[SB_SHM_SLOTS];	/* SB_SHM_SLOT_ALIGN aligned */
	uint64_t slot_size;		/* bytes per slot */
	uint32_t writer_pid;
	uint32_t flags;			/* none defined; 0 */
	/* Line 1: written on every publish and heartbeat. */
	uint64_t epoch;			/* active snapshot's epoch; 0 = none yet */
	uint32_t in_progress;		/* 1 while epoch/active_slot change */
	uint32_t active_slot;		/* 0..SB_SHM_SLOTS-1 */
	uint64_t published_ns;		/* CLOCK_REALTIME of the last publish */
	uint64_t heartbeat_ns;		/* CLOCK_MONOTONIC, refreshed every second */
	uint8_t reserved[32];		/* zero */
};

/* One table inside a snapshot; kinds arrive with the policy issue. */
struct sb_shm_table {
	uint32_t kind;			/* enum sb_shm_table_kind */
	uint32_t flags;
	uint64_t offset;		/* from the start of the snapshot */
	uint64_t size;			/* bytes */
	uint64_t count;			/* entries */
};

enum sb_shm_table_kind {
	SB_SHM_TABLE_NONE = 0,
};

#define SB_SHM_MAX_TABLES 30

/* Start of every slot. The snapshot is immutable once published. */
struct sb_shm_snapshot {
	uint64_t magic;			/* SB_SHM_SNAP_MAGIC */
	uint64_t epoch;			/* equals header.epoch when active */
	uint64_t size;			/* bytes used, header included */
	uint32_t nb_tables;		/* <= SB_SHM_MAX_TABLES */
	uint32_t flags;			/* none defined; 0 */
	uint8_t reserved[32];
	struct sb_shm_table tables[SB_SHM_MAX_TABLES];
};

/*
 * N.status, written by the data plane main lcore only. |seq| is odd while
 * instance_id/acked_epoch/refused_epoch change; a reader takes two copies and uses them only
 * if they are identical with an even |seq|. A reader is live while its pid
 * exists and its heartbeat is younger than SB_SHM_READER_STALE_NS (which also
 * covers a pid reused after the data plane died).
 */
#define SB_SHM_READER_STALE_NS	(10ull * 1000 * 1000 * 1000)

struct sb_shm_status {
	uint64_t magic;			/* SB_SHM_STATUS_MAGIC */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t size;			/* sizeof(struct sb_shm_status) */
	uint64_t instance_id;		/* policy instance attached to; 0 = none */
	uint64_t acked_epoch;		/* every worker uses this epoch or newer */
	uint64_t heartbeat_ns;		/* CLOCK_MONOTONIC, refreshed every 100 ms */
	uint32_t reader_pid;
	uint32_t nb_workers;
	uint32_t seq;			/* odd while instance_id/acked_epoch/refused_epoch change */
	uint32_t reader_token;		/* random, non-zero, per data-plane start (minor 4) */
	uint64_t refused_epoch;		/* last epoch of instance_id refused; 0: none (minor 1) */
};

static_assert(sizeof(struct sb_shm_header) == 128, "sb_shm_header is 128 bytes");
static_assert(offsetof(struct sb_shm_header, instance_id) == 24, "instance_id");
static_assert(offsetof(struct sb_shm_header, slot_offset) == 32, "slot_offset");
static_assert(offsetof(struct sb_shm_header, slot_size) == 48, "slot_size");
static_assert(offsetof(struct sb_shm_header, epoch) == 64, "epoch on its own line");
static_assert(offsetof(struct sb_shm_header, in_progress) == 72, "in_progress");
static_assert(offsetof(struct sb_shm_header, active_slot) == 76, "active_slot");
static_assert(offsetof(struct sb_shm_header, heartbeat_ns) == 88, "heartbeat_ns");
static_assert(sizeof(struct sb_shm_table) == 32, "sb_shm_table is 32 bytes");
static_assert(sizeof(struct sb_shm_snapshot) == 64 + 32 * SB_SHM_MAX_TABLES,
	      "sb_shm_snapshot header is 1024 bytes");
static_assert(offsetof(struct sb_shm_snapshot, tables) == 64, "tables");
static_assert(sizeof(struct sb_shm_status) == 64, "sb_shm_status is one cache line");
static_assert(offsetof(struct sb_shm_status, acked_epoch) == 24, "acked_epoch");
static_assert(offsetof(struct sb_shm_status, seq) == 48, "seq");
static_assert(offsetof(struct sb_shm_status, refused_epoch) == 56, "refused_epoch");

#endif
