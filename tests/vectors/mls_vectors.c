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
 * content: an array of objects with "vlbytes_header" is deserialization,
 * with "n_leaves" tree-math. Every case (array element) is one test.
 *
 *  - deserialization: "vlbytes_header" decodes (mls_read_varint, the whole
 *    header) to "length", and "length" encodes (mls_write_varint, minimal)
 *    to exactly "vlbytes_header".
 *  - tree-math: for "n_leaves", n_nodes and root match, and for every node
 *    i: left[i], right[i], parent[i] and sibling[i] (null: MLS_TREE_NONE).
 *
 * The other kinds are not implemented yet: the runner says so on stderr
 * ("mls-vectors: FILE: kind 'X' is not implemented yet"), counts nothing
 * for that file and exits 2 at the end.
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

#include "mls/mls_codec.h"
#include "mls/mls_tree.h"

enum kind {
	KIND_UNKNOWN,
	KIND_DESERIALIZATION,
	KIND_TREE_MATH,
	KIND_LATER,		/* an official file this runner does not run yet */
};

/* Base names of the official files; the ones this runner does not run yet map to KIND_LATER. */
static const struct {
	const char *name;
	enum kind kind;
} kinds[] = {
	{"deserialization.json", KIND_DESERIALIZATION},
	{"tree-math.json", KIND_TREE_MATH},
	{"crypto-basics.json", KIND_LATER},
	{"secret-tree.json", KIND_LATER},
	{"key-schedule.json", KIND_LATER},
	{"psk_secret.json", KIND_LATER},
	{"transcript-hashes.json", KIND_LATER},
	{"messages.json", KIND_LATER},
	{"message-protection.json", KIND_LATER},
	{"tree-validation.json", KIND_LATER},
	{"tree-operations.json", KIND_LATER},
	{"treekem.json", KIND_LATER},
	{"welcome.json", KIND_LATER},
	{"passive-client-welcome.json", KIND_LATER},
	{"passive-client-handling-commit.json", KIND_LATER},
	{"passive-client-random.json", KIND_LATER},
};

static bool verbose;

/* The first failure of a case. */
struct res {
	bool failed;
	char why[200];
};

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

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/*
 * hex_decode decodes the lowercase or uppercase hex string |s| into a
 * malloc'd buffer of exactly its length (at least 1 byte allocated).
 * Returns 0 or -EINVAL.
 */
static int hex_decode(const char *s, uint8_t **out, size_t *out_len)
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

/* get_uint reads the non-negative integer member |key| of |o| into |out|. */
static bool get_uint(const json_t *o, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static void run_deserialization(const json_t *c, struct res *r)
{
	const json_t *hdr = json_object_get(c, "vlbytes_header");
	uint8_t *bytes = NULL, enc[MLS_VARINT_MAX_LEN];
	struct mls_reader rd;
	struct mls_writer w;
	size_t n;
	uint64_t length;
	uint32_t v;
	int rc;

	if (!json_is_string(hdr) || !get_uint(c, "length", &length)) {
		fail(r, "missing or malformed vlbytes_header or length");
		return;
	}
	if (hex_decode(json_string_value(hdr), &bytes, &n) < 0) {
		fail(r, "vlbytes_header is not hex");
		return;
	}
	mls_reader_init(&rd, bytes, n);
	rc = mls_read_varint(&rd, &v);
	if (rc < 0) {
		fail(r, "decode: %s", strerror(-rc));
	} else if (v != length) {
		fail(r, "decode: got %u, want %llu", v, (unsigned long long)length);
	} else if (mls_read_end(&rd) < 0) {
		fail(r, "decode: %zu bytes left after the varint", mls_reader_left(&rd));
	}
	mls_writer_init(&w, enc, sizeof(enc));
	rc = mls_write_varint(&w, length);
	if (rc < 0) {
		fail(r, "encode: %s", strerror(-rc));
	} else if (mls_writer_len(&w) != n || memcmp(enc, bytes, n) != 0) {
		fail(r, "encode: %zu bytes, not the header's %zu", mls_writer_len(&w), n);
	}
	free(bytes);
}

/* check_node compares one entry of an array of node indices (null: MLS_TREE_NONE). */
static void check_node(const json_t *c, const char *key, size_t i, uint32_t got, struct res *r)
{
	const json_t *a = json_object_get(c, key);
	const json_t *e = json_array_get(a, i);
	uint64_t want;

	if (json_is_null(e)) {
		want = MLS_TREE_NONE;
	} else if (json_is_integer(e) && json_integer_value(e) >= 0) {
		want = (uint64_t)json_integer_value(e);
	} else {
		fail(r, "%s[%zu] is neither a node index nor null", key, i);
		return;
	}
	if (got != want) {
		fail(r, "%s[%zu]: got %lld, want %lld", key, i,
		     got == MLS_TREE_NONE ? -1LL : (long long)got,
		     want == MLS_TREE_NONE ? -1LL : (long long)want);
	}
}

static void run_tree_math(const json_t *c, struct res *r)
{
	static const char *const arrays[] = {"left", "right", "parent", "sibling"};
	uint64_t n_leaves, n_nodes, root;
	uint32_t n;

	if (!get_uint(c, "n_leaves", &n_leaves) || !get_uint(c, "n_nodes", &n_nodes) ||
	    !get_uint(c, "root", &root)) {
		fail(r, "missing or malformed n_leaves, n_nodes or root");
		return;
	}
	if (n_leaves > MLS_TREE_MAX_LEAVES || !mls_tree_valid_leaves((uint32_t)n_leaves)) {
		fail(r, "n_leaves %llu is not a power of two in 1..2^30",
		     (unsigned long long)n_leaves);
		return;
	}
	n = (uint32_t)n_leaves;
	if (mls_tree_node_width(n) != n_nodes) {
		fail(r, "n_nodes: got %u, want %llu", mls_tree_node_width(n),
		     (unsigned long long)n_nodes);
		return;
	}
	if (mls_tree_root(n) != root) {
		fail(r, "root: got %u, want %llu", mls_tree_root(n), (unsigned long long)root);
	}
	for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
		const json_t *a = json_object_get(c, arrays[k]);

		if (!json_is_array(a) || json_array_size(a) != n_nodes) {
			fail(r, "%s is not an array of n_nodes entries", arrays[k]);
			return;
		}
	}
	for (uint32_t i = 0; i < (uint32_t)n_nodes; i++) {
		check_node(c, "left", i, mls_tree_left(i), r);
		check_node(c, "right", i, mls_tree_right(i), r);
		check_node(c, "parent", i, mls_tree_parent(i, n), r);
		check_node(c, "sibling", i, mls_tree_sibling(i, n), r);
	}
}

/* kind_of finds the kind of |path| by its base name (|*name| is set to the kind's name), else by content. */
static enum kind kind_of(const char *path, const json_t *root, const char **name)
{
	const char *b = base_name(path);
	const json_t *first;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].name) - strlen(".json");

		if (strcmp(b, kinds[i].name) == 0) {
			static char kname[64];

			snprintf(kname, sizeof(kname), "%.*s", (int)n, kinds[i].name);
			*name = kname;
			return kinds[i].kind;
		}
	}
	first = json_array_get(root, 0);
	if (json_is_object(first) && json_object_get(first, "vlbytes_header") != NULL) {
		*name = "deserialization";
		return KIND_DESERIALIZATION;
	}
	if (json_is_object(first) && json_object_get(first, "n_leaves") != NULL) {
		*name = "tree-math";
		return KIND_TREE_MATH;
	}
	*name = "unknown";
	return KIND_UNKNOWN;
}

/*
 * run_file runs every case of |path|, adding to |*passed| and |*failed|.
 * Returns 0, or -1 on a file error or a kind that does not run yet.
 */
static int run_file(const char *path, unsigned long *passed, unsigned long *failed)
{
	unsigned long p = 0, f = 0;
	json_error_t err;
	const char *kname;
	json_t *root;
	enum kind k;

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
	k = kind_of(path, root, &kname);
	if (k == KIND_UNKNOWN) {
		fprintf(stderr, "mls-vectors: %s: unknown kind of test vectors\n", path);
		json_decref(root);
		return -1;
	}
	if (k == KIND_LATER) {
		fprintf(stderr, "mls-vectors: %s: kind '%s' is not implemented yet\n", path, kname);
		json_decref(root);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(root); i++) {
		const json_t *c = json_array_get(root, i);
		struct res r = {0};

		if (!json_is_object(c)) {
			fail(&r, "not an object");
		} else if (k == KIND_DESERIALIZATION) {
			run_deserialization(c, &r);
		} else {
			run_tree_math(c, &r);
		}
		if (r.failed) {
			printf("FAIL %s case %zu: %s\n", base_name(path), i, r.why);
			f++;
		} else {
			if (verbose) {
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
		verbose = true;
		argi++;
	}
	if (argi >= argc) {
		fprintf(stderr, "usage: mls-vectors [--verbose] FILE...\n");
		return 2;
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
