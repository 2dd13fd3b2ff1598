/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_keysched.c - the MLS key schedule, PSK secret, exporter, welcome key
 * and transcript hashes (RFC 9420 sections 8, 8.2, 8.4, 8.5, 12.4.3.1).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mls_codec.h"
#include "mls_keysched.h"

/* The DeriveSecret labels of the epoch secrets (section 8, table 4). */
static int derive_all(const struct mls_suite *s, const uint8_t *epoch_secret,
		      struct mls_epoch_secrets *out)
{
	const struct {
		const char *label;
		uint8_t *out;
	} d[] = {
		{"sender data", out->sender_data},
		{"encryption", out->encryption},
		{"exporter", out->exporter},
		{"external", out->external},
		{"confirm", out->confirmation_key},
		{"membership", out->membership_key},
		{"resumption", out->resumption_psk},
		{"authentication", out->epoch_authenticator},
		{"init", out->init},
	};
	int rc;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		rc = mls_derive_secret(s, epoch_secret, s->nh, d[i].label, strlen(d[i].label),
				       d[i].out);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

int mls_keysched_from_joiner(const struct mls_suite *s, const uint8_t *joiner_secret,
			     const uint8_t *psk_secret,
			     const uint8_t *group_context, size_t group_context_len,
			     struct mls_epoch_secrets *out)
{
	uint8_t member[MLS_MAX_HASH], epoch[MLS_MAX_HASH];
	int rc;

	if (s == NULL || joiner_secret == NULL || psk_secret == NULL || out == NULL ||
	    (group_context == NULL && group_context_len > 0)) {
		return -EINVAL;
	}
	if (out->joiner != joiner_secret) {
		memmove(out->joiner, joiner_secret, s->nh);
	}
	/* The "member secret" of the diagram: Extract(salt joiner_secret, ikm psk_secret). */
	rc = mls_kdf_extract(s, out->joiner, s->nh, psk_secret, s->nh, member);
	if (rc == 0) {
		rc = mls_derive_secret(s, member, s->nh, MLS_LABEL("welcome"), out->welcome);
	}
	if (rc == 0) {
		rc = mls_expand_with_label(s, member, s->nh, MLS_LABEL("epoch"), group_context,
					   group_context_len, epoch, s->nh);
	}
	if (rc == 0) {
		rc = derive_all(s, epoch, out);
	}
	OPENSSL_cleanse(member, sizeof(member));
	OPENSSL_cleanse(epoch, sizeof(epoch));
	if (rc < 0) {
		mls_epoch_secrets_wipe(out);
	}
	return rc;
}

int mls_keysched_epoch(const struct mls_suite *s, const uint8_t *init_secret,
		       const uint8_t *commit_secret, const uint8_t *psk_secret,
		       const uint8_t *group_context, size_t group_context_len,
		       struct mls_epoch_secrets *out)
{
	uint8_t prk[MLS_MAX_HASH];
	int rc;

	if (s == NULL || init_secret == NULL || commit_secret == NULL || out == NULL) {
		return -EINVAL;
	}
	rc = mls_kdf_extract(s, init_secret, s->nh, commit_secret, s->nh, prk);
	if (rc == 0) {
		rc = mls_expand_with_label(s, prk, s->nh, MLS_LABEL("joiner"), group_context,
					   group_context_len, out->joiner, s->nh);
	}
	OPENSSL_cleanse(prk, sizeof(prk));
	if (rc < 0) {
		mls_epoch_secrets_wipe(out);
		return rc;
	}
	return mls_keysched_from_joiner(s, out->joiner, psk_secret, group_context,
					group_context_len, out);
}

int mls_keysched_welcome_secret(const struct mls_suite *s, const uint8_t *joiner_secret,
				const uint8_t *psk_secret, uint8_t *out)
{
	uint8_t member[MLS_MAX_HASH];
	int rc;

	if (s == NULL || joiner_secret == NULL || psk_secret == NULL || out == NULL) {
		return -EINVAL;
	}
	rc = mls_kdf_extract(s, joiner_secret, s->nh, psk_secret, s->nh, member);
	if (rc == 0) {
		rc = mls_derive_secret(s, member, s->nh, MLS_LABEL("welcome"), out);
	}
	OPENSSL_cleanse(member, sizeof(member));
	return rc;
}

void mls_epoch_secrets_wipe(struct mls_epoch_secrets *e)
{
	if (e != NULL) {
		OPENSSL_cleanse(e, sizeof(*e));
	}
}

int mls_keysched_psk_secret(const struct mls_suite *s, const struct mls_psk_input *psks,
			    size_t n, uint8_t *out)
{
	uint8_t extracted[MLS_MAX_HASH], input[MLS_MAX_HASH], acc[MLS_MAX_HASH];
	static const uint8_t zero[MLS_MAX_HASH];
	uint8_t small[512], *label = small;
	size_t cap = sizeof(small);
	int rc = 0;

	if (s == NULL || out == NULL || (psks == NULL && n > 0) || n > UINT16_MAX) {
		return -EINVAL;
	}
	memset(acc, 0, sizeof(acc));
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct mls_writer w;
		size_t need;

		if ((psks[i].id == NULL && psks[i].id_len > 0) ||
		    (psks[i].psk == NULL && psks[i].psk_len > 0)) {
			rc = -EINVAL;
			break;
		}
		/* PSKLabel: PreSharedKeyID id; uint16 index; uint16 count. */
		need = psks[i].id_len + 4;
		if (need > cap) {
			if (label != small) {
				OPENSSL_free(label);
			}
			label = OPENSSL_malloc(need);
			if (label == NULL) {
				return -ENOMEM;
			}
			cap = need;
		}
		mls_writer_init(&w, label, cap);
		if (mls_write_bytes(&w, psks[i].id, psks[i].id_len) < 0 ||
		    mls_write_u16(&w, (uint16_t)i) < 0 || mls_write_u16(&w, (uint16_t)n) < 0) {
			rc = -ENOSPC;
			break;
		}
		rc = mls_kdf_extract(s, zero, s->nh, psks[i].psk, psks[i].psk_len, extracted);
		if (rc == 0) {
			rc = mls_expand_with_label(s, extracted, s->nh, MLS_LABEL("derived psk"),
						   label, mls_writer_len(&w), input, s->nh);
		}
		if (rc == 0) {
			rc = mls_kdf_extract(s, input, s->nh, acc, s->nh, acc);
		}
	}
	if (rc == 0) {
		memcpy(out, acc, s->nh);
	}
	if (label != small) {
		OPENSSL_free(label);
	}
	OPENSSL_cleanse(extracted, sizeof(extracted));
	OPENSSL_cleanse(input, sizeof(input));
	OPENSSL_cleanse(acc, sizeof(acc));
	return rc;
}

int mls_keysched_export(const struct mls_suite *s, const uint8_t *exporter_secret,
			const void *label, size_t label_len,
			const uint8_t *context, size_t context_len,
			uint8_t *out, size_t out_len)
{
	uint8_t derived[MLS_MAX_HASH], h[MLS_MAX_HASH];
	int rc;

	if (s == NULL || exporter_secret == NULL) {
		return -EINVAL;
	}
	rc = mls_derive_secret(s, exporter_secret, s->nh, label, label_len, derived);
	if (rc == 0) {
		rc = mls_hash(s, context, context_len, h);
	}
	if (rc == 0) {
		rc = mls_expand_with_label(s, derived, s->nh, MLS_LABEL("exported"), h, s->nh,
					   out, out_len);
	}
	OPENSSL_cleanse(derived, sizeof(derived));
	return rc;
}

int mls_keysched_welcome_key(const struct mls_suite *s, const uint8_t *welcome_secret,
			     uint8_t *key, uint8_t *nonce)
{
	int rc;

	if (s == NULL || welcome_secret == NULL || key == NULL || nonce == NULL) {
		return -EINVAL;
	}
	rc = mls_expand_with_label(s, welcome_secret, s->nh, MLS_LABEL("key"), NULL, 0, key,
				   s->nk);
	if (rc == 0) {
		rc = mls_expand_with_label(s, welcome_secret, s->nh, MLS_LABEL("nonce"), NULL, 0,
					   nonce, s->nn);
	}
	if (rc < 0) {
		OPENSSL_cleanse(key, s->nk);
	}
	return rc;
}

/* hash2 writes Hash(a || b) to |out| without copying a and b together. */
static int hash2(const struct mls_suite *s, const uint8_t *a, size_t a_len, const uint8_t *b,
		 size_t b_len, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int rc = -EIO;

	if (ctx == NULL) {
		return -ENOMEM;
	}
	if (EVP_DigestInit_ex(ctx, s->md, NULL) == 1 &&
	    (a_len == 0 || EVP_DigestUpdate(ctx, a, a_len) == 1) &&
	    (b_len == 0 || EVP_DigestUpdate(ctx, b, b_len) == 1) &&
	    EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == s->nh) {
		rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

int mls_keysched_transcript(const struct mls_suite *s,
			    const uint8_t *interim_before, size_t interim_before_len,
			    const uint8_t *confirmed_input, size_t confirmed_input_len,
			    const uint8_t *interim_input, size_t interim_input_len,
			    uint8_t *confirmed_after, uint8_t *interim_after)
{
	uint8_t confirmed[MLS_MAX_HASH];
	int rc;

	if (s == NULL || (interim_before == NULL && interim_before_len > 0) ||
	    (confirmed_input == NULL && confirmed_input_len > 0) ||
	    (interim_input == NULL && interim_input_len > 0)) {
		return -EINVAL;
	}
	rc = hash2(s, interim_before, interim_before_len, confirmed_input, confirmed_input_len,
		   confirmed);
	if (rc == 0 && interim_after != NULL) {
		rc = hash2(s, confirmed, s->nh, interim_input, interim_input_len, interim_after);
	}
	if (rc == 0 && confirmed_after != NULL) {
		memcpy(confirmed_after, confirmed, s->nh);
	}
	return rc;
}
