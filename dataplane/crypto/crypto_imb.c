/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_imb.c - the intel-ipsec-mb backend: one IMB_MGR per engine,
 * initialised for the chosen code path (AVX-512 with VAES/VPCLMULQDQ where
 * the CPU has them, AVX2, AVX, SSE); GCM keys precomputed once
 * (IMB_AES128_GCM_PRE and its 192- and 256-bit forms). Flat operations go
 * through the burst API in one submission; mbuf chains through the library's GCM init/update/finalize
 * functions, one update per contiguous piece. Opens compute the tag and
 * compare it in constant time here: ipsec-mb only computes it.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_branch_prediction.h>

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

/* An open's computed tag against the received one, in constant time. */
static void check_tag(struct crypto_aead_engine *e, struct crypto_aead_op *op, uint8_t *tag)
{
	if (CRYPTO_memcmp(tag, op->tag, op->tag_len) != 0) {
		/* The right tag for a forged message is the forger's prize: wipe it too. */
		OPENSSL_cleanse(tag, CRYPTO_AEAD_TAG_LEN);
		crypto_op_failed(e, op, CRYPTO_OPEN, -EBADMSG);
	}
}

uint32_t crypto_imb_begin(struct crypto_aead_engine *e, uint16_t n)
{
	uint32_t got = IMB_GET_NEXT_BURST(e->mgr, n, e->jobs);

	if (unlikely(got < n)) {
		/* Not expected with GCM (jobs complete on submission): make room. */
		IMB_FLUSH_BURST(e->mgr, IMB_MAX_JOBS, e->jobs);
		got = IMB_GET_NEXT_BURST(e->mgr, n, e->jobs);
	}
	for (uint32_t i = 0; i < got && i < CRYPTO_IMB_PREFETCH; i++) {
		__builtin_prefetch(e->jobs[i], 1);
		__builtin_prefetch((const uint8_t *)e->jobs[i] + 64, 1);
		__builtin_prefetch((const uint8_t *)e->jobs[i] + 128, 1);
	}
	e->got = got;
	return got;
}

/* GCM jobs complete on submission, in order; the flush is there for the rule, not for GCM. */
void crypto_imb_submit(struct crypto_aead_engine *e, uint16_t nf, enum crypto_dir dir)
{
	IMB_JOB **jobs = e->jobs;
	uint32_t done;

	done = IMB_SUBMIT_BURST_NOCHECK(e->mgr, nf, jobs);
	if (unlikely(done < nf)) {
		done += IMB_FLUSH_BURST(e->mgr, nf - done, jobs + done);
	}
	for (uint32_t i = 0; i < done; i++) {
		struct crypto_aead_op *op = jobs[i]->user_data;

		if (unlikely(jobs[i]->status != IMB_STATUS_COMPLETED)) {
			crypto_op_failed(e, op, dir, -EIO);
		} else if (dir == CRYPTO_OPEN) {
			check_tag(e, op, jobs[i]->auth_tag_output);
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
void crypto_imb_chain(struct crypto_aead_engine *e, struct crypto_aead_op *op, enum crypto_dir dir)
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
	if (unlikely(crypto_walk(op, sgl_piece, &s) != 0)) {
		OPENSSL_cleanse(&e->gctx, sizeof(e->gctx));
		crypto_op_failed(e, op, dir, -EIO);
		return;
	}
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
		check_tag(e, op, tag);
	}
	/* The context holds keystream and GHASH state of this message. */
	OPENSSL_cleanse(&e->gctx, sizeof(e->gctx));
	OPENSSL_cleanse(tag, sizeof(tag));
}
