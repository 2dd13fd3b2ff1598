/* SPDX-License-Identifier: Apache-2.0 */
/* slim_mac.c - SLIM's per-link header MAC; see slim_mac.h. */
#include "slim_mac.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static const char domain_tag[15] = "SLIM-DP-HDR-v1"; /* 14 characters and the NUL: 15 bytes */

/* A bounded writer for the preimage (the spec's encoding, little-endian). */
struct pw {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct pw *w, const void *d, size_t n)
{
	if (n == 0) {
		return; /* |d| may be NULL (an absent string) */
	}
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void put_u8(struct pw *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put_u32le(struct pw *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	put(w, b, 4);
}

static void put_u64le(struct pw *w, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(v >> (8 * i));
	}
	put(w, b, 8);
}

static void put_str(struct pw *w, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	put_u32le(w, (uint32_t)n);
	put(w, s, n);
}

/* Name: 0x00 absent; 0x01, EncodedName (or 0x00), StringName (or 0x00). */
static void put_name(struct pw *w, const Dataplane__Proto__V1__Name *n)
{
	if (n == NULL) {
		put_u8(w, 0);
		return;
	}
	put_u8(w, 1);
	if (n->name == NULL) {
		put_u8(w, 0);
	} else {
		put_u8(w, 1);
		put_u64le(w, n->name->component_0);
		put_u64le(w, n->name->component_1);
		put_u64le(w, n->name->component_2);
		if (n->name->name_id == NULL) {
			put_u8(w, 0);
		} else {
			put_u8(w, 1);
			put_u64le(w, n->name->name_id->id_0);
			put_u64le(w, n->name->name_id->id_1);
		}
	}
	if (n->str_name == NULL) {
		put_u8(w, 0);
	} else {
		put_u8(w, 1);
		put_str(w, n->str_name->str_component_0);
		put_str(w, n->str_name->str_component_1);
		put_str(w, n->str_name->str_component_2);
	}
}

static void put_opt_u64(struct pw *w, bool has, uint64_t v)
{
	put_u8(w, has ? 1 : 0);
	if (has) {
		put_u64le(w, v);
	}
}

long slim_mac_preimage(const char *link_id, size_t link_id_len,
		       const Dataplane__Proto__V1__SLIMHeader *h, uint8_t *buf, size_t cap)
{
	struct pw w = {.p = buf, .cap = cap};

	put(&w, domain_tag, sizeof(domain_tag));
	put_u32le(&w, (uint32_t)link_id_len);
	put(&w, link_id, link_id_len);
	put_name(&w, h->source);
	put_name(&w, h->destination);
	put_str(&w, h->identity);
	put_u32le(&w, h->has_fanout ? h->fanout : 0);
	put_opt_u64(&w, h->has_recv_from, h->recv_from);
	put_opt_u64(&w, h->has_forward_to, h->forward_to);
	put_u8(&w, h->has_error ? 1 : 0);
	if (h->has_error) {
		put_u8(&w, h->error ? 1 : 0);
	}
	put_u32le(&w, h->has_ttl ? h->ttl : 0);
	return w.overflow ? -ENOSPC : (long)w.len;
}

int slim_mac_init(struct slim_mac *m, const uint8_t key[SLIM_KEY_LEN], const char *link_id,
		  size_t link_id_len)
{
	EVP_MAC *mac;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	memset(m, 0, sizeof(*m));
	if (link_id_len == 0 || link_id_len >= sizeof(m->link_id)) {
		return -EINVAL;
	}
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL) {
		return -ENOMEM;
	}
	m->ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (m->ctx == NULL) {
		return -ENOMEM;
	}
	/* The key is expanded here once; EVP_MAC_init(ctx, NULL, ...) reuses it per message. */
	if (EVP_MAC_init(m->ctx, key, SLIM_KEY_LEN, params) != 1) {
		slim_mac_cleanup(m);
		return -EINVAL;
	}
	memcpy(m->link_id, link_id, link_id_len);
	m->link_id_len = (uint32_t)link_id_len;
	return 0;
}

void slim_mac_cleanup(struct slim_mac *m)
{
	EVP_MAC_CTX_free(m->ctx); /* OpenSSL cleanses the HMAC key state it frees */
	OPENSSL_cleanse(m, sizeof(*m));
}

int slim_mac_compute(struct slim_mac *m, const Dataplane__Proto__V1__SLIMHeader *h,
		     uint8_t out[SLIM_MAC_LEN])
{
	uint8_t buf[8192];
	long n = slim_mac_preimage(m->link_id, m->link_id_len, h, buf, sizeof(buf));
	size_t olen = 0;

	if (n < 0) {
		return -EIO; /* names and identity over 8 KiB: refused (not signable here) */
	}
	if (EVP_MAC_init(m->ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(m->ctx, buf, (size_t)n) != 1 ||
	    EVP_MAC_final(m->ctx, out, &olen, SLIM_MAC_LEN) != 1 || olen != SLIM_MAC_LEN) {
		return -EIO;
	}
	return 0;
}

bool slim_mac_verify(struct slim_mac *m, const Dataplane__Proto__V1__SLIMHeader *h)
{
	uint8_t want[SLIM_MAC_LEN];

	if (!h->has_header_mac || h->header_mac.len != SLIM_MAC_LEN) {
		return false;
	}
	if (slim_mac_compute(m, h, want) != 0) {
		return false;
	}
	return CRYPTO_memcmp(want, h->header_mac.data, SLIM_MAC_LEN) == 0;
}
