/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net_internal.h - what the files of the L2/L3 engine share: the per-protocol
 * input functions that net_input dispatches to, wire constants, address
 * predicates and checksum helpers. Not part of the public contract (net.h),
 * but the unit tests may use it.
 *
 * Frame layout seen by every input function: the Ethernet header is at
 * frame[0..14), already validated and accepted by net_eth.c; |l3| is a cursor
 * over the bytes after it (frame + 14, len - 14). Replies are written in
 * place into |frame| and may grow up to |cap| bytes.
 */
#ifndef SB_NET_INTERNAL_H
#define SB_NET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>

#include "net.h"
#include "neigh.h"
#include "../util/cursor.h"

/* Ethernet (IEEE 802.3); offsets into the frame, not a cast struct: frames may be unaligned. */
#define NET_ETH_HLEN		14
#define NET_ETH_OFF_DST		0
#define NET_ETH_OFF_SRC		6
#define NET_ETH_OFF_TYPE	12
#define NET_ETH_MIN_FRAME	60	/* without FCS */

#define NET_ETHERTYPE_IP4	0x0800
#define NET_ETHERTYPE_ARP	0x0806
#define NET_ETHERTYPE_VLAN	0x8100
#define NET_ETHERTYPE_IP6	0x86dd
#define NET_ETHERTYPE_QINQ	0x88a8
#define NET_ETHERTYPE_QINQ_OLD	0x9100

/* ARP (RFC 826) for Ethernet/IPv4: 28 bytes after the Ethernet header. */
#define NET_ARP_LEN		28
#define NET_ARP_HRD_ETHER	1
#define NET_ARP_OP_REQUEST	1
#define NET_ARP_OP_REPLY	2

/* IPv4 (RFC 791) */
#define NET_IP4_HLEN		20
#define NET_IP4_TTL		64
#define NET_IP4_MF		0x2000
#define NET_IP4_OFFMASK		0x1fff

/* IPv6 (RFC 8200) */
#define NET_IP6_HLEN		40
#define NET_IP6_HOP_LIMIT	64

#define NET_PROTO_HOPOPTS	0
#define NET_PROTO_ICMP		1
#define NET_PROTO_TCP		6
#define NET_PROTO_UDP		17
#define NET_PROTO_ROUTING	43
#define NET_PROTO_FRAGMENT	44
#define NET_PROTO_ESP		50
#define NET_PROTO_AH		51
#define NET_PROTO_ICMP6		58
#define NET_PROTO_DSTOPTS	60
#define NET_PROTO_MOBILITY	135

/* ICMP (RFC 792) and ICMPv6 (RFC 4443) */
#define NET_ICMP_HLEN		8
#define NET_ICMP_ECHO_REPLY	0
#define NET_ICMP_ECHO_REQUEST	8
#define NET_ICMP6_HLEN		4
#define NET_ICMP6_ECHO_HLEN	8
#define NET_ICMP6_ECHO_REQUEST	128
#define NET_ICMP6_ECHO_REPLY	129

/* Neighbour discovery (RFC 4861) */
#define NET_NDP_NS		135
#define NET_NDP_NA		136
#define NET_NDP_HOP_LIMIT	255
#define NET_NDP_MSG_LEN		24	/* type, code, csum, flags/reserved, target */
#define NET_NDP_OPT_SLLAO	1
#define NET_NDP_OPT_TLLAO	2
#define NET_NDP_LLAO_LEN	8	/* one 8-octet unit for Ethernet */
#define NET_NDP_NA_ROUTER	0x80000000u
#define NET_NDP_NA_SOLICITED	0x40000000u
#define NET_NDP_NA_OVERRIDE	0x20000000u
/* An NA with a TLLAO, and an NS with an SLLAO, are both this long on the wire. */
#define NET_NDP_FRAME_LEN	(NET_ETH_HLEN + NET_IP6_HLEN + NET_NDP_MSG_LEN + NET_NDP_LLAO_LEN)

/* Byte-order helpers for unaligned frames. */
static inline uint16_t net_get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t net_get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static inline void net_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void net_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* net_count bumps a handled-frame counter; |ctr| may be NULL (nothing counted). */
static inline void net_count(struct net_counters *ctr, enum net_counter c)
{
	if (ctr != NULL) {
		ctr->c[c]++;
	}
}

static inline void net_drop(struct net_result *res, enum drop_reason r)
{
	res->verdict = NET_VERDICT_DROP;
	res->drop = r;
}

static inline void net_tx(struct net_result *res, uint16_t len)
{
	res->verdict = NET_VERDICT_TX;
	res->len = len;
}

/* A MAC with the group bit set (multicast or broadcast) can never be a sender. */
static inline bool net_mac_is_group(const uint8_t *mac)
{
	return (mac[0] & 0x01) != 0;
}

static inline bool net_mac_is_zero(const uint8_t *mac)
{
	static const uint8_t zero[NET_ETH_ALEN];

	return memcmp(mac, zero, NET_ETH_ALEN) == 0;
}

/*
 * net_eth_reply turns the Ethernet header of |frame| around: the destination
 * becomes |dst| (usually the old source) and the source becomes our MAC.
 * |dst| may point into |frame|.
 */
static inline void net_eth_reply(const struct net_if *nif, uint8_t *frame, const uint8_t *dst)
{
	uint8_t d[NET_ETH_ALEN];

	memcpy(d, dst, NET_ETH_ALEN);
	memcpy(frame + NET_ETH_OFF_DST, d, NET_ETH_ALEN);
	memcpy(frame + NET_ETH_OFF_SRC, nif->mac, NET_ETH_ALEN);
}

/*
 * net_sum adds |len| bytes at |buf| to the one's-complement accumulator
 * |acc| (RFC 1071), eight bytes per step with the carry folded back in.
 * Words are loaded in host order; by the byte-order independence of the
 * Internet checksum (RFC 1071 2(B)) the folded result is then in memory
 * (network) order and can be memcpy'd straight into a header. DPDK 22.11's
 * __rte_raw_cksum adds 16 bits per step and was the largest cost of an echo
 * reply in perf/bench-l3.
 */
static inline uint64_t net_sum(const void *buf, size_t len, uint64_t acc)
{
	const uint8_t *p = buf;
	uint64_t w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		acc += w;
		acc += acc < w; /* end-around carry */
	}
	if (len >= 4) {
		uint32_t w32;

		memcpy(&w32, p, 4);
		acc += w32;
		acc += acc < w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w16;

		memcpy(&w16, p, 2);
		acc += w16;
		acc += acc < w16;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		uint16_t last = 0;

		memcpy(&last, p, 1); /* the odd byte is the first byte of a zero-padded word */
		acc += last;
		acc += acc < last;
	}
	return acc;
}

/* net_fold folds a net_sum accumulator to 16 bits (not complemented). */
static inline uint16_t net_fold(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (uint16_t)acc;
}

/*
 * Internet checksum (RFC 1071) over unaligned bytes, plus the partial sum
 * |sum| (e.g. a pseudo-header). The result is in memory (network) order.
 * Verifying a message that carries its checksum yields 0.
 */
static inline uint16_t net_cksum(const void *buf, size_t len, uint32_t sum)
{
	return (uint16_t)~net_fold(net_sum(buf, len, sum));
}

/*
 * net_cksum_update rewrites the checksum at |ck| (2 bytes, network order) of a
 * message in which the 16-bit word |old| (2 bytes, as it was in memory) became
 * |new_|: HC' = ~(~HC + ~m + m') (RFC 1624 eqn. 3), without re-reading the
 * message. Returns false when the result is 0x0000: one's-complement
 * arithmetic cannot tell whether the message now sums to +0 (all zero, where
 * the checksum must be 0xffff) or -0, so the caller recomputes in full.
 */
static inline bool net_cksum_update(uint8_t *ck, const uint8_t old[2], const uint8_t new_[2])
{
	uint16_t hc, m, mn;
	uint64_t acc;

	memcpy(&hc, ck, 2);
	memcpy(&m, old, 2);
	memcpy(&mn, new_, 2);
	acc = (uint64_t)(uint16_t)~hc + (uint16_t)~m + mn;
	hc = (uint16_t)~net_fold(acc);
	memcpy(ck, &hc, 2);
	return hc != 0;
}

/*
 * net_ip6_phdr_sum returns the partial sum of the IPv6 pseudo-header (RFC 8200
 * 8.1) for an upper-layer packet of |l4_len| bytes and protocol |proto|,
 * between |src| and |dst|, to be passed to net_cksum.
 */
static inline uint32_t net_ip6_phdr_sum(const uint8_t *src, const uint8_t *dst, uint32_t l4_len,
					uint8_t proto)
{
	uint8_t ph[8];
	uint64_t acc;

	net_put_be32(ph, l4_len);
	ph[4] = 0;
	ph[5] = 0;
	ph[6] = 0;
	ph[7] = proto;
	acc = net_sum(src, 16, 0);
	acc = net_sum(dst, 16, acc);
	acc = net_sum(ph, sizeof(ph), acc);
	return net_fold(acc);
}

/*
 * net_ip4_is_martian_src returns true for IPv4 addresses that can never be a
 * packet's source (RFC 1122 3.2.1.3, RFC 5735): 0.0.0.0/8 apart from
 * 0.0.0.0 itself (which the caller handles), 127.0.0.0/8, multicast
 * 224.0.0.0/4 and the reserved/broadcast 240.0.0.0/4. |a| is in host order.
 */
static inline bool net_ip4_is_martian_src(uint32_t a)
{
	uint8_t hi = (uint8_t)(a >> 24);

	return (hi == 0 && a != 0) || hi == 127 || hi >= 224;
}

/* net_if_ip4_is_ours returns true if |a| (host order) is our IPv4 address. */
static inline bool net_if_ip4_is_ours(const struct net_if *nif, uint32_t a)
{
	return nif->has_ip4 && a == rte_be_to_cpu_32(nif->ip4);
}

/* IPv6 address predicates (RFC 4291). */
static inline bool net_ip6_is_multicast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static inline bool net_ip6_is_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static inline bool net_ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* net_ip6_solicited_node writes the solicited-node group of |a| (ff02::1:ffXX:XXXX). */
static inline void net_ip6_solicited_node(uint8_t out[16], const uint8_t *a)
{
	memset(out, 0, 16);
	out[0] = 0xff;
	out[1] = 0x02;
	out[11] = 0x01;
	out[12] = 0xff;
	out[13] = a[13];
	out[14] = a[14];
	out[15] = a[15];
}

extern const uint8_t net_ip6_all_nodes[16];

/* Our IPv6 addresses: the global one if configured, the link-local one if set (not ::). */
static inline bool net_if_has_ip6_global(const struct net_if *nif)
{
	return nif->has_ip6;
}

static inline bool net_if_has_ip6_ll(const struct net_if *nif)
{
	return !net_ip6_is_unspecified(nif->ip6_ll);
}

/* net_if_ip6_is_ours returns true if |a| is one of our unicast IPv6 addresses. */
static inline bool net_if_ip6_is_ours(const struct net_if *nif, const uint8_t *a)
{
	if (net_if_has_ip6_global(nif) && memcmp(a, nif->ip6, 16) == 0) {
		return true;
	}
	if (net_if_has_ip6_ll(nif) && memcmp(a, nif->ip6_ll, 16) == 0) {
		return true;
	}
	return false;
}

/* Per-protocol input, called by net_input once the Ethernet header is accepted. */
void net_arp_input(const struct net_if *nif, uint8_t *frame, uint16_t cap, struct cursor *l3,
		   struct net_counters *ctr, struct net_result *res);
void net_ip4_input(const struct net_if *nif, uint8_t *frame, uint16_t cap, struct cursor *l3,
		   struct net_counters *ctr, struct net_result *res);
void net_ip6_input(const struct net_if *nif, uint8_t *frame, uint16_t cap, struct cursor *l3,
		   struct net_counters *ctr, struct net_result *res);

/*
 * net_ndp_input handles a checksum-verified NS or NA. |l4| covers exactly the
 * ICMPv6 message; the IPv6 header is at frame + NET_ETH_HLEN.
 */
void net_ndp_input(const struct net_if *nif, uint8_t *frame, uint16_t cap, struct cursor *l4,
		   struct net_counters *ctr, struct net_result *res);

/*
 * Test hooks of the neighbour cache (neigh.c): where |ip| hashes to and where
 * it is stored (-1 if absent), the number of slots, and a full consistency
 * check (every entry reachable from its home slot without crossing an empty
 * slot, count right). Writer context only.
 */
uint32_t neigh_debug_home(const struct neigh_table *t, uint8_t family, const uint8_t *ip);
int32_t neigh_debug_slot(const struct neigh_table *t, uint8_t family, const uint8_t *ip);
uint32_t neigh_debug_slots(const struct neigh_table *t);
int neigh_debug_check(const struct neigh_table *t) __attribute__((warn_unused_result));

#endif
