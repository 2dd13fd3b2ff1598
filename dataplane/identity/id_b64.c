/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id_b64.c - strict unpadded base64url (id_b64.h).
 */
#include "id_b64.h"

#include <errno.h>

/* 0..63 for the alphabet, 0xff for everything else (padding included). */
static const uint8_t dec[256] = {
#define X 0xff
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

static const char enc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

ssize_t id_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t full = len / 4, rest = len % 4, o = 0;
	uint32_t v;

	if (rest == 1) {
		return -EINVAL;	/* 6 bits cannot end a byte string */
	}
	if (id_b64url_decoded_len(len) > cap) {
		return -ENOSPC;
	}
	for (size_t i = 0; i < full; i++, in += 4) {
		uint8_t a = dec[(uint8_t)in[0]], b = dec[(uint8_t)in[1]];
		uint8_t c = dec[(uint8_t)in[2]], d = dec[(uint8_t)in[3]];

		if ((a | b | c | d) & 0xc0) {
			return -EINVAL;
		}
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (rest == 0) {
		return (ssize_t)o;
	}
	{
		uint8_t a = dec[(uint8_t)in[0]], b = dec[(uint8_t)in[1]];
		uint8_t c = rest == 3 ? dec[(uint8_t)in[2]] : 0;

		if ((a | b | c) & 0xc0) {
			return -EINVAL;
		}
		/* the bits below the last whole byte must be zero (one encoding only) */
		if (rest == 2 ? (b & 0x0f) != 0 : (c & 0x03) != 0) {
			return -EINVAL;
		}
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
		out[o++] = (uint8_t)(v >> 16);
		if (rest == 3) {
			out[o++] = (uint8_t)(v >> 8);
		}
	}
	return (ssize_t)o;
}

ssize_t id_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t need = len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1), o = 0, i;

	if (need + 1 > cap) {
		return -ENOSPC;
	}
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = enc[v >> 18];
		out[o++] = enc[(v >> 12) & 63];
		out[o++] = enc[(v >> 6) & 63];
		out[o++] = enc[v & 63];
	}
	if (len - i == 1) {
		out[o++] = enc[in[i] >> 2];
		out[o++] = enc[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		out[o++] = enc[v >> 10];
		out[o++] = enc[(v >> 4) & 63];
		out[o++] = enc[(v & 15) << 2];
	}
	out[o] = '\0';
	return (ssize_t)o;
}
