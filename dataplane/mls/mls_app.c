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
 * after it (its key depends on the content ciphertext).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto_aead.h"
#include "mls_app.h"
#include "mls_codec.h"
#include "mls_secret_tree.h"

#define VERSION_MLS10 1
#define WIRE_PRIVATE_MESSAGE 2
#define CONTENT_APPLICATION 1
#define SENDER_MEMBER 1
#define SENDER_DATA_LEN 12			/* leaf, generation, reuse guard */
#define ESD_LEN (SENDER_DATA_LEN + MLS_AEAD_TAG)
#define SIGN_LABEL "MLS 1.0 FramedContentTBS"
#define RND_POOL 4096				/* random bytes drawn at once for reuse guards */
/* The most bytes of the framing around a PrivateMessage's parts. */
#define AAD_MAX (MLS_VARINT_MAX_LEN + MLS_APP_MAX_GROUP_ID + 8 + 1 + MLS_VARINT_MAX_LEN + \
		 MLS_APP_BATCH_AD_LEN)

static const char *const drop_names[MLS_APP_DROP__MAX] = {
#define _(n, s) [MLS_APP_DROP_##n] = s,
	foreach_mls_app_drop
#undef _
};

/* Per-slot scratch of a burst. */
struct slot {
	uint8_t key[MLS_MAX_AEAD_KEY];
	uint8_t nonce[MLS_MAX_AEAD_NONCE];
	uint8_t sd[SENDER_DATA_LEN];		/* SenderData plaintext */
	uint8_t aad[AAD_MAX];			/* PrivateContentAAD when not the cached one */
	uint8_t sig[MLS_MAX_SIG];
	const uint8_t *ct;			/* the content ciphertext (in or out) */
	uint32_t ct_len;			/* without the tag */
	uint8_t *esd;				/* the encrypted sender data */
	const uint8_t *ad;			/* authenticated_data */
	uint32_t ad_len;
};

struct mls_app_lcore {
	struct crypto_aead_engine *engine;
	/* One key object per slot, direction (content, sender data) and algorithm. */
	struct crypto_aead_key *keys[3][2][MLS_APP_BURST_MAX];
	struct crypto_aead_op ops[MLS_APP_BURST_MAX];
	struct slot slots[MLS_APP_BURST_MAX];
	uint8_t rnd[RND_POOL];
	size_t rnd_pos;
	uint8_t *tbs;				/* SignContent being signed or verified */
	size_t tbs_cap;
	uint8_t *batch;				/* a batch's encoded payloads */
	struct mls_app_stats st;
};

/* The epoch state both directions keep. */
struct epoch_state {
	const struct mls_suite *suite;
	uint8_t group_id[MLS_APP_MAX_GROUP_ID];
	size_t group_id_len;
	uint64_t epoch;
	uint8_t *group_context;
	size_t group_context_len;
	uint8_t sender_data_secret[MLS_MAX_HASH];
	/* MLSMessage header through content_type: the bytes every message starts with. */
	uint8_t hdr[4 + MLS_VARINT_MAX_LEN + MLS_APP_MAX_GROUP_ID + 8 + 1];
	size_t hdr_len;
	uint8_t sd_aad[AAD_MAX];		/* SenderDataAAD */
	size_t sd_aad_len;
	uint8_t pc_aad[AAD_MAX];		/* PrivateContentAAD with empty authenticated_data */
	size_t pc_aad_len;
};

struct mls_app_sender {
	struct epoch_state es;
	uint32_t leaf;
	struct mls_ratchet ratchet;
	EVP_PKEY *sig;
};

struct member {
	bool present;
	struct mls_ratchet ratchet;
	EVP_PKEY *pub;
};

struct mls_app_receiver {
	struct epoch_state es;
	uint32_t n_leaves;
	struct member *members;
};

const char *mls_app_drop_name(enum mls_app_drop d)
{
	return (unsigned)d < MLS_APP_DROP__MAX ? drop_names[d] : "unknown";
}

/* alg_index maps a suite's AEAD to the lcore's key objects. */
static int alg_index(const struct mls_suite *s)
{
	switch (s->aead_id) {
	case MLS_AEAD_AES_128_GCM:
		return 0;
	case MLS_AEAD_AES_256_GCM:
		return 1;
	default:
		return 2;
	}
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
				/* Placeholder key bytes: every use rekeys first. */
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

static int epoch_init(struct epoch_state *es, const struct mls_app_epoch *ep)
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

static void epoch_cleanup(struct epoch_state *es)
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
static int build_tbs(struct mls_app_lcore *lc, const struct epoch_state *es, uint32_t leaf,
		     const uint8_t *ad, size_t ad_len, const uint8_t *app, size_t app_len,
		     size_t *tbs_len)
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

/*
 * lay_out writes the framing of a PrivateMessage into |out| around a
 * content plaintext of app<V> || sig<V>: copies the application data and
 * the signature, leaves room for the sender data and the tags. Sets the
 * slot's ct/ct_len/esd and returns the total length or -ENOSPC.
 */
static int lay_out(const struct epoch_state *es, struct slot *sl, const uint8_t *ad,
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

static void set_op(struct crypto_aead_op *op, struct crypto_aead_key *k, uint8_t *src,
		   uint8_t *dst, uint32_t len, const uint8_t *aad, uint32_t aad_len, uint8_t *iv,
		   uint16_t iv_len, uint8_t *tag)
{
	memset(op, 0, sizeof(*op));
	op->key = k;
	op->src.data = src;
	op->dst.data = dst;
	op->flags = dst != NULL ? CRYPTO_AEAD_F_OUT_OF_PLACE : 0;
	op->len = len;
	op->aad = aad;
	op->aad_len = aad_len;
	op->iv = iv;
	op->iv_len = iv_len;
	op->tag = tag;
	op->tag_len = MLS_AEAD_TAG;
}

static void drop(struct mls_app_lcore *lc, struct mls_app_msg *m, enum mls_app_drop d, int err)
{
	m->status = (int16_t)err;
	m->drop = (uint8_t)d;
	lc->st.drops[d]++;
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
	rc = build_tbs(lc, &s->es, s->leaf, ad, ad_len, app, app_len, &tbs_len);
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

static void wipe_slots(struct mls_app_lcore *lc, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		OPENSSL_cleanse(lc->slots[i].key, sizeof(lc->slots[i].key));
		OPENSSL_cleanse(lc->slots[i].nonce, sizeof(lc->slots[i].nonce));
	}
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
	rc = build_tbs(lc, &r->es, m->leaf, sl->ad, sl->ad_len, app, app_len, &tbs_len);
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
