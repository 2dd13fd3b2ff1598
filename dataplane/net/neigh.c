/* SPDX-License-Identifier: Apache-2.0 */
/*
 * neigh.c - the neighbour cache: open addressing with linear probing, one
 * writer, lock-free seqlock readers.
 *
 * Layout. The table has twice as many slots as it admits entries (load
 * <= 1/2), so there is always an empty slot: a probe for an absent key ends
 * there, and deletion never has to handle a completely full ring. A slot is
 * 40 bytes: sequence counter, the key (16 address bytes, IPv4 zero-padded),
 * one word holding family and MAC (0 = empty) and the time of the last learn.
 *
 * Seqlock (Boehm, "Can seqlocks get along with programming language memory
 * models?", 2012). The writer stores seq+1 (odd), issues a release fence,
 * stores the payload words with relaxed atomics and publishes seq+2 with a
 * release store. A reader loads seq with acquire, loads the payload with
 * relaxed atomics, issues an acquire fence and reloads seq: equal and even
 * means the payload is one consistent version of the slot. Every payload
 * access is atomic, so there is no data race in the C11 sense; readers only
 * ever load, so no reader dirties a cache line.
 *
 * Deletion is tombstone-free backward-shift deletion (Knuth 6.4 algorithm R):
 * removing slot i pulls later members of the cluster that may live at i into
 * it, one slot write (under that slot's seqlock) at a time, then empties the
 * last hole. While an entry is being moved it is present at both its old and
 * its new slot, so a reader sees it unless it has already probed past the new
 * slot when the move happens and reaches the old one after it was overwritten:
 * that reader reports a miss (the worker then resolves again), never a wrong
 * or torn binding, because each slot it matches is a consistent snapshot and
 * the single writer never has two different bindings for one key in the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_pause.h>

#include "neigh.h"
#include "net_internal.h"

#define NEIGH_MIN_CAPACITY	16u
#define NEIGH_MAX_CAPACITY	(1u << 20)
#define NEIGH_SLOT_ALIGN	64u

#define META_MAC_MASK		((UINT64_C(1) << 48) - 1)
#define META_FAMILY_SHIFT	48

struct neigh_slot {
	uint32_t seq;		/* odd while the writer rewrites the slot */
	uint32_t rsvd;
	uint64_t key[2];	/* address bytes in memory order, IPv4 zero-padded */
	uint64_t meta;		/* family << 48 | MAC; 0 when the slot is empty */
	uint64_t stamp;		/* tsc of the last neigh_learn */
};

/* A consistent copy of a slot's payload. */
struct slot_view {
	uint64_t key[2];
	uint64_t meta;
	uint64_t stamp;
};

/* Addresses we asked for (ARP request or NS sent), so that answers may create entries. */
#define NEIGH_EXPECT_SLOTS 64

struct neigh_expect {
	uint8_t family;
	uint8_t ip[16];
	uint64_t until;
};

struct neigh_table {
	struct neigh_expect expect[NEIGH_EXPECT_SLOTS];	/* writer only */
	struct neigh_slot *slots;
	uint32_t mask;		/* number of slots - 1 */
	uint32_t max;		/* entries admitted (slots / 2) */
	uint32_t count;		/* written by the writer only; read with atomics */
	uint64_t timeout;
	uint64_t seed;
};

static uint32_t roundup_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v) {
		p <<= 1;
	}
	return p;
}

static bool family_ok(uint8_t family)
{
	return family == NET_FAMILY_IP4 || family == NET_FAMILY_IP6;
}

static void make_key(uint8_t family, const uint8_t *ip, uint64_t key[2])
{
	uint8_t b[16] = {0};

	memcpy(b, ip, family == NET_FAMILY_IP4 ? 4 : 16);
	memcpy(key, b, sizeof(b));
}

static uint64_t make_meta(uint8_t family, const uint8_t *mac)
{
	uint64_t m = (uint64_t)family << META_FAMILY_SHIFT;
	int i;

	for (i = 0; i < NET_ETH_ALEN; i++) {
		m |= (uint64_t)mac[i] << (8 * (NET_ETH_ALEN - 1 - i));
	}
	return m;
}

static uint8_t meta_family(uint64_t meta)
{
	return (uint8_t)(meta >> META_FAMILY_SHIFT);
}

static void meta_mac(uint64_t meta, uint8_t *mac)
{
	int i;

	for (i = 0; i < NET_ETH_ALEN; i++) {
		mac[i] = (uint8_t)(meta >> (8 * (NET_ETH_ALEN - 1 - i)));
	}
}

/* Seeded so that hosts on the link cannot aim their addresses at one cluster. */
static uint32_t key_home(const struct neigh_table *t, uint8_t family, const uint64_t key[2])
{
	uint64_t h = t->seed ^ family;

	h ^= key[0];
	h *= UINT64_C(0x9e3779b97f4a7c15);
	h ^= h >> 32;
	h ^= key[1];
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 29;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 32;
	return (uint32_t)h & t->mask;
}

static bool key_eq(const struct slot_view *v, uint8_t family, const uint64_t key[2])
{
	return meta_family(v->meta) == family && v->key[0] == key[0] && v->key[1] == key[1];
}

static uint64_t age_of(uint64_t stamp, uint64_t now)
{
	/* A reader's clock may trail the writer's stamp by a little: that is age 0. */
	return now > stamp ? now - stamp : 0;
}

/*
 * slot_read takes a consistent snapshot of |s|. With |spin| it retries until
 * it gets one (the writer holds a slot for a few stores); without, it gives up
 * at the first conflict and returns false.
 */
static bool slot_read(const struct neigh_slot *s, struct slot_view *v, bool spin)
{
	uint32_t s1, s2;

	for (;;) {
		s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if ((s1 & 1) == 0) {
			v->key[0] = __atomic_load_n(&s->key[0], __ATOMIC_RELAXED);
			v->key[1] = __atomic_load_n(&s->key[1], __ATOMIC_RELAXED);
			v->meta = __atomic_load_n(&s->meta, __ATOMIC_RELAXED);
			v->stamp = __atomic_load_n(&s->stamp, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
			if (s1 == s2) {
				return true;
			}
		}
		if (!spin) {
			return false;
		}
		rte_pause();
	}
}

/* The writer's own view of a slot: nobody else writes, so no retry is needed. */
static void slot_peek(const struct neigh_slot *s, struct slot_view *v)
{
	v->key[0] = __atomic_load_n(&s->key[0], __ATOMIC_RELAXED);
	v->key[1] = __atomic_load_n(&s->key[1], __ATOMIC_RELAXED);
	v->meta = __atomic_load_n(&s->meta, __ATOMIC_RELAXED);
	v->stamp = __atomic_load_n(&s->stamp, __ATOMIC_RELAXED);
}

static void slot_write(struct neigh_slot *s, const struct slot_view *v)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->key[0], v->key[0], __ATOMIC_RELAXED);
	__atomic_store_n(&s->key[1], v->key[1], __ATOMIC_RELAXED);
	__atomic_store_n(&s->meta, v->meta, __ATOMIC_RELAXED);
	__atomic_store_n(&s->stamp, v->stamp, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

static void set_count(struct neigh_table *t, uint32_t n)
{
	__atomic_store_n(&t->count, n, __ATOMIC_RELAXED);
}

struct neigh_table *neigh_table_new(uint32_t capacity, uint64_t timeout_tsc)
{
	struct neigh_table *t;
	uint32_t entries, nslots;
	size_t bytes;

	if (capacity == 0 || timeout_tsc == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (capacity > NEIGH_MAX_CAPACITY) {
		capacity = NEIGH_MAX_CAPACITY;
	}
	entries = roundup_pow2(capacity);
	if (entries < NEIGH_MIN_CAPACITY) {
		entries = NEIGH_MIN_CAPACITY;
	}
	nslots = entries * 2;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		goto out_nomem;
	}
	/* aligned_alloc wants a size that is a multiple of the alignment. */
	bytes = (size_t)nslots * sizeof(struct neigh_slot);
	bytes = (bytes + NEIGH_SLOT_ALIGN - 1) & ~((size_t)NEIGH_SLOT_ALIGN - 1);
	t->slots = aligned_alloc(NEIGH_SLOT_ALIGN, bytes);
	if (t->slots == NULL) {
		goto out_free_table;
	}
	memset(t->slots, 0, bytes);
	t->mask = nslots - 1;
	t->max = entries;
	t->timeout = timeout_tsc;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed)) {
		/* No entropy yet (early boot): any seed works; collisions are easier to aim. */
		t->seed = (uint64_t)(uintptr_t)t * UINT64_C(0x9e3779b97f4a7c15);
	}
	return t;

out_free_table:
	free(t);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

void neigh_table_free(struct neigh_table *t)
{
	if (t == NULL) {
		return;
	}
	free(t->slots);
	free(t);
}

int neigh_learn(struct neigh_table *t, const struct net_learn *l, uint64_t now)
{
	struct slot_view v;
	uint64_t key[2];
	uint32_t home, i, j = 0;

	if (!family_ok(l->family)) {
		return -EINVAL;
	}
	make_key(l->family, l->ip, key);
	home = key_home(t, l->family, key);
	for (i = 0; i <= t->mask; i++) {
		j = (home + i) & t->mask;
		slot_peek(&t->slots[j], &v);
		if (v.meta == 0) {
			if (t->count >= t->max) {
				return -ENOSPC;
			}
			set_count(t, t->count + 1);
			break;
		}
		if (key_eq(&v, l->family, key)) {
			break;
		}
	}
	if (i > t->mask) {
		return -ENOSPC;	/* unreachable: load <= 1/2 keeps an empty slot */
	}
	v.key[0] = key[0];
	v.key[1] = key[1];
	v.meta = make_meta(l->family, l->mac);
	v.stamp = now;
	slot_write(&t->slots[j], &v);
	return 0;
}

static size_t ip_len(uint8_t family)
{
	return family == NET_FAMILY_IP4 ? 4 : 16;
}

void neigh_expect(struct neigh_table *t, uint8_t family, const uint8_t *ip, uint64_t now,
		  uint64_t until)
{
	struct neigh_expect *slot = NULL, *free_slot = NULL, *soonest = NULL;

	if (!family_ok(family)) {
		return;
	}
	for (unsigned i = 0; i < NEIGH_EXPECT_SLOTS && slot == NULL; i++) {
		struct neigh_expect *e = &t->expect[i];

		if (e->family == family && memcmp(e->ip, ip, ip_len(family)) == 0) {
			slot = e; /* asked again: extend */
		} else if (e->family == NET_FAMILY_NONE || e->until <= now) {
			free_slot = free_slot != NULL ? free_slot : e;
		} else if (soonest == NULL || e->until < soonest->until) {
			soonest = e;
		}
	}
	if (slot == NULL) {
		slot = free_slot != NULL ? free_slot : soonest;
	}
	slot->family = family;
	memset(slot->ip, 0, sizeof(slot->ip));
	memcpy(slot->ip, ip, ip_len(family));
	slot->until = until;
}

/* Consume the expectation for |l|'s address, if one is live at |now|. */
static bool take_expect(struct neigh_table *t, const struct net_learn *l, uint64_t now)
{
	for (unsigned i = 0; i < NEIGH_EXPECT_SLOTS; i++) {
		struct neigh_expect *e = &t->expect[i];

		if (e->family == l->family && memcmp(e->ip, l->ip, ip_len(l->family)) == 0) {
			bool live = e->until > now;

			e->family = NET_FAMILY_NONE;
			return live;
		}
	}
	return false;
}

int neigh_apply(struct neigh_table *t, const struct net_learn *l, uint64_t now)
{
	uint8_t mac[NET_ETH_ALEN];
	bool exists;
	int rc;

	if (!family_ok(l->family)) {
		return -EINVAL;
	}
	exists = neigh_lookup(t, l->family, l->ip, now, mac);
	switch (l->how) {
	case NET_LEARN_CREATE:
		break;
	case NET_LEARN_ANSWER:
		if (!take_expect(t, l, now) && !exists) {
			return NEIGH_IGNORED;
		}
		break;
	case NET_LEARN_UPDATE:
		if (!exists) {
			return NEIGH_IGNORED;
		}
		break;
	default:
		return -EINVAL;
	}
	rc = neigh_learn(t, l, now);
	if (rc < 0) {
		return rc;
	}
	return exists ? NEIGH_UPDATED : NEIGH_CREATED;
}

bool neigh_lookup(const struct neigh_table *t, uint8_t family, const uint8_t *ip, uint64_t now,
		  uint8_t mac[NET_ETH_ALEN])
{
	struct slot_view v;
	uint64_t key[2];
	uint32_t home, i;

	if (!family_ok(family)) {
		return false;
	}
	make_key(family, ip, key);
	home = key_home(t, family, key);
	for (i = 0; i <= t->mask; i++) {
		slot_read(&t->slots[(home + i) & t->mask], &v, true);
		if (v.meta == 0) {
			return false;
		}
		if (key_eq(&v, family, key)) {
			if (age_of(v.stamp, now) >= t->timeout) {
				return false;
			}
			meta_mac(v.meta, mac);
			return true;
		}
	}
	return false;
}

/*
 * Remove slot |i| and close the gap (backward shift). An entry at j whose
 * home is k may move to the hole at i unless k lies cyclically in (i, j].
 */
static void slot_delete(struct neigh_table *t, uint32_t i)
{
	static const struct slot_view empty;
	struct slot_view v;
	uint32_t j = i, k;

	for (;;) {
		j = (j + 1) & t->mask;
		slot_peek(&t->slots[j], &v);
		if (v.meta == 0) {
			break;
		}
		k = key_home(t, meta_family(v.meta), v.key);
		if (((j - k) & t->mask) < ((j - i) & t->mask)) {
			continue;
		}
		slot_write(&t->slots[i], &v);
		i = j;
	}
	slot_write(&t->slots[i], &empty);
	set_count(t, t->count - 1);
}

uint32_t neigh_expire(struct neigh_table *t, uint64_t now)
{
	struct slot_view v;
	uint32_t start, step, i, n = 0;

	/*
	 * Scan from an empty slot so no cluster wraps past the end of the scan:
	 * a deletion then only pulls entries from further along the scan into
	 * the current slot, which is examined again.
	 */
	for (start = 0; start <= t->mask; start++) {
		slot_peek(&t->slots[start], &v);
		if (v.meta == 0) {
			break;
		}
	}
	for (step = 1; step <= t->mask + 1;) {
		i = (start + step) & t->mask;
		slot_peek(&t->slots[i], &v);
		if (v.meta != 0 && age_of(v.stamp, now) >= t->timeout) {
			slot_delete(t, i);
			n++;
			continue;
		}
		step++;
	}
	return n;
}

uint32_t neigh_count(const struct neigh_table *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_RELAXED);
}

int neigh_foreach(const struct neigh_table *t, uint64_t now,
		  int (*fn)(const struct net_learn *l, uint64_t age, void *arg), void *arg)
{
	struct net_learn l;
	struct slot_view v;
	uint32_t i;
	int rc;

	for (i = 0; i <= t->mask; i++) {
		/* A slot being rewritten is skipped; an entry being shifted may show twice. */
		if (!slot_read(&t->slots[i], &v, false) || v.meta == 0) {
			continue;
		}
		memset(&l, 0, sizeof(l));
		l.family = meta_family(v.meta);
		meta_mac(v.meta, l.mac);
		memcpy(l.ip, v.key, sizeof(l.ip));
		rc = fn(&l, age_of(v.stamp, now), arg);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

uint32_t neigh_debug_home(const struct neigh_table *t, uint8_t family, const uint8_t *ip)
{
	uint64_t key[2];

	make_key(family, ip, key);
	return key_home(t, family, key);
}

int32_t neigh_debug_slot(const struct neigh_table *t, uint8_t family, const uint8_t *ip)
{
	struct slot_view v;
	uint64_t key[2];
	uint32_t i;

	make_key(family, ip, key);
	for (i = 0; i <= t->mask; i++) {
		slot_peek(&t->slots[i], &v);
		if (v.meta != 0 && key_eq(&v, family, key)) {
			return (int32_t)i;
		}
	}
	return -1;
}

uint32_t neigh_debug_slots(const struct neigh_table *t)
{
	return t->mask + 1;
}

int neigh_debug_check(const struct neigh_table *t)
{
	struct slot_view v, w;
	uint32_t i, j, k, n = 0;

	for (i = 0; i <= t->mask; i++) {
		slot_peek(&t->slots[i], &v);
		if (v.meta == 0) {
			continue;
		}
		n++;
		if (!family_ok(meta_family(v.meta))) {
			return -EUCLEAN;
		}
		/* Reachable: no empty slot and no other copy of the key between home and i. */
		k = key_home(t, meta_family(v.meta), v.key);
		for (j = k; j != i; j = (j + 1) & t->mask) {
			slot_peek(&t->slots[j], &w);
			if (w.meta == 0 || key_eq(&w, meta_family(v.meta), v.key)) {
				return -EUCLEAN;
			}
		}
	}
	if (n != t->count || n > t->max) {
		return -EUCLEAN;
	}
	return 0;
}
