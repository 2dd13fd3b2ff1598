/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_ossl.c - the OpenSSL EVP backend: AES-GCM when ipsec-mb is not
 * chosen (or the CPU lacks AES-NI), and ChaCha20-Poly1305 always. Ciphers
 * are fetched once per engine and each key keeps one context per direction
 * with its key schedule set, so an operation only sets the IV
 * (EVP_CipherInit_ex2 with a NULL cipher and key), feeds the AAD and the
 * data piece by piece, and finishes. OpenSSL compares the tag itself, in
 * constant time.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto_internal.h"

#define OSSL_GCM_IV_MAX 128		/* OpenSSL 3's GCM_IV_MAX_SIZE */

static int ghash_key(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw);

static const char *const cipher_names[CRYPTO_AEAD_ALG__MAX] = {
	[CRYPTO_AEAD_AES_128_GCM] = "AES-128-GCM",
	[CRYPTO_AEAD_AES_192_GCM] = "AES-192-GCM",
	[CRYPTO_AEAD_AES_256_GCM] = "AES-256-GCM",
	[CRYPTO_AEAD_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
};

int crypto_ossl_engine_init(struct crypto_aead_engine *e)
{
	static const char *const ecb[] = { "AES-128-ECB", "AES-192-ECB", "AES-256-ECB" };

	for (int i = 0; i < CRYPTO_AEAD_ALG__MAX; i++) {
		e->cipher[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
		if (e->cipher[i] == NULL) {
			return -ENOTSUP;
		}
	}
	for (int i = 0; i < 3; i++) {
		e->ecb[i] = EVP_CIPHER_fetch(NULL, ecb[i], NULL);
		if (e->ecb[i] == NULL) {
			return -ENOTSUP;
		}
	}
	return 0;
}

void crypto_ossl_engine_cleanup(struct crypto_aead_engine *e)
{
	for (int i = 0; i < CRYPTO_AEAD_ALG__MAX; i++) {
		EVP_CIPHER_free(e->cipher[i]);
		e->cipher[i] = NULL;
	}
	for (int i = 0; i < 3; i++) {
		EVP_CIPHER_free(e->ecb[i]);
		e->ecb[i] = NULL;
	}
}

int crypto_ossl_key_init(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw)
{
	for (int d = 0; d < 2; d++) {
		k->ctx[d] = EVP_CIPHER_CTX_new();
		if (k->ctx[d] == NULL) {
			return -ENOMEM;
		}
		if (EVP_CipherInit_ex2(k->ctx[d], e->cipher[k->alg], raw, NULL,
				       d == CRYPTO_SEAL ? 1 : 0, NULL) != 1) {
			return -EIO;
		}
		k->ctx_ivlen[d] = CRYPTO_AEAD_NONCE_LEN;
	}
	return k->alg == CRYPTO_AEAD_CHACHA20_POLY1305 ? 0 : ghash_key(e, k, raw);
}

/*
 * A new key into the contexts made by crypto_ossl_key_init: the cipher and
 * direction stay, so OpenSSL only runs the key schedule (no allocation).
 */
int crypto_ossl_key_rekey(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw)
{
	for (int d = 0; d < 2; d++) {
		if (EVP_CipherInit_ex2(k->ctx[d], NULL, raw, NULL, -1, NULL) != 1) {
			return -EIO;
		}
	}
	k->has_hinv2 = false;
	return k->alg == CRYPTO_AEAD_CHACHA20_POLY1305 ? 0 : ghash_key(e, k, raw);
}

/*
 * GCM nonces longer than OpenSSL takes (128 bytes; SP 800-38D allows any
 * length, and Wycheproof checks 257). For a nonce that is not 12 bytes GCM
 * only uses J0 = GHASH_H(IV || pad || 0^64 || [len(IV)]_64) (SP 800-38D
 * 7.1 step 2), and GHASH is linear in the nonce's blocks: the one-block
 * nonce IV' = (J0 + L'H) * H^-2, with L' = 0^64 || [128]_64, gives OpenSSL
 * the same J0 (J0' = IV'H^2 + L'H), hence the same keystream and tag. The
 * field arithmetic below is SP 800-38D algorithm 1, without branches or
 * table lookups on secret bits (H is secret). Slow path: 128 bytes of
 * nonce or more never occur in the bridge's traffic.
 */
struct gf128 {
	uint64_t hi, lo;		/* bytes 0..7 and 8..15, big-endian; bit 0 = x^0 */
};

static struct gf128 gf_load(const uint8_t *b)
{
	struct gf128 r = { 0, 0 };

	for (int i = 0; i < 8; i++) {
		r.hi = (r.hi << 8) | b[i];
		r.lo = (r.lo << 8) | b[8 + i];
	}
	return r;
}

static void gf_store(uint8_t *b, struct gf128 a)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)a.hi;
		b[8 + i] = (uint8_t)a.lo;
		a.hi >>= 8;
		a.lo >>= 8;
	}
}

static struct gf128 gf_mul(struct gf128 x, struct gf128 y)
{
	struct gf128 z = { 0, 0 }, v = y;

	for (int i = 0; i < 128; i++) {
		uint64_t bit = i < 64 ? x.hi >> (63 - i) : x.lo >> (127 - i);
		uint64_t m = -(bit & 1), carry = -(v.lo & 1);

		z.hi ^= v.hi & m;
		z.lo ^= v.lo & m;
		v.lo = (v.lo >> 1) | (v.hi << 63);
		v.hi = (v.hi >> 1) ^ (UINT64_C(0xe1) << 56 & carry);
	}
	return z;
}

/* a^(2^128 - 2) = a^-1 (0 for 0): 127 steps of square-and-multiply, then a square. */
static struct gf128 gf_inv(struct gf128 a)
{
	struct gf128 r = { UINT64_C(1) << 63, 0 };	/* 1 */

	for (int i = 0; i < 127; i++) {
		r = gf_mul(gf_mul(r, r), a);
	}
	return gf_mul(r, r);
}

/* The 16-byte nonce with the same J0 as |iv| (|len| > 16 bytes). */
static void long_iv(struct crypto_aead_key *k, const uint8_t *iv, uint32_t len, uint8_t out[16])
{
	struct gf128 h = gf_load(k->ghash_h), y = { 0, 0 }, x, lp = { 0, 128 };
	uint8_t blk[16];

	for (uint32_t off = 0; off < len; off += 16) {
		uint32_t n = len - off < 16 ? len - off : 16;

		memset(blk, 0, sizeof(blk));
		memcpy(blk, iv + off, n);
		x = gf_load(blk);
		y.hi ^= x.hi;
		y.lo ^= x.lo;
		y = gf_mul(y, h);
	}
	y.lo ^= (uint64_t)len * 8;
	y = gf_mul(y, h);				/* J0 */
	if (!k->has_hinv2) {
		struct gf128 hi = gf_inv(h);

		gf_store(k->ghash_hinv2, gf_mul(hi, hi));
		k->has_hinv2 = true;
	}
	x = gf_mul(lp, h);
	y.hi ^= x.hi;
	y.lo ^= x.lo;
	gf_store(out, gf_mul(y, gf_load(k->ghash_hinv2)));
	OPENSSL_cleanse(blk, sizeof(blk));
	OPENSSL_cleanse(&y, sizeof(y));
	OPENSSL_cleanse(&h, sizeof(h));
}

/* H = E_K(0^128), for long_iv. */
static int ghash_key(struct crypto_aead_engine *e, struct crypto_aead_key *k, const uint8_t *raw)
{
	static const uint8_t zero[16];
	int outl;

	/* The ECB context is made once per key; a rekey only sets the new key. */
	if (k->ecb == NULL) {
		k->ecb = EVP_CIPHER_CTX_new();
		if (k->ecb == NULL) {
			return -ENOMEM;
		}
		if (EVP_EncryptInit_ex2(k->ecb, e->ecb[k->alg], NULL, NULL, NULL) != 1 ||
		    EVP_CIPHER_CTX_set_padding(k->ecb, 0) != 1) {
			return -EIO;
		}
	}
	if (EVP_EncryptInit_ex2(k->ecb, NULL, raw, NULL, NULL) != 1 ||
	    EVP_EncryptUpdate(k->ecb, k->ghash_h, &outl, zero, 16) != 1 || outl != 16) {
		return -EIO;
	}
	return 0;
}

/* EVP_CIPHER_CTX_free cleanses the key schedule. */
void crypto_ossl_key_cleanup(struct crypto_aead_key *k)
{
	for (int d = 0; d < 2; d++) {
		EVP_CIPHER_CTX_free(k->ctx[d]);
		k->ctx[d] = NULL;
	}
	EVP_CIPHER_CTX_free(k->ecb);
	k->ecb = NULL;
}

static int piece(void *arg, const uint8_t *in, uint8_t *out, uint32_t n)
{
	int outl;

	if (EVP_CipherUpdate(arg, out, &outl, in, (int)n) != 1 || (uint32_t)outl != n) {
		return -EIO;
	}
	return 0;
}

void crypto_ossl_run(struct crypto_aead_engine *e, struct crypto_aead_op *op, enum crypto_dir dir)
{
	struct crypto_aead_key *k = op->key;
	EVP_CIPHER_CTX *c = k->ctx[dir];
	const uint8_t *iv = op->iv;
	uint16_t iv_len = op->iv_len;
	uint8_t end[16], alt[16];
	int outl;

	if (iv_len > OSSL_GCM_IV_MAX) {
		long_iv(k, iv, iv_len, alt);
		iv = alt;
		iv_len = sizeof(alt);
	}
	if (iv_len != k->ctx_ivlen[dir]) {
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, iv_len, NULL) != 1) {
			goto fail_io;
		}
		k->ctx_ivlen[dir] = iv_len;
	}
	if (EVP_CipherInit_ex2(c, NULL, NULL, iv, -1, NULL) != 1) {
		goto fail_io;
	}
	if (op->aad_len > 0 && EVP_CipherUpdate(c, NULL, &outl, op->aad, (int)op->aad_len) != 1) {
		goto fail_io;
	}
	if (crypto_walk(op, piece, c) != 0) {
		goto fail_io;
	}
	if (dir == CRYPTO_SEAL) {
		if (EVP_CipherFinal_ex(c, end, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, op->tag_len, op->tag) != 1) {
			goto fail_io;
		}
		return;
	}
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, op->tag_len, op->tag) != 1) {
		goto fail_io;
	}
	if (EVP_CipherFinal_ex(c, end, &outl) != 1) {
		crypto_op_failed(e, op, dir, -EBADMSG);
	}
	return;

fail_io:
	crypto_op_failed(e, op, dir, -EIO);
}
