/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_internal.h - what crypto_aead.c (validation, nonces, limits,
 * counters, buffer walks) shares with its two backends: crypto_imb.c
 * (intel-ipsec-mb) and crypto_ossl.c (OpenSSL EVP).
 *
 * A burst goes through three passes (crypto_aead.c): check every op and
 * reserve its nonce and usage (status 0 = ready), hand the ready ones to the
 * backend (which may set -EBADMSG or -EIO), then count.
 */
#ifndef SB_CRYPTO_INTERNAL_H
#define SB_CRYPTO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>
#include <openssl/evp.h>

#include "crypto_aead.h"

enum crypto_dir {
	CRYPTO_SEAL,
	CRYPTO_OPEN,
};

struct crypto_aead_key {
	/* ipsec-mb's expanded round keys and GHASH powers (AES-GCM on ipsec-mb). */
	struct gcm_key_data gcm;
	/* OpenSSL: one context per direction with the key schedule set once. */
	EVP_CIPHER_CTX *ctx[2];
	EVP_CIPHER_CTX *ecb;			/* OpenSSL AES-GCM: AES-ECB to compute H on (re)key */
	uint16_t ctx_ivlen[2];			/* the IV length each context is set to */
	uint8_t ghash_h[16];			/* OpenSSL GCM: H, for nonces over 128 bytes */
	uint8_t ghash_hinv2[16];		/* H^-2, made at the first such nonce */
	bool has_hinv2;
	const struct crypto_aead_engine *engine;
	enum crypto_aead_alg alg;
	bool ossl;				/* served by OpenSSL (OpenSSL backend, ChaCha20) */
	uint32_t tag_mask;			/* bit n: a tag of n bytes is taken */
	uint16_t iv_min, iv_max;		/* nonce lengths taken */
	bool has_seq;
	uint32_t fixed;				/* nonce sequence's fixed field */
	struct crypto_aead_usage u;
	uint64_t soft_seals, soft_blocks, soft_failures;	/* 3/4 of the limits */
};

struct crypto_aead_engine {
	IMB_MGR *mgr;				/* NULL on the OpenSSL backend */
	enum crypto_aead_backend backend;
	enum crypto_aead_arch arch;
	uint64_t features;			/* ipsec-mb's detected CPU features */
	EVP_CIPHER *cipher[CRYPTO_AEAD_ALG__MAX];	/* fetched once */
	EVP_CIPHER *ecb[3];			/* AES-128/192/256-ECB, fetched once */
	struct crypto_aead_stats st;
	/* Per-burst scratch: ops that go to the ipsec-mb job API, computed tags. */
	IMB_JOB *jobs[CRYPTO_AEAD_BURST_MAX];
	uint32_t got;				/* jobs taken by crypto_imb_begin */
	uint8_t tags[CRYPTO_AEAD_BURST_MAX][CRYPTO_AEAD_TAG_LEN];
	struct gcm_context_data gctx;		/* chained (SGL) GCM in progress */
	uint16_t failed;			/* this burst's ops failed by the backend */
	uint64_t failed_bytes;
};

/*
 * crypto_op_failed: a backend's verdict on a prepared op (-EBADMSG: the tag
 * did not match; -EIO): wipes an open's output, counts, sets the status.
 */
void crypto_op_failed(struct crypto_aead_engine *e, struct crypto_aead_op *op, enum crypto_dir dir,
		      int status);

/*
 * crypto_walk calls |fn| over |op|'s data in pieces that lie in one
 * segment of the source and one of the destination (the same bytes in
 * place), in order. Returns 0 or |fn|'s first non-zero return.
 */
typedef int (*crypto_piece_fn)(void *arg, const uint8_t *in, uint8_t *out, uint32_t n);
int crypto_walk(const struct crypto_aead_op *op, crypto_piece_fn fn, void *arg);

/* crypto_wipe_out zeroes the bytes |op| wrote to its destination (a failed open). */
void crypto_wipe_out(const struct crypto_aead_op *op);

/* True when the op's source and destination are both flat buffers. */
static inline bool crypto_op_flat(const struct crypto_aead_op *op)
{
	return op->src.m == NULL &&
	       (!(op->flags & CRYPTO_AEAD_F_OUT_OF_PLACE) || op->dst.m == NULL);
}

static inline uint8_t *crypto_op_out_flat(const struct crypto_aead_op *op)
{
	return (op->flags & CRYPTO_AEAD_F_OUT_OF_PLACE) ? op->dst.data : op->src.data;
}

/* ipsec-mb backend (crypto_imb.c). */
int crypto_imb_engine_init(struct crypto_aead_engine *e, enum crypto_aead_arch arch);
void crypto_imb_engine_cleanup(struct crypto_aead_engine *e);
void crypto_imb_key_init(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw);
bool crypto_imb_arch_supported(enum crypto_aead_arch arch);
/*
 * A burst on ipsec-mb: crypto_imb_begin takes up to |n| free jobs into
 * e->jobs (returns how many), crypto_imb_fill fills job |i| from a prepared
 * flat op as pass 1 goes, crypto_imb_submit submits the first |nf| and
 * checks open tags.
 */
uint32_t crypto_imb_begin(struct crypto_aead_engine *e, uint16_t n);
void crypto_imb_submit(struct crypto_aead_engine *e, uint16_t nf, enum crypto_dir dir);

#define CRYPTO_IMB_PREFETCH 4

static const IMB_KEY_SIZE_BYTES crypto_imb_key_size[] = {
	[CRYPTO_AEAD_AES_128_GCM] = IMB_KEY_128_BYTES,
	[CRYPTO_AEAD_AES_192_GCM] = IMB_KEY_192_BYTES,
	[CRYPTO_AEAD_AES_256_GCM] = IMB_KEY_256_BYTES,
};

static inline void crypto_imb_fill(struct crypto_aead_engine *e, uint16_t i,
				   struct crypto_aead_op *op, enum crypto_dir dir)
{
	const struct crypto_aead_key *k = op->key;
	IMB_JOB *job = e->jobs[i];

	/*
	 * The manager's 256 jobs of 200 bytes cycle through ~50 KiB, so the one
	 * being filled has usually left L1: fetch a later job's three lines for
	 * writing while this one is filled (perf: the first store into a job
	 * was 15 % of the engine's own time without this).
	 */
	if ((uint32_t)i + CRYPTO_IMB_PREFETCH < e->got) {
		const uint8_t *next = (const uint8_t *)e->jobs[i + CRYPTO_IMB_PREFETCH];

		__builtin_prefetch(next, 1);
		__builtin_prefetch(next + 64, 1);
		__builtin_prefetch(next + 128, 1);
	}
	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	if (dir == CRYPTO_SEAL) {
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->chain_order = IMB_ORDER_CIPHER_HASH;
		job->auth_tag_output = op->tag;
	} else {
		job->cipher_direction = IMB_DIR_DECRYPT;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
		job->auth_tag_output = e->tags[i];	/* compared by crypto_imb_submit */
	}
	job->key_len_in_bytes = crypto_imb_key_size[k->alg];
	job->enc_keys = &k->gcm;
	job->dec_keys = &k->gcm;
	job->src = op->src.data;
	job->dst = crypto_op_out_flat(op);
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = op->iv;
	job->iv_len_in_bytes = op->iv_len;
	job->u.GCM.aad = op->aad;
	job->u.GCM.aad_len_in_bytes = op->aad_len;
	job->auth_tag_output_len_in_bytes = op->tag_len;
	job->user_data = op;
}
/* Runs one prepared op on mbuf chains (GCM init/update per piece/finalize). */
void crypto_imb_chain(struct crypto_aead_engine *e, struct crypto_aead_op *op, enum crypto_dir dir);

/* OpenSSL backend (crypto_ossl.c). */
int crypto_ossl_engine_init(struct crypto_aead_engine *e);
void crypto_ossl_engine_cleanup(struct crypto_aead_engine *e);
int crypto_ossl_key_init(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw);
void crypto_ossl_key_cleanup(struct crypto_aead_key *k);
int crypto_ossl_key_rekey(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw);
/* Runs one prepared op; failures through crypto_op_failed. */
void crypto_ossl_run(struct crypto_aead_engine *e, struct crypto_aead_op *op, enum crypto_dir dir);

#endif
