/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mls_welcome.c - joining from a Welcome (mls_group_join,
 * dataplane/mls/mls_group_welcome.c) and checking a KeyPackage
 * (mls_key_package_check, mls_group_kp.c) on untrusted bytes, as the member
 * of one fixed KeyPackage (suite 1; made once with mls_kp_create, its
 * private keys below are test data). On the first run a group is created
 * and commits an Add of that KeyPackage: its Welcome and GroupInfo are the
 * valid inputs the modes start from.
 *
 * Input: a mode byte (modulo 4), then
 *  - mode 0: the rest is a Welcome MLSMessage. mls_group_join returns 0 or
 *    one of -EBADMSG, -EPROTONOSUPPORT, -ENOENT, -EINVAL; a group it makes
 *    is usable (authenticator, members, tree).
 *  - mode 1: the rest is a KeyPackage MLSMessage. mls_key_package_check
 *    returns 0, -EBADMSG or -EPROTONOSUPPORT, with and without a clock.
 *  - mode 2: n (1 byte), n edits of (offset u16, xor u8) applied to the
 *    setup's Welcome. Without an effective edit the join succeeds with the
 *    creator's epoch authenticator; with one it fails: every byte of a
 *    Welcome to one member is checked or authenticated.
 *  - mode 3: the rest is a plaintext GroupInfo, sealed here into a Welcome
 *    for the KeyPackage under a fixed joiner secret (no path secret, no
 *    PSK), so that the GroupInfo's own checks (tree, tree hash, signature,
 *    own leaf, private keys) see the fuzzer's bytes. It cannot carry a
 *    valid confirmation tag, so the join must fail.
 * The seed corpus (corpus/mls_welcome) holds valid Welcomes for the fixed
 * KeyPackage, the KeyPackage itself and a GroupInfo.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mls_crypto.h"
#include "mls_group.h"
#include "mls_keysched.h"
#include "mls_msg.h"

#define CAP 8192

/* The fixed KeyPackage (an MLSMessage) and its init, encryption and signature private keys. */
static const uint8_t kp_msg[] = {
	0x00, 0x01, 0x00, 0x05, 0x00, 0x01, 0x00, 0x01, 0x20, 0x95, 0xb7, 0x94,
	0x45, 0x91, 0x0b, 0x6e, 0x21, 0x61, 0xad, 0xd2, 0xdc, 0xf0, 0x30, 0x7a,
	0x7f, 0xf7, 0x63, 0x9e, 0xc2, 0x0c, 0x42, 0x89, 0x3f, 0x8d, 0xb4, 0xef,
	0x80, 0x02, 0xd3, 0x95, 0x0c, 0x20, 0x68, 0xd3, 0x00, 0x08, 0xb5, 0x4d,
	0x86, 0xd4, 0xc0, 0xdd, 0xa0, 0x2a, 0x13, 0xef, 0x8f, 0xef, 0x22, 0xf5,
	0xbd, 0xb1, 0xbc, 0x3f, 0xc3, 0x5a, 0xcf, 0x30, 0x13, 0x5a, 0xb6, 0xba,
	0xc8, 0x79, 0x20, 0x9e, 0xde, 0xa5, 0xe9, 0x43, 0x23, 0x51, 0x3b, 0x73,
	0xbb, 0xdc, 0x4e, 0x86, 0xbc, 0x1b, 0x9c, 0x79, 0x38, 0x01, 0xfb, 0xed,
	0x01, 0x76, 0x08, 0x3a, 0xd7, 0x52, 0x49, 0x04, 0xb7, 0xb6, 0x17, 0x00,
	0x01, 0x0b, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6a, 0x6f, 0x69, 0x6e, 0x65,
	0x72, 0x02, 0x00, 0x01, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x01,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x40, 0x40, 0x44, 0xe3, 0xbb, 0x57,
	0x64, 0x1e, 0x01, 0xe0, 0x81, 0x6d, 0x01, 0x9b, 0xf3, 0x9b, 0x42, 0x0b,
	0xde, 0x76, 0x45, 0xe8, 0x7c, 0x2d, 0xf9, 0xfa, 0x2a, 0x40, 0xd9, 0x39,
	0xbf, 0xb4, 0x34, 0x77, 0x71, 0x97, 0x5e, 0xad, 0x77, 0x98, 0x0f, 0x00,
	0x3f, 0xd4, 0x5f, 0xf3, 0x10, 0x71, 0x3f, 0xe3, 0x54, 0x96, 0x31, 0x1e,
	0xf0, 0xea, 0x25, 0x08, 0x53, 0xf8, 0x23, 0xc5, 0xa2, 0x3e, 0xb4, 0x00,
	0x00, 0x40, 0x40, 0xc8, 0xe1, 0x58, 0xa7, 0x55, 0x08, 0x6c, 0x5b, 0x28,
	0x99, 0x35, 0xd5, 0x7a, 0x8f, 0x64, 0xa4, 0x0f, 0x01, 0xd5, 0x6a, 0x62,
	0xd0, 0x1f, 0x64, 0xae, 0xa9, 0x92, 0xe7, 0xaa, 0xc2, 0x1e, 0xc3, 0xa2,
	0xe9, 0xba, 0x36, 0x70, 0xb9, 0x8d, 0x87, 0x5f, 0xbc, 0x10, 0x4a, 0x0b,
	0x0a, 0xfa, 0x55, 0x10, 0x29, 0x3a, 0x58, 0xce, 0xcc, 0x42, 0xef, 0x91,
	0xcb, 0x22, 0xd4, 0xa4, 0x00, 0xd2, 0x05,
};
static const uint8_t kp_init_priv[] = {
	0x05, 0x25, 0x02, 0x21, 0x92, 0xc0, 0xdf, 0xdf, 0x2d, 0x53, 0x6e, 0x5b,
	0x0b, 0xae, 0xe5, 0xdd, 0xee, 0x73, 0x50, 0x72, 0x9f, 0x8c, 0x0c, 0xd1,
	0xb5, 0x22, 0x7d, 0x13, 0xc0, 0xa6, 0x25, 0xfa,
};
static const uint8_t kp_enc_priv[] = {
	0x21, 0x5c, 0xf7, 0xc8, 0x9a, 0x21, 0xd1, 0x40, 0xe8, 0xd6, 0x12, 0x37,
	0x0b, 0xca, 0x05, 0xb2, 0xd2, 0x0c, 0xf0, 0x81, 0xeb, 0x62, 0xc5, 0x8b,
	0x28, 0xa1, 0xf2, 0xcd, 0xfd, 0x1f, 0xc2, 0xdb,
};
static const uint8_t kp_sig_priv[] = {
	0x0e, 0x1b, 0x36, 0x0a, 0x13, 0x90, 0x2d, 0x46, 0x73, 0x94, 0x63, 0x5e,
	0x54, 0xb6, 0xf3, 0xeb, 0x61, 0x54, 0x0f, 0xa0, 0x02, 0x1a, 0x41, 0xc1,
	0x8c, 0xf1, 0x04, 0xfb, 0xa9, 0x2c, 0x80, 0xf1,
};

/* The external PSK the joiner knows (the corpus's second Welcome names it). */
static const uint8_t psk_id[] = "fuzz-psk-id";
static const uint8_t psk_value[] = "fuzz-psk-value-0123456789abcdef";

struct state {
	const struct mls_suite *s;
	struct mls_kp *kp;
	struct mls_join_opts o;
	struct mls_group_psk psk;
	uint8_t ref[MLS_MAX_HASH];		/* the KeyPackageRef */
	uint8_t welcome[CAP];			/* a valid Welcome for kp */
	size_t welcome_len;
	uint8_t auth[MLS_MAX_HASH];		/* the creator's epoch authenticator */
	uint8_t gi[CAP];			/* a GroupInfo (plaintext) with kp's leaf */
	size_t gi_len;
};

static struct state st;

static void setup(void)
{
	static const char label[] = "MLS 1.0 KeyPackage Reference";
	struct mls_commit_result cr;
	struct mls_commit_opts co = {.tree_in_welcome = true};
	struct mls_signer *sg;
	struct mls_group *g;
	uint8_t *gi;
	size_t gi_len;

	if (st.s != NULL) {
		return;
	}
	st.s = mls_suite_get(1);
	CHECK(st.s != NULL);
	CHECK(mls_kp_import(kp_msg, sizeof(kp_msg), kp_init_priv, sizeof(kp_init_priv),
			    kp_enc_priv, sizeof(kp_enc_priv), kp_sig_priv, sizeof(kp_sig_priv),
			    &st.kp) == 0);
	/* the KeyPackage follows the MLSMessage's version and wire_format */
	CHECK(mls_ref_hash(st.s, label, sizeof(label) - 1, kp_msg + 4, sizeof(kp_msg) - 4,
			   st.ref) == 0);
	st.psk = (struct mls_group_psk){psk_id, sizeof(psk_id) - 1, psk_value,
					sizeof(psk_value) - 1};
	st.o.psks = &st.psk;
	st.o.n_psks = 1;

	CHECK(mls_signer_new(st.s, (const uint8_t *)"fuzz-creator", 12, NULL, 0, &sg) == 0);
	CHECK(mls_group_create(sg, (const uint8_t *)"fuzz-group", 10, &g) == 0);
	CHECK(mls_group_propose_add(g, kp_msg, sizeof(kp_msg)) == 0);
	CHECK(mls_group_commit(g, &co, &cr) == 0);
	CHECK(cr.welcome != NULL && cr.welcome_len <= sizeof(st.welcome));
	memcpy(st.welcome, cr.welcome, cr.welcome_len);
	st.welcome_len = cr.welcome_len;
	CHECK(mls_group_epoch_authenticator(g, st.auth) == 0);
	CHECK(mls_group_info(g, true, &gi, &gi_len) == 0);
	CHECK(gi_len > 4 && gi_len - 4 <= sizeof(st.gi));
	memcpy(st.gi, gi + 4, gi_len - 4);
	st.gi_len = gi_len - 4;
	free(gi);
	mls_commit_result_free(&cr);
	mls_group_free(g);
	mls_signer_free(sg);
}

/* join runs mls_group_join on |w| and checks the result; returns its status. */
static int join(const uint8_t *w, size_t len)
{
	struct mls_group *g = NULL;
	uint8_t auth[MLS_MAX_HASH], *tree;
	size_t tree_len;
	int rc;

	rc = mls_group_join(st.kp, w, len, &st.o, &g);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT || rc == -ENOENT ||
	      rc == -EINVAL);
	if (rc < 0) {
		CHECK(g == NULL);
		return rc;
	}
	CHECK(g != NULL && mls_group_active(g));
	CHECK(mls_group_n_members(g) >= 2);
	CHECK(mls_group_member(g, mls_group_own_leaf(g), NULL, NULL, NULL, NULL) == 0);
	CHECK(mls_group_epoch_authenticator(g, auth) == 0);
	CHECK(mls_group_ratchet_tree(g, &tree, &tree_len) == 0);
	free(tree);
	mls_group_free(g);
	return 0;
}

static void key_package(const uint8_t *data, size_t size)
{
	int rc;

	rc = mls_key_package_check(st.s, data, size, 0);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
	rc = mls_key_package_check(st.s, data, size, 1700000000);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
}

static void edited(const uint8_t *data, size_t size)
{
	static uint8_t w[CAP];
	uint8_t auth[MLS_MAX_HASH];
	struct mls_group *g = NULL;
	bool changed = false;
	size_t n;
	int rc;

	memcpy(w, st.welcome, st.welcome_len);
	n = size > 0 ? data[0] % 8 : 0;
	for (size_t i = 0; i < n && 1 + 3 * i + 2 < size; i++) {
		size_t off = ((size_t)data[1 + 3 * i] << 8 | data[2 + 3 * i]) % st.welcome_len;
		uint8_t x = data[3 + 3 * i];

		w[off] ^= x;
	}
	changed = memcmp(w, st.welcome, st.welcome_len) != 0;
	rc = mls_group_join(st.kp, w, st.welcome_len, &st.o, &g);
	if (!changed) {
		CHECK(rc == 0);
		CHECK(mls_group_epoch_authenticator(g, auth) == 0);
		CHECK(memcmp(auth, st.auth, st.s->nh) == 0);
	} else {
		CHECK(rc < 0 && g == NULL);
	}
	mls_group_free(g);
}

/* wrapped seals the GroupInfo |gi| into a Welcome for the fixed KeyPackage and joins. */
static void wrapped(const uint8_t *gi, size_t len)
{
	static uint8_t egi[CAP + MLS_AEAD_TAG], w[2 * CAP];
	uint8_t joiner[MLS_MAX_HASH], zero[MLS_MAX_HASH] = {0}, ws[MLS_MAX_HASH];
	uint8_t key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE];
	uint8_t gs_buf[256], kem_output[MLS_MAX_KEM_ENC], gs_ct[256 + MLS_AEAD_TAG];
	const struct mls_suite *s = st.s;
	struct mls_encrypted_group_secrets e;
	struct mls_group_secrets gs = {0};
	struct mls_message m = {0};
	struct mls_writer wr;
	const uint8_t *init_key;
	size_t gs_len;
	int rc;

	if (len > CAP) {
		return;
	}
	memset(joiner, 0x4a, sizeof(joiner));
	CHECK(mls_keysched_welcome_secret(s, joiner, zero, ws) == 0);
	CHECK(mls_keysched_welcome_key(s, ws, key, nonce) == 0);
	CHECK(mls_aead_seal(s, key, nonce, NULL, 0, gi, len, egi) == 0);
	gs.joiner_secret = (struct mls_bytes){joiner, s->nh};
	mls_writer_init(&wr, gs_buf, sizeof(gs_buf));
	CHECK(mls_group_secrets_encode(&wr, &gs) == 0);
	gs_len = mls_writer_len(&wr);
	/* the init key: the KeyPackage's first HPKEPublicKey, after its 1-byte length */
	init_key = kp_msg + 4 + 2 + 2 + 1;
	CHECK(kp_msg[8] == s->kem_npk);
	CHECK(mls_encrypt_with_label(s, init_key, s->kem_npk, MLS_LABEL("Welcome"), egi,
				     len + MLS_AEAD_TAG, gs_buf, gs_len, kem_output, gs_ct) == 0);
	e.new_member = (struct mls_bytes){st.ref, s->nh};
	e.encrypted_group_secrets.kem_output = (struct mls_bytes){kem_output, s->kem_nenc};
	e.encrypted_group_secrets.ciphertext = (struct mls_bytes){gs_ct, gs_len + MLS_AEAD_TAG};
	m.wire_format = MLS_WIRE_WELCOME;
	m.welcome.cipher_suite = s->id;
	m.welcome.secrets = &e;
	m.welcome.n_secrets = 1;
	m.welcome.encrypted_group_info = (struct mls_bytes){egi, len + MLS_AEAD_TAG};
	mls_writer_init(&wr, w, sizeof(w));
	CHECK(mls_message_encode(&wr, &m) == 0);
	rc = join(w, mls_writer_len(&wr));
	/* the confirmation tag was made under another joiner secret */
	CHECK(rc < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	setup();
	switch (data[0] % 4) {
	case 0:
		join(data + 1, size - 1);
		break;
	case 1:
		key_package(data + 1, size - 1);
		break;
	case 2:
		edited(data + 1, size - 1);
		break;
	default:
		wrapped(data + 1, size - 1);
		break;
	}
	return 0;
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A valid input of mode |mode| in |data| (at most max_size bytes); its length. */
static size_t valid(uint8_t *data, size_t max_size, unsigned mode)
{
	const uint8_t *p;
	size_t n;

	switch (mode) {
	case 0:
		p = st.welcome;
		n = st.welcome_len;
		break;
	case 1:
		p = kp_msg;
		n = sizeof(kp_msg);
		break;
	case 2:
		p = NULL;
		n = 0;
		break;
	default:
		p = st.gi;
		n = st.gi_len;
		break;
	}
	if (max_size < 1) {
		return 0;
	}
	data[0] = (uint8_t)mode;
	n = n < max_size - 1 ? n : max_size - 1;
	if (n > 0) {
		memcpy(data + 1, p, n);
	}
	return n + 1;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint32_t s = seed | 1;

	setup();
	if (size == 0 || rnd(&s) % 8 == 0) {
		size = valid(data, max_size, rnd(&s) % 4);
		if (rnd(&s) % 4 == 0) {
			return size;	/* the valid input itself */
		}
	}
	return LLVMFuzzerMutate(data, size, max_size);
}
