/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_node.c - the RFC 9420 structures of members and the tree: Credential
 * (section 5.3), Extension (13), Capabilities, Lifetime and LeafNode (7.2),
 * KeyPackage (10), ParentNode (7.1), the ratchet tree (12.4.3.3),
 * HPKECiphertext and UpdatePath (7.6), and the bodies of the
 * required_capabilities (11.1) and external_senders (12.1.8.1) extensions.
 * Also the codec helpers mls_msg.c shares. The contract is in mls_msg.h.
 */
#include <errno.h>
#include <string.h>

#include "mls_msg.h"

/* ---- helpers ------------------------------------------------------------ */

int mls_opaque_decode(struct mls_reader *r, struct mls_bytes *out)
{
	const uint8_t *p;
	size_t n;
	int rc;

	rc = mls_read_opaque(r, &p, &n);
	if (rc < 0) {
		return rc;
	}
	out->p = n > 0 ? p : NULL;
	out->len = n;
	return 0;
}

int mls_opaque_encode(struct mls_writer *w, struct mls_bytes in)
{
	return mls_write_opaque(w, in.p, in.len);
}

int mls_msg_read_vector(struct mls_reader *r, struct mls_arena *a, size_t elem_size, size_t max,
			int (*decode)(struct mls_reader *, struct mls_arena *, void *), void **out,
			size_t *n)
{
	struct mls_reader sub;
	unsigned char *v = NULL;
	size_t count = 0, cap = 0;
	int rc;

	rc = mls_read_vector_begin(r, &sub);
	if (rc < 0) {
		return rc;
	}
	while (mls_reader_left(&sub) > 0) {
		if (count == max) {
			return -E2BIG;
		}
		v = mls_arena_grow(a, v, count, &cap, elem_size);
		if (v == NULL) {
			return -ENOMEM;
		}
		rc = decode(&sub, a, v + count * elem_size);
		if (rc < 0) {
			return rc;
		}
		count++;
	}
	*out = v;
	*n = count;
	return 0;
}

const struct mls_extension *mls_extension_find(const struct mls_extension_list *list, uint16_t type)
{
	for (size_t i = 0; i < list->n; i++) {
		if (list->v[i].type == type) {
			return &list->v[i];
		}
	}
	return NULL;
}

/*
 * read_fixed_list reads a vector of big-endian integers of |width| (2 or 4)
 * bytes each into an arena array: its body must be a whole number of them.
 */
static int read_fixed_list(struct mls_reader *r, struct mls_arena *a, size_t width, size_t max,
			   void **out, size_t *n)
{
	struct mls_reader sub;
	size_t count;
	int rc;

	rc = mls_read_vector_begin(r, &sub);
	if (rc < 0) {
		return rc;
	}
	if (sub.len % width != 0) {
		return -EBADMSG;
	}
	count = sub.len / width;
	*out = NULL;
	*n = 0;
	if (count == 0) {
		return 0;
	}
	if (count > max) {
		return -E2BIG;
	}
	if (width == 2) {
		uint16_t *v = mls_arena_alloc(a, count * sizeof(*v));

		if (v == NULL) {
			return -ENOMEM;
		}
		for (size_t i = 0; i < count; i++) {
			if (mls_read_u16(&sub, &v[i]) < 0) {
				return -EBADMSG;
			}
		}
		*out = v;
	} else {
		uint32_t *v = mls_arena_alloc(a, count * sizeof(*v));

		if (v == NULL) {
			return -ENOMEM;
		}
		for (size_t i = 0; i < count; i++) {
			if (mls_read_u32(&sub, &v[i]) < 0) {
				return -EBADMSG;
			}
		}
		*out = v;
	}
	*n = count;
	return 0;
}

/* ---- Credential, Extension, Capabilities, Lifetime ---------------------- */

static int dec_cert(struct mls_reader *r, struct mls_arena *a, void *out)
{
	(void)a;
	return mls_opaque_decode(r, out);
}

int mls_credential_decode(struct mls_reader *r, struct mls_arena *a, struct mls_credential *out)
{
	void *certs;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_read_u16(r, &out->type);
	if (rc < 0) {
		return rc;
	}
	switch (out->type) {
	case MLS_CREDENTIAL_BASIC:
		return mls_opaque_decode(r, &out->identity);
	case MLS_CREDENTIAL_X509:
		rc = mls_msg_read_vector(r, a, sizeof(struct mls_bytes), MLS_MSG_MAX_CERTS,
					 dec_cert, &certs, &out->n_certs);
		if (rc < 0) {
			return rc;
		}
		out->certs = certs;
		return 0;
	case 0:
		return -EBADMSG;
	default:
		/* no length prefix: an unknown credential cannot be skipped */
		return -EPROTONOSUPPORT;
	}
}

int mls_credential_encode(struct mls_writer *w, const struct mls_credential *in)
{
	struct mls_vector_mark m;
	int rc;

	if (in->type != MLS_CREDENTIAL_BASIC && in->type != MLS_CREDENTIAL_X509) {
		return -EINVAL;
	}
	rc = mls_write_u16(w, in->type);
	if (rc < 0) {
		return rc;
	}
	if (in->type == MLS_CREDENTIAL_BASIC) {
		return mls_opaque_encode(w, in->identity);
	}
	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n_certs; i++) {
		rc = mls_opaque_encode(w, in->certs[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_write_vector_end(w, &m);
}

int mls_extension_decode(struct mls_reader *r, struct mls_arena *a, struct mls_extension *out)
{
	int rc;

	(void)a;
	rc = mls_read_u16(r, &out->type);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_decode(r, &out->data);
}

int mls_extension_encode(struct mls_writer *w, const struct mls_extension *in)
{
	int rc;

	rc = mls_write_u16(w, in->type);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, in->data);
}

static int dec_extension(struct mls_reader *r, struct mls_arena *a, void *out)
{
	return mls_extension_decode(r, a, out);
}

int mls_extension_list_decode(struct mls_reader *r, struct mls_arena *a,
			      struct mls_extension_list *out)
{
	void *v;
	int rc;

	out->v = NULL;
	out->n = 0;
	rc = mls_msg_read_vector(r, a, sizeof(struct mls_extension), MLS_MSG_MAX_EXTENSIONS,
				 dec_extension, &v, &out->n);
	if (rc < 0) {
		return rc;
	}
	out->v = v;
	return 0;
}

int mls_extension_list_encode(struct mls_writer *w, const struct mls_extension_list *in)
{
	struct mls_vector_mark m;
	int rc;

	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n; i++) {
		rc = mls_extension_encode(w, &in->v[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_write_vector_end(w, &m);
}

int mls_u16_list_decode(struct mls_reader *r, struct mls_arena *a, struct mls_u16_list *out)
{
	void *v;
	int rc;

	out->v = NULL;
	out->n = 0;
	rc = read_fixed_list(r, a, 2, MLS_MSG_MAX_TYPES, &v, &out->n);
	if (rc < 0) {
		return rc;
	}
	out->v = v;
	return 0;
}

int mls_u16_list_encode(struct mls_writer *w, const struct mls_u16_list *in)
{
	int rc;

	if (in->n > MLS_VARINT_MAX / 2) {
		return -EINVAL;
	}
	rc = mls_write_varint(w, in->n * 2);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n; i++) {
		rc = mls_write_u16(w, in->v[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

int mls_capabilities_decode(struct mls_reader *r, struct mls_arena *a, struct mls_capabilities *out)
{
	struct mls_u16_list *lists[] = {&out->versions, &out->cipher_suites, &out->extensions,
					&out->proposals, &out->credentials};
	int rc;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		rc = mls_u16_list_decode(r, a, lists[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

int mls_capabilities_encode(struct mls_writer *w, const struct mls_capabilities *in)
{
	const struct mls_u16_list *lists[] = {&in->versions, &in->cipher_suites, &in->extensions,
					      &in->proposals, &in->credentials};
	int rc;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		rc = mls_u16_list_encode(w, lists[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

int mls_lifetime_decode(struct mls_reader *r, struct mls_arena *a, struct mls_lifetime *out)
{
	int rc;

	(void)a;
	rc = mls_read_u64(r, &out->not_before);
	if (rc < 0) {
		return rc;
	}
	return mls_read_u64(r, &out->not_after);
}

int mls_lifetime_encode(struct mls_writer *w, const struct mls_lifetime *in)
{
	int rc;

	rc = mls_write_u64(w, in->not_before);
	if (rc < 0) {
		return rc;
	}
	return mls_write_u64(w, in->not_after);
}

/* ---- LeafNode, KeyPackage ----------------------------------------------- */

int mls_leaf_node_decode(struct mls_reader *r, struct mls_arena *a, struct mls_leaf_node *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_opaque_decode(r, &out->encryption_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->signature_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_credential_decode(r, a, &out->credential);
	if (rc < 0) {
		return rc;
	}
	rc = mls_capabilities_decode(r, a, &out->capabilities);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u8(r, &out->source);
	if (rc < 0) {
		return rc;
	}
	switch (out->source) {
	case MLS_LEAF_SOURCE_KEY_PACKAGE:
		rc = mls_lifetime_decode(r, a, &out->lifetime);
		break;
	case MLS_LEAF_SOURCE_UPDATE:
		rc = 0;
		break;
	case MLS_LEAF_SOURCE_COMMIT:
		rc = mls_opaque_decode(r, &out->parent_hash);
		break;
	default:
		rc = -EBADMSG;
		break;
	}
	if (rc < 0) {
		return rc;
	}
	rc = mls_extension_list_decode(r, a, &out->extensions);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_decode(r, &out->signature);
}

/* leaf_core_encode appends a LeafNode's fields up to and including its extensions. */
static int leaf_core_encode(struct mls_writer *w, const struct mls_leaf_node *in)
{
	int rc;

	if (in->source < MLS_LEAF_SOURCE_KEY_PACKAGE || in->source > MLS_LEAF_SOURCE_COMMIT) {
		return -EINVAL;
	}
	rc = mls_opaque_encode(w, in->encryption_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->signature_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_credential_encode(w, &in->credential);
	if (rc < 0) {
		return rc;
	}
	rc = mls_capabilities_encode(w, &in->capabilities);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u8(w, in->source);
	if (rc < 0) {
		return rc;
	}
	if (in->source == MLS_LEAF_SOURCE_KEY_PACKAGE) {
		rc = mls_lifetime_encode(w, &in->lifetime);
	} else if (in->source == MLS_LEAF_SOURCE_COMMIT) {
		rc = mls_opaque_encode(w, in->parent_hash);
	}
	if (rc < 0) {
		return rc;
	}
	return mls_extension_list_encode(w, &in->extensions);
}

int mls_leaf_node_encode(struct mls_writer *w, const struct mls_leaf_node *in)
{
	int rc;

	rc = leaf_core_encode(w, in);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, in->signature);
}

int mls_leaf_node_tbs_encode(struct mls_writer *w, const struct mls_leaf_node *leaf,
			     struct mls_bytes group_id, uint32_t leaf_index)
{
	int rc;

	rc = leaf_core_encode(w, leaf);
	if (rc < 0) {
		return rc;
	}
	if (leaf->source == MLS_LEAF_SOURCE_KEY_PACKAGE) {
		return 0;
	}
	/* section 7.2: update and commit leaves are bound to the group and position */
	rc = mls_opaque_encode(w, group_id);
	if (rc < 0) {
		return rc;
	}
	return mls_write_u32(w, leaf_index);
}

int mls_key_package_decode(struct mls_reader *r, struct mls_arena *a, struct mls_key_package *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_read_u16(r, &out->version);
	if (rc < 0) {
		return rc;
	}
	rc = mls_read_u16(r, &out->cipher_suite);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->init_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_leaf_node_decode(r, a, &out->leaf_node);
	if (rc < 0) {
		return rc;
	}
	rc = mls_extension_list_decode(r, a, &out->extensions);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_decode(r, &out->signature);
}

int mls_key_package_tbs_encode(struct mls_writer *w, const struct mls_key_package *in)
{
	int rc;

	rc = mls_write_u16(w, in->version);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u16(w, in->cipher_suite);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->init_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_leaf_node_encode(w, &in->leaf_node);
	if (rc < 0) {
		return rc;
	}
	return mls_extension_list_encode(w, &in->extensions);
}

int mls_key_package_encode(struct mls_writer *w, const struct mls_key_package *in)
{
	int rc;

	rc = mls_key_package_tbs_encode(w, in);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, in->signature);
}

/* ---- ParentNode, Node, ratchet tree ------------------------------------- */

int mls_parent_node_decode(struct mls_reader *r, struct mls_arena *a, struct mls_parent_node *out)
{
	void *v;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_opaque_decode(r, &out->encryption_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_decode(r, &out->parent_hash);
	if (rc < 0) {
		return rc;
	}
	rc = read_fixed_list(r, a, 4, MLS_MSG_MAX_LEAVES, &v, &out->n_unmerged_leaves);
	if (rc < 0) {
		return rc;
	}
	out->unmerged_leaves = v;
	return 0;
}

int mls_parent_node_encode(struct mls_writer *w, const struct mls_parent_node *in)
{
	int rc;

	rc = mls_opaque_encode(w, in->encryption_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_opaque_encode(w, in->parent_hash);
	if (rc < 0) {
		return rc;
	}
	if (in->n_unmerged_leaves > MLS_VARINT_MAX / 4) {
		return -EINVAL;
	}
	rc = mls_write_varint(w, in->n_unmerged_leaves * 4);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n_unmerged_leaves; i++) {
		rc = mls_write_u32(w, in->unmerged_leaves[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

int mls_node_decode(struct mls_reader *r, struct mls_arena *a, struct mls_node *out)
{
	uint8_t present;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_read_u8(r, &present);
	if (rc < 0) {
		return rc;
	}
	if (present == 0) {
		return 0;
	}
	if (present != 1) {
		return -EBADMSG;
	}
	rc = mls_read_u8(r, &out->type);
	if (rc < 0) {
		return rc;
	}
	if (out->type == MLS_NODE_LEAF) {
		struct mls_leaf_node *leaf = mls_arena_alloc(a, sizeof(*leaf));

		if (leaf == NULL) {
			return -ENOMEM;
		}
		out->leaf = leaf;
		return mls_leaf_node_decode(r, a, leaf);
	}
	if (out->type == MLS_NODE_PARENT) {
		struct mls_parent_node *parent = mls_arena_alloc(a, sizeof(*parent));

		if (parent == NULL) {
			return -ENOMEM;
		}
		out->parent = parent;
		return mls_parent_node_decode(r, a, parent);
	}
	return -EBADMSG;
}

int mls_node_encode(struct mls_writer *w, const struct mls_node *in)
{
	int rc;

	if (in->type == 0) {
		return mls_write_u8(w, 0);
	}
	if ((in->type == MLS_NODE_LEAF && in->leaf == NULL) ||
	    (in->type == MLS_NODE_PARENT && in->parent == NULL) ||
	    (in->type != MLS_NODE_LEAF && in->type != MLS_NODE_PARENT)) {
		return -EINVAL;
	}
	rc = mls_write_u8(w, 1);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_u8(w, in->type);
	if (rc < 0) {
		return rc;
	}
	if (in->type == MLS_NODE_LEAF) {
		return mls_leaf_node_encode(w, in->leaf);
	}
	return mls_parent_node_encode(w, in->parent);
}

static int dec_node(struct mls_reader *r, struct mls_arena *a, void *out)
{
	return mls_node_decode(r, a, out);
}

int mls_ratchet_tree_decode(struct mls_reader *r, struct mls_arena *a, struct mls_ratchet_tree *out)
{
	const struct mls_node *nodes;
	void *v;
	int rc;

	out->nodes = NULL;
	out->n_nodes = 0;
	rc = mls_msg_read_vector(r, a, sizeof(struct mls_node), MLS_MSG_MAX_TREE_NODES, dec_node,
				 &v, &out->n_nodes);
	if (rc < 0) {
		return rc;
	}
	if (out->n_nodes == 0) {
		return -EBADMSG;
	}
	nodes = v;
	/* Appendix C: leaves sit at the even indices, parents at the odd ones */
	for (size_t i = 0; i < out->n_nodes; i++) {
		if (nodes[i].type != 0 &&
		    nodes[i].type != (i % 2 == 0 ? MLS_NODE_LEAF : MLS_NODE_PARENT)) {
			return -EBADMSG;
		}
	}
	out->nodes = nodes;
	return 0;
}

int mls_ratchet_tree_encode(struct mls_writer *w, const struct mls_ratchet_tree *in)
{
	struct mls_vector_mark m;
	int rc;

	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n_nodes; i++) {
		rc = mls_node_encode(w, &in->nodes[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_write_vector_end(w, &m);
}

/* ---- HPKECiphertext, UpdatePath ----------------------------------------- */

int mls_hpke_ciphertext_decode(struct mls_reader *r, struct mls_arena *a,
			       struct mls_hpke_ciphertext *out)
{
	int rc;

	(void)a;
	rc = mls_opaque_decode(r, &out->kem_output);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_decode(r, &out->ciphertext);
}

int mls_hpke_ciphertext_encode(struct mls_writer *w, const struct mls_hpke_ciphertext *in)
{
	int rc;

	rc = mls_opaque_encode(w, in->kem_output);
	if (rc < 0) {
		return rc;
	}
	return mls_opaque_encode(w, in->ciphertext);
}

static int dec_hpke_ciphertext(struct mls_reader *r, struct mls_arena *a, void *out)
{
	return mls_hpke_ciphertext_decode(r, a, out);
}

int mls_update_path_node_decode(struct mls_reader *r, struct mls_arena *a,
				struct mls_update_path_node *out)
{
	void *v;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_opaque_decode(r, &out->encryption_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_msg_read_vector(r, a, sizeof(struct mls_hpke_ciphertext), MLS_MSG_MAX_LEAVES,
				 dec_hpke_ciphertext, &v, &out->n_encrypted_path_secret);
	if (rc < 0) {
		return rc;
	}
	out->encrypted_path_secret = v;
	return 0;
}

int mls_update_path_node_encode(struct mls_writer *w, const struct mls_update_path_node *in)
{
	struct mls_vector_mark m;
	int rc;

	rc = mls_opaque_encode(w, in->encryption_key);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n_encrypted_path_secret; i++) {
		rc = mls_hpke_ciphertext_encode(w, &in->encrypted_path_secret[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_write_vector_end(w, &m);
}

static int dec_update_path_node(struct mls_reader *r, struct mls_arena *a, void *out)
{
	return mls_update_path_node_decode(r, a, out);
}

int mls_update_path_decode(struct mls_reader *r, struct mls_arena *a, struct mls_update_path *out)
{
	void *v;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mls_leaf_node_decode(r, a, &out->leaf_node);
	if (rc < 0) {
		return rc;
	}
	rc = mls_msg_read_vector(r, a, sizeof(struct mls_update_path_node), MLS_MSG_MAX_PATH,
				 dec_update_path_node, &v, &out->n_nodes);
	if (rc < 0) {
		return rc;
	}
	out->nodes = v;
	return 0;
}

int mls_update_path_encode(struct mls_writer *w, const struct mls_update_path *in)
{
	struct mls_vector_mark m;
	int rc;

	rc = mls_leaf_node_encode(w, &in->leaf_node);
	if (rc < 0) {
		return rc;
	}
	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n_nodes; i++) {
		rc = mls_update_path_node_encode(w, &in->nodes[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_write_vector_end(w, &m);
}

/* ---- extension bodies --------------------------------------------------- */

int mls_required_capabilities_decode(struct mls_reader *r, struct mls_arena *a,
				     struct mls_required_capabilities *out)
{
	int rc;

	rc = mls_u16_list_decode(r, a, &out->extension_types);
	if (rc < 0) {
		return rc;
	}
	rc = mls_u16_list_decode(r, a, &out->proposal_types);
	if (rc < 0) {
		return rc;
	}
	return mls_u16_list_decode(r, a, &out->credential_types);
}

int mls_required_capabilities_encode(struct mls_writer *w,
				     const struct mls_required_capabilities *in)
{
	int rc;

	rc = mls_u16_list_encode(w, &in->extension_types);
	if (rc < 0) {
		return rc;
	}
	rc = mls_u16_list_encode(w, &in->proposal_types);
	if (rc < 0) {
		return rc;
	}
	return mls_u16_list_encode(w, &in->credential_types);
}

int mls_external_sender_decode(struct mls_reader *r, struct mls_arena *a,
			       struct mls_external_sender *out)
{
	int rc;

	rc = mls_opaque_decode(r, &out->signature_key);
	if (rc < 0) {
		return rc;
	}
	return mls_credential_decode(r, a, &out->credential);
}

int mls_external_sender_encode(struct mls_writer *w, const struct mls_external_sender *in)
{
	int rc;

	rc = mls_opaque_encode(w, in->signature_key);
	if (rc < 0) {
		return rc;
	}
	return mls_credential_encode(w, &in->credential);
}

static int dec_external_sender(struct mls_reader *r, struct mls_arena *a, void *out)
{
	return mls_external_sender_decode(r, a, out);
}

int mls_external_sender_list_decode(struct mls_reader *r, struct mls_arena *a,
				    struct mls_external_sender_list *out)
{
	void *v;
	int rc;

	out->v = NULL;
	out->n = 0;
	rc = mls_msg_read_vector(r, a, sizeof(struct mls_external_sender),
				 MLS_MSG_MAX_EXTERNAL_SENDERS, dec_external_sender, &v, &out->n);
	if (rc < 0) {
		return rc;
	}
	out->v = v;
	return 0;
}

int mls_external_sender_list_encode(struct mls_writer *w, const struct mls_external_sender_list *in)
{
	struct mls_vector_mark m;
	int rc;

	rc = mls_write_vector_begin(w, &m);
	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < in->n; i++) {
		rc = mls_external_sender_encode(w, &in->v[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return mls_write_vector_end(w, &m);
}
