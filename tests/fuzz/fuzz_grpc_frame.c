/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_grpc_frame.c - gRPC message framing (grpc_reader), grpc-timeout and
 * grpc-message decoding on untrusted bytes. The body is fed in pieces the
 * first byte picks; the messages seen must be the same as when it is fed in
 * one piece, and their lengths must add up with the prefixes to the bytes
 * consumed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "grpc_frame.h"

struct seen {
	uint32_t nb;
	uint64_t bytes;
	uint64_t sum; /* a checksum of the contents */
};

static int on_msg(void *arg, const uint8_t *msg, size_t len, bool compressed)
{
	struct seen *s = arg;

	(void)compressed;
	s->nb++;
	s->bytes += len;
	for (size_t i = 0; i < len; i++) {
		s->sum = s->sum * 31 + msg[i];
	}
	return 0;
}

static int run(const uint8_t *p, size_t n, size_t cut, struct seen *s, bool *partial)
{
	struct grpc_reader r;
	int rc = 0;

	grpc_reader_init(&r, 1u << 16);
	for (size_t off = 0; off < n && rc == 0; off += cut) {
		size_t k = n - off < cut ? n - off : cut;

		rc = grpc_reader_feed(&r, p + off, k, on_msg, s);
	}
	*partial = grpc_reader_partial(&r);
	grpc_reader_cleanup(&r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a = {0}, b = {0};
	bool pa, pb;
	int ra, rb;
	uint64_t ms;
	char *copy;

	if (size < 1) {
		return 0;
	}
	ra = run(data + 1, size - 1, size - 1 ? size - 1 : 1, &a, &pa);
	rb = run(data + 1, size - 1, 1 + data[0] % 17, &b, &pb);
	CHECK(ra == 0 || ra == -EMSGSIZE || ra == -EPROTO);
	CHECK(ra == rb);
	CHECK(a.nb == b.nb && a.bytes == b.bytes && a.sum == b.sum);
	if (ra == 0) {
		CHECK(pa == pb);
		CHECK(a.bytes + 5ull * a.nb <= size - 1);
	}
	if (grpc_timeout_parse((const char *)data, size, &ms) == 0) {
		CHECK(size >= 2 && size <= 9);
	}
	copy = malloc(size);
	CHECK(copy != NULL);
	memcpy(copy, data, size);
	CHECK(grpc_message_decode(copy, size) <= size);
	free(copy);
	return 0;
}
