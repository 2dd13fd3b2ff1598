/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_trust_key.c - the bridge key (control/trust/ctl_trust_key.c): P-256
 * private keys read from PKCS#8 and SEC1 PEM give the public key OpenSSL
 * computes; other keys and files are refused; the JWK carries the key
 * (x and y decode back to it), "use": "slimbridge-bridge" and a kid that is
 * the RFC 7638 thumbprint computed here independently; and the bridge keys
 * of a bundle are counted and matched, malformed ones ignored, a document
 * that is not a JWK set refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ctl_trust_key.h"
#include "id_b64.h"

static char dir[] = "/tmp/sbtrustkeyXXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes |k| as PEM (|traditional|: SEC1 "EC PRIVATE KEY") to DIR/|name|; returns the path. */
static char *write_key(EVP_PKEY *k, const char *name, bool traditional)
{
	static char path[128];
	BIO *b;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	b = BIO_new_file(path, "w");
	assert_non_null(b);
	if (traditional) {
		assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL),
				 1);
	} else {
		assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	}
	BIO_free(b);
	return path;
}

/* The uncompressed public point of |k|. */
static void point(EVP_PKEY *k, uint8_t out[CTL_TRUST_PUB_LEN])
{
	size_t n = 0;

	assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
							"uncompressed"),
			 1);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, out,
							 CTL_TRUST_PUB_LEN, &n),
			 1);
	assert_int_equal(n, CTL_TRUST_PUB_LEN);
}

static void test_load(void **state)
{
	uint8_t priv[CTL_TRUST_PRIV_LEN], pub[CTL_TRUST_PUB_LEN], want[CTL_TRUST_PUB_LEN];
	EVP_PKEY *k = EVP_EC_gen("P-256"), *other;
	char err[300], path[128];
	FILE *f;

	(void)state;
	assert_non_null(k);
	point(k, want);
	assert_int_equal(ctl_trust_key_load(write_key(k, "p8.pem", false), priv, pub, err,
					    sizeof(err)),
			 0);
	assert_memory_equal(pub, want, sizeof(want));
	memset(pub, 0, sizeof(pub));
	assert_int_equal(ctl_trust_key_load(write_key(k, "sec1.pem", true), priv, pub, err,
					    sizeof(err)),
			 0);
	assert_memory_equal(pub, want, sizeof(want));
	EVP_PKEY_free(k);

	/* Not P-256. */
	other = EVP_EC_gen("P-384");
	assert_int_equal(ctl_trust_key_load(write_key(other, "p384.pem", false), priv, pub, err,
					    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "P-256"));
	EVP_PKEY_free(other);
	other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(other);
	assert_int_equal(ctl_trust_key_load(write_key(other, "ed.pem", false), priv, pub, err,
					    sizeof(err)),
			 -EINVAL);
	EVP_PKEY_free(other);
	/* Not a key; no file. */
	snprintf(path, sizeof(path), "%s/junk.pem", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
	assert_int_equal(ctl_trust_key_load(path, priv, pub, err, sizeof(err)), -EINVAL);
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	assert_int_equal(ctl_trust_key_load(path, priv, pub, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "none.pem"));
}

/* base64url without padding, written here from EVP_EncodeBlock (not id_b64). */
static void b64u(const uint8_t *in, int n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, n);

	for (int i = 0; i < len; i++) {
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	while (len > 0 && out[len - 1] == '=') {
		out[--len] = '\0';
	}
}

static void test_jwk(void **state)
{
	uint8_t pub[CTL_TRUST_PUB_LEN], back[32], h[32];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	char x[64], y[64], tp[256], th[64], want_kid[40], kid[40];
	unsigned int hl;
	json_t *j;
	char *s;

	(void)state;
	point(k, pub);
	s = ctl_trust_key_jwk(pub);
	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(j, "crv")), "P-256");
	assert_string_equal(json_string_value(json_object_get(j, "use")), "slimbridge-bridge");
	assert_null(json_object_get(j, "d"));
	assert_int_equal(id_b64url_decode(json_string_value(json_object_get(j, "x")), 43, back, 32),
			 32);
	assert_memory_equal(back, pub + 1, 32);
	assert_int_equal(id_b64url_decode(json_string_value(json_object_get(j, "y")), 43, back, 32),
			 32);
	assert_memory_equal(back, pub + 33, 32);
	/* RFC 7638: SHA-256 over the required members, sorted, no whitespace. */
	b64u(pub + 1, 32, x);
	b64u(pub + 33, 32, y);
	snprintf(tp, sizeof(tp), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
	assert_int_equal(EVP_Digest(tp, strlen(tp), h, &hl, EVP_sha256(), NULL), 1);
	b64u(h, 32, th);
	snprintf(want_kid, sizeof(want_kid), "sb-bridge-%.16s", th);
	assert_string_equal(json_string_value(json_object_get(j, "kid")), want_kid);
	assert_int_equal(ctl_trust_key_kid(pub, kid, sizeof(kid)), 0);
	assert_string_equal(kid, want_kid);
	assert_int_equal(ctl_trust_key_kid(pub, kid, 10), -ENOSPC);
	json_decref(j);
	free(s);
	/* Not an uncompressed point. */
	pub[0] = 0x02;
	assert_null(ctl_trust_key_jwk(pub));
	EVP_PKEY_free(k);
}

/* A bundle document with a jwt-svid key, then |extra| JWKs (JSON, comma-separated). */
static char *bundle(const char *extra)
{
	static char doc[4096];

	snprintf(doc, sizeof(doc),
		 "{\"spiffe_sequence\": 3, \"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", "
		 "\"use\": \"jwt-svid\", \"kid\": \"j1\", \"x\": \"%s\", \"y\": \"%s\"}%s%s]}",
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", extra[0] != '\0' ? ", " : "", extra);
	return doc;
}

static void test_in_bundle(void **state)
{
	uint8_t a[CTL_TRUST_PUB_LEN], b[CTL_TRUST_PUB_LEN];
	EVP_PKEY *ka = EVP_EC_gen("P-256"), *kb = EVP_EC_gen("P-256");
	char *ja, *jb, extra[2048], *doc;
	bool match;

	(void)state;
	point(ka, a);
	point(kb, b);
	ja = ctl_trust_key_jwk(a);
	jb = ctl_trust_key_jwk(b);
	/* None: the jwt-svid key is not a bridge key even though it is P-256. */
	doc = bundle("");
	assert_int_equal(ctl_trust_key_in_bundle((uint8_t *)doc, strlen(doc), a, sizeof(a), &match),
			 0);
	assert_false(match);
	/* One. */
	doc = bundle(ja);
	assert_int_equal(ctl_trust_key_in_bundle((uint8_t *)doc, strlen(doc), a, sizeof(a), &match),
			 1);
	assert_true(match);
	assert_int_equal(ctl_trust_key_in_bundle((uint8_t *)doc, strlen(doc), b, sizeof(b), &match),
			 1);
	assert_false(match);
	assert_int_equal(ctl_trust_key_in_bundle((uint8_t *)doc, strlen(doc), a, 33, &match), 1);
	assert_false(match);
	/* Two (a rotation): either matches. */
	snprintf(extra, sizeof(extra), "%s, %s", ja, jb);
	doc = bundle(extra);
	assert_int_equal(ctl_trust_key_in_bundle((uint8_t *)doc, strlen(doc), b, sizeof(b), &match),
			 2);
	assert_true(match);
	/* Malformed bridge keys are not counted (nor matched). */
	snprintf(extra, sizeof(extra),
		 "{\"kty\": \"EC\", \"crv\": \"P-384\", \"use\": \"slimbridge-bridge\", \"x\": \"AA\", \"y\": \"AA\"}, "
		 "{\"kty\": \"RSA\", \"use\": \"slimbridge-bridge\", \"n\": \"AQAB\", \"e\": \"AQAB\"}, "
		 "{\"kty\": \"EC\", \"crv\": \"P-256\", \"use\": \"slimbridge-bridge\", \"x\": \"AAAA\", \"y\": \"AAAA\"}, "
		 "{\"kty\": \"EC\", \"crv\": \"P-256\", \"use\": \"slimbridge-bridge\"}, "
		 "{\"kty\": \"EC\", \"crv\": \"P-256\", \"use\": 7, \"x\": \"AA\", \"y\": \"AA\"}");
	doc = bundle(extra);
	assert_int_equal(ctl_trust_key_in_bundle((uint8_t *)doc, strlen(doc), a, sizeof(a), &match),
			 0);
	/* A private JWK ("d") is not a bridge key either. */
	snprintf(extra, sizeof(extra), "%.*s, \"d\": \"AAAA\"}", (int)strlen(ja) - 1, ja);
	doc = bundle(extra);
	assert_int_equal(ctl_trust_key_in_bundle((uint8_t *)doc, strlen(doc), a, sizeof(a), &match),
			 0);
	assert_false(match);
	/* Not a JWK set. */
	assert_int_equal(ctl_trust_key_in_bundle((const uint8_t *)"[]", 2, a, sizeof(a), &match),
			 -EBADMSG);
	assert_int_equal(ctl_trust_key_in_bundle((const uint8_t *)"{\"keys\": 1}", 11, a,
						 sizeof(a), &match),
			 -EBADMSG);
	assert_int_equal(ctl_trust_key_in_bundle((const uint8_t *)"{\"keys\"", 7, a, sizeof(a),
						 &match),
			 -EBADMSG);
	free(ja);
	free(jb);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_jwk),
		cmocka_unit_test(test_in_bundle),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
