/* SPDX-License-Identifier: Apache-2.0 */
/*
 * breaker.h - the circuit breaker of one trust relationship (BRIEF step 6),
 * kept in its slot of the bridge status object (proto/shm/bridge_abi.h) so
 * that every worker sees one state and operators read it.
 *
 *   closed ── |threshold| consecutive failures ──▶ open (until now + cooldown)
 *   open ── cooldown over: the first check claims the probe ──▶ half-open
 *   half-open ── success ──▶ closed;  ── failure ──▶ open again
 * While open, and while half-open for everyone but the probe, messages for
 * the trust are denied "circuit open". A success while closed resets the
 * count of consecutive failures.
 *
 * Writers: any worker or the main lcore, with compare-and-swap on the
 * state and the slot's sequence counter around multi-field changes (odd
 * while changing); readers (every message) load one byte. No locks, no
 * allocation, no system calls: the caller passes the time.
 */
#ifndef SB_BREAKER_H
#define SB_BREAKER_H

#include <stdint.h>

#include "shm/bridge_abi.h"

#define BREAKER_DEFAULT_THRESHOLD 3
#define BREAKER_DEFAULT_COOLDOWN_S 300

enum breaker_verdict {
	BREAKER_PASS = 0,	/* closed: go */
	BREAKER_PROBE = 1,	/* this message is the half-open probe: go, then report */
	BREAKER_DENY = 2,	/* open: deny "circuit open" */
};

/* breaker_check: may a message for |t| go at |now_ns| (CLOCK_REALTIME)? */
enum breaker_verdict breaker_check(struct sb_bridge_trust *t, uint64_t now_ns);

/* breaker_success: a delivery (or the link coming up) worked. */
void breaker_success(struct sb_bridge_trust *t);

/*
 * breaker_failure: a delivery failed for |why| (enum sb_bridge_failure).
 * Opens the breaker for |cooldown_s| once |threshold| failures follow one
 * another (and at once when half-open). Returns 1 when this call opened it.
 */
int breaker_failure(struct sb_bridge_trust *t, uint8_t why, uint32_t threshold, uint32_t cooldown_s,
		    uint64_t now_ns);

/* breaker_state_name: "closed", "open", "half-open". */
const char *breaker_state_name(unsigned s);

#endif
