/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_keysched.h - the MLS key schedule (RFC 9420 section 8): epoch
 * secrets from the previous init_secret, the commit secret, the PSK secret
 * and the new GroupContext; the PSK secret of section 8.4; the exporter of
 * section 8.5; the welcome key and nonce of section 12.4.3.1; and the
 * confirmed and interim transcript hashes of section 8.2.
 *
 *                init_secret_[n-1]
 *                      |
 *   commit_secret -> KDF.Extract
 *                      |
 *          ExpandWithLabel(., "joiner", GroupContext_[n], Nh)  = joiner_secret
 *                      |
 *      psk_secret -> KDF.Extract                              = member secret
 *                      |--> DeriveSecret(., "welcome")         = welcome_secret
 *          ExpandWithLabel(., "epoch", GroupContext_[n], Nh)   = epoch_secret
 *                      |--> DeriveSecret(., <label>)           = the secrets below
 *                      +--> DeriveSecret(., "init")            = init_secret_[n]
 *
 * GroupContexts are passed encoded (mls_msg.h encodes them): the schedule
 * only hashes them into labels. Every function here is reentrant and makes
 * no allocation but what libcrypto does; intermediate secrets are wiped.
 * Errors are those of mls_crypto.h.
 */
#ifndef SB_MLS_KEYSCHED_H
#define SB_MLS_KEYSCHED_H

#include <stddef.h>
#include <stdint.h>

#include "mls_crypto.h"

/* The secrets of one epoch (each Nh bytes of its array are used). */
struct mls_epoch_secrets {
	uint8_t joiner[MLS_MAX_HASH];
	uint8_t welcome[MLS_MAX_HASH];
	uint8_t sender_data[MLS_MAX_HASH];
	uint8_t encryption[MLS_MAX_HASH];
	uint8_t exporter[MLS_MAX_HASH];
	uint8_t external[MLS_MAX_HASH];
	uint8_t confirmation_key[MLS_MAX_HASH];
	uint8_t membership_key[MLS_MAX_HASH];
	uint8_t resumption_psk[MLS_MAX_HASH];
	uint8_t epoch_authenticator[MLS_MAX_HASH];
	uint8_t init[MLS_MAX_HASH];		/* init_secret of this epoch, for the next */
};

/*
 * mls_keysched_epoch runs the whole schedule of section 8: from the
 * previous epoch's |init_secret|, the |commit_secret| (all zero when the
 * Commit has no path) and the |psk_secret| (all zero without PSKs; see
 * mls_keysched_psk_secret), each Nh bytes, and the encoded new GroupContext.
 * Fills every member of |out|. Returns 0 or a negative errno (mls_crypto.h).
 */
int mls_keysched_epoch(const struct mls_suite *s, const uint8_t *init_secret,
		       const uint8_t *commit_secret, const uint8_t *psk_secret,
		       const uint8_t *group_context, size_t group_context_len,
		       struct mls_epoch_secrets *out) __attribute__((warn_unused_result));

/*
 * mls_keysched_from_joiner runs the schedule from a joiner_secret (a new
 * member after decrypting a Welcome's GroupSecrets). Fills |out| as
 * mls_keysched_epoch does (out->joiner is a copy of |joiner_secret|).
 */
int mls_keysched_from_joiner(const struct mls_suite *s, const uint8_t *joiner_secret,
			     const uint8_t *psk_secret,
			     const uint8_t *group_context, size_t group_context_len,
			     struct mls_epoch_secrets *out) __attribute__((warn_unused_result));

/*
 * mls_keysched_welcome_secret derives welcome_secret from |joiner_secret|
 * and |psk_secret| (each Nh bytes) alone, as a new member must before it
 * can decrypt the GroupInfo that gives it the GroupContext (section 8).
 */
int mls_keysched_welcome_secret(const struct mls_suite *s, const uint8_t *joiner_secret,
				const uint8_t *psk_secret, uint8_t *out)
	__attribute__((warn_unused_result));

/* mls_epoch_secrets_wipe wipes every secret of |e|. */
void mls_epoch_secrets_wipe(struct mls_epoch_secrets *e);

/* One PSK of a Commit or Welcome, in the order the proposals list them. */
struct mls_psk_input {
	const uint8_t *id;	/* the encoded PreSharedKeyID (section 8.4) */
	size_t id_len;
	const uint8_t *psk;	/* the PSK's value */
	size_t psk_len;
};

/*
 * mls_keysched_psk_secret computes psk_secret (section 8.4) from |n| PSKs:
 *   psk_extracted_[i] = KDF.Extract(0, psk_[i])
 *   psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk",
 *                                       PSKLabel{id, index i, count n}, Nh)
 *   psk_secret_[i+1]  = KDF.Extract(psk_input_[i], psk_secret_[i]), psk_secret_[0] = 0
 * |out| gets Nh bytes (all zero when n is 0). -EINVAL when n > 65535.
 */
int mls_keysched_psk_secret(const struct mls_suite *s, const struct mls_psk_input *psks,
			    size_t n, uint8_t *out) __attribute__((warn_unused_result));

/*
 * mls_keysched_export: MLS-Exporter(label, context, length) of section 8.5
 * = ExpandWithLabel(DeriveSecret(exporter_secret, label), "exported",
 * Hash(context), length). |label| is arbitrary bytes.
 */
int mls_keysched_export(const struct mls_suite *s, const uint8_t *exporter_secret,
			const void *label, size_t label_len,
			const uint8_t *context, size_t context_len,
			uint8_t *out, size_t out_len) __attribute__((warn_unused_result));

/*
 * mls_keysched_welcome_key derives the key (Nk) and nonce (Nn) that seal a
 * Welcome's GroupInfo from welcome_secret (section 12.4.3.1).
 */
int mls_keysched_welcome_key(const struct mls_suite *s, const uint8_t *welcome_secret,
			     uint8_t *key, uint8_t *nonce) __attribute__((warn_unused_result));

/*
 * mls_keysched_transcript computes the transcript hashes of section 8.2:
 *   confirmed = Hash(interim_before || ConfirmedTranscriptHashInput)
 *   interim   = Hash(confirmed || InterimTranscriptHashInput)
 * where ConfirmedTranscriptHashInput is the encoded wire_format,
 * FramedContent and signature (|confirmed_input|) and
 * InterimTranscriptHashInput the encoded confirmation_tag<V>
 * (|interim_input|). |interim_before| is Nh bytes, or empty (len 0) for
 * the first epoch. Either output may be NULL.
 */
int mls_keysched_transcript(const struct mls_suite *s,
			    const uint8_t *interim_before, size_t interim_before_len,
			    const uint8_t *confirmed_input, size_t confirmed_input_len,
			    const uint8_t *interim_input, size_t interim_input_len,
			    uint8_t *confirmed_after, uint8_t *interim_after)
	__attribute__((warn_unused_result));

#endif
