/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mls_export.c - what the data plane reads of the control process's
 * MLS state: the epoch record (mls_export_decode, dataplane/mls/
 * mls_export.c) and the MLS table of a snapshot (policy_mls_check,
 * dataplane/policy/policy_mls.c), on arbitrary bytes. The first byte picks
 * the target:
 *   even  the rest is one epoch record. mls_export_decode answers 0,
 *         -EBADMSG or -EPROTONOSUPPORT and zeroes the record on failure; a
 *         record it accepts re-encodes (mls_export_encode) to exactly the
 *         input, every member it lists lies inside the input, and building
 *         the data plane's state from it (mls_export_app_new: keys from
 *         untrusted bytes) answers 0, -EBADMSG or -ENOMEM.
 *   odd   the rest is an MLS table. policy_mls_check answers the number of
 *         groups or -EINVAL with a reason; in a table it accepts, every
 *         group's id and record lie inside it, each id is found again by
 *         policy_mls_find, and each record goes through the record checks.
 * Neither may read outside the input (ASan in the libFuzzer build).
 *
 * The custom mutator mostly starts again from a valid record or table
 * (suite 1, three members; fixed keys, so runs replay) and rewrites one
 * field or byte with a boundary value, so that mutations get past the
 * magic and the lengths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "fuzz.h"
#include "mls_app.h"
#include "mls_crypto.h"
#include "mls_export.h"
#include "policy_mls.h"

#define MAX_MEMBERS 512

static uint8_t seed_rec[1024];
static size_t seed_rec_len;
static uint8_t *seed_tab;
static size_t seed_tab_len;

/* A valid record (suite 1: Ed25519 key from a fixed seed) and a table of two groups. */
static void make_seeds(void)
{
	static const uint8_t priv[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
					 31, 32};
	static uint8_t secret[32] = {0x5a};
	static uint8_t gc[48] = {0x00, 0x01};
	const struct mls_suite *s = mls_suite_get(1);
	struct mls_export_member m[3];
	struct mls_export_rec r;
	struct policy_mls_ent e[2];
	uint8_t pub[MLS_MAX_SIG_PUB];
	size_t pub_len;
	EVP_PKEY *k = NULL;

	CHECK(s != NULL);
	CHECK(mls_sig_key_from_priv(s, priv, sizeof(priv), &k) == 0);
	CHECK(mls_sig_pub_raw(s, k, pub, sizeof(pub), &pub_len) == 0);
	EVP_PKEY_free(k);
	for (uint32_t i = 0; i < 3; i++) {
		m[i] = (struct mls_export_member){i * 2, secret, pub, pub_len};
	}
	memset(&r, 0, sizeof(r));
	r.suite = s;
	r.group_id = (const uint8_t *)"fuzz-group";
	r.group_id_len = 10;
	r.epoch = 3;
	r.own_leaf = 2;
	r.n_leaves = 6;
	r.group_context = gc;
	r.group_context_len = sizeof(gc);
	r.sender_data_secret = secret;
	r.sig_priv = priv;
	r.sig_priv_len = sizeof(priv);
	CHECK(mls_export_encode(&r, m, 3, seed_rec, sizeof(seed_rec), &seed_rec_len) == 0);
	e[0] = (struct policy_mls_ent){(const uint8_t *)"fuzz-group", 10, 3, seed_rec,
				       seed_rec_len};
	e[1] = (struct policy_mls_ent){(const uint8_t *)"another", 7, 9, seed_rec, seed_rec_len};
	CHECK(policy_mls_build(e, 2, &seed_tab, &seed_tab_len) == 0);
}

static void check_record(const uint8_t *p, size_t len)
{
	static struct mls_export_member m[MAX_MEMBERS];
	static uint8_t re[1u << 20];
	struct mls_app_receiver *rv = NULL;
	struct mls_app_sender *sd = NULL;
	struct mls_export_rec r;
	struct mls_export_member x;
	size_t off = 0, re_len = 0;
	uint32_t n = 0;
	int rc;

	rc = mls_export_decode(p, len, &r);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
	if (rc != 0) {
		CHECK(r.suite == NULL && r.group_id == NULL && r.members == NULL);
		return;
	}
	CHECK(r.group_id >= p && r.group_id + r.group_id_len <= p + len);
	CHECK(r.members >= p && r.members + r.members_len <= p + len);
	while (mls_export_member_next(&r, &off, &x) == 1) {
		CHECK(x.app_secret >= p && x.app_secret + r.suite->nh <= p + len);
		CHECK(x.sig_pub >= p && x.sig_pub + x.sig_pub_len <= p + len);
		CHECK(x.leaf < r.n_leaves);
		if (n < MAX_MEMBERS) {
			m[n] = x;
		}
		n++;
	}
	CHECK(n == r.n_members && off == r.members_len);
	CHECK(mls_export_find_member(&r, r.own_leaf, &x) == 0);
	if (n <= MAX_MEMBERS && len <= sizeof(re)) {
		CHECK(mls_export_encode(&r, m, n, re, sizeof(re), &re_len) == 0);
		CHECK(re_len == len && memcmp(re, p, len) == 0);
	}
	rc = mls_export_app_new(&r, 0, &sd, &rv);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
	mls_app_sender_free(sd);
	mls_app_receiver_free(rv);
}

static void check_table(const uint8_t *p, size_t len)
{
	const char *why = NULL;
	int n = policy_mls_check(p, len, &why);

	CHECK(n == -EINVAL || n >= 0);
	if (n < 0) {
		CHECK(why != NULL && strncmp(why, "MLS table: ", 11) == 0);
		return;
	}
	for (uint32_t i = 0; i < (uint32_t)n; i++) {
		struct policy_mls_group g, f;

		CHECK(policy_mls_get(p, i, &g) == 0);
		CHECK(g.id >= p && g.id + g.id_len <= p + len && g.id_len >= 1);
		CHECK(g.rec >= p && g.rec + g.rec_len <= p + len);
		CHECK(policy_mls_find(p, g.id, g.id_len, &f) == 0);
		CHECK(f.id == g.id && f.rec == g.rec && f.epoch == g.epoch);
		check_record(g.rec, g.rec_len);
	}
	CHECK(policy_mls_get(p, (uint32_t)n, &(struct policy_mls_group){0}) == -ENOENT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *t;

	if (size == 0) {
		return 0;
	}
	if (seed_tab == NULL) {
		make_seeds();
	}
	/* Tables are 8-byte aligned in a snapshot; so is malloc's memory. */
	t = malloc(size);
	CHECK(t != NULL);
	memcpy(t, data + 1, size - 1);
	if (data[0] % 2 == 0) {
		check_record(t, size - 1);
	} else {
		check_table(t, size - 1);
	}
	free(t);
	return 0;
}

static uint64_t boundary(unsigned seed, uint64_t size)
{
	static const uint64_t v[] = {0, 1, 7, 8, 31, 32, 33, 63, 64, 255, 256, 0xffff, 0x10000,
				     0xffffffffull, UINT64_MAX};

	switch (seed % 4) {
	case 0:
		return size;
	case 1:
		return size - 8;
	default:
		return v[(seed / 4) % (sizeof(v) / sizeof(v[0]))];
	}
}

static size_t mutate(uint8_t *data, size_t size, size_t max_size, unsigned r);

/* Half the time a mutated table gets its checksum back, so the checks behind it are reached. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	unsigned r = seed * 2654435761u;

	size = mutate(data, size, max_size, r);
	if (size > 1 + sizeof(struct sb_pol_mls_hdr) && data[0] % 2 == 1 && (r >> 24) & 1) {
		uint64_t c = XXH64(data + 1 + sizeof(struct sb_pol_mls_hdr),
				   size - 1 - sizeof(struct sb_pol_mls_hdr), 0);

		memcpy(data + 1 + offsetof(struct sb_pol_mls_hdr, checksum), &c, sizeof(c));
	}
	return size;
}

static size_t mutate(uint8_t *data, size_t size, size_t max_size, unsigned r)
{
	if (seed_tab == NULL) {
		make_seeds();
	}
	if (size == 0 || r % 3 == 0) {
		/* Start again from a valid record or table. */
		const uint8_t *src = r & 8 ? seed_tab : seed_rec;
		size_t n = r & 8 ? seed_tab_len : seed_rec_len;

		if (n + 1 > max_size) {
			return LLVMFuzzerMutate(data, size, max_size);
		}
		data[0] = r & 8 ? 1 : 0;
		memcpy(data + 1, src, n);
		size = n + 1;
	}
	switch ((r >> 4) % 4) {
	case 0:
		return LLVMFuzzerMutate(data, size, max_size);
	case 1:
		/* A varint length byte or a byte of a fixed field. */
		if (size > 1) {
			data[1 + (r >> 8) % (size - 1)] = (uint8_t)boundary(r >> 12, size);
		}
		return size;
	case 2:
		/* An aligned 64- or 32-bit field of a table. */
		if (size > 9) {
			size_t off = 1 + (((r >> 8) % (size - 1)) & ~(size_t)7);
			uint64_t v = boundary(r >> 12, size - 1);

			if (off + 8 <= size) {
				memcpy(data + off, &v, (r >> 20) & 1 ? 8 : 4);
			}
		}
		return size;
	default:
		/* Cut it short. */
		return size > 1 ? 1 + (r >> 8) % size : size;
	}
}
