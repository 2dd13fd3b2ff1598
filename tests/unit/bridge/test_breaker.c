/* SPDX-License-Identifier: Apache-2.0 */
/* test_breaker.c - the per-trust circuit breaker (dataplane/bridge/breaker.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "breaker.h"

#define S 1000000000ull

static void test_opens_after_threshold(void **state)
{
	struct sb_bridge_trust t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(breaker_check(&t, 1 * S), BREAKER_PASS);
	assert_int_equal(breaker_failure(&t, SB_FAIL_LINK_DOWN, 3, 300, 1 * S), 0);
	assert_int_equal(breaker_failure(&t, SB_FAIL_TIMEOUT, 3, 300, 2 * S), 0);
	assert_int_equal(breaker_check(&t, 2 * S), BREAKER_PASS);
	assert_int_equal(breaker_failure(&t, SB_FAIL_PEER_ERROR, 3, 300, 3 * S), 1);
	assert_int_equal(t.breaker, SB_BREAKER_OPEN);
	assert_int_equal(t.last_failure, SB_FAIL_PEER_ERROR);
	assert_int_equal(t.opened, 1);
	assert_int_equal(t.open_until_ns, 303 * S);
	assert_int_equal(breaker_check(&t, 100 * S), BREAKER_DENY);
	/* more failures while open do not restart the cooldown */
	assert_int_equal(breaker_failure(&t, SB_FAIL_LINK_DOWN, 3, 300, 200 * S), 0);
	assert_int_equal(t.open_until_ns, 303 * S);
	/* the seq counter is even when nobody writes */
	assert_int_equal(t.seq % 2, 0);
}

static void test_success_resets_count(void **state)
{
	struct sb_bridge_trust t;

	(void)state;
	memset(&t, 0, sizeof(t));
	(void)breaker_failure(&t, SB_FAIL_LINK_DOWN, 3, 300, 1 * S);
	(void)breaker_failure(&t, SB_FAIL_LINK_DOWN, 3, 300, 1 * S);
	breaker_success(&t);
	assert_int_equal(t.failures, 0);
	(void)breaker_failure(&t, SB_FAIL_LINK_DOWN, 3, 300, 1 * S);
	(void)breaker_failure(&t, SB_FAIL_LINK_DOWN, 3, 300, 1 * S);
	assert_int_equal(t.breaker, SB_BREAKER_CLOSED); /* not 3 in a row */
}

static void test_half_open_one_probe(void **state)
{
	struct sb_bridge_trust t;

	(void)state;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 3; i++) {
		(void)breaker_failure(&t, SB_FAIL_LINK_DOWN, 3, 5, 10 * S);
	}
	/* a success while open (the link came back) does not close it */
	breaker_success(&t);
	assert_int_equal(t.breaker, SB_BREAKER_OPEN);
	assert_int_equal(breaker_check(&t, 14 * S), BREAKER_DENY);
	/* cooldown over: exactly one probe, everyone else waits */
	assert_int_equal(breaker_check(&t, 15 * S), BREAKER_PROBE);
	assert_int_equal(t.breaker, SB_BREAKER_HALF_OPEN);
	assert_int_equal(breaker_check(&t, 15 * S), BREAKER_DENY);
	assert_int_equal(breaker_check(&t, 16 * S), BREAKER_DENY);
	/* the probe fails: open again at once for a new cooldown */
	assert_int_equal(breaker_failure(&t, SB_FAIL_TIMEOUT, 3, 5, 16 * S), 1);
	assert_int_equal(t.breaker, SB_BREAKER_OPEN);
	assert_int_equal(t.open_until_ns, 21 * S);
	assert_int_equal(t.opened, 2);
	/* the next probe succeeds: closed, count reset */
	assert_int_equal(breaker_check(&t, 21 * S), BREAKER_PROBE);
	breaker_success(&t);
	assert_int_equal(t.breaker, SB_BREAKER_CLOSED);
	assert_int_equal(t.failures, 0);
	assert_int_equal(breaker_check(&t, 21 * S), BREAKER_PASS);
}

static void test_default_threshold_and_names(void **state)
{
	struct sb_bridge_trust t;

	(void)state;
	memset(&t, 0, sizeof(t));
	/* threshold 0 means the default (3) */
	assert_int_equal(breaker_failure(&t, SB_FAIL_LINK_DOWN, 0, 1, 0), 0);
	assert_int_equal(breaker_failure(&t, SB_FAIL_LINK_DOWN, 0, 1, 0), 0);
	assert_int_equal(breaker_failure(&t, SB_FAIL_LINK_DOWN, 0, 1, 0), 1);
	assert_int_equal(t.threshold, BREAKER_DEFAULT_THRESHOLD);
	assert_string_equal(breaker_state_name(SB_BREAKER_CLOSED), "closed");
	assert_string_equal(breaker_state_name(SB_BREAKER_OPEN), "open");
	assert_string_equal(breaker_state_name(SB_BREAKER_HALF_OPEN), "half-open");
	assert_string_equal(breaker_state_name(9), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_after_threshold),
		cmocka_unit_test(test_success_resets_count),
		cmocka_unit_test(test_half_open_one_probe),
		cmocka_unit_test(test_default_threshold_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
