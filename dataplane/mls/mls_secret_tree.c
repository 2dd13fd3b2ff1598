/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_secret_tree.c - the secret tree, ratchets and sender-data keys
 * (RFC 9420 sections 9 and 6.3.2); the contract is mls_secret_tree.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_secret_tree.h"
#include "mls_tree.h"

struct leaf_ratchets {
	struct mls_ratchet handshake;
	struct mls_ratchet application;
};

struct mls_secret_tree {
	const struct mls_suite *suite;
	uint32_t n_leaves;		/* a power of two */
	uint32_t width;			/* 2 * n_leaves - 1 */
	uint8_t *secrets;		/* width * Nh bytes */
	uint8_t *present;		/* width flags: the node's secret is held */
	struct leaf_ratchets **leaves;	/* n_leaves pointers, allocated on first use */
};

int mls_ratchet_init(struct mls_ratchet *r, const struct mls_suite *s, const uint8_t *secret,
		     uint32_t generation)
{
	if (r == NULL || s == NULL || secret == NULL) {
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	r->suite = s;
	memcpy(r->secret, secret, s->nh);
	r->next = generation;
	return 0;
}

void mls_ratchet_wipe(struct mls_ratchet *r)
{
	if (r != NULL) {
		OPENSSL_cleanse(r, sizeof(*r));
	}
}

/*
 * step derives generation r->next's key and nonce and moves r->secret to
 * the next generation, wiping the old one. On an error nothing changes.
 */
static int step(struct mls_ratchet *r, uint8_t *key, uint8_t *nonce)
{
	const struct mls_suite *s = r->suite;
	uint8_t next[MLS_MAX_HASH];
	int rc;

	if (r->exhausted) {
		return -EOVERFLOW;
	}
	rc = mls_derive_tree_secret(s, r->secret, s->nh, MLS_LABEL("key"), r->next, key, s->nk);
	if (rc == 0) {
		rc = mls_derive_tree_secret(s, r->secret, s->nh, MLS_LABEL("nonce"), r->next,
					    nonce, s->nn);
	}
	if (rc == 0) {
		rc = mls_derive_tree_secret(s, r->secret, s->nh, MLS_LABEL("secret"), r->next,
					    next, s->nh);
	}
	if (rc < 0) {
		OPENSSL_cleanse(key, s->nk);
		OPENSSL_cleanse(nonce, s->nn);
		OPENSSL_cleanse(next, sizeof(next));
		return rc;
	}
	memcpy(r->secret, next, s->nh);
	OPENSSL_cleanse(next, sizeof(next));
	if (r->next == UINT32_MAX) {
		/* The last generation: nothing may follow it (no wrap-around). */
		r->exhausted = true;
		OPENSSL_cleanse(r->secret, sizeof(r->secret));
	} else {
		r->next++;
	}
	return 0;
}

int mls_ratchet_next(struct mls_ratchet *r, uint32_t *generation, uint8_t *key, uint8_t *nonce)
{
	uint32_t g;
	int rc;

	if (r == NULL || r->suite == NULL || generation == NULL || key == NULL || nonce == NULL) {
		return -EINVAL;
	}
	g = r->next;
	rc = step(r, key, nonce);
	if (rc == 0) {
		*generation = g;
	}
	return rc;
}

/* take_from_window hands out and forgets a kept key of |generation|; -ENOENT when none. */
static int take_from_window(struct mls_ratchet *r, uint32_t generation, uint8_t *key,
			    uint8_t *nonce)
{
	const struct mls_suite *s = r->suite;

	for (size_t i = 0; i < MLS_RATCHET_WINDOW; i++) {
		struct mls_ratchet_key *k = &r->window[i];

		if (k->valid && k->generation == generation) {
			memcpy(key, k->key, s->nk);
			memcpy(nonce, k->nonce, s->nn);
			OPENSSL_cleanse(k, sizeof(*k));
			return 0;
		}
	}
	return -ENOENT;
}

int mls_ratchet_get(struct mls_ratchet *r, uint32_t generation, uint8_t *key, uint8_t *nonce)
{
	struct mls_ratchet saved;
	uint32_t skip;
	int rc = 0;

	if (r == NULL || r->suite == NULL || key == NULL || nonce == NULL) {
		return -EINVAL;
	}
	if (generation < r->next || (r->exhausted && generation == r->next)) {
		return take_from_window(r, generation, key, nonce);
	}
	if (r->exhausted) {
		return -ENOENT;
	}
	skip = generation - r->next;
	if (skip > MLS_RATCHET_MAX_FORWARD) {
		return -ERANGE;
	}
	/*
	 * Walk forward, keeping the skipped generations' keys. A crypto error
	 * half-way must leave the ratchet as it was, so the walk runs on a
	 * copy when it skips anything.
	 */
	if (skip > 0) {
		memcpy(&saved, r, sizeof(saved));
	}
	while (rc == 0 && r->next < generation) {
		struct mls_ratchet_key *k = &r->window[r->window_pos];

		OPENSSL_cleanse(k, sizeof(*k));
		k->generation = r->next;
		rc = step(r, k->key, k->nonce);
		if (rc == 0) {
			k->valid = true;
			r->window_pos = (r->window_pos + 1) % MLS_RATCHET_WINDOW;
		}
	}
	if (rc == 0) {
		rc = step(r, key, nonce);
	}
	if (rc < 0 && skip > 0) {
		memcpy(r, &saved, sizeof(*r));
	}
	if (skip > 0) {
		OPENSSL_cleanse(&saved, sizeof(saved));
	}
	return rc;
}

struct mls_secret_tree *mls_secret_tree_new(const struct mls_suite *s,
					    const uint8_t *encryption_secret,
					    uint32_t n_leaves)
{
	struct mls_secret_tree *t;
	uint32_t n = 1;

	if (s == NULL || encryption_secret == NULL || n_leaves == 0 ||
	    n_leaves > MLS_TREE_MAX_LEAVES) {
		return NULL;
	}
	while (n < n_leaves) {
		n <<= 1;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	t->suite = s;
	t->n_leaves = n;
	t->width = mls_tree_node_width(n);
	t->secrets = calloc(t->width, s->nh);
	t->present = calloc(t->width, 1);
	t->leaves = calloc(n, sizeof(*t->leaves));
	if (t->secrets == NULL || t->present == NULL || t->leaves == NULL) {
		mls_secret_tree_free(t);
		return NULL;
	}
	memcpy(t->secrets + (size_t)mls_tree_root(n) * s->nh, encryption_secret, s->nh);
	t->present[mls_tree_root(n)] = 1;
	return t;
}

void mls_secret_tree_free(struct mls_secret_tree *t)
{
	if (t == NULL) {
		return;
	}
	if (t->secrets != NULL) {
		OPENSSL_cleanse(t->secrets, (size_t)t->width * t->suite->nh);
		free(t->secrets);
	}
	free(t->present);
	if (t->leaves != NULL) {
		for (uint32_t i = 0; i < t->n_leaves; i++) {
			if (t->leaves[i] != NULL) {
				OPENSSL_cleanse(t->leaves[i], sizeof(*t->leaves[i]));
				free(t->leaves[i]);
			}
		}
		free(t->leaves);
	}
	free(t);
}

/*
 * take_leaf derives the secrets on the path from the root down to |leaf|
 * (wiping each parent once its two children exist) and moves the leaf's
 * secret to |out|, wiping it in the tree. -ENOENT when it was taken before.
 */
static int take_leaf(struct mls_secret_tree *t, uint32_t leaf, uint8_t *out)
{
	const struct mls_suite *s = t->suite;
	uint32_t x = mls_tree_leaf_to_node(leaf), node = mls_tree_root(t->n_leaves);
	int rc;

	while (node != x) {
		uint32_t l = mls_tree_left(node), r = mls_tree_right(node);
		uint8_t *ps = t->secrets + (size_t)node * s->nh;

		if (t->present[node]) {
			rc = mls_expand_with_label(s, ps, s->nh, MLS_LABEL("tree"),
						   (const uint8_t *)"left", 4,
						   t->secrets + (size_t)l * s->nh, s->nh);
			if (rc == 0) {
				rc = mls_expand_with_label(s, ps, s->nh, MLS_LABEL("tree"),
							   (const uint8_t *)"right", 5,
							   t->secrets + (size_t)r * s->nh,
							   s->nh);
			}
			if (rc < 0) {
				return rc;
			}
			t->present[l] = t->present[r] = 1;
			t->present[node] = 0;
			OPENSSL_cleanse(ps, s->nh);
		}
		node = x < node ? l : r;
	}
	if (!t->present[x]) {
		return -ENOENT;
	}
	memcpy(out, t->secrets + (size_t)x * s->nh, s->nh);
	OPENSSL_cleanse(t->secrets + (size_t)x * s->nh, s->nh);
	t->present[x] = 0;
	return 0;
}

int mls_secret_tree_leaf_secrets(struct mls_secret_tree *t, uint32_t leaf,
				 uint8_t *handshake, uint8_t *application)
{
	uint8_t ls[MLS_MAX_HASH];
	const struct mls_suite *s;
	int rc;

	if (t == NULL || leaf >= t->n_leaves) {
		return -EINVAL;
	}
	s = t->suite;
	rc = take_leaf(t, leaf, ls);
	if (rc == 0 && handshake != NULL) {
		rc = mls_expand_with_label(s, ls, s->nh, MLS_LABEL("handshake"), NULL, 0,
					   handshake, s->nh);
	}
	if (rc == 0 && application != NULL) {
		rc = mls_expand_with_label(s, ls, s->nh, MLS_LABEL("application"), NULL, 0,
					   application, s->nh);
	}
	OPENSSL_cleanse(ls, sizeof(ls));
	return rc;
}

int mls_secret_tree_ratchet(struct mls_secret_tree *t, uint32_t leaf, enum mls_ratchet_type type,
			    struct mls_ratchet **out)
{
	uint8_t hs[MLS_MAX_HASH], app[MLS_MAX_HASH];
	struct leaf_ratchets *lr;
	int rc;

	if (t == NULL || out == NULL || leaf >= t->n_leaves ||
	    (type != MLS_RATCHET_HANDSHAKE && type != MLS_RATCHET_APPLICATION)) {
		return -EINVAL;
	}
	lr = t->leaves[leaf];
	if (lr == NULL) {
		lr = calloc(1, sizeof(*lr));
		if (lr == NULL) {
			return -ENOMEM;
		}
		rc = mls_secret_tree_leaf_secrets(t, leaf, hs, app);
		if (rc == 0) {
			rc = mls_ratchet_init(&lr->handshake, t->suite, hs, 0);
		}
		if (rc == 0) {
			rc = mls_ratchet_init(&lr->application, t->suite, app, 0);
		}
		OPENSSL_cleanse(hs, sizeof(hs));
		OPENSSL_cleanse(app, sizeof(app));
		if (rc < 0) {
			OPENSSL_cleanse(lr, sizeof(*lr));
			free(lr);
			return rc;
		}
		t->leaves[leaf] = lr;
	}
	*out = type == MLS_RATCHET_HANDSHAKE ? &lr->handshake : &lr->application;
	return 0;
}

int mls_sender_data_keys(const struct mls_suite *s, const uint8_t *sender_data_secret,
			 const uint8_t *ciphertext, size_t ciphertext_len,
			 uint8_t *key, uint8_t *nonce)
{
	size_t n;
	int rc;

	if (s == NULL || sender_data_secret == NULL || (ciphertext == NULL && ciphertext_len > 0) ||
	    key == NULL || nonce == NULL) {
		return -EINVAL;
	}
	/* The sample is Nh bytes (the KDF's output size), not Nk: section 6.3.2. */
	n = ciphertext_len < s->nh ? ciphertext_len : s->nh;
	rc = mls_expand_with_label(s, sender_data_secret, s->nh, MLS_LABEL("key"), ciphertext, n,
				   key, s->nk);
	if (rc == 0) {
		rc = mls_expand_with_label(s, sender_data_secret, s->nh, MLS_LABEL("nonce"),
					   ciphertext, n, nonce, s->nn);
	}
	if (rc < 0) {
		OPENSSL_cleanse(key, s->nk);
	}
	return rc;
}
