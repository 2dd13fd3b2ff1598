/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_vectors.c - the MLS (RFC 9420) interop vector runner
 * (build/tests/mls-vectors), over the files of mlswg/mls-implementations
 * test-vectors/ (../shared/vectors/mls).
 *
 *   mls-vectors [--verbose] FILE...
 *
 * The kind of a file comes from its base name (deserialization.json,
 * tree-math.json, crypto-basics.json, ...) or, for another name, from its
 * content (each kind's detect() looks at the first case). Every case (array
 * element) is one test. Each kind is run by its own file (mls_vectors.h);
 * a case that checks a cipher suite this build does not support fails.
 *
 * A kind that is known but not implemented yet makes the runner say so on
 * stderr ("mls-vectors: FILE: kind 'X' is not implemented yet"), count
 * nothing for that file and exit 2 at the end.
 *
 * Prints "FAIL FILE case N: reason" per failure, "NAME: P passed, F failed"
 * per file and as its last line "N passed, M failed" (scripts/test counts
 * it). Exit 0 when nothing failed and every file ran, 1 when a test
 * failed, 2 on a usage or file error or a kind not implemented yet.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mls/mls_crypto.h"
#include "mls_vectors.h"

bool mlsv_verbose;

/* Every kind of official file, in the build order of the implementation. */
static const struct mlsv_kind *const kinds[] = {
	&mlsv_deserialization,
	&mlsv_tree_math,
	&mlsv_crypto_basics,
	&mlsv_secret_tree,
	&mlsv_key_schedule,
	&mlsv_psk_secret,
	&mlsv_transcript_hashes,
	&mlsv_messages,
	&mlsv_message_protection,
	&mlsv_tree_validation,
	&mlsv_tree_operations,
	&mlsv_treekem,
	&mlsv_welcome,
	&mlsv_passive_client_welcome,
	&mlsv_passive_client_handling_commit,
	&mlsv_passive_client_random,
};

void mlsv_fail(struct mlsv_res *r, const char *fmt, ...)
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

int mlsv_hex_decode(const char *s, uint8_t **out, size_t *out_len)
{
	size_t n = strlen(s);
	uint8_t *b;

	if (n % 2 != 0) {
		return -EINVAL;
	}
	b = malloc(n / 2 > 0 ? n / 2 : 1);
	if (b == NULL) {
		fprintf(stderr, "mls-vectors: out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v = 0;

		for (size_t j = 0; j < 2; j++) {
			char c = s[2 * i + j];

			v <<= 4;
			if (c >= '0' && c <= '9') {
				v |= (unsigned)(c - '0');
			} else if (c >= 'a' && c <= 'f') {
				v |= (unsigned)(c - 'a' + 10);
			} else if (c >= 'A' && c <= 'F') {
				v |= (unsigned)(c - 'A' + 10);
			} else {
				free(b);
				return -EINVAL;
			}
		}
		b[i] = (uint8_t)v;
	}
	*out = b;
	*out_len = n / 2;
	return 0;
}

bool mlsv_get_uint(const json_t *o, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

bool mlsv_get_hex(const json_t *o, const char *key, uint8_t **out, size_t *out_len,
		  struct mlsv_res *r)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	*out_len = 0;
	if (!json_is_string(v)) {
		mlsv_fail(r, "%s is missing or not a string", key);
		return false;
	}
	if (mlsv_hex_decode(json_string_value(v), out, out_len) < 0) {
		mlsv_fail(r, "%s is not hex", key);
		return false;
	}
	return true;
}

bool mlsv_eq(struct mlsv_res *r, const char *what, const uint8_t *got, size_t got_len,
	     const uint8_t *want, size_t want_len)
{
	char g[17], w[17];

	if (got_len == want_len && (got_len == 0 || memcmp(got, want, got_len) == 0)) {
		return true;
	}
	for (size_t i = 0; i < 8; i++) {
		snprintf(g + 2 * i, 3, "%02x", i < got_len ? got[i] : 0);
		snprintf(w + 2 * i, 3, "%02x", i < want_len ? want[i] : 0);
	}
	mlsv_fail(r, "%s: got %zu bytes %s..., want %zu bytes %s...", what, got_len, g,
		  want_len, w);
	return false;
}

const struct mls_suite *mlsv_suite_of(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s;
	uint64_t id;

	if (!mlsv_get_uint(c, "cipher_suite", &id)) {
		mlsv_fail(r, "cipher_suite is missing");
		return NULL;
	}
	s = id <= UINT16_MAX ? mls_suite_get((uint16_t)id) : NULL;
	if (s == NULL) {
		mlsv_fail(r, "cipher suite %llu is not supported", (unsigned long long)id);
	}
	return s;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* kind_of finds the kind of |path| by its base name, else by content; NULL when neither tells. */
static const struct mlsv_kind *kind_of(const char *path, const json_t *root)
{
	const char *b = base_name(path);
	const json_t *first;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i]->name);

		if (strncmp(b, kinds[i]->name, n) == 0 && strcmp(b + n, ".json") == 0) {
			return kinds[i];
		}
	}
	first = json_array_get(root, 0);
	if (!json_is_object(first)) {
		return NULL;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i]->detect != NULL && kinds[i]->detect(first)) {
			return kinds[i];
		}
	}
	return NULL;
}

/*
 * run_file runs every case of |path|, adding to |*passed| and |*failed|.
 * Returns 0, or -1 on a file error or a kind that does not run yet.
 */
static int run_file(const char *path, unsigned long *passed, unsigned long *failed)
{
	unsigned long p = 0, f = 0;
	const struct mlsv_kind *k;
	json_error_t err;
	json_t *root;

	root = json_load_file(path, 0, &err);
	if (root == NULL) {
		fprintf(stderr, "mls-vectors: %s: line %d: %s\n", path, err.line, err.text);
		return -1;
	}
	if (!json_is_array(root)) {
		fprintf(stderr, "mls-vectors: %s: not a JSON array\n", path);
		json_decref(root);
		return -1;
	}
	k = kind_of(path, root);
	if (k == NULL) {
		fprintf(stderr, "mls-vectors: %s: unknown kind of test vectors\n", path);
		json_decref(root);
		return -1;
	}
	if (k->run == NULL) {
		fprintf(stderr, "mls-vectors: %s: kind '%s' is not implemented yet\n", path,
			k->name);
		json_decref(root);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(root); i++) {
		const json_t *c = json_array_get(root, i);
		struct mlsv_res r = {0};

		if (!json_is_object(c)) {
			mlsv_fail(&r, "not an object");
		} else {
			k->run(c, &r);
		}
		if (r.failed) {
			printf("FAIL %s case %zu: %s\n", base_name(path), i, r.why);
			f++;
		} else {
			if (mlsv_verbose) {
				printf("ok %s case %zu\n", base_name(path), i);
			}
			p++;
		}
	}
	printf("%s: %lu passed, %lu failed\n", base_name(path), p, f);
	*passed += p;
	*failed += f;
	json_decref(root);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long passed = 0, failed = 0;
	bool file_error = false;
	int argi = 1;

	if (argi < argc && strcmp(argv[argi], "--verbose") == 0) {
		mlsv_verbose = true;
		argi++;
	}
	if (argi >= argc || strcmp(argv[argi], "--help") == 0) {
		fprintf(argi >= argc ? stderr : stdout,
			"usage: mls-vectors [--verbose] FILE...\n"
			"Runs MLS (RFC 9420) interop test-vector files; the kind comes from the\n"
			"file name (crypto-basics.json, ...) or its content. Prints one line per\n"
			"failed case and 'N passed, M failed'. Exit 0: all passed; 1: a case\n"
			"failed; 2: usage or file error, or a kind not implemented yet.\n");
		return argi >= argc ? 2 : 0;
	}
	for (; argi < argc; argi++) {
		if (run_file(argv[argi], &passed, &failed) < 0) {
			file_error = true;
		}
	}
	printf("%lu passed, %lu failed\n", passed, failed);
	if (file_error) {
		return 2;
	}
	return failed > 0 ? 1 : 0;
}
