/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: ARP input (RFC 826 / RFC 5227) and net_arp_build_request. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "net.h"
#include "testlib.h"

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero6[6];

/* A broadcast request from the peer for |tpa|, padded to 60 bytes with junk. */
static size_t request(uint8_t *b, uint32_t tpa)
{
	size_t len = tl_arp(b, bcast, 1, tl_peer_mac, tl_ip4(TL_PEER_IP4), zero6, tpa);

	memset(b + len, 0xee, 60 - len);
	return 60;
}

static void check_reply_to_peer(const uint8_t *o, const struct net_if *nif, uint32_t tpa)
{
	const uint8_t *a = o + 14;
	size_t i;

	assert_memory_equal(o, tl_peer_mac, 6);
	assert_memory_equal(o + 6, tl_our_mac, 6);
	assert_int_equal(tl_get16(o + 12), 0x0806);
	assert_int_equal(tl_get16(a), 1);
	assert_int_equal(tl_get16(a + 2), 0x0800);
	assert_int_equal(a[4], 6);
	assert_int_equal(a[5], 4);
	assert_int_equal(tl_get16(a + 6), 2);
	assert_memory_equal(a + 8, tl_our_mac, 6);
	assert_memory_equal(a + 14, &nif->ip4, 4);
	assert_memory_equal(a + 18, tl_peer_mac, 6);
	assert_memory_equal(a + 24, &tpa, 4);
	for (i = 42; i < 60; i++) {
		assert_int_equal(o[i], 0);
	}
}

static void test_request_for_us(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	uint32_t peer = tl_ip4(TL_PEER_IP4);
	size_t len;

	(void)state;
	tl_if(&nif);
	memset(&ctr, 0, sizeof(ctr));
	len = request(b, nif.ip4);
	assert_int_equal(tl_run(&nif, b, len, o, &res, &ctr), NET_VERDICT_TX);
	assert_int_equal(res.len, 60);
	check_reply_to_peer(o, &nif, peer);
	assert_int_equal(res.learn.family, NET_FAMILY_IP4);
	assert_int_equal(res.learn.how, NET_LEARN_CREATE);
	assert_memory_equal(res.learn.mac, tl_peer_mac, 6);
	assert_memory_equal(res.learn.ip, &peer, 4);
	assert_int_equal(ctr.c[NET_CTR_ARP_REQUEST_IN], 1);
	assert_int_equal(ctr.c[NET_CTR_ARP_REPLY_OUT], 1);
	assert_int_equal(ctr.c[NET_CTR_ARP_REPLY_IN], 0);

	/* Unpadded 42-byte request with room to pad, and a unicast one to our MAC. */
	len = tl_arp(b, tl_our_mac, 1, tl_peer_mac, peer, zero6, nif.ip4);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(res.len, 60);
	check_reply_to_peer(o, &nif, peer);
}

static void test_truncated(void **state)
{
	uint8_t b[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len, n;

	(void)state;
	tl_if(&nif);
	len = tl_arp(b, bcast, 1, tl_peer_mac, tl_ip4(TL_PEER_IP4), zero6, nif.ip4);
	for (n = 0; n < len; n++) {
		assert_int_equal(tl_run_exact(&nif, b, n, &res), NET_VERDICT_DROP);
		assert_int_equal(res.drop, n < 14 ? DROP_ETH_TOO_SHORT : DROP_ARP_MALFORMED);
		assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	}
	/* Whole, but no room to pad the reply to 60 bytes: still learned. */
	assert_int_equal(tl_run_exact(&nif, b, len, &res), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_NO_TAILROOM);
	assert_int_equal(res.learn.family, NET_FAMILY_IP4);
	/* Padded: the reply fits in place. */
	len = request(b, nif.ip4);
	assert_int_equal(tl_run_exact(&nif, b, len, &res), NET_VERDICT_TX);
	assert_int_equal(res.len, 60);
}

static void test_malformed(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
	} bad[] = {
		{14 + 1, 6},	/* htype 6 (IEEE 802) */
		{14 + 0, 1},	/* htype 0x0101 */
		{14 + 2, 0x86},	/* ptype 0x86dd */
		{14 + 3, 0x06},	/* ptype 0x0806 */
		{14 + 4, 8},	/* hlen */
		{14 + 5, 16},	/* plen */
	};
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t i, len;

	(void)state;
	tl_if(&nif);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = request(b, nif.ip4);
		b[bad[i].off] = bad[i].val;
		assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
		assert_int_equal(res.drop, DROP_ARP_MALFORMED);
		assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	}
}

static void test_bad_op(void **state)
{
	static const uint16_t ops[] = {0, 3, 4, 8, 9, 0x0100, 0xffff};
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t i, len;

	(void)state;
	tl_if(&nif);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		len = request(b, nif.ip4);
		tl_put16(b + 14 + 6, ops[i]);
		assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
		assert_int_equal(res.drop, DROP_ARP_BAD_OP);
	}
}

static void test_bad_sender(void **state)
{
	static const uint8_t bad_macs[][6] = {
		{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x33, 0x33, 0x00, 0x00, 0x00, 0x01},
		{0, 0, 0, 0, 0, 0},
	};
	static const char *const bad_ips[] = {
		"224.0.0.1", "239.255.255.250", "255.255.255.255", "127.0.0.1", "240.0.0.1",
		"0.1.2.3", TL_OUR_IP4,
	};
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t i, len;

	(void)state;
	tl_if(&nif);
	for (i = 0; i < sizeof(bad_macs) / sizeof(bad_macs[0]); i++) {
		len = request(b, nif.ip4);
		memcpy(b + 14 + 8, bad_macs[i], 6);
		assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
		assert_int_equal(res.drop, DROP_ARP_BAD_SENDER);
		assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	}
	for (i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++) {
		uint32_t ip = tl_ip4(bad_ips[i]);

		len = request(b, nif.ip4);
		memcpy(b + 14 + 14, &ip, 4);
		assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
		assert_int_equal(res.drop, DROP_ARP_BAD_SENDER);
		assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	}
}

/* RFC 5227 probe: sender IP 0.0.0.0. Answered (defending our address), never learned. */
static void test_probe(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	len = tl_arp(b, bcast, 1, tl_peer_mac, 0, zero6, nif.ip4);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	check_reply_to_peer(o, &nif, 0);

	/* A probe for someone else: not for us, nothing learned. */
	len = tl_arp(b, bcast, 1, tl_peer_mac, 0, zero6, tl_ip4("192.0.2.50"));
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_ARP_NOT_FOR_US);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);
}

static void test_not_for_us(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	memset(&ctr, 0, sizeof(ctr));
	len = request(b, tl_ip4("192.0.2.99"));
	assert_int_equal(tl_run(&nif, b, len, o, &res, &ctr), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_ARP_NOT_FOR_US);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	assert_int_equal(ctr.c[NET_CTR_ARP_REPLY_OUT], 0);

	/* A reply between two other hosts. */
	len = tl_arp(b, tl_our_mac, 2, tl_peer_mac, tl_ip4(TL_PEER_IP4), tl_peer_mac,
		     tl_ip4("192.0.2.99"));
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_ARP_NOT_FOR_US);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);

	/* No IPv4 address configured: nothing is for us. */
	nif.has_ip4 = false;
	len = request(b, nif.ip4);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_ARP_NOT_FOR_US);
}

static void test_reply_and_gratuitous(void **state)
{
	static const uint8_t other_mac[6] = {0x02, 0x99, 0x88, 0x77, 0x66, 0x55};
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	uint32_t peer = tl_ip4(TL_PEER_IP4), other = tl_ip4("192.0.2.77");
	size_t len;

	(void)state;
	tl_if(&nif);
	memset(&ctr, 0, sizeof(ctr));
	len = tl_arp(b, tl_our_mac, 2, tl_peer_mac, peer, tl_our_mac, nif.ip4);
	assert_int_equal(tl_run(&nif, b, len, o, &res, &ctr), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_ARP_REPLY);
	assert_int_equal(res.learn.family, NET_FAMILY_IP4);
	assert_int_equal(res.learn.how, NET_LEARN_ANSWER);
	assert_memory_equal(res.learn.mac, tl_peer_mac, 6);
	assert_memory_equal(res.learn.ip, &peer, 4);
	assert_int_equal(ctr.c[NET_CTR_ARP_REPLY_IN], 1);
	assert_int_equal(ctr.c[NET_CTR_ARP_REQUEST_IN], 0);

	/* Gratuitous request and reply (announcements, RFC 5227 3) from another host. */
	len = tl_arp(b, bcast, 1, other_mac, other, zero6, other);
	memcpy(b + 6, other_mac, 6);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_ARP_GRATUITOUS);
	assert_int_equal(res.learn.family, NET_FAMILY_IP4);
	assert_int_equal(res.learn.how, NET_LEARN_UPDATE);
	assert_memory_equal(res.learn.mac, other_mac, 6);
	assert_memory_equal(res.learn.ip, &other, 4);

	len = tl_arp(b, bcast, 2, other_mac, other, bcast, other);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_ARP_GRATUITOUS);
	assert_memory_equal(res.learn.mac, other_mac, 6);

	/* A gratuitous announcement of OUR address is a conflict, not a binding. */
	len = tl_arp(b, bcast, 1, other_mac, nif.ip4, zero6, nif.ip4);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_ARP_BAD_SENDER);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);
}

static void test_build_request(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], o2[TL_BUF];
	struct net_result res;
	struct net_if us, peer;
	uint32_t target = tl_ip4(TL_PEER_IP4);
	const uint8_t *a = b + 14;
	int len;
	size_t i;

	(void)state;
	tl_if(&us);
	tl_peer_if(&peer);
	memset(b, 0xcc, sizeof(b));
	len = net_arp_build_request(&us, target, b, 60);
	assert_int_equal(len, 60);
	assert_memory_equal(b, bcast, 6);
	assert_memory_equal(b + 6, tl_our_mac, 6);
	assert_int_equal(tl_get16(b + 12), 0x0806);
	assert_int_equal(tl_get16(a), 1);
	assert_int_equal(tl_get16(a + 2), 0x0800);
	assert_int_equal(a[4], 6);
	assert_int_equal(a[5], 4);
	assert_int_equal(tl_get16(a + 6), 1);
	assert_memory_equal(a + 8, tl_our_mac, 6);
	assert_memory_equal(a + 14, &us.ip4, 4);
	assert_memory_equal(a + 18, zero6, 6);
	assert_memory_equal(a + 24, &target, 4);
	for (i = 42; i < 60; i++) {
		assert_int_equal(b[i], 0);
	}
	assert_int_equal(b[60], 0xcc);

	/* The peer answers it, and we consume its answer. */
	assert_int_equal(tl_run(&peer, b, (size_t)len, o, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(res.learn.family, NET_FAMILY_IP4);
	assert_memory_equal(res.learn.mac, tl_our_mac, 6);
	assert_memory_equal(res.learn.ip, &us.ip4, 4);
	assert_memory_equal(o, tl_our_mac, 6);
	assert_int_equal(tl_get16(o + 14 + 6), 2);
	assert_int_equal(tl_run(&us, o, res.len, o2, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_CONSUMED_ARP_REPLY);
	assert_memory_equal(res.learn.mac, tl_peer_mac, 6);
	assert_memory_equal(res.learn.ip, &target, 4);

	assert_int_equal(net_arp_build_request(&us, target, b, 59), -ENOSPC);
	us.has_ip4 = false;
	assert_int_equal(net_arp_build_request(&us, target, b, 60), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_for_us),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_op),
		cmocka_unit_test(test_bad_sender),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_not_for_us),
		cmocka_unit_test(test_reply_and_gratuitous),
		cmocka_unit_test(test_build_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
