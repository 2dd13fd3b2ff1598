/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_sig.h - the JWS signature algorithms a JWT-SVID may use (RFC 7518
 * sections 3.3-3.5), verified with libcrypto on keys made once (from a
 * bundle's JWKs, or from DER for the Wycheproof runner).
 *
 *   RS256/384/512  RSASSA-PKCS1-v1_5, SHA-256/384/512          key: RSA
 *   PS256/384/512  RSASSA-PSS, MGF1 with the same hash, salt =
 *                  hash length                                  key: RSA
 *   ES256/384/512  ECDSA P-256/SHA-256, P-384/SHA-384,
 *                  P-521/SHA-512; the signature is JOSE's raw
 *                  r||s (fixed width, IEEE P1363), never DER    key: EC, that curve
 * ID_ALG_EDDSA (Ed25519) exists for the Wycheproof runner only: a JWT-SVID
 * header naming EdDSA is refused (id_alg_from_name does not return it).
 *
 * RSA keys shorter than ID_SIG_RSA_MIN_BITS are refused when a key is made.
 *
 * Thread safety: a key (EVP_PKEY) may be used by several threads at once
 * for verification; each call makes its own contexts (libcrypto allocates
 * them: this is the cold path).
 */
#ifndef SB_ID_SIG_H
#define SB_ID_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define ID_SIG_RSA_MIN_BITS 2048
#define ID_SIG_MAX 1024		/* bytes of a signature we accept (RSA 8192) */

enum id_alg {
	ID_ALG_NONE = 0,	/* not an algorithm: "unset" */
	ID_ALG_RS256,
	ID_ALG_RS384,
	ID_ALG_RS512,
	ID_ALG_ES256,
	ID_ALG_ES384,
	ID_ALG_ES512,
	ID_ALG_PS256,
	ID_ALG_PS384,
	ID_ALG_PS512,
	ID_ALG_EDDSA,		/* Wycheproof only */
	ID_ALG_COUNT
};

/* Key families a JWK can be (kty). */
enum id_kty {
	ID_KTY_NONE = 0,
	ID_KTY_RSA,
	ID_KTY_EC,
	ID_KTY_OKP,
};

/*
 * id_alg_from_name maps a JWS "alg" value (|len| bytes, case-sensitive) to
 * one of the nine JWT-SVID algorithms; ID_ALG_NONE for anything else
 * ("none", HS256, EdDSA, ES256K, unknown).
 */
enum id_alg id_alg_from_name(const char *name, size_t len);

/* id_alg_name: "RS256" ... "EdDSA"; "none" for ID_ALG_NONE or out of range. */
const char *id_alg_name(enum id_alg alg);

/* id_alg_kty: the key family |alg| needs. */
enum id_kty id_alg_kty(enum id_alg alg);

/*
 * id_sig_key_matches: |key| may verify |alg|: RSA (>= ID_SIG_RSA_MIN_BITS)
 * for RS and PS, EC on exactly the alg's curve for ES, Ed25519 for EdDSA.
 */
bool id_sig_key_matches(enum id_alg alg, const EVP_PKEY *key);

/*
 * id_sig_verify verifies |sig| (|sig_len| bytes; for ES the raw r||s of
 * exactly 2 * field bytes) over |msg| with |key| under |alg|. Returns 0 for
 * a valid signature, -EBADMSG for an invalid one (including a wrong
 * length, r or s out of range, or a key that does not match |alg|:
 * -EKEYREJECTED for the last), -ENOMEM. Constant-time where libcrypto is.
 */
int id_sig_verify(enum id_alg alg, const EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
		  const uint8_t *sig, size_t sig_len) __attribute__((warn_unused_result));

/*
 * id_sig_verify_ecdsa_der: the same for an ECDSA signature in strict DER
 * (Wycheproof's ecdsa_*_test.json files; JWS never uses DER). |alg| is
 * ES256/384/512 and picks the hash. Non-DER (BER) encodings are invalid.
 */
int id_sig_verify_ecdsa_der(enum id_alg alg, const EVP_PKEY *key, const uint8_t *msg,
			    size_t msg_len, const uint8_t *sig, size_t sig_len)
	__attribute__((warn_unused_result));

/*
 * Making keys. Each returns a new EVP_PKEY (free with EVP_PKEY_free) or
 * NULL for invalid material (a point not on the curve, a modulus below
 * ID_SIG_RSA_MIN_BITS or an even one, an exponent that is not odd >= 3).
 *   id_sig_key_rsa: big-endian unsigned n and e (JWK "n", "e" decoded);
 *   id_sig_key_ec:  curve NID (NID_X9_62_prime256v1, NID_secp384r1,
 *                   NID_secp521r1) and fixed-width big-endian x, y;
 *   id_sig_key_ed25519: the 32-byte public key;
 *   id_sig_key_der: a DER SubjectPublicKeyInfo (Wycheproof "keyDer").
 */
EVP_PKEY *id_sig_key_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len);
EVP_PKEY *id_sig_key_ec(int curve_nid, const uint8_t *x, size_t x_len, const uint8_t *y,
			size_t y_len);
EVP_PKEY *id_sig_key_ed25519(const uint8_t *pub, size_t len);
EVP_PKEY *id_sig_key_der(const uint8_t *der, size_t len);

#endif
