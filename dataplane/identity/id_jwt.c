/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_jwt.c - JWT-SVID validation (id_jwt.h). The token is decoded into one
 * bounded stack buffer, its two JSON parts parsed with jansson (duplicate
 * names refused), and the steps of the header run in order; each refusal
 * is one id_reason. Nothing is logged: the caller counts the reasons.
 */
#include "id_jwt.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "id_b64.h"

static const char *const reason_str[ID_R_COUNT] = {
#define ID_REASON_STR(name, str) [ID_R_##name] = str,
	ID_REASONS(ID_REASON_STR)
#undef ID_REASON_STR
};

static const char *const reason_name[ID_R_COUNT] = {
#define ID_REASON_NAME(name, str) [ID_R_##name] = #name,
	ID_REASONS(ID_REASON_NAME)
#undef ID_REASON_NAME
};

const char *id_reason_str(enum id_reason r)
{
	return (unsigned)r < ID_R_COUNT ? reason_str[r] : "?";
}

const char *id_reason_name(enum id_reason r)
{
	return (unsigned)r < ID_R_COUNT ? reason_name[r] : "?";
}

/* What steps 2 and 3 keep of the header and the claims. */
struct jwt {
	enum id_alg alg;
	const char *kid;		/* NULL: no kid; else into the header object */
	size_t kid_len;
	const char *sub;		/* into the claims object */
	size_t sub_len;
	struct spiffe_id id;
	uint64_t exp;
	bool has_nbf, has_iat;
	uint64_t nbf, iat;
	const json_t *aud;		/* a string or a non-empty array of strings */
};

/* depth_ok: as id_bundle.c's: |v| nests at most |left| levels. */
static bool depth_ok(const json_t *v, int left)
{
	const char *k;
	size_t i;
	json_t *c;

	if (!json_is_object(v) && !json_is_array(v)) {
		return true;
	}
	if (left <= 0) {
		return false;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, c) {
			if (!depth_ok(c, left - 1)) {
				return false;
			}
		}
	} else {
		json_array_foreach(v, i, c) {
			if (!depth_ok(c, left - 1)) {
				return false;
			}
		}
	}
	return true;
}

/*
 * load_obj parses a decoded part: an object, no duplicate names, at most
 * ID_JSON_MAX_DEPTH levels. Returns ID_R_OK and |*out|, ID_R_JSON, or
 * ID_R_INTERNAL (out of memory).
 */
static enum id_reason load_obj(const uint8_t *p, size_t len, json_t **out)
{
	json_error_t jerr;
	json_t *o;

	o = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		return json_error_code(&jerr) == json_error_out_of_memory ? ID_R_INTERNAL
									  : ID_R_JSON;
	}
	if (!json_is_object(o) || !depth_ok(o, ID_JSON_MAX_DEPTH)) {
		json_decref(o);
		return ID_R_JSON;
	}
	*out = o;
	return ID_R_OK;
}

/* str_is: JSON string |v| is exactly |lit|. */
static bool str_is(const json_t *v, const char *lit)
{
	size_t n = strlen(lit);

	return json_string_length(v) == n && memcmp(json_string_value(v), lit, n) == 0;
}

/*
 * check_header is step 2: only alg, kid and typ (JWT-SVID section 2.1: no
 * other parameter may be present, and we must never act on jku, jwk, x5u
 * or crit); alg one of the nine; typ JWT or JOSE.
 */
static enum id_reason check_header(const json_t *h, struct jwt *t)
{
	json_t *alg = NULL, *kid = NULL, *typ = NULL, *v;
	const char *k;

	json_object_foreach((json_t *)h, k, v) {
		if (strcmp(k, "alg") == 0) {
			alg = v;
		} else if (strcmp(k, "kid") == 0) {
			kid = v;
		} else if (strcmp(k, "typ") == 0) {
			typ = v;
		} else {
			return ID_R_HEADER;
		}
	}
	if (!json_is_string(alg)) {
		return ID_R_ALG;
	}
	t->alg = id_alg_from_name(json_string_value(alg), json_string_length(alg));
	if (t->alg == ID_ALG_NONE) {
		return ID_R_ALG;
	}
	/* Case-sensitive, as go-spiffe: "jwt" is not "JWT". */
	if (typ != NULL && !(json_is_string(typ) && (str_is(typ, "JWT") || str_is(typ, "JOSE")))) {
		return ID_R_TYP;
	}
	if (kid != NULL) {
		if (!json_is_string(kid) || json_string_length(kid) == 0 ||
		    json_string_length(kid) > ID_KID_MAX) {
			return ID_R_KID;
		}
		t->kid = json_string_value(kid);
		t->kid_len = json_string_length(kid);
	}
	return ID_R_OK;
}

/*
 * get_time reads NumericDate claim |name| (RFC 7519 section 2): an integer
 * (a real is refused: we never round a deadline), not negative. Returns
 * true with |*has| when valid or absent.
 */
static bool get_time(const json_t *c, const char *name, bool *has, uint64_t *v)
{
	json_t *m = json_object_get(c, name);

	*has = m != NULL;
	if (m == NULL) {
		return true;
	}
	if (!json_is_integer(m) || json_integer_value(m) < 0) {
		return false;
	}
	*v = (uint64_t)json_integer_value(m);
	return true;
}

/* check_claims is step 3: sub, exp and aud required; nbf, iat integers. */
static enum id_reason check_claims(const json_t *c, struct jwt *t)
{
	json_t *sub = json_object_get(c, "sub"), *aud = json_object_get(c, "aud"), *a;
	bool has_exp;
	size_t i;

	if (!json_is_string(sub)) {
		return ID_R_CLAIMS;
	}
	if (!get_time(c, "exp", &has_exp, &t->exp) || !has_exp ||
	    !get_time(c, "nbf", &t->has_nbf, &t->nbf) ||
	    !get_time(c, "iat", &t->has_iat, &t->iat)) {
		return ID_R_CLAIMS;
	}
	/* RFC 7519 section 4.1.3: one string, or an array of them. */
	if (json_is_array(aud)) {
		if (json_array_size(aud) == 0) {
			return ID_R_CLAIMS;
		}
		json_array_foreach(aud, i, a) {
			if (!json_is_string(a)) {
				return ID_R_CLAIMS;
			}
		}
	} else if (!json_is_string(aud)) {
		return ID_R_CLAIMS;
	}
	t->aud = aud;
	t->sub = json_string_value(sub);
	t->sub_len = json_string_length(sub);
	if (spiffe_id_parse(t->sub, t->sub_len, &t->id, NULL) < 0) {
		return ID_R_SUB;
	}
	return ID_R_OK;
}

/* sig_reason maps id_sig_verify's result. */
static enum id_reason sig_reason(int rc)
{
	switch (rc) {
	case 0:
		return ID_R_OK;
	case -EKEYREJECTED:
		return ID_R_KEY_MISMATCH;
	case -ENOMEM:
		return ID_R_INTERNAL;
	default:
		return ID_R_SIGNATURE;
	}
}

/*
 * check_signature is steps 5 and 6 on bundle |b|: the key named by kid,
 * or, without a kid, each key that can verify alg (the first that verifies
 * wins).
 */
static enum id_reason check_signature(const struct id_bundle *b, const struct jwt *t,
				      const uint8_t *msg, size_t msg_len, const uint8_t *sig,
				      size_t sig_len)
{
	enum id_reason r = ID_R_NO_KEY;
	uint32_t i;

	if (t->kid != NULL) {
		const struct id_jwk *k = id_bundle_find(b, t->kid, t->kid_len);

		if (k == NULL) {
			return ID_R_UNKNOWN_KID;
		}
		/* RS256 naming an EC key, ES384 naming a P-256 key, ... */
		if (!id_sig_key_matches(t->alg, k->key)) {
			return ID_R_KEY_MISMATCH;
		}
		return sig_reason(id_sig_verify(t->alg, k->key, msg, msg_len, sig, sig_len));
	}
	for (i = 0; i < b->n_keys; i++) {
		if (!id_sig_key_matches(t->alg, b->keys[i].key)) {
			continue;
		}
		r = sig_reason(id_sig_verify(t->alg, b->keys[i].key, msg, msg_len, sig, sig_len));
		if (r == ID_R_OK || r == ID_R_INTERNAL) {
			return r;
		}
	}
	return r;
}

/* aud_has: our audience is one of the token's (exact, bytewise). */
static bool aud_has(const json_t *aud, const char *ours, size_t len)
{
	const json_t *a;
	size_t i;

	if (ours == NULL || len == 0 || len > ID_AUDIENCE_MAX) {
		return false;
	}
	if (json_is_string(aud)) {
		return json_string_length(aud) == len && memcmp(json_string_value(aud), ours, len) == 0;
	}
	json_array_foreach(aud, i, a) {
		if (json_string_length(a) == len && memcmp(json_string_value(a), ours, len) == 0) {
			return true;
		}
	}
	return false;
}

/* check_time is the clock half of step 7, with leeway either way. */
static enum id_reason check_time(const struct jwt *t, const struct id_jwt_opts *o)
{
	uint64_t late = o->now_s + o->leeway_s;

	if (late < o->now_s) {
		late = UINT64_MAX;	/* a clock this far out never fails nbf */
	}
	/* exp + leeway cannot wrap: exp <= INT64_MAX (jansson), leeway < 2^32. */
	if (t->exp + o->leeway_s <= o->now_s) {
		return ID_R_EXPIRED;
	}
	if ((t->has_nbf && t->nbf > late) || (t->has_iat && t->iat > late)) {
		return ID_R_NOT_YET_VALID;
	}
	return ID_R_OK;
}

/*
 * split is step 1: exactly three non-empty parts. |dot| gets the offsets of
 * the two dots.
 */
static bool split(const char *tok, size_t len, size_t dot[2])
{
	size_t n = 0, i;

	/* The JSON serialization (RFC 7515 section 7.2) starts with '{'. */
	if (len == 0 || tok[0] == '{') {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (tok[i] == '.') {
			if (n == 2) {
				return false;
			}
			dot[n++] = i;
		}
	}
	return n == 2 && dot[0] > 0 && dot[1] > dot[0] + 1 && dot[1] + 1 < len;
}

enum id_reason id_jwt_verify(const struct id_bundle_set *bundles, const struct id_jwt_opts *o,
			     const char *token, size_t len, struct id_jwt_result *out)
{
	/* The decoded parts, one after the other: 3/4 of the token at most. */
	uint8_t buf[ID_TOKEN_MAX];
	json_t *hdr = NULL, *claims = NULL;
	const struct id_bundle *b;
	size_t dot[2], hdr_len, pl_len, sig_len;
	struct jwt t;
	enum id_reason r;
	ssize_t n;

	if (bundles == NULL || o == NULL) {
		return ID_R_INTERNAL;
	}
	if (token == NULL) {
		return ID_R_MALFORMED;
	}
	if (len > ID_TOKEN_MAX) {
		return ID_R_TOO_LARGE;
	}
	if (!split(token, len, dot)) {
		return ID_R_MALFORMED;
	}
	n = id_b64url_decode(token, dot[0], buf, sizeof(buf));
	if (n < 0) {
		return ID_R_BASE64;
	}
	hdr_len = (size_t)n;
	n = id_b64url_decode(token + dot[0] + 1, dot[1] - dot[0] - 1, buf + hdr_len,
			     sizeof(buf) - hdr_len);
	if (n < 0) {
		return ID_R_BASE64;
	}
	pl_len = (size_t)n;
	n = id_b64url_decode(token + dot[1] + 1, len - dot[1] - 1, buf + hdr_len + pl_len,
			     sizeof(buf) - hdr_len - pl_len);
	if (n < 0) {
		return ID_R_BASE64;
	}
	sig_len = (size_t)n;

	memset(&t, 0, sizeof(t));
	r = load_obj(buf, hdr_len, &hdr);
	if (r != ID_R_OK) {
		return r;
	}
	r = check_header(hdr, &t);
	if (r != ID_R_OK) {
		goto out_put;
	}
	r = load_obj(buf + hdr_len, pl_len, &claims);
	if (r != ID_R_OK) {
		goto out_put;
	}
	r = check_claims(claims, &t);
	if (r != ID_R_OK) {
		goto out_put;
	}

	/* Step 4: sub's own trust domain, never another bundle. */
	if (o->trust_domain != NULL &&
	    !spiffe_id_in_td(&t.id, o->trust_domain, o->trust_domain_len)) {
		r = ID_R_TRUST_DOMAIN;
		goto out_put;
	}
	b = id_bundle_set_get(bundles, t.id.td, t.id.td_len);
	if (b == NULL) {
		r = ID_R_NO_BUNDLE;
		goto out_put;
	}
	/* Steps 5 and 6; the signing input is the token up to the second dot. */
	r = check_signature(b, &t, (const uint8_t *)token, dot[1], buf + hdr_len + pl_len,
			    sig_len);
	if (r != ID_R_OK) {
		goto out_put;
	}
	/* Step 7, only now that the claims are the issuer's. */
	r = check_time(&t, o);
	if (r != ID_R_OK) {
		goto out_put;
	}
	if (!aud_has(t.aud, o->audience, o->audience_len)) {
		r = ID_R_AUDIENCE;
		goto out_put;
	}
	if (out != NULL) {
		memcpy(out->id, t.sub, t.sub_len);
		out->id[t.sub_len] = '\0';
		out->id_len = t.sub_len;
		out->td_len = t.id.td_len;
		out->exp = t.exp;
		out->alg = t.alg;
		out->kid[0] = '\0';
		if (t.kid != NULL) {
			memcpy(out->kid, t.kid, t.kid_len);
			out->kid[t.kid_len] = '\0';
		}
	}
out_put:
	json_decref(claims);
	json_decref(hdr);
	return r;
}
