/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_protect.c - message-protection: PublicMessage and PrivateMessage
 * protect/unprotect for a Remove proposal, a Commit and 42 bytes of
 * application data, sender leaf 1, in a GroupContext built from the case
 * (empty extensions) with a 2-leaf secret tree from encryption_secret.
 *
 * For each payload: the case's messages unprotect (mls_framing.h) to the
 * payload; a message this code protects unprotects to it again (a fresh
 * secret tree on each side); application data as a PublicMessage is
 * refused. The application message is also opened by the data plane's fast
 * path (mls_app.h, on the AEAD engine), and a message the fast path makes
 * is opened by mls_framing: the two implementations agree on the wire.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_aead.h"
#include "mls/mls_app.h"
#include "mls/mls_arena.h"
#include "mls/mls_crypto.h"
#include "mls/mls_framing.h"
#include "mls/mls_msg.h"
#include "mls/mls_secret_tree.h"
#include "mls/mls_wire.h"
#include "mls_vectors.h"

#define SENDER 1

struct pcase {
	const struct mls_suite *s;
	struct mls_group_context gc;
	uint8_t gc_bytes[1024];
	size_t gc_len;
	uint8_t *group_id, *tree_hash, *cth, *sig_priv, *sig_pub, *enc, *sds, *mk;
	size_t group_id_len, tree_hash_len, cth_len, sig_priv_len, sig_pub_len, enc_len,
		sds_len, mk_len;
	uint64_t epoch;
	EVP_PKEY *priv, *pub;
};

static EVP_PKEY *sender_key(void *arg, const struct mls_sender *sender)
{
	struct pcase *pc = arg;

	return sender->type == MLS_SENDER_MEMBER && sender->index == SENDER ? pc->pub : NULL;
}

/* epoch_view makes the framing's epoch with a fresh 2-leaf secret tree (free it). */
static struct mls_framing_epoch epoch_view(struct pcase *pc)
{
	struct mls_framing_epoch ep = {
		.suite = pc->s,
		.context = &pc->gc,
		.membership_key = pc->mk,
		.sender_data_secret = pc->sds,
		.secret_tree = mls_secret_tree_new(pc->s, pc->enc, 2),
		.sender_key = sender_key,
		.sender_key_arg = pc,
	};

	return ep;
}

/* same_content compares the payload of |ac| with |want| (encoded proposal/commit, or raw data). */
static bool same_content(const struct mls_authenticated_content *ac, uint8_t type,
			 const uint8_t *want, size_t want_len, struct mlsv_res *r, const char *what)
{
	uint8_t buf[8192];
	struct mls_writer w;
	int rc = 0;

	if (ac->content.content_type != type || ac->content.sender.type != MLS_SENDER_MEMBER ||
	    ac->content.sender.index != SENDER) {
		mlsv_fail(r, "%s: content type %u sender %u/%u", what, ac->content.content_type,
			  ac->content.sender.type, ac->content.sender.index);
		return false;
	}
	mls_writer_init(&w, buf, sizeof(buf));
	if (type == MLS_CONTENT_PROPOSAL) {
		rc = mls_proposal_encode(&w, &ac->content.proposal);
	} else if (type == MLS_CONTENT_COMMIT) {
		rc = mls_commit_encode(&w, &ac->content.commit);
	} else {
		rc = mls_write_bytes(&w, ac->content.application_data.p,
				     ac->content.application_data.len);
	}
	if (rc < 0) {
		mlsv_fail(r, "%s: re-encoding the content: %s", what, strerror(-rc));
		return false;
	}
	return mlsv_eq(r, what, buf, mls_writer_len(&w), want, want_len);
}

/* open_given unprotects the case's message |key| and compares its content. */
static void open_given(struct pcase *pc, const json_t *c, const char *key, uint8_t type,
		       const uint8_t *want, size_t want_len, struct mlsv_res *r,
		       struct mls_bytes *tag_out, uint8_t *tag_buf)
{
	struct mls_framing_epoch ep = epoch_view(pc);
	struct mls_authenticated_content ac;
	struct mls_arena a;
	uint8_t *msg;
	size_t len;
	int rc;

	mls_arena_init(&a, SIZE_MAX);
	if (ep.secret_tree == NULL || !mlsv_get_hex(c, key, &msg, &len, r)) {
		mlsv_fail(r, "%s: setup", key);
		goto out;
	}
	rc = mls_framing_unprotect(&ep, msg, len, &a, &ac);
	if (rc < 0) {
		mlsv_fail(r, "%s: unprotect: %s", key, strerror(-rc));
	} else if (same_content(&ac, type, want, want_len, r, key) && tag_out != NULL &&
		   type == MLS_CONTENT_COMMIT) {
		memcpy(tag_buf, ac.auth.confirmation_tag.p, ac.auth.confirmation_tag.len);
		tag_out->p = tag_buf;
		tag_out->len = ac.auth.confirmation_tag.len;
	}
	free(msg);
out:
	mls_arena_cleanup(&a);
	mls_secret_tree_free(ep.secret_tree);
}

/* round_trip protects |content| as |wf| and unprotects it with another epoch view. */
static void round_trip(struct pcase *pc, uint16_t wf, const struct mls_framed_content *content,
		       const uint8_t *tag, const uint8_t *want, size_t want_len, struct mlsv_res *r,
		       const char *what)
{
	struct mls_framing_epoch tx = epoch_view(pc), rx = epoch_view(pc);
	struct mls_authenticated_content ac;
	static uint8_t buf[16384];
	struct mls_writer w;
	struct mls_arena a;
	int rc;

	mls_arena_init(&a, SIZE_MAX);
	mls_writer_init(&w, buf, sizeof(buf));
	if (tx.secret_tree == NULL || rx.secret_tree == NULL) {
		mlsv_fail(r, "%s: secret tree", what);
		goto out;
	}
	rc = mls_framing_protect(&tx, wf, content, tag, pc->priv, wf == 2 ? 7 : 0, &w);
	if (rc < 0) {
		mlsv_fail(r, "%s: protect: %s", what, strerror(-rc));
		goto out;
	}
	rc = mls_framing_unprotect(&rx, buf, mls_writer_len(&w), &a, &ac);
	if (rc < 0) {
		mlsv_fail(r, "%s: unprotect of our own message: %s", what, strerror(-rc));
		goto out;
	}
	same_content(&ac, content->content_type, want, want_len, r, what);
	/* A flipped bit anywhere in the last 40 bytes (tags, signature, ciphertext) is refused. */
	buf[mls_writer_len(&w) - 1 - (mls_writer_len(&w) % 40)] ^= 0x10;
	mls_secret_tree_free(rx.secret_tree);
	rx = epoch_view(pc);
	if (mls_framing_unprotect(&rx, buf, mls_writer_len(&w), &a, &ac) == 0) {
		mlsv_fail(r, "%s: a tampered message was accepted", what);
	}
out:
	mls_arena_cleanup(&a);
	mls_secret_tree_free(tx.secret_tree);
	mls_secret_tree_free(rx.secret_tree);
}

/* The application message through the data plane's fast path, both directions. */
static void fast_path(struct pcase *pc, const json_t *c, const uint8_t *app, size_t app_len,
		      struct mlsv_res *r)
{
	struct crypto_aead_engine *e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO,
							      CRYPTO_AEAD_ARCH_AUTO);
	struct mls_app_lcore *lc = e != NULL ? mls_app_lcore_new(e) : NULL;
	struct mls_app_epoch aep = {
		.suite = pc->s, .group_id = pc->group_id, .group_id_len = pc->group_id_len,
		.epoch = pc->epoch, .group_context = pc->gc_bytes,
		.group_context_len = pc->gc_len, .sender_data_secret = pc->sds,
	};
	struct mls_secret_tree *t = mls_secret_tree_new(pc->s, pc->enc, 2);
	uint8_t appsec[MLS_MAX_HASH], out[4096], ct[4096], *msg = NULL;
	struct mls_app_receiver *rx = NULL;
	struct mls_app_sender *tx = NULL;
	struct mls_app_msg m = {0};
	size_t len;

	if (lc == NULL || t == NULL ||
	    mls_secret_tree_leaf_secrets(t, SENDER, NULL, appsec) < 0 ||
	    !mlsv_get_hex(c, "application_priv", &msg, &len, r)) {
		mlsv_fail(r, "fast path: setup");
		goto out;
	}
	rx = mls_app_receiver_new(&aep, 2);
	tx = mls_app_sender_new(&aep, SENDER, appsec, 0, pc->priv);
	if (rx == NULL || tx == NULL ||
	    mls_app_receiver_add_member(rx, SENDER, appsec, 0, pc->pub) < 0) {
		mlsv_fail(r, "fast path: sender/receiver");
		goto out;
	}
	m.in = msg;
	m.in_len = (uint32_t)len;
	m.out = out;
	m.out_cap = sizeof(out);
	if (mls_unprotect_burst(lc, rx, &m, 1) != 1) {
		mlsv_fail(r, "fast path: application_priv: drop %s (%d)",
			  mls_app_drop_name(m.drop), m.status);
		goto out;
	}
	if (!mlsv_eq(r, "fast path payload", m.payload, m.payload_len, app, app_len)) {
		goto out;
	}
	/* The fast path's own message, opened by mls_framing. */
	memset(&m, 0, sizeof(m));
	m.in = app;
	m.in_len = (uint32_t)app_len;
	m.out = ct;
	m.out_cap = sizeof(ct);
	if (mls_protect_burst(lc, tx, &m, 1) != 1) {
		mlsv_fail(r, "fast path: protect: %d", m.status);
		goto out;
	}
	{
		struct mls_framing_epoch ep = epoch_view(pc);
		struct mls_authenticated_content ac;
		struct mls_arena a;
		int rc;

		mls_arena_init(&a, SIZE_MAX);
		rc = ep.secret_tree == NULL ? -ENOMEM :
					      mls_framing_unprotect(&ep, ct, m.out_len, &a, &ac);
		if (rc < 0) {
			mlsv_fail(r, "mls_framing cannot open the fast path's message: %s",
				  strerror(-rc));
		} else {
			same_content(&ac, MLS_CONTENT_APPLICATION, app, app_len, r,
				     "fast path -> mls_framing");
		}
		mls_arena_cleanup(&a);
		mls_secret_tree_free(ep.secret_tree);
	}
out:
	free(msg);
	mls_app_sender_free(tx);
	mls_app_receiver_free(rx);
	mls_secret_tree_free(t);
	mls_app_lcore_free(lc);
	crypto_aead_engine_free(e);
}

static bool load(const json_t *c, struct pcase *pc, struct mlsv_res *r)
{
	uint64_t id;
	struct mls_writer w;

	if (!mlsv_get_uint(c, "cipher_suite", &id) || id > UINT16_MAX ||
	    (pc->s = mls_suite_get((uint16_t)id)) == NULL) {
		mlsv_fail(r, "cipher suite missing or not supported");
		return false;
	}
	if (!mlsv_get_uint(c, "epoch", &pc->epoch) ||
	    !mlsv_get_hex(c, "group_id", &pc->group_id, &pc->group_id_len, r) ||
	    !mlsv_get_hex(c, "tree_hash", &pc->tree_hash, &pc->tree_hash_len, r) ||
	    !mlsv_get_hex(c, "confirmed_transcript_hash", &pc->cth, &pc->cth_len, r) ||
	    !mlsv_get_hex(c, "signature_priv", &pc->sig_priv, &pc->sig_priv_len, r) ||
	    !mlsv_get_hex(c, "signature_pub", &pc->sig_pub, &pc->sig_pub_len, r) ||
	    !mlsv_get_hex(c, "encryption_secret", &pc->enc, &pc->enc_len, r) ||
	    !mlsv_get_hex(c, "sender_data_secret", &pc->sds, &pc->sds_len, r) ||
	    !mlsv_get_hex(c, "membership_key", &pc->mk, &pc->mk_len, r)) {
		mlsv_fail(r, "missing fields");
		return false;
	}
	if (pc->enc_len != pc->s->nh || pc->sds_len != pc->s->nh || pc->mk_len != pc->s->nh) {
		mlsv_fail(r, "secrets are not Nh bytes");
		return false;
	}
	pc->gc.cipher_suite = pc->s->id;
	pc->gc.group_id = (struct mls_bytes){pc->group_id, pc->group_id_len};
	pc->gc.epoch = pc->epoch;
	pc->gc.tree_hash = (struct mls_bytes){pc->tree_hash, pc->tree_hash_len};
	pc->gc.confirmed_transcript_hash = (struct mls_bytes){pc->cth, pc->cth_len};
	mls_writer_init(&w, pc->gc_bytes, sizeof(pc->gc_bytes));
	if (mls_group_context_encode(&w, &pc->gc) < 0) {
		mlsv_fail(r, "GroupContext does not encode");
		return false;
	}
	pc->gc_len = mls_writer_len(&w);
	if (mls_sig_key_from_priv(pc->s, pc->sig_priv, pc->sig_priv_len, &pc->priv) < 0 ||
	    mls_sig_key_from_pub(pc->s, pc->sig_pub, pc->sig_pub_len, &pc->pub) < 0) {
		mlsv_fail(r, "signature keys do not load");
		return false;
	}
	return true;
}

static void unload(struct pcase *pc)
{
	EVP_PKEY_free(pc->priv);
	EVP_PKEY_free(pc->pub);
	free(pc->group_id);
	free(pc->tree_hash);
	free(pc->cth);
	free(pc->sig_priv);
	free(pc->sig_pub);
	free(pc->enc);
	free(pc->sds);
	free(pc->mk);
}

static void run_message_protection(const json_t *c, struct mlsv_res *r)
{
	uint8_t *prop = NULL, *commit = NULL, *app = NULL, tag_buf[MLS_MAX_HASH];
	size_t prop_len, commit_len, app_len;
	struct mls_bytes tag = {0};
	struct mls_framed_content fc;
	struct pcase pc = {0};
	struct mls_reader rd;
	struct mls_arena a;

	mls_arena_init(&a, SIZE_MAX);
	if (!load(c, &pc, r) || !mlsv_get_hex(c, "proposal", &prop, &prop_len, r) ||
	    !mlsv_get_hex(c, "commit", &commit, &commit_len, r) ||
	    !mlsv_get_hex(c, "application", &app, &app_len, r)) {
		goto out;
	}
	memset(&fc, 0, sizeof(fc));
	fc.group_id = pc.gc.group_id;
	fc.epoch = pc.epoch;
	fc.sender.type = MLS_SENDER_MEMBER;
	fc.sender.index = SENDER;

	/* Proposal. */
	open_given(&pc, c, "proposal_pub", MLS_CONTENT_PROPOSAL, prop, prop_len, r, NULL, NULL);
	open_given(&pc, c, "proposal_priv", MLS_CONTENT_PROPOSAL, prop, prop_len, r, NULL, NULL);
	mls_reader_init(&rd, prop, prop_len);
	fc.content_type = MLS_CONTENT_PROPOSAL;
	if (mls_proposal_decode(&rd, &a, &fc.proposal) < 0 || mls_read_end(&rd) < 0) {
		mlsv_fail(r, "proposal does not decode");
		goto out;
	}
	round_trip(&pc, MLS_WIRE_PUBLIC_MESSAGE, &fc, NULL, prop, prop_len, r, "proposal public");
	round_trip(&pc, MLS_WIRE_PRIVATE_MESSAGE, &fc, NULL, prop, prop_len, r, "proposal private");

	/* Commit: our own carry the confirmation tag of the case's commit_pub. */
	open_given(&pc, c, "commit_pub", MLS_CONTENT_COMMIT, commit, commit_len, r, &tag, tag_buf);
	open_given(&pc, c, "commit_priv", MLS_CONTENT_COMMIT, commit, commit_len, r, NULL, NULL);
	if (r->failed) {
		goto out;
	}
	mls_reader_init(&rd, commit, commit_len);
	fc.content_type = MLS_CONTENT_COMMIT;
	if (mls_commit_decode(&rd, &a, &fc.commit) < 0 || mls_read_end(&rd) < 0 ||
	    tag.len != pc.s->nh) {
		mlsv_fail(r, "commit does not decode");
		goto out;
	}
	round_trip(&pc, MLS_WIRE_PUBLIC_MESSAGE, &fc, tag.p, commit, commit_len, r, "commit public");
	round_trip(&pc, MLS_WIRE_PRIVATE_MESSAGE, &fc, tag.p, commit, commit_len, r,
		   "commit private");

	/* Application data: private only. */
	open_given(&pc, c, "application_priv", MLS_CONTENT_APPLICATION, app, app_len, r, NULL,
		   NULL);
	fc.content_type = MLS_CONTENT_APPLICATION;
	fc.application_data = (struct mls_bytes){app, app_len};
	round_trip(&pc, MLS_WIRE_PRIVATE_MESSAGE, &fc, NULL, app, app_len, r,
		   "application private");
	{
		struct mls_framing_epoch ep = epoch_view(&pc);
		uint8_t buf[4096];
		struct mls_writer w;
		int rc;

		mls_writer_init(&w, buf, sizeof(buf));
		rc = mls_framing_protect(&ep, MLS_WIRE_PUBLIC_MESSAGE, &fc, NULL, pc.priv, 0, &w);
		if (rc != -EINVAL) {
			mlsv_fail(r, "application data as a PublicMessage: got %d, want -EINVAL",
				  rc);
		}
		mls_secret_tree_free(ep.secret_tree);
	}
	fast_path(&pc, c, app, app_len, r);
out:
	mls_arena_cleanup(&a);
	free(prop);
	free(commit);
	free(app);
	unload(&pc);
}

static bool detect_message_protection(const json_t *first)
{
	return json_object_get(first, "application_priv") != NULL;
}

const struct mlsv_kind mlsv_message_protection = {"message-protection", run_message_protection,
						  detect_message_protection};
