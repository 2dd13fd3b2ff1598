/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_h2.c - build/perf/bench-h2: what the HTTP/2 and gRPC engines cost.
 *
 * Part 1, in memory: a client HTTP/2 connection and a gRPC server connection
 * (grpc_sconn) wired back to back in one thread, one bidi stream, messages
 * of --size bytes (512). Timed with the TSC around the server's calls
 * (h2_conn_recv of what the client sent, and the output it queued):
 *   rx    the server takes messages (frames parsed, messages reassembled,
 *         the method's on_message called, WINDOW_UPDATEs queued);
 *   echo  the server also sends each message back (grpc_call_send: prefix,
 *         DATA framing, output scheduling).
 * Part 2 (unless --no-servers): h2load against build/tests/h2-echo-server,
 * nghttpd and h2o with server CPU per request side by side
 * (bench_h2_servers.c). Prints; asserts nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "bench_h2_servers.h"
#include "grpc_server.h"
#include "h2_conn.h"

struct bench {
	struct h2_pool *pool;
	struct grpc_server *srv;
	struct grpc_sconn *sc;
	struct h2_conn *cli;
	uint32_t sid;
	bool echo;
	uint64_t rx_msgs, rx_bytes;   /* at the server */
	uint64_t back_bytes;	      /* echoed bytes the client got */
	uint64_t srv_tsc;	      /* cycles inside the server's calls */
};

static struct bench b;

static int m_message(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg)
{
	(void)arg;
	b.rx_msgs++;
	b.rx_bytes += len;
	if (b.echo && grpc_call_send(call, msg, len) < 0) {
		return -ENOBUFS;
	}
	return 0;
}

static void m_half_close(struct grpc_call *call, void *arg)
{
	(void)arg;
	(void)!grpc_call_finish(call, GRPC_OK, NULL);
}

static const struct grpc_method_ops mops = {
	.on_message = m_message,
	.on_half_close = m_half_close,
};

static int c_data(struct h2_conn *c, uint32_t sid, void *su, const uint8_t *p, size_t n, bool end,
		  void *user)
{
	(void)c;
	(void)sid;
	(void)su;
	(void)p;
	(void)end;
	(void)user;
	b.back_bytes += n;
	return 0;
}

static const struct h2_callbacks ccb = {.on_data = c_data};

/* Move bytes both ways until quiet; the server's share is timed. */
static void pump(void)
{
	for (;;) {
		struct iovec iov[64];
		unsigned n = h2_conn_out_iov(b.cli, iov, 64), m;
		struct h2_conn *s = grpc_sconn_h2(b.sc);
		bool moved = n > 0;
		uint64_t t0 = __rdtsc();

		for (unsigned i = 0; i < n; i++) {
			long k = h2_conn_recv(s, iov[i].iov_base, iov[i].iov_len);

			if (k != (long)iov[i].iov_len) {
				fprintf(stderr, "bench-h2: the server took %ld of %zu bytes\n", k,
					iov[i].iov_len);
				exit(1);
			}
			h2_conn_out_consume(b.cli, iov[i].iov_len);
		}
		m = h2_conn_out_iov(s, iov, 64);
		b.srv_tsc += __rdtsc() - t0;
		for (unsigned i = 0; i < m; i++) {
			long k = h2_conn_recv(b.cli, iov[i].iov_base, iov[i].iov_len);

			if (k < 0) {
				fprintf(stderr, "bench-h2: the client failed\n");
				exit(1);
			}
			t0 = __rdtsc();
			h2_conn_out_consume(s, (size_t)k);
			b.srv_tsc += __rdtsc() - t0;
		}
		if (!moved && m == 0) {
			return;
		}
	}
}

static double tsc_ghz(void)
{
	struct timespec a, z, d = {0, 200000000};
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	nanosleep(&d, NULL);
	t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &z);
	return (double)(t1 - t0) / ((double)(z.tv_sec - a.tv_sec) * 1e9 + (double)(z.tv_nsec - a.tv_nsec));
}

/* One run: |n| messages of |size| bytes on one stream, |batch| written between pumps. */
static double run(uint64_t n, uint32_t size, unsigned batch, bool echo, double *loop_cyc)
{
	static const struct h2_header req[] = {
		{":method", "POST", 7, 4},
		{":scheme", "http", 7, 4},
		{":authority", "bench", 10, 5},
		{":path", "/bench.Bench/Stream", 5, 19},
		{"content-type", "application/grpc", 12, 16},
		{"te", "trailers", 2, 8},
	};
	struct h2_conf sconf, cconf;
	uint8_t *msg = calloc(1, size + 5);
	struct iovec iov[64];
	uint64_t sent = 0, t0;
	long sid;

	memset(&b.rx_msgs, 0, sizeof(b) - offsetof(struct bench, rx_msgs));
	b.echo = echo;
	msg[1] = (uint8_t)(size >> 24);
	msg[2] = (uint8_t)(size >> 16);
	msg[3] = (uint8_t)(size >> 8);
	msg[4] = (uint8_t)size;
	h2_conf_default(&sconf, true);
	h2_conf_default(&cconf, false);
	b.sc = grpc_sconn_new(b.srv, &sconf, b.pool, 0);
	b.cli = h2_conn_new(&cconf, &ccb, NULL, b.pool, 0);
	if (b.sc == NULL || b.cli == NULL || msg == NULL) {
		fprintf(stderr, "bench-h2: setup failed\n");
		exit(1);
	}
	sid = h2_submit_request(b.cli, req, 6, false, NULL);
	if (sid <= 0) {
		fprintf(stderr, "bench-h2: cannot open the stream: %ld\n", sid);
		exit(1);
	}
	pump();
	b.srv_tsc = 0;
	t0 = __rdtsc();
	while (sent < n) {
		unsigned k = 0;

		for (; k < batch && sent + k < n && k < 64; k++) {
			iov[k].iov_base = msg;
			iov[k].iov_len = size + 5;
		}
		if (h2_stream_writev(b.cli, (uint32_t)sid, iov, k, false) != 0) {
			fprintf(stderr, "bench-h2: the client could not write\n");
			exit(1);
		}
		sent += k;
		pump();
	}
	*loop_cyc = (double)(__rdtsc() - t0) / (double)n;
	if (b.rx_msgs != n || (echo && b.back_bytes != n * (size + 5))) {
		fprintf(stderr, "bench-h2: %lu of %lu messages arrived, %lu bytes came back\n",
			(unsigned long)b.rx_msgs, (unsigned long)n, (unsigned long)b.back_bytes);
		exit(1);
	}
	grpc_sconn_free(b.sc);
	h2_conn_free(b.cli);
	free(msg);
	return (double)b.srv_tsc / (double)n;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [--messages N] [--size B] [--batch K] [--repeat R] [--no-servers]\n"
		"       [--requests N] [--clients C] [--streams M]\n\n"
		"Cycles per gRPC streaming message through slimbridge's HTTP/2 + gRPC engines in\n"
		"memory (a client connection and a server connection back to back in one thread,\n"
		"one bidi stream), then h2load against build/tests/h2-echo-server, nghttpd and h2o\n"
		"with the server CPU time per request side by side. Prints; asserts nothing.\n\n"
		"  --messages N   messages per in-memory run (default 1000000)\n"
		"  --size B       message size in bytes (default 512)\n"
		"  --batch K      messages the client writes between exchanges, 1..64 (default 32)\n"
		"  --repeat R     in-memory runs, the median is shown (default 3)\n"
		"  --no-servers   skip the h2load comparison\n"
		"  --requests N   h2load -n (default 200000)\n"
		"  --clients C    h2load -c (default 64)\n"
		"  --streams M    h2load -m (default 32)\n",
		prog);
}

static int cmp(const void *a, const void *z)
{
	double x = *(const double *)a, y = *(const double *)z;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"messages", required_argument, NULL, 'n'},
		{"size", required_argument, NULL, 's'},
		{"batch", required_argument, NULL, 'b'},
		{"repeat", required_argument, NULL, 'r'},
		{"no-servers", no_argument, NULL, 'x'},
		{"requests", required_argument, NULL, 'q'},
		{"clients", required_argument, NULL, 'c'},
		{"streams", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bench_h2_servers_opts so = {
		.echo_server = "build/tests/h2-echo-server",
		.requests = 200000,
		.clients = 64,
		.streams = 32,
		.server_cpu = 0,
		.client_cpu = 1,
	};
	unsigned long n = 1000000, size = 512, batch = 32, repeat = 3;
	bool servers = true;
	static char exe[4096];
	double ghz, rx[15], echo[15], loop_rx[15], loop_echo[15];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 's':
			size = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'x':
			servers = false;
			break;
		case 'q':
			so.requests = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			so.clients = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			so.streams = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (n == 0 || size > (1u << 20) || batch == 0 || batch > 64 || repeat == 0 || repeat > 15 ||
	    optind != argc) {
		usage(stderr, argv[0]);
		return 2;
	}
	/* build/perf/bench-h2 -> build/tests/h2-echo-server, wherever we run from. */
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) > 0) {
		char *slash = strrchr(exe, '/');

		if (slash != NULL) {
			snprintf(slash, sizeof(exe) - (size_t)(slash - exe), "/../tests/h2-echo-server");
			so.echo_server = exe;
		}
	}
	ghz = tsc_ghz();
	b.pool = h2_pool_new(4096, true, 1u << 16);
	b.srv = grpc_server_new();
	if (b.pool == NULL || b.srv == NULL ||
	    grpc_server_add(b.srv, "/bench.Bench/Stream", &mops, NULL) != 0) {
		fprintf(stderr, "bench-h2: out of memory\n");
		return 1;
	}
	printf("bench-h2: TSC %.0f MHz; in memory: %lu messages of %lu bytes on one bidi stream, "
	       "%lu per client write, median of %lu runs\n",
	       ghz * 1000, n, size, batch, repeat);
	for (unsigned long r = 0; r < repeat; r++) {
		rx[r] = run(n, (uint32_t)size, (unsigned)batch, false, &loop_rx[r]);
		echo[r] = run(n, (uint32_t)size, (unsigned)batch, true, &loop_echo[r]);
	}
	qsort(rx, repeat, sizeof(double), cmp);
	qsort(echo, repeat, sizeof(double), cmp);
	qsort(loop_rx, repeat, sizeof(double), cmp);
	qsort(loop_echo, repeat, sizeof(double), cmp);
	printf("  server rx    %6.0f cycles/message (runs %.0f..%.0f), %.2f M messages/s per core at "
	       "that cost\n",
	       rx[repeat / 2], rx[0], rx[repeat - 1], ghz * 1e3 / rx[repeat / 2]);
	printf("  server echo  %6.0f cycles/message (runs %.0f..%.0f): rx + grpc_call_send + output\n",
	       echo[repeat / 2], echo[0], echo[repeat - 1]);
	printf("  whole loop   %6.0f (rx) / %.0f (echo) cycles/message with the client's side too\n",
	       loop_rx[repeat / 2], loop_echo[repeat / 2]);
	printf("  anchors (shared/reference/performance.md): gRPC C++ streaming ~20,000 cycles/message,\n"
	       "  a lean HTTP/2 server 7,000-10,000 cycles/request\n");
	grpc_server_free(b.srv);
	h2_pool_free(b.pool);
	if (!servers) {
		return 0;
	}
	so.tsc_ghz = ghz;
	printf("\n");
	return bench_h2_servers_run(&so) < 0 ? 1 : 0;
}
