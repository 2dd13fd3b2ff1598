/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net_arp.c - ARP for Ethernet/IPv4 (RFC 826, RFC 5227): answer requests for
 * our address in place, report bindings the frame proves, build requests.
 *
 * Learning: RFC 826's merge step only updates bindings the host already has
 * and adds one when the request is for us. We do not own the table here, so
 * we report a binding only when the frame is for us (a request for our
 * address, a reply addressed to us) or is a gratuitous announcement
 * (sender IP == target IP, RFC 5227 3); the table owner decides what to keep.
 */
#include <errno.h>
#include <string.h>

#include "net_internal.h"

/* Offsets into the ARP payload (after the Ethernet header). */
#define ARP_OFF_OP	6
#define ARP_OFF_SHA	8
#define ARP_OFF_SPA	14
#define ARP_OFF_THA	18
#define ARP_OFF_TPA	24

struct arp_msg {
	uint16_t op;
	uint8_t sha[NET_ETH_ALEN];
	uint8_t spa[4];
	uint8_t tha[NET_ETH_ALEN];
	uint8_t tpa[4];
};

static uint32_t be32_of(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Returns false if the payload is not a complete Ethernet/IPv4 ARP message. */
static bool arp_parse(struct cursor *c, struct arp_msg *m)
{
	uint16_t htype, ptype;
	uint8_t hlen, plen;

	if (!cursor_get_u16be(c, &htype) || !cursor_get_u16be(c, &ptype) ||
	    !cursor_get_u8(c, &hlen) || !cursor_get_u8(c, &plen) ||
	    !cursor_get_u16be(c, &m->op) || !cursor_get_bytes(c, m->sha, sizeof(m->sha)) ||
	    !cursor_get_bytes(c, m->spa, sizeof(m->spa)) ||
	    !cursor_get_bytes(c, m->tha, sizeof(m->tha)) ||
	    !cursor_get_bytes(c, m->tpa, sizeof(m->tpa))) {
		return false;
	}
	if (htype != NET_ARP_HRD_ETHER || ptype != NET_ETHERTYPE_IP4 || hlen != NET_ETH_ALEN ||
	    plen != 4) {
		return false;
	}
	return true;
}

static void arp_learn(struct net_result *res, const struct arp_msg *m, enum net_learn_how how)
{
	res->learn.family = NET_FAMILY_IP4;
	res->learn.how = (uint8_t)how;
	memcpy(res->learn.mac, m->sha, NET_ETH_ALEN);
	memcpy(res->learn.ip, m->spa, 4);
}

/* Turn the request in |frame| into our reply (RFC 826 "swap" step), padded to 60 bytes. */
static void arp_reply(const struct net_if *nif, uint8_t *frame, const struct arp_msg *m)
{
	uint8_t *arp = frame + NET_ETH_HLEN;

	net_eth_reply(nif, frame, m->sha);
	net_put_be16(arp + ARP_OFF_OP, NET_ARP_OP_REPLY);
	memcpy(arp + ARP_OFF_SHA, nif->mac, NET_ETH_ALEN);
	memcpy(arp + ARP_OFF_SPA, &nif->ip4, 4);
	memcpy(arp + ARP_OFF_THA, m->sha, NET_ETH_ALEN);
	memcpy(arp + ARP_OFF_TPA, m->spa, 4);
	memset(frame + NET_ETH_HLEN + NET_ARP_LEN, 0,
	       NET_ETH_MIN_FRAME - NET_ETH_HLEN - NET_ARP_LEN);
}

void net_arp_input(const struct net_if *nif, uint8_t *frame, uint16_t cap, struct cursor *l3,
		   struct net_counters *ctr, struct net_result *res)
{
	struct arp_msg m;
	uint32_t spa, tpa;
	bool probe, gratuitous, for_us;

	if (!arp_parse(l3, &m)) {
		net_drop(res, DROP_ARP_MALFORMED);
		return;
	}
	if (m.op != NET_ARP_OP_REQUEST && m.op != NET_ARP_OP_REPLY) {
		net_drop(res, DROP_ARP_BAD_OP);
		return;
	}
	spa = be32_of(m.spa);
	tpa = be32_of(m.tpa);
	/*
	 * A group or zero sender MAC would poison a cache and we would reply to it.
	 * A sender claiming our own address is a conflict (RFC 5227 2.4), not a
	 * binding. Sender IP 0.0.0.0 is a probe (RFC 5227 2.1.1): fine, never learned.
	 */
	if (net_mac_is_group(m.sha) || net_mac_is_zero(m.sha)) {
		net_drop(res, DROP_ARP_BAD_SENDER);
		return;
	}
	if (spa != 0 && (net_ip4_is_martian_src(spa) || net_if_ip4_is_ours(nif, spa))) {
		net_drop(res, DROP_ARP_BAD_SENDER);
		return;
	}
	probe = spa == 0;
	gratuitous = !probe && spa == tpa;
	for_us = net_if_ip4_is_ours(nif, tpa);

	if (m.op == NET_ARP_OP_REQUEST) {
		net_count(ctr, NET_CTR_ARP_REQUEST_IN);
		if (!for_us) {
			if (gratuitous) {
				arp_learn(res, &m, NET_LEARN_UPDATE);
				net_drop(res, DROP_CONSUMED_ARP_GRATUITOUS);
				return;
			}
			net_drop(res, DROP_ARP_NOT_FOR_US);
			return;
		}
		if (!probe) {
			arp_learn(res, &m, NET_LEARN_CREATE);
		}
		if (cap < NET_ETH_MIN_FRAME) {
			net_drop(res, DROP_NO_TAILROOM);
			return;
		}
		arp_reply(nif, frame, &m);
		net_count(ctr, NET_CTR_ARP_REPLY_OUT);
		net_tx(res, NET_ETH_MIN_FRAME);
		return;
	}

	net_count(ctr, NET_CTR_ARP_REPLY_IN);
	if (for_us) {
		if (!probe) {
			arp_learn(res, &m, NET_LEARN_ANSWER);
		}
		net_drop(res, DROP_CONSUMED_ARP_REPLY);
		return;
	}
	if (gratuitous) {
		arp_learn(res, &m, NET_LEARN_UPDATE);
		net_drop(res, DROP_CONSUMED_ARP_GRATUITOUS);
		return;
	}
	net_drop(res, DROP_ARP_NOT_FOR_US);
}

int net_arp_build_request(const struct net_if *nif, uint32_t target_ip, uint8_t *buf, uint16_t cap)
{
	uint8_t *arp = buf + NET_ETH_HLEN;

	if (!nif->has_ip4) {
		return -EINVAL;
	}
	if (cap < NET_ETH_MIN_FRAME) {
		return -ENOSPC;
	}
	memset(buf, 0, NET_ETH_MIN_FRAME);
	memset(buf + NET_ETH_OFF_DST, 0xff, NET_ETH_ALEN);
	memcpy(buf + NET_ETH_OFF_SRC, nif->mac, NET_ETH_ALEN);
	net_put_be16(buf + NET_ETH_OFF_TYPE, NET_ETHERTYPE_ARP);

	net_put_be16(arp, NET_ARP_HRD_ETHER);
	net_put_be16(arp + 2, NET_ETHERTYPE_IP4);
	arp[4] = NET_ETH_ALEN;
	arp[5] = 4;
	net_put_be16(arp + ARP_OFF_OP, NET_ARP_OP_REQUEST);
	memcpy(arp + ARP_OFF_SHA, nif->mac, NET_ETH_ALEN);
	memcpy(arp + ARP_OFF_SPA, &nif->ip4, 4);
	/* THA stays zero: it is what we are asking for. */
	memcpy(arp + ARP_OFF_TPA, &target_ip, 4);
	return NET_ETH_MIN_FRAME;
}
