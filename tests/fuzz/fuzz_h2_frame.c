/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_h2_frame.c - the HTTP/2 frame parser and connection state machine
 * (h2_conn_recv) on untrusted bytes.
 *
 * The first input byte picks the side (server or client) and how the rest
 * is cut into receive calls (the parser must give the same result for any
 * cut). A server gets the client preface first when bit 1 is set, so the
 * fuzzer spends its time past the preface. The app answers every request
 * and writes body data, so the output scheduler, flow control and trailers
 * run too. Invariants: the output only grows by whole frames whose headers
 * name a known or unknown type with a length within the peer's limit; after
 * a connection error h2_conn_recv keeps failing; every stream the app saw
 * opened gets exactly one on_close; freeing returns every chunk.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "h2_conn.h"

#define MAX_TRACK 512

static struct h2_pool *pool;
static uint32_t opened[MAX_TRACK], nb_opened, closed_count;
static bool open_now[MAX_TRACK];

static int track(uint32_t sid)
{
	for (uint32_t i = 0; i < nb_opened; i++) {
		if (opened[i] == sid) {
			return (int)i;
		}
	}
	return -1;
}

static int on_headers(struct h2_conn *c, uint32_t sid, void *su, const struct h2_header *h,
		      uint32_t n, unsigned flags, void *user)
{
	static const struct h2_header resp[] = {{":status", "200", 7, 3}};
	static const struct h2_header trl[] = {{"grpc-status", "0", 11, 1}};
	static const uint8_t body[100];
	struct iovec iov = {(void *)(uintptr_t)body, sizeof(body)};
	int i;

	(void)su;
	(void)user;
	for (uint32_t k = 0; k < n; k++) {
		CHECK(h[k].name != NULL && h[k].name_len > 0);
	}
	if (flags & (H2_HDR_TRAILERS | H2_HDR_INFORMATIONAL)) {
		return 0;
	}
	i = track(sid);
	if (i < 0 && nb_opened < MAX_TRACK) {
		i = (int)nb_opened++;
		opened[i] = sid;
	} else if (i >= 0) {
		CHECK(!open_now[i]); /* a stream is opened once */
	}
	if (i >= 0) {
		open_now[i] = true;
	}
	if (sid & 1) {
		/* A server answering a request: headers, some data, trailers. */
		if (h2_submit_headers(c, sid, resp, 1, false) == 0 &&
		    h2_stream_writev(c, sid, &iov, 1, false) == 0) {
			CHECK(h2_submit_headers(c, sid, trl, 1, true) != -EINVAL);
		}
	}
	return 0;
}

static int on_data(struct h2_conn *c, uint32_t sid, void *su, const uint8_t *p, size_t n,
		   bool end, void *user)
{
	(void)c;
	(void)su;
	(void)user;
	(void)end;
	CHECK(n == 0 || p != NULL);
	CHECK(track(sid) >= 0 && open_now[track(sid)]);
	return 0;
}

static void on_close(struct h2_conn *c, uint32_t sid, void *su, uint32_t error, void *user)
{
	int i = track(sid);

	(void)c;
	(void)su;
	(void)error;
	(void)user;
	if (i >= 0) {
		CHECK(open_now[i]); /* on_close once, after the stream was seen */
		open_now[i] = false;
	}
	closed_count++;
}

static const struct h2_callbacks cbs = {
	.on_headers = on_headers,
	.on_data = on_data,
	.on_close = on_close,
};

static void drain(struct h2_conn *c)
{
	struct iovec iov[64];
	unsigned n;

	while ((n = h2_conn_out_iov(c, iov, 64)) > 0) {
		size_t total = 0;

		for (unsigned i = 0; i < n; i++) {
			total += iov[i].iov_len;
		}
		h2_conn_out_consume(c, total);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h2_conf conf;
	struct h2_conn *c;
	bool server, preface, failed = false;
	size_t cut, off = 0;
	uint64_t now = 1000;

	if (size < 1) {
		return 0;
	}
	if (pool == NULL) {
		pool = h2_pool_new(64, true, 4096);
		CHECK(pool != NULL);
	}
	server = (data[0] & 1) == 0;
	preface = (data[0] & 2) != 0;
	cut = 1 + (data[0] >> 2);
	data++;
	size--;
	h2_conf_default(&conf, server);
	conf.max_concurrent_streams = 16;
	conf.initial_window = 65535;
	conf.conn_window = 65535 * 4;
	nb_opened = closed_count = 0;
	memset(open_now, 0, sizeof(open_now));
	c = h2_conn_new(&conf, &cbs, NULL, pool, now);
	CHECK(c != NULL);
	drain(c);
	if (server && preface) {
		static const uint8_t pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
		CHECK(h2_conn_recv(c, pre, 24) == 24);
	}
	while (off < size) {
		size_t k = size - off < cut ? size - off : cut;
		long r = h2_conn_recv(c, data + off, k);

		if (r < 0) {
			CHECK(h2_conn_failed(c));
			failed = true;
			break;
		}
		CHECK((size_t)r <= k);
		off += (size_t)r;
		drain(c); /* lets paused input go on */
		now += 7;
		(void)h2_conn_tick(c, now);
	}
	if (failed) {
		CHECK(h2_conn_recv(c, data, size) < 0);
		for (uint32_t i = 0; i < nb_opened; i++) {
			CHECK(!open_now[i]); /* a connection error closes every stream */
		}
	}
	drain(c);
	h2_conn_free(c);
	for (uint32_t i = 0; i < nb_opened; i++) {
		CHECK(!open_now[i]);
	}
	CHECK(h2_pool_avail(pool) == 4096);
	return 0;
}
