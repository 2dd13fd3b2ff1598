/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_seals.c - the SEALS table: a keyed record table (policy_krt.c) of
 * kind SB_POL_TABLE_SEALS and magic SB_POL_SEALS_MAGIC, keyed by trust id,
 * the entry's number being the seal's epoch. Each record is a struct
 * sb_pol_seal, the MLS group id and the peer's trust domain, zero-padded
 * to a multiple of 8 bytes (the record length includes the padding, so
 * the check can demand it exactly).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy_krt.h"
#include "policy_seals.h"

#define SEAL_TD_MAX 255		/* bytes of a peer trust domain */

static const char *const reasons[POLICY_KRT_NBAD] = {
	[POLICY_KRT_SHORT] = "SEALS table: too short or misaligned",
	[POLICY_KRT_HEADER] = "SEALS table: bad header",
	[POLICY_KRT_COUNT] = "SEALS table: bad seal count",
	[POLICY_KRT_CHECKSUM] = "SEALS table: checksum mismatch",
	[POLICY_KRT_BOUNDS] = "SEALS table: an entry is out of bounds",
	[POLICY_KRT_ORDER] = "SEALS table: trust ids not sorted or repeated",
};

static size_t rec_len(size_t gid_len, size_t td_len)
{
	return (sizeof(struct sb_pol_seal) + gid_len + td_len + 7) & ~(size_t)7;
}

const void *policy_seals_table(const struct sb_shm_snapshot *s, uint64_t *size)
{
	return policy_krt_table(s, SB_POL_TABLE_SEALS, size);
}

/* The checks of one record beyond the krt's bounds; NULL when it is good. */
static const char *rec_check(const struct policy_krt_rec *r)
{
	const struct sb_pol_seal *s = (const struct sb_pol_seal *)r->rec;
	size_t used;

	if (r->rec_len < sizeof(*s)) {
		return "SEALS table: a record is shorter than a seal";
	}
	if (s->group_id_len == 0 || s->group_id_len > SB_POL_MLS_MAX_ID || s->peer_td_len == 0 ||
	    s->peer_td_len > SEAL_TD_MAX) {
		return "SEALS table: a group id or trust domain length is out of range";
	}
	if (r->rec_len != rec_len(s->group_id_len, s->peer_td_len)) {
		return "SEALS table: a record's length does not match its group id and trust domain";
	}
	used = sizeof(*s) + s->group_id_len + s->peer_td_len;
	for (size_t i = used; i < r->rec_len; i++) {
		if (r->rec[i] != 0) {
			return "SEALS table: a record's padding is not zero";
		}
	}
	if (s->mode != SB_POL_SEAL_AES && s->mode != SB_POL_SEAL_MLS) {
		return "SEALS table: unknown mode";
	}
	if (s->state != SB_POL_SEAL_NONE && s->state != SB_POL_SEAL_READY) {
		return "SEALS table: unknown state";
	}
	if (s->transport != 0) {
		return "SEALS table: unknown transport";
	}
	if (s->family != 4 && s->family != 6) {
		return "SEALS table: the peer endpoint's family is neither 4 nor 6";
	}
	if (s->family == 4) {
		for (size_t i = 4; i < sizeof(s->addr); i++) {
			if (s->addr[i] != 0) {
				return "SEALS table: an IPv4 address with bytes after the fourth";
			}
		}
	}
	if ((s->flags & ~(uint16_t)(SB_POL_SEAL_F_SEND_PREV | SB_POL_SEAL_F_RECV_ONLY)) != 0) {
		return "SEALS table: unknown flags";
	}
	if ((s->flags & SB_POL_SEAL_F_SEND_PREV) != 0 && s->prev_epoch == 0) {
		return "SEALS table: send-prev without a previous epoch";
	}
	if (s->epoch != r->epoch) {
		return "SEALS table: an entry's number is not its seal's epoch";
	}
	if (s->prev_epoch != 0 && s->prev_epoch >= s->epoch) {
		return "SEALS table: the previous epoch is not older than the epoch";
	}
	return NULL;
}

int policy_seals_check(const void *tab, uint64_t size, const char **why)
{
	int n = policy_krt_check(tab, size, SB_POL_SEALS_MAGIC, reasons, why);

	for (int i = 0; i < n; i++) {
		struct policy_krt_rec r;
		const char *bad;

		if (policy_krt_get(tab, (uint32_t)i, &r) != 0) {
			*why = reasons[POLICY_KRT_BOUNDS];
			return -EINVAL;
		}
		bad = rec_check(&r);
		if (bad != NULL) {
			*why = bad;
			return -EINVAL;
		}
	}
	return n;
}

static void from_rec(const struct policy_krt_rec *r, struct policy_seal *out)
{
	out->trust_id = (const char *)r->id;
	out->trust_id_len = r->id_len;
	out->s = (const struct sb_pol_seal *)r->rec;
	out->group_id = r->rec + sizeof(struct sb_pol_seal);
	out->peer_td = (const char *)out->group_id + out->s->group_id_len;
}

int policy_seals_get(const void *tab, uint32_t i, struct policy_seal *out)
{
	struct policy_krt_rec r;
	int rc = policy_krt_get(tab, i, &r);

	if (rc == 0) {
		from_rec(&r, out);
	}
	return rc;
}

int policy_seals_find(const void *tab, const char *trust_id, size_t len, struct policy_seal *out)
{
	struct policy_krt_rec r;
	int rc = policy_krt_find(tab, (const uint8_t *)trust_id, len, &r);

	if (rc == 0) {
		from_rec(&r, out);
	}
	return rc;
}

static bool ent_ok(const struct policy_seal_ent *e)
{
	return e->trust_id != NULL && e->trust_id_len > 0 &&
	       e->trust_id_len <= SB_POL_MLS_MAX_ID && e->group_id != NULL &&
	       e->peer_td != NULL && e->s.group_id_len > 0 &&
	       e->s.group_id_len <= SB_POL_MLS_MAX_ID && e->s.peer_td_len > 0 &&
	       e->s.peer_td_len <= SEAL_TD_MAX;
}

int policy_seals_build(const struct policy_seal_ent *e, uint32_t n, uint8_t **out, size_t *len)
{
	struct policy_krt_ent *k = NULL;
	uint8_t **recs = NULL;
	size_t *lens = NULL;
	int rc = -ENOMEM;

	if (out == NULL || len == NULL || n > SB_POL_KRT_MAX_ENTRIES || (n > 0 && e == NULL)) {
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!ent_ok(&e[i])) {
			return -EINVAL;
		}
	}
	k = calloc(n + 1, sizeof(*k));
	recs = calloc(n + 1, sizeof(*recs));
	lens = calloc(n + 1, sizeof(*lens));
	if (k == NULL || recs == NULL || lens == NULL) {
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct sb_pol_seal *s = &e[i].s;

		lens[i] = rec_len(s->group_id_len, s->peer_td_len);
		recs[i] = calloc(1, lens[i]);	/* zero padding */
		if (recs[i] == NULL) {
			goto out;
		}
		memcpy(recs[i], s, sizeof(*s));
		memcpy(recs[i] + sizeof(*s), e[i].group_id, s->group_id_len);
		memcpy(recs[i] + sizeof(*s) + s->group_id_len, e[i].peer_td, s->peer_td_len);
		k[i] = (struct policy_krt_ent){(const uint8_t *)e[i].trust_id, e[i].trust_id_len,
					       s->epoch, recs[i], lens[i]};
	}
	rc = policy_krt_build(k, n, SB_POL_SEALS_MAGIC, out, len);
out:
	for (uint32_t i = 0; recs != NULL && i < n; i++) {
		if (recs[i] != NULL) {
			explicit_bzero(recs[i], lens[i]);	/* seal secrets */
			free(recs[i]);
		}
	}
	free(recs);
	free(lens);
	free(k);
	return rc;
}

void policy_seals_free(uint8_t *tab, size_t len)
{
	policy_krt_free(tab, len);
}
