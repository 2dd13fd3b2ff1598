/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_sig.c - JWS signature verification (RFC 7518 sections 3.3-3.5) and the
 * making of public keys from JWK or DER material, on libcrypto's EVP API.
 */
#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "id_sig.h"

#define ED25519_PUB_LEN 32
#define EC_FIELD_MAX 66		/* P-521 */

struct alg_desc {
	const char *name;
	enum id_kty kty;
	const char *md;		/* NULL: EdDSA hashes internally */
	int pad;		/* RSA padding mode; 0 for EC and EdDSA */
	int curve_nid;		/* ES only */
	size_t field;		/* ES only: bytes of r and of s */
};

static const struct alg_desc algs[ID_ALG_COUNT] = {
	[ID_ALG_RS256] = { "RS256", ID_KTY_RSA, "SHA256", RSA_PKCS1_PADDING, 0, 0 },
	[ID_ALG_RS384] = { "RS384", ID_KTY_RSA, "SHA384", RSA_PKCS1_PADDING, 0, 0 },
	[ID_ALG_RS512] = { "RS512", ID_KTY_RSA, "SHA512", RSA_PKCS1_PADDING, 0, 0 },
	[ID_ALG_ES256] = { "ES256", ID_KTY_EC, "SHA256", 0, NID_X9_62_prime256v1, 32 },
	[ID_ALG_ES384] = { "ES384", ID_KTY_EC, "SHA384", 0, NID_secp384r1, 48 },
	[ID_ALG_ES512] = { "ES512", ID_KTY_EC, "SHA512", 0, NID_secp521r1, 66 },
	[ID_ALG_PS256] = { "PS256", ID_KTY_RSA, "SHA256", RSA_PKCS1_PSS_PADDING, 0, 0 },
	[ID_ALG_PS384] = { "PS384", ID_KTY_RSA, "SHA384", RSA_PKCS1_PSS_PADDING, 0, 0 },
	[ID_ALG_PS512] = { "PS512", ID_KTY_RSA, "SHA512", RSA_PKCS1_PSS_PADDING, 0, 0 },
	[ID_ALG_EDDSA] = { "EdDSA", ID_KTY_OKP, NULL, 0, 0, 0 },
};

static const struct alg_desc *desc_of(enum id_alg alg)
{
	if ((int)alg <= ID_ALG_NONE || alg >= ID_ALG_COUNT) {
		return NULL;
	}
	return &algs[alg];
}

enum id_alg id_alg_from_name(const char *name, size_t len)
{
	int a;

	if (name == NULL) {
		return ID_ALG_NONE;
	}
	/* EdDSA is a Wycheproof-only entry: a JWT-SVID must not select it. */
	for (a = ID_ALG_RS256; a <= ID_ALG_PS512; a++) {
		if (strlen(algs[a].name) == len && memcmp(algs[a].name, name, len) == 0) {
			return (enum id_alg)a;
		}
	}
	return ID_ALG_NONE;
}

const char *id_alg_name(enum id_alg alg)
{
	const struct alg_desc *d = desc_of(alg);

	return d != NULL ? d->name : "none";
}

enum id_kty id_alg_kty(enum id_alg alg)
{
	const struct alg_desc *d = desc_of(alg);

	return d != NULL ? d->kty : ID_KTY_NONE;
}

/* ec_field returns the byte width of a coordinate of |nid|, 0 if unsupported. */
static size_t ec_field(int nid)
{
	switch (nid) {
	case NID_X9_62_prime256v1:
		return 32;
	case NID_secp384r1:
		return 48;
	case NID_secp521r1:
		return 66;
	default:
		return 0;
	}
}

/*
 * key_curve returns the NID of |key|'s named curve, or NID_undef. The group
 * name may be a short name ("prime256v1") or, depending on how the key was
 * made, a NIST name ("P-256"): both map to the same NID.
 */
static int key_curve(const EVP_PKEY *key)
{
	char name[64];
	size_t len = 0;
	int nid;

	if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len) != 1) {
		ERR_clear_error();
		return NID_undef;
	}
	nid = OBJ_sn2nid(name);
	if (nid == NID_undef) {
		nid = EC_curve_nist2nid(name);
	}
	return nid;
}

bool id_sig_key_matches(enum id_alg alg, const EVP_PKEY *key)
{
	const struct alg_desc *d = desc_of(alg);

	if (d == NULL || key == NULL) {
		return false;
	}
	switch (d->kty) {
	case ID_KTY_RSA:
		/* Only rsaEncryption keys: an RSA-PSS-restricted key carries its own
		 * parameters, which could contradict the alg. */
		return EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= ID_SIG_RSA_MIN_BITS;
	case ID_KTY_EC:
		return EVP_PKEY_is_a(key, "EC") && key_curve(key) == d->curve_nid;
	case ID_KTY_OKP:
		return EVP_PKEY_is_a(key, "ED25519");
	default:
		return false;
	}
}

/*
 * verify runs EVP_DigestVerify of |sig| over |msg| with |key| (already
 * checked against |d|), with |d|'s hash and RSA padding. Returns 0,
 * -EBADMSG or -ENOMEM.
 */
static int verify(const struct alg_desc *d, const EVP_PKEY *key, const uint8_t *msg,
		  size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx;
	int rc = -EBADMSG;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		return -ENOMEM;
	}
	/* EVP_DigestVerifyInit_ex only takes a reference on the key (the
	 * contexts are ours): the const cast does not let it be changed. */
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, d->md, NULL, NULL, (EVP_PKEY *)key, NULL) != 1) {
		goto out_free_ctx;
	}
	if (d->pad != 0 && EVP_PKEY_CTX_set_rsa_padding(pctx, d->pad) <= 0) {
		goto out_free_ctx;
	}
	/* RFC 7518 section 3.5: MGF1 with the same hash, salt = hash length,
	 * and nothing else; RSA_PSS_SALTLEN_DIGEST makes the check exact. */
	if (d->pad == RSA_PKCS1_PSS_PADDING &&
	    (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, d->md, NULL) <= 0)) {
		goto out_free_ctx;
	}
	if (EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1) {
		rc = 0;
	}
out_free_ctx:
	EVP_MD_CTX_free(ctx);
	/* A refused signature leaves libcrypto errors on this thread's queue;
	 * a long-lived verifier must not let them pile up. */
	if (rc != 0) {
		ERR_clear_error();
	}
	return rc;
}

/* verify_ecdsa_sig verifies |es| (its DER encoding) under |d|. */
static int verify_ecdsa_sig(const struct alg_desc *d, const EVP_PKEY *key, const uint8_t *msg,
			    size_t msg_len, const ECDSA_SIG *es)
{
	unsigned char *der = NULL;
	int der_len, rc;

	der_len = i2d_ECDSA_SIG(es, &der);
	if (der_len <= 0) {
		ERR_clear_error();
		return -ENOMEM;
	}
	rc = verify(d, key, msg, msg_len, der, (size_t)der_len);
	OPENSSL_free(der);
	return rc;
}

/*
 * verify_es turns the JOSE r||s (RFC 7518 section 3.4) into an ECDSA_SIG:
 * each half exactly the field width, neither zero (libcrypto refuses zero
 * too; refusing it here keeps the rule ours). r, s >= n is left to
 * libcrypto, which refuses it.
 */
static int verify_es(const struct alg_desc *d, const EVP_PKEY *key, const uint8_t *msg,
		     size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *es;
	int rc;

	if (sig_len != 2 * d->field) {
		return -EBADMSG;
	}
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, (int)d->field, NULL);
	s = BN_bin2bn(sig + d->field, (int)d->field, NULL);
	if (es == NULL || r == NULL || s == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	if (BN_is_zero(r) || BN_is_zero(s)) {
		rc = -EBADMSG;
		goto out_free;
	}
	if (ECDSA_SIG_set0(es, r, s) != 1) {
		rc = -ENOMEM;
		goto out_free;
	}
	r = s = NULL;	/* owned by es now */
	rc = verify_ecdsa_sig(d, key, msg, msg_len, es);
out_free:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	if (rc == -ENOMEM) {
		ERR_clear_error();
	}
	return rc;
}

int id_sig_verify(enum id_alg alg, const EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
		  const uint8_t *sig, size_t sig_len)
{
	const struct alg_desc *d = desc_of(alg);

	if (!id_sig_key_matches(alg, key)) {
		return -EKEYREJECTED;
	}
	if (sig == NULL || sig_len == 0 || sig_len > ID_SIG_MAX) {
		return -EBADMSG;
	}
	switch (d->kty) {
	case ID_KTY_EC:
		return verify_es(d, key, msg, msg_len, sig, sig_len);
	case ID_KTY_RSA:
		/* RFC 8017 sections 8.1.2 and 8.2.2 step 1: exactly k octets.
		 * libcrypto's PSS path would left-pad a short one. */
		if (sig_len != (size_t)EVP_PKEY_get_size(key)) {
			return -EBADMSG;
		}
		return verify(d, key, msg, msg_len, sig, sig_len);
	default:
		return verify(d, key, msg, msg_len, sig, sig_len);
	}
}

int id_sig_verify_ecdsa_der(enum id_alg alg, const EVP_PKEY *key, const uint8_t *msg,
			    size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	const struct alg_desc *d = desc_of(alg);
	const unsigned char *p = sig;
	unsigned char *der = NULL;
	ECDSA_SIG *es;
	int der_len, rc = -EBADMSG;

	if (d == NULL || d->kty != ID_KTY_EC || !id_sig_key_matches(alg, key)) {
		return -EKEYREJECTED;
	}
	if (sig == NULL || sig_len == 0 || sig_len > ID_SIG_MAX) {
		return -EBADMSG;
	}
	es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
	if (es == NULL) {
		ERR_clear_error();
		return -EBADMSG;
	}
	/* d2i takes BER; only the one DER encoding (re-encoded byte for byte,
	 * nothing trailing) is a signature, so none can be altered and still
	 * verify. */
	der_len = i2d_ECDSA_SIG(es, &der);
	if (der_len <= 0) {
		rc = -ENOMEM;
		goto out_free;
	}
	if (p != sig + sig_len || (size_t)der_len != sig_len || memcmp(der, sig, sig_len) != 0) {
		goto out_free;
	}
	{
		const BIGNUM *r, *s;

		ECDSA_SIG_get0(es, &r, &s);
		if (BN_is_zero(r) || BN_is_zero(s) || BN_is_negative(r) || BN_is_negative(s)) {
			goto out_free;
		}
	}
	rc = verify_ecdsa_sig(d, key, msg, msg_len, es);
out_free:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return rc;
}

/*
 * key_fromdata makes a public key of type |type| from |params|. Returns the
 * key or NULL.
 */
static EVP_PKEY *key_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

/* public_check runs libcrypto's public key validation on |key|. */
static bool public_check(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	bool ok;

	ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

EVP_PKEY *id_sig_key_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	EVP_PKEY *key = NULL;

	/* The bounds keep the int casts below exact; a modulus over
	 * ID_SIG_MAX bytes could never check a signature we accept. */
	if (n == NULL || e == NULL || n_len == 0 || e_len == 0 || n_len > ID_SIG_MAX + 1 ||
	    e_len > ID_SIG_MAX) {
		return NULL;
	}
	bn = BN_bin2bn(n, (int)n_len, NULL);
	be = BN_bin2bn(e, (int)e_len, NULL);
	if (bn == NULL || be == NULL) {
		goto out_free;
	}
	/* An even modulus is not a product of two odd primes; e < 3 or even is
	 * not an RSA exponent (e = 1 would make every "signature" the padded
	 * digest itself). e >= n is not one either. */
	if (!BN_is_odd(bn) || BN_num_bits(bn) < ID_SIG_RSA_MIN_BITS ||
	    BN_num_bits(bn) > ID_SIG_MAX * 8 || !BN_is_odd(be) || BN_is_one(be) ||
	    BN_cmp(be, bn) >= 0) {
		goto out_free;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1) {
		goto out_free;
	}
	key = key_fromdata("RSA", bld);
out_free:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	ERR_clear_error();
	return key;
}

EVP_PKEY *id_sig_key_ec(int curve_nid, const uint8_t *x, size_t x_len, const uint8_t *y,
			size_t y_len)
{
	size_t field = ec_field(curve_nid);
	uint8_t point[1 + 2 * EC_FIELD_MAX];
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	/* JWK "x" and "y" are exactly the field width (RFC 7518 section
	 * 6.2.1.2): one encoding per point. */
	if (field == 0 || x == NULL || y == NULL || x_len != field || y_len != field) {
		return NULL;
	}
	point[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(point + 1, x, field);
	memcpy(point + 1 + field, y, field);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    OBJ_nid2sn(curve_nid), 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
					     1 + 2 * field) != 1) {
		goto out_free;
	}
	key = key_fromdata("EC", bld);
	/* Decoding checks the point is on the curve; the explicit check also
	 * refuses the point at infinity and coordinates >= p, so no invalid-
	 * curve point can reach a verification whatever the import did. */
	if (key != NULL && !public_check(key)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out_free:
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return key;
}

EVP_PKEY *id_sig_key_ed25519(const uint8_t *pub, size_t len)
{
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *key = NULL;

	if (pub == NULL || len != ED25519_PUB_LEN) {
		return NULL;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld != NULL &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, len) == 1) {
		key = key_fromdata("ED25519", bld);
	}
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return key;
}

/* rebuild_rsa makes |src|'s RSA key again through id_sig_key_rsa's checks. */
static EVP_PKEY *rebuild_rsa(const EVP_PKEY *src)
{
	uint8_t n[ID_SIG_MAX + 1], e[ID_SIG_MAX];
	BIGNUM *bn = NULL, *be = NULL;
	EVP_PKEY *key = NULL;
	int n_len, e_len;

	if (EVP_PKEY_get_bn_param(src, OSSL_PKEY_PARAM_RSA_N, &bn) != 1 ||
	    EVP_PKEY_get_bn_param(src, OSSL_PKEY_PARAM_RSA_E, &be) != 1) {
		goto out_free;
	}
	n_len = BN_num_bytes(bn);
	e_len = BN_num_bytes(be);
	if (n_len > (int)sizeof(n) || e_len > (int)sizeof(e)) {
		goto out_free;
	}
	BN_bn2bin(bn, n);
	BN_bn2bin(be, e);
	key = id_sig_key_rsa(n, (size_t)n_len, e, (size_t)e_len);
out_free:
	BN_free(bn);
	BN_free(be);
	return key;
}

/* rebuild_ec makes |src|'s EC key again through id_sig_key_ec's checks. */
static EVP_PKEY *rebuild_ec(const EVP_PKEY *src)
{
	uint8_t x[EC_FIELD_MAX], y[EC_FIELD_MAX];
	BIGNUM *bx = NULL, *by = NULL;
	int nid = key_curve(src);
	size_t field = ec_field(nid);
	EVP_PKEY *key = NULL;

	if (field == 0 || EVP_PKEY_get_bn_param(src, OSSL_PKEY_PARAM_EC_PUB_X, &bx) != 1 ||
	    EVP_PKEY_get_bn_param(src, OSSL_PKEY_PARAM_EC_PUB_Y, &by) != 1 ||
	    BN_bn2binpad(bx, x, (int)field) < 0 || BN_bn2binpad(by, y, (int)field) < 0) {
		goto out_free;
	}
	key = id_sig_key_ec(nid, x, field, y, field);
out_free:
	BN_free(bx);
	BN_free(by);
	return key;
}

/* rebuild_ed25519 makes |src|'s Ed25519 key again. */
static EVP_PKEY *rebuild_ed25519(const EVP_PKEY *src)
{
	uint8_t pub[ED25519_PUB_LEN];
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(src, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub),
					    &len) != 1) {
		return NULL;
	}
	return id_sig_key_ed25519(pub, len);
}

EVP_PKEY *id_sig_key_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *src, *key = NULL;

	if (der == NULL || len == 0 || len > 64 * 1024) {
		return NULL;
	}
	src = d2i_PUBKEY_ex(NULL, &p, (long)len, NULL, NULL);
	if (src == NULL || p != der + len) {
		goto out_free;
	}
	/* The key is made again from its components so that a DER key passes
	 * exactly the checks a JWK does (and carries no explicit curve
	 * parameters or other DER-only baggage). */
	if (EVP_PKEY_is_a(src, "RSA")) {
		key = rebuild_rsa(src);
	} else if (EVP_PKEY_is_a(src, "EC")) {
		key = rebuild_ec(src);
	} else if (EVP_PKEY_is_a(src, "ED25519")) {
		key = rebuild_ed25519(src);
	}
out_free:
	EVP_PKEY_free(src);
	ERR_clear_error();
	return key;
}
