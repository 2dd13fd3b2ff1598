/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_bundle.h - SPIFFE trust bundles (an RFC 7517 JWK Set per trust domain,
 * shared/reference/spiffe.md section 4) and the set of them a verifier
 * trusts.
 *
 * Parsing (jansson, JSON_REJECT_DUPLICATES, at most ID_BUNDLE_MAX_BYTES and
 * ID_JSON_MAX_DEPTH levels of nesting):
 *   - the document is an object with a "keys" array (it may be empty: trust
 *     nothing); "spiffe_sequence" (unsigned 64-bit) and
 *     "spiffe_refresh_hint" (seconds, unsigned) are optional; other members
 *     are ignored;
 *   - only JWKs with "use" == "jwt-svid" are kept for JWT; a JWK with another
 *     or no "use", an unknown "kty", no "kid" (a MUST of the spec), or key
 *     material that does not make a key is ignored and counted in
 *     n_ignored (with the first reason in |ignored_why|), never fatal;
 *   - RSA: "n", "e" (base64url); EC: "crv" P-256 / P-384 / P-521, "x", "y"
 *     (base64url, fixed width for the curve); two kept JWKs with the same
 *     kid make the bundle invalid (a key could not be picked by kid).
 *   - at most ID_BUNDLE_MAX_KEYS kept keys.
 * An invalid document (not JSON, not an object, no "keys", a wrong type for
 * a known member, too large or deep, duplicate keys) is -EBADMSG with a
 * message in |err|.
 *
 * Lifetime: a bundle owns its EVP_PKEYs; a set owns its bundles. Sets are
 * built, then read-only: lookups from several threads need no lock (the
 * data plane publishes a new set and frees the old one after a grace
 * period).
 */
#ifndef SB_ID_BUNDLE_H
#define SB_ID_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "id_sig.h"
#include "spiffe_id.h"

#define ID_BUNDLE_MAX_BYTES (256u << 10)	/* bytes of one bundle document */
#define ID_BUNDLE_MAX_KEYS 64			/* jwt-svid keys kept per bundle */
#define ID_KID_MAX 128				/* bytes of a kid */
#define ID_JSON_MAX_DEPTH 8			/* nesting levels in bundles and tokens */
#define ID_BUNDLE_SET_MAX 256			/* trust domains in a set */
#define ID_BUNDLE_MAP_MAX_BYTES (4u << 20)	/* bytes of one bundle map document */

struct id_jwk {
	char kid[ID_KID_MAX + 1];		/* NUL-terminated */
	size_t kid_len;
	enum id_kty kty;
	int curve_nid;				/* EC: the curve; else 0 */
	EVP_PKEY *key;
};

struct id_bundle {
	char td[SPIFFE_TD_MAX + 1];		/* the trust domain it is bound to */
	size_t td_len;
	bool has_sequence;
	uint64_t sequence;			/* spiffe_sequence */
	bool has_refresh_hint;
	uint64_t refresh_hint_s;		/* spiffe_refresh_hint */
	uint32_t n_keys;			/* jwt-svid keys kept */
	struct id_jwk keys[ID_BUNDLE_MAX_KEYS];
	uint32_t n_ignored;			/* JWKs not kept */
	char ignored_why[96];			/* the first one's reason, "" if none */
	/*
	 * keys_digest: SHA-256 over the kept keys (kid, kty, public key in
	 * DER) in order: equal digests, equal JWT keys. The data plane drops
	 * cached identities of a trust domain when its digest changes.
	 */
	uint8_t keys_digest[32];
};

/*
 * id_bundle_parse parses |len| bytes of JSON at |json| as the bundle of
 * trust domain |td| (checked with spiffe_td_check). Returns 0 and a new
 * bundle in |*out|, or -EINVAL (bad td), -EBADMSG, -E2BIG (over
 * ID_BUNDLE_MAX_BYTES), -ENOMEM; |err| (|errlen| bytes, may be NULL) gets a
 * one-line reason.
 */
int id_bundle_parse(const char *td, size_t td_len, const uint8_t *json, size_t len,
		    struct id_bundle **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* id_bundle_free frees |b| and its keys (NULL is fine). */
void id_bundle_free(struct id_bundle *b);

/* id_bundle_find returns the key with |kid|, or NULL. */
const struct id_jwk *id_bundle_find(const struct id_bundle *b, const char *kid, size_t kid_len);

/* A set of bundles, at most one per trust domain, sorted by trust domain. */
struct id_bundle_set {
	uint32_t n;
	struct id_bundle *b[ID_BUNDLE_SET_MAX];
};

/* id_bundle_set_init empties |s| (no allocation). */
void id_bundle_set_init(struct id_bundle_set *s);

/*
 * id_bundle_set_put takes ownership of |b|, replacing (and freeing) the
 * bundle of the same trust domain. Returns 0 or -ENOSPC (|b| not taken).
 */
int id_bundle_set_put(struct id_bundle_set *s, struct id_bundle *b);

/* id_bundle_set_get finds the bundle of trust domain |td|, or NULL. */
const struct id_bundle *id_bundle_set_get(const struct id_bundle_set *s, const char *td,
					  size_t td_len);

/* id_bundle_set_clear frees every bundle of |s| and empties it. */
void id_bundle_set_clear(struct id_bundle_set *s);

/*
 * id_bundle_map_parse parses a SPIFFE bundle map
 * {"trust_domains": {"<td>": <bundle>, ...}} (duplicate trust domains
 * rejected) into |s| (emptied first), all or nothing. Same errors as
 * id_bundle_parse, except that the limit of -E2BIG is
 * ID_BUNDLE_MAP_MAX_BYTES, and a trust domain name that fails
 * spiffe_td_check, or more than ID_BUNDLE_SET_MAX of them, is -EBADMSG.
 */
int id_bundle_map_parse(const uint8_t *json, size_t len, struct id_bundle_set *s, char *err,
			size_t errlen) __attribute__((warn_unused_result));

#endif
