/* SPDX-License-Identifier: Apache-2.0 */
#include "twheel.h"

#include <errno.h>
#include <stddef.h>

static void list_init(struct twheel_timer *head)
{
	head->next = head->prev = head;
}

static void link_tail(struct twheel_timer *head, struct twheel_timer *t)
{
	t->prev = head->prev;
	t->next = head;
	head->prev->next = t;
	head->prev = t;
}

static void unlink_timer(struct twheel_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

int twheel_init(struct twheel *w, struct twheel_timer *slots, uint32_t nb_slots, uint64_t now)
{
	if (slots == NULL || nb_slots < 2 || (nb_slots & (nb_slots - 1)) != 0) {
		return -EINVAL;
	}
	w->slots = slots;
	w->mask = nb_slots - 1;
	w->now = now;
	w->count = 0;
	for (uint32_t i = 0; i < nb_slots; i++) {
		list_init(&slots[i]);
	}
	return 0;
}

void twheel_arm(struct twheel *w, struct twheel_timer *t, uint64_t expires)
{
	/* Anything already due goes to the next tick's slot, which advance visits first. */
	uint64_t slot = expires > w->now ? expires : w->now + 1;

	if (twheel_armed(t)) {
		unlink_timer(t);
		w->count--;
	}
	t->expires = expires;
	link_tail(&w->slots[slot & w->mask], t);
	w->count++;
}

void twheel_cancel(struct twheel *w, struct twheel_timer *t)
{
	if (twheel_armed(t)) {
		unlink_timer(t);
		w->count--;
	}
}

/*
 * Fire what is due in one slot. Due timers move to a local list first, so a
 * callback may arm or cancel anything (including timers still waiting in
 * that list) without breaking the walk.
 */
static uint32_t fire_slot(struct twheel *w, struct twheel_timer *head, uint64_t due,
			  void (*fn)(struct twheel_timer *t, void *arg), void *arg)
{
	struct twheel_timer ready, *t, *next;
	uint32_t fired = 0;

	list_init(&ready);
	for (t = head->next; t != head; t = next) {
		next = t->next;
		if (t->expires <= due) {
			unlink_timer(t);
			link_tail(&ready, t);
		}
	}
	while (ready.next != &ready) {
		t = ready.next;
		unlink_timer(t);
		w->count--;
		fn(t, arg);
		fired++;
	}
	return fired;
}

uint32_t twheel_advance(struct twheel *w, uint64_t now,
			void (*fn)(struct twheel_timer *t, void *arg), void *arg)
{
	uint32_t fired = 0;

	if (now <= w->now) {
		return 0;
	}
	if (now - w->now > w->mask) {
		/* More than a rotation: every slot once, everything due up to |now|. */
		w->now = now;
		for (uint64_t i = 0; i <= w->mask; i++) {
			fired += fire_slot(w, &w->slots[(now + 1 + i) & w->mask], now, fn, arg);
		}
		return fired;
	}
	while (w->now < now) {
		w->now++;
		fired += fire_slot(w, &w->slots[w->now & w->mask], w->now, fn, arg);
	}
	return fired;
}

uint64_t twheel_next(const struct twheel *w)
{
	uint64_t best = UINT64_MAX;

	for (uint64_t i = 0; i <= w->mask; i++) {
		const struct twheel_timer *head = &w->slots[i];

		for (const struct twheel_timer *t = head->next; t != head; t = t->next) {
			if (t->expires < best) {
				best = t->expires;
			}
		}
	}
	return best;
}
