/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust_key.c - the bridge key: PEM in, the JWK out, and the bridge
 * keys of a peer's bundle (see the header).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ctl_trust_key.h"
#include "id_b64.h"
#include "mls_crypto.h"

int ctl_trust_key_load(const char *path, uint8_t priv[CTL_TRUST_PRIV_LEN],
		       uint8_t pub[CTL_TRUST_PUB_LEN], char *err, size_t errlen)
{
	const struct mls_suite *s = mls_suite_get(CTL_TRUST_SUITE);
	char group[32] = "";
	EVP_PKEY *pk = NULL, *mk = NULL;
	BIGNUM *bn = NULL;
	size_t glen = 0, plen = 0;
	BIO *bio;
	int rc = -EINVAL;

	if (s == NULL) {
		snprintf(err, errlen, "MLS cipher suite %d is not available", CTL_TRUST_SUITE);
		return -EIO;
	}
	bio = BIO_new_file(path, "r");
	if (bio == NULL) {
		rc = errno != 0 ? -errno : -ENOENT;
		snprintf(err, errlen, "bridge key %s: %s", path, strerror(-rc));
		return rc;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pk == NULL || !EVP_PKEY_is_a(pk, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &glen) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		snprintf(err, errlen, "bridge key %s: not a PEM private key on P-256", path);
		goto out;
	}
	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 ||
	    BN_bn2binpad(bn, priv, CTL_TRUST_PRIV_LEN) != CTL_TRUST_PRIV_LEN) {
		snprintf(err, errlen, "bridge key %s: cannot read the private key", path);
		rc = -EIO;
		goto out;
	}
	/* The public key as MLS computes it from the scalar: the leaf will carry exactly this. */
	if (mls_sig_key_from_priv(s, priv, CTL_TRUST_PRIV_LEN, &mk) < 0 ||
	    mls_sig_pub_raw(s, mk, pub, CTL_TRUST_PUB_LEN, &plen) < 0 || plen != CTL_TRUST_PUB_LEN) {
		OPENSSL_cleanse(priv, CTL_TRUST_PRIV_LEN);
		snprintf(err, errlen, "bridge key %s: not a valid P-256 private key", path);
		goto out;
	}
	rc = 0;
out:
	BN_clear_free(bn);
	EVP_PKEY_free(mk);
	EVP_PKEY_free(pk);
	return rc;
}

/* base64url of the 32-byte coordinates of |pub|. */
static int coords(const uint8_t pub[CTL_TRUST_PUB_LEN], char x[48], char y[48])
{
	if (pub[0] != 0x04 || id_b64url_encode(pub + 1, 32, x, 48) != 43 ||
	    id_b64url_encode(pub + 33, 32, y, 48) != 43) {
		return -EINVAL;
	}
	return 0;
}

int ctl_trust_key_kid(const uint8_t pub[CTL_TRUST_PUB_LEN], char *out, size_t cap)
{
	char x[48], y[48], tp[160], b[48];
	uint8_t h[32];
	unsigned int hl = 0;
	int n;

	if (coords(pub, x, y) < 0) {
		return -EINVAL;
	}
	/* RFC 7638 section 3.2: the required members in lexicographic order, no whitespace. */
	n = snprintf(tp, sizeof(tp), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		     x, y);
	if (n < 0 || (size_t)n >= sizeof(tp) ||
	    EVP_Digest(tp, (size_t)n, h, &hl, EVP_sha256(), NULL) != 1 ||
	    id_b64url_encode(h, sizeof(h), b, sizeof(b)) < 16) {
		return -EIO;
	}
	n = snprintf(out, cap, "sb-bridge-%.16s", b);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

char *ctl_trust_key_jwk(const uint8_t pub[CTL_TRUST_PUB_LEN])
{
	char x[48], y[48], kid[40];
	json_t *j;
	char *s;

	if (coords(pub, x, y) < 0 || ctl_trust_key_kid(pub, kid, sizeof(kid)) < 0) {
		return NULL;
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "use",
		      CTL_TRUST_JWK_USE, "kid", kid, "x", x, "y", y);
	s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	return s;
}

/* The uncompressed point of a bridge JWK, or -EINVAL when it is not a P-256 public JWK. */
static int jwk_point(json_t *k, uint8_t out[CTL_TRUST_PUB_LEN])
{
	const char *kty = json_string_value(json_object_get(k, "kty"));
	const char *crv = json_string_value(json_object_get(k, "crv"));
	const char *x = json_string_value(json_object_get(k, "x"));
	const char *y = json_string_value(json_object_get(k, "y"));

	if (kty == NULL || crv == NULL || x == NULL || y == NULL || strcmp(kty, "EC") != 0 ||
	    strcmp(crv, "P-256") != 0 || json_object_get(k, "d") != NULL) {
		return -EINVAL;
	}
	out[0] = 0x04;
	if (id_b64url_decode(x, strlen(x), out + 1, 32) != 32 ||
	    id_b64url_decode(y, strlen(y), out + 33, 32) != 32) {
		return -EINVAL;
	}
	return 0;
}

int ctl_trust_key_in_bundle(const uint8_t *doc, size_t len, const uint8_t *pub, size_t pub_len,
			    bool *match)
{
	json_t *root = json_loadb((const char *)doc, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *keys = root != NULL ? json_object_get(root, "keys") : NULL;
	json_t *k;
	size_t i;
	int n = 0;

	*match = false;
	if (!json_is_object(root) || !json_is_array(keys)) {
		json_decref(root);
		return -EBADMSG;
	}
	json_array_foreach(keys, i, k) {
		const char *use = json_string_value(json_object_get(k, "use"));
		uint8_t pt[CTL_TRUST_PUB_LEN];

		if (use == NULL || strcmp(use, CTL_TRUST_JWK_USE) != 0 || jwk_point(k, pt) < 0) {
			continue;
		}
		n++;
		if (pub != NULL && pub_len == sizeof(pt) && CRYPTO_memcmp(pt, pub, sizeof(pt)) == 0) {
			*match = true;
		}
	}
	json_decref(root);
	return n;
}
