/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net_ip6.c - IPv6 input (RFC 8200) and ICMPv6 (RFC 4443): echo is answered
 * here, neighbour discovery goes to net_ndp.c.
 *
 * Our IPv6 addresses are the global one (when has_ip6) and the link-local one
 * (whenever it is set, i.e. always after net_if_init); we also listen on
 * all-nodes ff02::1 and on the solicited-node group of each address. We do not
 * walk extension headers yet: any of them, and fragments, are dropped.
 */
#include <string.h>

#include "net_internal.h"

/* Offsets into the IPv6 header. */
#define IP6_OFF_HLIM	7
#define IP6_OFF_SRC	8
#define IP6_OFF_DST	24

/* Offsets into the ICMPv6 header. */
#define ICMP6_OFF_TYPE	0
#define ICMP6_OFF_CSUM	2

static const uint8_t ip6_loopback[16] = {[15] = 1};

struct ip6_fields {
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t nh;
	uint8_t hlim;
	uint8_t src[16];
	uint8_t dst[16];
};

static bool ip6_parse(struct cursor *c, struct ip6_fields *h)
{
	return cursor_get_u32be(c, &h->vtcfl) && cursor_get_u16be(c, &h->plen) &&
	       cursor_get_u8(c, &h->nh) && cursor_get_u8(c, &h->hlim) &&
	       cursor_get_bytes(c, h->src, sizeof(h->src)) &&
	       cursor_get_bytes(c, h->dst, sizeof(h->dst));
}

/* One of the multicast groups we joined: all-nodes, or a solicited-node group of ours. */
static bool ip6_is_our_group(const struct net_if *nif, const uint8_t *a)
{
	uint8_t sn[16];

	if (!net_if_has_ip6_global(nif) && !net_if_has_ip6_ll(nif)) {
		return false;
	}
	if (memcmp(a, net_ip6_all_nodes, 16) == 0) {
		return true;
	}
	if (net_if_has_ip6_global(nif)) {
		net_ip6_solicited_node(sn, nif->ip6);
		if (memcmp(a, sn, 16) == 0) {
			return true;
		}
	}
	if (net_if_has_ip6_ll(nif)) {
		net_ip6_solicited_node(sn, nif->ip6_ll);
		if (memcmp(a, sn, 16) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * The source of a reply to a multicast echo request (RFC 4443 4.2: a unicast
 * address of ours): link-local for a link-local requester, else the global
 * address if we have one.
 */
static const uint8_t *ip6_reply_src(const struct net_if *nif, const struct ip6_fields *h)
{
	if (!net_ip6_is_multicast(h->dst)) {
		return nif->has_ip6 && memcmp(h->dst, nif->ip6, 16) == 0 ? nif->ip6 : nif->ip6_ll;
	}
	if (net_if_has_ip6_ll(nif) && net_ip6_is_linklocal(h->src)) {
		return nif->ip6_ll;
	}
	if (net_if_has_ip6_global(nif)) {
		return nif->ip6;
	}
	return nif->ip6_ll;
}

static void icmp6_echo_reply(const struct net_if *nif, uint8_t *frame, const struct ip6_fields *h)
{
	uint8_t *ip = frame + NET_ETH_HLEN;
	uint8_t *icmp = ip + NET_IP6_HLEN;
	const uint8_t *src = ip6_reply_src(nif, h);
	uint16_t ck;

	net_eth_reply(nif, frame, frame + NET_ETH_OFF_SRC);

	ip[IP6_OFF_HLIM] = NET_IP6_HOP_LIMIT;
	memcpy(ip + IP6_OFF_SRC, src, 16);
	memcpy(ip + IP6_OFF_DST, h->src, 16);

	icmp[ICMP6_OFF_TYPE] = NET_ICMP6_ECHO_REPLY;
	memset(icmp + ICMP6_OFF_CSUM, 0, 2);
	ck = net_cksum(icmp, h->plen, net_ip6_phdr_sum(src, h->src, h->plen, NET_PROTO_ICMP6));
	memcpy(icmp + ICMP6_OFF_CSUM, &ck, 2);
}

static void icmp6_input(const struct net_if *nif, uint8_t *frame, uint16_t cap,
			const struct ip6_fields *h, struct cursor *l4, struct net_counters *ctr,
			struct net_result *res)
{
	struct cursor c = *l4;
	uint8_t type, code;
	uint32_t phdr;

	if (cursor_len(l4) < NET_ICMP6_HLEN) {
		net_drop(res, DROP_ICMP6_TOO_SHORT);
		return;
	}
	/* RFC 4443 2.3: the checksum covers the pseudo-header and the whole message. */
	phdr = net_ip6_phdr_sum(h->src, h->dst, (uint32_t)cursor_len(l4), NET_PROTO_ICMP6);
	if (net_cksum(cursor_data(l4), cursor_len(l4), phdr) != 0) {
		net_drop(res, DROP_ICMP6_BAD_CSUM);
		return;
	}
	if (!cursor_get_u8(&c, &type) || !cursor_get_u8(&c, &code)) {
		net_drop(res, DROP_ICMP6_TOO_SHORT);
		return;
	}

	switch (type) {
	case NET_NDP_NS:
	case NET_NDP_NA:
		net_ndp_input(nif, frame, cap, l4, ctr, res);
		return;
	case NET_ICMP6_ECHO_REQUEST:
		break;
	default:
		net_drop(res, DROP_ICMP6_UNHANDLED);
		return;
	}

	if (code != 0) {
		net_drop(res, DROP_ICMP6_UNHANDLED);
		return;
	}
	if (cursor_len(l4) < NET_ICMP6_ECHO_HLEN) {
		net_drop(res, DROP_ICMP6_TOO_SHORT);
		return;
	}
	/* Only NDP's duplicate address detection may come from ::; there is no one to answer. */
	if (net_ip6_is_unspecified(h->src)) {
		net_drop(res, DROP_IP6_BAD_SRC);
		return;
	}
	net_count(ctr, NET_CTR_ICMP6_ECHO_IN);
	icmp6_echo_reply(nif, frame, h);
	net_count(ctr, NET_CTR_ICMP6_ECHO_REPLY_OUT);
	net_tx(res, (uint16_t)(NET_ETH_HLEN + NET_IP6_HLEN + h->plen));
}

void net_ip6_input(const struct net_if *nif, uint8_t *frame, uint16_t cap, struct cursor *l3,
		   struct net_counters *ctr, struct net_result *res)
{
	struct cursor c = *l3, l4;
	struct ip6_fields h;
	bool unicast;

	if (!ip6_parse(&c, &h)) {
		net_drop(res, DROP_IP6_TOO_SHORT);
		return;
	}
	if ((h.vtcfl >> 28) != 6) {
		net_drop(res, DROP_IP6_BAD_VERSION);
		return;
	}
	/* Bytes past the payload are Ethernet padding: ignored, and stripped from replies. */
	if (!cursor_get_sub(&c, &l4, h.plen)) {
		net_drop(res, DROP_IP6_BAD_LEN);
		return;
	}
	/* RFC 4291 2.7: multicast is never a source; nor is loopback on the wire (2.5.3). */
	if (net_ip6_is_multicast(h.src) || memcmp(h.src, ip6_loopback, 16) == 0 ||
	    net_if_ip6_is_ours(nif, h.src)) {
		net_drop(res, DROP_IP6_BAD_SRC);
		return;
	}
	unicast = net_if_ip6_is_ours(nif, h.dst);
	if (!unicast && !ip6_is_our_group(nif, h.dst)) {
		net_drop(res, DROP_IP6_NOT_FOR_US);
		return;
	}

	switch (h.nh) {
	case NET_PROTO_FRAGMENT:
		net_drop(res, DROP_IP6_FRAGMENT);
		return;
	case NET_PROTO_HOPOPTS:
	case NET_PROTO_ROUTING:
	case NET_PROTO_DSTOPTS:
	case NET_PROTO_AH:
	case NET_PROTO_ESP:
	case NET_PROTO_MOBILITY:
		net_drop(res, DROP_IP6_EXT_HDR);
		return;
	case NET_PROTO_ICMP6:
		icmp6_input(nif, frame, cap, &h, &l4, ctr, res);
		return;
	case NET_PROTO_TCP:
	case NET_PROTO_UDP:
		if (!unicast) {
			net_drop(res, DROP_IP6_NOT_FOR_US);
			return;
		}
		if (net_ip6_is_unspecified(h.src)) {
			net_drop(res, DROP_IP6_BAD_SRC);
			return;
		}
		net_count(ctr, NET_CTR_IP6_LOCAL_IN);
		res->verdict = NET_VERDICT_LOCAL;
		res->family = NET_FAMILY_IP6;
		res->l3_off = NET_ETH_HLEN;
		res->l4_off = NET_ETH_HLEN + NET_IP6_HLEN;
		res->l4_len = h.plen;
		res->l4_proto = h.nh;
		return;
	default:
		net_drop(res, DROP_IP6_UNKNOWN_PROTO);
		return;
	}
}
