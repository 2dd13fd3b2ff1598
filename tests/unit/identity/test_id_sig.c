/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/identity/id_sig.c: every algorithm on keys
 * libcrypto generates and signs with, verified on those keys and on keys
 * made again from their components (JWK material) and from DER; tampered
 * signatures and messages, wrong lengths, wrong algorithms for a key, the
 * key checks (RSA size, modulus, exponent; EC point on the curve; field
 * widths) and the algorithm names JWS allows. The Wycheproof files run in
 * tests/vectors (wycheproof_sig).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "id_sig.h"

static const uint8_t msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmU6Ly9leGFtcGxlLm9yZy93In0";
#define MSG_LEN (sizeof(msg) - 1)

/* Keys made once: RSA generation is slow, the more so under ASan. */
static EVP_PKEY *rsa2048, *rsa1024, *p256, *p384, *p521, *ed25519;

static int setup(void **state)
{
	(void)state;
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return rsa2048 && rsa1024 && p256 && p384 && p521 && ed25519 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(ed25519);
	return 0;
}

static const char *md_of(enum id_alg alg)
{
	switch (alg) {
	case ID_ALG_RS256:
	case ID_ALG_PS256:
	case ID_ALG_ES256:
		return "SHA256";
	case ID_ALG_RS384:
	case ID_ALG_PS384:
	case ID_ALG_ES384:
		return "SHA384";
	case ID_ALG_RS512:
	case ID_ALG_PS512:
	case ID_ALG_ES512:
		return "SHA512";
	default:
		return NULL;
	}
}

static size_t field_of(enum id_alg alg)
{
	return alg == ID_ALG_ES256 ? 32 : alg == ID_ALG_ES384 ? 48 : 66;
}

static EVP_PKEY *key_for(enum id_alg alg)
{
	switch (id_alg_kty(alg)) {
	case ID_KTY_RSA:
		return rsa2048;
	case ID_KTY_EC:
		return alg == ID_ALG_ES256 ? p256 : alg == ID_ALG_ES384 ? p384 : p521;
	default:
		return ed25519;
	}
}

/*
 * sign_der signs msg with |key| under |alg|'s hash (PSS with salt |saltlen|
 * when |pss|) into |sig|; returns the length. ES signatures stay DER.
 */
static size_t sign_der(EVP_PKEY *key, const char *md, int pad, int saltlen, uint8_t *sig,
		       size_t cap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t len = cap;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL), 1);
	if (pad != 0) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, pad) > 0);
	}
	if (pad == RSA_PKCS1_PSS_PADDING) {
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, NULL) > 0);
	}
	assert_int_equal(EVP_DigestSign(ctx, sig, &len, msg, MSG_LEN), 1);
	EVP_MD_CTX_free(ctx);
	return len;
}

/* der_to_raw turns a DER ECDSA signature into JOSE r||s of |field| each. */
static size_t der_to_raw(const uint8_t *der, size_t der_len, size_t field, uint8_t *raw)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;

	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	assert_int_equal(BN_bn2binpad(r, raw, (int)field), (int)field);
	assert_int_equal(BN_bn2binpad(s, raw + field, (int)field), (int)field);
	ECDSA_SIG_free(es);
	return 2 * field;
}

/* sign makes a JWS signature of msg under |alg| with |key|. */
static size_t sign(enum id_alg alg, EVP_PKEY *key, uint8_t *sig, size_t cap)
{
	uint8_t der[256];
	size_t len;

	switch (id_alg_kty(alg)) {
	case ID_KTY_RSA:
		return sign_der(key, md_of(alg), alg >= ID_ALG_PS256 ? RSA_PKCS1_PSS_PADDING :
			       RSA_PKCS1_PADDING, RSA_PSS_SALTLEN_DIGEST, sig, cap);
	case ID_KTY_EC:
		len = sign_der(key, md_of(alg), 0, 0, der, sizeof(der));
		assert_true(2 * field_of(alg) <= cap);
		return der_to_raw(der, len, field_of(alg), sig);
	default:
		return sign_der(key, NULL, 0, 0, sig, cap);
	}
}

/* bn_bytes writes |key|'s BIGNUM parameter |name| big-endian, |width| wide
 * (0: its own length). Returns the length. */
static size_t bn_bytes(EVP_PKEY *key, const char *name, uint8_t *out, size_t width)
{
	BIGNUM *bn = NULL;
	int len;

	assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
	if (width == 0) {
		len = BN_bn2bin(bn, out);
	} else {
		len = BN_bn2binpad(bn, out, (int)width);
	}
	BN_free(bn);
	assert_true(len > 0);
	return (size_t)len;
}

/* jwk_key makes |key| again from its public components, as a JWK gives them. */
static EVP_PKEY *jwk_key(enum id_alg alg, EVP_PKEY *key)
{
	uint8_t a[600], b[600];
	size_t a_len, b_len;

	switch (id_alg_kty(alg)) {
	case ID_KTY_RSA:
		a_len = bn_bytes(key, OSSL_PKEY_PARAM_RSA_N, a, 0);
		b_len = bn_bytes(key, OSSL_PKEY_PARAM_RSA_E, b, 0);
		return id_sig_key_rsa(a, a_len, b, b_len);
	case ID_KTY_EC: {
		static const int nids[] = { NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1 };
		size_t f = field_of(alg);

		bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_X, a, f);
		bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, b, f);
		return id_sig_key_ec(nids[alg - ID_ALG_ES256], a, f, b, f);
	}
	default:
		a_len = sizeof(a);
		assert_int_equal(EVP_PKEY_get_raw_public_key(key, a, &a_len), 1);
		return id_sig_key_ed25519(a, a_len);
	}
}

static EVP_PKEY *der_key(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	EVP_PKEY *k;

	assert_true(len > 0);
	k = id_sig_key_der(der, (size_t)len);
	OPENSSL_free(der);
	return k;
}

/*
 * Every algorithm: a libcrypto signature verifies on the generated key, on
 * the key made from its JWK components and on the key made from its DER;
 * a flipped bit in the signature or the message does not.
 */
static void test_sign_verify_all(void **state)
{
	(void)state;
	for (int a = ID_ALG_RS256; a < ID_ALG_COUNT; a++) {
		enum id_alg alg = (enum id_alg)a;
		EVP_PKEY *key = key_for(alg);
		EVP_PKEY *keys[3] = { key, jwk_key(alg, key), der_key(key) };
		uint8_t sig[ID_SIG_MAX], m[MSG_LEN];
		size_t len = sign(alg, key, sig, sizeof(sig));

		assert_non_null(keys[1]);
		assert_non_null(keys[2]);
		assert_int_equal(EVP_PKEY_eq(keys[1], keys[2]), 1);
		for (int k = 0; k < 3; k++) {
			assert_true(id_sig_key_matches(alg, keys[k]));
			assert_int_equal(id_sig_verify(alg, keys[k], msg, MSG_LEN, sig, len), 0);
			for (size_t bit = 0; bit < len * 8; bit += len * 8 / 7 + 1) {
				int st;

				sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				st = id_sig_verify(alg, keys[k], msg, MSG_LEN, sig, len);
				assert_int_equal(st, -EBADMSG);
				sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			}
			memcpy(m, msg, MSG_LEN);
			m[MSG_LEN - 1] ^= 1;
			assert_int_equal(id_sig_verify(alg, keys[k], m, MSG_LEN, sig, len),
					 -EBADMSG);
			assert_int_equal(id_sig_verify(alg, keys[k], msg, MSG_LEN - 1, sig, len),
					 -EBADMSG);
		}
		EVP_PKEY_free(keys[1]);
		EVP_PKEY_free(keys[2]);
	}
}

/* ES: only exactly 2 * field bytes; DER is not JOSE; r or s zero is refused. */
static void test_es_lengths(void **state)
{
	uint8_t sig[2 * 66 + 2], der[160];
	size_t len, der_len;

	(void)state;
	for (int a = ID_ALG_ES256; a <= ID_ALG_ES512; a++) {
		enum id_alg alg = (enum id_alg)a;
		EVP_PKEY *key = key_for(alg);
		size_t f = field_of(alg);

		len = sign(alg, key, sig, sizeof(sig));
		assert_int_equal(len, 2 * f);
		assert_int_equal(id_sig_verify(alg, key, msg, MSG_LEN, sig, len - 1), -EBADMSG);
		assert_int_equal(id_sig_verify(alg, key, msg, MSG_LEN, sig, len + 1), -EBADMSG);
		assert_int_equal(id_sig_verify(alg, key, msg, MSG_LEN, sig, 0), -EBADMSG);
		/* A leading zero added to each half (a "DER-ish" width) is refused. */
		memmove(sig + f + 2, sig + f, f);
		memmove(sig + 1, sig, f);
		sig[0] = 0;
		sig[f + 1] = 0;
		assert_int_equal(id_sig_verify(alg, key, msg, MSG_LEN, sig, 2 * f + 2), -EBADMSG);

		der_len = sign_der(key, md_of(alg), 0, 0, der, sizeof(der));
		assert_int_equal(id_sig_verify(alg, key, msg, MSG_LEN, der, der_len), -EBADMSG);
		assert_int_equal(id_sig_verify_ecdsa_der(alg, key, msg, MSG_LEN, der, der_len), 0);

		len = sign(alg, key, sig, sizeof(sig));
		memset(sig, 0, f);
		assert_int_equal(id_sig_verify(alg, key, msg, MSG_LEN, sig, len), -EBADMSG);
		len = sign(alg, key, sig, sizeof(sig));
		memset(sig + f, 0, f);
		assert_int_equal(id_sig_verify(alg, key, msg, MSG_LEN, sig, len), -EBADMSG);
		/* r and s all ones: both >= n. */
		memset(sig, 0xff, len);
		assert_int_equal(id_sig_verify(alg, key, msg, MSG_LEN, sig, len), -EBADMSG);
	}
}

/* DER: strict, nothing trailing, BER long-form lengths refused. */
static void test_ecdsa_der(void **state)
{
	uint8_t der[128], ber[132];
	size_t len;

	(void)state;
	len = sign_der(p256, "SHA256", 0, 0, der, sizeof(der));
	assert_true(len < 128);
	assert_int_equal(id_sig_verify_ecdsa_der(ID_ALG_ES256, p256, msg, MSG_LEN, der, len), 0);
	der[len] = 0;
	assert_int_equal(id_sig_verify_ecdsa_der(ID_ALG_ES256, p256, msg, MSG_LEN, der, len + 1),
			 -EBADMSG);
	assert_int_equal(id_sig_verify_ecdsa_der(ID_ALG_ES256, p256, msg, MSG_LEN, der, len - 1),
			 -EBADMSG);
	/* The same SEQUENCE with its length in long form (0x81 LL). */
	assert_true(der[0] == 0x30 && der[1] < 0x80);
	ber[0] = 0x30;
	ber[1] = 0x81;
	memcpy(ber + 2, der + 1, len - 1);
	assert_int_equal(id_sig_verify_ecdsa_der(ID_ALG_ES256, p256, msg, MSG_LEN, ber, len + 1),
			 -EBADMSG);
	der[len - 1] ^= 1;
	assert_int_equal(id_sig_verify_ecdsa_der(ID_ALG_ES256, p256, msg, MSG_LEN, der, len),
			 -EBADMSG);
	assert_int_equal(id_sig_verify_ecdsa_der(ID_ALG_ES384, p256, msg, MSG_LEN, der, len),
			 -EKEYREJECTED);
	assert_int_equal(id_sig_verify_ecdsa_der(ID_ALG_RS256, rsa2048, msg, MSG_LEN, der, len),
			 -EKEYREJECTED);
	assert_int_equal(id_sig_verify_ecdsa_der(ID_ALG_ES256, p256, msg, MSG_LEN, NULL, 0),
			 -EBADMSG);
}

/* A key verifies only the algorithms of its family, curve and size. */
static void test_key_mismatch(void **state)
{
	uint8_t sig[ID_SIG_MAX];
	size_t len;

	(void)state;
	/* An ES384 signature under ES256: the P-256 key takes only 64 bytes. */
	len = sign(ID_ALG_ES384, p384, sig, sizeof(sig));
	assert_int_equal(id_sig_verify(ID_ALG_ES256, p256, msg, MSG_LEN, sig, len), -EBADMSG);
	assert_int_equal(id_sig_verify(ID_ALG_ES256, p384, msg, MSG_LEN, sig, len), -EKEYREJECTED);
	/* A P-256 key named for ES384. */
	len = sign(ID_ALG_ES256, p256, sig, sizeof(sig));
	assert_false(id_sig_key_matches(ID_ALG_ES384, p256));
	assert_int_equal(id_sig_verify(ID_ALG_ES384, p256, msg, MSG_LEN, sig, len), -EKEYREJECTED);
	assert_int_equal(id_sig_verify(ID_ALG_ES512, p256, msg, MSG_LEN, sig, len), -EKEYREJECTED);
	assert_int_equal(id_sig_verify(ID_ALG_RS256, p256, msg, MSG_LEN, sig, len), -EKEYREJECTED);
	assert_int_equal(id_sig_verify(ID_ALG_EDDSA, p256, msg, MSG_LEN, sig, len), -EKEYREJECTED);
	assert_int_equal(id_sig_verify(ID_ALG_NONE, p256, msg, MSG_LEN, sig, len), -EKEYREJECTED);
	assert_int_equal(id_sig_verify(ID_ALG_COUNT, p256, msg, MSG_LEN, sig, len), -EKEYREJECTED);
	assert_int_equal(id_sig_verify(ID_ALG_ES256, NULL, msg, MSG_LEN, sig, len), -EKEYREJECTED);
	assert_int_equal(id_sig_verify(ID_ALG_ES256, rsa2048, msg, MSG_LEN, sig, len),
			 -EKEYREJECTED);
	assert_int_equal(id_sig_verify(ID_ALG_ES256, ed25519, msg, MSG_LEN, sig, len),
			 -EKEYREJECTED);
	/* Short RSA keys verify nothing, whatever made them. */
	len = sign_der(rsa1024, "SHA256", RSA_PKCS1_PADDING, 0, sig, sizeof(sig));
	assert_false(id_sig_key_matches(ID_ALG_RS256, rsa1024));
	assert_int_equal(id_sig_verify(ID_ALG_RS256, rsa1024, msg, MSG_LEN, sig, len),
			 -EKEYREJECTED);
	assert_true(id_sig_key_matches(ID_ALG_PS512, rsa2048));
	assert_false(id_sig_key_matches(ID_ALG_PS512, ed25519));
	assert_true(id_sig_key_matches(ID_ALG_EDDSA, ed25519));
	assert_false(id_sig_key_matches(ID_ALG_EDDSA, NULL));
}

/* RS and PS are distinct; PS takes only salt = hash length; RSA is k bytes. */
static void test_rsa_paddings(void **state)
{
	uint8_t sig[ID_SIG_MAX];
	size_t len;

	(void)state;
	len = sign(ID_ALG_RS256, rsa2048, sig, sizeof(sig));
	assert_int_equal(id_sig_verify(ID_ALG_RS256, rsa2048, msg, MSG_LEN, sig, len), 0);
	assert_int_equal(id_sig_verify(ID_ALG_PS256, rsa2048, msg, MSG_LEN, sig, len), -EBADMSG);
	assert_int_equal(id_sig_verify(ID_ALG_RS384, rsa2048, msg, MSG_LEN, sig, len), -EBADMSG);
	len = sign(ID_ALG_PS256, rsa2048, sig, sizeof(sig));
	assert_int_equal(id_sig_verify(ID_ALG_RS256, rsa2048, msg, MSG_LEN, sig, len), -EBADMSG);
	assert_int_equal(id_sig_verify(ID_ALG_PS384, rsa2048, msg, MSG_LEN, sig, len), -EBADMSG);

	len = sign_der(rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 0, sig, sizeof(sig));
	assert_int_equal(id_sig_verify(ID_ALG_PS256, rsa2048, msg, MSG_LEN, sig, len), -EBADMSG);
	len = sign_der(rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_MAX, sig,
		       sizeof(sig));
	assert_int_equal(id_sig_verify(ID_ALG_PS256, rsa2048, msg, MSG_LEN, sig, len), -EBADMSG);
	len = sign_der(rsa2048, "SHA256", RSA_PKCS1_PSS_PADDING, 48, sig, sizeof(sig));
	assert_int_equal(id_sig_verify(ID_ALG_PS256, rsa2048, msg, MSG_LEN, sig, len), -EBADMSG);

	/* A signature with a leading zero byte dropped is not k bytes long. */
	for (int tries = 0; tries < 4000; tries++) {
		uint8_t m[MSG_LEN + 4];

		memcpy(m, msg, MSG_LEN);
		memcpy(m + MSG_LEN, &tries, sizeof(tries));
		{
			EVP_MD_CTX *ctx = EVP_MD_CTX_new();
			EVP_PKEY_CTX *pctx = NULL;

			len = sizeof(sig);
			assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL,
							       rsa2048, NULL), 1);
			assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0);
			assert_int_equal(EVP_DigestSign(ctx, sig, &len, m, sizeof(m)), 1);
			EVP_MD_CTX_free(ctx);
		}
		if (sig[0] == 0) {
			assert_int_equal(id_sig_verify(ID_ALG_RS256, rsa2048, m, sizeof(m), sig,
						       len), 0);
			assert_int_equal(id_sig_verify(ID_ALG_RS256, rsa2048, m, sizeof(m), sig + 1,
						       len - 1), -EBADMSG);
			return;
		}
	}
	fail_msg("no RSA signature with a leading zero byte in 4000 tries");
}

/* id_sig_key_rsa: >= 2048 bits, odd modulus, odd exponent >= 3, leading zeros fine. */
static void test_key_rsa(void **state)
{
	uint8_t n[600], e[16], n0[601];
	size_t n_len, e_len;
	EVP_PKEY *k;

	(void)state;
	n_len = bn_bytes(rsa1024, OSSL_PKEY_PARAM_RSA_N, n, 0);
	e_len = bn_bytes(rsa1024, OSSL_PKEY_PARAM_RSA_E, e, 0);
	assert_int_equal(n_len, 128);
	assert_null(id_sig_key_rsa(n, n_len, e, e_len));
	assert_null(der_key(rsa1024));

	n_len = bn_bytes(rsa2048, OSSL_PKEY_PARAM_RSA_N, n, 0);
	e_len = bn_bytes(rsa2048, OSSL_PKEY_PARAM_RSA_E, e, 0);
	assert_int_equal(n_len, 256);
	n0[0] = 0;
	memcpy(n0 + 1, n, n_len);
	k = id_sig_key_rsa(n0, n_len + 1, e, e_len);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, rsa2048), 1);
	assert_int_equal(EVP_PKEY_get_bits(k), 2048);
	EVP_PKEY_free(k);

	/* A 2047-bit modulus (top bit cleared) is too short. */
	n[0] &= 0x7f;
	assert_null(id_sig_key_rsa(n, n_len, e, e_len));
	n[0] |= 0x80;
	n[n_len - 1] ^= 1;	/* even */
	assert_null(id_sig_key_rsa(n, n_len, e, e_len));
	n[n_len - 1] ^= 1;
	assert_null(id_sig_key_rsa(n, n_len, (const uint8_t *)"\x01", 1));
	assert_null(id_sig_key_rsa(n, n_len, (const uint8_t *)"\x02", 1));
	assert_null(id_sig_key_rsa(n, n_len, (const uint8_t *)"\x01\x00\x00", 3));
	assert_null(id_sig_key_rsa(n, n_len, (const uint8_t *)"\x00", 1));
	assert_null(id_sig_key_rsa(n, n_len, NULL, 0));
	assert_null(id_sig_key_rsa(n, 0, e, e_len));
	k = id_sig_key_rsa(n, n_len, (const uint8_t *)"\x00\x03", 2);
	assert_non_null(k);
	EVP_PKEY_free(k);
}

/* id_sig_key_ec: a point on the named curve, exactly the field width. */
static void test_key_ec(void **state)
{
	uint8_t x[66], y[66], x1[67];
	EVP_PKEY *k;

	(void)state;
	bn_bytes(p256, OSSL_PKEY_PARAM_EC_PUB_X, x, 32);
	bn_bytes(p256, OSSL_PKEY_PARAM_EC_PUB_Y, y, 32);
	k = id_sig_key_ec(NID_X9_62_prime256v1, x, 32, y, 32);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, p256), 1);
	EVP_PKEY_free(k);

	/* Off the curve. */
	y[31] ^= 1;
	assert_null(id_sig_key_ec(NID_X9_62_prime256v1, x, 32, y, 32));
	y[31] ^= 1;
	/* The right point on the wrong curve, and curves JWS has no ES for. */
	assert_null(id_sig_key_ec(NID_secp384r1, x, 32, y, 32));
	assert_null(id_sig_key_ec(NID_secp256k1, x, 32, y, 32));
	assert_null(id_sig_key_ec(NID_undef, x, 32, y, 32));
	/* Not the field width: a leading zero, or one byte short. */
	x1[0] = 0;
	memcpy(x1 + 1, x, 32);
	assert_null(id_sig_key_ec(NID_X9_62_prime256v1, x1, 33, y, 32));
	assert_null(id_sig_key_ec(NID_X9_62_prime256v1, x + 1, 31, y, 32));
	assert_null(id_sig_key_ec(NID_X9_62_prime256v1, x, 32, NULL, 32));
	/* The point at infinity has no affine encoding: all zeros is off the curve. */
	memset(x1, 0, sizeof(x1));
	assert_null(id_sig_key_ec(NID_X9_62_prime256v1, x1, 32, x1, 32));
	/* Coordinates >= p. */
	memset(x1, 0xff, sizeof(x1));
	assert_null(id_sig_key_ec(NID_X9_62_prime256v1, x1, 32, y, 32));

	bn_bytes(p521, OSSL_PKEY_PARAM_EC_PUB_X, x, 66);
	bn_bytes(p521, OSSL_PKEY_PARAM_EC_PUB_Y, y, 66);
	k = id_sig_key_ec(NID_secp521r1, x, 66, y, 66);
	assert_non_null(k);
	assert_true(id_sig_key_matches(ID_ALG_ES512, k));
	EVP_PKEY_free(k);
	assert_null(id_sig_key_ec(NID_secp521r1, x, 65, y, 66));
}

/* id_sig_key_ed25519 and id_sig_key_der: exact lengths, known key types only. */
static void test_key_ed25519_der(void **state)
{
	uint8_t pub[33], der[200];
	size_t len = sizeof(pub);
	unsigned char *d = NULL;
	EVP_PKEY *x25519, *k;
	int dlen;

	(void)state;
	assert_int_equal(EVP_PKEY_get_raw_public_key(ed25519, pub, &len), 1);
	assert_int_equal(len, 32);
	assert_null(id_sig_key_ed25519(pub, 31));
	assert_null(id_sig_key_ed25519(pub, 33));
	assert_null(id_sig_key_ed25519(NULL, 32));

	/* X25519 is a key-agreement key: no signature algorithm here. */
	x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	assert_non_null(x25519);
	assert_null(der_key(x25519));
	EVP_PKEY_free(x25519);

	dlen = i2d_PUBKEY(p384, &d);
	assert_true(dlen > 0 && dlen < (int)sizeof(der) - 1);
	memcpy(der, d, (size_t)dlen);
	OPENSSL_free(d);
	k = id_sig_key_der(der, (size_t)dlen);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, p384), 1);
	assert_true(id_sig_key_matches(ID_ALG_ES384, k));
	EVP_PKEY_free(k);
	der[dlen] = 0;
	assert_null(id_sig_key_der(der, (size_t)dlen + 1));	/* trailing data */
	assert_null(id_sig_key_der(der, (size_t)dlen - 1));	/* truncated */
	der[dlen - 1] ^= 1;	/* y changed: off the curve */
	assert_null(id_sig_key_der(der, (size_t)dlen));
	assert_null(id_sig_key_der(NULL, 0));
}

/* The nine JWT-SVID names exactly; EdDSA has a name but cannot be picked. */
static void test_alg_names(void **state)
{
	static const char *const names[] = { "RS256", "RS384", "RS512", "ES256", "ES384",
					     "ES512", "PS256", "PS384", "PS512" };
	static const char *const refused[] = { "none", "HS256", "EdDSA", "es256", "ES256K",
					       "ES25", "RS256 ", "", "Es256", "RS" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum id_alg a = id_alg_from_name(names[i], strlen(names[i]));

		assert_int_equal(a, ID_ALG_RS256 + (int)i);
		assert_string_equal(id_alg_name(a), names[i]);
		assert_int_equal(id_alg_kty(a), names[i][0] == 'E' ? ID_KTY_EC : ID_KTY_RSA);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(id_alg_from_name(refused[i], strlen(refused[i])), ID_ALG_NONE);
	}
	/* The length rules, not the NUL: "ES256" inside a longer buffer. */
	assert_int_equal(id_alg_from_name("ES256K", 5), ID_ALG_ES256);
	assert_int_equal(id_alg_from_name("PS256\0", 6), ID_ALG_NONE);
	assert_int_equal(id_alg_from_name(NULL, 0), ID_ALG_NONE);
	assert_string_equal(id_alg_name(ID_ALG_EDDSA), "EdDSA");
	assert_int_equal(id_alg_kty(ID_ALG_EDDSA), ID_KTY_OKP);
	assert_string_equal(id_alg_name(ID_ALG_NONE), "none");
	assert_string_equal(id_alg_name(ID_ALG_COUNT), "none");
	assert_string_equal(id_alg_name((enum id_alg)-1), "none");
	assert_int_equal(id_alg_kty(ID_ALG_NONE), ID_KTY_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify_all),
		cmocka_unit_test(test_es_lengths),
		cmocka_unit_test(test_ecdsa_der),
		cmocka_unit_test(test_key_mismatch),
		cmocka_unit_test(test_rsa_paddings),
		cmocka_unit_test(test_key_rsa),
		cmocka_unit_test(test_key_ec),
		cmocka_unit_test(test_key_ed25519_der),
		cmocka_unit_test(test_alg_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
