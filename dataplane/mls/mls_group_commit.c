/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_group_commit.c - the proposal store, Commit create and process, and
 * handling handshake messages (RFC 9420 sections 12.2-12.4.2), for
 * mls_group.h. Proposals this member makes, and the checks of received
 * ones, are in mls_group_reinit.c.
 *
 * Both directions run on a copy of the group (mls_group_copy) and swap it
 * in only once everything has verified, so a failure leaves the group as
 * it was. A handshake PrivateMessage's ratchet step is staged by the
 * framing and stored only when the message is accepted (a proposal kept;
 * a Commit accepted replaces the whole epoch), so a damaged or not yet
 * processable copy does not use up the generation the genuine one needs.
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
#define LABEL_PROPOSAL_REF "MLS 1.0 Proposal Reference"
#define EXTERNAL_INIT_LABEL "MLS 1.0 external init secret"

/* One proposal of a Commit, resolved. */
struct cm_prop {
	struct mls_proposal p;
	struct mls_sender sender;
	const uint8_t *ref;		/* by reference: the ProposalRef (Nh bytes) */
	const struct grp_proposal *gp;	/* by reference: the stored proposal */
};

/* What a proposal list does to a provisional group (section 12.3). */
struct cm_apply {
	uint32_t *new_leaves;		/* leaves the Adds went to */
	struct grp_new_member *members;	/* the same, with their KeyPackages */
	size_t n_new;
	struct mls_psk_id *psks;	/* PreSharedKey proposals, in order */
	size_t n_psks;
	struct mls_bytes kem_output;	/* ExternalInit */
	bool external_init;
	bool path_required;
	bool self_removed;
};

/* ---- helpers ---------------------------------------------------------------- */

static bool bytes_eq(struct mls_bytes a, struct mls_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* swap_in makes |n| the group's state and frees what |g| held. */
static void swap_in(struct mls_group *g, struct mls_group *n)
{
	struct mls_group *tmp = malloc(sizeof(*tmp));

	if (tmp != NULL) {
		*tmp = *g;
		*g = *n;
		*n = *tmp;
		OPENSSL_cleanse(tmp, sizeof(*tmp));
		free(tmp);
	} else {
		/* no memory for a temporary: swap field by field through the stack */
		for (size_t i = 0; i < sizeof(*g); i++) {
			uint8_t b = ((uint8_t *)g)[i];

			((uint8_t *)g)[i] = ((uint8_t *)n)[i];
			((uint8_t *)n)[i] = b;
		}
	}
	mls_group_free(n);
}

static int encode_proposal(struct mls_writer *w, const void *arg)
{
	return mls_proposal_encode(w, arg);
}

static int encode_psk_id(struct mls_writer *w, const void *arg)
{
	return mls_psk_id_encode(w, arg);
}

static int encode_ac(struct mls_writer *w, const void *arg)
{
	return mls_authenticated_content_encode(w, arg);
}

static int encode_cthi(struct mls_writer *w, const void *arg)
{
	return mls_confirmed_transcript_hash_input_encode(w, arg);
}

static int encode_context(struct mls_writer *w, const void *arg)
{
	return mls_group_context_encode(w, arg);
}

static int encode_ext_list(struct mls_writer *w, const void *arg)
{
	return mls_extension_list_encode(w, arg);
}

int grp_pending_add(struct mls_group *g, const struct mls_proposal *p,
		    const struct mls_sender *sender, const uint8_t *ref,
		    struct grp_proposal **out)
{
	struct grp_proposal *gp;
	int rc;

	if (g->n_pending == MLS_GROUP_MAX_PENDING) {
		return -ENOSPC;
	}
	gp = &g->pending[g->n_pending];
	memset(gp, 0, sizeof(*gp));
	rc = grp_encode(encode_proposal, p, &gp->enc);
	if (rc < 0) {
		return rc;
	}
	gp->sender = *sender;
	gp->by_ref = ref != NULL;
	if (ref != NULL) {
		memcpy(gp->ref, ref, g->suite->nh);
	}
	g->n_pending++;
	if (out != NULL) {
		*out = gp;
	}
	return 0;
}

int grp_pending_decode(const struct grp_proposal *gp, struct mls_arena *a,
		       struct mls_proposal *out)
{
	struct mls_reader r;
	int rc;

	mls_reader_init(&r, gp->enc.p, gp->enc.len);
	rc = mls_proposal_decode(&r, a, out);
	return rc < 0 ? rc : mls_read_end(&r);
}

/* ---- proposals ------------------------------------------------------------- */

bool grp_sig_key_in_tree(const struct mls_rtree *t, struct mls_bytes key, uint32_t skip)
{
	uint32_t n = mls_rtree_n_leaves(t);

	for (uint32_t i = 0; i < n; i++) {
		const struct mls_leaf_node *ln = mls_rtree_leaf_get0(t, i);

		if (i != skip && ln != NULL && bytes_eq(ln->signature_key, key)) {
			return true;
		}
	}
	return false;
}

int grp_proposal_ref(const struct mls_suite *s, const struct mls_authenticated_content *ac,
		     uint8_t *ref)
{
	struct grp_buf enc = { 0 };
	int rc;

	/* ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent) */
	rc = grp_encode(encode_ac, ac, &enc);
	rc = rc < 0 ? rc : mls_ref_hash(s, LABEL_PROPOSAL_REF, sizeof(LABEL_PROPOSAL_REF) - 1,
					enc.p, enc.len, ref);
	grp_buf_free(&enc);
	return rc;
}

/* ---- applying a proposal list (sections 12.2, 12.3) ------------------------- */

static bool psk_id_eq(const struct mls_psk_id *a, const struct mls_psk_id *b)
{
	return a->type == b->type && bytes_eq(a->psk_id, b->psk_id) &&
	       bytes_eq(a->psk_group_id, b->psk_group_id) && a->psk_epoch == b->psk_epoch &&
	       a->usage == b->usage;
}

/*
 * validate checks the list rules of section 12.2 for a Commit from
 * |committer| (a member, or a new member's external commit).
 */
static int validate(const struct mls_group *g, const struct cm_prop *pr, size_t n,
		    const struct mls_sender *committer)
{
	const struct mls_rtree *t = g->tree;
	bool external = committer->type == MLS_SENDER_NEW_MEMBER_COMMIT;
	size_t n_gce = 0, n_ext_init = 0;
	uint32_t leaves = mls_rtree_n_leaves(t);
	uint8_t *touched = calloc(leaves > 0 ? leaves : 1, 1);
	int rc = 0;

	if (touched == NULL) {
		return -ENOMEM;
	}
	if (committer->type != MLS_SENDER_MEMBER && !external) {
		rc = -EBADMSG;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct mls_proposal *p = &pr[i].p;

		if (external && pr[i].ref != NULL && p->type != MLS_PROPOSAL_PSK &&
		    p->type != MLS_PROPOSAL_REMOVE) {
			/* an external commit carries its own proposals by value */
			rc = -EBADMSG;
			break;
		}
		switch (p->type) {
		case MLS_PROPOSAL_ADD:
			if (external) {
				rc = -EBADMSG;
			}
			for (size_t j = 0; rc == 0 && j < i; j++) {
				if (pr[j].p.type == MLS_PROPOSAL_ADD &&
				    bytes_eq(pr[j].p.add.leaf_node.signature_key,
					     p->add.leaf_node.signature_key)) {
					rc = -EBADMSG;	/* the same client twice */
				}
			}
			break;
		case MLS_PROPOSAL_UPDATE:
			/* only by reference, from a member other than the committer */
			if (external || pr[i].ref == NULL ||
			    pr[i].sender.type != MLS_SENDER_MEMBER ||
			    pr[i].sender.index >= leaves || pr[i].sender.index == committer->index ||
			    mls_rtree_leaf_get0(t, pr[i].sender.index) == NULL ||
			    touched[pr[i].sender.index]++ != 0 ||
			    p->update.source != MLS_LEAF_SOURCE_UPDATE) {
				rc = -EBADMSG;
			}
			break;
		case MLS_PROPOSAL_REMOVE:
			if (p->remove >= leaves || mls_rtree_leaf_get0(t, p->remove) == NULL ||
			    (!external && p->remove == committer->index) ||
			    touched[p->remove]++ != 0) {
				rc = -EBADMSG;
			}
			break;
		case MLS_PROPOSAL_PSK:
			if (p->psk.type != MLS_PSK_EXTERNAL && p->psk.type != MLS_PSK_RESUMPTION) {
				rc = -EBADMSG;
			}
			/*
			 * section 8.6: application, or reinit in the first Commit of
			 * a new group (the successor of a ReInit, section 11.2)
			 */
			if (p->psk.type == MLS_PSK_RESUMPTION &&
			    p->psk.usage != MLS_RESUMPTION_APPLICATION &&
			    (p->psk.usage != MLS_RESUMPTION_REINIT || g->epoch != 0)) {
				rc = -EBADMSG;
			}
			if (p->psk.psk_nonce.len != g->suite->nh) {
				rc = -EBADMSG;
			}
			for (size_t j = 0; rc == 0 && j < i; j++) {
				if (pr[j].p.type == MLS_PROPOSAL_PSK && psk_id_eq(&pr[j].p.psk, &p->psk)) {
					rc = -EBADMSG;
				}
			}
			break;
		case MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS:
			if (external || ++n_gce > 1) {
				rc = -EBADMSG;
			}
			break;
		case MLS_PROPOSAL_EXTERNAL_INIT:
			if (!external || ++n_ext_init > 1 || pr[i].ref != NULL) {
				rc = -EBADMSG;
			}
			break;
		case MLS_PROPOSAL_REINIT:
			/* section 12.2: a ReInit is the only proposal of its Commit */
			rc = external || n != 1 ? -EBADMSG : grp_reinit_check(&p->reinit);
			break;
		default:
			rc = -EPROTONOSUPPORT;
			break;
		}
	}
	if (rc == 0 && external && n_ext_init != 1) {
		rc = -EBADMSG;
	}
	free(touched);
	return rc;
}

/*
 * own_update makes the key of our own Update proposal |gp|, which another
 * member's Commit applies, our leaf key: the Update blanked our direct
 * path, so no path key is left (section 12.1.2).
 */
static int own_update(struct mls_group *n, const struct grp_proposal *gp)
{
	struct mls_treekem_priv *priv = NULL;
	int rc;

	if (gp == NULL || gp->leaf_priv_len == 0) {
		return -ENOENT;	/* not ours after all: we never made that key */
	}
	rc = mls_treekem_priv_new(n->suite, n->own_leaf, gp->leaf_priv, gp->leaf_priv_len, &priv);
	rc = rc < 0 ? rc : mls_treekem_priv_check(priv, n->tree);
	if (rc < 0) {
		mls_treekem_priv_free(priv);
		return rc;
	}
	mls_treekem_priv_free(n->priv);
	n->priv = priv;
	return 0;
}

/*
 * apply applies a validated list to provisional group |n| (its tree and
 * context extensions) in the order of section 12.3: GroupContextExtensions,
 * Updates, Removes, Adds; PSKs and ExternalInit are collected.
 */
static int apply(struct mls_group *n, const struct cm_prop *pr, size_t cnt, struct mls_arena *a,
		 struct cm_apply *out)
{
	const struct mls_suite *s = n->suite;
	struct mls_bytes gid = { n->group_id.p, n->group_id.len };
	size_t n_add = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->path_required = cnt == 0;
	for (size_t i = 0; i < cnt; i++) {
		uint16_t t = pr[i].p.type;

		n_add += t == MLS_PROPOSAL_ADD;
		out->n_psks += t == MLS_PROPOSAL_PSK;
		if (t != MLS_PROPOSAL_ADD && t != MLS_PROPOSAL_PSK && t != MLS_PROPOSAL_REINIT) {
			out->path_required = true;
		}
	}
	out->new_leaves = mls_arena_alloc(a, (n_add + 1) * sizeof(*out->new_leaves));
	out->members = mls_arena_alloc(a, (n_add + 1) * sizeof(*out->members));
	out->psks = mls_arena_alloc(a, (out->n_psks + 1) * sizeof(*out->psks));
	if (out->new_leaves == NULL || out->members == NULL || out->psks == NULL) {
		return -ENOMEM;
	}
	out->n_psks = 0;
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		if (pr[i].p.type == MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS) {
			struct grp_buf ext = { 0 };

			rc = grp_encode(encode_ext_list, &pr[i].p.group_context_extensions, &ext);
			if (rc == 0) {
				grp_buf_free(&n->extensions);
				n->extensions = ext;
			}
		}
	}
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		if (pr[i].p.type == MLS_PROPOSAL_UPDATE) {
			uint32_t leaf = pr[i].sender.index;

			rc = mls_rtree_update_leaf(n->tree, leaf, &pr[i].p.update);
			rc = rc < 0 ? rc : mls_rtree_verify_leaf(n->tree, leaf, gid);
			if (rc == 0 &&
			    grp_sig_key_in_tree(n->tree, pr[i].p.update.signature_key, leaf)) {
				rc = -EBADMSG;
			}
			if (rc == -ENOENT || rc == -EINVAL) {
				rc = -EBADMSG;
			}
			if (rc == 0 && leaf == n->own_leaf) {
				rc = own_update(n, pr[i].gp);
			}
		}
	}
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		if (pr[i].p.type == MLS_PROPOSAL_REMOVE) {
			if (pr[i].p.remove == n->own_leaf) {
				out->self_removed = true;
			}
			rc = mls_rtree_remove_leaf(n->tree, pr[i].p.remove);
			if (rc == -ENOENT || rc == -EINVAL) {
				rc = -EBADMSG;
			}
		}
	}
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		const struct mls_key_package *kp = &pr[i].p.add;
		struct grp_buf enc = { 0 };
		uint32_t leaf;

		if (pr[i].p.type != MLS_PROPOSAL_ADD) {
			continue;
		}
		rc = grp_kp_check(s, kp, 0);
		if (rc == 0 &&
		    grp_sig_key_in_tree(n->tree, kp->leaf_node.signature_key, UINT32_MAX)) {
			rc = -EBADMSG;	/* already a member (section 12.2) */
		}
		rc = rc < 0 ? rc : mls_rtree_add_leaf(n->tree, &kp->leaf_node, &leaf);
		if (rc == 0) {
			/* the KeyPackage's bytes, for the Welcome: re-encoded into the arena */
			struct mls_proposal tmp = pr[i].p;

			rc = grp_encode(encode_proposal, &tmp, &enc);
		}
		if (rc == 0) {
			uint8_t *copy = mls_arena_alloc(a, enc.len);

			/* Proposal = uint16 type || KeyPackage */
			if (copy == NULL) {
				rc = -ENOMEM;
			} else {
				memcpy(copy, enc.p + 2, enc.len - 2);
				out->members[out->n_new] = (struct grp_new_member){
					.kp = copy, .kp_len = enc.len - 2, .leaf = leaf };
				out->new_leaves[out->n_new++] = leaf;
			}
		}
		grp_buf_free(&enc);
	}
	for (size_t i = 0; rc == 0 && i < cnt; i++) {
		if (pr[i].p.type == MLS_PROPOSAL_PSK) {
			out->psks[out->n_psks++] = pr[i].p.psk;
		} else if (pr[i].p.type == MLS_PROPOSAL_EXTERNAL_INIT) {
			out->external_init = true;
			out->kem_output = pr[i].p.external_init;
		} else if (pr[i].p.type == MLS_PROPOSAL_REINIT) {
			rc = grp_reinit_set(n, &pr[i].p.reinit);
		} else if (pr[i].p.type == MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS &&
			   !grp_ext_supported(n->tree, &pr[i].p.group_context_extensions)) {
			/* section 12.1.7: every member, those added included, supports them */
			rc = -EBADMSG;
		}
	}
	return rc;
}

/* ---- the new epoch (section 8) ------------------------------------------------- */

/*
 * next_epoch runs the key schedule for provisional group |n| (tree and
 * extensions of the new epoch, epoch and confirmed hash of the old one)
 * with the Commit |ac| (signed; its confirmation tag not needed yet):
 * computes the new confirmed transcript hash from |interim|, the new
 * GroupContext, and the epoch secrets from |init|, |commit_secret| and
 * the PSKs. |n| leaves with the new epoch's GroupContext fields.
 */
static int next_epoch(struct mls_group *n, const struct mls_authenticated_content *ac,
		      const uint8_t *init, const uint8_t *commit_secret,
		      const struct cm_apply *ap, struct mls_arena *a,
		      struct mls_epoch_secrets *sec)
{
	const struct mls_suite *s = n->suite;
	struct grp_buf cthi = { 0 }, ctx = { 0 };
	struct mls_group_context gc;
	uint8_t psk_secret[MLS_MAX_HASH], confirmed[MLS_MAX_HASH];
	int rc;

	rc = grp_encode(encode_cthi, ac, &cthi);
	rc = rc < 0 ? rc : mls_keysched_transcript(s, n->interim, s->nh, cthi.p, cthi.len, NULL, 0,
						   confirmed, NULL);
	grp_buf_free(&cthi);
	rc = rc < 0 ? rc : mls_rtree_tree_hash(n->tree, mls_rtree_root(n->tree), n->tree_hash);
	if (rc == 0) {
		memcpy(n->confirmed, confirmed, s->nh);
		n->confirmed_len = s->nh;
		n->epoch++;
		rc = grp_context_view(n, a, &gc);
	}
	rc = rc < 0 ? rc : grp_encode(encode_context, &gc, &ctx);
	rc = rc < 0 ? rc : grp_psk_secret(n, NULL, 0, ap->psks, ap->n_psks, psk_secret);
	rc = rc < 0 ? rc : mls_keysched_epoch(s, init, commit_secret, psk_secret, ctx.p, ctx.len,
					      sec);
	grp_buf_free(&ctx);
	OPENSSL_cleanse(psk_secret, sizeof(psk_secret));
	return rc;
}

/* provisional_context fills the GroupContext UpdatePath encryption uses (section 12.4.1). */
static int provisional_context(const struct mls_group *n, struct mls_arena *a,
			       struct mls_group_context *gc)
{
	int rc = grp_context_view(n, a, gc);

	gc->epoch = n->epoch + 1;
	return rc;
}

/* external_init_secret: the joiner's init_secret and kem_output (section 8.3). */
static int external_init_send(const struct mls_suite *s, const uint8_t *external_pub,
			      size_t pub_len, uint8_t *kem_output, uint8_t *init)
{
	return mls_hpke_export_send(s, external_pub, pub_len, NULL, 0,
				    (const uint8_t *)EXTERNAL_INIT_LABEL,
				    sizeof(EXTERNAL_INIT_LABEL) - 1, s->nh, kem_output, init);
}

static int external_init_receive(const struct mls_group *g, struct mls_bytes kem_output,
				 uint8_t *init)
{
	const struct mls_suite *s = g->suite;
	uint8_t priv[MLS_MAX_KEM_PRIV], pub[MLS_MAX_KEM_PUB];
	int rc;

	rc = mls_hpke_derive_keypair(s, g->secrets.external, s->nh, priv, pub);
	rc = rc < 0 ? rc : mls_hpke_export_receive(s, priv, s->kem_nsk, kem_output.p,
						   kem_output.len, NULL, 0,
						   (const uint8_t *)EXTERNAL_INIT_LABEL,
						   sizeof(EXTERNAL_INIT_LABEL) - 1, s->nh, init);
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc == -EINVAL ? -EBADMSG : rc;
}

/* ---- processing a Commit (section 12.4.2) ----------------------------------------- */

static int resolve(const struct mls_group *g, const struct mls_commit *c,
		   const struct mls_sender *committer, struct mls_arena *a, struct cm_prop **out)
{
	struct cm_prop *pr = mls_arena_alloc(a, (c->n_proposals + 1) * sizeof(*pr));

	if (pr == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_proposals; i++) {
		const struct mls_proposal_or_ref *por = &c->proposals[i];

		pr[i].gp = NULL;
		pr[i].ref = NULL;
		if (por->type == MLS_PROPOSAL_OR_REF_PROPOSAL) {
			pr[i].p = por->proposal;
			pr[i].sender = *committer;
			continue;
		}
		for (size_t j = 0; j < g->n_pending; j++) {
			const struct grp_proposal *gp = &g->pending[j];

			if (gp->by_ref && por->reference.len == g->suite->nh &&
			    CRYPTO_memcmp(gp->ref, por->reference.p, g->suite->nh) == 0) {
				int rc = grp_pending_decode(gp, a, &pr[i].p);

				if (rc < 0) {
					return rc;
				}
				pr[i].sender = gp->sender;
				pr[i].ref = gp->ref;
				pr[i].gp = gp;
				break;
			}
		}
		if (pr[i].ref == NULL) {
			return -ENOENT;	/* a proposal this member never received */
		}
	}
	*out = pr;
	return 0;
}

static int process_commit(struct mls_group *g, const struct mls_authenticated_content *ac,
			  struct mls_arena *a, struct mls_group_event *ev)
{
	const struct mls_suite *s = g->suite;
	const struct mls_commit *c = &ac->content.commit;
	struct mls_sender committer = ac->content.sender;
	struct mls_group *n = NULL;
	struct cm_prop *pr = NULL;
	struct cm_apply ap;
	struct mls_epoch_secrets sec;
	struct mls_bytes gid = { g->group_id.p, g->group_id.len };
	uint8_t commit_secret[MLS_MAX_HASH] = { 0 }, init[MLS_MAX_HASH], tag[MLS_MAX_HASH];
	uint32_t sender_leaf = committer.index;
	int rc;

	memset(&sec, 0, sizeof(sec));
	if (committer.type == MLS_SENDER_MEMBER && committer.index == g->own_leaf) {
		return -EINVAL;	/* our own Commit: it was applied when made */
	}
	if (ac->auth.confirmation_tag.len != s->nh) {
		return -EBADMSG;
	}
	rc = resolve(g, c, &committer, a, &pr);
	rc = rc < 0 ? rc : validate(g, pr, c->n_proposals, &committer);
	rc = rc < 0 ? rc : mls_group_copy(g, &n);
	rc = rc < 0 ? rc : apply(n, pr, c->n_proposals, a, &ap);
	if (rc == 0 && ap.path_required && !c->has_path) {
		rc = -EBADMSG;
	}
	if (rc == 0 && committer.type == MLS_SENDER_NEW_MEMBER_COMMIT && !c->has_path) {
		rc = -EBADMSG;
	}
	if (rc == 0 && ap.self_removed) {
		/* removed: nothing more this member can derive (section 12.4.2) */
		g->active = false;
		if (ev != NULL) {
			ev->type = MLS_GROUP_EV_COMMIT;
			ev->removed = true;
			ev->epoch = g->epoch;
		}
		mls_group_free(n);
		return 0;
	}
	if (rc == 0 && c->has_path) {
		struct mls_group_context gc;

		if (committer.type == MLS_SENDER_NEW_MEMBER_COMMIT) {
			/* the joiner's leaf goes where an Add would put it (section 12.4.3.2) */
			rc = mls_rtree_add_leaf(n->tree, &c->path.leaf_node, &sender_leaf);
		}
		rc = rc < 0 ? rc : mls_treekem_merge(n->tree, sender_leaf, &c->path);
		rc = rc < 0 ? rc : mls_rtree_verify_leaf(n->tree, sender_leaf, gid);
		if (rc == 0 && grp_sig_key_in_tree(n->tree, c->path.leaf_node.signature_key,
					       sender_leaf)) {
			rc = -EBADMSG;
		}
		rc = rc < 0 ? rc : provisional_context(n, a, &gc);
		rc = rc < 0 ? rc : mls_treekem_process(n->priv, n->tree, sender_leaf, &c->path, &gc,
						      ap.new_leaves, ap.n_new, NULL, commit_secret);
		if (rc == -EINVAL || rc == -ENOENT) {
			rc = -EBADMSG;
		}
	}
	if (rc == 0 && ap.external_init) {
		rc = external_init_receive(g, ap.kem_output, init);
	} else if (rc == 0) {
		memcpy(init, g->secrets.init, s->nh);
	}
	rc = rc < 0 ? rc : next_epoch(n, ac, init, commit_secret, &ap, a, &sec);
	rc = rc < 0 ? rc : mls_mac(s, sec.confirmation_key, s->nh, n->confirmed, s->nh, tag);
	if (rc == 0 && CRYPTO_memcmp(tag, ac->auth.confirmation_tag.p, s->nh) != 0) {
		rc = -EBADMSG;
	}
	rc = rc < 0 ? rc : grp_install(n, &sec, tag);
	OPENSSL_cleanse(commit_secret, sizeof(commit_secret));
	OPENSSL_cleanse(init, sizeof(init));
	mls_epoch_secrets_wipe(&sec);
	if (rc < 0) {
		mls_group_free(n);
		return rc;
	}
	swap_in(g, n);
	if (ev != NULL) {
		ev->type = MLS_GROUP_EV_COMMIT;
		ev->removed = false;
		ev->reinit = g->reinit.pending;
		ev->epoch = g->epoch;
	}
	return 0;
}

/* ---- handling a message ---------------------------------------------------------- */

int mls_group_handle(struct mls_group *g, const uint8_t *msg, size_t len,
		     struct mls_group_event *ev)
{
	struct mls_authenticated_content ac;
	struct mls_framing_epoch ep;
	struct mls_group_context gc;
	struct grp_keyctx kc = { 0 };
	struct mls_ratchet *staged, *staged_at = NULL;
	struct mls_message m;
	struct mls_reader r;
	struct mls_arena a;
	int rc;

	if (g == NULL || msg == NULL || len == 0) {
		return -EINVAL;
	}
	if (!g->active) {
		return -EINVAL;
	}
	if (g->reinit.pending) {
		return -ESHUTDOWN;	/* closed by a ReInit (section 11.2) */
	}
	staged = malloc(sizeof(*staged));
	if (staged == NULL) {
		return -ENOMEM;
	}
	if (len > MLS_GROUP_MAX_MESSAGE) {
		return -EBADMSG;
	}
	if (ev != NULL) {
		memset(ev, 0, sizeof(*ev));
	}
	mls_arena_init(&a, ARENA_LIMIT);
	/* peek: an external commit's signature key is its UpdatePath's leaf */
	mls_reader_init(&r, msg, len);
	rc = mls_message_decode(&r, &a, &m);
	rc = rc < 0 ? rc : mls_read_end(&r);
	if (rc == 0 && m.wire_format != MLS_WIRE_PUBLIC_MESSAGE &&
	    m.wire_format != MLS_WIRE_PRIVATE_MESSAGE) {
		rc = -EINVAL;
	}
	if (rc == 0 && m.wire_format == MLS_WIRE_PUBLIC_MESSAGE &&
	    m.public_message.content.sender.type == MLS_SENDER_NEW_MEMBER_COMMIT &&
	    m.public_message.content.content_type == MLS_CONTENT_COMMIT &&
	    m.public_message.content.commit.has_path) {
		kc.commit_key = m.public_message.content.commit.path.leaf_node.signature_key;
	}
	rc = rc < 0 ? rc : grp_context_view(g, &a, &gc);
	if (rc == 0) {
		grp_framing_epoch(g, &gc, &kc, &ep);
		/* a handshake generation is used up only if the message is accepted */
		ep.staged = staged;
		ep.staged_at = &staged_at;
		rc = mls_framing_unprotect(&ep, msg, len, &a, &ac);
	}
	EVP_PKEY_free(kc.key);
	if (rc == 0 && ev != NULL) {
		ev->sender = ac.content.sender.index;
		ev->sender_type = ac.content.sender.type;
	}
	if (rc == 0) {
		switch (ac.content.content_type) {
		case MLS_CONTENT_PROPOSAL:
			rc = grp_proposal_received(g, &ac, ev);
			if (rc == 0 && staged_at != NULL) {
				*staged_at = *staged;
			}
			break;
		case MLS_CONTENT_COMMIT:
			rc = process_commit(g, &ac, &a, ev);
			break;
		default:
			rc = -EINVAL;	/* application data belongs to the data plane */
			break;
		}
	}
	mls_arena_cleanup(&a);
	/* a Commit accepted has replaced the epoch, and its secret tree with it */
	OPENSSL_cleanse(staged, sizeof(*staged));
	free(staged);
	return rc;
}

/* ---- making a Commit (section 12.4) ------------------------------------------------ */

/* cm_out: what commit() made besides the new state. */
struct cm_made {
	struct grp_buf commit;
	struct grp_buf welcome;
};

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
 * commit makes a Commit of |pr| (|cnt| proposals; |por| the list as sent)
 * from |g|'s member or, for an external commit, from the joiner |n| was
 * prepared for; |n| is the provisional group (a copy of |g|'s epoch).
 */
static int commit(struct mls_group *g, struct mls_group *n, const struct cm_prop *pr,
		  const struct mls_proposal_or_ref *por, size_t cnt,
		  const struct mls_sender *sender, const uint8_t *init, bool force_path,
		  uint16_t wire_format, bool tree_in_welcome, bool external_pub,
		  struct mls_arena *a, struct cm_made *out)
{
	const struct mls_suite *s = g->suite;
	struct mls_treekem_path_secrets ps;
	struct mls_group_context gc_old, gc_new;
	struct mls_authenticated_content ac;
	struct mls_framing_epoch ep;
	struct grp_keyctx kc = { 0 };
	struct mls_epoch_secrets sec;
	struct cm_apply ap;
	struct frame_arg fa;
	uint8_t commit_secret[MLS_MAX_HASH] = { 0 }, tag[MLS_MAX_HASH], sig[MLS_MAX_SIG];
	size_t sig_len = 0;
	bool path;
	int rc;

	memset(&sec, 0, sizeof(sec));
	memset(&ps, 0, sizeof(ps));
	memset(&ac, 0, sizeof(ac));
	rc = validate(g, pr, cnt, sender);
	rc = rc < 0 ? rc : apply(n, pr, cnt, a, &ap);
	if (rc < 0) {
		return rc;
	}
	path = ap.path_required || force_path || sender->type == MLS_SENDER_NEW_MEMBER_COMMIT;
	ac.wire_format = wire_format;
	ac.content.group_id = (struct mls_bytes){ g->group_id.p, g->group_id.len };
	ac.content.epoch = g->epoch;
	ac.content.sender = *sender;
	ac.content.content_type = MLS_CONTENT_COMMIT;
	ac.content.commit.proposals = por;
	ac.content.commit.n_proposals = cnt;
	if (path) {
		rc = provisional_context(n, a, &gc_new);
		rc = rc < 0 ? rc : mls_treekem_create_ex(n->priv, n->tree, n->signer->key,
							 ac.content.group_id, &gc_new,
							 ap.new_leaves, ap.n_new, a,
							 &ac.content.commit.path, commit_secret,
							 &ps);
		ac.content.commit.has_path = true;
	}
	/* sign over the old epoch's context, then the transcript, then the tag */
	rc = rc < 0 ? rc : grp_context_view(g, a, &gc_old);
	if (rc == 0) {
		grp_framing_epoch(g, &gc_old, &kc, &ep);
		rc = mls_framing_sign(&ep, wire_format, &ac.content, n->signer->key, sig,
				      sizeof(sig), &sig_len);
	}
	ac.auth.signature = (struct mls_bytes){ sig, sig_len };
	rc = rc < 0 ? rc : next_epoch(n, &ac, init, commit_secret, &ap, a, &sec);
	rc = rc < 0 ? rc : mls_mac(s, sec.confirmation_key, s->nh, n->confirmed, s->nh, tag);
	ac.auth.confirmation_tag = (struct mls_bytes){ tag, s->nh };
	rc = rc < 0 ? rc : grp_install(n, &sec, tag);
	if (rc == 0) {
		fa.ep = &ep;
		fa.ac = &ac;
		rc = grp_encode(encode_frame, &fa, &out->commit);
	}
	if (rc == 0 && ap.n_new > 0) {
		struct grp_buf ids = { 0 };

		for (size_t i = 0; rc == 0 && i < ap.n_psks; i++) {
			struct grp_buf one = { 0 };

			rc = grp_encode(encode_psk_id, &ap.psks[i], &one);
			if (rc == 0) {
				uint8_t *p = realloc(ids.p, ids.len + one.len);

				if (p == NULL) {
					rc = -ENOMEM;
				} else {
					memcpy(p + ids.len, one.p, one.len);
					ids.p = p;
					ids.len += one.len;
				}
			}
			grp_buf_free(&one);
		}
		rc = rc < 0 ? rc : grp_welcome_make(n, sec.joiner, ids.p, ids.len, ap.n_psks,
						    path ? &ps : NULL, ap.members, ap.n_new,
						    tree_in_welcome, external_pub, &out->welcome);
		grp_buf_free(&ids);
	}
	EVP_PKEY_free(kc.key);
	mls_treekem_path_secrets_wipe(&ps);
	OPENSSL_cleanse(commit_secret, sizeof(commit_secret));
	mls_epoch_secrets_wipe(&sec);
	if (rc < 0) {
		grp_buf_free(&out->commit);
		grp_buf_free(&out->welcome);
	}
	return rc;
}

int mls_group_commit(struct mls_group *g, const struct mls_commit_opts *o,
		     struct mls_commit_result *out)
{
	static const struct mls_commit_opts defaults = { 0 };
	struct mls_sender me = { .type = MLS_SENDER_MEMBER };
	struct mls_proposal_or_ref *por;
	struct cm_made made = { 0 };
	struct mls_group *n = NULL;
	struct cm_prop *pr;
	struct mls_arena a;
	size_t cnt = 0;
	int rc;

	if (g == NULL || out == NULL || !g->active) {
		return -EINVAL;
	}
	if (g->reinit.pending) {
		return -ESHUTDOWN;
	}
	if (o == NULL) {
		o = &defaults;
	}
	memset(out, 0, sizeof(*out));
	me.index = g->own_leaf;
	mls_arena_init(&a, ARENA_LIMIT);
	pr = mls_arena_alloc(&a, (g->n_pending + 1) * sizeof(*pr));
	por = mls_arena_alloc(&a, (g->n_pending + 1) * sizeof(*por));
	rc = pr == NULL || por == NULL ? -ENOMEM : 0;
	for (size_t i = 0; rc == 0 && i < g->n_pending; i++) {
		const struct grp_proposal *gp = &g->pending[i];

		rc = grp_pending_decode(gp, &a, &pr[cnt].p);
		/* section 12.2: our own Updates are superseded by the Commit's path */
		if (rc == 0 && gp->by_ref && pr[cnt].p.type == MLS_PROPOSAL_UPDATE &&
		    gp->sender.type == MLS_SENDER_MEMBER && gp->sender.index == g->own_leaf) {
			continue;
		}
		pr[cnt].sender = gp->sender;
		pr[cnt].ref = gp->by_ref ? gp->ref : NULL;
		pr[cnt].gp = gp->by_ref ? gp : NULL;
		memset(&por[cnt], 0, sizeof(por[cnt]));
		if (gp->by_ref) {
			por[cnt].type = MLS_PROPOSAL_OR_REF_REFERENCE;
			por[cnt].reference = (struct mls_bytes){ gp->ref, g->suite->nh };
		} else {
			por[cnt].type = MLS_PROPOSAL_OR_REF_PROPOSAL;
			por[cnt].proposal = pr[cnt].p;
		}
		cnt++;
	}
	rc = rc < 0 ? rc : mls_group_copy(g, &n);
	rc = rc < 0 ? rc : commit(g, n, pr, por, cnt, &me, g->secrets.init, o->force_path,
				  o->private_message ? MLS_WIRE_PRIVATE_MESSAGE :
						       MLS_WIRE_PUBLIC_MESSAGE,
				  o->tree_in_welcome, o->external_pub, &a, &made);
	mls_arena_cleanup(&a);
	if (rc < 0) {
		mls_group_free(n);
		return rc;
	}
	swap_in(g, n);
	out->commit = made.commit.p;
	out->commit_len = made.commit.len;
	out->welcome = made.welcome.p;
	out->welcome_len = made.welcome.len;
	return 0;
}

void mls_commit_result_free(struct mls_commit_result *r)
{
	if (r != NULL) {
		free(r->commit);
		free(r->welcome);
		memset(r, 0, sizeof(*r));
	}
}

/* ---- external commits (section 12.4.3.2) -------------------------------------------- */

static int encode_ext_list2(struct mls_writer *w, const void *arg)
{
	return mls_extension_list_encode(w, arg);
}

/*
 * open_external makes |*out|, the group of a verified GroupInfo as a
 * non-member sees it (no private keys, no epoch secrets), and copies its
 * external_pub to |pub| (kem_npk bytes).
 */
static int open_external(const struct mls_signer *sg, const uint8_t *msg, size_t len,
			 const struct mls_join_opts *o, struct mls_group **out, uint8_t *pub)
{
	const struct mls_suite *s = sg->suite;
	struct grp_group_info gi;
	struct mls_group *g = NULL;
	const struct mls_group_context *gc;
	uint8_t in[2 * MLS_MAX_HASH + 8];
	struct mls_writer w;
	int rc;

	memset(&gi, 0, sizeof(gi));
	rc = grp_group_info_verify(s, msg, len, o, &gi);
	if (rc == 0 && gi.external_pub.len != s->kem_npk) {
		rc = -EINVAL;
	}
	gc = &gi.gi.group_context;
	/* the confirmed transcript hash is empty in a new group's epoch 0 (section 8.2) */
	if (rc == 0 && ((gc->confirmed_transcript_hash.len != s->nh &&
			 !(gc->epoch == 0 && gc->confirmed_transcript_hash.len == 0)) ||
			gi.gi.confirmation_tag.len != s->nh)) {
		rc = -EBADMSG;
	}
	rc = rc < 0 ? rc : grp_new(sg, &g);
	if (rc == 0) {
		memcpy(pub, gi.external_pub.p, s->kem_npk);
		g->tree = gi.tree;
		gi.tree = NULL;
		g->epoch = gc->epoch;
		g->own_leaf = UINT32_MAX;
		memcpy(g->tree_hash, gc->tree_hash.p, s->nh);
		g->confirmed_len = gc->confirmed_transcript_hash.len;
		if (g->confirmed_len > 0) {
			memcpy(g->confirmed, gc->confirmed_transcript_hash.p, s->nh);
		}
		memcpy(g->confirmation_tag, gi.gi.confirmation_tag.p, s->nh);
		rc = grp_buf_set(&g->group_id, gc->group_id.p, gc->group_id.len);
		rc = rc < 0 ? rc : grp_encode(encode_ext_list2, &gc->extensions, &g->extensions);
	}
	if (rc == 0) {
		/* interim = Hash(confirmed || InterimTranscriptHashInput{confirmation_tag}) */
		mls_writer_init(&w, in, sizeof(in));
		rc = mls_write_bytes(&w, g->confirmed, g->confirmed_len);
		rc = rc < 0 ? rc : mls_interim_transcript_hash_input_encode(&w,
									    gi.gi.confirmation_tag);
		rc = rc < 0 ? rc : mls_hash(s, in, mls_writer_len(&w), g->interim);
	}
	grp_group_info_cleanup(&gi);
	if (rc < 0) {
		mls_group_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

int mls_group_join_external(const struct mls_signer *sg, const uint8_t *group_info, size_t len,
			    const struct mls_join_opts *o, struct mls_group **out,
			    uint8_t **commit_out, size_t *commit_len)
{
	struct mls_sender joiner = { .type = MLS_SENDER_NEW_MEMBER_COMMIT };
	struct mls_proposal_or_ref por = { .type = MLS_PROPOSAL_OR_REF_PROPOSAL };
	struct cm_prop pr = { 0 };
	struct cm_made made = { 0 };
	uint8_t external_pub[MLS_MAX_KEM_PUB];
	struct mls_group *g = NULL, *n = NULL;
	struct mls_kp *kp = NULL;
	struct mls_arena a;
	uint8_t init[MLS_MAX_HASH], kem_output[MLS_MAX_KEM_ENC];
	int rc;

	if (sg == NULL || group_info == NULL || out == NULL || commit_out == NULL ||
	    commit_len == NULL) {
		return -EINVAL;
	}
	mls_arena_init(&a, ARENA_LIMIT);
	/* the group as the GroupInfo shows it: verified tree, context, external_pub */
	rc = open_external(sg, group_info, len, o, &g, external_pub);
	/* our leaf: that of a fresh KeyPackage; the path replaces its keys */
	rc = rc < 0 ? rc : mls_kp_create(sg, 0, UINT64_MAX, &kp);
	rc = rc < 0 ? rc : external_init_send(g->suite, external_pub, g->suite->kem_npk,
					      kem_output, init);
	if (rc == 0) {
		struct mls_reader r;
		struct mls_leaf_node leaf;
		uint32_t idx;

		mls_reader_init(&r, kp->leaf.p, kp->leaf.len);
		rc = mls_leaf_node_decode(&r, &a, &leaf);
		rc = rc < 0 ? rc : mls_group_copy(g, &n);
		/* where our leaf will land: the provisional tree gets it now */
		rc = rc < 0 ? rc : mls_rtree_add_leaf(n->tree, &leaf, &idx);
		if (rc == 0) {
			n->own_leaf = idx;
			g->own_leaf = idx;
			rc = mls_treekem_priv_new(g->suite, idx, kp->enc_priv, kp->enc_priv_len,
						  &n->priv);
		}
	}
	if (rc == 0) {
		pr.p.type = MLS_PROPOSAL_EXTERNAL_INIT;
		pr.p.external_init = (struct mls_bytes){ kem_output, g->suite->kem_nenc };
		pr.sender = joiner;
		por.proposal = pr.p;
		rc = commit(g, n, &pr, &por, 1, &joiner, init, true, MLS_WIRE_PUBLIC_MESSAGE,
			    false, false, &a, &made);
	}
	OPENSSL_cleanse(init, sizeof(init));
	mls_kp_free(kp);
	mls_arena_cleanup(&a);
	mls_group_free(g);
	if (rc < 0) {
		mls_group_free(n);
		return rc;
	}
	*out = n;
	*commit_out = made.commit.p;
	*commit_len = made.commit.len;
	return 0;
}
