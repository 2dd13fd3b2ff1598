/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_aead.c - the engine's front: checks each operation, reserves its
 * nonce and usage against the key's limits, hands the ready ones to the
 * backend (crypto_imb.c, crypto_ossl.c) and counts. Also key life cycle
 * (expand once, derive per instance, wipe on free) and mbuf chain walks.
 */
#include "crypto_aead.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "crypto_internal.h"

/*
 * Usage limits per algorithm (see crypto_aead.h). AES-GCM: 2^34 blocks
 * keeps the confidentiality advantage near 2^-57 (RFC 8446 section 5.5
 * allows 2^24.5 records of 2^10 blocks); integrity: 2^52 forgery attempts
 * (RFC 9001 section 6.6). ChaCha20-Poly1305: no practical confidentiality
 * limit below the nonce space; integrity 2^36.
 */
static const struct {
	const char *name;
	uint8_t key_len;
	uint64_t max_blocks;
	uint64_t max_failures;
} algs[CRYPTO_AEAD_ALG__MAX] = {
	[CRYPTO_AEAD_AES_128_GCM] = { "aes-128-gcm", 16, UINT64_C(1) << 34, UINT64_C(1) << 52 },
	[CRYPTO_AEAD_AES_192_GCM] = { "aes-192-gcm", 24, UINT64_C(1) << 34, UINT64_C(1) << 52 },
	[CRYPTO_AEAD_AES_256_GCM] = { "aes-256-gcm", 32, UINT64_C(1) << 34, UINT64_C(1) << 52 },
	[CRYPTO_AEAD_CHACHA20_POLY1305] = { "chacha20-poly1305", 32, UINT64_MAX, UINT64_C(1) << 36 },
};

static const char *const backend_names[CRYPTO_AEAD_BACKEND__MAX] = {
	[CRYPTO_AEAD_BACKEND_AUTO] = "auto",
	[CRYPTO_AEAD_BACKEND_IPSECMB] = "ipsec-mb",
	[CRYPTO_AEAD_BACKEND_OPENSSL] = "openssl",
};

static const char *const arch_names[CRYPTO_AEAD_ARCH__MAX] = {
	[CRYPTO_AEAD_ARCH_AUTO] = "auto",
	[CRYPTO_AEAD_ARCH_SSE] = "sse",
	[CRYPTO_AEAD_ARCH_AVX] = "avx",
	[CRYPTO_AEAD_ARCH_AVX2] = "avx2",
	[CRYPTO_AEAD_ARCH_AVX512] = "avx512",
};

const char *crypto_aead_alg_name(enum crypto_aead_alg alg)
{
	return (unsigned)alg < CRYPTO_AEAD_ALG__MAX ? algs[alg].name : "?";
}

const char *crypto_aead_backend_name(enum crypto_aead_backend b)
{
	return (unsigned)b < CRYPTO_AEAD_BACKEND__MAX ? backend_names[b] : "?";
}

const char *crypto_aead_arch_name(enum crypto_aead_arch a)
{
	return (unsigned)a < CRYPTO_AEAD_ARCH__MAX ? arch_names[a] : "?";
}

int crypto_aead_backend_parse(const char *name)
{
	for (int i = 0; i < CRYPTO_AEAD_BACKEND__MAX; i++) {
		if (strcmp(name, backend_names[i]) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

int crypto_aead_arch_parse(const char *name)
{
	for (int i = 0; i < CRYPTO_AEAD_ARCH__MAX; i++) {
		if (strcmp(name, arch_names[i]) == 0) {
			return i;
		}
	}
	return -EINVAL;
}

size_t crypto_aead_key_len(enum crypto_aead_alg alg)
{
	return (unsigned)alg < CRYPTO_AEAD_ALG__MAX ? algs[alg].key_len : 0;
}

bool crypto_aead_arch_supported(enum crypto_aead_arch arch)
{
	return crypto_imb_arch_supported(arch);
}

/*
 * Known-answer test on a new engine, both directions: McGrew and Viega's
 * GCM test case 14 (AES-256, zero key, IV and one zero block) and the
 * first AES-128 case of Wycheproof's aes_gcm_test.json.
 */
static int self_test(struct crypto_aead_engine *e)
{
	static const struct {
		enum crypto_aead_alg alg;
		uint8_t key[32], iv[12], pt[16], ct[16], tag[16];
	} kat[] = {
		{ CRYPTO_AEAD_AES_256_GCM, { 0 }, { 0 }, { 0 },
		  { 0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
		    0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18 },
		  { 0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
		    0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19 } },
		{ CRYPTO_AEAD_AES_128_GCM,
		  { 0x5b, 0x96, 0x04, 0xfe, 0x14, 0xea, 0xdb, 0xa9,
		    0x31, 0xb0, 0xcc, 0xf3, 0x48, 0x43, 0xda, 0xb9 },
		  { 0x02, 0x83, 0x18, 0xab, 0xc1, 0x82, 0x40, 0x29, 0x13, 0x81, 0x41, 0xa2 },
		  { 0x00, 0x1d, 0x0c, 0x23, 0x12, 0x87, 0xc1, 0x18,
		    0x27, 0x84, 0x55, 0x4c, 0xa3, 0xa2, 0x19, 0x08 },
		  { 0x26, 0x07, 0x3c, 0xc1, 0xd8, 0x51, 0xbe, 0xff,
		    0x17, 0x63, 0x84, 0xdc, 0x98, 0x96, 0xd5, 0xff },
		  { 0x0a, 0x3e, 0xa7, 0xa5, 0x48, 0x7c, 0xb5, 0xf7,
		    0xd7, 0x0f, 0xb6, 0xc5, 0x8d, 0x03, 0x85, 0x54 } },
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]) && rc == 0; i++) {
		struct crypto_aead_key *k;
		uint8_t buf[16], tag[16], iv[12];
		struct crypto_aead_op op = {
			.src.data = buf, .len = 16, .iv = iv, .iv_len = 12,
			.tag = tag, .tag_len = 16,
		};

		k = crypto_aead_key_new(e, kat[i].alg, kat[i].key, crypto_aead_key_len(kat[i].alg));
		if (k == NULL) {
			return -ENOMEM;
		}
		op.key = k;
		memcpy(iv, kat[i].iv, 12);
		memcpy(buf, kat[i].pt, 16);
		if (crypto_aead_seal_burst(e, &op, 1) != 1 || memcmp(buf, kat[i].ct, 16) != 0 ||
		    memcmp(tag, kat[i].tag, 16) != 0) {
			rc = -EIO;
		} else if (crypto_aead_open_burst(e, &op, 1) != 1 ||
			   memcmp(buf, kat[i].pt, 16) != 0) {
			rc = -EIO;
		}
		crypto_aead_key_free(k);
	}
	memset(&e->st, 0, sizeof(e->st));
	return rc;
}

struct crypto_aead_engine *crypto_aead_engine_new(enum crypto_aead_backend backend,
						  enum crypto_aead_arch arch)
{
	struct crypto_aead_engine *e;
	int rc;

	if ((unsigned)backend >= CRYPTO_AEAD_BACKEND__MAX || (unsigned)arch >= CRYPTO_AEAD_ARCH__MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (backend == CRYPTO_AEAD_BACKEND_AUTO) {
		backend = crypto_imb_arch_supported(CRYPTO_AEAD_ARCH_AUTO) ?
			CRYPTO_AEAD_BACKEND_IPSECMB : CRYPTO_AEAD_BACKEND_OPENSSL;
	}
	if (posix_memalign((void **)&e, 64, sizeof(*e)) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->backend = backend;
	rc = crypto_ossl_engine_init(e);
	if (rc == 0 && backend == CRYPTO_AEAD_BACKEND_IPSECMB) {
		rc = crypto_imb_engine_init(e, arch);
	}
	if (rc == 0) {
		rc = self_test(e);
	}
	if (rc != 0) {
		crypto_aead_engine_free(e);
		errno = -rc;
		return NULL;
	}
	return e;
}

void crypto_aead_engine_free(struct crypto_aead_engine *e)
{
	if (e == NULL) {
		return;
	}
	crypto_imb_engine_cleanup(e);
	crypto_ossl_engine_cleanup(e);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

enum crypto_aead_backend crypto_aead_engine_backend(const struct crypto_aead_engine *e)
{
	return e->backend;
}

enum crypto_aead_arch crypto_aead_engine_arch(const struct crypto_aead_engine *e)
{
	return e->arch;
}

const char *crypto_aead_engine_describe(const struct crypto_aead_engine *e, char *buf, size_t len)
{
	if (e->backend == CRYPTO_AEAD_BACKEND_IPSECMB) {
		bool vaes = (e->features & (IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ)) ==
			    (IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ);

		snprintf(buf, len, "ipsec-mb %s %s (%s); chacha20-poly1305 on %s",
			 imb_get_version_str(), arch_names[e->arch],
			 e->arch == CRYPTO_AEAD_ARCH_AVX512 && vaes ? "vaes, vpclmulqdq" :
								      "aes-ni, pclmulqdq",
			 OpenSSL_version(OPENSSL_VERSION));
	} else {
		snprintf(buf, len, "openssl %s", OpenSSL_version(OPENSSL_VERSION));
	}
	return buf;
}

void crypto_aead_engine_stats(const struct crypto_aead_engine *e, struct crypto_aead_stats *out)
{
	*out = e->st;
}

static void set_soft_limits(struct crypto_aead_key *k)
{
	k->soft_seals = k->u.max_seals - k->u.max_seals / 4;
	k->soft_blocks = k->u.max_blocks - k->u.max_blocks / 4;
	k->soft_failures = k->u.max_auth_failures - k->u.max_auth_failures / 4;
}

struct crypto_aead_key *crypto_aead_key_new(struct crypto_aead_engine *e, enum crypto_aead_alg alg,
					    const uint8_t *raw, size_t raw_len)
{
	struct crypto_aead_key *k;

	if (e == NULL || raw == NULL || (unsigned)alg >= CRYPTO_AEAD_ALG__MAX ||
	    raw_len != algs[alg].key_len) {
		errno = EINVAL;
		return NULL;
	}
	if (posix_memalign((void **)&k, 64, sizeof(*k)) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	memset(k, 0, sizeof(*k));
	k->engine = e;
	k->alg = alg;
	k->ossl = e->backend == CRYPTO_AEAD_BACKEND_OPENSSL || alg == CRYPTO_AEAD_CHACHA20_POLY1305;
	if (alg == CRYPTO_AEAD_CHACHA20_POLY1305) {
		k->tag_mask = 1u << 16;
		k->iv_min = k->iv_max = CRYPTO_AEAD_NONCE_LEN;
	} else {
		/* SP 800-38D 5.2.1.2: tags of 128, 120, 112, 104, 96, 64 or 32 bits. */
		k->tag_mask = 1u << 4 | 1u << 8 | 0x1fu << 12;
		k->iv_min = 1;
		k->iv_max = CRYPTO_AEAD_IV_MAX;
	}
	k->u.max_seals = UINT64_MAX - 1;	/* the counter never wraps */
	k->u.max_blocks = algs[alg].max_blocks;
	k->u.max_auth_failures = algs[alg].max_failures;
	set_soft_limits(k);
	if (k->ossl) {
		int rc = crypto_ossl_key_init(e, k, raw);

		if (rc != 0) {
			crypto_aead_key_free(k);
			errno = -rc;
			return NULL;
		}
	} else {
		crypto_imb_key_init(e, k, raw);
	}
	return k;
}

struct crypto_aead_key *crypto_aead_key_derive(struct crypto_aead_engine *e,
					       enum crypto_aead_alg alg,
					       const uint8_t *secret, size_t secret_len,
					       const uint8_t salt[CRYPTO_AEAD_SALT_LEN],
					       const uint8_t *context, size_t context_len)
{
	static const char label[] = "slimbridge aead v1";
	uint8_t info[sizeof(label) + 32 + 256], okm[32];
	struct crypto_aead_key *k = NULL;
	OSSL_PARAM params[5], *p = params;
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	size_t n = 0, nlen;

	if ((unsigned)alg >= CRYPTO_AEAD_ALG__MAX || secret == NULL || secret_len == 0 ||
	    salt == NULL || context_len > 256 || (context_len > 0 && context == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	nlen = strlen(algs[alg].name);
	memcpy(info, label, sizeof(label) - 1);
	n = sizeof(label) - 1;
	memcpy(info + n, algs[alg].name, nlen);
	n += nlen;
	if (context_len > 0) {
		memcpy(info + n, context, context_len);
		n += context_len;
	}
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (kctx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
						 CRYPTO_AEAD_SALT_LEN);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, okm, algs[alg].key_len, params) != 1) {
		errno = EIO;
	} else {
		k = crypto_aead_key_new(e, alg, okm, algs[alg].key_len);
	}
	EVP_KDF_CTX_free(kctx);
	OPENSSL_cleanse(okm, sizeof(okm));
	return k;
}

int crypto_aead_instance_salt(uint8_t salt[CRYPTO_AEAD_SALT_LEN])
{
	return RAND_priv_bytes(salt, CRYPTO_AEAD_SALT_LEN) == 1 ? 0 : -EIO;
}

int crypto_aead_key_set_nonce_seq(struct crypto_aead_key *k, uint32_t fixed)
{
	if (k->has_seq || k->u.seals != 0) {
		return -EALREADY;
	}
	k->has_seq = true;
	k->fixed = fixed;
	return 0;
}

int crypto_aead_key_set_limits(struct crypto_aead_key *k, uint64_t max_seals,
			       uint64_t max_blocks, uint64_t max_auth_failures)
{
	if (max_seals == UINT64_MAX || (max_blocks != 0 && max_blocks > algs[k->alg].max_blocks) ||
	    (max_auth_failures != 0 && max_auth_failures > algs[k->alg].max_failures)) {
		return -EINVAL;
	}
	if (max_seals != 0) {
		k->u.max_seals = max_seals;
	}
	if (max_blocks != 0) {
		k->u.max_blocks = max_blocks;
	}
	if (max_auth_failures != 0) {
		k->u.max_auth_failures = max_auth_failures;
	}
	set_soft_limits(k);
	return 0;
}

void crypto_aead_key_usage(const struct crypto_aead_key *k, struct crypto_aead_usage *out)
{
	*out = k->u;
}

enum crypto_aead_alg crypto_aead_key_alg(const struct crypto_aead_key *k)
{
	return k->alg;
}

int crypto_aead_key_rekey(struct crypto_aead_engine *e, struct crypto_aead_key *k,
			  const uint8_t *raw, size_t raw_len)
{
	int rc = 0;

	if (e == NULL || k == NULL || raw == NULL || k->engine != e || k->has_seq ||
	    raw_len != algs[k->alg].key_len) {
		return -EINVAL;
	}
	if (k->ossl) {
		rc = crypto_ossl_key_rekey(e, k, raw);
	} else {
		crypto_imb_key_init(e, k, raw);
	}
	k->u.seals = 0;
	k->u.blocks = 0;
	k->u.auth_failures = 0;
	if (rc < 0) {
		/* Unusable until a rekey succeeds: every op is refused as expired. */
		k->u.seals = k->u.max_seals;
		k->u.auth_failures = k->u.max_auth_failures;
	}
	return rc;
}

void crypto_aead_key_free(struct crypto_aead_key *k)
{
	if (k == NULL) {
		return;
	}
	crypto_ossl_key_cleanup(k);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* Bytes held by a chain from segment |m| on. */
static uint64_t chain_len(const struct rte_mbuf *m)
{
	uint64_t n = 0;

	for (; m != NULL; m = m->next) {
		n += m->data_len;
	}
	return n;
}

static bool buf_ok(const struct crypto_aead_buf *b, uint32_t len)
{
	if (b->m != NULL) {
		return chain_len(b->m) >= (uint64_t)b->off + len;
	}
	return b->data != NULL || len == 0;
}

/* The segment holding byte |off| of the chain, and the offset in it. */
static struct rte_mbuf *seek(struct rte_mbuf *m, uint32_t *off)
{
	while (m != NULL && *off >= m->data_len) {
		*off -= m->data_len;
		m = m->next;
	}
	return m;
}

struct cursor {
	struct rte_mbuf *m;		/* NULL: flat */
	uint8_t *p;			/* current position */
	uint32_t left;			/* bytes left in the current piece */
};

static void cursor_init(struct cursor *c, const struct crypto_aead_buf *b)
{
	uint32_t off = b->off;

	if (b->m == NULL) {
		c->m = NULL;
		c->p = b->data;
		c->left = UINT32_MAX;
		return;
	}
	c->m = seek(b->m, &off);
	c->p = c->m != NULL ? rte_pktmbuf_mtod_offset(c->m, uint8_t *, off) : NULL;
	c->left = c->m != NULL ? c->m->data_len - off : 0;
}

/* Moves to the next segment with bytes in it (chains may hold empty segments). */
static void cursor_refill(struct cursor *c)
{
	while (c->left == 0 && c->m != NULL) {
		c->m = c->m->next;
		if (c->m != NULL) {
			c->p = rte_pktmbuf_mtod(c->m, uint8_t *);
			c->left = c->m->data_len;
		}
	}
}

int crypto_walk(const struct crypto_aead_op *op, crypto_piece_fn fn, void *arg)
{
	bool oop = op->flags & CRYPTO_AEAD_F_OUT_OF_PLACE;
	struct cursor in, out;
	uint32_t remaining = op->len;

	cursor_init(&in, &op->src);
	if (oop) {
		cursor_init(&out, &op->dst);
	}
	while (remaining > 0) {
		uint32_t n = remaining;
		int rc;

		cursor_refill(&in);
		if (n > in.left) {
			n = in.left;
		}
		if (oop) {
			cursor_refill(&out);
			if (n > out.left) {
				n = out.left;
			}
		}
		if (unlikely(n == 0)) {
			return -EIO;	/* a chain shorter than checked: never loop on it */
		}
		rc = fn(arg, in.p, oop ? out.p : in.p, n);
		if (rc != 0) {
			return rc;
		}
		in.p += n;
		in.left -= n;
		if (oop) {
			out.p += n;
			out.left -= n;
		}
		remaining -= n;
	}
	return 0;
}

void crypto_wipe_out(const struct crypto_aead_op *op)
{
	const struct crypto_aead_buf *b =
		(op->flags & CRYPTO_AEAD_F_OUT_OF_PLACE) ? &op->dst : &op->src;
	struct cursor c;
	uint32_t remaining = op->len;

	cursor_init(&c, b);
	while (remaining > 0) {
		uint32_t n;

		cursor_refill(&c);
		n = remaining < c.left ? remaining : c.left;
		if (unlikely(n == 0)) {
			return;
		}
		OPENSSL_cleanse(c.p, n);
		c.p += n;
		c.left -= n;
		remaining -= n;
	}
}

static inline uint64_t blocks_of(uint64_t n)
{
	return (n + 15) / 16;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

/* The buffers of an op that is not two flat, non-NULL buffers: -EINVAL, -ENOBUFS or 0. */
static int check_bufs(const struct crypto_aead_op *op)
{
	bool oop = op->flags & CRYPTO_AEAD_F_OUT_OF_PLACE;

	if ((op->src.m == NULL && op->src.data == NULL && op->len != 0) ||
	    (oop && op->dst.m == NULL && op->dst.data == NULL && op->len != 0)) {
		return -EINVAL;
	}
	if (!buf_ok(&op->src, op->len) || (oop && !buf_ok(&op->dst, op->len))) {
		return -ENOBUFS;
	}
	return 0;
}

/*
 * Pass 1: parameters, buffers and limits; reserves the nonce (the counter
 * moves before anything is written, so no two seals of a key ever share
 * one) and the usage, and sets the rekey advice. Returns the op's status.
 * Kept to a few predictable branches: it runs once per message.
 */
static inline __attribute__((always_inline)) int prepare(struct crypto_aead_engine *e, struct crypto_aead_op *op,
			  enum crypto_dir dir, bool *flat)
{
	struct crypto_aead_key *k = op->key;
	uint64_t seals, blocks;
	int rc;

	op->out = 0;
	if (unlikely(k == NULL || k->engine != e || op->iv == NULL || op->tag == NULL ||
		     op->tag_len > CRYPTO_AEAD_TAG_LEN || !((k->tag_mask >> op->tag_len) & 1) ||
		     (uint32_t)(op->iv_len - k->iv_min) > (uint32_t)(k->iv_max - k->iv_min) ||
		     (op->aad == NULL && op->aad_len != 0))) {
		return -EINVAL;
	}
	*flat = op->src.m == NULL && op->src.data != NULL &&
		(!(op->flags & CRYPTO_AEAD_F_OUT_OF_PLACE) || (op->dst.m == NULL && op->dst.data != NULL));
	if (unlikely(!*flat)) {
		rc = check_bufs(op);
		if (rc != 0) {
			return rc;
		}
		*flat = crypto_op_flat(op);
	}
	if (dir == CRYPTO_OPEN) {
		if (unlikely(op->flags & CRYPTO_AEAD_F_NONCE_SEQ)) {
			return -EINVAL;
		}
		if (unlikely(k->u.auth_failures >= k->soft_failures || k->u.seals >= k->soft_seals ||
			     k->u.blocks >= k->soft_blocks)) {
			if (k->u.auth_failures >= k->u.max_auth_failures) {
				return -EKEYEXPIRED;
			}
			op->out = CRYPTO_AEAD_OUT_REKEY;
			e->st.rekey_advised++;
		}
		return 0;
	}
	seals = k->u.seals + 1;
	blocks = k->u.blocks + blocks_of(op->len) + blocks_of(op->aad_len);
	/* One test on the fast path: the soft limits are below the hard ones. */
	if (unlikely(seals >= k->soft_seals || blocks >= k->soft_blocks ||
		     k->u.auth_failures >= k->soft_failures)) {
		if (seals > k->u.max_seals || blocks > k->u.max_blocks) {
			return -EKEYEXPIRED;
		}
		op->out = CRYPTO_AEAD_OUT_REKEY;
	}
	if (op->flags & CRYPTO_AEAD_F_NONCE_SEQ) {
		if (unlikely(!k->has_seq || op->iv_len != CRYPTO_AEAD_NONCE_LEN)) {
			op->out = 0;
			return -EINVAL;
		}
		put_be32(op->iv, k->fixed);
		put_be64(op->iv + 4, seals - 1);
	}
	k->u.seals = seals;
	k->u.blocks = blocks;
	e->st.rekey_advised += (op->out & CRYPTO_AEAD_OUT_REKEY) != 0;
	return 0;
}

void crypto_op_failed(struct crypto_aead_engine *e, struct crypto_aead_op *op, enum crypto_dir dir,
		      int status)
{
	if (dir == CRYPTO_OPEN) {
		/* A forgery's plaintext never shows, in place or not. */
		crypto_wipe_out(op);
	}
	if (status == -EBADMSG) {
		op->key->u.auth_failures++;
		e->st.auth_failures++;
	} else {
		e->st.invalid++;
	}
	if (op->out & CRYPTO_AEAD_OUT_REKEY) {
		e->st.rekey_advised--;
	}
	op->out = 0;
	op->status = status;
	e->failed++;
	e->failed_bytes += op->len;
}

/*
 * Passes 2 and 3: OpenSSL keys and chains as they come, flat ipsec-mb
 * operations gathered for one burst submission; backends report failures
 * through crypto_op_failed, so the counters are summed once per burst.
 */
/* Inlined into seal and open each, so that |dir| is a constant in every test of it. */
static inline __attribute__((always_inline)) uint16_t
run(struct crypto_aead_engine *e, struct crypto_aead_op *ops, uint16_t n, enum crypto_dir dir)
{
	uint64_t bytes = 0;
	uint16_t ready = 0, nf = 0, ok;
	uint32_t got = e->mgr != NULL ? crypto_imb_begin(e, n) : 0;

	e->failed = 0;
	e->failed_bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];
		bool flat;
		int rc = prepare(e, op, dir, &flat);

		op->status = rc;
		if (unlikely(rc != 0)) {
			if (rc == -EKEYEXPIRED) {
				e->st.expired++;
			} else {
				e->st.invalid++;
			}
			continue;
		}
		ready++;
		bytes += op->len;
		if (op->key->ossl) {
			crypto_ossl_run(e, op, dir);
		} else if (likely(flat)) {
			if (likely(nf < got)) {
				crypto_imb_fill(e, nf++, op, dir);
			} else {
				crypto_op_failed(e, op, dir, -EIO);
			}
		} else {
			crypto_imb_chain(e, op, dir);
		}
	}
	if (nf > 0) {
		crypto_imb_submit(e, nf, dir);
	}
	ok = ready - e->failed;
	bytes -= e->failed_bytes;
	if (dir == CRYPTO_SEAL) {
		e->st.seals += ok;
		e->st.seal_bytes += bytes;
	} else {
		e->st.opens += ok;
		e->st.open_bytes += bytes;
	}
	e->st.bursts++;
	return ok;
}

static inline __attribute__((always_inline)) uint16_t
burst(struct crypto_aead_engine *e, struct crypto_aead_op *ops, uint16_t n, enum crypto_dir dir)
{
	uint16_t ok = 0;

	for (uint16_t i = 0; i < n; i += CRYPTO_AEAD_BURST_MAX) {
		uint16_t m = n - i < CRYPTO_AEAD_BURST_MAX ? n - i : CRYPTO_AEAD_BURST_MAX;

		ok += run(e, ops + i, m, dir);
	}
	return ok;
}

uint16_t crypto_aead_seal_burst(struct crypto_aead_engine *e, struct crypto_aead_op *ops, uint16_t n)
{
	return burst(e, ops, n, CRYPTO_SEAL);
}

uint16_t crypto_aead_open_burst(struct crypto_aead_engine *e, struct crypto_aead_op *ops, uint16_t n)
{
	return burst(e, ops, n, CRYPTO_OPEN);
}
