/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_rtree.c - the ratchet tree's structure (RFC 9420 sections 4.1, 7.7,
 * 12.1.1-12.1.3, 12.4.3.3): node ownership, the ratchet_tree encoding,
 * resolutions and paths, and the tree changes of proposals. Hashes and
 * validation are in mls_rtree_hash.c. The contract is mls_rtree.h.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "mls_rtree.h"
#include "mls_tree.h"

struct mls_rtree {
	const struct mls_suite *suite;
	uint32_t n_leaves;		/* a power of two */
	uint32_t cap;			/* entries allocated in |nodes|, >= 2 * n_leaves - 1 */
	struct mls_node *nodes;		/* leaf/parent point to blocks the tree owns */
};

/* ---- deep copies ---------------------------------------------------------
 *
 * A node is copied into one malloc'd block: its struct first, then every
 * array and byte string it refers to. copy_* run twice over a node, once
 * with |base| NULL to size the block and once to fill it.
 */

struct blk {
	unsigned char *base;	/* NULL while sizing */
	size_t off;		/* bytes taken so far */
	bool overflow;
};

/* take reserves |n| bytes aligned to |align| and returns them (NULL while sizing). */
static void *take(struct blk *b, size_t n, size_t align)
{
	size_t at = (b->off + align - 1) & ~(align - 1);

	if (at < b->off || n > SIZE_MAX - at) {
		b->overflow = true;
		return NULL;
	}
	b->off = at + n;
	return b->base != NULL ? b->base + at : NULL;
}

static struct mls_bytes copy_bytes(struct blk *b, struct mls_bytes in)
{
	struct mls_bytes out = {NULL, 0};
	uint8_t *p;

	if (in.len == 0) {
		return out;
	}
	p = take(b, in.len, 1);
	if (p != NULL) {
		memcpy(p, in.p, in.len);
		out.p = p;
		out.len = in.len;
	}
	return out;
}

static struct mls_u16_list copy_u16(struct blk *b, struct mls_u16_list in)
{
	struct mls_u16_list out = {NULL, 0};
	uint16_t *v;

	if (in.n == 0 || in.n > SIZE_MAX / sizeof(*v)) {
		b->overflow = b->overflow || in.n != 0;
		return out;
	}
	v = take(b, in.n * sizeof(*v), alignof(uint16_t));
	if (v != NULL) {
		memcpy(v, in.v, in.n * sizeof(*v));
		out.v = v;
		out.n = in.n;
	}
	return out;
}

static struct mls_extension_list copy_extensions(struct blk *b, struct mls_extension_list in)
{
	struct mls_extension_list out = {NULL, 0};
	struct mls_extension *v;

	if (in.n == 0 || in.n > SIZE_MAX / sizeof(*v)) {
		b->overflow = b->overflow || in.n != 0;
		return out;
	}
	v = take(b, in.n * sizeof(*v), alignof(struct mls_extension));
	for (size_t i = 0; i < in.n; i++) {
		struct mls_bytes data = copy_bytes(b, in.v[i].data);

		if (v != NULL) {
			v[i].type = in.v[i].type;
			v[i].data = data;
		}
	}
	out.v = v;
	out.n = v != NULL ? in.n : 0;
	return out;
}

static void copy_credential(struct blk *b, struct mls_credential *dst,
			    const struct mls_credential *src)
{
	struct mls_bytes *certs = NULL;

	dst->type = src->type;
	dst->identity = copy_bytes(b, src->identity);
	dst->certs = NULL;
	dst->n_certs = 0;
	if (src->n_certs == 0) {
		return;
	}
	if (src->n_certs > SIZE_MAX / sizeof(*certs)) {
		b->overflow = true;
		return;
	}
	certs = take(b, src->n_certs * sizeof(*certs), alignof(struct mls_bytes));
	for (size_t i = 0; i < src->n_certs; i++) {
		struct mls_bytes c = copy_bytes(b, src->certs[i]);

		if (certs != NULL) {
			certs[i] = c;
		}
	}
	if (certs != NULL) {
		dst->certs = certs;
		dst->n_certs = src->n_certs;
	}
}

static void copy_leaf(struct blk *b, struct mls_leaf_node *dst, const struct mls_leaf_node *src)
{
	dst->encryption_key = copy_bytes(b, src->encryption_key);
	dst->signature_key = copy_bytes(b, src->signature_key);
	copy_credential(b, &dst->credential, &src->credential);
	dst->capabilities.versions = copy_u16(b, src->capabilities.versions);
	dst->capabilities.cipher_suites = copy_u16(b, src->capabilities.cipher_suites);
	dst->capabilities.extensions = copy_u16(b, src->capabilities.extensions);
	dst->capabilities.proposals = copy_u16(b, src->capabilities.proposals);
	dst->capabilities.credentials = copy_u16(b, src->capabilities.credentials);
	dst->source = src->source;
	dst->lifetime = src->lifetime;
	dst->parent_hash = copy_bytes(b, src->parent_hash);
	dst->extensions = copy_extensions(b, src->extensions);
	dst->signature = copy_bytes(b, src->signature);
}

/*
 * copy_parent copies |src| with leaf |add| inserted in order into its
 * unmerged leaves (UINT32_MAX: nothing inserted). A leaf listed already
 * (a blank one, in a tree that would fail mls_rtree_verify) is not
 * listed twice.
 */
static void copy_parent(struct blk *b, struct mls_parent_node *dst,
			const struct mls_parent_node *src, uint32_t add)
{
	size_t n = src->n_unmerged_leaves + (add != UINT32_MAX ? 1 : 0);
	uint32_t *v = NULL;
	size_t j = 0;

	for (size_t i = 0; add != UINT32_MAX && i < src->n_unmerged_leaves; i++) {
		if (src->unmerged_leaves[i] == add) {
			add = UINT32_MAX;
			n--;
		}
	}

	dst->encryption_key = copy_bytes(b, src->encryption_key);
	dst->parent_hash = copy_bytes(b, src->parent_hash);
	dst->unmerged_leaves = NULL;
	dst->n_unmerged_leaves = 0;
	if (n == 0) {
		return;
	}
	if (n > SIZE_MAX / sizeof(*v)) {
		b->overflow = true;
		return;
	}
	v = take(b, n * sizeof(*v), alignof(uint32_t));
	if (v == NULL) {
		return;
	}
	for (size_t i = 0; i < src->n_unmerged_leaves; i++) {
		if (add != UINT32_MAX && add < src->unmerged_leaves[i]) {
			v[j++] = add;
			add = UINT32_MAX;
		}
		v[j++] = src->unmerged_leaves[i];
	}
	if (add != UINT32_MAX) {
		v[j++] = add;
	}
	dst->unmerged_leaves = v;
	dst->n_unmerged_leaves = j;
}

/* leaf_dup returns a malloc'd deep copy of |src| (free it with free), or NULL. */
static struct mls_leaf_node *leaf_dup(const struct mls_leaf_node *src)
{
	struct mls_leaf_node tmp;
	struct blk b = {NULL, 0, false};
	struct mls_leaf_node *dst;

	take(&b, sizeof(*dst), alignof(struct mls_leaf_node));
	copy_leaf(&b, &tmp, src);
	if (b.overflow) {
		return NULL;
	}
	b.base = malloc(b.off);
	if (b.base == NULL) {
		return NULL;
	}
	b.off = 0;
	dst = take(&b, sizeof(*dst), alignof(struct mls_leaf_node));
	copy_leaf(&b, dst, src);
	return dst;
}

/* parent_dup returns a malloc'd deep copy of |src| with |add| inserted as copy_parent does. */
static struct mls_parent_node *parent_dup(const struct mls_parent_node *src, uint32_t add)
{
	struct mls_parent_node tmp;
	struct blk b = {NULL, 0, false};
	struct mls_parent_node *dst;

	take(&b, sizeof(*dst), alignof(struct mls_parent_node));
	copy_parent(&b, &tmp, src, add);
	if (b.overflow) {
		return NULL;
	}
	b.base = malloc(b.off);
	if (b.base == NULL) {
		return NULL;
	}
	b.off = 0;
	dst = take(&b, sizeof(*dst), alignof(struct mls_parent_node));
	copy_parent(&b, dst, src, add);
	return dst;
}

/* node_blank frees what |n| owns and leaves it blank. */
static void node_blank(struct mls_node *n)
{
	free((void *)n->leaf);
	free((void *)n->parent);
	n->type = 0;
	n->leaf = NULL;
	n->parent = NULL;
}

/* node_dup sets |dst| (blank) to a deep copy of |src|. Returns 0 or -ENOMEM. */
static int node_dup(struct mls_node *dst, const struct mls_node *src)
{
	dst->type = src->type;
	dst->leaf = NULL;
	dst->parent = NULL;
	if (src->type == MLS_NODE_LEAF) {
		dst->leaf = leaf_dup(src->leaf);
		if (dst->leaf == NULL) {
			dst->type = 0;
			return -ENOMEM;
		}
	} else if (src->type == MLS_NODE_PARENT) {
		dst->parent = parent_dup(src->parent, UINT32_MAX);
		if (dst->parent == NULL) {
			dst->type = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

/* ---- construction ------------------------------------------------------- */

/* tree_alloc makes an all-blank tree of |n_leaves| leaves. */
static struct mls_rtree *tree_alloc(const struct mls_suite *s, uint32_t n_leaves)
{
	uint32_t width = mls_tree_node_width(n_leaves);
	struct mls_rtree *t = malloc(sizeof(*t));

	if (t == NULL) {
		return NULL;
	}
	t->suite = s;
	t->n_leaves = n_leaves;
	t->cap = width;
	t->nodes = calloc(width, sizeof(*t->nodes));
	if (t->nodes == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void mls_rtree_free(struct mls_rtree *t)
{
	if (t == NULL) {
		return;
	}
	for (uint32_t x = 0; x < t->cap; x++) {
		node_blank(&t->nodes[x]);
	}
	free(t->nodes);
	free(t);
}

/* in_subtree returns true when node |y| is in the subtree of node |x|. */
static bool in_subtree(uint32_t x, uint32_t y)
{
	uint32_t half = (1u << mls_tree_level(x)) - 1;

	return y >= x - half && y <= x + half;
}

/* check_node applies mls_rtree_new's structural checks to entry |x| of a tree of |n_leaves|. */
static int check_node(const struct mls_node *n, uint32_t x, uint32_t n_leaves)
{
	const struct mls_parent_node *p = n->parent;

	switch (n->type) {
	case 0:
		return 0;
	case MLS_NODE_LEAF:
		if (x % 2 != 0 || n->leaf == NULL) {
			return -EBADMSG;
		}
		if (n->leaf->source < MLS_LEAF_SOURCE_KEY_PACKAGE ||
		    n->leaf->source > MLS_LEAF_SOURCE_COMMIT) {
			return -EBADMSG;
		}
		return 0;
	case MLS_NODE_PARENT:
		if (x % 2 != 1 || p == NULL) {
			return -EBADMSG;
		}
		for (size_t i = 0; i < p->n_unmerged_leaves; i++) {
			uint32_t u = p->unmerged_leaves[i];

			/* section 7.1: sorted; 12.4.3.1: descendants of the node */
			if ((i > 0 && u <= p->unmerged_leaves[i - 1]) || u >= n_leaves ||
			    !in_subtree(x, 2 * u)) {
				return -EBADMSG;
			}
		}
		return 0;
	default:
		return -EBADMSG;
	}
}

int mls_rtree_new(const struct mls_suite *s, const struct mls_node *nodes, size_t n_nodes,
		  struct mls_rtree **out)
{
	struct mls_rtree *t;
	uint32_t n_leaves = 1;
	int rc;

	if (s == NULL || out == NULL || (nodes == NULL && n_nodes > 0)) {
		return -EINVAL;
	}
	if (n_nodes > MLS_MSG_MAX_TREE_NODES) {
		return -E2BIG;
	}
	/* section 12.4.3.3: the sender drops trailing blanks, the receiver checks */
	if (n_nodes == 0 || nodes[n_nodes - 1].type == 0) {
		return -EBADMSG;
	}
	while (mls_tree_node_width(n_leaves) < n_nodes) {
		n_leaves *= 2;
	}
	for (size_t x = 0; x < n_nodes; x++) {
		rc = check_node(&nodes[x], (uint32_t)x, n_leaves);
		if (rc < 0) {
			return rc;
		}
	}
	t = tree_alloc(s, n_leaves);
	if (t == NULL) {
		return -ENOMEM;
	}
	for (size_t x = 0; x < n_nodes; x++) {
		rc = node_dup(&t->nodes[x], &nodes[x]);
		if (rc < 0) {
			mls_rtree_free(t);
			return rc;
		}
	}
	*out = t;
	return 0;
}

int mls_rtree_from_wire(const struct mls_suite *s, const uint8_t *p, size_t len,
			struct mls_rtree **out)
{
	struct mls_ratchet_tree rt;
	struct mls_reader r;
	struct mls_arena a;
	int rc;

	if (s == NULL || out == NULL || (p == NULL && len > 0)) {
		return -EINVAL;
	}
	/*
	 * The decoder needs a few dozen times the input at most (mls_msg.h);
	 * the limit only keeps hostile input from growing without bound.
	 */
	mls_arena_init(&a, len < SIZE_MAX / 128 ? 128 * len + (1u << 20) : SIZE_MAX);
	mls_reader_init(&r, p, len);
	rc = mls_ratchet_tree_decode(&r, &a, &rt);
	if (rc == 0) {
		rc = mls_read_end(&r);
	}
	if (rc == 0) {
		rc = mls_rtree_new(s, rt.nodes, rt.n_nodes, out);
	}
	mls_arena_cleanup(&a);
	return rc;
}

int mls_rtree_to_wire(const struct mls_rtree *t, struct mls_writer *w)
{
	struct mls_ratchet_tree rt;
	uint32_t n;

	if (t == NULL || w == NULL) {
		return -EINVAL;
	}
	n = mls_tree_node_width(t->n_leaves);
	while (n > 0 && t->nodes[n - 1].type == 0) {
		n--;
	}
	if (n == 0) {
		return -EINVAL;
	}
	rt.nodes = t->nodes;
	rt.n_nodes = n;
	return mls_ratchet_tree_encode(w, &rt);
}

int mls_rtree_copy(const struct mls_rtree *t, struct mls_rtree **out)
{
	struct mls_rtree *c;
	uint32_t width;
	int rc;

	if (t == NULL || out == NULL) {
		return -EINVAL;
	}
	c = tree_alloc(t->suite, t->n_leaves);
	if (c == NULL) {
		return -ENOMEM;
	}
	width = mls_tree_node_width(t->n_leaves);
	for (uint32_t x = 0; x < width; x++) {
		rc = node_dup(&c->nodes[x], &t->nodes[x]);
		if (rc < 0) {
			mls_rtree_free(c);
			return rc;
		}
	}
	*out = c;
	return 0;
}

/* ---- accessors, resolution, paths --------------------------------------- */

const struct mls_suite *mls_rtree_suite(const struct mls_rtree *t)
{
	return t->suite;
}

uint32_t mls_rtree_n_leaves(const struct mls_rtree *t)
{
	return t->n_leaves;
}

uint32_t mls_rtree_n_nodes(const struct mls_rtree *t)
{
	return mls_tree_node_width(t->n_leaves);
}

uint32_t mls_rtree_root(const struct mls_rtree *t)
{
	return mls_tree_root(t->n_leaves);
}

const struct mls_node *mls_rtree_node_get0(const struct mls_rtree *t, uint32_t x)
{
	if (t == NULL || x >= mls_tree_node_width(t->n_leaves)) {
		return NULL;
	}
	return &t->nodes[x];
}

const struct mls_leaf_node *mls_rtree_leaf_get0(const struct mls_rtree *t, uint32_t leaf)
{
	if (t == NULL || leaf >= t->n_leaves) {
		return NULL;
	}
	return t->nodes[2 * leaf].leaf;
}

/* push appends |x| to |out|; -ENOSPC when full. */
static int push(uint32_t *out, size_t cap, size_t *n, uint32_t x)
{
	if (*n == cap) {
		return -ENOSPC;
	}
	out[(*n)++] = x;
	return 0;
}

/* resolve appends the resolution of |x| (section 4.1.1) to |out|. */
static int resolve(const struct mls_rtree *t, uint32_t x, uint32_t *out, size_t cap, size_t *n)
{
	const struct mls_node *nd = &t->nodes[x];
	int rc;

	if (nd->type == MLS_NODE_LEAF) {
		return push(out, cap, n, x);
	}
	if (nd->type == MLS_NODE_PARENT) {
		rc = push(out, cap, n, x);
		for (size_t i = 0; rc == 0 && i < nd->parent->n_unmerged_leaves; i++) {
			rc = push(out, cap, n, 2 * nd->parent->unmerged_leaves[i]);
		}
		return rc;
	}
	if (mls_tree_is_leaf(x)) {
		return 0;
	}
	rc = resolve(t, mls_tree_left(x), out, cap, n);
	if (rc < 0) {
		return rc;
	}
	return resolve(t, mls_tree_right(x), out, cap, n);
}

int mls_rtree_resolution(const struct mls_rtree *t, uint32_t x, uint32_t *out, size_t cap)
{
	size_t n = 0;
	int rc;

	if (t == NULL || (out == NULL && cap > 0) || x >= mls_tree_node_width(t->n_leaves)) {
		return -EINVAL;
	}
	rc = resolve(t, x, out, cap, &n);
	return rc < 0 ? rc : (int)n;
}

/* subtree_blank returns true when every node of the subtree of |x| is blank. */
static bool subtree_blank(const struct mls_rtree *t, uint32_t x)
{
	uint32_t half = (1u << mls_tree_level(x)) - 1;

	for (uint32_t y = x - half; y <= x + half; y++) {
		if (t->nodes[y].type != 0) {
			return false;
		}
	}
	return true;
}

int mls_rtree_filtered_direct_path(const struct mls_rtree *t, uint32_t leaf, uint32_t *path,
				   uint32_t *copath, size_t cap)
{
	uint32_t x, root;
	size_t n = 0;

	if (t == NULL || (path == NULL && cap > 0) || leaf >= t->n_leaves) {
		return -EINVAL;
	}
	root = mls_tree_root(t->n_leaves);
	for (x = 2 * leaf; x != root; x = mls_tree_parent(x, t->n_leaves)) {
		uint32_t s = mls_tree_sibling(x, t->n_leaves);

		/* a resolution is empty exactly when its whole subtree is blank */
		if (subtree_blank(t, s)) {
			continue;
		}
		if (n == cap) {
			return -ENOSPC;
		}
		path[n] = mls_tree_parent(x, t->n_leaves);
		if (copath != NULL) {
			copath[n] = s;
		}
		n++;
	}
	return (int)n;
}

/* ---- proposals ---------------------------------------------------------- */

/* blank_direct_path blanks every parent above leaf |leaf|. */
static void blank_direct_path(struct mls_rtree *t, uint32_t leaf)
{
	uint32_t root = mls_tree_root(t->n_leaves);

	for (uint32_t x = 2 * leaf; x != root;) {
		x = mls_tree_parent(x, t->n_leaves);
		node_blank(&t->nodes[x]);
	}
}

int mls_rtree_add_leaf(struct mls_rtree *t, const struct mls_leaf_node *leaf, uint32_t *index)
{
	struct mls_parent_node *np[MLS_TREE_MAX_DEPTH] = {NULL};
	uint32_t dp[MLS_TREE_MAX_DEPTH];
	struct mls_leaf_node *nl;
	uint32_t l, n_leaves;
	int n_dp;

	if (t == NULL || leaf == NULL || leaf->source < MLS_LEAF_SOURCE_KEY_PACKAGE ||
	    leaf->source > MLS_LEAF_SOURCE_COMMIT) {
		return -EINVAL;
	}
	/* section 12.1.1: the leftmost blank leaf, else the first leaf of a doubled tree */
	for (l = 0; l < t->n_leaves && t->nodes[2 * l].type != 0; l++) {
	}
	n_leaves = t->n_leaves;
	if (l == n_leaves) {
		if (n_leaves >= MLS_MSG_MAX_LEAVES) {
			return -ENOSPC;
		}
		n_leaves *= 2;
	}
	if (mls_tree_node_width(n_leaves) > t->cap) {
		uint32_t width = mls_tree_node_width(n_leaves);
		struct mls_node *v = realloc(t->nodes, (size_t)width * sizeof(*v));

		if (v == NULL) {
			return -ENOMEM;
		}
		memset(v + t->cap, 0, (size_t)(width - t->cap) * sizeof(*v));
		t->nodes = v;
		t->cap = width;
	}
	/* Copy everything that changes first, so that a failure changes nothing. */
	nl = leaf_dup(leaf);
	if (nl == NULL) {
		return -ENOMEM;
	}
	n_dp = mls_tree_direct_path(2 * l, n_leaves, dp, MLS_TREE_MAX_DEPTH);
	if (n_dp < 0) {
		free(nl);
		return n_dp;
	}
	for (int i = 0; i < n_dp; i++) {
		const struct mls_node *p = &t->nodes[dp[i]];

		if (p->type != MLS_NODE_PARENT) {
			continue;
		}
		np[i] = parent_dup(p->parent, l);
		if (np[i] == NULL) {
			for (int j = 0; j < i; j++) {
				free(np[j]);
			}
			free(nl);
			return -ENOMEM;
		}
	}
	t->n_leaves = n_leaves;
	for (int i = 0; i < n_dp; i++) {
		if (np[i] != NULL) {
			free((void *)t->nodes[dp[i]].parent);
			t->nodes[dp[i]].parent = np[i];
		}
	}
	t->nodes[2 * l].type = MLS_NODE_LEAF;
	t->nodes[2 * l].leaf = nl;
	if (index != NULL) {
		*index = l;
	}
	return 0;
}

int mls_rtree_update_leaf(struct mls_rtree *t, uint32_t leaf, const struct mls_leaf_node *ln)
{
	struct mls_leaf_node *nl;

	if (t == NULL || ln == NULL || leaf >= t->n_leaves ||
	    ln->source < MLS_LEAF_SOURCE_KEY_PACKAGE || ln->source > MLS_LEAF_SOURCE_COMMIT) {
		return -EINVAL;
	}
	if (t->nodes[2 * leaf].type == 0) {
		return -ENOENT;
	}
	nl = leaf_dup(ln);
	if (nl == NULL) {
		return -ENOMEM;
	}
	/* section 12.1.2: replace the leaf, blank its direct path */
	node_blank(&t->nodes[2 * leaf]);
	t->nodes[2 * leaf].type = MLS_NODE_LEAF;
	t->nodes[2 * leaf].leaf = nl;
	blank_direct_path(t, leaf);
	return 0;
}

int mls_rtree_remove_leaf(struct mls_rtree *t, uint32_t leaf)
{
	if (t == NULL || leaf >= t->n_leaves) {
		return -EINVAL;
	}
	if (t->nodes[2 * leaf].type == 0) {
		return -ENOENT;
	}
	/* section 12.1.3: blank the leaf and its direct path ... */
	node_blank(&t->nodes[2 * leaf]);
	blank_direct_path(t, leaf);
	/*
	 * ... and truncate (section 7.7): drop the root and its right subtree
	 * while that subtree is all blank (the root goes whether blank or not).
	 * Entries past the width stay blank, and the array keeps its capacity
	 * for the next Add.
	 */
	while (t->n_leaves > 1) {
		uint32_t root = mls_tree_root(t->n_leaves);

		if (!subtree_blank(t, mls_tree_right(root))) {
			break;
		}
		node_blank(&t->nodes[root]);
		t->n_leaves /= 2;
	}
	return 0;
}

int mls_rtree_set_parent(struct mls_rtree *t, uint32_t x, const struct mls_parent_node *p)
{
	struct mls_node n = {MLS_NODE_PARENT, NULL, p};
	struct mls_parent_node *np;

	if (t == NULL || x % 2 != 1 || x >= mls_tree_node_width(t->n_leaves)) {
		return -EINVAL;
	}
	if (p == NULL) {
		node_blank(&t->nodes[x]);
		return 0;
	}
	if (check_node(&n, x, t->n_leaves) < 0) {
		return -EINVAL;
	}
	np = parent_dup(p, UINT32_MAX);
	if (np == NULL) {
		return -ENOMEM;
	}
	node_blank(&t->nodes[x]);
	t->nodes[x].type = MLS_NODE_PARENT;
	t->nodes[x].parent = np;
	return 0;
}
