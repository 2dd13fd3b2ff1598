/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust_key.h - the bridge key (docs/federation.md, "Seal
 * establishment"): the P-256 key pair a control process signs with in its
 * seal groups (MLS cipher suite 2, MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
 * signatures ecdsa_secp256r1_sha256), whose public half the operator
 * publishes in our trust domain's SPIFFE bundle as a JWK with
 * "use": "slimbridge-bridge". A peer takes our leaf in a seal group only
 * when its signature key is such a key of our current bundle, and we take
 * its leaf on the same terms: the bundles exchanged at trust establishment
 * authenticate the key agreement.
 *
 * JWT-SVID verification ignores these keys (id_bundle keeps use "jwt-svid"
 * only and counts the others as ignored).
 *
 * Secrets: the private scalar is the caller's buffer; wipe it after use
 * (OPENSSL_cleanse). Nothing here logs.
 *
 * Thread context: any.
 */
#ifndef SB_CTL_TRUST_KEY_H
#define SB_CTL_TRUST_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_TRUST_JWK_USE "slimbridge-bridge"
#define CTL_TRUST_SUITE 2		/* MLS_128_DHKEMP256_AES128GCM_SHA256_P256 */
#define CTL_TRUST_PRIV_LEN 32		/* the private scalar, big-endian */
#define CTL_TRUST_PUB_LEN 65		/* uncompressed SEC1 point, as MLS carries it */
#define CTL_TRUST_KEY_FILE_MAX (64u << 10)

/*
 * ctl_trust_key_load reads a PEM private key (PKCS#8 "PRIVATE KEY" or SEC1
 * "EC PRIVATE KEY", unencrypted) on P-256 from |path|: the scalar into
 * |priv| and the public key into |pub|. Returns 0, or a negative errno with
 * one line in |err|: the file's (-ENOENT, -EACCES, ...), -EINVAL (not a
 * P-256 private key), -EIO (libcrypto).
 */
int ctl_trust_key_load(const char *path, uint8_t priv[CTL_TRUST_PRIV_LEN],
		       uint8_t pub[CTL_TRUST_PUB_LEN], char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * ctl_trust_key_kid writes the key id of |pub|: "sb-bridge-" and the first
 * 16 characters of the base64url SHA-256 JWK thumbprint (RFC 7638) into
 * |out| (at least 27 bytes). Returns 0 or -EIO / -ENOSPC.
 */
int ctl_trust_key_kid(const uint8_t pub[CTL_TRUST_PUB_LEN], char *out, size_t cap)
	__attribute__((warn_unused_result));

/*
 * ctl_trust_key_jwk returns the JWK of |pub| as one line of JSON
 * (malloc'd; free it): {"kty":"EC","crv":"P-256","use":"slimbridge-bridge",
 * "kid":...,"x":...,"y":...}. NULL without memory or for a key that is not
 * an uncompressed point.
 */
char *ctl_trust_key_jwk(const uint8_t pub[CTL_TRUST_PUB_LEN]);

/*
 * ctl_trust_key_in_bundle looks at the JWKs with "use": "slimbridge-bridge"
 * in the SPIFFE bundle |doc| (|len| bytes of JWKS JSON): returns how many
 * well-formed ones (kty EC, crv P-256, x and y of 32 bytes base64url) it
 * has, and sets |*match| when one of them is |pub| (|pub_len| bytes, an
 * uncompressed point). -EBADMSG when |doc| is not a JSON object with a
 * "keys" array. Malformed bridge JWKs are not counted.
 */
int ctl_trust_key_in_bundle(const uint8_t *doc, size_t len, const uint8_t *pub, size_t pub_len,
			    bool *match) __attribute__((warn_unused_result));

#endif
