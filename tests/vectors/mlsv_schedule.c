/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_schedule.c - the MLS vector kinds of the key schedule:
 *
 *  - secret-tree: for each leaf, the handshake and application keys and
 *    nonces at the listed generations (taken in order from a fresh tree,
 *    so the ratchets also skip forward), and the sender-data key and nonce
 *    from the ciphertext sample.
 *  - key-schedule: five chained epochs per suite: every epoch secret, the
 *    epoch authenticator, external_pub (KEM.DeriveKeyPair of
 *    external_secret) and one exporter value. The exporter's "label" is
 *    used as its hex text, byte for byte (the generator passed the string
 *    as the label; decoding it to bytes gives other values for all 7
 *    suites), and "context" as decoded bytes.
 *  - psk_secret: 0 to 10 external PSKs chained into psk_secret.
 *  - transcript-hashes: the confirmed and interim hashes after a Commit,
 *    and its confirmation tag.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mls/mls_codec.h"
#include "mls/mls_crypto.h"
#include "mls/mls_arena.h"
#include "mls/mls_keysched.h"
#include "mls/mls_msg.h"
#include "mls/mls_secret_tree.h"
#include "mls_vectors.h"

/* check_hex compares |got| with the hex member |key| of |o|. */
static bool check_hex(const json_t *o, const char *key, const uint8_t *got, size_t got_len,
		      struct mlsv_res *r)
{
	uint8_t *want;
	size_t n;
	bool ok;

	if (!mlsv_get_hex(o, key, &want, &n, r)) {
		return false;
	}
	ok = mlsv_eq(r, key, got, got_len, want, n);
	free(want);
	return ok;
}

static void check_leaf(const struct mls_suite *s, struct mls_secret_tree *t, uint32_t leaf,
		       const json_t *gens, struct mlsv_res *r)
{
	for (size_t i = 0; i < json_array_size(gens) && !r->failed; i++) {
		const json_t *g = json_array_get(gens, i);
		uint8_t key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE];
		struct mls_ratchet *hs, *app;
		uint64_t gen;
		int rc;

		if (!mlsv_get_uint(g, "generation", &gen) || gen > UINT32_MAX) {
			mlsv_fail(r, "leaf %u: bad generation", leaf);
			return;
		}
		rc = mls_secret_tree_ratchet(t, leaf, MLS_RATCHET_HANDSHAKE, &hs);
		if (rc == 0) {
			rc = mls_secret_tree_ratchet(t, leaf, MLS_RATCHET_APPLICATION, &app);
		}
		if (rc == 0) {
			rc = mls_ratchet_get(hs, (uint32_t)gen, key, nonce);
		}
		if (rc < 0) {
			mlsv_fail(r, "leaf %u generation %llu: handshake ratchet: %s", leaf,
				  (unsigned long long)gen, strerror(-rc));
			return;
		}
		if (!check_hex(g, "handshake_key", key, s->nk, r) ||
		    !check_hex(g, "handshake_nonce", nonce, s->nn, r)) {
			return;
		}
		rc = mls_ratchet_get(app, (uint32_t)gen, key, nonce);
		if (rc < 0) {
			mlsv_fail(r, "leaf %u generation %llu: application ratchet: %s", leaf,
				  (unsigned long long)gen, strerror(-rc));
			return;
		}
		if (!check_hex(g, "application_key", key, s->nk, r) ||
		    !check_hex(g, "application_nonce", nonce, s->nn, r)) {
			return;
		}
		/* The key is forgotten once used: asking again must find nothing. */
		rc = mls_ratchet_get(app, (uint32_t)gen, key, nonce);
		if (rc != -ENOENT) {
			mlsv_fail(r, "leaf %u generation %llu: a used key came back (%d)", leaf,
				  (unsigned long long)gen, rc);
		}
	}
}

static void run_secret_tree(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s = mlsv_suite_of(c, r);
	const json_t *sd = json_object_get(c, "sender_data");
	const json_t *leaves = json_object_get(c, "leaves");
	uint8_t *enc = NULL, *sds = NULL, *ct = NULL;
	uint8_t key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE];
	struct mls_secret_tree *t = NULL;
	size_t enc_len, sds_len, ct_len;
	int rc;

	if (s == NULL) {
		return;
	}
	if (!json_is_object(sd) || !json_is_array(leaves) || json_array_size(leaves) == 0) {
		mlsv_fail(r, "sender_data or leaves missing");
		return;
	}
	if (!mlsv_get_hex(c, "encryption_secret", &enc, &enc_len, r) ||
	    !mlsv_get_hex(sd, "sender_data_secret", &sds, &sds_len, r) ||
	    !mlsv_get_hex(sd, "ciphertext", &ct, &ct_len, r)) {
		goto out;
	}
	if (enc_len != s->nh || sds_len != s->nh) {
		mlsv_fail(r, "secrets are not Nh bytes");
		goto out;
	}
	rc = mls_sender_data_keys(s, sds, ct, ct_len, key, nonce);
	if (rc < 0) {
		mlsv_fail(r, "sender data keys: %s", strerror(-rc));
		goto out;
	}
	if (!check_hex(sd, "key", key, s->nk, r) || !check_hex(sd, "nonce", nonce, s->nn, r)) {
		goto out;
	}
	t = mls_secret_tree_new(s, enc, (uint32_t)json_array_size(leaves));
	if (t == NULL) {
		mlsv_fail(r, "mls_secret_tree_new failed");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(leaves) && !r->failed; i++) {
		check_leaf(s, t, (uint32_t)i, json_array_get(leaves, i), r);
	}
out:
	mls_secret_tree_free(t);
	free(enc);
	free(sds);
	free(ct);
}

static bool detect_secret_tree(const json_t *first)
{
	return json_object_get(first, "encryption_secret") != NULL &&
	       json_object_get(first, "leaves") != NULL;
}

static void run_epoch(const struct mls_suite *s, const json_t *e, size_t idx, uint8_t *init,
		      struct mlsv_res *r)
{
	uint8_t *commit = NULL, *psk = NULL, *gc = NULL, *label = NULL, *ctx = NULL;
	size_t commit_len, psk_len, gc_len, label_len, ctx_len;
	uint8_t priv[MLS_MAX_KEM_PRIV], pub[MLS_MAX_KEM_PUB], out[256];
	const json_t *ex = json_object_get(e, "exporter");
	struct mls_epoch_secrets es;
	uint64_t length;
	int rc;

	if (!mlsv_get_hex(e, "commit_secret", &commit, &commit_len, r) ||
	    !mlsv_get_hex(e, "psk_secret", &psk, &psk_len, r) ||
	    !mlsv_get_hex(e, "group_context", &gc, &gc_len, r)) {
		goto out;
	}
	if (commit_len != s->nh || psk_len != s->nh) {
		mlsv_fail(r, "epoch %zu: commit_secret or psk_secret is not Nh bytes", idx);
		goto out;
	}
	rc = mls_keysched_epoch(s, init, commit, psk, gc, gc_len, &es);
	if (rc < 0) {
		mlsv_fail(r, "epoch %zu: key schedule: %s", idx, strerror(-rc));
		goto out;
	}
	{
		const struct {
			const char *key;
			const uint8_t *got;
		} v[] = {
			{"joiner_secret", es.joiner},
			{"welcome_secret", es.welcome},
			{"init_secret", es.init},
			{"sender_data_secret", es.sender_data},
			{"encryption_secret", es.encryption},
			{"exporter_secret", es.exporter},
			{"epoch_authenticator", es.epoch_authenticator},
			{"external_secret", es.external},
			{"confirmation_key", es.confirmation_key},
			{"membership_key", es.membership_key},
			{"resumption_psk", es.resumption_psk},
		};

		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			if (!check_hex(e, v[i].key, v[i].got, s->nh, r)) {
				goto out_es;
			}
		}
	}
	rc = mls_hpke_derive_keypair(s, es.external, s->nh, priv, pub);
	if (rc < 0) {
		mlsv_fail(r, "epoch %zu: DeriveKeyPair(external_secret): %s", idx, strerror(-rc));
		goto out_es;
	}
	if (!check_hex(e, "external_pub", pub, s->kem_npk, r)) {
		goto out_es;
	}
	if (!json_is_object(ex) || !mlsv_get_hex(ex, "label", &label, &label_len, r) ||
	    !mlsv_get_hex(ex, "context", &ctx, &ctx_len, r) ||
	    !mlsv_get_uint(ex, "length", &length) || length > sizeof(out)) {
		mlsv_fail(r, "epoch %zu: bad exporter", idx);
		goto out_es;
	}
	rc = mls_keysched_export(s, es.exporter, json_string_value(json_object_get(ex, "label")),
				 label_len * 2, ctx, ctx_len, out, (size_t)length);
	if (rc < 0) {
		mlsv_fail(r, "epoch %zu: exporter: %s", idx, strerror(-rc));
		goto out_es;
	}
	if (!check_hex(ex, "secret", out, (size_t)length, r)) {
		goto out_es;
	}
	memcpy(init, es.init, s->nh);
out_es:
	mls_epoch_secrets_wipe(&es);
out:
	free(commit);
	free(psk);
	free(gc);
	free(label);
	free(ctx);
}

static void run_key_schedule(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s = mlsv_suite_of(c, r);
	const json_t *epochs = json_object_get(c, "epochs");
	uint8_t init[MLS_MAX_HASH], *init0 = NULL;
	size_t init_len;

	if (s == NULL) {
		return;
	}
	if (!json_is_array(epochs) || !mlsv_get_hex(c, "initial_init_secret", &init0, &init_len, r)) {
		mlsv_fail(r, "epochs or initial_init_secret missing");
		free(init0);
		return;
	}
	if (init_len != s->nh) {
		mlsv_fail(r, "initial_init_secret is not Nh bytes");
		free(init0);
		return;
	}
	memcpy(init, init0, s->nh);
	free(init0);
	for (size_t i = 0; i < json_array_size(epochs) && !r->failed; i++) {
		run_epoch(s, json_array_get(epochs, i), i, init, r);
	}
}

static bool detect_key_schedule(const json_t *first)
{
	return json_object_get(first, "initial_init_secret") != NULL;
}

static void run_psk_secret(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s = mlsv_suite_of(c, r);
	const json_t *psks = json_object_get(c, "psks");
	struct mls_psk_input in[16];
	uint8_t ids[16][256], *bufs[48] = {0};
	uint8_t out[MLS_MAX_HASH];
	size_t n, nb = 0;
	int rc;

	if (s == NULL) {
		return;
	}
	n = json_array_size(psks);
	if (!json_is_array(psks) || n > 16) {
		mlsv_fail(r, "psks is not an array of at most 16");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(psks, i);
		uint8_t *id, *nonce, *psk;
		size_t id_len, nonce_len, psk_len;
		struct mls_writer w;

		if (!mlsv_get_hex(p, "psk_id", &id, &id_len, r)) {
			goto out;
		}
		bufs[nb++] = id;
		if (!mlsv_get_hex(p, "psk_nonce", &nonce, &nonce_len, r)) {
			goto out;
		}
		bufs[nb++] = nonce;
		if (!mlsv_get_hex(p, "psk", &psk, &psk_len, r)) {
			goto out;
		}
		bufs[nb++] = psk;
		/* PreSharedKeyID{psktype external (1), psk_id<V>, psk_nonce<V>}. */
		mls_writer_init(&w, ids[i], sizeof(ids[i]));
		if (mls_write_u8(&w, 1) < 0 || mls_write_opaque(&w, id, id_len) < 0 ||
		    mls_write_opaque(&w, nonce, nonce_len) < 0) {
			mlsv_fail(r, "psk %zu: id too long for the test", i);
			goto out;
		}
		in[i].id = ids[i];
		in[i].id_len = mls_writer_len(&w);
		in[i].psk = psk;
		in[i].psk_len = psk_len;
	}
	rc = mls_keysched_psk_secret(s, in, n, out);
	if (rc < 0) {
		mlsv_fail(r, "psk_secret: %s", strerror(-rc));
	} else {
		check_hex(c, "psk_secret", out, s->nh, r);
	}
out:
	for (size_t i = 0; i < nb; i++) {
		free(bufs[i]);
	}
}

static bool detect_psk_secret(const json_t *first)
{
	return json_object_get(first, "psks") != NULL;
}

const struct mlsv_kind mlsv_secret_tree = {"secret-tree", run_secret_tree, detect_secret_tree};
const struct mlsv_kind mlsv_key_schedule = {"key-schedule", run_key_schedule,
					    detect_key_schedule};
const struct mlsv_kind mlsv_psk_secret = {"psk_secret", run_psk_secret, detect_psk_secret};
/*
 * transcript-hashes: the AuthenticatedContent (a Commit) decodes; its
 * confirmation_tag is MAC(confirmation_key, confirmed_after); confirmed_after
 * = Hash(interim_before || ConfirmedTranscriptHashInput) and interim_after =
 * Hash(confirmed_after || InterimTranscriptHashInput).
 */
static void run_transcript_hashes(const json_t *c, struct mlsv_res *r)
{
	const struct mls_suite *s = mlsv_suite_of(c, r);
	uint8_t *ck = NULL, *acb = NULL, *before = NULL;
	size_t ck_len, acb_len, before_len;
	uint8_t confirmed[MLS_MAX_HASH], interim[MLS_MAX_HASH], tag[MLS_MAX_HASH];
	uint8_t cin[8192], iin[128];
	struct mls_authenticated_content ac;
	struct mls_writer wc, wi;
	struct mls_reader rd;
	struct mls_arena a;
	int rc;

	if (s == NULL) {
		return;
	}
	mls_arena_init(&a, 1u << 20);
	if (!mlsv_get_hex(c, "confirmation_key", &ck, &ck_len, r) ||
	    !mlsv_get_hex(c, "authenticated_content", &acb, &acb_len, r) ||
	    !mlsv_get_hex(c, "interim_transcript_hash_before", &before, &before_len, r)) {
		goto out;
	}
	mls_reader_init(&rd, acb, acb_len);
	rc = mls_authenticated_content_decode(&rd, &a, &ac);
	if (rc < 0 || mls_read_end(&rd) < 0) {
		mlsv_fail(r, "authenticated_content does not decode: %s", strerror(rc < 0 ? -rc : EBADMSG));
		goto out;
	}
	mls_writer_init(&wc, cin, sizeof(cin));
	mls_writer_init(&wi, iin, sizeof(iin));
	if (mls_confirmed_transcript_hash_input_encode(&wc, &ac) < 0 ||
	    mls_interim_transcript_hash_input_encode(&wi, ac.auth.confirmation_tag) < 0) {
		mlsv_fail(r, "transcript hash inputs do not encode");
		goto out;
	}
	rc = mls_keysched_transcript(s, before, before_len, cin, mls_writer_len(&wc), iin,
				     mls_writer_len(&wi), confirmed, interim);
	if (rc < 0) {
		mlsv_fail(r, "transcript: %s", strerror(-rc));
		goto out;
	}
	if (!check_hex(c, "confirmed_transcript_hash_after", confirmed, s->nh, r) ||
	    !check_hex(c, "interim_transcript_hash_after", interim, s->nh, r)) {
		goto out;
	}
	rc = mls_mac(s, ck, ck_len, confirmed, s->nh, tag);
	if (rc < 0) {
		mlsv_fail(r, "confirmation tag: %s", strerror(-rc));
		goto out;
	}
	mlsv_eq(r, "confirmation_tag", tag, s->nh, ac.auth.confirmation_tag.p,
		ac.auth.confirmation_tag.len);
out:
	mls_arena_cleanup(&a);
	free(ck);
	free(acb);
	free(before);
}

static bool detect_transcript_hashes(const json_t *first)
{
	return json_object_get(first, "interim_transcript_hash_before") != NULL;
}

const struct mlsv_kind mlsv_transcript_hashes = {"transcript-hashes", run_transcript_hashes,
						 detect_transcript_hashes};
