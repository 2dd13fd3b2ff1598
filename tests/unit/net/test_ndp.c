/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: neighbour discovery NS/NA (RFC 4861) and net_ndp_build_ns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "net.h"
#include "testlib.h"

static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
/* The solicitor's link-layer address option differs from its Ethernet source on purpose. */
static const uint8_t sllao_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

static enum drop_reason drop_of(const struct net_if *nif, const uint8_t *b, size_t len)
{
	uint8_t o[TL_BUF];
	struct net_result res;

	assert_int_equal(tl_run(nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	return res.drop;
}

/* Check |o| is an NA from us for |target| to |eth_dst|/|ip_dst| with |flags_byte|. */
static void check_na(const uint8_t *o, const uint8_t *eth_dst, const uint8_t *ip_dst,
		     const uint8_t *target, uint8_t flags_byte)
{
	const uint8_t *ip = o + 14, *m = ip + 40;
	uint8_t msg[32];

	assert_memory_equal(o, eth_dst, 6);
	assert_memory_equal(o + 6, tl_our_mac, 6);
	assert_int_equal(tl_get16(o + 12), 0x86dd);
	assert_int_equal(tl_get32(ip), 0x60000000);
	assert_int_equal(tl_get16(ip + 4), 32);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, target, 16);
	assert_memory_equal(ip + 24, ip_dst, 16);
	assert_int_equal(m[0], 136);
	assert_int_equal(m[1], 0);
	assert_int_equal(m[4], flags_byte);
	assert_int_equal(m[5], 0);
	assert_int_equal(m[6], 0);
	assert_int_equal(m[7], 0);
	assert_memory_equal(m + 8, target, 16);
	assert_int_equal(m[24], 2);
	assert_int_equal(m[25], 1);
	assert_memory_equal(m + 26, tl_our_mac, 6);
	memcpy(msg, m, 32);
	msg[2] = 0;
	msg[3] = 0;
	assert_int_equal(tl_get16(m + 2), tl_cksum6(ip + 8, ip + 24, 58, msg, 32));
}

static void test_ns_multicast_with_sllao(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], peer[16], group[16], mac[6];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	tl_sn(nif.ip6, group);
	tl_sn_mac(nif.ip6, mac);
	memset(&ctr, 0, sizeof(ctr));
	len = tl_ns(b, mac, peer, group, nif.ip6, sllao_mac, 255);
	assert_int_equal(len, 86);
	assert_int_equal(tl_run(&nif, b, len, o, &res, &ctr), NET_VERDICT_TX);
	assert_int_equal(res.len, 86);
	check_na(o, sllao_mac, peer, nif.ip6, 0x60);	/* S|O */
	assert_int_equal(res.learn.family, NET_FAMILY_IP6);
	assert_int_equal(res.learn.how, NET_LEARN_CREATE);
	assert_memory_equal(res.learn.ip, peer, 16);
	assert_memory_equal(res.learn.mac, sllao_mac, 6);
	assert_int_equal(ctr.c[NET_CTR_NDP_NS_IN], 1);
	assert_int_equal(ctr.c[NET_CTR_NDP_NA_OUT], 1);
	assert_int_equal(tl_run_exact(&nif, b, len, &res), NET_VERDICT_TX);
}

static void test_ns_unicast_no_sllao(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], peer[16];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	/* 78 bytes: the NA is 86, it grows in place. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, NULL, 255);
	assert_int_equal(len, 78);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(res.len, 86);
	check_na(o, tl_peer_mac, peer, nif.ip6, 0x60);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);

	/* No tailroom to grow: dropped, nothing written past the frame. */
	assert_int_equal(tl_run_exact(&nif, b, len, &res), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_NO_TAILROOM);
}

static void test_ns_link_local(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], peer_ll[16], group[16], mac[6];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6("fe80::aa:bbff:fecc:1", peer_ll);
	tl_sn(nif.ip6_ll, group);
	tl_sn_mac(nif.ip6_ll, mac);
	len = tl_ns(b, mac, peer_ll, group, nif.ip6_ll, sllao_mac, 255);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_na(o, sllao_mac, peer_ll, nif.ip6_ll, 0x60);
	assert_memory_equal(res.learn.ip, peer_ll, 16);
}

static void test_ns_dad(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], unspec[16], group[16], all_nodes[16], mac[6];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	memset(unspec, 0, sizeof(unspec));
	tl_sn(nif.ip6, group);
	tl_sn_mac(nif.ip6, mac);
	tl_ip6("ff02::1", all_nodes);
	len = tl_ns(b, mac, unspec, group, nif.ip6, NULL, 255);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_na(o, all_nodes_mac, all_nodes, nif.ip6, 0x20);	/* O only */
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);

	/* RFC 4861 7.1.1: DAD with an SLLAO, or not to the solicited-node group. */
	len = tl_ns(b, mac, unspec, group, nif.ip6, sllao_mac, 255);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
	len = tl_ns(b, tl_our_mac, unspec, nif.ip6, nif.ip6, NULL, 255);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
}

static void test_ns_not_for_us(void **state)
{
	uint8_t b[TL_BUF], peer[16], target[16];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	tl_ip6("2001:db8::99", target);
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, target, sllao_mac, 255);
	assert_int_equal(tl_run_exact(&nif, b, len, &res), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_NDP_NOT_FOR_US);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	/* Our global address once it is unconfigured. */
	nif.has_ip6 = false;
	len = tl_ns(b, tl_our_mac, peer, nif.ip6_ll, nif.ip6, sllao_mac, 255);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_NOT_FOR_US);
}

static void test_ns_malformed(void **state)
{
	uint8_t b[TL_BUF], peer[16], target[16];
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 254);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_BAD_HOP_LIMIT);
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 64);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_BAD_HOP_LIMIT);

	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 255);
	b[54 + 1] = 1;	/* code */
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);

	/* 20-byte NS: no room for the whole target. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, NULL, 255);
	tl_put16(b + 14 + 4, 20);
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len - 4), DROP_NDP_MALFORMED);

	/* Option length 0. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 255);
	b[54 + 25] = 0;
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
	/* Option length 0 on an option we would otherwise skip. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 255);
	b[54 + 24] = 14;
	b[54 + 25] = 0;
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
	/* Option longer than the message. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 255);
	b[54 + 25] = 2;
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
	/* A partial option: 24 + 7 bytes. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 255);
	tl_put16(b + 14 + 4, 31);
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len - 1), DROP_NDP_MALFORMED);
	/* A trailing single byte. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, NULL, 255);
	b[len] = 1;
	tl_put16(b + 14 + 4, 25);
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len + 1), DROP_NDP_MALFORMED);
	/* A group MAC in the SLLAO. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, all_nodes_mac, 255);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
	/* Multicast target. */
	tl_ip6("ff02::1", target);
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, target, sllao_mac, 255);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
	/* Bad checksum comes before any of it. */
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 255);
	b[54 + 30] ^= 0x10;
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_BAD_CSUM);
}

/* Unknown options are skipped (RFC 4861 4.6); the SLLAO after one still counts. */
static void test_ns_unknown_option(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], peer[16], msg[40];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	memset(msg, 0, sizeof(msg));
	msg[0] = 135;
	memcpy(msg + 8, nif.ip6, 16);
	msg[24] = 14;	/* nonce (RFC 3971) */
	msg[25] = 1;
	msg[32] = 1;
	msg[33] = 1;
	memcpy(msg + 34, sllao_mac, 6);
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 58, 255, msg, sizeof(msg));
	tl_icmp6_fix(b);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_na(o, sllao_mac, peer, nif.ip6, 0x60);
	assert_memory_equal(res.learn.mac, sllao_mac, 6);
}

static void test_truncated(void **state)
{
	uint8_t b[TL_BUF], peer[16];
	struct net_result res;
	struct net_if nif;
	size_t len, n;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	len = tl_ns(b, tl_our_mac, peer, nif.ip6, nif.ip6, sllao_mac, 255);
	for (n = 0; n < len; n++) {
		enum drop_reason want = n < 14 ? DROP_ETH_TOO_SHORT :
					n < 54 ? DROP_IP6_TOO_SHORT : DROP_IP6_BAD_LEN;

		assert_int_equal(tl_run_exact(&nif, b, n, &res), NET_VERDICT_DROP);
		assert_int_equal(res.drop, want);
	}
}

static void test_na(void **state)
{
	uint8_t b[TL_BUF], peer[16], group[16], o[TL_BUF];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	memset(&ctr, 0, sizeof(ctr));
	/* Solicited, unicast, with TLLAO: the target's binding. */
	len = tl_na(b, tl_our_mac, peer, nif.ip6, peer, 0x60000000, sllao_mac, 255);
	assert_int_equal(tl_run(&nif, b, len, o, &res, &ctr), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_NDP_NA);
	assert_int_equal(res.learn.family, NET_FAMILY_IP6);
	assert_int_equal(res.learn.how, NET_LEARN_ANSWER);
	assert_memory_equal(res.learn.ip, peer, 16);
	assert_memory_equal(res.learn.mac, sllao_mac, 6);
	assert_int_equal(ctr.c[NET_CTR_NDP_NA_IN], 1);
	assert_int_equal(tl_run_exact(&nif, b, len, &res), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_NDP_NA);

	/* Without TLLAO: consumed, nothing learned. */
	len = tl_na(b, tl_our_mac, peer, nif.ip6, peer, 0x60000000, NULL, 255);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_NDP_NA);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);

	/* Unsolicited to all-nodes: fine; solicited to all-nodes: malformed. */
	tl_ip6("ff02::1", group);
	len = tl_na(b, all_nodes_mac, peer, group, peer, 0x20000000, sllao_mac, 255);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_NDP_NA);
	assert_int_equal(res.learn.family, NET_FAMILY_IP6);
	assert_int_equal(res.learn.how, NET_LEARN_UPDATE);
	len = tl_na(b, all_nodes_mac, peer, group, peer, 0x60000000, sllao_mac, 255);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);

	/* Someone else advertising our address: never a binding. */
	len = tl_na(b, all_nodes_mac, peer, group, nif.ip6, 0x20000000, sllao_mac, 255);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_NDP_NA);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);

	len = tl_na(b, tl_our_mac, peer, nif.ip6, peer, 0x60000000, sllao_mac, 64);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_BAD_HOP_LIMIT);
	len = tl_na(b, tl_our_mac, peer, nif.ip6, group, 0x60000000, sllao_mac, 255);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
	len = tl_na(b, tl_our_mac, peer, nif.ip6, peer, 0x60000000, sllao_mac, 255);
	b[54 + 25] = 0;
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_NDP_MALFORMED);
}

static void test_build_ns(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], o2[TL_BUF], target[16], group[16], msg[32];
	struct net_result res;
	struct net_if us, peer;
	const uint8_t *ip = b + 14, *m = ip + 40;
	int len;

	(void)state;
	tl_if(&us);
	tl_peer_if(&peer);
	memcpy(target, peer.ip6, 16);
	tl_sn(target, group);
	memset(b, 0xcc, sizeof(b));
	len = net_ndp_build_ns(&us, target, b, 86);
	assert_int_equal(len, 86);
	assert_int_equal(b[0], 0x33);
	assert_int_equal(b[1], 0x33);
	assert_int_equal(b[2], 0xff);
	assert_memory_equal(b + 3, target + 13, 3);
	assert_memory_equal(b + 6, tl_our_mac, 6);
	assert_int_equal(tl_get16(b + 12), 0x86dd);
	assert_int_equal(tl_get32(ip), 0x60000000);
	assert_int_equal(tl_get16(ip + 4), 32);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, us.ip6, 16);
	assert_memory_equal(ip + 24, group, 16);
	assert_int_equal(m[0], 135);
	assert_int_equal(m[1], 0);
	assert_int_equal(tl_get32(m + 4), 0);
	assert_memory_equal(m + 8, target, 16);
	assert_int_equal(m[24], 1);
	assert_int_equal(m[25], 1);
	assert_memory_equal(m + 26, tl_our_mac, 6);
	memcpy(msg, m, 32);
	msg[2] = 0;
	msg[3] = 0;
	assert_int_equal(tl_get16(m + 2), tl_cksum6(ip + 8, ip + 24, 58, msg, 32));
	assert_int_equal(b[86], 0xcc);

	/* The target answers with an NA to us, which we consume and learn from. */
	assert_int_equal(tl_run(&peer, b, (size_t)len, o, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(res.learn.family, NET_FAMILY_IP6);
	assert_memory_equal(res.learn.ip, us.ip6, 16);
	assert_memory_equal(res.learn.mac, tl_our_mac, 6);
	assert_memory_equal(o, tl_our_mac, 6);
	assert_memory_equal(o + 14 + 24, us.ip6, 16);
	assert_int_equal(tl_run(&us, o, res.len, o2, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_NDP_NA);
	assert_int_equal(res.learn.family, NET_FAMILY_IP6);
	assert_int_equal(res.learn.how, NET_LEARN_ANSWER);
	assert_memory_equal(res.learn.ip, target, 16);
	assert_memory_equal(res.learn.mac, tl_peer_mac, 6);

	assert_int_equal(net_ndp_build_ns(&us, target, b, 85), -ENOSPC);

	/* No global address: from link-local, and the peer answers to link-local. */
	us.has_ip6 = false;
	len = net_ndp_build_ns(&us, target, b, sizeof(b));
	assert_int_equal(len, 86);
	assert_memory_equal(ip + 8, us.ip6_ll, 16);
	assert_int_equal(tl_run(&peer, b, (size_t)len, o, &res, NULL), NET_VERDICT_TX);
	assert_memory_equal(o + 14 + 24, us.ip6_ll, 16);

	/* No IPv6 address at all. */
	memset(us.ip6_ll, 0, 16);
	assert_int_equal(net_ndp_build_ns(&us, target, b, sizeof(b)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_multicast_with_sllao),
		cmocka_unit_test(test_ns_unicast_no_sllao),
		cmocka_unit_test(test_ns_link_local),
		cmocka_unit_test(test_ns_dad),
		cmocka_unit_test(test_ns_not_for_us),
		cmocka_unit_test(test_ns_malformed),
		cmocka_unit_test(test_ns_unknown_option),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_na),
		cmocka_unit_test(test_build_ns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
