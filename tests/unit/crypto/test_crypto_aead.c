/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/crypto/crypto_aead.c: engines on every backend
 * and code path this CPU runs, known answers, the nonce sequence (never a
 * repeat, refused seals consume nothing), usage limits and rekey advice,
 * failed opens (wiped, counted, integrity limit), refused parameters,
 * short mbuf chains, per-instance key derivation and bursts longer than
 * the backend's. The cross-check of backends on random inputs and chains
 * split at every offset is test_crypto_aead_diff.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_mbuf.h>

#include "crypto_aead.h"

#define MAX_ENGINES 6

static struct crypto_aead_engine *engines[MAX_ENGINES];
static int nb_engines;

/* Every engine this CPU runs: ipsec-mb at each code path, and OpenSSL. */
static int setup(void **state)
{
	(void)state;
	for (int a = CRYPTO_AEAD_ARCH_SSE; a < CRYPTO_AEAD_ARCH__MAX; a++) {
		if (crypto_aead_arch_supported(a)) {
			engines[nb_engines] = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_IPSECMB, a);
			if (engines[nb_engines] == NULL) {
				return -1;
			}
			nb_engines++;
		}
	}
	engines[nb_engines] = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_OPENSSL,
						     CRYPTO_AEAD_ARCH_AUTO);
	return engines[nb_engines++] == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nb_engines; i++) {
		crypto_aead_engine_free(engines[i]);
	}
	return 0;
}

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void test_engines(void **state)
{
	struct crypto_aead_engine *e;
	char d[256];

	(void)state;
	assert_true(crypto_aead_arch_supported(CRYPTO_AEAD_ARCH_SSE));
	assert_true(nb_engines >= 2);
	for (int i = 0; i < nb_engines; i++) {
		enum crypto_aead_backend b = crypto_aead_engine_backend(engines[i]);

		assert_true(b == CRYPTO_AEAD_BACKEND_IPSECMB || b == CRYPTO_AEAD_BACKEND_OPENSSL);
		crypto_aead_engine_describe(engines[i], d, sizeof(d));
		assert_non_null(strstr(d, crypto_aead_backend_name(b)));
		if (b == CRYPTO_AEAD_BACKEND_IPSECMB) {
			assert_non_null(strstr(d, crypto_aead_arch_name(crypto_aead_engine_arch(engines[i]))));
		}
	}
	/* AUTO picks ipsec-mb at the best code path this CPU runs. */
	e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO, CRYPTO_AEAD_ARCH_AUTO);
	assert_non_null(e);
	assert_int_equal(crypto_aead_engine_backend(e), CRYPTO_AEAD_BACKEND_IPSECMB);
	assert_int_equal(crypto_aead_engine_arch(e), crypto_aead_engine_arch(engines[nb_engines - 2]));
	crypto_aead_engine_free(e);
	crypto_aead_engine_free(NULL);

	assert_null(crypto_aead_engine_new(CRYPTO_AEAD_BACKEND__MAX, CRYPTO_AEAD_ARCH_AUTO));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(crypto_aead_backend_parse("openssl"), CRYPTO_AEAD_BACKEND_OPENSSL);
	assert_int_equal(crypto_aead_backend_parse("ipsec-mb"), CRYPTO_AEAD_BACKEND_IPSECMB);
	assert_int_equal(crypto_aead_backend_parse("qat"), -EINVAL);
	assert_int_equal(crypto_aead_arch_parse("avx2"), CRYPTO_AEAD_ARCH_AVX2);
	assert_int_equal(crypto_aead_arch_parse("neon"), -EINVAL);
	assert_string_equal(crypto_aead_alg_name(CRYPTO_AEAD_AES_256_GCM), "aes-256-gcm");
	assert_int_equal(crypto_aead_key_len(CRYPTO_AEAD_AES_128_GCM), 16);
	assert_int_equal(crypto_aead_key_len(CRYPTO_AEAD_CHACHA20_POLY1305), 32);
}

/*
 * RFC 8439 section 2.8.2 (ChaCha20-Poly1305) and McGrew-Viega GCM test
 * case 15 (AES-256, 64 bytes, no AAD) on every engine, both directions.
 */
static void test_known_answers(void **state)
{
	static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer "
					"you only one tip for the future, sunscreen would be it.";
	struct {
		enum crypto_aead_alg alg;
		const char *key, *iv, *aad, *pt_hex, *ct_head, *tag;
		size_t len, aad_len;
	} kat[] = {
		{ CRYPTO_AEAD_CHACHA20_POLY1305,
		  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
		  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7", NULL,
		  "d31a8d34648e60db7b86afbc53ef7ec2", "1ae10b594f09e26a7e902ecbd0600691",
		  sizeof(sunscreen) - 1, 12 },
		{ CRYPTO_AEAD_AES_256_GCM,
		  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		  "cafebabefacedbaddecaf888", NULL,
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
		  "522dc1f099567d07f47f37a32a84427d", "b094dac5d93471bdec1a502270e3cc6c", 64, 0 },
	};

	(void)state;
	for (size_t t = 0; t < sizeof(kat) / sizeof(kat[0]); t++) {
		for (int i = 0; i < nb_engines; i++) {
			uint8_t key[32], iv[12], aad[12], pt[128], buf[128], head[16], tag[16], want[16];
			struct crypto_aead_key *k;
			struct crypto_aead_op op = { 0 };

			hex(kat[t].key, key, crypto_aead_key_len(kat[t].alg));
			hex(kat[t].iv, iv, 12);
			if (kat[t].aad_len > 0) {
				hex(kat[t].aad, aad, kat[t].aad_len);
			}
			if (kat[t].pt_hex != NULL) {
				hex(kat[t].pt_hex, pt, kat[t].len);
			} else {
				memcpy(pt, sunscreen, kat[t].len);
			}
			hex(kat[t].ct_head, head, 16);
			hex(kat[t].tag, want, 16);
			k = crypto_aead_key_new(engines[i], kat[t].alg, key,
						crypto_aead_key_len(kat[t].alg));
			assert_non_null(k);
			memcpy(buf, pt, kat[t].len);
			op = (struct crypto_aead_op){ .key = k, .src.data = buf, .len = kat[t].len,
						      .aad = aad, .aad_len = kat[t].aad_len, .iv = iv,
						      .iv_len = 12, .tag = tag, .tag_len = 16 };
			assert_int_equal(crypto_aead_seal_burst(engines[i], &op, 1), 1);
			assert_int_equal(op.status, 0);
			assert_memory_equal(buf, head, 16);
			assert_memory_equal(tag, want, 16);
			assert_int_equal(crypto_aead_open_burst(engines[i], &op, 1), 1);
			assert_memory_equal(buf, pt, kat[t].len);
			crypto_aead_key_free(k);
		}
	}
}

static struct crypto_aead_key *key256(struct crypto_aead_engine *e, uint8_t fill)
{
	uint8_t raw[32];
	struct crypto_aead_key *k;

	memset(raw, fill, sizeof(raw));
	k = crypto_aead_key_new(e, CRYPTO_AEAD_AES_256_GCM, raw, sizeof(raw));
	assert_non_null(k);
	return k;
}

static void test_nonce_sequence(void **state)
{
	(void)state;
	for (int i = 0; i < nb_engines; i++) {
		struct crypto_aead_engine *e = engines[i];
		struct crypto_aead_key *k0 = key256(e, 1), *k1 = key256(e, 1), *plain = key256(e, 1);
		uint8_t iv[4][12], tag[4][16], data[4][32] = { { 0 } }, other[12];
		struct crypto_aead_op ops[4];
		struct crypto_aead_usage u;

		assert_int_equal(crypto_aead_key_set_nonce_seq(k0, 0), 0);
		assert_int_equal(crypto_aead_key_set_nonce_seq(k0, 5), -EALREADY);
		assert_int_equal(crypto_aead_key_set_nonce_seq(k1, 1), 0);
		for (int j = 0; j < 4; j++) {
			ops[j] = (struct crypto_aead_op){ .key = k0, .src.data = data[j], .len = 32,
							  .iv = iv[j], .iv_len = 12, .tag = tag[j],
							  .tag_len = 16,
							  .flags = CRYPTO_AEAD_F_NONCE_SEQ };
		}
		ops[1].tag_len = 5;	/* refused: must not take a counter value */
		assert_int_equal(crypto_aead_seal_burst(e, ops, 4), 3);
		assert_int_equal(ops[1].status, -EINVAL);
		assert_memory_equal(iv[0], "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
		assert_memory_equal(iv[2], "\0\0\0\0\0\0\0\0\0\0\0\1", 12);
		assert_memory_equal(iv[3], "\0\0\0\0\0\0\0\0\0\0\0\2", 12);
		crypto_aead_key_usage(k0, &u);
		assert_int_equal(u.seals, 3);
		assert_int_equal(u.blocks, 6);
		assert_int_equal(crypto_aead_key_set_nonce_seq(k0, 9), -EALREADY);

		/* Another lcore's key object with the same bytes: a disjoint nonce space. */
		ops[0].key = k1;
		memset(data[0], 0, sizeof(data[0]));
		assert_int_equal(crypto_aead_seal_burst(e, ops, 1), 1);
		memcpy(other, "\0\0\0\1\0\0\0\0\0\0\0\0", 12);
		assert_memory_equal(iv[0], other, 12);
		/* The receiver opens with the nonce the seal wrote. */
		ops[0].key = plain;
		ops[0].flags = 0;
		assert_int_equal(crypto_aead_open_burst(e, ops, 1), 1);
		assert_memory_equal(data[0], (uint8_t[32]){ 0 }, 32);
		/* No sequence on the key, or on an open: refused. */
		ops[0].flags = CRYPTO_AEAD_F_NONCE_SEQ;
		assert_int_equal(crypto_aead_seal_burst(e, ops, 1), 0);
		assert_int_equal(ops[0].status, -EINVAL);
		ops[0].key = k0;
		assert_int_equal(crypto_aead_open_burst(e, ops, 1), 0);
		assert_int_equal(ops[0].status, -EINVAL);
		crypto_aead_key_free(k0);
		crypto_aead_key_free(k1);
		crypto_aead_key_free(plain);
	}
}

static void seal_one(struct crypto_aead_engine *e, struct crypto_aead_op *op,
		     struct crypto_aead_key *k, uint8_t *buf, uint32_t len, uint8_t *iv, uint8_t *tag)
{
	*op = (struct crypto_aead_op){ .key = k, .src.data = buf, .len = len, .iv = iv,
				       .iv_len = 12, .tag = tag, .tag_len = 16,
				       .flags = CRYPTO_AEAD_F_NONCE_SEQ };
	(void)crypto_aead_seal_burst(e, op, 1);
}

static void test_limits(void **state)
{
	(void)state;
	for (int i = 0; i < nb_engines; i++) {
		struct crypto_aead_engine *e = engines[i];
		struct crypto_aead_key *k = key256(e, 2);
		struct crypto_aead_stats before, after;
		struct crypto_aead_usage u;
		struct crypto_aead_op op;
		uint8_t buf[64] = { 0 }, iv[12], tag[16];

		crypto_aead_engine_stats(e, &before);
		assert_int_equal(crypto_aead_key_set_nonce_seq(k, 3), 0);
		assert_int_equal(crypto_aead_key_set_limits(k, 8, 0, 0), 0);
		for (int j = 1; j <= 8; j++) {
			seal_one(e, &op, k, buf, 16, iv, tag);
			assert_int_equal(op.status, 0);
			/* Advice from 3/4 of the limit on. */
			assert_int_equal(!!(op.out & CRYPTO_AEAD_OUT_REKEY), j >= 6);
		}
		seal_one(e, &op, k, buf, 16, iv, tag);
		assert_int_equal(op.status, -EKEYEXPIRED);
		crypto_aead_key_usage(k, &u);
		assert_int_equal(u.seals, 8);
		assert_int_equal(u.max_seals, 8);
		crypto_aead_engine_stats(e, &after);
		assert_int_equal(after.seals - before.seals, 8);
		assert_int_equal(after.expired - before.expired, 1);
		assert_int_equal(after.rekey_advised - before.rekey_advised, 3);
		crypto_aead_key_free(k);

		/* Blocks: 64 bytes are 4; a seal that would pass 10 is refused whole. */
		k = key256(e, 3);
		assert_int_equal(crypto_aead_key_set_nonce_seq(k, 3), 0);
		assert_int_equal(crypto_aead_key_set_limits(k, 0, 10, 0), 0);
		seal_one(e, &op, k, buf, 64, iv, tag);
		assert_int_equal(op.status, 0);
		seal_one(e, &op, k, buf, 64, iv, tag);
		assert_int_equal(op.status, 0);
		seal_one(e, &op, k, buf, 64, iv, tag);
		assert_int_equal(op.status, -EKEYEXPIRED);
		seal_one(e, &op, k, buf, 17, iv, tag);
		assert_int_equal(op.status, 0);
		assert_int_equal(op.out, CRYPTO_AEAD_OUT_REKEY);
		/* Opens on a key past 3/4 of a limit carry the advice too. */
		op.flags = 0;
		assert_int_equal(crypto_aead_open_burst(e, &op, 1), 1);
		assert_int_equal(op.out, CRYPTO_AEAD_OUT_REKEY);
		/* Above the algorithm's limits: refused. */
		assert_int_equal(crypto_aead_key_set_limits(k, 0, UINT64_C(1) << 40, 0), -EINVAL);
		assert_int_equal(crypto_aead_key_set_limits(k, 0, 0, UINT64_C(1) << 60), -EINVAL);
		crypto_aead_key_free(k);

		/* Integrity: after two forgeries the key opens nothing, good or bad. */
		k = key256(e, 4);
		assert_int_equal(crypto_aead_key_set_limits(k, 0, 0, 2), 0);
		memset(iv, 9, sizeof(iv));
		op = (struct crypto_aead_op){ .key = k, .src.data = buf, .len = 64, .iv = iv,
					      .iv_len = 12, .tag = tag, .tag_len = 16 };
		assert_int_equal(crypto_aead_seal_burst(e, &op, 1), 1);
		tag[0] ^= 1;
		assert_int_equal(crypto_aead_open_burst(e, &op, 1), 0);
		assert_int_equal(op.status, -EBADMSG);
		assert_int_equal(crypto_aead_seal_burst(e, &op, 1), 1);
		tag[15] ^= 0x80;
		assert_int_equal(crypto_aead_open_burst(e, &op, 1), 0);
		assert_int_equal(crypto_aead_seal_burst(e, &op, 1), 1);
		assert_int_equal(crypto_aead_open_burst(e, &op, 1), 0);
		assert_int_equal(op.status, -EKEYEXPIRED);
		crypto_aead_key_usage(k, &u);
		assert_int_equal(u.auth_failures, 2);
		crypto_aead_key_free(k);
	}
}

static void test_failed_open(void **state)
{
	(void)state;
	for (int i = 0; i < nb_engines; i++) {
		struct crypto_aead_engine *e = engines[i];
		struct crypto_aead_key *k = key256(e, 5);
		uint8_t pt[100], ct[100], out[100], iv[12] = { 1 }, tag[16], aad[7] = "header";
		struct crypto_aead_stats before, after;
		struct crypto_aead_op op;

		for (int j = 0; j < 100; j++) {
			pt[j] = (uint8_t)(j * 7 + 1);
		}
		crypto_aead_engine_stats(e, &before);
		op = (struct crypto_aead_op){ .key = k, .src.data = pt, .dst.data = ct, .len = 100,
					      .aad = aad, .aad_len = 7, .iv = iv, .iv_len = 12,
					      .tag = tag, .tag_len = 16,
					      .flags = CRYPTO_AEAD_F_OUT_OF_PLACE };
		assert_int_equal(crypto_aead_seal_burst(e, &op, 1), 1);
		assert_memory_not_equal(pt, ct, 100);

		/* Out of place: the destination is wiped, the ciphertext kept. */
		op.src.data = ct;
		op.dst.data = out;
		aad[0] ^= 0x20;
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(crypto_aead_open_burst(e, &op, 1), 0);
		assert_int_equal(op.status, -EBADMSG);
		assert_memory_equal(out, (uint8_t[100]){ 0 }, 100);
		aad[0] ^= 0x20;
		assert_int_equal(crypto_aead_open_burst(e, &op, 1), 1);
		assert_memory_equal(out, pt, 100);

		/* In place: the bytes are wiped too (a forgery's plaintext never shows). */
		op.flags = 0;
		ct[50] ^= 1;
		assert_int_equal(crypto_aead_open_burst(e, &op, 1), 0);
		assert_memory_equal(ct, (uint8_t[100]){ 0 }, 100);
		crypto_aead_engine_stats(e, &after);
		assert_int_equal(after.auth_failures - before.auth_failures, 2);
		assert_int_equal(after.opens - before.opens, 1);
		assert_int_equal(after.open_bytes - before.open_bytes, 100);
		assert_int_equal(after.seal_bytes - before.seal_bytes, 100);
		crypto_aead_key_free(k);
	}
}

static void test_refused(void **state)
{
	(void)state;
	struct crypto_aead_key *chacha, *other;
	uint8_t raw[32] = { 0 }, buf[32], iv[16] = { 0 }, tag[16];

	assert_null(crypto_aead_key_new(engines[0], CRYPTO_AEAD_AES_256_GCM, raw, 16));
	assert_int_equal(errno, EINVAL);
	assert_null(crypto_aead_key_new(engines[0], CRYPTO_AEAD_ALG__MAX, raw, 32));
	other = key256(engines[nb_engines - 1], 6);
	for (int i = 0; i < nb_engines - 1; i++) {
		struct crypto_aead_engine *e = engines[i];
		struct crypto_aead_key *k = key256(e, 6);
		struct crypto_aead_op base = { .key = k, .src.data = buf, .len = 32, .iv = iv,
					       .iv_len = 12, .tag = tag, .tag_len = 16 };
		struct crypto_aead_op ops[8];
		struct crypto_aead_stats before, after;

		chacha = crypto_aead_key_new(e, CRYPTO_AEAD_CHACHA20_POLY1305, raw, 32);
		assert_non_null(chacha);
		for (int j = 0; j < 8; j++) {
			ops[j] = base;
		}
		ops[0].key = other;		/* a key of another engine */
		ops[1].iv_len = 0;		/* GCM needs a nonce */
		ops[2].key = chacha;
		ops[2].iv_len = 8;		/* ChaCha20-Poly1305 takes 12 bytes only */
		ops[3].tag_len = 10;		/* not an SP 800-38D tag length */
		ops[4].src.data = NULL;		/* no buffer */
		ops[5].aad_len = 3;		/* AAD length without AAD */
		ops[6].tag_len = 12;		/* fine: truncated tag */
		ops[7].key = chacha;		/* fine */
		crypto_aead_engine_stats(e, &before);
		assert_int_equal(crypto_aead_seal_burst(e, ops, 8), 2);
		for (int j = 0; j < 6; j++) {
			assert_int_equal(ops[j].status, -EINVAL);
		}
		assert_int_equal(ops[6].status, 0);
		assert_int_equal(ops[7].status, 0);
		crypto_aead_engine_stats(e, &after);
		assert_int_equal(after.invalid - before.invalid, 6);
		assert_int_equal(after.seals - before.seals, 2);
		/* A 12-byte tag opens as 12 bytes. */
		assert_int_equal(crypto_aead_open_burst(e, &ops[6], 1), 1);
		crypto_aead_key_free(k);
		crypto_aead_key_free(chacha);
	}
	crypto_aead_key_free(other);
}

static void chain(struct rte_mbuf *m, uint8_t *mem, const uint16_t *lens, int nseg)
{
	memset(m, 0, sizeof(*m) * nseg);
	for (int i = 0; i < nseg; i++) {
		m[i].buf_addr = mem;
		m[i].buf_len = lens[i];
		m[i].data_len = lens[i];
		m[i].next = i + 1 < nseg ? &m[i + 1] : NULL;
		mem += lens[i];
	}
	m[0].nb_segs = nseg;
	m[0].pkt_len = 0;
	for (int i = 0; i < nseg; i++) {
		m[0].pkt_len += lens[i];
	}
}

static void test_short_chain(void **state)
{
	(void)state;
	for (int i = 0; i < nb_engines; i++) {
		struct crypto_aead_engine *e = engines[i];
		struct crypto_aead_key *k = key256(e, 7);
		static const uint16_t lens[3] = { 10, 0, 20 };
		uint8_t mem[30], flat[40] = { 0 }, iv[12] = { 0 }, tag[16], copy[30];
		struct rte_mbuf m[3];
		struct crypto_aead_op op;

		for (int j = 0; j < 30; j++) {
			mem[j] = (uint8_t)j;
		}
		memcpy(copy, mem, 30);
		chain(m, mem, lens, 3);
		op = (struct crypto_aead_op){ .key = k, .src.m = m, .src.off = 0, .len = 31,
					      .iv = iv, .iv_len = 12, .tag = tag, .tag_len = 16 };
		assert_int_equal(crypto_aead_seal_burst(e, &op, 1), 0);
		assert_int_equal(op.status, -ENOBUFS);
		op.src.off = 5;
		op.len = 26;
		assert_int_equal(crypto_aead_seal_burst(e, &op, 1), 0);
		assert_int_equal(op.status, -ENOBUFS);
		assert_memory_equal(mem, copy, 30);
		/* Exactly the chain's bytes from an offset: sealed, and opens back. */
		op.len = 25;
		assert_int_equal(crypto_aead_seal_burst(e, &op, 1), 1);
		assert_memory_equal(mem, copy, 5);
		/* Out of place into a flat buffer too short is the caller's; into a chain it is checked. */
		op.flags = CRYPTO_AEAD_F_OUT_OF_PLACE;
		op.dst.data = flat;
		assert_int_equal(crypto_aead_open_burst(e, &op, 1), 1);
		assert_memory_equal(flat, copy + 5, 25);
		crypto_aead_key_free(k);
	}
}

static void test_derive(void **state)
{
	(void)state;
	for (int i = 0; i < nb_engines; i++) {
		struct crypto_aead_engine *e = engines[i];
		static const uint8_t secret[] = "trust psk: partner-corp";
		uint8_t s1[CRYPTO_AEAD_SALT_LEN], s2[CRYPTO_AEAD_SALT_LEN];
		uint8_t iv[12] = { 0 }, buf[3][16] = { { 0 } }, tag[3][16];
		struct crypto_aead_key *k[3];

		assert_int_equal(crypto_aead_instance_salt(s1), 0);
		assert_int_equal(crypto_aead_instance_salt(s2), 0);
		assert_memory_not_equal(s1, s2, sizeof(s1));
		k[0] = crypto_aead_key_derive(e, CRYPTO_AEAD_AES_256_GCM, secret, sizeof(secret), s1,
					      (const uint8_t *)"lcore", 5);
		k[1] = crypto_aead_key_derive(e, CRYPTO_AEAD_AES_256_GCM, secret, sizeof(secret), s1,
					      (const uint8_t *)"lcore", 5);
		k[2] = crypto_aead_key_derive(e, CRYPTO_AEAD_AES_256_GCM, secret, sizeof(secret), s2,
					      (const uint8_t *)"lcore", 5);
		for (int j = 0; j < 3; j++) {
			struct crypto_aead_op op = { .key = k[j], .src.data = buf[j], .len = 16,
						     .iv = iv, .iv_len = 12, .tag = tag[j],
						     .tag_len = 16 };

			assert_non_null(k[j]);
			assert_int_equal(crypto_aead_seal_burst(e, &op, 1), 1);
		}
		/* Same salt: the receiver's key; a new instance's salt: another key. */
		assert_memory_equal(buf[0], buf[1], 16);
		assert_memory_equal(tag[0], tag[1], 16);
		assert_memory_not_equal(buf[0], buf[2], 16);
		assert_null(crypto_aead_key_derive(e, CRYPTO_AEAD_AES_256_GCM, secret, 0, s1, NULL, 0));
		for (int j = 0; j < 3; j++) {
			crypto_aead_key_free(k[j]);
		}
	}
}

/*
 * crypto_aead_key_rekey: a key object rekeyed in place seals exactly as a
 * fresh object with the new bytes, on every engine and algorithm (the
 * 200-byte nonce takes the OpenSSL long-nonce path, which needs H of the
 * new key), its usage starts again, and the refusals.
 */
static void test_rekey(void **state)
{
	(void)state;
	for (int i = 0; i < nb_engines; i++) {
		struct crypto_aead_engine *e = engines[i];

		for (int a = 0; a < CRYPTO_AEAD_ALG__MAX; a++) {
			uint8_t k1[32], k2[32], iv[200], pt[80], c1[80], c2[80], t1[16], t2[16];
			struct crypto_aead_key *ko = NULL, *kf;
			struct crypto_aead_usage u;
			size_t kl = crypto_aead_key_len(a);
			uint16_t ivl = a == CRYPTO_AEAD_CHACHA20_POLY1305 ? 12 : 200;

			memset(k1, 0x11, sizeof(k1));
			memset(k2, 0x22, sizeof(k2));
			memset(iv, 0x33, sizeof(iv));
			memset(pt, 0x44, sizeof(pt));
			ko = crypto_aead_key_new(e, a, k1, kl);
			kf = crypto_aead_key_new(e, a, k2, kl);
			assert_non_null(ko);
			assert_non_null(kf);
			for (int round = 0; round < 2; round++) {
				struct crypto_aead_op op1 = { .key = ko, .src.data = pt, .dst.data = c1,
							      .flags = CRYPTO_AEAD_F_OUT_OF_PLACE,
							      .len = sizeof(pt), .iv = iv, .iv_len = ivl,
							      .tag = t1, .tag_len = 16 };
				struct crypto_aead_op op2 = op1;

				op2.key = kf;
				op2.dst.data = c2;
				op2.tag = t2;
				assert_int_equal(crypto_aead_seal_burst(e, &op1, 1), 1);
				assert_int_equal(crypto_aead_seal_burst(e, &op2, 1), 1);
				if (round == 0) {
					/* still k1 */
					assert_memory_not_equal(c1, c2, sizeof(c1));
					assert_int_equal(crypto_aead_key_rekey(e, ko, k2, kl), 0);
					crypto_aead_key_usage(ko, &u);
					assert_true(u.seals == 0 && u.blocks == 0);
				} else {
					assert_memory_equal(c1, c2, sizeof(c1));
					assert_memory_equal(t1, t2, sizeof(t1));
				}
			}
			assert_int_equal(crypto_aead_key_rekey(e, ko, k2, kl - 1), -EINVAL);
			if (nb_engines > 1) {
				struct crypto_aead_engine *other = engines[(i + 1) % nb_engines];

				assert_int_equal(crypto_aead_key_rekey(other, ko, k2, kl), -EINVAL);
			}
			crypto_aead_key_free(kf);
			crypto_aead_key_free(ko);
			/* A key with a nonce sequence is never rekeyed. */
			ko = crypto_aead_key_new(e, a, k1, kl);
			assert_non_null(ko);
			assert_int_equal(crypto_aead_key_set_nonce_seq(ko, 7), 0);
			assert_int_equal(crypto_aead_key_rekey(e, ko, k1, kl), -EINVAL);
			crypto_aead_key_free(ko);
		}
	}
}

/* Longer than the backend's burst, keys of several algorithms mixed. */
static void test_long_burst(void **state)
{
	enum { N = 3 * CRYPTO_AEAD_BURST_MAX + 7 };
	static struct crypto_aead_op ops[N];
	static uint8_t buf[N][48], iv[N][12], tag[N][16];

	(void)state;
	for (int i = 0; i < nb_engines; i++) {
		struct crypto_aead_engine *e = engines[i];
		uint8_t raw[32] = { 8 };
		struct crypto_aead_key *k[CRYPTO_AEAD_ALG__MAX];

		for (int a = 0; a < CRYPTO_AEAD_ALG__MAX; a++) {
			k[a] = crypto_aead_key_new(e, a, raw, crypto_aead_key_len(a));
			assert_non_null(k[a]);
		}
		for (int j = 0; j < N; j++) {
			memset(buf[j], j, sizeof(buf[j]));
			memset(iv[j], j >> 2, sizeof(iv[j]));
			ops[j] = (struct crypto_aead_op){ .key = k[j % CRYPTO_AEAD_ALG__MAX],
							  .src.data = buf[j], .len = 48 - j % 48,
							  .iv = iv[j], .iv_len = 12, .tag = tag[j],
							  .tag_len = 16 };
		}
		assert_int_equal(crypto_aead_seal_burst(e, ops, N), N);
		tag[100][3] ^= 1;
		assert_int_equal(crypto_aead_open_burst(e, ops, N), N - 1);
		for (int j = 0; j < N; j++) {
			uint8_t want[48];

			memset(want, j == 100 ? 0 : j, sizeof(want));
			assert_int_equal(ops[j].status, j == 100 ? -EBADMSG : 0);
			assert_memory_equal(buf[j], want, ops[j].len);
		}
		for (int a = 0; a < CRYPTO_AEAD_ALG__MAX; a++) {
			crypto_aead_key_free(k[a]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engines),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_nonce_sequence),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_failed_open),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_short_chain),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_long_burst),
		cmocka_unit_test(test_rekey),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
