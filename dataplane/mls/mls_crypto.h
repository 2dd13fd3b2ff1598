/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_crypto.h - the cryptographic layer of MLS (RFC 9420 section 5) on
 * OpenSSL 3 libcrypto: the cipher suites of section 17.1, the hash, MAC and
 * KDF with the MLS labels (sections 5.1-5.2, 8, 9), the labelled signatures
 * (section 5.1.2), HPKE base mode (RFC 9180, written here because OpenSSL
 * 3.0 has none) and the labelled public-key encryption (section 5.1.3).
 *
 * Implemented in three files: mls_crypto.c (suites, hash, MAC, KDF, labels,
 * AEAD, random), mls_sig.c (signatures) and mls_hpke.c (HPKE).
 *
 * Key formats (as the interop vectors use them):
 *  - HPKE public keys: raw 32/56 bytes for X25519/X448, uncompressed SEC1
 *    points (65/97/133 bytes) for P-256/P-384/P-521. HPKE private keys:
 *    RFC 9180 SerializePrivateKey (raw 32/56 bytes, or the big-endian scalar
 *    of 32/48/66 bytes).
 *  - Signature public keys: raw 32/57 bytes for Ed25519/Ed448, uncompressed
 *    SEC1 points for ECDSA. Signature private keys: the raw 32/57-byte seed
 *    for EdDSA, the big-endian scalar for ECDSA.
 *  - ECDSA signatures are DER (RFC 9420 section 5.1.2 uses the TLS 1.3
 *    encoding), EdDSA signatures raw (64/114 bytes).
 *
 * Labels are passed without the "MLS 1.0 " prefix: the functions add it
 * (RefHash takes its label as given: RFC 9420 section 5.2 has no prefix).
 * A label is (pointer, length) since the exporter's labels are arbitrary
 * bytes; MLS_LABEL("key") expands a string literal to both.
 *
 * Errors are negative errno values:
 *   -EINVAL  bad arguments (a length the suite does not take, a NULL)
 *   -ENOTSUP a cipher suite this build does not support
 *   -EBADMSG authentication failed: a bad tag, a bad signature, a malformed
 *            key or KEM output from the peer
 *   -ENOSPC  an output buffer is too small
 *   -ENOMEM  out of memory
 *   -EIO     libcrypto failed for another reason
 *
 * Secrets: every intermediate secret the implementation holds is wiped with
 * OPENSSL_cleanse before return. Tags and MACs are compared in constant time
 * (CRYPTO_memcmp). Outputs of failed opens are wiped.
 *
 * Threads: mls_crypto_init runs once (pthread_once); afterwards every
 * function is reentrant and thread-safe (no shared mutable state).
 */
#ifndef SB_MLS_CRYPTO_H
#define SB_MLS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Largest sizes over suites 1-7. */
#define MLS_MAX_HASH 64		/* Nh: SHA-512 */
#define MLS_MAX_AEAD_KEY 32	/* Nk */
#define MLS_MAX_AEAD_NONCE 12	/* Nn */
#define MLS_AEAD_TAG 16		/* every suite's AEAD tag */
#define MLS_MAX_KEM_PUB 133	/* Npk: P-521 uncompressed */
#define MLS_MAX_KEM_PRIV 66	/* Nsk: P-521 scalar */
#define MLS_MAX_KEM_ENC 133	/* Nenc */
#define MLS_MAX_KEM_SECRET 64	/* Nsecret */
#define MLS_MAX_SIG_PUB 133	/* P-521 uncompressed */
#define MLS_MAX_SIG_PRIV 66	/* P-521 scalar */
#define MLS_MAX_SIG 139		/* P-521 ECDSA DER */

/* A label literal as the (pointer, length) pair the functions take. */
#define MLS_LABEL(s) (s), (sizeof(s) - 1)

/* HPKE KEM identifiers (RFC 9180 section 7.1). */
enum mls_kem_id {
	MLS_KEM_P256 = 0x0010,
	MLS_KEM_P384 = 0x0011,
	MLS_KEM_P521 = 0x0012,
	MLS_KEM_X25519 = 0x0020,
	MLS_KEM_X448 = 0x0021,
};

/* HPKE KDF identifiers (RFC 9180 section 7.2). */
enum mls_kdf_id {
	MLS_KDF_HKDF_SHA256 = 0x0001,
	MLS_KDF_HKDF_SHA384 = 0x0002,
	MLS_KDF_HKDF_SHA512 = 0x0003,
};

/* HPKE AEAD identifiers (RFC 9180 section 7.3), also MLS's AEAD. */
enum mls_aead_id {
	MLS_AEAD_AES_128_GCM = 0x0001,
	MLS_AEAD_AES_256_GCM = 0x0002,
	MLS_AEAD_CHACHA20_POLY1305 = 0x0003,
};

/* TLS 1.3 SignatureScheme values (RFC 8446 section 4.2.3). */
enum mls_sig_scheme {
	MLS_SIG_ECDSA_P256_SHA256 = 0x0403,
	MLS_SIG_ECDSA_P384_SHA384 = 0x0503,
	MLS_SIG_ECDSA_P521_SHA512 = 0x0603,
	MLS_SIG_ED25519 = 0x0807,
	MLS_SIG_ED448 = 0x0808,
};

/*
 * A cipher suite (RFC 9420 section 17.1). For suites 1-7 the KEM's KDF is
 * the suite's KDF, so one hash serves both.
 */
struct mls_suite {
	uint16_t id;			/* 0x0001 .. 0x0007 */
	const char *name;		/* "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" */
	uint16_t kem_id;		/* enum mls_kem_id */
	uint16_t kdf_id;		/* enum mls_kdf_id */
	uint16_t aead_id;		/* enum mls_aead_id */
	uint16_t sig_scheme;		/* enum mls_sig_scheme */
	uint8_t nh;			/* hash and KDF output length */
	uint8_t nk;			/* AEAD key length */
	uint8_t nn;			/* AEAD nonce length */
	uint8_t kem_npk;		/* HPKE public key length */
	uint8_t kem_nsk;		/* HPKE private key length */
	uint8_t kem_nenc;		/* HPKE encapsulated key length */
	uint8_t kem_nsecret;		/* HPKE KEM shared secret length */
	uint8_t sig_npub;		/* signature public key length */
	uint8_t sig_npriv;		/* signature private key length */
	const EVP_MD *md;		/* the hash, fetched once */
	const EVP_CIPHER *cipher;	/* the AEAD, fetched once */
	const char *kem_group;		/* OpenSSL name: "X25519", "P-256", ... */
	const char *sig_alg;		/* OpenSSL name: "ED25519", "EC", ... */
};

/*
 * mls_crypto_init fetches every algorithm once (thread-safe, idempotent).
 * Returns 0, or -EIO when libcrypto lacks one (the message goes to stderr).
 * mls_suite_get calls it.
 */
int mls_crypto_init(void);

/*
 * mls_suite_get returns suite |id| (1-7), or NULL for any other value
 * (GREASE, private use, unknown) or when mls_crypto_init failed.
 */
const struct mls_suite *mls_suite_get(uint16_t id);

/* mls_random fills |n| bytes at |out| from the CSPRNG. Returns 0 or -EIO. */
int mls_random(void *out, size_t n) __attribute__((warn_unused_result));

/* mls_hash writes Hash(data) (Nh bytes) to |out|. */
int mls_hash(const struct mls_suite *s, const void *data, size_t len, uint8_t *out)
	__attribute__((warn_unused_result));

/* mls_mac writes MAC(key, data) = HMAC with the suite's hash (Nh bytes) to |out| (section 5.1.1). */
int mls_mac(const struct mls_suite *s, const uint8_t *key, size_t key_len,
	    const void *data, size_t len, uint8_t *out) __attribute__((warn_unused_result));

/* mls_kdf_extract writes HKDF-Extract(salt, ikm) (Nh bytes) to |prk|. */
int mls_kdf_extract(const struct mls_suite *s, const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
	__attribute__((warn_unused_result));

/* mls_kdf_expand writes HKDF-Expand(prk, info, out_len) to |out| (out_len <= 255 * Nh, else -EINVAL). */
int mls_kdf_expand(const struct mls_suite *s, const uint8_t *prk, size_t prk_len,
		   const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
	__attribute__((warn_unused_result));

/*
 * mls_expand_with_label (section 8): KDF.Expand(secret,
 * KDFLabel{length, "MLS 1.0 " + label, context}, length).
 */
int mls_expand_with_label(const struct mls_suite *s, const uint8_t *secret, size_t secret_len,
			  const char *label, size_t label_len,
			  const uint8_t *context, size_t context_len,
			  uint8_t *out, size_t out_len) __attribute__((warn_unused_result));

/* mls_derive_secret: ExpandWithLabel(secret, label, "", Nh) into |out| (Nh bytes). */
int mls_derive_secret(const struct mls_suite *s, const uint8_t *secret, size_t secret_len,
		      const char *label, size_t label_len, uint8_t *out)
	__attribute__((warn_unused_result));

/* mls_derive_tree_secret (section 9): ExpandWithLabel(secret, label, uint32 generation, out_len). */
int mls_derive_tree_secret(const struct mls_suite *s, const uint8_t *secret, size_t secret_len,
			   const char *label, size_t label_len, uint32_t generation,
			   uint8_t *out, size_t out_len) __attribute__((warn_unused_result));

/*
 * mls_ref_hash (section 5.2): Hash(RefHashInput{opaque label<V>, opaque
 * value<V>}), the label taken as given (no prefix). |out| gets Nh bytes.
 */
int mls_ref_hash(const struct mls_suite *s, const void *label, size_t label_len,
		 const void *value, size_t value_len, uint8_t *out)
	__attribute__((warn_unused_result));

/*
 * mls_aead_seal: the suite's AEAD with |key| (Nk) and |nonce| (Nn) over
 * |pt|, writing |pt_len| + 16 bytes (ciphertext then tag) to |ct|.
 * mls_aead_open: the reverse; |ct_len| >= 16, |pt| gets ct_len - 16 bytes,
 * -EBADMSG (pt wiped) when the tag does not verify. One EVP context per
 * call: the control-plane path. The data plane uses the crypto_aead engine.
 */
int mls_aead_seal(const struct mls_suite *s, const uint8_t *key, const uint8_t *nonce,
		  const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		  uint8_t *ct) __attribute__((warn_unused_result));
int mls_aead_open(const struct mls_suite *s, const uint8_t *key, const uint8_t *nonce,
		  const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		  uint8_t *pt) __attribute__((warn_unused_result));

/* --- Signatures (mls_sig.c) ------------------------------------------- */

/*
 * mls_sig_key_from_priv makes an EVP_PKEY (private, with its public half)
 * from a raw signature private key of the suite's scheme. The caller frees
 * it with EVP_PKEY_free. An ECDSA scalar may omit leading zero bytes (any
 * length 1 .. sig_npriv); an EdDSA seed is exactly sig_npriv bytes. Returns
 * 0, -EINVAL (wrong length) or -EBADMSG (not a valid key, e.g. an ECDSA
 * scalar of 0 or >= the order).
 */
int mls_sig_key_from_priv(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
			  EVP_PKEY **out) __attribute__((warn_unused_result));

/* mls_sig_key_from_pub: an EVP_PKEY from a raw public key; -EBADMSG when not on the curve. */
int mls_sig_key_from_pub(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			 EVP_PKEY **out) __attribute__((warn_unused_result));

/* mls_sig_pub_raw writes the raw public key of |k| (sig_npub bytes) to |out| of |cap| bytes. */
int mls_sig_pub_raw(const struct mls_suite *s, const EVP_PKEY *k, uint8_t *out, size_t cap,
		    size_t *out_len) __attribute__((warn_unused_result));

/*
 * mls_sig_keygen makes a fresh signature key pair; |priv_raw| (optional,
 * MLS_MAX_SIG_PRIV bytes) gets the raw private key and |*priv_len| its length.
 */
int mls_sig_keygen(const struct mls_suite *s, EVP_PKEY **out, uint8_t *priv_raw,
		   size_t *priv_len) __attribute__((warn_unused_result));

/*
 * mls_sign_with_label (section 5.1.2): Signature.Sign(priv,
 * SignContent{"MLS 1.0 " + label, content}) into |sig| (|cap| >=
 * MLS_MAX_SIG is always enough), length in |*sig_len|.
 * mls_verify_with_label: 0 when |sig| verifies, -EBADMSG when not.
 */
int mls_sign_with_label(const struct mls_suite *s, EVP_PKEY *priv,
			const char *label, size_t label_len,
			const uint8_t *content, size_t content_len,
			uint8_t *sig, size_t cap, size_t *sig_len)
	__attribute__((warn_unused_result));
int mls_verify_with_label(const struct mls_suite *s, EVP_PKEY *pub,
			  const char *label, size_t label_len,
			  const uint8_t *content, size_t content_len,
			  const uint8_t *sig, size_t sig_len) __attribute__((warn_unused_result));

/*
 * mls_sign_raw / mls_verify_raw sign and verify |tbs| as given: a caller
 * that encodes SignContent itself (the data-plane fast path, which writes
 * it once into a per-lcore buffer) uses these.
 */
int mls_sign_raw(const struct mls_suite *s, EVP_PKEY *priv, const uint8_t *tbs, size_t tbs_len,
		 uint8_t *sig, size_t cap, size_t *sig_len) __attribute__((warn_unused_result));
int mls_verify_raw(const struct mls_suite *s, EVP_PKEY *pub, const uint8_t *tbs, size_t tbs_len,
		   const uint8_t *sig, size_t sig_len) __attribute__((warn_unused_result));

/* --- HPKE base mode, RFC 9180 (mls_hpke.c) ---------------------------- */

/*
 * mls_hpke_derive_keypair: DeriveKeyPair(ikm) of the suite's KEM (RFC 9180
 * section 7.1.3; rejection sampling for the P-curves). Writes kem_nsk bytes
 * to |priv| and kem_npk bytes to |pub|.
 */
int mls_hpke_derive_keypair(const struct mls_suite *s, const uint8_t *ikm, size_t ikm_len,
			    uint8_t *priv, uint8_t *pub) __attribute__((warn_unused_result));

/* mls_hpke_keygen: a fresh random key pair (kem_nsk / kem_npk bytes). */
int mls_hpke_keygen(const struct mls_suite *s, uint8_t *priv, uint8_t *pub)
	__attribute__((warn_unused_result));

/* mls_hpke_pub_from_priv: the public key (kem_npk bytes) of a serialized private key; -EBADMSG when invalid. */
int mls_hpke_pub_from_priv(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
			   uint8_t *pub) __attribute__((warn_unused_result));

/*
 * mls_hpke_seal: SealBase(pkR, info, aad, pt) with a fresh ephemeral key.
 * Writes kem_nenc bytes to |enc| and pt_len + 16 bytes to |ct|.
 * mls_hpke_open: OpenBase; |pt| gets ct_len - 16 bytes; -EBADMSG when the
 * KEM output is invalid or the tag does not verify.
 */
int mls_hpke_seal(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
		  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
		  const uint8_t *pt, size_t pt_len, uint8_t *enc, uint8_t *ct)
	__attribute__((warn_unused_result));
int mls_hpke_open(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
		  const uint8_t *enc, size_t enc_len,
		  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
		  const uint8_t *ct, size_t ct_len, uint8_t *pt) __attribute__((warn_unused_result));

/*
 * mls_hpke_export_send: SetupBaseS(pkR, info) then Export(exp_ctx, L)
 * (RFC 9180 sections 5.1, 5.3): |enc| gets kem_nenc bytes, |out| L bytes.
 * mls_hpke_export_receive: SetupBaseR(enc, skR, info) then the same
 * export. An external commit's init_secret is made this way (RFC 9420
 * section 8.3). -EBADMSG for an invalid |enc|.
 */
int mls_hpke_export_send(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			 const uint8_t *info, size_t info_len, const uint8_t *exp_ctx,
			 size_t exp_ctx_len, size_t L, uint8_t *enc, uint8_t *out)
	__attribute__((warn_unused_result));
int mls_hpke_export_receive(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
			    const uint8_t *enc, size_t enc_len, const uint8_t *info,
			    size_t info_len, const uint8_t *exp_ctx, size_t exp_ctx_len, size_t L,
			    uint8_t *out) __attribute__((warn_unused_result));

/*
 * mls_encrypt_with_label (section 5.1.3): SealBase(pub,
 * EncryptContext{"MLS 1.0 " + label, context}, "", pt): |kem_output| gets
 * kem_nenc bytes, |ct| pt_len + 16. mls_decrypt_with_label: the reverse.
 */
int mls_encrypt_with_label(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			   const char *label, size_t label_len,
			   const uint8_t *context, size_t context_len,
			   const uint8_t *pt, size_t pt_len, uint8_t *kem_output, uint8_t *ct)
	__attribute__((warn_unused_result));
int mls_decrypt_with_label(const struct mls_suite *s, const uint8_t *priv, size_t priv_len,
			   const char *label, size_t label_len,
			   const uint8_t *context, size_t context_len,
			   const uint8_t *kem_output, size_t kem_output_len,
			   const uint8_t *ct, size_t ct_len, uint8_t *pt)
	__attribute__((warn_unused_result));

#endif
