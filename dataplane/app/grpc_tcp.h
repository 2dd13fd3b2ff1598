/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_tcp.h - gRPC (and plain HTTP/2) over the worker's own TCP stack: each
 * accepted connection on the port gets a grpc_sconn whose engine is fed
 * the received mbuf chains segment by segment (zero-copy into the engine)
 * and whose output is copied into the stack's send queue. The data plane
 * serves the gRPC interop TestService this way on `grpc_test_port`.
 *
 * One struct grpc_tcp per worker (its pool, server and connection list);
 * nothing is shared between workers.
 *
 * Known limits: a connection's engine is allocated when it is accepted (not
 * from a per-lcore pool yet), and the output is copied once into mbufs.
 */
#ifndef SB_GRPC_TCP_H
#define SB_GRPC_TCP_H

#include <stdint.h>

#include "grpc_client.h"
#include "grpc_server.h"
#include "tcp/tcp_stack.h"

struct grpc_tcp;

/* What a worker's gRPC over TCP did. */
struct grpc_tcp_stats {
	uint64_t accepted;     /* server connections */
	uint64_t dialled;      /* client connections opened */
	uint64_t calls_ok;     /* dialled calls that ended OK */
	uint64_t calls_failed; /* ... that ended otherwise (or could not start) */
	int64_t last_status;   /* the last dialled call's gRPC status */
	struct h2_stats h2;    /* HTTP/2 counters of all the worker's connections */
};

/*
 * grpc_tcp_new serves |srv| (kept by pointer) on TCP port |port| of |st|
 * (IPv4 and IPv6 wildcard listeners; port 0 or |srv| NULL: none, for a
 * worker that only dials), with a pool of |pool_chunks| chunks. Returns
 * NULL on failure.
 */
struct grpc_tcp *grpc_tcp_new(struct tcp_stack *st, uint16_t port, struct grpc_server *srv,
			      uint32_t pool_chunks);

/* grpc_tcp_free drops every connection's engine (the TCP stack resets them) and frees |g|. */
void grpc_tcp_free(struct grpc_tcp *g);

/*
 * grpc_tcp_tick runs the engines' timers (deadlines, call timers, SETTINGS
 * timeouts) at |now_ms| and sends what they queued. Call it on the worker
 * before tcp_stack_tick so the output leaves with that flush.
 */
void grpc_tcp_tick(struct grpc_tcp *g, uint64_t now_ms);

/* What a dialled connection tells its owner. */
struct grpc_tcp_dial_ops {
	/* The TCP connection is up: start calls on |cc|. */
	void (*connected)(struct grpc_cconn *cc, void *arg);
	/* The connection is gone or never came up (|err| as tcp_app_ops.closed); |cc| goes after. */
	void (*closed)(struct grpc_cconn *cc, int err, void *arg);
};

/*
 * grpc_tcp_dial opens a gRPC client connection to |dst|:|dport| (|family|
 * TCP_KEY_V4/V6) from port |port_idx| over the worker's TCP; |ops| with
 * |arg| hear when it is up and when it is gone. Returns 0 (|*out| set) or
 * a negative errno.
 */
int grpc_tcp_dial(struct grpc_tcp *g, uint16_t port_idx, uint8_t family, const uint8_t *dst,
		  uint16_t dport, const struct grpc_tcp_dial_ops *ops, void *arg,
		  struct grpc_cconn **out) __attribute__((warn_unused_result));

/*
 * grpc_tcp_call_empty dials |dst|:|dport| (|family| TCP_KEY_V4/V6) from port
 * |port_idx| over the worker's TCP (the source port steers the replies to
 * this worker), makes one grpc.testing.TestService/EmptyCall with a 10 s
 * deadline, counts its end in the stats and closes the connection
 * (GOAWAY, FIN). What the bridge does to reach a peer, for tests. Returns 0
 * or tcp_connect's negative errno.
 */
int grpc_tcp_call_empty(struct grpc_tcp *g, uint16_t port_idx, uint8_t family, const uint8_t *dst,
			uint16_t dport) __attribute__((warn_unused_result));

/*
 * grpc_tcp_flush sends what calls queued on connections other than the one
 * being served (a message routed from one connection to another, or
 * delivered from another worker). Cheap when nothing is queued.
 */
void grpc_tcp_flush(struct grpc_tcp *g);

/* grpc_tcp_stats returns |g|'s counters (read them on its worker, or racily for display). */
const struct grpc_tcp_stats *grpc_tcp_stats(const struct grpc_tcp *g);

/*
 * grpc_tcp_set_buffers sets the soft limits of unsent bytes per stream and
 * per connection (h2_conf stream_buf_max / conn_buf_max) of the connections
 * accepted or dialled from now on. The pool (pool_chunks of grpc_tcp_new)
 * must be large enough for them.
 */
void grpc_tcp_set_buffers(struct grpc_tcp *g, uint32_t stream_buf_max, uint32_t conn_buf_max);

/*
 * grpc_tcp_dial_abort resets the dialled connection of |cc| (RST): its
 * owner's |closed| runs with -ECONNABORTED. For a peer that stopped
 * answering. 0 or -ENOENT (no such connection any more).
 */
int grpc_tcp_dial_abort(struct grpc_tcp *g, struct grpc_cconn *cc);

/*
 * grpc_tcp_dial_last_rx_ms: when the last TCP segment of |cc|'s connection
 * came in (the stack's clock, in ms): the peer's stack answering, even when
 * no HTTP/2 frame gets through (loss recovery, a closed window). 0 when
 * there is no such connection.
 */
uint64_t grpc_tcp_dial_last_rx_ms(struct grpc_tcp *g, struct grpc_cconn *cc);

/* grpc_tcp_dial_ping queues an HTTP/2 PING on |cc|'s connection; 0, -ENOBUFS or -ENOENT. */
int grpc_tcp_dial_ping(struct grpc_tcp *g, struct grpc_cconn *cc, const uint8_t opaque[8]);

#endif
