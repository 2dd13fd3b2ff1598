/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RSS placement: Toeplitz against the Microsoft verification suite, RETA
 * indexing, local port choice for active opens, the strategy decision, and
 * reading a port's RSS through ethdev (net_null, net_ring vdevs, no hugepages).
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
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>

#include "tcp_rss.h"

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/*
 * Microsoft, "Verifying the RSS Hash Calculation" (Windows driver docs, NDIS
 * RSS): every row of its IPv4 and IPv6 tables, hashed as received packets
 * (source, destination, source port, destination port) with the key above.
 */
struct ms_row {
	const char *dst;
	uint16_t dport;
	const char *src;
	uint16_t sport;
	uint32_t ip_only;
	uint32_t with_tcp;
};

static const struct ms_row ms_v4[] = {
	{"161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178},
	{"65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea},
	{"12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a},
	{"209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f},
	{"202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2},
};

static const struct ms_row ms_v6[] = {
	{"3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5, 0x40207d3d},
	{"ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c, 0xdde51bbf},
	{"fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251,
	 0x4b61e985, 0x02d1feef},
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void rnd6(uint8_t a[16])
{
	uint64_t x = rnd(), y = rnd();

	memcpy(a, &x, 8);
	memcpy(a + 8, &y, 8);
}

static uint32_t v4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void v6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* Toeplitz with the Microsoft key, |types|, and a round-robin RETA over |nq| queues. */
static void setup_rr(struct tcp_rss *r, uint32_t types, uint16_t reta_size, uint16_t nq)
{
	uint16_t reta[TCP_RSS_RETA_MAX];

	for (uint16_t i = 0; i < reta_size; i++) {
		reta[i] = i % nq;
	}
	assert_int_equal(tcp_rss_init(r, TCP_RSS_TOEPLITZ, ms_key, sizeof(ms_key), types, reta,
				      reta_size, nq),
			 0);
}

static void test_ms_vectors_ipv4(void **state)
{
	struct tcp_rss l4, l3;

	(void)state;
	setup_rr(&l4, TCP_RSS_HASH_TCP4 | TCP_RSS_HASH_IPV4, 128, 4);
	setup_rr(&l3, TCP_RSS_HASH_IPV4, 128, 4);
	for (size_t i = 0; i < RTE_DIM(ms_v4); i++) {
		const struct ms_row *t = &ms_v4[i];
		uint32_t s = v4(t->src), d = v4(t->dst);

		assert_int_equal(tcp_rss_hash4(&l4, s, d, t->sport, t->dport), t->with_tcp);
		assert_int_equal(tcp_rss_hash4(&l3, s, d, t->sport, t->dport), t->ip_only);
		/* Without L4 hashing the ports do not matter. */
		assert_int_equal(tcp_rss_hash4(&l3, s, d, 1, 2), t->ip_only);
		assert_int_equal(tcp_rss_flow_queue4(&l4, s, d, t->sport, t->dport),
				 (t->with_tcp & 127) % 4);
	}
}

static void test_ms_vectors_ipv6(void **state)
{
	struct tcp_rss l4, l3;

	(void)state;
	setup_rr(&l4, TCP_RSS_HASH_TCP6 | TCP_RSS_HASH_IPV6, 128, 4);
	setup_rr(&l3, TCP_RSS_HASH_IPV6, 128, 4);
	for (size_t i = 0; i < RTE_DIM(ms_v6); i++) {
		const struct ms_row *t = &ms_v6[i];
		uint8_t s[16], d[16];

		v6(t->src, s);
		v6(t->dst, d);
		assert_int_equal(tcp_rss_hash6(&l4, s, d, t->sport, t->dport), t->with_tcp);
		assert_int_equal(tcp_rss_hash6(&l3, s, d, t->sport, t->dport), t->ip_only);
		assert_int_equal(tcp_rss_flow_queue6(&l4, s, d, t->sport, t->dport),
				 (t->with_tcp & 127) % 4);
	}
}

static void test_52_byte_key_uses_its_first_bytes(void **state)
{
	uint8_t key[52];
	uint16_t reta[64] = {0};
	struct tcp_rss r;

	(void)state;
	/* Toeplitz reads only as much key as input + 32 bits: extra bytes change nothing. */
	memcpy(key, ms_key, 40);
	memset(key + 40, 0xa5, 12);
	assert_int_equal(tcp_rss_init(&r, TCP_RSS_TOEPLITZ, key, 52, TCP_RSS_HASH_ALL, reta, 64, 1),
			 0);
	assert_int_equal(r.key_len, 52);
	assert_int_equal(tcp_rss_hash4(&r, v4(ms_v4[0].src), v4(ms_v4[0].dst), ms_v4[0].sport,
				       ms_v4[0].dport),
			 ms_v4[0].with_tcp);
}

static void test_unhashed_family_is_unpredictable(void **state)
{
	struct tcp_rss r;
	uint8_t a[16] = {0}, b[16] = {1};

	(void)state;
	setup_rr(&r, TCP_RSS_HASH_TCP4, 128, 4); /* IPv6 not hashed */
	assert_int_equal(tcp_rss_hash6(&r, a, b, 1, 2), 0);
	assert_int_equal(tcp_rss_flow_queue6(&r, a, b, 1, 2), -EOPNOTSUPP);
	assert_int_equal(tcp_rss_pick_port6(&r, a, b, 80, 0, 1024, 65535, 0, NULL, NULL),
			 -EOPNOTSUPP);
	assert_in_range(tcp_rss_flow_queue4(&r, 1, 2, 3, 4), 0, 3);
}

static void test_reta_power_of_two_uses_low_bits(void **state)
{
	static const uint16_t sizes[] = {64, 128, 512};
	uint16_t reta[TCP_RSS_RETA_MAX];
	struct tcp_rss r;

	(void)state;
	for (size_t s = 0; s < RTE_DIM(sizes); s++) {
		uint16_t n = sizes[s];

		/* An identity RETA over n queues shows the index itself. */
		for (uint16_t i = 0; i < n; i++) {
			reta[i] = i;
		}
		assert_int_equal(tcp_rss_init(&r, TCP_RSS_TOEPLITZ, ms_key, 40, TCP_RSS_HASH_ALL,
					      reta, n, n),
				 0);
		for (int k = 0; k < 10000; k++) {
			uint32_t h = (uint32_t)rnd();

			assert_int_equal(tcp_rss_queue(&r, h), h & (n - 1u));
		}
		assert_int_equal(tcp_rss_queue(&r, 0xffffffffu), n - 1);
		assert_int_equal(tcp_rss_queue(&r, (uint32_t)n), 0);
	}
}

static void test_reta_round_robin_2_and_4_queues(void **state)
{
	static const uint16_t queues[] = {2, 4};
	struct tcp_rss r;

	(void)state;
	for (size_t q = 0; q < RTE_DIM(queues); q++) {
		uint16_t nq = queues[q];
		unsigned count[4] = {0};
		const unsigned flows = 40000;

		setup_rr(&r, TCP_RSS_HASH_ALL, 128, nq);
		for (int k = 0; k < 1000; k++) {
			uint32_t h = (uint32_t)rnd();

			assert_int_equal(tcp_rss_queue(&r, h), (h & 127) % nq);
		}
		/* Random flows spread evenly (within ~6 sigma). */
		for (unsigned k = 0; k < flows; k++) {
			int qq = tcp_rss_flow_queue4(&r, (uint32_t)rnd(), (uint32_t)rnd(),
						     (uint16_t)rnd(), (uint16_t)rnd());

			assert_in_range(qq, 0, nq - 1);
			count[qq]++;
		}
		for (uint16_t i = 0; i < nq; i++) {
			assert_in_range(count[i], flows / nq - 600, flows / nq + 600);
		}
	}
}

static void test_reta_not_power_of_two_uses_modulo(void **state)
{
	uint16_t reta[96];
	struct tcp_rss r;

	(void)state;
	for (uint16_t i = 0; i < 96; i++) {
		reta[i] = i;
	}
	assert_int_equal(
		tcp_rss_init(&r, TCP_RSS_TOEPLITZ, ms_key, 40, TCP_RSS_HASH_ALL, reta, 96, 96), 0);
	for (int k = 0; k < 1000; k++) {
		uint32_t h = (uint32_t)rnd();

		assert_int_equal(tcp_rss_queue(&r, h), h % 96);
	}
}

static void test_init_validates(void **state)
{
	uint16_t reta[128] = {0};
	struct tcp_rss r;

	(void)state;
	assert_int_equal(
		tcp_rss_init(&r, TCP_RSS_TOEPLITZ, ms_key, 36, TCP_RSS_HASH_ALL, reta, 128, 2),
		-EINVAL);
	assert_int_equal(
		tcp_rss_init(&r, TCP_RSS_TOEPLITZ, ms_key, 39, TCP_RSS_HASH_ALL, reta, 128, 2),
		-EINVAL);
	assert_int_equal(
		tcp_rss_init(&r, TCP_RSS_TOEPLITZ, NULL, 40, TCP_RSS_HASH_ALL, reta, 128, 2),
		-EINVAL);
	assert_int_equal(
		tcp_rss_init(&r, TCP_RSS_TOEPLITZ, ms_key, 40, TCP_RSS_HASH_ALL, reta, 0, 2),
		-EINVAL);
	assert_int_equal(tcp_rss_init(&r, TCP_RSS_TOEPLITZ, ms_key, 40, 0x10, reta, 128, 2),
			 -EINVAL);
	reta[77] = 2; /* names a queue that does not exist */
	assert_int_equal(
		tcp_rss_init(&r, TCP_RSS_TOEPLITZ, ms_key, 40, TCP_RSS_HASH_ALL, reta, 128, 2),
		-EINVAL);
	assert_int_equal(r.strategy, TCP_RSS_NONE);
	assert_int_equal(r.nb_queues, 0);
	assert_int_equal(tcp_rss_init(&r, TCP_RSS_NONE, NULL, 0, 0, NULL, 0, 2), -EINVAL);
	assert_int_equal(tcp_rss_init(&r, TCP_RSS_NONE, NULL, 0, 0, NULL, 0, 0), -EINVAL);
	assert_int_equal(tcp_rss_init(&r, (enum tcp_rss_strategy)7, NULL, 0, 0, NULL, 0, 1),
			 -EINVAL);
	/* UNKNOWN keeps only what is valid. */
	assert_int_equal(
		tcp_rss_init(&r, TCP_RSS_UNKNOWN, ms_key, 40, TCP_RSS_HASH_ALL, reta, 128, 2), 0);
	assert_int_equal(r.key_len, 40);
	assert_int_equal(r.reta_size, 0);

	assert_int_equal(tcp_rss_init_soft(&r, 0), -EINVAL);
	assert_int_equal(tcp_rss_init_soft(&r, 513), -EINVAL);
	assert_int_equal(tcp_rss_init_soft(&r, 1), 0);
	assert_int_equal(r.strategy, TCP_RSS_NONE);
	assert_int_equal(tcp_rss_init_soft(&r, 4), 0);
	assert_int_equal(r.strategy, TCP_RSS_TOEPLITZ);
	assert_int_equal(r.reta_size, 128);
	assert_int_equal(r.hash_types, TCP_RSS_HASH_ALL);
	assert_memory_equal(r.key, ms_key, 40);
	assert_int_equal(tcp_rss_init_soft(&r, 200), 0);
	assert_int_equal(r.reta_size, 256);
	assert_int_equal(r.reta[255], 255 % 200);
}

/* A set of local ports in use; counts lookups and checks they are only for wanted ports. */
struct ports {
	uint8_t used[65536 / 8];
	unsigned calls;
	const struct tcp_rss *r; /* when set, each queried port must map to want */
	uint32_t local, remote;
	uint16_t rport, want;
};

static bool is_used(void *arg, uint16_t port)
{
	struct ports *p = arg;

	p->calls++;
	if (p->r != NULL) {
		assert_int_equal(tcp_rss_flow_queue4(p->r, p->remote, p->local, p->rport, port),
				 p->want);
	}
	return (p->used[port / 8] >> (port % 8)) & 1;
}

static void mark(struct ports *p, uint16_t port)
{
	p->used[port / 8] |= (uint8_t)(1u << (port % 8));
}

static void test_pick_port4_replies_land_on_wanted_queue(void **state)
{
	struct tcp_rss r;
	const uint16_t lo = 32768, hi = 60999;

	(void)state;
	setup_rr(&r, TCP_RSS_HASH_ALL, 128, 4);
	for (int k = 0; k < 500; k++) {
		uint32_t local = (uint32_t)rnd(), remote = (uint32_t)rnd();
		uint16_t rport = (uint16_t)(rnd() | 1);

		for (uint16_t q = 0; q < 4; q++) {
			int p = tcp_rss_pick_port4(&r, local, remote, rport, q, lo, hi,
						   (uint32_t)rnd(), NULL, NULL);

			assert_in_range(p, lo, hi);
			/* The reply: src = remote:rport, dst = local:p. */
			assert_int_equal(tcp_rss_flow_queue4(&r, remote, local, rport, (uint16_t)p),
					 q);
			assert_int_equal(tcp_rss_queue(&r, tcp_rss_hash4(&r, remote, local, rport,
									 (uint16_t)p)),
					 q);
		}
	}
}

static void test_pick_port6_replies_land_on_wanted_queue(void **state)
{
	struct tcp_rss r;
	const uint16_t lo = 49152, hi = 65535;

	(void)state;
	setup_rr(&r, TCP_RSS_HASH_ALL, 512, 4);
	for (int k = 0; k < 500; k++) {
		uint8_t local[16], remote[16];
		uint16_t rport = (uint16_t)(rnd() | 1);

		rnd6(local);
		rnd6(remote);
		for (uint16_t q = 0; q < 4; q++) {
			int p = tcp_rss_pick_port6(&r, local, remote, rport, q, lo, hi,
						   (uint32_t)rnd(), NULL, NULL);

			assert_in_range(p, lo, hi);
			assert_int_equal(tcp_rss_flow_queue6(&r, remote, local, rport, (uint16_t)p),
					 q);
		}
	}
}

static void test_pick_port_honours_in_use(void **state)
{
	static struct ports used;
	struct tcp_rss r;
	uint32_t local = v4("10.0.0.1"), remote = v4("10.0.0.2");
	int first, p;

	(void)state;
	memset(&used, 0, sizeof(used));
	setup_rr(&r, TCP_RSS_HASH_ALL, 128, 4);
	used.r = &r;
	used.local = local;
	used.remote = remote;
	used.rport = 8443;
	used.want = 2;
	first = tcp_rss_pick_port4(&r, local, remote, 8443, 2, 40000, 50000, 1234, is_used, &used);
	assert_in_range(first, 40000, 50000);
	assert_int_equal(used.calls, 1);
	/* Take the first 200 ports that map to queue 2: each pick skips the taken ones. */
	for (int k = 0; k < 200; k++) {
		used.calls = 0;
		p = tcp_rss_pick_port4(&r, local, remote, 8443, 2, 40000, 50000, 1234, is_used,
				       &used);
		assert_in_range(p, 40000, 50000);
		assert_int_equal(used.calls, (unsigned)k + 1);
		assert_false((used.used[p / 8] >> (p % 8)) & 1);
		if (k == 0) {
			assert_int_equal(p, first);
		}
		mark(&used, (uint16_t)p);
	}
}

static void test_pick_port_exhausted(void **state)
{
	static struct ports used;
	struct tcp_rss r;
	uint32_t local = v4("192.0.2.1"), remote = v4("198.51.100.7");
	uint16_t port = 50000, q;
	uint16_t reta[128];

	(void)state;
	memset(&used, 0, sizeof(used));
	setup_rr(&r, TCP_RSS_HASH_ALL, 128, 4);
	q = (uint16_t)tcp_rss_flow_queue4(&r, remote, local, 443, port);
	/* A one-port range: only its own queue can be had, and only while it is free. */
	assert_int_equal(
		tcp_rss_pick_port4(&r, local, remote, 443, q, port, port, 99, is_used, &used),
		port);
	assert_int_equal(tcp_rss_pick_port4(&r, local, remote, 443, (q + 1) % 4, port, port, 0,
					    is_used, &used),
			 -EADDRNOTAVAIL);
	mark(&used, port);
	assert_int_equal(
		tcp_rss_pick_port4(&r, local, remote, 443, q, port, port, 0, is_used, &used),
		-EADDRNOTAVAIL);
	/* A 16-port range all in use. */
	for (uint16_t p = 60000; p < 60016; p++) {
		mark(&used, p);
	}
	for (uint16_t w = 0; w < 4; w++) {
		assert_int_equal(tcp_rss_pick_port4(&r, local, remote, 443, w, 60000, 60015, 5,
						    is_used, &used),
				 -EADDRNOTAVAIL);
	}
	/* A queue that the RETA never names cannot be reached. */
	for (uint16_t i = 0; i < 128; i++) {
		reta[i] = i % 3;
	}
	assert_int_equal(
		tcp_rss_init(&r, TCP_RSS_TOEPLITZ, ms_key, 40, TCP_RSS_HASH_ALL, reta, 128, 4), 0);
	assert_int_equal(tcp_rss_pick_port4(&r, local, remote, 443, 3, 1024, 65535, 0, NULL, NULL),
			 -EADDRNOTAVAIL);
	assert_in_range(tcp_rss_pick_port4(&r, local, remote, 443, 2, 1024, 65535, 0, NULL, NULL),
			1024, 65535);
}

static void test_pick_port_bad_arguments(void **state)
{
	struct tcp_rss r;

	(void)state;
	setup_rr(&r, TCP_RSS_HASH_ALL, 128, 4);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 0, 100, 0, NULL, NULL), -EINVAL);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 200, 100, 0, NULL, NULL), -EINVAL);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 4, 1024, 65535, 0, NULL, NULL), -EINVAL);
}

static void test_pick_port_one_queue(void **state)
{
	static struct ports used;
	struct tcp_rss r;
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8}, b[16] = {0x20, 0x01, 0x0d, 0xb8, 1};

	(void)state;
	memset(&used, 0, sizeof(used));
	assert_int_equal(tcp_rss_init(&r, TCP_RSS_NONE, NULL, 0, 0, NULL, 0, 1), 0);
	/* Any port: the first free one from the offset. */
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1000, 1999, 5, is_used, &used), 1005);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1000, 1999, 1005, is_used, &used),
			 1005);
	mark(&used, 1005);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1000, 1999, 5, is_used, &used), 1006);
	mark(&used, 1999);
	mark(&used, 1000);
	assert_int_equal(tcp_rss_pick_port6(&r, a, b, 80, 0, 1000, 1999, 999, is_used, &used),
			 1001);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 1, 1000, 1999, 5, NULL, NULL), -EINVAL);
	assert_int_equal(tcp_rss_flow_queue4(&r, 1, 2, 3, 4), 0);
	assert_int_equal(tcp_rss_flow_queue6(&r, a, b, 3, 4), 0);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1000, 1000, 5, is_used, &used),
			 -EADDRNOTAVAIL);
	/* One queue from the software table too. */
	assert_int_equal(tcp_rss_init_soft(&r, 1), 0);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1000, 1999, 7, NULL, NULL), 1007);
}

static void test_pick_port_unknown_hands_off(void **state)
{
	struct tcp_rss r;
	uint8_t a[16] = {1}, b[16] = {2};

	(void)state;
	assert_int_equal(tcp_rss_init(&r, TCP_RSS_UNKNOWN, NULL, 0, 0, NULL, 0, 2), 0);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1024, 65535, 0, NULL, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(tcp_rss_pick_port6(&r, a, b, 80, 1, 1024, 65535, 0, NULL, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(tcp_rss_flow_queue4(&r, 1, 2, 3, 4), -EOPNOTSUPP);
	assert_int_equal(tcp_rss_flow_queue6(&r, a, b, 3, 4), -EOPNOTSUPP);
	/* The hand-off function: a software table names an owner for every segment. */
	assert_int_equal(tcp_rss_init_soft(&r, 2), 0);
	for (int k = 0; k < 100; k++) {
		uint32_t local = (uint32_t)rnd(), remote = (uint32_t)rnd();
		int p = tcp_rss_pick_port4(&r, local, remote, 443, 1, 1024, 65535, (uint32_t)rnd(),
					   NULL, NULL);

		assert_in_range(p, 1024, 65535);
		assert_int_equal(tcp_rss_flow_queue4(&r, remote, local, 443, (uint16_t)p), 1);
	}
}

static void test_pick_port_l3_only(void **state)
{
	struct tcp_rss r;
	uint32_t local = v4("10.1.2.3"), remote = v4("10.9.8.7");
	int q;

	(void)state;
	setup_rr(&r, TCP_RSS_HASH_IPV4, 128, 4);
	q = tcp_rss_flow_queue4(&r, remote, local, 443, 1);
	assert_in_range(q, 0, 3);
	/* The ports do not move the flow: its own queue takes any port, others none. */
	assert_int_equal(
		tcp_rss_pick_port4(&r, local, remote, 443, (uint16_t)q, 1000, 1999, 3, NULL, NULL),
		1003);
	assert_int_equal(tcp_rss_pick_port4(&r, local, remote, 443, (uint16_t)((q + 1) % 4), 1000,
					    1999, 3, NULL, NULL),
			 -EOPNOTSUPP);
}

static void test_pick_port_spread_over_random_starts(void **state)
{
	static uint8_t seen[65536];
	struct tcp_rss r;
	uint32_t local = v4("172.16.0.1"), remote = v4("172.16.0.2");
	unsigned distinct = 0;
	const unsigned tries = 1000;

	(void)state;
	memset(seen, 0, sizeof(seen));
	setup_rr(&r, TCP_RSS_HASH_ALL, 128, 4);
	for (unsigned k = 0; k < tries; k++) {
		int p = tcp_rss_pick_port4(&r, local, remote, 443, 3, 32768, 60999, (uint32_t)rnd(),
					   NULL, NULL);

		assert_in_range(p, 32768, 60999);
		if (!seen[p]) {
			seen[p] = 1;
			distinct++;
		}
	}
	/*
	 * About 7000 ports of the 28232 map to queue 3, in runs of 4 for this
	 * tuple: 1000 uniform draws among them give about 930 distinct ports. A
	 * walk by 1 (which mostly returns the first port of a run) gives fewer
	 * than 800; a stuck choice gives 1.
	 */
	assert_true(distinct > 880);
}

static void test_pick_port_walk_covers_range(void **state)
{
	static const uint16_t sizes[] = {1, 2, 3, 10, 12, 97, 1000, 4096};
	static struct ports used;
	struct tcp_rss r;

	(void)state;
	assert_int_equal(tcp_rss_init(&r, TCP_RSS_NONE, NULL, 0, 0, NULL, 0, 1), 0);
	for (size_t s = 0; s < RTE_DIM(sizes); s++) {
		uint16_t lo = 20000, hi = (uint16_t)(lo + sizes[s] - 1);

		for (int k = 0; k < 20; k++) {
			uint16_t spare = (uint16_t)(lo + rnd() % sizes[s]);
			uint32_t start = (uint32_t)rnd();

			/* Every port but one in use: any stride must still find it. */
			memset(&used, 0, sizeof(used));
			for (uint32_t p = lo; p <= hi; p++) {
				if (p != spare) {
					mark(&used, (uint16_t)p);
				}
			}
			assert_int_equal(
				tcp_rss_pick_port4(&r, 1, 2, 80, 0, lo, hi, start, is_used, &used),
				spare);
			assert_true(used.calls <= sizes[s]);
			/* All in use: each port is asked about exactly once. */
			mark(&used, spare);
			used.calls = 0;
			assert_int_equal(
				tcp_rss_pick_port4(&r, 1, 2, 80, 0, lo, hi, start, is_used, &used),
				-EADDRNOTAVAIL);
			assert_int_equal(used.calls, sizes[s]);
		}
	}
	/* The whole port space. */
	assert_in_range(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1, 65535, 0xffffffffu, NULL, NULL), 1,
			65535);
}

static void test_hash_types_from_rss_hf(void **state)
{
	(void)state;
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP),
			 TCP_RSS_HASH_TCP4 | TCP_RSS_HASH_TCP6);
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6),
			 TCP_RSS_HASH_IPV4 | TCP_RSS_HASH_IPV6);
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_NONFRAG_IPV4_TCP), TCP_RSS_HASH_TCP4);
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_IPV6_TCP_EX), TCP_RSS_HASH_TCP6);
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_IPV6_EX), TCP_RSS_HASH_IPV6);
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_NONFRAG_IPV4_UDP), 0);
	assert_int_equal(tcp_rss_hash_types(0), 0);
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_TCP | RTE_ETH_RSS_L4_SRC_ONLY),
			 -EOPNOTSUPP);
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_L3_PRE64), -EOPNOTSUPP);
	assert_int_equal(tcp_rss_hash_types(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_L3_DST_ONLY),
			 -EOPNOTSUPP);
}

/* An ixgbe port with 4 queues that reported everything. */
static struct tcp_rss_caps good_caps(void)
{
	struct tcp_rss_caps c = {
		.driver = "net_ixgbe",
		.nb_queues = 4,
		.rss_offloads = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP,
		.key_size = 40,
		.reta_size = 128,
		.conf_read = true,
		.rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP,
		.reta_read = true,
		.reta_valid = true,
	};

	return c;
}

static void test_decide(void **state)
{
	struct tcp_rss_caps c;
	const char *why = NULL;

	(void)state;
	c = good_caps();
	assert_int_equal(tcp_rss_decide(&c, &why), TCP_RSS_TOEPLITZ);
	assert_non_null(why);
	c.driver = "mlx5_pci";
	c.key_size = 40;
	c.reta_size = 512;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_TOEPLITZ);
	c.driver = "net_i40e";
	c.key_size = 52;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_TOEPLITZ);

	/* One queue: always NONE, whatever the device. */
	c = good_caps();
	c.nb_queues = 1;
	c.driver = "net_tap";
	assert_int_equal(tcp_rss_decide(&c, &why), TCP_RSS_NONE);
	c.driver = "net_ring";
	c.rss_offloads = 0;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_NONE);

	/* net_tap as DPDK 22.11 reports it (probed): offloads and a key, no RETA, no conf. */
	c = (struct tcp_rss_caps){
		.driver = "net_tap", .nb_queues = 2, .rss_offloads = 0x3afbc, .key_size = 40};
	assert_int_equal(tcp_rss_decide(&c, &why), TCP_RSS_UNKNOWN);
	/* ... and even if it reported everything. */
	c = good_caps();
	c.driver = "net_tap";
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	/* net_null (probed): offloads, a 128-entry RETA and a key it never uses, key size 0. */
	c = good_caps();
	c.driver = "net_null";
	c.key_size = 0;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	/* net_ring: no RSS at all. */
	c = (struct tcp_rss_caps){.driver = "net_ring", .nb_queues = 2};
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c.driver = NULL;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);

	/* Each missing piece on a known driver. */
	c = good_caps();
	c.rss_offloads = 0;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c = good_caps();
	c.key_size = 0;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c.key_size = 64;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c = good_caps();
	c.reta_size = 0;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c.reta_size = 96;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c.reta_size = 1024;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c = good_caps();
	c.conf_read = false;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c = good_caps();
	c.reta_read = false;
	c.reta_valid = false;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c = good_caps();
	c.reta_valid = false;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c = good_caps();
	c.rss_hf = RTE_ETH_RSS_TCP | RTE_ETH_RSS_L4_DST_ONLY;
	assert_int_equal(tcp_rss_decide(&c, NULL), TCP_RSS_UNKNOWN);
	c.rss_hf = RTE_ETH_RSS_UDP;
	assert_int_equal(tcp_rss_decide(&c, &why), TCP_RSS_UNKNOWN);
	assert_non_null(why);
}

static void test_dump_and_names(void **state)
{
	struct tcp_rss r;
	char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(f);
	setup_rr(&r, TCP_RSS_HASH_ALL, 64, 2);
	tcp_rss_dump(f, &r);
	fclose(f);
	assert_non_null(strstr(buf, "toeplitz"));
	assert_non_null(strstr(buf, "6d5a56da255b0ec24167253d43a38fb0d0ca2bcb"));
	assert_string_equal(tcp_rss_strategy_name(TCP_RSS_NONE), "none");
	assert_string_equal(tcp_rss_strategy_name(TCP_RSS_UNKNOWN), "unknown");
	assert_string_equal(tcp_rss_strategy_name((enum tcp_rss_strategy)9), "?");
}

/* ---- ethdev: vdevs on an EAL without hugepages ---- */

static uint16_t port_of(const char *name)
{
	uint16_t id;

	assert_int_equal(rte_eth_dev_get_port_by_name(name, &id), 0);
	return id;
}

static void configure(uint16_t port, uint16_t nq, bool rss)
{
	struct rte_eth_conf pc;

	memset(&pc, 0, sizeof(pc));
	if (rss) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP;
	}
	assert_int_equal(rte_eth_dev_configure(port, nq, nq, &pc), 0);
}

static void test_port_null_one_queue_is_none(void **state)
{
	uint16_t port = port_of("net_null0");
	struct tcp_rss r;
	const char *why = NULL;

	(void)state;
	configure(port, 1, false);
	assert_int_equal(tcp_rss_from_port(&r, port, 1, &why), 0);
	assert_int_equal(r.strategy, TCP_RSS_NONE);
	assert_int_equal(r.nb_queues, 1);
	assert_non_null(why);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1024, 65535, 0, NULL, NULL), 1024);
}

static void test_port_null_many_queues_is_unknown_but_reta_is_read(void **state)
{
	uint16_t port = port_of("net_null0");
	struct rte_eth_rss_reta_entry64 conf[2];
	struct tcp_rss r;
	const char *why = NULL;

	(void)state;
	configure(port, 4, true);
	/* Write a recognisable RETA, then read it back through tcp_rss_from_port. */
	memset(conf, 0, sizeof(conf));
	for (unsigned i = 0; i < 128; i++) {
		conf[i / 64].mask |= UINT64_C(1) << (i % 64);
		conf[i / 64].reta[i % 64] = (uint16_t)((i * 7 + 3) % 4);
	}
	assert_int_equal(rte_eth_dev_rss_reta_update(port, conf, 128), 0);
	assert_int_equal(tcp_rss_from_port(&r, port, 4, &why), 0);
	assert_int_equal(r.strategy, TCP_RSS_UNKNOWN);
	assert_non_null(why);
	assert_int_equal(r.nb_queues, 4);
	assert_int_equal(r.reta_size, 128);
	for (unsigned i = 0; i < 128; i++) {
		assert_int_equal(r.reta[i], (i * 7 + 3) % 4);
	}
	assert_int_equal(r.hash_types, TCP_RSS_HASH_TCP4 | TCP_RSS_HASH_TCP6);
	assert_int_equal(tcp_rss_pick_port4(&r, 1, 2, 80, 0, 1024, 65535, 0, NULL, NULL),
			 -EOPNOTSUPP);
	/* A RETA naming queues beyond those we say are configured is not kept. */
	assert_int_equal(tcp_rss_from_port(&r, port, 2, NULL), 0);
	assert_int_equal(r.strategy, TCP_RSS_UNKNOWN);
	assert_int_equal(r.reta_size, 0);
}

static void test_port_ring_is_unknown(void **state)
{
	uint16_t port = port_of("net_ring0");
	struct tcp_rss r;

	(void)state;
	configure(port, 2, false);
	assert_int_equal(tcp_rss_from_port(&r, port, 2, NULL), 0);
	assert_int_equal(r.strategy, TCP_RSS_UNKNOWN);
	assert_int_equal(r.reta_size, 0);
	assert_int_equal(r.key_len, 0);
	configure(port, 1, false);
	assert_int_equal(tcp_rss_from_port(&r, port, 1, NULL), 0);
	assert_int_equal(r.strategy, TCP_RSS_NONE);
}

static void test_port_errors(void **state)
{
	struct tcp_rss r;

	(void)state;
	assert_int_equal(tcp_rss_from_port(&r, RTE_MAX_ETHPORTS - 1, 2, NULL), -ENODEV);
	assert_int_equal(tcp_rss_from_port(&r, port_of("net_null0"), 0, NULL), -EINVAL);
}

int main(void)
{
	char prefix[64];
	char *eal[] = {"test_tcp_rss",
		       "--no-huge",
		       "-m",
		       "64",
		       "--no-pci",
		       "--no-telemetry",
		       "--no-shconf",
		       "--file-prefix",
		       prefix,
		       "--vdev",
		       "net_null0",
		       "--vdev",
		       "net_ring0",
		       "--log-level",
		       "lib.eal:error",
		       NULL};
	const struct CMUnitTest sans_io[] = {
		cmocka_unit_test(test_ms_vectors_ipv4),
		cmocka_unit_test(test_ms_vectors_ipv6),
		cmocka_unit_test(test_52_byte_key_uses_its_first_bytes),
		cmocka_unit_test(test_unhashed_family_is_unpredictable),
		cmocka_unit_test(test_reta_power_of_two_uses_low_bits),
		cmocka_unit_test(test_reta_round_robin_2_and_4_queues),
		cmocka_unit_test(test_reta_not_power_of_two_uses_modulo),
		cmocka_unit_test(test_init_validates),
		cmocka_unit_test(test_pick_port4_replies_land_on_wanted_queue),
		cmocka_unit_test(test_pick_port6_replies_land_on_wanted_queue),
		cmocka_unit_test(test_pick_port_honours_in_use),
		cmocka_unit_test(test_pick_port_exhausted),
		cmocka_unit_test(test_pick_port_bad_arguments),
		cmocka_unit_test(test_pick_port_one_queue),
		cmocka_unit_test(test_pick_port_unknown_hands_off),
		cmocka_unit_test(test_pick_port_l3_only),
		cmocka_unit_test(test_pick_port_spread_over_random_starts),
		cmocka_unit_test(test_pick_port_walk_covers_range),
		cmocka_unit_test(test_hash_types_from_rss_hf),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_dump_and_names),
	};
	const struct CMUnitTest ethdev[] = {
		cmocka_unit_test(test_port_null_one_queue_is_none),
		cmocka_unit_test(test_port_null_many_queues_is_unknown_but_reta_is_read),
		cmocka_unit_test(test_port_ring_is_unknown),
		cmocka_unit_test(test_port_errors),
	};
	int rc;

	/* The sans-I/O half needs no EAL: run it first, without one. */
	rc = cmocka_run_group_tests_name("tcp_rss", sans_io, NULL, NULL);
	snprintf(prefix, sizeof(prefix), "sbunit_rss_%d", getpid());
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	rc += cmocka_run_group_tests_name("tcp_rss_dev", ethdev, NULL, NULL);
	rte_eal_cleanup();
	/* EAL leaves its (empty, with --no-shconf) runtime directory behind. */
	snprintf(prefix, sizeof(prefix), "/var/run/dpdk/sbunit_rss_%d", getpid());
	rmdir(prefix);
	return rc;
}
