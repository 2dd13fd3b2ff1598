/* SPDX-License-Identifier: Apache-2.0 */
/* Port impairment: seeded rates, determinism, and what impair_burst does to mbufs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "conf/conf.h"
#include "port/impair.h"

static struct rte_mempool *pool;

static struct conf_impair cfg(double drop, double dup, double reorder, uint64_t seed)
{
	struct conf_impair c = {.drop = drop, .duplicate = dup, .reorder = reorder, .seed = seed};

	c.enabled = drop > 0 || dup > 0 || reorder > 0;
	return c;
}

static void test_rates_follow_the_configuration(void **state)
{
	struct conf_impair c = cfg(0.01, 0.001, 0.05, 1);
	struct impair im;
	unsigned counts[4] = {0};
	const unsigned n = 1000000;

	(void)state;
	impair_init(&im, &c, 0);
	assert_true(im.enabled);
	for (unsigned i = 0; i < n; i++) {
		counts[impair_decide(&im)]++;
	}
	/* Within about 5 standard deviations of the expected counts. */
	assert_in_range(counts[IMPAIR_DROP], 9500, 10500);
	assert_in_range(counts[IMPAIR_DUPLICATE], 840, 1160);
	assert_in_range(counts[IMPAIR_REORDER], 48400, 50600);
}

static void test_same_seed_same_decisions_other_seed_differs(void **state)
{
	struct conf_impair c1 = cfg(0.3, 0.1, 0.1, 42), c2 = cfg(0.3, 0.1, 0.1, 43);
	struct impair a, b, d, e;
	unsigned same_stream = 0, other_seed = 0, other_stream = 0;

	(void)state;
	impair_init(&a, &c1, 5);
	impair_init(&b, &c1, 5);
	impair_init(&d, &c2, 5);
	impair_init(&e, &c1, 6);
	for (unsigned i = 0; i < 10000; i++) {
		enum impair_action x = impair_decide(&a);

		same_stream += x == impair_decide(&b);
		other_seed += x == impair_decide(&d);
		other_stream += x == impair_decide(&e);
	}
	assert_int_equal(same_stream, 10000);
	assert_true(other_seed < 9000);
	assert_true(other_stream < 9000);
}

static void test_disabled_by_default(void **state)
{
	struct conf_impair c = cfg(0, 0, 0, 1);
	struct impair im;

	(void)state;
	impair_init(&im, &c, 0);
	assert_false(im.enabled);
	for (unsigned i = 0; i < 1000; i++) {
		assert_int_equal(impair_decide(&im), IMPAIR_PASS);
	}
}

static uint16_t fill(struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		pkts[i] = rte_pktmbuf_alloc(pool);
		assert_non_null(pkts[i]);
		*(uint32_t *)rte_pktmbuf_append(pkts[i], 4) = i;
	}
	return n;
}

static uint32_t tag(struct rte_mbuf *m)
{
	return *rte_pktmbuf_mtod(m, uint32_t *);
}

static void test_burst_drop_all(void **state)
{
	struct conf_impair c = cfg(1.0, 0, 0, 1);
	struct rte_mbuf *pkts[32];
	unsigned avail = rte_mempool_avail_count(pool);
	struct impair im;

	(void)state;
	impair_init(&im, &c, 0);
	assert_int_equal(impair_burst(&im, pkts, fill(pkts, 32), 32, 0), 0);
	assert_int_equal(im.dropped, 32);
	assert_int_equal(rte_mempool_avail_count(pool), avail); /* all freed */
}

static void test_burst_duplicate_makes_independent_copies(void **state)
{
	struct conf_impair c = cfg(0, 1.0, 0, 1);
	struct rte_mbuf *pkts[64];
	struct impair im;
	uint16_t n;

	(void)state;
	impair_init(&im, &c, 0);
	n = impair_burst(&im, pkts, fill(pkts, 8), 64, 0);
	assert_int_equal(n, 16);
	for (uint16_t i = 0; i < 16; i += 2) {
		assert_ptr_not_equal(pkts[i], pkts[i + 1]);
		assert_int_equal(tag(pkts[i]), i / 2);
		assert_int_equal(tag(pkts[i + 1]), i / 2);
		assert_ptr_not_equal(rte_pktmbuf_mtod(pkts[i], void *),
				     rte_pktmbuf_mtod(pkts[i + 1], void *));
	}
	rte_pktmbuf_free_bulk(pkts, n);
	/* No room: duplicates are skipped, nothing is lost. */
	n = impair_burst(&im, pkts, fill(pkts, 8), 8, 0);
	assert_int_equal(n, 8);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* A full array never grows: no duplicate, and a held packet stays held. */
static void test_burst_never_exceeds_cap(void **state)
{
	struct conf_impair c = cfg(0, 1.0, 0, 1), r = cfg(0, 0, 1.0, 1);
	struct rte_mbuf *pkts[64];
	struct impair im;
	uint16_t n;

	(void)state;
	impair_init(&im, &r, 0);
	assert_int_equal(impair_burst(&im, pkts, fill(pkts, 1), 16, 0), 0); /* now held */
	/* Reorder everything into a burst exactly as large as the array. */
	n = impair_burst(&im, pkts, fill(pkts, 16), 16, 0);
	assert_true(n <= 16);
	rte_pktmbuf_free_bulk(pkts, n);
	impair_release(&im);
	impair_init(&im, &c, 0);
	n = impair_burst(&im, pkts, fill(pkts, 16), 16, 0);
	assert_int_equal(n, 16);
	assert_int_equal(im.duplicated, 0);
	rte_pktmbuf_free_bulk(pkts, n);
}

static void test_burst_reorder_holds_one_and_flush_releases_it(void **state)
{
	struct conf_impair c = cfg(0, 0, 1.0, 1);
	struct rte_mbuf *pkts[32], *late;
	struct impair im;
	uint16_t n;

	(void)state;
	impair_init(&im, &c, 0);
	/* Each held packet goes out right after the one that overtook it. */
	n = impair_burst(&im, pkts, fill(pkts, 4), 32, 500);
	assert_int_equal(n, 4);
	assert_int_equal(tag(pkts[0]), 1);
	assert_int_equal(tag(pkts[1]), 0);
	assert_int_equal(tag(pkts[2]), 3);
	assert_int_equal(tag(pkts[3]), 2);
	assert_null(im.held);
	rte_pktmbuf_free_bulk(pkts, n);

	/* A lone packet stays held until impair_flush finds it old enough. */
	assert_int_equal(impair_burst(&im, pkts, fill(pkts, 1), 32, 1000), 0);
	assert_non_null(im.held);
	assert_int_equal(tag(im.held), 0);
	assert_null(impair_flush(&im, 1000, 1000));	/* same poll: not yet */
	assert_null(impair_flush(&im, 999, 1000));	/* clock behind the hold: not yet */
	assert_null(impair_flush(&im, 1999, 1000));
	late = impair_flush(&im, 2000, 1000);
	assert_non_null(late);
	assert_int_equal(tag(late), 0);
	assert_null(im.held);
	rte_pktmbuf_free(late);
	impair_release(&im);
}

int main(void)
{
	char prefix[64];
	char *eal[] = {"test_impair", "--no-huge", "-m", "64", "--no-pci", "--no-telemetry",
		       "--no-shconf", "--file-prefix", prefix, "--log-level", "lib.eal:error",
		       NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_follow_the_configuration),
		cmocka_unit_test(test_same_seed_same_decisions_other_seed_differs),
		cmocka_unit_test(test_disabled_by_default),
		cmocka_unit_test(test_burst_drop_all),
		cmocka_unit_test(test_burst_duplicate_makes_independent_copies),
		cmocka_unit_test(test_burst_reorder_holds_one_and_flush_releases_it),
		cmocka_unit_test(test_burst_never_exceeds_cap),
	};
	int rc;

	snprintf(prefix, sizeof(prefix), "sbunit_impair_%d", getpid());
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("impair", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL) {
		fprintf(stderr, "mempool failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	/* EAL leaves its (empty, with --no-shconf) runtime directory behind. */
	snprintf(prefix, sizeof(prefix), "/var/run/dpdk/sbunit_impair_%d", getpid());
	rmdir(prefix);
	return rc;
}
