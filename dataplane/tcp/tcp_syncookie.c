/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_syncookie.c - SYN cookies (RFC 4987 3.6); the layout and the reasons
 * for it are in tcp_syncookie.h.
 */
#include "tcp_syncookie.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define SIPHASH_KEY_LEN 16
#define SIPHASH_OUT_LEN 8

/* The longest hash input: two IPv6 addresses, two ports, the counter, the MSS index. */
#define HASH_IN_MAX (16 + 16 + 2 + 2 + 4 + 1)

static const uint16_t mss4[TCP_SYNCOOKIE_NB_MSS] = TCP_SYNCOOKIE_MSS4;
static const uint16_t mss6[TCP_SYNCOOKIE_NB_MSS] = TCP_SYNCOOKIE_MSS6;

static EVP_MAC_CTX *mac_new(EVP_MAC *mac, const uint8_t *key)
{
	size_t out_len = SIPHASH_OUT_LEN;
	OSSL_PARAM params[] = {
		OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, &out_len),
		OSSL_PARAM_END,
	};
	EVP_MAC_CTX *c;

	c = EVP_MAC_CTX_new(mac);
	if (c == NULL) {
		return NULL;
	}
	if (EVP_MAC_init(c, key, SIPHASH_KEY_LEN, params) != 1) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	return c;
}

/* Overwrite the key schedule kept in |c| before libcrypto frees it (3.0 does not cleanse). */
static void mac_free(EVP_MAC_CTX *c)
{
	static const uint8_t zero[SIPHASH_KEY_LEN];

	if (c == NULL) {
		return;
	}
	(void)EVP_MAC_init(c, zero, sizeof(zero), NULL);
	EVP_MAC_CTX_free(c);
}

int tcp_syncookie_ctx_init(struct tcp_syncookie_ctx *ctx, const uint8_t *key)
{
	EVP_MAC *mac;
	int ret;

	if (ctx == NULL || key == NULL) {
		return -EINVAL;
	}
	memset(ctx, 0, sizeof(*ctx));
	mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_SIPHASH, NULL);
	if (mac == NULL) {
		return -EOPNOTSUPP;
	}
	/* An allocation failure and a refused key are alike fatal: one code for both. */
	ret = -ENOMEM;
	ctx->h0 = (struct evp_mac_ctx_st *)mac_new(mac, key);
	if (ctx->h0 == NULL) {
		goto out_free_mac;
	}
	ctx->h1 = (struct evp_mac_ctx_st *)mac_new(mac, key + SIPHASH_KEY_LEN);
	if (ctx->h1 == NULL) {
		goto out_free_h0;
	}
	/* The contexts hold their own reference to the algorithm. */
	EVP_MAC_free(mac);
	return 0;

out_free_h0:
	mac_free((EVP_MAC_CTX *)ctx->h0);
	ctx->h0 = NULL;
out_free_mac:
	EVP_MAC_free(mac);
	return ret;
}

void tcp_syncookie_ctx_cleanup(struct tcp_syncookie_ctx *ctx)
{
	if (ctx == NULL) {
		return;
	}
	mac_free((EVP_MAC_CTX *)ctx->h0);
	mac_free((EVP_MAC_CTX *)ctx->h1);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
}

/* tuple_put writes peer address, our address, peer port, our port (big-endian) to |p|. */
static size_t tuple_put(uint8_t *p, const struct tcp_syncookie_addrs *a, const struct tcp_seg *s)
{
	size_t alen = a->ipv6 ? 16 : 4;
	size_t n = 0;

	memcpy(p + n, a->src, alen);
	n += alen;
	memcpy(p + n, a->dst, alen);
	n += alen;
	p[n++] = (uint8_t)(s->sport >> 8);
	p[n++] = (uint8_t)s->sport;
	p[n++] = (uint8_t)(s->dport >> 8);
	p[n++] = (uint8_t)s->dport;
	return n;
}

/* siphash sets |*h| to the SipHash of |in| under the key stored in |c|; 0 or -EIO. */
static int siphash(struct evp_mac_ctx_st *c, const uint8_t *in, size_t len, uint64_t *h)
{
	uint8_t out[SIPHASH_OUT_LEN];
	size_t out_len = 0;

	/* A NULL key restarts from the one set at init (see the header). */
	if (EVP_MAC_init((EVP_MAC_CTX *)c, NULL, 0, NULL) != 1) {
		return -EIO;
	}
	if (EVP_MAC_update((EVP_MAC_CTX *)c, in, len) != 1) {
		return -EIO;
	}
	if (EVP_MAC_final((EVP_MAC_CTX *)c, out, &out_len, sizeof(out)) != 1 ||
	    out_len != sizeof(out)) {
		return -EIO;
	}
	*h = 0;
	for (size_t i = 0; i < sizeof(out); i++) {
		*h |= (uint64_t)out[i] << (8 * i);
	}
	return 0;
}

/*
 * hashes computes H0 of the tuple in |buf| (|n| bytes) into |*h0| when |h0|
 * is not NULL, then the 22-bit MAC H1(tuple, ctr, mss_idx) into |*mac|.
 */
static int hashes(struct tcp_syncookie_ctx *ctx, uint8_t *buf, size_t n, uint32_t ctr,
		  unsigned int mss_idx, uint32_t *h0, uint32_t *mac)
{
	uint64_t h;
	int ret;

	if (h0 != NULL) {
		ret = siphash(ctx->h0, buf, n, &h);
		if (ret < 0) {
			return ret;
		}
		*h0 = (uint32_t)h;
	}
	buf[n++] = (uint8_t)ctr;
	buf[n++] = (uint8_t)(ctr >> 8);
	buf[n++] = (uint8_t)(ctr >> 16);
	buf[n++] = (uint8_t)(ctr >> 24);
	buf[n++] = (uint8_t)mss_idx;
	ret = siphash(ctx->h1, buf, n, &h);
	if (ret < 0) {
		return ret;
	}
	*mac = (uint32_t)(h >> (64 - TCP_SYNCOOKIE_MAC_BITS));
	return 0;
}

static uint32_t counter(uint64_t now_us)
{
	return (uint32_t)(now_us / TCP_SYNCOOKIE_PERIOD_US);
}

int tcp_syncookie_make(struct tcp_syncookie_ctx *ctx, const struct tcp_syncookie_addrs *addrs,
		       const struct tcp_seg *syn, uint64_t now_us, uint32_t ts_now,
		       struct tcp_syncookie_synack *out)
{
	uint8_t buf[HASH_IN_MAX];
	const uint16_t *tab;
	uint32_t ctr, h0, mac, bits;
	unsigned int idx;
	uint16_t mss;
	size_t n;
	int ret;

	if (ctx == NULL || ctx->h0 == NULL || addrs == NULL || syn == NULL || out == NULL) {
		return -EINVAL;
	}
	if ((syn->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) != TCP_FLAG_SYN) {
		return -EINVAL;
	}
	tab = addrs->ipv6 ? mss6 : mss4;
	if (syn->opts.has_mss) {
		mss = syn->opts.mss;
	} else {
		mss = addrs->ipv6 ? TCP_SYNCOOKIE_DEFAULT_MSS6 : TCP_SYNCOOKIE_DEFAULT_MSS4;
	}
	if (mss < tab[0]) {
		return -ERANGE;
	}
	/* The largest entry not above the peer's MSS: never send more than it asked for. */
	for (idx = TCP_SYNCOOKIE_NB_MSS - 1; idx > 0; idx--) {
		if (mss >= tab[idx]) {
			break;
		}
	}

	ctr = counter(now_us);
	n = tuple_put(buf, addrs, syn);
	ret = hashes(ctx, buf, n, ctr, idx, &h0, &mac);
	if (ret < 0) {
		return ret;
	}
	out->isn = h0 + syn->seq +
		   ((ctr << TCP_SYNCOOKIE_CTR_SHIFT) | (mac << TCP_SYNCOOKIE_MAC_SHIFT) | idx);
	out->mss = tab[idx];
	out->ts = syn->opts.has_ts;
	/* RFC 7323 has no room for window scaling or SACK state elsewhere: see the header. */
	out->wscale = out->ts && syn->opts.has_wscale;
	out->sack = out->ts && syn->opts.sack_permitted;
	out->tsval = 0;
	if (out->ts) {
		bits = TCP_SYNCOOKIE_TS_WSCALE_NONE;
		if (out->wscale) {
			/* RFC 7323 2.3: above 14 counts as 14; and 15 would read back as none. */
			bits = syn->opts.wscale < TCP_WSCALE_MAX ? syn->opts.wscale
								 : TCP_WSCALE_MAX;
		}
		if (out->sack) {
			bits |= TCP_SYNCOOKIE_TS_SACK;
		}
		out->tsval = (ts_now & ~TCP_SYNCOOKIE_TS_MASK) | bits;
		/* Never ahead of the clock (RFC 7323 5.4: TSval is monotonic). */
		if (bits > (ts_now & TCP_SYNCOOKIE_TS_MASK)) {
			out->tsval -= TCP_SYNCOOKIE_TS_MASK + 1;
		}
	}
	return 0;
}

int tcp_syncookie_check(struct tcp_syncookie_ctx *ctx, const struct tcp_syncookie_addrs *addrs,
			const struct tcp_seg *ack, uint64_t now_us, struct tcp_syncookie_conn *out)
{
	uint8_t buf[HASH_IN_MAX];
	uint32_t iss, irs, v, h0, mac, want, ctr, age, opt;
	unsigned int idx;
	uint64_t h;
	size_t n;
	int ret;

	if (ctx == NULL || ctx->h0 == NULL || addrs == NULL || ack == NULL || out == NULL) {
		return -EINVAL;
	}
	if ((ack->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) != TCP_FLAG_ACK) {
		return -EINVAL;
	}
	iss = ack->ack - 1;
	irs = ack->seq - 1;

	n = tuple_put(buf, addrs, ack);
	ret = siphash(ctx->h0, buf, n, &h);
	if (ret < 0) {
		return ret;
	}
	h0 = (uint32_t)h;
	v = iss - h0 - irs;

	ctr = counter(now_us);
	age = (ctr - (v >> TCP_SYNCOOKIE_CTR_SHIFT)) & 0xffu;
	if (age > TCP_SYNCOOKIE_MAX_AGE) {
		return -ETIMEDOUT;
	}
	ctr -= age;
	idx = v & (TCP_SYNCOOKIE_NB_MSS - 1);
	mac = (v >> TCP_SYNCOOKIE_MAC_SHIFT) & ((1u << TCP_SYNCOOKIE_MAC_BITS) - 1);
	ret = hashes(ctx, buf, n, ctr, idx, NULL, &want);
	if (ret < 0) {
		return ret;
	}
	if (CRYPTO_memcmp(&mac, &want, sizeof(mac)) != 0) {
		return -EBADMSG;
	}

	out->iss = iss;
	out->irs = irs;
	/* Every 2-bit index names an entry, and the MAC covers it. */
	out->mss = addrs->ipv6 ? mss6[idx] : mss4[idx];
	out->ts = ack->opts.has_ts;
	out->wscale = false;
	out->sack = false;
	out->snd_wscale = 0;
	if (out->ts) {
		opt = ack->opts.ts_ecr & TCP_SYNCOOKIE_TS_MASK;
		out->sack = (opt & TCP_SYNCOOKIE_TS_SACK) != 0;
		if ((opt & TCP_SYNCOOKIE_TS_WSCALE_MASK) != TCP_SYNCOOKIE_TS_WSCALE_NONE) {
			out->wscale = true;
			/* 0..14: make clamps to 14 and 15 means none. */
			out->snd_wscale = (uint8_t)(opt & TCP_SYNCOOKIE_TS_WSCALE_MASK);
		}
	}
	return 0;
}
