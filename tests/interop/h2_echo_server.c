/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_echo_server.c - build/tests/h2-echo-server: the gRPC interop
 * grpc.testing.TestService (grpc_testing.proto, written from the gRPC
 * interop test description) and plain HTTP/2 GET (/healthz), served by our
 * HTTP/2 and gRPC engines on kernel sockets (h2_sock).
 *
 *   h2-echo-server --port N [--addr A]
 *
 * The service's behaviour is in dataplane/app/grpc_testsvc.h.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/grpc_testsvc.h"
#include "grpc_server.h"
#include "h2_sock.h"

static volatile sig_atomic_t stop;
static struct h2_conf conf;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the socket side ------------------------------------------------------- */

static void *sock_accept(void *arg, struct h2_pool *pool, uint64_t now_ms, struct h2_conn **h2)
{
	struct grpc_sconn *sc = grpc_sconn_new(arg, &conf, pool, now_ms);

	if (sc == NULL) {
		return NULL;
	}
	*h2 = grpc_sconn_h2(sc);
	return sc;
}

static void sock_tick(void *conn, uint64_t now_ms)
{
	grpc_sconn_tick(conn, now_ms);
}

static void sock_close(void *conn)
{
	grpc_sconn_free(conn);
}

static const struct h2_sock_app app = {
	.accept = sock_accept,
	.tick = sock_tick,
	.close = sock_close,
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s --port N [--addr ADDRESS]\n\n"
		"Serves the gRPC interop service grpc.testing.TestService and plain HTTP/2\n"
		"(GET /healthz) over h2c (prior knowledge) on kernel sockets, with slimbridge's\n"
		"HTTP/2 and gRPC engines. Port 0 picks a free port. Prints 'listening on PORT'\n"
		"once ready; stops on SIGINT or SIGTERM.\n\n"
		"  --port N        TCP port (required)\n"
		"  --addr ADDRESS  IPv4 or IPv6 address to bind (default: all)\n"
		"  --help          this text\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"addr", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *addr = NULL;
	long port = -1;
	struct grpc_server *srv;
	struct h2_sock_loop *loop;
	int o, bound, rc;
	char *end;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end != 0 || port < 0 || port > 65535) {
				fprintf(stderr, "h2-echo-server: bad --port '%s'\n", optarg);
				return 2;
			}
			break;
		case 'a':
			addr = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (port < 0 || optind != argc) {
		usage(stderr, argv[0]);
		return 2;
	}
	srv = grpc_server_new();
	if (srv == NULL || grpc_testsvc_register(srv) < 0) {
		fprintf(stderr, "h2-echo-server: out of memory\n");
		return 1;
	}
	h2_conf_default(&conf, true);
	loop = h2_sock_loop_new(256, 1u << 16);
	if (loop == NULL) {
		fprintf(stderr, "h2-echo-server: %s\n", strerror(errno));
		return 1;
	}
	bound = h2_sock_listen(loop, addr, (uint16_t)port, &app, srv);
	if (bound < 0) {
		fprintf(stderr, "h2-echo-server: cannot listen on %s port %ld: %s\n",
			addr ? addr : "*", port, strerror(-bound));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	printf("listening on %d\n", bound);
	fflush(stdout);
	rc = h2_sock_loop_run(loop, &stop);
	h2_sock_loop_free(loop);
	grpc_server_free(srv);
	return rc < 0 ? 1 : 0;
}
