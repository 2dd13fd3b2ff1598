/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/identity/id_jwt.c: tokens minted here with
 * libcrypto (idt_keys.c) for each of the nine algorithms, with and without
 * kid, verified against bundles parsed from the JWKs of the same keys; and
 * for every reason of ID_REASONS but INTERNAL a token that gets exactly it
 * (the last test checks that each one was seen). Boundaries of the clock
 * checks with leeway, the order "signature before claims", and the result.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "id_b64.h"
#include "id_bundle.h"
#include "id_jwt.h"
#include "idt_keys.h"

#define NOW 1700000000ull
#define AUD "slimbridge"
#define SUB "spiffe://example.org/ns/a/sa/w"
/* sub, aud, exp = NOW + 600, iat = NOW - 10 */
#define CLAIMS_OK "{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":1700000600,\"iat\":1699999990}"

static EVP_PKEY *rsa, *rsa_b, *p256, *p384, *p521, *other;
static struct id_bundle_set set;
static bool seen[ID_R_COUNT];
static char tok[4 * ID_TOKEN_MAX];

static const enum id_alg all_algs[] = {
	ID_ALG_RS256, ID_ALG_RS384, ID_ALG_RS512, ID_ALG_PS256, ID_ALG_PS384,
	ID_ALG_PS512, ID_ALG_ES256, ID_ALG_ES384, ID_ALG_ES512,
};

static EVP_PKEY *key_of(enum id_alg a)
{
	switch (a) {
	case ID_ALG_ES256:
		return p256;
	case ID_ALG_ES384:
		return p384;
	case ID_ALG_ES512:
		return p521;
	default:
		return rsa;
	}
}

static const char *kid_of(enum id_alg a)
{
	switch (a) {
	case ID_ALG_ES256:
		return "p256";
	case ID_ALG_ES384:
		return "p384";
	case ID_ALG_ES512:
		return "p521";
	default:
		return "rsa";
	}
}

/* add_bundle parses a bundle of |td| with |n| JWKs (key, kid pairs) into set. */
static int add_bundle(const char *td, int n, ...)
{
	char doc[16384], jwk[4096], err[200];
	struct id_bundle *b = NULL;
	size_t len;
	va_list ap;
	int i;

	len = (size_t)snprintf(doc, sizeof(doc), "{\"keys\":[");
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		EVP_PKEY *k = va_arg(ap, EVP_PKEY *);
		const char *kid = va_arg(ap, const char *);

		if (idt_jwk(k, kid, "jwt-svid", jwk, sizeof(jwk)) < 0) {
			va_end(ap);
			return -1;
		}
		len += (size_t)snprintf(doc + len, sizeof(doc) - len, "%s%s", i ? "," : "", jwk);
	}
	va_end(ap);
	len += (size_t)snprintf(doc + len, sizeof(doc) - len, "]}");
	if (id_bundle_parse(td, strlen(td), (const uint8_t *)doc, len, &b, err, sizeof(err)) != 0 ||
	    b->n_keys != (uint32_t)n) {
		fprintf(stderr, "bundle %s: %s\n", td, err);
		id_bundle_free(b);
		return -1;
	}
	return id_bundle_set_put(&set, b);
}

static int setup(void **state)
{
	(void)state;
	rsa = idt_key_gen(ID_ALG_RS256, 0);
	rsa_b = idt_key_gen(ID_ALG_RS256, 0);
	p256 = idt_key_gen(ID_ALG_ES256, 0);
	p384 = idt_key_gen(ID_ALG_ES384, 0);
	p521 = idt_key_gen(ID_ALG_ES512, 0);
	other = idt_key_gen(ID_ALG_ES256, 0);
	if (!rsa || !rsa_b || !p256 || !p384 || !p521 || !other) {
		return -1;
	}
	id_bundle_set_init(&set);
	if (add_bundle("example.org", 4, rsa, "rsa", p256, "p256", p384, "p384", p521, "p521") ||
	    add_bundle("other.test", 1, other, "o1") || add_bundle("empty.test", 0)) {
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	id_bundle_set_clear(&set);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa_b);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(other);
	return 0;
}

static struct id_jwt_opts opts(void)
{
	return (struct id_jwt_opts){ .audience = AUD, .audience_len = strlen(AUD),
				     .leeway_s = ID_LEEWAY_DEFAULT_S, .now_s = NOW };
}

static enum id_reason verify_o(const struct id_jwt_opts *o, const char *t, size_t len,
			       struct id_jwt_result *res)
{
	enum id_reason r = id_jwt_verify(&set, o, t, len, res);

	assert_true((unsigned)r < ID_R_COUNT);
	seen[r] = true;
	return r;
}

static enum id_reason verify(const char *t)
{
	struct id_jwt_opts o = opts();

	return verify_o(&o, t, strlen(t), NULL);
}

/* hdr: {"alg":..,"kid":..,"typ":"JWT"}, without kid when NULL. */
static const char *hdr(enum id_alg a, const char *kid)
{
	static char h[512];

	if (kid == NULL) {
		snprintf(h, sizeof(h), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", id_alg_name(a));
	} else {
		snprintf(h, sizeof(h), "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
			 id_alg_name(a), kid);
	}
	return h;
}

/* mint signs |h| . |c| with |a|'s key into tok. */
static const char *mint(enum id_alg a, EVP_PKEY *k, const char *h, const char *c)
{
	int n = idt_sign(a, k, h, c, tok, sizeof(tok));

	assert_true(n > 0);
	return tok;
}

/* claims with the usual sub and aud and these times (-1: absent). */
static const char *claims_t(long long exp, long long nbf, long long iat)
{
	static char c[512];
	int n;

	n = snprintf(c, sizeof(c), "{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\"");
	if (exp >= 0) {
		n += snprintf(c + n, sizeof(c) - (size_t)n, ",\"exp\":%lld", exp);
	}
	if (nbf >= 0) {
		n += snprintf(c + n, sizeof(c) - (size_t)n, ",\"nbf\":%lld", nbf);
	}
	if (iat >= 0) {
		n += snprintf(c + n, sizeof(c) - (size_t)n, ",\"iat\":%lld", iat);
	}
	snprintf(c + n, sizeof(c) - (size_t)n, "}");
	return c;
}

/* expect: mint (ES256, kid p256) with header |h| and claims |c|, expect |r|. */
static void expect(const char *h, const char *c, enum id_reason r)
{
	assert_string_equal(id_reason_name(verify(mint(ID_ALG_ES256, p256, h, c))),
			    id_reason_name(r));
}

/* parts: "b64(h).b64(c).sig" by hand, for tokens whose signature never matters. */
static const char *parts(const char *h, const char *c, const char *sig)
{
	char a[4096], b[8192];

	assert_true(idt_b64(h, a, sizeof(a)) >= 0);
	assert_true(idt_b64(c, b, sizeof(b)) >= 0);
	snprintf(tok, sizeof(tok), "%s.%s.%s", a, b, sig);
	return tok;
}

#define R(x) id_reason_name(ID_R_##x)
#define EXPECT_TOK(t, x) assert_string_equal(id_reason_name(verify(t)), R(x))

static void test_reason_tables(void **state)
{
	(void)state;
	assert_string_equal(id_reason_name(ID_R_OK), "OK");
	assert_string_equal(id_reason_str(ID_R_OK), "ok");
	assert_string_equal(id_reason_name(ID_R_SIGNATURE), "SIGNATURE");
	assert_string_equal(id_reason_str(ID_R_SIGNATURE), "bad signature");
	assert_string_equal(id_reason_str(ID_R_EXPIRED), "token expired");
	assert_string_equal(id_reason_name(ID_R_INTERNAL), "INTERNAL");
	for (int r = 0; r < ID_R_COUNT; r++) {
		assert_non_null(id_reason_str((enum id_reason)r));
		assert_true(strlen(id_reason_name((enum id_reason)r)) > 1);
		for (int q = 0; q < r; q++) {
			assert_string_not_equal(id_reason_str((enum id_reason)r),
						id_reason_str((enum id_reason)q));
		}
	}
	assert_string_equal(id_reason_str(ID_R_COUNT), "?");
	assert_string_equal(id_reason_name((enum id_reason)-1), "?");
}

static void test_every_alg(void **state)
{
	struct id_jwt_opts o = opts();
	struct id_jwt_result res;

	(void)state;
	for (size_t i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++) {
		enum id_alg a = all_algs[i];

		memset(&res, 0xa5, sizeof(res));
		mint(a, key_of(a), hdr(a, kid_of(a)), CLAIMS_OK);
		assert_string_equal(R(OK), id_reason_name(verify_o(&o, tok, strlen(tok), &res)));
		assert_string_equal(res.id, SUB);
		assert_int_equal(res.id_len, strlen(SUB));
		assert_int_equal(res.td_len, strlen("example.org"));
		assert_memory_equal(res.id + 9, "example.org", res.td_len);
		assert_int_equal(res.exp, NOW + 600);
		assert_int_equal(res.alg, a);
		assert_string_equal(res.kid, kid_of(a));
		/* without kid: the keys of alg's type are tried */
		memset(&res, 0xa5, sizeof(res));
		mint(a, key_of(a), hdr(a, NULL), CLAIMS_OK);
		assert_string_equal(R(OK), id_reason_name(verify_o(&o, tok, strlen(tok), &res)));
		assert_string_equal(res.kid, "");
		assert_string_equal(res.id, SUB);
		/* and a NULL result is fine */
		assert_int_equal(id_jwt_verify(&set, &o, tok, strlen(tok), NULL), ID_R_OK);
	}
}

static void test_header_variants_accepted(void **state)
{
	(void)state;
	expect("{\"alg\":\"ES256\",\"kid\":\"p256\"}", CLAIMS_OK, ID_R_OK);
	expect("{\"typ\":\"JOSE\",\"alg\":\"ES256\",\"kid\":\"p256\"}", CLAIMS_OK, ID_R_OK);
	expect(" { \"alg\" : \"ES256\" } ", CLAIMS_OK, ID_R_OK);
	/* other claims are allowed (and ignored) */
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":1700000600,\"iss\":\"x\","
	       "\"jti\":\"1\",\"nested\":{\"a\":[1,{\"b\":[2,[3,[4,[5]]]]}]}}",
	       ID_R_OK);
}

static void test_too_large(void **state)
{
	struct id_jwt_opts o = opts();

	(void)state;
	memset(tok, 'a', ID_TOKEN_MAX + 1);
	assert_string_equal(R(TOO_LARGE), id_reason_name(verify_o(&o, tok, ID_TOKEN_MAX + 1,
								   NULL)));
	assert_string_equal(R(MALFORMED), id_reason_name(verify_o(&o, tok, ID_TOKEN_MAX, NULL)));
	/* a real token made too large by a claim */
	{
		static char c[ID_TOKEN_MAX];
		int n = snprintf(c, sizeof(c), "{\"sub\":\"" SUB "\",\"aud\":\"" AUD
				 "\",\"exp\":1700000600,\"pad\":\"");

		memset(c + n, 'x', 6200);
		strcpy(c + n + 6200, "\"}");
		size_t pad = 6200;

		mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), c);
		assert_true(strlen(tok) > ID_TOKEN_MAX);
		EXPECT_TOK(tok, TOO_LARGE);
		/* the largest token is looked at: shorten the pad until it fits */
		while (strlen(tok) > ID_TOKEN_MAX) {
			pad--;
			strcpy(c + n + pad, "\"}");
			mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), c);
		}
		assert_true(strlen(tok) > ID_TOKEN_MAX - 4);
		EXPECT_TOK(tok, OK);
	}
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "..", "...",
		"{\"payload\":\"e30\",\"protected\":\"e30\",\"signature\":\"AA\"}",
		"{\"a\":\"b.c.d\"}",
	};
	struct id_jwt_opts o = opts();

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_TOK(bad[i], MALFORMED);
	}
	assert_int_equal(id_jwt_verify(&set, &o, NULL, 0, NULL), ID_R_MALFORMED);
	/* a valid token with a fourth part */
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), CLAIMS_OK);
	strcat(tok, ".AAAA");
	EXPECT_TOK(tok, MALFORMED);
}

static void test_base64(void **state)
{
	char t[ID_TOKEN_MAX], *d1, *d2;
	size_t len;

	(void)state;
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), CLAIMS_OK);
	strcpy(t, tok);
	len = strlen(t);
	d1 = strchr(t, '.');
	d2 = strchr(d1 + 1, '.');
	/* a character outside the alphabet in each part */
	char *at[] = { t + 1, d1 + 2, d2 + 2 };

	for (size_t i = 0; i < 3; i++) {
		for (const char *c = "+/= \n\"%\x80"; *c; c++) {
			char save = *at[i];

			*at[i] = *c;
			EXPECT_TOK(t, BASE64);
			*at[i] = save;
		}
	}
	EXPECT_TOK(t, OK);
	/* padding appended to the signature (86 characters: 2 mod 4) */
	assert_int_equal((len - (size_t)(d2 + 1 - t)) % 4, 2);
	strcpy(tok, t);
	strcat(tok, "==");
	EXPECT_TOK(tok, BASE64);
	/* a part of length 1 mod 4 */
	EXPECT_TOK(parts("{\"alg\":\"ES256\"}", CLAIMS_OK, "A"), BASE64);
	EXPECT_TOK(parts("{\"alg\":\"ES256\"}", CLAIMS_OK, "AAAAA"), BASE64);
	/* non-canonical trailing bits: the same bytes under another encoding */
	{
		char h[64], c[512];

		assert_true(idt_b64("{\"alg\":\"ES256\" }", h, sizeof(h)) > 0);
		assert_true(idt_b64(CLAIMS_OK, c, sizeof(c)) > 0);
		/* 16 bytes are 22 characters: the last one carries 4 unused bits */
		assert_int_equal(strlen(h) % 4, 2);
		h[strlen(h) - 1] = (char)(h[strlen(h) - 1] + 1);
		snprintf(tok, sizeof(tok), "%s.%s.AAAA", h, c);
		EXPECT_TOK(tok, BASE64);
	}
}

static void test_json(void **state)
{
	static char deep[512];

	(void)state;
	EXPECT_TOK(parts("{\"alg\":\"ES256\",", CLAIMS_OK, "AAAA"), JSON);
	EXPECT_TOK(parts("[\"ES256\"]", CLAIMS_OK, "AAAA"), JSON);
	EXPECT_TOK(parts("\"ES256\"", CLAIMS_OK, "AAAA"), JSON);
	EXPECT_TOK(parts("{\"alg\":\"ES256\"} x", CLAIMS_OK, "AAAA"), JSON);
	EXPECT_TOK(parts("{\"alg\":\"ES256\",\"alg\":\"RS256\"}", CLAIMS_OK, "AAAA"), JSON);
	EXPECT_TOK(parts("{\"alg\":\"ES\\u0000256\"}", CLAIMS_OK, "AAAA"), JSON);
	EXPECT_TOK(parts("{\"alg\":\"ES256\"}", "{\"sub\":", "AAAA"), JSON);
	EXPECT_TOK(parts("{\"alg\":\"ES256\"}", "1700000000", "AAAA"), JSON);
	EXPECT_TOK(parts("{\"alg\":\"ES256\"}", "", "AAAA"), MALFORMED);
	EXPECT_TOK(parts("{\"alg\":\"ES256\"}", "{\"sub\":\"a\",\"sub\":\"b\"}", "AAAA"), JSON);
	/* invalid UTF-8 */
	EXPECT_TOK(parts("{\"alg\":\"ES256\",\"kid\":\"\xff\"}", CLAIMS_OK, "AAAA"), JSON);
	/* ID_JSON_MAX_DEPTH: the claims object and 7 arrays pass, 8 do not */
	snprintf(deep, sizeof(deep), "{\"sub\":\"" SUB "\",\"aud\":\"" AUD
		 "\",\"exp\":1700000600,\"d\":[[[[[[[1]]]]]]]}");
	expect(hdr(ID_ALG_ES256, "p256"), deep, ID_R_OK);
	snprintf(deep, sizeof(deep), "{\"sub\":\"" SUB "\",\"aud\":\"" AUD
		 "\",\"exp\":1700000600,\"d\":[[[[[[[[1]]]]]]]]}");
	expect(hdr(ID_ALG_ES256, "p256"), deep, ID_R_JSON);
	snprintf(deep, sizeof(deep), "{\"sub\":\"" SUB "\",\"aud\":\"" AUD
		 "\",\"exp\":1700000600,\"d\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{}}}}}}}}}");
	expect(hdr(ID_ALG_ES256, "p256"), deep, ID_R_JSON);
	EXPECT_TOK(parts("{\"alg\":\"ES256\",\"x\":[[[[[[[[1]]]]]]]]}", CLAIMS_OK, "AAAA"), JSON);
}

static void test_header_params(void **state)
{
	static const char *const extra[] = {
		"\"jku\":\"https://evil.test/jwks\"", "\"jwk\":{\"kty\":\"EC\"}",
		"\"x5u\":\"https://evil.test/c\"", "\"x5c\":[\"MIIB\"]", "\"crit\":[\"exp\"]",
		"\"cty\":\"JWT\"", "\"b64\":false", "\"ALG\":\"ES256\"", "\"zip\":\"DEF\"",
		"\"enc\":\"A128GCM\"", "\"x5t\":\"AA\"", "\"\":1",
	};
	char h[256];

	(void)state;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		snprintf(h, sizeof(h), "{\"alg\":\"ES256\",\"kid\":\"p256\",%s}", extra[i]);
		expect(h, CLAIMS_OK, ID_R_HEADER);
	}
}

static void test_alg(void **state)
{
	static const char *const algs[] = {
		"\"none\"", "\"None\"", "\"HS256\"", "\"HS384\"", "\"HS512\"", "\"EdDSA\"",
		"\"ES256K\"", "\"es256\"", "\"RS1\"", "\"\"", "\"ES256 \"", "256", "null",
		"[\"ES256\"]",
	};
	char h[256];

	(void)state;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		snprintf(h, sizeof(h), "{\"alg\":%s,\"kid\":\"p256\"}", algs[i]);
		expect(h, CLAIMS_OK, ID_R_ALG);
	}
	expect("{\"kid\":\"p256\"}", CLAIMS_OK, ID_R_ALG);
	expect("{}", CLAIMS_OK, ID_R_ALG);
	/* alg none with the empty signature an unsecured JWS has */
	EXPECT_TOK(parts("{\"alg\":\"none\"}", CLAIMS_OK, ""), MALFORMED);
}

static void test_typ(void **state)
{
	static const char *const typs[] = {
		"\"at+jwt\"", "\"jwt\"", "\"JWS\"", "\"\"", "\"JWT \"", "\"application/jwt\"",
		"1", "null", "[\"JWT\"]",
	};
	char h[256];

	(void)state;
	for (size_t i = 0; i < sizeof(typs) / sizeof(typs[0]); i++) {
		snprintf(h, sizeof(h), "{\"alg\":\"ES256\",\"kid\":\"p256\",\"typ\":%s}", typs[i]);
		expect(h, CLAIMS_OK, ID_R_TYP);
	}
}

static void test_kid(void **state)
{
	char h[512], k[ID_KID_MAX + 2];

	(void)state;
	expect("{\"alg\":\"ES256\",\"kid\":\"\"}", CLAIMS_OK, ID_R_KID);
	expect("{\"alg\":\"ES256\",\"kid\":7}", CLAIMS_OK, ID_R_KID);
	expect("{\"alg\":\"ES256\",\"kid\":null}", CLAIMS_OK, ID_R_KID);
	memset(k, 'k', sizeof(k));
	k[ID_KID_MAX + 1] = '\0';
	snprintf(h, sizeof(h), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", k);
	expect(h, CLAIMS_OK, ID_R_KID);
	k[ID_KID_MAX] = '\0';
	snprintf(h, sizeof(h), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", k);
	expect(h, CLAIMS_OK, ID_R_UNKNOWN_KID);
}

static void test_claims(void **state)
{
	static const char *const bad[] = {
		"{\"aud\":\"" AUD "\",\"exp\":1700000600}",
		"{\"sub\":5,\"aud\":\"" AUD "\",\"exp\":1700000600}",
		"{\"sub\":null,\"aud\":\"" AUD "\",\"exp\":1700000600}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\"}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":1700000600.0}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":1.7e9}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":\"1700000600\"}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":-1}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":true}",
		"{\"sub\":\"" SUB "\",\"exp\":1700000600}",
		"{\"sub\":\"" SUB "\",\"aud\":[],\"exp\":1700000600}",
		"{\"sub\":\"" SUB "\",\"aud\":[\"" AUD "\",1],\"exp\":1700000600}",
		"{\"sub\":\"" SUB "\",\"aud\":5,\"exp\":1700000600}",
		"{\"sub\":\"" SUB "\",\"aud\":null,\"exp\":1700000600}",
		"{\"sub\":\"" SUB "\",\"aud\":{\"a\":\"" AUD "\"},\"exp\":1700000600}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":1700000600,\"nbf\":1.5}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":1700000600,\"nbf\":\"0\"}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":1700000600,\"iat\":-5}",
		"{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":1700000600,\"iat\":null}",
		/* beyond int64: jansson refuses the number, so the JSON */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect(hdr(ID_ALG_ES256, "p256"), bad[i], ID_R_CLAIMS);
	}
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":\"" AUD "\",\"exp\":99999999999999999999}", ID_R_JSON);
}

static void test_sub(void **state)
{
	static const char *const subs[] = {
		"", "https://example.org/w", "spiffe://", "spiffe:///w", "spiffe://Example.org/w",
		"Spiffe://example.org/w", "spiffe://example.org/", "spiffe://example.org//w",
		"spiffe://example.org/a/../b", "spiffe://example.org/w?x=1", "spiffe://u@example.org",
		"spiffe://example.org:443/w", "spiffe://example.org/%41",
	};
	char c[512];

	(void)state;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(c, sizeof(c), "{\"sub\":\"%s\",\"aud\":\"" AUD "\",\"exp\":1700000600}",
			 subs[i]);
		expect(hdr(ID_ALG_ES256, "p256"), c, ID_R_SUB);
	}
	/* the trust domain alone is a valid SPIFFE ID */
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"spiffe://example.org\",\"aud\":\"" AUD "\",\"exp\":1700000600}", ID_R_OK);
}

static void test_trust_domain(void **state)
{
	struct id_jwt_opts o = opts();

	(void)state;
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), CLAIMS_OK);
	o.trust_domain = "other.test";
	o.trust_domain_len = strlen(o.trust_domain);
	assert_string_equal(R(TRUST_DOMAIN), id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
	o.trust_domain = "example.org";
	o.trust_domain_len = strlen(o.trust_domain);
	assert_string_equal(R(OK), id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
	/* a prefix is not the trust domain */
	o.trust_domain_len = strlen("example.or");
	assert_string_equal(R(TRUST_DOMAIN), id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
}

static void test_no_bundle(void **state)
{
	(void)state;
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"spiffe://nobundle.test/w\",\"aud\":\"" AUD "\",\"exp\":1700000600}",
	       ID_R_NO_BUNDLE);
	/* example.org's key, other.test's subject: only other.test's bundle counts */
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"spiffe://other.test/w\",\"aud\":\"" AUD "\",\"exp\":1700000600}",
	       ID_R_UNKNOWN_KID);
	expect(hdr(ID_ALG_ES256, NULL),
	       "{\"sub\":\"spiffe://other.test/w\",\"aud\":\"" AUD "\",\"exp\":1700000600}",
	       ID_R_SIGNATURE);
}

static void test_unknown_kid(void **state)
{
	(void)state;
	expect(hdr(ID_ALG_ES256, "nope"), CLAIMS_OK, ID_R_UNKNOWN_KID);
	expect(hdr(ID_ALG_ES256, "P256"), CLAIMS_OK, ID_R_UNKNOWN_KID);
	expect(hdr(ID_ALG_ES256, "p256 "), CLAIMS_OK, ID_R_UNKNOWN_KID);
	/* the empty bundle trusts nothing */
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"spiffe://empty.test/w\",\"aud\":\"" AUD "\",\"exp\":1700000600}",
	       ID_R_UNKNOWN_KID);
}

static void test_no_key(void **state)
{
	(void)state;
	/* other.test has a P-256 key only */
	assert_string_equal(R(NO_KEY), id_reason_name(verify(mint(ID_ALG_ES384, p384,
		hdr(ID_ALG_ES384, NULL),
		"{\"sub\":\"spiffe://other.test/w\",\"aud\":\"" AUD "\",\"exp\":1700000600}"))));
	assert_string_equal(R(NO_KEY), id_reason_name(verify(mint(ID_ALG_RS256, rsa,
		hdr(ID_ALG_RS256, NULL),
		"{\"sub\":\"spiffe://other.test/w\",\"aud\":\"" AUD "\",\"exp\":1700000600}"))));
	expect(hdr(ID_ALG_ES256, NULL),
	       "{\"sub\":\"spiffe://empty.test/w\",\"aud\":\"" AUD "\",\"exp\":1700000600}",
	       ID_R_NO_KEY);
}

static void test_key_mismatch(void **state)
{
	(void)state;
	/* signed with the alg's own kind of key, but kid names another kind */
	EXPECT_TOK(mint(ID_ALG_RS256, rsa, hdr(ID_ALG_RS256, "p256"), CLAIMS_OK), KEY_MISMATCH);
	EXPECT_TOK(mint(ID_ALG_PS512, rsa, hdr(ID_ALG_PS512, "p521"), CLAIMS_OK), KEY_MISMATCH);
	EXPECT_TOK(mint(ID_ALG_ES384, p384, hdr(ID_ALG_ES384, "p256"), CLAIMS_OK), KEY_MISMATCH);
	EXPECT_TOK(mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p384"), CLAIMS_OK), KEY_MISMATCH);
	EXPECT_TOK(mint(ID_ALG_ES512, p521, hdr(ID_ALG_ES512, "rsa"), CLAIMS_OK), KEY_MISMATCH);
}

/* flip one bit of the decoded signature of tok and re-encode it */
static void flip_sig(size_t byte)
{
	char *d = strrchr(tok, '.') + 1;
	uint8_t sig[1100];
	ssize_t n = id_b64url_decode(d, strlen(d), sig, sizeof(sig));

	assert_true(n > (ssize_t)byte);
	sig[byte] ^= 0x01;
	assert_true(id_b64url_encode(sig, (size_t)n, d, sizeof(tok) - (size_t)(d - tok)) > 0);
}

/* make the decoded signature of tok |delta| bytes longer (a zero byte) or shorter */
static void resize_sig(int delta)
{
	char *d = strrchr(tok, '.') + 1;
	uint8_t sig[1100];
	ssize_t n = id_b64url_decode(d, strlen(d), sig, sizeof(sig) - 1);

	assert_true(n > 1);
	sig[n] = 0;
	assert_true(id_b64url_encode(sig, (size_t)(n + delta), d,
				     sizeof(tok) - (size_t)(d - tok)) > 0);
}

static void test_signature(void **state)
{
	char sig[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++) {
		enum id_alg a = all_algs[i];
		char *d;

		/* a flipped bit at the start and at the end of the signature */
		mint(a, key_of(a), hdr(a, kid_of(a)), CLAIMS_OK);
		flip_sig(0);
		EXPECT_TOK(tok, SIGNATURE);
		mint(a, key_of(a), hdr(a, kid_of(a)), CLAIMS_OK);
		flip_sig(a >= ID_ALG_ES256 && a <= ID_ALG_ES512 ? 2 * (a == ID_ALG_ES256 ? 32
			 : a == ID_ALG_ES384 ? 48 : 66) - 1 : 255);
		EXPECT_TOK(tok, SIGNATURE);
		/* without kid too */
		mint(a, key_of(a), hdr(a, NULL), CLAIMS_OK);
		flip_sig(3);
		EXPECT_TOK(tok, SIGNATURE);
		/* the signature of another token */
		mint(a, key_of(a), hdr(a, kid_of(a)),
		     "{\"sub\":\"spiffe://example.org/x\",\"aud\":\"" AUD "\",\"exp\":1700000600}");
		d = strrchr(tok, '.');
		strcpy(sig, d);
		mint(a, key_of(a), hdr(a, kid_of(a)), CLAIMS_OK);
		strcpy(strrchr(tok, '.'), sig);
		EXPECT_TOK(tok, SIGNATURE);
		/* one byte short, one byte too many */
		mint(a, key_of(a), hdr(a, kid_of(a)), CLAIMS_OK);
		resize_sig(-1);
		EXPECT_TOK(tok, SIGNATURE);
		mint(a, key_of(a), hdr(a, kid_of(a)), CLAIMS_OK);
		resize_sig(1);
		EXPECT_TOK(tok, SIGNATURE);
		mint(a, key_of(a), hdr(a, kid_of(a)), CLAIMS_OK);
		resize_sig(0);
		EXPECT_TOK(tok, OK);
	}
	/* the same kid, another key */
	EXPECT_TOK(mint(ID_ALG_RS256, rsa_b, hdr(ID_ALG_RS256, "rsa"), CLAIMS_OK), SIGNATURE);
	EXPECT_TOK(mint(ID_ALG_RS256, rsa_b, hdr(ID_ALG_RS256, NULL), CLAIMS_OK), SIGNATURE);
	EXPECT_TOK(mint(ID_ALG_ES256, other, hdr(ID_ALG_ES256, "p256"), CLAIMS_OK), SIGNATURE);
	/* ES r = s = 0; a signature longer than ID_SIG_MAX */
	{
		uint8_t z[ID_SIG_MAX + 3];
		char zs[2 * sizeof(z)];

		memset(z, 0, sizeof(z));
		assert_true(id_b64url_encode(z, 64, zs, sizeof(zs)) > 0);
		EXPECT_TOK(parts(hdr(ID_ALG_ES256, "p256"), CLAIMS_OK, zs), SIGNATURE);
		assert_true(id_b64url_encode(z, sizeof(z), zs, sizeof(zs)) > 0);
		EXPECT_TOK(parts(hdr(ID_ALG_RS256, "rsa"), CLAIMS_OK, zs), SIGNATURE);
	}
	/* the signature is checked before the claims: a forged expired token
	 * with a wrong audience is "bad signature", not what its claims say */
	mint(ID_ALG_ES256, other, hdr(ID_ALG_ES256, "p256"),
	     "{\"sub\":\"" SUB "\",\"aud\":\"x\",\"exp\":1,\"nbf\":9999999999}");
	EXPECT_TOK(tok, SIGNATURE);
	/* a header re-encoded differently (same JSON) breaks the signature */
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), CLAIMS_OK);
	sig[0] = '\0';
	strcpy(sig, strchr(tok, '.'));
	{
		char h[256];

		assert_true(idt_b64(" {\"alg\":\"ES256\",\"kid\":\"p256\",\"typ\":\"JWT\"}", h,
				    sizeof(h)) > 0);
		snprintf(tok, sizeof(tok), "%s%s", h, sig);
		EXPECT_TOK(tok, SIGNATURE);
	}
}

static void test_expired(void **state)
{
	struct id_jwt_opts o = opts();

	(void)state;
	/* exp + leeway <= now: expired */
	expect(hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW - 60, -1, -1), ID_R_EXPIRED);
	expect(hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW - 59, -1, -1), ID_R_OK);
	expect(hdr(ID_ALG_ES256, "p256"), claims_t(0, -1, -1), ID_R_EXPIRED);
	o.leeway_s = 0;
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW, -1, -1));
	assert_string_equal(R(EXPIRED), id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW + 1, -1, -1));
	assert_string_equal(R(OK), id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
	/* the largest exp jansson reads */
	expect(hdr(ID_ALG_ES256, "p256"), claims_t(INT64_MAX, -1, -1), ID_R_OK);
}

static void test_not_yet_valid(void **state)
{
	struct id_jwt_opts o = opts();

	(void)state;
	expect(hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW + 600, (long long)NOW + 61, -1),
	       ID_R_NOT_YET_VALID);
	expect(hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW + 600, (long long)NOW + 60, -1),
	       ID_R_OK);
	expect(hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW + 600, -1, (long long)NOW + 61),
	       ID_R_NOT_YET_VALID);
	expect(hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW + 600, -1, (long long)NOW + 60),
	       ID_R_OK);
	expect(hdr(ID_ALG_ES256, "p256"), claims_t((long long)NOW + 600, 0, 0), ID_R_OK);
	/* expired wins over not yet valid (exp is checked first) */
	expect(hdr(ID_ALG_ES256, "p256"), claims_t(1, (long long)NOW + 999, -1), ID_R_EXPIRED);
	/* a clock near the end of time: now + leeway must not wrap */
	o.now_s = UINT64_MAX - 10;
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), claims_t(INT64_MAX, INT64_MAX, -1));
	assert_string_equal(R(EXPIRED), id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
}

static void test_audience(void **state)
{
	struct id_jwt_opts o = opts();
	char big[ID_AUDIENCE_MAX + 2];

	(void)state;
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":\"other\",\"exp\":1700000600}", ID_R_AUDIENCE);
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":\"SLIMBRIDGE\",\"exp\":1700000600}", ID_R_AUDIENCE);
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":\"slimbridg\",\"exp\":1700000600}", ID_R_AUDIENCE);
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":\"slimbridge2\",\"exp\":1700000600}", ID_R_AUDIENCE);
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":\"\",\"exp\":1700000600}", ID_R_AUDIENCE);
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":[\"a\",\"b\"],\"exp\":1700000600}", ID_R_AUDIENCE);
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":[\"a\",\"" AUD "\"],\"exp\":1700000600}", ID_R_OK);
	expect(hdr(ID_ALG_ES256, "p256"),
	       "{\"sub\":\"" SUB "\",\"aud\":[\"" AUD "\"],\"exp\":1700000600}", ID_R_OK);
	/* our audience unset, or longer than we compare: nothing matches */
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), CLAIMS_OK);
	o.audience = NULL;
	o.audience_len = 0;
	assert_string_equal(R(AUDIENCE), id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
	memset(big, 'a', sizeof(big));
	big[ID_AUDIENCE_MAX + 1] = '\0';
	o.audience = big;
	o.audience_len = ID_AUDIENCE_MAX + 1;
	{
		char c[1024];

		snprintf(c, sizeof(c), "{\"sub\":\"" SUB "\",\"aud\":\"%s\",\"exp\":1700000600}",
			 big);
		mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), c);
		assert_string_equal(R(AUDIENCE),
				    id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
		big[ID_AUDIENCE_MAX] = '\0';
		o.audience_len = ID_AUDIENCE_MAX;
		snprintf(c, sizeof(c), "{\"sub\":\"" SUB "\",\"aud\":\"%s\",\"exp\":1700000600}",
			 big);
		mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), c);
		assert_string_equal(R(OK), id_reason_name(verify_o(&o, tok, strlen(tok), NULL)));
	}
}

static void test_bad_args(void **state)
{
	struct id_jwt_opts o = opts();

	(void)state;
	mint(ID_ALG_ES256, p256, hdr(ID_ALG_ES256, "p256"), CLAIMS_OK);
	assert_int_equal(id_jwt_verify(NULL, &o, tok, strlen(tok), NULL), ID_R_INTERNAL);
	assert_int_equal(id_jwt_verify(&set, NULL, tok, strlen(tok), NULL), ID_R_INTERNAL);
	/* an embedded NUL is just a byte that is not base64url */
	tok[5] = '\0';
	assert_int_equal(id_jwt_verify(&set, &o, tok, strlen(tok + 6) + 6, NULL), ID_R_BASE64);
}

/* Runs last: every reason but INTERNAL came out of some test above. */
static void test_every_reason_reached(void **state)
{
	(void)state;
	for (int r = 0; r < ID_R_COUNT; r++) {
		if (r == ID_R_INTERNAL) {
			continue;
		}
		if (!seen[r]) {
			fail_msg("reason %s never returned", id_reason_name((enum id_reason)r));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_tables),
		cmocka_unit_test(test_every_alg),
		cmocka_unit_test(test_header_variants_accepted),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_header_params),
		cmocka_unit_test(test_alg),
		cmocka_unit_test(test_typ),
		cmocka_unit_test(test_kid),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_trust_domain),
		cmocka_unit_test(test_no_bundle),
		cmocka_unit_test(test_unknown_kid),
		cmocka_unit_test(test_no_key),
		cmocka_unit_test(test_key_mismatch),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_not_yet_valid),
		cmocka_unit_test(test_audience),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_every_reason_reached),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
