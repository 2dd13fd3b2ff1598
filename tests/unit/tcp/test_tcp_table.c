/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-lcore connection table: key layout, add/lookup/del, a full
 * bounded table, burst lookups against single lookups, a random workload
 * against a model, and the listeners' wildcard fallback. Runs rte_hash under
 * EAL with --no-huge and no devices.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "tcp_table.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return htonl((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d);
}

static void v6addr(uint8_t out[16], const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* Key i of a family of distinct keys; odd i are IPv6. */
static void key_n(struct tcp_key *k, uint32_t i)
{
	if (i & 1) {
		uint8_t l[16], r[16];

		v6addr(l, "2001:db8::1");
		v6addr(r, "2001:db8:1::");
		memcpy(r + 12, &i, 4);
		tcp_key6(k, l, 443, r, (uint16_t)(1024 + i % 50000));
	} else {
		tcp_key4(k, ip4(10, 0, 0, 1), 8080, htonl(0xc6120000u + i),
			 (uint16_t)(1024 + i % 60000));
	}
}

static struct tcp_table *new_table(const char *name, uint32_t cap)
{
	struct tcp_table *t = tcp_table_new(name, cap, SOCKET_ID_ANY);

	assert_non_null(t);
	return t;
}

static void test_key4_layout_and_padding(void **state)
{
	struct tcp_key k;
	static const uint8_t l[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
	static const uint8_t r[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};

	(void)state;
	memset(&k, 0xa5, sizeof(k));
	tcp_key4(&k, ip4(10, 0, 0, 1), 443, ip4(192, 0, 2, 7), 50000);
	assert_memory_equal(k.laddr, l, 16);
	assert_memory_equal(k.raddr, r, 16);
	assert_int_equal(k.lport, 443);
	assert_int_equal(k.rport, 50000);
	assert_int_equal(k.family, TCP_KEY_V4);
	assert_int_equal(k.pad[0] | k.pad[1] | k.pad[2], 0);
}

static void test_key6_padding_zeroed(void **state)
{
	struct tcp_key a, b;
	uint8_t l[16], r[16];

	(void)state;
	v6addr(l, "2001:db8::1");
	v6addr(r, "2001:db8::2");
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	tcp_key6(&a, l, 443, r, 1234);
	tcp_key6(&b, l, 443, r, 1234);
	/* Whatever was in the storage before, equal tuples give equal bytes. */
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.family, TCP_KEY_V6);
	assert_int_equal(a.pad[0] | a.pad[1] | a.pad[2], 0);
}

static void test_v4_and_v6_keys_never_collide(void **state)
{
	struct tcp_table *t = new_table("tt_v4v6", 64);
	struct tcp_key k4, k6;
	uint8_t l[16], r[16];
	uint32_t idx;

	(void)state;
	/* The IPv6 key carries exactly the IPv4-mapped addresses of the IPv4 key. */
	tcp_key4(&k4, ip4(10, 0, 0, 1), 443, ip4(192, 0, 2, 7), 50000);
	v6addr(l, "::ffff:10.0.0.1");
	v6addr(r, "::ffff:192.0.2.7");
	tcp_key6(&k6, l, 443, r, 50000);
	assert_memory_not_equal(&k4, &k6, sizeof(k4));
	assert_int_equal(tcp_table_add(t, &k4, 4), 0);
	assert_int_equal(tcp_table_lookup(t, &k6, &idx), -ENOENT);
	assert_int_equal(idx, TCP_CONN_NONE);
	assert_int_equal(tcp_table_add(t, &k6, 6), 0);
	assert_int_equal(tcp_table_lookup(t, &k4, &idx), 0);
	assert_int_equal(idx, 4);
	assert_int_equal(tcp_table_lookup(t, &k6, &idx), 0);
	assert_int_equal(idx, 6);
	assert_int_equal(tcp_table_count(t), 2);
	tcp_table_free(t);
}

static void test_add_lookup_del(void **state)
{
	struct tcp_table *t = new_table("tt_basic", 100);
	struct tcp_key k, other;
	uint32_t idx = 0;

	(void)state;
	assert_int_equal(tcp_table_capacity(t), 128);
	key_n(&k, 1);
	key_n(&other, 2);
	assert_int_equal(tcp_table_count(t), 0);
	assert_int_equal(tcp_table_lookup(t, &k, &idx), -ENOENT);
	assert_int_equal(tcp_table_add(t, &k, 0), 0); /* index 0 is a valid index */
	assert_int_equal(tcp_table_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(tcp_table_add(t, &other, 0x7fffffffu + 5), 0);
	assert_int_equal(tcp_table_lookup(t, &other, &idx), 0);
	assert_int_equal(idx, 0x7fffffffu + 5);
	assert_int_equal(tcp_table_count(t), 2);
	assert_int_equal(tcp_table_del(t, &k), 0);
	assert_int_equal(tcp_table_lookup(t, &k, &idx), -ENOENT);
	assert_int_equal(tcp_table_del(t, &k), -ENOENT);
	assert_int_equal(tcp_table_count(t), 1);
	assert_int_equal(tcp_table_add(t, &k, TCP_CONN_NONE), -EINVAL);
	tcp_table_free(t);
}

static void test_duplicate_add_keeps_first(void **state)
{
	struct tcp_table *t = new_table("tt_dup", 16);
	struct tcp_key k;
	uint32_t idx;

	(void)state;
	key_n(&k, 7);
	assert_int_equal(tcp_table_add(t, &k, 11), 0);
	assert_int_equal(tcp_table_add(t, &k, 12), -EEXIST);
	assert_int_equal(tcp_table_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 11);
	assert_int_equal(tcp_table_count(t), 1);
	tcp_table_free(t);
}

static void test_create_errors(void **state)
{
	struct tcp_table *t = new_table("tt_name", 8), *u;

	(void)state;
	assert_int_equal(tcp_table_capacity(t), 8);
	u = tcp_table_new("tt_name", 8, SOCKET_ID_ANY);
	assert_null(u);
	assert_int_equal(rte_errno, EEXIST);
	u = tcp_table_new("tt_zero", 0, SOCKET_ID_ANY);
	assert_null(u);
	assert_int_equal(rte_errno, EINVAL);
	u = tcp_table_new(NULL, 8, SOCKET_ID_ANY);
	assert_null(u);
	assert_int_equal(rte_errno, EINVAL);
	tcp_table_free(t);
	tcp_table_free(NULL);
	/* The name is free again after tcp_table_free; small capacities round up to a bucket. */
	t = new_table("tt_name", 3);
	assert_int_equal(tcp_table_capacity(t), 8);
	tcp_table_free(t);
}

static void test_full_table_enospc(void **state)
{
	struct tcp_table *t = new_table("tt_full", 64);
	uint32_t cap = tcp_table_capacity(t), added = 0, idx, i;
	struct tcp_key k;
	int rc = 0;

	(void)state;
	for (i = 0; i < 4 * cap; i++) {
		key_n(&k, i);
		rc = tcp_table_add(t, &k, i);
		if (rc != 0) {
			break;
		}
		added++;
	}
	/* Bounded: no extendable buckets, so it must fill and refuse. */
	assert_int_equal(rc, -ENOSPC);
	assert_true(added <= cap);
	assert_true(added >= cap / 2);
	assert_int_equal(tcp_table_count(t), added);
	for (uint32_t j = 0; j < added; j++) {
		key_n(&k, j);
		assert_int_equal(tcp_table_lookup(t, &k, &idx), 0);
		assert_int_equal(idx, j);
	}
	/* The refused key was not half-inserted. */
	key_n(&k, i);
	assert_int_equal(tcp_table_lookup(t, &k, &idx), -ENOENT);
	/* A deleted slot is reusable at once by the same key. */
	key_n(&k, 0);
	assert_int_equal(tcp_table_del(t, &k), 0);
	assert_int_equal(tcp_table_add(t, &k, 1000), 0);
	assert_int_equal(tcp_table_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 1000);
	tcp_table_free(t);
}

static void test_burst_matches_single_lookups(void **state)
{
	enum { N = 100 };
	struct tcp_table *t = new_table("tt_burst", 256);
	struct tcp_key keys[N];
	const struct tcp_key *kp[N];
	uint32_t out[N], out2[N], sig[N], single;
	uint64_t mask[2], mask2[2];
	uint16_t hits, expect = 0;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		key_n(&keys[i], i);
		kp[i] = &keys[i];
		if (rnd() % 3 != 0) {
			assert_int_equal(tcp_table_add(t, &keys[i], 5000 + i), 0);
			expect++;
		}
	}
	memset(out, 0xee, sizeof(out));
	hits = tcp_table_lookup_burst(t, kp, N, out, mask);
	assert_int_equal(hits, expect);
	tcp_table_hash_burst(t, kp, N, sig);
	hits = tcp_table_lookup_burst_hashed(t, kp, sig, N, out2, mask2);
	assert_int_equal(hits, expect);
	for (uint32_t i = 0; i < N; i++) {
		int rc = tcp_table_lookup(t, &keys[i], &single);
		bool bit = (mask[i / 64] >> (i % 64)) & 1;

		assert_int_equal(out[i], single);
		assert_int_equal(out2[i], single);
		assert_int_equal(bit, rc == 0);
		assert_int_equal((mask2[i / 64] >> (i % 64)) & 1, rc == 0);
		if (rc == 0) {
			assert_int_equal(single, 5000 + i);
		} else {
			assert_int_equal(single, TCP_CONN_NONE);
		}
	}
	/* Without a mask, and the empty burst. */
	assert_int_equal(tcp_table_lookup_burst(t, kp, N, out, NULL), expect);
	assert_int_equal(tcp_table_lookup_burst(t, kp, 0, out, NULL), 0);
	/* A wrong signature misses; it never returns another key's index. */
	sig[0] ^= 0x5555;
	hits = tcp_table_lookup_burst_hashed(t, kp, sig, 1, out2, NULL);
	assert_true(hits == 0 || out2[0] == out[0]);
	tcp_table_free(t);
}

static void test_random_ops_against_model(void **state)
{
	enum { KEYS = 600, OPS = 10000 };
	struct tcp_table *t = new_table("tt_model", 1024);
	static uint32_t model[KEYS]; /* TCP_CONN_NONE: absent */
	uint32_t present = 0, idx;
	struct tcp_key k;

	(void)state;
	for (uint32_t i = 0; i < KEYS; i++) {
		model[i] = TCP_CONN_NONE;
	}
	for (uint32_t op = 0; op < OPS; op++) {
		uint32_t i = rnd() % KEYS, v = rnd() % 1000000;
		int rc;

		key_n(&k, i);
		switch (rnd() % 3) {
		case 0:
			rc = tcp_table_add(t, &k, v);
			if (model[i] != TCP_CONN_NONE) {
				assert_int_equal(rc, -EEXIST);
			} else {
				assert_int_equal(rc, 0);
				model[i] = v;
				present++;
			}
			break;
		case 1:
			rc = tcp_table_del(t, &k);
			assert_int_equal(rc, model[i] != TCP_CONN_NONE ? 0 : -ENOENT);
			if (rc == 0) {
				model[i] = TCP_CONN_NONE;
				present--;
			}
			break;
		default:
			rc = tcp_table_lookup(t, &k, &idx);
			assert_int_equal(rc, model[i] != TCP_CONN_NONE ? 0 : -ENOENT);
			assert_int_equal(idx, model[i]);
			break;
		}
		assert_int_equal(tcp_table_count(t), present);
	}
	for (uint32_t i = 0; i < KEYS; i++) {
		key_n(&k, i);
		int rc = tcp_table_lookup(t, &k, &idx);

		assert_int_equal(rc, model[i] != TCP_CONN_NONE ? 0 : -ENOENT);
		assert_int_equal(idx, model[i]);
	}
	tcp_table_free(t);
}

static void test_listen_wildcard_fallback(void **state)
{
	struct tcp_table *t = new_table("tt_listen", 8);
	uint32_t a = ip4(10, 0, 0, 1), b = ip4(10, 0, 0, 2), idx;
	struct tcp_key k;

	(void)state;
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V4, NULL, 443, 1), 0);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V4, (const uint8_t *)&a, 443, 2), 0);
	assert_int_equal(tcp_listen_count(t), 2);
	/* Exact address wins, whatever the insertion order. */
	tcp_key4(&k, a, 443, ip4(192, 0, 2, 9), 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 2);
	/* Another local address falls back to the wildcard. */
	tcp_key4(&k, b, 443, ip4(192, 0, 2, 9), 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 1);
	/* Another port: nothing. */
	tcp_key4(&k, a, 80, ip4(192, 0, 2, 9), 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), -ENOENT);
	assert_int_equal(idx, TCP_CONN_NONE);
	/* Without the exact listener, the wildcard takes it; without both, nothing. */
	assert_int_equal(tcp_listen_del(t, TCP_KEY_V4, (const uint8_t *)&a, 443), 0);
	tcp_key4(&k, a, 443, ip4(192, 0, 2, 9), 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 1);
	/* 0.0.0.0 is the wildcard too. */
	assert_int_equal(tcp_listen_del(t, TCP_KEY_V4, (const uint8_t *)"\0\0\0\0", 443), 0);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), -ENOENT);
	assert_int_equal(tcp_listen_count(t), 0);
	tcp_table_free(t);
}

static void test_listen_port_shared_by_v4_and_v6(void **state)
{
	struct tcp_table *t = new_table("tt_dual", 8);
	uint8_t l6[16], r6[16], other6[16];
	struct tcp_key k;
	uint32_t idx;

	(void)state;
	v6addr(l6, "2001:db8::1");
	v6addr(other6, "2001:db8::99");
	v6addr(r6, "2001:db8:ffff::5");
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V4, NULL, 443, 40), 0);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V6, NULL, 443, 60), 0);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V6, l6, 443, 61), 0);
	tcp_key4(&k, ip4(10, 0, 0, 1), 443, ip4(192, 0, 2, 9), 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 40);
	tcp_key6(&k, other6, 443, r6, 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 60);
	tcp_key6(&k, l6, 443, r6, 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 61);
	/* Removing the IPv6 wildcard leaves IPv4 alone. */
	assert_int_equal(tcp_listen_del(t, TCP_KEY_V6, NULL, 443), 0);
	tcp_key6(&k, other6, 443, r6, 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), -ENOENT);
	tcp_key4(&k, ip4(10, 0, 0, 1), 443, ip4(192, 0, 2, 9), 40000);
	assert_int_equal(tcp_listen_lookup(t, &k, &idx), 0);
	assert_int_equal(idx, 40);
	tcp_table_free(t);
}

static void test_listen_errors(void **state)
{
	struct tcp_table *t = new_table("tt_lerr", 8);

	(void)state;
	assert_int_equal(tcp_listen_add(t, 5, NULL, 443, 1), -EINVAL);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V4, NULL, 0, 1), -EINVAL);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V4, NULL, 443, TCP_CONN_NONE), -EINVAL);
	assert_int_equal(tcp_listen_del(t, 5, NULL, 443), -EINVAL);
	assert_int_equal(tcp_listen_del(t, TCP_KEY_V4, NULL, 443), -ENOENT);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V4, NULL, 443, 1), 0);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V4, NULL, 443, 2), -EEXIST);
	for (uint16_t p = 1; p < TCP_LISTEN_MAX; p++) {
		assert_int_equal(tcp_listen_add(t, TCP_KEY_V6, NULL, p, p), 0);
	}
	assert_int_equal(tcp_listen_count(t), TCP_LISTEN_MAX);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V6, NULL, 9999, 1), -ENOSPC);
	/* A freed slot is reused. */
	assert_int_equal(tcp_listen_del(t, TCP_KEY_V6, NULL, 7), 0);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V6, NULL, 9999, 1), 0);
	tcp_table_free(t);
}

static void test_dump(void **state)
{
	struct tcp_table *t = new_table("tt_dump", 8);
	struct tcp_key k;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(tcp_listen_add(t, TCP_KEY_V4, NULL, 443, 1), 0);
	tcp_key4(&k, ip4(10, 0, 0, 1), 443, ip4(192, 0, 2, 9), 40000);
	assert_int_equal(tcp_table_add(t, &k, 77), 0);
	key_n(&k, 3);
	assert_int_equal(tcp_table_add(t, &k, 78), 0);
	tcp_table_dump(f, t, 1);
	fclose(f);
	assert_non_null(strstr(buf, "tt_dump: 2/8 connections"));
	assert_non_null(strstr(buf, "listen v4 0.0.0.0:443 -> 1"));
	assert_non_null(strstr(buf, "1 more"));
	free(buf);
	tcp_table_free(t);
}

int main(void)
{
	char prefix[64];
	char *eal[] = {"test_tcp_table", "--no-huge", "-m", "64", "--no-pci", "--no-telemetry",
		       "--no-shconf", "--file-prefix", prefix, "--log-level", "lib.eal:error",
		       NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key4_layout_and_padding),
		cmocka_unit_test(test_key6_padding_zeroed),
		cmocka_unit_test(test_v4_and_v6_keys_never_collide),
		cmocka_unit_test(test_add_lookup_del),
		cmocka_unit_test(test_duplicate_add_keeps_first),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_full_table_enospc),
		cmocka_unit_test(test_burst_matches_single_lookups),
		cmocka_unit_test(test_random_ops_against_model),
		cmocka_unit_test(test_listen_wildcard_fallback),
		cmocka_unit_test(test_listen_port_shared_by_v4_and_v6),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_dump),
	};
	int rc;

	snprintf(prefix, sizeof(prefix), "sbunit_tcptab_%d", getpid());
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	/* EAL leaves its (empty, with --no-shconf) runtime directory behind. */
	snprintf(prefix, sizeof(prefix), "/var/run/dpdk/sbunit_tcptab_%d", getpid());
	rmdir(prefix);
	return rc;
}
