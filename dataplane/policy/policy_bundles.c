/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_bundles.c - the BUNDLES table: a keyed record table (policy_krt.c)
 * of kind SB_POL_TABLE_BUNDLES and magic SB_POL_BUNDLES_MAGIC, keyed by
 * trust domain, the entry's number being the bundle's spiffe_sequence.
 */
#include <errno.h>
#include <stdlib.h>

#include "policy_bundles.h"
#include "policy_krt.h"

static const char *const reasons[POLICY_KRT_NBAD] = {
	[POLICY_KRT_SHORT] = "BUNDLES table: too short or misaligned",
	[POLICY_KRT_HEADER] = "BUNDLES table: bad header",
	[POLICY_KRT_COUNT] = "BUNDLES table: bad trust domain count",
	[POLICY_KRT_CHECKSUM] = "BUNDLES table: checksum mismatch",
	[POLICY_KRT_BOUNDS] = "BUNDLES table: an entry is out of bounds",
	[POLICY_KRT_ORDER] = "BUNDLES table: trust domains not sorted or repeated",
};

const void *policy_bundles_table(const struct sb_shm_snapshot *s, uint64_t *size)
{
	return policy_krt_table(s, SB_POL_TABLE_BUNDLES, size);
}

int policy_bundles_check(const void *tab, uint64_t size, const char **why)
{
	return policy_krt_check(tab, size, SB_POL_BUNDLES_MAGIC, reasons, why);
}

static void from_rec(const struct policy_krt_rec *r, struct policy_bundle *b)
{
	b->td = (const char *)r->id;
	b->td_len = r->id_len;
	b->sequence = r->epoch;
	b->json = r->rec;
	b->json_len = r->rec_len;
}

int policy_bundles_get(const void *tab, uint32_t i, struct policy_bundle *b)
{
	struct policy_krt_rec r;
	int rc = policy_krt_get(tab, i, &r);

	if (rc == 0) {
		from_rec(&r, b);
	}
	return rc;
}

int policy_bundles_find(const void *tab, const char *td, size_t td_len, struct policy_bundle *b)
{
	struct policy_krt_rec r;
	int rc = policy_krt_find(tab, (const uint8_t *)td, td_len, &r);

	if (rc == 0) {
		from_rec(&r, b);
	}
	return rc;
}

int policy_bundles_build(const struct policy_bundle *b, uint32_t n, uint8_t **out, size_t *len)
{
	struct policy_krt_ent *k;
	int rc;

	if (n > SB_POL_KRT_MAX_ENTRIES || (n > 0 && b == NULL)) {
		return -EINVAL;
	}
	k = calloc(n > 0 ? n : 1, sizeof(*k));
	if (k == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		k[i] = (struct policy_krt_ent){ (const uint8_t *)b[i].td, b[i].td_len, b[i].sequence,
						b[i].json, b[i].json_len };
	}
	rc = policy_krt_build(k, n, SB_POL_BUNDLES_MAGIC, out, len);
	free(k);
	return rc;
}

void policy_bundles_free(uint8_t *tab, size_t len)
{
	policy_krt_free(tab, len);
}
