/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_framing.c - PublicMessage and PrivateMessage protect/unprotect for
 * every content type (RFC 9420 sections 6.1-6.3); the contract is
 * mls_framing.h.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_framing.h"
#include "mls_wire.h"

#define SIGN_LABEL "FramedContentTBS"

/* scratch is an arena buffer of |n| bytes for encodings; NULL on ENOMEM. */
static uint8_t *scratch(struct mls_arena *a, size_t n)
{
	return mls_arena_alloc(a, n > 0 ? n : 1);
}

/*
 * tbs_cap bounds FramedContentTBS (and AuthenticatedContentTBM, with the
 * auth data added by the caller): the encoded content, the group context's
 * fields, and 64 KiB for its extensions and the framing. Control path only:
 * the arena takes it and gives it back with the message.
 */
static size_t tbs_cap(const struct mls_framing_epoch *ep, size_t content_len)
{
	return content_len + 512 + ep->context->group_id.len + ep->context->tree_hash.len +
	       ep->context->confirmed_transcript_hash.len + 65536;
}

static bool same_epoch(const struct mls_framing_epoch *ep, struct mls_bytes gid, uint64_t epoch)
{
	return gid.len == ep->context->group_id.len &&
	       (gid.len == 0 || memcmp(gid.p, ep->context->group_id.p, gid.len) == 0) &&
	       epoch == ep->context->epoch;
}

/* sign_content signs FramedContentTBS of |ac| into ac->auth.signature (memory from |a|). */
static int sign_content(const struct mls_framing_epoch *ep, struct mls_authenticated_content *ac,
			EVP_PKEY *sig_priv, size_t content_len, struct mls_arena *a)
{
	size_t cap = tbs_cap(ep, content_len), sig_len;
	uint8_t *tbs = scratch(a, cap), *sig = scratch(a, MLS_MAX_SIG);
	struct mls_writer w;
	int rc;

	if (tbs == NULL || sig == NULL) {
		return -ENOMEM;
	}
	mls_writer_init(&w, tbs, cap);
	rc = mls_framed_content_tbs_encode(&w, ac->wire_format, &ac->content, ep->context);
	if (rc < 0) {
		return rc;
	}
	rc = mls_sign_with_label(ep->suite, sig_priv, MLS_LABEL(SIGN_LABEL), tbs,
				 mls_writer_len(&w), sig, MLS_MAX_SIG, &sig_len);
	if (rc < 0) {
		return rc;
	}
	ac->auth.signature.p = sig;
	ac->auth.signature.len = sig_len;
	return 0;
}

static int verify_content(const struct mls_framing_epoch *ep,
			  const struct mls_authenticated_content *ac, size_t content_len,
			  struct mls_arena *a)
{
	size_t cap = tbs_cap(ep, content_len);
	uint8_t *tbs = scratch(a, cap);
	struct mls_writer w;
	EVP_PKEY *pub;
	int rc;

	if (tbs == NULL) {
		return -ENOMEM;
	}
	pub = ep->sender_key != NULL ? ep->sender_key(ep->sender_key_arg, &ac->content.sender) :
				       NULL;
	if (pub == NULL) {
		return -ENOENT;
	}
	mls_writer_init(&w, tbs, cap);
	rc = mls_framed_content_tbs_encode(&w, ac->wire_format, &ac->content, ep->context);
	if (rc < 0) {
		return rc;
	}
	return mls_verify_with_label(ep->suite, pub, MLS_LABEL(SIGN_LABEL), tbs,
				     mls_writer_len(&w), ac->auth.signature.p,
				     ac->auth.signature.len);
}

/* membership_tag writes MAC(membership_key, AuthenticatedContentTBM) (Nh bytes). */
static int membership_tag(const struct mls_framing_epoch *ep,
			  const struct mls_authenticated_content *ac, size_t content_len,
			  struct mls_arena *a, uint8_t *tag)
{
	size_t cap = tbs_cap(ep, content_len) + MLS_MAX_SIG + MLS_MAX_HASH + 16;
	uint8_t *tbm = scratch(a, cap);
	struct mls_writer w;
	int rc;

	if (tbm == NULL) {
		return -ENOMEM;
	}
	mls_writer_init(&w, tbm, cap);
	rc = mls_authenticated_content_tbm_encode(&w, ac, ep->context);
	if (rc < 0) {
		return rc;
	}
	return mls_mac(ep->suite, ep->membership_key, ep->suite->nh, tbm, mls_writer_len(&w), tag);
}

static int protect_public(const struct mls_framing_epoch *ep,
			  const struct mls_authenticated_content *ac_in, size_t clen,
			  struct mls_arena *a, struct mls_writer *w)
{
	struct mls_authenticated_content ac = *ac_in;
	struct mls_message m = {.wire_format = MLS_WIRE_PUBLIC_MESSAGE};
	uint8_t tag[MLS_MAX_HASH];
	int rc;

	m.public_message.content = ac.content;
	m.public_message.auth = ac.auth;
	if (ac.content.sender.type == MLS_SENDER_MEMBER) {
		rc = membership_tag(ep, &ac, clen, a, tag);
		if (rc < 0) {
			return rc;
		}
		m.public_message.membership_tag.p = tag;
		m.public_message.membership_tag.len = ep->suite->nh;
	}
	return mls_message_encode(w, &m);
}

/* ratchet_for returns the ratchet a content type uses (section 6.3.1: handshake or application). */
static int ratchet_for(const struct mls_framing_epoch *ep, uint32_t leaf, uint8_t content_type,
		       struct mls_ratchet **out)
{
	if (ep->secret_tree == NULL) {
		return -EINVAL;
	}
	return mls_secret_tree_ratchet(ep->secret_tree, leaf,
				       content_type == MLS_CONTENT_APPLICATION ?
					       MLS_RATCHET_APPLICATION : MLS_RATCHET_HANDSHAKE,
				       out);
}

static int protect_private(const struct mls_framing_epoch *ep,
			   const struct mls_authenticated_content *ac, size_t clen, size_t padding,
			   struct mls_arena *a, struct mls_writer *w)
{
	const struct mls_suite *s = ep->suite;
	struct mls_private_message_content pmc = {.content_type = ac->content.content_type};
	struct mls_message m = {.wire_format = MLS_WIRE_PRIVATE_MESSAGE};
	struct mls_private_message *pm = &m.private_message;
	uint8_t key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE], sd[12], *pt, *ct, *aad, *esd;
	size_t cap = clen + MLS_MAX_SIG + MLS_MAX_HASH + padding + 64;
	struct mls_sender_data sdata;
	struct mls_ratchet *rt;
	struct mls_writer pw, aw, sw;
	int rc;

	if (ac->content.sender.type != MLS_SENDER_MEMBER) {
		return -EINVAL;		/* section 6.3: only members send PrivateMessages */
	}
	pt = scratch(a, cap);
	ct = scratch(a, cap + MLS_AEAD_TAG);
	aad = scratch(a, ac->content.group_id.len + ac->content.authenticated_data.len + 32);
	esd = scratch(a, sizeof(sd) + MLS_AEAD_TAG);
	if (pt == NULL || ct == NULL || aad == NULL || esd == NULL) {
		return -ENOMEM;
	}
	switch (pmc.content_type) {
	case MLS_CONTENT_APPLICATION:
		pmc.application_data = ac->content.application_data;
		break;
	case MLS_CONTENT_PROPOSAL:
		pmc.proposal = ac->content.proposal;
		break;
	default:
		pmc.commit = ac->content.commit;
		break;
	}
	pmc.auth = ac->auth;
	pmc.padding = padding;
	mls_writer_init(&pw, pt, cap);
	rc = mls_private_message_content_encode(&pw, &pmc);
	if (rc < 0) {
		return rc;
	}
	pm->group_id = ac->content.group_id;
	pm->epoch = ac->content.epoch;
	pm->content_type = ac->content.content_type;
	pm->authenticated_data = ac->content.authenticated_data;
	rc = ratchet_for(ep, ac->content.sender.index, pm->content_type, &rt);
	if (rc == 0) {
		rc = mls_ratchet_next(rt, &sdata.generation, key, nonce);
	}
	if (rc == 0) {
		rc = mls_random(sdata.reuse_guard, sizeof(sdata.reuse_guard));
	}
	if (rc < 0) {
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		nonce[i] ^= sdata.reuse_guard[i];
	}
	mls_writer_init(&aw, aad, ac->content.group_id.len + ac->content.authenticated_data.len + 32);
	rc = mls_private_content_aad_encode(&aw, pm);
	if (rc == 0) {
		rc = mls_aead_seal(s, key, nonce, aad, mls_writer_len(&aw), pt, mls_writer_len(&pw),
				   ct);
	}
	if (rc < 0) {
		goto out;
	}
	pm->ciphertext.p = ct;
	pm->ciphertext.len = mls_writer_len(&pw) + MLS_AEAD_TAG;
	/* Sender data: keyed by the first Nh bytes of the ciphertext (section 6.3.2). */
	sdata.leaf_index = ac->content.sender.index;
	mls_writer_init(&sw, sd, sizeof(sd));
	rc = mls_sender_data_encode(&sw, &sdata);
	if (rc == 0) {
		rc = mls_sender_data_keys(s, ep->sender_data_secret, ct, pm->ciphertext.len, key,
					  nonce);
	}
	if (rc == 0) {
		mls_writer_init(&aw, aad,
				ac->content.group_id.len + ac->content.authenticated_data.len + 32);
		rc = mls_sender_data_aad_encode(&aw, pm);
	}
	if (rc == 0) {
		rc = mls_aead_seal(s, key, nonce, aad, mls_writer_len(&aw), sd, sizeof(sd), esd);
	}
	if (rc < 0) {
		goto out;
	}
	pm->encrypted_sender_data.p = esd;
	pm->encrypted_sender_data.len = sizeof(sd) + MLS_AEAD_TAG;
	rc = mls_message_encode(w, &m);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(nonce, sizeof(nonce));
	OPENSSL_cleanse(pt, cap);
	return rc;
}

/* content_len encodes |content| once into arena scratch to learn its length. */
static int content_len(const struct mls_framed_content *content, struct mls_arena *a,
		       size_t *clen)
{
	struct mls_writer pw;
	size_t cap = 1u << 16;
	uint8_t *probe;
	int rc;

	for (;;) {
		probe = scratch(a, cap);
		if (probe == NULL) {
			return -ENOMEM;
		}
		mls_writer_init(&pw, probe, cap);
		rc = mls_framed_content_encode(&pw, content);
		if (rc != -ENOSPC || cap >= (1u << 30)) {
			break;
		}
		cap <<= 2;
	}
	if (rc == 0) {
		*clen = mls_writer_len(&pw);
	}
	return rc;
}

static int check_protect(const struct mls_framing_epoch *ep, uint16_t wire_format,
			 const struct mls_framed_content *content, size_t padding)
{
	if (ep == NULL || ep->suite == NULL || ep->context == NULL || content == NULL ||
	    padding > 65536 ||
	    (wire_format != MLS_WIRE_PUBLIC_MESSAGE && wire_format != MLS_WIRE_PRIVATE_MESSAGE)) {
		return -EINVAL;
	}
	/* Section 6.2: application data is never sent as a PublicMessage. */
	if (wire_format == MLS_WIRE_PUBLIC_MESSAGE &&
	    content->content_type == MLS_CONTENT_APPLICATION) {
		return -EINVAL;
	}
	if (!same_epoch(ep, content->group_id, content->epoch)) {
		return -ESTALE;
	}
	return 0;
}

static int protect(const struct mls_framing_epoch *ep, struct mls_authenticated_content *ac,
		   EVP_PKEY *sig_priv, size_t padding, struct mls_writer *w)
{
	struct mls_arena a;
	size_t clen;
	int rc;

	mls_arena_init(&a, SIZE_MAX);
	rc = content_len(&ac->content, &a, &clen);
	if (rc == 0 && sig_priv != NULL) {
		rc = sign_content(ep, ac, sig_priv, clen, &a);
	}
	if (rc == 0 && ac->wire_format == MLS_WIRE_PUBLIC_MESSAGE) {
		rc = protect_public(ep, ac, clen, &a, w);
	} else if (rc == 0) {
		rc = protect_private(ep, ac, clen, padding, &a, w);
	}
	mls_arena_cleanup(&a);
	return rc;
}

int mls_framing_protect(const struct mls_framing_epoch *ep, uint16_t wire_format,
			const struct mls_framed_content *content,
			const uint8_t *confirmation_tag, EVP_PKEY *sig_priv, size_t padding,
			struct mls_writer *w)
{
	struct mls_authenticated_content ac = {.wire_format = wire_format};
	int rc;

	if (sig_priv == NULL || w == NULL ||
	    (content != NULL && content->content_type == MLS_CONTENT_COMMIT &&
	     confirmation_tag == NULL)) {
		return -EINVAL;
	}
	rc = check_protect(ep, wire_format, content, padding);
	if (rc < 0) {
		return rc;
	}
	ac.content = *content;
	if (content->content_type == MLS_CONTENT_COMMIT) {
		ac.auth.confirmation_tag.p = confirmation_tag;
		ac.auth.confirmation_tag.len = ep->suite->nh;
	}
	return protect(ep, &ac, sig_priv, padding, w);
}

int mls_framing_sign(const struct mls_framing_epoch *ep, uint16_t wire_format,
		     const struct mls_framed_content *content, EVP_PKEY *sig_priv,
		     uint8_t *sig, size_t cap, size_t *sig_len)
{
	struct mls_authenticated_content ac = {.wire_format = wire_format};
	struct mls_arena a;
	size_t clen;
	int rc;

	if (sig_priv == NULL || sig == NULL || sig_len == NULL || cap < MLS_MAX_SIG) {
		return -EINVAL;
	}
	rc = check_protect(ep, wire_format, content, 0);
	if (rc < 0) {
		return rc;
	}
	ac.content = *content;
	mls_arena_init(&a, SIZE_MAX);
	rc = content_len(content, &a, &clen);
	rc = rc < 0 ? rc : sign_content(ep, &ac, sig_priv, clen, &a);
	if (rc == 0) {
		memcpy(sig, ac.auth.signature.p, ac.auth.signature.len);
		*sig_len = ac.auth.signature.len;
	}
	mls_arena_cleanup(&a);
	return rc;
}

int mls_framing_protect_signed(const struct mls_framing_epoch *ep,
			       const struct mls_authenticated_content *ac, size_t padding,
			       struct mls_writer *w)
{
	struct mls_authenticated_content c;
	int rc;

	if (ac == NULL || w == NULL || ac->auth.signature.len == 0 ||
	    (ac->content.content_type == MLS_CONTENT_COMMIT &&
	     ac->auth.confirmation_tag.len != (ep != NULL && ep->suite != NULL ? ep->suite->nh : 0))) {
		return -EINVAL;
	}
	rc = check_protect(ep, ac->wire_format, &ac->content, padding);
	if (rc < 0) {
		return rc;
	}
	c = *ac;
	return protect(ep, &c, NULL, padding, w);
}

static int unprotect_public(const struct mls_framing_epoch *ep, const struct mls_public_message *pm,
			    size_t len, struct mls_arena *a, struct mls_authenticated_content *out)
{
	uint8_t tag[MLS_MAX_HASH];
	int rc;

	out->wire_format = MLS_WIRE_PUBLIC_MESSAGE;
	out->content = pm->content;
	out->auth = pm->auth;
	if (!same_epoch(ep, pm->content.group_id, pm->content.epoch)) {
		return -ESTALE;
	}
	if (pm->content.content_type == MLS_CONTENT_APPLICATION) {
		return -EBADMSG;	/* section 6.2 */
	}
	if (pm->content.sender.type == MLS_SENDER_MEMBER) {
		rc = membership_tag(ep, out, len, a, tag);
		if (rc < 0) {
			return rc;
		}
		if (pm->membership_tag.len != ep->suite->nh ||
		    CRYPTO_memcmp(tag, pm->membership_tag.p, ep->suite->nh) != 0) {
			return -EBADMSG;
		}
	}
	return verify_content(ep, out, len, a);
}

static int unprotect_private(const struct mls_framing_epoch *ep,
			     const struct mls_private_message *pm, size_t len, struct mls_arena *a,
			     struct mls_authenticated_content *out)
{
	const struct mls_suite *s = ep->suite;
	uint8_t key[MLS_MAX_AEAD_KEY], nonce[MLS_MAX_AEAD_NONCE], sd[12], *aad, *pt;
	size_t aad_cap = pm->group_id.len + pm->authenticated_data.len + 32;
	struct mls_private_message_content pmc;
	struct mls_sender_data sdata;
	struct mls_ratchet *rt, trial;
	struct mls_reader rd;
	struct mls_writer aw;
	int rc;

	if (!same_epoch(ep, pm->group_id, pm->epoch)) {
		return -ESTALE;
	}
	if (pm->encrypted_sender_data.len != sizeof(sd) + MLS_AEAD_TAG ||
	    pm->ciphertext.len < MLS_AEAD_TAG) {
		return -EBADMSG;
	}
	aad = scratch(a, aad_cap);
	pt = scratch(a, pm->ciphertext.len - MLS_AEAD_TAG);
	if (aad == NULL || pt == NULL) {
		return -ENOMEM;
	}
	mls_writer_init(&aw, aad, aad_cap);
	rc = mls_sender_data_aad_encode(&aw, pm);
	if (rc == 0) {
		rc = mls_sender_data_keys(s, ep->sender_data_secret, pm->ciphertext.p,
					  pm->ciphertext.len, key, nonce);
	}
	if (rc == 0) {
		rc = mls_aead_open(s, key, nonce, aad, mls_writer_len(&aw),
				   pm->encrypted_sender_data.p, pm->encrypted_sender_data.len, sd);
	}
	if (rc < 0) {
		goto out;
	}
	mls_reader_init(&rd, sd, sizeof(sd));
	rc = mls_sender_data_decode(&rd, a, &sdata);
	if (rc < 0) {
		goto out;
	}
	rc = ratchet_for(ep, sdata.leaf_index, pm->content_type, &rt);
	if (rc == -EINVAL) {
		rc = -ENOENT;	/* a leaf outside the tree */
	}
	/*
	 * The generation's key is taken from a copy of the ratchet, and the
	 * copy replaces the ratchet only once the content has opened: a forged
	 * or damaged copy of a message must not use up the key the genuine
	 * one needs.
	 */
	if (rc == 0) {
		trial = *rt;
		rc = mls_ratchet_get(&trial, sdata.generation, key, nonce);
	}
	if (rc < 0) {
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		nonce[i] ^= sdata.reuse_guard[i];
	}
	mls_writer_init(&aw, aad, aad_cap);
	rc = mls_private_content_aad_encode(&aw, pm);
	if (rc == 0) {
		rc = mls_aead_open(s, key, nonce, aad, mls_writer_len(&aw), pm->ciphertext.p,
				   pm->ciphertext.len, pt);
	}
	if (rc < 0) {
		goto out;
	}
	if (ep->staged != NULL && ep->staged_at != NULL) {
		*ep->staged = trial;
		*ep->staged_at = rt;
	} else {
		*rt = trial;
	}
	mls_reader_init(&rd, pt, pm->ciphertext.len - MLS_AEAD_TAG);
	rc = mls_private_message_content_decode(&rd, a, pm->content_type, &pmc);
	if (rc < 0) {
		goto out;
	}
	out->wire_format = MLS_WIRE_PRIVATE_MESSAGE;
	memset(&out->content, 0, sizeof(out->content));
	out->content.group_id = pm->group_id;
	out->content.epoch = pm->epoch;
	out->content.sender.type = MLS_SENDER_MEMBER;
	out->content.sender.index = sdata.leaf_index;
	out->content.authenticated_data = pm->authenticated_data;
	out->content.content_type = pm->content_type;
	switch (pm->content_type) {
	case MLS_CONTENT_APPLICATION:
		out->content.application_data = pmc.application_data;
		break;
	case MLS_CONTENT_PROPOSAL:
		out->content.proposal = pmc.proposal;
		break;
	default:
		out->content.commit = pmc.commit;
		break;
	}
	out->auth = pmc.auth;
	rc = verify_content(ep, out, len, a);
out:
	OPENSSL_cleanse(&trial, sizeof(trial));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(nonce, sizeof(nonce));
	if (rc < 0) {
		OPENSSL_cleanse(pt, pm->ciphertext.len - MLS_AEAD_TAG);
	}
	return rc;
}

int mls_framing_unprotect(const struct mls_framing_epoch *ep, const uint8_t *msg, size_t len,
			  struct mls_arena *a, struct mls_authenticated_content *out)
{
	struct mls_message m;
	struct mls_reader rd;
	int rc;

	if (ep == NULL || ep->suite == NULL || ep->context == NULL || (msg == NULL && len > 0) ||
	    a == NULL || out == NULL) {
		return -EINVAL;
	}
	mls_reader_init(&rd, msg, len);
	rc = mls_message_decode(&rd, a, &m);
	if (rc < 0 || mls_read_end(&rd) < 0) {
		return -EBADMSG;
	}
	if (m.wire_format == MLS_WIRE_PUBLIC_MESSAGE) {
		return unprotect_public(ep, &m.public_message, len, a, out);
	}
	if (m.wire_format == MLS_WIRE_PRIVATE_MESSAGE) {
		return unprotect_private(ep, &m.private_message, len, a, out);
	}
	return -EBADMSG;
}
