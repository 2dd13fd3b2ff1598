/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_export.c - the epoch record: encoder, the encoder from a group, and
 * the bounds-checked decoder (the format is in mls_export.h).
 *
 * This file uses sbmls only (the codec, the suites, the group accessors):
 * the control process links it without the AEAD engine. The data plane's
 * state built from a record is in mls_export_app.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mls_app.h"
#include "mls_codec.h"
#include "mls_export.h"
#include "mls_group.h"

/* The fixed-width fields: magic, version, suite, epoch, own_leaf, n_leaves. */
#define FIXED_LEN (4 + 2 + 2 + 8 + 4 + 4)

static size_t opaque_len(size_t n)
{
	return mls_varint_len(n) + n;
}

static bool sig_priv_len_ok(const struct mls_suite *s, size_t n)
{
	/* EdDSA seeds are exactly sig_npriv; an ECDSA scalar may drop leading zeros. */
	if (s->sig_scheme == MLS_SIG_ED25519 || s->sig_scheme == MLS_SIG_ED448) {
		return n == s->sig_npriv;
	}
	return n >= 1 && n <= s->sig_npriv;
}

/* The checks both the encoder and the decoder make on the fixed part. */
static bool rec_ok(const struct mls_export_rec *r)
{
	return r->suite != NULL && r->group_id != NULL && r->group_id_len >= 1 &&
	       r->group_id_len <= MLS_APP_MAX_GROUP_ID && r->n_leaves >= 1 &&
	       r->n_leaves <= MLS_EXPORT_MAX_LEAVES && r->own_leaf < r->n_leaves &&
	       r->group_context != NULL && r->group_context_len >= 1 &&
	       r->group_context_len <= MLS_APP_MAX_GROUP_CONTEXT &&
	       r->sender_data_secret != NULL && r->sig_priv != NULL &&
	       sig_priv_len_ok(r->suite, r->sig_priv_len);
}

static size_t members_body_len(const struct mls_export_rec *r, const struct mls_export_member *m,
			       uint32_t n)
{
	size_t len = 0;
	bool own = false;

	if (n == 0 || n > r->n_leaves || m == NULL) {
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (m[i].leaf >= r->n_leaves || (i > 0 && m[i].leaf <= m[i - 1].leaf) ||
		    m[i].app_secret == NULL || m[i].sig_pub == NULL || m[i].sig_pub_len == 0 ||
		    m[i].sig_pub_len > MLS_MAX_SIG_PUB) {
			return 0;
		}
		own |= m[i].leaf == r->own_leaf;
		len += 4 + opaque_len(r->suite->nh) + opaque_len(m[i].sig_pub_len);
	}
	return own ? len : 0;
}

size_t mls_export_size(const struct mls_export_rec *r, const struct mls_export_member *m,
		       uint32_t n)
{
	size_t body;

	if (r == NULL || !rec_ok(r)) {
		return 0;
	}
	body = members_body_len(r, m, n);
	if (body == 0 || body > MLS_VARINT_MAX) {
		return 0;
	}
	return FIXED_LEN + opaque_len(r->group_id_len) + opaque_len(r->group_context_len) +
	       opaque_len(r->suite->nh) + opaque_len(r->sig_priv_len) + opaque_len(body);
}

int mls_export_encode(const struct mls_export_rec *r, const struct mls_export_member *m,
		      uint32_t n, uint8_t *out, size_t cap, size_t *len)
{
	size_t need = mls_export_size(r, m, n);
	struct mls_vector_mark vm;
	struct mls_writer w;

	if (need == 0 || need > MLS_EXPORT_MAX_RECORD || len == NULL) {
		return -EINVAL;
	}
	if (out == NULL || cap < need) {
		return -ENOSPC;
	}
	mls_writer_init(&w, out, cap);
	/* A write that does not fit sets the writer's sticky flag: checked once below. */
	(void)!mls_write_u32(&w, MLS_EXPORT_MAGIC);
	(void)!mls_write_u16(&w, MLS_EXPORT_VERSION);
	(void)!mls_write_u16(&w, r->suite->id);
	(void)!mls_write_opaque(&w, r->group_id, r->group_id_len);
	(void)!mls_write_u64(&w, r->epoch);
	(void)!mls_write_u32(&w, r->own_leaf);
	(void)!mls_write_u32(&w, r->n_leaves);
	(void)!mls_write_opaque(&w, r->group_context, r->group_context_len);
	(void)!mls_write_opaque(&w, r->sender_data_secret, r->suite->nh);
	(void)!mls_write_opaque(&w, r->sig_priv, r->sig_priv_len);
	(void)!mls_write_vector_begin(&w, &vm);
	for (uint32_t i = 0; i < n; i++) {
		(void)!mls_write_u32(&w, m[i].leaf);
		(void)!mls_write_opaque(&w, m[i].app_secret, r->suite->nh);
		(void)!mls_write_opaque(&w, m[i].sig_pub, m[i].sig_pub_len);
	}
	if (mls_write_vector_end(&w, &vm) < 0 || !mls_writer_ok(&w) || w.len != need) {
		OPENSSL_cleanse(out, cap);
		return -ENOSPC;
	}
	*len = w.len;
	return 0;
}

void mls_export_free(uint8_t *p, size_t len)
{
	if (p == NULL) {
		return;
	}
	OPENSSL_cleanse(p, len);
	free(p);
}

int mls_export_group(const struct mls_group *g, uint8_t **out, size_t *len)
{
	uint8_t sig_priv[MLS_MAX_SIG_PRIV];
	struct mls_export_member *m = NULL;
	struct mls_export_rec r;
	uint8_t *secrets = NULL, *buf = NULL;
	size_t secrets_len = 0, need = 0;
	uint32_t n = 0;
	int rc;

	if (g == NULL || out == NULL || len == NULL || !mls_group_active(g)) {
		return -EINVAL;
	}
	memset(&r, 0, sizeof(r));
	r.suite = mls_group_suite(g);
	r.group_id = mls_group_id(g, &r.group_id_len);
	r.epoch = mls_group_epoch(g);
	r.own_leaf = mls_group_own_leaf(g);
	r.n_leaves = mls_group_n_leaves(g);
	r.group_context = mls_group_context_encoded(g, &r.group_context_len);
	r.sender_data_secret = mls_group_sender_data_secret(g);
	if (r.suite == NULL || r.n_leaves == 0 || r.n_leaves > MLS_EXPORT_MAX_LEAVES) {
		return -EINVAL;
	}
	rc = mls_group_sig_priv(g, sig_priv, sizeof(sig_priv), &r.sig_priv_len);
	if (rc < 0) {
		goto out_wipe;
	}
	r.sig_priv = sig_priv;
	m = calloc(r.n_leaves, sizeof(*m));
	secrets_len = (size_t)r.n_leaves * r.suite->nh;
	secrets = malloc(secrets_len);
	if (m == NULL || secrets == NULL) {
		rc = -ENOMEM;
		goto out_wipe;
	}
	for (uint32_t leaf = 0; leaf < r.n_leaves; leaf++) {
		const uint8_t *id, *pub;
		size_t id_len, pub_len;

		if (mls_group_member(g, leaf, &id, &id_len, &pub, &pub_len) < 0) {
			continue;	/* a blank leaf */
		}
		rc = mls_group_app_secret(g, leaf, secrets + (size_t)n * r.suite->nh);
		if (rc < 0) {
			goto out_wipe;
		}
		m[n].leaf = leaf;
		m[n].app_secret = secrets + (size_t)n * r.suite->nh;
		m[n].sig_pub = pub;
		m[n].sig_pub_len = pub_len;
		n++;
	}
	r.n_members = n;
	need = mls_export_size(&r, m, n);
	if (need == 0 || need > MLS_EXPORT_MAX_RECORD) {
		rc = -EINVAL;
		goto out_wipe;
	}
	buf = malloc(need);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out_wipe;
	}
	rc = mls_export_encode(&r, m, n, buf, need, len);
	if (rc < 0) {
		free(buf);	/* the encoder wiped it */
		goto out_wipe;
	}
	*out = buf;
out_wipe:
	OPENSSL_cleanse(sig_priv, sizeof(sig_priv));
	if (secrets != NULL) {
		OPENSSL_cleanse(secrets, secrets_len);
	}
	free(secrets);
	free(m);
	return rc;
}

/* ---------------------------------------------------------------- decoding */

/* Reads one MemberSecret of suite |s|; every length checked. */
static int read_member(struct mls_reader *rd, const struct mls_suite *s,
		       struct mls_export_member *m)
{
	const uint8_t *app;
	size_t app_len;

	if (mls_read_u32(rd, &m->leaf) < 0 || mls_read_opaque(rd, &app, &app_len) < 0 ||
	    mls_read_opaque(rd, &m->sig_pub, &m->sig_pub_len) < 0) {
		return -EBADMSG;
	}
	if (app_len != s->nh || m->sig_pub_len == 0 || m->sig_pub_len > MLS_MAX_SIG_PUB) {
		return -EBADMSG;
	}
	m->app_secret = app;
	return 0;
}

int mls_export_decode(const uint8_t *p, size_t len, struct mls_export_rec *r)
{
	struct mls_reader rd, mr;
	const uint8_t *sds;
	uint32_t magic, prev = 0;
	uint16_t version, suite;
	size_t sds_len;
	bool own = false;
	int rc = -EBADMSG;

	if (r == NULL) {
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	if (p == NULL || len > MLS_EXPORT_MAX_RECORD) {
		return -EBADMSG;
	}
	mls_reader_init(&rd, p, len);
	if (mls_read_u32(&rd, &magic) < 0 || magic != MLS_EXPORT_MAGIC ||
	    mls_read_u16(&rd, &version) < 0 || mls_read_u16(&rd, &suite) < 0) {
		goto bad;
	}
	if (version != MLS_EXPORT_VERSION) {
		rc = -EPROTONOSUPPORT;
		goto bad;
	}
	r->suite = mls_suite_get(suite);
	if (r->suite == NULL) {
		rc = -EPROTONOSUPPORT;
		goto bad;
	}
	if (mls_read_opaque(&rd, &r->group_id, &r->group_id_len) < 0 ||
	    mls_read_u64(&rd, &r->epoch) < 0 || mls_read_u32(&rd, &r->own_leaf) < 0 ||
	    mls_read_u32(&rd, &r->n_leaves) < 0 ||
	    mls_read_opaque(&rd, &r->group_context, &r->group_context_len) < 0 ||
	    mls_read_opaque(&rd, &sds, &sds_len) < 0 ||
	    mls_read_opaque(&rd, &r->sig_priv, &r->sig_priv_len) < 0 ||
	    mls_read_vector_begin(&rd, &mr) < 0 || mls_read_end(&rd) < 0) {
		goto bad;
	}
	r->sender_data_secret = sds;
	if (sds_len != r->suite->nh || !rec_ok(r)) {
		goto bad;
	}
	r->members = mr.p;
	r->members_len = mr.len;
	while (mls_reader_left(&mr) > 0) {
		struct mls_export_member m;

		if (read_member(&mr, r->suite, &m) < 0 || m.leaf >= r->n_leaves ||
		    (r->n_members > 0 && m.leaf <= prev)) {
			goto bad;
		}
		own |= m.leaf == r->own_leaf;
		prev = m.leaf;
		r->n_members++;
	}
	if (!own) {
		goto bad;
	}
	return 0;
bad:
	memset(r, 0, sizeof(*r));
	return rc;
}

int mls_export_member_next(const struct mls_export_rec *r, size_t *off,
			   struct mls_export_member *m)
{
	struct mls_reader rd;

	if (r == NULL || off == NULL || *off >= r->members_len) {
		return 0;
	}
	mls_reader_init(&rd, r->members, r->members_len);
	rd.off = *off;
	if (read_member(&rd, r->suite, m) < 0) {
		return 0;	/* not a decoded record: nothing more */
	}
	*off = rd.off;
	return 1;
}

int mls_export_find_member(const struct mls_export_rec *r, uint32_t leaf,
			   struct mls_export_member *m)
{
	size_t off = 0;

	while (mls_export_member_next(r, &off, m) == 1) {
		if (m->leaf == leaf) {
			return 0;
		}
		if (m->leaf > leaf) {
			break;
		}
	}
	return -ENOENT;
}
