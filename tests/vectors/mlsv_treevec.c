/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_treevec.c - the MLS vector kinds of the ratchet tree (mls_rtree.h):
 *
 *  - tree-validation: "tree" decodes (mls_rtree_from_wire) and re-encodes
 *    to the same bytes; for every node i of the padded tree, tree_hashes[i]
 *    and resolutions[i] (node indices) match; every non-blank parent is
 *    parent-hash valid, every leaf signature verifies with group_id, and
 *    the whole joining validation (mls_rtree_verify) passes.
 *  - tree-operations: "proposal" (an encoded Proposal: Add, Update or
 *    Remove) from "proposal_sender" is applied to "tree_before" (whose root
 *    hash is tree_hash_before); the result's root hash is tree_hash_after
 *    and it encodes byte for byte to "tree_after".
 *  - treekem: each member's private state (leaf key and path secrets) is
 *    loaded and checked against "ratchet_tree"; each update path is merged
 *    (tree_hash_after) and processed by every other member (their entry of
 *    path_secrets, and commit_secret), with the GroupContext of the vector
 *    and the merged tree's hash. Then each sender creates a fresh
 *    UpdatePath, which goes through its encoding and is merged and
 *    processed by every other member to the creator's commit secret.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mls/mls_codec.h"
#include "mls/mls_crypto.h"
#include "mls/mls_msg.h"
#include "mls/mls_rtree.h"
#include "mls/mls_treekem.h"
#include "mls_vectors.h"

#define ARENA_LIMIT (16u << 20)

/* load_tree decodes the hex tree member |key| of |c|. */
static struct mls_rtree *load_tree(const json_t *c, const char *key, const struct mls_suite *s,
				   struct mlsv_res *r)
{
	struct mls_rtree *t = NULL;
	uint8_t *b;
	size_t n;
	int rc;

	if (!mlsv_get_hex(c, key, &b, &n, r)) {
		return NULL;
	}
	rc = mls_rtree_from_wire(s, b, n, &t);
	if (rc < 0) {
		mlsv_fail(r, "%s: decoding: %s", key, strerror(-rc));
	}
	free(b);
	return t;
}

/* check_encoding compares the tree's encoding with the hex member |key| of |c|. */
static void check_encoding(const json_t *c, const char *key, const struct mls_rtree *t,
			   struct mlsv_res *r)
{
	struct mls_writer w;
	uint8_t *want, *got;
	size_t n;
	int rc;

	if (!mlsv_get_hex(c, key, &want, &n, r)) {
		return;
	}
	got = malloc(n + 64);
	if (got == NULL) {
		mlsv_fail(r, "out of memory");
		free(want);
		return;
	}
	mls_writer_init(&w, got, n + 64);
	rc = mls_rtree_to_wire(t, &w);
	if (rc < 0) {
		mlsv_fail(r, "%s: encoding: %s", key, strerror(-rc));
	} else {
		mlsv_eq(r, key, got, mls_writer_len(&w), want, n);
	}
	free(got);
	free(want);
}

/* check_root_hash compares the tree's root hash with the hex member |key| of |c|. */
static void check_root_hash(const json_t *c, const char *key, const struct mls_rtree *t,
			    struct mlsv_res *r)
{
	uint8_t h[MLS_MAX_HASH], *want;
	size_t n;
	int rc;

	rc = mls_rtree_tree_hash(t, mls_rtree_root(t), h);
	if (rc < 0) {
		mlsv_fail(r, "%s: %s", key, strerror(-rc));
		return;
	}
	if (!mlsv_get_hex(c, key, &want, &n, r)) {
		return;
	}
	mlsv_eq(r, key, h, mls_rtree_suite(t)->nh, want, n);
	free(want);
}

static void check_resolutions(const json_t *res, const struct mls_rtree *t, struct mlsv_res *r)
{
	uint32_t n_nodes = mls_rtree_n_nodes(t);
	uint32_t *got = malloc(n_nodes * sizeof(*got));

	if (got == NULL) {
		mlsv_fail(r, "out of memory");
		return;
	}
	for (uint32_t x = 0; x < n_nodes && !r->failed; x++) {
		const json_t *want = json_array_get(res, x);
		int n = mls_rtree_resolution(t, x, got, n_nodes);

		if (n < 0 || !json_is_array(want) || json_array_size(want) != (size_t)n) {
			mlsv_fail(r, "resolutions[%u]: got %d entries, want %zu", x, n,
				  json_array_size(want));
			break;
		}
		for (int i = 0; i < n; i++) {
			const json_t *e = json_array_get(want, (size_t)i);

			if (!json_is_integer(e) || json_integer_value(e) != (json_int_t)got[i]) {
				mlsv_fail(r, "resolutions[%u][%d]: got %u", x, i, got[i]);
				break;
			}
		}
	}
	free(got);
}

static void check_tree_hashes(const json_t *hashes, const struct mls_rtree *t, struct mlsv_res *r)
{
	size_t nh = mls_rtree_suite(t)->nh, n_nodes = mls_rtree_n_nodes(t);
	uint8_t *all = malloc(n_nodes * nh);
	int rc;

	if (all == NULL) {
		mlsv_fail(r, "out of memory");
		return;
	}
	rc = mls_rtree_tree_hashes(t, all, n_nodes * nh);
	if (rc < 0) {
		mlsv_fail(r, "tree hashes: %s", strerror(-rc));
	}
	for (size_t x = 0; rc == 0 && x < n_nodes && !r->failed; x++) {
		const json_t *e = json_array_get(hashes, x);
		uint8_t h[MLS_MAX_HASH], *want;
		char what[32];
		size_t n;

		if (!json_is_string(e) || mlsv_hex_decode(json_string_value(e), &want, &n) < 0) {
			mlsv_fail(r, "tree_hashes[%zu] is not hex", x);
			break;
		}
		snprintf(what, sizeof(what), "tree_hashes[%zu]", x);
		mlsv_eq(r, what, all + x * nh, nh, want, n);
		/* the single-node function agrees with the whole-tree pass */
		rc = mls_rtree_tree_hash(t, (uint32_t)x, h);
		if (rc < 0 || memcmp(h, all + x * nh, nh) != 0) {
			mlsv_fail(r, "tree_hash(%zu) differs from tree_hashes", x);
		}
		free(want);
	}
	free(all);
}

static void run_tree_validation(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s = mlsv_suite_of(c, r);
	const json_t *hashes = json_object_get(c, "tree_hashes");
	const json_t *res = json_object_get(c, "resolutions");
	struct mls_rtree *t;
	struct mls_bytes gid;
	uint8_t *group_id;
	size_t gid_len;
	int rc;

	if (s == NULL || !mlsv_get_hex(c, "group_id", &group_id, &gid_len, r)) {
		return;
	}
	gid.p = group_id;
	gid.len = gid_len;
	t = load_tree(c, "tree", s, r);
	if (t == NULL) {
		free(group_id);
		return;
	}
	if (!json_is_array(hashes) || json_array_size(hashes) != mls_rtree_n_nodes(t) ||
	    !json_is_array(res) || json_array_size(res) != mls_rtree_n_nodes(t)) {
		mlsv_fail(r, "tree_hashes or resolutions is not an array of %u nodes",
			  mls_rtree_n_nodes(t));
	}
	if (!r->failed) {
		check_encoding(c, "tree", t, r);
	}
	if (!r->failed) {
		check_tree_hashes(hashes, t, r);
	}
	if (!r->failed) {
		check_resolutions(res, t, r);
	}
	if (!r->failed) {
		rc = mls_rtree_verify_parent_hashes(t);
		if (rc < 0) {
			mlsv_fail(r, "parent hashes: %s", strerror(-rc));
		}
	}
	for (uint32_t l = 0; l < mls_rtree_n_leaves(t) && !r->failed; l++) {
		if (mls_rtree_leaf_get0(t, l) == NULL) {
			continue;
		}
		rc = mls_rtree_verify_leaf(t, l, gid);
		if (rc < 0) {
			mlsv_fail(r, "leaf %u signature: %s", l, strerror(-rc));
		}
	}
	if (!r->failed) {
		rc = mls_rtree_verify(t, gid);
		if (rc < 0) {
			mlsv_fail(r, "tree validation: %s", strerror(-rc));
		}
	}
	mls_rtree_free(t);
	free(group_id);
}

/* apply applies the proposal |p| from leaf |sender| to |t|. */
static int apply(struct mls_rtree *t, const struct mls_proposal *p, uint32_t sender)
{
	switch (p->type) {
	case MLS_PROPOSAL_ADD:
		return mls_rtree_add_leaf(t, &p->add.leaf_node, NULL);
	case MLS_PROPOSAL_UPDATE:
		return mls_rtree_update_leaf(t, sender, &p->update);
	case MLS_PROPOSAL_REMOVE:
		return mls_rtree_remove_leaf(t, p->remove);
	default:
		return -ENOTSUP;
	}
}

static void run_tree_operations(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s = mlsv_suite_of(c, r);
	struct mls_proposal prop;
	struct mls_rtree *t;
	struct mls_reader rd;
	struct mls_arena a;
	uint64_t sender;
	uint8_t *pb;
	size_t pn;
	int rc;

	if (s == NULL) {
		return;
	}
	if (!mlsv_get_uint(c, "proposal_sender", &sender) || sender > UINT32_MAX) {
		mlsv_fail(r, "proposal_sender is missing");
		return;
	}
	if (!mlsv_get_hex(c, "proposal", &pb, &pn, r)) {
		return;
	}
	t = load_tree(c, "tree_before", s, r);
	if (t == NULL) {
		free(pb);
		return;
	}
	check_root_hash(c, "tree_hash_before", t, r);
	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&rd, pb, pn);
	rc = mls_proposal_decode(&rd, &a, &prop);
	if (rc == 0) {
		rc = mls_read_end(&rd);
	}
	if (rc < 0) {
		mlsv_fail(r, "proposal: decoding: %s", strerror(-rc));
	} else {
		rc = apply(t, &prop, (uint32_t)sender);
		if (rc < 0) {
			mlsv_fail(r, "applying proposal type %u: %s", prop.type, strerror(-rc));
		}
	}
	if (!r->failed) {
		check_root_hash(c, "tree_hash_after", t, r);
	}
	if (!r->failed) {
		check_encoding(c, "tree_after", t, r);
	}
	mls_arena_cleanup(&a);
	mls_rtree_free(t);
	free(pb);
}

/* ---- treekem ----------------------------------------------------------- */

struct member {
	uint32_t index;
	struct mls_treekem_priv *priv;
	EVP_PKEY *sig;
};

struct tk_case {
	const struct mls_suite *s;
	struct mls_rtree *tree;
	struct mls_bytes group_id;
	struct mls_group_context gc;	/* tree_hash is filled in by mls_treekem */
	struct member *m;
	size_t n_m;
};

/* load_member reads one entry of leaves_private and checks it against the tree. */
static bool load_member(struct tk_case *tc, const json_t *lp, struct member *m,
			struct mlsv_res *r)
{
	const json_t *pss = json_object_get(lp, "path_secrets");
	uint8_t *enc = NULL, *sig = NULL;
	size_t enc_len, sig_len;
	uint64_t idx;
	int rc;

	if (!mlsv_get_uint(lp, "index", &idx) || idx >= mls_rtree_n_leaves(tc->tree) ||
	    !json_is_array(pss)) {
		mlsv_fail(r, "leaves_private: bad index or path_secrets");
		return false;
	}
	m->index = (uint32_t)idx;
	if (!mlsv_get_hex(lp, "encryption_priv", &enc, &enc_len, r) ||
	    !mlsv_get_hex(lp, "signature_priv", &sig, &sig_len, r)) {
		free(enc);
		return false;
	}
	rc = mls_treekem_priv_new(tc->s, m->index, enc, enc_len, &m->priv);
	rc = rc < 0 ? rc : mls_sig_key_from_priv(tc->s, sig, sig_len, &m->sig);
	free(enc);
	free(sig);
	for (size_t i = 0; rc == 0 && i < json_array_size(pss); i++) {
		const json_t *e = json_array_get(pss, i);
		uint64_t node;
		uint8_t *ps;
		size_t ps_len;

		if (!mlsv_get_uint(e, "node", &node) || node > UINT32_MAX ||
		    !mlsv_get_hex(e, "path_secret", &ps, &ps_len, r)) {
			mlsv_fail(r, "leaf %u: bad path_secrets[%zu]", m->index, i);
			return false;
		}
		rc = mls_treekem_priv_set_path_secret(m->priv, mls_rtree_n_leaves(tc->tree),
						      (uint32_t)node, ps, ps_len);
		free(ps);
	}
	rc = rc < 0 ? rc : mls_treekem_priv_check(m->priv, tc->tree);
	if (rc < 0) {
		mlsv_fail(r, "leaf %u: private state: %s", m->index, strerror(-rc));
		return false;
	}
	return true;
}

/*
 * process_all has every member but |sender| process |path| on |merged| and
 * compares the path secret with |want_ps| (a JSON array by leaf index,
 * entries may be null; NULL: not checked) and the commit secret with |want_cs|.
 */
static void process_all(struct tk_case *tc, const struct mls_rtree *merged, uint32_t sender,
			const struct mls_update_path *path, const json_t *want_ps,
			const uint8_t *want_cs, struct mlsv_res *r)
{
	size_t nh = tc->s->nh;

	for (size_t i = 0; i < tc->n_m && !r->failed; i++) {
		uint8_t ps[MLS_MAX_HASH], cs[MLS_MAX_HASH];
		struct mls_treekem_priv *p;
		const json_t *w;
		int rc;

		if (tc->m[i].index == sender) {
			continue;
		}
		rc = mls_treekem_priv_copy(tc->m[i].priv, &p);
		/* process checks the keys it derives against the path: no priv_check */
		rc = rc < 0 ? rc : mls_treekem_process(p, merged, sender, path, &tc->gc, NULL, 0,
							ps, cs);
		mls_treekem_priv_free(p);
		if (rc < 0) {
			mlsv_fail(r, "sender %u, member %u: processing: %s", sender, tc->m[i].index,
				  strerror(-rc));
			return;
		}
		w = want_ps != NULL ? json_array_get(want_ps, tc->m[i].index) : NULL;
		if (json_is_string(w)) {
			uint8_t *want;
			size_t n;

			if (mlsv_hex_decode(json_string_value(w), &want, &n) < 0) {
				mlsv_fail(r, "path_secrets[%u] is not hex", tc->m[i].index);
				return;
			}
			mlsv_eq(r, "path_secret", ps, nh, want, n);
			free(want);
		}
		mlsv_eq(r, "commit_secret", cs, nh, want_cs, nh);
	}
}

/* check_vector_path merges and processes update_paths entry |u|. */
static void check_vector_path(struct tk_case *tc, const json_t *u, struct mlsv_res *r)
{
	struct mls_update_path path;
	struct mls_rtree *c = NULL;
	struct mls_reader rd;
	struct mls_arena a;
	uint8_t *pb, *cs;
	uint64_t sender;
	size_t pn, cs_len;
	int rc;

	if (!mlsv_get_uint(u, "sender", &sender) || sender >= mls_rtree_n_leaves(tc->tree)) {
		mlsv_fail(r, "update_paths: bad sender");
		return;
	}
	if (!mlsv_get_hex(u, "update_path", &pb, &pn, r)) {
		return;
	}
	if (!mlsv_get_hex(u, "commit_secret", &cs, &cs_len, r) || cs_len != tc->s->nh) {
		mlsv_fail(r, "commit_secret: bad length");
		free(pb);
		free(cs);
		return;
	}
	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&rd, pb, pn);
	rc = mls_update_path_decode(&rd, &a, &path);
	rc = rc < 0 ? rc : mls_read_end(&rd);
	rc = rc < 0 ? rc : mls_rtree_copy(tc->tree, &c);
	rc = rc < 0 ? rc : mls_treekem_merge(c, (uint32_t)sender, &path);
	if (rc < 0) {
		mlsv_fail(r, "sender %llu: merging: %s", (unsigned long long)sender, strerror(-rc));
	} else {
		check_root_hash(u, "tree_hash_after", c, r);
		process_all(tc, c, (uint32_t)sender, &path, json_object_get(u, "path_secrets"), cs,
			    r);
	}
	mls_rtree_free(c);
	mls_arena_cleanup(&a);
	free(pb);
	free(cs);
}

/* check_fresh_path has member |m| create an UpdatePath and every other member process it. */
static void check_fresh_path(struct tk_case *tc, const struct member *m, struct mlsv_res *r)
{
	uint8_t cs[MLS_MAX_HASH], enc[1 << 14];
	struct mls_update_path path, back;
	struct mls_rtree *c = NULL, *d = NULL;
	struct mls_treekem_priv *p = NULL;
	struct mls_arena a, b;
	struct mls_writer w;
	struct mls_reader rd;
	uint8_t h1[MLS_MAX_HASH], h2[MLS_MAX_HASH];
	int rc;

	mls_arena_init(&a, ARENA_LIMIT);
	mls_arena_init(&b, ARENA_LIMIT);
	rc = mls_rtree_copy(tc->tree, &c);
	rc = rc < 0 ? rc : mls_treekem_priv_copy(m->priv, &p);
	rc = rc < 0 ? rc : mls_treekem_create(p, c, m->sig, tc->group_id, &tc->gc, NULL, 0, &a,
					      &path, cs);
	rc = rc < 0 ? rc : mls_treekem_priv_check(p, c);
	mls_treekem_priv_free(p);
	if (rc < 0) {
		mlsv_fail(r, "member %u: creating a path: %s", m->index, strerror(-rc));
		goto out;
	}
	/* through the wire, as the others get it */
	mls_writer_init(&w, enc, sizeof(enc));
	rc = mls_update_path_encode(&w, &path);
	mls_reader_init(&rd, enc, mls_writer_len(&w));
	rc = rc < 0 ? rc : mls_update_path_decode(&rd, &b, &back);
	rc = rc < 0 ? rc : mls_rtree_copy(tc->tree, &d);
	rc = rc < 0 ? rc : mls_treekem_merge(d, m->index, &back);
	rc = rc < 0 ? rc : mls_rtree_verify_leaf(d, m->index, tc->group_id);
	rc = rc < 0 ? rc : mls_rtree_verify_parent_hashes(d);
	rc = rc < 0 ? rc : mls_rtree_tree_hash(c, mls_rtree_root(c), h1);
	rc = rc < 0 ? rc : mls_rtree_tree_hash(d, mls_rtree_root(d), h2);
	if (rc < 0) {
		mlsv_fail(r, "member %u: fresh path: %s", m->index, strerror(-rc));
		goto out;
	}
	mlsv_eq(r, "fresh path: tree hash", h2, tc->s->nh, h1, tc->s->nh);
	if (!r->failed) {
		process_all(tc, d, m->index, &back, NULL, cs, r);
	}
out:
	mls_rtree_free(c);
	mls_rtree_free(d);
	mls_arena_cleanup(&a);
	mls_arena_cleanup(&b);
}

static void run_treekem(const json_t *c, struct mlsv_res *r)
{
	const json_t *lps = json_object_get(c, "leaves_private");
	const json_t *ups = json_object_get(c, "update_paths");
	struct tk_case tc = {0};
	uint8_t *gid = NULL, *cth = NULL;
	size_t gid_len, cth_len;
	uint64_t epoch;

	tc.s = mlsv_suite_of(c, r);
	if (tc.s == NULL || !json_is_array(lps) || !json_is_array(ups) ||
	    !mlsv_get_uint(c, "epoch", &epoch)) {
		mlsv_fail(r, "missing cipher_suite, epoch, leaves_private or update_paths");
		return;
	}
	if (!mlsv_get_hex(c, "group_id", &gid, &gid_len, r) ||
	    !mlsv_get_hex(c, "confirmed_transcript_hash", &cth, &cth_len, r)) {
		goto out;
	}
	tc.group_id = (struct mls_bytes){gid, gid_len};
	tc.gc.cipher_suite = tc.s->id;
	tc.gc.group_id = tc.group_id;
	tc.gc.epoch = epoch;
	tc.gc.confirmed_transcript_hash = (struct mls_bytes){cth, cth_len};
	tc.tree = load_tree(c, "ratchet_tree", tc.s, r);
	if (tc.tree == NULL) {
		goto out;
	}
	tc.m = calloc(json_array_size(lps) + 1, sizeof(*tc.m));
	if (tc.m == NULL) {
		mlsv_fail(r, "out of memory");
		goto out;
	}
	for (; tc.n_m < json_array_size(lps) && !r->failed; tc.n_m++) {
		if (!load_member(&tc, json_array_get(lps, tc.n_m), &tc.m[tc.n_m], r)) {
			tc.n_m++;
			break;
		}
	}
	for (size_t i = 0; i < json_array_size(ups) && !r->failed; i++) {
		check_vector_path(&tc, json_array_get(ups, i), r);
	}
	for (size_t i = 0; i < tc.n_m && !r->failed; i++) {
		check_fresh_path(&tc, &tc.m[i], r);
	}
out:
	for (size_t i = 0; i < tc.n_m; i++) {
		mls_treekem_priv_free(tc.m[i].priv);
		EVP_PKEY_free(tc.m[i].sig);
	}
	free(tc.m);
	mls_rtree_free(tc.tree);
	free(gid);
	free(cth);
}

static bool detect_tree_validation(const json_t *first)
{
	return json_object_get(first, "resolutions") != NULL;
}

static bool detect_tree_operations(const json_t *first)
{
	return json_object_get(first, "tree_before") != NULL;
}

static bool detect_treekem(const json_t *first)
{
	return json_object_get(first, "update_paths") != NULL;
}

const struct mlsv_kind mlsv_tree_validation = {"tree-validation", run_tree_validation,
					       detect_tree_validation};
const struct mlsv_kind mlsv_tree_operations = {"tree-operations", run_tree_operations,
					       detect_tree_operations};
const struct mlsv_kind mlsv_treekem = {"treekem", run_treekem, detect_treekem};
