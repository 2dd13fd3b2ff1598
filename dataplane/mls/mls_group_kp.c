/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_group_kp.c - KeyPackages (RFC 9420 section 10): made for this member
 * (mls_kp_create), imported with their private keys (mls_kp_import),
 * validated when received (section 10.1) and referenced (section 5.2).
 * The contract is mls_group.h and mls_group_internal.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_group_internal.h"

/* Arena limit for decoding one KeyPackage message (bounded by MLS_GROUP_MAX_MESSAGE). */
#define KP_ARENA_LIMIT (8u << 20)

static const char kp_ref_label[] = "MLS 1.0 KeyPackage Reference";

/* ---- encoders for grp_encode ----------------------------------------------- */

struct leaf_tbs_arg {
	const struct mls_leaf_node *leaf;
};

static int enc_leaf_tbs(struct mls_writer *w, const void *arg)
{
	const struct leaf_tbs_arg *a = arg;
	struct mls_bytes none = {NULL, 0};

	/* a key_package leaf's TBS carries no group_id nor leaf index (section 7.2) */
	return mls_leaf_node_tbs_encode(w, a->leaf, none, 0);
}

static int enc_leaf(struct mls_writer *w, const void *arg)
{
	return mls_leaf_node_encode(w, arg);
}

static int enc_kp_tbs(struct mls_writer *w, const void *arg)
{
	return mls_key_package_tbs_encode(w, arg);
}

static int enc_kp(struct mls_writer *w, const void *arg)
{
	return mls_key_package_encode(w, arg);
}

static int enc_message(struct mls_writer *w, const void *arg)
{
	return mls_message_encode(w, arg);
}

/* ---- references and checks ------------------------------------------------- */

int grp_kp_ref(const struct mls_suite *s, const uint8_t *kp, size_t len, uint8_t *out)
{
	if (s == NULL || kp == NULL || out == NULL) {
		return -EINVAL;
	}
	return mls_ref_hash(s, kp_ref_label, sizeof(kp_ref_label) - 1, kp, len, out);
}

static bool u16_listed(const struct mls_u16_list *l, uint16_t v)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i] == v) {
			return true;
		}
	}
	return false;
}

/* verify_tbs encodes a TBS with |fn| and checks |sig| over it with |key|. */
static int verify_tbs(const struct mls_suite *s, EVP_PKEY *key, const char *label,
		      size_t label_len, int (*fn)(struct mls_writer *, const void *),
		      const void *arg, struct mls_bytes sig)
{
	struct grp_buf tbs = {NULL, 0};
	int rc;

	rc = grp_encode(fn, arg, &tbs);
	if (rc < 0) {
		return rc == -ENOSPC ? -EBADMSG : rc;
	}
	rc = mls_verify_with_label(s, key, label, label_len, tbs.p, tbs.len, sig.p, sig.len);
	grp_buf_free(&tbs);
	return rc;
}

int grp_kp_check(const struct mls_suite *s, const struct mls_key_package *kp, uint64_t now)
{
	const struct mls_leaf_node *ln;
	struct leaf_tbs_arg la;
	EVP_PKEY *key = NULL;
	int rc;

	if (s == NULL || kp == NULL) {
		return -EINVAL;
	}
	ln = &kp->leaf_node;
	if (kp->version != MLS_VERSION_MLS10) {
		return -EPROTONOSUPPORT;
	}
	if (kp->cipher_suite != s->id) {
		return mls_suite_get(kp->cipher_suite) == NULL ? -EPROTONOSUPPORT : -EBADMSG;
	}
	if (ln->source != MLS_LEAF_SOURCE_KEY_PACKAGE) {
		return -EBADMSG;
	}
	if (kp->init_key.len != s->kem_npk || ln->encryption_key.len != s->kem_npk ||
	    ln->signature_key.len != s->sig_npub) {
		return -EBADMSG;
	}
	/* section 10.1: the init key must differ from the leaf's encryption key */
	if (memcmp(kp->init_key.p, ln->encryption_key.p, s->kem_npk) == 0) {
		return -EBADMSG;
	}
	/* section 7.3: the credential type must be one the leaf says it supports */
	if (!u16_listed(&ln->capabilities.credentials, ln->credential.type)) {
		return -EBADMSG;
	}
	if (now != 0 && (now < ln->lifetime.not_before || now > ln->lifetime.not_after)) {
		return -EBADMSG;
	}
	rc = mls_sig_key_from_pub(s, ln->signature_key.p, ln->signature_key.len, &key);
	if (rc < 0) {
		return -EBADMSG;
	}
	la.leaf = ln;
	rc = verify_tbs(s, key, MLS_LABEL("LeafNodeTBS"), enc_leaf_tbs, &la, ln->signature);
	if (rc == 0) {
		rc = verify_tbs(s, key, MLS_LABEL("KeyPackageTBS"), enc_kp_tbs, kp, kp->signature);
	}
	EVP_PKEY_free(key);
	return rc;
}

int mls_key_package_check(const struct mls_suite *s, const uint8_t *msg, size_t len, uint64_t now)
{
	struct mls_message *m;
	struct mls_arena a;
	int rc;

	if (s == NULL) {
		return -EINVAL;
	}
	m = malloc(sizeof(*m));
	if (m == NULL) {
		return -ENOMEM;
	}
	mls_arena_init(&a, KP_ARENA_LIMIT);
	rc = grp_decode_message(msg, len, MLS_WIRE_KEY_PACKAGE, &a, m);
	if (rc == 0) {
		rc = grp_kp_check(s, &m->key_package, now);
	}
	mls_arena_cleanup(&a);
	free(m);
	return rc;
}

/* ---- own KeyPackages --------------------------------------------------------- */

void mls_kp_free(struct mls_kp *kp)
{
	if (kp == NULL) {
		return;
	}
	mls_signer_free(kp->signer);
	grp_buf_free(&kp->msg);
	grp_buf_free(&kp->kp);
	grp_buf_free(&kp->leaf);
	OPENSSL_cleanse(kp, sizeof(*kp));
	free(kp);
}

const uint8_t *mls_kp_message(const struct mls_kp *kp, size_t *len)
{
	if (kp == NULL) {
		if (len != NULL) {
			*len = 0;
		}
		return NULL;
	}
	if (len != NULL) {
		*len = kp->msg.len;
	}
	return kp->msg.p;
}

const struct mls_suite *mls_kp_suite(const struct mls_kp *kp)
{
	return kp != NULL ? kp->suite : NULL;
}

/*
 * kp_finish fills |kp|'s encodings (message, KeyPackage, LeafNode) and its
 * reference from the decoded or built KeyPackage |p|.
 */
static int kp_finish(struct mls_kp *kp, const struct mls_key_package *p)
{
	struct mls_message m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.wire_format = MLS_WIRE_KEY_PACKAGE;
	m.key_package = *p;
	rc = grp_encode(enc_message, &m, &kp->msg);
	if (rc == 0) {
		rc = grp_encode(enc_kp, p, &kp->kp);
	}
	if (rc == 0) {
		rc = grp_encode(enc_leaf, &p->leaf_node, &kp->leaf);
	}
	if (rc == 0) {
		rc = grp_kp_ref(kp->suite, kp->kp.p, kp->kp.len, kp->ref);
	}
	return rc;
}

/* sign_tbs encodes a TBS with |fn| and signs it with |sg|'s key into |sig| (MLS_MAX_SIG). */
static int sign_tbs(const struct mls_signer *sg, const char *label, size_t label_len,
		    int (*fn)(struct mls_writer *, const void *), const void *arg, uint8_t *sig,
		    size_t *sig_len)
{
	struct grp_buf tbs = {NULL, 0};
	int rc;

	rc = grp_encode(fn, arg, &tbs);
	if (rc < 0) {
		return rc;
	}
	rc = mls_sign_with_label(sg->suite, sg->key, label, label_len, tbs.p, tbs.len, sig,
				 MLS_MAX_SIG, sig_len);
	grp_buf_free(&tbs);
	return rc;
}

int mls_kp_create(const struct mls_signer *sg, uint64_t not_before, uint64_t not_after,
		  struct mls_kp **out)
{
	static const uint16_t versions[] = {MLS_VERSION_MLS10};
	static const uint16_t credentials[] = {MLS_CREDENTIAL_BASIC};
	uint8_t leaf_sig[MLS_MAX_SIG], kp_sig[MLS_MAX_SIG];
	size_t leaf_sig_len, kp_sig_len;
	const struct mls_suite *s;
	struct mls_key_package p;
	struct leaf_tbs_arg la;
	struct mls_leaf_node *ln;
	struct mls_kp *kp;
	uint16_t suite_id;
	int rc;

	if (sg == NULL || out == NULL || not_before > not_after) {
		return -EINVAL;
	}
	s = sg->suite;
	kp = calloc(1, sizeof(*kp));
	if (kp == NULL) {
		return -ENOMEM;
	}
	kp->suite = s;
	rc = grp_signer_copy(sg, &kp->signer);
	if (rc < 0) {
		goto err;
	}
	rc = mls_hpke_keygen(s, kp->init_priv, kp->init_pub);
	if (rc == 0) {
		rc = mls_hpke_keygen(s, kp->enc_priv, kp->enc_pub);
	}
	if (rc < 0) {
		goto err;
	}
	kp->init_priv_len = s->kem_nsk;
	kp->enc_priv_len = s->kem_nsk;

	suite_id = s->id;
	memset(&p, 0, sizeof(p));
	p.version = MLS_VERSION_MLS10;
	p.cipher_suite = s->id;
	p.init_key = (struct mls_bytes){kp->init_pub, s->kem_npk};
	ln = &p.leaf_node;
	ln->encryption_key = (struct mls_bytes){kp->enc_pub, s->kem_npk};
	ln->signature_key = (struct mls_bytes){sg->pub, sg->pub_len};
	ln->credential.type = MLS_CREDENTIAL_BASIC;
	ln->credential.identity = (struct mls_bytes){sg->identity, sg->identity_len};
	ln->capabilities.versions = (struct mls_u16_list){versions, 1};
	ln->capabilities.cipher_suites = (struct mls_u16_list){&suite_id, 1};
	ln->capabilities.credentials = (struct mls_u16_list){credentials, 1};
	ln->source = MLS_LEAF_SOURCE_KEY_PACKAGE;
	ln->lifetime.not_before = not_before;
	ln->lifetime.not_after = not_after;

	la.leaf = ln;
	rc = sign_tbs(sg, MLS_LABEL("LeafNodeTBS"), enc_leaf_tbs, &la, leaf_sig, &leaf_sig_len);
	if (rc < 0) {
		goto err;
	}
	ln->signature = (struct mls_bytes){leaf_sig, leaf_sig_len};
	rc = sign_tbs(sg, MLS_LABEL("KeyPackageTBS"), enc_kp_tbs, &p, kp_sig, &kp_sig_len);
	if (rc < 0) {
		goto err;
	}
	p.signature = (struct mls_bytes){kp_sig, kp_sig_len};
	rc = kp_finish(kp, &p);
	if (rc < 0) {
		goto err;
	}
	*out = kp;
	return 0;
err:
	mls_kp_free(kp);
	return rc;
}

/*
 * check_kem_priv checks that |priv| is the private key of |pub| and stores
 * it in |dst| as kem_nsk bytes. A P-curve scalar may come without its
 * leading zero bytes (other implementations write it so: P-521 keys of 65
 * bytes); it is padded back to its fixed length.
 */
static int check_kem_priv(const struct mls_suite *s, const uint8_t *priv, size_t len,
			  struct mls_bytes pub, uint8_t *dst, size_t *dst_len, uint8_t *dst_pub)
{
	uint8_t derived[MLS_MAX_KEM_PUB];
	bool scalar = s->kem_id == MLS_KEM_P256 || s->kem_id == MLS_KEM_P384 ||
		      s->kem_id == MLS_KEM_P521;
	int rc;

	if (priv == NULL || len == 0 || len > s->kem_nsk || (!scalar && len != s->kem_nsk)) {
		return -EINVAL;
	}
	memset(dst, 0, s->kem_nsk - len);
	memcpy(dst + (s->kem_nsk - len), priv, len);
	*dst_len = s->kem_nsk;
	rc = mls_hpke_pub_from_priv(s, dst, s->kem_nsk, derived);
	if (rc < 0 || pub.len != s->kem_npk || memcmp(derived, pub.p, s->kem_npk) != 0) {
		OPENSSL_cleanse(dst, s->kem_nsk);
		*dst_len = 0;
		return -EBADMSG;
	}
	if (dst_pub != NULL) {
		memcpy(dst_pub, derived, s->kem_npk);
	}
	return 0;
}

int mls_kp_import(const uint8_t *msg, size_t len, const uint8_t *init_priv, size_t init_len,
		  const uint8_t *enc_priv, size_t enc_len, const uint8_t *sig_priv, size_t sig_len,
		  struct mls_kp **out)
{
	const struct mls_key_package *p;
	const struct mls_leaf_node *ln;
	const struct mls_suite *s;
	struct mls_message *m;
	struct mls_kp *kp = NULL;
	struct mls_arena a;
	int rc;

	if (out == NULL || init_priv == NULL || enc_priv == NULL || sig_priv == NULL) {
		return -EINVAL;
	}
	m = malloc(sizeof(*m));
	if (m == NULL) {
		return -ENOMEM;
	}
	mls_arena_init(&a, KP_ARENA_LIMIT);
	rc = grp_decode_message(msg, len, MLS_WIRE_KEY_PACKAGE, &a, m);
	if (rc < 0) {
		goto out;
	}
	p = &m->key_package;
	ln = &p->leaf_node;
	s = mls_suite_get(p->cipher_suite);
	if (s == NULL || p->version != MLS_VERSION_MLS10) {
		rc = -EPROTONOSUPPORT;
		goto out;
	}
	rc = grp_kp_check(s, p, 0);
	if (rc < 0) {
		goto out;
	}
	if (ln->credential.type != MLS_CREDENTIAL_BASIC) {
		rc = -EPROTONOSUPPORT;
		goto out;
	}
	kp = calloc(1, sizeof(*kp));
	if (kp == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	kp->suite = s;
	rc = check_kem_priv(s, init_priv, init_len, p->init_key, kp->init_priv,
			    &kp->init_priv_len, kp->init_pub);
	if (rc == 0) {
		rc = check_kem_priv(s, enc_priv, enc_len, ln->encryption_key, kp->enc_priv,
				    &kp->enc_priv_len, kp->enc_pub);
	}
	if (rc < 0) {
		goto out;
	}
	rc = mls_signer_new(s, ln->credential.identity.p, ln->credential.identity.len, sig_priv,
			    sig_len, &kp->signer);
	if (rc < 0) {
		rc = rc == -ENOMEM ? rc : -EBADMSG;
		goto out;
	}
	if (kp->signer->pub_len != ln->signature_key.len ||
	    memcmp(kp->signer->pub, ln->signature_key.p, ln->signature_key.len) != 0) {
		rc = -EBADMSG;
		goto out;
	}
	rc = kp_finish(kp, p);
	if (rc < 0) {
		goto out;
	}
	*out = kp;
	kp = NULL;
out:
	mls_kp_free(kp);
	mls_arena_cleanup(&a);
	free(m);
	return rc;
}
