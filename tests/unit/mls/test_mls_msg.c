/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/mls/mls_msg.c, mls_node.c and mls_arena.c: the
 * RFC 9420 wire structures.
 *
 *  - hand-built structures of every kind (all proposal types, all leaf
 *    sources, every MLSMessage wire format, trees with blanks, commits with
 *    paths) encode, decode back to the same fields and re-encode to the
 *    same bytes; decoded views point into the input (no copy);
 *  - every truncation of each of them is rejected (inputs are malloc'd at
 *    their exact length, so ASan sees any read past the end), and every
 *    writer capacity short of the length fails with -ENOSPC;
 *  - bad enum values, bad optional presence bytes, a leaf or parent at the
 *    wrong tree position, nonzero PrivateMessageContent padding, the
 *    membership tag's presence by sender type;
 *  - the TBS/TBM/AAD encoders against their definitions;
 *  - the element-count limits (-E2BIG) and the arena limit (-ENOMEM);
 *  - the arena itself.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mls_msg.h"

#define ARENA_LIMIT (4u << 20)

/* BYTES initialises a struct mls_bytes from a string literal (without its NUL). */
#define BYTES(s) {(const uint8_t *)(s), sizeof(s) - 1}

static struct mls_bytes bs(const char *s)
{
	return (struct mls_bytes){(const uint8_t *)s, strlen(s)};
}

/* copy_exact copies |n| bytes into a malloc'd buffer of exactly that size. */
static uint8_t *copy_exact(const void *p, size_t n)
{
	uint8_t *b = malloc(n > 0 ? n : 1);

	assert_non_null(b);
	if (n > 0) {
		memcpy(b, p, n);
	}
	return b;
}

static void assert_bytes_equal(struct mls_bytes got, struct mls_bytes want)
{
	assert_int_equal(got.len, want.len);
	if (want.len > 0) {
		assert_memory_equal(got.p, want.p, want.len);
	}
}

/* ---- hand-built structures ---------------------------------------------- */

static const uint16_t versions[] = {MLS_VERSION_MLS10};
static const uint16_t suites[] = {1, 0x0a0a, 3};
static const uint16_t ext_types[] = {MLS_EXT_REQUIRED_CAPABILITIES, MLS_EXT_EXTERNAL_SENDERS};
static const uint16_t proposal_types[] = {0x8001};
static const uint16_t cred_types[] = {MLS_CREDENTIAL_BASIC, MLS_CREDENTIAL_X509};
static const struct mls_bytes certs[] = {BYTES("certificate-0"), BYTES("certificate-1")};
static const struct mls_extension leaf_exts[] = {
	{MLS_EXT_APPLICATION_ID, BYTES("application-id")},
	{0x1a1a, {NULL, 0}},
};
static const struct mls_extension group_exts[] = {
	{MLS_EXT_EXTERNAL_PUB, BYTES("external-pub")},
};
static const uint32_t unmerged[] = {1, 3};

static void build_leaf(struct mls_leaf_node *l, uint8_t source)
{
	memset(l, 0, sizeof(*l));
	l->encryption_key = bs("leaf-encryption-key");
	l->signature_key = bs("leaf-signature-key");
	if (source == MLS_LEAF_SOURCE_UPDATE) {
		l->credential.type = MLS_CREDENTIAL_BASIC;
		l->credential.identity = bs("alice");
	} else {
		l->credential.type = MLS_CREDENTIAL_X509;
		l->credential.certs = certs;
		l->credential.n_certs = 2;
	}
	l->capabilities.versions = (struct mls_u16_list){versions, 1};
	l->capabilities.cipher_suites = (struct mls_u16_list){suites, 3};
	l->capabilities.extensions = (struct mls_u16_list){ext_types, 2};
	l->capabilities.proposals = (struct mls_u16_list){proposal_types, 1};
	l->capabilities.credentials = (struct mls_u16_list){cred_types, 2};
	l->source = source;
	l->lifetime = (struct mls_lifetime){1700000000, 0x00000100000000ffull};
	if (source == MLS_LEAF_SOURCE_COMMIT) {
		l->parent_hash = bs("parent-hash");
	}
	l->extensions = (struct mls_extension_list){leaf_exts, 2};
	l->signature = bs("leaf-signature");
}

static void build_key_package(struct mls_key_package *kp, struct mls_leaf_node *leaf_storage)
{
	memset(kp, 0, sizeof(*kp));
	build_leaf(leaf_storage, MLS_LEAF_SOURCE_KEY_PACKAGE);
	kp->version = MLS_VERSION_MLS10;
	kp->cipher_suite = 1;
	kp->init_key = bs("init-key");
	kp->leaf_node = *leaf_storage;
	kp->extensions = (struct mls_extension_list){group_exts, 1};
	kp->signature = bs("key-package-signature");
}

/* A commit with every proposal type, a reference, and an update path. */
struct commit_storage {
	struct mls_proposal_or_ref por[9];
	struct mls_leaf_node leaf;
	struct mls_hpke_ciphertext cts[3];
	struct mls_update_path_node path_nodes[2];
	struct mls_commit commit;
};

static void build_commit(struct commit_storage *s)
{
	struct mls_proposal *p;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 8; i++) {
		s->por[i].type = MLS_PROPOSAL_OR_REF_PROPOSAL;
	}
	p = &s->por[0].proposal;
	p->type = MLS_PROPOSAL_ADD;
	build_key_package(&p->add, &s->leaf);
	p = &s->por[1].proposal;
	p->type = MLS_PROPOSAL_UPDATE;
	build_leaf(&p->update, MLS_LEAF_SOURCE_UPDATE);
	p = &s->por[2].proposal;
	p->type = MLS_PROPOSAL_REMOVE;
	p->remove = 0x01020304;
	p = &s->por[3].proposal;
	p->type = MLS_PROPOSAL_PSK;
	p->psk.type = MLS_PSK_EXTERNAL;
	p->psk.psk_id = bs("external-psk");
	p->psk.psk_nonce = bs("nonce-0");
	p = &s->por[4].proposal;
	p->type = MLS_PROPOSAL_PSK;
	p->psk.type = MLS_PSK_RESUMPTION;
	p->psk.usage = MLS_RESUMPTION_BRANCH;
	p->psk.psk_group_id = bs("old-group");
	p->psk.psk_epoch = 77;
	p->psk.psk_nonce = bs("nonce-1");
	p = &s->por[5].proposal;
	p->type = MLS_PROPOSAL_REINIT;
	p->reinit.group_id = bs("new-group");
	p->reinit.version = MLS_VERSION_MLS10;
	p->reinit.cipher_suite = 2;
	p->reinit.extensions = (struct mls_extension_list){group_exts, 1};
	p = &s->por[6].proposal;
	p->type = MLS_PROPOSAL_EXTERNAL_INIT;
	p->external_init = bs("kem-output");
	p = &s->por[7].proposal;
	p->type = MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS;
	p->group_context_extensions = (struct mls_extension_list){group_exts, 1};
	s->por[8].type = MLS_PROPOSAL_OR_REF_REFERENCE;
	s->por[8].reference = bs("proposal-ref-0123456789abcdef");

	s->cts[0] = (struct mls_hpke_ciphertext){BYTES("kem-0"), BYTES("ct-0")};
	s->cts[1] = (struct mls_hpke_ciphertext){BYTES("kem-1"), BYTES("ct-1")};
	s->cts[2] = (struct mls_hpke_ciphertext){BYTES("kem-2"), {NULL, 0}};
	s->path_nodes[0] = (struct mls_update_path_node){BYTES("path-key-0"), s->cts, 2};
	s->path_nodes[1] = (struct mls_update_path_node){BYTES("path-key-1"), s->cts + 2, 1};

	s->commit.proposals = s->por;
	s->commit.n_proposals = 9;
	s->commit.has_path = true;
	build_leaf(&s->commit.path.leaf_node, MLS_LEAF_SOURCE_COMMIT);
	s->commit.path.nodes = s->path_nodes;
	s->commit.path.n_nodes = 2;
}

static void build_group_context(struct mls_group_context *gc)
{
	memset(gc, 0, sizeof(*gc));
	gc->cipher_suite = 1;
	gc->group_id = bs("group");
	gc->epoch = 0x0102030405060708ull;
	gc->tree_hash = bs("tree-hash");
	gc->confirmed_transcript_hash = bs("confirmed-transcript-hash");
	gc->extensions = (struct mls_extension_list){group_exts, 1};
}

/* encode runs |enc| into a fresh malloc'd buffer of exactly the output's length. */
static uint8_t *encode_exact(int (*enc)(struct mls_writer *, const void *), const void *in,
			     size_t *len)
{
	uint8_t buf[8192];
	struct mls_writer w;

	mls_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(enc(&w, in), 0);
	*len = mls_writer_len(&w);
	return copy_exact(buf, *len);
}

/* ---- generic checks ----------------------------------------------------- */

/*
 * ROUND_TRIP(type) defines rt_type, a decoder followed by the matching
 * encoder (the shape every check below takes), and enc_type, the encoder
 * with a void pointer for encode_exact.
 */
#define ROUND_TRIP(type)								\
	static int rt_##type(struct mls_reader *r, struct mls_arena *a,			\
			     struct mls_writer *w)					\
	{										\
		struct mls_##type x;							\
		int rc = mls_##type##_decode(r, a, &x);					\
											\
		if (rc < 0) {								\
			return rc;							\
		}									\
		return mls_##type##_encode(w, &x);					\
	}										\
	static int enc_##type(struct mls_writer *w, const void *in)			\
	{										\
		return mls_##type##_encode(w, in);					\
	}

ROUND_TRIP(leaf_node)
ROUND_TRIP(key_package)
ROUND_TRIP(ratchet_tree)
ROUND_TRIP(update_path)
ROUND_TRIP(commit)
ROUND_TRIP(message)
ROUND_TRIP(group_secrets)
ROUND_TRIP(authenticated_content)
ROUND_TRIP(external_sender_list)
ROUND_TRIP(required_capabilities)
ROUND_TRIP(sender_data)
ROUND_TRIP(proposal)

static int rt_pmc_commit(struct mls_reader *r, struct mls_arena *a, struct mls_writer *w)
{
	struct mls_private_message_content x;
	int rc = mls_private_message_content_decode(r, a, MLS_CONTENT_COMMIT, &x);

	if (rc < 0) {
		return rc;
	}
	return mls_private_message_content_encode(w, &x);
}

static int enc_pmc(struct mls_writer *w, const void *in)
{
	return mls_private_message_content_encode(w, in);
}

/*
 * check_structure: |enc| (|len| bytes) decodes with |rt|, consuming all of
 * it, and re-encodes to the same bytes; every strict prefix fails to
 * decode; every writer capacity below |len| fails with -ENOSPC.
 */
static void check_structure(const uint8_t *enc, size_t len,
			    int (*rt)(struct mls_reader *, struct mls_arena *, struct mls_writer *))
{
	uint8_t *out = malloc(len + 16);
	struct mls_arena a;
	struct mls_reader r;
	struct mls_writer w;

	assert_non_null(out);
	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, enc, len);
	mls_writer_init(&w, out, len + 16);
	assert_int_equal(rt(&r, &a, &w), 0);
	assert_int_equal(mls_reader_left(&r), 0);
	assert_int_equal(mls_writer_len(&w), len);
	assert_memory_equal(out, enc, len);
	mls_arena_cleanup(&a);

	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *p = copy_exact(enc, cut);
		int rc;

		mls_reader_init(&r, p, cut);
		mls_writer_init(&w, out, len + 16);
		rc = rt(&r, &a, &w);
		if (rc != -EBADMSG) {
			fail_msg("a prefix of %zu of %zu bytes gave %d", cut, len, rc);
		}
		mls_arena_cleanup(&a);
		free(p);
	}

	for (size_t cap = 0; cap < len; cap++) {
		mls_reader_init(&r, enc, len);
		mls_writer_init(&w, out, cap);
		assert_int_equal(rt(&r, &a, &w), -ENOSPC);
		mls_arena_cleanup(&a);
	}
	free(out);
}

/* decode_rc decodes |n| bytes at |p| (copied to an exact buffer) with |rt|; returns its result. */
static int decode_rc(const uint8_t *p, size_t n,
		     int (*rt)(struct mls_reader *, struct mls_arena *, struct mls_writer *),
		     size_t *left)
{
	uint8_t out[4096];
	uint8_t *in = copy_exact(p, n);
	struct mls_arena a;
	struct mls_reader r;
	struct mls_writer w;
	int rc;

	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, in, n);
	mls_writer_init(&w, out, sizeof(out));
	rc = rt(&r, &a, &w);
	if (left != NULL) {
		*left = mls_reader_left(&r);
	}
	if (rc == 0) {
		/* whatever was consumed re-encodes to itself */
		assert_int_equal(mls_writer_len(&w), n - mls_reader_left(&r));
		assert_memory_equal(out, p, mls_writer_len(&w));
	}
	mls_arena_cleanup(&a);
	free(in);
	return rc;
}

/* ---- round trips of hand-built structures -------------------------------- */

static void test_leaf_node_sources(void **state)
{
	static const uint8_t sources[] = {MLS_LEAF_SOURCE_KEY_PACKAGE, MLS_LEAF_SOURCE_UPDATE,
		MLS_LEAF_SOURCE_COMMIT};

	(void)state;
	for (size_t i = 0; i < sizeof(sources); i++) {
		struct mls_leaf_node leaf, got;
		struct mls_arena a;
		struct mls_reader r;
		uint8_t *enc;
		size_t len;

		build_leaf(&leaf, sources[i]);
		enc = encode_exact(enc_leaf_node, &leaf, &len);
		check_structure(enc, len, rt_leaf_node);

		mls_arena_init(&a, ARENA_LIMIT);
		mls_reader_init(&r, enc, len);
		assert_int_equal(mls_leaf_node_decode(&r, &a, &got), 0);
		assert_int_equal(got.source, sources[i]);
		assert_bytes_equal(got.encryption_key, leaf.encryption_key);
		/* views point into the input: nothing is copied */
		assert_true(got.encryption_key.p >= enc && got.encryption_key.p < enc + len);
		assert_int_equal(got.credential.type, leaf.credential.type);
		assert_int_equal(got.credential.n_certs, leaf.credential.n_certs);
		for (size_t k = 0; k < got.credential.n_certs; k++) {
			assert_bytes_equal(got.credential.certs[k], certs[k]);
		}
		assert_int_equal(got.capabilities.cipher_suites.n, 3);
		assert_int_equal(got.capabilities.cipher_suites.v[1], 0x0a0a);
		assert_true(mls_is_grease(got.capabilities.cipher_suites.v[1]));
		if (sources[i] == MLS_LEAF_SOURCE_KEY_PACKAGE) {
			assert_true(got.lifetime.not_after == leaf.lifetime.not_after);
		}
		if (sources[i] == MLS_LEAF_SOURCE_COMMIT) {
			assert_bytes_equal(got.parent_hash, leaf.parent_hash);
		}
		assert_int_equal(got.extensions.n, 2);
		assert_non_null(mls_extension_find(&got.extensions, 0x1a1a));
		assert_null(mls_extension_find(&got.extensions, MLS_EXT_RATCHET_TREE));
		assert_non_null(mls_extension_find(&got.extensions, MLS_EXT_APPLICATION_ID));
		assert_bytes_equal(
			mls_extension_find(&got.extensions, MLS_EXT_APPLICATION_ID)->data,
			leaf_exts[0].data);
		mls_arena_cleanup(&a);
		free(enc);
	}
}

static void test_key_package(void **state)
{
	struct mls_key_package kp;
	struct mls_leaf_node leaf;
	struct mls_message m = {.wire_format = MLS_WIRE_KEY_PACKAGE};
	uint8_t *enc;
	size_t len;

	(void)state;
	build_key_package(&kp, &leaf);
	enc = encode_exact(enc_key_package, &kp, &len);
	check_structure(enc, len, rt_key_package);
	free(enc);
	m.key_package = kp;
	enc = encode_exact(enc_message, &m, &len);
	assert_memory_equal(enc, "\x00\x01\x00\x05", 4);
	check_structure(enc, len, rt_message);
	free(enc);
}

static void test_ratchet_tree(void **state)
{
	struct mls_leaf_node l0, l2;
	struct mls_parent_node p1 = {BYTES("parent-key"), BYTES("parent-hash"), unmerged, 2};
	struct mls_parent_node p3 = {BYTES("root-key"), {NULL, 0}, NULL, 0};
	struct mls_node nodes[7] = {
		{MLS_NODE_LEAF, &l0, NULL},
		{MLS_NODE_PARENT, NULL, &p1},
		{0, NULL, NULL},
		{MLS_NODE_PARENT, NULL, &p3},
		{0, NULL, NULL},
		{0, NULL, NULL},
		{MLS_NODE_LEAF, &l2, NULL},
	};
	struct mls_ratchet_tree t = {nodes, 7}, got;
	struct mls_arena a;
	struct mls_reader r;
	uint8_t *enc;
	size_t len;

	(void)state;
	build_leaf(&l0, MLS_LEAF_SOURCE_KEY_PACKAGE);
	build_leaf(&l2, MLS_LEAF_SOURCE_COMMIT);
	enc = encode_exact(enc_ratchet_tree, &t, &len);
	check_structure(enc, len, rt_ratchet_tree);

	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, enc, len);
	assert_int_equal(mls_ratchet_tree_decode(&r, &a, &got), 0);
	assert_int_equal(got.n_nodes, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(got.nodes[i].type, nodes[i].type);
		assert_true((got.nodes[i].leaf != NULL) == (nodes[i].type == MLS_NODE_LEAF));
		assert_true((got.nodes[i].parent != NULL) == (nodes[i].type == MLS_NODE_PARENT));
	}
	assert_int_equal(got.nodes[1].parent->n_unmerged_leaves, 2);
	assert_int_equal(got.nodes[1].parent->unmerged_leaves[1], 3);
	assert_int_equal(got.nodes[6].leaf->source, MLS_LEAF_SOURCE_COMMIT);
	mls_arena_cleanup(&a);
	free(enc);
}

static void test_commit_and_update_path(void **state)
{
	struct commit_storage *s = malloc(sizeof(*s));
	struct mls_commit got;
	struct mls_arena a;
	struct mls_reader r;
	uint8_t *enc;
	size_t len;

	(void)state;
	assert_non_null(s);
	build_commit(s);
	enc = encode_exact(enc_update_path, &s->commit.path, &len);
	check_structure(enc, len, rt_update_path);
	free(enc);
	enc = encode_exact(enc_commit, &s->commit, &len);
	check_structure(enc, len, rt_commit);

	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, enc, len);
	assert_int_equal(mls_commit_decode(&r, &a, &got), 0);
	assert_int_equal(got.n_proposals, 9);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(got.proposals[i].type, MLS_PROPOSAL_OR_REF_PROPOSAL);
		assert_int_equal(got.proposals[i].proposal.type, s->por[i].proposal.type);
	}
	assert_int_equal(got.proposals[2].proposal.remove, 0x01020304);
	assert_int_equal(got.proposals[4].proposal.psk.usage, MLS_RESUMPTION_BRANCH);
	assert_true(got.proposals[4].proposal.psk.psk_epoch == 77);
	assert_bytes_equal(got.proposals[8].reference, s->por[8].reference);
	assert_true(got.has_path);
	assert_int_equal(got.path.n_nodes, 2);
	assert_int_equal(got.path.nodes[0].n_encrypted_path_secret, 2);
	assert_bytes_equal(got.path.nodes[1].encrypted_path_secret[0].kem_output, bs("kem-2"));
	mls_arena_cleanup(&a);
	free(enc);

	/* each proposal alone, and bare */
	for (size_t i = 0; i < 8; i++) {
		uint8_t buf[2048];
		struct mls_writer w;
		struct mls_proposal p;

		enc = encode_exact(enc_proposal, &s->por[i].proposal, &len);
		check_structure(enc, len, rt_proposal);
		/* the bare body is the proposal without its type */
		mls_writer_init(&w, buf, sizeof(buf));
		assert_int_equal(mls_proposal_body_encode(&w, &s->por[i].proposal), 0);
		assert_int_equal(mls_writer_len(&w), len - 2);
		assert_memory_equal(buf, enc + 2, len - 2);
		mls_arena_init(&a, ARENA_LIMIT);
		mls_reader_init(&r, enc + 2, len - 2);
		assert_int_equal(mls_proposal_body_decode(&r, &a, s->por[i].proposal.type, &p), 0);
		assert_int_equal(mls_reader_left(&r), 0);
		assert_int_equal(p.type, s->por[i].proposal.type);
		mls_arena_cleanup(&a);
		free(enc);
	}
	free(s);
}

static void build_public_commit(struct mls_message *m, struct commit_storage *s)
{
	memset(m, 0, sizeof(*m));
	build_commit(s);
	m->wire_format = MLS_WIRE_PUBLIC_MESSAGE;
	m->public_message.content.group_id = bs("group");
	m->public_message.content.epoch = 9;
	m->public_message.content.sender = (struct mls_sender){MLS_SENDER_MEMBER, 4};
	m->public_message.content.authenticated_data = bs("aad");
	m->public_message.content.content_type = MLS_CONTENT_COMMIT;
	m->public_message.content.commit = s->commit;
	m->public_message.auth.signature = bs("signature");
	m->public_message.auth.confirmation_tag = bs("confirmation-tag");
	m->public_message.membership_tag = bs("membership-tag");
}

static void test_messages(void **state)
{
	struct commit_storage *s = malloc(sizeof(*s));
	struct mls_encrypted_group_secrets egs[2] = {
		{BYTES("kp-ref-0"), {BYTES("kem-0"), BYTES("ct-0")}},
		{BYTES("kp-ref-1"), {BYTES("kem-1"), BYTES("ct-1")}},
	};
	struct mls_message m;
	uint8_t *enc;
	size_t len;

	(void)state;
	assert_non_null(s);

	/* public: member commit (membership tag), external proposal, new member commit */
	build_public_commit(&m, s);
	enc = encode_exact(enc_message, &m, &len);
	check_structure(enc, len, rt_message);
	free(enc);
	m.public_message.content.sender = (struct mls_sender){MLS_SENDER_EXTERNAL, 1};
	m.public_message.content.content_type = MLS_CONTENT_PROPOSAL;
	m.public_message.content.proposal = s->por[2].proposal;
	enc = encode_exact(enc_message, &m, &len);
	check_structure(enc, len, rt_message);
	free(enc);
	m.public_message.content.sender = (struct mls_sender){MLS_SENDER_NEW_MEMBER_PROPOSAL, 0};
	m.public_message.content.proposal = s->por[0].proposal;
	enc = encode_exact(enc_message, &m, &len);
	check_structure(enc, len, rt_message);
	free(enc);
	m.public_message.content.sender = (struct mls_sender){MLS_SENDER_MEMBER, 0};
	m.public_message.content.content_type = MLS_CONTENT_APPLICATION;
	m.public_message.content.application_data = bs("hello");
	enc = encode_exact(enc_message, &m, &len);
	check_structure(enc, len, rt_message);
	free(enc);

	/* private */
	memset(&m, 0, sizeof(m));
	m.wire_format = MLS_WIRE_PRIVATE_MESSAGE;
	m.private_message = (struct mls_private_message){BYTES("group"), 3, MLS_CONTENT_APPLICATION,
		BYTES("aad"), BYTES("encrypted-sender-data"), BYTES("ciphertext")};
	enc = encode_exact(enc_message, &m, &len);
	check_structure(enc, len, rt_message);
	free(enc);

	/* welcome */
	memset(&m, 0, sizeof(m));
	m.wire_format = MLS_WIRE_WELCOME;
	m.welcome.cipher_suite = 3;
	m.welcome.secrets = egs;
	m.welcome.n_secrets = 2;
	m.welcome.encrypted_group_info = bs("encrypted-group-info");
	enc = encode_exact(enc_message, &m, &len);
	check_structure(enc, len, rt_message);
	free(enc);

	/* group info */
	memset(&m, 0, sizeof(m));
	m.wire_format = MLS_WIRE_GROUP_INFO;
	build_group_context(&m.group_info.group_context);
	m.group_info.extensions = (struct mls_extension_list){group_exts, 1};
	m.group_info.confirmation_tag = bs("confirmation-tag");
	m.group_info.signer = 5;
	m.group_info.signature = bs("signature");
	enc = encode_exact(enc_message, &m, &len);
	check_structure(enc, len, rt_message);
	free(enc);
	free(s);
}

static void test_group_secrets(void **state)
{
	struct mls_psk_id psks[2] = {
		{MLS_PSK_EXTERNAL, BYTES("psk-id"), 0, {NULL, 0}, 0, BYTES("nonce")},
		{MLS_PSK_RESUMPTION, {NULL, 0}, MLS_RESUMPTION_APPLICATION, BYTES("g"), 3,
		 BYTES("nonce-2")},
	};
	struct mls_group_secrets gs = {BYTES("joiner"), true, BYTES("path-secret"), psks, 2};
	uint8_t *enc;
	size_t len;

	(void)state;
	enc = encode_exact(enc_group_secrets, &gs, &len);
	check_structure(enc, len, rt_group_secrets);
	free(enc);
	gs.has_path_secret = false;
	gs.n_psks = 0;
	enc = encode_exact(enc_group_secrets, &gs, &len);
	assert_int_equal(len, 1 + 6 + 1 + 1);
	check_structure(enc, len, rt_group_secrets);
	free(enc);
}

static void test_small_structures(void **state)
{
	struct mls_authenticated_content ac;
	struct mls_sender_data sd = {7, 0x01020304, {1, 2, 3, 4}};
	struct mls_external_sender es[2] = {
		{BYTES("sig-key-0"), {MLS_CREDENTIAL_BASIC, BYTES("ds"), NULL, 0}},
		{BYTES("sig-key-1"), {MLS_CREDENTIAL_X509, {NULL, 0}, certs, 2}},
	};
	struct mls_external_sender_list esl = {es, 2};
	struct mls_required_capabilities rc = {{ext_types, 2}, {proposal_types, 1},
		{cred_types, 2}};
	uint8_t *enc;
	size_t len;

	(void)state;
	memset(&ac, 0, sizeof(ac));
	ac.wire_format = MLS_WIRE_PRIVATE_MESSAGE;
	ac.content.group_id = bs("g");
	ac.content.sender = (struct mls_sender){MLS_SENDER_NEW_MEMBER_COMMIT, 0};
	ac.content.content_type = MLS_CONTENT_APPLICATION;
	ac.content.application_data = bs("data");
	ac.auth.signature = bs("sig");
	enc = encode_exact(enc_authenticated_content, &ac, &len);
	check_structure(enc, len, rt_authenticated_content);
	free(enc);

	enc = encode_exact(enc_sender_data, &sd, &len);
	assert_int_equal(len, 12);
	assert_memory_equal(enc, "\x00\x00\x00\x07\x01\x02\x03\x04\x01\x02\x03\x04", 12);
	check_structure(enc, len, rt_sender_data);
	free(enc);

	enc = encode_exact(enc_external_sender_list, &esl, &len);
	check_structure(enc, len, rt_external_sender_list);
	free(enc);

	enc = encode_exact(enc_required_capabilities, &rc, &len);
	assert_int_equal(len, 5 + 3 + 5);
	check_structure(enc, len, rt_required_capabilities);
	free(enc);
}

/* ---- PrivateMessageContent ------------------------------------------------ */

static void test_private_message_content(void **state)
{
	struct commit_storage *s = malloc(sizeof(*s));
	struct mls_private_message_content pmc, got;
	struct mls_arena a;
	struct mls_reader r;
	uint8_t *enc;
	size_t len, left;

	(void)state;
	assert_non_null(s);
	build_commit(s);
	memset(&pmc, 0, sizeof(pmc));
	pmc.content_type = MLS_CONTENT_COMMIT;
	pmc.commit = s->commit;
	pmc.auth.signature = bs("signature");
	pmc.auth.confirmation_tag = bs("tag");
	enc = encode_exact(enc_pmc, &pmc, &len);
	/* without padding, every truncation cuts the auth data or the content */
	check_structure(enc, len, rt_pmc_commit);
	free(enc);

	/* padding: zeros are consumed and counted, a nonzero byte anywhere is rejected */
	pmc.padding = 100;
	enc = encode_exact(enc_pmc, &pmc, &len);
	assert_int_equal(decode_rc(enc, len, rt_pmc_commit, &left), 0);
	assert_int_equal(left, 0);
	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, enc, len);
	assert_int_equal(mls_private_message_content_decode(&r, &a, MLS_CONTENT_COMMIT, &got), 0);
	assert_int_equal(got.padding, 100);
	assert_bytes_equal(got.auth.confirmation_tag, bs("tag"));
	mls_arena_cleanup(&a);
	for (size_t i = len - 100; i < len; i++) {
		enc[i] = 0x01;
		assert_int_equal(decode_rc(enc, len, rt_pmc_commit, NULL), -EBADMSG);
		enc[i] = 0;
	}
	free(enc);

	/* application content has no confirmation tag */
	memset(&pmc, 0, sizeof(pmc));
	pmc.content_type = MLS_CONTENT_APPLICATION;
	pmc.application_data = bs("hi");
	pmc.auth.signature = bs("s");
	pmc.auth.confirmation_tag = bs("ignored");
	pmc.padding = 3;
	enc = encode_exact(enc_pmc, &pmc, &len);
	assert_int_equal(len, 3 + 2 + 3);
	assert_memory_equal(enc, "\x02hi\x01s\x00\x00\x00", len);
	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, enc, len);
	assert_int_equal(mls_private_message_content_decode(&r, &a, MLS_CONTENT_APPLICATION, &got),
			 0);
	assert_int_equal(got.padding, 3);
	assert_int_equal(got.auth.confirmation_tag.len, 0);
	mls_reader_init(&r, enc, len);
	assert_int_equal(mls_private_message_content_decode(&r, &a, 0, &got), -EBADMSG);
	mls_reader_init(&r, enc, len);
	assert_int_equal(mls_private_message_content_decode(&r, &a, 4, &got), -EBADMSG);
	mls_arena_cleanup(&a);
	free(enc);
	free(s);
}

/* ---- rejections of hand-written bytes ------------------------------------ */

/* A LeafNode (source update) whose bytes are written out, with its field offsets. */
static const uint8_t leaf_update[] = {
	0x01, 0xaa,			/* encryption_key */
	0x01, 0xbb,			/* signature_key */
	0x00, 0x01, 0x01, 0xcc,		/* credential: basic, identity */
	0x00, 0x00, 0x00, 0x00, 0x00,	/* capabilities: five empty lists */
	0x02,				/* leaf_node_source = update (offset 13) */
	0x00,				/* extensions */
	0x01, 0xdd,			/* signature */
};
#define LEAF_CRED_TYPE 4
#define LEAF_SOURCE 13

static void test_bad_leaf_and_credential(void **state)
{
	uint8_t b[sizeof(leaf_update)];
	size_t left;

	(void)state;
	assert_int_equal(decode_rc(leaf_update, sizeof(leaf_update), rt_leaf_node, &left), 0);
	assert_int_equal(left, 0);
	memcpy(b, leaf_update, sizeof(b));
	for (unsigned v = 0; v < 256; v++) {
		int want = v >= 1 && v <= 3 ? 0 : -EBADMSG;
		int rc;

		if (v == MLS_LEAF_SOURCE_KEY_PACKAGE || v == MLS_LEAF_SOURCE_COMMIT) {
			continue;	/* they read more fields: the bytes mean something else */
		}
		b[LEAF_SOURCE] = (uint8_t)v;
		rc = decode_rc(b, sizeof(b), rt_leaf_node, NULL);
		assert_int_equal(rc, want);
	}
	memcpy(b, leaf_update, sizeof(b));
	b[LEAF_CRED_TYPE + 1] = 0;	/* credential type 0: reserved */
	assert_int_equal(decode_rc(b, sizeof(b), rt_leaf_node, NULL), -EBADMSG);
	b[LEAF_CRED_TYPE + 1] = 3;	/* unknown: no length, cannot be skipped */
	assert_int_equal(decode_rc(b, sizeof(b), rt_leaf_node, NULL), -EPROTONOSUPPORT);
	b[LEAF_CRED_TYPE] = 0x0a;	/* GREASE is no better */
	b[LEAF_CRED_TYPE + 1] = 0x0a;
	assert_int_equal(decode_rc(b, sizeof(b), rt_leaf_node, NULL), -EPROTONOSUPPORT);

	/* capability lists have an even length */
	memcpy(b, leaf_update, sizeof(b));
	b[8] = 0x01;
	assert_int_equal(decode_rc(b, sizeof(b), rt_leaf_node, NULL), -EBADMSG);
}

/* A PublicMessage (MLSMessage) of an application message from member 2. */
static const uint8_t public_app[] = {
	0x00, 0x01, 0x00, 0x01,				/* mls10, mls_public_message */
	0x01, 'g',					/* group_id */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,	/* epoch */
	0x01, 0x00, 0x00, 0x00, 0x02,			/* sender: member 2 (offset 14) */
	0x00,						/* authenticated_data */
	0x01,						/* application (offset 20) */
	0x02, 'h', 'i',					/* application_data */
	0x01, 0x55,					/* signature */
	0x01, 0x66,					/* membership_tag */
};
#define PUB_VERSION 1
#define PUB_WIRE 3
#define PUB_SENDER 14
#define PUB_CONTENT 20

static void test_bad_framing(void **state)
{
	uint8_t b[sizeof(public_app)];
	size_t left;

	(void)state;
	assert_int_equal(decode_rc(public_app, sizeof(public_app), rt_message, &left), 0);
	assert_int_equal(left, 0);

	memcpy(b, public_app, sizeof(b));
	b[PUB_VERSION] = 0;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, NULL), -EBADMSG);
	b[PUB_VERSION] = 2;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, NULL), -EPROTONOSUPPORT);

	memcpy(b, public_app, sizeof(b));
	b[PUB_WIRE] = 0;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, NULL), -EBADMSG);
	b[PUB_WIRE] = 6;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, NULL), -EPROTONOSUPPORT);

	memcpy(b, public_app, sizeof(b));
	b[PUB_SENDER] = 0;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, NULL), -EBADMSG);
	b[PUB_SENDER] = 5;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, NULL), -EBADMSG);
	/* an external sender has no membership tag: two bytes are left over */
	b[PUB_SENDER] = MLS_SENDER_EXTERNAL;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, &left), 0);
	assert_int_equal(left, 2);

	memcpy(b, public_app, sizeof(b));
	b[PUB_CONTENT] = 0;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, NULL), -EBADMSG);
	b[PUB_CONTENT] = 4;
	assert_int_equal(decode_rc(b, sizeof(b), rt_message, NULL), -EBADMSG);
}

static void test_bad_proposals(void **state)
{
	/* Remove of leaf 1; proposal type at 0..1 */
	uint8_t remove[] = {0x00, 0x03, 0x00, 0x00, 0x00, 0x01};
	/* external PSK: psktype, psk_id, psk_nonce */
	uint8_t psk[] = {0x00, 0x04, 0x01, 0x01, 0xaa, 0x01, 0xbb};
	/* resumption PSK: psktype, usage, group id, epoch, nonce */
	uint8_t res[] = {0x00, 0x04, 0x02, 0x01, 0x01, 'g', 0, 0, 0, 0, 0, 0, 0, 1, 0x00};
	/* commit: one by-reference proposal, no path */
	uint8_t commit[] = {0x03, 0x02, 0x01, 0xee, 0x00};
	size_t left;

	(void)state;
	assert_int_equal(decode_rc(remove, sizeof(remove), rt_proposal, &left), 0);
	assert_int_equal(left, 0);
	remove[1] = 0;
	assert_int_equal(decode_rc(remove, sizeof(remove), rt_proposal, NULL), -EBADMSG);
	remove[1] = 8;
	assert_int_equal(decode_rc(remove, sizeof(remove), rt_proposal, NULL), -EPROTONOSUPPORT);
	remove[0] = 0xff;
	remove[1] = 0xff;
	assert_int_equal(decode_rc(remove, sizeof(remove), rt_proposal, NULL), -EPROTONOSUPPORT);

	assert_int_equal(decode_rc(psk, sizeof(psk), rt_proposal, &left), 0);
	assert_int_equal(left, 0);
	psk[2] = 0;
	assert_int_equal(decode_rc(psk, sizeof(psk), rt_proposal, NULL), -EBADMSG);
	psk[2] = 3;
	assert_int_equal(decode_rc(psk, sizeof(psk), rt_proposal, NULL), -EBADMSG);

	assert_int_equal(decode_rc(res, sizeof(res), rt_proposal, &left), 0);
	assert_int_equal(left, 0);
	res[3] = 0;
	assert_int_equal(decode_rc(res, sizeof(res), rt_proposal, NULL), -EBADMSG);
	res[3] = 4;
	assert_int_equal(decode_rc(res, sizeof(res), rt_proposal, NULL), -EBADMSG);

	assert_int_equal(decode_rc(commit, sizeof(commit), rt_commit, &left), 0);
	assert_int_equal(left, 0);
	commit[1] = 0;		/* ProposalOrRefType 0 */
	assert_int_equal(decode_rc(commit, sizeof(commit), rt_commit, NULL), -EBADMSG);
	commit[1] = 3;
	assert_int_equal(decode_rc(commit, sizeof(commit), rt_commit, NULL), -EBADMSG);
	commit[1] = 2;
	/* the element overruns its vector: the vector's body ends inside it */
	commit[0] = 0x02;
	assert_int_equal(decode_rc(commit, sizeof(commit), rt_commit, NULL), -EBADMSG);
	/* bytes left inside the vector after its elements */
	commit[0] = 0x04;
	assert_int_equal(decode_rc(commit, sizeof(commit), rt_commit, NULL), -EBADMSG);
}

static void test_bad_optional(void **state)
{
	uint8_t commit[] = {0x00, 0x00};
	uint8_t secrets[] = {0x01, 0xaa, 0x00, 0x00};
	uint8_t tree[] = {0x02, 0x01, 0x01};	/* one present node, type leaf, truncated */
	size_t left;

	(void)state;
	assert_int_equal(decode_rc(commit, sizeof(commit), rt_commit, &left), 0);
	assert_int_equal(left, 0);
	for (unsigned v = 2; v < 256; v++) {
		commit[1] = (uint8_t)v;
		assert_int_equal(decode_rc(commit, sizeof(commit), rt_commit, NULL), -EBADMSG);
	}
	assert_int_equal(decode_rc(secrets, sizeof(secrets), rt_group_secrets, &left), 0);
	assert_int_equal(left, 0);
	secrets[2] = 2;
	assert_int_equal(decode_rc(secrets, sizeof(secrets), rt_group_secrets, NULL), -EBADMSG);
	secrets[2] = 0xff;
	assert_int_equal(decode_rc(secrets, sizeof(secrets), rt_group_secrets, NULL), -EBADMSG);
	tree[1] = 2;
	assert_int_equal(decode_rc(tree, sizeof(tree), rt_ratchet_tree, NULL), -EBADMSG);
}

static void test_bad_tree(void **state)
{
	/* parent node body: key, parent hash, unmerged leaves */
	uint8_t parent_first[] = {0x06, 0x01, 0x02, 0x01, 0xaa, 0x00, 0x00};
	uint8_t blank_then_parent[] = {0x07, 0x00, 0x01, 0x02, 0x01, 0xaa, 0x00, 0x00};
	uint8_t bad_type[] = {0x07, 0x00, 0x01, 0x03, 0x01, 0xaa, 0x00, 0x00};
	uint8_t odd_unmerged[] = {0x0a, 0x00, 0x01, 0x02, 0x01, 0xaa, 0x00, 0x03, 0, 0, 0};
	uint8_t blanks[] = {0x03, 0x00, 0x00, 0x00};
	uint8_t empty[] = {0x00};
	size_t left;

	(void)state;
	assert_int_equal(decode_rc(parent_first, sizeof(parent_first), rt_ratchet_tree, NULL),
			 -EBADMSG);
	assert_int_equal(decode_rc(blank_then_parent, sizeof(blank_then_parent), rt_ratchet_tree,
				   &left), 0);
	assert_int_equal(left, 0);
	assert_int_equal(decode_rc(bad_type, sizeof(bad_type), rt_ratchet_tree, NULL), -EBADMSG);
	assert_int_equal(decode_rc(odd_unmerged, sizeof(odd_unmerged), rt_ratchet_tree, NULL),
			 -EBADMSG);
	/* trailing blanks are the tree code's business; an empty tree is not a tree */
	assert_int_equal(decode_rc(blanks, sizeof(blanks), rt_ratchet_tree, NULL), 0);
	assert_int_equal(decode_rc(empty, sizeof(empty), rt_ratchet_tree, NULL), -EBADMSG);
}

/* ---- TBS / TBM / AAD encoders -------------------------------------------- */

static void test_tbs_encoders(void **state)
{
	uint8_t full[4096], tbs[4096], want[4096];
	struct mls_writer w, wt;
	struct mls_leaf_node leaf;
	struct mls_key_package kp;
	struct mls_group_info gi;
	struct mls_group_context gc;
	struct mls_authenticated_content ac;
	struct mls_private_message pm = {BYTES("gid"), 0x1122334455667788ull,
		MLS_CONTENT_PROPOSAL, BYTES("ad"), BYTES("esd"), BYTES("ct")};
	size_t n;

	(void)state;
	/* LeafNodeTBS: the leaf without its signature, plus group_id and leaf_index */
	build_leaf(&leaf, MLS_LEAF_SOURCE_UPDATE);
	leaf.signature = (struct mls_bytes){NULL, 0};
	mls_writer_init(&w, full, sizeof(full));
	assert_int_equal(mls_leaf_node_encode(&w, &leaf), 0);
	n = mls_writer_len(&w) - 1;	/* drop the empty signature's length byte */
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_leaf_node_tbs_encode(&wt, &leaf, bs("gid"), 7), 0);
	assert_int_equal(mls_writer_len(&wt), n + 4 + 4);
	assert_memory_equal(tbs, full, n);
	assert_memory_equal(tbs + n, "\x03gid\x00\x00\x00\x07", 8);
	build_leaf(&leaf, MLS_LEAF_SOURCE_KEY_PACKAGE);
	leaf.signature = (struct mls_bytes){NULL, 0};
	mls_writer_init(&w, full, sizeof(full));
	assert_int_equal(mls_leaf_node_encode(&w, &leaf), 0);
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_leaf_node_tbs_encode(&wt, &leaf, bs("gid"), 7), 0);
	assert_int_equal(mls_writer_len(&wt), mls_writer_len(&w) - 1);
	assert_memory_equal(tbs, full, mls_writer_len(&wt));

	/* KeyPackageTBS and GroupInfoTBS: the structure without its signature */
	build_key_package(&kp, &leaf);
	kp.signature = (struct mls_bytes){NULL, 0};
	mls_writer_init(&w, full, sizeof(full));
	assert_int_equal(mls_key_package_encode(&w, &kp), 0);
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_key_package_tbs_encode(&wt, &kp), 0);
	assert_int_equal(mls_writer_len(&wt), mls_writer_len(&w) - 1);
	assert_memory_equal(tbs, full, mls_writer_len(&wt));
	memset(&gi, 0, sizeof(gi));
	build_group_context(&gi.group_context);
	gi.confirmation_tag = bs("tag");
	gi.signer = 1;
	mls_writer_init(&w, full, sizeof(full));
	assert_int_equal(mls_group_info_encode(&w, &gi), 0);
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_group_info_tbs_encode(&wt, &gi), 0);
	assert_int_equal(mls_writer_len(&wt), mls_writer_len(&w) - 1);
	assert_memory_equal(tbs, full, mls_writer_len(&wt));

	/* FramedContentTBS: version, wire format, content, context for members */
	build_group_context(&gc);
	memset(&ac, 0, sizeof(ac));
	ac.wire_format = MLS_WIRE_PUBLIC_MESSAGE;
	ac.content.group_id = bs("gid");
	ac.content.sender = (struct mls_sender){MLS_SENDER_MEMBER, 1};
	ac.content.content_type = MLS_CONTENT_APPLICATION;
	ac.content.application_data = bs("x");
	ac.auth.signature = bs("sig");
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_framed_content_tbs_encode(&wt, 1, &ac.content, NULL), -EINVAL);
	mls_writer_init(&w, want, sizeof(want));
	assert_int_equal(mls_write_u16(&w, 1), 0);
	assert_int_equal(mls_write_u16(&w, 1), 0);
	assert_int_equal(mls_framed_content_encode(&w, &ac.content), 0);
	assert_int_equal(mls_group_context_encode(&w, &gc), 0);
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_framed_content_tbs_encode(&wt, 1, &ac.content, &gc), 0);
	assert_int_equal(mls_writer_len(&wt), mls_writer_len(&w));
	assert_memory_equal(tbs, want, mls_writer_len(&w));
	/* AuthenticatedContentTBM: FramedContentTBS then the auth data */
	assert_int_equal(mls_auth_data_encode(&w, MLS_CONTENT_APPLICATION, &ac.auth), 0);
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_authenticated_content_tbm_encode(&wt, &ac, &gc), 0);
	assert_int_equal(mls_writer_len(&wt), mls_writer_len(&w));
	assert_memory_equal(tbs, want, mls_writer_len(&w));
	/* an external sender signs without the context */
	ac.content.sender = (struct mls_sender){MLS_SENDER_EXTERNAL, 0};
	mls_writer_init(&w, want, sizeof(want));
	assert_int_equal(mls_write_u16(&w, 1), 0);
	assert_int_equal(mls_write_u16(&w, 1), 0);
	assert_int_equal(mls_framed_content_encode(&w, &ac.content), 0);
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_framed_content_tbs_encode(&wt, 1, &ac.content, NULL), 0);
	assert_int_equal(mls_writer_len(&wt), mls_writer_len(&w));
	assert_memory_equal(tbs, want, mls_writer_len(&w));

	/* transcript hash inputs */
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_confirmed_transcript_hash_input_encode(&wt, &ac), -EINVAL);
	ac.content.content_type = MLS_CONTENT_COMMIT;
	memset(&ac.content.commit, 0, sizeof(ac.content.commit));
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_confirmed_transcript_hash_input_encode(&wt, &ac), 0);
	mls_writer_init(&w, want, sizeof(want));
	assert_int_equal(mls_write_u16(&w, 1), 0);
	assert_int_equal(mls_framed_content_encode(&w, &ac.content), 0);
	assert_int_equal(mls_write_opaque(&w, "sig", 3), 0);
	assert_int_equal(mls_writer_len(&wt), mls_writer_len(&w));
	assert_memory_equal(tbs, want, mls_writer_len(&w));
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_interim_transcript_hash_input_encode(&wt, bs("tag")), 0);
	assert_int_equal(mls_writer_len(&wt), 4);
	assert_memory_equal(tbs, "\x03tag", 4);

	/* AADs of a PrivateMessage */
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_private_content_aad_encode(&wt, &pm), 0);
	assert_int_equal(mls_writer_len(&wt), 4 + 8 + 1 + 3);
	assert_memory_equal(tbs, "\x03gid\x11\x22\x33\x44\x55\x66\x77\x88\x02\x02" "ad", 16);
	mls_writer_init(&wt, tbs, sizeof(tbs));
	assert_int_equal(mls_sender_data_aad_encode(&wt, &pm), 0);
	assert_int_equal(mls_writer_len(&wt), 4 + 8 + 1);
	assert_memory_equal(tbs, "\x03gid\x11\x22\x33\x44\x55\x66\x77\x88\x02", 13);

	/* PSKLabel */
	{
		struct mls_psk_id id = {MLS_PSK_EXTERNAL, BYTES("id"), 0, {NULL, 0}, 0, BYTES("n")};

		mls_writer_init(&wt, tbs, sizeof(tbs));
		assert_int_equal(mls_psk_label_encode(&wt, &id, 1, 2), 0);
		assert_int_equal(mls_writer_len(&wt), 1 + 3 + 2 + 4);
		assert_memory_equal(tbs, "\x01\x02id\x01n\x00\x01\x00\x02", 10);
	}
}

static void test_encoder_rejects(void **state)
{
	uint8_t buf[256];
	struct mls_writer w;
	struct mls_proposal p = {.type = 8};
	struct mls_credential c = {.type = 3};
	struct mls_leaf_node leaf;
	struct mls_message m = {.wire_format = 6};
	struct mls_node node = {MLS_NODE_LEAF, NULL, NULL};
	struct mls_sender s = {0, 0};
	struct mls_psk_id psk = {.type = MLS_PSK_RESUMPTION, .usage = 0};

	(void)state;
	mls_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mls_proposal_encode(&w, &p), -EINVAL);
	assert_int_equal(mls_credential_encode(&w, &c), -EINVAL);
	build_leaf(&leaf, 0);
	assert_int_equal(mls_leaf_node_encode(&w, &leaf), -EINVAL);
	assert_int_equal(mls_message_encode(&w, &m), -EINVAL);
	assert_int_equal(mls_node_encode(&w, &node), -EINVAL);
	assert_int_equal(mls_sender_encode(&w, &s), -EINVAL);
	assert_int_equal(mls_psk_id_encode(&w, &psk), -EINVAL);
	assert_int_equal(mls_writer_len(&w), 0);
}

/* ---- limits and the arena ------------------------------------------------ */

static void test_limits(void **state)
{
	size_t n = MLS_MSG_MAX_EXTENSIONS + 1, body = 3 * n;
	uint8_t *b = calloc(1, body + 4);
	struct mls_extension_list list;
	struct mls_key_package kp;
	struct mls_leaf_node leaf;
	struct mls_arena a;
	struct mls_reader r;
	struct mls_writer w;
	uint8_t *enc;
	size_t len;

	(void)state;
	assert_non_null(b);
	/* MAX + 1 empty extensions of type 0: one too many */
	mls_writer_init(&w, b, body + 4);
	assert_int_equal(mls_write_varint(&w, body), 0);
	len = mls_writer_len(&w);
	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, b, len + body);
	assert_int_equal(mls_extension_list_decode(&r, &a, &list), -E2BIG);
	mls_arena_cleanup(&a);
	/* exactly MAX is fine */
	mls_writer_init(&w, b, body + 4);
	assert_int_equal(mls_write_varint(&w, body - 3), 0);
	len = mls_writer_len(&w);
	mls_reader_init(&r, b, len + body - 3);
	assert_int_equal(mls_extension_list_decode(&r, &a, &list), 0);
	assert_int_equal(list.n, MLS_MSG_MAX_EXTENSIONS);
	assert_int_equal(mls_reader_left(&r), 0);
	mls_arena_cleanup(&a);
	free(b);

	/* an arena too small for a key package's arrays */
	build_key_package(&kp, &leaf);
	enc = encode_exact(enc_key_package, &kp, &len);
	for (size_t limit = 0; limit < 256; limit += 16) {
		mls_arena_init(&a, limit);
		mls_reader_init(&r, enc, len);
		assert_int_equal(mls_key_package_decode(&r, &a, &kp), -ENOMEM);
		assert_true(mls_arena_used(&a) <= limit);
		mls_arena_cleanup(&a);
	}
	free(enc);
}

static void test_arena(void **state)
{
	struct mls_arena a;
	uint32_t *v = NULL;
	size_t cap = 0;
	unsigned char *p;

	(void)state;
	mls_arena_init(&a, 1u << 20);
	assert_null(mls_arena_alloc(&a, 0));
	assert_int_equal(mls_arena_used(&a), 0);
	for (size_t size = 1; size < 3 * MLS_ARENA_CHUNK_MAX; size = size * 3 + 1) {
		p = mls_arena_alloc(&a, size);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		for (size_t i = 0; i < size; i++) {
			assert_int_equal(p[i], 0);
		}
		memset(p, 0xa5, size);
	}
	/* growing keeps the elements, zeroes the new room */
	for (uint32_t i = 0; i < 10000; i++) {
		v = mls_arena_grow(&a, v, i, &cap, sizeof(*v));
		assert_non_null(v);
		assert_true(cap > i);
		assert_int_equal(v[i], 0);
		v[i] = i;
	}
	for (uint32_t i = 0; i < 10000; i++) {
		assert_int_equal(v[i], i);
	}
	/* over the limit: NULL, and the arena stays usable */
	assert_null(mls_arena_alloc(&a, 2u << 20));
	assert_non_null(mls_arena_alloc(&a, 64));
	assert_true(mls_arena_used(&a) <= 1u << 20);
	mls_arena_cleanup(&a);
	assert_int_equal(mls_arena_used(&a), 0);
	assert_non_null(mls_arena_alloc(&a, 64));
	mls_arena_cleanup(&a);
	mls_arena_cleanup(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_node_sources),
		cmocka_unit_test(test_key_package),
		cmocka_unit_test(test_ratchet_tree),
		cmocka_unit_test(test_commit_and_update_path),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_group_secrets),
		cmocka_unit_test(test_small_structures),
		cmocka_unit_test(test_private_message_content),
		cmocka_unit_test(test_bad_leaf_and_credential),
		cmocka_unit_test(test_bad_framing),
		cmocka_unit_test(test_bad_proposals),
		cmocka_unit_test(test_bad_optional),
		cmocka_unit_test(test_bad_tree),
		cmocka_unit_test(test_tbs_encoders),
		cmocka_unit_test(test_encoder_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
