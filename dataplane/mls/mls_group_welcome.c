/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_group_welcome.c - the GroupInfo and the Welcome (RFC 9420 section
 * 12.4.3): a signed GroupInfo of an epoch, the Welcome a Commit makes for
 * the members it adds, the PSK secret of a list of PreSharedKeyIDs, joining
 * from a Welcome, and a GroupInfo verified for an external commit. The
 * contract is mls_group.h and mls_group_internal.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_group_internal.h"
#include "mls_tree.h"

/*
 * Arena limit for decoding a message of |len| bytes: the decoders use at
 * most about 48 arena bytes per input byte (mls_msg.h), so this never
 * refuses a well-formed message and bounds a hostile one.
 */
static size_t arena_limit(size_t len)
{
	return (1u << 20) + 64 * len;
}

/* ---- encoders for grp_encode ----------------------------------------------- */

static int enc_tree(struct mls_writer *w, const void *arg)
{
	return mls_rtree_to_wire(arg, w);
}

static int enc_gi_tbs(struct mls_writer *w, const void *arg)
{
	return mls_group_info_tbs_encode(w, arg);
}

static int enc_gi(struct mls_writer *w, const void *arg)
{
	return mls_group_info_encode(w, arg);
}

static int enc_gc(struct mls_writer *w, const void *arg)
{
	return mls_group_context_encode(w, arg);
}

static int enc_gs(struct mls_writer *w, const void *arg)
{
	return mls_group_secrets_encode(w, arg);
}

static int enc_message(struct mls_writer *w, const void *arg)
{
	return mls_message_encode(w, arg);
}

static int enc_psk_id(struct mls_writer *w, const void *arg)
{
	return mls_psk_id_encode(w, arg);
}

static int enc_ext_list(struct mls_writer *w, const void *arg)
{
	return mls_extension_list_encode(w, arg);
}

/* ---- GroupInfo ------------------------------------------------------------- */

int grp_group_info_make(const struct mls_group *g, bool with_tree, bool external_pub,
			struct grp_buf *out)
{
	uint8_t epriv[MLS_MAX_KEM_PRIV], pub[MLS_MAX_KEM_PUB];
	uint8_t epub[MLS_VARINT_MAX_LEN + MLS_MAX_KEM_PUB], sig[MLS_MAX_SIG];
	struct grp_buf tree = {NULL, 0}, tbs = {NULL, 0};
	const struct mls_suite *s;
	struct mls_extension ext[2];
	struct mls_group_info gi;
	struct mls_writer w;
	struct mls_arena a;
	size_t n_ext = 0, sig_len;
	int rc;

	if (g == NULL || out == NULL) {
		return -EINVAL;
	}
	s = g->suite;
	memset(&gi, 0, sizeof(gi));
	mls_arena_init(&a, 1u << 20);
	rc = grp_context_view(g, &a, &gi.group_context);
	if (rc < 0) {
		goto out;
	}
	if (with_tree) {
		rc = grp_encode(enc_tree, g->tree, &tree);
		if (rc < 0) {
			goto out;
		}
		ext[n_ext].type = MLS_EXT_RATCHET_TREE;
		ext[n_ext].data = (struct mls_bytes){tree.p, tree.len};
		n_ext++;
	}
	if (external_pub) {
		/* section 8.3: external_pub = KEM.DeriveKeyPair(external_secret).public */
		rc = mls_hpke_derive_keypair(s, g->secrets.external, s->nh, epriv, pub);
		OPENSSL_cleanse(epriv, sizeof(epriv));
		if (rc < 0) {
			goto out;
		}
		/* ExternalPub { HPKEPublicKey external_pub<V>; } */
		mls_writer_init(&w, epub, sizeof(epub));
		rc = mls_write_opaque(&w, pub, s->kem_npk);
		if (rc < 0) {
			goto out;
		}
		ext[n_ext].type = MLS_EXT_EXTERNAL_PUB;
		ext[n_ext].data = (struct mls_bytes){epub, mls_writer_len(&w)};
		n_ext++;
	}
	gi.extensions = (struct mls_extension_list){ext, n_ext};
	gi.confirmation_tag = (struct mls_bytes){g->confirmation_tag, s->nh};
	gi.signer = g->own_leaf;
	rc = grp_encode(enc_gi_tbs, &gi, &tbs);
	if (rc < 0) {
		goto out;
	}
	rc = mls_sign_with_label(s, g->signer->key, MLS_LABEL("GroupInfoTBS"), tbs.p, tbs.len, sig,
				 sizeof(sig), &sig_len);
	if (rc < 0) {
		goto out;
	}
	gi.signature = (struct mls_bytes){sig, sig_len};
	rc = grp_encode(enc_gi, &gi, out);
out:
	grp_buf_free(&tree);
	grp_buf_free(&tbs);
	mls_arena_cleanup(&a);
	return rc;
}

/* ---- PSKs ---------------------------------------------------------------------- */

static bool bytes_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* psk_value finds the value of PSK |id| (section 8.4); NULL when unknown. */
static const uint8_t *psk_value(const struct mls_group *g, const struct mls_group_psk *psks,
				size_t n_known, const struct mls_psk_id *id, size_t *len)
{
	if (id->type == MLS_PSK_EXTERNAL) {
		const struct grp_buf *b = grp_find_psk(g, id->psk_id.p, id->psk_id.len);

		if (b != NULL) {
			*len = b->len;
			return b->p;
		}
		for (size_t i = 0; i < n_known; i++) {
			if (bytes_eq(psks[i].id, psks[i].id_len, id->psk_id.p, id->psk_id.len)) {
				*len = psks[i].psk_len;
				return psks[i].psk;
			}
		}
		return NULL;
	}
	if (id->type != MLS_PSK_RESUMPTION) {
		return NULL;
	}
	if (id->usage == MLS_RESUMPTION_REINIT) {
		/* the group a ReInit closed (section 11.2): the one foreign PSK |g| holds */
		if (!g->foreign.set || id->psk_epoch != g->foreign.epoch ||
		    !bytes_eq(id->psk_group_id.p, id->psk_group_id.len, g->foreign.group_id.p,
			      g->foreign.group_id.len)) {
			return NULL;
		}
		*len = g->foreign.len;
		return g->foreign.psk;
	}
	if (!bytes_eq(id->psk_group_id.p, id->psk_group_id.len, g->group_id.p, g->group_id.len)) {
		return NULL;
	}
	for (size_t i = 0; i < MLS_GROUP_RESUMPTION_KEEP; i++) {
		if (g->resumption[i].used && g->resumption[i].epoch == id->psk_epoch) {
			*len = g->suite->nh;
			return g->resumption[i].psk;
		}
	}
	return NULL;
}

int grp_psk_secret(const struct mls_group *g, const struct mls_group_psk *psks, size_t n_known,
		   const struct mls_psk_id *ids, size_t n_ids, uint8_t *out)
{
	struct mls_psk_input *in = NULL;
	struct grp_buf *enc = NULL;
	int rc = 0;

	if (g == NULL || out == NULL || (ids == NULL && n_ids > 0) ||
	    (psks == NULL && n_known > 0)) {
		return -EINVAL;
	}
	if (n_ids > MLS_MSG_MAX_PSKS) {
		return -EBADMSG;
	}
	if (n_ids > 0) {
		in = calloc(n_ids, sizeof(*in));
		enc = calloc(n_ids, sizeof(*enc));
		if (in == NULL || enc == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n_ids; i++) {
		/* section 8.4: a psk_nonce is KDF.Nh bytes */
		if (ids[i].psk_nonce.len != g->suite->nh) {
			rc = -EBADMSG;
			goto out;
		}
		in[i].psk = psk_value(g, psks, n_known, &ids[i], &in[i].psk_len);
		if (in[i].psk == NULL) {
			rc = -ENOENT;
			goto out;
		}
		rc = grp_encode(enc_psk_id, &ids[i], &enc[i]);
		if (rc < 0) {
			goto out;
		}
		in[i].id = enc[i].p;
		in[i].id_len = enc[i].len;
	}
	rc = mls_keysched_psk_secret(g->suite, in, n_ids, out);
out:
	for (size_t i = 0; enc != NULL && i < n_ids; i++) {
		grp_buf_free(&enc[i]);
	}
	free(enc);
	free(in);
	return rc;
}

/* ---- Welcome, made ------------------------------------------------------------ */

/* One new member's share of a Welcome being made. */
struct wm_member {
	uint8_t ref[MLS_MAX_HASH];
	uint8_t kem_output[MLS_MAX_KEM_ENC];
	uint8_t *ct;			/* encrypted GroupSecrets, malloc'd */
	size_t ct_len;
};

/* decode_psk_ids decodes |n| concatenated PreSharedKeyIDs into an arena array. */
static int decode_psk_ids(const uint8_t *p, size_t len, size_t n, struct mls_arena *a,
			  struct mls_psk_id **out)
{
	struct mls_psk_id *ids = NULL;
	struct mls_reader r;
	int rc;

	if (n > MLS_MSG_MAX_PSKS || (p == NULL && len > 0)) {
		return -EINVAL;
	}
	if (n > 0) {
		ids = mls_arena_alloc(a, n * sizeof(*ids));
		if (ids == NULL) {
			return -ENOMEM;
		}
	}
	mls_reader_init(&r, p, len);
	for (size_t i = 0; i < n; i++) {
		rc = mls_psk_id_decode(&r, a, &ids[i]);
		if (rc < 0) {
			return -EINVAL;
		}
	}
	if (mls_read_end(&r) < 0) {
		return -EINVAL;
	}
	*out = ids;
	return 0;
}

/*
 * member_path_secret finds the path secret a new member at |leaf| gets
 * (section 12.4.3.1): that of the lowest common ancestor of the committer's
 * leaf and its own, a node of the committer's filtered direct path.
 */
static const uint8_t *member_path_secret(const struct mls_group *g,
					 const struct mls_treekem_path_secrets *ps, uint32_t leaf)
{
	uint32_t lca = mls_tree_common_ancestor(2 * g->own_leaf, 2 * leaf,
						mls_rtree_n_leaves(g->tree));

	for (int i = 0; i < ps->n; i++) {
		if (ps->node[i] == lca) {
			return ps->secret[i];
		}
	}
	return NULL;
}

/* seal_member encrypts |gs| (GroupSecrets) to the new member |nm| into |wm|. */
static int seal_member(const struct mls_suite *s, const struct grp_new_member *nm,
		       const struct mls_group_secrets *gs, struct mls_bytes egi,
		       struct mls_arena *a, struct wm_member *wm)
{
	struct grp_buf pt = {NULL, 0};
	struct mls_key_package kp;
	struct mls_reader r;
	int rc;

	mls_reader_init(&r, nm->kp, nm->kp_len);
	rc = mls_key_package_decode(&r, a, &kp);
	if (rc < 0 || mls_read_end(&r) < 0 || kp.cipher_suite != s->id ||
	    kp.init_key.len != s->kem_npk) {
		return -EINVAL;
	}
	rc = grp_kp_ref(s, nm->kp, nm->kp_len, wm->ref);
	if (rc < 0) {
		return rc;
	}
	rc = grp_encode(enc_gs, gs, &pt);
	if (rc < 0) {
		return rc;
	}
	wm->ct = malloc(pt.len + MLS_AEAD_TAG);
	if (wm->ct == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	wm->ct_len = pt.len + MLS_AEAD_TAG;
	rc = mls_encrypt_with_label(s, kp.init_key.p, kp.init_key.len, MLS_LABEL("Welcome"), egi.p,
				    egi.len, pt.p, pt.len, wm->kem_output, wm->ct);
out:
	grp_buf_wipe(&pt);
	return rc;
}

int grp_welcome_make(const struct mls_group *g, const uint8_t *joiner,
		     const uint8_t *psk_ids, size_t psk_ids_len, size_t n_psks,
		     const struct mls_treekem_path_secrets *ps,
		     const struct grp_new_member *members, size_t n_members, bool with_tree,
		     bool external_pub, struct grp_buf *out)
{
	uint8_t key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE];
	struct mls_encrypted_group_secrets *egs = NULL;
	struct grp_buf gi = {NULL, 0};
	struct wm_member *wm = NULL;
	struct mls_psk_id *ids = NULL;
	const struct mls_suite *s;
	struct mls_group_secrets gs;
	struct mls_bytes egi_b;
	uint8_t *egi = NULL;
	struct mls_message m;
	struct mls_arena a;
	int rc;

	if (g == NULL || joiner == NULL || out == NULL || members == NULL || n_members == 0 ||
	    n_members > MLS_MSG_MAX_LEAVES) {
		return -EINVAL;
	}
	s = g->suite;
	mls_arena_init(&a, arena_limit(psk_ids_len));
	rc = decode_psk_ids(psk_ids, psk_ids_len, n_psks, &a, &ids);
	if (rc < 0) {
		goto out;
	}
	/* section 12.4.3.1: the GroupInfo, sealed with the welcome key and nonce, aad "" */
	rc = grp_group_info_make(g, with_tree, external_pub, &gi);
	if (rc < 0) {
		goto out;
	}
	egi = malloc(gi.len + MLS_AEAD_TAG);
	wm = calloc(n_members, sizeof(*wm));
	egs = calloc(n_members, sizeof(*egs));
	if (egi == NULL || wm == NULL || egs == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = mls_keysched_welcome_key(s, g->secrets.welcome, key, nonce);
	if (rc == 0) {
		rc = mls_aead_seal(s, key, nonce, NULL, 0, gi.p, gi.len, egi);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(nonce, sizeof(nonce));
	if (rc < 0) {
		goto out;
	}
	egi_b = (struct mls_bytes){egi, gi.len + MLS_AEAD_TAG};
	memset(&gs, 0, sizeof(gs));
	gs.joiner_secret = (struct mls_bytes){joiner, s->nh};
	gs.psks = ids;
	gs.n_psks = n_psks;
	for (size_t i = 0; i < n_members; i++) {
		gs.has_path_secret = false;
		gs.path_secret = (struct mls_bytes){NULL, 0};
		if (ps != NULL) {
			const uint8_t *sec = member_path_secret(g, ps, members[i].leaf);

			if (sec == NULL) {
				rc = -EINVAL;
				goto out;
			}
			gs.has_path_secret = true;
			gs.path_secret = (struct mls_bytes){sec, s->nh};
		}
		rc = seal_member(s, &members[i], &gs, egi_b, &a, &wm[i]);
		if (rc < 0) {
			goto out;
		}
		egs[i].new_member = (struct mls_bytes){wm[i].ref, s->nh};
		egs[i].encrypted_group_secrets.kem_output =
			(struct mls_bytes){wm[i].kem_output, s->kem_nenc};
		egs[i].encrypted_group_secrets.ciphertext =
			(struct mls_bytes){wm[i].ct, wm[i].ct_len};
	}
	memset(&m, 0, sizeof(m));
	m.wire_format = MLS_WIRE_WELCOME;
	m.welcome.cipher_suite = s->id;
	m.welcome.secrets = egs;
	m.welcome.n_secrets = n_members;
	m.welcome.encrypted_group_info = egi_b;
	rc = grp_encode(enc_message, &m, out);
out:
	for (size_t i = 0; wm != NULL && i < n_members; i++) {
		free(wm[i].ct);
	}
	free(wm);
	free(egs);
	free(egi);
	grp_buf_free(&gi);
	mls_arena_cleanup(&a);
	return rc;
}

/* ---- GroupInfo, received ------------------------------------------------------- */

/* ext_unique checks that no extension type appears twice in |l| (section 13). */
static bool ext_unique(const struct mls_extension_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = i + 1; j < l->n; j++) {
			if (l->v[i].type == l->v[j].type) {
				return false;
			}
		}
	}
	return true;
}

/*
 * gi_check verifies a decoded GroupInfo of suite |s| as a joiner must
 * (section 12.4.3.1, all but the confirmation tag) and hands over its
 * verified tree in |*tree|: the field lengths, the tree (from the
 * GroupInfo or |o|) and its hash against the GroupContext, the signer's
 * signature, then the tree's full validation.
 */
static int gi_check(const struct mls_suite *s, const struct mls_group_info *gi,
		    const struct mls_join_opts *o, struct mls_rtree **tree)
{
	const struct mls_group_context *gc = &gi->group_context;
	const struct mls_leaf_node *signer;
	const struct mls_extension *ext;
	uint8_t hash[MLS_MAX_HASH];
	struct grp_buf tbs = {NULL, 0};
	struct mls_rtree *t = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	if (gc->cipher_suite != s->id) {
		return mls_suite_get(gc->cipher_suite) == NULL ? -EPROTONOSUPPORT : -EBADMSG;
	}
	if (gc->group_id.len == 0 || gc->group_id.len > MLS_GROUP_MAX_ID ||
	    gc->tree_hash.len != s->nh ||
	    (gc->confirmed_transcript_hash.len != s->nh &&
	     (gc->epoch != 0 || gc->confirmed_transcript_hash.len != 0)) ||
	    gi->confirmation_tag.len != s->nh || !ext_unique(&gi->extensions) ||
	    !ext_unique(&gc->extensions)) {
		return -EBADMSG;
	}
	ext = mls_extension_find(&gi->extensions, MLS_EXT_RATCHET_TREE);
	if (ext != NULL) {
		rc = mls_rtree_from_wire(s, ext->data.p, ext->data.len, &t);
	} else if (o != NULL && o->ratchet_tree != NULL) {
		rc = mls_rtree_from_wire(s, o->ratchet_tree, o->ratchet_tree_len, &t);
	} else {
		return -EINVAL;
	}
	if (rc < 0) {
		return rc == -ENOMEM ? rc : -EBADMSG;
	}
	rc = mls_rtree_tree_hash(t, mls_rtree_root(t), hash);
	if (rc < 0) {
		goto out;
	}
	if (memcmp(hash, gc->tree_hash.p, s->nh) != 0) {
		rc = -EBADMSG;
		goto out;
	}
	signer = mls_rtree_leaf_get0(t, gi->signer);
	if (signer == NULL || signer->signature_key.len != s->sig_npub ||
	    mls_sig_key_from_pub(s, signer->signature_key.p, signer->signature_key.len,
				 &key) < 0) {
		rc = -EBADMSG;
		goto out;
	}
	rc = grp_encode(enc_gi_tbs, gi, &tbs);
	if (rc < 0) {
		goto out;
	}
	rc = mls_verify_with_label(s, key, MLS_LABEL("GroupInfoTBS"), tbs.p, tbs.len,
				   gi->signature.p, gi->signature.len);
	if (rc < 0) {
		goto out;
	}
	rc = mls_rtree_verify(t, gc->group_id);
	if (rc < 0) {
		goto out;
	}
	*tree = t;
	t = NULL;
out:
	EVP_PKEY_free(key);
	grp_buf_free(&tbs);
	mls_rtree_free(t);
	return rc;
}

int grp_group_info_verify(const struct mls_suite *s, const uint8_t *msg, size_t len,
			  const struct mls_join_opts *o, struct grp_group_info *out)
{
	const struct mls_extension *ext;
	struct mls_message *m;
	struct mls_reader r;
	int rc;

	if (out == NULL) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	mls_arena_init(&out->arena, arena_limit(len));
	if (msg == NULL) {
		return -EINVAL;
	}
	m = malloc(sizeof(*m));
	if (m == NULL) {
		return -ENOMEM;
	}
	rc = grp_buf_set(&out->msg, msg, len);
	if (rc < 0) {
		goto out;
	}
	rc = grp_decode_message(out->msg.p, out->msg.len, MLS_WIRE_GROUP_INFO, &out->arena, m);
	if (rc < 0) {
		goto out;
	}
	out->gi = m->group_info;
	if (s == NULL) {
		s = mls_suite_get(out->gi.group_context.cipher_suite);
		if (s == NULL) {
			rc = -EPROTONOSUPPORT;
			goto out;
		}
	}
	out->suite = s;
	rc = gi_check(s, &out->gi, o, &out->tree);
	if (rc < 0) {
		goto out;
	}
	ext = mls_extension_find(&out->gi.extensions, MLS_EXT_EXTERNAL_PUB);
	if (ext != NULL) {
		/* ExternalPub { HPKEPublicKey external_pub<V>; } */
		mls_reader_init(&r, ext->data.p, ext->data.len);
		if (mls_opaque_decode(&r, &out->external_pub) < 0 || mls_read_end(&r) < 0 ||
		    out->external_pub.len != s->kem_npk) {
			rc = -EBADMSG;
			goto out;
		}
	}
out:
	free(m);
	return rc;
}

void grp_group_info_cleanup(struct grp_group_info *gi)
{
	if (gi == NULL) {
		return;
	}
	mls_rtree_free(gi->tree);
	grp_buf_free(&gi->msg);
	mls_arena_cleanup(&gi->arena);
	memset(gi, 0, sizeof(*gi));
}

int mls_group_info(const struct mls_group *g, bool with_tree, uint8_t **out, size_t *len)
{
	struct grp_buf gi = {NULL, 0};
	struct mls_writer w;
	uint8_t *buf;
	int rc;

	if (g == NULL || out == NULL || len == NULL) {
		return -EINVAL;
	}
	rc = grp_group_info_make(g, with_tree, true, &gi);
	if (rc < 0) {
		return rc;
	}
	/* MLSMessage { version mls10, wire_format mls_group_info, GroupInfo } */
	buf = malloc(gi.len + 4);
	if (buf == NULL) {
		grp_buf_free(&gi);
		return -ENOMEM;
	}
	mls_writer_init(&w, buf, gi.len + 4);
	rc = mls_write_u16(&w, MLS_VERSION_MLS10);
	rc = rc < 0 ? rc : mls_write_u16(&w, MLS_WIRE_GROUP_INFO);
	rc = rc < 0 ? rc : mls_write_bytes(&w, gi.p, gi.len);
	grp_buf_free(&gi);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = mls_writer_len(&w);
	return 0;
}

/* ---- joining ------------------------------------------------------------------- */

/* find_own_leaf finds the leaf of |t| whose encoding is |leaf| (the KeyPackage's). */
static int find_own_leaf(const struct mls_rtree *t, const struct grp_buf *leaf, uint32_t *out)
{
	uint32_t n = mls_rtree_n_leaves(t);
	struct mls_writer w;
	uint8_t *buf;
	int rc = -EBADMSG;

	buf = malloc(leaf->len);
	if (buf == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct mls_leaf_node *ln = mls_rtree_leaf_get0(t, i);

		if (ln == NULL) {
			continue;
		}
		mls_writer_init(&w, buf, leaf->len);
		if (mls_leaf_node_encode(&w, ln) == 0 && mls_writer_len(&w) == leaf->len &&
		    memcmp(buf, leaf->p, leaf->len) == 0) {
			*out = i;
			rc = 0;
			break;
		}
	}
	free(buf);
	return rc;
}

/*
 * join_path_secret installs the path secret of a Welcome (section
 * 12.4.3.1): it belongs to the lowest common ancestor of the new member's
 * leaf and the committer's, and each node above it on the committer's
 * filtered direct path gets DeriveSecret(previous, "path").
 */
static int join_path_secret(struct mls_group *g, uint32_t committer, struct mls_bytes secret)
{
	const struct mls_suite *s = g->suite;
	uint32_t n_leaves = mls_rtree_n_leaves(g->tree);
	uint32_t fdp[MLS_TREE_MAX_DEPTH], lca;
	uint8_t cur[MLS_MAX_HASH], next[MLS_MAX_HASH];
	int n, j, rc = 0;

	if (committer == g->own_leaf || secret.len != s->nh) {
		return -EBADMSG;
	}
	lca = mls_tree_common_ancestor(2 * g->own_leaf, 2 * committer, n_leaves);
	n = mls_rtree_filtered_direct_path(g->tree, committer, fdp, NULL, MLS_TREE_MAX_DEPTH);
	if (n < 0) {
		return -EBADMSG;
	}
	for (j = 0; j < n && fdp[j] != lca; j++) {
	}
	if (j == n) {
		return -EBADMSG;
	}
	memcpy(cur, secret.p, s->nh);
	for (; j < n; j++) {
		rc = mls_treekem_priv_set_path_secret(g->priv, n_leaves, fdp[j], cur, s->nh);
		if (rc == 0 && j + 1 < n) {
			rc = mls_derive_secret(s, cur, s->nh, MLS_LABEL("path"), next);
			memcpy(cur, next, s->nh);
		}
		if (rc < 0) {
			rc = rc == -EINVAL ? -EBADMSG : rc;
			break;
		}
	}
	OPENSSL_cleanse(cur, sizeof(cur));
	OPENSSL_cleanse(next, sizeof(next));
	return rc;
}

/*
 * open_group_secrets finds |kp|'s EncryptedGroupSecrets in |w| and
 * decrypts them into |*pt| (malloc'd, secret), decoding them into |gs|.
 */
static int open_group_secrets(const struct mls_kp *kp, const struct mls_welcome *w,
			      struct mls_arena *a, struct grp_buf *pt, struct mls_group_secrets *gs)
{
	const struct mls_suite *s = kp->suite;
	const struct mls_encrypted_group_secrets *e = NULL;
	struct mls_reader r;
	int rc;

	for (size_t i = 0; i < w->n_secrets; i++) {
		if (bytes_eq(w->secrets[i].new_member.p, w->secrets[i].new_member.len, kp->ref,
			     s->nh)) {
			e = &w->secrets[i];
			break;
		}
	}
	if (e == NULL) {
		return -ENOENT;
	}
	if (e->encrypted_group_secrets.ciphertext.len < MLS_AEAD_TAG) {
		return -EBADMSG;
	}
	pt->len = e->encrypted_group_secrets.ciphertext.len - MLS_AEAD_TAG;
	pt->p = malloc(pt->len > 0 ? pt->len : 1);
	if (pt->p == NULL) {
		return -ENOMEM;
	}
	rc = mls_decrypt_with_label(s, kp->init_priv, kp->init_priv_len, MLS_LABEL("Welcome"),
				    w->encrypted_group_info.p, w->encrypted_group_info.len,
				    e->encrypted_group_secrets.kem_output.p,
				    e->encrypted_group_secrets.kem_output.len,
				    e->encrypted_group_secrets.ciphertext.p,
				    e->encrypted_group_secrets.ciphertext.len, pt->p);
	if (rc < 0) {
		return rc == -ENOMEM ? rc : -EBADMSG;
	}
	mls_reader_init(&r, pt->p, pt->len);
	rc = mls_group_secrets_decode(&r, a, gs);
	if (rc < 0 || mls_read_end(&r) < 0) {
		return rc == -ENOMEM ? rc : -EBADMSG;
	}
	if (gs->joiner_secret.len != s->nh ||
	    (gs->has_path_secret && gs->path_secret.len != s->nh)) {
		return -EBADMSG;
	}
	return 0;
}

/* open_group_info decrypts a Welcome's GroupInfo with |welcome_secret| into |*pt| and |gi|. */
static int open_group_info(const struct mls_suite *s, const struct mls_welcome *w,
			   const uint8_t *welcome_secret, struct mls_arena *a, struct grp_buf *pt,
			   struct mls_group_info *gi)
{
	uint8_t key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE];
	struct mls_reader r;
	int rc;

	if (w->encrypted_group_info.len < MLS_AEAD_TAG) {
		return -EBADMSG;
	}
	pt->len = w->encrypted_group_info.len - MLS_AEAD_TAG;
	pt->p = malloc(pt->len > 0 ? pt->len : 1);
	if (pt->p == NULL) {
		return -ENOMEM;
	}
	rc = mls_keysched_welcome_key(s, welcome_secret, key, nonce);
	if (rc == 0) {
		rc = mls_aead_open(s, key, nonce, NULL, 0, w->encrypted_group_info.p,
				   w->encrypted_group_info.len, pt->p);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(nonce, sizeof(nonce));
	if (rc < 0) {
		return rc == -ENOMEM ? rc : -EBADMSG;
	}
	mls_reader_init(&r, pt->p, pt->len);
	rc = mls_group_info_decode(&r, a, gi);
	if (rc < 0 || mls_read_end(&r) < 0) {
		return rc == -ENOMEM || rc == -EPROTONOSUPPORT ? rc : -EBADMSG;
	}
	return 0;
}

/*
 * join_epoch runs the key schedule of the joined epoch from |joiner| and
 * |psk| over the GroupContext of |gi|, checks the confirmation tag
 * (section 12.4.3.1) and installs the epoch in |g|.
 */
static int join_epoch(struct mls_group *g, const struct mls_group_info *gi,
		      const uint8_t *joiner, const uint8_t *psk)
{
	const struct mls_suite *s = g->suite;
	const struct mls_group_context *gc = &gi->group_context;
	struct grp_buf enc = {NULL, 0};
	struct mls_epoch_secrets sec;
	uint8_t tag[MLS_MAX_HASH];
	int rc;

	rc = grp_encode(enc_gc, gc, &enc);
	if (rc < 0) {
		return rc;
	}
	rc = mls_keysched_from_joiner(s, joiner, psk, enc.p, enc.len, &sec);
	grp_buf_free(&enc);
	if (rc < 0) {
		goto out;
	}
	rc = mls_mac(s, sec.confirmation_key, s->nh, gc->confirmed_transcript_hash.p,
		     gc->confirmed_transcript_hash.len, tag);
	if (rc < 0) {
		goto out;
	}
	if (CRYPTO_memcmp(tag, gi->confirmation_tag.p, s->nh) != 0) {
		rc = -EBADMSG;
		goto out;
	}
	rc = grp_install(g, &sec, gi->confirmation_tag.p);
out:
	mls_epoch_secrets_wipe(&sec);
	OPENSSL_cleanse(tag, sizeof(tag));
	return rc;
}

/* join_state fills |g|'s membership, tree, private keys and GroupContext fields from |gi|. */
static int join_state(struct mls_group *g, const struct mls_kp *kp,
		      const struct mls_group_info *gi, const struct mls_group_secrets *gs,
		      struct mls_rtree *t)
{
	const struct mls_group_context *gc = &gi->group_context;
	const struct mls_suite *s = g->suite;
	int rc;

	g->tree = t;
	rc = find_own_leaf(t, &kp->leaf, &g->own_leaf);
	if (rc < 0) {
		return rc;
	}
	g->active = true;
	g->epoch = gc->epoch;
	rc = grp_buf_set(&g->group_id, gc->group_id.p, gc->group_id.len);
	if (rc == 0) {
		rc = grp_encode(enc_ext_list, &gc->extensions, &g->extensions);
	}
	if (rc < 0) {
		return rc;
	}
	memcpy(g->tree_hash, gc->tree_hash.p, s->nh);
	/* gi_check allows an empty confirmed transcript hash only at epoch 0 */
	g->confirmed_len = gc->confirmed_transcript_hash.len;
	if (g->confirmed_len > 0) {
		memcpy(g->confirmed, gc->confirmed_transcript_hash.p, g->confirmed_len);
	}
	rc = mls_treekem_priv_new(s, g->own_leaf, kp->enc_priv, kp->enc_priv_len, &g->priv);
	if (rc < 0) {
		return rc;
	}
	if (gs->has_path_secret) {
		rc = join_path_secret(g, gi->signer, gs->path_secret);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_treekem_priv_check(g->priv, t);
}

int mls_group_join(const struct mls_kp *kp, const uint8_t *welcome, size_t len,
		   const struct mls_join_opts *o, struct mls_group **out)
{
	struct grp_buf gs_pt = {NULL, 0}, gi_pt = {NULL, 0};
	uint8_t psk[MLS_MAX_HASH], welcome_secret[MLS_MAX_HASH];
	const struct mls_group_psk *psks = NULL;
	const struct mls_group *reinit_from = NULL;
	struct mls_group_secrets gs;
	struct mls_group_info gi;
	struct mls_group *g = NULL;
	struct mls_rtree *t = NULL;
	const struct mls_suite *s;
	struct mls_message *m;
	struct mls_arena a;
	size_t n_psks = 0;
	int rc;

	if (kp == NULL || out == NULL || (o != NULL && o->psks == NULL && o->n_psks > 0)) {
		return -EINVAL;
	}
	if (o != NULL) {
		psks = o->psks;
		n_psks = o->n_psks;
	}
	s = kp->suite;
	m = malloc(sizeof(*m));
	if (m == NULL) {
		return -ENOMEM;
	}
	mls_arena_init(&a, arena_limit(len));
	rc = grp_decode_message(welcome, len, MLS_WIRE_WELCOME, &a, m);
	if (rc < 0) {
		goto out;
	}
	if (m->welcome.cipher_suite != s->id) {
		rc = mls_suite_get(m->welcome.cipher_suite) == NULL ? -EPROTONOSUPPORT : -EBADMSG;
		goto out;
	}
	rc = open_group_secrets(kp, &m->welcome, &a, &gs_pt, &gs);
	if (rc < 0) {
		goto out;
	}
	rc = grp_new(kp->signer, &g);
	if (rc < 0) {
		goto out;
	}
	/* the successor of a group closed by a ReInit names its resumption PSK */
	rc = grp_reinit_join_psk(g, o, gs.psks, gs.n_psks, &reinit_from);
	if (rc == 0) {
		rc = grp_psk_secret(g, psks, n_psks, gs.psks, gs.n_psks, psk);
	}
	if (rc == 0) {
		rc = mls_keysched_welcome_secret(s, gs.joiner_secret.p, psk, welcome_secret);
	}
	if (rc == 0) {
		rc = open_group_info(s, &m->welcome, welcome_secret, &a, &gi_pt, &gi);
	}
	if (rc == 0 && reinit_from != NULL) {
		rc = grp_reinit_join_check(reinit_from, &gi.group_context);
	}
	if (rc < 0) {
		goto out;
	}
	rc = gi_check(s, &gi, o, &t);
	if (rc < 0) {
		goto out;
	}
	rc = join_state(g, kp, &gi, &gs, t);
	if (rc == 0) {
		rc = join_epoch(g, &gi, gs.joiner_secret.p, psk);
	}
	if (rc < 0) {
		goto out;
	}
	grp_foreign_clear(g);
	*out = g;
	g = NULL;
out:
	mls_group_free(g);
	OPENSSL_cleanse(psk, sizeof(psk));
	OPENSSL_cleanse(welcome_secret, sizeof(welcome_secret));
	grp_buf_wipe(&gs_pt);
	grp_buf_wipe(&gi_pt);
	mls_arena_cleanup(&a);
	free(m);
	return rc;
}
