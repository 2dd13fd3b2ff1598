/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_group.c - signing identities, a group's life (create, copy, free),
 * installing an epoch, the accessors and what the data plane needs of an
 * epoch (mls_group.h). Proposals and Commits are in mls_group_commit.c,
 * KeyPackages in mls_group_kp.c, GroupInfo and Welcome in
 * mls_group_welcome.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_arena.h"
#include "mls_group_internal.h"
#include "mls_wire.h"

/* ---- buffers ------------------------------------------------------------ */

void grp_buf_free(struct grp_buf *b)
{
	if (b != NULL) {
		free(b->p);
		b->p = NULL;
		b->len = 0;
	}
}

void grp_buf_wipe(struct grp_buf *b)
{
	if (b != NULL && b->p != NULL) {
		OPENSSL_cleanse(b->p, b->len);
	}
	grp_buf_free(b);
}

int grp_buf_set(struct grp_buf *b, const void *p, size_t len)
{
	uint8_t *n = malloc(len > 0 ? len : 1);

	if (n == NULL) {
		return -ENOMEM;
	}
	if (len > 0) {
		memcpy(n, p, len);
	}
	grp_buf_wipe(b);
	b->p = n;
	b->len = len;
	return 0;
}

int grp_encode(int (*fn)(struct mls_writer *w, const void *arg), const void *arg,
	       struct grp_buf *out)
{
	size_t cap = 4096;

	for (;;) {
		struct mls_writer w;
		uint8_t *buf = malloc(cap);
		int rc;

		if (buf == NULL) {
			return -ENOMEM;
		}
		mls_writer_init(&w, buf, cap);
		rc = fn(&w, arg);
		if (rc == 0 && !mls_writer_ok(&w)) {
			rc = -ENOSPC;
		}
		if (rc == 0) {
			out->p = buf;
			out->len = mls_writer_len(&w);
			return 0;
		}
		OPENSSL_cleanse(buf, cap);
		free(buf);
		if (rc != -ENOSPC || cap >= MLS_GROUP_MAX_MESSAGE) {
			return rc;
		}
		cap *= 2;
	}
}

int grp_decode_message(const uint8_t *msg, size_t len, uint16_t wire, struct mls_arena *a,
		       struct mls_message *m)
{
	struct mls_reader r;
	int rc;

	if (msg == NULL || len == 0 || len > MLS_GROUP_MAX_MESSAGE) {
		return -EBADMSG;
	}
	mls_reader_init(&r, msg, len);
	rc = mls_message_decode(&r, a, m);
	if (rc == -EPROTONOSUPPORT || rc == -ENOMEM) {
		return rc;
	}
	if (rc < 0 || mls_read_end(&r) < 0 || m->wire_format != wire) {
		return -EBADMSG;
	}
	return 0;
}

/* ---- signers -------------------------------------------------------------- */

int mls_signer_new(const struct mls_suite *s, const uint8_t *identity, size_t identity_len,
		   const uint8_t *sig_priv, size_t sig_priv_len, struct mls_signer **out)
{
	struct mls_signer *sg;
	int rc;

	if (s == NULL || identity == NULL || identity_len == 0 ||
	    identity_len > MLS_GROUP_MAX_IDENTITY || out == NULL ||
	    (sig_priv != NULL && (sig_priv_len == 0 || sig_priv_len > MLS_MAX_SIG_PRIV))) {
		return -EINVAL;
	}
	sg = calloc(1, sizeof(*sg));
	if (sg == NULL) {
		return -ENOMEM;
	}
	sg->suite = s;
	sg->identity = malloc(identity_len);
	if (sg->identity == NULL) {
		free(sg);
		return -ENOMEM;
	}
	memcpy(sg->identity, identity, identity_len);
	sg->identity_len = identity_len;
	if (sig_priv != NULL) {
		rc = mls_sig_key_from_priv(s, sig_priv, sig_priv_len, &sg->key);
		if (rc == 0) {
			memcpy(sg->priv, sig_priv, sig_priv_len);
			sg->priv_len = sig_priv_len;
		}
	} else {
		rc = mls_sig_keygen(s, &sg->key, sg->priv, &sg->priv_len);
	}
	if (rc == 0) {
		rc = mls_sig_pub_raw(s, sg->key, sg->pub, sizeof(sg->pub), &sg->pub_len);
	}
	if (rc < 0) {
		mls_signer_free(sg);
		return rc;
	}
	*out = sg;
	return 0;
}

void mls_signer_free(struct mls_signer *sg)
{
	if (sg == NULL) {
		return;
	}
	EVP_PKEY_free(sg->key);
	free(sg->identity);
	OPENSSL_cleanse(sg, sizeof(*sg));
	free(sg);
}

const uint8_t *mls_signer_pub(const struct mls_signer *sg, size_t *len)
{
	*len = sg->pub_len;
	return sg->pub;
}

EVP_PKEY *mls_signer_key(const struct mls_signer *sg)
{
	return sg->key;
}

int grp_signer_copy(const struct mls_signer *sg, struct mls_signer **out)
{
	return mls_signer_new(sg->suite, sg->identity, sg->identity_len, sg->priv, sg->priv_len,
			      out);
}

/* ---- a group -------------------------------------------------------------- */

int grp_new(const struct mls_signer *sg, struct mls_group **out)
{
	struct mls_group *g;
	int rc;

	if (sg == NULL || out == NULL) {
		return -EINVAL;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		return -ENOMEM;
	}
	g->suite = sg->suite;
	g->active = true;
	rc = grp_signer_copy(sg, &g->signer);
	if (rc < 0) {
		free(g);
		return rc;
	}
	*out = g;
	return 0;
}

static void pending_clear(struct mls_group *g)
{
	for (size_t i = 0; i < g->n_pending; i++) {
		grp_buf_free(&g->pending[i].enc);
	}
	/* our own Updates' leaf keys are secret */
	OPENSSL_cleanse(g->pending, g->n_pending * sizeof(g->pending[0]));
	g->n_pending = 0;
}

int grp_foreign_set(struct mls_group *g, const struct grp_buf *group_id, uint64_t epoch,
		    const uint8_t *psk, size_t len)
{
	int rc;

	if (len > sizeof(g->foreign.psk)) {
		return -EINVAL;
	}
	grp_foreign_clear(g);
	rc = grp_buf_set(&g->foreign.group_id, group_id->p, group_id->len);
	if (rc < 0) {
		return rc;
	}
	g->foreign.epoch = epoch;
	memcpy(g->foreign.psk, psk, len);
	g->foreign.len = len;
	g->foreign.set = true;
	return 0;
}

void grp_foreign_clear(struct mls_group *g)
{
	grp_buf_free(&g->foreign.group_id);
	OPENSSL_cleanse(&g->foreign, sizeof(g->foreign));
}

void mls_group_clear_proposals(struct mls_group *g)
{
	if (g != NULL) {
		pending_clear(g);
	}
}

void mls_group_free(struct mls_group *g)
{
	if (g == NULL) {
		return;
	}
	mls_signer_free(g->signer);
	grp_buf_free(&g->group_id);
	mls_rtree_free(g->tree);
	mls_treekem_priv_free(g->priv);
	grp_buf_free(&g->extensions);
	grp_buf_free(&g->context);
	mls_secret_tree_free(g->st);
	for (size_t i = 0; i < g->n_psks; i++) {
		grp_buf_free(&g->psks[i].id);
		grp_buf_wipe(&g->psks[i].psk);
	}
	pending_clear(g);
	grp_buf_free(&g->reinit.group_id);
	grp_buf_free(&g->reinit.extensions);
	grp_foreign_clear(g);
	OPENSSL_cleanse(g, sizeof(*g));
	free(g);
}

int grp_context_view(const struct mls_group *g, struct mls_arena *ext_arena,
		     struct mls_group_context *gc)
{
	struct mls_reader r;
	int rc;

	memset(gc, 0, sizeof(*gc));
	gc->cipher_suite = g->suite->id;
	gc->group_id = (struct mls_bytes){ g->group_id.p, g->group_id.len };
	gc->epoch = g->epoch;
	gc->tree_hash = (struct mls_bytes){ g->tree_hash, g->suite->nh };
	gc->confirmed_transcript_hash = (struct mls_bytes){ g->confirmed, g->confirmed_len };
	if (g->extensions.len == 0) {
		return 0;
	}
	mls_reader_init(&r, g->extensions.p, g->extensions.len);
	rc = mls_extension_list_decode(&r, ext_arena, &gc->extensions);
	if (rc == 0) {
		rc = mls_read_end(&r);
	}
	return rc;
}

static int encode_context(struct mls_writer *w, const void *arg)
{
	return mls_group_context_encode(w, arg);
}

int grp_install(struct mls_group *g, const struct mls_epoch_secrets *sec,
		const uint8_t *confirmation_tag)
{
	const struct mls_suite *s = g->suite;
	struct mls_group_context gc;
	struct mls_arena a;
	struct grp_buf ctx = { 0 };
	struct mls_secret_tree *st;
	uint8_t tag_in[MLS_MAX_HASH + 8], interim[MLS_MAX_HASH];
	struct mls_writer w;
	int rc;

	mls_arena_init(&a, 1u << 20);
	rc = grp_context_view(g, &a, &gc);
	rc = rc < 0 ? rc : grp_encode(encode_context, &gc, &ctx);
	mls_arena_cleanup(&a);
	if (rc < 0) {
		return rc;
	}
	mls_writer_init(&w, tag_in, sizeof(tag_in));
	rc = mls_interim_transcript_hash_input_encode(&w, (struct mls_bytes){ confirmation_tag,
									     s->nh });
	if (rc == 0) {
		struct mls_writer h;
		uint8_t in[2 * MLS_MAX_HASH + 8];

		/* interim = Hash(confirmed || InterimTranscriptHashInput) (section 8.2) */
		mls_writer_init(&h, in, sizeof(in));
		rc = mls_write_bytes(&h, g->confirmed, g->confirmed_len);
		rc = rc < 0 ? rc : mls_write_bytes(&h, tag_in, mls_writer_len(&w));
		rc = rc < 0 ? rc : mls_hash(s, in, mls_writer_len(&h), interim);
	}
	st = rc < 0 ? NULL : mls_secret_tree_new(s, sec->encryption, mls_rtree_n_leaves(g->tree));
	if (rc == 0 && st == NULL) {
		rc = -ENOMEM;
	}
	if (rc < 0) {
		grp_buf_free(&ctx);
		return rc;
	}
	grp_buf_free(&g->context);
	g->context = ctx;
	mls_secret_tree_free(g->st);
	g->st = st;
	memcpy(g->interim, interim, s->nh);
	memcpy(g->confirmation_tag, confirmation_tag, s->nh);
	if (&g->secrets != sec) {
		g->secrets = *sec;
	}
	/* the resumption PSK of this epoch, kept for MLS_GROUP_RESUMPTION_KEEP epochs */
	{
		struct grp_resumption *r = &g->resumption[g->epoch % MLS_GROUP_RESUMPTION_KEEP];

		OPENSSL_cleanse(r, sizeof(*r));
		r->epoch = g->epoch;
		memcpy(r->psk, sec->resumption_psk, s->nh);
		r->used = true;
	}
	pending_clear(g);
	return 0;
}

int mls_group_create(const struct mls_signer *sg, const uint8_t *group_id, size_t group_id_len,
		     struct mls_group **out)
{
	return grp_create(sg, group_id, group_id_len, NULL, 0, out);
}

int grp_create(const struct mls_signer *sg, const uint8_t *group_id, size_t group_id_len,
	       const uint8_t *ext, size_t ext_len, struct mls_group **out)
{
	const struct mls_suite *s;
	struct mls_group *g = NULL;
	struct mls_kp *kp = NULL;
	struct mls_arena a;
	struct mls_reader r;
	struct mls_node node = { .type = MLS_NODE_LEAF };
	struct mls_leaf_node leaf;
	struct mls_epoch_secrets sec;
	uint8_t init[MLS_MAX_HASH], zero[MLS_MAX_HASH] = { 0 }, tag[MLS_MAX_HASH];
	int rc;

	if (sg == NULL || group_id == NULL || group_id_len == 0 ||
	    group_id_len > MLS_GROUP_MAX_ID || out == NULL || (ext == NULL && ext_len > 0)) {
		return -EINVAL;
	}
	s = sg->suite;
	memset(&sec, 0, sizeof(sec));
	mls_arena_init(&a, 1u << 20);
	/* the creator's leaf is that of a fresh KeyPackage (section 11) */
	rc = mls_kp_create(sg, 0, UINT64_MAX, &kp);
	rc = rc < 0 ? rc : grp_new(sg, &g);
	if (rc == 0) {
		mls_reader_init(&r, kp->leaf.p, kp->leaf.len);
		rc = mls_leaf_node_decode(&r, &a, &leaf);
	}
	if (rc == 0) {
		node.leaf = &leaf;
		rc = mls_rtree_new(s, &node, 1, &g->tree);
	}
	rc = rc < 0 ? rc : mls_treekem_priv_new(s, 0, kp->enc_priv, kp->enc_priv_len, &g->priv);
	rc = rc < 0 ? rc : grp_buf_set(&g->group_id, group_id, group_id_len);
	if (rc == 0 && ext_len > 0) {
		rc = grp_buf_set(&g->extensions, ext, ext_len);
	}
	rc = rc < 0 ? rc : mls_rtree_tree_hash(g->tree, mls_rtree_root(g->tree), g->tree_hash);
	if (rc == 0) {
		struct mls_group_context gc;
		struct grp_buf ctx = { 0 };

		g->own_leaf = 0;
		g->epoch = 0;
		g->confirmed_len = 0;	/* section 8.2: empty in a new group */
		rc = grp_context_view(g, &a, &gc);
		rc = rc < 0 ? rc : grp_encode(encode_context, &gc, &ctx);
		/* section 11: a random init_secret, zero commit and PSK secrets */
		rc = rc < 0 ? rc : mls_random(init, s->nh);
		rc = rc < 0 ? rc : mls_keysched_epoch(s, init, zero, zero, ctx.p, ctx.len, &sec);
		grp_buf_free(&ctx);
	}
	/* the first confirmation tag covers the empty confirmed transcript hash */
	rc = rc < 0 ? rc : mls_mac(s, sec.confirmation_key, s->nh, g->confirmed, 0, tag);
	rc = rc < 0 ? rc : grp_install(g, &sec, tag);
	OPENSSL_cleanse(init, sizeof(init));
	mls_epoch_secrets_wipe(&sec);
	mls_arena_cleanup(&a);
	mls_kp_free(kp);
	if (rc < 0) {
		mls_group_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

int mls_group_copy(const struct mls_group *g, struct mls_group **out)
{
	struct mls_group *c;
	int rc;

	if (g == NULL || out == NULL) {
		return -EINVAL;
	}
	rc = grp_new(g->signer, &c);
	if (rc < 0) {
		return rc;
	}
	c->epoch = g->epoch;
	c->own_leaf = g->own_leaf;
	c->active = g->active;
	c->confirmed_len = g->confirmed_len;
	memcpy(c->tree_hash, g->tree_hash, sizeof(c->tree_hash));
	memcpy(c->confirmed, g->confirmed, sizeof(c->confirmed));
	memcpy(c->interim, g->interim, sizeof(c->interim));
	memcpy(c->confirmation_tag, g->confirmation_tag, sizeof(c->confirmation_tag));
	c->secrets = g->secrets;
	memcpy(c->resumption, g->resumption, sizeof(c->resumption));
	rc = grp_buf_set(&c->group_id, g->group_id.p, g->group_id.len);
	rc = rc < 0 ? rc : grp_buf_set(&c->extensions, g->extensions.p, g->extensions.len);
	rc = rc < 0 ? rc : grp_buf_set(&c->context, g->context.p, g->context.len);
	rc = rc < 0 ? rc : mls_rtree_copy(g->tree, &c->tree);
	if (rc == 0 && g->priv != NULL) {
		rc = mls_treekem_priv_copy(g->priv, &c->priv);
	}
	if (rc == 0) {
		/*
		 * The secret tree is made afresh: handshake generations the
		 * original used are usable again in the copy, so only one of the
		 * two may go on sending handshake PrivateMessages in this epoch.
		 */
		c->st = mls_secret_tree_new(g->suite, g->secrets.encryption,
					    mls_rtree_n_leaves(g->tree));
		rc = c->st == NULL ? -ENOMEM : 0;
	}
	for (size_t i = 0; rc == 0 && i < g->n_psks; i++) {
		rc = grp_buf_set(&c->psks[i].id, g->psks[i].id.p, g->psks[i].id.len);
		rc = rc < 0 ? rc : grp_buf_set(&c->psks[i].psk, g->psks[i].psk.p, g->psks[i].psk.len);
		c->n_psks = i + 1;
	}
	for (size_t i = 0; rc == 0 && i < g->n_pending; i++) {
		c->pending[i] = g->pending[i];
		c->pending[i].enc = (struct grp_buf){ 0 };
		rc = grp_buf_set(&c->pending[i].enc, g->pending[i].enc.p, g->pending[i].enc.len);
		c->n_pending = i + 1;
	}
	if (rc == 0 && g->reinit.pending) {
		c->reinit.pending = true;
		c->reinit.version = g->reinit.version;
		c->reinit.suite = g->reinit.suite;
		rc = grp_buf_set(&c->reinit.group_id, g->reinit.group_id.p, g->reinit.group_id.len);
		rc = rc < 0 ? rc : grp_buf_set(&c->reinit.extensions, g->reinit.extensions.p,
					       g->reinit.extensions.len);
	}
	if (rc == 0 && g->foreign.set) {
		rc = grp_foreign_set(c, &g->foreign.group_id, g->foreign.epoch, g->foreign.psk,
				     g->foreign.len);
	}
	if (rc < 0) {
		mls_group_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* ---- accessors -------------------------------------------------------------- */

const struct mls_suite *mls_group_suite(const struct mls_group *g)
{
	return g->suite;
}

const uint8_t *mls_group_id(const struct mls_group *g, size_t *len)
{
	*len = g->group_id.len;
	return g->group_id.p;
}

uint64_t mls_group_epoch(const struct mls_group *g)
{
	return g->epoch;
}

uint32_t mls_group_own_leaf(const struct mls_group *g)
{
	return g->own_leaf;
}

uint32_t mls_group_n_leaves(const struct mls_group *g)
{
	return mls_rtree_n_leaves(g->tree);
}

uint32_t mls_group_n_members(const struct mls_group *g)
{
	uint32_t n = 0, leaves = mls_rtree_n_leaves(g->tree);

	for (uint32_t i = 0; i < leaves; i++) {
		n += mls_rtree_leaf_get0(g->tree, i) != NULL;
	}
	return n;
}

bool mls_group_active(const struct mls_group *g)
{
	return g->active;
}

int mls_group_member(const struct mls_group *g, uint32_t leaf, const uint8_t **identity,
		     size_t *identity_len, const uint8_t **sig_pub, size_t *sig_pub_len)
{
	const struct mls_leaf_node *ln = mls_rtree_leaf_get0(g->tree, leaf);

	if (ln == NULL) {
		return -ENOENT;
	}
	if (identity != NULL) {
		*identity = ln->credential.identity.p;
		*identity_len = ln->credential.identity.len;
	}
	if (sig_pub != NULL) {
		*sig_pub = ln->signature_key.p;
		*sig_pub_len = ln->signature_key.len;
	}
	return 0;
}

int mls_group_find_member(const struct mls_group *g, const uint8_t *identity, size_t len)
{
	uint32_t leaves = mls_rtree_n_leaves(g->tree);

	for (uint32_t i = 0; i < leaves; i++) {
		const struct mls_leaf_node *ln = mls_rtree_leaf_get0(g->tree, i);

		if (ln != NULL && ln->credential.type == MLS_CREDENTIAL_BASIC &&
		    ln->credential.identity.len == len &&
		    (len == 0 || memcmp(ln->credential.identity.p, identity, len) == 0)) {
			return (int)i;
		}
	}
	return -ENOENT;
}

int mls_group_epoch_authenticator(const struct mls_group *g, uint8_t *out)
{
	if (g == NULL || out == NULL) {
		return -EINVAL;
	}
	memcpy(out, g->secrets.epoch_authenticator, g->suite->nh);
	return 0;
}

int mls_group_export_secret(const struct mls_group *g, const void *label, size_t label_len,
			    const uint8_t *context, size_t context_len, uint8_t *out,
			    size_t out_len)
{
	if (g == NULL || (label == NULL && label_len > 0) || out == NULL) {
		return -EINVAL;
	}
	return mls_keysched_export(g->suite, g->secrets.exporter, label, label_len, context,
				   context_len, out, out_len);
}

static int encode_tree(struct mls_writer *w, const void *arg)
{
	return mls_rtree_to_wire(arg, w);
}

int mls_group_ratchet_tree(const struct mls_group *g, uint8_t **out, size_t *len)
{
	struct grp_buf b = { 0 };
	int rc;

	if (g == NULL || out == NULL || len == NULL) {
		return -EINVAL;
	}
	rc = grp_encode(encode_tree, g->tree, &b);
	if (rc == 0) {
		*out = b.p;
		*len = b.len;
	}
	return rc;
}

const struct grp_buf *grp_find_psk(const struct mls_group *g, const uint8_t *id, size_t len)
{
	for (size_t i = 0; i < g->n_psks; i++) {
		if (g->psks[i].id.len == len && memcmp(g->psks[i].id.p, id, len) == 0) {
			return &g->psks[i].psk;
		}
	}
	return NULL;
}

int mls_group_psk_add(struct mls_group *g, const struct mls_group_psk *psk)
{
	struct grp_buf *have;
	int rc;

	if (g == NULL || psk == NULL || psk->id == NULL || psk->id_len == 0 ||
	    psk->psk == NULL || psk->psk_len == 0) {
		return -EINVAL;
	}
	have = (struct grp_buf *)grp_find_psk(g, psk->id, psk->id_len);
	if (have != NULL) {
		return grp_buf_set(have, psk->psk, psk->psk_len);
	}
	if (g->n_psks == MLS_GROUP_MAX_PSKS) {
		return -ENOSPC;
	}
	rc = grp_buf_set(&g->psks[g->n_psks].id, psk->id, psk->id_len);
	rc = rc < 0 ? rc : grp_buf_set(&g->psks[g->n_psks].psk, psk->psk, psk->psk_len);
	if (rc < 0) {
		grp_buf_free(&g->psks[g->n_psks].id);
		grp_buf_wipe(&g->psks[g->n_psks].psk);
		return rc;
	}
	g->n_psks++;
	return 0;
}

/* ---- framing ---------------------------------------------------------------- */

EVP_PKEY *grp_sender_key(void *arg, const struct mls_sender *sender)
{
	struct grp_keyctx *kc = arg;
	const struct mls_suite *s = kc->g->suite;
	struct mls_bytes pub = { 0 };

	EVP_PKEY_free(kc->key);
	kc->key = NULL;
	if (sender->type == MLS_SENDER_MEMBER) {
		const struct mls_leaf_node *ln = mls_rtree_leaf_get0(kc->g->tree, sender->index);

		if (ln == NULL) {
			return NULL;
		}
		pub = ln->signature_key;
	} else if (sender->type == MLS_SENDER_NEW_MEMBER_COMMIT) {
		pub = kc->commit_key;
	}
	if (pub.len == 0 || mls_sig_key_from_pub(s, pub.p, pub.len, &kc->key) < 0) {
		return NULL;
	}
	return kc->key;
}

void grp_framing_epoch(struct mls_group *g, const struct mls_group_context *gc,
		       struct grp_keyctx *kc, struct mls_framing_epoch *ep)
{
	kc->g = g;
	*ep = (struct mls_framing_epoch){
		.suite = g->suite,
		.context = gc,
		.membership_key = g->secrets.membership_key,
		.sender_data_secret = g->secrets.sender_data,
		.secret_tree = g->st,
		.sender_key = grp_sender_key,
		.sender_key_arg = kc,
	};
}

/* ---- the data plane's view ---------------------------------------------------- */

const uint8_t *mls_group_context_encoded(const struct mls_group *g, size_t *len)
{
	*len = g->context.len;
	return g->context.p;
}

const uint8_t *mls_group_sender_data_secret(const struct mls_group *g)
{
	return g->secrets.sender_data;
}

int mls_group_app_secret(const struct mls_group *g, uint32_t leaf, uint8_t *out)
{
	struct mls_secret_tree *st;
	int rc;

	if (g == NULL || out == NULL) {
		return -EINVAL;
	}
	if (mls_rtree_leaf_get0(g->tree, leaf) == NULL) {
		return -ENOENT;
	}
	/* a tree of its own: the group's tree keeps its handshake ratchets */
	st = mls_secret_tree_new(g->suite, g->secrets.encryption, mls_rtree_n_leaves(g->tree));
	if (st == NULL) {
		return -ENOMEM;
	}
	rc = mls_secret_tree_leaf_secrets(st, leaf, NULL, out);
	mls_secret_tree_free(st);
	return rc;
}

int mls_group_sig_priv(const struct mls_group *g, uint8_t *out, size_t cap, size_t *len)
{
	if (g == NULL || out == NULL || len == NULL) {
		return -EINVAL;
	}
	if (cap < g->signer->priv_len) {
		return -ENOSPC;
	}
	memcpy(out, g->signer->priv, g->signer->priv_len);
	*len = g->signer->priv_len;
	return 0;
}
