/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testlib.h - frame builders and an independent RFC 1071 checksum for the
 * net engine's unit tests. Nothing here uses the engine's own helpers, so a
 * bug in the engine's checksum or layout cannot hide behind the same bug in
 * the test.
 */
#ifndef SB_TEST_NET_TESTLIB_H
#define SB_TEST_NET_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define TL_BUF 2048

/* The interface under test ("us") and a peer on the same link ("them"). */
extern const uint8_t tl_our_mac[6];
extern const uint8_t tl_peer_mac[6];
#define TL_OUR_IP4 "192.0.2.1"
#define TL_PEER_IP4 "192.0.2.7"
#define TL_OUR_IP6 "2001:db8::1"
#define TL_PEER_IP6 "2001:db8::7"

/* tl_if fills |nif| as "us" (both families), tl_peer_if as the peer. */
void tl_if(struct net_if *nif);
void tl_peer_if(struct net_if *nif);

uint32_t tl_ip4(const char *s);			/* network order */
void tl_ip6(const char *s, uint8_t out[16]);

uint16_t tl_get16(const uint8_t *p);
uint32_t tl_get32(const uint8_t *p);
void tl_put16(uint8_t *p, uint16_t v);

/* Ones'-complement checksum (RFC 1071) of |n| bytes, big-endian words, plus |sum|. */
uint16_t tl_cksum(const uint8_t *p, size_t n, uint32_t sum);
/* The same over the IPv6 pseudo-header and |l4| (RFC 8200 8.1). */
uint16_t tl_cksum6(const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
		   size_t n);

size_t tl_eth(uint8_t *b, const uint8_t *dst, const uint8_t *src, uint16_t type);
/* ARP over Ethernet (28-byte body, not padded): returns 42. */
size_t tl_arp(uint8_t *b, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha, uint32_t spa,
	      const uint8_t *tha, uint32_t tpa);
/* IPv4 header + |l4| (copied), DF set, valid header checksum. Returns the frame length. */
size_t tl_ip4_pkt(uint8_t *b, const uint8_t *eth_dst, uint32_t src, uint32_t dst, uint8_t proto,
		  const uint8_t *l4, size_t l4_len);
/* ICMP echo request with |n| payload bytes 0, 1, 2, ... */
size_t tl_icmp_echo(uint8_t *b, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, size_t n);
/* Re-seal the IPv4 header checksum after a test edited the header. */
void tl_ip4_fix(uint8_t *b);
/* IPv6 header + |l4| (copied). */
size_t tl_ip6_pkt(uint8_t *b, const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
		  uint8_t nh, uint8_t hlim, const uint8_t *l4, size_t l4_len);
/* ICMPv6 echo request with |n| payload bytes, valid checksum. */
size_t tl_icmp6_echo(uint8_t *b, const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
		     uint16_t id, uint16_t seq, size_t n);
/* Re-seal the ICMPv6 checksum of the frame in |b| (payload length from the header). */
void tl_icmp6_fix(uint8_t *b);
/*
 * Neighbour solicitation / advertisement. |lla| NULL: no link-layer address
 * option. |hlim| is normally 255.
 */
size_t tl_ns(uint8_t *b, const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
	     const uint8_t *target, const uint8_t *lla, uint8_t hlim);
size_t tl_na(uint8_t *b, const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
	     const uint8_t *target, uint32_t flags, const uint8_t *lla, uint8_t hlim);

/* Solicited-node group of |a| and its MAC, built here independently. */
void tl_sn(const uint8_t *a, uint8_t out[16]);
void tl_sn_mac(const uint8_t *a, uint8_t out[6]);

/* Run net_input on a copy of |b| and return the verdict; the copy is left in |out|. */
enum net_verdict tl_run(const struct net_if *nif, const uint8_t *b, size_t len, uint8_t *out,
			struct net_result *res, struct net_counters *ctr);

/*
 * tl_run_exact runs net_input on a heap copy of exactly |len| bytes with
 * cap == len, so that AddressSanitizer catches any read or write past the
 * frame. Returns the verdict.
 */
enum net_verdict tl_run_exact(const struct net_if *nif, const uint8_t *b, size_t len,
			      struct net_result *res);

#endif
