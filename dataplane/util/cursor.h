/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cursor.h - a bounds-checked reader over a byte span (after BoringSSL's CBS).
 *
 * A struct cursor is a window {p, len} onto memory the caller owns. Every
 * getter either consumes the bytes it reports and returns true, or leaves the
 * cursor untouched and returns false; nothing reads outside the window.
 * Multi-byte integers are read big-endian byte by byte, so the span needs no
 * alignment. Parsers read wire input only through a cursor (or at offsets a
 * cursor check has just proved to be present).
 *
 * All functions are static inline, allocate nothing and are reentrant.
 */
#ifndef SB_CURSOR_H
#define SB_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t len;
};

/* cursor_init points |c| at |len| bytes at |p|. */
static inline void cursor_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
}

/* cursor_len returns the number of bytes left in |c|. */
static inline size_t cursor_len(const struct cursor *c)
{
	return c->len;
}

/* cursor_data returns a pointer to the next unread byte of |c|. */
static inline const uint8_t *cursor_data(const struct cursor *c)
{
	return c->p;
}

/* cursor_skip consumes |n| bytes. Returns false (and consumes nothing) if fewer are left. */
static inline bool cursor_skip(struct cursor *c, size_t n)
{
	if (n > c->len) {
		return false;
	}
	c->p += n;
	c->len -= n;
	return true;
}

/*
 * cursor_truncate shortens |c| to its first |n| bytes (dropping trailing
 * bytes such as Ethernet padding). Returns false if fewer than |n| are left.
 */
static inline bool cursor_truncate(struct cursor *c, size_t n)
{
	if (n > c->len) {
		return false;
	}
	c->len = n;
	return true;
}

/* cursor_get_u8 reads one byte into |out|. */
static inline bool cursor_get_u8(struct cursor *c, uint8_t *out)
{
	if (c->len < 1) {
		return false;
	}
	*out = c->p[0];
	c->p++;
	c->len--;
	return true;
}

/* cursor_get_u16be reads a big-endian 16-bit integer into |out| (host order). */
static inline bool cursor_get_u16be(struct cursor *c, uint16_t *out)
{
	if (c->len < 2) {
		return false;
	}
	*out = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

/* cursor_get_u32be reads a big-endian 32-bit integer into |out| (host order). */
static inline bool cursor_get_u32be(struct cursor *c, uint32_t *out)
{
	if (c->len < 4) {
		return false;
	}
	*out = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 |
	       (uint32_t)c->p[3];
	c->p += 4;
	c->len -= 4;
	return true;
}

/*
 * cursor_get_bytes copies the next |n| bytes into |out| and consumes them.
 * Use it for addresses, which are kept in wire (network) order.
 */
static inline bool cursor_get_bytes(struct cursor *c, void *out, size_t n)
{
	if (n > c->len) {
		return false;
	}
	if (n != 0) {
		memcpy(out, c->p, n);
	}
	c->p += n;
	c->len -= n;
	return true;
}

/*
 * cursor_get_sub sets |out| to the next |n| bytes of |c| (no copy) and
 * consumes them from |c|, like CBS_get_bytes.
 */
static inline bool cursor_get_sub(struct cursor *c, struct cursor *out, size_t n)
{
	if (n > c->len) {
		return false;
	}
	out->p = c->p;
	out->len = n;
	c->p += n;
	c->len -= n;
	return true;
}

/* cursor_peek_u8 reads the byte at offset |off| without consuming anything. */
static inline bool cursor_peek_u8(const struct cursor *c, size_t off, uint8_t *out)
{
	if (off >= c->len) {
		return false;
	}
	*out = c->p[off];
	return true;
}

#endif
