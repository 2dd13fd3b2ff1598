/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_codec.c - the TLS presentation language of MLS (RFC 9420 section 2.1):
 * reader, writer and the variable-length integers of section 2.1.2. The
 * contract is in mls_codec.h.
 */
#include <errno.h>
#include <string.h>

#include "mls_codec.h"

void mls_reader_init(struct mls_reader *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

size_t mls_reader_left(const struct mls_reader *r)
{
	return r->len - r->off;
}

/* read_be reads |n| (<= 8) big-endian bytes into |out|. */
static int read_be(struct mls_reader *r, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (mls_reader_left(r) < n) {
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		v = (v << 8) | r->p[r->off + i];
	}
	r->off += n;
	*out = v;
	return 0;
}

int mls_read_u8(struct mls_reader *r, uint8_t *out)
{
	uint64_t v;
	int rc = read_be(r, 1, &v);

	if (rc == 0) {
		*out = (uint8_t)v;
	}
	return rc;
}

int mls_read_u16(struct mls_reader *r, uint16_t *out)
{
	uint64_t v;
	int rc = read_be(r, 2, &v);

	if (rc == 0) {
		*out = (uint16_t)v;
	}
	return rc;
}

int mls_read_u32(struct mls_reader *r, uint32_t *out)
{
	uint64_t v;
	int rc = read_be(r, 4, &v);

	if (rc == 0) {
		*out = (uint32_t)v;
	}
	return rc;
}

int mls_read_u64(struct mls_reader *r, uint64_t *out)
{
	return read_be(r, 8, out);
}

int mls_read_bytes(struct mls_reader *r, size_t n, const uint8_t **data)
{
	if (mls_reader_left(r) < n) {
		return -EBADMSG;
	}
	*data = r->p + r->off;
	r->off += n;
	return 0;
}

int mls_read_varint(struct mls_reader *r, uint32_t *out)
{
	size_t n;
	uint32_t v;

	if (mls_reader_left(r) < 1) {
		return -EBADMSG;
	}
	switch (r->p[r->off] >> 6) {
	case 0:
		n = 1;
		break;
	case 1:
		n = 2;
		break;
	case 2:
		n = 4;
		break;
	default:
		return -EBADMSG;
	}
	if (mls_reader_left(r) < n) {
		return -EBADMSG;
	}
	v = r->p[r->off] & 0x3fu;
	for (size_t i = 1; i < n; i++) {
		v = (v << 8) | r->p[r->off + i];
	}
	if (mls_varint_len(v) != n) {
		return -EBADMSG;	/* not the shortest encoding */
	}
	r->off += n;
	*out = v;
	return 0;
}

int mls_read_opaque(struct mls_reader *r, const uint8_t **data, size_t *len)
{
	struct mls_reader save = *r;
	uint32_t n;
	int rc;

	rc = mls_read_varint(r, &n);
	if (rc < 0) {
		return rc;
	}
	if (mls_reader_left(r) < n) {
		*r = save;
		return -EBADMSG;
	}
	*data = r->p + r->off;
	*len = n;
	r->off += n;
	return 0;
}

int mls_read_vector_begin(struct mls_reader *r, struct mls_reader *sub)
{
	const uint8_t *body;
	size_t n;
	int rc;

	rc = mls_read_opaque(r, &body, &n);
	if (rc < 0) {
		return rc;
	}
	mls_reader_init(sub, body, n);
	return 0;
}

int mls_read_end(const struct mls_reader *r)
{
	return r->off == r->len ? 0 : -EBADMSG;
}

size_t mls_varint_len(uint64_t v)
{
	if (v < (1u << 6)) {
		return 1;
	}
	if (v < (1u << 14)) {
		return 2;
	}
	if (v <= MLS_VARINT_MAX) {
		return 4;
	}
	return 0;
}

void mls_writer_init(struct mls_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

size_t mls_writer_len(const struct mls_writer *w)
{
	return w->len;
}

bool mls_writer_ok(const struct mls_writer *w)
{
	return !w->overflow;
}

/* reserve checks that |n| more bytes fit; sets the overflow flag when not. */
static int reserve(struct mls_writer *w, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return -ENOSPC;
	}
	return 0;
}

/* write_be appends the low |n| (<= 8) bytes of |v| big-endian. */
static int write_be(struct mls_writer *w, uint64_t v, size_t n)
{
	int rc = reserve(w, n);

	if (rc < 0) {
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		w->buf[w->len + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	}
	w->len += n;
	return 0;
}

int mls_write_u8(struct mls_writer *w, uint8_t v)
{
	return write_be(w, v, 1);
}

int mls_write_u16(struct mls_writer *w, uint16_t v)
{
	return write_be(w, v, 2);
}

int mls_write_u32(struct mls_writer *w, uint32_t v)
{
	return write_be(w, v, 4);
}

int mls_write_u64(struct mls_writer *w, uint64_t v)
{
	return write_be(w, v, 8);
}

int mls_write_bytes(struct mls_writer *w, const void *p, size_t n)
{
	int rc = reserve(w, n);

	if (rc < 0) {
		return rc;
	}
	if (n > 0) {
		memcpy(w->buf + w->len, p, n);
	}
	w->len += n;
	return 0;
}

/* varint_put writes |v| (<= MLS_VARINT_MAX) in |n| = mls_varint_len(v) bytes at |dst|. */
static void varint_put(uint8_t *dst, uint32_t v, size_t n)
{
	static const uint8_t prefix[5] = {0, 0x00, 0x40, 0, 0x80};

	for (size_t i = 0; i < n; i++) {
		dst[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	}
	dst[0] |= prefix[n];
}

int mls_write_varint(struct mls_writer *w, uint64_t v)
{
	size_t n = mls_varint_len(v);
	int rc;

	if (n == 0) {
		return -EINVAL;
	}
	rc = reserve(w, n);
	if (rc < 0) {
		return rc;
	}
	varint_put(w->buf + w->len, (uint32_t)v, n);
	w->len += n;
	return 0;
}

int mls_write_opaque(struct mls_writer *w, const void *p, size_t n)
{
	size_t h = mls_varint_len(n);
	int rc;

	if (h == 0) {
		return -EINVAL;
	}
	if (!w->overflow && (w->cap - w->len < h || w->cap - w->len - h < n)) {
		w->overflow = true;
	}
	if (w->overflow) {
		return -ENOSPC;
	}
	rc = mls_write_varint(w, n);
	if (rc < 0) {
		return rc;
	}
	return mls_write_bytes(w, p, n);
}

int mls_write_vector_begin(struct mls_writer *w, struct mls_vector_mark *m)
{
	if (w->overflow) {
		return -ENOSPC;
	}
	m->start = w->len;
	return 0;
}

int mls_write_vector_end(struct mls_writer *w, const struct mls_vector_mark *m)
{
	size_t body, h;
	int rc;

	if (w->overflow) {
		return -ENOSPC;
	}
	if (m->start > w->len) {
		return -EINVAL;
	}
	body = w->len - m->start;
	h = mls_varint_len(body);
	if (h == 0) {
		return -EINVAL;
	}
	rc = reserve(w, h);
	if (rc < 0) {
		return rc;
	}
	memmove(w->buf + m->start + h, w->buf + m->start, body);
	varint_put(w->buf + m->start, (uint32_t)body, h);
	w->len += h;
	return 0;
}
