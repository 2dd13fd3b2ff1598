/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_group_reinit.c - the proposals of mls_group.h (RFC 9420 section
 * 12.1) and re-initialisation (sections 11.2, 8.6, 12.4.3.1):
 *   - proposals this member queues for its own Commit (by value);
 *   - proposals it sends for others to commit: an Update of its own leaf,
 *     or one it had queued, framed as a signed PublicMessage or a
 *     PrivateMessage and kept by reference as if received (the proposer
 *     caches its own proposal, so that its Commit, or anyone's, can name
 *     it by ProposalRef);
 *   - the checks of a proposal received in a message;
 *   - ReInit: the closed group's parameters, the successor group with its
 *     first Commit (Adds and the resumption PSK of usage reinit), and a
 *     joiner's checks of the successor's Welcome.
 * The contract is mls_group.h and mls_group_internal.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_arena.h"
#include "mls_framing.h"
#include "mls_group_internal.h"
#include "mls_wire.h"

#define ARENA_LIMIT (64u << 20)

static bool bytes_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static int encode_ext_list(struct mls_writer *w, const void *arg)
{
	return mls_extension_list_encode(w, arg);
}

/* open_check: the state every proposal this member makes needs. */
static int open_check(const struct mls_group *g)
{
	if (g == NULL || !g->active) {
		return -EINVAL;
	}
	return g->reinit.pending ? -ESHUTDOWN : 0;
}

/* ---- extensions (sections 7.2, 11.1, 12.1.7, 13) ----------------------------- */

static bool u16_has(struct mls_u16_list l, uint16_t v)
{
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i] == v) {
			return true;
		}
	}
	return false;
}

bool grp_ext_unique(const struct mls_extension_list *l)
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

/* required_ok: |ln| supports what a required_capabilities body |data| lists (section 11.1). */
static bool required_ok(const struct mls_leaf_node *ln, struct mls_bytes data)
{
	struct mls_required_capabilities rq;
	struct mls_reader r;
	struct mls_arena a;
	bool ok;

	mls_arena_init(&a, 1u << 20);
	mls_reader_init(&r, data.p, data.len);
	ok = mls_required_capabilities_decode(&r, &a, &rq) == 0 && mls_read_end(&r) == 0;
	for (size_t i = 0; ok && i < rq.extension_types.n; i++) {
		uint16_t t = rq.extension_types.v[i];

		ok = (t >= MLS_EXT_APPLICATION_ID && t <= MLS_EXT_EXTERNAL_SENDERS) ||
		     mls_is_grease(t) || u16_has(ln->capabilities.extensions, t);
	}
	for (size_t i = 0; ok && i < rq.proposal_types.n; i++) {
		uint16_t t = rq.proposal_types.v[i];

		ok = (t >= MLS_PROPOSAL_ADD && t <= MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS) ||
		     mls_is_grease(t) || u16_has(ln->capabilities.proposals, t);
	}
	for (size_t i = 0; ok && i < rq.credential_types.n; i++) {
		ok = u16_has(ln->capabilities.credentials, rq.credential_types.v[i]);
	}
	mls_arena_cleanup(&a);
	return ok;
}

bool grp_ext_leaf_supported(const struct mls_leaf_node *ln, const struct mls_extension_list *ext)
{
	for (size_t i = 0; i < ext->n; i++) {
		uint16_t t = ext->v[i].type;

		/* the default types need not be listed (section 7.2) */
		if ((t < MLS_EXT_APPLICATION_ID || t > MLS_EXT_EXTERNAL_SENDERS) &&
		    !u16_has(ln->capabilities.extensions, t)) {
			return false;
		}
		if (t == MLS_EXT_REQUIRED_CAPABILITIES && !required_ok(ln, ext->v[i].data)) {
			return false;
		}
	}
	return true;
}

bool grp_ext_supported(const struct mls_rtree *t, const struct mls_extension_list *ext)
{
	uint32_t n = mls_rtree_n_leaves(t);

	for (uint32_t i = 0; i < n; i++) {
		const struct mls_leaf_node *ln = mls_rtree_leaf_get0(t, i);

		if (ln != NULL && !grp_ext_leaf_supported(ln, ext)) {
			return false;
		}
	}
	return true;
}

/* decode_ext decodes an encoded extension list (NULL and 0: empty) with unique types. */
static int decode_ext(const uint8_t *ext, size_t len, struct mls_arena *a,
		      struct mls_extension_list *out)
{
	struct mls_reader r;

	memset(out, 0, sizeof(*out));
	if (ext == NULL && len > 0) {
		return -EINVAL;
	}
	if (len == 0) {
		return 0;
	}
	mls_reader_init(&r, ext, len);
	if (mls_extension_list_decode(&r, a, out) < 0 || mls_read_end(&r) < 0 ||
	    !grp_ext_unique(out)) {
		return -EINVAL;
	}
	return 0;
}

/* ---- proposals queued by value ------------------------------------------------- */

int mls_group_propose_add(struct mls_group *g, const uint8_t *kp_msg, size_t len)
{
	struct mls_sender me = { .type = MLS_SENDER_MEMBER };
	struct mls_proposal p = { .type = MLS_PROPOSAL_ADD };
	struct mls_message m;
	struct mls_reader r;
	struct mls_arena a;
	int rc;

	rc = open_check(g);
	if (rc < 0 || kp_msg == NULL) {
		return rc < 0 ? rc : -EINVAL;
	}
	rc = mls_key_package_check(g->suite, kp_msg, len, 0);
	if (rc < 0) {
		return rc;
	}
	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, kp_msg, len);
	rc = mls_message_decode(&r, &a, &m);
	if (rc == 0 && m.wire_format != MLS_WIRE_KEY_PACKAGE) {
		rc = -EBADMSG;
	}
	if (rc == 0) {
		p.add = m.key_package;
		/* a client already in the group (section 12.2) */
		if (grp_sig_key_in_tree(g->tree, p.add.leaf_node.signature_key, UINT32_MAX)) {
			rc = -EEXIST;
		}
	}
	for (size_t i = 0; rc == 0 && i < g->n_pending; i++) {
		struct mls_proposal q;

		if (grp_pending_decode(&g->pending[i], &a, &q) == 0 && q.type == MLS_PROPOSAL_ADD &&
		    bytes_eq(q.add.leaf_node.signature_key.p, q.add.leaf_node.signature_key.len,
			     p.add.leaf_node.signature_key.p, p.add.leaf_node.signature_key.len)) {
			rc = -EEXIST;
		}
	}
	me.index = g->own_leaf;
	rc = rc < 0 ? rc : grp_pending_add(g, &p, &me, NULL, NULL);
	mls_arena_cleanup(&a);
	return rc;
}

int mls_group_propose_remove(struct mls_group *g, uint32_t leaf)
{
	struct mls_sender me = { .type = MLS_SENDER_MEMBER };
	struct mls_proposal p = { .type = MLS_PROPOSAL_REMOVE };
	int rc = open_check(g);

	if (rc < 0) {
		return rc;
	}
	if (leaf == g->own_leaf || mls_rtree_leaf_get0(g->tree, leaf) == NULL) {
		return -EINVAL;
	}
	me.index = g->own_leaf;
	p.remove = leaf;
	return grp_pending_add(g, &p, &me, NULL, NULL);
}

int mls_group_propose_psk(struct mls_group *g, const uint8_t *psk_id, size_t len)
{
	struct mls_sender me = { .type = MLS_SENDER_MEMBER };
	struct mls_proposal p = { .type = MLS_PROPOSAL_PSK };
	uint8_t nonce[MLS_MAX_HASH];
	int rc;

	rc = open_check(g);
	if (rc < 0 || psk_id == NULL || len == 0) {
		return rc < 0 ? rc : -EINVAL;
	}
	if (grp_find_psk(g, psk_id, len) == NULL) {
		return -ENOENT;
	}
	rc = mls_random(nonce, g->suite->nh);
	if (rc < 0) {
		return rc;
	}
	me.index = g->own_leaf;
	p.psk.type = MLS_PSK_EXTERNAL;
	p.psk.psk_id = (struct mls_bytes){ psk_id, len };
	p.psk.psk_nonce = (struct mls_bytes){ nonce, g->suite->nh };
	return grp_pending_add(g, &p, &me, NULL, NULL);
}

int mls_group_propose_gce(struct mls_group *g, const uint8_t *ext, size_t ext_len)
{
	struct mls_sender me = { .type = MLS_SENDER_MEMBER };
	struct mls_proposal p = { .type = MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS };
	struct mls_arena a;
	int rc;

	rc = open_check(g);
	if (rc < 0) {
		return rc;
	}
	mls_arena_init(&a, ARENA_LIMIT);
	rc = decode_ext(ext, ext_len, &a, &p.group_context_extensions);
	/* section 12.1.7: every member must support the new extensions */
	if (rc == 0 && !grp_ext_supported(g->tree, &p.group_context_extensions)) {
		rc = -EINVAL;
	}
	me.index = g->own_leaf;
	rc = rc < 0 ? rc : grp_pending_add(g, &p, &me, NULL, NULL);
	mls_arena_cleanup(&a);
	return rc;
}

int mls_group_propose_reinit(struct mls_group *g, const uint8_t *group_id, size_t gid_len,
			     uint16_t suite, const uint8_t *ext, size_t ext_len)
{
	struct mls_sender me = { .type = MLS_SENDER_MEMBER };
	struct mls_proposal p = { .type = MLS_PROPOSAL_REINIT };
	struct mls_arena a;
	int rc;

	rc = open_check(g);
	if (rc < 0 || group_id == NULL || gid_len == 0 || gid_len > MLS_GROUP_MAX_ID) {
		return rc < 0 ? rc : -EINVAL;
	}
	if (mls_suite_get(suite) == NULL) {
		return -EPROTONOSUPPORT;
	}
	mls_arena_init(&a, ARENA_LIMIT);
	p.reinit.group_id = (struct mls_bytes){ group_id, gid_len };
	p.reinit.version = MLS_VERSION_MLS10;
	p.reinit.cipher_suite = suite;
	rc = decode_ext(ext, ext_len, &a, &p.reinit.extensions);
	me.index = g->own_leaf;
	rc = rc < 0 ? rc : grp_pending_add(g, &p, &me, NULL, NULL);
	mls_arena_cleanup(&a);
	return rc;
}

/* ---- proposals as messages (section 12.1) --------------------------------------- */

struct frame_arg {
	const struct mls_framing_epoch *ep;
	const struct mls_authenticated_content *ac;
};

static int encode_frame(struct mls_writer *w, const void *arg)
{
	const struct frame_arg *fa = arg;

	return mls_framing_protect_signed(fa->ep, fa->ac, 0, w);
}

/*
 * frame_proposal frames |p| as a proposal from this member into |out| (an
 * MLSMessage) and writes its ProposalRef (Nh bytes) to |ref|: computed
 * over the AuthenticatedContent, as the receivers compute it.
 */
static int frame_proposal(struct mls_group *g, const struct mls_proposal *p, bool private_message,
			  uint8_t *ref, struct grp_buf *out)
{
	struct mls_authenticated_content ac;
	struct mls_group_context gc;
	struct mls_framing_epoch ep;
	struct grp_keyctx kc = { 0 };
	struct frame_arg fa = { &ep, &ac };
	uint8_t sig[MLS_MAX_SIG];
	size_t sig_len = 0;
	struct mls_arena a;
	int rc;

	memset(&ac, 0, sizeof(ac));
	ac.wire_format = private_message ? MLS_WIRE_PRIVATE_MESSAGE : MLS_WIRE_PUBLIC_MESSAGE;
	ac.content.group_id = (struct mls_bytes){ g->group_id.p, g->group_id.len };
	ac.content.epoch = g->epoch;
	ac.content.sender = (struct mls_sender){ .type = MLS_SENDER_MEMBER, .index = g->own_leaf };
	ac.content.content_type = MLS_CONTENT_PROPOSAL;
	ac.content.proposal = *p;
	mls_arena_init(&a, ARENA_LIMIT);
	rc = grp_context_view(g, &a, &gc);
	if (rc == 0) {
		grp_framing_epoch(g, &gc, &kc, &ep);
		rc = mls_framing_sign(&ep, ac.wire_format, &ac.content, g->signer->key, sig,
				      sizeof(sig), &sig_len);
	}
	ac.auth.signature = (struct mls_bytes){ sig, sig_len };
	rc = rc < 0 ? rc : grp_proposal_ref(g->suite, &ac, ref);
	rc = rc < 0 ? rc : grp_encode(encode_frame, &fa, out);
	EVP_PKEY_free(kc.key);
	mls_arena_cleanup(&a);
	return rc;
}

struct leaf_tbs {
	const struct mls_leaf_node *ln;
	struct mls_bytes group_id;
	uint32_t leaf;
};

static int encode_leaf_tbs(struct mls_writer *w, const void *arg)
{
	const struct leaf_tbs *t = arg;

	return mls_leaf_node_tbs_encode(w, t->ln, t->group_id, t->leaf);
}

/* own_update_pending tells whether this member has sent an Update in the epoch. */
static bool own_update_pending(const struct mls_group *g)
{
	for (size_t i = 0; i < g->n_pending; i++) {
		if (g->pending[i].leaf_priv_len > 0) {
			return true;
		}
	}
	return false;
}

int mls_group_propose_update_msg(struct mls_group *g, bool private_message, uint8_t **msg,
				 size_t *len)
{
	struct mls_sender me = { .type = MLS_SENDER_MEMBER };
	struct mls_proposal p = { .type = MLS_PROPOSAL_UPDATE };
	uint8_t priv[MLS_MAX_KEM_PRIV], pub[MLS_MAX_KEM_PUB], sig[MLS_MAX_SIG], ref[MLS_MAX_HASH];
	struct grp_buf tbs = { 0 }, out = { 0 };
	const struct mls_leaf_node *cur;
	const struct mls_suite *s;
	struct grp_proposal *gp;
	struct leaf_tbs lt;
	size_t sig_len = 0;
	int rc;

	rc = open_check(g);
	if (rc < 0 || msg == NULL || len == NULL) {
		return rc < 0 ? rc : -EINVAL;
	}
	s = g->suite;
	cur = mls_rtree_leaf_get0(g->tree, g->own_leaf);
	/* one Update per member and Commit (section 12.2) */
	if (cur == NULL || own_update_pending(g)) {
		return -EINVAL;
	}
	if (g->n_pending == MLS_GROUP_MAX_PENDING) {
		return -ENOSPC;
	}
	rc = mls_hpke_keygen(s, priv, pub);
	if (rc < 0) {
		return rc;
	}
	/* section 12.1.2: the same leaf, source update, a new encryption key */
	p.update = *cur;
	p.update.source = MLS_LEAF_SOURCE_UPDATE;
	p.update.encryption_key = (struct mls_bytes){ pub, s->kem_npk };
	p.update.lifetime = (struct mls_lifetime){ 0, 0 };
	p.update.parent_hash = (struct mls_bytes){ NULL, 0 };
	p.update.signature = (struct mls_bytes){ NULL, 0 };
	lt = (struct leaf_tbs){ &p.update, { g->group_id.p, g->group_id.len }, g->own_leaf };
	rc = grp_encode(encode_leaf_tbs, &lt, &tbs);
	rc = rc < 0 ? rc : mls_sign_with_label(s, g->signer->key, MLS_LABEL("LeafNodeTBS"), tbs.p,
					       tbs.len, sig, sizeof(sig), &sig_len);
	grp_buf_free(&tbs);
	p.update.signature = (struct mls_bytes){ sig, sig_len };
	me.index = g->own_leaf;
	rc = rc < 0 ? rc : frame_proposal(g, &p, private_message, ref, &out);
	rc = rc < 0 ? rc : grp_pending_add(g, &p, &me, ref, &gp);
	if (rc == 0) {
		memcpy(gp->leaf_priv, priv, s->kem_nsk);
		gp->leaf_priv_len = s->kem_nsk;
		*msg = out.p;
		*len = out.len;
	} else {
		grp_buf_free(&out);
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

int mls_group_proposal_message(struct mls_group *g, bool private_message, uint8_t **msg,
			       size_t *len)
{
	struct grp_buf out = { 0 };
	struct grp_proposal moved;
	struct mls_proposal p;
	uint8_t ref[MLS_MAX_HASH];
	struct mls_arena a;
	size_t k;
	int rc;

	rc = open_check(g);
	if (rc < 0 || msg == NULL || len == NULL) {
		return rc < 0 ? rc : -EINVAL;
	}
	for (k = g->n_pending; k > 0 && g->pending[k - 1].by_ref; k--) {
	}
	if (k == 0) {
		return -ENOENT;
	}
	k--;
	mls_arena_init(&a, ARENA_LIMIT);
	rc = grp_pending_decode(&g->pending[k], &a, &p);
	rc = rc < 0 ? rc : frame_proposal(g, &p, private_message, ref, &out);
	mls_arena_cleanup(&a);
	if (rc < 0) {
		return rc;
	}
	/* the same encoded proposal, now by reference and last in the store */
	moved = g->pending[k];
	memmove(&g->pending[k], &g->pending[k + 1], (g->n_pending - k - 1) * sizeof(moved));
	moved.by_ref = true;
	memcpy(moved.ref, ref, g->suite->nh);
	g->pending[g->n_pending - 1] = moved;
	*msg = out.p;
	*len = out.len;
	return 0;
}

/* ---- proposals received --------------------------------------------------------- */

int grp_proposal_received(struct mls_group *g, const struct mls_authenticated_content *ac,
			  struct mls_group_event *ev)
{
	const struct mls_suite *s = g->suite;
	const struct mls_proposal *p = &ac->content.proposal;
	uint8_t ref[MLS_MAX_HASH];
	int rc;

	if (ac->content.sender.type != MLS_SENDER_MEMBER) {
		return -EPROTONOSUPPORT;	/* external proposals are not accepted */
	}
	if (ac->content.sender.index == g->own_leaf) {
		return -EINVAL;	/* our own: kept when it was made */
	}
	switch (p->type) {
	case MLS_PROPOSAL_ADD:
		rc = grp_kp_check(s, &p->add, 0);
		break;
	case MLS_PROPOSAL_UPDATE:
		rc = p->update.source == MLS_LEAF_SOURCE_UPDATE ? 0 : -EBADMSG;
		break;
	case MLS_PROPOSAL_REMOVE:
		rc = mls_rtree_leaf_get0(g->tree, p->remove) != NULL ? 0 : -EBADMSG;
		break;
	case MLS_PROPOSAL_PSK:
		/* section 8.6: reinit only in the first Commit of a new group */
		rc = p->psk.type == MLS_PSK_RESUMPTION &&
		     p->psk.usage != MLS_RESUMPTION_APPLICATION &&
		     (p->psk.usage != MLS_RESUMPTION_REINIT || g->epoch != 0) ? -EBADMSG : 0;
		break;
	case MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS:
		rc = grp_ext_unique(&p->group_context_extensions) &&
		     grp_ext_supported(g->tree, &p->group_context_extensions) ? 0 : -EBADMSG;
		break;
	case MLS_PROPOSAL_REINIT:
		rc = grp_reinit_check(&p->reinit);
		break;
	default:
		rc = -EPROTONOSUPPORT;
		break;
	}
	rc = rc < 0 ? rc : grp_proposal_ref(s, ac, ref);
	rc = rc < 0 ? rc : grp_pending_add(g, p, &ac->content.sender, ref, NULL);
	if (rc == 0 && ev != NULL) {
		ev->type = MLS_GROUP_EV_PROPOSAL;
		ev->epoch = g->epoch;
	}
	return rc;
}

/* ---- ReInit (section 11.2) -------------------------------------------------------- */

int grp_reinit_check(const struct mls_reinit *ri)
{
	/* section 12.2: the version must not be lower than the group's (mls10) */
	if (ri->version < MLS_VERSION_MLS10 || ri->group_id.len == 0 ||
	    ri->group_id.len > MLS_GROUP_MAX_ID || !grp_ext_unique(&ri->extensions)) {
		return -EBADMSG;
	}
	return 0;
}

int grp_reinit_set(struct mls_group *n, const struct mls_reinit *ri)
{
	struct grp_buf ext = { 0 };
	int rc;

	rc = grp_encode(encode_ext_list, &ri->extensions, &ext);
	rc = rc < 0 ? rc : grp_buf_set(&n->reinit.group_id, ri->group_id.p, ri->group_id.len);
	if (rc < 0) {
		grp_buf_free(&ext);
		return rc;
	}
	grp_buf_free(&n->reinit.extensions);
	n->reinit.extensions = ext;
	n->reinit.version = ri->version;
	n->reinit.suite = ri->cipher_suite;
	n->reinit.pending = true;
	return 0;
}

bool mls_group_reinit_pending(const struct mls_group *g, struct mls_reinit_params *out)
{
	if (g == NULL || !g->reinit.pending) {
		return false;
	}
	if (out != NULL) {
		*out = (struct mls_reinit_params){
			.group_id = g->reinit.group_id.p,
			.group_id_len = g->reinit.group_id.len,
			.version = g->reinit.version,
			.suite = g->reinit.suite,
			.extensions = g->reinit.extensions.p,
			.extensions_len = g->reinit.extensions.len,
		};
	}
	return true;
}

/* resumption_psk finds |g|'s resumption PSK of its current epoch; NULL when gone. */
static const uint8_t *resumption_psk(const struct mls_group *g)
{
	const struct grp_resumption *r = &g->resumption[g->epoch % MLS_GROUP_RESUMPTION_KEEP];

	return r->used && r->epoch == g->epoch ? r->psk : NULL;
}

/* reinit_fits checks the successor's members (its creator and the Adds) support its extensions. */
static int reinit_fits(struct mls_group *g)
{
	struct mls_group_context gc;
	struct mls_arena a;
	int rc;

	mls_arena_init(&a, ARENA_LIMIT);
	rc = grp_context_view(g, &a, &gc);
	if (rc == 0 && !grp_ext_supported(g->tree, &gc.extensions)) {
		rc = -EINVAL;
	}
	for (size_t i = 0; rc == 0 && i < g->n_pending; i++) {
		struct mls_proposal p;

		rc = grp_pending_decode(&g->pending[i], &a, &p);
		if (rc == 0 && p.type == MLS_PROPOSAL_ADD &&
		    !grp_ext_leaf_supported(&p.add.leaf_node, &gc.extensions)) {
			rc = -EINVAL;
		}
	}
	mls_arena_cleanup(&a);
	return rc;
}

int mls_group_reinit_create(const struct mls_group *old, const struct mls_signer *sg,
			    const uint8_t *const *kps, const size_t *kp_lens, size_t n_kps,
			    const struct mls_commit_opts *o, struct mls_group **out,
			    struct mls_commit_result *res)
{
	struct mls_sender me = { .type = MLS_SENDER_MEMBER, .index = 0 };
	struct mls_proposal p = { .type = MLS_PROPOSAL_PSK };
	uint8_t nonce[MLS_MAX_HASH];
	struct mls_group *g = NULL;
	const uint8_t *psk;
	int rc;

	if (old == NULL || sg == NULL || out == NULL || res == NULL ||
	    (n_kps > 0 && (kps == NULL || kp_lens == NULL))) {
		return -EINVAL;
	}
	if (!old->reinit.pending || sg->suite->id != old->reinit.suite) {
		return -EINVAL;
	}
	if (old->reinit.version != MLS_VERSION_MLS10) {
		return -EPROTONOSUPPORT;
	}
	psk = resumption_psk(old);
	if (psk == NULL) {
		return -ENOENT;
	}
	rc = grp_create(sg, old->reinit.group_id.p, old->reinit.group_id.len,
			old->reinit.extensions.p, old->reinit.extensions.len, &g);
	for (size_t i = 0; rc == 0 && i < n_kps; i++) {
		rc = kps[i] == NULL ? -EINVAL : mls_group_propose_add(g, kps[i], kp_lens[i]);
		if (rc == -EBADMSG || rc == -EPROTONOSUPPORT || rc == -EEXIST) {
			rc = -EINVAL;	/* a KeyPackage that does not fit */
		}
	}
	rc = rc < 0 ? rc : reinit_fits(g);
	rc = rc < 0 ? rc : mls_random(nonce, sg->suite->nh);
	if (rc == 0) {
		/* section 11.2: the resumption PSK of the epoch the ReInit made, usage reinit */
		p.psk.type = MLS_PSK_RESUMPTION;
		p.psk.usage = MLS_RESUMPTION_REINIT;
		p.psk.psk_group_id = (struct mls_bytes){ old->group_id.p, old->group_id.len };
		p.psk.psk_epoch = old->epoch;
		p.psk.psk_nonce = (struct mls_bytes){ nonce, sg->suite->nh };
		rc = grp_pending_add(g, &p, &me, NULL, NULL);
	}
	rc = rc < 0 ? rc : grp_foreign_set(g, &old->group_id, old->epoch, psk, old->suite->nh);
	rc = rc < 0 ? rc : mls_group_commit(g, o, res);
	if (rc < 0) {
		mls_group_free(g);
		return rc;
	}
	grp_foreign_clear(g);
	*out = g;
	return 0;
}

int grp_reinit_join_psk(struct mls_group *g, const struct mls_join_opts *o,
			const struct mls_psk_id *ids, size_t n_ids,
			const struct mls_group **from)
{
	const struct mls_psk_id *id = NULL;
	const struct mls_group *f;
	const uint8_t *psk;

	*from = NULL;
	for (size_t i = 0; i < n_ids; i++) {
		if (ids[i].type == MLS_PSK_RESUMPTION && ids[i].usage == MLS_RESUMPTION_REINIT) {
			if (id != NULL) {
				return -EBADMSG;
			}
			id = &ids[i];
		}
	}
	if (id == NULL) {
		return 0;
	}
	f = o != NULL ? o->reinit_from : NULL;
	if (f == NULL) {
		return -ENOENT;	/* a PSK this member does not know */
	}
	if (!f->reinit.pending || id->psk_epoch != f->epoch ||
	    !bytes_eq(id->psk_group_id.p, id->psk_group_id.len, f->group_id.p, f->group_id.len)) {
		return -EBADMSG;
	}
	psk = resumption_psk(f);
	if (psk == NULL) {
		return -ENOENT;
	}
	*from = f;
	return grp_foreign_set(g, &f->group_id, f->epoch, psk, f->suite->nh);
}

int grp_reinit_join_check(const struct mls_group *from, const struct mls_group_context *gc)
{
	struct grp_buf ext = { 0 };
	bool ok;
	int rc;

	rc = grp_encode(encode_ext_list, &gc->extensions, &ext);
	if (rc < 0) {
		return rc == -ENOMEM ? rc : -EBADMSG;
	}
	/* section 12.4.3.1: the successor is what the ReInit asked for, at epoch 1 */
	ok = gc->epoch == 1 && from->reinit.version == MLS_VERSION_MLS10 &&
	     gc->cipher_suite == from->reinit.suite &&
	     bytes_eq(gc->group_id.p, gc->group_id.len, from->reinit.group_id.p,
		      from->reinit.group_id.len) &&
	     bytes_eq(ext.p, ext.len, from->reinit.extensions.p, from->reinit.extensions.len);
	grp_buf_free(&ext);
	return ok ? 0 : -EBADMSG;
}
