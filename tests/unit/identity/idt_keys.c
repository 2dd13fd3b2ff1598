/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idt_keys.c - keys, JWKs and signed tokens for the identity unit tests
 * (idt_keys.h). Written on libcrypto directly, apart from the verifier's
 * code paths (only id_b64's encoder and id_sig's alg table are shared).
 */
#include "idt_keys.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "id_b64.h"

EVP_PKEY *idt_key_gen(enum id_alg alg, int bits)
{
	switch (alg) {
	case ID_ALG_ES256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case ID_ALG_ES384:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case ID_ALG_ES512:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	default:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)(bits ? bits : 2048));
	}
}

/* bn_b64 writes |bn| big-endian (|width| bytes, or minimal when 0) in base64url. */
static int bn_b64(const BIGNUM *bn, int width, char *out, size_t cap)
{
	unsigned char buf[1100];
	int n;

	if (width == 0) {
		n = BN_num_bytes(bn);
		if (n > (int)sizeof(buf)) {
			return -1;
		}
		BN_bn2bin(bn, buf);
	} else {
		n = BN_bn2binpad(bn, buf, width);
	}
	if (n < 0) {
		return -1;
	}
	return (int)id_b64url_encode(buf, (size_t)n, out, cap);
}

int idt_jwk(const EVP_PKEY *key, const char *kid, const char *use, char *out, size_t cap)
{
	char a[1500], b[1500], extra[512] = "";
	BIGNUM *x = NULL, *y = NULL;
	int n = -1;

	if (use != NULL) {
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), ",\"use\":\"%s\"",
			 use);
	}
	if (kid != NULL) {
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), ",\"kid\":\"%s\"",
			 kid);
	}
	if (EVP_PKEY_is_a(key, "RSA")) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &x) != 1 ||
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &y) != 1 ||
		    bn_b64(x, 0, a, sizeof(a)) < 0 || bn_b64(y, 0, b, sizeof(b)) < 0) {
			goto out;
		}
		n = snprintf(out, cap, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"%s}", a, b, extra);
	} else {
		char group[64];
		size_t glen = 0;
		const char *crv;
		int width;

		if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1) {
			goto out;
		}
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			crv = "P-256", width = 32;
		} else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			crv = "P-384", width = 48;
		} else {
			crv = "P-521", width = 66;
		}
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
		    bn_b64(x, width, a, sizeof(a)) < 0 || bn_b64(y, width, b, sizeof(b)) < 0) {
			goto out;
		}
		n = snprintf(out, cap, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s}",
			     crv, a, b, extra);
	}
	if (n < 0 || (size_t)n >= cap) {
		n = -1;
	}
out:
	BN_free(x);
	BN_free(y);
	return n;
}

int idt_b64(const char *s, char *out, size_t cap)
{
	return (int)id_b64url_encode((const uint8_t *)s, strlen(s), out, cap);
}

static const char *md_name(enum id_alg alg)
{
	switch (alg) {
	case ID_ALG_RS256: case ID_ALG_PS256: case ID_ALG_ES256:
		return "SHA256";
	case ID_ALG_RS384: case ID_ALG_PS384: case ID_ALG_ES384:
		return "SHA384";
	default:
		return "SHA512";
	}
}

/* der_to_raw turns a DER ECDSA signature into JOSE's r||s, |field| bytes each. */
static int der_to_raw(const unsigned char *der, size_t len, int field, unsigned char *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	int ok;

	if (es == NULL) {
		return -1;
	}
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, out, field) == field && BN_bn2binpad(s, out + field, field) == field;
	ECDSA_SIG_free(es);
	return ok ? 2 * field : -1;
}

int idt_sign(enum id_alg alg, EVP_PKEY *key, const char *hdr, const char *claims, char *out,
	     size_t cap)
{
	unsigned char sig[1100], raw[140];
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t sig_len = sizeof(sig), pos;
	const unsigned char *s = sig;
	int h, c, rc = -1, n;

	h = idt_b64(hdr, out, cap);
	if (h < 0 || (size_t)h + 2 >= cap) {
		return -1;
	}
	out[h] = '.';
	c = idt_b64(claims, out + h + 1, cap - (size_t)h - 1);
	if (c < 0) {
		return -1;
	}
	pos = (size_t)h + 1 + (size_t)c;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestSignInit_ex(ctx, &pctx, md_name(alg), NULL, NULL, key, NULL) != 1) {
		goto out;
	}
	if (alg >= ID_ALG_PS256 && alg <= ID_ALG_PS512 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)out, pos) != 1) {
		goto out;
	}
	if (alg >= ID_ALG_ES256 && alg <= ID_ALG_ES512) {
		int field = alg == ID_ALG_ES256 ? 32 : alg == ID_ALG_ES384 ? 48 : 66;

		n = der_to_raw(sig, sig_len, field, raw);
		if (n < 0) {
			goto out;
		}
		s = raw;
		sig_len = (size_t)n;
	}
	if (pos + 1 >= cap) {
		goto out;
	}
	out[pos] = '.';
	n = (int)id_b64url_encode(s, sig_len, out + pos + 1, cap - pos - 1);
	if (n < 0) {
		goto out;
	}
	rc = (int)pos + 1 + n;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}
