/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_msg.c - the RFC 9420 structures of proposals, commits, framing and
 * groups: PreSharedKeyID (section 8.4), Proposal and ProposalOrRef (12.1,
 * 12.4), Commit (12.4), Sender, FramedContent, FramedContentAuthData,
 * AuthenticatedContent and MLSMessage (6, 6.1), PublicMessage (6.2),
 * PrivateMessage and its content and sender data (6.3), GroupContext (8.1),
 * GroupInfo (12.4.3), GroupSecrets and Welcome (12.4.3.1), and the inputs
 * to signatures, MACs, transcript hashes and AEADs. The contract is in
 * mls_msg.h; leaves, key packages and trees are in mls_node.c.
 */
#include <errno.h>
#include <string.h>

#include "mls_msg.h"

/* ---- PreSharedKeyID, proposals ------------------------------------------ */

int mls_psk_id_decode(struct mls_reader *r, struct mls_arena *a, struct mls_psk_id *out)
{
	int rc;

	(void)a;
	memset(out, 0, sizeof(*out));
	rc = mls_read_u8(r, &out->type);
	if (rc < 0) {
		return rc;
	}
	if (out->type == MLS_PSK_EXTERNAL) {
		rc = mls_opaque_decode(r, &out->psk_id);
	} else if (out->type == MLS_PSK_RESUMPTION) {
		rc = mls_read_u8(r, &out->usage);
		if (rc < 0) {
			return rc;
		}
		if (out->usage < MLS_RESUMPTION_APPLICATION || out->usage > MLS_RESUMPTION_BRANCH) {
			return -EBADMSG;
		}
		rc = mls_opaque_decode(r, &out->psk_group_id);
		if (rc < 0) {
			return rc;
		}
		rc = mls_read_u64(r, &out->psk_epoch);
	} else {
		return -EBADMSG;
	}
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_decode(r, &out->psk_nonce);
}

int mls_psk_id_encode(struct mls_writer *w, const struct mls_psk_id *in)
{
	int rc;

	if (in->type == MLS_PSK_EXTERNAL) {
		rc = mls_write_u8(w, in->type);
		if (rc < 0) {
			return rc;
		}
		rc = mls_opaque_encode(w, in->psk_id);
	} else if (in->type == MLS_PSK_RESUMPTION) {
		if (in->usage < MLS_RESUMPTION_APPLICATION || in->usage > MLS_RESUMPTION_BRANCH) {
			return -EINVAL;
		}
		rc = mls_write_u8(w, in->type);
		if (rc < 0) {
			return rc;
		}
		rc = mls_write_u8(w, in->usage);
		if (rc < 0) {
			return rc;
		}
		rc = mls_opaque_encode(w, in->psk_group_id);
		if (rc < 0) {
			return rc;
		}
		rc = mls_write_u64(w, in->psk_epoch);
	} else {
		return -EINVAL;
	}
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, in->psk_nonce);
}

int mls_psk_label_encode(struct mls_writer *w, const struct mls_psk_id *id, uint16_t index,
			 uint16_t count)
{
	int rc;

	rc = mls_psk_id_encode(w, id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u16(w, index);
	if (rc < 0) {
		return rc;
	}
	return mls_write_u16(w, count);
}

int mls_reinit_decode(struct mls_reader *r, struct mls_arena *a, struct mls_reinit *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_opaque_decode(r, &out->group_id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u16(r, &out->version);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u16(r, &out->cipher_suite);
	if (rc < 0) {
		return rc;
	}
	return mls_extension_list_decode(r, a, &out->extensions);
}

int mls_reinit_encode(struct mls_writer *w, const struct mls_reinit *in)
{
	int rc;

	rc = mls_opaque_encode(w, in->group_id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u16(w, in->version);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u16(w, in->cipher_suite);
	if (rc < 0) {
		return rc;
	}
	return mls_extension_list_encode(w, &in->extensions);
}

int mls_proposal_body_decode(struct mls_reader *r, struct mls_arena *a, uint16_t type,
			     struct mls_proposal *out)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	switch (type) {
	case MLS_PROPOSAL_ADD:
		return mls_key_package_decode(r, a, &out->add);
	case MLS_PROPOSAL_UPDATE:
		return mls_leaf_node_decode(r, a, &out->update);
	case MLS_PROPOSAL_REMOVE:
		return mls_read_u32(r, &out->remove);
	case MLS_PROPOSAL_PSK:
		return mls_psk_id_decode(r, a, &out->psk);
	case MLS_PROPOSAL_REINIT:
		return mls_reinit_decode(r, a, &out->reinit);
	case MLS_PROPOSAL_EXTERNAL_INIT:
		return mls_opaque_decode(r, &out->external_init);
	case MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS:
		return mls_extension_list_decode(r, a, &out->group_context_extensions);
	case 0:
		return -EBADMSG;
	default:
		/* no length prefix: an unknown proposal cannot be skipped */
		return -EPROTONOSUPPORT;
	}
}

int mls_proposal_body_encode(struct mls_writer *w, const struct mls_proposal *in)
{
	switch (in->type) {
	case MLS_PROPOSAL_ADD:
		return mls_key_package_encode(w, &in->add);
	case MLS_PROPOSAL_UPDATE:
		return mls_leaf_node_encode(w, &in->update);
	case MLS_PROPOSAL_REMOVE:
		return mls_write_u32(w, in->remove);
	case MLS_PROPOSAL_PSK:
		return mls_psk_id_encode(w, &in->psk);
	case MLS_PROPOSAL_REINIT:
		return mls_reinit_encode(w, &in->reinit);
	case MLS_PROPOSAL_EXTERNAL_INIT:
		return mls_opaque_encode(w, in->external_init);
	case MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS:
		return mls_extension_list_encode(w, &in->group_context_extensions);
	default:
		return -EINVAL;
	}
}

int mls_proposal_decode(struct mls_reader *r, struct mls_arena *a, struct mls_proposal *out)
{
	uint16_t type;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_read_u16(r, &type);
	if (rc < 0) {
		return rc;
	}
	return mls_proposal_body_decode(r, a, type, out);
}

int mls_proposal_encode(struct mls_writer *w, const struct mls_proposal *in)
{
	int rc;

	if (in->type < MLS_PROPOSAL_ADD || in->type > MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS) {
		return -EINVAL;
	}
	rc = mls_write_u16(w, in->type);
	if (rc < 0) {
		return rc;
	}
	return mls_proposal_body_encode(w, in);
}

int mls_proposal_or_ref_decode(struct mls_reader *r, struct mls_arena *a,
			       struct mls_proposal_or_ref *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_read_u8(r, &out->type);
	if (rc < 0) {
		return rc;
	}
	if (out->type == MLS_PROPOSAL_OR_REF_PROPOSAL) {
		return mls_proposal_decode(r, a, &out->proposal);
	}
	if (out->type == MLS_PROPOSAL_OR_REF_REFERENCE) {
		return mls_opaque_decode(r, &out->reference);
	}
	return -EBADMSG;
}

int mls_proposal_or_ref_encode(struct mls_writer *w, const struct mls_proposal_or_ref *in)
{
	int rc;

	if (in->type != MLS_PROPOSAL_OR_REF_PROPOSAL && in->type != MLS_PROPOSAL_OR_REF_REFERENCE) {
		return -EINVAL;
	}
	rc = mls_write_u8(w, in->type);
	if (rc < 0) {
		return rc;
	}
	if (in->type == MLS_PROPOSAL_OR_REF_PROPOSAL) {
		return mls_proposal_encode(w, &in->proposal);
	}
	return mls_opaque_encode(w, in->reference);
}

static int dec_proposal_or_ref(struct mls_reader *r, struct mls_arena *a, void *out)
{
	return mls_proposal_or_ref_decode(r, a, out);
}

/* read_presence reads the presence byte of an optional<T>: 0 or 1, anything else is malformed. */
static int read_presence(struct mls_reader *r, bool *present)
{
	uint8_t b;
	int rc;

	rc = mls_read_u8(r, &b);
	if (rc < 0) {
		return rc;
	}
	if (b > 1) {
		return -EBADMSG;
	}
	*present = b == 1;
	return 0;
}

int mls_commit_decode(struct mls_reader *r, struct mls_arena *a, struct mls_commit *out)
{
	void *v;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_msg_read_vector(r, a, sizeof(struct mls_proposal_or_ref), MLS_MSG_MAX_PROPOSALS,
				 dec_proposal_or_ref, &v, &out->n_proposals);
	if (rc < 0) {
		return rc;
	}
	out->proposals = v;
	rc = read_presence(r, &out->has_path);
	if (rc < 0 || !out->has_path) {
		return rc;
	}
	return mls_update_path_decode(r, a, &out->path);
}

int mls_commit_encode(struct mls_writer *w, const struct mls_commit *in)
{
	struct mls_vector_mark m;
	int rc;

	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n_proposals; i++) {
		rc = mls_proposal_or_ref_encode(w, &in->proposals[i]);
		if (rc < 0) {
			return rc;
		}
	}
	rc = mls_write_vector_end(w, &m);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u8(w, in->has_path ? 1 : 0);
	if (rc < 0 || !in->has_path) {
		return rc;
	}
	return mls_update_path_encode(w, &in->path);
}

/* ---- framing ------------------------------------------------------------ */

int mls_sender_decode(struct mls_reader *r, struct mls_arena *a, struct mls_sender *out)
{
	int rc;

	(void)a;
	out->index = 0;
	rc = mls_read_u8(r, &out->type);
	if (rc < 0) {
		return rc;
	}
	switch (out->type) {
	case MLS_SENDER_MEMBER:
	case MLS_SENDER_EXTERNAL:
		return mls_read_u32(r, &out->index);
	case MLS_SENDER_NEW_MEMBER_PROPOSAL:
	case MLS_SENDER_NEW_MEMBER_COMMIT:
		return 0;
	default:
		return -EBADMSG;
	}
}

int mls_sender_encode(struct mls_writer *w, const struct mls_sender *in)
{
	int rc;

	if (in->type < MLS_SENDER_MEMBER || in->type > MLS_SENDER_NEW_MEMBER_COMMIT) {
		return -EINVAL;
	}
	rc = mls_write_u8(w, in->type);
	if (rc < 0) {
		return rc;
	}
	if (in->type == MLS_SENDER_MEMBER || in->type == MLS_SENDER_EXTERNAL) {
		return mls_write_u32(w, in->index);
	}
	return 0;
}

static bool content_type_valid(uint8_t t)
{
	return t >= MLS_CONTENT_APPLICATION && t <= MLS_CONTENT_COMMIT;
}

/*
 * content_decode reads the body selected by |type| (opaque application
 * data, a Proposal or a Commit) into the matching member of |out|.
 */
static int content_decode(struct mls_reader *r, struct mls_arena *a, uint8_t type,
			  struct mls_bytes *app, struct mls_proposal *proposal,
			  struct mls_commit *commit)
{
	switch (type) {
	case MLS_CONTENT_APPLICATION:
		return mls_opaque_decode(r, app);
	case MLS_CONTENT_PROPOSAL:
		return mls_proposal_decode(r, a, proposal);
	case MLS_CONTENT_COMMIT:
		return mls_commit_decode(r, a, commit);
	default:
		return -EBADMSG;
	}
}

static int content_encode(struct mls_writer *w, uint8_t type, const struct mls_bytes *app,
			  const struct mls_proposal *proposal, const struct mls_commit *commit)
{
	switch (type) {
	case MLS_CONTENT_APPLICATION:
		return mls_opaque_encode(w, *app);
	case MLS_CONTENT_PROPOSAL:
		return mls_proposal_encode(w, proposal);
	case MLS_CONTENT_COMMIT:
		return mls_commit_encode(w, commit);
	default:
		return -EINVAL;
	}
}

int mls_framed_content_decode(struct mls_reader *r, struct mls_arena *a,
			      struct mls_framed_content *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_opaque_decode(r, &out->group_id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u64(r, &out->epoch);
	if (rc < 0) {
		return rc;
	}
	rc = mls_sender_decode(r, a, &out->sender);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->authenticated_data);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u8(r, &out->content_type);
	if (rc < 0) {
		return rc;
	}
	return content_decode(r, a, out->content_type, &out->application_data, &out->proposal,
			      &out->commit);
}

int mls_framed_content_encode(struct mls_writer *w, const struct mls_framed_content *in)
{
	int rc;

	if (!content_type_valid(in->content_type)) {
		return -EINVAL;
	}
	rc = mls_opaque_encode(w, in->group_id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u64(w, in->epoch);
	if (rc < 0) {
		return rc;
	}
	rc = mls_sender_encode(w, &in->sender);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->authenticated_data);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u8(w, in->content_type);
	if (rc < 0) {
		return rc;
	}
	return content_encode(w, in->content_type, &in->application_data, &in->proposal,
			      &in->commit);
}

int mls_auth_data_decode(struct mls_reader *r, struct mls_arena *a, uint8_t content_type,
			 struct mls_auth_data *out)
{
	int rc;

	(void)a;
	memset(out, 0, sizeof(*out));
	if (!content_type_valid(content_type)) {
		return -EBADMSG;
	}
	rc = mls_opaque_decode(r, &out->signature);
	if (rc < 0 || content_type != MLS_CONTENT_COMMIT) {
		return rc;
	}
	return mls_opaque_decode(r, &out->confirmation_tag);
}

int mls_auth_data_encode(struct mls_writer *w, uint8_t content_type, const struct mls_auth_data *in)
{
	int rc;

	if (!content_type_valid(content_type)) {
		return -EINVAL;
	}
	rc = mls_opaque_encode(w, in->signature);
	if (rc < 0 || content_type != MLS_CONTENT_COMMIT) {
		return rc;
	}
	return mls_opaque_encode(w, in->confirmation_tag);
}

/* read_version reads a ProtocolVersion the RFC fixes to mls10. */
static int read_version(struct mls_reader *r)
{
	uint16_t v;
	int rc;

	rc = mls_read_u16(r, &v);
	if (rc < 0) {
		return rc;
	}
	if (v == MLS_VERSION_MLS10) {
		return 0;
	}
	return v == 0 ? -EBADMSG : -EPROTONOSUPPORT;
}

int mls_authenticated_content_decode(struct mls_reader *r, struct mls_arena *a,
				     struct mls_authenticated_content *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_read_u16(r, &out->wire_format);
	if (rc < 0) {
		return rc;
	}
	if (out->wire_format != MLS_WIRE_PUBLIC_MESSAGE &&
	    out->wire_format != MLS_WIRE_PRIVATE_MESSAGE) {
		return -EBADMSG;
	}
	rc = mls_framed_content_decode(r, a, &out->content);
	if (rc < 0) {
		return rc;
	}
	return mls_auth_data_decode(r, a, out->content.content_type, &out->auth);
}

int mls_authenticated_content_encode(struct mls_writer *w,
				     const struct mls_authenticated_content *in)
{
	int rc;

	if (in->wire_format != MLS_WIRE_PUBLIC_MESSAGE &&
	    in->wire_format != MLS_WIRE_PRIVATE_MESSAGE) {
		return -EINVAL;
	}
	rc = mls_write_u16(w, in->wire_format);
	if (rc < 0) {
		return rc;
	}
	rc = mls_framed_content_encode(w, &in->content);
	if (rc < 0) {
		return rc;
	}
	return mls_auth_data_encode(w, in->content.content_type, &in->auth);
}

int mls_public_message_decode(struct mls_reader *r, struct mls_arena *a,
			      struct mls_public_message *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_framed_content_decode(r, a, &out->content);
	if (rc < 0) {
		return rc;
	}
	rc = mls_auth_data_decode(r, a, out->content.content_type, &out->auth);
	if (rc < 0 || out->content.sender.type != MLS_SENDER_MEMBER) {
		return rc;
	}
	return mls_opaque_decode(r, &out->membership_tag);
}

int mls_public_message_encode(struct mls_writer *w, const struct mls_public_message *in)
{
	int rc;

	rc = mls_framed_content_encode(w, &in->content);
	if (rc < 0) {
		return rc;
	}
	rc = mls_auth_data_encode(w, in->content.content_type, &in->auth);
	if (rc < 0 || in->content.sender.type != MLS_SENDER_MEMBER) {
		return rc;
	}
	return mls_opaque_encode(w, in->membership_tag);
}

int mls_private_message_decode(struct mls_reader *r, struct mls_arena *a,
			       struct mls_private_message *out)
{
	int rc;

	(void)a;
	memset(out, 0, sizeof(*out));
	rc = mls_opaque_decode(r, &out->group_id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u64(r, &out->epoch);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u8(r, &out->content_type);
	if (rc < 0) {
		return rc;
	}
	if (!content_type_valid(out->content_type)) {
		return -EBADMSG;
	}
	rc = mls_opaque_decode(r, &out->authenticated_data);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->encrypted_sender_data);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_decode(r, &out->ciphertext);
}

/*
 * private_header_encode appends group_id, epoch and content_type, then
 * authenticated_data when |ad| is true.
 */
static int private_header_encode(struct mls_writer *w, const struct mls_private_message *in,
				 bool ad)
{
	int rc;

	if (!content_type_valid(in->content_type)) {
		return -EINVAL;
	}
	rc = mls_opaque_encode(w, in->group_id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u64(w, in->epoch);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u8(w, in->content_type);
	if (rc < 0 || !ad) {
		return rc;
	}
	return mls_opaque_encode(w, in->authenticated_data);
}

int mls_private_message_encode(struct mls_writer *w, const struct mls_private_message *in)
{
	int rc;

	rc = private_header_encode(w, in, true);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->encrypted_sender_data);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, in->ciphertext);
}

int mls_private_message_content_decode(struct mls_reader *r, struct mls_arena *a,
				       uint8_t content_type,
				       struct mls_private_message_content *out)
{
	const uint8_t *pad;
	uint8_t acc = 0;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	out->content_type = content_type;
	rc = content_decode(r, a, content_type, &out->application_data, &out->proposal,
			    &out->commit);
	if (rc < 0) {
		return rc;
	}
	rc = mls_auth_data_decode(r, a, content_type, &out->auth);
	if (rc < 0) {
		return rc;
	}
	/* section 6.3.1: the padding is the rest, and it must be all zero */
	n = mls_reader_left(r);
	rc = mls_read_bytes(r, n, &pad);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		acc |= pad[i];
	}
	if (acc != 0) {
		return -EBADMSG;
	}
	out->padding = n;
	return 0;
}

int mls_private_message_content_encode(struct mls_writer *w,
				       const struct mls_private_message_content *in)
{
	static const uint8_t zeros[64];
	size_t left = in->padding;
	int rc;

	rc = content_encode(w, in->content_type, &in->application_data, &in->proposal, &in->commit);
	if (rc < 0) {
		return rc;
	}
	rc = mls_auth_data_encode(w, in->content_type, &in->auth);
	if (rc < 0) {
		return rc;
	}
	while (left > 0) {
		size_t k = left < sizeof(zeros) ? left : sizeof(zeros);

		rc = mls_write_bytes(w, zeros, k);
		if (rc < 0) {
			return rc;
		}
		left -= k;
	}
	return 0;
}

int mls_sender_data_decode(struct mls_reader *r, struct mls_arena *a, struct mls_sender_data *out)
{
	const uint8_t *g;
	int rc;

	(void)a;
	rc = mls_read_u32(r, &out->leaf_index);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u32(r, &out->generation);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_bytes(r, sizeof(out->reuse_guard), &g);
	if (rc < 0) {
		return rc;
	}
	memcpy(out->reuse_guard, g, sizeof(out->reuse_guard));
	return 0;
}

int mls_sender_data_encode(struct mls_writer *w, const struct mls_sender_data *in)
{
	int rc;

	rc = mls_write_u32(w, in->leaf_index);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u32(w, in->generation);
	if (rc < 0) {
		return rc;
	}
	return mls_write_bytes(w, in->reuse_guard, sizeof(in->reuse_guard));
}

/* ---- groups ------------------------------------------------------------- */

int mls_group_context_decode(struct mls_reader *r, struct mls_arena *a,
			     struct mls_group_context *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_version(r);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u16(r, &out->cipher_suite);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->group_id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u64(r, &out->epoch);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->tree_hash);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->confirmed_transcript_hash);
	if (rc < 0) {
		return rc;
	}
	return mls_extension_list_decode(r, a, &out->extensions);
}

int mls_group_context_encode(struct mls_writer *w, const struct mls_group_context *in)
{
	int rc;

	rc = mls_write_u16(w, MLS_VERSION_MLS10);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u16(w, in->cipher_suite);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->group_id);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u64(w, in->epoch);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->tree_hash);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->confirmed_transcript_hash);
	if (rc < 0) {
		return rc;
	}
	return mls_extension_list_encode(w, &in->extensions);
}

int mls_group_info_decode(struct mls_reader *r, struct mls_arena *a, struct mls_group_info *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_group_context_decode(r, a, &out->group_context);
	if (rc < 0) {
		return rc;
	}
	rc = mls_extension_list_decode(r, a, &out->extensions);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->confirmation_tag);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u32(r, &out->signer);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_decode(r, &out->signature);
}

int mls_group_info_tbs_encode(struct mls_writer *w, const struct mls_group_info *in)
{
	int rc;

	rc = mls_group_context_encode(w, &in->group_context);
	if (rc < 0) {
		return rc;
	}
	rc = mls_extension_list_encode(w, &in->extensions);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->confirmation_tag);
	if (rc < 0) {
		return rc;
	}
	return mls_write_u32(w, in->signer);
}

int mls_group_info_encode(struct mls_writer *w, const struct mls_group_info *in)
{
	int rc;

	rc = mls_group_info_tbs_encode(w, in);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, in->signature);
}

static int dec_psk_id(struct mls_reader *r, struct mls_arena *a, void *out)
{
	return mls_psk_id_decode(r, a, out);
}

int mls_group_secrets_decode(struct mls_reader *r, struct mls_arena *a,
			     struct mls_group_secrets *out)
{
	void *v;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_opaque_decode(r, &out->joiner_secret);
	if (rc < 0) {
		return rc;
	}
	rc = read_presence(r, &out->has_path_secret);
	if (rc < 0) {
		return rc;
	}
	if (out->has_path_secret) {
		/* PathSecret is struct { opaque path_secret<V>; } */
		rc = mls_opaque_decode(r, &out->path_secret);
		if (rc < 0) {
			return rc;
		}
	}
	rc = mls_msg_read_vector(r, a, sizeof(struct mls_psk_id), MLS_MSG_MAX_PSKS, dec_psk_id, &v,
				 &out->n_psks);
	if (rc < 0) {
		return rc;
	}
	out->psks = v;
	return 0;
}

int mls_group_secrets_encode(struct mls_writer *w, const struct mls_group_secrets *in)
{
	struct mls_vector_mark m;
	int rc;

	rc = mls_opaque_encode(w, in->joiner_secret);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u8(w, in->has_path_secret ? 1 : 0);
	if (rc < 0) {
		return rc;
	}
	if (in->has_path_secret) {
		rc = mls_opaque_encode(w, in->path_secret);
		if (rc < 0) {
			return rc;
		}
	}
	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n_psks; i++) {
		rc = mls_psk_id_encode(w, &in->psks[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_write_vector_end(w, &m);
}

int mls_encrypted_group_secrets_decode(struct mls_reader *r, struct mls_arena *a,
				       struct mls_encrypted_group_secrets *out)
{
	int rc;

	rc = mls_opaque_decode(r, &out->new_member);
	if (rc < 0) {
		return rc;
	}
	return mls_hpke_ciphertext_decode(r, a, &out->encrypted_group_secrets);
}

int mls_encrypted_group_secrets_encode(struct mls_writer *w,
				       const struct mls_encrypted_group_secrets *in)
{
	int rc;

	rc = mls_opaque_encode(w, in->new_member);
	if (rc < 0) {
		return rc;
	}
	return mls_hpke_ciphertext_encode(w, &in->encrypted_group_secrets);
}

static int dec_encrypted_group_secrets(struct mls_reader *r, struct mls_arena *a, void *out)
{
	return mls_encrypted_group_secrets_decode(r, a, out);
}

int mls_welcome_decode(struct mls_reader *r, struct mls_arena *a, struct mls_welcome *out)
{
	void *v;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_read_u16(r, &out->cipher_suite);
	if (rc < 0) {
		return rc;
	}
	rc = mls_msg_read_vector(r, a, sizeof(struct mls_encrypted_group_secrets),
				 MLS_MSG_MAX_LEAVES, dec_encrypted_group_secrets, &v,
				 &out->n_secrets);
	if (rc < 0) {
		return rc;
	}
	out->secrets = v;
	return mls_opaque_decode(r, &out->encrypted_group_info);
}

int mls_welcome_encode(struct mls_writer *w, const struct mls_welcome *in)
{
	struct mls_vector_mark m;
	int rc;

	rc = mls_write_u16(w, in->cipher_suite);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n_secrets; i++) {
		rc = mls_encrypted_group_secrets_encode(w, &in->secrets[i]);
		if (rc < 0) {
			return rc;
		}
	}
	rc = mls_write_vector_end(w, &m);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, in->encrypted_group_info);
}

int mls_message_decode(struct mls_reader *r, struct mls_arena *a, struct mls_message *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_version(r);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u16(r, &out->wire_format);
	if (rc < 0) {
		return rc;
	}
	switch (out->wire_format) {
	case MLS_WIRE_PUBLIC_MESSAGE:
		return mls_public_message_decode(r, a, &out->public_message);
	case MLS_WIRE_PRIVATE_MESSAGE:
		return mls_private_message_decode(r, a, &out->private_message);
	case MLS_WIRE_WELCOME:
		return mls_welcome_decode(r, a, &out->welcome);
	case MLS_WIRE_GROUP_INFO:
		return mls_group_info_decode(r, a, &out->group_info);
	case MLS_WIRE_KEY_PACKAGE:
		return mls_key_package_decode(r, a, &out->key_package);
	case 0:
		return -EBADMSG;
	default:
		return -EPROTONOSUPPORT;
	}
}

int mls_message_encode(struct mls_writer *w, const struct mls_message *in)
{
	int rc;

	if (in->wire_format < MLS_WIRE_PUBLIC_MESSAGE || in->wire_format > MLS_WIRE_KEY_PACKAGE) {
		return -EINVAL;
	}
	rc = mls_write_u16(w, MLS_VERSION_MLS10);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u16(w, in->wire_format);
	if (rc < 0) {
		return rc;
	}
	switch (in->wire_format) {
	case MLS_WIRE_PUBLIC_MESSAGE:
		return mls_public_message_encode(w, &in->public_message);
	case MLS_WIRE_PRIVATE_MESSAGE:
		return mls_private_message_encode(w, &in->private_message);
	case MLS_WIRE_WELCOME:
		return mls_welcome_encode(w, &in->welcome);
	case MLS_WIRE_GROUP_INFO:
		return mls_group_info_encode(w, &in->group_info);
	default:
		return mls_key_package_encode(w, &in->key_package);
	}
}

/* ---- inputs to signatures, MACs, hashes and AEADs ----------------------- */

int mls_framed_content_tbs_encode(struct mls_writer *w, uint16_t wire_format,
				  const struct mls_framed_content *content,
				  const struct mls_group_context *context)
{
	bool with_context = content->sender.type == MLS_SENDER_MEMBER ||
			    content->sender.type == MLS_SENDER_NEW_MEMBER_COMMIT;
	int rc;

	if (with_context && context == NULL) {
		return -EINVAL;
	}
	rc = mls_write_u16(w, MLS_VERSION_MLS10);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u16(w, wire_format);
	if (rc < 0) {
		return rc;
	}
	rc = mls_framed_content_encode(w, content);
	if (rc < 0 || !with_context) {
		return rc;
	}
	return mls_group_context_encode(w, context);
}

int mls_authenticated_content_tbm_encode(struct mls_writer *w,
					 const struct mls_authenticated_content *ac,
					 const struct mls_group_context *context)
{
	int rc;

	rc = mls_framed_content_tbs_encode(w, ac->wire_format, &ac->content, context);
	if (rc < 0) {
		return rc;
	}
	return mls_auth_data_encode(w, ac->content.content_type, &ac->auth);
}

int mls_confirmed_transcript_hash_input_encode(struct mls_writer *w,
					       const struct mls_authenticated_content *ac)
{
	int rc;

	if (ac->content.content_type != MLS_CONTENT_COMMIT) {
		return -EINVAL;
	}
	rc = mls_write_u16(w, ac->wire_format);
	if (rc < 0) {
		return rc;
	}
	rc = mls_framed_content_encode(w, &ac->content);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, ac->auth.signature);
}

int mls_interim_transcript_hash_input_encode(struct mls_writer *w,
					     struct mls_bytes confirmation_tag)
{
	return mls_opaque_encode(w, confirmation_tag);
}

int mls_private_content_aad_encode(struct mls_writer *w, const struct mls_private_message *pm)
{
	return private_header_encode(w, pm, true);
}

int mls_sender_data_aad_encode(struct mls_writer *w, const struct mls_private_message *pm)
{
	return private_header_encode(w, pm, false);
}
