/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit_seg.h - the byte format of an audit segment file (docs/audit.md,
 * "Segment format"), sans-I/O: the header's encoder and decoder, the record
 * frame's encoder, and a reader over a segment's bytes in memory that
 * checks every frame (magic, length, CRC-32) and resynchronises past
 * damage. The files themselves are ctl_audit_log.h's.
 *
 * All integers little-endian. A segment is
 *
 *   header   "SBAUDSG1" | u32 version (1) | u32 header length (44 + 8n)
 *            | u64 created (Unix ns) | u64 segment index | u32 record size (256)
 *            | u32 n (workers) | n x u64 next seq per worker (0: unknown)
 *            | u32 CRC-32 of everything before it
 *   frames   u32 magic 0x43524253 ("SBRC") | u32 length (256)
 *            | u32 CRC-32 of the length field and the record | record
 *
 * where a record is struct sb_audit_rec (proto/shm/audit_abi.h) as the data
 * plane wrote it. CRC-32 is zlib's (ISO-HDLC, the one of gzip and PNG).
 *
 * The reader never trusts the bytes: every read is bounds-checked, strings
 * come out NUL-terminated whatever the file holds, and damage costs at most
 * the frames it touches: a frame that fails its checks is skipped by
 * searching for the next frame magic whose frame passes. A bad stretch
 * followed by a good frame counts as one corrupt stretch; a bad or
 * incomplete stretch at the end is the torn tail (a writer that stopped
 * mid-write, or a file still being appended to).
 *
 * Thread context: any; nothing here keeps state outside its arguments.
 */
#ifndef SB_CTL_AUDIT_SEG_H
#define SB_CTL_AUDIT_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/audit_abi.h"

#define CTL_AUDIT_SEG_MAGIC "SBAUDSG1"
#define CTL_AUDIT_SEG_VERSION 1
#define CTL_AUDIT_SEG_HDR_FIXED 40		/* bytes before next_seq[] */
#define CTL_AUDIT_SEG_HDR_MAX (CTL_AUDIT_SEG_HDR_FIXED + 8 * SB_AUDIT_MAX_RINGS + 4)
#define CTL_AUDIT_FRAME_MAGIC 0x43524253u	/* "SBRC" */
#define CTL_AUDIT_FRAME_HDR 12
#define CTL_AUDIT_FRAME_SIZE (CTL_AUDIT_FRAME_HDR + SB_AUDIT_REC_SIZE)

struct ctl_audit_seg_hdr {
	uint64_t created_ns;			/* CLOCK_REALTIME */
	uint64_t index;				/* the segment's number (its file name) */
	uint32_t nb_workers;
	uint64_t next_seq[SB_AUDIT_MAX_RINGS];	/* per worker when created; 0: unknown */
};

/* ctl_audit_seg_hdr_size returns the encoded header's length for |nb_workers| workers. */
size_t ctl_audit_seg_hdr_size(uint32_t nb_workers);

/*
 * ctl_audit_seg_hdr_encode writes |h| to |out| (|cap| bytes). Returns the
 * bytes written, or 0 when |cap| is too small or nb_workers is over
 * SB_AUDIT_MAX_RINGS.
 */
size_t ctl_audit_seg_hdr_encode(const struct ctl_audit_seg_hdr *h, uint8_t *out, size_t cap);

/*
 * ctl_audit_seg_hdr_decode reads a header from the start of |b| (|len|
 * bytes) into |h| and sets |*hdr_len|. Returns 0, -ENODATA when |b| is
 * shorter than the header it starts (a header cut by a crash), or -EPROTO
 * when it is not a valid version 1 header (magic, sizes, CRC).
 */
int ctl_audit_seg_hdr_decode(const uint8_t *b, size_t len, struct ctl_audit_seg_hdr *h,
			     size_t *hdr_len) __attribute__((warn_unused_result));

/* ctl_audit_frame_encode writes |rec|'s frame (CTL_AUDIT_FRAME_SIZE bytes) to |out|. */
void ctl_audit_frame_encode(const struct sb_audit_rec *rec, uint8_t *out);

/* The reader's state; the fields are for reading after ctl_audit_seg_next returned 0. */
struct ctl_audit_seg_reader {
	const uint8_t *b;
	size_t len;
	size_t off;			/* next byte to look at */
	size_t good_end;		/* end of the last good frame (or where reading started) */
	uint64_t frames;		/* good frames read */
	uint64_t corrupt;		/* bad stretches with a good frame after them */
	uint64_t corrupt_bytes;		/* their bytes */
	bool in_bad;			/* inside a bad stretch */
	size_t bad_start;
};

/*
 * ctl_audit_seg_reader_init reads |b| (|len| bytes, borrowed) from offset
 * |start|: the header's length when it decoded, else 0 (frames are then
 * found by their magic).
 */
void ctl_audit_seg_reader_init(struct ctl_audit_seg_reader *r, const uint8_t *b, size_t len,
			       size_t start);

/*
 * ctl_audit_seg_next copies the next good record into |rec| (its strings
 * NUL-terminated) and returns 1, or returns 0 at the end. After 0,
 * ctl_audit_seg_torn says how many bytes at the end did not make a frame.
 */
int ctl_audit_seg_next(struct ctl_audit_seg_reader *r, struct sb_audit_rec *rec);

/* ctl_audit_seg_torn returns the bytes after the last good frame (valid after the end). */
static inline size_t ctl_audit_seg_torn(const struct ctl_audit_seg_reader *r)
{
	return r->len - r->good_end;
}

#endif
