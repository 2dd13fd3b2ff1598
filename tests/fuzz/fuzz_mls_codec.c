/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mls_codec.c - the MLS TLS-presentation reader (dataplane/mls/
 * mls_codec.c) on untrusted bytes. The input is a short program of reader
 * operations (an integer of each width, a varint, an opaque, a fixed-length
 * field, entering or leaving a nested vector; one byte each) and the message
 * they read. Invariants: a reader never moves past its window and a failed
 * read moves nothing; a decoded varint re-encodes to exactly the bytes it
 * came from (non-minimal encodings never decode); an opaque view and a
 * sub-reader lie inside their parent's window, right after their header;
 * what was read, written back with the writer, gives the same bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "mls_codec.h"

#define MAX_DEPTH 8

/* inside checks that [p, p + n) lies inside [base, base + len). */
static bool inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

/*
 * step runs operation |op| on |r| (the innermost open vector is |stack[*depth]|)
 * and checks what it consumed against the bytes it came from.
 */
static void step(uint8_t op, struct mls_reader *stack, int *depth)
{
	struct mls_reader *r = &stack[*depth];
	struct mls_reader before = *r;
	const uint8_t *at = r->p + r->off;
	uint8_t echo[64];
	struct mls_writer w;
	const uint8_t *p;
	size_t n;
	uint8_t b;
	uint16_t h;
	uint32_t v;
	uint64_t q;
	bool partial = false;	/* echo holds a prefix only */
	int rc;

	mls_writer_init(&w, echo, sizeof(echo));
	switch (op % 9) {
	case 0:
		rc = mls_read_u8(r, &b);
		if (rc == 0) {
			CHECK(mls_write_u8(&w, b) == 0);
		}
		break;
	case 1:
		rc = mls_read_u16(r, &h);
		if (rc == 0) {
			CHECK(mls_write_u16(&w, h) == 0);
		}
		break;
	case 2:
		rc = mls_read_u32(r, &v);
		if (rc == 0) {
			CHECK(mls_write_u32(&w, v) == 0);
		}
		break;
	case 3:
		rc = mls_read_u64(r, &q);
		if (rc == 0) {
			CHECK(mls_write_u64(&w, q) == 0);
		}
		break;
	case 4:
		rc = mls_read_varint(r, &v);
		if (rc == 0) {
			/* the minimal encoding is the only one accepted: it re-encodes */
			CHECK(v <= MLS_VARINT_MAX);
			CHECK(mls_write_varint(&w, v) == 0);
		}
		break;
	case 5:
		rc = mls_read_opaque(r, &p, &n);
		if (rc == 0) {
			CHECK(inside(p, n, r->p, r->len));
			CHECK(p + n == r->p + r->off);
			CHECK(p == at + mls_varint_len(n));
			if (mls_varint_len(n) + n <= sizeof(echo)) {
				CHECK(mls_write_opaque(&w, p, n) == 0);
			} else {
				/* too long to echo: the writer refuses it whole */
				CHECK(mls_write_opaque(&w, p, n) == -ENOSPC);
				CHECK(!mls_writer_ok(&w) && mls_writer_len(&w) == 0);
				mls_writer_init(&w, echo, sizeof(echo));
				CHECK(mls_write_varint(&w, n) == 0);
				CHECK(mls_write_bytes(&w, p, sizeof(echo) - mls_writer_len(&w)) == 0);
				partial = true;
			}
		}
		break;
	case 6:
		n = op >> 4;
		rc = mls_read_bytes(r, n, &p);
		if (rc == 0) {
			CHECK(p == at && inside(p, n, r->p, r->len));
			CHECK(mls_write_bytes(&w, p, n) == 0);
		}
		break;
	case 7:
		if (*depth + 1 >= MAX_DEPTH) {
			return;
		}
		rc = mls_read_vector_begin(r, &stack[*depth + 1]);
		if (rc == 0) {
			struct mls_reader *s = &stack[*depth + 1];

			CHECK(s->off == 0);
			CHECK(inside(s->p, s->len, r->p, r->len));
			CHECK(s->p + s->len == r->p + r->off);
			CHECK(s->p == at + mls_varint_len(s->len));
			/* the header re-encodes; the body is the sub-reader's window */
			CHECK(mls_write_varint(&w, s->len) == 0);
			CHECK(memcmp(echo, at, mls_writer_len(&w)) == 0);
			(*depth)++;
			return;
		}
		break;
	default:
		/* leave the innermost vector; read_end says whether it was consumed */
		rc = mls_read_end(r);
		CHECK((rc == 0) == (r->off == r->len));
		CHECK(rc == 0 || rc == -EBADMSG);
		if (*depth > 0) {
			(*depth)--;
		}
		return;
	}
	CHECK(rc == 0 || rc == -EBADMSG);
	CHECK(r->off <= r->len);
	if (rc < 0) {
		/* a failed read consumes nothing */
		CHECK(r->p == before.p && r->len == before.len && r->off == before.off);
		return;
	}
	/* what was read, written back, is the bytes it was read from */
	CHECK(r->p == before.p && r->len == before.len);
	CHECK(mls_writer_ok(&w));
	CHECK(mls_writer_len(&w) <= r->off - before.off);
	if (!partial) {
		CHECK(mls_writer_len(&w) == r->off - before.off);
	}
	CHECK(memcmp(echo, at, mls_writer_len(&w)) == 0);
}

/*
 * The first byte k gives the number of operation bytes (k % 64 + 1) that
 * follow it; the bytes after them are the message the operations read.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mls_reader stack[MAX_DEPTH];
	size_t n_ops;
	int depth = 0;

	if (size < 1) {
		return 0;
	}
	n_ops = (size_t)data[0] % 64 + 1;
	if (n_ops > size - 1) {
		n_ops = size - 1;
	}
	mls_reader_init(&stack[0], data + 1 + n_ops, size - 1 - n_ops);
	for (int pass = 0; pass < 4; pass++) {
		for (size_t i = 0; i < n_ops; i++) {
			step(data[1 + i], stack, &depth);
		}
	}
	return 0;
}
