/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_crypto_internal.h - internals of the MLS crypto layer that are not part
 * of the mls_crypto.h contract:
 *
 *  - the NIST-curve key helpers of mls_hpke.c, which mls_sig.c shares for
 *    ECDSA (one place checks scalars and points);
 *  - test-only hooks that run HPKE with a given ephemeral key, so that the
 *    known-answer tests of RFC 9180 Appendix A can be checked. Production
 *    code never calls them: a fixed ephemeral key breaks HPKE's security.
 *
 * Error conventions are those of mls_crypto.h.
 */
#ifndef SB_MLS_CRYPTO_INTERNAL_H
#define SB_MLS_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mls_crypto.h"

/*
 * mls_ec_key_from_priv makes an EC key pair on |curve| ("P-256", "P-384"
 * or "P-521") from the big-endian scalar |d| of exactly the curve's scalar
 * length (32, 48 or 66 bytes; the caller checks it). The public point is
 * computed here. When |pub| is not NULL it gets the uncompressed point
 * (|*pub_len| its length, at most MLS_MAX_KEM_PUB bytes). Returns 0,
 * -EBADMSG when d is 0 or >= the group order, -EINVAL for an unknown curve,
 * -ENOMEM or -EIO. The caller frees |*out| with EVP_PKEY_free.
 */
int mls_ec_key_from_priv(const char *curve, const uint8_t *d, size_t d_len, EVP_PKEY **out,
			 uint8_t *pub, size_t *pub_len) __attribute__((warn_unused_result));

/*
 * mls_ec_key_from_pub makes an EC public key on |curve| from an
 * uncompressed SEC1 point (0x04 || x || y, the caller checks the length).
 * Returns 0, -EBADMSG when the encoding is not uncompressed, a coordinate
 * is out of range or the point is not on the curve, -EINVAL, -ENOMEM or
 * -EIO. The caller frees |*out| with EVP_PKEY_free.
 */
int mls_ec_key_from_pub(const char *curve, const uint8_t *pub, size_t pub_len, EVP_PKEY **out)
	__attribute__((warn_unused_result));

/*
 * mls_hpke_encap_with_eph (test only): DHKEM Encap(pkR) of RFC 9180
 * section 4.1 with the ephemeral private key |eph_priv| (serialized, kem_nsk
 * bytes) instead of a fresh one. Writes kem_nenc bytes to |enc| and
 * kem_nsecret bytes to |shared_secret|. Errors as mls_hpke_seal.
 */
int mls_hpke_encap_with_eph(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			    const uint8_t *eph_priv, size_t eph_priv_len, uint8_t *enc,
			    uint8_t *shared_secret) __attribute__((warn_unused_result));

/*
 * mls_hpke_seal_with_eph (test only): mls_hpke_seal with the ephemeral
 * private key |eph_priv| (serialized, kem_nsk bytes) instead of a fresh one.
 */
int mls_hpke_seal_with_eph(const struct mls_suite *s, const uint8_t *pub, size_t pub_len,
			   const uint8_t *eph_priv, size_t eph_priv_len,
			   const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
			   const uint8_t *pt, size_t pt_len, uint8_t *enc, uint8_t *ct)
	__attribute__((warn_unused_result));

/*
 * mls_label_encode writes struct { opaque label<V> = "MLS 1.0 " + label;
 * opaque data<V>; } (SignContent, section 5.1.2; EncryptContext, section
 * 5.1.3) into |small| (|small_cap| bytes) or, when it does not fit, an
 * OPENSSL_malloc'd buffer: |*buf| and |*len| say where; the caller frees
 * *buf when it is not |small|. Returns 0, -EINVAL or -ENOMEM.
 */
int mls_label_encode(const char *label, size_t label_len, const uint8_t *data, size_t data_len,
		     uint8_t *small, size_t small_cap, uint8_t **buf, size_t *len)
	__attribute__((warn_unused_result));

#endif
