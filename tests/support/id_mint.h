/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_mint.h - minting JWT-SVIDs with libcrypto for the identity cache's
 * unit tests and perf/bench-identity (the verifier's own tests mint
 * independently, in Python, in tests/integration/test_svid.py).
 */
#ifndef SB_ID_MINT_H
#define SB_ID_MINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "id_bundle.h"
#include "id_sig.h"

/* id_mint_key makes a key for |alg| (RSA 2048 for RS/PS, the alg's curve for ES). */
EVP_PKEY *id_mint_key(enum id_alg alg);

/*
 * id_mint_token signs {"alg","kid","typ":"JWT"} . {"sub","aud","exp","iat" = exp - 1 h}
 * (|extra| is appended inside the claims object when not NULL, e.g.
 * ",\"jti\":\"7\"") with |key| under |alg| into |out| (NUL-terminated).
 * Returns the token length, or -1.
 */
int id_mint_token(enum id_alg alg, EVP_PKEY *key, const char *kid, const char *sub,
		  const char *aud, uint64_t exp, const char *extra, char *out, size_t cap);

/*
 * id_mint_bundle makes a bundle for |td| holding |n| keys with kids
 * |kids| (the EVP_PKEYs are up-ref'd), its keys_digest derived from the
 * kids and |digest_salt| (change the salt to simulate new key material).
 */
struct id_bundle *id_mint_bundle(const char *td, EVP_PKEY *const *keys, const char *const *kids,
				 uint32_t n, uint8_t digest_salt);

#endif
