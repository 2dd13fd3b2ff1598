/* SPDX-License-Identifier: Apache-2.0 */
/*
 * breaker.c - per-trust circuit breaker on the shared status slot
 * (breaker.h).
 */
#include "breaker.h"

#include <stdbool.h>

static void seq_begin(struct sb_bridge_trust *t)
{
	__atomic_fetch_add(&t->seq, 1, __ATOMIC_ACQ_REL);
}

static void seq_end(struct sb_bridge_trust *t)
{
	__atomic_fetch_add(&t->seq, 1, __ATOMIC_RELEASE);
}

enum breaker_verdict breaker_check(struct sb_bridge_trust *t, uint64_t now_ns)
{
	uint8_t s = __atomic_load_n(&t->breaker, __ATOMIC_ACQUIRE);
	uint8_t open = SB_BREAKER_OPEN;

	if (s == SB_BREAKER_CLOSED) {
		return BREAKER_PASS;
	}
	if (s == SB_BREAKER_HALF_OPEN) {
		return BREAKER_DENY; /* the probe is out: everyone else waits for its outcome */
	}
	if (now_ns < __atomic_load_n(&t->open_until_ns, __ATOMIC_ACQUIRE)) {
		return BREAKER_DENY;
	}
	/* Cooldown over: the first to swap open -> half-open sends the probe. */
	if (__atomic_compare_exchange_n(&t->breaker, &open, (uint8_t)SB_BREAKER_HALF_OPEN, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		return BREAKER_PROBE;
	}
	return BREAKER_DENY;
}

void breaker_success(struct sb_bridge_trust *t)
{
	if (__atomic_load_n(&t->breaker, __ATOMIC_ACQUIRE) == SB_BREAKER_OPEN) {
		return; /* an open breaker closes only through its probe */
	}
	if (__atomic_load_n(&t->failures, __ATOMIC_RELAXED) == 0 &&
	    __atomic_load_n(&t->breaker, __ATOMIC_RELAXED) == SB_BREAKER_CLOSED) {
		return; /* nothing to change: keep the cache line clean */
	}
	seq_begin(t);
	__atomic_store_n(&t->failures, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->breaker, (uint8_t)SB_BREAKER_CLOSED, __ATOMIC_RELEASE);
	seq_end(t);
}

int breaker_failure(struct sb_bridge_trust *t, uint8_t why, uint32_t threshold, uint32_t cooldown_s,
		    uint64_t now_ns)
{
	uint8_t s = __atomic_load_n(&t->breaker, __ATOMIC_ACQUIRE);
	uint32_t f;

	if (threshold == 0) {
		threshold = BREAKER_DEFAULT_THRESHOLD;
	}
	seq_begin(t);
	__atomic_store_n(&t->last_failure, why, __ATOMIC_RELAXED);
	__atomic_store_n(&t->threshold, threshold, __ATOMIC_RELAXED);
	f = __atomic_add_fetch(&t->failures, 1, __ATOMIC_ACQ_REL);
	if (s == SB_BREAKER_OPEN) {
		seq_end(t);
		return 0;	/* already open: the cooldown does not restart */
	}
	if (s == SB_BREAKER_HALF_OPEN || f >= threshold) {
		__atomic_store_n(&t->open_until_ns, now_ns + (uint64_t)cooldown_s * 1000000000ull,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&t->breaker, (uint8_t)SB_BREAKER_OPEN, __ATOMIC_RELEASE);
		__atomic_add_fetch(&t->opened, 1, __ATOMIC_RELAXED);
		seq_end(t);
		return 1;
	}
	seq_end(t);
	return 0;
}

const char *breaker_state_name(unsigned s)
{
	switch (s) {
	case SB_BREAKER_CLOSED:
		return "closed";
	case SB_BREAKER_OPEN:
		return "open";
	case SB_BREAKER_HALF_OPEN:
		return "half-open";
	default:
		return "?";
	}
}
