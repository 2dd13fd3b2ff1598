/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_mls.h - the MLS table of a policy snapshot (SB_POL_TABLE_MLS,
 * proto/shm/policy_abi.h): per MLS group this bridge is a member of, the
 * epoch record of its current epoch (dataplane/mls/mls_export.h).
 *
 * Both sides of one layout: policy_mls_build lays the table out (the
 * control process, control/mls/ctl_mls.c); policy_mls_check and the
 * lookups read it in place (the data plane, tests/tools/mls_shm_peer.c).
 * The records themselves are opaque here: the reader checks that each lies
 * inside the table, and mls_export_decode checks what is inside (and the
 * caller that its group id and epoch agree with the entry's).
 *
 * Thread context: any. policy_mls_check reads the whole table (on the main
 * lcore, once per snapshot); the lookups assume a checked table and do not
 * allocate.
 */
#ifndef SB_POLICY_MLS_H
#define SB_POLICY_MLS_H

#include <stddef.h>
#include <stdint.h>

#include "shm/shm_abi.h"
#include "shm/policy_abi.h"

/* One group of the table (views into it). */
struct policy_mls_group {
	const uint8_t *id;
	size_t id_len;
	uint64_t epoch;
	const uint8_t *rec;		/* the epoch record (mls_export.h) */
	size_t rec_len;
};

/*
 * policy_mls_table returns the MLS table of snapshot |s| (checked by
 * shm_snapshot_valid) and its size in |*size|, or NULL when the snapshot
 * has none, or has two.
 */
const void *policy_mls_table(const struct sb_shm_snapshot *s, uint64_t *size);

/*
 * policy_mls_check checks a table of |size| bytes: magic, count, the
 * checksum, every entry's id and record inside the table and 8-byte
 * aligned, ids 1..SB_POL_MLS_MAX_ID bytes and strictly ascending, reserved
 * fields zero. Returns the number of groups, or -EINVAL with the reason in
 * |*why|.
 */
int policy_mls_check(const void *tab, uint64_t size, const char **why)
	__attribute__((warn_unused_result));

/* policy_mls_get fills |g| with group |i| of a checked table: 0, or -ENOENT past the end. */
int policy_mls_get(const void *tab, uint32_t i, struct policy_mls_group *g)
	__attribute__((warn_unused_result));

/*
 * policy_mls_find looks group |id| up in a checked table (binary search):
 * 0 with |g| filled, or -ENOENT.
 */
int policy_mls_find(const void *tab, const uint8_t *id, size_t id_len, struct policy_mls_group *g)
	__attribute__((warn_unused_result));

/* A group for policy_mls_build. */
struct policy_mls_ent {
	const uint8_t *id;		/* 1 .. SB_POL_MLS_MAX_ID bytes */
	size_t id_len;
	uint64_t epoch;
	const uint8_t *rec;
	size_t rec_len;			/* 1 .. UINT32_MAX */
};

/*
 * policy_mls_build lays out the table of the |n| groups |e| (any order;
 * ids unique) into a malloc'd buffer: |*out|, |*len| (a multiple of 8).
 * The records are copied: wipe and free the buffer with policy_mls_free.
 * Returns 0, -EINVAL (bad or repeated id, too many groups, a record too
 * long) or -ENOMEM. With n == 0 it makes an empty table.
 */
int policy_mls_build(const struct policy_mls_ent *e, uint32_t n, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));

/* policy_mls_free wipes and frees a table made by policy_mls_build (NULL ok). */
void policy_mls_free(uint8_t *tab, size_t len);

#endif
