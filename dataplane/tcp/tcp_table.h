/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_table.h - the per-lcore TCP connection table: the 4-tuple of a
 * segment to the index of its connection, plus the listeners for passive
 * opens.
 *
 * Each worker owns one struct tcp_table (shared nothing): the connections
 * whose segments RSS delivers to its RX queue (tcp_rss.h). The table maps a
 * struct tcp_key to a uint32_t connection index into the worker's own
 * connection pool; it never holds pointers and never allocates after
 * tcp_table_new. The map is an rte_hash (cuckoo hashing, 8-entry buckets)
 * with a fixed 40-byte key, no extendable buckets (memory is bounded: a
 * full bucket pair makes tcp_table_add fail with -ENOSPC instead of growing)
 * and no concurrency flags: exactly one lcore reads and writes it, so no
 * lock or RCU is needed. The hot path is tcp_table_lookup_burst, which goes
 * through rte_hash_lookup_bulk_data (up to 64 keys per call) so that bucket
 * and key fetches of different keys overlap.
 *
 * The listeners are a small array (TCP_LISTEN_MAX) in the same object,
 * consulted only when a SYN misses the connection table: exact local
 * address first, then the wildcard address of the same family.
 *
 * Thread context: every function except tcp_table_new and tcp_table_free
 * may be called on the owning lcore only (or on any one thread at a time);
 * none of them takes a lock. tcp_table_new and tcp_table_free need EAL
 * (rte_hash, rte_malloc) and run on the slow path. tcp_key4/tcp_key6 are
 * sans-I/O.
 *
 * Byte order (as in tcp_rss.h): IPv4 addresses are in network order as they
 * lie in the IP header, IPv6 addresses are 16 bytes in network order, ports
 * are in host order. "Local" is our side (the destination of a received
 * segment), "remote" the peer.
 */
#ifndef SB_TCP_TABLE_H
#define SB_TCP_TABLE_H

#include <stdint.h>
#include <stdio.h>

/* Address families in struct tcp_key (values of AF_INET/AF_INET6 are not portable). */
#define TCP_KEY_V4 4
#define TCP_KEY_V6 6

/* The index stored for a miss in tcp_table_lookup_burst; never a valid connection index. */
#define TCP_CONN_NONE UINT32_MAX

/* Listener slots per table; tcp_listen_add fails with -ENOSPC beyond. */
#define TCP_LISTEN_MAX 64

/* Keys per rte_hash bulk call (RTE_HASH_LOOKUP_BULK_MAX); bursts loop over chunks of this. */
#define TCP_TABLE_BULK_MAX 64

/*
 * struct tcp_key is the connection key, 40 bytes, compared and hashed as
 * raw bytes: build it with tcp_key4 or tcp_key6 only, which zero every
 * byte that is not a field. An IPv4 address is stored IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 2.5.5.2); |family| keeps an IPv4 key distinct
 * from an IPv6 key that carries the same mapped address.
 */
struct tcp_key {
	uint8_t laddr[16]; /* local address, network order */
	uint8_t raddr[16]; /* remote address, network order */
	uint16_t lport;	   /* local port, host order */
	uint16_t rport;	   /* remote port, host order */
	uint8_t family;	   /* TCP_KEY_V4 or TCP_KEY_V6 */
	uint8_t pad[3];	   /* zero */
};

_Static_assert(sizeof(struct tcp_key) == 40, "tcp_key is a 40-byte hash key");

struct tcp_table;

/*
 * tcp_key4 fills |k| for an IPv4 connection between local |laddr_be|:|lport|
 * and remote |raddr_be|:|rport|, zeroing all padding. For a received segment
 * the local side is the destination. Sans-I/O.
 */
void tcp_key4(struct tcp_key *k, uint32_t laddr_be, uint16_t lport, uint32_t raddr_be,
	      uint16_t rport);

/* tcp_key6 is tcp_key4 for IPv6 (16-byte addresses). Sans-I/O. */
void tcp_key6(struct tcp_key *k, const uint8_t laddr[16], uint16_t lport, const uint8_t raddr[16],
	      uint16_t rport);

/*
 * tcp_table_new creates a table for |capacity| connections named |name|
 * (unique among rte_hash tables in the process, at most 31 characters, e.g.
 * "tcp_conn_lc3") in memory of NUMA |socket| (SOCKET_ID_ANY allowed). The
 * capacity is rounded up as rte_hash does (to a power of two, at least 8);
 * tcp_table_capacity reports the result. Without extendable buckets a
 * cuckoo table can report -ENOSPC from tcp_table_add before every slot is
 * used (when both buckets of a key stay full after displacement); size it
 * with headroom. Returns the table, or NULL with rte_errno set: EINVAL
 * (capacity 0 or above 2^30, name NULL), EEXIST (the name is taken) or
 * ENOMEM. Slow path; needs EAL. The caller owns the table and frees it with
 * tcp_table_free.
 */
struct tcp_table *tcp_table_new(const char *name, uint32_t capacity, int socket)
	__attribute__((warn_unused_result));

/* tcp_table_free frees |t| and its hash; NULL is accepted. Slow path. */
void tcp_table_free(struct tcp_table *t);

/*
 * tcp_table_add maps |k| to connection index |conn_idx| (anything but
 * TCP_CONN_NONE). Returns 0, -EEXIST when |k| is already in the table (its
 * index is left as it was), -ENOSPC when both candidate buckets of |k| are
 * full and no displacement frees a slot, or -EINVAL for conn_idx
 * TCP_CONN_NONE. Owning lcore; no allocation.
 */
int tcp_table_add(struct tcp_table *t, const struct tcp_key *k, uint32_t conn_idx)
	__attribute__((warn_unused_result));

/*
 * tcp_table_del removes |k|; its slot is reusable at once (single owner, no
 * readers elsewhere). Returns 0 or -ENOENT. Owning lcore.
 */
int tcp_table_del(struct tcp_table *t, const struct tcp_key *k) __attribute__((warn_unused_result));

/*
 * tcp_table_lookup finds |k| and stores its connection index in |*conn_idx|.
 * Returns 0, or -ENOENT (|*conn_idx| is then TCP_CONN_NONE). Owning lcore.
 * For more than one key use tcp_table_lookup_burst.
 */
int tcp_table_lookup(const struct tcp_table *t, const struct tcp_key *k, uint32_t *conn_idx)
	__attribute__((warn_unused_result));

/*
 * tcp_table_lookup_burst looks up |n| keys, |keys[i]| pointing at each
 * (e.g. into the mbufs' private areas). It stores the connection index of
 * key i in |conn_idx[i]| (TCP_CONN_NONE for a miss) and, when |hit_mask| is
 * not NULL, sets bit i % 64 of |hit_mask[i / 64]| for a hit and clears it
 * for a miss; hit_mask then holds (n + 63) / 64 words. Keys are processed
 * in chunks of TCP_TABLE_BULK_MAX with rte_hash_lookup_bulk_data. Returns
 * the number of hits (0..n). Owning lcore; the fast path.
 */
uint16_t tcp_table_lookup_burst(const struct tcp_table *t, const struct tcp_key *const keys[],
				uint16_t n, uint32_t conn_idx[], uint64_t hit_mask[]);

/*
 * tcp_table_hash_burst computes the table's hash of each of |n| keys into
 * |sig[i]|, for a caller that hashes early (while other work hides the
 * latency) and looks up later with tcp_table_lookup_burst_hashed. Owning
 * lcore or any thread: it reads only the table's hash parameters.
 */
void tcp_table_hash_burst(const struct tcp_table *t, const struct tcp_key *const keys[],
			  uint16_t n, uint32_t sig[]);

/*
 * tcp_table_lookup_burst_hashed is tcp_table_lookup_burst with the hashes
 * precomputed by tcp_table_hash_burst for the same keys (a wrong signature
 * makes the lookup miss, never return a wrong index). Same outputs and
 * return value. Owning lcore; the fast path.
 */
uint16_t tcp_table_lookup_burst_hashed(const struct tcp_table *t,
				       const struct tcp_key *const keys[], const uint32_t sig[],
				       uint16_t n, uint32_t conn_idx[], uint64_t hit_mask[]);

/* tcp_table_count returns the number of connections in |t|. */
uint32_t tcp_table_count(const struct tcp_table *t);

/* tcp_table_capacity returns the capacity of |t| after rte_hash's rounding. */
uint32_t tcp_table_capacity(const struct tcp_table *t);

/*
 * tcp_listen_add adds a listener of |family| (TCP_KEY_V4 or TCP_KEY_V6) on
 * local |addr|:|port| with listener index |listen_idx|. |addr| points at 4
 * bytes (IPv4, network order) or 16 bytes (IPv6), or is NULL for the
 * wildcard address of the family (0.0.0.0 or ::; an all-zero address is
 * the wildcard too). IPv4 and IPv6 listeners on one port are independent.
 * Returns 0, -EEXIST for the same (family, address, port) again, -ENOSPC
 * beyond TCP_LISTEN_MAX listeners, or -EINVAL (bad family, port 0 or
 * listen_idx TCP_CONN_NONE). Owning lcore; slow path.
 */
int tcp_listen_add(struct tcp_table *t, uint8_t family, const uint8_t *addr, uint16_t port,
		   uint32_t listen_idx) __attribute__((warn_unused_result));

/*
 * tcp_listen_del removes the listener tcp_listen_add added with the same
 * |family|, |addr| (NULL for the wildcard) and |port|. Returns 0, -ENOENT,
 * or -EINVAL for a bad family. Owning lcore.
 */
int tcp_listen_del(struct tcp_table *t, uint8_t family, const uint8_t *addr, uint16_t port)
	__attribute__((warn_unused_result));

/*
 * tcp_listen_lookup finds the listener for a SYN whose connection key is
 * |k| (only family, laddr and lport are read): the listener on exactly
 * that local address and port if there is one, else the wildcard listener
 * of the same family on that port. Stores its index in |*listen_idx| and
 * returns 0, or returns -ENOENT (|*listen_idx| = TCP_CONN_NONE). A linear
 * scan of at most TCP_LISTEN_MAX entries; owning lcore.
 */
int tcp_listen_lookup(const struct tcp_table *t, const struct tcp_key *k, uint32_t *listen_idx)
	__attribute__((warn_unused_result));

/* tcp_listen_count returns the number of listeners in |t|. */
uint32_t tcp_listen_count(const struct tcp_table *t);

/*
 * tcp_table_dump writes |t| for humans to |f|: name, capacity, count, hash
 * function, the listeners, and up to |max_conns| connections (4-tuple and
 * index). Any thread while the owner is quiescent.
 */
void tcp_table_dump(FILE *f, const struct tcp_table *t, uint32_t max_conns);

#endif
