/* SPDX-License-Identifier: Apache-2.0 */
/* slim_link.c - SLIM link negotiation and key agreement; see slim_link.h. */
#include "slim_link.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

const char *slim_link_err_name(enum slim_link_err e)
{
	static const char *const names[] = {
		"ok",	       "not_link",	    "bad_link_id", "bad_version", "wrong_direction",
		"no_ecdh_key", "link_id_replayed", "link_id_mismatch", "key_agreement",
	};

	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "unknown";
}

/* A numeric identifier: digits, no leading zero (semver 2.0 item 2). */
static const char *num(const char *p)
{
	const char *s = p;

	while (isdigit((unsigned char)*p)) {
		p++;
	}
	if (p == s || (p - s > 1 && *s == '0')) {
		return NULL;
	}
	return p;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty (pre-release and build). */
static const char *idents(const char *p)
{
	for (;;) {
		const char *s = p;

		while (isalnum((unsigned char)*p) || *p == '-') {
			p++;
		}
		if (p == s) {
			return NULL;
		}
		if (*p != '.') {
			return p;
		}
		p++;
	}
}

bool slim_semver_ok(const char *v)
{
	const char *p = v;

	if (p == NULL) {
		return false;
	}
	for (int i = 0; i < 3; i++) {
		p = num(p);
		if (p == NULL) {
			return false;
		}
		if (i < 2) {
			if (*p != '.') {
				return false;
			}
			p++;
		}
	}
	if (*p == '-') {
		p = idents(p + 1);
		if (p == NULL) {
			return false;
		}
	}
	if (*p == '+') {
		p = idents(p + 1);
		if (p == NULL) {
			return false;
		}
	}
	return *p == '\0';
}

int slim_x25519_new(struct slim_x25519 *kp)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY *pkey = NULL;
	size_t len = SLIM_X25519_LEN;
	int rc = -EIO;

	memset(kp, 0, sizeof(*kp));
	if (pc == NULL) {
		return -ENOMEM;
	}
	if (EVP_PKEY_keygen_init(pc) == 1 && EVP_PKEY_keygen(pc, &pkey) == 1 &&
	    EVP_PKEY_get_raw_public_key(pkey, kp->pub, &len) == 1 && len == SLIM_X25519_LEN) {
		kp->pkey = pkey;
		rc = 0;
	} else {
		EVP_PKEY_free(pkey);
	}
	EVP_PKEY_CTX_free(pc);
	return rc;
}

void slim_x25519_free(struct slim_x25519 *kp)
{
	EVP_PKEY_free(kp->pkey); /* OpenSSL cleanses private key material it frees */
	kp->pkey = NULL;
}

static int hkdf(const uint8_t *ikm, size_t ikm_len, const char *salt, uint8_t out[SLIM_KEY_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, strlen(salt)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)SLIM_HKDF_INFO,
						  sizeof(SLIM_HKDF_INFO) - 1),
		OSSL_PARAM_construct_end(),
	};
	int rc = kc != NULL && EVP_KDF_derive(kc, out, SLIM_KEY_LEN, params) == 1 ? 0 : -EIO;

	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	return rc;
}

enum slim_link_err slim_link_derive(const struct slim_x25519 *kp,
				    const uint8_t peer_pub[SLIM_X25519_LEN], const char *link_id,
				    struct slim_mac *mac)
{
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub,
						     SLIM_X25519_LEN);
	EVP_PKEY_CTX *dc = peer != NULL ? EVP_PKEY_CTX_new(kp->pkey, NULL) : NULL;
	uint8_t shared[SLIM_X25519_LEN], key[SLIM_KEY_LEN];
	size_t slen = sizeof(shared);
	enum slim_link_err e = SLIM_LINK_CRYPTO;

	/* OpenSSL refuses an all-zero X25519 result (a small-order peer key) in derive. */
	if (dc != NULL && EVP_PKEY_derive_init(dc) == 1 && EVP_PKEY_derive_set_peer(dc, peer) == 1 &&
	    EVP_PKEY_derive(dc, shared, &slen) == 1 && slen == SLIM_X25519_LEN &&
	    hkdf(shared, slen, link_id, key) == 0 &&
	    slim_mac_init(mac, key, link_id, strlen(link_id)) == 0) {
		e = SLIM_LINK_OK;
	}
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(peer);
	return e;
}

static enum slim_link_err check_common(const Dataplane__Proto__V1__Message *msg,
				       const Dataplane__Proto__V1__LinkNegotiationPayload **out)
{
	const Dataplane__Proto__V1__LinkNegotiationPayload *p;

	if (msg == NULL ||
	    msg->message_type_case != DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_LINK ||
	    msg->link == NULL ||
	    msg->link->link_type_case != DATAPLANE__PROTO__V1__LINK__LINK_TYPE_LINK_NEGOTIATION ||
	    msg->link->link_negotiation == NULL) {
		return SLIM_LINK_NOT_LINK;
	}
	p = msg->link->link_negotiation;
	if (p->link_id == NULL || p->link_id[0] == '\0' || strlen(p->link_id) > SLIM_LINK_ID_MAX) {
		return SLIM_LINK_BAD_ID;
	}
	if (!slim_semver_ok(p->slim_version)) {
		return SLIM_LINK_BAD_VERSION;
	}
	if (!p->has_link_ecdh_public_key || p->link_ecdh_public_key.len != SLIM_X25519_LEN) {
		return SLIM_LINK_NO_KEY;
	}
	*out = p;
	return SLIM_LINK_OK;
}

enum slim_link_err slim_link_check_request(const Dataplane__Proto__V1__Message *msg,
					   const Dataplane__Proto__V1__LinkNegotiationPayload **out)
{
	enum slim_link_err e = check_common(msg, out);

	if (e == SLIM_LINK_OK && (*out)->has_is_reply && (*out)->is_reply) {
		return SLIM_LINK_WRONG_DIRECTION;
	}
	return e;
}

enum slim_link_err slim_link_check_reply(const Dataplane__Proto__V1__Message *msg, const char *link_id,
					 const Dataplane__Proto__V1__LinkNegotiationPayload **out)
{
	enum slim_link_err e = check_common(msg, out);

	if (e != SLIM_LINK_OK) {
		return e;
	}
	if (!(*out)->has_is_reply || !(*out)->is_reply) {
		return SLIM_LINK_WRONG_DIRECTION;
	}
	return strcmp((*out)->link_id, link_id) == 0 ? SLIM_LINK_OK : SLIM_LINK_ID_MISMATCH;
}

bool slim_link_seen_add(struct slim_link_seen *s, const char *id)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = id; *p != '\0'; p++) {
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	}
	h |= 1; /* never 0 (empty) */
	for (uint32_t i = 0; i < SLIM_LINK_SEEN; i++) {
		if (s->h[i] == h) {
			return false;
		}
	}
	s->h[s->pos] = h;
	s->pos = (s->pos + 1) % SLIM_LINK_SEEN;
	return true;
}
