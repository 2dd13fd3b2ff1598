/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_bundle.c - SPIFFE bundles (id_bundle.h): an RFC 7517 JWK Set parsed with
 * jansson, its jwt-svid keys made through id_sig, and sorted sets of bundles.
 *
 * The rules follow shared/reference/spiffe.md section 4: a document that is
 * not a JWK Set is refused as a whole; a JWK we cannot use is skipped (and
 * counted), because the spec wants consumers to ignore what they do not
 * understand and go on with the rest.
 */
#include "id_bundle.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "id_b64.h"

#define EC_FIELD_MAX 66		/* P-521 coordinates */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * depth_ok: |v| nests at most |left| levels of arrays and objects (|v|
 * itself counting as one). jansson has its own, much higher, limit (2048);
 * ours keeps documents the shape a bundle can have. The recursion is
 * bounded by ID_JSON_MAX_DEPTH.
 */
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
 * load parses |len| bytes of JSON (an object, no duplicate member names, at
 * most ID_JSON_MAX_DEPTH levels). Returns the object or NULL with |*rc|
 * -EBADMSG or -ENOMEM and a message in |err|.
 */
static json_t *load(const uint8_t *json, size_t len, int *rc, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*rc = json_error_code(&jerr) == json_error_out_of_memory ? -ENOMEM : -EBADMSG;
		seterr(err, errlen, "not JSON: %s (line %d column %d)", jerr.text, jerr.line,
		       jerr.column);
		return NULL;
	}
	if (!json_is_object(root)) {
		seterr(err, errlen, "not a JSON object");
		goto out_bad;
	}
	if (!depth_ok(root, ID_JSON_MAX_DEPTH)) {
		seterr(err, errlen, "JSON nested deeper than %d levels", ID_JSON_MAX_DEPTH);
		goto out_bad;
	}
	return root;
out_bad:
	json_decref(root);
	*rc = -EBADMSG;
	return NULL;
}

/*
 * get_uint reads optional member |name| of |o| as a non-negative integer.
 * Returns 0 (absent: |*has| false), or -EBADMSG for another type or a
 * negative value. (jansson refuses integers beyond INT64_MAX when parsing.)
 */
static int get_uint(const json_t *o, const char *name, bool *has, uint64_t *v, char *err,
		    size_t errlen)
{
	json_t *m = json_object_get(o, name);

	*has = false;
	if (m == NULL) {
		return 0;
	}
	if (!json_is_integer(m) || json_integer_value(m) < 0) {
		seterr(err, errlen, "\"%s\" is not a non-negative integer", name);
		return -EBADMSG;
	}
	*has = true;
	*v = (uint64_t)json_integer_value(m);
	return 0;
}

/*
 * b64_member decodes string member |name| of |jwk| into |out| (|cap|
 * bytes). Returns the decoded length, or -1 (absent, not a string, not
 * strict base64url, too long).
 */
static ssize_t b64_member(const json_t *jwk, const char *name, uint8_t *out, size_t cap)
{
	json_t *m = json_object_get(jwk, name);
	ssize_t n;

	if (!json_is_string(m)) {
		return -1;
	}
	n = id_b64url_decode(json_string_value(m), json_string_length(m), out, cap);
	return n < 0 ? -1 : n;
}

/* rsa_key makes the key of an RSA JWK (RFC 7518 section 6.3.1), or NULL. */
static EVP_PKEY *rsa_key(const json_t *jwk, const char **why)
{
	uint8_t n[ID_SIG_MAX + 1], e[ID_SIG_MAX];
	ssize_t n_len, e_len;
	EVP_PKEY *key;

	/* A leading zero octet breaks RFC 7518's "minimum number of octets"
	 * but names the same key (and keys_digest is over DER): accepted. */
	n_len = b64_member(jwk, "n", n, sizeof(n));
	e_len = b64_member(jwk, "e", e, sizeof(e));
	if (n_len <= 0 || e_len <= 0) {
		*why = "RSA n or e missing or malformed";
		return NULL;
	}
	key = id_sig_key_rsa(n, (size_t)n_len, e, (size_t)e_len);
	if (key == NULL) {
		*why = "RSA key refused (size, parity or exponent)";
	}
	return key;
}

/* ec_key makes the key of an EC JWK (RFC 7518 section 6.2.1), or NULL. */
static EVP_PKEY *ec_key(const json_t *jwk, int *nid, const char **why)
{
	uint8_t x[EC_FIELD_MAX + 1], y[EC_FIELD_MAX + 1];
	json_t *crv = json_object_get(jwk, "crv");
	const char *c = json_string_value(crv);
	ssize_t x_len, y_len;
	EVP_PKEY *key;

	if (c == NULL) {
		*why = "EC crv missing";
		return NULL;
	}
	if (strcmp(c, "P-256") == 0) {
		*nid = NID_X9_62_prime256v1;
	} else if (strcmp(c, "P-384") == 0) {
		*nid = NID_secp384r1;
	} else if (strcmp(c, "P-521") == 0) {
		*nid = NID_secp521r1;
	} else {
		*why = "EC crv not P-256, P-384 or P-521";
		return NULL;
	}
	x_len = b64_member(jwk, "x", x, sizeof(x));
	y_len = b64_member(jwk, "y", y, sizeof(y));
	if (x_len <= 0 || y_len <= 0) {
		*why = "EC x or y missing or malformed";
		return NULL;
	}
	/* id_sig_key_ec wants the exact field width and a point on the curve. */
	key = id_sig_key_ec(*nid, x, (size_t)x_len, y, (size_t)y_len);
	if (key == NULL) {
		*why = "EC point refused (width, or not on the curve)";
	}
	return key;
}

/*
 * take_jwk examines JWK |jwk|: fills |k| and returns 1 when it is a usable
 * jwt-svid key, 0 when it is to be ignored (|*why| says why).
 */
static int take_jwk(const json_t *jwk, struct id_jwk *k, const char **why)
{
	json_t *use = json_object_get(jwk, "use"), *kty = json_object_get(jwk, "kty");
	json_t *kid = json_object_get(jwk, "kid");
	const char *t;

	memset(k, 0, sizeof(*k));
	if (use == NULL) {
		*why = "no use";
		return 0;
	}
	if (!json_is_string(use) || strcmp(json_string_value(use), "jwt-svid") != 0) {
		*why = "use is not jwt-svid";
		return 0;
	}
	/* A jwt-svid key must have a kid (JWT-SVID section 4; spiffe.md 4):
	 * skip the key, keep the bundle, unlike go-spiffe. */
	if (!json_is_string(kid) || json_string_length(kid) == 0) {
		*why = "jwt-svid key without kid";
		return 0;
	}
	if (json_string_length(kid) > ID_KID_MAX) {
		*why = "kid longer than 128 bytes";
		return 0;
	}
	t = json_string_value(kty);
	if (t == NULL) {
		*why = "no kty";
		return 0;
	}
	if (strcmp(t, "RSA") == 0) {
		k->kty = ID_KTY_RSA;
		k->key = rsa_key(jwk, why);
	} else if (strcmp(t, "EC") == 0) {
		k->kty = ID_KTY_EC;
		k->key = ec_key(jwk, &k->curve_nid, why);
	} else {
		*why = "kty not RSA or EC";
		return 0;
	}
	if (k->key == NULL) {
		return 0;
	}
	k->kid_len = json_string_length(kid);
	memcpy(k->kid, json_string_value(kid), k->kid_len);
	k->kid[k->kid_len] = '\0';
	return 1;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * digest_keys: keys_digest = SHA-256 over, per kept key in order,
 * be32(kid_len) kid u8(kty) be32(der_len) SubjectPublicKeyInfo. The lengths
 * keep the concatenation unambiguous. 0 or -ENOMEM.
 */
static int digest_keys(struct id_bundle *b)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -ENOMEM;
	uint32_t i;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		goto out_free_ctx;
	}
	for (i = 0; i < b->n_keys; i++) {
		const struct id_jwk *k = &b->keys[i];
		unsigned char *der = NULL;
		uint8_t hdr[4];
		uint8_t kty = (uint8_t)k->kty;
		int der_len, ok;

		der_len = i2d_PUBKEY(k->key, &der);
		if (der_len <= 0) {
			goto out_free_ctx;
		}
		put_be32(hdr, (uint32_t)k->kid_len);
		ok = EVP_DigestUpdate(ctx, hdr, 4) == 1 &&
		     EVP_DigestUpdate(ctx, k->kid, k->kid_len) == 1 &&
		     EVP_DigestUpdate(ctx, &kty, 1) == 1;
		put_be32(hdr, (uint32_t)der_len);
		ok = ok && EVP_DigestUpdate(ctx, hdr, 4) == 1 &&
		     EVP_DigestUpdate(ctx, der, (size_t)der_len) == 1;
		OPENSSL_free(der);
		if (!ok) {
			goto out_free_ctx;
		}
	}
	if (EVP_DigestFinal_ex(ctx, b->keys_digest, NULL) != 1) {
		goto out_free_ctx;
	}
	rc = 0;
out_free_ctx:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * parse_obj fills |b| (td already set) from bundle object |root|. 0,
 * -EBADMSG or -ENOMEM; on failure the keys taken so far stay in |b| for the
 * caller to free.
 */
static int parse_obj(struct id_bundle *b, const json_t *root, char *err, size_t errlen)
{
	json_t *keys = json_object_get(root, "keys"), *jwk;
	size_t i;
	int rc;

	if (keys == NULL) {
		seterr(err, errlen, "no \"keys\" member");
		return -EBADMSG;
	}
	if (!json_is_array(keys)) {
		seterr(err, errlen, "\"keys\" is not an array");
		return -EBADMSG;
	}
	rc = get_uint(root, "spiffe_sequence", &b->has_sequence, &b->sequence, err, errlen);
	if (rc < 0) {
		return rc;
	}
	rc = get_uint(root, "spiffe_refresh_hint", &b->has_refresh_hint, &b->refresh_hint_s, err,
		      errlen);
	if (rc < 0) {
		return rc;
	}
	json_array_foreach(keys, i, jwk) {
		struct id_jwk k;
		const char *why = NULL;

		if (!json_is_object(jwk)) {
			seterr(err, errlen, "keys[%zu] is not an object", i);
			return -EBADMSG;
		}
		if (take_jwk(jwk, &k, &why) == 0) {
			if (b->n_ignored++ == 0) {
				snprintf(b->ignored_why, sizeof(b->ignored_why), "keys[%zu]: %s", i,
					 why);
			}
			continue;
		}
		if (b->n_keys == ID_BUNDLE_MAX_KEYS) {
			EVP_PKEY_free(k.key);
			seterr(err, errlen, "more than %d jwt-svid keys", ID_BUNDLE_MAX_KEYS);
			return -EBADMSG;
		}
		/* A kid must pick one key (JWT-SVID: "kid" selects the key). */
		if (id_bundle_find(b, k.kid, k.kid_len) != NULL) {
			EVP_PKEY_free(k.key);
			seterr(err, errlen, "two jwt-svid keys with kid \"%.*s\"", 64, k.kid);
			return -EBADMSG;
		}
		b->keys[b->n_keys++] = k;
	}
	return digest_keys(b);
}

int id_bundle_parse(const char *td, size_t td_len, const uint8_t *json, size_t len,
		    struct id_bundle **out, char *err, size_t errlen)
{
	struct id_bundle *b;
	const char *why;
	json_t *root;
	int rc;

	seterr(err, errlen, "%s", "");
	if (out == NULL) {
		return -EINVAL;
	}
	*out = NULL;
	if (spiffe_td_check(td, td_len, &why) < 0) {
		seterr(err, errlen, "%s", why);
		return -EINVAL;
	}
	if (len > ID_BUNDLE_MAX_BYTES) {
		seterr(err, errlen, "bundle larger than %u bytes", ID_BUNDLE_MAX_BYTES);
		return -E2BIG;
	}
	if (json == NULL) {
		seterr(err, errlen, "not JSON: no document");
		return -EBADMSG;
	}
	root = load(json, len, &rc, err, errlen);
	if (root == NULL) {
		return rc;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		rc = -ENOMEM;
		goto out_put_root;
	}
	memcpy(b->td, td, td_len);
	b->td[td_len] = '\0';
	b->td_len = td_len;
	rc = parse_obj(b, root, err, errlen);
	if (rc < 0) {
		id_bundle_free(b);
		goto out_put_root;
	}
	*out = b;
out_put_root:
	json_decref(root);
	return rc;
}

void id_bundle_free(struct id_bundle *b)
{
	uint32_t i;

	if (b == NULL) {
		return;
	}
	for (i = 0; i < b->n_keys; i++) {
		EVP_PKEY_free(b->keys[i].key);
	}
	free(b);
}

const struct id_jwk *id_bundle_find(const struct id_bundle *b, const char *kid, size_t kid_len)
{
	uint32_t i;

	if (b == NULL || kid == NULL) {
		return NULL;
	}
	for (i = 0; i < b->n_keys; i++) {
		if (b->keys[i].kid_len == kid_len && memcmp(b->keys[i].kid, kid, kid_len) == 0) {
			return &b->keys[i];
		}
	}
	return NULL;
}

void id_bundle_set_init(struct id_bundle_set *s)
{
	s->n = 0;
}

/* td_cmp orders trust domains bytewise, a prefix first. */
static int td_cmp(const char *a, size_t a_len, const char *b, size_t b_len)
{
	int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

	if (c != 0) {
		return c;
	}
	return a_len < b_len ? -1 : a_len > b_len;
}

/*
 * lower_bound returns the index of the first bundle of |s| not below |td|;
 * |*found| says whether it is |td|'s.
 */
static uint32_t lower_bound(const struct id_bundle_set *s, const char *td, size_t td_len,
			    bool *found)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (td_cmp(s->b[mid]->td, s->b[mid]->td_len, td, td_len) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	*found = lo < s->n && td_cmp(s->b[lo]->td, s->b[lo]->td_len, td, td_len) == 0;
	return lo;
}

int id_bundle_set_put(struct id_bundle_set *s, struct id_bundle *b)
{
	bool found;
	uint32_t i;

	if (s == NULL || b == NULL) {
		return -EINVAL;
	}
	i = lower_bound(s, b->td, b->td_len, &found);
	if (found) {
		if (s->b[i] != b) {
			id_bundle_free(s->b[i]);
		}
		s->b[i] = b;
		return 0;
	}
	if (s->n == ID_BUNDLE_SET_MAX) {
		return -ENOSPC;
	}
	memmove(&s->b[i + 1], &s->b[i], (s->n - i) * sizeof(s->b[0]));
	s->b[i] = b;
	s->n++;
	return 0;
}

const struct id_bundle *id_bundle_set_get(const struct id_bundle_set *s, const char *td,
					  size_t td_len)
{
	bool found;
	uint32_t i;

	if (s == NULL || td == NULL) {
		return NULL;
	}
	i = lower_bound(s, td, td_len, &found);
	return found ? s->b[i] : NULL;
}

void id_bundle_set_clear(struct id_bundle_set *s)
{
	uint32_t i;

	for (i = 0; i < s->n; i++) {
		id_bundle_free(s->b[i]);
		s->b[i] = NULL;
	}
	s->n = 0;
}

/* map_td parses bundle |v| of trust domain |td| into |s|. 0 or as id_bundle_parse. */
static int map_td(struct id_bundle_set *s, const char *td, const json_t *v, char *err,
		  size_t errlen)
{
	size_t td_len = strlen(td);
	struct id_bundle *b;
	const char *why;
	int rc;

	if (spiffe_td_check(td, td_len, &why) < 0) {
		seterr(err, errlen, "trust domain \"%.*s\": %s", 64, td, why);
		return -EBADMSG;
	}
	if (!json_is_object(v)) {
		seterr(err, errlen, "%s: bundle is not a JSON object", td);
		return -EBADMSG;
	}
	if (s->n == ID_BUNDLE_SET_MAX) {
		seterr(err, errlen, "more than %d trust domains", ID_BUNDLE_SET_MAX);
		return -EBADMSG;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return -ENOMEM;
	}
	memcpy(b->td, td, td_len + 1);
	b->td_len = td_len;
	rc = parse_obj(b, v, err, errlen);
	if (rc < 0) {
		/* prefix the trust domain to the reason parse_obj gave */
		if (err != NULL && errlen != 0) {
			char tmp[160];

			snprintf(tmp, sizeof(tmp), "%s", err);
			seterr(err, errlen, "%s: %s", td, tmp);
		}
		id_bundle_free(b);
		return rc;
	}
	/* Trust domains are unique (JSON_REJECT_DUPLICATES): put never replaces. */
	return id_bundle_set_put(s, b);
}

int id_bundle_map_parse(const uint8_t *json, size_t len, struct id_bundle_set *s, char *err,
			size_t errlen)
{
	json_t *root, *tds, *v;
	const char *td;
	int rc = 0;

	seterr(err, errlen, "%s", "");
	if (s == NULL) {
		return -EINVAL;
	}
	id_bundle_set_clear(s);
	if (len > ID_BUNDLE_MAP_MAX_BYTES) {
		seterr(err, errlen, "bundle map larger than %u bytes", ID_BUNDLE_MAP_MAX_BYTES);
		return -E2BIG;
	}
	if (json == NULL) {
		seterr(err, errlen, "not JSON: no document");
		return -EBADMSG;
	}
	/* JSON_REJECT_DUPLICATES is what refuses a trust domain named twice. */
	root = load(json, len, &rc, err, errlen);
	if (root == NULL) {
		return rc;
	}
	tds = json_object_get(root, "trust_domains");
	if (!json_is_object(tds)) {
		seterr(err, errlen, tds == NULL ? "no \"trust_domains\" member"
						 : "\"trust_domains\" is not an object");
		rc = -EBADMSG;
		goto out_put_root;
	}
	json_object_foreach(tds, td, v) {
		rc = map_td(s, td, v, err, errlen);
		if (rc < 0) {
			id_bundle_set_clear(s);
			goto out_put_root;
		}
	}
out_put_root:
	json_decref(root);
	return rc;
}
