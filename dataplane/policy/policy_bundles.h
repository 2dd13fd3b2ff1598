/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_bundles.h - the BUNDLES table of a policy snapshot
 * (SB_POL_TABLE_BUNDLES, proto/shm/policy_abi.h): per foreign (and our
 * own) trust domain, the SPIFFE bundle (JWKS JSON, dataplane/identity/
 * id_bundle.h) the data plane verifies JWT-SVIDs against.
 *
 * Both sides of one layout (the MLS table's, policy_krt.h): the control
 * process builds it (its federation module), the data plane's main lcore
 * checks it and parses each bundle into an id_bundle_set for the workers.
 * The bundles are public keys: nothing here is secret.
 *
 * Thread context: any; lookups assume a checked table and do not allocate.
 */
#ifndef SB_POLICY_BUNDLES_H
#define SB_POLICY_BUNDLES_H

#include <stddef.h>
#include <stdint.h>

#include "shm/shm_abi.h"
#include "shm/policy_abi.h"

/* One trust domain's bundle (views into the table). */
struct policy_bundle {
	const char *td;			/* not NUL-terminated */
	size_t td_len;
	uint64_t sequence;		/* spiffe_sequence, 0 when the bundle has none */
	const uint8_t *json;		/* the bundle document */
	size_t json_len;
};

/* policy_bundles_table: the table of snapshot |s| and its size, or NULL (none, or two). */
const void *policy_bundles_table(const struct sb_shm_snapshot *s, uint64_t *size);

/*
 * policy_bundles_check: as policy_mls_check, for magic SB_POL_BUNDLES_MAGIC.
 * Returns the number of trust domains, or -EINVAL with |*why|. (Whether each
 * document is a valid bundle is id_bundle_parse's to say.)
 */
int policy_bundles_check(const void *tab, uint64_t size, const char **why)
	__attribute__((warn_unused_result));

/* policy_bundles_get: bundle |i| of a checked table; 0 or -ENOENT. */
int policy_bundles_get(const void *tab, uint32_t i, struct policy_bundle *b)
	__attribute__((warn_unused_result));

/* policy_bundles_find: by trust domain (binary search); 0 or -ENOENT. */
int policy_bundles_find(const void *tab, const char *td, size_t td_len, struct policy_bundle *b)
	__attribute__((warn_unused_result));

/*
 * policy_bundles_build lays out the |n| bundles of |b| (any order; trust
 * domains 1..SB_POL_MLS_MAX_ID bytes and unique; documents 1..UINT32_MAX
 * bytes) into a malloc'd table (|*out|, |*len|, a multiple of 8); free it
 * with policy_bundles_free. 0, -EINVAL or -ENOMEM; n == 0 makes an empty
 * table (we trust no trust domain).
 */
int policy_bundles_build(const struct policy_bundle *b, uint32_t n, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));

void policy_bundles_free(uint8_t *tab, size_t len);

#endif
