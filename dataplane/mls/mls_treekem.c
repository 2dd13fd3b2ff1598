/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_treekem.c - TreeKEM (RFC 9420 sections 7.4-7.6, 7.9): private keys
 * along a member's direct path, and UpdatePaths merged, processed and
 * created. The contract is mls_treekem.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_tree.h"
#include "mls_treekem.h"

/* A private key held for one node (the leaf or a node of its direct path). */
struct tk_key {
	uint32_t node;
	uint8_t priv[MLS_MAX_KEM_PRIV];
};

struct mls_treekem_priv {
	const struct mls_suite *suite;
	uint32_t leaf;
	size_t n;				/* keys in use */
	struct tk_key keys[MLS_TREE_MAX_DEPTH + 1];
};

/* The per-node values of a path being created or processed. */
struct tk_path {
	uint32_t fdp[MLS_TREE_MAX_DEPTH];	/* filtered direct path */
	uint32_t copath[MLS_TREE_MAX_DEPTH];	/* the copath child of each */
	int n;
	uint8_t priv[MLS_TREE_MAX_DEPTH][MLS_MAX_KEM_PRIV];
	uint8_t pub[MLS_TREE_MAX_DEPTH][MLS_MAX_KEM_PUB];
	uint8_t secret[MLS_TREE_MAX_DEPTH][MLS_MAX_HASH];	/* path_secret[i] */
};

static bool in_subtree(uint32_t x, uint32_t y)
{
	uint32_t half = (1u << mls_tree_level(x)) - 1;

	return y >= x - half && y <= x + half;
}

/* ---- private state ------------------------------------------------------ */

static struct tk_key *key_find(const struct mls_treekem_priv *p, uint32_t node)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->keys[i].node == node) {
			return (struct tk_key *)&p->keys[i];
		}
	}
	return NULL;
}

static void key_drop(struct mls_treekem_priv *p, uint32_t node)
{
	struct tk_key *k = key_find(p, node);

	if (k == NULL) {
		return;
	}
	*k = p->keys[p->n - 1];
	OPENSSL_cleanse(&p->keys[p->n - 1], sizeof(p->keys[0]));
	p->n--;
}

/* key_set stores |priv| for |node|; the caller guarantees room (leaf plus direct path). */
static void key_set(struct mls_treekem_priv *p, uint32_t node, const uint8_t *priv)
{
	struct tk_key *k = key_find(p, node);

	if (k == NULL) {
		k = &p->keys[p->n++];
		k->node = node;
	}
	memcpy(k->priv, priv, p->suite->kem_nsk);
}

int mls_treekem_priv_new(const struct mls_suite *s, uint32_t leaf, const uint8_t *leaf_priv,
			 size_t len, struct mls_treekem_priv **out)
{
	struct mls_treekem_priv *p;

	if (s == NULL || leaf_priv == NULL || out == NULL || len != s->kem_nsk ||
	    leaf >= MLS_MSG_MAX_LEAVES) {
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return -ENOMEM;
	}
	p->suite = s;
	p->leaf = leaf;
	key_set(p, 2 * leaf, leaf_priv);
	*out = p;
	return 0;
}

int mls_treekem_priv_copy(const struct mls_treekem_priv *p, struct mls_treekem_priv **out)
{
	struct mls_treekem_priv *c;

	if (p == NULL || out == NULL) {
		return -EINVAL;
	}
	c = malloc(sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	memcpy(c, p, sizeof(*c));
	*out = c;
	return 0;
}

void mls_treekem_priv_free(struct mls_treekem_priv *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, sizeof(*p));
		free(p);
	}
}

/* derive_node derives the key pair of a node from its path secret (section 7.4). */
static int derive_node(const struct mls_suite *s, const uint8_t *path_secret, uint8_t *priv,
		       uint8_t *pub)
{
	uint8_t node_secret[MLS_MAX_HASH];
	int rc;

	rc = mls_derive_secret(s, path_secret, s->nh, MLS_LABEL("node"), node_secret);
	if (rc == 0) {
		rc = mls_hpke_derive_keypair(s, node_secret, s->nh, priv, pub);
	}
	OPENSSL_cleanse(node_secret, sizeof(node_secret));
	return rc;
}

int mls_treekem_priv_set_path_secret(struct mls_treekem_priv *p, uint32_t n_leaves, uint32_t node,
				     const uint8_t *path_secret, size_t len)
{
	uint8_t priv[MLS_MAX_KEM_PRIV], pub[MLS_MAX_KEM_PUB];
	int rc;

	if (p == NULL || path_secret == NULL || len != p->suite->nh ||
	    !mls_tree_valid_leaves(n_leaves) || p->leaf >= n_leaves || node % 2 != 1 ||
	    node >= mls_tree_node_width(n_leaves) || !in_subtree(node, 2 * p->leaf)) {
		return -EINVAL;
	}
	rc = derive_node(p->suite, path_secret, priv, pub);
	if (rc == 0) {
		key_set(p, node, priv);
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

/* node_key returns the encryption key of node |x| of |t| (empty when blank). */
static struct mls_bytes node_key(const struct mls_rtree *t, uint32_t x)
{
	const struct mls_node *n = mls_rtree_node_get0(t, x);
	struct mls_bytes none = {NULL, 0};

	if (n == NULL || n->type == 0) {
		return none;
	}
	return n->type == MLS_NODE_LEAF ? n->leaf->encryption_key : n->parent->encryption_key;
}

int mls_treekem_priv_check(const struct mls_treekem_priv *p, const struct mls_rtree *t)
{
	const struct mls_suite *s;
	uint8_t pub[MLS_MAX_KEM_PUB];
	int rc;

	if (p == NULL || t == NULL || p->suite != mls_rtree_suite(t)) {
		return -EINVAL;
	}
	s = p->suite;
	for (size_t i = 0; i < p->n; i++) {
		struct mls_bytes k = node_key(t, p->keys[i].node);

		rc = mls_hpke_pub_from_priv(s, p->keys[i].priv, s->kem_nsk, pub);
		if (rc < 0) {
			return rc;
		}
		if (k.len != s->kem_npk || memcmp(k.p, pub, k.len) != 0) {
			return -EBADMSG;
		}
	}
	return 0;
}

/* ---- merging (section 7.5) ---------------------------------------------- */

/*
 * set_path sets the |n| nodes of filtered direct path |fdp| to the keys
 * |keys|, root first, each with the parent hash of the one above, and
 * writes the parent hash of the lowest (the leaf's) to |ph| (|*ph_len|: 0
 * when the path is empty).
 */
static int set_path(struct mls_rtree *t, const uint32_t *fdp, const uint32_t *copath, int n,
		    const struct mls_bytes *keys, uint8_t *ph, size_t *ph_len)
{
	size_t nh = mls_rtree_suite(t)->nh;
	int rc;

	*ph_len = 0;
	for (int i = n; i-- > 0;) {
		uint8_t above[MLS_MAX_HASH];
		struct mls_parent_node pn = {keys[i], {NULL, 0}, NULL, 0};

		if (*ph_len > 0) {
			memcpy(above, ph, nh);
			pn.parent_hash = (struct mls_bytes){above, nh};
		}
		rc = mls_rtree_set_parent(t, fdp[i], &pn);
		if (rc < 0) {
			return rc;
		}
		rc = mls_rtree_parent_hash(t, fdp[i], copath[i], ph);
		if (rc < 0) {
			return rc;
		}
		*ph_len = nh;
	}
	return 0;
}

int mls_treekem_merge(struct mls_rtree *t, uint32_t sender, const struct mls_update_path *path)
{
	struct mls_bytes keys[MLS_TREE_MAX_DEPTH];
	uint32_t fdp[MLS_TREE_MAX_DEPTH], copath[MLS_TREE_MAX_DEPTH];
	const struct mls_suite *s;
	uint8_t ph[MLS_MAX_HASH];
	size_t ph_len;
	int n, rc;

	if (t == NULL || path == NULL) {
		return -EINVAL;
	}
	s = mls_rtree_suite(t);
	n = mls_rtree_filtered_direct_path(t, sender, fdp, copath, MLS_TREE_MAX_DEPTH);
	if (n < 0) {
		return n;
	}
	if (path->leaf_node.source != MLS_LEAF_SOURCE_COMMIT || path->n_nodes != (size_t)n) {
		return -EBADMSG;
	}
	for (int i = 0; i < n; i++) {
		keys[i] = path->nodes[i].encryption_key;
		if (keys[i].len != s->kem_npk) {
			return -EBADMSG;
		}
	}
	/* blank the direct path, replace the leaf; the copath subtrees stay as they were */
	rc = mls_rtree_update_leaf(t, sender, &path->leaf_node);
	if (rc < 0) {
		return rc;
	}
	rc = set_path(t, fdp, copath, n, keys, ph, &ph_len);
	if (rc < 0) {
		return rc;
	}
	if (path->leaf_node.parent_hash.len != ph_len ||
	    (ph_len > 0 && memcmp(path->leaf_node.parent_hash.p, ph, ph_len) != 0)) {
		return -EBADMSG;
	}
	return 0;
}

/* ---- processing and creating (sections 7.4-7.6) ------------------------- */

/* encode_alloc runs |enc| on |arg| into a malloc'd buffer grown until it fits. */
static int encode_alloc(int (*enc)(struct mls_writer *, const void *), const void *arg,
			uint8_t **out, size_t *len)
{
	uint8_t *buf = NULL;
	size_t cap = 512;
	struct mls_writer w;
	int rc;

	for (;;) {
		uint8_t *b = realloc(buf, cap);

		if (b == NULL) {
			free(buf);
			return -ENOMEM;
		}
		buf = b;
		mls_writer_init(&w, buf, cap);
		rc = enc(&w, arg);
		if (rc != -ENOSPC || cap > SIZE_MAX / 2) {
			break;
		}
		cap *= 2;
	}
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = mls_writer_len(&w);
	return 0;
}

static int enc_gc(struct mls_writer *w, const void *arg)
{
	return mls_group_context_encode(w, arg);
}

static int enc_leaf(struct mls_writer *w, const void *arg)
{
	return mls_leaf_node_encode(w, arg);
}

struct tbs_arg {
	const struct mls_leaf_node *ln;
	struct mls_bytes group_id;
	uint32_t leaf;
};

static int enc_tbs(struct mls_writer *w, const void *arg)
{
	const struct tbs_arg *ta = arg;

	return mls_leaf_node_tbs_encode(w, ta->ln, ta->group_id, ta->leaf);
}

/* encode_gc encodes |tmpl| with the root hash of |t| as tree_hash into a malloc'd buffer. */
static int encode_gc(const struct mls_rtree *t, const struct mls_group_context *tmpl,
		     uint8_t **out, size_t *len)
{
	struct mls_group_context gc = *tmpl;
	uint8_t th[MLS_MAX_HASH];
	int rc;

	rc = mls_rtree_tree_hash(t, mls_rtree_root(t), th);
	if (rc < 0) {
		return rc;
	}
	gc.tree_hash = (struct mls_bytes){th, mls_rtree_suite(t)->nh};
	return encode_alloc(enc_gc, &gc, out, len);
}

/* resolve_excl writes the resolution of |x| minus the leaves |excl| to |res|; returns its size. */
static int resolve_excl(const struct mls_rtree *t, uint32_t x, const uint32_t *excl, size_t n_excl,
			uint32_t *res)
{
	int n = mls_rtree_resolution(t, x, res, mls_rtree_n_nodes(t)), m = 0;

	for (int i = 0; i < n; i++) {
		bool drop = false;

		for (size_t j = 0; j < n_excl && !drop; j++) {
			drop = res[i] == 2 * excl[j];
		}
		if (!drop) {
			res[m++] = res[i];
		}
	}
	return n < 0 ? n : m;
}

/*
 * derive_from fills |tp|'s secrets, key pairs from index |j| up, from
 * tp->secret[j], and writes the commit secret.
 */
static int derive_from(const struct mls_suite *s, struct tk_path *tp, int j, uint8_t *commit)
{
	int rc;

	for (int i = j; i < tp->n; i++) {
		if (i > j) {
			rc = mls_derive_secret(s, tp->secret[i - 1], s->nh, MLS_LABEL("path"),
					       tp->secret[i]);
			if (rc < 0) {
				return rc;
			}
		}
		rc = derive_node(s, tp->secret[i], tp->priv[i], tp->pub[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_derive_secret(s, tp->secret[tp->n - 1], s->nh, MLS_LABEL("path"), commit);
}

/* adopt_path replaces |p|'s keys on the sender's direct path by those of |tp| from |j| up. */
static void adopt_path(struct mls_treekem_priv *p, uint32_t n_leaves, uint32_t sender,
		       const struct tk_path *tp, int j)
{
	uint32_t root = mls_tree_root(n_leaves);

	for (uint32_t x = 2 * sender; x != root;) {
		x = mls_tree_parent(x, n_leaves);
		key_drop(p, x);
	}
	for (int i = j; i < tp->n; i++) {
		key_set(p, tp->fdp[i], tp->priv[i]);
	}
}

static int process(struct mls_treekem_priv *p, const struct mls_rtree *t, uint32_t sender,
		   const struct mls_update_path *path, const struct mls_group_context *gc,
		   const uint32_t *new_leaves, size_t n_new, struct tk_path *tp, uint32_t *res,
		   uint8_t *path_secret, uint8_t *commit_secret)
{
	const struct mls_suite *s = p->suite;
	const struct mls_hpke_ciphertext *ct;
	const struct tk_key *key = NULL;
	uint8_t *gce = NULL;
	size_t gce_len;
	int j, n_res, k, rc;

	tp->n = mls_rtree_filtered_direct_path(t, sender, tp->fdp, tp->copath, MLS_TREE_MAX_DEPTH);
	if (tp->n < 0) {
		return tp->n;
	}
	if (path->n_nodes != (size_t)tp->n) {
		return -EBADMSG;
	}
	for (j = 0; j < tp->n && !in_subtree(tp->copath[j], 2 * p->leaf); j++) {
	}
	if (j == tp->n) {
		return -EINVAL;
	}
	n_res = resolve_excl(t, tp->copath[j], new_leaves, n_new, res);
	if (n_res < 0) {
		return n_res;
	}
	for (k = 0; k < n_res && key == NULL; k++) {
		key = key_find(p, res[k]);
	}
	if (key == NULL) {
		return -ENOENT;
	}
	k--;
	if (path->nodes[j].n_encrypted_path_secret != (size_t)n_res) {
		return -EBADMSG;
	}
	ct = &path->nodes[j].encrypted_path_secret[k];
	if (ct->ciphertext.len != (size_t)s->nh + MLS_AEAD_TAG) {
		return -EBADMSG;
	}
	rc = encode_gc(t, gc, &gce, &gce_len);
	if (rc < 0) {
		return rc;
	}
	rc = mls_decrypt_with_label(s, key->priv, s->kem_nsk, MLS_LABEL("UpdatePathNode"), gce,
				    gce_len, ct->kem_output.p, ct->kem_output.len,
				    ct->ciphertext.p, ct->ciphertext.len, tp->secret[j]);
	free(gce);
	if (rc < 0) {
		return rc;
	}
	rc = derive_from(s, tp, j, commit_secret);
	if (rc < 0) {
		return rc;
	}
	/* section 7.5: the derived public keys must be the ones sent */
	for (int i = j; i < tp->n; i++) {
		if (path->nodes[i].encryption_key.len != s->kem_npk ||
		    memcmp(path->nodes[i].encryption_key.p, tp->pub[i], s->kem_npk) != 0) {
			return -EBADMSG;
		}
	}
	if (path_secret != NULL) {
		memcpy(path_secret, tp->secret[j], s->nh);
	}
	adopt_path(p, mls_rtree_n_leaves(t), sender, tp, j);
	return 0;
}

int mls_treekem_process(struct mls_treekem_priv *p, const struct mls_rtree *t, uint32_t sender,
			const struct mls_update_path *path, const struct mls_group_context *gc,
			const uint32_t *new_leaves, size_t n_new, uint8_t *path_secret,
			uint8_t *commit_secret)
{
	struct tk_path *tp;
	uint32_t *res;
	int rc;

	if (p == NULL || t == NULL || path == NULL || gc == NULL || commit_secret == NULL ||
	    (new_leaves == NULL && n_new > 0) || p->suite != mls_rtree_suite(t) ||
	    sender == p->leaf || sender >= mls_rtree_n_leaves(t)) {
		return -EINVAL;
	}
	tp = calloc(1, sizeof(*tp));
	res = malloc((size_t)mls_rtree_n_nodes(t) * sizeof(*res));
	if (tp == NULL || res == NULL) {
		free(tp);
		free(res);
		return -ENOMEM;
	}
	rc = process(p, t, sender, path, gc, new_leaves, n_new, tp, res, path_secret,
		     commit_secret);
	if (rc < 0) {
		OPENSSL_cleanse(commit_secret, p->suite->nh);
	}
	OPENSSL_cleanse(tp, sizeof(*tp));
	free(tp);
	free(res);
	return rc;
}

/* arena_copy copies |n| bytes into |a|; NULL on failure. */
static struct mls_bytes arena_copy(struct mls_arena *a, const void *p, size_t n, bool *ok)
{
	struct mls_bytes b = {NULL, 0};
	uint8_t *d;

	if (n == 0) {
		return b;
	}
	d = mls_arena_alloc(a, n);
	if (d == NULL) {
		*ok = false;
		return b;
	}
	memcpy(d, p, n);
	b.p = d;
	b.len = n;
	return b;
}

/*
 * new_leaf makes in |out| the committer's new LeafNode: |old|'s fields,
 * source commit, |enc| as encryption key, the parent hash |t| gives it once
 * the path's keys are in, signed over |group_id| and the leaf index. All of
 * it is then re-decoded into |a|, so that it depends on neither |t| nor
 * the stack.
 */
static int new_leaf(struct mls_rtree *t, uint32_t leaf, const struct tk_path *tp,
		    const uint8_t *enc, EVP_PKEY *sig_key, struct mls_bytes group_id,
		    struct mls_arena *a, struct mls_leaf_node *out)
{
	const struct mls_suite *s = mls_rtree_suite(t);
	struct mls_bytes keys[MLS_TREE_MAX_DEPTH];
	uint8_t ph[MLS_MAX_HASH], sig[MLS_MAX_SIG], *buf = NULL, *own;
	struct tbs_arg ta = {out, group_id, leaf};
	struct mls_rtree *c = NULL;
	size_t ph_len, sig_len, len;
	struct mls_reader r;
	int rc;

	*out = *mls_rtree_leaf_get0(t, leaf);
	out->source = MLS_LEAF_SOURCE_COMMIT;
	out->encryption_key = (struct mls_bytes){enc, s->kem_npk};
	out->parent_hash = (struct mls_bytes){NULL, 0};
	out->signature = (struct mls_bytes){NULL, 0};
	for (int i = 0; i < tp->n; i++) {
		keys[i] = (struct mls_bytes){tp->pub[i], s->kem_npk};
	}
	/* the parent hashes, on a scratch copy: they do not depend on the leaf */
	rc = mls_rtree_copy(t, &c);
	rc = rc < 0 ? rc : mls_rtree_update_leaf(c, leaf, out);
	rc = rc < 0 ? rc : set_path(c, tp->fdp, tp->copath, tp->n, keys, ph, &ph_len);
	mls_rtree_free(c);
	if (rc < 0) {
		return rc;
	}
	out->parent_hash = (struct mls_bytes){ph_len > 0 ? ph : NULL, ph_len};
	rc = encode_alloc(enc_tbs, &ta, &buf, &len);
	if (rc < 0) {
		return rc;
	}
	rc = mls_sign_with_label(s, sig_key, MLS_LABEL("LeafNodeTBS"), buf, len, sig, sizeof(sig),
				 &sig_len);
	free(buf);
	if (rc < 0) {
		return rc;
	}
	out->signature = (struct mls_bytes){sig, sig_len};
	rc = encode_alloc(enc_leaf, out, &buf, &len);
	if (rc < 0) {
		return rc;
	}
	own = mls_arena_alloc(a, len);
	if (own == NULL) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(own, buf, len);
	free(buf);
	mls_reader_init(&r, own, len);
	return mls_leaf_node_decode(&r, a, out);
}

/* encrypt_path fills |nodes|' ciphertexts: path_secret[i] to each node resolving copath[i]. */
static int encrypt_path(const struct mls_rtree *t, const struct tk_path *tp,
			const uint8_t *gce, size_t gce_len, const uint32_t *new_leaves,
			size_t n_new, uint32_t *res, struct mls_arena *a,
			struct mls_update_path_node *nodes)
{
	const struct mls_suite *s = mls_rtree_suite(t);
	int rc;

	for (int i = 0; i < tp->n; i++) {
		struct mls_hpke_ciphertext *cts = NULL;
		int n = resolve_excl(t, tp->copath[i], new_leaves, n_new, res);

		if (n < 0) {
			return n;
		}
		if (n > 0) {
			cts = mls_arena_alloc(a, (size_t)n * sizeof(*cts));
			if (cts == NULL) {
				return -ENOMEM;
			}
		}
		for (int k = 0; k < n; k++) {
			struct mls_bytes pub = node_key(t, res[k]);
			uint8_t *kem = mls_arena_alloc(a, s->kem_nenc);
			uint8_t *ct = mls_arena_alloc(a, (size_t)s->nh + MLS_AEAD_TAG);

			if (kem == NULL || ct == NULL) {
				return -ENOMEM;
			}
			rc = mls_encrypt_with_label(s, pub.p, pub.len, MLS_LABEL("UpdatePathNode"),
						    gce, gce_len, tp->secret[i], s->nh, kem, ct);
			if (rc < 0) {
				return rc;
			}
			cts[k].kem_output = (struct mls_bytes){kem, s->kem_nenc};
			cts[k].ciphertext = (struct mls_bytes){ct, (size_t)s->nh + MLS_AEAD_TAG};
		}
		nodes[i].encrypted_path_secret = cts;
		nodes[i].n_encrypted_path_secret = (size_t)n;
	}
	return 0;
}

static int create(struct mls_treekem_priv *p, struct mls_rtree *t, EVP_PKEY *sig_key,
		  struct mls_bytes group_id, const struct mls_group_context *gc,
		  const uint32_t *new_leaves, size_t n_new, struct mls_arena *a,
		  struct mls_update_path *out, uint8_t *commit_secret, struct tk_path *tp,
		  uint32_t *res)
{
	const struct mls_suite *s = p->suite;
	uint8_t leaf_priv[MLS_MAX_KEM_PRIV], leaf_pub[MLS_MAX_KEM_PUB], *gce = NULL;
	struct mls_update_path_node *nodes = NULL;
	size_t gce_len;
	int rc;

	tp->n = mls_rtree_filtered_direct_path(t, p->leaf, tp->fdp, tp->copath,
					       MLS_TREE_MAX_DEPTH);
	if (tp->n < 0) {
		return tp->n;
	}
	rc = mls_hpke_keygen(s, leaf_priv, leaf_pub);
	rc = rc < 0 ? rc : mls_random(tp->secret[0], s->nh);
	if (rc == 0 && tp->n > 0) {
		rc = derive_from(s, tp, 0, commit_secret);
	} else if (rc == 0) {
		/* no one to encrypt to: a commit secret nobody else needs */
		rc = mls_derive_secret(s, tp->secret[0], s->nh, MLS_LABEL("path"), commit_secret);
	}
	if (rc == 0 && tp->n > 0) {
		nodes = mls_arena_alloc(a, (size_t)tp->n * sizeof(*nodes));
		rc = nodes == NULL ? -ENOMEM : 0;
	}
	for (int i = 0; rc == 0 && i < tp->n; i++) {
		bool ok = true;

		nodes[i].encryption_key = arena_copy(a, tp->pub[i], s->kem_npk, &ok);
		rc = ok ? 0 : -ENOMEM;
	}
	if (rc == 0) {
		rc = new_leaf(t, p->leaf, tp, leaf_pub, sig_key, group_id, a, &out->leaf_node);
	}
	if (rc == 0) {
		out->nodes = nodes;
		out->n_nodes = (size_t)tp->n;
		rc = mls_treekem_merge(t, p->leaf, out);
	}
	rc = rc < 0 ? rc : encode_gc(t, gc, &gce, &gce_len);
	rc = rc < 0 ? rc : encrypt_path(t, tp, gce, gce_len, new_leaves, n_new, res, a, nodes);
	free(gce);
	if (rc == 0) {
		adopt_path(p, mls_rtree_n_leaves(t), p->leaf, tp, 0);
		key_set(p, 2 * p->leaf, leaf_priv);
	}
	OPENSSL_cleanse(leaf_priv, sizeof(leaf_priv));
	return rc;
}

int mls_treekem_create_ex(struct mls_treekem_priv *p, struct mls_rtree *t, EVP_PKEY *sig_key,
			  struct mls_bytes group_id, const struct mls_group_context *gc,
			  const uint32_t *new_leaves, size_t n_new, struct mls_arena *a,
			  struct mls_update_path *out, uint8_t *commit_secret,
			  struct mls_treekem_path_secrets *secrets)
{
	struct tk_path *tp;
	uint32_t *res;
	int rc;

	if (p == NULL || t == NULL || sig_key == NULL || gc == NULL || a == NULL || out == NULL ||
	    commit_secret == NULL || (new_leaves == NULL && n_new > 0) ||
	    p->suite != mls_rtree_suite(t) || p->leaf >= mls_rtree_n_leaves(t)) {
		return -EINVAL;
	}
	if (mls_rtree_leaf_get0(t, p->leaf) == NULL) {
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	tp = calloc(1, sizeof(*tp));
	res = malloc((size_t)mls_rtree_n_nodes(t) * sizeof(*res));
	if (tp == NULL || res == NULL) {
		free(tp);
		free(res);
		return -ENOMEM;
	}
	rc = create(p, t, sig_key, group_id, gc, new_leaves, n_new, a, out, commit_secret, tp,
		    res);
	if (rc < 0) {
		OPENSSL_cleanse(commit_secret, p->suite->nh);
	} else if (secrets != NULL) {
		secrets->n = tp->n;
		for (int i = 0; i < tp->n; i++) {
			secrets->node[i] = tp->fdp[i];
			memcpy(secrets->secret[i], tp->secret[i], p->suite->nh);
		}
	}
	OPENSSL_cleanse(tp, sizeof(*tp));
	free(tp);
	free(res);
	return rc;
}

int mls_treekem_create(struct mls_treekem_priv *p, struct mls_rtree *t, EVP_PKEY *sig_key,
		       struct mls_bytes group_id, const struct mls_group_context *gc,
		       const uint32_t *new_leaves, size_t n_new, struct mls_arena *a,
		       struct mls_update_path *out, uint8_t *commit_secret)
{
	return mls_treekem_create_ex(p, t, sig_key, group_id, gc, new_leaves, n_new, a, out,
				     commit_secret, NULL);
}

void mls_treekem_path_secrets_wipe(struct mls_treekem_path_secrets *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, sizeof(*s));
	}
}
