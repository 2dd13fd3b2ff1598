/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_client.h - gRPC client calls on one HTTP/2 connection (sans-I/O),
 * the counterpart of grpc_server.h: the bridge dials peer bridges with it.
 *
 * A struct grpc_cconn owns a client-side h2_conn; the owner feeds it input
 * and sends its output exactly as for a server connection. Each call is a
 * stream: request headers (with grpc-timeout when a deadline is given),
 * length-prefixed messages both ways, and the status from the trailers (or
 * a trailers-only response, or mapped from the HTTP status or RST_STREAM
 * code when the server sent no gRPC status).
 *
 * Thread context: one thread per connection, like h2_conn.
 */
#ifndef SB_GRPC_CLIENT_H
#define SB_GRPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grpc_wire.h"
#include "h2_conn.h"

struct grpc_cconn;
struct grpc_ccall;

struct grpc_ccall_ops {
	/* The response headers (initial metadata) arrived; |md| valid during the call. */
	void (*on_headers)(struct grpc_ccall *call, const struct h2_header *md, uint32_t n, void *arg);
	/* One response message (valid during the call). Return 0, or < 0 to cancel the call. */
	int (*on_message)(struct grpc_ccall *call, const uint8_t *msg, size_t len, void *arg);
	/* Sending space opened after grpc_ccall_send returned -EAGAIN. */
	void (*on_writable)(struct grpc_ccall *call, void *arg);
	/*
	 * The call is over with |status| and |message| (decoded; "" if none);
	 * |trailers| are the trailing metadata (valid during the call). Last
	 * callback; |call| is invalid afterwards.
	 */
	void (*on_done)(struct grpc_ccall *call, int status, const char *message,
			const struct h2_header *trailers, uint32_t n, void *arg);
};

/*
 * grpc_cconn_new makes a client connection (conf->server must be false)
 * whose requests carry :authority |authority| (copied). Its preface and
 * SETTINGS are queued at once. Returns NULL on bad input or no memory.
 */
struct grpc_cconn *grpc_cconn_new(const struct h2_conf *conf, struct h2_pool *pool,
				  const char *authority, uint64_t now_ms);

/* grpc_cconn_free ends every call (on_done with CANCELLED) and frees |cc|. Accepts NULL. */
void grpc_cconn_free(struct grpc_cconn *cc);

/* grpc_cconn_h2 returns the connection's engine. */
struct h2_conn *grpc_cconn_h2(struct grpc_cconn *cc);

/* grpc_cconn_set_kick registers |kick|, called when a call queued output (as grpc_sconn_set_kick). */
void grpc_cconn_set_kick(struct grpc_cconn *cc, void (*kick)(void *arg), void *arg);

/* grpc_cconn_tick advances time: call deadlines and the engine's timers. */
void grpc_cconn_tick(struct grpc_cconn *cc, uint64_t now_ms);

/*
 * grpc_cconn_start starts a call of |path| ("/package.Service/Method") with
 * request metadata |md| (lowercase names; may be NULL), a deadline
 * |timeout_ms| from now (0: none) and |ops|/|arg|. Stores the call in
 * |*out|. Returns 0, -EAGAIN (the server's concurrency limit or ours),
 * -ENOTCONN (GOAWAY or failed), -EINVAL, -ENOBUFS.
 */
int grpc_cconn_start(struct grpc_cconn *cc, const char *path, const struct h2_header *md,
		     uint32_t n, uint64_t timeout_ms, const struct grpc_ccall_ops *ops, void *arg,
		     struct grpc_ccall **out) __attribute__((warn_unused_result));

/*
 * grpc_ccall_send sends one request message. Returns 0, -EAGAIN (flow
 * control or buffers: on_writable follows), -EPIPE (half-closed or over).
 */
int grpc_ccall_send(struct grpc_ccall *call, const void *msg, size_t len)
	__attribute__((warn_unused_result));

/* grpc_ccall_close_send half-closes the call: no more request messages. Returns 0 or -EPIPE. */
int grpc_ccall_close_send(struct grpc_ccall *call) __attribute__((warn_unused_result));

/* grpc_ccall_cancel resets the call (RST_STREAM CANCEL); on_done follows with CANCELLED. */
void grpc_ccall_cancel(struct grpc_ccall *call);

/* grpc_ccall_set_user / grpc_ccall_user: the caller's per-call pointer. */
void grpc_ccall_set_user(struct grpc_ccall *call, void *user);
void *grpc_ccall_user(const struct grpc_ccall *call);

/* grpc_status_from_http maps an HTTP status of a non-gRPC answer to a gRPC status. */
int grpc_status_from_http(int http_status);

#endif
