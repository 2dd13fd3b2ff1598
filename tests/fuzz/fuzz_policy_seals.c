/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_policy_seals.c - the SEALS table of a snapshot (policy_seals_check,
 * dataplane/policy/policy_seals.c) on arbitrary bytes: what the data plane's
 * main lcore reads before any worker sees a seal. The first byte picks:
 *   odd   the rest is a table as it is.
 *   even  a valid table of 1..3 seals is built (policy_seals_build) from the
 *         next bytes, then the byte at an input-chosen offset is replaced,
 *         and the checksum fixed up or not: mutations get past the magic and
 *         the checksum to the per-record checks.
 * A table the check accepts must give every seal by index and by id, with
 * the group id and the peer trust domain inside the table. Nothing may read
 * outside the input (ASan in the libFuzzer build).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "fuzz.h"
#include "policy_seals.h"

static void check_table(const uint8_t *tab, size_t len)
{
	const char *why = NULL;
	int n;
	uint8_t *copy;

	/* 8-byte aligned, as the table is in a snapshot */
	copy = malloc(len == 0 ? 1 : len);
	if (copy == NULL) {
		return;
	}
	memcpy(copy, tab, len);
	n = policy_seals_check(copy, len, &why);
	CHECK(n >= 0 || (n == -EINVAL && why != NULL));
	for (int i = 0; i < n; i++) {
		struct policy_seal s, f;

		CHECK(policy_seals_get(copy, (uint32_t)i, &s) == 0);
		CHECK((const uint8_t *)s.trust_id >= copy && (const uint8_t *)s.trust_id + s.trust_id_len <= copy + len);
		CHECK(s.group_id >= copy && s.group_id + s.s->group_id_len <= copy + len);
		CHECK((const uint8_t *)s.peer_td >= copy &&
		      (const uint8_t *)s.peer_td + s.s->peer_td_len <= copy + len);
		CHECK(s.s->group_id_len >= 1 && s.s->peer_td_len >= 1);
		CHECK(policy_seals_find(copy, s.trust_id, s.trust_id_len, &f) == 0);
		CHECK(f.s == s.s);
	}
	if (n >= 0) {
		struct policy_seal g;

		CHECK(policy_seals_get(copy, (uint32_t)n, &g) == -ENOENT);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_seal_ent e[3];
	char ids[3][8], tds[3][16];
	uint8_t groups[3][24];
	uint8_t *tab = NULL;
	size_t len = 0, at = 1;
	uint32_t n;

	if (size == 0) {
		return 0;
	}
	if (data[0] & 1) {
		check_table(data + 1, size - 1);
		return 0;
	}
	n = size > 1 ? (uint32_t)(data[1] % 3) + 1 : 1;
	memset(e, 0, sizeof(e));
	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = at < size ? data[at++] : (uint8_t)i;

		snprintf(ids[i], sizeof(ids[i]), "t%u-%02x", i, b);
		snprintf(tds[i], sizeof(tds[i]), "td%u.example", i);
		memset(groups[i], 'g' + (int)i, sizeof(groups[i]));
		e[i].trust_id = ids[i];
		e[i].trust_id_len = strlen(ids[i]);
		e[i].group_id = groups[i];
		e[i].peer_td = tds[i];
		e[i].s.trust = i;
		e[i].s.mode = (b & 1) ? SB_POL_SEAL_MLS : SB_POL_SEAL_AES;
		e[i].s.state = SB_POL_SEAL_READY;
		e[i].s.family = 4;
		e[i].s.port = 46357;
		e[i].s.group_id_len = (uint16_t)(1 + b % sizeof(groups[i]));
		e[i].s.peer_td_len = (uint16_t)strlen(tds[i]);
		e[i].s.epoch = 2 + b;
		e[i].s.prev_epoch = (b & 2) ? 1 + b : 0;
		e[i].s.flags = (b & 6) == 6 ? SB_POL_SEAL_F_SEND_PREV : 0;
	}
	if (policy_seals_build(e, n, &tab, &len) != 0) {
		return 0;
	}
	check_table(tab, len); /* what control builds, the data plane accepts */
	if (at + 2 <= size && len > 0) {
		size_t off = ((size_t)data[at] << 8 | data[at + 1]) % len;

		tab[off] = at + 2 < size ? data[at + 2] : (uint8_t)(tab[off] ^ 0xff);
		if (at + 3 < size && (data[at + 3] & 1) && len > 32) {
			/* keep the checksum right so the record checks are what refuses */
			uint64_t sum = XXH64(tab + 32, len - 32, 0);

			memcpy(tab + 16, &sum, sizeof(sum));
		}
		check_table(tab, len);
	}
	policy_seals_free(tab, len);
	return 0;
}
