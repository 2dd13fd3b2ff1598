/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_slim.c - build/perf/bench-slim: cycles per SLIM publish through the
 * node, in memory.
 *
 * Two SLIM connections to one node (slim_node on a gRPC server connection
 * each), their clients in the same thread (h2_conn client side with our own
 * SLIM link negotiation and header MAC): the subscriber subscribes to a name,
 * the publisher sends publishes to it, --batch per turn. Timed with the TSC
 * around the node side's calls: HTTP/2 input, gRPC framing, protobuf-c
 * decode, link MAC check, TTL, route lookup, re-encode with the egress
 * link's MAC, gRPC and HTTP/2 output. The TCP under it is not in this figure
 * (build/perf/bench-tcp gives it per segment). Prints; asserts nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "bench_h2_servers.h"
#include "bench_ring.h"
#include "bench_slim_app.h"
#include "bench_slim_tcp.h"
#include "grpc_frame.h"
#include "grpc_server.h"
#include "h2_conn.h"
#include "slim_link.h"
#include "slim_mac.h"
#include "slim_node.h"

struct side {
	struct h2_conn *cli;	  /* the app's end */
	struct grpc_sconn *srv;	  /* the node's end */
	uint32_t sid;
	struct grpc_reader rd;	  /* messages the app receives */
	struct bslim_app app;
	uint64_t got, got_bytes;
	uint64_t acks;
};

#define ANCHOR_MSGS 64 /* gRPC messages per h2load request, each way */

static struct h2_pool *pool;
static uint64_t node_tsc;

static int app_msg(void *arg, const uint8_t *msg, size_t len, bool compressed)
{
	struct side *s = arg;

	(void)compressed;
	if (s->app.negotiated) {
		/* The router's output: counted, not decoded (that is the app's business). */
		s->got++;
		s->got_bytes += len;
		return 0;
	}
	if (bslim_link_reply(&s->app, msg, len) != 0) {
		fprintf(stderr, "bench-slim: negotiation failed\n");
		exit(1);
	}
	return 0;
}

static int app_data(struct h2_conn *c, uint32_t sid, void *su, const uint8_t *p, size_t n,
		    bool end, void *user)
{
	struct side *s = user;

	(void)c;
	(void)sid;
	(void)su;
	(void)end;
	return grpc_reader_feed(&s->rd, p, n, app_msg, s) < 0 ? -EIO : 0;
}

static const struct h2_callbacks app_cb = {.on_data = app_data};

static void move(struct h2_conn *from, struct h2_conn *to, bool timed)
{
	struct iovec iov[64];
	unsigned n;

	while ((n = h2_conn_out_iov(from, iov, 64)) > 0) {
		size_t total = 0;
		uint64_t t0 = timed ? __rdtsc() : 0;

		for (unsigned i = 0; i < n; i++) {
			if (h2_conn_recv(to, iov[i].iov_base, iov[i].iov_len) != (long)iov[i].iov_len) {
				fprintf(stderr, "bench-slim: a connection refused input\n");
				exit(1);
			}
			total += iov[i].iov_len;
		}
		h2_conn_out_consume(from, total);
		if (timed) {
			node_tsc += __rdtsc() - t0;
		}
	}
}

/* Client output into the node (timed: the node parses it), node output to the client. */
static void pump(struct side *s)
{
	uint64_t t0;
	struct iovec iov[64];
	unsigned n;

	move(s->cli, grpc_sconn_h2(s->srv), true);
	/* The node's output scheduling is node work too: time h2_conn_out_iov. */
	t0 = __rdtsc();
	n = h2_conn_out_iov(grpc_sconn_h2(s->srv), iov, 64);
	node_tsc += __rdtsc() - t0;
	(void)n;
	move(grpc_sconn_h2(s->srv), s->cli, false);
}

/* send_buf sends one gRPC-framed message (bench_slim_app.h) from the app and frees it. */
static void send_buf(struct side *s, uint8_t *buf, size_t len)
{
	struct iovec iov = {buf, len};

	if (h2_stream_writev(s->cli, s->sid, &iov, 1, false) != 0) {
		fprintf(stderr, "bench-slim: client write failed\n");
		exit(1);
	}
	free(buf);
}

static void open_side(struct side *s, struct grpc_server *srv, int idx)
{
	static const struct h2_header req[] = {
		{":method", "POST", 7, 4},
		{":scheme", "http", 7, 4},
		{":authority", "bench", 10, 5},
		{":path", SLIM_OPEN_CHANNEL, 5, sizeof(SLIM_OPEN_CHANNEL) - 1},
		{"content-type", "application/grpc", 12, 16},
		{"te", "trailers", 2, 8},
	};
	struct h2_conf sc, cc;
	long sid;
	size_t len;
	uint8_t *buf;

	(void)idx;
	h2_conf_default(&sc, true);
	h2_conf_default(&cc, false);
	s->srv = grpc_sconn_new(srv, &sc, pool, 0);
	s->cli = h2_conn_new(&cc, &app_cb, s, pool, 0);
	grpc_reader_init(&s->rd, 8u << 20);
	if (s->srv == NULL || s->cli == NULL || bslim_app_init(&s->app) != 0) {
		fprintf(stderr, "bench-slim: setup failed\n");
		exit(1);
	}
	sid = h2_submit_request(s->cli, req, 6, false, NULL);
	s->sid = (uint32_t)sid;
	buf = bslim_link_request(&s->app, &len);
	send_buf(s, buf, len);
	pump(s);
	if (!s->app.negotiated) {
		fprintf(stderr, "bench-slim: no negotiation reply\n");
		exit(1);
	}
}

static double run(struct grpc_server *srv, uint64_t n, uint32_t size, unsigned batch,
		  double ghz, double *msgs_per_s)
{
	struct side sub = {0}, pubr = {0};
	uint8_t *enc, *buf;
	size_t len;
	struct iovec iov[64];
	uint64_t sent = 0, t0, t1;

	open_side(&sub, srv, 1);
	open_side(&pubr, srv, 2);
	/* Subscribe, with an ack; then one publish, encoded once and sent n times. */
	buf = bslim_subscribe(&sub.app, &len);
	send_buf(&sub, buf, len);
	pump(&sub);
	enc = bslim_publish(&pubr.app, size, &len);
	sub.got = sub.got_bytes = 0;
	node_tsc = 0;
	t0 = __rdtsc();
	while (sent < n) {
		unsigned k = 0;

		for (; k < batch && sent + k < n; k++) {
			iov[k].iov_base = enc;
			iov[k].iov_len = len;
		}
		if (h2_stream_writev(pubr.cli, pubr.sid, iov, k, false) != 0) {
			fprintf(stderr, "bench-slim: publisher write failed\n");
			exit(1);
		}
		sent += k;
		pump(&pubr);
		pump(&sub);
	}
	t1 = __rdtsc();
	if (sub.got != n) {
		fprintf(stderr, "bench-slim: %lu of %lu publishes arrived\n", (unsigned long)sub.got,
			(unsigned long)n);
		exit(1);
	}
	*msgs_per_s = (double)n / ((double)(t1 - t0) / (ghz * 1e9));
	grpc_sconn_free(sub.srv);
	grpc_sconn_free(pubr.srv);
	h2_conn_free(sub.cli);
	h2_conn_free(pubr.cli);
	grpc_reader_cleanup(&sub.rd);
	grpc_reader_cleanup(&pubr.rd);
	bslim_app_cleanup(&sub.app);
	bslim_app_cleanup(&pubr.app);
	free(enc);
	return (double)node_tsc / (double)n;
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

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL args --] [--messages N] [--tcp-messages N] [--batch K] [--repeat R]\n"
		"       [--window W] [--no-tcp] [--no-anchor] [--no-huge] [--requests N]\n"
		"\n"
		"Cycles per SLIM publish (anycast, one subscriber) at 64, 512 and 4096 bytes of\n"
		"payload, in three parts. Prints; asserts nothing.\n"
		"  1. in memory: the node's HTTP/2, gRPC, decode, MAC check, route, re-encode and\n"
		"     re-sign, output; no TCP (--messages, default 300000);\n"
		"  2. the whole path: the node's worker with its own TCP on net_ring, fed by an\n"
		"     in-process load generator on a second stack (--tcp-messages, default\n"
		"     200000; --window publishes in flight, default 512 KiB worth);\n"
		"  3. the anchor: h2load POSTs gRPC-framed messages of the same sizes to nghttpd,\n"
		"     which answers with the same number of framed messages; its CPU per message\n"
		"     (in + out) beside ours (--requests calls of 64 messages each; default:\n"
		"     1 GiB each way per size).\n"
		"  --batch K      publishes per client write or turn (default 32, 1..64)\n"
		"  --repeat R     runs per size, the median is shown (default 3, 1..15)\n"
		"  --no-tcp       skip part 2;  --no-anchor  skip part 3\n"
		"  --no-huge      do not use hugepages even if 512 are free\n"
		"\n",
		prog);
	bring_eal_defaults_help(f, "bench-slim");
}

static void on_signal(int sig)
{
	bring_remove_run_dir();
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"messages", required_argument, NULL, 'n'},
		{"tcp-messages", required_argument, NULL, 't'},
		{"batch", required_argument, NULL, 'b'},
		{"repeat", required_argument, NULL, 'r'},
		{"window", required_argument, NULL, 'w'},
		{"requests", required_argument, NULL, 'q'},
		{"no-tcp", no_argument, NULL, 'T'},
		{"no-anchor", no_argument, NULL, 'A'},
		{"no-huge", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const uint32_t sizes[] = {64, 512, 4096};
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	unsigned long n = 300000, tn = 200000, batch = 32, repeat = 3, win = 0, requests = 0;
	bool no_tcp = false, no_anchor = false, no_huge = false, user_eal = false;
	struct bslim_tcp_row trows[NS];
	double mem[NS], anchor[NS];
	struct grpc_server *srv;
	struct slim_node_conf nc;
	struct slim_node *node;
	int o, dd, oargc, rc = 0;
	char **oargv;
	double ghz;
	cpu_set_t cpus;
	bool have_cpus;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* EAL pins this thread to its lcore; part 3 wants the CPUs back. */
	CPU_ZERO(&cpus);
	have_cpus = sched_getaffinity(0, sizeof(cpus), &cpus) == 0;
	oargv = bring_split_args(argc, argv, &dd, &oargc);
	if (oargv == NULL) {
		return 1;
	}
	while ((o = getopt_long(oargc, oargv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 't':
			tn = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			win = strtoul(optarg, NULL, 10);
			break;
		case 'q':
			requests = strtoul(optarg, NULL, 10);
			break;
		case 'T':
			no_tcp = true;
			break;
		case 'A':
			no_anchor = true;
			break;
		case 'H':
			no_huge = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < oargc || n == 0 || tn == 0 || batch == 0 || batch > 64 || repeat == 0 ||
	    repeat > 15 || requests > 2000000 || win > 1u << 20) {
		fprintf(stderr, "bench-slim: bad arguments (see --help)\n");
		return 2;
	}
	ghz = tsc_ghz();
	pool = h2_pool_new(4096, true, 1u << 16);
	srv = grpc_server_new();
	slim_node_conf_default(&nc);
	node = srv != NULL ? slim_node_new(&nc, srv) : NULL;
	if (pool == NULL || node == NULL) {
		fprintf(stderr, "bench-slim: setup failed\n");
		return 1;
	}
	printf("bench-slim: TSC %.0f MHz; anycast publishes from one app connection to a "
	       "subscriber on another;\nmedian of %lu runs\n\n"
	       "part 1, in memory (no TCP): %lu publishes per run, %lu per client write\n",
	       ghz * 1000, repeat, n, batch);
	for (size_t i = 0; i < NS; i++) {
		double c[15], r[15];

		for (unsigned long k = 0; k < repeat; k++) {
			c[k] = run(srv, n, sizes[i], (unsigned)batch, ghz, &r[k]);
		}
		qsort(c, repeat, sizeof(double), cmp);
		qsort(r, repeat, sizeof(double), cmp);
		mem[i] = c[repeat / 2];
		printf("  %5u B payload: node %6.0f cycles/message (runs %.0f..%.0f), %.2f M msg/s "
		       "per core at that cost; whole loop %.2f M msg/s\n",
		       sizes[i], c[repeat / 2], c[0], c[repeat - 1], ghz * 1e3 / c[repeat / 2],
		       r[repeat / 2] / 1e6);
	}
	slim_node_free(node);
	grpc_server_free(srv);
	h2_pool_free(pool);

	memset(trows, 0, sizeof(trows));
	if (!no_tcp) {
		struct bslim_tcp_opts to = {
			.messages = tn,
			.batch = (unsigned)batch,
			.window = (unsigned)win,
			.repeat = (unsigned)repeat,
		};

		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		if (bring_eal_init(argc, argv, dd, "bench-slim", &no_huge, &user_eal) != 0) {
			return 1;
		}
		printf("\npart 2, the whole path: node worker B (TCP, HTTP/2, gRPC, decode, MAC, "
		       "route, encode,\nsign, transmit) on net_ring from load generator A, both "
		       "on lcore %u (%s); %lu publishes per run\n",
		       rte_lcore_id(),
		       user_eal ? "EAL arguments as given" : (no_huge ? "no hugepages" : "hugepages"),
		       tn);
		if (bslim_tcp_run(&to, sizes, NS, trows) != 0) {
			fprintf(stderr, "bench-slim: part 2 failed\n");
			rc = 1;
		}
	}
	memset(anchor, 0, sizeof(anchor));
	if (!no_anchor) {
		struct bench_h2_servers_opts ho = {
			.requests = (unsigned)requests,
			.clients = 4,
			.streams = 4,
			.server_cpu = 1,
			.client_cpu = 0,
			.tsc_ghz = ghz,
		};

		if (have_cpus) {
			(void)sched_setaffinity(0, sizeof(cpus), &cpus);
		}
		printf("\npart 3, the anchor: ");
		if (bench_h2_servers_stream(&ho, sizes, NS, ANCHOR_MSGS, anchor) != 0) {
			fprintf(stderr, "bench-slim: part 3 failed\n");
			rc = 1;
		}
	}

	printf("\nsummary, cycles per message (ratio > 1: slimbridge is cheaper)\n"
	       "  %7s %12s %14s %16s %16s\n", "payload", "in memory", "whole path B",
	       "nghttpd anchor", "anchor / B");
	for (size_t i = 0; i < NS; i++) {
		char b[24] = "-", a[24] = "-", r[24] = "-";

		if (trows[i].ok) {
			snprintf(b, sizeof(b), "%.0f", trows[i].b_cyc);
		}
		if (anchor[i] > 0) {
			snprintf(a, sizeof(a), "%.0f", anchor[i]);
		}
		if (trows[i].ok && anchor[i] > 0) {
			snprintf(r, sizeof(r), "%.2f", anchor[i] / trows[i].b_cyc);
		}
		printf("  %5u B %12.0f %14s %16s %16s\n", sizes[i], mem[i], b, a, r);
	}
	printf("  anchors (shared/reference/performance.md): gRPC C++ streaming ~20,000 "
	       "cycles/message;\n  target: >= 1.5 M SLIM messages/s per worker (policy and "
	       "AES-GCM included)\n");
	free(oargv);
	if (!no_tcp) {
		rte_eal_cleanup();
	}
	return rc;
}
