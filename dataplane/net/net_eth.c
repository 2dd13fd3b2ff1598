/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net_eth.c - interface set-up, the Ethernet stage of net_input and counter
 * names. Ethernet decides whether the frame is ours at all and hands the L3
 * payload to ARP, IPv4 or IPv6.
 */
#include <errno.h>
#include <string.h>

#include "net_internal.h"

#define MTU_MIN 1280
#define MTU_MAX 9000

const uint8_t net_ip6_all_nodes[16] = {0xff, 0x02, [15] = 0x01};

static const uint8_t mac_bcast[NET_ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_all_nodes[NET_ETH_ALEN] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

static const char *const counter_names[NET_CTR__MAX] = {
#define _(sym, str) [NET_CTR_##sym] = str,
	foreach_net_counter(_)
#undef _
};

int net_if_init(struct net_if *nif, const uint8_t mac[NET_ETH_ALEN], uint16_t mtu)
{
	if (mtu < MTU_MIN || mtu > MTU_MAX) {
		return -EINVAL;
	}
	memset(nif, 0, sizeof(*nif));
	memcpy(nif->mac, mac, NET_ETH_ALEN);
	nif->mtu = mtu;

	/* fe80::/64 + modified EUI-64 (RFC 4291 2.5.1, appendix A): flip the U/L bit. */
	nif->ip6_ll[0] = 0xfe;
	nif->ip6_ll[1] = 0x80;
	nif->ip6_ll[8] = mac[0] ^ 0x02;
	nif->ip6_ll[9] = mac[1];
	nif->ip6_ll[10] = mac[2];
	nif->ip6_ll[11] = 0xff;
	nif->ip6_ll[12] = 0xfe;
	nif->ip6_ll[13] = mac[3];
	nif->ip6_ll[14] = mac[4];
	nif->ip6_ll[15] = mac[5];
	return 0;
}

const char *net_counter_name(enum net_counter c)
{
	if ((unsigned int)c >= NET_CTR__MAX) {
		return "unknown";
	}
	return counter_names[c];
}

/* 33:33:ff:XX:XX:XX for the solicited-node group of |a| (RFC 2464 7). */
static bool mac_is_solicited_for(const uint8_t *dst, const uint8_t *a)
{
	return dst[0] == 0x33 && dst[1] == 0x33 && dst[2] == 0xff && dst[3] == a[13] &&
	       dst[4] == a[14] && dst[5] == a[15];
}

static bool eth_dst_is_ours(const struct net_if *nif, const uint8_t *dst)
{
	if (memcmp(dst, nif->mac, NET_ETH_ALEN) == 0) {
		return true;
	}
	if (memcmp(dst, mac_bcast, NET_ETH_ALEN) == 0) {
		return true;
	}
	if (!net_if_has_ip6_global(nif) && !net_if_has_ip6_ll(nif)) {
		return false;
	}
	if (memcmp(dst, mac_all_nodes, NET_ETH_ALEN) == 0) {
		return true;
	}
	if (net_if_has_ip6_global(nif) && mac_is_solicited_for(dst, nif->ip6)) {
		return true;
	}
	if (net_if_has_ip6_ll(nif) && mac_is_solicited_for(dst, nif->ip6_ll)) {
		return true;
	}
	return false;
}

void net_input(const struct net_if *nif, uint8_t *frame, uint16_t len, uint16_t cap,
	       struct net_counters *ctr, struct net_result *res)
{
	struct cursor c, l3;
	uint8_t dst[NET_ETH_ALEN], src[NET_ETH_ALEN];
	uint16_t type;

	memset(res, 0, sizeof(*res));
	res->verdict = NET_VERDICT_DROP;
	/* The frame itself is writable; never let a short |cap| forbid in-place rewrites. */
	if (cap < len) {
		cap = len;
	}

	cursor_init(&c, frame, len);
	if (!cursor_get_bytes(&c, dst, sizeof(dst)) || !cursor_get_bytes(&c, src, sizeof(src)) ||
	    !cursor_get_u16be(&c, &type)) {
		net_drop(res, DROP_ETH_TOO_SHORT);
		return;
	}
	if (!eth_dst_is_ours(nif, dst)) {
		net_drop(res, DROP_ETH_NOT_FOR_US);
		return;
	}
	/* IEEE 802: a group address is never a source; we would reply to it. */
	if (net_mac_is_group(src)) {
		net_drop(res, DROP_ETH_BAD_SRC);
		return;
	}
	l3 = c;

	switch (type) {
	case NET_ETHERTYPE_ARP:
		net_arp_input(nif, frame, cap, &l3, ctr, res);
		return;
	case NET_ETHERTYPE_IP4:
		net_ip4_input(nif, frame, cap, &l3, ctr, res);
		return;
	case NET_ETHERTYPE_IP6:
		net_ip6_input(nif, frame, cap, &l3, ctr, res);
		return;
	case NET_ETHERTYPE_VLAN:
	case NET_ETHERTYPE_QINQ:
	case NET_ETHERTYPE_QINQ_OLD:
		net_drop(res, DROP_ETH_VLAN);
		return;
	default:
		net_drop(res, DROP_ETH_UNKNOWN_TYPE);
		return;
	}
}
