/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_app_protect.c - the sending half of the MLS fast path
 * (mls_protect_burst, mls_protect_batch; the contract is mls_app.h, the
 * wire layout is at the top of mls_app.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mls_app_internal.h"

/* reuse_guard takes 4 bytes from the lcore's pool (refilled from the DRBG in bulk). */
static int reuse_guard(struct mls_app_lcore *lc, uint8_t g[4])
{
	if (lc->rnd_pos + 4 > RND_POOL) {
		if (RAND_bytes(lc->rnd, RND_POOL) != 1) {
			return -EIO;
		}
		lc->rnd_pos = 0;
	}
	memcpy(g, lc->rnd + lc->rnd_pos, 4);
	OPENSSL_cleanse(lc->rnd + lc->rnd_pos, 4);
	lc->rnd_pos += 4;
	return 0;
}


/*
 * lay_out writes the framing of a PrivateMessage into |out| around a
 * content plaintext of app<V> || sig<V>: copies the application data and
 * the signature, leaves room for the sender data and the tags. Sets the
 * slot's ct/ct_len/esd and returns the total length or -ENOSPC.
 */
static int lay_out(const struct mls_app_epoch_state *es, struct slot *sl, const uint8_t *ad,
		   size_t ad_len, const uint8_t *app, size_t app_len, size_t sig_len,
		   uint8_t *out, size_t cap, size_t *out_len)
{
	size_t pt_len = mls_varint_len(app_len) + app_len + mls_varint_len(sig_len) + sig_len;
	struct mls_writer w;
	size_t ct_pos;

	mls_writer_init(&w, out, cap);
	if (mls_write_bytes(&w, es->hdr, es->hdr_len) < 0 ||
	    mls_write_opaque(&w, ad, ad_len) < 0 || mls_write_varint(&w, ESD_LEN) < 0) {
		return -ENOSPC;
	}
	sl->esd = out + mls_writer_len(&w);
	if (mls_write_bytes(&w, sl->sd, ESD_LEN - MLS_AEAD_TAG) < 0 ||
	    mls_write_bytes(&w, sl->sd, MLS_AEAD_TAG) < 0 ||	/* room for the tag */
	    mls_write_varint(&w, pt_len + MLS_AEAD_TAG) < 0) {
		return -ENOSPC;
	}
	ct_pos = mls_writer_len(&w);
	if (mls_write_opaque(&w, app, app_len) < 0 || mls_write_opaque(&w, sl->sig, sig_len) < 0 ||
	    mls_write_bytes(&w, sl->sig, MLS_AEAD_TAG) < 0) {
		return -ENOSPC;
	}
	sl->ct = out + ct_pos;
	sl->ct_len = (uint32_t)pt_len;
	*out_len = mls_writer_len(&w);
	return 0;
}


/*
 * protect_one prepares message |m| in slot |i|: generation, reuse guard,
 * signature, layout; the content seal op goes in lc->ops[i]. |ad| is the
 * authenticated_data, |app|/|app_len| the application data.
 */
static void protect_one(struct mls_app_lcore *lc, struct mls_app_sender *s, uint16_t i,
			struct mls_app_msg *m, const uint8_t *ad, size_t ad_len,
			const uint8_t *app, size_t app_len, size_t *out_len)
{
	const struct mls_suite *su = s->es.suite;
	struct slot *sl = &lc->slots[i];
	size_t tbs_len, sig_len;
	uint8_t guard[4];
	int rc;

	lc->ops[i].status = -EINVAL;	/* not prepared unless it gets to the end */
	if (app_len > MLS_APP_MAX_PAYLOAD) {
		drop(lc, m, MLS_APP_DROP_NO_ROOM, -EMSGSIZE);
		return;
	}
	/* The output must fit before a generation is spent on it. */
	if ((size_t)m->out_cap < s->es.hdr_len + 1 + ad_len + 1 + ESD_LEN + 2 * MLS_VARINT_MAX_LEN +
				   app_len + MLS_VARINT_MAX_LEN + MLS_MAX_SIG + MLS_AEAD_TAG) {
		drop(lc, m, MLS_APP_DROP_NO_ROOM, -ENOSPC);
		return;
	}
	rc = mls_app_build_tbs(lc, &s->es, s->leaf, ad, ad_len, app, app_len, &tbs_len);
	if (rc < 0) {
		drop(lc, m, MLS_APP_DROP_NO_ROOM, rc);
		return;
	}
	rc = mls_ratchet_next(&s->ratchet, &m->generation, sl->key, sl->nonce);
	if (rc == 0) {
		rc = reuse_guard(lc, guard);
	}
	if (rc == 0) {
		rc = mls_sign_raw(su, s->sig, lc->tbs, tbs_len, sl->sig, sizeof(sl->sig), &sig_len);
	}
	if (rc < 0) {
		drop(lc, m, MLS_APP_DROP_CRYPTO, rc);
		return;
	}
	/* RFC 9420 section 6.3.2: the reuse guard is XORed into the nonce's first 4 bytes. */
	for (int k = 0; k < 4; k++) {
		sl->nonce[k] ^= guard[k];
	}
	/* SenderData plaintext: leaf, generation, reuse guard. */
	sl->sd[0] = (uint8_t)(s->leaf >> 24);
	sl->sd[1] = (uint8_t)(s->leaf >> 16);
	sl->sd[2] = (uint8_t)(s->leaf >> 8);
	sl->sd[3] = (uint8_t)s->leaf;
	sl->sd[4] = (uint8_t)(m->generation >> 24);
	sl->sd[5] = (uint8_t)(m->generation >> 16);
	sl->sd[6] = (uint8_t)(m->generation >> 8);
	sl->sd[7] = (uint8_t)m->generation;
	memcpy(sl->sd + 8, guard, 4);
	rc = lay_out(&s->es, sl, ad, ad_len, app, app_len, sig_len, m->out, m->out_cap, out_len);
	if (rc < 0) {
		drop(lc, m, MLS_APP_DROP_NO_ROOM, rc);
		return;
	}
	if (ad_len == 0) {
		sl->ad = s->es.pc_aad;
		sl->ad_len = (uint32_t)s->es.pc_aad_len;
	} else {
		struct mls_writer w;

		mls_writer_init(&w, sl->aad, sizeof(sl->aad));
		if (mls_write_bytes(&w, s->es.sd_aad, s->es.sd_aad_len) < 0 ||
		    mls_write_opaque(&w, ad, ad_len) < 0) {
			drop(lc, m, MLS_APP_DROP_NO_ROOM, -ENOSPC);
			return;
		}
		sl->ad = sl->aad;
		sl->ad_len = (uint32_t)mls_writer_len(&w);
	}
	rc = crypto_aead_key_rekey(lc->engine, lc->keys[alg_index(su)][0][i], sl->key, su->nk);
	if (rc < 0) {
		drop(lc, m, MLS_APP_DROP_CRYPTO, rc);
		return;
	}
	set_op(&lc->ops[i], lc->keys[alg_index(su)][0][i], (uint8_t *)sl->ct, NULL, sl->ct_len,
	       sl->ad, sl->ad_len, sl->nonce, su->nn, (uint8_t *)sl->ct + sl->ct_len);
	lc->ops[i].status = 0;
}

/*
 * seal_sender_data runs the second half for the slots whose content seal
 * succeeded: derive the sender-data key from the ciphertext sample, seal
 * SenderData in place into the message. Returns the number protected.
 */
static uint16_t seal_sender_data(struct mls_app_lcore *lc, struct mls_app_sender *s,
				 struct mls_app_msg *msgs, const uint16_t *idx, uint16_t k)
{
	const struct mls_suite *su = s->es.suite;
	struct crypto_aead_op *ops = lc->ops;
	uint16_t done = 0;
	int rc;

	for (uint16_t j = 0; j < k; j++) {
		struct slot *sl = &lc->slots[idx[j]];
		struct crypto_aead_key *key = lc->keys[alg_index(su)][1][idx[j]];

		rc = mls_sender_data_keys(su, s->es.sender_data_secret, sl->ct,
					  sl->ct_len + MLS_AEAD_TAG, sl->key, sl->nonce);
		if (rc == 0) {
			rc = crypto_aead_key_rekey(lc->engine, key, sl->key, su->nk);
		}
		if (rc < 0) {
			ops[j].status = rc;
			ops[j].key = NULL;
			continue;
		}
		memcpy(sl->esd, sl->sd, SENDER_DATA_LEN);
		set_op(&ops[j], key, sl->esd, NULL, SENDER_DATA_LEN, s->es.sd_aad,
		       (uint32_t)s->es.sd_aad_len, sl->nonce, su->nn, sl->esd + SENDER_DATA_LEN);
	}
	/* Ops whose key derivation failed have no key: move them out of the burst. */
	{
		uint16_t w = 0;
		uint16_t map[MLS_APP_BURST_MAX];

		for (uint16_t j = 0; j < k; j++) {
			if (ops[j].key != NULL) {
				if (w != j) {
					ops[w] = ops[j];
				}
				map[w++] = idx[j];
			} else {
				drop(lc, &msgs[idx[j]], MLS_APP_DROP_CRYPTO, ops[j].status);
			}
		}
		crypto_aead_seal_burst(lc->engine, ops, w);
		for (uint16_t j = 0; j < w; j++) {
			struct mls_app_msg *m = &msgs[map[j]];

			if (ops[j].status != 0) {
				drop(lc, m, MLS_APP_DROP_CRYPTO, ops[j].status);
				OPENSSL_cleanse(m->out, m->out_cap);
				m->out_len = 0;
				continue;
			}
			m->status = 0;
			done++;
		}
	}
	return done;
}

/* protect_chunk protects up to MLS_APP_BURST_MAX messages. */
static uint16_t protect_chunk(struct mls_app_lcore *lc, struct mls_app_sender *s,
			      struct mls_app_msg *msgs, uint16_t n)
{
	uint16_t idx[MLS_APP_BURST_MAX], k = 0, done;
	size_t out_len[MLS_APP_BURST_MAX];

	for (uint16_t i = 0; i < n; i++) {
		msgs[i].status = 0;
		msgs[i].out_len = 0;
		protect_one(lc, s, i, &msgs[i], NULL, 0, msgs[i].in, msgs[i].in_len, &out_len[i]);
	}
	/* Compact the prepared content ops into one burst. */
	{
		struct crypto_aead_op tmp[MLS_APP_BURST_MAX];

		for (uint16_t i = 0; i < n; i++) {
			if (lc->ops[i].status == 0) {
				tmp[k] = lc->ops[i];
				idx[k++] = i;
			}
		}
		uint16_t w = 0;

		crypto_aead_seal_burst(lc->engine, tmp, k);
		for (uint16_t j = 0; j < k; j++) {
			if (tmp[j].status != 0) {
				drop(lc, &msgs[idx[j]], MLS_APP_DROP_CRYPTO, tmp[j].status);
				continue;
			}
			idx[w++] = idx[j];
		}
		k = w;
	}
	done = seal_sender_data(lc, s, msgs, idx, k);
	for (uint16_t j = 0; j < k; j++) {
		if (msgs[idx[j]].status == 0) {
			msgs[idx[j]].out_len = (uint32_t)out_len[idx[j]];
		}
	}
	wipe_slots(lc, n);
	lc->st.protected += done;
	lc->st.payloads += done;
	return done;
}

uint16_t mls_protect_burst(struct mls_app_lcore *lc, struct mls_app_sender *s,
			   struct mls_app_msg *msgs, uint16_t n)
{
	uint16_t done = 0;

	if (lc == NULL || s == NULL || (msgs == NULL && n > 0)) {
		return 0;
	}
	for (uint16_t off = 0; off < n; off += MLS_APP_BURST_MAX) {
		uint16_t c = (uint16_t)(n - off < MLS_APP_BURST_MAX ? n - off : MLS_APP_BURST_MAX);

		done += protect_chunk(lc, s, msgs + off, c);
	}
	return done;
}


int mls_protect_batch(struct mls_app_lcore *lc, struct mls_app_sender *s,
		      const struct mls_app_payload *p, uint16_t n,
		      uint8_t *out, size_t cap, size_t *out_len)
{
	struct mls_app_msg m = {0};
	struct mls_writer w;
	size_t total = 0, len = 0;
	uint16_t idx[1] = {0}, done;
	uint8_t *items;

	if (lc == NULL || s == NULL || p == NULL || n == 0 || n > MLS_APP_BATCH_MAX ||
	    out == NULL || out_len == NULL || cap > UINT32_MAX) {
		return -EINVAL;
	}
	for (uint16_t i = 0; i < n; i++) {
		if (p[i].p == NULL && p[i].len > 0) {
			return -EINVAL;
		}
		total += mls_varint_len(p[i].len) + p[i].len;
	}
	if (total > MLS_APP_MAX_PAYLOAD) {
		return -EMSGSIZE;
	}
	if (cap < total + mls_app_overhead(s->es.suite, s->es.group_id_len, total)) {
		return -ENOSPC;
	}
	/* The items are encoded in the lcore's scratch, then copied into the content. */
	items = lc->batch;
	mls_writer_init(&w, items, total);
	for (uint16_t i = 0; i < n; i++) {
		if (mls_write_opaque(&w, p[i].p, p[i].len) < 0) {
			return -ENOSPC;
		}
	}
	m.out = out;
	m.out_cap = (uint32_t)cap;
	protect_one(lc, s, 0, &m, (const uint8_t *)MLS_APP_BATCH_AD, MLS_APP_BATCH_AD_LEN, items,
		    total, &len);
	if (lc->ops[0].status != 0 || m.status != 0) {
		OPENSSL_cleanse(items, total);
		wipe_slots(lc, 1);
		return m.status != 0 ? m.status : -EIO;
	}
	crypto_aead_seal_burst(lc->engine, lc->ops, 1);
	if (lc->ops[0].status != 0) {
		drop(lc, &m, MLS_APP_DROP_CRYPTO, lc->ops[0].status);
		OPENSSL_cleanse(out, cap);
		wipe_slots(lc, 1);
		return m.status;
	}
	done = seal_sender_data(lc, s, &m, idx, 1);
	wipe_slots(lc, 1);
	OPENSSL_cleanse(items, total);
	if (done != 1) {
		OPENSSL_cleanse(out, cap);
		return m.status != 0 ? m.status : -EIO;
	}
	lc->st.protected++;
	lc->st.payloads += n;
	*out_len = len;
	return 0;
}

