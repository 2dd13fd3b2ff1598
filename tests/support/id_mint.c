/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_mint.c - JWT-SVIDs signed with libcrypto (id_mint.h). Test support.
 */
#include "id_mint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/objects.h>

#include "id_b64.h"

EVP_PKEY *id_mint_key(enum id_alg alg)
{
	switch (id_alg_kty(alg)) {
	case ID_KTY_RSA:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case ID_KTY_EC:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC",
					 alg == ID_ALG_ES256 ? "P-256"
					 : alg == ID_ALG_ES384 ? "P-384" : "P-521");
	default:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
}

static const EVP_MD *alg_md(enum id_alg alg)
{
	switch (alg) {
	case ID_ALG_RS256: case ID_ALG_PS256: case ID_ALG_ES256:
		return EVP_sha256();
	case ID_ALG_RS384: case ID_ALG_PS384: case ID_ALG_ES384:
		return EVP_sha384();
	case ID_ALG_RS512: case ID_ALG_PS512: case ID_ALG_ES512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* DER ECDSA-Sig-Value -> JOSE r||s of 2 * |w| bytes. */
static int der_to_raw(const uint8_t *der, size_t len, size_t w, uint8_t *out)
{
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &der, (long)len);
	const BIGNUM *r, *sv;
	int rc = -1;

	if (s == NULL) {
		return -1;
	}
	ECDSA_SIG_get0(s, &r, &sv);
	if (BN_bn2binpad(r, out, (int)w) == (int)w && BN_bn2binpad(sv, out + w, (int)w) == (int)w) {
		rc = 0;
	}
	ECDSA_SIG_free(s);
	return rc;
}

int id_mint_token(enum id_alg alg, EVP_PKEY *key, const char *kid, const char *sub,
		  const char *aud, uint64_t exp, const char *extra, char *out, size_t cap)
{
	char hdr[256], claims[4096];
	uint8_t sig[1024], raw[1024];
	size_t sig_len = sizeof(sig), pos;
	const uint8_t *final = sig;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int ok;

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
		 id_alg_name(alg), kid);
	snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"aud\":\"%s\",\"exp\":%llu,\"iat\":%llu%s}",
		 sub, aud, (unsigned long long)exp, (unsigned long long)(exp > 3600 ? exp - 3600 : 0),
		 extra != NULL ? extra : "");
	n = id_b64url_encode((const uint8_t *)hdr, strlen(hdr), out, cap);
	if (n < 0 || (size_t)n + 2 > cap) {
		return -1;
	}
	pos = (size_t)n;
	out[pos++] = '.';
	n = id_b64url_encode((const uint8_t *)claims, strlen(claims), out + pos, cap - pos);
	if (n < 0) {
		return -1;
	}
	pos += (size_t)n;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		return -1;
	}
	{
		EVP_PKEY_CTX *pctx = NULL;

		ok = EVP_DigestSignInit(ctx, &pctx, alg_md(alg), NULL, key) == 1;
		if (ok && (alg == ID_ALG_PS256 || alg == ID_ALG_PS384 || alg == ID_ALG_PS512)) {
			ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
		}
	}
	ok = ok && EVP_DigestSign(ctx, sig, &sig_len, (const uint8_t *)out, pos) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		return -1;
	}
	if (id_alg_kty(alg) == ID_KTY_EC) {
		size_t w = alg == ID_ALG_ES256 ? 32 : alg == ID_ALG_ES384 ? 48 : 66;

		if (der_to_raw(sig, sig_len, w, raw) < 0) {
			return -1;
		}
		final = raw;
		sig_len = 2 * w;
	}
	if (pos + 1 >= cap) {
		return -1;
	}
	out[pos++] = '.';
	n = id_b64url_encode(final, sig_len, out + pos, cap - pos);
	if (n < 0) {
		return -1;
	}
	return (int)(pos + (size_t)n);
}

struct id_bundle *id_mint_bundle(const char *td, EVP_PKEY *const *keys, const char *const *kids,
				 uint32_t n, uint8_t digest_salt)
{
	struct id_bundle *b = calloc(1, sizeof(*b));
	EVP_MD_CTX *sh = EVP_MD_CTX_new();

	if (b == NULL || sh == NULL || n > ID_BUNDLE_MAX_KEYS ||
	    EVP_DigestInit_ex(sh, EVP_sha256(), NULL) != 1) {
		free(b);
		EVP_MD_CTX_free(sh);
		return NULL;
	}
	snprintf(b->td, sizeof(b->td), "%s", td);
	b->td_len = strlen(b->td);
	EVP_DigestUpdate(sh, &digest_salt, 1);
	for (uint32_t i = 0; i < n; i++) {
		struct id_jwk *k = &b->keys[i];

		snprintf(k->kid, sizeof(k->kid), "%s", kids[i]);
		k->kid_len = strlen(k->kid);
		k->kty = EVP_PKEY_is_a(keys[i], "RSA") ? ID_KTY_RSA
			 : EVP_PKEY_is_a(keys[i], "EC") ? ID_KTY_EC : ID_KTY_OKP;
		if (k->kty == ID_KTY_EC) {
			char grp[64];

			if (EVP_PKEY_get_utf8_string_param(keys[i], OSSL_PKEY_PARAM_GROUP_NAME, grp,
							   sizeof(grp), NULL) == 1) {
				k->curve_nid = OBJ_sn2nid(grp);
			}
		}
		EVP_PKEY_up_ref(keys[i]);
		k->key = keys[i];
		EVP_DigestUpdate(sh, k->kid, k->kid_len + 1);
	}
	b->n_keys = n;
	EVP_DigestFinal_ex(sh, b->keys_digest, NULL);
	EVP_MD_CTX_free(sh);
	return b;
}
