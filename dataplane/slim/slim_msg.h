/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slim_msg.h - checks on a decoded SLIM message before the node acts on it
 * or re-encodes it.
 *
 * protobuf-c 1.4 keeps a field numbered 0 (invalid in protobuf) as an
 * unknown field, and its packed size then disagrees with what pack writes;
 * such messages are refused. Nesting is bounded too.
 */
#ifndef SB_SLIM_MSG_H
#define SB_SLIM_MSG_H

#include <stdbool.h>

#include <protobuf-c/protobuf-c.h>

#define SLIM_MSG_MAX_DEPTH 32

/* slim_msg_valid says |m| and every message in it carry no field 0 and nest at most 32 deep. */
bool slim_msg_valid(const ProtobufCMessage *m);

#endif
