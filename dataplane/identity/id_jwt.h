/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_jwt.h - JWT-SVID validation (JWT-SVID standard; the steps are those of
 * shared/reference/spiffe.md section 2, "Validation steps").
 *
 *  1. JWS compact serialization only: exactly three non-empty strict
 *     base64url parts (id_b64.h), at most ID_TOKEN_MAX bytes in all.
 *  2. Header: a JSON object with only "alg", "kid" and "typ" (anything
 *     else, "crit" and "jku"/"jwk"/"x5u"/"x5c" included, is refused); "alg"
 *     one of the nine of id_sig.h ("none", HS*, EdDSA refused); "typ", when
 *     present, exactly "JWT" or "JOSE"; "kid" a string of 1..ID_KID_MAX bytes.
 *  3. Claims: a JSON object; "sub" a valid SPIFFE ID; "exp" an integer;
 *     "aud" a string or a non-empty array of strings; "nbf" and "iat"
 *     integers when present. Duplicate keys anywhere are refused; at most
 *     ID_JSON_MAX_DEPTH levels.
 *  4. The bundle of sub's trust domain only (and, when the options name a
 *     trust domain, sub must be in it); none: refused.
 *  5. The key: by "kid" when the header has one; without a kid each key of
 *     the bundle whose type matches alg is tried (spiffe.md: go-spiffe
 *     requires a kid, the conformance catalogue does not; we accept).
 *  6. Key type and curve must match alg; then the signature over
 *     ASCII(header "." payload) (id_sig_verify).
 *  7. exp > now - leeway; nbf <= now + leeway; iat <= now + leeway; the
 *     options' audience is one of "aud".
 * The signature is checked before the clock and audience, so that the
 * reason given for a forged token never depends on its claims.
 *
 * Reentrant; allocates (jansson, libcrypto): the cold path. The data plane
 * calls it only for cache misses (id_cache.h).
 */
#ifndef SB_ID_JWT_H
#define SB_ID_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "id_bundle.h"
#include "id_sig.h"
#include "spiffe_id.h"

#define ID_TOKEN_MAX 8192		/* bytes of a token we look at */
#define ID_LEEWAY_DEFAULT_S 60		/* clock skew allowed on exp / nbf / iat */
#define ID_AUDIENCE_MAX 255		/* bytes of an audience we compare */

/* Why a token was refused: one value per distinct cause, stable (counters, logs). */
#define ID_REASONS(X) \
	X(OK,            "ok") \
	X(TOO_LARGE,     "token too large") \
	X(MALFORMED,     "not a JWS compact serialization") \
	X(BASE64,        "malformed base64url") \
	X(JSON,          "malformed JSON") \
	X(HEADER,        "header has a parameter other than alg, kid and typ") \
	X(ALG,           "algorithm not allowed") \
	X(TYP,           "typ is not JWT or JOSE") \
	X(KID,           "malformed kid") \
	X(CLAIMS,        "missing or malformed claim") \
	X(SUB,           "sub is not a valid SPIFFE ID") \
	X(TRUST_DOMAIN,  "sub is not in the expected trust domain") \
	X(NO_BUNDLE,     "no bundle for the trust domain") \
	X(UNKNOWN_KID,   "no key with this kid in the bundle") \
	X(NO_KEY,        "no key of the algorithm's type in the bundle") \
	X(KEY_MISMATCH,  "key does not match the algorithm") \
	X(SIGNATURE,     "bad signature") \
	X(EXPIRED,       "token expired") \
	X(NOT_YET_VALID, "token not yet valid (nbf or iat in the future)") \
	X(AUDIENCE,      "audience does not match") \
	X(INTERNAL,      "internal error (out of memory)")

enum id_reason {
#define ID_REASON_ENUM(name, str) ID_R_##name,
	ID_REASONS(ID_REASON_ENUM)
#undef ID_REASON_ENUM
	ID_R_COUNT
};

/* id_reason_str: the reason in words ("bad signature"); "?" out of range. */
const char *id_reason_str(enum id_reason r);
/* id_reason_name: the short name ("SIGNATURE"), for counters and JSON. */
const char *id_reason_name(enum id_reason r);

struct id_jwt_opts {
	const char *audience;		/* required: this bridge's audience */
	size_t audience_len;
	const char *trust_domain;	/* NULL: any trust domain the set has */
	size_t trust_domain_len;
	uint32_t leeway_s;		/* ID_LEEWAY_DEFAULT_S is the usual value */
	uint64_t now_s;			/* the clock (Unix seconds) */
};

struct id_jwt_result {
	char id[SPIFFE_ID_MAX + 1];	/* sub, NUL-terminated */
	size_t id_len;
	size_t td_len;			/* id[9 .. 9 + td_len) is the trust domain */
	uint64_t exp;			/* Unix seconds */
	enum id_alg alg;
	char kid[ID_KID_MAX + 1];	/* "" when the token had none */
};

/*
 * id_jwt_verify validates |len| bytes of |token| against |bundles| and |o|.
 * Returns ID_R_OK and fills |out| (may be NULL), or the reason it refused.
 * Nothing of |out| is meaningful unless ID_R_OK.
 */
enum id_reason id_jwt_verify(const struct id_bundle_set *bundles, const struct id_jwt_opts *o,
			     const char *token, size_t len, struct id_jwt_result *out);

#endif
