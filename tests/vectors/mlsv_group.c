/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_group.c - the MLS vector kinds that need Welcome processing and the
 * group state machine (mls_group.h):
 *
 *  - welcome: the member of "key_package" decrypts its GroupSecrets from
 *    "welcome" with init_priv (its KeyPackageRef finds them), then the
 *    GroupInfo with the welcome secret (no PSKs); the GroupInfo's signature
 *    verifies with signer_pub, and its confirmation tag is
 *    MAC(confirmation_key, confirmed_transcript_hash) of the key schedule
 *    run from joiner_secret over its GroupContext. Built on the codec and
 *    the key schedule alone, as an independent check of mls_group_join.
 *  - passive-client-welcome, passive-client-handling-commit and
 *    passive-client-random: the KeyPackage is imported with its three
 *    private keys (mls_kp_import checks they match), the client joins from
 *    "welcome" (mls_group_join) with the external PSKs and, when given,
 *    the out-of-band ratchet tree, and has initial_epoch_authenticator.
 *    The external PSKs are then made known to the group, and each of
 *    "epochs" is replayed: its proposals, then its commit, through
 *    mls_group_handle, after which the epoch authenticator must match.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls/mls_codec.h"
#include "mls/mls_crypto.h"
#include "mls/mls_group.h"
#include "mls/mls_keysched.h"
#include "mls/mls_msg.h"
#include "mls_vectors.h"

#define ARENA_LIMIT (64u << 20)

static const char kp_ref_label[] = "MLS 1.0 KeyPackage Reference";

/* ---- welcome ------------------------------------------------------------------ */

/* Everything a welcome case holds (freed by welcome_free). */
struct wv {
	uint8_t *init_priv, *signer_pub, *kp, *welcome;
	size_t init_priv_len, signer_pub_len, kp_len, welcome_len;
	uint8_t *gs_pt, *gi_pt, *tbs, *gc;
	struct mls_arena a;
};

static void welcome_free(struct wv *v)
{
	free(v->init_priv);
	free(v->signer_pub);
	free(v->kp);
	free(v->welcome);
	free(v->gs_pt);
	free(v->gi_pt);
	free(v->tbs);
	free(v->gc);
	mls_arena_cleanup(&v->a);
}

/*
 * kp_bytes finds the encoded KeyPackage in |p|: an MLSMessage of wire
 * format mls_key_package, or a bare KeyPackage.
 */
static bool kp_bytes(struct wv *v, const uint8_t **kp, size_t *len)
{
	struct mls_message m;
	struct mls_key_package k;
	struct mls_reader r;

	mls_reader_init(&r, v->kp, v->kp_len);
	if (mls_message_decode(&r, &v->a, &m) == 0 && mls_read_end(&r) == 0 &&
	    m.wire_format == MLS_WIRE_KEY_PACKAGE) {
		*kp = v->kp + 4;	/* after version and wire_format */
		*len = v->kp_len - 4;
		return true;
	}
	mls_reader_init(&r, v->kp, v->kp_len);
	if (mls_key_package_decode(&r, &v->a, &k) == 0 && mls_read_end(&r) == 0) {
		*kp = v->kp;
		*len = v->kp_len;
		return true;
	}
	return false;
}

/* encode_alloc runs an encoder into a malloc'd buffer of |cap| bytes. */
static uint8_t *encode_alloc(size_t cap, size_t *len, int (*fn)(struct mls_writer *, const void *),
			     const void *arg)
{
	struct mls_writer w;
	uint8_t *b = malloc(cap);

	if (b == NULL) {
		return NULL;
	}
	mls_writer_init(&w, b, cap);
	if (fn(&w, arg) < 0 || !mls_writer_ok(&w)) {
		free(b);
		return NULL;
	}
	*len = mls_writer_len(&w);
	return b;
}

static int enc_gi_tbs(struct mls_writer *w, const void *arg)
{
	return mls_group_info_tbs_encode(w, arg);
}

static int enc_gc(struct mls_writer *w, const void *arg)
{
	return mls_group_context_encode(w, arg);
}

/* welcome_group_info decrypts |v|'s GroupSecrets and GroupInfo into |gs| and |gi|. */
static bool welcome_group_info(const struct mls_suite *s, struct wv *v,
			       struct mls_group_secrets *gs, struct mls_group_info *gi,
			       struct mlsv_res *r)
{
	uint8_t ref[MLS_MAX_HASH], psk[MLS_MAX_HASH] = {0}, ws[MLS_MAX_HASH];
	uint8_t key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE];
	const struct mls_encrypted_group_secrets *e = NULL;
	const struct mls_welcome *w;
	struct mls_message m;
	struct mls_reader rd;
	const uint8_t *kp;
	size_t kp_len, n;
	int rc;

	if (!kp_bytes(v, &kp, &kp_len)) {
		mlsv_fail(r, "key_package does not decode");
		return false;
	}
	rc = mls_ref_hash(s, kp_ref_label, sizeof(kp_ref_label) - 1, kp, kp_len, ref);
	if (rc < 0) {
		mlsv_fail(r, "KeyPackageRef: %s", strerror(-rc));
		return false;
	}
	mls_reader_init(&rd, v->welcome, v->welcome_len);
	rc = mls_message_decode(&rd, &v->a, &m);
	if (rc < 0 || mls_read_end(&rd) < 0 || m.wire_format != MLS_WIRE_WELCOME) {
		mlsv_fail(r, "welcome is not an MLSMessage(Welcome)");
		return false;
	}
	w = &m.welcome;
	for (size_t i = 0; i < w->n_secrets; i++) {
		if (w->secrets[i].new_member.len == s->nh &&
		    memcmp(w->secrets[i].new_member.p, ref, s->nh) == 0) {
			e = &w->secrets[i];
		}
	}
	if (e == NULL || e->encrypted_group_secrets.ciphertext.len < MLS_AEAD_TAG) {
		mlsv_fail(r, "no EncryptedGroupSecrets for the KeyPackageRef");
		return false;
	}
	n = e->encrypted_group_secrets.ciphertext.len - MLS_AEAD_TAG;
	v->gs_pt = malloc(n + 1);
	if (v->gs_pt == NULL) {
		mlsv_fail(r, "out of memory");
		return false;
	}
	rc = mls_decrypt_with_label(s, v->init_priv, v->init_priv_len, MLS_LABEL("Welcome"),
				    w->encrypted_group_info.p, w->encrypted_group_info.len,
				    e->encrypted_group_secrets.kem_output.p,
				    e->encrypted_group_secrets.kem_output.len,
				    e->encrypted_group_secrets.ciphertext.p,
				    e->encrypted_group_secrets.ciphertext.len, v->gs_pt);
	if (rc < 0) {
		mlsv_fail(r, "GroupSecrets do not decrypt: %s", strerror(-rc));
		return false;
	}
	mls_reader_init(&rd, v->gs_pt, n);
	if (mls_group_secrets_decode(&rd, &v->a, gs) < 0 || mls_read_end(&rd) < 0 ||
	    gs->joiner_secret.len != s->nh) {
		mlsv_fail(r, "GroupSecrets do not decode");
		return false;
	}
	if (gs->n_psks > 0) {
		mlsv_fail(r, "GroupSecrets name PSKs the welcome kind does not have");
		return false;
	}
	rc = mls_keysched_welcome_secret(s, gs->joiner_secret.p, psk, ws);
	if (rc == 0) {
		rc = mls_keysched_welcome_key(s, ws, key, nonce);
	}
	if (rc < 0 || w->encrypted_group_info.len < MLS_AEAD_TAG) {
		mlsv_fail(r, "welcome key: %s", strerror(rc < 0 ? -rc : EBADMSG));
		return false;
	}
	n = w->encrypted_group_info.len - MLS_AEAD_TAG;
	v->gi_pt = malloc(n + 1);
	if (v->gi_pt == NULL) {
		mlsv_fail(r, "out of memory");
		return false;
	}
	rc = mls_aead_open(s, key, nonce, NULL, 0, w->encrypted_group_info.p,
			   w->encrypted_group_info.len, v->gi_pt);
	if (rc < 0) {
		mlsv_fail(r, "GroupInfo does not decrypt: %s", strerror(-rc));
		return false;
	}
	mls_reader_init(&rd, v->gi_pt, n);
	if (mls_group_info_decode(&rd, &v->a, gi) < 0 || mls_read_end(&rd) < 0) {
		mlsv_fail(r, "GroupInfo does not decode");
		return false;
	}
	return true;
}

static void run_welcome(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s = mlsv_suite_of(c, r);
	struct mls_group_secrets gs;
	struct mls_group_info gi;
	struct mls_epoch_secrets es;
	uint8_t psk[MLS_MAX_HASH] = {0}, tag[MLS_MAX_HASH];
	EVP_PKEY *pub = NULL;
	size_t tbs_len, gc_len;
	struct wv v;
	int rc;

	if (s == NULL) {
		return;
	}
	memset(&v, 0, sizeof(v));
	memset(&es, 0, sizeof(es));
	mls_arena_init(&v.a, ARENA_LIMIT);
	if (!mlsv_get_hex(c, "init_priv", &v.init_priv, &v.init_priv_len, r) ||
	    !mlsv_get_hex(c, "signer_pub", &v.signer_pub, &v.signer_pub_len, r) ||
	    !mlsv_get_hex(c, "key_package", &v.kp, &v.kp_len, r) ||
	    !mlsv_get_hex(c, "welcome", &v.welcome, &v.welcome_len, r)) {
		goto out;
	}
	if (!welcome_group_info(s, &v, &gs, &gi, r)) {
		goto out;
	}
	/* neither is longer than the GroupInfo, which is shorter than the Welcome */
	v.tbs = encode_alloc(v.welcome_len + 64, &tbs_len, enc_gi_tbs, &gi);
	if (v.tbs == NULL) {
		mlsv_fail(r, "GroupInfoTBS does not encode");
		goto out;
	}
	rc = mls_sig_key_from_pub(s, v.signer_pub, v.signer_pub_len, &pub);
	if (rc == 0) {
		rc = mls_verify_with_label(s, pub, MLS_LABEL("GroupInfoTBS"), v.tbs, tbs_len,
					   gi.signature.p, gi.signature.len);
	}
	if (rc < 0) {
		mlsv_fail(r, "GroupInfo signature: %s", strerror(-rc));
		goto out;
	}
	v.gc = encode_alloc(v.welcome_len + 64, &gc_len, enc_gc, &gi.group_context);
	if (v.gc == NULL) {
		mlsv_fail(r, "GroupContext does not encode");
		goto out;
	}
	rc = mls_keysched_from_joiner(s, gs.joiner_secret.p, psk, v.gc, gc_len, &es);
	if (rc == 0) {
		rc = mls_mac(s, es.confirmation_key, s->nh,
			     gi.group_context.confirmed_transcript_hash.p,
			     gi.group_context.confirmed_transcript_hash.len, tag);
	}
	if (rc < 0) {
		mlsv_fail(r, "key schedule: %s", strerror(-rc));
		goto out;
	}
	mlsv_eq(r, "confirmation_tag", tag, s->nh, gi.confirmation_tag.p, gi.confirmation_tag.len);
out:
	mls_epoch_secrets_wipe(&es);
	EVP_PKEY_free(pub);
	welcome_free(&v);
}

static bool detect_welcome(const json_t *first)
{
	return json_object_get(first, "signer_pub") != NULL &&
	       json_object_get(first, "welcome") != NULL;
}

/* ---- passive clients ------------------------------------------------------------- */

/* The hex buffers of a passive-client case (freed by passive_free). */
struct pv {
	uint8_t *kp, *sig_priv, *enc_priv, *init_priv, *welcome, *tree, *auth;
	size_t kp_len, sig_priv_len, enc_priv_len, init_priv_len, welcome_len, tree_len, auth_len;
	struct mls_group_psk *psks;
	uint8_t **psk_bufs;		/* 2 per PSK: id, value */
	size_t n_psks;
};

static void passive_free(struct pv *v)
{
	free(v->kp);
	free(v->sig_priv);
	free(v->enc_priv);
	free(v->init_priv);
	free(v->welcome);
	free(v->tree);
	free(v->auth);
	for (size_t i = 0; v->psk_bufs != NULL && i < 2 * v->n_psks; i++) {
		free(v->psk_bufs[i]);
	}
	free(v->psk_bufs);
	free(v->psks);
}

/* load_psks reads external_psks [{psk_id, psk}] into |v|. */
static bool load_psks(const json_t *c, struct pv *v, struct mlsv_res *r)
{
	const json_t *l = json_object_get(c, "external_psks");
	size_t n;

	if (l == NULL || json_is_null(l)) {
		return true;
	}
	if (!json_is_array(l)) {
		mlsv_fail(r, "external_psks is not an array");
		return false;
	}
	n = json_array_size(l);
	if (n == 0) {
		return true;
	}
	v->psks = calloc(n, sizeof(*v->psks));
	v->psk_bufs = calloc(2 * n, sizeof(*v->psk_bufs));
	if (v->psks == NULL || v->psk_bufs == NULL) {
		mlsv_fail(r, "out of memory");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(l, i);
		struct mls_group_psk *k = &v->psks[i];

		v->n_psks = i + 1;
		if (!mlsv_get_hex(p, "psk_id", &v->psk_bufs[2 * i], &k->id_len, r) ||
		    !mlsv_get_hex(p, "psk", &v->psk_bufs[2 * i + 1], &k->psk_len, r)) {
			return false;
		}
		k->id = v->psk_bufs[2 * i];
		k->psk = v->psk_bufs[2 * i + 1];
	}
	return true;
}

/* check_auth compares the group's epoch authenticator with |want|. */
static bool check_auth(const struct mls_group *g, const char *what, const uint8_t *want,
		       size_t want_len, struct mlsv_res *r)
{
	uint8_t got[MLS_MAX_HASH];
	const struct mls_suite *s = mls_group_suite(g);

	if (mls_group_epoch_authenticator(g, got) < 0) {
		mlsv_fail(r, "%s: no epoch authenticator", what);
		return false;
	}
	return mlsv_eq(r, what, got, s->nh, want, want_len);
}

/* handle_hex feeds the hex MLSMessage |m| to mls_group_handle. */
static bool handle_hex(struct mls_group *g, const json_t *m, const char *what, size_t epoch,
		       struct mlsv_res *r)
{
	uint8_t *b;
	size_t n;
	int rc;

	if (!json_is_string(m) || mlsv_hex_decode(json_string_value(m), &b, &n) < 0) {
		mlsv_fail(r, "epoch %zu: %s is not hex", epoch, what);
		return false;
	}
	rc = mls_group_handle(g, b, n, NULL);
	free(b);
	if (rc < 0) {
		mlsv_fail(r, "epoch %zu: %s: %s", epoch, what, strerror(-rc));
		return false;
	}
	return true;
}

/* replay_epoch handles an epoch's proposals and commit, then checks its authenticator. */
static bool replay_epoch(struct mls_group *g, const json_t *e, size_t idx, struct mlsv_res *r)
{
	const json_t *props = json_object_get(e, "proposals");
	uint8_t *auth = NULL;
	size_t auth_len;
	char what[64];
	bool ok;

	if (!json_is_object(e) || (props != NULL && !json_is_array(props))) {
		mlsv_fail(r, "epoch %zu is malformed", idx);
		return false;
	}
	for (size_t i = 0; i < json_array_size(props); i++) {
		snprintf(what, sizeof(what), "proposal %zu", i);
		if (!handle_hex(g, json_array_get(props, i), what, idx, r)) {
			return false;
		}
	}
	if (!handle_hex(g, json_object_get(e, "commit"), "commit", idx, r)) {
		return false;
	}
	if (!mlsv_get_hex(e, "epoch_authenticator", &auth, &auth_len, r)) {
		return false;
	}
	snprintf(what, sizeof(what), "epoch %zu: epoch_authenticator", idx);
	ok = check_auth(g, what, auth, auth_len, r);
	free(auth);
	return ok;
}

static void run_passive(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s = mlsv_suite_of(c, r);
	const json_t *tree = json_object_get(c, "ratchet_tree");
	const json_t *epochs = json_object_get(c, "epochs");
	struct mls_join_opts o;
	struct mls_group *g = NULL;
	struct mls_kp *kp = NULL;
	struct pv v;
	int rc;

	if (s == NULL) {
		return;
	}
	memset(&v, 0, sizeof(v));
	if (!mlsv_get_hex(c, "key_package", &v.kp, &v.kp_len, r) ||
	    !mlsv_get_hex(c, "signature_priv", &v.sig_priv, &v.sig_priv_len, r) ||
	    !mlsv_get_hex(c, "encryption_priv", &v.enc_priv, &v.enc_priv_len, r) ||
	    !mlsv_get_hex(c, "init_priv", &v.init_priv, &v.init_priv_len, r) ||
	    !mlsv_get_hex(c, "welcome", &v.welcome, &v.welcome_len, r) ||
	    !mlsv_get_hex(c, "initial_epoch_authenticator", &v.auth, &v.auth_len, r) ||
	    !load_psks(c, &v, r)) {
		goto out;
	}
	if (tree != NULL && !json_is_null(tree) &&
	    !mlsv_get_hex(c, "ratchet_tree", &v.tree, &v.tree_len, r)) {
		goto out;
	}
	if (epochs != NULL && !json_is_array(epochs)) {
		mlsv_fail(r, "epochs is not an array");
		goto out;
	}
	rc = mls_kp_import(v.kp, v.kp_len, v.init_priv, v.init_priv_len, v.enc_priv,
			   v.enc_priv_len, v.sig_priv, v.sig_priv_len, &kp);
	if (rc < 0) {
		mlsv_fail(r, "key_package with its private keys: %s", strerror(-rc));
		goto out;
	}
	if (mls_kp_suite(kp) != s) {
		mlsv_fail(r, "key_package is not of cipher_suite");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.ratchet_tree = v.tree;
	o.ratchet_tree_len = v.tree_len;
	o.psks = v.psks;
	o.n_psks = v.n_psks;
	rc = mls_group_join(kp, v.welcome, v.welcome_len, &o, &g);
	if (rc < 0) {
		mlsv_fail(r, "join: %s", strerror(-rc));
		goto out;
	}
	if (!check_auth(g, "initial_epoch_authenticator", v.auth, v.auth_len, r)) {
		goto out;
	}
	/* the epochs' PreSharedKey proposals name the same external PSKs */
	for (size_t i = 0; i < v.n_psks; i++) {
		rc = mls_group_psk_add(g, &v.psks[i]);
		if (rc < 0) {
			mlsv_fail(r, "external psk %zu: %s", i, strerror(-rc));
			goto out;
		}
	}
	for (size_t i = 0; i < json_array_size(epochs) && !r->failed; i++) {
		replay_epoch(g, json_array_get(epochs, i), i, r);
	}
out:
	mls_group_free(g);
	mls_kp_free(kp);
	passive_free(&v);
}

static bool detect_passive(const json_t *first)
{
	return json_object_get(first, "initial_epoch_authenticator") != NULL;
}

const struct mlsv_kind mlsv_welcome = {"welcome", run_welcome, detect_welcome};
const struct mlsv_kind mlsv_passive_client_welcome = {"passive-client-welcome", run_passive,
						      detect_passive};
const struct mlsv_kind mlsv_passive_client_handling_commit = {"passive-client-handling-commit",
							       run_passive, NULL};
const struct mlsv_kind mlsv_passive_client_random = {"passive-client-random", run_passive, NULL};
