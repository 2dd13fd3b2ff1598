/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_export.c and mls_export_app.c, the
 * epoch record the control process hands the data plane: round trips on
 * every suite, the data plane's sender and receiver built from the records
 * of two members exchanging messages both ways, the own leaf refused
 * unless asked for, a signature key that does not match, every truncation,
 * trailing bytes, garbage, oversized and inconsistent records refused, and
 * a real group (mls_group.h: create, add, commit, join) exported by both
 * members.
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
#include "mls_export.h"
#include "mls_group.h"

#define N_LEAVES 4
#define CAP 4096

/* An epoch with members at leaves 0, 2 and 3 (leaf 1 blank). */
struct fix {
	const struct mls_suite *suite;
	uint8_t gid[17];
	uint8_t gc[96];
	uint8_t sds[MLS_MAX_HASH];
	uint8_t app[N_LEAVES][MLS_MAX_HASH];
	uint8_t priv[N_LEAVES][MLS_MAX_SIG_PRIV];
	size_t priv_len[N_LEAVES];
	uint8_t pub[N_LEAVES][MLS_MAX_SIG_PUB];
	size_t pub_len[N_LEAVES];
	struct mls_export_member m[3];
};

static const uint32_t leaves[3] = {0, 2, 3};

static void fix_init(struct fix *f, uint16_t suite)
{
	memset(f, 0, sizeof(*f));
	f->suite = mls_suite_get(suite);
	assert_non_null(f->suite);
	assert_int_equal(mls_random(f->gid, sizeof(f->gid)), 0);
	assert_int_equal(mls_random(f->gc, sizeof(f->gc)), 0);
	assert_int_equal(mls_random(f->sds, sizeof(f->sds)), 0);
	for (int i = 0; i < 3; i++) {
		uint32_t l = leaves[i];
		EVP_PKEY *k;

		assert_int_equal(mls_random(f->app[l], sizeof(f->app[l])), 0);
		assert_int_equal(mls_sig_keygen(f->suite, &k, f->priv[l], &f->priv_len[l]), 0);
		assert_int_equal(mls_sig_pub_raw(f->suite, k, f->pub[l], sizeof(f->pub[l]),
						 &f->pub_len[l]), 0);
		EVP_PKEY_free(k);
		f->m[i] = (struct mls_export_member){l, f->app[l], f->pub[l], f->pub_len[l]};
	}
}

static struct mls_export_rec rec_of(const struct fix *f, uint32_t own)
{
	struct mls_export_rec r = {
		.suite = f->suite,
		.group_id = f->gid,
		.group_id_len = sizeof(f->gid),
		.epoch = 0x1122334455667788ull,
		.own_leaf = own,
		.n_leaves = N_LEAVES,
		.group_context = f->gc,
		.group_context_len = sizeof(f->gc),
		.sender_data_secret = f->sds,
		.sig_priv = f->priv[own],
		.sig_priv_len = f->priv_len[own],
		.n_members = 3,
	};

	return r;
}

static size_t encode(const struct fix *f, uint32_t own, uint8_t *out, size_t cap)
{
	struct mls_export_rec r = rec_of(f, own);
	size_t len = 0;

	assert_int_equal(mls_export_encode(&r, f->m, 3, out, cap, &len), 0);
	assert_int_equal(len, mls_export_size(&r, f->m, 3));
	return len;
}

static void test_round_trip(void **state)
{
	(void)state;
	for (uint16_t s = 1; s <= 7; s++) {
		struct mls_export_rec d;
		struct mls_export_member m;
		struct fix f;
		uint8_t buf[CAP];
		size_t len, off = 0;
		int i = 0;

		fix_init(&f, s);
		len = encode(&f, 2, buf, sizeof(buf));
		assert_int_equal(mls_export_decode(buf, len, &d), 0);
		assert_ptr_equal(d.suite, f.suite);
		assert_int_equal(d.group_id_len, sizeof(f.gid));
		assert_memory_equal(d.group_id, f.gid, sizeof(f.gid));
		assert_true(d.epoch == 0x1122334455667788ull);
		assert_int_equal(d.own_leaf, 2);
		assert_int_equal(d.n_leaves, N_LEAVES);
		assert_int_equal(d.n_members, 3);
		assert_memory_equal(d.group_context, f.gc, sizeof(f.gc));
		assert_memory_equal(d.sender_data_secret, f.sds, f.suite->nh);
		assert_int_equal(d.sig_priv_len, f.priv_len[2]);
		assert_memory_equal(d.sig_priv, f.priv[2], f.priv_len[2]);
		while (mls_export_member_next(&d, &off, &m) == 1) {
			assert_int_equal(m.leaf, leaves[i]);
			assert_memory_equal(m.app_secret, f.app[leaves[i]], f.suite->nh);
			assert_int_equal(m.sig_pub_len, f.pub_len[leaves[i]]);
			assert_memory_equal(m.sig_pub, f.pub[leaves[i]], m.sig_pub_len);
			i++;
		}
		assert_int_equal(i, 3);
		assert_int_equal(mls_export_find_member(&d, 3, &m), 0);
		assert_int_equal(m.leaf, 3);
		assert_int_equal(mls_export_find_member(&d, 1, &m), -ENOENT);
		/* A short buffer writes nothing usable. */
		assert_int_equal(mls_export_encode(&(struct mls_export_rec){0}, f.m, 3, buf,
						   sizeof(buf), &len), -EINVAL);
		{
			struct mls_export_rec r = rec_of(&f, 2);
			size_t l2;

			assert_int_equal(mls_export_encode(&r, f.m, 3, buf, len - 1, &l2), -ENOSPC);
		}
	}
}

/* Protects |payload| with |s| and unprotects it with |r|; returns the drop reason or -1. */
static int exchange(struct mls_app_lcore *lc, struct mls_app_sender *s,
		    struct mls_app_receiver *r, const char *payload, uint32_t *leaf)
{
	static uint8_t ct[CAP], pt[CAP];
	struct mls_app_msg pm = {.in = (const uint8_t *)payload,
				 .in_len = (uint32_t)strlen(payload), .out = ct, .out_cap = CAP};
	struct mls_app_msg um;

	assert_int_equal(mls_protect_burst(lc, s, &pm, 1), 1);
	um = (struct mls_app_msg){.in = ct, .in_len = pm.out_len, .out = pt, .out_cap = CAP};
	if (mls_unprotect_burst(lc, r, &um, 1) != 1) {
		return um.drop;
	}
	assert_int_equal(um.payload_len, strlen(payload));
	assert_memory_equal(um.payload, payload, um.payload_len);
	*leaf = um.leaf;
	return -1;
}

static void test_app_exchange(void **state)
{
	struct crypto_aead_engine *e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO,
							      CRYPTO_AEAD_ARCH_AUTO);
	struct mls_app_lcore *lc = e != NULL ? mls_app_lcore_new(e) : NULL;
	struct mls_app_sender *sa, *sb, *self_s;
	struct mls_app_receiver *ra, *rb, *self_r;
	struct mls_export_rec da, db;
	uint8_t a[CAP], b[CAP];
	size_t alen, blen;
	uint32_t leaf = 99;
	struct fix f;

	(void)state;
	assert_non_null(lc);
	fix_init(&f, 1);
	alen = encode(&f, 0, a, sizeof(a));
	blen = encode(&f, 3, b, sizeof(b));
	assert_int_equal(mls_export_decode(a, alen, &da), 0);
	assert_int_equal(mls_export_decode(b, blen, &db), 0);
	assert_int_equal(mls_export_app_new(&da, 0, &sa, &ra), 0);
	assert_int_equal(mls_export_app_new(&db, 0, &sb, &rb), 0);
	assert_int_equal(exchange(lc, sa, rb, "from leaf 0", &leaf), -1);
	assert_int_equal(leaf, 0);
	assert_int_equal(exchange(lc, sb, ra, "from leaf 3", &leaf), -1);
	assert_int_equal(leaf, 3);
	/* The own leaf is not a sender the receiver knows, unless asked. */
	assert_int_equal(exchange(lc, sa, ra, "reflected", &leaf), MLS_APP_DROP_UNKNOWN_SENDER);
	assert_int_equal(mls_export_app_new(&da, MLS_EXPORT_F_RECEIVE_SELF, NULL, &self_r), 0);
	assert_int_equal(mls_export_app_new(&da, 0, &self_s, NULL), 0);
	assert_int_equal(exchange(lc, self_s, self_r, "to myself", &leaf), -1);
	assert_int_equal(leaf, 0);
	assert_int_equal(mls_export_app_new(&da, 0, NULL, NULL), -EINVAL);
	mls_app_sender_free(self_s);
	mls_app_receiver_free(self_r);
	mls_app_sender_free(sa);
	mls_app_sender_free(sb);
	mls_app_receiver_free(ra);
	mls_app_receiver_free(rb);
	mls_app_lcore_free(lc);
	crypto_aead_engine_free(e);
}

static void test_key_mismatch(void **state)
{
	struct mls_app_sender *s = NULL;
	struct mls_app_receiver *r = NULL;
	struct mls_export_rec rec, d;
	uint8_t buf[CAP];
	size_t len;
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	rec = rec_of(&f, 0);
	rec.sig_priv = f.priv[2];	/* another member's key */
	assert_int_equal(mls_export_encode(&rec, f.m, 3, buf, sizeof(buf), &len), 0);
	assert_int_equal(mls_export_decode(buf, len, &d), 0);
	assert_int_equal(mls_export_app_new(&d, 0, &s, &r), -EBADMSG);
	assert_null(s);
	assert_null(r);
	/* The receiver alone does not need the private key. */
	assert_int_equal(mls_export_app_new(&d, 0, NULL, &r), 0);
	mls_app_receiver_free(r);
}

static void test_truncated_oversized_garbage(void **state)
{
	struct mls_export_rec d;
	uint8_t buf[CAP + 1], junk[512];
	size_t len;
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	len = encode(&f, 2, buf, sizeof(buf));
	for (size_t n = 0; n < len; n++) {
		assert_int_equal(mls_export_decode(buf, n, &d), -EBADMSG);
		assert_null(d.suite);
	}
	buf[len] = 0;
	assert_int_equal(mls_export_decode(buf, len + 1, &d), -EBADMSG);
	assert_int_equal(mls_export_decode(buf, MLS_EXPORT_MAX_RECORD + 1, &d), -EBADMSG);
	assert_int_equal(mls_export_decode(NULL, 0, &d), -EBADMSG);
	for (int i = 0; i < 2000; i++) {
		size_t n = 1 + (size_t)i % sizeof(junk);

		assert_int_equal(mls_random(junk, n), 0);
		if (i % 2 == 0 && n >= 8) {
			memcpy(junk, buf, 8);	/* a valid head, garbage after it */
		}
		assert_int_equal(mls_export_decode(junk, n, &d), -EBADMSG);
	}
	/* Every single bit flipped: refused, or (secrets, keys) decoded unchanged in shape. */
	for (size_t i = 0; i < len * 8; i++) {
		int rc;

		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		rc = mls_export_decode(buf, len, &d);
		assert_true(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
		if (rc == 0) {
			assert_int_equal(d.n_members, 3);
		}
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(mls_export_decode(buf, len, &d), 0);
}

/* Writes a record field by field, so that fields can be wrong. */
struct raw {
	uint32_t magic;
	uint16_t version, suite;
	size_t gid_len, gc_len, sds_len, priv_len, app_len;
	uint32_t own, n_leaves;
	uint32_t leaf[3];
	int n;
};

static size_t raw_encode(const struct fix *f, const struct raw *w, uint8_t *out, size_t cap)
{
	static const uint8_t zeros[4096];
	struct mls_vector_mark vm;
	struct mls_writer wr;

	mls_writer_init(&wr, out, cap);
	assert_int_equal(mls_write_u32(&wr, w->magic), 0);
	assert_int_equal(mls_write_u16(&wr, w->version), 0);
	assert_int_equal(mls_write_u16(&wr, w->suite), 0);
	assert_int_equal(mls_write_opaque(&wr, zeros, w->gid_len), 0);
	assert_int_equal(mls_write_u64(&wr, 5), 0);
	assert_int_equal(mls_write_u32(&wr, w->own), 0);
	assert_int_equal(mls_write_u32(&wr, w->n_leaves), 0);
	assert_int_equal(mls_write_opaque(&wr, zeros, w->gc_len), 0);
	assert_int_equal(mls_write_opaque(&wr, zeros, w->sds_len), 0);
	assert_int_equal(mls_write_opaque(&wr, f->priv[0], w->priv_len), 0);
	assert_int_equal(mls_write_vector_begin(&wr, &vm), 0);
	for (int i = 0; i < w->n; i++) {
		assert_int_equal(mls_write_u32(&wr, w->leaf[i]), 0);
		assert_int_equal(mls_write_opaque(&wr, f->app[0], w->app_len), 0);
		assert_int_equal(mls_write_opaque(&wr, f->pub[0], f->pub_len[0]), 0);
	}
	assert_int_equal(mls_write_vector_end(&wr, &vm), 0);
	return mls_writer_len(&wr);
}

static void test_inconsistent(void **state)
{
	const struct raw good = {
		.magic = MLS_EXPORT_MAGIC, .version = MLS_EXPORT_VERSION, .suite = 1,
		.gid_len = 8, .gc_len = 32, .sds_len = 32, .priv_len = 32, .app_len = 32,
		.own = 0, .n_leaves = 4, .leaf = {0, 2, 3}, .n = 3,
	};
	static const struct {
		const char *what;
		size_t off;	/* offsetof the field in struct raw */
		size_t size;
		uint64_t v;
		int rc;
	} cases[] = {
#define C(field, val, rc) \
	{#field, offsetof(struct raw, field), sizeof(((struct raw *)0)->field), val, rc}
		C(magic, 0x53424d59u, -EBADMSG),
		C(version, 2, -EPROTONOSUPPORT),
		C(suite, 0, -EPROTONOSUPPORT),
		C(suite, 0x0a0a, -EPROTONOSUPPORT),
		C(suite, 4, -EBADMSG),		/* Nh 64: the 32-byte secrets are wrong */
		C(gid_len, 0, -EBADMSG),
		C(gid_len, 256, -EBADMSG),
		C(gc_len, 0, -EBADMSG),
		C(gc_len, MLS_APP_MAX_GROUP_CONTEXT + 1, -EBADMSG),
		C(sds_len, 31, -EBADMSG),
		C(sds_len, 33, -EBADMSG),
		C(priv_len, 31, -EBADMSG),
		C(app_len, 16, -EBADMSG),
		C(own, 1, -EBADMSG),		/* not a member */
		C(own, 4, -EBADMSG),		/* outside the tree */
		C(n_leaves, 3, -EBADMSG),	/* leaf 3 outside */
		C(n_leaves, 0, -EBADMSG),
		C(n_leaves, MLS_EXPORT_MAX_LEAVES + 1, -EBADMSG),
		C(n, 0, -EBADMSG),		/* nobody, not even the own leaf */
#undef C
	};
	static uint8_t buf[8192];
	struct mls_export_rec d;
	struct fix f;
	struct raw w;

	(void)state;
	fix_init(&f, 1);
	assert_int_equal(mls_export_decode(buf, raw_encode(&f, &good, buf, sizeof(buf)), &d), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *p;

		w = good;
		p = (uint8_t *)&w + cases[i].off;
		switch (cases[i].size) {
		case 2:
			*(uint16_t *)p = (uint16_t)cases[i].v;
			break;
		case 4:
			*(uint32_t *)p = (uint32_t)cases[i].v;
			break;
		default:
			*(size_t *)p = (size_t)cases[i].v;
			break;
		}
		if (mls_export_decode(buf, raw_encode(&f, &w, buf, sizeof(buf)), &d) !=
		    cases[i].rc) {
			fail_msg("%s = %llu: expected %d", cases[i].what,
				 (unsigned long long)cases[i].v, cases[i].rc);
		}
	}
	/* Members out of order or repeated. */
	w = good;
	w.leaf[1] = 3;
	w.leaf[2] = 2;
	assert_int_equal(mls_export_decode(buf, raw_encode(&f, &w, buf, sizeof(buf)), &d),
			 -EBADMSG);
	w.leaf[2] = 3;
	assert_int_equal(mls_export_decode(buf, raw_encode(&f, &w, buf, sizeof(buf)), &d),
			 -EBADMSG);
	/* The encoder refuses the same. */
	{
		struct mls_export_member m[3] = {f.m[0], f.m[2], f.m[1]};
		struct mls_export_rec r = rec_of(&f, 0);
		size_t len;

		assert_int_equal(mls_export_encode(&r, m, 3, buf, sizeof(buf), &len), -EINVAL);
		m[1] = f.m[1];
		m[2] = f.m[2];
		r.own_leaf = 1;
		assert_int_equal(mls_export_encode(&r, m, 3, buf, sizeof(buf), &len), -EINVAL);
		assert_int_equal(mls_export_size(&r, m, 3), 0);
	}
}

/* Two members of a real group export the same epoch; their data planes talk. */
static void test_group_export(void **state)
{
	const struct mls_suite *s = mls_suite_get(1);
	struct crypto_aead_engine *e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO,
							      CRYPTO_AEAD_ARCH_AUTO);
	struct mls_app_lcore *lc = e != NULL ? mls_app_lcore_new(e) : NULL;
	struct mls_signer *sa, *sb;
	struct mls_group *ga, *gb;
	struct mls_kp *kp;
	struct mls_commit_result cr;
	struct mls_commit_opts co = {.tree_in_welcome = true};
	struct mls_export_rec da, db;
	struct mls_app_sender *xa, *xb;
	struct mls_app_receiver *ra, *rb;
	const uint8_t *kpm;
	uint8_t *a, *b;
	size_t alen, blen, kplen;
	uint32_t leaf = 99;

	(void)state;
	assert_non_null(lc);
	assert_int_equal(mls_signer_new(s, (const uint8_t *)"alice", 5, NULL, 0, &sa), 0);
	assert_int_equal(mls_signer_new(s, (const uint8_t *)"bob", 3, NULL, 0, &sb), 0);
	assert_int_equal(mls_group_create(sa, (const uint8_t *)"grp", 3, &ga), 0);
	assert_int_equal(mls_kp_create(sb, 0, UINT64_MAX, &kp), 0);
	kpm = mls_kp_message(kp, &kplen);
	assert_int_equal(mls_group_propose_add(ga, kpm, kplen), 0);
	assert_int_equal(mls_group_commit(ga, &co, &cr), 0);
	assert_non_null(cr.welcome);
	assert_int_equal(mls_group_join(kp, cr.welcome, cr.welcome_len, NULL, &gb), 0);
	mls_commit_result_free(&cr);
	assert_int_equal(mls_export_group(ga, &a, &alen), 0);
	assert_int_equal(mls_export_group(gb, &b, &blen), 0);
	assert_int_equal(mls_export_decode(a, alen, &da), 0);
	assert_int_equal(mls_export_decode(b, blen, &db), 0);
	assert_true(da.epoch == 1 && db.epoch == 1);
	assert_int_equal(da.own_leaf, 0);
	assert_int_equal(db.own_leaf, 1);
	assert_int_equal(da.n_members, 2);
	assert_int_equal(da.group_context_len, db.group_context_len);
	assert_memory_equal(da.group_context, db.group_context, da.group_context_len);
	assert_memory_equal(da.sender_data_secret, db.sender_data_secret, s->nh);
	assert_int_equal(mls_export_app_new(&da, 0, &xa, &ra), 0);
	assert_int_equal(mls_export_app_new(&db, 0, &xb, &rb), 0);
	assert_int_equal(exchange(lc, xa, rb, "alice to bob", &leaf), -1);
	assert_int_equal(leaf, 0);
	assert_int_equal(exchange(lc, xb, ra, "bob to alice", &leaf), -1);
	assert_int_equal(leaf, 1);
	mls_app_sender_free(xa);
	mls_app_sender_free(xb);
	mls_app_receiver_free(ra);
	mls_app_receiver_free(rb);
	mls_export_free(a, alen);
	mls_export_free(b, blen);
	mls_kp_free(kp);
	mls_group_free(ga);
	mls_group_free(gb);
	mls_signer_free(sa);
	mls_signer_free(sb);
	assert_int_equal(mls_export_group(NULL, &a, &alen), -EINVAL);
	mls_app_lcore_free(lc);
	crypto_aead_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_app_exchange),
		cmocka_unit_test(test_key_mismatch),
		cmocka_unit_test(test_truncated_oversized_garbage),
		cmocka_unit_test(test_inconsistent),
		cmocka_unit_test(test_group_export),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
