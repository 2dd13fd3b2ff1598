/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_sock.h - the HTTP/2 engine on kernel sockets: an epoll loop that
 * accepts TCP connections, feeds what they read to an h2_conn, and writes
 * what it queues (writev). Used by the control process and the test
 * servers; the data plane runs the same engine on its own TCP instead.
 *
 * The loop knows nothing of what runs on the connection: a struct
 * h2_sock_app makes the engine for each accepted or dialled socket (a gRPC
 * server or client connection, say) and gets its ticks.
 *
 * Thread context: one loop per thread; nothing is shared between loops.
 */
#ifndef SB_H2_SOCK_H
#define SB_H2_SOCK_H

#include <signal.h>
#include <stdint.h>

#include "h2_conn.h"

struct h2_sock_loop;

struct h2_sock_app {
	/*
	 * A connection was accepted: make its engine with |pool| and return
	 * the app's object, setting |*h2|. NULL closes the socket.
	 */
	void *(*accept)(void *arg, struct h2_pool *pool, uint64_t now_ms, struct h2_conn **h2);
	/* Time passed (every loop turn, at least every 10 ms while connections exist). */
	void (*tick)(void *conn, uint64_t now_ms);
	/* The socket is closed: free the app's object (and its engine). */
	void (*close)(void *conn);
};

/*
 * h2_sock_loop_new makes a loop whose connections take chunks from a pool
 * of |pool_chunks| chunks that may grow to |max_chunks|. Returns NULL on
 * failure (errno set).
 */
struct h2_sock_loop *h2_sock_loop_new(uint32_t pool_chunks, uint32_t max_chunks);

/* h2_sock_loop_free closes every connection and listener and frees |l|. Accepts NULL. */
void h2_sock_loop_free(struct h2_sock_loop *l);

/*
 * h2_sock_listen listens on |addr| (IPv4 or IPv6 literal, NULL for all
 * IPv6+IPv4) port |port| (0: any) for |app| with |arg|. Returns the bound
 * port, or a negative errno.
 */
int h2_sock_listen(struct h2_sock_loop *l, const char *addr, uint16_t port,
		   const struct h2_sock_app *app, void *arg) __attribute__((warn_unused_result));

/*
 * h2_sock_connect dials |addr| (IPv4 or IPv6 literal) port |port|
 * (blocking until connected) and makes the connection's engine through
 * |app|->accept with |arg| (the client side of the same interface). Returns
 * the app's object, or NULL with errno set. The object is the loop's: it is
 * freed through app->close when the connection ends.
 */
void *h2_sock_connect(struct h2_sock_loop *l, const char *addr, uint16_t port,
		      const struct h2_sock_app *app, void *arg);

/*
 * h2_sock_loop_run serves until |*stop| becomes non-zero. Returns 0, or a
 * negative errno if epoll fails.
 */
int h2_sock_loop_run(struct h2_sock_loop *l, volatile sig_atomic_t *stop)
	__attribute__((warn_unused_result));

/*
 * h2_sock_loop_set_hook registers |hook|, called with |arg| on every loop
 * turn (at least every 10 ms) before the connections' ticks, so that what
 * it queues on calls is sent in the same turn. NULL removes it.
 */
void h2_sock_loop_set_hook(struct h2_sock_loop *l, void (*hook)(void *arg, uint64_t now_ms),
			   void *arg);

/* h2_sock_now_ms returns the monotonic clock in milliseconds. */
uint64_t h2_sock_now_ms(void);

#endif
