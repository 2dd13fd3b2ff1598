/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fed_sched.c - the federation module's rules without I/O
 * (control/fed/ctl_fed_sched.c): which bundle is current (sequence,
 * override, file), the refresh interval from the hint, the backoff of
 * failed refreshes and staleness, on invented clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_fed_sched.h"

static struct ctl_fed_ver ver(enum ctl_fed_source src, bool has_seq, uint64_t seq, const char *doc)
{
	return (struct ctl_fed_ver){.src = src, .has_seq = has_seq, .seq = seq,
				    .doc = (const uint8_t *)doc, .len = doc != NULL ? strlen(doc) : 0};
}

static enum ctl_fed_verdict judge(struct ctl_fed_ver cur, struct ctl_fed_ver got)
{
	return ctl_fed_sched_judge(&cur, &got);
}

static void test_first_bundle_is_taken(void **state)
{
	(void)state;
	assert_int_equal(judge(ver(CTL_FED_SRC_NONE, false, 0, NULL),
			       ver(CTL_FED_SRC_FETCH, true, 5, "{a}")), CTL_FED_NEW);
	assert_int_equal(judge(ver(CTL_FED_SRC_NONE, false, 0, NULL),
			       ver(CTL_FED_SRC_FETCH, false, 0, "{a}")), CTL_FED_NEW);
	assert_int_equal(judge(ver(CTL_FED_SRC_NONE, false, 0, NULL),
			       ver(CTL_FED_SRC_OVERRIDE, true, 1, "{a}")), CTL_FED_NEW);
}

static void test_sequence_orders_fetches(void **state)
{
	struct ctl_fed_ver cur = ver(CTL_FED_SRC_FETCH, true, 7, "{seven}");

	(void)state;
	assert_int_equal(judge(cur, ver(CTL_FED_SRC_FETCH, true, 8, "{eight}")), CTL_FED_NEWER);
	assert_int_equal(judge(cur, ver(CTL_FED_SRC_FETCH, true, UINT64_MAX, "{max}")), CTL_FED_NEWER);
	/* Never backwards; the same number with other bytes is refused too. */
	assert_int_equal(judge(cur, ver(CTL_FED_SRC_FETCH, true, 6, "{six}")), CTL_FED_OLDER);
	assert_int_equal(judge(cur, ver(CTL_FED_SRC_FETCH, true, 0, "{zero}")), CTL_FED_OLDER);
	assert_int_equal(judge(cur, ver(CTL_FED_SRC_FETCH, true, 7, "{other}")), CTL_FED_CONFLICT);
	/* Byte for byte the current one: a confirmation, whatever it says. */
	assert_int_equal(judge(cur, ver(CTL_FED_SRC_FETCH, true, 7, "{seven}")), CTL_FED_SAME);
	assert_true(ctl_fed_sched_refused(CTL_FED_OLDER));
	assert_true(ctl_fed_sched_refused(CTL_FED_CONFLICT));
	assert_false(ctl_fed_sched_refused(CTL_FED_SAME));
	assert_false(ctl_fed_sched_refused(CTL_FED_NEWER));
	assert_false(ctl_fed_sched_refused(CTL_FED_NEW));
}

static void test_without_sequence_newest_counts(void **state)
{
	(void)state;
	/* Spec 5.5: no spiffe_sequence, the most recently retrieved is current. */
	assert_int_equal(judge(ver(CTL_FED_SRC_FETCH, false, 0, "{a}"),
			       ver(CTL_FED_SRC_FETCH, false, 0, "{b}")), CTL_FED_NEWER);
	assert_int_equal(judge(ver(CTL_FED_SRC_FETCH, true, 9, "{a}"),
			       ver(CTL_FED_SRC_FETCH, false, 0, "{b}")), CTL_FED_NEWER);
	assert_int_equal(judge(ver(CTL_FED_SRC_FETCH, false, 0, "{a}"),
			       ver(CTL_FED_SRC_FETCH, true, 1, "{b}")), CTL_FED_NEWER);
	assert_int_equal(judge(ver(CTL_FED_SRC_FETCH, false, 0, "{a}"),
			       ver(CTL_FED_SRC_FETCH, false, 0, "{a}")), CTL_FED_SAME);
}

static void test_override_until_next_refresh(void **state)
{
	(void)state;
	/* The operator's override is taken whatever its sequence... */
	assert_int_equal(judge(ver(CTL_FED_SRC_FETCH, true, 9, "{a}"),
			       ver(CTL_FED_SRC_OVERRIDE, true, 2, "{b}")), CTL_FED_NEWER);
	assert_int_equal(judge(ver(CTL_FED_SRC_FETCH, true, 9, "{a}"),
			       ver(CTL_FED_SRC_OVERRIDE, true, 9, "{a}")), CTL_FED_SAME);
	/* ...and the next good fetch replaces it, whatever its sequence. */
	assert_int_equal(judge(ver(CTL_FED_SRC_OVERRIDE, true, 50, "{b}"),
			       ver(CTL_FED_SRC_FETCH, true, 3, "{c}")), CTL_FED_NEWER);
	assert_int_equal(judge(ver(CTL_FED_SRC_OVERRIDE, true, 50, "{b}"),
			       ver(CTL_FED_SRC_FETCH, true, 50, "{c}")), CTL_FED_NEWER);
	/* A file (our own) is never refused either. */
	assert_int_equal(judge(ver(CTL_FED_SRC_FILE, true, 2, "{b}"),
			       ver(CTL_FED_SRC_FILE, true, 1, "{a}")), CTL_FED_NEWER);
}

static void test_interval_from_hint(void **state)
{
	(void)state;
	assert_int_equal(ctl_fed_sched_interval_ms(false, 0), 300000);
	assert_int_equal(ctl_fed_sched_interval_ms(false, 42), 300000);
	assert_int_equal(ctl_fed_sched_interval_ms(true, 0), 1000);
	assert_int_equal(ctl_fed_sched_interval_ms(true, 1), 1000);
	assert_int_equal(ctl_fed_sched_interval_ms(true, 60), 60000);
	assert_int_equal(ctl_fed_sched_interval_ms(true, 86400), 86400000);
	assert_int_equal(ctl_fed_sched_interval_ms(true, 86401), 86400000);
	assert_int_equal(ctl_fed_sched_interval_ms(true, UINT64_MAX), 86400000);
}

static void test_backoff_doubles_up_to_the_interval(void **state)
{
	static const uint64_t want[] = {5000, 10000, 20000, 40000, 80000, 160000, 300000, 300000};

	(void)state;
	for (uint32_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(ctl_fed_sched_backoff_ms(i + 1, 5000, 300000), want[i]);
	}
	/* Many failures: no overflow, still the cap. */
	assert_int_equal(ctl_fed_sched_backoff_ms(1000, 5000, 300000), 300000);
	assert_int_equal(ctl_fed_sched_backoff_ms(UINT32_MAX, UINT64_MAX / 3, UINT64_MAX), UINT64_MAX);
	/* A first retry longer than the refresh interval: the interval (never slower). */
	assert_int_equal(ctl_fed_sched_backoff_ms(1, 5000, 1000), 1000);
	assert_int_equal(ctl_fed_sched_backoff_ms(0, 5000, 1000), 1000);
	assert_int_equal(ctl_fed_sched_backoff_ms(3, 0, 0), 1);
}

static void test_staleness(void **state)
{
	const uint64_t ok = 1700000000000ull;

	(void)state;
	assert_false(ctl_fed_sched_stale(ok, ok, 86400));
	assert_false(ctl_fed_sched_stale(ok, ok + 86400000, 86400));
	assert_true(ctl_fed_sched_stale(ok, ok + 86400001, 86400));
	assert_true(ctl_fed_sched_stale(ok, ok + 2001, 2));
	/* Unknown, or a clock set back: not stale. */
	assert_false(ctl_fed_sched_stale(0, ok, 1));
	assert_false(ctl_fed_sched_stale(ok, ok - 5000, 1));
	assert_false(ctl_fed_sched_stale(1, UINT64_MAX, UINT64_MAX));
}

static void test_source_names(void **state)
{
	(void)state;
	for (int i = CTL_FED_SRC_FILE; i <= CTL_FED_SRC_OVERRIDE; i++) {
		assert_int_equal(ctl_fed_source_parse(ctl_fed_source_name((enum ctl_fed_source)i)), i);
	}
	assert_string_equal(ctl_fed_source_name(CTL_FED_SRC_FETCH), "fetch");
	assert_int_equal(ctl_fed_source_parse("nonsense"), CTL_FED_SRC_NONE);
	assert_int_equal(ctl_fed_source_parse(""), CTL_FED_SRC_NONE);
	assert_int_equal(ctl_fed_source_parse(NULL), CTL_FED_SRC_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_bundle_is_taken),
		cmocka_unit_test(test_sequence_orders_fetches),
		cmocka_unit_test(test_without_sequence_newest_counts),
		cmocka_unit_test(test_override_until_next_refresh),
		cmocka_unit_test(test_interval_from_hint),
		cmocka_unit_test(test_backoff_doubles_up_to_the_interval),
		cmocka_unit_test(test_staleness),
		cmocka_unit_test(test_source_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
