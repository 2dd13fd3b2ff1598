/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_seals.h - the SEALS table of a policy snapshot (SB_POL_TABLE_SEALS,
 * proto/shm/policy_abi.h): per trust relationship, how its cross-boundary
 * hop is sealed (mode, MLS group, epoch and seal secrets) and where the
 * peer bridge's SLIM endpoint is.
 *
 * Both sides of one layout (the keyed record table of policy_krt.h, magic
 * SB_POL_SEALS_MAGIC, keyed by trust id): the control process's trust
 * module builds it, the data plane's main lcore checks it with the
 * snapshot and dataplane/bridge reads it per trust.
 *
 * Secrets: records hold seal secrets. policy_seals_free wipes a built
 * table; views point into the snapshot (mode 0640).
 *
 * Thread context: any; lookups assume a checked table and do not allocate.
 */
#ifndef SB_POLICY_SEALS_H
#define SB_POLICY_SEALS_H

#include <stddef.h>
#include <stdint.h>

#include "shm/shm_abi.h"
#include "shm/policy_abi.h"

/* One trust's seal (views into the table). */
struct policy_seal {
	const char *trust_id;		/* the key; not NUL-terminated */
	size_t trust_id_len;
	const struct sb_pol_seal *s;	/* fixed part (8-byte aligned in the table) */
	const uint8_t *group_id;	/* s->group_id_len bytes */
	const char *peer_td;		/* s->peer_td_len bytes, not NUL-terminated */
};

/* policy_seals_table: the table of snapshot |s| and its size, or NULL (none, or two). */
const void *policy_seals_table(const struct sb_shm_snapshot *s, uint64_t *size);

/*
 * policy_seals_check: the krt checks (magic SB_POL_SEALS_MAGIC) and, for
 * every record, its length (sizeof(struct sb_pol_seal) + group id + peer
 * trust domain, padded to 8), mode, state, family, lengths in range,
 * reserved fields zero, and the entry's number equal to s->epoch. Returns
 * the number of seals, or -EINVAL with |*why|. (Whether s->trust indexes
 * the snapshot's TRUSTS is the caller's check: it has the view.)
 */
int policy_seals_check(const void *tab, uint64_t size, const char **why)
	__attribute__((warn_unused_result));

/* policy_seals_get: seal |i| of a checked table; 0 or -ENOENT. */
int policy_seals_get(const void *tab, uint32_t i, struct policy_seal *out)
	__attribute__((warn_unused_result));

/* policy_seals_find: by trust id (binary search); 0 or -ENOENT. */
int policy_seals_find(const void *tab, const char *trust_id, size_t len, struct policy_seal *out)
	__attribute__((warn_unused_result));

/* An entry for policy_seals_build: the fixed part is copied as given. */
struct policy_seal_ent {
	const char *trust_id;		/* 1..SB_POL_MLS_MAX_ID bytes, unique */
	size_t trust_id_len;
	struct sb_pol_seal s;		/* group_id_len / peer_td_len must match below */
	const uint8_t *group_id;
	const char *peer_td;
};

/*
 * policy_seals_build lays out |n| seals (any order) into a malloc'd table
 * (|*out|, |*len|); free it with policy_seals_free (wipes). 0, -EINVAL or
 * -ENOMEM; n == 0 makes an empty table.
 */
int policy_seals_build(const struct policy_seal_ent *e, uint32_t n, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));

void policy_seals_free(uint8_t *tab, size_t len);

#endif
