/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_server.h - a gRPC server on one HTTP/2 connection (sans-I/O).
 *
 * A struct grpc_server is the method table, shared by connections. A
 * struct grpc_sconn binds it to one h2_conn (it supplies the connection's
 * h2_callbacks). Each request stream becomes a struct grpc_call routed by
 * :path to its method's callbacks, with messages reassembled from the
 * 5-octet length prefix, deadlines from grpc-timeout enforced by
 * grpc_sconn_tick, and the response's status sent as trailers (or as a
 * trailers-only response).
 *
 * Requests that are not gRPC get plain HTTP/2 answers: GET /healthz is
 * 200 "ok", a known gRPC path without content-type application/grpc is
 * 415, anything else 404.
 *
 * Thread context: one thread per connection, like h2_conn.
 */
#ifndef SB_GRPC_SERVER_H
#define SB_GRPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grpc_wire.h"
#include "h2_conn.h"

struct grpc_server;
struct grpc_sconn;
struct grpc_call;

struct grpc_method_ops {
	/* The request headers arrived. Return 0, or a negative errno to fail the call (INTERNAL). */
	int (*on_start)(struct grpc_call *call, void *arg);
	/* One request message (valid during the call). Return 0 or a negative errno (INTERNAL). */
	int (*on_message)(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg);
	/* The client half-closed: no more messages. */
	void (*on_half_close)(struct grpc_call *call, void *arg);
	/* A grpc_call_set_timer deadline passed. */
	void (*on_timer)(struct grpc_call *call, void *arg);
	/* Sending space opened after grpc_call_send returned -EAGAIN. */
	void (*on_writable)(struct grpc_call *call, void *arg);
	/*
	 * The call is over: |status| is what was sent (grpc_call_finish,
	 * deadline), or GRPC_CANCELLED when the client reset it or the
	 * connection went. Last callback; |call| is invalid afterwards.
	 */
	void (*on_done)(struct grpc_call *call, int status, void *arg);
};

/* grpc_server_new makes an empty method table. Returns NULL without memory. */
struct grpc_server *grpc_server_new(void);

/* grpc_server_free frees |s| (no connection may use it any more). Accepts NULL. */
void grpc_server_free(struct grpc_server *s);

/*
 * grpc_server_add registers |path| ("/package.Service/Method", copied) with
 * |ops| (kept by pointer) and |arg|. Returns 0, -EEXIST, -EINVAL or -ENOMEM.
 */
int grpc_server_add(struct grpc_server *s, const char *path, const struct grpc_method_ops *ops,
		    void *arg) __attribute__((warn_unused_result));

/* grpc_server_set_max_message sets the largest request message taken (default 4 MiB). */
void grpc_server_set_max_message(struct grpc_server *s, uint32_t max);

/*
 * grpc_sconn_new serves |srv| on a new server-side h2_conn made with |conf|
 * (conf->server must be true) and |pool|. Returns NULL on bad input or no
 * memory.
 */
struct grpc_sconn *grpc_sconn_new(struct grpc_server *srv, const struct h2_conf *conf,
				  struct h2_pool *pool, uint64_t now_ms);

/* grpc_sconn_free ends every call (on_done with CANCELLED) and frees |sc|. Accepts NULL. */
void grpc_sconn_free(struct grpc_sconn *sc);

/* grpc_sconn_h2 returns the connection's engine (feed it input, send its output). */
struct h2_conn *grpc_sconn_h2(struct grpc_sconn *sc);

/*
 * grpc_sconn_set_kick registers |kick|, called whenever a call of |sc| has
 * queued output (grpc_call_send, grpc_call_finish) - possibly from another
 * connection's callbacks - so that the owner knows to send it.
 */
void grpc_sconn_set_kick(struct grpc_sconn *sc, void (*kick)(void *arg), void *arg);

/* grpc_sconn_tick advances time: deadlines, call timers and the engine's own timers. */
void grpc_sconn_tick(struct grpc_sconn *sc, uint64_t now_ms);

/* grpc_sconn_next_timer returns the earliest time grpc_sconn_tick has work (UINT64_MAX: none). */
uint64_t grpc_sconn_next_timer(const struct grpc_sconn *sc);

/*
 * grpc_call_metadata returns the value of request header |name| (lowercase)
 * and sets |*len|, or NULL. Valid for the call's life.
 */
const char *grpc_call_metadata(const struct grpc_call *call, const char *name, size_t *len);

/* grpc_call_path returns the request's :path. */
const char *grpc_call_path(const struct grpc_call *call);

/* grpc_call_set_user / grpc_call_user: the method's per-call pointer. */
void grpc_call_set_user(struct grpc_call *call, void *user);
void *grpc_call_user(const struct grpc_call *call);

/*
 * grpc_call_add_initial / grpc_call_add_trailing queue a metadata field for
 * the response headers / trailers (copied). Returns 0, -ENOSPC, -EALREADY
 * (headers already sent).
 */
int grpc_call_add_initial(struct grpc_call *call, const char *name, const char *value,
			  size_t value_len) __attribute__((warn_unused_result));
int grpc_call_add_trailing(struct grpc_call *call, const char *name, const char *value,
			   size_t value_len) __attribute__((warn_unused_result));

/*
 * grpc_call_send sends one response message (the headers first if not yet
 * sent). Returns 0, -EAGAIN (flow control or buffers: on_writable
 * follows), -EPIPE (the call is finished), -ENOBUFS.
 */
int grpc_call_send(struct grpc_call *call, const void *msg, size_t len)
	__attribute__((warn_unused_result));

/*
 * grpc_call_finish ends the call with |status| and |message| (UTF-8,
 * percent-encoded here; may be NULL). Sends trailers after queued
 * messages, or a trailers-only response if nothing was sent. on_done
 * follows once the stream is closed: after the method's callback returns
 * when called from one, else possibly before grpc_call_finish returns (do
 * not touch |call| after it then). Returns 0 or -EPIPE (already finished).
 */
int grpc_call_finish(struct grpc_call *call, int status, const char *message)
	__attribute__((warn_unused_result));

/* grpc_call_set_timer arms |call|'s timer for |at_ms| (0 disarms): on_timer then. */
void grpc_call_set_timer(struct grpc_call *call, uint64_t at_ms);

/* grpc_call_now returns the connection's clock (ms). */
uint64_t grpc_call_now(const struct grpc_call *call);

#endif
