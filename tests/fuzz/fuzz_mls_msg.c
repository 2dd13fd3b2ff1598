/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mls_msg.c - the RFC 9420 structure decoders (dataplane/mls/
 * mls_msg.c, mls_node.c) on untrusted bytes. The first input byte selects
 * the structure (table below, modulo its size); the rest is decoded as one.
 * Invariants:
 *  - a decoder returns 0 or one of -EBADMSG, -EPROTONOSUPPORT, -E2BIG;
 *    never -ENOMEM, as the arena's limit is far above what any input of a
 *    fuzzer's length may need (the MLS_MSG_MAX_* limits bound it);
 *  - nothing is read outside the input (ASan; the harness gets its own copy);
 *  - what decodes re-encodes to exactly the bytes consumed (the encodings
 *    are canonical), into a buffer of exactly that length; one byte less
 *    gives -ENOSPC.
 * A custom mutator restarts now and then from one of a few valid
 * structures, so that the replay driver's runs (tests/fuzz/fuzz_driver.c)
 * get past the first fields.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mls_msg.h"

#define ARENA_LIMIT (64u << 20)

/* Storage for any structure the table decodes. */
union any {
	struct mls_message message;
	struct mls_key_package key_package;
	struct mls_welcome welcome;
	struct mls_group_info group_info;
	struct mls_group_secrets group_secrets;
	struct mls_ratchet_tree ratchet_tree;
	struct mls_proposal proposal;
	struct mls_commit commit;
	struct mls_private_message_content pmc;
	struct mls_leaf_node leaf_node;
	struct mls_update_path update_path;
	struct mls_authenticated_content authenticated_content;
	struct mls_group_context group_context;
	struct mls_public_message public_message;
	struct mls_private_message private_message;
	struct mls_sender_data sender_data;
	struct mls_external_sender_list external_sender_list;
	struct mls_required_capabilities required_capabilities;
	struct mls_psk_id psk_id;
	struct mls_credential credential;
	struct mls_extension_list extension_list;
};

struct type {
	int (*decode)(struct mls_reader *r, struct mls_arena *a, union any *out);
	int (*encode)(struct mls_writer *w, const union any *in);
};

/* CODEC(name) defines dec_name and enc_name over union any's member |name|. */
#define CODEC(name)									\
	static int dec_##name(struct mls_reader *r, struct mls_arena *a, union any *out) \
	{										\
		return mls_##name##_decode(r, a, &out->name);				\
	}										\
	static int enc_##name(struct mls_writer *w, const union any *in)		\
	{										\
		return mls_##name##_encode(w, &in->name);				\
	}

CODEC(message)
CODEC(key_package)
CODEC(welcome)
CODEC(group_info)
CODEC(group_secrets)
CODEC(ratchet_tree)
CODEC(proposal)
CODEC(commit)
CODEC(leaf_node)
CODEC(update_path)
CODEC(authenticated_content)
CODEC(group_context)
CODEC(public_message)
CODEC(private_message)
CODEC(sender_data)
CODEC(external_sender_list)
CODEC(required_capabilities)
CODEC(psk_id)
CODEC(credential)
CODEC(extension_list)

static int dec_pmc_application(struct mls_reader *r, struct mls_arena *a, union any *out)
{
	return mls_private_message_content_decode(r, a, MLS_CONTENT_APPLICATION, &out->pmc);
}

static int dec_pmc_proposal(struct mls_reader *r, struct mls_arena *a, union any *out)
{
	return mls_private_message_content_decode(r, a, MLS_CONTENT_PROPOSAL, &out->pmc);
}

static int dec_pmc_commit(struct mls_reader *r, struct mls_arena *a, union any *out)
{
	return mls_private_message_content_decode(r, a, MLS_CONTENT_COMMIT, &out->pmc);
}

static int enc_pmc(struct mls_writer *w, const union any *in)
{
	return mls_private_message_content_encode(w, &in->pmc);
}

/* Selected by the first input byte (modulo the table's size). */
static const struct type types[] = {
	{dec_message, enc_message},				/* 0 MLSMessage */
	{dec_key_package, enc_key_package},			/* 1 KeyPackage */
	{dec_welcome, enc_welcome},				/* 2 Welcome */
	{dec_group_info, enc_group_info},			/* 3 GroupInfo */
	{dec_group_secrets, enc_group_secrets},			/* 4 GroupSecrets */
	{dec_ratchet_tree, enc_ratchet_tree},			/* 5 ratchet tree */
	{dec_proposal, enc_proposal},				/* 6 Proposal */
	{dec_commit, enc_commit},				/* 7 Commit */
	{dec_pmc_application, enc_pmc},				/* 8 PrivateMessageContent */
	{dec_pmc_proposal, enc_pmc},				/* 9 */
	{dec_pmc_commit, enc_pmc},				/* 10 */
	{dec_leaf_node, enc_leaf_node},				/* 11 LeafNode */
	{dec_update_path, enc_update_path},			/* 12 UpdatePath */
	{dec_authenticated_content, enc_authenticated_content},	/* 13 AuthenticatedContent */
	{dec_group_context, enc_group_context},			/* 14 GroupContext */
	{dec_public_message, enc_public_message},		/* 15 PublicMessage */
	{dec_private_message, enc_private_message},		/* 16 PrivateMessage */
	{dec_sender_data, enc_sender_data},			/* 17 SenderData */
	{dec_external_sender_list, enc_external_sender_list},	/* 18 external_senders */
	{dec_required_capabilities, enc_required_capabilities},	/* 19 RequiredCapabilities */
	{dec_psk_id, enc_psk_id},				/* 20 PreSharedKeyID */
	{dec_credential, enc_credential},			/* 21 Credential */
	{dec_extension_list, enc_extension_list},		/* 22 Extension extensions<V> */
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct type *t;
	struct mls_arena a;
	struct mls_reader r;
	struct mls_writer w;
	union any *x;
	uint8_t *out;
	size_t used;
	int rc;

	if (size < 1) {
		return 0;
	}
	t = &types[data[0] % N_TYPES];
	x = malloc(sizeof(*x));
	CHECK(x != NULL);
	mls_arena_init(&a, ARENA_LIMIT);
	mls_reader_init(&r, data + 1, size - 1);
	rc = t->decode(&r, &a, x);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT || rc == -E2BIG);
	CHECK(r.off <= r.len && mls_arena_used(&a) <= ARENA_LIMIT);
	if (rc == 0) {
		used = r.off;
		/* exactly the consumed length: ASan catches a write past it */
		out = malloc(used > 0 ? used : 1);
		CHECK(out != NULL);
		mls_writer_init(&w, out, used);
		CHECK(t->encode(&w, x) == 0);
		CHECK(mls_writer_len(&w) == used);
		CHECK(memcmp(out, data + 1, used) == 0);
		if (used > 0) {
			mls_writer_init(&w, out, used - 1);
			CHECK(t->encode(&w, x) == -ENOSPC);
		}
		free(out);
	}
	mls_arena_cleanup(&a);
	free(x);
	return 0;
}

/*
 * Valid structures the custom mutator restarts from, each with its
 * selector byte first. The LeafNode below is source update:
 * keys "aa"/"bb", basic credential "cc", empty capabilities, no
 * extensions, signature "dd".
 */
#define LEAF_UPDATE 0x01, 0xaa, 0x01, 0xbb, 0x00, 0x01, 0x01, 0xcc, 0x00, 0x00, 0x00, 0x00, \
	0x00, 0x02, 0x00, 0x01, 0xdd
#define LEAF_COMMIT 0x01, 0xaa, 0x01, 0xbb, 0x00, 0x01, 0x01, 0xcc, 0x00, 0x00, 0x00, 0x00, \
	0x00, 0x03, 0x01, 0x99, 0x00, 0x01, 0xdd

static const uint8_t seed_leaf[] = {11, LEAF_UPDATE};
static const uint8_t seed_public[] = {
	0, 0x00, 0x01, 0x00, 0x01, 0x01, 'g', 0, 0, 0, 0, 0, 0, 0, 5,
	0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x02, 'h', 'i', 0x01, 0x55, 0x01, 0x66,
};
static const uint8_t seed_commit[] = {
	7,
	0x0a, 0x02, 0x01, 0xee, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,	/* ref, remove */
	0x01, LEAF_COMMIT,							/* path */
	0x07, 0x01, 0xab, 0x04, 0x01, 0x11, 0x01, 0x22,
};
static const uint8_t seed_group_secrets[] = {
	4, 0x01, 0xaa, 0x01, 0x01, 0xbb,
	0x12, 0x01, 0x01, 0xcc, 0x01, 0xdd,				/* external */
	0x02, 0x02, 0x01, 'g', 0, 0, 0, 0, 0, 0, 0, 1, 0x00,		/* resumption */
};
static const uint8_t seed_tree[] = {
	5, 0x1e,
	0x01, 0x01, LEAF_UPDATE,
	0x01, 0x02, 0x01, 0xaa, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
	0x00,
};
static const uint8_t seed_pmc[] = {10, 0x00, 0x00, 0x01, 0x55, 0x01, 0x66, 0x00, 0x00, 0x00};
static const uint8_t seed_key_package[] = {
	1, 0x00, 0x01, 0x00, 0x01, 0x01, 0xee,
	0x01, 0xaa, 0x01, 0xbb, 0x00, 0x02, 0x00,		/* x509, no certificates */
	0x04, 0x00, 0x01, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00,	/* capabilities */
	0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	0x03, 0x00, 0x01, 0x00, 0x01, 0xdd,			/* extensions, signature */
	0x00, 0x01, 0xff,
};
static const uint8_t seed_welcome[] = {
	2, 0x00, 0x01, 0x06, 0x01, 0xaa, 0x01, 0xbb, 0x01, 0xcc, 0x01, 0xdd,
};
static const uint8_t seed_group_info[] = {
	3, 0x00, 0x01, 0x00, 0x01, 0x01, 'g', 0, 0, 0, 0, 0, 0, 0, 9,	/* GroupContext */
	0x01, 0x11, 0x01, 0x22, 0x04, 0x00, 0x04, 0x01, 0x33,
	0x00, 0x01, 0xee, 0x00, 0x00, 0x00, 0x01, 0x01, 0xff,		/* GroupInfo */
};
static const uint8_t seed_proposal[] = {6, 0x00, 0x04, 0x01, 0x01, 0xaa, 0x01, 0xbb};
static const uint8_t seed_authenticated_content[] = {
	13, 0x00, 0x02, 0x01, 'g', 0, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x00, 0x03,
	0x00, 0x00, 0x01, 0x55, 0x01, 0x66,				/* commit */
};
static const uint8_t seed_private[] = {
	0, 0x00, 0x01, 0x00, 0x02, 0x01, 'g', 0, 0, 0, 0, 0, 0, 0, 2, 0x01,
	0x00, 0x01, 0xaa, 0x02, 0xbb, 0xcc,
};

static const struct {
	const uint8_t *p;
	size_t n;
} seeds[] = {
	{seed_leaf, sizeof(seed_leaf)},
	{seed_public, sizeof(seed_public)},
	{seed_commit, sizeof(seed_commit)},
	{seed_group_secrets, sizeof(seed_group_secrets)},
	{seed_tree, sizeof(seed_tree)},
	{seed_pmc, sizeof(seed_pmc)},
	{seed_key_package, sizeof(seed_key_package)},
	{seed_welcome, sizeof(seed_welcome)},
	{seed_group_info, sizeof(seed_group_info)},
	{seed_proposal, sizeof(seed_proposal)},
	{seed_authenticated_content, sizeof(seed_authenticated_content)},
	{seed_private, sizeof(seed_private)},
};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint32_t s = seed | 1;

	if (size == 0 || rnd(&s) % 8 == 0) {
		size_t k = rnd(&s) % (sizeof(seeds) / sizeof(seeds[0]));

		size = seeds[k].n < max_size ? seeds[k].n : max_size;
		memcpy(data, seeds[k].p, size);
		if (rnd(&s) % 4 == 0) {
			return size;	/* the valid structure itself */
		}
	}
	return LLVMFuzzerMutate(data, size, max_size);
}
