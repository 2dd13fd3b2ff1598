/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/bridge/seal.c, the sealed hop between two
 * bridges: AES-256-GCM and MLS round trips of 1, 8 and 64 messages; any
 * single byte of a record changed (header, route, ciphertext, tag) refused
 * with nothing returned; routes that do not match their content refused;
 * replayed and too-old records refused; two epochs kept, a third dropping
 * the oldest; batches full by count and by bytes; two senders of one epoch
 * never sealing under the same key and nonce; every truncation refused;
 * reflected records refused; forged records from unseen instances not
 * pushing real ones out of the receiver.
 *
 * MLS mode uses a 2-member group's epoch records (mls_export_encode /
 * mls_export_app_new): member 0's sender, member 1's receiver.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto_aead.h"
#include "mls_app.h"
#include "mls_crypto.h"
#include "mls_export.h"
#include "seal.h"

#define GID "trust:acme->partner-corp"
#define GID_LEN (sizeof(GID) - 1)
#define REC_CAP (SEAL_MAX_INNER + 64 * 1024)
#define TX_LEAF 0
#define RX_LEAF 1

struct fx {
	struct crypto_aead_engine *e;
	struct mls_app_lcore *lc;
	uint8_t secret[3][32];		/* AES epoch secrets of epochs 7, 8, 9 */
	/* The MLS group: two members, Ed25519 (suite 1). */
	const struct mls_suite *suite;
	uint8_t gc[64], sds[MLS_MAX_HASH], app[2][MLS_MAX_HASH];
	uint8_t priv[2][MLS_MAX_SIG_PRIV], pub[2][MLS_MAX_SIG_PUB];
	size_t priv_len[2], pub_len[2];
	uint8_t *rec, *rec2, *scratch, *msg;
	struct seal_msg out[SEAL_MAX_BATCH];
};

static struct fx *F;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO, CRYPTO_AEAD_ARCH_AUTO);
	assert_non_null(f->e);
	f->lc = mls_app_lcore_new(f->e);
	assert_non_null(f->lc);
	assert_int_equal(mls_random(f->secret, sizeof(f->secret)), 0);
	f->suite = mls_suite_get(1);
	assert_non_null(f->suite);
	assert_int_equal(mls_random(f->gc, sizeof(f->gc)), 0);
	assert_int_equal(mls_random(f->sds, sizeof(f->sds)), 0);
	for (int i = 0; i < 2; i++) {
		EVP_PKEY *k;

		assert_int_equal(mls_random(f->app[i], sizeof(f->app[i])), 0);
		assert_int_equal(mls_sig_keygen(f->suite, &k, f->priv[i], &f->priv_len[i]), 0);
		assert_int_equal(mls_sig_pub_raw(f->suite, k, f->pub[i], sizeof(f->pub[i]),
						 &f->pub_len[i]), 0);
		EVP_PKEY_free(k);
	}
	f->rec = malloc(REC_CAP);
	f->rec2 = malloc(REC_CAP);
	f->scratch = malloc(REC_CAP);
	f->msg = malloc(SEAL_MAX_INNER);
	assert_true(f->rec && f->rec2 && f->scratch && f->msg);
	F = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->rec);
	free(f->rec2);
	free(f->scratch);
	free(f->msg);
	mls_app_lcore_free(f->lc);
	crypto_aead_engine_free(f->e);
	free(f);
	return 0;
}

/* ---- keys ---------------------------------------------------------------- */

static struct seal_keys aes_keys(uint64_t epoch, uint32_t own)
{
	struct seal_keys k = {
		.mode = SB_POL_SEAL_AES,
		.group_id = (const uint8_t *)GID,
		.group_id_len = GID_LEN,
		.epoch = epoch,
		.own_leaf = own,
		.secret = F->secret[(epoch - 7) % 3],
	};

	return k;
}

static struct seal_tx *aes_tx(uint64_t epoch)
{
	struct seal_keys k = aes_keys(epoch, TX_LEAF);
	struct seal_tx *t = seal_tx_new(&k, F->e, NULL);

	assert_non_null(t);
	return t;
}

static struct seal_rx *aes_rx(uint64_t epoch)
{
	struct seal_keys k = aes_keys(epoch, RX_LEAF);
	struct seal_rx *r = seal_rx_new(F->e, NULL);

	assert_non_null(r);
	assert_int_equal(seal_rx_add_epoch(r, &k), 0);
	return r;
}

/* mls_objs: member |own|'s sender and receiver of |epoch|, from its epoch record. */
static void mls_objs(uint64_t epoch, uint32_t own, struct mls_app_sender **s,
		     struct mls_app_receiver **r)
{
	struct mls_export_member m[2];
	struct mls_export_rec rec = {
		.suite = F->suite,
		.group_id = (const uint8_t *)GID,
		.group_id_len = GID_LEN,
		.epoch = epoch,
		.own_leaf = own,
		.n_leaves = 2,
		.group_context = F->gc,
		.group_context_len = sizeof(F->gc),
		.sender_data_secret = F->sds,
		.sig_priv = F->priv[own],
		.sig_priv_len = F->priv_len[own],
		.n_members = 2,
	};
	struct mls_export_rec d;
	uint8_t buf[2048];
	size_t len;

	for (uint32_t i = 0; i < 2; i++) {
		m[i] = (struct mls_export_member){i, F->app[i], F->pub[i], F->pub_len[i]};
	}
	assert_int_equal(mls_export_encode(&rec, m, 2, buf, sizeof(buf), &len), 0);
	assert_int_equal(mls_export_decode(buf, len, &d), 0);
	assert_int_equal(mls_export_app_new(&d, 0, s, r), 0);
}

static struct seal_tx *mls_tx(uint64_t epoch)
{
	struct seal_keys k = {
		.mode = SB_POL_SEAL_MLS,
		.group_id = (const uint8_t *)GID,
		.group_id_len = GID_LEN,
		.epoch = epoch,
		.own_leaf = TX_LEAF,
	};
	struct seal_tx *t;

	mls_objs(epoch, TX_LEAF, &k.mls_tx, NULL);
	t = seal_tx_new(&k, NULL, F->lc);
	assert_non_null(t);
	return t;
}

static struct seal_rx *mls_rx(uint64_t epoch)
{
	struct seal_keys k = {
		.mode = SB_POL_SEAL_MLS,
		.group_id = (const uint8_t *)GID,
		.group_id_len = GID_LEN,
		.epoch = epoch,
		.own_leaf = RX_LEAF,
	};
	struct seal_rx *r = seal_rx_new(NULL, F->lc);

	assert_non_null(r);
	mls_objs(epoch, RX_LEAF, NULL, &k.mls_rx);
	assert_int_equal(seal_rx_add_epoch(r, &k), 0);
	return r;
}

static struct seal_tx *tx_of(uint8_t mode, uint64_t epoch)
{
	return mode == SB_POL_SEAL_AES ? aes_tx(epoch) : mls_tx(epoch);
}

static struct seal_rx *rx_of(uint8_t mode, uint64_t epoch)
{
	return mode == SB_POL_SEAL_AES ? aes_rx(epoch) : mls_rx(epoch);
}

/* ---- messages ----------------------------------------------------------- */

static struct seal_route route_of(uint32_t i, uint32_t len)
{
	struct seal_route r = {
		.src = {0x1111000000000000ull + i, 0x2222, 0x3333},
		.src_id = {i, ~(uint64_t)i},
		.dst = {0x4444, 0x5555000000000000ull + i, 0x6666},
		.dst_id = {0xfedcba9876543210ull, i * 7},
		.fanout = i % 3,
		.len = len,
	};

	return r;
}

static void fill_msg(uint8_t *p, uint32_t i, size_t len)
{
	for (size_t j = 0; j < len; j++) {
		p[j] = (uint8_t)(i * 31 + j * 7 + (j >> 8));
	}
}

/* size_of: message |i|'s size in a batch of "size" |size| (varied around it). */
static uint32_t size_of(uint32_t i, uint32_t size)
{
	return size == 0 ? 0 : size - (i % 5);
}

/* seal: |n| messages of about |size| bytes, then one record into |out|; returns its length. */
static size_t seal(struct seal_tx *t, uint32_t n, uint32_t size, uint8_t *out)
{
	size_t len = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct seal_route r = route_of(i, size_of(i, size));

		fill_msg(F->msg, i, r.len);
		assert_int_equal(seal_tx_add(t, &r, F->msg), 0);
	}
	assert_int_equal(seal_tx_pending(t), n);
	assert_true(seal_tx_record_max(t) <= REC_CAP);
	assert_int_equal(seal_tx_flush(t, out, REC_CAP, &len), 0);
	assert_int_equal(seal_tx_pending(t), 0);
	assert_true(len > 0 && len <= REC_CAP);
	return len;
}

/* opens_as_sealed: |rec| opens into the |n| messages seal() made. */
static void opens_as_sealed(struct seal_rx *r, const uint8_t *rec, size_t len, uint32_t n,
			    uint32_t size)
{
	uint8_t want[1024];
	uint32_t got = 99;

	assert_int_equal(seal_rx_open(r, rec, len, F->scratch, REC_CAP, F->out, &got), 0);
	assert_int_equal(got, n);
	for (uint32_t i = 0; i < n; i++) {
		struct seal_route rt = route_of(i, size_of(i, size));

		assert_memory_equal(&F->out[i].route, &rt, sizeof(rt));
		assert_int_equal(F->out[i].len, rt.len);
		assert_true(F->out[i].msg >= F->scratch && F->out[i].msg + rt.len <= F->scratch + REC_CAP);
		assert_true(rt.len <= sizeof(want));
		fill_msg(want, i, rt.len);
		assert_memory_equal(F->out[i].msg, want, rt.len);
	}
}

/* refused: |rec| does not open, and nothing comes back. */
static int refused(struct seal_rx *r, const uint8_t *rec, size_t len)
{
	uint32_t got = 99;
	int rc = seal_rx_open(r, rec, len, F->scratch, REC_CAP, F->out, &got);

	assert_true(rc < 0);
	assert_int_equal(got, 0);
	return rc;
}

/* ---- tests -------------------------------------------------------------- */

static void round_trips(uint8_t mode)
{
	const uint32_t ns[] = {1, 8, mode == SB_POL_SEAL_AES ? SEAL_MAX_BATCH : SEAL_MLS_MAX_BATCH};
	struct seal_tx *t = tx_of(mode, 7);
	struct seal_rx *r = rx_of(mode, 7);

	assert_true(seal_tx_epoch(t) == 7);
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		struct seal_info info;
		size_t len = seal(t, ns[k], 512, F->rec);

		assert_int_equal(seal_peek(F->rec, len, &info), 0);
		assert_int_equal(info.mode, mode);
		assert_int_equal(info.count, ns[k]);
		assert_int_equal(info.group_id_len, GID_LEN);
		assert_memory_equal(info.group_id, GID, GID_LEN);
		assert_true(info.epoch == 7);
		assert_int_equal(info.sender_leaf, TX_LEAF);
		opens_as_sealed(r, F->rec, len, ns[k], 512);
	}
	/* Empty messages and an empty flush. */
	{
		size_t len = seal(t, 3, 0, F->rec);

		opens_as_sealed(r, F->rec, len, 3, 0);
		assert_int_equal(seal_tx_flush(t, F->rec, REC_CAP, &len), 0);
		assert_int_equal(len, 0);
	}
	seal_tx_free(t);
	seal_rx_free(r);
}

static void test_aes_round_trip(void **state)
{
	(void)state;
	round_trips(SB_POL_SEAL_AES);
}

static void test_mls_round_trip(void **state)
{
	(void)state;
	round_trips(SB_POL_SEAL_MLS);
}

/*
 * Every byte of a record changed (two ways) is refused with nothing
 * returned. MLS: a record whose MLS message is intact but whose header
 * changed still uses up the message's generation (the receiver opens it
 * before checking payload 0), so each change gets a fresh record.
 */
static void flips(uint8_t mode)
{
	static const uint8_t masks[] = {0x01, 0x80};
	struct seal_tx *t = tx_of(mode, 7);
	struct seal_rx *r = rx_of(mode, 7);
	size_t len = seal(t, 3, 40, F->rec);

	for (size_t pos = 0; pos < len; pos++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			if (mode == SB_POL_SEAL_MLS) {
				assert_int_equal(seal(t, 3, 40, F->rec), len);
			}
			F->rec[pos] ^= masks[m];
			refused(r, F->rec, len);
			F->rec[pos] ^= masks[m];
		}
	}
	/*
	 * AES: the last record, intact, still opens (refusals leave the window
	 * alone). MLS: the receiver may have used up that record's generation
	 * on the changed copy; a new record opens.
	 */
	if (mode == SB_POL_SEAL_MLS) {
		assert_int_equal(seal(t, 3, 40, F->rec), len);
	}
	opens_as_sealed(r, F->rec, len, 3, 40);
	seal_tx_free(t);
	seal_rx_free(r);
}

static void test_aes_flips(void **state)
{
	(void)state;
	flips(SB_POL_SEAL_AES);
}

static void test_mls_flips(void **state)
{
	(void)state;
	flips(SB_POL_SEAL_MLS);
}

/*
 * The clear routes are bound to the content: a record whose route was
 * changed on the way (another destination, two lengths traded so the total
 * stays) is refused.
 */
static void route_mismatch(uint8_t mode)
{
	struct seal_tx *t = tx_of(mode, 7);
	struct seal_rx *r = rx_of(mode, 7);
	size_t routes = 4 + 1 + 1 + 2 + 1 + GID_LEN + 8 + 4 + 16 + 8;

	for (int k = 0; k < 2; k++) {
		size_t len = seal(t, 2, 100, F->rec);
		uint8_t *r0 = F->rec + routes, *r1 = r0 + SEAL_ROUTE_SIZE;

		if (k == 0) {
			r0[40 + 7] ^= 0x5a;		/* dst[0] of message 0 */
		} else {
			uint8_t tmp[4];			/* lengths 100 and 99 traded */

			memcpy(tmp, r0 + 84, 4);
			memcpy(r0 + 84, r1 + 84, 4);
			memcpy(r1 + 84, tmp, 4);
		}
		assert_int_equal(seal_peek(F->rec, len, &(struct seal_info){0}), 0);
		assert_int_equal(refused(r, F->rec, len), -EBADMSG);
	}
	seal_tx_free(t);
	seal_rx_free(r);
}

static void test_route_mismatch(void **state)
{
	(void)state;
	route_mismatch(SB_POL_SEAL_AES);
	route_mismatch(SB_POL_SEAL_MLS);
}

/* AES: a repeat and a record older than the window are refused; out of order inside it opens. */
static void test_aes_replay(void **state)
{
	const size_t n = SEAL_REPLAY_WINDOW + 2;
	struct seal_tx *t = aes_tx(7);
	struct seal_rx *r = aes_rx(7);
	uint8_t *recs = malloc(n * 256);
	size_t lens[SEAL_REPLAY_WINDOW + 2];

	(void)state;
	assert_non_null(recs);
	for (size_t i = 0; i < n; i++) {
		lens[i] = seal(t, 1, 16, F->rec);
		assert_true(lens[i] <= 256);
		memcpy(recs + i * 256, F->rec, lens[i]);
	}
	opens_as_sealed(r, recs, lens[0], 1, 16);
	assert_int_equal(refused(r, recs, lens[0]), -EALREADY);
	/* The newest: records 0 and 1 fall out of the window (top - seq >= 1024). */
	opens_as_sealed(r, recs + (n - 1) * 256, lens[n - 1], 1, 16);
	assert_int_equal(refused(r, recs + 1 * 256, lens[1]), -EALREADY);
	/* Record 2 is exactly the oldest still inside: opens once, out of order. */
	opens_as_sealed(r, recs + 2 * 256, lens[2], 1, 16);
	assert_int_equal(refused(r, recs + 2 * 256, lens[2]), -EALREADY);
	opens_as_sealed(r, recs + 500 * 256, lens[500], 1, 16);
	assert_int_equal(refused(r, recs + 500 * 256, lens[500]), -EALREADY);
	assert_int_equal(refused(r, recs + (n - 1) * 256, lens[n - 1]), -EALREADY);
	free(recs);
	seal_tx_free(t);
	seal_rx_free(r);
}

/* MLS: the generation ratchet refuses the same record twice. */
static void test_mls_replay(void **state)
{
	struct seal_tx *t = mls_tx(7);
	struct seal_rx *r = mls_rx(7);
	size_t len = seal(t, 4, 64, F->rec), len2 = seal(t, 1, 64, F->rec2);

	(void)state;
	opens_as_sealed(r, F->rec2, len2, 1, 64);
	opens_as_sealed(r, F->rec, len, 4, 64);		/* out of order: opens */
	assert_int_equal(refused(r, F->rec, len), -EALREADY);
	assert_int_equal(refused(r, F->rec2, len2), -EALREADY);
	seal_tx_free(t);
	seal_rx_free(r);
}

/* Two epochs open; a third drops the oldest; an unknown group has no key. */
static void test_epochs(void **state)
{
	struct seal_tx *t7 = aes_tx(7), *t8 = aes_tx(8), *t9 = aes_tx(9);
	struct seal_rx *r = aes_rx(7);
	struct seal_keys k8 = aes_keys(8, RX_LEAF), k9 = aes_keys(9, RX_LEAF);
	struct seal_keys k6 = aes_keys(6, RX_LEAF), other = aes_keys(8, RX_LEAF);
	size_t l7, l8, l9;

	(void)state;
	l9 = seal(t9, 2, 30, F->rec);
	assert_int_equal(refused(r, F->rec, l9), -EKEYEXPIRED);	/* not yet */
	assert_int_equal(seal_rx_add_epoch(r, &k8), 0);
	assert_int_equal(seal_rx_add_epoch(r, &k8), 0);		/* already there */
	l7 = seal(t7, 2, 30, F->rec);
	opens_as_sealed(r, F->rec, l7, 2, 30);
	l8 = seal(t8, 2, 30, F->rec);
	opens_as_sealed(r, F->rec, l8, 2, 30);
	/* A record of epoch 8 sealed with epoch 7's keys does not open. */
	l7 = seal(t7, 2, 30, F->rec2);
	F->rec2[4 + 1 + 1 + 2 + 1 + GID_LEN + 7] = 8;
	assert_int_equal(refused(r, F->rec2, l7), -EBADMSG);
	/* SEAL_RX_EPOCHS epochs are kept (7 up to 7 + SEAL_RX_EPOCHS - 1): 7 still opens; */
	assert_int_equal(seal_rx_add_epoch(r, &k9), 0);
	for (uint64_t ep = 10; ep < 7 + SEAL_RX_EPOCHS; ep++) {
		struct seal_keys k = aes_keys(ep, RX_LEAF);

		assert_int_equal(seal_rx_add_epoch(r, &k), 0);
	}
	l7 = seal(t7, 2, 30, F->rec);
	opens_as_sealed(r, F->rec, l7, 2, 30);
	/* one more drops 7 (the lowest); 8 and 9 still open. */
	l7 = seal(t7, 2, 30, F->rec2);
	{
		struct seal_keys k = aes_keys(7 + SEAL_RX_EPOCHS, RX_LEAF);

		assert_int_equal(seal_rx_add_epoch(r, &k), 0);
	}
	assert_int_equal(refused(r, F->rec2, l7), -EKEYEXPIRED);
	l9 = seal(t9, 2, 30, F->rec);
	opens_as_sealed(r, F->rec, l9, 2, 30);
	l8 = seal(t8, 2, 30, F->rec);
	opens_as_sealed(r, F->rec, l8, 2, 30);
	/* An epoch older than all of them is refused; dropping one forgets it. */
	assert_int_equal(seal_rx_add_epoch(r, &k6), -EKEYEXPIRED);
	seal_rx_drop_epoch(r, 8);
	l8 = seal(t8, 2, 30, F->rec);
	assert_int_equal(refused(r, F->rec, l8), -EKEYEXPIRED);
	/* Another group: no key. */
	other.group_id = (const uint8_t *)"another-group";
	other.group_id_len = 13;
	{
		struct seal_tx *to = seal_tx_new(&other, F->e, NULL);

		assert_non_null(to);
		l8 = seal(to, 1, 30, F->rec);
		assert_int_equal(refused(r, F->rec, l8), -ENOKEY);
		seal_tx_free(to);
	}
	seal_tx_free(t7);
	seal_tx_free(t8);
	seal_tx_free(t9);
	seal_rx_free(r);
}

/* MLS: records of the previous epoch still open after the new one is installed. */
static void test_mls_epochs(void **state)
{
	struct seal_tx *t7 = mls_tx(7), *t8 = mls_tx(8);
	struct seal_rx *r = mls_rx(7);
	struct seal_keys k8 = {
		.mode = SB_POL_SEAL_MLS,
		.group_id = (const uint8_t *)GID,
		.group_id_len = GID_LEN,
		.epoch = 8,
		.own_leaf = RX_LEAF,
	};
	size_t l7 = seal(t7, 2, 30, F->rec2), l8;

	(void)state;
	mls_objs(8, RX_LEAF, NULL, &k8.mls_rx);
	assert_int_equal(seal_rx_add_epoch(r, &k8), 0);
	l8 = seal(t8, 2, 30, F->rec);
	opens_as_sealed(r, F->rec, l8, 2, 30);
	opens_as_sealed(r, F->rec2, l7, 2, 30);
	seal_tx_free(t7);
	seal_tx_free(t8);
	seal_rx_free(r);
}

static void batch_full(uint8_t mode)
{
	struct seal_tx *t = tx_of(mode, 7);
	struct seal_rx *r = rx_of(mode, 7);
	struct seal_route big;
	uint32_t fit;
	size_t len;

	/* By count (MLS: payload 0 is the header's hash, one less). */
	const uint32_t max = mode == SB_POL_SEAL_AES ? SEAL_MAX_BATCH : SEAL_MLS_MAX_BATCH;

	for (uint32_t i = 0; i < max; i++) {
		struct seal_route rt = route_of(i, 8);

		fill_msg(F->msg, i, 8);
		assert_int_equal(seal_tx_add(t, &rt, F->msg), 0);
	}
	assert_int_equal(seal_tx_add(t, &(struct seal_route){.len = 1}, F->msg), -ENOSPC);
	assert_int_equal(seal_tx_pending(t), max);
	/* A short output: refused, and the batch is gone all the same. */
	assert_int_equal(seal_tx_flush(t, F->rec, seal_tx_record_max(t) - 1, &len), -ENOSPC);
	assert_int_equal(len, 0);
	assert_int_equal(seal_tx_pending(t), 0);
	/* By bytes: MLS's limit is the batch encoding (payload 0 and length prefixes). */
	fit = mode == SB_POL_SEAL_AES ? SEAL_MAX_INNER - 10 : MLS_APP_MAX_PAYLOAD - 33 - 4 - 10;
	big = route_of(0, fit);
	fill_msg(F->msg, 0, fit);
	assert_int_equal(seal_tx_add(t, &big, F->msg), 0);
	assert_int_equal(seal_tx_add(t, &(struct seal_route){.len = 11}, F->msg), -ENOSPC);
	big = route_of(1, mode == SB_POL_SEAL_AES ? 10 : 9);
	fill_msg(F->msg, 1, big.len);
	assert_int_equal(seal_tx_add(t, &big, F->msg), 0);
	assert_int_equal(seal_tx_add(t, &(struct seal_route){.len = 0}, F->msg),
			 mode == SB_POL_SEAL_AES ? 0 : -ENOSPC);
	assert_int_equal(seal_tx_flush(t, F->rec, REC_CAP, &len), 0);
	{
		uint32_t got = 0;
		uint8_t *want = malloc(fit);

		assert_non_null(want);
		assert_int_equal(seal_rx_open(r, F->rec, len, F->scratch, REC_CAP, F->out, &got), 0);
		assert_int_equal(got, mode == SB_POL_SEAL_AES ? 3 : 2);
		assert_int_equal(F->out[0].len, fit);
		fill_msg(want, 0, fit);
		assert_memory_equal(F->out[0].msg, want, fit);
		free(want);
	}
	/* A message larger than a record can ever hold. */
	assert_int_equal(seal_tx_add(t, &(struct seal_route){.len = SEAL_MAX_INNER + 1}, F->msg),
			 -ENOSPC);
	seal_tx_free(t);
	seal_rx_free(r);
}

static void test_batch_full(void **state)
{
	(void)state;
	batch_full(SB_POL_SEAL_AES);
	batch_full(SB_POL_SEAL_MLS);
}

/*
 * Nonces never repeat: two senders of one epoch (a restarted worker) draw
 * different instances, so the same plaintext seals differently; one sender's
 * records number 0, 1, ...; the receiver opens both senders.
 */
static void test_instances_differ(void **state)
{
	const size_t inst = 4 + 1 + 1 + 2 + 1 + GID_LEN + 8 + 4;
	const size_t ct = inst + 16 + 8 + SEAL_ROUTE_SIZE + 4;
	struct seal_tx *a = aes_tx(7), *b = aes_tx(7);
	struct seal_rx *r = aes_rx(7);
	size_t la = seal(a, 1, 200, F->rec), lb = seal(b, 1, 200, F->rec2);

	(void)state;
	assert_int_equal(la, lb);
	assert_memory_not_equal(F->rec + inst, F->rec2 + inst, 16);
	assert_memory_not_equal(F->rec + ct, F->rec2 + ct, 200 + 16);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(F->rec[inst + 16 + i], 0);		/* seq 0 */
		assert_int_equal(F->rec2[inst + 16 + i], 0);
	}
	opens_as_sealed(r, F->rec, la, 1, 200);
	opens_as_sealed(r, F->rec2, lb, 1, 200);
	/* The second record of |a|: seq 1, a different ciphertext of the same plaintext. */
	memcpy(F->rec2, F->rec, la);
	assert_int_equal(seal(a, 1, 200, F->rec), la);
	assert_int_equal(F->rec[inst + 16 + 7], 1);
	assert_memory_equal(F->rec + inst, F->rec2 + inst, 16);
	assert_memory_not_equal(F->rec + ct, F->rec2 + ct, 200 + 16);
	opens_as_sealed(r, F->rec, la, 1, 200);
	seal_tx_free(a);
	seal_tx_free(b);
	seal_rx_free(r);
}

/* Every truncation of a record, and one byte more, is -EBADMSG. */
static void truncated(uint8_t mode)
{
	struct seal_tx *t = tx_of(mode, 7);
	struct seal_rx *r = rx_of(mode, 7);
	size_t len = seal(t, 3, 50, F->rec);

	for (size_t l = 0; l < len; l++) {
		uint8_t *copy = malloc(l + 1);	/* exactly |l| bytes for ASan */

		assert_non_null(copy);
		memcpy(copy, F->rec, l);
		assert_int_equal(seal_peek(copy, l, &(struct seal_info){0}), -EBADMSG);
		assert_int_equal(refused(r, copy, l), -EBADMSG);
		free(copy);
	}
	F->rec[len] = 0;
	assert_int_equal(seal_peek(F->rec, len + 1, &(struct seal_info){0}), -EBADMSG);
	assert_int_equal(refused(r, F->rec, len + 1), -EBADMSG);
	opens_as_sealed(r, F->rec, len, 3, 50);
	seal_tx_free(t);
	seal_rx_free(r);
}

static void test_truncated(void **state)
{
	(void)state;
	truncated(SB_POL_SEAL_AES);
	truncated(SB_POL_SEAL_MLS);
}

/* A record of our own leaf, reflected back to us, is refused. */
static void test_reflected(void **state)
{
	struct seal_keys k = aes_keys(7, TX_LEAF);
	struct seal_tx *t = aes_tx(7);
	struct seal_rx *r = seal_rx_new(F->e, NULL);
	size_t len = seal(t, 1, 40, F->rec);

	(void)state;
	assert_non_null(r);
	assert_int_equal(seal_rx_add_epoch(r, &k), 0);
	assert_int_equal(refused(r, F->rec, len), -EBADMSG);
	seal_tx_free(t);
	seal_rx_free(r);
}

/*
 * The receiver remembers SEAL_RX_INSTANCES senders per epoch; records with
 * unseen instances and bad tags (forgeries) do not take their places, so
 * the real senders' replays are still refused.
 */
static void test_instances_lru(void **state)
{
	struct seal_tx *t[SEAL_RX_INSTANCES];
	struct seal_rx *r = aes_rx(7);
	uint8_t *recs = malloc(SEAL_RX_INSTANCES * 256);
	size_t lens[SEAL_RX_INSTANCES];
	const size_t inst = 4 + 1 + 1 + 2 + 1 + GID_LEN + 8 + 4;

	(void)state;
	assert_non_null(recs);
	for (int i = 0; i < SEAL_RX_INSTANCES; i++) {
		t[i] = aes_tx(7);
		lens[i] = seal(t[i], 1, 20, recs + i * 256);
		opens_as_sealed(r, recs + i * 256, lens[i], 1, 20);
	}
	for (int k = 0; k < 100; k++) {
		memcpy(F->rec, recs, lens[0]);
		assert_int_equal(mls_random(F->rec + inst, 16), 0);
		assert_int_equal(refused(r, F->rec, lens[0]), -EBADMSG);
	}
	for (int i = 0; i < SEAL_RX_INSTANCES; i++) {
		assert_int_equal(refused(r, recs + i * 256, lens[i]), -EALREADY);
		seal_tx_free(t[i]);
	}
	free(recs);
	seal_rx_free(r);
}

/*
 * The AES record is what docs/wire.md says, checked with libcrypto alone:
 * key = HKDF-Expand-SHA-256(secret, label || leaf || instance), nonce =
 * 0^4 || seq, AAD = the header, ciphertext || tag after sealed_len.
 */
static void test_aes_wire_format(void **state)
{
	const size_t inst = 4 + 1 + 1 + 2 + 1 + GID_LEN + 8 + 4;
	const size_t hl = inst + 16 + 8 + 2 * SEAL_ROUTE_SIZE;
	struct seal_tx *t = aes_tx(7);
	uint8_t info[22 + 4 + 16], key[32], iv[12] = {0}, pt[256], want[256];
	size_t len, ct_len;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, l1, l2;
	OSSL_PARAM prm[5];

	(void)state;
	assert_non_null(kc);
	assert_non_null(cc);
	(void)seal(t, 2, 100, F->rec);
	len = seal(t, 2, 100, F->rec);			/* the second record: seq 1 */
	assert_int_equal(F->rec[0], 'S');
	assert_int_equal(F->rec[3], 'L');
	assert_int_equal(F->rec[inst + 16 + 7], 1);
	ct_len = (size_t)F->rec[hl] << 24 | (size_t)F->rec[hl + 1] << 16 |
		 (size_t)F->rec[hl + 2] << 8 | F->rec[hl + 3];
	assert_int_equal(ct_len, 100 + 99 + 16);
	assert_int_equal(len, hl + 4 + ct_len);
	memcpy(info, "slimbridge seal v1 key", 22);
	memset(info + 22, 0, 4);			/* leaf 0 */
	memcpy(info + 26, F->rec + inst, 16);
	prm[0] = OSSL_PARAM_construct_int("mode", &mode);
	prm[1] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	prm[2] = OSSL_PARAM_construct_octet_string("key", F->secret[0], 32);
	prm[3] = OSSL_PARAM_construct_octet_string("info", info, sizeof(info));
	prm[4] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_KDF_derive(kc, key, sizeof(key), prm), 1);
	iv[11] = 1;
	assert_int_equal(EVP_DecryptInit_ex2(cc, EVP_aes_256_gcm(), key, iv, NULL), 1);
	assert_int_equal(EVP_DecryptUpdate(cc, NULL, &l1, F->rec, (int)hl), 1);
	assert_int_equal(EVP_DecryptUpdate(cc, pt, &l1, F->rec + hl + 4, (int)(ct_len - 16)), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_AEAD_SET_TAG, 16,
					     F->rec + hl + 4 + ct_len - 16), 1);
	assert_int_equal(EVP_DecryptFinal_ex(cc, pt + l1, &l2), 1);
	fill_msg(want, 0, 100);
	assert_memory_equal(pt, want, 100);
	fill_msg(want, 1, 99);
	assert_memory_equal(pt + 100, want, 99);
	EVP_CIPHER_CTX_free(cc);
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	seal_tx_free(t);
}

static void test_bad_args(void **state)
{
	struct seal_keys k = aes_keys(7, TX_LEAF);
	struct seal_rx *r;
	uint32_t n = 5;

	(void)state;
	assert_null(seal_tx_new(NULL, F->e, NULL));
	assert_null(seal_tx_new(&k, NULL, NULL));		/* AES needs an engine */
	k.group_id_len = 0;
	assert_null(seal_tx_new(&k, F->e, NULL));
	k = aes_keys(7, TX_LEAF);
	k.mode = 3;
	assert_null(seal_tx_new(&k, F->e, NULL));
	k = aes_keys(7, TX_LEAF);
	k.mode = SB_POL_SEAL_MLS;				/* no sender */
	assert_null(seal_tx_new(&k, F->e, F->lc));
	assert_null(seal_rx_new(NULL, NULL));
	r = seal_rx_new(F->e, NULL);
	assert_non_null(r);
	assert_int_equal(seal_rx_add_epoch(r, &k), -EINVAL);	/* MLS without an lcore */
	assert_int_equal(seal_rx_add_epoch(r, NULL), -EINVAL);
	assert_int_equal(seal_rx_open(r, F->rec, 0, F->scratch, REC_CAP, F->out, &n), -EBADMSG);
	assert_int_equal(n, 0);
	/* No epoch at all: no key. */
	{
		struct seal_tx *t = aes_tx(7);
		size_t len = seal(t, 1, 10, F->rec);

		assert_int_equal(refused(r, F->rec, len), -ENOKEY);
		/* The scratch must hold the record. */
		k = aes_keys(7, RX_LEAF);
		assert_int_equal(seal_rx_add_epoch(r, &k), 0);
		assert_int_equal(seal_rx_open(r, F->rec, len, F->scratch, len - 1, F->out, &n),
				 -ENOSPC);
		opens_as_sealed(r, F->rec, len, 1, 10);
		seal_tx_free(t);
	}
	seal_rx_free(r);
	seal_tx_free(NULL);
	seal_rx_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aes_round_trip),
		cmocka_unit_test(test_mls_round_trip),
		cmocka_unit_test(test_aes_flips),
		cmocka_unit_test(test_mls_flips),
		cmocka_unit_test(test_route_mismatch),
		cmocka_unit_test(test_aes_replay),
		cmocka_unit_test(test_mls_replay),
		cmocka_unit_test(test_epochs),
		cmocka_unit_test(test_mls_epochs),
		cmocka_unit_test(test_batch_full),
		cmocka_unit_test(test_instances_differ),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_reflected),
		cmocka_unit_test(test_instances_lru),
		cmocka_unit_test(test_aes_wire_format),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
