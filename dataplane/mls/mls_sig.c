/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_sig.c - the signatures of the MLS suites (RFC 9420 section 5.1.2) on
 * OpenSSL 3: Ed25519 and Ed448 (pure EdDSA, empty context, raw signatures)
 * and ECDSA over P-256/SHA-256, P-384/SHA-384 and P-521/SHA-512 (DER
 * signatures, as TLS 1.3 encodes them). The contract is mls_crypto.h.
 *
 * ECDSA keys come from raw scalars and points through the NIST-curve
 * helpers of mls_hpke.c (mls_crypto_internal.h), which check the scalar range
 * and that a point is on its curve. An Ed25519/Ed448 public key is not
 * decoded until it is used: a string that is not a point fails
 * verification (-EBADMSG) rather than the import.
 *
 * For suites 1-7 the hash of an ECDSA scheme is the suite's hash (SHA-256
 * for suite 2, SHA-512 for 5, SHA-384 for 7), so s->md serves both.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "mls_codec.h"
#include "mls_crypto.h"
#include "mls_crypto_internal.h"

/* "MLS 1.0 ": the prefix of SignContent's label (RFC 9420 section 5.1.2). */

/* SignContent up to this size is built on the stack. */
#define SMALL_BUF 512

static bool is_eddsa(const struct mls_suite *s)
{
	return s->sig_scheme == MLS_SIG_ED25519 || s->sig_scheme == MLS_SIG_ED448;
}

/* ec_curve names the curve of an ECDSA scheme, NULL for another. */
static const char *ec_curve(const struct mls_suite *s)
{
	switch (s->sig_scheme) {
	case MLS_SIG_ECDSA_P256_SHA256:
		return "P-256";
	case MLS_SIG_ECDSA_P384_SHA384:
		return "P-384";
	case MLS_SIG_ECDSA_P521_SHA512:
		return "P-521";
	default:
		return NULL;
	}
}

/* ec_bits is the size of the curve of an ECDSA scheme. */
static int ec_bits(const struct mls_suite *s)
{
	switch (s->sig_scheme) {
	case MLS_SIG_ECDSA_P256_SHA256:
		return 256;
	case MLS_SIG_ECDSA_P384_SHA384:
		return 384;
	default:
		return 521;
	}
}

/* key_fits tells whether |k| is a key of the suite's signature scheme. */
static bool key_fits(const struct mls_suite *s, const EVP_PKEY *k)
{
	if (!EVP_PKEY_is_a(k, s->sig_alg)) {
		return false;
	}
	return is_eddsa(s) || EVP_PKEY_get_bits(k) == ec_bits(s);
}

/* sig_suite_ok checks that |s| is one of the schemes implemented here. */
static bool sig_suite_ok(const struct mls_suite *s)
{
	return s != NULL && (is_eddsa(s) || ec_curve(s) != NULL);
}

int mls_sig_key_from_priv(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
			  EVP_PKEY **out)
{
	if (!sig_suite_ok(s) || priv == NULL || out == NULL) {
		return -EINVAL;
	}
	*out = NULL;
	/*
	 * An ECDSA scalar may come without its leading zero bytes (a P-521 key
	 * of 65 bytes in message-protection.json): any length up to the
	 * field's is taken as a big-endian integer. EdDSA seeds are exact.
	 */
	if (priv_len == 0 || priv_len > s->sig_npriv || (is_eddsa(s) && priv_len != s->sig_npriv)) {
		return -EINVAL;
	}
	if (!is_eddsa(s)) {
		return mls_ec_key_from_priv(ec_curve(s), priv, priv_len, out, NULL, NULL);
	}
	/* Any 32/57-byte string is an EdDSA seed (RFC 8032 section 5.1.5). */
	*out = EVP_PKEY_new_raw_private_key_ex(NULL, s->sig_alg, NULL, priv, priv_len);
	if (*out == NULL) {
		ERR_clear_error();
		return -ENOMEM;
	}
	return 0;
}

int mls_sig_key_from_pub(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			 EVP_PKEY **out)
{
	if (!sig_suite_ok(s) || pub == NULL || out == NULL) {
		return -EINVAL;
	}
	*out = NULL;
	if (pub_len != s->sig_npub) {
		return -EINVAL;
	}
	if (!is_eddsa(s)) {
		return mls_ec_key_from_pub(ec_curve(s), pub, pub_len, out);
	}
	*out = EVP_PKEY_new_raw_public_key_ex(NULL, s->sig_alg, NULL, pub, pub_len);
	if (*out == NULL) {
		ERR_clear_error();
		return -EBADMSG;
	}
	return 0;
}

int mls_sig_pub_raw(const struct mls_suite *s, const EVP_PKEY *k, uint8_t *out, size_t cap,
		    size_t *out_len)
{
	size_t n = 0;
	int ok;

	if (!sig_suite_ok(s) || k == NULL || out == NULL || out_len == NULL ||
	    !key_fits(s, k)) {
		return -EINVAL;
	}
	if (cap < s->sig_npub) {
		return -ENOSPC;
	}
	if (is_eddsa(s)) {
		n = cap;
		ok = EVP_PKEY_get_raw_public_key(k, out, &n);
	} else {
		/* The encoding OpenSSL keeps is uncompressed unless told otherwise. */
		ok = EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, out, cap, &n);
		ok = ok == 1 && n > 0 && out[0] == 0x04;
	}
	if (ok != 1 || n != s->sig_npub) {
		ERR_clear_error();
		return -EIO;
	}
	*out_len = n;
	return 0;
}

int mls_sig_keygen(const struct mls_suite *s, EVP_PKEY **out, uint8_t *priv_raw,
		   size_t *priv_len)
{
	uint8_t raw[MLS_MAX_SIG_PRIV];
	int rc;

	if (!sig_suite_ok(s) || out == NULL || (priv_raw != NULL && priv_len == NULL)) {
		return -EINVAL;
	}
	*out = NULL;
	/*
	 * EdDSA: a random seed is a private key (RFC 8032 section 5.1.5).
	 * ECDSA: a uniform scalar in [1, n - 1] by rejection, Nsk random bytes
	 * (the top byte masked to the order's bit length for P-521) until one
	 * is in range; at most about one draw in 2^32 is rejected (P-256).
	 */
	rc = -EBADMSG;
	for (int i = 0; i < 64 && rc == -EBADMSG; i++) {
		rc = mls_random(raw, s->sig_npriv);
		if (rc < 0) {
			break;
		}
		if (s->sig_scheme == MLS_SIG_ECDSA_P521_SHA512) {
			raw[0] &= 0x01;
		}
		rc = mls_sig_key_from_priv(s, raw, s->sig_npriv, out);
	}
	if (rc == -EBADMSG) {
		rc = -EIO;	/* 64 rejections: the RNG is broken */
	}
	if (rc == 0 && priv_raw != NULL) {
		memcpy(priv_raw, raw, s->sig_npriv);
		*priv_len = s->sig_npriv;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

/* md_name is the digest for EVP_DigestSignInit_ex: none for EdDSA (one-shot, pure). */
static const char *md_name(const struct mls_suite *s)
{
	return is_eddsa(s) ? NULL : EVP_MD_get0_name(s->md);
}

int mls_sign_raw(const struct mls_suite *s, EVP_PKEY *priv, const uint8_t *tbs, size_t tbs_len,
		 uint8_t *sig, size_t cap, size_t *sig_len)
{
	EVP_MD_CTX *ctx;
	size_t n = 0;
	int rc = -EIO;

	if (!sig_suite_ok(s) || priv == NULL || (tbs == NULL && tbs_len > 0) || sig == NULL ||
	    sig_len == NULL || !key_fits(s, priv)) {
		return -EINVAL;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		return -ENOMEM;
	}
	if (EVP_DigestSignInit_ex(ctx, NULL, md_name(s), NULL, NULL, priv, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, tbs, tbs_len) != 1) {
		goto out;
	}
	/* n is the largest signature (ECDSA's DER length varies). */
	if (n > cap) {
		rc = -ENOSPC;
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &n, tbs, tbs_len) != 1) {
		goto out;
	}
	*sig_len = n;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	if (rc < 0) {
		ERR_clear_error();
	}
	return rc;
}

int mls_verify_raw(const struct mls_suite *s, EVP_PKEY *pub, const uint8_t *tbs, size_t tbs_len,
		   const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx;
	int rc = -EBADMSG;

	if (!sig_suite_ok(s) || pub == NULL || (tbs == NULL && tbs_len > 0) ||
	    (sig == NULL && sig_len > 0) || !key_fits(s, pub)) {
		return -EINVAL;
	}
	if (sig_len == 0 || sig_len > MLS_MAX_SIG) {
		return -EBADMSG;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		return -ENOMEM;
	}
	if (EVP_DigestVerifyInit_ex(ctx, NULL, md_name(s), NULL, NULL, pub, NULL) != 1) {
		rc = -EIO;
		goto out;
	}
	/*
	 * 1 is a good signature; 0 a bad one; < 0 a malformed one (bad DER,
	 * an EdDSA signature of the wrong length, a public key that is not
	 * a point). OpenSSL's ECDSA takes only the exact DER encoding.
	 */
	if (EVP_DigestVerify(ctx, sig, sig_len, tbs, tbs_len) == 1) {
		rc = 0;
	}
out:
	EVP_MD_CTX_free(ctx);
	if (rc < 0) {
		ERR_clear_error();
	}
	return rc;
}


int mls_sign_with_label(const struct mls_suite *s, EVP_PKEY *priv,
			const char *label, size_t label_len,
			const uint8_t *content, size_t content_len,
			uint8_t *sig, size_t cap, size_t *sig_len)
{
	uint8_t small[SMALL_BUF], *tbs;
	size_t tbs_len;
	int rc;

	rc = mls_label_encode(label, label_len, content, content_len, small, sizeof(small), &tbs,
			  &tbs_len);
	if (rc < 0) {
		return rc;
	}
	rc = mls_sign_raw(s, priv, tbs, tbs_len, sig, cap, sig_len);
	if (tbs != small) {
		OPENSSL_free(tbs);
	}
	return rc;
}

int mls_verify_with_label(const struct mls_suite *s, EVP_PKEY *pub,
			  const char *label, size_t label_len,
			  const uint8_t *content, size_t content_len,
			  const uint8_t *sig, size_t sig_len)
{
	uint8_t small[SMALL_BUF], *tbs;
	size_t tbs_len;
	int rc;

	rc = mls_label_encode(label, label_len, content, content_len, small, sizeof(small), &tbs,
			  &tbs_len);
	if (rc < 0) {
		return rc;
	}
	rc = mls_verify_raw(s, pub, tbs, tbs_len, sig, sig_len);
	if (tbs != small) {
		OPENSSL_free(tbs);
	}
	return rc;
}
