/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_h2_servers.h - part 2 of bench-h2: h2load against our
 * h2-echo-server, nghttpd and h2o on the same machine in one run, with the
 * server CPU time each one spends per request side by side.
 *
 * Workloads: GET /healthz (all three servers; nghttpd and h2o serve a file
 * "healthz" holding "ok\n"), gRPC unary EmptyCall and gRPC server streaming
 * (StreamingOutputCall, 8 responses of 512 bytes) on our server only.
 * Server CPU is utime + stime (/proc/PID/stat) of the server's process tree,
 * read just before and just after each h2load run.
 */
#ifndef SB_BENCH_H2_SERVERS_H
#define SB_BENCH_H2_SERVERS_H

#include <stdint.h>

struct bench_h2_servers_opts {
	const char *echo_server; /* path of h2-echo-server (NULL: build/tests/h2-echo-server) */
	unsigned requests;	 /* h2load -n (0: 200000) */
	unsigned clients;	 /* h2load -c (0: 64) */
	unsigned streams;	 /* h2load -m (0: 32) */
	int server_cpu;		 /* CPU the servers are pinned to (0) */
	int client_cpu;		 /* CPU h2load is pinned to (1; server_cpu with 1 CPU) */
	double tsc_ghz;		 /* to convert CPU seconds to cycles, 0 = print us only */
};

/*
 * bench_h2_servers_run runs the side-by-side comparison and prints it on
 * stdout. A tool that is missing is not an error: its row says "skipped:
 * ...". A CPU that this process may not run on is replaced by one it may
 * (said in the output). Every server it started is stopped and its temporary
 * directory removed before it returns. Returns 0, -EIO when a row failed
 * (server did not start, h2load failed or reported failed requests, output
 * not understood; the row says why), or another negative errno when the
 * benchmark itself could not run (temporary directory, memory).
 */
int bench_h2_servers_run(const struct bench_h2_servers_opts *o);

/*
 * bench_h2_servers_stream measures nghttpd as a per-message anchor: for
 * each of the |n| payload sizes |sizes|, h2load POSTs |msgs| gRPC-framed
 * messages per request and nghttpd answers with a file of |msgs| framed
 * messages of the same size; o->requests requests, or, when 0, enough for
 * 1 GiB each way per size. Prints a row per size and stores nghttpd's
 * CPU cycles per message (at o->tsc_ghz; 0 when not measured) in |cyc|.
 * Returns 0, -EIO when a row failed, or another negative errno.
 */
int bench_h2_servers_stream(const struct bench_h2_servers_opts *o, const uint32_t *sizes,
			    unsigned n, unsigned msgs, double *cyc);

#endif
