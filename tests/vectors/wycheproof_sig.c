/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wycheproof_sig.c - Wycheproof signature verification files through
 * id_sig (dataplane/identity/id_sig.h). The kind comes from "schema":
 *
 *   ecdsa_p1363_verify_schema   id_sig_verify ES256/384/512, raw r||s
 *   ecdsa_verify_schema         id_sig_verify_ecdsa_der
 *   rsassa_pkcs1_verify_schema  id_sig_verify RS256/384/512
 *   rsassa_pss_verify_schema    id_sig_verify PS256/384/512, only groups with
 *                               MGF1 on the same hash and sLen = hash length
 *                               (what JWS means by PS*)
 *   eddsa_verify_schema         id_sig_verify ID_ALG_EDDSA (Ed25519 only)
 *
 * Per group the key is made from the raw fields (wx/wy, modulus and
 * publicExponent or n/e, pk) with id_sig_key_ec/rsa/ed25519, and
 * id_sig_key_der on the DER (publicKeyDer or keyDer) must make an equal key
 * (or fail too); a disagreement is one failed test for the group.
 *
 * Per case: "valid" must verify (0); "invalid" must be refused with
 * -EBADMSG; "acceptable" may be either (0 or -EBADMSG). In a group whose
 * key cannot be made, a case passes only when it is "invalid".
 * Buffers are malloc'd at their exact length so that ASan sees overreads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "id_sig.h"
#include "wycheproof_sig.h"

enum kind {
	K_P1363,
	K_DER,
	K_PKCS1,
	K_PSS,
	K_EDDSA,
};

static const struct {
	const char *schema;	/* without ".json" / "_v1.json" */
	const char *algorithm;
	enum kind kind;
} kinds[] = {
	{ "ecdsa_p1363_verify_schema", "ECDSA", K_P1363 },
	{ "ecdsa_verify_schema", "ECDSA", K_DER },
	{ "rsassa_pkcs1_verify_schema", "RSASSA-PKCS1-v1_5", K_PKCS1 },
	{ "rsassa_pss_verify_schema", "RSASSA-PSS", K_PSS },
	{ "eddsa_verify_schema", "EDDSA", K_EDDSA },
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* One group's key: |key| NULL when the raw fields make none. */
struct group {
	enum id_alg alg;
	EVP_PKEY *key;
};

static void oom(void)
{
	fprintf(stderr, "wycheproof: out of memory\n");
	exit(2);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/*
 * unhex decodes the hex string |s| into a buffer of exactly its length (1
 * byte allocated for an empty one). Returns it, or NULL for NULL or bad hex.
 */
static uint8_t *unhex(const char *s, size_t *len)
{
	size_t n, i;
	uint8_t *p;

	if (s == NULL || (n = strlen(s)) % 2 != 0) {
		return NULL;
	}
	p = malloc(n > 0 ? n / 2 : 1);
	if (p == NULL) {
		oom();
	}
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(p);
			return NULL;
		}
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return p;
}

static uint8_t *unhex_field(json_t *obj, const char *name, size_t *len)
{
	return unhex(json_string_value(json_object_get(obj, name)), len);
}

static bool is_kind(const char *schema, const char *stem)
{
	size_t n = strlen(stem);

	return strncmp(schema, stem, n) == 0 &&
	       (strcmp(schema + n, ".json") == 0 || strcmp(schema + n, "_v1.json") == 0);
}

bool wyc_sig_handles(json_t *root)
{
	const char *alg = json_string_value(json_object_get(root, "algorithm"));
	size_t i;

	for (i = 0; alg != NULL && i < N_KINDS; i++) {
		if (strcmp(alg, kinds[i].algorithm) == 0) {
			return true;
		}
	}
	return false;
}

/* hash_bits: 256/384/512 for "SHA-256"/"SHA-384"/"SHA-512", else 0. */
static int hash_bits(const char *sha)
{
	if (sha == NULL) {
		return 0;
	}
	if (strcmp(sha, "SHA-256") == 0) {
		return 256;
	}
	if (strcmp(sha, "SHA-384") == 0) {
		return 384;
	}
	if (strcmp(sha, "SHA-512") == 0) {
		return 512;
	}
	return 0;
}

/* The group's public key object: "publicKey" (v1 files) or "key". */
static json_t *group_key(json_t *g)
{
	json_t *k = json_object_get(g, "publicKey");

	return json_is_object(k) ? k : json_object_get(g, "key");
}

/*
 * group_alg picks the JWS algorithm of group |g| of a |kind| file. Returns
 * it, or ID_ALG_NONE with the reason in |*why| when id_sig has none (a
 * curve and hash JWS does not pair, a PSS salt or MGF that is not PS*).
 */
static enum id_alg group_alg(enum kind kind, json_t *g, const char **why)
{
	static const enum id_alg es[] = { ID_ALG_ES256, ID_ALG_ES384, ID_ALG_ES512 };
	static const enum id_alg rs[] = { ID_ALG_RS256, ID_ALG_RS384, ID_ALG_RS512 };
	static const enum id_alg ps[] = { ID_ALG_PS256, ID_ALG_PS384, ID_ALG_PS512 };
	static const char *const curves[] = { "secp256r1", "secp384r1", "secp521r1" };
	int bits = hash_bits(json_string_value(json_object_get(g, "sha")));
	int h = bits == 256 ? 0 : bits == 384 ? 1 : 2;
	const char *curve;
	json_t *slen;

	if (kind == K_EDDSA) {
		curve = json_string_value(json_object_get(group_key(g), "curve"));
		if (curve == NULL || strcmp(curve, "edwards25519") != 0) {
			*why = "not an Ed25519 key";
			return ID_ALG_NONE;
		}
		return ID_ALG_EDDSA;
	}
	if (bits == 0) {
		*why = "bad or missing \"sha\"";
		return ID_ALG_NONE;
	}
	switch (kind) {
	case K_P1363:
	case K_DER:
		curve = json_string_value(json_object_get(group_key(g), "curve"));
		if (curve == NULL || strcmp(curve, curves[h]) != 0) {
			*why = "a curve and hash no ES algorithm pairs";
			return ID_ALG_NONE;
		}
		return es[h];
	case K_PKCS1:
		return rs[h];
	case K_PSS:
		slen = json_object_get(g, "sLen");
		if (json_string_value(json_object_get(g, "mgf")) == NULL ||
		    strcmp(json_string_value(json_object_get(g, "mgf")), "MGF1") != 0 ||
		    hash_bits(json_string_value(json_object_get(g, "mgfSha"))) != bits ||
		    !json_is_integer(slen) || json_integer_value(slen) != bits / 8) {
			*why = "PSS parameters other than MGF1 on the same hash with sLen = hash "
			       "length (not a JWS PS algorithm)";
			return ID_ALG_NONE;
		}
		return ps[h];
	default:
		*why = "unknown kind";
		return ID_ALG_NONE;
	}
}

/*
 * coord writes Wycheproof's big-endian coordinate |hex| (with a leading 00
 * sign byte, or shorter than the field) as exactly |field| bytes. Returns 0,
 * or -1 if it does not fit.
 */
static int coord(const char *hex, uint8_t *out, size_t field)
{
	size_t len, skip = 0;
	uint8_t *b = unhex(hex, &len);

	if (b == NULL) {
		return -1;
	}
	while (len - skip > field && b[skip] == 0) {
		skip++;
	}
	if (len - skip > field) {
		free(b);
		return -1;
	}
	memset(out, 0, field - (len - skip));
	memcpy(out + field - (len - skip), b + skip, len - skip);
	free(b);
	return 0;
}

/* raw_key makes group |g|'s key from its raw fields; NULL if it cannot. */
static EVP_PKEY *raw_key(enum id_alg alg, json_t *g)
{
	json_t *k = group_key(g);
	EVP_PKEY *key = NULL;
	uint8_t *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0;

	switch (id_alg_kty(alg)) {
	case ID_KTY_EC: {
		static const int nids[] = { NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1 };
		static const size_t fields[] = { 32, 48, 66 };
		int i = alg == ID_ALG_ES256 ? 0 : alg == ID_ALG_ES384 ? 1 : 2;
		uint8_t x[66], y[66];

		if (coord(json_string_value(json_object_get(k, "wx")), x, fields[i]) == 0 &&
		    coord(json_string_value(json_object_get(k, "wy")), y, fields[i]) == 0) {
			key = id_sig_key_ec(nids[i], x, fields[i], y, fields[i]);
		}
		break;
	}
	case ID_KTY_RSA:
		/* v1 files: publicKey.modulus/publicExponent; older ones: n/e. */
		if (json_is_object(json_object_get(g, "publicKey"))) {
			a = unhex_field(k, "modulus", &a_len);
			b = unhex_field(k, "publicExponent", &b_len);
		} else {
			a = unhex_field(g, "n", &a_len);
			b = unhex_field(g, "e", &b_len);
		}
		if (a != NULL && b != NULL) {
			key = id_sig_key_rsa(a, a_len, b, b_len);
		}
		break;
	case ID_KTY_OKP:
		a = unhex_field(k, "pk", &a_len);
		if (a != NULL) {
			key = id_sig_key_ed25519(a, a_len);
		}
		break;
	default:
		break;
	}
	free(a);
	free(b);
	return key;
}

/*
 * der_agrees: id_sig_key_der on the group's DER makes a key equal to |key|,
 * or none when |key| is NULL. Sets |why| otherwise.
 */
static bool der_agrees(json_t *g, const EVP_PKEY *key, char *why, size_t why_len)
{
	json_t *d = json_object_get(g, "publicKeyDer");
	EVP_PKEY *dk;
	uint8_t *der;
	size_t len;
	bool ok;

	if (!json_is_string(d)) {
		d = json_object_get(g, "keyDer");
	}
	der = unhex(json_string_value(d), &len);
	if (der == NULL) {
		snprintf(why, why_len, "no or bad \"publicKeyDer\"");
		return false;
	}
	dk = id_sig_key_der(der, len);
	free(der);
	if (key == NULL || dk == NULL) {
		ok = key == dk;
		snprintf(why, why_len, "the raw fields %s a key but the DER %s",
			 key != NULL ? "make" : "do not make", dk != NULL ? "does" : "does not");
	} else {
		ok = EVP_PKEY_eq(key, dk) == 1;
		snprintf(why, why_len, "the DER key differs from the raw fields' key");
	}
	EVP_PKEY_free(dk);
	return ok;
}

static const char *stname(int st)
{
	switch (st) {
	case 0:
		return "0";
	case -EBADMSG:
		return "-EBADMSG";
	case -EKEYREJECTED:
		return "-EKEYREJECTED";
	case -ENOMEM:
		return "-ENOMEM";
	default:
		return "unexpected";
	}
}

/*
 * run_case runs test |t| of group |gr|. Returns 1 passed, 0 failed (the
 * reason in |why|), -1 for a schema error (the bad field in |why|).
 */
static int run_case(enum kind kind, const struct group *gr, json_t *t, char *why,
		    size_t why_len, bool verbose, const char *name, long long id)
{
	const char *result = json_string_value(json_object_get(t, "result"));
	uint8_t *msg, *sig;
	size_t msg_len, sig_len;
	int st, pass;

	if (result == NULL || (strcmp(result, "valid") != 0 && strcmp(result, "invalid") != 0 &&
			       strcmp(result, "acceptable") != 0)) {
		snprintf(why, why_len, "result");
		return -1;
	}
	msg = unhex_field(t, "msg", &msg_len);
	sig = unhex_field(t, "sig", &sig_len);
	if (msg == NULL || sig == NULL) {
		snprintf(why, why_len, msg == NULL ? "msg" : "sig");
		free(msg);
		free(sig);
		return -1;
	}
	if (gr->key == NULL) {
		pass = strcmp(result, "invalid") == 0;
		snprintf(why, why_len, "the group's key was not made but the case is %s", result);
		goto out;
	}
	if (kind == K_DER) {
		st = id_sig_verify_ecdsa_der(gr->alg, gr->key, msg, msg_len, sig, sig_len);
	} else {
		st = id_sig_verify(gr->alg, gr->key, msg, msg_len, sig, sig_len);
	}
	if (strcmp(result, "valid") == 0) {
		pass = st == 0;
	} else if (strcmp(result, "invalid") == 0) {
		pass = st == -EBADMSG;
	} else {
		pass = st == 0 || st == -EBADMSG;
		if (pass && verbose) {
			printf("ACCEPTABLE %s tcId %lld: %s\n", name, id,
			       st == 0 ? "verified" : "refused");
		}
	}
	snprintf(why, why_len, "%s case: %s %s (%s)", result, id_alg_name(gr->alg), stname(st),
		 json_string_value(json_object_get(t, "comment")) != NULL ?
		 json_string_value(json_object_get(t, "comment")) : "");
out:
	free(msg);
	free(sig);
	return pass;
}

static enum kind kind_of(const char *schema, const char *alg, bool *ok)
{
	size_t i;

	*ok = false;
	for (i = 0; schema != NULL && alg != NULL && i < N_KINDS; i++) {
		if (is_kind(schema, kinds[i].schema) && strcmp(alg, kinds[i].algorithm) == 0) {
			*ok = true;
			return kinds[i].kind;
		}
	}
	return K_P1363;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

int wyc_sig_run(const char *path, json_t *root, bool verbose, unsigned long *passed,
		unsigned long *failed)
{
	const char *schema = json_string_value(json_object_get(root, "schema"));
	const char *name = base(path);
	json_t *groups = json_object_get(root, "testGroups");
	json_t *n_tests = json_object_get(root, "numberOfTests");
	unsigned long p = 0, f = 0, n = 0;
	bool bad = false, ok;
	enum kind kind;
	size_t gi, ti;
	json_t *g, *t;

	kind = kind_of(schema, json_string_value(json_object_get(root, "algorithm")), &ok);
	if (!ok) {
		fprintf(stderr, "wycheproof: %s: schema '%s' is not supported\n", path,
			schema != NULL ? schema : "(none)");
		return -1;
	}
	if (!json_is_array(groups)) {
		fprintf(stderr, "wycheproof: %s: no \"testGroups\" array\n", path);
		return -1;
	}
	json_array_foreach(groups, gi, g) {
		json_t *tests = json_object_get(g, "tests");
		const char *why = NULL;
		struct group gr;
		char msg[200];

		gr.alg = group_alg(kind, g, &why);
		if (gr.alg == ID_ALG_NONE || !json_is_array(tests)) {
			fprintf(stderr, "wycheproof: %s: test group %zu: %s\n", path, gi,
				why != NULL ? why : "no \"tests\" array");
			bad = true;
			continue;
		}
		gr.key = raw_key(gr.alg, g);
		if (gr.key == NULL && verbose) {
			printf("NOKEY %s group %zu: %s refused the key\n", name, gi,
			       id_alg_name(gr.alg));
		}
		if (!der_agrees(g, gr.key, msg, sizeof(msg))) {
			f++;
			printf("FAIL %s group %zu: %s\n", name, gi, msg);
		}
		json_array_foreach(tests, ti, t) {
			json_t *id = json_object_get(t, "tcId");
			int r;

			if (!json_is_integer(id)) {
				fprintf(stderr, "wycheproof: %s: test group %zu, test %zu: bad or "
					"missing \"tcId\"\n", path, gi, ti);
				bad = true;
				continue;
			}
			n++;
			r = run_case(kind, &gr, t, msg, sizeof(msg), verbose, name,
				     json_integer_value(id));
			if (r < 0) {
				fprintf(stderr, "wycheproof: %s: test group %zu, test %zu: bad or "
					"missing \"%s\"\n", path, gi, ti, msg);
				bad = true;
			} else if (r > 0) {
				p++;
				if (verbose) {
					printf("PASS %s tcId %lld\n", name, json_integer_value(id));
				}
			} else {
				f++;
				printf("FAIL %s tcId %lld: %s\n", name, json_integer_value(id),
				       msg);
			}
		}
		EVP_PKEY_free(gr.key);
	}
	if (!bad && json_is_integer(n_tests) && (unsigned long)json_integer_value(n_tests) != n) {
		fprintf(stderr, "wycheproof: %s: numberOfTests is %lld but the file has %lu\n",
			path, (long long)json_integer_value(n_tests), n);
		bad = true;
	}
	if (bad) {
		return -1;
	}
	printf("%s id_sig: %lu passed, %lu failed\n", name, p, f);
	*passed += p;
	*failed += f;
	return 0;
}
