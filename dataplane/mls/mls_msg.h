/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_msg.h - the wire codec of the RFC 9420 structures: credentials,
 * leaf and parent nodes, key packages, ratchet trees, update paths,
 * proposals, commits, framing (PublicMessage, PrivateMessage and their
 * content), group context and group info, Welcome, MLSMessage, and the
 * "to be signed / MACed / hashed" inputs other modules feed to the crypto.
 * The constants are in mls_wire.h, the reader and writer in mls_codec.h.
 *
 * Implemented in two files: mls_node.c (credentials, extensions,
 * capabilities, LeafNode, KeyPackage, ParentNode, ratchet tree,
 * HPKECiphertext, UpdatePath and the extension bodies) and mls_msg.c
 * (PreSharedKeyID, proposals, Commit, framing, GroupContext, GroupInfo,
 * GroupSecrets, Welcome, MLSMessage and the TBS/TBM/AAD inputs).
 *
 * Decoded structures hold views (struct mls_bytes) into the caller's input
 * buffer: nothing is copied, so the input must outlive the structure.
 * Vectors of structures are arrays allocated from a struct mls_arena the
 * caller provides (mls_arena.h) and released with it. A structure built by
 * code uses the same types, its views and arrays pointing at the builder's
 * own memory (the arrays are const for that reason); encoders never write
 * through them.
 *
 * Decoders: int mls_X_decode(struct mls_reader *r, struct mls_arena *a,
 * struct mls_X *out) consumes exactly one X from |r| (whatever follows is
 * the caller's business) and fills |*out| entirely. Decoding is strict:
 *  - lengths are checked against the bytes present, every vector's body
 *    must be consumed exactly by its elements, varints must be minimal;
 *  - an optional<T>'s presence byte must be 0 or 1;
 *  - enum values the RFC defines no encoding for are rejected: the
 *    reserved value 0 and unknown values of the uint8 enums (ContentType,
 *    SenderType, LeafNodeSource, NodeType, PSKType, ResumptionPSKUsage,
 *    ProposalOrRefType) with -EBADMSG; unknown values of the extensible
 *    registries that select a body (CredentialType, ProposalType,
 *    WireFormat, and ProtocolVersion where the RFC fixes it to mls10) with
 *    -EPROTONOSUPPORT, since their body has no length prefix and cannot be
 *    skipped. Unknown extension types and unknown values in capability
 *    lists are kept (they are opaque or plain numbers);
 *  - semantic checks (signatures, tree invariants, which sender may send
 *    which content, duplicate extensions, lifetimes) are left to the caller.
 *
 * Limits: every element costs at least one input byte, so element counts
 * are bounded by the input's length; in addition each vector of structures
 * has a maximum count (MLS_MSG_MAX_*, below) beyond which decoding fails
 * with -E2BIG. Arena use (arrays double as they grow) is then at most
 * about 48 bytes per input byte (the worst cases: one-byte blank tree
 * nodes of 24 bytes, three-byte PreSharedKeyIDs of 72), except for the
 * ProposalOrRef vector of a Commit (312-byte elements from two input
 * bytes), which MLS_MSG_MAX_PROPOSALS caps at about 640 KiB per Commit.
 * The arena's own limit bounds the total (-ENOMEM).
 *
 * Encoders: int mls_X_encode(struct mls_writer *w, const struct mls_X *in)
 * appends X. They reproduce a decoded structure byte for byte (encodings
 * are canonical: minimal varints, fixed presence bytes).
 *
 * Errors are negative errno values:
 *   -EBADMSG          malformed or truncated input, an invalid enum value
 *   -EPROTONOSUPPORT  a well-formed structure of a type this codec cannot parse
 *   -E2BIG            a vector with more elements than its MLS_MSG_MAX_* limit
 *   -ENOMEM           the arena is exhausted (its limit, or malloc)
 *   -ENOSPC           the writer is full (sticky: see mls_codec.h)
 *   -EINVAL           an encoder was given an invalid structure (an unknown
 *                     type, a missing group context, a length over 2^30 - 1)
 * After a failed decode, |r|'s position and |*out| are unspecified and the
 * arena may hold partial allocations (freed with it). After a failed
 * encode the writer holds a partial structure: discard it.
 *
 * Nothing here allocates except from the arena given; all functions are
 * reentrant.
 */
#ifndef SB_MLS_MSG_H
#define SB_MLS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mls_arena.h"
#include "mls_codec.h"
#include "mls_wire.h"

/*
 * Maximum element counts of decoded vectors (-E2BIG beyond). A group has
 * at most MLS_MSG_MAX_LEAVES members as far as this codec is concerned.
 */
#define MLS_MSG_MAX_LEAVES 65536
#define MLS_MSG_MAX_TREE_NODES (2 * MLS_MSG_MAX_LEAVES - 1)	/* ratchet_tree entries */
#define MLS_MSG_MAX_EXTENSIONS 256	/* per extension list */
#define MLS_MSG_MAX_TYPES 1024		/* per list of versions, suites or type codes */
#define MLS_MSG_MAX_CERTS 32		/* per x509 credential */
#define MLS_MSG_MAX_PROPOSALS 1024	/* ProposalOrRef per Commit */
#define MLS_MSG_MAX_PSKS 1024		/* PreSharedKeyID per GroupSecrets */
#define MLS_MSG_MAX_PATH 32		/* UpdatePathNode per UpdatePath (depth <= 30) */
#define MLS_MSG_MAX_EXTERNAL_SENDERS 256
/* unmerged_leaves, encrypted_path_secret and Welcome secrets: MLS_MSG_MAX_LEAVES */

/* A view of bytes owned by someone else (the input buffer, or a builder). */
struct mls_bytes {
	const uint8_t *p;	/* NULL only when len is 0 */
	size_t len;
};

/* Extension (section 13): extension_type and its opaque extension_data. */
struct mls_extension {
	uint16_t type;			/* enum mls_extension_type, or any other */
	struct mls_bytes data;
};

/* Extension extensions<V>. */
struct mls_extension_list {
	const struct mls_extension *v;
	size_t n;			/* <= MLS_MSG_MAX_EXTENSIONS when decoded */
};

/* A vector of uint16 code points (ProtocolVersion, CipherSuite, ...). */
struct mls_u16_list {
	const uint16_t *v;
	size_t n;			/* <= MLS_MSG_MAX_TYPES when decoded */
};

/* Credential (section 5.3). */
struct mls_credential {
	uint16_t type;			/* MLS_CREDENTIAL_BASIC or MLS_CREDENTIAL_X509 */
	struct mls_bytes identity;	/* basic: opaque identity<V> */
	const struct mls_bytes *certs;	/* x509: Certificate certificates<V> (cert_data) */
	size_t n_certs;
};

/* Capabilities (section 7.2). */
struct mls_capabilities {
	struct mls_u16_list versions;
	struct mls_u16_list cipher_suites;
	struct mls_u16_list extensions;
	struct mls_u16_list proposals;
	struct mls_u16_list credentials;
};

/* Lifetime (section 7.2): seconds since the Unix epoch. */
struct mls_lifetime {
	uint64_t not_before;
	uint64_t not_after;
};

/* LeafNode (section 7.2). */
struct mls_leaf_node {
	struct mls_bytes encryption_key;	/* HPKEPublicKey */
	struct mls_bytes signature_key;		/* SignaturePublicKey */
	struct mls_credential credential;
	struct mls_capabilities capabilities;
	uint8_t source;				/* enum mls_leaf_node_source */
	struct mls_lifetime lifetime;		/* source key_package only */
	struct mls_bytes parent_hash;		/* source commit only */
	struct mls_extension_list extensions;
	struct mls_bytes signature;
};

/* KeyPackage (section 10). */
struct mls_key_package {
	uint16_t version;		/* ProtocolVersion, kept as received */
	uint16_t cipher_suite;		/* kept as received */
	struct mls_bytes init_key;	/* HPKEPublicKey */
	struct mls_leaf_node leaf_node;
	struct mls_extension_list extensions;
	struct mls_bytes signature;
};

/* ParentNode (section 7.1). */
struct mls_parent_node {
	struct mls_bytes encryption_key;
	struct mls_bytes parent_hash;
	const uint32_t *unmerged_leaves;
	size_t n_unmerged_leaves;	/* <= MLS_MSG_MAX_LEAVES when decoded */
};

/*
 * optional<Node> (section 12.4.3.3): type 0 is a blank node (both pointers
 * NULL), MLS_NODE_LEAF sets |leaf|, MLS_NODE_PARENT sets |parent|.
 */
struct mls_node {
	uint8_t type;
	const struct mls_leaf_node *leaf;
	const struct mls_parent_node *parent;
};

/*
 * optional<Node> ratchet_tree<V>, the body of the ratchet_tree extension:
 * nodes in array order (Appendix C). Decoding checks that entry i holds a
 * leaf when i is even and a parent when i is odd, and that the tree is not
 * empty; trailing blanks are kept as received.
 */
struct mls_ratchet_tree {
	const struct mls_node *nodes;
	size_t n_nodes;			/* <= MLS_MSG_MAX_TREE_NODES when decoded */
};

/* HPKECiphertext (section 7.6). */
struct mls_hpke_ciphertext {
	struct mls_bytes kem_output;
	struct mls_bytes ciphertext;
};

/* UpdatePathNode (section 7.6). */
struct mls_update_path_node {
	struct mls_bytes encryption_key;
	const struct mls_hpke_ciphertext *encrypted_path_secret;
	size_t n_encrypted_path_secret;	/* <= MLS_MSG_MAX_LEAVES when decoded */
};

/* UpdatePath (section 7.6). */
struct mls_update_path {
	struct mls_leaf_node leaf_node;
	const struct mls_update_path_node *nodes;
	size_t n_nodes;			/* <= MLS_MSG_MAX_PATH when decoded */
};

/* RequiredCapabilities (section 11.1), the required_capabilities extension body. */
struct mls_required_capabilities {
	struct mls_u16_list extension_types;
	struct mls_u16_list proposal_types;
	struct mls_u16_list credential_types;
};

/* ExternalSender (section 12.1.8.1). */
struct mls_external_sender {
	struct mls_bytes signature_key;
	struct mls_credential credential;
};

/* ExternalSender external_senders<V>, the external_senders extension body. */
struct mls_external_sender_list {
	const struct mls_external_sender *v;
	size_t n;			/* <= MLS_MSG_MAX_EXTERNAL_SENDERS when decoded */
};

/* PreSharedKeyID (section 8.4). */
struct mls_psk_id {
	uint8_t type;			/* enum mls_psk_type */
	struct mls_bytes psk_id;	/* external */
	uint8_t usage;			/* resumption: enum mls_resumption_psk_usage */
	struct mls_bytes psk_group_id;	/* resumption */
	uint64_t psk_epoch;		/* resumption */
	struct mls_bytes psk_nonce;
};

/* ReInit (section 12.1.5). */
struct mls_reinit {
	struct mls_bytes group_id;
	uint16_t version;		/* kept as received */
	uint16_t cipher_suite;
	struct mls_extension_list extensions;
};

/* Proposal (section 12.1): |type| selects the member of the union. */
struct mls_proposal {
	uint16_t type;				/* enum mls_proposal_type */
	union {
		struct mls_key_package add;	/* Add.key_package */
		struct mls_leaf_node update;	/* Update.leaf_node */
		uint32_t remove;		/* Remove.removed */
		struct mls_psk_id psk;		/* PreSharedKey.psk */
		struct mls_reinit reinit;
		struct mls_bytes external_init;	/* ExternalInit.kem_output */
		struct mls_extension_list group_context_extensions;
	};
};

/* ProposalOrRef (section 12.4). */
struct mls_proposal_or_ref {
	uint8_t type;			/* enum mls_proposal_or_ref_type */
	struct mls_proposal proposal;	/* MLS_PROPOSAL_OR_REF_PROPOSAL */
	struct mls_bytes reference;	/* MLS_PROPOSAL_OR_REF_REFERENCE: ProposalRef */
};

/* Commit (section 12.4). */
struct mls_commit {
	const struct mls_proposal_or_ref *proposals;
	size_t n_proposals;		/* <= MLS_MSG_MAX_PROPOSALS when decoded */
	bool has_path;			/* optional<UpdatePath> path */
	struct mls_update_path path;
};

/* Sender (section 6). */
struct mls_sender {
	uint8_t type;			/* enum mls_sender_type */
	uint32_t index;			/* member: leaf_index; external: sender_index */
};

/* FramedContent (section 6): |content_type| selects the member of the union. */
struct mls_framed_content {
	struct mls_bytes group_id;
	uint64_t epoch;
	struct mls_sender sender;
	struct mls_bytes authenticated_data;
	uint8_t content_type;			/* enum mls_content_type */
	union {
		struct mls_bytes application_data;
		struct mls_proposal proposal;
		struct mls_commit commit;
	};
};

/* FramedContentAuthData (section 6.1); its shape depends on the content type. */
struct mls_auth_data {
	struct mls_bytes signature;
	struct mls_bytes confirmation_tag;	/* commit only: MAC confirmation_tag */
};

/* AuthenticatedContent (section 6.1): no version field. */
struct mls_authenticated_content {
	uint16_t wire_format;		/* MLS_WIRE_PUBLIC_MESSAGE or _PRIVATE_MESSAGE */
	struct mls_framed_content content;
	struct mls_auth_data auth;
};

/* PublicMessage (section 6.2). */
struct mls_public_message {
	struct mls_framed_content content;
	struct mls_auth_data auth;
	struct mls_bytes membership_tag;	/* sender member only */
};

/* PrivateMessage (section 6.3). */
struct mls_private_message {
	struct mls_bytes group_id;
	uint64_t epoch;
	uint8_t content_type;		/* enum mls_content_type */
	struct mls_bytes authenticated_data;
	struct mls_bytes encrypted_sender_data;
	struct mls_bytes ciphertext;
};

/* PrivateMessageContent (section 6.3.1), the plaintext of a PrivateMessage. */
struct mls_private_message_content {
	uint8_t content_type;			/* the PrivateMessage's; selects the union */
	union {
		struct mls_bytes application_data;
		struct mls_proposal proposal;
		struct mls_commit commit;
	};
	struct mls_auth_data auth;
	size_t padding;				/* number of zero bytes at the end */
};

/* SenderData (section 6.3.2), the plaintext of encrypted_sender_data. */
struct mls_sender_data {
	uint32_t leaf_index;
	uint32_t generation;
	uint8_t reuse_guard[4];
};

/* GroupContext (section 8.1); version is mls10. */
struct mls_group_context {
	uint16_t cipher_suite;
	struct mls_bytes group_id;
	uint64_t epoch;
	struct mls_bytes tree_hash;
	struct mls_bytes confirmed_transcript_hash;
	struct mls_extension_list extensions;
};

/* GroupInfo (section 12.4.3). */
struct mls_group_info {
	struct mls_group_context group_context;
	struct mls_extension_list extensions;
	struct mls_bytes confirmation_tag;
	uint32_t signer;
	struct mls_bytes signature;
};

/* GroupSecrets (section 12.4.3.1), the plaintext of encrypted_group_secrets. */
struct mls_group_secrets {
	struct mls_bytes joiner_secret;
	bool has_path_secret;		/* optional<PathSecret> path_secret */
	struct mls_bytes path_secret;
	const struct mls_psk_id *psks;
	size_t n_psks;			/* <= MLS_MSG_MAX_PSKS when decoded */
};

/* EncryptedGroupSecrets (section 12.4.3.1). */
struct mls_encrypted_group_secrets {
	struct mls_bytes new_member;	/* KeyPackageRef */
	struct mls_hpke_ciphertext encrypted_group_secrets;
};

/* Welcome (section 12.4.3.1). */
struct mls_welcome {
	uint16_t cipher_suite;
	const struct mls_encrypted_group_secrets *secrets;
	size_t n_secrets;		/* <= MLS_MSG_MAX_LEAVES when decoded */
	struct mls_bytes encrypted_group_info;
};

/* MLSMessage (section 6): |wire_format| selects the member of the union; version is mls10. */
struct mls_message {
	uint16_t wire_format;			/* enum mls_wire_format */
	union {
		struct mls_public_message public_message;
		struct mls_private_message private_message;
		struct mls_welcome welcome;
		struct mls_group_info group_info;
		struct mls_key_package key_package;
	};
};

/*
 * mls_opaque_decode reads opaque<V> into a view of the input; returns 0 or
 * -EBADMSG. mls_opaque_encode appends |in| as opaque<V>; returns 0, -EINVAL
 * (longer than 2^30 - 1) or -ENOSPC.
 */
int mls_opaque_decode(struct mls_reader *r, struct mls_bytes *out)
	__attribute__((warn_unused_result));
int mls_opaque_encode(struct mls_writer *w, struct mls_bytes in)
	__attribute__((warn_unused_result));

/*
 * mls_msg_read_vector decodes a vector of structures: a varint length and
 * a body that |decode| must consume exactly, one element of |elem_size|
 * bytes at a time, into an arena array (|*out| NULL when the vector is
 * empty) of |*n| elements. |decode| is called as decode(sub, a, elem) with
 * |elem| zeroed. Returns 0, -E2BIG when there are more than |max| elements,
 * -ENOMEM, or the first error of |decode| or of the vector header.
 */
int mls_msg_read_vector(struct mls_reader *r, struct mls_arena *a, size_t elem_size, size_t max,
			int (*decode)(struct mls_reader *, struct mls_arena *, void *), void **out,
			size_t *n) __attribute__((warn_unused_result));

/*
 * mls_extension_find returns the first extension of |list| whose type is
 * |type|, or NULL when there is none.
 */
const struct mls_extension *mls_extension_find(const struct mls_extension_list *list,
					       uint16_t type);

/* ---- mls_node.c: leaves, key packages, trees, paths -------------------- */

/*
 * Credential: a type unknown to section 5.3 gives -EPROTONOSUPPORT, an
 * x509 credential with more than MLS_MSG_MAX_CERTS certificates -E2BIG.
 * The encoder refuses other types with -EINVAL.
 */
int mls_credential_decode(struct mls_reader *r, struct mls_arena *a, struct mls_credential *out)
	__attribute__((warn_unused_result));
int mls_credential_encode(struct mls_writer *w, const struct mls_credential *in)
	__attribute__((warn_unused_result));

/* Extension: any type; the data stays opaque. */
int mls_extension_decode(struct mls_reader *r, struct mls_arena *a, struct mls_extension *out)
	__attribute__((warn_unused_result));
int mls_extension_encode(struct mls_writer *w, const struct mls_extension *in)
	__attribute__((warn_unused_result));

/* Extension extensions<V>. */
int mls_extension_list_decode(struct mls_reader *r, struct mls_arena *a,
			      struct mls_extension_list *out) __attribute__((warn_unused_result));
int mls_extension_list_encode(struct mls_writer *w, const struct mls_extension_list *in)
	__attribute__((warn_unused_result));

/* uint16 code<V>: a body of odd length is -EBADMSG. */
int mls_u16_list_decode(struct mls_reader *r, struct mls_arena *a, struct mls_u16_list *out)
	__attribute__((warn_unused_result));
int mls_u16_list_encode(struct mls_writer *w, const struct mls_u16_list *in)
	__attribute__((warn_unused_result));

/* Capabilities: five code lists, values kept as received (GREASE included). */
int mls_capabilities_decode(struct mls_reader *r, struct mls_arena *a,
			    struct mls_capabilities *out) __attribute__((warn_unused_result));
int mls_capabilities_encode(struct mls_writer *w, const struct mls_capabilities *in)
	__attribute__((warn_unused_result));

/* Lifetime: two uint64 (the arena is unused). */
int mls_lifetime_decode(struct mls_reader *r, struct mls_arena *a, struct mls_lifetime *out)
	__attribute__((warn_unused_result));
int mls_lifetime_encode(struct mls_writer *w, const struct mls_lifetime *in)
	__attribute__((warn_unused_result));

/*
 * LeafNode: all three sources. A source other than key_package, update or
 * commit is -EBADMSG (-EINVAL for the encoder).
 */
int mls_leaf_node_decode(struct mls_reader *r, struct mls_arena *a, struct mls_leaf_node *out)
	__attribute__((warn_unused_result));
int mls_leaf_node_encode(struct mls_writer *w, const struct mls_leaf_node *in)
	__attribute__((warn_unused_result));

/*
 * mls_leaf_node_tbs_encode appends LeafNodeTBS (section 7.2): the leaf's
 * fields without the signature, followed for the update and commit sources
 * by |group_id| and |leaf_index| (ignored for key_package). Returns 0,
 * -EINVAL or -ENOSPC.
 */
int mls_leaf_node_tbs_encode(struct mls_writer *w, const struct mls_leaf_node *leaf,
			     struct mls_bytes group_id, uint32_t leaf_index)
	__attribute__((warn_unused_result));

/* KeyPackage: version and cipher suite are kept as received. */
int mls_key_package_decode(struct mls_reader *r, struct mls_arena *a, struct mls_key_package *out)
	__attribute__((warn_unused_result));
int mls_key_package_encode(struct mls_writer *w, const struct mls_key_package *in)
	__attribute__((warn_unused_result));

/* mls_key_package_tbs_encode appends KeyPackageTBS (the key package without its signature). */
int mls_key_package_tbs_encode(struct mls_writer *w, const struct mls_key_package *in)
	__attribute__((warn_unused_result));

/* ParentNode: more than MLS_MSG_MAX_LEAVES unmerged leaves is -E2BIG. */
int mls_parent_node_decode(struct mls_reader *r, struct mls_arena *a, struct mls_parent_node *out)
	__attribute__((warn_unused_result));
int mls_parent_node_encode(struct mls_writer *w, const struct mls_parent_node *in)
	__attribute__((warn_unused_result));

/*
 * optional<Node>: a presence byte other than 0/1 or a NodeType other than
 * leaf/parent is -EBADMSG. The leaf or parent node is allocated from the arena.
 */
int mls_node_decode(struct mls_reader *r, struct mls_arena *a, struct mls_node *out)
	__attribute__((warn_unused_result));
int mls_node_encode(struct mls_writer *w, const struct mls_node *in)
	__attribute__((warn_unused_result));

/*
 * optional<Node> ratchet_tree<V>: an empty tree, or a leaf at an odd index
 * or a parent at an even one, is -EBADMSG; more than MLS_MSG_MAX_TREE_NODES
 * entries -E2BIG. The encoder checks nothing but the node types.
 */
int mls_ratchet_tree_decode(struct mls_reader *r, struct mls_arena *a,
			    struct mls_ratchet_tree *out) __attribute__((warn_unused_result));
int mls_ratchet_tree_encode(struct mls_writer *w, const struct mls_ratchet_tree *in)
	__attribute__((warn_unused_result));

/* HPKECiphertext (the arena is unused). */
int mls_hpke_ciphertext_decode(struct mls_reader *r, struct mls_arena *a,
			       struct mls_hpke_ciphertext *out) __attribute__((warn_unused_result));
int mls_hpke_ciphertext_encode(struct mls_writer *w, const struct mls_hpke_ciphertext *in)
	__attribute__((warn_unused_result));

/* UpdatePathNode. */
int mls_update_path_node_decode(struct mls_reader *r, struct mls_arena *a,
				struct mls_update_path_node *out)
	__attribute__((warn_unused_result));
int mls_update_path_node_encode(struct mls_writer *w, const struct mls_update_path_node *in)
	__attribute__((warn_unused_result));

/* UpdatePath: more than MLS_MSG_MAX_PATH nodes is -E2BIG. */
int mls_update_path_decode(struct mls_reader *r, struct mls_arena *a, struct mls_update_path *out)
	__attribute__((warn_unused_result));
int mls_update_path_encode(struct mls_writer *w, const struct mls_update_path *in)
	__attribute__((warn_unused_result));

/* RequiredCapabilities (the required_capabilities extension body). */
int mls_required_capabilities_decode(struct mls_reader *r, struct mls_arena *a,
				     struct mls_required_capabilities *out)
	__attribute__((warn_unused_result));
int mls_required_capabilities_encode(struct mls_writer *w,
				     const struct mls_required_capabilities *in)
	__attribute__((warn_unused_result));

/* ExternalSender. */
int mls_external_sender_decode(struct mls_reader *r, struct mls_arena *a,
			       struct mls_external_sender *out) __attribute__((warn_unused_result));
int mls_external_sender_encode(struct mls_writer *w, const struct mls_external_sender *in)
	__attribute__((warn_unused_result));

/* ExternalSender external_senders<V> (the external_senders extension body). */
int mls_external_sender_list_decode(struct mls_reader *r, struct mls_arena *a,
				    struct mls_external_sender_list *out)
	__attribute__((warn_unused_result));
int mls_external_sender_list_encode(struct mls_writer *w,
				    const struct mls_external_sender_list *in)
	__attribute__((warn_unused_result));

/* ---- mls_msg.c: proposals, commits, framing, groups -------------------- */

/* PreSharedKeyID: PSKType and ResumptionPSKUsage other than 1..2 / 1..3 are -EBADMSG. */
int mls_psk_id_decode(struct mls_reader *r, struct mls_arena *a, struct mls_psk_id *out)
	__attribute__((warn_unused_result));
int mls_psk_id_encode(struct mls_writer *w, const struct mls_psk_id *in)
	__attribute__((warn_unused_result));

/*
 * mls_psk_label_encode appends PSKLabel (section 8.4): |id|, then |index|
 * and |count| as uint16. Returns 0, -EINVAL or -ENOSPC.
 */
int mls_psk_label_encode(struct mls_writer *w, const struct mls_psk_id *id, uint16_t index,
			 uint16_t count) __attribute__((warn_unused_result));

/* ReInit: version and cipher suite kept as received. */
int mls_reinit_decode(struct mls_reader *r, struct mls_arena *a, struct mls_reinit *out)
	__attribute__((warn_unused_result));
int mls_reinit_encode(struct mls_writer *w, const struct mls_reinit *in)
	__attribute__((warn_unused_result));

/*
 * Proposal: the uint16 proposal_type, then its body. A type outside 1..7 is
 * -EPROTONOSUPPORT (the encoder: -EINVAL).
 */
int mls_proposal_decode(struct mls_reader *r, struct mls_arena *a, struct mls_proposal *out)
	__attribute__((warn_unused_result));
int mls_proposal_encode(struct mls_writer *w, const struct mls_proposal *in)
	__attribute__((warn_unused_result));

/*
 * mls_proposal_body_decode decodes a bare proposal body of type |type|
 * (Add, Update, Remove, PreSharedKey, ReInit, ExternalInit or
 * GroupContextExtensions: what follows proposal_type) into |out|, setting
 * out->type. mls_proposal_body_encode appends the body of |in| without its
 * type. Errors as mls_proposal_decode/encode.
 */
int mls_proposal_body_decode(struct mls_reader *r, struct mls_arena *a, uint16_t type,
			     struct mls_proposal *out) __attribute__((warn_unused_result));
int mls_proposal_body_encode(struct mls_writer *w, const struct mls_proposal *in)
	__attribute__((warn_unused_result));

/* ProposalOrRef: a type other than proposal/reference is -EBADMSG. */
int mls_proposal_or_ref_decode(struct mls_reader *r, struct mls_arena *a,
			       struct mls_proposal_or_ref *out) __attribute__((warn_unused_result));
int mls_proposal_or_ref_encode(struct mls_writer *w, const struct mls_proposal_or_ref *in)
	__attribute__((warn_unused_result));

/* Commit: more than MLS_MSG_MAX_PROPOSALS proposals is -E2BIG. */
int mls_commit_decode(struct mls_reader *r, struct mls_arena *a, struct mls_commit *out)
	__attribute__((warn_unused_result));
int mls_commit_encode(struct mls_writer *w, const struct mls_commit *in)
	__attribute__((warn_unused_result));

/* Sender: a sender type outside 1..4 is -EBADMSG (the arena is unused). */
int mls_sender_decode(struct mls_reader *r, struct mls_arena *a, struct mls_sender *out)
	__attribute__((warn_unused_result));
int mls_sender_encode(struct mls_writer *w, const struct mls_sender *in)
	__attribute__((warn_unused_result));

/* FramedContent: a content type outside 1..3 is -EBADMSG. */
int mls_framed_content_decode(struct mls_reader *r, struct mls_arena *a,
			      struct mls_framed_content *out) __attribute__((warn_unused_result));
int mls_framed_content_encode(struct mls_writer *w, const struct mls_framed_content *in)
	__attribute__((warn_unused_result));

/*
 * FramedContentAuthData for content of type |content_type|: the signature,
 * and the confirmation tag when content_type is commit.
 */
int mls_auth_data_decode(struct mls_reader *r, struct mls_arena *a, uint8_t content_type,
			 struct mls_auth_data *out) __attribute__((warn_unused_result));
int mls_auth_data_encode(struct mls_writer *w, uint8_t content_type,
			 const struct mls_auth_data *in) __attribute__((warn_unused_result));

/*
 * AuthenticatedContent: the wire format must be public or private message
 * (-EBADMSG; the encoder: -EINVAL).
 */
int mls_authenticated_content_decode(struct mls_reader *r, struct mls_arena *a,
				     struct mls_authenticated_content *out)
	__attribute__((warn_unused_result));
int mls_authenticated_content_encode(struct mls_writer *w,
				     const struct mls_authenticated_content *in)
	__attribute__((warn_unused_result));

/* PublicMessage: the membership tag is read only for a member sender. */
int mls_public_message_decode(struct mls_reader *r, struct mls_arena *a,
			      struct mls_public_message *out) __attribute__((warn_unused_result));
int mls_public_message_encode(struct mls_writer *w, const struct mls_public_message *in)
	__attribute__((warn_unused_result));

/* PrivateMessage: a content type outside 1..3 is -EBADMSG (the arena is unused). */
int mls_private_message_decode(struct mls_reader *r, struct mls_arena *a,
			       struct mls_private_message *out) __attribute__((warn_unused_result));
int mls_private_message_encode(struct mls_writer *w, const struct mls_private_message *in)
	__attribute__((warn_unused_result));

/*
 * mls_private_message_content_decode decodes a decrypted PrivateMessage
 * plaintext of type |content_type|: the content, the auth data, and the
 * padding, which is everything left in |r| and must be all zero bytes
 * (-EBADMSG otherwise; section 6.3.1). Consumes all of |r|.
 * mls_private_message_content_encode appends the content, the auth data
 * and in->padding zero bytes.
 */
int mls_private_message_content_decode(struct mls_reader *r, struct mls_arena *a,
				       uint8_t content_type,
				       struct mls_private_message_content *out)
	__attribute__((warn_unused_result));
int mls_private_message_content_encode(struct mls_writer *w,
				       const struct mls_private_message_content *in)
	__attribute__((warn_unused_result));

/* SenderData: leaf index, generation, 4-byte reuse guard (the arena is unused). */
int mls_sender_data_decode(struct mls_reader *r, struct mls_arena *a, struct mls_sender_data *out)
	__attribute__((warn_unused_result));
int mls_sender_data_encode(struct mls_writer *w, const struct mls_sender_data *in)
	__attribute__((warn_unused_result));

/* GroupContext: version must be mls10 (-EPROTONOSUPPORT). */
int mls_group_context_decode(struct mls_reader *r, struct mls_arena *a,
			     struct mls_group_context *out) __attribute__((warn_unused_result));
int mls_group_context_encode(struct mls_writer *w, const struct mls_group_context *in)
	__attribute__((warn_unused_result));

/* GroupInfo. */
int mls_group_info_decode(struct mls_reader *r, struct mls_arena *a, struct mls_group_info *out)
	__attribute__((warn_unused_result));
int mls_group_info_encode(struct mls_writer *w, const struct mls_group_info *in)
	__attribute__((warn_unused_result));

/* mls_group_info_tbs_encode appends GroupInfoTBS (the group info without its signature). */
int mls_group_info_tbs_encode(struct mls_writer *w, const struct mls_group_info *in)
	__attribute__((warn_unused_result));

/* GroupSecrets: more than MLS_MSG_MAX_PSKS PSKs is -E2BIG. */
int mls_group_secrets_decode(struct mls_reader *r, struct mls_arena *a,
			     struct mls_group_secrets *out) __attribute__((warn_unused_result));
int mls_group_secrets_encode(struct mls_writer *w, const struct mls_group_secrets *in)
	__attribute__((warn_unused_result));

/* EncryptedGroupSecrets. */
int mls_encrypted_group_secrets_decode(struct mls_reader *r, struct mls_arena *a,
				       struct mls_encrypted_group_secrets *out)
	__attribute__((warn_unused_result));
int mls_encrypted_group_secrets_encode(struct mls_writer *w,
				       const struct mls_encrypted_group_secrets *in)
	__attribute__((warn_unused_result));

/* Welcome: more than MLS_MSG_MAX_LEAVES secrets is -E2BIG. */
int mls_welcome_decode(struct mls_reader *r, struct mls_arena *a, struct mls_welcome *out)
	__attribute__((warn_unused_result));
int mls_welcome_encode(struct mls_writer *w, const struct mls_welcome *in)
	__attribute__((warn_unused_result));

/*
 * MLSMessage: a version other than mls10, or a wire format outside 1..5,
 * is -EPROTONOSUPPORT (0 for either: -EBADMSG).
 */
int mls_message_decode(struct mls_reader *r, struct mls_arena *a, struct mls_message *out)
	__attribute__((warn_unused_result));
int mls_message_encode(struct mls_writer *w, const struct mls_message *in)
	__attribute__((warn_unused_result));

/* ---- inputs to signatures, MACs, hashes and AEADs ---------------------- */

/*
 * mls_framed_content_tbs_encode appends FramedContentTBS (section 6.1):
 * version mls10, |wire_format|, |content|, and |context| when the sender
 * is a member or a new_member_commit. |context| is ignored for the other
 * senders; -EINVAL when it is needed and NULL.
 */
int mls_framed_content_tbs_encode(struct mls_writer *w, uint16_t wire_format,
				  const struct mls_framed_content *content,
				  const struct mls_group_context *context)
	__attribute__((warn_unused_result));

/*
 * mls_authenticated_content_tbm_encode appends AuthenticatedContentTBM
 * (section 6.2), the membership tag's input: FramedContentTBS of |ac| with
 * |context| (as above), then its FramedContentAuthData.
 */
int mls_authenticated_content_tbm_encode(struct mls_writer *w,
					 const struct mls_authenticated_content *ac,
					 const struct mls_group_context *context)
	__attribute__((warn_unused_result));

/*
 * mls_confirmed_transcript_hash_input_encode appends
 * ConfirmedTranscriptHashInput (section 8.2): |ac|'s wire format, its
 * content, which must be a commit (-EINVAL otherwise), and its signature.
 */
int mls_confirmed_transcript_hash_input_encode(struct mls_writer *w,
					       const struct mls_authenticated_content *ac)
	__attribute__((warn_unused_result));

/*
 * mls_interim_transcript_hash_input_encode appends InterimTranscriptHashInput
 * (section 8.2): MAC confirmation_tag.
 */
int mls_interim_transcript_hash_input_encode(struct mls_writer *w,
					     struct mls_bytes confirmation_tag)
	__attribute__((warn_unused_result));

/*
 * mls_private_content_aad_encode appends PrivateContentAAD (section 6.3.1)
 * from |pm|'s group_id, epoch, content_type and authenticated_data.
 */
int mls_private_content_aad_encode(struct mls_writer *w, const struct mls_private_message *pm)
	__attribute__((warn_unused_result));

/*
 * mls_sender_data_aad_encode appends SenderDataAAD (section 6.3.2) from
 * |pm|'s group_id, epoch and content_type.
 */
int mls_sender_data_aad_encode(struct mls_writer *w, const struct mls_private_message *pm)
	__attribute__((warn_unused_result));

#endif
