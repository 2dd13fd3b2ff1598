/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_testsvc.c - the gRPC interop service grpc.testing.TestService
 * (tests/interop/grpc_testing.proto, written from the gRPC interop test
 * description) on a struct grpc_server; see grpc_testsvc.h.
 */
#include "app/grpc_testsvc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_testing.pb-c.h"

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

static uint8_t *zeros; /* MAX_RESPONSE zero bytes, shared by all callers (read-only) */

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
	(void)!grpc_call_finish(call, status, msg); /* -EPIPE: already finished */
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

int grpc_testsvc_register(struct grpc_server *srv)
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
	int rc;

	if (zeros == NULL) {
		zeros = calloc(1, MAX_RESPONSE);
		if (zeros == NULL) {
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		rc = grpc_server_add(srv, methods[i].path, &ops, (void *)(uintptr_t)methods[i].kind);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}
