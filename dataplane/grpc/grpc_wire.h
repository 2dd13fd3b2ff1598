/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_wire.h - gRPC over HTTP/2 constants (gRPC "PROTOCOL-HTTP2"): status
 * codes and the 5-octet length prefix of every message.
 */
#ifndef SB_GRPC_WIRE_H
#define SB_GRPC_WIRE_H

#define GRPC_PREFIX_LEN 5 /* compressed flag (1) + big-endian length (4) */

/* Status codes (grpc/doc/statuscodes.md). */
enum grpc_status {
	GRPC_OK = 0,
	GRPC_CANCELLED = 1,
	GRPC_UNKNOWN = 2,
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_NOT_FOUND = 5,
	GRPC_ALREADY_EXISTS = 6,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_FAILED_PRECONDITION = 9,
	GRPC_ABORTED = 10,
	GRPC_OUT_OF_RANGE = 11,
	GRPC_UNIMPLEMENTED = 12,
	GRPC_INTERNAL = 13,
	GRPC_UNAVAILABLE = 14,
	GRPC_DATA_LOSS = 15,
	GRPC_UNAUTHENTICATED = 16,
};

#endif
