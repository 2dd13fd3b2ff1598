/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wycheproof.c - the Wycheproof vector runner (build/tests/wycheproof): AEAD
 * here, signature verification files in wycheproof_sig.c.
 *
 *   wycheproof [--backend all|openssl|ipsec-mb|ipsec-mb/ARCH] [--verbose] FILE...
 *
 * Reads Wycheproof AEAD test files (aead_test_schema_v1.json: AES-GCM,
 * CHACHA20-POLY1305) with jansson and runs every case on every engine this
 * CPU has: OpenSSL, and ipsec-mb at each arch it runs (SSE, AVX, AVX2,
 * AVX-512), one engine each. A (case, engine) pair is one test.
 *
 *  - "valid": the key is made; seal with the explicit IV, in place and out
 *    of place, gives exactly ct and tag; open of ct and tag gives msg.
 *  - "invalid": open fails: -EINVAL when the IV or tag length is one the
 *    algorithm does not take (then seal must fail with -EINVAL too), else
 *    -EBADMSG with the destination wiped; a seal that is accepted must not
 *    give ct and tag. A key length the algorithm does not take (key_new
 *    refuses it) passes.
 *  - "acceptable": either outcome, but what succeeds must be right.
 * Signature files (ECDSA, RSASSA-PKCS1-v1_5, RSASSA-PSS, EDDSA "algorithm")
 * run once each, through id_sig (wycheproof_sig.h).
 * Buffers are malloc'd at their exact length so that ASan sees overreads.
 *
 * Prints "FAIL FILE tcId N backend B: reason" per failure, a summary per file
 * and engine, and as its last line "N passed, M failed" (scripts/test counts
 * it). Exit 0 when nothing failed, 1 when a test failed, 2 on a usage or file
 * error or an algorithm with no backend yet.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto_aead.h"
#include "wycheproof_sig.h"

#define MAX_ENGINES (1 + CRYPTO_AEAD_ARCH__MAX)

enum family {
	FAM_GCM,
	FAM_CHACHA,
};

enum expect {
	EXP_VALID,
	EXP_INVALID,
	EXP_ACCEPTABLE,
};

/* One test case, decoded. Every buffer is malloc'd at its exact length. */
struct vec {
	long long id;
	enum expect expect;
	uint8_t *key, *iv, *aad, *msg, *ct, *tag;
	size_t key_len, iv_len, aad_len, msg_len, ct_len, tag_len;
	size_t tag_size;		/* the group's tagSize, in bytes: what seal makes */
};

struct engine {
	struct crypto_aead_engine *e;
	char name[48];
	unsigned long passed, failed;	/* in the current file */
};

/* The first failure of a (case, engine) pair. */
struct res {
	bool failed;
	char why[200];
};

static bool verbose;

static void oom(void)
{
	fprintf(stderr, "wycheproof: out of memory\n");
	exit(2);
}

/* xalloc returns |len| bytes (a 0-byte allocation for 0, never NULL). */
static void *xalloc(size_t len)
{
	void *p = malloc(len);

	if (p == NULL && len == 0) {
		p = malloc(1);
	}
	if (p == NULL) {
		oom();
	}
	return p;
}

static uint8_t *copy(const uint8_t *src, size_t len)
{
	uint8_t *p = xalloc(len);

	if (len > 0) {
		memcpy(p, src, len);
	}
	return p;
}

static bool same(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static bool zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

static void fail(struct res *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct res *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed) {
		return;
	}
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* errname names status |st| for messages. */
static const char *errname(int st)
{
	switch (st) {
	case 0:
		return "0";
	case -EINVAL:
		return "-EINVAL";
	case -EBADMSG:
		return "-EBADMSG";
	case -ENOBUFS:
		return "-ENOBUFS";
	case -EKEYEXPIRED:
		return "-EKEYEXPIRED";
	default:
		return st < 0 ? strerror(-st) : "unexpected";
	}
}

/* hexval returns the value of hex digit |c|, or -1. */
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

/* unhex decodes the hex string field |name| of |t|. Returns 0 or -1. */
static int unhex(json_t *t, const char *name, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(t, name));
	size_t n, i;

	if (s == NULL) {
		return -1;
	}
	n = strlen(s);
	if (n % 2 != 0) {
		return -1;
	}
	*out = xalloc(n / 2);
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static void vec_free(struct vec *v)
{
	free(v->key);
	free(v->iv);
	free(v->aad);
	free(v->msg);
	free(v->ct);
	free(v->tag);
	memset(v, 0, sizeof(*v));
}

/*
 * vec_parse decodes test |t| of a group whose tags are |tag_size| bytes.
 * Returns 0, or -1 with the name of the bad field in |*bad|.
 */
static int vec_parse(json_t *t, size_t tag_size, struct vec *v, const char **bad)
{
	static const char *const fields[] = { "key", "iv", "aad", "msg", "ct", "tag" };
	uint8_t **bufs[] = { &v->key, &v->iv, &v->aad, &v->msg, &v->ct, &v->tag };
	size_t *lens[] = { &v->key_len, &v->iv_len, &v->aad_len, &v->msg_len, &v->ct_len,
			   &v->tag_len };
	json_t *id = json_object_get(t, "tcId");
	const char *result = json_string_value(json_object_get(t, "result"));
	size_t i;

	memset(v, 0, sizeof(*v));
	v->tag_size = tag_size;
	if (!json_is_integer(id)) {
		*bad = "tcId";
		return -1;
	}
	v->id = json_integer_value(id);
	if (result != NULL && strcmp(result, "valid") == 0) {
		v->expect = EXP_VALID;
	} else if (result != NULL && strcmp(result, "invalid") == 0) {
		v->expect = EXP_INVALID;
	} else if (result != NULL && strcmp(result, "acceptable") == 0) {
		v->expect = EXP_ACCEPTABLE;
	} else {
		*bad = "result";
		return -1;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (unhex(t, fields[i], bufs[i], lens[i]) < 0) {
			*bad = fields[i];
			vec_free(v);
			return -1;
		}
	}
	if (v->iv_len > UINT16_MAX || v->aad_len > UINT32_MAX || v->msg_len > UINT32_MAX ||
	    v->ct_len > UINT32_MAX || v->tag_len > UINT8_MAX || tag_size > UINT8_MAX) {
		*bad = "length";
		vec_free(v);
		return -1;
	}
	return 0;
}

static enum crypto_aead_alg alg_of(enum family fam, size_t key_len)
{
	if (fam == FAM_CHACHA) {
		return CRYPTO_AEAD_CHACHA20_POLY1305;
	}
	switch (key_len) {
	case 24:
		return CRYPTO_AEAD_AES_192_GCM;
	case 32:
		return CRYPTO_AEAD_AES_256_GCM;
	default:
		return CRYPTO_AEAD_AES_128_GCM;	/* 16, or a length key_new refuses */
	}
}

/* The IV and tag lengths the engine takes (crypto_aead.h). */
static bool iv_ok(enum family fam, size_t len)
{
	if (fam == FAM_CHACHA) {
		return len == CRYPTO_AEAD_NONCE_LEN;
	}
	return len >= 1 && len <= CRYPTO_AEAD_IV_MAX;
}

static bool tag_ok(enum family fam, size_t len)
{
	if (fam == FAM_CHACHA) {
		return len == CRYPTO_AEAD_TAG_LEN;
	}
	return len == 4 || len == 8 || (len >= 12 && len <= 16);
}

/*
 * burst runs one seal or open and returns its status, checking what every
 * operation must: the status is set, the count returned agrees with it, the
 * explicit IV is left alone.
 */
static int burst(struct crypto_aead_engine *e, struct crypto_aead_op *op, bool seal,
		 const char *what, struct res *r)
{
	uint8_t *iv = copy(op->iv, op->iv_len);
	uint16_t n;

	op->status = 1;
	if (seal) {
		n = crypto_aead_seal_burst(e, op, 1);
	} else {
		n = crypto_aead_open_burst(e, op, 1);
	}
	if (op->status > 0) {
		fail(r, "%s: status not set", what);
		op->status = -EFAULT;
	} else if (n != (op->status == 0 ? 1 : 0)) {
		fail(r, "%s: burst returned %u with status %d", what, n, (int)op->status);
	}
	if (!same(op->iv, op->iv_len, iv, op->iv_len)) {
		fail(r, "%s: the explicit IV was written", what);
	}
	free(iv);
	return op->status;
}

/*
 * seal_one seals v->msg in place or out of place with a |v->tag_size|-byte
 * tag. Returns the status; *out (freed by the caller) holds what replaced
 * the plaintext or went to dst, |tag| the tag.
 */
static int seal_one(struct crypto_aead_engine *e, struct crypto_aead_key *k,
		    const struct vec *v, bool oop, uint8_t **out, uint8_t *tag, struct res *r)
{
	const char *what = oop ? "seal out of place" : "seal in place";
	struct crypto_aead_op op;
	uint8_t *src = copy(v->msg, v->msg_len);
	uint8_t *dst = NULL;
	uint8_t *iv = copy(v->iv, v->iv_len);
	int st;

	memset(&op, 0, sizeof(op));
	op.key = k;
	op.src.data = src;
	if (oop) {
		dst = xalloc(v->msg_len);
		memset(dst, 0xa5, v->msg_len);
		op.dst.data = dst;
		op.flags = CRYPTO_AEAD_F_OUT_OF_PLACE;
	}
	op.len = (uint32_t)v->msg_len;
	op.aad = v->aad;
	op.aad_len = (uint32_t)v->aad_len;
	op.iv = iv;
	op.iv_len = (uint16_t)v->iv_len;
	op.tag = tag;
	op.tag_len = (uint8_t)v->tag_size;
	st = burst(e, &op, true, what, r);
	if (oop) {
		if (!same(src, v->msg_len, v->msg, v->msg_len)) {
			fail(r, "%s: the source was changed", what);
		}
		free(src);
		*out = dst;
	} else {
		*out = src;
	}
	free(iv);
	return st;
}

/*
 * open_one opens v->ct with v->tag in place or out of place. Returns the
 * status; *out (freed by the caller) holds what replaced the ciphertext or
 * went to dst.
 */
static int open_one(struct crypto_aead_engine *e, struct crypto_aead_key *k,
		    const struct vec *v, bool oop, uint8_t **out, struct res *r)
{
	const char *what = oop ? "open out of place" : "open in place";
	struct crypto_aead_op op;
	uint8_t *src = copy(v->ct, v->ct_len);
	uint8_t *dst = NULL;
	uint8_t *iv = copy(v->iv, v->iv_len);
	uint8_t *tag = copy(v->tag, v->tag_len);
	int st;

	memset(&op, 0, sizeof(op));
	op.key = k;
	op.src.data = src;
	if (oop) {
		dst = xalloc(v->ct_len);
		memset(dst, 0xa5, v->ct_len);
		op.dst.data = dst;
		op.flags = CRYPTO_AEAD_F_OUT_OF_PLACE;
	}
	op.len = (uint32_t)v->ct_len;
	op.aad = v->aad;
	op.aad_len = (uint32_t)v->aad_len;
	op.iv = iv;
	op.iv_len = (uint16_t)v->iv_len;
	op.tag = tag;
	op.tag_len = (uint8_t)v->tag_len;
	st = burst(e, &op, false, what, r);
	if (!same(tag, v->tag_len, v->tag, v->tag_len)) {
		fail(r, "%s: the tag was written", what);
	}
	if (oop) {
		if (!same(src, v->ct_len, v->ct, v->ct_len)) {
			fail(r, "%s: the source was changed", what);
		}
		free(src);
		*out = dst;
	} else {
		*out = src;
	}
	free(iv);
	free(tag);
	return st;
}

/* check_valid: both seals give ct and tag, both opens give msg. */
static void check_valid(struct crypto_aead_engine *e, struct crypto_aead_key *k,
			const struct vec *v, bool oop, struct res *r)
{
	const char *how = oop ? "out of place" : "in place";
	uint8_t *tag = xalloc(v->tag_size);
	uint8_t *out;
	int st;

	memset(tag, 0, v->tag_size);
	st = seal_one(e, k, v, oop, &out, tag, r);
	if (st != 0) {
		fail(r, "seal %s: status %d (%s)", how, st, errname(st));
	} else if (!same(out, v->msg_len, v->ct, v->ct_len)) {
		fail(r, "seal %s: wrong ciphertext", how);
	} else if (!same(tag, v->tag_size, v->tag, v->tag_len)) {
		fail(r, "seal %s: wrong tag", how);
	}
	free(out);
	free(tag);

	st = open_one(e, k, v, oop, &out, r);
	if (st != 0) {
		fail(r, "open %s: status %d (%s)", how, st, errname(st));
	} else if (!same(out, v->ct_len, v->msg, v->msg_len)) {
		fail(r, "open %s: wrong plaintext", how);
	}
	free(out);
}

/*
 * check_invalid: the open fails (-EINVAL for parameters the algorithm does
 * not take, else -EBADMSG with the destination wiped); the seal is refused
 * with -EINVAL for such parameters, else succeeds without giving ct||tag.
 */
static void check_invalid(struct crypto_aead_engine *e, struct crypto_aead_key *k,
			  const struct vec *v, enum family fam, bool oop, struct res *r)
{
	const char *how = oop ? "out of place" : "in place";
	bool open_params = iv_ok(fam, v->iv_len) && tag_ok(fam, v->tag_len);
	bool seal_params = iv_ok(fam, v->iv_len) && tag_ok(fam, v->tag_size);
	int want = open_params ? -EBADMSG : -EINVAL;
	uint8_t *tag, *out;
	int st;

	st = open_one(e, k, v, oop, &out, r);
	if (st == 0) {
		fail(r, "open %s: accepted an invalid case", how);
	} else if (st != want) {
		fail(r, "open %s: status %d (%s), want %s", how, st, errname(st), errname(want));
	} else if (st == -EBADMSG && !zero(out, v->ct_len)) {
		fail(r, "open %s: -EBADMSG but the destination was not wiped", how);
	}
	free(out);

	tag = xalloc(v->tag_size);
	memset(tag, 0, v->tag_size);
	st = seal_one(e, k, v, oop, &out, tag, r);
	if (!seal_params && st != -EINVAL) {
		fail(r, "seal %s: status %d (%s) with an invalid IV or tag length, want -EINVAL",
		     how, st, errname(st));
	} else if (seal_params && st != 0) {
		fail(r, "seal %s: status %d (%s)", how, st, errname(st));
	} else if (st == 0 && same(out, v->msg_len, v->ct, v->ct_len) &&
		   same(tag, v->tag_size, v->tag, v->tag_len)) {
		fail(r, "seal %s: produced the invalid ciphertext and tag", how);
	}
	free(out);
	free(tag);
}

/* check_acceptable: refusing is fine; what succeeds must be right. */
static void check_acceptable(struct crypto_aead_engine *e, struct crypto_aead_key *k,
			     const struct vec *v, bool oop, struct res *r)
{
	const char *how = oop ? "out of place" : "in place";
	uint8_t *tag = xalloc(v->tag_size);
	uint8_t *out;
	int st;

	memset(tag, 0, v->tag_size);
	st = seal_one(e, k, v, oop, &out, tag, r);
	if (st == 0 && (!same(out, v->msg_len, v->ct, v->ct_len) ||
			!same(tag, v->tag_size, v->tag, v->tag_len))) {
		fail(r, "seal %s: accepted with a wrong result", how);
	}
	free(out);
	free(tag);

	st = open_one(e, k, v, oop, &out, r);
	if (st == 0 && !same(out, v->ct_len, v->msg, v->msg_len)) {
		fail(r, "open %s: accepted with a wrong plaintext", how);
	}
	free(out);
}

/* run_case runs |v| on one engine. Returns true when it passed. */
static bool run_case(struct engine *en, const struct vec *v, enum family fam, struct res *r)
{
	struct crypto_aead_key *k;
	int oop;

	memset(r, 0, sizeof(*r));
	k = crypto_aead_key_new(en->e, alg_of(fam, v->key_len), v->key, v->key_len);
	if (k == NULL) {
		if (v->expect == EXP_VALID) {
			fail(r, "key_new (%zu bytes): %s", v->key_len, strerror(errno));
		}
		return !r->failed;
	}
	for (oop = 0; oop <= 1; oop++) {
		switch (v->expect) {
		case EXP_VALID:
			check_valid(en->e, k, v, oop, r);
			break;
		case EXP_INVALID:
			check_invalid(en->e, k, v, fam, oop, r);
			break;
		case EXP_ACCEPTABLE:
			check_acceptable(en->e, k, v, oop, r);
			break;
		}
	}
	crypto_aead_key_free(k);
	return !r->failed;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/*
 * load reads the cases of |root| into *vecs. Returns the number of cases,
 * or -1 on a schema error (reported).
 */
static long load(const char *path, json_t *root, struct vec **vecs)
{
	json_t *groups = json_object_get(root, "testGroups");
	json_t *n_tests = json_object_get(root, "numberOfTests");
	size_t cap = 0, n = 0, gi, ti;
	struct vec *vs = NULL;
	json_t *g, *t;
	bool bad = false;

	if (!json_is_array(groups)) {
		fprintf(stderr, "wycheproof: %s: no \"testGroups\" array\n", path);
		return -1;
	}
	json_array_foreach(groups, gi, g) {
		json_t *tests = json_object_get(g, "tests");
		json_t *tag_bits = json_object_get(g, "tagSize");

		if (!json_is_array(tests) || !json_is_integer(tag_bits) ||
		    json_integer_value(tag_bits) % 8 != 0 || json_integer_value(tag_bits) < 0) {
			fprintf(stderr, "wycheproof: %s: test group %zu: no \"tests\" array or "
				"bad \"tagSize\"\n", path, gi);
			bad = true;
			continue;
		}
		cap += json_array_size(tests);
		vs = realloc(vs, (cap ? cap : 1) * sizeof(*vs));
		if (vs == NULL) {
			oom();
		}
		json_array_foreach(tests, ti, t) {
			const char *field = NULL;

			if (vec_parse(t, (size_t)json_integer_value(tag_bits) / 8, &vs[n],
				      &field) < 0) {
				fprintf(stderr, "wycheproof: %s: test group %zu, test %zu: bad or "
					"missing \"%s\"\n", path, gi, ti, field);
				bad = true;
				continue;
			}
			n++;
		}
	}
	if (!bad && json_is_integer(n_tests) && (size_t)json_integer_value(n_tests) != n) {
		fprintf(stderr, "wycheproof: %s: numberOfTests is %lld but the file has %zu\n",
			path, (long long)json_integer_value(n_tests), n);
		bad = true;
	}
	if (bad) {
		while (n > 0) {
			vec_free(&vs[--n]);
		}
		free(vs);
		return -1;
	}
	*vecs = vs;
	return (long)n;
}

/*
 * run_file runs the cases of |path| on every engine and adds to the totals.
 * Returns 0, or -1 when the file could not be run (reported).
 */
static int run_file(const char *path, struct engine *engines, unsigned int n_eng,
		    unsigned long *passed, unsigned long *failed)
{
	const char *name = base(path);
	struct vec *vecs = NULL;
	const char *alg;
	enum family fam;
	json_error_t jerr;
	json_t *root;
	unsigned int i;
	long n, j;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "wycheproof: %s: %s\n", path, strerror(errno));
		return -1;
	}
	root = json_loadf(f, 0, &jerr);
	if (ferror(f)) {
		fprintf(stderr, "wycheproof: %s: %s\n", path, strerror(errno));
		fclose(f);
		json_decref(root);
		return -1;
	}
	fclose(f);
	if (root == NULL) {
		fprintf(stderr, "wycheproof: %s:%d:%d: %s\n", path, jerr.line, jerr.column,
			jerr.text);
		return -1;
	}
	alg = json_string_value(json_object_get(root, "algorithm"));
	if (alg == NULL) {
		fprintf(stderr, "wycheproof: %s: no \"algorithm\" field\n", path);
		json_decref(root);
		return -1;
	}
	if (wyc_sig_handles(root)) {
		int rc = wyc_sig_run(path, root, verbose, passed, failed);

		json_decref(root);
		return rc;
	}
	if (strcmp(alg, "AES-GCM") == 0) {
		fam = FAM_GCM;
	} else if (strcmp(alg, "CHACHA20-POLY1305") == 0) {
		fam = FAM_CHACHA;
	} else {
		fprintf(stderr, "wycheproof: %s: algorithm '%s' is not supported yet\n", path, alg);
		json_decref(root);
		return -1;
	}
	n = load(path, root, &vecs);
	json_decref(root);
	if (n < 0) {
		return -1;
	}

	for (i = 0; i < n_eng; i++) {
		struct engine *en = &engines[i];

		en->passed = en->failed = 0;
		for (j = 0; j < n; j++) {
			struct res r;

			if (run_case(en, &vecs[j], fam, &r)) {
				en->passed++;
				if (verbose) {
					printf("PASS %s tcId %lld backend %s\n", name, vecs[j].id,
					       en->name);
				}
			} else {
				en->failed++;
				printf("FAIL %s tcId %lld backend %s: %s\n", name, vecs[j].id,
				       en->name, r.why);
			}
		}
		printf("%s %s: %lu passed, %lu failed\n", name, en->name, en->passed, en->failed);
		*passed += en->passed;
		*failed += en->failed;
	}

	for (j = 0; j < n; j++) {
		vec_free(&vecs[j]);
	}
	free(vecs);
	return 0;
}

/*
 * engine_add makes the engine of |b| at |a| into engines[*n]. Returns 0, or
 * -1 when it could not be made (reported).
 */
static int engine_add(struct engine *engines, unsigned int *n, enum crypto_aead_backend b,
		      enum crypto_aead_arch a)
{
	struct engine *en = &engines[*n];
	char desc[160];

	memset(en, 0, sizeof(*en));
	if (b == CRYPTO_AEAD_BACKEND_OPENSSL) {
		snprintf(en->name, sizeof(en->name), "%s", crypto_aead_backend_name(b));
	} else {
		snprintf(en->name, sizeof(en->name), "%s/%s", crypto_aead_backend_name(b),
			 crypto_aead_arch_name(a));
	}
	en->e = crypto_aead_engine_new(b, a);
	if (en->e == NULL) {
		fprintf(stderr, "wycheproof: %s: crypto_aead_engine_new: %s\n", en->name,
			strerror(errno));
		return -1;
	}
	if (crypto_aead_engine_backend(en->e) != b ||
	    (b == CRYPTO_AEAD_BACKEND_IPSECMB && crypto_aead_engine_arch(en->e) != a)) {
		fprintf(stderr, "wycheproof: %s: the engine made is %s/%s\n", en->name,
			crypto_aead_backend_name(crypto_aead_engine_backend(en->e)),
			crypto_aead_arch_name(crypto_aead_engine_arch(en->e)));
		crypto_aead_engine_free(en->e);
		en->e = NULL;
		return -1;
	}
	if (verbose) {
		printf("engine %s: %s\n", en->name,
		       crypto_aead_engine_describe(en->e, desc, sizeof(desc)));
	}
	(*n)++;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wycheproof [--backend all|openssl|ipsec-mb|ipsec-mb/ARCH] [--verbose] "
		"FILE...\n");
}

int main(int argc, char **argv)
{
	static const enum crypto_aead_arch archs[] = {
		CRYPTO_AEAD_ARCH_SSE, CRYPTO_AEAD_ARCH_AVX, CRYPTO_AEAD_ARCH_AVX2,
		CRYPTO_AEAD_ARCH_AVX512,
	};
	struct engine engines[MAX_ENGINES];
	unsigned long passed = 0, failed = 0;
	bool use_ossl = true, use_imb = true;
	enum crypto_aead_arch only = CRYPTO_AEAD_ARCH_AUTO;	/* AUTO: every arch */
	unsigned int n_eng = 0, i;
	bool file_error = false;
	int argi;

	for (argi = 1; argi < argc && strncmp(argv[argi], "--", 2) == 0; argi++) {
		const char *a = argv[argi];

		if (strcmp(a, "--") == 0) {
			argi++;
			break;
		} else if (strcmp(a, "--verbose") == 0) {
			verbose = true;
		} else if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--backend") == 0 && argi + 1 < argc) {
			const char *b = argv[++argi];

			if (strcmp(b, "all") == 0) {
				use_ossl = use_imb = true;
			} else if (strcmp(b, "openssl") == 0) {
				use_ossl = true;
				use_imb = false;
			} else if (strcmp(b, "ipsec-mb") == 0) {
				use_ossl = false;
				use_imb = true;
			} else if (strncmp(b, "ipsec-mb/", 9) == 0 &&
				   crypto_aead_arch_parse(b + 9) > CRYPTO_AEAD_ARCH_AUTO) {
				use_ossl = false;
				use_imb = true;
				only = (enum crypto_aead_arch)crypto_aead_arch_parse(b + 9);
			} else {
				fprintf(stderr, "wycheproof: unknown backend '%s'\n", b);
				usage(stderr);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (argi >= argc) {
		usage(stderr);
		return 2;
	}

	/* An engine that cannot be made counts as one failed test. */
	if (use_ossl && engine_add(engines, &n_eng, CRYPTO_AEAD_BACKEND_OPENSSL,
				   CRYPTO_AEAD_ARCH_AUTO) < 0) {
		failed++;
	}
	if (use_imb) {
		for (i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
			if ((only != CRYPTO_AEAD_ARCH_AUTO && archs[i] != only) ||
			    !crypto_aead_arch_supported(archs[i])) {
				continue;
			}
			if (engine_add(engines, &n_eng, CRYPTO_AEAD_BACKEND_IPSECMB,
				       archs[i]) < 0) {
				failed++;
			}
		}
		if (only != CRYPTO_AEAD_ARCH_AUTO && !crypto_aead_arch_supported(only)) {
			fprintf(stderr, "wycheproof: this CPU does not run ipsec-mb/%s\n",
				crypto_aead_arch_name(only));
			file_error = true;
		}
	}
	if (n_eng == 0) {
		fprintf(stderr, "wycheproof: no engine to run\n");
		file_error = true;
	}

	for (; argi < argc && n_eng > 0; argi++) {
		if (run_file(argv[argi], engines, n_eng, &passed, &failed) < 0) {
			file_error = true;
		}
	}

	for (i = 0; i < n_eng; i++) {
		crypto_aead_engine_free(engines[i].e);
	}
	printf("%lu passed, %lu failed\n", passed, failed);
	fflush(stdout);
	if (file_error) {
		return 2;
	}
	return failed == 0 ? 0 : 1;
}
