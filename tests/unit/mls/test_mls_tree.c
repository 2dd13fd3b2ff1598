/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_tree.c: hand values from the 8-leaf tree
 * of RFC 9420 Appendix C, structural properties of every node of every tree
 * of 1 .. 1024 leaves (children and parent agree, sibling symmetry, the
 * direct path climbs one level a step to the root, the copath is made of
 * its siblings), common ancestors against a brute-force search, and the
 * refusals (leaf counts that are not powers of two, nodes outside the tree,
 * short output arrays).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mls_tree.h"

/*
 * RFC 9420 Appendix C, 8 leaves:
 *                              7
 *                  3                       11
 *            1           5           9           13
 *         0     2     4     6     8    10    12    14
 */
static void test_rfc_figure(void **state)
{
	static const uint32_t want_dp4[] = {5, 3, 7};
	static const uint32_t want_cp4[] = {6, 1, 11};
	static const uint32_t want_dp14[] = {13, 11, 7};
	static const uint32_t want_cp14[] = {12, 9, 3};
	uint32_t out[MLS_TREE_MAX_DEPTH];

	(void)state;
	assert_int_equal(mls_tree_node_width(8), 15);
	assert_int_equal(mls_tree_root(8), 7);
	assert_int_equal(mls_tree_level(7), 3);
	assert_int_equal(mls_tree_level(11), 2);
	assert_int_equal(mls_tree_level(4), 0);
	assert_int_equal(mls_tree_left(7), 3);
	assert_int_equal(mls_tree_right(7), 11);
	assert_int_equal(mls_tree_left(11), 9);
	assert_int_equal(mls_tree_right(11), 13);
	assert_int_equal(mls_tree_left(5), 4);
	assert_int_equal(mls_tree_right(5), 6);
	assert_int_equal(mls_tree_left(4), MLS_TREE_NONE);
	assert_int_equal(mls_tree_right(4), MLS_TREE_NONE);
	assert_int_equal(mls_tree_parent(4, 8), 5);
	assert_int_equal(mls_tree_parent(9, 8), 11);
	assert_int_equal(mls_tree_parent(7, 8), MLS_TREE_NONE);
	assert_int_equal(mls_tree_sibling(3, 8), 11);
	assert_int_equal(mls_tree_sibling(12, 8), 14);
	assert_int_equal(mls_tree_sibling(7, 8), MLS_TREE_NONE);
	assert_int_equal(mls_tree_leaf_to_node(2), 4);
	assert_int_equal(mls_tree_node_to_leaf(14), 7);
	assert_int_equal(mls_tree_node_to_leaf(13), MLS_TREE_NONE);

	assert_int_equal(mls_tree_direct_path(4, 8, out, MLS_TREE_MAX_DEPTH), 3);
	assert_memory_equal(out, want_dp4, sizeof(want_dp4));
	assert_int_equal(mls_tree_copath(4, 8, out, MLS_TREE_MAX_DEPTH), 3);
	assert_memory_equal(out, want_cp4, sizeof(want_cp4));
	assert_int_equal(mls_tree_direct_path(14, 8, out, MLS_TREE_MAX_DEPTH), 3);
	assert_memory_equal(out, want_dp14, sizeof(want_dp14));
	assert_int_equal(mls_tree_copath(14, 8, out, MLS_TREE_MAX_DEPTH), 3);
	assert_memory_equal(out, want_cp14, sizeof(want_cp14));
	assert_int_equal(mls_tree_direct_path(7, 8, out, MLS_TREE_MAX_DEPTH), 0);
	assert_int_equal(mls_tree_copath(7, 8, out, MLS_TREE_MAX_DEPTH), 0);

	assert_int_equal(mls_tree_common_ancestor(0, 6, 8), 3);
	assert_int_equal(mls_tree_common_ancestor(4, 10, 8), 7);
	assert_int_equal(mls_tree_common_ancestor(1, 2, 8), 1);
	assert_int_equal(mls_tree_common_ancestor(2, 1, 8), 1);
	assert_int_equal(mls_tree_common_ancestor(8, 14, 8), 11);
	assert_int_equal(mls_tree_common_ancestor(5, 5, 8), 5);
	assert_int_equal(mls_tree_common_ancestor(13, 12, 8), 13);

	/* one leaf: the leaf is the root */
	assert_int_equal(mls_tree_node_width(1), 1);
	assert_int_equal(mls_tree_root(1), 0);
	assert_int_equal(mls_tree_parent(0, 1), MLS_TREE_NONE);
	assert_int_equal(mls_tree_sibling(0, 1), MLS_TREE_NONE);
	assert_int_equal(mls_tree_direct_path(0, 1, out, 0), 0);
}

/* brute_ancestor finds the lowest common ancestor by walking both direct paths. */
static uint32_t brute_ancestor(uint32_t x, uint32_t y, uint32_t n)
{
	for (uint32_t a = x; a != MLS_TREE_NONE; a = mls_tree_parent(a, n)) {
		for (uint32_t b = y; b != MLS_TREE_NONE; b = mls_tree_parent(b, n)) {
			if (a == b) {
				return a;
			}
		}
	}
	return MLS_TREE_NONE;
}

static void test_properties(void **state)
{
	(void)state;
	for (uint32_t log = 0; log <= 10; log++) {
		uint32_t n = 1u << log;
		uint32_t w = mls_tree_node_width(n);
		uint32_t root = mls_tree_root(n);

		assert_true(mls_tree_valid_leaves(n));
		assert_int_equal(w, 2 * n - 1);
		assert_true(root < w);
		assert_int_equal(mls_tree_level(root), log);
		assert_int_equal(mls_tree_parent(root, n), MLS_TREE_NONE);
		assert_int_equal(mls_tree_sibling(root, n), MLS_TREE_NONE);
		assert_int_equal(mls_tree_parent(w, n), MLS_TREE_NONE);

		for (uint32_t x = 0; x < w; x++) {
			uint32_t l = mls_tree_left(x), r = mls_tree_right(x);
			uint32_t p = mls_tree_parent(x, n), s = mls_tree_sibling(x, n);
			uint32_t dp[MLS_TREE_MAX_DEPTH], cp[MLS_TREE_MAX_DEPTH];
			uint32_t prev = x;
			int nd, nc;

			if (mls_tree_is_leaf(x)) {
				assert_int_equal(mls_tree_level(x), 0);
				assert_int_equal(l, MLS_TREE_NONE);
				assert_int_equal(r, MLS_TREE_NONE);
				assert_int_equal(mls_tree_leaf_to_node(mls_tree_node_to_leaf(x)), x);
				assert_true(mls_tree_node_to_leaf(x) < n);
			} else {
				assert_true(l < x && x < r && r < w);
				assert_int_equal(mls_tree_level(l), mls_tree_level(x) - 1);
				assert_int_equal(mls_tree_level(r), mls_tree_level(x) - 1);
				assert_int_equal(mls_tree_parent(l, n), x);
				assert_int_equal(mls_tree_parent(r, n), x);
				assert_int_equal(mls_tree_sibling(l, n), r);
				assert_int_equal(mls_tree_sibling(r, n), l);
				assert_int_equal(mls_tree_node_to_leaf(x), MLS_TREE_NONE);
			}
			if (x == root) {
				assert_int_equal(p, MLS_TREE_NONE);
			} else {
				assert_true(p < w);
				assert_int_equal(mls_tree_level(p), mls_tree_level(x) + 1);
				assert_true(mls_tree_left(p) == x || mls_tree_right(p) == x);
				assert_int_not_equal(s, x);
				assert_int_equal(mls_tree_sibling(s, n), x);
				assert_int_equal(mls_tree_parent(s, n), p);
			}

			nd = mls_tree_direct_path(x, n, dp, MLS_TREE_MAX_DEPTH);
			nc = mls_tree_copath(x, n, cp, MLS_TREE_MAX_DEPTH);
			assert_int_equal(nd, (int)(log - mls_tree_level(x)));
			assert_int_equal(nc, nd);
			if (nd > 0) {
				assert_int_equal(dp[nd - 1], root);
				/* one short of the room it needs */
				assert_int_equal(mls_tree_direct_path(x, n, dp, (size_t)nd - 1), -ENOSPC);
				assert_int_equal(mls_tree_copath(x, n, cp, (size_t)nd - 1), -ENOSPC);
				nd = mls_tree_direct_path(x, n, dp, MLS_TREE_MAX_DEPTH);
				nc = mls_tree_copath(x, n, cp, MLS_TREE_MAX_DEPTH);
			}
			for (int i = 0; i < nd; i++) {
				assert_int_equal(dp[i], mls_tree_parent(prev, n));
				assert_int_equal(cp[i], mls_tree_sibling(prev, n));
				assert_int_equal(mls_tree_common_ancestor(x, dp[i], n), dp[i]);
				prev = dp[i];
			}
			assert_int_equal(mls_tree_common_ancestor(x, root, n), root);
			assert_int_equal(mls_tree_common_ancestor(x, x, n), x);
		}
	}
}

static void test_common_ancestor(void **state)
{
	(void)state;
	/* all pairs up to 64 leaves, then pairs along a stride */
	for (uint32_t log = 0; log <= 10; log++) {
		uint32_t n = 1u << log;
		uint32_t w = mls_tree_node_width(n);
		uint32_t step = log <= 6 ? 1 : 37;

		for (uint32_t x = 0; x < w; x += step) {
			for (uint32_t y = 0; y < w; y += step) {
				assert_int_equal(mls_tree_common_ancestor(x, y, n),
						 brute_ancestor(x, y, n));
			}
		}
	}
}

static void test_refusals(void **state)
{
	static const uint32_t bad_n[] = {0, 3, 5, 6, 7, 12, 1000, (1u << 30) + 1, 1u << 31, UINT32_MAX};
	uint32_t out[MLS_TREE_MAX_DEPTH];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_n) / sizeof(bad_n[0]); i++) {
		uint32_t n = bad_n[i];

		assert_false(mls_tree_valid_leaves(n));
		assert_int_equal(mls_tree_node_width(n), 0);
		assert_int_equal(mls_tree_root(n), MLS_TREE_NONE);
		assert_int_equal(mls_tree_parent(0, n), MLS_TREE_NONE);
		assert_int_equal(mls_tree_sibling(0, n), MLS_TREE_NONE);
		assert_int_equal(mls_tree_direct_path(0, n, out, MLS_TREE_MAX_DEPTH), -EINVAL);
		assert_int_equal(mls_tree_copath(0, n, out, MLS_TREE_MAX_DEPTH), -EINVAL);
		assert_int_equal(mls_tree_common_ancestor(0, 0, n), MLS_TREE_NONE);
	}
	/* nodes outside a tree of 4 leaves (7 nodes) */
	assert_int_equal(mls_tree_parent(7, 4), MLS_TREE_NONE);
	assert_int_equal(mls_tree_sibling(8, 4), MLS_TREE_NONE);
	assert_int_equal(mls_tree_direct_path(7, 4, out, MLS_TREE_MAX_DEPTH), -EINVAL);
	assert_int_equal(mls_tree_copath(MLS_TREE_NONE, 4, out, MLS_TREE_MAX_DEPTH), -EINVAL);
	assert_int_equal(mls_tree_common_ancestor(2, 7, 4), MLS_TREE_NONE);
	assert_int_equal(mls_tree_left(MLS_TREE_NONE), MLS_TREE_NONE);
	assert_int_equal(mls_tree_right(MLS_TREE_NONE), MLS_TREE_NONE);
	assert_int_equal(mls_tree_node_to_leaf(MLS_TREE_NONE), MLS_TREE_NONE);
	assert_int_equal(mls_tree_leaf_to_node(MLS_TREE_MAX_LEAVES), MLS_TREE_NONE);

	/* the largest tree: a leaf's path has MLS_TREE_MAX_DEPTH nodes */
	assert_true(mls_tree_valid_leaves(MLS_TREE_MAX_LEAVES));
	assert_int_equal(mls_tree_node_width(MLS_TREE_MAX_LEAVES), 2 * MLS_TREE_MAX_LEAVES - 1);
	assert_int_equal(mls_tree_root(MLS_TREE_MAX_LEAVES), MLS_TREE_MAX_LEAVES - 1);
	assert_int_equal(mls_tree_direct_path(2 * MLS_TREE_MAX_LEAVES - 2, MLS_TREE_MAX_LEAVES, out,
					      MLS_TREE_MAX_DEPTH), MLS_TREE_MAX_DEPTH);
	assert_int_equal(out[MLS_TREE_MAX_DEPTH - 1], MLS_TREE_MAX_LEAVES - 1);
	assert_int_equal(mls_tree_copath(0, MLS_TREE_MAX_LEAVES, out, MLS_TREE_MAX_DEPTH),
			 MLS_TREE_MAX_DEPTH);
	assert_int_equal(out[MLS_TREE_MAX_DEPTH - 1], 3u * (MLS_TREE_MAX_LEAVES / 2) - 1);
	assert_int_equal(mls_tree_common_ancestor(0, 2 * MLS_TREE_MAX_LEAVES - 2, MLS_TREE_MAX_LEAVES),
			 MLS_TREE_MAX_LEAVES - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_figure),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_common_ancestor),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
