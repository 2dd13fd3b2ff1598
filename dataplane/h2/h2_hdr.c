/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_hdr.c - header blocks: HPACK (RFC 7541) through libnghttp2's
 * nghttp2_hd_* API, the field rules of RFC 9113 8.2-8.3, and encoding our
 * own blocks into HEADERS + CONTINUATION frames.
 */
#include <errno.h>
#include <string.h>

#include "h2_internal.h"

/*
 * h2_hb_feed decodes |n| bytes of the current header block; |final| on its
 * last bytes. Decoded fields are copied into hbuf (the inflater's output
 * may point into |p|). Returns 0 or -EPROTO (COMPRESSION_ERROR is queued).
 */
int h2_hb_feed(struct h2_conn *c, const uint8_t *p, size_t n, bool final)
{
	static const uint8_t none[1];
	struct h2_hblock *hb = &c->hb;

	if (p == NULL) {
		p = none; /* an empty fragment: no pointer arithmetic on NULL */
	}
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(c->inflater, &nv, &fl, p, n, final);

		if (rv < 0) {
			return h2_conn_error(c, H2_COMPRESSION_ERROR);
		}
		p += rv;
		n -= (size_t)rv;
		if (fl & NGHTTP2_HD_INFLATE_EMIT) {
			uint32_t sz = (uint32_t)(nv.namelen + nv.valuelen);

			hb->list_size += sz + 32;
			if (hb->list_size > c->conf.max_header_list || hb->nb >= H2_MAX_HEADERS ||
			    hb->used + sz > c->hbuf_len) {
				hb->too_large = true;
			}
			if (!hb->too_large && !hb->discard) {
				struct h2_header *h = &c->hv[hb->nb++];

				memcpy(c->hbuf + hb->used, nv.name, nv.namelen);
				h->name = c->hbuf + hb->used;
				h->name_len = (uint32_t)nv.namelen;
				hb->used += (uint32_t)nv.namelen;
				memcpy(c->hbuf + hb->used, nv.value, nv.valuelen);
				h->value = c->hbuf + hb->used;
				h->value_len = (uint32_t)nv.valuelen;
				hb->used += (uint32_t)nv.valuelen;
			}
		}
		if (fl & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(c->inflater);
			return 0;
		}
		if (!(fl & NGHTTP2_HD_INFLATE_EMIT) && n == 0) {
			if (final) {
				/* The block ended in the middle of a field. */
				return h2_conn_error(c, H2_COMPRESSION_ERROR);
			}
			return 0;
		}
	}
}

/* ---- RFC 9113 8.2 field rules ------------------------------------------- */

static bool eq(const struct h2_header *h, const char *s)
{
	size_t l = strlen(s);

	return h->name_len == l && memcmp(h->name, s, l) == 0;
}

static bool val_eq(const struct h2_header *h, const char *s)
{
	size_t l = strlen(s);

	return h->value_len == l && memcmp(h->value, s, l) == 0;
}

/*
 * RFC 9113 8.2.1: names are lowercase tokens (a leading ':' only for
 * pseudo-headers); values carry no NUL, CR or LF and no leading or
 * trailing SP/HTAB.
 */
static bool field_ok(const struct h2_header *h)
{
	uint32_t i = 0;

	if (h->name_len == 0) {
		return false;
	}
	if (h->name[0] == ':') {
		i = 1;
		if (h->name_len == 1) {
			return false;
		}
	}
	for (; i < h->name_len; i++) {
		uint8_t ch = (uint8_t)h->name[i];

		if (ch <= 0x20 || (ch >= 'A' && ch <= 'Z') || ch >= 0x7f || ch == ':') {
			return false;
		}
	}
	for (i = 0; i < h->value_len; i++) {
		uint8_t ch = (uint8_t)h->value[i];

		if (ch == 0 || ch == '\r' || ch == '\n') {
			return false;
		}
	}
	if (h->value_len > 0) {
		uint8_t a = (uint8_t)h->value[0], z = (uint8_t)h->value[h->value_len - 1];

		if (a == ' ' || a == '\t' || z == ' ' || z == '\t') {
			return false;
		}
	}
	return true;
}

/* RFC 9113 8.2.2: connection-specific fields are malformed; TE only "trailers". */
static bool regular_ok(const struct h2_header *h)
{
	if (eq(h, "connection") || eq(h, "proxy-connection") || eq(h, "keep-alive") ||
	    eq(h, "transfer-encoding") || eq(h, "upgrade")) {
		return false;
	}
	if (eq(h, "te") && !val_eq(h, "trailers")) {
		return false;
	}
	return true;
}

/* RFC 9110 8.6: digits only; repeated values must agree. */
static int content_length(const struct h2_header *h, int64_t *cl)
{
	int64_t v = 0;

	if (h->value_len == 0 || h->value_len > 18) {
		return -1;
	}
	for (uint32_t i = 0; i < h->value_len; i++) {
		if (h->value[i] < '0' || h->value[i] > '9') {
			return -1;
		}
		v = v * 10 + (h->value[i] - '0');
	}
	if (*cl >= 0 && *cl != v) {
		return -1;
	}
	*cl = v;
	return 0;
}

int h2_hdr_check_request(const struct h2_header *h, uint32_t n, int64_t *cl)
{
	int method = -1, scheme = -1, path = -1, authority = -1;
	bool regular = false;

	*cl = -1;
	for (uint32_t i = 0; i < n; i++) {
		if (!field_ok(&h[i])) {
			return -1;
		}
		if (h[i].name[0] == ':') {
			int *slot;

			if (regular) {
				return -1; /* 8.3: pseudo-headers come first */
			}
			if (eq(&h[i], ":method")) {
				slot = &method;
			} else if (eq(&h[i], ":scheme")) {
				slot = &scheme;
			} else if (eq(&h[i], ":path")) {
				slot = &path;
			} else if (eq(&h[i], ":authority")) {
				slot = &authority;
			} else {
				return -1; /* unknown or response pseudo-header */
			}
			if (*slot >= 0) {
				return -1; /* duplicated */
			}
			*slot = (int)i;
			continue;
		}
		regular = true;
		if (!regular_ok(&h[i])) {
			return -1;
		}
		if (eq(&h[i], "content-length") && content_length(&h[i], cl) < 0) {
			return -1;
		}
	}
	if (method < 0) {
		return -1;
	}
	if (val_eq(&h[method], "CONNECT")) {
		/* 8.5: CONNECT names an authority only. */
		return authority >= 0 && scheme < 0 && path < 0 ? 0 : -1;
	}
	if (scheme < 0 || path < 0 || h[path].value_len == 0) {
		return -1;
	}
	return 0;
}

int h2_hdr_check_response(const struct h2_header *h, uint32_t n, int *status, int64_t *cl)
{
	bool regular = false;
	int st = -1;

	*cl = -1;
	for (uint32_t i = 0; i < n; i++) {
		if (!field_ok(&h[i])) {
			return -1;
		}
		if (h[i].name[0] == ':') {
			if (regular || !eq(&h[i], ":status") || st >= 0 || h[i].value_len != 3) {
				return -1;
			}
			st = 0;
			for (int k = 0; k < 3; k++) {
				if (h[i].value[k] < '0' || h[i].value[k] > '9') {
					return -1;
				}
				st = st * 10 + (h[i].value[k] - '0');
			}
			continue;
		}
		regular = true;
		if (!regular_ok(&h[i])) {
			return -1;
		}
		if (eq(&h[i], "content-length") && content_length(&h[i], cl) < 0) {
			return -1;
		}
	}
	if (st < 100 || st == 101) {
		return -1; /* 8.6: no 101 in HTTP/2 */
	}
	*status = st;
	return 0;
}

int h2_hdr_check_trailers(const struct h2_header *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!field_ok(&h[i]) || h[i].name[0] == ':' || !regular_ok(&h[i])) {
			return -1; /* 8.1: no pseudo-headers in trailers */
		}
	}
	return 0;
}

/* ---- encoding ----------------------------------------------------------- */

/*
 * h2_encode_block HPACK-encodes |h| and queues it as HEADERS (+ CONTINUATION
 * frames past the peer's SETTINGS_MAX_FRAME_SIZE). Blocks leave in the order
 * they are encoded, which HPACK's shared table requires. Returns 0,
 * -ENOBUFS or -EINVAL (too many fields, encoder failure).
 */
int h2_encode_block(struct h2_conn *c, uint32_t sid, const struct h2_header *h, uint32_t n,
		    bool end_stream)
{
	nghttp2_nv nv[H2_MAX_HEADERS];
	uint8_t *buf = h2_pool_scratch(c->pool);
	size_t cap = h2_pool_scratch_len(c->pool) / 2, bound, off = 0, frames;
	ssize_t len;
	uint8_t flags = end_stream ? H2_FLAG_END_STREAM : 0;
	uint8_t type = H2_HEADERS;

	if (n > H2_MAX_HEADERS) {
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		nv[i].name = (uint8_t *)(uintptr_t)h[i].name;
		nv[i].namelen = h[i].name_len;
		nv[i].value = (uint8_t *)(uintptr_t)h[i].value;
		nv[i].valuelen = h[i].value_len;
		nv[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	bound = nghttp2_hd_deflate_bound(c->deflater, nv, n);
	if (bound > cap) {
		return -EINVAL;
	}
	frames = bound / c->peer_max_frame + 1;
	if (!h2_bq_room(&c->out, c->pool, bound + frames * H2_FRAME_HEAD_LEN)) {
		return -ENOBUFS;
	}
	len = nghttp2_hd_deflate_hd(c->deflater, buf, cap, nv, n);
	if (len < 0) {
		return -EINVAL;
	}
	do {
		size_t k = (size_t)len - off;
		uint8_t f = type == H2_HEADERS ? flags : 0;

		if (k > c->peer_max_frame) {
			k = c->peer_max_frame;
		} else {
			f |= H2_FLAG_END_HEADERS;
		}
		if (h2_out_frame(c, type, f, sid, buf + off, k) < 0) {
			/* Room was checked above; a partial block would break the connection. */
			return h2_conn_error(c, H2_INTERNAL_ERROR);
		}
		off += k;
		type = H2_CONTINUATION;
	} while (off < (size_t)len);
	return 0;
}
