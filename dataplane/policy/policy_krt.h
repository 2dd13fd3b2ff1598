/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_krt.h - keyed record tables of a policy snapshot: the one layout
 * of the MLS and BUNDLES tables (proto/shm/policy_abi.h, "The MLS table"),
 * written by the control process and read in place by the data plane.
 * Internal to dataplane/policy: callers use policy_mls.h and
 * policy_bundles.h, which fix the kind and the magic.
 *
 * Thread context: any. Lookups assume a checked table and do not allocate.
 */
#ifndef SB_POLICY_KRT_H
#define SB_POLICY_KRT_H

#include <stddef.h>
#include <stdint.h>

#include "shm/shm_abi.h"
#include "shm/policy_abi.h"

#define SB_POL_KRT_MAX_ENTRIES SB_POL_MLS_MAX_GROUPS
#define SB_POL_KRT_MAX_KEY SB_POL_MLS_MAX_ID

/* One entry (views into the table). */
struct policy_krt_rec {
	const uint8_t *id;		/* the key */
	size_t id_len;
	uint64_t epoch;			/* the entry's number (MLS: epoch; bundles: sequence) */
	const uint8_t *rec;
	size_t rec_len;
};

/* An entry for policy_krt_build. */
struct policy_krt_ent {
	const uint8_t *id;
	size_t id_len;
	uint64_t epoch;
	const uint8_t *rec;
	size_t rec_len;
};

/* Why policy_krt_check refused a table: each table names them its own way. */
enum policy_krt_bad {
	POLICY_KRT_SHORT,	/* too short or misaligned */
	POLICY_KRT_HEADER,	/* bad magic, flags or reserved */
	POLICY_KRT_COUNT,	/* bad entry count */
	POLICY_KRT_CHECKSUM,	/* checksum mismatch */
	POLICY_KRT_BOUNDS,	/* an entry out of bounds */
	POLICY_KRT_ORDER,	/* keys not sorted or repeated */
	POLICY_KRT_NBAD
};

const void *policy_krt_table(const struct sb_shm_snapshot *s, uint32_t kind, uint64_t *size);
int policy_krt_check(const void *tab, uint64_t size, uint64_t magic,
		     const char *const reasons[POLICY_KRT_NBAD], const char **why)
	__attribute__((warn_unused_result));
int policy_krt_get(const void *tab, uint32_t i, struct policy_krt_rec *g)
	__attribute__((warn_unused_result));
int policy_krt_find(const void *tab, const uint8_t *id, size_t id_len, struct policy_krt_rec *g)
	__attribute__((warn_unused_result));
int policy_krt_build(const struct policy_krt_ent *e, uint32_t n, uint64_t magic, uint8_t **out,
		     size_t *len) __attribute__((warn_unused_result));
void policy_krt_free(uint8_t *tab, size_t len);

#endif
