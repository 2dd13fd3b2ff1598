/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_crypto.c, mls_sig.c and mls_hpke.c:
 *
 *  - the suite table, and the KDF against RFC 5869 (test cases 1 and 3,
 *    HKDF-SHA256) through mls_kdf_extract / mls_kdf_expand;
 *  - the MLS labels: ExpandWithLabel, DeriveSecret and DeriveTreeSecret
 *    against a KDFLabel built by hand, SignContent and EncryptContext
 *    through the raw functions;
 *  - HPKE known answers from RFC 9180 Appendix A.1.1 (DHKEM(X25519),
 *    HKDF-SHA256, AES-128-GCM) and A.3.1 (DHKEM(P-256), HKDF-SHA256,
 *    AES-128-GCM), base mode: DeriveKeyPair, Encap, Seal and Open;
 *  - for every suite: DeriveKeyPair determinism, HPKE round trips, opens of
 *    a tampered KEM output, ciphertext, info or aad (-EBADMSG, plaintext
 *    wiped), sign/verify round trips and rejections;
 *  - malformed keys: wrong lengths (-EINVAL), points off the curve, the
 *    compressed form, small-order X25519 points, ECDSA scalars 0, n and
 *    above (-EBADMSG), malformed DER signatures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "mls_crypto.h"
#include "mls_crypto_internal.h"

#define NSUITES 7

/* unhex decodes the hex string |h| into |out| (room for strlen(h) / 2) and returns its length. */
static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static const struct mls_suite *suite(uint16_t id)
{
	const struct mls_suite *s = mls_suite_get(id);

	assert_non_null(s);
	return s;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

/* group_order writes the order of |curve| big-endian in |len| bytes to |out|. */
static void group_order(const char *curve, uint8_t *out, size_t len)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(EC_curve_nist2nid(curve));

	assert_non_null(g);
	assert_int_equal(BN_bn2binpad(EC_GROUP_get0_order(g), out, (int)len), (int)len);
	EC_GROUP_free(g);
}

/* --- Suites, KDF and labels ---------------------------------------------- */

static void test_suite_table(void **state)
{
	(void)state;
	assert_int_equal(mls_crypto_init(), 0);
	assert_null(mls_suite_get(0));
	assert_null(mls_suite_get(8));
	assert_null(mls_suite_get(0x0a0a));
	assert_null(mls_suite_get(0xf000));
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);

		assert_int_equal(s->id, id);
		assert_int_equal(s->kem_nsecret, s->nh);
		assert_int_equal(s->kem_nenc, s->kem_npk);
		assert_true(s->sig_npub <= MLS_MAX_SIG_PUB);
		assert_true(s->kem_npk <= MLS_MAX_KEM_PUB);
	}
}

/* RFC 5869 A.1 (test case 1) and A.3 (test case 3, empty salt and info), HKDF-SHA256. */
static void test_hkdf_rfc5869(void **state)
{
	const struct mls_suite *s = suite(1);
	uint8_t ikm[22], salt[13], info[10], prk[32], okm[42], want[64];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	for (size_t i = 0; i < sizeof(salt); i++) {
		salt[i] = (uint8_t)i;
	}
	for (size_t i = 0; i < sizeof(info); i++) {
		info[i] = (uint8_t)(0xf0 + i);
	}
	assert_int_equal(mls_kdf_extract(s, salt, sizeof(salt), ikm, sizeof(ikm), prk), 0);
	unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", want);
	assert_memory_equal(prk, want, 32);
	assert_int_equal(mls_kdf_expand(s, prk, sizeof(prk), info, sizeof(info), okm, 42), 0);
	unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	      "34007208d5b887185865", want);
	assert_memory_equal(okm, want, 42);

	assert_int_equal(mls_kdf_extract(s, NULL, 0, ikm, sizeof(ikm), prk), 0);
	unhex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", want);
	assert_memory_equal(prk, want, 32);
	assert_int_equal(mls_kdf_expand(s, prk, sizeof(prk), NULL, 0, okm, 42), 0);
	unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	      "9d201395faa4b61a96c8", want);
	assert_memory_equal(okm, want, 42);

	/* L > 255 * Nh is refused. */
	uint8_t *big = malloc(255 * 32 + 1);

	assert_non_null(big);
	assert_int_equal(mls_kdf_expand(s, prk, sizeof(prk), NULL, 0, big, 255 * 32 + 1), -EINVAL);
	assert_int_equal(mls_kdf_expand(s, prk, sizeof(prk), NULL, 0, big, 255 * 32), 0);
	free(big);
}

/* The labelled KDF functions against a KDFLabel (RFC 9420 section 8) built by hand. */
static void test_expand_with_label(void **state)
{
	static const uint8_t secret[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	static const uint8_t context[3] = {0xc0, 0xff, 0xee};

	(void)state;
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);
		uint8_t info[64], got[MLS_MAX_HASH], want[MLS_MAX_HASH];
		size_t n = 0;

		/* KDFLabel{uint16 length = 20; "MLS 1.0 key"; context} */
		info[n++] = 0;
		info[n++] = 20;
		info[n++] = 11;
		memcpy(info + n, "MLS 1.0 key", 11);
		n += 11;
		info[n++] = sizeof(context);
		memcpy(info + n, context, sizeof(context));
		n += sizeof(context);
		assert_int_equal(mls_kdf_expand(s, secret, sizeof(secret), info, n, want, 20), 0);
		assert_int_equal(mls_expand_with_label(s, secret, sizeof(secret), MLS_LABEL("key"),
						       context, sizeof(context), got, 20), 0);
		assert_memory_equal(got, want, 20);

		/* DeriveSecret = ExpandWithLabel(secret, label, "", Nh). */
		assert_int_equal(mls_expand_with_label(s, secret, sizeof(secret),
						       MLS_LABEL("sender data"), NULL, 0, want,
						       s->nh), 0);
		assert_int_equal(mls_derive_secret(s, secret, sizeof(secret),
						   MLS_LABEL("sender data"), got), 0);
		assert_memory_equal(got, want, s->nh);

		/* DeriveTreeSecret: the generation as a big-endian uint32. */
		static const uint8_t gen[4] = {0xa0, 0xa0, 0xa0, 0xa0};

		assert_int_equal(mls_expand_with_label(s, secret, sizeof(secret),
						       MLS_LABEL("nonce"), gen, sizeof(gen), want,
						       s->nn), 0);
		assert_int_equal(mls_derive_tree_secret(s, secret, sizeof(secret),
							MLS_LABEL("nonce"), 0xa0a0a0a0u, got,
							s->nn), 0);
		assert_memory_equal(got, want, s->nn);
	}
	assert_int_equal(mls_expand_with_label(NULL, secret, 32, MLS_LABEL("x"), NULL, 0,
					       (uint8_t[1]){0}, 1), -EINVAL);
}

/* --- RFC 9180 Appendix A known answers ----------------------------------- */

struct hpke_kat {
	uint16_t suite;		/* an MLS suite with the KAT's KEM, KDF and AEAD */
	const char *info, *ikm_e, *pk_em, *sk_em, *ikm_r, *pk_rm, *sk_rm;
	const char *shared_secret, *pt, *aad, *ct;
};

static const struct hpke_kat kats[] = {
	/* A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode_base. */
	{1, "4f6465206f6e2061204772656369616e2055726e",
	 "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
	 "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
	 "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
	 "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
	 "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
	 "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
	 "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
	 "4265617574792069732074727574682c20747275746820626561757479", "436f756e742d30",
	 "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9"
	 "6d8770ac83d07bea87e13c512a"},
	/* A.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode_base. */
	{2, "4f6465206f6e2061204772656369616e2055726e",
	 "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
	 "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325a"
	 "c98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
	 "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
	 "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
	 "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a"
	 "826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
	 "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
	 "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8",
	 "4265617574792069732074727574682c20747275746820626561757479", "436f756e742d30",
	 "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f"
	 "9076ac232e3ab2523f39513434"},
};

static void test_hpke_rfc9180_kat(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(kats) / sizeof(kats[0]); k++) {
		const struct hpke_kat *t = &kats[k];
		const struct mls_suite *s = suite(t->suite);
		uint8_t info[64], ikm_e[64], pk_em[133], sk_em[66], ikm_r[64], pk_rm[133];
		uint8_t sk_rm[66], ss_want[64], pt[64], aad[64], ct_want[96];
		uint8_t sk[66], pk[133], enc[133], ss[64], ct[96], out[64];
		size_t info_len = unhex(t->info, info), ikm_e_len = unhex(t->ikm_e, ikm_e);
		size_t ikm_r_len = unhex(t->ikm_r, ikm_r), pt_len = unhex(t->pt, pt);
		size_t aad_len = unhex(t->aad, aad), ct_len = unhex(t->ct, ct_want);

		assert_int_equal(unhex(t->pk_em, pk_em), s->kem_npk);
		assert_int_equal(unhex(t->sk_em, sk_em), s->kem_nsk);
		assert_int_equal(unhex(t->pk_rm, pk_rm), s->kem_npk);
		assert_int_equal(unhex(t->sk_rm, sk_rm), s->kem_nsk);
		assert_int_equal(unhex(t->shared_secret, ss_want), s->kem_nsecret);
		assert_int_equal(ct_len, pt_len + MLS_AEAD_TAG);

		/* DeriveKeyPair of both parties. */
		assert_int_equal(mls_hpke_derive_keypair(s, ikm_e, ikm_e_len, sk, pk), 0);
		assert_memory_equal(sk, sk_em, s->kem_nsk);
		assert_memory_equal(pk, pk_em, s->kem_npk);
		assert_int_equal(mls_hpke_derive_keypair(s, ikm_r, ikm_r_len, sk, pk), 0);
		assert_memory_equal(sk, sk_rm, s->kem_nsk);
		assert_memory_equal(pk, pk_rm, s->kem_npk);
		assert_int_equal(mls_hpke_pub_from_priv(s, sk_rm, s->kem_nsk, pk), 0);
		assert_memory_equal(pk, pk_rm, s->kem_npk);

		/* Encap with the vector's ephemeral key: enc = pkEm, shared_secret. */
		assert_int_equal(mls_hpke_encap_with_eph(s, pk_rm, s->kem_npk, sk_em, s->kem_nsk,
							 enc, ss), 0);
		assert_memory_equal(enc, pk_em, s->kem_nenc);
		assert_memory_equal(ss, ss_want, s->kem_nsecret);

		/* Sequence number 0 of the Encryptions. */
		assert_int_equal(mls_hpke_seal_with_eph(s, pk_rm, s->kem_npk, sk_em, s->kem_nsk,
							info, info_len, aad, aad_len, pt, pt_len,
							enc, ct), 0);
		assert_memory_equal(enc, pk_em, s->kem_nenc);
		assert_memory_equal(ct, ct_want, ct_len);
		assert_int_equal(mls_hpke_open(s, sk_rm, s->kem_nsk, pk_em, s->kem_nenc, info,
					       info_len, aad, aad_len, ct_want, ct_len, out), 0);
		assert_memory_equal(out, pt, pt_len);
	}
}

/* --- HPKE per suite ------------------------------------------------------- */

static void test_hpke_derive_keypair(void **state)
{
	(void)state;
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);
		uint8_t ikm[MLS_MAX_KEM_PRIV], sk1[66], pk1[133], sk2[66], pk2[133], pk3[133];

		for (size_t i = 0; i < sizeof(ikm); i++) {
			ikm[i] = (uint8_t)(i * 7 + id);
		}
		assert_int_equal(mls_hpke_derive_keypair(s, ikm, s->kem_nsk, sk1, pk1), 0);
		assert_int_equal(mls_hpke_derive_keypair(s, ikm, s->kem_nsk, sk2, pk2), 0);
		assert_memory_equal(sk1, sk2, s->kem_nsk);
		assert_memory_equal(pk1, pk2, s->kem_npk);
		assert_int_equal(mls_hpke_pub_from_priv(s, sk1, s->kem_nsk, pk3), 0);
		assert_memory_equal(pk1, pk3, s->kem_npk);
		if (s->kem_id != MLS_KEM_X25519 && s->kem_id != MLS_KEM_X448) {
			assert_int_equal(pk1[0], 0x04);
		}
		if (s->kem_id == MLS_KEM_P521) {
			assert_true(sk1[0] <= 0x01);	/* the 0x01 bitmask */
		}
		/* Another ikm, another key; an empty ikm is allowed. */
		ikm[0] ^= 1;
		assert_int_equal(mls_hpke_derive_keypair(s, ikm, s->kem_nsk, sk2, pk2), 0);
		assert_memory_not_equal(sk1, sk2, s->kem_nsk);
		assert_int_equal(mls_hpke_derive_keypair(s, NULL, 0, sk2, pk2), 0);
		assert_int_equal(mls_hpke_derive_keypair(s, NULL, 1, sk2, pk2), -EINVAL);
		/* keygen gives distinct, consistent pairs. */
		assert_int_equal(mls_hpke_keygen(s, sk1, pk1), 0);
		assert_int_equal(mls_hpke_keygen(s, sk2, pk2), 0);
		assert_memory_not_equal(sk1, sk2, s->kem_nsk);
		assert_int_equal(mls_hpke_pub_from_priv(s, sk2, s->kem_nsk, pk3), 0);
		assert_memory_equal(pk2, pk3, s->kem_npk);
	}
}

static void test_hpke_round_trip_and_tamper(void **state)
{
	static const uint8_t aad[5] = "aad!";
	uint8_t info[1000], pt[100];

	(void)state;
	for (size_t i = 0; i < sizeof(info); i++) {
		info[i] = (uint8_t)i;
	}
	memset(pt, 0x5a, sizeof(pt));
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);
		uint8_t sk[66], pk[133], enc[133], ct[sizeof(pt) + MLS_AEAD_TAG], out[sizeof(pt)];
		uint8_t sk2[66], pk2[133];
		/* info sizes: empty, short, and over the on-stack buffer */
		static const size_t info_lens[] = {0, 20, sizeof(info)};

		assert_int_equal(mls_hpke_keygen(s, sk, pk), 0);
		for (size_t k = 0; k < 3; k++) {
			size_t il = info_lens[k];

			assert_int_equal(mls_hpke_seal(s, pk, s->kem_npk, info, il, aad,
						       sizeof(aad), pt, sizeof(pt), enc, ct), 0);
			memset(out, 0, sizeof(out));
			assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, info,
						       il, aad, sizeof(aad), ct, sizeof(ct), out),
					 0);
			assert_memory_equal(out, pt, sizeof(pt));
		}

		/* Every tampering: -EBADMSG and the plaintext buffer wiped. */
		ct[3] ^= 1;
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, info,
					       sizeof(info), aad, sizeof(aad), ct, sizeof(ct), out),
				 -EBADMSG);
		assert_true(all_zero(out, sizeof(out)));
		ct[3] ^= 1;
		ct[sizeof(ct) - 1] ^= 0x40;	/* the tag */
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, info,
					       sizeof(info), aad, sizeof(aad), ct, sizeof(ct), out),
				 -EBADMSG);
		assert_true(all_zero(out, sizeof(out)));
		ct[sizeof(ct) - 1] ^= 0x40;
		for (size_t pos = 0; pos < s->kem_nenc; pos += s->kem_nenc / 4) {
			enc[pos] ^= 0x02;	/* P-curves: off the curve or not 0x04 */
			memset(out, 0xaa, sizeof(out));
			assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, info,
						       sizeof(info), aad, sizeof(aad), ct,
						       sizeof(ct), out), -EBADMSG);
			assert_true(all_zero(out, sizeof(out)));
			enc[pos] ^= 0x02;
		}
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, info,
					       sizeof(info) - 1, aad, sizeof(aad), ct, sizeof(ct),
					       out), -EBADMSG);
		assert_true(all_zero(out, sizeof(out)));
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, info,
					       sizeof(info), aad, sizeof(aad) - 1, ct, sizeof(ct),
					       out), -EBADMSG);
		/* Another recipient's key. */
		assert_int_equal(mls_hpke_keygen(s, sk2, pk2), 0);
		assert_int_equal(mls_hpke_open(s, sk2, s->kem_nsk, enc, s->kem_nenc, info,
					       sizeof(info), aad, sizeof(aad), ct, sizeof(ct), out),
				 -EBADMSG);
		/* Sizes: enc and ct are the peer's (-EBADMSG), keys the caller's (-EINVAL). */
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc - 1, info,
					       sizeof(info), aad, sizeof(aad), ct, sizeof(ct), out),
				 -EBADMSG);
		assert_true(all_zero(out, sizeof(out)));
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, NULL, 0, NULL,
					       0, ct, MLS_AEAD_TAG - 1, out), -EBADMSG);
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk - 1, enc, s->kem_nenc, info,
					       sizeof(info), aad, sizeof(aad), ct, sizeof(ct), out),
				 -EINVAL);
		assert_int_equal(mls_hpke_seal(s, pk, s->kem_npk + 1, NULL, 0, NULL, 0, pt,
					       sizeof(pt), enc, ct), -EINVAL);
		assert_int_equal(mls_hpke_pub_from_priv(s, sk, s->kem_nsk + 1, pk2), -EINVAL);

		/* An empty plaintext: the ciphertext is the tag alone. */
		assert_int_equal(mls_hpke_seal(s, pk, s->kem_npk, NULL, 0, NULL, 0, NULL, 0, enc,
					       ct), 0);
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, NULL, 0, NULL,
					       0, ct, MLS_AEAD_TAG, NULL), 0);
	}
}

/* Public keys that are not valid points: -EBADMSG from seal and open. */
static void test_hpke_bad_points(void **state)
{
	static const uint8_t pt[8] = "payload";

	(void)state;
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);
		uint8_t sk[66], pk[133], bad[133], enc[133], ct[sizeof(pt) + MLS_AEAD_TAG];
		uint8_t out[sizeof(pt)];

		assert_int_equal(mls_hpke_keygen(s, sk, pk), 0);
		if (s->kem_id == MLS_KEM_X25519 || s->kem_id == MLS_KEM_X448) {
			/* u = 0 and u = 1 are of small order: the DH output is all zero. */
			for (int u = 0; u < 2; u++) {
				memset(bad, 0, s->kem_npk);
				bad[0] = (uint8_t)u;
				assert_int_equal(mls_hpke_seal(s, bad, s->kem_npk, NULL, 0, NULL, 0,
							       pt, sizeof(pt), enc, ct), -EBADMSG);
				assert_int_equal(mls_hpke_seal(s, pk, s->kem_npk, NULL, 0, NULL, 0,
							       pt, sizeof(pt), enc, ct), 0);
				assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, bad, s->kem_nenc,
							       NULL, 0, NULL, 0, ct, sizeof(ct),
							       out), -EBADMSG);
			}
			continue;
		}
		/* y + 1: off the curve. */
		memcpy(bad, pk, s->kem_npk);
		bad[s->kem_npk - 1] ^= 0x01;
		assert_int_equal(mls_hpke_seal(s, bad, s->kem_npk, NULL, 0, NULL, 0, pt,
					       sizeof(pt), enc, ct), -EBADMSG);
		assert_int_equal(mls_hpke_seal(s, pk, s->kem_npk, NULL, 0, NULL, 0, pt,
					       sizeof(pt), enc, ct), 0);
		memcpy(bad, enc, s->kem_nenc);
		bad[s->kem_nenc - 1] ^= 0x01;
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, bad, s->kem_nenc, NULL, 0, NULL,
					       0, ct, sizeof(ct), out), -EBADMSG);
		/* The hybrid form 0x06/0x07 of the same point, and all zeros. */
		memcpy(bad, pk, s->kem_npk);
		bad[0] = (uint8_t)(0x06 | (pk[s->kem_npk - 1] & 1));
		assert_int_equal(mls_hpke_seal(s, bad, s->kem_npk, NULL, 0, NULL, 0, pt,
					       sizeof(pt), enc, ct), -EBADMSG);
		assert_int_equal(mls_hpke_seal(s, pk, s->kem_npk, NULL, 0, NULL, 0, pt,
					       sizeof(pt), enc, ct), 0);
		memcpy(bad, enc, s->kem_nenc);
		bad[0] = (uint8_t)(0x06 | (enc[s->kem_nenc - 1] & 1));
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, bad, s->kem_nenc, NULL, 0, NULL,
					       0, ct, sizeof(ct), out), -EBADMSG);
		memset(bad, 0, s->kem_nenc);
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, bad, s->kem_nenc, NULL, 0, NULL,
					       0, ct, sizeof(ct), out), -EBADMSG);
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, enc, s->kem_nenc, NULL, 0, NULL,
					       0, ct, sizeof(ct), out), 0);
		/* Coordinates of all ones: out of range. */
		memset(bad, 0xff, s->kem_nenc);
		bad[0] = 0x04;
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, bad, s->kem_nenc, NULL, 0, NULL,
					       0, ct, sizeof(ct), out), -EBADMSG);
	}
}

/* Private scalars of the P-curves: 0 and >= n are refused, n - 1 taken. */
static void test_ec_scalar_range(void **state)
{
	(void)state;
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);
		uint8_t d[66], pk[133];
		EVP_PKEY *k = NULL;

		if (s->kem_id == MLS_KEM_X25519 || s->kem_id == MLS_KEM_X448) {
			/* Any string is an X25519/X448 key; EdDSA seeds likewise. */
			memset(d, 0, sizeof(d));
			assert_int_equal(mls_hpke_pub_from_priv(s, d, s->kem_nsk, pk), 0);
			assert_int_equal(mls_sig_key_from_priv(s, d, s->sig_npriv, &k), 0);
			EVP_PKEY_free(k);
			continue;
		}
		assert_int_equal(s->kem_nsk, s->sig_npriv);
		memset(d, 0, sizeof(d));
		assert_int_equal(mls_hpke_pub_from_priv(s, d, s->kem_nsk, pk), -EBADMSG);
		assert_int_equal(mls_sig_key_from_priv(s, d, s->sig_npriv, &k), -EBADMSG);
		assert_null(k);
		group_order(s->kem_group, d, s->kem_nsk);
		assert_int_equal(mls_hpke_pub_from_priv(s, d, s->kem_nsk, pk), -EBADMSG);
		assert_int_equal(mls_sig_key_from_priv(s, d, s->sig_npriv, &k), -EBADMSG);
		memset(d, 0xff, sizeof(d));
		assert_int_equal(mls_hpke_pub_from_priv(s, d, s->kem_nsk, pk), -EBADMSG);
		assert_int_equal(mls_sig_key_from_priv(s, d, s->sig_npriv, &k), -EBADMSG);
		/* n - 1 is valid, and so is 1 (the public key is the generator). */
		group_order(s->kem_group, d, s->kem_nsk);
		d[s->kem_nsk - 1] -= 1;	/* no borrow: n is odd */
		assert_int_equal(mls_hpke_pub_from_priv(s, d, s->kem_nsk, pk), 0);
		assert_int_equal(mls_sig_key_from_priv(s, d, s->sig_npriv, &k), 0);
		EVP_PKEY_free(k);
		memset(d, 0, sizeof(d));
		d[s->kem_nsk - 1] = 1;
		assert_int_equal(mls_hpke_pub_from_priv(s, d, s->kem_nsk, pk), 0);
		assert_int_equal(pk[0], 0x04);
		k = NULL;
		assert_int_equal(mls_sig_key_from_pub(s, pk, s->sig_npub, &k), 0);
		EVP_PKEY_free(k);
	}
}

/* EncryptWithLabel: the EncryptContext encoding, labels and contexts. */
static void test_encrypt_with_label(void **state)
{
	static const uint8_t context[6] = "group";
	static const uint8_t pt[9] = "a secret";
	uint8_t big_ctx[700];

	(void)state;
	memset(big_ctx, 0x33, sizeof(big_ctx));
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);
		uint8_t sk[66], pk[133], kem[133], ct[sizeof(pt) + MLS_AEAD_TAG], out[sizeof(pt)];
		uint8_t info[64];
		size_t n = 0;

		assert_int_equal(mls_hpke_keygen(s, sk, pk), 0);
		assert_int_equal(mls_encrypt_with_label(s, pk, s->kem_npk,
							MLS_LABEL("UpdatePathNode"), context,
							sizeof(context), pt, sizeof(pt), kem, ct),
				 0);
		assert_int_equal(mls_decrypt_with_label(s, sk, s->kem_nsk,
							MLS_LABEL("UpdatePathNode"), context,
							sizeof(context), kem, s->kem_nenc, ct,
							sizeof(ct), out), 0);
		assert_memory_equal(out, pt, sizeof(pt));
		/* info = EncryptContext{"MLS 1.0 UpdatePathNode", context}, aad empty. */
		info[n++] = 22;
		memcpy(info + n, "MLS 1.0 UpdatePathNode", 22);
		n += 22;
		info[n++] = sizeof(context);
		memcpy(info + n, context, sizeof(context));
		n += sizeof(context);
		memset(out, 0, sizeof(out));
		assert_int_equal(mls_hpke_open(s, sk, s->kem_nsk, kem, s->kem_nenc, info, n, NULL,
					       0, ct, sizeof(ct), out), 0);
		assert_memory_equal(out, pt, sizeof(pt));
		/* Another label or context does not open. */
		assert_int_equal(mls_decrypt_with_label(s, sk, s->kem_nsk, MLS_LABEL("Welcome"),
							context, sizeof(context), kem, s->kem_nenc,
							ct, sizeof(ct), out), -EBADMSG);
		assert_int_equal(mls_decrypt_with_label(s, sk, s->kem_nsk,
							MLS_LABEL("UpdatePathNode"), context,
							sizeof(context) - 1, kem, s->kem_nenc, ct,
							sizeof(ct), out), -EBADMSG);
		assert_true(all_zero(out, sizeof(out)));
		/* A context over the on-stack buffer. */
		assert_int_equal(mls_encrypt_with_label(s, pk, s->kem_npk, MLS_LABEL("Welcome"),
							big_ctx, sizeof(big_ctx), pt, sizeof(pt),
							kem, ct), 0);
		assert_int_equal(mls_decrypt_with_label(s, sk, s->kem_nsk, MLS_LABEL("Welcome"),
							big_ctx, sizeof(big_ctx), kem, s->kem_nenc,
							ct, sizeof(ct), out), 0);
		assert_memory_equal(out, pt, sizeof(pt));
		assert_int_equal(mls_decrypt_with_label(s, sk, s->kem_nsk, MLS_LABEL("Welcome"),
							NULL, 1, kem, s->kem_nenc, ct, sizeof(ct),
							out), -EINVAL);
	}
}

/* --- Signatures ------------------------------------------------------------ */

/* RFC 8032 section 7.1, TEST 1: Ed25519 of the empty message. */
static void test_ed25519_rfc8032(void **state)
{
	const struct mls_suite *s = suite(1);
	uint8_t sk[32], pk[32], want[64], sig[MLS_MAX_SIG], pub[MLS_MAX_SIG_PUB];
	size_t sig_len, pub_len;
	EVP_PKEY *k = NULL, *p = NULL;

	(void)state;
	unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", sk);
	unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk);
	unhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b", want);
	assert_int_equal(mls_sig_key_from_priv(s, sk, sizeof(sk), &k), 0);
	assert_int_equal(mls_sig_pub_raw(s, k, pub, sizeof(pub), &pub_len), 0);
	assert_int_equal(pub_len, 32);
	assert_memory_equal(pub, pk, 32);
	assert_int_equal(mls_sign_raw(s, k, NULL, 0, sig, sizeof(sig), &sig_len), 0);
	assert_int_equal(sig_len, 64);
	assert_memory_equal(sig, want, 64);
	assert_int_equal(mls_sig_key_from_pub(s, pk, sizeof(pk), &p), 0);
	assert_int_equal(mls_verify_raw(s, p, NULL, 0, want, 64), 0);
	assert_int_equal(mls_sign_raw(s, k, NULL, 0, sig, 63, &sig_len), -ENOSPC);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
}

static void test_sign_verify_every_suite(void **state)
{
	static const uint8_t content[5] = "tbs!";
	uint8_t big[2000];

	(void)state;
	memset(big, 0x42, sizeof(big));
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);
		uint8_t sig[MLS_MAX_SIG + 1], pub[MLS_MAX_SIG_PUB], priv[MLS_MAX_SIG_PRIV];
		uint8_t pub2[MLS_MAX_SIG_PUB], tbs[64], bad[MLS_MAX_SIG + 1];
		size_t sig_len, pub_len, priv_len, pub2_len, n = 0;
		EVP_PKEY *sk = NULL, *pk = NULL, *sk2 = NULL, *other = NULL;

		assert_int_equal(mls_sig_keygen(s, &sk, priv, &priv_len), 0);
		assert_int_equal(priv_len, s->sig_npriv);
		assert_int_equal(mls_sig_pub_raw(s, sk, pub, sizeof(pub), &pub_len), 0);
		assert_int_equal(pub_len, s->sig_npub);
		assert_int_equal(mls_sig_pub_raw(s, sk, pub2, pub_len - 1, &pub2_len), -ENOSPC);
		/* The raw private key gives the same key. */
		assert_int_equal(mls_sig_key_from_priv(s, priv, priv_len, &sk2), 0);
		assert_int_equal(mls_sig_pub_raw(s, sk2, pub2, sizeof(pub2), &pub2_len), 0);
		assert_memory_equal(pub2, pub, pub_len);
		assert_int_equal(mls_sig_key_from_pub(s, pub, pub_len, &pk), 0);
		assert_int_equal(mls_sig_pub_raw(s, pk, pub2, sizeof(pub2), &pub2_len), 0);
		assert_memory_equal(pub2, pub, pub_len);

		assert_int_equal(mls_sign_with_label(s, sk, MLS_LABEL("LeafNodeTBS"), content,
						     sizeof(content), sig, MLS_MAX_SIG, &sig_len),
				 0);
		assert_true(sig_len <= MLS_MAX_SIG);
		assert_int_equal(mls_verify_with_label(s, pk, MLS_LABEL("LeafNodeTBS"), content,
						       sizeof(content), sig, sig_len), 0);
		/* SignContent{"MLS 1.0 LeafNodeTBS", content} through the raw verifier. */
		tbs[n++] = 19;
		memcpy(tbs + n, "MLS 1.0 LeafNodeTBS", 19);
		n += 19;
		tbs[n++] = sizeof(content);
		memcpy(tbs + n, content, sizeof(content));
		n += sizeof(content);
		assert_int_equal(mls_verify_raw(s, pk, tbs, n, sig, sig_len), 0);
		assert_int_equal(mls_verify_raw(s, sk2, tbs, n, sig, sig_len), 0);

		/* Rejections: another label, content, a flipped bit anywhere, truncation. */
		assert_int_equal(mls_verify_with_label(s, pk, MLS_LABEL("LeafNodeTBs"), content,
						       sizeof(content), sig, sig_len), -EBADMSG);
		assert_int_equal(mls_verify_with_label(s, pk, MLS_LABEL("LeafNodeTBS"), content,
						       sizeof(content) - 1, sig, sig_len),
				 -EBADMSG);
		for (size_t i = 0; i < sig_len; i++) {
			memcpy(bad, sig, sig_len);
			bad[i] ^= (uint8_t)(1u << (i % 8));
			assert_int_equal(mls_verify_raw(s, pk, tbs, n, bad, sig_len), -EBADMSG);
		}
		assert_int_equal(mls_verify_raw(s, pk, tbs, n, sig, sig_len - 1), -EBADMSG);
		memcpy(bad, sig, sig_len);
		bad[sig_len] = 0;
		assert_int_equal(mls_verify_raw(s, pk, tbs, n, bad, sig_len + 1), -EBADMSG);
		assert_int_equal(mls_verify_raw(s, pk, tbs, n, sig, 0), -EBADMSG);
		memset(bad, 0xff, sizeof(bad));
		assert_int_equal(mls_verify_raw(s, pk, tbs, n, bad, sig_len), -EBADMSG);
		static const uint8_t der_junk[][8] = {
			{0x30, 0x00}, {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00},
			{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01},
			{0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01},
		};
		for (size_t j = 0; j < sizeof(der_junk) / sizeof(der_junk[0]); j++) {
			assert_int_equal(mls_verify_raw(s, pk, tbs, n, der_junk[j], 8), -EBADMSG);
		}

		/* Another key of the suite does not verify; a key of another scheme is refused. */
		assert_int_equal(mls_sig_keygen(s, &other, NULL, NULL), 0);
		assert_int_equal(mls_verify_raw(s, other, tbs, n, sig, sig_len), -EBADMSG);
		EVP_PKEY_free(other);
		other = NULL;
		{
			const struct mls_suite *o = suite(id == 2 ? 7 : 2);

			assert_int_equal(mls_sig_keygen(o, &other, NULL, NULL), 0);
			assert_int_equal(mls_verify_raw(s, other, tbs, n, sig, sig_len), -EINVAL);
			assert_int_equal(mls_sign_raw(s, other, tbs, n, sig, sizeof(sig),
						      &sig_len), -EINVAL);
			EVP_PKEY_free(other);
		}

		/* Content over the on-stack buffer. */
		assert_int_equal(mls_sign_with_label(s, sk, MLS_LABEL("GroupInfoTBS"), big,
						     sizeof(big), sig, sizeof(sig), &sig_len), 0);
		assert_int_equal(mls_verify_with_label(s, pk, MLS_LABEL("GroupInfoTBS"), big,
						       sizeof(big), sig, sig_len), 0);
		big[1999] ^= 1;
		assert_int_equal(mls_verify_with_label(s, pk, MLS_LABEL("GroupInfoTBS"), big,
						       sizeof(big), sig, sig_len), -EBADMSG);
		big[1999] ^= 1;

		/*
		 * Wrong lengths are the caller's error; an ECDSA scalar may drop
		 * leading zeros, so only a longer one is wrong there.
		 */
		if (s->sig_scheme == MLS_SIG_ED25519 || s->sig_scheme == MLS_SIG_ED448) {
			assert_int_equal(mls_sig_key_from_priv(s, priv, priv_len - 1, &other),
					 -EINVAL);
		} else {
			uint8_t padded[MLS_MAX_SIG_PRIV + 1] = {0};
			EVP_PKEY *same = NULL;

			memcpy(padded + 1, priv, priv_len);
			assert_int_equal(mls_sig_key_from_priv(s, padded, priv_len + 1, &other),
					 -EINVAL);
			/* the same scalar without a leading zero byte is the same key */
			if (priv[0] == 0) {
				assert_int_equal(mls_sig_key_from_priv(s, priv + 1, priv_len - 1,
								       &same), 0);
				assert_int_equal(EVP_PKEY_eq(same, sk), 1);
				EVP_PKEY_free(same);
			}
		}
		assert_int_equal(mls_sig_key_from_pub(s, pub, pub_len + 1, &other), -EINVAL);
		assert_int_equal(mls_sign_raw(s, sk, tbs, n, sig, 10, &sig_len), -ENOSPC);

		EVP_PKEY_free(sk);
		EVP_PKEY_free(sk2);
		EVP_PKEY_free(pk);
	}
}

/* Signature public keys that are not points. */
static void test_sig_bad_public_keys(void **state)
{
	(void)state;
	for (uint16_t id = 1; id <= NSUITES; id++) {
		const struct mls_suite *s = suite(id);
		uint8_t pub[MLS_MAX_SIG_PUB], sig[MLS_MAX_SIG];
		size_t pub_len, sig_len;
		EVP_PKEY *sk = NULL, *pk = NULL;

		assert_int_equal(mls_sig_keygen(s, &sk, NULL, NULL), 0);
		assert_int_equal(mls_sig_pub_raw(s, sk, pub, sizeof(pub), &pub_len), 0);
		assert_int_equal(mls_sign_raw(s, sk, pub, pub_len, sig, sizeof(sig), &sig_len), 0);
		if (s->sig_scheme == MLS_SIG_ED25519 || s->sig_scheme == MLS_SIG_ED448) {
			/*
			 * An EdDSA key is decoded when used: a string that is not a
			 * point (y >= p here) fails verification, and must not crash.
			 */
			memset(pub, 0xff, pub_len);
			assert_int_equal(mls_sig_key_from_pub(s, pub, pub_len, &pk), 0);
			assert_int_equal(mls_verify_raw(s, pk, pub, pub_len, sig, sig_len),
					 -EBADMSG);
			EVP_PKEY_free(pk);
			EVP_PKEY_free(sk);
			continue;
		}
		pub[pub_len - 1] ^= 0x01;	/* off the curve */
		assert_int_equal(mls_sig_key_from_pub(s, pub, pub_len, &pk), -EBADMSG);
		assert_null(pk);
		pub[pub_len - 1] ^= 0x01;
		pub[0] = 0x02;	/* compressed prefix at the uncompressed length */
		assert_int_equal(mls_sig_key_from_pub(s, pub, pub_len, &pk), -EBADMSG);
		/* The hybrid form of the same point: OpenSSL decodes it, we do not. */
		pub[0] = (uint8_t)(0x06 | (pub[pub_len - 1] & 1));
		assert_int_equal(mls_sig_key_from_pub(s, pub, pub_len, &pk), -EBADMSG);
		pub[0] = 0x04;
		memset(pub + 1, 0, pub_len - 1);	/* (0, 0) */
		assert_int_equal(mls_sig_key_from_pub(s, pub, pub_len, &pk), -EBADMSG);
		EVP_PKEY_free(sk);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite_table),
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_expand_with_label),
		cmocka_unit_test(test_hpke_rfc9180_kat),
		cmocka_unit_test(test_hpke_derive_keypair),
		cmocka_unit_test(test_hpke_round_trip_and_tamper),
		cmocka_unit_test(test_hpke_bad_points),
		cmocka_unit_test(test_ec_scalar_range),
		cmocka_unit_test(test_encrypt_with_label),
		cmocka_unit_test(test_ed25519_rfc8032),
		cmocka_unit_test(test_sign_verify_every_suite),
		cmocka_unit_test(test_sig_bad_public_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
