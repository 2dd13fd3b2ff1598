/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_b64.h - strict base64url (RFC 4648 section 5) without padding, as JWS
 * compact serialization (RFC 7515) and JWK members (RFC 7518) use it.
 *
 * Strict: only the alphabet [A-Za-z0-9_-], no '=' padding, no whitespace, a
 * length that is not 1 mod 4, and unused trailing bits equal to zero (so
 * each byte string has exactly one encoding and a token cannot be altered
 * without changing what it decodes to).
 *
 * Pure functions: no allocation, reentrant.
 */
#ifndef SB_ID_B64_H
#define SB_ID_B64_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Decoded size of |len| encoded characters (valid or not: an upper bound). */
static inline size_t id_b64url_decoded_len(size_t len)
{
	return len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
}

/*
 * id_b64url_decode decodes |len| characters at |in| into |out| (|cap|
 * bytes). Returns the number of bytes written, -EINVAL for input that is not
 * strict base64url, or -ENOSPC when |cap| is too small.
 */
ssize_t id_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/*
 * id_b64url_encode writes the unpadded encoding of |len| bytes, NUL-
 * terminated, into |out| (|cap| bytes). Returns the characters written (not
 * counting the NUL) or -ENOSPC. (Tests and tools; verification never encodes.)
 */
ssize_t id_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);

#endif
