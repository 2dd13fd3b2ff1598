/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_app_unprotect.c - the receiving half of the MLS fast path
 * (mls_unprotect_burst, mls_app_batch_next; the contract is mls_app.h, the
 * wire layout is at the top of mls_app.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_app_internal.h"

/*
 * parse_one checks the framing of message |m| against the receiver's group
 * and epoch and prepares the sender-data open in lc->ops[i]. Returns 0 or
 * drops the message.
 */
static int parse_one(struct mls_app_lcore *lc, struct mls_app_receiver *r, uint16_t i,
		     struct mls_app_msg *m)
{
	const struct mls_suite *su = r->es.suite;
	struct slot *sl = &lc->slots[i];
	const uint8_t *gid, *esd, *ct;
	size_t gid_len, esd_len, ct_len, ad_len;
	struct crypto_aead_key *key;
	uint16_t version, wf;
	struct mls_reader rd;
	uint64_t epoch;
	uint8_t ctype;
	int rc;

	mls_reader_init(&rd, m->in, m->in_len);
	if (mls_read_u16(&rd, &version) < 0 || mls_read_u16(&rd, &wf) < 0 ||
	    version != VERSION_MLS10 || wf != WIRE_PRIVATE_MESSAGE ||
	    mls_read_opaque(&rd, &gid, &gid_len) < 0 || mls_read_u64(&rd, &epoch) < 0 ||
	    mls_read_u8(&rd, &ctype) < 0 || mls_read_opaque(&rd, &sl->ad, &ad_len) < 0 ||
	    mls_read_opaque(&rd, &esd, &esd_len) < 0 || mls_read_opaque(&rd, &ct, &ct_len) < 0 ||
	    mls_read_end(&rd) < 0 || esd_len != ESD_LEN || ct_len < MLS_AEAD_TAG) {
		drop(lc, m, MLS_APP_DROP_MALFORMED, -EBADMSG);
		return -1;
	}
	if (gid_len != r->es.group_id_len || memcmp(gid, r->es.group_id, gid_len) != 0) {
		drop(lc, m, MLS_APP_DROP_WRONG_GROUP, -ESTALE);
		return -1;
	}
	if (epoch != r->es.epoch) {
		drop(lc, m, MLS_APP_DROP_WRONG_EPOCH, -ESTALE);
		return -1;
	}
	if (ctype != CONTENT_APPLICATION) {
		/* Handshake messages go to the control process, not the fast path. */
		drop(lc, m, MLS_APP_DROP_NOT_APPLICATION, -EPROTO);
		return -1;
	}
	sl->ad_len = (uint32_t)ad_len;
	sl->ct = ct;
	sl->ct_len = (uint32_t)(ct_len - MLS_AEAD_TAG);
	sl->esd = (uint8_t *)esd;
	key = lc->keys[alg_index(su)][1][i];
	rc = mls_sender_data_keys(su, r->es.sender_data_secret, ct, ct_len, sl->key, sl->nonce);
	if (rc == 0) {
		rc = crypto_aead_key_rekey(lc->engine, key, sl->key, su->nk);
	}
	if (rc < 0) {
		drop(lc, m, MLS_APP_DROP_CRYPTO, rc);
		return -1;
	}
	/* Out of place: the input is the caller's and stays untouched. */
	set_op(&lc->ops[i], key, (uint8_t *)esd, sl->sd, SENDER_DATA_LEN, r->es.sd_aad,
	       (uint32_t)r->es.sd_aad_len, sl->nonce, su->nn, (uint8_t *)esd + SENDER_DATA_LEN);
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * open_content prepares the content open of a message whose sender data
 * opened: the sender's ratchet gives the generation's key and nonce.
 */
static int open_content(struct mls_app_lcore *lc, struct mls_app_receiver *r, uint16_t i,
			struct mls_app_msg *m, struct crypto_aead_op *op)
{
	const struct mls_suite *su = r->es.suite;
	struct slot *sl = &lc->slots[i];
	struct crypto_aead_key *key = lc->keys[alg_index(su)][0][i];
	struct member *mem;
	int rc;

	m->leaf = be32(sl->sd);
	m->generation = be32(sl->sd + 4);
	if (m->leaf >= r->n_leaves || !r->members[m->leaf].present) {
		drop(lc, m, MLS_APP_DROP_UNKNOWN_SENDER, -ENOENT);
		return -1;
	}
	if (m->out_cap < sl->ct_len) {
		drop(lc, m, MLS_APP_DROP_NO_ROOM, -ENOSPC);
		return -1;
	}
	mem = &r->members[m->leaf];
	rc = mls_ratchet_get(&mem->ratchet, m->generation, sl->key, sl->nonce);
	if (rc < 0) {
		drop(lc, m, rc == -ERANGE ? MLS_APP_DROP_GENERATION_AHEAD :
			    rc == -ENOENT ? MLS_APP_DROP_GENERATION_GONE : MLS_APP_DROP_CRYPTO,
		     rc == -ENOENT ? -EALREADY : rc);
		return -1;
	}
	for (int k = 0; k < 4; k++) {
		sl->nonce[k] ^= sl->sd[8 + k];
	}
	rc = crypto_aead_key_rekey(lc->engine, key, sl->key, su->nk);
	if (rc < 0) {
		drop(lc, m, MLS_APP_DROP_CRYPTO, rc);
		return -1;
	}
	if (sl->ad_len == 0) {
		set_op(op, key, (uint8_t *)sl->ct, m->out, sl->ct_len, r->es.pc_aad,
		       (uint32_t)r->es.pc_aad_len, sl->nonce, su->nn,
		       (uint8_t *)sl->ct + sl->ct_len);
	} else {
		struct mls_writer w;

		mls_writer_init(&w, sl->aad, sizeof(sl->aad));
		if (mls_write_bytes(&w, r->es.sd_aad, r->es.sd_aad_len) < 0 ||
		    mls_write_opaque(&w, sl->ad, sl->ad_len) < 0) {
			/* authenticated_data longer than this path takes */
			drop(lc, m, MLS_APP_DROP_MALFORMED, -EMSGSIZE);
			return -1;
		}
		set_op(op, key, (uint8_t *)sl->ct, m->out, sl->ct_len, sl->aad,
		       (uint32_t)mls_writer_len(&w), sl->nonce, su->nn,
		       (uint8_t *)sl->ct + sl->ct_len);
	}
	return 0;
}

/* verify_content parses PrivateMessageContent in m->out and checks the signature. */
static void verify_content(struct mls_app_lcore *lc, struct mls_app_receiver *r, uint16_t i,
			   struct mls_app_msg *m)
{
	struct slot *sl = &lc->slots[i];
	const uint8_t *app, *sig, *pad;
	size_t app_len, sig_len, tbs_len;
	struct mls_reader rd;
	uint8_t acc = 0;
	int rc;

	mls_reader_init(&rd, m->out, sl->ct_len);
	if (mls_read_opaque(&rd, &app, &app_len) < 0 || mls_read_opaque(&rd, &sig, &sig_len) < 0 ||
	    mls_read_bytes(&rd, mls_reader_left(&rd), &pad) < 0) {
		drop(lc, m, MLS_APP_DROP_MALFORMED, -EBADMSG);
		goto fail;
	}
	/* RFC 9420 section 6.3.1: padding must be all zero. */
	for (size_t k = 0; k < sl->ct_len - (size_t)(pad - m->out); k++) {
		acc |= pad[k];
	}
	if (acc != 0) {
		drop(lc, m, MLS_APP_DROP_BAD_PADDING, -EBADMSG);
		goto fail;
	}
	rc = mls_app_build_tbs(lc, &r->es, m->leaf, sl->ad, sl->ad_len, app, app_len, &tbs_len);
	if (rc < 0) {
		drop(lc, m, MLS_APP_DROP_NO_ROOM, rc);
		goto fail;
	}
	rc = mls_verify_raw(r->es.suite, r->members[m->leaf].pub, lc->tbs, tbs_len, sig, sig_len);
	if (rc < 0) {
		drop(lc, m, MLS_APP_DROP_BAD_SIGNATURE, -EBADMSG);
		goto fail;
	}
	m->payload = app;
	m->payload_len = (uint32_t)app_len;
	m->out_len = sl->ct_len;
	m->flags = sl->ad_len == MLS_APP_BATCH_AD_LEN &&
			   memcmp(sl->ad, MLS_APP_BATCH_AD, MLS_APP_BATCH_AD_LEN) == 0 ?
		   MLS_APP_F_BATCH : 0;
	m->status = 0;
	return;
fail:
	OPENSSL_cleanse(m->out, sl->ct_len);
}

static uint16_t unprotect_chunk(struct mls_app_lcore *lc, struct mls_app_receiver *r,
				struct mls_app_msg *msgs, uint16_t n)
{
	struct crypto_aead_op ops[MLS_APP_BURST_MAX];
	uint16_t idx[MLS_APP_BURST_MAX], k = 0, w = 0, done = 0;

	for (uint16_t i = 0; i < n; i++) {
		msgs[i].status = 0;
		msgs[i].flags = 0;
		msgs[i].out_len = 0;
		msgs[i].payload = NULL;
		msgs[i].payload_len = 0;
		if (parse_one(lc, r, i, &msgs[i]) == 0) {
			ops[k] = lc->ops[i];
			idx[k++] = i;
		}
	}
	crypto_aead_open_burst(lc->engine, ops, k);
	for (uint16_t j = 0; j < k; j++) {
		uint16_t i = idx[j];

		if (ops[j].status != 0) {
			drop(lc, &msgs[i],
			     ops[j].status == -EBADMSG ? MLS_APP_DROP_SENDER_DATA_AUTH :
							 MLS_APP_DROP_CRYPTO,
			     ops[j].status == -EBADMSG ? -EBADMSG : ops[j].status);
			continue;
		}
		if (open_content(lc, r, i, &msgs[i], &ops[w]) == 0) {
			idx[w++] = i;
		}
	}
	crypto_aead_open_burst(lc->engine, ops, w);
	for (uint16_t j = 0; j < w; j++) {
		uint16_t i = idx[j];

		if (ops[j].status != 0) {
			drop(lc, &msgs[i],
			     ops[j].status == -EBADMSG ? MLS_APP_DROP_CONTENT_AUTH :
							 MLS_APP_DROP_CRYPTO,
			     ops[j].status == -EBADMSG ? -EBADMSG : ops[j].status);
			continue;
		}
		verify_content(lc, r, i, &msgs[i]);
		if (msgs[i].status == 0) {
			done++;
			lc->st.payloads++;
		}
	}
	for (uint16_t i = 0; i < n; i++) {
		OPENSSL_cleanse(lc->slots[i].sd, sizeof(lc->slots[i].sd));
	}
	wipe_slots(lc, n);
	lc->st.unprotected += done;
	return done;
}

uint16_t mls_unprotect_burst(struct mls_app_lcore *lc, struct mls_app_receiver *r,
			     struct mls_app_msg *msgs, uint16_t n)
{
	uint16_t done = 0;

	if (lc == NULL || r == NULL || (msgs == NULL && n > 0)) {
		return 0;
	}
	for (uint16_t off = 0; off < n; off += MLS_APP_BURST_MAX) {
		uint16_t c = (uint16_t)(n - off < MLS_APP_BURST_MAX ? n - off : MLS_APP_BURST_MAX);

		done += unprotect_chunk(lc, r, msgs + off, c);
	}
	return done;
}


int mls_app_batch_next(const uint8_t *batch, size_t len, size_t *off, struct mls_app_payload *p)
{
	struct mls_reader rd;
	const uint8_t *d;
	size_t n;

	if (batch == NULL || off == NULL || p == NULL || *off > len) {
		return -EINVAL;
	}
	if (*off == len) {
		return 0;
	}
	mls_reader_init(&rd, batch + *off, len - *off);
	if (mls_read_opaque(&rd, &d, &n) < 0) {
		return -EBADMSG;
	}
	p->p = d;
	p->len = (uint32_t)n;
	*off += rd.off;
	return 1;
}

