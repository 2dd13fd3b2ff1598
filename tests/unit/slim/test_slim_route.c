/* SPDX-License-Identifier: Apache-2.0 */
/* test_slim_route.c - the SLIM subscription table and its lookups. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "slim_route.h"

/* A name under prefix (1, 2, svc) with id |id| (SLIM_ID_ANY: any). */
#define NM(svc, id)                                                                        \
	(&(struct slim_name){{1, 2, (svc)}, (id) == SLIM_ID_ANY ? SLIM_ID_ANY : 0, (id)})

/* Anycast: never the ingress, local subscribers first, round robin among equals. */
static void test_anycast(void **state)
{
	struct slim_route *t = slim_route_new();
	struct slim_name any = *NM(3, SLIM_ID_ANY);
	uint32_t out, seen[8] = {0};

	(void)state;
	assert_non_null(t);
	assert_int_equal(slim_route_add(t, &(struct slim_name){{1, 2, 3}, 0, 10}, 1, false), 0);
	assert_int_equal(slim_route_add(t, &(struct slim_name){{1, 2, 3}, 0, 11}, 2, true), 0);
	assert_int_equal(slim_route_add(t, &(struct slim_name){{1, 2, 3}, 0, 12}, 3, true), 0);
	for (int i = 0; i < 10; i++) {
		assert_true(slim_route_anycast(t, &any, 3, false, &out));
		seen[out]++;
	}
	assert_int_equal(seen[3], 0); /* the ingress */
	assert_int_equal(seen[1], 0); /* a remote one while a local one is there */
	assert_int_equal(seen[2], 10);
	/* Only remote ones left besides the ingress. */
	assert_int_equal(slim_route_del_conn(t, 2), 1);
	assert_true(slim_route_anycast(t, &any, 3, false, &out));
	assert_int_equal(out, 1);
	/* A specific id goes to its own subscriber only. */
	assert_true(slim_route_anycast(t, &(struct slim_name){{1, 2, 3}, 0, 12}, 1, false, &out));
	assert_int_equal(out, 3);
	assert_false(slim_route_anycast(t, &(struct slim_name){{1, 2, 3}, 0, 12}, 3, false, &out));
	assert_false(slim_route_anycast(t, NM(4, SLIM_ID_ANY), 0, false, &out));
	slim_route_free(t);
}

static void test_round_robin(void **state)
{
	struct slim_route *t = slim_route_new();
	struct slim_name any = *NM(3, SLIM_ID_ANY);
	uint32_t out, seen[4] = {0};

	(void)state;
	for (uint32_t c = 1; c <= 3; c++) {
		assert_int_equal(slim_route_add(t, &(struct slim_name){{1, 2, 3}, 0, c}, c, true), 0);
	}
	for (int i = 0; i < 30; i++) {
		assert_true(slim_route_anycast(t, &any, 0, false, &out));
		seen[out]++;
	}
	assert_int_equal(seen[1], 10);
	assert_int_equal(seen[2], 10);
	assert_int_equal(seen[3], 10);
	slim_route_free(t);
}

/* Multicast: every match but the ingress, once each; an any-id subscription matches all ids. */
static void test_multicast(void **state)
{
	struct slim_route *t = slim_route_new();
	uint32_t out[8], n;

	(void)state;
	assert_int_equal(slim_route_add(t, NM(3, SLIM_ID_ANY), 1, true), 0);
	assert_int_equal(slim_route_add(t, NM(3, 7), 2, true), 0);
	assert_int_equal(slim_route_add(t, NM(3, 8), 2, true), 0); /* twice: delivered once */
	assert_int_equal(slim_route_add(t, NM(3, 9), 3, false), 0);
	assert_int_equal(slim_route_add(t, NM(3, 9), 3, false), 0); /* idempotent */
	assert_int_equal(slim_route_count(t), 4);
	n = slim_route_multicast(t, NM(3, SLIM_ID_ANY), 3, false, out, 8);
	assert_int_equal(n, 2);
	n = slim_route_multicast(t, NM(3, 7), 0, false, out, 8);
	assert_int_equal(n, 2); /* the any-id subscriber 1 and id 7's subscriber 2 */
	n = slim_route_multicast(t, NM(3, 9), 1, false, out, 8);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 3);
	/* Apps only (a publish from another node): subscriber 3 is a remote one. */
	n = slim_route_multicast(t, NM(3, 9), 1, true, out, 8);
	assert_int_equal(n, 0);
	slim_route_free(t);
}

/* Unsubscribe and connection loss; prefixes come and go; many prefixes grow the table. */
static void test_del_and_grow(void **state)
{
	struct slim_route *t = slim_route_new();
	uint32_t out;

	(void)state;
	for (uint64_t s = 0; s < 5000; s++) {
		assert_int_equal(slim_route_add(t, NM(s, s), (uint32_t)(s % 7), true), 0);
	}
	assert_int_equal(slim_route_count(t), 5000);
	assert_int_equal(slim_route_del(t, NM(42, 42), 0), 0);
	assert_int_equal(slim_route_del(t, NM(42, 42), 0), -ENOENT);
	assert_false(slim_route_anycast(t, NM(42, 42), 99, false, &out));
	assert_int_equal(slim_route_del_conn(t, 3), 714);
	assert_int_equal(slim_route_count(t), 5000 - 1 - 714);
	for (uint64_t s = 0; s < 5000; s++) {
		bool want = s != 42 && s % 7 != 3;

		assert_int_equal(slim_route_anycast(t, NM(s, s), 99, false, &out), want);
	}
	slim_route_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anycast),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_multicast),
		cmocka_unit_test(test_del_and_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
