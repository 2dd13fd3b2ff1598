/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_app.c - application messages as RFC 9420 PrivateMessages, in bursts
 * (the contract is mls_app.h).
 *
 * Wire layout written and read here (RFC 9420 sections 6, 6.3):
 *
 *   MLSMessage       uint16 version = 1 (mls10); uint16 wire_format = 2
 *   PrivateMessage   opaque group_id<V>; uint64 epoch; uint8 content_type = 1;
 *                    opaque authenticated_data<V>;
 *                    opaque encrypted_sender_data<V>;   12 + 16 bytes
 *                    opaque ciphertext<V>;
 *   content plaintext (PrivateMessageContent): opaque application_data<V>;
 *                    opaque signature<V>; zero padding (none when sending)
 *   SenderData       uint32 leaf_index; uint32 generation; opaque reuse_guard[4]
 *   PrivateContentAAD  group_id<V>, epoch, content_type, authenticated_data<V>
 *   SenderDataAAD      group_id<V>, epoch, content_type
 *   signed: SignContent{"MLS 1.0 FramedContentTBS", FramedContentTBS} with
 *   FramedContentTBS = version, wire_format, FramedContent{group_id<V>, epoch,
 *   Sender{member = 1, leaf_index}, authenticated_data<V>, content_type,
 *   application_data<V>}, GroupContext.
 *
 * The content is sealed in place in the output buffer; the sender data
 * after it (its key depends on the content ciphertext). This file holds the
 * objects; mls_app_protect.c and mls_app_unprotect.c the two directions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_app_internal.h"

static const char *const drop_names[MLS_APP_DROP__MAX] = {
#define _(n, s) [MLS_APP_DROP_##n] = s,
	foreach_mls_app_drop
#undef _
};


const char *mls_app_drop_name(enum mls_app_drop d)
{
	return (unsigned)d < MLS_APP_DROP__MAX ? drop_names[d] : "unknown";
}


static const enum crypto_aead_alg algs[3] = {
	CRYPTO_AEAD_AES_128_GCM, CRYPTO_AEAD_AES_256_GCM, CRYPTO_AEAD_CHACHA20_POLY1305,
};


size_t mls_app_overhead(const struct mls_suite *s, size_t group_id_len, size_t payload_len)
{
	/* header, authenticated_data<V> (a batch's 4 bytes at most), sender data, content. */
	(void)s;
	(void)payload_len;
	return 4 + MLS_VARINT_MAX_LEN + group_id_len + 8 + 1 + 1 + MLS_APP_BATCH_AD_LEN +
	       1 + ESD_LEN + 2 * MLS_VARINT_MAX_LEN + MLS_VARINT_MAX_LEN + MLS_MAX_SIG +
	       MLS_AEAD_TAG;
}

struct mls_app_lcore *mls_app_lcore_new(struct crypto_aead_engine *e)
{
	static const uint8_t zero[32];
	struct mls_app_lcore *lc;

	if (e == NULL) {
		errno = EINVAL;
		return NULL;
	}
	lc = calloc(1, sizeof(*lc));
	if (lc == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	lc->engine = e;
	for (int a = 0; a < 3; a++) {
		for (int d = 0; d < 2; d++) {
			for (int i = 0; i < MLS_APP_BURST_MAX; i++) {
				/* Made with zero key bytes: each message rekeys the slot (crypto_aead_key_rekey) before use. */
				lc->keys[a][d][i] = crypto_aead_key_new(e, algs[a], zero,
									crypto_aead_key_len(algs[a]));
				if (lc->keys[a][d][i] == NULL) {
					mls_app_lcore_free(lc);
					errno = ENOMEM;
					return NULL;
				}
			}
		}
	}
	lc->tbs_cap = MLS_APP_MAX_PAYLOAD + MLS_APP_MAX_GROUP_CONTEXT + 512;
	lc->tbs = malloc(lc->tbs_cap);
	lc->batch = malloc(MLS_APP_MAX_PAYLOAD);
	if (lc->tbs == NULL || lc->batch == NULL) {
		mls_app_lcore_free(lc);
		errno = ENOMEM;
		return NULL;
	}
	lc->rnd_pos = RND_POOL;
	return lc;
}

void mls_app_lcore_free(struct mls_app_lcore *lc)
{
	if (lc == NULL) {
		return;
	}
	for (int a = 0; a < 3; a++) {
		for (int d = 0; d < 2; d++) {
			for (int i = 0; i < MLS_APP_BURST_MAX; i++) {
				crypto_aead_key_free(lc->keys[a][d][i]);
			}
		}
	}
	if (lc->tbs != NULL) {
		OPENSSL_cleanse(lc->tbs, lc->tbs_cap);
		free(lc->tbs);
	}
	if (lc->batch != NULL) {
		OPENSSL_cleanse(lc->batch, MLS_APP_MAX_PAYLOAD);
		free(lc->batch);
	}
	OPENSSL_cleanse(lc, sizeof(*lc));
	free(lc);
}

void mls_app_lcore_stats(const struct mls_app_lcore *lc, struct mls_app_stats *out)
{
	*out = lc->st;
}


static int epoch_init(struct mls_app_epoch_state *es, const struct mls_app_epoch *ep)
{
	struct mls_writer w;

	if (ep == NULL || ep->suite == NULL || ep->group_id == NULL || ep->group_id_len == 0 ||
	    ep->group_id_len > MLS_APP_MAX_GROUP_ID || ep->sender_data_secret == NULL ||
	    (ep->group_context == NULL && ep->group_context_len > 0) ||
	    ep->group_context_len > MLS_APP_MAX_GROUP_CONTEXT) {
		return -EINVAL;
	}
	es->suite = ep->suite;
	memcpy(es->group_id, ep->group_id, ep->group_id_len);
	es->group_id_len = ep->group_id_len;
	es->epoch = ep->epoch;
	es->group_context = malloc(ep->group_context_len > 0 ? ep->group_context_len : 1);
	if (es->group_context == NULL) {
		return -ENOMEM;
	}
	memcpy(es->group_context, ep->group_context, ep->group_context_len);
	es->group_context_len = ep->group_context_len;
	memcpy(es->sender_data_secret, ep->sender_data_secret, ep->suite->nh);

	mls_writer_init(&w, es->hdr, sizeof(es->hdr));
	if (mls_write_u16(&w, VERSION_MLS10) < 0 || mls_write_u16(&w, WIRE_PRIVATE_MESSAGE) < 0 ||
	    mls_write_opaque(&w, es->group_id, es->group_id_len) < 0 ||
	    mls_write_u64(&w, es->epoch) < 0 || mls_write_u8(&w, CONTENT_APPLICATION) < 0) {
		return -EINVAL;
	}
	es->hdr_len = mls_writer_len(&w);
	/* SenderDataAAD and PrivateContentAAD are the header without version and wire format. */
	es->sd_aad_len = es->hdr_len - 4;
	memcpy(es->sd_aad, es->hdr + 4, es->sd_aad_len);
	memcpy(es->pc_aad, es->sd_aad, es->sd_aad_len);
	es->pc_aad[es->sd_aad_len] = 0;		/* authenticated_data<V>, empty */
	es->pc_aad_len = es->sd_aad_len + 1;
	return 0;
}

static void epoch_cleanup(struct mls_app_epoch_state *es)
{
	free(es->group_context);
	OPENSSL_cleanse(es, sizeof(*es));
}

struct mls_app_sender *mls_app_sender_new(const struct mls_app_epoch *ep, uint32_t leaf,
					  const uint8_t *app_secret, uint32_t generation,
					  EVP_PKEY *sig_priv)
{
	struct mls_app_sender *s;
	int rc;

	if (app_secret == NULL || sig_priv == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rc = epoch_init(&s->es, ep);
	if (rc == 0) {
		rc = mls_ratchet_init(&s->ratchet, ep->suite, app_secret, generation);
	}
	if (rc < 0 || EVP_PKEY_up_ref(sig_priv) != 1) {
		epoch_cleanup(&s->es);
		OPENSSL_cleanse(s, sizeof(*s));
		free(s);
		errno = rc < 0 ? -rc : ENOMEM;
		return NULL;
	}
	s->sig = sig_priv;
	s->leaf = leaf;
	return s;
}

void mls_app_sender_free(struct mls_app_sender *s)
{
	if (s == NULL) {
		return;
	}
	EVP_PKEY_free(s->sig);
	epoch_cleanup(&s->es);
	mls_ratchet_wipe(&s->ratchet);
	free(s);
}

struct mls_app_receiver *mls_app_receiver_new(const struct mls_app_epoch *ep, uint32_t n_leaves)
{
	struct mls_app_receiver *r;
	int rc;

	if (n_leaves == 0 || n_leaves > 65536) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rc = epoch_init(&r->es, ep);
	r->members = rc == 0 ? calloc(n_leaves, sizeof(*r->members)) : NULL;
	if (r->members == NULL) {
		epoch_cleanup(&r->es);
		free(r);
		errno = rc < 0 ? -rc : ENOMEM;
		return NULL;
	}
	r->n_leaves = n_leaves;
	return r;
}

int mls_app_receiver_add_member(struct mls_app_receiver *r, uint32_t leaf,
				const uint8_t *app_secret, uint32_t generation, EVP_PKEY *sig_pub)
{
	struct member *m;
	int rc;

	if (r == NULL || leaf >= r->n_leaves || app_secret == NULL || sig_pub == NULL) {
		return -EINVAL;
	}
	m = &r->members[leaf];
	if (m->present) {
		return -EEXIST;
	}
	rc = mls_ratchet_init(&m->ratchet, r->es.suite, app_secret, generation);
	if (rc < 0) {
		return rc;
	}
	if (EVP_PKEY_up_ref(sig_pub) != 1) {
		mls_ratchet_wipe(&m->ratchet);
		return -ENOMEM;
	}
	m->pub = sig_pub;
	m->present = true;
	return 0;
}

void mls_app_receiver_free(struct mls_app_receiver *r)
{
	if (r == NULL) {
		return;
	}
	for (uint32_t i = 0; i < r->n_leaves; i++) {
		EVP_PKEY_free(r->members[i].pub);
		mls_ratchet_wipe(&r->members[i].ratchet);
	}
	free(r->members);
	epoch_cleanup(&r->es);
	free(r);
}


/*
 * build_tbs writes SignContent{"MLS 1.0 FramedContentTBS", FramedContentTBS}
 * for an application message from |leaf| into lc->tbs. The application data
 * is |app| (its bytes, without the length: written here as opaque<V>) or,
 * for a batch, the already encoded items (|app| with |app_len| bytes) that
 * also go in as one opaque<V>. Returns the length or a negative errno.
 */
int mls_app_build_tbs(struct mls_app_lcore *lc, const struct mls_app_epoch_state *es,
		      uint32_t leaf, const uint8_t *ad, size_t ad_len, const uint8_t *app,
		      size_t app_len, size_t *tbs_len)
{
	struct mls_vector_mark m;
	struct mls_writer w;

	mls_writer_init(&w, lc->tbs, lc->tbs_cap);
	if (mls_write_opaque(&w, SIGN_LABEL, sizeof(SIGN_LABEL) - 1) < 0 ||
	    mls_write_vector_begin(&w, &m) < 0 ||
	    mls_write_bytes(&w, es->hdr, 4) < 0 ||			/* version, wire_format */
	    mls_write_opaque(&w, es->group_id, es->group_id_len) < 0 ||
	    mls_write_u64(&w, es->epoch) < 0 ||
	    mls_write_u8(&w, SENDER_MEMBER) < 0 || mls_write_u32(&w, leaf) < 0 ||
	    mls_write_opaque(&w, ad, ad_len) < 0 ||
	    mls_write_u8(&w, CONTENT_APPLICATION) < 0 ||
	    mls_write_opaque(&w, app, app_len) < 0 ||
	    mls_write_bytes(&w, es->group_context, es->group_context_len) < 0 ||
	    mls_write_vector_end(&w, &m) < 0) {
		return -ENOSPC;
	}
	*tbs_len = mls_writer_len(&w);
	return 0;
}

