/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_aead_diff.c - differential tests of the AEAD engine
 * (dataplane/crypto): every ipsec-mb code path this CPU runs (SSE, AVX, AVX2,
 * AVX-512) against the OpenSSL backend and against a reference made here
 * without the engine (OpenSSL EVP called directly, and for GCM a GHASH and
 * counter mode written out, which also covers the nonces of more than 128
 * bytes that EVP refuses).
 *
 * Why: the backend is chosen at run time, per lcore and per host, so a seal
 * on one must open on every other, bit for bit; the mbuf chain walk is
 * written by hand and its bugs sit at segment boundaries, so short messages
 * are split at every offset; and a failed open must leave nothing of the
 * plaintext behind, while a refused operation must write nothing at all.
 *
 * What: random keys (AES-128/192/256-GCM, ChaCha20-Poly1305), nonces of
 * 1..1024 bytes, AAD of 0..80 bytes, lengths 0..16384, every legal tag
 * length (GCM's t-byte tag is the first t bytes of the full one, so it opens
 * at any legal length up to 16, and a longer tag with wrong extra bytes
 * fails); in place and out of place; flat buffers and chains of fake mbufs
 * (no EAL: struct rte_mbuf over our own memory, with headroom, tailroom and
 * guard bytes that are checked after every operation, as are the mbuf
 * headers, the nonce, the AAD, the tag and the engine's counters); tampered
 * ciphertext, tag, AAD, nonce and lengths (-EBADMSG, destination wiped);
 * refused parameters (-EINVAL, -ENOBUFS, nothing written); bursts of 200
 * mixed operations (NONCE_SEQ seals among them) against the same
 * operations one at a time.
 *
 * The PRNG's seed is printed first; SB_SEED=<seed> repeats a run, and every
 * failure names the test, the case number and its parameters.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <rte_mbuf.h>

#include "crypto_aead.h"

#define ENG_MAX 6		/* OpenSSL and up to 4 ipsec-mb code paths */
#define SEG_MAX 8
#define GUARD 16
#define EVP_IV_MAX 128		/* OpenSSL 3's GCM takes nonces of up to 1024 bits */
#define SPLIT_MAX_LEN 96	/* test_chain_splits: every split of 0..96 bytes */
#define BURST_N 200

/* Engines: [0] OpenSSL, then ipsec-mb at every arch the CPU runs. */
static struct crypto_aead_engine *g_eng[ENG_MAX];
static char g_eng_name[ENG_MAX][128];
static unsigned int g_neng;

static uint64_t g_seed;
static const char *g_test = "";
static const char *g_case = "";
static char g_where[1024];
static unsigned long g_ncases, g_nops;	/* per test, for the summary line */
static struct timespec g_t0;

/* A failed expectation names the case and the operation (g_where). */
#define EXPECT(cond)								\
	do {									\
		if (!(cond)) {							\
			fail_msg("%s:%d: %s\n\tat: %s\n\tseed %#" PRIx64	\
				 " (SB_SEED=%" PRIu64 " repeats the run)",	\
				 __FILE__, __LINE__, #cond, g_where, g_seed, g_seed); \
		}							\
	} while (0)

/* ---- PRNG: xoshiro256**, seeded by splitmix64 ---- */

static uint64_t g_rng[4];

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(void)
{
	uint64_t *s = g_rng;
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static uint32_t below(uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(rnd() % n);
}

static uint32_t between(uint32_t lo, uint32_t hi)
{
	return lo + below(hi - lo + 1);
}

static void rnd_fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i] = (uint8_t)rnd();
	}
}

/* test_begin gives each test its own stream, so one test repeats alone. */
static void test_begin(const char *name)
{
	uint64_t x = g_seed;
	const char *p;
	int i;

	for (p = name; *p != '\0'; p++) {
		x = (x ^ (uint8_t)*p) * 0x100000001b3ull;
	}
	for (i = 0; i < 4; i++) {
		g_rng[i] = splitmix(&x);
	}
	g_test = name;
	g_case = "";
	g_ncases = 0;
	g_nops = 0;
	clock_gettime(CLOCK_MONOTONIC, &g_t0);
	snprintf(g_where, sizeof(g_where), "%s", name);
}

static void test_end(void)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %s: %lu cases, %lu operations checked, %.2f s\n", g_test, g_ncases, g_nops,
	       (double)(t1.tv_sec - g_t0.tv_sec) + (double)(t1.tv_nsec - g_t0.tv_nsec) / 1e9);
	fflush(stdout);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	assert_non_null(p);
	return p;
}

/* bdup copies |n| bytes into an allocation of exactly |n| (ASan sees overreads). */
static uint8_t *bdup(const uint8_t *p, size_t n)
{
	uint8_t *q = xmalloc(n);

	if (n != 0) {
		memcpy(q, p, n);
	}
	return q;
}

static const char *err_name(int e)
{
	switch (e) {
	case 0:
		return "0";
	case -EINVAL:
		return "-EINVAL";
	case -ENOBUFS:
		return "-ENOBUFS";
	case -EBADMSG:
		return "-EBADMSG";
	case -EKEYEXPIRED:
		return "-EKEYEXPIRED";
	default:
		return "other";
	}
}

/* ---- The reference: OpenSSL EVP, and GCM written out ---- */

static bool is_gcm(enum crypto_aead_alg alg)
{
	return alg != CRYPTO_AEAD_CHACHA20_POLY1305;
}

static const EVP_CIPHER *evp_aead(enum crypto_aead_alg alg)
{
	switch (alg) {
	case CRYPTO_AEAD_AES_128_GCM:
		return EVP_aes_128_gcm();
	case CRYPTO_AEAD_AES_192_GCM:
		return EVP_aes_192_gcm();
	case CRYPTO_AEAD_AES_256_GCM:
		return EVP_aes_256_gcm();
	default:
		return EVP_chacha20_poly1305();
	}
}

static const EVP_CIPHER *evp_ecb(enum crypto_aead_alg alg)
{
	switch (alg) {
	case CRYPTO_AEAD_AES_128_GCM:
		return EVP_aes_128_ecb();
	case CRYPTO_AEAD_AES_192_GCM:
		return EVP_aes_192_ecb();
	default:
		return EVP_aes_256_ecb();
	}
}

/* evp_seal seals with EVP directly; |tag| gets |tag_len| bytes. */
static void evp_seal(enum crypto_aead_alg alg, const uint8_t *key, const uint8_t *iv,
		     uint16_t iv_len, const uint8_t *aad, uint32_t aad_len, const uint8_t *pt,
		     uint32_t len, uint8_t *ct, uint8_t *tag, uint8_t tag_len)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;

	assert_non_null(x);
	assert_int_equal(EVP_EncryptInit_ex(x, evp_aead(alg), NULL, NULL, NULL), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, iv_len, NULL), 1);
	assert_int_equal(EVP_EncryptInit_ex(x, NULL, NULL, key, iv), 1);
	if (aad_len != 0) {
		assert_int_equal(EVP_EncryptUpdate(x, NULL, &n, aad, (int)aad_len), 1);
		n = 0;
	}
	if (len != 0) {
		assert_int_equal(EVP_EncryptUpdate(x, ct, &n, pt, (int)len), 1);
	}
	assert_int_equal(EVP_EncryptFinal_ex(x, ct + n, &m), 1);
	assert_int_equal(n + m, (int)len);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, tag_len, tag), 1);
	EVP_CIPHER_CTX_free(x);
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* gf_mul: y = y * h in GCM's GF(2^128) (SP 800-38D algorithm 1), bit by bit. */
static void gf_mul(uint8_t y[16], const uint8_t h[16])
{
	uint64_t x0 = load_be64(y), x1 = load_be64(y + 8);
	uint64_t v0 = load_be64(h), v1 = load_be64(h + 8), z0 = 0, z1 = 0, mask, lsb;
	int i;

	for (i = 0; i < 128; i++) {
		mask = 0 - ((i < 64 ? x0 >> (63 - i) : x1 >> (127 - i)) & 1);
		z0 ^= v0 & mask;
		z1 ^= v1 & mask;
		lsb = v1 & 1;
		v1 = v1 >> 1 | v0 << 63;
		v0 = (v0 >> 1) ^ ((0 - lsb) & 0xe100000000000000ull);
	}
	store_be64(y, z0);
	store_be64(y + 8, z1);
}

/* ghash absorbs |n| bytes into |y|, the last block zero-padded. */
static void ghash(uint8_t y[16], const uint8_t h[16], const uint8_t *p, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < n; i += 16) {
		k = n - i < 16 ? n - i : 16;
		for (j = 0; j < k; j++) {
			y[j] ^= p[i + j];
		}
		gf_mul(y, h);
	}
}

static void aes_ecb(enum crypto_aead_alg alg, const uint8_t *key, const uint8_t *in, uint8_t *out,
		    size_t n)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l = 0;

	assert_non_null(x);
	assert_int_equal(EVP_EncryptInit_ex(x, evp_ecb(alg), NULL, key, NULL), 1);
	assert_int_equal(EVP_CIPHER_CTX_set_padding(x, 0), 1);
	assert_int_equal(EVP_EncryptUpdate(x, out, &l, in, (int)n), 1);
	assert_int_equal(l, (int)n);
	EVP_CIPHER_CTX_free(x);
}

/* ref_gcm: SP 800-38D, any nonce length; |tag| gets all 16 bytes. */
static void ref_gcm(enum crypto_aead_alg alg, const uint8_t *key, const uint8_t *iv,
		    uint16_t iv_len, const uint8_t *aad, uint32_t aad_len, const uint8_t *pt,
		    uint32_t len, uint8_t *ct, uint8_t tag[16])
{
	size_t nb = (len + 15) / 16, i;
	uint8_t h[16] = {0}, j0[16] = {0}, s[16] = {0}, lens[16], ej0[16];
	uint8_t *ctr = xmalloc((nb + 1) * 16), *ks = xmalloc((nb + 1) * 16);
	uint32_t c;

	aes_ecb(alg, key, h, h, 16);
	if (iv_len == 12) {
		memcpy(j0, iv, 12);
		j0[15] = 1;
	} else {
		ghash(j0, h, iv, iv_len);
		store_be64(lens, 0);
		store_be64(lens + 8, (uint64_t)iv_len * 8);
		ghash(j0, h, lens, 16);
	}
	/* Block 0 is J0 (for the tag), then inc32(J0), inc32^2(J0), ... */
	c = (uint32_t)j0[12] << 24 | (uint32_t)j0[13] << 16 | (uint32_t)j0[14] << 8 | j0[15];
	for (i = 0; i <= nb; i++) {
		uint32_t ci = c + (uint32_t)i;

		memcpy(ctr + i * 16, j0, 12);
		ctr[i * 16 + 12] = (uint8_t)(ci >> 24);
		ctr[i * 16 + 13] = (uint8_t)(ci >> 16);
		ctr[i * 16 + 14] = (uint8_t)(ci >> 8);
		ctr[i * 16 + 15] = (uint8_t)ci;
	}
	aes_ecb(alg, key, ctr, ks, (nb + 1) * 16);
	memcpy(ej0, ks, 16);
	for (i = 0; i < len; i++) {
		ct[i] = pt[i] ^ ks[16 + i];
	}
	ghash(s, h, aad, aad_len);
	ghash(s, h, ct, len);
	store_be64(lens, (uint64_t)aad_len * 8);
	store_be64(lens + 8, (uint64_t)len * 8);
	ghash(s, h, lens, 16);
	for (i = 0; i < 16; i++) {
		tag[i] = s[i] ^ ej0[i];
	}
	free(ctr);
	free(ks);
}

/* ---- Messages and their expected results ---- */

/* The parameters of one seal or open besides the key and the buffers. */
struct msg {
	uint8_t *iv;
	uint8_t *aad;
	uint8_t *tag;		/* seal: the expected tag; open: the tag given */
	uint32_t len;
	uint32_t aad_len;
	uint16_t iv_len;
	uint8_t tag_len;
};

/* A message with its key on every engine and the reference's ciphertext. */
struct tcase {
	enum crypto_aead_alg alg;
	uint8_t key[32];
	struct crypto_aead_key *k[ENG_MAX];
	uint8_t *pt, *ct;
	uint8_t full_tag[16];	/* GCM: the untruncated tag (a tag_len tag is its prefix) */
	struct msg m;
	char desc[256];
};

static void case_make(struct tcase *c, unsigned int no, enum crypto_aead_alg alg, uint32_t len,
		      uint16_t iv_len, uint32_t aad_len, uint8_t tag_len)
{
	size_t klen = crypto_aead_key_len(alg);
	unsigned int i;

	memset(c, 0, sizeof(*c));
	g_ncases++;
	c->alg = alg;
	assert_true(klen == 16 || klen == 24 || klen == 32);
	rnd_fill(c->key, klen);
	c->m.len = len;
	c->m.iv_len = iv_len;
	c->m.aad_len = aad_len;
	c->m.tag_len = tag_len;
	c->m.iv = xmalloc(iv_len);
	c->m.aad = xmalloc(aad_len);
	c->m.tag = xmalloc(16);
	c->pt = xmalloc(len);
	c->ct = xmalloc(len);
	rnd_fill(c->m.iv, iv_len);
	rnd_fill(c->m.aad, aad_len);
	rnd_fill(c->pt, len);
	snprintf(c->desc, sizeof(c->desc),
		 "%s #%u: %s len %u iv_len %u aad_len %u tag_len %u", g_test, no,
		 crypto_aead_alg_name(alg), len, iv_len, aad_len, tag_len);
	g_case = c->desc;
	snprintf(g_where, sizeof(g_where), "%s (reference)", c->desc);
	if (is_gcm(alg)) {
		ref_gcm(alg, c->key, c->m.iv, iv_len, c->m.aad, aad_len, c->pt, len, c->ct,
			c->full_tag);
		memcpy(c->m.tag, c->full_tag, 16);
		if (iv_len <= EVP_IV_MAX) {
			/* The written-out GCM must agree with EVP where EVP goes. */
			uint8_t *ct2 = xmalloc(len), tag2[16];

			evp_seal(alg, c->key, c->m.iv, iv_len, c->m.aad, aad_len, c->pt, len,
				 ct2, tag2, tag_len);
			EXPECT(len == 0 || memcmp(ct2, c->ct, len) == 0);
			EXPECT(memcmp(tag2, c->full_tag, tag_len) == 0);
			free(ct2);
		}
	} else {
		evp_seal(alg, c->key, c->m.iv, iv_len, c->m.aad, aad_len, c->pt, len, c->ct,
			 c->full_tag, 16);
		memcpy(c->m.tag, c->full_tag, 16);
	}
	for (i = 0; i < g_neng; i++) {
		c->k[i] = crypto_aead_key_new(g_eng[i], alg, c->key, klen);
		EXPECT(c->k[i] != NULL);
		EXPECT(crypto_aead_key_alg(c->k[i]) == alg);
	}
}

static void case_free(struct tcase *c)
{
	unsigned int i;

	for (i = 0; i < g_neng; i++) {
		crypto_aead_key_free(c->k[i]);
	}
	free(c->m.iv);
	free(c->m.aad);
	free(c->m.tag);
	free(c->pt);
	free(c->ct);
	g_case = "";
}

static const uint8_t gcm_tag_lens[] = {4, 8, 12, 13, 14, 15, 16, 16, 16, 12};

/* case_random makes a case of length |len| with random parameters. */
static void case_random(struct tcase *c, unsigned int no, uint32_t len)
{
	enum crypto_aead_alg alg = (enum crypto_aead_alg)below(CRYPTO_AEAD_ALG__MAX);
	uint16_t iv_len = CRYPTO_AEAD_NONCE_LEN;
	uint32_t aad_len, r = below(100);
	uint8_t tag_len = CRYPTO_AEAD_TAG_LEN;

	if (is_gcm(alg)) {
		if (r < 22) {
			iv_len = (uint16_t)between(1, 64);
		} else if (r < 25) {
			iv_len = (uint16_t)between(128, 300);
		}
		tag_len = gcm_tag_lens[below(sizeof(gcm_tag_lens))];
	}
	aad_len = below(5) == 0 ? 0 : below(81);
	case_make(c, no, alg, len, iv_len, aad_len, tag_len);
}

/* ---- Buffers: flat, or chains of fake mbufs over our own memory ---- */

/*
 * The op's bytes are |len| bytes at |off| of the data: the data regions of
 * the segments one after the other. Every byte of every segment's memory
 * (headroom, data, tailroom; a flat buffer's guards) has an expected value
 * in exp; ini keeps a state to go back to.
 */
struct tbuf {
	struct rte_mbuf m[SEG_MAX];
	struct rte_mbuf msave[SEG_MAX];
	uint8_t *mem[SEG_MAX], *exp[SEG_MAX], *ini[SEG_MAX];
	uint32_t head[SEG_MAX], dlen[SEG_MAX], size[SEG_MAX];
	unsigned int nseg;
	bool chain;
	uint32_t off, len;
	uint32_t total;		/* data bytes in all segments */
};

static void tbuf_seg(struct tbuf *t, unsigned int i, uint32_t head, uint32_t dlen, uint32_t tail)
{
	t->head[i] = head;
	t->dlen[i] = dlen;
	t->size[i] = head + dlen + tail;
	t->mem[i] = xmalloc(t->size[i]);
	t->exp[i] = xmalloc(t->size[i]);
	t->ini[i] = xmalloc(t->size[i]);
	rnd_fill(t->mem[i], t->size[i]);
	memcpy(t->exp[i], t->mem[i], t->size[i]);
	memcpy(t->ini[i], t->mem[i], t->size[i]);
	t->total += dlen;
}

/* tbuf_flat: |cap| bytes with 0 or GUARD bytes either side (0: ASan sees overruns). */
static void tbuf_flat(struct tbuf *t, uint32_t cap)
{
	memset(t, 0, sizeof(*t));
	t->nseg = 1;
	tbuf_seg(t, 0, below(2) * GUARD, cap, below(2) * GUARD);
}

/* tbuf_chain: segments of seg[0..n-1] data bytes; the op's bytes start at |off|. */
static void tbuf_chain(struct tbuf *t, uint32_t off, const uint32_t *seg, unsigned int n)
{
	static const uint32_t heads[] = {0, RTE_PKTMBUF_HEADROOM, 1, 7};
	unsigned int i;

	assert_true(n >= 1 && n <= SEG_MAX);
	memset(t, 0, sizeof(*t));
	t->nseg = n;
	t->chain = true;
	t->off = off;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = &t->m[i];

		assert_true(seg[i] <= UINT16_MAX - RTE_PKTMBUF_HEADROOM - 8);
		tbuf_seg(t, i, heads[below(4)], seg[i], below(3) == 0 ? 0 : between(1, 8));
		m->buf_addr = t->mem[i];
		m->buf_len = (uint16_t)t->size[i];
		m->data_off = (uint16_t)t->head[i];
		m->data_len = (uint16_t)seg[i];
		m->pkt_len = seg[i];
		m->refcnt = 1;
		m->nb_segs = 1;
		m->port = RTE_MBUF_PORT_INVALID;
		m->next = i + 1 < n ? &t->m[i + 1] : NULL;
	}
	t->m[0].nb_segs = (uint16_t)n;
	t->m[0].pkt_len = t->total;
	memcpy(t->msave, t->m, sizeof(t->m));
}

/* tbuf_cuts: a chain of |total| bytes cut at n-1 random points (empty segments too). */
static void tbuf_cuts(struct tbuf *t, uint32_t off, uint32_t len, uint32_t total, unsigned int n)
{
	uint32_t cut[SEG_MAX + 1], seg[SEG_MAX], x;
	unsigned int i, j;

	cut[0] = 0;
	cut[n] = total;
	for (i = 1; i < n; i++) {
		switch (below(6)) {
		case 0:
			x = off;
			break;
		case 1:
			x = off + len;
			break;
		default:
			x = below(total + 1);
			break;
		}
		cut[i] = x > total ? total : x;
	}
	for (i = 1; i < n; i++) {		/* insertion sort of cut[1..n-1] */
		for (j = i; j > 1 && cut[j - 1] > cut[j]; j--) {
			x = cut[j];
			cut[j] = cut[j - 1];
			cut[j - 1] = x;
		}
	}
	for (i = 0; i < n; i++) {
		seg[i] = cut[i + 1] - cut[i];
	}
	tbuf_chain(t, off, seg, n);
}

/*
 * tbuf_split: |len| bytes split at |s| (s bytes in one segment, the rest in
 * the next), the data starting at 0, inside segment 1, or inside (or at the
 * start of) segment 2 after a segment of prefix; a few bytes of slack after.
 */
static void tbuf_split(struct tbuf *t, uint32_t len, uint32_t s)
{
	uint32_t slack = below(4) == 0 ? between(1, 5) : 0, p, q;

	switch (below(3)) {
	case 0:
		tbuf_chain(t, 0, (const uint32_t[]){s, len - s + slack}, 2);
		break;
	case 1:
		p = between(1, 24);
		tbuf_chain(t, p, (const uint32_t[]){p + s, len - s + slack}, 2);
		break;
	default:
		p = between(1, 24);
		q = below(25);
		tbuf_chain(t, p + q, (const uint32_t[]){p, q + s, len - s + slack}, 3);
		break;
	}
}

static void tbuf_free(struct tbuf *t)
{
	unsigned int i;

	for (i = 0; i < t->nseg; i++) {
		free(t->mem[i]);
		free(t->exp[i]);
		free(t->ini[i]);
	}
	t->nseg = 0;
}

/*
 * range_copy copies |p| (NULL: zeros) over the op's range of the images
 * img[] (mem, exp or ini); with |out| it copies from the range instead.
 */
static void range_copy(struct tbuf *t, uint8_t **img, const uint8_t *p, uint8_t *out)
{
	uint32_t pos = 0, done = 0, skip, take;
	unsigned int i;

	for (i = 0; i < t->nseg && done < t->len; pos += t->dlen[i], i++) {
		if (pos + t->dlen[i] <= t->off) {
			continue;
		}
		skip = pos < t->off ? t->off - pos : 0;
		take = t->dlen[i] - skip;
		if (take > t->len - done) {
			take = t->len - done;
		}
		if (out != NULL) {
			memcpy(out + done, img[i] + t->head[i] + skip, take);
		} else if (p != NULL) {
			memcpy(img[i] + t->head[i] + skip, p + done, take);
		} else {
			memset(img[i] + t->head[i] + skip, 0, take);
		}
		done += take;
	}
}

/* tbuf_put: the op's range holds |p| (NULL: fresh random bytes), as expected. */
static void tbuf_put(struct tbuf *t, const uint8_t *p)
{
	uint8_t *r = NULL;

	if (p == NULL) {
		r = xmalloc(t->len);
		rnd_fill(r, t->len);
		p = r;
	}
	range_copy(t, t->mem, p, NULL);
	range_copy(t, t->exp, p, NULL);
	free(r);
}

/* tbuf_expect: the op's range should now hold |p| (NULL: zeros, a wipe). */
static void tbuf_expect(struct tbuf *t, const uint8_t *p)
{
	range_copy(t, t->exp, p, NULL);
}

/* tbuf_check: every byte of every segment as expected, mbuf headers untouched. */
static bool tbuf_check(const struct tbuf *t)
{
	unsigned int i;

	for (i = 0; i < t->nseg; i++) {
		if (memcmp(t->mem[i], t->exp[i], t->size[i]) != 0) {
			return false;
		}
	}
	return !t->chain || memcmp(t->m, t->msave, sizeof(t->m)) == 0;
}

static void tbuf_save_ini(struct tbuf *t)
{
	unsigned int i;

	for (i = 0; i < t->nseg; i++) {
		memcpy(t->ini[i], t->mem[i], t->size[i]);
	}
}

static void tbuf_restore_ini(struct tbuf *t)
{
	unsigned int i;

	for (i = 0; i < t->nseg; i++) {
		memcpy(t->mem[i], t->ini[i], t->size[i]);
	}
}

static void tbuf_set_buf(struct tbuf *t, struct crypto_aead_buf *b)
{
	if (t->chain) {
		b->m = &t->m[0];
		b->data = NULL;
		b->off = t->off;
	} else {
		b->m = NULL;
		b->data = t->mem[0] + t->head[0];
		b->off = 0;
	}
}

static int tbuf_desc(const struct tbuf *t, char *buf, size_t size)
{
	int n, k;
	unsigned int i;

	if (!t->chain) {
		return snprintf(buf, size, "flat%s", t->head[0] == 0 ? "" : "+guard");
	}
	n = snprintf(buf, size, "chain off %u [", t->off);
	for (i = 0; i < t->nseg && n >= 0 && (size_t)n < size; i++) {
		k = snprintf(buf + n, size - (size_t)n, "%s%u", i == 0 ? "" : " ", t->dlen[i]);
		n = k < 0 ? k : n + k;
	}
	if (n >= 0 && (size_t)n < size) {
		n += snprintf(buf + n, size - (size_t)n, "]");
	}
	return n;
}

/* ---- One operation, checked in every way we can see ---- */

/* What run_one leaves NULL (bad parameters). */
#define NULL_SRC 0x01
#define NULL_DST 0x02
#define NULL_IV 0x04
#define NULL_TAG 0x08
#define NULL_AAD 0x10

struct run {
	unsigned int ei;		/* engine */
	struct crypto_aead_key *k;
	bool seal;
	const struct msg *m;
	struct tbuf *src;
	struct tbuf *dst;		/* NULL: in place */
	const uint8_t *in;		/* the source range's bytes */
	int want;			/* the status expected */
	const uint8_t *out;		/* want 0: the destination range's bytes */
	unsigned int nulls;		/* NULL_* */
	const char *what;
};

static void set_where(const struct run *r)
{
	char s[256], d[256];

	tbuf_desc(r->src, s, sizeof(s));
	if (r->dst != NULL) {
		tbuf_desc(r->dst, d, sizeof(d));
	} else {
		snprintf(d, sizeof(d), "in place");
	}
	snprintf(g_where, sizeof(g_where), "%s | %s %s%s%s, %s -> %s", g_case, g_eng_name[r->ei],
		 r->seal ? "seal" : "open", r->what != NULL ? " " : "",
		 r->what != NULL ? r->what : "", s, d);
}

/*
 * run_one runs one seal or open (a burst of one) and checks: the status
 * and the return count; the destination range holds |out| (status 0), zeros
 * (-EBADMSG) or what it held (any other error); the source range of an
 * out-of-place op and every byte around the ranges are untouched, as are
 * the mbuf headers, the nonce, the AAD and the open's tag; the seal's tag is
 * the reference's, or untouched on error; the engine's counters moved by one
 * in the right place.
 */
static void run_one(const struct run *r)
{
	const struct msg *m = r->m;
	struct tbuf *d = r->dst != NULL ? r->dst : r->src;
	uint8_t *iv = bdup(m->iv, m->iv_len), *aad = bdup(m->aad, m->aad_len);
	uint8_t *tag = xmalloc(m->tag_len), *tag0 = xmalloc(m->tag_len);
	struct crypto_aead_stats s0, s1;
	struct crypto_aead_op op;
	uint16_t n;

	set_where(r);
	r->src->len = m->len;
	tbuf_put(r->src, r->in);
	if (r->dst != NULL) {
		r->dst->len = m->len;
		tbuf_put(r->dst, NULL);
	}
	if (r->seal) {
		rnd_fill(tag, m->tag_len);
	} else if (m->tag_len != 0) {
		memcpy(tag, m->tag, m->tag_len);
	}
	if (m->tag_len != 0) {
		memcpy(tag0, tag, m->tag_len);
	}
	memset(&op, 0, sizeof(op));
	op.key = r->k;
	tbuf_set_buf(r->src, &op.src);
	if (r->dst != NULL) {
		tbuf_set_buf(r->dst, &op.dst);
		op.flags = CRYPTO_AEAD_F_OUT_OF_PLACE;
	}
	op.len = m->len;
	op.aad_len = m->aad_len;
	op.aad = (r->nulls & NULL_AAD) != 0 ? NULL : aad;
	op.iv = (r->nulls & NULL_IV) != 0 ? NULL : iv;
	op.tag = (r->nulls & NULL_TAG) != 0 ? NULL : tag;
	op.iv_len = m->iv_len;
	op.tag_len = m->tag_len;
	op.status = 12345;
	op.user = &op;
	if ((r->nulls & NULL_SRC) != 0) {
		op.src.data = NULL;
	}
	if ((r->nulls & NULL_DST) != 0) {
		op.dst.data = NULL;
	}
	g_nops++;
	crypto_aead_engine_stats(g_eng[r->ei], &s0);
	if (r->seal) {
		n = crypto_aead_seal_burst(g_eng[r->ei], &op, 1);
	} else {
		n = crypto_aead_open_burst(g_eng[r->ei], &op, 1);
	}
	crypto_aead_engine_stats(g_eng[r->ei], &s1);
	if (op.status != r->want) {
		fail_msg("status %d (%s), want %d (%s)\n\tat: %s\n\tseed %#" PRIx64
			 " (SB_SEED=%" PRIu64 " repeats the run)", op.status, err_name(op.status),
			 r->want, err_name(r->want), g_where, g_seed, g_seed);
	}
	EXPECT(n == (r->want == 0 ? 1 : 0));
	if (r->want == 0) {
		tbuf_expect(d, r->out);
		EXPECT(op.out == 0);
	} else if (r->want == -EBADMSG) {
		tbuf_expect(d, NULL);
	}
	EXPECT(tbuf_check(r->src));
	if (r->dst != NULL) {
		EXPECT(tbuf_check(r->dst));
	}
	if (r->seal && r->want == 0) {
		EXPECT(memcmp(tag, m->tag, m->tag_len) == 0);
	} else {
		EXPECT(m->tag_len == 0 || memcmp(tag, tag0, m->tag_len) == 0);
	}
	EXPECT(m->iv_len == 0 || memcmp(iv, m->iv, m->iv_len) == 0);
	EXPECT(m->aad_len == 0 || memcmp(aad, m->aad, m->aad_len) == 0);
	EXPECT(op.user == &op && op.key == r->k && op.len == m->len);
	if (r->want == 0) {
		EXPECT(r->seal ? s1.seals == s0.seals + 1 : s1.opens == s0.opens + 1);
		EXPECT(s1.auth_failures == s0.auth_failures && s1.invalid == s0.invalid);
	} else if (r->want == -EBADMSG) {
		EXPECT(s1.auth_failures == s0.auth_failures + 1 && s1.opens == s0.opens);
	} else if (r->want == -EINVAL || r->want == -ENOBUFS) {
		EXPECT(s1.invalid == s0.invalid + 1);
		EXPECT(s1.seals == s0.seals && s1.opens == s0.opens);
	}
	free(iv);
	free(aad);
	free(tag);
	free(tag0);
}

/* ---- Engines ---- */

static int setup(void **state)
{
	static const enum crypto_aead_arch archs[] = {
		CRYPTO_AEAD_ARCH_SSE, CRYPTO_AEAD_ARCH_AVX, CRYPTO_AEAD_ARCH_AVX2,
		CRYPTO_AEAD_ARCH_AVX512,
	};
	char buf[96];
	size_t i;

	(void)state;
	g_neng = 0;
	g_eng[0] = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_OPENSSL, CRYPTO_AEAD_ARCH_AUTO);
	if (g_eng[0] == NULL) {
		return -1;
	}
	g_neng = 1;
	for (i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		if (!crypto_aead_arch_supported(archs[i])) {
			printf("# ipsec-mb %s: not on this CPU, skipped\n",
			       crypto_aead_arch_name(archs[i]));
			continue;
		}
		g_eng[g_neng] = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_IPSECMB, archs[i]);
		if (g_eng[g_neng] == NULL) {
			printf("# ipsec-mb %s: engine_new failed (%d)\n",
			       crypto_aead_arch_name(archs[i]), errno);
			return -1;
		}
		if (crypto_aead_engine_arch(g_eng[g_neng]) != archs[i]) {
			printf("# ipsec-mb %s: engine runs %s\n", crypto_aead_arch_name(archs[i]),
			       crypto_aead_arch_name(crypto_aead_engine_arch(g_eng[g_neng])));
			return -1;
		}
		g_neng++;
	}
	for (i = 0; i < g_neng; i++) {
		crypto_aead_engine_describe(g_eng[i], buf, sizeof(buf));
		snprintf(g_eng_name[i], sizeof(g_eng_name[i]), "[%s]", buf);
		printf("# engine %zu: %s\n", i, buf);
	}
	if (g_neng == 1) {
		printf("# no ipsec-mb code path on this CPU: OpenSSL against the reference only\n");
	}
	return 0;
}

static int teardown(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < g_neng; i++) {
		crypto_aead_engine_free(g_eng[i]);
		g_eng[i] = NULL;
	}
	g_neng = 0;
	return 0;
}

/* ---- Flat buffers ---- */

/* flip flips one random bit of a copy of |p|. */
static uint8_t *flip(const uint8_t *p, size_t n)
{
	uint8_t *q = bdup(p, n);

	q[below((uint32_t)n)] ^= (uint8_t)(1u << below(8));
	return q;
}

/*
 * flat_case: on every engine, the case seals in place and out of place to
 * the reference's bytes; the reference's ciphertext (thus every backend's)
 * opens; tampering fails with -EBADMSG and wipes; tag lengths.
 */
static void flat_case(struct tcase *c)
{
	struct msg m2;
	struct tbuf s, d;
	uint8_t *x, tag[17];
	unsigned int ei;
	uint8_t t;

	tbuf_flat(&s, c->m.len);
	tbuf_flat(&d, c->m.len);
	for (ei = 0; ei < g_neng; ei++) {
		struct crypto_aead_key *k = c->k[ei];

		run_one(&(struct run){ei, k, true, &c->m, &s, NULL, c->pt, 0, c->ct, 0, NULL});
		run_one(&(struct run){ei, k, true, &c->m, &s, &d, c->pt, 0, c->ct, 0, NULL});
		run_one(&(struct run){ei, k, false, &c->m, &s, NULL, c->ct, 0, c->pt, 0, NULL});
		run_one(&(struct run){ei, k, false, &c->m, &s, &d, c->ct, 0, c->pt, 0, NULL});
		/* A bit flipped in the ciphertext, the tag, the AAD, the nonce. */
		if (c->m.len != 0) {
			x = flip(c->ct, c->m.len);
			run_one(&(struct run){ei, k, false, &c->m, &s, NULL, x, -EBADMSG, NULL, 0,
					      "bad ct"});
			run_one(&(struct run){ei, k, false, &c->m, &s, &d, x, -EBADMSG, NULL, 0,
					      "bad ct"});
			free(x);
		}
		m2 = c->m;
		m2.tag = flip(c->m.tag, c->m.tag_len);
		run_one(&(struct run){ei, k, false, &m2, &s, NULL, c->ct, -EBADMSG, NULL, 0,
				      "bad tag"});
		run_one(&(struct run){ei, k, false, &m2, &s, &d, c->ct, -EBADMSG, NULL, 0,
				      "bad tag"});
		free(m2.tag);
		if (c->m.aad_len != 0) {
			m2 = c->m;
			m2.aad = flip(c->m.aad, c->m.aad_len);
			run_one(&(struct run){ei, k, false, &m2, &s, below(2) ? &d : NULL, c->ct,
					      -EBADMSG, NULL, 0, "bad aad"});
			free(m2.aad);
			m2 = c->m;	/* the AAD one byte short */
			m2.aad_len--;
			run_one(&(struct run){ei, k, false, &m2, &s, below(2) ? &d : NULL, c->ct,
					      -EBADMSG, NULL, 0, "aad_len - 1"});
		}
		m2 = c->m;
		m2.iv = flip(c->m.iv, c->m.iv_len);
		run_one(&(struct run){ei, k, false, &m2, &s, below(2) ? &d : NULL, c->ct, -EBADMSG,
				      NULL, 0, "bad nonce"});
		free(m2.iv);
		if (c->m.len != 0) {	/* the ciphertext one byte short */
			m2 = c->m;
			m2.len--;
			run_one(&(struct run){ei, k, false, &m2, &s, below(2) ? &d : NULL, c->ct,
					      -EBADMSG, NULL, 0, "len - 1"});
		}
		if (!is_gcm(c->alg)) {
			continue;
		}
		/* GCM's tag of t bytes is the first t of the full tag: shorter opens... */
		m2 = c->m;
		m2.tag = tag;
		memcpy(tag, c->full_tag, 16);
		for (t = 4; t <= 16; t++) {
			if (t != 4 && t != 8 && t < 12) {
				continue;
			}
			m2.tag_len = t;
			run_one(&(struct run){ei, k, false, &m2, &s, below(2) ? &d : NULL, c->ct,
					      0, c->pt, 0, "other tag_len, true tag"});
		}
		/* ...but a longer one whose extra bytes are wrong does not. */
		if (c->m.tag_len < 16) {
			m2.tag_len = 16;
			tag[between(c->m.tag_len, 15)] ^= (uint8_t)(1u << below(8));
			run_one(&(struct run){ei, k, false, &m2, &s, below(2) ? &d : NULL, c->ct,
					      -EBADMSG, NULL, 0, "tag_len 16, wrong tail"});
		}
	}
	tbuf_free(&s);
	tbuf_free(&d);
}

static uint32_t random_len(void)
{
	static const uint32_t special[] = {
		0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 95, 96, 97,
		127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 1499, 1500,
		2047, 2048, 2049, 2100,
	};
	uint32_t r = below(100);

	if (r < 30) {
		return special[below(sizeof(special) / sizeof(special[0]))];
	}
	if (r < 32) {
		return (uint32_t[]){4095, 4096, 4097, 16383, 16384}[below(5)];
	}
	return below(2101);
}

/* Random messages, every engine against the reference. */
static void test_flat_random(void **state)
{
	struct tcase c;
	unsigned int i;

	(void)state;
	test_begin("flat_random");
	for (i = 0; i < 1500; i++) {
		case_random(&c, i, random_len());
		flat_case(&c);
		case_free(&c);
	}
	test_end();
}

/* Every special length and nonce length, for every algorithm. */
static void test_flat_sizes(void **state)
{
	static const uint32_t lens[] = {
		0, 1, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 257, 1023, 1025, 1500,
		2049, 4096, 16384,
	};
	static const uint16_t iv_lens[] = {1, 8, 11, 13, 16, 60, 64, 127, 128, 129, 255, 300, 1024};
	struct tcase c;
	unsigned int no = 0, a;
	size_t i;

	(void)state;
	test_begin("flat_sizes");
	for (a = 0; a < CRYPTO_AEAD_ALG__MAX; a++) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			case_make(&c, no++, (enum crypto_aead_alg)a, lens[i],
				  CRYPTO_AEAD_NONCE_LEN, i % 3 == 0 ? 0 : below(81),
				  is_gcm((enum crypto_aead_alg)a) ? gcm_tag_lens[i % 10] : 16);
			flat_case(&c);
			case_free(&c);
		}
	}
	for (a = 0; a < CRYPTO_AEAD_CHACHA20_POLY1305; a++) {
		for (i = 0; i < sizeof(iv_lens) / sizeof(iv_lens[0]); i++) {
			case_make(&c, no++, (enum crypto_aead_alg)a, below(300), iv_lens[i],
				  below(81), 16);
			flat_case(&c);
			case_free(&c);
		}
	}
	test_end();
}

/* Parameters the algorithm does not take: -EINVAL, nothing written. */
static void test_invalid(void **state)
{
	static const uint8_t bad_gcm_tags[] = {0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 17, 32, 255};
	static const uint8_t bad_chacha_tags[] = {0, 4, 8, 12, 15, 17};
	static const uint16_t bad_chacha_ivs[] = {1, 8, 11, 13, 16, 24};	/* 2 bytes each */
	struct tcase c;
	struct tbuf s, d;
	struct msg m2;
	unsigned int a, ei, no = 0, nulls, other;
	size_t i;
	int seal;

	(void)state;
	test_begin("invalid");
	for (a = 0; a < CRYPTO_AEAD_ALG__MAX; a++) {
		enum crypto_aead_alg alg = (enum crypto_aead_alg)a;

		case_make(&c, no++, alg, between(1, 100), 12, between(1, 20), 16);
		tbuf_flat(&s, c.m.len);
		tbuf_flat(&d, c.m.len);
		for (ei = 0; ei < g_neng; ei++) {
			for (seal = 0; seal < 2; seal++) {
				const uint8_t *in = seal ? c.pt : c.ct;
				struct tbuf *dp = below(2) ? &d : NULL;

				m2 = c.m;
				m2.tag = xmalloc(255);
				memcpy(m2.tag, c.m.tag, 16);
				for (i = 0; is_gcm(alg) && i < sizeof(bad_gcm_tags); i++) {
					m2.tag_len = bad_gcm_tags[i];
					run_one(&(struct run){ei, c.k[ei], seal, &m2, &s, dp, in,
							      -EINVAL, NULL, 0, "bad tag_len"});
				}
				for (i = 0; !is_gcm(alg) && i < sizeof(bad_chacha_tags); i++) {
					m2.tag_len = bad_chacha_tags[i];
					run_one(&(struct run){ei, c.k[ei], seal, &m2, &s, dp, in,
							      -EINVAL, NULL, 0, "bad tag_len"});
				}
				free(m2.tag);
				m2 = c.m;
				m2.iv = xmalloc(1025);
				rnd_fill(m2.iv, 1025);
				m2.iv_len = 0;
				run_one(&(struct run){ei, c.k[ei], seal, &m2, &s, dp, in, -EINVAL,
						      NULL, 0, "iv_len 0"});
				m2.iv_len = CRYPTO_AEAD_IV_MAX + 1;
				run_one(&(struct run){ei, c.k[ei], seal, &m2, &s, dp, in, -EINVAL,
						      NULL, 0, "iv_len too long"});
				for (i = 0; !is_gcm(alg) && i < sizeof(bad_chacha_ivs) / 2; i++) {
					m2.iv_len = bad_chacha_ivs[i];
					run_one(&(struct run){ei, c.k[ei], seal, &m2, &s, dp, in,
							      -EINVAL, NULL, 0, "bad iv_len"});
				}
				free(m2.iv);
				/* NULL pointers where bytes are due. */
				for (nulls = NULL_SRC; nulls <= NULL_AAD; nulls <<= 1) {
					run_one(&(struct run){ei, c.k[ei], seal, &c.m, &s,
							      nulls == NULL_DST ? &d : dp, in,
							      -EINVAL, NULL, nulls, "NULL"});
				}
				/* A key made for another engine. */
				if (g_neng > 1) {
					other = (ei + 1 + below(g_neng - 1)) % g_neng;
					run_one(&(struct run){ei, c.k[other], seal, &c.m, &s, dp,
							      in, -EINVAL, NULL, 0,
							      "key of another engine"});
				}
			}
		}
		tbuf_free(&s);
		tbuf_free(&d);
		case_free(&c);
	}
	test_end();
}

/* ---- mbuf chains ---- */

/*
 * chain_ops: seal and open src (a chain) in place, flat -> dst chain, src
 * chain -> flat, src chain -> dst chain; a wrong tag on a chain wipes it.
 */
static void chain_ops(struct tcase *c, unsigned int ei, struct tbuf *src, struct tbuf *dst,
		      struct tbuf *flat)
{
	struct crypto_aead_key *k = c->k[ei];
	struct msg m2;

	run_one(&(struct run){ei, k, true, &c->m, src, NULL, c->pt, 0, c->ct, 0, NULL});
	run_one(&(struct run){ei, k, false, &c->m, src, NULL, c->ct, 0, c->pt, 0, NULL});
	run_one(&(struct run){ei, k, true, &c->m, flat, dst, c->pt, 0, c->ct, 0, NULL});
	run_one(&(struct run){ei, k, false, &c->m, src, flat, c->ct, 0, c->pt, 0, NULL});
	run_one(&(struct run){ei, k, true, &c->m, src, dst, c->pt, 0, c->ct, 0, NULL});
	run_one(&(struct run){ei, k, false, &c->m, src, dst, c->ct, 0, c->pt, 0, NULL});
	m2 = c->m;
	m2.tag = flip(c->m.tag, c->m.tag_len);
	run_one(&(struct run){ei, k, false, &m2, src, below(2) ? dst : NULL, c->ct, -EBADMSG,
			      NULL, 0, "bad tag"});
	free(m2.tag);
}

/* Every 2-segment split of every length up to SPLIT_MAX_LEN. */
static void test_chain_splits(void **state)
{
	struct tbuf src, dst, flat;
	struct tcase c;
	uint32_t len, s, s2;
	unsigned int ei;

	(void)state;
	test_begin("chain_splits");
	for (len = 0; len <= SPLIT_MAX_LEN; len++) {
		case_random(&c, len, len);
		/* The flat result of every backend first: the chains must equal it. */
		tbuf_flat(&flat, len);
		for (ei = 0; ei < g_neng; ei++) {
			run_one(&(struct run){ei, c.k[ei], true, &c.m, &flat, NULL, c.pt, 0, c.ct,
					      0, "flat"});
		}
		for (s = 0; s <= len; s++) {
			s2 = len == 0 ? 0 : (s + 1 + below(len)) % (len + 1);
			tbuf_split(&src, len, s);
			tbuf_split(&dst, len, s2);
			for (ei = 0; ei < g_neng; ei++) {
				chain_ops(&c, ei, &src, &dst, &flat);
			}
			tbuf_free(&src);
			tbuf_free(&dst);
		}
		tbuf_free(&flat);
		case_free(&c);
	}
	test_end();
}

/* Chains of 3-8 segments cut anywhere (empty ones too), longer messages. */
static void test_chain_random(void **state)
{
	struct tbuf src, dst, flat;
	struct tcase c;
	uint32_t len, off, off2;
	unsigned int i, ei;

	(void)state;
	test_begin("chain_random");
	for (i = 0; i < 1000; i++) {
		len = below(4) == 0 ? random_len() : below(300);
		case_random(&c, i, len);
		off = below(3) == 0 ? 0 : below(40);
		off2 = below(3) == 0 ? 0 : below(40);
		tbuf_cuts(&src, off, len, off + len + below(3) * below(9),
			  i % 4 == 0 ? between(5, SEG_MAX) : between(3, 4));
		tbuf_cuts(&dst, off2, len, off2 + len + below(3) * below(9),
			  i % 4 == 1 ? between(5, SEG_MAX) : between(3, 4));
		tbuf_flat(&flat, len);
		for (ei = 0; ei < g_neng; ei++) {
			chain_ops(&c, ei, &src, &dst, &flat);
		}
		tbuf_free(&src);
		tbuf_free(&dst);
		tbuf_free(&flat);
		case_free(&c);
	}
	test_end();
}

/* Chains shorter than off + len: -ENOBUFS and nothing written; exactly long enough: fine. */
static void test_chain_short(void **state)
{
	struct tbuf shrt, ok, flat;
	struct tcase c;
	uint32_t len, off, total;
	unsigned int i, ei;
	int seal;

	(void)state;
	test_begin("chain_short");
	for (i = 0; i < 40; i++) {
		len = i < 4 ? 0 : between(1, 300);
		off = below(30);
		if (len == 0) {
			off = between(1, 30);
		}
		total = off + len - between(1, off + len < 20 ? off + len : 20);
		case_random(&c, i, len);
		tbuf_cuts(&shrt, off, len, total, between(1, 4));
		tbuf_cuts(&ok, off, len, off + len, between(1, 4));
		tbuf_flat(&flat, len);
		for (ei = 0; ei < g_neng; ei++) {
			struct crypto_aead_key *k = c.k[ei];

			for (seal = 0; seal < 2; seal++) {
				const uint8_t *in = seal ? c.pt : c.ct, *out = seal ? c.ct : c.pt;
				struct msg m2 = c.m;

				/* Open ops carry the true tag: the length check comes first. */
				run_one(&(struct run){ei, k, seal, &m2, &shrt, NULL, in, -ENOBUFS,
						      NULL, 0, "short src"});
				run_one(&(struct run){ei, k, seal, &m2, &flat, &shrt, in, -ENOBUFS,
						      NULL, 0, "short dst"});
				run_one(&(struct run){ei, k, seal, &m2, &shrt, &flat, in, -ENOBUFS,
						      NULL, 0, "short src"});
				run_one(&(struct run){ei, k, seal, &m2, &ok, &shrt, in, -ENOBUFS,
						      NULL, 0, "short dst"});
				run_one(&(struct run){ei, k, seal, &m2, &ok, NULL, in, 0, out, 0,
						      "exact"});
				run_one(&(struct run){ei, k, seal, &m2, &ok, &flat, in, 0, out, 0,
						      "exact"});
			}
		}
		tbuf_free(&shrt);
		tbuf_free(&ok);
		tbuf_free(&flat);
		case_free(&c);
	}
	test_end();
}

/* ---- One long burst against the same operations one at a time ---- */

struct bop {
	struct tbuf *src, *dst;
	struct msg m;			/* its own iv, aad and (255-byte) tag buffers */
	uint8_t *iv0, *tag0;		/* those buffers before the op */
	uint16_t iv_cap;
	const uint8_t *out;		/* want 0: the destination's bytes */
	const uint8_t *tag_want;	/* seal, want 0: the tag */
	uint8_t *pt, *ct, seq_tag[16];	/* a NONCE_SEQ seal's own message */
	uint8_t seq_iv[12];		/* ... and the nonce it must get */
	struct crypto_aead_key *k;
	int want;
	uint8_t flags;
};

static struct tbuf *tbuf_new(void)
{
	struct tbuf *t = aligned_alloc(_Alignof(struct tbuf), sizeof(struct tbuf));

	assert_non_null(t);
	memset(t, 0, sizeof(*t));
	return t;
}

static void tbuf_delete(struct tbuf *t)
{
	if (t != NULL) {
		tbuf_free(t);
		free(t);
	}
}

/* burst_layout gives |b| a source (and maybe a destination) for |len| bytes. */
static void burst_layout(struct bop *b, uint32_t len, bool short_chain)
{
	uint32_t off = below(2) ? 0 : below(20);

	b->src = tbuf_new();
	if (below(2)) {
		tbuf_flat(b->src, len);
	} else {
		tbuf_cuts(b->src, off, len, off + len + below(4), between(1, 4));
	}
	if (below(2)) {
		b->dst = tbuf_new();
		b->flags |= CRYPTO_AEAD_F_OUT_OF_PLACE;
		if (below(2)) {
			tbuf_flat(b->dst, len);
		} else {
			off = below(2) ? 0 : below(20);
			tbuf_cuts(b->dst, off, len, off + len + below(4), between(1, 4));
		}
	}
	if (short_chain) {
		struct tbuf *t = b->dst != NULL && below(2) ? b->dst : b->src;

		tbuf_free(t);
		off = between(1, 10);
		tbuf_cuts(t, off, len, off + len - between(1, off + len), between(1, 3));
	}
}

enum { SEQ_BURST, SEQ_SINGLE };

/*
 * burst_ops makes BURST_N ops on engine |ei| over |cases|: about 70% valid
 * (flat or chained, in place or not), the rest refused (a short chain, a
 * bad tag or nonce length, a key of another engine) or, for opens, with a
 * wrong tag. Seals also draw nonces from key |seq| (CRYPTO_AEAD_F_NONCE_SEQ,
 * nonce fixed || counter): a refused one takes no counter value.
 */
static unsigned int burst_ops(struct bop *bops, unsigned int ei, struct tcase *cases,
			      unsigned int ncases, bool seal, struct crypto_aead_key *seq,
			      const uint8_t *seq_key, uint32_t fixed)
{
	uint64_t ctr = 0;
	unsigned int i, good = 0;

	memset(bops, 0, BURST_N * sizeof(*bops));
	for (i = 0; i < BURST_N; i++) {
		struct bop *b = &bops[i];
		struct tcase *c = &cases[below(ncases)];
		uint32_t kind = below(100);

		b->m = c->m;
		b->iv_cap = c->m.iv_len > 1025 ? c->m.iv_len : 1025;
		b->m.iv = xmalloc(b->iv_cap);
		rnd_fill(b->m.iv, b->iv_cap);
		memcpy(b->m.iv, c->m.iv, c->m.iv_len);
		b->m.aad = bdup(c->m.aad, c->m.aad_len);
		b->m.tag = xmalloc(255);
		rnd_fill(b->m.tag, 255);
		if (!seal) {
			memcpy(b->m.tag, c->m.tag, 16);
		}
		b->k = c->k[ei];
		b->out = seal ? c->ct : c->pt;
		b->tag_want = c->m.tag;
		if (seal && kind >= 88) {
			/* NONCE_SEQ: its own message under the sequence key. */
			b->k = seq;
			b->flags = CRYPTO_AEAD_F_NONCE_SEQ;
			b->m.len = below(600);
			b->m.iv_len = CRYPTO_AEAD_NONCE_LEN;
			b->m.tag_len = kind >= 97 ? 11 : 16;
			b->want = kind >= 97 ? -EINVAL : 0;
			b->pt = xmalloc(b->m.len);
			b->ct = xmalloc(b->m.len);
			rnd_fill(b->pt, b->m.len);
			if (b->want == 0) {
				b->seq_iv[0] = (uint8_t)(fixed >> 24);
				b->seq_iv[1] = (uint8_t)(fixed >> 16);
				b->seq_iv[2] = (uint8_t)(fixed >> 8);
				b->seq_iv[3] = (uint8_t)fixed;
				store_be64(b->seq_iv + 4, ctr++);
				ref_gcm(CRYPTO_AEAD_AES_128_GCM, seq_key, b->seq_iv, 12, b->m.aad,
					b->m.aad_len, b->pt, b->m.len, b->ct, b->seq_tag);
			}
			b->out = b->ct;
			b->tag_want = b->seq_tag;
			burst_layout(b, b->m.len, false);
		} else {
			burst_layout(b, c->m.len, kind >= 70 && kind < 76);
			if (kind < 70) {
				b->want = 0;
			} else if (kind < 76) {
				b->want = -ENOBUFS;
			} else if (kind < 80) {
				b->m.tag_len = is_gcm(c->alg) ? 11 : 12;
				b->want = -EINVAL;
			} else if (kind < 83) {
				b->m.iv_len = 0;
				b->want = -EINVAL;
			} else if (kind < 86) {
				b->m.iv_len = is_gcm(c->alg) ? CRYPTO_AEAD_IV_MAX + 1 : 16;
				b->want = -EINVAL;
			} else if (kind < 88 || g_neng == 1 || (!seal && kind < 95)) {
				b->m.tag[below(c->m.tag_len)] ^= 0x80;
				b->want = seal ? 0 : -EBADMSG;
			} else {
				b->k = c->k[(ei + 1) % g_neng];
				b->want = -EINVAL;
			}
		}
		b->flags |= b->dst != NULL ? CRYPTO_AEAD_F_OUT_OF_PLACE : 0;
		good += b->want == 0;
		b->src->len = b->m.len;
		tbuf_put(b->src, b->pt != NULL ? b->pt : seal ? c->pt : c->ct);
		tbuf_save_ini(b->src);
		if (b->dst != NULL) {
			b->dst->len = b->m.len;
			tbuf_put(b->dst, NULL);
			tbuf_save_ini(b->dst);
		}
		b->iv0 = bdup(b->m.iv, b->iv_cap);
		b->tag0 = bdup(b->m.tag, 255);
	}
	return good;
}

static void burst_free(struct bop *bops)
{
	unsigned int i;

	for (i = 0; i < BURST_N; i++) {
		tbuf_delete(bops[i].src);
		tbuf_delete(bops[i].dst);
		free(bops[i].m.iv);
		free(bops[i].m.aad);
		free(bops[i].m.tag);
		free(bops[i].iv0);
		free(bops[i].tag0);
		free(bops[i].pt);
		free(bops[i].ct);
	}
}

/*
 * burst_run: pass 0 runs the ops in one call, pass 1 one at a time (on a
 * second sequence key, fresh like the first); both must give what the
 * reference says, byte for byte, with the counters to match.
 */
static void burst_run(unsigned int ei, struct tcase *cases, unsigned int ncases, bool seal)
{
	struct crypto_aead_op *ops = xmalloc(BURST_N * sizeof(*ops));
	struct bop *bops = xmalloc(BURST_N * sizeof(*bops));
	struct crypto_aead_key *seq[2];
	struct crypto_aead_stats s0, s1;
	unsigned int i, good, bad = 0, refused = 0, pass;
	uint32_t fixed = 0x5eed0000u + ei;
	uint8_t seq_key[16];
	uint16_t n;

	rnd_fill(seq_key, sizeof(seq_key));
	for (pass = 0; pass < 2; pass++) {
		seq[pass] = crypto_aead_key_new(g_eng[ei], CRYPTO_AEAD_AES_128_GCM, seq_key, 16);
		assert_non_null(seq[pass]);
		assert_int_equal(crypto_aead_key_set_nonce_seq(seq[pass], fixed), 0);
	}
	good = burst_ops(bops, ei, cases, ncases, seal, seq[SEQ_BURST], seq_key, fixed);
	for (i = 0; i < BURST_N; i++) {
		bad += bops[i].want == -EBADMSG;
		refused += bops[i].want == -EINVAL || bops[i].want == -ENOBUFS;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < BURST_N; i++) {
			struct bop *b = &bops[i];

			tbuf_restore_ini(b->src);
			if (b->dst != NULL) {
				tbuf_restore_ini(b->dst);
			}
			memcpy(b->m.iv, b->iv0, b->iv_cap);
			memcpy(b->m.tag, b->tag0, 255);
			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].key = b->k == seq[SEQ_BURST] ? seq[pass] : b->k;
			tbuf_set_buf(b->src, &ops[i].src);
			if (b->dst != NULL) {
				tbuf_set_buf(b->dst, &ops[i].dst);
			}
			ops[i].flags = b->flags;
			ops[i].len = b->m.len;
			ops[i].aad_len = b->m.aad_len;
			ops[i].aad = b->m.aad;
			ops[i].iv = b->m.iv;
			ops[i].tag = b->m.tag;
			ops[i].iv_len = b->m.iv_len;
			ops[i].tag_len = b->m.tag_len;
			ops[i].status = 12345;
			ops[i].user = b;
		}
		crypto_aead_engine_stats(g_eng[ei], &s0);
		if (pass == 0) {
			n = seal ? crypto_aead_seal_burst(g_eng[ei], ops, BURST_N) :
				   crypto_aead_open_burst(g_eng[ei], ops, BURST_N);
		} else {
			for (i = 0, n = 0; i < BURST_N; i++) {
				n += seal ? crypto_aead_seal_burst(g_eng[ei], &ops[i], 1) :
					    crypto_aead_open_burst(g_eng[ei], &ops[i], 1);
			}
		}
		crypto_aead_engine_stats(g_eng[ei], &s1);
		g_nops += BURST_N;
		for (i = 0; i < BURST_N; i++) {
			struct bop *b = &bops[i];
			struct tbuf *d = b->dst != NULL ? b->dst : b->src;

			snprintf(g_where, sizeof(g_where),
				 "%s %s, op %u of %u (%s%s %u bytes, tag_len %u, iv_len %u, "
				 "want %s) on %s", pass == 0 ? "one burst" : "one at a time",
				 seal ? "seal" : "open", i, BURST_N,
				 (b->flags & CRYPTO_AEAD_F_NONCE_SEQ) != 0 ? "NONCE_SEQ " : "",
				 (b->flags & CRYPTO_AEAD_F_OUT_OF_PLACE) != 0 ? "oop" : "in place",
				 b->m.len, b->m.tag_len, b->m.iv_len, err_name(b->want),
				 g_eng_name[ei]);
			if (ops[i].status != b->want) {
				fail_msg("status %d (%s)\n\tat: %s\n\tseed %#" PRIx64
					 " (SB_SEED=%" PRIu64 ")", ops[i].status,
					 err_name(ops[i].status), g_where, g_seed, g_seed);
			}
			EXPECT(ops[i].user == b);
			if (b->want == 0) {
				tbuf_expect(d, b->out);
			} else if (b->want == -EBADMSG) {
				tbuf_expect(d, NULL);
			}
			EXPECT(tbuf_check(b->src));
			EXPECT(b->dst == NULL || tbuf_check(b->dst));
			if (seal && b->want == 0) {
				EXPECT(memcmp(b->m.tag, b->tag_want, b->m.tag_len) == 0);
				EXPECT(memcmp(b->m.tag + b->m.tag_len, b->tag0 + b->m.tag_len,
					      255 - b->m.tag_len) == 0);
			} else {
				EXPECT(memcmp(b->m.tag, b->tag0, 255) == 0);
			}
			if ((b->flags & CRYPTO_AEAD_F_NONCE_SEQ) != 0 && b->want == 0) {
				EXPECT(memcmp(b->m.iv, b->seq_iv, 12) == 0);
				EXPECT(memcmp(b->m.iv + 12, b->iv0 + 12, b->iv_cap - 12) == 0);
			} else {
				EXPECT(memcmp(b->m.iv, b->iv0, b->iv_cap) == 0);
			}
		}
		snprintf(g_where, sizeof(g_where), "%s %s of %u on %s: %u good, %u refused, %u bad",
			 pass == 0 ? "one burst" : "one at a time", seal ? "seal" : "open",
			 BURST_N, g_eng_name[ei], good, refused, bad);
		EXPECT(n == good);
		EXPECT(s1.invalid - s0.invalid == refused);
		EXPECT(s1.auth_failures - s0.auth_failures == bad);
		EXPECT(seal ? s1.seals - s0.seals == good : s1.opens - s0.opens == good);
	}
	burst_free(bops);
	crypto_aead_key_free(seq[0]);
	crypto_aead_key_free(seq[1]);
	free(ops);
	free(bops);
}

static void test_burst_mixed(void **state)
{
	struct tcase cases[12];
	unsigned int i, ei, round;

	(void)state;
	test_begin("burst_mixed");
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 12; i++) {
			case_random(&cases[i], round * 12 + i,
				    i < 2 ? i : below(4) == 0 ? random_len() : below(400));
		}
		g_case = "burst_mixed";
		for (ei = 0; ei < g_neng; ei++) {
			burst_run(ei, cases, 12, true);
			burst_run(ei, cases, 12, false);
		}
		for (i = 0; i < 12; i++) {
			case_free(&cases[i]);
		}
	}
	test_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_sizes),
		cmocka_unit_test(test_flat_random),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_chain_splits),
		cmocka_unit_test(test_chain_random),
		cmocka_unit_test(test_chain_short),
		cmocka_unit_test(test_burst_mixed),
	};
	const char *env = getenv("SB_SEED");

	if (env != NULL && *env != '\0') {
		g_seed = strtoull(env, NULL, 0);
	} else {
		g_seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	}
	printf("# seed %" PRIu64 " (SB_SEED=%" PRIu64 " repeats this run)\n", g_seed, g_seed);
	return cmocka_run_group_tests(tests, setup, teardown);
}
