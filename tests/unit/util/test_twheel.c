/* SPDX-License-Identifier: Apache-2.0 */
/* The timing wheel against exact expectations and against a brute-force model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/twheel.h"

#define SLOTS 16

struct item {
	struct twheel_timer t;	/* first member: the timer leads to its item */
	int id;
	uint64_t fired_at;
	int fired;
};

struct log {
	struct twheel *w;
	int order[64];
	int n;
	struct item *rearm;	/* fire: re-arm this one 5 ticks later */
	struct item *victim;	/* fire: cancel this one */
};

static void on_fire(struct twheel_timer *t, void *arg)
{
	struct item *it = (struct item *)t;
	struct log *lg = arg;

	it->fired++;
	it->fired_at = lg->w->now;
	if (lg->n < 64) {
		lg->order[lg->n++] = it->id;
	}
	if (lg->rearm == it) {
		twheel_arm(lg->w, t, lg->w->now + 5);
	}
	if (lg->victim != NULL) {
		twheel_cancel(lg->w, &lg->victim->t);
	}
}

static void init_items(struct item *it, int n)
{
	for (int i = 0; i < n; i++) {
		memset(&it[i], 0, sizeof(it[i]));
		twheel_timer_init(&it[i].t);
		it[i].id = i;
	}
}

static void test_init_args(void **state)
{
	struct twheel_timer heads[SLOTS];
	struct twheel w;

	(void)state;
	assert_int_equal(twheel_init(&w, heads, 0, 0), -EINVAL);
	assert_int_equal(twheel_init(&w, heads, 1, 0), -EINVAL);
	assert_int_equal(twheel_init(&w, heads, 12, 0), -EINVAL);
	assert_int_equal(twheel_init(&w, NULL, 16, 0), -EINVAL);
	assert_int_equal(twheel_init(&w, heads, SLOTS, 100), 0);
	assert_int_equal(twheel_next(&w), UINT64_MAX);
}

static void test_fires_on_its_tick_in_arm_order(void **state)
{
	struct twheel_timer heads[SLOTS];
	struct item it[3];
	struct twheel w;
	struct log lg = {.w = &w};

	(void)state;
	init_items(it, 3);
	assert_int_equal(twheel_init(&w, heads, SLOTS, 1000), 0);
	twheel_arm(&w, &it[2].t, 1007);
	twheel_arm(&w, &it[0].t, 1007);
	twheel_arm(&w, &it[1].t, 1003);
	assert_int_equal(w.count, 3);
	assert_int_equal(twheel_next(&w), 1003);
	assert_int_equal(twheel_advance(&w, 1002, on_fire, &lg), 0);
	assert_int_equal(twheel_advance(&w, 1003, on_fire, &lg), 1);
	assert_int_equal(it[1].fired_at, 1003);
	assert_false(twheel_armed(&it[1].t));
	assert_int_equal(twheel_advance(&w, 1006, on_fire, &lg), 0);
	assert_int_equal(twheel_advance(&w, 1010, on_fire, &lg), 2);
	assert_int_equal(lg.order[1], 2); /* armed first */
	assert_int_equal(lg.order[2], 0);
	assert_int_equal(it[0].fired_at, 1007);
	assert_int_equal(w.count, 0);
	/* The clock never goes back. */
	assert_int_equal(twheel_advance(&w, 5, on_fire, &lg), 0);
	assert_int_equal(w.now, 1010);
}

static void test_cancel_and_rearm(void **state)
{
	struct twheel_timer heads[SLOTS];
	struct item it[2];
	struct twheel w;
	struct log lg = {.w = &w};

	(void)state;
	init_items(it, 2);
	assert_int_equal(twheel_init(&w, heads, SLOTS, 0), 0);
	twheel_arm(&w, &it[0].t, 4);
	twheel_arm(&w, &it[1].t, 4);
	twheel_cancel(&w, &it[0].t);
	twheel_cancel(&w, &it[0].t); /* twice is fine */
	twheel_arm(&w, &it[1].t, 9); /* moved, not duplicated */
	assert_int_equal(w.count, 1);
	assert_int_equal(twheel_advance(&w, 8, on_fire, &lg), 0);
	assert_int_equal(twheel_advance(&w, 9, on_fire, &lg), 1);
	assert_int_equal(it[0].fired, 0);
	assert_int_equal(it[1].fired, 1);
}

static void test_far_future_waits_whole_rotations(void **state)
{
	struct twheel_timer heads[SLOTS];
	struct item it[1];
	struct twheel w;
	struct log lg = {.w = &w};

	(void)state;
	init_items(it, 1);
	assert_int_equal(twheel_init(&w, heads, SLOTS, 0), 0);
	twheel_arm(&w, &it[0].t, 3 * SLOTS + 5); /* shares its slot with ticks 5, 21, 37 */
	for (uint64_t now = 1; now < 3 * SLOTS + 5; now++) {
		assert_int_equal(twheel_advance(&w, now, on_fire, &lg), 0);
	}
	assert_int_equal(twheel_advance(&w, 3 * SLOTS + 5, on_fire, &lg), 1);
	assert_int_equal(it[0].fired_at, 3 * SLOTS + 5);
}

static void test_big_jump_fires_everything_due_and_nothing_else(void **state)
{
	struct twheel_timer heads[SLOTS];
	struct item it[4];
	struct twheel w;
	struct log lg = {.w = &w};

	(void)state;
	init_items(it, 4);
	assert_int_equal(twheel_init(&w, heads, SLOTS, 0), 0);
	twheel_arm(&w, &it[0].t, 3);
	twheel_arm(&w, &it[1].t, 40);
	twheel_arm(&w, &it[2].t, 100);
	twheel_arm(&w, &it[3].t, 101); /* one tick late for the jump */
	assert_int_equal(twheel_advance(&w, 100, on_fire, &lg), 3);
	assert_int_equal(it[3].fired, 0);
	assert_true(twheel_armed(&it[3].t));
	assert_int_equal(twheel_advance(&w, 101, on_fire, &lg), 1);
}

static void test_past_due_fires_on_next_advance(void **state)
{
	struct twheel_timer heads[SLOTS];
	struct item it[1];
	struct twheel w;
	struct log lg = {.w = &w};

	(void)state;
	init_items(it, 1);
	assert_int_equal(twheel_init(&w, heads, SLOTS, 50), 0);
	twheel_arm(&w, &it[0].t, 10);
	assert_int_equal(twheel_next(&w), 10);
	assert_int_equal(twheel_advance(&w, 51, on_fire, &lg), 1);
}

/* A callback re-arms its own timer and cancels another one due in the same tick. */
static void test_callbacks_may_rearm_and_cancel(void **state)
{
	struct twheel_timer heads[SLOTS];
	struct item it[2];
	struct twheel w;
	struct log lg = {.w = &w};

	(void)state;
	init_items(it, 2);
	assert_int_equal(twheel_init(&w, heads, SLOTS, 0), 0);
	twheel_arm(&w, &it[0].t, 2);
	twheel_arm(&w, &it[1].t, 2);
	lg.rearm = &it[0];
	lg.victim = &it[1];
	assert_int_equal(twheel_advance(&w, 2, on_fire, &lg), 1);
	assert_int_equal(it[1].fired, 0);
	assert_false(twheel_armed(&it[1].t));
	assert_true(twheel_armed(&it[0].t));
	lg.victim = NULL;
	assert_int_equal(twheel_advance(&w, 17, on_fire, &lg), 3); /* ticks 7, 12, 17 */
	assert_int_equal(it[0].fired, 4);
	assert_int_equal(it[0].fired_at, 17);
}

/* Random arms, cancels and advances against a brute-force model of what must fire. */
static void test_random_model(void **state)
{
	enum { N = 64 };
	struct twheel_timer heads[SLOTS];
	struct item it[N];
	uint64_t model_exp[N];
	bool model_armed[N];
	struct twheel w;
	struct log lg = {.w = &w};
	uint64_t now = 0;
	uint32_t seed = 12345;

	(void)state;
	init_items(it, N);
	memset(model_armed, 0, sizeof(model_armed));
	assert_int_equal(twheel_init(&w, heads, SLOTS, 0), 0);
	for (int step = 0; step < 20000; step++) {
		uint32_t r;
		int i;

		seed = seed * 1103515245 + 12345;
		r = seed >> 8;
		i = (int)(r % N);
		switch ((r >> 8) % 4) {
		case 0:
		case 1: {
			uint64_t exp = now + ((r >> 12) % (3 * SLOTS));

			twheel_arm(&w, &it[i].t, exp);
			model_exp[i] = exp;
			model_armed[i] = true;
			break;
		}
		case 2:
			twheel_cancel(&w, &it[i].t);
			model_armed[i] = false;
			break;
		default: {
			uint64_t to = now + ((r >> 12) % (2 * SLOTS + 3));
			int before[N];

			for (int k = 0; k < N; k++) {
				before[k] = it[k].fired;
			}
			twheel_advance(&w, to, on_fire, &lg);
			for (int k = 0; k < N; k++) {
				/*
				 * An advance to a later tick fires every due timer (those armed
				 * in the past included); nothing else ever fires.
				 */
				bool due = model_armed[k] && to > now && model_exp[k] <= to;

				assert_int_equal(it[k].fired - before[k], due ? 1 : 0);
				assert_int_equal(twheel_armed(&it[k].t), model_armed[k] && !due);
				if (due) {
					model_armed[k] = false;
				}
			}
			if (to > now) {
				now = to;
			}
			break;
		}
		}
		{
			uint32_t armed = 0;

			for (int k = 0; k < N; k++) {
				armed += model_armed[k];
			}
			assert_int_equal(w.count, armed);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_args),
		cmocka_unit_test(test_fires_on_its_tick_in_arm_order),
		cmocka_unit_test(test_cancel_and_rearm),
		cmocka_unit_test(test_far_future_waits_whole_rotations),
		cmocka_unit_test(test_big_jump_fires_everything_due_and_nothing_else),
		cmocka_unit_test(test_past_due_fires_on_next_advance),
		cmocka_unit_test(test_callbacks_may_rearm_and_cancel),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
