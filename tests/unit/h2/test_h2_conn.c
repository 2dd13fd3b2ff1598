/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_h2_conn.c - the HTTP/2 engine, a client and a server connection wired
 * back to back in memory (and raw frames where a test needs to misbehave).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "h2_conn.h"

struct side {
	struct h2_conn *c;
	uint32_t headers, trailers, closes, goaways;
	uint32_t last_close_err, last_goaway_err;
	uint64_t body;
	bool ended;
	bool respond; /* server: answer each request with 200, a body and trailers */
	bool any_bytes; /* bodies interleave: count them, do not check the pattern */
	size_t resp_len;
	char hdr_value[256];
};

static struct h2_pool *pool;
static struct side cli, srv;
static uint8_t big[1 << 20];

static int on_headers(struct h2_conn *c, uint32_t sid, void *su, const struct h2_header *h,
		      uint32_t n, unsigned flags, void *user)
{
	struct side *s = user;
	static const struct h2_header resp[] = {{":status", "200", 7, 3}};
	static const struct h2_header trl[] = {{"grpc-status", "0", 11, 1}};

	(void)su;
	if (flags & H2_HDR_TRAILERS) {
		s->trailers++;
	} else {
		s->headers++;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (h[i].name_len == 5 && memcmp(h[i].name, "x-big", 5) == 0 &&
		    h[i].value_len < sizeof(s->hdr_value)) {
			memcpy(s->hdr_value, h[i].value, h[i].value_len);
		}
	}
	if (flags & H2_HDR_END_STREAM) {
		s->ended = true;
	}
	if (s->respond && !(flags & H2_HDR_TRAILERS)) {
		struct iovec iov = {big, s->resp_len};

		assert_int_equal(h2_submit_headers(c, sid, resp, 1, false), 0);
		assert_int_equal(h2_stream_writev(c, sid, &iov, 1, false), 0);
		assert_int_equal(h2_submit_headers(c, sid, trl, 1, true), 0);
	}
	return 0;
}

static int on_data(struct h2_conn *c, uint32_t sid, void *su, const uint8_t *p, size_t n,
		   bool end, void *user)
{
	struct side *s = user;

	(void)c;
	(void)sid;
	(void)su;
	for (size_t i = 0; i < n && !s->any_bytes; i++) {
		assert_int_equal(p[i], (uint8_t)(s->body + i));
	}
	s->body += n;
	if (end) {
		s->ended = true;
	}
	return 0;
}

static void on_close(struct h2_conn *c, uint32_t sid, void *su, uint32_t error, void *user)
{
	struct side *s = user;

	(void)c;
	(void)sid;
	(void)su;
	s->closes++;
	s->last_close_err = error;
}

static void on_goaway(struct h2_conn *c, uint32_t last, uint32_t error, void *user)
{
	struct side *s = user;

	(void)c;
	(void)last;
	s->goaways++;
	s->last_goaway_err = error;
}

static const struct h2_callbacks cbs = {
	.on_headers = on_headers,
	.on_data = on_data,
	.on_close = on_close,
	.on_goaway = on_goaway,
};

/* Move output from |a| to |b| until neither has any; returns false if a side failed. */
static void pump(void)
{
	for (int round = 0; round < 10000; round++) {
		struct iovec iov[64];
		bool moved = false;
		struct side *pair[2][2] = {{&cli, &srv}, {&srv, &cli}};

		for (int d = 0; d < 2; d++) {
			struct side *a = pair[d][0], *b = pair[d][1];
			unsigned n = h2_conn_out_iov(a->c, iov, 64);

			for (unsigned i = 0; i < n; i++) {
				long k = h2_conn_recv(b->c, iov[i].iov_base, iov[i].iov_len);

				if (k < 0) {
					h2_conn_out_consume(a->c, SIZE_MAX);
					return;
				}
				assert_int_equal(k, (long)iov[i].iov_len);
				h2_conn_out_consume(a->c, iov[i].iov_len);
				moved = true;
			}
		}
		if (!moved) {
			return;
		}
	}
	fail_msg("no quiescence");
}

static void make_pair(const struct h2_conf *cc, const struct h2_conf *sc)
{
	struct h2_conf dc, ds;

	memset(&cli, 0, sizeof(cli));
	memset(&srv, 0, sizeof(srv));
	if (cc == NULL) {
		h2_conf_default(&dc, false);
		cc = &dc;
	}
	if (sc == NULL) {
		h2_conf_default(&ds, true);
		sc = &ds;
	}
	cli.c = h2_conn_new(cc, &cbs, &cli, pool, 1000);
	srv.c = h2_conn_new(sc, &cbs, &srv, pool, 1000);
	assert_non_null(cli.c);
	assert_non_null(srv.c);
}

static void free_pair(void)
{
	h2_conn_free(cli.c);
	h2_conn_free(srv.c);
	assert_int_equal(h2_pool_avail(pool), 1u << 14); /* every chunk back */
}

static const struct h2_header get_req[] = {
	{":method", "GET", 7, 3},
	{":scheme", "http", 7, 4},
	{":authority", "x", 10, 1},
	{":path", "/", 5, 1},
};

static void test_request_response_with_body_and_trailers(void **state)
{
	static const struct h2_header post[] = {
		{":method", "POST", 7, 4},
		{":scheme", "http", 7, 4},
		{":authority", "x", 10, 1},
		{":path", "/upload", 5, 7},
	};
	struct iovec iov = {big, 300000};
	long sid;

	(void)state;
	make_pair(NULL, NULL);
	srv.respond = true;
	srv.resp_len = 200000;
	sid = h2_submit_request(cli.c, post, 4, false, NULL);
	assert_int_equal(sid, 1);
	assert_int_equal(h2_stream_writev(cli.c, (uint32_t)sid, &iov, 1, true), 0);
	pump();
	assert_int_equal(srv.headers, 1);
	assert_int_equal(srv.body, 300000);
	assert_true(srv.ended);
	assert_int_equal(cli.headers, 1);
	assert_int_equal(cli.body, 200000);
	assert_int_equal(cli.trailers, 1);
	assert_int_equal(cli.closes, 1);
	assert_int_equal(cli.last_close_err, H2_NO_ERROR);
	assert_int_equal(srv.closes, 1);
	assert_int_equal(srv.last_close_err, H2_NO_ERROR);
	assert_int_equal(h2_conn_nb_streams(cli.c) + h2_conn_nb_streams(srv.c), 0);
	free_pair();
}

/* A receive window far below the body: WINDOW_UPDATEs carry it, never an error. */
static void test_flow_control_small_windows(void **state)
{
	struct h2_conf sc;
	long sid;

	(void)state;
	h2_conf_default(&sc, true);
	sc.initial_window = 16384;
	sc.conn_window = 65535;
	make_pair(NULL, &sc);
	srv.respond = true;
	srv.resp_len = 0;
	sid = h2_submit_request(cli.c, get_req, 4, false, NULL);
	assert_true(sid > 0);
	for (size_t off = 0; off < sizeof(big); off += 100000) {
		struct iovec iov = {big + off, sizeof(big) - off < 100000 ? sizeof(big) - off : 100000};

		pump();
		assert_int_equal(h2_stream_writev(cli.c, (uint32_t)sid, &iov, 1,
						  off + iov.iov_len == sizeof(big)),
				 0);
	}
	pump();
	assert_int_equal(srv.body, sizeof(big));
	assert_false(h2_conn_failed(srv.c));
	assert_int_equal(h2_conn_stats(srv.c)->ctr[H2_CTR_STREAM_ERRORS_SENT], 0);
	free_pair();
}

/* A header list past one frame goes out as HEADERS + CONTINUATION and comes back whole. */
static void test_continuation(void **state)
{
	struct h2_conf sc;
	struct h2_header h[5];
	static char v[200];
	static char pad[20000];

	(void)state;
	h2_conf_default(&sc, true);
	sc.max_header_list = 65536;
	make_pair(NULL, &sc);
	memcpy(h, get_req, sizeof(get_req));
	memset(v, 'v', sizeof(v) - 1);
	for (size_t i = 0; i < sizeof(pad); i++) {
		pad[i] = (char)('a' + (i * 7919) % 26); /* poorly compressible */
	}
	h[4] = (struct h2_header){"x-big", pad, 5, sizeof(pad)};
	assert_true(h2_submit_request(cli.c, h, 5, true, NULL) > 0);
	pump();
	assert_int_equal(srv.headers, 1);
	assert_false(h2_conn_failed(srv.c));
	free_pair();
}

/* Raw frames from a misbehaving client. */
static void raw(struct h2_conn *c, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		size_t n)
{
	uint8_t head[9];

	h2_frame_head_encode(head, (uint32_t)n, type, flags, sid);
	if (h2_conn_recv(c, head, 9) >= 0 && n > 0) {
		(void)!h2_conn_recv(c, p, n);
	}
}

static void raw_server(void)
{
	memset(&srv, 0, sizeof(srv));
	h2_conf_default((struct h2_conf *)big, true);
	srv.c = h2_conn_new((struct h2_conf *)big, &cbs, &srv, pool, 1000);
	assert_non_null(srv.c);
	assert_int_equal(h2_conn_recv(srv.c, (const uint8_t *)H2_PREFACE, 24), 24);
	raw(srv.c, H2_SETTINGS, 0, 0, NULL, 0);
	memset(big, 0, sizeof(struct h2_conf));
}

/* The last GOAWAY the server queued, or -1. */
static int64_t goaway_code(struct h2_conn *c)
{
	struct iovec iov[64];
	unsigned n = h2_conn_out_iov(c, iov, 64);
	static uint8_t flat[1 << 16];
	size_t len = 0, off = 0;
	int64_t code = -1;

	for (unsigned i = 0; i < n && len + iov[i].iov_len <= sizeof(flat); i++) {
		memcpy(flat + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	while (off + 9 <= len) {
		struct h2_frame_head fh;

		h2_frame_head_decode(flat + off, &fh);
		if (fh.type == H2_GOAWAY && off + 9 + 8 <= len) {
			code = h2_get32(flat + off + 9 + 4);
		}
		off += 9 + fh.len;
	}
	return code;
}

static void test_rapid_reset_is_refused(void **state)
{
	uint8_t block[64], rst[4] = {0, 0, 0, H2_CANCEL};
	size_t blen;

	(void)state;
	raw_server();
	/* An HPACK block for GET / (static table indexes only): :method GET, :scheme http, :path /, :authority x. */
	blen = 0;
	block[blen++] = 0x82;
	block[blen++] = 0x86;
	block[blen++] = 0x84;
	block[blen++] = 0x41;
	block[blen++] = 0x01;
	block[blen++] = 'x';
	for (uint32_t sid = 1; sid < 2 * 3000 && !h2_conn_failed(srv.c); sid += 2) {
		raw(srv.c, H2_HEADERS, H2_FLAG_END_HEADERS, sid, block, blen);
		raw(srv.c, H2_RST_STREAM, 0, sid, rst, 4);
		h2_conn_out_consume(srv.c, SIZE_MAX); /* the client reads: not a control flood */
	}
	assert_true(h2_conn_failed(srv.c));
	assert_int_equal(h2_conn_stats(srv.c)->ctr[H2_CTR_RAPID_RESET], 1);
	h2_conn_free(srv.c);
}

static void test_ping_flood_without_reading(void **state)
{
	uint8_t opaque[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	(void)state;
	raw_server();
	for (int i = 0; i < 5000 && !h2_conn_failed(srv.c); i++) {
		raw(srv.c, H2_PING, 0, 0, opaque, 8);
	}
	assert_true(h2_conn_failed(srv.c));
	assert_int_equal(h2_conn_stats(srv.c)->ctr[H2_CTR_CONTROL_FLOOD], 1);
	assert_int_equal(goaway_code(srv.c), H2_ENHANCE_YOUR_CALM);
	h2_conn_free(srv.c);
}

static void test_continuation_flood(void **state)
{
	uint8_t block[1] = {0x82};

	(void)state;
	raw_server();
	raw(srv.c, H2_HEADERS, 0, 1, block, 1);
	for (int i = 0; i < 1000 && !h2_conn_failed(srv.c); i++) {
		raw(srv.c, H2_CONTINUATION, 0, 1, NULL, 0);
	}
	assert_true(h2_conn_failed(srv.c));
	assert_int_equal(h2_conn_stats(srv.c)->ctr[H2_CTR_CONTINUATION_FLOOD], 1);
	h2_conn_free(srv.c);
}

static void test_errors_exact_codes(void **state)
{
	uint8_t wu0[4] = {0}, ping[8] = {0};

	(void)state;
	/* DATA on an idle stream: PROTOCOL_ERROR (RFC 9113 5.1). */
	raw_server();
	raw(srv.c, H2_DATA, 0, 1, "x", 1);
	assert_int_equal(goaway_code(srv.c), H2_PROTOCOL_ERROR);
	h2_conn_free(srv.c);
	/* WINDOW_UPDATE of 0 on the connection: PROTOCOL_ERROR (6.9). */
	raw_server();
	raw(srv.c, H2_WINDOW_UPDATE, 0, 0, wu0, 4);
	assert_int_equal(goaway_code(srv.c), H2_PROTOCOL_ERROR);
	h2_conn_free(srv.c);
	/* PING of 7 octets: FRAME_SIZE_ERROR (6.7). */
	raw_server();
	raw(srv.c, H2_PING, 0, 0, ping, 7);
	assert_int_equal(goaway_code(srv.c), H2_FRAME_SIZE_ERROR);
	h2_conn_free(srv.c);
	/* Bad HPACK: COMPRESSION_ERROR (4.3). */
	raw_server();
	raw(srv.c, H2_HEADERS, H2_FLAG_END_HEADERS, 1, "\xff\xff\xff\xff\xff", 5);
	assert_int_equal(goaway_code(srv.c), H2_COMPRESSION_ERROR);
	h2_conn_free(srv.c);
	/* A frame over SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR (4.2). */
	raw_server();
	raw(srv.c, H2_DATA, 0, 1, big, 16385);
	assert_int_equal(goaway_code(srv.c), H2_FRAME_SIZE_ERROR);
	h2_conn_free(srv.c);
}

static void test_graceful_goaway(void **state)
{
	(void)state;
	make_pair(NULL, NULL);
	assert_true(h2_submit_request(cli.c, get_req, 4, true, NULL) > 0);
	pump();
	h2_conn_goaway(srv.c, H2_NO_ERROR);
	pump();
	assert_int_equal(cli.goaways, 1);
	assert_int_equal(cli.last_goaway_err, H2_NO_ERROR);
	assert_int_equal(h2_submit_request(cli.c, get_req, 4, true, NULL), -ENOTCONN);
	free_pair();
}

static void test_settings_timeout(void **state)
{
	(void)state;
	raw_server();
	assert_int_equal(h2_conn_tick(srv.c, 1000 + 5000), 0);
	assert_int_equal(h2_conn_tick(srv.c, 1000 + 10001), -EPROTO);
	assert_int_equal(goaway_code(srv.c), H2_SETTINGS_TIMEOUT);
	h2_conn_free(srv.c);
}

/* A peer that never opens its window cannot hold a stream's data for ever (30 s). */
static void test_zero_window_stall_resets_stream(void **state)
{
	struct h2_conf cc;

	(void)state;
	h2_conf_default(&cc, false);
	cc.initial_window = 0; /* the server may send no DATA at all */
	make_pair(&cc, NULL);
	srv.respond = true;
	srv.resp_len = 1000;
	assert_true(h2_submit_request(cli.c, get_req, 4, true, NULL) > 0);
	pump();
	assert_int_equal(cli.headers, 1);
	assert_int_equal(cli.body, 0);
	assert_int_equal(h2_conn_nb_streams(srv.c), 1);
	assert_int_equal(h2_conn_tick(srv.c, 1000 + 20000), 0);
	assert_int_equal(h2_conn_nb_streams(srv.c), 1);
	assert_int_equal(h2_conn_tick(srv.c, 1000 + 31000), 0);
	assert_int_equal(h2_conn_nb_streams(srv.c), 0);
	assert_int_equal(h2_conn_stats(srv.c)->ctr[H2_CTR_STALLED_STREAMS], 1);
	pump();
	assert_int_equal(cli.closes, 1);
	assert_int_equal(cli.last_close_err, H2_CANCEL);
	free_pair();
}

/*
 * Many streams with more queued than a small pool holds: nothing deadlocks,
 * every byte arrives, and writers that got -ENOBUFS/-EAGAIN hear |writable|.
 */
struct bulk {
	struct h2_conn *c;
	uint32_t sid[40];
	size_t left[40];
	uint32_t writable;
};

static struct bulk bulk;

static void bulk_push(uint32_t i)
{
	while (bulk.left[i] > 0) {
		size_t n = bulk.left[i] < 4096 ? bulk.left[i] : 4096;
		struct iovec iov = {big, n};
		int rc = h2_stream_writev(bulk.c, bulk.sid[i], &iov, 1, bulk.left[i] == n);

		if (rc != 0) {
			assert_true(rc == -EAGAIN || rc == -ENOBUFS);
			return;
		}
		bulk.left[i] -= n;
	}
}

static void bulk_writable(struct h2_conn *c, uint32_t sid, void *su, void *user)
{
	(void)c;
	(void)su;
	(void)user;
	bulk.writable++;
	for (uint32_t i = 0; i < 40; i++) {
		if (bulk.sid[i] == sid) {
			bulk_push(i);
		}
	}
}

static void test_small_pool_many_streams(void **state)
{
	static const struct h2_callbacks scb = {
		.on_headers = on_headers,
		.on_close = on_close,
		.on_writable = bulk_writable,
	};
	static const struct h2_header resp[] = {{":status", "200", 7, 3}};
	struct h2_pool *small = h2_pool_new(64, false, 0); /* 512 KiB */
	struct h2_conf sc, cc;

	(void)state;
	assert_non_null(small);
	memset(&cli, 0, sizeof(cli));
	memset(&srv, 0, sizeof(srv));
	memset(&bulk, 0, sizeof(bulk));
	h2_conf_default(&cc, false);
	h2_conf_default(&sc, true);
	cli.any_bytes = true;
	cli.c = h2_conn_new(&cc, &cbs, &cli, pool, 1000);
	srv.c = h2_conn_new(&sc, &scb, &srv, small, 1000);
	bulk.c = srv.c;
	for (uint32_t i = 0; i < 40; i++) {
		bulk.sid[i] = (uint32_t)h2_submit_request(cli.c, get_req, 4, true, NULL);
	}
	pump();
	assert_int_equal(srv.headers, 40);
	for (uint32_t i = 0; i < 40; i++) {
		assert_int_equal(h2_submit_headers(srv.c, bulk.sid[i], resp, 1, false), 0);
		bulk.left[i] = 64 * 1024;
		bulk_push(i);
	}
	for (int round = 0; round < 1000 && cli.closes < 40; round++) {
		pump();
	}
	assert_int_equal(cli.closes, 40);
	assert_int_equal(cli.body, 40ull * 64 * 1024);
	assert_true(bulk.writable > 0);
	h2_conn_free(cli.c);
	h2_conn_free(srv.c);
	assert_int_equal(h2_pool_avail(small), 64);
	h2_pool_free(small);
}

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (uint8_t)i;
	}
	pool = h2_pool_new(1u << 14, false, 0);
	return pool == NULL;
}

static int teardown(void **state)
{
	(void)state;
	h2_pool_free(pool);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_response_with_body_and_trailers),
		cmocka_unit_test(test_flow_control_small_windows),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_rapid_reset_is_refused),
		cmocka_unit_test(test_ping_flood_without_reading),
		cmocka_unit_test(test_continuation_flood),
		cmocka_unit_test(test_errors_exact_codes),
		cmocka_unit_test(test_graceful_goaway),
		cmocka_unit_test(test_settings_timeout),
		cmocka_unit_test(test_zero_window_stall_resets_stream),
		cmocka_unit_test(test_small_pool_many_streams),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
