/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: net_if_init, the Ethernet stage of net_input, counter and drop names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "net.h"
#include "testlib.h"

static void test_if_init_link_local(void **state)
{
	static const uint8_t mac[6] = {0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c};
	uint8_t want[16];
	struct net_if nif;

	(void)state;
	memset(&nif, 0xa5, sizeof(nif));
	assert_int_equal(net_if_init(&nif, mac, 1500), 0);
	/* RFC 4291 appendix A: universal bit flipped, ff:fe in the middle. */
	tl_ip6("fe80::21b:21ff:fe0a:b0c", want);
	assert_memory_equal(nif.ip6_ll, want, 16);
	assert_memory_equal(nif.mac, mac, 6);
	assert_int_equal(nif.mtu, 1500);
	assert_false(nif.has_ip4);
	assert_false(nif.has_ip6);
	assert_int_equal(nif.ip4, 0);

	assert_int_equal(net_if_init(&nif, tl_our_mac, 1500), 0);
	tl_ip6("fe80::5eff:fe10:2030", want);
	assert_memory_equal(nif.ip6_ll, want, 16);
}

static void test_if_init_mtu(void **state)
{
	struct net_if nif;

	(void)state;
	assert_int_equal(net_if_init(&nif, tl_our_mac, 1279), -EINVAL);
	assert_int_equal(net_if_init(&nif, tl_our_mac, 9001), -EINVAL);
	assert_int_equal(net_if_init(&nif, tl_our_mac, 0), -EINVAL);
	assert_int_equal(net_if_init(&nif, tl_our_mac, 1280), 0);
	assert_int_equal(net_if_init(&nif, tl_our_mac, 9000), 0);
	assert_int_equal(nif.mtu, 9000);
}

static void test_counter_names(void **state)
{
	int i, j;

	(void)state;
	assert_string_equal(net_counter_name(NET_CTR_ARP_REQUEST_IN), "arp_request_in");
	assert_string_equal(net_counter_name(NET_CTR_IP6_LOCAL_IN), "ip6_local_in");
	assert_string_equal(net_counter_name(NET_CTR__MAX), "unknown");
	assert_string_equal(net_counter_name((enum net_counter)-1), "unknown");
	for (i = 0; i < NET_CTR__MAX; i++) {
		assert_non_null(net_counter_name(i));
		for (j = 0; j < i; j++) {
			assert_string_not_equal(net_counter_name(i), net_counter_name(j));
		}
	}
	assert_string_equal(drop_reason_name(DROP_NO_TAILROOM), "no_tailroom");
	assert_string_equal(drop_reason_name(DROP_CONSUMED_ARP_REPLY), "consumed_arp_reply");
	assert_string_equal(drop_reason_name(DROP_CONSUMED_NDP_NA), "consumed_ndp_na");
	assert_string_equal(drop_reason_name(DROP_ETH_BAD_SRC), "eth_bad_source");
	for (i = 0; i < DROP__MAX; i++) {
		assert_string_not_equal(drop_reason_name(i), "unknown");
	}
}

/* A frame to |dst| with an ethertype nobody handles: the drop reason says how far it got. */
static enum drop_reason eth_verdict(const struct net_if *nif, const uint8_t *dst, uint16_t type)
{
	uint8_t b[60], out[TL_BUF];
	struct net_result res;

	memset(b, 0, sizeof(b));
	tl_eth(b, dst, tl_peer_mac, type);
	assert_int_equal(tl_run(nif, b, sizeof(b), out, &res, NULL), NET_VERDICT_DROP);
	return res.drop;
}

static void test_eth_too_short(void **state)
{
	uint8_t b[14];
	struct net_result res;
	struct net_if nif;
	size_t n;

	(void)state;
	tl_if(&nif);
	tl_eth(b, tl_our_mac, tl_peer_mac, 0x0800);
	for (n = 0; n < sizeof(b); n++) {
		assert_int_equal(tl_run_exact(&nif, b, n, &res), NET_VERDICT_DROP);
		assert_int_equal(res.drop, DROP_ETH_TOO_SHORT);
	}
	/* 14 bytes of IPv4 ethertype: the IPv4 stage sees an empty header. */
	assert_int_equal(tl_run_exact(&nif, b, 14, &res), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_IP4_TOO_SHORT);
}

static void test_eth_destinations(void **state)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t all_nodes[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
	static const uint8_t all_routers[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x02};
	static const uint8_t v4_mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	static const uint8_t other[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x31};
	uint8_t mac[6], a[16];
	struct net_if nif;

	(void)state;
	tl_if(&nif);
	assert_int_equal(eth_verdict(&nif, tl_our_mac, 0x88cc), DROP_ETH_UNKNOWN_TYPE);
	assert_int_equal(eth_verdict(&nif, bcast, 0x88cc), DROP_ETH_UNKNOWN_TYPE);
	assert_int_equal(eth_verdict(&nif, all_nodes, 0x88cc), DROP_ETH_UNKNOWN_TYPE);
	tl_sn_mac(nif.ip6, mac);
	assert_int_equal(eth_verdict(&nif, mac, 0x88cc), DROP_ETH_UNKNOWN_TYPE);
	tl_sn_mac(nif.ip6_ll, mac);
	assert_int_equal(eth_verdict(&nif, mac, 0x88cc), DROP_ETH_UNKNOWN_TYPE);

	assert_int_equal(eth_verdict(&nif, other, 0x0800), DROP_ETH_NOT_FOR_US);
	assert_int_equal(eth_verdict(&nif, all_routers, 0x86dd), DROP_ETH_NOT_FOR_US);
	assert_int_equal(eth_verdict(&nif, v4_mcast, 0x0800), DROP_ETH_NOT_FOR_US);
	tl_ip6("2001:db8::99", a);
	tl_sn_mac(a, mac);
	assert_int_equal(eth_verdict(&nif, mac, 0x86dd), DROP_ETH_NOT_FOR_US);

	/* No IPv6 address at all: no IPv6 multicast either. */
	memset(&nif, 0, sizeof(nif));
	memcpy(nif.mac, tl_our_mac, 6);
	assert_int_equal(eth_verdict(&nif, all_nodes, 0x86dd), DROP_ETH_NOT_FOR_US);
	assert_int_equal(eth_verdict(&nif, tl_our_mac, 0x88cc), DROP_ETH_UNKNOWN_TYPE);
}

static void test_eth_types_and_source(void **state)
{
	uint8_t b[60], out[TL_BUF];
	struct net_result res;
	struct net_if nif;

	(void)state;
	tl_if(&nif);
	assert_int_equal(eth_verdict(&nif, tl_our_mac, 0x8100), DROP_ETH_VLAN);
	assert_int_equal(eth_verdict(&nif, tl_our_mac, 0x88a8), DROP_ETH_VLAN);
	assert_int_equal(eth_verdict(&nif, tl_our_mac, 0x9100), DROP_ETH_VLAN);
	assert_int_equal(eth_verdict(&nif, tl_our_mac, 0x0000), DROP_ETH_UNKNOWN_TYPE);
	assert_int_equal(eth_verdict(&nif, tl_our_mac, 0x8847), DROP_ETH_UNKNOWN_TYPE);

	memset(b, 0, sizeof(b));
	tl_eth(b, tl_our_mac, tl_our_mac, 0x0806);
	b[6] = 0x01;	/* group bit on the source */
	memset(&res, 0xa5, sizeof(res));
	assert_int_equal(tl_run(&nif, b, sizeof(b), out, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_ETH_BAD_SRC);
	/* The result is fully initialised even on an early drop. */
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	assert_int_equal(res.len, 0);
	assert_int_equal(res.l4_off, 0);
}

static void test_null_counters(void **state)
{
	uint8_t b[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), nif.ip4, 1, 1, 4);
	net_input(&nif, b, (uint16_t)len, sizeof(b), NULL, &res);
	assert_int_equal(res.verdict, NET_VERDICT_TX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_if_init_link_local),
		cmocka_unit_test(test_if_init_mtu),
		cmocka_unit_test(test_counter_names),
		cmocka_unit_test(test_eth_too_short),
		cmocka_unit_test(test_eth_destinations),
		cmocka_unit_test(test_eth_types_and_source),
		cmocka_unit_test(test_null_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
