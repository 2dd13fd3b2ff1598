/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_testsvc.h - the gRPC interop test service, grpc.testing.TestService,
 * served by build/tests/h2-echo-server on kernel sockets and by the data
 * plane on `grpc_test_port` over its own TCP.
 *
 * Per method: EmptyCall answers Empty; UnaryCall answers a zero payload of
 * response_size, or ends with response_status when its code is not 0;
 * StreamingOutputCall sends one zero payload per response_parameters entry,
 * after interval_us; StreamingInputCall answers the sum of the payload
 * sizes at half-close; FullDuplexCall answers each request as it comes;
 * HalfDuplexCall answers them all after half-close. Request metadata
 * x-grpc-test-echo-initial and x-grpc-test-echo-trailing-bin are echoed in
 * the response headers and trailers. Per-call state is allocated at call
 * start (a test service, not a fast path).
 */
#ifndef SB_GRPC_TESTSVC_H
#define SB_GRPC_TESTSVC_H

#include "grpc_server.h"

/* grpc_testsvc_register adds TestService's methods to |srv|. Returns 0 or a negative errno. */
int grpc_testsvc_register(struct grpc_server *srv) __attribute__((warn_unused_result));

#endif
