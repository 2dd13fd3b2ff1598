/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-tcp-table: TSC cycles per lookup of the per-lcore connection table
 * (tcp_table.h), single lookups against bursts of 32, at several table
 * sizes, with two references measured in the same run. Prints; it asserts
 * nothing.
 *
 *   tcp_table   our table: 40-byte key, rte_hash_crc (CRC32-C), through
 *               tcp_table_lookup and tcp_table_lookup_burst.
 *   jhash40     the same rte_hash parameters with rte_jhash instead, called
 *               directly: the hash function choice.
 *   anchor16    rte_hash with its default parameters (default hash function,
 *               no flags) on a 16-byte key, the shape DPDK's own
 *               hash_perf_autotest measures: the ratio tcp_table/anchor16 is
 *               what our 40-byte key and wrapper cost.
 *
 * Every table holds |size| random keys (half IPv4, half IPv6) in a capacity
 * of the next power of two at or above 1.25 x size (load 50..80 %); the
 * lookups are all hits, in a random order over the whole table, so large
 * tables pay cache and TLB misses as a busy worker would.
 *
 * Usage: bench-tcp-table [--lookups N] [--max-size N] [--repeat N] [--no-huge]
 * Each case runs --repeat times (3) and the fastest run is printed.
 * Hugepages are used when at least 512 are free (scripts/hugepages reserves
 * them); otherwise it runs with --no-huge and says so.
 */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_lcore.h>

#include "tcp_table.h"
#include "perf_util.h"

#define BURST 32

struct cost {
	double single;
	double bulk;
};

/* Keep the fastest of repeated runs: the least disturbed by the rest of the machine. */
static void keep_min(struct cost *best, struct cost c)
{
	best->single = RTE_MIN(best->single, c.single);
	best->bulk = RTE_MIN(best->bulk, c.bulk);
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint32_t capacity_for(uint32_t size)
{
	return rte_align32pow2(size + size / 4);
}

/* |n| random keys, distinct with overwhelming probability (a duplicate is skipped on add). */
static void make_keys(struct tcp_key *k, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = rnd64(), b = rnd64();

		if (i & 1) {
			uint8_t l[16] = {0x20, 0x01, 0x0d, 0xb8};
			uint8_t r[16] = {0x20, 0x01, 0x0d, 0xb8, 1};

			memcpy(r + 8, &a, 8);
			tcp_key6(&k[i], l, 443, r, (uint16_t)b);
		} else {
			tcp_key4(&k[i], 0x0100000a, 443, (uint32_t)a, (uint16_t)(b | 1024));
		}
	}
}

/* Cycles per hash of |len| bytes with |fn| over |n| keys. */
static double time_hash(rte_hash_function fn, const struct tcp_key *k, uint32_t n,
			uint32_t len)
{
	uint32_t acc = 0;
	uint64_t t0 = rte_rdtsc_precise();

	for (uint32_t i = 0; i < n; i++) {
		acc += fn(&k[i], len, 0); /* independent keys: throughput, as in a burst */
	}
	uint64_t t1 = rte_rdtsc_precise();
	if (acc == 0x12345678) {
		printf(" ");
	}
	return (double)(t1 - t0) / n;
}

static struct cost time_ours(const struct tcp_key *keys, uint32_t size, const uint32_t *order,
			     uint32_t nl)
{
	struct cost c = {0};
	int socket = (int)rte_socket_id();
	struct tcp_table *t = tcp_table_new("bench_tcp", capacity_for(size), socket);
	const struct tcp_key *kp[BURST];
	uint32_t out[BURST], idx, acc = 0;
	uint64_t t0;

	if (t == NULL) {
		printf("tcp_table_new(%u): %s\n", size, rte_strerror(rte_errno));
		return c;
	}
	for (uint32_t i = 0; i < size; i++) {
		(void)!tcp_table_add(t, &keys[i], i);
	}
	t0 = rte_rdtsc_precise();
	for (uint32_t i = 0; i < nl; i++) {
		(void)!tcp_table_lookup(t, &keys[order[i]], &idx);
		acc += idx;
	}
	c.single = (double)(rte_rdtsc_precise() - t0) / nl;
	t0 = rte_rdtsc_precise();
	for (uint32_t i = 0; i + BURST <= nl; i += BURST) {
		for (uint32_t j = 0; j < BURST; j++) {
			kp[j] = &keys[order[i + j]];
		}
		acc += tcp_table_lookup_burst(t, kp, BURST, out, NULL);
		acc += out[BURST - 1];
	}
	c.bulk = (double)(rte_rdtsc_precise() - t0) / (nl / BURST * BURST);
	if (acc == 0x12345678) {
		printf(" ");
	}
	tcp_table_free(t);
	return c;
}

/*
 * A raw rte_hash of |key_len|-byte keys, key i at |base| + i * |stride|, with
 * hash function |fn| (NULL: rte_hash's default).
 */
static struct cost time_raw(const uint8_t *base, size_t stride, uint32_t size,
			    const uint32_t *order, uint32_t nl, uint32_t key_len,
			    rte_hash_function fn)
{
	struct rte_hash_parameters p = {
		.name = "bench_raw",
		.entries = capacity_for(size),
		.key_len = key_len,
		.hash_func = fn,
		.hash_func_init_val = 0,
		.socket_id = (int)rte_socket_id(),
	};
	struct cost c = {0};
	struct rte_hash *h = rte_hash_create(&p);
	const void *kp[BURST];
	void *data[BURST], *d;
	uint64_t mask, t0;
	uintptr_t acc = 0;

	if (h == NULL) {
		printf("rte_hash_create(%u, %u bytes): %s\n", size, key_len,
		       rte_strerror(rte_errno));
		return c;
	}
	for (uint32_t i = 0; i < size; i++) {
		(void)rte_hash_add_key_data(h, base + i * stride, (void *)(uintptr_t)i);
	}
	t0 = rte_rdtsc_precise();
	for (uint32_t i = 0; i < nl; i++) {
		if (rte_hash_lookup_data(h, base + order[i] * stride, &d) >= 0) {
			acc += (uintptr_t)d;
		}
	}
	c.single = (double)(rte_rdtsc_precise() - t0) / nl;
	t0 = rte_rdtsc_precise();
	for (uint32_t i = 0; i + BURST <= nl; i += BURST) {
		for (uint32_t j = 0; j < BURST; j++) {
			kp[j] = base + order[i + j] * stride;
		}
		acc += (uintptr_t)rte_hash_lookup_bulk_data(h, kp, BURST, &mask, data);
		acc += (uintptr_t)data[BURST - 1];
	}
	c.bulk = (double)(rte_rdtsc_precise() - t0) / (nl / BURST * BURST);
	if (acc == 0x12345678) {
		printf(" ");
	}
	rte_hash_free(h);
	return c;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"lookups", required_argument, NULL, 'l'},
		{"max-size", required_argument, NULL, 's'},
		{"repeat", required_argument, NULL, 'r'},
		{"no-huge", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const uint32_t sizes[] = {1024, 65536, 1048576};
	uint32_t nl = 1u << 21, max_size = 1048576;
	unsigned repeat = 3;
	bool no_huge = false;
	char prefix[64];
	char *eal[16];
	int n = 0, c;
	struct tcp_key *keys;
	uint32_t *order;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			nl = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			max_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			repeat = (unsigned)RTE_MAX(1ul, strtoul(optarg, NULL, 0));
			break;
		case 'n':
			no_huge = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s [--lookups N (2097152)] [--max-size N (1048576)] "
				"[--repeat N (3, fastest kept)] [--no-huge]\n",
				argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (nl < BURST) {
		nl = BURST;
	}
	if (!no_huge && !perf_hugepages_free()) {
		no_huge = true;
		printf("note: fewer than 512 free hugepages (run scripts/hugepages); "
		       "using --no-huge\n");
	}
	snprintf(prefix, sizeof(prefix), "sbbench_tcptab_%d", getpid());
	eal[n++] = argv[0];
	eal[n++] = "-l";
	eal[n++] = "0";
	if (no_huge) {
		eal[n++] = "--no-huge";
	}
	eal[n++] = "-m";
	eal[n++] = "1024";
	eal[n++] = "--no-pci";
	eal[n++] = "--no-telemetry";
	eal[n++] = "--no-shconf";
	eal[n++] = "--file-prefix";
	eal[n++] = prefix;
	eal[n++] = "--log-level";
	eal[n++] = "lib.eal:error";
	eal[n] = NULL;
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "bench-tcp-table: EAL init failed\n");
		return 1;
	}

	keys = malloc(sizeof(*keys) * max_size);
	order = malloc(sizeof(*order) * nl);
	if (keys == NULL || order == NULL) {
		fprintf(stderr, "bench-tcp-table: out of memory\n");
		return 1;
	}
	make_keys(keys, max_size);

	printf("bench-tcp-table: %u lookups per case (all hits, random order), burst %d, "
	       "fastest of %u, %s, TSC %.2f GHz\n",
	       nl, BURST, repeat, no_huge ? "no hugepages" : "hugepages", rte_get_tsc_hz() / 1e9);
	{
		uint32_t m = RTE_MIN(max_size, 65536u);

		double h[4] = {1e18, 1e18, 1e18, 1e18};

		for (unsigned r = 0; r < repeat; r++) {
			h[0] = RTE_MIN(h[0], time_hash(rte_hash_crc, keys, m, 40));
			h[1] = RTE_MIN(h[1], time_hash(rte_jhash, keys, m, 40));
			h[2] = RTE_MIN(h[2], time_hash(rte_hash_crc, keys, m, 16));
			h[3] = RTE_MIN(h[3], time_hash(rte_jhash, keys, m, 16));
		}
		printf("hash function alone, cycles/key: crc32c 40B %.1f, jhash 40B %.1f, "
		       "crc32c 16B %.1f, jhash 16B %.1f\n",
		       h[0], h[1], h[2], h[3]);
	}
	printf("\ncycles per lookup\n");
	printf("%9s %6s | %9s %9s | %9s %9s | %9s %9s | %8s %9s\n", "entries", "load", "ours 1",
	       "ours 32", "jhash 1", "jhash 32", "anch16 1", "anch16 32", "ours/a 1", "ours/a 32");
	for (unsigned s = 0; s < RTE_DIM(sizes) && sizes[s] <= max_size; s++) {
		uint32_t size = sizes[s];
		struct cost ours, jh, anchor;

		for (uint32_t i = 0; i < nl; i++) {
			order[i] = (uint32_t)(rnd64() % size);
		}
		ours = jh = anchor = (struct cost){1e18, 1e18};
		for (unsigned r = 0; r < repeat; r++) {
			/* The anchor's 16-byte key is each tcp_key's remote address (random). */
			keep_min(&ours, time_ours(keys, size, order, nl));
			keep_min(&jh, time_raw((const uint8_t *)keys, sizeof(*keys), size, order,
					       nl, sizeof(struct tcp_key), rte_jhash));
			keep_min(&anchor, time_raw((const uint8_t *)keys +
							   offsetof(struct tcp_key, raddr),
						   sizeof(*keys), size, order, nl, 16, NULL));
		}
		printf("%9u %5.0f%% | %9.1f %9.1f | %9.1f %9.1f | %9.1f %9.1f | %7.2fx %8.2fx\n",
		       size, 100.0 * size / capacity_for(size), ours.single, ours.bulk, jh.single,
		       jh.bulk, anchor.single, anchor.bulk,
		       anchor.single > 0 ? ours.single / anchor.single : 0,
		       anchor.bulk > 0 ? ours.bulk / anchor.bulk : 0);
	}
	free(order);
	free(keys);
	rte_eal_cleanup();
	snprintf(prefix, sizeof(prefix), "/var/run/dpdk/sbbench_tcptab_%d", getpid());
	rmdir(prefix);
	return 0;
}
