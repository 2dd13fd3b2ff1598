/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_api.h - the control API (proto/control/control.proto,
 * slimbridge.control.v1.ControlService) on the project's gRPC server
 * engine: every method decodes its request, acts on the ctl_state and
 * answers with a response or a gRPC status whose message says what was
 * wrong (INVALID_ARGUMENT for a malformed request or a policy that does not
 * validate, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION for a delete of
 * an object still referred to). WatchPolicy streams a PolicyVersion for
 * every snapshot published.
 *
 * Thread context: the event loop's thread.
 */
#ifndef SB_CTL_API_H
#define SB_CTL_API_H

#include <stdint.h>

struct ctl_api;
struct ctl_state;
struct grpc_server;

/* ctl_api_new registers the service's methods on |srv| for |st|. Returns NULL on failure. */
struct ctl_api *ctl_api_new(struct grpc_server *srv, struct ctl_state *st);

/* ctl_api_free frees |a| (after every connection is gone). NULL ok. */
void ctl_api_free(struct ctl_api *a);

/* ctl_api_tick runs ctl_state_tick and sends new versions to WatchPolicy streams. */
void ctl_api_tick(struct ctl_api *a, uint64_t now_ms);

#endif
