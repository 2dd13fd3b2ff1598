/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_mls.c - the MLS table: a keyed record table (policy_krt.c) of kind
 * SB_POL_TABLE_MLS and magic SB_POL_MLS_MAGIC, keyed by group id.
 */
#include <errno.h>
#include <stdlib.h>

#include "policy_krt.h"
#include "policy_mls.h"

const void *policy_mls_table(const struct sb_shm_snapshot *s, uint64_t *size)
{
	return policy_krt_table(s, SB_POL_TABLE_MLS, size);
}

static const char *const reasons[POLICY_KRT_NBAD] = {
	[POLICY_KRT_SHORT] = "MLS table: too short or misaligned",
	[POLICY_KRT_HEADER] = "MLS table: bad header",
	[POLICY_KRT_COUNT] = "MLS table: bad group count",
	[POLICY_KRT_CHECKSUM] = "MLS table: checksum mismatch",
	[POLICY_KRT_BOUNDS] = "MLS table: a group entry is out of bounds",
	[POLICY_KRT_ORDER] = "MLS table: group ids not sorted or repeated",
};

int policy_mls_check(const void *tab, uint64_t size, const char **why)
{
	return policy_krt_check(tab, size, SB_POL_MLS_MAGIC, reasons, why);
}

static void from_rec(const struct policy_krt_rec *r, struct policy_mls_group *g)
{
	g->id = r->id;
	g->id_len = r->id_len;
	g->epoch = r->epoch;
	g->rec = r->rec;
	g->rec_len = r->rec_len;
}

int policy_mls_get(const void *tab, uint32_t i, struct policy_mls_group *g)
{
	struct policy_krt_rec r;
	int rc = policy_krt_get(tab, i, &r);

	if (rc == 0) {
		from_rec(&r, g);
	}
	return rc;
}

int policy_mls_find(const void *tab, const uint8_t *id, size_t id_len, struct policy_mls_group *g)
{
	struct policy_krt_rec r;
	int rc = policy_krt_find(tab, id, id_len, &r);

	if (rc == 0) {
		from_rec(&r, g);
	}
	return rc;
}

int policy_mls_build(const struct policy_mls_ent *e, uint32_t n, uint8_t **out, size_t *len)
{
	struct policy_krt_ent *k;
	int rc;

	if (n > SB_POL_MLS_MAX_GROUPS || (n > 0 && e == NULL)) {
		return -EINVAL;
	}
	k = calloc(n > 0 ? n : 1, sizeof(*k));
	if (k == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		k[i] = (struct policy_krt_ent){ e[i].id, e[i].id_len, e[i].epoch, e[i].rec,
						e[i].rec_len };
	}
	rc = policy_krt_build(k, n, SB_POL_MLS_MAGIC, out, len);
	free(k);
	return rc;
}

void policy_mls_free(uint8_t *tab, size_t len)
{
	policy_krt_free(tab, len);
}
