/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seal.c - the sealed cross-boundary hop (the contract and the record
 * format are in seal.h; docs/wire.md, "Seal").
 *
 * Sending: seal_tx_add copies each inner message into the sender's staging
 * buffer (SEAL_MAX_INNER bytes, allocated once; the caller's buffer may be
 * reused at once) and its route into a fixed array. seal_tx_flush writes
 * the clear header straight into the output, then
 *  - AES: one out-of-place GCM seal from the staging buffer into the
 *    output, the header as AAD, the nonce written by the engine's sequence
 *    (CRYPTO_AEAD_F_NONCE_SEQ, fixed field 0): the engine's counter is the
 *    record number, read before the seal so the header carries it, and
 *    checked against the nonce the engine wrote;
 *  - MLS: mls_protect_batch over {SHA-256(header), message 1..n}.
 *
 * Receiving: each installed epoch keeps SEAL_RX_INSTANCES sender instances
 * (key expanded once, replay window) and one spare key object. A record
 * from an instance not yet seen is opened with the spare, rekeyed in place
 * (no allocation); only when its tag verifies does the instance take the
 * least recently used slot, so forged records cannot push real instances
 * out.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto_aead.h"
#include "mls_app.h"
#include "mls_codec.h"
#include "mls_crypto.h"
#include "seal.h"
#include "util/cursor.h"

#define INSTANCE_LEN 16
#define KEY_LEN 32
#define TAG_LEN CRYPTO_AEAD_TAG_LEN
#define HASH_LEN 32				/* SHA-256 of the header (MLS payload 0) */
#define FIXED_LEN (4 + 1 + 1 + 2 + 1)		/* magic, version, mode, count, group_id_len */
#define AFTER_GID (8 + 4 + INSTANCE_LEN + 8)	/* epoch, sender_leaf, instance, seq */
#define KEY_LABEL "slimbridge seal v1 key"
#define KEY_LABEL_LEN (sizeof(KEY_LABEL) - 1)

static_assert(SEAL_MLS_MAX_BATCH + 1 <= MLS_APP_BATCH_MAX, "payload 0 and the messages");
static_assert(SEAL_MLS_MAX_BATCH <= SEAL_MAX_BATCH, "an MLS batch is a record");

static size_t hdr_len_of(size_t gid_len, uint32_t count)
{
	return FIXED_LEN + gid_len + AFTER_GID + (size_t)count * SEAL_ROUTE_SIZE;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static bool get_u64(struct cursor *c, uint64_t *out)
{
	uint32_t hi = 0, lo = 0;

	if (cursor_len(c) < 8 || !cursor_get_u32be(c, &hi) || !cursor_get_u32be(c, &lo)) {
		return false;
	}
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

static void put_route(uint8_t *p, const struct seal_route *r)
{
	for (int i = 0; i < 3; i++) {
		put_be64(p + 8 * i, r->src[i]);
	}
	put_be64(p + 24, r->src_id[0]);
	put_be64(p + 32, r->src_id[1]);
	for (int i = 0; i < 3; i++) {
		put_be64(p + 40 + 8 * i, r->dst[i]);
	}
	put_be64(p + 64, r->dst_id[0]);
	put_be64(p + 72, r->dst_id[1]);
	put_be32(p + 80, r->fanout);
	put_be32(p + 84, r->len);
}

/* get_route decodes one SealRoute (SEAL_ROUTE_SIZE bytes a cursor has proved present). */
static void get_route(const uint8_t *p, struct seal_route *r)
{
	struct cursor c;

	cursor_init(&c, p, SEAL_ROUTE_SIZE);
	for (int i = 0; i < 3; i++) {
		(void)get_u64(&c, &r->src[i]);
	}
	(void)get_u64(&c, &r->src_id[0]);
	(void)get_u64(&c, &r->src_id[1]);
	for (int i = 0; i < 3; i++) {
		(void)get_u64(&c, &r->dst[i]);
	}
	(void)get_u64(&c, &r->dst_id[0]);
	(void)get_u64(&c, &r->dst_id[1]);
	(void)cursor_get_u32be(&c, &r->fanout);
	(void)cursor_get_u32be(&c, &r->len);
}

/* ---- the header --------------------------------------------------------- */

/* A parsed record: views into its bytes. */
struct hdr {
	struct seal_info info;
	const uint8_t *instance;
	uint64_t seq;
	const uint8_t *routes;		/* count * SEAL_ROUTE_SIZE bytes */
	size_t hdr_len;			/* magic .. routes: the AAD / the hashed header */
	const uint8_t *sealed;
	size_t sealed_len;
	size_t inner;			/* the routes' lengths summed */
};

/*
 * parse checks the whole record's framing: the header field by field, the
 * routes, the inner bytes within SEAL_MAX_INNER, sealed_len covering
 * exactly the rest and fitting the mode. 0 or -EBADMSG.
 */
static int parse(const uint8_t *rec, size_t len, struct hdr *h)
{
	static const uint8_t zero[INSTANCE_LEN];
	struct cursor c, routes;
	uint32_t magic, sealed_len;
	uint8_t version, mode, gid_len;
	uint16_t count;

	if (rec == NULL || h == NULL) {
		return -EBADMSG;
	}
	cursor_init(&c, rec, len);
	if (!cursor_get_u32be(&c, &magic) || !cursor_get_u8(&c, &version) ||
	    !cursor_get_u8(&c, &mode) || !cursor_get_u16be(&c, &count) ||
	    !cursor_get_u8(&c, &gid_len)) {
		return -EBADMSG;
	}
	if (magic != SEAL_MAGIC || version != SEAL_VERSION ||
	    (mode != SB_POL_SEAL_AES && mode != SB_POL_SEAL_MLS) || count == 0 ||
	    count > SEAL_MAX_BATCH || gid_len == 0) {
		return -EBADMSG;
	}
	h->info.mode = mode;
	h->info.count = count;
	h->info.group_id = cursor_data(&c);
	h->info.group_id_len = gid_len;
	if (!cursor_skip(&c, gid_len) || !get_u64(&c, &h->info.epoch) ||
	    !cursor_get_u32be(&c, &h->info.sender_leaf)) {
		return -EBADMSG;
	}
	h->instance = cursor_data(&c);
	if (!cursor_skip(&c, INSTANCE_LEN) || !get_u64(&c, &h->seq)) {
		return -EBADMSG;
	}
	if (mode == SB_POL_SEAL_MLS && (memcmp(h->instance, zero, INSTANCE_LEN) != 0 || h->seq != 0)) {
		return -EBADMSG;
	}
	if (!cursor_get_sub(&c, &routes, (size_t)count * SEAL_ROUTE_SIZE)) {
		return -EBADMSG;
	}
	h->routes = cursor_data(&routes);
	h->inner = 0;
	for (uint16_t i = 0; i < count; i++) {
		struct cursor r;
		uint32_t l;

		cursor_init(&r, h->routes + (size_t)i * SEAL_ROUTE_SIZE + SEAL_ROUTE_SIZE - 4, 4);
		(void)cursor_get_u32be(&r, &l);
		h->inner += l;
	}
	if (h->inner > SEAL_MAX_INNER) {
		return -EBADMSG;
	}
	h->hdr_len = len - cursor_len(&c);
	if (!cursor_get_u32be(&c, &sealed_len) || sealed_len != cursor_len(&c)) {
		return -EBADMSG;
	}
	h->sealed = cursor_data(&c);
	h->sealed_len = sealed_len;
	if (mode == SB_POL_SEAL_AES ? sealed_len != h->inner + TAG_LEN
				    : sealed_len < h->inner + HASH_LEN + TAG_LEN) {
		return -EBADMSG;
	}
	return 0;
}

int seal_peek(const uint8_t *rec, size_t len, struct seal_info *info)
{
	struct hdr h;
	int rc = parse(rec, len, &h);

	if (rc < 0) {
		return rc;
	}
	if (info != NULL) {
		*info = h.info;
	}
	return 0;
}

/* write_hdr writes the clear header of |count| messages; returns its length. */
static size_t write_hdr(uint8_t *out, uint8_t mode, const uint8_t *gid, size_t gid_len,
			uint64_t epoch, uint32_t leaf, const uint8_t *instance, uint64_t seq,
			const struct seal_route *routes, uint32_t count)
{
	uint8_t *p = out;

	put_be32(p, SEAL_MAGIC);
	p[4] = SEAL_VERSION;
	p[5] = mode;
	put_be16(p + 6, (uint16_t)count);
	p[8] = (uint8_t)gid_len;
	p += FIXED_LEN;
	memcpy(p, gid, gid_len);
	p += gid_len;
	put_be64(p, epoch);
	put_be32(p + 8, leaf);
	memcpy(p + 12, instance, INSTANCE_LEN);
	put_be64(p + 12 + INSTANCE_LEN, seq);
	p += AFTER_GID;
	for (uint32_t i = 0; i < count; i++) {
		put_route(p, &routes[i]);
		p += SEAL_ROUTE_SIZE;
	}
	return (size_t)(p - out);
}

/* hash_hdr: SHA-256 of |len| bytes on a context kept by the object (no allocation). */
static int hash_hdr(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *p, size_t len,
		    uint8_t out[HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, p, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != HASH_LEN) {
		return -EIO;
	}
	return 0;
}

/*
 * derive_key: key = HKDF-Expand(secret, KEY_LABEL || uint32 leaf ||
 * instance, 32), HKDF-SHA-256 (mls_kdf_expand on suite 1's hash: one
 * HMAC on a per-thread digest context, no allocation after the first).
 */
static int derive_key(const uint8_t secret[KEY_LEN], uint32_t leaf,
		      const uint8_t instance[INSTANCE_LEN], uint8_t key[KEY_LEN])
{
	const struct mls_suite *s = mls_suite_get(1);
	uint8_t info[KEY_LABEL_LEN + 4 + INSTANCE_LEN];

	if (s == NULL) {
		return -EIO;
	}
	memcpy(info, KEY_LABEL, KEY_LABEL_LEN);
	put_be32(info + KEY_LABEL_LEN, leaf);
	memcpy(info + KEY_LABEL_LEN + 4, instance, INSTANCE_LEN);
	return mls_kdf_expand(s, secret, KEY_LEN, info, sizeof(info), key, KEY_LEN) < 0 ? -EIO : 0;
}

static bool keys_ok(const struct seal_keys *k)
{
	if (k == NULL || k->group_id == NULL || k->group_id_len == 0 ||
	    k->group_id_len > SB_POL_MLS_MAX_ID) {
		return false;
	}
	return k->mode == SB_POL_SEAL_AES || k->mode == SB_POL_SEAL_MLS;
}

/* ---- sending ------------------------------------------------------------ */

struct seal_tx {
	uint8_t mode;
	uint8_t gid[SB_POL_MLS_MAX_ID];
	size_t gid_len;
	uint64_t epoch;
	uint32_t leaf;
	uint8_t instance[INSTANCE_LEN];		/* AES: random; MLS: zero */
	struct crypto_aead_engine *e;
	struct crypto_aead_key *key;		/* AES */
	struct mls_app_lcore *lc;
	struct mls_app_sender *mls;		/* MLS */
	EVP_MD *sha256;				/* MLS */
	EVP_MD_CTX *md;
	uint32_t n;				/* messages pending */
	size_t bytes;				/* their bytes */
	size_t enc;				/* MLS: the batch's encoded size so far */
	size_t hwm;				/* staging bytes ever used (wiped on free) */
	struct seal_route routes[SEAL_MAX_BATCH];
	uint8_t *buf;				/* SEAL_MAX_INNER bytes of staging */
};

struct seal_tx *seal_tx_new(const struct seal_keys *k, struct crypto_aead_engine *e,
			    struct mls_app_lcore *lc)
{
	uint8_t key[KEY_LEN];
	struct seal_tx *t;

	if (!keys_ok(k) || (k->mode == SB_POL_SEAL_AES && (e == NULL || k->secret == NULL)) ||
	    (k->mode == SB_POL_SEAL_MLS && (lc == NULL || k->mls_tx == NULL))) {
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	t->mode = k->mode;
	memcpy(t->gid, k->group_id, k->group_id_len);
	t->gid_len = k->group_id_len;
	t->epoch = k->epoch;
	t->leaf = k->own_leaf;
	t->e = e;
	t->lc = lc;
	t->buf = malloc(SEAL_MAX_INNER);	/* pages are touched only as batches use them */
	if (t->buf == NULL) {
		goto out_free;
	}
	if (k->mode == SB_POL_SEAL_AES) {
		int rc;

		if (RAND_bytes(t->instance, INSTANCE_LEN) != 1 ||
		    derive_key(k->secret, t->leaf, t->instance, key) < 0) {
			goto out_free;
		}
		t->key = crypto_aead_key_new(e, CRYPTO_AEAD_AES_256_GCM, key, KEY_LEN);
		OPENSSL_cleanse(key, sizeof(key));
		if (t->key == NULL) {
			goto out_free;
		}
		rc = crypto_aead_key_set_nonce_seq(t->key, 0);
		if (rc == 0) {
			rc = crypto_aead_key_set_limits(t->key, SEAL_AES_MAX_RECORDS, 0, 0);
		}
		if (rc < 0) {
			goto out_free;
		}
	} else {
		t->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
		t->md = EVP_MD_CTX_new();
		if (t->sha256 == NULL || t->md == NULL) {
			goto out_free;
		}
		t->enc = 1 + HASH_LEN;		/* payload 0 */
		t->mls = k->mls_tx;		/* owned from here on (success only) */
	}
	return t;
out_free:
	seal_tx_free(t);
	return NULL;
}

void seal_tx_free(struct seal_tx *t)
{
	if (t == NULL) {
		return;
	}
	crypto_aead_key_free(t->key);
	mls_app_sender_free(t->mls);
	EVP_MD_CTX_free(t->md);
	EVP_MD_free(t->sha256);
	if (t->buf != NULL) {
		OPENSSL_cleanse(t->buf, t->hwm);
		free(t->buf);
	}
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

uint64_t seal_tx_epoch(const struct seal_tx *t)
{
	return t->epoch;
}

uint32_t seal_tx_pending(const struct seal_tx *t)
{
	return t->n;
}

int seal_tx_add(struct seal_tx *t, const struct seal_route *r, const uint8_t *msg)
{
	size_t enc = 0;

	if (t == NULL || r == NULL || (msg == NULL && r->len > 0)) {
		return -EINVAL;
	}
	if (t->n == (t->mode == SB_POL_SEAL_AES ? SEAL_MAX_BATCH : SEAL_MLS_MAX_BATCH) ||
	    r->len > SEAL_MAX_INNER - t->bytes) {
		return -ENOSPC;
	}
	if (t->mode == SB_POL_SEAL_MLS) {
		enc = mls_varint_len(r->len) + r->len;
		if (enc > MLS_APP_MAX_PAYLOAD - t->enc) {
			return -ENOSPC;
		}
	}
	if (r->len > 0) {
		memcpy(t->buf + t->bytes, msg, r->len);
	}
	t->routes[t->n++] = *r;
	t->bytes += r->len;
	t->enc += enc;
	if (t->bytes > t->hwm) {
		t->hwm = t->bytes;
	}
	return 0;
}

size_t seal_tx_record_max(const struct seal_tx *t)
{
	size_t h = hdr_len_of(t->gid_len, t->n) + 4;

	if (t->mode == SB_POL_SEAL_AES) {
		return h + t->bytes + TAG_LEN;
	}
	return h + t->enc + mls_app_overhead(mls_suite_get(1), t->gid_len, t->enc);
}

static void tx_reset(struct seal_tx *t)
{
	t->n = 0;
	t->bytes = 0;
	t->enc = 1 + HASH_LEN;
}

static int flush_aes(struct seal_tx *t, uint8_t *out, size_t hl, size_t *len)
{
	struct crypto_aead_usage u;
	struct crypto_aead_op op;
	uint8_t iv[CRYPTO_AEAD_NONCE_LEN], want[CRYPTO_AEAD_NONCE_LEN] = {0};
	uint8_t *ct = out + hl + 4;

	/* The engine's counter is the next nonce: it is this record's seq. */
	crypto_aead_key_usage(t->key, &u);
	if (u.seals >= SEAL_AES_MAX_RECORDS) {
		return -EKEYEXPIRED;
	}
	(void)write_hdr(out, t->mode, t->gid, t->gid_len, t->epoch, t->leaf, t->instance, u.seals,
			t->routes, t->n);
	put_be32(out + hl, (uint32_t)(t->bytes + TAG_LEN));
	memset(&op, 0, sizeof(op));
	op.key = t->key;
	op.src.data = t->buf;
	op.dst.data = ct;
	op.len = (uint32_t)t->bytes;
	op.aad = out;
	op.aad_len = (uint32_t)hl;
	op.iv = iv;
	op.iv_len = CRYPTO_AEAD_NONCE_LEN;
	op.tag = ct + t->bytes;
	op.tag_len = TAG_LEN;
	op.flags = CRYPTO_AEAD_F_NONCE_SEQ | CRYPTO_AEAD_F_OUT_OF_PLACE;
	if (crypto_aead_seal_burst(t->e, &op, 1) != 1) {
		return op.status < 0 ? op.status : -EIO;
	}
	/* The nonce the engine used must be 0^4 || seq, the one the header names. */
	put_be64(want + 4, u.seals);
	if (memcmp(iv, want, sizeof(iv)) != 0) {
		return -EIO;
	}
	*len = hl + 4 + t->bytes + TAG_LEN;
	return 0;
}

static int flush_mls(struct seal_tx *t, uint8_t *out, size_t cap, size_t hl, size_t *len)
{
	static const uint8_t zero[INSTANCE_LEN];
	struct mls_app_payload p[1 + SEAL_MAX_BATCH];
	uint8_t h[HASH_LEN];
	size_t off = 0, mlen = 0, room = cap - hl - 4;
	int rc;

	(void)write_hdr(out, t->mode, t->gid, t->gid_len, t->epoch, t->leaf, zero, 0, t->routes,
			t->n);
	rc = hash_hdr(t->md, t->sha256, out, hl, h);
	if (rc < 0) {
		return rc;
	}
	p[0].p = h;
	p[0].len = HASH_LEN;
	for (uint32_t i = 0; i < t->n; i++) {
		p[1 + i].p = t->buf + off;
		p[1 + i].len = t->routes[i].len;
		off += t->routes[i].len;
	}
	rc = mls_protect_batch(t->lc, t->mls, p, (uint16_t)(1 + t->n), out + hl + 4,
			       room > UINT32_MAX ? UINT32_MAX : room, &mlen);
	if (rc < 0) {
		return rc;
	}
	put_be32(out + hl, (uint32_t)mlen);
	*len = hl + 4 + mlen;
	return 0;
}

int seal_tx_flush(struct seal_tx *t, uint8_t *out, size_t cap, size_t *len)
{
	size_t hl;
	int rc;

	if (t == NULL || len == NULL) {
		return -EINVAL;
	}
	*len = 0;
	if (t->n == 0) {
		return 0;
	}
	if (out == NULL) {
		rc = -EINVAL;
		goto out;
	}
	if (cap < seal_tx_record_max(t)) {
		rc = -ENOSPC;
		goto out;
	}
	hl = hdr_len_of(t->gid_len, t->n);
	rc = t->mode == SB_POL_SEAL_AES ? flush_aes(t, out, hl, len)
					: flush_mls(t, out, cap, hl, len);
	if (rc < 0) {
		*len = 0;
		OPENSSL_cleanse(out, seal_tx_record_max(t));	/* <= cap, checked above */
	}
out:
	tx_reset(t);
	return rc;
}

/* ---- receiving ---------------------------------------------------------- */

#define WIN_WORDS (SEAL_REPLAY_WINDOW / 64)

/* One AES sender instance of an epoch: its key and replay window. */
struct rx_inst {
	bool used;
	uint32_t leaf;
	uint8_t instance[INSTANCE_LEN];
	uint64_t last_use;			/* the receiver's tick: LRU */
	struct crypto_aead_key *key;
	bool any;				/* a record was accepted: top is set */
	uint64_t top;				/* the highest seq accepted */
	uint64_t bits[WIN_WORDS];		/* seq s accepted: bit s % SEAL_REPLAY_WINDOW */
};

struct rx_epoch {
	bool used;
	uint8_t mode;
	uint8_t gid[SB_POL_MLS_MAX_ID];
	size_t gid_len;
	uint64_t epoch;
	uint64_t added;				/* install order, for ties */
	uint32_t own_leaf;
	uint8_t secret[KEY_LEN];		/* AES */
	struct rx_inst inst[SEAL_RX_INSTANCES];
	struct crypto_aead_key *spare;		/* AES: keys an unseen instance */
	struct mls_app_receiver *mls;		/* MLS */
};

struct seal_rx {
	struct crypto_aead_engine *e;
	struct mls_app_lcore *lc;
	EVP_MD *sha256;
	EVP_MD_CTX *md;
	uint64_t tick;
	uint64_t adds;
	struct rx_epoch ep[SEAL_RX_EPOCHS];
};

struct seal_rx *seal_rx_new(struct crypto_aead_engine *e, struct mls_app_lcore *lc)
{
	struct seal_rx *r;

	if (e == NULL && lc == NULL) {
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return NULL;
	}
	r->e = e;
	r->lc = lc;
	r->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	r->md = EVP_MD_CTX_new();
	if (r->sha256 == NULL || r->md == NULL) {
		seal_rx_free(r);
		return NULL;
	}
	return r;
}

static void epoch_clear(struct rx_epoch *ep)
{
	for (int i = 0; i < SEAL_RX_INSTANCES; i++) {
		crypto_aead_key_free(ep->inst[i].key);
	}
	crypto_aead_key_free(ep->spare);
	mls_app_receiver_free(ep->mls);
	OPENSSL_cleanse(ep, sizeof(*ep));
}

void seal_rx_free(struct seal_rx *r)
{
	if (r == NULL) {
		return;
	}
	for (int i = 0; i < SEAL_RX_EPOCHS; i++) {
		epoch_clear(&r->ep[i]);
	}
	EVP_MD_CTX_free(r->md);
	EVP_MD_free(r->sha256);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

static bool same_group(const struct rx_epoch *ep, const uint8_t *gid, size_t gid_len)
{
	return ep->used && ep->gid_len == gid_len && memcmp(ep->gid, gid, gid_len) == 0;
}

int seal_rx_add_epoch(struct seal_rx *r, const struct seal_keys *k)
{
	static const uint8_t zero[KEY_LEN];
	struct crypto_aead_key *keys[SEAL_RX_INSTANCES + 1] = {0};
	struct rx_epoch *slot = NULL;

	if (r == NULL || !keys_ok(k) ||
	    (k->mode == SB_POL_SEAL_AES && (r->e == NULL || k->secret == NULL)) ||
	    (k->mode == SB_POL_SEAL_MLS && (r->lc == NULL || k->mls_rx == NULL))) {
		return -EINVAL;
	}
	for (int i = 0; i < SEAL_RX_EPOCHS; i++) {
		if (same_group(&r->ep[i], k->group_id, k->group_id_len) &&
		    r->ep[i].epoch == k->epoch) {
			mls_app_receiver_free(k->mls_rx);	/* taken (0): not needed */
			return 0;
		}
	}
	/* A free slot, else the older epoch: lower number, then installed first. */
	for (int i = 0; i < SEAL_RX_EPOCHS; i++) {
		struct rx_epoch *ep = &r->ep[i];

		if (!ep->used) {
			slot = ep;
			break;
		}
		if (slot == NULL || ep->epoch < slot->epoch ||
		    (ep->epoch == slot->epoch && ep->added < slot->added)) {
			slot = ep;
		}
	}
	if (slot->used && k->epoch < slot->epoch) {
		return -EKEYEXPIRED;			/* older than all: it would be the one dropped */
	}
	if (k->mode == SB_POL_SEAL_AES) {
		/* Every key object now, so opening never allocates; rekeyed per instance. */
		for (int i = 0; i <= SEAL_RX_INSTANCES; i++) {
			keys[i] = crypto_aead_key_new(r->e, CRYPTO_AEAD_AES_256_GCM, zero, KEY_LEN);
			if (keys[i] == NULL) {
				for (int j = 0; j < i; j++) {
					crypto_aead_key_free(keys[j]);
				}
				return -ENOMEM;
			}
		}
	}
	epoch_clear(slot);
	slot->used = true;
	slot->mode = k->mode;
	memcpy(slot->gid, k->group_id, k->group_id_len);
	slot->gid_len = k->group_id_len;
	slot->epoch = k->epoch;
	slot->added = ++r->adds;
	slot->own_leaf = k->own_leaf;
	if (k->mode == SB_POL_SEAL_AES) {
		memcpy(slot->secret, k->secret, KEY_LEN);
		for (int i = 0; i < SEAL_RX_INSTANCES; i++) {
			slot->inst[i].key = keys[i];
		}
		slot->spare = keys[SEAL_RX_INSTANCES];
	} else {
		slot->mls = k->mls_rx;
	}
	return 0;
}

void seal_rx_drop_epoch(struct seal_rx *r, uint64_t epoch)
{
	if (r == NULL) {
		return;
	}
	for (int i = 0; i < SEAL_RX_EPOCHS; i++) {
		if (r->ep[i].used && r->ep[i].epoch == epoch) {
			epoch_clear(&r->ep[i]);
		}
	}
}

/* ---- replay window (RFC 6479's idea: a bitmap indexed by seq modulo its size) ---- */

static bool win_bit(const struct rx_inst *in, uint64_t seq)
{
	uint64_t b = seq % SEAL_REPLAY_WINDOW;

	return (in->bits[b / 64] >> (b % 64)) & 1;
}

/* win_check: 0 when |seq| is new and inside the window, else -EALREADY. */
static int win_check(const struct rx_inst *in, uint64_t seq)
{
	if (!in->any || seq > in->top) {
		return 0;
	}
	if (in->top - seq >= SEAL_REPLAY_WINDOW || win_bit(in, seq)) {
		return -EALREADY;
	}
	return 0;
}

static void win_accept(struct rx_inst *in, uint64_t seq)
{
	uint64_t b;

	if (!in->any || (seq > in->top && seq - in->top >= SEAL_REPLAY_WINDOW)) {
		memset(in->bits, 0, sizeof(in->bits));
		in->top = seq;
		in->any = true;
	} else if (seq > in->top) {
		/* Forget the numbers the window slides past (they share bits with the new ones). */
		for (uint64_t s = in->top + 1; s <= seq; s++) {
			b = s % SEAL_REPLAY_WINDOW;
			in->bits[b / 64] &= ~(1ull << (b % 64));
		}
		in->top = seq;
	}
	b = seq % SEAL_REPLAY_WINDOW;
	in->bits[b / 64] |= 1ull << (b % 64);
}

/* ---- opening ------------------------------------------------------------ */

static uint32_t route_len(const struct hdr *h, uint16_t i)
{
	const uint8_t *p = h->routes + (size_t)i * SEAL_ROUTE_SIZE + SEAL_ROUTE_SIZE - 4;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* fill_out hands out the record's messages: routes from the header, bytes at |msgs|. */
static void fill_out(const struct hdr *h, const uint8_t *const *msgs, struct seal_msg *out)
{
	for (uint16_t i = 0; i < h->info.count; i++) {
		get_route(h->routes + (size_t)i * SEAL_ROUTE_SIZE, &out[i].route);
		out[i].msg = msgs[i];
		out[i].len = out[i].route.len;
	}
}

/* find_inst: the slot of (leaf, instance), or NULL and |*victim| the slot a new one would take. */
static struct rx_inst *find_inst(struct rx_epoch *ep, const struct hdr *h, struct rx_inst **victim)
{
	struct rx_inst *v = NULL;

	for (int i = 0; i < SEAL_RX_INSTANCES; i++) {
		struct rx_inst *x = &ep->inst[i];

		if (x->used && x->leaf == h->info.sender_leaf &&
		    memcmp(x->instance, h->instance, INSTANCE_LEN) == 0) {
			return x;
		}
		if (v == NULL || (v->used && (!x->used || x->last_use < v->last_use))) {
			v = x;
		}
	}
	*victim = v;
	return NULL;
}

static int open_aes(struct seal_rx *r, struct rx_epoch *ep, const struct hdr *h,
		    const uint8_t *rec, uint8_t *scratch, struct seal_msg *out)
{
	const uint8_t *msgs[SEAL_MAX_BATCH];
	struct rx_inst *victim = NULL, *in = find_inst(ep, h, &victim);
	struct crypto_aead_key *key;
	struct crypto_aead_op op;
	uint8_t iv[CRYPTO_AEAD_NONCE_LEN] = {0};
	size_t off = 0;
	int rc;

	if (in != NULL) {
		rc = win_check(in, h->seq);
		if (rc < 0) {
			return rc;
		}
		key = in->key;
	} else {
		uint8_t k[KEY_LEN];

		rc = derive_key(ep->secret, h->info.sender_leaf, h->instance, k);
		if (rc == 0) {
			rc = crypto_aead_key_rekey(r->e, ep->spare, k, KEY_LEN);
		}
		OPENSSL_cleanse(k, sizeof(k));
		if (rc < 0) {
			return -EBADMSG;
		}
		key = ep->spare;
	}
	put_be64(iv + 4, h->seq);
	memset(&op, 0, sizeof(op));
	op.key = key;
	op.src.data = (uint8_t *)h->sealed;	/* out of place: the record is only read */
	op.dst.data = scratch;
	op.len = (uint32_t)h->inner;
	op.aad = rec;
	op.aad_len = (uint32_t)h->hdr_len;
	op.iv = iv;
	op.iv_len = CRYPTO_AEAD_NONCE_LEN;
	op.tag = (uint8_t *)h->sealed + h->inner;
	op.tag_len = TAG_LEN;
	op.flags = CRYPTO_AEAD_F_OUT_OF_PLACE;
	if (crypto_aead_open_burst(r->e, &op, 1) != 1) {
		return -EBADMSG;		/* the engine wiped what it wrote */
	}
	if (in == NULL) {
		/* Authentic: the new instance takes the least recently used slot. */
		struct crypto_aead_key *old = victim->key;

		victim->key = ep->spare;
		ep->spare = old;
		victim->used = true;
		victim->leaf = h->info.sender_leaf;
		memcpy(victim->instance, h->instance, INSTANCE_LEN);
		victim->any = false;
		victim->top = 0;
		memset(victim->bits, 0, sizeof(victim->bits));
		in = victim;
	}
	win_accept(in, h->seq);
	in->last_use = ++r->tick;
	for (uint16_t i = 0; i < h->info.count; i++) {
		msgs[i] = scratch + off;
		off += route_len(h, i);
	}
	fill_out(h, msgs, out);
	return 0;
}

static int open_mls(struct seal_rx *r, struct rx_epoch *ep, const struct hdr *h,
		    const uint8_t *rec, uint8_t *scratch, size_t cap, struct seal_msg *out)
{
	const uint8_t *msgs[SEAL_MAX_BATCH];
	struct mls_app_payload p;
	struct mls_app_msg m;
	uint8_t want[HASH_LEN];
	size_t off = 0;

	memset(&m, 0, sizeof(m));
	m.in = h->sealed;
	m.in_len = (uint32_t)h->sealed_len;
	m.out = scratch;
	m.out_cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	if (mls_unprotect_burst(r->lc, ep->mls, &m, 1) != 1) {
		return m.status == -EALREADY ? -EALREADY : -EBADMSG;	/* out wiped */
	}
	/* Signed by the header's sender, a batch, payload 0 the header's hash. */
	if (!(m.flags & MLS_APP_F_BATCH) || m.leaf != h->info.sender_leaf ||
	    hash_hdr(r->md, r->sha256, rec, h->hdr_len, want) < 0 ||
	    mls_app_batch_next(m.payload, m.payload_len, &off, &p) != 1 || p.len != HASH_LEN ||
	    CRYPTO_memcmp(p.p, want, HASH_LEN) != 0) {
		goto out_wipe;
	}
	for (uint16_t i = 0; i < h->info.count; i++) {
		if (mls_app_batch_next(m.payload, m.payload_len, &off, &p) != 1 ||
		    p.len != route_len(h, i)) {
			goto out_wipe;
		}
		msgs[i] = p.p;
	}
	if (mls_app_batch_next(m.payload, m.payload_len, &off, &p) != 0) {
		goto out_wipe;
	}
	fill_out(h, msgs, out);
	return 0;
out_wipe:
	OPENSSL_cleanse(scratch, m.out_len);
	return -EBADMSG;
}

int seal_rx_open(struct seal_rx *r, const uint8_t *rec, size_t len, uint8_t *scratch, size_t cap,
		 struct seal_msg *out, uint32_t *n)
{
	struct rx_epoch *ep = NULL;
	bool group = false;
	struct hdr h;
	int rc;

	if (n != NULL) {
		*n = 0;
	}
	if (r == NULL || rec == NULL || scratch == NULL || out == NULL || n == NULL) {
		return -EINVAL;
	}
	rc = parse(rec, len, &h);
	if (rc < 0) {
		return rc;
	}
	if (cap < len) {
		return -ENOSPC;
	}
	for (int i = 0; i < SEAL_RX_EPOCHS; i++) {
		if (same_group(&r->ep[i], h.info.group_id, h.info.group_id_len)) {
			group = true;
			if (r->ep[i].epoch == h.info.epoch) {
				ep = &r->ep[i];
			}
		}
	}
	if (ep == NULL) {
		return group ? -EKEYEXPIRED : -ENOKEY;
	}
	/* The other mode, or our own leaf (a record of ours reflected back): refused. */
	if (ep->mode != h.info.mode || h.info.sender_leaf == ep->own_leaf) {
		return -EBADMSG;
	}
	rc = ep->mode == SB_POL_SEAL_AES ? open_aes(r, ep, &h, rec, scratch, out)
					 : open_mls(r, ep, &h, rec, scratch, cap, out);
	if (rc == 0) {
		*n = h.info.count;
	}
	return rc;
}
