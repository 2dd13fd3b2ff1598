/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_conn.h - a sans-I/O HTTP/2 connection (RFC 9113), server or client.
 *
 * The engine never touches a socket or an mbuf. The owner feeds it the
 * bytes it received (h2_conn_recv, in any pieces) and sends what it queued
 * (h2_conn_out_iov / h2_conn_out_consume). Everything else is callbacks
 * (struct h2_callbacks) and submit calls. Received DATA is delivered as
 * slices of the caller's input buffers (zero-copy); header blocks are
 * decoded with libnghttp2's HPACK (nghttp2_hd_*) and delivered as one list.
 *
 * What the engine does by itself: the connection preface and SETTINGS
 * exchange (with ACK and a timeout), PING answers, stream and connection
 * flow control (WINDOW_UPDATE once half a window is consumed), the stream
 * state machine with every stream and connection error of RFC 9113 5.4,
 * header validation (RFC 9113 8.2-8.3), CONTINUATION, PRIORITY (accepted
 * and ignored), the concurrent stream limit, GOAWAY, and limits against
 * the known abuse patterns (rapid reset, SETTINGS/PING floods through the
 * output queue, CONTINUATION floods, empty-frame floods, zero-window
 * stalls), each with a counter (struct h2_stats).
 *
 * Memory: output and stream data wait in byte queues of chunks from a
 * struct h2_pool shared by the connections of one thread; a full pool is
 * back-pressure (short writes, then |writable|). A connection itself and
 * its HPACK tables are allocated when it is made.
 *
 * Thread context: a connection and its pool belong to one thread. No
 * callback may free the connection; h2_conn_free is called by the owner
 * outside callbacks.
 */
#ifndef SB_H2_CONN_H
#define SB_H2_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "h2_buf.h"
#include "h2_wire.h"

struct h2_conn;
struct h2_stats;

struct h2_conf {
	bool server;
	/* What we advertise in SETTINGS (and enforce). */
	uint32_t max_concurrent_streams; /* peer-initiated streams open at once (100) */
	uint32_t initial_window;	 /* per-stream receive window (1 MiB) */
	uint32_t conn_window;		 /* connection receive window (16 MiB) */
	uint32_t max_frame_size;	 /* largest frame we accept (16384) */
	uint32_t max_header_list;	 /* decoded header list size, RFC 9113 6.5.2 (16 KiB) */
	uint32_t header_table_size;	 /* our HPACK decoder's table (4096) */
	/* Local limits. */
	uint32_t max_streams_local;	 /* streams we open at once as a client (100) */
	uint32_t stream_buf_max;	 /* bytes a stream may hold unsent before short writes (256 KiB) */
	uint32_t conn_buf_max;		 /* ... and all streams of the connection together (1 MiB) */
	uint32_t out_high;		 /* output bytes queued above which DATA waits (256 KiB) */
	uint32_t settings_timeout_ms;	 /* SETTINGS without ACK: SETTINGS_TIMEOUT (10 s) */
	uint32_t stall_timeout_ms;	 /* data waiting on a zero window this long: reset (30 s) */
	/* Abuse limits (0 turns a limit off). */
	uint32_t reset_burst;		 /* stream resets by the peer: token bucket size (1000) */
	uint32_t reset_rate;		 /* ... refilled per second (100) */
	uint32_t max_control_queued;	 /* ACKs/RSTs queued while the peer does not read (1000) */
	uint32_t max_continuations;	 /* CONTINUATION frames in one header block (32) */
	uint32_t max_header_block;	 /* compressed header block bytes (64 KiB) */
	uint32_t max_empty_frames;	 /* empty DATA frames without END_STREAM in a row (100) */
	/* Counters are also added here when not NULL (one per thread: a worker's totals). */
	struct h2_stats *totals;
};

/* h2_conf_default fills |c| with the defaults above for a server or a client. */
void h2_conf_default(struct h2_conf *c, bool server);

struct h2_header {
	const char *name;
	const char *value;
	uint32_t name_len;
	uint32_t value_len;
};

/* Flags of a delivered header block. */
#define H2_HDR_END_STREAM   0x1 /* the peer ended the stream with this block */
#define H2_HDR_TRAILERS	    0x2 /* a trailer section (after the message's headers) */
#define H2_HDR_INFORMATIONAL 0x4 /* a 1xx response (client side) */

struct h2_callbacks {
	/*
	 * A validated header block on |sid|: a request (server), a response or
	 * trailers. |h| and the strings are valid during the call only.
	 * Return 0, or a negative errno to reset the stream (INTERNAL_ERROR).
	 */
	int (*on_headers)(struct h2_conn *c, uint32_t sid, void *stream_user,
			  const struct h2_header *h, uint32_t n, unsigned flags, void *user);
	/*
	 * Body bytes of |sid| (a slice of the input, valid during the call),
	 * in as many calls as the input came in; |end_stream| on the last
	 * (possibly with n == 0). The engine counts them consumed for flow
	 * control when the call returns. Return 0 or a negative errno to reset
	 * the stream.
	 */
	int (*on_data)(struct h2_conn *c, uint32_t sid, void *stream_user, const uint8_t *p,
		       size_t n, bool end_stream, void *user);
	/*
	 * |sid| is gone: |error| is H2_NO_ERROR after a clean end both ways,
	 * else the RFC 9113 error code it was reset with (by either side, or
	 * by the connection's end). Last call for the stream.
	 */
	void (*on_close)(struct h2_conn *c, uint32_t sid, void *stream_user, uint32_t error,
			 void *user);
	/* |sid| can take more data after a short h2_stream_write. */
	void (*on_writable)(struct h2_conn *c, uint32_t sid, void *stream_user, void *user);
	/* The peer sent GOAWAY: streams above |last_sid| we opened are closed (REFUSED_STREAM). */
	void (*on_goaway)(struct h2_conn *c, uint32_t last_sid, uint32_t error, void *user);
};

/* Counters: abuse limits hit and errors, per connection. */
#define foreach_h2_counter                                                                 \
	_(FRAMES_IN, "frames received")                                                     \
	_(STREAMS_OPENED, "streams opened by the peer")                                     \
	_(CONN_ERRORS_SENT, "connection errors we sent (GOAWAY)")                           \
	_(STREAM_ERRORS_SENT, "stream errors we sent (RST_STREAM)")                         \
	_(RESETS_RECEIVED, "RST_STREAM received")                                           \
	_(REFUSED_STREAMS, "streams refused over the concurrency limit")                    \
	_(RAPID_RESET, "connections closed for rapid reset")                                \
	_(CONTROL_FLOOD, "connections closed for SETTINGS/PING/RST floods")                 \
	_(CONTINUATION_FLOOD, "connections closed for CONTINUATION floods")                 \
	_(EMPTY_FRAME_FLOOD, "connections closed for empty DATA floods")                    \
	_(STALLED_STREAMS, "streams reset after a zero-window stall")                       \
	_(HEADER_LIST_TOO_LARGE, "header lists over SETTINGS_MAX_HEADER_LIST_SIZE")         \
	_(SETTINGS_TIMEOUTS, "SETTINGS not acknowledged in time")

enum h2_counter {
#define _(n, d) H2_CTR_##n,
	foreach_h2_counter
#undef _
		H2_CTR_MAX
};

struct h2_stats {
	uint64_t ctr[H2_CTR_MAX];
};

/* h2_counter_name returns the counter's name and sets |*desc| (if not NULL). */
const char *h2_counter_name(enum h2_counter k, const char **desc);

/*
 * h2_conn_new makes a connection with configuration |conf| (copied),
 * callbacks |cb| (kept by pointer) and |user| passed to every callback,
 * queueing what the connection starts with: a client its preface; both
 * their SETTINGS and a connection WINDOW_UPDATE. |now_ms| is the clock
 * (any epoch, milliseconds). Returns NULL on bad configuration or no
 * memory.
 */
struct h2_conn *h2_conn_new(const struct h2_conf *conf, const struct h2_callbacks *cb,
			    void *user, struct h2_pool *pool, uint64_t now_ms);

/* h2_conn_free closes every stream (their on_close runs with CANCEL) and frees |c|. Accepts NULL. */
void h2_conn_free(struct h2_conn *c);

/*
 * h2_conn_recv processes |n| received bytes. Returns how many were
 * consumed: all of them, or fewer when the output queue is over
 * out_high (feed the rest after sending), or a negative value once the
 * connection has failed (-EPROTO: we queued GOAWAY; flush the output and
 * close).
 */
long h2_conn_recv(struct h2_conn *c, const uint8_t *in, size_t n)
	__attribute__((warn_unused_result));

/*
 * h2_conn_out_iov points up to |max| iovecs at the bytes ready to send
 * (moving stream data into the output as windows allow, round-robin), and
 * returns how many. h2_conn_out_consume then drops the |n| bytes sent.
 */
unsigned h2_conn_out_iov(struct h2_conn *c, struct iovec *iov, unsigned max);
void h2_conn_out_consume(struct h2_conn *c, size_t n);

/* h2_conn_out_pending returns the bytes queued for output (after scheduling). */
size_t h2_conn_out_pending(struct h2_conn *c);

/*
 * h2_conn_tick advances the clock to |now_ms|: the SETTINGS timeout, stalled
 * streams and the reset budget. Returns 0, or -EPROTO if the connection
 * failed (GOAWAY queued).
 */
int h2_conn_tick(struct h2_conn *c, uint64_t now_ms);

/*
 * h2_conn_done says the owner can close the transport: the connection
 * failed or both sides said GOAWAY (or we did and nothing is open), and
 * the output is sent.
 */
bool h2_conn_done(const struct h2_conn *c);

/* h2_conn_failed says a connection error ended the engine (GOAWAY queued or sent). */
bool h2_conn_failed(const struct h2_conn *c);

/*
 * h2_conn_goaway starts a graceful shutdown: GOAWAY with |error| and the
 * last peer stream seen; open streams finish, new ones are ignored.
 */
void h2_conn_goaway(struct h2_conn *c, uint32_t error);

/*
 * h2_conn_ping queues a PING carrying |opaque| (8 bytes). Returns 0 or
 * -ENOBUFS.
 */
int h2_conn_ping(struct h2_conn *c, const uint8_t opaque[8]) __attribute__((warn_unused_result));

/* h2_conn_stats returns |c|'s counters. */
const struct h2_stats *h2_conn_stats(const struct h2_conn *c);

/* h2_conn_nb_streams returns the number of open streams. */
uint32_t h2_conn_nb_streams(const struct h2_conn *c);

/*
 * h2_submit_request (client) opens a stream with request headers |h| (the
 * pseudo-headers first) and |stream_user|; |end_stream| when there is no
 * body. Returns the stream id (> 0), -EAGAIN (the peer's concurrency
 * limit), -ENOTCONN (GOAWAY received or connection failed), -ENOBUFS,
 * -EINVAL.
 */
long h2_submit_request(struct h2_conn *c, const struct h2_header *h, uint32_t n,
		       bool end_stream, void *stream_user) __attribute__((warn_unused_result));

/*
 * h2_submit_headers sends a header block on |sid|: the response (server),
 * or trailers (either side, |end_stream| must then be true). Trailers wait
 * behind data still queued on the stream. Returns 0, -ENOENT (no such
 * open stream), -EPIPE (already ended), -ENOBUFS, -EINVAL.
 */
int h2_submit_headers(struct h2_conn *c, uint32_t sid, const struct h2_header *h, uint32_t n,
		      bool end_stream) __attribute__((warn_unused_result));

/*
 * h2_stream_writev queues the |nb| buffers of |iov| as body bytes of |sid|,
 * all or nothing, ending the stream after them if |end_stream| (nb may be
 * 0 to just end it). stream_buf_max and conn_buf_max are soft limits: a
 * write is taken whole while the stream holds less than the first and the
 * connection's streams less than the second. Returns 0, -EAGAIN (over a
 * limit: on_writable follows), -ENOBUFS (the pool is down to its reserve,
 * H2_POOL_RESERVE chunks kept for output; on_writable follows when it
 * recovers), -ENOENT (no such stream), -EPIPE (ended on our side), -EINVAL
 * (headers not sent yet).
 */
int h2_stream_writev(struct h2_conn *c, uint32_t sid, const struct iovec *iov, unsigned nb,
		     bool end_stream) __attribute__((warn_unused_result));

/* h2_stream_reset resets |sid| with |error| (RST_STREAM); on_close follows at once. */
void h2_stream_reset(struct h2_conn *c, uint32_t sid, uint32_t error);

/* h2_stream_set_user sets |sid|'s user pointer; returns -ENOENT if no such stream. */
int h2_stream_set_user(struct h2_conn *c, uint32_t sid, void *stream_user);

/*
 * h2_stream_queued returns the body bytes |sid| still holds for sending
 * (plus 1 when its trailers wait behind them), 0 when everything went out
 * or there is no such stream.
 */
size_t h2_stream_queued(const struct h2_conn *c, uint32_t sid);

/* h2_stream_send_window returns what |sid| may send now (min of both windows). */
long h2_stream_send_window(const struct h2_conn *c, uint32_t sid);

#endif
