/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_audit_seg.c - libFuzzer harness for the audit segment reader
 * (control/audit/ctl_audit_seg.c) on arbitrary bytes: a segment file as
 * the query thread and the writer's recovery read it.
 *
 * The header decoder answers 0, -ENODATA or -EPROTO; a header it takes
 * re-encodes to the same bytes. The frame reader, from the header's end
 * and from offset 0, stays inside the bytes, returns only frames that are
 * in the input exactly as ctl_audit_frame_encode writes them (so their
 * CRC holds), with NUL-terminated strings, and accounts for every byte:
 * good frames, corrupt stretches and the torn tail.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ctl_audit_seg.h"
#include "fuzz.h"

static void read_from(const uint8_t *data, size_t size, size_t start)
{
	struct ctl_audit_seg_reader r;
	struct sb_audit_rec rec;
	uint8_t frame[CTL_AUDIT_FRAME_SIZE];
	uint64_t n = 0;

	ctl_audit_seg_reader_init(&r, data, size, start);
	while (ctl_audit_seg_next(&r, &rec) == 1) {
		struct sb_audit_rec raw;

		n++;
		CHECK(r.good_end <= size && r.good_end >= CTL_AUDIT_FRAME_SIZE);
		CHECK(r.off == r.good_end);
		memcpy(&raw, data + r.good_end - SB_AUDIT_REC_SIZE, sizeof(raw));
		ctl_audit_frame_encode(&raw, frame);
		CHECK(memcmp(frame, data + r.good_end - CTL_AUDIT_FRAME_SIZE, sizeof(frame)) == 0);
		CHECK(memchr(rec.src, '\0', sizeof(rec.src)) != NULL);
		CHECK(memchr(rec.dst, '\0', sizeof(rec.dst)) != NULL);
		CHECK(memchr(rec.trust, '\0', sizeof(rec.trust)) != NULL);
		CHECK(memchr(rec.project, '\0', sizeof(rec.project)) != NULL);
		CHECK(rec.seq == raw.seq && rec.worker == raw.worker && rec.ts_ns == raw.ts_ns);
	}
	CHECK(ctl_audit_seg_next(&r, &rec) == 0);
	CHECK(r.frames == n);
	CHECK(r.corrupt <= n);
	CHECK(r.good_end <= size);
	start = start <= size ? start : size;
	/* Every byte after |start| is a frame, in a corrupt stretch, or in the tail. */
	CHECK(start + n * CTL_AUDIT_FRAME_SIZE + r.corrupt_bytes + ctl_audit_seg_torn(&r) == size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_audit_seg_hdr h;
	uint8_t again[CTL_AUDIT_SEG_HDR_MAX];
	size_t hl = 0;
	int rc;

	rc = ctl_audit_seg_hdr_decode(data, size, &h, &hl);
	CHECK(rc == 0 || rc == -ENODATA || rc == -EPROTO);
	if (rc == 0) {
		CHECK(hl <= size && hl == ctl_audit_seg_hdr_size(h.nb_workers));
		CHECK(h.nb_workers <= SB_AUDIT_MAX_RINGS);
		CHECK(ctl_audit_seg_hdr_encode(&h, again, sizeof(again)) == hl);
		CHECK(memcmp(again, data, hl) == 0);
		read_from(data, size, hl);
	}
	read_from(data, size, 0);
	read_from(data, size, size / 2);
	return 0;
}
