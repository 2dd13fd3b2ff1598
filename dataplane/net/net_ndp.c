/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net_ndp.c - IPv6 neighbour discovery (RFC 4861): neighbour solicitations
 * for our addresses are answered in place with an advertisement, and the
 * link-layer address options of NS/NA are reported as bindings.
 *
 * Only the parts a host needs for address resolution and for defending its
 * addresses against duplicate address detection (RFC 4862 5.4.3) are here:
 * no router discovery, redirects or NUD state machine.
 */
#include <errno.h>
#include <string.h>

#include "net_internal.h"

static const uint8_t mac_all_nodes[NET_ETH_ALEN] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

struct ndp_msg {
	uint8_t type;
	uint8_t code;
	uint32_t flags;			/* NA flags; reserved in NS */
	uint8_t target[16];
	bool has_lla;			/* SLLAO in an NS, TLLAO in an NA */
	uint8_t lla[NET_ETH_ALEN];
};

/*
 * Walk the options (RFC 4861 4.6): each is type, length in 8-octet units
 * (never 0, 9.: "Nodes MUST silently discard an ND packet that contains an
 * option with length zero"), and must fit in the message. Keeps the first
 * link-layer address option of type |want|. A group MAC is not a neighbour.
 */
static bool ndp_parse_opts(struct cursor *c, uint8_t want, struct ndp_msg *m)
{
	while (cursor_len(c) > 0) {
		struct cursor opt;
		uint8_t type, units;

		if (!cursor_peek_u8(c, 0, &type) || !cursor_peek_u8(c, 1, &units)) {
			return false;
		}
		if (units == 0) {
			return false;
		}
		if (!cursor_get_sub(c, &opt, (size_t)units * 8)) {
			return false;
		}
		if (type != want || m->has_lla) {
			continue;
		}
		if (!cursor_skip(&opt, 2) || !cursor_get_bytes(&opt, m->lla, NET_ETH_ALEN)) {
			return false;
		}
		if (net_mac_is_group(m->lla)) {
			return false;
		}
		m->has_lla = true;
	}
	return true;
}

static bool ndp_parse(struct cursor *l4, struct ndp_msg *m)
{
	struct cursor c = *l4;
	uint16_t csum;

	memset(m, 0, sizeof(*m));
	if (!cursor_get_u8(&c, &m->type) || !cursor_get_u8(&c, &m->code) ||
	    !cursor_get_u16be(&c, &csum) || !cursor_get_u32be(&c, &m->flags) ||
	    !cursor_get_bytes(&c, m->target, sizeof(m->target))) {
		return false;
	}
	if (m->code != 0) {
		return false;
	}
	return ndp_parse_opts(&c, m->type == NET_NDP_NS ? NET_NDP_OPT_SLLAO : NET_NDP_OPT_TLLAO,
			      m);
}

/*
 * Write a neighbour advertisement (RFC 4861 4.4, 7.2.4) for |target| with a
 * target link-layer address option over the frame. The NA is exactly
 * NET_NDP_FRAME_LEN bytes; the caller checked |cap|.
 */
static void ndp_write_na(const struct net_if *nif, uint8_t *frame, const uint8_t *eth_dst,
			 const uint8_t *ip_dst, const uint8_t *target, uint32_t flags)
{
	uint8_t *ip = frame + NET_ETH_HLEN;
	uint8_t *icmp = ip + NET_IP6_HLEN;
	uint16_t plen = NET_NDP_MSG_LEN + NET_NDP_LLAO_LEN, ck;

	memcpy(frame + NET_ETH_OFF_DST, eth_dst, NET_ETH_ALEN);
	memcpy(frame + NET_ETH_OFF_SRC, nif->mac, NET_ETH_ALEN);
	net_put_be16(frame + NET_ETH_OFF_TYPE, NET_ETHERTYPE_IP6);

	net_put_be32(ip, 6u << 28);
	net_put_be16(ip + 4, plen);
	ip[6] = NET_PROTO_ICMP6;
	ip[7] = NET_NDP_HOP_LIMIT;
	memcpy(ip + 8, target, 16);
	memcpy(ip + 24, ip_dst, 16);

	icmp[0] = NET_NDP_NA;
	icmp[1] = 0;
	icmp[2] = 0;
	icmp[3] = 0;
	net_put_be32(icmp + 4, flags);
	memcpy(icmp + 8, target, 16);
	icmp[24] = NET_NDP_OPT_TLLAO;
	icmp[25] = 1;
	memcpy(icmp + 26, nif->mac, NET_ETH_ALEN);

	ck = net_cksum(icmp, plen, net_ip6_phdr_sum(target, ip_dst, plen, NET_PROTO_ICMP6));
	memcpy(icmp + 2, &ck, 2);
}

static void ndp_ns_input(const struct net_if *nif, uint8_t *frame, uint16_t cap,
			 const uint8_t *src, const uint8_t *dst, const struct ndp_msg *m,
			 struct net_counters *ctr, struct net_result *res)
{
	uint8_t target[16], ip_dst[16], eth_dst[NET_ETH_ALEN], sn[16];
	uint32_t flags = NET_NDP_NA_OVERRIDE;
	bool dad = net_ip6_is_unspecified(src);

	/* RFC 4861 7.1.1: a DAD probe goes to a solicited-node group and has no SLLAO. */
	if (dad) {
		net_ip6_solicited_node(sn, m->target);
		if (memcmp(dst, sn, 16) != 0 || m->has_lla) {
			net_drop(res, DROP_NDP_MALFORMED);
			return;
		}
	}
	net_count(ctr, NET_CTR_NDP_NS_IN);
	if (!net_if_ip6_is_ours(nif, m->target)) {
		net_drop(res, DROP_NDP_NOT_FOR_US);
		return;
	}

	memcpy(target, m->target, 16);
	if (dad) {
		/* RFC 4861 7.2.4: answer DAD to all-nodes, unsolicited. */
		memcpy(ip_dst, net_ip6_all_nodes, 16);
		memcpy(eth_dst, mac_all_nodes, NET_ETH_ALEN);
	} else {
		flags |= NET_NDP_NA_SOLICITED;
		memcpy(ip_dst, src, 16);
		memcpy(eth_dst, m->has_lla ? m->lla : frame + NET_ETH_OFF_SRC, NET_ETH_ALEN);
		/* RFC 4861 7.2.3: the SLLAO proves the solicitor's binding. */
		if (m->has_lla) {
			res->learn.family = NET_FAMILY_IP6;
			res->learn.how = NET_LEARN_CREATE;
			memcpy(res->learn.ip, src, 16);
			memcpy(res->learn.mac, m->lla, NET_ETH_ALEN);
		}
	}
	if (cap < NET_NDP_FRAME_LEN) {
		net_drop(res, DROP_NO_TAILROOM);
		return;
	}
	ndp_write_na(nif, frame, eth_dst, ip_dst, target, flags);
	net_count(ctr, NET_CTR_NDP_NA_OUT);
	net_tx(res, NET_NDP_FRAME_LEN);
}

static void ndp_na_input(const struct net_if *nif, const uint8_t *dst, const struct ndp_msg *m,
			 struct net_counters *ctr, struct net_result *res)
{
	/* RFC 4861 7.1.2: a solicited NA is never multicast. */
	if (net_ip6_is_multicast(dst) && (m->flags & NET_NDP_NA_SOLICITED) != 0) {
		net_drop(res, DROP_NDP_MALFORMED);
		return;
	}
	net_count(ctr, NET_CTR_NDP_NA_IN);
	/*
	 * RFC 4861 7.2.5: the TLLAO binds the target. An NA for one of our own
	 * addresses is another node defending it (a duplicate): never a binding.
	 */
	if (m->has_lla && !net_if_ip6_is_ours(nif, m->target)) {
		res->learn.family = NET_FAMILY_IP6;
		res->learn.how = (m->flags & NET_NDP_NA_SOLICITED) != 0 ? NET_LEARN_ANSWER
									 : NET_LEARN_UPDATE;
		memcpy(res->learn.ip, m->target, 16);
		memcpy(res->learn.mac, m->lla, NET_ETH_ALEN);
	}
	net_drop(res, DROP_CONSUMED_NDP_NA);
}

void net_ndp_input(const struct net_if *nif, uint8_t *frame, uint16_t cap, struct cursor *l4,
		   struct net_counters *ctr, struct net_result *res)
{
	struct cursor ipc;
	struct ndp_msg m;
	uint8_t hlim, src[16], dst[16];

	/* The caller parsed the IPv6 header: its NET_IP6_HLEN bytes are present. */
	cursor_init(&ipc, frame + NET_ETH_HLEN, NET_IP6_HLEN);
	if (!cursor_skip(&ipc, 7) || !cursor_get_u8(&ipc, &hlim) ||
	    !cursor_get_bytes(&ipc, src, sizeof(src)) ||
	    !cursor_get_bytes(&ipc, dst, sizeof(dst))) {
		net_drop(res, DROP_NDP_MALFORMED);
		return;
	}
	/* RFC 4861 7.1.1/7.1.2: 255 proves the sender is on-link (no router forwarded it). */
	if (hlim != NET_NDP_HOP_LIMIT) {
		net_drop(res, DROP_NDP_BAD_HOP_LIMIT);
		return;
	}
	if (!ndp_parse(l4, &m) || net_ip6_is_multicast(m.target)) {
		net_drop(res, DROP_NDP_MALFORMED);
		return;
	}
	if (m.type == NET_NDP_NS) {
		ndp_ns_input(nif, frame, cap, src, dst, &m, ctr, res);
	} else {
		ndp_na_input(nif, dst, &m, ctr, res);
	}
}

int net_ndp_build_ns(const struct net_if *nif, const uint8_t target[16], uint8_t *buf,
		     uint16_t cap)
{
	const uint8_t *src;
	uint8_t *ip = buf + NET_ETH_HLEN;
	uint8_t *icmp = ip + NET_IP6_HLEN;
	uint8_t dst[16];
	uint16_t plen = NET_NDP_MSG_LEN + NET_NDP_LLAO_LEN, ck;

	if (net_if_has_ip6_global(nif)) {
		src = nif->ip6;
	} else if (net_if_has_ip6_ll(nif)) {
		src = nif->ip6_ll;
	} else {
		return -EINVAL;
	}
	if (cap < NET_NDP_FRAME_LEN) {
		return -ENOSPC;
	}
	net_ip6_solicited_node(dst, target);

	/* RFC 2464 7: 33:33 + the low 32 bits of the group, i.e. 33:33:ff:XX:XX:XX. */
	buf[0] = 0x33;
	buf[1] = 0x33;
	memcpy(buf + 2, dst + 12, 4);
	memcpy(buf + NET_ETH_OFF_SRC, nif->mac, NET_ETH_ALEN);
	net_put_be16(buf + NET_ETH_OFF_TYPE, NET_ETHERTYPE_IP6);

	net_put_be32(ip, 6u << 28);
	net_put_be16(ip + 4, plen);
	ip[6] = NET_PROTO_ICMP6;
	ip[7] = NET_NDP_HOP_LIMIT;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);

	memset(icmp, 0, NET_NDP_MSG_LEN);
	icmp[0] = NET_NDP_NS;
	memcpy(icmp + 8, target, 16);
	icmp[24] = NET_NDP_OPT_SLLAO;
	icmp[25] = 1;
	memcpy(icmp + 26, nif->mac, NET_ETH_ALEN);

	ck = net_cksum(icmp, plen, net_ip6_phdr_sum(src, dst, plen, NET_PROTO_ICMP6));
	memcpy(icmp + 2, &ck, 2);
	return NET_NDP_FRAME_LEN;
}
