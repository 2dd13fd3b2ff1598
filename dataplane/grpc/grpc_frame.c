/* SPDX-License-Identifier: Apache-2.0 */
/* grpc_frame.c - gRPC message framing and header values (grpc_frame.h). */
#include "grpc_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void grpc_reader_init(struct grpc_reader *r, uint32_t max_msg)
{
	memset(r, 0, sizeof(*r));
	r->max_msg = max_msg;
}

void grpc_reader_cleanup(struct grpc_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

bool grpc_reader_partial(const struct grpc_reader *r)
{
	return r->prefix_got > 0;
}

/* The prefix is complete: check it and get ready for the body. */
static int prefix_done(struct grpc_reader *r)
{
	uint8_t flag = r->prefix[0];
	uint32_t len = (uint32_t)r->prefix[1] << 24 | (uint32_t)r->prefix[2] << 16 |
		       (uint32_t)r->prefix[3] << 8 | r->prefix[4];

	if (flag > 1) {
		return -EPROTO;
	}
	if (len > r->max_msg) {
		return -EMSGSIZE;
	}
	r->compressed = flag == 1;
	r->need = len;
	r->got = 0;
	return 0;
}

int grpc_reader_feed(struct grpc_reader *r, const uint8_t *p, size_t n, grpc_msg_fn fn, void *arg)
{
	int rc;

	while (n > 0 || (r->prefix_got == GRPC_PREFIX_LEN && r->got == r->need)) {
		size_t k;

		if (r->prefix_got < GRPC_PREFIX_LEN) {
			k = GRPC_PREFIX_LEN - r->prefix_got;
			k = k < n ? k : n;
			memcpy(r->prefix + r->prefix_got, p, k);
			r->prefix_got += (uint32_t)k;
			p += k;
			n -= k;
			if (r->prefix_got < GRPC_PREFIX_LEN) {
				return 0;
			}
			rc = prefix_done(r);
			if (rc < 0) {
				return rc;
			}
			continue;
		}
		if (r->got == 0 && n >= r->need) {
			/* Whole in this piece: no copy. */
			const uint8_t *msg = p;
			uint32_t len = r->need;

			p += len;
			n -= len;
			r->prefix_got = 0;
			rc = fn(arg, msg, len, r->compressed);
			if (rc < 0) {
				return rc;
			}
			continue;
		}
		if (r->got == r->need) {
			r->prefix_got = 0;
			rc = fn(arg, r->buf, r->need, r->compressed);
			if (rc < 0) {
				return rc;
			}
			continue;
		}
		if (r->cap < r->need) {
			uint8_t *nb = realloc(r->buf, r->need);

			if (nb == NULL) {
				return -ENOMEM;
			}
			r->buf = nb;
			r->cap = r->need;
		}
		k = r->need - r->got;
		k = k < n ? k : n;
		memcpy(r->buf + r->got, p, k);
		r->got += (uint32_t)k;
		p += k;
		n -= k;
	}
	return 0;
}

int grpc_timeout_parse(const char *v, size_t len, uint64_t *ms)
{
	uint64_t x = 0;

	if (len < 2 || len > 9) {
		return -EINVAL;
	}
	for (size_t i = 0; i + 1 < len; i++) {
		if (v[i] < '0' || v[i] > '9') {
			return -EINVAL;
		}
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	switch (v[len - 1]) {
	case 'H':
		*ms = x * 3600000;
		break;
	case 'M':
		*ms = x * 60000;
		break;
	case 'S':
		*ms = x * 1000;
		break;
	case 'm':
		*ms = x;
		break;
	case 'u':
		*ms = (x + 999) / 1000;
		break;
	case 'n':
		*ms = (x + 999999) / 1000000;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

long grpc_message_encode(const uint8_t *msg, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t ch = msg[i];

		if (ch >= 0x20 && ch <= 0x7e && ch != '%') {
			if (o + 1 > cap) {
				return -ENOSPC;
			}
			out[o++] = (char)ch;
		} else {
			if (o + 3 > cap) {
				return -ENOSPC;
			}
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	return (long)o;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9') {
		return ch - '0';
	}
	if (ch >= 'a' && ch <= 'f') {
		return ch - 'a' + 10;
	}
	if (ch >= 'A' && ch <= 'F') {
		return ch - 'A' + 10;
	}
	return -1;
}

size_t grpc_message_decode(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			s[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}
