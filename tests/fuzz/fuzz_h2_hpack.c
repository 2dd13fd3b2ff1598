/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_h2_hpack.c - HPACK input (RFC 7541) and the header rules of RFC 9113
 * 8.2-8.3, through a server connection: the input, cut in two at a point the
 * first byte picks, is sent as a HEADERS frame and a CONTINUATION frame on
 * stream 1 (then the same on stream 3, to run the dynamic table twice).
 * Invariants: a delivered request has :method, :scheme and :path (or is a
 * CONNECT with :authority), lowercase names, no connection-specific
 * fields; a decoding error is COMPRESSION_ERROR (the connection fails);
 * nothing leaks.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "h2_conn.h"

static struct h2_pool *pool;

static bool has(const struct h2_header *h, uint32_t n, const char *name)
{
	size_t l = strlen(name);

	for (uint32_t i = 0; i < n; i++) {
		if (h[i].name_len == l && memcmp(h[i].name, name, l) == 0) {
			return true;
		}
	}
	return false;
}

static int on_headers(struct h2_conn *c, uint32_t sid, void *su, const struct h2_header *h,
		      uint32_t n, unsigned flags, void *user)
{
	(void)c;
	(void)sid;
	(void)su;
	(void)flags;
	(void)user;
	CHECK(has(h, n, ":method"));
	CHECK((has(h, n, ":scheme") && has(h, n, ":path")) || has(h, n, ":authority"));
	CHECK(!has(h, n, "connection") && !has(h, n, "transfer-encoding"));
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t k = 0; k < h[i].name_len; k++) {
			CHECK(h[i].name[k] < 'A' || h[i].name[k] > 'Z');
		}
	}
	return 0;
}

static const struct h2_callbacks cbs = {.on_headers = on_headers};

static void frame(struct h2_conn *c, uint8_t type, uint8_t flags, uint32_t sid, const uint8_t *p,
		  size_t n)
{
	uint8_t head[9];

	h2_frame_head_encode(head, (uint32_t)n, type, flags, sid);
	if (h2_conn_recv(c, head, 9) < 0 || (n > 0 && h2_conn_recv(c, p, n) < 0)) {
		CHECK(h2_conn_failed(c));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct h2_conf conf;
	struct h2_conn *c;
	size_t split;

	if (size < 1 || size > 16000) {
		return 0;
	}
	if (pool == NULL) {
		pool = h2_pool_new(64, true, 1024);
		CHECK(pool != NULL);
	}
	split = data[0] % size;
	data++;
	size--;
	if (split > size) {
		split = size;
	}
	h2_conf_default(&conf, true);
	c = h2_conn_new(&conf, &cbs, NULL, pool, 0);
	CHECK(c != NULL);
	CHECK(h2_conn_recv(c, pre, 24) == 24);
	frame(c, H2_SETTINGS, 0, 0, NULL, 0);
	for (uint32_t sid = 1; sid <= 3 && !h2_conn_failed(c); sid += 2) {
		frame(c, H2_HEADERS, H2_FLAG_END_STREAM, sid, data, split);
		if (!h2_conn_failed(c)) {
			frame(c, H2_CONTINUATION, H2_FLAG_END_HEADERS, sid, data + split, size - split);
		}
	}
	h2_conn_free(c);
	CHECK(h2_pool_avail(pool) == 1024);
	return 0;
}
