/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_app.c, the fast path for application
 * messages: round trips on every suite and both AEAD backends at several
 * sizes, out-of-order delivery inside the window, replays, generations too
 * far ahead, every drop reason (tampered sender data and content, wrong
 * group, epoch and content type, unknown sender, bad signature, truncation,
 * a short output buffer) with the output wiped, batches of payloads under
 * one signature, and the wire shape checked with an independent parse.
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

#include "crypto_aead.h"
#include "mls_app.h"
#include "mls_codec.h"
#include "mls_crypto.h"
#include "mls_secret_tree.h"

#define N_LEAVES 4
#define CAP 8192

/* A group epoch with two members (leaves 1 and 2) on both backends. */
struct fix {
	const struct mls_suite *suite;
	struct crypto_aead_engine *engine;
	struct mls_app_lcore *lc;
	EVP_PKEY *sig[N_LEAVES];
	uint8_t app[N_LEAVES][MLS_MAX_HASH];
	uint8_t gid[32];
	uint8_t gc[128];
	uint8_t sds[MLS_MAX_HASH];
	struct mls_app_epoch ep;
};

static void fix_init(struct fix *f, uint16_t suite, enum crypto_aead_backend b, uint64_t epoch)
{
	uint8_t enc[MLS_MAX_HASH];
	struct mls_secret_tree *t;

	memset(f, 0, sizeof(*f));
	f->suite = mls_suite_get(suite);
	assert_non_null(f->suite);
	f->engine = crypto_aead_engine_new(b, CRYPTO_AEAD_ARCH_AUTO);
	assert_non_null(f->engine);
	f->lc = mls_app_lcore_new(f->engine);
	assert_non_null(f->lc);
	assert_int_equal(mls_random(enc, sizeof(enc)), 0);
	assert_int_equal(mls_random(f->sds, sizeof(f->sds)), 0);
	assert_int_equal(mls_random(f->gid, sizeof(f->gid)), 0);
	assert_int_equal(mls_random(f->gc, sizeof(f->gc)), 0);
	t = mls_secret_tree_new(f->suite, enc, N_LEAVES);
	assert_non_null(t);
	for (uint32_t i = 0; i < N_LEAVES; i++) {
		assert_int_equal(mls_sig_keygen(f->suite, &f->sig[i], NULL, NULL), 0);
		assert_int_equal(mls_secret_tree_leaf_secrets(t, i, NULL, f->app[i]), 0);
	}
	mls_secret_tree_free(t);
	f->ep.suite = f->suite;
	f->ep.group_id = f->gid;
	f->ep.group_id_len = sizeof(f->gid);
	f->ep.epoch = epoch;
	f->ep.group_context = f->gc;
	f->ep.group_context_len = sizeof(f->gc);
	f->ep.sender_data_secret = f->sds;
}

static void fix_cleanup(struct fix *f)
{
	for (uint32_t i = 0; i < N_LEAVES; i++) {
		EVP_PKEY_free(f->sig[i]);
	}
	mls_app_lcore_free(f->lc);
	crypto_aead_engine_free(f->engine);
}

static struct mls_app_sender *sender(struct fix *f, uint32_t leaf, uint32_t gen)
{
	struct mls_app_sender *s = mls_app_sender_new(&f->ep, leaf, f->app[leaf], gen,
						      f->sig[leaf]);

	assert_non_null(s);
	return s;
}

/* receiver knows leaves 1 and 2 (leaf 3 is in the tree but not added). */
static struct mls_app_receiver *receiver(struct fix *f)
{
	struct mls_app_receiver *r = mls_app_receiver_new(&f->ep, N_LEAVES);

	assert_non_null(r);
	assert_int_equal(mls_app_receiver_add_member(r, 1, f->app[1], 0, f->sig[1]), 0);
	assert_int_equal(mls_app_receiver_add_member(r, 2, f->app[2], 0, f->sig[2]), 0);
	assert_int_equal(mls_app_receiver_add_member(r, 2, f->app[2], 0, f->sig[2]), -EEXIST);
	return r;
}

struct bufs {
	uint8_t pt[16][CAP];
	uint8_t ct[16][CAP];
	uint8_t out[16][CAP];
};

static struct bufs *bufs_new(void)
{
	struct bufs *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	for (int i = 0; i < 16; i++) {
		for (int j = 0; j < CAP; j++) {
			b->pt[i][j] = (uint8_t)(i * 31 + j * 7);
		}
	}
	return b;
}

/* protect protects n messages of |len| bytes (message i from b->pt[i]). */
static void protect(struct fix *f, struct mls_app_sender *s, struct bufs *b, struct mls_app_msg *m,
		    int n, uint32_t len)
{
	for (int i = 0; i < n; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].in = b->pt[i];
		m[i].in_len = len;
		m[i].out = b->ct[i];
		m[i].out_cap = CAP;
	}
	assert_int_equal(mls_protect_burst(f->lc, s, m, (uint16_t)n), n);
}

/* as_input turns protected messages into unprotect inputs. */
static void as_input(struct bufs *b, const struct mls_app_msg *p, struct mls_app_msg *u, int n)
{
	for (int i = 0; i < n; i++) {
		memset(&u[i], 0, sizeof(u[i]));
		u[i].in = b->ct[i];
		u[i].in_len = p[i].out_len;
		u[i].out = b->out[i];
		u[i].out_cap = CAP;
	}
}

/* Independent parse of the wire shape: MLSMessage(mls10, private) with the group and epoch. */
static void check_wire(const struct fix *f, const uint8_t *msg, size_t len, size_t payload_len)
{
	const uint8_t *gid, *ad, *esd, *ct;
	size_t gid_len, ad_len, esd_len, ct_len;
	uint16_t v, wf;
	uint64_t epoch;
	uint8_t type;
	struct mls_reader r;

	mls_reader_init(&r, msg, len);
	assert_int_equal(mls_read_u16(&r, &v), 0);
	assert_int_equal(mls_read_u16(&r, &wf), 0);
	assert_int_equal(v, 1);
	assert_int_equal(wf, 2);
	assert_int_equal(mls_read_opaque(&r, &gid, &gid_len), 0);
	assert_memory_equal(gid, f->gid, sizeof(f->gid));
	assert_int_equal(mls_read_u64(&r, &epoch), 0);
	assert_true(epoch == f->ep.epoch);
	assert_int_equal(mls_read_u8(&r, &type), 0);
	assert_int_equal(type, 1);
	assert_int_equal(mls_read_opaque(&r, &ad, &ad_len), 0);
	assert_int_equal(mls_read_opaque(&r, &esd, &esd_len), 0);
	assert_int_equal(esd_len, 12 + 16);
	assert_int_equal(mls_read_opaque(&r, &ct, &ct_len), 0);
	assert_int_equal(mls_read_end(&r), 0);
	/* content: payload<V>, signature<V>, tag; the payload is not in clear */
	assert_true(ct_len >= payload_len + 16 + 8);
}

static void round_trip(uint16_t suite, enum crypto_aead_backend backend)
{
	static const uint32_t sizes[] = {0, 1, 64, 512, 4096};
	struct mls_app_msg pm[16], um[16];
	struct mls_app_receiver *r;
	struct mls_app_sender *s1, *s2;
	struct mls_app_stats st;
	struct bufs *b = bufs_new();
	struct fix f;

	fix_init(&f, suite, backend, 0x0102030405060708ull);
	s1 = sender(&f, 1, 0);
	s2 = sender(&f, 2, 0);
	r = receiver(&f);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct mls_app_sender *s = k % 2 ? s2 : s1;

		protect(&f, s, b, pm, 16, sizes[k]);
		for (int i = 0; i < 16; i++) {
			assert_int_equal(pm[i].status, 0);
			check_wire(&f, b->ct[i], pm[i].out_len, sizes[k]);
			if (sizes[k] >= 16) {
				assert_null(memmem(b->ct[i], pm[i].out_len, b->pt[i], 16));
			}
		}
		as_input(b, pm, um, 16);
		assert_int_equal(mls_unprotect_burst(f.lc, r, um, 16), 16);
		for (int i = 0; i < 16; i++) {
			assert_int_equal(um[i].status, 0);
			assert_int_equal(um[i].leaf, k % 2 ? 2 : 1);
			assert_int_equal(um[i].generation, pm[i].generation);
			assert_int_equal(um[i].payload_len, sizes[k]);
			assert_int_equal(um[i].flags, 0);
			if (sizes[k] > 0) {
				assert_memory_equal(um[i].payload, b->pt[i], sizes[k]);
			}
		}
	}
	mls_app_lcore_stats(f.lc, &st);
	assert_true(st.protected == 80 && st.unprotected == 80);
	mls_app_sender_free(s1);
	mls_app_sender_free(s2);
	mls_app_receiver_free(r);
	fix_cleanup(&f);
	free(b);
}

static void test_round_trip_all_suites(void **state)
{
	(void)state;
	for (uint16_t s = 1; s <= 7; s++) {
		round_trip(s, CRYPTO_AEAD_BACKEND_AUTO);
	}
	round_trip(1, CRYPTO_AEAD_BACKEND_OPENSSL);
	round_trip(2, CRYPTO_AEAD_BACKEND_OPENSSL);
}

static void test_out_of_order_and_replay(void **state)
{
	struct mls_app_msg pm[16], um[16], rev[16];
	struct mls_app_receiver *r;
	struct mls_app_sender *s;
	struct mls_app_stats st;
	struct bufs *b = bufs_new();
	struct fix f;

	(void)state;
	fix_init(&f, 1, CRYPTO_AEAD_BACKEND_AUTO, 7);
	s = sender(&f, 1, 0);
	r = receiver(&f);
	protect(&f, s, b, pm, 16, 100);
	as_input(b, pm, um, 16);
	/* Delivered backwards: the first opened (generation 15) keeps 0..14 in the window. */
	for (int i = 0; i < 16; i++) {
		rev[i] = um[15 - i];
	}
	assert_int_equal(mls_unprotect_burst(f.lc, r, rev, 16), 16);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(rev[i].generation, 15 - i);
	}
	/* The same messages again: every generation is used up. */
	as_input(b, pm, um, 16);
	assert_int_equal(mls_unprotect_burst(f.lc, r, um, 16), 0);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(um[i].status, -EALREADY);
		assert_int_equal(um[i].drop, MLS_APP_DROP_GENERATION_GONE);
	}
	mls_app_lcore_stats(f.lc, &st);
	assert_true(st.drops[MLS_APP_DROP_GENERATION_GONE] == 16);
	mls_app_sender_free(s);
	/* A sender far ahead (a forged or broken generation): refused, state kept. */
	s = sender(&f, 2, 0);
	{
		struct mls_app_sender *far;
		uint8_t secret[MLS_MAX_HASH];
		struct mls_ratchet rt;
		uint8_t k[32], n[12];
		uint32_t g;

		/* Walk a copy of leaf 2's ratchet past the window's reach. */
		assert_int_equal(mls_ratchet_init(&rt, f.suite, f.app[2], 0), 0);
		for (uint32_t i = 0; i <= MLS_RATCHET_MAX_FORWARD; i++) {
			assert_int_equal(mls_ratchet_next(&rt, &g, k, n), 0);
		}
		memcpy(secret, rt.secret, sizeof(secret));
		far = mls_app_sender_new(&f.ep, 2, secret, rt.next, f.sig[2]);
		assert_non_null(far);
		protect(&f, far, b, pm, 1, 10);
		as_input(b, pm, um, 1);
		assert_int_equal(mls_unprotect_burst(f.lc, r, um, 1), 0);
		assert_int_equal(um[0].drop, MLS_APP_DROP_GENERATION_AHEAD);
		mls_app_sender_free(far);
		mls_ratchet_wipe(&rt);
	}
	/* Leaf 2's own generation 0 still opens afterwards. */
	protect(&f, s, b, pm, 1, 10);
	as_input(b, pm, um, 1);
	assert_int_equal(mls_unprotect_burst(f.lc, r, um, 1), 1);
	mls_app_sender_free(s);
	mls_app_receiver_free(r);
	fix_cleanup(&f);
	free(b);
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++) {
		acc |= p[i];
	}
	return acc == 0;
}

/* One tampered message per drop reason; the output buffer is wiped. */
static void test_drops(void **state)
{
	struct mls_app_msg pm[16], um[16];
	struct mls_app_receiver *r, *other_epoch;
	struct mls_app_sender *s, *s3;
	struct bufs *b = bufs_new();
	struct fix f;
	size_t gid_off = 4 + 1;		/* after version, wire_format and the varint of 32 */
	size_t epoch_off = gid_off + 32, type_off = epoch_off + 8;
	size_t esd_off = type_off + 1 + 1 + 1;	/* content_type, empty ad<V>, varint 28 */
	size_t ct_off = esd_off + 28 + 2;	/* the ciphertext<V> varint takes 2 bytes here */

	(void)state;
	fix_init(&f, 2, CRYPTO_AEAD_BACKEND_AUTO, 9);
	s = sender(&f, 1, 0);
	s3 = sender(&f, 3, 0);
	r = receiver(&f);
	protect(&f, s, b, pm, 10, 200);
	as_input(b, pm, um, 10);
	b->ct[0][esd_off + 3] ^= 1;		/* sender data ciphertext */
	b->ct[1][ct_off + 40] ^= 0x80;		/* content ciphertext, past the Nh-byte sample */
	b->ct[2][gid_off + 1] ^= 1;		/* group id */
	b->ct[3][epoch_off + 7] ^= 1;		/* epoch */
	b->ct[4][type_off] = 2;			/* content type: proposal */
	um[5].in_len -= 1;			/* truncated */
	b->ct[6][0] = 0xff;			/* version */
	um[7].out_cap = 100;			/* too small for the content */
	/* 8 and 9 are fine */
	assert_int_equal(mls_unprotect_burst(f.lc, r, um, 10), 2);
	assert_int_equal(um[0].drop, MLS_APP_DROP_SENDER_DATA_AUTH);
	assert_int_equal(um[1].drop, MLS_APP_DROP_CONTENT_AUTH);
	assert_int_equal(um[2].drop, MLS_APP_DROP_WRONG_GROUP);
	assert_int_equal(um[3].drop, MLS_APP_DROP_WRONG_EPOCH);
	assert_int_equal(um[4].drop, MLS_APP_DROP_NOT_APPLICATION);
	assert_int_equal(um[5].drop, MLS_APP_DROP_MALFORMED);
	assert_int_equal(um[6].drop, MLS_APP_DROP_MALFORMED);
	assert_int_equal(um[7].drop, MLS_APP_DROP_NO_ROOM);
	assert_int_equal(um[8].status, 0);
	assert_int_equal(um[9].status, 0);
	assert_true(all_zero(b->out[1], CAP));
	for (int i = 0; i < 8; i++) {
		assert_true(um[i].status < 0);
		assert_int_equal(um[i].payload_len, 0);
	}
	/* Leaf 3 is in the tree but the receiver does not know it. */
	protect(&f, s3, b, pm, 1, 50);
	as_input(b, pm, um, 1);
	assert_int_equal(mls_unprotect_burst(f.lc, r, um, 1), 0);
	assert_int_equal(um[0].drop, MLS_APP_DROP_UNKNOWN_SENDER);
	mls_app_receiver_free(r);
	/* A receiver with the wrong signature key for leaf 1: bad signature, output wiped. */
	r = mls_app_receiver_new(&f.ep, N_LEAVES);
	assert_non_null(r);
	assert_int_equal(mls_app_receiver_add_member(r, 1, f.app[1], 0, f.sig[2]), 0);
	protect(&f, s, b, pm, 1, 300);
	as_input(b, pm, um, 1);
	/* the ratchet of this receiver starts at 0; skip to the message's generation */
	assert_int_equal(mls_unprotect_burst(f.lc, r, um, 1), 0);
	assert_int_equal(um[0].drop, MLS_APP_DROP_BAD_SIGNATURE);
	assert_true(all_zero(b->out[0], CAP));
	mls_app_receiver_free(r);
	/* The same message against the next epoch's receiver: wrong epoch. */
	f.ep.epoch = 10;
	other_epoch = receiver(&f);
	as_input(b, pm, um, 1);
	assert_int_equal(mls_unprotect_burst(f.lc, other_epoch, um, 1), 0);
	assert_int_equal(um[0].drop, MLS_APP_DROP_WRONG_EPOCH);
	mls_app_receiver_free(other_epoch);
	/* A protect whose output does not fit spends no generation. */
	f.ep.epoch = 9;
	{
		struct mls_app_msg m = {.in = b->pt[0], .in_len = 500, .out = b->ct[0],
					.out_cap = 400};
		uint32_t before;

		protect(&f, s, b, pm, 1, 1);
		before = pm[0].generation;
		assert_int_equal(mls_protect_burst(f.lc, s, &m, 1), 0);
		assert_int_equal(m.status, -ENOSPC);
		protect(&f, s, b, pm, 1, 1);
		assert_int_equal(pm[0].generation, before + 1);
	}
	mls_app_sender_free(s);
	mls_app_sender_free(s3);
	fix_cleanup(&f);
	free(b);
}

static void test_batch(void **state)
{
	struct mls_app_payload p[MLS_APP_BATCH_MAX], got;
	struct mls_app_msg um[2], pm[1];
	struct mls_app_receiver *r;
	struct mls_app_sender *s;
	struct bufs *b = bufs_new();
	size_t len, off;
	struct fix f;
	int n, rc;

	(void)state;
	fix_init(&f, 1, CRYPTO_AEAD_BACKEND_AUTO, 1);
	s = sender(&f, 2, 0);
	r = receiver(&f);
	for (int i = 0; i < MLS_APP_BATCH_MAX; i++) {
		p[i].p = b->pt[i % 16] + i;
		p[i].len = (uint32_t)(i * 3);
	}
	for (int k = 0; k < 2; k++) {
		uint16_t cnt = k == 0 ? 8 : MLS_APP_BATCH_MAX;

		assert_int_equal(mls_protect_batch(f.lc, s, p, cnt, b->ct[k], CAP, &len), 0);
		memset(&um[k], 0, sizeof(um[k]));
		um[k].in = b->ct[k];
		um[k].in_len = (uint32_t)len;
		um[k].out = b->out[k];
		um[k].out_cap = CAP;
	}
	assert_int_equal(mls_unprotect_burst(f.lc, r, um, 2), 2);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(um[k].flags, MLS_APP_F_BATCH);
		off = 0;
		n = 0;
		while ((rc = mls_app_batch_next(um[k].payload, um[k].payload_len, &off, &got)) == 1) {
			assert_int_equal(got.len, p[n].len);
			if (got.len > 0) {
				assert_memory_equal(got.p, p[n].p, got.len);
			}
			n++;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(n, k == 0 ? 8 : MLS_APP_BATCH_MAX);
	}
	/* A single message is not a batch, and a batch walk of garbage fails cleanly. */
	protect(&f, s, b, pm, 1, 5);
	as_input(b, pm, um, 1);
	assert_int_equal(mls_unprotect_burst(f.lc, r, um, 1), 1);
	assert_int_equal(um[0].flags, 0);
	{
		static const uint8_t bad[] = {0x45, 0x00};	/* claims 5 bytes, has 1 */

		off = 0;
		assert_int_equal(mls_app_batch_next(bad, sizeof(bad), &off, &got), -EBADMSG);
	}
	/* Refusals. */
	assert_int_equal(mls_protect_batch(f.lc, s, p, 0, b->ct[0], CAP, &len), -EINVAL);
	assert_int_equal(mls_protect_batch(f.lc, s, p, MLS_APP_BATCH_MAX + 1, b->ct[0], CAP, &len),
			 -EINVAL);
	assert_int_equal(mls_protect_batch(f.lc, s, p, 8, b->ct[0], 100, &len), -ENOSPC);
	mls_app_sender_free(s);
	mls_app_receiver_free(r);
	fix_cleanup(&f);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_all_suites),
		cmocka_unit_test(test_out_of_order_and_replay),
		cmocka_unit_test(test_drops),
		cmocka_unit_test(test_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
