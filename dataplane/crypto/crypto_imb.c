/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_imb.c - the intel-ipsec-mb backend: one IMB_MGR per engine,
 * initialised for the chosen code path (AVX-512 with VAES/VPCLMULQDQ where
 * the CPU has them, AVX2, AVX, SSE); GCM keys precomputed once
 * (IMB_AESxxx_GCM_PRE). Flat operations go through the burst API in one
 * submission; mbuf chains through the library's GCM init/update/finalize
 * functions, one update per contiguous piece. Opens compute the tag and
 * compare it in constant time here: ipsec-mb only computes it.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto_internal.h"

/* The CPU features each code path needs (intel-ipsec-mb.h's IMB_CPUFLAGS_*). */
static const uint64_t arch_flags[CRYPTO_AEAD_ARCH__MAX] = {
	[CRYPTO_AEAD_ARCH_AUTO] = IMB_CPUFLAGS_SSE,
	[CRYPTO_AEAD_ARCH_SSE] = IMB_CPUFLAGS_SSE,
	[CRYPTO_AEAD_ARCH_AVX] = IMB_CPUFLAGS_AVX,
	[CRYPTO_AEAD_ARCH_AVX2] = IMB_CPUFLAGS_AVX2,
	[CRYPTO_AEAD_ARCH_AVX512] = IMB_CPUFLAGS_AVX512,
};

static uint64_t cpu_features(void)
{
	static uint64_t features;

	if (features == 0) {
		IMB_MGR *m = alloc_mb_mgr(0);

		if (m != NULL) {
			features = m->features | 1;	/* bit 0 (SHA-NI) is not needed here */
			free_mb_mgr(m);
		}
	}
	return features;
}

bool crypto_imb_arch_supported(enum crypto_aead_arch arch)
{
	uint64_t f = cpu_features();

	if ((unsigned)arch >= CRYPTO_AEAD_ARCH__MAX) {
		return false;
	}
	return (f & arch_flags[arch]) == arch_flags[arch];
}

int crypto_imb_engine_init(struct crypto_aead_engine *e, enum crypto_aead_arch arch)
{
	if (!crypto_imb_arch_supported(arch)) {
		return -ENOTSUP;
	}
	if (arch == CRYPTO_AEAD_ARCH_AUTO) {
		for (arch = CRYPTO_AEAD_ARCH_AVX512; arch > CRYPTO_AEAD_ARCH_SSE; arch--) {
			if (crypto_imb_arch_supported(arch)) {
				break;
			}
		}
	}
	e->mgr = alloc_mb_mgr(0);
	if (e->mgr == NULL) {
		return -ENOMEM;
	}
	switch (arch) {
	case CRYPTO_AEAD_ARCH_AVX512:
		init_mb_mgr_avx512(e->mgr);
		break;
	case CRYPTO_AEAD_ARCH_AVX2:
		init_mb_mgr_avx2(e->mgr);
		break;
	case CRYPTO_AEAD_ARCH_AVX:
		init_mb_mgr_avx(e->mgr);
		break;
	default:
		init_mb_mgr_sse(e->mgr);
		break;
	}
	if (imb_get_errno(e->mgr) != 0) {
		return -ENOTSUP;
	}
	e->arch = arch;
	e->features = e->mgr->features;
	return 0;
}

void crypto_imb_engine_cleanup(struct crypto_aead_engine *e)
{
	if (e->mgr != NULL) {
		free_mb_mgr(e->mgr);
		e->mgr = NULL;
	}
}

void crypto_imb_key_init(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw)
{
	switch (k->alg) {
	case CRYPTO_AEAD_AES_128_GCM:
		IMB_AES128_GCM_PRE(e->mgr, raw, &k->gcm);
		break;
	case CRYPTO_AEAD_AES_192_GCM:
		IMB_AES192_GCM_PRE(e->mgr, raw, &k->gcm);
		break;
	default:
		IMB_AES256_GCM_PRE(e->mgr, raw, &k->gcm);
		break;
	}
}

static const IMB_KEY_SIZE_BYTES key_size[] = {
	[CRYPTO_AEAD_AES_128_GCM] = IMB_KEY_128_BYTES,
	[CRYPTO_AEAD_AES_192_GCM] = IMB_KEY_192_BYTES,
	[CRYPTO_AEAD_AES_256_GCM] = IMB_KEY_256_BYTES,
};

static void fill_job(IMB_JOB *job, struct crypto_aead_op *op, uint8_t *tag, enum crypto_dir dir)
{
	const struct crypto_aead_key *k = op->key;

	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	if (dir == CRYPTO_SEAL) {
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->chain_order = IMB_ORDER_CIPHER_HASH;
	} else {
		job->cipher_direction = IMB_DIR_DECRYPT;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
	}
	job->key_len_in_bytes = key_size[k->alg];
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
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = op->tag_len;
	job->user_data = op;
}

/* An open's computed tag against the received one, in constant time. */
static void check_tag(struct crypto_aead_op *op, uint8_t *tag)
{
	if (CRYPTO_memcmp(tag, op->tag, op->tag_len) != 0) {
		/* The right tag for a forged message is the forger's prize: wipe it too. */
		OPENSSL_cleanse(tag, CRYPTO_AEAD_TAG_LEN);
		crypto_wipe_out(op);
		op->status = -EBADMSG;
	}
}

/* Flat ops: one burst submission; GCM completes in order, at once. */
static void run_flat(struct crypto_aead_engine *e, uint16_t nf, enum crypto_dir dir)
{
	IMB_JOB *jobs[CRYPTO_AEAD_BURST_MAX];
	uint32_t got, done;

	got = IMB_GET_NEXT_BURST(e->mgr, nf, jobs);
	if (got < nf) {
		/* Not expected with GCM (jobs complete on submission): make room. */
		IMB_FLUSH_BURST(e->mgr, IMB_MAX_JOBS, jobs);
		got = IMB_GET_NEXT_BURST(e->mgr, nf, jobs);
	}
	for (uint32_t i = 0; i < nf; i++) {
		struct crypto_aead_op *op = e->flat[i];

		if (i >= got) {
			op->status = -EIO;
			continue;
		}
		fill_job(jobs[i], op, dir == CRYPTO_SEAL ? op->tag : e->tags[i], dir);
		jobs[i]->user_data2 = e->tags[i];
	}
	if (got == 0) {
		return;
	}
	done = IMB_SUBMIT_BURST_NOCHECK(e->mgr, got, jobs);
	if (done < got) {
		done += IMB_FLUSH_BURST(e->mgr, got - done, jobs + done);
	}
	for (uint32_t i = 0; i < done; i++) {
		struct crypto_aead_op *op = jobs[i]->user_data;

		if (jobs[i]->status != IMB_STATUS_COMPLETED) {
			op->status = -EIO;
		} else if (dir == CRYPTO_OPEN) {
			check_tag(op, jobs[i]->user_data2);
		}
	}
}

struct sgl {
	IMB_MGR *mgr;
	const struct crypto_aead_key *k;
	struct gcm_context_data *ctx;
	enum crypto_dir dir;
};

static int sgl_piece(void *arg, const uint8_t *in, uint8_t *out, uint32_t n)
{
	struct sgl *s = arg;
	IMB_MGR *m = s->mgr;
	const struct gcm_key_data *key = &s->k->gcm;

	switch (s->k->alg * 2 + s->dir) {
	case CRYPTO_AEAD_AES_128_GCM * 2 + CRYPTO_SEAL:
		IMB_AES128_GCM_ENC_UPDATE(m, key, s->ctx, out, in, n);
		break;
	case CRYPTO_AEAD_AES_128_GCM * 2 + CRYPTO_OPEN:
		IMB_AES128_GCM_DEC_UPDATE(m, key, s->ctx, out, in, n);
		break;
	case CRYPTO_AEAD_AES_192_GCM * 2 + CRYPTO_SEAL:
		IMB_AES192_GCM_ENC_UPDATE(m, key, s->ctx, out, in, n);
		break;
	case CRYPTO_AEAD_AES_192_GCM * 2 + CRYPTO_OPEN:
		IMB_AES192_GCM_DEC_UPDATE(m, key, s->ctx, out, in, n);
		break;
	case CRYPTO_AEAD_AES_256_GCM * 2 + CRYPTO_SEAL:
		IMB_AES256_GCM_ENC_UPDATE(m, key, s->ctx, out, in, n);
		break;
	default:
		IMB_AES256_GCM_DEC_UPDATE(m, key, s->ctx, out, in, n);
		break;
	}
	return 0;
}

/* A chained op: GCM in pieces (the context carries partial blocks across them). */
static void run_chain(struct crypto_aead_engine *e, struct crypto_aead_op *op, enum crypto_dir dir)
{
	const struct crypto_aead_key *k = op->key;
	struct sgl s = { e->mgr, k, &e->gctx, dir };
	uint8_t tag[CRYPTO_AEAD_TAG_LEN];
	uint8_t *t = dir == CRYPTO_SEAL ? op->tag : tag;

	switch (k->alg) {
	case CRYPTO_AEAD_AES_128_GCM:
		IMB_AES128_GCM_INIT_VAR_IV(e->mgr, &k->gcm, &e->gctx, op->iv, op->iv_len, op->aad,
					   op->aad_len);
		break;
	case CRYPTO_AEAD_AES_192_GCM:
		IMB_AES192_GCM_INIT_VAR_IV(e->mgr, &k->gcm, &e->gctx, op->iv, op->iv_len, op->aad,
					   op->aad_len);
		break;
	default:
		IMB_AES256_GCM_INIT_VAR_IV(e->mgr, &k->gcm, &e->gctx, op->iv, op->iv_len, op->aad,
					   op->aad_len);
		break;
	}
	(void)crypto_walk(op, sgl_piece, &s);
	switch (k->alg * 2 + dir) {
	case CRYPTO_AEAD_AES_128_GCM * 2 + CRYPTO_SEAL:
		IMB_AES128_GCM_ENC_FINALIZE(e->mgr, &k->gcm, &e->gctx, t, op->tag_len);
		break;
	case CRYPTO_AEAD_AES_128_GCM * 2 + CRYPTO_OPEN:
		IMB_AES128_GCM_DEC_FINALIZE(e->mgr, &k->gcm, &e->gctx, t, op->tag_len);
		break;
	case CRYPTO_AEAD_AES_192_GCM * 2 + CRYPTO_SEAL:
		IMB_AES192_GCM_ENC_FINALIZE(e->mgr, &k->gcm, &e->gctx, t, op->tag_len);
		break;
	case CRYPTO_AEAD_AES_192_GCM * 2 + CRYPTO_OPEN:
		IMB_AES192_GCM_DEC_FINALIZE(e->mgr, &k->gcm, &e->gctx, t, op->tag_len);
		break;
	case CRYPTO_AEAD_AES_256_GCM * 2 + CRYPTO_SEAL:
		IMB_AES256_GCM_ENC_FINALIZE(e->mgr, &k->gcm, &e->gctx, t, op->tag_len);
		break;
	default:
		IMB_AES256_GCM_DEC_FINALIZE(e->mgr, &k->gcm, &e->gctx, t, op->tag_len);
		break;
	}
	if (dir == CRYPTO_OPEN) {
		check_tag(op, tag);
	}
	/* The context holds keystream and GHASH state of this message. */
	OPENSSL_cleanse(&e->gctx, sizeof(e->gctx));
	OPENSSL_cleanse(tag, sizeof(tag));
}

void crypto_imb_run(struct crypto_aead_engine *e, struct crypto_aead_op *ops, uint16_t n,
		    enum crypto_dir dir)
{
	uint16_t nf = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];

		if (op->status != 0 || op->key->ossl) {
			continue;
		}
		if (crypto_op_flat(op)) {
			e->flat[nf++] = op;
		} else {
			run_chain(e, op, dir);
		}
	}
	if (nf > 0) {
		run_flat(e, nf, dir);
	}
}
