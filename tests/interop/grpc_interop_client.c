/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_interop_client.c - build/tests/grpc-interop-client: the gRPC interop
 * client cases (as the gRPC interop test description states them) run with
 * slimbridge's own gRPC client (grpc_client.h) on kernel sockets (h2_sock),
 * against any TestService: python3-grpcio's (tests/interop/ref_server.py)
 * or ours.
 *
 *   grpc-interop-client --server HOST:PORT [--test_case a,b,...]
 *
 * One connection per case; one line per case; exit 0 only if all passed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_client.h"
#include "grpc_testing.pb-c.h"
#include "h2_sock.h"

#define SVC "/grpc.testing.TestService/"

struct ctx {
	const char *authority;
	struct grpc_ccall *call;
	int status;
	char message[1100];
	bool done;
	uint32_t nb_msgs;
	int64_t sizes[8];
	bool nonzero;	     /* a payload byte was not 0 */
	int64_t aggregated;
	char init_md[128];
	char trail_md[128];
	int step;	     /* ping_pong progress */
	bool cancel_on_first;
	char fail[256];	     /* a check that failed before the end */
};

static volatile sig_atomic_t stop;
static struct ctx cx;
static uint8_t zeros[300000];
static struct h2_conf cconf;

/* ---- messages --------------------------------------------------------------- */

static int send_packed(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	int rc;

	if (buf == NULL) {
		return -ENOMEM;
	}
	protobuf_c_message_pack(m, buf);
	rc = grpc_ccall_send(cx.call, buf, len);
	free(buf);
	return rc;
}

static int send_stream_req(int32_t resp_size, size_t payload)
{
	Grpc__Testing__StreamingOutputCallRequest r = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
	Grpc__Testing__ResponseParameters p = GRPC__TESTING__RESPONSE_PARAMETERS__INIT;
	Grpc__Testing__ResponseParameters *pp = &p;
	Grpc__Testing__Payload pl = GRPC__TESTING__PAYLOAD__INIT;

	p.size = resp_size;
	r.n_response_parameters = 1;
	r.response_parameters = &pp;
	pl.body.data = zeros;
	pl.body.len = payload;
	r.payload = &pl;
	return send_packed(&r.base);
}

static void note_payload(const Grpc__Testing__Payload *p)
{
	if (cx.nb_msgs < 8) {
		cx.sizes[cx.nb_msgs] = p != NULL ? (int64_t)p->body.len : -1;
	}
	for (size_t i = 0; p != NULL && i < p->body.len; i++) {
		if (p->body.data[i] != 0) {
			cx.nonzero = true;
		}
	}
}

/* ---- callbacks ------------------------------------------------------------- */

static void on_headers(struct grpc_ccall *call, const struct h2_header *md, uint32_t n, void *arg)
{
	(void)call;
	(void)arg;
	for (uint32_t i = 0; i < n; i++) {
		if (md[i].name_len == 24 && memcmp(md[i].name, "x-grpc-test-echo-initial", 24) == 0) {
			snprintf(cx.init_md, sizeof(cx.init_md), "%.*s", (int)md[i].value_len,
				 md[i].value);
		}
	}
}

static int on_message(struct grpc_ccall *call, const uint8_t *msg, size_t len, void *arg)
{
	const char *kind = arg;
	static const int32_t pp_resp[] = {31415, 9, 2653, 58979};
	static const size_t pp_req[] = {27182, 8, 1828, 45904};

	(void)call;
	if (strcmp(kind, "simple") == 0) {
		Grpc__Testing__SimpleResponse *r = grpc__testing__simple_response__unpack(NULL, len, msg);

		if (r == NULL) {
			snprintf(cx.fail, sizeof(cx.fail), "cannot parse SimpleResponse");
			return -1;
		}
		note_payload(r->payload);
		grpc__testing__simple_response__free_unpacked(r, NULL);
	} else if (strcmp(kind, "input") == 0) {
		Grpc__Testing__StreamingInputCallResponse *r =
			grpc__testing__streaming_input_call_response__unpack(NULL, len, msg);

		if (r == NULL) {
			snprintf(cx.fail, sizeof(cx.fail), "cannot parse StreamingInputCallResponse");
			return -1;
		}
		cx.aggregated = r->aggregated_payload_size;
		grpc__testing__streaming_input_call_response__free_unpacked(r, NULL);
	} else if (strcmp(kind, "output") == 0) {
		Grpc__Testing__StreamingOutputCallResponse *r =
			grpc__testing__streaming_output_call_response__unpack(NULL, len, msg);

		if (r == NULL) {
			snprintf(cx.fail, sizeof(cx.fail), "cannot parse StreamingOutputCallResponse");
			return -1;
		}
		note_payload(r->payload);
		grpc__testing__streaming_output_call_response__free_unpacked(r, NULL);
	} else if (len != 0) {
		snprintf(cx.fail, sizeof(cx.fail), "Empty of %zu bytes", len);
	}
	cx.nb_msgs++;
	if (cx.cancel_on_first) {
		grpc_ccall_cancel(cx.call);
		return 0;
	}
	if (cx.step > 0 && cx.step < 4) {
		/* ping_pong: the next request once a response came. */
		if (send_stream_req(pp_resp[cx.step], pp_req[cx.step]) != 0) {
			snprintf(cx.fail, sizeof(cx.fail), "send failed");
		}
		cx.step++;
		if (cx.step == 4 && grpc_ccall_close_send(cx.call) != 0) {
			snprintf(cx.fail, sizeof(cx.fail), "half-close failed");
		}
	}
	return 0;
}

static void on_done(struct grpc_ccall *call, int status, const char *message,
		    const struct h2_header *trl, uint32_t n, void *arg)
{
	(void)call;
	(void)arg;
	cx.status = status;
	snprintf(cx.message, sizeof(cx.message), "%s", message);
	for (uint32_t i = 0; i < n; i++) {
		if (trl[i].name_len == 29 &&
		    memcmp(trl[i].name, "x-grpc-test-echo-trailing-bin", 29) == 0) {
			snprintf(cx.trail_md, sizeof(cx.trail_md), "%.*s", (int)trl[i].value_len,
				 trl[i].value);
		}
	}
	cx.done = true;
	stop = 1;
}

static const struct grpc_ccall_ops ops = {
	.on_headers = on_headers,
	.on_message = on_message,
	.on_done = on_done,
};

/* ---- the socket side ------------------------------------------------------- */

static void *sock_open(void *arg, struct h2_pool *pool, uint64_t now_ms, struct h2_conn **h2)
{
	struct grpc_cconn *cc = grpc_cconn_new(&cconf, pool, arg, now_ms);

	if (cc != NULL) {
		*h2 = grpc_cconn_h2(cc);
	}
	return cc;
}

static void sock_tick(void *conn, uint64_t now_ms)
{
	grpc_cconn_tick(conn, now_ms);
}

static void sock_close(void *conn)
{
	grpc_cconn_free(conn);
}

static const struct h2_sock_app app = {
	.accept = sock_open,
	.tick = sock_tick,
	.close = sock_close,
};

/* ---- cases ----------------------------------------------------------------- */

#define EXPECT(cond, ...)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			snprintf(why, whylen, __VA_ARGS__);                                 \
			return false;                                                       \
		}                                                                           \
	} while (0)

static int start(struct grpc_cconn *cc, const char *path, const struct h2_header *md, uint32_t n,
		 uint64_t timeout_ms, const char *kind)
{
	return grpc_cconn_start(cc, path, md, n, timeout_ms, &ops, (void *)(uintptr_t)kind, &cx.call);
}

static bool run_case(const char *name, struct grpc_cconn *cc, struct h2_sock_loop *l, char *why,
		     size_t whylen)
{
	Grpc__Testing__SimpleRequest sr = GRPC__TESTING__SIMPLE_REQUEST__INIT;
	Grpc__Testing__EchoStatus es = GRPC__TESTING__ECHO_STATUS__INIT;
	Grpc__Testing__Payload pl = GRPC__TESTING__PAYLOAD__INIT;
	Grpc__Testing__Empty empty = GRPC__TESTING__EMPTY__INIT;
	static const char special[] = "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and "
				      "non-BMP \xf0\x9f\x98\x88\t\n";
	const struct h2_header md[] = {
		{"x-grpc-test-echo-initial", "test_initial_metadata_value", 24, 27},
		{"x-grpc-test-echo-trailing-bin", "q6ur", 29, 4},
	};
	int rc = 0;

	stop = 0; /* on_done sets it, possibly before the loop runs (a cancel) */
	if (strcmp(name, "empty_unary") == 0) {
		rc = start(cc, SVC "EmptyCall", NULL, 0, 20000, "empty");
		rc = rc ?: send_packed(&empty.base);
		rc = rc ?: grpc_ccall_close_send(cx.call);
	} else if (strcmp(name, "large_unary") == 0 || strcmp(name, "custom_metadata") == 0 ||
		   strcmp(name, "status_code_and_message") == 0 ||
		   strcmp(name, "special_status_message") == 0) {
		bool meta = strcmp(name, "custom_metadata") == 0;

		sr.response_size = 314159;
		pl.body.data = zeros;
		pl.body.len = 271828;
		sr.payload = &pl;
		if (strcmp(name, "status_code_and_message") == 0 ||
		    strcmp(name, "special_status_message") == 0) {
			es.code = 2;
			es.message = (char *)(name[0] == 's' && name[1] == 't' ? "test status message"
									 : special);
			sr.response_status = &es;
		}
		rc = start(cc, SVC "UnaryCall", meta ? md : NULL, meta ? 2 : 0, 20000, "simple");
		rc = rc ?: send_packed(&sr.base);
		rc = rc ?: grpc_ccall_close_send(cx.call);
	} else if (strcmp(name, "client_streaming") == 0 || strcmp(name, "cancel_after_begin") == 0) {
		static const size_t sz[] = {27182, 8, 1828, 45904};

		rc = start(cc, SVC "StreamingInputCall", NULL, 0, 20000, "input");
		if (rc == 0 && name[0] == 'c' && name[1] == 'a') {
			grpc_ccall_cancel(cx.call);
		} else {
			for (int i = 0; i < 4 && rc == 0; i++) {
				Grpc__Testing__StreamingInputCallRequest r =
					GRPC__TESTING__STREAMING_INPUT_CALL_REQUEST__INIT;

				pl.body.data = zeros;
				pl.body.len = sz[i];
				r.payload = &pl;
				rc = send_packed(&r.base);
			}
			rc = rc ?: grpc_ccall_close_send(cx.call);
		}
	} else if (strcmp(name, "server_streaming") == 0) {
		Grpc__Testing__StreamingOutputCallRequest r = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
		Grpc__Testing__ResponseParameters p[4], *pp[4];
		static const int32_t sz[] = {31415, 9, 2653, 58979};

		for (int i = 0; i < 4; i++) {
			grpc__testing__response_parameters__init(&p[i]);
			p[i].size = sz[i];
			pp[i] = &p[i];
		}
		r.n_response_parameters = 4;
		r.response_parameters = pp;
		rc = start(cc, SVC "StreamingOutputCall", NULL, 0, 20000, "output");
		rc = rc ?: send_packed(&r.base);
		rc = rc ?: grpc_ccall_close_send(cx.call);
	} else if (strcmp(name, "ping_pong") == 0 || strcmp(name, "cancel_after_first_response") == 0) {
		cx.step = name[0] == 'p' ? 1 : 0;
		cx.cancel_on_first = name[0] == 'c';
		rc = start(cc, SVC "FullDuplexCall", NULL, 0, 20000, "output");
		rc = rc ?: send_stream_req(31415, 27182);
	} else if (strcmp(name, "empty_stream") == 0) {
		rc = start(cc, SVC "FullDuplexCall", NULL, 0, 20000, "output");
		rc = rc ?: grpc_ccall_close_send(cx.call);
	} else if (strcmp(name, "timeout_on_sleeping_server") == 0) {
		rc = start(cc, SVC "FullDuplexCall", NULL, 0, 1, "output");
		pl.body.data = zeros;
		pl.body.len = 27182;
		if (rc == 0) {
			Grpc__Testing__StreamingOutputCallRequest r =
				GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;

			r.payload = &pl;
			rc = send_packed(&r.base);
		}
	} else if (strcmp(name, "unimplemented_method") == 0 ||
		   strcmp(name, "unimplemented_service") == 0) {
		rc = start(cc,
			   name[14] == 'm' ? SVC "UnimplementedCall"
					   : "/grpc.testing.UnimplementedService/UnimplementedCall",
			   NULL, 0, 20000, "empty");
		rc = rc ?: send_packed(&empty.base);
		rc = rc ?: grpc_ccall_close_send(cx.call);
	} else {
		EXPECT(false, "unknown case");
	}
	EXPECT(rc == 0, "could not start: %s", strerror(-rc));
	EXPECT(cx.done || h2_sock_loop_run(l, &stop) == 0, "the loop failed");
	EXPECT(cx.done, "the call did not end");
	EXPECT(cx.fail[0] == 0, "%s", cx.fail);
	if (strcmp(name, "empty_unary") == 0) {
		EXPECT(cx.status == 0 && cx.nb_msgs == 1, "status %d, %u messages", cx.status, cx.nb_msgs);
	} else if (strcmp(name, "large_unary") == 0 || strcmp(name, "custom_metadata") == 0) {
		EXPECT(cx.status == 0, "status %d (%.200s)", cx.status, cx.message);
		EXPECT(cx.nb_msgs == 1 && cx.sizes[0] == 314159 && !cx.nonzero, "bad response");
		if (name[0] == 'c') {
			EXPECT(strcmp(cx.init_md, "test_initial_metadata_value") == 0,
			       "initial metadata '%s'", cx.init_md);
			EXPECT(strcmp(cx.trail_md, "q6ur") == 0, "trailing metadata '%s'", cx.trail_md);
		}
	} else if (strcmp(name, "status_code_and_message") == 0) {
		EXPECT(cx.status == 2 && strcmp(cx.message, "test status message") == 0,
		       "status %d message '%.200s'", cx.status, cx.message);
	} else if (strcmp(name, "special_status_message") == 0) {
		EXPECT(cx.status == 2 && strcmp(cx.message, special) == 0, "status %d message '%.200s'",
		       cx.status, cx.message);
	} else if (strcmp(name, "client_streaming") == 0) {
		EXPECT(cx.status == 0 && cx.aggregated == 74922, "status %d aggregated %ld", cx.status,
		       (long)cx.aggregated);
	} else if (strcmp(name, "server_streaming") == 0) {
		EXPECT(cx.status == 0 && cx.nb_msgs == 4 && cx.sizes[0] == 31415 && cx.sizes[1] == 9 &&
			       cx.sizes[2] == 2653 && cx.sizes[3] == 58979 && !cx.nonzero,
		       "status %d, %u messages", cx.status, cx.nb_msgs);
	} else if (strcmp(name, "ping_pong") == 0) {
		EXPECT(cx.status == 0 && cx.nb_msgs == 4 && cx.sizes[0] == 31415 && cx.sizes[1] == 9 &&
			       cx.sizes[2] == 2653 && cx.sizes[3] == 58979,
		       "status %d, %u messages", cx.status, cx.nb_msgs);
	} else if (strcmp(name, "empty_stream") == 0) {
		EXPECT(cx.status == 0 && cx.nb_msgs == 0, "status %d, %u messages", cx.status,
		       cx.nb_msgs);
	} else if (strcmp(name, "cancel_after_begin") == 0 ||
		   strcmp(name, "cancel_after_first_response") == 0) {
		EXPECT(cx.status == GRPC_CANCELLED, "status %d (%.200s)", cx.status, cx.message);
	} else if (strcmp(name, "timeout_on_sleeping_server") == 0) {
		EXPECT(cx.status == GRPC_DEADLINE_EXCEEDED, "status %d (%.200s)", cx.status, cx.message);
	} else {
		EXPECT(cx.status == GRPC_UNIMPLEMENTED, "status %d (%.200s)", cx.status, cx.message);
	}
	return true;
}

int main(int argc, char **argv)
{
	static const char *const all[] = {
		"empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong",
		"empty_stream", "cancel_after_begin", "cancel_after_first_response",
		"timeout_on_sleeping_server", "status_code_and_message", "special_status_message",
		"custom_metadata", "unimplemented_method", "unimplemented_service",
	};
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"test_case", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char host[128] = "", *colon, *cases = NULL;
	unsigned passed = 0, total = 0;
	long port = 0;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			snprintf(host, sizeof(host), "%s", optarg);
			colon = strrchr(host, ':');
			if (colon == NULL) {
				fprintf(stderr, "grpc-interop-client: --server HOST:PORT\n");
				return 2;
			}
			*colon = 0;
			port = strtol(colon + 1, NULL, 10);
			break;
		case 't':
			cases = optarg;
			break;
		case 'h':
			printf("Usage: %s --server HOST:PORT [--test_case a,b,...]\n"
			       "The gRPC interop client cases with slimbridge's gRPC client; one line per\n"
			       "case, exit 0 only if all passed.\n", argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	if (host[0] == 0 || port <= 0 || port > 65535) {
		fprintf(stderr, "grpc-interop-client: --server HOST:PORT is required\n");
		return 2;
	}
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	h2_conf_default(&cconf, false);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct h2_sock_loop *l;
		struct grpc_cconn *cc;
		char why[1024] = "", auth[160];
		bool ok;

		if (cases != NULL && strstr(cases, all[i]) == NULL) {
			continue;
		}
		total++;
		memset(&cx, 0, sizeof(cx));
		snprintf(auth, sizeof(auth), "%s:%ld", host, port);
		l = h2_sock_loop_new(64, 4096);
		cc = l != NULL ? h2_sock_connect(l, host, (uint16_t)port, &app, auth) : NULL;
		if (cc == NULL) {
			printf("FAIL %s: cannot connect: %s\n", all[i], strerror(errno));
			h2_sock_loop_free(l);
			continue;
		}
		ok = run_case(all[i], cc, l, why, sizeof(why));
		printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", all[i], ok ? "" : ": ", why);
		passed += ok;
		h2_sock_loop_free(l);
	}
	printf("%u/%u passed\n", passed, total);
	return passed == total && total > 0 ? 0 : 1;
}
