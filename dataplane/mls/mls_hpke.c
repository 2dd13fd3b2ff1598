/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_hpke.c - HPKE (RFC 9180) base mode, single shot, for the KEMs of the
 * MLS suites 1-7: DHKEM(X25519, X448, P-256, P-384, P-521) with the
 * suite's HKDF and AEAD; and the labelled public-key encryption of RFC 9420
 * section 5.1.3 on top. OpenSSL 3.0 has no HPKE (OSSL_HPKE_* came in 3.2),
 * so the construction is written here from the RFC over libcrypto's
 * X25519/X448/ECDH (EVP_PKEY_derive), HKDF and AEAD (mls_crypto.c).
 *
 * Only what MLS needs: mode_base, an empty PSK, one message per context
 * (sequence number 0, so the nonce is base_nonce), no exporter. For suites
 * 1-7 the KEM's KDF is the suite's KDF, so one struct mls_suite drives both
 * (LabeledExtract output is Nh = Nsecret bytes).
 *
 * Every secret held here (DH output, shared secret, PRKs, key, base_nonce,
 * the ephemeral private key and the labelled inputs that carry them) is
 * wiped with OPENSSL_cleanse before return; EVP_PKEY_free wipes the key
 * material inside libcrypto.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "mls_codec.h"
#include "mls_crypto.h"
#include "mls_crypto_internal.h"

/* The version label of every labelled HPKE derivation (RFC 9180 section 4). */
#define HPKE_V1 "HPKE-v1"
#define HPKE_V1_LEN (sizeof(HPKE_V1) - 1)

/* "MLS 1.0 ": the prefix of EncryptContext's label (RFC 9420 section 5.1.3). */

/* suite_id lengths: "KEM" || I2OSP(kem_id, 2) and "HPKE" || kem || kdf || aead. */
#define KEM_SID_LEN 5
#define HPKE_SID_LEN 10

/* Labelled inputs up to this size are built on the stack. */
#define SMALL_BUF 512

/* mode_base (RFC 9180 section 5). */
#define MODE_BASE 0x00

static bool is_nist(const struct mls_suite *s)
{
	return s->kem_id == MLS_KEM_P256 || s->kem_id == MLS_KEM_P384 ||
	       s->kem_id == MLS_KEM_P521;
}

/* all_zero tells, in constant time, whether the |n| bytes at |p| are all zero. */
static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++) {
		acc |= p[i];
	}
	return acc == 0;
}

static void kem_suite_id(const struct mls_suite *s, uint8_t sid[KEM_SID_LEN])
{
	sid[0] = 'K';
	sid[1] = 'E';
	sid[2] = 'M';
	sid[3] = (uint8_t)(s->kem_id >> 8);
	sid[4] = (uint8_t)s->kem_id;
}

static void hpke_suite_id(const struct mls_suite *s, uint8_t sid[HPKE_SID_LEN])
{
	sid[0] = 'H';
	sid[1] = 'P';
	sid[2] = 'K';
	sid[3] = 'E';
	sid[4] = (uint8_t)(s->kem_id >> 8);
	sid[5] = (uint8_t)s->kem_id;
	sid[6] = (uint8_t)(s->kdf_id >> 8);
	sid[7] = (uint8_t)s->kdf_id;
	sid[8] = (uint8_t)(s->aead_id >> 8);
	sid[9] = (uint8_t)s->aead_id;
}

/*
 * labeled_extract (RFC 9180 section 4): Extract(salt, "HPKE-v1" || suite_id
 * || label || ikm) into |out| (Nh bytes). The labelled IKM may hold a
 * secret (a DH output, DeriveKeyPair's ikm), so it is wiped.
 */
static int labeled_extract(const struct mls_suite *s, const uint8_t *sid, size_t sid_len,
			   const uint8_t *salt, size_t salt_len, const char *label,
			   const uint8_t *ikm, size_t ikm_len, uint8_t *out)
{
	uint8_t small[SMALL_BUF], *buf = small;
	size_t label_len = strlen(label), n;
	int rc;

	if (ikm_len > INT32_MAX) {
		return -EINVAL;
	}
	n = HPKE_V1_LEN + sid_len + label_len + ikm_len;
	if (n > sizeof(small)) {
		buf = OPENSSL_malloc(n);
		if (buf == NULL) {
			return -ENOMEM;
		}
	}
	memcpy(buf, HPKE_V1, HPKE_V1_LEN);
	memcpy(buf + HPKE_V1_LEN, sid, sid_len);
	memcpy(buf + HPKE_V1_LEN + sid_len, label, label_len);
	if (ikm_len > 0) {
		memcpy(buf + HPKE_V1_LEN + sid_len + label_len, ikm, ikm_len);
	}
	rc = mls_kdf_extract(s, salt, salt_len, buf, n, out);
	OPENSSL_cleanse(buf, n);
	if (buf != small) {
		OPENSSL_free(buf);
	}
	return rc;
}

/*
 * labeled_expand (RFC 9180 section 4): Expand(prk, I2OSP(L, 2) || "HPKE-v1"
 * || suite_id || label || info, L) into |out|. The info is public, but
 * wiped all the same: it is cheap and keeps one rule for both helpers.
 */
static int labeled_expand(const struct mls_suite *s, const uint8_t *sid, size_t sid_len,
			  const uint8_t *prk, size_t prk_len, const char *label,
			  const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	uint8_t small[SMALL_BUF], *buf = small;
	size_t label_len = strlen(label), n;
	int rc;

	if (out_len > UINT16_MAX || info_len > INT32_MAX) {
		return -EINVAL;
	}
	n = 2 + HPKE_V1_LEN + sid_len + label_len + info_len;
	if (n > sizeof(small)) {
		buf = OPENSSL_malloc(n);
		if (buf == NULL) {
			return -ENOMEM;
		}
	}
	buf[0] = (uint8_t)(out_len >> 8);
	buf[1] = (uint8_t)out_len;
	memcpy(buf + 2, HPKE_V1, HPKE_V1_LEN);
	memcpy(buf + 2 + HPKE_V1_LEN, sid, sid_len);
	memcpy(buf + 2 + HPKE_V1_LEN + sid_len, label, label_len);
	if (info_len > 0) {
		memcpy(buf + 2 + HPKE_V1_LEN + sid_len + label_len, info, info_len);
	}
	rc = mls_kdf_expand(s, prk, prk_len, buf, n, out, out_len);
	OPENSSL_cleanse(buf, n);
	if (buf != small) {
		OPENSSL_free(buf);
	}
	return rc;
}

/* --- NIST curve keys (shared with mls_sig.c) ---------------------------- */

/* ec_fromdata imports |params| as an EC key of |selection| into |*out|. */
static int ec_fromdata(OSSL_PARAM *params, int selection, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx;
	int rc = -EIO;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL) {
		return -ENOMEM;
	}
	if (EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, out, selection, params) == 1) {
		rc = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int mls_ec_key_from_priv(const char *curve, const uint8_t *d_raw, size_t d_len, EVP_PKEY **out,
			 uint8_t *pub, size_t *pub_len)
{
	uint8_t q_raw[MLS_MAX_KEM_PUB];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EC_GROUP *g = NULL;
	EC_POINT *q = NULL;
	BN_CTX *bnctx = NULL;
	BIGNUM *d = NULL;
	size_t q_len;
	int nid, rc = -ENOMEM;

	if (curve == NULL || d_raw == NULL || d_len == 0 || d_len > MLS_MAX_KEM_PRIV ||
	    out == NULL || (pub != NULL && pub_len == NULL)) {
		return -EINVAL;
	}
	*out = NULL;
	nid = EC_curve_nist2nid(curve);
	if (nid == NID_undef) {
		return -EINVAL;
	}
	g = EC_GROUP_new_by_curve_name(nid);
	bnctx = BN_CTX_secure_new();
	d = BN_secure_new();	/* so that OSSL_PARAM_BLD keeps it in wiped memory */
	bld = OSSL_PARAM_BLD_new();
	if (g == NULL || bnctx == NULL || d == NULL || bld == NULL) {
		goto out;
	}
	q = EC_POINT_new(g);
	if (q == NULL) {
		goto out;
	}
	rc = -EIO;
	if (BN_bin2bn(d_raw, (int)d_len, d) == NULL) {
		goto out;
	}
	/* A private key is a scalar in [1, n - 1] (SEC1 section 3.2.1). */
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
		rc = -EBADMSG;
		goto out;
	}
	if (EC_POINT_mul(g, q, d, NULL, NULL, bnctx) != 1) {
		goto out;
	}
	q_len = EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, q_raw, sizeof(q_raw),
				   bnctx);
	if (q_len == 0) {
		goto out;
	}
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(nid),
					    0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q_raw, q_len) != 1) {
		goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = ec_fromdata(params, EVP_PKEY_KEYPAIR, out);
	if (rc == 0 && pub != NULL) {
		memcpy(pub, q_raw, q_len);
		*pub_len = q_len;
	}
out:
	OSSL_PARAM_free(params);	/* clears its secure block (the scalar) */
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(q);
	BN_clear_free(d);
	BN_CTX_free(bnctx);
	EC_GROUP_free(g);
	if (rc < 0) {
		ERR_clear_error();
	}
	return rc;
}

int mls_ec_key_from_pub(const char *curve, const uint8_t *pub, size_t pub_len, EVP_PKEY **out)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;
	int nid, rc;

	if (curve == NULL || pub == NULL || out == NULL) {
		return -EINVAL;
	}
	*out = NULL;
	nid = EC_curve_nist2nid(curve);
	if (nid == NID_undef) {
		return -EINVAL;
	}
	/*
	 * Only the uncompressed form (RFC 9180 section 7.1.1, RFC 9420's
	 * signature keys): OpenSSL would also take compressed and hybrid forms.
	 */
	if (pub_len < 1 || pub[0] != 0x04) {
		return -EBADMSG;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)OBJ_nid2sn(nid), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub,
						      pub_len);
	params[2] = OSSL_PARAM_construct_end();
	/* The import decodes the point: coordinates in range and on the curve. */
	rc = ec_fromdata(params, EVP_PKEY_PUBLIC_KEY, &k);
	if (rc == -ENOMEM) {
		return rc;
	}
	if (rc < 0) {
		ERR_clear_error();
		return -EBADMSG;
	}
	/* Not the point at infinity, coordinates in range, on the curve (cofactor 1). */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	if (ctx == NULL) {
		EVP_PKEY_free(k);
		return -ENOMEM;
	}
	if (EVP_PKEY_public_check_quick(ctx) != 1) {
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(k);
		ERR_clear_error();
		return -EBADMSG;
	}
	EVP_PKEY_CTX_free(ctx);
	*out = k;
	return 0;
}

/* --- DHKEM (RFC 9180 section 4.1) ---------------------------------------- */

/*
 * kem_priv is DeserializePrivateKey: the key of the |s->kem_nsk| bytes at
 * |sk| into |*key| and SerializePublicKey of its public half into |pub|
 * (kem_npk bytes). -EBADMSG when the bytes are not a valid private key.
 */
static int kem_priv(const struct mls_suite *s, const uint8_t *sk, EVP_PKEY **key, uint8_t *pub)
{
	size_t n = s->kem_npk;
	int rc;

	if (is_nist(s)) {
		rc = mls_ec_key_from_priv(s->kem_group, sk, s->kem_nsk, key, pub, &n);
		if (rc == 0 && n != s->kem_npk) {
			EVP_PKEY_free(*key);
			*key = NULL;
			rc = -EIO;
		}
		return rc;
	}
	/* X25519 and X448 take any string of Nsk bytes (RFC 7748 clamps it). */
	*key = EVP_PKEY_new_raw_private_key_ex(NULL, s->kem_group, NULL, sk, s->kem_nsk);
	if (*key == NULL) {
		ERR_clear_error();
		return -ENOMEM;
	}
	if (EVP_PKEY_get_raw_public_key(*key, pub, &n) != 1 || n != s->kem_npk) {
		EVP_PKEY_free(*key);
		*key = NULL;
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

/*
 * kem_pub is DeserializePublicKey of the |s->kem_npk| bytes at |pk| into
 * |*key|; -EBADMSG when they are not a valid point.
 */
static int kem_pub(const struct mls_suite *s, const uint8_t *pk, EVP_PKEY **key)
{
	if (is_nist(s)) {
		return mls_ec_key_from_pub(s->kem_group, pk, s->kem_npk, key);
	}
	*key = EVP_PKEY_new_raw_public_key_ex(NULL, s->kem_group, NULL, pk, s->kem_npk);
	if (*key == NULL) {
		ERR_clear_error();
		return -EBADMSG;
	}
	return 0;
}

/*
 * dh writes DH(sk, pk) (Ndh = kem_nsk bytes: the X25519/X448 output or the
 * ECDH x-coordinate) to |out|. -EBADMSG when the peer's key gives no valid
 * secret, e.g. an all-zero X25519/X448 output from a small-order point
 * (RFC 9180 section 7.1.4).
 */
static int dh(const struct mls_suite *s, EVP_PKEY *sk, EVP_PKEY *pk, uint8_t *out)
{
	uint8_t buf[MLS_MAX_KEM_PRIV];
	EVP_PKEY_CTX *ctx;
	size_t n = sizeof(buf);
	int rc = -EBADMSG;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sk, NULL);
	if (ctx == NULL) {
		return -ENOMEM;
	}
	if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) != 1) {
		rc = -EIO;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, buf, &n) != 1 || n != s->kem_nsk || all_zero(buf, n)) {
		goto out;
	}
	memcpy(out, buf, n);
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	EVP_PKEY_CTX_free(ctx);
	if (rc < 0) {
		ERR_clear_error();
	}
	return rc;
}

/*
 * extract_and_expand (RFC 9180 section 4.1): eae_prk = LabeledExtract("",
 * "eae_prk", dh); shared_secret = LabeledExpand(eae_prk, "shared_secret",
 * kem_context, Nsecret).
 */
static int extract_and_expand(const struct mls_suite *s, const uint8_t *dh_out,
			      const uint8_t *kem_context, size_t kem_context_len, uint8_t *ss)
{
	uint8_t sid[KEM_SID_LEN], prk[MLS_MAX_HASH];
	int rc;

	kem_suite_id(s, sid);
	rc = labeled_extract(s, sid, sizeof(sid), NULL, 0, "eae_prk", dh_out, s->kem_nsk, prk);
	if (rc == 0) {
		rc = labeled_expand(s, sid, sizeof(sid), prk, s->nh, "shared_secret", kem_context,
				    kem_context_len, ss, s->kem_nsecret);
	}
	OPENSSL_cleanse(prk, sizeof(prk));
	return rc;
}

/*
 * encap is Encap(pkR) with the ephemeral private key |eph| (serialized):
 * |enc| gets SerializePublicKey(pkE), |ss| the shared secret. |pk_raw| is
 * pkRm, |pk| its key.
 */
static int encap(const struct mls_suite *s, EVP_PKEY *pk, const uint8_t *pk_raw,
		 const uint8_t *eph, uint8_t *enc, uint8_t *ss)
{
	uint8_t dh_out[MLS_MAX_KEM_PRIV], kem_context[2 * MLS_MAX_KEM_PUB];
	EVP_PKEY *ek = NULL;
	int rc;

	rc = kem_priv(s, eph, &ek, enc);
	if (rc == 0) {
		rc = dh(s, ek, pk, dh_out);
	}
	if (rc == 0) {
		/* kem_context = enc || pkRm (Nenc = Npk for every DHKEM). */
		memcpy(kem_context, enc, s->kem_nenc);
		memcpy(kem_context + s->kem_nenc, pk_raw, s->kem_npk);
		rc = extract_and_expand(s, dh_out, kem_context, s->kem_nenc + s->kem_npk, ss);
	}
	OPENSSL_cleanse(dh_out, sizeof(dh_out));
	EVP_PKEY_free(ek);
	return rc;
}

/*
 * decap is Decap(enc, skR): |sk| is skR and |pk_raw| pkRm. -EBADMSG when
 * enc is not a valid public key or gives no valid DH output.
 */
static int decap(const struct mls_suite *s, EVP_PKEY *sk, const uint8_t *pk_raw,
		 const uint8_t *enc, uint8_t *ss)
{
	uint8_t dh_out[MLS_MAX_KEM_PRIV], kem_context[2 * MLS_MAX_KEM_PUB];
	EVP_PKEY *ek = NULL;
	int rc;

	rc = kem_pub(s, enc, &ek);
	if (rc == 0) {
		rc = dh(s, sk, ek, dh_out);
	}
	if (rc == 0) {
		memcpy(kem_context, enc, s->kem_nenc);
		memcpy(kem_context + s->kem_nenc, pk_raw, s->kem_npk);
		rc = extract_and_expand(s, dh_out, kem_context, s->kem_nenc + s->kem_npk, ss);
	}
	OPENSSL_cleanse(dh_out, sizeof(dh_out));
	EVP_PKEY_free(ek);
	return rc;
}

/*
 * derive_keypair (RFC 9180 section 7.1.3): the private key into |sk|
 * (kem_nsk bytes) and the public key into |pk| (kem_npk bytes).
 */
static int derive_keypair(const struct mls_suite *s, const uint8_t *ikm, size_t ikm_len,
			  uint8_t *sk, uint8_t *pk)
{
	uint8_t sid[KEM_SID_LEN], prk[MLS_MAX_HASH];
	EVP_PKEY *key = NULL;
	int rc;

	kem_suite_id(s, sid);
	rc = labeled_extract(s, sid, sizeof(sid), NULL, 0, "dkp_prk", ikm, ikm_len, prk);
	if (rc < 0) {
		goto out;
	}
	if (!is_nist(s)) {
		/* X25519/X448: sk = LabeledExpand(dkp_prk, "sk", "", Nsk). */
		rc = labeled_expand(s, sid, sizeof(sid), prk, s->nh, "sk", NULL, 0, sk,
				    s->kem_nsk);
		if (rc == 0) {
			rc = kem_priv(s, sk, &key, pk);
		}
		goto out;
	}
	/*
	 * P-curves: rejection sampling. Candidate i is LabeledExpand(dkp_prk,
	 * "candidate", I2OSP(i, 1), Nsk) with its first byte masked (0xff for
	 * P-256/P-384, 0x01 for P-521), taken when it is in [1, n - 1].
	 */
	rc = -EIO;	/* DeriveKeyPairError after 256 rejections */
	for (unsigned int counter = 0; counter < 256; counter++) {
		uint8_t c = (uint8_t)counter;
		int r;

		r = labeled_expand(s, sid, sizeof(sid), prk, s->nh, "candidate", &c, 1, sk,
				   s->kem_nsk);
		if (r < 0) {
			rc = r;
			break;
		}
		sk[0] &= s->kem_id == MLS_KEM_P521 ? 0x01 : 0xff;
		r = kem_priv(s, sk, &key, pk);
		if (r != -EBADMSG) {
			rc = r;
			break;
		}
	}
out:
	OPENSSL_cleanse(prk, sizeof(prk));
	EVP_PKEY_free(key);
	if (rc < 0) {
		OPENSSL_cleanse(sk, s->kem_nsk);
	}
	return rc;
}

/*
 * schedule_secret (RFC 9180 section 5.1) for mode_base with the default
 * (empty) PSK and PSK id: key_schedule_context = mode || psk_id_hash ||
 * info_hash into |ctx| (1 + 2 Nh bytes) and secret = LabeledExtract(
 * shared_secret, "secret", psk = "") into |secret| (Nh).
 */
static int schedule_secret(const struct mls_suite *s, const uint8_t *sid, const uint8_t *ss,
			   const uint8_t *info, size_t info_len, uint8_t *ctx, uint8_t *secret)
{
	int rc;

	ctx[0] = MODE_BASE;
	rc = labeled_extract(s, sid, HPKE_SID_LEN, NULL, 0, "psk_id_hash", NULL, 0, ctx + 1);
	if (rc == 0) {
		rc = labeled_extract(s, sid, HPKE_SID_LEN, NULL, 0, "info_hash", info, info_len,
				     ctx + 1 + s->nh);
	}
	if (rc == 0) {
		rc = labeled_extract(s, sid, HPKE_SID_LEN, ss, s->kem_nsecret, "secret", NULL, 0,
				     secret);
	}
	return rc;
}

/* key_schedule_base: |key| gets Nk bytes, |nonce| base_nonce (Nn). */
static int key_schedule_base(const struct mls_suite *s, const uint8_t *ss,
			     const uint8_t *info, size_t info_len, uint8_t *key, uint8_t *nonce)
{
	uint8_t sid[HPKE_SID_LEN], ctx[1 + 2 * MLS_MAX_HASH], secret[MLS_MAX_HASH];
	size_t ctx_len = 1 + 2 * (size_t)s->nh;
	int rc;

	hpke_suite_id(s, sid);
	rc = schedule_secret(s, sid, ss, info, info_len, ctx, secret);
	if (rc == 0) {
		rc = labeled_expand(s, sid, sizeof(sid), secret, s->nh, "key", ctx, ctx_len, key,
				    s->nk);
	}
	if (rc == 0) {
		rc = labeled_expand(s, sid, sizeof(sid), secret, s->nh, "base_nonce", ctx, ctx_len,
				    nonce, s->nn);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

/*
 * exporter_base (RFC 9180 section 5.3) for mode_base: exporter_secret =
 * LabeledExpand(secret, "exp", key_schedule_context, Nh), then
 * Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec",
 * exporter_context, L) into |out|.
 */
static int exporter_base(const struct mls_suite *s, const uint8_t *ss, const uint8_t *info,
			 size_t info_len, const uint8_t *exp_ctx, size_t exp_ctx_len,
			 size_t L, uint8_t *out)
{
	uint8_t sid[HPKE_SID_LEN], ctx[1 + 2 * MLS_MAX_HASH], secret[MLS_MAX_HASH];
	uint8_t exporter[MLS_MAX_HASH];
	size_t ctx_len = 1 + 2 * (size_t)s->nh;
	int rc;

	hpke_suite_id(s, sid);
	rc = schedule_secret(s, sid, ss, info, info_len, ctx, secret);
	if (rc == 0) {
		rc = labeled_expand(s, sid, sizeof(sid), secret, s->nh, "exp", ctx, ctx_len,
				    exporter, s->nh);
	}
	if (rc == 0) {
		rc = labeled_expand(s, sid, sizeof(sid), exporter, s->nh, "sec", exp_ctx,
				    exp_ctx_len, out, L);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(exporter, sizeof(exporter));
	return rc;
}

/* --- The public functions ------------------------------------------------ */

int mls_hpke_derive_keypair(const struct mls_suite *s, const uint8_t *ikm, size_t ikm_len,
			    uint8_t *priv, uint8_t *pub)
{
	if (s == NULL || (ikm == NULL && ikm_len > 0) || priv == NULL || pub == NULL) {
		return -EINVAL;
	}
	return derive_keypair(s, ikm, ikm_len, priv, pub);
}

int mls_hpke_keygen(const struct mls_suite *s, uint8_t *priv, uint8_t *pub)
{
	uint8_t ikm[MLS_MAX_KEM_PRIV];
	int rc;

	if (s == NULL || priv == NULL || pub == NULL) {
		return -EINVAL;
	}
	/* GenerateKeyPair as DeriveKeyPair of Nsk random bytes (RFC 9180 section 4). */
	rc = mls_random(ikm, s->kem_nsk);
	if (rc == 0) {
		rc = derive_keypair(s, ikm, s->kem_nsk, priv, pub);
	}
	OPENSSL_cleanse(ikm, sizeof(ikm));
	return rc;
}

int mls_hpke_pub_from_priv(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
			   uint8_t *pub)
{
	EVP_PKEY *key = NULL;
	int rc;

	if (s == NULL || priv == NULL || pub == NULL) {
		return -EINVAL;
	}
	if (priv_len != s->kem_nsk) {
		return -EINVAL;
	}
	rc = kem_priv(s, priv, &key, pub);
	EVP_PKEY_free(key);
	return rc;
}

int mls_hpke_encap_with_eph(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			    const uint8_t *eph_priv, size_t eph_priv_len, uint8_t *enc,
			    uint8_t *shared_secret)
{
	EVP_PKEY *pk = NULL;
	int rc;

	if (s == NULL || pub == NULL || eph_priv == NULL || enc == NULL ||
	    shared_secret == NULL) {
		return -EINVAL;
	}
	if (pub_len != s->kem_npk || eph_priv_len != s->kem_nsk) {
		return -EINVAL;
	}
	rc = kem_pub(s, pub, &pk);
	if (rc == 0) {
		rc = encap(s, pk, pub, eph_priv, enc, shared_secret);
	}
	EVP_PKEY_free(pk);
	return rc;
}

int mls_hpke_seal_with_eph(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			   const uint8_t *eph_priv, size_t eph_priv_len,
			   const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
			   const uint8_t *pt, size_t pt_len, uint8_t *enc, uint8_t *ct)
{
	uint8_t ss[MLS_MAX_KEM_SECRET], key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE];
	int rc;

	if (s == NULL || (info == NULL && info_len > 0) || (aad == NULL && aad_len > 0) ||
	    (pt == NULL && pt_len > 0) || ct == NULL) {
		return -EINVAL;
	}
	rc = mls_hpke_encap_with_eph(s, pub, pub_len, eph_priv, eph_priv_len, enc, ss);
	if (rc == 0) {
		rc = key_schedule_base(s, ss, info, info_len, key, nonce);
	}
	/* Sequence number 0: the nonce is base_nonce (RFC 9180 section 5.2). */
	if (rc == 0) {
		rc = mls_aead_seal(s, key, nonce, aad, aad_len, pt, pt_len, ct);
	}
	OPENSSL_cleanse(ss, sizeof(ss));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return rc;
}

int mls_hpke_seal(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
		  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
		  const uint8_t *pt, size_t pt_len, uint8_t *enc, uint8_t *ct)
{
	uint8_t eph[MLS_MAX_KEM_PRIV], eph_pub[MLS_MAX_KEM_PUB];
	int rc;

	if (s == NULL) {
		return -EINVAL;
	}
	rc = mls_hpke_keygen(s, eph, eph_pub);
	if (rc == 0) {
		rc = mls_hpke_seal_with_eph(s, pub, pub_len, eph, s->kem_nsk, info, info_len, aad,
					    aad_len, pt, pt_len, enc, ct);
	}
	OPENSSL_cleanse(eph, sizeof(eph));
	return rc;
}

int mls_hpke_open(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
		  const uint8_t *enc, size_t enc_len,
		  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
		  const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	uint8_t ss[MLS_MAX_KEM_SECRET], key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE];
	uint8_t pk_raw[MLS_MAX_KEM_PUB];
	EVP_PKEY *sk = NULL;
	int rc;

	if (s == NULL || priv == NULL || enc == NULL || (info == NULL && info_len > 0) ||
	    (aad == NULL && aad_len > 0) || ct == NULL || (pt == NULL && ct_len > MLS_AEAD_TAG)) {
		return -EINVAL;
	}
	if (priv_len != s->kem_nsk) {
		return -EINVAL;
	}
	/* A KEM output or ciphertext of the wrong size is the peer's fault. */
	if (enc_len != s->kem_nenc || ct_len < MLS_AEAD_TAG) {
		rc = -EBADMSG;
		goto out;
	}
	rc = kem_priv(s, priv, &sk, pk_raw);
	if (rc == 0) {
		rc = decap(s, sk, pk_raw, enc, ss);
	}
	if (rc == 0) {
		rc = key_schedule_base(s, ss, info, info_len, key, nonce);
	}
	if (rc == 0) {
		rc = mls_aead_open(s, key, nonce, aad, aad_len, ct, ct_len, pt);
	}
out:
	if (rc < 0 && pt != NULL && ct_len > MLS_AEAD_TAG) {
		OPENSSL_cleanse(pt, ct_len - MLS_AEAD_TAG);
	}
	OPENSSL_cleanse(ss, sizeof(ss));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(nonce, sizeof(nonce));
	EVP_PKEY_free(sk);
	return rc;
}

/* --- Labelled encryption, RFC 9420 section 5.1.3 ------------------------- */


int mls_encrypt_with_label(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			   const char *label, size_t label_len,
			   const uint8_t *context, size_t context_len,
			   const uint8_t *pt, size_t pt_len, uint8_t *kem_output, uint8_t *ct)
{
	uint8_t small[SMALL_BUF], *info;
	size_t info_len;
	int rc;

	if (s == NULL) {
		return -EINVAL;
	}
	rc = mls_label_encode(label, label_len, context, context_len, small, sizeof(small), &info,
			     &info_len);
	if (rc < 0) {
		return rc;
	}
	rc = mls_hpke_seal(s, pub, pub_len, info, info_len, NULL, 0, pt, pt_len, kem_output, ct);
	if (info != small) {
		OPENSSL_free(info);
	}
	return rc;
}

int mls_decrypt_with_label(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
			   const char *label, size_t label_len,
			   const uint8_t *context, size_t context_len,
			   const uint8_t *kem_output, size_t kem_output_len,
			   const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	uint8_t small[SMALL_BUF], *info;
	size_t info_len;
	int rc;

	if (s == NULL) {
		return -EINVAL;
	}
	rc = mls_label_encode(label, label_len, context, context_len, small, sizeof(small), &info,
			     &info_len);
	if (rc < 0) {
		return rc;
	}
	rc = mls_hpke_open(s, priv, priv_len, kem_output, kem_output_len, info, info_len, NULL,
			   0, ct, ct_len, pt);
	if (info != small) {
		OPENSSL_free(info);
	}
	return rc;
}

int mls_hpke_export_send(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			 const uint8_t *info, size_t info_len, const uint8_t *exp_ctx,
			 size_t exp_ctx_len, size_t L, uint8_t *enc, uint8_t *out)
{
	uint8_t eph[MLS_MAX_KEM_PRIV], eph_pub[MLS_MAX_KEM_PUB], ss[MLS_MAX_KEM_SECRET];
	int rc;

	if (s == NULL || pub == NULL || (info == NULL && info_len > 0) ||
	    (exp_ctx == NULL && exp_ctx_len > 0) || enc == NULL || out == NULL || L == 0 ||
	    L > 255 * (size_t)s->nh) {
		return -EINVAL;
	}
	rc = mls_hpke_keygen(s, eph, eph_pub);
	rc = rc < 0 ? rc : mls_hpke_encap_with_eph(s, pub, pub_len, eph, s->kem_nsk, enc, ss);
	rc = rc < 0 ? rc : exporter_base(s, ss, info, info_len, exp_ctx, exp_ctx_len, L, out);
	OPENSSL_cleanse(eph, sizeof(eph));
	OPENSSL_cleanse(ss, sizeof(ss));
	return rc;
}

int mls_hpke_export_receive(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
			    const uint8_t *enc, size_t enc_len, const uint8_t *info,
			    size_t info_len, const uint8_t *exp_ctx, size_t exp_ctx_len, size_t L,
			    uint8_t *out)
{
	uint8_t ss[MLS_MAX_KEM_SECRET], pk_raw[MLS_MAX_KEM_PUB];
	EVP_PKEY *sk = NULL;
	int rc;

	if (s == NULL || priv == NULL || enc == NULL || (info == NULL && info_len > 0) ||
	    (exp_ctx == NULL && exp_ctx_len > 0) || out == NULL || L == 0 ||
	    L > 255 * (size_t)s->nh || priv_len != s->kem_nsk) {
		return -EINVAL;
	}
	if (enc_len != s->kem_nenc) {
		return -EBADMSG;
	}
	rc = kem_priv(s, priv, &sk, pk_raw);
	rc = rc < 0 ? rc : decap(s, sk, pk_raw, enc, ss);
	rc = rc < 0 ? rc : exporter_base(s, ss, info, info_len, exp_ctx, exp_ctx_len, L, out);
	OPENSSL_cleanse(ss, sizeof(ss));
	EVP_PKEY_free(sk);
	return rc;
}
