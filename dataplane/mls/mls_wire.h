/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_wire.h - the wire constants of MLS (RFC 9420): the code points of the
 * enums its structures carry, as the RFC and its IANA registries (section
 * 17) define them. Every value goes on the wire big-endian in the width
 * given with its enum (uint8 or uint16); the codec is mls_msg.h.
 *
 * Registries that are extensible (ProtocolVersion, WireFormat, ProposalType,
 * CredentialType, ExtensionType) may carry values not listed here; the
 * decoders say which unknown values they accept. GREASE values (section
 * 13.5) are recognised by mls_is_grease().
 */
#ifndef SB_MLS_WIRE_H
#define SB_MLS_WIRE_H

#include <stdbool.h>
#include <stdint.h>

/* ProtocolVersion, uint16 (section 6). */
enum mls_protocol_version {
	MLS_VERSION_MLS10 = 1,
};

/* ContentType, uint8 (section 6). */
enum mls_content_type {
	MLS_CONTENT_APPLICATION = 1,
	MLS_CONTENT_PROPOSAL = 2,
	MLS_CONTENT_COMMIT = 3,
};

/* SenderType, uint8 (section 6). */
enum mls_sender_type {
	MLS_SENDER_MEMBER = 1,
	MLS_SENDER_EXTERNAL = 2,
	MLS_SENDER_NEW_MEMBER_PROPOSAL = 3,
	MLS_SENDER_NEW_MEMBER_COMMIT = 4,
};

/* WireFormat, uint16 (section 6, registry 17.2). */
enum mls_wire_format {
	MLS_WIRE_PUBLIC_MESSAGE = 1,
	MLS_WIRE_PRIVATE_MESSAGE = 2,
	MLS_WIRE_WELCOME = 3,
	MLS_WIRE_GROUP_INFO = 4,
	MLS_WIRE_KEY_PACKAGE = 5,
};

/* ProposalType, uint16 (section 12.1, registry 17.4). */
enum mls_proposal_type {
	MLS_PROPOSAL_ADD = 1,
	MLS_PROPOSAL_UPDATE = 2,
	MLS_PROPOSAL_REMOVE = 3,
	MLS_PROPOSAL_PSK = 4,
	MLS_PROPOSAL_REINIT = 5,
	MLS_PROPOSAL_EXTERNAL_INIT = 6,
	MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS = 7,
};

/* ProposalOrRefType, uint8 (section 12.4). */
enum mls_proposal_or_ref_type {
	MLS_PROPOSAL_OR_REF_PROPOSAL = 1,
	MLS_PROPOSAL_OR_REF_REFERENCE = 2,
};

/* CredentialType, uint16 (section 5.3, registry 17.5). */
enum mls_credential_type {
	MLS_CREDENTIAL_BASIC = 1,
	MLS_CREDENTIAL_X509 = 2,
};

/* LeafNodeSource, uint8 (section 7.2). */
enum mls_leaf_node_source {
	MLS_LEAF_SOURCE_KEY_PACKAGE = 1,
	MLS_LEAF_SOURCE_UPDATE = 2,
	MLS_LEAF_SOURCE_COMMIT = 3,
};

/* NodeType, uint8 (section 12.4.3.3). */
enum mls_node_type {
	MLS_NODE_LEAF = 1,
	MLS_NODE_PARENT = 2,
};

/* ExtensionType, uint16 (section 13, registry 17.3). */
enum mls_extension_type {
	MLS_EXT_APPLICATION_ID = 1,		/* LeafNode: opaque application_id<V> */
	MLS_EXT_RATCHET_TREE = 2,		/* GroupInfo: optional<Node> ratchet_tree<V> */
	MLS_EXT_REQUIRED_CAPABILITIES = 3,	/* GroupContext: RequiredCapabilities */
	MLS_EXT_EXTERNAL_PUB = 4,		/* GroupInfo: HPKEPublicKey external_pub */
	MLS_EXT_EXTERNAL_SENDERS = 5,		/* GroupContext: ExternalSender list<V> */
};

/* PSKType, uint8 (section 8.4). */
enum mls_psk_type {
	MLS_PSK_EXTERNAL = 1,
	MLS_PSK_RESUMPTION = 2,
};

/* ResumptionPSKUsage, uint8 (section 8.4). */
enum mls_resumption_psk_usage {
	MLS_RESUMPTION_APPLICATION = 1,
	MLS_RESUMPTION_REINIT = 2,
	MLS_RESUMPTION_BRANCH = 3,
};

/*
 * mls_is_grease returns true when |v| is one of the GREASE values of
 * section 13.5 (0x0A0A, 0x1A1A, ..., 0xEAEA) that cipher suite, extension,
 * proposal and credential type lists may carry.
 */
static inline bool mls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff) && v != 0xfafa;
}

#endif
