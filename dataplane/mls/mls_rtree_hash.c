/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_rtree_hash.c - the ratchet tree's hashes and validation (RFC 9420
 * sections 7.3, 7.8, 7.9, 12.4.3.1): tree hashes, parent hashes with the
 * original sibling tree hash, parent-hash chains, leaf signatures and the
 * checks a joining member makes. Built on mls_rtree.h's functions only;
 * the contract is there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mls_rtree.h"
#include "mls_tree.h"

/* A growable buffer the hash and signature inputs are encoded into. */
struct scratch {
	uint8_t *buf;
	size_t cap;
};

static int scratch_reserve(struct scratch *sc, size_t need)
{
	size_t cap = sc->cap < 512 ? 512 : sc->cap;
	uint8_t *b;

	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			return -ENOMEM;
		}
		cap *= 2;
	}
	if (cap == sc->cap) {
		return 0;
	}
	b = realloc(sc->buf, cap);
	if (b == NULL) {
		return -ENOMEM;
	}
	sc->buf = b;
	sc->cap = cap;
	return 0;
}

/* in_subtree returns true when node |y| is in the subtree of node |x|. */
static bool in_subtree(uint32_t x, uint32_t y)
{
	uint32_t half = (1u << mls_tree_level(x)) - 1;

	return y >= x - half && y <= x + half;
}

/* listed returns true when |leaf| is among |p|'s unmerged leaves (sorted: mls_rtree_new checks). */
static bool listed(const struct mls_parent_node *p, uint32_t leaf)
{
	size_t lo = 0, hi = p->n_unmerged_leaves;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->unmerged_leaves[mid] == leaf) {
			return true;
		}
		if (p->unmerged_leaves[mid] < leaf) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return false;
}

/* ---- tree hashes (section 7.8) ------------------------------------------ */

struct th {
	const struct mls_rtree *t;
	const struct mls_suite *s;
	const struct mls_parent_node *excl;	/* NULL, or P: its unmerged leaves are removed */
	const uint8_t *cache;			/* NULL, or the unmodified tree's hashes */
	uint8_t *all;				/* NULL, or where each node's hash goes */
	struct scratch sc;
};

/* excl_under returns true when a leaf of h->excl lies in the subtree of |x|. */
static bool excl_under(const struct th *h, uint32_t x)
{
	if (h->excl == NULL) {
		return false;
	}
	for (size_t i = 0; i < h->excl->n_unmerged_leaves; i++) {
		if (in_subtree(x, 2 * h->excl->unmerged_leaves[i])) {
			return true;
		}
	}
	return false;
}

/* th_input appends node |x|'s TreeHashInput, its children's hashes being |lh| and |rh|. */
static int th_input(const struct th *h, uint32_t x, const uint8_t *lh, const uint8_t *rh,
		    struct mls_writer *w)
{
	const struct mls_node *n = mls_rtree_node_get0(h->t, x);
	const struct mls_parent_node *p = n->parent;
	struct mls_vector_mark m;
	int rc;

	if (mls_tree_is_leaf(x)) {
		bool present = n->type != 0 && !(h->excl != NULL && listed(h->excl, x / 2));

		rc = mls_write_u8(w, MLS_NODE_LEAF);
		rc = rc < 0 ? rc : mls_write_u32(w, x / 2);
		rc = rc < 0 ? rc : mls_write_u8(w, present ? 1 : 0);
		if (rc == 0 && present) {
			rc = mls_leaf_node_encode(w, n->leaf);
		}
		return rc;
	}
	rc = mls_write_u8(w, MLS_NODE_PARENT);
	rc = rc < 0 ? rc : mls_write_u8(w, n->type != 0 ? 1 : 0);
	if (rc == 0 && n->type != 0) {
		/* ParentNode, with the excluded leaves left out of unmerged_leaves */
		rc = mls_opaque_encode(w, p->encryption_key);
		rc = rc < 0 ? rc : mls_opaque_encode(w, p->parent_hash);
		rc = rc < 0 ? rc : mls_write_vector_begin(w, &m);
		for (size_t i = 0; rc == 0 && i < p->n_unmerged_leaves; i++) {
			if (h->excl == NULL || !listed(h->excl, p->unmerged_leaves[i])) {
				rc = mls_write_u32(w, p->unmerged_leaves[i]);
			}
		}
		rc = rc < 0 ? rc : mls_write_vector_end(w, &m);
	}
	rc = rc < 0 ? rc : mls_write_opaque(w, lh, h->s->nh);
	return rc < 0 ? rc : mls_write_opaque(w, rh, h->s->nh);
}

/* th_node writes the tree hash of |x| to |out| (Nh bytes). */
static int th_node(struct th *h, uint32_t x, uint8_t *out)
{
	uint8_t lh[MLS_MAX_HASH], rh[MLS_MAX_HASH];
	struct mls_writer w;
	int rc;

	if (h->cache != NULL && !excl_under(h, x)) {
		memcpy(out, h->cache + (size_t)x * h->s->nh, h->s->nh);
		return 0;
	}
	if (!mls_tree_is_leaf(x)) {
		rc = th_node(h, mls_tree_left(x), lh);
		if (rc < 0) {
			return rc;
		}
		rc = th_node(h, mls_tree_right(x), rh);
		if (rc < 0) {
			return rc;
		}
	}
	for (;;) {
		mls_writer_init(&w, h->sc.buf, h->sc.cap);
		rc = th_input(h, x, lh, rh, &w);
		if (rc != -ENOSPC) {
			break;
		}
		rc = scratch_reserve(&h->sc, h->sc.cap + 1);
		if (rc < 0) {
			return rc;
		}
	}
	if (rc < 0) {
		return rc;
	}
	rc = mls_hash(h->s, h->sc.buf, mls_writer_len(&w), out);
	if (rc == 0 && h->all != NULL) {
		memcpy(h->all + (size_t)x * h->s->nh, out, h->s->nh);
	}
	return rc;
}

int mls_rtree_tree_hash(const struct mls_rtree *t, uint32_t x, uint8_t *out)
{
	struct th h = {t, NULL, NULL, NULL, NULL, {NULL, 0}};
	int rc;

	if (t == NULL || out == NULL || x >= mls_rtree_n_nodes(t)) {
		return -EINVAL;
	}
	h.s = mls_rtree_suite(t);
	rc = th_node(&h, x, out);
	free(h.sc.buf);
	return rc;
}

int mls_rtree_tree_hashes(const struct mls_rtree *t, uint8_t *out, size_t cap)
{
	struct th h = {t, NULL, NULL, NULL, out, {NULL, 0}};
	uint8_t root[MLS_MAX_HASH];
	int rc;

	if (t == NULL || out == NULL) {
		return -EINVAL;
	}
	h.s = mls_rtree_suite(t);
	if (cap / h.s->nh < mls_rtree_n_nodes(t)) {
		return -ENOSPC;
	}
	rc = th_node(&h, mls_rtree_root(t), root);
	free(h.sc.buf);
	return rc;
}

/* ---- parent hashes (section 7.9) ---------------------------------------- */

/*
 * ph_node writes the parent hash of parent |p| with copath child |s| to
 * |out|, using h->cache (when set) for the subtrees of s no unmerged leaf
 * of p is in.
 */
static int ph_node(struct th *h, uint32_t p, uint32_t s, uint8_t *out)
{
	const struct mls_parent_node *pn = mls_rtree_node_get0(h->t, p)->parent;
	uint8_t orig[MLS_MAX_HASH];
	struct mls_writer w;
	size_t need;
	int rc;

	h->excl = pn;
	rc = th_node(h, s, orig);
	h->excl = NULL;
	if (rc < 0) {
		return rc;
	}
	/* ParentHashInput{encryption_key, parent_hash, original_sibling_tree_hash} */
	need = 3 * MLS_VARINT_MAX_LEN + pn->encryption_key.len + pn->parent_hash.len + h->s->nh;
	rc = scratch_reserve(&h->sc, need);
	if (rc < 0) {
		return rc;
	}
	mls_writer_init(&w, h->sc.buf, h->sc.cap);
	rc = mls_opaque_encode(&w, pn->encryption_key);
	rc = rc < 0 ? rc : mls_opaque_encode(&w, pn->parent_hash);
	rc = rc < 0 ? rc : mls_write_opaque(&w, orig, h->s->nh);
	if (rc < 0) {
		return rc;
	}
	return mls_hash(h->s, h->sc.buf, mls_writer_len(&w), out);
}

int mls_rtree_parent_hash(const struct mls_rtree *t, uint32_t p, uint32_t s, uint8_t *out)
{
	struct th h = {t, NULL, NULL, NULL, NULL, {NULL, 0}};
	const struct mls_node *pn;
	int rc;

	if (t == NULL || out == NULL) {
		return -EINVAL;
	}
	pn = mls_rtree_node_get0(t, p);
	if (pn == NULL || pn->type != MLS_NODE_PARENT ||
	    (s != mls_tree_left(p) && s != mls_tree_right(p))) {
		return -EINVAL;
	}
	h.s = mls_rtree_suite(t);
	rc = ph_node(&h, p, s, out);
	free(h.sc.buf);
	return rc;
}

/* parent_hash_of returns node |d|'s parent_hash field (empty for a leaf not of source commit). */
static struct mls_bytes parent_hash_of(const struct mls_node *d)
{
	struct mls_bytes none = {NULL, 0};

	if (d->type == MLS_NODE_PARENT) {
		return d->parent->parent_hash;
	}
	if (d->type == MLS_NODE_LEAF && d->leaf->source == MLS_LEAF_SOURCE_COMMIT) {
		return d->leaf->parent_hash;
	}
	return none;
}

/*
 * unmerged_match returns true when the resolution |res| (|n| nodes) of
 * child |c| of parent |p| without |d| is exactly p's unmerged leaves
 * under c (section 7.9.2). Resolution entries are distinct nodes of c's
 * subtree, so counting and membership suffice.
 */
static bool unmerged_match(const struct mls_parent_node *p, uint32_t c, const uint32_t *res,
			   size_t n, uint32_t d)
{
	size_t under = 0;

	for (size_t i = 0; i < p->n_unmerged_leaves; i++) {
		under += in_subtree(c, 2 * p->unmerged_leaves[i]) ? 1 : 0;
	}
	if (n - 1 != under) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (res[i] != d && (!mls_tree_is_leaf(res[i]) || !listed(p, res[i] / 2))) {
			return false;
		}
	}
	return true;
}

/* chains_below counts the nodes under parent |p| whose parent hash is valid with respect to it. */
static int chains_below(struct th *h, uint32_t p, uint32_t *res, size_t cap, unsigned *found)
{
	const struct mls_parent_node *pn = mls_rtree_node_get0(h->t, p)->parent;
	uint8_t ph[MLS_MAX_HASH];
	int rc, n;

	*found = 0;
	for (int side = 0; side < 2; side++) {
		uint32_t c = side == 0 ? mls_tree_left(p) : mls_tree_right(p);
		uint32_t s = side == 0 ? mls_tree_right(p) : mls_tree_left(p);

		rc = ph_node(h, p, s, ph);
		if (rc < 0) {
			return rc;
		}
		n = mls_rtree_resolution(h->t, c, res, cap);
		if (n < 0) {
			return n;
		}
		for (int i = 0; i < n; i++) {
			struct mls_bytes dh = parent_hash_of(mls_rtree_node_get0(h->t, res[i]));

			if (dh.len == h->s->nh && memcmp(dh.p, ph, dh.len) == 0 &&
			    unmerged_match(pn, c, res, (size_t)n, res[i])) {
				(*found)++;
			}
		}
	}
	return 0;
}

int mls_rtree_verify_parent_hashes(const struct mls_rtree *t)
{
	struct th h = {t, NULL, NULL, NULL, NULL, {NULL, 0}};
	uint32_t n_nodes, *res = NULL;
	uint8_t *hashes = NULL;
	unsigned found;
	int rc;

	if (t == NULL) {
		return -EINVAL;
	}
	h.s = mls_rtree_suite(t);
	n_nodes = mls_rtree_n_nodes(t);
	hashes = malloc((size_t)n_nodes * h.s->nh);
	res = malloc((size_t)n_nodes * sizeof(*res));
	if (hashes == NULL || res == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = mls_rtree_tree_hashes(t, hashes, (size_t)n_nodes * h.s->nh);
	if (rc < 0) {
		goto out_free;
	}
	h.cache = hashes;
	/* top down: each non-blank parent has exactly one descendant it is valid for */
	for (uint32_t p = 1; p < n_nodes; p += 2) {
		if (mls_rtree_node_get0(t, p)->type != MLS_NODE_PARENT) {
			continue;
		}
		rc = chains_below(&h, p, res, n_nodes, &found);
		if (rc < 0) {
			goto out_free;
		}
		if (found != 1) {
			rc = -EBADMSG;
			goto out_free;
		}
	}
out_free:
	free(h.sc.buf);
	free(hashes);
	free(res);
	return rc;
}

/* ---- leaves (section 7.3) ----------------------------------------------- */

static int verify_leaf_sig(const struct mls_rtree *t, uint32_t leaf, struct mls_bytes group_id,
			   struct scratch *sc)
{
	const struct mls_suite *s = mls_rtree_suite(t);
	const struct mls_leaf_node *ln = mls_rtree_leaf_get0(t, leaf);
	struct mls_writer w;
	EVP_PKEY *pub = NULL;
	int rc;

	if (ln == NULL) {
		return -ENOENT;
	}
	for (;;) {
		mls_writer_init(&w, sc->buf, sc->cap);
		rc = mls_leaf_node_tbs_encode(&w, ln, group_id, leaf);
		if (rc != -ENOSPC) {
			break;
		}
		rc = scratch_reserve(sc, sc->cap + 1);
		if (rc < 0) {
			return rc;
		}
	}
	if (rc < 0) {
		return rc;
	}
	rc = mls_sig_key_from_pub(s, ln->signature_key.p, ln->signature_key.len, &pub);
	if (rc < 0) {
		/* a key of the wrong length or off the curve: the peer's fault */
		return rc == -EINVAL ? -EBADMSG : rc;
	}
	rc = mls_verify_with_label(s, pub, MLS_LABEL("LeafNodeTBS"), sc->buf, mls_writer_len(&w),
				   ln->signature.p, ln->signature.len);
	EVP_PKEY_free(pub);
	return rc;
}

int mls_rtree_verify_leaf(const struct mls_rtree *t, uint32_t leaf, struct mls_bytes group_id)
{
	struct scratch sc = {NULL, 0};
	int rc;

	if (t == NULL || leaf >= mls_rtree_n_leaves(t)) {
		return -EINVAL;
	}
	rc = verify_leaf_sig(t, leaf, group_id, &sc);
	free(sc.buf);
	return rc;
}

/* ---- joining (section 12.4.3.1) ----------------------------------------- */

static bool u16_has(struct mls_u16_list l, uint16_t v)
{
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i] == v) {
			return true;
		}
	}
	return false;
}

/*
 * leaf_ok makes the section 7.3 checks of leaf |ln| that need no signature:
 * key lengths, extensions listed in the capabilities (all but the default
 * types 1-5), and support for every credential type in |types|.
 */
static bool leaf_ok(const struct mls_suite *s, const struct mls_leaf_node *ln,
		    const uint16_t *types, size_t n_types)
{
	if (ln->encryption_key.len != s->kem_npk || ln->signature_key.len != s->sig_npub) {
		return false;
	}
	for (size_t i = 0; i < ln->extensions.n; i++) {
		uint16_t e = ln->extensions.v[i].type;

		if ((e < MLS_EXT_APPLICATION_ID || e > MLS_EXT_EXTERNAL_SENDERS) &&
		    !u16_has(ln->capabilities.extensions, e)) {
			return false;
		}
	}
	for (size_t i = 0; i < n_types; i++) {
		if (!u16_has(ln->capabilities.credentials, types[i])) {
			return false;
		}
	}
	return true;
}

/* unmerged_ok checks the unmerged leaves of parent |p| (section 12.4.3.1). */
static bool unmerged_ok(const struct mls_rtree *t, uint32_t p)
{
	const struct mls_parent_node *pn = mls_rtree_node_get0(t, p)->parent;
	uint32_t n_leaves = mls_rtree_n_leaves(t);

	for (size_t i = 0; i < pn->n_unmerged_leaves; i++) {
		uint32_t u = pn->unmerged_leaves[i];

		if (mls_rtree_leaf_get0(t, u) == NULL) {
			return false;
		}
		/* every non-blank parent between the leaf and p lists it too */
		for (uint32_t y = mls_tree_parent(2 * u, n_leaves); y != p;
		     y = mls_tree_parent(y, n_leaves)) {
			const struct mls_node *yn = mls_rtree_node_get0(t, y);

			if (yn->type == MLS_NODE_PARENT && !listed(yn->parent, u)) {
				return false;
			}
		}
	}
	return true;
}

static int bytes_cmp(const void *a, const void *b)
{
	const struct mls_bytes *x = a, *y = b;

	if (x->len != y->len) {
		return x->len < y->len ? -1 : 1;
	}
	return x->len == 0 ? 0 : memcmp(x->p, y->p, x->len);
}

/* all_distinct sorts |v| (|n| entries) and returns true when no two are equal. */
static bool all_distinct(struct mls_bytes *v, size_t n)
{
	qsort(v, n, sizeof(*v), bytes_cmp);
	for (size_t i = 1; i < n; i++) {
		if (bytes_cmp(&v[i - 1], &v[i]) == 0) {
			return false;
		}
	}
	return true;
}

/* collect_types stores the leaves' distinct credential types in |types|; returns their count. */
static size_t collect_types(const struct mls_rtree *t, uint16_t *types)
{
	size_t n = 0;

	for (uint32_t l = 0; l < mls_rtree_n_leaves(t); l++) {
		const struct mls_leaf_node *ln = mls_rtree_leaf_get0(t, l);
		size_t i;

		if (ln == NULL) {
			continue;
		}
		for (i = 0; i < n && types[i] != ln->credential.type; i++) {
		}
		if (i == n) {
			types[n++] = ln->credential.type;
		}
	}
	return n;
}

/*
 * check_nodes makes every check of mls_rtree_verify but the parent hashes,
 * gathering the keys into |enc| and |sig| (room for every node / leaf).
 */
static int check_nodes(const struct mls_rtree *t, struct mls_bytes group_id,
		       struct mls_bytes *enc, struct mls_bytes *sig, uint16_t *types)
{
	const struct mls_suite *s = mls_rtree_suite(t);
	size_t n_enc = 0, n_sig = 0, n_types = collect_types(t, types);
	struct scratch sc = {NULL, 0};
	int rc = 0;

	if (n_types == 0) {
		return -EBADMSG;	/* no member at all */
	}
	for (uint32_t x = 0; rc == 0 && x < mls_rtree_n_nodes(t); x++) {
		const struct mls_node *n = mls_rtree_node_get0(t, x);

		if (n->type == MLS_NODE_LEAF) {
			if (!leaf_ok(s, n->leaf, types, n_types)) {
				rc = -EBADMSG;
				break;
			}
			rc = verify_leaf_sig(t, x / 2, group_id, &sc);
			enc[n_enc++] = n->leaf->encryption_key;
			sig[n_sig++] = n->leaf->signature_key;
		} else if (n->type == MLS_NODE_PARENT) {
			if (n->parent->encryption_key.len != s->kem_npk || !unmerged_ok(t, x)) {
				rc = -EBADMSG;
				break;
			}
			enc[n_enc++] = n->parent->encryption_key;
		}
	}
	free(sc.buf);
	if (rc == 0 && (!all_distinct(enc, n_enc) || !all_distinct(sig, n_sig))) {
		rc = -EBADMSG;
	}
	return rc;
}

int mls_rtree_verify(const struct mls_rtree *t, struct mls_bytes group_id)
{
	struct mls_bytes *enc, *sig;
	uint16_t *types;
	size_t n_nodes;
	int rc;

	if (t == NULL) {
		return -EINVAL;
	}
	n_nodes = mls_rtree_n_nodes(t);
	enc = malloc(n_nodes * sizeof(*enc));
	sig = malloc(mls_rtree_n_leaves(t) * sizeof(*sig));
	types = malloc(mls_rtree_n_leaves(t) * sizeof(*types));
	if (enc == NULL || sig == NULL || types == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = check_nodes(t, group_id, enc, sig, types);
	if (rc == 0) {
		rc = mls_rtree_verify_parent_hashes(t);
	}
out_free:
	free(enc);
	free(sig);
	free(types);
	return rc;
}
