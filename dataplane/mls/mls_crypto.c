/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_crypto.c - MLS cipher suites, hash, MAC, KDF with labels, AEAD and
 * random bytes on OpenSSL 3 (the contract is mls_crypto.h).
 *
 * Algorithms are fetched once (EVP_MD_fetch, EVP_MAC_fetch, EVP_KDF_fetch,
 * EVP_CIPHER_fetch) so no call pays an implicit fetch. The functions here
 * are the general path used by the control process and the vector runner;
 * the data-plane fast path keeps its own per-lcore state.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "mls_codec.h"
#include "mls_crypto.h"
#include "mls_crypto_internal.h"

/* "MLS 1.0 ": the prefix of every label but RefHash's (RFC 9420 section 5). */
#define LABEL_PREFIX "MLS 1.0 "
#define LABEL_PREFIX_LEN (sizeof(LABEL_PREFIX) - 1)

static struct mls_suite suites[] = {
	{0x0001, "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", MLS_KEM_X25519,
	 MLS_KDF_HKDF_SHA256, MLS_AEAD_AES_128_GCM, MLS_SIG_ED25519,
	 32, 16, 12, 32, 32, 32, 32, 32, 32, NULL, NULL, "X25519", "ED25519"},
	{0x0002, "MLS_128_DHKEMP256_AES128GCM_SHA256_P256", MLS_KEM_P256,
	 MLS_KDF_HKDF_SHA256, MLS_AEAD_AES_128_GCM, MLS_SIG_ECDSA_P256_SHA256,
	 32, 16, 12, 65, 32, 65, 32, 65, 32, NULL, NULL, "P-256", "EC"},
	{0x0003, "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519", MLS_KEM_X25519,
	 MLS_KDF_HKDF_SHA256, MLS_AEAD_CHACHA20_POLY1305, MLS_SIG_ED25519,
	 32, 32, 12, 32, 32, 32, 32, 32, 32, NULL, NULL, "X25519", "ED25519"},
	{0x0004, "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448", MLS_KEM_X448,
	 MLS_KDF_HKDF_SHA512, MLS_AEAD_AES_256_GCM, MLS_SIG_ED448,
	 64, 32, 12, 56, 56, 56, 64, 57, 57, NULL, NULL, "X448", "ED448"},
	{0x0005, "MLS_256_DHKEMP521_AES256GCM_SHA512_P521", MLS_KEM_P521,
	 MLS_KDF_HKDF_SHA512, MLS_AEAD_AES_256_GCM, MLS_SIG_ECDSA_P521_SHA512,
	 64, 32, 12, 133, 66, 133, 64, 133, 66, NULL, NULL, "P-521", "EC"},
	{0x0006, "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448", MLS_KEM_X448,
	 MLS_KDF_HKDF_SHA512, MLS_AEAD_CHACHA20_POLY1305, MLS_SIG_ED448,
	 64, 32, 12, 56, 56, 56, 64, 57, 57, NULL, NULL, "X448", "ED448"},
	{0x0007, "MLS_256_DHKEMP384_AES256GCM_SHA384_P384", MLS_KEM_P384,
	 MLS_KDF_HKDF_SHA384, MLS_AEAD_AES_256_GCM, MLS_SIG_ECDSA_P384_SHA384,
	 48, 32, 12, 97, 48, 97, 48, 97, 48, NULL, NULL, "P-384", "EC"},
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -EIO;
static EVP_MAC *hmac_alg;
static EVP_KDF *hkdf_alg;
static pthread_key_t md_ctx_key;	/* each thread's reusable EVP_MD_CTX (hmac below) */

static void md_ctx_free(void *p)
{
	EVP_MD_CTX_free(p);
}

static const char *md_name(uint16_t kdf_id)
{
	switch (kdf_id) {
	case MLS_KDF_HKDF_SHA256:
		return "SHA2-256";
	case MLS_KDF_HKDF_SHA384:
		return "SHA2-384";
	default:
		return "SHA2-512";
	}
}

static const char *cipher_name(uint16_t aead_id)
{
	switch (aead_id) {
	case MLS_AEAD_AES_128_GCM:
		return "AES-128-GCM";
	case MLS_AEAD_AES_256_GCM:
		return "AES-256-GCM";
	default:
		return "ChaCha20-Poly1305";
	}
}

static void do_init(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	hkdf_alg = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (pthread_key_create(&md_ctx_key, md_ctx_free) != 0) {
		fprintf(stderr, "mls: pthread_key_create failed\n");
		return;
	}
	if (hmac_alg == NULL || hkdf_alg == NULL) {
		fprintf(stderr, "mls: libcrypto has no HMAC or HKDF\n");
		return;
	}
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct mls_suite *s = &suites[i];

		s->md = EVP_MD_fetch(NULL, md_name(s->kdf_id), NULL);
		s->cipher = EVP_CIPHER_fetch(NULL, cipher_name(s->aead_id), NULL);
		if (s->md == NULL || s->cipher == NULL) {
			fprintf(stderr, "mls: libcrypto lacks %s or %s (suite %u)\n",
				md_name(s->kdf_id), cipher_name(s->aead_id), s->id);
			return;
		}
	}
	init_rc = 0;
}

int mls_crypto_init(void)
{
	if (pthread_once(&init_once, do_init) != 0) {
		return -EIO;
	}
	return init_rc;
}

const struct mls_suite *mls_suite_get(uint16_t id)
{
	if (id < 1 || id > sizeof(suites) / sizeof(suites[0]) || mls_crypto_init() < 0) {
		return NULL;
	}
	return &suites[id - 1];
}

int mls_random(void *out, size_t n)
{
	if (n == 0) {
		return 0;
	}
	if (n > INT32_MAX || RAND_bytes(out, (int)n) != 1) {
		return -EIO;
	}
	return 0;
}

int mls_hash(const struct mls_suite *s, const void *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;

	if (s == NULL || (data == NULL && len > 0) || out == NULL) {
		return -EINVAL;
	}
	if (EVP_Digest(data, len, out, &n, s->md, NULL) != 1 || n != s->nh) {
		return -EIO;
	}
	return 0;
}

/*
 * HMAC (RFC 2104) and HKDF (RFC 5869) over the suite's EVP digest, for keys
 * no longer than the hash's block (every MLS secret; longer keys take the
 * EVP_MAC / EVP_KDF path below). Why not EVP_KDF: perf/bench-mls showed
 * about 16,000 TSC cycles per EVP_KDF_derive call and EVP_MAC context, and
 * an MLS application message needs 5 HKDF-Expand calls (ratchet key, nonce
 * and next secret; sender-data key and nonce), a third of a P-256
 * protect. Here one Expand of L <= Nh is one HMAC = two hashes on a digest
 * context each thread keeps (EVP_DigestInit_ex on a context that already
 * holds the same digest allocates nothing). docs/decisions.md records it;
 * crypto-basics, secret-tree and key-schedule vectors and the RFC 5869
 * cases in test_mls_crypto check it.
 */
struct part {
	const void *p;
	size_t n;
};

static EVP_MD_CTX *thread_md_ctx(void)
{
	EVP_MD_CTX *ctx = pthread_getspecific(md_ctx_key);

	if (ctx == NULL) {
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL || pthread_setspecific(md_ctx_key, ctx) != 0) {
			EVP_MD_CTX_free(ctx);
			return NULL;
		}
	}
	return ctx;
}

/* hmac writes HMAC(key, parts...) (Nh bytes) to |out|; key_len <= the block size. */
static int hmac(const struct mls_suite *s, const uint8_t *key, size_t key_len,
		const struct part *parts, size_t n_parts, uint8_t *out)
{
	uint8_t pad[128], inner[MLS_MAX_HASH];
	size_t block = (size_t)EVP_MD_get_block_size(s->md);
	EVP_MD_CTX *ctx = thread_md_ctx();
	unsigned int len = 0;
	int rc = -EIO;

	if (ctx == NULL) {
		return -ENOMEM;
	}
	memset(pad, 0x36, block);
	for (size_t i = 0; i < key_len; i++) {
		pad[i] ^= key[i];
	}
	if (EVP_DigestInit_ex(ctx, s->md, NULL) != 1 || EVP_DigestUpdate(ctx, pad, block) != 1) {
		goto out;
	}
	for (size_t i = 0; i < n_parts; i++) {
		if (parts[i].n > 0 && EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) != 1) {
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, inner, &len) != 1 || len != s->nh) {
		goto out;
	}
	/* K ^ opad = (K ^ ipad) ^ (ipad ^ opad) */
	for (size_t i = 0; i < block; i++) {
		pad[i] ^= 0x36 ^ 0x5c;
	}
	if (EVP_DigestInit_ex(ctx, s->md, NULL) != 1 || EVP_DigestUpdate(ctx, pad, block) != 1 ||
	    EVP_DigestUpdate(ctx, inner, s->nh) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1 ||
	    len != s->nh) {
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	return rc;
}

/* short_key: a key hmac() takes directly (no longer than the hash block). */
static bool short_key(const struct mls_suite *s, size_t key_len)
{
	return key_len <= (size_t)EVP_MD_get_block_size(s->md);
}

int mls_mac(const struct mls_suite *s, const uint8_t *key, size_t key_len,
	    const void *data, size_t len, uint8_t *out)
{
	static const uint8_t zero[1];
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t n = 0;
	int rc = -EIO;

	if (s == NULL || (key == NULL && key_len > 0) || (data == NULL && len > 0) ||
	    out == NULL) {
		return -EINVAL;
	}
	if (short_key(s, key_len)) {
		struct part p = {data, len};

		return hmac(s, key, key_len, &p, 1, out);
	}
	ctx = EVP_MAC_CTX_new(hmac_alg);
	if (ctx == NULL) {
		return -ENOMEM;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(s->md), 0);
	params[1] = OSSL_PARAM_construct_end();
	/*
	 * HMAC pads the key with zeros to the block size, so an empty key is
	 * the same as a one-byte zero key; OpenSSL refuses a NULL key.
	 */
	if (EVP_MAC_init(ctx, key_len > 0 ? key : zero, key_len > 0 ? key_len : 1,
			 params) == 1 &&
	    (len == 0 || EVP_MAC_update(ctx, data, len) == 1) &&
	    EVP_MAC_final(ctx, out, &n, s->nh) == 1 && n == s->nh) {
		rc = 0;
	}
	EVP_MAC_CTX_free(ctx);	/* wipes the keyed state */
	return rc;
}

/* hkdf runs HKDF in |mode| (extract only or expand only). */
static int hkdf(const struct mls_suite *s, int mode, const uint8_t *key, size_t key_len,
		const uint8_t *salt_or_info, size_t sl, uint8_t *out, size_t out_len)
{
	static uint8_t zero[MLS_MAX_HASH];
	OSSL_PARAM params[5], *p = params;
	EVP_KDF_CTX *ctx;
	int rc = -EIO;

	ctx = EVP_KDF_CTX_new(hkdf_alg);
	if (ctx == NULL) {
		return -ENOMEM;
	}
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)EVP_MD_get0_name(s->md), 0);
	/*
	 * An empty IKM or PRK: OpenSSL wants a non-empty key. For Extract the
	 * IKM is the HMAC message, so only an empty message is refused:
	 * HKDF-Extract(salt, "") is computed with mls_mac below instead.
	 */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY) {
		/* An absent salt is Nh zero bytes (RFC 5869 section 2.2). */
		*p++ = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_SALT, sl > 0 ? (void *)salt_or_info : zero,
			sl > 0 ? sl : s->nh);
	} else if (sl > 0) {
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)salt_or_info, sl);
	}
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1) {
		rc = 0;
	}
	EVP_KDF_CTX_free(ctx);
	return rc;
}

int mls_kdf_extract(const struct mls_suite *s, const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	if (s == NULL || (salt == NULL && salt_len > 0) || (ikm == NULL && ikm_len > 0) ||
	    prk == NULL) {
		return -EINVAL;
	}
	if (ikm_len == 0) {
		/* HKDF-Extract(salt, "") = HMAC(salt, ""). */
		static const uint8_t zero[MLS_MAX_HASH];

		return mls_mac(s, salt_len > 0 ? salt : zero, salt_len > 0 ? salt_len : s->nh,
			       NULL, 0, prk);
	}
	if (salt_len == 0 || short_key(s, salt_len)) {
		static const uint8_t zero_salt[MLS_MAX_HASH];
		struct part p = {ikm, ikm_len};

		/* HKDF-Extract(salt, ikm) = HMAC(salt, ikm); no salt = Nh zero bytes. */
		return hmac(s, salt_len > 0 ? salt : zero_salt, salt_len > 0 ? salt_len : s->nh,
			    &p, 1, prk);
	}
	return hkdf(s, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ikm_len, salt, salt_len, prk,
		    s->nh);
}

int mls_kdf_expand(const struct mls_suite *s, const uint8_t *prk, size_t prk_len,
		   const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	if (s == NULL || prk == NULL || prk_len == 0 || (info == NULL && info_len > 0) ||
	    out == NULL || out_len == 0 || out_len > 255u * s->nh) {
		return -EINVAL;
	}
	if (short_key(s, prk_len)) {
		/* T(i) = HMAC(prk, T(i-1) || info || i), T(0) empty (RFC 5869 section 2.3). */
		uint8_t t[MLS_MAX_HASH];
		size_t done = 0;
		int rc = 0;

		for (unsigned i = 1; done < out_len; i++) {
			uint8_t ctr = (uint8_t)i;
			struct part p[3] = {{t, i > 1 ? s->nh : 0}, {info, info_len}, {&ctr, 1}};
			size_t take = out_len - done < s->nh ? out_len - done : s->nh;

			rc = hmac(s, prk, prk_len, p, 3, t);
			if (rc < 0) {
				OPENSSL_cleanse(out, out_len);
				break;
			}
			memcpy(out + done, t, take);
			done += take;
		}
		OPENSSL_cleanse(t, sizeof(t));
		return rc;
	}
	return hkdf(s, EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, prk_len, info, info_len, out,
		    out_len);
}

/*
 * KDFLabel (section 8): uint16 length; opaque label<V> = "MLS 1.0 " +
 * label; opaque context<V>. Written into |buf|; returns its length or a
 * negative errno.
 */
static int kdf_label(uint8_t *buf, size_t cap, size_t out_len, const char *label,
		     size_t label_len, const uint8_t *context, size_t context_len)
{
	struct mls_vector_mark m;
	struct mls_writer w;

	mls_writer_init(&w, buf, cap);
	if (mls_write_u16(&w, (uint16_t)out_len) < 0 ||
	    mls_write_vector_begin(&w, &m) < 0 ||
	    mls_write_bytes(&w, LABEL_PREFIX, LABEL_PREFIX_LEN) < 0 ||
	    mls_write_bytes(&w, label, label_len) < 0 || mls_write_vector_end(&w, &m) < 0 ||
	    mls_write_opaque(&w, context, context_len) < 0) {
		return -ENOSPC;
	}
	return (int)mls_writer_len(&w);
}

int mls_expand_with_label(const struct mls_suite *s, const uint8_t *secret, size_t secret_len,
			  const char *label, size_t label_len,
			  const uint8_t *context, size_t context_len,
			  uint8_t *out, size_t out_len)
{
	uint8_t small[256], *buf = small;
	size_t need;
	int n, rc;

	if (s == NULL || (label == NULL && label_len > 0) || (context == NULL && context_len > 0) ||
	    out_len > UINT16_MAX || label_len > MLS_VARINT_MAX - LABEL_PREFIX_LEN ||
	    context_len > MLS_VARINT_MAX) {
		return -EINVAL;
	}
	need = 2 + MLS_VARINT_MAX_LEN * 2 + LABEL_PREFIX_LEN + label_len + context_len;
	if (need > sizeof(small)) {
		buf = OPENSSL_malloc(need);
		if (buf == NULL) {
			return -ENOMEM;
		}
	}
	n = kdf_label(buf, need, out_len, label, label_len, context, context_len);
	rc = n < 0 ? n : mls_kdf_expand(s, secret, secret_len, buf, (size_t)n, out, out_len);
	if (buf != small) {
		OPENSSL_free(buf);
	}
	return rc;
}

int mls_derive_secret(const struct mls_suite *s, const uint8_t *secret, size_t secret_len,
		      const char *label, size_t label_len, uint8_t *out)
{
	if (s == NULL) {
		return -EINVAL;
	}
	return mls_expand_with_label(s, secret, secret_len, label, label_len, NULL, 0, out,
				     s->nh);
}

int mls_derive_tree_secret(const struct mls_suite *s, const uint8_t *secret, size_t secret_len,
			   const char *label, size_t label_len, uint32_t generation,
			   uint8_t *out, size_t out_len)
{
	uint8_t g[4] = {(uint8_t)(generation >> 24), (uint8_t)(generation >> 16),
			(uint8_t)(generation >> 8), (uint8_t)generation};

	return mls_expand_with_label(s, secret, secret_len, label, label_len, g, sizeof(g),
				     out, out_len);
}

int mls_ref_hash(const struct mls_suite *s, const void *label, size_t label_len,
		 const void *value, size_t value_len, uint8_t *out)
{
	uint8_t hdr[MLS_VARINT_MAX_LEN];
	struct mls_writer w;
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int rc = -EIO;

	if (s == NULL || (label == NULL && label_len > 0) || (value == NULL && value_len > 0) ||
	    out == NULL || label_len > MLS_VARINT_MAX || value_len > MLS_VARINT_MAX) {
		return -EINVAL;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		return -ENOMEM;
	}
	/* RefHashInput: opaque label<V>; opaque value<V>; hashed without a copy. */
	if (EVP_DigestInit_ex(ctx, s->md, NULL) != 1) {
		goto out;
	}
	mls_writer_init(&w, hdr, sizeof(hdr));
	if (mls_write_varint(&w, label_len) < 0 ||
	    EVP_DigestUpdate(ctx, hdr, mls_writer_len(&w)) != 1 ||
	    EVP_DigestUpdate(ctx, label, label_len) != 1) {
		goto out;
	}
	mls_writer_init(&w, hdr, sizeof(hdr));
	if (mls_write_varint(&w, value_len) < 0 ||
	    EVP_DigestUpdate(ctx, hdr, mls_writer_len(&w)) != 1 ||
	    EVP_DigestUpdate(ctx, value, value_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != s->nh) {
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* aead runs the suite's AEAD one-shot; |enc| 1 seals, 0 opens. */
static int aead(const struct mls_suite *s, int enc, const uint8_t *key, const uint8_t *nonce,
		const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
		uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t dummy[1];
	int n, rc = -EIO;

	if (out == NULL) {
		out = dummy;	/* an empty message: nothing is written */
	}
	if (in_len > INT32_MAX || aad_len > INT32_MAX) {
		return -EINVAL;
	}
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL) {
		return -ENOMEM;
	}
	if (EVP_CipherInit_ex2(ctx, s->cipher, NULL, NULL, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, s->nn, NULL) != 1 ||
	    EVP_CipherInit_ex2(ctx, NULL, key, nonce, enc, NULL) != 1) {
		goto out;
	}
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, MLS_AEAD_TAG, tag) != 1) {
		goto out;
	}
	if ((aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) ||
	    (in_len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1)) {
		goto out;
	}
	if (EVP_CipherFinal_ex(ctx, out + in_len, &n) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, MLS_AEAD_TAG, tag) != 1) {
		goto out;
	}
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);	/* wipes the key schedule */
	return rc;
}

int mls_aead_seal(const struct mls_suite *s, const uint8_t *key, const uint8_t *nonce,
		  const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		  uint8_t *ct)
{
	if (s == NULL || key == NULL || nonce == NULL || (aad == NULL && aad_len > 0) ||
	    (pt == NULL && pt_len > 0) || ct == NULL) {
		return -EINVAL;
	}
	return aead(s, 1, key, nonce, aad, aad_len, pt, pt_len, ct, ct + pt_len);
}

int mls_aead_open(const struct mls_suite *s, const uint8_t *key, const uint8_t *nonce,
		  const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		  uint8_t *pt)
{
	uint8_t tag[MLS_AEAD_TAG];
	int rc;

	if (s == NULL || key == NULL || nonce == NULL || (aad == NULL && aad_len > 0) ||
	    ct == NULL || (pt == NULL && ct_len > MLS_AEAD_TAG)) {
		return -EINVAL;
	}
	if (ct_len < MLS_AEAD_TAG) {
		return -EBADMSG;
	}
	memcpy(tag, ct + ct_len - MLS_AEAD_TAG, MLS_AEAD_TAG);
	rc = aead(s, 0, key, nonce, aad, aad_len, ct, ct_len - MLS_AEAD_TAG, pt, tag);
	if (rc < 0 && ct_len > MLS_AEAD_TAG) {
		OPENSSL_cleanse(pt, ct_len - MLS_AEAD_TAG);
	}
	return rc;
}

/* SignContent and EncryptContext share one shape (mls_crypto_internal.h). */
int mls_label_encode(const char *label, size_t label_len, const uint8_t *data,
			size_t data_len, uint8_t *small, size_t small_cap, uint8_t **buf,
			size_t *len)
{
	struct mls_vector_mark m;
	struct mls_writer w;
	size_t need;

	if ((label == NULL && label_len > 0) || (data == NULL && data_len > 0) ||
	    label_len > MLS_VARINT_MAX - LABEL_PREFIX_LEN || data_len > MLS_VARINT_MAX) {
		return -EINVAL;
	}
	need = 2 * MLS_VARINT_MAX_LEN + LABEL_PREFIX_LEN + label_len + data_len;
	*buf = small;
	if (need > small_cap) {
		*buf = OPENSSL_malloc(need);
		if (*buf == NULL) {
			return -ENOMEM;
		}
	}
	mls_writer_init(&w, *buf, need);
	if (mls_write_vector_begin(&w, &m) < 0 ||
	    mls_write_bytes(&w, LABEL_PREFIX, LABEL_PREFIX_LEN) < 0 ||
	    mls_write_bytes(&w, label, label_len) < 0 || mls_write_vector_end(&w, &m) < 0 ||
	    mls_write_opaque(&w, data, data_len) < 0) {
		if (*buf != small) {
			OPENSSL_free(*buf);
		}
		return -EIO;	/* |need| is an upper bound: cannot happen */
	}
	*len = mls_writer_len(&w);
	return 0;
}
