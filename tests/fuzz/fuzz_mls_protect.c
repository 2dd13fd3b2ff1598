/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mls_protect.c - the MLS message parsers that face the network: the
 * data plane's fast path (mls_unprotect_burst, dataplane/mls/mls_app.c) and
 * the control process's framing (mls_framing_unprotect) on untrusted bytes,
 * in one group epoch (suite 1) set up on the first run.
 *
 * Input: a mode byte, then
 *  - mode 0: the rest is an MLSMessage from the network. Both parsers must
 *    refuse it cleanly (a forged message cannot pass the sender-data AEAD):
 *    a status and a drop reason, the output wiped, no crash.
 *  - mode 1: n (1 byte), n edits of (offset u16, xor u8), then a payload.
 *    The payload is protected by the fast path's sender, the edits applied
 *    to the message, and the result unprotected by the fast path. Without an
 *    effective edit it must open to the same payload from the same leaf;
 *    with one it must be refused with the output wiped: every byte of a
 *    PrivateMessage is either checked (framing, group, epoch) or
 *    authenticated (sender data, content and signature).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_aead.h"
#include "fuzz.h"
#include "mls_app.h"
#include "mls_framing.h"
#include "mls_secret_tree.h"
#include "mls_wire.h"

#define CAP 4096
#define LEAF 1

struct state {
	const struct mls_suite *s;
	struct crypto_aead_engine *e;
	struct mls_app_lcore *lc;
	struct mls_app_sender *tx;
	struct mls_app_receiver *rx;
	EVP_PKEY *key;
	uint8_t gid[16], gc_bytes[256], sds[32], mk[32], enc[32], th[32], cth[32];
	size_t gc_len;
	struct mls_group_context gc;
	struct mls_secret_tree *tree;
};

static struct state st;

static EVP_PKEY *sender_key(void *arg, const struct mls_sender *sender)
{
	(void)arg;
	return sender->type == MLS_SENDER_MEMBER && sender->index == LEAF ? st.key : NULL;
}

static void setup(void)
{
	static const uint8_t seed[32] = {1, 2, 3};
	uint8_t app[32];
	struct mls_app_epoch ep;
	struct mls_writer w;

	st.s = mls_suite_get(1);
	CHECK(st.s != NULL);
	memset(st.gid, 0x47, sizeof(st.gid));
	memset(st.sds, 0x53, sizeof(st.sds));
	memset(st.mk, 0x4d, sizeof(st.mk));
	memset(st.enc, 0x45, sizeof(st.enc));
	CHECK(mls_sig_key_from_priv(st.s, seed, sizeof(seed), &st.key) == 0);
	st.gc.cipher_suite = 1;
	st.gc.group_id = (struct mls_bytes){st.gid, sizeof(st.gid)};
	st.gc.epoch = 5;
	st.gc.tree_hash = (struct mls_bytes){st.th, sizeof(st.th)};
	st.gc.confirmed_transcript_hash = (struct mls_bytes){st.cth, sizeof(st.cth)};
	mls_writer_init(&w, st.gc_bytes, sizeof(st.gc_bytes));
	CHECK(mls_group_context_encode(&w, &st.gc) == 0);
	st.gc_len = mls_writer_len(&w);
	st.tree = mls_secret_tree_new(st.s, st.enc, 2);
	CHECK(st.tree != NULL);
	CHECK(mls_secret_tree_leaf_secrets(st.tree, LEAF, NULL, app) == 0);
	st.e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO, CRYPTO_AEAD_ARCH_AUTO);
	CHECK(st.e != NULL);
	st.lc = mls_app_lcore_new(st.e);
	CHECK(st.lc != NULL);
	ep = (struct mls_app_epoch){.suite = st.s, .group_id = st.gid,
				    .group_id_len = sizeof(st.gid), .epoch = 5,
				    .group_context = st.gc_bytes, .group_context_len = st.gc_len,
				    .sender_data_secret = st.sds};
	st.tx = mls_app_sender_new(&ep, LEAF, app, 0, st.key);
	st.rx = mls_app_receiver_new(&ep, 2);
	CHECK(st.tx != NULL && st.rx != NULL);
	CHECK(mls_app_receiver_add_member(st.rx, LEAF, app, 0, st.key) == 0);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++) {
		acc |= p[i];
	}
	return acc == 0;
}

static void network_bytes(const uint8_t *data, size_t size)
{
	static uint8_t out[CAP];
	struct mls_framing_epoch ep = {
		.suite = st.s, .context = &st.gc, .membership_key = st.mk,
		.sender_data_secret = st.sds, .secret_tree = st.tree,
		.sender_key = sender_key,
	};
	struct mls_authenticated_content ac;
	struct mls_app_msg m = {0};
	struct mls_arena a;
	int rc;

	memset(out, 0, sizeof(out));
	m.in = data;
	m.in_len = (uint32_t)size;
	m.out = out;
	m.out_cap = sizeof(out);
	CHECK(mls_unprotect_burst(st.lc, st.rx, &m, 1) == 0);
	CHECK(m.status < 0 && m.drop < MLS_APP_DROP__MAX);
	CHECK(m.payload == NULL && m.payload_len == 0 && all_zero(out, sizeof(out)));

	mls_arena_init(&a, 1u << 20);
	rc = mls_framing_unprotect(&ep, data, size, &a, &ac);
	/* A PublicMessage can be forged only by a member; a random one never verifies. */
	CHECK(rc < 0);
	mls_arena_cleanup(&a);
}

static void edited(const uint8_t *data, size_t size)
{
	static uint8_t msg[CAP], out[CAP], orig[CAP];
	struct mls_app_msg m = {0};
	size_t n, len;
	bool changed = false;

	if (size < 1) {
		return;
	}
	n = data[0] % 8;	/* up to 7 edits */
	if (size < 1 + 3 * n) {
		return;
	}
	m.in = data + 1 + 3 * n;
	m.in_len = (uint32_t)(size - 1 - 3 * n);
	if (m.in_len > 1024) {
		m.in_len = 1024;
	}
	m.out = msg;
	m.out_cap = sizeof(msg);
	CHECK(mls_protect_burst(st.lc, st.tx, &m, 1) == 1);
	len = m.out_len;
	memcpy(orig, msg, len);
	for (size_t i = 0; i < n; i++) {
		size_t off = ((size_t)data[1 + 3 * i] << 8 | data[2 + 3 * i]) % len;

		msg[off] ^= data[3 + 3 * i];
	}
	/* Edits may cancel each other out: what counts is whether the bytes differ. */
	changed = memcmp(orig, msg, len) != 0;
	memset(out, 0, sizeof(out));
	{
		struct mls_app_msg u = {.in = msg, .in_len = (uint32_t)len, .out = out,
					.out_cap = sizeof(out)};
		uint16_t ok = mls_unprotect_burst(st.lc, st.rx, &u, 1);

		if (!changed) {
			CHECK(ok == 1 && u.status == 0 && u.leaf == LEAF);
			CHECK(u.payload_len == m.in_len);
			CHECK(u.payload_len == 0 || memcmp(u.payload, m.in, u.payload_len) == 0);
		} else {
			CHECK(ok == 0 && u.status < 0 && u.drop < MLS_APP_DROP__MAX);
			CHECK(all_zero(out, sizeof(out)));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (st.s == NULL) {
		setup();
	}
	if (size < 1 || size > CAP) {
		return 0;
	}
	if (data[0] % 2 == 0) {
		network_bytes(data + 1, size - 1);
	} else {
		edited(data + 1, size - 1);
	}
	return 0;
}
