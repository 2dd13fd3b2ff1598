/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_app_internal.h - what the three files of the MLS fast path share
 * (mls_app.c: objects; mls_app_protect.c; mls_app_unprotect.c): the wire
 * constants, the object layouts and small inline helpers. Not a contract:
 * mls_app.h is.
 */
#ifndef SB_MLS_APP_INTERNAL_H
#define SB_MLS_APP_INTERNAL_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

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
struct mls_app_epoch_state {
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
	struct mls_app_epoch_state es;
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
	struct mls_app_epoch_state es;
	uint32_t n_leaves;
	struct member *members;
};


/* alg_index maps a suite's AEAD to the lcore's key objects. */
static inline int alg_index(const struct mls_suite *s)
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


static inline void set_op(struct crypto_aead_op *op, struct crypto_aead_key *k, uint8_t *src,
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


static inline void drop(struct mls_app_lcore *lc, struct mls_app_msg *m, enum mls_app_drop d, int err)
{
	m->status = (int16_t)err;
	m->drop = (uint8_t)d;
	lc->st.drops[d]++;
}


static inline void wipe_slots(struct mls_app_lcore *lc, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		OPENSSL_cleanse(lc->slots[i].key, sizeof(lc->slots[i].key));
		OPENSSL_cleanse(lc->slots[i].nonce, sizeof(lc->slots[i].nonce));
	}
}


/*
 * mls_app_build_tbs writes SignContent{"MLS 1.0 FramedContentTBS",
 * FramedContentTBS} of an application message from |leaf| with
 * authenticated_data |ad| and application data |app| into lc->tbs; the
 * length goes to |*tbs_len|. Returns 0 or -ENOSPC.
 */
int mls_app_build_tbs(struct mls_app_lcore *lc, const struct mls_app_epoch_state *es,
		      uint32_t leaf, const uint8_t *ad, size_t ad_len, const uint8_t *app,
		      size_t app_len, size_t *tbs_len);

#endif
