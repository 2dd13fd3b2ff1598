/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit_seg.c - the audit segment byte format (ctl_audit_seg.h).
 */
#include "ctl_audit_seg.h"

#include <errno.h>
#include <string.h>

#include <zlib.h>

#include "util/cursor.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool get_le32(struct cursor *c, uint32_t *v)
{
	uint8_t b[4];

	if (!cursor_get_bytes(c, b, sizeof(b))) {
		return false;
	}
	*v = le32(b);
	return true;
}

static bool get_le64(struct cursor *c, uint64_t *v)
{
	uint8_t b[8];

	if (!cursor_get_bytes(c, b, sizeof(b))) {
		return false;
	}
	*v = (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
	return true;
}

static uint32_t crc(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

size_t ctl_audit_seg_hdr_size(uint32_t nb_workers)
{
	return CTL_AUDIT_SEG_HDR_FIXED + 8 * (size_t)nb_workers + 4;
}

size_t ctl_audit_seg_hdr_encode(const struct ctl_audit_seg_hdr *h, uint8_t *out, size_t cap)
{
	size_t n;

	if (h->nb_workers > SB_AUDIT_MAX_RINGS) {
		return 0;
	}
	n = ctl_audit_seg_hdr_size(h->nb_workers);
	if (cap < n) {
		return 0;
	}
	memcpy(out, CTL_AUDIT_SEG_MAGIC, 8);
	put_le32(out + 8, CTL_AUDIT_SEG_VERSION);
	put_le32(out + 12, (uint32_t)n);
	put_le64(out + 16, h->created_ns);
	put_le64(out + 24, h->index);
	put_le32(out + 32, SB_AUDIT_REC_SIZE);
	put_le32(out + 36, h->nb_workers);
	for (uint32_t i = 0; i < h->nb_workers; i++) {
		put_le64(out + CTL_AUDIT_SEG_HDR_FIXED + 8 * i, h->next_seq[i]);
	}
	put_le32(out + n - 4, crc(out, n - 4));
	return n;
}

int ctl_audit_seg_hdr_decode(const uint8_t *b, size_t len, struct ctl_audit_seg_hdr *h,
			     size_t *hdr_len)
{
	struct cursor c;
	uint8_t magic[8];
	uint32_t version, n, rec_size, sum;

	cursor_init(&c, b, len);
	if (!cursor_get_bytes(&c, magic, sizeof(magic))) {
		return len == 0 || memcmp(b, CTL_AUDIT_SEG_MAGIC, len) == 0 ? -ENODATA : -EPROTO;
	}
	if (memcmp(magic, CTL_AUDIT_SEG_MAGIC, sizeof(magic)) != 0) {
		return -EPROTO;
	}
	if (!get_le32(&c, &version) || !get_le32(&c, &n) || !get_le64(&c, &h->created_ns) ||
	    !get_le64(&c, &h->index) || !get_le32(&c, &rec_size) || !get_le32(&c, &h->nb_workers)) {
		return -ENODATA;
	}
	if (version != CTL_AUDIT_SEG_VERSION || rec_size != SB_AUDIT_REC_SIZE ||
	    h->nb_workers > SB_AUDIT_MAX_RINGS || n != ctl_audit_seg_hdr_size(h->nb_workers)) {
		return -EPROTO;
	}
	if (len < n) {
		return -ENODATA;
	}
	for (uint32_t i = 0; i < h->nb_workers; i++) {
		if (!get_le64(&c, &h->next_seq[i])) {
			return -ENODATA;
		}
	}
	if (!get_le32(&c, &sum)) {
		return -ENODATA;
	}
	if (sum != crc(b, n - 4)) {
		return -EPROTO;
	}
	memset(&h->next_seq[h->nb_workers], 0,
	       sizeof(h->next_seq[0]) * (SB_AUDIT_MAX_RINGS - h->nb_workers));
	*hdr_len = n;
	return 0;
}

void ctl_audit_frame_encode(const struct sb_audit_rec *rec, uint8_t *out)
{
	uint32_t sum;

	put_le32(out, CTL_AUDIT_FRAME_MAGIC);
	put_le32(out + 4, SB_AUDIT_REC_SIZE);
	memcpy(out + CTL_AUDIT_FRAME_HDR, rec, SB_AUDIT_REC_SIZE);
	sum = (uint32_t)crc32(crc32(0L, Z_NULL, 0), out + 4, 4);
	sum = (uint32_t)crc32(sum, out + CTL_AUDIT_FRAME_HDR, SB_AUDIT_REC_SIZE);
	put_le32(out + 8, sum);
}

void ctl_audit_seg_reader_init(struct ctl_audit_seg_reader *r, const uint8_t *b, size_t len,
			       size_t start)
{
	memset(r, 0, sizeof(*r));
	r->b = b;
	r->len = len;
	r->off = start <= len ? start : len;
	r->good_end = r->off;
}

/*
 * The frame at |off|: 1 good, 0 bad, -1 incomplete (the file ends inside
 * it, which is only damage if something good follows).
 */
static int frame_at(const struct ctl_audit_seg_reader *r, size_t off)
{
	struct cursor c;
	uint32_t magic, len, sum, want;

	cursor_init(&c, r->b + off, r->len - off);
	if (!get_le32(&c, &magic)) {
		return -1;
	}
	if (magic != CTL_AUDIT_FRAME_MAGIC) {
		return 0;
	}
	if (!get_le32(&c, &len)) {
		return -1;
	}
	if (len != SB_AUDIT_REC_SIZE) {
		return 0;
	}
	if (!get_le32(&c, &sum) || cursor_len(&c) < len) {
		return -1;
	}
	want = (uint32_t)crc32(crc32(0L, Z_NULL, 0), r->b + off + 4, 4);
	want = (uint32_t)crc32(want, cursor_data(&c), len);
	return sum == want ? 1 : 0;
}

/* The next offset after |from| where a frame magic starts, or r->len. */
static size_t resync(const struct ctl_audit_seg_reader *r, size_t from)
{
	const uint8_t first = (uint8_t)CTL_AUDIT_FRAME_MAGIC;

	while (from < r->len) {
		const uint8_t *p = memchr(r->b + from, first, r->len - from);

		if (p == NULL) {
			return r->len;
		}
		from = (size_t)(p - r->b);
		if (r->len - from < 4 || le32(p) == CTL_AUDIT_FRAME_MAGIC) {
			return from;
		}
		from++;
	}
	return r->len;
}

int ctl_audit_seg_next(struct ctl_audit_seg_reader *r, struct sb_audit_rec *rec)
{
	while (r->off < r->len) {
		int k = frame_at(r, r->off);

		if (k == 1) {
			if (r->in_bad) {
				r->corrupt++;
				r->corrupt_bytes += r->off - r->bad_start;
				r->in_bad = false;
			}
			memcpy(rec, r->b + r->off + CTL_AUDIT_FRAME_HDR, sizeof(*rec));
			rec->src[sizeof(rec->src) - 1] = '\0';
			rec->dst[sizeof(rec->dst) - 1] = '\0';
			rec->trust[sizeof(rec->trust) - 1] = '\0';
			rec->project[sizeof(rec->project) - 1] = '\0';
			r->off += CTL_AUDIT_FRAME_SIZE;
			r->good_end = r->off;
			r->frames++;
			return 1;
		}
		if (!r->in_bad) {
			r->in_bad = true;
			r->bad_start = r->off;
		}
		/* Bad or incomplete: look for the next frame; the end decides which it was. */
		r->off = resync(r, r->off + 1);
	}
	return 0;
}
