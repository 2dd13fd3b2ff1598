/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slim_mac.h - SLIM's per-link header MAC (shared/reference/slim.md 2.5):
 * HMAC-SHA256 keyed with the link's negotiated key over a canonical
 * encoding of the routing header ("SLIM-DP-HDR-v1\0", the link id, source,
 * destination, identity, fanout, recv_from, forward_to, error, ttl).
 *
 * A struct slim_mac holds one link's key, expanded once (OpenSSL EVP_MAC
 * context re-initialised per message with the same key); the key is wiped
 * when the struct is cleaned up. Verification compares in constant time.
 * Not thread-safe: one per connection, used by the lcore that owns it.
 */
#ifndef SB_SLIM_MAC_H
#define SB_SLIM_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data_plane.pb-c.h"

#define SLIM_MAC_LEN 32
#define SLIM_KEY_LEN 32

struct evp_mac_ctx_st;

struct slim_mac {
	struct evp_mac_ctx_st *ctx; /* HMAC-SHA256 with the link key */
	char link_id[128];
	uint32_t link_id_len;
};

/*
 * slim_mac_init keys |m| with |key| for link |link_id| (at most 127 bytes).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int slim_mac_init(struct slim_mac *m, const uint8_t key[SLIM_KEY_LEN], const char *link_id,
		  size_t link_id_len) __attribute__((warn_unused_result));

/* slim_mac_cleanup frees and wipes |m| (safe on a zeroed struct). */
void slim_mac_cleanup(struct slim_mac *m);

/*
 * slim_mac_compute writes the MAC of header |h| (as it stands: set TTL and
 * clear the local flags first) into |out|. Returns 0 or -EIO.
 */
int slim_mac_compute(struct slim_mac *m, const Dataplane__Proto__V1__SLIMHeader *h,
		     uint8_t out[SLIM_MAC_LEN]) __attribute__((warn_unused_result));

/*
 * slim_mac_verify checks h->header_mac against the MAC of |h| with the
 * header_mac field itself left out. False when absent, of the wrong length
 * or different (compared in constant time).
 */
bool slim_mac_verify(struct slim_mac *m, const Dataplane__Proto__V1__SLIMHeader *h);

/*
 * slim_mac_preimage writes the canonical encoding of |h| for link |link_id|
 * into |buf| (|cap| bytes) and returns its length, or -ENOSPC. For tests and
 * for checking against other implementations.
 */
long slim_mac_preimage(const char *link_id, size_t link_id_len,
		       const Dataplane__Proto__V1__SLIMHeader *h, uint8_t *buf, size_t cap);

#endif
