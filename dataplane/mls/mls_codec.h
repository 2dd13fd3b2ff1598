/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_codec.h - the TLS presentation language of MLS (RFC 9420 section 2.1):
 * a bounds-checked reader and a bounded writer for fixed-width big-endian
 * integers, the variable-length integers of section 2.1.2 and the
 * variable-length vectors (opaque<V>, T<V>) they prefix.
 *
 * Variable-length integers (section 2.1.2): the two most significant bits
 * of the first byte give the length of the encoding, QUIC style:
 *   00 -> 1 byte, 6-bit value      (0 .. 63)
 *   01 -> 2 bytes, 14-bit value    (64 .. 16383)
 *   10 -> 4 bytes, 30-bit value    (16384 .. 2^30 - 1)
 *   11 -> invalid (rejected)
 * A value must use the shortest encoding: a longer one (0x40 0x05 for 5) is
 * rejected, as the RFC requires. MLS_VARINT_MAX is the largest value.
 *
 * Reader: a struct mls_reader is a window {p, len} onto memory the caller
 * owns, with a read offset. Every reader function either consumes what it
 * reports and returns 0, or returns a negative errno and leaves the reader
 * untouched; none reads outside the window. Views (mls_read_opaque,
 * mls_read_bytes, sub-readers) point into the caller's memory: no copy.
 *
 * Writer: a struct mls_writer appends to a caller buffer of fixed capacity.
 * A write that does not fit returns -ENOSPC, writes nothing and sets the
 * writer's sticky overflow flag: every later write fails with -ENOSPC too,
 * so a caller may also issue a series of writes and check mls_writer_ok
 * once. A vector whose length is known only once its body is written
 * (mls_write_vector_begin / mls_write_vector_end) is written body first;
 * the end call then moves the body up by the size of the minimal varint
 * header (1, 2 or 4 bytes) and writes the header in front of it. That costs
 * one memmove of the body per nesting level, and the buffer needs room for
 * the header only at the end.
 *
 * Errors are negative errno values: -EBADMSG for malformed or truncated
 * input, -ENOSPC for a full writer, -EINVAL for bad arguments.
 * Nothing allocates; all functions are reentrant.
 */
#ifndef SB_MLS_CODEC_H
#define SB_MLS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest value a variable-length integer holds: 2^30 - 1. */
#define MLS_VARINT_MAX 0x3fffffffu
/* The longest encoding of a variable-length integer, in bytes. */
#define MLS_VARINT_MAX_LEN 4

struct mls_reader {
	const uint8_t *p;	/* the window */
	size_t len;		/* its length */
	size_t off;		/* bytes consumed so far, <= len */
};

struct mls_writer {
	uint8_t *buf;		/* the caller's buffer */
	size_t cap;		/* its capacity */
	size_t len;		/* bytes written so far, <= cap */
	bool overflow;		/* a write did not fit (sticky) */
};

/* An open vector of a writer (mls_write_vector_begin). */
struct mls_vector_mark {
	size_t start;		/* the writer's length when the vector began */
};

/* mls_reader_init points |r| at |len| bytes at |p| (p may be NULL when len is 0). */
void mls_reader_init(struct mls_reader *r, const uint8_t *p, size_t len);

/* mls_reader_left returns the number of bytes of |r| not consumed yet. */
size_t mls_reader_left(const struct mls_reader *r);

/*
 * mls_read_u8, mls_read_u16, mls_read_u32 and mls_read_u64 read a
 * big-endian unsigned integer of 1, 2, 4 or 8 bytes into |out|. Return 0,
 * or -EBADMSG (nothing consumed) when fewer bytes are left.
 */
int mls_read_u8(struct mls_reader *r, uint8_t *out) __attribute__((warn_unused_result));
int mls_read_u16(struct mls_reader *r, uint16_t *out) __attribute__((warn_unused_result));
int mls_read_u32(struct mls_reader *r, uint32_t *out) __attribute__((warn_unused_result));
int mls_read_u64(struct mls_reader *r, uint64_t *out) __attribute__((warn_unused_result));

/*
 * mls_read_bytes consumes exactly |n| bytes (a fixed-length opaque field)
 * and points |*data| at them. Returns 0, or -EBADMSG when fewer are left.
 */
int mls_read_bytes(struct mls_reader *r, size_t n, const uint8_t **data)
	__attribute__((warn_unused_result));

/*
 * mls_read_varint reads a variable-length integer (section 2.1.2) into
 * |out|. Returns 0, or -EBADMSG (nothing consumed) when the input is
 * truncated, the prefix is 0b11, or the encoding is not the shortest one.
 */
int mls_read_varint(struct mls_reader *r, uint32_t *out) __attribute__((warn_unused_result));

/*
 * mls_read_opaque reads a variable-length vector of bytes (opaque<V>): a
 * varint length and that many bytes. |*data| and |*len| are set to a view
 * of the bytes inside the reader's window (|*data| is the reader's position
 * even when |*len| is 0). Returns 0, or -EBADMSG (nothing consumed) when
 * the varint is malformed or the body is truncated.
 */
int mls_read_opaque(struct mls_reader *r, const uint8_t **data, size_t *len)
	__attribute__((warn_unused_result));

/*
 * mls_read_vector_begin reads the varint length of a vector (T<V>) and
 * makes |sub| a reader over exactly its body; |r| moves past the whole
 * vector. Parse the elements from |sub| and check mls_read_end(sub).
 * Returns 0, or -EBADMSG (nothing consumed, |sub| untouched) like
 * mls_read_opaque.
 */
int mls_read_vector_begin(struct mls_reader *r, struct mls_reader *sub)
	__attribute__((warn_unused_result));

/*
 * mls_read_end checks that |r| is fully consumed. Returns 0, or -EBADMSG
 * when bytes are left (trailing data in a structure or a vector element
 * that overruns is malformed).
 */
int mls_read_end(const struct mls_reader *r) __attribute__((warn_unused_result));

/* mls_varint_len returns the length of the minimal encoding of |v| (1, 2 or 4), or 0 when v > MLS_VARINT_MAX. */
size_t mls_varint_len(uint64_t v);

/* mls_writer_init makes |w| append to the |cap| bytes at |buf| (buf may be NULL when cap is 0). */
void mls_writer_init(struct mls_writer *w, uint8_t *buf, size_t cap);

/* mls_writer_len returns the number of bytes written to |w|. */
size_t mls_writer_len(const struct mls_writer *w);

/* mls_writer_ok returns true when no write to |w| has failed for lack of room. */
bool mls_writer_ok(const struct mls_writer *w);

/*
 * mls_write_u8, mls_write_u16, mls_write_u32 and mls_write_u64 append |v|
 * big-endian in 1, 2, 4 or 8 bytes. Return 0, or -ENOSPC (nothing written,
 * overflow set) when it does not fit or the writer has overflowed before.
 */
int mls_write_u8(struct mls_writer *w, uint8_t v) __attribute__((warn_unused_result));
int mls_write_u16(struct mls_writer *w, uint16_t v) __attribute__((warn_unused_result));
int mls_write_u32(struct mls_writer *w, uint32_t v) __attribute__((warn_unused_result));
int mls_write_u64(struct mls_writer *w, uint64_t v) __attribute__((warn_unused_result));

/*
 * mls_write_bytes appends the |n| bytes at |p| (a fixed-length opaque
 * field; p may be NULL when n is 0). Returns 0 or -ENOSPC.
 */
int mls_write_bytes(struct mls_writer *w, const void *p, size_t n)
	__attribute__((warn_unused_result));

/*
 * mls_write_varint appends |v| as a variable-length integer in its shortest
 * encoding. Returns 0, -EINVAL (nothing written, overflow not set) when
 * v > MLS_VARINT_MAX, or -ENOSPC.
 */
int mls_write_varint(struct mls_writer *w, uint64_t v) __attribute__((warn_unused_result));

/*
 * mls_write_opaque appends opaque<V>: the varint length |n| and the |n|
 * bytes at |p|. Returns 0, -EINVAL when n > MLS_VARINT_MAX, or -ENOSPC
 * (nothing written).
 */
int mls_write_opaque(struct mls_writer *w, const void *p, size_t n)
	__attribute__((warn_unused_result));

/*
 * mls_write_vector_begin opens a vector whose body the caller writes next
 * with any writer calls (nested vectors included); mls_write_vector_end
 * closes it. Vectors close in the reverse order they were opened. Returns
 * 0, or -ENOSPC when the writer has overflowed already.
 */
int mls_write_vector_begin(struct mls_writer *w, struct mls_vector_mark *m)
	__attribute__((warn_unused_result));

/*
 * mls_write_vector_end closes the vector opened with |m|: it moves the body
 * written since mls_write_vector_begin up by the size of the minimal varint
 * of its length and writes that varint in front. Returns 0; -ENOSPC (overflow
 * set) when the header does not fit or a write inside the vector failed;
 * -EINVAL when |m| does not belong to the writer's current state or the
 * body is longer than MLS_VARINT_MAX.
 */
int mls_write_vector_end(struct mls_writer *w, const struct mls_vector_mark *m)
	__attribute__((warn_unused_result));

#endif
