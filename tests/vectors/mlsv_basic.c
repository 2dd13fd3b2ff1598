/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_basic.c - the MLS vector kinds that need no cryptography:
 *
 *  - deserialization: "vlbytes_header" decodes (mls_read_varint, the whole
 *    header) to "length", and "length" encodes (mls_write_varint, minimal)
 *    to exactly "vlbytes_header".
 *  - tree-math: for "n_leaves", n_nodes and root match, and for every node
 *    i: left[i], right[i], parent[i] and sibling[i] (null: MLS_TREE_NONE).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mls/mls_codec.h"
#include "mls/mls_tree.h"
#include "mls_vectors.h"

static void run_deserialization(const json_t *c, struct mlsv_res *r)
{
	const json_t *hdr = json_object_get(c, "vlbytes_header");
	uint8_t *bytes = NULL, enc[MLS_VARINT_MAX_LEN];
	struct mls_reader rd;
	struct mls_writer w;
	size_t n;
	uint64_t length;
	uint32_t v;
	int rc;

	if (!json_is_string(hdr) || !mlsv_get_uint(c, "length", &length)) {
		mlsv_fail(r, "missing or malformed vlbytes_header or length");
		return;
	}
	if (mlsv_hex_decode(json_string_value(hdr), &bytes, &n) < 0) {
		mlsv_fail(r, "vlbytes_header is not hex");
		return;
	}
	mls_reader_init(&rd, bytes, n);
	rc = mls_read_varint(&rd, &v);
	if (rc < 0) {
		mlsv_fail(r, "decode: %s", strerror(-rc));
	} else if (v != length) {
		mlsv_fail(r, "decode: got %u, want %llu", v, (unsigned long long)length);
	} else if (mls_read_end(&rd) < 0) {
		mlsv_fail(r, "decode: %zu bytes left after the varint", mls_reader_left(&rd));
	}
	mls_writer_init(&w, enc, sizeof(enc));
	rc = mls_write_varint(&w, length);
	if (rc < 0) {
		mlsv_fail(r, "encode: %s", strerror(-rc));
	} else if (mls_writer_len(&w) != n || memcmp(enc, bytes, n) != 0) {
		mlsv_fail(r, "encode: %zu bytes, not the header's %zu", mls_writer_len(&w), n);
	}
	free(bytes);
}

/* check_node compares one entry of an array of node indices (null: MLS_TREE_NONE). */
static void check_node(const json_t *c, const char *key, size_t i, uint32_t got, struct mlsv_res *r)
{
	const json_t *a = json_object_get(c, key);
	const json_t *e = json_array_get(a, i);
	uint64_t want;

	if (json_is_null(e)) {
		want = MLS_TREE_NONE;
	} else if (json_is_integer(e) && json_integer_value(e) >= 0) {
		want = (uint64_t)json_integer_value(e);
	} else {
		mlsv_fail(r, "%s[%zu] is neither a node index nor null", key, i);
		return;
	}
	if (got != want) {
		mlsv_fail(r, "%s[%zu]: got %lld, want %lld", key, i,
		     got == MLS_TREE_NONE ? -1LL : (long long)got,
		     want == MLS_TREE_NONE ? -1LL : (long long)want);
	}
}

static void run_tree_math(const json_t *c, struct mlsv_res *r)
{
	static const char *const arrays[] = {"left", "right", "parent", "sibling"};
	uint64_t n_leaves, n_nodes, root;
	uint32_t n;

	if (!mlsv_get_uint(c, "n_leaves", &n_leaves) || !mlsv_get_uint(c, "n_nodes", &n_nodes) ||
	    !mlsv_get_uint(c, "root", &root)) {
		mlsv_fail(r, "missing or malformed n_leaves, n_nodes or root");
		return;
	}
	if (n_leaves > MLS_TREE_MAX_LEAVES || !mls_tree_valid_leaves((uint32_t)n_leaves)) {
		mlsv_fail(r, "n_leaves %llu is not a power of two in 1..2^30",
		     (unsigned long long)n_leaves);
		return;
	}
	n = (uint32_t)n_leaves;
	if (mls_tree_node_width(n) != n_nodes) {
		mlsv_fail(r, "n_nodes: got %u, want %llu", mls_tree_node_width(n),
		     (unsigned long long)n_nodes);
		return;
	}
	if (mls_tree_root(n) != root) {
		mlsv_fail(r, "root: got %u, want %llu", mls_tree_root(n), (unsigned long long)root);
	}
	for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
		const json_t *a = json_object_get(c, arrays[k]);

		if (!json_is_array(a) || json_array_size(a) != n_nodes) {
			mlsv_fail(r, "%s is not an array of n_nodes entries", arrays[k]);
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

static bool detect_deserialization(const json_t *first)
{
	return json_object_get(first, "vlbytes_header") != NULL;
}

static bool detect_tree_math(const json_t *first)
{
	return json_object_get(first, "n_leaves") != NULL;
}

const struct mlsv_kind mlsv_deserialization = {"deserialization", run_deserialization,
					       detect_deserialization};
const struct mlsv_kind mlsv_tree_math = {"tree-math", run_tree_math, detect_tree_math};
