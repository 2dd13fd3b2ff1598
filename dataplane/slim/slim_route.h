/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slim_route.h - the SLIM subscription table (shared/reference/slim.md 1.3):
 * which connections subscribed to which encoded names, and the publish
 * lookups over it.
 *
 * A name is three 64-bit component hashes (org, namespace, service) and a
 * 128-bit id; the all-ones id is "any". Entries are grouped per prefix
 * (the three components) in an open-addressing table; each prefix keeps
 * its (id, connection) pairs and a round-robin cursor. A subscription with
 * the any-id matches every id under its prefix, and a publish to the any-id
 * matches every subscription under it.
 *
 * Connections are small integers chosen by the caller; each has a class
 * (local: an app attached directly, or remote: another node), used by
 * anycast to prefer local subscribers. Updates (subscribe, unsubscribe, a
 * connection gone) allocate and belong to the slow path; lookups allocate
 * nothing. Not thread-safe: one table per owner.
 */
#ifndef SB_SLIM_ROUTE_H
#define SB_SLIM_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#define SLIM_ID_ANY UINT64_MAX /* both halves all-ones: no id */

struct slim_name {
	uint64_t c[3];
	uint64_t id_hi, id_lo;
};

struct slim_route;

/* slim_name_id_any says |n| names no particular id. */
static inline bool slim_name_id_any(const struct slim_name *n)
{
	return n->id_hi == SLIM_ID_ANY && n->id_lo == SLIM_ID_ANY;
}

/* slim_route_new makes an empty table. Returns NULL without memory. */
struct slim_route *slim_route_new(void);

/* slim_route_free frees |t|. Accepts NULL. */
void slim_route_free(struct slim_route *t);

/*
 * slim_route_add subscribes connection |conn| (class |local|) to |n|.
 * Idempotent. Returns 0 or -ENOMEM.
 */
int slim_route_add(struct slim_route *t, const struct slim_name *n, uint32_t conn, bool local)
	__attribute__((warn_unused_result));

/* slim_route_del removes |conn|'s subscription to |n|; returns 0 or -ENOENT. */
int slim_route_del(struct slim_route *t, const struct slim_name *n, uint32_t conn);

/* slim_route_del_conn removes every subscription of |conn|; returns how many. */
uint32_t slim_route_del_conn(struct slim_route *t, uint32_t conn);

/*
 * slim_route_anycast picks one connection subscribed to a name matching
 * |n|, never |ingress|: local ones first, round robin among equals; with
 * |local_only| local ones only.
 * Returns true and sets |*out|, or false when there is none.
 */
bool slim_route_anycast(struct slim_route *t, const struct slim_name *n, uint32_t ingress,
			bool local_only, uint32_t *out);

/*
 * slim_route_multicast stores up to |max| distinct connections subscribed to
 * a name matching |n|, except |ingress| (and remote ones with |local_only|),
 * in |out| and returns how many.
 */
uint32_t slim_route_multicast(struct slim_route *t, const struct slim_name *n, uint32_t ingress,
			      bool local_only, uint32_t *out, uint32_t max);

/* slim_route_foreach calls |fn| for every (name, connection, class) subscription. */
void slim_route_foreach(const struct slim_route *t,
			void (*fn)(const struct slim_name *n, uint32_t conn, bool local, void *arg),
			void *arg);

/* slim_route_has_local says some local-class connection other than |except| subscribes to exactly |n|. */
bool slim_route_has_local(const struct slim_route *t, const struct slim_name *n, uint32_t except);

/* slim_route_count returns the number of (name, connection) subscriptions. */
uint32_t slim_route_count(const struct slim_route *t);

#endif
