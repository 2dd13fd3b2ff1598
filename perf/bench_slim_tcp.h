/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_slim_tcp.h - part 2 of bench-slim: SLIM publishes through the whole
 * path of a worker, over the data plane's own TCP on net_ring.
 *
 * Stack B (bench_ring.h) is the node's worker: its TCP stack, gRPC over
 * TCP (grpc_tcp, OpenChannel served on port 46357) and a slim_node, driven
 * as the worker loop drives them (rx burst, tcp_stack_input, HTTP/2, gRPC,
 * protobuf-c decode, header MAC check, TTL, route, re-encode and re-sign,
 * gRPC and HTTP/2 output into the TCP send queue, tcp_stack_tick, tx
 * burst). Stack A is the in-process load generator: two SLIM app
 * connections dialled with grpc_tcp_dial, each negotiating its link and
 * signing its messages (bench_slim_app.h); the subscriber subscribes to the
 * benchmark name, the publisher sends anycast publishes to it with at most
 * |window| not yet delivered. Both sides take turns on the main lcore;
 * B's turns are timed with the TSC.
 */
#ifndef SB_BENCH_SLIM_TCP_H
#define SB_BENCH_SLIM_TCP_H

#include <stdbool.h>
#include <stdint.h>

struct bslim_tcp_opts {
	uint64_t messages; /* publishes per run */
	unsigned batch;	   /* publishes sent per A turn, at most */
	unsigned window;   /* publishes in flight, at most (0: by size, 512 KiB in flight) */
	unsigned repeat;   /* runs per size; the median by B's cycles is reported */
};

struct bslim_tcp_row {
	bool ok;
	double b_cyc;		  /* B's cycles per delivered publish (median run) */
	double b_lo, b_hi;	  /* over the runs */
	double a_cyc;		  /* A's cycles per publish in that run */
	double msgs_per_s;	  /* delivered per second with both sides on the core */
	double segs_in, segs_out; /* B's TCP segments per publish */
};

/*
 * bslim_tcp_run runs the whole-path benchmark for each of the |n| payload
 * sizes |sizes| into |rows| and prints one line per size. EAL must be up.
 * Returns 0, or -1 when it could not run (set-up failed, the connections
 * did not come up, a run stalled 10 s or lost messages: said on stderr).
 */
int bslim_tcp_run(const struct bslim_tcp_opts *o, const uint32_t *sizes, unsigned n,
		  struct bslim_tcp_row *rows);

#endif
