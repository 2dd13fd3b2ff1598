/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slim_link.h - SLIM link negotiation (shared/reference/slim.md 1.4): the
 * first message on every SLIM connection is Link{LinkNegotiationPayload}.
 * The initiator sends a link id, its semver version, is_reply = false and
 * an X25519 public key; the responder echoes the link id with is_reply =
 * true and its own key. Both derive the link's header-MAC key as
 * HKDF-SHA256(salt = link id, IKM = X25519 shared secret,
 * info = "SLIM-DP-inter-node-hmac-v1", 32 bytes).
 *
 * Sans-I/O: these functions check payloads and do the key agreement; the
 * caller sends and receives. Secrets (private keys, shared secret, derived
 * key) are wiped before return or on cleanup.
 */
#ifndef SB_SLIM_LINK_H
#define SB_SLIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data_plane.pb-c.h"
#include "slim_mac.h"

#define SLIM_X25519_LEN	    32
#define SLIM_LINK_ID_MAX    127
#define SLIM_HKDF_INFO	    "SLIM-DP-inter-node-hmac-v1"
#define SLIM_NEGOTIATION_MS 5000

/* Why a negotiation payload was refused (names for logs and counters). */
enum slim_link_err {
	SLIM_LINK_OK = 0,
	SLIM_LINK_NOT_LINK,	  /* the first message is not a Link negotiation */
	SLIM_LINK_BAD_ID,	  /* link_id empty or too long */
	SLIM_LINK_BAD_VERSION,	  /* slim_version is not semver */
	SLIM_LINK_WRONG_DIRECTION, /* a request where a reply was due, or the reverse */
	SLIM_LINK_NO_KEY,	  /* no 32-byte X25519 key (the header MAC is required) */
	SLIM_LINK_REPLAY,	  /* a link_id seen before */
	SLIM_LINK_ID_MISMATCH,	  /* a reply for another link_id */
	SLIM_LINK_CRYPTO,	  /* key agreement failed (e.g. an all-zero shared secret) */
};

/* slim_link_err_name returns a short name for |e|. */
const char *slim_link_err_name(enum slim_link_err e);

/* slim_semver_ok says |v| is MAJOR.MINOR.PATCH with optional -pre and +build parts (semver 2.0). */
bool slim_semver_ok(const char *v);

/* An X25519 key pair of one negotiation. */
struct slim_x25519 {
	uint8_t pub[SLIM_X25519_LEN];
	void *pkey; /* EVP_PKEY with the private key */
};

/* slim_x25519_new makes a fresh key pair. Returns 0 or -ENOMEM/-EIO. */
int slim_x25519_new(struct slim_x25519 *kp) __attribute__((warn_unused_result));

/* slim_x25519_free frees (and so wipes) the private key. Safe on a zeroed struct. */
void slim_x25519_free(struct slim_x25519 *kp);

/*
 * slim_link_derive agrees a shared secret of |kp| with |peer_pub| and keys
 * |mac| for |link_id| with the HKDF output. Returns SLIM_LINK_OK or
 * SLIM_LINK_CRYPTO.
 */
enum slim_link_err slim_link_derive(const struct slim_x25519 *kp,
				    const uint8_t peer_pub[SLIM_X25519_LEN], const char *link_id,
				    struct slim_mac *mac);

/*
 * slim_link_check_request checks a responder's first message |msg| (NULL:
 * it did not decode) and returns its payload in |*out|, or why not.
 */
enum slim_link_err slim_link_check_request(const Dataplane__Proto__V1__Message *msg,
					   const Dataplane__Proto__V1__LinkNegotiationPayload **out);

/* slim_link_check_reply checks an initiator's reply to |link_id| likewise. */
enum slim_link_err slim_link_check_reply(const Dataplane__Proto__V1__Message *msg, const char *link_id,
					 const Dataplane__Proto__V1__LinkNegotiationPayload **out);

/*
 * A bounded set of link ids already used, for replay refusal: the last
 * |SLIM_LINK_SEEN| ids are remembered (per node).
 */
#define SLIM_LINK_SEEN 1024

struct slim_link_seen {
	uint64_t h[SLIM_LINK_SEEN]; /* 64-bit FNV-1a of each id (odd); 0 = empty */
	uint32_t pos;
};

/* slim_link_seen_add remembers |id|; false if it was there already (a replay). */
bool slim_link_seen_add(struct slim_link_seen *s, const char *id);

#endif
