/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_slim_app.h - the SLIM app side of bench-slim: an app connection's
 * link negotiation (our X25519 key, the node's reply, the derived MAC key)
 * and the messages the benchmark sends, encoded with protobuf-c and signed
 * with the link's header MAC (slim_mac.h), as a real SLIM client does.
 *
 * Every message is returned gRPC-framed: a malloc'd buffer holding the
 * 5-byte gRPC prefix, then the encoded Message; |*len| counts both.
 * The benchmark name is (1, 2, 3) with id 7; the publisher's source is
 * (1, 2, 4) with id 7.
 */
#ifndef SB_BENCH_SLIM_APP_H
#define SB_BENCH_SLIM_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slim_link.h"
#include "slim_mac.h"

struct bslim_app {
	struct slim_x25519 kp;
	struct slim_mac mac;
	char link_id[64];
	bool negotiated;
};

/* bslim_app_init makes a fresh key pair and link id. Returns 0 or a negative errno. */
int bslim_app_init(struct bslim_app *a);

/* bslim_app_cleanup wipes the keys. */
void bslim_app_cleanup(struct bslim_app *a);

/* bslim_link_request encodes our negotiation request (initiator, Edge connection). */
uint8_t *bslim_link_request(struct bslim_app *a, size_t *len);

/*
 * bslim_link_reply checks the node's reply |msg| (|len| bytes, no prefix)
 * and derives the link's MAC key. Returns 0 or -EPROTO.
 */
int bslim_link_reply(struct bslim_app *a, const uint8_t *msg, size_t len);

/* bslim_subscribe encodes a signed Subscribe to the benchmark name, subscription id 1. */
uint8_t *bslim_subscribe(struct bslim_app *a, size_t *len);

/* bslim_publish encodes a signed anycast Publish of |size| payload bytes to the benchmark name. */
uint8_t *bslim_publish(struct bslim_app *a, uint32_t size, size_t *len);

/* bslim_is_ack tells whether |msg| (no prefix) is a successful SubscriptionAck. */
bool bslim_is_ack(const uint8_t *msg, size_t len);

#endif
