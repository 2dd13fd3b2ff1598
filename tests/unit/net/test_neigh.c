/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the neighbour cache (neigh.h), including a writer/reader race. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "neigh.h"
#include "net_internal.h"

#define TIMEOUT 1000

static struct net_learn v4(uint32_t host, uint8_t tag)
{
	struct net_learn l;

	memset(&l, 0, sizeof(l));
	l.family = NET_FAMILY_IP4;
	l.ip[0] = 10;
	l.ip[1] = (uint8_t)(host >> 16);
	l.ip[2] = (uint8_t)(host >> 8);
	l.ip[3] = (uint8_t)host;
	l.mac[0] = 0x02;
	l.mac[1] = tag;
	memcpy(l.mac + 2, l.ip, 4);
	return l;
}

static struct net_learn v6(uint32_t host, uint8_t tag)
{
	struct net_learn l;

	memset(&l, 0, sizeof(l));
	l.family = NET_FAMILY_IP6;
	l.ip[0] = 0x20;
	l.ip[1] = 0x01;
	l.ip[2] = 0x0d;
	l.ip[3] = 0xb8;
	memcpy(l.ip + 4, &host, 4);
	l.ip[15] = (uint8_t)host;
	l.mac[0] = 0x06;
	l.mac[1] = tag;
	memcpy(l.mac + 2, &host, 4);
	return l;
}

static bool found(const struct neigh_table *t, const struct net_learn *l, uint64_t now,
		  uint8_t *mac)
{
	return neigh_lookup(t, l->family, l->ip, now, mac);
}

static void test_new_args(void **state)
{
	struct neigh_table *t;

	(void)state;
	errno = 0;
	assert_null(neigh_table_new(0, TIMEOUT));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(neigh_table_new(16, 0));
	assert_int_equal(errno, EINVAL);
	neigh_table_free(NULL);

	t = neigh_table_new(1, TIMEOUT);
	assert_non_null(t);
	assert_int_equal(neigh_count(t), 0);
	assert_int_equal(neigh_debug_slots(t), 32);	/* 16 entries, load <= 1/2 */
	neigh_table_free(t);
	t = neigh_table_new(17, TIMEOUT);
	assert_non_null(t);
	assert_int_equal(neigh_debug_slots(t), 64);
	neigh_table_free(t);
}

static void test_learn_lookup(void **state)
{
	struct net_learn a = v4(1, 1), b = v6(1, 2), c;
	struct neigh_table *t = neigh_table_new(64, TIMEOUT);
	uint8_t mac[6];

	(void)state;
	assert_non_null(t);
	assert_false(found(t, &a, 0, mac));
	assert_int_equal(neigh_learn(t, &a, 100), 0);
	assert_int_equal(neigh_learn(t, &b, 100), 0);
	assert_int_equal(neigh_count(t), 2);
	memset(mac, 0, sizeof(mac));
	assert_true(found(t, &a, 100, mac));
	assert_memory_equal(mac, a.mac, 6);
	assert_true(found(t, &b, 100, mac));
	assert_memory_equal(mac, b.mac, 6);

	/* An IPv4 key is its first 4 bytes; the rest of ip[] does not matter. */
	c = a;
	memset(c.ip + 4, 0x77, 12);
	assert_true(found(t, &c, 100, mac));
	assert_memory_equal(mac, a.mac, 6);
	/* Same bytes, other family: a different key. */
	c = a;
	c.family = NET_FAMILY_IP6;
	assert_false(found(t, &c, 100, mac));
	assert_false(neigh_lookup(t, NET_FAMILY_NONE, a.ip, 100, mac));
	assert_false(neigh_lookup(t, 5, a.ip, 100, mac));

	c.family = NET_FAMILY_NONE;
	assert_int_equal(neigh_learn(t, &c, 100), -EINVAL);
	c.family = 7;
	assert_int_equal(neigh_learn(t, &c, 100), -EINVAL);
	assert_int_equal(neigh_count(t), 2);
	assert_int_equal(neigh_debug_check(t), 0);
	neigh_table_free(t);
}

static void test_refresh_and_expire(void **state)
{
	struct net_learn a = v4(1, 1), b = v4(2, 1), a2 = v4(1, 9);
	struct neigh_table *t = neigh_table_new(16, TIMEOUT);
	uint8_t mac[6];

	(void)state;
	assert_non_null(t);
	assert_int_equal(neigh_learn(t, &a, 0), 0);
	assert_int_equal(neigh_learn(t, &b, 0), 0);
	assert_true(found(t, &a, TIMEOUT - 1, mac));
	assert_false(found(t, &a, TIMEOUT, mac));	/* stale but not yet removed */
	assert_int_equal(neigh_count(t), 2);
	/* A reader whose clock trails the writer's sees age 0. */
	assert_int_equal(neigh_learn(t, &b, 5000), 0);
	assert_true(found(t, &b, 4990, mac));

	/* Refresh: new MAC, new time, same entry. */
	assert_int_equal(neigh_learn(t, &a2, 600), 0);
	assert_int_equal(neigh_count(t), 2);
	assert_true(found(t, &a, 600 + TIMEOUT - 1, mac));
	assert_memory_equal(mac, a2.mac, 6);

	assert_int_equal(neigh_expire(t, 600 + TIMEOUT - 1), 0);
	assert_int_equal(neigh_expire(t, 600 + TIMEOUT), 1);
	assert_int_equal(neigh_count(t), 1);
	assert_false(found(t, &a, 600, mac));
	assert_true(found(t, &b, 5000, mac));
	assert_int_equal(neigh_expire(t, UINT64_MAX), 1);
	assert_int_equal(neigh_count(t), 0);
	assert_int_equal(neigh_debug_check(t), 0);
	neigh_table_free(t);
}

static void test_full(void **state)
{
	struct neigh_table *t = neigh_table_new(16, TIMEOUT);
	struct net_learn l;
	uint8_t mac[6];
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 16; i++) {
		l = v4(i, 0);
		assert_int_equal(neigh_learn(t, &l, 10), 0);
	}
	l = v4(100, 0);
	assert_int_equal(neigh_learn(t, &l, 10), -ENOSPC);
	assert_false(found(t, &l, 10, mac));
	/* Refreshing an entry of a full table works. */
	l = v4(3, 7);
	assert_int_equal(neigh_learn(t, &l, 20), 0);
	assert_int_equal(neigh_count(t), 16);
	for (i = 0; i < 16; i++) {
		l = v4(i, i == 3 ? 7 : 0);
		assert_true(found(t, &l, 20, mac));
		assert_memory_equal(mac, l.mac, 6);
	}
	/* Expire everything learned at 10 but not the refreshed one; then room again. */
	assert_int_equal(neigh_expire(t, 10 + TIMEOUT), 15);
	assert_int_equal(neigh_count(t), 1);
	l = v4(100, 0);
	assert_int_equal(neigh_learn(t, &l, 30), 0);
	assert_int_equal(neigh_debug_check(t), 0);
	neigh_table_free(t);
}

/*
 * Keys that hash to the same home slot (and to the next one) form one
 * cluster; deleting from its head, middle and end must leave every other key
 * reachable and the cluster compact (backward shift, no tombstones).
 */
static void test_collisions_backward_shift(void **state)
{
	struct neigh_table *t = neigh_table_new(16, TIMEOUT);
	struct net_learn same[5], next[2], l;
	uint32_t nslots, h0 = 0, host, ns = 0, nn = 0, i;
	uint8_t mac[6];
	int32_t pos;

	(void)state;
	assert_non_null(t);
	nslots = neigh_debug_slots(t);
	/* Find 5 keys with home h0 and 2 with home h0 + 1. */
	l = v4(0, 0);
	h0 = neigh_debug_home(t, l.family, l.ip);
	for (host = 0; host < 1000000 && (ns < 5 || nn < 2); host++) {
		uint32_t h;

		l = v4(host, (uint8_t)host);
		h = neigh_debug_home(t, l.family, l.ip);
		if (h == h0 && ns < 5) {
			same[ns++] = l;
		} else if (h == ((h0 + 1) & (nslots - 1)) && nn < 2) {
			next[nn++] = l;
		}
	}
	assert_int_equal(ns, 5);
	assert_int_equal(nn, 2);

	/* Insert: same0 same1 next0 same2 next1 same3 same4 at h0 .. h0+6. */
	assert_int_equal(neigh_learn(t, &same[0], 0), 0);	/* expires first */
	assert_int_equal(neigh_learn(t, &same[1], 100), 0);
	assert_int_equal(neigh_learn(t, &next[0], 100), 0);
	assert_int_equal(neigh_learn(t, &same[2], 50), 0);	/* expires second */
	assert_int_equal(neigh_learn(t, &next[1], 100), 0);
	assert_int_equal(neigh_learn(t, &same[3], 100), 0);
	assert_int_equal(neigh_learn(t, &same[4], 75), 0);	/* expires third (cluster end) */
	for (i = 0; i < 7; i++) {
		const struct net_learn *k = i == 0 ? &same[0] : i == 1 ? &same[1] :
					    i == 2 ? &next[0] : i == 3 ? &same[2] :
					    i == 4 ? &next[1] : i == 5 ? &same[3] : &same[4];

		assert_int_equal(neigh_debug_slot(t, k->family, k->ip), (h0 + i) & (nslots - 1));
	}
	assert_int_equal(neigh_debug_check(t), 0);

	/* Delete the head: everything moves up by one except... everything. */
	assert_int_equal(neigh_expire(t, TIMEOUT), 1);
	assert_int_equal(neigh_debug_check(t), 0);
	pos = neigh_debug_slot(t, same[1].family, same[1].ip);
	assert_int_equal(pos, h0);
	/* next[0] may move to h0+1 = its home. */
	assert_int_equal(neigh_debug_slot(t, next[0].family, next[0].ip), (h0 + 1) & (nslots - 1));
	assert_int_equal(neigh_debug_slot(t, same[4].family, same[4].ip), (h0 + 5) & (nslots - 1));
	assert_int_equal(neigh_debug_slot(t, same[0].family, same[0].ip), -1);

	/* Delete from the middle (same2 at h0+2). */
	assert_int_equal(neigh_expire(t, 50 + TIMEOUT), 1);
	assert_int_equal(neigh_debug_check(t), 0);
	assert_int_equal(neigh_debug_slot(t, same[2].family, same[2].ip), -1);
	assert_int_equal(neigh_debug_slot(t, next[1].family, next[1].ip), (h0 + 2) & (nslots - 1));
	assert_int_equal(neigh_debug_slot(t, same[4].family, same[4].ip), (h0 + 4) & (nslots - 1));

	/* Delete the end of the cluster. */
	assert_int_equal(neigh_expire(t, 75 + TIMEOUT), 1);
	assert_int_equal(neigh_debug_check(t), 0);
	assert_int_equal(neigh_count(t), 4);
	assert_false(found(t, &same[4], 100, mac));
	assert_true(found(t, &same[1], 100, mac));
	assert_memory_equal(mac, same[1].mac, 6);
	assert_true(found(t, &same[3], 100, mac));
	assert_memory_equal(mac, same[3].mac, 6);
	assert_true(found(t, &next[0], 100, mac));
	assert_memory_equal(mac, next[0].mac, 6);
	assert_true(found(t, &next[1], 100, mac));
	assert_memory_equal(mac, next[1].mac, 6);
	neigh_table_free(t);
}

/* Wrap-around: a cluster that starts at the last slot and continues at slot 0. */
static void test_wraparound(void **state)
{
	struct neigh_table *t = neigh_table_new(16, TIMEOUT);
	struct net_learn keys[4], l;
	uint32_t nslots, host, n = 0, i;
	uint8_t mac[6];

	(void)state;
	assert_non_null(t);
	nslots = neigh_debug_slots(t);
	for (host = 0; host < 1000000 && n < 4; host++) {
		l = v6(host, 1);
		if (neigh_debug_home(t, l.family, l.ip) == nslots - 1) {
			keys[n++] = l;
		}
	}
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(neigh_learn(t, &keys[i], i == 1 ? 0 : 500), 0);
	}
	assert_int_equal(neigh_debug_slot(t, keys[0].family, keys[0].ip), nslots - 1);
	assert_int_equal(neigh_debug_slot(t, keys[3].family, keys[3].ip), 2);
	assert_int_equal(neigh_expire(t, TIMEOUT), 1);	/* keys[1], at slot 0 */
	assert_int_equal(neigh_debug_check(t), 0);
	assert_int_equal(neigh_debug_slot(t, keys[2].family, keys[2].ip), 0);
	assert_int_equal(neigh_debug_slot(t, keys[3].family, keys[3].ip), 1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(found(t, &keys[i], 500, mac), i != 1);
	}
	/* Expire the head at the last slot: both wrapped entries move back over the edge. */
	l = keys[0];
	assert_int_equal(neigh_learn(t, &l, 1), 0);
	assert_int_equal(neigh_expire(t, 1 + TIMEOUT), 1);
	assert_int_equal(neigh_debug_check(t), 0);
	assert_int_equal(neigh_debug_slot(t, keys[2].family, keys[2].ip), nslots - 1);
	assert_int_equal(neigh_debug_slot(t, keys[3].family, keys[3].ip), 0);
	neigh_table_free(t);
}

/* Random operations against a reference model, with many collisions (40 keys, 32 slots). */
static void test_random_model(void **state)
{
	struct model {
		bool present;
		uint8_t tag;
		uint64_t stamp;
	} m[40];
	struct neigh_table *t = neigh_table_new(16, TIMEOUT);
	uint64_t now = 1, x = 0x9e3779b97f4a7c15ull;
	uint32_t step, i, count;
	uint8_t mac[6];

	(void)state;
	assert_non_null(t);
	memset(m, 0, sizeof(m));
	for (step = 0; step < 20000; step++) {
		uint32_t k, r;
		struct net_learn l;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (uint32_t)(x >> 32);
		k = r % 40;
		now += (r >> 8) % 50;
		if ((r >> 16) % 4 != 0) {
			uint8_t tag = (uint8_t)(r >> 24);

			l = k % 2 ? v4(k, tag) : v6(k, tag);
			count = 0;
			for (i = 0; i < 40; i++) {
				count += m[i].present;
			}
			if (!m[k].present && count == 16) {
				assert_int_equal(neigh_learn(t, &l, now), -ENOSPC);
			} else {
				assert_int_equal(neigh_learn(t, &l, now), 0);
				m[k].present = true;
				m[k].tag = tag;
				m[k].stamp = now;
			}
		} else {
			uint32_t want = 0;

			for (i = 0; i < 40; i++) {
				if (m[i].present && now - m[i].stamp >= TIMEOUT) {
					m[i].present = false;
					want++;
				}
			}
			assert_int_equal(neigh_expire(t, now), want);
		}
		count = 0;
		for (i = 0; i < 40; i++) {
			struct net_learn q = i % 2 ? v4(i, m[i].tag) : v6(i, m[i].tag);
			bool live = m[i].present && now - m[i].stamp < TIMEOUT;

			count += m[i].present;
			assert_int_equal(found(t, &q, now, mac), live);
			if (live) {
				assert_memory_equal(mac, q.mac, 6);
			}
		}
		assert_int_equal(neigh_count(t), count);
		assert_int_equal(neigh_debug_check(t), 0);
	}
	neigh_table_free(t);
}

struct visit {
	uint32_t n;
	uint64_t age_sum;
	uint32_t stop_at;
};

static int visit_fn(const struct net_learn *l, uint64_t age, void *arg)
{
	struct visit *v = arg;

	assert_true(l->family == NET_FAMILY_IP4 || l->family == NET_FAMILY_IP6);
	assert_int_equal(l->mac[1], 3);
	v->n++;
	v->age_sum += age;
	return v->n == v->stop_at ? 42 : 0;
}

/* Who may create an entry: requests to us yes; answers only if asked; the rest only refresh. */
static void test_apply_rules(void **state)
{
	struct neigh_table *t = neigh_table_new(16, TIMEOUT);
	struct net_learn a = v4(1, 1), b = v6(2, 1), c = v4(3, 1), moved;
	uint8_t mac[NET_ETH_ALEN];

	(void)state;
	assert_non_null(t);
	/* Unsolicited: nothing to refresh, nothing created. */
	a.how = NET_LEARN_UPDATE;
	assert_int_equal(neigh_apply(t, &a, 10), NEIGH_IGNORED);
	a.how = NET_LEARN_ANSWER;
	assert_int_equal(neigh_apply(t, &a, 10), NEIGH_IGNORED);
	assert_false(found(t, &a, 10, mac));
	assert_int_equal(neigh_count(t), 0);

	/* Addressed to us: created; then an unsolicited update may move it. */
	a.how = NET_LEARN_CREATE;
	assert_int_equal(neigh_apply(t, &a, 20), NEIGH_CREATED);
	moved = a;
	moved.mac[5] ^= 0xff;
	moved.how = NET_LEARN_UPDATE;
	assert_int_equal(neigh_apply(t, &moved, 30), NEIGH_UPDATED);
	assert_true(found(t, &a, 30, mac));
	assert_memory_equal(mac, moved.mac, NET_ETH_ALEN);

	/* An answer we asked for creates, once; a second unasked one does not. */
	neigh_expect(t, b.family, b.ip, 40, 40 + 100);
	b.how = NET_LEARN_ANSWER;
	assert_int_equal(neigh_apply(t, &b, 50), NEIGH_CREATED);
	assert_true(found(t, &b, 50, mac));
	c.how = NET_LEARN_ANSWER;
	neigh_expect(t, c.family, c.ip, 60, 60 + 100);
	assert_int_equal(neigh_apply(t, &c, 161), NEIGH_IGNORED); /* asked too long ago */
	neigh_expect(t, c.family, c.ip, 200, 300);
	assert_int_equal(neigh_apply(t, &c, 250), NEIGH_CREATED);
	assert_int_equal(neigh_apply(t, &c, 260), NEIGH_UPDATED); /* now it exists */

	/* Expired entries are not refreshed by updates. */
	a.how = NET_LEARN_UPDATE;
	assert_int_equal(neigh_apply(t, &a, 30 + TIMEOUT + 1), NEIGH_IGNORED);

	a.how = 7;
	assert_int_equal(neigh_apply(t, &a, 10), -EINVAL);
	neigh_table_free(t);
}

/* More than 64 outstanding requests: the oldest expectation gives way. */
static void test_expect_capacity(void **state)
{
	struct neigh_table *t = neigh_table_new(1024, TIMEOUT);
	struct net_learn l;

	(void)state;
	for (uint32_t i = 0; i < 65; i++) {
		l = v4(100 + i, 0);
		neigh_expect(t, l.family, l.ip, i, 1000 + i);
	}
	l = v4(100, 0); /* the first one, expiring soonest, was replaced */
	l.how = NET_LEARN_ANSWER;
	assert_int_equal(neigh_apply(t, &l, 500), NEIGH_IGNORED);
	l = v4(164, 0);
	l.how = NET_LEARN_ANSWER;
	assert_int_equal(neigh_apply(t, &l, 500), NEIGH_CREATED);
	l = v4(101, 0);
	l.how = NET_LEARN_ANSWER;
	assert_int_equal(neigh_apply(t, &l, 500), NEIGH_CREATED);
	neigh_table_free(t);
}

static void test_foreach(void **state)
{
	struct neigh_table *t = neigh_table_new(64, TIMEOUT);
	struct visit v;
	struct net_learn l;
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 10; i++) {
		l = i < 5 ? v4(i, 3) : v6(i, 3);
		assert_int_equal(neigh_learn(t, &l, 100 + i), 0);
	}
	memset(&v, 0, sizeof(v));
	assert_int_equal(neigh_foreach(t, 200, visit_fn, &v), 0);
	assert_int_equal(v.n, 10);
	assert_int_equal(v.age_sum, 10 * 100 - 45);
	memset(&v, 0, sizeof(v));
	v.stop_at = 3;
	assert_int_equal(neigh_foreach(t, 200, visit_fn, &v), 42);
	assert_int_equal(v.n, 3);
	neigh_table_free(t);
}

/*
 * One writer learns and expires in a loop on a small table (constant
 * backward shifts) while a reader looks keys up. Each MAC encodes its key and
 * a generation in every byte, so a torn or mismatched read cannot pass.
 */
#define RACE_KEYS 96
#define RACE_ITERS 400000

struct race {
	struct neigh_table *t;
	uint64_t clock;
	int done;
	uint64_t hits, lookups, bad;
};

static void race_key(uint32_t k, struct net_learn *l)
{
	memset(l, 0, sizeof(*l));
	if (k % 3 == 0) {
		l->family = NET_FAMILY_IP4;
		l->ip[0] = 10;
		l->ip[1] = 1;
		l->ip[2] = (uint8_t)(k * 7);
		l->ip[3] = (uint8_t)k;
	} else {
		l->family = NET_FAMILY_IP6;
		l->ip[0] = 0xfe;
		l->ip[1] = 0x80;
		l->ip[7] = (uint8_t)(k * 13);
		l->ip[15] = (uint8_t)k;
	}
}

static void race_mac(const struct net_learn *l, uint8_t gen, uint8_t *mac)
{
	const uint8_t *ip = l->ip;
	uint8_t x = l->family == NET_FAMILY_IP4 ? ip[2] ^ ip[3] : ip[7] ^ ip[15];

	mac[0] = 0x02;
	mac[1] = gen;
	mac[2] = x ^ gen;
	mac[3] = (uint8_t)(x + gen);
	mac[4] = (uint8_t)(x * 3) ^ gen;
	mac[5] = l->family;
}

static void *race_writer(void *arg)
{
	struct race *r = arg;
	struct net_learn l;
	uint32_t i;

	for (i = 0; i < RACE_ITERS; i++) {
		uint64_t now = __atomic_add_fetch(&r->clock, 1, __ATOMIC_RELAXED);

		race_key((i * 37) % RACE_KEYS, &l);
		race_mac(&l, (uint8_t)(i >> 3), l.mac);
		(void)neigh_learn(r->t, &l, now);
		if (i % 16 == 0) {
			(void)neigh_expire(r->t, now);
		}
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	struct net_learn l;
	uint8_t mac[6], want[6];
	uint32_t k = 0;

	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		uint64_t now = __atomic_load_n(&r->clock, __ATOMIC_RELAXED);

		k = (k + 11) % RACE_KEYS;
		race_key(k, &l);
		r->lookups++;
		if (neigh_lookup(r->t, l.family, l.ip, now, mac)) {
			r->hits++;
			race_mac(&l, mac[1], want);
			if (memcmp(mac, want, 6) != 0) {
				r->bad++;
			}
		}
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	struct race r;
	pthread_t w, rd;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* 32 entries in 64 slots for 96 keys; entries live for 40 writes. */
	r.t = neigh_table_new(32, 40);
	assert_non_null(r.t);
	assert_int_equal(pthread_create(&rd, NULL, race_reader, &r), 0);
	assert_int_equal(pthread_create(&w, NULL, race_writer, &r), 0);
	assert_int_equal(pthread_join(w, NULL), 0);
	assert_int_equal(pthread_join(rd, NULL), 0);
	print_message("lookups %lu hits %lu bad %lu\n", (unsigned long)r.lookups,
		      (unsigned long)r.hits, (unsigned long)r.bad);
	assert_int_equal(r.bad, 0);
	assert_true(r.hits > 0);
	assert_int_equal(neigh_debug_check(r.t), 0);
	neigh_table_free(r.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_args),
		cmocka_unit_test(test_learn_lookup),
		cmocka_unit_test(test_refresh_and_expire),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_collisions_backward_shift),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_apply_rules),
		cmocka_unit_test(test_expect_capacity),
		cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
