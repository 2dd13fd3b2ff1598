/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_echo_server.c - build/tests/h2-echo-server: the gRPC interop
 * grpc.testing.TestService (grpc_testing.proto, written from the gRPC
 * interop test description) and plain HTTP/2 GET (/healthz), served by our
 * HTTP/2 and gRPC engines on kernel sockets (h2_sock).
 *
 *   h2-echo-server --port N [--addr A]
 *
 * Behaviour per method: EmptyCall answers Empty; UnaryCall answers a zero
 * payload of response_size, or ends with response_status when its code is
 * not 0; StreamingOutputCall sends one zero payload per response_parameters
 * entry, after interval_us; StreamingInputCall answers the sum of the
 * payload sizes at half-close; FullDuplexCall answers each request as it
 * comes; HalfDuplexCall answers them all after half-close. Metadata
 * x-grpc-test-echo-initial and x-grpc-test-echo-trailing-bin are echoed in
 * the response headers and trailers.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_server.h"
#include "grpc_testing.pb-c.h"
#include "h2_sock.h"

#define MAX_PENDING  256
#define MAX_RESPONSE (4u << 20)

enum kind { K_EMPTY, K_UNARY, K_SOUT, K_SIN, K_FULL, K_HALF };

struct tcall {
	enum kind kind;
	uint32_t size[MAX_PENDING];
	uint32_t interval_us[MAX_PENDING];
	uint32_t nb, next;
	bool half_closed;
	bool answered;
	uint64_t agg;
};

static volatile sig_atomic_t stop;
static uint8_t *zeros;
static struct grpc_server *srv;
static struct h2_conf conf;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int send_packed(struct grpc_call *call, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	int rc;

	if (buf == NULL) {
		return -ENOMEM;
	}
	protobuf_c_message_pack(m, buf);
	rc = grpc_call_send(call, buf, len);
	free(buf);
	return rc;
}

static int send_payload(struct grpc_call *call, uint32_t size)
{
	Grpc__Testing__StreamingOutputCallResponse r = GRPC__TESTING__STREAMING_OUTPUT_CALL_RESPONSE__INIT;
	Grpc__Testing__Payload p = GRPC__TESTING__PAYLOAD__INIT;

	p.body.data = zeros;
	p.body.len = size;
	r.payload = &p;
	return send_packed(call, &r.base);
}

static void finish(struct grpc_call *call, int status, const char *msg)
{
	if (grpc_call_finish(call, status, msg) < 0) {
		fprintf(stderr, "h2-echo-server: finish on a finished call\n");
	}
}

/* Send what is queued; end the call once all is sent and the client is done. */
static void pump(struct grpc_call *call)
{
	struct tcall *t = grpc_call_user(call);

	while (t->next < t->nb) {
		uint32_t i = t->next;

		if (t->interval_us[i] != 0) {
			if (t->interval_us[i] != UINT32_MAX) {
				grpc_call_set_timer(call, grpc_call_now(call) + (t->interval_us[i] + 999) / 1000);
				t->interval_us[i] = UINT32_MAX; /* armed */
				return;
			}
		}
		if (send_payload(call, t->size[i]) < 0) {
			return; /* -EAGAIN: on_writable pumps again */
		}
		t->next++;
	}
	if (t->half_closed && (t->kind == K_SOUT || t->kind == K_FULL || t->kind == K_HALF)) {
		finish(call, GRPC_OK, NULL);
	}
}

static int queue_params(struct grpc_call *call, Grpc__Testing__StreamingOutputCallRequest *rq,
			bool with_intervals)
{
	struct tcall *t = grpc_call_user(call);

	for (size_t i = 0; i < rq->n_response_parameters; i++) {
		Grpc__Testing__ResponseParameters *p = rq->response_parameters[i];

		if (t->nb == MAX_PENDING || p->size < 0 || (uint32_t)p->size > MAX_RESPONSE ||
		    p->interval_us < 0) {
			finish(call, GRPC_INVALID_ARGUMENT, "bad response_parameters");
			return -1;
		}
		t->size[t->nb] = (uint32_t)p->size;
		t->interval_us[t->nb] = with_intervals ? (uint32_t)p->interval_us : 0;
		t->nb++;
	}
	return 0;
}

/* ---- the methods ----------------------------------------------------------- */

static int on_start(struct grpc_call *call, void *arg)
{
	struct tcall *t = calloc(1, sizeof(*t));
	const char *v;
	size_t len;

	if (t == NULL) {
		return -ENOMEM;
	}
	t->kind = (enum kind)(uintptr_t)arg;
	grpc_call_set_user(call, t);
	v = grpc_call_metadata(call, "x-grpc-test-echo-initial", &len);
	if (v != NULL && grpc_call_add_initial(call, "x-grpc-test-echo-initial", v, len) < 0) {
		return -ENOSPC;
	}
	v = grpc_call_metadata(call, "x-grpc-test-echo-trailing-bin", &len);
	if (v != NULL && grpc_call_add_trailing(call, "x-grpc-test-echo-trailing-bin", v, len) < 0) {
		return -ENOSPC;
	}
	return 0;
}

static bool echo_status(struct grpc_call *call, const Grpc__Testing__EchoStatus *st)
{
	if (st == NULL || st->code == 0) {
		return false;
	}
	finish(call, st->code, st->message);
	return true;
}

static int on_message(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg)
{
	struct tcall *t = grpc_call_user(call);

	(void)arg;
	switch (t->kind) {
	case K_EMPTY: {
		Grpc__Testing__Empty e = GRPC__TESTING__EMPTY__INIT;

		if (t->answered) {
			finish(call, GRPC_UNIMPLEMENTED, "unary call with more than one request");
			return 0;
		}
		t->answered = true;
		return send_packed(call, &e.base) < 0 ? -EIO : 0;
	}
	case K_UNARY: {
		Grpc__Testing__SimpleRequest *rq = grpc__testing__simple_request__unpack(NULL, len, msg);
		Grpc__Testing__SimpleResponse r = GRPC__TESTING__SIMPLE_RESPONSE__INIT;
		Grpc__Testing__Payload p = GRPC__TESTING__PAYLOAD__INIT;
		int rc = 0;

		if (rq == NULL) {
			finish(call, GRPC_INVALID_ARGUMENT, "cannot parse SimpleRequest");
			return 0;
		}
		if (t->answered) {
			finish(call, GRPC_UNIMPLEMENTED, "unary call with more than one request");
		} else if (!echo_status(call, rq->response_status)) {
			if (rq->response_size < 0 || (uint32_t)rq->response_size > MAX_RESPONSE) {
				finish(call, GRPC_INVALID_ARGUMENT, "bad response_size");
			} else {
				p.body.data = zeros;
				p.body.len = (size_t)rq->response_size;
				r.payload = &p;
				rc = send_packed(call, &r.base) < 0 ? -EIO : 0;
			}
		}
		t->answered = true;
		grpc__testing__simple_request__free_unpacked(rq, NULL);
		return rc;
	}
	case K_SIN: {
		Grpc__Testing__StreamingInputCallRequest *rq =
			grpc__testing__streaming_input_call_request__unpack(NULL, len, msg);

		if (rq == NULL) {
			finish(call, GRPC_INVALID_ARGUMENT, "cannot parse StreamingInputCallRequest");
			return 0;
		}
		if (rq->payload != NULL) {
			t->agg += rq->payload->body.len;
		}
		grpc__testing__streaming_input_call_request__free_unpacked(rq, NULL);
		return 0;
	}
	case K_SOUT:
	case K_FULL:
	case K_HALF: {
		Grpc__Testing__StreamingOutputCallRequest *rq =
			grpc__testing__streaming_output_call_request__unpack(NULL, len, msg);

		if (rq == NULL) {
			finish(call, GRPC_INVALID_ARGUMENT, "cannot parse StreamingOutputCallRequest");
			return 0;
		}
		if (!echo_status(call, rq->response_status) &&
		    queue_params(call, rq, t->kind != K_HALF) == 0 && t->kind != K_HALF) {
			pump(call);
		}
		grpc__testing__streaming_output_call_request__free_unpacked(rq, NULL);
		return 0;
	}
	}
	return 0;
}

static void on_half_close(struct grpc_call *call, void *arg)
{
	struct tcall *t = grpc_call_user(call);

	(void)arg;
	t->half_closed = true;
	switch (t->kind) {
	case K_EMPTY:
	case K_UNARY:
		if (!t->answered) {
			finish(call, GRPC_UNIMPLEMENTED, "unary call without a request");
		} else {
			finish(call, GRPC_OK, NULL);
		}
		return;
	case K_SIN: {
		Grpc__Testing__StreamingInputCallResponse r =
			GRPC__TESTING__STREAMING_INPUT_CALL_RESPONSE__INIT;

		r.aggregated_payload_size = (int32_t)t->agg;
		if (send_packed(call, &r.base) < 0) {
			finish(call, GRPC_RESOURCE_EXHAUSTED, "cannot send the response");
		} else {
			finish(call, GRPC_OK, NULL);
		}
		return;
	}
	default:
		pump(call);
	}
}

static void on_timer(struct grpc_call *call, void *arg)
{
	struct tcall *t = grpc_call_user(call);

	(void)arg;
	if (t->next < t->nb && t->interval_us[t->next] == UINT32_MAX) {
		t->interval_us[t->next] = 0; /* waited */
	}
	pump(call);
}

static void on_writable(struct grpc_call *call, void *arg)
{
	(void)arg;
	pump(call);
}

static void on_done(struct grpc_call *call, int status, void *arg)
{
	(void)status;
	(void)arg;
	free(grpc_call_user(call));
}

static const struct grpc_method_ops ops = {
	.on_start = on_start,
	.on_message = on_message,
	.on_half_close = on_half_close,
	.on_timer = on_timer,
	.on_writable = on_writable,
	.on_done = on_done,
};

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
	static const struct {
		const char *path;
		enum kind kind;
	} methods[] = {
		{"/grpc.testing.TestService/EmptyCall", K_EMPTY},
		{"/grpc.testing.TestService/UnaryCall", K_UNARY},
		{"/grpc.testing.TestService/StreamingOutputCall", K_SOUT},
		{"/grpc.testing.TestService/StreamingInputCall", K_SIN},
		{"/grpc.testing.TestService/FullDuplexCall", K_FULL},
		{"/grpc.testing.TestService/HalfDuplexCall", K_HALF},
	};
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"addr", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *addr = NULL;
	long port = -1;
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
	zeros = calloc(1, MAX_RESPONSE);
	srv = grpc_server_new();
	if (zeros == NULL || srv == NULL) {
		fprintf(stderr, "h2-echo-server: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (grpc_server_add(srv, methods[i].path, &ops, (void *)(uintptr_t)methods[i].kind) < 0) {
			fprintf(stderr, "h2-echo-server: cannot register %s\n", methods[i].path);
			return 1;
		}
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
	free(zeros);
	return rc < 0 ? 1 : 0;
}
