/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/identity/id_bundle.c: bundles made of RSA and EC
 * keys generated here and exported as JWKs (idt_keys.c); the JWKs the spec
 * says to skip (use, kid, kty, key material) and the documents it says to
 * refuse (no keys, duplicate names, wrong types, size, depth, two keys with
 * one kid); sequence and refresh hint; keys_digest changing exactly when
 * the keys do; sets (sorted, put, replace, get) and bundle maps.
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
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "id_bundle.h"
#include "idt_keys.h"

static EVP_PKEY *rsa, *rsa1024, *p256, *p256b, *p384, *p521;
static char err[256];

static int setup(void **state)
{
	(void)state;
	rsa = idt_key_gen(ID_ALG_RS256, 0);
	rsa1024 = idt_key_gen(ID_ALG_RS256, 1024);
	p256 = idt_key_gen(ID_ALG_ES256, 0);
	p256b = idt_key_gen(ID_ALG_ES256, 0);
	p384 = idt_key_gen(ID_ALG_ES384, 0);
	p521 = idt_key_gen(ID_ALG_ES512, 0);
	return rsa && rsa1024 && p256 && p256b && p384 && p521 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p256b);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p521);
	return 0;
}

/* jwk: the JWK of |k| in one of four static buffers (so several can be used at once). */
static const char *jwk(const EVP_PKEY *k, const char *kid, const char *use)
{
	static char buf[8][2048];
	static int i;
	char *b = buf[i++ % 8];

	assert_true(idt_jwk(k, kid, use, b, sizeof(buf[0])) > 0);
	return b;
}

static int parse(const char *doc, struct id_bundle **b)
{
	return id_bundle_parse("example.org", 11, (const uint8_t *)doc, strlen(doc), b, err,
			       sizeof(err));
}

/* parse_ok: |doc| is a valid bundle; returns it. */
static struct id_bundle *parse_ok(const char *doc)
{
	struct id_bundle *b = NULL;
	int rc = parse(doc, &b);

	if (rc != 0) {
		fail_msg("refused (%d: %s): %.200s", rc, err, doc);
	}
	assert_non_null(b);
	return b;
}

static void parse_bad(const char *doc, int want)
{
	struct id_bundle *b = (struct id_bundle *)&b;
	int rc = parse(doc, &b);

	if (rc != want) {
		fail_msg("got %d, not %d: %.200s", rc, want, doc);
	}
	assert_null(b);
	assert_true(strlen(err) > 0);
}

static void test_valid(void **state)
{
	char doc[8192];
	struct id_bundle *b;

	(void)state;
	snprintf(doc, sizeof(doc),
		 "{\"spiffe_sequence\":42,\"spiffe_refresh_hint\":300,\"other\":{\"x\":[1]},"
		 "\"keys\":[%s,%s,%s,%s]}",
		 jwk(rsa, "r1", "jwt-svid"), jwk(p256, "e1", "jwt-svid"),
		 jwk(p384, "e2", "jwt-svid"), jwk(p521, "e3", "jwt-svid"));
	b = parse_ok(doc);
	assert_string_equal(b->td, "example.org");
	assert_int_equal(b->td_len, 11);
	assert_true(b->has_sequence);
	assert_int_equal(b->sequence, 42);
	assert_true(b->has_refresh_hint);
	assert_int_equal(b->refresh_hint_s, 300);
	assert_int_equal(b->n_keys, 4);
	assert_int_equal(b->n_ignored, 0);
	assert_string_equal(b->ignored_why, "");
	assert_string_equal(b->keys[0].kid, "r1");
	assert_int_equal(b->keys[0].kid_len, 2);
	assert_int_equal(b->keys[0].kty, ID_KTY_RSA);
	assert_int_equal(b->keys[0].curve_nid, 0);
	assert_int_equal(b->keys[1].kty, ID_KTY_EC);
	assert_int_equal(b->keys[1].curve_nid, NID_X9_62_prime256v1);
	assert_int_equal(b->keys[2].curve_nid, NID_secp384r1);
	assert_int_equal(b->keys[3].curve_nid, NID_secp521r1);
	assert_string_equal(b->keys[3].kid, "e3");
	/* the keys are the generated ones */
	assert_int_equal(EVP_PKEY_eq(b->keys[0].key, rsa), 1);
	assert_int_equal(EVP_PKEY_eq(b->keys[1].key, p256), 1);
	assert_int_equal(EVP_PKEY_eq(b->keys[2].key, p384), 1);
	assert_int_equal(EVP_PKEY_eq(b->keys[3].key, p521), 1);
	assert_true(id_sig_key_matches(ID_ALG_PS256, b->keys[0].key));
	assert_true(id_sig_key_matches(ID_ALG_ES256, b->keys[1].key));
	assert_true(id_sig_key_matches(ID_ALG_ES384, b->keys[2].key));
	assert_true(id_sig_key_matches(ID_ALG_ES512, b->keys[3].key));
	assert_ptr_equal(id_bundle_find(b, "e2", 2), &b->keys[2]);
	assert_ptr_equal(id_bundle_find(b, "r1", 2), &b->keys[0]);
	assert_null(id_bundle_find(b, "e", 1));
	assert_null(id_bundle_find(b, "e22", 3));
	assert_null(id_bundle_find(b, "E2", 2));
	assert_null(id_bundle_find(NULL, "e2", 2));
	id_bundle_free(b);
	id_bundle_free(NULL);
}

static void test_ignored(void **state)
{
	static char own[7][2048];
	char bad_point[2048], short_x[2048], crv[2048], doc[8192];
	const char *ignored[20];
	struct id_bundle *b;
	size_t n = 0;
	char *x;

	(void)state;
	/* jwk()'s buffers are reused: keep copies */
	strcpy(own[0], jwk(p256, "k", "x509-svid"));
	strcpy(own[1], jwk(p256, "k", NULL));
	strcpy(own[2], jwk(p256, "k", "JWT-SVID"));
	strcpy(own[3], jwk(p256, "k", "wit-svid"));
	strcpy(own[4], jwk(p256, NULL, "jwt-svid"));
	strcpy(own[5], jwk(p256, "", "jwt-svid"));
	strcpy(own[6], jwk(rsa1024, "k", "jwt-svid"));
	for (int i = 0; i < 7; i++) {
		ignored[n++] = own[i];
	}
	ignored[n++] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"use\":\"jwt-svid\",\"kid\":\"k\"}";
	ignored[n++] = "{\"kty\":\"oct\",\"k\":\"AAAA\",\"use\":\"jwt-svid\",\"kid\":\"k\"}";
	ignored[n++] = "{\"use\":\"jwt-svid\",\"kid\":\"k\"}";
	ignored[n++] = "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"use\":\"jwt-svid\",\"kid\":\"k\"}";
	ignored[n++] = "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"use\":\"jwt-svid\",\"kid\":\"k\"}";
	ignored[n++] = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"jwt-svid\",\"kid\":\"k\"}";
	ignored[n++] = "{\"kty\":\"EC\",\"use\":\"5\",\"kid\":\"k\"}";
	ignored[n++] = "{\"kty\":\"RSA\",\"use\":5,\"kid\":\"k\"}";
	ignored[n++] = "{\"kty\":5,\"use\":\"jwt-svid\",\"kid\":\"k\"}";
	ignored[n++] = "{\"kty\":\"EC\",\"use\":\"jwt-svid\",\"kid\":5}";
	/* bad point: x of one key, y of another */
	{
		char a[2048], c[2048];

		strcpy(a, jwk(p256, "k", "jwt-svid"));
		strcpy(c, jwk(p256b, "k", "jwt-svid"));
		strcpy(bad_point, a);
		x = strstr(bad_point, "\"y\":\"");
		memcpy(x, strstr(c, "\"y\":\""), 5 + 43);
		ignored[n++] = bad_point;
	}
	/* a coordinate one byte short (RFC 7518 6.2.1.2: full width) */
	strcpy(short_x, jwk(p256, "k", "jwt-svid"));
	x = strstr(short_x, "\"x\":\"") + 5;
	memmove(x, x + 4, strlen(x + 4) + 1);	/* 43 -> 39 characters: 29 bytes */
	ignored[n++] = short_x;
	/* P-384 coordinates named P-256 */
	strcpy(crv, jwk(p384, "k", "jwt-svid"));
	memcpy(strstr(crv, "P-384"), "P-256", 5);
	ignored[n++] = crv;
	assert_true(n <= sizeof(ignored) / sizeof(ignored[0]));

	/* why each one is skipped */
	static const char *const why[] = {
		"use is not jwt-svid", "no use", "use is not jwt-svid", "use is not jwt-svid",
		"without kid", "without kid", "RSA key refused", "kty not RSA or EC",
		"kty not RSA or EC", "no kty", "RSA n or e missing", "RSA key refused",
		"EC x or y missing", "use is not jwt-svid", "use is not jwt-svid", "no kty",
		"without kid", "EC point refused", "EC ", "EC point refused",
	};
	assert_int_equal(n, sizeof(why) / sizeof(why[0]));
	for (size_t i = 0; i < n; i++) {
		snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", ignored[i]);
		b = parse_ok(doc);
		if (b->n_keys != 0 || b->n_ignored != 1) {
			fail_msg("kept %u (ignored %u): %s", b->n_keys, b->n_ignored, ignored[i]);
		}
		assert_memory_equal(b->ignored_why, "keys[0]: ", 9);
		if (strstr(b->ignored_why, why[i]) == NULL) {
			fail_msg("%zu: \"%s\", not \"%s\"", i, b->ignored_why, why[i]);
		}
		id_bundle_free(b);
	}
	/* with kept keys around them: only those count, the first reason stays */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s,%s,%s]}", jwk(p256, "a", "jwt-svid"),
		 jwk(p256, "k", "x509-svid"), jwk(p384, "b", "jwt-svid"), ignored[8]);
	b = parse_ok(doc);
	assert_int_equal(b->n_keys, 2);
	assert_int_equal(b->n_ignored, 2);
	assert_string_equal(b->ignored_why, "keys[1]: use is not jwt-svid");
	id_bundle_free(b);
	/* a jwt-svid key without kid */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk(p256, NULL, "jwt-svid"));
	b = parse_ok(doc);
	assert_string_equal(b->ignored_why, "keys[0]: jwt-svid key without kid");
	id_bundle_free(b);
}

static void test_refused_documents(void **state)
{
	static const char *const bad[] = {
		"", "   ", "not json", "[]", "[{\"keys\":[]}]", "\"keys\"", "5", "null",
		"{}", "{\"Keys\":[]}", "{\"keys\":{}}", "{\"keys\":null}", "{\"keys\":\"\"}",
		"{\"keys\":[1]}", "{\"keys\":[[]]}", "{\"keys\":[null]}",
		"{\"keys\":[],\"keys\":[]}", "{\"keys\":[{\"use\":\"a\",\"use\":\"b\"}]}",
		"{\"keys\":[],\"spiffe_sequence\":-1}", "{\"keys\":[],\"spiffe_sequence\":\"1\"}",
		"{\"keys\":[],\"spiffe_sequence\":1.0}", "{\"keys\":[],\"spiffe_sequence\":null}",
		"{\"keys\":[],\"spiffe_sequence\":18446744073709551615}",
		"{\"keys\":[],\"spiffe_refresh_hint\":-300}",
		"{\"keys\":[],\"spiffe_refresh_hint\":30.5}", "{\"keys\":[]} {}", "{\"keys\":[]",
		"{\"keys\":[],\"x\":\"\\u0000\"}", "{\"keys\":[],\"x\":\"\xc3\x28\"}",
		"\xef\xbb\xbf{\"keys\":[]}",
	};
	struct id_bundle *b = (struct id_bundle *)&b;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse_bad(bad[i], -EBADMSG);
	}
	assert_int_equal(id_bundle_parse("example.org", 11, NULL, 0, &b, err, sizeof(err)),
			 -EBADMSG);
	assert_null(b);
	/* the trust domain is checked */
	b = (struct id_bundle *)&b;
	assert_int_equal(id_bundle_parse("Example.org", 11, (const uint8_t *)"{\"keys\":[]}", 11,
					 &b, err, sizeof(err)), -EINVAL);
	assert_null(b);
	assert_int_equal(id_bundle_parse("", 0, (const uint8_t *)"{\"keys\":[]}", 11, &b, NULL, 0),
			 -EINVAL);
	assert_int_equal(id_bundle_parse("a/b", 3, (const uint8_t *)"{\"keys\":[]}", 11, &b, err,
					 sizeof(err)), -EINVAL);
	assert_int_equal(id_bundle_parse("a", 1, (const uint8_t *)"{\"keys\":[]}", 11, NULL, err,
					 sizeof(err)), -EINVAL);
	/* NULL err is fine */
	assert_int_equal(id_bundle_parse("a", 1, (const uint8_t *)"{}", 2, &b, NULL, 0), -EBADMSG);
}

static void test_empty_and_hints(void **state)
{
	static const uint8_t sha256_empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
		0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
		0x78, 0x52, 0xb8, 0x55,
	};
	struct id_bundle *b;

	(void)state;
	b = parse_ok("{\"keys\":[]}");
	assert_int_equal(b->n_keys, 0);
	assert_int_equal(b->n_ignored, 0);
	assert_false(b->has_sequence);
	assert_false(b->has_refresh_hint);
	assert_memory_equal(b->keys_digest, sha256_empty, 32);
	id_bundle_free(b);
	b = parse_ok("{\"spiffe_sequence\":0,\"keys\":[],\"spiffe_refresh_hint\":0}");
	assert_true(b->has_sequence);
	assert_int_equal(b->sequence, 0);
	assert_true(b->has_refresh_hint);
	assert_int_equal(b->refresh_hint_s, 0);
	id_bundle_free(b);
	b = parse_ok(" {\"spiffe_sequence\":9223372036854775807,\"keys\":[]}\n");
	assert_int_equal(b->sequence, INT64_MAX);
	assert_false(b->has_refresh_hint);
	id_bundle_free(b);
}

static void test_duplicate_kid(void **state)
{
	char doc[8192];
	struct id_bundle *b;

	(void)state;
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", jwk(p256, "k", "jwt-svid"),
		 jwk(p384, "k", "jwt-svid"));
	parse_bad(doc, -EBADMSG);
	assert_non_null(strstr(err, "kid"));
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", jwk(p256, "k", "jwt-svid"),
		 jwk(p256, "k", "jwt-svid"));
	parse_bad(doc, -EBADMSG);
	/* one of the two is not kept: no ambiguity */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s,%s]}", jwk(p256, "k", "x509-svid"),
		 jwk(p384, "k", "jwt-svid"), jwk(rsa1024, "k", "jwt-svid"));
	b = parse_ok(doc);
	assert_int_equal(b->n_keys, 1);
	assert_int_equal(b->keys[0].curve_nid, NID_secp384r1);
	id_bundle_free(b);
	/* kids compare bytewise */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", jwk(p256, "k", "jwt-svid"),
		 jwk(p384, "K", "jwt-svid"));
	b = parse_ok(doc);
	assert_int_equal(b->n_keys, 2);
	id_bundle_free(b);
}

static void test_kid_length(void **state)
{
	char kid[ID_KID_MAX + 2], doc[8192];
	struct id_bundle *b;

	(void)state;
	memset(kid, 'k', sizeof(kid));
	kid[ID_KID_MAX] = '\0';
	snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk(p256, kid, "jwt-svid"));
	b = parse_ok(doc);
	assert_int_equal(b->n_keys, 1);
	assert_int_equal(b->keys[0].kid_len, ID_KID_MAX);
	assert_ptr_equal(id_bundle_find(b, kid, ID_KID_MAX), &b->keys[0]);
	id_bundle_free(b);
	kid[ID_KID_MAX] = 'k';
	kid[ID_KID_MAX + 1] = '\0';
	snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk(p256, kid, "jwt-svid"));
	b = parse_ok(doc);
	assert_int_equal(b->n_keys, 0);
	assert_int_equal(b->n_ignored, 1);
	id_bundle_free(b);
}

static void test_too_many_keys(void **state)
{
	static char doc[ID_BUNDLE_MAX_KEYS * 300 + 600];
	char kid[16];
	struct id_bundle *b;
	size_t n;

	(void)state;
	n = (size_t)snprintf(doc, sizeof(doc), "{\"keys\":[");
	for (int i = 0; i < ID_BUNDLE_MAX_KEYS; i++) {
		snprintf(kid, sizeof(kid), "k%d", i);
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s%s", i ? "," : "",
				      jwk(p256, kid, "jwt-svid"));
	}
	strcpy(doc + n, "]}");
	b = parse_ok(doc);
	assert_int_equal(b->n_keys, ID_BUNDLE_MAX_KEYS);
	assert_string_equal(b->keys[ID_BUNDLE_MAX_KEYS - 1].kid, "k63");
	id_bundle_free(b);
	/* ignored JWKs do not count */
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, ",%s", jwk(p256, "k64", "x509-svid"));
	strcpy(doc + n, "]}");
	b = parse_ok(doc);
	assert_int_equal(b->n_keys, ID_BUNDLE_MAX_KEYS);
	id_bundle_free(b);
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, ",%s", jwk(p256, "k65", "jwt-svid"));
	strcpy(doc + n, "]}");
	parse_bad(doc, -EBADMSG);
}

static void test_size_limit(void **state)
{
	char *doc = malloc(ID_BUNDLE_MAX_BYTES + 2);
	struct id_bundle *b = NULL;
	size_t len;

	(void)state;
	assert_non_null(doc);
	len = (size_t)snprintf(doc, ID_BUNDLE_MAX_BYTES, "{\"keys\":[%s]}",
			       jwk(p256, "k", "jwt-svid"));
	memset(doc + len, ' ', ID_BUNDLE_MAX_BYTES + 1 - len);
	assert_int_equal(id_bundle_parse("a.test", 6, (const uint8_t *)doc, ID_BUNDLE_MAX_BYTES,
					 &b, err, sizeof(err)), 0);
	assert_int_equal(b->n_keys, 1);
	id_bundle_free(b);
	b = (struct id_bundle *)doc;
	assert_int_equal(id_bundle_parse("a.test", 6, (const uint8_t *)doc,
					 ID_BUNDLE_MAX_BYTES + 1, &b, err, sizeof(err)), -E2BIG);
	assert_null(b);
	free(doc);
}

static void test_depth(void **state)
{
	struct id_bundle *b;
	char doc[8192];

	(void)state;
	/* the document and 7 more levels pass; 8 more do not */
	b = parse_ok("{\"keys\":[],\"x\":[[[[[[[1]]]]]]]}");
	id_bundle_free(b);
	parse_bad("{\"keys\":[],\"x\":[[[[[[[[1]]]]]]]]}", -EBADMSG);
	parse_bad("{\"keys\":[],\"x\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":1}}}}}}}}}",
		  -EBADMSG);
	/* inside a JWK */
	snprintf(doc, sizeof(doc), "{\"keys\":[{\"x5c\":[[[[[[[1]]]]]]],%s]}", jwk(p256, "k",
		 "jwt-svid") + 1);
	parse_bad(doc, -EBADMSG);
	snprintf(doc, sizeof(doc), "{\"keys\":[{\"x5c\":[[[[[1]]]]],%s]}", jwk(p256, "k",
		 "jwt-svid") + 1);
	b = parse_ok(doc);
	assert_int_equal(b->n_keys, 1);
	id_bundle_free(b);
	/* deep nesting far beyond: no stack trouble, refused */
	{
		static char deep[20000];
		size_t n = 0;

		n += (size_t)sprintf(deep, "{\"keys\":[],\"x\":");
		for (int i = 0; i < 5000; i++) {
			deep[n++] = '[';
		}
		for (int i = 0; i < 5000; i++) {
			deep[n++] = ']';
		}
		strcpy(deep + n, "}");
		parse_bad(deep, -EBADMSG);
	}
}

/* digest_of parses |doc| and returns its keys_digest in |d|. */
static void digest_of(const char *doc, uint8_t d[32])
{
	struct id_bundle *b = parse_ok(doc);

	memcpy(d, b->keys_digest, 32);
	id_bundle_free(b);
}

static void test_keys_digest(void **state)
{
	char doc[8192], a_doc[8192];
	uint8_t a[32], d[32];

	(void)state;
	snprintf(a_doc, sizeof(a_doc), "{\"keys\":[%s,%s]}", jwk(rsa, "r", "jwt-svid"),
		 jwk(p256, "e", "jwt-svid"));
	digest_of(a_doc, a);
	digest_of(a_doc, d);
	assert_memory_equal(a, d, 32);
	/* same keys: sequence, hints, ignored JWKs, other members, spacing */
	snprintf(doc, sizeof(doc),
		 "{ \"spiffe_sequence\": 7, \"spiffe_refresh_hint\": 60, \"z\": 1,\n"
		 "  \"keys\": [ %s, %s, %s, %s ] }",
		 jwk(p384, "x", "x509-svid"), jwk(rsa, "r", "jwt-svid"), jwk(p521, NULL, "jwt-svid"),
		 jwk(p256, "e", "jwt-svid"));
	digest_of(doc, d);
	assert_memory_equal(a, d, 32);
	/* other order */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", jwk(p256, "e", "jwt-svid"),
		 jwk(rsa, "r", "jwt-svid"));
	digest_of(doc, d);
	assert_memory_not_equal(a, d, 32);
	/* another kid */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", jwk(rsa, "r", "jwt-svid"),
		 jwk(p256, "e2", "jwt-svid"));
	digest_of(doc, d);
	assert_memory_not_equal(a, d, 32);
	/* kid boundary moved: "r"+"e" vs "re"+"" cannot be built, but "r","e" vs "r ","e" */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", jwk(rsa, "r ", "jwt-svid"),
		 jwk(p256, "e", "jwt-svid"));
	digest_of(doc, d);
	assert_memory_not_equal(a, d, 32);
	/* another key under the same kid */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", jwk(rsa, "r", "jwt-svid"),
		 jwk(p256b, "e", "jwt-svid"));
	digest_of(doc, d);
	assert_memory_not_equal(a, d, 32);
	/* a key more, a key less */
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s,%s]}", jwk(rsa, "r", "jwt-svid"),
		 jwk(p256, "e", "jwt-svid"), jwk(p384, "f", "jwt-svid"));
	digest_of(doc, d);
	assert_memory_not_equal(a, d, 32);
	snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk(rsa, "r", "jwt-svid"));
	digest_of(doc, d);
	assert_memory_not_equal(a, d, 32);

	/* the documented formula, computed here for one key */
	{
		unsigned char *der = NULL;
		int der_len = i2d_PUBKEY(p256, &der);
		uint8_t pre[] = { 0, 0, 0, 1, 'e', ID_KTY_EC, 0, 0, 0, 0 }, want[32];
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		assert_true(der_len > 0 && ctx != NULL);
		pre[6] = (uint8_t)(der_len >> 24);
		pre[7] = (uint8_t)(der_len >> 16);
		pre[8] = (uint8_t)(der_len >> 8);
		pre[9] = (uint8_t)der_len;
		assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, pre, sizeof(pre)), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, der, (size_t)der_len), 1);
		assert_int_equal(EVP_DigestFinal_ex(ctx, want, NULL), 1);
		EVP_MD_CTX_free(ctx);
		OPENSSL_free(der);
		snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk(p256, "e", "jwt-svid"));
		digest_of(doc, d);
		assert_memory_equal(d, want, 32);
	}
}

static struct id_bundle *bundle_of(const char *td, uint64_t seq)
{
	char doc[128];
	struct id_bundle *b = NULL;

	snprintf(doc, sizeof(doc), "{\"spiffe_sequence\":%llu,\"keys\":[]}",
		 (unsigned long long)seq);
	assert_int_equal(id_bundle_parse(td, strlen(td), (const uint8_t *)doc, strlen(doc), &b,
					 err, sizeof(err)), 0);
	return b;
}

static void assert_sorted(const struct id_bundle_set *s)
{
	for (uint32_t i = 1; i < s->n; i++) {
		size_t a = s->b[i - 1]->td_len, b = s->b[i]->td_len;
		int c = memcmp(s->b[i - 1]->td, s->b[i]->td, a < b ? a : b);

		assert_true(c < 0 || (c == 0 && a < b));
	}
}

static void test_set(void **state)
{
	static const char *const tds[] = {
		"c.test", "a.test", "b.test", "aa.test", "a", "a.tes", "z", "0", "a.test0",
	};
	struct id_bundle_set *s = malloc(sizeof(*s));
	const struct id_bundle *got;
	struct id_bundle *b;
	char td[16];

	(void)state;
	assert_non_null(s);
	id_bundle_set_init(s);
	assert_int_equal(s->n, 0);
	assert_null(id_bundle_set_get(s, "a.test", 6));
	for (size_t i = 0; i < sizeof(tds) / sizeof(tds[0]); i++) {
		assert_int_equal(id_bundle_set_put(s, bundle_of(tds[i], i)), 0);
		assert_sorted(s);
	}
	assert_int_equal(s->n, sizeof(tds) / sizeof(tds[0]));
	for (size_t i = 0; i < sizeof(tds) / sizeof(tds[0]); i++) {
		got = id_bundle_set_get(s, tds[i], strlen(tds[i]));
		assert_non_null(got);
		assert_string_equal(got->td, tds[i]);
		assert_int_equal(got->sequence, i);
	}
	assert_null(id_bundle_set_get(s, "b", 1));
	assert_null(id_bundle_set_get(s, "a.testx", 7));
	assert_null(id_bundle_set_get(s, "", 0));
	assert_null(id_bundle_set_get(s, NULL, 0));
	assert_null(id_bundle_set_get(NULL, "a", 1));
	/* only the given length counts */
	got = id_bundle_set_get(s, "a.test0", 6);
	assert_non_null(got);
	assert_string_equal(got->td, "a.test");
	/* replace: the old one is freed (ASan would see a leak otherwise) */
	assert_int_equal(id_bundle_set_put(s, bundle_of("b.test", 99)), 0);
	assert_int_equal(s->n, sizeof(tds) / sizeof(tds[0]));
	assert_int_equal(id_bundle_set_get(s, "b.test", 6)->sequence, 99);
	/* putting the bundle that is there already keeps it */
	b = (struct id_bundle *)id_bundle_set_get(s, "b.test", 6);
	assert_int_equal(id_bundle_set_put(s, b), 0);
	assert_int_equal(id_bundle_set_get(s, "b.test", 6)->sequence, 99);
	assert_int_equal(id_bundle_set_put(s, NULL), -EINVAL);
	/* fill it */
	for (int i = 0; s->n < ID_BUNDLE_SET_MAX; i++) {
		snprintf(td, sizeof(td), "t%03d", i);
		assert_int_equal(id_bundle_set_put(s, bundle_of(td, 1000 + (uint64_t)i)), 0);
	}
	assert_sorted(s);
	b = bundle_of("one-more", 1);
	assert_int_equal(id_bundle_set_put(s, b), -ENOSPC);
	id_bundle_free(b);
	/* replacing still works when full */
	assert_int_equal(id_bundle_set_put(s, bundle_of("t000", 5)), 0);
	assert_int_equal(id_bundle_set_get(s, "t000", 4)->sequence, 5);
	for (int i = 0; i < 200; i++) {
		snprintf(td, sizeof(td), "t%03d", i);
		got = id_bundle_set_get(s, td, strlen(td));
		if (got == NULL || strcmp(got->td, td) != 0) {
			fail_msg("%s not found", td);
		}
	}
	id_bundle_set_clear(s);
	assert_int_equal(s->n, 0);
	assert_null(id_bundle_set_get(s, "a.test", 6));
	id_bundle_set_clear(s);
	free(s);
}

static int map(const char *doc, struct id_bundle_set *s)
{
	return id_bundle_map_parse((const uint8_t *)doc, strlen(doc), s, err, sizeof(err));
}

static void test_map(void **state)
{
	struct id_bundle_set *s = malloc(sizeof(*s));
	const struct id_bundle *b;
	char doc[16384];

	(void)state;
	assert_non_null(s);
	id_bundle_set_init(s);
	snprintf(doc, sizeof(doc),
		 "{\"trust_domains\":{\"b.test\":{\"spiffe_sequence\":2,\"keys\":[%s,%s]},"
		 "\"a.test\":{\"spiffe_refresh_hint\":9,\"keys\":[%s]},\"c.test\":{\"keys\":[]}},"
		 "\"other\":1}",
		 jwk(rsa, "r", "jwt-svid"), jwk(p256, "x", "x509-svid"),
		 jwk(p521, "e", "jwt-svid"));
	assert_int_equal(map(doc, s), 0);
	assert_int_equal(s->n, 3);
	assert_sorted(s);
	b = id_bundle_set_get(s, "b.test", 6);
	assert_non_null(b);
	assert_int_equal(b->sequence, 2);
	assert_int_equal(b->n_keys, 1);
	assert_int_equal(b->n_ignored, 1);
	assert_non_null(id_bundle_find(b, "r", 1));
	b = id_bundle_set_get(s, "a.test", 6);
	assert_non_null(b);
	assert_int_equal(b->refresh_hint_s, 9);
	assert_int_equal(b->keys[0].curve_nid, NID_secp521r1);
	assert_int_equal(id_bundle_set_get(s, "c.test", 6)->n_keys, 0);

	/* an empty map empties the set */
	assert_int_equal(map("{\"trust_domains\":{}}", s), 0);
	assert_int_equal(s->n, 0);

	/* refused maps leave the set empty (all or nothing) */
	static const char *const bad[] = {
		"{\"trust_domains\":{\"a.test\":{\"keys\":[]},\"a.test\":{\"keys\":[]}}}",
		"{\"trust_domains\":{\"a.test\":{\"keys\":[]}},\"trust_domains\":{}}",
		"{\"trust_domains\":{\"A.test\":{\"keys\":[]}}}",
		"{\"trust_domains\":{\"\":{\"keys\":[]}}}",
		"{\"trust_domains\":{\"a.test:443\":{\"keys\":[]}}}",
		"{\"trust_domains\":{\"spiffe://a.test\":{\"keys\":[]}}}",
		"{\"trust_domains\":{\"a.test\":{\"keys\":[]},\"b.test\":{}}}",
		"{\"trust_domains\":{\"a.test\":{\"keys\":[]},\"b.test\":[]}}",
		("{\"trust_domains\":{\"a.test\":{\"keys\":[]},\"b.test\":{\"keys\":[],"
		 "\"spiffe_sequence\":-2}}}"),
		"{\"trust_domains\":[]}", "{\"trust_domains\":null}", "{}", "[]", "",
		"{\"keys\":[]}", "{\"trust_domains\":{\"a.test\":{\"keys\":[]}}",
		"{\"trust_domains\":{\"a.test\":{\"keys\":[],\"x\":[[[[[[1]]]]]]}}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(id_bundle_set_put(s, bundle_of("keep.test", 1)), 0);
		if (map(bad[i], s) != -EBADMSG) {
			fail_msg("accepted %s", bad[i]);
		}
		assert_int_equal(s->n, 0);
		assert_true(strlen(err) > 0);
	}
	/* two jwt-svid keys with one kid in one bundle */
	snprintf(doc, sizeof(doc),
		 "{\"trust_domains\":{\"a.test\":{\"keys\":[]},\"b.test\":{\"keys\":[%s,%s]}}}",
		 jwk(p256, "k", "jwt-svid"), jwk(p384, "k", "jwt-svid"));
	assert_int_equal(map(doc, s), -EBADMSG);
	assert_int_equal(s->n, 0);
	assert_non_null(strstr(err, "b.test"));
	/* depth: the map's 4 levels and a JWK's x5c pass */
	snprintf(doc, sizeof(doc), "{\"trust_domains\":{\"a.test\":{\"keys\":[{\"x5c\":[\"A\"],%s]}}}",
		 jwk(p256, "k", "jwt-svid") + 1);
	assert_int_equal(map(doc, s), 0);
	assert_int_equal(s->n, 1);
	id_bundle_set_clear(s);
	assert_int_equal(id_bundle_map_parse(NULL, 0, s, NULL, 0), -EBADMSG);
	assert_int_equal(id_bundle_map_parse((const uint8_t *)"{}", 2, NULL, err, sizeof(err)),
			 -EINVAL);
	free(s);
}

static void test_map_limits(void **state)
{
	struct id_bundle_set *s = malloc(sizeof(*s));
	size_t cap = ID_BUNDLE_MAP_MAX_BYTES + 2, n;
	char *doc = malloc(cap);

	(void)state;
	assert_non_null(s);
	assert_non_null(doc);
	id_bundle_set_init(s);
	/* ID_BUNDLE_SET_MAX trust domains pass, one more does not */
	n = (size_t)snprintf(doc, cap, "{\"trust_domains\":{");
	for (int i = 0; i < ID_BUNDLE_SET_MAX; i++) {
		n += (size_t)snprintf(doc + n, cap - n, "%s\"td%d\":{\"keys\":[]}", i ? "," : "", i);
	}
	strcpy(doc + n, "}}");
	assert_int_equal(map(doc, s), 0);
	assert_int_equal(s->n, ID_BUNDLE_SET_MAX);
	assert_sorted(s);
	n += (size_t)snprintf(doc + n, cap - n, ",\"one.more\":{\"keys\":[]}");
	strcpy(doc + n, "}}");
	assert_int_equal(map(doc, s), -EBADMSG);
	assert_int_equal(s->n, 0);
	/* size */
	n = (size_t)snprintf(doc, cap, "{\"trust_domains\":{}}");
	memset(doc + n, ' ', cap - n);
	assert_int_equal(id_bundle_map_parse((const uint8_t *)doc, ID_BUNDLE_MAP_MAX_BYTES, s, err,
					     sizeof(err)), 0);
	assert_int_equal(id_bundle_map_parse((const uint8_t *)doc, ID_BUNDLE_MAP_MAX_BYTES + 1, s,
					     err, sizeof(err)), -E2BIG);
	free(doc);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_refused_documents),
		cmocka_unit_test(test_empty_and_hints),
		cmocka_unit_test(test_duplicate_kid),
		cmocka_unit_test(test_kid_length),
		cmocka_unit_test(test_too_many_keys),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_keys_digest),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_map_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
