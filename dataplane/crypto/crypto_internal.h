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
	uint16_t ctx_ivlen[2];			/* the IV length each context is set to */
	uint8_t ghash_h[16];			/* OpenSSL GCM: H, for nonces over 128 bytes */
	uint8_t ghash_hinv2[16];		/* H^-2, made at the first such nonce */
	bool has_hinv2;
	const struct crypto_aead_engine *engine;
	enum crypto_aead_alg alg;
	bool ossl;				/* served by OpenSSL (OpenSSL backend, ChaCha20) */
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
	struct crypto_aead_stats st;
	/* Per-burst scratch: ops that go to the ipsec-mb job API, computed tags. */
	struct crypto_aead_op *flat[CRYPTO_AEAD_BURST_MAX];
	uint8_t tags[CRYPTO_AEAD_BURST_MAX][CRYPTO_AEAD_TAG_LEN];
	struct gcm_context_data gctx;		/* chained (SGL) GCM in progress */
};

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
/* Runs the ready ops (status 0) of |ops|: flat ones through the burst API, chains through SGL. */
void crypto_imb_run(struct crypto_aead_engine *e, struct crypto_aead_op *ops, uint16_t n,
		    enum crypto_dir dir);

/* OpenSSL backend (crypto_ossl.c). */
int crypto_ossl_engine_init(struct crypto_aead_engine *e);
void crypto_ossl_engine_cleanup(struct crypto_aead_engine *e);
int crypto_ossl_key_init(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw);
void crypto_ossl_key_cleanup(struct crypto_aead_key *k);
/* Runs one ready op; sets its status (0, -EBADMSG, -EIO). */
void crypto_ossl_run(struct crypto_aead_op *op, enum crypto_dir dir);

#endif
