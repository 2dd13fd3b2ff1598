/* SPDX-License-Identifier: Apache-2.0 */
/*
 * twheel.h - a hashed timing wheel for per-lcore protocol timers (TCP
 * retransmission, delayed ACK, keepalive, TIME_WAIT, ...).
 *
 * Sans-I/O: time is whatever unsigned tick count the caller passes (the TCP
 * stack uses milliseconds of its own clock, unit tests a virtual clock), so
 * state machines driven by it can be tested without real time. Timers are
 * intrusive (struct twheel_timer sits inside the owner's object) and the slot
 * array is caller memory: nothing allocates, arming and cancelling are O(1),
 * and advancing costs one slot visit per elapsed tick plus one visit per
 * timer that lands in a visited slot.
 *
 * A timer due more than nb_slots ticks ahead waits in its slot through whole
 * rotations (it is looked at, not fired, once per rotation). Timers due in the
 * same tick fire in the order they were armed; when advance jumps over more
 * than a whole rotation, everything due fires in slot order instead.
 *
 * Not thread-safe: one wheel belongs to one lcore. Cancel every timer of an
 * object before freeing it: advance may already hold due timers of the same
 * tick, and a callback that frees an object with another timer due in that
 * tick must cancel that timer first.
 */
#ifndef SB_TWHEEL_H
#define SB_TWHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct twheel_timer {
	struct twheel_timer *next;
	struct twheel_timer *prev;	/* NULL when not armed */
	uint64_t expires;		/* tick at which it fires */
};

struct twheel {
	struct twheel_timer *slots;	/* nb_slots list heads (sentinels) */
	uint64_t mask;
	uint64_t now;			/* every timer due at or before |now| has fired */
	uint32_t count;			/* armed timers */
};

/* twheel_timer_init makes |t| a disarmed timer; call once before first use. */
static inline void twheel_timer_init(struct twheel_timer *t)
{
	t->next = t->prev = NULL;
	t->expires = 0;
}

/* twheel_armed returns true if |t| is waiting to fire. */
static inline bool twheel_armed(const struct twheel_timer *t)
{
	return t->prev != NULL;
}

/*
 * twheel_init sets up |w| over |slots|, an array of |nb_slots| (a power of
 * two, at least 2) heads owned by the caller, with the clock at |now|.
 * Returns 0 or -EINVAL.
 */
int twheel_init(struct twheel *w, struct twheel_timer *slots, uint32_t nb_slots, uint64_t now)
	__attribute__((warn_unused_result));

/*
 * twheel_arm (re)arms |t| to fire at tick |expires|; a timer that is already
 * armed is moved. A tick at or before the wheel's clock fires on the next
 * twheel_advance to a later tick.
 */
void twheel_arm(struct twheel *w, struct twheel_timer *t, uint64_t expires);

/* twheel_cancel disarms |t|; a disarmed timer is left as it is. */
void twheel_cancel(struct twheel *w, struct twheel_timer *t);

/*
 * twheel_advance moves the clock to |now| (a |now| in the past changes
 * nothing) and calls |fn|(timer, |arg|) for every timer due at or before it,
 * after disarming it; |fn| may arm or cancel any timer, this one included.
 * Returns how many fired.
 */
uint32_t twheel_advance(struct twheel *w, uint64_t now,
			void (*fn)(struct twheel_timer *t, void *arg), void *arg);

/*
 * twheel_next returns the earliest tick at which an armed timer is due, or
 * UINT64_MAX if none (O(slots); for tests and for deciding how long to sleep).
 */
uint64_t twheel_next(const struct twheel *w);

#endif
