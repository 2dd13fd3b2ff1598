/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.h - the L2/L3 input path: Ethernet, ARP, IPv4, ICMP, IPv6, ICMPv6 and
 * neighbour discovery (NS/NA), as a sans-I/O engine over flat frames.
 *
 * The engine never touches an mbuf, a queue or a clock source: the caller
 * hands it one contiguous frame (the first segment of an mbuf on the worker,
 * a byte buffer in unit tests and the fuzzer) and gets back a verdict:
 *
 *   NET_VERDICT_DROP  - drop the frame; res->drop names the reason (the caller
 *                       counts it and frees the buffer).
 *   NET_VERDICT_TX    - the frame was rewritten in place into a reply (ARP
 *                       reply, ICMP/ICMPv6 echo reply, neighbour
 *                       advertisement); send res->len bytes out of the port it
 *                       came in on. res->len may exceed the input length (an
 *                       NA is longer than an NS without options) but never
 *                       exceeds |cap|.
 *   NET_VERDICT_LOCAL - a valid IPv4/IPv6 packet for one of our addresses
 *                       carrying a transport protocol (TCP, UDP); res->l3_off,
 *                       res->l4_off, res->l4_len and res->l4_proto locate it
 *                       for the layer above.
 *
 * Independently of the verdict, res->learn may carry a neighbour binding that
 * the frame proved (RFC 826 merge for ARP; source/target link-layer address
 * options of NS/NA, RFC 4861 7.2.3 and 7.2.5); the caller forwards it to
 * whoever owns the neighbour table.
 *
 * Every read of the input goes through a bounds-checked cursor; the engine is
 * fuzzed by tests/fuzz/fuzz_net_input.c. Functions here are reentrant and may
 * run on any lcore; they allocate nothing and make no system calls.
 */
#ifndef SB_NET_H
#define SB_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "../stats/drop.h"

#define NET_ETH_ALEN 6

/* Counters of frames the engine handled (not drops; those are drop.h). */
#define foreach_net_counter(_)						\
	_(ARP_REQUEST_IN, "arp_request_in")				\
	_(ARP_REPLY_IN, "arp_reply_in")					\
	_(ARP_REPLY_OUT, "arp_reply_out")				\
	_(ICMP_ECHO_IN, "icmp_echo_in")					\
	_(ICMP_ECHO_REPLY_OUT, "icmp_echo_reply_out")			\
	_(ICMP6_ECHO_IN, "icmp6_echo_in")				\
	_(ICMP6_ECHO_REPLY_OUT, "icmp6_echo_reply_out")			\
	_(NDP_NS_IN, "ndp_ns_in")					\
	_(NDP_NA_IN, "ndp_na_in")					\
	_(NDP_NA_OUT, "ndp_na_out")					\
	_(IP4_LOCAL_IN, "ip4_local_in")					\
	_(IP6_LOCAL_IN, "ip6_local_in")					\
	_(TCP_RST_OUT, "tcp_rst_out")

enum net_counter {
#define _(sym, str) NET_CTR_##sym,
	foreach_net_counter(_)
#undef _
	NET_CTR__MAX
};

struct net_counters {
	uint64_t c[NET_CTR__MAX];
};

/*
 * One configured interface: what the engine answers for. Addresses are in
 * network byte order. ip6_ll is the link-local address derived from |mac|
 * (modified EUI-64, RFC 4291 2.5.1); net_if_init fills it.
 *
 * The engine answers for ip4 when has_ip4, for ip6 when has_ip6, and for
 * ip6_ll whenever it is not :: (so always after net_if_init, as a kernel
 * does: IPv6 link-local works on a port with only IPv4 configured). It
 * listens on ff02::1 and the solicited-node group of each of those IPv6
 * addresses. ip4_prefix only serves to reject our subnet's broadcast address
 * as a source.
 */
struct net_if {
	uint8_t mac[NET_ETH_ALEN];
	uint16_t mtu;
	bool has_ip4;
	bool has_ip6;
	uint8_t ip4_prefix;
	uint8_t ip6_prefix;
	uint32_t ip4;
	uint8_t ip6[16];
	uint8_t ip6_ll[16];
};

enum net_verdict {
	NET_VERDICT_DROP = 0,
	NET_VERDICT_TX,
	NET_VERDICT_LOCAL,
};

enum net_family {
	NET_FAMILY_NONE = 0,
	NET_FAMILY_IP4 = 4,
	NET_FAMILY_IP6 = 6,
};

/* A neighbour binding proved by a received frame. family NONE: nothing. */
/*
 * How much a binding may change the cache. Anyone on the link can send
 * gratuitous ARP or unsolicited advertisements, so those only refresh what is
 * there (RFC 826 merge; RFC 4861 7.2.5); answers count only if we asked.
 */
enum net_learn_how {
	NET_LEARN_CREATE = 0,	/* addressed to us and proves the sender (ARP request, NS) */
	NET_LEARN_ANSWER = 1,	/* ARP reply to us, solicited NA: create if we asked */
	NET_LEARN_UPDATE = 2,	/* gratuitous ARP, unsolicited NA: refresh an entry only */
};

struct net_learn {
	uint8_t family;			/* enum net_family */
	uint8_t mac[NET_ETH_ALEN];
	uint8_t ip[16];			/* IPv4 in the first 4 bytes, network order */
	uint8_t how;			/* enum net_learn_how */
};

struct net_result {
	enum net_verdict verdict;
	enum drop_reason drop;		/* valid when verdict == DROP */
	uint16_t len;			/* valid when verdict == TX */
	uint16_t l3_off;		/* valid when verdict == LOCAL */
	uint16_t l4_off;
	uint16_t l4_len;
	uint8_t l4_proto;
	uint8_t family;
	struct net_learn learn;
};

/*
 * net_if_init fills |nif| from a MAC address and MTU, with no IP addresses,
 * and derives the IPv6 link-local address. Returns 0, or -EINVAL if |mtu| is
 * below 1280 (IPv6 minimum) or above 9000.
 */
int net_if_init(struct net_if *nif, const uint8_t mac[NET_ETH_ALEN], uint16_t mtu)
	__attribute__((warn_unused_result));

/*
 * net_input runs one received Ethernet frame of |len| bytes at |frame|
 * through the L2/L3 engine for interface |nif|. |cap| is the writable size of
 * |frame| (>= |len|) available for an in-place reply. Handled-frame counters
 * are incremented in |ctr| (may be NULL). The verdict and its details are
 * written to |res| (always fully initialised). A |cap| below |len| is taken
 * as |len|.
 *
 * Two kinds of DROP are not errors: reasons of drop.h's "Consumed" group
 * (DROP_CONSUMED_*) mark a frame that was fully handled with nothing to send
 * (an ARP reply or announcement, an NA: res->learn says what it proved);
 * DROP_NO_TAILROOM means a reply did not fit in |cap|.
 */
void net_input(const struct net_if *nif, uint8_t *frame, uint16_t len, uint16_t cap,
	       struct net_counters *ctr, struct net_result *res);

/*
 * net_arp_build_request writes a broadcast ARP request from |nif| asking for
 * IPv4 address |target_ip| (network order) into |buf| of |cap| bytes.
 * Returns the frame length (60, padded to the Ethernet minimum), or -ENOSPC
 * if |cap| is too small, or -EINVAL if |nif| has no IPv4 address.
 */
int net_arp_build_request(const struct net_if *nif, uint32_t target_ip, uint8_t *buf,
			  uint16_t cap) __attribute__((warn_unused_result));

/*
 * net_ndp_build_ns writes a multicast neighbour solicitation from |nif|'s
 * global address (or link-local if it has none) for |target| to the
 * solicited-node multicast group, with a source link-layer address option,
 * into |buf| of |cap| bytes. Returns the frame length, or -ENOSPC, or -EINVAL
 * if |nif| has no IPv6 address.
 */
int net_ndp_build_ns(const struct net_if *nif, const uint8_t target[16], uint8_t *buf,
		     uint16_t cap) __attribute__((warn_unused_result));

/*
 * net_counter_name returns the telemetry name of |c| ("unknown" if out of
 * range).
 */
const char *net_counter_name(enum net_counter c);

#endif
