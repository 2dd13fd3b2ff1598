/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_messages.c - messages (RFC 9420 sections 2.1, 6, 10, 12): each of
 * the 17 fields of a case decodes as its structure (mls_msg.h), consuming
 * every byte, and encodes back to exactly the same bytes.
 *
 *  - mls_welcome, mls_group_info, mls_key_package: MLSMessage of that wire
 *    format;
 *  - ratchet_tree: optional<Node> ratchet_tree<V>; group_secrets;
 *  - add_proposal ... group_context_extensions_proposal: the bare proposal
 *    bodies (Add, Update, Remove, PreSharedKey, ReInit, ExternalInit,
 *    GroupContextExtensions), without proposal_type;
 *  - commit: Commit;
 *  - public_message_application/proposal/commit: MLSMessage holding a
 *    PublicMessage of that content type; private_message: MLSMessage
 *    holding a PrivateMessage.
 *
 * Signatures, MACs and ciphertexts are arbitrary bytes in this file, so
 * nothing is verified or decrypted.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mls/mls_msg.h"
#include "mls_vectors.h"

/* The arena of one field: far more than any field of the file needs. */
#define FIELD_ARENA_LIMIT (16u << 20)

/*
 * A field: |wire_format| is the MLSMessage wire format it must carry (0: not
 * an MLSMessage), |content_type| the PublicMessage content type it must
 * carry (0: any), else |proposal_type| the bare proposal body it is (0: it
 * is |decode|'s structure).
 */
struct field {
	const char *key;
	uint16_t wire_format;
	uint8_t content_type;
	uint16_t proposal_type;
	int (*round_trip)(const struct field *f, struct mls_reader *r, struct mls_arena *a,
			  struct mls_writer *w, struct mlsv_res *res);
};

static int rt_message(const struct field *f, struct mls_reader *r, struct mls_arena *a,
		      struct mls_writer *w, struct mlsv_res *res)
{
	struct mls_message m;
	int rc;

	rc = mls_message_decode(r, a, &m);
	if (rc < 0) {
		return rc;
	}
	if (m.wire_format != f->wire_format) {
		mlsv_fail(res, "%s: wire format %u, want %u", f->key, m.wire_format,
			  f->wire_format);
		return 0;
	}
	if (f->content_type != 0 && m.public_message.content.content_type != f->content_type) {
		mlsv_fail(res, "%s: content type %u, want %u", f->key,
			  m.public_message.content.content_type, f->content_type);
		return 0;
	}
	return mls_message_encode(w, &m);
}

static int rt_ratchet_tree(const struct field *f, struct mls_reader *r, struct mls_arena *a,
			   struct mls_writer *w, struct mlsv_res *res)
{
	struct mls_ratchet_tree t;
	int rc;

	(void)f;
	(void)res;
	rc = mls_ratchet_tree_decode(r, a, &t);
	if (rc < 0) {
		return rc;
	}
	return mls_ratchet_tree_encode(w, &t);
}

static int rt_group_secrets(const struct field *f, struct mls_reader *r, struct mls_arena *a,
			    struct mls_writer *w, struct mlsv_res *res)
{
	struct mls_group_secrets gs;
	int rc;

	(void)f;
	(void)res;
	rc = mls_group_secrets_decode(r, a, &gs);
	if (rc < 0) {
		return rc;
	}
	return mls_group_secrets_encode(w, &gs);
}

static int rt_proposal_body(const struct field *f, struct mls_reader *r, struct mls_arena *a,
			    struct mls_writer *w, struct mlsv_res *res)
{
	struct mls_proposal p;
	int rc;

	(void)res;
	rc = mls_proposal_body_decode(r, a, f->proposal_type, &p);
	if (rc < 0) {
		return rc;
	}
	return mls_proposal_body_encode(w, &p);
}

static int rt_commit(const struct field *f, struct mls_reader *r, struct mls_arena *a,
		     struct mls_writer *w, struct mlsv_res *res)
{
	struct mls_commit c;
	int rc;

	(void)f;
	(void)res;
	rc = mls_commit_decode(r, a, &c);
	if (rc < 0) {
		return rc;
	}
	return mls_commit_encode(w, &c);
}

static const struct field fields[] = {
	{"mls_welcome", MLS_WIRE_WELCOME, 0, 0, rt_message},
	{"mls_group_info", MLS_WIRE_GROUP_INFO, 0, 0, rt_message},
	{"mls_key_package", MLS_WIRE_KEY_PACKAGE, 0, 0, rt_message},
	{"ratchet_tree", 0, 0, 0, rt_ratchet_tree},
	{"group_secrets", 0, 0, 0, rt_group_secrets},
	{"add_proposal", 0, 0, MLS_PROPOSAL_ADD, rt_proposal_body},
	{"update_proposal", 0, 0, MLS_PROPOSAL_UPDATE, rt_proposal_body},
	{"remove_proposal", 0, 0, MLS_PROPOSAL_REMOVE, rt_proposal_body},
	{"pre_shared_key_proposal", 0, 0, MLS_PROPOSAL_PSK, rt_proposal_body},
	{"re_init_proposal", 0, 0, MLS_PROPOSAL_REINIT, rt_proposal_body},
	{"external_init_proposal", 0, 0, MLS_PROPOSAL_EXTERNAL_INIT, rt_proposal_body},
	{"group_context_extensions_proposal", 0, 0, MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS,
	 rt_proposal_body},
	{"commit", 0, 0, 0, rt_commit},
	{"public_message_application", MLS_WIRE_PUBLIC_MESSAGE, MLS_CONTENT_APPLICATION, 0,
	 rt_message},
	{"public_message_proposal", MLS_WIRE_PUBLIC_MESSAGE, MLS_CONTENT_PROPOSAL, 0, rt_message},
	{"public_message_commit", MLS_WIRE_PUBLIC_MESSAGE, MLS_CONTENT_COMMIT, 0, rt_message},
	{"private_message", MLS_WIRE_PRIVATE_MESSAGE, 0, 0, rt_message},
};

/* check_field round-trips one field of case |c|. */
static void check_field(const json_t *c, const struct field *f, struct mlsv_res *res)
{
	struct mls_arena arena;
	struct mls_reader r;
	struct mls_writer w;
	uint8_t *in, *out;
	size_t n;
	int rc;

	if (!mlsv_get_hex(c, f->key, &in, &n, res)) {
		return;
	}
	/* room for more than the input, so that a longer encoding shows as a mismatch */
	out = malloc(2 * n + 64);
	if (out == NULL) {
		mlsv_fail(res, "%s: out of memory", f->key);
		free(in);
		return;
	}
	mls_arena_init(&arena, FIELD_ARENA_LIMIT);
	mls_reader_init(&r, in, n);
	mls_writer_init(&w, out, 2 * n + 64);
	rc = f->round_trip(f, &r, &arena, &w, res);
	if (rc < 0) {
		mlsv_fail(res, "%s: %s at byte %zu of %zu", f->key, strerror(-rc), r.off, n);
	} else if (!res->failed && mls_reader_left(&r) != 0) {
		mlsv_fail(res, "%s: %zu of %zu bytes left after decoding", f->key,
			  mls_reader_left(&r), n);
	} else if (!res->failed) {
		mlsv_eq(res, f->key, out, mls_writer_len(&w), in, n);
	}
	mls_arena_cleanup(&arena);
	free(out);
	free(in);
}

static void run_messages(const json_t *c, struct mlsv_res *r)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		check_field(c, &fields[i], r);
	}
}

static bool detect_messages(const json_t *first)
{
	return json_object_get(first, "mls_welcome") != NULL;
}

const struct mlsv_kind mlsv_messages = {"messages", run_messages, detect_messages};
