/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_export_app.c - the data plane's sending and receiving state of one
 * epoch, built from a decoded epoch record (mls_export.h). Slow path: it
 * allocates and makes EVP keys, once per epoch change.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mls_app.h"
#include "mls_export.h"

void mls_export_app_epoch(const struct mls_export_rec *r, struct mls_app_epoch *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->suite = r->suite;
	ep->group_id = r->group_id;
	ep->group_id_len = r->group_id_len;
	ep->epoch = r->epoch;
	ep->group_context = r->group_context;
	ep->group_context_len = r->group_context_len;
	ep->sender_data_secret = r->sender_data_secret;
}

/* The signature private key, checked against the own leaf's public key. */
static int own_key(const struct mls_export_rec *r, const struct mls_export_member *self,
		   EVP_PKEY **out)
{
	uint8_t pub[MLS_MAX_SIG_PUB];
	size_t pub_len = 0;
	EVP_PKEY *k = NULL;
	int rc;

	rc = mls_sig_key_from_priv(r->suite, r->sig_priv, r->sig_priv_len, &k);
	if (rc < 0) {
		return rc == -ENOMEM ? rc : -EBADMSG;
	}
	rc = mls_sig_pub_raw(r->suite, k, pub, sizeof(pub), &pub_len);
	if (rc < 0 || pub_len != self->sig_pub_len ||
	    CRYPTO_memcmp(pub, self->sig_pub, pub_len) != 0) {
		EVP_PKEY_free(k);
		return -EBADMSG;
	}
	*out = k;
	return 0;
}

static struct mls_app_receiver *receiver_new(const struct mls_export_rec *r,
					     const struct mls_app_epoch *ep, unsigned flags,
					     int *err)
{
	struct mls_app_receiver *rv = mls_app_receiver_new(ep, r->n_leaves);
	struct mls_export_member m;
	size_t off = 0;

	if (rv == NULL) {
		*err = -errno;
		return NULL;
	}
	while (mls_export_member_next(r, &off, &m) == 1) {
		EVP_PKEY *pub = NULL;
		int rc;

		if (m.leaf == r->own_leaf && !(flags & MLS_EXPORT_F_RECEIVE_SELF)) {
			continue;
		}
		rc = mls_sig_key_from_pub(r->suite, m.sig_pub, m.sig_pub_len, &pub);
		if (rc < 0) {
			*err = rc == -ENOMEM ? rc : -EBADMSG;
			mls_app_receiver_free(rv);
			return NULL;
		}
		/* The receiver takes its own reference. */
		rc = mls_app_receiver_add_member(rv, m.leaf, m.app_secret, 0, pub);
		EVP_PKEY_free(pub);
		if (rc < 0) {
			*err = rc == -EEXIST ? -EBADMSG : rc;
			mls_app_receiver_free(rv);
			return NULL;
		}
	}
	return rv;
}

int mls_export_app_new(const struct mls_export_rec *r, unsigned flags,
		       struct mls_app_sender **sender, struct mls_app_receiver **receiver)
{
	struct mls_app_sender *s = NULL;
	struct mls_app_receiver *rv = NULL;
	struct mls_export_member self;
	struct mls_app_epoch ep;
	EVP_PKEY *key = NULL;
	int rc;

	if (r == NULL || r->suite == NULL || (sender == NULL && receiver == NULL)) {
		return -EINVAL;
	}
	if (mls_export_find_member(r, r->own_leaf, &self) < 0) {
		return -EBADMSG;
	}
	mls_export_app_epoch(r, &ep);
	if (sender != NULL) {
		rc = own_key(r, &self, &key);
		if (rc < 0) {
			return rc;
		}
		s = mls_app_sender_new(&ep, r->own_leaf, self.app_secret, 0, key);
		EVP_PKEY_free(key);	/* the sender holds its own reference */
		if (s == NULL) {
			return errno == ENOMEM ? -ENOMEM : -EINVAL;
		}
	}
	if (receiver != NULL) {
		rc = 0;
		rv = receiver_new(r, &ep, flags, &rc);
		if (rv == NULL) {
			mls_app_sender_free(s);
			return rc < 0 ? rc : -ENOMEM;
		}
		*receiver = rv;
	}
	if (sender != NULL) {
		*sender = s;
	}
	return 0;
}
