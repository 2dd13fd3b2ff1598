/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_crypto.c - crypto-basics: the labelled primitives, signatures and
 * HPKE (RFC 9420 sections 5.1.2, 5.1.3, 5.2, 8 and 9), one case per suite:
 *
 *  - ref_hash, expand_with_label, derive_secret, derive_tree_secret: the
 *    output equals "out";
 *  - sign_with_label: the public key of "priv" is "pub"; the given
 *    signature verifies; a signature of our own verifies (ECDSA is
 *    randomised, so it is never compared with the file's); a signature
 *    with one bit flipped and a different label do not;
 *  - encrypt_with_label: the public key of "priv" is "pub"; the given
 *    (kem_output, ciphertext) decrypts to "plaintext"; our own encryption
 *    to "pub" decrypts to it; a flipped bit in either part is rejected.
 *
 * The labels in this file are ASCII strings (the functions add "MLS 1.0 ";
 * RefHash takes its label as given).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mls/mls_crypto.h"
#include "mls_vectors.h"

/* get_str reads the string member |key| of |o|; NULL (failure recorded) when missing. */
static const char *get_str(const json_t *o, const char *key, struct mlsv_res *r)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v == NULL) {
		mlsv_fail(r, "%s is missing or not a string", key);
	}
	return v;
}

/* get_obj reads the object member |key| of |c|; NULL (failure recorded) when missing. */
static const json_t *get_obj(const json_t *c, const char *key, struct mlsv_res *r)
{
	const json_t *o = json_object_get(c, key);

	if (!json_is_object(o)) {
		mlsv_fail(r, "%s is missing or not an object", key);
		return NULL;
	}
	return o;
}

static void run_ref_hash(const struct mls_suite *s, const json_t *o, struct mlsv_res *r)
{
	uint8_t *value = NULL, *want = NULL, out[MLS_MAX_HASH];
	size_t value_len, want_len;
	const char *label = get_str(o, "label", r);
	int rc;

	if (label != NULL && mlsv_get_hex(o, "value", &value, &value_len, r) &&
	    mlsv_get_hex(o, "out", &want, &want_len, r)) {
		rc = mls_ref_hash(s, label, strlen(label), value, value_len, out);
		if (rc < 0) {
			mlsv_fail(r, "ref_hash: %s", strerror(-rc));
		} else {
			mlsv_eq(r, "ref_hash", out, s->nh, want, want_len);
		}
	}
	free(value);
	free(want);
}

static void run_expand_with_label(const struct mls_suite *s, const json_t *o, struct mlsv_res *r)
{
	uint8_t *secret = NULL, *context = NULL, *want = NULL, *out = NULL;
	size_t secret_len, context_len, want_len;
	const char *label = get_str(o, "label", r);
	uint64_t length;
	int rc;

	if (label == NULL || !mlsv_get_hex(o, "secret", &secret, &secret_len, r) ||
	    !mlsv_get_hex(o, "context", &context, &context_len, r) ||
	    !mlsv_get_hex(o, "out", &want, &want_len, r)) {
		goto out;
	}
	if (!mlsv_get_uint(o, "length", &length) || length == 0 || length > UINT16_MAX) {
		mlsv_fail(r, "expand_with_label: length is missing or out of range");
		goto out;
	}
	out = malloc(length);
	if (out == NULL) {
		mlsv_fail(r, "out of memory");
		goto out;
	}
	rc = mls_expand_with_label(s, secret, secret_len, label, strlen(label), context,
				   context_len, out, length);
	if (rc < 0) {
		mlsv_fail(r, "expand_with_label: %s", strerror(-rc));
	} else {
		mlsv_eq(r, "expand_with_label", out, length, want, want_len);
	}
out:
	free(secret);
	free(context);
	free(want);
	free(out);
}

static void run_derive_secret(const struct mls_suite *s, const json_t *o, struct mlsv_res *r)
{
	uint8_t *secret = NULL, *want = NULL, out[MLS_MAX_HASH];
	size_t secret_len, want_len;
	const char *label = get_str(o, "label", r);
	int rc;

	if (label != NULL && mlsv_get_hex(o, "secret", &secret, &secret_len, r) &&
	    mlsv_get_hex(o, "out", &want, &want_len, r)) {
		rc = mls_derive_secret(s, secret, secret_len, label, strlen(label), out);
		if (rc < 0) {
			mlsv_fail(r, "derive_secret: %s", strerror(-rc));
		} else {
			mlsv_eq(r, "derive_secret", out, s->nh, want, want_len);
		}
	}
	free(secret);
	free(want);
}

static void run_derive_tree_secret(const struct mls_suite *s, const json_t *o,
				   struct mlsv_res *r)
{
	uint8_t *secret = NULL, *want = NULL, *out = NULL;
	size_t secret_len, want_len;
	const char *label = get_str(o, "label", r);
	uint64_t generation, length;
	int rc;

	if (label == NULL || !mlsv_get_hex(o, "secret", &secret, &secret_len, r) ||
	    !mlsv_get_hex(o, "out", &want, &want_len, r)) {
		goto out;
	}
	if (!mlsv_get_uint(o, "generation", &generation) || generation > UINT32_MAX ||
	    !mlsv_get_uint(o, "length", &length) || length == 0 || length > UINT16_MAX) {
		mlsv_fail(r, "derive_tree_secret: generation or length missing or out of range");
		goto out;
	}
	out = malloc(length);
	if (out == NULL) {
		mlsv_fail(r, "out of memory");
		goto out;
	}
	rc = mls_derive_tree_secret(s, secret, secret_len, label, strlen(label),
				    (uint32_t)generation, out, length);
	if (rc < 0) {
		mlsv_fail(r, "derive_tree_secret: %s", strerror(-rc));
	} else {
		mlsv_eq(r, "derive_tree_secret", out, length, want, want_len);
	}
out:
	free(secret);
	free(want);
	free(out);
}

static void run_sign_with_label(const struct mls_suite *s, const json_t *o, struct mlsv_res *r)
{
	uint8_t *priv = NULL, *pub = NULL, *content = NULL, *sig = NULL;
	uint8_t own[MLS_MAX_SIG], pub_raw[MLS_MAX_SIG_PUB];
	size_t priv_len, pub_len, content_len, sig_len, own_len, pub_raw_len;
	const char *label = get_str(o, "label", r);
	EVP_PKEY *sk = NULL, *pk = NULL;
	int rc;

	if (label == NULL || !mlsv_get_hex(o, "priv", &priv, &priv_len, r) ||
	    !mlsv_get_hex(o, "pub", &pub, &pub_len, r) ||
	    !mlsv_get_hex(o, "content", &content, &content_len, r) ||
	    !mlsv_get_hex(o, "signature", &sig, &sig_len, r)) {
		goto out;
	}
	rc = mls_sig_key_from_priv(s, priv, priv_len, &sk);
	if (rc < 0) {
		mlsv_fail(r, "sign_with_label: private key: %s", strerror(-rc));
		goto out;
	}
	rc = mls_sig_key_from_pub(s, pub, pub_len, &pk);
	if (rc < 0) {
		mlsv_fail(r, "sign_with_label: public key: %s", strerror(-rc));
		goto out;
	}
	rc = mls_sig_pub_raw(s, sk, pub_raw, sizeof(pub_raw), &pub_raw_len);
	if (rc < 0) {
		mlsv_fail(r, "sign_with_label: public key of priv: %s", strerror(-rc));
		goto out;
	}
	if (!mlsv_eq(r, "sign_with_label: public key of priv", pub_raw, pub_raw_len, pub,
		     pub_len)) {
		goto out;
	}
	rc = mls_verify_with_label(s, pk, label, strlen(label), content, content_len, sig,
				   sig_len);
	if (rc < 0) {
		mlsv_fail(r, "sign_with_label: the vector's signature: %s", strerror(-rc));
		goto out;
	}
	rc = mls_sign_with_label(s, sk, label, strlen(label), content, content_len, own,
				 sizeof(own), &own_len);
	if (rc < 0) {
		mlsv_fail(r, "sign_with_label: sign: %s", strerror(-rc));
		goto out;
	}
	rc = mls_verify_with_label(s, pk, label, strlen(label), content, content_len, own,
				   own_len);
	if (rc < 0) {
		mlsv_fail(r, "sign_with_label: our signature: %s", strerror(-rc));
		goto out;
	}
	/* A flipped bit in the signature, or another label, must not verify. */
	sig[sig_len / 2] ^= 0x01;
	if (mls_verify_with_label(s, pk, label, strlen(label), content, content_len, sig,
				  sig_len) != -EBADMSG) {
		mlsv_fail(r, "sign_with_label: a flipped bit is not rejected");
		goto out;
	}
	if (mls_verify_with_label(s, pk, MLS_LABEL("OtherLabel"), content, content_len, own,
				  own_len) != -EBADMSG) {
		mlsv_fail(r, "sign_with_label: another label is not rejected");
	}
out:
	EVP_PKEY_free(sk);
	EVP_PKEY_free(pk);
	free(priv);
	free(pub);
	free(content);
	free(sig);
}

static void run_encrypt_with_label(const struct mls_suite *s, const json_t *o,
				   struct mlsv_res *r)
{
	uint8_t *priv = NULL, *pub = NULL, *context = NULL, *pt = NULL, *kem = NULL, *ct = NULL;
	uint8_t *got = NULL, *own_ct = NULL, own_kem[MLS_MAX_KEM_ENC], pub_raw[MLS_MAX_KEM_PUB];
	size_t priv_len, pub_len, context_len, pt_len, kem_len, ct_len;
	const char *label = get_str(o, "label", r);
	int rc;

	if (label == NULL || !mlsv_get_hex(o, "priv", &priv, &priv_len, r) ||
	    !mlsv_get_hex(o, "pub", &pub, &pub_len, r) ||
	    !mlsv_get_hex(o, "context", &context, &context_len, r) ||
	    !mlsv_get_hex(o, "plaintext", &pt, &pt_len, r) ||
	    !mlsv_get_hex(o, "kem_output", &kem, &kem_len, r) ||
	    !mlsv_get_hex(o, "ciphertext", &ct, &ct_len, r)) {
		goto out;
	}
	if (ct_len != pt_len + MLS_AEAD_TAG) {
		mlsv_fail(r, "encrypt_with_label: ciphertext is not plaintext + tag long");
		goto out;
	}
	got = malloc(pt_len + 1);
	own_ct = malloc(ct_len);
	if (got == NULL || own_ct == NULL) {
		mlsv_fail(r, "out of memory");
		goto out;
	}
	rc = mls_hpke_pub_from_priv(s, priv, priv_len, pub_raw);
	if (rc < 0) {
		mlsv_fail(r, "encrypt_with_label: public key of priv: %s", strerror(-rc));
		goto out;
	}
	if (!mlsv_eq(r, "encrypt_with_label: public key of priv", pub_raw, s->kem_npk, pub,
		     pub_len)) {
		goto out;
	}
	rc = mls_decrypt_with_label(s, priv, priv_len, label, strlen(label), context,
				    context_len, kem, kem_len, ct, ct_len, got);
	if (rc < 0) {
		mlsv_fail(r, "encrypt_with_label: decrypt the vector's: %s", strerror(-rc));
		goto out;
	}
	if (!mlsv_eq(r, "encrypt_with_label: decrypted", got, pt_len, pt, pt_len)) {
		goto out;
	}
	rc = mls_encrypt_with_label(s, pub, pub_len, label, strlen(label), context, context_len,
				    pt, pt_len, own_kem, own_ct);
	if (rc < 0) {
		mlsv_fail(r, "encrypt_with_label: encrypt: %s", strerror(-rc));
		goto out;
	}
	memset(got, 0, pt_len + 1);
	rc = mls_decrypt_with_label(s, priv, priv_len, label, strlen(label), context,
				    context_len, own_kem, s->kem_nenc, own_ct, ct_len, got);
	if (rc < 0) {
		mlsv_fail(r, "encrypt_with_label: decrypt our own: %s", strerror(-rc));
		goto out;
	}
	if (!mlsv_eq(r, "encrypt_with_label: decrypted our own", got, pt_len, pt, pt_len)) {
		goto out;
	}
	/* A flipped bit in the ciphertext or in the KEM output must be rejected. */
	ct[ct_len - 1] ^= 0x80;
	if (mls_decrypt_with_label(s, priv, priv_len, label, strlen(label), context,
				   context_len, kem, kem_len, ct, ct_len, got) != -EBADMSG) {
		mlsv_fail(r, "encrypt_with_label: a flipped ciphertext bit is not rejected");
		goto out;
	}
	ct[ct_len - 1] ^= 0x80;
	kem[kem_len - 1] ^= 0x01;
	if (mls_decrypt_with_label(s, priv, priv_len, label, strlen(label), context,
				   context_len, kem, kem_len, ct, ct_len, got) != -EBADMSG) {
		mlsv_fail(r, "encrypt_with_label: a flipped KEM output bit is not rejected");
	}
out:
	free(priv);
	free(pub);
	free(context);
	free(pt);
	free(kem);
	free(ct);
	free(got);
	free(own_ct);
}

static void run_crypto_basics(const json_t *c, struct mlsv_res *r)
{
	static const struct {
		const char *key;
		void (*run)(const struct mls_suite *s, const json_t *o, struct mlsv_res *r);
	} parts[] = {
		{"ref_hash", run_ref_hash},
		{"expand_with_label", run_expand_with_label},
		{"derive_secret", run_derive_secret},
		{"derive_tree_secret", run_derive_tree_secret},
		{"sign_with_label", run_sign_with_label},
		{"encrypt_with_label", run_encrypt_with_label},
	};
	const struct mls_suite *s;
	uint64_t id;

	if (!mlsv_get_uint(c, "cipher_suite", &id)) {
		mlsv_fail(r, "cipher_suite is missing or malformed");
		return;
	}
	s = id <= UINT16_MAX ? mls_suite_get((uint16_t)id) : NULL;
	if (s == NULL) {
		mlsv_fail(r, "cipher suite %llu is not supported", (unsigned long long)id);
		return;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && !r->failed; i++) {
		const json_t *o = get_obj(c, parts[i].key, r);

		if (o != NULL) {
			parts[i].run(s, o, r);
		}
	}
}

static bool detect_crypto_basics(const json_t *first)
{
	return json_object_get(first, "ref_hash") != NULL;
}

const struct mlsv_kind mlsv_crypto_basics = {"crypto-basics", run_crypto_basics,
					     detect_crypto_basics};
